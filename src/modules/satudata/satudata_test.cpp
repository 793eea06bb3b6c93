// Service and route tests of Satu Data on a whole in-process App (Tuban, demo seed).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>

#include "app/testing.hpp"
#include "core/auth/auth_service.hpp"
#include "core/auth/crypto.hpp"
#include "core/files/file_store.hpp"
#include "core/region/regency.hpp"
#include "core/web/i18n.hpp"
#include "core/web/views.hpp"
#include "modules/satudata/satudata_service.hpp"
#include "modules/satudata/satudata_testing.hpp"

namespace gapura::modules::satudata {
namespace {

using core::auth::Principal;
using core::http::Method;
namespace json = boost::json;

// who() here reads the account without signing in (no session rows).
struct Fixture : testing_sd::World {
    Principal who(const std::string& email) {
        return t.app.db().read([&](core::db::Connection& c) {
            core::db::Query q(c, "SELECT u.id, u.role, u.opd_id, COALESCE(o.slug, '') FROM users u LEFT JOIN opds o ON o.id = u.opd_id WHERE u.email = ?", {email});
            EXPECT_TRUE(q.next()) << email;
            Principal p;
            p.user_id = q.integer(0);
            p.email = email;
            p.role = *core::auth::parse_role(q.text(1));
            p.opd_id = q.opt_integer(2);
            p.opd_slug = q.text(3);
            return p;
        });
    }
    std::int64_t make(const Principal& p, const std::string& slug, const std::string& visibility = "public",
                      std::vector<std::string> access = {}) {
        DatasetInput in;
        in.title = "Data uji " + slug;
        in.slug = slug;
        in.visibility = visibility;
        in.access_opds = std::move(access);
        in.tags = "uji";
        auto id = svc.create_dataset(p, in);
        EXPECT_TRUE(id.ok());
        EXPECT_TRUE(svc.set_columns(p, *id, {{"kode", ColumnType::region, true, {}}, {"jumlah", ColumnType::integer, true, {}}}).ok());
        return *id;
    }
    void publish(const Principal& producer, std::int64_t id) {
        auto up = svc.upload(producer, id, "a.csv", "kode,jumlah\n35.23.01,5\n35.23.02,=CMD()\n");
        ASSERT_TRUE(up.ok());
        // "=CMD()" is not an integer: fix the file first.
        EXPECT_FALSE(up->accepted);
        up = svc.upload(producer, id, "a.csv", "kode,jumlah\n35.23.01,5\n35.23.02,7\n");
        ASSERT_TRUE(up.ok() && up->accepted);
        auto wali = who("walidata@demo.gapura.id");
        ASSERT_TRUE(svc.submit(producer, id).ok());
        ASSERT_TRUE(svc.verify(wali, id).ok());
        ASSERT_TRUE(svc.publish(wali, id).ok());
    }
};

TEST(SatuDataService, NameSortIsBySlugNotTitle) {
    Fixture f;
    auto pupr = f.who("operator.pupr@demo.gapura.id");
    // Names and titles in opposite orders, so the two sorts cannot agree by chance.
    for (auto [slug, title] : {std::pair{"aa-uji-urut", "Zz data uji urut"}, std::pair{"zz-uji-urut", "Aa data uji urut"}}) {
        DatasetInput in;
        in.title = title;
        in.slug = slug;
        in.tags = "urut";
        auto id = f.svc.create_dataset(pupr, in);
        ASSERT_TRUE(id.ok());
        ASSERT_TRUE(f.svc.set_columns(pupr, *id, {{"kode", ColumnType::region, true, {}}, {"jumlah", ColumnType::integer, true, {}}}).ok());
        f.publish(pupr, *id);
    }
    auto names = [&](const std::string& sort) {
        SearchQuery q;
        q.tags = {"urut"};
        q.sort = sort;
        std::vector<std::string> out;
        for (const auto& d : f.svc.search(std::nullopt, q, false).results) out.push_back(d.slug);
        return out;
    };
    EXPECT_EQ(names("name asc"), (std::vector<std::string>{"aa-uji-urut", "zz-uji-urut"}));
    EXPECT_EQ(names("name desc"), (std::vector<std::string>{"zz-uji-urut", "aa-uji-urut"}));
    EXPECT_EQ(names("title_string asc"), (std::vector<std::string>{"zz-uji-urut", "aa-uji-urut"}));
}

TEST(SatuDataService, SlugCollisionIs409AndNothingHalfWritten) {
    Fixture f;
    auto op = f.who("operator.pupr@demo.gapura.id");
    f.make(op, "data-jalan-uji");
    const auto before = f.count("SELECT COUNT(*) FROM sd_datasets");
    DatasetInput in;
    in.title = "Lain";
    in.slug = "data-jalan-uji";
    auto r = f.svc.create_dataset(op, in);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_EQ(f.count("SELECT COUNT(*) FROM sd_datasets"), before);
    in.slug = "<script>x</script>";
    r = f.svc.create_dataset(op, in);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::unprocessable);
    in.slug = "ok-slug";
    in.title = "x'; DROP TABLE sd_datasets; --";
    EXPECT_TRUE(f.svc.create_dataset(op, in).ok());  // stored as text, bound parameter
    EXPECT_EQ(f.count("SELECT COUNT(*) FROM sd_datasets"), before + 1);
}

TEST(SatuDataService, ProducerFlowReturnVerifyPublishWithdraw) {
    Fixture f;
    auto op = f.who("operator.pupr@demo.gapura.id");
    auto other = f.who("operator.disdik@demo.gapura.id");
    auto wali = f.who("walidata@demo.gapura.id");
    auto id = f.make(op, "alur-uji");
    // Another OPD's operator can neither upload nor submit.
    auto foreign = f.svc.upload(other, id, "a.csv", "kode,jumlah\n35.23.01,1\n");
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code, ErrorCode::not_found);
    EXPECT_EQ(f.svc.submit(op, id).error().code, ErrorCode::unprocessable);  // no version yet
    auto bad = f.svc.upload(op, id, "a.csv", "kode,jumlah\n35.23.01,N/A\n");
    ASSERT_TRUE(bad.ok());
    EXPECT_FALSE(bad->accepted);
    EXPECT_EQ(f.svc.versions(id).size(), 0u);
    EXPECT_NE(f.svc.find(id)->last_report.find("N/A"), std::string::npos);
    auto good = f.svc.upload(op, id, "a.csv", "kode,jumlah\r\n35.23.01,1\r\n35.23.02,2\r\n");
    ASSERT_TRUE(good.ok() && good->accepted);
    EXPECT_EQ(good->version->row_count, 2);
    EXPECT_EQ(good->version->version_no, 1);
    ASSERT_TRUE(f.svc.submit(op, id).ok());
    EXPECT_EQ(f.svc.verify(op, id).error().code, ErrorCode::forbidden);  // producers do not verify
    EXPECT_EQ(f.svc.return_to_producer(wali, id, "").error().code, ErrorCode::unprocessable);
    ASSERT_TRUE(f.svc.return_to_producer(wali, id, "Satuan belum diisi").ok());
    EXPECT_EQ(f.svc.find(id)->state, kReturned);
    EXPECT_EQ(f.svc.find(id)->return_notes, "Satuan belum diisi");
    EXPECT_EQ(f.svc.publish(wali, id).error().code, ErrorCode::conflict);  // not verified
    ASSERT_TRUE(f.svc.submit(op, id).ok());
    ASSERT_TRUE(f.svc.verify(wali, id).ok());
    EXPECT_FALSE(f.svc.listed_for(std::nullopt, *f.svc.find(id)));  // verified is not published
    ASSERT_TRUE(f.svc.publish(wali, id).ok());
    auto d = *f.svc.find(id);
    EXPECT_TRUE(f.svc.listed_for(std::nullopt, d));
    // A new version stays out of the public view until it is verified and published again.
    auto v2 = f.svc.upload(op, id, "b.csv", "kode,jumlah\n35.23.01,3\n");
    ASSERT_TRUE(v2.ok() && v2->accepted);
    EXPECT_EQ(f.svc.visible_versions(std::nullopt, *f.svc.find(id)).size(), 1u);
    EXPECT_EQ(f.svc.visible_versions(op, *f.svc.find(id)).size(), 2u);
    EXPECT_EQ(f.svc.withdraw(wali, id, " ").error().code, ErrorCode::unprocessable);
    ASSERT_TRUE(f.svc.withdraw(wali, id, "Data diganti sumber resmi").ok());
    EXPECT_FALSE(f.svc.listed_for(std::nullopt, *f.svc.find(id)));
    EXPECT_GE(f.count("SELECT COUNT(*) FROM audit_log WHERE object_type = 'dataset' AND action = 'satudata.publish'"), 1);
}

TEST(SatuDataService, ZipBombAndOversizedFilesAreRefusedWithoutWrites) {
    Fixture f;
    auto op = f.who("operator.pupr@demo.gapura.id");
    auto id = f.make(op, "bom-uji");
    const auto files_before = f.count("SELECT COUNT(*) FROM files");
    std::string zip("PK\x03\x04\x14\x00\x00\x00\x08\x00", 10);
    zip += std::string(4096, '\0');
    auto r = f.svc.upload(op, id, "data.csv", zip);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::unsupported);
    EXPECT_EQ(r.error().message_key, "satudata_fatal_zip");
    // (A file over kMaxUploadBytes is refused by the upload route before it is read: see the
    // route test below and tests/e2e/upload.test.mjs.)
    EXPECT_EQ(f.count("SELECT COUNT(*) FROM files"), files_before);
    EXPECT_EQ(f.count("SELECT COUNT(*) FROM sd_versions WHERE dataset_id = " + std::to_string(id)), 0);
}

TEST(SatuDataService, RestrictedAccessAndG2GRequestsExpire) {
    Fixture f;
    auto pupr = f.who("operator.pupr@demo.gapura.id");
    auto disdik = f.who("operator.disdik@demo.gapura.id");
    auto capil = f.who("operator.disdukcapil@demo.gapura.id");
    auto id = f.make(pupr, "terbatas-uji", "restricted", {"disdik"});
    f.publish(pupr, id);
    EXPECT_TRUE(f.svc.viewable(disdik, "terbatas-uji").ok());
    EXPECT_EQ(f.svc.viewable(capil, "terbatas-uji").error().code, ErrorCode::forbidden);
    EXPECT_EQ(f.svc.viewable(std::nullopt, "terbatas-uji").error().code, ErrorCode::not_found);
    auto warga = f.who("warga@demo.gapura.id");
    EXPECT_EQ(f.svc.viewable(warga, "terbatas-uji").error().code, ErrorCode::not_found);
    // Capil asks, PUPR approves until a date; access ends after that day.
    EXPECT_EQ(f.svc.request_access(capil, id, "short").error().code, ErrorCode::unprocessable);
    auto req = f.svc.request_access(capil, id, "Untuk perencanaan layanan kependudukan");
    ASSERT_TRUE(req.ok());
    EXPECT_EQ(f.svc.request_access(capil, id, "Untuk perencanaan layanan kependudukan").error().code, ErrorCode::conflict);
    EXPECT_EQ(f.svc.approve_access(disdik, *req, format_day(*parse_day(f.svc.today()) + 5)).error().code, ErrorCode::forbidden);
    EXPECT_EQ(f.svc.approve_access(pupr, *req, f.svc.today()).error().code, ErrorCode::unprocessable);
    ASSERT_TRUE(f.svc.approve_access(pupr, *req, format_day(*parse_day(f.svc.today()) + 5)).ok());
    EXPECT_TRUE(f.svc.viewable(capil, "terbatas-uji").ok());
    f.t.clock.advance(7 * 86400);
    EXPECT_EQ(f.svc.viewable(capil, "terbatas-uji").error().code, ErrorCode::forbidden);
    EXPECT_EQ(f.svc.expire_access(), 1);
    EXPECT_EQ(f.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'satudata.access_%'"), 3);
}

TEST(SatuDataService, InformationRequestsCountWorkingDaysAndHidePersonalAnswers) {
    Fixture f;
    auto warga = f.who("warga@demo.gapura.id");
    auto pupr = f.who("operator.pupr@demo.gapura.id");
    // The fake clock starts on Friday 2027-01-01 (Asia/Jakarta): 10 working days later is 2027-01-15.
    auto id = f.svc.ask_information(warga, "jumlah-jembatan-per-kecamatan", "", "Data jembatan 2024", "Mohon data jembatan per kecamatan.");
    ASSERT_TRUE(id.ok());
    auto r = *f.svc.information(*id);
    EXPECT_EQ(r.due_date, f.svc.working_days_after(f.svc.today(), 10));
    EXPECT_EQ(f.svc.working_days_after("2027-01-01", 10), "2027-01-15");
    // Holidays from data/holidays/indonesia.csv: Isra Mikraj (Fri 2026-01-16) is skipped.
    EXPECT_EQ(f.svc.working_days_after("2026-01-15", 1), "2026-01-19");
    EXPECT_EQ(r.opd_name.find("Pekerjaan Umum") != std::string::npos, true);  // routed to the producer
    EXPECT_EQ(f.svc.extend_information(warga, *id).error().code, ErrorCode::forbidden);
    ASSERT_TRUE(f.svc.extend_information(pupr, *id).ok());
    EXPECT_EQ(f.svc.information(*id)->due_date, "2027-01-26");
    EXPECT_EQ(f.svc.extend_information(pupr, *id).error().code, ErrorCode::conflict);  // only once
    ASSERT_TRUE(f.svc.answer_information(pupr, *id, "Data dikirim ke Bapak Sutrisno.", true).ok());
    EXPECT_FALSE(f.svc.information(*id)->answer_public);
    auto bad = f.svc.ask_information(warga, "", "no-such-opd", "x", "y");
    EXPECT_EQ(bad.error().code, ErrorCode::unprocessable);
}

TEST(SatuDataService, DaftarDataShowsLateAndDelivered) {
    Fixture f;
    std::map<std::string, std::string> status;
    for (const auto& it : f.svc.daftar()) status[it.title] = it.status;
    EXPECT_EQ(status["Angka partisipasi sekolah per kecamatan"], "late");
    EXPECT_EQ(status["Panjang jalan kabupaten per kecamatan"], "delivered");
    EXPECT_EQ(status["Jumlah penduduk per desa"], "due");
    auto op = f.who("operator.pupr@demo.gapura.id");
    EXPECT_EQ(f.svc.add_daftar(op, {"dpupr-prkp", "Apa saja", "tahunan", "2027-02-01", ""}).error().code, ErrorCode::forbidden);
    auto wali = f.who("walidata@demo.gapura.id");
    EXPECT_EQ(f.svc.add_daftar(wali, {"dpupr-prkp", "Apa saja", "tahunan", "2027-02-30", ""}).error().code, ErrorCode::unprocessable);
}

// ---------------------------------------------------------------- routes

std::string csrf_of(const std::string& body) {
    std::smatch m;
    static const std::regex re("name=\"_csrf\" value=\"([^\"]+)\"");
    return std::regex_search(body, m, re) ? std::string(m[1]) : std::string();
}

testing::Reply upload(testing::Client& c, const std::string& id, const std::string& bytes) {
    auto page = c.get("/data-opd/" + id);
    const std::string b = "----sdtestboundary";
    std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + csrf_of(page.body) + "\r\n--" + b +
                       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
                       bytes + "\r\n--" + b + "--\r\n";
    return c.request(Method::post, "/data-opd/" + id + "/unggah", body, "multipart/form-data; boundary=" + b);
}

std::string token_for(testing::Client& c, const std::string& email) {
    auto r = c.api(Method::post, "/api/v1/auth/token", "{\"email\":\"" + email + "\",\"password\":\"gapura-demo-2026\"}");
    return std::string(json::parse(r.body).at("token").as_string());
}

TEST(SatuDataRoutes, CatalogDatasetPageAndDownloads) {
    testing::TestApp t;
    testing::Client c(t.app);
    auto r = c.get("/data");
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("Jumlah Penduduk per Kecamatan"), std::string::npos);
    EXPECT_NE(r.body.find("rel=\"alternate\" type=\"application/ld+json\" href=\"/catalog.jsonld\""), std::string::npos);
    EXPECT_EQ(r.body.find("Jumlah Jembatan"), std::string::npos);  // returned, not published
    r = c.get("/data?q=sekolah&tingkat=kecamatan");
    EXPECT_NE(r.body.find("Jumlah Sekolah"), std::string::npos);
    EXPECT_EQ(r.body.find("Jumlah Penduduk per Kecamatan</a>"), std::string::npos);
    r = c.get("/data?q=%27%3B%20DROP%20TABLE%20sd_datasets%3B%20--%20%25_");
    EXPECT_EQ(r.status, 200u);
    r = c.get("/data/jumlah-penduduk-per-kecamatan");
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("Kenduruan"), std::string::npos);
    r = c.get("/data/jumlah-penduduk-per-kecamatan/unduh/1.json");
    EXPECT_EQ(r.status, 200u);
    auto j = json::parse(r.body);  // written row by row: still one well-formed document
    EXPECT_EQ(j.at("dataset").as_string(), "jumlah-penduduk-per-kecamatan");
    EXPECT_EQ(j.at("version").as_int64(), 1);
    EXPECT_EQ(j.as_object().size(), 3u);
    EXPECT_EQ(r.body.rfind("{\"dataset\":\"jumlah-penduduk-per-kecamatan\",\"version\":1,\"rows\":[{", 0), 0u);
    EXPECT_EQ(j.at("rows").as_array().size(), t.app.regency().kecamatan.size());
    EXPECT_TRUE(j.at("rows").as_array()[0].as_object().at("jumlah_penduduk").is_int64());
    r = c.get("/data/jumlah-sekolah-per-kecamatan/unduh/1.csv");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body.rfind("kode_kecamatan,kecamatan,jenjang,jumlah_sekolah\r\n", 0), 0u);  // ; became ,
    EXPECT_EQ(c.get("/data/jumlah-jembatan-per-kecamatan").status, 404u);
    EXPECT_EQ(c.get("/data/jumlah-penduduk-per-kecamatan/unduh/9.csv").status, 404u);
    EXPECT_EQ(c.get("/data/jumlah-penduduk-per-kecamatan/asli/1").status, 403u);
    auto ld = c.get("/catalog.jsonld");
    EXPECT_EQ(ld.header(core::http::bhttp::field::content_type).rfind("application/ld+json", 0), 0u);
    EXPECT_EQ(json::parse(ld.body).at("dcat:dataset").as_array().size(), 3u);
}

TEST(SatuDataRoutes, UploadRouteReportsRowErrorsInTheUsersLanguageAndRefusesZip) {
    testing::TestApp t;
    testing::Client c(t.app);
    t.sign_in(c, "operator.pupr@demo.gapura.id");
    auto created = c.post_form("/data-opd/baru", "/data-opd/baru", "title=Uji+unggah&slug=uji-unggah&frequency=tahunan&region_level=kecamatan&visibility=public&license_id=CC-BY-4.0");
    ASSERT_EQ(created.status, 303u);
    std::string loc = created.header(core::http::bhttp::field::location);
    std::string id = loc.substr(std::string("/data-opd/").size(), loc.find('?') - std::string("/data-opd/").size());
    auto cols = c.post_form("/data-opd/" + id, "/data-opd/" + id + "/kolom", "name_1=kode&type_1=region&required_1=1&name_2=jumlah&type_2=integer&required_2=1");
    ASSERT_EQ(cols.status, 303u);
    std::string rows = "kode,jumlah\n";
    for (int i = 0; i < 1203; ++i) rows += "35.23.01,1\n";
    rows += "35.23.01,N/A\n";
    auto r = upload(c, id, rows);
    EXPECT_EQ(r.status, 422u);
    EXPECT_NE(r.body.find("baris 1.205, kolom jumlah: &apos;N/A&apos; bukan bilangan bulat"), std::string::npos) << r.body.substr(0, 3000);
    EXPECT_EQ(r.body.find("Catatan walidata"), std::string::npos);  // a draft has no return notes
    r = upload(c, id, std::string("PK\x03\x04", 4) + std::string(2000, 'x'));
    EXPECT_EQ(r.status, 415u);
    r = upload(c, id, "\xEF\xBB\xBF" "kode;jumlah\r\n35.23.01;\"1\"\r\n35.23.02;=CMD()\r\n");
    EXPECT_EQ(r.status, 422u);  // =CMD() is not an integer
    r = upload(c, id, "kode,jumlah\r\n35.23.01,5\r\n");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(t.app.db().read([&](core::db::Connection& cn) {
        return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM sd_versions WHERE dataset_id = ?", {std::stoll(id)});
    }), 1);
    // Another OPD's operator cannot touch it.
    testing::Client other(t.app);
    t.sign_in(other, "operator.disdik@demo.gapura.id");
    EXPECT_EQ(other.get("/data-opd/" + id).status, 404u);
    const auto* opts = t.app.router().options_for(Method::post, "/data-opd/" + id + "/unggah");
    ASSERT_NE(opts, nullptr);
    EXPECT_GE(opts->body_limit, SatuDataService::kMaxUploadBytes);
    ASSERT_TRUE(opts->upload);  // streamed to disk, not held in memory
    EXPECT_EQ(opts->upload->limits.max_file_bytes, SatuDataService::kMaxUploadBytes);
    EXPECT_GE(SatuDataService::kMaxUploadBytes, 100u << 20);
    EXPECT_STREQ(opts->too_large_key, "satudata_err_file_too_large");
}

// A producer's dataset with columns kode (region, required) and jumlah (integer, required).
std::string upload_dataset(testing::TestApp& t, testing::Client& c, const std::string& slug) {
    t.sign_in(c, "operator.pupr@demo.gapura.id");
    auto created = c.post_form("/data-opd/baru", "/data-opd/baru", "title=Uji+" + slug + "&slug=" + slug +
                               "&frequency=tahunan&region_level=kecamatan&visibility=public&license_id=CC-BY-4.0");
    EXPECT_EQ(created.status, 303u);
    std::string loc = created.header(core::http::bhttp::field::location);
    std::string id = loc.substr(std::string("/data-opd/").size(), loc.find('?') - std::string("/data-opd/").size());
    auto cols = c.post_form("/data-opd/" + id, "/data-opd/" + id + "/kolom",
                            "name_1=kode&type_1=region&required_1=1&name_2=jumlah&type_2=integer&required_2=1");
    EXPECT_EQ(cols.status, 303u);
    return id;
}

std::size_t temp_files(testing::TestApp& t) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(t.dir + "/files/tmp")) ++n;
    return n;
}

std::int64_t versions_of(testing::TestApp& t, const std::string& id) {
    return t.app.db().read([&](core::db::Connection& cn) {
        return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM sd_versions WHERE dataset_id = ?", {std::stoll(id)});
    });
}

TEST(SatuDataRoutes, UploadFormatsThroughTheStreamedPath) {
    testing::TestApp t;
    testing::Client c(t.app);
    auto id = upload_dataset(t, c, "uji-format");
    struct Case {
        const char* what;
        std::string csv;
        unsigned status;
        const char* needle;  // in the page (Indonesian)
    };
    const std::vector<Case> cases = {
        {"BOM + CRLF + semicolon", "\xEF\xBB\xBF" "kode;jumlah\r\n35.23.01;1\r\n35.23.02;2\r\n", 200u, "2 baris"},
        // The line break inside quotes stays in its field: the next record is row 4, not 5.
        {"quoted newline in a field", "kode,jumlah\n\"35.23.01\",\"1\"\n\"35.23.02\",\"1\r\n2\"\n35.23.03,x\n", 422u, "baris 4, kolom jumlah"},
        {"ragged row", "kode,jumlah\n35.23.01,1,9\n", 422u, "ada 3 kolom, seharusnya 2"},
        {"invalid UTF-8", "kode,jumlah\n35.23.01,\xFF\xFE\n", 422u, "bukan UTF-8 yang valid"},
        {"bare CR line ends", "kode,jumlah\r35.23.01,1\r", 200u, "1 baris"},
        {"unterminated quote", "kode,jumlah\n35.23.01,\"1\n", 422u, "tanda petik yang tidak ditutup"},
        {"empty file", "", 422u, "Berkas tidak berisi baris judul"},
    };
    std::int64_t accepted = 0;
    for (const auto& k : cases) {
        auto r = upload(c, id, k.csv);
        EXPECT_EQ(r.status, k.status) << k.what << "\n" << r.body.substr(0, 2000);
        if (*k.needle) {
            EXPECT_NE(r.body.find(k.needle), std::string::npos) << k.what << "\n" << r.body.substr(0, 4000);
        }
        if (r.status == 200u) ++accepted;
        EXPECT_EQ(versions_of(t, id), accepted) << k.what;  // no version row for a refused file
        EXPECT_EQ(temp_files(t), 0u) << k.what;             // nothing half-written
    }
}

TEST(SatuDataRoutes, UploadReportsTheFirstHundredErrorsAndTheTotal) {
    testing::TestApp t;
    testing::Client c(t.app);
    auto id = upload_dataset(t, c, "uji-seratus");
    std::string rows = "kode,jumlah\n";
    for (int i = 0; i < 250000; ++i) rows += "35.23.01,x" + std::to_string(i) + "\n";  // ~5 MB, every row wrong
    auto r = upload(c, id, rows);
    EXPECT_EQ(r.status, 422u);
    EXPECT_NE(r.body.find("250.000"), std::string::npos);  // the total
    EXPECT_NE(r.body.find("&apos;x99&apos; bukan bilangan bulat"), std::string::npos);
    EXPECT_EQ(r.body.find("&apos;x100&apos; bukan"), std::string::npos);  // only the first 100 listed
    EXPECT_EQ(versions_of(t, id), 0);
    EXPECT_EQ(temp_files(t), 0u);
    const auto files = t.app.db().read([&](core::db::Connection& cn) { return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM files"); });
    // A valid file of the same size is accepted and adopted into the store.
    std::string good = "kode,jumlah\n";
    for (int i = 0; i < 250000; ++i) good += "35.23.01," + std::to_string(i) + "\n";
    r = upload(c, id, good);
    EXPECT_EQ(r.status, 200u) << r.body.substr(0, 2000);
    EXPECT_EQ(versions_of(t, id), 1);
    EXPECT_EQ(temp_files(t), 0u);
    EXPECT_EQ(t.app.db().read([&](core::db::Connection& cn) { return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM files"); }), files + 1);
    auto sha = t.app.db().read([&](core::db::Connection& cn) {
        core::db::Query q(cn, "SELECT sha256 FROM sd_versions WHERE dataset_id = ?", {std::stoll(id)});
        EXPECT_TRUE(q.next());
        auto v = q.text(0);
        while (q.next()) {
        }
        return v;
    });
    EXPECT_EQ(sha, core::auth::Crypto::sha256_hex(good));
    auto orig = c.get("/data/uji-seratus/asli/1");
    EXPECT_EQ(orig.status, 200u);
    EXPECT_EQ(orig.body, good);  // the adopted bytes are exactly the upload
}

TEST(SatuDataRoutes, UploadRefusalsBeforeAnythingIsStored) {
    testing::TestApp t;
    testing::Client c(t.app);
    auto id = upload_dataset(t, c, "uji-tolak");
    const std::string b = "----sdtestboundary";
    const std::string csv = "kode,jumlah\n35.23.01,1\n";
    auto file_part = "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.csv\"\r\n\r\n" + csv + "\r\n";
    const auto page = c.get("/data-opd/" + id).body;
    auto token = csrf_of(page);
    {  // The form sends its CSRF token before the file: checked before a byte of the file is stored.
        const auto form = page.find("action=\"/data-opd/" + id + "/unggah\"");
        ASSERT_NE(form, std::string::npos);
        EXPECT_LT(page.find("name=\"_csrf\"", form), page.find("name=\"file\"", form));
    }
    auto csrf_part = "--" + b + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + token + "\r\n";
    const std::string ct = "multipart/form-data; boundary=" + b;
    const std::string target = "/data-opd/" + id + "/unggah";
    const auto files_before = t.app.db().read([&](core::db::Connection& cn) { return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM files"); });
    // No CSRF token, a wrong one, or the token after the file: 403, nothing written.
    EXPECT_EQ(c.request(Method::post, target, file_part + "--" + b + "--\r\n", ct).status, 403u);
    EXPECT_EQ(c.request(Method::post, target, file_part + csrf_part + "--" + b + "--\r\n", ct).status, 403u);
    auto wrong = "--" + b + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nAAAA\r\n";
    EXPECT_EQ(c.request(Method::post, target, wrong + file_part + "--" + b + "--\r\n", ct).status, 403u);
    // Malformed multipart, a truncated body, two files, not multipart at all.
    EXPECT_EQ(c.request(Method::post, target, csrf_part + file_part, ct).status, 400u);
    EXPECT_EQ(c.request(Method::post, target, "garbage", ct).status, 400u);
    EXPECT_EQ(c.request(Method::post, target, csrf_part + file_part + file_part + "--" + b + "--\r\n", ct).status, 400u);
    EXPECT_EQ(c.request(Method::post, target, csv, "text/csv").status, 415u);
    EXPECT_EQ(c.request(Method::post, target, csrf_part + "--" + b + "--\r\n", ct).status, 400u);  // no file
    // The Indonesian and English messages for a file that is not CSV.
    auto zip = upload(c, id, std::string("PK\x03\x04", 4) + std::string(100000, 'x'));
    EXPECT_EQ(zip.status, 415u);
    EXPECT_NE(zip.body.find("arsip ZIP"), std::string::npos) << zip.body.substr(0, 3000);
    // Another OPD's operator and a visitor are refused before the body is read.
    testing::Client other(t.app);
    t.sign_in(other, "operator.disdik@demo.gapura.id");
    auto page_token = csrf_of(other.get("/data-opd").body);
    auto other_csrf = "--" + b + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + page_token + "\r\n";
    EXPECT_EQ(other.request(Method::post, target, other_csrf + file_part + "--" + b + "--\r\n", ct).status, 404u);
    testing::Client anon(t.app);
    EXPECT_EQ(anon.request(Method::post, target, file_part + "--" + b + "--\r\n", ct).status, 401u);
    EXPECT_EQ(versions_of(t, id), 0);
    EXPECT_EQ(temp_files(t), 0u);
    EXPECT_EQ(t.app.db().read([&](core::db::Connection& cn) { return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM files"); }), files_before);
}

TEST(SatuDataRoutes, CkanActionApi) {
    testing::TestApp t;
    testing::Client c(t.app);
    auto r = c.get("/api/3/action/package_search?q=penduduk&fq=organization:disdukcapil&facet.field=%5B%22organization%22,%22tags%22%5D&rows=5");
    ASSERT_EQ(r.status, 200u);
    auto j = json::parse(r.body).as_object();
    EXPECT_TRUE(j.at("success").as_bool());
    EXPECT_NE(j.at("help").as_string().find("package_search"), std::string::npos);
    auto& res = j.at("result").as_object();
    EXPECT_EQ(res.at("count").as_int64(), 1);
    auto& pkg = res.at("results").as_array()[0].as_object();
    EXPECT_EQ(pkg.at("name").as_string(), "jumlah-penduduk-per-kecamatan");
    EXPECT_EQ(pkg.at("organization").as_object().at("name").as_string(), "disdukcapil");
    EXPECT_EQ(pkg.at("resources").as_array()[0].as_object().at("format").as_string(), "CSV");
    EXPECT_EQ(res.at("facets").as_object().at("organization").as_object().at("disdukcapil").as_int64(), 1);
    EXPECT_EQ(res.at("search_facets").as_object().at("tags").as_object().at("items").as_array().size(), 2u);

    r = c.get("/api/3/action/package_search?fq=res_format:CSV%20tags:infrastruktur");
    EXPECT_EQ(json::parse(r.body).at("result").at("count").as_int64(), 1);
    r = c.get("/api/3/action/package_search?rows=abc");
    EXPECT_EQ(r.status, 409u);
    EXPECT_EQ(json::parse(r.body).at("error").at("__type").as_string(), "Validation Error");
    r = c.get("/api/3/action/package_search?fq=bogus:1");
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(json::parse(r.body).at("error").at("__type").as_string(), "Search Query Error");
    r = c.get("/api/3/action/package_show?id=nope");
    EXPECT_EQ(r.status, 404u);
    auto e = json::parse(r.body).as_object();
    EXPECT_FALSE(e.at("success").as_bool());
    EXPECT_EQ(e.at("error").at("__type").as_string(), "Not Found Error");
    EXPECT_EQ(c.get("/api/3/action/package_show?id=jumlah-jembatan-per-kecamatan").status, 404u);  // not published
    r = c.get("/api/3/action/package_show?id=panjang-jalan-kabupaten-per-kecamatan");
    ASSERT_EQ(r.status, 200u);
    auto rid = std::string(json::parse(r.body).at("result").at("resources").as_array()[0].at("id").as_string());
    r = c.get("/api/3/action/resource_show?id=" + rid);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(std::string(json::parse(r.body).at("result").at("hash").as_string()).substr(0, 7), "sha256:");
    EXPECT_EQ(c.get("/api/3/action/frobnicate").status, 400u);
    r = c.get("/api/3/action/organization_list?all_fields=true&sort=package_count%20desc&limit=3");
    EXPECT_EQ(json::parse(r.body).at("result").as_array().size(), 3u);
    r = c.get("/api/3/action/organization_show?id=disdik");
    EXPECT_EQ(json::parse(r.body).at("result").at("package_count").as_int64(), 1);
    r = c.get("/api/3/action/tag_list");
    EXPECT_GE(json::parse(r.body).at("result").as_array().size(), 4u);
    r = c.get("/api/3/action/package_list");
    EXPECT_EQ(json::parse(r.body).at("result").as_array().size(), 3u);
    r = c.api(Method::post, "/api/3/action/package_search", "{\"q\":\"jalan\",\"rows\":1}");
    EXPECT_EQ(json::parse(r.body).at("result").at("count").as_int64(), 1);
}

TEST(SatuDataRoutes, RestrictedDatasetThroughCkanWithAnotherOpdsToken) {
    testing_sd::World w;
    auto& t = w.t;
    auto& svc = w.svc;
    // A restricted dataset of DPUPR shared with Disdik only, published.
    auto pupr = w.who("operator.pupr@demo.gapura.id");
    auto wali = w.who("walidata@demo.gapura.id");
    DatasetInput in;
    in.title = "Aset jalan rahasia";
    in.slug = "aset-jalan-terbatas";
    in.visibility = "restricted";
    in.access_opds = {"disdik"};
    auto id = *svc.create_dataset(pupr, in);
    ASSERT_TRUE(svc.set_columns(pupr, id, {{"kode", ColumnType::region, true, {}}}).ok());
    ASSERT_TRUE(svc.upload(pupr, id, "a.csv", "kode\n35.23.01\n")->accepted);
    ASSERT_TRUE(svc.submit(pupr, id).ok());
    ASSERT_TRUE(svc.verify(wali, id).ok());
    ASSERT_TRUE(svc.publish(wali, id).ok());

    testing::Client c(t.app);
    const auto capil = token_for(c, "operator.disdukcapil@demo.gapura.id");
    const auto disdik = token_for(c, "operator.disdik@demo.gapura.id");
    auto r = c.api(Method::get, "/api/3/action/package_show?id=aset-jalan-terbatas", "", capil);
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(json::parse(r.body).at("error").at("__type").as_string(), "Authorization Error");
    EXPECT_EQ(c.api(Method::get, "/api/3/action/package_show?id=aset-jalan-terbatas", "").status, 404u);
    r = c.api(Method::get, "/api/3/action/package_show?id=aset-jalan-terbatas", "", disdik);
    EXPECT_EQ(r.status, 200u);
    EXPECT_TRUE(json::parse(r.body).at("result").at("private").as_bool());
    r = c.request(Method::get, "/api/3/action/package_show?id=aset-jalan-terbatas", "", "", {{"X-CKAN-API-Key", disdik}});
    EXPECT_EQ(r.status, 200u);
    r = c.api(Method::get, "/api/3/action/package_search?q=aset", "", capil);
    EXPECT_EQ(json::parse(r.body).at("result").at("count").as_int64(), 0);
    r = c.api(Method::get, "/api/3/action/package_search?q=aset&include_private=true", "", disdik);
    EXPECT_EQ(json::parse(r.body).at("result").at("count").as_int64(), 1);
    r = c.api(Method::get, "/api/3/action/package_search?q=aset", "", disdik);  // private ones only on request
    EXPECT_EQ(json::parse(r.body).at("result").at("count").as_int64(), 0);
    EXPECT_EQ(c.get("/data/aset-jalan-terbatas").status, 404u);
}

TEST(SatuDataRoutes, FormulaCellsEscapedOnExportAndHostileTitlesEscaped) {
    testing_sd::World w;
    auto& t = w.t;
    auto& svc = w.svc;
    auto pupr = w.who("operator.pupr@demo.gapura.id");
    auto wali = w.who("walidata@demo.gapura.id");
    DatasetInput in;
    in.title = "<script>alert(1)</script> catatan";
    in.slug = "catatan-rumus";
    auto id = *svc.create_dataset(pupr, in);
    ASSERT_TRUE(svc.set_columns(pupr, id, {{"catatan", ColumnType::text, false, {}}, {"nilai", ColumnType::integer, false, {}}}).ok());
    auto up = svc.upload(pupr, id, "r.csv", "catatan,nilai\n=CMD(),-5\n@SUM(A1),\n\"a,b\",1\n");
    ASSERT_TRUE(up.ok() && up->accepted);
    EXPECT_EQ(up->version->formula_cells, 2);
    ASSERT_TRUE(svc.submit(pupr, id).ok());
    ASSERT_TRUE(svc.verify(wali, id).ok());
    ASSERT_TRUE(svc.publish(wali, id).ok());
    testing::Client c(t.app);
    auto r = c.get("/data/catalog-does-not-exist");
    EXPECT_EQ(r.status, 404u);
    r = c.get("/data/catatan-rumus/unduh/1.csv");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "catatan,nilai\r\n'=CMD(),-5\r\n'@SUM(A1),\r\n\"a,b\",1\r\n");
    EXPECT_NE(r.header(core::http::bhttp::field::content_disposition).find("attachment"), std::string::npos);
    r = c.get("/data?q=catatan");
    EXPECT_EQ(r.body.find("<script>alert(1)"), std::string::npos);
    EXPECT_NE(r.body.find("&lt;script&gt;"), std::string::npos);
    r = c.get("/data/catatan-rumus");
    EXPECT_EQ(r.body.find("<script>alert(1)"), std::string::npos);
    // Columns retyped after publication: the old version's values that do not fit the new types
    // stay text in the JSON rendering (this used to dereference an empty optional).
    ASSERT_TRUE(svc.set_columns(pupr, id, {{"catatan", ColumnType::integer, false, {}}, {"nilai", ColumnType::decimal, false, {}}}).ok());
    r = c.get("/data/catatan-rumus/unduh/1.json");
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto doc = json::parse(r.body);
    const auto& rows = doc.at("rows").as_array();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].at("catatan").as_string(), "=CMD()");
    EXPECT_EQ(rows[0].at("nilai").to_number<double>(), -5.0);
    EXPECT_EQ(rows[2].at("catatan").as_string(), "a,b");
}

TEST(SatuDataRoutes, WalidataDeskAndSchedulePages) {
    testing::TestApp t;
    testing::Client c(t.app);
    EXPECT_EQ(c.get("/data/jadwal").status, 200u);
    EXPECT_NE(c.get("/data/jadwal").body.find("Terlambat"), std::string::npos);
    t.sign_in(c, "operator.pupr@demo.gapura.id");
    EXPECT_EQ(c.get("/walidata").status, 403u);
    testing::Client w(t.app);
    t.sign_in(w, "walidata@demo.gapura.id");
    auto desk = w.get("/walidata");
    EXPECT_EQ(desk.status, 200u);
    EXPECT_NE(desk.body.find("Jumlah Jembatan"), std::string::npos);  // the returned one
    auto empty = w.post_form("/walidata", "/walidata/1/kembalikan", "notes=");
    EXPECT_EQ(empty.status, 422u);  // notes are required
    auto bad = w.post_form("/walidata", "/walidata/1/kembalikan", "notes=Catatan+uji");
    EXPECT_EQ(bad.status, 409u);  // a published dataset cannot be returned
    EXPECT_EQ(c.post_form("/data-opd", "/walidata/4/verifikasi", "").status, 403u);  // operators do not verify
}

}  // namespace
}  // namespace gapura::modules::satudata
