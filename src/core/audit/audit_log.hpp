// AuditLog: the append-only, hash-chained record of every state change. Each entry's hash is
// SHA-256 over the previous entry's hash and this entry's fields, so editing or deleting a row
// breaks the chain; `gapura audit verify` walks it and names the first bad row. The current
// head (last id and hash) is kept in `audit_head`, so removing the newest rows is caught too.
//
// Threads: record() must be called inside Database::write (the writer lock orders the chain).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db/database.hpp"
#include "core/db/migrator.hpp"

namespace gapura::core::audit {

// Who did it. user_id is empty for the system (jobs, seeding, the CLI).
struct Actor {
    std::optional<std::int64_t> user_id;
    std::string label;  // e-mail or "system" / "cli"
    std::string role;   // role name at the time of the change
    std::optional<std::int64_t> opd_id;

    static Actor system(std::string label = "system") { return Actor{std::nullopt, std::move(label), "system", std::nullopt}; }
};

struct Entry {
    std::int64_t id = 0;
    std::int64_t at = 0;
    std::optional<std::int64_t> actor_id;
    std::string actor_label;
    std::string actor_role;
    std::optional<std::int64_t> actor_opd;
    std::string action;       // e.g. "user.sign_up", "usulan.decide"
    std::string object_type;  // e.g. "user", "proposal"
    std::string object_id;
    std::string summary;      // JSON: {"before":...,"after":...} or a short description; no secrets
    std::string prev_hash;
    std::string hash;
};

struct VerifyResult {
    bool ok = true;
    std::int64_t checked = 0;
    std::optional<std::int64_t> bad_id;  // first entry that does not match (or where a gap is)
    std::string problem;
    std::string head_hash;
};

db::ModuleMigrations audit_migrations();

class AuditLog {
public:
    // Appends one entry in the caller's write transaction and returns its id.
    std::int64_t record(db::Connection& c, const Actor& actor, std::string_view action, std::string_view object_type,
                        std::string_view object_id, std::string_view summary, std::int64_t now);
    VerifyResult verify(db::Database& db) const;
    std::vector<Entry> for_object(db::Connection& c, std::string_view object_type, std::string_view object_id,
                                  int limit = 200) const;
    std::vector<Entry> recent(db::Connection& c, const std::vector<std::string>& object_types, int limit,
                              std::int64_t before_id) const;

    static std::string compute_hash(const Entry& e);
};

}  // namespace gapura::core::audit
