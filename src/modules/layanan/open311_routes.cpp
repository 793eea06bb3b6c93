// Open311 GeoReport v2 handlers of LayananModule (JSON and XML). Every answer, errors included,
// is in the format of the requested extension: errors are a list of {code, description} with
// 404 for an unknown service, request, token or jurisdiction, 403 for a missing or bad api_key
// and 400 for everything else (the spec's list). The core's own refusals on /open311/ paths
// (unknown path 404, wrong method 405, body too large 413, malformed query or form 400, rejected
// Authorization 401, busy database 503, a bug 500) come through error_formats() as the same
// lists with their HTTP status as code. Descriptions follow the request language: the `locale`
// parameter when it names a catalog language, else the core's choice (cookie, Accept-Language).
// Ids are strings in JSON.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

#include "app/config.hpp"

#include "core/http/response.hpp"
#include "core/region/regency.hpp"
#include "core/util/clock.hpp"
#include "core/util/strings.hpp"
#include "core/http/pending.hpp"
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
        // XML 1.0 has no other C0 control characters (a form field name may carry them).
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out.push_back('?');
            continue;
        }
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

bool xml_path(std::string_view path) { return path.size() >= 4 && path.substr(path.size() - 4) == ".xml"; }

// The catalog language named by an Open311 `locale` ("en", "en-US", "en_GB", "id_ID", ...), or
// `fallback` when it names none.
std::string locale_lang(const core::web::I18n& i18n, std::string_view locale, const std::string& fallback) {
    if (locale.empty() || locale.size() > 35) return fallback;
    std::string tag(locale);
    std::replace(tag.begin(), tag.end(), '_', '-');
    return i18n.negotiate(tag, fallback);
}

// Messages of one request's language.
struct Tr {
    const core::web::Views& views;
    const std::string& lang;
    std::string operator()(const std::string& key) const { return views.t(lang, key); }
};

// start_date and end_date: a window of at most 90 days; without end_date it is the 90 days from
// start_date, without both the 90 days up to now.
void date_window(const http::Form& q, std::int64_t now, const Tr& tr, std::vector<O311Error>& errs,
                 std::int64_t& start, std::int64_t& end) {
    const std::string sd(q.value("start_date")), ed(q.value("end_date"));
    const bool have_start = !sd.empty(), have_end = !ed.empty();
    bool parsed = true;
    if (have_start && !parse_iso8601(sd, start)) {
        errs.push_back({400, "start_date: " + tr("layanan_o311_bad_date")});
        parsed = false;
    }
    if (have_end && !parse_iso8601(ed, end)) {
        errs.push_back({400, "end_date: " + tr("layanan_o311_bad_date")});
        parsed = false;
    }
    if (!parsed) return;
    if (!have_end) end = have_start ? start + kMaxSpan : now;
    if (!have_start) start = end - kMaxSpan;
    if (end < start) errs.push_back({400, "end_date: " + tr("layanan_o311_range_order")});
    else if (end - start > kMaxSpan) errs.push_back({400, "end_date: " + tr("layanan_o311_range_90")});
}

// page (1..1,000,000, default 1) and page_size (1..1,000, default 1,000), as one SQL window.
void paging(const http::Form& q, const Tr& tr, std::vector<O311Error>& errs, int& limit, int& offset) {
    auto page = util::parse_int(q.value("page").empty() ? "1" : q.value("page"));
    auto size = util::parse_int(q.value("page_size").empty() ? "1000" : q.value("page_size"));
    const bool page_ok = page && *page >= 1 && *page <= 1000000;
    const bool size_ok = size && *size >= 1 && *size <= 1000;
    if (!page_ok) errs.push_back({400, "page: " + tr("layanan_o311_bad_page")});
    if (!size_ok) errs.push_back({400, "page_size: " + tr("layanan_o311_bad_page_size")});
    if (page_ok && size_ok) {
        limit = static_cast<int>(*size);
        offset = static_cast<int>((*page - 1) * *size);
    }
}

// A request's media_url: the link its client gave, else its first uploaded photo, else "".
std::string media_url_of(const Ticket& tk, const std::string& public_url) {
    if (!tk.media_url.empty()) return tk.media_url;
    return tk.photos.empty() ? std::string() : public_url + "/berkas/" + tk.photos.front();
}

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

std::vector<core::web::ErrorFormat> LayananModule::error_formats() const {
    return {{"/open311/", [this](const core::web::ErrorReport& r) { return o311_core_error(r); }}};
}

http::Response LayananModule::o311_core_error(const core::web::ErrorReport& r) const {
    std::string lang(r.lang);
    if (r.req) {  // the handler did not run: read `locale` from the query string here
        std::string_view target(r.req->target().data(), r.req->target().size());
        if (auto q = target.find('?'); q != std::string_view::npos)
            if (auto query = http::Form::parse(target.substr(q + 1)))
                lang = locale_lang(s_.views.i18n(), query->value("locale"), lang);
    }
    const unsigned code = static_cast<unsigned>(r.status);
    std::vector<O311Error> errs;
    for (const auto& f : r.error.fields) errs.push_back({code, f.field + ": " + s_.views.t(lang, f.message_key)});
    if (errs.empty()) {
        std::string key = r.error.message_key.empty() ? "err_generic" : r.error.message_key;
        if (key == "err_not_found") key = "layanan_o311_not_found";  // the core's says "page"
        errs.push_back({code, s_.views.t(lang, key)});
    }
    return errors(xml_path(r.path), errs);
}

std::optional<http::Response> LayananModule::o311_begin(Ctx& ctx, bool xml) const {
    std::string_view locale = ctx.query.value("locale");
    if (locale.empty()) locale = ctx.field("locale");
    ctx.lang = locale_lang(s_.views.i18n(), locale, ctx.lang);
    // jurisdiction_id: absent or empty is fine.
    std::string_view j = ctx.query.value("jurisdiction_id");
    if (j.empty()) j = ctx.field("jurisdiction_id");
    if (!j.empty() && j != s_.regency.domain) return error(xml, 404, t(ctx, "layanan_o311_jurisdiction"));
    return std::nullopt;
}

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
    if (auto e = o311_begin(ctx, xml)) return std::move(*e);
    json::array a;
    for (const auto& s : catalog_.services()) {
        if (!s.is_public) continue;
        a.push_back(json::object{{"service_code", s.code},
                                 {"service_name", s.name_in(ctx.lang)},
                                 {"description", s.description_in(ctx.lang)},
                                 {"metadata", !s.attributes.empty()},
                                 {"type", s.type},
                                 {"keywords", s.keywords},
                                 {"group", s.group_in(ctx.lang)}});
    }
    return answer(xml, http::Status::ok, a, "services", "service");
}

http::Response LayananModule::o311_service(Ctx& ctx, bool xml) {
    if (auto e = o311_begin(ctx, xml)) return std::move(*e);
    const Service* s = catalog_.find(std::string(ctx.param("code")));
    if (!s || !s->is_public) return error(xml, 404, t(ctx, "layanan_err_service_unknown"));
    json::array attrs;
    for (const auto& a : s->attributes) {
        json::array values;
        for (const auto& v : a.values) values.push_back(json::object{{"key", v.key}, {"name", v.name_in(ctx.lang)}});
        attrs.push_back(json::object{{"variable", a.variable},
                                     {"code", a.code},
                                     {"datatype", a.datatype},
                                     {"required", a.required},
                                     {"datatype_description", a.datatype_description_in(ctx.lang)},
                                     {"order", a.order},
                                     {"description", a.description_in(ctx.lang)},
                                     {"values", values}});
    }
    json::object def{{"service_code", s->code}, {"attributes", attrs}};
    return answer(xml, http::Status::ok, def, "service_definition", "");
}

http::Response LayananModule::o311_post(Ctx& ctx, bool xml) { return *o311_submit(ctx, xml, false); }

std::optional<http::Response> LayananModule::o311_post_fast(Ctx& ctx, bool xml) { return o311_submit(ctx, xml, true); }

std::optional<http::Response> LayananModule::o311_submit(Ctx& ctx, bool xml, bool io_thread) {
    if (auto e = o311_begin(ctx, xml)) return std::move(*e);
    const http::Form* form = ctx.form ? &*ctx.form : ctx.multipart ? &ctx.multipart->fields : nullptr;
    if (!form) return error(xml, 400, t(ctx, "layanan_o311_form_required"));
    const std::string raw_key(ctx.field("api_key"));
    if (raw_key.empty()) return error(xml, 403, t(ctx, "layanan_o311_key_missing"));
    // On the I/O thread only a key checked recently is known; any other is looked up on a worker.
    auto key = io_thread ? svc_->cached_api_key(raw_key) : svc_->check_api_key(raw_key);
    if (!key) {
        if (io_thread) return std::nullopt;
        return error(xml, 403, t(ctx, "layanan_o311_key_invalid"));
    }
    // A media file is written to the file store: work for a worker.
    if (io_thread && ctx.multipart)
        for (const auto& f : ctx.multipart->files)
            if (f.field == "media" && !f.data.empty()) return std::nullopt;

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
    in.media_url = std::string(util::trim(ctx.field("media_url")));
    for (const bool lat : {true, false}) {
        const std::string name = lat ? "lat" : "long";
        const auto c = parse_coordinate(ctx.field(name), lat);
        if (c.problem == Coordinate::Problem::not_number) errs.push_back({400, name + ": " + t(ctx, "layanan_o311_not_number")});
        else if (c.problem == Coordinate::Problem::out_of_range)
            errs.push_back({400, name + ": " + t(ctx, lat ? "layanan_o311_lat_range" : "layanan_o311_long_range")});
        else (lat ? in.lat : in.lng) = c.value;
    }
    for (const auto& [name, value] : form->fields()) {
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
    // A photo may come as one multipart file part named "media" (an empty one counts as absent).
    std::size_t media_files = 0;
    if (ctx.multipart)
        for (const auto& f : ctx.multipart->files) {
            if (f.field != "media") errs.push_back({400, f.field + ": " + t(ctx, "layanan_o311_file_unexpected")});
            else if (!f.data.empty()) ++media_files;
        }
    if (media_files > 1) errs.push_back({400, "media: " + t(ctx, "layanan_o311_media_one")});
    else if (media_files == 1 && !in.media_url.empty()) errs.push_back({400, "media: " + t(ctx, "layanan_o311_media_both")});
    if (errs.empty()) {
        if (auto st = svc_->validate(in, false); !st)
            for (const auto& f : st.error().fields) errs.push_back({400, f.field + ": " + t(ctx, f.message_key)});
    }
    if (!errs.empty()) return errors(xml, errs);
    // The file is stored only once everything else is valid (the web form's order too).
    if (media_files == 1) {
        auto stored = store_photos(ctx, "media", 1, std::nullopt);
        if (!stored) {
            for (const auto& f : stored.error().fields) errs.push_back({400, f.field + ": " + t(ctx, f.message_key)});
            return errors(xml, errs);
        }
        in.photos = std::move(*stored);
    }
    core::audit::Actor actor{std::nullopt, "open311:" + key->name, "api_key", std::nullopt};
    // Acknowledged only once the transaction is on disk (core/db: the WAL is fdatasync'ed). No
    // thread waits for it: the commit's thread resolves the answer, which is built on the
    // connection's thread.
    auto pending = std::make_shared<http::PendingAnswer>();
    auto st = svc_->submit_report_async(
        in, std::nullopt, actor, [this, pending, xml, lang = ctx.lang](core::db::Outcome<Result<Ticket>> out) {
            auto kept = std::make_shared<core::db::Outcome<Result<Ticket>>>(std::move(out));
            pending->resolve([this, kept, xml, lang] {
                cache_.clear();  // the new report shows in the lists at once
                return o311_created(kept->get(), xml, lang);  // get() rethrows a failed write's error
            });
        });
    if (!st) return o311_created(st.error(), xml, ctx.lang);
    return http::pending_response(std::move(pending));
}

http::Response LayananModule::o311_created(Result<Ticket> r, bool xml, const std::string& lang) const {
    if (!r) {
        if (r.error().code == ErrorCode::not_found) return error(xml, 404, t(lang, r.error().message_key));
        std::vector<O311Error> v;
        for (const auto& f : r.error().fields) v.push_back({400, f.field + ": " + t(lang, f.message_key)});
        if (v.empty()) v.push_back({400, t(lang, r.error().message_key)});
        return errors(xml, v);
    }
    json::array out{json::object{{"service_request_id", std::to_string(r->id)},
                                 {"service_notice", t(lang, "layanan_o311_notice") + " " + r->code},
                                 {"account_id", nullptr},
                                 {"media_url", media_url_of(*r, s_.config.public_url)}}};
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
                   {"service_name", svc ? svc->name_in(lang) : tk.service_code},
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
                   {"media_url", media_url_of(tk, public_url)}};
    if (auto d = tk.next_due()) o["expected_datetime"] = format_iso8601(*d, offset);
    if (tk.lat && tk.lng) {
        o["lat"] = *tk.lat;
        o["long"] = *tk.lng;
    }
    return o;
}
}  // namespace

http::Response LayananModule::o311_requests(Ctx& ctx, bool xml) {
    if (auto e = o311_begin(ctx, xml)) return std::move(*e);
    const Tr tr{s_.views, ctx.lang};
    store::PublicFilter f;
    std::vector<O311Error> errs;
    if (const auto raw_ids = util::trim(ctx.query.value("service_request_id")); !raw_ids.empty()) {
        // The spec: service_request_id overrides every other argument. Filters, dates, status and
        // paging are neither read nor checked; every listed request comes back in one answer.
        const auto ids = comma_list(raw_ids);
        for (const auto& id : ids) {
            auto n = util::parse_int(id);
            if (!n || *n <= 0) {
                errs.push_back({400, "service_request_id: " + tr("layanan_o311_bad_id")});
                break;
            }
            f.ids.push_back(*n);
        }
        if (ids.empty()) errs.push_back({400, "service_request_id: " + tr("layanan_o311_bad_id")});
        if (ids.size() > 1000) errs.push_back({400, "service_request_id: " + tr("layanan_o311_too_many")});
        if (!errs.empty()) return errors(xml, errs);
        f.limit = static_cast<int>(f.ids.size());
        return render_requests(ctx, xml, f);
    }
    f.service_codes = comma_list(ctx.query.value("service_code"));
    date_window(ctx.query, s_.clock.now(), tr, errs, f.start, f.end);
    const auto statuses = comma_list(ctx.query.value("status"));
    if (!statuses.empty()) {
        f.want_open = f.want_closed = false;
        for (const auto& s : statuses) {
            if (s == "open") f.want_open = true;
            else if (s == "closed") f.want_closed = true;
            else errs.push_back({400, "status: " + tr("layanan_o311_bad_status")});
        }
    }
    paging(ctx.query, tr, errs, f.limit, f.offset);
    if (!errs.empty()) return errors(xml, errs);
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
    if (auto e = o311_begin(ctx, xml)) return std::move(*e);
    auto id = util::parse_int(ctx.param("id"));
    if (!id || *id <= 0) return error(xml, 404, t(ctx, "layanan_err_ticket_unknown"));
    store::PublicFilter f;
    f.ids = {*id};
    auto rows = s_.db.read([&](core::db::Connection& c) { return store::public_requests(c, f); });
    if (rows.empty()) return error(xml, 404, t(ctx, "layanan_err_ticket_unknown"));
    return render_requests(ctx, xml, f);
}

http::Response LayananModule::o311_token(Ctx& ctx, bool xml) {
    if (auto e = o311_begin(ctx, xml)) return std::move(*e);
    auto tk = svc_->by_code(std::string(ctx.param("token")));
    if (!tk || !tk->is_public) return error(xml, 404, t(ctx, "layanan_o311_token_unknown"));
    json::array a{json::object{{"service_request_id", std::to_string(tk->id)}, {"token", tk->code}}};
    return answer(xml, http::Status::ok, a, "service_requests", "request");
}

http::Response LayananModule::o311_updates(Ctx& ctx, bool xml) {
    if (auto e = o311_begin(ctx, xml)) return std::move(*e);
    const Tr tr{s_.views, ctx.lang};
    std::int64_t start = 0, end = 0;
    int limit = 1000, offset = 0;
    std::vector<O311Error> errs;
    date_window(ctx.query, s_.clock.now(), tr, errs, start, end);
    paging(ctx.query, tr, errs, limit, offset);
    if (!errs.empty()) return errors(xml, errs);
    auto rows = s_.db.read([&](core::db::Connection& c) { return store::public_updates(c, start, end, limit, offset); });
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
