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
#include <memory>
#include <spdlog/logger.h>
#include <string>

#include "core/auth/auth_service.hpp"
#include "core/http/metrics.hpp"
#include "core/http/router.hpp"
#include "core/web/views.hpp"

namespace gapura::core::web {

struct ClientInfo {
    std::string peer_ip;
};

struct PipelineOptions {
    bool trust_proxy = false;
    std::string default_lang = "id";
};

class Pipeline {
public:
    Pipeline(http::Router& router, auth::AuthService& auth, const Views& views, http::Metrics& metrics,
             std::shared_ptr<spdlog::logger> access_log, std::shared_ptr<spdlog::logger> app_log,
             PipelineOptions options);

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

    static constexpr const char* kSessionCookie = "gapura_session";
    static constexpr const char* kVisitorCookie = "gapura_visitor";
    static constexpr const char* kLangCookie = "gapura_lang";

private:
    // nullopt only when `fast` and the route's fast handler declined.
    std::optional<http::Response> dispatch(http::RequestContext& ctx, std::string& route_name, bool fast);
    std::optional<http::Response> run(http::Request& req, const ClientInfo& client, bool fast);
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
