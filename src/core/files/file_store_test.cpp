#include "core/files/file_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/audit/audit_log.hpp"
#include "core/auth/auth_service.hpp"
#include "core/auth/crypto.hpp"
#include "core/db/migrator.hpp"

namespace gapura::core::files {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using namespace std::string_view_literals;

const std::string kPng = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0"s;
const std::string kJpeg = "\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01"s;
const std::string kPdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n"s;
const FilePolicy kImages{5 << 20, {"image/jpeg", "image/png", "image/webp"}};
const FilePolicy kDocs{1 << 20, {"application/pdf", "text/csv", "application/json"}};

fs::path unique_dir() {
    static std::atomic<int> n{0};
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return fs::temp_directory_path() / ("gapura-files-" + std::string(info->name()) + "-" +
                                        std::to_string(::getpid()) + "-" + std::to_string(n++));
}

class FileStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auth::Crypto::init();
        dir_ = unique_dir();
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        db_ = db::Database::open("sqlite://" + (dir_ / "test.db").string());
        db::migrate(*db_, {audit::audit_migrations(), auth::accounts_migrations()}, clock_.now());
        store_ = std::make_unique<FileStore>((dir_ / "files").string(), *db_, clock_);
    }
    void TearDown() override {
        store_.reset();
        db_.reset();
        fs::remove_all(dir_);
    }
    std::int64_t file_rows() {
        return db_->read(
            [](db::Connection& c) { return *db::scalar_int(c, "SELECT COUNT(*) FROM files"); });
    }

    FakeClock clock_;
    fs::path dir_;
    std::unique_ptr<db::Database> db_;
    std::unique_ptr<FileStore> store_;
};

struct SniffCase {
    const char* name;
    std::string bytes;
    std::optional<std::string> mime;
};

TEST(SniffMime, Table) {
    const std::vector<SniffCase> cases = {
        {"jpeg", kJpeg, "image/jpeg"},
        {"png", kPng, "image/png"},
        {"webp", "RIFF\x24\0\0\0WEBPVP8 "s, "image/webp"},
        {"riff wave is not webp", "RIFF\x24\0\0\0WAVEfmt "s, std::nullopt},
        {"short riff", "RIFF\x24\0\0\0WEB"s, std::nullopt},
        {"gif87a", "GIF87a\x01\0\x01\0"s, "image/gif"},
        {"gif89a", "GIF89a\x01\0\x01\0"s, "image/gif"},
        {"pdf", kPdf, "application/pdf"},
        {"zip/xlsx", "PK\x03\x04\x14\0\x06\0"s, "application/zip"},
        {"json object", R"({"a": [1, 2, {"b": null}]})", "application/json"},
        {"json array with BOM and spaces", "\xEF\xBB\xBF \n [1, 2, 3]\n", "application/json"},
        {"broken json is just text", "{not json", "text/csv"},
        {"csv", "nama,kecamatan,jumlah\nBudi,Pusat,3\n", "text/csv"},
        {"csv with BOM and UTF-8", "\xEF\xBB\xBFnama,kota\nSiti,Bekasi \xE2\x80\x93 Timur\n",
         "text/csv"},
        {"csv with markup later is text", "a,b\n1,<b>x</b>\n", "text/csv"},
        {"svg with script",
         "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>", std::nullopt},
        {"svg after xml prolog", "<?xml version=\"1.0\"?><svg onload=\"alert(1)\"/>", std::nullopt},
        {"svg after BOM and whitespace", "\xEF\xBB\xBF\r\n\t <svg/>", std::nullopt},
        {"html", "<!DOCTYPE html><html><body>hi</body></html>", std::nullopt},
        {"html lowercase indented", "   \n<html><script>x</script>", std::nullopt},
        {"elf",
         "\x7f"
         "ELF\x02\x01\x01\0\0\0"s,
         std::nullopt},
        {"mz", "MZ\x90\0\x03\0\0\0"s, std::nullopt},
        {"mz text", "MZ,a,b\n1,2,3\n", std::nullopt},
        {"shell script", "#!/bin/sh\nrm -rf /\n", std::nullopt},
        {"shell script after BOM", "\xEF\xBB\xBF#!/bin/sh\n", std::nullopt},
        {"empty", "", std::nullopt},
        {"only whitespace", " \r\n\t", std::nullopt},
        {"only BOM", "\xEF\xBB\xBF", std::nullopt},
        {"text with NUL", "a,b\0c\n"s, std::nullopt},
        {"invalid UTF-8", "a,b\n\xC3\x28\n", std::nullopt},
        {"latin-1 text", "caf\xE9\n", std::nullopt},
        {"utf-16 text", "\xFF\xFEh\0i\0"s, std::nullopt},
        {"random binary", "\x01\x02\x03\xFE\xFF"s, std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(sniff_mime(c.bytes), c.mime) << c.name;
}

TEST(ValidSha256, AcceptsOnlyLowercaseHex64) {
    EXPECT_TRUE(valid_sha256(std::string(64, 'a')));
    EXPECT_TRUE(valid_sha256("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    EXPECT_FALSE(valid_sha256("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    EXPECT_FALSE(valid_sha256(std::string(63, 'a')));
    EXPECT_FALSE(valid_sha256(std::string(65, 'a')));
    EXPECT_FALSE(valid_sha256(""));
    EXPECT_FALSE(valid_sha256("../../etc/passwd"));
    EXPECT_FALSE(valid_sha256("ba/816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

TEST_F(FileStoreTest, StoresContentAddressedFile) {
    auto r = store_->put("abc", kDocs, std::nullopt);
    ASSERT_TRUE(r.ok()) << r.error().message_key;
    EXPECT_EQ(r->sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(r->mime, "text/csv");
    EXPECT_EQ(r->size, 3);
    const fs::path on_disk = dir_ / "files" / "ba" / "78" / r->sha256;
    ASSERT_TRUE(fs::exists(on_disk));
    EXPECT_EQ(fs::file_size(on_disk), 3u);
    EXPECT_TRUE(fs::is_empty(dir_ / "files" / "tmp"));  // no temp file left behind

    auto info = store_->info(r->sha256);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->mime, "text/csv");
    EXPECT_EQ(info->size, 3);
    EXPECT_EQ(store_->read(r->sha256), "abc");

    auto created = db_->read([&](db::Connection& c) {
        return db::scalar_int(c, "SELECT created_at FROM files WHERE sha256 = ?", {r->sha256});
    });
    EXPECT_EQ(created, clock_.now());
}

TEST_F(FileStoreTest, RejectsEmptyTooLargeAndWrongType) {
    auto empty = store_->put("", kImages, 1);
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, ErrorCode::bad_request);
    EXPECT_EQ(empty.error().message_key, "err_file_empty");

    FilePolicy tiny{16, {"image/png"}};
    auto big = store_->put(kPng + std::string(100, 'x'), tiny, 1);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, ErrorCode::too_large);
    EXPECT_EQ(big.error().message_key, "err_file_too_large");

    FilePolicy exact{kPng.size(), {"image/png"}};
    EXPECT_TRUE(store_->put(kPng, exact, 1).ok());  // the limit itself is allowed

    for (const std::string& hostile : {"<svg><script>alert(1)</script></svg>"s, "<html></html>"s,
                                       "\x7f"
                                       "ELF\x02\x01"s,
                                       "MZ\x90\0"s, "#!/bin/sh\necho hi\n"s}) {
        auto r = store_->put(hostile, kDocs, 1);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::unsupported);
        EXPECT_EQ(r.error().message_key, "err_file_type");
    }
    // A PDF is a fine type, just not for an image field.
    auto pdf = store_->put(kPdf, kImages, 1);
    ASSERT_FALSE(pdf.ok());
    EXPECT_EQ(pdf.error().code, ErrorCode::unsupported);
    EXPECT_EQ(file_rows(), 1);
}

TEST_F(FileStoreTest, SameBytesAreStoredOnce) {
    auto a = store_->put(kPng, kImages, 1);
    auto b = store_->put(kPng, kImages, 2);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a->sha256, b->sha256);
    EXPECT_EQ(file_rows(), 1);
    auto by = db_->read([&](db::Connection& c) {
        return db::scalar_int(c, "SELECT created_by FROM files WHERE sha256 = ?", {a->sha256});
    });
    EXPECT_EQ(by, 1);  // the first uploader is kept
    EXPECT_TRUE(fs::is_empty(dir_ / "files" / "tmp"));
}

TEST_F(FileStoreTest, ConcurrentPutsOfTheSameBytes) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            if (store_->put(kJpeg, kImages, std::nullopt).ok()) ++ok;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 8);
    EXPECT_EQ(file_rows(), 1);
    EXPECT_TRUE(fs::is_empty(dir_ / "files" / "tmp"));
}

TEST_F(FileStoreTest, CorruptedCopyIsReplaced) {
    auto r = store_->put(kPng, kImages, 1);
    ASSERT_TRUE(r.ok());
    const fs::path p = dir_ / "files" / r->sha256.substr(0, 2) / r->sha256.substr(2, 2) / r->sha256;
    {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << std::string(kPng.size(), '\0');
    }
    ASSERT_TRUE(store_->put(kPng, kImages, 1).ok());
    EXPECT_EQ(store_->read(r->sha256), kPng);
}

TEST_F(FileStoreTest, MalformedNamesNeverReachTheDisk) {
    ASSERT_TRUE(store_->put("abc", kDocs, std::nullopt).ok());
    for (const std::string& bad :
         {"../../etc/passwd"s, ""s,
          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"s,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"s,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\0"s,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad/"s, "tmp"s}) {
        EXPECT_FALSE(store_->info(bad)) << bad;
        EXPECT_FALSE(store_->read(bad)) << bad;
        EXPECT_EQ(store_->serve(bad, "x", "").result(), http::Status::not_found) << bad;
    }
    EXPECT_EQ(store_->serve(std::string(64, '0'), "x", "").result(), http::Status::not_found);
}

TEST_F(FileStoreTest, ServesWithSafeHeaders) {
    auto r = store_->put(kPng, kImages, 1);
    ASSERT_TRUE(r.ok());
    auto res = store_->serve(r->sha256, "foto.png", "");
    EXPECT_EQ(res.result(), http::Status::ok);
    EXPECT_EQ(res[http::bhttp::field::content_type], "image/png");
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(res["Content-Security-Policy"], "default-src 'none'; sandbox");
    EXPECT_EQ(res[http::bhttp::field::cache_control], "public, max-age=31536000, immutable");
    EXPECT_EQ(res[http::bhttp::field::etag], "\"" + r->sha256 + "\"");
    EXPECT_EQ(res[http::bhttp::field::content_disposition],
              "inline; filename=\"foto.png\"; filename*=UTF-8''foto.png");
    EXPECT_EQ(res[http::bhttp::field::content_length], std::to_string(kPng.size()));
    EXPECT_EQ(res.body(), kPng);

    auto pdf = store_->put(kPdf, kDocs, 1);
    ASSERT_TRUE(pdf.ok());
    auto res2 = store_->serve(pdf->sha256, "Laporan Tahunan.pdf", "");
    EXPECT_EQ(res2[http::bhttp::field::content_type], "application/pdf");
    EXPECT_EQ(
        res2[http::bhttp::field::content_disposition],
        "attachment; filename=\"Laporan Tahunan.pdf\"; filename*=UTF-8''Laporan%20Tahunan.pdf");
}

TEST_F(FileStoreTest, PngNamedExeGetsAnImageExtension) {
    auto r = store_->put(kPng, kImages, 1);
    ASSERT_TRUE(r.ok());
    auto res = store_->serve(r->sha256, "invoice.exe", "");
    EXPECT_EQ(res[http::bhttp::field::content_type], "image/png");
    EXPECT_EQ(res[http::bhttp::field::content_disposition],
              "inline; filename=\"invoice.exe.png\"; filename*=UTF-8''invoice.exe.png");
    // No name at all: a name from the hash.
    auto unnamed = store_->serve(r->sha256, "", "");
    EXPECT_EQ(unnamed[http::bhttp::field::content_disposition],
              "inline; filename=\"" + r->sha256.substr(0, 16) + ".png\"; filename*=UTF-8''" +
                  r->sha256.substr(0, 16) + ".png");
}

TEST_F(FileStoreTest, HostileDownloadNameIsNeutralised) {
    auto r = store_->put(kPdf, kDocs, 1);
    ASSERT_TRUE(r.ok());
    // Quotes, CRLF header injection, a path, non-ASCII and a right-to-left override.
    const std::string hostile =
        "..\\..\"/x\"\r\nSet-Cookie: a=1; b%41 \xC3\xB1"
        "ame\xE2\x80\xAE"
        "fdp.exe";
    auto res = store_->serve(r->sha256, hostile, "");
    const std::string cd(res[http::bhttp::field::content_disposition]);
    EXPECT_EQ(cd.find('\r'), std::string::npos);
    EXPECT_EQ(cd.find('\n'), std::string::npos);
    EXPECT_EQ(cd,
              "attachment; filename=\"_..__x___Set-Cookie_ a=1_ b_41 _ame_fdp.exe.pdf\";"
              " filename*=UTF-8''_..__x___Set-Cookie_%20a%3D1%3B%20b%2541%20%C3%B1ame_fdp.exe.pdf");

    // Invalid UTF-8 keeps only its printable ASCII.
    auto res2 = store_->serve(r->sha256, "r\xFF\xFEport.pdf", "");
    EXPECT_EQ(res2[http::bhttp::field::content_disposition],
              "attachment; filename=\"rport.pdf\"; filename*=UTF-8''rport.pdf");
    // Dots and spaces only: the fallback name.
    auto res3 = store_->serve(r->sha256, " ... ", "");
    EXPECT_EQ(res3[http::bhttp::field::content_disposition],
              "attachment; filename=\"" + r->sha256.substr(0, 16) + ".pdf\"; filename*=UTF-8''" +
                  r->sha256.substr(0, 16) + ".pdf");
}

TEST_F(FileStoreTest, IfNoneMatchGives304) {
    auto r = store_->put(kJpeg, kImages, 1);
    ASSERT_TRUE(r.ok());
    const std::string etag = "\"" + r->sha256 + "\"";
    for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, "*"s}) {
        auto res = store_->serve(r->sha256, "a.jpg", inm);
        EXPECT_EQ(res.result(), http::Status::not_modified) << inm;
        EXPECT_TRUE(res.body().empty());
        EXPECT_EQ(res[http::bhttp::field::etag], etag);
        EXPECT_EQ(res[http::bhttp::field::cache_control], "public, max-age=31536000, immutable");
    }
    for (const std::string& inm : {"\"other\""s, r->sha256, "\"" + r->sha256, "W/\"x\""s}) {
        auto res = store_->serve(r->sha256, "a.jpg", inm);
        EXPECT_EQ(res.result(), http::Status::ok) << inm;
        EXPECT_EQ(res.body(), kJpeg);
    }
}

TEST_F(FileStoreTest, RecordedButMissingFileIsAnError) {
    auto r = store_->put(kJpeg, kImages, 1);
    ASSERT_TRUE(r.ok());
    fs::remove(dir_ / "files" / r->sha256.substr(0, 2) / r->sha256.substr(2, 2) / r->sha256);
    EXPECT_FALSE(store_->read(r->sha256));
    EXPECT_THROW(store_->serve(r->sha256, "a.jpg", ""), std::runtime_error);
    // Uploading it again restores it.
    ASSERT_TRUE(store_->put(kJpeg, kImages, 1).ok());
    EXPECT_EQ(store_->serve(r->sha256, "a.jpg", "").result(), http::Status::ok);
}

}  // namespace
}  // namespace gapura::core::files
