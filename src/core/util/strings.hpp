// Small string helpers shared by the parsers and the web layer. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gapura::util {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);
// Number of Unicode code points in valid UTF-8 text.
std::size_t utf8_length(std::string_view s);
// True if the text contains control characters other than \n, \r and \t.
bool has_control_chars(std::string_view s);

std::string_view trim(std::string_view s);
std::string to_lower_ascii(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view s, std::string_view prefix);
std::vector<std::string_view> split(std::string_view s, char sep);

std::string html_escape(std::string_view s);
std::string json_escape(std::string_view s);  // without the surrounding quotes

// Percent-decoding for URL query strings and form bodies ('+' becomes a space when plus_space).
// Returns nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_space);
std::string percent_encode(std::string_view s);

std::string hex_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Strict integer parsing: the whole string must be a decimal integer in range.
std::optional<std::int64_t> parse_int(std::string_view s);
std::optional<double> parse_double(std::string_view s);

// A plausible e-mail address (one '@', a dot in the domain, no spaces, <= 254 bytes).
bool plausible_email(std::string_view s);

// A local redirect target: starts with a single '/', no scheme, no backslash, no control chars.
bool safe_local_path(std::string_view s);

}  // namespace gapura::util
