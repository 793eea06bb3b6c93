// Who may do what with proposals. Every check takes the principal and the OPD ids that matter
// for the object at hand (looked up by the service from the database), so a rule is decided per
// object, never per role alone:
// - citizens (warga, pelaku_usaha) submit; any signed-in account supports, comments and flags;
// - the proposer alone amends their proposal, and only while an operator has sent it back for
//   revision (status 'revise'); not an admin, not an operator;
// - the desa/kelurahan office (an operator_opd whose OPD has kind 'desa' or 'kelurahan' and
//   region_code = the proposal's desa code) decides at the desa stage, and moderates (hides
//   proposals and comments of) its own village's proposals, since it runs the village's forum;
// - the kecamatan office (an operator_opd whose OPD has kind 'kecamatan' and region_code = the
//   proposal's kecamatan) decides at the kecamatan stage, and also at the desa stage as the
//   facilitator of a desa forum whose own operator does not act (no account yet, or absent);
//   it moderates all proposals of its kecamatan;
// - the target OPD's operator decides at the OPD forum stage and reports progress;
// - the planning agency's operator (Bapperida, regency.planning_opd) opens planning years, sets the
//   pagu indikatif, decides at the kabupaten stage, and moderates and reports progress everywhere;
// - admins may do all of it.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/auth/principal.hpp"
#include "modules/usulan/usulan.hpp"

namespace gapura::modules::usulan::policy {

using core::auth::Principal;
using core::auth::Role;

// The OPDs responsible for one proposal (ids in `opds`; empty when unknown).
struct Offices {
    std::optional<std::int64_t> desa_office;
    std::optional<std::int64_t> kecamatan_office;
    std::optional<std::int64_t> planning;
    std::optional<std::int64_t> target;
};

inline bool operator_of(const Principal& p, const std::optional<std::int64_t>& opd) {
    if (p.is_admin()) return true;
    return p.is(Role::operator_opd) && opd && p.acts_for_opd(*opd);
}

inline bool may_submit(const Principal& p) { return p.is(Role::warga) || p.is(Role::pelaku_usaha); }

// The proposer, whatever their role now; the state rule (status 'revise') is the service's.
inline bool may_amend(const Principal& p, const Proposal& pr) { return p.user_id > 0 && p.user_id == pr.user_id; }

inline bool may_plan(const Principal& p, const Offices& o) { return operator_of(p, o.planning); }

// The operator responsible for the proposal's current stage.
inline bool may_decide(const Principal& p, const Proposal& pr, const Offices& o) {
    if (pr.stage == "desa") return operator_of(p, o.desa_office) || operator_of(p, o.kecamatan_office);
    if (pr.stage == "kecamatan") return operator_of(p, o.kecamatan_office);
    if (pr.stage == "opd") return operator_of(p, o.target);
    if (pr.stage == "kabupaten") return operator_of(p, o.planning);
    return false;
}

inline bool may_report_progress(const Principal& p, const Offices& o) {
    return operator_of(p, o.target) || operator_of(p, o.planning);
}

inline bool may_moderate(const Principal& p, const Offices& o) {
    return operator_of(p, o.desa_office) || operator_of(p, o.kecamatan_office) || operator_of(p, o.planning);
}

// Kinds of the `opds` rows that are area offices (not agencies): never a proposal's target OPD.
inline bool is_area_office(std::string_view kind) {
    return kind == "kecamatan" || kind == "desa" || kind == "kelurahan";
}
inline bool is_village_office(std::string_view kind) { return kind == "desa" || kind == "kelurahan"; }

}  // namespace gapura::modules::usulan::policy
