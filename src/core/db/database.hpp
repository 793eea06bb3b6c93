// The storage interface every module uses: connections, prepared statements, transactions and
// rows, with no backend's quirks in it. SQLite is the embedded default; a PostgreSQL backend
// implements the same Connection/Statement interfaces. SQL uses `?` placeholders (the
// PostgreSQL backend rewrites them to $n) and `RETURNING` for generated ids.
//
// Threads: a Database is shared by all threads. read() leases one of N reader connections
// (blocking while all are busy); write() runs writers one after another on one connection.
// A Connection or Statement is used by one thread at a time. Never call read() or write() from
// an I/O thread (handlers marked blocking run on the worker pool); write_async() returns at once.
//
// Group commit: writes that arrive while another is being committed are run together in one
// transaction, each inside its own savepoint, and committed with one sync to disk. A write whose
// function throws is rolled back to its savepoint alone; the others commit. write() returns only
// once the commit that holds its changes is on disk, so an acknowledged write survives a crash.
// A write function must not call write() (it would wait for itself).
//
// With a backend whose commits are made durable by a separate sync (Connection::deferred_sync:
// SQLite in WAL mode), the groups are run by a writer thread and made durable by a sync thread:
// the next group runs its statements while the last one's sync is in flight, and a write is
// acknowledged (write() returns, write_async() completes) only after the sync that covers it. A
// committed write is visible to readers from its commit, a moment before it is acknowledged.
//
// write_async() queues a write the same way without a waiting thread: its completion is called
// once the commit that holds it is on disk (or the write failed), on the thread that committed
// the group (a writer thread the Database starts on first use, or a write() caller leading a
// group). A server hands the answer back to its connection from there, so no thread waits for
// the disk per request (core/http/pending.hpp).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
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
    // True when commit() returns before the transaction is on disk, and sync_log() makes every
    // transaction committed so far durable (SQLite in WAL mode: one fdatasync of the log covers
    // every commit appended before it). The Database then runs the next group of writes while the
    // last one's sync is in flight, and acknowledges a write only after the sync. sync_log() is
    // the one call that may run on another thread while the connection is in use.
    virtual bool deferred_sync() const { return false; }
    virtual void sync_log() {}
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
    std::uint64_t write_transactions = 0;  // commits
    std::uint64_t write_jobs = 0;          // write() calls run (>= commits: group commit)
    std::uint64_t largest_batch = 0;       // most write() calls committed together
    std::size_t writes_waiting = 0;        // write() calls queued behind the running group
    std::uint64_t read_leases = 0;
};

// What a write_async() gave: its function's value, or the exception that failed the write (the
// function threw, or the commit failed). get() returns the value or rethrows.
template <class R>
struct Outcome {
    std::optional<R> value;
    std::exception_ptr error;
    R get() {
        if (error) std::rethrow_exception(error);
        return std::move(*value);
    }
};
template <>
struct Outcome<void> {
    std::exception_ptr error;
    void get() {
        if (error) std::rethrow_exception(error);
    }
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

    // Runs fn inside a write transaction: its changes are committed (and on disk) when write()
    // returns; when fn throws, its changes are rolled back and the exception is rethrown here.
    // fn may run on another caller's thread (the one committing the group), never concurrently
    // with another write.
    template <class F>
    std::invoke_result_t<F&, Connection&> write(F&& fn) {
        using R = std::invoke_result_t<F&, Connection&>;
        static_assert(!std::is_reference_v<R>, "a write function returns a value, not a reference");
        if constexpr (std::is_void_v<R>) {
            WriteJob job(fn, [](void* f, Connection& c) { (*static_cast<std::remove_reference_t<F>*>(f))(c); });
            submit(job);
        } else {
            struct Call {
                std::remove_reference_t<F>* fn;
                std::optional<R> out;
            } call{&fn, std::nullopt};
            WriteJob job(call, [](void* p, Connection& c) {
                auto* k = static_cast<Call*>(p);
                k->out.emplace((*k->fn)(c));
            });
            submit(job);
            return std::move(*call.out);
        }
    }

    // Queues fn like write() and returns at once. done(Outcome<R>) is called exactly once: after
    // the commit holding fn's changes is on disk, or with the error that rolled them back. It
    // runs on the committing thread while the next group waits: keep it short (hand the outcome
    // to another thread), never let it throw, and never call write() from it.
    template <class F, class Done>
    void write_async(F fn, Done done) {
        using R = std::invoke_result_t<F&, Connection&>;
        static_assert(!std::is_reference_v<R>, "a write function returns a value, not a reference");
        struct Job final : AsyncJob {
            Job(F&& f, Done&& d) : fn(std::move(f)), done(std::move(d)) {}
            void run(Connection& c) override {
                if constexpr (std::is_void_v<R>) fn(c);
                else out.value.emplace(fn(c));
            }
            void complete(std::exception_ptr e) override {
                out.error = std::move(e);
                if (out.error) {
                    if constexpr (!std::is_void_v<R>) out.value.reset();
                }
                done(std::move(out));
            }
            F fn;
            Done done;
            Outcome<R> out;
        };
        submit_async(std::make_unique<Job>(std::move(fn), std::move(done)));
    }

    // Liveness check used by /healthz: opens a new reader connection (never creating the
    // database), so a database that went away is noticed even while pooled connections stay open.
    bool ping();
    PoolStats stats();

private:
    // One write waiting in the queue: a type-erased reference to the caller's function (write()),
    // or an AsyncJob that the queue owns (write_async()).
    struct AsyncJob;
    struct WriteJob {
        template <class T>
        WriteJob(T& target, void (*call)(void*, Connection&)) : target(const_cast<void*>(static_cast<const void*>(&target))), call(call) {}
        void* target;
        void (*call)(void*, Connection&);
        AsyncJob* async = nullptr;  // set: nobody waits; the job is completed and deleted
        std::exception_ptr error;
        // Under queue_mu_: set by the committing caller, which notifies cv after releasing
        // queue_mu_ (a waiter woken while the mutex is held would only block on it again: two
        // more context switches per write). cv is shared so that it outlives a waiter that saw
        // `done` and returned before the notify reached it.
        bool done = false;
        bool lead = false;  // the waiter is to commit the next group
        std::shared_ptr<std::condition_variable> cv;  // write() only
    };
    struct AsyncJob {
        AsyncJob() : job(*this, [](void* self, Connection& c) { static_cast<AsyncJob*>(self)->run(c); }) { job.async = this; }
        virtual ~AsyncJob() = default;
        virtual void run(Connection& c) = 0;
        virtual void complete(std::exception_ptr error) = 0;  // must not throw
        WriteJob job;
    };
    // What a group leaves to do once the queue's lock is released: waiters to wake, async jobs
    // to complete, the writer thread to hand the lead to.
    struct Settled {
        std::vector<std::shared_ptr<std::condition_variable>> wake;
        std::vector<AsyncJob*> completed;
        bool wake_writer = false;
        void deliver(Database& db);
    };
    // Queues the job and returns once it is committed or rolled back (rethrowing its error).
    void submit(WriteJob& job);
    void submit_async(std::unique_ptr<AsyncJob> job);
    // Under queue_mu_ (released while the group runs): takes the next group from the queue, runs
    // and commits it; returns it, to be settled (now, or after the sync that makes it durable).
    std::vector<WriteJob*> run_group(std::unique_lock<std::mutex>& lock);
    // Under queue_mu_: marks a finished group's writes done and records what is to be delivered.
    static void settle(const std::vector<WriteJob*>& batch, Settled& out);
    void start_writer();  // under queue_mu_
    void writer_loop();
    void syncer_loop();
    // Runs a group of jobs in one transaction on writer_. Jobs it could not run (the transaction
    // broke before their turn) are left in `rest` for the next group.
    void run_batch(std::vector<WriteJob*>& batch, std::vector<WriteJob*>& rest);
    static constexpr std::size_t kMaxBatch = 256;

    struct Lease {
        explicit Lease(Database& db);
        ~Lease();
        Database& db;
        Connection* conn;
    };

    Factory factory_;
    Dialect dialect_;
    std::unique_ptr<Connection> writer_;
    std::mutex queue_mu_;
    std::vector<WriteJob*> queue_;
    bool committing_ = false;  // a caller (or the writer thread) is running a batch on writer_
    // The writer thread: leads the groups that start with an async job (nobody else waits for them).
    std::thread writer_thread_;
    std::condition_variable writer_cv_;
    bool writer_lead_ = false;  // the writer thread is to commit the next group
    bool stopping_ = false;
    // Deferred sync (Connection::deferred_sync): committed groups wait here for the sync thread.
    bool deferred_ = false;
    std::thread syncer_thread_;
    std::condition_variable syncer_cv_;
    std::vector<std::vector<WriteJob*>> to_sync_;
    bool syncer_stop_ = false;
    std::exception_ptr sync_failed_;  // a failed sync: every later write is refused
    std::uint64_t write_jobs_ = 0;
    std::uint64_t largest_batch_ = 0;
    std::mutex pool_mu_;
    std::condition_variable pool_cv_;
    std::vector<std::unique_ptr<Connection>> readers_;
    std::vector<Connection*> idle_;
    std::uint64_t write_transactions_ = 0;
    std::uint64_t read_leases_ = 0;
};

}  // namespace gapura::core::db
