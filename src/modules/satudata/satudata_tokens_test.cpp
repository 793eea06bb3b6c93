// OPD API tokens end to end on an in-process App: the token page (create, secret once, list,
// revoke, bad input), what a token sees through the CKAN API and the downloads, refusals in
// CKAN's envelope (bad, revoked, expired keys; writes), secrets kept out of the database and the
// audit log, and the XLSX download read back by a real reader.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/testing.hpp"
#include "core/auth/crypto.hpp"
#include "core/files/file_store.hpp"
#include "core/region/regency.hpp"
#include "core/web/i18n.hpp"
#include "core/web/views.hpp"
#include "modules/satudata/satudata_service.hpp"
#include "modules/satudata/satudata_testing.hpp"
#include "modules/satudata/xlsx_test_reader.hpp"

namespace gapura::modules::satudata {
namespace {

using core::auth::Principal;
using core::http::Method;
namespace json = boost::json;

struct World : testing_sd::World {
    // A published dataset of PUPR with the given visibility.
    std::int64_t dataset(const std::string& slug, const std::string& visibility, std::vector<std::string> access = {},
                         bool publish = true, const std::string& csv = "kode,jumlah\n35.23.01,5\n35.23.02,7\n") {
        auto pupr = who("operator.pupr@demo.gapura.id");
        DatasetInput in;
        in.title = "Data token " + slug;
        in.slug = slug;
        in.visibility = visibility;
        in.access_opds = std::move(access);
        auto id = svc.create_dataset(pupr, in);
        EXPECT_TRUE(id.ok()) << slug;
        EXPECT_TRUE(svc.set_columns(pupr, *id,
                                    {{"kode", ColumnType::region, true, {}}, {"jumlah", ColumnType::integer, true, {}}})
                        .ok());
        auto up = svc.upload(pupr, *id, slug + ".csv", csv);
        EXPECT_TRUE(up.ok() && up->accepted) << slug;
        if (publish) {
            auto wali = who("walidata@demo.gapura.id");
            EXPECT_TRUE(svc.submit(pupr, *id).ok());
            EXPECT_TRUE(svc.verify(wali, *id).ok());
            EXPECT_TRUE(svc.publish(wali, *id).ok());
        }
        return *id;
    }
};

// Creates a token on the page as the signed-in client; returns the secret shown once.
std::string create_token(testing::Client& c, const std::string& name, const std::string& expires = "") {
    auto r = c.post_form("/data-opd/token", "/data-opd/token", "name=" + name + "&expires=" + expires);
    EXPECT_EQ(r.status, 200u) << r.body.substr(0, 400);
    std::smatch m;
    static const std::regex re("id=\"secret\" class=\"sd-hash\" value=\"(sd_[A-Za-z0-9_-]+)\"");
    EXPECT_TRUE(std::regex_search(r.body, m, re));
    return m.size() > 1 ? std::string(m[1]) : std::string();
}

testing::Reply ckan(testing::Client& c, const std::string& target, const std::map<std::string, std::string>& headers,
                    Method method = Method::get, const std::string& body = "") {
    return c.request(method, target, body, body.empty() ? "" : "application/json", headers);
}

std::string error_type(const testing::Reply& r) {
    auto doc = json::parse(r.body);
    EXPECT_FALSE(doc.at("success").as_bool());
    return std::string(doc.at("error").at("__type").as_string());
}

std::int64_t search_count(testing::Client& c, const std::string& query, const std::map<std::string, std::string>& h) {
    auto r = ckan(c, "/api/3/action/package_search?" + query, h);
    EXPECT_EQ(r.status, 200u) << r.body;
    return json::parse(r.body).at("result").at("count").as_int64();
}

TEST(SatuDataTokens, PageCreatesShowsOnceListsAndRevokes) {
    World w;
    testing::Client anon(w.t.app);
    EXPECT_EQ(anon.get("/data-opd/token").status, 303u);
    testing::Client citizen(w.t.app);
    w.t.sign_in(citizen, "warga@demo.gapura.id");
    EXPECT_EQ(citizen.get("/data-opd/token").status, 403u);
    EXPECT_EQ(citizen.post_form("/data-opd", "/data-opd/token", "name=x").status, 403u);

    testing::Client disdik(w.t.app);
    w.t.sign_in(disdik, "operator.disdik@demo.gapura.id");
    EXPECT_NE(disdik.get("/data-opd").body.find("/data-opd/token"), std::string::npos);  // linked
    auto page = disdik.post_form("/data-opd/token", "/data-opd/token", "name=Dasbor+sekolah&expires=");
    ASSERT_EQ(page.status, 200u);
    EXPECT_EQ(page.header(core::http::bhttp::field::cache_control), "no-store");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(page.body, m, std::regex("value=\"(sd_[A-Za-z0-9_-]{43})\"")));
    const std::string secret = m[1];
    // Shown once: the list afterwards has the name and the prefix, never the secret.
    auto list = disdik.get("/data-opd/token");
    EXPECT_EQ(list.body.find(secret), std::string::npos);
    EXPECT_NE(list.body.find("Dasbor sekolah"), std::string::npos);
    EXPECT_NE(list.body.find(secret.substr(0, 7)), std::string::npos);
    // Stored hashed: the hash of the secret is there, the secret nowhere.
    EXPECT_EQ(
        w.count("SELECT COUNT(*) FROM sd_api_tokens WHERE token_hash = ?", {core::auth::Crypto::sha256_hex(secret)}),
        1);
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM sd_api_tokens WHERE token_hash = ? OR name = ? OR prefix = ?",
                      {secret, secret, secret}),
              0);

    // Another OPD's operator neither sees nor revokes it.
    testing::Client pupr(w.t.app);
    w.t.sign_in(pupr, "operator.pupr@demo.gapura.id");
    EXPECT_EQ(pupr.get("/data-opd/token").body.find("Dasbor sekolah"), std::string::npos);
    const auto id = std::to_string(w.count("SELECT id FROM sd_api_tokens"));
    EXPECT_EQ(pupr.post_form("/data-opd/token", "/data-opd/token/" + id + "/cabut", "").status, 404u);
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM sd_api_tokens WHERE revoked_at IS NULL"), 1);
    // No CSRF token: refused, nothing revoked.
    EXPECT_EQ(disdik.post_raw("/data-opd/token/" + id + "/cabut", "").status, 403u);
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM sd_api_tokens WHERE revoked_at IS NULL"), 1);

    testing::Client api(w.t.app);
    EXPECT_EQ(ckan(api, "/api/3/action/package_list", {{"Authorization", secret}}).status, 200u);
    auto rv = disdik.post_form("/data-opd/token", "/data-opd/token/" + id + "/cabut", "");
    EXPECT_EQ(rv.status, 303u);
    EXPECT_NE(disdik.get("/data-opd/token?pesan=dicabut").body.find("dicabut"), std::string::npos);
    EXPECT_EQ(disdik.post_form("/data-opd/token", "/data-opd/token/" + id + "/cabut", "").status, 409u);  // already
    auto refused = ckan(api, "/api/3/action/package_list", {{"Authorization", secret}});
    EXPECT_EQ(refused.status, 403u);
    EXPECT_EQ(error_type(refused), "Authorization Error");

    // Both changes audited, with neither the secret nor its hash in any entry.
    EXPECT_EQ(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('satudata.token_create', 'satudata.token_revoke')"
                " AND object_type = 'sd_api_token' AND object_id = ?",
                {id}),
        2);
    const auto hash = core::auth::Crypto::sha256_hex(secret);
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM audit_log WHERE summary LIKE ? OR summary LIKE ? OR actor_label LIKE ?",
                      {"%" + secret.substr(3) + "%", "%" + hash + "%", "%" + secret.substr(3) + "%"}),
              0);
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM audit_log WHERE summary LIKE '%Dasbor sekolah%'"), 2);
}

TEST(SatuDataTokens, BadInputOnThePageWritesNothing) {
    World w;
    testing::Client c(w.t.app);
    w.t.sign_in(c, "operator.disdik@demo.gapura.id");
    for (const std::string& fields :
         std::vector<std::string>{"name=", "name=%20%20", "name=" + std::string(81, 'a'), "name=a%01b", "name=%FF%FE",
                                  "name=ok&expires=2026-12-31", "name=ok&expires=besok", "name=ok&expires=2029-03-01",
                                  "name=ok&expires=2027-02-30"}) {
        auto r = c.post_form("/data-opd/token", "/data-opd/token", fields);
        EXPECT_TRUE(r.status == 422u || r.status == 400u) << fields << " -> " << r.status;
        EXPECT_EQ(r.body.find("value=\"sd_"), std::string::npos) << fields;
    }
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM sd_api_tokens"), 0);
    // Admin: the OPD is chosen on the form and must exist.
    testing::Client admin(w.t.app);
    w.t.sign_in(admin, "admin@demo.gapura.id");
    EXPECT_EQ(admin.post_form("/data-opd/token", "/data-opd/token", "opd=tidak-ada&name=x").status, 422u);
    EXPECT_EQ(admin.post_form("/data-opd/token", "/data-opd/token", "opd=disdik&name=Untuk+disdik").status, 200u);
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM sd_api_tokens t JOIN opds o ON o.id = t.opd_id WHERE o.slug = 'disdik'"),
              1);
}

TEST(SatuDataTokens, ATokenReadsWhatItsOpdMaySeeAndNothingElse) {
    World w;
    w.dataset("tk-publik", "public");
    w.dataset("tk-internal", "internal");
    w.dataset("tk-dibagi", "restricted", {"disdik"});
    const auto other = w.dataset("tk-rahasia", "restricted");
    w.dataset("tk-draf", "internal", {}, false);

    testing::Client c(w.t.app);
    w.t.sign_in(c, "operator.disdik@demo.gapura.id");
    const auto disdik = create_token(c, "Dasbor");
    testing::Client api(w.t.app);  // no cookies: the token alone
    const std::map<std::string, std::string> raw{{"Authorization", disdik}},
        bearer{{"Authorization", "Bearer " + disdik}}, old{{"X-CKAN-API-Key", disdik}}, none;

    for (const auto* h : {&raw, &bearer, &old}) {
        auto r = ckan(api, "/api/3/action/package_show?id=tk-dibagi", *h);
        ASSERT_EQ(r.status, 200u) << r.body;
        EXPECT_TRUE(json::parse(r.body).at("result").at("private").as_bool());
    }
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-internal", raw).status, 200u);
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-publik", raw).status, 200u);
    // Another OPD's restricted dataset: the token learns it exists (CKAN's 403), no more.
    auto r = ckan(api, "/api/3/action/package_show?id=tk-rahasia", raw);
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(error_type(r), "Authorization Error");
    EXPECT_EQ(r.body.find("35.23.01"), std::string::npos);
    // Unpublished data does not exist for a token; internal data does not exist anonymously.
    r = ckan(api, "/api/3/action/package_show?id=tk-draf", raw);
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(error_type(r), "Not Found Error");
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-internal", none).status, 404u);
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-rahasia", none).status, 404u);

    // include_private: internal and shared ones on request, never anonymously.
    EXPECT_EQ(search_count(api, "q=token", none), 1);
    EXPECT_EQ(search_count(api, "q=token&include_private=true", none), 1);
    EXPECT_EQ(search_count(api, "q=token", raw), 1);
    EXPECT_EQ(search_count(api, "q=token&include_private=true", raw), 3);
    // A token's answer is never kept for anonymous callers of the same URL (the page cache).
    EXPECT_EQ(search_count(api, "q=token&include_private=1", raw), 3);
    EXPECT_EQ(search_count(api, "q=token&include_private=1", none), 1);
    r = ckan(api, "/api/3/action/package_search", raw, Method::post, R"({"q":"token","include_private":true})");
    EXPECT_EQ(json::parse(r.body).at("result").at("count").as_int64(), 3);
    EXPECT_EQ(json::parse(ckan(api, "/api/3/action/package_list", raw).body).at("result").as_array().size(),
              6u);  // 3 demo + 3

    // A G2G grant opens the unshared one to Disdukcapil until the grant expires.
    testing::Client capil_web(w.t.app);
    w.t.sign_in(capil_web, "operator.disdukcapil@demo.gapura.id");
    const auto capil = create_token(capil_web, "Integrasi", "2027-06-30");
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-rahasia", {{"Authorization", capil}}).status, 403u);
    auto req =
        w.svc.request_access(w.who("operator.disdukcapil@demo.gapura.id"), other, "Untuk pemadanan data kependudukan");
    ASSERT_TRUE(req.ok());
    ASSERT_TRUE(w.svc.approve_access(w.who("operator.pupr@demo.gapura.id"), *req, "2027-01-15").ok());
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-rahasia", {{"Authorization", capil}}).status, 200u);
    EXPECT_EQ(ckan(api, "/data/tk-rahasia/unduh/1.csv", {{"Authorization", capil}}).status, 200u);
    w.t.clock.advance(20 * 86400);  // past 2027-01-15
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-rahasia", {{"Authorization", capil}}).status, 403u);
    EXPECT_EQ(ckan(api, "/data/tk-rahasia/unduh/1.csv", {{"Authorization", capil}}).status, 403u);

    // The owner's token sees its own restricted data; resource_show follows package visibility.
    testing::Client pupr_web(w.t.app);
    w.t.sign_in(pupr_web, "operator.pupr@demo.gapura.id");
    const auto pupr = create_token(pupr_web, "Sistem aset");
    EXPECT_EQ(ckan(api, "/api/3/action/package_show?id=tk-rahasia", {{"Authorization", pupr}}).status, 200u);
    auto pkg = json::parse(ckan(api, "/api/3/action/package_show?id=tk-dibagi", raw).body);
    const auto& resources = pkg.at("result").at("resources").as_array();
    ASSERT_EQ(resources.size(), 3u);
    EXPECT_EQ(resources[2].at("format").as_string(), "XLSX");
    const std::string rid(resources[2].at("id").as_string());
    EXPECT_EQ(ckan(api, "/api/3/action/resource_show?id=" + rid, raw).status, 200u);
    EXPECT_EQ(
        json::parse(ckan(api, "/api/3/action/resource_show?id=" + rid, raw).body).at("result").at("format").as_string(),
        "XLSX");
    EXPECT_EQ(ckan(api, "/api/3/action/resource_show?id=" + rid, none).status, 404u);
}

TEST(SatuDataTokens, BadRevokedExpiredKeysAndWritesAreCkanRefusals) {
    World w;
    testing::Client c(w.t.app);
    w.t.sign_in(c, "operator.disdik@demo.gapura.id");
    const auto token = create_token(c, "Sementara", "2027-01-02");  // today is 2027-01-01 on the fake clock
    testing::Client api(w.t.app);
    EXPECT_EQ(ckan(api, "/api/3/action/package_list", {{"Authorization", token}}).status, 200u);

    const std::vector<std::string> bad = {
        "sd_" + std::string(43, 'A'),          // well formed, unknown
        "sd_",                                 // prefix only
        token + "x",                           // one character more
        token.substr(0, token.size() - 1),     // one less
        "not-a-token-at-all-but-long-enough",  // neither kind
        std::string(10 * 1024, 'k'),           // 10 KB
        "sd_" + std::string(10 * 1024, 'A'),   // 10 KB with the prefix
        "sd_\xC3\xA9\xC3\xA9\xC3\xA9 token",   // non-ASCII
        "Bearer",                              // a scheme without a key
        "Basic dXNlcjpwYXNz",                  // another scheme
    };
    for (const auto& key : bad)
        for (const char* header : {"Authorization", "X-CKAN-API-Key"}) {
            auto r = ckan(api, "/api/3/action/package_search?include_private=true", {{header, key}});
            ASSERT_EQ(r.status, 403u) << header << ": " << key.substr(0, 40);
            EXPECT_EQ(error_type(r), "Authorization Error");
            EXPECT_EQ(r.body.find(key.substr(0, 20)), std::string::npos);  // the key is not echoed
            EXPECT_EQ(ckan(api, "/data/jumlah-penduduk-per-kecamatan/unduh/1.csv", {{header, key}}).status, 403u);
        }
    // An empty header is no credential: the anonymous answer.
    EXPECT_EQ(ckan(api, "/api/3/action/package_list", {{"Authorization", ""}}).status, 200u);
    EXPECT_EQ(ckan(api, "/api/3/action/package_list", {{"X-CKAN-API-Key", "   "}}).status, 200u);

    // Read-only: every write action is CKAN's 403, for a token and for anyone else.
    for (const char* action : {"package_create", "package_update", "package_patch", "package_delete", "resource_create",
                               "datastore_upsert", "organization_member_create", "bulk_update_private"}) {
        auto r = ckan(api, std::string("/api/3/action/") + action, {{"Authorization", token}}, Method::post,
                      R"({"name":"baru","title":"Baru","owner_org":"disdik"})");
        EXPECT_EQ(r.status, 403u) << action;
        EXPECT_EQ(error_type(r), "Authorization Error");
        EXPECT_EQ(ckan(api, std::string("/api/3/action/") + action, {}, Method::post, "{}").status, 403u) << action;
    }
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM sd_datasets WHERE slug = 'baru'"), 0);

    // Expired: valid through 2027-01-02 in Tuban (UTC+7), refused from the next day.
    w.t.clock.advance(2 * 86400);
    auto r = ckan(api, "/api/3/action/package_list", {{"X-CKAN-API-Key", token}});
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(error_type(r), "Authorization Error");
    EXPECT_NE(c.get("/data-opd/token").body.find("kedaluwarsa"), std::string::npos);
}

TEST(SatuDataTokens, CoreRefusalsUnderApi3AreCkanEnvelopes) {
    World w;
    testing::Client api(w.t.app);
    auto r = api.get("/api/3/tidak-ada");
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(error_type(r), "Not Found Error");
    r = api.get("/api/3/action/package_search?q=%ZZ");
    EXPECT_EQ(r.status, 400u);
    EXPECT_FALSE(json::parse(r.body).at("success").as_bool());
    r = api.request(Method::put, "/api/3/action/package_show", "{}", "application/json");
    EXPECT_EQ(r.status, 405u);
    EXPECT_FALSE(json::parse(r.body).at("success").as_bool());
    // A user's API token still works as before (Bearer), and other APIs keep the core's 401.
    auto tok = api.api(Method::post, "/api/v1/auth/token",
                       R"({"email":"operator.disdik@demo.gapura.id","password":"gapura-demo-2026"})");
    const std::string user_token(json::parse(tok.body).at("token").as_string());
    EXPECT_EQ(api.api(Method::get, "/api/3/action/package_list", "", user_token).status, 200u);
    EXPECT_EQ(ckan(api, "/api/3/action/package_list", {{"Authorization", user_token}}).status, 200u);
    EXPECT_EQ(api.request(Method::get, "/api/v1/me", "", "", {{"Authorization", "Bearer sd_nope-nope-nope-nope-nope"}})
                  .status,
              401u);
}

TEST(SatuDataTokens, DownloadsWithATokenAndTheOriginalForTheOwnerOnly) {
    World w;
    w.dataset("tk-dibagi", "restricted", {"disdik"});
    testing::Client web(w.t.app);
    w.t.sign_in(web, "operator.disdik@demo.gapura.id");
    const auto disdik = create_token(web, "Unduh");
    testing::Client pupr_web(w.t.app);
    w.t.sign_in(pupr_web, "operator.pupr@demo.gapura.id");
    const auto pupr = create_token(pupr_web, "Arsip");
    testing::Client capil_web(w.t.app);
    w.t.sign_in(capil_web, "operator.disdukcapil@demo.gapura.id");
    const auto capil = create_token(capil_web, "Lain");

    testing::Client api(w.t.app);
    EXPECT_EQ(api.get("/data/tk-dibagi/unduh/1.csv").status, 404u);
    for (const char* ext : {"csv", "json", "xlsx"}) {
        auto r = api.get(std::string("/data/tk-dibagi/unduh/1.") + ext, {{"Authorization", "Bearer " + disdik}});
        EXPECT_EQ(r.status, 200u) << ext;
        EXPECT_EQ(r.header(core::http::bhttp::field::cache_control), "private, no-store");
        EXPECT_EQ(api.get(std::string("/data/tk-dibagi/unduh/1.") + ext, {{"X-CKAN-API-Key", capil}}).status, 403u)
            << ext;
    }
    EXPECT_EQ(api.get("/data/tk-dibagi/unduh/1.csv", {{"Authorization", disdik}}).body,
              "kode,jumlah\r\n35.23.01,5\r\n35.23.02,7\r\n");
    // The exact stored bytes: the producing OPD's token, not a reader's.
    auto orig = api.get("/data/tk-dibagi/asli/1", {{"Authorization", pupr}});
    EXPECT_EQ(orig.status, 200u);
    EXPECT_EQ(orig.body, "kode,jumlah\n35.23.01,5\n35.23.02,7\n");
    EXPECT_EQ(api.get("/data/tk-dibagi/asli/1", {{"Authorization", disdik}}).status, 403u);
    EXPECT_EQ(api.get("/data/tk-dibagi/asli/1").status, 404u);
}

TEST(SatuDataTokens, XlsxDownloadKeepsHostileCellsInert) {
    World w;
    auto pupr = w.who("operator.pupr@demo.gapura.id");
    DatasetInput in;
    in.title = "Catatan berbahaya";
    in.slug = "xlsx-berbahaya";
    auto id = *w.svc.create_dataset(pupr, in);
    ASSERT_TRUE(w.svc
                    .set_columns(pupr, id,
                                 {{"catatan", ColumnType::text, false, {}},
                                  {"nilai", ColumnType::integer, false, {}},
                                  {"rasio", ColumnType::decimal, false, {}}})
                    .ok());
    const std::string big(64 * 1024, 'x');
    auto up =
        w.svc.upload(pupr, id, "h.csv",
                     "catatan,nilai,rasio\n=CMD(),-5,\"3,5\"\n<script>alert(1)</script>,+7,0.25\n\"@SUM(A1)\tz\",,\n" +
                         big + ",1,2\n");
    ASSERT_TRUE(up.ok() && up->accepted) << (up.ok() ? up->report.errors.size() : 0);
    auto wali = w.who("walidata@demo.gapura.id");
    ASSERT_TRUE(w.svc.submit(pupr, id).ok());
    ASSERT_TRUE(w.svc.verify(wali, id).ok());
    ASSERT_TRUE(w.svc.publish(wali, id).ok());

    testing::Client c(w.t.app);
    auto page = c.get("/data/xlsx-berbahaya");
    EXPECT_NE(page.body.find("/data/xlsx-berbahaya/unduh/1.xlsx"), std::string::npos);
    auto r = c.get("/data/xlsx-berbahaya/unduh/1.xlsx");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.header(core::http::bhttp::field::content_type),
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    EXPECT_NE(r.header(core::http::bhttp::field::content_disposition).find("xlsx-berbahaya-v1.xlsx"),
              std::string::npos);
    EXPECT_EQ(c.get("/data/xlsx-berbahaya/unduh/9.xlsx").status, 404u);
    EXPECT_EQ(c.get("/data/tidak-ada/unduh/1.xlsx").status, 404u);
    if (!testing_xlsx::have_python()) GTEST_SKIP() << "python3 not installed";
    const auto cells = testing_xlsx::read_back(r.body);
    EXPECT_EQ(cells,
              "A1|s|catatan\nB1|s|nilai\nC1|s|rasio\n"
              "A2|s|=CMD()\nB2|n|-5\nC2|n|3.5\n"
              "A3|s|<script>alert(1)</script>\nB3|n|7\nC3|n|0.25\n"
              "A4|s|@SUM(A1)\\tz\n"
              "A5|s|" +
                  std::string(32767, 'x') + "\nB5|n|1\nC5|n|2\n");
    // DCAT lists the workbook beside CSV and JSON.
    EXPECT_NE(c.get("/catalog.jsonld").body.find("xlsx-berbahaya/unduh/1.xlsx"), std::string::npos);
}

// The last use of a token: recorded on its first use, written again only once kLastUsedStep has
// passed (one write per token per minute, however many reads), never for a refused key, and shown
// on the token page ("never" before the first use).
TEST(SatuDataTokens, LastUseIsWrittenAtMostOnceAMinuteAndShownOnThePage) {
    World w;
    testing::Client pupr(w.t.app);
    w.t.sign_in(pupr, "operator.pupr@demo.gapura.id");
    const std::string a = create_token(pupr, "Dasbor+A");
    const std::string b = create_token(pupr, "Dasbor+B");
    ASSERT_FALSE(a.empty());
    ASSERT_FALSE(b.empty());
    const std::string never = [] {
        std::ifstream in(testing::source_dir() + "/src/modules/satudata/i18n/id.json");
        std::stringstream ss;
        ss << in.rdbuf();
        return std::string(json::parse(ss.str()).at("satudata_token_never_used").as_string());
    }();
    ASSERT_FALSE(never.empty());
    const auto last_used = [&](const std::string& name) {
        return w.count("SELECT COALESCE(MAX(last_used_at), -1) FROM sd_api_tokens WHERE name = ?", {name});
    };
    const auto row = [&](const std::string& name) {
        auto body = pupr.get("/data-opd/token").body;
        auto at = body.find("<td>" + name + "</td>");
        return at == std::string::npos ? std::string() : body.substr(at, body.find("</tr>", at) - at);
    };
    EXPECT_EQ(last_used("Dasbor A"), -1);
    EXPECT_NE(row("Dasbor A").find("<td>" + never + "</td>"), std::string::npos) << row("Dasbor A");

    testing::Client api(w.t.app);
    const auto use = [&](const std::string& secret) {
        return ckan(api, "/api/3/action/package_list", {{"Authorization", secret}}).status;
    };
    const auto t0 = w.t.clock.now();
    ASSERT_EQ(use(a), 200u);
    EXPECT_EQ(last_used("Dasbor A"), t0);
    EXPECT_EQ(last_used("Dasbor B"), -1);  // per token
    const std::string shown = format_human(t0, w.t.app.regency().utc_offset_minutes, "id");
    EXPECT_NE(row("Dasbor A").find("<td>" + shown + "</td>"), std::string::npos) << row("Dasbor A");
    EXPECT_NE(row("Dasbor B").find("<td>" + never + "</td>"), std::string::npos);

    // Within the minute: twenty reads, no write at all.
    const auto writes = w.t.app.db().stats().write_jobs;
    for (int i = 0; i < 20; ++i) {
        w.t.clock.advance(i == 0 ? 1 : (i < 19 ? 3 : 4));  // up to t0 + 59
        ASSERT_EQ(use(a), 200u);
    }
    EXPECT_EQ(w.t.clock.now(), t0 + 59);
    EXPECT_EQ(w.t.app.db().stats().write_jobs, writes);
    EXPECT_EQ(last_used("Dasbor A"), t0);
    // A minute after the recorded use: written again, once.
    w.t.clock.advance(1);
    ASSERT_EQ(use(a), 200u);
    ASSERT_EQ(use(a), 200u);
    EXPECT_EQ(last_used("Dasbor A"), t0 + 60);
    EXPECT_EQ(w.t.app.db().stats().write_jobs, writes + 1);

    // Refused keys record nothing: a revoked token, a wrong secret of the same shape.
    const auto id_b = w.count("SELECT id FROM sd_api_tokens WHERE name = 'Dasbor B'");
    EXPECT_EQ(pupr.post_form("/data-opd/token", "/data-opd/token/" + std::to_string(id_b) + "/cabut", "").status, 303u);
    w.t.clock.advance(3600);
    EXPECT_EQ(use(b), 403u);
    EXPECT_EQ(use(b.substr(0, b.size() - 1) + (b.back() == 'A' ? "B" : "A")), 403u);
    EXPECT_EQ(last_used("Dasbor B"), -1);
    EXPECT_NE(row("Dasbor B").find("<td>" + never + "</td>"), std::string::npos);
    // The use is not a change: no audit entry for it.
    EXPECT_EQ(w.count("SELECT COUNT(*) FROM audit_log WHERE object_type = 'sd_api_token'"), 3);  // 2 created, 1 revoked
}

}  // namespace
}  // namespace gapura::modules::satudata
