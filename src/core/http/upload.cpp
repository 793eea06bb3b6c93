#include "core/http/upload.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "core/util/strings.hpp"

namespace gapura::core::http {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// Length of the longest prefix of `s` that ends on a UTF-8 sequence boundary (a lead byte
// whose sequence is cut off by the end of `s` starts the rest).
std::size_t complete_utf8_prefix(std::string_view s) {
    const std::size_t n = s.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        auto c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
        std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? n - back : n;
    }
    return n;
}

}  // namespace

// ---------------------------------------------------------------- TempFile

TempFile& TempFile::operator=(TempFile&& o) noexcept {
    if (this != &o) {
        remove();
        path_ = std::move(o.path_);
        o.path_.clear();
    }
    return *this;
}

void TempFile::remove() {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_.clear();
}

// ---------------------------------------------------------------- UploadSpool

namespace {
constexpr std::size_t kWriteBuffer = 256 * 1024;
}

UploadSpool::UploadSpool(std::string_view boundary, std::string temp_dir, UploadLimits limits,
                         std::unique_ptr<UploadObserver> observer, Gate gate)
    : temp_dir_(std::move(temp_dir)),
      limits_(limits),
      observer_(std::move(observer)),
      gate_(std::move(gate)),
      parser_(boundary, *this, MultipartStream::Limits{limits.max_parts, 8 * 1024}) {
    if (parser_.error() != MultipartStream::Error::none) stop_ = UploadStop::malformed;
}

UploadSpool::~UploadSpool() { close_fd(); }

void UploadSpool::close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool UploadSpool::feed(std::string_view chunk) {
    if (stop_ != UploadStop::none) return false;
    try {
        if (parser_.feed(chunk)) return true;
    } catch (...) {
        close_fd();
        files_.clear();  // removes the temp files
        throw;
    }
    if (stop_ == UploadStop::none) stop_ = parser_.error() == MultipartStream::Error::too_many_parts
                                               ? UploadStop::too_many_files
                                               : UploadStop::malformed;
    if (current_) {  // cut off: this file is incomplete
        close_fd();
        current_ = nullptr;
    }
    return false;
}

bool UploadSpool::finish() {
    if (stop_ != UploadStop::none) return false;
    if (!parser_.finish()) {
        stop_ = UploadStop::malformed;
        close_fd();
        current_ = nullptr;
        return false;
    }
    return true;
}

bool UploadSpool::part_begin(const PartHead& head) {
    if (!head.filename) {
        field_head_ = head;
        field_value_.clear();
        return true;
    }
    if (files_.size() >= limits_.max_files) return halt(UploadStop::too_many_files);
    if (!gate_passed_) {
        if (gate_ && !gate_(fields_)) return halt(UploadStop::refused);
        gate_passed_ = true;
    }
    SpooledFile f;
    f.field = head.name;
    f.filename = *head.filename;
    f.client_type = head.content_type;
    std::string path = temp_dir_ + "/upload-XXXXXX";
    fd_ = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd_ < 0) throw_errno("mkstemp in " + temp_dir_);
    f.temp = TempFile(std::move(path));
    if (::fchmod(fd_, 0640) != 0) throw_errno("fchmod " + f.temp.path());
    files_.push_back(std::move(f));
    current_ = &files_.back();
    crypto_hash_sha256_init(&sha_);
    wbuf_.clear();
    wbuf_.reserve(kWriteBuffer);
    utf8_carry_.clear();
    if (observer_ && !observer_->file_begin(*current_)) return halt(UploadStop::observer);
    return true;
}

void UploadSpool::write_all(std::string_view bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::write(fd_, bytes.data() + off, bytes.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + current_->temp.path());
        }
        off += static_cast<std::size_t>(n);
    }
}

void UploadSpool::flush() {
    write_all(wbuf_);
    wbuf_.clear();
}

bool UploadSpool::part_data(std::string_view bytes) {
    if (!current_) {
        field_bytes_ += bytes.size();
        if (field_bytes_ > limits_.max_field_bytes) return halt(UploadStop::too_large);
        field_value_.append(bytes);
        return true;
    }
    SpooledFile& f = *current_;
    if (f.size + bytes.size() > limits_.max_file_bytes) return halt(UploadStop::too_large);
    f.size += bytes.size();
    crypto_hash_sha256_update(&sha_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    if (f.head.size() < SpooledFile::kHeadBytes)
        f.head.append(bytes.substr(0, SpooledFile::kHeadBytes - f.head.size()));
    if (!f.nul && bytes.find('\0') != std::string_view::npos) f.nul = true;
    if (f.utf8) {
        // Validate complete sequences; a sequence cut by the chunk's end waits for the next.
        std::string_view rest = bytes;
        if (!utf8_carry_.empty()) {
            auto lead = static_cast<unsigned char>(utf8_carry_[0]);
            const std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            const std::size_t take = std::min(need - utf8_carry_.size(), rest.size());
            utf8_carry_.append(rest.substr(0, take));
            rest.remove_prefix(take);
            if (utf8_carry_.size() == need) {
                f.utf8 = util::valid_utf8(utf8_carry_);
                utf8_carry_.clear();
            }
        }
        if (f.utf8 && !rest.empty()) {
            const std::size_t cut = complete_utf8_prefix(rest);
            f.utf8 = util::valid_utf8(rest.substr(0, cut));
            utf8_carry_.assign(rest.substr(cut));
        }
    }
    if (wbuf_.size() + bytes.size() > kWriteBuffer) flush();
    if (bytes.size() >= kWriteBuffer) {
        write_all(bytes);  // large chunks go straight to the file
    } else {
        wbuf_.append(bytes);
    }
    if (observer_ && !observer_->file_data(bytes)) return halt(UploadStop::observer);
    return true;
}

bool UploadSpool::part_end() {
    if (!current_) {
        if (!util::valid_utf8(field_value_)) return halt(UploadStop::malformed);
        fields_.add(field_head_ ? field_head_->name : std::string(), std::move(field_value_));
        field_value_.clear();
        field_head_.reset();
        return true;
    }
    SpooledFile& f = *current_;
    flush();
    close_fd();
    if (!utf8_carry_.empty()) f.utf8 = false;  // the file ends inside a sequence
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha_, out);
    static const char* hex = "0123456789abcdef";
    f.sha256.clear();
    for (unsigned char c : out) {
        f.sha256 += hex[c >> 4];
        f.sha256 += hex[c & 15];
    }
    f.complete = true;
    current_ = nullptr;
    if (observer_) observer_->file_end(f);
    return true;
}

}  // namespace gapura::core::http
