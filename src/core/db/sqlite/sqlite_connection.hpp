// SQLite backend of core/db: WAL journal, foreign keys on, busy timeout. The writer commits with
// synchronous=NORMAL and makes its commits durable with sync_log() (an fdatasync of the WAL), which
// the Database runs before it acknowledges a write; readers keep synchronous=FULL. One object per
// connection; used by one thread at a time (sync_log() excepted).
#pragma once

#include <memory>
#include <string>

#include "core/db/database.hpp"

namespace gapura::core::db {

std::unique_ptr<Connection> open_sqlite(const std::string& path, bool writer);

}  // namespace gapura::core::db
