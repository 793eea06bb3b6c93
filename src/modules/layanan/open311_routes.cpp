// Open311 GeoReport v2 handlers of LayananModule (JSON and XML). Every answer, errors included,
// is in the format of the requested extension: errors are a list of {code, description} with
// 404 for an unknown service, request, token or jurisdiction, 403 for a missing or bad api_key
// and 400 for everything else (the spec's list). Ids are strings in JSON.
#include <boost/json.hpp>
#include <cstdio>

#include "app/config.hpp"

#include "core/http/response.hpp"
#include "core/region/regency.hpp"
#include "core/util/clock.hpp"
#include "core/util/strings.hpp"
#include "modules/layanan/layanan_module_impl.hpp"

namespace gapura::modules::layanan {

namespace http = core::http;
namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxSpan = 90 * 86400;

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

std::string item_name(std::string_view list) {
    if (list == "attributes") return "attribute";
    if (list == "values") return "value";
    if (list == "notes") return "note";
    if (list == "photos") return "photo";
    if (list == "endpoints") return "endpoint";
    if (list == "formats") return "format";
    if (list == "errors") return "error";
    return "item";
}

void to_xml(std::string& out, const std::string& name, const json::value& v) {
    out += "<" + name + ">";
    if (v.is_object()) {
        for (const auto& kv : v.as_object()) to_xml(out, std::string(kv.key()), kv.value());
    } else if (v.is_array()) {
        const auto item = item_name(name);
        for (const auto& e : v.as_array()) to_xml(out, item, e);
    } else if (v.is_string()) {
        out += xml_escape(v.as_string());
    } else if (v.is_bool()) {
        out += v.as_bool() ? "true" : "false";
    } else if (v.is_double()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.8g", v.as_double());
        out += buf;
    } else if (!v.is_null()) {
        out += json::serialize(v);
    }
    out += "</" + name + ">";
}

// A list answer: JSON array, or <root><item>...</item></root>.
http::Response answer(bool xml, http::Status status, const json::value& body, const std::string& root,
                      const std::string& item) {
    if (!xml) return http::make_response(status, json::serialize(body), "application/json; charset=utf-8");
    std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
    if (body.is_array()) {
        out += "<" + root + ">";
        for (const auto& e : body.as_array()) to_xml(out, item, e);
        out += "</" + root + ">";
    } else {
        to_xml(out, root, body);
    }
    return http::make_response(status, std::move(out), "text/xml; charset=utf-8");
}

struct O311Error {
    unsigned code;
    std::string description;
};

http::Response errors(bool xml, const std::vector<O311Error>& errs) {
    json::array a;
    unsigned status = 400;
    for (const auto& e : errs) {
        a.push_back(json::object{{"code", e.code}, {"description", e.description}});
        status = e.code;  // the list shares one HTTP status: 404 > 403 > 400 by construction
    }
    auto res = answer(xml, static_cast<http::Status>(status), a, "errors", "error");
    res.set(http::bhttp::field::cache_control, "no-store");
    return res;
}

http::Response error(bool xml, unsigned code, const std::string& description) { return errors(xml, {{code, description}}); }

std::vector<std::string> comma_list(std::string_view s) {
    std::vector<std::string> out;
    for (auto part : util::split(s, ',')) {
        auto p = util::trim(part);
        if (!p.empty()) out.emplace_back(p);
    }
    return out;
}

// Status names of the richer updates feed (FixMyStreet's Open311 client).
std::string update_status(const std::string& s) {
    if (s == "new") return "OPEN";
    if (s == "assigned") return "ACTION_SCHEDULED";
    if (s == "in_progress") return "IN_PROGRESS";
    if (s == "pending") return "INVESTIGATING";
    if (s == "resolved") return "FIXED";
    if (s == "merged") return "DUPLICATE";
    if (s == "rejected") return "NOT_COUNCILS_RESPONSIBILITY";
    return "OPEN";
}

}  // namespace

// Checks jurisdiction_id (absent or empty: fine). Returns an error answer or nullopt.
#define LAYANAN_CHECK_JURISDICTION(ctx, xml)                                                                   \
    do {                                                                                                       \
        std::string_view j = ctx.query.value("jurisdiction_id");                                               \
        if (j.empty()) j = ctx.field("jurisdiction_id");                                                       \
        if (!j.empty() && j != s_.regency.domain) return error(xml, 404, t(ctx, "layanan_o311_jurisdiction")); \
    } while (0)

http::Response LayananModule::o311_discovery(Ctx& ctx, bool xml) {
    const std::string base = s_.config.public_url + "/open311/v2/";
    json::object endpoint{{"specification", "http://wiki.open311.org/GeoReport_v2"},
                          {"url", base},
                          {"changeset", format_iso8601(1767225600, 0)},
                          {"type", "production"},
                          {"formats", json::array{"text/xml", "application/json"}}};
    json::array endpoints;
    endpoints.push_back(std::move(endpoint));
    json::object d{{"changeset", format_iso8601(1767225600, 0)},
                   {"contact", "Diskominfo-SP " + s_.regency.name + " (" + s_.regency.domain + ")"},
                   {"key_service", s_.config.public_url + "/layanan/kunci-api"},
                   {"endpoints", std::move(endpoints)}};
    (void)ctx;
    return answer(xml, http::Status::ok, d, "discovery", "");
}

http::Response LayananModule::o311_services(Ctx& ctx, bool xml) {
    LAYANAN_CHECK_JURISDICTION(ctx, xml);
    json::array a;
    for (const auto& s : catalog_.services()) {
        if (!s.is_public) continue;
        a.push_back(json::object{{"service_code", s.code},
                                 {"service_name", ctx.lang == "en" ? s.name_en : s.name},
                                 {"description", s.description},
                                 {"metadata", !s.attributes.empty()},
                                 {"type", s.type},
                                 {"keywords", s.keywords},
                                 {"group", s.group}});
    }
    return answer(xml, http::Status::ok, a, "services", "service");
}

http::Response LayananModule::o311_service(Ctx& ctx, bool xml) {
    LAYANAN_CHECK_JURISDICTION(ctx, xml);
    const Service* s = catalog_.find(std::string(ctx.param("code")));
    if (!s || !s->is_public) return error(xml, 404, t(ctx, "layanan_err_service_unknown"));
    json::array attrs;
    for (const auto& a : s->attributes) {
        json::array values;
        for (const auto& v : a.values) values.push_back(json::object{{"key", v.key}, {"name", v.name}});
        attrs.push_back(json::object{{"variable", a.variable},
                                     {"code", a.code},
                                     {"datatype", a.datatype},
                                     {"required", a.required},
                                     {"datatype_description", a.datatype_description},
                                     {"order", a.order},
                                     {"description", a.description},
                                     {"values", values}});
    }
    json::object def{{"service_code", s->code}, {"attributes", attrs}};
    return answer(xml, http::Status::ok, def, "service_definition", "");
}

http::Response LayananModule::o311_post(Ctx& ctx, bool xml) {
    if (!ctx.form) return error(xml, 400, t(ctx, "layanan_o311_form_required"));
    LAYANAN_CHECK_JURISDICTION(ctx, xml);
    const std::string raw_key(ctx.field("api_key"));
    if (raw_key.empty()) return error(xml, 403, t(ctx, "layanan_o311_key_missing"));
    auto key = svc_->check_api_key(raw_key);
    if (!key) return error(xml, 403, t(ctx, "layanan_o311_key_invalid"));

    NewReport in;
    in.web_form = false;
    in.channel = "open311";
    in.service_code = std::string(ctx.field("service_code"));
    if (in.service_code.empty()) return error(xml, 400, t(ctx, "layanan_o311_service_code_required"));
    const Service* svc = catalog_.find(in.service_code);
    if (!svc || !svc->is_public) return error(xml, 404, t(ctx, "layanan_err_service_unknown"));

    std::vector<O311Error> errs;
    in.description = std::string(ctx.field("description"));
    in.address = std::string(ctx.field("address_string"));
    in.address_id = std::string(ctx.field("address_id"));
    in.reporter_email = std::string(util::trim(ctx.field("email")));
    in.reporter_phone = std::string(util::trim(ctx.field("phone")));
    in.reporter_name = std::string(util::trim(std::string(ctx.field("first_name")) + " " + std::string(ctx.field("last_name"))));
    for (const char* f : {"lat", "long"}) {
        auto v = util::trim(ctx.field(f));
        if (v.empty()) continue;
        auto d = util::parse_double(v);
        if (!d) errs.push_back({400, std::string(f) + ": " + t(ctx, "layanan_err_latlng_range")});
        else (std::string_view(f) == "lat" ? in.lat : in.lng) = *d;
    }
    for (const auto& [name, value] : ctx.form->fields()) {
        if (!util::starts_with(name, "attribute[")) continue;
        auto close = name.find(']');
        const std::string rest = close == std::string::npos ? "?" : name.substr(close + 1);
        if (close == std::string::npos || close <= 10 || (rest != "" && rest != "[]")) {
            errs.push_back({400, name + ": " + t(ctx, "layanan_err_attribute_unknown")});
            continue;
        }
        const std::string code = name.substr(10, close - 10);
        if (!util::trim(value).empty()) in.attributes[code].push_back(value);
        else in.attributes.try_emplace(code);
    }
    // Empty values count as absent (required ones are then reported missing).
    for (auto it = in.attributes.begin(); it != in.attributes.end();)
        it = it->second.empty() ? in.attributes.erase(it) : std::next(it);
    if (errs.empty()) {
        if (auto st = svc_->validate(in, false); !st)
            for (const auto& f : st.error().fields) errs.push_back({400, f.field + ": " + t(ctx, f.message_key)});
    }
    if (!errs.empty()) return errors(xml, errs);
    core::audit::Actor actor{std::nullopt, "open311:" + key->name, "api_key", std::nullopt};
    // Acknowledged only after the transaction commits (SQLite synchronous=FULL: on disk).
    auto r = svc_->submit_report(in, std::nullopt, actor);
    if (!r) {
        if (r.error().code == ErrorCode::not_found) return error(xml, 404, t(ctx, r.error().message_key));
        std::vector<O311Error> v;
        for (const auto& f : r.error().fields) v.push_back({400, f.field + ": " + t(ctx, f.message_key)});
        if (v.empty()) v.push_back({400, t(ctx, r.error().message_key)});
        return errors(xml, v);
    }
    json::array out{json::object{{"service_request_id", std::to_string(r->id)},
                                 {"service_notice", t(ctx, "layanan_o311_notice") + " " + r->code},
                                 {"account_id", nullptr}}};
    return answer(xml, http::Status::ok, out, "service_requests", "request");
}

namespace {
json::object request_json(const Ticket& tk, const Service* svc, const std::string& lang, int offset,
                          const std::string& public_url) {
    const bool open = tk.open();
    std::string notes = tk.status_note;
    json::object o{{"service_request_id", std::to_string(tk.id)},
                   {"status", open ? "open" : "closed"},
                   {"status_notes", notes},
                   {"service_name", svc ? (lang == "en" ? svc->name_en : svc->name) : tk.service_code},
                   {"service_code", tk.service_code},
                   {"description", tk.description},
                   {"agency_responsible", tk.opd_name},
                   {"service_notice", ""},
                   {"requested_datetime", format_iso8601(tk.created_at, offset)},
                   {"updated_datetime", format_iso8601(tk.updated_at, offset)},
                   {"expected_datetime", nullptr},
                   {"address", tk.village_name.empty() ? tk.address : tk.address + ", " + tk.village_name},
                   {"address_id", ""},
                   {"zipcode", ""},
                   {"lat", nullptr},
                   {"long", nullptr},
                   {"media_url", tk.photos.empty() ? std::string() : public_url + "/berkas/" + tk.photos.front()}};
    if (auto d = tk.next_due()) o["expected_datetime"] = format_iso8601(*d, offset);
    if (tk.lat && tk.lng) {
        o["lat"] = *tk.lat;
        o["long"] = *tk.lng;
    }
    return o;
}
}  // namespace

http::Response LayananModule::o311_requests(Ctx& ctx, bool xml) {
    LAYANAN_CHECK_JURISDICTION(ctx, xml);
    store::PublicFilter f;
    std::vector<O311Error> errs;
    const auto ids = comma_list(ctx.query.value("service_request_id"));
    for (const auto& id : ids) {
        auto n = util::parse_int(id);
        if (!n || *n <= 0) errs.push_back({400, "service_request_id: " + t(ctx, "layanan_o311_bad_id")});
        else f.ids.push_back(*n);
    }
    if (f.ids.size() > 1000) errs.push_back({400, "service_request_id: " + t(ctx, "layanan_o311_too_many")});
    f.service_codes = comma_list(ctx.query.value("service_code"));
    const auto now = s_.clock.now();
    std::int64_t start = 0, end = 0;
    const std::string sd(ctx.query.value("start_date")), ed(ctx.query.value("end_date"));
    bool have_start = !sd.empty(), have_end = !ed.empty();
    if (have_start && !parse_iso8601(sd, start)) errs.push_back({400, "start_date: " + t(ctx, "layanan_o311_bad_date")});
    if (have_end && !parse_iso8601(ed, end)) errs.push_back({400, "end_date: " + t(ctx, "layanan_o311_bad_date")});
    if (!have_end) end = have_start ? start + kMaxSpan : now;
    if (!have_start) start = end - kMaxSpan;
    if (errs.empty() && end < start) errs.push_back({400, "end_date: " + t(ctx, "layanan_o311_range_order")});
    if (errs.empty() && end - start > kMaxSpan) errs.push_back({400, "end_date: " + t(ctx, "layanan_o311_range_90")});
    f.start = start;
    f.end = end;
    const auto statuses = comma_list(ctx.query.value("status"));
    if (!statuses.empty()) {
        f.want_open = f.want_closed = false;
        for (const auto& s : statuses) {
            if (s == "open") f.want_open = true;
            else if (s == "closed") f.want_closed = true;
            else errs.push_back({400, "status: " + t(ctx, "layanan_o311_bad_status")});
        }
    }
    auto page = util::parse_int(ctx.query.value("page").empty() ? "1" : ctx.query.value("page"));
    auto size = util::parse_int(ctx.query.value("page_size").empty() ? "1000" : ctx.query.value("page_size"));
    if (!page || *page < 1 || *page > 1000000) errs.push_back({400, "page: " + t(ctx, "layanan_o311_bad_page")});
    if (!size || *size < 1 || *size > 1000) errs.push_back({400, "page_size: " + t(ctx, "layanan_o311_bad_page")});
    if (!errs.empty()) return errors(xml, errs);
    f.limit = static_cast<int>(*size);
    f.offset = static_cast<int>((*page - 1) * *size);
    return render_requests(ctx, xml, f);
}

http::Response LayananModule::render_requests(Ctx& ctx, bool xml, const store::PublicFilter& f) {
    auto rows = s_.db.read([&](core::db::Connection& c) { return store::public_requests(c, f); });
    const bool ext = ctx.query.value("extensions") == "true";
    json::array a;
    for (const auto& tk : rows) {
        const Service* svc = catalog_.find(tk.service_code);
        auto o = request_json(tk, svc, ctx.lang, s_.regency.utc_offset_minutes, s_.config.public_url);
        if (ext) {
            json::array attrs;
            boost::system::error_code ec;
            auto av = json::parse(tk.attributes_json, ec);
            if (!ec && av.is_object())
                for (const auto& kv : av.as_object()) {
                    if (kv.value().is_array())
                        for (const auto& v : kv.value().as_array()) attrs.push_back(json::object{{"code", kv.key()}, {"value", v}});
                    else attrs.push_back(json::object{{"code", kv.key()}, {"value", kv.value()}});
                }
            o["attributes"] = attrs;
            json::array photos;
            for (const auto& p : tk.photos) photos.push_back(json::value(s_.config.public_url + "/berkas/" + p));
            o["extended_attributes"] = json::object{{"channel", tk.channel},
                                                    {"tracking_code", tk.code},
                                                    {"village_code", tk.village_code},
                                                    {"status_detail", update_status(status_name(tk.status))},
                                                    {"photos", photos}};
            json::array notes;
            for (const auto& e : svc_->timeline(tk.id, true))
                notes.push_back(json::object{{"datetime", format_iso8601(e.at, s_.regency.utc_offset_minutes)},
                                             {"description", e.note.empty() ? t(ctx, "layanan_event_" + e.kind) : e.note},
                                             {"type", e.kind}});
            o["notes"] = notes;
        }
        a.push_back(std::move(o));
    }
    return answer(xml, http::Status::ok, a, "service_requests", "request");
}

http::Response LayananModule::o311_request(Ctx& ctx, bool xml) {
    LAYANAN_CHECK_JURISDICTION(ctx, xml);
    auto id = util::parse_int(ctx.param("id"));
    if (!id || *id <= 0) return error(xml, 404, t(ctx, "layanan_err_ticket_unknown"));
    store::PublicFilter f;
    f.ids = {*id};
    auto rows = s_.db.read([&](core::db::Connection& c) { return store::public_requests(c, f); });
    if (rows.empty()) return error(xml, 404, t(ctx, "layanan_err_ticket_unknown"));
    return render_requests(ctx, xml, f);
}

http::Response LayananModule::o311_token(Ctx& ctx, bool xml) {
    LAYANAN_CHECK_JURISDICTION(ctx, xml);
    auto tk = svc_->by_code(std::string(ctx.param("token")));
    if (!tk || !tk->is_public) return error(xml, 404, t(ctx, "layanan_o311_token_unknown"));
    json::array a{json::object{{"service_request_id", std::to_string(tk->id)}, {"token", tk->code}}};
    return answer(xml, http::Status::ok, a, "service_requests", "request");
}

http::Response LayananModule::o311_updates(Ctx& ctx, bool xml) {
    LAYANAN_CHECK_JURISDICTION(ctx, xml);
    const auto now = s_.clock.now();
    std::int64_t start = 0, end = 0;
    const std::string sd(ctx.query.value("start_date")), ed(ctx.query.value("end_date"));
    std::vector<O311Error> errs;
    if (!sd.empty() && !parse_iso8601(sd, start)) errs.push_back({400, "start_date: " + t(ctx, "layanan_o311_bad_date")});
    if (!ed.empty() && !parse_iso8601(ed, end)) errs.push_back({400, "end_date: " + t(ctx, "layanan_o311_bad_date")});
    if (ed.empty()) end = sd.empty() ? now : start + kMaxSpan;
    if (sd.empty()) start = end - kMaxSpan;
    if (errs.empty() && (end < start || end - start > kMaxSpan)) errs.push_back({400, "end_date: " + t(ctx, "layanan_o311_range_90")});
    if (!errs.empty()) return errors(xml, errs);
    auto rows = s_.db.read([&](core::db::Connection& c) { return store::public_updates(c, start, end, 1000); });
    json::array a;
    for (const auto& u : rows)
        a.push_back(json::object{{"update_id", std::to_string(u.event_id)},
                                 {"service_request_id", std::to_string(u.ticket_id)},
                                 {"status", update_status(u.status)},
                                 {"description", u.note.empty() ? t(ctx, "layanan_event_" + u.kind) : u.note},
                                 {"updated_datetime", format_iso8601(u.at, s_.regency.utc_offset_minutes)},
                                 {"media_url", ""}});
    return answer(xml, http::Status::ok, a, "service_request_updates", "request_update");
}

}  // namespace gapura::modules::layanan
