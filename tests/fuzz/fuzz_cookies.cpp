// Fuzz target: find_cookie, and the string codecs applied to cookie values and other raw input
// (base64url_decode, percent_decode, valid_utf8, html_escape, json_escape).
// Input: first byte = length of the cookie name (mod 32), then the name, then the Cookie header.
// Invariants: no crash; a found value lies inside the header and holds only cookie octets;
// codecs round-trip; valid_utf8 agrees with a straightforward reference implementation;
// escapers never leave markup characters behind.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/cookies.hpp"
#include "core/util/strings.hpp"

namespace http = gapura::core::http;
namespace util = gapura::util;

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) __builtin_trap(); \
    } while (0)

namespace {

// Reference UTF-8 check after Unicode 15, table 3-7 (well-formed byte sequences).
bool reference_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0, n = s.size();
    auto in = [&](std::size_t k, unsigned lo, unsigned hi) { return k < n && p[k] >= lo && p[k] <= hi; };
    while (i < n) {
        unsigned c = p[i];
        if (c <= 0x7F) { i += 1; continue; }
        if (c >= 0xC2 && c <= 0xDF && in(i + 1, 0x80, 0xBF)) { i += 2; continue; }
        if (c == 0xE0 && in(i + 1, 0xA0, 0xBF) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
        if (((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) && in(i + 1, 0x80, 0xBF) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
        if (c == 0xED && in(i + 1, 0x80, 0x9F) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
        if (c == 0xF0 && in(i + 1, 0x90, 0xBF) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
        if (c >= 0xF1 && c <= 0xF3 && in(i + 1, 0x80, 0xBF) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
        if (c == 0xF4 && in(i + 1, 0x80, 0x8F) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
        return false;
    }
    return true;
}

bool cookie_octet(unsigned char c) {
    return c > 0x20 && c < 0x7F && c != '"' && c != ',' && c != ';' && c != '\\';
}

void check_codecs(std::string_view v) {
    // valid_utf8 / utf8_length
    const bool utf8 = util::valid_utf8(v);
    FUZZ_CHECK(utf8 == reference_utf8(v));
    if (utf8) FUZZ_CHECK(util::utf8_length(v) <= v.size());

    // base64url
    if (auto raw = util::base64url_decode(v)) {
        FUZZ_CHECK(raw->size() == v.size() * 3 / 4);
        FUZZ_CHECK(util::base64url_decode(util::base64url_encode(*raw)) == *raw);
    }
    const std::string enc = util::base64url_encode(v);
    FUZZ_CHECK(util::base64url_decode(enc) == std::string(v));
    for (unsigned char c : enc) FUZZ_CHECK(cookie_octet(c));  // safe as a cookie value

    // percent
    for (bool plus : {false, true}) {
        if (auto dec = util::percent_decode(v, plus)) {
            FUZZ_CHECK(dec->size() <= v.size());
            FUZZ_CHECK(util::percent_decode(util::percent_encode(*dec), plus) == *dec);
        }
    }
    FUZZ_CHECK(util::percent_decode(util::percent_encode(v), false) == std::string(v));

    // escapers
    for (unsigned char c : util::html_escape(v)) FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'');
    for (unsigned char c : util::json_escape(v)) FUZZ_CHECK(c >= 0x20 && c != '<' && c != '>');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t name_len = std::min<std::size_t>(data[0] % 32, size - 1);
    const std::string_view name(reinterpret_cast<const char*>(data + 1), name_len);
    const std::string_view header(reinterpret_cast<const char*>(data + 1 + name_len), size - 1 - name_len);

    if (auto v = http::find_cookie(header, name)) {
        FUZZ_CHECK(header.size() <= 16384);
        if (!v->empty())  // an empty result may be a default-constructed view
            FUZZ_CHECK(v->data() >= header.data() && v->data() + v->size() <= header.data() + header.size());
        for (unsigned char c : *v) FUZZ_CHECK(cookie_octet(c));
        check_codecs(*v);
    }
    check_codecs(header);
    return 0;
}
