#include "core/web/pipeline.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <spdlog/spdlog.h>

#include "core/auth/crypto.hpp"
#include "core/db/database.hpp"
#include "core/http/body.hpp"
#include "core/http/compress.hpp"
#include "core/http/context.hpp"
#include "core/http/cookies.hpp"
#include "core/http/upload.hpp"
#include "core/http/pending.hpp"
#include "core/http/response.hpp"
#include "core/util/strings.hpp"

namespace gapura::core::web {

namespace bhttp = http::bhttp;

namespace {
bool unsafe_method(http::Method m) {
    return m == http::Method::post || m == http::Method::put || m == http::Method::patch || m == http::Method::delete_;
}

// A field's value in a request or a response; empty when absent.
template <class Message>
std::string_view header(const Message& m, bhttp::field f) {
    auto it = m.find(f);
    return it == m.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
}

// True when the answer already declares exactly `size` bytes (the response builders set it).
bool has_length(const http::Response& res, std::size_t size) {
    auto it = res.find(bhttp::field::content_length);
    if (it == res.end()) return false;
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, size);
    return ec == std::errc() && std::string_view(it->value().data(), it->value().size()) == std::string_view(buf, static_cast<std::size_t>(end - buf));
}

std::string_view path_of(const http::Request& req) {
    std::string_view t(req.target().data(), req.target().size());
    return t.substr(0, t.find('?'));
}
}  // namespace

Pipeline::Pipeline(http::Router& router, auth::AuthService& auth, const Views& views, http::Metrics& metrics,
                   std::shared_ptr<spdlog::logger> access_log, std::shared_ptr<spdlog::logger> app_log,
                   PipelineOptions options)
    : router_(router),
      auth_(auth),
      views_(views),
      metrics_(metrics),
      access_log_(std::move(access_log)),
      app_log_(std::move(app_log)),
      options_(std::move(options)),
      id_prefix_(auth::Crypto::random_token(6)) {}

const http::RouteOptions* Pipeline::route_options(const http::Request& req) const {
    return router_.options_for(req.method(), path_of(req));
}

bool Pipeline::can_run_inline(const http::Request& req, const http::RouteOptions* opts) const {
    if (!opts || opts->blocking) return false;
    // A session lookup may need the database; only requests without a session cookie stay inline.
    auto cookie = header(req, bhttp::field::cookie);
    return cookie.find(kSessionCookie) == std::string_view::npos;
}

std::string Pipeline::pick_lang(const http::Request& req) const {
    auto cookie = header(req, bhttp::field::cookie);
    if (auto v = http::find_cookie(cookie, kLangCookie); v && views_.i18n().has_lang(*v)) return std::string(*v);
    return views_.i18n().negotiate(header(req, bhttp::field::accept_language), options_.default_lang);
}

http::Response Pipeline::server_error(const http::Request* req, http::Status status, std::string_view key,
                                      std::string_view peer_ip) const {
    const std::string request_id = id_prefix_ + "-" + std::to_string(++counter_);
    std::string lang = req ? pick_lang(*req) : options_.default_lang;
    bool api = req && util::starts_with(path_of(*req), "/api/");
    const ErrorFormatter* format = req ? views_.error_format_for(path_of(*req)) : nullptr;
    http::Response res;
    if (api || format) {
        Error e{ErrorCode::bad_request, std::string(key), {}, {}, 0};
        if (status == http::Status::payload_too_large) e.code = ErrorCode::too_large;
        if (status == http::Status::service_unavailable) e.code = ErrorCode::unavailable;
        res = format ? (*format)(ErrorReport{req, path_of(*req), status, e, lang, request_id})
                     : http::json_response(status, views_.error_json(lang, e, request_id));
    } else {
        res = http::html_response(status, views_.plain_error_page(lang, static_cast<unsigned>(status), key));
    }
    if (status == http::Status::service_unavailable) res.set(bhttp::field::retry_after, "2");
    res.set("X-Content-Type-Options", "nosniff");
    res.set(bhttp::field::cache_control, "no-store");
    res.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "strict-origin-when-cross-origin");
    res.set("X-Request-Id", request_id);
    res.keep_alive(false);
    // Refused before routing, but still counted and logged like every other request.
    const unsigned code = static_cast<unsigned>(status);
    metrics_.observe("rejected", code, 0.0);
    if (access_log_ && access_log_->should_log(spdlog::level::info)) {
        boost::json::object line{{"id", request_id},
                                 {"ip", std::string(peer_ip)},
                                 {"method", req ? std::string(req->method_string()) : std::string("-")},
                                 {"path", req && util::valid_utf8(path_of(*req)) ? std::string(path_of(*req)) : std::string("-")},
                                 {"route", "rejected"},
                                 {"status", code},
                                 {"us", 0},
                                 {"bytes", res.body().size()}};
        access_log_->info(boost::json::serialize(line));
    }
    return res;
}

http::Response Pipeline::handle(http::Request& req, const ClientInfo& client) { return *run(req, client, false); }

std::optional<http::Response> Pipeline::try_fast(http::Request& req, const ClientInfo& client,
                                                 const http::RouteOptions* opts) {
    if (!opts || !opts->fast) return std::nullopt;
    if (header(req, bhttp::field::cookie).find(kSessionCookie) != std::string_view::npos ||
        req.find(bhttp::field::authorization) != req.end() || req.find("X-CKAN-API-Key") != req.end())
        return std::nullopt;  // a principal to look up: that is database work
    return run(req, client, true);
}

void Pipeline::init_context(http::RequestContext& ctx, const ClientInfo& client) const {
    const auto& req = ctx.req;
    ctx.request_id = id_prefix_ + "-" + std::to_string(++counter_);
    ctx.client_ip = client.peer_ip;
    if (options_.trust_proxy) {
        auto it = req.find("X-Forwarded-For");
        if (it != req.end()) {
            auto first = util::trim(util::split(std::string_view(it->value().data(), it->value().size()), ',')[0]);
            if (!first.empty() && first.size() < 64) ctx.client_ip = std::string(first);
        }
        auto proto = req.find("X-Forwarded-Proto");
        ctx.secure = proto != req.end() && util::iequals(std::string_view(proto->value().data(), proto->value().size()), "https");
    }
}

std::optional<http::Response> Pipeline::run(http::Request& req, const ClientInfo& client, bool fast) {
    const auto start = std::chrono::steady_clock::now();
    http::RequestContext ctx(req);
    init_context(ctx, client);
    std::string route_name = "unmatched";
    return respond(ctx, route_name, start, [&] { return dispatch(ctx, route_name, fast); });
}

std::optional<http::Response> Pipeline::respond(http::RequestContext& ctx, const std::string& route_name,
                                                std::chrono::steady_clock::time_point start,
                                                const std::function<std::optional<http::Response>()>& produce) {
    http::Response res;
    if (!guard(ctx, produce, res)) return std::nullopt;
    if (res.pending) {
        // The answer comes later (a durable write): the context is kept for it (the request it
        // refers to lives until the answer is sent), and the answer gets the same error mapping,
        // headers, metrics and log line when the server takes it.
        auto kept = std::make_shared<http::RequestContext>(std::move(ctx));
        kept->make_csrf = nullptr;  // bound to the old context; a form cannot be made any more
        kept->upload = nullptr;
        res.pending->wrap([this, kept, route_name, start](const http::PendingAnswer::Build& build) {
            http::Response out;
            guard(*kept, [&]() -> std::optional<http::Response> { return build(); }, out);
            if (out.pending) {  // a builder gives a finished answer
                app_log_->error("request {}: a pending answer's builder gave another pending answer", kept->request_id);
                out = views_.error(*kept, ErrorCode::internal, "err_internal");
            }
            conclude(*kept, route_name, start, out);
            return out;
        });
        return res;
    }
    conclude(ctx, route_name, start, res);
    return res;
}

bool Pipeline::guard(http::RequestContext& ctx, const std::function<std::optional<http::Response>()>& produce,
                     http::Response& res) const {
    try {
        auto answer = produce();
        if (!answer) return false;
        res = std::move(*answer);
    } catch (const db::DbError& e) {
        if (e.kind() == db::DbError::Kind::unique_violation) {
            res = views_.error(ctx, ErrorCode::conflict, "err_conflict");
        } else if (e.kind() == db::DbError::Kind::busy || e.kind() == db::DbError::Kind::unavailable) {
            app_log_->error("request {} database unavailable: {}", ctx.request_id, e.what());
            res = views_.error(ctx, make_error(ErrorCode::unavailable, "err_unavailable"));
            res.set(bhttp::field::retry_after, "2");
        } else {
            app_log_->error("request {} database error: {}", ctx.request_id, e.what());
            res = views_.error(ctx, ErrorCode::internal, "err_internal");
        }
    } catch (const std::exception& e) {
        app_log_->error("request {} failed: {}", ctx.request_id, e.what());
        try {
            res = views_.error(ctx, ErrorCode::internal, "err_internal");
        } catch (...) {
            res = http::text_response(http::Status::internal_server_error, "500 Internal Server Error\n");
        }
    }
    return true;
}

void Pipeline::conclude(http::RequestContext& ctx, const std::string& route_name,
                        std::chrono::steady_clock::time_point start, http::Response& res) const {
    const auto& req = ctx.req;
    finish(ctx, res);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const unsigned status = static_cast<unsigned>(res.result_int());
    metrics_.observe(route_name, status, seconds);
    if (access_log_ && access_log_->should_log(spdlog::level::info)) {  // no line built when it is off
        // One JSON line; the path only (query strings may carry reset tokens), no cookies or bodies.
        boost::json::object line{{"id", ctx.request_id},
                                 {"ip", ctx.client_ip},
                                 {"method", std::string(req.method_string())},
                                 {"path", util::valid_utf8(ctx.path) ? ctx.path : std::string("(invalid)")},
                                 {"route", route_name},
                                 {"status", status},
                                 {"us", static_cast<std::int64_t>(seconds * 1e6)},
                                 {"bytes", res.body().size()}};
        // A streamed body: its length when known (a file, a part of one), else null (chunked, as
        // sent after this line is written).
        if (res.source) {
            if (auto n = res.source->size()) line["bytes"] = *n;
            else line["bytes"] = nullptr;
        }
        if (ctx.principal) line["user"] = ctx.principal->user_id;
        access_log_->info(boost::json::serialize(line));
    }
}

std::optional<http::Response> Pipeline::identify(http::RequestContext& ctx, std::string& route_name,
                                                 const http::Route*& route, std::string& binding) {
    const auto& req = ctx.req;
    std::string_view target(req.target().data(), req.target().size());
    ctx.lang = pick_lang(req);
    if (target.empty() || target[0] != '/' || target.size() > 4096)
        return views_.error(ctx, ErrorCode::bad_request, "err_bad_target");
    auto q = target.find('?');
    ctx.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
        ctx.target_query = std::string(target.substr(q + 1));
        auto parsed = http::Form::parse(ctx.target_query);
        if (!parsed) return views_.error(ctx, ErrorCode::bad_request, "err_query_invalid");
        ctx.query = std::move(*parsed);
    }
    {
        auto decoded = util::percent_decode(ctx.path, false);
        if (!decoded || !util::valid_utf8(*decoded)) return views_.error(ctx, ErrorCode::bad_request, "err_bad_target");
    }
    ctx.api = util::starts_with(ctx.path, "/api/");
    auto match = router_.match(req.method(), ctx.path);
    if (!match.route) {
        if (!match.allowed.empty()) {
            auto res = views_.error(ctx, make_error(ErrorCode::bad_request, "err_method"), http::Status::method_not_allowed);
            res.set(bhttp::field::allow, http::allow_header(match.allowed));
            return res;
        }
        return views_.error(ctx, ErrorCode::not_found, "err_not_found");
    }
    route = match.route;
    route_name = match.route->pattern;
    ctx.api = match.route->options.api;
    ctx.params = std::move(match.params);

    // Who is asking.
    const auto cookie = header(req, bhttp::field::cookie);
    if (ctx.api && util::starts_with(ctx.path, "/api/3/")) {
        // The CKAN API (satudata) reads Authorization / X-CKAN-API-Key itself: OPD tokens, raw
        // keys, and CKAN's 403 for a bad one. Here only the session, on safe methods.
        if (!unsafe_method(req.method()))
            if (auto sid = http::find_cookie(cookie, kSessionCookie)) ctx.principal = auth_.session_principal(std::string(*sid));
    } else if (ctx.api) {
        auto authz = header(req, bhttp::field::authorization);
        if (!authz.empty()) {
            if (!util::starts_with(authz, "Bearer ")) {
                auto res = views_.error(ctx, ErrorCode::unauthorized, "err_token_invalid");
                res.set(bhttp::field::www_authenticate, "Bearer");
                return res;
            }
            ctx.principal = auth_.token_principal(std::string(util::trim(authz.substr(7))));
            if (!ctx.principal) {
                auto res = views_.error(ctx, ErrorCode::unauthorized, "err_token_invalid");
                res.set(bhttp::field::www_authenticate, "Bearer error=\"invalid_token\"");
                return res;
            }
        } else if (!unsafe_method(req.method())) {
            // Safe API reads may use the browser session (no CSRF risk without side effects).
            if (auto sid = http::find_cookie(cookie, kSessionCookie)) ctx.principal = auth_.session_principal(std::string(*sid));
        }
    } else if (auto sid = http::find_cookie(cookie, kSessionCookie)) {
        ctx.principal = auth_.session_principal(std::string(*sid));
        if (!ctx.principal) {
            http::CookieOptions gone;
            gone.max_age = 0;
            ctx.set_cookies.push_back(http::format_set_cookie(kSessionCookie, "", gone));
        }
    }

    // CSRF binding: the session, or a visitor id cookie for anonymous forms.
    if (ctx.principal) binding = "s:" + ctx.principal->session_key;
    else if (auto v = http::find_cookie(cookie, kVisitorCookie); v && v->size() >= 20 && v->size() <= 64)
        binding = "v:" + std::string(*v);
    if (!ctx.api) {
        ctx.make_csrf = [this, &ctx, binding]() mutable {
            if (binding.empty()) {
                std::string visitor = auth::Crypto::random_token(24);
                http::CookieOptions o;
                o.secure = ctx.secure;
                o.max_age = 30 * 24 * 3600;
                ctx.set_cookies.push_back(http::format_set_cookie(kVisitorCookie, visitor, o));
                binding = "v:" + visitor;
            }
            return auth_.csrf_token(binding);
        };
    }
    return std::nullopt;
}

std::optional<http::Response> Pipeline::dispatch(http::RequestContext& ctx, std::string& route_name, bool fast) {
    const auto& req = ctx.req;
    const http::Route* route = nullptr;
    std::string binding;
    if (auto early = identify(ctx, route_name, route, binding)) return early;

    if (route->options.upload && unsafe_method(req.method())) {
        // The body is already in memory (a test, or handle() called directly): it takes the same
        // path as one streamed from a socket, in chunks.
        std::unique_ptr<http::UploadSpool> spool;
        if (auto early = open_upload(ctx, *route, binding, spool)) return early;
        std::string_view body = req.body();
        StreamEnd end = StreamEnd::complete;
        if (body.size() > route->options.body_limit) {
            end = StreamEnd::too_large;
        } else {
            constexpr std::size_t kChunk = 64 * 1024;
            for (std::size_t off = 0; off < body.size(); off += kChunk)
                if (!spool->feed(body.substr(off, kChunk))) {
                    end = StreamEnd::stopped;
                    break;
                }
        }
        return close_upload(ctx, *route, binding, *spool, end);
    }

    // Body.
    if (unsafe_method(req.method())) {
        auto ct = util::to_lower_ascii(header(req, bhttp::field::content_type));
        if (util::starts_with(ct, "application/x-www-form-urlencoded")) {
            auto form = http::Form::parse(req.body());
            if (!form) return views_.error(ctx, ErrorCode::bad_request, "err_form_malformed");
            ctx.form = std::move(*form);
        } else if (util::starts_with(ct, "multipart/form-data")) {
            auto boundary = http::multipart_boundary(header(req, bhttp::field::content_type));
            std::optional<http::Multipart> mp;
            if (boundary) mp = http::parse_multipart(req.body(), *boundary);
            if (!mp) return views_.error(ctx, ErrorCode::bad_request, "err_form_malformed");
            ctx.multipart = std::move(*mp);
        } else if (!ctx.api && !req.body().empty()) {
            return views_.error(ctx, ErrorCode::unsupported, "err_content_type");
        }
        if (!ctx.api) {
            std::string_view token = ctx.field("_csrf");
            if (binding.empty() || !auth_.check_csrf(binding, token))
                return views_.error(ctx, ErrorCode::forbidden, "err_csrf");
        }
    }
    if (fast) return route->options.fast ? route->options.fast(ctx) : std::nullopt;
    return route->handler(ctx);
}

// ---------------------------------------------------------------- upload routes

std::optional<http::Response> Pipeline::open_upload(http::RequestContext& ctx, const http::Route& route,
                                                    const std::string& binding,
                                                    std::unique_ptr<http::UploadSpool>& spool) {
    const auto content_type = header(ctx.req, bhttp::field::content_type);
    if (!util::starts_with(util::to_lower_ascii(content_type), "multipart/form-data"))
        return views_.error(ctx, ErrorCode::unsupported, "err_content_type");
    auto boundary = http::multipart_boundary(content_type);
    if (!boundary || !http::valid_boundary(*boundary)) return views_.error(ctx, ErrorCode::bad_request, "err_form_malformed");
    const http::UploadRoute& up = *route.options.upload;
    http::UploadStart started;
    if (up.start) started = up.start(ctx);
    if (started.answer) return std::move(started.answer);
    if (options_.upload_dir.empty()) throw std::logic_error("Pipeline: an upload route needs PipelineOptions::upload_dir");
    // The CSRF token is checked before the first byte of a file is written (the form puts
    // _csrf before the file); API routes carry no cookies to forge.
    http::UploadSpool::Gate gate;
    if (!ctx.api)
        gate = [this, binding](const http::Form& fields) { return !binding.empty() && auth_.check_csrf(binding, fields.value("_csrf")); };
    spool = std::make_unique<http::UploadSpool>(*boundary, options_.upload_dir, up.limits, std::move(started.observer), std::move(gate));
    return std::nullopt;
}

http::Response Pipeline::close_upload(http::RequestContext& ctx, const http::Route& route, const std::string& binding,
                                      http::UploadSpool& spool, StreamEnd end) {
    const char* too_large = route.options.too_large_key ? route.options.too_large_key : "err_body_too_large";
    if (end == StreamEnd::too_large) return views_.error(ctx, ErrorCode::too_large, too_large);
    if (end == StreamEnd::complete && !spool.finish()) return views_.error(ctx, ErrorCode::bad_request, "err_form_malformed");
    switch (spool.stop()) {
        case http::UploadStop::none:
        case http::UploadStop::observer:  // the route's observer stopped the read: its handler answers
            break;
        case http::UploadStop::refused:
            return views_.error(ctx, ErrorCode::forbidden, "err_csrf");
        case http::UploadStop::too_large:
            return views_.error(ctx, ErrorCode::too_large, too_large);
        case http::UploadStop::malformed:
        case http::UploadStop::too_many_files:
            return views_.error(ctx, ErrorCode::bad_request, "err_form_malformed");
    }
    if (!ctx.api && !spool.gate_passed() &&
        (binding.empty() || !auth_.check_csrf(binding, spool.fields().value("_csrf"))))
        return views_.error(ctx, ErrorCode::forbidden, "err_csrf");
    ctx.multipart = http::Multipart{spool.fields(), {}};
    ctx.upload = &spool;
    auto res = route.handler(ctx);
    ctx.upload = nullptr;
    return res;
}

struct StreamedRequest {
    explicit StreamedRequest(http::Request r) : req(std::move(r)), ctx(req) {}
    http::Request req;
    http::RequestContext ctx;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::string route_name = "unmatched";
    const http::Route* route = nullptr;
    std::string binding;
    std::unique_ptr<http::UploadSpool> spool;
    std::exception_ptr failure;
};

void StreamedRequestDeleter::operator()(StreamedRequest* s) const { delete s; }

bool Pipeline::streams_body(const http::Request& head, const http::RouteOptions* opts) const {
    return opts && opts->upload && unsafe_method(head.method());
}

StreamBegin Pipeline::begin_stream(http::Request head, const ClientInfo& client) {
    StreamPtr s(new StreamedRequest(std::move(head)));
    init_context(s->ctx, client);
    auto answer = respond(s->ctx, s->route_name, s->start, [&]() -> std::optional<http::Response> {
        if (auto early = identify(s->ctx, s->route_name, s->route, s->binding)) return early;
        if (!s->route->options.upload) throw std::logic_error("begin_stream on a route without upload options");
        if (auto early = open_upload(s->ctx, *s->route, s->binding, s->spool)) return early;
        return std::nullopt;
    });
    if (answer) return StreamBegin{std::move(answer), nullptr};
    return StreamBegin{std::nullopt, std::move(s)};
}

bool Pipeline::feed_stream(StreamedRequest& s, std::string_view chunk) {
    try {
        return s.spool->feed(chunk);
    } catch (...) {
        s.failure = std::current_exception();  // answered as a 500 by end_stream
        return false;
    }
}

http::Response Pipeline::end_stream(StreamedRequest& s, StreamEnd end) {
    auto res = *respond(s.ctx, s.route_name, s.start, [&]() -> std::optional<http::Response> {
        if (s.failure) std::rethrow_exception(s.failure);
        return close_upload(s.ctx, *s.route, s.binding, *s.spool, end);
    });
    // An upload handler's pending answer is waited for here, on the worker: the stream's spooled
    // files must outlive it.
    if (res.pending) res = res.pending->wait();
    return res;
}

void Pipeline::finish(http::RequestContext& ctx, http::Response& res) const {
    // Headers no handler sets are inserted (no search for an earlier value); those a handler may
    // set itself (CSP, Referrer-Policy, Cache-Control) are added only when missing.
    if (res.find("X-Content-Type-Options") == res.end()) res.insert("X-Content-Type-Options", "nosniff");
    res.insert("X-Request-Id", ctx.request_id);
    if (res.find("Referrer-Policy") == res.end()) res.insert("Referrer-Policy", "strict-origin-when-cross-origin");
    res.insert("X-Frame-Options", "DENY");
    if (res.find("Content-Security-Policy") == res.end())
        res.insert("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data: https:; script-src 'self'; style-src 'self'; "
                   "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
    res.insert("Permissions-Policy", "geolocation=(self), camera=(), microphone=()");
    if (ctx.secure) res.set("Strict-Transport-Security", "max-age=31536000");
    for (const auto& c : ctx.set_cookies) res.insert(bhttp::field::set_cookie, c);
    if (res.find(bhttp::field::cache_control) == res.end())
        res.insert(bhttp::field::cache_control, (ctx.principal || !ctx.set_cookies.empty()) ? "no-store" : "no-cache");
    const bool per_user = ctx.principal || !ctx.set_cookies.empty();
    // A streamed body (http::BodySource) is compressed as it is produced when its type is worth it.
    const bool gzippable = (res.source || res.body().size() >= http::kMinGzipBytes) &&
                           res.find(bhttp::field::content_encoding) == res.end() &&
                           res.find(bhttp::field::etag) == res.end() &&  // an ETag names one encoding's bytes
                           http::compressible_type(header(res, bhttp::field::content_type));
    if (per_user || gzippable)
        res.set(bhttp::field::vary, per_user && gzippable ? "Cookie, Accept-Encoding" : per_user ? "Cookie" : "Accept-Encoding");
    const bool gzip_stream = gzippable && res.source && http::accepts_gzip(header(ctx.req, bhttp::field::accept_encoding));
    // A file sent as is answers a Range with its part (206) or 416; an encoded stream has no
    // byte offsets to resume at.
    if (res.source && !gzip_stream) http::apply_range(ctx.req, res);
    if (gzip_stream) {
        res.source = http::gzip_source(std::move(res.source), 1);
        res.erase(bhttp::field::content_length);
        res.chunked(true);
        res.set(bhttp::field::content_encoding, "gzip");
    } else if (gzippable && !res.source && http::accepts_gzip(header(ctx.req, bhttp::field::accept_encoding))) {
        // Level 1 for large bodies (a 2.6 MB GeoJSON in ~25 ms), 5 for pages.
        const int level = res.body().size() > 256 * 1024 ? 1 : 5;
        if (auto z = http::gzip(res.body(), level); z && z->size() < res.body().size()) {
            res.body() = std::move(*z);
            res.set(bhttp::field::content_encoding, "gzip");
        }
    }
    res.version(ctx.req.version());
    res.keep_alive(ctx.req.keep_alive());
    if (res.source) {
        // The framing (Content-Length or chunked) was set with the source; HEAD gets the head only.
        // HTTP/1.0 has no chunked framing: a body of unknown size ends with the connection.
        if (res.version() != 11 && !res.source->size()) res.erase(bhttp::field::transfer_encoding);
        if (ctx.req.method() == http::Method::head) res.source.reset();
    } else if (ctx.req.method() == http::Method::head) {
        const auto size = res.body().size();
        res.body().clear();
        res.content_length(size);
    } else if (!has_length(res, res.body().size())) {
        res.prepare_payload();
    }
}

}  // namespace gapura::core::web
