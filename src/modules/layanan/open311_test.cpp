// Open311 GeoReport v2 through the real pipeline: formats, filters, paging, tokens, the updates
// feed, languages, media, and every bad input answered with the spec's error lists: the
// handlers' own and the core's refusals (unknown path, method, malformed query or form, token,
// body too large), each with its exact status, code and description in the request language,
// and nothing written.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <sqlite3.h>

#include "app/testing.hpp"
#include "core/auth/crypto.hpp"
#include "core/util/strings.hpp"
#include "modules/layanan/layanan_service.hpp"

namespace gapura::modules::layanan {
namespace {

namespace json = boost::json;
using core::db::Connection;
using core::http::Method;
namespace bhttp = core::http::bhttp;

// A message of the catalogs (core and layanan) as a client sees it.
std::string msg(const std::string& lang, const std::string& key) {
    static std::map<std::string, json::object> cache;
    auto it = cache.find(lang);
    if (it == cache.end()) {
        json::object all;
        for (const std::string dir : {"/web/i18n/", "/src/modules/layanan/i18n/"}) {
            std::ifstream in(testing::source_dir() + dir + lang + ".json");
            std::stringstream ss;
            ss << in.rdbuf();
            const auto catalog = json::parse(ss.str());
            for (const auto& kv : catalog.as_object()) all[kv.key()] = kv.value();
        }
        it = cache.emplace(lang, std::move(all)).first;
    }
    auto m = it->second.find(key);
    return m == it->second.end() ? "(no message " + key + ")" : std::string(m->value().as_string());
}

// The whole JSON error list: a list of {code, description} with these values, in this order.
std::string error_list(const std::vector<std::pair<unsigned, std::string>>& errs) {
    json::array a;
    for (const auto& [code, d] : errs) a.push_back(json::object{{"code", code}, {"description", d}});
    return json::serialize(a);
}
std::string error_list(unsigned code, const std::string& description) { return error_list({{code, description}}); }
std::string error_xml(unsigned code, const std::string& description) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>" + std::to_string(code) +
           "</code><description>" + description + "</description></error></errors>";
}

// A multipart/form-data body: text fields, then file parts (field, filename, bytes).
struct Part {
    std::string field, filename, data;
};
constexpr const char* kBoundary = "o311Boundary7MA4YWxk";
std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields, const std::vector<Part>& files) {
    std::string b;
    for (const auto& [k, v] : fields)
        b += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
    for (const auto& f : files)
        b += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + f.field + "\"; filename=\"" +
             f.filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + f.data + "\r\n";
    return b + "--" + kBoundary + "--\r\n";
}
const std::string kPng = std::string("\x89PNG\r\n\x1A\n", 8) + std::string("\0\0\0\rIHDR", 8) + std::string(40, 'p');

struct Open311 : ::testing::Test {
    testing::TestApp t;
    testing::Client c{t.app};
    std::string key = *create_api_key(t.app.db(), t.app.audit(), t.clock, "test client");

    testing::Reply post(const std::string& body, const std::string& ext = "json") {
        return c.request(Method::post, "/open311/v2/requests." + ext, body, "application/x-www-form-urlencoded");
    }
    std::string ok_body() {
        return "api_key=" + key + "&service_code=jalan-rusak&lat=-6.8962&long=112.0636&description=Jalan+rusak"
               "&attribute%5Btingkat_kerusakan%5D=berat&email=warga%40example.id&first_name=Budi";
    }
    static json::value parse(const std::string& s) { return json::parse(s); }
    // The first error of an Open311 error list: "code|description".
    static unsigned first_code(const testing::Reply& r) {
        auto v = json::parse(r.body);
        return static_cast<unsigned>(v.as_array().at(0).as_object().at("code").to_number<int>());
    }
    std::int64_t tickets() {
        return t.app.db().read([&](Connection& cc) { return core::db::scalar_int(cc, "SELECT COUNT(*) FROM layanan_tickets").value_or(-1); });
    }
    std::int64_t files() {
        return t.app.db().read([&](Connection& cc) { return core::db::scalar_int(cc, "SELECT COUNT(*) FROM files").value_or(-1); });
    }
    testing::Reply post_multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                                  const std::vector<Part>& parts, const std::string& ext = "json",
                                  std::map<std::string, std::string> headers = {}) {
        return c.request(Method::post, "/open311/v2/requests." + ext, multipart(fields, parts),
                         std::string("multipart/form-data; boundary=") + kBoundary, std::move(headers));
    }
    std::vector<std::pair<std::string, std::string>> ok_fields() {
        return {{"api_key", key}, {"service_code", "jalan-rusak"}, {"lat", "-6.8962"}, {"long", "112.0636"},
                {"description", "Jalan rusak"}, {"attribute[tingkat_kerusakan]", "berat"}};
    }
    static const std::map<std::string, std::string>& en() {
        static const std::map<std::string, std::string> h{{"Accept-Language", "en-GB,en;q=0.9"}};
        return h;
    }
};

TEST_F(Open311, DiscoveryAndServicesInJsonAndXml) {
    auto d = c.get("/open311/discovery.json");
    ASSERT_EQ(d.status, 200u);
    EXPECT_EQ(d.header(core::http::bhttp::field::content_type), "application/json; charset=utf-8");
    auto dv = parse(d.body).as_object();
    EXPECT_EQ(dv.at("endpoints").as_array()[0].as_object().at("specification").as_string(), "http://wiki.open311.org/GeoReport_v2");
    auto dx = c.get("/open311/discovery.xml");
    ASSERT_EQ(dx.status, 200u);
    EXPECT_EQ(dx.header(core::http::bhttp::field::content_type), "text/xml; charset=utf-8");
    EXPECT_EQ(dx.body.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?><discovery>", 0), 0u);
    EXPECT_NE(dx.body.find("<formats><format>text/xml</format><format>application/json</format></formats>"), std::string::npos);

    auto s = c.get("/open311/v2/services.json");
    ASSERT_EQ(s.status, 200u);
    auto list = parse(s.body).as_array();
    bool road = false;
    for (const auto& e : list) {
        const auto& o = e.as_object();
        EXPECT_TRUE(o.at("metadata").is_bool());
        EXPECT_NE(o.at("service_code").as_string(), "server-aplikasi-down");  // internal services are not listed
        road |= o.at("service_code").as_string() == "jalan-rusak";
    }
    EXPECT_TRUE(road);
    auto sx = c.get("/open311/v2/services.xml");
    EXPECT_NE(sx.body.find("<services><service><service_code>"), std::string::npos);

    auto def = c.get("/open311/v2/services/sampah.json");
    ASSERT_EQ(def.status, 200u);
    auto attrs = parse(def.body).as_object().at("attributes").as_array();
    ASSERT_EQ(attrs.size(), 2u);
    EXPECT_EQ(attrs[0].as_object().at("datatype").as_string(), "singlevaluelist");
    EXPECT_EQ(attrs[0].as_object().at("order").to_number<int>(), 1);
    EXPECT_TRUE(attrs[0].as_object().at("required").as_bool());
    EXPECT_EQ(attrs[1].as_object().at("datatype").as_string(), "multivaluelist");
    auto defx = c.get("/open311/v2/services/sampah.xml");
    EXPECT_NE(defx.body.find("<service_definition><service_code>sampah</service_code><attributes><attribute><variable>true</variable>"),
              std::string::npos);
    EXPECT_NE(defx.body.find("<values><value><key>tps</key><name>TPS</name></value>"), std::string::npos);

    // Unknown service and jurisdiction: 404 with an error list.
    auto unknown = c.get("/open311/v2/services/tidak-ada.json");
    EXPECT_EQ(unknown.status, 404u);
    EXPECT_EQ(first_code(unknown), 404u);
    EXPECT_EQ(c.get("/open311/v2/services/server-aplikasi-down.json").status, 404u);
    auto juris = c.get("/open311/v2/services.xml?jurisdiction_id=example.org");
    EXPECT_EQ(juris.status, 404u);
    EXPECT_NE(juris.body.find("<errors><error><code>404</code><description>"), std::string::npos);
    EXPECT_EQ(c.get("/open311/v2/services.json?jurisdiction_id=tubankab.go.id").status, 200u);
    EXPECT_EQ(c.get("/open311/v2/services.json?jurisdiction_id=").status, 200u);  // empty = absent
}

TEST_F(Open311, PostCreatesADurableRequestWithAnExpectedDatetime) {
    const auto before = tickets();
    auto r = post(ok_body() + "&attribute%5Blebar_m%5D=2.5");
    ASSERT_EQ(r.status, 200u) << r.body;
    // Answered once its commit is on disk, with no thread waiting for it; a key not checked yet
    // is looked up on a worker, not on the I/O thread.
    EXPECT_TRUE(r.pending);
    EXPECT_FALSE(r.fast);
    auto o = parse(r.body).as_array().at(0).as_object();
    ASSERT_TRUE(o.at("service_request_id").is_string());  // ids are strings
    EXPECT_FALSE(o.contains("token"));                    // never both
    EXPECT_EQ(tickets(), before + 1);
    const std::string id(o.at("service_request_id").as_string());
    auto one = c.get("/open311/v2/requests/" + id + ".json");
    ASSERT_EQ(one.status, 200u);
    auto req = parse(one.body).as_array().at(0).as_object();
    EXPECT_EQ(req.at("status").as_string(), "open");
    EXPECT_EQ(req.at("service_code").as_string(), "jalan-rusak");
    EXPECT_EQ(req.at("agency_responsible").as_string().find("Pekerjaan Umum") != json::string::npos, true);
    EXPECT_TRUE(req.at("expected_datetime").is_string());
    EXPECT_NE(std::string(req.at("requested_datetime").as_string()).find("+07:00"), std::string::npos);
    EXPECT_DOUBLE_EQ(req.at("lat").as_double(), -6.8962);
    // Who reported is not published.
    EXPECT_EQ(one.body.find("warga@example.id"), std::string::npos);
    // The token is the tracking code.
    auto code = t.app.db().read([&](Connection& cc) {
        return core::db::scalar_text(cc, "SELECT code FROM layanan_tickets WHERE id = ?", {std::stoll(id)}).value_or("");
    });
    auto tok = c.get("/open311/v2/tokens/" + code + ".json");
    ASSERT_EQ(tok.status, 200u);
    EXPECT_EQ(parse(tok.body).as_array().at(0).as_object().at("service_request_id").as_string(), id);
    EXPECT_EQ(c.get("/open311/v2/tokens/LT-NOPE.json").status, 404u);
    // XML answer of a POST.
    auto x = post(ok_body(), "xml");
    ASSERT_EQ(x.status, 200u);
    EXPECT_NE(x.body.find("<service_requests><request><service_request_id>"), std::string::npos);
    // The key is known now: the report is taken on the I/O thread (RouteOptions::fast).
    EXPECT_TRUE(x.fast);
    EXPECT_TRUE(x.pending);
    EXPECT_EQ(std::string(x.raw["X-Content-Type-Options"]), "nosniff");  // the pipeline's headers, added late
    EXPECT_FALSE(x.header(bhttp::field::content_length).empty());
    // Multi-value attributes.
    auto m = post("api_key=" + key + "&service_code=sampah&address_string=TPS+Pasar+Baru&attribute%5Bjenis_lokasi%5D=tps"
                  "&attribute%5Bjenis_sampah%5D%5B%5D=plastik&attribute%5Bjenis_sampah%5D%5B%5D=b3");
    EXPECT_EQ(m.status, 200u) << m.body;
}

TEST_F(Open311, BadInputGetsTheSpecErrorCodes) {
    const auto before = tickets();
    struct Case {
        std::string body;
        unsigned status;
    };
    const std::string base_loc = "&lat=-6.8962&long=112.0636";
    const std::string road = "&service_code=jalan-rusak&attribute%5Btingkat_kerusakan%5D=berat";
    const std::vector<Case> cases = {
        {"service_code=jalan-rusak" + base_loc, 403},                                // no api_key
        {"api_key=wrong" + road + base_loc, 403},                                    // bad api_key
        {"api_key=" + key + "&service_code=tidak-ada" + base_loc, 404},              // unknown service
        {"api_key=" + key + "&service_code=server-aplikasi-down" + base_loc, 404},   // internal service
        {"api_key=" + key + base_loc, 400},                                          // no service_code
        {"api_key=" + key + "&service_code=jalan-rusak" + base_loc, 400},            // missing required attribute
        {"api_key=" + key + "&service_code=jalan-rusak&attribute%5Btingkat_kerusakan%5D=parah" + base_loc, 400},  // not in list
        {"api_key=" + key + road + base_loc + "&description=" + std::string(4001, 'x'), 400},  // > 4,000 chars
        {"api_key=" + key + road + "&lat=95&long=112.0", 400},                       // out of range
        {"api_key=" + key + road + "&lat=-7.25&long=112.75", 400},                   // outside the regency
        {"api_key=" + key + road + "&lat=-6.8962", 400},                             // lat without long
        {"api_key=" + key + road, 400},                                              // no location at all
        {"api_key=" + key + road + "&lat=abc&long=112.0", 400},                      // not a number
        {"api_key=" + key + road + base_loc + "&description=%3Cscript%3Ex%3C%2Fscript%3E", 400},  // HTML
        {"api_key=" + key + road + base_loc + "&attribute%5Bnope%5D=1", 400},        // unknown attribute
        {"api_key=" + key + road + base_loc + "&jurisdiction_id=evil.example", 404}, // unknown jurisdiction
    };
    for (const auto& cs : cases) {
        auto r = post(cs.body);
        EXPECT_EQ(r.status, cs.status) << cs.body.substr(0, 120) << " → " << r.body;
        auto v = parse(r.body);
        ASSERT_TRUE(v.is_array()) << r.body;
        EXPECT_EQ(first_code(r), cs.status);
        EXPECT_FALSE(v.as_array().at(0).as_object().at("description").as_string().empty());
    }
    // A key revoked by the admin in the web UI is refused from the next request on (the key was
    // just used, so it sits in the service's key cache).
    testing::Client admin(t.app);
    t.sign_in(admin, "admin@demo.gapura.id");
    auto key_id = t.app.db().read([&](Connection& cc) {
        return core::db::scalar_int(cc, "SELECT id FROM layanan_api_keys WHERE name = 'test client'").value_or(0);
    });
    ASSERT_EQ(admin.post_form("/layanan/kunci-api", "/layanan/kunci-api/" + std::to_string(key_id) + "/cabut", "").status,
              303u);
    EXPECT_EQ(post(ok_body()).status, 403u);
    // JSON body instead of a form: 400 in Open311's format.
    auto j = c.request(Method::post, "/open311/v2/requests.json", "{}", "application/json");
    EXPECT_EQ(j.status, 400u);
    EXPECT_EQ(first_code(j), 400u);
    // XML errors.
    auto x = post("service_code=jalan-rusak", "xml");
    EXPECT_EQ(x.status, 403u);
    EXPECT_NE(x.body.find("<errors><error><code>403</code>"), std::string::npos);
    EXPECT_EQ(tickets(), before);  // nothing half-written
}

TEST_F(Open311, ListingFiltersPagingAndRanges) {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(post(ok_body()).status, 200u);
    auto all = c.get("/open311/v2/requests.json");
    ASSERT_EQ(all.status, 200u);
    auto list = parse(all.body).as_array();
    EXPECT_GE(list.size(), 3u);
    for (const auto& e : list) EXPECT_NE(e.as_object().at("service_code").as_string(), "server-aplikasi-down");
    auto page = c.get("/open311/v2/requests.json?service_code=jalan-rusak&status=open&page_size=2&page=1");
    ASSERT_EQ(page.status, 200u);
    const auto page_v = parse(page.body);
    EXPECT_EQ(page_v.as_array().size(), 2u);
    for (const auto& e : page_v.as_array()) {
        EXPECT_EQ(e.as_object().at("status").as_string(), "open");
        EXPECT_EQ(e.as_object().at("service_code").as_string(), "jalan-rusak");
    }
    auto closed = c.get("/open311/v2/requests.json?status=closed");
    const auto closed_v = parse(closed.body);
    for (const auto& e : closed_v.as_array()) EXPECT_EQ(e.as_object().at("status").as_string(), "closed");
    // Date range over 90 days, malformed dates, bad status, bad paging: 400.
    for (const char* q : {"start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "start_date=yesterday",
                          "status=done", "page_size=1001", "page=0", "service_request_id=abc",
                          "start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z"}) {
        auto r = c.get(std::string("/open311/v2/requests.json?") + q);
        EXPECT_EQ(r.status, 400u) << q;
        EXPECT_EQ(first_code(r), 400u) << q;
    }
    EXPECT_EQ(c.get("/open311/v2/requests.json?start_date=2026-10-01T00:00:00Z&end_date=2026-12-30T00:00:00Z").status, 200u);
    // service_request_id overrides the other filters.
    const std::string id(list.at(0).as_object().at("service_request_id").as_string());
    auto by_id = c.get("/open311/v2/requests.json?service_request_id=" + id + "&status=closed");
    EXPECT_EQ(parse(by_id.body).as_array().size(), 1u);
    // Internal or unknown requests: 404.
    auto internal_id = t.app.db().read([&](Connection& cc) {
        return core::db::scalar_int(cc, "SELECT id FROM layanan_tickets WHERE is_public = 0").value_or(0);
    });
    EXPECT_EQ(c.get("/open311/v2/requests/" + std::to_string(internal_id) + ".json").status, 404u);
    EXPECT_EQ(c.get("/open311/v2/requests/999999.xml").status, 404u);
    EXPECT_EQ(c.get("/open311/v2/requests/x.json").status, 404u);
    // XML listing.
    auto x = c.get("/open311/v2/requests.xml?page_size=1");
    EXPECT_NE(x.body.find("<service_requests><request><service_request_id>"), std::string::npos);
}

TEST_F(Open311, ExtensionsNotesAndTheUpdatesFeed) {
    auto r = post(ok_body());
    const std::string id(parse(r.body).as_array().at(0).as_object().at("service_request_id").as_string());
    auto op = t.app.auth().sign_in("operator.pupr@demo.gapura.id", "gapura-demo-2026", "198.51.100.1");
    ASSERT_TRUE(op.ok());
    // A staff note through the web UI.
    testing::Client staff(t.app);
    t.sign_in(staff, "operator.pupr@demo.gapura.id");
    const std::string page = "/layanan/tiket/" + id;
    ASSERT_EQ(staff.post_form(page, page + "/status", "status=in_progress&note=Sedang+ditangani&public=1").status, 303u);
    ASSERT_EQ(staff.post_form(page, page + "/status", "status=&note=rahasia+internal").status, 303u);
    auto ext = c.get("/open311/v2/requests/" + id + ".json?extensions=true");
    ASSERT_EQ(ext.status, 200u);
    auto o = parse(ext.body).as_array().at(0).as_object();
    EXPECT_EQ(o.at("status_notes").as_string(), "Sedang ditangani");
    EXPECT_EQ(o.at("extended_attributes").as_object().at("channel").as_string(), "open311");
    EXPECT_EQ(o.at("attributes").as_array().at(0).as_object().at("code").as_string(), "tingkat_kerusakan");
    auto notes = o.at("notes").as_array();
    EXPECT_GE(notes.size(), 2u);
    EXPECT_EQ(ext.body.find("rahasia"), std::string::npos);  // internal notes stay internal
    auto feed = c.get("/open311/v2/servicerequestupdates.json");
    ASSERT_EQ(feed.status, 200u);
    bool in_progress = false;
    const auto feed_v = parse(feed.body);
    for (const auto& u : feed_v.as_array())
        if (u.as_object().at("service_request_id").as_string() == id && u.as_object().at("status").as_string() == "IN_PROGRESS")
            in_progress = true;
    EXPECT_TRUE(in_progress);
    EXPECT_EQ(feed.body.find("rahasia"), std::string::npos);
    EXPECT_EQ(c.get("/open311/v2/servicerequestupdates.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z").status, 400u);
    auto fx = c.get("/open311/v2/servicerequestupdates.xml");
    EXPECT_NE(fx.body.find("<service_request_updates>"), std::string::npos);
}


// Finding 1: the core's refusals under /open311/ are Open311 error lists in the path's format.
TEST_F(Open311, CoreRefusalsAreOpen311ErrorListsInThePathsFormat) {
    const auto before = tickets();
    const auto before_files = files();
    // Unknown path: 404, JSON by default, XML for .xml; the language of the request.
    auto nf = c.get("/open311/v2/nope.json");
    EXPECT_EQ(nf.status, 404u);
    EXPECT_EQ(nf.header(bhttp::field::content_type), "application/json; charset=utf-8");
    EXPECT_EQ(nf.body, error_list(404, msg("id", "layanan_o311_not_found")));
    EXPECT_EQ(nf.header(bhttp::field::cache_control), "no-store");
    EXPECT_FALSE(nf.header("X-Request-Id").empty());
    auto nfx = c.get("/open311/v2/nope.xml", en());
    EXPECT_EQ(nfx.status, 404u);
    EXPECT_EQ(nfx.header(bhttp::field::content_type), "text/xml; charset=utf-8");
    EXPECT_EQ(nfx.body, error_xml(404, msg("en", "layanan_o311_not_found")));
    EXPECT_EQ(c.get("/open311/v2/services.csv").body, error_list(404, msg("id", "layanan_o311_not_found")));
    EXPECT_EQ(c.get("/open311/v2/nope.json?locale=en").body, error_list(404, msg("en", "layanan_o311_not_found")));
    EXPECT_EQ(c.get("/open311/nope").body, error_list(404, msg("id", "layanan_o311_not_found")));

    // Wrong method: 405 with Allow, code 405.
    auto m = c.request(Method::delete_, "/open311/v2/requests.json");
    EXPECT_EQ(m.status, 405u);
    EXPECT_EQ(m.header(bhttp::field::allow), "GET, HEAD, POST");
    EXPECT_EQ(m.body, error_list(405, msg("id", "err_method")));
    auto mx = c.request(Method::put, "/open311/discovery.xml", "a=1", "application/x-www-form-urlencoded", en());
    EXPECT_EQ(mx.status, 405u);
    EXPECT_EQ(mx.body, error_xml(405, msg("en", "err_method")));

    // Malformed query string, malformed path, malformed form and multipart bodies: 400.
    auto q = c.get("/open311/v2/requests.json?start_date=%ZZ");
    EXPECT_EQ(q.status, 400u);
    EXPECT_EQ(q.body, error_list(400, msg("id", "err_query_invalid")));
    auto qx = c.get("/open311/v2/requests.xml?status=%FF", en());
    EXPECT_EQ(qx.status, 400u);
    EXPECT_EQ(qx.body, error_xml(400, msg("en", "err_query_invalid")));
    auto path = c.get("/open311/v2/%FF.json");
    EXPECT_EQ(path.status, 400u);
    EXPECT_EQ(path.body, error_list(400, msg("id", "err_bad_target")));
    auto form = post("api_key=" + key + "&service_code=jalan-rusak&description=%E0%A4");
    EXPECT_EQ(form.status, 400u);
    EXPECT_EQ(form.body, error_list(400, msg("id", "err_form_malformed")));
    auto formx = c.request(Method::post, "/open311/v2/requests.xml?locale=en", "a=%G1", "application/x-www-form-urlencoded");
    EXPECT_EQ(formx.status, 400u);
    EXPECT_EQ(formx.body, error_xml(400, msg("en", "err_form_malformed")));
    auto mp = c.request(Method::post, "/open311/v2/requests.json", "--x\r\nbroken", "multipart/form-data; boundary=x");
    EXPECT_EQ(mp.status, 400u);
    EXPECT_EQ(mp.body, error_list(400, msg("id", "err_form_malformed")));
    auto nob = c.request(Method::post, "/open311/v2/requests.json", "x", "multipart/form-data");
    EXPECT_EQ(nob.body, error_list(400, msg("id", "err_form_malformed")));

    // A rejected Authorization header: 401 with WWW-Authenticate, in the list format.
    auto bearer = c.get("/open311/v2/services.xml", {{"Authorization", "Bearer nope"}, {"Accept-Language", "en"}});
    EXPECT_EQ(bearer.status, 401u);
    EXPECT_EQ(bearer.header(bhttp::field::www_authenticate), "Bearer error=\"invalid_token\"");
    EXPECT_EQ(bearer.body, error_xml(401, msg("en", "err_token_invalid")));
    auto basic = c.request(Method::post, "/open311/v2/requests.json", ok_body(), "application/x-www-form-urlencoded",
                           {{"Authorization", "Basic dXNlcjpwdw=="}});
    EXPECT_EQ(basic.status, 401u);
    EXPECT_EQ(basic.header(bhttp::field::www_authenticate), "Bearer");
    EXPECT_EQ(basic.body, error_list(401, msg("id", "err_token_invalid")));

    // What the server answers before the pipeline runs (413 for a body over the route's limit,
    // 503 for a full queue) uses the same format.
    core::http::Request big{Method::post, "/open311/v2/requests.xml?locale=en", 11};
    auto r413 = t.app.pipeline().server_error(&big, core::http::Status::payload_too_large, "err_body_too_large");
    EXPECT_EQ(r413.result_int(), 413u);
    EXPECT_EQ(r413.body(), error_xml(413, msg("en", "err_body_too_large")));
    EXPECT_EQ(std::string(r413[bhttp::field::content_type]), "text/xml; charset=utf-8");
    EXPECT_FALSE(r413.keep_alive());
    core::http::Request busy{Method::get, "/open311/v2/requests.json", 11};
    auto r503 = t.app.pipeline().server_error(&busy, core::http::Status::service_unavailable, "err_unavailable");
    EXPECT_EQ(r503.result_int(), 503u);
    EXPECT_EQ(r503.body(), error_list(503, msg("id", "err_unavailable")));
    EXPECT_EQ(std::string(r503[bhttp::field::retry_after]), "2");

    // Other prefixes keep the core's formats.
    auto api = c.get("/api/v1/nope");
    EXPECT_EQ(api.status, 404u);
    EXPECT_EQ(parse(api.body).as_object().at("error").as_object().at("code").as_string(), "not_found");
    core::http::Request api_big{Method::post, "/api/v1/auth/token", 11};
    auto api413 = t.app.pipeline().server_error(&api_big, core::http::Status::payload_too_large, "err_body_too_large");
    EXPECT_EQ(parse(api413.body()).as_object().at("error").as_object().at("code").as_string(), "payload_too_large");
    auto page = c.get("/open311");
    EXPECT_EQ(page.status, 404u);
    EXPECT_EQ(page.header(bhttp::field::content_type), "text/html; charset=utf-8");
    auto web405 = c.request(Method::delete_, "/layanan");
    EXPECT_EQ(web405.status, 405u);
    EXPECT_NE(web405.body.find("405"), std::string::npos);  // the page names the real status
    EXPECT_EQ(tickets(), before);
    EXPECT_EQ(files(), before_files);
}

// The pipeline's own answers when a handler fails (a bug: 500; a busy or lost database: 503 with
// Retry-After; a unique violation: 409) reach Open311 clients as error lists in the path's format.
TEST_F(Open311, AFailingHandlerIsAnOpen311ErrorListWithItsStatus) {
    using core::db::DbError;
    struct Case {
        std::string name;
        std::function<void()> fail;
        unsigned status;
        std::string key;
    };
    const std::vector<Case> cases{
        {"bug", [] { throw std::runtime_error("a bug"); }, 500, "err_internal"},
        {"bad-sql", [] { throw DbError(DbError::Kind::other, "no such column"); }, 500, "err_internal"},
        {"busy", [] { throw DbError(DbError::Kind::busy, "database is locked"); }, 503, "err_unavailable"},
        {"gone", [] { throw DbError(DbError::Kind::unavailable, "disk I/O error"); }, 503, "err_unavailable"},
        {"twice", [] { throw DbError(DbError::Kind::unique_violation, "UNIQUE constraint failed"); }, 409, "err_conflict"},
    };
    for (const auto& k : cases)
        for (const std::string ext : {"json", "xml"})
            t.app.router().add(Method::get, "/open311/v2/uji-" + k.name + "." + ext, [&k](core::http::RequestContext&) -> core::http::Response {
                k.fail();
                return core::http::Response{};
            });
    for (const auto& k : cases) {
        SCOPED_TRACE(k.name);
        auto j = c.get("/open311/v2/uji-" + k.name + ".json");
        EXPECT_EQ(j.status, k.status);
        EXPECT_EQ(j.header(bhttp::field::content_type), "application/json; charset=utf-8");
        EXPECT_EQ(j.body, error_list(k.status, msg("id", k.key)));
        EXPECT_EQ(j.header(bhttp::field::cache_control), "no-store");
        EXPECT_FALSE(j.header("X-Request-Id").empty());
        EXPECT_EQ(j.header(bhttp::field::retry_after), k.status == 503 ? "2" : "");
        EXPECT_EQ(j.body.find("a bug"), std::string::npos);  // nothing of the exception reaches the client
        auto x = c.get("/open311/v2/uji-" + k.name + ".xml?locale=en");
        EXPECT_EQ(x.status, k.status);
        EXPECT_EQ(x.header(bhttp::field::content_type), "text/xml; charset=utf-8");
        EXPECT_EQ(x.body, error_xml(k.status, msg("en", k.key)));
        auto h = c.get("/open311/v2/uji-" + k.name + ".xml", en());
        EXPECT_EQ(h.body, error_xml(k.status, msg("en", k.key)));
    }
    // The server goes on answering normally.
    EXPECT_EQ(c.get("/open311/v2/services.json").status, 200u);
}

// A database really locked by another process: the report cannot be written, the client gets a
// 503 Open311 error list (after SQLite's busy timeout) and nothing is half-written.
TEST_F(Open311, ALockedDatabaseIsA503Open311ErrorAndNothingIsWritten) {
    const auto before = tickets();
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open((t.dir + "/test.db").c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    auto r = post(ok_body() + "&locale=en", "xml");  // waits out the busy timeout (5 s)
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(r.header(bhttp::field::content_type), "text/xml; charset=utf-8");
    EXPECT_EQ(r.body, error_xml(503, msg("en", "err_unavailable")));
    EXPECT_EQ(r.header(bhttp::field::retry_after), "2");
    EXPECT_EQ(tickets(), before);
    // Once the lock is gone the same report goes through.
    auto ok = post(ok_body());
    EXPECT_EQ(ok.status, 200u) << ok.body;
    EXPECT_EQ(tickets(), before + 1);
}

// Finding 2: service_request_id overrides the other arguments; they are not checked.
TEST_F(Open311, ServiceRequestIdOverridesAndDoesNotCheckTheOtherArguments) {
    auto r = post(ok_body());
    ASSERT_EQ(r.status, 200u) << r.body;
    const std::string id(parse(r.body).as_array().at(0).as_object().at("service_request_id").as_string());
    for (const std::string q : {"&start_date=yesterday", "&end_date=2020-01-01T00:00:00Z&start_date=2026-01-01",
                                "&start_date=2020-01-01&end_date=2026-12-01", "&status=done", "&page=0",
                                "&page_size=5000", "&service_code=tidak-ada&status=closed"}) {
        auto one = c.get("/open311/v2/requests.json?service_request_id=" + id + q);
        ASSERT_EQ(one.status, 200u) << q << " → " << one.body;
        auto list = parse(one.body).as_array();
        ASSERT_EQ(list.size(), 1u) << q;
        EXPECT_EQ(list.at(0).as_object().at("service_request_id").as_string(), id);
    }
    auto xml = c.get("/open311/v2/requests.xml?service_request_id=" + id + ",999999&status=nope");
    EXPECT_EQ(xml.status, 200u);
    EXPECT_NE(xml.body.find("<service_request_id>" + id + "</service_request_id>"), std::string::npos);
    // The ids themselves are still checked (and only they).
    auto bad = c.get("/open311/v2/requests.json?service_request_id=abc&status=done&page=0");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_EQ(bad.body, error_list(400, "service_request_id: " + msg("id", "layanan_o311_bad_id")));
    auto commas = c.get("/open311/v2/requests.json?service_request_id=%2C%2C", en());
    EXPECT_EQ(commas.body, error_list(400, "service_request_id: " + msg("en", "layanan_o311_bad_id")));
    std::string many;
    for (int i = 1; i <= 1001; ++i) many += (i > 1 ? "," : "") + std::to_string(i);
    auto too_many = c.get("/open311/v2/requests.json?service_request_id=" + many);
    EXPECT_EQ(too_many.body, error_list(400, "service_request_id: " + msg("id", "layanan_o311_too_many")));
    // Empty counts as absent: the usual window and checks apply.
    auto empty = c.get("/open311/v2/requests.json?service_request_id=&status=done");
    EXPECT_EQ(empty.body, error_list(400, "status: " + msg("id", "layanan_o311_bad_status")));
}

// Findings 3 and 4: date ranges and paging of requests and of the updates feed.
TEST_F(Open311, DateRangesAndPagingOfRequestsAndTheUpdatesFeed) {
    for (const std::string path : {"/open311/v2/requests.json", "/open311/v2/servicerequestupdates.json"}) {
        SCOPED_TRACE(path);
        auto order = c.get(path + "?start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z");
        EXPECT_EQ(order.status, 400u);
        EXPECT_EQ(order.body, error_list(400, "end_date: " + msg("id", "layanan_o311_range_order")));
        auto order_en = c.get(path + "?start_date=2026-06-01&end_date=2026-05-31&locale=en");
        EXPECT_EQ(order_en.body, error_list(400, "end_date: " + msg("en", "layanan_o311_range_order")));
        auto wide = c.get(path + "?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", en());
        EXPECT_EQ(wide.body, error_list(400, "end_date: " + msg("en", "layanan_o311_range_90")));
        // Only end_date, far before now: its own 90 days, fine.
        EXPECT_EQ(c.get(path + "?end_date=2020-01-01").status, 200u);
        auto dates = c.get(path + "?start_date=yesterday&end_date=2026-13-01");
        EXPECT_EQ(dates.body, error_list({{400, "start_date: " + msg("id", "layanan_o311_bad_date")},
                                          {400, "end_date: " + msg("id", "layanan_o311_bad_date")}}));
        auto pages = c.get(path + "?page=0&page_size=1001", en());
        EXPECT_EQ(pages.body, error_list({{400, "page: " + msg("en", "layanan_o311_bad_page")},
                                          {400, "page_size: " + msg("en", "layanan_o311_bad_page_size")}}));
        auto words = c.get(path + "?page=one&page_size=ten");
        EXPECT_EQ(words.body, error_list({{400, "page: " + msg("id", "layanan_o311_bad_page")},
                                          {400, "page_size: " + msg("id", "layanan_o311_bad_page_size")}}));
        auto x = c.get(path.substr(0, path.size() - 5) + ".xml?page=0");
        EXPECT_EQ(x.body, error_xml(400, "page: " + msg("id", "layanan_o311_bad_page")));
    }
    // The feed pages like requests.json: consecutive pages in order, without overlaps or gaps.
    for (int i = 0; i < 5; ++i) ASSERT_EQ(post(ok_body()).status, 200u);
    auto ids_of = [&](const std::string& q) {
        std::vector<std::string> out;
        auto r = c.get("/open311/v2/servicerequestupdates.json" + q);
        EXPECT_EQ(r.status, 200u) << q << " → " << r.body;
        const auto list = parse(r.body);
        for (const auto& u : list.as_array()) out.emplace_back(u.as_object().at("update_id").as_string());
        return out;
    };
    const auto all = ids_of("");
    ASSERT_GE(all.size(), 5u);
    std::vector<std::string> paged;
    for (int page = 1; page <= static_cast<int>(all.size()) / 2 + 2; ++page) {
        auto part = ids_of("?page_size=2&page=" + std::to_string(page));
        EXPECT_LE(part.size(), 2u);
        paged.insert(paged.end(), part.begin(), part.end());
    }
    EXPECT_EQ(paged, all);
    EXPECT_TRUE(ids_of("?page=1000000&page_size=1000").empty());
}

// Finding 5 (and the ranges): lat/long that are not numbers say so, per field.
TEST_F(Open311, LatLongNotANumberOrOutOfRangeNameTheField) {
    const auto before = tickets();
    const std::string road = "api_key=" + key + "&service_code=jalan-rusak&attribute%5Btingkat_kerusakan%5D=berat";
    struct Case {
        std::string loc;
        std::vector<std::pair<std::string, std::string>> errs;  // field, message key
    };
    const std::vector<Case> cases = {
        {"&lat=abc&long=112.0", {{"lat", "layanan_o311_not_number"}}},
        {"&lat=-6.9&long=x112", {{"long", "layanan_o311_not_number"}}},
        {"&lat=nan&long=inf", {{"lat", "layanan_o311_not_number"}, {"long", "layanan_o311_not_number"}}},
        {"&lat=-6%2C9&long=112.06", {{"lat", "layanan_o311_not_number"}}},  // decimal comma
        {"&lat=95&long=112.0", {{"lat", "layanan_o311_lat_range"}}},
        {"&lat=-6.9&long=-181", {{"long", "layanan_o311_long_range"}}},
    };
    for (const auto& cs : cases)
        for (const std::string lang : {"id", "en"}) {
            auto r = post(road + cs.loc + "&locale=" + lang);
            EXPECT_EQ(r.status, 400u) << cs.loc;
            std::vector<std::pair<unsigned, std::string>> want;
            for (const auto& [field, k] : cs.errs) want.push_back({400, field + ": " + msg(lang, k)});
            EXPECT_EQ(r.body, error_list(want)) << cs.loc;
        }
    auto x = post(road + "&lat=abc&long=112", "xml");
    EXPECT_EQ(x.body, error_xml(400, "lat: " + msg("id", "layanan_o311_not_number")));
    EXPECT_EQ(tickets(), before);
}

// Finding 6: service texts follow the request language (Accept-Language, the cookie, `locale`).
TEST_F(Open311, ServicesAndDefinitionsAreLocalised) {
    auto road_of = [&](const testing::Reply& r) {
        const auto list = parse(r.body);
        for (const auto& e : list.as_array())
            if (e.as_object().at("service_code").as_string() == "jalan-rusak") return e.as_object();
        ADD_FAILURE() << "no jalan-rusak in " << r.body;
        return json::object{};
    };
    auto id = road_of(c.get("/open311/v2/services.json"));
    EXPECT_EQ(id.at("service_name").as_string(), "Jalan rusak");
    EXPECT_EQ(id.at("description").as_string(), "Jalan kabupaten berlubang, retak, ambles atau rusak.");
    EXPECT_EQ(id.at("group").as_string(), "Infrastruktur");
    for (const auto& r : {c.get("/open311/v2/services.json", en()), c.get("/open311/v2/services.json?locale=en"),
                          c.get("/open311/v2/services.json?locale=en_GB"), c.get("/open311/v2/services.json?locale=EN-us")}) {
        auto o = road_of(r);
        EXPECT_EQ(o.at("service_name").as_string(), "Damaged road");
        EXPECT_EQ(o.at("description").as_string(), "A regency road with potholes, cracks, subsidence or other damage.");
        EXPECT_EQ(o.at("group").as_string(), "Infrastructure");
    }
    // `locale` wins over Accept-Language; an unknown one falls back to the usual choice.
    EXPECT_EQ(road_of(c.get("/open311/v2/services.json?locale=id", en())).at("description").as_string(),
              "Jalan kabupaten berlubang, retak, ambles atau rusak.");
    EXPECT_EQ(road_of(c.get("/open311/v2/services.json?locale=fr", en())).at("service_name").as_string(), "Damaged road");
    EXPECT_EQ(road_of(c.get("/open311/v2/services.json?locale=fr")).at("service_name").as_string(), "Jalan rusak");
    auto x = c.get("/open311/v2/services.xml?locale=en");
    EXPECT_NE(x.body.find("<description>A regency road with potholes, cracks, subsidence or other damage.</description>"),
              std::string::npos);
    // Every public service has English texts of its own.
    const auto list_en = parse(c.get("/open311/v2/services.json?locale=en").body).as_array();
    const auto list_id = parse(c.get("/open311/v2/services.json").body).as_array();
    ASSERT_EQ(list_en.size(), list_id.size());
    for (std::size_t i = 0; i < list_en.size(); ++i) {
        const auto& e = list_en[i].as_object();
        const auto code = std::string(e.at("service_code").as_string());
        EXPECT_NE(e.at("description"), list_id[i].as_object().at("description")) << code;
        EXPECT_NE(e.at("group"), list_id[i].as_object().at("group")) << code;
        auto def_en = parse(c.get("/open311/v2/services/" + code + ".json?locale=en").body).as_object();
        auto def_id = parse(c.get("/open311/v2/services/" + code + ".json").body).as_object();
        const auto& a_en = def_en.at("attributes").as_array();
        const auto& a_id = def_id.at("attributes").as_array();
        ASSERT_EQ(a_en.size(), a_id.size());
        for (std::size_t i = 0; i < a_en.size(); ++i) {
            EXPECT_NE(a_en[i].as_object().at("description"), a_id[i].as_object().at("description")) << code;
            EXPECT_NE(a_en[i].as_object().at("datatype_description"), a_id[i].as_object().at("datatype_description")) << code;
        }
    }
    auto def = parse(c.get("/open311/v2/services/jalan-rusak.json", en()).body).as_object();
    const auto& attr = def.at("attributes").as_array().at(0).as_object();
    EXPECT_EQ(attr.at("description").as_string(), "Severity of the damage");
    EXPECT_EQ(attr.at("datatype_description").as_string(), "Choose one");
    EXPECT_EQ(attr.at("values").as_array().at(0).as_object().at("key").as_string(), "ringan");  // keys do not change
    EXPECT_EQ(attr.at("values").as_array().at(0).as_object().at("name").as_string(), "Light (cracks)");
    // Handler errors follow `locale` too.
    EXPECT_EQ(c.get("/open311/v2/services/tidak-ada.json?locale=en").body,
              error_list(404, msg("en", "layanan_err_service_unknown")));
    EXPECT_EQ(c.get("/open311/v2/services/tidak-ada.json").body, error_list(404, msg("id", "layanan_err_service_unknown")));
}

// Finding 7a: media_url, a link given by the client.
TEST_F(Open311, MediaUrlIsValidatedStoredAndReturned) {
    const std::string url = "https://example.org/foto/jalan%20rusak.jpg?size=large";
    auto r = post(ok_body() + "&media_url=" + util::percent_encode(url));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto created = parse(r.body).as_array().at(0).as_object();
    EXPECT_EQ(created.at("media_url").as_string(), url);
    const std::string id(created.at("service_request_id").as_string());
    auto one = parse(c.get("/open311/v2/requests/" + id + ".json").body).as_array().at(0).as_object();
    EXPECT_EQ(one.at("media_url").as_string(), url);
    auto x = c.get("/open311/v2/requests/" + id + ".xml");
    EXPECT_NE(x.body.find("<media_url>https://example.org/foto/jalan%20rusak.jpg?size=large</media_url>"), std::string::npos);
    // Exactly 2,000 characters is fine; an empty media_url counts as absent.
    const std::string longest = "http://example.org/" + std::string(2000 - 19, 'a');
    auto edge = post(ok_body() + "&media_url=" + longest);
    ASSERT_EQ(edge.status, 200u) << edge.body.substr(0, 200);
    EXPECT_EQ(parse(edge.body).as_array().at(0).as_object().at("media_url").as_string(), longest);
    auto none = post(ok_body() + "&media_url=");
    ASSERT_EQ(none.status, 200u);
    EXPECT_EQ(parse(none.body).as_array().at(0).as_object().at("media_url").as_string(), "");

    const auto before = tickets();
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"ftp%3A%2F%2Fexample.org%2Fa.jpg", "layanan_err_media_url"},
        {"javascript%3Aalert(1)", "layanan_err_media_url"},
        {"%2Fberkas%2Fabc", "layanan_err_media_url"},                          // relative
        {"https%3A%2F%2F", "layanan_err_media_url"},                           // no host
        {"https%3A%2F%2Fuser%3Apw%40example.org%2Fa.jpg", "layanan_err_media_url"},  // credentials
        {"http%3A%2F%2Fexa+mple.org%2F", "layanan_err_media_url"},             // a space
        {"https%3A%2F%2Fcontoh.id%2F%E2%9C%93", "layanan_err_media_url"},       // not ASCII
        {"http://example.org/" + std::string(2000 - 18, 'a'), "layanan_err_media_url_long"},
    };
    for (const auto& [value, k] : bad)
        for (const std::string lang : {"id", "en"}) {
            auto e = post(ok_body() + "&media_url=" + value + "&locale=" + lang);
            EXPECT_EQ(e.status, 400u) << value.substr(0, 60);
            EXPECT_EQ(e.body, error_list(400, "media_url: " + msg(lang, k))) << value.substr(0, 60);
        }
    EXPECT_EQ(tickets(), before);
}

// Finding 7b: multipart/form-data with one `media` photo, stored like the web form's photos.
TEST_F(Open311, MultipartMediaIsStoredAndItsPublicUrlReturned) {
    const auto before_files = files();
    post(ok_body());  // the key is checked and cached
    auto r = post_multipart(ok_fields(), {{"media", "jalan.png", kPng}});
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_FALSE(r.fast) << "a media file is stored on a worker, not on the I/O thread";
    EXPECT_TRUE(r.pending);
    const std::string sha = core::auth::Crypto::sha256_hex(kPng);
    const std::string url = t.app.config().public_url + "/berkas/" + sha;
    auto created = parse(r.body).as_array().at(0).as_object();
    EXPECT_EQ(created.at("media_url").as_string(), url);
    EXPECT_EQ(files(), before_files + 1);
    const std::string id(created.at("service_request_id").as_string());
    auto one = parse(c.get("/open311/v2/requests/" + id + ".json?extensions=true").body).as_array().at(0).as_object();
    EXPECT_EQ(one.at("media_url").as_string(), url);
    EXPECT_EQ(one.at("extended_attributes").as_object().at("photos").as_array().at(0).as_string(), url);
    auto file = c.get("/berkas/" + sha);
    EXPECT_EQ(file.status, 200u);
    EXPECT_EQ(file.header(bhttp::field::content_type), "image/png");
    EXPECT_EQ(file.body, kPng);
    // The rest of the form is read from the multipart body as from a urlencoded one.
    auto x = post_multipart({{"api_key", key}, {"service_code", "sampah"}, {"address_string", "TPS Pasar Baru"},
                             {"attribute[jenis_lokasi]", "tps"}, {"attribute[jenis_sampah][]", "plastik"},
                             {"attribute[jenis_sampah][]", "b3"}},
                            {{"media", "a.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + std::string(100, 'j')}}, "xml");
    ASSERT_EQ(x.status, 200u) << x.body;
    EXPECT_NE(x.body.find("<media_url>" + t.app.config().public_url + "/berkas/"), std::string::npos);
    // An empty media part counts as absent.
    auto empty = post_multipart(ok_fields(), {{"media", "", ""}});
    ASSERT_EQ(empty.status, 200u) << empty.body;
    EXPECT_EQ(parse(empty.body).as_array().at(0).as_object().at("media_url").as_string(), "");
}

TEST_F(Open311, BadMultipartMediaIsRefusedAndNothingIsStored) {
    const auto before = tickets();
    const auto before_files = files();
    const std::string gif = "GIF89a" + std::string(30, 'g');
    const std::string webp_ok = std::string("RIFF\x10\0\0\0WEBP", 12) + std::string(30, 'w');
    std::string too_big = kPng + std::string(kMaxPhotoBytes + 1 - kPng.size(), '\0');
    auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
        auto f = ok_fields();
        f.insert(f.end(), extra.begin(), extra.end());
        return f;
    };
    struct Case {
        std::vector<std::pair<std::string, std::string>> fields;
        std::vector<Part> parts;
        std::vector<std::pair<std::string, std::string>> errs;  // description prefix, message key
    };
    const std::vector<Case> cases = {
        {ok_fields(), {{"media", "a.gif", gif}}, {{"media: ", "layanan_err_photo_type"}}},
        {ok_fields(), {{"media", "a.png", "<svg xmlns='http://www.w3.org/2000/svg'/>"}}, {{"media: ", "layanan_err_photo_type"}}},
        {ok_fields(), {{"media", "a.txt", "just text"}}, {{"media: ", "layanan_err_photo_type"}}},
        {ok_fields(), {{"media", "big.png", too_big}}, {{"media: ", "layanan_err_photo_too_large"}}},
        {ok_fields(), {{"media", "a.png", kPng}, {"media", "b.webp", webp_ok}}, {{"media: ", "layanan_o311_media_one"}}},
        {with({{"media_url", "https://example.org/a.jpg"}}), {{"media", "a.png", kPng}}, {{"media: ", "layanan_o311_media_both"}}},
        {ok_fields(), {{"foto", "a.png", kPng}}, {{"foto: ", "layanan_o311_file_unexpected"}}},
        // A valid photo with an invalid form: refused before the photo is stored.
        {{{"api_key", key}, {"service_code", "jalan-rusak"}, {"lat", "-6.8962"}, {"long", "112.0636"}},
         {{"media", "a.png", kPng + "x"}},
         {{"attribute[tingkat_kerusakan]: ", "layanan_err_attribute_required"}}},
        {{{"api_key", key}, {"service_code", "jalan-rusak"}, {"lat", "abc"}, {"long", "112.0636"},
          {"attribute[tingkat_kerusakan]", "berat"}},
         {{"media", "a.png", kPng + "y"}},
         {{"lat: ", "layanan_o311_not_number"}}},
    };
    for (const auto& cs : cases)
        for (const std::string lang : {"id", "en"}) {
            auto f = cs.fields;
            f.emplace_back("locale", lang);
            auto r = post_multipart(f, cs.parts);
            EXPECT_EQ(r.status, 400u) << cs.errs.front().second << " → " << r.body;
            std::vector<std::pair<unsigned, std::string>> want;
            for (const auto& [prefix, k] : cs.errs) want.push_back({400, prefix + msg(lang, k)});
            EXPECT_EQ(r.body, error_list(want));
        }
    // No api_key, and the wrong key: 403 before any file is looked at.
    auto no_key = post_multipart({{"service_code", "jalan-rusak"}}, {{"media", "a.png", kPng}}, "xml");
    EXPECT_EQ(no_key.status, 403u);
    EXPECT_EQ(no_key.body, error_xml(403, msg("id", "layanan_o311_key_missing")));
    EXPECT_EQ(tickets(), before);
    EXPECT_EQ(files(), before_files);
}

}  // namespace
}  // namespace gapura::modules::layanan
