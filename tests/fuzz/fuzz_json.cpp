// Fuzz target: parse_json_object with a fixed list of allowed keys, and json_string.
// Invariants: no crash; an accepted object has only allowed keys, nests no deeper than the
// limit and holds only valid UTF-8 strings; an unknown-field error names only unknown keys.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/util/json_input.hpp"
#include "core/util/strings.hpp"

namespace json = boost::json;
namespace util = gapura::util;

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) __builtin_trap(); \
    } while (0)

namespace {

constexpr std::size_t kMaxDepth = 8;
constexpr std::initializer_list<std::string_view> kAllowed = {"title", "description", "priority",
                                                              "location", "tags", "public"};

bool allowed(std::string_view key) {
    for (auto a : kAllowed) {
        if (a == key) return true;
    }
    return false;
}

// Depth of a value: scalars 0, containers 1 + deepest child.
std::size_t check_value(const json::value& v) {
    switch (v.kind()) {
        case json::kind::string: FUZZ_CHECK(util::valid_utf8(v.get_string())); return 0;
        case json::kind::array: {
            std::size_t d = 0;
            for (const auto& e : v.get_array()) d = std::max(d, check_value(e));
            return d + 1;
        }
        case json::kind::object: {
            std::size_t d = 0;
            for (const auto& kv : v.get_object()) {
                FUZZ_CHECK(util::valid_utf8(kv.key()));
                d = std::max(d, check_value(kv.value()));
            }
            return d + 1;
        }
        default: return 0;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto r = util::parse_json_object(body, kAllowed, kMaxDepth);
    if (!r.ok()) {
        const auto& e = r.error();
        FUZZ_CHECK(!e.message_key.empty());
        if (e.message_key == "err_json_unknown_field") {
            FUZZ_CHECK(!e.fields.empty());
            for (const auto& f : e.fields) FUZZ_CHECK(!allowed(f.field));
        } else {
            FUZZ_CHECK(e.fields.empty());
        }
        return 0;
    }
    FUZZ_CHECK(util::valid_utf8(body));  // input that is not valid UTF-8 is never accepted
    const json::object& obj = *r;
    for (const auto& kv : obj) FUZZ_CHECK(allowed(kv.key()));
    FUZZ_CHECK(check_value(json::value(obj)) <= kMaxDepth);

    for (auto key : kAllowed) {
        bool wrong_type = false;
        auto s = util::json_string(obj, key, wrong_type);
        const auto it = obj.find(key);
        if (s) {
            FUZZ_CHECK(!wrong_type);
            FUZZ_CHECK(it != obj.end() && it->value().is_string());
            FUZZ_CHECK(util::valid_utf8(*s));
        } else {
            const bool absent_or_null = it == obj.end() || it->value().is_null();
            FUZZ_CHECK(wrong_type == !absent_or_null);
        }
    }
    return 0;
}
