#include "core/db/database.hpp"

#include <algorithm>

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

void Database::submit(WriteJob& job) {
    std::unique_lock lock(queue_mu_);
    if (sync_failure_) std::rethrow_exception(sync_failure_);
    queue_.push_back(&job);
    // Invariant: a non-empty queue has a committing caller, so a caller finding none is alone.
    if (committing_) {
        if (gathering_) gather_cv_.notify_one();
        job.cv.wait(lock, [&] { return job.done || job.lead; });
    }
    while (!job.done) {
        // This caller runs the next group: the writes queued now (at most kMaxBatch, oldest
        // first; its own is among them: it was alone, or the oldest when handed the lead), and,
        // while the previous group's sync is still in flight, every write that arrives
        // meanwhile. So the statements overlap that sync, and the group commits (and syncs) once
        // per sync instead of once per arrival: each commit writes every page it changed to the
        // WAL, so many small groups would cost far more than one big one.
        job.lead = false;
        committing_ = true;
        Group g;
        for (;;) {
            if (sync_failure_) {
                // A sync failed (perhaps while this group gathered): nothing more runs.
                for (auto* j : queue_) j->error = sync_failure_;
                g.batch.insert(g.batch.end(), queue_.begin(), queue_.end());
                queue_.clear();
                break;
            }
            if (queue_.empty()) {
                if (!sync_in_flight_ || g.batch.size() >= kMaxBatch) break;
                gathering_ = true;
                gather_cv_.wait(lock, [&] { return !sync_in_flight_ || !queue_.empty(); });
                gathering_ = false;
                continue;
            }
            // After its first take the group only grows while there is a sync to overlap.
            if (!g.batch.empty() && !sync_in_flight_) break;
            const std::size_t room = kMaxBatch - g.batch.size();
            if (room == 0) break;
            std::vector<WriteJob*> take;
            if (queue_.size() <= room) {
                take.swap(queue_);
            } else {
                take.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(room));
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(room));
            }
            lock.unlock();
            run_jobs(g, take);
            lock.lock();
            if (g.broken) break;
        }
        const auto failure = sync_failure_;
        lock.unlock();
        const bool needs_sync = finish_group(g, failure);
        lock.lock();
        queue_.insert(queue_.begin(), g.rest.begin(), g.rest.end());
        if (g.began) ++write_transactions_;
        write_jobs_ += g.batch.size();
        largest_batch_ = std::max<std::uint64_t>(largest_batch_, g.batch.size());
        // The group is committed: hand the writer to the next group before waiting for the disk,
        // so its statements run during this group's sync. A waiter whose job is in this group is
        // not woken yet (done is set only after the sync).
        bool keep_lead = false;
        if (queue_.empty()) {
            committing_ = false;
        } else if (queue_.front() != &job) {
            queue_.front()->lead = true;
            queue_.front()->cv.notify_one();
        } else {
            keep_lead = true;  // our own write went back to the queue after a storage error
        }
        if (needs_sync) {
            // One sync at a time: a group that filled up (kMaxBatch) or broke off may have
            // committed while the previous sync still runs.
            sync_cv_.wait(lock, [&] { return !sync_in_flight_; });
            sync_in_flight_ = true;
            lock.unlock();
            std::exception_ptr failed;
            try {
                writer_->sync_committed();
            } catch (...) {
                failed = std::current_exception();
            }
            lock.lock();
            sync_in_flight_ = false;
            ++syncs_;
            if (failed) {
                if (!sync_failure_) sync_failure_ = failed;
                for (auto* j : g.batch)
                    if (!j->error) j->error = failed;
            }
            sync_cv_.notify_all();
            if (gathering_) gather_cv_.notify_one();
        }
        // Wake each finished writer (under the lock, so it cannot return and free its job before
        // the notify).
        for (auto* j : g.batch) {
            j->done = true;
            if (j != &job) j->cv.notify_one();
        }
        if (!job.done && !keep_lead) job.cv.wait(lock, [&] { return job.done || job.lead; });
    }
    lock.unlock();
    if (job.error) std::rethrow_exception(job.error);
}

void Database::run_jobs(Group& g, std::vector<WriteJob*>& take) {
    Connection& c = *writer_;
    if (!g.began) {
        try {
            c.begin(true);
            g.began = true;
        } catch (...) {
            for (auto* j : take) j->error = std::current_exception();
            g.batch.insert(g.batch.end(), take.begin(), take.end());
            g.broken = true;  // nothing ran; finish_group has nothing to commit
            return;
        }
    }
    std::size_t ran = 0;
    for (; ran < take.size() && !g.broken; ++ran) {
        WriteJob& j = *take[ran];
        try {
            exec(c, "SAVEPOINT gapura_write");
            j.call(j.target, c);
            exec(c, "RELEASE SAVEPOINT gapura_write");
        } catch (...) {
            j.error = std::current_exception();
            try {
                exec(c, "ROLLBACK TO SAVEPOINT gapura_write");
                exec(c, "RELEASE SAVEPOINT gapura_write");
            } catch (...) {
                // The backend gave up the whole transaction (disk full, I/O error): the writes
                // before this one are lost with it.
                g.broken = true;
            }
        }
    }
    g.batch.insert(g.batch.end(), take.begin(), take.begin() + static_cast<std::ptrdiff_t>(ran));
    // Those that never ran go back to the queue.
    g.rest.insert(g.rest.end(), take.begin() + static_cast<std::ptrdiff_t>(ran), take.end());
}

bool Database::finish_group(Group& g, std::exception_ptr failure) {
    Connection& c = *writer_;
    if (!g.began) return false;
    auto rollback_all = [&] {
        try {
            c.rollback();
        } catch (...) {
        }
    };
    if (failure) {
        // An earlier sync failed while this group ran: nothing more is committed.
        rollback_all();
        for (auto* j : g.batch)
            if (!j->error) j->error = failure;
        return false;
    }
    const bool any_ok = std::any_of(g.batch.begin(), g.batch.end(), [](const WriteJob* j) { return !j->error; });
    if (!g.broken && !any_ok) {
        rollback_all();  // every write of the group failed alone: nothing to commit or sync
        return false;
    }
    if (!g.broken) {
        try {
            return c.commit_unsynced();
        } catch (...) {
            const auto e = std::current_exception();
            for (auto* j : g.batch)
                if (!j->error) j->error = e;
            rollback_all();
            return false;
        }
    }
    rollback_all();
    const auto lost = std::make_exception_ptr(
        DbError(DbError::Kind::unavailable, "the write was rolled back with its group after a storage error"));
    // The last job that ran is the one whose error broke the transaction; the others lose theirs.
    for (std::size_t i = 0; i + 1 < g.batch.size(); ++i)
        if (!g.batch[i]->error) g.batch[i]->error = lost;
    return false;
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
    s.read_leases = read_leases_;
    std::lock_guard wlock(queue_mu_);
    s.write_transactions = write_transactions_;
    s.write_jobs = write_jobs_;
    s.largest_batch = largest_batch_;
    s.syncs = syncs_;
    s.writes_waiting = queue_.size();
    return s;
}

}  // namespace gapura::core::db
