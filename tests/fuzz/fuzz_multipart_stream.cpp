// Fuzz target: MultipartStream, the incremental multipart parser of streamed uploads.
// Input: byte 0 picks a chunk size (1..256), the rest is a body for the boundary "XyZ".
// Invariants: no crash; feeding the body whole and in chunks gives the same events and the same
// outcome (the parser's result never depends on how the network split the body); part data
// never exceeds the body; names are UTF-8; at most max_parts parts begin.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/multipart_stream.hpp"
#include "core/util/strings.hpp"

namespace http = gapura::core::http;
namespace util = gapura::util;

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) __builtin_trap(); \
    } while (0)

namespace {

struct Log : http::MultipartSink {
    std::string events;
    std::size_t data = 0;
    std::size_t parts = 0;
    bool part_begin(const http::PartHead& h) override {
        FUZZ_CHECK(util::valid_utf8(h.name));
        FUZZ_CHECK(!h.filename || util::valid_utf8(*h.filename));
        ++parts;
        events += "[" + h.name + (h.filename ? "|" + *h.filename : std::string()) + "]";
        return true;
    }
    bool part_data(std::string_view b) override {
        data += b.size();
        events.append(b);
        return true;
    }
    bool part_end() override {
        events += "[/]";
        return true;
    }
};

struct Outcome {
    std::string events;
    bool ok;
    http::MultipartStream::Error error;
};

Outcome run(std::string_view body, std::size_t chunk) {
    Log log;
    http::MultipartStream p("XyZ", log, {4, 256});
    bool ok = true;
    for (std::size_t off = 0; ok && off < body.size(); off += chunk) ok = p.feed(body.substr(off, chunk));
    ok = ok && p.finish();
    FUZZ_CHECK(log.data <= body.size());
    FUZZ_CHECK(log.parts <= 4);
    return {log.events, ok, p.error()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0];
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Outcome whole = run(body, body.size() + 1);
    const Outcome split = run(body, chunk);
    FUZZ_CHECK(whole.ok == split.ok);
    FUZZ_CHECK(whole.error == split.error);
    // Events match up to the point where parsing stopped (a failure may come at a different
    // byte of the last event, never with different events before it).
    if (whole.ok) FUZZ_CHECK(whole.events == split.events);
    return 0;
}
