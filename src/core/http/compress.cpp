#include "core/http/compress.hpp"

#include <zlib.h>

#include <string>

#include "core/util/strings.hpp"

namespace gapura::core::http {

bool accepts_gzip(std::string_view accept_encoding) {
    bool star = false, gz = false, gz_refused = false;
    for (auto item : util::split(accept_encoding, ',')) {
        auto parts = util::split(item, ';');
        const auto name = util::to_lower_ascii(util::trim(parts[0]));
        double q = 1.0;
        for (std::size_t i = 1; i < parts.size(); ++i) {
            auto p = util::trim(parts[i]);
            if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                auto v = util::parse_double(util::trim(p.substr(2)));
                q = v ? *v : 0.0;
            }
        }
        if (name == "gzip" || name == "x-gzip") {
            if (q > 0) gz = true;
            else gz_refused = true;
        } else if (name == "*" && q > 0) {
            star = true;
        }
    }
    return gz || (star && !gz_refused);
}

bool compressible_type(std::string_view content_type) {
    const auto t = util::to_lower_ascii(util::trim(content_type.substr(0, content_type.find(';'))));
    return util::starts_with(t, "text/") || t == "application/json" || t == "application/geo+json" ||
           t == "application/ld+json" || t == "application/xml" || t == "application/javascript" ||
           t == "image/svg+xml" || t.ends_with("+json") || t.ends_with("+xml");
}

std::optional<std::string> gzip(std::string_view data, int level) {
    if (data.size() > 0x7fffffffu) return std::nullopt;
    z_stream zs{};
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    const auto written = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return std::nullopt;
    out.resize(written);
    return out;
}

}  // namespace gapura::core::http
