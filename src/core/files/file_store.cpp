#include "core/files/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "core/auth/crypto.hpp"
#include "core/http/response.hpp"
#include "core/util/strings.hpp"

namespace gapura::core::files {

namespace fs = std::filesystem;
using namespace std::string_view_literals;

namespace {

constexpr const char* kInsertFileSql =
    "INSERT INTO files (sha256, size, mime, created_at, created_by) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (sha256) DO NOTHING";
constexpr const char* kFileInfoSql = "SELECT size, mime FROM files WHERE sha256 = ?";
constexpr std::size_t kMaxNameCodePoints = 100;

bool starts(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// Extensions that fit a type; the first is the one appended when the name's does not fit.
const std::vector<std::string_view>& extensions_for(std::string_view mime) {
    static const std::vector<std::string_view> none;
    static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> table = {
        {"image/jpeg", {"jpg", "jpeg"}},
        {"image/png", {"png"}},
        {"image/webp", {"webp"}},
        {"image/gif", {"gif"}},
        {"application/pdf", {"pdf"}},
        {"application/zip", {"zip", "xlsx", "docx", "pptx", "odt", "ods", "odp"}},
        {"application/json", {"json", "geojson"}},
        {"text/csv", {"csv", "tsv", "txt"}},
    };
    for (const auto& [m, exts] : table)
        if (m == mime) return exts;
    return none;
}

// Decodes one UTF-8 code point from valid UTF-8 at s[i]; advances i.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
    auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    std::uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += static_cast<std::size_t>(n) + 1;
    return cp;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Characters that never reach a file name: controls (C0, DEL, C1), quotes, path separators,
// characters Windows forbids, and the bidirectional overrides that disguise an extension.
bool unsafe_in_name(std::uint32_t cp) {
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
    if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) return true;  // separators, BOM
    if (cp >= 0x200B && cp <= 0x200F) return true;                  // zero-width, LRM/RLM
    if (cp >= 0x202A && cp <= 0x202E) return true;                  // bidi embeddings and overrides
    if (cp >= 0x2066 && cp <= 0x2069) return true;                  // bidi isolates
    switch (cp) {
        case '"':
        case '\\':
        case '/':
        case ':':
        case '*':
        case '?':
        case '<':
        case '>':
        case '|':
            return true;
        default:
            return false;
    }
}

// The download name as clean UTF-8: unsafe characters become '_', ends trimmed of spaces and
// dots, at most kMaxNameCodePoints code points. Invalid UTF-8 keeps only its printable ASCII.
std::string clean_name(std::string_view name) {
    std::string out;
    if (!util::valid_utf8(name)) {
        for (char ch : name) {
            auto c = static_cast<unsigned char>(ch);
            if (c >= 0x20 && c < 0x7F) out += unsafe_in_name(c) ? '_' : ch;
            if (out.size() >= kMaxNameCodePoints) break;
        }
    } else {
        std::size_t i = 0, count = 0;
        while (i < name.size() && count < kMaxNameCodePoints) {
            std::uint32_t cp = next_code_point(name, i);
            append_utf8(out, unsafe_in_name(cp) ? U'_' : cp);
            ++count;
        }
    }
    auto b = out.find_first_not_of(" ."), e = out.find_last_not_of(" .");
    if (b == std::string::npos) return {};
    return out.substr(b, e - b + 1);
}

bool is_attr_char(unsigned char c) {  // RFC 5987 attr-char
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Weak comparison (RFC 9110 13.1.2) of the If-None-Match list against "<sha256>".
bool etag_matches(std::string_view header, std::string_view sha256) {
    std::size_t i = 0;
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ','))
            ++i;
        if (i >= header.size()) break;
        if (header[i] == '*') return true;
        if (header.substr(i, 2) == "W/") i += 2;
        if (i >= header.size() || header[i] != '"') return false;
        auto close = header.find('"', i + 1);
        if (close == std::string_view::npos) return false;
        if (header.substr(i + 1, close - i - 1) == sha256) return true;
        i = close + 1;
    }
    return false;
}

std::optional<std::string> read_whole_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return data;
}

void fsync_dir(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("open directory " + dir.string());
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) {
        errno = saved;
        throw_errno("fsync directory " + dir.string());
    }
}

// Closes the descriptor and removes the temp file unless released (after a successful rename).
struct TempFile {
    std::string path;
    int fd = -1;
    bool keep = false;
    ~TempFile() {
        if (fd >= 0) ::close(fd);
        if (!keep) ::unlink(path.c_str());
    }
};

}  // namespace

std::optional<std::string> sniff_mime(std::string_view b) {
    if (b.empty()) return std::nullopt;
    // Executables first: never accepted, whatever else they might parse as.
    if (starts(b,
               "\x7f"
               "ELF"sv) ||
        starts(b, "MZ"sv) || starts(b, "#!"sv))
        return std::nullopt;

    if (starts(b, "\xFF\xD8\xFF"sv)) return "image/jpeg";
    if (starts(b, "\x89PNG\r\n\x1A\n"sv)) return "image/png";
    if (b.size() >= 12 && starts(b, "RIFF"sv) && b.substr(8, 4) == "WEBP"sv) return "image/webp";
    if (starts(b, "GIF87a"sv) || starts(b, "GIF89a"sv)) return "image/gif";
    if (starts(b, "%PDF-"sv)) return "application/pdf";
    if (starts(b, "PK\x03\x04"sv)) return "application/zip";

    // Text: UTF-8 without NUL, an optional BOM, and never markup.
    std::string_view t = b;
    if (starts(t, "\xEF\xBB\xBF"sv)) t.remove_prefix(3);
    if (starts(t, "#!"sv)) return std::nullopt;
    if (t.find('\0') != std::string_view::npos || !util::valid_utf8(t)) return std::nullopt;
    auto first = t.find_first_not_of(" \t\r\n\f\v");
    if (first == std::string_view::npos) return std::nullopt;  // only whitespace: no content
    const char c = t[first];
    if (c == '<') return std::nullopt;  // HTML, SVG, XML
    if (c == '{' || c == '[') {
        boost::json::error_code ec;
        boost::json::parse(t, ec);
        if (!ec) return "application/json";
    }
    return "text/csv";
}

bool valid_sha256(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string content_disposition(std::string_view disposition, std::string_view download_name,
                                std::string_view mime, std::string_view fallback) {
    std::string name = clean_name(download_name);
    const auto& exts = extensions_for(mime);
    if (name.empty()) {
        name = clean_name(fallback);
        if (name.empty()) name = "file";
        if (!exts.empty()) name += "." + std::string(exts.front());
    } else if (!exts.empty()) {
        auto dot = name.rfind('.');
        std::string ext = dot == std::string::npos || dot == 0
                              ? std::string()
                              : util::to_lower_ascii(name.substr(dot + 1));
        if (std::find(exts.begin(), exts.end(), ext) == exts.end())
            name += "." + std::string(exts.front());
    }

    std::string ascii;
    for (std::size_t i = 0; i < name.size();) {
        std::uint32_t cp = next_code_point(name, i);
        bool keep = cp >= 0x20 && cp < 0x7F && cp != '%' && cp != ';' && cp != ',';
        ascii += keep ? static_cast<char>(cp) : '_';
    }
    static const char* hex = "0123456789ABCDEF";
    std::string encoded;
    for (unsigned char c : name) {
        if (is_attr_char(c)) {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += hex[c >> 4];
            encoded += hex[c & 15];
        }
    }
    std::string out(disposition);
    out += "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    return out;
}

FileStore::FileStore(std::string root_dir, db::Database& db, const Clock& clock)
    : root_(std::move(root_dir)), db_(db), clock_(clock) {
    if (root_.empty()) throw std::invalid_argument("FileStore: empty root directory");
    fs::create_directories(fs::path(root_) / "tmp");
    std::error_code ec;
    const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24);
    for (const auto& e : fs::directory_iterator(fs::path(root_) / "tmp", ec)) {
        std::error_code e2;
        if (e.is_regular_file(e2) && e.last_write_time(e2) < cutoff && !e2) fs::remove(e.path(), e2);
    }
}

std::string FileStore::path_of(const std::string& sha256) const {
    return (fs::path(root_) / sha256.substr(0, 2) / sha256.substr(2, 2) / sha256).string();
}

void FileStore::write_atomically(const std::string& sha256, std::string_view bytes) {
    const fs::path final_path = path_of(sha256);
    std::error_code ec;
    auto existing_size = fs::file_size(final_path, ec);
    if (!ec && existing_size == bytes.size()) {
        auto existing = read_whole_file(final_path);
        if (existing && *existing == bytes) return;  // already stored, identical
    }

    const fs::path dir = final_path.parent_path();
    const bool created = fs::create_directories(dir);

    TempFile tmp;
    tmp.path = (fs::path(root_) / "tmp" / "upload-XXXXXX").string();
    tmp.fd = ::mkstemp(tmp.path.data());
    if (tmp.fd < 0) {
        tmp.keep = true;  // nothing was created
        throw_errno("mkstemp in " + root_ + "/tmp");
    }
    if (::fchmod(tmp.fd, 0640) != 0) throw_errno("fchmod " + tmp.path);
    std::size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::write(tmp.fd, bytes.data() + off, bytes.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + tmp.path);
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(tmp.fd) != 0) throw_errno("fsync " + tmp.path);
    int fd = tmp.fd;
    tmp.fd = -1;
    if (::close(fd) != 0) throw_errno("close " + tmp.path);
    if (::rename(tmp.path.c_str(), final_path.c_str()) != 0)
        throw_errno("rename to " + final_path.string());
    tmp.keep = true;
    fsync_dir(dir);
    if (created) {  // make the new directory entries durable too
        fsync_dir(dir.parent_path());
        fsync_dir(fs::path(root_));
    }
}

Result<StoredFile> FileStore::put(std::string_view bytes, const FilePolicy& policy,
                                  std::optional<std::int64_t> user_id) {
    if (bytes.empty()) return make_error(ErrorCode::bad_request, "err_file_empty");
    if (bytes.size() > policy.max_bytes)
        return make_error(ErrorCode::too_large, "err_file_too_large");
    auto mime = sniff_mime(bytes);
    if (!mime || std::find(policy.allowed_mimes.begin(), policy.allowed_mimes.end(), *mime) ==
                     policy.allowed_mimes.end())
        return make_error(ErrorCode::unsupported, "err_file_type",
                          mime ? "detected " + *mime : "unknown type");

    StoredFile out{auth::Crypto::sha256_hex(bytes), *mime, static_cast<std::int64_t>(bytes.size())};
    write_atomically(out.sha256, bytes);  // the file is on disk before its row exists
    return record(std::move(out), user_id);
}

Result<StoredFile> FileStore::record(StoredFile out, std::optional<std::int64_t> user_id) {
    const auto now = clock_.now();
    db_.write([&](db::Connection& c) {
        db::exec(c, kInsertFileSql, {out.sha256, out.size, out.mime, now, user_id});
    });
    return out;
}

Result<StoredFile> FileStore::adopt(http::SpooledFile& file, const FilePolicy& policy,
                                    std::optional<std::int64_t> user_id) {
    if (!file.complete || file.temp.path().empty() || !valid_sha256(file.sha256))
        return make_error(ErrorCode::bad_request, "err_file_empty", "incomplete upload");
    if (file.size == 0) return make_error(ErrorCode::bad_request, "err_file_empty");
    if (file.size > policy.max_bytes) return make_error(ErrorCode::too_large, "err_file_too_large");
    std::optional<std::string> mime;
    if (file.size <= file.head.size()) {
        mime = sniff_mime(file.head);
    } else {
        // Only the head is in memory: cut a UTF-8 sequence split by its end, judge the head,
        // and for text require the whole file to be UTF-8 without NUL.
        std::string_view head = file.head;
        for (std::size_t back = 1; back <= 3 && back <= head.size(); ++back) {
            auto c = static_cast<unsigned char>(head[head.size() - back]);
            if ((c & 0xC0) == 0x80) continue;
            const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (need > back) head.remove_suffix(back);
            break;
        }
        mime = sniff_mime(head);
        if (mime == "application/json") mime = "text/csv";  // a parse of the head only proves nothing
        if (mime == "text/csv" && (!file.utf8 || file.nul)) mime.reset();
    }
    if (!mime || std::find(policy.allowed_mimes.begin(), policy.allowed_mimes.end(), *mime) ==
                     policy.allowed_mimes.end())
        return make_error(ErrorCode::unsupported, "err_file_type",
                          mime ? "detected " + *mime : "unknown type");

    StoredFile out{file.sha256, *mime, static_cast<std::int64_t>(file.size)};
    const fs::path final_path = path_of(out.sha256);
    std::error_code ec;
    auto existing_size = fs::file_size(final_path, ec);
    if (!ec && existing_size == file.size) {
        file.temp.remove();  // the same bytes are stored already
    } else {
        const fs::path dir = final_path.parent_path();
        const bool created = fs::create_directories(dir);
        int fd = ::open(file.temp.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw_errno("open " + file.temp.path());
        int rc = ::fsync(fd);
        int saved = errno;
        ::close(fd);
        if (rc != 0) {
            errno = saved;
            throw_errno("fsync " + file.temp.path());
        }
        if (::rename(file.temp.path().c_str(), final_path.c_str()) != 0)
            throw_errno("rename to " + final_path.string());
        file.temp.release();
        fsync_dir(dir);
        if (created) {
            fsync_dir(dir.parent_path());
            fsync_dir(fs::path(root_));
        }
    }
    return record(std::move(out), user_id);
}

std::optional<StoredFile> FileStore::info(const std::string& sha256) {
    if (!valid_sha256(sha256)) return std::nullopt;
    return db_.read([&](db::Connection& c) -> std::optional<StoredFile> {
        db::Query q(c, kFileInfoSql, {sha256});
        std::optional<StoredFile> out;
        if (q.next()) out = StoredFile{sha256, q.text(1), q.integer(0)};
        while (q.next()) {
        }
        return out;
    });
}

std::optional<std::string> FileStore::read(const std::string& sha256) {
    if (!valid_sha256(sha256)) return std::nullopt;
    return read_whole_file(path_of(sha256));
}

std::shared_ptr<http::BodySource> FileStore::open(const std::string& sha256) {
    if (!valid_sha256(sha256)) return nullptr;
    return http::file_source(path_of(sha256));
}

http::Response FileStore::serve(const std::string& sha256, std::string_view download_name,
                                std::string_view if_none_match, bool streamed) {
    auto file = info(sha256);
    if (!file) return http::text_response(http::Status::not_found, "not found");

    auto set_common = [&](http::Response& r) {
        r.set(http::bhttp::field::etag, "\"" + sha256 + "\"");
        r.set(http::bhttp::field::cache_control, "public, max-age=31536000, immutable");
        r.set("X-Content-Type-Options", "nosniff");
        r.set("Content-Security-Policy", "default-src 'none'; sandbox");
    };
    if (!if_none_match.empty() && etag_matches(if_none_match, sha256)) {
        http::Response r{http::Status::not_modified, 11};
        set_common(r);
        return r;
    }
    std::optional<std::string> bytes;
    std::shared_ptr<http::BodySource> source;
    if (streamed) source = open(sha256);
    else bytes = read(sha256);
    if (!bytes && !source)
        throw std::runtime_error("file " + sha256 + " is recorded but missing from " + root_);

    http::Response r{http::Status::ok, 11};
    r.set(http::bhttp::field::content_type, file->mime);
    set_common(r);
    const bool image = util::starts_with(file->mime, "image/");
    r.set(http::bhttp::field::content_disposition,
          content_disposition(image ? "inline" : "attachment", download_name, file->mime,
                              sha256.substr(0, 16)));
    if (source) {
        r.content_length(*source->size());
        r.source = std::move(source);
    } else {
        r.body() = std::move(*bytes);
        r.prepare_payload();
    }
    return r;
}

}  // namespace gapura::core::files
