// SatuDataStore: the SQL of the satudata module, as named constants with bound parameters,
// portable between SQLite and PostgreSQL. Functions take the caller's connection, so a service
// can group several of them (and the audit entry) in one write transaction.
//
// Threads: stateless; a Connection is used by one thread at a time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/db/database.hpp"
#include "core/db/migrator.hpp"
#include "modules/satudata/satudata.hpp"

namespace gapura::modules::satudata::store {

std::vector<core::db::Migration> migrations();
// Version 6 of the module (after the OPD tokens' 5): the fts5vocab view PublicIndex reads.
core::db::Migration search_vocab_migration();

// Datasets.
std::optional<Dataset> dataset_by_id(core::db::Connection& c, std::int64_t id);
std::optional<Dataset> dataset_by_slug(core::db::Connection& c, const std::string& slug);
std::vector<Dataset> datasets_where_state(core::db::Connection& c, const std::vector<std::string>& states, int limit);
std::vector<Dataset> datasets_of_opd(core::db::Connection& c, std::int64_t opd_id, int limit);
std::int64_t insert_dataset(core::db::Connection& c, const Dataset& d, const std::string& search_text);
void update_metadata(core::db::Connection& c, const Dataset& d, const std::string& search_text);
void set_tags(core::db::Connection& c, std::int64_t id, const std::vector<std::string>& tags);
void set_access(core::db::Connection& c, std::int64_t id, const std::vector<std::int64_t>& opd_ids);
// Compare-and-set of the state: false when the dataset was not in `from`.
bool change_state(core::db::Connection& c, std::int64_t id, const std::string& from, const std::string& to,
                  std::int64_t now);
void set_notes(core::db::Connection& c, std::int64_t id, const std::string& return_notes,
               const std::string& withdraw_reason);
void mark_submitted(core::db::Connection& c, std::int64_t id, std::int64_t now);
void mark_published(core::db::Connection& c, std::int64_t id, std::int64_t version_id, std::int64_t now);
void set_last_report(core::db::Connection& c, std::int64_t id, const std::string& json);

// Columns and versions.
std::vector<ColumnSpec> columns(core::db::Connection& c, std::int64_t dataset_id);
void replace_columns(core::db::Connection& c, std::int64_t dataset_id, const std::vector<ColumnSpec>& cols);
std::vector<Version> versions(core::db::Connection& c, std::int64_t dataset_id);
std::vector<std::int64_t> dataset_ids(core::db::Connection& c);
std::optional<Version> version_by_id(core::db::Connection& c, std::int64_t id);
std::int64_t insert_version(core::db::Connection& c, const Version& v);

// The FTS5 query for a visitor's text: at most kMaxSearchWords words, each quoted, the last as a
// prefix; "" when the text has no word. Never FTS5 syntax from the text itself.
inline constexpr std::size_t kMaxSearchWords = 16;
std::string fts_query(std::string_view text);
// The words of fts_query, in order (lower case; the last one is the prefix).
std::vector<std::string> fts_words(std::string_view text);

// What the catalog's count, facets and sort orders need of every dataset anyone may see
// (published, not withdrawn, public), in memory: a search by a viewer who sees only those reads
// just the matching ids from FTS5 (with bm25 when ranked) and counts the facets here, instead of
// joining every match to sd_datasets, opds and sd_tags. Exact: migration 4 keeps a generation
// number (sd_search_gen) that triggers bump in the writer's own transaction on every change to
// sd_datasets, sd_tags or opds; a search reads it in its read transaction and rebuilds the
// snapshot when it differs (once per committed write).
//
// Where the rebuild runs: a PublicIndex made with a Database rebuilds off the request path (one
// build at a time, on its own thread or on the runner given): a search that finds the snapshot
// older than the generation it reads asks for a build and gets no snapshot (current() is null),
// so it is answered by the exact SQL path until the new snapshot is installed; never from a stale
// one. Made without a Database (the store's tests), get() builds in the calling search.
//
// Threads: any; snapshots are immutable and shared, the pointer is swapped under a mutex.
class PublicIndex {
public:
    // Hands a build to a thread; the build itself takes a reader connection from the Database.
    using Runner = std::function<void(std::function<void()>)>;
    PublicIndex() = default;
    // Background builds: on `run` when given, otherwise on a thread of the index's own.
    explicit PublicIndex(core::db::Database& db, Runner run = {});
    ~PublicIndex();
    PublicIndex(const PublicIndex&) = delete;
    PublicIndex& operator=(const PublicIndex&) = delete;

    static constexpr std::uint32_t kNoYear = 0xffffffffu;
    struct Entry {
        std::int64_t id = 0, updated_at = 0, created_at = 0;
        int year = 0;
        std::uint32_t opd = 0, level = 0;  // into Snapshot::opds, Snapshot::levels
        std::uint32_t year_at = kNoYear;   // into Snapshot::years; kNoYear when year <= 0
        std::vector<std::uint32_t> tags;   // into Snapshot::tags
        std::string title, slug;
    };
    // A copy of sd_fts's index, to match and rank a query of ASCII words in memory exactly as
    // FTS5 does (every row of the table, public or not: bm25's row count, average length and
    // document frequencies are over the whole table). Read from FTS5 itself (the fts5vocab
    // 'instance' table, sd_fts_docsize and the averages record), so the documents' tokens are the
    // tokenizer's own. Not usable when sd_fts is not the table migration 3 made (tokenizer, rank).
    // The postings of a prefix that covers several terms, merged (doc ascending, weights summed
    // per doc): made once per snapshot and prefix (search-as-you-type repeats prefixes), bounded.
    struct Merged {
        std::vector<std::uint32_t> doc, weight;
        std::vector<std::uint32_t> dense;  // by doc, as Fts::dense (when long enough)
    };
    struct PrefixCache {
        static constexpr std::size_t kMaxPostings = 4u << 20;  // 32 MB of postings, then start over
        std::mutex m;
        std::unordered_map<std::string, std::shared_ptr<const Merged>> merged;
        std::size_t postings = 0;
    };
    struct Fts {
        bool usable = false;
        std::shared_ptr<PrefixCache> prefixes = std::make_shared<PrefixCache>();
        std::int64_t rows = 0, tokens = 0;      // FTS5's row count and total token count
        std::vector<std::uint32_t> doc_len;     // by doc (sd_fts rows in rowid order): tokens in all columns
        std::vector<std::int32_t> doc_entry;    // doc -> entries index, -1 when not public
        std::vector<std::string> terms;         // sorted (bytewise), as FTS5 stores them
        std::vector<std::uint32_t> term_at;     // postings of terms[i]: [term_at[i], term_at[i + 1])
        std::vector<std::uint32_t> post_doc;    // ascending within a term
        std::vector<std::uint32_t> post_weight; // sum of the rank's column weights over the term's instances
        // For a term in at least 1/8 of the docs: its weight by doc (0 = absent), so intersecting
        // with it is a lookup per doc of the shorter list, not a walk: dense[term_dense[i] + doc].
        static constexpr std::uint32_t kNotDense = 0xffffffffu;
        std::vector<std::uint32_t> term_dense;  // by term: offset into dense, or kNotDense
        std::vector<std::uint32_t> dense;
    };
    struct Snapshot {
        std::int64_t gen = -1;
        std::vector<Entry> entries;  // by id
        std::unordered_map<std::int64_t, std::uint32_t> at;  // id -> entries index
        std::vector<std::string> opds, levels, tags;
        std::vector<int> years;  // the distinct years > 0, newest first (the year facet's order)
        Fts fts;
    };
    // The snapshot for the database state the connection sees; call inside a read transaction.
    // Builds it here when it is not the current one.
    std::shared_ptr<const Snapshot> get(core::db::Connection& c);
    // The same without building on this thread when the index has a Database: null while the
    // snapshot of the generation the connection sees is not built yet (a build is then asked
    // for); the caller answers from SQL.
    std::shared_ptr<const Snapshot> current(core::db::Connection& c);
    bool background() const { return db_ != nullptr; }
    std::uint64_t rebuilds() const { return rebuilds_.load(); }
    // Background builds: asks for one (as a search that found the snapshot stale would) and waits
    // until none is running or asked for (for tests and benches).
    void wait_idle();
    // The public datasets matching `text` (as fts_query), with FTS5's bm25 rank, computed from the
    // snapshot; nullopt when the text must go to FTS5 (non-ASCII words, index not usable). For the
    // exactness tests; search() uses the same code.
    static std::optional<std::vector<std::pair<std::int64_t, double>>> ranked(const Snapshot& s, std::string_view text);

private:
    std::int64_t generation(core::db::Connection& c);
    std::shared_ptr<const Snapshot> build(core::db::Connection& c, std::int64_t gen);
    void install(std::shared_ptr<const Snapshot> s);
    void ask(std::int64_t gen);  // under m_
    void build_pending();        // the background build, until no newer generation is asked for

    std::mutex m_;
    std::condition_variable idle_;
    std::shared_ptr<const Snapshot> snap_;
    std::atomic<std::uint64_t> rebuilds_{0};
    core::db::Database* db_ = nullptr;
    Runner run_;
    std::int64_t wanted_ = -1;  // the newest generation a search saw
    std::int64_t failed_ = -1;  // a build that threw: not asked again for this generation
    bool building_ = false, stop_ = false;
    // The index's own build thread (when no runner was given): runs the jobs handed to it.
    std::thread thread_;
    std::condition_variable jobs_cv_;
    std::vector<std::function<void()>> jobs_;
};

// Search over published datasets the viewer may see (FTS5 over sd_fts, bm25 for relevance). With
// an index, a viewer who sees only public datasets is answered from it (same results).
SearchResult search(core::db::Connection& c, const Viewer& viewer, const SearchQuery& q, std::int64_t now,
                    bool facets, PublicIndex* index = nullptr);
// Whether a published/listed dataset is visible to the viewer (visibility rules only).
bool visible(core::db::Connection& c, const Viewer& viewer, const Dataset& d, std::int64_t now);

// Organisations (OPDs) with the number of datasets the viewer can see.
struct OrgRow {
    std::int64_t id = 0;
    std::string slug, name, abbreviation, kind;
    std::int64_t datasets = 0;
};
std::vector<OrgRow> organizations(core::db::Connection& c, const Viewer& viewer, std::int64_t now);
std::vector<std::pair<std::string, std::int64_t>> tag_counts(core::db::Connection& c, const Viewer& viewer,
                                                              std::int64_t now);
std::optional<std::int64_t> opd_id_by_slug(core::db::Connection& c, const std::string& slug);

// Daftar Data.
std::int64_t insert_daftar(core::db::Connection& c, std::int64_t opd_id, const DaftarInput& in,
                           std::optional<std::int64_t> dataset_id, std::int64_t by, std::int64_t now);
std::vector<DaftarItem> daftar(core::db::Connection& c, std::optional<std::int64_t> opd_id);

// G2G access requests.
std::int64_t insert_data_request(core::db::Connection& c, std::int64_t dataset_id, std::int64_t from_opd,
                                 const std::string& reason, std::int64_t by, std::int64_t now);
std::optional<DataRequest> data_request(core::db::Connection& c, std::int64_t id);
std::vector<DataRequest> data_requests_for_opd(core::db::Connection& c, std::int64_t opd_id);
bool decide_data_request(core::db::Connection& c, std::int64_t id, const std::string& state,
                         std::optional<std::int64_t> expires_at, const std::string& refuse_reason, std::int64_t by,
                         std::int64_t now);
std::vector<std::int64_t> expired_data_requests(core::db::Connection& c, std::int64_t now);
void mark_expired(core::db::Connection& c, std::int64_t id);

// Public information requests.
std::int64_t insert_info_request(core::db::Connection& c, const InfoRequest& r);
std::optional<InfoRequest> info_request(core::db::Connection& c, std::int64_t id);
std::vector<InfoRequest> info_requests(core::db::Connection& c, std::optional<std::int64_t> opd_id, int limit);
bool extend_info_request(core::db::Connection& c, std::int64_t id, const std::string& due_date);
bool answer_info_request(core::db::Connection& c, std::int64_t id, const std::string& answer, bool is_public,
                         std::int64_t now);

}  // namespace gapura::modules::satudata::store
