// Who may do what in the layanan module. Every check is about one object: a ticket's owner OPD
// (or, for internal faults, the reporting OPD), an asset's OPD, or the reporter themself.
// Pure functions of the principal and the object; thread-safe.
#pragma once

#include "core/auth/principal.hpp"
#include "modules/layanan/layanan.hpp"

namespace gapura::modules::layanan::policy {

using core::auth::Principal;
using core::auth::Role;

// Roles that work the service desk (admins act for every OPD).
inline bool is_desk(const Principal& p) { return p.is_admin() || p.is(Role::operator_opd) || p.is(Role::teknisi); }

// Assign, change status, notes, ask for information, merge, reject, resolve.
inline bool can_work(const Principal& p, const Ticket& t) { return is_desk(p) && p.acts_for_opd(t.opd_id); }

// The staff view (internal notes, reporter contact): the owner OPD, or the OPD that reported
// an internal fault.
inline bool can_view_internal(const Principal& p, const Ticket& t) {
    return can_work(p, t) || (is_desk(p) && t.reporter_opd_id && p.acts_for_opd(*t.reporter_opd_id));
}

inline bool is_reporter(const Principal& p, const Ticket& t) {
    return t.reporter_user_id && *t.reporter_user_id == p.user_id;
}

// Internal tickets are visible only to the reporter and the staff who may see them.
inline bool can_view(const std::optional<Principal>& p, const Ticket& t) {
    if (t.is_public) return true;
    return p && (is_reporter(*p, t) || can_view_internal(*p, t));
}

// Reporting a fault against an asset: staff of the asset's OPD, or of the guarantor (Diskominfo).
inline bool can_report_fault(const Principal& p, const Asset& a, std::int64_t guarantor_opd) {
    return is_desk(p) && (p.acts_for_opd(a.opd_id) || p.acts_for_opd(guarantor_opd));
}

// The inventory: the guarantor's staff and admins manage it; an OPD's staff see their own assets.
inline bool can_manage_assets(const Principal& p, std::int64_t guarantor_opd) {
    return p.is_admin() || (is_desk(p) && p.acts_for_opd(guarantor_opd));
}
inline bool can_view_asset(const Principal& p, const Asset& a, std::int64_t guarantor_opd) {
    return can_manage_assets(p, guarantor_opd) || (is_desk(p) && p.acts_for_opd(a.opd_id));
}

inline bool can_manage_api_keys(const Principal& p) { return p.is_admin(); }

}  // namespace gapura::modules::layanan::policy
