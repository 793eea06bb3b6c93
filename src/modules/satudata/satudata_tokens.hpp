// OPD API tokens of Satu Data: machine access, read-only, for one OPD, to the CKAN API and the
// resource downloads. An OPD's operator (or the admin, for any OPD) creates a token with a name
// and an optional expiry date, sees the secret once, lists and revokes tokens. Only the SHA-256
// of the secret is stored (the secret is 32 random bytes from libsodium, so a slow hash adds
// nothing); a presented secret is looked up by its hash and the stored hash is compared again in
// constant time. The secret never reaches a log, the audit log or the database. A token's last
// use is recorded, written at most once a minute per token (kLastUsedStep), so that the reads a
// token makes stay reads; that bookkeeping is not a change and is not audited.
//
// The command line (`gapura satudata token list|add|revoke`) manages every OPD's tokens without a
// signed-in user; its changes are audited under the actor it names.
//
// A token sees what any staff member of its OPD sees in the published catalog: public and
// internal datasets, datasets restricted to its OPD (its own or shared with it) and those granted
// to it by an approved, unexpired G2G access request. It never sees unpublished data and never
// writes.
//
// Threads: thread-safe (no mutable state besides the database); call from the worker pool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit/audit_log.hpp"
#include "core/module.hpp"
#include "core/util/result.hpp"
#include "modules/satudata/satudata.hpp"

namespace gapura::modules::satudata {

struct OpdToken {
    std::int64_t id = 0, opd_id = 0;
    std::string opd_slug, opd_name, name;
    std::string prefix;  // the first characters of the secret, to tell tokens apart
    std::string created_by_name;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> expires_at, revoked_at;
    std::optional<std::int64_t> last_used_at;  // to within kLastUsedStep; nullopt: never used
    bool active(std::int64_t now) const { return !revoked_at && (!expires_at || *expires_at > now); }
};

struct TokenCreated {
    OpdToken token;
    std::string secret;  // shown once, never stored
};

// The visibility a token has: an OPD staff member's, without any producer rights.
inline Viewer token_viewer(const OpdToken& t) {
    Viewer v;
    v.staff = true;
    v.opd_id = t.opd_id;
    return v;
}

class OpdTokenService {
public:
    static constexpr const char* kSecretPrefix = "sd_";
    static constexpr std::size_t kMaxTokensPerOpd = 50;
    static constexpr std::int64_t kLastUsedStep = 60;  // seconds between two writes of last_used_at

    OpdTokenService(core::db::Database& db, const Clock& clock, core::audit::AuditLog& audit,
                    const core::region::Regency& regency)
        : db_(db), clock_(clock), audit_(audit), regency_(regency) {}
    explicit OpdTokenService(const core::CoreServices& s) : OpdTokenService(s.db, s.clock, s.audit, s.regency) {}

    // The migrations of the sd_api_tokens table (satudata migrations 5 and 6).
    static std::vector<core::db::Migration> migrations();

    // `opd_slug` is used for admins only (operators act for their own OPD); `expires` is
    // YYYY-MM-DD or empty (no expiry), valid through that day in the regency's time zone.
    Result<TokenCreated> create(const core::auth::Principal& p, const std::string& opd_slug, const std::string& name,
                                const std::string& expires);
    Status revoke(const core::auth::Principal& p, std::int64_t id);
    // The tokens the principal manages: its OPD's, or every OPD's for the admin. Newest first.
    std::vector<OpdToken> list(const core::auth::Principal& p);
    // The active token a presented secret belongs to; nullopt when unknown, revoked, expired or
    // malformed (empty, oversized, not printable ASCII). Records the use when the last one
    // recorded is kLastUsedStep or more ago (a failed write does not refuse the token).
    std::optional<OpdToken> check(std::string_view secret);

    // For the command line: any OPD (by slug), no signed-in user, `actor` in the audit log.
    Result<TokenCreated> create_as(const core::audit::Actor& actor, const std::string& opd_slug, const std::string& name,
                                   const std::string& expires);
    Status revoke_as(const core::audit::Actor& actor, std::int64_t id);
    // Every token, or one OPD's when `opd_slug` is not empty; nullopt when it names no OPD.
    // Newest first.
    std::optional<std::vector<OpdToken>> list_all(const std::string& opd_slug);

    static bool can_manage(const core::auth::Principal& p, std::int64_t opd_id);

private:
    Result<TokenCreated> create_in(std::int64_t opd, const std::string& name, const std::string& expires,
                                   std::optional<std::int64_t> user_id, const core::audit::Actor& actor);
    Status revoke_in(std::int64_t id, std::optional<std::int64_t> user_id, const core::audit::Actor& actor,
                     const core::auth::Principal* p);

    core::db::Database& db_;
    const Clock& clock_;
    core::audit::AuditLog& audit_;
    const core::region::Regency& regency_;
};

}  // namespace gapura::modules::satudata
