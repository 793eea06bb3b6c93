// In-process route tests of the core through the real pipeline (no sockets).
#include <gtest/gtest.h>
#include <set>
#include <fstream>

#include <boost/json.hpp>

#include "app/testing.hpp"
#include "core/audit/audit_log.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/db/database.hpp"
#include "core/region/regency.hpp"

using namespace gapura;
using namespace gapura::testing;
using M = core::http::Method;

namespace {

class AppTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { t_ = new TestApp(); }
    static void TearDownTestSuite() {
        delete t_;
        t_ = nullptr;
    }
    static TestApp* t_;
    App& app() { return t_->app; }
    std::int64_t count_users(const std::string& email) {
        return app().db().read([&](core::db::Connection& c) {
            return core::db::scalar_int(c, "SELECT COUNT(*) FROM users WHERE email = ?", {email}).value_or(0);
        });
    }
};
TestApp* AppTest::t_ = nullptr;

TEST_F(AppTest, HomePageRendersInIndonesianWithSecurityHeaders) {
    Client c(app());
    auto r = c.get("/");
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("<html lang=\"id\">"), std::string::npos);
    EXPECT_NE(r.body.find("Kabupaten Tuban"), std::string::npos);
    EXPECT_NE(r.body.find("<strong>20</strong>"), std::string::npos);  // kecamatan
    EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(r.header("Content-Security-Policy").find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    EXPECT_FALSE(r.header("Referrer-Policy").empty());
    EXPECT_FALSE(r.header("X-Request-Id").empty());
}

TEST_F(AppTest, SecurityHeadersAppearExactlyOnceOnEveryKindOfAnswer) {
    Client c(app());
    const char* names[] = {"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy",
                           "Permissions-Policy", "X-Request-Id", "Cache-Control", "Content-Length"};
    for (const char* target : {"/", "/healthz", "/tidak-ada", "/api/v1/tidak-ada", "/api/v1/me", "/masuk"}) {
        auto r = c.get(target);
        for (const char* n : names) {
            auto [lo, hi] = r.raw.equal_range(n);
            EXPECT_EQ(std::distance(lo, hi), 1) << n << " on " << target << " (status " << r.status << ")";
        }
        EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size())) << target;
    }
}

TEST_F(AppTest, LargeAnswersAreGzippedOnlyForClientsThatAskForIt) {
    Client c(app());
    auto plain = c.get("/api/v1/regions");
    ASSERT_EQ(plain.status, 200u);
    ASSERT_GT(plain.body.size(), 1024u);
    EXPECT_EQ(plain.header("Content-Encoding"), "");
    EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
    auto gz = c.request(core::http::Method::get, "/api/v1/regions", "", "", {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_EQ(gz.status, 200u);
    EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
    EXPECT_EQ(gz.header("Vary"), "Accept-Encoding");
    EXPECT_LT(gz.body.size(), plain.body.size() / 3);
    EXPECT_EQ(gz.header("Content-Length"), std::to_string(gz.body.size()));
    auto refused = c.request(core::http::Method::get, "/api/v1/regions", "", "", {{"Accept-Encoding", "gzip;q=0"}});
    EXPECT_EQ(refused.header("Content-Encoding"), "");
    EXPECT_EQ(refused.body, plain.body);
    // HEAD announces the length of what GET would send in the same encoding.
    auto head = c.request(core::http::Method::head, "/api/v1/regions", "", "", {{"Accept-Encoding", "gzip"}});
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("Content-Length"), std::to_string(gz.body.size()));
    // Small answers are never compressed (not worth it) and carry no Vary.
    auto small = c.request(core::http::Method::get, "/healthz", "", "", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(small.header("Content-Encoding"), "");
    EXPECT_EQ(small.header("Vary"), "");
}

// docs/openapi.yaml is kept true as modules add routes: every API route the router serves is
// documented, and every documented operation is served.
TEST_F(AppTest, OpenApiDocumentsExactlyTheRoutesTheServerHas) {
    std::ifstream in(gapura::testing::source_dir() + "/docs/openapi.yaml");
    ASSERT_TRUE(in) << "docs/openapi.yaml not found";
    std::set<std::pair<std::string, std::string>> documented;  // (METHOD, router pattern)
    std::string line, path, route_of_path;
    std::vector<std::string> methods_of_path;
    bool in_paths = false;
    auto flush = [&] {
        for (const auto& m : methods_of_path) documented.insert({m, route_of_path.empty() ? path : route_of_path});
        methods_of_path.clear();
        route_of_path.clear();
    };
    while (std::getline(in, line)) {
        if (line == "paths:") { in_paths = true; continue; }
        if (!in_paths) continue;
        if (!line.empty() && line[0] != ' ' && line[0] != '#') { flush(); break; }  // next top-level key
        if (line.size() > 3 && line.rfind("  /", 0) == 0 && line.back() == ':') {
            flush();
            path = line.substr(2, line.size() - 3);
        } else if (line.rfind("    x-gapura-route: ", 0) == 0) {
            route_of_path = line.substr(20);
        } else {
            for (const char* m : {"get", "post", "put", "delete", "patch"})
                if (line == std::string("    ") + m + ":") {
                    std::string up(m);
                    for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                    methods_of_path.push_back(up);
                }
        }
    }
    flush();
    ASSERT_GT(documented.size(), 30u);  // the parser found the paths (CKAN actions share one route)
    std::set<std::pair<std::string, std::string>> served;
    for (const auto& r : app().router().routes()) {
        const std::string m(core::http::bhttp::to_string(r.method));
        served.insert({m, r.pattern});
        if (r.options.api) {
            EXPECT_TRUE(documented.count({m, r.pattern})) << m << " " << r.pattern << " is an API route missing from docs/openapi.yaml";
        }
    }
    for (const auto& [m, p] : documented)
        EXPECT_TRUE(served.count({m, p})) << m << " " << p << " is in docs/openapi.yaml but no route serves it";
}

TEST_F(AppTest, LanguageSwitchSetsCookieAndRedirectsOnlyLocally) {
    Client c(app());
    auto r = c.get("/bahasa/en?ke=%2Ftentang-data");
    EXPECT_EQ(r.status, 303u);
    EXPECT_EQ(r.header(core::http::bhttp::field::location), "/tentang-data");
    auto page = c.get("/tentang-data");
    EXPECT_NE(page.body.find("<html lang=\"en\">"), std::string::npos);
    EXPECT_NE(page.body.find("About the data"), std::string::npos);
    auto evil = c.get("/bahasa/id?ke=%2F%2Fevil.example");
    EXPECT_EQ(evil.header(core::http::bhttp::field::location), "/");
    EXPECT_EQ(c.get("/bahasa/fr").status, 404u);
}

TEST_F(AppTest, AcceptLanguagePicksEnglishForErrors) {
    Client c(app());
    auto r = c.get("/tidak-ada", {{"Accept-Language", "en-GB,en;q=0.9"}});
    EXPECT_EQ(r.status, 404u);
    EXPECT_NE(r.body.find("does not exist"), std::string::npos);
    auto id = c.get("/tidak-ada");
    EXPECT_NE(id.body.find("tidak ada"), std::string::npos);
}

TEST_F(AppTest, MethodNotAllowedListsAllow) {
    Client c(app());
    auto r = c.request(M::put, "/masuk");
    EXPECT_EQ(r.status, 405u);
    EXPECT_EQ(r.header(core::http::bhttp::field::allow), "GET, HEAD, POST");
}

TEST_F(AppTest, HeadAnswersWithoutBody) {
    Client c(app());
    auto r = c.request(M::head, "/");
    EXPECT_EQ(r.status, 200u);
    EXPECT_TRUE(r.body.empty());
    EXPECT_NE(r.header(core::http::bhttp::field::content_length), "0");
}

TEST_F(AppTest, MalformedQueryAndPathAre400) {
    Client c(app());
    EXPECT_EQ(c.get("/masuk?ke=%zz").status, 400u);
    EXPECT_EQ(c.get("/masuk?x=%C0%AF").status, 400u);   // overlong UTF-8
    EXPECT_EQ(c.get("/%FF%FE").status, 400u);
    EXPECT_EQ(c.get("/" + std::string(5000, 'a')).status, 400u);
}

TEST_F(AppTest, SignUpSignOutSignInFlow) {
    Client c(app());
    auto r = c.post_form("/daftar", "/daftar",
                         "email=Ani%40Example.ID&display_name=Ani&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat&role=warga");
    ASSERT_EQ(r.status, 303u) << r.body;
    EXPECT_TRUE(c.has_cookie("gapura_session"));
    EXPECT_NE(r.header(core::http::bhttp::field::set_cookie).find("HttpOnly"), std::string::npos);
    EXPECT_NE(r.header(core::http::bhttp::field::set_cookie).find("SameSite=Lax"), std::string::npos);
    auto acct = c.get("/akun");
    EXPECT_EQ(acct.status, 200u);
    EXPECT_NE(acct.body.find("ani@example.id"), std::string::npos);
    EXPECT_EQ(acct.header(core::http::bhttp::field::cache_control), "no-store");
    auto out = c.post_form("/akun", "/keluar", "");
    EXPECT_EQ(out.status, 303u);
    EXPECT_FALSE(c.has_cookie("gapura_session"));
    EXPECT_EQ(c.get("/akun").status, 303u);
    auto in = t_->sign_in(c, "ani@example.id", "kata-sandi-kuat");
    EXPECT_EQ(in.status, 303u);
    EXPECT_EQ(c.get("/akun").status, 200u);
}

TEST_F(AppTest, SignUpRejectsBadInputWithFieldErrorsAndWritesNothing) {
    Client c(app());
    auto r = c.post_form("/daftar", "/daftar", "email=bukan-email&display_name=&password=pendek&password_confirm=pendek");
    EXPECT_EQ(r.status, 422u);
    EXPECT_NE(r.body.find("Alamat email tidak valid"), std::string::npos);
    EXPECT_NE(r.body.find("minimal 10 karakter"), std::string::npos);
    EXPECT_NE(r.body.find("aria-invalid=\"true\""), std::string::npos);
    EXPECT_EQ(count_users("bukan-email"), 0);
    auto mismatch = c.post_form("/daftar", "/daftar", "email=x1%40example.id&display_name=X&password=kata-sandi-kuat&password_confirm=lain-sekali-ya");
    EXPECT_EQ(mismatch.status, 422u);
    EXPECT_EQ(count_users("x1@example.id"), 0);
    auto role = c.post_form("/daftar", "/daftar", "email=x2%40example.id&display_name=X&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat&role=admin");
    EXPECT_EQ(role.status, 422u);
    EXPECT_EQ(count_users("x2@example.id"), 0);
}

TEST_F(AppTest, SignUpEscapesHostileNames) {
    Client c(app());
    auto r = c.post_form("/daftar", "/daftar",
                         "email=xss%40example.id&display_name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat");
    ASSERT_EQ(r.status, 303u);
    auto acct = c.get("/akun");
    EXPECT_EQ(acct.body.find("<script>alert(1)"), std::string::npos);
    EXPECT_NE(acct.body.find("&lt;script&gt;alert(1)"), std::string::npos);
}

TEST_F(AppTest, DuplicateEmailIsConflict) {
    Client c(app());
    auto r = c.post_form("/daftar", "/daftar", "email=WARGA%40demo.gapura.id&display_name=Dup&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat");
    EXPECT_EQ(r.status, 409u);
    EXPECT_NE(r.body.find("sudah terdaftar"), std::string::npos);
}

TEST_F(AppTest, FormsWithoutOrWithForgedCsrfAreRefused) {
    Client c(app());
    auto none = c.post_raw("/daftar", "email=csrf1%40example.id&display_name=C&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat");
    EXPECT_EQ(none.status, 403u);
    EXPECT_NE(none.body.find("Formulir kedaluwarsa"), std::string::npos);
    c.get("/daftar");  // gets a visitor cookie
    auto forged = c.post_raw("/daftar", "email=csrf1%40example.id&display_name=C&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat&_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(forged.status, 403u);
    EXPECT_EQ(count_users("csrf1@example.id"), 0);
    // A token from another visitor does not work either.
    Client other(app());
    auto page = other.get("/daftar");
    std::smatch m;
    std::regex re("name=\"_csrf\" value=\"([^\"]+)\"");
    ASSERT_TRUE(std::regex_search(page.body, m, re));
    auto stolen = c.post_raw("/daftar", "email=csrf1%40example.id&display_name=C&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat&_csrf=" + m[1].str());
    EXPECT_EQ(stolen.status, 403u);
    EXPECT_EQ(count_users("csrf1@example.id"), 0);
}

TEST_F(AppTest, SignOutNeedsCsrf) {
    Client c(app());
    t_->sign_in(c, "warga@demo.gapura.id");
    EXPECT_EQ(c.post_raw("/keluar", "").status, 403u);
    EXPECT_EQ(c.get("/akun").status, 200u);
}

TEST_F(AppTest, WrongPasswordAndInjectionStringsAre401) {
    Client c(app());
    EXPECT_EQ(t_->sign_in(c, "warga@demo.gapura.id", "salah-sekali-123").status, 401u);
    EXPECT_EQ(t_->sign_in(c, "%27%20OR%201%3D1%20--", "%27%20OR%20%271%27%3D%271").status, 401u);
    EXPECT_EQ(count_users("warga@demo.gapura.id"), 1);
}

TEST_F(AppTest, UnsupportedBodyTypeOnFormRouteIs415) {
    Client c(app());
    auto r = c.request(M::post, "/masuk", "{}", "application/json");
    EXPECT_EQ(r.status, 415u);
}

TEST_F(AppTest, AdminPagesNeedTheAdminRole) {
    Client anon(app());
    EXPECT_EQ(anon.get("/admin/pengguna").status, 303u);
    Client warga(app());
    t_->sign_in(warga, "warga@demo.gapura.id");
    EXPECT_EQ(warga.get("/admin/pengguna").status, 403u);
    EXPECT_EQ(warga.get("/admin/kotak-keluar").status, 403u);
    EXPECT_EQ(warga.post_form("/akun", "/admin/pengguna/1", "role=admin").status, 403u);
    Client admin(app());
    t_->sign_in(admin, "admin@demo.gapura.id");
    auto list = admin.get("/admin/pengguna?q=demo");
    EXPECT_EQ(list.status, 200u);
    EXPECT_NE(list.body.find("warga@demo.gapura.id"), std::string::npos);
}

TEST_F(AppTest, AdminAssignsOperatorToAnOpdAndItIsAudited) {
    Client admin(app());
    t_->sign_in(admin, "admin@demo.gapura.id");
    auto uid = app().db().read([](core::db::Connection& c) {
        return *core::db::scalar_int(c, "SELECT id FROM users WHERE email = 'usaha@demo.gapura.id'");
    });
    auto opd = app().db().read([](core::db::Connection& c) {
        return *core::db::scalar_int(c, "SELECT id FROM opds WHERE slug = 'disnakerin'");
    });
    const std::string page = "/admin/pengguna/" + std::to_string(uid);
    auto missing_opd = admin.post_form(page, page, "role=operator_opd&opd_id=");
    EXPECT_EQ(missing_opd.status, 422u);
    auto bad_opd = admin.post_form(page, page, "role=operator_opd&opd_id=abc");
    EXPECT_EQ(bad_opd.status, 422u);
    auto ok = admin.post_form(page, page, "role=operator_opd&opd_id=" + std::to_string(opd));
    EXPECT_EQ(ok.status, 303u) << ok.body;
    Client usaha(app());
    t_->sign_in(usaha, "usaha@demo.gapura.id");
    auto me = usaha.get("/api/v1/me");
    EXPECT_NE(me.body.find("\"role\":\"operator_opd\""), std::string::npos);
    EXPECT_NE(me.body.find("\"opd\":\"disnakerin\""), std::string::npos);
    auto trail = admin.get("/jejak-audit?jenis=user&id=" + std::to_string(uid));
    EXPECT_NE(trail.body.find("user.update"), std::string::npos);
    // restore
    admin.post_form(page, page, "role=pelaku_usaha&opd_id=");
}

// Every desa/kelurahan has a generated office (its operator decides the desa stage of development
// proposals), but they are not agencies: the public lists of OPDs leave them out.
TEST_F(AppTest, VillageOfficesAreNotListedAsAgencies) {
    const auto villages = app().db().read([](core::db::Connection& c) {
        return core::db::scalar_int(c, "SELECT COUNT(*) FROM opds WHERE kind IN ('desa', 'kelurahan')").value_or(0);
    });
    EXPECT_EQ(villages, 328);
    Client c(app());
    auto r = c.get("/api/v1/opds");
    ASSERT_EQ(r.status, 200u);
    const auto opds = boost::json::parse(r.body).at("opds").as_array();
    EXPECT_EQ(opds.size(), 23u + 20u);
    for (const auto& o : opds) {
        const std::string kind(o.at("kind").as_string());
        EXPECT_TRUE(kind != "desa" && kind != "kelurahan") << o.at("slug").as_string();
    }
#ifdef GAPURA_MODULE_SATUDATA
    // Satu Data's CKAN organisations: the agencies and the kecamatan offices only.
    r = c.get("/api/3/action/organization_list");
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto names = boost::json::parse(r.body).at("result").as_array();
    EXPECT_EQ(names.size(), 23u + 20u);
    std::set<std::string> seen;
    for (const auto& n : names) {
        const std::string slug(n.as_string());
        seen.insert(slug);
        EXPECT_FALSE(slug.starts_with("desa-") || slug.starts_with("kel-")) << slug;
    }
    EXPECT_TRUE(seen.count("disdik"));
    EXPECT_TRUE(seen.count("kec-tuban"));
    EXPECT_EQ(c.get("/api/3/action/organization_show?id=desa-kenduruan-jlodro").status, 404u);
    EXPECT_EQ(c.get("/api/3/action/organization_show?id=kec-tuban").status, 200u);
#endif
}

TEST_F(AppTest, AdminCannotDemoteThemself) {
    Client admin(app());
    t_->sign_in(admin, "admin@demo.gapura.id");
    auto uid = app().db().read([](core::db::Connection& c) {
        return *core::db::scalar_int(c, "SELECT id FROM users WHERE email = 'admin@demo.gapura.id'");
    });
    const std::string page = "/admin/pengguna/" + std::to_string(uid);
    EXPECT_EQ(admin.post_form(page, page, "role=warga").status, 409u);
}

TEST_F(AppTest, ApiTokenLifecycle) {
    Client c(app());
    auto r = c.api(M::post, "/api/v1/auth/token", R"({"email":"warga@demo.gapura.id","password":"gapura-demo-2026"})");
    ASSERT_EQ(r.status, 201u) << r.body;
    auto v = boost::json::parse(r.body).as_object();
    std::string token(v["token"].as_string());
    EXPECT_FALSE(std::string(v["expires_at"].as_string()).empty());
    auto me = c.api(M::get, "/api/v1/me", "", token);
    EXPECT_EQ(me.status, 200u);
    EXPECT_NE(me.body.find("warga@demo.gapura.id"), std::string::npos);
    EXPECT_EQ(c.api(M::delete_, "/api/v1/auth/token", "", token).status, 204u);
    auto after = c.api(M::get, "/api/v1/me", "", token);
    EXPECT_EQ(after.status, 401u);
    EXPECT_NE(after.body.find("\"code\":\"unauthorized\""), std::string::npos);
    EXPECT_EQ(c.api(M::get, "/api/v1/me", "", "forged-token-forged-token-forged").status, 401u);
    EXPECT_EQ(c.request(M::get, "/api/v1/me", "", "", {{"Authorization", "Basic abc"}}).status, 401u);
}

TEST_F(AppTest, ApiTokenRejectsBadJson) {
    Client c(app());
    EXPECT_EQ(c.api(M::post, "/api/v1/auth/token", "{not json").status, 400u);
    EXPECT_EQ(c.api(M::post, "/api/v1/auth/token", "[1,2]").status, 400u);
    EXPECT_EQ(c.api(M::post, "/api/v1/auth/token", R"({"email":1,"password":"x"})").status, 400u);
    auto unknown = c.api(M::post, "/api/v1/auth/token", R"({"email":"a@b.id","password":"x","admin":true})");
    EXPECT_EQ(unknown.status, 400u);
    EXPECT_NE(unknown.body.find("\"field\":\"admin\""), std::string::npos);
    EXPECT_EQ(c.request(M::post, "/api/v1/auth/token", "email=a", "application/x-www-form-urlencoded").status, 415u);
    EXPECT_EQ(c.api(M::post, "/api/v1/auth/token", "{\"email\":\"\xff\",\"password\":\"x\"}").status, 400u);
    EXPECT_EQ(c.api(M::post, "/api/v1/auth/token", R"({"email":"warga@demo.gapura.id","password":"wrong-password"})").status, 401u);
}

TEST_F(AppTest, SignInThrottlingAnswers429WithRetryAfter) {
    Client c(app(), "198.51.100.9");
    std::string email = "throttle@example.id";
    c.post_form("/daftar", "/daftar", "email=throttle%40example.id&display_name=T&password=kata-sandi-kuat&password_confirm=kata-sandi-kuat");
    c.clear_cookies();
    for (int i = 0; i < 5; ++i) EXPECT_EQ(t_->sign_in(c, email, "salah-salah-salah").status, 401u);
    auto r = t_->sign_in(c, email, "kata-sandi-kuat");
    EXPECT_EQ(r.status, 429u);
    EXPECT_FALSE(r.header(core::http::bhttp::field::retry_after).empty());
    t_->clock.advance(16 * 60);
    EXPECT_EQ(t_->sign_in(c, email, "kata-sandi-kuat").status, 303u);
}

TEST_F(AppTest, PasswordResetThroughTheOutbox) {
    Client c(app());
    auto r = c.post_form("/lupa-sandi", "/lupa-sandi", "email=warga%40demo.gapura.id");
    EXPECT_EQ(r.status, 200u);
    auto unknown = c.post_form("/lupa-sandi", "/lupa-sandi", "email=nobody%40example.id");
    EXPECT_EQ(unknown.status, 200u);  // same answer: no account enumeration
    auto body = app().db().read([](core::db::Connection& c) {
        return *core::db::scalar_text(c, "SELECT body FROM outbox WHERE recipient = 'warga@demo.gapura.id' ORDER BY id DESC LIMIT 1");
    });
    auto pos = body.find("token=");
    ASSERT_NE(pos, std::string::npos);
    std::string token = body.substr(pos + 6);
    Client admin(app());
    t_->sign_in(admin, "admin@demo.gapura.id");
    EXPECT_NE(admin.get("/admin/kotak-keluar").body.find("warga@demo.gapura.id"), std::string::npos);
    auto set = c.post_form("/atur-sandi?token=" + token, "/atur-sandi", "token=" + token + "&new_password=sandi-baru-warga&new_password_confirm=sandi-baru-warga");
    EXPECT_EQ(set.status, 303u) << set.body;
    EXPECT_EQ(t_->sign_in(c, "warga@demo.gapura.id", "sandi-baru-warga").status, 303u);
    auto again = c.post_form("/atur-sandi", "/atur-sandi", "token=" + token + "&new_password=sandi-lagi-lagi&new_password_confirm=sandi-lagi-lagi");
    EXPECT_EQ(again.status, 410u);
}

TEST_F(AppTest, HealthzAndMetrics) {
    Client c(app());
    auto h = c.get("/healthz");
    EXPECT_EQ(h.status, 200u);
    EXPECT_NE(h.body.find("\"database\":\"ok\""), std::string::npos);
    auto m = c.get("/metrics");
    EXPECT_EQ(m.status, 200u);
    EXPECT_NE(m.body.find("gapura_http_requests_total{route=\"/healthz\",status=\"200\"}"), std::string::npos);
    EXPECT_NE(m.body.find("gapura_http_request_duration_seconds_bucket"), std::string::npos);
    EXPECT_NE(m.body.find("gapura_db_readers_total"), std::string::npos);
}

TEST(AppHealth, HealthzAnswers503WhileTheDatabaseIsUnreachableAndRecovers) {
    TestApp t;
    Client c(t.app);
    t.app.scheduler().run_due();
    ASSERT_EQ(c.get("/healthz").status, 200u);
    // The database file goes away (unmounted disk, removed by mistake); pooled connections stay
    // open, so only a probe that opens a new connection notices.
    const std::string db = t.dir + "/test.db";
    std::filesystem::rename(db, db + ".away");
    t.clock.advance(3);
    t.app.scheduler().run_due();
    auto down = c.get("/healthz");
    EXPECT_EQ(down.status, 503u);
    EXPECT_NE(down.body.find("\"database\":\"unreachable\""), std::string::npos) << down.body;
    EXPECT_EQ(down.header(core::http::bhttp::field::cache_control), "no-store");
    EXPECT_FALSE(std::filesystem::exists(db)) << "the probe must not create an empty database in its place";
    std::filesystem::rename(db + ".away", db);
    t.clock.advance(3);
    t.app.scheduler().run_due();
    auto up = c.get("/healthz");
    EXPECT_EQ(up.status, 200u);
    EXPECT_NE(up.body.find("\"database\":\"ok\""), std::string::npos);
}

TEST_F(AppTest, RegionsApiListsKecamatanAndVillages) {
    Client c(app());
    auto r = c.get("/api/v1/regions");
    ASSERT_EQ(r.status, 200u);
    auto v = boost::json::parse(r.body).as_object();
    EXPECT_EQ(v["code"].as_string(), "35.23");
    EXPECT_EQ(v["kecamatan"].as_array().size(), 20u);
    std::size_t villages = 0;
    for (const auto& k : v["kecamatan"].as_array()) villages += k.as_object().at("villages").as_array().size();
    EXPECT_EQ(villages, 328u);
}

TEST_F(AppTest, StaticFilesAndTraversal) {
    Client c(app());
    auto css = c.get("/static/css/gapura.css");
    EXPECT_EQ(css.status, 200u);
    EXPECT_EQ(css.header(core::http::bhttp::field::content_type), "text/css; charset=utf-8");
    auto etag = css.header(core::http::bhttp::field::etag);
    EXPECT_EQ(c.get("/static/css/gapura.css", {{"If-None-Match", etag}}).status, 304u);
    EXPECT_EQ(c.get("/static/../CMakeLists.txt").status, 404u);
    EXPECT_EQ(c.get("/static/%2E%2E/%2E%2E/etc/passwd").status, 404u);
    EXPECT_EQ(c.get("/static/vendor/idn-area-data/package.json").status, 404u);
}

TEST_F(AppTest, PublicAuditPageHidesPrivateObjects) {
    Client c(app());
    auto r = c.get("/jejak-audit?jenis=regency");
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("reference.load"), std::string::npos);
    EXPECT_EQ(c.get("/jejak-audit").status, 200u);
    EXPECT_EQ(r.body.find("user.sign_up"), std::string::npos);
    EXPECT_EQ(c.get("/jejak-audit?jenis=user&id=1").status, 404u);
}

TEST_F(AppTest, AuditChainStaysValidAfterAllOfThat) {
    auto r = app().audit().verify(app().db());
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_GT(r.checked, 5);
}

TEST(SecondRegency, LamonganDeploysByDataAlone) {
    TestApp t("lamongan", false);
    Client c(t.app);
    auto home = c.get("/");
    EXPECT_NE(home.body.find("Kabupaten Lamongan"), std::string::npos);
    EXPECT_NE(home.body.find("<strong>27</strong>"), std::string::npos);
    auto regions = boost::json::parse(c.get("/api/v1/regions").body).as_object();
    EXPECT_EQ(regions["code"].as_string(), "35.24");
    auto n = t.app.db().read([](core::db::Connection& db) {
        return *core::db::scalar_int(db, "SELECT COUNT(*) FROM regions WHERE level = 'desa'");
    });
    EXPECT_EQ(n, 474);
}

}  // namespace
