// Open311 GeoReport v2 through the real pipeline: formats, filters, paging, tokens, the updates
// feed, and every bad input of issue 5 answered with the spec's error codes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/testing.hpp"
#include "modules/layanan/layanan_service.hpp"

namespace gapura::modules::layanan {
namespace {

namespace json = boost::json;
using core::db::Connection;
using core::http::Method;

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
    // A revoked key.
    auto admin = t.app.auth().sign_in("admin@demo.gapura.id", "gapura-demo-2026", "198.51.100.1");
    ASSERT_TRUE(admin.ok());
    auto key_id = t.app.db().read([&](Connection& cc) {
        return core::db::scalar_int(cc, "SELECT id FROM layanan_api_keys WHERE name = 'test client'").value_or(0);
    });
    t.app.db().write([&](Connection& cc) { core::db::exec(cc, "UPDATE layanan_api_keys SET revoked_at = 1 WHERE id = ?", {key_id}); });
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

}  // namespace
}  // namespace gapura::modules::layanan
