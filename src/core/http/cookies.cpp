#include "core/http/cookies.hpp"

#include <stdexcept>

#include "core/util/strings.hpp"

namespace gapura::core::http {

namespace {
bool cookie_octets(std::string_view v) {
    for (unsigned char c : v) {
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == ',' || c == ';' || c == '\\') return false;
    }
    return true;
}
}  // namespace

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
    if (header.size() > 16384) return std::nullopt;
    for (auto part : util::split(header, ';')) {
        part = util::trim(part);
        auto eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        if (util::trim(part.substr(0, eq)) != name) continue;
        auto v = util::trim(part.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        if (!cookie_octets(v)) return std::nullopt;
        return v;
    }
    return std::nullopt;
}

std::string format_set_cookie(std::string_view name, std::string_view value, const CookieOptions& o) {
    // Names, values and paths we write never carry separators or control characters: a caller
    // passing one is a bug, not user input to be echoed into a header.
    if (name.empty() || !cookie_octets(name) || name.find('=') != std::string_view::npos || !cookie_octets(value) ||
        !cookie_octets(o.path) || !cookie_octets(o.same_site))
        throw std::invalid_argument("unsafe cookie name, value or attribute");
    std::string s;
    s.append(name).append("=").append(value).append("; Path=").append(o.path);
    if (o.max_age >= 0) s.append("; Max-Age=").append(std::to_string(o.max_age));
    if (o.http_only) s.append("; HttpOnly");
    if (o.secure) s.append("; Secure");
    if (!o.same_site.empty()) s.append("; SameSite=").append(o.same_site);
    return s;
}

}  // namespace gapura::core::http
