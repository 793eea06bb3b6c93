// The CKAN Action API subset (package_search, package_show, package_list, organization_list,
// organization_show, tag_list, resource_show) and the DCAT JSON-LD catalog.
#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "core/util/clock.hpp"

#include "app/config.hpp"
#include "core/auth/auth_service.hpp"
#include "core/http/context.hpp"
#include "core/http/response.hpp"
#include "core/region/regency.hpp"
#include "core/util/strings.hpp"
#include "core/web/views.hpp"
#include "modules/satudata/satudata_module.hpp"
#include "modules/satudata/satudata_policy.hpp"
#include "modules/satudata/satudata_store.hpp"

namespace gapura::modules::satudata {

namespace http = core::http;
namespace json = boost::json;

namespace {

// A JSON string as json::serialize writes it: printable ASCII without quotes or backslashes is
// written as is (the facet values: slugs, tags, years), anything else through Boost.JSON.
std::string json_string(std::string_view v) {
    for (unsigned char ch : v)
        if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') return json::serialize(json::string_view(v.data(), v.size()));
    std::string out;
    out.reserve(v.size() + 2);
    out.append(1, '"').append(v).append(1, '"');
    return out;
}
struct CkanError {
    http::Status status;
    std::string type;
    json::value message;  // a string, or for Validation Error a {field: [messages]} object
};

constexpr const char* kXlsxMime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// The downloads of a version, as CKAN resources: the CSV's id is the version id, the others add
// a suffix.
struct ResourceFormat {
    std::string format, suffix, ext, mime;
    const char* description;
};
const std::vector<ResourceFormat>& resource_formats() {
    static const std::vector<ResourceFormat> v = {{"CSV", "", ".csv", "text/csv", "satudata_res_csv"},
                                                  {"JSON", "-json", ".json", "application/json", "satudata_res_json"},
                                                  {"XLSX", "-xlsx", ".xlsx", kXlsxMime, "satudata_res_xlsx"}};
    return v;
}

// CKAN's write actions (create, update, patch, delete, ...): none is offered here.
bool is_write_action(std::string_view a) {
    for (std::string_view w : {"_create", "_update", "_patch", "_delete", "_purge", "_revise", "_reorder", "_upsert",
                               "_insert", "_clear", "_cancel", "_revoke", "_generate", "_mark_"})
        if (a.find(w) != std::string_view::npos) return true;
    for (std::string_view w : {"bulk_", "follow_", "unfollow_", "send_", "user_invite"})
        if (util::starts_with(a, w)) return true;
    return false;
}

std::string ckan_time(std::int64_t t) {
    auto s = format_iso8601(t, 0);  // 2027-01-01T00:00:00Z
    if (!s.empty() && s.back() == 'Z') s.pop_back();
    auto plus = s.find('+');
    if (plus != std::string::npos) s = s.substr(0, plus);
    return s + ".000000";
}

// Parameters from the query string (GET) or a JSON object body (POST), as strings; lists stay JSON.
struct Params {
    std::map<std::string, json::value> v;
    std::optional<std::string> str(const std::string& k) const {
        auto it = v.find(k);
        if (it == v.end()) return std::nullopt;
        if (it->second.is_string()) return std::string(it->second.as_string());
        if (it->second.is_int64()) return std::to_string(it->second.as_int64());
        if (it->second.is_bool()) return it->second.as_bool() ? "true" : "false";
        return json::serialize(it->second);
    }
    const json::value* raw(const std::string& k) const {
        auto it = v.find(k);
        return it == v.end() ? nullptr : &it->second;
    }
};
// What help_show answers for each action this API implements (CKAN gives the action's docstring).
const std::map<std::string, std::string>& action_help() {
    static const std::map<std::string, std::string> h = {
        {"package_search",
         "Searches published datasets. Parameters: q (free text; words are ANDed, the last one matches as a prefix), "
         "fq (organization:, tags:, res_format:, year:, region_level:), sort (score desc, metadata_modified desc | "
         "metadata_modified asc|desc | metadata_created asc|desc | title_string asc|desc | name asc|desc), rows (default 10, "
         "at most 1000), start, facet.field (JSON list of organization, tags, res_format, year, region_level; default none), "
         "facet.limit (default 50, -1 for all), facet.mincount (default 1). Returns count, results, facets, search_facets."},
        {"package_show", "Returns one dataset. Parameters: id (the dataset's id or name)."},
        {"package_list", "Returns the names of the published datasets. Parameters: limit (at most 1000), offset."},
        {"organization_list",
         "Returns the organizations (OPD). Parameters: all_fields, sort (name asc | title asc | package_count desc), limit, offset."},
        {"organization_show", "Returns one organization. Parameters: id (name or id), include_datasets."},
        {"group_list", "Returns the groups (none on this portal)."},
        {"tag_list", "Returns the tags of published datasets. Parameters: query, all_fields."},
        {"resource_show", "Returns one resource (a CSV or JSON distribution of a dataset version). Parameters: id."},
        {"status_show", "Returns the site's version and title."},
        {"help_show", "Returns the help text of an action. Parameters: name."},
    };
    return h;
}
}  // namespace

http::Response SatuDataModule::ckan_action(Ctx& ctx) {
    const std::string action(ctx.param("action"));
    const std::string help = s_.config.public_url + "/api/3/action/help_show?name=" + util::percent_encode(action);
    auto fail = [&](const CkanError& e) {
        json::object err{{"__type", e.type}};
        if (e.message.is_object())
            for (const auto& kv : e.message.as_object()) err[kv.key()] = kv.value();
        else
            err["message"] = e.message;
        auto res = http::json_response(e.status, json::serialize(json::object{{"help", help}, {"success", false}, {"error", err}}));
        res.set("Access-Control-Allow-Origin", "*");  // errors too: a browser client must be able to read them
        return res;
    };
    auto ok = [&](json::value result) {
        auto res = http::json_response(http::Status::ok,
                                       json::serialize(json::object{{"help", help}, {"success", true}, {"result", std::move(result)}}));
        res.set("Access-Control-Allow-Origin", "*");
        return res;
    };
    auto not_found = [&](const std::string& what) {
        return fail({http::Status::not_found, "Not Found Error", json::value(t(ctx.lang, "satudata_ckan_not_found") + ": " + what)});
    };
    auto validation = [&](const std::string& field, const std::string& key) {
        json::object o{{field, json::array{json::value(t(ctx.lang, key))}}};
        return fail({http::Status::conflict, "Validation Error", o});
    };

    // Who: an OPD token or a user's API token in CKAN's headers, else the session (safe methods
    // only: the route reads its own credentials). A bad key is CKAN's 403, never the core's 401.
    const Caller caller = caller_of(ctx);
    if (caller.refused)
        return fail({http::Status::forbidden, "Authorization Error", json::value(t(ctx.lang, "satudata_err_token_invalid"))});
    const std::optional<core::auth::Principal>& who = caller.principal;  // empty for an OPD token
    const Viewer viewer = caller.viewer();
    // Nothing is written through this API; an OPD token is read-only by definition.
    if (is_write_action(action))
        return fail({http::Status::forbidden, "Authorization Error",
                     json::value(t(ctx.lang, caller.token ? "satudata_ckan_read_only" : "satudata_ckan_no_writes"))});

    Params params;
    for (const auto& [k, v] : ctx.query.fields()) params.v[k] = json::value(v);
    if (ctx.req.method() == http::Method::post && !ctx.req.body().empty()) {
        json::error_code ec;
        auto body = json::parse(ctx.req.body(), ec);
        if (ec || !body.is_object())  // CKAN: 400 "Bad request - JSON Error"
            return fail({http::Status::bad_request, "Bad Request", json::value(t(ctx.lang, "err_json_invalid"))});
        for (const auto& kv : body.as_object()) params.v[std::string(kv.key())] = kv.value();
    }
    // Every text parameter must be UTF-8 (a query string may carry any byte as %XX).
    for (const auto& [k, v] : params.v) {
        if (!util::valid_utf8(k)) return fail({http::Status::conflict, "Validation Error", json::object{{"parameter", json::array{json::value(t(ctx.lang, "err_utf8"))}}}});
        if (v.is_string() && !util::valid_utf8(v.as_string())) return validation(k, "err_utf8");
    }

    auto int_param = [&](const std::string& k, std::int64_t def, std::int64_t lo, std::int64_t hi) -> std::optional<std::int64_t> {
        auto s = params.str(k);
        if (!s || s->empty()) return def;
        auto n = util::parse_int(*s);
        if (!n || *n < lo) return std::nullopt;
        return std::min(*n, hi);
    };

    auto org_dict = [&](const std::string& slug, const std::string& name, const std::string& kind, std::int64_t id) {
        return json::object{{"id", slug},     {"name", slug},         {"title", name},          {"display_name", name},
                            {"description", ""}, {"type", "organization"}, {"is_organization", true}, {"state", "active"},
                            {"approval_status", "approved"}, {"image_url", ""}, {"extras", json::array{json::object{{"key", "kind"}, {"value", kind}}}},
                            {"gapura_opd_id", id}};
    };

    auto resource_dicts = [&](const Dataset& d, const Version& v) {
        const std::string base = s_.config.public_url + "/data/" + d.slug + "/unduh/" + std::to_string(v.version_no);
        json::array out;
        int pos = 0;
        for (const auto& rf : resource_formats()) {
            const bool csv = rf.suffix.empty();
            out.push_back(json::object{{"id", std::to_string(v.id) + rf.suffix},
                                       {"package_id", std::to_string(d.id)},
                                       {"url", base + rf.ext},
                                       {"name", d.title + " (" + rf.format + ")"},
                                       {"description", t(ctx.lang, rf.description)},
                                       {"format", rf.format},
                                       {"mimetype", rf.mime},
                                       {"size", csv ? json::value(v.size) : json::value(nullptr)},
                                       {"hash", csv ? "sha256:" + v.sha256 : std::string()},
                                       {"created", ckan_time(v.created_at)},
                                       {"last_modified", ckan_time(v.created_at)},
                                       {"position", pos++},
                                       {"url_type", nullptr},
                                       {"state", "active"},
                                       {"datastore_active", false},
                                       {"gapura_version", v.version_no},
                                       {"gapura_rows", v.row_count}});
        }
        return out;
    };

    auto package_dict = [&](const Dataset& d, bool with_resources) {
        json::array tags;
        for (const auto& tg : d.tags) tags.push_back(json::object{{"name", tg}, {"display_name", tg}, {"state", "active"}});
        json::array extras;
        for (auto [k, v] : {std::pair{"konsep", &d.konsep}, {"definisi", &d.definisi}, {"klasifikasi", &d.klasifikasi},
                            {"ukuran", &d.ukuran}, {"satuan", &d.satuan}, {"periode_awal", &d.period_start},
                            {"periode_akhir", &d.period_end}, {"frekuensi", &d.frequency}, {"tingkat_wilayah", &d.region_level},
                            {"visibilitas", &d.visibility}})
            extras.push_back(json::object{{"key", k}, {"value", *v}});
        json::array resources;
        std::int64_t num = 0;
        if (d.published_version_id)
            if (auto v = svc_.version_by_id(*d.published_version_id)) {
                num = static_cast<std::int64_t>(resource_formats().size());
                if (with_resources) resources = resource_dicts(d, *v);
            }
        return json::object{{"id", std::to_string(d.id)},
                            {"name", d.slug},
                            {"title", d.title},
                            {"notes", d.description},
                            {"url", s_.config.public_url + "/data/" + d.slug},
                            {"version", d.published_version_id ? json::value(std::to_string(*d.published_version_id)) : json::value(nullptr)},
                            {"type", "dataset"},
                            {"state", d.state == kWithdrawn ? "deleted" : "active"},
                            {"private", d.visibility != "public"},
                            {"license_id", d.license_id},
                            {"license_title", d.license_id == "CC-BY-4.0" ? "Creative Commons Attribution 4.0" : d.license_id},
                            {"author", d.opd_name},
                            {"author_email", nullptr},
                            {"maintainer", d.contact_name},
                            {"maintainer_email", d.contact_email},
                            {"owner_org", d.opd_slug},
                            {"organization", org_dict(d.opd_slug, d.opd_name, "", d.opd_id)},
                            {"tags", tags},
                            {"groups", json::array{}},
                            {"extras", extras},
                            {"metadata_created", ckan_time(d.created_at)},
                            {"metadata_modified", ckan_time(d.updated_at)},
                            {"num_resources", num},
                            {"num_tags", static_cast<std::int64_t>(d.tags.size())},
                            {"resources", resources}};
    };

    // A package by id or name, if this caller may see it (403 for another OPD's restricted data).
    auto find_package = [&](const std::string& key, Result<Dataset>& out) {
        out = caller.token ? svc_.viewable(viewer, key) : svc_.viewable(who, key);
        if (out && !caller.token && !svc_.listed_for(who, *out) && !(who && policy::can_see_unpublished(*who, *out)))
            out = make_error(ErrorCode::not_found, "err_not_found");
    };

    if (action == "package_search") {
        SearchQuery q;
        q.q = params.str("q").value_or("");
        if (q.q == "*:*") q.q.clear();
        if (util::utf8_length(q.q) > kMaxQueryChars) return validation("q", "satudata_err_query");
        auto rows = int_param("rows", 10, 0, 1000);  // CKAN: above ckan.search.rows_max (1000) is cut to it
        if (!rows) return validation("rows", "satudata_ckan_bad_int");
        auto start = int_param("start", 0, 0, 1000000);
        if (!start) return validation("start", "satudata_ckan_bad_int");
        q.rows = static_cast<int>(*rows);
        q.start = static_cast<int>(*start);
        q.sort = params.str("sort").value_or("score desc, metadata_modified desc");
        static const std::vector<std::string> kSorts = {"score desc, metadata_modified desc", "metadata_modified desc",
                                                        "metadata_modified asc", "title_string asc", "title_string desc",
                                                        "name asc", "name desc", "metadata_created desc", "metadata_created asc",
                                                        "score desc", "relevance asc"};
        if (std::find(kSorts.begin(), kSorts.end(), q.sort) == kSorts.end())
            return fail({http::Status::bad_request, "Search Query Error", json::value(t(ctx.lang, "satudata_ckan_bad_sort"))});
        // fq: organization:x tags:y res_format:CSV (space or AND separated, values optionally quoted).
        std::string fq = params.str("fq").value_or("");
        std::size_t i = 0;
        while (i < fq.size()) {
            while (i < fq.size() && (fq[i] == ' ' || fq[i] == '+')) ++i;
            if (i >= fq.size()) break;
            std::size_t colon = fq.find(':', i);
            if (colon == std::string::npos) {
                std::string word = fq.substr(i, fq.find(' ', i) - i);
                if (word == "AND") {
                    i += 3;
                    continue;
                }
                return fail({http::Status::bad_request, "Search Query Error", json::value(t(ctx.lang, "satudata_ckan_bad_fq"))});
            }
            std::string key = fq.substr(i, colon - i);
            std::string value;
            i = colon + 1;
            if (i < fq.size() && fq[i] == '"') {
                auto end = fq.find('"', i + 1);
                if (end == std::string::npos)
                    return fail({http::Status::bad_request, "Search Query Error", json::value(t(ctx.lang, "satudata_ckan_bad_fq"))});
                value = fq.substr(i + 1, end - i - 1);
                i = end + 1;
            } else {
                auto end = fq.find(' ', i);
                value = fq.substr(i, end == std::string::npos ? std::string::npos : end - i);
                i = end == std::string::npos ? fq.size() : end;
            }
            if (key == "organization" || key == "owner_org") q.opd = value;
            else if (key == "tags") q.tags.push_back(value);
            else if (key == "res_format") q.format = value;
            else if (key == "region_level" || key == "tingkat_wilayah") q.level = value;
            else if (key == "year") {
                auto y = util::parse_int(value);
                if (!y || *y < 1 || *y > 9999)
                    return fail({http::Status::bad_request, "Search Query Error", json::value(t(ctx.lang, "satudata_ckan_bad_fq") + ": year")});
                q.year = static_cast<int>(*y);
            } else
                return fail({http::Status::bad_request, "Search Query Error",
                             json::value(t(ctx.lang, "satudata_ckan_bad_fq") + ": " + key)});
        }
        std::vector<std::string> facet_fields;
        if (const auto* ff = params.raw("facet.field")) {
            json::value list = *ff;
            if (ff->is_string()) {
                json::error_code ec;
                list = json::parse(ff->as_string(), ec);
                if (ec) list = json::array{*ff};
            }
            if (!list.is_array()) return validation("facet.field", "satudata_ckan_bad_facet");
            for (const auto& f : list.as_array()) {
                if (!f.is_string()) return validation("facet.field", "satudata_ckan_bad_facet");
                facet_fields.emplace_back(f.as_string());
            }
        }  // CKAN: no facet.field, no facets
        auto limit = int_param("facet.limit", 50, -1, 1000);
        auto mincount = int_param("facet.mincount", 1, 0, 1000000);
        if (!limit) return validation("facet.limit", "satudata_ckan_bad_int");
        if (!mincount) return validation("facet.mincount", "satudata_ckan_bad_int");
        q.facet_fields = facet_fields;
        q.facet_limit = *mincount > 1 ? -1 : static_cast<int>(*limit);  // mincount filters below, then the limit
        // Internal and restricted datasets only on request, as CKAN's private ones (never anonymously).
        const auto priv = util::to_lower_ascii(params.str("include_private").value_or("false"));
        // When every dict of the page is kept for the generation the search saw (checked in its read
        // transaction), the page's rows are not read: the dicts are taken here, shared.
        auto& pj = *package_json_;
        auto dict_key = [&](std::int64_t id) { return ctx.lang + '\n' + std::to_string(id); };
        std::vector<std::shared_ptr<const std::string>> kept;
        q.page_known = [&](std::int64_t gen, const std::vector<std::int64_t>& ids) {
            kept.clear();
            std::lock_guard lk(pj.m);
            if (pj.gen != gen) return false;
            for (auto id : ids) {
                auto it = pj.dicts.find(dict_key(id));
                if (it == pj.dicts.end()) return false;
                kept.push_back(it->second);
            }
            return true;
        };
        auto res = svc_.search(priv == "true" || priv == "1" ? viewer : Viewer{}, q, !facet_fields.empty());
        // {field: {value: count}} and {field: {"title": field, "items": [{name, display_name, count}]}}, as
        // json::serialize writes those objects (a field asked twice is one key), without building them.
        std::string facets = "{", search_facets = "{";
        std::vector<std::string_view> done;
        for (const auto& f : facet_fields) {
            if (std::find(done.begin(), done.end(), f) != done.end()) continue;
            done.push_back(f);
            const std::string key = json::serialize(json::string_view(f));
            if (done.size() > 1) {
                facets += ',';
                search_facets += ',';
            }
            facets += key + ":{";
            search_facets += key + ":{\"title\":" + key + ",\"items\":[";
            auto it = res.facets.find(f);
            std::int64_t n = 0;
            if (it != res.facets.end())
                for (const auto& [value, count] : it->second) {
                    if (count < *mincount || (*limit >= 0 && n >= *limit)) continue;
                    const std::string v = json_string(value), c = std::to_string(count);
                    if (n++) {
                        facets += ',';
                        search_facets += ',';
                    }
                    facets.append(v).append(1, ':').append(c);
                    search_facets.append("{\"name\":").append(v).append(",\"display_name\":").append(v);
                    search_facets.append(",\"count\":").append(c).append(1, '}');
                }
            facets += '}';
            search_facets += "]}";
        }
        facets += '}';
        search_facets += '}';
        // As ok(json::object{{"count", …}, {"sort", …}, {"results", …}, {"facets", …}, {"search_facets", …}}),
        // written in one string; from the public index, each result's dict made once per generation.
        std::string results = "{\"help\":" + json::serialize(json::value(help)) + ",\"success\":true,\"result\":{\"count\":" +
                              std::to_string(res.count) + ",\"sort\":" + json::serialize(json::value(q.sort)) + ",\"results\":[";
        if (res.page_from_caller) {
            // The whole answer in one allocation: the dicts, the facets and the envelope's tail.
            std::size_t size = results.size() + facets.size() + search_facets.size() + 64;
            for (const auto& k : kept) size += k->size() + 1;
            results.reserve(size);
            for (std::size_t i = 0; i < kept.size(); ++i) {
                if (i) results += ',';
                results += *kept[i];
            }
        } else {
            results.reserve(results.size() + facets.size() + search_facets.size() + 4096 * (res.results.size() + 1));
        }
        for (std::size_t i = 0; i < res.results.size(); ++i) {
            const auto& d = res.results[i];
            if (i) results += ',';
            if (res.index_gen < 0) {
                results += json::serialize(package_dict(d, true));
                continue;
            }
            const std::string key = dict_key(d.id);
            {
                std::lock_guard lk(pj.m);
                if (pj.gen < res.index_gen) {
                    pj.dicts.clear();
                    pj.gen = res.index_gen;
                }
                if (pj.gen == res.index_gen)
                    if (auto it = pj.dicts.find(key); it != pj.dicts.end()) {
                        results += *it->second;
                        continue;
                    }
            }
            auto dict = std::make_shared<const std::string>(json::serialize(package_dict(d, true)));
            results += *dict;
            std::lock_guard lk(pj.m);
            if (pj.gen != res.index_gen) continue;  // a newer generation came meanwhile
            if (pj.dicts.size() >= kMaxPackageJson) pj.dicts.clear();
            pj.dicts.emplace(key, std::move(dict));
        }
        results += "],\"facets\":";
        results += facets;
        results += ",\"search_facets\":";
        results += search_facets;
        results += "}}";
        auto answer = http::json_response(http::Status::ok, std::move(results));
        answer.set("Access-Control-Allow-Origin", "*");
        return answer;
    }
    if (action == "package_show") {
        auto id = params.str("id").value_or(params.str("name_or_id").value_or(""));
        if (id.empty()) return validation("id", "err_required");
        Result<Dataset> d = make_error(ErrorCode::not_found, "err_not_found");
        find_package(id, d);
        if (!d) {
            if (d.error().code == ErrorCode::forbidden)
                return fail({http::Status::forbidden, "Authorization Error", json::value(t(ctx.lang, "satudata_err_restricted"))});
            return not_found(t(ctx.lang, "satudata_ckan_package"));
        }
        return ok(package_dict(*d, true));
    }
    if (action == "package_list") {
        auto limit = int_param("limit", 1000, 0, 1000);
        auto offset = int_param("offset", 0, 0, 1000000);
        if (!limit) return validation("limit", "satudata_ckan_bad_int");
        if (!offset) return validation("offset", "satudata_ckan_bad_int");
        SearchQuery q;
        q.rows = static_cast<int>(*limit);
        q.start = static_cast<int>(*offset);
        q.sort = "name asc";
        auto res = svc_.search(viewer, q, false);
        json::array names;
        for (const auto& d : res.results) names.push_back(json::value(d.slug));
        return ok(names);
    }
    if (action == "organization_list" || action == "organization_show") {
        const auto now = s_.clock.now();
        auto orgs = s_.db.read([&](core::db::Connection& c) { return store::organizations(c, viewer, now); });
        if (action == "organization_show") {
            auto id = params.str("id").value_or("");
            if (id.empty()) return validation("id", "err_required");
            for (const auto& o : orgs)
                if (o.slug == id || std::to_string(o.id) == id) {
                    auto dict = org_dict(o.slug, o.name, o.kind, o.id);
                    dict["package_count"] = o.datasets;
                    auto inc = params.str("include_datasets").value_or("false");
                    if (inc == "true" || inc == "True") {
                        SearchQuery q;
                        q.opd = o.slug;
                        q.rows = 1000;
                        json::array pk;
                        for (const auto& d : svc_.search(viewer, q, false).results) pk.push_back(package_dict(d, false));
                        dict["packages"] = pk;
                    }
                    return ok(dict);
                }
            return not_found(t(ctx.lang, "satudata_ckan_organization"));
        }
        auto all_fields = params.str("all_fields").value_or("false");
        auto sort = params.str("sort").value_or("name asc");
        if (sort == "package_count desc" || sort == "package_count")
            std::stable_sort(orgs.begin(), orgs.end(), [](const auto& a, const auto& b) { return a.datasets > b.datasets; });
        else if (sort == "title asc")
            std::stable_sort(orgs.begin(), orgs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        else if (sort != "name asc" && sort != "name")
            return validation("sort", "satudata_ckan_bad_sort");
        auto limit = int_param("limit", 1000, 0, 1000);
        auto offset = int_param("offset", 0, 0, 1000000);
        if (!limit) return validation("limit", "satudata_ckan_bad_int");
        if (!offset) return validation("offset", "satudata_ckan_bad_int");
        json::array out;
        for (std::size_t k = static_cast<std::size_t>(*offset); k < orgs.size() && out.size() < static_cast<std::size_t>(*limit); ++k) {
            const auto& o = orgs[k];
            if (all_fields == "true" || all_fields == "True") {
                auto dict = org_dict(o.slug, o.name, o.kind, o.id);
                dict["package_count"] = o.datasets;
                out.push_back(dict);
            } else {
                out.push_back(json::value(o.slug));
            }
        }
        return ok(out);
    }
    if (action == "tag_list") {
        const auto now = s_.clock.now();
        auto tags = s_.db.read([&](core::db::Connection& c) { return store::tag_counts(c, viewer, now); });
        auto all_fields = params.str("all_fields").value_or("false");
        auto query = util::to_lower_ascii(params.str("query").value_or(""));
        json::array out;
        for (const auto& [tag, count] : tags) {
            if (!query.empty() && tag.find(query) == std::string::npos) continue;
            if (all_fields == "true" || all_fields == "True")
                out.push_back(json::object{{"id", tag}, {"name", tag}, {"display_name", tag}, {"vocabulary_id", nullptr},
                                           {"package_count", count}});
            else
                out.push_back(json::value(tag));
        }
        return ok(out);
    }
    if (action == "resource_show") {
        auto id = params.str("id").value_or("");
        if (id.empty()) return validation("id", "err_required");
        std::size_t res_index = 0;
        for (std::size_t k = 1; k < resource_formats().size(); ++k)
            if (id.ends_with(resource_formats()[k].suffix)) res_index = k;
        auto vid = util::parse_int(id.substr(0, id.size() - resource_formats()[res_index].suffix.size()));
        auto v = vid ? svc_.version_by_id(*vid) : std::nullopt;
        if (!v) return not_found(t(ctx.lang, "satudata_ckan_resource"));
        Result<Dataset> d = make_error(ErrorCode::not_found, "err_not_found");
        find_package(std::to_string(v->dataset_id), d);
        if (!d) {
            if (d.error().code == ErrorCode::forbidden)
                return fail({http::Status::forbidden, "Authorization Error", json::value(t(ctx.lang, "satudata_err_restricted"))});
            return not_found(t(ctx.lang, "satudata_ckan_resource"));
        }
        const bool producer = who && policy::can_see_unpublished(*who, *d);
        if (!producer && (!d->published_version_id || v->id > *d->published_version_id))
            return not_found(t(ctx.lang, "satudata_ckan_resource"));
        auto list = resource_dicts(*d, *v);
        return ok(list[res_index]);
    }
    if (action == "status_show") {
        return ok(json::object{{"ckan_version", "2.10.0"}, {"site_title", "Satu Data " + s_.regency.name},
                               {"site_url", s_.config.public_url}, {"extensions", json::array{"gapura-satudata"}}});
    }
    if (action == "group_list") return ok(json::array{});
    if (action == "help_show") {
        auto name = params.str("name").value_or("");
        if (name.empty()) return validation("name", "err_required");
        auto it = action_help().find(name);
        if (it == action_help().end()) return not_found(t(ctx.lang, "satudata_ckan_action"));
        return ok(json::value(it->second));
    }
    return fail({http::Status::bad_request, "Bad Request",
                 json::value(t(ctx.lang, "satudata_ckan_unknown_action") + ": " + (util::valid_utf8(action) ? action : "?"))});
}

std::vector<core::web::ErrorFormat> SatuDataModule::error_formats() const {
    return {{"/api/3/", [this](const core::web::ErrorReport& r) { return ckan_core_error(r); }}};
}

// The core's refusals under /api/3/ (unknown path, wrong method, body too large, malformed query,
// busy database, a bug) in CKAN's envelope. CKAN never answers 401: a missing or bad credential
// is its 403 "Authorization Error".
http::Response SatuDataModule::ckan_core_error(const core::web::ErrorReport& r) const {
    std::string action;
    constexpr std::string_view kActions = "/api/3/action/";
    if (util::starts_with(r.path, kActions)) action = std::string(r.path.substr(kActions.size()));
    if (!util::valid_utf8(action) || action.size() > 100) action.clear();
    const std::string help = s_.config.public_url + "/api/3/action/help_show?name=" + util::percent_encode(action);
    http::Status status = r.status;
    std::string type = "Bad Request";
    std::string key = r.error.message_key.empty() ? "err_generic" : r.error.message_key;
    switch (static_cast<unsigned>(r.status)) {
        case 401:
        case 403:
            status = http::Status::forbidden;
            type = "Authorization Error";
            break;
        case 404:
            type = "Not Found Error";
            if (key == "err_not_found") key = "satudata_ckan_not_found";
            break;
        case 409:
        case 422:
            status = http::Status::conflict;
            type = "Validation Error";
            break;
        default:
            if (static_cast<unsigned>(r.status) >= 500) type = "Internal Server Error";
    }
    std::string lang(r.lang);
    json::object err{{"__type", type}, {"message", s_.views.t(lang, key)}};
    for (const auto& f : r.error.fields) err[f.field] = json::array{json::value(s_.views.t(lang, f.message_key))};
    auto res = http::json_response(status, json::serialize(json::object{{"help", help}, {"success", false}, {"error", err}}));
    return res;
}

// The DCAT catalog, paged Hydra-style (?page=N, kDcatPageSize datasets a page, all of them over
// the pages): links and URLs are JSON-LD node references {"@id": ...}, not plain strings.
http::Response SatuDataModule::dcat_catalog(Ctx& ctx) {
    constexpr int kDcatPageSize = 500;
    auto bad = [&](http::Status st, const std::string& key) {
        return http::make_response(st, json::serialize(json::object{{"error", t(ctx.lang, key)}}), "application/json; charset=utf-8");
    };
    std::int64_t page_no = 1;
    if (auto raw = ctx.query.value("page"); !raw.empty()) {
        auto n = util::parse_int(raw);
        if (!n || *n < 1 || *n > 1000000) return bad(http::Status::bad_request, "satudata_dcat_bad_page");
        page_no = *n;
    }
    SearchQuery q;
    q.rows = kDcatPageSize;
    q.start = static_cast<int>((page_no - 1) * kDcatPageSize);
    q.sort = "name asc";  // stable order, so the pages neither skip nor repeat
    auto res = svc_.search(std::nullopt, q, false);  // public datasets only
    const std::int64_t last = std::max<std::int64_t>(1, (res.count + kDcatPageSize - 1) / kDcatPageSize);
    if (page_no > last) return bad(http::Status::not_found, "err_not_found");
    auto ref = [](const std::string& url) { return json::object{{"@id", url}}; };
    json::array datasets;
    for (const auto& d : res.results) {
        json::array keywords;
        for (const auto& tg : d.tags) keywords.push_back(json::value(tg));
        const std::string landing = s_.config.public_url + "/data/" + d.slug;
        json::array dist;
        if (d.published_version_id)
            if (auto v = svc_.version_by_id(*d.published_version_id)) {
                const std::string base = landing + "/unduh/" + std::to_string(v->version_no);
                dist.push_back(json::object{{"@type", "dcat:Distribution"}, {"dct:title", d.title + " (CSV)"},
                                            {"dcat:accessURL", ref(landing)}, {"dcat:downloadURL", ref(base + ".csv")},
                                            {"dcat:mediaType", "text/csv"}, {"dct:format", "CSV"}, {"dcat:byteSize", v->size}});
                dist.push_back(json::object{{"@type", "dcat:Distribution"}, {"dct:title", d.title + " (JSON)"},
                                            {"dcat:accessURL", ref(landing)}, {"dcat:downloadURL", ref(base + ".json")},
                                            {"dcat:mediaType", "application/json"}, {"dct:format", "JSON"}});
                dist.push_back(json::object{{"@type", "dcat:Distribution"}, {"dct:title", d.title + " (XLSX)"},
                                            {"dcat:accessURL", ref(landing)}, {"dcat:downloadURL", ref(base + ".xlsx")},
                                            {"dcat:mediaType", kXlsxMime}, {"dct:format", "XLSX"}});
            }
        json::object contact{{"@type", "vcard:Kind"}, {"vcard:fn", d.contact_name.empty() ? d.opd_name : d.contact_name}};
        if (!d.contact_email.empty()) contact["vcard:hasEmail"] = ref("mailto:" + d.contact_email);  // none: left out
        json::object ds{{"@type", "dcat:Dataset"},
                        {"@id", landing},
                        {"dct:identifier", d.slug},
                        {"dct:title", d.title},
                        {"dct:description", d.description},
                        {"dcat:keyword", keywords},
                        {"dct:modified", format_iso8601(d.updated_at, 0)},
                        {"dct:publisher", json::object{{"@type", "foaf:Organization"}, {"foaf:name", d.opd_name}}},
                        {"dcat:contactPoint", contact},
                        {"dcat:landingPage", ref(landing)},
                        {"dcat:distribution", dist}};
        if (d.published_at) ds["dct:issued"] = format_iso8601(*d.published_at, 0);
        static const std::map<std::string, std::string> kLicenses = {
            {"CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"},
            {"CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"},
            {"ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/"}};
        if (auto lic = kLicenses.find(d.license_id); lic != kLicenses.end()) ds["dct:license"] = ref(lic->second);
        else ds["dct:rights"] = d.license_id;  // no public licence document to point at
        datasets.push_back(std::move(ds));
    }
    const std::string self = s_.config.public_url + "/catalog.jsonld";
    auto page_url = [&](std::int64_t n) { return self + "?page=" + std::to_string(n); };
    json::object view{{"@id", page_url(page_no)},
                      {"@type", "hydra:PartialCollectionView"},
                      {"hydra:first", page_url(1)},
                      {"hydra:last", page_url(last)}};
    if (page_no > 1) view["hydra:previous"] = page_url(page_no - 1);
    if (page_no < last) view["hydra:next"] = page_url(page_no + 1);
    json::object catalog{
        {"@context", json::object{{"dcat", "http://www.w3.org/ns/dcat#"},
                                  {"dct", "http://purl.org/dc/terms/"},
                                  {"foaf", "http://xmlns.com/foaf/0.1/"},
                                  {"vcard", "http://www.w3.org/2006/vcard/ns#"},
                                  {"hydra", "http://www.w3.org/ns/hydra/core#"},
                                  {"hydra:first", json::object{{"@type", "@id"}}},
                                  {"hydra:last", json::object{{"@type", "@id"}}},
                                  {"hydra:next", json::object{{"@type", "@id"}}},
                                  {"hydra:previous", json::object{{"@type", "@id"}}}}},
        {"@id", self},
        {"@type", json::array{"dcat:Catalog", "hydra:Collection"}},
        {"dct:title", "Satu Data " + s_.regency.name},
        {"dct:description", t("id", "satudata_catalog_lead")},
        {"dct:publisher", json::object{{"@type", "foaf:Organization"}, {"foaf:name", s_.regency.name}}},
        {"hydra:totalItems", res.count},
        {"hydra:view", view},
        {"dcat:dataset", datasets}};
    return http::make_response(http::Status::ok, json::serialize(catalog), "application/ld+json; charset=utf-8");
}

}  // namespace gapura::modules::satudata
