#include "modules/satudata/satudata_tokens.hpp"

#include <boost/json.hpp>

#include "core/auth/auth_service.hpp"
#include "core/auth/crypto.hpp"
#include "core/region/regency.hpp"
#include "core/util/strings.hpp"
#include "modules/satudata/satudata_policy.hpp"
#include "modules/satudata/satudata_service.hpp"

namespace gapura::modules::satudata {

namespace db = core::db;
using core::auth::Crypto;

namespace {

constexpr const char* kTokenColumns =
    "SELECT t.id, t.opd_id, o.slug, o.name, t.name, t.prefix, COALESCE(u.display_name, ''), t.created_at,"
    " t.expires_at, t.revoked_at, t.last_used_at FROM sd_api_tokens t JOIN opds o ON o.id = t.opd_id"
    " LEFT JOIN users u ON u.id = t.created_by";
constexpr const char* kInsertToken =
    "INSERT INTO sd_api_tokens (opd_id, name, token_hash, prefix, created_by, created_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kRevokeToken =
    "UPDATE sd_api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL";
constexpr const char* kActiveTokensOfOpd =
    "SELECT COUNT(*) FROM sd_api_tokens WHERE opd_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at "
    "> ?)";
// Only one of the requests that find the last use a step old writes it (the others change no row).
constexpr const char* kTouchToken =
    "UPDATE sd_api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)";
constexpr std::size_t kSecretBytes = 32;  // 43 base64url characters after the prefix
constexpr std::size_t kShownPrefix = 7;   // "sd_" and four characters of the secret
constexpr std::size_t kMaxSecretLength = 128;

OpdToken read_token(db::Query& q) {
    OpdToken t;
    t.id = q.integer(0);
    t.opd_id = q.integer(1);
    t.opd_slug = q.text(2);
    t.opd_name = q.text(3);
    t.name = q.text(4);
    t.prefix = q.text(5);
    t.created_by_name = q.text(6);
    t.created_at = q.integer(7);
    t.expires_at = q.opt_integer(8);
    t.revoked_at = q.opt_integer(9);
    t.last_used_at = q.opt_integer(10);
    return t;
}

std::optional<OpdToken> token_where(db::Connection& c, const std::string& where,
                                    std::initializer_list<db::Value> params) {
    db::Query q(c, std::string(kTokenColumns) + where, params);
    if (!q.next()) return std::nullopt;
    return read_token(q);
}

std::string summary(const OpdToken& t) {
    boost::json::object o{{"opd", t.opd_slug}, {"name", t.name}, {"prefix", t.prefix}};
    o["expires_at"] = t.expires_at ? boost::json::value(*t.expires_at) : boost::json::value(nullptr);
    return boost::json::serialize(o);
}

Error field_error(const char* field, const char* key) {
    return Error{ErrorCode::unprocessable, "err_form_invalid", {{field, key}}, {}, 0};
}

}  // namespace

std::vector<db::Migration> OpdTokenService::migrations() {
    return {
        {5, "api_tokens",
         "CREATE TABLE sd_api_tokens ("
         " id {{id}}, opd_id BIGINT NOT NULL REFERENCES opds (id), name TEXT NOT NULL,"
         " token_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, created_by BIGINT REFERENCES users (id),"
         " created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT, revoked_by BIGINT REFERENCES users (id));"
         "CREATE INDEX sd_api_tokens_opd ON sd_api_tokens (opd_id, id);"},
        {6, "api_token_last_used", "ALTER TABLE sd_api_tokens ADD COLUMN last_used_at BIGINT;"},
    };
}

bool OpdTokenService::can_manage(const core::auth::Principal& p, std::int64_t opd_id) {
    return policy::can_produce(p, opd_id);
}

Result<TokenCreated> OpdTokenService::create(const core::auth::Principal& p, const std::string& opd_slug,
                                             const std::string& name, const std::string& expires) {
    std::optional<std::int64_t> opd = p.opd_id;
    if (p.is_admin() && !opd_slug.empty())
        opd = db_.read(
            [&](db::Connection& c) { return db::scalar_int(c, "SELECT id FROM opds WHERE slug = ?", {opd_slug}); });
    if (!opd)
        return p.is_admin() ? Result<TokenCreated>(field_error("opd", "satudata_err_choice"))
                            : Result<TokenCreated>(make_error(ErrorCode::forbidden, "err_forbidden"));
    if (!can_manage(p, *opd)) return make_error(ErrorCode::forbidden, "err_forbidden");
    return create_in(*opd, name, expires, p.user_id, core::auth::AuthService::actor_of(p));
}

Result<TokenCreated> OpdTokenService::create_as(const core::audit::Actor& actor, const std::string& opd_slug,
                                                const std::string& name, const std::string& expires) {
    auto opd = db_.read(
        [&](db::Connection& c) { return db::scalar_int(c, "SELECT id FROM opds WHERE slug = ?", {opd_slug}); });
    if (!opd) return field_error("opd", "satudata_err_choice");
    return create_in(*opd, name, expires, std::nullopt, actor);
}

Result<TokenCreated> OpdTokenService::create_in(std::int64_t opd, const std::string& name_in, const std::string& expires,
                                                std::optional<std::int64_t> user_id, const core::audit::Actor& actor) {
    std::string name(util::trim(name_in));
    if (name.empty() || !util::valid_utf8(name) || util::has_control_chars(name) || util::utf8_length(name) > 80)
        return field_error("name", "satudata_err_token_name");
    const auto now = clock_.now();
    std::optional<std::int64_t> expires_at;
    if (!util::trim(expires).empty()) {
        const auto today = (now + regency_.utc_offset_minutes * 60) / 86400;
        auto day = parse_day(util::trim(expires));
        if (!day || *day < today || *day > today + 2 * 366) return field_error("expires", "satudata_err_token_expiry");
        expires_at = (*day + 1) * 86400 - regency_.utc_offset_minutes * 60;
    }

    TokenCreated out;
    out.secret = std::string(kSecretPrefix) + Crypto::random_token(kSecretBytes);
    const std::string hash = Crypto::sha256_hex(out.secret);
    return db_.write([&](db::Connection& c) -> Result<TokenCreated> {
        if (db::scalar_int(c, kActiveTokensOfOpd, {opd, now}).value_or(0) >=
            static_cast<std::int64_t>(kMaxTokensPerOpd))
            return make_error(ErrorCode::conflict, "satudata_err_token_limit");
        auto id = db::scalar_int(c, kInsertToken,
                                 {opd, name, hash, out.secret.substr(0, kShownPrefix),
                                  user_id ? db::Value(*user_id) : db::Value(nullptr), now,
                                  expires_at ? db::Value(*expires_at) : db::Value(nullptr)});
        out.token = *token_where(c, " WHERE t.id = ?", {*id});
        // The audit entry names the token; neither the secret nor its hash goes into it.
        audit_.record(c, actor, "satudata.token_create", "sd_api_token", std::to_string(*id), summary(out.token), now);
        return out;
    });
}

Status OpdTokenService::revoke(const core::auth::Principal& p, std::int64_t id) {
    return revoke_in(id, p.user_id, core::auth::AuthService::actor_of(p), &p);
}

Status OpdTokenService::revoke_as(const core::audit::Actor& actor, std::int64_t id) {
    return revoke_in(id, std::nullopt, actor, nullptr);
}

Status OpdTokenService::revoke_in(std::int64_t id, std::optional<std::int64_t> user_id, const core::audit::Actor& actor,
                                  const core::auth::Principal* p) {
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto t = token_where(c, " WHERE t.id = ?", {id});
        if (!t || (p && !can_manage(*p, t->opd_id))) return make_error(ErrorCode::not_found, "err_not_found");
        if (db::exec(c, kRevokeToken, {now, user_id ? db::Value(*user_id) : db::Value(nullptr), id}) == 0)
            return make_error(ErrorCode::conflict, "satudata_err_token_revoked");
        audit_.record(c, actor, "satudata.token_revoke", "sd_api_token", std::to_string(id), summary(*t), now);
        return ok_status();
    });
}

std::optional<std::vector<OpdToken>> OpdTokenService::list_all(const std::string& opd_slug) {
    return db_.read([&](db::Connection& c) -> std::optional<std::vector<OpdToken>> {
        std::vector<OpdToken> out;
        if (opd_slug.empty()) {
            db::Query q(c, std::string(kTokenColumns) + " ORDER BY t.id DESC");
            while (q.next()) out.push_back(read_token(q));
            return out;
        }
        auto opd = db::scalar_int(c, "SELECT id FROM opds WHERE slug = ?", {opd_slug});
        if (!opd) return std::nullopt;
        db::Query q(c, std::string(kTokenColumns) + " WHERE t.opd_id = ? ORDER BY t.id DESC", {*opd});
        while (q.next()) out.push_back(read_token(q));
        return out;
    });
}

std::vector<OpdToken> OpdTokenService::list(const core::auth::Principal& p) {
    return db_.read([&](db::Connection& c) {
        std::vector<OpdToken> out;
        if (p.is_admin()) {
            db::Query q(c, std::string(kTokenColumns) + " ORDER BY t.id DESC LIMIT 500");
            while (q.next()) out.push_back(read_token(q));
        } else if (p.opd_id && can_manage(p, *p.opd_id)) {
            db::Query q(c, std::string(kTokenColumns) + " WHERE t.opd_id = ? ORDER BY t.id DESC LIMIT 500",
                        {*p.opd_id});
            while (q.next()) out.push_back(read_token(q));
        }
        return out;
    });
}

std::optional<OpdToken> OpdTokenService::check(std::string_view secret) {
    if (secret.size() <= std::string_view(kSecretPrefix).size() || secret.size() > kMaxSecretLength ||
        !util::starts_with(secret, kSecretPrefix))
        return std::nullopt;
    for (unsigned char ch : secret)
        if (ch <= 0x20 || ch >= 0x7f) return std::nullopt;
    const std::string hash = Crypto::sha256_hex(secret);
    const auto now = clock_.now();
    auto token = db_.read([&](db::Connection& c) -> std::optional<OpdToken> {
        std::optional<std::string> stored;
        {
            db::Query q(c, "SELECT token_hash FROM sd_api_tokens WHERE token_hash = ?", {hash});
            if (q.next()) stored = q.text(0);
        }
        if (!stored || !Crypto::equal(*stored, hash)) return std::nullopt;
        auto t = token_where(c, " WHERE t.token_hash = ?", {hash});
        if (!t || !t->active(now)) return std::nullopt;
        return t;
    });
    if (token && (!token->last_used_at || *token->last_used_at <= now - kLastUsedStep)) {
        try {
            db_.write([&](db::Connection& c) { db::exec(c, kTouchToken, {now, token->id, now - kLastUsedStep}); });
            token->last_used_at = now;
        } catch (const db::DbError&) {
            // A busy or failing database must not refuse a valid token: the use is recorded by
            // the next request instead.
        }
    }
    return token;
}

}  // namespace gapura::modules::satudata
