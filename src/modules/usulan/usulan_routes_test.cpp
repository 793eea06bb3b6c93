// Route tests of the usulan module through the real pipeline: pages without JavaScript, forms
// with CSRF, the JSON/GeoJSON/CSV API with bearer tokens, and the demo seed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/testing.hpp"
#include "core/db/database.hpp"
#include "core/region/regency.hpp"

using namespace gapura;
namespace gt = gapura::testing;
namespace db = gapura::core::db;
using M = core::http::Method;
using namespace std::string_literals;

namespace {

class UsulanRoutesTest : public ::testing::Test {
protected:
    // One app with the demo seed for the whole suite (the seed is part of what is tested).
    static void SetUpTestSuite() { t_ = new gt::TestApp("tuban", true); }
    static void TearDownTestSuite() {
        delete t_;
        t_ = nullptr;
    }
    static gt::TestApp* t_;
    App& app() { return t_->app; }
    std::int64_t count(const std::string& sql, std::initializer_list<db::Value> params = {}) {
        return app().db().read([&](db::Connection& c) { return db::scalar_int(c, sql, params).value_or(-1); });
    }
    std::string desa() {
        for (const auto& v : app().regency().villages)
            if (v.district_code == "35.23.16") return v.code;
        return {};
    }
    std::int64_t id_of(const gt::Reply& created) {
        return boost::json::parse(created.body).as_object().at("id").as_int64();
    }
    std::string proposal_json(const std::string& title, double lat = -6.9, const std::string& extra = "") {
        return "{\"title\":" + boost::json::serialize(boost::json::value(title)) +
               ",\"problem\":\"Sumur kering saat kemarau\",\"proposal\":\"Bor dua titik\",\"bidang\":\"kebencanaan\","
               "\"desa\":\"" +
               desa() + "\",\"lat\":" + std::to_string(lat) +
               ",\"lng\":112.05,\"volume\":2,"
               "\"satuan\":\"titik\",\"estimated_cost\":250000000" +
               extra + "}";
    }
    // A proposal of warga@demo.gapura.id in desa() (Kecamatan Tuban) that the kecamatan's operator
    // sent back for revision through the decision form.
    std::int64_t revised_proposal(const std::string& title) {
        gt::Client c(app());
        auto created = c.api(M::post, "/api/v1/proposals", proposal_json(title), token("warga@demo.gapura.id"));
        EXPECT_EQ(created.status, 201u) << created.body;
        const auto id = id_of(created);
        gt::Client op(app());
        EXPECT_EQ(t_->sign_in(op, "operator.kec-tuban@demo.gapura.id").status, 303u);
        const std::string page = "/usulan/" + std::to_string(id);
        auto r = op.post_form(page, page + "/keputusan", "decision=revise&note=Mohon+lengkapi+foto+lokasi");
        EXPECT_EQ(r.status, 303u) << r.body.substr(0, 1000);
        EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND status = 'revise'", {id}), 1);
        return id;
    }
    std::string csrf_of(const std::string& body) {
        std::smatch m;
        static const std::regex re("name=\"_csrf\" value=\"([^\"]+)\"");
        return std::regex_search(body, m, re) ? std::string(m[1]) : std::string();
    }
    std::string token(const std::string& email) {
        gt::Client c(app());
        auto r = c.api(M::post, "/api/v1/auth/token",
                       "{\"email\":\"" + email + "\",\"password\":\"gapura-demo-2026\"}");
        EXPECT_EQ(r.status, 201u) << r.body;
        return std::string(boost::json::parse(r.body).as_object().at("token").as_string());
    }
};
gt::TestApp* UsulanRoutesTest::t_ = nullptr;

TEST_F(UsulanRoutesTest, DemoSeedIsBelievableAndIdempotent) {
    const auto n = count("SELECT COUNT(*) FROM usulan_proposals");
    EXPECT_GE(n, 40);
    EXPECT_LE(n, 60);
    EXPECT_GE(count("SELECT COUNT(DISTINCT kecamatan_code) FROM usulan_proposals"), 15);
    EXPECT_GE(count("SELECT COUNT(DISTINCT stage) FROM usulan_proposals"), 4);
    EXPECT_GE(count("SELECT COUNT(*) FROM usulan_proposals WHERE status = 'accepted'"), 1);
    EXPECT_GE(count("SELECT COUNT(*) FROM usulan_proposals WHERE progress IS NOT NULL"), 1);
    EXPECT_GE(count("SELECT COUNT(*) FROM usulan_supports"), 10);
    EXPECT_GE(count("SELECT COUNT(*) FROM usulan_comments"), 5);
    app().seed(true);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), n);
}

TEST_F(UsulanRoutesTest, ListMapAndDetailWorkWithoutJavaScript) {
    gt::Client c(app());
    auto list = c.get("/usulan");
    ASSERT_EQ(list.status, 200u);
    EXPECT_NE(list.body.find("Usulan Pembangunan"), std::string::npos);
    EXPECT_NE(list.body.find("href=\"/usulan\""), std::string::npos);  // nav entry
    EXPECT_NE(list.body.find("sebelum="), std::string::npos);          // paging
    auto filtered = c.get("/usulan?kecamatan=35.23.16&bidang=infrastruktur&tahap=desa&q=jalan");
    EXPECT_EQ(filtered.status, 200u);
    EXPECT_EQ(c.get("/usulan?kecamatan=%27%20OR%201%3D1").status, 400u);
    EXPECT_EQ(c.get("/usulan?tahun=abc").status, 400u);
    EXPECT_EQ(c.get("/usulan?sebelum=-1").status, 400u);
    // The target-OPD filter: a known agency's slug only.
    EXPECT_EQ(c.get("/usulan?opd=dpupr-prkp&tahap=opd").status, 200u);
    for (const char* bad : {"/usulan?opd=tidak-ada", "/usulan?opd=%27%20OR%201%3D1", "/usulan?opd=%3Cscript%3E"}) {
        auto r = c.get(bad);
        EXPECT_EQ(r.status, 400u) << bad;
        EXPECT_NE(r.body.find("Pilih perangkat daerah tujuan."), std::string::npos) << bad;
        EXPECT_EQ(r.body.find("<script>"), std::string::npos) << bad;
    }
    auto map = c.get("/usulan/peta");
    ASSERT_EQ(map.status, 200u);
    EXPECT_NE(map.body.find("data-geojson=\"/api/v1/proposals.geojson\""), std::string::npos);
    EXPECT_NE(map.body.find("/static/js/usulan-map.js"), std::string::npos);
    EXPECT_NE(map.body.find("tile.openstreetmap.org"), std::string::npos);
    EXPECT_EQ(map.body.find("<script>"), std::string::npos);
    auto id = count("SELECT MIN(id) FROM usulan_proposals");
    auto detail = c.get("/usulan/" + std::to_string(id));
    ASSERT_EQ(detail.status, 200u);
    EXPECT_NE(detail.body.find("class=\"timeline\""), std::string::npos);
    EXPECT_EQ(c.get("/usulan/999999").status, 404u);
    EXPECT_EQ(c.get("/usulan/abc").status, 404u);
    EXPECT_EQ(c.get("/usulan/partisipasi").status, 200u);
    EXPECT_EQ(c.get("/usulan/tahun").status, 200u);
    auto rank = c.get("/usulan/peringkat?kecamatan=35.23.16");
    EXPECT_EQ(rank.status, 200u);
    EXPECT_EQ(c.get("/usulan/peringkat?kecamatan=xx").status, 400u);
    EXPECT_EQ(c.get("/static/js/usulan-map.js").status, 200u);
}

TEST_F(UsulanRoutesTest, SubmitFormEscapesHtmlAndReportsErrorsInTheUsersLanguage) {
    gt::Client c(app());
    EXPECT_EQ(c.get("/usulan/baru").status, 303u);  // sign in first
    t_->sign_in(c, "warga@demo.gapura.id");
    ASSERT_EQ(c.get("/usulan/baru").status, 200u);
    const auto before = count("SELECT COUNT(*) FROM usulan_proposals");
    auto bad = c.post_form("/usulan/baru", "/usulan",
                           "title=&problem=x&proposal=y&bidang=infrastruktur&desa=35.23.16.9999&volume=abc&satuan=m&lat=-7.3&lng=112.7&cost=-5");
    EXPECT_EQ(bad.status, 422u);
    EXPECT_NE(bad.body.find("Desa/kelurahan tidak dikenal"), std::string::npos);
    EXPECT_NE(bad.body.find("Judul wajib diisi"), std::string::npos);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), before);
    auto ok = c.post_form("/usulan/baru", "/usulan",
                          "title=%3Cscript%3Ealert(1)%3C%2Fscript%3E&problem=Rusak&proposal=Perbaiki&bidang=infrastruktur&desa=" +
                              desa() + "&address=Dusun+Krajan&volume=1,5&satuan=km&cost=Rp+1.500.000&name_display=initials");
    ASSERT_EQ(ok.status, 303u) << ok.body.substr(0, 2000);
    auto loc = ok.header(core::http::bhttp::field::location);
    auto page = c.get(loc);
    ASSERT_EQ(page.status, 200u);
    EXPECT_EQ(page.body.find("<script>alert(1)"), std::string::npos);
    EXPECT_NE(page.body.find("&lt;script&gt;alert(1)"), std::string::npos);
    EXPECT_NE(page.body.find("Rp 1.500.000"), std::string::npos);
    EXPECT_NE(page.body.find("S. W."), std::string::npos);
}

TEST_F(UsulanRoutesTest, UploadOfAnExecutableIsRefusedAndNothingIsWritten) {
    gt::Client c(app());
    t_->sign_in(c, "warga@demo.gapura.id");
    auto form = c.get("/usulan/baru");
    std::smatch m;
    std::regex re("name=\"_csrf\" value=\"([^\"]+)\"");
    ASSERT_TRUE(std::regex_search(form.body, m, re));
    const std::string b = "XyZb0undary";
    auto field = [&](const std::string& n, const std::string& v) {
        return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + n + "\"\r\n\r\n" + v + "\r\n";
    };
    std::string body = field("_csrf", m[1]) + field("title", "Jalan") + field("problem", "Rusak") +
                       field("proposal", "Perbaiki") + field("bidang", "infrastruktur") + field("desa", desa()) +
                       field("address", "Dusun") + field("volume", "5") + field("satuan", "m") + "--" + b +
                       "\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"foto.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
                       "MZ\x90\0\x03 this is a windows program"s + "\r\n--" + b + "--\r\n";
    const auto before = count("SELECT COUNT(*) FROM usulan_proposals");
    auto r = c.request(M::post, "/usulan", body, "multipart/form-data; boundary=" + b);
    EXPECT_EQ(r.status, 415u);
    EXPECT_NE(r.body.find("JPEG, PNG atau WebP"), std::string::npos);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), before);
}

TEST_F(UsulanRoutesTest, SupportTwiceIsAConflictAndWithdrawWorks) {
    gt::Client c(app());
    t_->sign_in(c, "usaha@demo.gapura.id");
    auto id = count("SELECT MIN(id) FROM usulan_proposals WHERE status IN ('submitted','revise') AND hidden_at IS NULL");
    const std::string page = "/usulan/" + std::to_string(id);
    // Start from a clean state for this account.
    c.post_form(page, page + "/tarik-dukungan", "");
    auto first = c.post_form(page, page + "/dukung", "");
    EXPECT_EQ(first.status, 303u);
    auto second = c.post_form(page, page + "/dukung", "");
    EXPECT_EQ(second.status, 409u);
    EXPECT_NE(second.body.find("sudah mendukung"), std::string::npos);
    EXPECT_EQ(c.post_form(page, page + "/tarik-dukungan", "").status, 303u);
    EXPECT_EQ(c.post_form(page, page + "/dukung", "").status, 303u);
    // Without the CSRF token nothing happens.
    EXPECT_EQ(c.post_raw(page + "/tarik-dukungan", "").status, 403u);
}

TEST_F(UsulanRoutesTest, CachedListsShowAWriteAtOnceAndExpireOtherwise) {
    gt::Client anon(app());
    auto id = count("SELECT MAX(id) FROM usulan_proposals WHERE status IN ('submitted','revise') AND hidden_at IS NULL");
    const std::string page = "/usulan/" + std::to_string(id);
    auto supports_in_list = [&]() -> std::int64_t {
        auto r = anon.get("/api/v1/proposals?limit=100");
        EXPECT_EQ(r.status, 200u);
        const auto doc = boost::json::parse(r.body);
        for (const auto& item : doc.at("items").as_array())
            if (item.at("id").as_int64() == id) return item.at("supports").as_int64();
        ADD_FAILURE() << "proposal " << id << " not in the list";
        return -1;
    };
    gt::Client c(app());
    t_->sign_in(c, "usaha@demo.gapura.id");
    c.post_form(page, page + "/tarik-dukungan", "");
    const auto before = supports_in_list();
    const auto html_before = anon.get("/usulan");
    EXPECT_FALSE(html_before.fast);
    const auto html_again = anon.get("/usulan");
    EXPECT_TRUE(html_again.fast) << "the second request is answered from the cache, on the I/O thread";
    EXPECT_EQ(html_again.body, html_before.body);
    EXPECT_EQ(html_again.header("Content-Type"), html_before.header("Content-Type"));
    EXPECT_EQ(html_again.header("Content-Security-Policy"), html_before.header("Content-Security-Policy"));
    ASSERT_EQ(c.post_form(page, page + "/dukung", "").status, 303u);
    EXPECT_EQ(supports_in_list(), before + 1) << "a write through the module must clear the cache";
    // A change made outside the module's routes shows once the entry expires (5 s).
    app().db().write([&](core::db::Connection& conn) {
        core::db::exec(conn, "UPDATE usulan_proposals SET supports = supports + 100 WHERE id = ?", {id});
    });
    EXPECT_EQ(supports_in_list(), before + 1);
    t_->clock.advance(5);
    EXPECT_EQ(supports_in_list(), before + 101);
    app().db().write([&](core::db::Connection& conn) {
        core::db::exec(conn, "UPDATE usulan_proposals SET supports = supports - 100 WHERE id = ?", {id});
    });
    t_->clock.advance(5);
    // Signed-in visitors never get the anonymous copy (their page names them).
    const auto anon_page = anon.get("/usulan").body;
    EXPECT_EQ(anon.get("/usulan").body, anon_page);
    const auto signed_in = c.get("/usulan");
    EXPECT_FALSE(signed_in.fast);
    EXPECT_NE(signed_in.body, anon_page);
    // A bearer token is never answered from the anonymous cache either.
    EXPECT_FALSE(anon.request(M::get, "/api/v1/proposals?limit=100", "", "", {{"Authorization", "Bearer nonsense"}}).fast);
}

TEST_F(UsulanRoutesTest, DecisionByAnotherOpdIsForbidden) {
    gt::Client c(app());
    t_->sign_in(c, "operator.pupr@demo.gapura.id");
    auto id = count("SELECT MIN(id) FROM usulan_proposals WHERE stage = 'desa' AND status = 'submitted'");
    ASSERT_GT(id, 0);
    const std::string page = "/usulan/" + std::to_string(id);
    auto r = c.post_form(page, page + "/keputusan", "decision=forward&score=80");
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND stage = 'desa'", {id}), 1);
}

TEST_F(UsulanRoutesTest, ApiListPagingGeoJsonAndCsv) {
    gt::Client c(app());
    auto r = c.get("/api/v1/proposals?limit=5");
    ASSERT_EQ(r.status, 200u);
    auto o = boost::json::parse(r.body).as_object();
    EXPECT_EQ(o.at("items").as_array().size(), 5u);
    ASSERT_TRUE(o.at("next_cursor").is_string());
    auto next = c.get("/api/v1/proposals?limit=5&cursor=" + std::string(o.at("next_cursor").as_string()));
    ASSERT_EQ(next.status, 200u);
    auto n = boost::json::parse(next.body).as_object();
    EXPECT_LT(n.at("items").as_array()[0].as_object().at("id").as_int64(),
              o.at("items").as_array()[4].as_object().at("id").as_int64());
    EXPECT_EQ(c.get("/api/v1/proposals?limit=101").status, 400u);
    EXPECT_EQ(c.get("/api/v1/proposals?limit=0").status, 400u);
    EXPECT_EQ(c.get("/api/v1/proposals?cursor=garbage!").status, 400u);
    EXPECT_EQ(c.get("/api/v1/proposals?stage=<x>").status, 400u);
    // The target-OPD filter: every item addressed to that agency; an unknown one names the field.
    auto to_pupr = c.get("/api/v1/proposals?target_opd=dpupr-prkp&limit=100");
    ASSERT_EQ(to_pupr.status, 200u);
    const auto pupr_items = boost::json::parse(to_pupr.body).at("items").as_array();
    EXPECT_FALSE(pupr_items.empty()) << "the demo seed addresses proposals to DPUPR-PRKP";
    for (const auto& it : pupr_items)
        EXPECT_EQ(it.at("target_opd").at("slug").as_string(), "dpupr-prkp");
    auto unknown = c.get("/api/v1/proposals?target_opd=tidak-ada", {{"Accept-Language", "en"}});
    EXPECT_EQ(unknown.status, 400u);
    EXPECT_NE(unknown.body.find("\"field\":\"target_opd\""), std::string::npos) << unknown.body;
    EXPECT_EQ(c.get("/api/v1/proposals.geojson?target_opd=%27%20OR%201%3D1").status, 400u);
    EXPECT_EQ(c.get("/api/v1/proposals.csv?target_opd=x").status, 400u);
    auto bad = c.get("/api/v1/proposals?kecamatan=zz", {{"Accept-Language", "en"}});
    EXPECT_NE(bad.body.find("Unknown kecamatan"), std::string::npos);
    auto id = o.at("items").as_array()[0].as_object().at("id").as_int64();
    auto one = c.get("/api/v1/proposals/" + std::to_string(id));
    ASSERT_EQ(one.status, 200u);
    EXPECT_TRUE(boost::json::parse(one.body).as_object().contains("timeline"));
    EXPECT_EQ(c.get("/api/v1/proposals/0").status, 404u);

    auto geo = c.get("/api/v1/proposals.geojson");
    ASSERT_EQ(geo.status, 200u);
    EXPECT_EQ(geo.header(core::http::bhttp::field::content_type), "application/geo+json");
    auto g = boost::json::parse(geo.body).as_object();
    const auto all = g.at("features").as_array().size();
    EXPECT_GT(all, 20u);
    auto box = c.get("/api/v1/proposals.geojson?bbox=112.0,-6.95,112.1,-6.85");
    ASSERT_EQ(box.status, 200u);
    auto gb = boost::json::parse(box.body).as_object();
    EXPECT_LT(gb.at("features").as_array().size(), all);
    for (const auto& f : gb.at("features").as_array()) {
        auto co = f.as_object().at("geometry").as_object().at("coordinates").as_array();
        EXPECT_GE(co[0].as_double(), 112.0);
        EXPECT_LE(co[1].as_double(), -6.85);
    }
    EXPECT_EQ(c.get("/api/v1/proposals.geojson?bbox=1,2,3").status, 400u);
    EXPECT_EQ(c.get("/api/v1/proposals.geojson?bbox=113,0,112,1").status, 400u);
    EXPECT_EQ(c.get("/api/v1/proposals.geojson?bbox=a,b,c,d").status, 400u);

    auto csv = c.get("/api/v1/proposals.csv");
    ASSERT_EQ(csv.status, 200u);
    EXPECT_EQ(csv.body.rfind("id,tahun,judul", 0), 0u);
    std::size_t lines = 0;
    for (char ch : csv.body) lines += ch == '\n';
    EXPECT_EQ(static_cast<std::int64_t>(lines) - 1, count("SELECT COUNT(*) FROM usulan_proposals WHERE hidden_at IS NULL"));
    auto td4 = c.get("/usulan/peringkat.csv?kecamatan=35.23.16&tahun=" +
                     std::to_string(count("SELECT MAX(year) FROM usulan_years")));
    ASSERT_EQ(td4.status, 200u);
    EXPECT_EQ(td4.body.rfind("prioritas,usulan", 0), 0u);
}

TEST_F(UsulanRoutesTest, ApiCreateAndSupportWithBearerToken) {
    gt::Client c(app());
    const std::string body = "{\"title\":\"Sumur bor\",\"problem\":\"Kering\",\"proposal\":\"Bor\",\"bidang\":\"kebencanaan\","
                             "\"desa\":\"" + desa() + "\",\"lat\":-6.9,\"lng\":112.05,\"volume\":2,\"satuan\":\"titik\"}";
    auto anon = c.api(M::post, "/api/v1/proposals", body);
    EXPECT_EQ(anon.status, 401u);
    const auto tok = token("warga@demo.gapura.id");
    const auto before = count("SELECT COUNT(*) FROM usulan_proposals");
    auto wrong_type = c.api(M::post, "/api/v1/proposals",
                            "{\"title\":\"x\",\"problem\":\"y\",\"proposal\":\"z\",\"bidang\":\"kebencanaan\",\"desa\":\"" + desa() +
                                "\",\"volume\":\"dua\",\"satuan\":\"titik\",\"address\":\"a\"}",
                            tok);
    EXPECT_EQ(wrong_type.status, 400u);
    auto unknown = c.api(M::post, "/api/v1/proposals", "{\"title\":\"x\",\"admin\":true}", tok);
    EXPECT_EQ(unknown.status, 400u);
    auto outside = c.api(M::post, "/api/v1/proposals",
                         "{\"title\":\"x\",\"problem\":\"y\",\"proposal\":\"z\",\"bidang\":\"kebencanaan\",\"desa\":\"" + desa() +
                             "\",\"lat\":-7.25,\"lng\":112.75,\"volume\":2,\"satuan\":\"titik\"}",
                         tok);
    EXPECT_EQ(outside.status, 422u);
    EXPECT_NE(outside.body.find("di luar wilayah kabupaten"), std::string::npos);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), before);
    auto created = c.api(M::post, "/api/v1/proposals", body, tok);
    ASSERT_EQ(created.status, 201u) << created.body;
    auto id = boost::json::parse(created.body).as_object().at("id").as_int64();
    const std::string path = "/api/v1/proposals/" + std::to_string(id) + "/supports";
    const auto other = token("usaha@demo.gapura.id");
    EXPECT_EQ(c.api(M::post, path, "", other).status, 201u);
    auto twice = c.api(M::post, path, "", other);
    EXPECT_EQ(twice.status, 409u);
    EXPECT_EQ(c.api(M::delete_, path, "", other).status, 200u);
    EXPECT_EQ(count("SELECT supports FROM usulan_proposals WHERE id = ?", {id}), 0);
}

// ---- Desa/kelurahan operators ----

TEST_F(UsulanRoutesTest, DemoSeedGivesAHandfulOfVillagesADesaOperator) {
    // A handful, not one per village; each bound to its own village's desa office.
    EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE email LIKE 'operator.desa-%@demo.gapura.id'"), 5);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users u JOIN opds o ON o.id = u.opd_id WHERE u.role = 'operator_opd'"
                    " AND o.kind = 'desa' AND u.email = 'operator.' || o.slug || '@demo.gapura.id'"),
              5);
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM users u JOIN opds o ON o.id = u.opd_id"
              " WHERE u.email = 'operator.desa-kenduruan-jlodro@demo.gapura.id' AND o.region_code = '35.23.01.2001'"),
        1);
    // Each has a proposal of its village waiting in its queue, and decided others at the desa stage.
    EXPECT_EQ(
        count("SELECT COUNT(DISTINCT p.desa_code) FROM usulan_proposals p JOIN opds o ON o.region_code = p.desa_code"
              " JOIN users u ON u.opd_id = o.id WHERE u.email LIKE 'operator.desa-%' AND p.stage = 'desa'"
              " AND p.status = 'submitted'"),
        5);
    EXPECT_GE(count("SELECT COUNT(*) FROM usulan_events e JOIN usulan_proposals p ON p.id = e.proposal_id"
                    " JOIN opds o ON o.region_code = p.desa_code AND o.kind = 'desa'"
                    " WHERE e.kind = 'decision' AND e.stage = 'desa' AND e.actor = o.name"),
              1);
    // Seeding again adds no account.
    const auto users = count("SELECT COUNT(*) FROM users");
    app().seed(true);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users"), users);
}

// An agency's operator has the OPD forum's queue on the list page: what the kecamatan forwarded to
// it, with a link to the whole filtered list; a proposal addressed to another agency is not in it.
TEST_F(UsulanRoutesTest, TargetOpdOperatorSeesWhatWasAddressedToIt) {
    gt::Client op(app());
    ASSERT_EQ(t_->sign_in(op, "operator.pupr@demo.gapura.id").status, 303u);
    auto list = op.get("/usulan");
    ASSERT_EQ(list.status, 200u);
    const auto from = list.body.find("class=\"card usulan-queue\"");
    ASSERT_NE(from, std::string::npos) << "an agency has a queue";
    const std::string queue = list.body.substr(from, list.body.find("</section>", from) - from);
    EXPECT_NE(queue.find("Forum perangkat daerah · Dinas Pekerjaan Umum"), std::string::npos) << queue;
    EXPECT_NE(queue.find("href=\"/usulan?tahap=opd&amp;status=submitted&amp;opd=dpupr-prkp\""), std::string::npos) << queue;
    // What the queue's list holds: only proposals addressed to DPUPR-PRKP at the OPD forum.
    const auto addressed = count("SELECT COUNT(*) FROM usulan_proposals p JOIN opds o ON o.id = p.target_opd_id"
                                 " WHERE o.slug = 'dpupr-prkp' AND p.stage = 'opd' AND p.status = 'submitted' AND p.hidden_at IS NULL");
    const auto other = count("SELECT COUNT(*) FROM usulan_proposals p JOIN opds o ON o.id = p.target_opd_id"
                             " WHERE o.slug <> 'dpupr-prkp' AND p.stage = 'opd' AND p.status = 'submitted' AND p.hidden_at IS NULL");
    auto filtered = op.get("/usulan?tahap=opd&status=submitted&opd=dpupr-prkp");
    ASSERT_EQ(filtered.status, 200u);
    std::size_t items = 0;
    for (std::size_t at = filtered.body.find("<li class=\"usulan-item"); at != std::string::npos;
         at = filtered.body.find("<li class=\"usulan-item", at + 1))
        ++items;
    EXPECT_EQ(static_cast<std::int64_t>(items), std::min<std::int64_t>(addressed, 20));
    EXPECT_GT(addressed + other, 0) << "the demo seed has proposals at the OPD forum";
}

TEST_F(UsulanRoutesTest, TheTargetOpdFilterListsEveryAgencyAndSelectsTheChosenOne) {
    // The expected options straight from the database: active agencies, then kecamatan offices,
    // by name; never a village office.
    std::vector<std::pair<std::string, std::string>> opds;
    app().db().read([&](db::Connection& c) {
        db::Query q(c, "SELECT slug, name FROM opds WHERE active = 1 AND kind NOT IN ('desa', 'kelurahan')"
                       " ORDER BY CASE WHEN kind = 'kecamatan' THEN 1 ELSE 0 END, name");
        while (q.next()) opds.emplace_back(q.text(0), q.text(1));
        return 0;
    });
    ASSERT_GT(opds.size(), 20u);
    auto options = [&](const std::string& selected) {
        std::string out;
        for (const auto& [slug, name] : opds) {
            EXPECT_EQ(name.find_first_of("&<>\"'"), std::string::npos) << "escaping not expected: " << name;
            out += "<option value=\"" + slug + "\"" + (slug == selected ? " selected" : "") + ">" + name + "</option>";
        }
        return out;
    };
    // The <select>'s options after the leading "all" one.
    auto select_of = [](const std::string& body) {
        const auto at = body.find("<select id=\"f-opd\" name=\"opd\"><option value=\"\">");
        if (at == std::string::npos) return std::string("<no select>");
        const auto from = body.find("</option>", at) + 9;
        return body.substr(from, body.find("</select>", from) - from);
    };
    gt::Client c(app());
    auto all = c.get("/usulan");
    ASSERT_EQ(all.status, 200u);
    EXPECT_EQ(select_of(all.body), options(""));
    for (int i = 0; i < 2; ++i) {  // the second time from the in-memory list: the same options
        auto one = c.get("/usulan?opd=dinkes-p2kb");
        ASSERT_EQ(one.status, 200u);
        EXPECT_EQ(select_of(one.body), options("dinkes-p2kb"));
    }
    // English pages list the same agencies; a village office is not a filter value.
    auto en = c.get("/usulan?opd=kec-jenu", {{"Accept-Language", "en"}});
    ASSERT_EQ(en.status, 200u);
    EXPECT_EQ(select_of(en.body), options("kec-jenu"));
    const auto village_office = app().db().read([&](db::Connection& c2) {
        return db::scalar_text(c2, "SELECT slug FROM opds WHERE kind = 'desa' LIMIT 1").value_or("");
    });
    ASSERT_FALSE(village_office.empty());
    EXPECT_EQ(c.get("/usulan?opd=" + village_office).status, 400u);
}

TEST_F(UsulanRoutesTest, DesaOperatorSeesItsQueueAndDecidesOnlyItsOwnVillage) {
    const std::string jlodro = "35.23.01.2001";  // Desa Jlodro, Kecamatan Kenduruan
    gt::Client c(app());
    const auto tok = token("warga@demo.gapura.id");
    std::string body = proposal_json("Sumur bor Jlodro untuk antrean");
    body.replace(body.find(desa()), desa().size(), jlodro);
    auto created = c.api(M::post, "/api/v1/proposals", body, tok);
    ASSERT_EQ(created.status, 201u) << created.body;
    const auto mine = id_of(created);
    created = c.api(M::post, "/api/v1/proposals", proposal_json("Sumur bor desa lain untuk antrean"), tok);
    ASSERT_EQ(created.status, 201u) << created.body;
    const auto theirs = id_of(created);
    const std::string mine_page = "/usulan/" + std::to_string(mine), theirs_page = "/usulan/" + std::to_string(theirs);

    gt::Client op(app());
    ASSERT_EQ(t_->sign_in(op, "operator.desa-kenduruan-jlodro@demo.gapura.id").status, 303u);
    // The work queue on the list page: this village at the desa stage, nothing else.
    // The queue section of the list page ("" when there is none).
    auto queue_of = [](const gt::Reply& r) {
        const auto from = r.body.find("class=\"card usulan-queue\"");
        return from == std::string::npos ? std::string() : r.body.substr(from, r.body.find("</section>", from) - from);
    };
    auto list = op.get("/usulan");
    ASSERT_EQ(list.status, 200u);
    const std::string queue = queue_of(list);
    ASSERT_FALSE(queue.empty()) << list.body.substr(0, 2000);
    EXPECT_NE(queue.find("Menunggu keputusan Anda"), std::string::npos);
    EXPECT_NE(queue.find("Musrenbang desa/kelurahan · Desa Jlodro"), std::string::npos) << queue;
    EXPECT_NE(queue.find("href=\"" + mine_page + "\""), std::string::npos) << queue;
    EXPECT_EQ(queue.find("href=\"" + theirs_page + "\""), std::string::npos) << queue;
    const std::string all = "/usulan?desa=" + jlodro + "&tahap=desa&status=submitted";
    EXPECT_NE(queue.find("href=\"/usulan?desa=" + jlodro + "&amp;tahap=desa&amp;status=submitted\""), std::string::npos)
        << queue;
    auto filtered = op.get(all);
    EXPECT_NE(filtered.body.find("Sumur bor Jlodro untuk antrean"), std::string::npos);
    EXPECT_EQ(filtered.body.find("Sumur bor desa lain untuk antrean"), std::string::npos);
    // Citizens have no queue.
    gt::Client w(app());
    t_->sign_in(w, "warga@demo.gapura.id");
    EXPECT_EQ(queue_of(w.get("/usulan")), "");

    // The decision form on its own village's proposal only.
    EXPECT_NE(op.get(mine_page).body.find("action=\"" + mine_page + "/keputusan\""), std::string::npos);
    EXPECT_EQ(op.get(theirs_page).body.find("/keputusan\""), std::string::npos);
    // Another village's proposal: refused with the scope in the message, nothing written.
    const auto events = count("SELECT COUNT(*) FROM usulan_events");
    auto refused = op.post_form(theirs_page, theirs_page + "/keputusan", "decision=forward&score=80");
    EXPECT_EQ(refused.status, 403u);
    EXPECT_NE(refused.body.find("Operator desa/kelurahan hanya memutuskan usulan desa/kelurahannya sendiri"),
              std::string::npos);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND stage = 'desa' AND status = 'submitted'",
                    {theirs}),
              1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_events"), events);
    // Its own: forwarded to the kecamatan, where it may not decide any more.
    auto ok = op.post_form(mine_page, mine_page + "/keputusan", "decision=forward&score=80&note=Disepakati");
    EXPECT_EQ(ok.status, 303u) << ok.body.substr(0, 1000);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND stage = 'kecamatan'", {mine}), 1);
    EXPECT_EQ(op.get(mine_page).body.find("/keputusan\""), std::string::npos);
    refused = op.post_form(mine_page, mine_page + "/keputusan", "decision=forward&score=80&target_opd=dpupr-prkp");
    EXPECT_EQ(refused.status, 403u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND stage = 'kecamatan'", {mine}), 1);
    EXPECT_EQ(queue_of(op.get("/usulan")).find("href=\"" + mine_page + "\""), std::string::npos);  // left the queue

    // The kecamatan office has it in its queue now, and its target-OPD list has no village office.
    gt::Client kec(app());
    ASSERT_EQ(t_->sign_in(kec, "operator.kec-kenduruan@demo.gapura.id").status, 303u);
    const auto kec_queue = queue_of(kec.get("/usulan"));
    const auto kec_stage = kec_queue.find("Musrenbang kecamatan · Kecamatan Kenduruan");
    ASSERT_NE(kec_stage, std::string::npos) << kec_queue;
    EXPECT_NE(kec_queue.find("href=\"" + mine_page + "\"", kec_stage), std::string::npos) << kec_queue;
    auto form = kec.get(mine_page).body;
    EXPECT_NE(form.find("value=\"dpupr-prkp\""), std::string::npos);
    EXPECT_EQ(form.find("value=\"desa-"), std::string::npos);
    EXPECT_EQ(form.find("value=\"kel-"), std::string::npos);
    EXPECT_EQ(form.find("value=\"kec-"), std::string::npos);
}

TEST_F(UsulanRoutesTest, AdminMayMakeADesaOperatorFromGroupedOffices) {
    gt::Client admin(app());
    ASSERT_EQ(t_->sign_in(admin, "admin@demo.gapura.id").status, 303u);
    const auto uid = count("SELECT id FROM users WHERE email = 'warga3@demo.gapura.id'");
    const std::string page = "/admin/pengguna/" + std::to_string(uid);
    const auto form = admin.get(page).body;
    // Agencies first, then the kecamatan offices, then the villages' offices per kecamatan.
    const auto agencies = form.find("<optgroup label=\"Perangkat daerah\">");
    const auto kecamatan = form.find("<optgroup label=\"Kecamatan\">");
    const auto kenduruan = form.find("<optgroup label=\"Desa/kelurahan, Kec. Kenduruan\">");
    ASSERT_NE(agencies, std::string::npos);
    ASSERT_NE(kecamatan, std::string::npos);
    ASSERT_NE(kenduruan, std::string::npos);
    EXPECT_LT(agencies, kecamatan);
    EXPECT_LT(kecamatan, kenduruan);
    const auto jlodro = count("SELECT id FROM opds WHERE slug = 'desa-kenduruan-jlodro'");
    const auto option = form.find("<option value=\"" + std::to_string(jlodro) + "\">Desa Jlodro</option>");
    ASSERT_NE(option, std::string::npos);
    EXPECT_GT(option, kenduruan);
    EXPECT_LT(option, form.find("</optgroup>", kenduruan));
    auto r = admin.post_form(page, page, "role=operator_opd&opd_id=" + std::to_string(jlodro));
    EXPECT_EQ(r.status, 303u) << r.body.substr(0, 1000);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE id = ? AND opd_id = ?", {uid, jlodro}), 1);
    gt::Client op(app());
    ASSERT_EQ(t_->sign_in(op, "warga3@demo.gapura.id").status, 303u);
    EXPECT_NE(op.get("/akun").body.find("Desa Jlodro"), std::string::npos);
    admin.post_form(page, page, "role=warga&opd_id=");  // restore
}

// ---- The proposer's revision (form and API) ----

TEST_F(UsulanRoutesTest, ProposerRevisesThroughTheFormAndTheOperatorDecidesAgain) {
    const auto id = revised_proposal("Sumur bor untuk dusun");
    const std::string page = "/usulan/" + std::to_string(id), edit = page + "/perbaiki";
    // Only the proposer sees the link.
    gt::Client anon(app());
    EXPECT_EQ(anon.get(page).body.find(edit), std::string::npos);
    EXPECT_EQ(anon.get(edit).status, 303u);  // sign in first
    gt::Client other(app());
    t_->sign_in(other, "usaha@demo.gapura.id");
    EXPECT_EQ(other.get(page).body.find(edit), std::string::npos);
    gt::Client w(app());
    t_->sign_in(w, "warga@demo.gapura.id");
    auto detail = w.get(page);
    ASSERT_EQ(detail.status, 200u);
    EXPECT_NE(detail.body.find("href=\"" + edit + "\""), std::string::npos);
    EXPECT_NE(detail.body.find("Perbaiki usulan"), std::string::npos);
    // The form: the submit form, filled with the current fields and the operator's note.
    auto form = w.get(edit);
    ASSERT_EQ(form.status, 200u);
    EXPECT_NE(form.body.find("action=\"" + edit + "\""), std::string::npos);
    EXPECT_NE(form.body.find("value=\"Sumur bor untuk dusun\""), std::string::npos);
    EXPECT_NE(form.body.find(">Sumur kering saat kemarau</textarea>"), std::string::npos);
    EXPECT_NE(form.body.find("<option value=\"kebencanaan\" selected>"), std::string::npos);
    EXPECT_NE(form.body.find("<option value=\"" + desa() + "\" selected>"), std::string::npos);
    EXPECT_NE(form.body.find("name=\"volume\" inputmode=\"decimal\" maxlength=\"20\" required value=\"2\""),
              std::string::npos);
    EXPECT_NE(form.body.find("name=\"cost\" inputmode=\"numeric\" maxlength=\"40\" value=\"250000000\""),
              std::string::npos);
    EXPECT_NE(form.body.find("value=\"-6.9\""), std::string::npos);
    EXPECT_NE(form.body.find("value=\"112.05\""), std::string::npos);
    EXPECT_NE(form.body.find("Mohon lengkapi foto lokasi"), std::string::npos);
    EXPECT_FALSE(csrf_of(form.body).empty());
    // Bad fields: the submission's messages, nothing written.
    const std::string written = "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'usulan.%'";
    const auto audits = count(written);
    auto bad = w.post_form(edit, edit,
                           "title=&problem=x&proposal=y&bidang=kebencanaan&desa=35.23.16.9999&volume=abc&satuan=m&lat=-"
                           "7.3&lng=112.7&cost=-5");
    EXPECT_EQ(bad.status, 422u);
    EXPECT_NE(bad.body.find("Judul wajib diisi"), std::string::npos);
    EXPECT_NE(bad.body.find("Desa/kelurahan tidak dikenal"), std::string::npos);
    EXPECT_NE(bad.body.find("action=\"" + edit + "\""), std::string::npos);  // the edit form again
    EXPECT_EQ(count(written), audits);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND status = 'revise' AND title = 'Sumur bor "
                    "untuk dusun'",
                    {id}),
              1);
    // Without the CSRF token nothing happens.
    EXPECT_EQ(w.post_raw(edit, "title=x").status, 403u);
    // Someone else cannot save it.
    auto stranger = other.post_form(
        page, edit,
        "title=Diambil&problem=x&proposal=y&bidang=kebencanaan&desa=" + desa() + "&address=a&volume=1&satuan=m");
    EXPECT_EQ(stranger.status, 403u);
    EXPECT_NE(stranger.body.find("Hanya pengusul"), std::string::npos);
    EXPECT_EQ(other.get(edit).status, 403u);
    EXPECT_EQ(count(written), audits);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_events WHERE proposal_id = ?", {id}), 2);
    // The proposer saves; hostile text stays text.
    auto ok = w.post_form(
        edit, edit,
        "title=%3Cscript%3Ealert(1)%3C%2Fscript%3E+sumur&problem=Kering&proposal=Bor+tiga+titik&bidang=kebencanaan&"
        "desa=" +
            desa() +
            "&address=Dusun+Krajan&lat=-6.9&lng=112.05&volume=3&satuan=titik&cost=Rp+300.000.000&name_display=full");
    ASSERT_EQ(ok.status, 303u) << ok.body.substr(0, 2000);
    EXPECT_EQ(ok.header(core::http::bhttp::field::location), page + "?pesan=diperbaiki");
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND status = 'submitted' AND stage = 'desa'"
                    " AND volume = 3 AND cost = 300000000",
                    {id}),
              1);
    auto after = w.get(page + "?pesan=diperbaiki");
    ASSERT_EQ(after.status, 200u);
    EXPECT_EQ(after.body.find("<script>alert(1)"), std::string::npos);
    EXPECT_NE(after.body.find("&lt;script&gt;alert(1)"), std::string::npos);
    EXPECT_NE(after.body.find("Perbaikan tersimpan"), std::string::npos);
    EXPECT_NE(after.body.find("Diperbaiki oleh pengusul"), std::string::npos);  // the public timeline
    EXPECT_EQ(after.body.find("href=\"" + edit + "\""), std::string::npos);     // no revision pending
    EXPECT_NE(anon.get(page).body.find("Diperbaiki oleh pengusul"), std::string::npos);
    // The audit entry, on the public audit page of the proposal.
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'usulan.amend' AND object_type = 'proposal' AND "
                    "object_id = ?",
                    {std::to_string(id)}),
              1);
    auto trail = anon.get("/jejak-audit?jenis=proposal&id=" + std::to_string(id));
    ASSERT_EQ(trail.status, 200u);
    EXPECT_NE(trail.body.find("usulan.amend"), std::string::npos);
    // Once saved, a second revision is a conflict until an operator asks again.
    EXPECT_EQ(w.get(edit).status, 409u);
    auto twice = w.post_form(
        page, edit, "title=x&problem=x&proposal=y&bidang=kebencanaan&desa=" + desa() + "&address=a&volume=1&satuan=m");
    EXPECT_EQ(twice.status, 409u);
    EXPECT_NE(twice.body.find("tidak sedang menunggu perbaikan"), std::string::npos);
    // The same stage's operator decides again.
    gt::Client op(app());
    t_->sign_in(op, "operator.kec-tuban@demo.gapura.id");
    auto op_page = op.get(page);
    EXPECT_NE(op_page.body.find("/keputusan"), std::string::npos);
    EXPECT_EQ(op.post_form(page, page + "/keputusan", "decision=forward&score=80").status, 303u);
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND stage = 'kecamatan' AND status = 'submitted'",
              {id}),
        1);
}

TEST_F(UsulanRoutesTest, ProposerRevisesThroughTheApi) {
    const auto id = revised_proposal("Sumur bor lewat API");
    const std::string path = "/api/v1/proposals/" + std::to_string(id);
    const auto tok = token("warga@demo.gapura.id");
    gt::Client c(app());
    // (Issuing a token writes its own audit entry.)
    const std::string written = "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'usulan.%'";
    const auto audits = count(written);
    auto unchanged = [&] {
        return count(
                   "SELECT COUNT(*) FROM usulan_proposals WHERE id = ? AND status = 'revise' AND title = 'Sumur bor "
                   "lewat API'",
                   {id}) == 1 &&
               count(written) == audits && count("SELECT COUNT(*) FROM usulan_events WHERE proposal_id = ?", {id}) == 2;
    };
    const auto good = proposal_json("Sumur bor dalam <b>dua</b> titik");
    // Refusals, nothing written.
    auto anon = c.api(M::put, path, good);
    EXPECT_EQ(anon.status, 401u);
    EXPECT_EQ(anon.header(core::http::bhttp::field::www_authenticate), "Bearer");
    auto other = c.api(M::put, path, good, token("usaha@demo.gapura.id"));
    EXPECT_EQ(other.status, 403u);
    EXPECT_NE(other.body.find("Hanya pengusul"), std::string::npos);
    EXPECT_EQ(c.api(M::put, "/api/v1/proposals/999999", good, tok).status, 404u);
    EXPECT_EQ(c.api(M::put, "/api/v1/proposals/abc", good, tok).status, 404u);
    EXPECT_EQ(c.request(M::put, path, good, "text/plain", {{"Authorization", "Bearer " + tok}}).status, 415u);
    EXPECT_EQ(c.api(M::put, path, "{\"title\":\"x\",\"admin\":true}", tok).status, 400u);
    EXPECT_EQ(c.api(M::put, path, "{\"title\":5}", tok).status, 400u);
    EXPECT_EQ(c.api(M::put, path, "[1,2", tok).status, 400u);
    auto outside = c.api(M::put, path, proposal_json("Sumur", -7.25), tok);
    EXPECT_EQ(outside.status, 422u);
    EXPECT_NE(outside.body.find("di luar wilayah kabupaten"), std::string::npos);
    auto empty = c.api(M::put, path, proposal_json(""), tok);
    EXPECT_EQ(empty.status, 422u);
    EXPECT_NE(empty.body.find("Judul wajib diisi"), std::string::npos);
    auto year = c.api(M::put, path, proposal_json("Sumur", -6.9, ",\"year\":2000"), tok);
    EXPECT_EQ(year.status, 422u);
    EXPECT_TRUE(unchanged());
    // The proposer's amendment.
    auto r = c.api(M::put, path, good, tok);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto o = boost::json::parse(r.body).as_object();
    EXPECT_EQ(o.at("id").as_int64(), id);
    EXPECT_EQ(o.at("title").as_string(), "Sumur bor dalam <b>dua</b> titik");  // stored as text
    EXPECT_EQ(o.at("status").as_string(), "submitted");
    EXPECT_EQ(o.at("stage").as_string(), "desa");
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'usulan.amend' AND object_id = ?", {std::to_string(id)}),
        1);
    auto got = boost::json::parse(c.get(path).body).as_object();
    const auto& tl = got.at("timeline").as_array();
    ASSERT_FALSE(tl.empty());
    EXPECT_EQ(tl.back().as_object().at("kind").as_string(), "amended");
    auto html = c.get("/usulan/" + std::to_string(id));
    EXPECT_NE(html.body.find("Sumur bor dalam &lt;b&gt;dua&lt;/b&gt; titik"), std::string::npos);
    // Not in 'revise' any more: a conflict.
    auto again = c.api(M::put, path, good, tok);
    EXPECT_EQ(again.status, 409u);
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'usulan.amend' AND object_id = ?", {std::to_string(id)}),
        1);
}

TEST_F(UsulanRoutesTest, DemoSeedGivesEveryKecamatanItsOperatorIdempotently) {
    const auto& kec = app().regency().kecamatan;
    ASSERT_EQ(kec.size(), 20u);
    const std::string per_office =
        "SELECT COUNT(*) FROM opds o WHERE o.kind = 'kecamatan' AND (SELECT COUNT(*) FROM users u WHERE u.opd_id = o.id"
        " AND u.role = 'operator_opd' AND u.email = 'operator.' || o.slug || '@demo.gapura.id') = 1";
    EXPECT_EQ(count(per_office), 20);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE email LIKE 'operator.kec-%@demo.gapura.id'"), 20);
    const auto users = count("SELECT COUNT(*) FROM users");
    const auto proposals = count("SELECT COUNT(*) FROM usulan_proposals");
    // (The reference data loader records its own entry on every run.)
    const std::string written = "SELECT COUNT(*) FROM audit_log WHERE action = 'user.create' OR action LIKE 'usulan.%'";
    const auto audits = count(written);
    app().seed(true);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users"), users);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), proposals);
    EXPECT_EQ(count(written), audits);
    EXPECT_EQ(count(per_office), 20);
    // Each operator signs in with the demo password and may decide at its own kecamatan's stages.
    int walked = 0;
    for (const auto& o : app().regency().opds) {
        if (o.kind != "kecamatan") continue;
        gt::Client c(app());
        ASSERT_EQ(t_->sign_in(c, "operator." + o.slug + "@demo.gapura.id").status, 303u) << o.slug;
        auto id = count(
            "SELECT COALESCE(MIN(id), 0) FROM usulan_proposals WHERE kecamatan_code = ? AND stage IN "
            "('desa','kecamatan')"
            " AND status IN ('submitted','revise') AND hidden_at IS NULL",
            {o.region_code});
        if (id <= 0) continue;
        auto page = c.get("/usulan/" + std::to_string(id));
        EXPECT_NE(page.body.find("action=\"/usulan/" + std::to_string(id) + "/keputusan\""), std::string::npos)
            << o.slug;
        ++walked;
    }
    EXPECT_GE(walked, 10);  // the demo has open proposals at the desa/kecamatan stages in most kecamatan
    // An operator of another kecamatan may not.
    auto tuban = count(
        "SELECT COALESCE(MIN(id), 0) FROM usulan_proposals WHERE kecamatan_code = '35.23.16'"
        " AND stage IN ('desa','kecamatan') AND status IN ('submitted','revise')");
    EXPECT_GT(tuban, 0);
    {
        gt::Client jenu(app());
        t_->sign_in(jenu, "operator.kec-jenu@demo.gapura.id");
        const std::string page = "/usulan/" + std::to_string(tuban);
        EXPECT_EQ(jenu.get(page).body.find("/keputusan\""), std::string::npos);
        EXPECT_EQ(jenu.post_form(page, page + "/keputusan", "decision=forward&score=80").status, 403u);
    }
}

}  // namespace
