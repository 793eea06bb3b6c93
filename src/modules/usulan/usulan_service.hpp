// UsulanService: the use cases of development proposals. Each state change checks its input, asks
// the policy whether this principal may do it to this object, and writes the change, its public
// timeline event, its audit entry and the notifications in one write transaction; nothing is
// half-written when a check fails. Photos are checked (count, size, sniffed type) before any is
// stored; they are stored before the proposal's transaction (content-addressed, so a later
// failure leaves at most an unreferenced blob).
//
// Threads: thread-safe (the only mutable state besides the database is the in-memory OPD list,
// behind a mutex); blocking, so call it from the worker pool. Time comes from the injected Clock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/audit/audit_log.hpp"
#include "core/auth/principal.hpp"
#include "core/db/database.hpp"
#include "core/files/file_store.hpp"
#include "core/jobs/notifier.hpp"
#include "core/region/regency.hpp"
#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/web/i18n.hpp"
#include "modules/usulan/usulan.hpp"
#include "modules/usulan/usulan_policy.hpp"
#include "modules/usulan/usulan_store.hpp"

namespace gapura::modules::usulan {

using core::auth::Principal;

struct ProposalInput {
    std::string title, problem, proposal, bidang, desa_code, address, satuan;
    std::string name_display = "full";  // full | initials
    std::optional<double> lat, lng, volume, cost;
    std::optional<int> year;  // the open planning year when empty
    // Fields the caller could not parse (e.g. "abc" as a number); reported with the rest.
    std::vector<FieldError> parse_errors;
};

struct PhotoUpload {
    std::string filename;
    std::string data;
};

struct YearInput {
    int year = 0;
    std::array<std::int64_t, 5> start{}, end{};  // kWindows order, unix seconds, inclusive
};

struct DecisionInput {
    std::string decision;  // forward | revise | reject
    std::string note, reason, target_opd_slug, program, kegiatan;
    std::optional<int> score;       // 0..100
    std::optional<double> budget;   // rupiah, kabupaten forward only
    std::vector<FieldError> parse_errors;
};

struct ProgressInput {
    std::optional<int> progress;  // 0..100
    std::optional<double> realised_cost;
    std::optional<std::int64_t> finished_at;
    std::vector<FieldError> parse_errors;
};

struct Ranking {
    std::vector<Proposal> items;  // ranked: score desc, supports desc, id asc
    std::optional<std::int64_t> pagu;
};

class UsulanService {
public:
    UsulanService(core::db::Database& db, core::audit::AuditLog& audit, const Clock& clock,
                  const core::region::Regency& regency, core::files::FileStore& files, core::jobs::Notifier& notifier,
                  const core::web::I18n& i18n, std::vector<Bidang> bidang);

    Result<std::int64_t> submit(const Principal& who, const ProposalInput& in, const std::vector<PhotoUpload>& photos);
    // The proposer answers a request for revision: the fields are checked exactly as on submission
    // (same messages), the desa must stay in the proposal's kecamatan (the same forum decides again)
    // and the year cannot change; an empty name_display keeps the current choice. Photos are added
    // to the existing ones (at most kMaxPhotos in all). The proposal goes back to 'submitted' at the
    // same stage, with a public "amended" event, an audit entry (before/after of what changed) and a
    // notification to the supporters. Refused: not found/hidden (404), not the proposer (403), not
    // in 'revise' (409), bad fields (422); nothing is written then.
    Status amend(const Principal& who, std::int64_t id, const ProposalInput& in,
                 const std::vector<PhotoUpload>& photos);
    // Whether `who` may amend `p` now: ok, or the error amend() would answer (403 / 409).
    Status amendable(const Principal& who, const Proposal& p) const;
    Status support(const Principal& who, std::int64_t id);
    Status withdraw_support(const Principal& who, std::int64_t id);
    Result<std::int64_t> comment(const Principal& who, std::int64_t id, std::optional<std::int64_t> parent,
                                 const std::string& body);
    Status flag_comment(const Principal& who, std::int64_t comment_id, const std::string& reason);
    Status hide_comment(const Principal& who, std::int64_t comment_id, const std::string& reason);
    Status hide_proposal(const Principal& who, std::int64_t id, const std::string& reason);
    Status open_year(const Principal& who, const YearInput& in);
    Status decide(const Principal& who, std::int64_t id, const DecisionInput& in);
    Status report_progress(const Principal& who, std::int64_t id, const ProgressInput& in,
                           const std::vector<PhotoUpload>& photos);
    Status set_pagu(const Principal& who, int year, const std::string& kecamatan_code, std::optional<double> amount);

    // Reads.
    std::optional<Proposal> get(std::int64_t id);
    ListPage list(ListFilter f);
    MapPage points(ListFilter f);
    std::vector<Comment> comments(std::int64_t id);
    std::vector<Event> timeline(std::int64_t id);
    std::vector<PlanningYear> years();
    std::optional<PlanningYear> year(int y);
    // The year whose citizens' window is open now (the latest if several), else none.
    std::optional<PlanningYear> submission_year();
    // The year pages default to: the submission year, else the latest year, else none.
    std::optional<PlanningYear> default_year();
    Ranking ranking(int year, const std::string& kecamatan_code);
    std::vector<store::KecamatanCounts> participation(std::optional<int> year);
    bool supports(std::int64_t id, std::int64_t user_id);
    policy::Offices offices_for(const Proposal& p);
    // Active agencies and kecamatan offices, for the target-OPD choice (no desa/kelurahan offices).
    // Reference data: OPDs are written only by `gapura seed` (region::load_reference_data), so the
    // list is read from the database once and then served from memory (list pages and every
    // filter check ask for it). An empty list (a database not seeded yet) is not kept, so a seed
    // run after start-up still shows; reload_opds() drops the copy (after an in-process seed).
    // Hold the returned pointer while iterating (`for (o : *svc.opds())` would dangle).
    using OpdList = std::shared_ptr<const std::vector<store::OpdRow>>;
    OpdList opds();
    void reload_opds();
    // The operator's work queue: what waits for their decision (status 'submitted'), as one list
    // filter per stage they decide. A desa/kelurahan office: its village at the desa stage; a
    // kecamatan office: its kecamatan at the desa and at the kecamatan stage; Bapperida: the
    // kabupaten stage; and every agency (not a kecamatan or village office): what is addressed to
    // it at the OPD forum stage. Empty for everyone else (admins could decide everything, so they have no queue).
    std::vector<ListFilter> work_queue(const Principal& who);
    std::int64_t count();

    const std::vector<Bidang>& bidang() const { return bidang_; }
    const Bidang* find_bidang(std::string_view code) const;
    const core::region::Regency& regency() const { return regency_; }

private:
    // The citizen's fields after the submission rules: trimmed texts and the desa (null when the
    // desa is unknown). Each broken rule is appended to `errs`.
    struct CheckedFields {
        std::string title, problem, proposal, address, satuan;
        const core::region::Village* village = nullptr;
    };
    CheckedFields check_fields(const ProposalInput& in, std::vector<FieldError>& errs) const;
    // `existing`: photos the proposal already has (they count against kMaxPhotos).
    Status check_photos(const std::vector<PhotoUpload>& photos, std::vector<FieldError>& errs,
                        std::size_t existing = 0) const;
    Result<std::vector<std::string>> store_photos(const std::vector<PhotoUpload>& photos, std::int64_t user_id);
    policy::Offices offices(core::db::Connection& c, const Proposal& p);
    std::string actor_label(core::db::Connection& c, const Principal& who);
    void notify_moved(core::db::Connection& c, const Proposal& p, const std::string& what, bool to_proposer = true);

    core::db::Database& db_;
    core::audit::AuditLog& audit_;
    const Clock& clock_;
    const core::region::Regency& regency_;
    core::files::FileStore& files_;
    core::jobs::Notifier& notifier_;
    const core::web::I18n& i18n_;
    std::vector<Bidang> bidang_;
    std::mutex opds_mutex_;
    OpdList opds_;  // null until read (and while the database has none)
};

// Reads src/modules/usulan/data/bidang.csv (code,name_id,name_en). Throws std::runtime_error
// naming the file when it is missing or malformed.
std::vector<Bidang> load_bidang(const std::string& path);

}  // namespace gapura::modules::usulan
