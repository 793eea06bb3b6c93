// UsulanStore: the SQL of the usulan module, as named constants with bound parameters, and the
// module's migrations (portable: SQLite and PostgreSQL). Functions take the caller's Connection,
// so a service can group several of them in one write transaction with its audit entry.
//
// Threads: stateless; each call uses only the connection it is given (one thread at a time).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db/database.hpp"
#include "core/db/migrator.hpp"
#include "modules/usulan/usulan.hpp"

namespace gapura::modules::usulan::store {

std::vector<core::db::Migration> migrations();

// "Siti Warga" -> "S. W." (first code point of each word); "—" for an empty name.
std::string initials_of(std::string_view name);
// The proposer's name as the public sees it: the full display name, or its initials.
std::string shown_name(core::db::Connection& c, std::int64_t user_id, const std::string& name_display);

struct NewProposal {
    int year = 0;
    std::int64_t user_id = 0;
    std::string title, problem, proposal, bidang, desa_code, kecamatan_code;
    std::optional<double> lat, lng;
    std::string address;
    double volume = 0;
    std::string satuan;
    std::optional<std::int64_t> cost;
    std::string name_display;
    std::int64_t now = 0;
};

std::int64_t insert_proposal(core::db::Connection& c, const NewProposal& p);
// The proposer's amendment: replaces the citizen's fields of a proposal in 'revise' (year, user_id
// and kecamatan_code of `p` are ignored) and sets it back to 'submitted' at the same stage.
// Returns false, writing nothing, when the proposal is not (or no longer) visible and in 'revise'.
bool amend_proposal(core::db::Connection& c, std::int64_t id, const NewProposal& p);
void insert_photo(core::db::Connection& c, std::int64_t proposal_id, const std::string& sha, const std::string& kind,
                  int position, std::int64_t now);
std::optional<Proposal> find_proposal(core::db::Connection& c, std::int64_t id);
ListPage list_proposals(core::db::Connection& c, const ListFilter& f);
// The same filter, only the columns the map shows; newest first, f.limit at most.
MapPage list_points(core::db::Connection& c, const ListFilter& f);
// Every visible proposal of a year and kecamatan (ranking, T-D.4), any order.
std::vector<Proposal> proposals_of(core::db::Connection& c, int year, const std::string& kecamatan_code);

void update_stage(core::db::Connection& c, std::int64_t id, const std::string& stage, const std::string& status,
                  std::optional<int> score, std::optional<std::int64_t> target_opd, const std::string& reason,
                  int reached, std::int64_t now);
void update_outcome(core::db::Connection& c, std::int64_t id, const std::string& status, std::optional<int> score,
                    const std::string& program, const std::string& kegiatan, std::optional<std::int64_t> budget,
                    const std::string& reason, std::int64_t now);
void update_progress(core::db::Connection& c, std::int64_t id, int progress, std::optional<std::int64_t> realised,
                     std::optional<std::int64_t> finished_at, std::int64_t now);
void hide_proposal(core::db::Connection& c, std::int64_t id, const std::string& reason, std::int64_t now);

// true when inserted; false when this account already supports the proposal.
bool insert_support(core::db::Connection& c, std::int64_t proposal_id, std::int64_t user_id, std::int64_t now);
bool delete_support(core::db::Connection& c, std::int64_t proposal_id, std::int64_t user_id);
bool has_support(core::db::Connection& c, std::int64_t proposal_id, std::int64_t user_id);
std::vector<std::int64_t> supporters(core::db::Connection& c, std::int64_t proposal_id);

std::int64_t insert_comment(core::db::Connection& c, std::int64_t proposal_id, std::optional<std::int64_t> parent,
                            std::int64_t user_id, const std::string& body, std::int64_t now);
std::optional<Comment> find_comment(core::db::Connection& c, std::int64_t id);
std::vector<Comment> comments_of(core::db::Connection& c, std::int64_t proposal_id);
bool insert_flag(core::db::Connection& c, std::int64_t comment_id, std::int64_t user_id, const std::string& reason,
                 std::int64_t now);
void hide_comment(core::db::Connection& c, std::int64_t id, const std::string& reason, std::int64_t by,
                  std::int64_t now);

void insert_event(core::db::Connection& c, const Event& e);
std::vector<Event> events_of(core::db::Connection& c, std::int64_t proposal_id);

void upsert_year(core::db::Connection& c, const PlanningYear& y, std::int64_t by);
std::optional<PlanningYear> find_year(core::db::Connection& c, int year);
std::vector<PlanningYear> years(core::db::Connection& c);

void upsert_pagu(core::db::Connection& c, int year, const std::string& kecamatan_code, std::int64_t amount,
                 std::int64_t now);
std::optional<std::int64_t> pagu(core::db::Connection& c, int year, const std::string& kecamatan_code);

struct KecamatanCounts {
    std::string kecamatan_code;
    std::int64_t proposals = 0, supports = 0;
    std::array<std::int64_t, 5> reached{};  // proposals that reached each stage (kStages order)
    std::int64_t accepted = 0;
};
std::vector<KecamatanCounts> participation(core::db::Connection& c, std::optional<int> year);

// The OPD row id for a slug; nullopt when absent.
std::optional<std::int64_t> opd_id(core::db::Connection& c, const std::string& slug);
// The kecamatan office (kind 'kecamatan') whose region is this kecamatan code.
std::optional<std::int64_t> kecamatan_office(core::db::Connection& c, const std::string& kecamatan_code);
// The desa/kelurahan office (kind 'desa' or 'kelurahan') whose region is this village code.
std::optional<std::int64_t> desa_office(core::db::Connection& c, const std::string& desa_code);
struct OpdRow {
    std::int64_t id = 0;
    std::string slug, name, kind;
    std::string region_code;  // "" when none
};
// Active agencies and kecamatan offices (kecamatan last, then by name); no desa/kelurahan offices.
std::vector<OpdRow> opds(core::db::Connection& c);
std::optional<OpdRow> find_opd(core::db::Connection& c, std::int64_t id);
std::string display_name(core::db::Connection& c, std::int64_t user_id);

// Counts used by the demo seed to stay idempotent.
std::int64_t count_proposals(core::db::Connection& c);

}  // namespace gapura::modules::usulan::store
