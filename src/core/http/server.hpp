// Server: the HTTP/1.1 listener on Boost.Beast and Asio C++20 coroutines. A few I/O threads
// read and write sockets; handlers that may block (database, files) run on a bounded worker
// pool and the connection's coroutine awaits them, so the event loop never stalls. Limits:
// header size (431), body size per route (413), deadlines for headers, bodies and idle
// keep-alive connections; a full worker queue answers 503. stop() (also on SIGINT/SIGTERM in
// run()) stops accepting, lets requests in flight finish within the grace period, then ends.
//
// Threads: start()/stop()/run() from the owning thread; everything else runs on the pool.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <spdlog/logger.h>
#include <string>
#include <thread>
#include <vector>

#include "core/web/pipeline.hpp"

namespace gapura::core::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // 0 = pick a free port (tests)
    int io_threads = 2;
    int workers = 32;
    int max_queue = 512;
    std::size_t max_header_bytes = 8 * 1024;
    std::chrono::seconds header_timeout{10};
    std::chrono::seconds idle_timeout{30};
    std::chrono::seconds body_timeout{60};
    std::chrono::seconds write_timeout{30};
    std::chrono::seconds shutdown_grace{10};
};

class Server {
public:
    Server(ServerOptions options, web::Pipeline& pipeline, std::shared_ptr<spdlog::logger> log);
    ~Server();

    // Binds and starts the I/O threads; throws std::system_error when the address is taken.
    void start();
    // start(), then blocks until SIGINT/SIGTERM or stop(), then shuts down gracefully.
    void run();
    // Graceful stop; safe to call from any thread, more than once.
    void stop();
    std::uint16_t port() const { return bound_port_; }
    int queued() const { return queued_.load(); }
    int in_flight() const { return in_flight_.load(); }

private:
    boost::asio::awaitable<void> listen_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<Response> on_pool(Request& req, const web::ClientInfo& client);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    ServerOptions options_;
    web::Pipeline& pipeline_;
    std::shared_ptr<spdlog::logger> log_;
    std::uint16_t bound_port_ = 0;
    std::atomic<int> queued_{0};
    std::atomic<int> in_flight_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace gapura::core::http
