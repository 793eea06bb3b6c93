// OPD API tokens of Satu Data: machine access, read-only, for one OPD, to the CKAN API and the
// resource downloads. An OPD's operator (or the admin, for any OPD) creates a token with a name
// and an optional expiry date, sees the secret once, lists and revokes tokens. Only the SHA-256
// of the secret is stored (the secret is 32 random bytes from libsodium, so a slow hash adds
// nothing); a presented secret is looked up by its hash and the stored hash is compared again in
// constant time. The secret never reaches a log, the audit log or the database.
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

    explicit OpdTokenService(core::CoreServices s) : s_(s) {}

    // The migration of the sd_api_tokens table (satudata migration 5).
    static core::db::Migration migration();

    // `opd_slug` is used for admins only (operators act for their own OPD); `expires` is
    // YYYY-MM-DD or empty (no expiry), valid through that day in the regency's time zone.
    Result<TokenCreated> create(const core::auth::Principal& p, const std::string& opd_slug, const std::string& name,
                                const std::string& expires);
    Status revoke(const core::auth::Principal& p, std::int64_t id);
    // The tokens the principal manages: its OPD's, or every OPD's for the admin. Newest first.
    std::vector<OpdToken> list(const core::auth::Principal& p);
    // The active token a presented secret belongs to; nullopt when unknown, revoked, expired or
    // malformed (empty, oversized, not printable ASCII).
    std::optional<OpdToken> check(std::string_view secret);

    static bool can_manage(const core::auth::Principal& p, std::int64_t opd_id);

private:
    core::CoreServices s_;
};

}  // namespace gapura::modules::satudata
