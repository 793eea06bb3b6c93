// Cookie header parsing and Set-Cookie formatting. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gapura::core::http {

// Finds cookie `name` in a Cookie header value ("a=1; b=2"). Values are returned raw (no
// decoding); a value with characters outside the cookie-octet set is treated as absent.
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

struct CookieOptions {
    int max_age = -1;  // seconds; -1 = session cookie, 0 = delete
    bool http_only = true;
    bool secure = false;
    std::string same_site = "Lax";
    std::string path = "/";
};

// Throws std::invalid_argument when name, value, path or SameSite hold separators or controls.
std::string format_set_cookie(std::string_view name, std::string_view value, const CookieOptions& opts);

}  // namespace gapura::core::http
