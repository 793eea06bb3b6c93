#include "modules/layanan/layanan_store.hpp"

#include <boost/json.hpp>

namespace gapura::modules::layanan::store {

using core::db::Connection;
using core::db::Query;
using core::db::Value;

namespace {

constexpr const char* kTicketColumns =
    "SELECT t.id, t.code, t.service_code, t.is_public, t.opd_id, o.slug, o.name, t.reporter_opd_id, t.status,"
    " t.priority, t.description, t.address, COALESCE(t.village_code, ''), COALESCE(r.name, ''), t.lat, t.lng,"
    " t.reporter_user_id, t.reporter_name, t.reporter_email, t.reporter_phone, t.hide_name, t.asset_id,"
    " t.assignee_user_id, COALESCE(u.display_name, ''), t.channel, t.merged_into, t.attributes, t.photos,"
    " t.created_at, t.updated_at, t.first_response_at, t.respond_due, t.resolve_due, t.paused_at, t.resolved_at,"
    " t.respond_breached, t.resolve_breached, t.status_note, t.media_url"
    " FROM layanan_tickets t JOIN opds o ON o.id = t.opd_id LEFT JOIN regions r ON r.code = t.village_code"
    " LEFT JOIN users u ON u.id = t.assignee_user_id ";

// The columns of a queue row (QueueFilter::summary_only), read by summary_from, in the query that
// walks the index: id and next_due first (the ORDER BY of both parts is by position). CROSS JOIN
// keeps the tickets the outer loop in SQLite (the planner could otherwise start from opds, and
// sort), and the OPD and assignee are one rowid lookup each per row.
constexpr const char* kSummaryInQueue =
    "SELECT t.id, t.next_due, t.code, t.service_code, t.is_public, t.opd_id, o.slug, o.name, t.status, t.priority,"
    " t.assignee_user_id, COALESCE(u.display_name, ''), t.first_response_at, t.respond_due, t.resolve_due,"
    " t.paused_at, t.respond_breached, t.resolve_breached"
    " FROM layanan_tickets t CROSS JOIN opds o LEFT JOIN users u ON u.id = t.assignee_user_id WHERE o.id = t.opd_id AND ";

constexpr const char* kInsertTicket =
    "INSERT INTO layanan_tickets (code, service_code, is_public, opd_id, reporter_opd_id, status, priority,"
    " description, address, village_code, lat, lng, reporter_user_id, reporter_name, reporter_email, reporter_phone,"
    " hide_name, asset_id, assignee_user_id, channel, api_key_id, merged_into, attributes, photos, status_note,"
    " created_at, updated_at, first_response_at, respond_due, resolve_due, next_due, paused_at, resolved_at,"
    " respond_breached, resolve_breached, media_url)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " RETURNING id";

constexpr const char* kUpdateTicket =
    "UPDATE layanan_tickets SET opd_id = ?, status = ?, priority = ?, assignee_user_id = ?, merged_into = ?,"
    " status_note = ?, updated_at = ?, first_response_at = ?, respond_due = ?, resolve_due = ?, next_due = ?,"
    " paused_at = ?, resolved_at = ?, respond_breached = ?, resolve_breached = ? WHERE id = ?";

constexpr const char* kInsertEvent =
    "INSERT INTO layanan_events (ticket_id, at, actor_user_id, actor_label, kind, status, note, is_public)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kEvents =
    "SELECT id, ticket_id, at, actor_user_id, actor_label, kind, status, note, is_public FROM layanan_events"
    " WHERE ticket_id = ? AND (is_public = 1 OR ? = 0) ORDER BY id";
constexpr const char* kPublicUpdates =
    "SELECT e.id, e.ticket_id, e.at, e.kind, e.status, e.note FROM layanan_events e"
    " JOIN layanan_tickets t ON t.id = e.ticket_id"
    " WHERE t.is_public = 1 AND e.is_public = 1 AND e.at >= ? AND e.at <= ? ORDER BY e.at, e.id LIMIT ? OFFSET ?";

constexpr const char* kClaimEscalation =
    "INSERT INTO layanan_escalations (ticket_id, deadline, offset_h, sent_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (ticket_id, deadline, offset_h) DO NOTHING";
constexpr const char* kHeads =
    "SELECT id FROM users WHERE role = 'operator_opd' AND opd_id = ? AND disabled_at IS NULL ORDER BY id";
constexpr const char* kAdmins = "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id";

constexpr const char* kAssetColumns =
    "SELECT a.id, a.code, a.opd_id, o.slug, o.name, a.kind, a.name, a.location, a.serial, a.installed_on, a.status,"
    " a.created_at FROM layanan_assets a JOIN opds o ON o.id = a.opd_id ";
constexpr const char* kInsertAsset =
    "INSERT INTO layanan_assets (code, opd_id, kind, name, location, serial, installed_on, status, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kAssetStatus = "UPDATE layanan_assets SET status = ?, updated_at = ? WHERE id = ?";
// Incidents of an asset: merged duplicates and rejected reports are not downtime.
constexpr const char* kAssetStats =
    "SELECT COUNT(*),"
    " COALESCE(SUM(CASE WHEN resolved_at IS NULL THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(COALESCE(resolved_at, ?) - created_at), 0),"
    " COALESCE(SUM(CASE WHEN resolved_at IS NOT NULL THEN resolved_at - created_at ELSE 0 END), 0)"
    " FROM layanan_tickets WHERE asset_id = ? AND status NOT IN ('merged', 'rejected')";
constexpr const char* kOpdTotals =
    "SELECT o.id, o.name, COUNT(DISTINCT a.id), COUNT(DISTINCT CASE WHEN a.status = 'down' THEN a.id END),"
    " COUNT(t.id), COALESCE(SUM(CASE WHEN t.id IS NOT NULL AND t.resolved_at IS NULL THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN t.resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN t.id IS NOT NULL THEN COALESCE(t.resolved_at, ?) - t.created_at ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN t.resolved_at IS NOT NULL THEN t.resolved_at - t.created_at ELSE 0 END), 0)"
    " FROM layanan_assets a JOIN opds o ON o.id = a.opd_id"
    " LEFT JOIN layanan_tickets t ON t.asset_id = a.id AND t.status NOT IN ('merged', 'rejected')"
    " GROUP BY o.id, o.name ORDER BY o.name";

constexpr const char* kInsertKey =
    "INSERT INTO layanan_api_keys (name, key_hash, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id";
constexpr const char* kKeyByHash =
    "SELECT id, name, created_at, revoked_at, last_used_at FROM layanan_api_keys WHERE key_hash = ? AND revoked_at IS NULL";
constexpr const char* kKeys =
    "SELECT id, name, created_at, revoked_at, last_used_at FROM layanan_api_keys ORDER BY id DESC";
constexpr const char* kRevokeKey =
    "UPDATE layanan_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";

// One row of layanan_stats from the tickets themselves (the migration, the bulk loader and the
// drift test use this same aggregation; bench/data/layanan_bulk.sql repeats it).
constexpr const char* kStatsAggregate =
    "SELECT opd_id, service_code, COUNT(*) AS received,"
    " SUM(CASE WHEN status IN ('new', 'assigned', 'in_progress', 'pending') THEN 1 ELSE 0 END) AS open_n,"
    " SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS resolved,"
    " SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,"
    " SUM(CASE WHEN status = 'merged' THEN 1 ELSE 0 END) AS merged,"
    " SUM(CASE WHEN status = 'resolved' AND resolve_breached = 0 THEN 1 ELSE 0 END) AS resolved_in_sla,"
    " SUM(CASE WHEN status = 'resolved' AND resolved_at IS NOT NULL THEN resolved_at - created_at ELSE 0 END)"
    " AS resolve_s,"
    " SUM(CASE WHEN first_response_at IS NOT NULL THEN 1 ELSE 0 END) AS responded,"
    " SUM(CASE WHEN first_response_at IS NOT NULL THEN first_response_at - created_at ELSE 0 END) AS respond_s,"
    " SUM(respond_breached) AS respond_breaches, SUM(resolve_breached) AS resolve_breaches"
    " FROM layanan_tickets GROUP BY opd_id, service_code";
constexpr const char* kStatsUpsert =
    "INSERT INTO layanan_stats (opd_id, service_code, received, open_n, resolved, rejected, merged, resolved_in_sla,"
    " resolve_s, responded, respond_s, respond_breaches, resolve_breaches) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (opd_id, service_code) DO UPDATE SET received = layanan_stats.received + excluded.received,"
    " open_n = layanan_stats.open_n + excluded.open_n, resolved = layanan_stats.resolved + excluded.resolved,"
    " rejected = layanan_stats.rejected + excluded.rejected, merged = layanan_stats.merged + excluded.merged,"
    " resolved_in_sla = layanan_stats.resolved_in_sla + excluded.resolved_in_sla,"
    " resolve_s = layanan_stats.resolve_s + excluded.resolve_s, responded = layanan_stats.responded + excluded.responded,"
    " respond_s = layanan_stats.respond_s + excluded.respond_s,"
    " respond_breaches = layanan_stats.respond_breaches + excluded.respond_breaches,"
    " resolve_breaches = layanan_stats.resolve_breaches + excluded.resolve_breaches";
constexpr const char* kStatsColumns =
    "SELECT s.opd_id, o.slug, o.name, s.service_code, s.received, s.open_n, s.resolved, s.rejected, s.merged,"
    " s.resolved_in_sla, s.resolve_s, s.responded, s.respond_s, s.respond_breaches, s.resolve_breaches"
    " FROM layanan_stats s JOIN opds o ON o.id = s.opd_id ";
// The columns of a ticket that its counters depend on.
constexpr const char* kStatsRow =
    "SELECT opd_id, service_code, status, resolve_breached, respond_breached, created_at, resolved_at,"
    " first_response_at FROM layanan_tickets WHERE id = ?";

struct StatsPart {
    std::int64_t opd_id = 0;
    std::string service_code;
    std::string status;
    bool resolve_breached = false, respond_breached = false;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> resolved_at, first_response_at;
    bool operator==(const StatsPart&) const = default;
};

StatsPart stats_part(const Ticket& t) {
    return StatsPart{t.opd_id, t.service_code, status_name(t.status), t.resolve_breached, t.respond_breached,
                     t.created_at, t.resolved_at, t.first_response_at};
}

// Adds (sign 1) or removes (sign -1) one ticket's share of its (OPD, service) counters.
void apply_stats(Connection& c, const StatsPart& p, long long sign) {
    const bool resolved = p.status == "resolved";
    const bool open = p.status == "new" || p.status == "assigned" || p.status == "in_progress" || p.status == "pending";
    const long long resolve_s = resolved && p.resolved_at ? *p.resolved_at - p.created_at : 0;
    const long long respond_s = p.first_response_at ? *p.first_response_at - p.created_at : 0;
    core::db::exec(c, kStatsUpsert,
                   {static_cast<long long>(p.opd_id), p.service_code, sign, open ? sign : 0LL, resolved ? sign : 0LL,
                    p.status == "rejected" ? sign : 0LL, p.status == "merged" ? sign : 0LL,
                    resolved && !p.resolve_breached ? sign : 0LL, sign * resolve_s,
                    p.first_response_at ? sign : 0LL, sign * respond_s, p.respond_breached ? sign : 0LL,
                    p.resolve_breached ? sign : 0LL});
}

std::vector<ServiceStats> stats_rows(Connection& c, const std::string& sql, const std::vector<Value>& params) {
    std::vector<ServiceStats> out;
    Query q(c, sql, params);
    while (q.next()) {
        ServiceStats s;
        s.opd_id = q.integer(0);
        s.opd_slug = q.text(1);
        s.opd_name = q.text(2);
        s.service_code = q.text(3);
        s.received = q.integer(4);
        s.open = q.integer(5);
        s.resolved = q.integer(6);
        s.rejected = q.integer(7);
        s.merged = q.integer(8);
        s.resolved_in_sla = q.integer(9);
        s.resolve_s = q.integer(10);
        s.responded = q.integer(11);
        s.respond_s = q.integer(12);
        s.respond_breaches = q.integer(13);
        s.resolve_breaches = q.integer(14);
        out.push_back(std::move(s));
    }
    return out;
}

std::string photos_json(const std::vector<std::string>& photos) {
    boost::json::array a;
    for (const auto& p : photos) a.emplace_back(p);
    return boost::json::serialize(a);
}

std::vector<std::string> parse_photos(const std::string& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& p : v.as_array())
        if (p.is_string()) out.emplace_back(p.as_string());
    return out;
}

Ticket ticket_from(const Query& q) {
    Ticket t;
    t.id = q.integer(0);
    t.code = q.text(1);
    t.service_code = q.text(2);
    t.is_public = q.integer(3) != 0;
    t.opd_id = q.integer(4);
    t.opd_slug = q.text(5);
    t.opd_name = q.text(6);
    t.reporter_opd_id = q.opt_integer(7);
    t.status = parse_status(q.text(8)).value_or(TicketStatus::new_);
    t.priority = q.text(9);
    t.description = q.text(10);
    t.address = q.text(11);
    t.village_code = q.text(12);
    t.village_name = q.text(13);
    if (!q.null(14)) t.lat = q.real(14);
    if (!q.null(15)) t.lng = q.real(15);
    t.reporter_user_id = q.opt_integer(16);
    t.reporter_name = q.text(17);
    t.reporter_email = q.text(18);
    t.reporter_phone = q.text(19);
    t.hide_name = q.integer(20) != 0;
    t.asset_id = q.opt_integer(21);
    t.assignee_user_id = q.opt_integer(22);
    t.assignee_name = q.text(23);
    t.channel = q.text(24);
    t.merged_into = q.opt_integer(25);
    t.attributes_json = q.text(26);
    t.photos = parse_photos(q.text(27));
    t.created_at = q.integer(28);
    t.updated_at = q.integer(29);
    t.first_response_at = q.opt_integer(30);
    t.respond_due = q.integer(31);
    t.resolve_due = q.integer(32);
    t.paused_at = q.opt_integer(33);
    t.resolved_at = q.opt_integer(34);
    t.respond_breached = q.integer(35) != 0;
    t.resolve_breached = q.integer(36) != 0;
    t.status_note = q.text(37);
    t.media_url = q.text(38);
    return t;
}

// A row of kSummaryInQueue (column 1, next_due, is the ordering key of the queue; the ticket
// computes it again from its deadlines).
Ticket summary_from(const Query& q) {
    Ticket t;
    t.id = q.integer(0);
    t.code = q.text(2);
    t.service_code = q.text(3);
    t.is_public = q.integer(4) != 0;
    t.opd_id = q.integer(5);
    t.opd_slug = q.text(6);
    t.opd_name = q.text(7);
    t.status = parse_status(q.text(8)).value_or(TicketStatus::new_);
    t.priority = q.text(9);
    t.assignee_user_id = q.opt_integer(10);
    t.assignee_name = q.text(11);
    t.first_response_at = q.opt_integer(12);
    t.respond_due = q.integer(13);
    t.resolve_due = q.integer(14);
    t.paused_at = q.opt_integer(15);
    t.respond_breached = q.integer(16) != 0;
    t.resolve_breached = q.integer(17) != 0;
    return t;
}

std::vector<Ticket> tickets(Connection& c, const std::string& sql, const std::vector<Value>& params) {
    std::vector<Ticket> out;
    Query q(c, sql, params);
    while (q.next()) out.push_back(ticket_from(q));
    return out;
}

Value opt_int(const std::optional<std::int64_t>& v) { return v ? Value(static_cast<long long>(*v)) : Value(nullptr); }
Value opt_real(const std::optional<double>& v) { return v ? Value(*v) : Value(nullptr); }

Asset asset_from(const Query& q) {
    Asset a;
    a.id = q.integer(0);
    a.code = q.text(1);
    a.opd_id = q.integer(2);
    a.opd_slug = q.text(3);
    a.opd_name = q.text(4);
    a.kind = q.text(5);
    a.name = q.text(6);
    a.location = q.text(7);
    a.serial = q.text(8);
    a.installed_on = q.text(9);
    a.status = q.text(10);
    a.created_at = q.integer(11);
    return a;
}

ApiKey key_from(const Query& q) {
    return ApiKey{q.integer(0), q.text(1), q.integer(2), q.opt_integer(3), q.opt_integer(4)};
}

AssetStats stats_from(std::int64_t n, std::int64_t open, std::int64_t resolved, std::int64_t down, std::int64_t repair) {
    AssetStats s;
    s.incidents = n;
    s.open_incidents = open;
    s.resolved_incidents = resolved;
    s.downtime_s = down;
    s.mttr_s = resolved > 0 ? repair / resolved : 0;
    return s;
}

}  // namespace

std::vector<core::db::Migration> migrations() {
    return {
        {1, "layanan_tables",
         "CREATE TABLE layanan_assets ("
         " id {{id}}, code TEXT NOT NULL UNIQUE, opd_id BIGINT NOT NULL REFERENCES opds (id), kind TEXT NOT NULL,"
         " name TEXT NOT NULL, location TEXT NOT NULL, serial TEXT NOT NULL, installed_on TEXT NOT NULL,"
         " status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
         "CREATE INDEX layanan_assets_opd ON layanan_assets (opd_id, kind);"
         "CREATE TABLE layanan_tickets ("
         " id {{id}}, code TEXT NOT NULL UNIQUE, service_code TEXT NOT NULL, is_public INTEGER NOT NULL,"
         " opd_id BIGINT NOT NULL REFERENCES opds (id), reporter_opd_id BIGINT REFERENCES opds (id),"
         " status TEXT NOT NULL, priority TEXT NOT NULL, description TEXT NOT NULL, address TEXT NOT NULL,"
         " village_code TEXT, lat DOUBLE PRECISION, lng DOUBLE PRECISION, reporter_user_id BIGINT REFERENCES users (id),"
         " reporter_name TEXT NOT NULL, reporter_email TEXT NOT NULL, reporter_phone TEXT NOT NULL,"
         " hide_name INTEGER NOT NULL, asset_id BIGINT REFERENCES layanan_assets (id),"
         " assignee_user_id BIGINT REFERENCES users (id), channel TEXT NOT NULL, api_key_id BIGINT,"
         " merged_into BIGINT REFERENCES layanan_tickets (id), attributes TEXT NOT NULL, photos TEXT NOT NULL,"
         " status_note TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
         " first_response_at BIGINT, respond_due BIGINT NOT NULL, resolve_due BIGINT NOT NULL, next_due BIGINT,"
         " paused_at BIGINT, resolved_at BIGINT, respond_breached INTEGER NOT NULL DEFAULT 0,"
         " resolve_breached INTEGER NOT NULL DEFAULT 0);"
         "CREATE INDEX layanan_tickets_queue ON layanan_tickets (opd_id, status, next_due);"
         "CREATE INDEX layanan_tickets_service ON layanan_tickets (service_code, status, created_at);"
         "CREATE INDEX layanan_tickets_public ON layanan_tickets (is_public, created_at);"
         "CREATE INDEX layanan_tickets_due ON layanan_tickets (next_due);"
         "CREATE INDEX layanan_tickets_asset ON layanan_tickets (asset_id);"
         "CREATE INDEX layanan_tickets_reporter ON layanan_tickets (reporter_user_id);"
         "CREATE TABLE layanan_events ("
         " id {{id}}, ticket_id BIGINT NOT NULL REFERENCES layanan_tickets (id), at BIGINT NOT NULL,"
         " actor_user_id BIGINT REFERENCES users (id), actor_label TEXT NOT NULL, kind TEXT NOT NULL,"
         " status TEXT NOT NULL, note TEXT NOT NULL, is_public INTEGER NOT NULL);"
         "CREATE INDEX layanan_events_ticket ON layanan_events (ticket_id, id);"
         "CREATE INDEX layanan_events_at ON layanan_events (at);"
         "CREATE TABLE layanan_escalations ("
         " ticket_id BIGINT NOT NULL REFERENCES layanan_tickets (id), deadline BIGINT NOT NULL,"
         " offset_h INTEGER NOT NULL, sent_at BIGINT NOT NULL, PRIMARY KEY (ticket_id, deadline, offset_h));"
         "CREATE TABLE layanan_api_keys ("
         " id {{id}}, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL,"
         " created_by BIGINT REFERENCES users (id), revoked_at BIGINT, last_used_at BIGINT);"},
        // The Open311 media_url of a request (a link given by the client; uploads go to photos).
        {2, "layanan_ticket_media_url", "ALTER TABLE layanan_tickets ADD COLUMN media_url TEXT NOT NULL DEFAULT ''"},
        // Indexes whose columns match both the filter and the ORDER BY of the queue (open part by
        // next deadline, closed part newest first), the public home and the Open311 listing, so a
        // page reads LIMIT rows of an index at 1,000,000 tickets instead of sorting them. The id is
        // spelled out for PostgreSQL (SQLite appends the rowid to every index anyway).
        {3, "layanan_ticket_indexes",
         "CREATE INDEX layanan_tickets_opd_due ON layanan_tickets (opd_id, next_due, id);"
         "CREATE INDEX layanan_tickets_opd_service_due ON layanan_tickets (opd_id, service_code, next_due, id);"
         "CREATE INDEX layanan_tickets_reporter_opd_due ON layanan_tickets (reporter_opd_id, next_due, id);"
         "CREATE INDEX layanan_tickets_service_due ON layanan_tickets (service_code, next_due, id);"
         "CREATE INDEX layanan_tickets_status_due ON layanan_tickets (status, next_due, id);"
         "CREATE INDEX layanan_tickets_assignee_due ON layanan_tickets (assignee_user_id, next_due, id);"
         "CREATE INDEX layanan_tickets_service_created ON layanan_tickets (service_code, created_at, id);"
         "DROP INDEX layanan_tickets_public;"
         "CREATE INDEX layanan_tickets_public ON layanan_tickets (is_public, created_at, id);"},
        // Per-OPD, per-service counters for the public statistics page, kept in the transaction of
        // every ticket write (store::insert_ticket / update_ticket) and built here from the rows.
        {4, "layanan_stats",
         std::string("CREATE TABLE layanan_stats ("
                     " opd_id BIGINT NOT NULL REFERENCES opds (id), service_code TEXT NOT NULL,"
                     " received BIGINT NOT NULL DEFAULT 0, open_n BIGINT NOT NULL DEFAULT 0,"
                     " resolved BIGINT NOT NULL DEFAULT 0, rejected BIGINT NOT NULL DEFAULT 0,"
                     " merged BIGINT NOT NULL DEFAULT 0, resolved_in_sla BIGINT NOT NULL DEFAULT 0,"
                     " resolve_s BIGINT NOT NULL DEFAULT 0, responded BIGINT NOT NULL DEFAULT 0,"
                     " respond_s BIGINT NOT NULL DEFAULT 0, respond_breaches BIGINT NOT NULL DEFAULT 0,"
                     " resolve_breaches BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (opd_id, service_code));"
                     "INSERT INTO layanan_stats (opd_id, service_code, received, open_n, resolved, rejected, merged,"
                     " resolved_in_sla, resolve_s, responded, respond_s, respond_breaches, resolve_breaches) ") +
             kStatsAggregate + ";"},
        // Every ticket insert writes each of the table's indexes, in the transaction a durable
        // report waits for. layanan_tickets_service (service_code, status, created_at) serves no
        // query since migration 3: the Open311 list by service reads layanan_tickets_service_created
        // and the queue by service layanan_tickets_service_due (EXPLAIN QUERY PLAN of every query of
        // this file at 1,000,000 reports gives the same plans without it; see docs/PERFORMANCE.md,
        // and LayananIndexes in layanan_test.cpp).
        {5, "layanan_drop_unused_ticket_index", "DROP INDEX layanan_tickets_service;"},
        // Four indexes are read only with their first column equal to a value (an asset's
        // incidents, a citizen's reports, the faults an OPD reported, a technician's tickets), and
        // that column is empty (NULL) in most new tickets: every public report wrote a NULL entry
        // into each. Partial indexes hold only the rows that have a value, so a public report skips
        // four of its index writes (standard SQL: SQLite and PostgreSQL use a partial index for
        // `col = ?`, which implies `col IS NOT NULL`).
        {6, "layanan_partial_ticket_indexes",
         "DROP INDEX layanan_tickets_asset;"
         "CREATE INDEX layanan_tickets_asset ON layanan_tickets (asset_id) WHERE asset_id IS NOT NULL;"
         "DROP INDEX layanan_tickets_reporter;"
         "CREATE INDEX layanan_tickets_reporter ON layanan_tickets (reporter_user_id) WHERE reporter_user_id IS NOT NULL;"
         "DROP INDEX layanan_tickets_reporter_opd_due;"
         "CREATE INDEX layanan_tickets_reporter_opd_due ON layanan_tickets (reporter_opd_id, next_due, id)"
         " WHERE reporter_opd_id IS NOT NULL;"
         "DROP INDEX layanan_tickets_assignee_due;"
         "CREATE INDEX layanan_tickets_assignee_due ON layanan_tickets (assignee_user_id, next_due, id)"
         " WHERE assignee_user_id IS NOT NULL;"},
    };
}

std::int64_t insert_ticket(Connection& c, const Ticket& t) {
    Query q(c, kInsertTicket,
            {t.code, t.service_code, t.is_public, static_cast<long long>(t.opd_id), opt_int(t.reporter_opd_id),
             status_name(t.status), t.priority, t.description, t.address,
             t.village_code.empty() ? Value(nullptr) : Value(t.village_code), opt_real(t.lat), opt_real(t.lng),
             opt_int(t.reporter_user_id), t.reporter_name, t.reporter_email, t.reporter_phone, t.hide_name,
             opt_int(t.asset_id), opt_int(t.assignee_user_id), t.channel, opt_int(t.merged_into), t.attributes_json,
             photos_json(t.photos), t.status_note, static_cast<long long>(t.created_at),
             static_cast<long long>(t.updated_at), opt_int(t.first_response_at), static_cast<long long>(t.respond_due),
             static_cast<long long>(t.resolve_due), opt_int(t.next_due()), opt_int(t.paused_at),
             opt_int(t.resolved_at), t.respond_breached, t.resolve_breached, t.media_url});
    if (!q.next()) throw std::runtime_error("insert ticket returned no id");
    const std::int64_t id = q.integer(0);
    apply_stats(c, stats_part(t), 1);
    return id;
}

void update_ticket(Connection& c, const Ticket& t) {
    // The row as it was: its share of the counters is taken off, the new one added.
    std::optional<StatsPart> before;
    {
        Query q(c, kStatsRow, {static_cast<long long>(t.id)});
        if (q.next())
            before = StatsPart{q.integer(0), q.text(1), q.text(2), q.integer(3) != 0, q.integer(4) != 0,
                               q.integer(5), q.opt_integer(6), q.opt_integer(7)};
    }
    // Notes, assignees and deadlines do not count: only a change of a counted field moves them.
    if (const auto after = stats_part(t); before && *before != after) {
        apply_stats(c, *before, -1);
        apply_stats(c, after, 1);
    }
    core::db::exec(c, kUpdateTicket,
                   {static_cast<long long>(t.opd_id), status_name(t.status), t.priority, opt_int(t.assignee_user_id),
                    opt_int(t.merged_into), t.status_note, static_cast<long long>(t.updated_at),
                    opt_int(t.first_response_at), static_cast<long long>(t.respond_due),
                    static_cast<long long>(t.resolve_due), opt_int(t.next_due()), opt_int(t.paused_at),
                    opt_int(t.resolved_at), t.respond_breached, t.resolve_breached, static_cast<long long>(t.id)});
}

std::optional<Ticket> ticket_by_id(Connection& c, std::int64_t id) {
    auto v = tickets(c, std::string(kTicketColumns) + "WHERE t.id = ?", {static_cast<long long>(id)});
    if (v.empty()) return std::nullopt;
    return v.front();
}

std::optional<Ticket> ticket_by_code(Connection& c, const std::string& code) {
    auto v = tickets(c, std::string(kTicketColumns) + "WHERE t.code = ?", {code});
    if (v.empty()) return std::nullopt;
    return v.front();
}

std::int64_t insert_event(Connection& c, const TicketEvent& e) {
    Query q(c, kInsertEvent,
            {static_cast<long long>(e.ticket_id), static_cast<long long>(e.at), opt_int(e.actor_user_id), e.actor_label,
             e.kind, e.status, e.note, e.is_public});
    if (!q.next()) throw std::runtime_error("insert event returned no id");
    return q.integer(0);
}

std::vector<TicketEvent> events(Connection& c, std::int64_t ticket_id, bool public_only) {
    std::vector<TicketEvent> out;
    Query q(c, kEvents, {static_cast<long long>(ticket_id), public_only});
    while (q.next())
        out.push_back(TicketEvent{q.integer(0), q.integer(1), q.integer(2), q.opt_integer(3), q.text(4), q.text(5),
                                  q.text(6), q.text(7), q.integer(8) != 0});
    return out;
}

namespace {

// Rows by id, in the order of ids (one IN list: at most a page).
std::vector<Ticket> tickets_in_order(Connection& c, const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return {};
    std::string sql = std::string(kTicketColumns) + "WHERE t.id IN (";
    std::vector<Value> p;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        sql += i ? ", ?" : "?";
        p.emplace_back(static_cast<long long>(ids[i]));
    }
    sql += ")";
    std::vector<Ticket> rows = tickets(c, sql, p);
    std::vector<Ticket> out;
    out.reserve(rows.size());
    for (auto id : ids)
        for (auto& r : rows)
            if (r.id == id) {
                out.push_back(std::move(r));
                break;
            }
    return out;
}

}  // namespace

// The queue in two parts, each read in the order of an index: open tickets (next_due set) by their
// next deadline, then closed ones (next_due NULL) newest first. Ids first, then the rows of the page.
std::vector<Ticket> queue(Connection& c, const QueueFilter& f) {
    bool want_open = true, want_closed = true;
    if (f.status == "open") want_closed = false;
    else if (f.status == "closed") want_open = false;
    else if (!f.status.empty()) {
        const auto st = parse_status(f.status);
        if (st && is_open(*st)) want_closed = false;
        else want_open = false;
    }
    // The filters; `bare` spells each column so that no index can serve it (`|| ''`, `+ 0`, both
    // portable): the faults an OPD reported are a handful of rows reached by their own index, which
    // the planner would otherwise trade for a service's or a status's (thousands of rows each).
    std::vector<Value> cp;
    auto conditions = [&](bool bare) {
        std::string cond;
        cp.clear();
        const std::string text_eq = bare ? " || '' = ?" : " = ?";
        const std::string int_eq = bare ? " + 0 = ?" : " = ?";
        if (!f.status.empty() && f.status != "open" && f.status != "closed") {
            cond += " AND t.status" + text_eq;
            cp.emplace_back(f.status);
        }
        if (!f.service_code.empty()) {
            cond += " AND t.service_code" + text_eq;
            cp.emplace_back(f.service_code);
        }
        if (f.assignee) {
            cond += " AND t.assignee_user_id" + int_eq;
            cp.emplace_back(static_cast<long long>(*f.assignee));
        }
        if (f.asset_id) {
            cond += " AND t.asset_id" + int_eq;
            cp.emplace_back(static_cast<long long>(*f.asset_id));
        }
        if (f.reporter_user_id) {
            cond += " AND t.reporter_user_id" + int_eq;
            cp.emplace_back(static_cast<long long>(*f.reporter_user_id));
        }
        if (f.breached_only) cond += " AND (t.respond_breached = 1 OR t.resolve_breached = 1)";
        return cond;
    };

    // SELECT id, next_due (and with `columns`, the columns of summary_from after them) of one part; an
    // OPD's own tickets and the faults it reported are two index scans merged by the ORDER BY
    // (UNION ALL: the second excludes the first).
    auto part = [&](bool open, std::vector<Value>& p, bool columns = false) {
        const std::string due = open ? " AND t.next_due IS NOT NULL" : " AND t.next_due IS NULL";
        const std::string head = columns ? kSummaryInQueue : "SELECT t.id, t.next_due FROM layanan_tickets t WHERE ";
        std::string sql;
        if (f.opd_id) {
            sql = head + "t.opd_id = ?" + conditions(false) + due;
            p.emplace_back(static_cast<long long>(*f.opd_id));
            p.insert(p.end(), cp.begin(), cp.end());
            if (f.reporter_opd_id) {
                sql += " UNION ALL " + head + "t.reporter_opd_id = ? AND t.opd_id <> ?" + conditions(true) + due;
                p.emplace_back(static_cast<long long>(*f.reporter_opd_id));
                p.emplace_back(static_cast<long long>(*f.opd_id));
                p.insert(p.end(), cp.begin(), cp.end());
            }
        } else {
            sql = head + "1 = 1" + conditions(false) + due;
            p.insert(p.end(), cp.begin(), cp.end());
        }
        // Open: by deadline, then the older report first (id ascending, the index's own order, so
        // no sort: `id DESC` here made SQLite sort every run of equal deadlines). Closed: newest first.
        return sql + (open ? " ORDER BY 2, 1" : " ORDER BY 1 DESC");
    };
    // The page's rows in one query each part (summary_only: the columns are read in the index
    // scan, so no second query for 51 rows by id), or their ids (the full rows are read by id).
    std::vector<std::int64_t> ids;
    std::vector<Ticket> rows;
    if (f.summary_only && f.limit > 0) rows.reserve(static_cast<std::size_t>(std::min(f.limit, 1000)));
    auto read_part = [&](bool open, long long limit, long long offset) {
        std::vector<Value> p;
        std::string sql = part(open, p, f.summary_only) + " LIMIT ? OFFSET ?";
        p.emplace_back(limit);
        p.emplace_back(offset);
        Query q(c, sql, p);
        std::size_t n = 0;
        while (q.next()) {
            if (f.summary_only) rows.push_back(summary_from(q));
            else ids.push_back(q.integer(0));
            ++n;
        }
        return n;
    };

    long long limit = f.limit, offset = f.offset;
    if (want_open) {
        const std::size_t n = read_part(true, limit, offset);
        if (n > 0) offset = 0;
        else if (want_closed && offset > 0) {
            // How many open tickets the offset skips (counted no further than the offset).
            std::vector<Value> p;
            std::string sql = "SELECT COUNT(*) FROM (" + part(true, p) + " LIMIT ?) x";
            p.emplace_back(offset);
            Query q(c, sql, p);
            if (q.next()) offset -= q.integer(0);
        }
        limit -= static_cast<long long>(n);
    }
    if (want_closed && limit > 0) read_part(false, limit, offset);
    if (f.summary_only) return rows;
    return tickets_in_order(c, ids);
}

std::vector<Ticket> recent_public(Connection& c, int limit) {
    std::vector<std::int64_t> ids;
    Query q(c, "SELECT t.id FROM layanan_tickets t WHERE t.is_public = 1 ORDER BY t.created_at DESC, t.id DESC LIMIT ?",
            {limit});
    while (q.next()) ids.push_back(q.integer(0));
    return tickets_in_order(c, ids);
}

std::vector<ServiceStats> stats(Connection& c, std::optional<std::int64_t> opd_id) {
    if (opd_id)
        return stats_rows(c, std::string(kStatsColumns) + "WHERE s.opd_id = ? ORDER BY s.service_code",
                          {static_cast<long long>(*opd_id)});
    return stats_rows(c, std::string(kStatsColumns) + "ORDER BY o.name, s.service_code", {});
}

std::vector<ServiceStats> stats_recount(Connection& c) {
    return stats_rows(c,
                      // CAST: PostgreSQL's SUM of a BIGINT is a NUMERIC.
                      "SELECT a.opd_id, o.slug, o.name, a.service_code, CAST(a.received AS BIGINT),"
                      " CAST(a.open_n AS BIGINT), CAST(a.resolved AS BIGINT), CAST(a.rejected AS BIGINT),"
                      " CAST(a.merged AS BIGINT), CAST(a.resolved_in_sla AS BIGINT), CAST(a.resolve_s AS BIGINT),"
                      " CAST(a.responded AS BIGINT), CAST(a.respond_s AS BIGINT), CAST(a.respond_breaches AS BIGINT),"
                      " CAST(a.resolve_breaches AS BIGINT) FROM (" + std::string(kStatsAggregate) +
                          ") a JOIN opds o ON o.id = a.opd_id ORDER BY o.name, a.service_code",
                      {});
}

std::vector<Ticket> public_requests(Connection& c, const PublicFilter& f) {
    std::string sql = std::string(kTicketColumns) + "WHERE t.is_public = 1";
    std::vector<Value> p;
    if (!f.ids.empty()) {
        sql += " AND t.id IN (";
        for (std::size_t i = 0; i < f.ids.size(); ++i) {
            sql += i ? ", ?" : "?";
            p.emplace_back(static_cast<long long>(f.ids[i]));
        }
        sql += ")";
    } else {
        sql += " AND t.created_at >= ? AND t.created_at <= ?";
        p.emplace_back(static_cast<long long>(f.start));
        p.emplace_back(static_cast<long long>(f.end));
        if (!f.service_codes.empty()) {
            sql += " AND t.service_code IN (";
            for (std::size_t i = 0; i < f.service_codes.size(); ++i) {
                sql += i ? ", ?" : "?";
                p.emplace_back(f.service_codes[i]);
            }
            sql += ")";
        }
        if (f.want_open && !f.want_closed) sql += " AND t.status IN ('new', 'assigned', 'in_progress', 'pending')";
        if (f.want_closed && !f.want_open) sql += " AND t.status IN ('resolved', 'rejected', 'merged')";
    }
    sql += " ORDER BY t.created_at DESC, t.id DESC LIMIT ? OFFSET ?";
    p.emplace_back(f.limit);
    p.emplace_back(f.offset);
    return tickets(c, sql, p);
}

std::vector<Ticket> open_near(Connection& c, const std::string& service_code, double south, double west, double north,
                              double east, int limit) {
    return tickets(c,
                   std::string(kTicketColumns) +
                       "WHERE t.service_code = ? AND t.status IN ('new', 'assigned', 'in_progress', 'pending')"
                       " AND t.lat BETWEEN ? AND ? AND t.lng BETWEEN ? AND ? ORDER BY t.id LIMIT ?",
                   {service_code, south, north, west, east, limit});
}

std::vector<Ticket> due_before(Connection& c, std::int64_t until, int limit) {
    return tickets(c,
                   std::string(kTicketColumns) +
                       "WHERE t.next_due IS NOT NULL AND t.next_due <= ? AND t.paused_at IS NULL ORDER BY t.next_due LIMIT ?",
                   {static_cast<long long>(until), limit});
}

std::vector<UpdateRow> public_updates(Connection& c, std::int64_t start, std::int64_t end, int limit, int offset) {
    std::vector<UpdateRow> out;
    Query q(c, kPublicUpdates, {static_cast<long long>(start), static_cast<long long>(end), limit, offset});
    while (q.next()) out.push_back(UpdateRow{q.integer(0), q.integer(1), q.integer(2), q.text(3), q.text(4), q.text(5)});
    return out;
}

bool claim_escalation(Connection& c, std::int64_t ticket_id, std::int64_t deadline, int offset_h, std::int64_t now) {
    return core::db::exec(c, kClaimEscalation,
                          {static_cast<long long>(ticket_id), static_cast<long long>(deadline), offset_h,
                           static_cast<long long>(now)}) > 0;
}

std::vector<std::int64_t> escalation_recipients(Connection& c, std::int64_t opd_id) {
    std::vector<std::int64_t> out;
    {
        Query q(c, kHeads, {static_cast<long long>(opd_id)});
        while (q.next()) out.push_back(q.integer(0));
    }
    if (out.empty()) {
        Query q(c, kAdmins);
        while (q.next()) out.push_back(q.integer(0));
    }
    return out;
}

std::int64_t insert_asset(Connection& c, const Asset& a) {
    Query q(c, kInsertAsset,
            {a.code, static_cast<long long>(a.opd_id), a.kind, a.name, a.location, a.serial, a.installed_on, a.status,
             static_cast<long long>(a.created_at), static_cast<long long>(a.created_at)});
    if (!q.next()) throw std::runtime_error("insert asset returned no id");
    return q.integer(0);
}

void update_asset_status(Connection& c, std::int64_t id, const std::string& status, std::int64_t now) {
    core::db::exec(c, kAssetStatus, {status, static_cast<long long>(now), static_cast<long long>(id)});
}

std::optional<Asset> asset_by_id(Connection& c, std::int64_t id) {
    Query q(c, std::string(kAssetColumns) + "WHERE a.id = ?", {static_cast<long long>(id)});
    if (!q.next()) return std::nullopt;
    return asset_from(q);
}

std::optional<Asset> asset_by_code(Connection& c, const std::string& code) {
    Query q(c, std::string(kAssetColumns) + "WHERE a.code = ?", {code});
    if (!q.next()) return std::nullopt;
    return asset_from(q);
}

std::vector<Asset> assets(Connection& c, std::optional<std::int64_t> opd_id) {
    std::vector<Asset> out;
    if (opd_id) {
        Query q(c, std::string(kAssetColumns) + "WHERE a.opd_id = ? ORDER BY a.code", {static_cast<long long>(*opd_id)});
        while (q.next()) out.push_back(asset_from(q));
    } else {
        Query q(c, std::string(kAssetColumns) + "ORDER BY o.name, a.code");
        while (q.next()) out.push_back(asset_from(q));
    }
    return out;
}

AssetStats asset_stats(Connection& c, std::int64_t asset_id, std::int64_t now) {
    Query q(c, kAssetStats, {static_cast<long long>(now), static_cast<long long>(asset_id)});
    if (!q.next()) return {};
    return stats_from(q.integer(0), q.integer(1), q.integer(2), q.integer(3), q.integer(4));
}

std::vector<OpdAssetTotals> opd_totals(Connection& c, std::int64_t now) {
    std::vector<OpdAssetTotals> out;
    Query q(c, kOpdTotals, {static_cast<long long>(now)});
    while (q.next()) {
        OpdAssetTotals t;
        t.opd_id = q.integer(0);
        t.opd_name = q.text(1);
        t.assets = q.integer(2);
        t.down = q.integer(3);
        t.stats = stats_from(q.integer(4), q.integer(5), q.integer(6), q.integer(7), q.integer(8));
        out.push_back(std::move(t));
    }
    return out;
}

std::int64_t insert_api_key(Connection& c, const std::string& name, const std::string& hash,
                            std::optional<std::int64_t> created_by, std::int64_t now) {
    Query q(c, kInsertKey, {name, hash, static_cast<long long>(now), opt_int(created_by)});
    if (!q.next()) throw std::runtime_error("insert api key returned no id");
    return q.integer(0);
}

std::optional<ApiKey> api_key_by_hash(Connection& c, const std::string& hash) {
    Query q(c, kKeyByHash, {hash});
    if (!q.next()) return std::nullopt;
    return key_from(q);
}

std::vector<ApiKey> api_keys(Connection& c) {
    std::vector<ApiKey> out;
    Query q(c, kKeys);
    while (q.next()) out.push_back(key_from(q));
    return out;
}

std::int64_t revoke_api_key(Connection& c, std::int64_t id, std::int64_t now) {
    return core::db::exec(c, kRevokeKey, {static_cast<long long>(now), static_cast<long long>(id)});
}

std::optional<std::int64_t> opd_id_by_slug(Connection& c, const std::string& slug) {
    return core::db::scalar_int(c, "SELECT id FROM opds WHERE slug = ?", {slug});
}

std::optional<OpdRef> opd_by_slug(Connection& c, const std::string& slug) {
    Query q(c, "SELECT id, slug, name FROM opds WHERE slug = ?", {slug});
    if (!q.next()) return std::nullopt;
    return OpdRef{q.integer(0), q.text(1), q.text(2)};
}

std::optional<std::pair<std::string, std::string>> opd_of(Connection& c, std::int64_t id) {
    Query q(c, "SELECT slug, name FROM opds WHERE id = ?", {static_cast<long long>(id)});
    if (!q.next()) return std::nullopt;
    return std::make_pair(q.text(0), q.text(1));
}

std::vector<StaffUser> opd_staff(Connection& c, std::int64_t opd_id) {
    std::vector<StaffUser> out;
    Query q(c,
            "SELECT id, display_name, role FROM users WHERE opd_id = ? AND role IN ('operator_opd', 'teknisi')"
            " AND disabled_at IS NULL ORDER BY display_name",
            {static_cast<long long>(opd_id)});
    while (q.next()) out.push_back(StaffUser{q.integer(0), q.text(1), q.text(2)});
    return out;
}

}  // namespace gapura::modules::layanan::store
