// FileStore: the content-addressed store for uploads (photos of reports, permit attachments,
// dataset files). A file is named by the SHA-256 of its bytes and lives at
// <root>/<ab>/<cd>/<sha256>; its type is decided from the bytes only (never from the client's
// name or Content-Type), and only types in the caller's FilePolicy are accepted. SVG, HTML,
// XML and executables are never accepted. A file is written atomically (temp file in
// <root>/tmp, fsync, rename, fsync of the directory) before its row in `files` is inserted, so
// a row never points at a missing or partial file; the same bytes uploaded twice share one file
// and one row. Files are served with nosniff, a sandboxing CSP and an immutable cache policy.
//
// Threads: safe to call from many worker threads at once (no mutable state besides the disk
// and the database; concurrent puts of the same bytes each rename an identical file into
// place). Blocking: disk and database I/O, so never call from an I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/db/database.hpp"
#include "core/http/body.hpp"
#include "core/http/types.hpp"
#include "core/http/upload.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"

namespace gapura::core::files {

// What one upload field accepts, e.g. {5 << 20, {"image/jpeg", "image/png", "image/webp"}}.
struct FilePolicy {
    std::size_t max_bytes = 0;
    std::vector<std::string> allowed_mimes;
};

struct StoredFile {
    std::string sha256;  // 64 lowercase hex characters
    std::string mime;
    std::int64_t size = 0;
};

// The type of `bytes`, judged from the content only: image/jpeg, image/png, image/webp,
// image/gif, application/pdf, application/zip (also xlsx/docx), application/json (UTF-8 text
// that starts with '{' or '[' and parses), text/csv (UTF-8 text without NUL that does not start
// with '<' after an optional BOM and whitespace). nullopt for anything else, including empty
// input, SVG/HTML/XML and executables (ELF, MZ, "#!").
std::optional<std::string> sniff_mime(std::string_view bytes);

// True for exactly 64 lowercase hex characters: the only names FileStore ever touches on disk.
bool valid_sha256(std::string_view s);

// The value of a Content-Disposition header for `download_name`: `disposition; filename="<ascii>";
// filename*=UTF-8''<percent-encoded>`. Control characters, quotes, backslashes and path
// separators are replaced; the extension is made to match `mime` (".exe" on a PNG becomes
// ".exe.png"); an empty or unusable name becomes "<fallback>.<ext>".
std::string content_disposition(std::string_view disposition, std::string_view download_name,
                                std::string_view mime, std::string_view fallback);

class FileStore {
  public:
    // root_dir is created if missing (with root_dir/tmp for temp files). Temp files older than a
    // day (left by a crash: a live upload is far younger) are removed.
    FileStore(std::string root_dir, db::Database& db, const Clock& clock);

    // Checks the policy (empty: bad_request "err_file_empty"; over max_bytes: too_large
    // "err_file_too_large"; type not sniffed or not allowed: unsupported "err_file_type"), stores
    // the bytes and records the row (its own write transaction). Throws std::system_error when
    // the disk fails and db::DbError when the database does.
    Result<StoredFile> put(std::string_view bytes, const FilePolicy& policy,
                           std::optional<std::int64_t> user_id);

    // Like put(), for a file already on disk: an upload spooled to a temp file in temp_dir()
    // while it arrived (core/http/upload.hpp), with its SHA-256 computed on the way. The type
    // is judged from its first 64 KiB plus the spool's whole-file checks (valid UTF-8, no NUL)
    // for text; a text file larger than that is never judged JSON. On success the temp file is
    // renamed into the store (fsync first) and released; on refusal it stays with the caller
    // (its destructor removes it). An incomplete part is refused as bad_request.
    Result<StoredFile> adopt(http::SpooledFile& file, const FilePolicy& policy, std::optional<std::int64_t> user_id);

    // The recorded file, or nullopt when unknown or when sha256 is not 64 lowercase hex chars.
    std::optional<StoredFile> info(const std::string& sha256);
    // The bytes on disk, or nullopt when absent or when sha256 is malformed.
    std::optional<std::string> read(const std::string& sha256);

    // 200 with the stored type, nosniff, CSP "default-src 'none'; sandbox", an immutable
    // one-year cache, ETag "<sha256>" and Content-Disposition (inline for images, attachment
    // otherwise); 304 when if_none_match matches; 404 when unknown. Throws std::runtime_error
    // when a recorded file is missing from disk (lost data is a 500, not a 404).
    // `streamed`: the body is read from disk in pieces while sent (http::file_source) instead
    // of being loaded whole; for large files.
    http::Response serve(const std::string& sha256, std::string_view download_name,
                         std::string_view if_none_match, bool streamed = false);
    // The stored file opened for reading in pieces (http::BodySource::next); nullptr when
    // unknown on disk or when sha256 is malformed.
    std::shared_ptr<http::BodySource> open(const std::string& sha256);

    const std::string& root() const { return root_; }
    // Temp files live here (same file system as the store, so adopting is a rename).
    std::string temp_dir() const { return root_ + "/tmp"; }

  private:
    std::string path_of(const std::string& sha256) const;
    void write_atomically(const std::string& sha256, std::string_view bytes);
    Result<StoredFile> record(StoredFile file, std::optional<std::int64_t> user_id);

    std::string root_;
    db::Database& db_;
    const Clock& clock_;
};

}  // namespace gapura::core::files
