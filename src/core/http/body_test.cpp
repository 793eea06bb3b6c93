// Streamed bodies (core/http/body.hpp): the sources on their own, then through a real Server on
// loopback: framing, order, HEAD, gzip, errors before and after the first byte, backpressure
// against a client that does not read, a client leaving mid-body, and memory while 100 MB go out.
#include "core/http/body.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <zlib.h>

#include <atomic>
#include <cctype>
#include <map>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <spdlog/logger.h>
#include <thread>

#include "app/testing.hpp"
#include "core/http/response.hpp"
#include "core/http/server.hpp"

namespace gapura::core::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

std::string gunzip(std::string_view z) {
    z_stream s{};
    if (inflateInit2(&s, 15 + 16) != Z_OK) return "<inflateInit2>";
    std::string out;
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
    s.avail_in = static_cast<uInt>(z.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        char buf[65536];
        s.next_out = reinterpret_cast<Bytef*>(buf);
        s.avail_out = sizeof buf;
        rc = inflate(&s, Z_NO_FLUSH);
        out.append(buf, sizeof buf - s.avail_out);
    }
    inflateEnd(&s);
    return rc == Z_STREAM_END ? out : "<inflate error>";
}

std::string temp_file(const std::string& dir, const std::string& name, std::size_t size) {
    const std::string path = dir + "/" + name;
    std::ofstream f(path, std::ios::binary);
    std::string block(1 << 20, '\0');
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    for (std::size_t done = 0; done < size;) {
        const std::size_t n = std::min(block.size(), size - done);
        f.write(block.data(), static_cast<std::streamsize>(n));
        block[0] = static_cast<char>(block[0] + 1);  // no two MiB alike
        done += n;
    }
    return path;
}

TEST(BodySource, GeneratorGivesItsPiecesInOrderAndFreesItselfWhenDone) {
    auto alive = std::make_shared<int>(0);
    std::weak_ptr<int> watch = alive;
    int calls = 0;
    auto src = generator_source([&calls, keep = std::move(alive)](std::string& out) {
        out += "piece" + std::to_string(calls++) + ";";
        return calls < 4;
    });
    EXPECT_FALSE(src->size());
    std::string all;
    while (src->next(all, 10)) {
    }
    EXPECT_EQ(all, "piece0;piece1;piece2;piece3;");
    EXPECT_TRUE(watch.expired()) << "a finished generator keeps what it captured";
    std::string more;
    EXPECT_FALSE(src->next(more, 10));
    EXPECT_EQ(more, "");
    EXPECT_EQ(calls, 4);
}

TEST(BodySource, FileIsReadInPiecesOfAtMostTheHintAndMissingFilesAreNull) {
    const auto dir = gapura::testing::temp_dir("body");
    const auto path = temp_file(dir, "f.bin", 300000);
    std::ifstream in(path, std::ios::binary);
    const std::string want((std::istreambuf_iterator<char>(in)), {});
    auto src = file_source(path);
    ASSERT_TRUE(src);
    ASSERT_EQ(src->size(), 300000u);
    std::string all, piece;
    int pieces = 0;
    for (bool more = true; more; ++pieces) {
        piece.clear();
        more = src->next(piece, 65536);
        EXPECT_LE(piece.size(), 65536u);
        all += piece;
    }
    EXPECT_EQ(pieces, 5);
    EXPECT_EQ(all, want);
    EXPECT_EQ(file_source(dir + "/absent"), nullptr);
    EXPECT_EQ(file_source(dir), nullptr) << "a directory is not a file body";
    std::filesystem::remove_all(dir);
}

TEST(ByteRange, ParsesTheThreeFormsAndRefusesTheRest) {
    using K = ByteRange::Kind;
    auto r = parse_byte_range("bytes=0-99", 1000);
    EXPECT_EQ(r.kind, K::range);
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.length, 100u);
    r = parse_byte_range("bytes=900-", 1000);
    EXPECT_EQ(r.kind, K::range);
    EXPECT_EQ(r.first, 900u);
    EXPECT_EQ(r.length, 100u);
    r = parse_byte_range("bytes=-10", 1000);
    EXPECT_EQ(r.kind, K::range);
    EXPECT_EQ(r.first, 990u);
    EXPECT_EQ(r.length, 10u);
    r = parse_byte_range("bytes=-5000", 1000);  // more than the whole: the whole
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.length, 1000u);
    r = parse_byte_range(" bytes= 500 - 5000 ", 1000);  // the end beyond the body is cut to it
    EXPECT_EQ(r.kind, K::range);
    EXPECT_EQ(r.first, 500u);
    EXPECT_EQ(r.length, 500u);
    EXPECT_EQ(parse_byte_range("bytes=999-999", 1000).length, 1u);
    // Beyond the end, an empty suffix, an empty body: 416.
    EXPECT_EQ(parse_byte_range("bytes=1000-", 1000).kind, K::unsatisfiable);
    EXPECT_EQ(parse_byte_range("bytes=5000-6000", 1000).kind, K::unsatisfiable);
    EXPECT_EQ(parse_byte_range("bytes=-0", 1000).kind, K::unsatisfiable);
    EXPECT_EQ(parse_byte_range("bytes=0-", 0).kind, K::unsatisfiable);
    // Malformed, another unit, several ranges, hostile numbers: ignored (the whole body).
    for (const char* h : {"", "bytes", "bytes=", "bytes=-", "bytes=abc-", "bytes=5-2", "bytes=1-2,4-5", "items=0-1",
                          "bytes=0x10-", "bytes=+1-2", "bytes=-1-2", "bytes=99999999999999999999-", "bytes=1--2",
                          "bytes=1- 2x", "bytes=\x00-1"})
        EXPECT_EQ(parse_byte_range(h, 1000).kind, K::none) << h;
}

TEST(ByteRange, AFileAnswerGivesItsPartAGeneratedOneTheWhole) {
    const auto dir = gapura::testing::temp_dir("range");
    const auto path = temp_file(dir, "r.bin", 200000);
    std::ifstream in(path, std::ios::binary);
    const std::string want((std::istreambuf_iterator<char>(in)), {});
    auto request = [](std::string range, std::string if_range = "", Method m = Method::get) {
        Request req{m, "/x", 11};
        if (!range.empty()) req.set(bhttp::field::range, range);
        if (!if_range.empty()) req.set(bhttp::field::if_range, if_range);
        return req;
    };
    auto file_answer = [&] {
        auto res = source_response(Status::ok, file_source(path), "application/octet-stream");
        res.set(bhttp::field::etag, "\"abc\"");
        return res;
    };
    {  // a part, joined to the bytes before it, gives the file
        auto res = file_answer();
        apply_range(request("bytes=150000-"), res);
        EXPECT_EQ(res.result(), Status::partial_content);
        EXPECT_EQ(res[bhttp::field::content_range], "bytes 150000-199999/200000");
        EXPECT_EQ(res[bhttp::field::content_length], "50000");
        EXPECT_EQ(res[bhttp::field::accept_ranges], "bytes");
        EXPECT_EQ(want.substr(0, 150000) + drain_body(res), want);
    }
    {  // a middle part, and a second part of the same part
        auto res = file_answer();
        apply_range(request("bytes=1000-1999", "\"abc\""), res);
        EXPECT_EQ(res.result(), Status::partial_content);
        EXPECT_EQ(drain_body(res), want.substr(1000, 1000));
    }
    {  // If-Range names another version (or is weak, or a date): the whole file
        for (const char* ir : {"\"old\"", "W/\"abc\"", "Tue, 01 Dec 2026 00:00:00 GMT"}) {
            auto res = file_answer();
            apply_range(request("bytes=10-20", ir), res);
            EXPECT_EQ(res.result(), Status::ok) << ir;
            EXPECT_EQ(drain_body(res).size(), want.size()) << ir;
        }
    }
    {  // beyond the end: 416 with the size, no body source
        auto res = file_answer();
        apply_range(request("bytes=200000-"), res);
        EXPECT_EQ(res.result(), Status::range_not_satisfiable);
        EXPECT_EQ(res[bhttp::field::content_range], "bytes */200000");
        EXPECT_EQ(res.source, nullptr);
    }
    {  // malformed: the whole file, with Accept-Ranges
        auto res = file_answer();
        apply_range(request("bytes=9-3"), res);
        EXPECT_EQ(res.result(), Status::ok);
        EXPECT_EQ(res[bhttp::field::accept_ranges], "bytes");
    }
    {  // HEAD: the whole answer's head, announcing ranges
        auto res = file_answer();
        apply_range(request("bytes=0-1", "", Method::head), res);
        EXPECT_EQ(res.result(), Status::ok);
        EXPECT_EQ(res[bhttp::field::accept_ranges], "bytes");
    }
    {  // a generated body, an error answer, an encoded one: untouched
        auto gen = source_response(Status::ok, generator_source([](std::string& o) { o += "x"; return false; }), "text/csv");
        apply_range(request("bytes=0-0"), gen);
        EXPECT_EQ(gen.result(), Status::ok);
        EXPECT_EQ(gen.find(bhttp::field::accept_ranges), gen.end());
        auto notfound = source_response(Status::not_found, file_source(path), "text/plain");
        apply_range(request("bytes=0-0"), notfound);
        EXPECT_EQ(notfound.result(), Status::not_found);
        auto encoded = file_answer();
        encoded.set(bhttp::field::content_encoding, "gzip");
        apply_range(request("bytes=0-0"), encoded);
        EXPECT_EQ(encoded.result(), Status::ok);
    }
    std::filesystem::remove_all(dir);
}

// A body held in memory that counts the calls to slice(); `can_cut` is what sliceable() says.
class CountingSource final : public BodySource {
public:
    CountingSource(std::string bytes, bool can_cut, std::shared_ptr<int> slices)
        : bytes_(std::move(bytes)), can_cut_(can_cut), slices_(std::move(slices)) {}
    std::optional<std::uint64_t> size() const override { return bytes_.size(); }
    bool sliceable() const override { return can_cut_; }
    std::shared_ptr<BodySource> slice(std::uint64_t offset, std::uint64_t length) const override {
        ++*slices_;
        return std::make_shared<CountingSource>(bytes_.substr(offset, length), can_cut_, slices_);
    }
    bool next(std::string& out, std::size_t) override {
        out += bytes_.substr(sent_);
        sent_ = bytes_.size();
        return false;
    }

private:
    std::string bytes_;
    bool can_cut_;
    std::shared_ptr<int> slices_;
    std::size_t sent_ = 0;
};

TEST(ByteRange, TheBodyIsCutOnlyWhenAPartIsServed) {
    const std::string body = "0123456789abcdefghij";
    auto slices = std::make_shared<int>(0);
    auto answer = [&](bool can_cut) {
        auto res = source_response(Status::ok, std::make_shared<CountingSource>(body, can_cut, slices), "text/plain");
        res.set(bhttp::field::etag, "\"v1\"");
        return res;
    };
    auto request = [](std::string range, std::string if_range = "", Method m = Method::get) {
        Request req{m, "/x", 11};
        if (!range.empty()) req.set(bhttp::field::range, range);
        if (!if_range.empty()) req.set(bhttp::field::if_range, if_range);
        return req;
    };
    {  // no Range: Accept-Ranges announced, the whole body, never cut
        auto res = answer(true);
        apply_range(request(""), res);
        EXPECT_EQ(res.result(), Status::ok);
        EXPECT_EQ(res[bhttp::field::accept_ranges], "bytes");
        EXPECT_EQ(drain_body(res), body);
        EXPECT_EQ(*slices, 0);
    }
    {  // HEAD, a malformed Range, one beyond the end, a stale If-Range: not cut either
        auto head = answer(true);
        apply_range(request("bytes=0-1", "", Method::head), head);
        auto malformed = answer(true);
        apply_range(request("bytes=x-1"), malformed);
        auto beyond = answer(true);
        apply_range(request("bytes=20-"), beyond);
        EXPECT_EQ(beyond.result(), Status::range_not_satisfiable);
        auto stale = answer(true);
        apply_range(request("bytes=0-1", "\"v0\""), stale);
        EXPECT_EQ(stale.result(), Status::ok);
        EXPECT_EQ(*slices, 0);
    }
    {  // a part: exactly one cut, of exactly that part
        auto res = answer(true);
        apply_range(request("bytes=5-9", "\"v1\""), res);
        EXPECT_EQ(res.result(), Status::partial_content);
        EXPECT_EQ(drain_body(res), "56789");
        EXPECT_EQ(*slices, 1);
    }
    {  // a body that says it cannot be cut is never asked to, and gets no Accept-Ranges
        *slices = 0;
        auto res = answer(false);
        apply_range(request("bytes=5-9"), res);
        EXPECT_EQ(res.result(), Status::ok);
        EXPECT_EQ(res.find(bhttp::field::accept_ranges), res.end());
        EXPECT_EQ(drain_body(res), body);
        EXPECT_EQ(*slices, 0);
    }
}

TEST(BodySource, OnlyFilesSayTheyCanBeCut) {
    const auto dir = gapura::testing::temp_dir("sliceable");
    const auto path = temp_file(dir, "s.bin", 1000);
    EXPECT_TRUE(file_source(path)->sliceable());
    EXPECT_TRUE(file_source(path)->slice(10, 20)->sliceable());
    EXPECT_FALSE(generator_source([](std::string&) { return false; }, 0)->sliceable());
    EXPECT_FALSE(gzip_source(file_source(path), 1)->sliceable());
    std::filesystem::remove_all(dir);
}

TEST(BodySource, GzipOfAStreamInflatesToTheStream) {
    int n = 0;
    auto inner = generator_source([&n](std::string& out) {
        for (int i = 0; i < 1000; ++i) out += "baris " + std::to_string(n * 1000 + i) + ",nilai\r\n";
        return ++n < 50;
    });
    std::string plain;
    {
        int m = 0;
        auto again = generator_source([&m](std::string& out) {
            for (int i = 0; i < 1000; ++i) out += "baris " + std::to_string(m * 1000 + i) + ",nilai\r\n";
            return ++m < 50;
        });
        while (again->next(plain, 1 << 16)) {
        }
    }
    Response res = source_response(Status::ok, gzip_source(std::move(inner), 1), "text/csv");
    EXPECT_TRUE(res.chunked());
    const std::string z = drain_body(res);
    EXPECT_LT(z.size(), plain.size() / 3);
    EXPECT_EQ(gunzip(z), plain);
}

// ------------------------------------------------------------------ through the server

struct Raw {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    bool complete = false;  // the framing said the body ended (not just EOF)
};

class Conn {
public:
    explicit Conn(std::uint16_t port, int rcvbuf = 0) : sock_(io_) {
        sock_.open(tcp::v4());
        if (rcvbuf > 0) ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        sock_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }
    void send(const std::string& s) { asio::write(sock_, asio::buffer(s)); }
    void close() {
        boost::system::error_code ec;
        sock_.close(ec);
    }
    // Reads one answer; `head`: it has no body whatever its fields say.
    Raw read(bool head = false) {
        Raw r;
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return r;
        std::string h = buf_.substr(0, end);
        buf_.erase(0, end + 4);
        r.status = static_cast<unsigned>(std::stoi(h.substr(9, 3)));
        for (std::size_t p = h.find("\r\n"); p != std::string::npos;) {
            const auto q = h.find("\r\n", p + 2);
            const auto line = h.substr(p + 2, q == std::string::npos ? std::string::npos : q - p - 2);
            const auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[name] = line.substr(colon + 2);
            p = q;
        }
        if (head) {
            r.complete = true;
            return r;
        }
        if (r.headers.count("content-length")) {
            const auto n = std::stoull(r.headers["content-length"]);
            while (buf_.size() < n)
                if (!fill()) break;
            r.body = buf_.substr(0, std::min<std::size_t>(n, buf_.size()));
            r.complete = buf_.size() >= n;
            buf_.erase(0, r.body.size());
        } else if (r.headers["transfer-encoding"] == "chunked") {
            while (true) {
                std::size_t crlf;
                while ((crlf = buf_.find("\r\n")) == std::string::npos)
                    if (!fill()) return r;
                const auto n = std::stoull(buf_.substr(0, crlf), nullptr, 16);
                while (buf_.size() < crlf + 2 + n + 2)
                    if (!fill()) return r;
                r.body += buf_.substr(crlf + 2, n);
                buf_.erase(0, crlf + 2 + n + 2);
                if (n == 0) {
                    r.complete = true;
                    return r;
                }
            }
        } else {
            while (fill()) {
            }
            r.body = std::move(buf_);
            buf_.clear();
        }
        return r;
    }
private:
    bool fill() {
        char b[65536];
        boost::system::error_code ec;
        const auto n = sock_.read_some(asio::buffer(b), ec);
        if (ec) return false;
        buf_.append(b, n);
        return true;
    }
    asio::io_context io_;
    tcp::socket sock_;
    std::string buf_;
};

std::string get(const std::string& path, const std::string& extra = "", const char* method = "GET") {
    return std::string(method) + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

long rss_kb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

class StreamServerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        t_ = new gapura::testing::TestApp();
        dir_ = new std::string(gapura::testing::temp_dir("stream"));
        auto& r = t_->app.router();
        r.add(Method::get, "/uji-aliran/berkas", [](RequestContext&) {
            auto src = file_source(*dir_ + "/three.bin");
            if (!src) return text_response(Status::not_found, "tidak ada");
            return source_response(Status::ok, std::move(src), "application/octet-stream");
        });
        r.add(Method::get, "/uji-aliran/hilang", [](RequestContext&) -> Response {
            auto src = file_source(*dir_ + "/absent.bin");
            if (!src) return text_response(Status::not_found, "tidak ada");
            return source_response(Status::ok, std::move(src), "application/octet-stream");
        });
        r.add(Method::get, "/uji-aliran/besar", [](RequestContext&) {
            return source_response(Status::ok, file_source(*dir_ + "/big.bin"), "application/octet-stream");
        });
        r.add(Method::get, "/uji-aliran/urutan", [](RequestContext&) {
            return source_response(Status::ok, generator_source([i = 0](std::string& out) mutable {
                                       ++gen_fills;
                                       out += "bagian-" + std::to_string(i) + "\n";
                                       return ++i < 3000;
                                   }),
                                   "text/csv");
        });
        r.add(Method::get, "/uji-aliran/tanpa-akhir", [](RequestContext&) {
            struct Probe {
                ~Probe() { ++freed; }
            };
            return source_response(Status::ok, generator_source([p = std::make_shared<Probe>()](std::string& out) {
                                       ++endless_calls;
                                       out.append(64 * 1024, 'x');
                                       return true;
                                   }),
                                   "application/octet-stream");
        });
        r.add(Method::get, "/uji-aliran/gagal-awal", [](RequestContext&) -> Response {
            throw std::runtime_error("stored file missing");
        });
        r.add(Method::get, "/uji-aliran/gagal-tengah", [](RequestContext&) {
            return source_response(Status::ok, generator_source([i = 0](std::string& out) mutable {
                                       if (i++ == 3) throw std::runtime_error("disk went away");
                                       out.append(1000, 'y');
                                       return true;
                                   }),
                                   "application/octet-stream");
        });
        r.add(Method::get, "/uji-aliran/kurang", [](RequestContext&) {
            return source_response(Status::ok, generator_source([](std::string& out) {
                                       out.append(50, 'z');
                                       return false;
                                   }, 100),
                                   "application/octet-stream");
        });
        temp_file(*dir_, "three.bin", 3 * 1000 * 1000 + 17);
        ServerOptions o;
        o.port = 0;
        o.io_threads = 1;
        o.workers = 4;
        server_ = new Server(o, t_->app.pipeline(), std::make_shared<spdlog::logger>("test"));
        server_->start();
    }
    static void TearDownTestSuite() {
        server_->stop();
        delete server_;
        std::filesystem::remove_all(*dir_);
        delete dir_;
        delete t_;
    }
    static std::uint16_t port() { return server_->port(); }
    static std::string file_bytes(const std::string& name) {
        std::ifstream in(*dir_ + "/" + name, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    }

    static inline gapura::testing::TestApp* t_ = nullptr;
    static inline std::string* dir_ = nullptr;
    static inline Server* server_ = nullptr;
    static inline std::atomic<int> gen_fills{0};
    static inline std::atomic<int> endless_calls{0};
    static inline std::atomic<int> freed{0};
};

TEST_F(StreamServerTest, FileBodyHasItsLengthAndBytesAndTheConnectionStaysUsable) {
    Conn c(port());
    c.send(get("/uji-aliran/berkas"));
    auto r = c.read();
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.headers["content-length"], "3000017");
    EXPECT_EQ(r.headers.count("transfer-encoding"), 0u);
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << "the pipeline's headers are kept";
    ASSERT_TRUE(r.complete);
    EXPECT_TRUE(r.body == file_bytes("three.bin"));
    // Keep-alive: the next answer on the same connection is intact.
    c.send(get("/uji-aliran/hilang"));
    auto r2 = c.read();
    EXPECT_EQ(r2.status, 404u);
    EXPECT_EQ(r2.body, "tidak ada");
}

TEST_F(StreamServerTest, ARangeOfAFileIsA206WithThatPartAndBeyondTheEndA416) {
    const std::string want = file_bytes("three.bin");
    Conn c(port());
    c.send(get("/uji-aliran/berkas", "Range: bytes=2999000-\r\n"));
    auto r = c.read();
    EXPECT_EQ(r.status, 206u);
    EXPECT_EQ(r.headers["content-range"], "bytes 2999000-3000016/3000017");
    EXPECT_EQ(r.headers["content-length"], "1017");
    ASSERT_TRUE(r.complete);
    EXPECT_TRUE(r.body == want.substr(2999000));
    c.send(get("/uji-aliran/berkas", "Range: bytes=3000017-\r\n"));
    auto r416 = c.read();
    EXPECT_EQ(r416.status, 416u);
    EXPECT_EQ(r416.headers["content-range"], "bytes */3000017");
    // The connection is still usable, and without a Range the whole file comes with Accept-Ranges.
    c.send(get("/uji-aliran/berkas"));
    auto whole = c.read();
    EXPECT_EQ(whole.status, 200u);
    EXPECT_EQ(whole.headers["accept-ranges"], "bytes");
    EXPECT_TRUE(whole.body == want);
}

TEST_F(StreamServerTest, GeneratorBodyIsChunkedInOrderAndGzippedWhenAsked) {
    std::string want;
    for (int i = 0; i < 3000; ++i) want += "bagian-" + std::to_string(i) + "\n";
    Conn c(port());
    c.send(get("/uji-aliran/urutan"));
    auto r = c.read();
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
    EXPECT_EQ(r.headers.count("content-length"), 0u);
    ASSERT_TRUE(r.complete);
    EXPECT_EQ(r.body, want);
    c.send(get("/uji-aliran/urutan", "Accept-Encoding: gzip\r\n"));
    auto z = c.read();
    EXPECT_EQ(z.headers["content-encoding"], "gzip");
    EXPECT_EQ(z.headers["vary"], "Accept-Encoding");
    ASSERT_TRUE(z.complete);
    EXPECT_LT(z.body.size(), want.size() / 2);
    EXPECT_EQ(gunzip(z.body), want);
}

TEST_F(StreamServerTest, HeadSendsTheFieldsOnlyAndNeverRunsTheGenerator) {
    Conn c(port());
    c.send(get("/uji-aliran/berkas", "", "HEAD"));
    auto r = c.read(true);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.headers["content-length"], "3000017");
    const int fills = gen_fills.load();
    c.send(get("/uji-aliran/urutan", "", "HEAD"));
    auto g = c.read(true);
    EXPECT_EQ(g.status, 200u);
    EXPECT_EQ(g.headers["transfer-encoding"], "chunked");
    // Had a body followed either HEAD answer, this GET's status line would not come next.
    c.send(get("/uji-aliran/hilang"));
    auto after = c.read();
    EXPECT_EQ(after.status, 404u);
    EXPECT_EQ(after.body, "tidak ada");
    EXPECT_EQ(gen_fills.load(), fills) << "HEAD ran the generator";
}

TEST_F(StreamServerTest, ErrorsBeforeTheFirstByteAreProperAnswers) {
    Conn c(port());
    c.send(get("/uji-aliran/gagal-awal"));
    auto r = c.read();
    EXPECT_EQ(r.status, 500u);
    EXPECT_TRUE(r.complete);
    EXPECT_NE(r.body.find("<html"), std::string::npos) << r.body;
    Conn c2(port());
    c2.send(get("/uji-aliran/hilang"));
    EXPECT_EQ(c2.read().status, 404u);
}

TEST_F(StreamServerTest, FailureAfterTheFirstByteCutsTheBodyInsteadOfEndingIt) {
    {
        Conn c(port());
        c.send(get("/uji-aliran/gagal-tengah"));
        auto r = c.read();
        EXPECT_EQ(r.status, 200u);
        EXPECT_FALSE(r.complete) << "a failed body must not end with the last chunk";
        EXPECT_EQ(r.body.size(), 3000u);
    }
    {
        Conn c(port());
        c.send(get("/uji-aliran/kurang"));
        auto r = c.read();
        EXPECT_EQ(r.headers["content-length"], "100");
        EXPECT_FALSE(r.complete) << "a source short of its Content-Length closes the connection";
    }
    // The server is still up.
    Conn c(port());
    c.send(get("/uji-aliran/hilang"));
    EXPECT_EQ(c.read().status, 404u);
}

TEST_F(StreamServerTest, AClientThatDoesNotReadHoldsBackTheGeneratorAndLeavingFreesIt) {
    endless_calls = 0;
    freed = 0;
    {
        Conn c(port(), 16 * 1024);  // a small receive window, and nothing read
        c.send(get("/uji-aliran/tanpa-akhir"));
        std::this_thread::sleep_for(600ms);
        const int calls = endless_calls.load();
        std::this_thread::sleep_for(400ms);
        // The socket buffers hold a few MiB at most; without backpressure the generator would have
        // made thousands of 64 KiB pieces by now.
        EXPECT_GT(calls, 0);
        EXPECT_LT(endless_calls.load(), 100) << "pieces produced for a client that reads nothing";
        EXPECT_EQ(endless_calls.load(), calls) << "still producing while the client reads nothing";
        EXPECT_EQ(freed.load(), 0);
        c.close();  // leaves mid-body
    }
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (freed.load() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(freed.load(), 1) << "the generator of a client that left was not freed";
    const int at_close = endless_calls.load();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(endless_calls.load(), at_close);
}

TEST_F(StreamServerTest, SendingAHundredMegabytesKeepsMemoryGrowthSmall) {
    // RSS of this process (server and client) sampled every 2 ms while 100 MB are sent: it must
    // grow by far less than the body (a body loaded whole would add 100 MB).
    constexpr std::size_t kSize = 100u * 1000 * 1000;
    temp_file(*dir_, "big.bin", kSize);
    const long before = rss_kb();
    std::atomic<long> peak{before};
    std::atomic<bool> done{false};
    std::thread sampler([&] {
        while (!done) {
            peak = std::max(peak.load(), rss_kb());
            std::this_thread::sleep_for(2ms);
        }
    });
    std::size_t got = 0;
    // Read and counted, not kept (the client lives in this process too).
    {
        asio::io_context io;
        tcp::socket s(io);
        s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()));
        asio::write(s, asio::buffer(get("/uji-aliran/besar", "Connection: close\r\n")));
        char b[1 << 16];
        boost::system::error_code ec;
        while (!ec) got += s.read_some(asio::buffer(b), ec);
    }
    done = true;
    sampler.join();
    EXPECT_GT(got, kSize);
    EXPECT_LT(peak.load() - before, 24 * 1024) << "RSS grew by " << (peak.load() - before) << " KiB for a 100 MB body";
}

}  // namespace
}  // namespace gapura::core::http
