// Unit tests for core/web/i18n: the shipped catalogs (web/i18n/{id,en}.json and each module's
// src/modules/<name>/i18n/) agree with each other, with every template and with every error key
// in the code (a module may use core keys and its own); lookup falls back sanely;
// Accept-Language negotiation picks id or en.
#include "core/web/i18n.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace gapura::core::web {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
    if (const char* env = std::getenv("GAPURA_SOURCE_DIR"); env && *env) return env;
#ifdef GAPURA_SOURCE_DIR
    return GAPURA_SOURCE_DIR;
#else
    return ".";
#endif
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// Every KEY in {{t.KEY}}, {{{t.KEY}}}, {{& t.KEY}}, {{#t.KEY}} ... of a Mustache template.
std::set<std::string> template_keys(const std::string& text) {
    std::set<std::string> out;
    std::size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string::npos) {
        pos += 2;
        std::size_t i = pos;
        while (i < text.size() && (text[i] == '{' || text[i] == '&' || text[i] == '#' || text[i] == '^' ||
                                   text[i] == '/' || text[i] == ' ' || text[i] == '\t'))
            ++i;
        if (text.compare(i, 2, "t.") != 0) continue;
        i += 2;
        std::size_t b = i;
        while (i < text.size() && key_char(text[i])) ++i;
        out.insert(text.substr(b, i - b));
    }
    return out;
}

// Every complete string literal "err_..." in C++ source text.
std::set<std::string> err_literals(const std::string& text) {
    std::set<std::string> out;
    std::size_t pos = 0;
    while ((pos = text.find("\"err_", pos)) != std::string::npos) {
        std::size_t i = pos + 1;
        while (i < text.size() && key_char(text[i])) ++i;
        if (i < text.size() && text[i] == '"' && i > pos + 5) out.insert(text.substr(pos + 1, i - pos - 1));
        pos = i;
    }
    return out;
}

std::vector<fs::path> files_under(const fs::path& dir, const std::string& ext) {
    std::vector<fs::path> out;
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
    return out;
}

// One catalog folder (web/i18n or src/modules/<name>/i18n), loaded on its own.
struct CatalogDir {
    std::string name;  // "core" or the module name
    fs::path dir;
    I18n i18n;
    const std::map<std::string, std::string>& cat(const std::string& lang) const {
        static const std::map<std::string, std::string> empty;
        auto* c = i18n.catalog(lang);
        return c ? *c : empty;
    }
    bool has(const std::string& key) const { return cat("id").count(key) && cat("en").count(key); }
};

class I18nCatalog : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const fs::path root = source_dir();
        dirs_ = new std::vector<CatalogDir>;
        dirs_->push_back(CatalogDir{"core", root / "web" / "i18n", {}});
        std::vector<fs::path> modules;
        if (fs::is_directory(root / "src" / "modules"))
            for (const auto& m : fs::directory_iterator(root / "src" / "modules"))
                if (fs::is_directory(m.path() / "i18n")) modules.push_back(m.path());
        std::sort(modules.begin(), modules.end());
        for (const auto& m : modules) dirs_->push_back(CatalogDir{m.filename().string(), m / "i18n", {}});
        // The merged catalog, loaded the way App loads it: core first, then every module.
        i18n_ = new I18n;
        for (auto& d : *dirs_) {
            d.i18n.load_dir(d.dir.string());
            d.i18n.finish();
            i18n_->load_dir(d.dir.string());
        }
        i18n_->finish();
    }
    static void TearDownTestSuite() {
        delete i18n_;
        i18n_ = nullptr;
        delete dirs_;
        dirs_ = nullptr;
    }
    static const std::map<std::string, std::string>& cat(const std::string& lang) {
        static const std::map<std::string, std::string> empty;
        auto* c = i18n_->catalog(lang);
        return c ? *c : empty;
    }
    static const CatalogDir& core() { return dirs_->front(); }
    static const CatalogDir* module(const std::string& name) {
        for (const auto& d : *dirs_)
            if (d.name == name && d.name != "core") return &d;
        return nullptr;
    }
    // The catalogs a file may use: core's, plus its own module's when it lives in src/modules/<m>/.
    static std::vector<const CatalogDir*> visible_from(const fs::path& rel) {
        std::vector<const CatalogDir*> out{&core()};
        auto it = rel.begin();
        if (it != rel.end() && *it == "src" && ++it != rel.end() && *it == "modules" && ++it != rel.end())
            if (auto* m = module(it->string())) out.push_back(m);
        return out;
    }
    static I18n* i18n_;
    static std::vector<CatalogDir>* dirs_;
};
I18n* I18nCatalog::i18n_ = nullptr;
std::vector<CatalogDir>* I18nCatalog::dirs_ = nullptr;

std::string names(const std::vector<const CatalogDir*>& v) {
    std::string s;
    for (const auto* d : v) s += (s.empty() ? "" : " or ") + d->dir.string();
    return s;
}

TEST_F(I18nCatalog, ShipsIndonesianAndEnglish) {
    ASSERT_NE(core().i18n.catalog("id"), nullptr) << "web/i18n/id.json not loaded from " << source_dir();
    ASSERT_NE(core().i18n.catalog("en"), nullptr) << "web/i18n/en.json not loaded from " << source_dir();
    EXPECT_GT(core().cat("id").size(), 50u);
    EXPECT_EQ(i18n_->langs(), (std::vector<std::string>{"en", "id"}));
}

TEST_F(I18nCatalog, IdAndEnHaveExactlyTheSameKeys) {
    for (const auto& d : *dirs_) {
        const auto& id = d.cat("id");
        const auto& en = d.cat("en");
        EXPECT_FALSE(id.empty()) << d.dir;
        EXPECT_EQ(d.i18n.langs(), (std::vector<std::string>{"en", "id"})) << d.dir;
        for (const auto& [k, _] : id) EXPECT_TRUE(en.count(k)) << d.dir << "/en.json lacks '" << k << "'";
        for (const auto& [k, _] : en) EXPECT_TRUE(id.count(k)) << d.dir << "/id.json lacks '" << k << "'";
        EXPECT_EQ(id.size(), en.size()) << d.dir;
    }
}

TEST_F(I18nCatalog, NoEmptyValues) {
    for (const auto& d : *dirs_) {
        for (const std::string lang : {"id", "en"}) {
            for (const auto& [k, v] : d.cat(lang)) {
                bool blank = v.find_first_not_of(" \t\r\n") == std::string::npos;
                EXPECT_FALSE(blank) << d.dir << "/" << lang << ".json: '" << k << "' is empty";
            }
        }
    }
}

TEST_F(I18nCatalog, KeysAreWellFormed) {
    for (const auto& [k, _] : cat("id")) {
        bool ok = !k.empty();
        for (char c : k) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
        EXPECT_TRUE(ok) << "key '" << k << "' is not snake_case (a template could not name it)";
    }
}

TEST_F(I18nCatalog, NoDuplicateKeysInTheFiles) {
    // A JSON parser keeps one of two duplicate keys silently; the file would then disagree with itself.
    for (const auto& d : *dirs_) {
        for (const std::string lang : {"id", "en"}) {
            const auto text = read_file(d.dir / (lang + ".json"));
            std::istringstream in(text);
            std::string line;
            std::set<std::string> seen;
            while (std::getline(in, line)) {
                auto q1 = line.find('"');
                if (q1 == std::string::npos) continue;
                auto q2 = line.find('"', q1 + 1);
                if (q2 == std::string::npos || line.find(':', q2) == std::string::npos) continue;
                auto key = line.substr(q1 + 1, q2 - q1 - 1);
                EXPECT_TRUE(seen.insert(key).second) << d.dir << "/" << lang << ".json repeats '" << key << "'";
            }
            EXPECT_EQ(seen.size(), d.cat(lang).size()) << d.dir << "/" << lang << ".json is not one key per line";
        }
    }
}

TEST_F(I18nCatalog, ModuleKeysDoNotOverrideOtherCatalogs) {
    // App merges every catalog into one map: a repeated key silently replaces another text.
    std::map<std::string, std::string> owner;
    for (const auto& d : *dirs_) {
        for (const auto& [k, _] : d.cat("id")) {
            auto [it, fresh] = owner.emplace(k, d.name);
            EXPECT_TRUE(fresh) << "'" << k << "' is defined by both " << it->second << " and " << d.name;
        }
    }
}

TEST_F(I18nCatalog, EnglishIsNotJustACopyOfIndonesian) {
    std::size_t same = 0;
    for (const auto& [k, v] : cat("id")) {
        auto it = cat("en").find(k);
        if (it != cat("en").end() && it->second == v) ++same;
    }
    // Proper names and codes may coincide, but most strings must be translated.
    EXPECT_LT(same * 4, cat("id").size()) << same << " of " << cat("id").size() << " strings are identical";
}

TEST_F(I18nCatalog, EveryTemplateKeyExistsInBothCatalogs) {
    const fs::path root = source_dir();
    std::vector<fs::path> templates = files_under(root / "web" / "templates", ".mustache");
    ASSERT_FALSE(templates.empty()) << "no templates under " << (root / "web" / "templates");
    if (fs::is_directory(root / "src" / "modules")) {
        for (const auto& m : fs::directory_iterator(root / "src" / "modules")) {
            auto more = files_under(m.path() / "templates", ".mustache");
            templates.insert(templates.end(), more.begin(), more.end());
        }
    }
    std::size_t used = 0;
    for (const auto& path : templates) {
        const auto rel = fs::relative(path, root);
        const auto visible = visible_from(rel);
        for (const auto& key : template_keys(read_file(path))) {
            ++used;
            const bool found = std::any_of(visible.begin(), visible.end(), [&](auto* d) { return d->has(key); });
            EXPECT_TRUE(found) << rel << " uses t." << key << ", which is not in both id.json and en.json of "
                               << names(visible);
        }
    }
    EXPECT_GT(used, 10u) << "the scan found almost no {{t.KEY}}: is the pattern right?";
}

TEST_F(I18nCatalog, EveryErrorKeyInTheCodeExistsInBothCatalogs) {
    const fs::path root = source_dir();
    std::size_t found = 0;
    for (const auto& path : files_under(root / "src", ".cpp")) {
        const auto name = path.filename().string();
        if (name.size() >= 9 && name.compare(name.size() - 9, 9, "_test.cpp") == 0) continue;
        const auto rel = fs::relative(path, root);
        const auto visible = visible_from(rel);
        for (const auto& key : err_literals(read_file(path))) {
            ++found;
            const bool ok = std::any_of(visible.begin(), visible.end(), [&](auto* d) { return d->has(key); });
            EXPECT_TRUE(ok) << rel << ": \"" << key << "\" is not in both id.json and en.json of " << names(visible);
        }
    }
    EXPECT_GT(found, 10u) << "the scan found almost no error keys: is the source dir right?";
}

TEST(I18nScan, TemplateKeyScannerSeesEveryForm) {
    auto keys = template_keys("{{t.a}} {{{t.b}}} {{& t.c}} {{#t.d}}x{{/t.d}} {{ t.e }} {{title}} {{site.t.x}} {{t.}}");
    EXPECT_EQ(keys, (std::set<std::string>{"a", "b", "c", "d", "e", ""}));
}

TEST(I18nScan, ErrorLiteralScannerSeesOnlyWholeLiterals) {
    // A bare "err_" is a prefix used to build names ("err_" + field), not a catalog key.
    auto keys = err_literals(R"(f("err_one"); g("err_two", "err_"); h("err_x y"); "err_three" "xerr_no")");
    EXPECT_EQ(keys, (std::set<std::string>{"err_one", "err_two", "err_three"}));
}

// ---------------------------------------------------------------------------------------------
// Lookup

TEST_F(I18nCatalog, LookupFallsBackToIndonesianThenToTheKey) {
    I18n i;
    i.add("id", "hello", "Halo");
    i.add("id", "only_id", "Hanya Indonesia");
    i.add("en", "hello", "Hello");
    i.finish();
    EXPECT_EQ(i.t("en", "hello"), "Hello");
    EXPECT_EQ(i.t("id", "hello"), "Halo");
    EXPECT_EQ(i.t("en", "only_id"), "Hanya Indonesia");
    EXPECT_EQ(i.t("fr", "hello"), "Halo");
    EXPECT_EQ(i.t("en", "no_such_key"), "no_such_key");
    EXPECT_EQ(i.t("", ""), "");
    EXPECT_EQ(i.t("en", "<script>"), "<script>");
}

TEST_F(I18nCatalog, TemplateDataFallsBackToIndonesian) {
    I18n i;
    i.add("id", "k", "v");
    i.finish();
    for (const std::string lang : {"id", "xx", "en"}) {
        const auto* t = i.template_data(lang).get("t");
        ASSERT_NE(t, nullptr) << lang;
        const auto* v = t->get("k");
        ASSERT_NE(v, nullptr) << lang;
        EXPECT_EQ(v->string_value(), "v") << lang;
    }
    I18n empty;
    empty.finish();
    EXPECT_TRUE(empty.template_data("id").is_empty_object());
}

TEST(I18nLoad, MissingDirectoryThrows) {
    I18n i;
    EXPECT_THROW(i.load_dir("/nonexistent/gapura/i18n"), std::runtime_error);
}

TEST(I18nLoad, BadCatalogThrowsNamingTheFile) {
    static std::atomic<int> n{0};
    const fs::path dir =
        fs::temp_directory_path() / ("gapura-i18n-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(dir);
    for (const auto& [name, body] : std::vector<std::pair<std::string, std::string>>{
             {"xx.json", "{\"a\": "}, {"yy.json", "[1, 2]"}, {"zz.json", "{\"a\": 1}"}}) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        std::ofstream(dir / name) << body;
        I18n i;
        try {
            i.load_dir(dir.string());
            ADD_FAILURE() << name << " was accepted";
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            const std::string expected = name == "zz.json" ? std::string("non-string message a") : name;
            EXPECT_NE(what.find(expected), std::string::npos) << what;
        }
    }
    fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Accept-Language

TEST_F(I18nCatalog, NegotiatePicksEnglishForEnUs) {
    EXPECT_EQ(i18n_->negotiate("en-US,en;q=0.9", "id"), "en");
    EXPECT_EQ(i18n_->negotiate("EN-gb", "id"), "en");
    EXPECT_EQ(i18n_->negotiate("fr-FR, en;q=0.5", "id"), "en");
}

TEST_F(I18nCatalog, NegotiatePicksIndonesian) {
    EXPECT_EQ(i18n_->negotiate("id-ID", "en"), "id");
    EXPECT_EQ(i18n_->negotiate("id", "en"), "id");
    EXPECT_EQ(i18n_->negotiate("id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", "en"), "id");
}

TEST_F(I18nCatalog, NegotiateMapsLegacyInToIndonesian) {
    EXPECT_EQ(i18n_->negotiate("in", "en"), "id");
    EXPECT_EQ(i18n_->negotiate("in-ID", "en"), "id");
}

TEST_F(I18nCatalog, NegotiateHonoursQualityOrder) {
    EXPECT_EQ(i18n_->negotiate("en;q=0.4, id;q=0.8", "en"), "id");
    EXPECT_EQ(i18n_->negotiate("id;q=0.1, en", "id"), "en");
}

TEST_F(I18nCatalog, NegotiateFallsBackForGarbage) {
    for (const std::string header : {"", " ", ",,,", ";;;", "q=1", "fr", "de-DE, ja;q=0.5", "*", "e", "english", "idn",
                                     "i-d", "\x01\xff\xfe", "<script>alert(1)</script>"}) {
        EXPECT_EQ(i18n_->negotiate(header, "id"), "id") << header;
        EXPECT_EQ(i18n_->negotiate(header, "en"), "en") << header;
    }
}

TEST_F(I18nCatalog, NegotiateSurvivesHugeHeaders) {
    std::string header;
    for (int i = 0; i < 20000; ++i) header += "xx-YY;q=0.5,";
    header += "en;q=0.1";
    EXPECT_EQ(i18n_->negotiate(header, "id"), "en");
    EXPECT_EQ(i18n_->negotiate(std::string(100000, ';'), "id"), "id");
}

TEST_F(I18nCatalog, NegotiateTreatsQZeroAsNotAcceptable) {
    // RFC 9110 §12.4.2: q=0 means "not acceptable".
    EXPECT_EQ(i18n_->negotiate("en;q=0", "id"), "id");
    EXPECT_EQ(i18n_->negotiate("id;q=0", "en"), "en");
    EXPECT_EQ(i18n_->negotiate("en;q=0, id;q=0", "en"), "en");
    EXPECT_EQ(i18n_->negotiate("en;q=0.0, id;q=0.001", "en"), "id");
    EXPECT_EQ(i18n_->negotiate("en;q=nonsense", "id"), "id");
}

}  // namespace
}  // namespace gapura::core::web
