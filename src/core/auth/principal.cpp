#include "core/auth/principal.hpp"

namespace gapura::core::auth {

std::string_view role_name(Role r) {
    switch (r) {
        case Role::warga: return "warga";
        case Role::pelaku_usaha: return "pelaku_usaha";
        case Role::operator_opd: return "operator_opd";
        case Role::teknisi: return "teknisi";
        case Role::walidata: return "walidata";
        case Role::admin: return "admin";
    }
    return "warga";
}

std::optional<Role> parse_role(std::string_view s) {
    for (Role r : {Role::warga, Role::pelaku_usaha, Role::operator_opd, Role::teknisi, Role::walidata, Role::admin})
        if (role_name(r) == s) return r;
    return std::nullopt;
}

}  // namespace gapura::core::auth
