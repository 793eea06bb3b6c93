#include "core/http/body.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace gapura::core::http {

namespace {

class GeneratorSource final : public BodySource {
public:
    GeneratorSource(FillFn fill, std::optional<std::uint64_t> size) : fill_(std::move(fill)), size_(size) {}
    std::optional<std::uint64_t> size() const override { return size_; }
    bool next(std::string& out, std::size_t) override {
        if (done_) return false;
        done_ = !fill_(out);
        if (done_) fill_ = nullptr;  // free what the generator holds as soon as it is finished
        return !done_;
    }

private:
    FillFn fill_;
    std::optional<std::uint64_t> size_;
    bool done_ = false;
};

class FileSource final : public BodySource {
public:
    // Bytes [start, start + size) of the open file `fd` (owned).
    FileSource(int fd, std::uint64_t size, std::uint64_t start = 0) : fd_(fd), size_(size), start_(start) {}
    ~FileSource() override { ::close(fd_); }
    std::optional<std::uint64_t> size() const override { return size_; }
    bool sliceable() const override { return true; }
    std::shared_ptr<BodySource> slice(std::uint64_t offset, std::uint64_t length) const override {
        if (offset > size_ || length > size_ - offset) throw std::out_of_range("file body slice beyond the file");
        const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);  // the same open file: no rename race
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "file body slice");
        return std::make_shared<FileSource>(fd, length, start_ + offset);
    }
    bool next(std::string& out, std::size_t hint) override {
        const std::uint64_t left = size_ - offset_;
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, hint));
        const std::size_t at = out.size();
        out.resize(at + want);
        std::size_t got = 0;
        while (got < want) {
            const ssize_t n = ::pread(fd_, out.data() + at + got, want - got, static_cast<off_t>(start_ + offset_ + got));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw std::system_error(errno, std::generic_category(), "reading a file body");
            if (n == 0) throw std::runtime_error("file body: the file became shorter while sent");
            got += static_cast<std::size_t>(n);
        }
        offset_ += got;
        return offset_ < size_;
    }

private:
    int fd_;
    std::uint64_t size_;
    std::uint64_t start_;
    std::uint64_t offset_ = 0;
};

class GzipSource final : public BodySource {
public:
    GzipSource(std::shared_ptr<BodySource> inner, int level) : inner_(std::move(inner)) {
        // windowBits 15 + 16: a gzip header and trailer, as compress.cpp's gzip().
        if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("gzip body: deflateInit2");
    }
    ~GzipSource() override { deflateEnd(&z_); }
    std::optional<std::uint64_t> size() const override { return std::nullopt; }
    bool next(std::string& out, std::size_t hint) override {
        if (finished_) return false;
        // Reads the inner body until some compressed bytes come out (deflate buffers its input).
        const std::size_t start = out.size();
        while (out.size() == start && !finished_) {
            in_.clear();
            const bool more = inner_more_ && inner_->next(in_, hint);
            if (!more && inner_more_) inner_more_ = false;
            deflate_into(out, in_, inner_more_ ? Z_NO_FLUSH : Z_FINISH);
        }
        if (finished_) inner_.reset();
        return !finished_;
    }

private:
    void deflate_into(std::string& out, std::string_view in, int flush) {
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
        do {
            const std::size_t before = out.size();
            const std::size_t room = 64 * 1024;
            out.resize(before + room);
            z_.next_out = reinterpret_cast<Bytef*>(out.data() + before);
            z_.avail_out = static_cast<uInt>(room);
            const int rc = deflate(&z_, flush);
            if (rc == Z_STREAM_ERROR) throw std::runtime_error("gzip body: deflate");
            out.resize(before + (room - z_.avail_out));
            if (rc == Z_STREAM_END) {
                finished_ = true;
                break;
            }
        } while (z_.avail_in > 0 || z_.avail_out == 0 || flush == Z_FINISH);
    }

    std::shared_ptr<BodySource> inner_;
    z_stream z_{};
    std::string in_;
    bool inner_more_ = true;
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<BodySource> generator_source(FillFn fill, std::optional<std::uint64_t> size) {
    return std::make_shared<GeneratorSource>(std::move(fill), size);
}

std::shared_ptr<BodySource> file_source(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return nullptr;
    }
    return std::make_shared<FileSource>(fd, static_cast<std::uint64_t>(st.st_size));
}

std::shared_ptr<BodySource> gzip_source(std::shared_ptr<BodySource> inner, int level) {
    return std::make_shared<GzipSource>(std::move(inner), level);
}

ByteRange parse_byte_range(std::string_view h, std::uint64_t size) {
    ByteRange none;
    auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        return v;
    };
    h = trim(h);
    if (h.size() < 6 || (h.substr(0, 6) != "bytes=" && h.substr(0, 6) != "Bytes=" && h.substr(0, 6) != "BYTES=")) return none;
    h = trim(h.substr(6));
    if (h.find(',') != std::string_view::npos) return none;  // several ranges: the whole body
    const std::size_t dash = h.find('-');
    if (dash == std::string_view::npos) return none;
    // Digits only, at most 19 of them (below 2^63): anything else makes the header malformed.
    auto number = [](std::string_view d) -> std::optional<std::uint64_t> {
        if (d.empty() || d.size() > 19) return std::nullopt;
        std::uint64_t v = 0;
        for (char c : d) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return v;
    };
    const std::string_view a = trim(h.substr(0, dash)), b = trim(h.substr(dash + 1));
    if (a.empty()) {  // the last `suffix` bytes
        const auto suffix = number(b);
        if (!suffix) return none;
        if (*suffix == 0 || size == 0) return ByteRange{ByteRange::Kind::unsatisfiable};
        const std::uint64_t len = std::min(*suffix, size);
        return ByteRange{ByteRange::Kind::range, size - len, len};
    }
    const auto first = number(a);
    if (!first) return none;
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (!b.empty()) {
        const auto l = number(b);
        if (!l || *l < *first) return none;
        last = std::min(*l, last);
    }
    if (*first >= size) return ByteRange{ByteRange::Kind::unsatisfiable};
    return ByteRange{ByteRange::Kind::range, *first, last - *first + 1};
}

void apply_range(const Request& req, Response& res) {
    // Cheapest checks first; none of them touches the body (no slice, no file descriptor).
    if (res.result() != Status::ok || !res.source || !res.source->sliceable()) return;  // generated: no ranges
    const auto known_size = res.source->size();
    if (!known_size) return;
    if (res.find(bhttp::field::content_encoding) != res.end()) return;
    const std::uint64_t size = *known_size;
    res.set(bhttp::field::accept_ranges, "bytes");
    if (req.method() != Method::get) return;
    const auto range_it = req.find(bhttp::field::range);
    if (range_it == req.end()) return;  // the common case: the whole body, never cut
    if (const auto if_range = req.find(bhttp::field::if_range); if_range != req.end()) {
        // Only a strong ETag equal to the answer's makes the part safe to join to an earlier one.
        const auto etag = res.find(bhttp::field::etag);
        const std::string_view want(if_range->value().data(), if_range->value().size());
        if (etag == res.end() || want.substr(0, 2) == "W/" || want != std::string_view(etag->value().data(), etag->value().size()))
            return;
    }
    const ByteRange r = parse_byte_range(std::string_view(range_it->value().data(), range_it->value().size()), size);
    if (r.kind == ByteRange::Kind::none) return;
    if (r.kind == ByteRange::Kind::unsatisfiable) {
        res.result(Status::range_not_satisfiable);
        res.source.reset();
        res.chunked(false);
        res.set(bhttp::field::content_range, "bytes */" + std::to_string(size));
        res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        res.erase(bhttp::field::content_disposition);
        res.body() = "416 Range Not Satisfiable\n";
        res.content_length(res.body().size());
        return;
    }
    auto part = res.source->slice(r.first, r.length);
    if (!part) return;  // a source that claimed to be sliceable but could not cut: the whole body
    res.source = std::move(part);
    res.result(Status::partial_content);
    res.set(bhttp::field::content_range,
            "bytes " + std::to_string(r.first) + "-" + std::to_string(r.first + r.length - 1) + "/" + std::to_string(size));
    res.content_length(r.length);
}

Response source_response(Status status, std::shared_ptr<BodySource> source, std::string_view content_type) {
    Response res{status, 11};
    res.set(bhttp::field::content_type, content_type);
    if (auto n = source->size()) res.content_length(*n);
    else res.chunked(true);
    res.source = std::move(source);
    return res;
}

std::string drain_body(Response& res) {
    if (!res.source) return res.body();
    std::string out;
    while (res.source->next(out, 256 * 1024)) {
    }
    return out;
}

}  // namespace gapura::core::http
