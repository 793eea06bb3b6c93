// Route tests of Satu Data's forms as a browser posts them (every row of the columns table, blank
// rows included) and of the walidata desk's status messages after an action: both found by the
// browser walk-through in tests/e2e/satudata-walkthrough.test.mjs.
#include <gtest/gtest.h>

#include <regex>

#include "app/testing.hpp"

namespace gapura::modules::satudata {
namespace {

std::int64_t column_count(testing::TestApp& t, const std::string& id) {
    return t.app.db().read([&](core::db::Connection& c) {
        return core::db::scalar_int(c, "SELECT COUNT(*) FROM sd_columns WHERE dataset_id = ?", {std::stoll(id)}).value_or(-1);
    });
}

TEST(SatuDataForms, ColumnsFormWithItsBlankRowsSavesTheFilledOnes) {
    testing::TestApp t;
    testing::Client c(t.app);
    t.sign_in(c, "operator.pupr@demo.gapura.id");
    auto created = c.post_form("/data-opd/baru", "/data-opd/baru",
                               "title=Uji+kolom&slug=uji-kolom&frequency=tahunan&region_level=kecamatan&visibility=public&license_id=CC-BY-4.0");
    ASSERT_EQ(created.status, 303u);
    const std::string loc = created.header(core::http::bhttp::field::location);
    const std::string id = loc.substr(std::string("/data-opd/").size(), loc.find('?') - std::string("/data-opd/").size());
    // A new dataset's table has three rows; the browser sends all of them, blank ones with an
    // empty "allowed_n" and the type select's first value.
    auto form = c.get("/data-opd/" + id);
    ASSERT_NE(form.body.find("name=\"name_3\""), std::string::npos);
    auto saved = c.post_form("/data-opd/" + id, "/data-opd/" + id + "/kolom",
                             "name_1=kode&type_1=region&required_1=1&allowed_1="
                             "&name_2=jumlah&type_2=integer&required_2=1&allowed_2="
                             "&name_3=&type_3=text&allowed_3=");
    ASSERT_EQ(saved.status, 303u) << saved.body.substr(0, 3000);
    EXPECT_EQ(column_count(t, id), 2);
    // Blank allowed values between commas are dropped; a row with a value list but no name is
    // still an error (422, nothing replaced).
    auto listed = c.post_form("/data-opd/" + id, "/data-opd/" + id + "/kolom",
                              "name_1=kode&type_1=region&allowed_1=&name_2=status&type_2=text&allowed_2=baik%2C+%2Crusak"
                              "&name_3=&type_3=text&allowed_3=");
    ASSERT_EQ(listed.status, 303u) << listed.body.substr(0, 3000);
    EXPECT_EQ(t.app.db().read([&](core::db::Connection& cn) {
        return core::db::scalar_text(cn, "SELECT allowed FROM sd_columns WHERE dataset_id = ? AND name = 'status'", {std::stoll(id)})
            .value_or("");
    }), "baik|rusak");
    auto nameless = c.post_form("/data-opd/" + id, "/data-opd/" + id + "/kolom",
                                "name_1=kode&type_1=region&allowed_1=&name_2=&type_2=text&allowed_2=a%2Cb");
    EXPECT_EQ(nameless.status, 422u);
    EXPECT_EQ(column_count(t, id), 2);
}

// After return, verify, publish and withdraw the desk says what happened (role=status), in the
// user's language; an unknown or forged "pesan" shows nothing.
TEST(SatuDataForms, WalidataDeskConfirmsEachActionWithAStatusMessage) {
    testing::TestApp t;
    testing::Client p(t.app), w(t.app);
    t.sign_in(p, "operator.pupr@demo.gapura.id");
    t.sign_in(w, "walidata@demo.gapura.id");
    auto created = p.post_form("/data-opd/baru", "/data-opd/baru",
                               "title=Uji+meja&slug=uji-meja&frequency=tahunan&region_level=kecamatan&visibility=public&license_id=CC-BY-4.0");
    ASSERT_EQ(created.status, 303u);
    const std::string loc = created.header(core::http::bhttp::field::location);
    const std::string id = loc.substr(std::string("/data-opd/").size(), loc.find('?') - std::string("/data-opd/").size());
    ASSERT_EQ(p.post_form("/data-opd/" + id, "/data-opd/" + id + "/kolom", "name_1=kode&type_1=region&required_1=1").status, 303u);
    auto upload = [&] {
        auto page = p.get("/data-opd/" + id);
        std::smatch m;
        static const std::regex re("name=\"_csrf\" value=\"([^\"]+)\"");
        std::regex_search(page.body, m, re);
        const std::string b = "----sdformboundary";
        const std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + std::string(m[1]) + "\r\n--" + b +
                                 "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                                 "kode\r\n35.23.01\r\n\r\n--" + b + "--\r\n";
        return p.request(core::http::Method::post, "/data-opd/" + id + "/unggah", body, "multipart/form-data; boundary=" + b);
    };
    ASSERT_EQ(upload().status, 200u);
    ASSERT_EQ(p.post_form("/data-opd/" + id, "/data-opd/" + id + "/ajukan", "").status, 303u);
    auto act = [&](const std::string& path, const std::string& fields, const std::string& pesan, const std::string& id_text) {
        auto r = w.post_form("/walidata", "/walidata/" + id + "/" + path, fields);
        EXPECT_EQ(r.status, 303u) << path << r.body.substr(0, 2000);
        EXPECT_EQ(r.header(core::http::bhttp::field::location), "/walidata?pesan=" + pesan);
        auto desk = w.get("/walidata?pesan=" + pesan);
        EXPECT_NE(desk.body.find("<p class=\"notice\" role=\"status\">" + id_text + "</p>"), std::string::npos) << pesan;
    };
    act("kembalikan", "notes=Kode+kurang", "dikembalikan", "Dikembalikan ke produsen beserta catatan Anda.");
    ASSERT_EQ(p.post_form("/data-opd/" + id, "/data-opd/" + id + "/ajukan", "").status, 303u);
    act("verifikasi", "", "diverifikasi", "Terverifikasi. Sekarang dapat diterbitkan.");
    act("terbitkan", "", "diterbitkan", "Terbit: dataset ada di katalog publik.");
    w.jar()["gapura_lang"] = "en";
    act("tarik", "reason=Salah+kode", "ditarik", "Withdrawn from the public catalogue.");
    // Unknown or hostile values show no notice.
    for (const std::string q : {"kolom", "%3Cscript%3E", "satudata_msg_dibuat", ""})
        EXPECT_EQ(w.get("/walidata?pesan=" + q).body.find("role=\"status\""), std::string::npos) << q;
}

}  // namespace
}  // namespace gapura::modules::satudata
