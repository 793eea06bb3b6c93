// Principal: who is making a request (a signed-in user, through a session cookie or a bearer
// token) and the roles Gapura knows. Value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gapura::core::auth {

enum class Role { warga, pelaku_usaha, operator_opd, teknisi, walidata, admin };

std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view s);
// Diskominfo and OPD staff (everyone but citizens and businesses).
inline bool is_staff(Role r) { return r != Role::warga && r != Role::pelaku_usaha; }

struct Principal {
    std::int64_t user_id = 0;
    std::string email;
    std::string display_name;
    Role role = Role::warga;
    std::optional<std::int64_t> opd_id;  // the OPD an operator/technician/walidata acts for
    std::string opd_slug;
    std::string session_key;  // hashed session or token id (never the raw secret)
    bool via_token = false;

    bool is(Role r) const { return role == r; }
    bool is_admin() const { return role == Role::admin; }
    // An OPD-bound role acts only for its own OPD; admins act for all.
    bool acts_for_opd(std::int64_t opd) const { return is_admin() || (opd_id && *opd_id == opd); }
};

}  // namespace gapura::core::auth
