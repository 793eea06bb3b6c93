#include "modules/layanan/layanan_module.hpp"

#include <array>
#include <boost/json.hpp>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "app/config.hpp"
#include "core/auth/auth_service.hpp"
#include "core/files/file_store.hpp"
#include "core/http/response.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/region/regency.hpp"
#include "core/util/strings.hpp"
#include "modules/layanan/layanan_module_impl.hpp"
#include "modules/layanan/layanan_policy.hpp"

namespace gapura::modules::layanan {

namespace fs = std::filesystem;
namespace http = core::http;
using core::web::Data;

namespace {

core::calendar::WorkingCalendar load_calendar(const core::CoreServices& s) {
    // data/regencies/<slug> → data/holidays/indonesia.csv
    const fs::path path = s.config.holidays_file;
    try {
        return core::calendar::WorkingCalendar::load(path.string(), s.regency.utc_offset_minutes);
    } catch (const std::exception& e) {
        spdlog::warn("layanan: {} — using Monday–Friday without holidays", e.what());
        return core::calendar::WorkingCalendar(s.regency.utc_offset_minutes);
    }
}

Catalog load_catalog(const core::CoreServices& s) {
    auto cat = Catalog::load(s.config.modules_dir + "/layanan/data/services.json");
    // The catalog names Tuban's OPDs; another regency's deployment routes services whose OPD it
    // does not have to its walidata OPD (its Diskominfo) until it edits the catalog.
    std::vector<std::string> known;
    for (const auto& o : s.regency.opds) known.push_back(o.slug);
    auto moved = cat.route_unknown_opds(known, s.regency.walidata_opd);
    if (!moved.empty())
        spdlog::warn("layanan: {} services routed to {} (their OPD is not in this regency)", moved.size(), s.regency.walidata_opd);
    return cat;
}

std::vector<std::string> all_fields(const http::RequestContext& ctx, std::string_view name) {
    std::vector<std::string> out;
    const http::Form* f = ctx.form ? &*ctx.form : (ctx.multipart ? &ctx.multipart->fields : nullptr);
    if (!f) return out;
    for (auto v : f->all(name)) out.emplace_back(v);
    return out;
}

http::Response with_status(http::Response res, const Error* err) {
    if (err) res.result(http::status_for(err->code));
    return res;
}

// A coordinate for data-* attributes and links: six decimals (about 0.1 m), a decimal point.
std::string coord(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}

// The web form reads "-6,8962" (a decimal comma, as people in Indonesia write it) as "-6.8962";
// anything else goes to parse_coordinate unchanged.
std::string decimal_point(std::string_view s) {
    std::string out(s);
    if (std::count(out.begin(), out.end(), ',') == 1 && out.find('.') == std::string::npos) out[out.find(',')] = '.';
    return out;
}

std::string duration_text(std::int64_t s) {
    if (s <= 0) return "0";
    const auto h = s / 3600, m = (s % 3600) / 60;
    if (h >= 48) return std::to_string(h / 24) + " h " + std::to_string(h % 24) + " j";
    return std::to_string(h) + " j " + std::to_string(m) + " m";
}

}  // namespace

std::unique_ptr<core::Module> make_layanan_module(const core::CoreServices& services) {
    return std::make_unique<LayananModule>(services);
}

LayananModule::LayananModule(const core::CoreServices& s)
    : s_(s), catalog_(load_catalog(s)), cal_(load_calendar(s)), svc_(std::make_unique<LayananService>(s_, catalog_, cal_)) {
    if (!s.config.map_tile_url.empty()) tile_url_ = s.config.map_tile_url;
    if (!s.config.map_tile_attribution.empty()) tile_attribution_ = s.config.map_tile_attribution;
}

std::vector<core::db::Migration> LayananModule::migrations() const { return store::migrations(); }

std::vector<core::web::NavItem> LayananModule::nav() const { return {{"/layanan", "layanan_nav", 30}}; }

void LayananModule::register_jobs(core::jobs::Scheduler& scheduler) {
    scheduler.every("layanan.sla", 300, [this](std::int64_t now) {
        svc_->run_sla(now);
        cache_.clear();
    });
}

void LayananModule::register_routes(http::Router& r) {
    using M = http::Method;
    // Every write through this module clears the page cache, so a change shows at once (the
    // SLA job clears it too; the 5 s TTL bounds anything else).
    auto writes = [this](auto handler) {
        return [this, handler](Ctx& c) {
            auto res = handler(c);
            cache_.clear();
            return res;
        };
    };
    // Public answers that are the same bytes for every anonymous visitor with the same URL and
    // language (home, statistics, the Open311 list): kept a few seconds in a PageCache; a hit is
    // answered on the I/O thread (RouteOptions::fast), a miss runs the handler and fills the cache.
    auto cache_key = [](const char* tag, const Ctx& c) {
        return std::string(tag) + '|' + c.lang + '|' + c.path + '?' + c.target_query;
    };
    auto cached = [this, cache_key](const char* tag, auto handler) {
        return [this, cache_key, tag, handler](Ctx& c) -> http::Response {
            if (c.principal) return handler(c);
            auto res = handler(c);
            if (res.result() == http::Status::ok && c.set_cookies.empty()) cache_.put(cache_key(tag, c), res.body(), s_.clock.now());
            return res;
        };
    };
    auto from_cache = [this, cache_key](http::RouteOptions o, const char* tag, const char* content_type) {
        o.fast = [this, cache_key, tag, content_type](Ctx& c) -> std::optional<http::Response> {
            if (c.principal) return std::nullopt;
            if (auto body = cache_.get(cache_key(tag, c), s_.clock.now()))
                return http::make_response(http::Status::ok, *body, content_type);
            return std::nullopt;
        };
        return o;
    };
    constexpr const char* kHtml = "text/html; charset=utf-8";
    http::RouteOptions upload;
    upload.body_limit = 26 << 20;  // five photos of 5 MiB
    r.add(M::get, "/layanan", cached("home", [this](auto& c) { return home(c); }), from_cache({}, "home", kHtml));
    r.add(M::get, "/layanan/lapor", [this](auto& c) { return report_form(c); });
    r.add(M::post, "/layanan/lapor", writes([this](auto& c) { return report_submit(c); }), upload);
    r.add(M::get, "/layanan/lacak", [this](auto& c) { return track_lookup(c); });
    r.add(M::get, "/layanan/lacak/{code}", [this](auto& c) { return track(c); });
    r.add(M::post, "/layanan/lacak/{code}/info", writes([this](auto& c) { return reporter_action(c, false); }));
    r.add(M::post, "/layanan/lacak/{code}/buka-kembali", writes([this](auto& c) { return reporter_action(c, true); }));
    r.add(M::get, "/layanan/laporan-saya", [this](auto& c) { return my_reports(c); });
    r.add(M::get, "/layanan/antrian", [this](auto& c) { return queue(c); });
    r.add(M::get, "/layanan/statistik", cached("stats", [this](auto& c) { return statistics(c); }),
          from_cache({}, "stats", kHtml));
    r.add(M::get, "/layanan/statistik/{opd}", cached("stats", [this](auto& c) { return opd_statistics(c); }),
          from_cache({}, "stats", kHtml));
    r.add(M::get, "/layanan/tiket/{id}", [this](auto& c) { return ticket(c); });
    for (const char* a : {"tugaskan", "status", "minta-info", "gabung", "tolak", "selesai"}) {
        std::string action = a;
        r.add(M::post, "/layanan/tiket/{id}/" + action, writes([this, action](auto& c) { return ticket_action(c, action); }));
    }
    r.add(M::get, "/layanan/gangguan/baru", [this](auto& c) { return fault_form(c); });
    r.add(M::post, "/layanan/gangguan/baru", writes([this](auto& c) { return fault_submit(c); }));
    r.add(M::get, "/layanan/aset", [this](auto& c) { return assets(c); });
    r.add(M::post, "/layanan/aset", writes([this](auto& c) { return asset_add(c); }));
    r.add(M::get, "/layanan/aset/{id}", [this](auto& c) { return asset_page(c); });
    r.add(M::get, "/layanan/kunci-api", [this](auto& c) { return keys(c); });
    r.add(M::post, "/layanan/kunci-api", writes([this](auto& c) { return key_add(c); }));
    r.add(M::post, "/layanan/kunci-api/{id}/cabut", writes([this](auto& c) { return key_revoke(c); }));

    http::RouteOptions api;
    api.api = true;
    http::RouteOptions api_post = api;
    api_post.body_limit = kMaxPhotoBytes + (1 << 20);  // one media file and the form fields
    for (const bool xml : {false, true}) {
        const std::string ext = xml ? ".xml" : ".json";
        r.add(M::get, "/open311/discovery" + ext, [this, xml](auto& c) { return o311_discovery(c, xml); }, api);
        r.add(M::get, "/open311/v2/services" + ext, [this, xml](auto& c) { return o311_services(c, xml); }, api);
        r.add(M::get, "/open311/v2/services/{code}" + ext, [this, xml](auto& c) { return o311_service(c, xml); }, api);
        http::RouteOptions post = api_post;
        post.fast = [this, xml](Ctx& c) { return o311_post_fast(c, xml); };
        r.add(M::post, "/open311/v2/requests" + ext, writes([this, xml](auto& c) { return o311_post(c, xml); }), post);
        r.add(M::get, "/open311/v2/requests" + ext, cached(xml ? "o311x" : "o311j", [this, xml](auto& c) { return o311_requests(c, xml); }),
              from_cache(api, xml ? "o311x" : "o311j", xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8"));
        r.add(M::get, "/open311/v2/requests/{id}" + ext, [this, xml](auto& c) { return o311_request(c, xml); }, api);
        r.add(M::get, "/open311/v2/tokens/{token}" + ext, [this, xml](auto& c) { return o311_token(c, xml); }, api);
        r.add(M::get, "/open311/v2/servicerequestupdates" + ext, [this, xml](auto& c) { return o311_updates(c, xml); }, api);
    }
}

std::string LayananModule::t(const std::string& lang, const std::string& key) const {
    std::string text = s_.views.t(lang, key);
    if (auto at = text.find("{regency}"); at != std::string::npos) text.replace(at, 9, s_.regency.name);
    return text;
}

void LayananModule::set_map(Data& page) const {
    const auto& r = s_.regency;
    page.set("map_tiles", tile_url_);
    page.set("map_attribution", tile_attribution_);
    page.set("map_center", coord(r.center.lat) + "," + coord(r.center.lng));
    page.set("map_zoom", std::to_string(r.zoom));
    page.set("map_bounds", coord(r.bounds.south) + "," + coord(r.bounds.west) + "," + coord(r.bounds.north) + "," +
                               coord(r.bounds.east));
}

std::string LayananModule::service_name(const std::string& code, const std::string& lang) const {
    const Service* s = catalog_.find(code);
    if (!s) return code;
    return lang == "en" ? s->name_en : s->name;
}

std::string LayananModule::fmt_time(std::int64_t at, const std::string& lang) const {
    return format_human(at, s_.regency.utc_offset_minutes, lang);
}

Data LayananModule::ticket_row(Ctx& ctx, const Ticket& tk, bool staff) {
    Data row = core::web::object();
    row.set("id", std::to_string(tk.id));
    row.set("code", tk.code);
    row.set("service", service_name(tk.service_code, ctx.lang));
    row.set("status", t(ctx, "layanan_status_" + status_name(tk.status)));
    row.set("status_key", status_name(tk.status));
    row.set("priority", t(ctx, "layanan_priority_" + tk.priority));
    row.set("opd", tk.opd_name);
    row.set("created", fmt_time(tk.created_at, ctx.lang));
    row.set("updated", fmt_time(tk.updated_at, ctx.lang));
    if (auto d = tk.next_due()) row.set("due", fmt_time(*d, ctx.lang));
    row.set("paused", tk.paused_at.has_value());
    row.set("breached", tk.breached());
    row.set("open", tk.open());
    row.set("description", tk.description);
    row.set("address", tk.address);
    row.set("village", tk.village_name);
    row.set("status_note", tk.status_note);
    row.set("internal", !tk.is_public);
    if (tk.lat && tk.lng) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6f, %.6f", *tk.lat, *tk.lng);
        row.set("latlng", std::string(buf));
        row.set("pin_lat", coord(*tk.lat));
        row.set("pin_lng", coord(*tk.lng));
    }
    if (staff || !tk.hide_name) row.set("reporter", tk.reporter_name);
    if (staff) {
        row.set("assignee", tk.assignee_name);
        row.set("reporter_email", tk.reporter_email);
        row.set("reporter_phone", tk.reporter_phone);
        row.set("hide_name", tk.hide_name);
    }
    Data photos = core::web::list();
    for (const auto& p : tk.photos) {
        Data ph = core::web::object();
        ph.set("sha", p);
        photos.push_back(ph);
    }
    row.set("photos", photos);
    row.set("has_photos", !tk.photos.empty());
    // Attributes as label: value.
    Data attrs = core::web::list();
    boost::system::error_code ec;
    auto av = boost::json::parse(tk.attributes_json, ec);
    const Service* svc = catalog_.find(tk.service_code);
    if (!ec && av.is_object() && svc) {
        for (const auto& a : svc->attributes) {
            auto it = av.as_object().find(a.code);
            if (it == av.as_object().end()) continue;
            std::string value;
            auto name_of = [&](const std::string& key) {
                for (const auto& v : a.values)
                    if (v.key == key) return v.name_in(ctx.lang);
                return key;
            };
            if (it->value().is_array()) {
                for (const auto& v : it->value().as_array())
                    if (v.is_string()) value += (value.empty() ? "" : ", ") + name_of(std::string(v.as_string()));
            } else if (it->value().is_string()) {
                value = name_of(std::string(it->value().as_string()));
            }
            Data d = core::web::object();
            d.set("label", a.description_in(ctx.lang));
            d.set("value", value);
            attrs.push_back(d);
        }
    }
    row.set("attributes", attrs);
    return row;
}

// ---- public pages ------------------------------------------------------------------------

http::Response LayananModule::home(Ctx& ctx) {
    Data page = core::web::object();
    Data services = core::web::list();
    for (const auto& s : catalog_.services()) {
        if (!s.is_public) continue;
        Data d = core::web::object();
        d.set("code", s.code);
        d.set("name", s.name_in(ctx.lang));
        d.set("description", s.description_in(ctx.lang));
        d.set("group", s.group_in(ctx.lang));
        services.push_back(d);
    }
    page.set("services", services);
    const bool desk = ctx.principal && policy::is_desk(*ctx.principal);
    page.set("is_desk", desk);
    page.set("is_admin", ctx.principal && ctx.principal->is_admin());
    page.set("signed_in", ctx.signed_in());
    Data recent = core::web::list();
    for (const auto& tk : svc_->recent_public(10)) recent.push_back(ticket_row(ctx, tk, false));
    page.set("recent", recent);
    return s_.views.page(ctx, "layanan/home", page, t(ctx, "layanan_title"));
}

http::Response LayananModule::report_form(Ctx& ctx, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Flapor");
    std::string code(ctx.field("service_code"));
    if (code.empty()) code = std::string(ctx.query.value("layanan"));
    const Service* svc = catalog_.find(code);
    if (svc && !svc->is_public) svc = nullptr;
    Data page = core::web::object();
    page.set("csrf", ctx.csrf());
    Data services = core::web::list();
    for (const auto& s : catalog_.services()) {
        if (!s.is_public) continue;
        Data d = core::web::object();
        d.set("code", s.code);
        d.set("name", ctx.lang == "en" ? s.name_en : s.name);
        d.set("selected", svc && svc->code == s.code);
        services.push_back(d);
    }
    page.set("services", services);
    std::map<std::string, std::string> field_err;
    if (err) {
        page.set("error_summary", t(ctx, err->message_key));
        Data errors = core::web::list();
        for (const auto& f : err->fields) {
            field_err[f.field] = t(ctx, f.message_key);
            Data e = core::web::object();
            e.set("field", f.field);
            e.set("message", t(ctx, f.message_key));
            errors.push_back(e);
        }
        page.set("errors", errors);
    }
    if (svc) {
        page.set("service_selected", true);
        page.set("service_code", svc->code);
        page.set("service_name", ctx.lang == "en" ? svc->name_en : svc->name);
        page.set("service_description", svc->description_in(ctx.lang));
        Data attrs = core::web::list();
        for (const auto& a : svc->attributes) {
            const std::string fname = "attribute[" + a.code + "]";
            auto submitted = all_fields(ctx, a.datatype == "multivaluelist" ? fname + "[]" : fname);
            Data d = core::web::object();
            d.set("code", a.code);
            d.set("label", a.description_in(ctx.lang));
            d.set("hint", a.datatype_description_in(ctx.lang));
            d.set("required", a.required);
            d.set("is_select", a.datatype == "singlevaluelist");
            d.set("is_multi", a.datatype == "multivaluelist");
            d.set("is_text", a.datatype == "text");
            d.set("is_input", a.datatype == "string" || a.datatype == "number" || a.datatype == "datetime");
            d.set("input_type", a.datatype == "number" ? "number" : "text");
            d.set("value", submitted.empty() ? std::string() : submitted.front());
            if (field_err.count(fname)) d.set("error", field_err[fname]);
            Data values = core::web::list();
            for (const auto& v : a.values) {
                Data vv = core::web::object();
                vv.set("key", v.key);
                vv.set("name", v.name_in(ctx.lang));
                vv.set("selected", std::find(submitted.begin(), submitted.end(), v.key) != submitted.end());
                values.push_back(vv);
            }
            d.set("values", values);
            attrs.push_back(d);
        }
        page.set("attributes", attrs);
        // Desa/kelurahan grouped by kecamatan (typed-address path; the map pin is optional).
        const std::string village(ctx.field("village_code"));
        Data groups = core::web::list();
        for (const auto& k : s_.regency.kecamatan) {
            Data g = core::web::object();
            g.set("name", k.name);
            g.set("lat", coord(k.lat));
            g.set("lng", coord(k.lng));
            Data vs = core::web::list();
            for (const auto& v : s_.regency.villages) {
                if (v.district_code != k.code) continue;
                Data vv = core::web::object();
                vv.set("code", v.code);
                vv.set("name", v.name);
                vv.set("selected", v.code == village);
                vs.push_back(vv);
            }
            g.set("villages", vs);
            groups.push_back(g);
        }
        page.set("kecamatan", groups);
        page.set("description", std::string(ctx.field("description")));
        page.set("address", std::string(ctx.field("address_string")));
        page.set("lat", std::string(ctx.field("lat")));
        page.set("long", std::string(ctx.field("long")));
        page.set("hide_name", ctx.field("hide_name") == "1");
        for (const char* f : {"description", "village_code", "address_string", "lat", "long", "photos"})
            if (field_err.count(f)) page.set(std::string("err_") + f, field_err[f]);
        // The pin's <details> is open when it holds a value or an error.
        page.set("pin_open", !util::trim(ctx.field("lat")).empty() || !util::trim(ctx.field("long")).empty() ||
                                 field_err.count("lat") || field_err.count("long"));
        set_map(page);
    }
    return with_status(s_.views.page(ctx, "layanan/report", page, t(ctx, "layanan_report_title")), err);
}

http::Response LayananModule::report_submit(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    NewReport in;
    in.service_code = std::string(ctx.field("service_code"));
    const Service* svc = catalog_.find(in.service_code);
    if (!svc || !svc->is_public) {
        Error e{ErrorCode::not_found, "layanan_err_service_unknown", {{"service_code", "layanan_err_service_unknown"}}, {}, 0};
        return report_form(ctx, &e);
    }
    in.description = std::string(ctx.field("description"));
    in.address = std::string(ctx.field("address_string"));
    in.village_code = std::string(ctx.field("village_code"));
    in.hide_name = ctx.field("hide_name") == "1";
    // The optional pin: Open311's check (parse_coordinate), worded for people, per field. The
    // service then checks the pair and the regency's bounds.
    std::vector<FieldError> pin_errors;
    for (const bool lat : {true, false}) {
        const std::string name = lat ? "lat" : "long";
        const auto c = parse_coordinate(decimal_point(ctx.field(name)), lat);
        if (c.problem == Coordinate::Problem::not_number) pin_errors.push_back({name, "layanan_err_" + name + "_number"});
        else if (c.problem == Coordinate::Problem::out_of_range) pin_errors.push_back({name, "layanan_err_" + name + "_range"});
        else (lat ? in.lat : in.lng) = c.value;
    }
    for (const auto& a : svc->attributes) {
        auto vs = all_fields(ctx, "attribute[" + a.code + "]" + (a.datatype == "multivaluelist" ? "[]" : ""));
        vs.erase(std::remove_if(vs.begin(), vs.end(), [](const std::string& v) { return util::trim(v).empty(); }), vs.end());
        if (!vs.empty()) in.attributes[a.code] = vs;
    }
    // Validate the text first so that a bad form does not leave orphan photos behind. A bad pin
    // is reported together with the other fields' problems (one round trip for the citizen).
    if (!pin_errors.empty()) {
        in.lat = in.lng = std::nullopt;
        Error e{ErrorCode::bad_request, "layanan_err_invalid", pin_errors, {}, 0};
        if (auto st = svc_->validate(in, false); !st)
            for (const auto& f : st.error().fields)
                if (f.field != "lat" && f.field != "long") e.fields.push_back(f);
        return report_form(ctx, &e);
    }
    if (auto st = svc_->validate(in, false); !st) return report_form(ctx, &st.error());
    auto photos = store_photos(ctx, "photos", 5, ctx.principal->user_id);
    if (!photos) return report_form(ctx, &photos.error());
    in.photos = std::move(*photos);
    auto r = svc_->submit_report(in, ctx.principal, core::auth::AuthService::actor_of(*ctx.principal));
    if (!r) return report_form(ctx, &r.error());
    return http::redirect("/layanan/lacak/" + r->code + "?baru=1");
}

Result<std::vector<std::string>> LayananModule::store_photos(const Ctx& ctx, const std::string& field, std::size_t max_files,
                                                             std::optional<std::int64_t> user_id) {
    std::vector<const http::UploadedFile*> parts;
    if (ctx.multipart)
        for (const auto& f : ctx.multipart->files)
            if (f.field == field && !f.data.empty()) parts.push_back(&f);
    if (parts.size() > max_files)
        return Error{ErrorCode::bad_request, "layanan_err_invalid", {{field, "layanan_err_too_many_photos"}}, {}, 0};
    std::vector<std::string> out;
    for (const auto* f : parts) {
        auto stored = s_.files.put(f->data, core::files::FilePolicy{kMaxPhotoBytes, {"image/jpeg", "image/png", "image/webp"}},
                                   user_id);
        if (!stored) {
            const auto& key = stored.error().message_key;
            const std::string message = key == "err_file_too_large" ? "layanan_err_photo_too_large"
                                        : key == "err_file_type"    ? "layanan_err_photo_type"
                                                                    : key;
            return Error{stored.error().code, message, {{field, message}}, {}, 0};
        }
        out.push_back(stored->sha256);
    }
    return out;
}

http::Response LayananModule::track_lookup(Ctx& ctx) {
    std::string code = util::to_lower_ascii(util::trim(ctx.query.value("kode")));
    for (auto& ch : code) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (code.empty()) return s_.views.page(ctx, "layanan/lookup", core::web::object(), t(ctx, "layanan_track_title"));
    if (code.size() > 20 || code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
        return s_.views.error(ctx, ErrorCode::not_found, "layanan_err_ticket_unknown");
    return http::redirect("/layanan/lacak/" + code);
}

http::Response LayananModule::track(Ctx& ctx) {
    auto tk = svc_->by_code(std::string(ctx.param("code")));
    if (!tk || !policy::can_view(ctx.principal, *tk)) return s_.views.error(ctx, ErrorCode::not_found, "layanan_err_ticket_unknown");
    const bool staff = ctx.principal && policy::can_view_internal(*ctx.principal, *tk);
    const bool reporter = ctx.principal && policy::is_reporter(*ctx.principal, *tk);
    Data page = ticket_row(ctx, *tk, false);
    page.set("csrf", ctx.csrf());
    set_map(page);
    page.set("is_new", ctx.query.value("baru") == "1");
    page.set("staff_link", staff);
    page.set("can_answer", reporter && tk->status == TicketStatus::pending);
    page.set("can_reopen", reporter && tk->status == TicketStatus::resolved && tk->resolved_at &&
                               s_.clock.now() - *tk->resolved_at <= kReopenWindow);
    if (tk->merged_into)
        if (auto into = svc_->get(*tk->merged_into)) page.set("merged_code", into->code);
    Data events = core::web::list();
    for (const auto& e : svc_->timeline(tk->id, true)) {
        Data d = core::web::object();
        d.set("at", fmt_time(e.at, ctx.lang));
        d.set("what", t(ctx, "layanan_event_" + e.kind));
        d.set("status", t(ctx, "layanan_status_" + e.status));
        d.set("note", e.note);
        events.push_back(d);
    }
    page.set("events", events);
    return s_.views.page(ctx, "layanan/track", page, t(ctx, "layanan_track_title") + " " + tk->code);
}

http::Response LayananModule::reporter_action(Ctx& ctx, bool reopen) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    const std::string code(ctx.param("code"));
    const std::string note(ctx.field("note"));
    auto st = reopen ? svc_->reopen(*ctx.principal, code, note) : svc_->provide_info(*ctx.principal, code, note);
    if (!st) return s_.views.error(ctx, st.error());
    return http::redirect("/layanan/lacak/" + code);
}

http::Response LayananModule::my_reports(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Flaporan-saya");
    store::QueueFilter f;
    f.reporter_user_id = ctx.principal->user_id;
    f.limit = 100;
    Data rows = core::web::list();
    for (const auto& tk : svc_->queue(f)) rows.push_back(ticket_row(ctx, tk, false));
    Data page = core::web::object();
    page.set("tickets", rows);
    return s_.views.page(ctx, "layanan/mine", page, t(ctx, "layanan_mine_title"));
}

// ---- statistics (public) ---------------------------------------------------------------

namespace {

std::string percent_text(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return "–";
    const auto tenths = (part * 1000 + whole / 2) / whole;
    return std::to_string(tenths / 10) + "," + std::to_string(tenths % 10) + " %";
}

void add_stats(store::ServiceStats& into, const store::ServiceStats& s) {
    into.received += s.received;
    into.open += s.open;
    into.resolved += s.resolved;
    into.rejected += s.rejected;
    into.merged += s.merged;
    into.resolved_in_sla += s.resolved_in_sla;
    into.resolve_s += s.resolve_s;
    into.responded += s.responded;
    into.respond_s += s.respond_s;
    into.respond_breaches += s.respond_breaches;
    into.resolve_breaches += s.resolve_breaches;
}

core::web::Data stats_row(const store::ServiceStats& s) {
    core::web::Data d = core::web::object();
    d.set("received", std::to_string(s.received));
    d.set("open", std::to_string(s.open));
    d.set("resolved", std::to_string(s.resolved));
    d.set("rejected", std::to_string(s.rejected));
    d.set("in_sla", percent_text(s.resolved_in_sla, s.resolved));
    d.set("respond", s.responded > 0 ? duration_text(s.respond_s / s.responded) : "–");
    d.set("resolve", s.resolved > 0 ? duration_text(s.resolve_s / s.resolved) : "–");
    d.set("breaches", std::to_string(s.respond_breaches + s.resolve_breaches));
    return d;
}

}  // namespace

// Figures of public services only (internal faults between OPDs are not published), read from the
// layanan_stats counters: a few dozen rows whatever the number of reports.
http::Response LayananModule::statistics(Ctx& ctx) {
    std::vector<store::ServiceStats> per_opd;
    store::ServiceStats all;
    for (const auto& s : svc_->stats(std::nullopt)) {
        const Service* svc = catalog_.find(s.service_code);
        if (!svc || !svc->is_public) continue;
        if (per_opd.empty() || per_opd.back().opd_id != s.opd_id) {
            per_opd.push_back(store::ServiceStats{});
            per_opd.back().opd_id = s.opd_id;
            per_opd.back().opd_slug = s.opd_slug;
            per_opd.back().opd_name = s.opd_name;
        }
        add_stats(per_opd.back(), s);
        add_stats(all, s);
    }
    Data rows = core::web::list();
    for (const auto& o : per_opd) {
        Data d = stats_row(o);
        d.set("slug", o.opd_slug);
        d.set("name", o.opd_name);
        rows.push_back(d);
    }
    Data page = core::web::object();
    page.set("rows", rows);
    page.set("empty", per_opd.empty());
    page.set("total", stats_row(all));
    return s_.views.page(ctx, "layanan/statistics", page, t(ctx, "layanan_stats_title"));
}

http::Response LayananModule::opd_statistics(Ctx& ctx) {
    const std::string slug(ctx.param("opd"));
    const auto opd_id = svc_->opd_id_by_slug(slug);
    if (!opd_id) return s_.views.error(ctx, ErrorCode::not_found, "layanan_err_opd_unknown");
    std::string name = slug;
    for (const auto& o : s_.regency.opds)
        if (o.slug == slug) name = o.name;
    Data rows = core::web::list();
    store::ServiceStats all;
    bool any = false;
    for (const auto& s : svc_->stats(opd_id)) {
        const Service* svc = catalog_.find(s.service_code);
        if (!svc || !svc->is_public) continue;
        name = s.opd_name;
        Data d = stats_row(s);
        d.set("service", svc->name_in(ctx.lang));
        d.set("code", s.service_code);
        rows.push_back(d);
        add_stats(all, s);
        any = true;
    }
    Data page = core::web::object();
    page.set("opd", name);
    page.set("rows", rows);
    page.set("empty", !any);
    page.set("total", stats_row(all));
    return s_.views.page(ctx, "layanan/statistics_opd", page, t(ctx, "layanan_stats_title") + " · " + name);
}

// ---- staff -------------------------------------------------------------------------------

http::Response LayananModule::queue(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Fantrian");
    const auto& p = *ctx.principal;
    if (!policy::is_desk(p) || (!p.is_admin() && !p.opd_id)) return s_.views.error(ctx, ErrorCode::forbidden, "layanan_err_forbidden");
    store::QueueFilter f;
    if (!p.is_admin()) {
        f.opd_id = p.opd_id;
        f.reporter_opd_id = p.opd_id;  // also the faults this OPD reported
    }
    std::string status(ctx.query.value("status"));
    if (status.empty()) status = "open";
    if (status != "all" && status != "open" && status != "closed" && !parse_status(status))
        return s_.views.error(ctx, ErrorCode::bad_request, "layanan_err_status");
    f.status = status == "all" ? "" : status;
    std::string service(ctx.query.value("layanan"));
    if (!service.empty() && !catalog_.find(service)) return s_.views.error(ctx, ErrorCode::bad_request, "layanan_err_service_unknown");
    f.service_code = service;
    f.breached_only = ctx.query.value("terlambat") == "1";
    if (ctx.query.value("saya") == "1") f.assignee = p.user_id;
    int page_no = static_cast<int>(std::clamp<std::int64_t>(util::parse_int(ctx.query.value("hal")).value_or(1), 1, 100000));
    f.limit = 51;
    f.offset = (page_no - 1) * 50;
    f.summary_only = true;
    auto rows = svc_->queue(f);
    // The rows and the two option lists are tables (core/web/views.hpp): a cell per value, not a
    // Data object per row.
    using core::web::Table;
    Table tickets({"id", "code", "service", "status", "priority", "opd", "due", "paused", "breached", "internal", "assignee"});
    enum : std::size_t { c_id, c_code, c_service, c_status, c_priority, c_opd, c_due, c_paused, c_breached, c_internal, c_assignee };
    tickets.reserve(std::min<std::size_t>(rows.size(), 50));
    // The texts rows share (status, priority, service), looked up once per page, not per row.
    std::array<std::string, static_cast<std::size_t>(TicketStatus::merged) + 1> status_labels;
    std::vector<std::pair<std::string, std::string>> priority_labels, service_labels;
    auto label = [](std::vector<std::pair<std::string, std::string>>& seen, const std::string& key, auto&& make) -> const std::string& {
        for (const auto& [k, v] : seen)
            if (k == key) return v;
        return seen.emplace_back(key, make()).second;
    };
    for (std::size_t i = 0; i < rows.size() && i < 50; ++i) {
        Ticket& tk = rows[i];
        std::string& status_label = status_labels[static_cast<std::size_t>(tk.status)];
        if (status_label.empty()) status_label = t(ctx, "layanan_status_" + status_name(tk.status));
        tickets.add_row();
        tickets.text(c_id, std::to_string(tk.id));
        tickets.text(c_code, std::move(tk.code));
        tickets.text(c_service, label(service_labels, tk.service_code, [&] { return service_name(tk.service_code, ctx.lang); }));
        tickets.text(c_status, status_label);
        tickets.text(c_priority, label(priority_labels, tk.priority, [&] { return t(ctx, "layanan_priority_" + tk.priority); }));
        tickets.text(c_opd, std::move(tk.opd_name));
        if (auto due = tk.next_due()) tickets.text(c_due, fmt_time(*due, ctx.lang));
        if (tk.paused_at) tickets.flag(c_paused);
        if (tk.breached()) tickets.flag(c_breached);
        if (!tk.is_public) tickets.flag(c_internal);
        if (!tk.assignee_name.empty()) tickets.text(c_assignee, std::move(tk.assignee_name));
    }
    Data page = core::web::object();
    page.set("empty", rows.empty());
    Table statuses({"value", "label", "selected"});
    for (const char* s : {"open", "all", "closed", "new", "assigned", "in_progress", "pending", "resolved", "rejected", "merged"}) {
        statuses.add_row();
        statuses.text(0, s);
        statuses.text(1, t(ctx, std::string("layanan_status_") + s));
        if (status == s) statuses.flag(2);
    }
    Table services({"value", "label", "selected"});
    services.reserve(catalog_.services().size());
    for (const auto& s : catalog_.services()) {
        services.add_row();
        services.text(0, s.code);
        services.text(1, ctx.lang == "en" ? s.name_en : s.name);
        if (s.code == service) services.flag(2);
    }
    page.set("breached_only", f.breached_only);
    page.set("mine", f.assignee.has_value());
    const std::string base = "/layanan/antrian?status=" + util::percent_encode(status) + "&layanan=" + util::percent_encode(service) +
                             (f.breached_only ? "&terlambat=1" : "") + (f.assignee ? "&saya=1" : "");
    if (rows.size() > 50) page.set("next", base + "&hal=" + std::to_string(page_no + 1));
    if (page_no > 1) page.set("prev", base + "&hal=" + std::to_string(page_no - 1));
    return s_.views.page(ctx, "layanan/queue", page, {{"tickets", &tickets}, {"statuses", &statuses}, {"services", &services}},
                         t(ctx, "layanan_queue_title"));
}

http::Response LayananModule::ticket(Ctx& ctx, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Fantrian");
    auto id = util::parse_int(ctx.param("id"));
    auto tk = id ? svc_->get(*id) : std::nullopt;
    if (!tk) return s_.views.error(ctx, ErrorCode::not_found, "layanan_err_ticket_unknown");
    if (!policy::can_view_internal(*ctx.principal, *tk)) return s_.views.error(ctx, ErrorCode::forbidden, "layanan_err_forbidden");
    const bool can_work = policy::can_work(*ctx.principal, *tk);
    Data page = ticket_row(ctx, *tk, true);
    page.set("csrf", ctx.csrf());
    page.set("can_work", can_work && tk->open());
    page.set("can_request_info", can_work && tk->open() && tk->status != TicketStatus::pending && tk->reporter_user_id);
    if (err) {
        page.set("error_summary", t(ctx, err->message_key));
        if (!err->fields.empty()) page.set("error_detail", t(ctx, err->fields.front().message_key));
    }
    page.set("respond_due", fmt_time(tk->respond_due, ctx.lang));
    page.set("resolve_due", fmt_time(tk->resolve_due, ctx.lang));
    if (tk->first_response_at) page.set("first_response", fmt_time(*tk->first_response_at, ctx.lang));
    page.set("respond_breached", tk->respond_breached);
    page.set("resolve_breached", tk->resolve_breached);
    if (tk->asset_id)
        if (auto a = svc_->asset(*tk->asset_id)) {
            page.set("asset_id", std::to_string(a->id));
            page.set("asset_name", a->code + " · " + a->name);
        }
    Data staff = core::web::list();
    for (const auto& u : svc_->staff_of(tk->opd_id)) {
        Data d = core::web::object();
        d.set("id", std::to_string(u.id));
        d.set("name", u.name);
        d.set("selected", tk->assignee_user_id && *tk->assignee_user_id == u.id);
        staff.push_back(d);
    }
    page.set("staff", staff);
    Data dups = core::web::list();
    bool any_dup = false;
    if (tk->open())
        for (const auto& d : svc_->duplicates(*tk)) {
            dups.push_back(ticket_row(ctx, d, true));
            any_dup = true;
        }
    page.set("has_duplicates", any_dup);
    page.set("duplicates", dups);
    Data events = core::web::list();
    for (const auto& e : svc_->timeline(tk->id, false)) {
        Data d = core::web::object();
        d.set("at", fmt_time(e.at, ctx.lang));
        d.set("who", e.actor_label);
        d.set("what", t(ctx, "layanan_event_" + e.kind));
        d.set("status", t(ctx, "layanan_status_" + e.status));
        d.set("note", e.note);
        d.set("internal", !e.is_public);
        events.push_back(d);
    }
    page.set("events", events);
    return with_status(s_.views.page(ctx, "layanan/ticket", page, t(ctx, "layanan_ticket_title") + " " + tk->code), err);
}

http::Response LayananModule::ticket_action(Ctx& ctx, const std::string& action) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = util::parse_int(ctx.param("id"));
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "layanan_err_ticket_unknown");
    const auto& p = *ctx.principal;
    const std::string note(ctx.field("note"));
    Status st = ok_status();
    if (action == "tugaskan") {
        auto who = util::parse_int(ctx.field("assignee"));
        st = who ? svc_->assign(p, *id, *who, note)
                 : Status(Error{ErrorCode::bad_request, "layanan_err_invalid", {{"assignee", "layanan_err_assignee"}}, {}, 0});
    } else if (action == "status") {
        st = svc_->change_status(p, *id, std::string(ctx.field("status")), note, ctx.field("public") == "1");
    } else if (action == "minta-info") {
        st = svc_->request_info(p, *id, note);
    } else if (action == "gabung") {
        auto into_text = std::string(util::trim(ctx.field("into")));
        std::optional<std::int64_t> into = util::parse_int(into_text);
        if (!into && !into_text.empty())
            if (auto other = svc_->by_code(into_text)) into = other->id;
        st = into ? svc_->merge(p, *id, *into)
                  : Status(Error{ErrorCode::bad_request, "layanan_err_invalid", {{"into", "layanan_err_merge_target"}}, {}, 0});
    } else if (action == "tolak") {
        st = svc_->reject(p, *id, note);
    } else if (action == "selesai") {
        st = svc_->resolve(p, *id, note);
    }
    if (!st) {
        if (st.error().code == ErrorCode::forbidden || st.error().code == ErrorCode::not_found) return s_.views.error(ctx, st.error());
        return ticket(ctx, &st.error());
    }
    return http::redirect("/layanan/tiket/" + std::to_string(*id));
}

http::Response LayananModule::fault_form(Ctx& ctx, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Fgangguan%2Fbaru");
    const auto& p = *ctx.principal;
    if (!policy::is_desk(p)) return s_.views.error(ctx, ErrorCode::forbidden, "layanan_err_forbidden");
    const auto guarantor = svc_->guarantor_opd_id();
    Data page = core::web::object();
    page.set("csrf", ctx.csrf());
    const std::string chosen_asset(ctx.field("asset_id").empty() ? ctx.query.value("aset") : ctx.field("asset_id"));
    Data assets = core::web::list();
    for (const auto& a : svc_->assets(policy::can_manage_assets(p, guarantor) ? std::nullopt : p.opd_id)) {
        Data d = core::web::object();
        d.set("id", std::to_string(a.id));
        d.set("label", a.opd_name + " · " + a.code + " · " + a.name);
        d.set("selected", std::to_string(a.id) == chosen_asset);
        assets.push_back(d);
    }
    page.set("assets", assets);
    const std::string chosen_service(ctx.field("service_code"));
    Data services = core::web::list();
    for (const auto& s : catalog_.services()) {
        if (s.is_public) continue;
        Data d = core::web::object();
        d.set("code", s.code);
        d.set("name", ctx.lang == "en" ? s.name_en : s.name);
        d.set("selected", s.code == chosen_service);
        Data attrs = core::web::list();
        for (const auto& a : s.attributes) {
            Data ad = core::web::object();
            ad.set("field", "attribute[" + a.code + "]");
            ad.set("label", a.description_in(ctx.lang) + (a.required ? " *" : ""));
            ad.set("hint", a.datatype_description_in(ctx.lang));
            Data values = core::web::list();
            for (const auto& v : a.values) {
                Data vv = core::web::object();
                vv.set("key", v.key);
                vv.set("name", v.name_in(ctx.lang));
                values.push_back(vv);
            }
            ad.set("values", values);
            ad.set("is_list", !a.values.empty());
            attrs.push_back(ad);
        }
        d.set("has_attributes", !s.attributes.empty());
        d.set("attributes", attrs);
        services.push_back(d);
    }
    page.set("services", services);
    page.set("description", std::string(ctx.field("description")));
    Data prios = core::web::list();
    for (const auto& pr : priorities()) {
        Data d = core::web::object();
        d.set("value", pr);
        d.set("label", t(ctx, "layanan_priority_" + pr));
        d.set("selected", pr == (ctx.field("priority").empty() ? std::string_view("normal") : ctx.field("priority")));
        prios.push_back(d);
    }
    page.set("priorities", prios);
    if (err) {
        page.set("error_summary", t(ctx, err->message_key));
        Data errors = core::web::list();
        for (const auto& f : err->fields) {
            Data e = core::web::object();
            e.set("field", f.field);
            e.set("message", t(ctx, f.message_key));
            errors.push_back(e);
        }
        page.set("errors", errors);
    }
    return with_status(s_.views.page(ctx, "layanan/fault", page, t(ctx, "layanan_fault_title")), err);
}

http::Response LayananModule::fault_submit(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    NewReport in;
    in.service_code = std::string(ctx.field("service_code"));
    in.description = std::string(ctx.field("description"));
    in.priority = ctx.field("priority").empty() ? "normal" : std::string(ctx.field("priority"));
    in.asset_id = util::parse_int(ctx.field("asset_id"));
    if (const Service* svc = catalog_.find(in.service_code)) {
        for (const auto& a : svc->attributes) {
            auto vs = all_fields(ctx, "attribute[" + a.code + "]");
            vs.erase(std::remove_if(vs.begin(), vs.end(), [](const std::string& v) { return util::trim(v).empty(); }), vs.end());
            if (!vs.empty()) in.attributes[a.code] = vs;
        }
    }
    auto r = svc_->report_fault(*ctx.principal, in);
    if (!r) {
        if (r.error().code == ErrorCode::forbidden) return s_.views.error(ctx, r.error());
        return fault_form(ctx, &r.error());
    }
    return http::redirect("/layanan/tiket/" + std::to_string(r->id));
}

http::Response LayananModule::assets(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Faset");
    const auto& p = *ctx.principal;
    if (!policy::is_desk(p)) return s_.views.error(ctx, ErrorCode::forbidden, "layanan_err_forbidden");
    const auto guarantor = svc_->guarantor_opd_id();
    const bool manage = policy::can_manage_assets(p, guarantor);
    Data page = core::web::object();
    page.set("csrf", ctx.csrf());
    page.set("can_manage", manage);
    Data rows = core::web::list();
    for (const auto& a : svc_->assets(manage ? std::nullopt : p.opd_id)) {
        Data d = core::web::object();
        d.set("id", std::to_string(a.id));
        d.set("code", a.code);
        d.set("name", a.name);
        d.set("kind", t(ctx, "layanan_kind_" + a.kind));
        d.set("opd", a.opd_name);
        d.set("location", a.location);
        d.set("status", t(ctx, "layanan_asset_" + a.status));
        d.set("down", a.status == "down");
        rows.push_back(d);
    }
    page.set("assets", rows);
    Data totals = core::web::list();
    for (const auto& o : svc_->opd_totals()) {
        if (!manage && p.opd_id && o.opd_id != *p.opd_id) continue;
        Data d = core::web::object();
        d.set("opd", o.opd_name);
        d.set("assets", std::to_string(o.assets));
        d.set("down", std::to_string(o.down));
        d.set("incidents", std::to_string(o.stats.incidents));
        d.set("open", std::to_string(o.stats.open_incidents));
        d.set("downtime", duration_text(o.stats.downtime_s));
        d.set("mttr", duration_text(o.stats.mttr_s));
        totals.push_back(d);
    }
    page.set("totals", totals);
    if (manage) {
        Data opds = core::web::list();
        for (const auto& o : s_.regency.opds) {
            Data d = core::web::object();
            d.set("slug", o.slug);
            d.set("name", o.name);
            opds.push_back(d);
        }
        page.set("opds", opds);
        Data kinds = core::web::list();
        for (const char* k : {"link", "switch", "access_point", "server"}) {
            Data d = core::web::object();
            d.set("value", k);
            d.set("label", t(ctx, std::string("layanan_kind_") + k));
            kinds.push_back(d);
        }
        page.set("kinds", kinds);
    }
    if (ctx.query.value("pesan") == "tersimpan") page.set("notice", t(ctx, "layanan_saved"));
    return s_.views.page(ctx, "layanan/assets", page, t(ctx, "layanan_assets_title"));
}

http::Response LayananModule::asset_add(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    Asset a;
    a.code = util::to_lower_ascii(ctx.field("code"));
    for (auto& ch : a.code) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    a.kind = std::string(ctx.field("kind"));
    a.name = std::string(ctx.field("name"));
    a.location = std::string(ctx.field("location"));
    a.serial = std::string(ctx.field("serial"));
    a.installed_on = std::string(ctx.field("installed_on"));
    auto opd = s_.db.read([&](core::db::Connection& c) { return store::opd_id_by_slug(c, std::string(ctx.field("opd"))); });
    a.opd_id = opd.value_or(-1);
    auto r = svc_->add_asset(*ctx.principal, a);
    if (!r) return s_.views.error(ctx, r.error());
    return http::redirect("/layanan/aset?pesan=tersimpan");
}

http::Response LayananModule::asset_page(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Faset");
    auto id = util::parse_int(ctx.param("id"));
    auto a = id ? svc_->asset(*id) : std::nullopt;
    if (!a) return s_.views.error(ctx, ErrorCode::not_found, "layanan_err_asset_unknown");
    if (!policy::can_view_asset(*ctx.principal, *a, svc_->guarantor_opd_id()))
        return s_.views.error(ctx, ErrorCode::forbidden, "layanan_err_forbidden");
    Data page = core::web::object();
    page.set("id", std::to_string(a->id));
    page.set("code", a->code);
    page.set("name", a->name);
    page.set("kind", t(ctx, "layanan_kind_" + a->kind));
    page.set("opd", a->opd_name);
    page.set("location", a->location);
    page.set("serial", a->serial);
    page.set("installed_on", a->installed_on);
    page.set("status", t(ctx, "layanan_asset_" + a->status));
    page.set("down", a->status == "down");
    const auto st = svc_->asset_stats(a->id);
    page.set("incidents", std::to_string(st.incidents));
    page.set("open_incidents", std::to_string(st.open_incidents));
    page.set("downtime", duration_text(st.downtime_s));
    page.set("mttr", duration_text(st.mttr_s));
    store::QueueFilter f;
    f.asset_id = a->id;
    f.limit = 500;
    Data rows = core::web::list();
    for (const auto& tk : svc_->queue(f)) {
        Data row = ticket_row(ctx, tk, true);
        const std::int64_t end = tk.resolved_at.value_or(s_.clock.now());
        row.set("duration", duration_text(end - tk.created_at));
        rows.push_back(row);
    }
    page.set("tickets", rows);
    return s_.views.page(ctx, "layanan/asset", page, t(ctx, "layanan_asset_title") + " " + a->code);
}

http::Response LayananModule::keys(Ctx& ctx, const std::string& new_key, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Flayanan%2Fkunci-api");
    if (!policy::can_manage_api_keys(*ctx.principal)) return s_.views.error(ctx, ErrorCode::forbidden, "layanan_err_forbidden");
    Data page = core::web::object();
    page.set("csrf", ctx.csrf());
    if (!new_key.empty()) page.set("new_key", new_key);
    if (err) page.set("error_summary", t(ctx, err->fields.empty() ? err->message_key : err->fields.front().message_key));
    Data rows = core::web::list();
    for (const auto& k : svc_->api_keys()) {
        Data d = core::web::object();
        d.set("id", std::to_string(k.id));
        d.set("name", k.name);
        d.set("created", fmt_time(k.created_at, ctx.lang));
        d.set("revoked", k.revoked_at.has_value());
        rows.push_back(d);
    }
    page.set("keys", rows);
    auto res = with_status(s_.views.page(ctx, "layanan/keys", page, t(ctx, "layanan_keys_title")), err);
    res.set(http::bhttp::field::cache_control, "no-store");
    return res;
}

http::Response LayananModule::key_add(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    if (!policy::can_manage_api_keys(*ctx.principal)) return s_.views.error(ctx, ErrorCode::forbidden, "layanan_err_forbidden");
    auto r = svc_->create_api_key(core::auth::AuthService::actor_of(*ctx.principal), std::string(ctx.field("name")));
    if (!r) return keys(ctx, "", &r.error());
    return keys(ctx, *r);
}

http::Response LayananModule::key_revoke(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = util::parse_int(ctx.param("id"));
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "layanan_err_key_unknown");
    auto st = svc_->revoke_api_key(*ctx.principal, *id);
    if (!st) return s_.views.error(ctx, st.error());
    return http::redirect("/layanan/kunci-api");
}

}  // namespace gapura::modules::layanan
