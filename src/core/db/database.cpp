#include "core/db/database.hpp"

#include "core/db/sqlite/sqlite_connection.hpp"

namespace gapura::core::db {

Query::Query(Connection& c, std::string_view sql, std::initializer_list<Value> params) : st_(c.prepare(sql)) {
    int i = 1;
    for (const auto& p : params) st_.bind(i++, p);
}

Query::Query(Connection& c, std::string_view sql, const std::vector<Value>& params) : st_(c.prepare(sql)) {
    int i = 1;
    for (const auto& p : params) st_.bind(i++, p);
}

std::int64_t exec(Connection& c, std::string_view sql, std::initializer_list<Value> params) {
    Query q(c, sql, params);
    while (q.next()) {
    }
    return c.changes();
}

std::int64_t exec(Connection& c, std::string_view sql, const std::vector<Value>& params) {
    Query q(c, sql, params);
    while (q.next()) {
    }
    return c.changes();
}

std::optional<std::int64_t> scalar_int(Connection& c, std::string_view sql, std::initializer_list<Value> params) {
    Query q(c, sql, params);
    std::optional<std::int64_t> out;
    if (q.next() && !q.null(0)) out = q.integer(0);
    while (q.next()) {
    }
    return out;
}

std::optional<std::string> scalar_text(Connection& c, std::string_view sql, std::initializer_list<Value> params) {
    Query q(c, sql, params);
    std::optional<std::string> out;
    if (q.next() && !q.null(0)) out = q.text(0);
    while (q.next()) {
    }
    return out;
}

Database::Database(Factory factory, int readers, Dialect dialect) : factory_(std::move(factory)), dialect_(dialect) {
    writer_ = factory_(true);
    for (int i = 0; i < readers; ++i) {
        readers_.push_back(factory_(false));
        idle_.push_back(readers_.back().get());
    }
}

Database::~Database() = default;

std::unique_ptr<Database> Database::open(const std::string& url, int readers) {
    const std::string prefix = "sqlite://";
    if (url.rfind(prefix, 0) == 0) {
        std::string path = url.substr(prefix.size());
        if (path.empty()) throw std::invalid_argument("GAPURA_DATABASE: empty sqlite path");
        if (path == ":memory:" || path.find("mode=memory") != std::string::npos)
            throw std::invalid_argument("GAPURA_DATABASE: an in-memory SQLite database cannot be shared by the "
                                        "connection pool; give a file path");
        return std::make_unique<Database>(
            [path](bool writer) { return open_sqlite(path, writer); }, readers < 1 ? 1 : readers, Dialect::sqlite);
    }
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
        throw std::invalid_argument("GAPURA_DATABASE: the PostgreSQL backend is not built yet; use sqlite://");
    throw std::invalid_argument("GAPURA_DATABASE: unknown scheme in '" + url + "' (expected sqlite://PATH)");
}

Database::Lease::Lease(Database& d) : db(d) {
    std::unique_lock lock(db.pool_mu_);
    db.pool_cv_.wait(lock, [&] { return !db.idle_.empty(); });
    conn = db.idle_.back();
    db.idle_.pop_back();
    ++db.read_leases_;
}

Database::Lease::~Lease() {
    {
        std::lock_guard lock(db.pool_mu_);
        db.idle_.push_back(conn);
    }
    db.pool_cv_.notify_one();
}

bool Database::ping() {
    // A fresh reader connection, not a pooled one: a pooled connection keeps answering from an
    // open handle after the database went away (file removed or unmountable, server down).
    try {
        auto conn = factory_(false);
        return conn && scalar_int(*conn, "SELECT 1").value_or(0) == 1;
    } catch (const std::exception&) {
        return false;
    }
}

PoolStats Database::stats() {
    std::lock_guard lock(pool_mu_);
    PoolStats s;
    s.readers_total = static_cast<int>(readers_.size());
    s.readers_in_use = static_cast<int>(readers_.size() - idle_.size());
    s.write_transactions = write_transactions_;
    s.read_leases = read_leases_;
    return s;
}

}  // namespace gapura::core::db
