// The JSON, GeoJSON and CSV API of proposals (see UsulanModule).
#include <charconv>
#include <boost/json.hpp>
#include <cmath>

#include "core/http/response.hpp"
#include "core/util/json_input.hpp"
#include "core/util/strings.hpp"
#include "modules/usulan/usulan_format.hpp"
#include "modules/usulan/usulan_routes.hpp"

namespace gapura::modules::usulan {

namespace http = core::http;
namespace bhttp = core::http::bhttp;
namespace json = boost::json;

namespace {
constexpr int kGeoJsonMax = 10000;
constexpr int kCsvBatch = 1000;

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }
json::value opt(const std::optional<int>& v) { return v ? json::value(*v) : json::value(nullptr); }

std::string cursor_of(std::int64_t before) { return util::base64url_encode("b:" + std::to_string(before)); }

// A JSON number member; nullopt when absent or null. Sets wrong when present but not a number.
std::optional<double> json_number(const json::object& o, std::string_view key, bool& wrong) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::nullopt;
    const auto& v = it->value();
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    if (v.is_double()) return v.as_double();
    wrong = true;
    return std::nullopt;
}
}  // namespace

static json::object proposal_json(const UsulanModule& m, const Proposal& p, const core::region::Regency& r,
                                  const std::vector<Bidang>& bidang, bool full) {
    (void)m;
    std::string bname;
    for (const auto& b : bidang)
        if (b.code == p.bidang) bname = b.name_id;
    const auto* v = r.find_village(p.desa_code);
    const auto* k = r.find_kecamatan(p.kecamatan_code);
    json::object o;
    o["id"] = p.id;
    o["year"] = p.year;
    o["title"] = p.title;
    o["problem"] = p.problem;
    o["proposal"] = p.proposal;
    o["bidang"] = json::object{{"code", p.bidang}, {"name", bname}};
    o["desa"] = json::object{{"code", p.desa_code}, {"name", v ? v->name : ""}};
    o["kecamatan"] = json::object{{"code", p.kecamatan_code}, {"name", k ? k->name : ""}};
    o["location"] = p.lat && p.lng ? json::value(json::object{{"lat", *p.lat}, {"lng", *p.lng}}) : json::value(nullptr);
    o["address"] = p.address;
    o["volume"] = p.volume;
    o["satuan"] = p.satuan;
    o["estimated_cost"] = opt(p.cost);
    o["proposer"] = p.proposer;
    o["stage"] = p.stage;
    o["status"] = p.status;
    o["score"] = opt(p.score);
    o["target_opd"] = p.target_opd_slug.empty()
                          ? json::value(nullptr)
                          : json::value(json::object{{"slug", p.target_opd_slug}, {"name", p.target_opd_name}});
    o["reason"] = p.reason;
    o["outcome"] = p.status == "accepted"
                       ? json::value(json::object{{"program", p.program}, {"kegiatan", p.kegiatan}, {"budget", opt(p.budget)}})
                       : json::value(nullptr);
    o["accountability"] =
        p.progress ? json::value(json::object{{"progress", *p.progress},
                                              {"realised_cost", opt(p.realised_cost)},
                                              {"finished_at", p.finished_at ? json::value(format_iso8601(*p.finished_at, 0))
                                                                            : json::value(nullptr)}})
                   : json::value(nullptr);
    o["supports"] = p.supports;
    o["comments"] = p.comments;
    o["created_at"] = format_iso8601(p.created_at, 0);
    o["updated_at"] = format_iso8601(p.updated_at, 0);
    o["url"] = "/usulan/" + std::to_string(p.id);
    if (full) {
        json::array photos;
        for (const auto& s : p.photos) photos.push_back(json::value("/berkas/" + s));
        o["photos"] = std::move(photos);
        json::array work;
        for (const auto& s : p.progress_photos) work.push_back(json::value("/berkas/" + s));
        o["progress_photos"] = std::move(work);
    }
    return o;
}

namespace {
// 401 for an API write without a principal, with the challenge RFC 6750 asks for.
http::Response bearer_required(const core::web::Views& views, http::RequestContext& ctx) {
    auto res = views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    res.set(bhttp::field::www_authenticate, "Bearer");
    return res;
}
}  // namespace

http::Response UsulanModule::api_list(Ctx& ctx) {
    auto f = parse_filter(ctx, true);
    if (!f) return s_.views.error(ctx, f.error());
    auto page = service_.list(*f);
    json::array items;
    for (const auto& p : page.items) items.push_back(proposal_json(*this, p, s_.regency, service_.bidang(), false));
    json::object o{{"items", std::move(items)},
                   {"next_cursor", page.next_before ? json::value(cursor_of(*page.next_before)) : json::value(nullptr)}};
    return http::json_response(http::Status::ok, json::serialize(o));
}

http::Response UsulanModule::api_get(Ctx& ctx) {
    auto id = util::parse_int(ctx.param("id"));
    auto p = id && *id > 0 ? service_.get(*id) : std::nullopt;
    if (!p || p->hidden) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto o = proposal_json(*this, *p, s_.regency, service_.bidang(), true);
    json::array tl;
    for (const auto& e : service_.timeline(p->id))
        tl.push_back(json::object{{"at", format_iso8601(e.at, 0)},
                                  {"kind", e.kind},
                                  {"stage", e.stage},
                                  {"decision", e.decision},
                                  {"note", e.note},
                                  {"reason", e.reason},
                                  {"actor", e.actor},
                                  {"score", opt(e.score)},
                                  {"progress", opt(e.progress)}});
    o["timeline"] = std::move(tl);
    return http::json_response(http::Status::ok, json::serialize(o));
}

namespace {
// The body of POST and PUT /api/v1/proposals: a JSON object with known members only (400 for an
// unknown member or a wrong JSON type). name_display stays empty when absent (the caller decides).
Result<ProposalInput> proposal_input(std::string_view text) {
    auto body =
        util::parse_json_object(text, {"title", "problem", "proposal", "bidang", "desa", "lat", "lng", "address",
                                       "volume", "satuan", "estimated_cost", "year", "name_display"});
    if (!body) return body.error();
    Error wrong{ErrorCode::bad_request, "err_json_fields", {}, {}, 0};
    ProposalInput in;
    auto str = [&](const char* key, std::string& out) {
        bool w = false;
        auto v = util::json_string(*body, key, w);
        if (w) wrong.fields.push_back({key, "usulan_err_json_string"});
        out = v.value_or("");
    };
    auto num = [&](const char* key) {
        bool w = false;
        auto v = json_number(*body, key, w);
        if (w) wrong.fields.push_back({key, "usulan_err_json_number"});
        return v;
    };
    str("title", in.title);
    str("problem", in.problem);
    str("proposal", in.proposal);
    str("bidang", in.bidang);
    str("desa", in.desa_code);
    str("address", in.address);
    str("satuan", in.satuan);
    str("name_display", in.name_display);
    in.lat = num("lat");
    in.lng = num("lng");
    in.volume = num("volume");
    in.cost = num("estimated_cost");
    if (auto y = num("year")) {
        if (*y != std::floor(*y) || *y < 2000 || *y > 2100) wrong.fields.push_back({"year", "usulan_err_year"});
        else in.year = static_cast<int>(*y);
    }
    if (!wrong.fields.empty()) return wrong;
    return in;
}
}  // namespace

http::Response UsulanModule::api_create(Ctx& ctx) {
    if (!ctx.principal) return bearer_required(s_.views, ctx);
    auto ct = util::to_lower_ascii(ctx.header(bhttp::field::content_type));
    if (!util::starts_with(ct, "application/json"))
        return s_.views.error(ctx, ErrorCode::unsupported, "err_content_type");
    auto in = proposal_input(ctx.req.body());
    if (!in) return s_.views.error(ctx, in.error());
    if (in->name_display.empty()) in->name_display = "full";
    auto r = service_.submit(*ctx.principal, *in, {});
    if (!r) return s_.views.error(ctx, r.error());
    auto p = service_.get(*r);
    auto res = http::json_response(http::Status::created,
                                   json::serialize(proposal_json(*this, *p, s_.regency, service_.bidang(), true)));
    res.set(bhttp::field::location, "/api/v1/proposals/" + std::to_string(*r));
    return res;
}

// PUT: the proposer's amendment of a proposal sent back for revision. The same members as POST
// (a full replacement; name_display absent keeps the current choice, year must not change).
http::Response UsulanModule::api_update(Ctx& ctx) {
    if (!ctx.principal) return bearer_required(s_.views, ctx);
    auto id = util::parse_int(ctx.param("id"));
    if (!id || *id <= 0) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto ct = util::to_lower_ascii(ctx.header(bhttp::field::content_type));
    if (!util::starts_with(ct, "application/json"))
        return s_.views.error(ctx, ErrorCode::unsupported, "err_content_type");
    auto in = proposal_input(ctx.req.body());
    if (!in) return s_.views.error(ctx, in.error());
    auto st = service_.amend(*ctx.principal, *id, *in, {});
    if (!st) return s_.views.error(ctx, st.error());
    auto p = service_.get(*id);
    return http::json_response(http::Status::ok,
                               json::serialize(proposal_json(*this, *p, s_.regency, service_.bidang(), true)));
}

http::Response UsulanModule::api_support(Ctx& ctx, bool withdraw) {
    if (!ctx.principal) return bearer_required(s_.views, ctx);
    auto id = util::parse_int(ctx.param("id"));
    if (!id || *id <= 0) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto st = withdraw ? service_.withdraw_support(*ctx.principal, *id) : service_.support(*ctx.principal, *id);
    if (!st) return s_.views.error(ctx, st.error());
    auto p = service_.get(*id);
    json::object o{{"id", *id}, {"supports", p ? p->supports : 0}, {"supported", !withdraw}};
    return http::json_response(withdraw ? http::Status::ok : http::Status::created, json::serialize(o));
}

http::Response UsulanModule::api_geojson(Ctx& ctx) {
    auto f = parse_filter(ctx, true);
    if (!f) return s_.views.error(ctx, f.error());
    if (auto b = ctx.query.value("bbox"); !b.empty()) {
        auto parts = util::split(b, ',');
        std::array<double, 4> box{};
        bool ok = parts.size() == 4;
        for (std::size_t i = 0; ok && i < 4; ++i) {
            auto v = util::parse_double(util::trim(parts[i]));
            ok = v && std::isfinite(*v);
            if (ok) box[i] = *v;
        }
        ok = ok && box[0] <= box[2] && box[1] <= box[3] && box[1] >= -90 && box[3] <= 90 && box[0] >= -180 && box[2] <= 180;
        if (!ok) {
            Error e{ErrorCode::bad_request, "usulan_err_bbox", {{"bbox", "usulan_err_bbox"}}, {}, 0};
            return s_.views.error(ctx, e);
        }
        f->bbox = box;
    }
    f->with_point_only = true;
    f->limit = ctx.query.has("limit") ? f->limit : kGeoJsonMax;
    const auto page = service_.points(*f);
    // Written by hand from the few columns the map needs: this answer can hold 10,000 features.
    std::string out;
    out.reserve(64 + page.items.size() * 260);
    out += "{\"type\":\"FeatureCollection\",\"features\":[";
    char num[32];
    auto add_int = [&](std::int64_t v) {
        auto [end, ec] = std::to_chars(num, num + sizeof num, v);
        out.append(num, end);
    };
    auto add_coord = [&](double v) {  // 5 decimals: about a metre
        auto [end, ec] = std::to_chars(num, num + sizeof num, v, std::chars_format::fixed, 5);
        out.append(num, end);
    };
    auto add_str = [&](std::string_view key, std::string_view v) {
        out += ",\"";
        out += key;
        out += "\":\"";
        out += util::json_escape(v);
        out += '"';
    };
    bool first = true;
    for (const auto& p : page.items) {
        out += first ? "{\"type\":\"Feature\",\"id\":" : ",{\"type\":\"Feature\",\"id\":";
        first = false;
        add_int(p.id);
        out += ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[";
        add_coord(p.lng);
        out += ',';
        add_coord(p.lat);
        out += "]},\"properties\":{\"id\":";
        add_int(p.id);
        add_str("title", p.title);
        add_str("stage", p.stage);
        add_str("status", p.status);
        add_str("bidang", p.bidang);
        out += ",\"supports\":";
        add_int(p.supports);
        out += ",\"progress\":";
        if (p.progress) add_int(*p.progress);
        else out += "null";
        out += p.finished ? ",\"finished\":true" : ",\"finished\":false";
        out += ",\"url\":\"/usulan/";
        add_int(p.id);
        out += "\"}}";
    }
    out += "],\"truncated\":";
    out += page.truncated ? "true" : "false";
    out += "}";
    return http::make_response(http::Status::ok, std::move(out), "application/geo+json");
}

http::Response UsulanModule::api_csv(Ctx& ctx) {
    auto f = parse_filter(ctx, true);
    if (!f) return s_.views.error(ctx, f.error());
    std::string out =
        "id,tahun,judul,bidang,desa_kode,desa,kecamatan_kode,kecamatan,lat,lng,alamat,volume,satuan,perkiraan_biaya,"
        "pengusul,tahap,status,skor,opd_tujuan,alasan,program,kegiatan,anggaran,kemajuan,realisasi_biaya,selesai,"
        "dukungan,komentar,dibuat\r\n";
    f->limit = kCsvBatch;
    f->before_id.reset();
    for (;;) {
        auto page = service_.list(*f);
        for (const auto& p : page.items) {
            auto n = [](const auto& v) { return v ? std::to_string(*v) : std::string(); };
            out += std::to_string(p.id) + "," + std::to_string(p.year) + "," + fmt::csv_text(p.title) + "," + p.bidang + "," +
                   p.desa_code + "," + fmt::csv_text(desa_name(p.desa_code)) + "," + p.kecamatan_code + "," +
                   fmt::csv_text(kecamatan_name(p.kecamatan_code)) + "," + (p.lat ? fmt::number(*p.lat, "en") : "") + "," +
                   (p.lng ? fmt::number(*p.lng, "en") : "") + "," + fmt::csv_text(p.address) + "," +
                   fmt::number(p.volume, "en") + "," + fmt::csv_text(p.satuan) + "," + n(p.cost) + "," +
                   fmt::csv_text(p.proposer) + "," + p.stage + "," + p.status + "," + n(p.score) + "," + p.target_opd_slug +
                   "," + fmt::csv_text(p.reason) + "," + fmt::csv_text(p.program) + "," + fmt::csv_text(p.kegiatan) + "," +
                   n(p.budget) + "," + n(p.progress) + "," + n(p.realised_cost) + "," +
                   (p.finished_at ? format_iso8601(*p.finished_at, 0) : "") + "," + std::to_string(p.supports) + "," +
                   std::to_string(p.comments) + "," + format_iso8601(p.created_at, 0) + "\r\n";
        }
        if (!page.next_before) break;
        f->before_id = page.next_before;
    }
    auto res = http::make_response(http::Status::ok, std::move(out), "text/csv; charset=utf-8");
    res.set(bhttp::field::content_disposition, "attachment; filename=\"usulan.csv\"");
    return res;
}

}  // namespace gapura::modules::usulan
