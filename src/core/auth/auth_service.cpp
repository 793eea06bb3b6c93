#include "core/auth/auth_service.hpp"

#include <boost/json.hpp>

#include "core/util/strings.hpp"

namespace gapura::core::auth {

db::ModuleMigrations accounts_migrations() {
    return {"accounts",
            {{1, "regions_opds_users",
              "CREATE TABLE regions ("
              " code TEXT PRIMARY KEY, parent_code TEXT, level TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,"
              " bps_code TEXT, lat DOUBLE PRECISION, lng DOUBLE PRECISION, population BIGINT, population_year INTEGER);"
              "CREATE INDEX regions_parent ON regions (parent_code, name);"
              "CREATE TABLE opds ("
              " id {{id}}, slug TEXT NOT NULL UNIQUE, abbreviation TEXT NOT NULL, name TEXT NOT NULL,"
              " kind TEXT NOT NULL, region_code TEXT REFERENCES regions (code), active INTEGER NOT NULL DEFAULT 1);"
              "CREATE TABLE users ("
              " id {{id}}, email TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, password_hash TEXT NOT NULL,"
              " role TEXT NOT NULL, opd_id BIGINT REFERENCES opds (id), created_at BIGINT NOT NULL,"
              " password_changed_at BIGINT NOT NULL, disabled_at BIGINT);"
              "CREATE TABLE sessions ("
              " key_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id),"
              " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);"
              "CREATE INDEX sessions_user ON sessions (user_id);"
              "CREATE TABLE api_tokens ("
              " id {{id}}, token_hash TEXT NOT NULL UNIQUE, user_id BIGINT NOT NULL REFERENCES users (id),"
              " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT);"
              "CREATE TABLE password_resets ("
              " token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id),"
              " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);"
              "CREATE TABLE outbox ("
              " id {{id}}, channel TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,"
              " created_at BIGINT NOT NULL, sent_at BIGINT, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
              "CREATE TABLE notifications ("
              " id {{id}}, user_id BIGINT NOT NULL REFERENCES users (id), kind TEXT NOT NULL, title TEXT NOT NULL,"
              " body TEXT NOT NULL, link TEXT, created_at BIGINT NOT NULL, read_at BIGINT);"
              "CREATE INDEX notifications_user ON notifications (user_id, id);"
              "CREATE TABLE files ("
              " sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, mime TEXT NOT NULL, created_at BIGINT NOT NULL,"
              " created_by BIGINT);"}}};
}

namespace {
constexpr std::int64_t kCacheTtl = 30;
constexpr const char* kPrincipalSql =
    "SELECT u.id, u.email, u.display_name, u.role, u.opd_id, COALESCE(o.slug, ''), u.disabled_at"
    " FROM users u LEFT JOIN opds o ON o.id = u.opd_id WHERE u.id = ?";

std::string normalize_email(std::string_view e) { return util::to_lower_ascii(util::trim(e)); }

std::string summary(std::initializer_list<std::pair<const char*, boost::json::value>> kv) {
    boost::json::object o;
    for (const auto& [k, v] : kv) o[k] = v;
    return boost::json::serialize(o);
}
}  // namespace

AuthService::AuthService(db::Database& db, audit::AuditLog& audit, const Clock& clock, std::string secret,
                         AuthSettings settings)
    : db_(db),
      audit_(audit),
      clock_(clock),
      secret_(std::move(secret)),
      settings_(std::move(settings)),
      by_account_(clock, 5, 15 * 60),
      by_ip_(clock, 30, 15 * 60) {}

audit::Actor AuthService::actor_of(const Principal& p) {
    return audit::Actor{p.user_id, p.email, std::string(role_name(p.role)), p.opd_id};
}

Status AuthService::check_password_rules(const std::string& pw) {
    if (util::utf8_length(pw) < 10) return make_error(ErrorCode::unprocessable, "err_password_short");
    if (pw.size() > 256) return make_error(ErrorCode::unprocessable, "err_password_long");
    if (!util::valid_utf8(pw)) return make_error(ErrorCode::bad_request, "err_utf8");
    return ok_status();
}

Result<std::int64_t> AuthService::sign_up(const SignUpInput& in, const std::string& ip) {
    (void)ip;
    Error err{ErrorCode::unprocessable, "err_form_invalid", {}, {}, 0};
    const std::string email = normalize_email(in.email);
    const std::string name(util::trim(in.display_name));
    if (!util::valid_utf8(in.email) || !util::valid_utf8(in.display_name) || !util::valid_utf8(in.password))
        return make_error(ErrorCode::bad_request, "err_utf8");
    if (!util::plausible_email(email)) err.fields.push_back({"email", "err_email_invalid"});
    if (name.empty() || util::utf8_length(name) > 100 || util::has_control_chars(name) ||
        name.find_first_of("\n\r\t") != std::string::npos)
        err.fields.push_back({"display_name", "err_name_invalid"});
    if (auto pw = check_password_rules(in.password); !pw) err.fields.push_back({"password", pw.error().message_key});
    if (in.role != "warga" && in.role != "pelaku_usaha") err.fields.push_back({"role", "err_role_invalid"});
    if (!err.fields.empty()) return err;

    const std::string hash = Crypto::hash_password(in.password, settings_.cost);
    const auto now = clock_.now();
    try {
        return db_.write([&](db::Connection& c) -> Result<std::int64_t> {
            auto id = db::scalar_int(c,
                                     "INSERT INTO users (email, display_name, password_hash, role, created_at,"
                                     " password_changed_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                                     {email, name, hash, in.role, now, now});
            audit_.record(c, audit::Actor{id, email, in.role, std::nullopt}, "user.sign_up", "user",
                          std::to_string(*id), summary({{"role", boost::json::value(in.role)}}), now);
            return *id;
        });
    } catch (const db::DbError& e) {
        if (e.kind() == db::DbError::Kind::unique_violation) {
            Error conflict{ErrorCode::conflict, "err_email_taken", {{"email", "err_email_taken"}}, {}, 0};
            return conflict;
        }
        throw;
    }
}

std::optional<Principal> AuthService::load_principal(db::Connection& c, std::int64_t user_id) {
    db::Query q(c, kPrincipalSql, {user_id});
    if (!q.next() || !q.null(6)) return std::nullopt;
    Principal p;
    p.user_id = q.integer(0);
    p.email = q.text(1);
    p.display_name = q.text(2);
    p.role = parse_role(q.text(3)).value_or(Role::warga);
    p.opd_id = q.opt_integer(4);
    p.opd_slug = q.text(5);
    while (q.next()) {
    }
    return p;
}

Result<SessionGrant> AuthService::sign_in(const std::string& email_in, const std::string& password,
                                          const std::string& ip) {
    const std::string email = normalize_email(email_in);
    const std::string ip_key = "ip:" + ip, acct_key = "acct:" + email;
    if (auto wait = std::max(by_ip_.retry_after(ip_key), by_account_.retry_after(acct_key)); wait > 0) {
        Error e = make_error(ErrorCode::rate_limited, "err_too_many_attempts");
        e.retry_after = static_cast<int>(wait);
        return e;
    }
    struct Row {
        std::int64_t id;
        std::string hash;
        bool disabled;
    };
    std::optional<Row> row;
    if (util::plausible_email(email) && password.size() <= 256) {
        row = db_.read([&](db::Connection& c) -> std::optional<Row> {
            db::Query q(c, "SELECT id, password_hash, disabled_at FROM users WHERE email = ?", {email});
            if (!q.next()) return std::nullopt;
            Row r{q.integer(0), q.text(1), !q.null(2)};
            while (q.next()) {
            }
            return r;
        });
    }
    if (!row || row->disabled || !Crypto::verify_password(row->hash, password)) {
        by_ip_.fail(ip_key);
        by_account_.fail(acct_key);
        return make_error(ErrorCode::unauthorized, "err_bad_credentials");
    }
    by_account_.reset(acct_key);
    const std::string raw = Crypto::random_token();
    const std::string key = Crypto::sha256_hex(raw);
    const auto now = clock_.now();
    const auto expires = now + settings_.session_ttl_s;
    auto principal = db_.write([&](db::Connection& c) {
        db::exec(c, "DELETE FROM sessions WHERE user_id = ? AND expires_at < ?", {row->id, now});
        db::exec(c, "INSERT INTO sessions (key_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                 {key, row->id, now, expires});
        auto p = load_principal(c, row->id);
        audit_.record(c, actor_of(*p), "user.sign_in", "user", std::to_string(row->id), "{}", now);
        return p;
    });
    principal->session_key = key;
    return SessionGrant{raw, *principal, expires};
}

std::optional<Principal> AuthService::session_principal(const std::string& raw) {
    if (raw.size() < 20 || raw.size() > 100) return std::nullopt;
    const std::string key = Crypto::sha256_hex(raw);
    const auto now = clock_.now();
    {
        std::lock_guard lock(cache_mu_);
        auto it = cache_.find(key);
        if (it != cache_.end()) {
            if (it->second.cached_until > now && it->second.session_expires > now) return it->second.principal;
            cache_.erase(it);
        }
    }
    auto found = db_.read([&](db::Connection& c) -> std::optional<std::pair<Principal, std::int64_t>> {
        db::Query q(c, "SELECT user_id, expires_at FROM sessions WHERE key_hash = ?", {key});
        if (!q.next()) return std::nullopt;
        auto uid = q.integer(0);
        auto exp = q.integer(1);
        while (q.next()) {
        }
        if (exp <= now) return std::nullopt;
        auto p = load_principal(c, uid);
        if (!p) return std::nullopt;
        return std::make_pair(*p, exp);
    });
    if (!found) return std::nullopt;
    found->first.session_key = key;
    std::lock_guard lock(cache_mu_);
    if (cache_.size() > 50000) cache_.clear();
    cache_[key] = Cached{found->first, found->second, now + kCacheTtl};
    return found->first;
}

void AuthService::sign_out(const std::string& raw) {
    if (raw.size() > 100) return;
    const std::string key = Crypto::sha256_hex(raw);
    {
        std::lock_guard lock(cache_mu_);
        cache_.erase(key);
    }
    const auto now = clock_.now();
    db_.write([&](db::Connection& c) {
        auto uid = db::scalar_int(c, "DELETE FROM sessions WHERE key_hash = ? RETURNING user_id", {key});
        if (uid) {
            if (auto p = load_principal(c, *uid))
                audit_.record(c, actor_of(*p), "user.sign_out", "user", std::to_string(*uid), "{}", now);
        }
    });
}

void AuthService::forget_user_sessions(std::int64_t user_id) {
    std::lock_guard lock(cache_mu_);
    for (auto it = cache_.begin(); it != cache_.end();) {
        if (it->second.principal.user_id == user_id) it = cache_.erase(it);
        else ++it;
    }
}

Status AuthService::change_password(const Principal& who, const std::string& current, const std::string& next) {
    if (auto r = check_password_rules(next); !r) {
        Error e = r.error();
        e.fields.push_back({"new_password", e.message_key});
        return e;
    }
    auto hash = db_.read([&](db::Connection& c) {
        return db::scalar_text(c, "SELECT password_hash FROM users WHERE id = ?", {who.user_id});
    });
    if (!hash || current.size() > 256 || !Crypto::verify_password(*hash, current)) {
        Error e = make_error(ErrorCode::unprocessable, "err_current_password");
        e.fields.push_back({"current_password", "err_current_password"});
        return e;
    }
    const std::string new_hash = Crypto::hash_password(next, settings_.cost);
    const auto now = clock_.now();
    db_.write([&](db::Connection& c) {
        db::exec(c, "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                 {new_hash, now, who.user_id});
        // Sign out every other session of this user and revoke its API tokens.
        db::exec(c, "DELETE FROM sessions WHERE user_id = ? AND key_hash <> ?", {who.user_id, who.session_key});
        db::exec(c, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", {now, who.user_id});
        audit_.record(c, actor_of(who), "user.password_change", "user", std::to_string(who.user_id), "{}", now);
    });
    forget_user_sessions(who.user_id);
    return ok_status();
}

void AuthService::request_reset(const std::string& email_in, const std::string& ip) {
    const std::string email = normalize_email(email_in);
    if (!util::plausible_email(email)) return;
    const std::string ip_key = "reset-ip:" + ip;
    if (by_ip_.retry_after(ip_key) > 0) return;
    by_ip_.fail(ip_key);  // counts requests per IP, bounding outbox spam
    const std::string raw = Crypto::random_token();
    const auto now = clock_.now();
    db_.write([&](db::Connection& c) {
        auto uid = db::scalar_int(c, "SELECT id FROM users WHERE email = ? AND disabled_at IS NULL", {email});
        if (!uid) return;
        db::exec(c, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                 {Crypto::sha256_hex(raw), *uid, now, now + settings_.reset_ttl_s});
        const std::string link = settings_.public_url + "/atur-sandi?token=" + raw;
        db::exec(c,
                 "INSERT INTO outbox (channel, recipient, subject, body, created_at) VALUES ('email', ?, ?, ?, ?)",
                 {email, "Atur ulang kata sandi / Reset your password",
                  "Buka tautan ini dalam 1 jam untuk membuat kata sandi baru / Open this link within 1 hour to set a "
                  "new password:\n" + link,
                  now});
        audit_.record(c, audit::Actor{uid, email, "system", std::nullopt}, "user.password_reset_request", "user",
                      std::to_string(*uid), "{}", now);
    });
}

Status AuthService::complete_reset(const std::string& raw, const std::string& next) {
    if (raw.size() < 20 || raw.size() > 100) return make_error(ErrorCode::gone, "err_reset_invalid");
    if (auto r = check_password_rules(next); !r) {
        Error e = r.error();
        e.fields.push_back({"new_password", e.message_key});
        return e;
    }
    const std::string key = Crypto::sha256_hex(raw);
    const auto now = clock_.now();
    const std::string hash = Crypto::hash_password(next, settings_.cost);
    std::optional<std::int64_t> user;
    Status st = db_.write([&](db::Connection& c) -> Status {
        db::Query q(c, "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = ?", {key});
        if (!q.next()) return make_error(ErrorCode::gone, "err_reset_invalid");
        auto uid = q.integer(0);
        bool expired = q.integer(1) <= now || !q.null(2);
        while (q.next()) {
        }
        if (expired) return make_error(ErrorCode::gone, "err_reset_invalid");
        // This link and every other open link of the user are spent.
        db::exec(c, "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", {now, uid});
        db::exec(c, "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?", {hash, now, uid});
        db::exec(c, "DELETE FROM sessions WHERE user_id = ?", {uid});
        db::exec(c, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", {now, uid});
        auto p = load_principal(c, uid);
        audit_.record(c, p ? actor_of(*p) : audit::Actor::system(), "user.password_reset", "user",
                      std::to_string(uid), "{}", now);
        user = uid;
        return ok_status();
    });
    if (user) forget_user_sessions(*user);
    return st;
}

Result<TokenGrant> AuthService::issue_token(const std::string& email, const std::string& password,
                                            const std::string& ip) {
    auto s = sign_in(email, password, ip);
    if (!s) return s.error();
    // The session row made by sign_in is not needed for an API client.
    const std::string raw = Crypto::random_token();
    const auto now = clock_.now();
    const auto expires = now + settings_.token_ttl_s;
    db_.write([&](db::Connection& c) {
        db::exec(c, "DELETE FROM sessions WHERE key_hash = ?", {s->principal.session_key});
        auto id = db::scalar_int(c,
                                 "INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at)"
                                 " VALUES (?, ?, ?, ?) RETURNING id",
                                 {Crypto::sha256_hex(raw), s->principal.user_id, now, expires});
        audit_.record(c, actor_of(s->principal), "token.issue", "api_token", std::to_string(*id), "{}", now);
    });
    return TokenGrant{raw, expires};
}

std::optional<Principal> AuthService::token_principal(const std::string& raw) {
    if (raw.size() < 20 || raw.size() > 100) return std::nullopt;
    const std::string key = Crypto::sha256_hex(raw);
    const auto now = clock_.now();
    auto p = db_.read([&](db::Connection& c) -> std::optional<Principal> {
        db::Query q(c, "SELECT user_id, expires_at, revoked_at FROM api_tokens WHERE token_hash = ?", {key});
        if (!q.next()) return std::nullopt;
        auto uid = q.integer(0);
        bool dead = q.integer(1) <= now || !q.null(2);
        while (q.next()) {
        }
        if (dead) return std::nullopt;
        return load_principal(c, uid);
    });
    if (p) {
        p->session_key = key;
        p->via_token = true;
    }
    return p;
}

Status AuthService::revoke_token(const Principal& who, const std::string& raw) {
    const std::string key = Crypto::sha256_hex(raw);
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto id = db::scalar_int(c,
                                 "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND user_id = ?"
                                 " AND revoked_at IS NULL RETURNING id",
                                 {now, key, who.user_id});
        if (!id) return make_error(ErrorCode::unauthorized, "err_token_invalid");
        audit_.record(c, actor_of(who), "token.revoke", "api_token", std::to_string(*id), "{}", now);
        return ok_status();
    });
}

std::string AuthService::csrf_token(std::string_view binding) const {
    return Crypto::hmac_b64(secret_, std::string("csrf|") + std::string(binding));
}

bool AuthService::check_csrf(std::string_view binding, std::string_view token) const {
    if (binding.empty() || token.empty() || token.size() > 100) return false;
    return Crypto::equal(csrf_token(binding), token);
}

std::vector<UserRow> AuthService::list_users(const std::string& query, int limit, int offset) {
    return db_.read([&](db::Connection& c) {
        std::vector<UserRow> out;
        const std::string like = "%" + util::to_lower_ascii(query) + "%";
        db::Query q(c,
                    "SELECT u.id, u.email, u.display_name, u.role, u.opd_id, COALESCE(o.name, ''), u.created_at,"
                    " u.disabled_at FROM users u LEFT JOIN opds o ON o.id = u.opd_id"
                    " WHERE (? = '' OR lower(u.email) LIKE ? OR lower(u.display_name) LIKE ?)"
                    " ORDER BY u.id LIMIT ? OFFSET ?",
                    {query, like, like, limit, offset});
        while (q.next()) {
            out.push_back(UserRow{q.integer(0), q.text(1), q.text(2), q.text(3), q.opt_integer(4), q.text(5),
                                  q.integer(6), !q.null(7)});
        }
        return out;
    });
}

std::optional<UserRow> AuthService::get_user(std::int64_t id) {
    return db_.read([&](db::Connection& c) -> std::optional<UserRow> {
        db::Query q(c,
                    "SELECT u.id, u.email, u.display_name, u.role, u.opd_id, COALESCE(o.name, ''), u.created_at,"
                    " u.disabled_at FROM users u LEFT JOIN opds o ON o.id = u.opd_id WHERE u.id = ?",
                    {id});
        if (!q.next()) return std::nullopt;
        UserRow r{q.integer(0), q.text(1), q.text(2), q.text(3), q.opt_integer(4), q.text(5), q.integer(6), !q.null(7)};
        while (q.next()) {
        }
        return r;
    });
}

Status AuthService::update_user(const Principal& admin, std::int64_t id, const UserUpdate& u) {
    if (!admin.is_admin()) return make_error(ErrorCode::forbidden, "err_forbidden");
    auto role = parse_role(u.role);
    if (!role) return Error{ErrorCode::unprocessable, "err_role_invalid", {{"role", "err_role_invalid"}}, {}, 0};
    const bool needs_opd = *role == Role::operator_opd || *role == Role::teknisi || *role == Role::walidata;
    if (needs_opd && !u.opd_id)
        return Error{ErrorCode::unprocessable, "err_opd_required", {{"opd_id", "err_opd_required"}}, {}, 0};
    if (id == admin.user_id && (*role != Role::admin || u.disabled))
        return make_error(ErrorCode::conflict, "err_self_demote");
    const auto now = clock_.now();
    Status st = db_.write([&](db::Connection& c) -> Status {
        db::Query q(c, "SELECT role, opd_id, disabled_at FROM users WHERE id = ?", {id});
        if (!q.next()) return make_error(ErrorCode::not_found, "err_not_found");
        std::string before_role = q.text(0);
        auto before_opd = q.opt_integer(1);
        bool before_disabled = !q.null(2);
        while (q.next()) {
        }
        if (u.opd_id && !db::scalar_int(c, "SELECT id FROM opds WHERE id = ?", {*u.opd_id}))
            return Error{ErrorCode::unprocessable, "err_opd_unknown", {{"opd_id", "err_opd_unknown"}}, {}, 0};
        std::optional<std::int64_t> opd = u.opd_id;
        db::exec(c,
                 "UPDATE users SET role = ?, opd_id = ?, disabled_at = CASE WHEN ? = 1 THEN COALESCE(disabled_at, ?)"
                 " ELSE NULL END WHERE id = ?",
                 {u.role, opd, u.disabled ? 1 : 0, now, id});
        if (u.disabled) db::exec(c, "DELETE FROM sessions WHERE user_id = ?", {id});
        boost::json::object before{{"role", before_role},
                                   {"opd_id", before_opd ? boost::json::value(*before_opd) : nullptr},
                                   {"disabled", before_disabled}};
        boost::json::object after{
            {"role", u.role}, {"opd_id", opd ? boost::json::value(*opd) : nullptr}, {"disabled", u.disabled}};
        audit_.record(c, actor_of(admin), "user.update", "user", std::to_string(id),
                      boost::json::serialize(boost::json::object{{"before", before}, {"after", after}}), now);
        return ok_status();
    });
    forget_user_sessions(id);
    return st;
}

Result<std::int64_t> AuthService::add_user(const std::string& email_in, const std::string& name,
                                           const std::string& role, const std::string& opd_slug,
                                           const std::string& password, const audit::Actor& actor) {
    const std::string email = normalize_email(email_in);
    if (!util::plausible_email(email)) return make_error(ErrorCode::unprocessable, "err_email_invalid");
    if (!parse_role(role)) return make_error(ErrorCode::unprocessable, "err_role_invalid");
    if (auto r = check_password_rules(password); !r) return r.error();
    const std::string hash = Crypto::hash_password(password, settings_.cost);
    const auto now = clock_.now();
    try {
        return db_.write([&](db::Connection& c) -> Result<std::int64_t> {
            std::optional<std::int64_t> opd;
            if (!opd_slug.empty()) {
                opd = db::scalar_int(c, "SELECT id FROM opds WHERE slug = ?", {opd_slug});
                if (!opd) return make_error(ErrorCode::unprocessable, "err_opd_unknown", opd_slug);
            }
            auto id = db::scalar_int(c,
                                     "INSERT INTO users (email, display_name, password_hash, role, opd_id, created_at,"
                                     " password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                                     {email, name.empty() ? email : name, hash, role, opd, now, now});
            audit_.record(c, actor, "user.create", "user", std::to_string(*id),
                          summary({{"role", boost::json::value(role)}, {"opd", boost::json::value(opd_slug)}}), now);
            return *id;
        });
    } catch (const db::DbError& e) {
        if (e.kind() == db::DbError::Kind::unique_violation) return make_error(ErrorCode::conflict, "err_email_taken");
        throw;
    }
}

std::vector<OutboxRow> AuthService::outbox(int limit) {
    return db_.read([&](db::Connection& c) {
        std::vector<OutboxRow> out;
        db::Query q(c,
                    "SELECT id, channel, recipient, subject, body, created_at, sent_at FROM outbox ORDER BY id DESC"
                    " LIMIT ?",
                    {limit});
        while (q.next())
            out.push_back(
                OutboxRow{q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4), q.integer(5), q.opt_integer(6)});
        return out;
    });
}

}  // namespace gapura::core::auth
