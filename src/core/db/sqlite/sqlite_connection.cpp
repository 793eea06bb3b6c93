#include "core/db/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
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

class SqliteConnection final : public Connection {
public:
    SqliteConnection(const std::string& path, bool writer) {
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
        if (writer) {
            exec_script("PRAGMA journal_mode=WAL;");
            // In WAL mode a commit appends its pages to the -wal file; with synchronous=NORMAL
            // SQLite does not wait for the disk at COMMIT (it still syncs the WAL before every
            // checkpoint, so the database file never gets pages that are not durable in the WAL).
            // sync_committed() then fdatasyncs the WAL: one sync covers every commit appended
            // before it, which is what synchronous=FULL does inside COMMIT, but outside the write
            // lock, so the next group's statements run during it.
            std::string mode;
            {
                auto& st = prepare("PRAGMA journal_mode");
                if (st.step()) mode = st.get_text(0);
                st.finish();
            }
            if (mode == "wal") {
                exec_script("PRAGMA synchronous=NORMAL;");
                if (const char* wal = sqlite3_filename_wal(sqlite3_db_filename(db_, "main")); wal && *wal)
                    wal_path_ = wal;
            }
        }
    }
    ~SqliteConnection() override {
        cache_.clear();
        sqlite3_close_v2(db_);
        if (wal_fd_ >= 0) ::close(wal_fd_);
    }

    Statement& prepare(std::string_view sql) override {
        auto it = cache_.find(std::string(sql));
        if (it != cache_.end()) {
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
        cache_.emplace(std::string(sql), std::move(owned));
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
    void commit() override {
        exec_script("COMMIT");
        sync_committed();
    }
    bool commit_unsynced() override {
        exec_script("COMMIT");
        return !wal_path_.empty();
    }
    void sync_committed() override {
        if (wal_path_.empty()) return;  // not in WAL mode: synchronous=FULL synced inside COMMIT
        std::lock_guard lock(wal_mu_);  // the fd is not closed (inode check) during a sync
        if (::fdatasync(wal_fd()) != 0)
            throw DbError(DbError::Kind::unavailable,
                          "cannot sync " + wal_path_ + " to disk: " + std::strerror(errno));
    }
    void rollback() override {
        if (!sqlite3_get_autocommit(db_)) exec_script("ROLLBACK");
    }
    Dialect dialect() const override { return Dialect::sqlite; }
    std::int64_t changes() const override { return sqlite3_changes64(db_); }

private:
    // The -wal file, opened on the first sync (it exists once a transaction committed). SQLite
    // removes it only when the last connection closes, but a file replaced under the same name
    // (another process switching journal modes) is noticed by its inode and reopened.
    int wal_fd() {  // under wal_mu_
        struct stat by_name {};
        if (::stat(wal_path_.c_str(), &by_name) != 0)
            throw DbError(DbError::Kind::unavailable, "cannot find " + wal_path_ + ": " + std::strerror(errno));
        if (wal_fd_ >= 0) {
            struct stat open_file {};
            if (::fstat(wal_fd_, &open_file) == 0 && open_file.st_ino == by_name.st_ino &&
                open_file.st_dev == by_name.st_dev)
                return wal_fd_;
            ::close(wal_fd_);
            wal_fd_ = -1;
        }
        const int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw DbError(DbError::Kind::unavailable, "cannot open " + wal_path_ + ": " + std::strerror(errno));
        // A newly created -wal file is durable only once its directory entry is.
        const auto slash = wal_path_.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : wal_path_.substr(0, slash));
        const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
        wal_fd_ = fd;
        return wal_fd_;
    }

    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
    std::string wal_path_;  // empty unless this is the writer in WAL mode
    std::mutex wal_mu_;
    int wal_fd_ = -1;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path, bool writer) {
    return std::make_unique<SqliteConnection>(path, writer);
}

}  // namespace gapura::core::db
