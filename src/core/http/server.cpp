#include "core/http/server.hpp"

#include "core/http/body.hpp"
#include "core/http/pending.hpp"
#include "core/http/response.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <cstdio>
#include <tuple>
#include <condition_variable>
#include <vector>
#include <mutex>

namespace gapura::core::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// One single-threaded io_context per I/O thread (as nginx runs one event loop per worker):
// a connection lives on one loop for its whole life, so it needs no strand and no locking,
// and accepted connections are spread over the loops in turn.
struct Server::Impl {
    Impl(int io_threads, int workers) : pool(static_cast<std::size_t>(workers)) {
        for (int i = 0; i < std::max(1, io_threads); ++i) loops.push_back(std::make_unique<asio::io_context>(1));
    }
    asio::io_context& next_loop() { return *loops[next++ % loops.size()]; }
    std::vector<std::unique_ptr<asio::io_context>> loops;
    std::size_t next = 0;
    asio::thread_pool pool;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    std::mutex mu;
    std::condition_variable cv;
    bool stopped = false;
    bool started = false;
};

namespace {

// The request line (and Accept-Language / Cookie, for the answer's language) read from the raw
// bytes of a header Beast refused before it parsed the request line (it parses that only once the
// whole header is in the buffer, so a header over the limit leaves it unparsed). nullopt when the
// line is not a complete, plain "METHOD /target HTTP/1.x".
std::optional<Request> request_line_of(std::string_view data) {
    const std::size_t eol = data.find("\r\n");
    if (eol == std::string_view::npos) return std::nullopt;
    const std::string_view line = data.substr(0, eol);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp1 == 0 || sp2 == sp1) return std::nullopt;
    const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                           version = line.substr(sp2 + 1);
    for (char c : method)
        if (c < 'A' || c > 'Z') return std::nullopt;
    if (target.empty() || target[0] != '/') return std::nullopt;
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return std::nullopt;
    Request req;
    req.method_string(method);
    req.target(target);
    req.version(version == "HTTP/1.1" ? 11 : 10);
    // Complete header lines only; a value is used when it is plain visible ASCII.
    for (std::size_t at = eol + 2; at < data.size();) {
        const std::size_t end = data.find("\r\n", at);
        if (end == std::string_view::npos || end == at) break;
        const std::string_view h = data.substr(at, end - at);
        at = end + 2;
        const std::size_t colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = h.substr(0, colon);
        std::string_view value = h.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        bool plain = value.size() <= 1024;
        for (char c : value)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) plain = false;
        if (!plain) continue;
        if (beast::iequals(name, "accept-language")) req.set(bhttp::field::accept_language, value);
        else if (beast::iequals(name, "cookie")) req.set(bhttp::field::cookie, value);
    }
    return req;
}
struct Counter {
    explicit Counter(std::atomic<int>& c) : c_(c) { ++c_; }
    ~Counter() { --c_; }
    std::atomic<int>& c_;
};
}  // namespace

// Waits, on the connection's thread, for a pending answer (core/http/pending.hpp) and takes it.
// The resolving thread only posts a wake-up here; a connection destroyed while it waits (server
// shut down) detaches first, so nothing is posted for it afterwards.
asio::awaitable<Response> await_pending(std::shared_ptr<PendingAnswer> pending) {
    auto executor = co_await asio::this_coro::executor;
    struct Wait {
        explicit Wait(const asio::any_io_executor& ex) : timer(ex, asio::steady_timer::time_point::max()) {}
        asio::steady_timer timer;
        bool fired = false;
    };
    auto wait = std::make_shared<Wait>(executor);
    struct Detach {
        PendingAnswer& p;
        ~Detach() { p.detach(); }
    } detach{*pending};
    pending->on_ready([executor, wait] {
        asio::post(executor, [wait] {
            wait->fired = true;
            wait->timer.cancel();
        });
    });
    while (!wait->fired) co_await wait->timer.async_wait(use_tuple);
    co_return pending->take();
}

// Sends the answer as two buffers (status line + fields, body) in one gathered write; Beast's
// serializer does the same work through many small buffer views. Chunked answers with a body in
// memory keep Beast's (a chunked answer to HEAD has none: its head alone is written here).
asio::awaitable<std::tuple<beast::error_code, std::size_t>> write_response(beast::tcp_stream& stream, Response& res,
                                                                           std::string& head) {
    if (res.chunked() && !res.body().empty()) co_return co_await bhttp::async_write(stream, res, use_tuple);
    serialize_head(res, head);
    const std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(res.body())};
    co_return co_await asio::async_write(stream, bufs, use_tuple);
}

// Sends an answer whose body comes from res.source (core/http/body.hpp): the head, then piece
// after piece, each produced on the worker pool (sources read files) only once the previous one
// is written, so at most one piece (~256 KiB) is in memory however slow the client. Chunked
// framing when the size is unknown (HTTP/1.0: the body ends with the connection). Returns false
// when the connection must close: the client went away or was too slow (write_timeout per
// piece), or the source failed or broke its declared size; the source is destroyed on return
// in every case, so a client leaving mid-download frees the generator and its file at once.
asio::awaitable<bool> write_source(beast::tcp_stream& stream, Response& res, std::string& head, asio::thread_pool& pool,
                                   std::chrono::seconds timeout, spdlog::logger& log) {
    constexpr std::size_t kPiece = 256 * 1024;
    const std::shared_ptr<BodySource> source = std::move(res.source);
    const auto size = source->size();
    const bool chunked = !size && res.version() == 11;
    serialize_head(res, head);
    stream.expires_after(timeout);
    auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(head), use_tuple);
    (void)hn;
    if (hec) co_return false;
    std::string piece;
    std::uint64_t sent = 0;
    for (bool more = true; more;) {
        piece.clear();
        std::exception_ptr failure;
        more = co_await asio::co_spawn(
            pool,
            [&]() -> asio::awaitable<bool> {
                try {
                    co_return source->next(piece, kPiece);
                } catch (...) {
                    failure = std::current_exception();
                    co_return false;
                }
            },
            asio::use_awaitable);
        if (failure) {
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                log.error("a streamed body failed after {} bytes: {}", sent, e.what());
            } catch (...) {
                log.error("a streamed body failed after {} bytes", sent);
            }
            co_return false;
        }
        sent += piece.size();
        if (size && sent > *size) {
            log.error("a streamed body gave more than its declared {} bytes", *size);
            co_return false;
        }
        if (piece.empty()) continue;
        stream.expires_after(timeout);
        beast::error_code wec;
        if (chunked) {
            char frame[24];
            const int n = std::snprintf(frame, sizeof frame, "%zx\r\n", piece.size());
            const std::array<asio::const_buffer, 3> bufs{asio::buffer(frame, static_cast<std::size_t>(n)),
                                                         asio::buffer(piece), asio::buffer("\r\n", 2)};
            std::tie(wec, std::ignore) = co_await asio::async_write(stream, bufs, use_tuple);
        } else {
            std::tie(wec, std::ignore) = co_await asio::async_write(stream, asio::buffer(piece), use_tuple);
        }
        if (wec) co_return false;
    }
    if (size && sent != *size) {
        log.error("a streamed body ended after {} of its declared {} bytes", sent, *size);
        co_return false;
    }
    if (chunked) {
        stream.expires_after(timeout);
        auto [tec, tn] = co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5), use_tuple);
        (void)tn;
        if (tec) co_return false;
    }
    co_return size || chunked;
}

// Closes a body read that made no progress for `limit` (one timer for the whole body, re-armed
// when it fires, instead of one per read). `last` is updated by the reader.
struct BodyWatch : std::enable_shared_from_this<BodyWatch> {
    BodyWatch(tcp::socket& s, std::chrono::seconds l) : timer(s.get_executor()), sock(s), limit(l) {}
    void arm() {
        timer.expires_at(last + limit);
        timer.async_wait([self = shared_from_this()](const beast::error_code& ec) {
            if (ec || self->done) return;
            if (std::chrono::steady_clock::now() - self->last >= self->limit) {
                beast::error_code ignored;
                self->sock.cancel(ignored);
            } else {
                self->arm();
            }
        });
    }
    void stop() {
        done = true;
        timer.cancel();
    }
    asio::steady_timer timer;
    tcp::socket& sock;
    std::chrono::seconds limit;
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
    bool done = false;
};

// After an answer written before the request's body was read in full: stop sending, then read
// and drop what the client still sends for a short while, so that it sees the answer rather
// than a connection reset (a bounded lingering close, as nginx does).
asio::awaitable<void> linger(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(3));
    std::array<char, 16 * 1024> sink;
    while (true) {
        auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
        (void)n;
        if (rec) break;
    }
}

// One request to an upload route (RouteOptions::upload), its header read: the pipeline decides
// on the worker pool whether to read the body at all (sign-in, the route's start hook), then
// the body is read in chunks of kChunk bytes, each handed to the pipeline on the worker pool
// (written to disk and observed there, so the event loop never waits on the disk), and the
// handler's answer is written. Returns true when the connection may serve another request.
// A dropped connection or a timeout ends here: destroying the stream removes its temp files.
asio::awaitable<bool> stream_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                     bhttp::request_parser<bhttp::string_body>& parser, web::Pipeline& pipeline,
                                     asio::thread_pool& pool, const ServerOptions& options, std::atomic<int>& queued,
                                     const std::atomic<bool>& stopping, const web::ClientInfo& client,
                                     std::string& out_head, std::size_t limit) {
    constexpr std::size_t kChunk = 512 * 1024;
    const Request& head = parser.get();
    if (queued.load() >= options.max_queue) {
        auto reply = pipeline.server_error(&head, Status::service_unavailable, "err_unavailable", client.peer_ip);
        stream.expires_after(options.write_timeout);
        co_await write_response(stream, reply, out_head);
        co_return false;
    }
    web::StreamBegin begun;
    {
        Counter q(queued);
        Request header_only(head.base());
        begun = co_await asio::co_spawn(
            pool, [&]() -> asio::awaitable<web::StreamBegin> { co_return pipeline.begin_stream(std::move(header_only), client); },
            asio::use_awaitable);
    }
    if (begun.answer) {  // e.g. not signed in: the body is never read
        begun.answer->keep_alive(false);
        stream.expires_after(options.write_timeout);
        auto [wec, wn] = co_await write_response(stream, *begun.answer, out_head);
        (void)wn;
        if (!wec) co_await linger(stream);
        co_return false;
    }
    // 100-continue only now, so that a refused request never has its body sent.
    auto expect = head.find(bhttp::field::expect);
    if (expect != head.end() && beast::iequals(expect->value(), "100-continue")) {
        Response cont{Status::continue_, head.version()};
        stream.expires_after(options.write_timeout);
        auto [wec, wn] = co_await write_response(stream, cont, out_head);
        (void)wn;
        if (wec) co_return false;
    }
    std::vector<char> chunk(kChunk);
    web::StreamEnd end = web::StreamEnd::complete;
    auto feed = [&](std::size_t got) -> asio::awaitable<bool> {
        co_return co_await asio::co_spawn(
            pool,
            [&]() -> asio::awaitable<bool> {
                co_return pipeline.feed_stream(*begun.stream, std::string_view(chunk.data(), got));
            },
            asio::use_awaitable);
    };
    if (auto length = parser.content_length(); length && !parser.chunked()) {
        // A body of known length (what browsers and curl send): read straight from the socket
        // into the chunk, without the parser's copy, its 64 KiB reads or a timer per read; a
        // watchdog closes the read when no byte came for body_timeout.
        std::uint64_t left = *length;
        auto watch = std::make_shared<BodyWatch>(stream.socket(), options.body_timeout);
        struct Stop {
            BodyWatch& w;
            ~Stop() { w.stop(); }
        } stop_watch{*watch};
        stream.expires_never();
        watch->arm();
        while (left > 0) {
            std::size_t got = 0;
            if (buffer.size() > 0) {  // the first bytes may have come with the header
                got = static_cast<std::size_t>(std::min<std::uint64_t>(std::min(buffer.size(), chunk.size()), left));
                asio::buffer_copy(asio::buffer(chunk.data(), got), buffer.data());
                buffer.consume(got);
            } else {
                const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), left));
                auto [ec, n] = co_await asio::async_read(
                    stream.socket(), asio::buffer(chunk.data(), want),
                    [&](const beast::error_code& e, std::size_t done) -> std::size_t {
                        watch->last = std::chrono::steady_clock::now();
                        return e ? 0 : want - done;
                    },
                    use_tuple);
                if (ec) co_return false;  // gone or too slow: nothing to answer, the temp files go with `begun`
                got = n;
            }
            left -= got;
            if (!co_await feed(got)) {
                end = web::StreamEnd::stopped;
                break;
            }
        }
    } else {
        // Chunked: Beast's parser takes the framing off and enforces the body limit.
        bhttp::request_parser<bhttp::buffer_body> body(std::move(parser));
        body.body_limit(limit);
        while (!body.is_done()) {
            body.get().body().data = chunk.data();
            body.get().body().size = chunk.size();
            stream.expires_after(options.body_timeout);  // per chunk: a slow but steady upload goes on
            auto [ec, n] = co_await bhttp::async_read(stream, buffer, body, use_tuple);
            (void)n;
            if (ec == bhttp::error::need_buffer) ec = {};
            if (ec == bhttp::error::body_limit) {
                end = web::StreamEnd::too_large;
                break;
            }
            if (ec) co_return false;
            const std::size_t got = chunk.size() - body.get().body().size;
            if (got == 0) continue;
            if (!co_await feed(got)) {
                end = web::StreamEnd::stopped;
                break;
            }
        }
    }
    const bool complete = end == web::StreamEnd::complete;
    Response res = co_await asio::co_spawn(
        pool,
        [&]() -> asio::awaitable<Response> {
            auto r = pipeline.end_stream(*begun.stream, end);
            begun.stream.reset();  // removes what was not adopted, off the event loop
            co_return r;
        },
        asio::use_awaitable);
    const bool keep = complete && res.keep_alive() && !stopping;
    res.keep_alive(keep);
    stream.expires_after(options.write_timeout);
    auto [wec, wn] = co_await write_response(stream, res, out_head);
    (void)wn;
    if (wec) co_return false;
    if (!complete) co_await linger(stream);
    co_return keep;
}

Server::Server(ServerOptions options, web::Pipeline& pipeline, std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(options.io_threads, options.workers)),
      options_(std::move(options)),
      pipeline_(pipeline),
      log_(std::move(log)) {}

Server::~Server() {
    stop();
    impl_->pool.join();
}

asio::awaitable<void> Server::session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::error_code ec;
    web::ClientInfo client;
    {
        auto ep = stream.socket().remote_endpoint(ec);
        client.peer_ip = ec ? std::string("unknown") : ep.address().to_string();
    }
    beast::flat_buffer buffer;
    std::string out_head;  // the answer's serialised header, reused across the connection's requests
    bool first = true;
    try {
        while (!stopping_) {
            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
            // No body limit while reading the header: Beast would reject a large Content-Length
            // there with a generic error; the route's own limit is applied below (413).
            parser.body_limit(boost::none);
            stream.expires_after(first ? options_.header_timeout : options_.idle_timeout);
            first = false;
            auto [rec, rn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
            (void)rn;
            if (rec) {
                // Beast stores the request line as soon as it is parsed, before the fields: when
                // it was, the refusal takes the format of its path (Open311's error lists under
                // /open311/, JSON under /api/), as the pipeline's own refusals do.
                const Request* seen = parser.get().target().empty() ? nullptr : &parser.get();
                std::optional<Request> line_only;
                if (!seen && rec == bhttp::error::header_limit) {
                    const auto bytes = buffer.cdata();
                    line_only = request_line_of(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()));
                    if (line_only) seen = &*line_only;
                }
                std::optional<Response> reply;
                if (rec == bhttp::error::header_limit)
                    reply = pipeline_.server_error(seen, Status::request_header_fields_too_large,
                                                   "err_header_too_large", client.peer_ip);
                else if (rec != bhttp::error::end_of_stream && rec != beast::error::timeout &&
                         rec != asio::error::operation_aborted &&
                         rec != asio::error::connection_reset && buffer.size() > 0)
                    reply = pipeline_.server_error(seen, Status::bad_request,
                                                   "err_malformed_request", client.peer_ip);
                if (reply) {
                    stream.expires_after(options_.write_timeout);
                    co_await write_response(stream, *reply, out_head);
                }
                break;
            }
            Counter busy(in_flight_);
            const Request& head = parser.get();
            // RFC 9112 6.3: a Transfer-Encoding that does not end in chunked cannot be framed;
            // answering it would let the body be read as another request (smuggling).
            if (head.find(bhttp::field::transfer_encoding) != head.end() && !parser.chunked()) {
                auto reply = pipeline_.server_error(&head, Status::bad_request, "err_malformed_request", client.peer_ip);
                stream.expires_after(options_.write_timeout);
                co_await write_response(stream, reply, out_head);
                break;
            }
            const RouteOptions* opts = pipeline_.route_options(head);
            const std::size_t limit = opts ? opts->body_limit : 64 * 1024;
            const char* too_large_key = opts && opts->too_large_key ? opts->too_large_key : "err_body_too_large";
            if (auto len = parser.content_length(); len && *len > limit) {
                // Refused from its Content-Length: the body is never read (nor, with
                // Expect: 100-continue, ever sent).
                auto reply = pipeline_.server_error(&head, Status::payload_too_large, too_large_key, client.peer_ip);
                stream.expires_after(options_.write_timeout);
                auto [wec, wn] = co_await write_response(stream, reply, out_head);
                (void)wn;
                if (!wec) co_await linger(stream);
                break;
            }
            if (pipeline_.streams_body(head, opts)) {
                const bool keep = co_await stream_request(stream, buffer, parser, pipeline_, impl_->pool, options_, queued_,
                                                          stopping_, client, out_head, limit);
                if (!keep) break;
                continue;
            }
            parser.body_limit(limit);
            auto expect = head.find(bhttp::field::expect);
            if (expect != head.end() && beast::iequals(expect->value(), "100-continue")) {
                Response cont{Status::continue_, head.version()};
                stream.expires_after(options_.write_timeout);
                auto [wec, wn] = co_await write_response(stream, cont, out_head);
                (void)wn;
                if (wec) break;
            }
            beast::error_code bec;
            if (!parser.is_done()) {  // a GET without a body is complete after its header
                stream.expires_after(options_.body_timeout);
                auto [read_ec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
                (void)bn;
                bec = read_ec;
            }
            if (bec) {
                if (bec == bhttp::error::body_limit) {
                    auto reply = pipeline_.server_error(&head, Status::payload_too_large, too_large_key, client.peer_ip);
                    stream.expires_after(options_.write_timeout);
                    co_await write_response(stream, reply, out_head);
                }
                break;
            }
            Request req = parser.release();
            Response res;
            std::optional<Response> fast;
            if (pipeline_.can_run_inline(req, opts)) {
                res = pipeline_.handle(req, client);
            } else if (fast = pipeline_.try_fast(req, client, opts); fast) {
                res = std::move(*fast);
            } else if (queued_.load() >= options_.max_queue) {
                res = pipeline_.server_error(&req, Status::service_unavailable, "err_unavailable", client.peer_ip);
            } else {
                Counter q(queued_);
                res =
                    co_await asio::co_spawn(impl_->pool, on_pool(req, client), asio::use_awaitable);
            }
            // An answer that waits for other work (a durable write): the connection is parked,
            // holding no worker thread, until it is ready.
            if (res.pending) res = co_await await_pending(std::move(res.pending));
            // A body of unknown size to an HTTP/1.0 client ends with the connection.
            const bool keep = res.keep_alive() && !stopping_ && !(res.source && !res.source->size() && res.version() != 11);
            res.keep_alive(keep);
            if (res.source) {
                if (!co_await write_source(stream, res, out_head, impl_->pool, options_.write_timeout, *log_) || !keep) break;
                continue;
            }
            stream.expires_after(options_.write_timeout);
            auto [wec, wn] = co_await write_response(stream, res, out_head);
            (void)wn;
            if (wec || !keep) break;
        }
    } catch (const std::exception& e) {
        log_->error("connection from {} ended by an error: {}", client.peer_ip, e.what());
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
}

asio::awaitable<void> Server::listen_loop() {
    while (!stopping_) {
        auto [ec, socket] = co_await impl_->acceptor->async_accept(impl_->next_loop(), use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || stopping_) break;
            log_->warn("accept failed: {}", ec.message());
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        asio::co_spawn(socket.get_executor(), session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<Response> Server::on_pool(Request& req, const web::ClientInfo& client) {
    co_return pipeline_.handle(req, client);
}

void Server::start() {
    auto addr = asio::ip::make_address(options_.host);
    tcp::endpoint ep(addr, options_.port);
    impl_->acceptor = std::make_unique<tcp::acceptor>(*impl_->loops[0]);
    impl_->acceptor->open(ep.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(ep);
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
    bound_port_ = impl_->acceptor->local_endpoint().port();

    asio::co_spawn(*impl_->loops[0], listen_loop(), asio::detached);
    for (auto& loop : impl_->loops)
        impl_->threads.emplace_back([&ioc = *loop] {
            auto work = asio::make_work_guard(ioc);  // a loop with no connections yet stays up
            ioc.run();
        });
    impl_->started = true;
}

void Server::run() {
    if (!impl_->started) start();
    asio::signal_set signals(*impl_->loops[0], SIGINT, SIGTERM);
    signals.async_wait([this](const beast::error_code& ec, int sig) {
        if (!ec) {
            log_->info("signal {} received: finishing requests in flight", sig);
            std::thread([this] { stop(); }).detach();
        }
    });
    std::unique_lock lock(impl_->mu);
    impl_->cv.wait(lock, [this] { return impl_->stopped; });
}

void Server::stop() {
    {
        std::lock_guard lock(impl_->mu);
        if (impl_->stopped) return;
        if (stopping_.exchange(true)) return;
    }
    if (impl_->started) {
        asio::post(*impl_->loops[0], [this] {
            beast::error_code ec;
            if (impl_->acceptor) impl_->acceptor->close(ec);
        });
        const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
        while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (in_flight_.load() > 0)
            log_->warn("{} requests still running after the grace period", in_flight_.load());
        for (auto& loop : impl_->loops) loop->stop();
        for (auto& t : impl_->threads)
            if (t.joinable()) t.join();
    }
    std::lock_guard lock(impl_->mu);
    impl_->stopped = true;
    impl_->cv.notify_all();
}

}  // namespace gapura::core::http
