#include "core/region/regency.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/audit/audit_log.hpp"
#include "core/auth/auth_service.hpp"
#include "core/db/migrator.hpp"

namespace gapura::core::region {
namespace {

namespace fs = std::filesystem;

std::string source_dir() {
    if (const char* env = std::getenv("GAPURA_SOURCE_DIR"); env && *env) return env;
#ifdef GAPURA_SOURCE_DIR
    return GAPURA_SOURCE_DIR;
#else
    return ".";
#endif
}

std::string regency_dir(const std::string& slug) {
    return source_dir() + "/data/regencies/" + slug;
}

// idn-area-data is installed by npm (see data/regencies/tuban/README.md), not committed.
std::string area_dir() { return source_dir() + "/node_modules/idn-area-data/data"; }

#define REQUIRE_AREA_DATA()                                                                    \
    ASSERT_TRUE(fs::exists(area_dir() + "/villages.csv"))                                      \
        << "idn-area-data is missing: run `npm install` in " << source_dir() << " (looked in " \
        << area_dir() << ")"

class TempDir {
  public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = fs::temp_directory_path() /
                ("gapura-region-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string str() const { return path_.string(); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream out(path_ / name, std::ios::binary);
        out << text;
    }

  private:
    fs::path path_;
};

// ---- parse_csv ----

using Rows = std::vector<std::vector<std::string>>;

TEST(ParseCsv, PlainRowsWithAndWithoutFinalNewline) {
    EXPECT_EQ(parse_csv("a,b\n1,2\n", "t.csv"), (Rows{{"a", "b"}, {"1", "2"}}));
    EXPECT_EQ(parse_csv("a,b\n1,2", "t.csv"), (Rows{{"a", "b"}, {"1", "2"}}));
    EXPECT_EQ(parse_csv("", "t.csv"), Rows{});
}

TEST(ParseCsv, QuotedFieldsDoubledQuotesCommasAndNewlines) {
    const auto rows = parse_csv(
        "code,name\n"
        "1,\"Ra\"\"as\"\n"
        "2,\"Lubuk Pakam I,II\"\n"
        "3,\"two\nlines\"\n"
        "4,\"\"\n"
        "5,\"\"\"\"\n",
        "t.csv");
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[1][1], "Ra\"as");
    EXPECT_EQ(rows[2][1], "Lubuk Pakam I,II");
    EXPECT_EQ(rows[3][1], "two\nlines");
    EXPECT_EQ(rows[4][1], "");
    EXPECT_EQ(rows[5][1], "\"");
}

TEST(ParseCsv, EmptyFieldsAndTrailingComma) {
    EXPECT_EQ(parse_csv("a,b,c\n,,\n1,,3\n", "t.csv"),
              (Rows{{"a", "b", "c"}, {"", "", ""}, {"1", "", "3"}}));
}

TEST(ParseCsv, CrlfAndBom) {
    EXPECT_EQ(parse_csv("\xEF\xBB\xBF"
                        "a,b\r\n1,\"x\r\ny\"\r\n2,3\r\n",
                        "t.csv"),
              (Rows{{"a", "b"}, {"1", "x\r\ny"}, {"2", "3"}}));
}

TEST(ParseCsv, SkipsEmptyLines) {
    EXPECT_EQ(parse_csv("a,b\n\n1,2\r\n\r\n3,4\n\n", "t.csv"),
              (Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}}));
}

TEST(ParseCsv, UnterminatedQuoteNamesOriginAndLine) {
    try {
        parse_csv("a,b\n1,2\n3,\"open\n4,5\n", "data/x.csv");
        FAIL() << "no exception";
    } catch (const RegencyError& e) {
        EXPECT_STREQ(e.what(), "data/x.csv:3: unterminated quoted field");
    }
}

TEST(ParseCsv, RaggedRowNamesOriginAndLine) {
    try {
        parse_csv("a,b\n1,2\n\"multi\nline\",2\n1,2,3\n", "y.csv");
        FAIL() << "no exception";
    } catch (const RegencyError& e) {
        EXPECT_STREQ(e.what(), "y.csv:5: expected 2 fields as in the header, found 3");
    }
    EXPECT_THROW(parse_csv("a,b\n1\n", "y.csv"), RegencyError);
}

TEST(ParseCsv, StrayQuotesAreErrors) {
    EXPECT_THROW(parse_csv("a,b\n1,x\"y\n", "t.csv"), RegencyError);
    EXPECT_THROW(parse_csv("a,b\n1,\"x\"y\n", "t.csv"), RegencyError);
}

// ---- a small synthetic regency, for the checks ----

constexpr const char* kMiniJson = R"({
  "code": "99.01",
  "bps_code": "9901",
  "name": "Kabupaten Contoh",
  "short_name": "Contoh",
  "province": "Provinsi Uji",
  "domain": "contohkab.go.id",
  "timezone": "Asia/Makassar",
  "utc_offset_minutes": 480,
  "map": {
    "center": {"lat": -5.5, "lng": 120.5},
    "zoom": 11,
    "bounds": {"south": -6.0, "west": 120.0, "north": -5.0, "east": 121.0},
    "town_center": {"lat": -5.4, "lng": 120.4, "zoom": 15}
  },
  "walidata_opd": "kominfo",
  "planning_opd": "bappeda",
  "population": {"total": 3000, "year": 2020, "source": "test"}
}
)";

constexpr const char* kMiniKecamatan =
    "kemendagri_code,bps_code,name,lat,lng,population,population_year\n"
    "99.01.02,9901020,Bukit Tinggi,-5.6,120.6,1000,2020\n"
    "99.01.01,,Pantai,-5.2,120.2,2000,2020\n";

constexpr const char* kMiniOpd =
    "slug,abbreviation,name,kind\n"
    "setda,Setda,Sekretariat Daerah,sekretariat\n"
    "kominfo,Kominfo,\"Dinas Komunikasi, Informatika\",dinas\n"
    "bappeda,Bappeda,Badan Perencanaan,badan\n";

constexpr const char* kMiniDistricts =
    "code,regency_code,name\n"
    "11.01.01,11.01,\"Ra\"\"as\"\n"
    "99.01.01,99.01,PANTAI\n"
    "99.01.02,99.01,Bukit Tinggi\n"
    "99.02.01,99.02,Lain\n";

constexpr const char* kMiniVillages =
    "code,district_code,name\n"
    "12.07.28.1007,12.07.28,\"Lubuk Pakam I,II\"\n"
    "99.01.01.1001,99.01.01,Pelabuhan\n"
    "99.01.01.2001,99.01.01,\"Soka\"\"an\"\n"
    "99.01.02.2002,99.01.02,Atas\n"
    "99.01.02.2001,99.01.02,Bawah\n"
    "99.02.01.2001,99.02.01,Lain Desa\n";

struct Mini {
    TempDir dir;
    TempDir area;
    std::map<std::string, std::string> files{{"regency.json", kMiniJson},
                                             {"kecamatan.csv", kMiniKecamatan},
                                             {"opd.csv", kMiniOpd},
                                             {"districts.csv", kMiniDistricts},
                                             {"villages.csv", kMiniVillages}};

    Regency load() {
        for (const auto& [name, text] : files) {
            if (name == "districts.csv" || name == "villages.csv")
                area.write(name, text);
            else
                dir.write(name, text);
        }
        return load_regency(dir.str(), area.str());
    }
    void replace(const std::string& file, const std::string& from, const std::string& to) {
        auto& text = files.at(file);
        const auto pos = text.find(from);
        ASSERT_NE(pos, std::string::npos) << from;
        text.replace(pos, from.size(), to);
    }
    // Loads and returns the RegencyError message ("" if nothing was thrown).
    std::string error() {
        try {
            load();
        } catch (const RegencyError& e) {
            return e.what();
        }
        return "";
    }
};

TEST(LoadRegency, SyntheticRegencyLoads) {
    Mini m;
    const Regency r = m.load();
    EXPECT_EQ(r.code, "99.01");
    EXPECT_EQ(r.timezone, "Asia/Makassar");
    EXPECT_EQ(r.utc_offset_minutes, 480);
    EXPECT_EQ(r.zoom, 11);
    EXPECT_EQ(r.town_zoom, 15);
    EXPECT_DOUBLE_EQ(r.town_center.lat, -5.4);
    EXPECT_EQ(r.population_total, 3000);
    ASSERT_EQ(r.kecamatan.size(), 2u);
    EXPECT_EQ(r.kecamatan[0].code, "99.01.01");  // sorted by code
    EXPECT_EQ(r.kecamatan[0].name, "Pantai");    // the name from kecamatan.csv, not districts.csv
    ASSERT_EQ(r.villages.size(), 4u);
    const Village* soka = r.find_village("99.01.01.2001");
    ASSERT_NE(soka, nullptr);
    EXPECT_EQ(soka->name, "Soka\"an");
    EXPECT_FALSE(soka->kelurahan);
    ASSERT_NE(r.find_village("99.01.01.1001"), nullptr);
    EXPECT_TRUE(r.find_village("99.01.01.1001")->kelurahan);
    EXPECT_EQ(r.find_village("99.02.01.2001"), nullptr);
    EXPECT_EQ(r.find_kecamatan("99.01.03"), nullptr);
    ASSERT_EQ(r.opds.size(), 5u);
    EXPECT_EQ(r.opds[1].name, "Dinas Komunikasi, Informatika");
    EXPECT_EQ(r.opds[1].region_code, "99.01");
    const OpdDef& kec = r.opds[4];
    EXPECT_EQ(kec.slug, "kec-bukit-tinggi");
    EXPECT_EQ(kec.abbreviation, "Kec. Bukit Tinggi");
    EXPECT_EQ(kec.name, "Kecamatan Bukit Tinggi");
    EXPECT_EQ(kec.kind, "kecamatan");
    EXPECT_EQ(kec.region_code, "99.01.02");
    // One office per desa/kelurahan, in village code order, apart from the agencies.
    ASSERT_EQ(r.village_offices.size(), 4u);
    const OpdDef& pelabuhan = r.village_offices[0];
    EXPECT_EQ(pelabuhan.slug, "kel-pantai-pelabuhan");
    EXPECT_EQ(pelabuhan.abbreviation, "Kel. Pelabuhan");
    EXPECT_EQ(pelabuhan.name, "Kelurahan Pelabuhan");
    EXPECT_EQ(pelabuhan.kind, "kelurahan");
    EXPECT_EQ(pelabuhan.region_code, "99.01.01.1001");
    const OpdDef& soka_office = r.village_offices[1];
    EXPECT_EQ(soka_office.slug, "desa-pantai-soka-an");
    EXPECT_EQ(soka_office.abbreviation, "Ds. Soka\"an");
    EXPECT_EQ(soka_office.name, "Desa Soka\"an");
    EXPECT_EQ(soka_office.kind, "desa");
    EXPECT_EQ(soka_office.region_code, "99.01.01.2001");
    EXPECT_EQ(r.village_offices[2].slug, "desa-bukit-tinggi-bawah");  // 99.01.02.2001
    EXPECT_EQ(r.village_offices[3].slug, "desa-bukit-tinggi-atas");   // 99.01.02.2002
    ASSERT_NE(r.find_opd("desa-bukit-tinggi-atas"), nullptr);
    EXPECT_EQ(r.find_opd("desa-bukit-tinggi-atas")->region_code, "99.01.02.2002");
    ASSERT_NE(r.find_opd("kec-pantai"), nullptr);
    EXPECT_EQ(r.find_opd("kec-pantai")->kind, "kecamatan");
    EXPECT_EQ(r.find_opd("desa-pantai-lain-desa"), nullptr);  // 99.02.01: another regency's village
    for (const auto& o : r.opds) EXPECT_TRUE(o.kind != "desa" && o.kind != "kelurahan") << o.slug;
}

TEST(LoadRegency, CrlfAndBomInDataFiles) {
    Mini m;
    for (auto& [name, text] : m.files) {
        if (name.ends_with(".json")) continue;
        std::string crlf = "\xEF\xBB\xBF";
        for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        text = crlf;
    }
    const Regency r = m.load();
    EXPECT_EQ(r.kecamatan.size(), 2u);
    EXPECT_EQ(r.villages.size(), 4u);
    EXPECT_EQ(r.opds.size(), 5u);
    EXPECT_EQ(r.opds[0].slug, "setda");
    EXPECT_EQ(r.villages.back().name, "Atas");
}

// villages.csv is read in 64 KiB blocks: records (quoted, spanning lines) must survive the cuts,
// and line numbers must stay right.
TEST(LoadRegency, LargeAreaFileWithQuotedMultilineRows) {
    Mini m;
    std::string villages = "code,district_code,name\n";
    constexpr int kFiller =
        8000;  // other regencies' rows, ~300 KiB: odd ones quoted over two lines
    int filler_lines = 0;
    for (int i = 0; i < kFiller; ++i) {
        char code[32];
        std::snprintf(code, sizeof code, "11.01.%02d.2%03d", i / 1000 + 10, i % 1000);
        const std::string prefix = std::string(code) + "," + std::string(code, 8) + ",";
        if (i % 2) {
            villages += prefix + "\"Desa \"\"" + std::to_string(i) +
                        "\"\", baris\nkedua, sampai cukup panjang\"\n";
            filler_lines += 2;
        } else {
            villages +=
                prefix + "Desa Biasa Nomor " + std::to_string(i) + " Yang Namanya Panjang\n";
            filler_lines += 1;
        }
    }
    villages +=
        "99.01.01.1001,99.01.01,\"Pelabuhan\nBaru\"\n"
        "99.01.01.2001,99.01.01,\"Soka\"\"an\"\n"
        "99.01.02.2001,99.01.02,Bawah\n";
    m.files["villages.csv"] = villages;
    const Regency r = m.load();
    ASSERT_EQ(r.villages.size(), 3u);
    EXPECT_EQ(r.villages[0].name, "Pelabuhan\nBaru");
    EXPECT_EQ(r.villages[1].name, "Soka\"an");

    m.files["villages.csv"] += "99.01.02.3001,99.01.02,Salah\n";
    const int bad_line = 1 + filler_lines + 2 + 1 + 1 + 1;
    EXPECT_NE(m.error().find("villages.csv:" + std::to_string(bad_line) +
                             ": village code '99.01.02.3001'"),
              std::string::npos)
        << m.error();

    m.files["villages.csv"] = villages + "99.01.02.2002,99.01.02,\"Tanpa akhir\n";
    EXPECT_NE(
        m.error().find("villages.csv:" + std::to_string(bad_line) + ": unterminated quoted field"),
        std::string::npos)
        << m.error();
}

TEST(LoadRegency, TownCenterAndOffsetAreOptional) {
    Mini m;
    m.replace("regency.json", R"(,
    "town_center": {"lat": -5.4, "lng": 120.4, "zoom": 15})",
              "");
    m.replace("regency.json", R"("utc_offset_minutes": 480,)", "");
    const Regency r = m.load();
    EXPECT_EQ(r.utc_offset_minutes, 480);
    EXPECT_DOUBLE_EQ(r.town_center.lat, r.center.lat);
    EXPECT_EQ(r.town_zoom, 14);
}

TEST(LoadRegency, BadJsonNamesFileAndLine) {
    Mini m;
    m.replace("regency.json", R"("zoom": 11,)", R"("zoom": 11,,)");
    const std::string err = m.error();
    EXPECT_NE(err.find("regency.json:12: invalid JSON"), std::string::npos) << err;
}

TEST(LoadRegency, JsonFieldProblems) {
    {
        Mini m;
        m.replace("regency.json", R"("code": "99.01")", R"("code": "9901")");
        EXPECT_NE(m.error().find("regency.json: 'code' must look like NN.NN"), std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("regency.json", R"("zoom": 11)", R"("zoom": "11")");
        EXPECT_NE(m.error().find("regency.json: 'map.zoom' must be an integer"), std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("regency.json", R"("walidata_opd": "kominfo",)", "");
        EXPECT_NE(m.error().find("regency.json: missing 'walidata_opd'"), std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("regency.json", R"("utc_offset_minutes": 480)", R"("utc_offset_minutes": 420)");
        EXPECT_NE(m.error().find("regency.json: 'utc_offset_minutes' 420 does not match"),
                  std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("regency.json", R"("center": {"lat": -5.5)", R"("center": {"lat": -4.5)");
        EXPECT_NE(m.error().find("regency.json: 'map.center' (-4.5"), std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("regency.json", R"("south": -6.0)", R"("south": -4.0)");
        EXPECT_NE(m.error().find("regency.json: 'map.bounds' must have south < north"),
                  std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.files["regency.json"] = "[1, 2]";
        EXPECT_NE(m.error().find("regency.json: the top level must be a JSON object"),
                  std::string::npos);
    }
}

TEST(LoadRegency, UnknownKecamatanCode) {
    Mini m;
    m.replace("kecamatan.csv", "99.01.01,,Pantai", "99.01.07,,Pantai");
    const std::string err = m.error();
    EXPECT_NE(err.find("kecamatan.csv:3: kecamatan 99.01.07 (Pantai) is not in"), std::string::npos)
        << err;
    EXPECT_NE(err.find("districts.csv"), std::string::npos) << err;
}

TEST(LoadRegency, KecamatanOfAnotherRegency) {
    Mini m;
    m.replace("kecamatan.csv", "99.01.01,,Pantai", "99.02.01,,Pantai");
    EXPECT_NE(m.error().find("kecamatan.csv:3: kecamatan code '99.02.01' must look like 99.01.NN"),
              std::string::npos)
        << m.error();
}

TEST(LoadRegency, KecamatanNameMustMatchButForCase) {
    Mini m;
    m.replace("kecamatan.csv", "Pantai", "Pantai Indah");
    EXPECT_NE(
        m.error().find("kecamatan.csv:3: kecamatan 99.01.01 is named 'Pantai Indah' but 'PANTAI'"),
        std::string::npos)
        << m.error();
}

TEST(LoadRegency, KecamatanMissingFromCsv) {
    Mini m;
    m.replace("kecamatan.csv", "99.01.01,,Pantai,-5.2,120.2,2000,2020\n", "");
    EXPECT_NE(m.error().find("kecamatan.csv: kecamatan 99.01.01 (PANTAI) of"), std::string::npos)
        << m.error();
}

TEST(LoadRegency, CentreOutsideBounds) {
    Mini m;
    m.replace("kecamatan.csv", "-5.6,120.6", "-5.6,121.6");
    const std::string err = m.error();
    EXPECT_NE(
        err.find(
            "kecamatan.csv:2: the centre (-5.6, 121.6) of Bukit Tinggi is outside the map bounds"),
        std::string::npos)
        << err;
}

TEST(LoadRegency, KecamatanValueProblems) {
    {
        Mini m;
        m.replace("kecamatan.csv", "-5.6,120.6", "-5.6,east");
        EXPECT_NE(
            m.error().find("kecamatan.csv:2: lat/lng of Bukit Tinggi must be decimal numbers"),
            std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("kecamatan.csv", "1000,2020", "-1,2020");
        EXPECT_NE(m.error().find(
                      "kecamatan.csv:2: population of Bukit Tinggi must be a whole number >= 0"),
                  std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("kecamatan.csv", "9901020", "3523010");
        EXPECT_NE(m.error().find("kecamatan.csv:2: bps_code '3523010'"), std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("kecamatan.csv", "Bukit Tinggi,-5.6", "Bukit Tinggi,-5.6,0");
        EXPECT_NE(m.error().find("kecamatan.csv:2: expected 7 fields as in the header, found 8"),
                  std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("kecamatan.csv", "population_year", "year");
        EXPECT_NE(m.error().find("kecamatan.csv:1: missing column 'population_year'"),
                  std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.files["kecamatan.csv"] += "99.01.01,,Pantai,-5.2,120.2,2000,2020\n";
        EXPECT_NE(m.error().find(
                      "kecamatan.csv:4: duplicate kecamatan code '99.01.01' (first on line 3)"),
                  std::string::npos)
            << m.error();
    }
}

TEST(LoadRegency, KecamatanWithoutVillages) {
    Mini m;
    m.replace("villages.csv",
              "99.01.01.1001,99.01.01,Pelabuhan\n99.01.01.2001,99.01.01,\"Soka\"\"an\"\n", "");
    EXPECT_NE(m.error().find("kecamatan.csv: kecamatan 99.01.01 (Pantai) has no desa/kelurahan"),
              std::string::npos)
        << m.error();
}

TEST(LoadRegency, BadVillageCode) {
    Mini m;
    m.replace("villages.csv", "99.01.02.2002", "99.01.02.3002");
    EXPECT_NE(m.error().find("villages.csv:5: village code '99.01.02.3002'"), std::string::npos)
        << m.error();
}

TEST(LoadRegency, DuplicateSlug) {
    Mini m;
    m.files["opd.csv"] += "kominfo,Kominfo 2,Dinas Lain,dinas\n";
    const std::string err = m.error();
    EXPECT_NE(err.find("opd.csv:5: duplicate slug 'kominfo' (first at "), std::string::npos) << err;
}

TEST(LoadRegency, KecamatanSlugCollidesWithListedOpd) {
    Mini m;
    m.files["opd.csv"] += "kec-pantai,Kec. Pantai,Kecamatan Pantai,dinas\n";
    EXPECT_NE(m.error().find(
                  "kecamatan.csv:3: the OPD slug 'kec-pantai' of Kecamatan Pantai is already used"),
              std::string::npos)
        << m.error();
}

// Village names repeat across kecamatan (the slug carries the kecamatan); within one kecamatan, two
// names that slugify alike would give two offices one slug: refused, naming both villages.
TEST(LoadRegency, VillageOfficeSlugCollisionIsRefused) {
    Mini m;
    m.files["villages.csv"] += "99.01.01.2002,99.01.01,Soka An\n";
    const std::string err = m.error();
    EXPECT_NE(err.find("villages.csv: the OPD slug 'desa-pantai-soka-an' of Desa Soka An (99.01.01.2002) is "
                       "already used at "),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("(99.01.01.2001)"), std::string::npos) << err;
}

TEST(LoadRegency, VillageOfficeSlugCollidesWithListedOpd) {
    Mini m;
    m.files["opd.csv"] += "kel-pantai-pelabuhan,Kel,Kelurahan Palsu,dinas\n";
    const std::string err = m.error();
    EXPECT_NE(err.find("the OPD slug 'kel-pantai-pelabuhan' of Kelurahan Pelabuhan (99.01.01.1001) is "
                       "already used at "),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("opd.csv:5"), std::string::npos) << err;
}

TEST(LoadRegency, VillageWithoutSlugableNameIsRefused) {
    Mini m;
    m.files["villages.csv"] += "99.01.02.2003,99.01.02,\"---\"\n";
    EXPECT_NE(m.error().find("cannot make an OPD slug from the name of Desa --- (99.01.02.2003)"), std::string::npos)
        << m.error();
}

TEST(LoadRegency, OpdProblems) {
    {
        Mini m;
        m.replace("opd.csv", "setda,Setda", "Setda,Setda");
        EXPECT_NE(m.error().find("opd.csv:2: slug 'Setda' must match [a-z0-9-]+"),
                  std::string::npos)
            << m.error();
    }
    {
        Mini m;
        m.replace("opd.csv", "badan\n", "agency\n");
        EXPECT_NE(m.error().find("opd.csv:4: kind 'agency' must be one of"), std::string::npos)
            << m.error();
    }
}

TEST(LoadRegency, MissingWalidataOpd) {
    Mini m;
    m.replace("opd.csv", "kominfo,Kominfo", "diskominfo,Kominfo");
    const std::string err = m.error();
    EXPECT_NE(err.find("regency.json: walidata_opd 'kominfo' is not an OPD slug in "),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("opd.csv"), std::string::npos) << err;
}

TEST(LoadRegency, MissingPlanningOpd) {
    Mini m;
    m.replace("opd.csv", "bappeda,Bappeda", "bapperida,Bappeda");
    EXPECT_NE(m.error().find("regency.json: planning_opd 'bappeda' is not an OPD slug"),
              std::string::npos)
        << m.error();
}

TEST(LoadRegency, MissingFiles) {
    Mini m;
    m.load();
    try {
        load_regency(m.dir.str(), m.dir.str());  // no districts.csv there
        FAIL();
    } catch (const RegencyError& e) {
        EXPECT_NE(std::string(e.what()).find("districts.csv: file not found"), std::string::npos)
            << e.what();
    }
    try {
        load_regency(m.dir.str() + "/nope", m.area.str());
        FAIL();
    } catch (const RegencyError& e) {
        EXPECT_NE(std::string(e.what()).find("nope/regency.json: file not found"),
                  std::string::npos)
            << e.what();
    }
}

// ---- the real data: Tuban and Lamongan ----

TEST(LoadRegency, Tuban) {
    REQUIRE_AREA_DATA();
    const auto start = std::chrono::steady_clock::now();
    const Regency r = load_regency(regency_dir("tuban"), area_dir());
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("[   INFO   ] load_regency(tuban) took %.1f ms\n", ms);
    RecordProperty("load_ms", std::to_string(ms));
    EXPECT_LT(ms, 1000) << "loading Tuban should take a few ms";

    EXPECT_EQ(r.code, "35.23");
    EXPECT_EQ(r.bps_code, "3523");
    EXPECT_EQ(r.short_name, "Tuban");
    EXPECT_EQ(r.domain, "tubankab.go.id");
    EXPECT_EQ(r.utc_offset_minutes, 420);
    EXPECT_EQ(r.population_total, 1198012);
    EXPECT_EQ(r.walidata_opd, "diskominfo-sp");
    EXPECT_EQ(r.planning_opd, "bapperida");

    ASSERT_EQ(r.kecamatan.size(), 20u);
    ASSERT_EQ(r.villages.size(), 328u);
    int kelurahan = 0;
    std::map<std::string, std::pair<int, int>> per;  // kecamatan -> (desa, kelurahan)
    for (const auto& v : r.villages) {
        kelurahan += v.kelurahan;
        (v.kelurahan ? per[v.district_code].second : per[v.district_code].first)++;
        EXPECT_NE(r.find_kecamatan(v.district_code), nullptr) << v.code;
    }
    EXPECT_EQ(kelurahan, 17);
    EXPECT_EQ(static_cast<int>(r.villages.size()) - kelurahan, 311);
    // Desa and kelurahan per kecamatan, from shared/design/reference/tuban.md.
    const std::map<std::string, std::pair<int, int>> expected{
        {"35.23.01", {9, 0}},  {"35.23.02", {18, 0}}, {"35.23.03", {14, 0}}, {"35.23.04", {24, 0}},
        {"35.23.05", {12, 0}}, {"35.23.06", {18, 0}}, {"35.23.07", {12, 0}}, {"35.23.08", {17, 0}},
        {"35.23.09", {18, 0}}, {"35.23.10", {13, 0}}, {"35.23.11", {23, 0}}, {"35.23.12", {17, 0}},
        {"35.23.13", {19, 0}}, {"35.23.14", {16, 0}}, {"35.23.15", {15, 2}}, {"35.23.16", {3, 14}},
        {"35.23.17", {18, 0}}, {"35.23.18", {18, 1}}, {"35.23.19", {16, 0}}, {"35.23.20", {11, 0}}};
    EXPECT_EQ(per, expected);

    const Village* mondokan = r.find_village("35.23.16.1003");
    ASSERT_NE(mondokan, nullptr);
    EXPECT_EQ(mondokan->name, "Mondokan");
    EXPECT_TRUE(mondokan->kelurahan);
    const Kecamatan* grabagan = r.find_kecamatan("35.23.20");
    ASSERT_NE(grabagan, nullptr);
    EXPECT_EQ(grabagan->name, "Grabagan");
    EXPECT_EQ(grabagan->bps_code, "3523081");

    std::int64_t population = 0;
    for (const auto& k : r.kecamatan) {
        EXPECT_TRUE(r.bounds.contains(k.lat, k.lng)) << k.name;
        population += k.population;
    }
    EXPECT_EQ(population, r.population_total);
    EXPECT_TRUE(r.bounds.contains(r.center.lat, r.center.lng));
    EXPECT_TRUE(r.bounds.contains(r.town_center.lat, r.town_center.lng));

    ASSERT_EQ(r.opds.size(), 23u + 20u);
    std::set<std::string> slugs;
    for (const auto& o : r.opds) slugs.insert(o.slug);
    EXPECT_EQ(slugs.size(), r.opds.size());
    EXPECT_TRUE(slugs.count("diskominfo-sp"));
    EXPECT_TRUE(slugs.count("kec-tuban"));
    EXPECT_TRUE(slugs.count("kec-grabagan"));
    int kecamatan_opds = 0;
    for (const auto& o : r.opds) {
        if (o.kind != "kecamatan") continue;
        ++kecamatan_opds;
        ASSERT_NE(r.find_kecamatan(o.region_code), nullptr) << o.slug;
        EXPECT_EQ(o.name, "Kecamatan " + r.find_kecamatan(o.region_code)->name);
    }
    EXPECT_EQ(kecamatan_opds, 20);

    // One office per village, slugs unique across every office (agencies, kecamatan, villages).
    ASSERT_EQ(r.village_offices.size(), 328u);
    int desa_offices = 0;
    for (const auto& o : r.village_offices) {
        EXPECT_TRUE(slugs.insert(o.slug).second) << "duplicate slug " << o.slug;
        const Village* v = r.find_village(o.region_code);
        ASSERT_NE(v, nullptr) << o.slug;
        EXPECT_EQ(o.kind, v->kelurahan ? "kelurahan" : "desa") << o.slug;
        EXPECT_EQ(o.name, (v->kelurahan ? "Kelurahan " : "Desa ") + v->name);
        EXPECT_TRUE(o.slug.starts_with(v->kelurahan ? "kel-" : "desa-")) << o.slug;
        desa_offices += o.kind == "desa";
    }
    EXPECT_EQ(desa_offices, 311);
    EXPECT_EQ(slugs.size(), 43u + 328u);
    ASSERT_NE(r.find_opd("kel-tuban-mondokan"), nullptr);
    EXPECT_EQ(r.find_opd("kel-tuban-mondokan")->region_code, "35.23.16.1003");
    ASSERT_NE(r.find_opd("desa-kenduruan-jlodro"), nullptr);
    EXPECT_EQ(r.find_opd("desa-kenduruan-jlodro")->region_code, "35.23.01.2001");
}

// A second regency deploys by data alone: nothing about Tuban is hard-coded.
TEST(LoadRegency, Lamongan) {
    REQUIRE_AREA_DATA();
    const Regency r = load_regency(regency_dir("lamongan"), area_dir());
    EXPECT_EQ(r.code, "35.24");
    EXPECT_EQ(r.short_name, "Lamongan");
    EXPECT_EQ(r.domain, "lamongankab.go.id");
    EXPECT_EQ(r.walidata_opd, "diskominfo");
    EXPECT_EQ(r.planning_opd, "bappeda");
    ASSERT_EQ(r.kecamatan.size(), 27u);
    EXPECT_EQ(r.villages.size(), 474u);
    int kelurahan = 0;
    for (const auto& v : r.villages) {
        kelurahan += v.kelurahan;
        EXPECT_TRUE(v.code.starts_with("35.24.")) << v.code;
    }
    EXPECT_EQ(kelurahan, 12);
    for (const auto& k : r.kecamatan) {
        EXPECT_TRUE(k.code.starts_with("35.24.")) << k.code;
        EXPECT_TRUE(r.bounds.contains(k.lat, k.lng)) << k.name;
        EXPECT_EQ(k.bps_code, "");
    }
    EXPECT_EQ(r.opds.size(), 8u + 27u);
    EXPECT_EQ(r.village_offices.size(), 474u);
    std::set<std::string> slugs;
    for (const auto* list : {&r.opds, &r.village_offices})
        for (const auto& o : *list) EXPECT_TRUE(slugs.insert(o.slug).second) << "duplicate slug " << o.slug;
    EXPECT_NE(r.find_kecamatan("35.24.22"), nullptr);
    EXPECT_EQ(r.find_kecamatan("35.23.16"), nullptr);
}

// ---- load_reference_data ----

class ReferenceData : public ::testing::Test {
  protected:
    void SetUp() override {
        db_ = db::Database::open("sqlite://" + tmp_.file("gapura.db"), 2);
        db::migrate(*db_,
                    {audit::audit_migrations(), auth::accounts_migrations(), region_migrations()},
                    kNow);
    }
    std::int64_t count(const std::string& sql, std::initializer_list<db::Value> params = {}) {
        return db_->read(
            [&](db::Connection& c) { return db::scalar_int(c, sql, params).value_or(-1); });
    }

    static constexpr std::int64_t kNow = 1798761600;
    TempDir tmp_;
    std::unique_ptr<db::Database> db_;
    audit::AuditLog audit_;
};

TEST_F(ReferenceData, InsertsThenIsIdempotentAndAudited) {
    REQUIRE_AREA_DATA();
    Regency r = load_regency(regency_dir("tuban"), area_dir());

    const LoadCounts first = load_reference_data(*db_, audit_, r, kNow);
    EXPECT_EQ(first.regions_inserted, 1 + 20 + 328);
    EXPECT_EQ(first.regions_updated, 0);
    EXPECT_EQ(first.opds_inserted, 43 + 328);
    EXPECT_EQ(first.opds_updated, 0);

    EXPECT_EQ(
        count("SELECT COUNT(*) FROM regions WHERE level = 'kabupaten' AND parent_code IS NULL"), 1);
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM regions WHERE level = 'kecamatan' AND parent_code = '35.23'"),
        20);
    EXPECT_EQ(count("SELECT COUNT(*) FROM regions WHERE level = 'desa' AND kind = 'desa'"), 311);
    EXPECT_EQ(count("SELECT COUNT(*) FROM regions WHERE level = 'desa' AND kind = 'kelurahan'"),
              17);
    EXPECT_EQ(count("SELECT COUNT(*) FROM regions WHERE parent_code = '35.23.16'"), 17);
    EXPECT_EQ(count("SELECT population FROM regions WHERE code = '35.23'"), 1198012);
    EXPECT_EQ(count("SELECT population FROM regions WHERE code = '35.23.15'"), 114136);
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM opds WHERE kind = 'kecamatan' AND region_code LIKE '35.23.%'"),
        20);
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds WHERE region_code = '35.23' AND active = 1"), 23);
    // Every desa/kelurahan has its office, on its own region row and of the same kind.
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds o JOIN regions g ON g.code = o.region_code"
                    " WHERE g.level = 'desa' AND g.kind = o.kind"),
              328);
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds WHERE kind = 'desa'"), 311);
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds WHERE kind = 'kelurahan'"), 17);
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds WHERE slug = 'kel-tuban-mondokan' AND region_code = '35.23.16.1003'"),
              1);
    const auto name = db_->read([](db::Connection& c) {
        return db::scalar_text(c, "SELECT name FROM opds WHERE slug = 'kec-tuban'").value_or("");
    });
    EXPECT_EQ(name, "Kecamatan Tuban");

    const LoadCounts second = load_reference_data(*db_, audit_, r, kNow + 60);
    EXPECT_EQ(second.regions_inserted, 0);
    EXPECT_EQ(second.regions_updated, 0);
    EXPECT_EQ(second.opds_inserted, 0);
    EXPECT_EQ(second.opds_updated, 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM regions"), 349);
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds"), 43 + 328);

    // A renamed OPD and a corrected population are updated in place; the OPD keeps its id.
    const auto id = count("SELECT id FROM opds WHERE slug = 'diskominfo-sp'");
    db_->write(
        [](db::Connection& c) { db::exec(c, "UPDATE opds SET active = 0 WHERE slug = 'setda'"); });
    for (auto& o : r.opds)
        if (o.slug == "diskominfo-sp") o.name = "Dinas Komunikasi dan Informatika";
    r.kecamatan[0].population += 1;
    const LoadCounts third = load_reference_data(*db_, audit_, r, kNow + 120);
    EXPECT_EQ(third.regions_inserted, 0);
    EXPECT_EQ(third.regions_updated, 1);
    EXPECT_EQ(third.opds_inserted, 0);
    EXPECT_EQ(third.opds_updated, 1);
    EXPECT_EQ(count("SELECT id FROM opds WHERE slug = 'diskominfo-sp'"), id);
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds WHERE name = 'Dinas Komunikasi dan Informatika'"),
              1);
    EXPECT_EQ(count("SELECT active FROM opds WHERE slug = 'setda'"), 0);  // left alone

    const auto v = audit_.verify(*db_);
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.checked, 3);
    const auto entries =
        db_->read([&](db::Connection& c) { return audit_.for_object(c, "regency", "35.23"); });
    ASSERT_EQ(entries.size(), 3u);
    const auto& last = entries.front();
    EXPECT_EQ(last.action, "reference.load");
    EXPECT_EQ(last.actor_label, "seed");
    EXPECT_EQ(last.actor_role, "system");
    const auto summary = boost::json::parse(last.summary).as_object();
    EXPECT_EQ(summary.at("regions_updated").as_int64(), 1);
    EXPECT_EQ(summary.at("opds_updated").as_int64(), 1);
    EXPECT_EQ(summary.at("regions_inserted").as_int64(), 0);
    EXPECT_EQ(boost::json::parse(entries.back().summary).at("regions_inserted").as_int64(), 349);
}

TEST_F(ReferenceData, SyntheticRegencyWithNullsIsIdempotent) {
    Mini m;
    m.replace("regency.json", R"(,
  "population": {"total": 3000, "year": 2020, "source": "test"})",
              "");
    const Regency r = m.load();
    const LoadCounts first = load_reference_data(*db_, audit_, r, kNow);
    EXPECT_EQ(first.regions_inserted, 1 + 2 + 4);
    EXPECT_EQ(first.opds_inserted, 5 + 4);
    EXPECT_EQ(count("SELECT COUNT(*) FROM regions WHERE code = '99.01' AND population IS NULL"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM regions WHERE bps_code IS NULL"), 1 + 4);
    const auto soka = db_->read([](db::Connection& c) {
        return db::scalar_text(c, "SELECT name FROM regions WHERE code = '99.01.01.2001'")
            .value_or("");
    });
    EXPECT_EQ(soka, "Soka\"an");
    const LoadCounts second = load_reference_data(*db_, audit_, r, kNow);
    EXPECT_EQ(second.regions_inserted + second.regions_updated + second.opds_inserted +
                  second.opds_updated,
              0);
    EXPECT_TRUE(audit_.verify(*db_).ok);
}

TEST_F(ReferenceData, RollsBackOnFailure) {
    Mini m;
    Regency r = m.load();
    r.opds.push_back(
        r.opds.front());  // same slug twice in one run: fine, the second is a no-op update
    r.opds.back().region_code =
        "00.00";  // ...but this region does not exist: foreign key violation
    EXPECT_THROW(load_reference_data(*db_, audit_, r, kNow), db::DbError);
    EXPECT_EQ(count("SELECT COUNT(*) FROM regions"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM opds"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), 0);
}

}  // namespace
}  // namespace gapura::core::region
