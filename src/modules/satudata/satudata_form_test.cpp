// Route tests of Satu Data's producer forms as a browser posts them (every row of the columns
// table, blank rows included), found by the browser walk-through in
// tests/e2e/satudata-walkthrough.test.mjs.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gapura::modules::satudata
