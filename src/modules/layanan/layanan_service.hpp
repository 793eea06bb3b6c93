// LayananService: the use cases of the service desk. Each state change runs in one write
// transaction together with its timeline event and its audit entry, so nothing is half-written
// and nothing is lost (tickets are never deleted). Deadlines come from the WorkingCalendar:
// respond_due (first response: verify and route) and resolve_due, per service and priority;
// "pending" (waiting for the reporter) pauses the clock and the deadlines move by the working
// time spent paused. run_sla() (a scheduler job, injected clock) flags breaches and notifies
// the OPD's head at the catalog's offsets before each deadline.
//
// Threads: stateless apart from const references; call from worker threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit/audit_log.hpp"
#include "core/auth/principal.hpp"
#include "core/calendar/working_calendar.hpp"
#include "core/module.hpp"
#include "core/util/result.hpp"
#include "modules/layanan/catalog.hpp"
#include "modules/layanan/layanan.hpp"
#include "modules/layanan/layanan_store.hpp"

namespace gapura::modules::layanan {

using core::auth::Principal;

constexpr std::size_t kMaxDescription = 4000;  // code points (Open311)
constexpr std::size_t kMaxMediaUrl = 2000;     // characters of an Open311 media_url
constexpr std::size_t kMaxPhotoBytes = 5 << 20;  // one photo (web form) or Open311 media file
constexpr std::int64_t kReopenWindow = 30 * 86400;
constexpr double kDuplicateRadiusM = 100.0;
extern const char* const kGuarantorOpd;  // "diskominfo-sp": guarantees the infrastructure

struct NewReport {
    std::string service_code;
    std::string description;
    std::string address;       // free text (Open311 address_string)
    std::string address_id;    // Open311 address_id
    std::string village_code;  // desa/kelurahan code (required on the web form)
    std::optional<double> lat, lng;
    std::map<std::string, std::vector<std::string>> attributes;
    std::string priority = "normal";
    std::string reporter_name, reporter_email, reporter_phone;
    bool hide_name = false;
    std::vector<std::string> photos;  // sha256 of files already in the FileStore
    std::string media_url;            // Open311: a link to a photo elsewhere (http/https, ≤ 2,000 characters)
    std::optional<std::int64_t> asset_id;
    std::string channel = "web";   // web, open311, staff
    bool web_form = true;          // desa + address + description required
};

// Haversine distance in metres.
double distance_m(double lat1, double lng1, double lat2, double lng2);

// One coordinate as a client typed it (Open311 lat/long, the web form's lat/long): surrounding
// blanks are ignored; empty is "no value"; otherwise a finite decimal number (std::from_chars
// syntax, at most 40 characters) within -90..90 for a latitude or -180..180 for a longitude.
// Both entry points use this one check and word the problem in their own messages. Whether the
// point lies inside the regency is LayananService::validate's concern.
struct Coordinate {
    enum class Problem { none, not_number, out_of_range };
    std::optional<double> value;  // set only when problem == none and the text was not empty
    Problem problem = Problem::none;
};
Coordinate parse_coordinate(std::string_view text, bool latitude);

class LayananService {
public:
    LayananService(const core::CoreServices& s, const Catalog& catalog, const core::calendar::WorkingCalendar& cal);

    const Catalog& catalog() const { return catalog_; }
    const core::calendar::WorkingCalendar& calendar() const { return cal_; }

    // Validation only (no writes): field errors for every problem found.
    Status validate(const NewReport& in, bool internal) const;

    // A public report from a signed-in citizen (web) or an Open311 client (no principal).
    Result<Ticket> submit_report(const NewReport& in, const std::optional<Principal>& who, const core::audit::Actor& actor);
    // submit_report without waiting for the commit (the Open311 POST, answered from the I/O
    // thread): a validation error is returned at once; otherwise the report joins the next group
    // commit and done() runs on the committing thread once it is on disk, or with the error that
    // rolled it back (core/db Database::write_async: keep done() short).
    using ReportDone = std::function<void(core::db::Outcome<Result<Ticket>>)>;
    Status submit_report_async(const NewReport& in, const std::optional<Principal>& who, const core::audit::Actor& actor,
                               ReportDone done);
    // An internal fault against an asset, by an OPD's staff.
    Result<Ticket> report_fault(const Principal& who, NewReport in);

    // Staff actions (policy: can_work). Notes are trimmed; public ones show on the tracking page.
    Status assign(const Principal& who, std::int64_t id, std::int64_t assignee_id, const std::string& note);
    Status change_status(const Principal& who, std::int64_t id, const std::string& status, const std::string& note,
                         bool public_note);
    Status request_info(const Principal& who, std::int64_t id, const std::string& question);
    Status merge(const Principal& who, std::int64_t id, std::int64_t into_id);
    Status reject(const Principal& who, std::int64_t id, const std::string& reason);
    Status resolve(const Principal& who, std::int64_t id, const std::string& note);
    // Reporter actions.
    Status provide_info(const Principal& who, const std::string& code, const std::string& answer);
    Status reopen(const Principal& who, const std::string& code, const std::string& reason);

    // Flags breaches and sends escalations due at `now`; returns notifications sent.
    int run_sla(std::int64_t now);

    // Reads.
    std::optional<Ticket> get(std::int64_t id);
    std::optional<Ticket> by_code(const std::string& code);
    std::vector<TicketEvent> timeline(std::int64_t id, bool public_only);
    std::vector<Ticket> queue(const store::QueueFilter& f);
    std::vector<Ticket> recent_public(int limit);
    std::vector<store::ServiceStats> stats(std::optional<std::int64_t> opd_id);
    std::optional<std::int64_t> opd_id_by_slug(const std::string& slug);
    // Open reports of the same service within 100 m (not t itself).
    std::vector<Ticket> duplicates(const Ticket& t);
    std::vector<store::StaffUser> staff_of(std::int64_t opd_id);

    // Assets.
    Result<std::int64_t> add_asset(const Principal& who, Asset a);
    std::optional<Asset> asset(std::int64_t id);
    std::vector<Asset> assets(std::optional<std::int64_t> opd_id);
    AssetStats asset_stats(std::int64_t id);
    std::vector<store::OpdAssetTotals> opd_totals();
    std::int64_t guarantor_opd_id();

    // Open311 API keys (raw key shown once; only its SHA-256 is stored).
    Result<std::string> create_api_key(const core::audit::Actor& actor, const std::string& name);
    std::optional<ApiKey> check_api_key(const std::string& raw);
    // check_api_key from memory only: the key when it was checked valid within kKeyCacheSeconds;
    // nullopt means "not known here" (ask check_api_key).
    std::optional<ApiKey> cached_api_key(const std::string& raw);
    Status revoke_api_key(const Principal& who, std::int64_t id);
    std::vector<ApiKey> api_keys();

    // Deadline of a target counted from `from`.
    std::int64_t deadline(std::int64_t from, const SlaTarget& t) const;

    // How long a valid Open311 key is trusted without asking the database again.
    static constexpr std::int64_t kKeyCacheSeconds = 30;

private:
    template <class F>
    Status act(const Principal& who, std::int64_t id, F&& fn);
    void record(core::db::Connection& c, Ticket& t, const core::audit::Actor& actor, std::optional<std::int64_t> user_id,
                const std::string& kind, const std::string& note, bool is_public, std::int64_t now);
    void resume(Ticket& t, std::int64_t now) const;
    void first_response(Ticket& t, std::int64_t now) const;
    Result<Ticket> create(const NewReport& in, const Service& svc, std::optional<std::int64_t> reporter_opd,
                          std::optional<std::int64_t> reporter_user, const core::audit::Actor& actor);
    // A new ticket with everything that needs no database worked out (the write runs in a group
    // commit, one job after the other: work done inside it holds up every report in the group).
    struct PreparedReport {
        Ticket ticket;
        TicketEvent event;
        std::string opd_slug, action, audit_summary;
        core::audit::Actor actor;
        std::int64_t now = 0;
    };
    PreparedReport prepare(const NewReport& in, const Service& svc, std::optional<std::int64_t> reporter_opd,
                           std::optional<std::int64_t> reporter_user, const core::audit::Actor& actor) const;
    Result<Ticket> write_report(core::db::Connection& c, const PreparedReport& p) const;
    // A public report validated and prepared (submit_report and its async twin).
    Result<PreparedReport> prepare_public(const NewReport& in, const std::optional<Principal>& who,
                                          const core::audit::Actor& actor) const;

    core::CoreServices s_;
    const Catalog& catalog_;
    const core::calendar::WorkingCalendar& cal_;
    // Valid Open311 keys seen recently, by hash: an Open311 client sends its key with every report,
    // and the lookup was a read transaction of its own. Revoking a key in this process clears it;
    // an entry lives kKeyCacheSeconds at most (a key revoked by another process).
    static constexpr std::size_t kKeyCacheMax = 1000;
    struct KeyCache {
        std::mutex mu;
        std::unordered_map<std::string, std::pair<ApiKey, std::int64_t>> by_hash;  // key, cached at
        std::uint64_t generation = 0;  // bumped by every revocation
    };
    std::shared_ptr<KeyCache> keys_ = std::make_shared<KeyCache>();
    // The OPD of each service, by slug, as the writes found it: OPDs are reference data (written
    // by `gapura seed`, never changed by the server), and a report's write looked it up each time.
    struct OpdCache {
        std::mutex mu;
        std::unordered_map<std::string, store::OpdRef> by_slug;
    };
    std::shared_ptr<OpdCache> opds_ = std::make_shared<OpdCache>();
};

// For the CLI (`gapura open311 key add --name NAME`): creates an API key, audited as "cli",
// and returns the raw key (print it once; it cannot be shown again).
Result<std::string> create_api_key(core::db::Database& db, core::audit::AuditLog& audit, const Clock& clock,
                                   const std::string& name);

}  // namespace gapura::modules::layanan
