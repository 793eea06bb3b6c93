#include "modules/satudata/satudata_module.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <filesystem>
#include <chrono>
#include <map>
#include <set>
#include <spdlog/spdlog.h>
#include <system_error>

#include "app/config.hpp"
#include "core/auth/auth_service.hpp"
#include "core/auth/crypto.hpp"
#include "core/files/file_store.hpp"
#include "core/http/body.hpp"
#include "core/http/context.hpp"
#include "core/http/response.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/region/regency.hpp"
#include "core/util/strings.hpp"
#include "modules/satudata/satudata_policy.hpp"
#include "modules/satudata/satudata_store.hpp"
#include "modules/satudata/xlsx_writer.hpp"

namespace gapura::modules::satudata {

namespace http = core::http;
namespace web = core::web;
namespace bhttp = http::bhttp;
using web::Data;

namespace {
constexpr const char* kCatalogLink = "</catalog.jsonld>; rel=\"alternate\"; type=\"application/ld+json\"";
}

std::unique_ptr<core::Module> make_satudata_module(const core::CoreServices& services) {
    return std::make_unique<SatuDataModule>(services);
}

std::vector<core::db::Migration> SatuDataModule::migrations() const {
    auto all = store::migrations();
    for (auto& m : OpdTokenService::migrations()) all.push_back(std::move(m));  // versions 5 and 6, after the store's own
    all.push_back(store::search_vocab_migration());  // version 7
    return all;
}

bool SatuDataModule::seen_before(const std::string& key) {
    const std::uint64_t h = std::hash<std::string>{}(key) | 1;  // never 0, the empty slot
    return cache_seen_[h % cache_seen_.size()].exchange(h, std::memory_order_relaxed) == h;
}

void SatuDataModule::register_routes(http::Router& r) {
    using M = http::Method;
    http::RouteOptions api;
    api.api = true;
    http::RouteOptions api_post = api;
    api_post.body_limit = 256 * 1024;
    // The CSV streams to disk and through the validator while it arrives (core/http/upload.hpp):
    // who may upload is settled before the body is read, a fatal error (a ZIP posing as CSV)
    // stops the read at once, and only a valid file is adopted into the file store.
    http::RouteOptions upload_opts;
    upload_opts.body_limit = SatuDataService::kMaxUploadBytes + (1 << 20);  // the file plus multipart framing
    upload_opts.too_large_key = "satudata_err_file_too_large";
    auto up = std::make_shared<http::UploadRoute>();
    up->limits.max_file_bytes = SatuDataService::kMaxUploadBytes;
    up->limits.max_files = 1;
    up->start = [this](Ctx& c) { return upload_start(c); };
    upload_opts.upload = std::move(up);
    // Anonymous reads of the catalog and of the CKAN API give the same bytes to everyone for the
    // same URL: kept 5 s in cache_ from a URL's second answer on (seen_before; a hit is answered on
    // the I/O thread, RouteOptions::fast), and
    // dropped by every write that changes what the public sees (metadata edits, submission, walidata
    // steps; a new upload is not public before the walidata publishes it).
    auto cache_key = [](const char* tag, const Ctx& c) { return std::string(tag) + '|' + c.lang + '|' + c.path + '?' + c.target_query; };
    // No session and no credential header: an OPD token (Authorization or X-CKAN-API-Key) is read
    // by the CKAN handler itself, not by the pipeline, so ctx.principal alone does not show it.
    auto anonymous = [](const Ctx& c) {
        return !c.principal && c.req.find(http::bhttp::field::authorization) == c.req.end() &&
               c.req.find("X-CKAN-API-Key") == c.req.end();
    };
    auto cached = [this, cache_key, anonymous](const char* tag, auto handler) {
        return [this, cache_key, anonymous, tag, handler](Ctx& c) -> Res {
            auto res = handler(c);
            if (anonymous(c) && c.req.method() == M::get && res.result() == http::Status::ok && c.set_cookies.empty())
                if (auto key = cache_key(tag, c); seen_before(key)) cache_.put(key, res.body(), s_.clock.now());
            return res;
        };
    };
    auto from_cache = [this, cache_key, anonymous](http::RouteOptions o, const char* tag) {
        o.fast = [this, cache_key, anonymous, tag](Ctx& c) -> std::optional<Res> {
            if (!anonymous(c)) return std::nullopt;
            auto body = cache_.get(cache_key(tag, c), s_.clock.now());
            if (!body) return std::nullopt;
            if (std::string(tag) == "ckan") {
                auto res = http::json_response(http::Status::ok, *body);
                res.set("Access-Control-Allow-Origin", "*");
                return res;
            }
            auto res = http::make_response(http::Status::ok, *body, "text/html; charset=utf-8");
            res.set(bhttp::field::link, kCatalogLink);
            return res;
        };
        return o;
    };
    auto writes = [this](auto handler) {
        return [this, handler](Ctx& c) -> Res {
            auto res = handler(c);
            cache_.clear();
            return res;
        };
    };
    // Public.
    r.add(M::get, "/data", cached("html", [this](Ctx& c) { return catalog(c); }), from_cache({}, "html"));
    r.add(M::get, "/data/jadwal", [this](auto& c) { return schedule(c); });
    r.add(M::post, "/data/jadwal", [this](auto& c) { return schedule_add(c); });
    r.add(M::get, "/data/permohonan", [this](auto& c) { return info_list(c); });
    r.add(M::post, "/data/permohonan", [this](auto& c) { return info_ask(c); });
    r.add(M::get, "/data/permohonan/{id}", [this](auto& c) { return info_page(c); });
    r.add(M::post, "/data/permohonan/{id}/perpanjang", [this](auto& c) { return info_extend(c); });
    r.add(M::post, "/data/permohonan/{id}/jawab", [this](auto& c) { return info_answer(c); });
    r.add(M::get, "/data/{slug}", [this](auto& c) { return dataset_page(c); });
    r.add(M::get, "/data/{slug}/unduh/{no}.csv", [this](auto& c) { return download(c, Format::csv); });
    r.add(M::get, "/data/{slug}/unduh/{no}.json", [this](auto& c) { return download(c, Format::json); });
    r.add(M::get, "/data/{slug}/unduh/{no}.xlsx", [this](auto& c) { return download(c, Format::xlsx); });
    r.add(M::get, "/data/{slug}/asli/{no}", [this](auto& c) { return download_original(c); });
    r.add(M::post, "/data/{slug}/minta-akses", [this](auto& c) { return request_access(c); });
    // Producers.
    r.add(M::get, "/data-opd", [this](auto& c) { return producer_home(c); });
    r.add(M::get, "/data-opd/baru", [this](auto& c) { return edit_form(c); });
    r.add(M::post, "/data-opd/baru", writes([this](Ctx& c) { return edit_save(c); }));
    r.add(M::get, "/data-opd/token", [this](auto& c) { return tokens_page(c); });
    r.add(M::post, "/data-opd/token", [this](auto& c) { return token_create(c); });
    r.add(M::post, "/data-opd/token/{id}/cabut", [this](auto& c) { return token_revoke(c); });
    r.add(M::get, "/data-opd/permintaan", [this](auto& c) { return requests_page(c); });
    r.add(M::post, "/data-opd/permintaan/{id}/setujui", [this](auto& c) { return decide_access(c, true); });
    r.add(M::post, "/data-opd/permintaan/{id}/tolak", [this](auto& c) { return decide_access(c, false); });
    r.add(M::get, "/data-opd/{id}", [this](auto& c) { return manage(c); });
    r.add(M::get, "/data-opd/{id}/ubah", [this](auto& c) { return edit_form(c); });
    r.add(M::post, "/data-opd/{id}/ubah", writes([this](Ctx& c) { return edit_save(c); }));
    r.add(M::post, "/data-opd/{id}/kolom", [this](auto& c) { return columns_save(c); });
    r.add(M::post, "/data-opd/{id}/unggah", [this](auto& c) { return upload(c); }, upload_opts);
    r.add(M::post, "/data-opd/{id}/ajukan", writes([this](Ctx& c) { return submit(c); }));  // metadata_modified moves
    // Walidata.
    r.add(M::get, "/walidata", [this](auto& c) { return desk(c); });
    r.add(M::post, "/walidata/{id}/kembalikan", writes([this](Ctx& c) { return desk_action(c, "return"); }));
    r.add(M::post, "/walidata/{id}/verifikasi", writes([this](Ctx& c) { return desk_action(c, "verify"); }));
    r.add(M::post, "/walidata/{id}/terbitkan", writes([this](Ctx& c) { return desk_action(c, "publish"); }));
    r.add(M::post, "/walidata/{id}/tarik", writes([this](Ctx& c) { return desk_action(c, "withdraw"); }));
    // CKAN Action API and DCAT.
    r.add(M::get, "/api/3/action/{action}", cached("ckan", [this](Ctx& c) { return ckan_action(c); }), from_cache(api, "ckan"));
    r.add(M::post, "/api/3/action/{action}", [this](auto& c) { return ckan_action(c); }, api_post);
    r.add(M::get, "/catalog.jsonld", [this](auto& c) { return dcat_catalog(c); });
}

void SatuDataModule::register_jobs(core::jobs::Scheduler& scheduler) {
    scheduler.every("satudata-access-expiry", 600, [this](std::int64_t) { svc_.expire_access(); });
    scheduler.every("satudata-xlsx-prune", 86400, [this](std::int64_t) { prune_xlsx_cache(); });
}

// ---------------------------------------------------------------- helpers

namespace {
void add_errors(Data& page, const web::Views& views, const std::string& lang, const Error* err) {
    if (!err) return;
    page.set("error_summary", views.t(lang, err->message_key));
    Data errors = web::object();
    Data list = web::list();
    for (const auto& f : err->fields) {
        errors.set(f.field, views.t(lang, f.message_key));
        Data item = web::object();
        item.set("field", f.field);
        item.set("message", views.t(lang, f.message_key));
        list.push_back(item);
    }
    page.set("errors", errors);
    page.set("error_list", list);
}

http::Response with_status(http::Response res, const Error* err) {
    if (err) res.result(http::status_for(err->code));
    return res;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
    return s;
}

Data options(const std::vector<std::string>& values, const std::string& selected, const web::Views& views,
             const std::string& lang, const std::string& prefix) {
    Data list = web::list();
    for (const auto& v : values) {
        Data o = web::object();
        o.set("value", v);
        o.set("label", prefix.empty() ? v : views.t(lang, prefix + v));
        o.set("selected", v == selected);
        list.push_back(o);
    }
    return list;
}

// Mustache treats "" as a true section: optional strings are set only when non-empty.
void set_text(Data& d, const std::string& key, const std::string& value) {
    if (!value.empty()) d.set(key, value);
}

std::optional<std::int64_t> id_param(http::RequestContext& ctx) { return util::parse_int(ctx.param("id")); }

std::string human(std::int64_t t, const core::region::Regency& r, const std::string& lang) {
    return format_human(t, r.utc_offset_minutes, lang);
}
}  // namespace

std::string SatuDataModule::error_text(const std::string& lang, const CellError& e) const {
    std::string prefix = e.column.empty() ? t(lang, "satudata_verr_row") : t(lang, "satudata_verr_row_col");
    prefix = replace_all(prefix, "{row}", format_count(e.row, lang));
    prefix = replace_all(prefix, "{col}", e.column);
    std::string msg = t(lang, "satudata_verr_" + e.code);
    msg = replace_all(msg, "{value}", e.value);
    msg = replace_all(msg, "{expected}", e.expected);
    return prefix + msg;
}

Data SatuDataModule::dataset_summary(const Dataset& d, const std::string& lang) const {
    Data o = web::object();
    o.set("id", std::to_string(d.id));
    o.set("slug", d.slug);
    o.set("title", d.title);
    o.set("description", d.description.size() > 300 ? d.description.substr(0, 300) + "…" : d.description);
    o.set("opd", d.opd_name);
    o.set("opd_slug", d.opd_slug);
    o.set("state", t(lang, std::string("satudata_state_") + d.state));
    o.set("state_code", d.state);
    o.set("visibility", t(lang, "satudata_vis_" + d.visibility));
    o.set("not_public", d.visibility != "public");
    if (d.year) o.set("year", std::to_string(d.year));
    o.set("level", t(lang, "satudata_level_" + d.region_level));
    o.set("updated", human(d.updated_at, s_.regency, lang));
    Data tags = web::list();
    for (const auto& tg : d.tags) {
        Data x = web::object();
        x.set("tag", tg);
        x.set("tag_q", util::percent_encode(tg));
        tags.push_back(x);
    }
    o.set("tags", tags);
    return o;
}

// ---------------------------------------------------------------- catalog

http::Response SatuDataModule::catalog(Ctx& ctx) {
    SearchQuery q;
    q.q = std::string(util::trim(ctx.query.value("q")));
    if (!util::valid_utf8(q.q)) return s_.views.error(ctx, ErrorCode::bad_request, "err_utf8");
    if (util::utf8_length(q.q) > kMaxQueryChars) return s_.views.error(ctx, ErrorCode::bad_request, "satudata_err_query");
    q.opd = std::string(ctx.query.value("opd"));
    if (auto tag = ctx.query.value("tag"); !tag.empty()) q.tags.emplace_back(tag);
    q.format = std::string(ctx.query.value("format"));
    q.year = static_cast<int>(util::parse_int(ctx.query.value("tahun")).value_or(0));
    q.level = std::string(ctx.query.value("tingkat"));
    const int page_no = static_cast<int>(std::clamp<std::int64_t>(util::parse_int(ctx.query.value("hal")).value_or(1), 1, 10000));
    q.rows = 20;
    q.start = (page_no - 1) * 20;
    q.sort = "score desc, metadata_modified desc";  // relevance when there is text, else newest first
    if (ctx.query.value("urut") == "judul") q.sort = "title asc";
    auto res = svc_.search(ctx.principal, q, true);

    Data page = web::object();
    page.set("q", q.q);
    page.set("count", format_count(res.count, ctx.lang));
    Data list = web::list();
    for (const auto& d : res.results) list.push_back(dataset_summary(d, ctx.lang));
    page.set("datasets", list);
    page.set("empty", res.results.empty());
    // Facets: each value is a link that keeps the other filters.
    auto link_with = [&](const std::string& key, const std::string& value) {
        std::string url = "/data?q=" + util::percent_encode(q.q);
        auto add = [&](const std::string& k, const std::string& v) {
            if (!v.empty()) url += "&" + k + "=" + util::percent_encode(v);
        };
        add("opd", key == "opd" ? value : q.opd);
        add("tag", key == "tag" ? value : (q.tags.empty() ? "" : q.tags[0]));
        add("format", key == "format" ? value : q.format);
        add("tahun", key == "tahun" ? value : (q.year ? std::to_string(q.year) : ""));
        add("tingkat", key == "tingkat" ? value : q.level);
        return url;
    };
    std::map<std::string, std::string> opd_names;
    for (const auto& o : s_.regency.opds) opd_names[o.slug] = o.abbreviation;
    Data facets = web::list();
    const std::pair<const char*, const char*> fields[] = {{"organization", "opd"}, {"tags", "tag"}, {"res_format", "format"},
                                                          {"year", "tahun"}, {"region_level", "tingkat"}};
    for (const auto& [field, param] : fields) {
        Data f = web::object();
        f.set("title", t(ctx.lang, std::string("satudata_facet_") + field));
        Data items = web::list();
        std::string current = std::string(ctx.query.value(param));
        for (const auto& [value, count] : res.facets[field]) {
            Data it = web::object();
            std::string label = value;
            if (std::string(field) == "organization" && opd_names.count(value)) label = opd_names[value];
            if (std::string(field) == "region_level") label = t(ctx.lang, "satudata_level_" + value);
            it.set("label", label);
            it.set("count", format_count(count, ctx.lang));
            it.set("href", link_with(param, value == current ? "" : value));
            it.set("active", value == current);
            items.push_back(it);
        }
        f.set("items", items);
        f.set("has_items", !res.facets[field].empty());
        facets.push_back(f);
    }
    page.set("facets", facets);
    std::string base = link_with("", "");
    if (res.count > q.start + q.rows) page.set("next", base + "&hal=" + std::to_string(page_no + 1));
    if (page_no > 1) page.set("prev", base + "&hal=" + std::to_string(page_no - 1));
    page.set("is_producer", ctx.principal && (ctx.principal->is(core::auth::Role::operator_opd) || policy::is_walidata(*ctx.principal)));
    page.set("is_walidata", ctx.principal && policy::is_walidata(*ctx.principal));
    {
        core::web::Data links = core::web::list();
        core::web::Data alt = core::web::object();
        alt.set("rel", "alternate");
        alt.set("type", "application/ld+json");
        alt.set("href", "/catalog.jsonld");
        links.push_back(alt);
        page.set("head_links", links);
    }
    auto out = s_.views.page(ctx, "satudata/catalog", page, t(ctx.lang, "satudata_catalog_title"));
    out.set(bhttp::field::link, kCatalogLink);
    return out;
}

// ---------------------------------------------------------------- dataset page

http::Response SatuDataModule::dataset_page(Ctx& ctx) {
    auto r = svc_.viewable(ctx.principal, std::string(ctx.param("slug")));
    if (!r) {
        if (r.error().code == ErrorCode::forbidden) {
            auto d = svc_.find_slug(std::string(ctx.param("slug")));
            Data page = web::object();
            page.set("title", d ? d->title : std::string());
            page.set("slug", d ? d->slug : std::string());
            page.set("opd", d ? d->opd_name : std::string());
            page.set("csrf", ctx.csrf());
            return s_.views.page(ctx, "satudata/restricted", page, t(ctx.lang, "satudata_restricted_title"),
                                 http::Status::forbidden);
        }
        return s_.views.error(ctx, r.error());
    }
    const Dataset& d = *r;
    Data page = dataset_summary(d, ctx.lang);
    page.set("description", d.description);
    for (auto [k, v] : {std::pair{"konsep", &d.konsep}, {"definisi", &d.definisi}, {"klasifikasi", &d.klasifikasi},
                        {"ukuran", &d.ukuran}, {"satuan", &d.satuan}, {"contact_name", &d.contact_name},
                        {"contact_email", &d.contact_email}, {"license", &d.license_id}})
        page.set(k, *v);
    page.set("period", d.period_start + (d.period_end.empty() || d.period_end == d.period_start ? "" : " – " + d.period_end));
    page.set("frequency", t(ctx.lang, "satudata_freq_" + d.frequency));
    const bool producer = ctx.principal && policy::can_see_unpublished(*ctx.principal, d);
    page.set("producer", producer);
    page.set("unpublished", !d.publicly_listed());

    auto vers = svc_.visible_versions(ctx.principal, d);
    Data vlist = web::list();
    for (const auto& v : vers) {
        Data o = web::object();
        o.set("no", std::to_string(v.version_no));
        o.set("rows", format_count(v.row_count, ctx.lang));
        o.set("size", format_count(v.size, ctx.lang));
        o.set("sha256", v.sha256);
        o.set("at", human(v.created_at, s_.regency, ctx.lang));
        o.set("published", d.published_version_id && *d.published_version_id == v.id);
        vlist.push_back(o);
    }
    page.set("versions", vlist);
    page.set("has_versions", !vers.empty());
    // Preview of the current version: 50 rows a page, streamed from the stored file.
    if (!vers.empty()) {
        const Version* cur = &vers.front();
        if (!producer && d.published_version_id)
            for (const auto& v : vers)
                if (v.id == *d.published_version_id) cur = &v;
        page.set("current_no", std::to_string(cur->version_no));
        const std::int64_t per = 50;
        const std::int64_t pg = std::clamp<std::int64_t>(util::parse_int(ctx.query.value("hal")).value_or(1), 1, 1000000);
        const std::int64_t first = (pg - 1) * per + 2, last = first + per;  // record numbers (header = 1)
        auto bytes = s_.files.read(cur->sha256);
        Data header = web::list(), rows = web::list();
        if (bytes) {
            CsvReader reader([&](std::int64_t no, std::vector<std::string>& f, bool) {
                if (no == 1) {
                    for (auto& h : f) {
                        Data x = web::object();
                        x.set("v", h);
                        header.push_back(x);
                    }
                    return true;
                }
                if (no < first) return true;
                if (no >= last) return false;
                Data row = web::object();
                Data cells = web::list();
                for (auto& v : f) {
                    Data x = web::object();
                    x.set("v", v);
                    cells.push_back(x);
                }
                row.set("cells", cells);
                rows.push_back(row);
                return true;
            });
            reader.feed(*bytes);
            reader.finish();
        }
        page.set("header", header);
        page.set("rows", rows);
        std::string self = "/data/" + d.slug + "?hal=";
        if (pg * per < cur->row_count) page.set("next", self + std::to_string(pg + 1));
        if (pg > 1) page.set("prev", self + std::to_string(pg - 1));
        page.set("page_info", replace_all(replace_all(t(ctx.lang, "satudata_preview_info"), "{page}", std::to_string(pg)),
                                          "{rows}", format_count(cur->row_count, ctx.lang)));
    }
    // History: the audit trail of this dataset.
    auto history = s_.db.read([&](core::db::Connection& c) { return s_.audit.for_object(c, "dataset", std::to_string(d.id), 50); });
    Data hist = web::list();
    for (const auto& e : history) {
        Data o = web::object();
        o.set("at", human(e.at, s_.regency, ctx.lang));
        o.set("action", t(ctx.lang, "satudata_action_" + e.action.substr(e.action.find('.') + 1)));
        hist.push_back(o);
    }
    page.set("history", hist);
    page.set("withdrawn", d.state == kWithdrawn);
    set_text(page, "withdraw_reason", d.withdraw_reason);
    page.set("csrf", ctx.csrf());
    return s_.views.page(ctx, "satudata/dataset", page, d.title);
}

SatuDataModule::Caller SatuDataModule::caller_of(Ctx& ctx) {
    Caller who;
    // CKAN's headers: "Authorization: <key>" (or "Bearer <key>"), older clients "X-CKAN-API-Key".
    // An empty header counts as none; the key is never logged.
    std::string_view key = util::trim(ctx.header(bhttp::field::authorization));
    if (key.size() >= 7 && util::iequals(key.substr(0, 7), "Bearer ")) key = util::trim(key.substr(7));
    if (key.empty())
        if (auto it = ctx.req.find("X-CKAN-API-Key"); it != ctx.req.end())
            key = util::trim(std::string_view(it->value().data(), it->value().size()));
    if (key.empty()) {
        who.principal = ctx.principal;
        return who;
    }
    if (util::starts_with(key, OpdTokenService::kSecretPrefix)) who.token = tokens_.check(key);
    else if (key.size() <= 200) who.principal = s_.auth.token_principal(std::string(key));
    who.refused = !who.token && !who.principal;
    return who;
}

Viewer SatuDataModule::Caller::policy_viewer() const { return policy::viewer_of(principal); }

namespace {
// The version numbered `no` among those the principal may download.
std::optional<Version> pick_version(const std::vector<Version>& vers, std::string_view no_text) {
    auto no = util::parse_int(no_text);
    if (!no) return std::nullopt;
    for (const auto& v : vers)
        if (v.version_no == *no) return v;
    return std::nullopt;
}

ColumnType type_of(const std::vector<ColumnSpec>& cols, const std::string& name) {
    for (const auto& c : cols)
        if (util::iequals(c.name, name)) return c.type;
    return ColumnType::text;
}

// A typed cell's number in plain form ("+5" -> "5", "3,5" -> "3.5"); nullopt when the value does
// not fit the column's type (a version validated against older columns).
std::optional<std::string> number_text(ColumnType type, std::string_view val) {
    if (val.empty()) return std::nullopt;
    if (type == ColumnType::integer) {
        if (auto n = util::parse_int(val[0] == '+' ? val.substr(1) : val)) return std::to_string(*n);
    } else if (type == ColumnType::decimal) {
        std::string d(val[0] == '+' ? val.substr(1) : val);
        std::replace(d.begin(), d.end(), ',', '.');
        if (!d.empty() && d[0] == '.') d.insert(d.begin(), '0');
        if (util::parse_double(d) && XlsxWriter::plain_number(d)) return d;
    }
    return std::nullopt;
}
}  // namespace

// A stored CSV rendered piece by piece while it is sent (issue #4): the file is read 64 KiB at a
// time into a CsvReader whose record callback appends the rendering of each record to `pending`;
// each call of the generator hands out about 256 KiB. Memory holds one piece, not the file.
struct SatuDataModule::CsvRendering {
    std::shared_ptr<http::BodySource> file;
    std::unique_ptr<CsvReader> reader;
    std::string pending;  // rendered, not yet handed out
    std::string in;
    std::string tail;  // appended after the last record
    bool ended = false;

    bool fill(std::string& out) {
        constexpr std::size_t kPiece = 256 * 1024;
        while (pending.size() < kPiece && !ended) {
            in.clear();
            const bool more = file->next(in, 64 * 1024);
            if (!in.empty()) reader->feed(in);
            if (!more) {
                reader->finish();
                pending += tail;
                ended = true;
                file.reset();
            }
        }
        if (out.empty()) out.swap(pending);
        else out += pending;
        pending.clear();
        return !ended;
    }
};

namespace {
// Appends the JSON object of one data record (the same bytes as serialising a boost::json object
// of the row): typed by the dataset's columns, empty cells null.
void append_json_row(std::string& out, const std::vector<std::string>& header, const std::vector<ColumnSpec>& cols,
                     std::vector<std::string>& f) {
    boost::json::object o;
    for (std::size_t i = 0; i < f.size() && i < header.size(); ++i) {
        const ColumnType type = type_of(cols, header[i]);
        std::string_view val = util::trim(f[i]);
        if (val.empty()) o[header[i]] = nullptr;
        // A version is validated against the columns of its day; columns retyped later
        // may not fit it: such a value stays text (never a crash, never an invented 0).
        else if (type == ColumnType::integer) {
            if (auto n = util::parse_int(val[0] == '+' ? val.substr(1) : val)) o[header[i]] = *n;
            else o[header[i]] = std::string(val);
        } else if (type == ColumnType::decimal) {
            std::string d(val);
            std::replace(d.begin(), d.end(), ',', '.');
            if (auto x = util::parse_double(d[0] == '+' ? d.substr(1) : d)) o[header[i]] = *x;
            else o[header[i]] = std::string(val);
        } else if (type == ColumnType::boolean) {
            auto l = util::to_lower_ascii(val);
            o[header[i]] = l == "ya" || l == "true" || l == "1";
        } else
            o[header[i]] = std::string(val);
    }
    out += boost::json::serialize(o);
}

// Writes the XLSX of a stored CSV to `fd`; false when the sheet exceeds a spreadsheet's limits.
bool write_xlsx(core::http::BodySource& file, const std::vector<ColumnSpec>& cols, std::int64_t modified, int fd) {
    // Rows are deflated as they are read and the workbook goes to the file as it grows: memory
    // holds a 64 KiB piece of the CSV and about 1 MiB of the workbook.
    XlsxWriter book(modified, fd);
    std::vector<ColumnType> types;
    std::vector<std::string> numbers;
    std::vector<XlsxCell> cells;
    bool fits = true;
    CsvReader reader([&](std::int64_t no, std::vector<std::string>& f, bool) {
        if (no == 1)
            for (auto& h : f) types.push_back(type_of(cols, std::string(util::trim(h))));
        cells.assign(f.size(), XlsxCell{});
        numbers.assign(f.size(), std::string());
        for (std::size_t i = 0; i < f.size(); ++i) {
            std::string_view val = f[i];
            if (no > 1 && i < types.size()) {
                if (auto n = number_text(types[i], util::trim(val))) {
                    numbers[i] = std::move(*n);
                    cells[i] = {numbers[i], true};
                    continue;
                }
            }
            cells[i] = {val, false};
        }
        fits = book.add_row(cells);
        return fits;
    });
    std::string in;
    for (bool more = true; more && fits;) {
        in.clear();
        more = file.next(in, 64 * 1024);
        if (!in.empty()) reader.feed(in);
    }
    if (fits) reader.finish();
    if (!fits) return false;
    book.finish();
    return true;
}
}  // namespace

std::string SatuDataModule::xlsx_cache_path(const Version& v, const std::vector<ColumnSpec>& cols) const {
    // The workbook depends on the CSV's bytes, the version's date (in the ZIP entries) and the
    // columns' current types; "x1" names the writer's output format, to change when it does.
    std::string key = "x1|" + v.sha256 + "|" + std::to_string(v.created_at);
    for (const auto& c : cols) key += "|" + util::to_lower_ascii(c.name) + ":" + std::string(column_type_name(c.type));
    return s_.files.root() + "/satudata-xlsx/" + core::auth::Crypto::sha256_hex(key) + ".xlsx";
}

// XLSX: rendered once to a file beside the store (temp file, fsync, atomic rename), then sent
// from disk like any stored file; nullptr when the sheet is too big for a spreadsheet. A ZIP's
// local headers carry the CRC and sizes of their entry, so the same bytes as the in-memory
// writer cannot be sent before the whole sheet is compressed; the file also gives the answer a
// Content-Length and makes the next download of the same version a plain file read.
std::shared_ptr<http::BodySource> SatuDataModule::xlsx_file(const Version& v, const std::vector<ColumnSpec>& cols,
                                                            const std::string& path) {
    namespace fs = std::filesystem;
    if (auto cached = http::file_source(path)) return cached;
    if (v.row_count >= XlsxWriter::kMaxRows) return nullptr;  // refused before any work
    // Two first requests for the same workbook: the second waits for the first's file.
    std::shared_ptr<std::mutex> lock;
    {
        std::lock_guard g(xlsx_mu_);
        auto& m = xlsx_locks_[path];
        if (!m) m = std::make_shared<std::mutex>();
        lock = m;
    }
    std::unique_lock rendering(*lock);
    struct Forget {  // the entry goes when no other request holds it
        SatuDataModule& self;
        const std::string& path;
        std::shared_ptr<std::mutex>& lock;
        ~Forget() {
            std::lock_guard g(self.xlsx_mu_);
            if (lock.use_count() == 2) self.xlsx_locks_.erase(path);  // the map's and this one
        }
    } forget{*this, path, lock};
    if (auto cached = http::file_source(path)) return cached;
    auto csv = s_.files.open(v.sha256);
    if (!csv) throw std::runtime_error("satudata: stored file missing " + v.sha256);
    fs::create_directories(fs::path(path).parent_path());
    const std::string tmp = path + "." + core::auth::Crypto::random_token(6) + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "satudata: creating " + tmp);
    struct Cleanup {
        int fd;
        const std::string& tmp;
        bool keep = false;
        ~Cleanup() {
            if (fd >= 0) ::close(fd);
            if (!keep) ::unlink(tmp.c_str());
        }
    } cleanup{fd, tmp};
    if (!write_xlsx(*csv, cols, v.created_at, fd)) return nullptr;
    if (::fdatasync(fd) != 0) throw std::system_error(errno, std::generic_category(), "satudata: fdatasync");
    ::close(cleanup.fd);
    cleanup.fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw std::system_error(errno, std::generic_category(), "satudata: rename");
    cleanup.keep = true;
    auto served = http::file_source(path);
    if (!served) throw std::runtime_error("satudata: rendered workbook vanished " + path);
    return served;
}

int SatuDataModule::prune_xlsx_cache() {
    namespace fs = std::filesystem;
    const fs::path dir = s_.files.root() + "/satudata-xlsx";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return 0;
    std::set<std::string> keep;
    for (const std::int64_t id : svc_.dataset_ids()) {
        const auto cols = svc_.columns(id);
        for (const auto& v : svc_.versions(id)) keep.insert(fs::path(xlsx_cache_path(v, cols)).filename().string());
    }
    const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
    int removed = 0;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::directory_entry& e = *it;
        if (!e.is_regular_file(ec) || keep.count(e.path().filename().string())) continue;
        const auto mtime = e.last_write_time(ec);
        if (ec || mtime > cutoff) continue;  // a rendering may still be writing it
        if (fs::remove(e.path(), ec)) ++removed;  // a download reading it keeps its open file
    }
    if (removed > 0) spdlog::info("satudata: removed {} cached workbooks no version uses", removed);
    return removed;
}

http::Response SatuDataModule::download(Ctx& ctx, Format format) {
    const auto who = caller_of(ctx);
    if (who.refused) return s_.views.error(ctx, ErrorCode::forbidden, "satudata_err_token_invalid");
    const std::string slug(ctx.param("slug"));
    auto r = who.token ? svc_.viewable(who.viewer(), slug) : svc_.viewable(who.principal, slug);
    if (!r) return s_.views.error(ctx, r.error());
    auto v = pick_version(svc_.visible_versions(who.principal, *r), ctx.param("no"));
    if (!v) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto cols = svc_.columns(r->id);
    // Everything that can fail with a status is decided here, before the first byte is sent.
    std::shared_ptr<http::BodySource> body;
    const char* mime = "text/csv";
    const char* ext = ".csv";
    std::string etag;
    if (format == Format::xlsx) {
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        ext = ".xlsx";
        // The cache file's name is a hash of what the workbook's bytes depend on: a strong ETag
        // (If-None-Match, and If-Range for a download resumed with Range). Computed once: the
        // file sent and the ETag come from the same name.
        const std::string path = xlsx_cache_path(*v, cols);
        etag = "\"" + std::filesystem::path(path).stem().string() + "\"";
        if (ctx.header(bhttp::field::if_none_match) == etag) {
            http::Response nm{http::Status::not_modified, 11};
            nm.set(bhttp::field::etag, etag);
            return nm;
        }
        body = xlsx_file(*v, cols, path);
        if (!body) return s_.views.error(ctx, ErrorCode::too_large, "satudata_err_xlsx_too_big");
    } else {
        auto st = std::make_shared<CsvRendering>();
        st->file = s_.files.open(v->sha256);
        if (!st->file) throw std::runtime_error("satudata: stored file missing " + v->sha256);
        CsvRendering* raw = st.get();  // the reader lives in *st: no cycle
        if (format == Format::json) {
            mime = "application/json";
            ext = ".json";
            // Row by row (each row serialised on its own): the same bytes as one boost::json
            // document of every row, without that document (~50x the CSV's size) in memory.
            st->pending = "{\"dataset\":" + boost::json::serialize(boost::json::value(r->slug)) +
                          ",\"version\":" + std::to_string(v->version_no) + ",\"rows\":[";
            st->tail = "]}";
            st->reader = std::make_unique<CsvReader>(
                [raw, cols, header = std::vector<std::string>(), first_row = true](
                    std::int64_t no, std::vector<std::string>& f, bool) mutable {
                    if (no == 1) {
                        for (auto& h : f) header.emplace_back(util::trim(h));
                        return true;
                    }
                    if (!first_row) raw->pending += ',';
                    first_row = false;
                    append_json_row(raw->pending, header, cols, f);
                    return true;
                });
        } else {
            // The export: UTF-8, comma, CRLF, formula-like cells escaped with a leading '.
            st->reader = std::make_unique<CsvReader>([raw](std::int64_t, std::vector<std::string>& f, bool) {
                raw->pending += csv_export_line(f, ',');
                return true;
            });
        }
        body = http::generator_source([st](std::string& out) { return st->fill(out); });
    }
    const std::string content_type = std::string(mime) + (format == Format::xlsx ? "" : "; charset=utf-8");
    auto res = http::source_response(http::Status::ok, std::move(body), content_type);
    const std::string name = r->slug + "-v" + std::to_string(v->version_no) + ext;
    res.set(bhttp::field::content_disposition, core::files::content_disposition("attachment", name, mime, r->slug));
    res.set("Content-Security-Policy", "default-src 'none'; sandbox");
    if (!etag.empty()) res.set(bhttp::field::etag, etag);
    if (r->visibility != "public" || !r->publicly_listed() || who.token) res.set(bhttp::field::cache_control, "private, no-store");
    return res;
}

http::Response SatuDataModule::download_original(Ctx& ctx) {
    const auto who = caller_of(ctx);
    if (who.refused) return s_.views.error(ctx, ErrorCode::forbidden, "satudata_err_token_invalid");
    const std::string slug(ctx.param("slug"));
    auto r = who.token ? svc_.viewable(who.viewer(), slug) : svc_.viewable(who.principal, slug);
    if (!r) return s_.views.error(ctx, r.error());
    // The exact bytes (sha256-verifiable) only for the producer and the walidata, and for a token
    // of the producing OPD up to the published version: the public export escapes formula cells.
    std::optional<Version> v;
    if (who.token && who.token->opd_id == r->opd_id) v = pick_version(svc_.visible_versions(std::nullopt, *r), ctx.param("no"));
    else if (!who.token && who.principal && policy::can_see_unpublished(*who.principal, *r)) v = pick_version(svc_.versions(r->id), ctx.param("no"));
    else return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    if (!v) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    // Sent from disk in pieces (uploads reach 512 MB), with the store's ETag and Content-Length.
    auto res = s_.files.serve(v->sha256, v->filename, ctx.header(bhttp::field::if_none_match), /*streamed=*/true);
    res.set(bhttp::field::cache_control, "private, no-store");
    return res;
}

// ---------------------------------------------------------------- producer pages

http::Response SatuDataModule::producer_home(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fdata-opd");
    const auto& p = *ctx.principal;
    if (!p.opd_id || !policy::can_produce(p, *p.opd_id)) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    Data page = web::object();
    Data list = web::list();
    for (const auto& d : svc_.for_opd(*p.opd_id)) list.push_back(dataset_summary(d, ctx.lang));
    page.set("datasets", list);
    std::string opd_name;
    for (const auto& o : s_.regency.opds)
        if (o.slug == p.opd_slug) opd_name = o.name;
    page.set("opd", opd_name);
    Data infos = web::list();
    for (const auto& i : svc_.information_requests(*p.opd_id, 50)) {
        if (i.state != "open") continue;
        Data o = web::object();
        o.set("id", std::to_string(i.id));
        o.set("subject", i.subject);
        o.set("due", i.due_date);
        o.set("overdue", i.due_date < svc_.today());
        infos.push_back(o);
    }
    page.set("infos", infos);
    page.set("is_walidata", policy::is_walidata(p));
    page.set("can_tokens", OpdTokenService::can_manage(p, *p.opd_id));
    return s_.views.page(ctx, "satudata/producer", page, t(ctx.lang, "satudata_producer_title"));
}

// ---------------------------------------------------------------- OPD API tokens

http::Response SatuDataModule::tokens_page(Ctx& ctx, const Error* err, const TokenCreated* created) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fdata-opd%2Ftoken");
    const auto& p = *ctx.principal;
    if (!p.is_admin() && (!p.opd_id || !OpdTokenService::can_manage(p, *p.opd_id)))
        return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    Data page = web::object();
    const std::string csrf = ctx.csrf();
    page.set("csrf", csrf);
    page.set("is_admin", p.is_admin());
    std::string opd_name;
    for (const auto& o : s_.regency.opds)
        if (o.slug == p.opd_slug) opd_name = o.name;
    set_text(page, "opd", opd_name);
    if (p.is_admin()) {
        Data opds = web::list();
        const std::string chosen(ctx.field("opd"));
        for (const auto& o : s_.regency.opds) {
            Data x = web::object();
            x.set("value", o.slug);
            x.set("label", o.name);
            x.set("selected", o.slug == chosen);
            opds.push_back(x);
        }
        page.set("opds", opds);
    }
    if (err) {
        add_errors(page, s_.views, ctx.lang, err);
        page.set("name", std::string(ctx.field("name")));
        page.set("expires", std::string(ctx.field("expires")));
    }
    if (ctx.query.value("pesan") == "dicabut") page.set("notice", t(ctx.lang, "satudata_token_revoked_notice"));
    if (created) {
        Data c = web::object();
        c.set("secret", created->secret);
        page.set("created", c);
    }
    const auto now = s_.clock.now();
    Data list = web::list();
    for (const auto& tk : tokens_.list(p)) {
        Data o = web::object();
        o.set("id", std::to_string(tk.id));
        o.set("name", tk.name);
        o.set("opd", tk.opd_name);
        o.set("prefix", tk.prefix);
        o.set("at", human(tk.created_at, s_.regency, ctx.lang));
        o.set("by", tk.created_by_name);
        o.set("expires", tk.expires_at ? human(*tk.expires_at, s_.regency, ctx.lang) : t(ctx.lang, "satudata_token_never"));
        o.set("last_used", tk.last_used_at ? human(*tk.last_used_at, s_.regency, ctx.lang)
                                           : t(ctx.lang, "satudata_token_never_used"));
        o.set("status", t(ctx.lang, tk.revoked_at ? "satudata_token_revoked"
                                                  : tk.active(now) ? "satudata_token_active" : "satudata_token_expired"));
        o.set("active", tk.active(now));
        o.set("csrf", csrf);
        list.push_back(o);
    }
    page.set("tokens", list);
    auto res = s_.views.page(ctx, "satudata/tokens", page, t(ctx.lang, "satudata_tokens_title"));
    if (err) res.result(http::status_for(err->code));
    res.set(bhttp::field::cache_control, "no-store");  // the secret is on this page once
    return res;
}

http::Response SatuDataModule::token_create(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fdata-opd%2Ftoken");
    auto made = tokens_.create(*ctx.principal, std::string(ctx.field("opd")), std::string(ctx.field("name")),
                               std::string(ctx.field("expires")));
    if (!made) {
        if (made.error().code == ErrorCode::forbidden) return s_.views.error(ctx, made.error());
        return tokens_page(ctx, &made.error());
    }
    // The secret is rendered in this answer only (no redirect: it is never stored).
    return tokens_page(ctx, nullptr, &*made);
}

http::Response SatuDataModule::token_revoke(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fdata-opd%2Ftoken");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto st = tokens_.revoke(*ctx.principal, *id);
    if (!st.ok()) return s_.views.error(ctx, st.error());
    return http::redirect("/data-opd/token?pesan=dicabut");
}

namespace {
DatasetInput input_from(http::RequestContext& ctx) {
    DatasetInput in;
    in.title = std::string(ctx.field("title"));
    in.slug = std::string(ctx.field("slug"));
    in.description = std::string(ctx.field("description"));
    in.konsep = std::string(ctx.field("konsep"));
    in.definisi = std::string(ctx.field("definisi"));
    in.klasifikasi = std::string(ctx.field("klasifikasi"));
    in.ukuran = std::string(ctx.field("ukuran"));
    in.satuan = std::string(ctx.field("satuan"));
    in.period_start = std::string(util::trim(ctx.field("period_start")));
    in.period_end = std::string(util::trim(ctx.field("period_end")));
    in.frequency = std::string(ctx.field("frequency"));
    in.region_level = std::string(ctx.field("region_level"));
    in.tags = std::string(ctx.field("tags"));
    in.license_id = std::string(ctx.field("license_id"));
    in.contact_name = std::string(ctx.field("contact_name"));
    in.contact_email = std::string(ctx.field("contact_email"));
    in.visibility = std::string(ctx.field("visibility"));
    if (ctx.form)
        for (auto v : ctx.form->all("access_opds")) in.access_opds.emplace_back(v);
    in.opd_slug = std::string(ctx.field("opd"));
    return in;
}
}  // namespace

http::Response SatuDataModule::edit_form(Ctx& ctx, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fdata-opd");
    const auto& p = *ctx.principal;
    std::optional<Dataset> d;
    if (!ctx.param("id").empty()) {
        auto id = id_param(ctx);
        if (id) d = svc_.find(*id);
        if (!d || !policy::can_see_unpublished(p, *d)) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
        if (!policy::can_produce(p, d->opd_id)) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    } else if (!p.opd_id || !policy::can_produce(p, *p.opd_id)) {
        return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    }
    DatasetInput in;
    if (err) in = input_from(ctx);
    else if (d) {
        in.title = d->title;
        in.slug = d->slug;
        in.description = d->description;
        in.konsep = d->konsep;
        in.definisi = d->definisi;
        in.klasifikasi = d->klasifikasi;
        in.ukuran = d->ukuran;
        in.satuan = d->satuan;
        in.period_start = d->period_start;
        in.period_end = d->period_end;
        in.frequency = d->frequency;
        in.region_level = d->region_level;
        for (const auto& tg : d->tags) in.tags += (in.tags.empty() ? "" : ", ") + tg;
        in.license_id = d->license_id;
        in.contact_name = d->contact_name;
        in.contact_email = d->contact_email;
        in.visibility = d->visibility;
        in.access_opds = d->access_opds;
    }
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    page.set("action", d ? "/data-opd/" + std::to_string(d->id) + "/ubah" : std::string("/data-opd/baru"));
    page.set("editing", d.has_value());
    for (auto [k, v] : {std::pair{"title", &in.title}, {"slug", &in.slug}, {"description", &in.description},
                        {"konsep", &in.konsep}, {"definisi", &in.definisi}, {"klasifikasi", &in.klasifikasi},
                        {"ukuran", &in.ukuran}, {"satuan", &in.satuan}, {"period_start", &in.period_start},
                        {"period_end", &in.period_end}, {"tags", &in.tags}, {"contact_name", &in.contact_name},
                        {"contact_email", &in.contact_email}})
        page.set(k, *v);
    page.set("frequencies", options(frequencies(), in.frequency, s_.views, ctx.lang, "satudata_freq_"));
    page.set("levels", options(region_levels(), in.region_level, s_.views, ctx.lang, "satudata_level_"));
    page.set("licenses", options(licenses(), in.license_id, s_.views, ctx.lang, ""));
    page.set("visibilities", options(visibilities(), in.visibility, s_.views, ctx.lang, "satudata_vis_"));
    Data opds = web::list();
    for (const auto& o : s_.regency.opds) {
        if (o.kind == "kecamatan") continue;
        Data x = web::object();
        x.set("value", o.slug);
        x.set("label", o.name);
        x.set("checked", std::find(in.access_opds.begin(), in.access_opds.end(), o.slug) != in.access_opds.end());
        opds.push_back(x);
    }
    page.set("opds", opds);
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "satudata/edit", page,
                                     t(ctx.lang, d ? "satudata_edit_title" : "satudata_new_title")),
                       err);
}

http::Response SatuDataModule::edit_save(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto in = input_from(ctx);
    if (ctx.param("id").empty()) {
        auto r = svc_.create_dataset(*ctx.principal, in);
        if (!r) {
            if (r.error().code == ErrorCode::forbidden) return s_.views.error(ctx, r.error());
            return edit_form(ctx, &r.error());
        }
        return http::redirect("/data-opd/" + std::to_string(*r) + "?pesan=dibuat");
    }
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto st = svc_.update_dataset(*ctx.principal, *id, in);
    if (!st) {
        auto code = st.error().code;
        if (code == ErrorCode::forbidden || code == ErrorCode::not_found || st.error().fields.empty())
            return s_.views.error(ctx, st.error());
        return edit_form(ctx, &st.error());
    }
    return http::redirect("/data-opd/" + std::to_string(*id) + "?pesan=tersimpan");
}

http::Response SatuDataModule::manage(Ctx& ctx, const Error* err, const UploadOutcome* outcome) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fdata-opd");
    auto id = id_param(ctx);
    auto d = id ? svc_.find(*id) : std::nullopt;
    if (!d || !policy::can_see_unpublished(*ctx.principal, *d)) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    const bool can_edit = policy::can_produce(*ctx.principal, d->opd_id);
    Data page = dataset_summary(*d, ctx.lang);
    page.set("csrf", ctx.csrf());
    page.set("can_edit", can_edit && d->state != kSubmitted && d->state != kVerified && d->state != kWithdrawn);
    if (d->state == kReturned) set_text(page, "return_notes", d->return_notes);
    page.set("listed", d->publicly_listed());
    auto cols = svc_.columns(d->id);
    Data clist = web::list();
    const std::size_t rows = cols.size() + 3;
    for (std::size_t i = 0; i < rows; ++i) {
        ColumnSpec c = i < cols.size() ? cols[i] : ColumnSpec{};
        Data o = web::object();
        o.set("n", std::to_string(i + 1));
        o.set("name", c.name);
        o.set("required", c.required);
        std::string allowed;
        for (const auto& a : c.allowed) allowed += (allowed.empty() ? "" : ", ") + a;
        o.set("allowed", allowed);
        Data types = web::list();
        for (auto tp : {ColumnType::text, ColumnType::integer, ColumnType::decimal, ColumnType::date, ColumnType::boolean,
                        ColumnType::region}) {
            Data x = web::object();
            x.set("value", std::string(column_type_name(tp)));
            x.set("label", t(ctx.lang, "satudata_type_" + std::string(column_type_name(tp))));
            x.set("selected", tp == c.type);
            types.push_back(x);
        }
        o.set("types", types);
        clist.push_back(o);
    }
    page.set("columns", clist);
    page.set("has_columns", !cols.empty());
    auto vers = svc_.versions(d->id);
    Data vlist = web::list();
    for (const auto& v : vers) {
        Data o = web::object();
        o.set("no", std::to_string(v.version_no));
        o.set("rows", format_count(v.row_count, ctx.lang));
        o.set("filename", v.filename);
        o.set("sha256", v.sha256);
        if (v.formula_cells > 0) o.set("formula_cells", format_count(v.formula_cells, ctx.lang));
        o.set("at", human(v.created_at, s_.regency, ctx.lang));
        vlist.push_back(o);
    }
    page.set("versions", vlist);
    page.set("slug", d->slug);
    const bool revision = d->state == kPublished && d->published_version_id && !vers.empty() && vers.front().id > *d->published_version_id;
    page.set("can_submit", can_edit && !vers.empty() && (d->state == kDraft || d->state == kReturned || revision));
    // The validation report: this upload's, or the last refused one.
    std::vector<CellError> errs;
    std::int64_t total = 0;
    std::string report_file;
    if (outcome && !outcome->accepted) {
        errs = outcome->report.errors;
        total = outcome->report.error_count;
    } else if (!outcome && !d->last_report.empty()) {
        boost::system::error_code ec;
        auto v = boost::json::parse(d->last_report, ec);
        if (!ec && v.is_object()) {
            const auto& o = v.as_object();
            total = o.at("error_count").to_number<std::int64_t>();
            report_file = std::string(o.at("filename").as_string());
            for (const auto& e : o.at("errors").as_array()) {
                const auto& eo = e.as_object();
                errs.push_back(CellError{eo.at("row").to_number<std::int64_t>(), std::string(eo.at("column").as_string()),
                                         std::string(eo.at("value").as_string()), std::string(eo.at("code").as_string()),
                                         std::string(eo.at("expected").as_string())});
            }
        }
    }
    if (total > 0) {
        Data elist = web::list();
        for (const auto& e : errs) {
            Data o = web::object();
            o.set("text", error_text(ctx.lang, e));
            elist.push_back(o);
        }
        page.set("validation_errors", elist);
        page.set("validation_summary",
                 replace_all(replace_all(t(ctx.lang, "satudata_validation_summary"), "{total}", format_count(total, ctx.lang)),
                             "{shown}", format_count(static_cast<std::int64_t>(errs.size()), ctx.lang)));
        set_text(page, "report_file", report_file);
    }
    if (outcome && outcome->accepted && outcome->version)
        page.set("notice", replace_all(t(ctx.lang, "satudata_upload_ok"), "{rows}", format_count(outcome->version->row_count, ctx.lang)));
    auto msg = ctx.query.value("pesan");
    if (msg == "dibuat" || msg == "tersimpan" || msg == "kolom" || msg == "diajukan")
        page.set("notice", t(ctx.lang, "satudata_msg_" + std::string(msg)));
    add_errors(page, s_.views, ctx.lang, err);
    auto status = err ? http::status_for(err->code)
                      : (outcome && !outcome->accepted ? http::Status::unprocessable_entity : http::Status::ok);
    return s_.views.page(ctx, "satudata/manage", page, d->title, status);
}

http::Response SatuDataModule::columns_save(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    std::vector<ColumnSpec> cols;
    for (int i = 1; i <= 203; ++i) {
        auto n = std::to_string(i);
        if (!ctx.form || !ctx.form->has("name_" + n)) continue;
        ColumnSpec c;
        c.name = std::string(ctx.field("name_" + n));
        auto type = ctx.field("type_" + n);
        if (!type.empty() && !parse_column_type(type, c.type)) {
            Error e{ErrorCode::unprocessable, "err_form_invalid", {{c.name, "satudata_err_choice"}}, {}, 0};
            return manage(ctx, &e);
        }
        c.required = ctx.field("required_" + n) == "1";
        // A browser posts every row of the table, the blank ones too ("allowed_3=" must not turn
        // into one empty value, or the service takes the blank row for a column without a name).
        for (auto a : util::split(ctx.field("allowed_" + n), ','))
            if (auto v = util::trim(a); !v.empty()) c.allowed.emplace_back(v);
        cols.push_back(std::move(c));
    }
    auto st = svc_.set_columns(*ctx.principal, *id, cols);
    if (!st) {
        if (st.error().fields.empty()) return s_.views.error(ctx, st.error());
        return manage(ctx, &st.error());
    }
    return http::redirect("/data-opd/" + std::to_string(*id) + "?pesan=kolom");
}

namespace {
// Feeds each chunk of the uploaded file to the CSV validator while it streams to disk; a fatal
// error (binary file, unclosed quote ...) stops the read.
class CsvUploadObserver final : public http::UploadObserver {
public:
    explicit CsvUploadObserver(std::unique_ptr<CsvValidator> v) : v_(std::move(v)) {}
    bool file_data(std::string_view bytes) override { return v_->feed(bytes); }
    ValidationReport finish() { return v_->finish(); }

private:
    std::unique_ptr<CsvValidator> v_;
};
}  // namespace

http::UploadStart SatuDataModule::upload_start(Ctx& ctx) {
    http::UploadStart out;
    if (!ctx.principal) {
        out.answer = s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
        return out;
    }
    auto id = id_param(ctx);
    if (!id) {
        out.answer = s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
        return out;
    }
    auto cols = svc_.upload_columns(*ctx.principal, *id);
    if (!cols) {
        auto code = cols.error().code;
        out.answer = code == ErrorCode::not_found || code == ErrorCode::forbidden ? s_.views.error(ctx, cols.error())
                                                                                   : manage(ctx, &cols.error());
        return out;
    }
    out.observer = std::make_unique<CsvUploadObserver>(svc_.validator(std::move(*cols)));
    return out;
}

http::Response SatuDataModule::upload(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto* observer = ctx.upload ? dynamic_cast<CsvUploadObserver*>(ctx.upload->observer()) : nullptr;
    if (!observer || ctx.upload->files().empty())
        return s_.views.error(ctx, ErrorCode::bad_request, "satudata_err_no_file");
    auto& f = ctx.upload->files().front();
    auto r = svc_.upload_spooled(*ctx.principal, *id, observer->finish(), f);
    if (!r) {
        auto code = r.error().code;
        if (code == ErrorCode::not_found || code == ErrorCode::forbidden) return s_.views.error(ctx, r.error());
        return manage(ctx, &r.error());
    }
    return manage(ctx, nullptr, &r.value());
}

http::Response SatuDataModule::submit(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto st = svc_.submit(*ctx.principal, *id);
    if (!st) {
        if (st.error().code == ErrorCode::not_found || st.error().code == ErrorCode::forbidden)
            return s_.views.error(ctx, st.error());
        return manage(ctx, &st.error());
    }
    return http::redirect("/data-opd/" + std::to_string(*id) + "?pesan=diajukan");
}

// ---------------------------------------------------------------- G2G access requests

http::Response SatuDataModule::requests_page(Ctx& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fdata-opd%2Fpermintaan");
    const auto& p = *ctx.principal;
    if (!p.opd_id || !core::auth::is_staff(p.role)) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    Data incoming = web::list(), outgoing = web::list();
    for (const auto& r : svc_.access_requests(*p.opd_id)) {
        Data o = web::object();
        o.set("id", std::to_string(r.id));
        o.set("dataset", r.dataset_title);
        o.set("slug", r.dataset_slug);
        o.set("from", r.from_opd_name);
        o.set("owner", r.owner_opd_name);
        o.set("reason", r.reason);
        o.set("state", t(ctx.lang, "satudata_req_" + r.state));
        o.set("pending", r.state == "pending");
        set_text(o, "refuse_reason", r.refuse_reason);
        if (r.expires_at) o.set("until", human(*r.expires_at, s_.regency, ctx.lang));
        o.set("at", human(r.created_at, s_.regency, ctx.lang));
        if (r.owner_opd_id == *p.opd_id) incoming.push_back(o);
        if (r.from_opd_id == *p.opd_id) outgoing.push_back(o);
    }
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    page.set("incoming", incoming);
    page.set("outgoing", outgoing);
    page.set("can_decide", policy::can_answer_for(p, *p.opd_id));
    page.set("default_until", format_day(*parse_day(svc_.today()) + 90));
    return s_.views.page(ctx, "satudata/requests", page, t(ctx.lang, "satudata_requests_title"));
}

http::Response SatuDataModule::request_access(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto d = svc_.find_slug(std::string(ctx.param("slug")));
    if (!d) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto r = svc_.request_access(*ctx.principal, d->id, std::string(ctx.field("reason")));
    if (!r) return s_.views.error(ctx, r.error());
    return http::redirect("/data-opd/permintaan");
}

http::Response SatuDataModule::decide_access(Ctx& ctx, bool approve) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto st = approve ? svc_.approve_access(*ctx.principal, *id, std::string(ctx.field("until")))
                      : svc_.refuse_access(*ctx.principal, *id, std::string(ctx.field("reason")));
    if (!st) return s_.views.error(ctx, st.error());
    return http::redirect("/data-opd/permintaan");
}

// ---------------------------------------------------------------- walidata desk

http::Response SatuDataModule::desk(Ctx& ctx, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fwalidata");
    if (!policy::is_walidata(*ctx.principal)) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    Data submitted = web::list(), verified = web::list(), published = web::list(), returned = web::list();
    for (const auto& d : svc_.desk_queue()) {
        Data o = dataset_summary(d, ctx.lang);
        set_text(o, "return_notes", d.return_notes);
        if (d.state == kSubmitted) submitted.push_back(o);
        else if (d.state == kVerified) verified.push_back(o);
        else if (d.state == kPublished) published.push_back(o);
        else if (d.state == kReturned) returned.push_back(o);
    }
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    page.set("submitted", submitted);
    page.set("verified", verified);
    page.set("published", published);
    page.set("returned", returned);
    const auto msg = ctx.query.value("pesan");
    if (!err && (msg == "dikembalikan" || msg == "diverifikasi" || msg == "diterbitkan" || msg == "ditarik"))
        page.set("notice", t(ctx.lang, "satudata_msg_" + std::string(msg)));
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "satudata/desk", page, t(ctx.lang, "satudata_desk_title")), err);
}

http::Response SatuDataModule::desk_action(Ctx& ctx, const std::string& action) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    Status st = ok_status();
    if (action == "return") st = svc_.return_to_producer(*ctx.principal, *id, std::string(ctx.field("notes")));
    else if (action == "verify") st = svc_.verify(*ctx.principal, *id);
    else if (action == "publish") st = svc_.publish(*ctx.principal, *id);
    else st = svc_.withdraw(*ctx.principal, *id, std::string(ctx.field("reason")));
    if (!st) {
        if (st.error().code == ErrorCode::unprocessable) return desk(ctx, &st.error());
        return s_.views.error(ctx, st.error());
    }
    // The desk says what happened (a status message, WCAG 4.1.3), naming no dataset in the URL.
    const char* done = action == "return" ? "dikembalikan" : action == "verify" ? "diverifikasi"
                       : action == "publish" ? "diterbitkan" : "ditarik";
    return http::redirect(std::string("/walidata?pesan=") + done);
}

// ---------------------------------------------------------------- Daftar Data

http::Response SatuDataModule::schedule(Ctx& ctx, const Error* err) {
    auto items = svc_.daftar();
    Data groups = web::list();
    std::string current;
    Data group = web::object(), list = web::list();
    int late = 0, due = 0, delivered = 0;
    auto flush = [&] {
        if (current.empty()) return;
        group.set("items", list);
        groups.push_back(group);
    };
    for (const auto& it : items) {
        if (it.opd_name != current) {
            flush();
            current = it.opd_name;
            group = web::object();
            group.set("opd", it.opd_name);
            list = web::list();
        }
        Data o = web::object();
        o.set("title", it.title);
        o.set("frequency", t(ctx.lang, "satudata_freq_" + it.frequency));
        o.set("release_date", it.release_date);
        o.set("status", t(ctx.lang, "satudata_sched_" + it.status));
        o.set("status_code", it.status);
        set_text(o, "dataset_slug", it.dataset_slug);
        std::string how;
        if (it.status == "late" || it.status == "delivered_late")
            how = replace_all(t(ctx.lang, "satudata_days_late"), "{n}", format_count(it.days_late, ctx.lang));
        else if (it.status == "due")
            how = replace_all(t(ctx.lang, "satudata_days_left"), "{n}", format_count(-it.days_late, ctx.lang));
        set_text(o, "how", how);
        list.push_back(o);
        late += it.status == "late";
        due += it.status == "due";
        delivered += it.status == "delivered" || it.status == "delivered_late";
    }
    flush();
    Data page = web::object();
    page.set("groups", groups);
    page.set("late", std::to_string(late));
    page.set("due", std::to_string(due));
    page.set("delivered", std::to_string(delivered));
    const bool wali = ctx.principal && policy::is_walidata(*ctx.principal);
    page.set("is_walidata", wali);
    if (wali) {
        page.set("csrf", ctx.csrf());
        Data opds = web::list();
        for (const auto& o : s_.regency.opds) {
            Data x = web::object();
            x.set("value", o.slug);
            x.set("label", o.name);
            x.set("selected", ctx.field("opd") == o.slug);
            opds.push_back(x);
        }
        page.set("opds", opds);
        page.set("frequencies", options(frequencies(), std::string(ctx.field("frequency")), s_.views, ctx.lang, "satudata_freq_"));
        page.set("f_title", std::string(ctx.field("title")));
        page.set("f_release_date", std::string(ctx.field("release_date")));
        page.set("f_dataset", std::string(ctx.field("dataset")));
    }
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "satudata/schedule", page, t(ctx.lang, "satudata_schedule_title")), err);
}

http::Response SatuDataModule::schedule_add(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    DaftarInput in;
    in.opd_slug = std::string(ctx.field("opd"));
    in.title = std::string(ctx.field("title"));
    in.frequency = std::string(ctx.field("frequency"));
    in.release_date = std::string(util::trim(ctx.field("release_date")));
    in.dataset_slug = std::string(util::trim(ctx.field("dataset")));
    auto r = svc_.add_daftar(*ctx.principal, in);
    if (!r) {
        if (r.error().fields.empty()) return s_.views.error(ctx, r.error());
        return schedule(ctx, &r.error());
    }
    return http::redirect("/data/jadwal");
}

// ---------------------------------------------------------------- public information requests

http::Response SatuDataModule::info_list(Ctx& ctx, const Error* err) {
    Data page = web::object();
    Data list = web::list();
    const std::string today = svc_.today();
    for (const auto& i : svc_.information_requests(std::nullopt, 100)) {
        Data o = web::object();
        o.set("id", std::to_string(i.id));
        o.set("subject", i.subject);
        o.set("opd", i.opd_name);
        o.set("due", i.due_date);
        o.set("state", t(ctx.lang, "satudata_infostate_" + i.state));
        o.set("overdue", i.state == "open" && i.due_date < today);
        list.push_back(o);
    }
    page.set("requests", list);
    page.set("signed_in", ctx.principal.has_value());
    page.set("csrf", ctx.csrf());
    page.set("f_subject", std::string(ctx.field("subject")));
    page.set("f_body", std::string(ctx.field("body")));
    std::string ds(ctx.field("dataset"));
    if (ds.empty()) ds = std::string(ctx.query.value("dataset"));
    page.set("f_dataset", ds);
    Data opds = web::list();
    for (const auto& o : s_.regency.opds) {
        if (o.kind == "kecamatan") continue;
        Data x = web::object();
        x.set("value", o.slug);
        x.set("label", o.name);
        x.set("selected", ctx.field("opd") == o.slug);
        opds.push_back(x);
    }
    page.set("opds", opds);
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "satudata/info_list", page, t(ctx.lang, "satudata_info_title")), err);
}

http::Response SatuDataModule::info_ask(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto r = svc_.ask_information(*ctx.principal, std::string(util::trim(ctx.field("dataset"))), std::string(ctx.field("opd")),
                                  std::string(ctx.field("subject")), std::string(ctx.field("body")));
    if (!r) return info_list(ctx, &r.error());
    return http::redirect("/data/permohonan/" + std::to_string(*r));
}

http::Response SatuDataModule::info_page(Ctx& ctx, const Error* err) {
    auto id = id_param(ctx);
    auto i = id ? svc_.information(*id) : std::nullopt;
    if (!i) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    const bool mine = ctx.principal && ctx.principal->user_id == i->requester_id;
    const bool answerer = ctx.principal && policy::can_answer_for(*ctx.principal, i->opd_id);
    Data page = web::object();
    page.set("id", std::to_string(i->id));
    page.set("subject", i->subject);
    page.set("body", i->body);
    page.set("opd", i->opd_name);
    set_text(page, "dataset_slug", i->dataset_slug);
    page.set("due", i->due_date);
    page.set("extended", i->extended);
    page.set("state", t(ctx.lang, "satudata_infostate_" + i->state));
    page.set("answered", i->state == "answered");
    page.set("at", human(i->created_at, s_.regency, ctx.lang));
    // The answer is public unless it names a person; the requester and the OPD always see it.
    const bool show_answer = i->state == "answered" && (i->answer_public || mine || answerer);
    page.set("show_answer", show_answer);
    page.set("answer", show_answer ? i->answer : std::string());
    page.set("answer_private", i->state == "answered" && !i->answer_public);
    page.set("can_answer", answerer && i->state == "open");
    page.set("can_extend", answerer && i->state == "open" && !i->extended);
    if (mine || answerer) set_text(page, "requester", i->requester_name);
    page.set("csrf", ctx.csrf());
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "satudata/info", page, i->subject), err);
}

http::Response SatuDataModule::info_extend(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto st = svc_.extend_information(*ctx.principal, *id);
    if (!st) return s_.views.error(ctx, st.error());
    return http::redirect("/data/permohonan/" + std::to_string(*id));
}

http::Response SatuDataModule::info_answer(Ctx& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    auto id = id_param(ctx);
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    auto st = svc_.answer_information(*ctx.principal, *id, std::string(ctx.field("answer")), ctx.field("names_person") == "1");
    if (!st) {
        if (st.error().code == ErrorCode::unprocessable) return info_page(ctx, &st.error());
        return s_.views.error(ctx, st.error());
    }
    return http::redirect("/data/permohonan/" + std::to_string(*id));
}

}  // namespace gapura::modules::satudata
