// LayananStore: the SQL of the layanan module (named constants, bound parameters only) and the
// mapping of rows to model values. Every function takes the caller's Connection: reads run in
// Database::read, writes inside the service's Database::write transaction (with the audit entry).
// Stateless; thread-safe as long as each Connection is used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db/database.hpp"
#include "core/db/migrator.hpp"
#include "modules/layanan/layanan.hpp"

namespace gapura::modules::layanan::store {

std::vector<core::db::Migration> migrations();

// ---- tickets ----
std::int64_t insert_ticket(core::db::Connection& c, const Ticket& t);
// Writes every mutable column of t (status, assignee, deadlines, pause, breach flags, notes...).
void update_ticket(core::db::Connection& c, const Ticket& t);
std::optional<Ticket> ticket_by_id(core::db::Connection& c, std::int64_t id);
std::optional<Ticket> ticket_by_code(core::db::Connection& c, const std::string& code);
std::int64_t insert_event(core::db::Connection& c, const TicketEvent& e);
std::vector<TicketEvent> events(core::db::Connection& c, std::int64_t ticket_id, bool public_only);

struct QueueFilter {
    std::optional<std::int64_t> opd_id;  // none: every OPD (admins)
    std::string status;                   // a status name, "open", "closed" or "" (all)
    std::string service_code;
    std::optional<std::int64_t> assignee;
    bool breached_only = false;
    std::optional<std::int64_t> asset_id;
    std::optional<std::int64_t> reporter_user_id;
    std::optional<std::int64_t> reporter_opd_id;
    int limit = 50, offset = 0;
    // Only what a list of tickets shows (id, code, service, public, OPD, status, priority, assignee,
    // deadlines, pause and breach flags); the text fields, reporter, location, attributes and
    // photos stay empty. The queue page reads 51 rows per request.
    bool summary_only = false;
};
// Open tickets by next deadline, then closed ones newest first (index order, no sort of the table).
std::vector<Ticket> queue(core::db::Connection& c, const QueueFilter& f);
// The newest public tickets.
std::vector<Ticket> recent_public(core::db::Connection& c, int limit);

// ---- statistics (layanan_stats counters, kept by insert_ticket / update_ticket) ----
struct ServiceStats {
    std::int64_t opd_id = 0;
    std::string opd_slug, opd_name, service_code;
    std::int64_t received = 0, open = 0, resolved = 0, rejected = 0, merged = 0, resolved_in_sla = 0;
    std::int64_t resolve_s = 0;   // sum over resolved tickets of resolved_at − created_at
    std::int64_t responded = 0;   // tickets with a first response
    std::int64_t respond_s = 0;   // sum of first_response_at − created_at
    std::int64_t respond_breaches = 0, resolve_breaches = 0;
    bool operator==(const ServiceStats&) const = default;
};
// The counters of every (OPD, service), or of one OPD's services.
std::vector<ServiceStats> stats(core::db::Connection& c, std::optional<std::int64_t> opd_id);
// The same figures aggregated from the tickets themselves (tests, checks): equal to stats(c, nullopt)
// except for rows whose counters are all zero.
std::vector<ServiceStats> stats_recount(core::db::Connection& c);

// Open311 listing of public tickets.
struct PublicFilter {
    std::vector<std::int64_t> ids;            // overrides the rest when not empty
    std::vector<std::string> service_codes;   // any of
    std::int64_t start = 0, end = 0;          // created_at in [start, end]
    bool want_open = true, want_closed = true;
    int limit = 1000, offset = 0;
};
std::vector<Ticket> public_requests(core::db::Connection& c, const PublicFilter& f);

// Open tickets of a service with a location inside a lat/lng box (duplicate candidates).
std::vector<Ticket> open_near(core::db::Connection& c, const std::string& service_code, double south, double west,
                              double north, double east, int limit);
// Open, unpaused tickets whose next deadline is at or before `until`.
std::vector<Ticket> due_before(core::db::Connection& c, std::int64_t until, int limit);

struct UpdateRow {
    std::int64_t event_id = 0, ticket_id = 0, at = 0;
    std::string kind, status, note;
};
// Public events of public tickets in [start, end], oldest first (by time, then id: stable pages).
std::vector<UpdateRow> public_updates(core::db::Connection& c, std::int64_t start, std::int64_t end, int limit,
                                      int offset = 0);

// ---- escalations ----
// True when this (ticket, deadline, offset) was not recorded yet (and records it now).
bool claim_escalation(core::db::Connection& c, std::int64_t ticket_id, std::int64_t deadline, int offset_h,
                      std::int64_t now);
// Users to escalate to: active operator_opd users of the OPD, else active admins.
std::vector<std::int64_t> escalation_recipients(core::db::Connection& c, std::int64_t opd_id);

// ---- assets ----
std::int64_t insert_asset(core::db::Connection& c, const Asset& a);
void update_asset_status(core::db::Connection& c, std::int64_t id, const std::string& status, std::int64_t now);
std::optional<Asset> asset_by_id(core::db::Connection& c, std::int64_t id);
std::optional<Asset> asset_by_code(core::db::Connection& c, const std::string& code);
std::vector<Asset> assets(core::db::Connection& c, std::optional<std::int64_t> opd_id);
AssetStats asset_stats(core::db::Connection& c, std::int64_t asset_id, std::int64_t now);
struct OpdAssetTotals {
    std::int64_t opd_id = 0;
    std::string opd_name;
    std::int64_t assets = 0, down = 0;
    AssetStats stats;
};
std::vector<OpdAssetTotals> opd_totals(core::db::Connection& c, std::int64_t now);

// ---- API keys ----
std::int64_t insert_api_key(core::db::Connection& c, const std::string& name, const std::string& hash,
                            std::optional<std::int64_t> created_by, std::int64_t now);
// The key's id and name when the hash matches an unrevoked key.
std::optional<ApiKey> api_key_by_hash(core::db::Connection& c, const std::string& hash);
std::vector<ApiKey> api_keys(core::db::Connection& c);
std::int64_t revoke_api_key(core::db::Connection& c, std::int64_t id, std::int64_t now);

// ---- reference ----
std::optional<std::int64_t> opd_id_by_slug(core::db::Connection& c, const std::string& slug);
struct OpdRef {
    std::int64_t id = 0;
    std::string slug, name;
};
std::optional<OpdRef> opd_by_slug(core::db::Connection& c, const std::string& slug);
std::optional<std::pair<std::string, std::string>> opd_of(core::db::Connection& c, std::int64_t id);  // slug, name
struct StaffUser {
    std::int64_t id = 0;
    std::string name, role;
};
std::vector<StaffUser> opd_staff(core::db::Connection& c, std::int64_t opd_id);

}  // namespace gapura::modules::layanan::store
