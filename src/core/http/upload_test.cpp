// Unit tests for core/http/upload: the incremental multipart parser (every split of the input
// gives the same result), the spool to temp files (hash, size, text checks, limits, the gate,
// the observer) and that no temp file outlives a refused or abandoned upload.
#include "core/http/upload.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "core/auth/crypto.hpp"
#include "core/http/multipart.hpp"

namespace gapura::core::http {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

const std::string kB = "----gapuraStream7MA4YWxk";

std::string text_part(const std::string& name, const std::string& value, const std::string& b = kB) {
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}
std::string file_part(const std::string& name, const std::string& filename, const std::string& data,
                      const std::string& b = kB) {
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename +
           "\"\r\nContent-Type: text/csv\r\n\r\n" + data + "\r\n";
}
std::string closing(const std::string& b = kB) { return "--" + b + "--\r\n"; }

// Records the events as text, so two runs can be compared.
struct Recorder : MultipartSink {
    std::string log;
    bool part_begin(const PartHead& h) override {
        log += "[" + h.name + (h.filename ? "|" + *h.filename : "") + "]";
        return true;
    }
    bool part_data(std::string_view b) override {
        log.append(b);
        return true;
    }
    bool part_end() override {
        log += "[/]";
        return true;
    }
};

std::string parse_in_pieces(const std::string& body, const std::vector<std::size_t>& cuts, bool* ok) {
    Recorder r;
    MultipartStream p(kB, r);
    std::size_t from = 0;
    bool good = true;
    for (auto c : cuts) {
        good = good && p.feed(std::string_view(body).substr(from, c - from));
        from = c;
    }
    good = good && p.feed(std::string_view(body).substr(from));
    good = good && p.finish();
    *ok = good;
    return r.log;
}

// Tricky data: CR LF and "--" sequences, partial boundaries, a boundary-like line without CRLF.
const std::string kTricky = "a\r\nb\r\n--\r\n-" + kB.substr(0, 10) + "\r\n--" + kB.substr(0, 20) + "x\r\r\n\r";

TEST(MultipartStream, SameEventsForEverySplitIntoTwoAndThreePieces) {
    const std::string body = "preamble\r\n" + text_part("_csrf", "tok") + file_part("file", "a.csv", kTricky) +
                             text_part("note", "") + closing() + "epilogue";
    bool ok = false;
    const std::string want = parse_in_pieces(body, {}, &ok);
    ASSERT_TRUE(ok);
    EXPECT_EQ(want, "[_csrf]tok[/][file|a.csv]" + kTricky + "[/][note][/]");
    for (std::size_t i = 0; i <= body.size(); ++i) {
        EXPECT_EQ(parse_in_pieces(body, {i}, &ok), want) << "cut at " << i;
        EXPECT_TRUE(ok) << "cut at " << i;
    }
    // Three pieces around every position of the file's closing delimiter (it spans chunks).
    const std::size_t d = body.find("\r\n--" + kB, body.find("a.csv"));
    for (std::size_t i = d - 3; i < d + kB.size() + 6; ++i)
        for (std::size_t j = i; j < d + kB.size() + 8; ++j) {
            EXPECT_EQ(parse_in_pieces(body, {i, j}, &ok), want) << i << "," << j;
            EXPECT_TRUE(ok);
        }
}

TEST(MultipartStream, ByteByByteAndRandomSplitsAgreeWithTheInMemoryParser) {
    std::mt19937 rng(42);
    std::string data;
    for (int i = 0; i < 5000; ++i) data += "\r\n-"[rng() % 3] + std::string(1, static_cast<char>('a' + rng() % 3));
    data += "\r\n--" + kB.substr(0, kB.size() - 1);  // almost a delimiter, at the very end
    const std::string body = text_part("_csrf", "t") + file_part("file", "x.csv", data) + closing();
    auto mem = parse_multipart(body, kB);
    ASSERT_TRUE(mem);
    ASSERT_EQ(mem->files.size(), 1u);
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < body.size(); ++i) every.push_back(i);
    bool ok = false;
    const std::string want = "[_csrf]t[/][file|x.csv]" + mem->files[0].data + "[/]";
    EXPECT_EQ(parse_in_pieces(body, every, &ok), want);
    EXPECT_TRUE(ok);
    for (int round = 0; round < 50; ++round) {
        std::vector<std::size_t> cuts;
        for (std::size_t at = 0; at < body.size();) {
            at += 1 + rng() % 300;
            if (at < body.size()) cuts.push_back(at);
        }
        EXPECT_EQ(parse_in_pieces(body, cuts, &ok), want);
        EXPECT_TRUE(ok);
    }
}

TEST(MultipartStream, MalformedInputIsRefused) {
    auto fails = [](const std::string& body, MultipartStream::Error want) {
        Recorder r;
        MultipartStream p(kB, r, {4, 256});
        bool ok = p.feed(body) && p.finish();
        EXPECT_FALSE(ok) << body.substr(0, 80);
        EXPECT_EQ(p.error(), want) << body.substr(0, 80);
    };
    using E = MultipartStream::Error;
    fails("", E::malformed);                                             // no delimiter at all
    fails(text_part("a", "1"), E::malformed);                            // truncated: no closing delimiter
    fails("--" + kB + "XX\r\n", E::malformed);                           // junk after the delimiter
    fails("--" + kB + "\r\nno colon here\r\n\r\nx\r\n" + closing(), E::malformed);
    fails("--" + kB + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n" + closing(), E::malformed);
    fails("--" + kB + "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n" + closing(), E::malformed);  // no name
    fails("--" + kB + "\r\nContent-Disposition: form-data; name=\"a\"\r\nX: " + std::string(300, 'h') + "\r\n\r\n", E::header_too_large);
    std::string many;
    for (int i = 0; i < 5; ++i) many += text_part("f" + std::to_string(i), "v");
    fails(many + closing(), E::too_many_parts);
    // A boundary with characters RFC 2046 does not allow is refused up front.
    Recorder r;
    MultipartStream bad("a\rb", r);
    EXPECT_FALSE(bad.feed("--a\rb--"));
    EXPECT_FALSE(valid_boundary(std::string(71, 'a')));
    EXPECT_FALSE(valid_boundary(""));
    EXPECT_TRUE(valid_boundary(kB));
}

TEST(MultipartStream, HeadersSplitAcrossChunksAndQuotedNames) {
    const std::string body = "--" + kB +
                             "\r\ncontent-disposition: form-data; name=\"f;x\"; filename=\"a \\\"b\\\";.csv\"\r\n\r\nD\r\n" +
                             closing();
    bool ok = false;
    for (std::size_t i = 0; i <= body.size(); ++i) {
        EXPECT_EQ(parse_in_pieces(body, {i}, &ok), "[f;x|a \"b\";.csv]D[/]") << i;
        EXPECT_TRUE(ok);
    }
}

// ---------------------------------------------------------------- UploadSpool

struct TempDir {
    std::string path;
    TempDir() {
        path = (fs::temp_directory_path() / ("gapura-upload-" + auth::Crypto::random_token(6))).string();
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::size_t count() const { return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator())); }
};

std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct CountingObserver : UploadObserver {
    std::string seen;
    std::size_t stop_after = std::string::npos;
    int begins = 0, ends = 0;
    bool file_begin(const SpooledFile&) override { return ++begins > 0; }
    bool file_data(std::string_view b) override {
        seen.append(b);
        return seen.size() < stop_after;
    }
    void file_end(const SpooledFile&) override { ++ends; }
};

TEST(UploadSpool, SpoolsTheFileWithItsHashAndKeepsFieldsInMemory) {
    TempDir dir;
    std::string data;
    for (int i = 0; i < 20000; ++i) data += "35.23.01,kecamatan \xC3\xA9,42\r\n";  // ~600 KB, UTF-8
    const std::string body = text_part("_csrf", "tok") + file_part("file", "d.csv", data) + text_part("after", "1") + closing();
    for (std::size_t chunk : {1ul, 7ul, 4096ul, 65536ul, body.size()}) {
        auto obs = std::make_unique<CountingObserver>();
        auto* o = obs.get();
        Form gate_saw;
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 1024, 8}, std::move(obs), [&](const Form& f) {
            gate_saw = f;
            return true;
        });
        const std::size_t step = chunk;
        for (std::size_t off = 0; off < body.size(); off += step) ASSERT_TRUE(spool.feed(std::string_view(body).substr(off, step)));
        ASSERT_TRUE(spool.finish());
        EXPECT_EQ(spool.stop(), UploadStop::none);
        EXPECT_EQ(gate_saw.value("_csrf"), "tok");
        EXPECT_EQ(spool.fields().value("after"), "1");
        ASSERT_EQ(spool.files().size(), 1u);
        auto& f = spool.files()[0];
        EXPECT_TRUE(f.complete);
        EXPECT_EQ(f.size, data.size());
        EXPECT_EQ(f.sha256, auth::Crypto::sha256_hex(data));
        EXPECT_EQ(f.head, data.substr(0, SpooledFile::kHeadBytes));
        EXPECT_TRUE(f.utf8);  // é split across chunks at some sizes
        EXPECT_FALSE(f.nul);
        EXPECT_EQ(slurp(f.temp.path()), data);
        EXPECT_EQ(o->seen, data);
        EXPECT_EQ(o->begins, 1);
        EXPECT_EQ(o->ends, 1);
        EXPECT_EQ(dir.count(), 1u);
    }
    EXPECT_EQ(dir.count(), 0u);  // every spool removed its temp file
}

TEST(UploadSpool, TextChecksSeeInvalidUtf8AndNulAnywhere) {
    TempDir dir;
    auto run = [&](const std::string& data, std::size_t step) {
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 1024, 8}, nullptr, nullptr);
        const std::string body = file_part("file", "d.csv", data) + closing();
        for (std::size_t off = 0; off < body.size(); off += step) spool.feed(std::string_view(body).substr(off, step));
        EXPECT_TRUE(spool.finish());
        return std::make_pair(spool.files()[0].utf8, spool.files()[0].nul);
    };
    const std::string big(100000, 'a');
    for (std::size_t step : {1ul, 2ul, 3ul, 5ul, 4096ul}) {
        EXPECT_EQ(run(big + "\xE2\x82\xAC" + big, step), std::make_pair(true, false)) << step;  // € split anywhere
        EXPECT_EQ(run(big + "\xE2\x82" + "a" + big, step), std::make_pair(false, false)) << step;
        EXPECT_EQ(run(big + "\xC3", step), std::make_pair(false, false)) << step;  // ends inside a sequence
        EXPECT_EQ(run(big + std::string(1, '\0') + big, step), std::make_pair(true, true)) << step;
        EXPECT_EQ(run("\xF0\x9F\x98\x80 ok", step), std::make_pair(true, false)) << step;
        EXPECT_EQ(run("\xFF", step), std::make_pair(false, false)) << step;
    }
}

TEST(UploadSpool, LimitsTheGateAndTheObserverStopTheRead) {
    TempDir dir;
    const std::string data(5000, 'x');
    {  // file over max_file_bytes: stopped, temp file gone with the spool
        UploadSpool spool(kB, dir.path, {4000, 1, 1024, 8}, nullptr, nullptr);
        EXPECT_FALSE(spool.feed(file_part("file", "a.csv", data) + closing()));
        EXPECT_EQ(spool.stop(), UploadStop::too_large);
        EXPECT_FALSE(spool.feed("more"));
    }
    EXPECT_EQ(dir.count(), 0u);
    {  // two files where one is allowed
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 1024, 8}, nullptr, nullptr);
        EXPECT_FALSE(spool.feed(file_part("a", "a.csv", "1") + file_part("b", "b.csv", "2") + closing()));
        EXPECT_EQ(spool.stop(), UploadStop::too_many_files);
    }
    {  // ordinary fields above their budget
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 100, 8}, nullptr, nullptr);
        EXPECT_FALSE(spool.feed(text_part("a", std::string(101, 'v')) + closing()));
        EXPECT_EQ(spool.stop(), UploadStop::too_large);
    }
    {  // a field that is not UTF-8
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 100, 8}, nullptr, nullptr);
        EXPECT_FALSE(spool.feed(text_part("a", "\xFF") + closing()));
        EXPECT_EQ(spool.stop(), UploadStop::malformed);
    }
    {  // the gate refuses (wrong CSRF token): no temp file is ever created
        bool called = false;
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 1024, 8}, nullptr, [&](const Form& f) {
            called = true;
            return f.value("_csrf") == "good";
        });
        EXPECT_FALSE(spool.feed(text_part("_csrf", "bad") + file_part("file", "a.csv", data)));
        EXPECT_TRUE(called);
        EXPECT_EQ(spool.stop(), UploadStop::refused);
        EXPECT_EQ(dir.count(), 0u);
        EXPECT_TRUE(spool.files().empty());
    }
    {  // a file before the token: the gate sees no token
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 1024, 8}, nullptr,
                          [&](const Form& f) { return f.value("_csrf") == "good"; });
        EXPECT_FALSE(spool.feed(file_part("file", "a.csv", data) + text_part("_csrf", "good") + closing()));
        EXPECT_EQ(spool.stop(), UploadStop::refused);
    }
    {  // the observer stops after the first bytes: the rest is never parsed
        auto obs = std::make_unique<CountingObserver>();
        obs->stop_after = 10;
        auto* o = obs.get();
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 1024, 8}, std::move(obs), nullptr);
        const std::string body = file_part("file", "a.csv", data) + closing();
        const std::size_t d = body.find("\r\n\r\n") + 4;  // the file's first byte
        EXPECT_TRUE(spool.feed(std::string_view(body).substr(0, d + 5)));
        EXPECT_FALSE(spool.feed(std::string_view(body).substr(d + 5, 100)));
        EXPECT_EQ(o->seen.size(), 105u);
        EXPECT_EQ(spool.stop(), UploadStop::observer);
        EXPECT_EQ(o->ends, 0);
        ASSERT_EQ(spool.files().size(), 1u);
        EXPECT_FALSE(spool.files()[0].complete);
        EXPECT_EQ(dir.count(), 1u);
    }
    EXPECT_EQ(dir.count(), 0u);
    {  // the body ends before the closing delimiter: malformed, nothing kept
        UploadSpool spool(kB, dir.path, {1 << 20, 1, 1024, 8}, nullptr, nullptr);
        EXPECT_TRUE(spool.feed(file_part("file", "a.csv", data)));
        EXPECT_FALSE(spool.finish());
        EXPECT_EQ(spool.stop(), UploadStop::malformed);
    }
    EXPECT_EQ(dir.count(), 0u);
}

TEST(UploadSpool, DiskFailureThrowsAndLeavesNothing) {
    UploadSpool spool(kB, "/nonexistent-gapura-dir", {1 << 20, 1, 1024, 8}, nullptr, nullptr);
    EXPECT_THROW(spool.feed(file_part("file", "a.csv", "x") + closing()), std::system_error);
}

}  // namespace
}  // namespace gapura::core::http
