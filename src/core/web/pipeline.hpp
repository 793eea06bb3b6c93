// Pipeline: what happens to every request between the socket and a route handler: request
// id, target and query validation, routing (404/405), language, principal (session cookie or
// bearer token), body decoding, CSRF check on every page form, the handler, error mapping
// (a domain error or a database constraint becomes a 4xx; a bug becomes a 500 with the request
// id), security headers, cookies, metrics and the access log. Socket-free: tests call handle()
// directly with a Request.
//
// Threads: handle() is safe to call from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <spdlog/logger.h>
#include <string>

#include "core/auth/auth_service.hpp"
#include "core/http/metrics.hpp"
#include "core/http/router.hpp"
#include "core/http/upload.hpp"
#include "core/web/views.hpp"

namespace gapura::core::web {

struct ClientInfo {
    std::string peer_ip;
};

struct PipelineOptions {
    bool trust_proxy = false;
    std::string default_lang = "id";
    // Where upload routes spool their files while they arrive (the file store's temp directory,
    // so that adopting a file is a rename). Required when a route has RouteOptions::upload.
    std::string upload_dir;
};

// One request to an upload route between its header and its answer (opaque).
struct StreamedRequest;
struct StreamedRequestDeleter {
    void operator()(StreamedRequest* s) const;
};
using StreamPtr = std::unique_ptr<StreamedRequest, StreamedRequestDeleter>;
struct StreamBegin {
    std::optional<http::Response> answer;  // the request is over: write this, do not read the body
    StreamPtr stream;                      // otherwise: feed the body to it, then end it
};
// How the body of a streamed request ended.
enum class StreamEnd {
    complete,   // read to its end
    too_large,  // over the route's body_limit (a chunked body): 413
    stopped,    // feed_stream said stop: the answer says why
};

class Pipeline {
public:
    Pipeline(http::Router& router, auth::AuthService& auth, const Views& views, http::Metrics& metrics,
             std::shared_ptr<spdlog::logger> access_log, std::shared_ptr<spdlog::logger> app_log,
             PipelineOptions options);

    // The answer; one with `pending` set (core/http/pending.hpp) is finished when it is taken,
    // which the caller does (the server on the connection's thread, or pending->wait()).
    http::Response handle(http::Request& req, const ClientInfo& client);
    // On the I/O thread, for a blocking route with a fast handler and an anonymous request: the
    // whole answer when the fast handler (or the pipeline, e.g. a 400) gives one; nullopt means
    // "run handle() on the worker pool", with nothing recorded yet.
    std::optional<http::Response> try_fast(http::Request& req, const ClientInfo& client, const http::RouteOptions* opts);
    // Route options for a request whose headers are read but not its body (nullptr: no route).
    const http::RouteOptions* route_options(const http::Request& req) const;
    // True when the request can be answered on the I/O thread (non-blocking route, and no
    // session to look up in the database).
    bool can_run_inline(const http::Request& req, const http::RouteOptions* opts) const;
    // A complete error answer for when no handler runs (413, 431, 503, 400 from the server), in
    // the format registered for the request's path (Views::add_error_format) when there is one.
    http::Response server_error(const http::Request* req, http::Status status, std::string_view message_key,
                                std::string_view peer_ip = "-") const;

    // Upload routes (RouteOptions::upload), driven by the server without the body in memory:
    // streams_body() after the header; begin_stream() (worker pool: routing, sign-in, the
    // route's start hook; an answer here means the body is never read); feed_stream() for each
    // chunk (worker pool; false: stop reading); end_stream() runs the handler and gives the
    // answer. Destroying the stream at any point removes its temp files. handle() takes the
    // same path for an upload request whose body is already in memory.
    bool streams_body(const http::Request& head, const http::RouteOptions* opts) const;
    StreamBegin begin_stream(http::Request head, const ClientInfo& client);
    bool feed_stream(StreamedRequest& s, std::string_view chunk);
    http::Response end_stream(StreamedRequest& s, StreamEnd end);

    static constexpr const char* kSessionCookie = "gapura_session";
    static constexpr const char* kVisitorCookie = "gapura_visitor";
    static constexpr const char* kLangCookie = "gapura_lang";

private:
    // nullopt only when `fast` and the route's fast handler declined.
    std::optional<http::Response> dispatch(http::RequestContext& ctx, std::string& route_name, bool fast);
    std::optional<http::Response> run(http::Request& req, const ClientInfo& client, bool fast);
    void init_context(http::RequestContext& ctx, const ClientInfo& client) const;
    // Runs `produce` with the error mapping, then headers, metrics and the access log; nullopt
    // when `produce` gives none (nothing recorded).
    std::optional<http::Response> respond(http::RequestContext& ctx, const std::string& route_name,
                                          std::chrono::steady_clock::time_point start,
                                          const std::function<std::optional<http::Response>()>& produce);
    // Runs `produce`, mapping what it throws to an error answer; false when it gives none.
    bool guard(http::RequestContext& ctx, const std::function<std::optional<http::Response>()>& produce,
               http::Response& res) const;
    // Headers, metrics and the access log of a finished answer.
    void conclude(http::RequestContext& ctx, const std::string& route_name, std::chrono::steady_clock::time_point start,
                  http::Response& res) const;
    // Routing, language, principal and CSRF binding: an answer when the request ends there.
    std::optional<http::Response> identify(http::RequestContext& ctx, std::string& route_name, const http::Route*& route,
                                           std::string& binding);
    std::optional<http::Response> open_upload(http::RequestContext& ctx, const http::Route& route, const std::string& binding,
                                              std::unique_ptr<http::UploadSpool>& spool);
    http::Response close_upload(http::RequestContext& ctx, const http::Route& route, const std::string& binding,
                                http::UploadSpool& spool, StreamEnd end);
    void finish(http::RequestContext& ctx, http::Response& res) const;
    std::string pick_lang(const http::Request& req) const;

    http::Router& router_;
    auth::AuthService& auth_;
    const Views& views_;
    http::Metrics& metrics_;
    std::shared_ptr<spdlog::logger> access_log_;
    std::shared_ptr<spdlog::logger> app_log_;
    PipelineOptions options_;
    std::string id_prefix_;
    mutable std::atomic<std::uint64_t> counter_{0};
};

}  // namespace gapura::core::web
