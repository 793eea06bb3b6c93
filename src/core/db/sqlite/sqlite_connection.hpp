// SQLite backend of core/db: WAL journal, foreign keys on, busy timeout. commit() is on disk when
// it returns; the writer's commit_unsynced() leaves the fdatasync of the WAL to sync_committed()
// (synchronous=NORMAL plus an explicit sync: the same guarantee as synchronous=FULL once the sync
// returned). One object per connection; used by one thread at a time, except sync_committed().
#pragma once

#include <memory>
#include <string>

#include "core/db/database.hpp"

namespace gapura::core::db {

std::unique_ptr<Connection> open_sqlite(const std::string& path, bool writer);

}  // namespace gapura::core::db
