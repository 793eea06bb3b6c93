#include "core/http/body.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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
    FileSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
    ~FileSource() override { ::close(fd_); }
    std::optional<std::uint64_t> size() const override { return size_; }
    bool next(std::string& out, std::size_t hint) override {
        const std::uint64_t left = size_ - offset_;
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, hint));
        const std::size_t at = out.size();
        out.resize(at + want);
        std::size_t got = 0;
        while (got < want) {
            const ssize_t n = ::pread(fd_, out.data() + at + got, want - got, static_cast<off_t>(offset_ + got));
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
