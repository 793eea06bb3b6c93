#include "core/shell/shell_module.hpp"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/config.hpp"
#include "core/audit/audit_log.hpp"
#include "core/auth/auth_service.hpp"
#include "core/auth/crypto.hpp"
#include "core/files/file_store.hpp"
#include "core/http/context.hpp"
#include "core/http/cookies.hpp"
#include "core/http/response.hpp"
#include "core/jobs/notifier.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/region/regency.hpp"
#include "core/util/strings.hpp"
#include "core/web/pipeline.hpp"

namespace gapura::core::shell {

namespace bhttp = http::bhttp;
using web::Data;

namespace {
std::string content_type_for(const std::string& path) {
    auto ext = std::filesystem::path(path).extension().string();
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".js") return "text/javascript; charset=utf-8";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".json") return "application/json";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    if (ext == ".woff2") return "font/woff2";
    return "application/octet-stream";
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Only these npm package folders are served under /static/vendor/.
const std::vector<std::string> kVendorAllow = {"leaflet/dist/", "leaflet.markercluster/dist/"};

bool safe_relative(const std::string& p) {
    if (p.empty() || p.size() > 300 || p[0] == '/') return false;
    for (auto seg : util::split(p, '/'))
        if (seg.empty() || seg == "." || seg == ".." || seg.find('\\') != std::string_view::npos) return false;
    return true;
}

http::Response asset_response(http::RequestContext& ctx, const std::string& body, const std::string& type,
                              const std::string& etag, bool immutable) {
    if (ctx.header(bhttp::field::if_none_match) == etag) {
        http::Response r{http::Status::not_modified, 11};
        r.set(bhttp::field::etag, etag);
        r.set(bhttp::field::cache_control, immutable ? "public, max-age=86400" : "public, max-age=300");
        return r;
    }
    auto r = http::make_response(http::Status::ok, body, type);
    r.set(bhttp::field::etag, etag);
    r.set(bhttp::field::cache_control, immutable ? "public, max-age=86400" : "public, max-age=300");
    return r;
}
}  // namespace

ShellModule::ShellModule(CoreServices services, http::Metrics& metrics, std::vector<std::string> public_audit_types)
    : s_(services), metrics_(metrics), public_audit_types_(std::move(public_audit_types)), started_at_(services.clock.now()) {
    // The region and OPD lists change only with the data files: serialise them once.
    boost::json::array kec;
    for (const auto& k : s_.regency.kecamatan) {
        boost::json::array villages;
        for (const auto& v : s_.regency.villages) {
            if (v.district_code != k.code) continue;
            villages.push_back(boost::json::object{
                {"code", v.code}, {"name", v.name}, {"kind", v.kelurahan ? "kelurahan" : "desa"}});
        }
        kec.push_back(boost::json::object{{"code", k.code},
                                          {"bps_code", k.bps_code},
                                          {"name", k.name},
                                          {"lat", k.lat},
                                          {"lng", k.lng},
                                          {"population", k.population},
                                          {"population_year", k.population_year},
                                          {"villages", std::move(villages)}});
    }
    const auto& r = s_.regency;
    regions_json_ = boost::json::serialize(boost::json::object{
        {"code", r.code},
        {"name", r.name},
        {"domain", r.domain},
        {"center", boost::json::object{{"lat", r.center.lat}, {"lng", r.center.lng}, {"zoom", r.zoom}}},
        {"bounds", boost::json::object{{"south", r.bounds.south}, {"west", r.bounds.west}, {"north", r.bounds.north}, {"east", r.bounds.east}}},
        {"kecamatan", std::move(kec)}});
    boost::json::array opds;
    for (const auto& o : r.opds)
        opds.push_back(boost::json::object{{"slug", o.slug}, {"abbreviation", o.abbreviation}, {"name", o.name}, {"kind", o.kind}});
    opds_json_ = boost::json::serialize(boost::json::object{{"opds", std::move(opds)}});
}

std::vector<web::NavItem> ShellModule::nav() const { return {{"/", "nav_home", 0}}; }

void ShellModule::load_static(const std::string& dir) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir)) return;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        auto rel = fs::relative(e.path(), dir).generic_string();
        std::string body = read_file(e.path());
        std::string etag = "\"" + auth::Crypto::sha256_hex(body).substr(0, 16) + "\"";
        static_[rel] = Asset{std::move(body), content_type_for(rel), etag};
    }
}

void ShellModule::probe_health() { healthy_ = s_.db.ping(); }

void ShellModule::register_jobs(jobs::Scheduler& scheduler) {
    scheduler.every("health-probe", 2, [this](std::int64_t) { probe_health(); });
}

void ShellModule::register_routes(http::Router& r) {
    using M = http::Method;
    http::RouteOptions fast;
    fast.blocking = false;
    http::RouteOptions api_fast = fast;
    api_fast.api = true;
    http::RouteOptions api;
    api.api = true;
    r.add(M::get, "/", [this](auto& c) { return home(c); }, fast);
    r.add(M::get, "/bahasa/{lang}", [this](auto& c) { return set_lang(c); }, fast);
    r.add(M::get, "/tentang-data", [this](auto& c) { return about_data(c); }, fast);
    r.add(M::get, "/jejak-audit", [this](auto& c) { return audit_page(c); });
    r.add(M::get, "/notifikasi", [this](auto& c) { return notifications(c); });
    r.add(M::post, "/notifikasi/baca", [this](auto& c) { return mark_read(c); });
    r.add(M::get, "/static/vendor/{*path}", [this](auto& c) { return vendor_file(c); });
    r.add(M::get, "/static/{*path}", [this](auto& c) { return static_file(c); }, fast);
    r.add(M::get, "/berkas/{sha}", [this](auto& c) { return file(c); });
    r.add(M::get, "/healthz", [this](auto& c) { return healthz(c); }, api_fast);
    r.add(M::get, "/metrics", [this](auto&) {
        auto res = http::make_response(http::Status::ok, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
        return res;
    }, api_fast);
    r.add(M::get, "/api/v1/regions", [this](auto&) { return http::json_response(http::Status::ok, regions_json_); }, api_fast);
    r.add(M::get, "/api/v1/opds", [this](auto&) { return http::json_response(http::Status::ok, opds_json_); }, api_fast);
}

http::Response ShellModule::healthz(http::RequestContext&) {
    const bool ok = healthy_.load();
    const std::int64_t uptime = s_.clock.now() - started_at_;
    // Load balancers poll this many times a second: the body changes at most once a second, so
    // each I/O thread keeps the last one it built.
    struct Cached {
        std::int64_t uptime = -1;
        bool ok = false;
        std::string body;
    };
    thread_local Cached cached;
    if (cached.uptime != uptime || cached.ok != ok) {
        boost::json::object o{{"status", ok ? "ok" : "degraded"}, {"database", ok ? "ok" : "unreachable"}, {"uptime_s", uptime}};
        cached = Cached{uptime, ok, boost::json::serialize(o)};
    }
    auto res = http::json_response(ok ? http::Status::ok : http::Status::service_unavailable, cached.body);
    res.set(bhttp::field::cache_control, "no-store");
    return res;
}

http::Response ShellModule::home(http::RequestContext& ctx) {
    const auto now = s_.clock.now();
    if (!ctx.principal) {
        std::lock_guard lock(home_mu_);
        auto it = home_cache_.find(ctx.lang);
        if (it != home_cache_.end() && it->second.until > now) return http::html_response(http::Status::ok, it->second.body);
    }
    Data page = web::object();
    const auto& r = s_.regency;
    page.set("regency_name", r.name);
    page.set("kecamatan_count", std::to_string(r.kecamatan.size()));
    std::size_t kel = 0;
    for (const auto& v : r.villages) kel += v.kelurahan ? 1 : 0;
    page.set("desa_count", std::to_string(r.villages.size() - kel));
    page.set("kelurahan_count", std::to_string(kel));
    page.set("opd_count", std::to_string(r.opds.size()));
    page.set("signed_in", ctx.principal.has_value());
    auto res = s_.views.page(ctx, "pages/home", page, s_.views.t(ctx.lang, "home_title"));
    if (!ctx.principal) {
        std::lock_guard lock(home_mu_);
        home_cache_[ctx.lang] = CachedPage{res.body(), now + 5};
    }
    return res;
}

http::Response ShellModule::set_lang(http::RequestContext& ctx) {
    std::string lang(ctx.param("lang"));
    if (!s_.views.i18n().has_lang(lang)) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    std::string next(ctx.query.value("ke"));
    if (!util::safe_local_path(next)) next = "/";
    http::CookieOptions o;
    o.max_age = 365 * 24 * 3600;
    o.secure = ctx.secure;
    ctx.set_cookies.push_back(http::format_set_cookie(web::Pipeline::kLangCookie, lang, o));
    return http::redirect(next);
}

http::Response ShellModule::about_data(http::RequestContext& ctx) {
    Data page = web::object();
    const auto& r = s_.regency;
    page.set("regency_name", r.name);
    page.set("regency_code", r.code);
    page.set("population_total", std::to_string(r.population_total));
    page.set("population_year", std::to_string(r.population_year));
    page.set("population_source", r.population_source);
    Data rows = web::list();
    for (const auto& k : r.kecamatan) {
        Data row = web::object();
        row.set("code", k.code);
        row.set("bps_code", k.bps_code);
        row.set("name", k.name);
        row.set("population", std::to_string(k.population));
        int desa = 0, kel = 0;
        for (const auto& v : r.villages)
            if (v.district_code == k.code) (v.kelurahan ? kel : desa)++;
        row.set("desa", std::to_string(desa));
        row.set("kelurahan", std::to_string(kel));
        rows.push_back(row);
    }
    page.set("kecamatan", rows);
    return s_.views.page(ctx, "pages/about_data", page, s_.views.t(ctx.lang, "about_data_title"));
}

http::Response ShellModule::audit_page(http::RequestContext& ctx) {
    const bool admin = ctx.principal && ctx.principal->is_admin();
    std::vector<std::string> types = public_audit_types_;
    std::string type(ctx.query.value("jenis"));
    std::string object_id(ctx.query.value("id"));
    if (admin) types.push_back("user"), types.push_back("api_token");
    if (!type.empty() && std::find(types.begin(), types.end(), type) == types.end())
        return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    std::int64_t before = util::parse_int(ctx.query.value("sebelum")).value_or(INT64_MAX);
    auto entries = s_.db.read([&](db::Connection& c) {
        if (!type.empty() && !object_id.empty()) return s_.audit.for_object(c, type, object_id, 100);
        return s_.audit.recent(c, type.empty() ? types : std::vector<std::string>{type}, 50, before);
    });
    Data rows = web::list();
    std::int64_t last = 0;
    for (const auto& e : entries) {
        Data row = web::object();
        row.set("id", std::to_string(e.id));
        row.set("at", format_human(e.at, s_.regency.utc_offset_minutes, ctx.lang));
        row.set("at_iso", format_iso8601(e.at, s_.regency.utc_offset_minutes));
        row.set("actor", admin ? e.actor_label : e.actor_role);
        row.set("action", e.action);
        row.set("object", e.object_type + " " + e.object_id);
        row.set("summary", e.summary);
        row.set("hash", e.hash.substr(0, 12));
        rows.push_back(row);
        last = e.id;
    }
    Data page = web::object();
    page.set("entries", rows);
    page.set("empty", entries.empty());
    if (entries.size() == 50) page.set("next", "/jejak-audit?sebelum=" + std::to_string(last) + (type.empty() ? "" : "&jenis=" + util::percent_encode(type)));
    return s_.views.page(ctx, "pages/audit", page, s_.views.t(ctx.lang, "audit_title"));
}

http::Response ShellModule::notifications(http::RequestContext& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fnotifikasi");
    auto list = s_.notifier.for_user(ctx.principal->user_id, 50);
    Data rows = web::list();
    for (const auto& n : list) {
        Data row = web::object();
        row.set("title", n.title);
        row.set("body", n.body);
        row.set("link", util::safe_local_path(n.link) ? n.link : std::string());
        row.set("at", format_human(n.created_at, s_.regency.utc_offset_minutes, ctx.lang));
        row.set("unread", !n.read);
        rows.push_back(row);
    }
    Data page = web::object();
    page.set("items", rows);
    page.set("empty", list.empty());
    page.set("csrf", ctx.csrf());
    return s_.views.page(ctx, "pages/notifications", page, s_.views.t(ctx.lang, "notifications_title"));
}

http::Response ShellModule::mark_read(http::RequestContext& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    s_.notifier.mark_read(ctx.principal->user_id, 0);
    return http::redirect("/notifikasi");
}

http::Response ShellModule::static_file(http::RequestContext& ctx) {
    std::string path(ctx.param("path"));
    auto it = static_.find(path);
    if (!safe_relative(path) || it == static_.end()) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    return asset_response(ctx, it->second.body, it->second.type, it->second.etag, false);
}

http::Response ShellModule::vendor_file(http::RequestContext& ctx) {
    std::string path(ctx.param("path"));
    bool allowed = false;
    for (const auto& a : kVendorAllow) allowed = allowed || util::starts_with(path, a);
    if (!safe_relative(path) || !allowed) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    {
        std::lock_guard lock(vendor_mu_);
        if (auto it = vendor_.find(path); it != vendor_.end())
            return asset_response(ctx, it->second.body, it->second.type, it->second.etag, true);
    }
    std::filesystem::path full = std::filesystem::path(s_.config.node_modules_dir) / path;
    if (!std::filesystem::is_regular_file(full)) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    Asset a{read_file(full), content_type_for(path), ""};
    a.etag = "\"" + auth::Crypto::sha256_hex(a.body).substr(0, 16) + "\"";
    std::lock_guard lock(vendor_mu_);
    auto& stored = vendor_[path] = std::move(a);
    return asset_response(ctx, stored.body, stored.type, stored.etag, true);
}

http::Response ShellModule::file(http::RequestContext& ctx) {
    std::string sha(ctx.param("sha"));
    auto res = s_.files.serve(sha, ctx.query.value("nama"), ctx.header(bhttp::field::if_none_match));
    if (res.result() == http::Status::not_found) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    return res;
}

}  // namespace gapura::core::shell
