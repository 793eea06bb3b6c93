// XlsxWriter: the cell rules (numbers, escaping, removal of characters XML forbids, the cell
// length limit) and the workbook as a real reader sees it: python3's zipfile (CRC checked) and
// its XML parser read every part back.
#include "modules/satudata/xlsx_writer.hpp"

#include <gtest/gtest.h>

#include "modules/satudata/xlsx_test_reader.hpp"

namespace gapura::modules::satudata {
namespace {

TEST(XlsxWriter, ColumnNames) {
    EXPECT_EQ(XlsxWriter::column_name(0), "A");
    EXPECT_EQ(XlsxWriter::column_name(25), "Z");
    EXPECT_EQ(XlsxWriter::column_name(26), "AA");
    EXPECT_EQ(XlsxWriter::column_name(701), "ZZ");
    EXPECT_EQ(XlsxWriter::column_name(702), "AAA");
    EXPECT_EQ(XlsxWriter::column_name(16383), "XFD");  // Excel's last column
}

TEST(XlsxWriter, PlainNumbersOnly) {
    for (const char* ok : {"0", "-5", "12345678901234", "3.5", "-0.25", "1e3", "2.5E-7"})
        EXPECT_TRUE(XlsxWriter::plain_number(ok)) << ok;
    for (const char* bad : {"", "-", "+5", "3,5", ".5", "5.", "1e", "1e+", "=1+1", "0x10", "1 2", "NaN", "inf", "1e999",
                            "12345678901234567890123456789012345678901"})
        EXPECT_FALSE(XlsxWriter::plain_number(bad)) << bad;
}

std::string text(std::string_view s) {
    std::string out;
    XlsxWriter::append_text(out, s);
    return out;
}

TEST(XlsxWriter, TextIsEscapedAndCleaned) {
    EXPECT_EQ(text("<script>alert('x') & \"y\"</script>"), "&lt;script&gt;alert('x') &amp; \"y\"&lt;/script&gt;");
    // Control characters XML 1.0 forbids are removed; tab and line feed stay, CR is kept as a reference.
    EXPECT_EQ(text("a\x01"
                   "b\x1f"
                   "c\td\ne\rf\x7f"),
              "abc\td\ne&#13;f\x7f");
    EXPECT_EQ(text(std::string("nul\0byte", 8)), "nulbyte");
    // U+FFFE / U+FFFF are not XML characters; invalid UTF-8, surrogates and overlong forms are dropped.
    EXPECT_EQ(text("x\xEF\xBF\xBEy\xEF\xBF\xBFz"), "xyz");
    EXPECT_EQ(text("a\xC3(b\xED\xA0\x80"
                   "c\xC0\xAF"
                   "d\xFF"),
              "a(bcd");
    EXPECT_EQ(text("Rp 5.000 — Tuban 🌊"), "Rp 5.000 — Tuban 🌊");
    // "_x0041_" would read back as "A": the underscore is escaped; other underscores stay.
    EXPECT_EQ(text("_x0041_ and snake_case and _x12_"), "_x005F_x0041_ and snake_case and _x12_");
    // Formula-like text stays text (the writer never emits <f>).
    EXPECT_EQ(text("=CMD()"), "=CMD()");
}

TEST(XlsxWriter, LongCellsAreCutAtTheSpreadsheetLimit) {
    EXPECT_EQ(text(std::string(64 * 1024, 'a')).size(), XlsxWriter::kMaxCellUnits);
    // A character outside the BMP counts two UTF-16 units and is never split.
    std::string emoji;
    for (int i = 0; i < 20000; ++i) emoji += "\xF0\x9F\x8C\x8A";
    EXPECT_EQ(text(emoji).size(), (XlsxWriter::kMaxCellUnits / 2) * 4);
}

TEST(XlsxWriter, RefusesRowsPastTheColumnLimit) {
    XlsxWriter w;
    std::vector<XlsxCell> too_wide(XlsxWriter::kMaxColumns + 1, XlsxCell{"x", false});
    EXPECT_FALSE(w.add_row(too_wide));
    EXPECT_TRUE(w.add_row({{"ok", false}}));
    EXPECT_FALSE(w.finish().empty());
}

TEST(XlsxWriter, AWorkbookAPythonReaderOpens) {
    if (!testing_xlsx::have_python()) GTEST_SKIP() << "python3 not installed";
    XlsxWriter w(1798761600);
    ASSERT_TRUE(w.add_row({{"kode", false}, {"jumlah", true}, {"catatan", false}}));
    ASSERT_TRUE(w.add_row({{"35.23.01", false}, {"5", true}, {"=CMD()", false}}));
    ASSERT_TRUE(w.add_row({{"35.23.02", false}, {"-1.5e3", true}, {"<script>x</script>\x01\r\n", false}}));
    ASSERT_TRUE(w.add_row({{"", false}, {"=1+1", true}, {"_x0041_", false}, {" spasi\t", false}}));
    const std::string big(64 * 1024, 'b');
    ASSERT_TRUE(w.add_row({{big, false}}));
    const auto bytes = w.finish();
    EXPECT_EQ(bytes.substr(0, 4), std::string("PK\x03\x04", 4));
    const auto got = testing_xlsx::read_back(bytes);
    EXPECT_EQ(got,
              "A1|s|kode\nB1|s|jumlah\nC1|s|catatan\n"
              "A2|s|35.23.01\nB2|n|5\nC2|s|=CMD()\n"
              "A3|s|35.23.02\nB3|n|-1.5e3\nC3|s|<script>x</script>\\r\\n\n"
              "B4|s|=1+1\nC4|s|_x005F_x0041_\nD4|s| spasi\\t\n"
              "A5|s|" +
                  std::string(XlsxWriter::kMaxCellUnits, 'b') + "\n");
}

TEST(XlsxWriter, ManyRowsStayCompressed) {
    if (!testing_xlsx::have_python()) GTEST_SKIP() << "python3 not installed";
    XlsxWriter w;
    ASSERT_TRUE(w.add_row({{"no", false}, {"nama", false}}));
    std::string n;
    for (int i = 1; i <= 50000; ++i) {
        n = std::to_string(i);
        ASSERT_TRUE(w.add_row({{n, true}, {"Desa contoh nomor " + n, false}}));
    }
    const auto bytes = w.finish();
    EXPECT_LT(bytes.size(), 1u << 20);  // ~4 MB of XML deflates well below 1 MB
    const auto got = testing_xlsx::read_back(bytes);
    EXPECT_NE(got.find("A50001|n|50000\nB50001|s|Desa contoh nomor 50000"), std::string::npos) << got.substr(0, 200);
}

}  // namespace
}  // namespace gapura::modules::satudata
