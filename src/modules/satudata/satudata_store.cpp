#include "modules/satudata/satudata_store.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util/strings.hpp"

namespace gapura::modules::satudata::store {

namespace db = core::db;

std::vector<db::Migration> migrations() {
    return {
        {1, "datasets",
         "CREATE TABLE sd_datasets ("
         " id {{id}}, slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL, description TEXT NOT NULL,"
         " konsep TEXT NOT NULL, definisi TEXT NOT NULL, klasifikasi TEXT NOT NULL, ukuran TEXT NOT NULL,"
         " satuan TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL, year INTEGER NOT NULL,"
         " frequency TEXT NOT NULL, region_level TEXT NOT NULL, license_id TEXT NOT NULL,"
         " contact_name TEXT NOT NULL, contact_email TEXT NOT NULL,"
         " opd_id BIGINT NOT NULL REFERENCES opds (id), visibility TEXT NOT NULL, state TEXT NOT NULL,"
         " return_notes TEXT NOT NULL DEFAULT '', withdraw_reason TEXT NOT NULL DEFAULT '',"
         " search_text TEXT NOT NULL, last_report TEXT NOT NULL DEFAULT '',"
         " created_by BIGINT NOT NULL REFERENCES users (id), created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
         " submitted_at BIGINT, published_at BIGINT, published_version_id BIGINT);"
         "CREATE INDEX sd_datasets_opd ON sd_datasets (opd_id, state);"
         "CREATE INDEX sd_datasets_state ON sd_datasets (state, updated_at);"
         "CREATE TABLE sd_tags (dataset_id BIGINT NOT NULL REFERENCES sd_datasets (id), tag TEXT NOT NULL,"
         " PRIMARY KEY (dataset_id, tag));"
         "CREATE INDEX sd_tags_tag ON sd_tags (tag);"
         "CREATE TABLE sd_access (dataset_id BIGINT NOT NULL REFERENCES sd_datasets (id),"
         " opd_id BIGINT NOT NULL REFERENCES opds (id), PRIMARY KEY (dataset_id, opd_id));"
         "CREATE TABLE sd_columns (dataset_id BIGINT NOT NULL REFERENCES sd_datasets (id), position INTEGER NOT NULL,"
         " name TEXT NOT NULL, type TEXT NOT NULL, required INTEGER NOT NULL, allowed TEXT NOT NULL,"
         " PRIMARY KEY (dataset_id, position));"
         "CREATE TABLE sd_versions (id {{id}}, dataset_id BIGINT NOT NULL REFERENCES sd_datasets (id),"
         " version_no INTEGER NOT NULL, sha256 TEXT NOT NULL REFERENCES files (sha256), filename TEXT NOT NULL,"
         " size BIGINT NOT NULL, row_count BIGINT NOT NULL, formula_cells BIGINT NOT NULL, delimiter TEXT NOT NULL,"
         " created_by BIGINT NOT NULL, created_at BIGINT NOT NULL, UNIQUE (dataset_id, version_no));"},
        {2, "daftar_requests",
         "CREATE TABLE sd_daftar (id {{id}}, opd_id BIGINT NOT NULL REFERENCES opds (id), title TEXT NOT NULL,"
         " frequency TEXT NOT NULL, release_date TEXT NOT NULL, dataset_id BIGINT REFERENCES sd_datasets (id),"
         " created_by BIGINT, created_at BIGINT NOT NULL, UNIQUE (opd_id, title, release_date));"
         "CREATE TABLE sd_data_requests (id {{id}}, dataset_id BIGINT NOT NULL REFERENCES sd_datasets (id),"
         " from_opd_id BIGINT NOT NULL REFERENCES opds (id), reason TEXT NOT NULL, state TEXT NOT NULL,"
         " expires_at BIGINT, refuse_reason TEXT NOT NULL DEFAULT '', created_by BIGINT NOT NULL,"
         " created_at BIGINT NOT NULL, decided_by BIGINT, decided_at BIGINT);"
         "CREATE INDEX sd_data_requests_ds ON sd_data_requests (dataset_id, from_opd_id, state);"
         "CREATE TABLE sd_info_requests (id {{id}}, dataset_id BIGINT REFERENCES sd_datasets (id),"
         " opd_id BIGINT NOT NULL REFERENCES opds (id), requester_id BIGINT NOT NULL REFERENCES users (id),"
         " subject TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, due_date TEXT NOT NULL,"
         " extended INTEGER NOT NULL DEFAULT 0, answer TEXT NOT NULL DEFAULT '', answer_public INTEGER NOT NULL DEFAULT 1,"
         " created_at BIGINT NOT NULL, answered_at BIGINT);"
         "CREATE INDEX sd_info_requests_opd ON sd_info_requests (opd_id, state);"},
        // Full-text search (SQLite FTS5): one row per dataset, rowid = dataset id, over the words a
        // visitor types: title, description, tags, konsep/definisi and the OPD's name. Triggers keep
        // it in step with every dataset and tag write, inside the writer's own transaction; the last
        // statement fills it for the datasets that exist already. Ranking is bm25 with the title
        // weighted highest (the 'rank' setting is stored in the table). Prefix indexes of 2 and 3
        // characters make the "last word as a prefix" query cheap.
        {3, "search_fts",
         "CREATE VIRTUAL TABLE sd_fts USING fts5(title, description, tags, konsep, definisi, opd,"
         " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
         // tags: one a line (a tag may hold spaces, never a control character).
         "INSERT INTO sd_fts (sd_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 5.0, 2.0, 2.0, 3.0)');"
         "CREATE TRIGGER sd_fts_ai AFTER INSERT ON sd_datasets BEGIN"
         " INSERT INTO sd_fts (rowid, title, description, tags, konsep, definisi, opd) VALUES (NEW.id, NEW.title,"
         " NEW.description, (SELECT COALESCE(group_concat(tag, char(10)), '') FROM sd_tags WHERE dataset_id = NEW.id),"
         " NEW.konsep, NEW.definisi, (SELECT name || ' ' || abbreviation FROM opds WHERE id = NEW.opd_id)); END;"
         "CREATE TRIGGER sd_fts_au AFTER UPDATE OF title, description, konsep, definisi, opd_id ON sd_datasets BEGIN"
         " UPDATE sd_fts SET title = NEW.title, description = NEW.description, konsep = NEW.konsep,"
         " definisi = NEW.definisi, opd = (SELECT name || ' ' || abbreviation FROM opds WHERE id = NEW.opd_id)"
         " WHERE rowid = NEW.id; END;"
         "CREATE TRIGGER sd_fts_ad AFTER DELETE ON sd_datasets BEGIN DELETE FROM sd_fts WHERE rowid = OLD.id; END;"
         "CREATE TRIGGER sd_fts_tag_ai AFTER INSERT ON sd_tags BEGIN"
         " UPDATE sd_fts SET tags = (SELECT COALESCE(group_concat(tag, char(10)), '') FROM sd_tags WHERE dataset_id = NEW.dataset_id)"
         " WHERE rowid = NEW.dataset_id; END;"
         "CREATE TRIGGER sd_fts_tag_ad AFTER DELETE ON sd_tags BEGIN"
         " UPDATE sd_fts SET tags = (SELECT COALESCE(group_concat(tag, char(10)), '') FROM sd_tags WHERE dataset_id = OLD.dataset_id)"
         " WHERE rowid = OLD.dataset_id; END;"
         "INSERT INTO sd_fts (rowid, title, description, tags, konsep, definisi, opd)"
         " SELECT d.id, d.title, d.description,"
         " (SELECT COALESCE(group_concat(t.tag, char(10)), '') FROM sd_tags t WHERE t.dataset_id = d.id),"
         " d.konsep, d.definisi, o.name || ' ' || o.abbreviation FROM sd_datasets d JOIN opds o ON o.id = d.opd_id;"},
        // The generation of what the public search index (PublicIndex) copies: bumped by every
        // change to a dataset, its tags or an OPD, in the writer's transaction.
        {4, "search_gen",
         "CREATE TABLE sd_search_gen (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);"
         "INSERT INTO sd_search_gen (id, n) VALUES (1, 0);"
         "CREATE TRIGGER sd_gen_sd_datasets_ai AFTER INSERT ON sd_datasets BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_sd_datasets_au AFTER UPDATE ON sd_datasets BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_sd_datasets_ad AFTER DELETE ON sd_datasets BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_sd_tags_ai AFTER INSERT ON sd_tags BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_sd_tags_au AFTER UPDATE ON sd_tags BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_sd_tags_ad AFTER DELETE ON sd_tags BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_opds_ai AFTER INSERT ON opds BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_opds_au AFTER UPDATE ON opds BEGIN UPDATE sd_search_gen SET n = n + 1; END;"
         "CREATE TRIGGER sd_gen_opds_ad AFTER DELETE ON opds BEGIN UPDATE sd_search_gen SET n = n + 1; END;"},
    };
}

db::Migration search_vocab_migration() {
    // Every token of sd_fts as FTS5 stored it (term, rowid, column, position): what PublicIndex
    // copies to match and rank public searches in memory (a read-only view, no data of its own).
    return {7, "search_vocab", "CREATE VIRTUAL TABLE sd_fts_instance USING fts5vocab(sd_fts, instance);"};
}

std::vector<std::string> fts_words(std::string_view text) {
    // Words are runs of ASCII letters and digits and of non-ASCII characters (UTF-8 sequences);
    // everything else (quotes, *, -, :, parentheses, ^, +) only separates. Each word becomes an
    // FTS5 string ("word"), so NEAR, AND, OR, NOT and column filters in the text are plain words;
    // the last one is a prefix ("word"*) for search-as-you-type. Words are ANDed.
    std::vector<std::string> words;
    std::string cur;
    auto flush = [&] {
        if (!cur.empty() && words.size() < kMaxSearchWords) words.push_back(cur);
        cur.clear();
    };
    for (unsigned char ch : text) {
        if (std::isalnum(ch) || ch >= 0x80) cur += static_cast<char>(std::tolower(ch));
        else flush();
    }
    flush();
    return words;
}

std::string fts_query(std::string_view text) {
    const auto words = fts_words(text);
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i) out += ' ';
        out += '"' + words[i] + '"';
        if (i + 1 == words.size()) out += '*';
    }
    return out;
}

namespace {
constexpr const char* kDatasetCols =
    "SELECT d.id, d.slug, d.title, d.description, d.konsep, d.definisi, d.klasifikasi, d.ukuran, d.satuan,"
    " d.period_start, d.period_end, d.year, d.frequency, d.region_level, d.license_id, d.contact_name,"
    " d.contact_email, d.opd_id, o.slug, o.name, o.abbreviation, d.visibility, d.state, d.return_notes,"
    " d.withdraw_reason, d.created_by, d.created_at, d.updated_at, d.submitted_at, d.published_at,"
    " d.published_version_id, d.last_report FROM sd_datasets d JOIN opds o ON o.id = d.opd_id";

// Visibility of a listed dataset; parameters: all, staff, opd, opd, opd, now.
constexpr const char* kVisibleWhere =
    " d.published_version_id IS NOT NULL AND d.state <> 'withdrawn' AND (d.visibility = 'public' OR ? = 1"
    " OR (d.visibility = 'internal' AND ? = 1)"
    " OR (d.visibility <> 'public' AND d.opd_id = ?)"
    " OR (d.visibility = 'restricted' AND (EXISTS (SELECT 1 FROM sd_access a WHERE a.dataset_id = d.id AND a.opd_id = ?)"
    " OR EXISTS (SELECT 1 FROM sd_data_requests r WHERE r.dataset_id = d.id AND r.from_opd_id = ?"
    " AND r.state = 'approved' AND r.expires_at > ?))))";

void visible_params(std::vector<db::Value>& p, const Viewer& v, std::int64_t now) {
    const std::int64_t opd = v.opd_id.value_or(-1);
    p.insert(p.end(), {db::Value(v.all), db::Value(v.staff), db::Value(opd), db::Value(opd), db::Value(opd),
                       db::Value(now)});
}

Dataset read_dataset(db::Query& q) {
    Dataset d;
    d.id = q.integer(0);
    d.slug = q.text(1);
    d.title = q.text(2);
    d.description = q.text(3);
    d.konsep = q.text(4);
    d.definisi = q.text(5);
    d.klasifikasi = q.text(6);
    d.ukuran = q.text(7);
    d.satuan = q.text(8);
    d.period_start = q.text(9);
    d.period_end = q.text(10);
    d.year = static_cast<int>(q.integer(11));
    d.frequency = q.text(12);
    d.region_level = q.text(13);
    d.license_id = q.text(14);
    d.contact_name = q.text(15);
    d.contact_email = q.text(16);
    d.opd_id = q.integer(17);
    d.opd_slug = q.text(18);
    d.opd_name = q.text(19);
    d.opd_abbr = q.text(20);
    d.visibility = q.text(21);
    d.state = q.text(22);
    d.return_notes = q.text(23);
    d.withdraw_reason = q.text(24);
    d.created_by = q.integer(25);
    d.created_at = q.integer(26);
    d.updated_at = q.integer(27);
    d.submitted_at = q.opt_integer(28);
    d.published_at = q.opt_integer(29);
    d.published_version_id = q.opt_integer(30);
    d.last_report = q.text(31);
    return d;
}

void load_tags(db::Connection& c, std::vector<Dataset>& list) {
    for (auto& d : list) {
        db::Query q(c, "SELECT tag FROM sd_tags WHERE dataset_id = ? ORDER BY tag", {d.id});
        while (q.next()) d.tags.push_back(q.text(0));
        db::Query a(c, "SELECT o.slug FROM sd_access a JOIN opds o ON o.id = a.opd_id WHERE a.dataset_id = ? ORDER BY o.slug",
                    {d.id});
        while (a.next()) d.access_opds.push_back(a.text(0));
    }
}

std::vector<Dataset> query_datasets(db::Connection& c, const std::string& sql, const std::vector<db::Value>& params) {
    std::vector<Dataset> out;
    {
        db::Query q(c, sql, params);
        while (q.next()) out.push_back(read_dataset(q));
    }
    load_tags(c, out);
    return out;
}

}  // namespace

std::optional<Dataset> dataset_by_id(db::Connection& c, std::int64_t id) {
    auto v = query_datasets(c, std::string(kDatasetCols) + " WHERE d.id = ?", {db::Value(id)});
    if (v.empty()) return std::nullopt;
    return v.front();
}

std::optional<Dataset> dataset_by_slug(db::Connection& c, const std::string& slug) {
    auto v = query_datasets(c, std::string(kDatasetCols) + " WHERE d.slug = ?", {db::Value(slug)});
    if (v.empty()) return std::nullopt;
    return v.front();
}

std::vector<Dataset> datasets_where_state(db::Connection& c, const std::vector<std::string>& states, int limit) {
    std::string sql = std::string(kDatasetCols) + " WHERE d.state IN (";
    std::vector<db::Value> p;
    for (std::size_t i = 0; i < states.size(); ++i) {
        sql += i ? ", ?" : "?";
        p.emplace_back(states[i]);
    }
    sql += ") ORDER BY d.updated_at, d.id LIMIT ?";
    p.emplace_back(limit);
    return query_datasets(c, sql, p);
}

std::vector<Dataset> datasets_of_opd(db::Connection& c, std::int64_t opd_id, int limit) {
    return query_datasets(c, std::string(kDatasetCols) + " WHERE d.opd_id = ? ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
                          {db::Value(opd_id), db::Value(limit)});
}

std::int64_t insert_dataset(db::Connection& c, const Dataset& d, const std::string& search_text) {
    static constexpr const char* kSql =
        "INSERT INTO sd_datasets (slug, title, description, konsep, definisi, klasifikasi, ukuran, satuan,"
        " period_start, period_end, year, frequency, region_level, license_id, contact_name, contact_email, opd_id,"
        " visibility, state, search_text, created_by, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
    return *db::scalar_int(c, kSql,
                           {d.slug, d.title, d.description, d.konsep, d.definisi, d.klasifikasi, d.ukuran, d.satuan,
                            d.period_start, d.period_end, d.year, d.frequency, d.region_level, d.license_id,
                            d.contact_name, d.contact_email, d.opd_id, d.visibility, d.state, search_text,
                            d.created_by, d.created_at, d.updated_at});
}

void update_metadata(db::Connection& c, const Dataset& d, const std::string& search_text) {
    static constexpr const char* kSql =
        "UPDATE sd_datasets SET slug = ?, title = ?, description = ?, konsep = ?, definisi = ?, klasifikasi = ?,"
        " ukuran = ?, satuan = ?, period_start = ?, period_end = ?, year = ?, frequency = ?, region_level = ?,"
        " license_id = ?, contact_name = ?, contact_email = ?, visibility = ?, search_text = ?, updated_at = ?"
        " WHERE id = ?";
    db::exec(c, kSql,
             {d.slug, d.title, d.description, d.konsep, d.definisi, d.klasifikasi, d.ukuran, d.satuan, d.period_start,
              d.period_end, d.year, d.frequency, d.region_level, d.license_id, d.contact_name, d.contact_email,
              d.visibility, search_text, d.updated_at, d.id});
}

void set_tags(db::Connection& c, std::int64_t id, const std::vector<std::string>& tags) {
    db::exec(c, "DELETE FROM sd_tags WHERE dataset_id = ?", {id});
    for (const auto& t : tags)
        db::exec(c, "INSERT INTO sd_tags (dataset_id, tag) VALUES (?, ?) ON CONFLICT (dataset_id, tag) DO NOTHING", {id, t});
}

void set_access(db::Connection& c, std::int64_t id, const std::vector<std::int64_t>& opd_ids) {
    db::exec(c, "DELETE FROM sd_access WHERE dataset_id = ?", {id});
    for (auto o : opd_ids)
        db::exec(c, "INSERT INTO sd_access (dataset_id, opd_id) VALUES (?, ?) ON CONFLICT (dataset_id, opd_id) DO NOTHING",
                 {id, o});
}

bool change_state(db::Connection& c, std::int64_t id, const std::string& from, const std::string& to, std::int64_t now) {
    return db::exec(c, "UPDATE sd_datasets SET state = ?, updated_at = ? WHERE id = ? AND state = ?", {to, now, id, from}) == 1;
}

void set_notes(db::Connection& c, std::int64_t id, const std::string& return_notes, const std::string& withdraw_reason) {
    db::exec(c, "UPDATE sd_datasets SET return_notes = ?, withdraw_reason = ? WHERE id = ?", {return_notes, withdraw_reason, id});
}

void mark_submitted(db::Connection& c, std::int64_t id, std::int64_t now) {
    db::exec(c, "UPDATE sd_datasets SET submitted_at = ? WHERE id = ?", {now, id});
}

void mark_published(db::Connection& c, std::int64_t id, std::int64_t version_id, std::int64_t now) {
    db::exec(c,
             "UPDATE sd_datasets SET published_version_id = ?, published_at = COALESCE(published_at, ?), updated_at = ?"
             " WHERE id = ?",
             {version_id, now, now, id});
}

void set_last_report(db::Connection& c, std::int64_t id, const std::string& json) {
    db::exec(c, "UPDATE sd_datasets SET last_report = ? WHERE id = ?", {json, id});
}

std::vector<ColumnSpec> columns(db::Connection& c, std::int64_t dataset_id) {
    std::vector<ColumnSpec> out;
    db::Query q(c, "SELECT name, type, required, allowed FROM sd_columns WHERE dataset_id = ? ORDER BY position", {dataset_id});
    while (q.next()) {
        ColumnSpec s;
        s.name = q.text(0);
        parse_column_type(q.text(1), s.type);
        s.required = q.integer(2) != 0;
        const std::string allowed = q.text(3);
        for (auto part : util::split(allowed, '|'))
            if (!part.empty()) s.allowed.emplace_back(part);
        out.push_back(std::move(s));
    }
    return out;
}

void replace_columns(db::Connection& c, std::int64_t dataset_id, const std::vector<ColumnSpec>& cols) {
    db::exec(c, "DELETE FROM sd_columns WHERE dataset_id = ?", {dataset_id});
    int pos = 0;
    for (const auto& s : cols) {
        std::string allowed;
        for (const auto& a : s.allowed) allowed += (allowed.empty() ? "" : "|") + a;
        db::exec(c, "INSERT INTO sd_columns (dataset_id, position, name, type, required, allowed) VALUES (?, ?, ?, ?, ?, ?)",
                 {dataset_id, ++pos, s.name, std::string(column_type_name(s.type)), s.required, allowed});
    }
}

namespace {
constexpr const char* kVersionCols =
    "SELECT id, dataset_id, version_no, sha256, filename, size, row_count, formula_cells, delimiter, created_by,"
    " created_at FROM sd_versions";
Version read_version(db::Query& q) {
    Version v;
    v.id = q.integer(0);
    v.dataset_id = q.integer(1);
    v.version_no = static_cast<int>(q.integer(2));
    v.sha256 = q.text(3);
    v.filename = q.text(4);
    v.size = q.integer(5);
    v.row_count = q.integer(6);
    v.formula_cells = q.integer(7);
    auto d = q.text(8);
    v.delimiter = d.empty() ? ',' : d[0];
    v.created_by = q.integer(9);
    v.created_at = q.integer(10);
    return v;
}
}  // namespace

std::vector<std::int64_t> dataset_ids(db::Connection& c) {
    std::vector<std::int64_t> out;
    db::Query q(c, "SELECT id FROM sd_datasets ORDER BY id", {});
    while (q.next()) out.push_back(q.integer(0));
    return out;
}

std::vector<Version> versions(db::Connection& c, std::int64_t dataset_id) {
    std::vector<Version> out;
    db::Query q(c, std::string(kVersionCols) + " WHERE dataset_id = ? ORDER BY version_no DESC", {dataset_id});
    while (q.next()) out.push_back(read_version(q));
    return out;
}

std::optional<Version> version_by_id(db::Connection& c, std::int64_t id) {
    db::Query q(c, std::string(kVersionCols) + " WHERE id = ?", {id});
    if (!q.next()) return std::nullopt;
    return read_version(q);
}

std::int64_t insert_version(db::Connection& c, const Version& v) {
    return *db::scalar_int(c,
                           "INSERT INTO sd_versions (dataset_id, version_no, sha256, filename, size, row_count, formula_cells,"
                           " delimiter, created_by, created_at) VALUES (?, (SELECT COALESCE(MAX(version_no), 0) + 1 FROM"
                           " sd_versions WHERE dataset_id = ?), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           {v.dataset_id, v.dataset_id, v.sha256, v.filename, v.size, v.row_count, v.formula_cells,
                            std::string(1, v.delimiter), v.created_by, v.created_at});
}

bool visible(db::Connection& c, const Viewer& viewer, const Dataset& d, std::int64_t now) {
    std::vector<db::Value> p;
    std::string sql = std::string("SELECT 1 FROM sd_datasets d WHERE d.id = ? AND") + kVisibleWhere;
    p.emplace_back(d.id);
    visible_params(p, viewer, now);
    db::Query q(c, sql, p);
    return q.next();
}

namespace {

// sd_fts as migration 3 made it: the table (tokenizer, columns) and its rank function. The
// in-memory copy is used only while both are exactly these; the weights are the rank's, by column.
constexpr const char* kFtsTableSql =
    "CREATE VIRTUAL TABLE sd_fts USING fts5(title, description, tags, konsep, definisi, opd,"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')";
constexpr const char* kFtsRank = "bm25(10.0, 1.0, 5.0, 2.0, 2.0, 3.0)";
constexpr std::pair<std::string_view, std::uint32_t> kFtsWeights[] = {
    {"title", 10}, {"description", 1}, {"tags", 5}, {"konsep", 2}, {"definisi", 2}, {"opd", 3}};

// A read transaction for the statements of one search or index build (the index generation, the matches and the
// page see the same database state).
struct ReadTx {
    db::Connection& c;
    explicit ReadTx(db::Connection& conn) : c(conn) { db::exec(c, "BEGIN"); }
    ~ReadTx() {
        try {
            db::exec(c, "COMMIT");
        } catch (...) {
            try {  // never hand the pooled reader back inside a transaction
                db::exec(c, "ROLLBACK");
            } catch (...) {
            }
        }
    }
};

// SQLite's variable-length integer, as FTS5 writes its sizes; false when the bytes end first.
bool get_varint(std::string_view& b, std::uint64_t& v) {
    v = 0;
    for (int i = 0; i < 9; ++i) {
        if (b.empty()) return false;
        const auto ch = static_cast<unsigned char>(b.front());
        b.remove_prefix(1);
        if (i == 8) {
            v = (v << 8) | ch;
            return true;
        }
        v = (v << 7) | (ch & 0x7f);
        if (!(ch & 0x80)) return true;
    }
    return true;
}

// Fills s.fts from FTS5's own tables; leaves it unusable when anything is not as expected.
void load_fts(db::Connection& c, PublicIndex::Snapshot& s) {
    PublicIndex::Fts f;
    if (db::scalar_text(c, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'sd_fts'").value_or("") != kFtsTableSql)
        return;
    if (db::scalar_text(c, "SELECT v FROM sd_fts_config WHERE k = 'rank'").value_or("") != kFtsRank) return;
    if (!db::scalar_int(c, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sd_fts_instance'")) return;
    // The averages record (id 1): row count, then the token count of each column.
    if (auto block = db::scalar_text(c, "SELECT block FROM sd_fts_data WHERE id = 1")) {
        std::string_view b = *block;
        std::uint64_t v = 0;
        if (!get_varint(b, v)) return;
        f.rows = static_cast<std::int64_t>(v);
        for (std::size_t i = 0; i < std::size(kFtsWeights); ++i) {
            if (!get_varint(b, v)) return;
            f.tokens += static_cast<std::int64_t>(v);
        }
    }
    std::unordered_map<std::int64_t, std::uint32_t> doc_of;
    {
        db::Query q(c, "SELECT id, sz FROM sd_fts_docsize ORDER BY id");
        while (q.next()) {
            const std::string sz = q.text(1);
            std::string_view b = sz;
            std::uint64_t len = 0, v = 0;
            while (!b.empty())
                if (!get_varint(b, v)) return;
                else len += v;
            const std::int64_t id = q.integer(0);
            doc_of.emplace(id, static_cast<std::uint32_t>(f.doc_len.size()));
            f.doc_len.push_back(static_cast<std::uint32_t>(len));
            auto it = s.at.find(id);
            f.doc_entry.push_back(it == s.at.end() ? -1 : static_cast<std::int32_t>(it->second));
        }
    }
    if (static_cast<std::int64_t>(f.doc_len.size()) != f.rows) return;
    {
        // fts5vocab gives the instances by term, then rowid, then column, then position.
        db::Query q(c, "SELECT term, doc, col FROM sd_fts_instance");
        std::string term, col;
        while (q.next()) {
            term = q.text(0);
            col = q.text(2);
            std::uint32_t w = 0;
            for (const auto& [name, weight] : kFtsWeights)
                if (name == col) w = weight;
            auto d = doc_of.find(q.integer(1));
            if (w == 0 || d == doc_of.end()) return;
            if (f.terms.empty() || term != f.terms.back()) {
                if (!f.terms.empty() && term < f.terms.back()) return;
                f.terms.push_back(term);
                f.term_at.push_back(static_cast<std::uint32_t>(f.post_doc.size()));
            } else if (d->second < f.post_doc.back()) {
                return;
            }
            if (f.post_doc.size() > f.term_at.back() && f.post_doc.back() == d->second) f.post_weight.back() += w;
            else {
                f.post_doc.push_back(d->second);
                f.post_weight.push_back(w);
            }
        }
        f.term_at.push_back(static_cast<std::uint32_t>(f.post_doc.size()));
    }
    const std::size_t docs = f.doc_len.size();
    f.term_dense.assign(f.terms.size(), PublicIndex::Fts::kNotDense);
    for (std::size_t t = 0; t < f.terms.size(); ++t) {
        if (docs == 0 || f.term_at[t + 1] - f.term_at[t] < std::max<std::size_t>(docs / 8, 64)) continue;
        f.term_dense[t] = static_cast<std::uint32_t>(f.dense.size());
        f.dense.resize(f.dense.size() + docs, 0);
        for (auto k = f.term_at[t]; k < f.term_at[t + 1]; ++k) f.dense[f.term_dense[t] + f.post_doc[k]] = f.post_weight[k];
    }
    f.usable = true;
    s.fts = std::move(f);
}

struct FtsMatch {
    std::uint32_t doc;
    double rank;
};

// The rows of sd_fts matching `words` (as fts_query quotes them: each a phrase, ANDed, the last a
// prefix), with FTS5's bm25 rank when `rank`, computed as fts5_aux.c's fts5Bm25Function does:
// same constants, same expressions, in the same order, in double. nullopt when the words cannot
// be matched here exactly: a word with a non-ASCII byte (unicode61 may split or fold it; an ASCII
// letter/digit run is one token, lower-cased, as fts_words already made it).
std::optional<std::vector<FtsMatch>> fts_match(const PublicIndex::Fts& f, const std::vector<std::string>& words, bool rank) {
    if (!f.usable || words.empty()) return std::nullopt;
    for (const auto& w : words)
        for (unsigned char ch : w)
            if (ch >= 0x80 || !std::isalnum(ch) || std::isupper(ch)) return std::nullopt;
    struct List {
        const std::uint32_t *doc = nullptr, *weight = nullptr;
        const std::uint32_t* dense = nullptr;  // weight by doc, 0 when absent (long lists only)
        std::size_t n = 0;
        std::shared_ptr<const PublicIndex::Merged> merged;  // a prefix over several terms
    };
    std::vector<List> lists(words.size());
    std::vector<FtsMatch> out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto& w = words[i];
        auto lo = std::lower_bound(f.terms.begin(), f.terms.end(), w);
        auto hi = lo;
        if (i + 1 < words.size()) {
            if (hi != f.terms.end() && *hi == w) ++hi;
        } else {
            while (hi != f.terms.end() && hi->compare(0, w.size(), w) == 0) ++hi;
        }
        auto& l = lists[i];
        if (hi - lo == 1) {
            const auto t = static_cast<std::size_t>(lo - f.terms.begin());
            l.doc = f.post_doc.data() + f.term_at[t];
            l.weight = f.post_weight.data() + f.term_at[t];
            l.n = f.term_at[t + 1] - f.term_at[t];
            if (f.term_dense[t] != PublicIndex::Fts::kNotDense) l.dense = f.dense.data() + f.term_dense[t];
        } else if (hi - lo > 1) {
            // Every instance of every term with the prefix counts (FTS5's prefix phrase), merged
            // once per snapshot and prefix.
            auto& cache = *f.prefixes;
            {
                std::lock_guard lk(cache.m);
                if (auto it = cache.merged.find(w); it != cache.merged.end()) l.merged = it->second;
            }
            if (!l.merged) {
                // Summed in a per-thread array that is all zeros between calls: only the rows
                // touched are reset, so a merge neither allocates nor walks one slot per row.
                thread_local std::vector<std::uint32_t> acc;
                if (acc.size() < f.doc_len.size()) acc.resize(f.doc_len.size(), 0);
                auto m = std::make_shared<PublicIndex::Merged>();
                for (auto t = static_cast<std::size_t>(lo - f.terms.begin()); t < static_cast<std::size_t>(hi - f.terms.begin()); ++t)
                    for (auto k = f.term_at[t]; k < f.term_at[t + 1]; ++k) {
                        if (!acc[f.post_doc[k]]) m->doc.push_back(f.post_doc[k]);
                        acc[f.post_doc[k]] += f.post_weight[k];
                    }
                std::sort(m->doc.begin(), m->doc.end());
                m->weight.reserve(m->doc.size());
                for (auto d : m->doc) {
                    m->weight.push_back(acc[d]);
                    acc[d] = 0;
                }
                if (m->doc.size() >= std::max<std::size_t>(f.doc_len.size() / 8, 64)) {
                    m->dense.assign(f.doc_len.size(), 0);
                    for (std::size_t k = 0; k < m->doc.size(); ++k) m->dense[m->doc[k]] = m->weight[k];
                }
                std::lock_guard lk(cache.m);
                if (cache.postings + m->doc.size() > PublicIndex::PrefixCache::kMaxPostings) {
                    cache.merged.clear();
                    cache.postings = 0;
                }
                if (cache.merged.emplace(w, m).second) cache.postings += m->doc.size();
                l.merged = std::move(m);
            }
            l.doc = l.merged->doc.data();
            l.weight = l.merged->weight.data();
            l.n = l.merged->doc.size();
            if (!l.merged->dense.empty()) l.dense = l.merged->dense.data();
        }
        if (l.n == 0) return out;
    }
    // bm25 (fts5_aux.c): IDF per phrase over the whole table, clamped to 1e-6 when <= 0.
    const double k1 = 1.2;
    const double b = 0.75;
    const double avgdl = static_cast<double>(f.tokens) / static_cast<double>(f.rows);
    std::vector<double> idf(lists.size());
    for (std::size_t i = 0; i < lists.size(); ++i) {
        const auto n_hit = static_cast<std::int64_t>(lists[i].n);
        double v = std::log((f.rows - n_hit + 0.5) / (n_hit + 0.5));
        if (v <= 0.0) v = 1e-6;
        idf[i] = v;
    }
    // Intersect, walking the shortest list.
    std::size_t shortest = 0;
    for (std::size_t i = 1; i < lists.size(); ++i)
        if (lists[i].n < lists[shortest].n) shortest = i;
    std::vector<std::size_t> pos(lists.size(), 0);
    std::vector<double> freq(lists.size());
    const auto& s = lists[shortest];
    for (std::size_t k = 0; k < s.n; ++k) {
        const std::uint32_t doc = s.doc[k];
        bool all = true;
        for (std::size_t i = 0; i < lists.size() && all; ++i) {
            const auto& l = lists[i];
            if (i != shortest && l.dense) {
                const std::uint32_t w = l.dense[doc];
                if (!w) all = false;
                else freq[i] = static_cast<double>(w);
                continue;
            }
            auto& p = pos[i];
            if (l.n / 16 <= s.n) {
                while (p < l.n && l.doc[p] < doc) ++p;  // lists of similar length: a merge walk
            } else if (p < l.n && l.doc[p] < doc) {
                // Much longer than the walked list (a common word): gallop, then binary search.
                std::size_t lo = p, step = 1, hi = p + 1;
                while (hi < l.n && l.doc[hi] < doc) {
                    lo = hi;
                    step *= 2;
                    hi = lo + step;
                }
                p = static_cast<std::size_t>(std::lower_bound(l.doc + lo + 1, l.doc + std::min(hi + 1, l.n), doc) - l.doc);
            }
            if (p == l.n) return out;
            if (l.doc[p] != doc) all = false;
            else freq[i] = static_cast<double>(l.weight[p]);
        }
        if (!all) continue;
        double score = 0.0;
        if (rank) {
            const double D = static_cast<double>(f.doc_len[doc]);
            for (std::size_t i = 0; i < lists.size(); ++i)
                score += idf[i] * ((freq[i] * (k1 + 1.0)) / (freq[i] + k1 * (1 - b + b * D / avgdl)));
        }
        out.push_back({doc, -1.0 * score});
    }
    return out;
}

}  // namespace

std::optional<std::vector<std::pair<std::int64_t, double>>> PublicIndex::ranked(const Snapshot& s, std::string_view text) {
    auto m = fts_match(s.fts, fts_words(text), true);
    if (!m) return std::nullopt;
    std::vector<std::pair<std::int64_t, double>> out;
    for (const auto& x : *m)
        if (s.fts.doc_entry[x.doc] >= 0) out.emplace_back(s.entries[static_cast<std::size_t>(s.fts.doc_entry[x.doc])].id, x.rank);
    return out;
}

namespace {
constexpr int kBuildNice = 10;
}

PublicIndex::PublicIndex(db::Database& db, Runner run) : db_(&db), run_(std::move(run)) {
    if (run_) return;
    thread_ = std::thread([this] {
        // Below the request threads (Linux: the calling thread's nice value), so a search that
        // shares a core with a build waits less for it; the build still gets a share of a busy core.
        (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kBuildNice);
        std::unique_lock lk(m_);
        for (;;) {
            jobs_cv_.wait(lk, [&] { return stop_ || !jobs_.empty(); });
            if (stop_) return;
            auto job = std::move(jobs_.front());
            jobs_.erase(jobs_.begin());
            lk.unlock();
            job();
            lk.lock();
        }
    });
    run_ = [this](std::function<void()> job) {
        std::lock_guard lk(m_);
        jobs_.push_back(std::move(job));
        jobs_cv_.notify_one();
    };
}

PublicIndex::~PublicIndex() {
    {
        std::lock_guard lk(m_);
        stop_ = true;
    }
    jobs_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::int64_t PublicIndex::generation(db::Connection& c) {
    return db::scalar_int(c, "SELECT n FROM sd_search_gen WHERE id = 1").value_or(-1);
}

std::shared_ptr<const PublicIndex::Snapshot> PublicIndex::get(db::Connection& c) {
    const std::int64_t gen = generation(c);
    {
        std::lock_guard lk(m_);
        if (snap_ && snap_->gen == gen) return snap_;
    }
    auto s = build(c, gen);
    install(s);
    return s;
}

std::shared_ptr<const PublicIndex::Snapshot> PublicIndex::current(db::Connection& c) {
    if (!db_) return get(c);
    const std::int64_t gen = generation(c);
    {
        std::lock_guard lk(m_);
        if (snap_ && snap_->gen == gen) return snap_;
        if (gen > wanted_) wanted_ = gen;
        // One build at a time; none for a generation whose build failed (the SQL path answers).
        if (building_ || stop_ || wanted_ <= failed_ || (snap_ && snap_->gen >= wanted_)) return nullptr;
        building_ = true;
    }
    run_([this] { build_pending(); });
    return nullptr;
}

void PublicIndex::install(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lk(m_);
    if (!snap_ || snap_->gen < s->gen) snap_ = std::move(s);
}

void PublicIndex::build_pending() {
    for (;;) {
        std::int64_t want = 0;
        {
            std::lock_guard lk(m_);
            want = wanted_;
        }
        std::shared_ptr<const Snapshot> s;
        try {
            s = db_->read([&](db::Connection& c) {
                ReadTx tx(c);
                return build(c, generation(c));
            });
        } catch (const std::exception& e) {
            spdlog::warn("satudata: the public search index was not rebuilt (searches use SQL): {}", e.what());
        }
        if (s && s->gen >= want) install(s);
        std::lock_guard lk(m_);
        if (!s || s->gen < want) failed_ = want;
        if (!s || s->gen < want || stop_ || (snap_ && snap_->gen >= wanted_)) {
            building_ = false;
            idle_.notify_all();
            return;
        }
    }
}

void PublicIndex::wait_idle() {
    std::unique_lock lk(m_);
    idle_.wait(lk, [&] { return !building_; });
}

std::shared_ptr<const PublicIndex::Snapshot> PublicIndex::build(db::Connection& c, std::int64_t gen) {
    auto s = std::make_shared<Snapshot>();
    s->gen = gen;
    std::unordered_map<std::string, std::uint32_t> opds, levels, tags;
    auto intern = [](std::unordered_map<std::string, std::uint32_t>& ids, std::vector<std::string>& names,
                     std::string v) {
        auto [it, fresh] = ids.try_emplace(std::move(v), static_cast<std::uint32_t>(names.size()));
        if (fresh) names.push_back(it->first);
        return it->second;
    };
    {
        db::Query q(c,
                    "SELECT d.id, o.slug, d.year, d.region_level, d.updated_at, d.created_at, d.title, d.slug FROM"
                    " sd_datasets d JOIN opds o ON o.id = d.opd_id WHERE d.published_version_id IS NOT NULL AND"
                    " d.state <> 'withdrawn' AND d.visibility = 'public' ORDER BY d.id");
        while (q.next()) {
            Entry e;
            e.id = q.integer(0);
            e.opd = intern(opds, s->opds, q.text(1));
            e.year = static_cast<int>(q.integer(2));
            e.level = intern(levels, s->levels, q.text(3));
            e.updated_at = q.integer(4);
            e.created_at = q.integer(5);
            e.title = q.text(6);
            e.slug = q.text(7);
            s->at.emplace(e.id, static_cast<std::uint32_t>(s->entries.size()));
            s->entries.push_back(std::move(e));
        }
    }
    {
        db::Query q(c, "SELECT dataset_id, tag FROM sd_tags");
        while (q.next()) {
            auto it = s->at.find(q.integer(0));
            if (it != s->at.end()) s->entries[it->second].tags.push_back(intern(tags, s->tags, q.text(1)));
        }
    }
    for (const auto& e : s->entries)
        if (e.year > 0) s->years.push_back(e.year);
    std::sort(s->years.begin(), s->years.end(), std::greater<>());
    s->years.erase(std::unique(s->years.begin(), s->years.end()), s->years.end());
    for (auto& e : s->entries)
        if (e.year > 0)
            e.year_at = static_cast<std::uint32_t>(
                std::lower_bound(s->years.begin(), s->years.end(), e.year, std::greater<>()) - s->years.begin());
    load_fts(c, *s);
    ++rebuilds_;
    return s;
}

namespace {

// The datasets of `ids`, in that order.
std::vector<Dataset> datasets_in_order(db::Connection& c, const std::vector<std::int64_t>& ids) {
    std::vector<Dataset> out;
    if (ids.empty()) return out;
    std::string sql = std::string(kDatasetCols) + " WHERE d.id IN (";
    std::vector<db::Value> p;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        sql += i ? ", ?" : "?";
        p.emplace_back(ids[i]);
    }
    auto rows = query_datasets(c, sql + ")", p);
    for (auto id : ids)
        for (auto& d : rows)
            if (d.id == id) out.push_back(std::move(d));
    return out;
}

// search() for a viewer who sees public datasets only, from the index: same results as the SQL.
// nullopt while the index has no snapshot of the generation this search reads (being built off
// the request path): the caller answers from SQL.
std::optional<SearchResult> search_public(db::Connection& c, PublicIndex& index, const SearchQuery& sq, bool facets,
                                          const std::string& match, bool ranked, bool by_org, bool by_year,
                                          bool by_level, bool by_tag) {
    ReadTx tx(c);
    auto snap = index.current(c);
    if (!snap) return std::nullopt;
    const auto& es = snap->entries;
    SearchResult out;
    out.index_gen = snap->gen;
    // Filters: unknown values match nothing.
    std::int64_t opd = -1, level = -1;
    if (!sq.opd.empty()) {
        auto it = std::find(snap->opds.begin(), snap->opds.end(), sq.opd);
        if (it == snap->opds.end()) return out;
        opd = it - snap->opds.begin();
    }
    if (!sq.level.empty()) {
        auto it = std::find(snap->levels.begin(), snap->levels.end(), sq.level);
        if (it == snap->levels.end()) return out;
        level = it - snap->levels.begin();
    }
    std::vector<std::uint32_t> want_tags;
    for (const auto& t : sq.tags) {
        auto it = std::find(snap->tags.begin(), snap->tags.end(), t);
        if (it == snap->tags.end()) return out;
        want_tags.push_back(static_cast<std::uint32_t>(it - snap->tags.begin()));
    }
    if (!sq.format.empty() && !util::iequals(sq.format, "CSV") && !util::iequals(sq.format, "JSON")) return out;
    auto passes = [&](const PublicIndex::Entry& e) {
        if (opd >= 0 && e.opd != opd) return false;
        if (level >= 0 && e.level != level) return false;
        if (sq.year > 0 && e.year != sq.year) return false;
        for (auto t : want_tags)
            if (std::find(e.tags.begin(), e.tags.end(), t) == e.tags.end()) return false;
        return true;
    };
    std::vector<std::uint32_t> orgs(snap->opds.size()), levels(snap->levels.size()), tags(snap->tags.size());
    std::vector<std::uint32_t> years(snap->years.size());
    auto count = [&](const PublicIndex::Entry& e) {
        ++out.count;
        if (by_org) ++orgs[e.opd];
        if (by_year && e.year_at != PublicIndex::kNoYear) ++years[e.year_at];
        if (by_level) ++levels[e.level];
        if (by_tag)
            for (auto t : e.tags) ++tags[t];
    };
    struct Hit {
        double rank;
        std::int64_t updated, id;
    };
    std::vector<Hit> hits;                  // ranked
    std::vector<const PublicIndex::Entry*> rows;  // otherwise
    std::optional<std::vector<FtsMatch>> in_memory;
    if (!match.empty()) in_memory = fts_match(snap->fts, fts_words(sq.q), ranked);
    if (in_memory) {
        for (const auto& m : *in_memory) {
            const auto at = snap->fts.doc_entry[m.doc];
            if (at < 0) continue;
            const auto& e = es[static_cast<std::size_t>(at)];
            if (!passes(e)) continue;
            count(e);
            if (ranked) hits.push_back({m.rank, e.updated_at, e.id});
            else rows.push_back(&e);
        }
    } else if (!match.empty()) {
        // Words the in-memory copy cannot match exactly: FTS5 itself.
        db::Query q(c, ranked ? "SELECT rowid, rank FROM sd_fts WHERE sd_fts MATCH ?" : "SELECT rowid FROM sd_fts WHERE sd_fts MATCH ?",
                    {match});
        while (q.next()) {
            auto it = snap->at.find(q.integer(0));
            if (it == snap->at.end()) continue;
            const auto& e = es[it->second];
            if (!passes(e)) continue;
            count(e);
            if (ranked) hits.push_back({q.real(1), e.updated_at, e.id});
            else rows.push_back(&e);
        }
    } else {
        for (const auto& e : es)
            if (passes(e)) {
                count(e);
                rows.push_back(&e);
            }
    }
    if (facets) {
        auto keep = [&](const char* field, const std::vector<std::string>& names, const std::vector<std::uint32_t>& n) {
            std::vector<std::pair<std::string, std::int64_t>> list;
            for (std::size_t i = 0; i < n.size(); ++i)
                if (n[i] > 0) list.emplace_back(names[i], n[i]);
            std::sort(list.begin(), list.end());  // by name (names are distinct), then by count
            std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
            if (sq.facet_limit >= 0 && list.size() > static_cast<std::size_t>(sq.facet_limit)) list.resize(sq.facet_limit);
            if (!list.empty()) out.facets[field] = std::move(list);
        };
        if (by_org) keep("organization", snap->opds, orgs);
        if (by_level) keep("region_level", snap->levels, levels);
        if (by_tag) keep("tags", snap->tags, tags);
        if (by_year) {
            std::vector<std::pair<std::string, std::int64_t>> list;
            for (std::size_t i = 0; i < years.size(); ++i)  // newest first
                if (years[i] > 0) list.emplace_back(std::to_string(snap->years[i]), years[i]);
            if (sq.facet_limit >= 0 && list.size() > static_cast<std::size_t>(sq.facet_limit)) list.resize(sq.facet_limit);
            if (!list.empty()) out.facets["year"] = std::move(list);
        }
    }
    const std::size_t begin = static_cast<std::size_t>(std::max(0, sq.start));
    const std::size_t n = ranked ? hits.size() : rows.size();
    const std::size_t end = std::min(n, begin + static_cast<std::size_t>(std::max(0, sq.rows)));
    std::vector<std::int64_t> page;
    if (begin < end && ranked) {
        // bm25: lower is better; ties by newest, then by id (as the SQL path).
        std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(), [](const Hit& a, const Hit& b) {
            if (a.rank != b.rank) return a.rank < b.rank;
            if (a.updated != b.updated) return a.updated > b.updated;
            return a.id > b.id;
        });
        for (std::size_t i = begin; i < end; ++i) page.push_back(hits[i].id);
    } else if (begin < end) {
        using E = const PublicIndex::Entry*;
        std::function<bool(E, E)> less = [](E a, E b) {
            return a->updated_at != b->updated_at ? a->updated_at > b->updated_at : a->id > b->id;
        };
        if (sq.sort == "metadata_modified asc")
            less = [](E a, E b) { return a->updated_at != b->updated_at ? a->updated_at < b->updated_at : a->id < b->id; };
        else if (sq.sort == "title_string asc" || sq.sort == "title asc")
            less = [](E a, E b) { return a->title != b->title ? a->title < b->title : a->id < b->id; };
        else if (sq.sort == "title_string desc" || sq.sort == "title desc")
            less = [](E a, E b) { return a->title != b->title ? a->title > b->title : a->id < b->id; };
        else if (sq.sort == "name asc")
            less = [](E a, E b) { return a->slug < b->slug; };
        else if (sq.sort == "name desc")
            less = [](E a, E b) { return a->slug > b->slug; };
        else if (sq.sort == "metadata_created desc")
            less = [](E a, E b) { return a->created_at != b->created_at ? a->created_at > b->created_at : a->id > b->id; };
        else if (sq.sort == "metadata_created asc")
            less = [](E a, E b) { return a->created_at != b->created_at ? a->created_at < b->created_at : a->id < b->id; };
        std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(end), rows.end(), less);
        for (std::size_t i = begin; i < end; ++i) page.push_back(rows[i]->id);
    }
    if (sq.page_known && sq.page_known(out.index_gen, page)) {
        out.page_from_caller = true;
        out.page_ids = std::move(page);
        return out;
    }
    out.results = datasets_in_order(c, page);
    out.page_ids = std::move(page);
    return out;
}

}  // namespace

SearchResult search(db::Connection& c, const Viewer& viewer, const SearchQuery& sq, std::int64_t now, bool facets,
                    PublicIndex* index) {
    std::string where = std::string(" WHERE") + kVisibleWhere;
    std::vector<db::Value> p;
    visible_params(p, viewer, now);
    // The text goes to FTS5 as quoted words built here (fts_query), never as FTS5 syntax: hostile
    // text cannot raise a syntax error. The matching ids are one subquery, evaluated once a statement.
    const std::string match = fts_query(sq.q);
    if (!sq.opd.empty()) {
        where += " AND o.slug = ?";
        p.emplace_back(sq.opd);
    }
    for (const auto& t : sq.tags) {
        where += " AND EXISTS (SELECT 1 FROM sd_tags t WHERE t.dataset_id = d.id AND t.tag = ?)";
        p.emplace_back(t);
    }
    if (!sq.format.empty() && !util::iequals(sq.format, "CSV") && !util::iequals(sq.format, "JSON")) where += " AND 1 = 0";
    if (sq.year > 0) {
        where += " AND d.year = ?";
        p.emplace_back(sq.year);
    }
    if (!sq.level.empty()) {
        where += " AND d.region_level = ?";
        p.emplace_back(sq.level);
    }
    // A ranked search walks the FTS matches (bm25 rank); otherwise the matching ids are a subquery.
    const std::string ranked_where = where + " AND sd_fts MATCH ?";
    auto ranked_p = p;
    ranked_p.emplace_back(match);
    if (!match.empty()) {
        where += " AND d.id IN (SELECT rowid FROM sd_fts WHERE sd_fts MATCH ?)";
        p.emplace_back(match);
    }
    const std::string from = " FROM sd_datasets d JOIN opds o ON o.id = d.opd_id";
    SearchResult out;
    auto wanted = [&](const char* field) {
        return facets &&
               (sq.facet_fields.empty() || std::find(sq.facet_fields.begin(), sq.facet_fields.end(), field) != sq.facet_fields.end());
    };
    const bool by_org = wanted("organization"), by_year = wanted("year"), by_level = wanted("region_level"),
               by_tag = wanted("tags");
    const bool relevance = sq.sort.empty() || sq.sort.rfind("score desc", 0) == 0 || sq.sort == "relevance asc";
    const bool ranked = relevance && !match.empty();
    if (index && !viewer.all && !viewer.staff && !viewer.opd_id) {
        if (auto r = search_public(c, *index, sq, facets, match, ranked, by_org, by_year, by_level, by_tag)) {
            out = std::move(*r);
            if (facets && out.count > 0 && wanted("res_format")) {
                auto& fmt = out.facets["res_format"];
                if (sq.facet_limit != 0) fmt.emplace_back("CSV", out.count);
                if (sq.facet_limit < 0 || sq.facet_limit > 1) fmt.emplace_back("JSON", out.count);
            }
            return out;
        }
    }
    // A ranked search: one pass over the FTS matches gives the count, the facets and each match's
    // bm25 rank; the page is the best (start + rows) of them, then read by id.
    struct Hit {
        double rank;
        std::int64_t updated, id;
    };
    std::vector<Hit> hits;
    if (ranked || by_org || by_year || by_level || by_tag) {
        // One pass over the matches gives the count and four facets (one statement, not five); the
        // tags of each match come one a line from its sd_tags range (primary key order).
        std::map<std::string, std::int64_t> orgs, levels, tags;
        std::map<std::int64_t, std::int64_t> years;
        db::Query q(c,
                    "SELECT o.slug, d.year, d.region_level, " +
                        std::string(by_tag ? "(SELECT group_concat(t.tag, char(10)) FROM sd_tags t WHERE t.dataset_id = d.id)" : "''") +
                        ", d.id, d.updated_at" + (ranked ? ", sd_fts.rank" : "") + from +
                        (ranked ? " JOIN sd_fts ON sd_fts.rowid = d.id" + ranked_where : where),
                    ranked ? ranked_p : p);
        while (q.next()) {
            ++out.count;
            if (by_org) ++orgs[q.text(0)];
            if (by_year && q.integer(1) > 0) ++years[q.integer(1)];
            if (by_level) ++levels[q.text(2)];
            if (by_tag) {
                const std::string lines = q.text(3);
                for (auto t : util::split(lines, '\n'))
                    if (!t.empty()) ++tags[std::string(t)];
            }
            if (ranked) hits.push_back({q.real(6), q.integer(5), q.integer(4)});
        }
        auto keep = [&](const char* field, std::vector<std::pair<std::string, std::int64_t>> list, bool by_count) {
            if (by_count)
                std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
            if (sq.facet_limit >= 0 && list.size() > static_cast<std::size_t>(sq.facet_limit)) list.resize(sq.facet_limit);
            if (!list.empty()) out.facets[field] = std::move(list);
        };
        if (by_org) keep("organization", {orgs.begin(), orgs.end()}, true);  // by count, then name
        if (by_level) keep("region_level", {levels.begin(), levels.end()}, true);
        if (by_tag) keep("tags", {tags.begin(), tags.end()}, true);
        if (by_year) {
            std::vector<std::pair<std::string, std::int64_t>> list;
            for (auto it = years.rbegin(); it != years.rend(); ++it) list.emplace_back(std::to_string(it->first), it->second);
            keep("year", std::move(list), false);  // newest first
        }
    } else {
        db::Query q(c, "SELECT COUNT(*)" + from + where, p);
        out.count = q.next() ? q.integer(0) : 0;
    }
    if (ranked) {
        // bm25: lower is better; ties by newest, then by id.
        const std::size_t begin = static_cast<std::size_t>(std::max(0, sq.start));
        const std::size_t end = std::min(hits.size(), begin + static_cast<std::size_t>(std::max(0, sq.rows)));
        if (begin < end) {
            auto better = [](const Hit& a, const Hit& b) {
                if (a.rank != b.rank) return a.rank < b.rank;
                if (a.updated != b.updated) return a.updated > b.updated;
                return a.id > b.id;
            };
            std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(), better);
            std::string sql = std::string(kDatasetCols) + " WHERE d.id IN (";
            std::vector<db::Value> ids;
            for (std::size_t i = begin; i < end; ++i) {
                sql += i > begin ? ", ?" : "?";
                ids.emplace_back(hits[i].id);
            }
            auto rows = query_datasets(c, sql + ")", ids);
            for (std::size_t i = begin; i < end; ++i)
                for (auto& d : rows)
                    if (d.id == hits[i].id) out.results.push_back(std::move(d));
        }
    } else {
        std::string order = " ORDER BY d.updated_at DESC, d.id DESC";
        if (sq.sort == "metadata_modified asc") order = " ORDER BY d.updated_at ASC, d.id ASC";
        else if (sq.sort == "title_string asc" || sq.sort == "title asc") order = " ORDER BY d.title ASC, d.id";
        else if (sq.sort == "title_string desc" || sq.sort == "title desc") order = " ORDER BY d.title DESC, d.id";
        else if (sq.sort == "name asc") order = " ORDER BY d.slug ASC";  // CKAN's name is the slug
        else if (sq.sort == "name desc") order = " ORDER BY d.slug DESC";
        else if (sq.sort == "metadata_created desc") order = " ORDER BY d.created_at DESC, d.id DESC";
        else if (sq.sort == "metadata_created asc") order = " ORDER BY d.created_at ASC, d.id ASC";
        auto page = p;
        page.emplace_back(sq.rows);
        page.emplace_back(sq.start);
        if (sq.rows > 0 && sq.start < out.count)
            out.results = query_datasets(c, std::string(kDatasetCols) + where + order + " LIMIT ? OFFSET ?", page);
    }
    if (!facets || out.count == 0) return out;
    if (wanted("res_format")) {
        // Every published version is offered as CSV and as JSON.
        auto& fmt = out.facets["res_format"];
        if (sq.facet_limit != 0) fmt.emplace_back("CSV", out.count);
        if (sq.facet_limit < 0 || sq.facet_limit > 1) fmt.emplace_back("JSON", out.count);
    }
    return out;
}

std::vector<OrgRow> organizations(db::Connection& c, const Viewer& viewer, std::int64_t now) {
    std::vector<db::Value> p;
    visible_params(p, viewer, now);
    std::vector<OrgRow> out;
    db::Query q(c,
                std::string("SELECT o.id, o.slug, o.name, o.abbreviation, o.kind, (SELECT COUNT(*) FROM sd_datasets d WHERE"
                            " d.opd_id = o.id AND") +
                    kVisibleWhere + ") FROM opds o WHERE o.active = 1 AND o.kind NOT IN ('desa', 'kelurahan') ORDER BY o.slug",
                p);
    while (q.next()) out.push_back(OrgRow{q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4), q.integer(5)});
    return out;
}

std::vector<std::pair<std::string, std::int64_t>> tag_counts(db::Connection& c, const Viewer& viewer, std::int64_t now) {
    std::vector<db::Value> p;
    visible_params(p, viewer, now);
    std::vector<std::pair<std::string, std::int64_t>> out;
    db::Query q(c,
                std::string("SELECT t.tag, COUNT(*) FROM sd_tags t JOIN sd_datasets d ON d.id = t.dataset_id WHERE") +
                    kVisibleWhere + " GROUP BY t.tag ORDER BY t.tag",
                p);
    while (q.next()) out.emplace_back(q.text(0), q.integer(1));
    return out;
}

std::optional<std::int64_t> opd_id_by_slug(db::Connection& c, const std::string& slug) {
    return db::scalar_int(c, "SELECT id FROM opds WHERE slug = ?", {slug});
}

std::int64_t insert_daftar(db::Connection& c, std::int64_t opd_id, const DaftarInput& in,
                           std::optional<std::int64_t> dataset_id, std::int64_t by, std::int64_t now) {
    return *db::scalar_int(c,
                           "INSERT INTO sd_daftar (opd_id, title, frequency, release_date, dataset_id, created_by, created_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           {opd_id, in.title, in.frequency, in.release_date, dataset_id, by, now});
}

std::vector<DaftarItem> daftar(db::Connection& c, std::optional<std::int64_t> opd_id) {
    std::vector<DaftarItem> out;
    db::Query q(c,
                "SELECT f.id, f.opd_id, o.slug, o.name, f.title, f.frequency, f.release_date, f.dataset_id,"
                " COALESCE(d.slug, ''), d.submitted_at FROM sd_daftar f JOIN opds o ON o.id = f.opd_id"
                " LEFT JOIN sd_datasets d ON d.id = f.dataset_id WHERE (? = 0 OR f.opd_id = ?)"
                " ORDER BY o.name, f.release_date, f.id",
                {opd_id ? 1 : 0, opd_id.value_or(0)});
    while (q.next()) {
        DaftarItem it;
        it.id = q.integer(0);
        it.opd_id = q.integer(1);
        it.opd_slug = q.text(2);
        it.opd_name = q.text(3);
        it.title = q.text(4);
        it.frequency = q.text(5);
        it.release_date = q.text(6);
        it.dataset_id = q.opt_integer(7);
        it.dataset_slug = q.text(8);
        it.delivered_at = q.opt_integer(9);
        out.push_back(std::move(it));
    }
    return out;
}

namespace {
constexpr const char* kRequestCols =
    "SELECT r.id, r.dataset_id, r.from_opd_id, d.opd_id, d.slug, d.title, fo.name, oo.name, r.reason, r.state,"
    " r.refuse_reason, r.expires_at, r.decided_at, r.created_at FROM sd_data_requests r"
    " JOIN sd_datasets d ON d.id = r.dataset_id JOIN opds fo ON fo.id = r.from_opd_id JOIN opds oo ON oo.id = d.opd_id";
DataRequest read_request(db::Query& q) {
    DataRequest r;
    r.id = q.integer(0);
    r.dataset_id = q.integer(1);
    r.from_opd_id = q.integer(2);
    r.owner_opd_id = q.integer(3);
    r.dataset_slug = q.text(4);
    r.dataset_title = q.text(5);
    r.from_opd_name = q.text(6);
    r.owner_opd_name = q.text(7);
    r.reason = q.text(8);
    r.state = q.text(9);
    r.refuse_reason = q.text(10);
    r.expires_at = q.opt_integer(11);
    r.decided_at = q.opt_integer(12);
    r.created_at = q.integer(13);
    return r;
}
}  // namespace

std::int64_t insert_data_request(db::Connection& c, std::int64_t dataset_id, std::int64_t from_opd,
                                 const std::string& reason, std::int64_t by, std::int64_t now) {
    return *db::scalar_int(c,
                           "INSERT INTO sd_data_requests (dataset_id, from_opd_id, reason, state, created_by, created_at)"
                           " VALUES (?, ?, ?, 'pending', ?, ?) RETURNING id",
                           {dataset_id, from_opd, reason, by, now});
}

std::optional<DataRequest> data_request(db::Connection& c, std::int64_t id) {
    db::Query q(c, std::string(kRequestCols) + " WHERE r.id = ?", {id});
    if (!q.next()) return std::nullopt;
    return read_request(q);
}

std::vector<DataRequest> data_requests_for_opd(db::Connection& c, std::int64_t opd_id) {
    std::vector<DataRequest> out;
    db::Query q(c, std::string(kRequestCols) + " WHERE r.from_opd_id = ? OR d.opd_id = ? ORDER BY r.id DESC LIMIT 200",
                {opd_id, opd_id});
    while (q.next()) out.push_back(read_request(q));
    return out;
}

bool decide_data_request(db::Connection& c, std::int64_t id, const std::string& state,
                         std::optional<std::int64_t> expires_at, const std::string& refuse_reason, std::int64_t by,
                         std::int64_t now) {
    return db::exec(c,
                    "UPDATE sd_data_requests SET state = ?, expires_at = ?, refuse_reason = ?, decided_by = ?, decided_at = ?"
                    " WHERE id = ? AND state = 'pending'",
                    {state, expires_at, refuse_reason, by, now, id}) == 1;
}

std::vector<std::int64_t> expired_data_requests(db::Connection& c, std::int64_t now) {
    std::vector<std::int64_t> out;
    db::Query q(c, "SELECT id FROM sd_data_requests WHERE state = 'approved' AND expires_at <= ? ORDER BY id", {now});
    while (q.next()) out.push_back(q.integer(0));
    return out;
}

void mark_expired(db::Connection& c, std::int64_t id) {
    db::exec(c, "UPDATE sd_data_requests SET state = 'expired' WHERE id = ? AND state = 'approved'", {id});
}

namespace {
constexpr const char* kInfoCols =
    "SELECT i.id, i.dataset_id, i.opd_id, i.requester_id, o.name, u.display_name, i.subject, i.body, i.state,"
    " i.due_date, i.answer, i.extended, i.answer_public, i.created_at, i.answered_at, COALESCE(d.slug, '')"
    " FROM sd_info_requests i JOIN opds o ON o.id = i.opd_id JOIN users u ON u.id = i.requester_id"
    " LEFT JOIN sd_datasets d ON d.id = i.dataset_id";
InfoRequest read_info(db::Query& q) {
    InfoRequest r;
    r.id = q.integer(0);
    r.dataset_id = q.opt_integer(1);
    r.opd_id = q.integer(2);
    r.requester_id = q.integer(3);
    r.opd_name = q.text(4);
    r.requester_name = q.text(5);
    r.subject = q.text(6);
    r.body = q.text(7);
    r.state = q.text(8);
    r.due_date = q.text(9);
    r.answer = q.text(10);
    r.extended = q.integer(11) != 0;
    r.answer_public = q.integer(12) != 0;
    r.created_at = q.integer(13);
    r.answered_at = q.opt_integer(14);
    r.dataset_slug = q.text(15);
    return r;
}
}  // namespace

std::int64_t insert_info_request(db::Connection& c, const InfoRequest& r) {
    return *db::scalar_int(c,
                           "INSERT INTO sd_info_requests (dataset_id, opd_id, requester_id, subject, body, state, due_date,"
                           " created_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id",
                           {r.dataset_id, r.opd_id, r.requester_id, r.subject, r.body, r.due_date, r.created_at});
}

std::optional<InfoRequest> info_request(db::Connection& c, std::int64_t id) {
    db::Query q(c, std::string(kInfoCols) + " WHERE i.id = ?", {id});
    if (!q.next()) return std::nullopt;
    return read_info(q);
}

std::vector<InfoRequest> info_requests(db::Connection& c, std::optional<std::int64_t> opd_id, int limit) {
    std::vector<InfoRequest> out;
    db::Query q(c, std::string(kInfoCols) + " WHERE (? = 0 OR i.opd_id = ?) ORDER BY i.id DESC LIMIT ?",
                {opd_id ? 1 : 0, opd_id.value_or(0), limit});
    while (q.next()) out.push_back(read_info(q));
    return out;
}

bool extend_info_request(db::Connection& c, std::int64_t id, const std::string& due_date) {
    return db::exec(c, "UPDATE sd_info_requests SET due_date = ?, extended = 1 WHERE id = ? AND extended = 0 AND state = 'open'",
                    {due_date, id}) == 1;
}

bool answer_info_request(db::Connection& c, std::int64_t id, const std::string& answer, bool is_public, std::int64_t now) {
    return db::exec(c,
                    "UPDATE sd_info_requests SET answer = ?, answer_public = ?, state = 'answered', answered_at = ?"
                    " WHERE id = ? AND state = 'open'",
                    {answer, is_public, now, id}) == 1;
}

}  // namespace gapura::modules::satudata::store
