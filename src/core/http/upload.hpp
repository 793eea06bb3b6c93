// Streamed uploads: a multipart/form-data body read in chunks while it arrives, so a large file
// never sits in memory. MultipartStream is the incremental parser (any split of the input gives
// the same events); UploadSpool sits on it: ordinary fields stay in memory (bounded), each file
// part goes to a temp file under a given directory while its SHA-256, size, first bytes and
// text properties are computed, and a route's UploadObserver sees every chunk of a file (e.g.
// to validate it row by row) and may stop the read early. A gate runs before the first file
// byte is written (the pipeline checks the CSRF token there, so the token field must come
// before the file). Temp files are removed when their SpooledFile is destroyed, unless a
// FileStore adopted them: nothing is left behind on an error or a dropped connection.
//
// A route opts in with RouteOptions::upload; the server then reads the body in chunks and the
// handler finds the spooled files in RequestContext::upload. Ordinary forms are unchanged.
//
// Threads: an instance belongs to one request; feed calls come one after the other (possibly
// from different worker threads, each call finished before the next starts).
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/form.hpp"
#include "core/http/multipart_stream.hpp"
#include "core/http/types.hpp"

namespace gapura::core::http {

struct RequestContext;

// A temp file owned by one upload: removed on destruction unless release()d (after it was
// renamed into a store).
class TempFile {
public:
    TempFile() = default;
    explicit TempFile(std::string path) : path_(std::move(path)) {}
    TempFile(TempFile&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
    TempFile& operator=(TempFile&& o) noexcept;
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() { remove(); }
    const std::string& path() const { return path_; }
    void release() { path_.clear(); }
    void remove();

private:
    std::string path_;
};

// One file part written to disk.
struct SpooledFile {
    static constexpr std::size_t kHeadBytes = 64 * 1024;
    std::string field;
    std::string filename;     // as the client named it
    std::string client_type;  // as the client declared it
    TempFile temp;            // the bytes; empty path once adopted
    std::uint64_t size = 0;
    std::string sha256;       // hex, set when the part is complete
    std::string head;         // the first kHeadBytes bytes (type sniffing)
    bool utf8 = true;         // all bytes so far are valid UTF-8 (a sequence cut at the end is not counted)
    bool nul = false;         // a NUL byte was seen
    bool complete = false;    // the part ended with its delimiter (not cut off by a stop)
};

// Sees the bytes of each file part while they stream to disk (on a worker thread).
class UploadObserver {
public:
    virtual ~UploadObserver() = default;
    // A file part begins. Return false to refuse it (the read stops: UploadStop::observer).
    virtual bool file_begin(const SpooledFile&) { return true; }
    // The next bytes of the current file. Return false to stop reading the body now (for
    // example on a fatal validation error); the handler still runs and answers.
    virtual bool file_data(std::string_view bytes) = 0;
    virtual void file_end(const SpooledFile&) {}
};

struct UploadLimits {
    std::size_t max_file_bytes = 10u << 20;   // each file (413 above it)
    std::size_t max_files = 1;                // file parts (400 above it)
    std::size_t max_field_bytes = 64 * 1024;  // all ordinary fields together (400 above it)
    std::size_t max_parts = 64;
};

// Why an upload stopped before its end.
enum class UploadStop { none, malformed, too_large, too_many_files, refused, observer };

class UploadSpool final : private MultipartSink {
public:
    // Called before the first file part is written, with the fields read so far; false refuses
    // the upload (UploadStop::refused).
    using Gate = std::function<bool(const Form& fields)>;
    UploadSpool(std::string_view boundary, std::string temp_dir, UploadLimits limits,
                std::unique_ptr<UploadObserver> observer, Gate gate);
    ~UploadSpool() override;
    UploadSpool(const UploadSpool&) = delete;
    UploadSpool& operator=(const UploadSpool&) = delete;

    // The next bytes of the body. false: stop reading (stop() says why). Throws
    // std::system_error when the disk fails (the temp files are still removed).
    bool feed(std::string_view chunk);
    // The body ended. false when it was cut short or malformed (stop() is then malformed).
    bool finish();

    UploadStop stop() const { return stop_; }
    bool gate_passed() const { return gate_passed_; }
    const Form& fields() const { return fields_; }
    std::vector<SpooledFile>& files() { return files_; }
    UploadObserver* observer() { return observer_.get(); }

private:
    bool part_begin(const PartHead& head) override;
    bool part_data(std::string_view bytes) override;
    bool part_end() override;
    bool halt(UploadStop s) {
        stop_ = s;
        return false;
    }
    void flush();
    void write_all(std::string_view bytes);
    void close_fd();

    std::string temp_dir_;
    UploadLimits limits_;
    std::unique_ptr<UploadObserver> observer_;
    Gate gate_;
    MultipartStream parser_;
    UploadStop stop_ = UploadStop::none;
    bool gate_passed_ = false;
    Form fields_;
    std::size_t field_bytes_ = 0;
    std::optional<PartHead> field_head_;  // the ordinary field being read
    std::string field_value_;
    std::vector<SpooledFile> files_;
    SpooledFile* current_ = nullptr;  // the file part being written
    int fd_ = -1;
    std::string wbuf_;
    std::string utf8_carry_;  // an incomplete UTF-8 sequence at the end of the last chunk
    crypto_hash_sha256_state sha_{};
};

// What a streamed route's start hook gives: an answer that ends the request before its body is
// read (e.g. 401, 404), or the observer for its file parts (may be null).
struct UploadStart {
    std::optional<Response> answer;
    std::unique_ptr<UploadObserver> observer;
};

// RouteOptions::upload: the body is read in chunks and spooled (see above). The route's
// body_limit bounds the whole body, limits.max_file_bytes each file.
struct UploadRoute {
    UploadLimits limits;
    // Runs on the worker pool after routing and sign-in, before the body is read. It must not
    // change anything (the CSRF token is not checked yet). Empty: no observer, no early answer.
    std::function<UploadStart(RequestContext&)> start;
};

}  // namespace gapura::core::http
