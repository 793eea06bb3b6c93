// Fuzz target: multipart_boundary and parse_multipart.
// Input: the first line is a Content-Type header value, the rest is the body. The body is also
// parsed with a fixed boundary so that the fuzzer can reach the part parser without first
// guessing a matching Content-Type.
// Invariants: no crash; boundaries are 1..70 bytes; text fields, field names and filenames are
// valid UTF-8; no more parts than max_parts; part data is never larger than the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/multipart.hpp"
#include "core/util/strings.hpp"

namespace http = gapura::core::http;
namespace util = gapura::util;

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) __builtin_trap(); \
    } while (0)

namespace {

void check(const std::optional<http::Multipart>& m, std::string_view body, std::size_t max_parts) {
    if (!m) return;
    const auto& fields = m->fields.fields();
    FUZZ_CHECK(fields.size() + m->files.size() <= max_parts);
    std::size_t bytes = 0;
    for (const auto& [name, value] : fields) {
        FUZZ_CHECK(util::valid_utf8(name));
        FUZZ_CHECK(util::valid_utf8(value));
        bytes += value.size();
    }
    for (const auto& f : m->files) {
        FUZZ_CHECK(util::valid_utf8(f.field));
        FUZZ_CHECK(util::valid_utf8(f.filename));
        bytes += f.data.size();
    }
    FUZZ_CHECK(bytes <= body.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    const std::string_view content_type = input.substr(0, nl);
    const std::string_view body = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);

    if (auto boundary = http::multipart_boundary(content_type)) {
        FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
        check(http::parse_multipart(body, *boundary), body, 64);
    }
    check(http::parse_multipart(body, "XyZ", 4), body, 4);
    return 0;
}
