// Bodies produced in pieces while they are sent (issue #4: downloads of files up to 512 MB).
//
// A BodySource gives the next piece of a body each time the server asks for it; the server asks
// only after the previous piece was written to the socket (backpressure: a slow client never makes
// the server hold more than one piece), calls it on the worker pool (sources may read files or
// the database), and destroys it as soon as the answer ends, normally or not (a client that goes
// away mid-download frees the source at once). A source that throws after the first byte was
// sent cannot change the status any more: the server closes the connection, so the client sees a
// truncated body (with chunked framing, no last chunk) rather than a complete-looking one.
//
// Threads: a source is used by one request at a time, possibly from different worker threads in
// turn (never concurrently).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/http/types.hpp"

namespace gapura::core::http {

class BodySource {
public:
    virtual ~BodySource() = default;
    // The body's size when known before it is produced (Content-Length); nullopt: chunked.
    virtual std::optional<std::uint64_t> size() const = 0;
    // Appends the next piece of the body to `out` (about `hint` bytes; more or fewer is fine).
    // Returns false once the body is complete (what was appended in that call is still sent).
    virtual bool next(std::string& out, std::size_t hint) = 0;
    // Whether slice() can cut this body (a file: true; generated bodies: false). apply_range asks
    // this on every answer, so it must be cheap and must not touch the body's resources.
    virtual bool sliceable() const { return false; }
    // Bytes [offset, offset + length) of the whole body as a source of its own, for a Range
    // request; nullptr when the body cannot be cut (generated bodies). Only called before next(),
    // and only on a sliceable() source when a Range is actually served (it may open or dup a file).
    virtual std::shared_ptr<BodySource> slice(std::uint64_t offset, std::uint64_t length) const {
        (void)offset;
        (void)length;
        return nullptr;
    }
};

// A generator: `fill(out)` appends the next piece and returns false when it was the last one.
// `size`: the body's length when known in advance (the server checks it is kept).
using FillFn = std::function<bool(std::string& out)>;
std::shared_ptr<BodySource> generator_source(FillFn fill, std::optional<std::uint64_t> size = std::nullopt);

// The file at `path`, opened now (so a missing file is an error before the answer starts) and
// read in pieces while sent; its size is fixed when opened. nullptr when it cannot be opened.
std::shared_ptr<BodySource> file_source(const std::string& path);

// The gzip encoding of `inner`, produced as `inner` is read (chunked: its size is unknown).
std::shared_ptr<BodySource> gzip_source(std::shared_ptr<BodySource> inner, int level);

// A Range header's single byte range resolved against a body of `size` bytes (RFC 9110 14.1.2):
// "bytes=first-last", "bytes=first-" or "bytes=-suffix". `none`: the header is absent, malformed,
// not in bytes or asks for several ranges (the whole body is then sent, as the RFC allows);
// `unsatisfiable`: it starts at or beyond the end (416).
struct ByteRange {
    enum class Kind { none, range, unsatisfiable };
    Kind kind = Kind::none;
    std::uint64_t first = 0;
    std::uint64_t length = 0;
};
ByteRange parse_byte_range(std::string_view header, std::uint64_t size);

// Answers a GET's Range on a 200 whose body can be cut (BodySource::sliceable, a file source):
// 206 with Content-Range and that part, or 416 with "Content-Range: bytes */size". The Range is
// ignored (the 200 stays) when If-Range is present and is not the answer's strong ETag, or when
// the answer is encoded. Every answer whose body can be cut gets "Accept-Ranges: bytes". The body
// is cut (BodySource::slice) only when a part is served: answers without a Range cost no slice.
void apply_range(const Request& req, Response& res);

// 200 (or `status`) with `source` as its body and the given Content-Type.
Response source_response(Status status, std::shared_ptr<BodySource> source, std::string_view content_type);

// Tests and tools: the whole body of `res` (its source run to the end, or body()).
std::string drain_body(Response& res);

}  // namespace gapura::core::http
