// Unit tests for core/db on a temporary SQLite file: pragmas, transactions, typed constraint
// errors, bound parameters, the statement cache, concurrent readers, the migrator and open().
#include "core/db/database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/db/migrator.hpp"
#include "core/db/sqlite/sqlite_connection.hpp"

namespace gapura::core::db {
namespace {

namespace fs = std::filesystem;

fs::path unique_dir(const std::string& prefix) {
    static std::atomic<int> n{0};
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return fs::temp_directory_path() /
           (prefix + "-" + std::string(info->name()) + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
}

std::int64_t count(Database& db, const std::string& table) {
    return db.read([&](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM " + table).value_or(-1); });
}

bool table_exists(Database& db, const std::string& name) {
    return db.read([&](Connection& c) {
        return scalar_int(c, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", {name})
                   .value_or(0) == 1;
    });
}

// Runs fn, expects a DbError and returns its kind (other when nothing was thrown).
template <class F>
DbError::Kind db_error_kind(F&& fn) {
    try {
        fn();
    } catch (const DbError& e) {
        return e.kind();
    }
    ADD_FAILURE() << "expected DbError";
    return DbError::Kind::other;
}

class DatabaseTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = unique_dir("gapura-db");
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "t.db").string();
        db_ = Database::open("sqlite://" + path_, 2);
        db_->write([](Connection& c) {
            c.exec_script(
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id),"
                " note TEXT, n INTEGER CHECK (n IS NULL OR n >= 0));"
                "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT, k INTEGER);");
        });
    }
    void TearDown() override {
        db_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    fs::path dir_;
    std::string path_;
    std::unique_ptr<Database> db_;
};

// ---------------------------------------------------------------------------------------------
// Pragmas

TEST_F(DatabaseTest, JournalIsWalOnWriterAndReaders) {
    auto w = db_->write([](Connection& c) { return scalar_text(c, "PRAGMA journal_mode"); });
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, "wal");
    auto r = db_->read([](Connection& c) { return scalar_text(c, "PRAGMA journal_mode"); });
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "wal");
    EXPECT_TRUE(fs::exists(path_ + "-wal") || fs::exists(path_)) << "database file missing";
}

TEST_F(DatabaseTest, ForeignKeysAreOnForWriterAndEveryReader) {
    EXPECT_EQ(db_->write([](Connection& c) { return scalar_int(c, "PRAGMA foreign_keys"); }).value_or(-1), 1);
    // Lease both readers at once (nested reads) so each one is checked.
    db_->read([&](Connection& a) {
        EXPECT_EQ(scalar_int(a, "PRAGMA foreign_keys").value_or(-1), 1);
        db_->read([&](Connection& b) {
            EXPECT_NE(&a, &b);
            EXPECT_EQ(scalar_int(b, "PRAGMA foreign_keys").value_or(-1), 1);
        });
    });
}

TEST_F(DatabaseTest, BusyTimeoutIsSet) {
    auto ms = db_->read([](Connection& c) { return scalar_int(c, "PRAGMA busy_timeout"); });
    ASSERT_TRUE(ms);
    EXPECT_GT(*ms, 0);
}

// SQLite's global memory statistics are off (each of its allocations took a global mutex for
// them): the bytes it has in use are not counted, however much it allocated.
TEST_F(DatabaseTest, SqliteMemoryStatisticsAreOff) {
    db_->write([](Connection& c) {
        for (int i = 0; i < 200; ++i) exec(c, "INSERT INTO t (v) VALUES (?)", {std::string(1000, 'x')});
    });
    EXPECT_EQ(db_->read([](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM t"); }).value_or(0), 200);
    EXPECT_EQ(sqlite3_memory_used(), 0);
}

TEST_F(DatabaseTest, PingAndStats) {
    const auto leases_before = db_->stats().read_leases;
    EXPECT_TRUE(db_->ping());
    auto s = db_->stats();
    EXPECT_EQ(s.readers_total, 2);
    EXPECT_EQ(s.readers_in_use, 0);
    EXPECT_GE(s.write_transactions, 1u);
    // ping opens its own connection: it neither takes a pooled reader nor grows the pool.
    EXPECT_EQ(s.read_leases, leases_before);
    db_->read([&](Connection&) { EXPECT_EQ(db_->stats().readers_in_use, 1); });
    EXPECT_EQ(db_->stats().readers_in_use, 0);
    EXPECT_EQ(db_->stats().read_leases, leases_before + 1);
}

// ---------------------------------------------------------------------------------------------
// Transactions

TEST_F(DatabaseTest, WriteCommitsAndReturnsValue) {
    auto id = db_->write([](Connection& c) {
        return scalar_int(c, "INSERT INTO t (v, k) VALUES (?, ?) RETURNING id", {"one", 1});
    });
    ASSERT_TRUE(id);
    EXPECT_GT(*id, 0);
    EXPECT_EQ(count(*db_, "t"), 1);
    // A new connection to the same file sees the committed row too.
    auto other = Database::open("sqlite://" + path_, 1);
    EXPECT_EQ(count(*other, "t"), 1);
}

TEST_F(DatabaseTest, ExecReportsChangedRows) {
    db_->write([](Connection& c) {
        for (int i = 0; i < 5; ++i) exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"x", i});
        EXPECT_EQ(exec(c, "UPDATE t SET v = 'y' WHERE k >= ?", {2}), 3);
        EXPECT_EQ(exec(c, "DELETE FROM t WHERE k = ?", {99}), 0);
    });
}

TEST_F(DatabaseTest, WriteRollsBackEverythingWhenTheFunctionThrows) {
    db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (1, 'kept')"); });
    EXPECT_THROW(db_->write([](Connection& c) {
        exec(c, "INSERT INTO parent (id, name) VALUES (2, 'half')");
        exec(c, "INSERT INTO child (parent_id, note) VALUES (2, 'half')");
        exec(c, "UPDATE parent SET name = 'changed' WHERE id = 1");
        throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    EXPECT_EQ(count(*db_, "parent"), 1);
    EXPECT_EQ(count(*db_, "child"), 0);
    auto name = db_->read([](Connection& c) { return scalar_text(c, "SELECT name FROM parent WHERE id = 1"); });
    EXPECT_EQ(name.value_or(""), "kept");
    // The writer is usable again afterwards.
    db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (3, 'after')"); });
    EXPECT_EQ(count(*db_, "parent"), 2);
}

TEST_F(DatabaseTest, FailedStatementRollsBackEarlierStatementsOfTheTransaction) {
    db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (1, 'a')"); });
    EXPECT_THROW(db_->write([](Connection& c) {
        exec(c, "INSERT INTO t (v) VALUES ('before the failure')");
        exec(c, "INSERT INTO parent (id, name) VALUES (2, 'a')");  // unique violation
    }),
                 DbError);
    EXPECT_EQ(count(*db_, "t"), 0);
    EXPECT_EQ(count(*db_, "parent"), 1);
}

TEST_F(DatabaseTest, UncommittedWritesAreInvisibleToReaders) {
    db_->write([&](Connection& c) {
        exec(c, "INSERT INTO t (v) VALUES ('pending')");
        EXPECT_EQ(scalar_int(c, "SELECT COUNT(*) FROM t").value_or(-1), 1);
        EXPECT_EQ(count(*db_, "t"), 0) << "a reader saw an uncommitted row";
    });
    EXPECT_EQ(count(*db_, "t"), 1);
}

TEST_F(DatabaseTest, ExceptionFromNonVoidWriteRollsBack) {
    EXPECT_THROW(db_->write([](Connection& c) -> int {
        exec(c, "INSERT INTO t (v) VALUES ('x')");
        throw std::logic_error("bug");
    }),
                 std::logic_error);
    EXPECT_EQ(count(*db_, "t"), 0);
}

// ---------------------------------------------------------------------------------------------
// Typed constraint errors

TEST_F(DatabaseTest, UniqueViolationIsTyped) {
    db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (1, 'dup')"); });
    EXPECT_EQ(db_error_kind([&] {
                  db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (2, 'dup')"); });
              }),
              DbError::Kind::unique_violation);
    // A duplicate primary key is a unique violation as well.
    EXPECT_EQ(db_error_kind([&] {
                  db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (1, 'other')"); });
              }),
              DbError::Kind::unique_violation);
}

TEST_F(DatabaseTest, ForeignKeyViolationIsTyped) {
    EXPECT_EQ(db_error_kind([&] {
                  db_->write([](Connection& c) { exec(c, "INSERT INTO child (parent_id) VALUES (?)", {42}); });
              }),
              DbError::Kind::foreign_key_violation);
    EXPECT_EQ(count(*db_, "child"), 0);
    // Deleting a referenced parent is refused too.
    db_->write([](Connection& c) {
        exec(c, "INSERT INTO parent (id, name) VALUES (1, 'p')");
        exec(c, "INSERT INTO child (parent_id) VALUES (1)");
    });
    EXPECT_EQ(db_error_kind([&] { db_->write([](Connection& c) { exec(c, "DELETE FROM parent WHERE id = 1"); }); }),
              DbError::Kind::foreign_key_violation);
    EXPECT_EQ(count(*db_, "parent"), 1);
}

TEST_F(DatabaseTest, CheckViolationIsTyped) {
    db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (1, 'p')"); });
    EXPECT_EQ(db_error_kind([&] {
                  db_->write([](Connection& c) { exec(c, "INSERT INTO child (parent_id, n) VALUES (1, ?)", {-1}); });
              }),
              DbError::Kind::check_violation);
}

TEST_F(DatabaseTest, NotNullViolationIsAnOtherConstraintError) {
    EXPECT_EQ(db_error_kind([&] {
                  db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (1, ?)", {nullptr}); });
              }),
              DbError::Kind::other);
}

TEST_F(DatabaseTest, BadSqlThrowsDbErrorAndDoesNotPoisonTheConnection) {
    EXPECT_THROW(db_->read([](Connection& c) { return scalar_int(c, "SELEKT nonsense FROM nowhere"); }), DbError);
    EXPECT_THROW(db_->write([](Connection& c) { exec(c, "INSERT INTO no_such_table VALUES (1)"); }), DbError);
    EXPECT_TRUE(db_->ping());
    db_->write([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES ('fine')"); });
    EXPECT_EQ(count(*db_, "t"), 1);
}

TEST_F(DatabaseTest, TooManyParametersIsAnError) {
    EXPECT_THROW(db_->write([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES (?)", {"a", "b"}); }), DbError);
    EXPECT_EQ(count(*db_, "t"), 0);
}

// ---------------------------------------------------------------------------------------------
// Parameters are bound, never interpolated

TEST_F(DatabaseTest, HostileTextIsStoredVerbatimAndTablesSurvive) {
    const std::vector<std::string> hostile = {
        "'); DROP TABLE t; --",
        "x' OR '1'='1",
        "\"; DELETE FROM parent; --",
        "?",
        "?1 ?2 :name @x $y",
        std::string("nul\0byte", 8),
        "unicode: Kabupaten Tuban — ꦠꦸꦧꦤ꧀ 🏛️",
        "",
        std::string(100000, 'A'),
    };
    db_->write([&](Connection& c) {
        for (std::size_t i = 0; i < hostile.size(); ++i)
            exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {hostile[i], static_cast<int>(i)});
    });
    ASSERT_TRUE(table_exists(*db_, "t"));
    ASSERT_EQ(count(*db_, "t"), static_cast<std::int64_t>(hostile.size()));
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        auto got = db_->read(
            [&](Connection& c) { return scalar_text(c, "SELECT v FROM t WHERE k = ?", {static_cast<int>(i)}); });
        ASSERT_TRUE(got) << i;
        EXPECT_EQ(*got, hostile[i]) << "value " << i << " not stored verbatim";
    }
    // Looking a hostile value up by equality finds exactly that row.
    auto n = db_->read([&](Connection& c) {
        return scalar_int(c, "SELECT COUNT(*) FROM t WHERE v = ?", {std::string_view("x' OR '1'='1")});
    });
    EXPECT_EQ(n.value_or(-1), 1);
}

TEST_F(DatabaseTest, ValueKindsRoundTrip) {
    db_->write([](Connection& c) {
        c.exec_script("CREATE TABLE kinds (i INTEGER, r REAL, s TEXT, z TEXT)");
        exec(c, "INSERT INTO kinds VALUES (?, ?, ?, ?)",
             {static_cast<long long>(INT64_MAX), 2.5, std::optional<std::string>("opt"), std::optional<std::string>()});
        exec(c, "INSERT INTO kinds VALUES (?, ?, ?, ?)", {static_cast<long long>(INT64_MIN), -0.125, true, false});
    });
    db_->read([](Connection& c) {
        Query q(c, "SELECT i, r, s, z FROM kinds ORDER BY rowid");
        ASSERT_TRUE(q.next());
        EXPECT_EQ(q.integer(0), INT64_MAX);
        EXPECT_DOUBLE_EQ(q.real(1), 2.5);
        EXPECT_EQ(q.opt_text(2).value_or(""), "opt");
        EXPECT_TRUE(q.null(3));
        EXPECT_FALSE(q.opt_text(3));
        ASSERT_TRUE(q.next());
        EXPECT_EQ(q.integer(0), INT64_MIN);
        EXPECT_DOUBLE_EQ(q.real(1), -0.125);
        EXPECT_EQ(q.integer(2), 1);
        EXPECT_EQ(q.integer(3), 0);
        EXPECT_FALSE(q.next());
        EXPECT_FALSE(q.next()) << "stepping past the end must stay false";
    });
}

// ---------------------------------------------------------------------------------------------
// Statement cache

TEST_F(DatabaseTest, CachedStatementGivesCorrectResultsWithDifferentParameters) {
    db_->write([](Connection& c) {
        for (int i = 0; i < 10; ++i) exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"v" + std::to_string(i), i});
    });
    db_->read([](Connection& c) {
        const std::string_view sql = "SELECT v FROM t WHERE k = ?";
        for (int round = 0; round < 3; ++round) {
            for (int i = 9; i >= 0; --i) EXPECT_EQ(scalar_text(c, sql, {i}).value_or("?"), "v" + std::to_string(i));
            EXPECT_FALSE(scalar_text(c, sql, {100}));
        }
        // The same statement object is reused from the cache.
        EXPECT_EQ(&c.prepare(sql), &c.prepare(sql));
    });
}

TEST_F(DatabaseTest, CachedStatementAbandonedMidIterationStartsFresh) {
    db_->write([](Connection& c) {
        for (int i = 0; i < 5; ++i) exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"r", i});
    });
    db_->read([](Connection& c) {
        const std::string_view sql = "SELECT k FROM t WHERE k >= ? ORDER BY k";
        {
            Query q(c, sql, {0});
            ASSERT_TRUE(q.next());
            EXPECT_EQ(q.integer(0), 0);
            // abandoned after one row
        }
        Query q(c, sql, {3});
        std::vector<std::int64_t> got;
        while (q.next()) got.push_back(q.integer(0));
        EXPECT_EQ(got, (std::vector<std::int64_t>{3, 4}));
    });
}

TEST_F(DatabaseTest, CachedStatementDoesNotKeepOldBindings) {
    db_->write([](Connection& c) {
        exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"first", 1});
        // Second use binds only the first parameter: the second must be NULL, not the old 1.
        exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"second"});
    });
    auto null_k = db_->read(
        [](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM t WHERE v = 'second' AND k IS NULL"); });
    EXPECT_EQ(null_k.value_or(-1), 1);
}

TEST_F(DatabaseTest, StatementErrorLeavesCachedStatementReusable) {
    db_->write([](Connection& c) { exec(c, "INSERT INTO parent (id, name) VALUES (1, 'a')"); });
    const std::string_view sql = "INSERT INTO parent (id, name) VALUES (?, ?)";
    EXPECT_THROW(db_->write([&](Connection& c) { exec(c, sql, {2, "a"}); }), DbError);
    db_->write([&](Connection& c) { EXPECT_EQ(exec(c, sql, {2, "b"}), 1); });
    EXPECT_EQ(count(*db_, "parent"), 2);
}

// ---------------------------------------------------------------------------------------------
// Concurrency

TEST_F(DatabaseTest, ConcurrentReadersWhileAWriterInserts) {
    constexpr int kTransactions = 150;
    std::atomic<bool> done{false};
    std::atomic<int> errors{0};
    std::atomic<long> reads{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 4; ++r) {
        readers.emplace_back([&] {
            std::int64_t last = 0;
            while (!done.load()) {
                try {
                    auto [n, sum] = db_->read([](Connection& c) {
                        Query q(c, "SELECT COUNT(*), COALESCE(SUM(k), 0) FROM t");
                        q.next();
                        auto out = std::make_pair(q.integer(0), q.integer(1));
                        while (q.next()) {
                        }
                        return out;
                    });
                    // Each transaction inserts k = +1 and k = -1: a reader never sees half of one.
                    if (n % 2 != 0 || sum != 0) ++errors;
                    if (n < last) ++errors;  // counts never go backwards
                    last = n;
                    ++reads;
                } catch (...) {
                    ++errors;
                }
            }
        });
    }
    try {
        for (int i = 0; i < kTransactions; ++i) {
            db_->write([&](Connection& c) {
                exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"plus", 1});
                exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"minus", -1});
            });
        }
    } catch (...) {
        ++errors;
    }
    done = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_GT(reads.load(), 0);
    EXPECT_EQ(count(*db_, "t"), 2 * kTransactions);
    EXPECT_EQ(db_->stats().readers_in_use, 0);
}

TEST_F(DatabaseTest, ConcurrentWritersAreSerialised) {
    std::vector<std::thread> writers;
    std::atomic<int> errors{0};
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < 25; ++i) {
                try {
                    db_->write([&](Connection& c) {
                        auto n = scalar_int(c, "SELECT COALESCE(MAX(k), 0) FROM t").value_or(0);
                        exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"w" + std::to_string(w), n + 1});
                    });
                } catch (...) {
                    ++errors;
                }
            }
        });
    }
    for (auto& t : writers) t.join();
    EXPECT_EQ(errors.load(), 0);
    // Read-modify-write under the writer lock: k is 1..100 without duplicates.
    EXPECT_EQ(db_->read([](Connection& c) { return scalar_int(c, "SELECT COUNT(DISTINCT k) FROM t"); }).value_or(0),
              100);
    EXPECT_EQ(db_->read([](Connection& c) { return scalar_int(c, "SELECT MAX(k) FROM t"); }).value_or(0), 100);
}

// ---------------------------------------------------------------------------------------------
// Group commit

// Holds the writer inside a first write until `waiting` more writes are queued behind it, so
// those are committed together as one group (deterministic, no sleeps).
class Gate {
public:
    void hold(Database& db) {
        holder_ = std::thread([&] {
            db.write([&](Connection& c) {
                exec(c, "INSERT INTO t (v, k) VALUES ('gate', 0)");
                std::unique_lock lock(mu_);
                entered_ = true;
                cv_.notify_all();
                cv_.wait(lock, [&] { return open_; });
            });
        });
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return entered_; });
    }
    void release() {
        {
            std::lock_guard lock(mu_);
            open_ = true;
        }
        cv_.notify_all();
        holder_.join();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool entered_ = false;
    bool open_ = false;
    std::thread holder_;
};

// Waits (up to 10 s) until n write() calls are queued behind the running group.
void wait_queued(Database& db, std::size_t n) {
    for (int i = 0; i < 100000 && db.stats().writes_waiting < n; ++i)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    ASSERT_EQ(db.stats().writes_waiting, n);
}

TEST_F(DatabaseTest, ConcurrentWritesAreCommittedTogetherAndEachSeesItsOwnResult) {
    const auto before = db_->stats();
    Gate gate;
    gate.hold(*db_);
    constexpr int kWriters = 16;
    std::vector<std::thread> writers;
    std::vector<std::int64_t> ids(kWriters, 0);
    std::vector<std::int64_t> visible(kWriters, 0);
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            ids[w] = db_->write([&](Connection& c) {
                exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"w", w});
                return scalar_int(c, "SELECT last_insert_rowid()").value_or(-1);
            });
            // Acknowledged means committed: a reader sees the row the moment write() returns.
            visible[w] = db_->read([&](Connection& c) {
                return scalar_int(c, "SELECT COUNT(*) FROM t WHERE id = ? AND k = ?", {ids[w], w}).value_or(0);
            });
        });
    }
    wait_queued(*db_, kWriters);
    gate.release();
    for (auto& t : writers) t.join();
    const auto after = db_->stats();
    EXPECT_EQ(after.write_jobs - before.write_jobs, kWriters + 1u);
    // The gate's write, then the 16 queued behind it in one group.
    EXPECT_EQ(after.write_transactions - before.write_transactions, 2u);
    EXPECT_EQ(after.largest_batch, static_cast<std::uint64_t>(kWriters));
    std::set<std::int64_t> distinct(ids.begin(), ids.end());
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kWriters));
    for (int w = 0; w < kWriters; ++w) EXPECT_EQ(visible[w], 1) << "writer " << w;
    EXPECT_EQ(count(*db_, "t"), kWriters + 1);
}

TEST_F(DatabaseTest, AFailingWriteInAGroupRollsBackAloneAndTheOthersCommit) {
    Gate gate;
    gate.hold(*db_);
    constexpr int kWriters = 9;  // writer 4 fails after one insert; writer 6 violates a constraint
    std::vector<std::thread> writers;
    std::vector<std::string> outcome(kWriters);
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            try {
                db_->write([&](Connection& c) {
                    exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"w", w});
                    if (w == 4) throw std::runtime_error("writer 4 gives up");
                    if (w == 6) exec(c, "INSERT INTO child (parent_id, note) VALUES (424242, 'orphan')");
                    exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"w2", w});
                });
                outcome[w] = "ok";
            } catch (const DbError& e) {
                outcome[w] = e.kind() == DbError::Kind::foreign_key_violation ? "fk" : "dberror";
            } catch (const std::runtime_error& e) {
                outcome[w] = e.what();
            }
        });
    }
    wait_queued(*db_, kWriters);
    gate.release();
    for (auto& t : writers) t.join();
    EXPECT_EQ(db_->stats().largest_batch, static_cast<std::uint64_t>(kWriters));
    for (int w = 0; w < kWriters; ++w) {
        const auto rows = db_->read([&](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM t WHERE k = ?", {w}).value_or(-1); });
        if (w == 4) {
            EXPECT_EQ(outcome[w], "writer 4 gives up");
            EXPECT_EQ(rows, 0) << "the failed write's first insert must be rolled back";
        } else if (w == 6) {
            EXPECT_EQ(outcome[w], "fk");
            EXPECT_EQ(rows, 0);
        } else {
            EXPECT_EQ(outcome[w], "ok") << "writer " << w;
            EXPECT_EQ(rows, w == 0 ? 3 : 2) << "writer " << w;  // k = 0 also counts the gate's row
        }
    }
    EXPECT_EQ(count(*db_, "child"), 0);
}

// A connection that behaves like SQLite after a storage error (disk full, I/O error): the
// backend has already rolled the whole transaction back, so ROLLBACK TO SAVEPOINT fails.
class BreakingConnection : public Connection {
public:
    BreakingConnection(std::unique_ptr<Connection> inner, std::atomic<bool>& armed) : inner_(std::move(inner)), armed_(armed) {}
    Statement& prepare(std::string_view sql) override {
        if (sql.rfind("ROLLBACK TO", 0) == 0 && armed_.exchange(false)) {
            inner_->rollback();
            throw DbError(DbError::Kind::other, "cannot rollback - no transaction is active");
        }
        return inner_->prepare(sql);
    }
    void exec_script(std::string_view sql) override { inner_->exec_script(sql); }
    void begin(bool write) override { inner_->begin(write); }
    void commit() override { inner_->commit(); }
    void rollback() override { inner_->rollback(); }
    Dialect dialect() const override { return inner_->dialect(); }
    std::int64_t changes() const override { return inner_->changes(); }

private:
    std::unique_ptr<Connection> inner_;
    std::atomic<bool>& armed_;
};

TEST_F(DatabaseTest, AStorageErrorInAGroupFailsTheWritesBeforeItAndRunsTheRestAgain) {
    std::atomic<bool> armed{false};
    const std::string path = path_;
    Database db([&, path](bool writer) -> std::unique_ptr<Connection> {
        auto c = open_sqlite(path, writer);
        if (!writer) return c;
        return std::make_unique<BreakingConnection>(std::move(c), armed);
    }, 1, Dialect::sqlite);
    Gate gate;
    gate.hold(db);
    constexpr int kWriters = 6;  // writer 2 hits the "storage error"
    std::vector<std::thread> writers;
    std::vector<std::string> outcome(kWriters);
    for (int w = 0; w < kWriters; ++w) {
        // One at a time into the queue, so the group's order is 0..5.
        writers.emplace_back([&, w] {
            try {
                db.write([&](Connection& c) {
                    exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"s", 100 + w});
                    if (w == 2) {
                        armed = true;
                        throw DbError(DbError::Kind::unavailable, "database or disk is full");
                    }
                });
                outcome[w] = "ok";
            } catch (const DbError& e) {
                outcome[w] = e.what();
            }
        });
        wait_queued(db, static_cast<std::size_t>(w + 1));
    }
    gate.release();
    for (auto& t : writers) t.join();
    EXPECT_EQ(outcome[2], "database or disk is full");
    for (int w : {0, 1}) {
        EXPECT_NE(outcome[w].find("rolled back with its group"), std::string::npos) << w << ": " << outcome[w];
    }
    for (int w : {3, 4, 5}) EXPECT_EQ(outcome[w], "ok") << "writer " << w << " ran again in a new group";
    for (int w = 0; w < kWriters; ++w) {
        const auto rows = db.read([&](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM t WHERE k = ?", {100 + w}).value_or(-1); });
        EXPECT_EQ(rows, w >= 3 ? 1 : 0) << "writer " << w;
    }
}

TEST_F(DatabaseTest, WriteReturnsMoveOnlyValues) {
    auto p = db_->write([](Connection& c) {
        exec(c, "INSERT INTO t (v) VALUES ('m')");
        return std::make_unique<std::string>("moved");
    });
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, "moved");
}

TEST_F(DatabaseTest, ManyConcurrentWritersAllCommitAndAreCounted) {
    const auto before = db_->stats();
    constexpr int kThreads = 8, kEach = 50;
    std::vector<std::thread> writers;
    std::atomic<int> errors{0};
    for (int w = 0; w < kThreads; ++w)
        writers.emplace_back([&, w] {
            for (int i = 0; i < kEach; ++i) {
                try {
                    db_->write([&](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES (?, ?)", {"m", w * 1000 + i}); });
                } catch (...) {
                    ++errors;
                }
            }
        });
    for (auto& t : writers) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(count(*db_, "t"), kThreads * kEach);
    const auto after = db_->stats();
    EXPECT_EQ(after.write_jobs - before.write_jobs, static_cast<std::uint64_t>(kThreads * kEach));
    EXPECT_LE(after.write_transactions - before.write_transactions, static_cast<std::uint64_t>(kThreads * kEach));
}

// ---------------------------------------------------------------------------------------------
// write_async

// Collects write_async outcomes; wait_for(n) blocks (up to 10 s) until n have arrived.
struct Outcomes {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::pair<int, std::string>> got;  // (writer, "ok:<value>" or the error's text)
    std::vector<std::int64_t> visible;             // rows a reader saw from inside the completion
    void add(int w, std::string what, std::int64_t seen = -1) {
        std::lock_guard lock(mu);
        got.emplace_back(w, std::move(what));
        visible.push_back(seen);
        cv.notify_all();
    }
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= n; });
    }
    std::string of(int w) {
        std::lock_guard lock(mu);
        for (const auto& [k, v] : got)
            if (k == w) return v;
        return "(none)";
    }
};

TEST_F(DatabaseTest, WriteAsyncCompletesAfterTheCommitWithTheValue) {
    Outcomes out;
    db_->write_async(
        [](Connection& c) {
            exec(c, "INSERT INTO t (v, k) VALUES ('async', 7)");
            return scalar_int(c, "SELECT last_insert_rowid()").value_or(-1);
        },
        [&](Outcome<std::int64_t> o) {
            try {
                const auto id = o.get();
                // Completed means committed: another connection sees the row already.
                const auto seen = db_->read([&](Connection& c) {
                    return scalar_int(c, "SELECT COUNT(*) FROM t WHERE id = ? AND k = 7", {id}).value_or(0);
                });
                out.add(0, "ok:" + std::to_string(id), seen);
            } catch (const std::exception& e) {
                out.add(0, e.what());
            }
        });
    ASSERT_TRUE(out.wait_for(1));
    EXPECT_EQ(out.of(0).rfind("ok:", 0), 0u) << out.of(0);
    EXPECT_EQ(out.visible[0], 1);
    EXPECT_EQ(count(*db_, "t"), 1);
}

TEST_F(DatabaseTest, WriteAsyncCallsAreGroupedAndAFailingOneRollsBackAlone) {
    const auto before = db_->stats();
    Gate gate;
    gate.hold(*db_);
    constexpr int kWriters = 12;  // writer 3 throws after an insert; writer 8 breaks a constraint
    Outcomes out;
    for (int w = 0; w < kWriters; ++w) {
        db_->write_async(
            [w](Connection& c) {
                exec(c, "INSERT INTO t (v, k) VALUES ('a', ?)", {w});
                if (w == 3) throw std::runtime_error("writer 3 gives up");
                if (w == 8) exec(c, "INSERT INTO child (parent_id) VALUES (99999)");
            },
            [&out, w](Outcome<void> o) {
                try {
                    o.get();
                    out.add(w, "ok");
                } catch (const DbError& e) {
                    out.add(w, e.kind() == DbError::Kind::foreign_key_violation ? "fk" : e.what());
                } catch (const std::exception& e) {
                    out.add(w, e.what());
                }
            });
    }
    // Nothing is completed while the group before them is still open.
    EXPECT_EQ(db_->stats().writes_waiting, static_cast<std::size_t>(kWriters));
    EXPECT_TRUE(out.got.empty());
    gate.release();
    ASSERT_TRUE(out.wait_for(kWriters));
    const auto after = db_->stats();
    EXPECT_EQ(after.write_transactions - before.write_transactions, 2u) << "the gate, then all async writes in one group";
    EXPECT_EQ(after.largest_batch, static_cast<std::uint64_t>(kWriters));
    for (int w = 0; w < kWriters; ++w) {
        const auto rows = db_->read([&](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM t WHERE k = ? AND v = 'a'", {w}).value_or(-1); });
        if (w == 3) {
            EXPECT_EQ(out.of(w), "writer 3 gives up");
            EXPECT_EQ(rows, 0);
        } else if (w == 8) {
            EXPECT_EQ(out.of(w), "fk");
            EXPECT_EQ(rows, 0);
        } else {
            EXPECT_EQ(out.of(w), "ok") << w;
            EXPECT_EQ(rows, 1) << w;
        }
    }
}

TEST_F(DatabaseTest, WriteAndWriteAsyncShareTheQueueInOrder) {
    Gate gate;
    gate.hold(*db_);
    Outcomes out;
    std::vector<std::thread> sync;
    // Queue: async 0, sync 1, async 2, sync 3 (each queued before the next).
    for (int w = 0; w < 4; ++w) {
        if (w % 2 == 0) {
            db_->write_async([w](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('mix', ?)", {w}); },
                             [&out, w](Outcome<void> o) {
                                 try {
                                     o.get();
                                     out.add(w, "ok");
                                 } catch (const std::exception& e) {
                                     out.add(w, e.what());
                                 }
                             });
        } else {
            sync.emplace_back([&, w] {
                db_->write([&](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('mix', ?)", {w}); });
                out.add(w, "ok");
            });
        }
        wait_queued(*db_, static_cast<std::size_t>(w + 1));
    }
    gate.release();
    for (auto& t : sync) t.join();
    ASSERT_TRUE(out.wait_for(4));
    for (int w = 0; w < 4; ++w) EXPECT_EQ(out.of(w), "ok") << w;
    // Run in queue order: ids follow the order of arrival.
    const auto order = db_->read([&](Connection& c) {
        std::string s;
        Query q(c, "SELECT k FROM t WHERE v = 'mix' ORDER BY id");
        while (q.next()) s += std::to_string(q.integer(0));
        return s;
    });
    EXPECT_EQ(order, "0123");
    // Later writes of both kinds still work (the lead went back to whoever arrives).
    db_->write([](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('after', 1)"); });
    db_->write_async([](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('after', 2)"); },
                     [&out](Outcome<void> o) { out.add(9, o.error ? "error" : "ok"); });
    ASSERT_TRUE(out.wait_for(5));
    EXPECT_EQ(out.of(9), "ok");
    EXPECT_EQ(count(*db_, "t"), 7);
}

TEST_F(DatabaseTest, WriteFromAWriteAsyncCompletionIsRefusedNotADeadlock) {
    Outcomes out;
    db_->write_async([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES ('x')"); },
                     [&](Outcome<void>) {
                         try {
                             db_->write([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES ('nested')"); });
                             out.add(0, "wrote");
                         } catch (const std::logic_error& e) {
                             out.add(0, "refused");
                         }
                     });
    ASSERT_TRUE(out.wait_for(1));
    EXPECT_EQ(out.of(0), "refused");
    EXPECT_EQ(count(*db_, "t"), 1);
}

TEST_F(DatabaseTest, ClosingTheDatabaseCompletesEveryQueuedAsyncWrite) {
    Outcomes out;
    {
        Gate gate;
        gate.hold(*db_);
        for (int w = 0; w < 20; ++w)
            db_->write_async([w](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('close', ?)", {w}); },
                             [&out, w](Outcome<void> o) { out.add(w, o.error ? "error" : "ok"); });
        std::thread closer([&] { gate.release(); });
        closer.join();
        db_.reset();  // joins the writer thread once the queue is empty
    }
    EXPECT_EQ(out.got.size(), 20u);
    for (int w = 0; w < 20; ++w) EXPECT_EQ(out.of(w), "ok") << w;
    db_ = Database::open("sqlite://" + path_, 1);
    EXPECT_EQ(count(*db_, "t"), 21);
}

TEST_F(DatabaseTest, ManyThreadsMixingWriteAndWriteAsyncAllCommit) {
    constexpr int kThreads = 6, kEach = 40;
    Outcomes out;
    std::atomic<int> sync_ok{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kThreads; ++w)
        threads.emplace_back([&, w] {
            for (int i = 0; i < kEach; ++i) {
                const int k = w * 1000 + i;
                if ((w + i) % 2) {
                    db_->write([&](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('m', ?)", {k}); });
                    ++sync_ok;
                } else {
                    db_->write_async([k](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('m', ?)", {k}); },
                                     [&out, k](Outcome<void> o) { out.add(k, o.error ? "error" : "ok"); });
                }
            }
        });
    for (auto& t : threads) t.join();
    ASSERT_TRUE(out.wait_for(kThreads * kEach / 2));
    EXPECT_EQ(sync_ok.load(), kThreads * kEach / 2);
    for (const auto& [k, v] : out.got) EXPECT_EQ(v, "ok") << k;
    EXPECT_EQ(count(*db_, "t"), kThreads * kEach);
}

// ---------------------------------------------------------------------------------------------
// Deferred sync (SQLite's writer in WAL mode: commits are made durable by sync_log())

// Forwards to a real connection and records, in order, each commit and each sync of the log; a
// sync can be made to fail.
class SyncRecorder : public Connection {
public:
    SyncRecorder(std::unique_ptr<Connection> inner, std::vector<std::string>& log, std::mutex& mu, std::atomic<bool>& fail)
        : inner_(std::move(inner)), log_(log), mu_(mu), fail_(fail) {}
    Statement& prepare(std::string_view sql) override { return inner_->prepare(sql); }
    void exec_script(std::string_view sql) override { inner_->exec_script(sql); }
    void begin(bool write) override { inner_->begin(write); }
    void commit() override {
        inner_->commit();
        std::lock_guard lock(mu_);
        log_.push_back("commit");
    }
    void rollback() override { inner_->rollback(); }
    Dialect dialect() const override { return inner_->dialect(); }
    std::int64_t changes() const override { return inner_->changes(); }
    bool deferred_sync() const override { return inner_->deferred_sync(); }
    void sync_log() override {
        if (fail_) throw DbError(DbError::Kind::unavailable, "EIO");
        inner_->sync_log();
        std::lock_guard lock(mu_);
        log_.push_back("sync");
    }

private:
    std::unique_ptr<Connection> inner_;
    std::vector<std::string>& log_;
    std::mutex& mu_;
    std::atomic<bool>& fail_;
};

TEST_F(DatabaseTest, TheSqliteWriterCommitsWithoutSyncAndEveryWriteWaitsForTheLogSync) {
    // The writer of a WAL database commits with synchronous=NORMAL and syncs the log itself.
    auto conn = open_sqlite(path_, true);
    EXPECT_TRUE(conn->deferred_sync());
    EXPECT_EQ(scalar_int(*conn, "PRAGMA synchronous").value_or(-1), 1);
    conn->sync_log();  // callable at any time
    auto reader = open_sqlite(path_, false);
    EXPECT_FALSE(reader->deferred_sync());
    EXPECT_EQ(scalar_int(*reader, "PRAGMA synchronous").value_or(-1), 2);

    std::vector<std::string> log;
    std::mutex mu;
    std::atomic<bool> fail{false};
    Database db([&](bool writer) -> std::unique_ptr<Connection> {
        auto c = open_sqlite(path_, writer);
        if (!writer) return c;
        return std::make_unique<SyncRecorder>(std::move(c), log, mu, fail);
    }, 1, Dialect::sqlite);
    auto synced_after_last_commit = [&] {
        std::lock_guard lock(mu);
        auto c = std::find(log.rbegin(), log.rend(), "commit");
        auto s = std::find(log.rbegin(), log.rend(), "sync");
        return c != log.rend() && s != log.rend() && s < c;  // the sync came after the commit
    };
    db.write([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES ('one')"); });
    EXPECT_TRUE(synced_after_last_commit()) << "write() returned before the log was synced";
    Outcomes out;
    db.write_async([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES ('two')"); },
                   [&](Outcome<void> o) { out.add(0, o.error ? "error" : "ok", synced_after_last_commit() ? 1 : 0); });
    ASSERT_TRUE(out.wait_for(1));
    EXPECT_EQ(out.of(0), "ok");
    EXPECT_EQ(out.visible[0], 1) << "completed before the log was synced";

    // A failed sync: the write is not acknowledged, and nothing after it is (the OS may have
    // dropped pages a later sync would not report).
    fail = true;
    EXPECT_EQ(db_error_kind([&] { db.write([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES ('three')"); }); }),
              DbError::Kind::unavailable);
    fail = false;
    EXPECT_EQ(db_error_kind([&] { db.write([](Connection& c) { exec(c, "INSERT INTO t (v) VALUES ('four')"); }); }),
              DbError::Kind::unavailable);
    EXPECT_EQ(db_error_kind([&] {
                  db.write_async([](Connection&) {}, [](Outcome<void>) {});
              }),
              DbError::Kind::unavailable);
    EXPECT_EQ(db.read([](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM t WHERE v = 'four'").value_or(-1); }), 0);
}

TEST_F(DatabaseTest, TheLogIsSyncedAgainAfterItWasRemovedAndMadeAnew) {
    // The writer's own descriptor of the log follows a new log file (all connections closed and
    // the database opened again removes and recreates it).
    db_.reset();
    for (int round = 0; round < 2; ++round) {
        db_ = Database::open("sqlite://" + path_, 1);
        db_->write([&](Connection& c) { exec(c, "INSERT INTO t (v, k) VALUES ('round', ?)", {round}); });
        db_.reset();
    }
    db_ = Database::open("sqlite://" + path_, 1);
    EXPECT_EQ(count(*db_, "t"), 2);
}

// ---------------------------------------------------------------------------------------------
// Migrator

std::vector<std::string> applied_versions(Database& db, const std::string& module) {
    return db.read([&](Connection& c) {
        std::vector<std::string> out;
        Query q(c, "SELECT version, name, applied_at FROM schema_migrations WHERE module = ? ORDER BY version",
                {module});
        while (q.next()) out.push_back(std::to_string(q.integer(0)) + ":" + q.text(1) + "@" + q.text(2));
        return out;
    });
}

TEST_F(DatabaseTest, MigrateAppliesInVersionOrderAndRecordsEachMigration) {
    // Listed out of order on purpose: 2 depends on 1, 3 on 2.
    ModuleMigrations m{"shop",
                       {{3, "seed", "INSERT INTO item (label, data) VALUES ('first', x'00ff');"},
                        {1, "item", "CREATE TABLE item (id {{id}}, label TEXT NOT NULL);"},
                        {2, "data", "ALTER TABLE item ADD COLUMN data {{blob}};"}}};
    auto report = migrate(*db_, {m}, 1000);
    EXPECT_EQ(report.applied, 3);
    EXPECT_EQ(report.already, 0);
    EXPECT_EQ(report.applied_names, (std::vector<std::string>{"shop/0001_item", "shop/0002_data", "shop/0003_seed"}));
    EXPECT_EQ(applied_versions(*db_, "shop"), (std::vector<std::string>{"1:item@1000", "2:data@1000", "3:seed@1000"}));
    EXPECT_EQ(count(*db_, "item"), 1);
    // {{id}} became an auto-increment key.
    auto sql =
        db_->read([](Connection& c) { return scalar_text(c, "SELECT sql FROM sqlite_master WHERE name = 'item'"); });
    EXPECT_NE(sql.value_or("").find("AUTOINCREMENT"), std::string::npos);
}

TEST_F(DatabaseTest, SecondMigrateRunAppliesNothing) {
    ModuleMigrations a{"a", {{1, "one", "CREATE TABLE a1 (x INTEGER);"}, {2, "two", "INSERT INTO a1 VALUES (7);"}}};
    ModuleMigrations b{"b", {{1, "one", "CREATE TABLE b1 (x INTEGER);"}}};
    auto first = migrate(*db_, {a, b}, 1);
    EXPECT_EQ(first.applied, 3);
    auto second = migrate(*db_, {a, b}, 2);
    EXPECT_EQ(second.applied, 0);
    EXPECT_EQ(second.already, 3);
    EXPECT_TRUE(second.applied_names.empty());
    EXPECT_EQ(count(*db_, "a1"), 1) << "a data migration ran twice";
    // A new migration added later is the only one applied.
    a.migrations.push_back({3, "three", "INSERT INTO a1 VALUES (8);"});
    auto third = migrate(*db_, {a, b}, 3);
    EXPECT_EQ(third.applied, 1);
    EXPECT_EQ(third.applied_names, std::vector<std::string>{"a/0003_three"});
    EXPECT_EQ(count(*db_, "a1"), 2);
}

TEST_F(DatabaseTest, SameVersionInDifferentModulesIsIndependent) {
    ModuleMigrations a{"alpha", {{1, "x", "CREATE TABLE ax (x INTEGER);"}}};
    ModuleMigrations b{"beta", {{1, "x", "CREATE TABLE bx (x INTEGER);"}}};
    EXPECT_EQ(migrate(*db_, {a}, 1).applied, 1);
    EXPECT_EQ(migrate(*db_, {a, b}, 2).applied, 1);
    EXPECT_TRUE(table_exists(*db_, "bx"));
}

TEST_F(DatabaseTest, FailingMigrationLeavesNoPartialTableAndNoRecord) {
    ModuleMigrations m{"bad",
                       {{1, "ok", "CREATE TABLE good (x INTEGER);"},
                        {2, "broken",
                         "CREATE TABLE partial (x INTEGER);"
                         "INSERT INTO good VALUES (1);"
                         "INSERT INTO does_not_exist VALUES (1);"},
                        {3, "later", "CREATE TABLE later (x INTEGER);"}}};
    EXPECT_THROW(migrate(*db_, {m}, 5), DbError);
    EXPECT_TRUE(table_exists(*db_, "good"));
    EXPECT_FALSE(table_exists(*db_, "partial")) << "half of a failed migration was kept";
    EXPECT_FALSE(table_exists(*db_, "later")) << "a migration after the failed one ran";
    EXPECT_EQ(count(*db_, "good"), 0);
    EXPECT_EQ(applied_versions(*db_, "bad"), std::vector<std::string>{"1:ok@5"});

    // Fixed and re-run: only 2 and 3 are applied.
    m.migrations[1].sql = "CREATE TABLE partial (x INTEGER);";
    auto r = migrate(*db_, {m}, 6);
    EXPECT_EQ(r.applied, 2);
    EXPECT_EQ(r.already, 1);
    EXPECT_TRUE(table_exists(*db_, "partial"));
}

TEST_F(DatabaseTest, MigrationNumberingGapThrowsAndAppliesNothingOfThatModule) {
    ModuleMigrations gap{"gap",
                         {{1, "one", "CREATE TABLE g1 (x INTEGER);"}, {3, "three", "CREATE TABLE g3 (x INTEGER);"}}};
    EXPECT_THROW(migrate(*db_, {gap}, 1), std::logic_error);
    EXPECT_FALSE(table_exists(*db_, "g1"));
    EXPECT_FALSE(table_exists(*db_, "g3"));

    ModuleMigrations dup{"dup", {{1, "a", "CREATE TABLE d1 (x INTEGER);"}, {1, "b", "CREATE TABLE d2 (x INTEGER);"}}};
    EXPECT_THROW(migrate(*db_, {dup}, 1), std::logic_error);
    EXPECT_FALSE(table_exists(*db_, "d1"));

    ModuleMigrations zero{"zero", {{0, "z", "CREATE TABLE z0 (x INTEGER);"}}};
    EXPECT_THROW(migrate(*db_, {zero}, 1), std::logic_error);

    ModuleMigrations negative{"neg", {{-1, "n", "CREATE TABLE n0 (x INTEGER);"}, {1, "a", "SELECT 1;"}}};
    EXPECT_THROW(migrate(*db_, {negative}, 1), std::logic_error);
    EXPECT_FALSE(table_exists(*db_, "n0"));
}

TEST_F(DatabaseTest, MigrateWithNoModulesCreatesOnlyTheBookkeepingTable) {
    auto r = migrate(*db_, {}, 1);
    EXPECT_EQ(r.applied, 0);
    EXPECT_TRUE(table_exists(*db_, "schema_migrations"));
    EXPECT_EQ(count(*db_, "schema_migrations"), 0);
}

TEST(ApplyDialect, ReplacesTokensForSqlite) {
    EXPECT_EQ(apply_dialect("CREATE TABLE x (id {{id}}, b {{blob}}, c {{blob}})", Dialect::sqlite),
              "CREATE TABLE x (id INTEGER PRIMARY KEY AUTOINCREMENT, b BLOB, c BLOB)");
}

TEST(ApplyDialect, ReplacesTokensForPostgres) {
    EXPECT_EQ(apply_dialect("CREATE TABLE x (id {{id}}, b {{blob}}); CREATE TABLE y (id {{id}})", Dialect::postgres),
              "CREATE TABLE x (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, b BYTEA);"
              " CREATE TABLE y (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)");
}

TEST(ApplyDialect, LeavesOtherTextAlone) {
    const std::string sql = "SELECT '{{ id }}', '{id}', '{{ID}}', '{{blobs' FROM t";
    EXPECT_EQ(apply_dialect(sql, Dialect::sqlite), sql);
    EXPECT_EQ(apply_dialect(sql, Dialect::postgres), sql);
    EXPECT_EQ(apply_dialect("", Dialect::sqlite), "");
    // A token inside a token is not re-expanded.
    EXPECT_EQ(apply_dialect("{{{{id}}}}", Dialect::sqlite), "{{INTEGER PRIMARY KEY AUTOINCREMENT}}");
}

// ---------------------------------------------------------------------------------------------
// open()

TEST(DatabaseOpen, UnknownSchemeThrowsInvalidArgument) {
    for (const std::string url : {"", "mysql://localhost/db", "sqlite:", "sqlite:/x.db", "SQLITE:///tmp/x.db",
                                  "file:///tmp/x.db", "/tmp/x.db", " sqlite:///tmp/x.db"}) {
        EXPECT_THROW(Database::open(url, 1), std::invalid_argument) << url;
    }
}

TEST(DatabaseOpen, EmptySqlitePathThrowsInvalidArgument) {
    EXPECT_THROW(Database::open("sqlite://", 1), std::invalid_argument);
}

TEST(DatabaseOpen, PostgresSaysNotBuiltYet) {
    for (const std::string url : {"postgresql://u@localhost/gapura", "postgres://localhost/gapura"}) {
        try {
            Database::open(url, 1);
            ADD_FAILURE() << "expected invalid_argument for " << url;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("not built yet"), std::string::npos) << e.what();
        }
    }
}

TEST(DatabaseOpen, UnknownSchemeMessageNamesTheSetting) {
    try {
        Database::open("redis://x", 1);
        ADD_FAILURE() << "expected invalid_argument";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("GAPURA_DATABASE"), std::string::npos) << e.what();
    }
}

TEST(DatabaseOpen, UnopenablePathThrowsDbErrorUnavailable) {
    auto dir = unique_dir("gapura-db-missing");
    fs::remove_all(dir);
    const std::string url = "sqlite://" + (dir / "no" / "such" / "dir" / "x.db").string();
    try {
        Database::open(url, 1);
        ADD_FAILURE() << "expected DbError";
    } catch (const DbError& e) {
        EXPECT_EQ(e.kind(), DbError::Kind::unavailable);
    }
}

TEST(DatabaseOpen, InMemoryPathIsRefusedOrShared) {
    // ":memory:" gives every connection its own empty database: readers would never see what
    // the writer wrote. open() must either refuse it or make the connections share one database.
    std::unique_ptr<Database> db;
    try {
        db = Database::open("sqlite://:memory:", 2);
    } catch (const std::invalid_argument&) {
        SUCCEED();
        return;
    }
    db->write([](Connection& c) {
        c.exec_script("CREATE TABLE m (x INTEGER)");
        exec(c, "INSERT INTO m VALUES (1)");
    });
    std::optional<std::int64_t> n;
    try {
        n = db->read([](Connection& c) { return scalar_int(c, "SELECT COUNT(*) FROM m"); });
    } catch (const DbError&) {
    }
    if (!n)
        GTEST_SKIP() << "bug: Database::open(\"sqlite://:memory:\") (database.cpp) is accepted, but each reader "
                        "connection opens its own empty in-memory database, so reads fail with 'no such table'";
    EXPECT_EQ(*n, 1);
}

TEST(DatabaseOpen, ZeroOrNegativeReadersStillGivesOneReader) {
    auto dir = unique_dir("gapura-db-readers");
    fs::create_directories(dir);
    {
        auto db = Database::open("sqlite://" + (dir / "r.db").string(), 0);
        EXPECT_EQ(db->stats().readers_total, 1);
        EXPECT_TRUE(db->ping());
        auto db2 = Database::open("sqlite://" + (dir / "r2.db").string(), -5);
        EXPECT_EQ(db2->stats().readers_total, 1);
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace gapura::core::db
