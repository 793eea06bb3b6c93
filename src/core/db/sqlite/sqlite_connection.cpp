#include "core/db/sqlite/sqlite_connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <cstring>
#include <filesystem>
#include <unordered_map>

namespace gapura::core::db {

namespace {

DbError::Kind classify(int rc) {
    switch (rc & 0xFF) {
        case SQLITE_CONSTRAINT:
            if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                return DbError::Kind::unique_violation;
            if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return DbError::Kind::foreign_key_violation;
            if (rc == SQLITE_CONSTRAINT_CHECK) return DbError::Kind::check_violation;
            return DbError::Kind::other;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return DbError::Kind::busy;
        case SQLITE_CANTOPEN:
        case SQLITE_IOERR:
        case SQLITE_FULL:
            return DbError::Kind::unavailable;
        default:
            return DbError::Kind::other;
    }
}

class SqliteStatement final : public Statement {
public:
    SqliteStatement(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
    ~SqliteStatement() override { sqlite3_finalize(st_); }

    void reset() {
        sqlite3_reset(st_);
        sqlite3_clear_bindings(st_);
        done_ = false;
    }

    void bind(int i, const Value& v) override {
        int rc = SQLITE_OK;
        switch (v.kind()) {
            case Value::Kind::null: rc = sqlite3_bind_null(st_, i); break;
            case Value::Kind::integer: rc = sqlite3_bind_int64(st_, i, v.integer()); break;
            case Value::Kind::real: rc = sqlite3_bind_double(st_, i, v.real()); break;
            case Value::Kind::text:
                rc = sqlite3_bind_text(st_, i, v.text().data(), static_cast<int>(v.text().size()), SQLITE_TRANSIENT);
                break;
        }
        if (rc != SQLITE_OK) throw DbError(DbError::Kind::other, std::string("bind: ") + sqlite3_errmsg(db_));
    }

    bool step() override {
        if (done_) return false;
        int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        done_ = true;
        if (rc == SQLITE_DONE) return false;
        int ext = sqlite3_extended_errcode(db_);
        std::string msg = sqlite3_errmsg(db_);
        sqlite3_reset(st_);
        throw DbError(classify(ext), msg);
    }

    void finish() override {
        sqlite3_reset(st_);
        done_ = true;
    }

    bool is_null(int col) const override { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
    std::int64_t get_int(int col) const override { return sqlite3_column_int64(st_, col); }
    double get_double(int col) const override { return sqlite3_column_double(st_, col); }
    std::string get_text(int col) const override {
        auto p = sqlite3_column_text(st_, col);
        int n = sqlite3_column_bytes(st_, col);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
    }

private:
    sqlite3* db_;
    sqlite3_stmt* st_;
    bool done_ = false;
};

// SQLite keeps global memory statistics (SQLITE_CONFIG_MEMSTATUS, on in Debian's build) under a
// global mutex taken by every allocation and free it makes: with NOMUTEX connections that was
// most of the ~6 % of a page's instructions spent in sqlite3_mutex_enter/leave. Gapura never reads
// the statistics (sqlite3_memory_used and the like). The setting must be made before SQLite
// initialises, which the first open does; the first connection makes it, before any other SQLite
// call of the process (a later call would fail harmlessly with SQLITE_MISUSE).
void configure_sqlite_once() {
    static const int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)rc;
}

class SqliteConnection final : public Connection {
public:
    SqliteConnection(const std::string& path, bool writer) {
        configure_sqlite_once();
        int flags = SQLITE_OPEN_NOMUTEX | (writer ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READWRITE);
        int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
        if (rc != SQLITE_OK) {
            std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            db_ = nullptr;
            throw DbError(DbError::Kind::unavailable, "cannot open " + path + ": " + msg);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, 5000);
        // mmap_size: pages are read from a memory map of the file, not copied in by one pread()
        // system call each (a page of a big table that is not in SQLite's own cache cost a
        // syscall; at 1,000,000 reports the queue page read ~100 such pages, a search of 10,000 datasets tens of MB). The map is address
        // space, not memory: only pages touched are resident, and the OS can drop them.
        exec_script(
            "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;"
            " PRAGMA mmap_size=1073741824;");
        if (writer && scalar_text(*this, "PRAGMA journal_mode=WAL").value_or("") == "wal") {
            // The writer commits to the log without syncing it (synchronous=NORMAL); the Database
            // acknowledges a write only after sync_log() has fdatasync'ed the log, which covers
            // every commit appended before it (the guarantee of synchronous=FULL, with the sync
            // moved out of COMMIT so the next group runs meanwhile). Checkpoints still sync the
            // log before they copy it and the database after.
            // A checkpoint runs inside the COMMIT that crosses the threshold and holds the writer
            // while it copies the log into the database and syncs it. Every 10,000 pages (40 MB of
            // log) instead of SQLite's 1,000: a page written again and again between two
            // checkpoints (an index's last leaf) is copied once per checkpoint, so the copying
            // and the writer's waits drop (iowait 17-19 % -> 9 % of the server's core under the
            // durable POST load, docs/PERFORMANCE.md). The log file keeps its largest size.
            exec_script("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;");
            const char* db_file = sqlite3_db_filename(db_, "main");
            if (db_file && *db_file) wal_path_ = sqlite3_filename_wal(db_file);
        }
    }
    ~SqliteConnection() override {
        cache_.clear();
        sqlite3_close_v2(db_);
        if (wal_fd_ >= 0) ::close(wal_fd_);
    }

    bool deferred_sync() const override { return !wal_path_.empty(); }

    // On the Database's sync thread, while the writer may be running the next group: only the
    // log's own descriptor is touched here, never the sqlite3 handle.
    void sync_log() override {
        if (wal_path_.empty()) return;
        struct stat st{};
        if (wal_fd_ >= 0 && (::fstat(wal_fd_, &st) != 0 || st.st_nlink == 0)) {  // the log was removed and made anew
            ::close(wal_fd_);
            wal_fd_ = -1;
        }
        if (wal_fd_ < 0) {
            wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
            if (wal_fd_ < 0)
                throw DbError(DbError::Kind::unavailable, "cannot open the database log " + wal_path_ + ": " + std::strerror(errno));
            // The log's directory entry too, once per log file: SQLite syncs it only at its first
            // sync of the log, which with synchronous=NORMAL waits for a checkpoint.
            const auto dir = std::filesystem::path(wal_path_).parent_path();
            const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            const bool dir_ok = dfd >= 0 && ::fsync(dfd) == 0;
            if (dfd >= 0) ::close(dfd);
            if (!dir_ok) {
                ::close(wal_fd_);
                wal_fd_ = -1;
                throw DbError(DbError::Kind::unavailable, "cannot sync the directory of " + wal_path_);
            }
        }
        if (::fdatasync(wal_fd_) != 0)
            throw DbError(DbError::Kind::unavailable, "cannot sync the database log " + wal_path_ + ": " + std::strerror(errno));
    }

    Statement& prepare(std::string_view sql) override {
        // Most SQL is a string literal, asked for again from the same address: a small table by
        // address finds it with one comparison of the text, without hashing it (the text is still
        // compared: a SQL string built at run time may reuse an address with other text).
        Recent& r = recent_[(reinterpret_cast<std::uintptr_t>(sql.data()) >> 4) % recent_.size()];
        if (r.data == sql.data() && r.key && *r.key == sql) {
            r.statement->reset();
            return *r.statement;
        }
        auto it = cache_.find(sql);
        if (it != cache_.end()) {
            r = Recent{sql.data(), &it->first, it->second.get()};
            it->second->reset();
            return *it->second;
        }
        sqlite3_stmt* st = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st,
                                    nullptr);
        if (rc != SQLITE_OK)
            throw DbError(classify(sqlite3_extended_errcode(db_)),
                          std::string("prepare: ") + sqlite3_errmsg(db_) + " in: " + std::string(sql));
        auto owned = std::make_unique<SqliteStatement>(db_, st);
        auto& ref = *owned;
        auto [pos, added] = cache_.emplace(std::string(sql), std::move(owned));
        (void)added;
        r = Recent{sql.data(), &pos->first, &ref};
        return ref;
    }

    void exec_script(std::string_view sql) override {
        std::string s(sql);
        char* err = nullptr;
        int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string msg = err ? err : "error";
            sqlite3_free(err);
            throw DbError(classify(sqlite3_extended_errcode(db_)), msg);
        }
    }

    void begin(bool write) override { exec_script(write ? "BEGIN IMMEDIATE" : "BEGIN"); }
    void commit() override { exec_script("COMMIT"); }
    void rollback() override {
        if (!sqlite3_get_autocommit(db_)) exec_script("ROLLBACK");
    }
    Dialect dialect() const override { return Dialect::sqlite; }
    std::int64_t changes() const override { return sqlite3_changes64(db_); }

private:
    sqlite3* db_ = nullptr;
    std::string wal_path_;  // the writer in WAL mode: its log, synced by sync_log()
    int wal_fd_ = -1;
    // Prepared statements by their SQL (looked up by string_view: no copy of the text per call).
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, TextHash, std::equal_to<>> cache_;
    // The statement last asked for from each (hashed) address; entries point into cache_, whose
    // nodes live as long as the connection.
    struct Recent {
        const char* data = nullptr;
        const std::string* key = nullptr;
        SqliteStatement* statement = nullptr;
    };
    std::array<Recent, 64> recent_{};
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path, bool writer) {
    return std::make_unique<SqliteConnection>(path, writer);
}

}  // namespace gapura::core::db
