// SQLite backend of core/db: WAL journal, foreign keys on, busy timeout, synchronous=FULL so a
// commit is on disk when it returns. One object per connection; used by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "core/db/database.hpp"

namespace gapura::core::db {

std::unique_ptr<Connection> open_sqlite(const std::string& path, bool writer);

}  // namespace gapura::core::db
