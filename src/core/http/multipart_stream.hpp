// MultipartStream: an incremental multipart/form-data parser (RFC 7578, RFC 2046 framing) fed
// with the body in chunks of any size as they arrive; any split of the same body gives the same
// events. It keeps at most one part's header block (bounded) and a delimiter's length of bytes
// between chunks, never the part data. Used by UploadSpool (core/http/upload.hpp); pure, no I/O,
// so it is also fuzzed (tests/fuzz/fuzz_multipart_stream.cpp).
//
// Threads: an instance belongs to one request.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gapura::core::http {

// The headers of one part.
struct PartHead {
    std::string name;
    std::optional<std::string> filename;  // set for a file part; never trusted for the type
    std::string content_type;             // as the client declared it; never trusted
};

// Parses a part's header block (lines separated by CRLF, without the blank line that ends it).
// nullopt when a line has no colon, the disposition is not form-data, or the name or file name
// is missing or not UTF-8.
std::optional<PartHead> parse_part_head(std::string_view headers);

// True for a boundary of 1 to 70 characters from RFC 2046's bchars (no CR or LF).
bool valid_boundary(std::string_view boundary);

// Receives the parts of a multipart body in order. Return false to stop the parser.
class MultipartSink {
public:
    virtual ~MultipartSink() = default;
    virtual bool part_begin(const PartHead& head) = 0;
    virtual bool part_data(std::string_view bytes) = 0;  // any number of calls, possibly empty
    virtual bool part_end() = 0;
};

class MultipartStream {
public:
    enum class Error { none, malformed, too_many_parts, header_too_large, stopped };
    struct Limits {
        std::size_t max_parts = 64;
        std::size_t max_header_bytes = 8 * 1024;  // one part's header block
    };
    // `boundary` must pass valid_boundary (else every feed fails as malformed).
    MultipartStream(std::string_view boundary, MultipartSink& sink, Limits limits);
    MultipartStream(std::string_view boundary, MultipartSink& sink) : MultipartStream(boundary, sink, Limits{}) {}

    // Feeds the next bytes; false once parsing stopped (error() says why). Bytes after the
    // closing delimiter (the epilogue) are ignored, as is a preamble before the first one.
    bool feed(std::string_view chunk);
    // The body ended: true only when the closing delimiter was seen and nothing failed.
    bool finish();
    Error error() const { return error_; }
    bool done() const { return state_ == State::done; }

private:
    enum class State { preamble, after_delim, headers, body, done, failed };
    bool fail(Error e) {
        error_ = e;
        state_ = State::failed;
        return false;
    }
    bool emit(std::string_view bytes);
    bool end_part();

    MultipartSink& sink_;
    Limits limits_;
    std::string delim_;  // "\r\n--" + boundary
    State state_ = State::preamble;
    Error error_ = Error::none;
    std::string carry_;  // a possible start of the delimiter, or the two bytes after it
    std::string header_;
    std::size_t parts_ = 0;
    bool in_part_ = false;
};

}  // namespace gapura::core::http
