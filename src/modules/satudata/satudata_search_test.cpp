// Full-text search (FTS5) of Satu Data, the catalog's facets and cache, and the CKAN/DCAT
// conformance points: hostile input at every boundary of /data, package_search and /catalog.jsonld.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "app/testing.hpp"
#include "core/db/migrator.hpp"
#include "core/util/strings.hpp"
#include "modules/satudata/satudata_store.hpp"

namespace gapura::modules::satudata {
namespace {

using core::http::Method;
namespace json = boost::json;

// Adds `n` published public datasets with bench/data/satudata_bulk.sql (the bench's own loader).
void bulk_load(testing::TestApp& t, int n) {
    std::ifstream in(testing::source_dir() + "/bench/data/satudata_bulk.sql");
    ASSERT_TRUE(in) << "bench/data/satudata_bulk.sql";
    std::stringstream ss;
    ss << in.rdbuf();
    std::string sql = ss.str();
    auto sub = [&](const std::string& from, const std::string& to) {
        for (auto pos = sql.find(from); pos != std::string::npos; pos = sql.find(from, pos + to.size())) sql.replace(pos, from.size(), to);
    };
    sub(":now", std::to_string(t.clock.now()));
    sub(":n", std::to_string(n));
    sub("PRAGMA synchronous = OFF;", "");
    sub("BEGIN;", "");
    sub("COMMIT;", "");
    t.app.db().write([&](core::db::Connection& c) { c.exec_script(sql); });
}

json::object ckan(testing::Client& c, const std::string& target, unsigned want) {
    auto r = c.get(target);
    EXPECT_EQ(r.status, want) << target.substr(0, 200) << "\n" << r.body.substr(0, 500);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*") << target.substr(0, 200);
    auto v = json::parse(r.body);
    EXPECT_TRUE(v.is_object());
    return v.as_object();
}

std::vector<std::string> names(const json::object& env) {
    std::vector<std::string> out;
    for (const auto& p : env.at("result").at("results").as_array()) out.emplace_back(p.at("name").as_string());
    return out;
}

TEST(SatuDataSearch, FtsQueryQuotesEveryWordAndPrefixesTheLast) {
    EXPECT_EQ(store::fts_query(""), "");
    EXPECT_EQ(store::fts_query("  \"*:-()^  "), "");
    EXPECT_EQ(store::fts_query("Jumlah Pendu"), "\"jumlah\" \"pendu\"*");
    EXPECT_EQ(store::fts_query("title:jalan NEAR(a b) -x OR \"y"), "\"title\" \"jalan\" \"near\" \"a\" \"b\" \"x\" \"or\" \"y\"*");
    EXPECT_EQ(store::fts_query("sekolah*"), "\"sekolah\"*");
    EXPECT_EQ(store::fts_query("Kab. Tuban—Jawa"), "\"kab\" \"tuban—jawa\"*");  // non-ASCII kept for the tokenizer
    std::string many;
    for (int i = 0; i < 40; ++i) many += "w" + std::to_string(i) + " ";
    auto q = store::fts_query(many);
    EXPECT_EQ(std::count(q.begin(), q.end(), '"'), static_cast<long>(2 * store::kMaxSearchWords));
}

TEST(SatuDataSearch, CatalogFindsByPrefixKonsepTagAndOpdAndSurvivesHostileText) {
    testing::TestApp t;
    testing::Client c(t.app);
    // Prefix of the last word, any case.
    auto r = c.get("/data?q=PENDU");
    ASSERT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("Jumlah Penduduk per Kecamatan"), std::string::npos);
    EXPECT_EQ(r.body.find("Jumlah Sekolah per Kecamatan"), std::string::npos);
    // The OPD's name and its abbreviation are searchable.
    r = c.get("/data?q=disdukcapil");
    EXPECT_NE(r.body.find("Jumlah Penduduk per Kecamatan"), std::string::npos);
    // Hostile FTS5 syntax is plain text: never a 500.
    for (const std::string q : {"%22", "%22%22%22", "*", "-", ":", "(", ")))", "NEAR(", "NEAR%2F3", "title%3Ajalan", "jalan%20OR",
                          "AND", "%5E", "%2B%2B", "%7B%7D", "jalan%20NOT%20%22", "%27%3B%20DROP%20TABLE%20sd_fts%3B--",
                          "%E2%80%9C", "a*b*c", "%5Bx%5D"}) {
        r = c.get("/data?q=" + q);
        EXPECT_EQ(r.status, 200u) << q;
        auto api = c.get("/api/3/action/package_search?q=" + q);
        EXPECT_EQ(api.status, 200u) << q << api.body;
    }
    // "jalan:panjang" is two words, not a filter on a column named jalan (FTS5 would fail on it).
    EXPECT_NE(c.get("/data?q=jalan%3Apanjang").body.find("Panjang Jalan Kabupaten"), std::string::npos);
    // Invalid UTF-8 and too long text: 400 in the user's language, server still answers.
    r = c.get("/data?q=%FF%FE");
    EXPECT_EQ(r.status, 400u);
    r = c.get("/data?q=" + std::string(4000, 'a'));  // over 200 characters (a 10 KB URL is refused by the server core)
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(c.get("/data?q=" + std::string(10240, 'a')).status, 400u);
    EXPECT_EQ(c.get("/data").status, 200u);
    // Facets on the page: OPD, tag, format, year, region level.
    r = c.get("/data");
    for (const char* key : {"tingkat=", "tahun=", "format=CSV", "opd=", "tag="}) EXPECT_NE(r.body.find(key), std::string::npos) << key;
}

TEST(SatuDataSearch, IndexFollowsEditsTagsAndPublicationInTheSameTransaction) {
    testing::TestApp t;
    testing::Client c(t.app);
    auto count = [&](const std::string& q) {
        return ckan(c, "/api/3/action/package_search?q=" + q, 200u).at("result").at("count").as_int64();
    };
    EXPECT_EQ(count("zebracross"), 0);
    auto id = t.app.db().read([&](core::db::Connection& cn) {
        return *core::db::scalar_int(cn, "SELECT id FROM sd_datasets WHERE slug = 'panjang-jalan-kabupaten-per-kecamatan'");
    });
    testing::Client op(t.app);
    t.sign_in(op, "operator.pupr@demo.gapura.id");
    auto form = op.get("/data-opd/" + std::to_string(id) + "/ubah");
    ASSERT_EQ(form.status, 200u);
    // Edit the title and the tags through the producer's form.
    auto saved = op.post_form("/data-opd/" + std::to_string(id) + "/ubah", "/data-opd/" + std::to_string(id) + "/ubah",
                              "title=Panjang+Jalan+Zebracross&slug=panjang-jalan-kabupaten-per-kecamatan&description=Uji&konsep=Jalan"
                              "&frequency=tahunan&region_level=kecamatan&visibility=public&license_id=CC-BY-4.0&tags=marka%2Czebrakuning"
                              "&period_start=2024&period_end=2024");
    ASSERT_EQ(saved.status, 303u) << saved.body.substr(0, 2000);
    EXPECT_EQ(count("zebracross"), 1);
    EXPECT_EQ(count("zebrakuning"), 1);   // tags are indexed
    EXPECT_EQ(count("infrastruktur"), 0);  // the old tag is gone from the index
    // The index holds exactly one row per dataset.
    EXPECT_EQ(t.app.db().read([&](core::db::Connection& cn) { return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM sd_fts"); }),
              t.app.db().read([&](core::db::Connection& cn) { return *core::db::scalar_int(cn, "SELECT COUNT(*) FROM sd_datasets"); }));
    // Withdrawn: gone from the results (visibility is checked on the dataset, not in the index).
    testing::Client w(t.app);
    t.sign_in(w, "walidata@demo.gapura.id");
    ASSERT_EQ(w.post_form("/walidata", "/walidata/" + std::to_string(id) + "/tarik", "reason=Uji+penarikan").status, 303u);
    EXPECT_EQ(count("zebracross"), 0);
}

TEST(SatuDataSearch, MigrationRebuildsTheIndexForRowsThatExistAlready) {
    testing::TestApp t;
    t.app.db().write([&](core::db::Connection& c) {
        c.exec_script("DROP TRIGGER sd_fts_ai; DROP TRIGGER sd_fts_au; DROP TRIGGER sd_fts_ad; DROP TRIGGER sd_fts_tag_ai;"
                      " DROP TRIGGER sd_fts_tag_ad; DROP TABLE sd_fts;"
                      " DELETE FROM schema_migrations WHERE module = 'satudata' AND version = 3;");
    });
    auto report = core::db::migrate(t.app.db(), {{"satudata", store::migrations()}}, 1);
    EXPECT_EQ(report.applied, 1);
    testing::Client c(t.app);
    auto env = ckan(c, "/api/3/action/package_search?q=sekolah", 200u);
    EXPECT_EQ(names(env), (std::vector<std::string>{"jumlah-sekolah-per-kecamatan"}));
}

TEST(SatuDataSearch, RelevanceRanksTitleMatchesFirstAndFacetsCountTheMatches) {
    testing::TestApp t;
    bulk_load(t, 600);
    testing::Client c(t.app);
    // 600 bulk datasets, 40 topics: "Jumlah Guru" is topic 4, 15 datasets; the word "guru" is in their titles.
    auto env = ckan(c, "/api/3/action/package_search?q=guru&rows=5&facet.field=%5B%22organization%22,%22year%22,%22region_level%22%5D", 200u);
    auto& res = env.at("result").as_object();
    EXPECT_EQ(res.at("count").as_int64(), 15);
    EXPECT_EQ(res.at("results").as_array().size(), 5u);
    for (const auto& n : names(env)) EXPECT_NE(n.find("jumlah-guru"), std::string::npos) << n;
    std::int64_t sum = 0;
    for (const auto& kv : res.at("facets").at("region_level").as_object()) sum += kv.value().as_int64();
    EXPECT_EQ(sum, 15);
    EXPECT_EQ(res.at("search_facets").at("year").at("items").as_array().size(),
              res.at("facets").at("year").as_object().size());
    EXPECT_FALSE(res.at("facets").as_object().contains("tags"));  // only what was asked
    // A title match outranks a match in the description only ("tuban" is in every bulk description
    // and in no bulk title; "guru tuban" ranks the guru titles first).
    env = ckan(c, "/api/3/action/package_search?q=guru%20tuban&rows=3", 200u);
    for (const auto& n : names(env)) EXPECT_NE(n.find("jumlah-guru"), std::string::npos) << n;
    // facet.limit and the rows cap.
    env = ckan(c, "/api/3/action/package_search?facet.field=%5B%22tags%22%5D&facet.limit=3&rows=0", 200u);
    EXPECT_EQ(env.at("result").at("facets").at("tags").as_object().size(), 3u);
    EXPECT_EQ(env.at("result").at("results").as_array().size(), 0u);
    env = ckan(c, "/api/3/action/package_search?facet.field=%5B%22tags%22%5D&facet.limit=-1&rows=0", 200u);
    EXPECT_GT(env.at("result").at("facets").at("tags").as_object().size(), 20u);  // 40 topic tags share names: > 3, < all
    env = ckan(c, "/api/3/action/package_search?rows=100000", 200u);
    EXPECT_EQ(env.at("result").at("results").as_array().size(), 603u);  // under the 1000 cap: all 600 + 3 demo
    // Paging by start: no overlap, no gap.
    auto a = names(ckan(c, "/api/3/action/package_search?q=guru&rows=8&start=0", 200u));
    auto b = names(ckan(c, "/api/3/action/package_search?q=guru&rows=8&start=8", 200u));
    EXPECT_EQ(a.size(), 8u);
    EXPECT_EQ(b.size(), 7u);
    for (const auto& x : b) EXPECT_EQ(std::find(a.begin(), a.end(), x), a.end());
}

// The public index answers exactly as the SQL search: same count, facets and page (ids, in order).
std::string describe(const SearchResult& r) {
    std::string s = "count=" + std::to_string(r.count) + "\n";
    for (const auto& [field, list] : r.facets) {
        s += field + ":";
        for (const auto& [k, n] : list) s += " " + k + "=" + std::to_string(n);
        s += "\n";
    }
    for (const auto& d : r.results) s += d.slug + "|" + d.title + "|" + std::to_string(d.tags.size()) + "\n";
    return s;
}

std::vector<SearchQuery> probe_queries() {
    std::vector<SearchQuery> out;
    auto add = [&](SearchQuery q) { out.push_back(std::move(q)); };
    const std::vector<std::string> sorts = {"score desc, metadata_modified desc", "metadata_modified desc", "metadata_modified asc",
                                            "title_string asc", "title desc", "name asc", "name desc",
                                            "metadata_created desc", "metadata_created asc", "relevance asc"};
    for (const std::string text : {"", "jumlah pendu", "guru", "guru tuban", "zebra", "sekolah", "tidakada"})
        for (const auto& sort : sorts)
            for (int start : {0, 7}) {
                SearchQuery q;
                q.q = text;
                q.sort = sort;
                q.start = start;
                q.rows = 9;
                add(q);
            }
    // Words the in-memory copy of the index must match and rank exactly as FTS5 (whole result
    // lists, so every tie is compared): ASCII words split by punctuation, repeated words, short
    // prefixes, digits, words matching nothing; and words it must hand to FTS5 (non-ASCII).
    for (const std::string text : {"covid-19", "e-ktp", "E-KTP covid", "jumlah jumlah", "jumlah jumlah jumlah", "pen", "p", "j",
                                   "2020", "tuban 2019", "jum pendu", "kab. tuban", "zebra zebra", "data jumlah tuban",
                                   "xyzzy pendu", "pendu xyzzy", "penduduk\"", "  ", "title:jalan OR", "café", "pendudük",
                                   "Kab. Tuban—Jawa", "\xC3", "jumlah \xF0\x9F\x98\x80", "desa"})
        for (const std::string sort : {"", "metadata_modified desc", "title_string asc"}) {
            SearchQuery q;
            q.q = text;
            q.sort = sort;
            q.rows = 1000;
            add(q);
        }
    SearchQuery f;
    f.q = "jumlah";
    f.year = 2020;
    add(f);
    f.level = "kecamatan";
    add(f);
    f.tags = {"pendidikan"};
    add(f);
    f = {};
    f.opd = "disdukcapil";
    add(f);
    f.opd = "tidak-ada";
    add(f);
    f = {};
    f.format = "csv";
    f.facet_limit = 1;
    add(f);
    f.format = "XLS";
    add(f);
    f = {};
    f.tags = {"tag-yang-tidak-ada"};
    add(f);
    f = {};
    f.q = "jumlah";
    f.facet_limit = -1;
    f.rows = 0;
    add(f);
    f.facet_fields = {"tags", "res_format"};
    f.facet_limit = 0;
    add(f);
    return out;
}

void expect_index_matches_sql(testing::TestApp& t, store::PublicIndex& index, const Viewer& viewer, const char* when) {
    const auto now = t.clock.now();
    for (const auto& q : probe_queries())
        for (bool facets : {true, false}) {
            auto want = t.app.db().read([&](core::db::Connection& c) { return store::search(c, viewer, q, now, facets); });
            auto got = t.app.db().read([&](core::db::Connection& c) { return store::search(c, viewer, q, now, facets, &index); });
            EXPECT_EQ(describe(got), describe(want)) << when << ": q='" << q.q << "' sort='" << q.sort << "' start=" << q.start
                                                     << " facets=" << facets;
        }
}

TEST(SatuDataSearch, PublicIndexAnswersExactlyAsSqlAndFollowsEveryChange) {
    testing::TestApp t;
    bulk_load(t, 300);
    store::PublicIndex index;
    const Viewer anon;
    expect_index_matches_sql(t, index, anon, "after the bulk load");
    EXPECT_EQ(index.rebuilds(), 1u);  // one snapshot for every search while nothing changes
    auto exec = [&](const std::string& sql) { t.app.db().write([&](core::db::Connection& c) { c.exec_script(sql); }); };
    auto id_of = [&](const std::string& slug) {
        return t.app.db().read([&](core::db::Connection& c) {
            return *core::db::scalar_int(c, "SELECT id FROM sd_datasets WHERE slug = ?", {slug});
        });
    };
    const auto pend = std::to_string(id_of("jumlah-penduduk-per-kecamatan"));
    const auto last = std::to_string(t.app.db().read([&](core::db::Connection& c) {
        return *core::db::scalar_int(c, "SELECT MAX(id) FROM sd_datasets");  // a bulk dataset: nothing else refers to it
    }));
    // Every kind of change to what the index copies, each followed by the same answers as the SQL.
    const std::vector<std::pair<const char*, std::string>> changes = {
        {"title edit", "UPDATE sd_datasets SET title = 'Zebra Penduduk', updated_at = updated_at + 5 WHERE id = " + pend},
        {"year and level edit", "UPDATE sd_datasets SET year = 1999, region_level = 'desa' WHERE id = " + pend},
        {"tags replaced", "DELETE FROM sd_tags WHERE dataset_id = " + pend + "; INSERT INTO sd_tags (dataset_id, tag) VALUES (" + pend +
                              ", 'zebra-baru')"},
        {"made internal", "UPDATE sd_datasets SET visibility = 'internal' WHERE id = " + pend},
        {"public again", "UPDATE sd_datasets SET visibility = 'public' WHERE id = " + pend},
        {"restricted", "UPDATE sd_datasets SET visibility = 'restricted' WHERE id IN (SELECT id FROM sd_datasets ORDER BY id LIMIT 3 OFFSET 10)"},
        {"withdrawn", "UPDATE sd_datasets SET state = 'withdrawn' WHERE id IN (SELECT id FROM sd_datasets ORDER BY id LIMIT 5 OFFSET 20)"},
        {"unpublished", "UPDATE sd_datasets SET published_version_id = NULL WHERE id IN (SELECT id FROM sd_datasets ORDER BY id LIMIT 4 OFFSET 40)"},
        {"OPD slug renamed", "UPDATE opds SET slug = 'disdukcapil-baru' WHERE slug = 'disdukcapil'"},
        {"deleted", "UPDATE sd_datasets SET published_version_id = NULL WHERE id = " + last + "; DELETE FROM sd_versions WHERE"
                    " dataset_id = " + last + "; DELETE FROM sd_tags WHERE dataset_id = " + last + "; DELETE FROM sd_datasets WHERE id = " + last},
    };
    for (const auto& [what, sql] : changes) {
        const auto before = index.rebuilds();
        exec(sql);
        expect_index_matches_sql(t, index, anon, what);
        EXPECT_EQ(index.rebuilds(), before + 1) << what;
    }
    // The rename is seen by the facet and the filter.
    SearchQuery q;
    q.opd = "disdukcapil-baru";
    auto r = t.app.db().read([&](core::db::Connection& c) { return store::search(c, anon, q, t.clock.now(), true, &index); });
    EXPECT_GT(r.count, 0);
    ASSERT_TRUE(r.facets.count("organization"));
    EXPECT_EQ(r.facets.at("organization").front().first, "disdukcapil-baru");
}

// With a Database, the index is rebuilt off the request path: a search that finds the snapshot
// older than what it reads only asks for a build (one at a time) and is answered by SQL, exactly;
// the build runs on the index's runner, and the searches after it use the new snapshot.
TEST(SatuDataSearch, IndexRebuildsOffTheRequestPathAndSearchesInTheGapAreExact) {
    testing::TestApp t;
    bulk_load(t, 300);
    std::vector<std::function<void()>> jobs;  // builds handed over, run when this test says
    store::PublicIndex index(t.app.db(), [&](std::function<void()> job) { jobs.push_back(std::move(job)); });
    ASSERT_TRUE(index.background());
    const Viewer anon;
    const auto now = t.clock.now();
    SearchQuery q;
    q.q = "jumlah pendu";
    auto search = [&] { return t.app.db().read([&](core::db::Connection& c) { return store::search(c, anon, q, now, true, &index); }); };
    auto gen = [&] { return *t.app.db().read([&](core::db::Connection& c) { return core::db::scalar_int(c, "SELECT n FROM sd_search_gen"); }); };
    auto run_jobs = [&] {
        auto todo = std::move(jobs);
        jobs.clear();
        for (auto& j : todo) j();
        return todo.size();
    };
    // No snapshot yet: every search is answered by SQL (index_gen -1), exactly; one build asked for.
    expect_index_matches_sql(t, index, anon, "before the first build");
    EXPECT_EQ(search().index_gen, -1);
    EXPECT_EQ(index.rebuilds(), 0u);
    EXPECT_EQ(jobs.size(), 1u);
    EXPECT_EQ(run_jobs(), 1u);
    EXPECT_EQ(index.rebuilds(), 1u);
    EXPECT_EQ(search().index_gen, gen());  // from the index now
    expect_index_matches_sql(t, index, anon, "after the first build");
    EXPECT_TRUE(jobs.empty());
    EXPECT_EQ(index.rebuilds(), 1u);
    // A committed write: the next searches show it at once (SQL), none of them builds.
    auto exec = [&](const std::string& sql) { t.app.db().write([&](core::db::Connection& c) { c.exec_script(sql); }); };
    exec("UPDATE sd_datasets SET title = 'Jumlah Penduduk Zebra', updated_at = updated_at + 5 WHERE slug = 'jumlah-penduduk-per-kecamatan'");
    auto r = search();
    EXPECT_EQ(r.index_gen, -1);
    SearchQuery zebra;
    zebra.q = "zebr";
    auto z = t.app.db().read([&](core::db::Connection& c) { return store::search(c, anon, zebra, now, true, &index); });
    EXPECT_EQ(z.index_gen, -1);
    ASSERT_EQ(z.count, 1);
    EXPECT_EQ(z.results.at(0).title, "Jumlah Penduduk Zebra");
    expect_index_matches_sql(t, index, anon, "after a title edit, before the build");
    EXPECT_EQ(index.rebuilds(), 1u);
    EXPECT_EQ(jobs.size(), 1u);
    // Another write before the build ran: still one build, and it builds the newest state.
    exec("UPDATE sd_datasets SET visibility = 'internal' WHERE slug = 'jumlah-penduduk-per-kecamatan'");
    r = search();
    EXPECT_EQ(r.index_gen, -1);
    for (const auto& d : r.results) EXPECT_NE(d.slug, "jumlah-penduduk-per-kecamatan");
    EXPECT_EQ(jobs.size(), 1u);
    EXPECT_EQ(run_jobs(), 1u);
    EXPECT_EQ(index.rebuilds(), 2u);
    EXPECT_TRUE(jobs.empty());
    r = search();
    EXPECT_EQ(r.index_gen, gen());
    for (const auto& d : r.results) EXPECT_NE(d.slug, "jumlah-penduduk-per-kecamatan");
    expect_index_matches_sql(t, index, anon, "after the second build");
    // A write, a search (SQL; a build asked for), another write before the build runs: the build
    // reads the state after both, and the searches use it.
    exec("UPDATE sd_datasets SET visibility = 'public' WHERE slug = 'jumlah-penduduk-per-kecamatan'");
    EXPECT_EQ(search().index_gen, -1);
    exec("UPDATE sd_datasets SET year = 1999 WHERE slug = 'jumlah-penduduk-per-kecamatan'");
    EXPECT_EQ(run_jobs(), 1u);  // builds the state after both writes
    EXPECT_EQ(search().index_gen, gen());
    EXPECT_EQ(index.rebuilds(), 3u);
    expect_index_matches_sql(t, index, anon, "after public again and a year edit");

    // The index's own thread: the first search is answered by SQL, the build follows.
    store::PublicIndex own(t.app.db());
    auto first = t.app.db().read([&](core::db::Connection& c) { return store::search(c, anon, q, now, true, &own); });
    EXPECT_EQ(first.index_gen, -1);
    own.wait_idle();
    EXPECT_EQ(own.rebuilds(), 1u);
    auto next = t.app.db().read([&](core::db::Connection& c) { return store::search(c, anon, q, now, true, &own); });
    EXPECT_EQ(next.index_gen, gen());
    EXPECT_EQ(describe(next), describe(first));
}

// The in-memory match and bm25 give FTS5's own rank, bit for bit, for every public match.
void expect_ranks_are_fts5s(testing::TestApp& t, store::PublicIndex& index, const std::string& text, bool in_memory) {
    t.app.db().read([&](core::db::Connection& c) {
        core::db::exec(c, "BEGIN");
        auto snap = index.get(c);
        auto got = store::PublicIndex::ranked(*snap, text);
        std::vector<std::pair<std::int64_t, double>> want;
        const auto match = store::fts_query(text);
        if (!match.empty()) {
            core::db::Query q(c, "SELECT rowid, rank FROM sd_fts WHERE sd_fts MATCH ? ORDER BY rowid", {match});
            while (q.next())
                if (snap->at.count(q.integer(0))) want.emplace_back(q.integer(0), q.real(1));
        }
        core::db::exec(c, "COMMIT");
        ASSERT_EQ(got.has_value(), in_memory) << text;
        if (!got) return;
        ASSERT_EQ(got->size(), want.size()) << text;
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ((*got)[i].first, want[i].first) << text;
            EXPECT_EQ((*got)[i].second, want[i].second) << text << " id " << want[i].first;  // exact, not near
        }
    });
}

TEST(SatuDataSearch, InMemoryMatchAndBm25AreFts5sBitForBit) {
    testing::TestApp t;
    bulk_load(t, 300);
    // Words that the tokenizer splits or folds, in documents of every column.
    t.app.db().write([&](core::db::Connection& c) {
        c.exec_script(
            "UPDATE sd_datasets SET title = 'Kasus COVID-19 per Desa', konsep = 'e-KTP' WHERE id IN (SELECT id FROM sd_datasets"
            " ORDER BY id LIMIT 7 OFFSET 30);"
            "UPDATE sd_datasets SET description = 'Pendudük Café covid19 e-ktp e-ktp e-ktp' WHERE id IN (SELECT id FROM sd_datasets"
            " ORDER BY id LIMIT 5 OFFSET 50);"
            "INSERT INTO sd_tags (dataset_id, tag) SELECT id, 'covid-19' FROM sd_datasets ORDER BY id LIMIT 4 OFFSET 33;"
            "UPDATE sd_datasets SET visibility = 'internal' WHERE id IN (SELECT id FROM sd_datasets ORDER BY id LIMIT 2 OFFSET 31);");
    });
    store::PublicIndex index;
    for (const std::string text : {"jumlah pendu", "covid-19", "covid", "covid19", "e-ktp", "e ktp ktp", "ktp", "penduduk", "cafe",
                                   "guru tuban", "jumlah jumlah", "j", "pe", "pen", "2020", "tuban", "data", "xyzzy", "tuban xyzzy",
                                   "disdukcapil", "kependudukan", "per desa", "a b c d e f g h i j k l m n o p q"})
        for (int asked = 0; asked < 2; ++asked)  // the second time a prefix's merged postings are the kept ones
            expect_ranks_are_fts5s(t, index, text, true);
    // Not for the in-memory copy: nothing to match, or words with non-ASCII bytes.
    for (const std::string text : {"", "  -- ", "café", "pendudük", "Kab. Tuban—Jawa", "\xC3\xA9", "jumlah \xF0\x9F\x98\x80"})
        expect_ranks_are_fts5s(t, index, text, false);
    EXPECT_EQ(index.rebuilds(), 1u);
    // Every match is a public one with a rank, so the test above compared something.
    auto r = t.app.db().read([&](core::db::Connection& c) {
        core::db::exec(c, "BEGIN");
        auto snap = index.get(c);
        core::db::exec(c, "COMMIT");
        // The multi-term prefixes asked above were merged once and kept with the snapshot.
        {
            std::lock_guard lk(snap->fts.prefixes->m);
            EXPECT_TRUE(snap->fts.prefixes->merged.count("pe"));
            EXPECT_TRUE(snap->fts.prefixes->merged.count("pen"));
            EXPECT_FALSE(snap->fts.prefixes->merged.count("xyzzy"));
        }
        // Common words were intersected by lookup (their weights by doc), the rest by walking.
        EXPECT_FALSE(snap->fts.dense.empty());
        EXPECT_LT(snap->fts.dense.size(), snap->fts.terms.size() * snap->fts.doc_len.size());
        return store::PublicIndex::ranked(*snap, "covid-19");
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 5u);  // 7 titles, 2 made internal
    // The answers built on it are the SQL's (the copy matched and ranked every text above).
    expect_index_matches_sql(t, index, Viewer{}, "after the tricky words");
}

TEST(SatuDataSearch, PrivilegedViewersBypassThePublicIndexAndSeeTheirDatasets) {
    testing::TestApp t;
    bulk_load(t, 60);
    t.app.db().write([&](core::db::Connection& c) {
        c.exec_script("UPDATE sd_datasets SET visibility = 'internal' WHERE id IN (SELECT id FROM sd_datasets ORDER BY id LIMIT 6);"
                      "UPDATE sd_datasets SET visibility = 'restricted' WHERE id IN (SELECT id FROM sd_datasets ORDER BY id LIMIT 4 OFFSET 6)");
    });
    store::PublicIndex index;
    const auto opd = t.app.db().read([&](core::db::Connection& c) {
        return *core::db::scalar_int(c, "SELECT opd_id FROM sd_datasets WHERE visibility = 'restricted' ORDER BY id LIMIT 1");
    });
    Viewer staff, all, own, citizen;
    staff.staff = true;
    staff.opd_id = opd;
    all.all = true;
    own.opd_id = opd;
    citizen.user_id = 42;  // signed in, no office: public only, from the index
    for (const auto* v : {&staff, &all, &own, &citizen}) expect_index_matches_sql(t, index, *v, "viewer");
    // The counts differ by viewer as the rules say: everything > staff of an OPD > the public.
    SearchQuery q;
    auto count = [&](const Viewer& v) {
        return t.app.db().read([&](core::db::Connection& c) { return store::search(c, v, q, t.clock.now(), false, &index).count; });
    };
    const auto published_public = t.app.db().read([&](core::db::Connection& c) {
        return *core::db::scalar_int(c, "SELECT COUNT(*) FROM sd_datasets WHERE published_version_id IS NOT NULL AND"
                                        " state <> 'withdrawn' AND visibility = 'public'");
    });
    EXPECT_EQ(count(citizen), published_public);
    EXPECT_GE(count(all), count(citizen) + 9);  // 10 made non-public, one of them (demo) not published
    EXPECT_GT(count(staff), count(citizen));
    EXPECT_LE(count(staff), count(all));
    // Anonymous package_search over HTTP (the service's own index) hides the 10 non-public datasets.
    testing::Client c(t.app);
    EXPECT_EQ(ckan(c, "/api/3/action/package_search?rows=0", 200u).at("result").at("count").as_int64(), count(citizen));
}

TEST(SatuDataCkan, ErrorsAreCkanShapedWithCorsAndTheServerKeepsAnswering) {
    testing::TestApp t;
    testing::Client c(t.app);
    auto err = [&](const std::string& target, unsigned status, const std::string& type) {
        auto env = ckan(c, target, status);
        EXPECT_FALSE(env.at("success").as_bool()) << target.substr(0, 200);
        EXPECT_EQ(env.at("error").at("__type").as_string(), type) << target.substr(0, 200);
        return env;
    };
    auto e = err("/api/3/action/package_search?rows=-1", 409u, "Validation Error");
    EXPECT_TRUE(e.at("error").as_object().contains("rows"));
    err("/api/3/action/package_search?rows=abc", 409u, "Validation Error");
    err("/api/3/action/package_search?rows=1e3", 409u, "Validation Error");
    e = err("/api/3/action/package_search?start=-5", 409u, "Validation Error");
    EXPECT_TRUE(e.at("error").as_object().contains("start"));
    err("/api/3/action/package_search?sort=frobnicate%20asc", 400u, "Search Query Error");
    err("/api/3/action/package_search?sort=title%3B%20DROP%20TABLE%20x", 400u, "Search Query Error");
    err("/api/3/action/package_search?fq=bogus:1", 400u, "Search Query Error");
    err("/api/3/action/package_search?fq=organization:%22unclosed", 400u, "Search Query Error");
    err("/api/3/action/package_search?fq=)))(", 400u, "Search Query Error");
    err("/api/3/action/package_search?fq=year:abc", 400u, "Search Query Error");
    err("/api/3/action/package_search?facet.field=%7B%7D", 409u, "Validation Error");
    err("/api/3/action/package_search?facet.limit=x", 409u, "Validation Error");
    e = err("/api/3/action/package_search?q=" + std::string(4000, 'x'), 409u, "Validation Error");
    EXPECT_TRUE(e.at("error").as_object().contains("q"));
    // Invalid UTF-8 in a query string is refused by the server core (400) before the action runs;
    // in a JSON body, by the JSON parser (400 Bad Request) or, for an escaped lone surrogate, here (409).
    EXPECT_EQ(c.get("/api/3/action/package_search?q=%C3%28").status, 400u);
    EXPECT_EQ(c.get("/api/3/action/package_show?id=%FF").status, 400u);
    for (const char* body : {"{\"q\":\"\\ud800\"}", "{\"id\":\"\\udfff x\"}", "{\"\\ud800\":1}"}) {
        auto r = c.api(Method::post, "/api/3/action/package_search", body);
        EXPECT_TRUE(r.status == 400u || r.status == 409u) << body << " " << r.status;
        EXPECT_FALSE(json::parse(r.body).at("success").as_bool()) << body;
    }
    // organization_list: a bad offset names offset, a bad limit names limit.
    e = err("/api/3/action/organization_list?offset=-1", 409u, "Validation Error");
    EXPECT_TRUE(e.at("error").as_object().contains("offset"));
    EXPECT_FALSE(e.at("error").as_object().contains("limit"));
    e = err("/api/3/action/organization_list?limit=zz", 409u, "Validation Error");
    EXPECT_TRUE(e.at("error").as_object().contains("limit"));
    // Invalid JSON in a POST: 400 Bad Request (CKAN), not a Validation Error; invalid UTF-8 in JSON too.
    for (const std::string& body : std::vector<std::string>{"{", "[1,2]", "\"q\"", "{\"q\":\"a\xff\"}",
                                                            std::string("{\"q\":\"") + std::string(300000, 'a') + "\"}"}) {
        auto r = c.api(Method::post, "/api/3/action/package_search", body);
        if (body.size() > 256 * 1024) {  // over the route's body limit: 413 from the server's reader, else q too long
            EXPECT_TRUE(r.status == 413u || r.status == 409u) << r.status;
            continue;
        }
        EXPECT_EQ(r.status, 400u) << body.substr(0, 100);
        auto env = json::parse(r.body).as_object();
        EXPECT_EQ(env.at("error").at("__type").as_string(), "Bad Request") << body.substr(0, 100);
        EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
    }
    auto r = c.api(Method::post, "/api/3/action/package_search", "{\"q\":\"" + std::string(10240, 'y') + "\",\"rows\":1}");
    EXPECT_EQ(r.status, 409u);  // q of 10 KB
    EXPECT_TRUE(json::parse(r.body).at("error").as_object().contains("q"));
    r = c.api(Method::post, "/api/3/action/package_search", "{\"rows\":-1}");
    EXPECT_EQ(r.status, 409u);
    r = c.api(Method::post, "/api/3/action/package_search", "{\"rows\":\"5\",\"q\":\"jalan\"}");
    EXPECT_EQ(r.status, 200u);
    err("/api/3/action/frobnicate", 400u, "Bad Request");
    // Still up.
    EXPECT_EQ(ckan(c, "/api/3/action/package_search?q=jalan", 200u).at("result").at("count").as_int64(), 1);
}

TEST(SatuDataCkan, HelpShowAnswersForEveryImplementedActionAndDefaultsFollowCkan) {
    testing::TestApp t;
    testing::Client c(t.app);
    for (const char* action : {"package_search", "package_show", "package_list", "organization_list", "organization_show",
                               "group_list", "tag_list", "resource_show", "status_show"}) {
        auto env = ckan(c, std::string("/api/3/action/") + action + (std::string(action) == "package_show" ? "?id=nope" : ""),
                        std::string(action) == "package_show" ? 404u : (std::string(action) == "organization_show" ||
                                                                         std::string(action) == "resource_show")
                                                                            ? 409u
                                                                            : 200u);
        std::string help(env.at("help").as_string());
        auto path = help.substr(help.find("/api/3/action/"));
        auto h = ckan(c, path, 200u);  // the link works
        EXPECT_TRUE(h.at("success").as_bool()) << path;
        EXPECT_FALSE(h.at("result").as_string().empty()) << path;
    }
    auto nf = ckan(c, "/api/3/action/help_show?name=package_create", 404u);
    EXPECT_EQ(nf.at("error").at("__type").as_string(), "Not Found Error");
    EXPECT_EQ(ckan(c, "/api/3/action/help_show", 409u).at("error").at("__type").as_string(), "Validation Error");
    // package_search without facet.field: no facets (CKAN); rows default 10.
    auto env = ckan(c, "/api/3/action/package_search", 200u);
    EXPECT_TRUE(env.at("result").at("facets").as_object().empty());
    EXPECT_TRUE(env.at("result").at("search_facets").as_object().empty());
    EXPECT_EQ(env.at("result").at("sort").as_string(), "score desc, metadata_modified desc");
}

// package_search answered from the public index splices package dicts kept per index generation
// and language: each is the very dict package_show gives, in the asker's language, after writes too.
TEST(SatuDataCkan, PackageSearchDictsAreThoseOfPackageShowInEachLanguageAndAfterWrites) {
    testing::TestApp t;
    bulk_load(t, 40);
    testing::Client c(t.app);
    int n = 0;
    auto check = [&](const std::string& lang) {
        const auto url = "/api/3/action/package_search?q=jumlah&rows=50&facet.field=%5B%22tags%22%5D&u=" + std::to_string(n++);
        auto r = c.get(url, {{"Accept-Language", lang}});
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
        auto env = json::parse(r.body).as_object();
        EXPECT_TRUE(env.at("success").as_bool());
        EXPECT_EQ(std::string(env.at("help").as_string()).find("/api/3/action/help_show?name=package_search") != std::string::npos, true);
        const auto& res = env.at("result").as_object();
        EXPECT_GT(res.at("count").as_int64(), 6);
        EXPECT_EQ(res.at("sort").as_string(), "score desc, metadata_modified desc");
        EXPECT_FALSE(res.at("facets").at("tags").as_object().empty());
        EXPECT_FALSE(res.at("search_facets").at("tags").at("items").as_array().empty());
        const auto& results = res.at("results").as_array();
        EXPECT_EQ(static_cast<std::int64_t>(results.size()), res.at("count").as_int64());  // all of them
        for (const auto& p : results) {
            auto show = c.get("/api/3/action/package_show?id=" + std::string(p.at("name").as_string()) + "&u=" + std::to_string(n++),
                              {{"Accept-Language", lang}});
            EXPECT_EQ(p, json::parse(show.body).at("result")) << lang << " " << p.at("name").as_string();
        }
        return json::value(results);
    };
    auto id1 = check("id"), en1 = check("en");
    EXPECT_EQ(check("id"), id1);  // from the kept dicts
    EXPECT_EQ(check("en"), en1);
    EXPECT_NE(id1.at(0).at("resources").at(0).at("description"), en1.at(0).at("resources").at(0).at("description"));
    // A write the JSON shows: the next answer has it.
    const std::string name(id1.at(0).at("name").as_string());
    t.app.db().write([&](core::db::Connection& cn) {
        core::db::exec(cn, "UPDATE sd_datasets SET title = title || ' (revisi)' WHERE slug = ?", {name});
        core::db::exec(cn, "UPDATE opds SET name = name || ' Baru' WHERE id = (SELECT opd_id FROM sd_datasets WHERE slug = ?)", {name});
    });
    auto id2 = check("id");
    bool seen = false;
    for (const auto& p : id2.as_array())
        if (p.at("name").as_string() == name) {
            seen = true;
            EXPECT_NE(std::string(p.at("title").as_string()).find("(revisi)"), std::string::npos);
            EXPECT_NE(std::string(p.at("author").as_string()).find(" Baru"), std::string::npos);
        }
    EXPECT_TRUE(seen);
    // Facets written without JSON objects: a field asked twice is one key, hostile names are
    // escaped, counts and order as before (by count, then name; limit and mincount applied).
    auto env = ckan(c, "/api/3/action/package_search?q=jumlah&rows=0&facet.limit=2&facet.field=" +
                           util::percent_encode("[\"tags\",\"year\",\"tags\",\"x\\\"y\\u00e9\"]"),
                    200u);
    const auto& facets = env.at("result").at("facets").as_object();
    const auto& sf = env.at("result").at("search_facets").as_object();
    ASSERT_EQ(facets.size(), 3u);
    EXPECT_EQ(facets.begin()->key(), "tags");
    EXPECT_EQ((facets.begin() + 1)->key(), "year");
    EXPECT_EQ((facets.begin() + 2)->key(), "x\"y\u00e9");
    EXPECT_TRUE(facets.at("x\"y\u00e9").as_object().empty());
    EXPECT_TRUE(sf.at("x\"y\u00e9").at("items").as_array().empty());
    EXPECT_EQ(sf.at("x\"y\u00e9").at("title").as_string(), "x\"y\u00e9");
    ASSERT_EQ(facets.at("tags").as_object().size(), 2u);
    const auto& items = sf.at("tags").at("items").as_array();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_GE(items.at(0).at("count").as_int64(), items.at(1).at("count").as_int64());
    for (const auto& i : items) {
        EXPECT_EQ(i.at("name"), i.at("display_name"));
        EXPECT_EQ(facets.at("tags").at(i.at("name").as_string()), i.at("count"));
    }
}

// A page whose dicts are all kept for the generation is answered without reading its rows: the
// same bytes as from the rows, and package_show's dicts, after every kind of write the JSON shows.
TEST(SatuDataCkan, PackageSearchPagesFromKeptDictsFollowEveryKindOfWrite) {
    testing::TestApp t;
    bulk_load(t, 60);
    testing::Client c(t.app);
    int n = 0;
    // One answer (a new URL each time, so never the page cache's), checked against package_show.
    auto answer = [&](const std::string& query, const std::string& lang) {
        auto r = c.get("/api/3/action/package_search?" + query + "&u=" + std::to_string(n++), {{"Accept-Language", lang}});
        EXPECT_EQ(r.status, 200u) << query;
        auto env = json::parse(r.body).as_object();
        const auto& results = env.at("result").at("results").as_array();
        for (const auto& p : results) {
            auto show = c.get("/api/3/action/package_show?id=" + std::string(p.at("id").as_string()) + "&u=" + std::to_string(n++),
                              {{"Accept-Language", lang}});
            EXPECT_EQ(p, json::parse(show.body).at("result")) << query << " " << lang << " " << p.at("name").as_string();
        }
        return json::value(results);
    };
    const std::vector<std::string> queries = {"q=jumlah&rows=20", "rows=15&sort=metadata_modified%20desc",
                                              "q=pen&rows=5&start=2", "rows=7&sort=name%20asc&fq=tags:kependudukan"};
    auto all = [&](const char* what) {
        for (const auto& q : queries)
            for (const char* lang : {"id", "en"}) {
                auto rows_read = answer(q, lang);  // the first after a write: rows read, dicts kept
                auto kept = answer(q, lang);       // the same page again: from the kept dicts
                EXPECT_EQ(kept, rows_read) << what << " " << q << " " << lang;
                EXPECT_FALSE(kept.as_array().empty()) << what << " " << q;
            }
    };
    all("after the bulk load");
    auto exec = [&](const std::string& sql) { t.app.db().write([&](core::db::Connection& cn) { cn.exec_script(sql); }); };
    const auto pend = std::to_string(t.app.db().read([&](core::db::Connection& cn) {
        return *core::db::scalar_int(cn, "SELECT id FROM sd_datasets WHERE slug = 'jumlah-penduduk-per-kecamatan'");
    }));
    const std::vector<std::pair<const char*, std::string>> changes = {
        {"title edit", "UPDATE sd_datasets SET title = title || ' Revisi', updated_at = updated_at + 5 WHERE id = " + pend},
        {"notes and contact edit", "UPDATE sd_datasets SET description = 'Baru', contact_email = 'x@y.id' WHERE id = " + pend},
        {"tags replaced", "DELETE FROM sd_tags WHERE dataset_id = " + pend + "; INSERT INTO sd_tags (dataset_id, tag) VALUES (" + pend +
                              ", 'zebra-baru')"},
        {"OPD renamed", "UPDATE opds SET name = name || ' Baru', slug = 'disdukcapil' WHERE slug = 'disdukcapil'"},
        {"made internal", "UPDATE sd_datasets SET visibility = 'internal' WHERE id = " + pend},
        {"public again", "UPDATE sd_datasets SET visibility = 'public' WHERE id = " + pend},
        {"withdrawn", "UPDATE sd_datasets SET state = 'withdrawn' WHERE id IN (SELECT id FROM sd_datasets ORDER BY id LIMIT 3 OFFSET 5)"},
        {"unpublished", "UPDATE sd_datasets SET published_version_id = NULL WHERE id IN (SELECT id FROM sd_datasets ORDER BY id DESC LIMIT 2)"},
    };
    for (const auto& [what, sql] : changes) {
        const auto before = answer(queries[0], "id");  // dicts kept at the old generation
        exec(sql);
        all(what);
        if (std::string(what) == "title edit" || std::string(what) == "OPD renamed") {
            EXPECT_NE(answer(queries[0], "id"), before) << what;  // the kept dicts of before are not shown
        }
    }
    // The hook sees the generation of the search's own read transaction and the page's ids, in order.
    store::PublicIndex index;
    SearchQuery q;
    q.q = "jumlah";
    q.sort = "score desc, metadata_modified desc";
    q.rows = 12;
    auto sql = t.app.db().read([&](core::db::Connection& cn) { return store::search(cn, Viewer{}, q, t.clock.now(), false, &index); });
    ASSERT_EQ(sql.results.size(), 12u);
    ASSERT_EQ(sql.page_ids.size(), 12u);
    for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(sql.page_ids[i], sql.results[i].id);
    std::int64_t seen_gen = -2;
    q.page_known = [&](std::int64_t gen, const std::vector<std::int64_t>& ids) {
        seen_gen = gen;
        EXPECT_EQ(ids, sql.page_ids);
        return true;
    };
    auto kept = t.app.db().read([&](core::db::Connection& cn) { return store::search(cn, Viewer{}, q, t.clock.now(), false, &index); });
    EXPECT_EQ(seen_gen, sql.index_gen);
    EXPECT_TRUE(kept.page_from_caller);
    EXPECT_TRUE(kept.results.empty());
    EXPECT_EQ(kept.page_ids, sql.page_ids);
    EXPECT_EQ(kept.count, sql.count);
    q.page_known = [](std::int64_t, const std::vector<std::int64_t>&) { return false; };  // rows read as before
    auto read = t.app.db().read([&](core::db::Connection& cn) { return store::search(cn, Viewer{}, q, t.clock.now(), false, &index); });
    EXPECT_FALSE(read.page_from_caller);
    ASSERT_EQ(read.results.size(), 12u);
    for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(read.results[i].id, sql.results[i].id);
}

TEST(SatuDataCkan, AnonymousReadsAreCachedAndAWriteClearsThem) {
    testing::TestApp t;
    testing::Client c(t.app);
    const std::string url = "/api/3/action/package_search?q=jalan&facet.field=%5B%22organization%22%5D";
    auto first = c.get(url);
    EXPECT_FALSE(first.fast);
    auto second = c.get(url);  // a URL is kept from its second answer on (one-off URLs are not copied in)
    EXPECT_FALSE(second.fast);
    EXPECT_EQ(second.body, first.body);
    auto again = c.get(url);
    EXPECT_TRUE(again.fast);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.header("Access-Control-Allow-Origin"), "*");
    EXPECT_FALSE(c.get(url, {{"X-CKAN-API-Key", "nonsense"}}).fast);  // a key is never answered from the cache
    // Errors are not cached.
    c.get("/api/3/action/package_search?rows=-1");
    EXPECT_FALSE(c.get("/api/3/action/package_search?rows=-1").fast);
    // /data too, with its Link header.
    c.get("/data?q=jalan");
    EXPECT_FALSE(c.get("/data?q=jalan").fast);
    auto page = c.get("/data?q=jalan");
    EXPECT_TRUE(page.fast);
    EXPECT_NE(page.header(core::http::bhttp::field::link).find("catalog.jsonld"), std::string::npos);
    // Signed-in visitors are never served from the cache.
    testing::Client w(t.app);
    t.sign_in(w, "walidata@demo.gapura.id");
    EXPECT_FALSE(w.get(url).fast);
    // Withdrawing the dataset clears the cache: the next anonymous read sees it gone.
    auto id = t.app.db().read([&](core::db::Connection& cn) {
        return *core::db::scalar_int(cn, "SELECT id FROM sd_datasets WHERE slug = 'panjang-jalan-kabupaten-per-kecamatan'");
    });
    ASSERT_EQ(w.post_form("/walidata", "/walidata/" + std::to_string(id) + "/tarik", "reason=Uji").status, 303u);
    auto after = c.get(url);
    EXPECT_FALSE(after.fast);
    EXPECT_EQ(json::parse(after.body).at("result").at("count").as_int64(), 0);
}

TEST(SatuDataDcat, NodeReferencesNoEmptyEmailAndHydraPaging) {
    testing::TestApp t;
    bulk_load(t, 600);
    testing::Client c(t.app);
    auto r = c.get("/catalog.jsonld");
    ASSERT_EQ(r.status, 200u);
    auto cat = json::parse(r.body).as_object();
    EXPECT_EQ(cat.at("hydra:totalItems").as_int64(), 603);
    auto& ds = cat.at("dcat:dataset").as_array();
    EXPECT_EQ(ds.size(), 500u);
    std::size_t with_email = 0, without = 0;
    for (const auto& d : ds) {
        auto& o = d.as_object();
        EXPECT_TRUE(o.at("dcat:landingPage").is_object());
        EXPECT_TRUE(o.at("dcat:landingPage").as_object().contains("@id"));
        EXPECT_TRUE(o.at("dct:license").at("@id").is_string());
        for (const auto& dist : o.at("dcat:distribution").as_array()) {
            EXPECT_EQ(std::string(dist.at("dcat:downloadURL").at("@id").as_string()).rfind("http", 0), 0u);
            EXPECT_TRUE(dist.at("dcat:accessURL").is_object());
        }
        auto& cp = o.at("dcat:contactPoint").as_object();
        if (auto it = cp.find("vcard:hasEmail"); it != cp.end()) {
            ++with_email;
            EXPECT_EQ(std::string(it->value().at("@id").as_string()).rfind("mailto:", 0), 0u);
            EXPECT_GT(it->value().at("@id").as_string().size(), 7u);
        } else {
            ++without;
        }
    }
    EXPECT_GT(with_email, 0u);
    EXPECT_GT(without, 0u);  // one bulk dataset in three has no contact email: the key is left out
    auto& view = cat.at("hydra:view").as_object();
    EXPECT_NE(view.at("hydra:next").as_string().find("page=2"), std::string::npos);
    EXPECT_FALSE(view.contains("hydra:previous"));
    auto p2 = json::parse(c.get("/catalog.jsonld?page=2").body).as_object();
    EXPECT_EQ(p2.at("dcat:dataset").as_array().size(), 103u);
    EXPECT_FALSE(p2.at("hydra:view").as_object().contains("hydra:next"));
    // Together the pages hold every public dataset once.
    std::set<std::string> ids;
    for (const auto* page : {&cat, &p2})
        for (const auto& d : page->at("dcat:dataset").as_array()) ids.insert(std::string(d.at("@id").as_string()));
    EXPECT_EQ(ids.size(), 603u);
    for (const std::string bad : {"0", "-1", "abc", "1e2", "99999999999999999999", "%FF"}) EXPECT_EQ(c.get("/catalog.jsonld?page=" + bad).status, 400u) << bad;
    EXPECT_EQ(c.get("/catalog.jsonld?page=3").status, 404u);
    EXPECT_EQ(c.get("/catalog.jsonld").status, 200u);
}

}  // namespace
}  // namespace gapura::modules::satudata
