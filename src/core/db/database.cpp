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
    deferred_ = writer_->deferred_sync();
    for (int i = 0; i < readers; ++i) {
        readers_.push_back(factory_(false));
        idle_.push_back(readers_.back().get());
    }
}

Database::~Database() {
    {
        std::lock_guard lock(queue_mu_);
        stopping_ = true;
    }
    writer_cv_.notify_all();
    // The writer thread finishes the group it was handed (every queued write is committed), then
    // the sync thread makes them durable and completes them.
    if (writer_thread_.joinable()) writer_thread_.join();
    {
        std::lock_guard lock(queue_mu_);
        syncer_stop_ = true;
    }
    syncer_cv_.notify_all();
    if (syncer_thread_.joinable()) syncer_thread_.join();
}

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

namespace {
// Set while a thread delivers async completions: write() from one would wait for a group that
// cannot start before the completion returns.
thread_local bool t_in_completion = false;
}  // namespace

void Database::Settled::deliver(Database& db) {
    for (auto& cv : wake) cv->notify_one();
    wake.clear();
    if (wake_writer) db.writer_cv_.notify_one();
    wake_writer = false;
    t_in_completion = true;
    for (AsyncJob* j : completed) {
        std::unique_ptr<AsyncJob> owned(j);
        try {
            owned->complete(owned->job.error);
        } catch (...) {
            // A completion must not throw; one that does cannot take the other writes down.
        }
    }
    t_in_completion = false;
    completed.clear();
}

std::vector<Database::WriteJob*> Database::run_group(std::unique_lock<std::mutex>& lock) {
    // The writes queued now, at most kMaxBatch, oldest first.
    committing_ = true;
    std::vector<WriteJob*> batch;
    if (queue_.size() <= kMaxBatch) {
        batch.swap(queue_);
    } else {
        batch.assign(queue_.begin(), queue_.begin() + kMaxBatch);
        queue_.erase(queue_.begin(), queue_.begin() + kMaxBatch);
    }
    lock.unlock();
    std::vector<WriteJob*> rest;
    run_batch(batch, rest);
    lock.lock();
    queue_.insert(queue_.begin(), rest.begin(), rest.end());
    ++write_transactions_;
    write_jobs_ += batch.size();
    largest_batch_ = std::max<std::uint64_t>(largest_batch_, batch.size());
    return batch;
}

void Database::settle(const std::vector<WriteJob*>& batch, Settled& out) {
    // Each finished writer is marked (its waiter notified once the lock is released: a waiter
    // woken while the mutex is held would only block on it again); async ones are completed then.
    for (auto* j : batch) {
        if (j->async) {
            out.completed.push_back(j->async);
        } else {
            j->done = true;
            out.wake.push_back(j->cv);
        }
    }
}

void Database::start_writer() {
    if (!writer_thread_.joinable()) writer_thread_ = std::thread([this] { writer_loop(); });
    if (deferred_ && !syncer_thread_.joinable()) syncer_thread_ = std::thread([this] { syncer_loop(); });
}

void Database::submit(WriteJob& job) {
    if (t_in_completion) throw std::logic_error("Database::write() called from a write_async() completion");
    job.cv = std::make_shared<std::condition_variable>();
    std::unique_lock lock(queue_mu_);
    if (sync_failed_) std::rethrow_exception(sync_failed_);
    queue_.push_back(&job);
    if (deferred_) {
        // The writer thread runs every group; this caller waits for the sync that covers its write.
        start_writer();
        if (!committing_) {
            committing_ = true;
            writer_lead_ = true;
            writer_cv_.notify_one();
        }
        job.cv->wait(lock, [&] { return job.done; });
        lock.unlock();
        if (job.error) std::rethrow_exception(job.error);
        return;
    }
    // Invariant: a non-empty queue has a committing caller, so a caller finding none is alone.
    if (committing_) job.cv->wait(lock, [&] { return job.done || job.lead; });
    Settled settled;
    while (!job.done) {
        // This caller commits the group (its own write is among it: it was alone, or the oldest
        // when handed the lead).
        job.lead = false;
        settle(run_group(lock), settled);
        // Hand the lead to the oldest waiting writer, if any: a write() caller, or the writer
        // thread for an async job.
        bool lead_next = false;
        if (queue_.empty()) {
            committing_ = false;
        } else if (queue_.front() == &job) {
            lead_next = true;  // our write went back to the queue's front (a storage error broke the group)
        } else if (queue_.front()->async) {
            writer_lead_ = true;
            settled.wake_writer = true;
        } else {
            queue_.front()->lead = true;
            settled.wake.push_back(queue_.front()->cv);
        }
        const bool finished = job.done;
        // Our own waiter entry is not notified (we are not waiting).
        std::erase(settled.wake, job.cv);
        lock.unlock();
        settled.deliver(*this);
        if (finished) break;
        lock.lock();
        // Our write went back to the queue: lead the next group, or wait for the new leader.
        if (!lead_next) job.cv->wait(lock, [&] { return job.done || job.lead; });
    }
    if (lock.owns_lock()) lock.unlock();
    if (job.error) std::rethrow_exception(job.error);
}

void Database::submit_async(std::unique_ptr<AsyncJob> owned) {
    std::unique_lock lock(queue_mu_);
    if (stopping_) throw std::logic_error("Database::write_async() after the database began closing");
    if (sync_failed_) std::rethrow_exception(sync_failed_);
    start_writer();
    queue_.push_back(&owned.release()->job);
    if (!committing_) {
        committing_ = true;
        writer_lead_ = true;
        lock.unlock();
        writer_cv_.notify_one();
    }
}

void Database::writer_loop() {
    std::unique_lock lock(queue_mu_);
    while (true) {
        writer_cv_.wait(lock, [&] { return writer_lead_ || stopping_; });
        if (!writer_lead_) break;  // stopping, and nothing handed to us
        writer_lead_ = false;
        // Lead while writes keep arriving: the queue fills while each group runs (and, without a
        // deferred sync, during its commit's sync).
        for (bool leading = true; leading;) {
            Settled settled;
            auto batch = run_group(lock);
            if (deferred_) {
                to_sync_.push_back(std::move(batch));
                syncer_cv_.notify_one();
            } else {
                settle(batch, settled);
            }
            if (queue_.empty()) {
                committing_ = false;
                leading = false;
            }
            if (settled.wake.empty() && settled.completed.empty()) continue;
            lock.unlock();
            settled.deliver(*this);
            lock.lock();
        }
    }
}

void Database::syncer_loop() {
    std::unique_lock lock(queue_mu_);
    while (true) {
        syncer_cv_.wait(lock, [&] { return !to_sync_.empty() || syncer_stop_; });
        if (to_sync_.empty()) break;
        // One sync covers every group committed before it starts.
        auto groups = std::move(to_sync_);
        to_sync_.clear();
        lock.unlock();
        std::exception_ptr failed;
        try {
            writer_->sync_log();
        } catch (...) {
            failed = std::current_exception();
        }
        lock.lock();
        if (failed && !sync_failed_) {
            // After a failed sync the OS may have dropped the pages it could not write, and a later
            // sync may succeed without them: nothing more is acknowledged (restart the server).
            sync_failed_ = std::make_exception_ptr(
                DbError(DbError::Kind::unavailable, "the database log could not be written to disk; writes are refused"));
        }
        Settled settled;
        for (auto& g : groups) {
            if (sync_failed_)
                for (auto* j : g)
                    if (!j->error) j->error = sync_failed_;
            settle(g, settled);
        }
        lock.unlock();
        settled.deliver(*this);
        lock.lock();
    }
}

void Database::run_batch(std::vector<WriteJob*>& batch, std::vector<WriteJob*>& rest) {
    Connection& c = *writer_;
    auto rollback_all = [&] {
        try {
            c.rollback();
        } catch (...) {
        }
    };
    try {
        c.begin(true);
    } catch (...) {
        for (auto* j : batch) j->error = std::current_exception();
        return;
    }
    if (batch.size() == 1) {
        // Alone: the transaction is the job's; no savepoint needed.
        WriteJob& j = *batch.front();
        try {
            j.call(j.target, c);
            c.commit();
        } catch (...) {
            j.error = std::current_exception();
            rollback_all();
        }
        return;
    }
    std::size_t ran = 0;
    bool broken = false;
    for (; ran < batch.size() && !broken; ++ran) {
        WriteJob& j = *batch[ran];
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
                broken = true;
            }
        }
    }
    if (!broken) {
        try {
            c.commit();
            return;
        } catch (...) {
            const auto e = std::current_exception();
            for (std::size_t i = 0; i < ran; ++i)
                if (!batch[i]->error) batch[i]->error = e;
            rollback_all();
            return;
        }
    }
    rollback_all();
    const auto lost = std::make_exception_ptr(
        DbError(DbError::Kind::unavailable, "the write was rolled back with its group after a storage error"));
    for (std::size_t i = 0; i + 1 < ran; ++i)
        if (!batch[i]->error) batch[i]->error = lost;
    // Those that never ran go back to the queue.
    rest.assign(batch.begin() + static_cast<std::ptrdiff_t>(ran), batch.end());
    batch.resize(ran);
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
    s.writes_waiting = queue_.size();
    return s;
}

}  // namespace gapura::core::db
