// Who may do what in Satu Data. Producers are OPD operators (and the walidata for Diskominfo's
// own data) acting for the dataset's OPD; the walidata (and admin) verifies, publishes and
// withdraws for everyone; visibility of published data is decided by store::visible().
// Pure functions of the principal and the object; thread-safe.
#pragma once

#include <optional>

#include "core/auth/principal.hpp"
#include "modules/satudata/satudata.hpp"

namespace gapura::modules::satudata::policy {

using core::auth::Principal;
using core::auth::Role;

inline bool is_walidata(const Principal& p) { return p.is(Role::walidata) || p.is_admin(); }

// Creates, edits, uploads and submits datasets of `opd`.
inline bool can_produce(const Principal& p, std::int64_t opd) {
    if (p.is_admin()) return true;
    return (p.is(Role::operator_opd) || p.is(Role::walidata)) && p.acts_for_opd(opd);
}

// Sees a dataset in every state (producer pages, walidata desk).
inline bool can_see_unpublished(const Principal& p, const Dataset& d) { return is_walidata(p) || can_produce(p, d.opd_id); }

// Answers G2G access requests and public information requests addressed to `opd`.
inline bool can_answer_for(const Principal& p, std::int64_t opd) { return can_produce(p, opd); }

inline Viewer viewer_of(const std::optional<Principal>& p) {
    Viewer v;
    if (!p) return v;
    v.user_id = p->user_id;
    v.staff = core::auth::is_staff(p->role) && p->opd_id.has_value();
    v.all = is_walidata(*p);
    if (core::auth::is_staff(p->role)) v.opd_id = p->opd_id;
    return v;
}

}  // namespace gapura::modules::satudata::policy
