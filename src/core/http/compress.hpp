// gzip for answers sent to clients that accept it (RFC 9110 8.4, 12.5.3): text, JSON, GeoJSON,
// XML and CSV of at least kMinGzipBytes. Cheap phones on weak connections are Gapura's first users;
// a GeoJSON of 10,000 proposals shrinks from about 2.6 MB to a fraction of that.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gapura::core::http {

inline constexpr std::size_t kMinGzipBytes = 1024;

// True when an Accept-Encoding header value accepts gzip (gzip, x-gzip or *, with q > 0).
bool accepts_gzip(std::string_view accept_encoding);

// True for media types worth compressing (text/*, JSON, GeoJSON, XML, JavaScript, CSV, SVG).
bool compressible_type(std::string_view content_type);

// gzip-wrapped deflate of `data`; level 1 (fastest) to 9. nullopt only when zlib fails.
std::optional<std::string> gzip(std::string_view data, int level);

}  // namespace gapura::core::http
