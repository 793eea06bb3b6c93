#include "modules/layanan/layanan_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cmath>

#include "core/auth/auth_service.hpp"
#include "core/auth/crypto.hpp"
#include "core/jobs/notifier.hpp"
#include "core/region/regency.hpp"
#include "core/util/clock.hpp"
#include "core/util/strings.hpp"
#include "modules/layanan/layanan_policy.hpp"

namespace gapura::modules::layanan {

const char* const kGuarantorOpd = "diskominfo-sp";

namespace json = boost::json;
using core::audit::Actor;
using core::db::Connection;

std::string status_name(TicketStatus s) {
    switch (s) {
        case TicketStatus::new_: return "new";
        case TicketStatus::assigned: return "assigned";
        case TicketStatus::in_progress: return "in_progress";
        case TicketStatus::pending: return "pending";
        case TicketStatus::resolved: return "resolved";
        case TicketStatus::rejected: return "rejected";
        case TicketStatus::merged: return "merged";
    }
    return "new";
}

std::optional<TicketStatus> parse_status(const std::string& s) {
    for (auto st : {TicketStatus::new_, TicketStatus::assigned, TicketStatus::in_progress, TicketStatus::pending,
                    TicketStatus::resolved, TicketStatus::rejected, TicketStatus::merged})
        if (status_name(st) == s) return st;
    return std::nullopt;
}

double distance_m(double lat1, double lng1, double lat2, double lng2) {
    constexpr double kR = 6371000.0, kRad = M_PI / 180.0;
    const double dlat = (lat2 - lat1) * kRad, dlng = (lng2 - lng1) * kRad;
    const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                     std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlng / 2) * std::sin(dlng / 2);
    return 2 * kR * std::asin(std::min(1.0, std::sqrt(a)));
}

Coordinate parse_coordinate(std::string_view text, bool latitude) {
    Coordinate c;
    const auto t = util::trim(text);
    if (t.empty()) return c;
    const auto d = util::parse_double(t);
    if (!d || !std::isfinite(*d)) c.problem = Coordinate::Problem::not_number;
    else if (std::fabs(*d) > (latitude ? 90.0 : 180.0)) c.problem = Coordinate::Problem::out_of_range;
    else c.value = *d;
    return c;
}

namespace {

Error field_error(ErrorCode code, const std::string& field, const std::string& key) {
    return Error{code, key, {{field, key}}, {}, 0};
}

Error forbidden() { return make_error(ErrorCode::forbidden, "layanan_err_forbidden"); }
Error not_found() { return make_error(ErrorCode::not_found, "layanan_err_ticket_unknown"); }

// Plain text check: valid UTF-8, no control characters but line breaks/tabs, no HTML tags.
bool looks_like_html(std::string_view s) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        if (s[i] == '<' && (std::isalpha(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '/' || s[i + 1] == '!'))
            return true;
    return false;
}

// "" when fine, else the message key.
std::string check_text(std::string_view s, std::size_t max_chars, bool allow_newlines) {
    if (!util::valid_utf8(s)) return "layanan_err_text_invalid";
    if (util::has_control_chars(s)) return "layanan_err_text_invalid";
    if (!allow_newlines && s.find_first_of("\r\n") != std::string_view::npos) return "layanan_err_text_invalid";
    if (util::utf8_length(s) > max_chars) return "layanan_err_text_too_long";
    if (looks_like_html(s)) return "layanan_err_html";
    return "";
}

// "" when `url` is an absolute http or https URL with a host and without user name or password,
// at most kMaxMediaUrl characters (RFC 3986: ASCII only, no spaces); else the message key.
std::string check_media_url(std::string_view url) {
    if (url.size() > kMaxMediaUrl) return "layanan_err_media_url_long";
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u || (u->scheme_id() != boost::urls::scheme::http && u->scheme_id() != boost::urls::scheme::https) ||
        !u->has_authority() || u->encoded_host().empty() || u->has_userinfo())
        return "layanan_err_media_url";
    return "";
}

std::string tracking_code() {
    static constexpr char kAlphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";  // no 0/O, 1/I/L
    auto raw = core::auth::Crypto::random_token(16);
    std::string out = "LT-";
    for (std::size_t i = 0; out.size() < 11 && i < raw.size(); ++i)
        out.push_back(kAlphabet[static_cast<unsigned char>(raw[i]) % (sizeof(kAlphabet) - 1)]);
    return out;
}

std::string object_type(const Ticket& t) { return t.is_public ? "layanan_laporan" : "layanan_insiden"; }

std::string summary(const json::object& o) { return json::serialize(o); }

std::string clean(const std::string& s) { return std::string(util::trim(s)); }

}  // namespace

LayananService::LayananService(const core::CoreServices& s, const Catalog& catalog,
                               const core::calendar::WorkingCalendar& cal)
    : s_(s), catalog_(catalog), cal_(cal) {}

std::int64_t LayananService::deadline(std::int64_t from, const SlaTarget& t) const {
    const double hours = t.days ? t.amount * cal_.hours_per_day() : t.amount;
    return cal_.add_working_hours(from, hours);
}

Status LayananService::validate(const NewReport& in, bool internal) const {
    const Service* svc = catalog_.find(in.service_code);
    if (!svc || svc->is_public == internal)
        return field_error(ErrorCode::not_found, "service_code", "layanan_err_service_unknown");
    Error e{ErrorCode::bad_request, "layanan_err_invalid", {}, {}, 0};
    auto add = [&](const std::string& f, const std::string& k) { e.fields.push_back({f, k}); };

    if (auto k = check_text(in.description, kMaxDescription, true); !k.empty()) add("description", k);
    else if (in.web_form && util::trim(in.description).empty()) add("description", "layanan_err_required");

    if (in.lat.has_value() != in.lng.has_value()) add(in.lat ? "long" : "lat", "layanan_err_latlng_pair");
    if (in.lat && in.lng) {
        if (!std::isfinite(*in.lat) || !std::isfinite(*in.lng) || *in.lat < -90 || *in.lat > 90 || *in.lng < -180 ||
            *in.lng > 180)
            add("lat", "layanan_err_latlng_range");
        else if (!s_.regency.bounds.contains(*in.lat, *in.lng))
            add("lat", "layanan_err_outside");
    }
    if (auto k = check_text(in.address, 300, false); !k.empty()) add("address_string", k);
    if (auto k = check_text(in.address_id, 100, false); !k.empty()) add("address_id", k);
    if (in.web_form) {
        if (in.village_code.empty()) add("village_code", "layanan_err_required");
        else if (!s_.regency.find_village(in.village_code)) add("village_code", "layanan_err_village_unknown");
        if (util::trim(in.address).empty()) add("address_string", "layanan_err_required");
    } else if (!internal && !(in.lat && in.lng) && util::trim(in.address).empty() && util::trim(in.address_id).empty() &&
               in.village_code.empty()) {
        add("lat", "layanan_err_location_required");
    }
    if (!in.village_code.empty() && !in.web_form && !s_.regency.find_village(in.village_code))
        add("village_code", "layanan_err_village_unknown");

    if (std::find(priorities().begin(), priorities().end(), in.priority) == priorities().end())
        add("priority", "layanan_err_invalid");

    for (const auto& [code, values] : in.attributes) {
        const Attribute* a = svc->attribute(code);
        if (!a) {
            add("attribute[" + code + "]", "layanan_err_attribute_unknown");
            continue;
        }
        const bool multi = a->datatype == "multivaluelist";
        if (!multi && values.size() > 1) add("attribute[" + code + "]", "layanan_err_attribute_single");
        for (const auto& v : values) {
            const std::string f = "attribute[" + code + "]";
            if (auto k = check_text(v, a->datatype == "text" ? 2000 : 200, a->datatype == "text"); !k.empty()) {
                add(f, k);
            } else if (a->datatype == "singlevaluelist" || multi) {
                if (!a->has_value(v)) add(f, "layanan_err_attribute_value");
            } else if (a->datatype == "number") {
                auto d = util::parse_double(v);
                if (!d || !std::isfinite(*d)) add(f, "layanan_err_attribute_number");
            } else if (a->datatype == "datetime") {
                std::int64_t t = 0;
                if (!parse_iso8601(v, t)) add(f, "layanan_err_attribute_datetime");
            }
        }
    }
    for (const auto& a : svc->attributes) {
        if (!a.required) continue;
        auto it = in.attributes.find(a.code);
        bool present = it != in.attributes.end() &&
                       std::any_of(it->second.begin(), it->second.end(), [](const auto& v) { return !util::trim(v).empty(); });
        if (!present) add("attribute[" + a.code + "]", "layanan_err_attribute_required");
    }

    if (auto k = check_text(in.reporter_name, 100, false); !k.empty()) add("first_name", k);
    if (!in.reporter_email.empty() && !util::plausible_email(in.reporter_email)) add("email", "layanan_err_email");
    if (!in.reporter_phone.empty() &&
        (in.reporter_phone.size() > 30 || in.reporter_phone.find_first_not_of("+0123456789 -()") != std::string::npos))
        add("phone", "layanan_err_phone");
    if (in.photos.size() > 5) add("photos", "layanan_err_too_many_photos");
    if (!in.media_url.empty())
        if (auto k = check_media_url(in.media_url); !k.empty()) add("media_url", k);
    if (!e.fields.empty()) return e;
    return ok_status();
}

LayananService::PreparedReport LayananService::prepare(const NewReport& in, const Service& svc,
                                                      std::optional<std::int64_t> reporter_opd,
                                                      std::optional<std::int64_t> reporter_user, const Actor& actor) const {
    const auto now = s_.clock.now();
    PreparedReport p{{}, {}, svc.opd_slug, {}, {}, actor, now};
    Ticket& t = p.ticket;
    t.code = tracking_code();
    t.service_code = svc.code;
    t.is_public = svc.is_public;
    t.reporter_opd_id = reporter_opd;
    t.priority = in.priority;
    t.description = clean(in.description);
    t.address = clean(in.address.empty() ? in.address_id : in.address);
    t.village_code = in.village_code;
    t.lat = in.lat;
    t.lng = in.lng;
    t.reporter_user_id = reporter_user;
    t.reporter_name = clean(in.reporter_name);
    t.reporter_email = clean(in.reporter_email);
    t.reporter_phone = clean(in.reporter_phone);
    t.hide_name = in.hide_name;
    t.asset_id = in.asset_id;
    t.channel = in.channel;
    json::object attrs;
    for (const auto& [k, vs] : in.attributes) {
        const Attribute* a = svc.attribute(k);
        if (a && a->datatype == "multivaluelist") {
            json::array arr;
            for (const auto& v : vs) arr.emplace_back(v);
            attrs[k] = arr;
        } else if (!vs.empty()) {
            attrs[k] = vs.front();
        }
    }
    t.attributes_json = json::serialize(attrs);
    t.photos = in.photos;
    t.media_url = in.media_url;
    t.created_at = t.updated_at = now;
    t.respond_due = deadline(now, svc.sla.respond.at(t.priority));
    t.resolve_due = std::max(t.respond_due, deadline(now, svc.sla.resolve.at(t.priority)));
    p.event = TicketEvent{0, 0, now, reporter_user, actor.label, "created", status_name(t.status), "", true};
    p.action = t.is_public ? "layanan.report" : "layanan.fault";
    p.audit_summary = summary(json::object{{"code", t.code}, {"service", t.service_code},
                                           {"opd", svc.opd_slug}, {"channel", t.channel}});
    return p;
}

Result<Ticket> LayananService::write_report(Connection& c, const PreparedReport& p) const {
    std::optional<store::OpdRef> opd;
    {
        std::lock_guard lock(opds_->mu);
        if (auto it = opds_->by_slug.find(p.opd_slug); it != opds_->by_slug.end()) opd = it->second;
    }
    if (!opd) {
        opd = store::opd_by_slug(c, p.opd_slug);
        if (!opd) return make_error(ErrorCode::internal, "err_internal", "service OPD missing: " + p.opd_slug);
        std::lock_guard lock(opds_->mu);
        opds_->by_slug.insert_or_assign(p.opd_slug, *opd);
    }
    Ticket row = p.ticket;  // a retried group runs this again from the same start
    row.opd_id = opd->id;
    row.opd_slug = opd->slug;
    row.opd_name = opd->name;
    row.id = store::insert_ticket(c, row);
    if (row.asset_id) store::update_asset_status(c, *row.asset_id, "down", p.now);
    TicketEvent e = p.event;
    e.ticket_id = row.id;
    store::insert_event(c, e);
    s_.audit.record(c, p.actor, p.action, object_type(row), std::to_string(row.id), p.audit_summary, p.now);
    return row;
}

Result<Ticket> LayananService::create(const NewReport& in, const Service& svc, std::optional<std::int64_t> reporter_opd,
                                      std::optional<std::int64_t> reporter_user, const Actor& actor) {
    const PreparedReport p = prepare(in, svc, reporter_opd, reporter_user, actor);
    return s_.db.write([&](Connection& c) { return write_report(c, p); });
}

Result<LayananService::PreparedReport> LayananService::prepare_public(const NewReport& in,
                                                                      const std::optional<Principal>& who,
                                                                      const Actor& actor) const {
    if (auto st = validate(in, false); !st) return st.error();
    const Service* svc = catalog_.find(in.service_code);
    NewReport copy = in;
    copy.asset_id.reset();
    if (who && copy.reporter_name.empty()) copy.reporter_name = who->display_name;
    if (who && copy.reporter_email.empty()) copy.reporter_email = who->email;
    return prepare(copy, *svc, std::nullopt, who ? std::optional<std::int64_t>(who->user_id) : std::nullopt, actor);
}

Result<Ticket> LayananService::submit_report(const NewReport& in, const std::optional<Principal>& who, const Actor& actor) {
    auto p = prepare_public(in, who, actor);
    if (!p) return p.error();
    return s_.db.write([&](Connection& c) { return write_report(c, *p); });
}

Status LayananService::submit_report_async(const NewReport& in, const std::optional<Principal>& who, const Actor& actor,
                                           ReportDone done) {
    auto p = prepare_public(in, who, actor);
    if (!p) return p.error();
    s_.db.write_async([this, p = std::move(*p)](Connection& c) { return write_report(c, p); }, std::move(done));
    return ok_status();
}

Result<Ticket> LayananService::report_fault(const Principal& who, NewReport in) {
    if (!policy::is_desk(who)) return forbidden();
    in.web_form = false;
    in.channel = "staff";
    if (auto st = validate(in, true); !st) return st.error();
    if (util::trim(in.description).empty())
        return field_error(ErrorCode::bad_request, "description", "layanan_err_required");
    if (!in.asset_id) return field_error(ErrorCode::bad_request, "asset_id", "layanan_err_required");
    auto a = asset(*in.asset_id);
    if (!a) return field_error(ErrorCode::bad_request, "asset_id", "layanan_err_asset_unknown");
    if (!policy::can_report_fault(who, *a, guarantor_opd_id())) return forbidden();
    if (in.address.empty()) in.address = a->location;
    in.reporter_name = who.display_name;
    in.reporter_email = who.email;
    return create(in, *catalog_.find(in.service_code), a->opd_id, who.user_id, core::auth::AuthService::actor_of(who));
}

void LayananService::record(Connection& c, Ticket& t, const Actor& actor, std::optional<std::int64_t> user_id,
                            const std::string& kind, const std::string& note, bool is_public, std::int64_t now) {
    t.updated_at = now;
    if (is_public && !note.empty()) t.status_note = note;
    store::update_ticket(c, t);
    store::insert_event(c, TicketEvent{0, t.id, now, user_id, actor.label, kind, status_name(t.status), note, is_public});
    s_.audit.record(c, actor, "layanan." + kind, object_type(t), std::to_string(t.id),
                    summary(json::object{{"code", t.code}, {"status", status_name(t.status)}, {"public_note", is_public && !note.empty()}}),
                    now);
}

void LayananService::resume(Ticket& t, std::int64_t now) const {
    if (!t.paused_at) return;
    const double h = cal_.working_hours_between(*t.paused_at, now);
    if (h > 0) {
        if (!t.first_response_at) t.respond_due = cal_.add_working_hours(t.respond_due, h);
        t.resolve_due = cal_.add_working_hours(t.resolve_due, h);
    }
    t.paused_at.reset();
}

void LayananService::first_response(Ticket& t, std::int64_t now) const {
    if (t.first_response_at) return;
    t.first_response_at = now;
    if (now > t.respond_due) t.respond_breached = true;
}

template <class F>
Status LayananService::act(const Principal& who, std::int64_t id, F&& fn) {
    const auto now = s_.clock.now();
    const Actor actor = core::auth::AuthService::actor_of(who);
    return s_.db.write([&](Connection& c) -> Status {
        auto t = store::ticket_by_id(c, id);
        if (!t) return not_found();
        if (!policy::can_work(who, *t)) return forbidden();
        return fn(c, *t, actor, now);
    });
}

Status LayananService::assign(const Principal& who, std::int64_t id, std::int64_t assignee_id, const std::string& note) {
    if (auto k = check_text(note, 2000, true); !k.empty()) return field_error(ErrorCode::bad_request, "note", k);
    return act(who, id, [&](Connection& c, Ticket& t, const Actor& actor, std::int64_t now) -> Status {
        if (!t.open()) return make_error(ErrorCode::conflict, "layanan_err_closed");
        bool ok = false;
        for (const auto& u : store::opd_staff(c, t.opd_id))
            if (u.id == assignee_id) ok = true;
        if (!ok) return field_error(ErrorCode::bad_request, "assignee", "layanan_err_assignee");
        resume(t, now);
        first_response(t, now);
        t.assignee_user_id = assignee_id;
        if (t.status == TicketStatus::new_ || t.status == TicketStatus::pending) t.status = TicketStatus::assigned;
        record(c, t, actor, who.user_id, "assign", clean(note), false, now);
        s_.notifier.notify(c, assignee_id, "layanan.assigned", "Tiket " + t.code, t.description.substr(0, 200),
                           "/layanan/tiket/" + std::to_string(t.id));
        return ok_status();
    });
}

Status LayananService::change_status(const Principal& who, std::int64_t id, const std::string& status,
                                     const std::string& note, bool public_note) {
    if (auto k = check_text(note, 2000, true); !k.empty()) return field_error(ErrorCode::bad_request, "note", k);
    std::optional<TicketStatus> st;
    if (!status.empty()) {
        st = parse_status(status);
        if (!st || (*st != TicketStatus::assigned && *st != TicketStatus::in_progress))
            return field_error(ErrorCode::bad_request, "status", "layanan_err_status");
    } else if (util::trim(note).empty()) {
        return field_error(ErrorCode::bad_request, "note", "layanan_err_required");
    }
    return act(who, id, [&](Connection& c, Ticket& t, const Actor& actor, std::int64_t now) -> Status {
        if (!t.open()) return make_error(ErrorCode::conflict, "layanan_err_closed");
        first_response(t, now);
        std::string kind = "note";
        if (st && *st != t.status) {
            resume(t, now);
            t.status = *st;
            kind = "status";
        }
        record(c, t, actor, who.user_id, kind, clean(note), public_note, now);
        return ok_status();
    });
}

Status LayananService::request_info(const Principal& who, std::int64_t id, const std::string& question) {
    if (util::trim(question).empty()) return field_error(ErrorCode::bad_request, "note", "layanan_err_required");
    if (auto k = check_text(question, 2000, true); !k.empty()) return field_error(ErrorCode::bad_request, "note", k);
    return act(who, id, [&](Connection& c, Ticket& t, const Actor& actor, std::int64_t now) -> Status {
        if (!t.open() || t.status == TicketStatus::pending) return make_error(ErrorCode::conflict, "layanan_err_state");
        if (!t.reporter_user_id) return make_error(ErrorCode::conflict, "layanan_err_no_reporter");
        first_response(t, now);
        t.status = TicketStatus::pending;
        t.paused_at = now;
        record(c, t, actor, who.user_id, "request_info", clean(question), true, now);
        s_.notifier.notify(c, *t.reporter_user_id, "layanan.request_info", "Laporan " + t.code,
                           clean(question).substr(0, 200), "/layanan/lacak/" + t.code);
        return ok_status();
    });
}

Status LayananService::merge(const Principal& who, std::int64_t id, std::int64_t into_id) {
    if (id == into_id) return field_error(ErrorCode::bad_request, "into", "layanan_err_merge_self");
    return act(who, id, [&](Connection& c, Ticket& t, const Actor& actor, std::int64_t now) -> Status {
        if (!t.open()) return make_error(ErrorCode::conflict, "layanan_err_closed");
        auto target = store::ticket_by_id(c, into_id);
        if (!target || !policy::can_work(who, *target) || target->status == TicketStatus::merged ||
            target->service_code != t.service_code)
            return field_error(ErrorCode::bad_request, "into", "layanan_err_merge_target");
        first_response(t, now);
        t.paused_at.reset();
        t.status = TicketStatus::merged;
        t.merged_into = into_id;
        t.resolved_at = now;
        record(c, t, actor, who.user_id, "merge", "Duplikat dari " + target->code, true, now);
        store::insert_event(c, TicketEvent{0, target->id, now, who.user_id, actor.label, "note", status_name(target->status),
                                           "Laporan " + t.code + " digabung ke laporan ini", true});
        if (t.reporter_user_id)
            s_.notifier.notify(c, *t.reporter_user_id, "layanan.merged", "Laporan " + t.code,
                               "Digabung dengan " + target->code, "/layanan/lacak/" + target->code);
        return ok_status();
    });
}

Status LayananService::reject(const Principal& who, std::int64_t id, const std::string& reason) {
    if (util::trim(reason).empty()) return field_error(ErrorCode::bad_request, "note", "layanan_err_reason_required");
    if (auto k = check_text(reason, 2000, true); !k.empty()) return field_error(ErrorCode::bad_request, "note", k);
    return act(who, id, [&](Connection& c, Ticket& t, const Actor& actor, std::int64_t now) -> Status {
        if (!t.open()) return make_error(ErrorCode::conflict, "layanan_err_closed");
        first_response(t, now);
        t.paused_at.reset();
        t.status = TicketStatus::rejected;
        t.resolved_at = now;
        record(c, t, actor, who.user_id, "reject", clean(reason), true, now);
        if (t.reporter_user_id)
            s_.notifier.notify(c, *t.reporter_user_id, "layanan.rejected", "Laporan " + t.code, clean(reason).substr(0, 200),
                               "/layanan/lacak/" + t.code);
        return ok_status();
    });
}

Status LayananService::resolve(const Principal& who, std::int64_t id, const std::string& note) {
    if (util::trim(note).empty()) return field_error(ErrorCode::bad_request, "note", "layanan_err_required");
    if (auto k = check_text(note, 2000, true); !k.empty()) return field_error(ErrorCode::bad_request, "note", k);
    return act(who, id, [&](Connection& c, Ticket& t, const Actor& actor, std::int64_t now) -> Status {
        if (!t.open()) return make_error(ErrorCode::conflict, "layanan_err_closed");
        resume(t, now);
        first_response(t, now);
        if (now > t.resolve_due) t.resolve_breached = true;
        t.status = TicketStatus::resolved;
        t.resolved_at = now;
        record(c, t, actor, who.user_id, "resolve", clean(note), true, now);
        if (t.asset_id) {
            // The asset is up again when none of its incidents is still open.
            auto open = core::db::scalar_int(c,
                                             "SELECT COUNT(*) FROM layanan_tickets WHERE asset_id = ? AND status IN"
                                             " ('new', 'assigned', 'in_progress', 'pending')",
                                             {*t.asset_id});
            if (open.value_or(0) == 0) store::update_asset_status(c, *t.asset_id, "active", now);
        }
        if (t.reporter_user_id)
            s_.notifier.notify(c, *t.reporter_user_id, "layanan.resolved", "Laporan " + t.code, clean(note).substr(0, 200),
                               "/layanan/lacak/" + t.code);
        return ok_status();
    });
}

Status LayananService::provide_info(const Principal& who, const std::string& code, const std::string& answer) {
    if (util::trim(answer).empty()) return field_error(ErrorCode::bad_request, "note", "layanan_err_required");
    if (auto k = check_text(answer, 2000, true); !k.empty()) return field_error(ErrorCode::bad_request, "note", k);
    const auto now = s_.clock.now();
    return s_.db.write([&](Connection& c) -> Status {
        auto t = store::ticket_by_code(c, code);
        if (!t) return not_found();
        if (!policy::is_reporter(who, *t)) return forbidden();
        if (t->status != TicketStatus::pending) return make_error(ErrorCode::conflict, "layanan_err_state");
        resume(*t, now);
        t->status = t->assignee_user_id ? TicketStatus::assigned : TicketStatus::in_progress;
        record(c, *t, core::auth::AuthService::actor_of(who), who.user_id, "info", clean(answer), false, now);
        if (t->assignee_user_id)
            s_.notifier.notify(c, *t->assignee_user_id, "layanan.info", "Tiket " + t->code, "Pelapor menjawab",
                               "/layanan/tiket/" + std::to_string(t->id));
        return ok_status();
    });
}

Status LayananService::reopen(const Principal& who, const std::string& code, const std::string& reason) {
    if (util::trim(reason).empty()) return field_error(ErrorCode::bad_request, "note", "layanan_err_reason_required");
    if (auto k = check_text(reason, 2000, true); !k.empty()) return field_error(ErrorCode::bad_request, "note", k);
    const auto now = s_.clock.now();
    return s_.db.write([&](Connection& c) -> Status {
        auto t = store::ticket_by_code(c, code);
        if (!t) return not_found();
        if (!policy::is_reporter(who, *t)) return forbidden();
        if (t->status != TicketStatus::resolved || !t->resolved_at) return make_error(ErrorCode::conflict, "layanan_err_state");
        if (now - *t->resolved_at > kReopenWindow) return make_error(ErrorCode::conflict, "layanan_err_reopen_expired");
        const Service* svc = catalog_.find(t->service_code);
        t->status = t->assignee_user_id ? TicketStatus::assigned : TicketStatus::new_;
        t->resolved_at.reset();
        t->resolve_breached = false;
        if (svc) t->resolve_due = deadline(now, svc->sla.resolve.at(t->priority));
        if (t->asset_id) store::update_asset_status(c, *t->asset_id, "down", now);
        record(c, *t, core::auth::AuthService::actor_of(who), who.user_id, "reopen", clean(reason), true, now);
        for (auto uid : store::escalation_recipients(c, t->opd_id))
            s_.notifier.notify(c, uid, "layanan.reopened", "Laporan dibuka kembali: " + t->code, clean(reason).substr(0, 200),
                               "/layanan/tiket/" + std::to_string(t->id));
        return ok_status();
    });
}

int LayananService::run_sla(std::int64_t now) {
    const auto& offsets = catalog_.escalation_offsets_hours();
    const int max_offset = offsets.empty() ? 0 : *std::max_element(offsets.begin(), offsets.end());
    // Far enough ahead for the largest offset across a long holiday (Lebaran: ~9 closed days).
    const std::int64_t until = now + static_cast<std::int64_t>(max_offset / cal_.hours_per_day() + 1) * 7 * 86400 + 14 * 86400;
    auto due = s_.db.read([&](Connection& c) { return store::due_before(c, until, 5000); });
    int sent = 0;
    for (const auto& snapshot : due) {
        s_.db.write([&](Connection& c) {
            auto t = store::ticket_by_id(c, snapshot.id);
            if (!t || !t->open() || t->paused_at) return;
            auto next = t->next_due();
            if (!next) return;
            const bool respond_phase = !t->first_response_at;
            const Actor sys = Actor::system("sla");
            if (now > *next && !(respond_phase ? t->respond_breached : t->resolve_breached)) {
                (respond_phase ? t->respond_breached : t->resolve_breached) = true;
                record(c, *t, sys, std::nullopt, "breach", respond_phase ? "respond" : "resolve", false, now);
            }
            for (int off : offsets) {
                bool fire = off == 0 ? now >= *next : (now < *next && cal_.working_hours_between(now, *next) <= off);
                if (!fire || !store::claim_escalation(c, t->id, *next, off, now)) continue;
                const std::string title = (off == 0 ? "Tenggat terlewat: " : "Tenggat mendekat: ") + t->code;
                const std::string body = t->service_code + " · " +
                                         (respond_phase ? "tanggapan pertama" : "penyelesaian") + " · " +
                                         format_iso8601(*next, cal_.utc_offset_minutes());
                for (auto uid : store::escalation_recipients(c, t->opd_id)) {
                    s_.notifier.notify(c, uid, "layanan.escalation", title, body, "/layanan/tiket/" + std::to_string(t->id));
                    ++sent;
                }
                store::insert_event(c, TicketEvent{0, t->id, now, std::nullopt, sys.label, "escalate",
                                                   status_name(t->status), title, false});
            }
        });
    }
    return sent;
}

std::optional<Ticket> LayananService::get(std::int64_t id) {
    return s_.db.read([&](Connection& c) { return store::ticket_by_id(c, id); });
}
std::optional<Ticket> LayananService::by_code(const std::string& code) {
    if (code.size() > 20) return std::nullopt;
    return s_.db.read([&](Connection& c) { return store::ticket_by_code(c, code); });
}
std::vector<TicketEvent> LayananService::timeline(std::int64_t id, bool public_only) {
    return s_.db.read([&](Connection& c) { return store::events(c, id, public_only); });
}
std::vector<Ticket> LayananService::queue(const store::QueueFilter& f) {
    return s_.db.read([&](Connection& c) { return store::queue(c, f); });
}

std::vector<Ticket> LayananService::recent_public(int limit) {
    return s_.db.read([&](Connection& c) { return store::recent_public(c, limit); });
}

std::vector<store::ServiceStats> LayananService::stats(std::optional<std::int64_t> opd_id) {
    return s_.db.read([&](Connection& c) { return store::stats(c, opd_id); });
}

std::optional<std::int64_t> LayananService::opd_id_by_slug(const std::string& slug) {
    return s_.db.read([&](Connection& c) { return store::opd_id_by_slug(c, slug); });
}
std::vector<store::StaffUser> LayananService::staff_of(std::int64_t opd_id) {
    return s_.db.read([&](Connection& c) { return store::opd_staff(c, opd_id); });
}

std::vector<Ticket> LayananService::duplicates(const Ticket& t) {
    if (!t.lat || !t.lng) return {};
    const double dlat = kDuplicateRadiusM / 111320.0;
    const double dlng = kDuplicateRadiusM / (111320.0 * std::max(0.01, std::cos(*t.lat * M_PI / 180.0)));
    auto near = s_.db.read([&](Connection& c) {
        return store::open_near(c, t.service_code, *t.lat - dlat, *t.lng - dlng, *t.lat + dlat, *t.lng + dlng, 50);
    });
    std::vector<Ticket> out;
    for (auto& n : near)
        if (n.id != t.id && n.lat && n.lng && distance_m(*t.lat, *t.lng, *n.lat, *n.lng) <= kDuplicateRadiusM)
            out.push_back(std::move(n));
    return out;
}

std::int64_t LayananService::guarantor_opd_id() {
    // Diskominfo; in another regency's deployment its walidata OPD.
    return s_.db.read([&](Connection& c) {
        auto id = store::opd_id_by_slug(c, kGuarantorOpd);
        if (!id) id = store::opd_id_by_slug(c, s_.regency.walidata_opd);
        return id.value_or(-1);
    });
}

Result<std::int64_t> LayananService::add_asset(const Principal& who, Asset a) {
    if (!policy::can_manage_assets(who, guarantor_opd_id())) return forbidden();
    Error e{ErrorCode::bad_request, "layanan_err_invalid", {}, {}, 0};
    static const std::vector<std::string> kinds{"link", "switch", "access_point", "server"};
    a.code = clean(a.code);
    if (a.code.empty() || a.code.size() > 40 ||
        a.code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
        e.fields.push_back({"code", "layanan_err_asset_code"});
    if (std::find(kinds.begin(), kinds.end(), a.kind) == kinds.end()) e.fields.push_back({"kind", "layanan_err_invalid"});
    for (auto [field, value] : {std::pair{"name", &a.name}, {"location", &a.location}, {"serial", &a.serial}}) {
        *value = clean(*value);
        if (auto k = check_text(*value, 200, false); !k.empty()) e.fields.push_back({field, k});
    }
    if (a.name.empty()) e.fields.push_back({"name", "layanan_err_required"});
    if (!a.installed_on.empty() && !core::calendar::Date::parse(a.installed_on))
        e.fields.push_back({"installed_on", "layanan_err_date"});
    if (!e.fields.empty()) return e;
    a.status = "active";
    a.created_at = s_.clock.now();
    return s_.db.write([&](Connection& c) -> Result<std::int64_t> {
        if (!store::opd_of(c, a.opd_id)) return field_error(ErrorCode::bad_request, "opd_id", "layanan_err_invalid");
        if (store::asset_by_code(c, a.code)) return field_error(ErrorCode::conflict, "code", "layanan_err_asset_exists");
        auto id = store::insert_asset(c, a);
        s_.audit.record(c, core::auth::AuthService::actor_of(who), "layanan.asset_add", "layanan_aset", std::to_string(id),
                        summary(json::object{{"code", a.code}, {"kind", a.kind}, {"opd_id", a.opd_id}}), a.created_at);
        return id;
    });
}

std::optional<Asset> LayananService::asset(std::int64_t id) {
    return s_.db.read([&](Connection& c) { return store::asset_by_id(c, id); });
}
std::vector<Asset> LayananService::assets(std::optional<std::int64_t> opd_id) {
    return s_.db.read([&](Connection& c) { return store::assets(c, opd_id); });
}
AssetStats LayananService::asset_stats(std::int64_t id) {
    return s_.db.read([&](Connection& c) { return store::asset_stats(c, id, s_.clock.now()); });
}
std::vector<store::OpdAssetTotals> LayananService::opd_totals() {
    return s_.db.read([&](Connection& c) { return store::opd_totals(c, s_.clock.now()); });
}

Result<std::string> create_api_key(core::db::Database& db, core::audit::AuditLog& audit, const Clock& clock,
                                   const std::string& name_in, const Actor& actor, std::optional<std::int64_t> by) {
    const std::string name(util::trim(name_in));
    if (name.empty() || check_text(name, 100, false) != "")
        return field_error(ErrorCode::bad_request, "name", name.empty() ? "layanan_err_required" : "layanan_err_text_invalid");
    const std::string raw = "o311_" + core::auth::Crypto::random_token(24);
    const auto now = clock.now();
    db.write([&](Connection& c) {
        auto id = store::insert_api_key(c, name, core::auth::Crypto::sha256_hex(raw), by, now);
        audit.record(c, actor, "layanan.api_key_add", "layanan_api_key", std::to_string(id), summary(json::object{{"name", name}}), now);
    });
    return raw;
}

Result<std::string> create_api_key(core::db::Database& db, core::audit::AuditLog& audit, const Clock& clock,
                                   const std::string& name) {
    return create_api_key(db, audit, clock, name, Actor::system("cli"), std::nullopt);
}

Result<std::string> LayananService::create_api_key(const Actor& actor, const std::string& name) {
    return layanan::create_api_key(s_.db, s_.audit, s_.clock, name, actor, actor.user_id);
}

std::optional<ApiKey> LayananService::cached_api_key(const std::string& raw) {
    if (raw.empty() || raw.size() > 200) return std::nullopt;
    const auto hash = core::auth::Crypto::sha256_hex(raw);
    const auto now = s_.clock.now();
    std::lock_guard lock(keys_->mu);
    auto it = keys_->by_hash.find(hash);
    if (it != keys_->by_hash.end() && now >= it->second.second && now - it->second.second < kKeyCacheSeconds)
        return it->second.first;
    return std::nullopt;
}

std::optional<ApiKey> LayananService::check_api_key(const std::string& raw) {
    if (raw.empty() || raw.size() > 200) return std::nullopt;
    const auto hash = core::auth::Crypto::sha256_hex(raw);
    const auto now = s_.clock.now();
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(keys_->mu);
        generation = keys_->generation;
        auto it = keys_->by_hash.find(hash);
        if (it != keys_->by_hash.end()) {
            if (now >= it->second.second && now - it->second.second < kKeyCacheSeconds) return it->second.first;
            keys_->by_hash.erase(it);
        }
    }
    auto key = s_.db.read([&](Connection& c) { return store::api_key_by_hash(c, hash); });
    if (key) {
        std::lock_guard lock(keys_->mu);
        if (keys_->generation != generation) return key;
        if (keys_->by_hash.size() >= kKeyCacheMax) keys_->by_hash.clear();
        keys_->by_hash.insert_or_assign(hash, std::make_pair(*key, now));
    }
    return key;
}

Status LayananService::revoke_api_key(const Principal& who, std::int64_t id) {
    if (!policy::can_manage_api_keys(who)) return forbidden();
    const auto now = s_.clock.now();
    auto st = s_.db.write([&](Connection& c) -> Status {
        if (store::revoke_api_key(c, id, now) == 0) return make_error(ErrorCode::not_found, "layanan_err_key_unknown");
        s_.audit.record(c, core::auth::AuthService::actor_of(who), "layanan.api_key_revoke", "layanan_api_key",
                        std::to_string(id), "{}", now);
        return ok_status();
    });
    // After the commit: a check that read the key before it is not let back in (generation).
    std::lock_guard lock(keys_->mu);
    keys_->by_hash.clear();
    ++keys_->generation;
    return st;
}

std::vector<ApiKey> LayananService::api_keys() {
    return s_.db.read([&](Connection& c) { return store::api_keys(c); });
}

}  // namespace gapura::modules::layanan
