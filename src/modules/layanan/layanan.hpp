// Layanan model: the service catalog (Open311 service definitions with an owner OPD and an SLA
// policy), tickets (public reports and internal faults) with their timeline, assets, and Open311
// API keys. Plain value types; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gapura::modules::layanan {

// ---- Catalog -------------------------------------------------------------------------------

struct AttributeValue {
    std::string key, name, name_en;  // name_en: the English name (the Indonesian one when the catalog has none)
    const std::string& name_in(const std::string& lang) const { return lang == "en" ? name_en : name; }
};

// An Open311 attribute: datatype is string, number, datetime, text, singlevaluelist or multivaluelist.
struct Attribute {
    std::string code, datatype, description, datatype_description;
    std::string description_en, datatype_description_en;  // English (the Indonesian text when the catalog has none)
    bool required = false;
    bool variable = true;
    int order = 0;
    std::vector<AttributeValue> values;
    const std::string& description_in(const std::string& lang) const {
        return lang == "en" ? description_en : description;
    }
    const std::string& datatype_description_in(const std::string& lang) const {
        return lang == "en" ? datatype_description_en : datatype_description;
    }
    bool has_value(const std::string& key) const {
        for (const auto& v : values)
            if (v.key == key) return true;
        return false;
    }
};

// A target in working time: hours (e.g. "4h") or whole working days ("3d").
struct SlaTarget {
    double amount = 0;
    bool days = true;
};

struct SlaPolicy {
    std::map<std::string, SlaTarget> respond;  // by priority: low, normal, high, urgent
    std::map<std::string, SlaTarget> resolve;
};

// Texts in Indonesian, each with an English twin (*_en; the Indonesian text when the catalog has
// none): *_in(lang) picks the one for "en" or "id".
struct Service {
    std::string code, name, name_en, description, description_en, group, group_en, keywords, opd_slug,
        type = "realtime";
    bool is_public = true;
    std::vector<Attribute> attributes;  // sorted by order
    SlaPolicy sla;
    const std::string& name_in(const std::string& lang) const { return lang == "en" ? name_en : name; }
    const std::string& description_in(const std::string& lang) const {
        return lang == "en" ? description_en : description;
    }
    const std::string& group_in(const std::string& lang) const { return lang == "en" ? group_en : group; }
    const Attribute* attribute(const std::string& code) const {
        for (const auto& a : attributes)
            if (a.code == code) return &a;
        return nullptr;
    }
};

inline const std::vector<std::string>& priorities() {
    static const std::vector<std::string> p{"low", "normal", "high", "urgent"};
    return p;
}

// ---- Tickets -------------------------------------------------------------------------------

// Statuses: new → assigned → in_progress ⇄ pending (waiting for the reporter: SLA paused) →
// resolved (reopenable by the reporter for 30 days) / rejected / merged (duplicate). Closed
// ones have no next deadline; every open one has.
enum class TicketStatus { new_, assigned, in_progress, pending, resolved, rejected, merged };

std::string status_name(TicketStatus s);
std::optional<TicketStatus> parse_status(const std::string& s);
inline bool is_open(TicketStatus s) {
    return s == TicketStatus::new_ || s == TicketStatus::assigned || s == TicketStatus::in_progress ||
           s == TicketStatus::pending;
}

struct Ticket {
    std::int64_t id = 0;
    std::string code;  // public tracking code, e.g. "LT-7K3M9QXW"; also the Open311 token
    std::string service_code;
    bool is_public = true;
    std::int64_t opd_id = 0;  // the owner OPD (never empty)
    std::string opd_slug, opd_name;
    std::optional<std::int64_t> reporter_opd_id;  // internal faults: the reporting OPD
    TicketStatus status = TicketStatus::new_;
    std::string priority = "normal";
    std::string description;
    std::string address, village_code, village_name;
    std::optional<double> lat, lng;
    std::optional<std::int64_t> reporter_user_id;
    std::string reporter_name, reporter_email, reporter_phone;
    bool hide_name = false;
    std::optional<std::int64_t> asset_id;
    std::optional<std::int64_t> assignee_user_id;
    std::string assignee_name;
    std::string channel = "web";  // web, open311, staff
    std::optional<std::int64_t> merged_into;
    std::string attributes_json = "{}";  // {"code": "value" | ["v1","v2"]}
    std::vector<std::string> photos;     // sha256 of FileStore files
    std::string media_url;               // Open311 media_url given by the client (http/https), or ""
    std::int64_t created_at = 0, updated_at = 0;
    std::optional<std::int64_t> first_response_at;
    std::int64_t respond_due = 0, resolve_due = 0;
    std::optional<std::int64_t> paused_at;
    std::optional<std::int64_t> resolved_at;  // also set for rejected/merged (closed_at)
    bool respond_breached = false, resolve_breached = false;
    std::string status_note;  // latest public note

    bool open() const { return is_open(status); }
    // The next deadline: respond_due before the first response, resolve_due after; nullopt when
    // closed. While paused the deadline is shown frozen (it is shifted on resume).
    std::optional<std::int64_t> next_due() const {
        if (!open()) return std::nullopt;
        return first_response_at ? resolve_due : respond_due;
    }
    bool breached() const { return respond_breached || resolve_breached; }
};

struct TicketEvent {
    std::int64_t id = 0;
    std::int64_t ticket_id = 0;
    std::int64_t at = 0;
    std::optional<std::int64_t> actor_user_id;
    std::string actor_label;
    std::string kind;  // created, status, note, assign, request_info, info, merge, reject, resolve, reopen, escalate, breach
    std::string status;  // status after the event
    std::string note;
    bool is_public = true;
};

// ---- Assets --------------------------------------------------------------------------------

struct Asset {
    std::int64_t id = 0;
    std::string code;  // unique inventory code, e.g. "DPUPR-SW-01"
    std::int64_t opd_id = 0;
    std::string opd_slug, opd_name;
    std::string kind;  // link, switch, access_point, server
    std::string name, location, serial;
    std::string installed_on;  // YYYY-MM-DD or ""
    std::string status = "active";  // active, down, retired
    std::int64_t created_at = 0;
};

// Incident figures of one asset or one OPD.
struct AssetStats {
    std::int64_t incidents = 0, open_incidents = 0, resolved_incidents = 0;
    std::int64_t downtime_s = 0;  // sum over incidents of (resolved or now) − reported
    std::int64_t mttr_s = 0;      // mean time to repair over resolved incidents (0 if none)
};

struct ApiKey {
    std::int64_t id = 0;
    std::string name;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> revoked_at, last_used_at;
};

}  // namespace gapura::modules::layanan
