#include "modules/usulan/usulan_module.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "app/config.hpp"
#include "core/http/response.hpp"
#include "core/util/strings.hpp"
#include "modules/usulan/usulan_format.hpp"
#include "modules/usulan/usulan_routes.hpp"

namespace gapura::modules::usulan {

namespace http = core::http;
namespace bhttp = core::http::bhttp;
using core::web::Data;

std::unique_ptr<core::Module> make_usulan_module(const core::CoreServices& services) {
    return std::make_unique<UsulanModule>(services);
}

namespace {
constexpr int kPageSize = 20;

http::Response with_status(http::Response res, const Error* err) {
    if (err) res.result(http::status_for(err->code));
    return res;
}

void add_errors(Data& page, const core::web::Views& views, const std::string& lang, const Error* err) {
    if (!err) return;
    page.set("error_summary", views.t(lang, err->message_key));
    Data errors = core::web::object();
    Data list = core::web::list();
    for (const auto& f : err->fields) {
        errors.set(f.field, views.t(lang, f.message_key));
        Data item = core::web::object();
        item.set("message", views.t(lang, f.message_key));
        list.push_back(item);
    }
    page.set("errors", errors);
    page.set("error_list", list);
}

std::optional<std::int64_t> id_param(http::RequestContext& ctx, std::string_view name = "id") {
    auto id = util::parse_int(ctx.param(name));
    if (!id || *id <= 0) return std::nullopt;
    return id;
}

std::vector<PhotoUpload> uploads(http::RequestContext& ctx, std::string_view field) {
    std::vector<PhotoUpload> out;
    if (!ctx.multipart) return out;
    for (const auto& f : ctx.multipart->files)
        if (f.field == field) out.push_back({f.filename, f.data});
    return out;
}

// Reads an optional number field; an unparseable value becomes a field error.
std::optional<double> number_field(std::string_view text, const char* field, std::vector<FieldError>& errs,
                                   bool rupiah) {
    if (util::trim(text).empty()) return std::nullopt;
    auto v = rupiah ? fmt::parse_rupiah(text) : fmt::parse_decimal(text);
    if (!v) errs.push_back({field, "usulan_err_number"});
    return v;
}

// The proposal fields of a submitted form (new or amend). name_display stays as sent (may be empty).
ProposalInput form_input(http::RequestContext& ctx) {
    ProposalInput in;
    in.title = std::string(ctx.field("title"));
    in.problem = std::string(ctx.field("problem"));
    in.proposal = std::string(ctx.field("proposal"));
    in.bidang = std::string(ctx.field("bidang"));
    in.desa_code = std::string(ctx.field("desa"));
    in.address = std::string(ctx.field("address"));
    in.satuan = std::string(ctx.field("satuan"));
    in.name_display = std::string(ctx.field("name_display"));
    in.lat = number_field(ctx.field("lat"), "lat", in.parse_errors, false);
    in.lng = number_field(ctx.field("lng"), "lng", in.parse_errors, false);
    in.volume = number_field(ctx.field("volume"), "volume", in.parse_errors, false);
    in.cost = number_field(ctx.field("cost"), "cost", in.parse_errors, true);
    return in;
}

// A stored number as a form value that reads back to the same number: shortest round-trip
// digits in fixed notation, no thousands separators; a decimal comma for Indonesian
// (fmt::parse_decimal takes both).
std::string form_number(double v, bool comma) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (comma)
        for (auto& ch : s)
            if (ch == '.') ch = ',';
    return s;
}

std::string query_string(std::initializer_list<std::pair<const char*, std::string>> kv) {
    std::string out;
    for (const auto& [k, v] : kv) {
        if (v.empty()) continue;
        out += (out.empty() ? "?" : "&") + std::string(k) + "=" + util::percent_encode(v);
    }
    return out;
}
}  // namespace

UsulanModule::UsulanModule(core::CoreServices services)
    : s_(services),
      service_(services.db, services.audit, services.clock, services.regency, services.files, services.notifier,
               services.views.i18n(), load_bidang(services.config.modules_dir + "/usulan/data/bidang.csv")) {
    if (!services.config.map_tile_url.empty()) map_.tile_url = services.config.map_tile_url;
    if (!services.config.map_tile_attribution.empty()) map_.attribution = services.config.map_tile_attribution;
}

std::vector<core::db::Migration> UsulanModule::migrations() const { return store::migrations(); }

void UsulanModule::register_routes(http::Router& r) {
    using M = http::Method;
    http::RouteOptions upload;
    upload.body_limit = (kMaxPhotos + 1) * kPhotoMaxBytes + 256 * 1024;
    http::RouteOptions api;
    api.api = true;
    http::RouteOptions api_upload = api;
    api_upload.body_limit = 256 * 1024;
    // Every write through this module clears the list cache, so a change shows at once.
    auto writes = [this](auto handler) {
        return [this, handler](Ctx& c) {
            auto res = handler(c);
            cache_.clear();
            return res;
        };
    };
    // The list, its JSON and the map's GeoJSON for anonymous visitors: the same URL gives the
    // same bytes to everyone, so they are kept for a few seconds (PageCache). A hit is answered on
    // the I/O thread (RouteOptions::fast); a miss runs the handler on the pool and fills the cache.
    auto cache_key = [](const char* tag, const Ctx& c) { return std::string(tag) + '|' + c.lang + '|' + c.target_query; };
    auto cached = [this, cache_key](const char* tag, auto handler) {
        return [this, cache_key, tag, handler](Ctx& c) -> Response {
            if (c.principal) return handler(c);
            auto res = handler(c);
            if (res.result() == http::Status::ok && c.set_cookies.empty()) cache_.put(cache_key(tag, c), res.body(), s_.clock.now());
            return res;
        };
    };
    auto from_cache = [this, cache_key](http::RouteOptions o, const char* tag, const char* content_type) {
        o.fast = [this, cache_key, tag, content_type](Ctx& c) -> std::optional<Response> {
            if (c.principal) return std::nullopt;
            if (auto body = cache_.get(cache_key(tag, c), s_.clock.now()))
                return http::make_response(http::Status::ok, *body, content_type);
            return std::nullopt;
        };
        return o;
    };
    r.add(M::get, "/usulan", cached("html", [this](auto& c) { return list_page(c); }),
          from_cache({}, "html", "text/html; charset=utf-8"));
    r.add(M::post, "/usulan", writes([this](auto& c) { return submit(c); }), upload);
    r.add(M::get, "/usulan/baru", [this](auto& c) { return new_form(c); });
    r.add(M::get, "/usulan/peta", [this](auto& c) { return map_page(c); });
    r.add(M::get, "/usulan/tahun", [this](auto& c) { return years_page(c); });
    r.add(M::post, "/usulan/tahun", writes([this](auto& c) { return open_year(c); }));
    r.add(M::get, "/usulan/peringkat", [this](auto& c) { return ranking_page(c); });
    r.add(M::get, "/usulan/peringkat.csv", [this](auto& c) { return ranking_csv(c); });
    r.add(M::post, "/usulan/pagu", writes([this](auto& c) { return set_pagu(c); }));
    r.add(M::get, "/usulan/partisipasi", [this](auto& c) { return participation_page(c); });
    r.add(M::get, "/usulan/{id}", [this](auto& c) { return detail_page(c); });
    r.add(M::post, "/usulan/{id}/dukung", writes([this](auto& c) { return support(c, false); }));
    r.add(M::post, "/usulan/{id}/tarik-dukungan", writes([this](auto& c) { return support(c, true); }));
    r.add(M::post, "/usulan/{id}/komentar", writes([this](auto& c) { return comment(c); }));
    r.add(M::post, "/usulan/{id}/sembunyikan", writes([this](auto& c) { return hide_proposal(c); }));
    r.add(M::post, "/usulan/{id}/keputusan", writes([this](auto& c) { return decide(c); }));
    r.add(M::post, "/usulan/{id}/kemajuan", writes([this](auto& c) { return progress(c); }), upload);
    r.add(M::get, "/usulan/{id}/perbaiki", [this](auto& c) { return edit_form(c); });
    r.add(M::post, "/usulan/{id}/perbaiki", writes([this](auto& c) { return amend(c); }), upload);
    r.add(M::post, "/usulan/komentar/{cid}/tandai", writes([this](auto& c) { return flag_comment(c); }));
    r.add(M::post, "/usulan/komentar/{cid}/sembunyikan", writes([this](auto& c) { return hide_comment(c); }));
    r.add(M::get, "/api/v1/proposals", cached("json", [this](auto& c) { return api_list(c); }),
          from_cache(api, "json", "application/json; charset=utf-8"));
    r.add(M::post, "/api/v1/proposals", writes([this](auto& c) { return api_create(c); }), api_upload);
    r.add(M::get, "/api/v1/proposals.geojson", cached("geo", [this](auto& c) { return api_geojson(c); }),
          from_cache(api, "geo", "application/geo+json"));
    r.add(M::get, "/api/v1/proposals.csv", [this](auto& c) { return api_csv(c); }, api);
    r.add(M::get, "/api/v1/proposals/{id}", [this](auto& c) { return api_get(c); }, api);
    r.add(M::put, "/api/v1/proposals/{id}", writes([this](auto& c) { return api_update(c); }), api_upload);
    r.add(M::post, "/api/v1/proposals/{id}/supports", writes([this](auto& c) { return api_support(c, false); }), api);
    r.add(M::delete_, "/api/v1/proposals/{id}/supports", writes([this](auto& c) { return api_support(c, true); }), api);
}

void UsulanModule::seed(bool demo) {
    service_.reload_opds();  // App::seed has just written the reference data (OPDs) again
    if (demo) seed_demo();
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

std::string UsulanModule::bidang_name(const std::string& code, const std::string& lang) const {
    if (const auto* b = service_.find_bidang(code)) return lang == "en" ? b->name_en : b->name_id;
    return code;
}

std::string UsulanModule::desa_name(const std::string& code) const {
    const auto* v = s_.regency.find_village(code);
    return v ? v->name : code;
}

std::string UsulanModule::desa_office_name(const std::string& code) const {
    const auto* v = s_.regency.find_village(code);
    return v ? (v->kelurahan ? "Kelurahan " : "Desa ") + v->name : code;
}

std::string UsulanModule::kecamatan_name(const std::string& code) const {
    const auto* k = s_.regency.find_kecamatan(code);
    return k ? k->name : code;
}

http::Response UsulanModule::sign_in_first(Ctx& ctx, const std::string& back) {
    if (ctx.req.method() == http::Method::get) return http::redirect("/masuk?ke=" + util::percent_encode(back));
    return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
}

Result<ListFilter> UsulanModule::parse_filter(Ctx& ctx, bool api) {
    ListFilter f;
    Error err{ErrorCode::bad_request, "usulan_err_filter", {}, {}, 0};
    f.kecamatan = std::string(ctx.query.value("kecamatan"));
    if (!f.kecamatan.empty() && !s_.regency.find_kecamatan(f.kecamatan)) err.fields.push_back({"kecamatan", "usulan_err_kecamatan"});
    f.desa = std::string(ctx.query.value("desa"));
    if (!f.desa.empty() && !s_.regency.find_village(f.desa)) err.fields.push_back({"desa", "usulan_err_desa"});
    f.bidang = std::string(ctx.query.value("bidang"));
    if (!f.bidang.empty() && !service_.find_bidang(f.bidang)) err.fields.push_back({"bidang", "usulan_err_bidang"});
    f.stage = std::string(ctx.query.value(api ? "stage" : "tahap"));
    if (!f.stage.empty() && !is_stage(f.stage)) err.fields.push_back({"stage", "usulan_err_stage"});
    f.status = std::string(ctx.query.value("status"));
    if (!f.status.empty() && !is_status(f.status)) err.fields.push_back({"status", "usulan_err_status"});
    // The target OPD (the list of its forum): a known agency's slug.
    f.target_opd = std::string(ctx.query.value(api ? "target_opd" : "opd"));
    if (!f.target_opd.empty()) {
        bool known = false;
        const auto opds = service_.opds();
        for (const auto& o : *opds) known = known || o.slug == f.target_opd;
        if (!known) err.fields.push_back({api ? "target_opd" : "opd", "usulan_err_target_opd"});
    }
    auto year_text = ctx.query.value(api ? "year" : "tahun");
    if (!year_text.empty()) {
        auto y = util::parse_int(year_text);
        if (!y || *y < 2000 || *y > 2100) err.fields.push_back({"year", "usulan_err_year"});
        else f.year = static_cast<int>(*y);
    }
    f.q = std::string(util::trim(ctx.query.value("q")));
    if (util::utf8_length(f.q) > 100 || util::has_control_chars(f.q)) err.fields.push_back({"q", "usulan_err_query"});
    if (api) {
        if (auto lim = ctx.query.value("limit"); !lim.empty()) {
            auto l = util::parse_int(lim);
            if (!l || *l < 1 || *l > kApiMaxLimit) err.fields.push_back({"limit", "usulan_err_limit"});
            else f.limit = static_cast<int>(*l);
        }
        if (auto cur = ctx.query.value("cursor"); !cur.empty()) {
            auto raw = cur.size() <= 40 ? util::base64url_decode(cur) : std::nullopt;
            std::optional<std::int64_t> id;
            if (raw && util::starts_with(*raw, "b:")) id = util::parse_int(std::string_view(*raw).substr(2));
            if (!id || *id <= 0) err.fields.push_back({"cursor", "usulan_err_cursor"});
            else f.before_id = id;
        }
    } else {
        f.limit = kPageSize;
        if (auto b = ctx.query.value("sebelum"); !b.empty()) {
            auto id = util::parse_int(b);
            if (!id || *id <= 0) err.fields.push_back({"sebelum", "usulan_err_cursor"});
            else f.before_id = id;
        }
    }
    if (!err.fields.empty()) return err;
    return f;
}

Data UsulanModule::filter_data(Ctx& ctx, const ListFilter& f) {
    Data d = core::web::object();
    Data kec = core::web::list();
    Data desa_groups = core::web::list();
    for (const auto& k : s_.regency.kecamatan) {
        Data o = core::web::object();
        o.set("value", k.code);
        o.set("label", k.name);
        o.set("selected", k.code == f.kecamatan);
        kec.push_back(o);
        Data group = core::web::object();
        group.set("label", k.name);
        Data opts = core::web::list();
        for (const auto& v : s_.regency.villages) {
            if (v.district_code != k.code) continue;
            Data vo = core::web::object();
            vo.set("value", v.code);
            vo.set("label", v.name);
            vo.set("selected", v.code == f.desa);
            opts.push_back(vo);
        }
        group.set("options", opts);
        desa_groups.push_back(group);
    }
    d.set("kecamatan_options", kec);
    d.set("desa_groups", desa_groups);
    Data bid = core::web::list();
    for (const auto& b : service_.bidang()) {
        Data o = core::web::object();
        o.set("value", b.code);
        o.set("label", ctx.lang == "en" ? b.name_en : b.name_id);
        o.set("selected", b.code == f.bidang);
        bid.push_back(o);
    }
    d.set("bidang_options", bid);
    Data st = core::web::list();
    for (auto s : kStages) {
        Data o = core::web::object();
        o.set("value", std::string(s));
        o.set("label", s_.views.t(ctx.lang, "usulan_stage_" + std::string(s)));
        o.set("selected", s == f.stage);
        st.push_back(o);
    }
    d.set("stage_options", st);
    Data stat = core::web::list();
    for (auto s : kStatuses) {
        Data o = core::web::object();
        o.set("value", std::string(s));
        o.set("label", s_.views.t(ctx.lang, "usulan_status_" + std::string(s)));
        o.set("selected", s == f.status);
        stat.push_back(o);
    }
    d.set("status_options", stat);
    Data years = core::web::list();
    for (const auto& y : service_.years()) {
        Data o = core::web::object();
        o.set("value", std::to_string(y.year));
        o.set("label", std::to_string(y.year));
        o.set("selected", f.year && *f.year == y.year);
        years.push_back(o);
    }
    d.set("year_options", years);
    d.set("q", f.q);
    return d;
}

Data UsulanModule::proposal_row(Ctx& ctx, const Proposal& p) {
    Data r = core::web::object();
    r.set("id", std::to_string(p.id));
    r.set("href", "/usulan/" + std::to_string(p.id));
    r.set("title", p.title);
    r.set("year", std::to_string(p.year));
    r.set("bidang", bidang_name(p.bidang, ctx.lang));
    r.set("desa", desa_name(p.desa_code));
    r.set("kecamatan", kecamatan_name(p.kecamatan_code));
    r.set("stage", s_.views.t(ctx.lang, "usulan_stage_" + p.stage));
    r.set("status", s_.views.t(ctx.lang, "usulan_status_" + p.status));
    r.set("status_code", p.status);
    r.set("supports", std::to_string(p.supports));
    r.set("comments", std::to_string(p.comments));
    r.set("proposer", p.proposer);
    r.set("created", format_human(p.created_at, s_.regency.utc_offset_minutes, ctx.lang));
    if (p.cost) r.set("cost", fmt::rupiah(*p.cost));
    r.set("volume", fmt::number(p.volume, ctx.lang) + " " + p.satuan);
    if (p.progress) r.set("progress", std::to_string(*p.progress));
    r.set("finished", p.finished_at.has_value());
    if (p.lat && p.lng) {
        r.set("lat", fmt::number(*p.lat, "en"));
        r.set("lng", fmt::number(*p.lng, "en"));
    }
    if (!p.address.empty()) r.set("address", p.address);
    return r;
}

// ---------------------------------------------------------------------------------------------
// List and map

http::Response UsulanModule::list_page(Ctx& ctx) {
    auto f = parse_filter(ctx, false);
    if (!f) return s_.views.error(ctx, f.error());
    auto page = service_.list(*f);
    Data d = filter_data(ctx, *f);
    Data rows = core::web::list();
    for (const auto& p : page.items) rows.push_back(proposal_row(ctx, p));
    d.set("items", rows);
    d.set("empty", page.items.empty());
    const std::string base = query_string({{"kecamatan", f->kecamatan},
                                           {"desa", f->desa},
                                           {"bidang", f->bidang},
                                           {"tahap", f->stage},
                                           {"status", f->status},
                                           {"opd", f->target_opd},
                                           {"tahun", f->year ? std::to_string(*f->year) : ""},
                                           {"q", f->q}});
    if (page.next_before)
        d.set("next", "/usulan" + base + (base.empty() ? "?" : "&") + "sebelum=" + std::to_string(*page.next_before));
    if (f->before_id) d.set("first", "/usulan" + base);
    d.set("map_href", "/usulan/peta" + base);
    d.set("can_submit", !ctx.principal || policy::may_submit(*ctx.principal));
    // The operator's work queue above the first page: the newest few of what waits for their
    // decision, per stage, with a link to the whole filtered list.
    Data queue = core::web::list();
    auto opd_name = [&](const std::string& slug) {
        for (const auto& o : s_.regency.opds)
            if (o.slug == slug) return o.name;
        return slug;
    };
    if (ctx.principal && !f->before_id) {
        for (auto q : service_.work_queue(*ctx.principal)) {
            q.limit = 5;
            const auto waiting = service_.list(q);
            std::string place = !q.desa.empty()         ? desa_office_name(q.desa)
                                : !q.kecamatan.empty()  ? "Kecamatan " + kecamatan_name(q.kecamatan)
                                : !q.target_opd.empty() ? opd_name(q.target_opd)
                                                        : s_.regency.name;
            // Keys unique to queue entries: a missing key would fall through to the page's own.
            Data g = core::web::object();
            g.set("q_label", s_.views.t(ctx.lang, "usulan_stage_" + q.stage) + " · " + place);
            g.set("q_none", waiting.items.empty());
            Data items = core::web::list();
            for (const auto& p : waiting.items) {
                Data it = core::web::object();
                it.set("qi_href", "/usulan/" + std::to_string(p.id));
                it.set("qi_title", p.title);
                it.set("qi_place", desa_name(p.desa_code) + ", " + s_.views.t(ctx.lang, "usulan_kec_short") + " " +
                                       kecamatan_name(p.kecamatan_code));
                items.push_back(it);
            }
            g.set("q_items", items);
            g.set("q_all",
                  "/usulan" +
                      query_string(
                          {{"kecamatan", q.kecamatan}, {"desa", q.desa}, {"tahap", q.stage}, {"status", q.status}, {"opd", q.target_opd}}));
            g.set("q_more", waiting.next_before.has_value());
            queue.push_back(g);
        }
    }
    d.set("has_queue", !queue.is_empty_list());
    d.set("queue", queue);
    if (auto y = service_.submission_year()) d.set("open_year", std::to_string(y->year));
    // The target-OPD filter's options (only this page has that filter), from the in-memory list.
    const auto opds = service_.opds();
    core::web::Table opd_options({"value", "label", "selected"});
    opd_options.reserve(opds->size());
    for (const auto& o : *opds) {
        opd_options.add_row();
        opd_options.text(0, o.slug);
        opd_options.text(1, o.name);
        if (o.slug == f->target_opd) opd_options.flag(2);
    }
    return s_.views.page(ctx, "usulan/list", d, {{"opd_options", &opd_options}}, s_.views.t(ctx.lang, "usulan_list_title"));
}

http::Response UsulanModule::map_page(Ctx& ctx) {
    auto f = parse_filter(ctx, false);
    if (!f) return s_.views.error(ctx, f.error());
    f->with_point_only = false;
    auto page = service_.list(*f);
    Data d = filter_data(ctx, *f);
    Data rows = core::web::list();
    for (const auto& p : page.items) rows.push_back(proposal_row(ctx, p));
    d.set("items", rows);
    d.set("empty", page.items.empty());
    const std::string api_q = query_string({{"kecamatan", f->kecamatan},
                                            {"desa", f->desa},
                                            {"bidang", f->bidang},
                                            {"stage", f->stage},
                                            {"status", f->status},
                                            {"year", f->year ? std::to_string(*f->year) : ""},
                                            {"q", f->q}});
    const std::string base = query_string({{"kecamatan", f->kecamatan},
                                           {"desa", f->desa},
                                           {"bidang", f->bidang},
                                           {"tahap", f->stage},
                                           {"status", f->status},
                                           {"tahun", f->year ? std::to_string(*f->year) : ""},
                                           {"q", f->q}});
    if (page.next_before)
        d.set("next", "/usulan/peta" + base + (base.empty() ? "?" : "&") + "sebelum=" + std::to_string(*page.next_before));
    d.set("list_href", "/usulan" + base);
    d.set("geojson", "/api/v1/proposals.geojson" + api_q);
    d.set("tile_url", map_.tile_url);
    d.set("attribution", map_.attribution);
    d.set("max_zoom", std::to_string(map_.max_zoom));
    const auto& r = s_.regency;
    d.set("center_lat", fmt::number(r.center.lat, "en"));
    d.set("center_lng", fmt::number(r.center.lng, "en"));
    d.set("zoom", std::to_string(r.zoom));
    d.set("bounds", fmt::number(r.bounds.south, "en") + "," + fmt::number(r.bounds.west, "en") + "," +
                        fmt::number(r.bounds.north, "en") + "," + fmt::number(r.bounds.east, "en"));
    return s_.views.page(ctx, "usulan/map", d, s_.views.t(ctx.lang, "usulan_map_title"));
}

// ---------------------------------------------------------------------------------------------
// Detail page and the actions on it

http::Response UsulanModule::detail_page(Ctx& ctx, const Error* err, int status) {
    auto id = id_param(ctx);
    auto p = id ? service_.get(*id) : std::nullopt;
    if (!p) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    const auto offices = service_.offices_for(*p);
    const bool moderator = ctx.principal && policy::may_moderate(*ctx.principal, offices);
    if (p->hidden && !moderator) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    const int off = s_.regency.utc_offset_minutes;
    Data d = proposal_row(ctx, *p);
    d.set("csrf", ctx.csrf());
    d.set("hidden", p->hidden);
    d.set("problem", p->problem);
    d.set("proposal", p->proposal);
    d.set("kecamatan_href", "/usulan?kecamatan=" + p->kecamatan_code);
    if (p->score) d.set("score", std::to_string(*p->score));
    if (!p->target_opd_name.empty()) d.set("target_opd", p->target_opd_name);
    if (!p->reason.empty()) d.set("reason", p->reason);
    if (p->status == "accepted") {
        d.set("accepted", true);
        d.set("program", p->program);
        d.set("kegiatan", p->kegiatan);
        if (p->budget) d.set("budget", fmt::rupiah(*p->budget));
        if (p->realised_cost) d.set("realised_cost", fmt::rupiah(*p->realised_cost));
        if (p->finished_at) d.set("finished_at", format_human(*p->finished_at, off, ctx.lang));
    }
    Data photos = core::web::list();
    for (const auto& sha : p->photos) {
        Data ph = core::web::object();
        ph.set("src", "/berkas/" + sha);
        photos.push_back(ph);
    }
    d.set("photos", photos);
    d.set("has_photos", !p->photos.empty());
    Data wphotos = core::web::list();
    for (const auto& sha : p->progress_photos) {
        Data ph = core::web::object();
        ph.set("src", "/berkas/" + sha);
        wphotos.push_back(ph);
    }
    d.set("progress_photos", wphotos);
    d.set("has_progress_photos", !p->progress_photos.empty());

    Data tl = core::web::list();
    for (const auto& e : service_.timeline(p->id)) {
        Data t = core::web::object();
        t.set("at", format_human(e.at, off, ctx.lang));
        t.set("at_iso", format_iso8601(e.at, off));
        t.set("actor", e.actor);
        std::string what;
        if (e.kind == "submitted") what = s_.views.t(ctx.lang, "usulan_event_submitted");
        else if (e.kind == "amended") what = s_.views.t(ctx.lang, "usulan_stage_" + e.stage) + ": " + s_.views.t(ctx.lang, "usulan_event_amended");
        else if (e.kind == "hidden") what = s_.views.t(ctx.lang, "usulan_event_hidden");
        else if (e.kind == "progress") what = s_.views.t(ctx.lang, "usulan_event_progress") + " " + std::to_string(e.progress.value_or(0)) + "%";
        else if (e.kind == "outcome") what = s_.views.t(ctx.lang, e.decision == "forward" ? "usulan_event_accepted" : e.decision == "reject" ? "usulan_event_not_accepted" : "usulan_decision_revise");
        else what = s_.views.t(ctx.lang, "usulan_stage_" + e.stage) + ": " + s_.views.t(ctx.lang, "usulan_decision_" + e.decision);
        t.set("what", what);
        // Keys unique to timeline items: a missing key would fall through to the page's own.
        if (!e.note.empty()) t.set("ev_note", e.note);
        if (!e.reason.empty()) t.set("ev_reason", e.reason);
        if (e.score) t.set("ev_score", std::to_string(*e.score));
        tl.push_back(t);
    }
    d.set("timeline", tl);

    // Comments: top level with their replies.
    auto all = service_.comments(p->id);
    Data top = core::web::list();
    auto comment_data = [&](const Comment& c) {
        Data cd = core::web::object();
        cd.set("id", std::to_string(c.id));
        cd.set("proposal_id", std::to_string(c.proposal_id));
        cd.set("author", c.author);
        cd.set("at", format_human(c.created_at, off, ctx.lang));
        cd.set("hidden", c.hidden);
        if (!c.hidden) cd.set("body", c.body);
        cd.set("hidden_reason", c.hidden_reason);
        if (c.flags > 0 && moderator) cd.set("flag_count", std::to_string(c.flags));
        cd.set("can_hide", moderator && !c.hidden);
        return cd;
    };
    for (const auto& c : all) {
        if (c.parent_id) continue;
        Data cd = comment_data(c);
        Data replies = core::web::list();
        for (const auto& r : all)
            if (r.parent_id && *r.parent_id == c.id) replies.push_back(comment_data(r));
        cd.set("replies", replies);
        cd.set("can_reply", ctx.principal.has_value() && !c.hidden);
        top.push_back(cd);
    }
    d.set("comment_list", top);
    d.set("signed_in", ctx.principal.has_value());
    d.set("sign_in_href", "/masuk?ke=" + util::percent_encode("/usulan/" + std::to_string(p->id)));
    const bool final_ = p->stage == "final" || p->status == "rejected" || p->status == "accepted" || p->status == "not_accepted";
    d.set("can_support", ctx.principal.has_value() && !final_);
    if (ctx.principal) d.set("supported", service_.supports(p->id, ctx.principal->user_id));
    d.set("moderator", moderator && !p->hidden);
    // The proposer, while an operator waits for their revision.
    if (ctx.principal && !p->hidden && service_.amendable(*ctx.principal, *p).ok())
        d.set("amend_href", "/usulan/" + std::to_string(p->id) + "/perbaiki");

    // The responsible operator's decision form.
    if (ctx.principal && !final_ && !p->hidden && policy::may_decide(*ctx.principal, *p, offices)) {
        Data form = core::web::object();
        form.set("stage", s_.views.t(ctx.lang, "usulan_stage_" + p->stage));
        auto y = service_.year(p->year);
        const auto w = static_cast<std::size_t>(stage_index(p->stage)) + 1;
        const bool open = y && y->window_open(w, s_.clock.now());
        form.set("window_open", open);
        if (y) {
            form.set("window_start", format_human(y->start[w], off, ctx.lang));
            form.set("window_end", format_human(y->end[w], off, ctx.lang));
        }
        form.set("is_kecamatan", p->stage == "kecamatan");
        form.set("is_kabupaten", p->stage == "kabupaten");
        if (p->stage == "kecamatan") {
            Data opds = core::web::list();
            const auto all = service_.opds();
            for (const auto& o : *all) {
                if (policy::is_area_office(o.kind)) continue;
                Data od = core::web::object();
                od.set("value", o.slug);
                od.set("label", o.name);
                od.set("selected", o.slug == ctx.field("target_opd"));
                opds.push_back(od);
            }
            form.set("opds", opds);
        }
        d.set("decision_form", form);
    }
    if (ctx.principal && p->status == "accepted" && policy::may_report_progress(*ctx.principal, offices)) {
        Data form = core::web::object();
        form.set("progress", p->progress ? std::to_string(*p->progress) : "");
        d.set("progress_form", form);
    }
    if (ctx.query.value("pesan").size() > 0 && ctx.query.value("pesan").size() < 30) {
        const std::string key = "usulan_notice_" + std::string(ctx.query.value("pesan"));
        const auto& text = s_.views.t(ctx.lang, key);
        if (text != key) d.set("notice", text);
    }
    add_errors(d, s_.views, ctx.lang, err);
    return s_.views.page(ctx, "usulan/detail", d, p->title, static_cast<http::Status>(status));
}

Data UsulanModule::form_data(Ctx& ctx, const ProposalInput* in, const Error* err) {
    ListFilter f;
    if (in) {
        f.desa = in->desa_code;
        f.bidang = in->bidang;
    }
    Data d = filter_data(ctx, f);
    d.set("csrf", ctx.csrf());
    if (in) {
        d.set("title", in->title);
        d.set("problem", in->problem);
        d.set("proposal", in->proposal);
        d.set("address", in->address);
        d.set("satuan", in->satuan);
        d.set("volume", std::string(ctx.field("volume")));
        d.set("cost", std::string(ctx.field("cost")));
        d.set("lat", std::string(ctx.field("lat")));
        d.set("lng", std::string(ctx.field("lng")));
        d.set("initials", in->name_display == "initials");
    }
    const auto& r = s_.regency;
    d.set("bounds", fmt::number(r.bounds.south, "en") + "," + fmt::number(r.bounds.west, "en") + "," +
                        fmt::number(r.bounds.north, "en") + "," + fmt::number(r.bounds.east, "en"));
    d.set("tile_url", map_.tile_url);
    d.set("attribution", map_.attribution);
    d.set("center_lat", fmt::number(r.center.lat, "en"));
    d.set("center_lng", fmt::number(r.center.lng, "en"));
    d.set("zoom", std::to_string(r.zoom));
    add_errors(d, s_.views, ctx.lang, err);
    return d;
}

http::Response UsulanModule::new_form(Ctx& ctx, const ProposalInput* in, const Error* err) {
    if (!ctx.principal) return sign_in_first(ctx, "/usulan/baru");
    if (!policy::may_submit(*ctx.principal)) return s_.views.error(ctx, ErrorCode::forbidden, "usulan_err_submit_role");
    Data d = form_data(ctx, in, err);
    d.set("action", "/usulan");
    auto year = service_.submission_year();
    d.set("closed", !year.has_value());
    if (year) d.set("year", std::to_string(year->year));
    return with_status(s_.views.page(ctx, "usulan/form", d, s_.views.t(ctx.lang, "usulan_new_title")), err);
}

http::Response UsulanModule::submit(Ctx& ctx) {
    if (!ctx.principal) return sign_in_first(ctx, "/usulan/baru");
    ProposalInput in = form_input(ctx);
    if (in.name_display.empty()) in.name_display = "full";
    auto r = service_.submit(*ctx.principal, in, uploads(ctx, "photos"));
    if (!r) {
        if (r.error().code == ErrorCode::forbidden) return s_.views.error(ctx, r.error());
        return new_form(ctx, &in, &r.error());
    }
    return http::redirect("/usulan/" + std::to_string(*r) + "?pesan=terkirim");
}

// The proposer's form to answer a request for revision: the submit form, filled with the
// proposal's current fields (or, after a refusal, with what was typed).
http::Response UsulanModule::edit_form(Ctx& ctx, const ProposalInput* in, const Error* err) {
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    const std::string self = "/usulan/" + std::to_string(*id) + "/perbaiki";
    if (!ctx.principal) return sign_in_first(ctx, self);
    auto p = service_.get(*id);
    if (!p || p->hidden) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (auto st = service_.amendable(*ctx.principal, *p); !st) return s_.views.error(ctx, st.error());
    ProposalInput typed;
    if (in) {
        typed = *in;
        if (typed.name_display.empty()) typed.name_display = p->name_display;
    } else {
        typed.title = p->title;
        typed.problem = p->problem;
        typed.proposal = p->proposal;
        typed.bidang = p->bidang;
        typed.desa_code = p->desa_code;
        typed.address = p->address;
        typed.satuan = p->satuan;
        typed.name_display = p->name_display;
    }
    Data d = form_data(ctx, &typed, err);
    if (!in) {
        d.set("volume", form_number(p->volume, ctx.lang != "en"));
        d.set("cost", p->cost ? std::to_string(*p->cost) : std::string());
        d.set("lat", p->lat ? form_number(*p->lat, false) : std::string());
        d.set("lng", p->lng ? form_number(*p->lng, false) : std::string());
    }
    d.set("edit", true);
    d.set("action", self);
    d.set("closed", false);
    d.set("year", std::to_string(p->year));
    d.set("back_href", "/usulan/" + std::to_string(p->id));
    d.set("photo_count", std::to_string(p->photos.size()));
    // The operator's note that asked for the revision (the latest "revise" decision).
    auto tl = service_.timeline(p->id);
    for (auto it = tl.rbegin(); it != tl.rend(); ++it)
        if (it->decision == "revise") {
            if (!it->note.empty()) d.set("revise_note", it->note);
            break;
        }
    return with_status(s_.views.page(ctx, "usulan/form", d, s_.views.t(ctx.lang, "usulan_edit_title")), err);
}

http::Response UsulanModule::amend(Ctx& ctx) {
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return sign_in_first(ctx, "/usulan/" + std::to_string(*id) + "/perbaiki");
    ProposalInput in = form_input(ctx);
    auto st = service_.amend(*ctx.principal, *id, in, uploads(ctx, "photos"));
    if (!st) {
        const auto code = st.error().code;
        if (code == ErrorCode::unprocessable || code == ErrorCode::too_large || code == ErrorCode::unsupported)
            return edit_form(ctx, &in, &st.error());
        return s_.views.error(ctx, st.error());
    }
    return http::redirect("/usulan/" + std::to_string(*id) + "?pesan=diperbaiki");
}

http::Response UsulanModule::support(Ctx& ctx, bool withdraw) {
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return sign_in_first(ctx, "/usulan/" + std::to_string(*id));
    auto st = withdraw ? service_.withdraw_support(*ctx.principal, *id) : service_.support(*ctx.principal, *id);
    if (!st) return s_.views.error(ctx, st.error());
    return http::redirect("/usulan/" + std::to_string(*id) + (withdraw ? "?pesan=ditarik" : "?pesan=didukung"));
}

http::Response UsulanModule::comment(Ctx& ctx) {
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return sign_in_first(ctx, "/usulan/" + std::to_string(*id));
    std::optional<std::int64_t> parent;
    if (auto pt = ctx.field("parent"); !pt.empty()) {
        parent = util::parse_int(pt);
        if (!parent) return s_.views.error(ctx, ErrorCode::bad_request, "usulan_err_parent");
    }
    auto r = service_.comment(*ctx.principal, *id, parent, std::string(ctx.field("body")));
    if (!r) {
        if (r.error().code == ErrorCode::unprocessable && !r.error().fields.empty())
            return detail_page(ctx, &r.error(), 422);
        return s_.views.error(ctx, r.error());
    }
    return http::redirect("/usulan/" + std::to_string(*id) + "?pesan=komentar#komentar-" + std::to_string(*r));
}

http::Response UsulanModule::flag_comment(Ctx& ctx) {
    auto cid = id_param(ctx, "cid");
    if (!cid) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto st = service_.flag_comment(*ctx.principal, *cid, std::string(ctx.field("reason")));
    if (!st) return s_.views.error(ctx, st.error());
    auto back = util::parse_int(ctx.field("proposal")).value_or(0);
    return http::redirect(back > 0 ? "/usulan/" + std::to_string(back) + "?pesan=ditandai" : "/usulan");
}

http::Response UsulanModule::hide_comment(Ctx& ctx) {
    auto cid = id_param(ctx, "cid");
    if (!cid) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto st = service_.hide_comment(*ctx.principal, *cid, std::string(ctx.field("reason")));
    if (!st) return s_.views.error(ctx, st.error());
    auto back = util::parse_int(ctx.field("proposal")).value_or(0);
    return http::redirect(back > 0 ? "/usulan/" + std::to_string(back) + "?pesan=disembunyikan" : "/usulan");
}

http::Response UsulanModule::hide_proposal(Ctx& ctx) {
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto st = service_.hide_proposal(*ctx.principal, *id, std::string(ctx.field("reason")));
    if (!st) return s_.views.error(ctx, st.error());
    return http::redirect("/usulan/" + std::to_string(*id) + "?pesan=disembunyikan");
}

http::Response UsulanModule::decide(Ctx& ctx) {
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    DecisionInput in;
    in.decision = std::string(ctx.field("decision"));
    in.note = std::string(ctx.field("note"));
    in.reason = std::string(ctx.field("reason"));
    in.target_opd_slug = std::string(ctx.field("target_opd"));
    in.program = std::string(ctx.field("program"));
    in.kegiatan = std::string(ctx.field("kegiatan"));
    if (auto s = util::trim(ctx.field("score")); !s.empty()) {
        auto v = util::parse_int(s);
        if (!v || *v < 0 || *v > 100) in.parse_errors.push_back({"score", "usulan_err_score"});
        else in.score = static_cast<int>(*v);
    }
    in.budget = number_field(ctx.field("budget"), "budget", in.parse_errors, true);
    auto st = service_.decide(*ctx.principal, *id, in);
    if (!st) {
        if (st.error().code == ErrorCode::unprocessable) return detail_page(ctx, &st.error(), 422);
        return s_.views.error(ctx, st.error());
    }
    return http::redirect("/usulan/" + std::to_string(*id) + "?pesan=diputuskan");
}

http::Response UsulanModule::progress(Ctx& ctx) {
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    ProgressInput in;
    if (auto s = util::trim(ctx.field("progress")); !s.empty()) {
        auto v = util::parse_int(s);
        if (!v || *v < 0 || *v > 100) in.parse_errors.push_back({"progress", "usulan_err_progress"});
        else in.progress = static_cast<int>(*v);
    }
    in.realised_cost = number_field(ctx.field("realised_cost"), "realised_cost", in.parse_errors, true);
    if (auto s = util::trim(ctx.field("finished_at")); !s.empty()) {
        in.finished_at = fmt::parse_local_date(s, s_.regency.utc_offset_minutes, false);
        if (!in.finished_at) in.parse_errors.push_back({"finished_at", "usulan_err_date"});
    }
    auto st = service_.report_progress(*ctx.principal, *id, in, uploads(ctx, "photos"));
    if (!st) {
        if (st.error().code == ErrorCode::unprocessable) return detail_page(ctx, &st.error(), 422);
        return s_.views.error(ctx, st.error());
    }
    return http::redirect("/usulan/" + std::to_string(*id) + "?pesan=kemajuan");
}

// ---------------------------------------------------------------------------------------------
// Planning years, ranking, pagu, participation

http::Response UsulanModule::years_page(Ctx& ctx, const Error* err) {
    const int off = s_.regency.utc_offset_minutes;
    Data d = core::web::object();
    d.set("csrf", ctx.csrf());
    Data rows = core::web::list();
    const auto now = s_.clock.now();
    for (const auto& y : service_.years()) {
        Data row = core::web::object();
        row.set("year", std::to_string(y.year));
        Data ws = core::web::list();
        for (std::size_t i = 0; i < kWindows.size(); ++i) {
            Data w = core::web::object();
            w.set("name", s_.views.t(ctx.lang, "usulan_window_" + std::string(kWindows[i])));
            w.set("start", fmt::local_date(y.start[i], off));
            w.set("end", fmt::local_date(y.end[i], off));
            w.set("open", y.window_open(i, now));
            ws.push_back(w);
        }
        row.set("windows", ws);
        rows.push_back(row);
    }
    d.set("years", rows);
    d.set("empty", rows.is_empty_list());
    bool planner = false;
    if (ctx.principal) {
        policy::Offices o;
        o.planning = s_.db.read([&](core::db::Connection& c) { return store::opd_id(c, s_.regency.planning_opd); });
        planner = policy::may_plan(*ctx.principal, o);
    }
    d.set("planner", planner);
    Data fields = core::web::list();
    for (auto w : kWindows) {
        Data f = core::web::object();
        f.set("name", std::string(w));
        f.set("label", s_.views.t(ctx.lang, "usulan_window_" + std::string(w)));
        f.set("start", std::string(ctx.field(std::string(w) + "_start")));
        f.set("end", std::string(ctx.field(std::string(w) + "_end")));
        fields.push_back(f);
    }
    d.set("window_fields", fields);
    d.set("year_value", std::string(ctx.field("year")));
    add_errors(d, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "usulan/years", d, s_.views.t(ctx.lang, "usulan_years_title")), err);
}

http::Response UsulanModule::open_year(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    YearInput in;
    std::vector<FieldError> errs;
    auto y = util::parse_int(util::trim(ctx.field("year")));
    if (!y || *y < 2000 || *y > 2100) errs.push_back({"year", "usulan_err_year"});
    else in.year = static_cast<int>(*y);
    const int off = s_.regency.utc_offset_minutes;
    for (std::size_t i = 0; i < kWindows.size(); ++i) {
        const std::string w(kWindows[i]);
        auto a = fmt::parse_local_date(util::trim(ctx.field(w + "_start")), off, false);
        auto b = fmt::parse_local_date(util::trim(ctx.field(w + "_end")), off, true);
        if (!a || !b) errs.push_back({w + "_end", "usulan_err_date"});
        in.start[i] = a.value_or(0);
        in.end[i] = b.value_or(0);
    }
    Status st = ok_status();
    if (!errs.empty()) {
        // Check the role first so a citizen learns they may not, not that a date is wrong.
        policy::Offices o;
        o.planning = s_.db.read([&](core::db::Connection& c) { return store::opd_id(c, s_.regency.planning_opd); });
        if (!policy::may_plan(*ctx.principal, o)) return s_.views.error(ctx, ErrorCode::forbidden, "usulan_err_not_planner");
        Error e{ErrorCode::unprocessable, "err_form_invalid", errs, {}, 0};
        return years_page(ctx, &e);
    }
    st = service_.open_year(*ctx.principal, in);
    if (!st) {
        if (st.error().code == ErrorCode::unprocessable) return years_page(ctx, &st.error());
        return s_.views.error(ctx, st.error());
    }
    return http::redirect("/usulan/tahun?pesan=tersimpan");
}

http::Response UsulanModule::ranking_page(Ctx& ctx, const Error* err) {
    Data d = core::web::object();
    d.set("csrf", ctx.csrf());
    std::string kec(ctx.query.value("kecamatan"));
    if (kec.empty()) kec = std::string(ctx.field("kecamatan"));
    if (!kec.empty() && !s_.regency.find_kecamatan(kec)) return s_.views.error(ctx, ErrorCode::bad_request, "usulan_err_kecamatan");
    if (kec.empty()) kec = s_.regency.kecamatan.front().code;
    std::optional<int> year;
    if (auto t = ctx.query.value("tahun"); !t.empty()) {
        auto v = util::parse_int(t);
        if (!v || *v < 2000 || *v > 2100) return s_.views.error(ctx, ErrorCode::bad_request, "usulan_err_year");
        year = static_cast<int>(*v);
    } else if (auto dy = service_.default_year()) {
        year = dy->year;
    }
    ListFilter f;
    f.kecamatan = kec;
    f.year = year;
    Data filters = filter_data(ctx, f);
    d.set("kecamatan_options", filters["kecamatan_options"]);
    d.set("year_options", filters["year_options"]);
    d.set("kecamatan", kecamatan_name(kec));
    d.set("kecamatan_code", kec);
    if (year) {
        d.set("year", std::to_string(*year));
        auto r = service_.ranking(*year, kec);
        Data rows = core::web::list();
        std::int64_t total = 0;
        int rank = 0;
        for (const auto& p : r.items) {
            Data row = proposal_row(ctx, p);
            total += p.cost.value_or(0);
            row.set("rank", std::to_string(++rank));
            row.set("score", p.score ? std::to_string(*p.score) : "—");
            row.set("running", fmt::rupiah(total));
            row.set("within", !r.pagu || total <= *r.pagu);
            row.set("over", r.pagu && total > *r.pagu);
            row.set("target_opd", p.target_opd_name);
            rows.push_back(row);
        }
        d.set("items", rows);
        d.set("empty", r.items.empty());
        if (r.pagu) d.set("pagu", fmt::rupiah(*r.pagu));
        d.set("total", fmt::rupiah(total));
        d.set("csv_href", "/usulan/peringkat.csv?kecamatan=" + kec + "&tahun=" + std::to_string(*year));
    }
    bool planner = false;
    if (ctx.principal) {
        policy::Offices o;
        o.planning = s_.db.read([&](core::db::Connection& c) { return store::opd_id(c, s_.regency.planning_opd); });
        planner = policy::may_plan(*ctx.principal, o);
    }
    d.set("planner", planner && year.has_value());
    add_errors(d, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "usulan/ranking", d, s_.views.t(ctx.lang, "usulan_ranking_title")), err);
}

http::Response UsulanModule::ranking_csv(Ctx& ctx) {
    std::string kec(ctx.query.value("kecamatan"));
    auto year = util::parse_int(ctx.query.value("tahun"));
    if (!s_.regency.find_kecamatan(kec)) return s_.views.error(ctx, ErrorCode::bad_request, "usulan_err_kecamatan");
    if (!year || *year < 2000 || *year > 2100) return s_.views.error(ctx, ErrorCode::bad_request, "usulan_err_year");
    auto r = service_.ranking(static_cast<int>(*year), kec);
    std::string out =
        "prioritas,usulan,bidang,program,kegiatan,lokasi_desa,kecamatan,volume,satuan,pagu_rupiah,opd_penanggung_jawab,"
        "skor,dukungan,tahap,status,id\r\n";
    int rank = 0;
    for (const auto& p : r.items) {
        out += std::to_string(++rank) + "," + fmt::csv_text(p.title) + "," + fmt::csv_text(bidang_name(p.bidang, "id")) + "," +
               fmt::csv_text(p.program) + "," + fmt::csv_text(p.kegiatan) + "," + fmt::csv_text(desa_name(p.desa_code)) +
               "," + fmt::csv_text(kecamatan_name(p.kecamatan_code)) + "," + fmt::number(p.volume, "en") + "," +
               fmt::csv_text(p.satuan) + "," + (p.budget ? std::to_string(*p.budget) : p.cost ? std::to_string(*p.cost) : "") +
               "," + fmt::csv_text(p.target_opd_name) + "," + (p.score ? std::to_string(*p.score) : "") + "," +
               std::to_string(p.supports) + "," + p.stage + "," + p.status + "," + std::to_string(p.id) + "\r\n";
    }
    auto res = http::make_response(http::Status::ok, out, "text/csv; charset=utf-8");
    res.set(bhttp::field::content_disposition, "attachment; filename=\"td4-" + kec + "-" + std::to_string(*year) + ".csv\"");
    return res;
}

http::Response UsulanModule::set_pagu(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto year = util::parse_int(ctx.field("year"));
    std::string kec(ctx.field("kecamatan"));
    std::vector<FieldError> errs;
    auto amount = number_field(ctx.field("amount"), "amount", errs, true);
    if (!errs.empty() || !year || *year < 2000 || *year > 2100) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"amount", "usulan_err_pagu"}}, {}, 0};
        return ranking_page(ctx, &e);
    }
    auto st = service_.set_pagu(*ctx.principal, static_cast<int>(*year), kec, amount);
    if (!st) {
        if (st.error().code == ErrorCode::unprocessable) return ranking_page(ctx, &st.error());
        return s_.views.error(ctx, st.error());
    }
    return http::redirect("/usulan/peringkat?kecamatan=" + util::percent_encode(kec) + "&tahun=" + std::to_string(*year));
}

http::Response UsulanModule::participation_page(Ctx& ctx) {
    std::optional<int> year;
    if (auto t = ctx.query.value("tahun"); !t.empty()) {
        auto v = util::parse_int(t);
        if (!v || *v < 2000 || *v > 2100) return s_.views.error(ctx, ErrorCode::bad_request, "usulan_err_year");
        year = static_cast<int>(*v);
    }
    auto counts = service_.participation(year);
    auto pct = [&](std::int64_t a, std::int64_t b) {
        if (b <= 0) return std::string("—");
        return fmt::number(std::round(1000.0 * static_cast<double>(a) / static_cast<double>(b)) / 10.0, ctx.lang) + "%";
    };
    auto per1000 = [&](std::int64_t a, std::int64_t pop) {
        if (pop <= 0) return std::string("—");
        return fmt::number(static_cast<double>(a) * 1000.0 / static_cast<double>(pop), ctx.lang);
    };
    Data rows = core::web::list();
    store::KecamatanCounts total;
    std::int64_t pop_total = 0;
    for (const auto& k : s_.regency.kecamatan) {
        store::KecamatanCounts c;
        for (const auto& x : counts)
            if (x.kecamatan_code == k.code) c = x;
        Data row = core::web::object();
        row.set("name", k.name);
        row.set("href", "/usulan?kecamatan=" + k.code + (year ? "&tahun=" + std::to_string(*year) : ""));
        row.set("population", std::to_string(k.population));
        row.set("proposals", std::to_string(c.proposals));
        row.set("proposals_per_1000", per1000(c.proposals, k.population));
        row.set("supports", std::to_string(c.supports));
        row.set("supports_per_1000", per1000(c.supports, k.population));
        row.set("kecamatan_share", pct(c.reached[1], c.proposals));
        row.set("opd_share", pct(c.reached[2], c.proposals));
        row.set("kabupaten_share", pct(c.reached[3], c.proposals));
        row.set("accepted_share", pct(c.accepted, c.proposals));
        rows.push_back(row);
        total.proposals += c.proposals;
        total.supports += c.supports;
        for (int i = 0; i < 5; ++i) total.reached[i] += c.reached[i];
        total.accepted += c.accepted;
        pop_total += k.population;
    }
    Data d = core::web::object();
    d.set("rows", rows);
    Data t = core::web::object();
    t.set("population", std::to_string(pop_total));
    t.set("proposals", std::to_string(total.proposals));
    t.set("proposals_per_1000", per1000(total.proposals, pop_total));
    t.set("supports", std::to_string(total.supports));
    t.set("supports_per_1000", per1000(total.supports, pop_total));
    t.set("kecamatan_share", pct(total.reached[1], total.proposals));
    t.set("opd_share", pct(total.reached[2], total.proposals));
    t.set("kabupaten_share", pct(total.reached[3], total.proposals));
    t.set("accepted_share", pct(total.accepted, total.proposals));
    d.set("total", t);
    ListFilter f;
    f.year = year;
    Data filters = filter_data(ctx, f);
    d.set("year_options", filters["year_options"]);
    d.set("population_year", std::to_string(s_.regency.kecamatan.front().population_year));
    d.set("population_source", s_.regency.population_source);
    return s_.views.page(ctx, "usulan/participation", d, s_.views.t(ctx.lang, "usulan_participation_title"));
}

}  // namespace gapura::modules::usulan
