// Fuzz target: Form::parse (application/x-www-form-urlencoded and query strings).
// Invariants: no crash; at most kMaxFields fields; every decoded name and value is valid UTF-8;
// accessors agree with fields(); re-encoding the fields and parsing again gives the same form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/http/form.hpp"
#include "core/util/strings.hpp"

using gapura::core::http::Form;
namespace util = gapura::util;

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) __builtin_trap(); \
    } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto form = Form::parse(text);
    if (!form) return 0;

    const auto& fields = form->fields();
    FUZZ_CHECK(fields.size() <= Form::kMaxFields);
    std::size_t decoded_bytes = 0;
    for (const auto& [name, value] : fields) {
        FUZZ_CHECK(util::valid_utf8(name));
        FUZZ_CHECK(util::valid_utf8(value));
        decoded_bytes += name.size() + value.size();
        auto first = form->get(name);
        FUZZ_CHECK(first.has_value());
        FUZZ_CHECK(form->has(name));
        FUZZ_CHECK(form->value(name) == *first);
        FUZZ_CHECK(!form->all(name).empty());
    }
    // Decoding never grows the text ('%XX' -> 1 byte, '+' -> 1 byte).
    FUZZ_CHECK(decoded_bytes <= text.size());

    std::string again;
    for (const auto& [name, value] : fields) {
        again += util::percent_encode(name);
        again += '=';
        again += util::percent_encode(value);
        again += '&';
    }
    auto reparsed = Form::parse(again);
    FUZZ_CHECK(reparsed.has_value());
    FUZZ_CHECK(reparsed->fields() == fields);
    return 0;
}
