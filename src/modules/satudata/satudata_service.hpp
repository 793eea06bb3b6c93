// SatuDataService: the use cases of Satu Data, each one function with an explicit Result:
// producing (create/edit a dataset, declare columns, upload a CSV version, submit), verifying
// (return with notes, verify, publish, withdraw with a reason), finding (search, visibility),
// the Daftar Data, G2G access requests and public information requests. Every change is
// written with its audit entry (and notifications) in one write transaction.
//
// Threads: thread-safe (no mutable state besides the database); call from the worker pool.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/calendar/working_calendar.hpp"
#include "core/files/file_store.hpp"
#include "core/http/upload.hpp"
#include "core/module.hpp"
#include "core/util/result.hpp"
#include "modules/satudata/satudata.hpp"
#include "modules/satudata/satudata_store.hpp"

namespace gapura::modules::satudata {

using core::auth::Principal;

struct UploadOutcome {
    bool accepted = false;
    std::optional<Version> version;
    ValidationReport report;
};

// Days since 1970-01-01 for a valid YYYY-MM-DD, nullopt otherwise.
std::optional<std::int64_t> parse_day(std::string_view date);
std::string format_day(std::int64_t days);
// The date `n` working days after `date` on the core working-day calendar (Mon-Fri without
// Indonesian holidays and cuti bersama); `date` itself is not counted.
std::string add_working_days(const core::calendar::WorkingCalendar& cal, const std::string& date, int n);
std::string slugify(std::string_view title);

class SatuDataService {
public:
    // The largest CSV a producer may upload (the one place this limit is set; the upload route's
    // body limit and its 413 message follow it).
    static constexpr std::size_t kMaxUploadBytes = 512u << 20;

    explicit SatuDataService(core::CoreServices s);

    // Producing.
    Result<std::int64_t> create_dataset(const Principal& p, const DatasetInput& in);
    Status update_dataset(const Principal& p, std::int64_t id, const DatasetInput& in);
    Status set_columns(const Principal& p, std::int64_t id, const std::vector<ColumnSpec>& cols);
    // Validates while feeding the bytes in chunks; stores the file and a new version only when
    // the whole file is valid. A refused file leaves only its report on the dataset.
    Result<UploadOutcome> upload(const Principal& p, std::int64_t id, const std::string& filename, std::string_view bytes);
    // The same in steps, for a file streamed to disk while it arrives: upload_columns() says
    // whether this principal may upload to the dataset now (before any byte is read) and gives
    // the columns for validator(); the validator is fed each chunk as it arrives; then
    // upload_spooled() records the outcome (checking the permission again) and adopts the temp
    // file into the file store only when the whole file is valid (else only the report is kept
    // and the temp file is left to its owner, who removes it).
    Result<std::vector<ColumnSpec>> upload_columns(const Principal& p, std::int64_t id);
    std::unique_ptr<CsvValidator> validator(std::vector<ColumnSpec> cols) const;
    Result<UploadOutcome> upload_spooled(const Principal& p, std::int64_t id, ValidationReport report,
                                         core::http::SpooledFile& file);
    Status submit(const Principal& p, std::int64_t id);

    // Verifying (walidata).
    Status return_to_producer(const Principal& p, std::int64_t id, const std::string& notes);
    Status verify(const Principal& p, std::int64_t id);
    Status publish(const Principal& p, std::int64_t id);
    Status withdraw(const Principal& p, std::int64_t id, const std::string& reason);

    // Reading.
    std::optional<Dataset> find(std::int64_t id);
    std::optional<Dataset> find_slug(const std::string& slug);
    // The dataset when this principal may see it (published and visible, or its producer/walidata).
    Result<Dataset> viewable(const std::optional<Principal>& p, const std::string& slug_or_id);
    // The same for a viewer without producer rights (an OPD API token): published and visible only.
    Result<Dataset> viewable(const Viewer& v, const std::string& slug_or_id);
    // Published and visible to the viewer (the catalog and the CKAN API).
    bool listed_for(const std::optional<Principal>& p, const Dataset& d);
    std::vector<ColumnSpec> columns(std::int64_t id);
    std::vector<Version> versions(std::int64_t id);
    std::vector<std::int64_t> dataset_ids();  // every dataset, any state
    // Versions the principal may download: all for producers/walidata, up to the published one otherwise.
    std::vector<Version> visible_versions(const std::optional<Principal>& p, const Dataset& d);
    std::optional<Version> version_by_id(std::int64_t id);
    SearchResult search(const std::optional<Principal>& p, const SearchQuery& q, bool facets = true);
    SearchResult search(const Viewer& v, const SearchQuery& q, bool facets = true);
    std::vector<Dataset> for_opd(std::int64_t opd_id);
    std::vector<Dataset> desk_queue();

    // Daftar Data.
    Result<std::int64_t> add_daftar(const Principal& p, const DaftarInput& in);
    std::vector<DaftarItem> daftar(std::optional<std::int64_t> opd_id = std::nullopt);

    // G2G access to restricted datasets.
    Result<std::int64_t> request_access(const Principal& p, std::int64_t dataset_id, const std::string& reason);
    Status approve_access(const Principal& p, std::int64_t request_id, const std::string& until_date);
    Status refuse_access(const Principal& p, std::int64_t request_id, const std::string& reason);
    std::vector<DataRequest> access_requests(std::int64_t opd_id);
    int expire_access();  // job: closes approvals past their expiry (audited)

    // Public information requests.
    Result<std::int64_t> ask_information(const Principal& p, const std::string& dataset_slug, const std::string& opd_slug,
                                         const std::string& subject, const std::string& body);
    Status extend_information(const Principal& p, std::int64_t id);
    Status answer_information(const Principal& p, std::int64_t id, const std::string& answer, bool names_person);
    std::optional<InfoRequest> information(std::int64_t id);
    std::vector<InfoRequest> information_requests(std::optional<std::int64_t> opd_id, int limit = 100);

    bool region_exists(std::string_view code) const { return regions_.count(std::string(code)) > 0; }
    std::string today() const;
    // Deadlines of public information requests: `n` working days after `date`.
    std::string working_days_after(const std::string& date, int n) const { return add_working_days(calendar_, date, n); }

private:
    Result<Dataset> visible_as(const Viewer& viewer, Dataset d);
    Result<UploadOutcome> record_upload(const Principal& p, std::int64_t id, const std::string& filename,
                                        ValidationReport report,
                                        const std::function<Result<core::files::StoredFile>()>& store_file);
    Result<Dataset> check_input(const Principal& p, const DatasetInput& in, std::int64_t opd_id);
    Status transition(const Principal& p, std::int64_t id, const char* from, const char* to, const char* action,
                      const std::string& note);

    core::CoreServices s_;
    std::unordered_set<std::string> regions_;
    core::calendar::WorkingCalendar calendar_;
    // What anonymous and other public-only searches read instead of joining every match (exact:
    // rebuilt off the request path when the database's sd_search_gen moves; SQL answers meanwhile).
    std::shared_ptr<store::PublicIndex> index_;
};

}  // namespace gapura::modules::satudata
