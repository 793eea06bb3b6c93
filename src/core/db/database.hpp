// The storage interface every module uses: connections, prepared statements, transactions and
// rows, with no backend's quirks in it. SQLite is the embedded default; a PostgreSQL backend
// implements the same Connection/Statement interfaces. SQL uses `?` placeholders (the
// PostgreSQL backend rewrites them to $n) and `RETURNING` for generated ids.
//
// Threads: a Database is shared by all threads. read() leases one of N reader connections
// (blocking while all are busy); write() serialises writers on one connection inside a
// transaction. A Connection or Statement is used by one thread at a time. Never call these
// from an I/O thread: handlers marked blocking run on the worker pool.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gapura::core::db {

enum class Dialect { sqlite, postgres };

// A bound parameter. Constructible from integers, doubles, strings and nullptr.
class Value {
public:
    enum class Kind { null, integer, real, text };
    Value(std::nullptr_t = nullptr) : kind_(Kind::null) {}
    Value(int v) : kind_(Kind::integer), i_(v) {}
    Value(long v) : kind_(Kind::integer), i_(v) {}
    Value(long long v) : kind_(Kind::integer), i_(v) {}
    Value(unsigned v) : kind_(Kind::integer), i_(v) {}
    Value(bool v) : kind_(Kind::integer), i_(v ? 1 : 0) {}
    Value(double v) : kind_(Kind::real), d_(v) {}
    Value(std::string v) : kind_(Kind::text), s_(std::move(v)) {}
    Value(std::string_view v) : kind_(Kind::text), s_(v) {}
    Value(const char* v) : kind_(Kind::text), s_(v) {}
    template <class T>
    Value(const std::optional<T>& v) : Value(nullptr) {
        if (v) *this = Value(*v);
    }

    Kind kind() const { return kind_; }
    std::int64_t integer() const { return i_; }
    double real() const { return d_; }
    const std::string& text() const { return s_; }

private:
    Kind kind_;
    std::int64_t i_ = 0;
    double d_ = 0;
    std::string s_;
};

class DbError : public std::runtime_error {
public:
    enum class Kind { unique_violation, foreign_key_violation, check_violation, busy, unavailable, other };
    DbError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

class Statement {
public:
    virtual ~Statement() = default;
    virtual void bind(int index, const Value& v) = 0;  // 1-based
    virtual bool step() = 0;                            // true while a row is available
    virtual bool is_null(int col) const = 0;            // 0-based columns
    virtual std::int64_t get_int(int col) const = 0;
    virtual double get_double(int col) const = 0;
    virtual std::string get_text(int col) const = 0;
    // Ends the statement's current run (releases its read snapshot); bindings are kept.
    virtual void finish() = 0;
};

class Connection {
public:
    virtual ~Connection() = default;
    // A prepared statement, cached per connection and reset with its bindings cleared.
    virtual Statement& prepare(std::string_view sql) = 0;
    // Runs a script of statements with no parameters (migrations).
    virtual void exec_script(std::string_view sql) = 0;
    virtual void begin(bool write) = 0;
    virtual void commit() = 0;
    virtual void rollback() = 0;
    virtual Dialect dialect() const = 0;
    // Rows changed by the last INSERT/UPDATE/DELETE.
    virtual std::int64_t changes() const = 0;
};

// Binds parameters and iterates rows: `Query q(c, kSql, {a, b}); while (q.next()) q.text(0);`
class Query {
public:
    Query(Connection& c, std::string_view sql, std::initializer_list<Value> params = {});
    Query(Connection& c, std::string_view sql, const std::vector<Value>& params);
    ~Query() { st_.finish(); }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    bool next() { return st_.step(); }
    bool null(int col) const { return st_.is_null(col); }
    std::int64_t integer(int col) const { return st_.get_int(col); }
    double real(int col) const { return st_.get_double(col); }
    std::string text(int col) const { return st_.get_text(col); }
    std::optional<std::string> opt_text(int col) const {
        return st_.is_null(col) ? std::nullopt : std::optional<std::string>(st_.get_text(col));
    }
    std::optional<std::int64_t> opt_integer(int col) const {
        return st_.is_null(col) ? std::nullopt : std::optional<std::int64_t>(st_.get_int(col));
    }

private:
    Statement& st_;
};

// Runs a statement that returns no rows; returns the number of rows changed.
std::int64_t exec(Connection& c, std::string_view sql, std::initializer_list<Value> params = {});
std::int64_t exec(Connection& c, std::string_view sql, const std::vector<Value>& params);
// First column of the first row, if any.
std::optional<std::int64_t> scalar_int(Connection& c, std::string_view sql, std::initializer_list<Value> params = {});
std::optional<std::string> scalar_text(Connection& c, std::string_view sql, std::initializer_list<Value> params = {});

struct PoolStats {
    int readers_total = 0;
    int readers_in_use = 0;
    std::uint64_t write_transactions = 0;
    std::uint64_t read_leases = 0;
};

class Database {
public:
    using Factory = std::function<std::unique_ptr<Connection>(bool writer)>;
    Database(Factory factory, int readers, Dialect dialect);
    ~Database();

    // Opens "sqlite:///abs/path.db" or "sqlite://relative/path.db". Throws std::invalid_argument
    // for an unknown scheme and DbError when the database cannot be opened.
    static std::unique_ptr<Database> open(const std::string& url, int readers = 4);

    Dialect dialect() const { return dialect_; }

    template <class F>
    decltype(auto) read(F&& fn) {
        Lease lease(*this);
        return fn(*lease.conn);
    }

    // Runs fn inside one write transaction: committed when fn returns, rolled back when it
    // throws (the exception is rethrown).
    template <class F>
    decltype(auto) write(F&& fn) {
        std::lock_guard lock(write_mu_);
        ++write_transactions_;
        writer_->begin(true);
        try {
            if constexpr (std::is_void_v<decltype(fn(*writer_))>) {
                fn(*writer_);
                writer_->commit();
            } else {
                decltype(auto) r = fn(*writer_);
                writer_->commit();
                return r;
            }
        } catch (...) {
            try {
                writer_->rollback();
            } catch (...) {
            }
            throw;
        }
    }

    // Liveness check used by /healthz: opens a new reader connection (never creating the
    // database), so a database that went away is noticed even while pooled connections stay open.
    bool ping();
    PoolStats stats();

private:
    struct Lease {
        explicit Lease(Database& db);
        ~Lease();
        Database& db;
        Connection* conn;
    };

    Factory factory_;
    Dialect dialect_;
    std::mutex write_mu_;
    std::unique_ptr<Connection> writer_;
    std::mutex pool_mu_;
    std::condition_variable pool_cv_;
    std::vector<std::unique_ptr<Connection>> readers_;
    std::vector<Connection*> idle_;
    std::uint64_t write_transactions_ = 0;
    std::uint64_t read_leases_ = 0;
};

}  // namespace gapura::core::db
