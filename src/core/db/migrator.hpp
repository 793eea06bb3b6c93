// Migrations: numbered per module, applied in order, each in its own transaction together with
// its row in `schema_migrations`, so a re-run applies only what is missing. DDL is written
// once for both backends; the tokens {{id}} (auto-increment primary key) and {{blob}} are
// replaced per dialect. Run from one thread at start-up or by `gapura migrate`.
#pragma once

#include <string>
#include <vector>

#include "core/db/database.hpp"

namespace gapura::core::db {

struct Migration {
    int version;
    std::string name;
    std::string sql;
};

struct ModuleMigrations {
    std::string module;
    std::vector<Migration> migrations;
};

struct MigrationReport {
    int applied = 0;
    int already = 0;
    std::vector<std::string> applied_names;  // "module/0001_name"
};

std::string apply_dialect(const std::string& sql, Dialect dialect);
MigrationReport migrate(Database& db, const std::vector<ModuleMigrations>& modules, std::int64_t now);

}  // namespace gapura::core::db
