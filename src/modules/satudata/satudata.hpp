// Satu Data model: datasets with Satu Data metadata (konsep, definisi, klasifikasi, ukuran,
// satuan ...) owned by one OPD, their declared columns and CSV versions, the walidata's Daftar
// Data, government-to-government access requests and public information requests. Plain value
// types; safe to copy between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "modules/satudata/csv_stream.hpp"

namespace gapura::modules::satudata {

// States: draft -> submitted -> returned | verified -> published -> withdrawn.
inline constexpr const char* kDraft = "draft";
inline constexpr const char* kSubmitted = "submitted";
inline constexpr const char* kReturned = "returned";
inline constexpr const char* kVerified = "verified";
inline constexpr const char* kPublished = "published";
inline constexpr const char* kWithdrawn = "withdrawn";

inline const std::vector<std::string>& frequencies() {
    static const std::vector<std::string> v = {"bulanan", "triwulanan", "semesteran", "tahunan", "sekali"};
    return v;
}
inline const std::vector<std::string>& region_levels() {
    static const std::vector<std::string> v = {"kabupaten", "kecamatan", "desa"};
    return v;
}
inline const std::vector<std::string>& visibilities() {
    static const std::vector<std::string> v = {"public", "internal", "restricted"};
    return v;
}
inline const std::vector<std::string>& licenses() {
    static const std::vector<std::string> v = {"CC-BY-4.0", "CC0-1.0", "ODbL-1.0", "other-closed"};
    return v;
}

struct DatasetInput {
    std::string title, slug, description, konsep, definisi, klasifikasi, ukuran, satuan;
    std::string period_start, period_end;  // YYYY, YYYY-MM or YYYY-MM-DD
    std::string frequency = "tahunan", region_level = "kabupaten";
    std::string tags;  // comma separated
    std::string license_id = "CC-BY-4.0";
    std::string contact_name, contact_email;
    std::string visibility = "public";
    std::vector<std::string> access_opds;  // OPD slugs for restricted datasets
    std::string opd_slug;                   // admin only; operators always act for their own OPD
};

struct Dataset {
    std::int64_t id = 0;
    std::string slug, title, description, konsep, definisi, klasifikasi, ukuran, satuan;
    std::string period_start, period_end;
    int year = 0;
    std::string frequency, region_level, license_id, contact_name, contact_email;
    std::vector<std::string> tags;
    std::int64_t opd_id = 0;
    std::string opd_slug, opd_name, opd_abbr;
    std::string visibility;
    std::vector<std::string> access_opds;  // slugs
    std::string state, return_notes, withdraw_reason;
    std::int64_t created_by = 0, created_at = 0, updated_at = 0;
    std::optional<std::int64_t> submitted_at, published_at, published_version_id;
    std::string last_report;  // JSON of the last refused upload, "" when none
    bool publicly_listed() const { return published_version_id.has_value() && state != kWithdrawn; }
};

struct Version {
    std::int64_t id = 0, dataset_id = 0;
    int version_no = 0;
    std::string sha256, filename;
    std::int64_t size = 0, row_count = 0, formula_cells = 0;
    char delimiter = ',';
    std::int64_t created_by = 0, created_at = 0;
};

// Who is looking: decides which datasets exist for them.
struct Viewer {
    std::int64_t user_id = 0;
    bool staff = false;     // any OPD staff: sees internal datasets
    bool all = false;       // walidata and admin: see everything
    std::optional<std::int64_t> opd_id;
};

// Longest search text accepted (characters), on /data and in package_search.
inline constexpr std::size_t kMaxQueryChars = 200;

struct SearchQuery {
    std::string q;
    std::string opd;                // OPD slug
    std::vector<std::string> tags;  // all must match
    std::string format;             // CSV or JSON
    int year = 0;
    std::string level;
    // "score desc, metadata_modified desc" (relevance: bm25 when there is text) or a CKAN sort.
    std::string sort = "metadata_modified desc";
    int rows = 10, start = 0;
    std::vector<std::string> facet_fields;  // which facets to count when asked; empty: all
    int facet_limit = 50;                   // values a facet, -1: all
    // Answers from the public index only: called in the search's read transaction with the index
    // generation and the page's ids, in order; when it returns true the page's rows are not read
    // (SearchResult::results stays empty, SearchResult::page_ids has them). For a caller that keeps
    // what it shows of a dataset per generation (package_search's dicts).
    std::function<bool(std::int64_t gen, const std::vector<std::int64_t>& ids)> page_known;
};

struct SearchResult {
    std::int64_t count = 0;
    std::vector<Dataset> results;
    // field -> [(value, count)] ordered by count desc: organization, tags, res_format, year, region_level
    std::map<std::string, std::vector<std::pair<std::string, std::int64_t>>> facets;
    // The public index generation the answer came from (-1: from the SQL search). Everything a
    // result shows (dataset, OPD, tags) is the same for the same generation.
    std::int64_t index_gen = -1;
    std::vector<std::int64_t> page_ids;  // from the public index: the page's ids, in order
    bool page_from_caller = false;       // SearchQuery::page_known said yes: results is empty
};

struct DaftarInput {
    std::string opd_slug, title, frequency = "tahunan", release_date;  // YYYY-MM-DD
    std::string dataset_slug;  // optional link to the dataset that fulfils it
};

struct DaftarItem {
    std::int64_t id = 0, opd_id = 0;
    std::string opd_slug, opd_name, title, frequency, release_date;
    std::optional<std::int64_t> dataset_id;
    std::string dataset_slug;
    std::optional<std::int64_t> delivered_at;
    // Computed for "today": due, late, delivered, delivered_late.
    std::string status;
    std::int64_t days_late = 0;
};

struct DataRequest {
    std::int64_t id = 0, dataset_id = 0, from_opd_id = 0, owner_opd_id = 0;
    std::string dataset_slug, dataset_title, from_opd_name, owner_opd_name, reason, state, refuse_reason;
    std::optional<std::int64_t> expires_at, decided_at;
    std::int64_t created_at = 0;
};

struct InfoRequest {
    std::int64_t id = 0;
    std::optional<std::int64_t> dataset_id;
    std::int64_t opd_id = 0, requester_id = 0;
    std::string opd_name, requester_name, subject, body, state, due_date, answer, dataset_slug;
    bool extended = false, answer_public = true;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> answered_at;
};

}  // namespace gapura::modules::satudata
