// AuthService: accounts, sessions, API tokens, password change and reset, CSRF tokens, and the
// admin's user management. Every state change is written with its audit entry in one
// transaction. Sessions and tokens are stored as SHA-256 hashes; the raw secret exists only in
// the user's cookie or client. A small in-memory cache keeps session lookups off the database
// on hot pages; it is invalidated on sign-out, password change and role change.
//
// Threads: all methods are thread-safe; they do database work, so call them from the worker pool.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/audit/audit_log.hpp"
#include "core/auth/crypto.hpp"
#include "core/auth/principal.hpp"
#include "core/auth/throttle.hpp"
#include "core/db/database.hpp"
#include "core/db/migrator.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace gapura::core::auth {

db::ModuleMigrations accounts_migrations();

struct SignUpInput {
    std::string email;
    std::string display_name;
    std::string password;
    std::string role = "warga";  // warga or pelaku_usaha
};

struct SessionGrant {
    std::string raw_token;  // goes into the cookie, never stored
    Principal principal;
    std::int64_t expires_at = 0;
};

struct TokenGrant {
    std::string token;
    std::int64_t expires_at = 0;
};

struct UserRow {
    std::int64_t id = 0;
    std::string email;
    std::string display_name;
    std::string role;
    std::optional<std::int64_t> opd_id;
    std::string opd_name;
    std::int64_t created_at = 0;
    bool disabled = false;
};

struct UserUpdate {
    std::string role;
    std::optional<std::int64_t> opd_id;
    bool disabled = false;
};

struct OutboxRow {
    std::int64_t id = 0;
    std::string channel, recipient, subject, body;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> sent_at;
};

struct AuthSettings {
    PasswordCost cost = PasswordCost::interactive;
    std::int64_t session_ttl_s = 14 * 24 * 3600;
    std::int64_t token_ttl_s = 30 * 24 * 3600;
    std::int64_t reset_ttl_s = 3600;
    std::string public_url = "http://127.0.0.1:8080";
};

class AuthService {
public:
    AuthService(db::Database& db, audit::AuditLog& audit, const Clock& clock, std::string secret, AuthSettings settings);

    Result<std::int64_t> sign_up(const SignUpInput& in, const std::string& ip);
    Result<SessionGrant> sign_in(const std::string& email, const std::string& password, const std::string& ip);
    std::optional<Principal> session_principal(const std::string& raw_token);
    void sign_out(const std::string& raw_token);
    Status change_password(const Principal& who, const std::string& current, const std::string& next);
    // Always succeeds from the caller's view (no account enumeration); queues a reset link in the
    // outbox when the account exists.
    void request_reset(const std::string& email, const std::string& ip);
    Status complete_reset(const std::string& raw_token, const std::string& next);

    Result<TokenGrant> issue_token(const std::string& email, const std::string& password, const std::string& ip);
    std::optional<Principal> token_principal(const std::string& raw_token);
    Status revoke_token(const Principal& who, const std::string& raw_token);

    // CSRF token bound to a session key or an anonymous visitor id.
    std::string csrf_token(std::string_view binding) const;
    bool check_csrf(std::string_view binding, std::string_view token) const;

    // Administration.
    std::vector<UserRow> list_users(const std::string& query, int limit, int offset);
    std::optional<UserRow> get_user(std::int64_t id);
    Status update_user(const Principal& admin, std::int64_t id, const UserUpdate& update);
    Result<std::int64_t> add_user(const std::string& email, const std::string& name, const std::string& role,
                                  const std::string& opd_slug, const std::string& password, const audit::Actor& actor);
    std::vector<OutboxRow> outbox(int limit);

    static audit::Actor actor_of(const Principal& p);
    static Status check_password_rules(const std::string& password);

private:
    std::optional<Principal> load_principal(db::Connection& c, std::int64_t user_id);
    void forget_user_sessions(std::int64_t user_id);

    db::Database& db_;
    audit::AuditLog& audit_;
    const Clock& clock_;
    std::string secret_;
    AuthSettings settings_;
    Throttle by_account_;
    Throttle by_ip_;

    struct Cached {
        Principal principal;
        std::int64_t session_expires = 0;
        std::int64_t cached_until = 0;
    };
    std::mutex cache_mu_;
    std::unordered_map<std::string, Cached> cache_;
};

}  // namespace gapura::core::auth
