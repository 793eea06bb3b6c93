#include "modules/satudata/csv_stream.hpp"

#include <gtest/gtest.h>

namespace gapura::modules::satudata {
namespace {

std::vector<ColumnSpec> cols() {
    return {{"kode", ColumnType::region, true, {}},
            {"nama", ColumnType::text, true, {}},
            {"jumlah", ColumnType::integer, true, {}},
            {"jenjang", ColumnType::text, false, {"SD", "SMP"}}};
}

ValidationReport run(const std::string& bytes, std::size_t chunk = 7) {
    CsvValidator v(cols(), [](std::string_view c) { return c == "35.23.01" || c == "35.23.02"; });
    for (std::size_t i = 0; i < bytes.size(); i += chunk)
        if (!v.feed(std::string_view(bytes).substr(i, chunk))) break;
    return v.finish();
}

TEST(SatuDataCsv, ValidFileInTinyChunks) {
    auto r = run("kode,nama,jumlah,jenjang\n35.23.01,Kenduruan,12,SD\n35.23.02,Jatirogo,7,SMP\n", 1);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.rows, 2);
    EXPECT_EQ(r.delimiter, ',');
}

TEST(SatuDataCsv, BomCrlfSemicolonAndQuotedNewline) {
    auto r = run("\xEF\xBB\xBFkode;nama;jumlah;jenjang\r\n35.23.01;\"Kendu\r\nruan; \"\"x\"\"\";12;SD\r\n35.23.02;Jatirogo;7;\r\n", 3);
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].code);
    EXPECT_TRUE(r.bom);
    EXPECT_EQ(r.delimiter, ';');
    EXPECT_EQ(r.rows, 2);
}

TEST(SatuDataCsv, RowErrorsCarryRowColumnValueAndCode) {
    auto r = run("kode,nama,jumlah,jenjang\n35.23.01,A,N/A,SD\n99.99.99,B,1,SMA\n35.23.01,C\n35.23.02,,5,SD\n");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.error_count, 5);
    EXPECT_EQ(r.errors[0].row, 2);
    EXPECT_EQ(r.errors[0].column, "jumlah");
    EXPECT_EQ(r.errors[0].value, "N/A");
    EXPECT_EQ(r.errors[0].code, "integer");
    EXPECT_EQ(r.errors[1].code, "region");
    EXPECT_EQ(r.errors[2].code, "allowed");
    EXPECT_EQ(r.errors[2].expected, "SD, SMP");
    EXPECT_EQ(r.errors[3].code, "ragged");
    EXPECT_EQ(r.errors[3].row, 4);
    EXPECT_EQ(r.errors[4].code, "required");
}

TEST(SatuDataCsv, InvalidUtf8IsReportedWithItsRow) {
    auto r = run("kode,nama,jumlah,jenjang\n35.23.01,ok,1,SD\n35.23.01,bad\xC3\x28,1,SD\n");
    ASSERT_EQ(r.error_count, 1);
    EXPECT_EQ(r.errors[0].row, 3);
    EXPECT_EQ(r.errors[0].code, "utf8");
    EXPECT_EQ(r.errors[0].value, "bad?(");
}

TEST(SatuDataCsv, FirstHundredErrorsKeptButAllCounted) {
    std::string s = "kode,nama,jumlah,jenjang\n";
    for (int i = 0; i < 1500; ++i) s += "35.23.01,x,N/A,SD\n";
    auto r = run(s, 4096);
    EXPECT_EQ(r.error_count, 1500);
    EXPECT_EQ(r.errors.size(), 100u);
    EXPECT_EQ(r.errors.back().row, 101);
}

TEST(SatuDataCsv, HeaderProblems) {
    auto r = run("kode,nama,extra\n35.23.01,x,y\n");
    std::vector<std::string> codes;
    for (auto& e : r.errors) codes.push_back(e.code);
    EXPECT_NE(std::find(codes.begin(), codes.end(), "header_unknown"), codes.end());
    EXPECT_NE(std::find(codes.begin(), codes.end(), "header_missing"), codes.end());
}

TEST(SatuDataCsv, BinaryFilesAreRefusedFromTheirFirstBytes) {
    EXPECT_EQ(run(std::string("PK\x03\x04\x14\x00\x00\x00\x08\x00", 10) + std::string(1000, 'A')).fatal, Fatal::zip);
    EXPECT_EQ(run(std::string("\x1F\x8B\x08\x00", 4) + "xxxxxxxxxxxxxxxx").fatal, Fatal::not_text);
    EXPECT_EQ(run("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 zzzzzzzzzzzz").fatal, Fatal::xls);
    EXPECT_EQ(run(std::string("kode,nama\n\0\0\0", 13)).fatal, Fatal::not_text);
    EXPECT_EQ(run("<html><body>x</body></html>\n").fatal, Fatal::not_text);
    EXPECT_EQ(run("").fatal, Fatal::empty);
    EXPECT_EQ(run("kode,nama,jumlah,jenjang\n35.23.01,\"open,1,SD\n").fatal, Fatal::unterminated_quote);
}

TEST(SatuDataCsv, FieldLimitBoundsMemory) {
    CsvValidator v(cols(), nullptr, 100, CsvReader::Limits{1024, 50});
    std::string big = "kode,nama,jumlah,jenjang\n\"" + std::string(5000, 'x');
    v.feed(big);
    auto r = v.finish();
    EXPECT_EQ(r.fatal, Fatal::field_too_long);
    EXPECT_EQ(r.fatal_row, 2);
}

TEST(SatuDataCsv, FormulaCellsAreCountedAndEscapedOnExport) {
    auto r = run("kode,nama,jumlah,jenjang\n35.23.01,=CMD(),-5,SD\n35.23.01,@SUM(A1),1,SD\n");
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.formula_cells, 2);  // -5 is a number, not a formula
    EXPECT_EQ(csv_export_field("=CMD()"), "'=CMD()");
    EXPECT_EQ(csv_export_field("+1+2"), "'+1+2");
    EXPECT_EQ(csv_export_field("-5"), "-5");
    EXPECT_EQ(csv_export_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    EXPECT_EQ(csv_export_line({"=1+1", "x"}), "'=1+1,x\r\n");
}

TEST(SatuDataCsv, ValueChecksAndNumbers) {
    EXPECT_TRUE(is_integer("-12"));
    EXPECT_FALSE(is_integer("1.204"));
    EXPECT_TRUE(is_decimal("3,5"));
    EXPECT_TRUE(is_decimal("3.5"));
    EXPECT_FALSE(is_decimal("3,5,1"));
    EXPECT_TRUE(is_iso_date("2024-02-29"));
    EXPECT_FALSE(is_iso_date("2023-02-29"));
    EXPECT_TRUE(is_boolean("Ya"));
    EXPECT_EQ(format_count(1204, "id"), "1.204");
    EXPECT_EQ(format_count(1234567, "en"), "1,234,567");
}

}  // namespace
}  // namespace gapura::modules::satudata
