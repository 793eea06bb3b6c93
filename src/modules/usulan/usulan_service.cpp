#include "modules/usulan/usulan_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/auth/auth_service.hpp"
#include "core/util/strings.hpp"

namespace gapura::modules::usulan {

namespace db = core::db;
using core::auth::AuthService;

namespace {

const core::files::FilePolicy kPhotoPolicy{kPhotoMaxBytes, {"image/jpeg", "image/png", "image/webp"}};

Error invalid(std::vector<FieldError> fields) {
    return Error{ErrorCode::unprocessable, "err_form_invalid", std::move(fields), {}, 0};
}

// Trimmed, valid UTF-8, no control characters (newlines allowed when multiline), 1..max code points
// (0..max when optional). Returns false when the text breaks a rule.
bool good_text(const std::string& s, std::size_t max, bool multiline, bool required) {
    if (!util::valid_utf8(s) || util::has_control_chars(s)) return false;
    if (!multiline && s.find_first_of("\r\n\t") != std::string::npos) return false;
    const auto len = util::utf8_length(s);
    if (required && util::trim(s).empty()) return false;
    return len <= max;
}

std::string trimmed(const std::string& s) { return std::string(util::trim(s)); }

std::string json(const boost::json::object& o) { return boost::json::serialize(o); }

boost::json::value opt_json(const std::optional<std::int64_t>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

bool finite_in(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

bool is_final(const Proposal& p) {
    return p.stage == "final" || p.status == "rejected" || p.status == "accepted" || p.status == "not_accepted";
}
}  // namespace

std::vector<Bidang> load_bidang(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open the bidang list");
    std::stringstream ss;
    ss << in.rdbuf();
    auto rows = core::region::parse_csv(ss.str(), path);
    if (rows.empty() || rows[0].size() < 3 || rows[0][0] != "code" || rows[0][1] != "name_id" || rows[0][2] != "name_en")
        throw std::runtime_error(path + ": header must be code,name_id,name_en");
    std::vector<Bidang> out;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto& r = rows[i];
        if (r[0].empty() || r[1].empty() || r[2].empty())
            throw std::runtime_error(path + ":" + std::to_string(i + 1) + ": empty field");
        for (char ch : r[0])
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
                throw std::runtime_error(path + ":" + std::to_string(i + 1) + ": code must be [a-z0-9-]+");
        for (const auto& b : out)
            if (b.code == r[0]) throw std::runtime_error(path + ":" + std::to_string(i + 1) + ": duplicate code");
        out.push_back({r[0], r[1], r[2]});
    }
    if (out.empty()) throw std::runtime_error(path + ": no bidang listed");
    return out;
}

UsulanService::UsulanService(db::Database& db, core::audit::AuditLog& audit, const Clock& clock,
                             const core::region::Regency& regency, core::files::FileStore& files,
                             core::jobs::Notifier& notifier, const core::web::I18n& i18n, std::vector<Bidang> bidang)
    : db_(db),
      audit_(audit),
      clock_(clock),
      regency_(regency),
      files_(files),
      notifier_(notifier),
      i18n_(i18n),
      bidang_(std::move(bidang)) {}

const Bidang* UsulanService::find_bidang(std::string_view code) const {
    for (const auto& b : bidang_)
        if (b.code == code) return &b;
    return nullptr;
}

policy::Offices UsulanService::offices(db::Connection& c, const Proposal& p) {
    policy::Offices o;
    o.desa_office = store::desa_office(c, p.desa_code);
    o.kecamatan_office = store::kecamatan_office(c, p.kecamatan_code);
    o.planning = store::opd_id(c, regency_.planning_opd);
    o.target = p.target_opd_id;
    return o;
}

policy::Offices UsulanService::offices_for(const Proposal& p) {
    return db_.read([&](db::Connection& c) { return offices(c, p); });
}

std::string UsulanService::actor_label(db::Connection& c, const Principal& who) {
    if (who.opd_id && !who.is_admin())
        if (auto o = store::find_opd(c, *who.opd_id)) return o->name;
    return i18n_.t(core::web::I18n::kDefault, "role_" + std::string(core::auth::role_name(who.role)));
}

void UsulanService::notify_moved(db::Connection& c, const Proposal& p, const std::string& what, bool to_proposer) {
    const std::string title = i18n_.t(core::web::I18n::kDefault, "usulan_notify_title") + ": " + p.title;
    const std::string link = "/usulan/" + std::to_string(p.id);
    std::vector<std::int64_t> to = store::supporters(c, p.id);
    if (to_proposer)
        to.push_back(p.user_id);
    else
        std::erase(to, p.user_id);
    std::sort(to.begin(), to.end());
    to.erase(std::unique(to.begin(), to.end()), to.end());
    for (auto uid : to) notifier_.notify(c, uid, "usulan.moved", title, what, link);
}

Status UsulanService::check_photos(const std::vector<PhotoUpload>& photos, std::vector<FieldError>& errs,
                                   std::size_t existing) const {
    std::size_t n = existing;
    for (const auto& ph : photos) {
        if (ph.data.empty() && ph.filename.empty()) continue;  // an empty file input
        ++n;
        if (ph.data.empty()) return make_error(ErrorCode::bad_request, "err_file_empty");
        if (ph.data.size() > kPhotoMaxBytes) {
            Error e = make_error(ErrorCode::too_large, "usulan_err_photo_too_large");
            e.fields.push_back({"photos", "usulan_err_photo_too_large"});
            return e;
        }
        auto mime = core::files::sniff_mime(ph.data);
        if (!mime || std::find(kPhotoPolicy.allowed_mimes.begin(), kPhotoPolicy.allowed_mimes.end(), *mime) ==
                         kPhotoPolicy.allowed_mimes.end()) {
            Error e = make_error(ErrorCode::unsupported, "usulan_err_photo_type");
            e.fields.push_back({"photos", "usulan_err_photo_type"});
            return e;
        }
    }
    if (n > kMaxPhotos) errs.push_back({"photos", "usulan_err_photo_count"});
    return ok_status();
}

Result<std::vector<std::string>> UsulanService::store_photos(const std::vector<PhotoUpload>& photos,
                                                             std::int64_t user_id) {
    std::vector<std::string> out;
    for (const auto& ph : photos) {
        if (ph.data.empty() && ph.filename.empty()) continue;
        auto r = files_.put(ph.data, kPhotoPolicy, user_id);
        if (!r) return r.error();
        if (std::find(out.begin(), out.end(), r->sha256) == out.end()) out.push_back(r->sha256);
    }
    return out;
}

UsulanService::CheckedFields UsulanService::check_fields(const ProposalInput& in, std::vector<FieldError>& errs) const {
    auto has = [&](const char* f) {
        return std::any_of(errs.begin(), errs.end(), [&](const FieldError& e) { return e.field == f; });
    };
    CheckedFields out;
    out.title = trimmed(in.title);
    out.problem = trimmed(in.problem);
    out.proposal = trimmed(in.proposal);
    out.address = trimmed(in.address);
    out.satuan = trimmed(in.satuan);
    if (!good_text(out.title, kTitleMax, false, true)) errs.push_back({"title", "usulan_err_title"});
    if (!good_text(out.problem, kLongTextMax, true, true)) errs.push_back({"problem", "usulan_err_problem"});
    if (!good_text(out.proposal, kLongTextMax, true, true)) errs.push_back({"proposal", "usulan_err_proposal"});
    if (!find_bidang(in.bidang)) errs.push_back({"bidang", "usulan_err_bidang"});
    out.village = in.desa_code.size() <= 20 ? regency_.find_village(in.desa_code) : nullptr;
    if (!out.village) errs.push_back({"desa", "usulan_err_desa"});
    if (!good_text(out.address, kAddressMax, false, false)) errs.push_back({"address", "usulan_err_address"});
    const bool has_point = in.lat.has_value() || in.lng.has_value();
    if (!has("lat") && !has("lng")) {
        if (in.lat.has_value() != in.lng.has_value()) {
            errs.push_back({"lat", "usulan_err_point_pair"});
        } else if (has_point) {
            if (!std::isfinite(*in.lat) || !std::isfinite(*in.lng) || !regency_.bounds.contains(*in.lat, *in.lng))
                errs.push_back({"lat", "usulan_err_point_outside"});
        }
        if (!has_point && out.address.empty() && !has("address"))
            errs.push_back({"address", "usulan_err_location_required"});
    }
    if (!has("volume") && (!in.volume || !finite_in(*in.volume, 0, kVolumeMax) || *in.volume <= 0))
        errs.push_back({"volume", "usulan_err_volume"});
    if (!good_text(out.satuan, kSatuanMax, false, true)) errs.push_back({"satuan", "usulan_err_satuan"});
    if (in.cost && !has("cost")) {
        if (!std::isfinite(*in.cost) || *in.cost < 0) errs.push_back({"cost", "usulan_err_cost_negative"});
        else if (*in.cost > kCostMax) errs.push_back({"cost", "usulan_err_cost_absurd"});
    }
    if (in.name_display != "full" && in.name_display != "initials")
        errs.push_back({"name_display", "usulan_err_name_display"});
    return out;
}

Result<std::int64_t> UsulanService::submit(const Principal& who, const ProposalInput& in,
                                           const std::vector<PhotoUpload>& photos) {
    if (!policy::may_submit(who)) return make_error(ErrorCode::forbidden, "usulan_err_submit_role");
    std::vector<FieldError> errs = in.parse_errors;
    const auto f = check_fields(in, errs);
    if (auto st = check_photos(photos, errs); !st) return st.error();
    if (!errs.empty()) return invalid(std::move(errs));
    const std::string &title = f.title, &problem = f.problem, &text = f.proposal, &address = f.address,
                      &satuan = f.satuan;
    const auto* village = f.village;

    std::optional<PlanningYear> year;
    if (in.year) {
        year = this->year(*in.year);
        if (!year || !year->window_open(0, clock_.now())) return make_error(ErrorCode::conflict, "usulan_err_year_closed");
    } else {
        year = submission_year();
        if (!year) return make_error(ErrorCode::conflict, "usulan_err_no_open_year");
    }

    auto shas = store_photos(photos, who.user_id);
    if (!shas) return shas.error();

    const auto now = clock_.now();
    store::NewProposal np;
    np.year = year->year;
    np.user_id = who.user_id;
    np.title = title;
    np.problem = problem;
    np.proposal = text;
    np.bidang = in.bidang;
    np.desa_code = village->code;
    np.kecamatan_code = village->district_code;
    np.lat = in.lat;
    np.lng = in.lng;
    np.address = address;
    np.volume = *in.volume;
    np.satuan = satuan;
    if (in.cost) np.cost = static_cast<std::int64_t>(std::llround(*in.cost));
    np.name_display = in.name_display;
    np.now = now;
    return db_.write([&](db::Connection& c) -> Result<std::int64_t> {
        const auto id = store::insert_proposal(c, np);
        int pos = 0;
        for (const auto& sha : *shas) store::insert_photo(c, id, sha, "proposal", pos++, now);
        const std::string shown = store::shown_name(c, who.user_id, in.name_display);
        Event e;
        e.proposal_id = id;
        e.at = now;
        e.kind = "submitted";
        e.stage = "warga";
        e.actor = shown;
        store::insert_event(c, e);
        audit_.record(c, AuthService::actor_of(who), "usulan.submit", "proposal", std::to_string(id),
                      json({{"year", np.year},
                            {"title", title},
                            {"desa", np.desa_code},
                            {"bidang", np.bidang},
                            {"photos", static_cast<std::int64_t>(shas->size())}}),
                      now);
        return id;
    });
}

Status UsulanService::amendable(const Principal& who, const Proposal& p) const {
    if (!policy::may_amend(who, p)) return make_error(ErrorCode::forbidden, "usulan_err_not_proposer");
    if (p.status != "revise" || is_final(p)) return make_error(ErrorCode::conflict, "usulan_err_not_revise");
    return ok_status();
}

Status UsulanService::amend(const Principal& who, std::int64_t id, const ProposalInput& in_raw,
                            const std::vector<PhotoUpload>& photos) {
    // Who and which state first, then the fields, then the photos (nothing is stored for a refusal).
    auto p = get(id);
    if (!p || p->hidden) return make_error(ErrorCode::not_found, "err_not_found");
    if (auto st = amendable(who, *p); !st) return st;
    ProposalInput in = in_raw;
    if (in.name_display.empty()) in.name_display = p->name_display;
    std::vector<FieldError> errs = in.parse_errors;
    const auto f = check_fields(in, errs);
    // The same forum decides again: a desa of another kecamatan would hand it to another office.
    if (f.village && f.village->district_code != p->kecamatan_code)
        errs.push_back({"desa", "usulan_err_desa_kecamatan"});
    if (in.year && *in.year != p->year) errs.push_back({"year", "usulan_err_year_fixed"});
    if (auto st = check_photos(photos, errs, p->photos.size()); !st) return st;
    if (!errs.empty()) return invalid(std::move(errs));
    auto shas = store_photos(photos, who.user_id);
    if (!shas) return shas.error();

    const auto now = clock_.now();
    store::NewProposal np;
    np.title = f.title;
    np.problem = f.problem;
    np.proposal = f.proposal;
    np.bidang = in.bidang;
    np.desa_code = f.village->code;
    np.lat = in.lat;
    np.lng = in.lng;
    np.address = f.address;
    np.volume = *in.volume;
    np.satuan = f.satuan;
    if (in.cost) np.cost = static_cast<std::int64_t>(std::llround(*in.cost));
    np.name_display = in.name_display;
    np.now = now;
    return db_.write([&](db::Connection& c) -> Status {
        // Read again inside the transaction: an operator may have decided in the meantime.
        auto cur = store::find_proposal(c, id);
        if (!cur || cur->hidden) return make_error(ErrorCode::not_found, "err_not_found");
        if (auto st = amendable(who, *cur); !st) return st;
        if (!store::amend_proposal(c, id, np)) return make_error(ErrorCode::conflict, "usulan_err_not_revise");
        int pos = static_cast<int>(cur->photos.size());
        for (const auto& sha : *shas) store::insert_photo(c, id, sha, "proposal", pos++, now);

        // Before/after of what changed. The public entry holds the structured fields and names the
        // changed texts; the texts themselves go to a moderation entry (not public), as for hiding,
        // so a proposal hidden later does not keep its words on the public audit page.
        boost::json::object before, after, text_before, text_after;
        boost::json::array changed;
        auto diff = [&](const char* key, boost::json::value a, boost::json::value b, bool text) {
            if (a == b) return;
            changed.push_back(boost::json::value(key));
            (text ? text_before : before)[key] = std::move(a);
            (text ? text_after : after)[key] = std::move(b);
        };
        auto num = [](const std::optional<double>& v) {
            return v ? boost::json::value(*v) : boost::json::value(nullptr);
        };
        diff("title", boost::json::value(cur->title), boost::json::value(np.title), true);
        diff("problem", boost::json::value(cur->problem), boost::json::value(np.problem), true);
        diff("proposal", boost::json::value(cur->proposal), boost::json::value(np.proposal), true);
        diff("address", boost::json::value(cur->address), boost::json::value(np.address), true);
        diff("bidang", boost::json::value(cur->bidang), boost::json::value(np.bidang), false);
        diff("desa", boost::json::value(cur->desa_code), boost::json::value(np.desa_code), false);
        diff("lat", num(cur->lat), num(np.lat), false);
        diff("lng", num(cur->lng), num(np.lng), false);
        diff("volume", boost::json::value(cur->volume), boost::json::value(np.volume), false);
        diff("satuan", boost::json::value(cur->satuan), boost::json::value(np.satuan), false);
        diff("estimated_cost", opt_json(cur->cost), opt_json(np.cost), false);
        diff("name_display", boost::json::value(cur->name_display), boost::json::value(np.name_display), false);
        before["status"] = cur->status;
        after["status"] = "submitted";

        const std::string shown = store::shown_name(c, who.user_id, np.name_display);
        Event e;
        e.proposal_id = id;
        e.at = now;
        e.kind = "amended";
        e.stage = cur->stage;
        e.actor = shown;
        store::insert_event(c, e);
        const auto actor = AuthService::actor_of(who);
        audit_.record(c, actor, "usulan.amend", "proposal", std::to_string(id),
                      json({{"stage", cur->stage},
                            {"changed", std::move(changed)},
                            {"before", std::move(before)},
                            {"after", std::move(after)},
                            {"photos_added", static_cast<std::int64_t>(shas->size())}}),
                      now);
        if (!text_before.empty())
            audit_.record(c, actor, "usulan.amend_text", "usulan_moderation", std::to_string(id),
                          json({{"before", std::move(text_before)}, {"after", std::move(text_after)}}), now);
        Proposal moved = *cur;
        moved.title = np.title;
        notify_moved(c, moved,
                     i18n_.t(core::web::I18n::kDefault, "usulan_notify_amended") + " (" +
                         i18n_.t(core::web::I18n::kDefault, "usulan_stage_" + cur->stage) + ").",
                     false);
        return ok_status();
    });
}

Status UsulanService::support(const Principal& who, std::int64_t id) {
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto p = store::find_proposal(c, id);
        if (!p || p->hidden) return make_error(ErrorCode::not_found, "err_not_found");
        if (is_final(*p)) return make_error(ErrorCode::conflict, "usulan_err_support_closed");
        if (!store::insert_support(c, id, who.user_id, now))
            return make_error(ErrorCode::conflict, "usulan_err_already_supported");
        audit_.record(c, AuthService::actor_of(who), "usulan.support", "usulan_support", std::to_string(id), "{}", now);
        return ok_status();
    });
}

Status UsulanService::withdraw_support(const Principal& who, std::int64_t id) {
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto p = store::find_proposal(c, id);
        if (!p || p->hidden) return make_error(ErrorCode::not_found, "err_not_found");
        if (!store::delete_support(c, id, who.user_id)) return make_error(ErrorCode::conflict, "usulan_err_not_supported");
        audit_.record(c, AuthService::actor_of(who), "usulan.support_withdraw", "usulan_support", std::to_string(id),
                      "{}", now);
        return ok_status();
    });
}

Result<std::int64_t> UsulanService::comment(const Principal& who, std::int64_t id, std::optional<std::int64_t> parent,
                                            const std::string& body_in) {
    const std::string body = trimmed(body_in);
    if (!good_text(body, kCommentMax, true, true)) return invalid({{"body", "usulan_err_comment"}});
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Result<std::int64_t> {
        auto p = store::find_proposal(c, id);
        if (!p || p->hidden) return make_error(ErrorCode::not_found, "err_not_found");
        if (parent) {
            auto pc = store::find_comment(c, *parent);
            if (!pc || pc->proposal_id != id) return make_error(ErrorCode::not_found, "usulan_err_parent");
            if (pc->parent_id) return make_error(ErrorCode::unprocessable, "usulan_err_reply_depth");
            if (pc->hidden) return make_error(ErrorCode::conflict, "usulan_err_parent_hidden");
        }
        auto cid = store::insert_comment(c, id, parent, who.user_id, body, now);
        audit_.record(c, AuthService::actor_of(who), "usulan.comment", "usulan_comment", std::to_string(cid),
                      json({{"proposal", id}, {"parent", opt_json(parent)}, {"body", body}}), now);
        return cid;
    });
}

Status UsulanService::flag_comment(const Principal& who, std::int64_t comment_id, const std::string& reason_in) {
    const std::string reason = trimmed(reason_in);
    if (!good_text(reason, kReasonMax, true, false)) return invalid({{"reason", "usulan_err_reason_long"}});
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto cm = store::find_comment(c, comment_id);
        if (!cm) return make_error(ErrorCode::not_found, "err_not_found");
        if (!store::insert_flag(c, comment_id, who.user_id, reason, now))
            return make_error(ErrorCode::conflict, "usulan_err_already_flagged");
        audit_.record(c, AuthService::actor_of(who), "usulan.comment_flag", "usulan_comment", std::to_string(comment_id),
                      json({{"reason", reason}}), now);
        return ok_status();
    });
}

Status UsulanService::hide_comment(const Principal& who, std::int64_t comment_id, const std::string& reason_in) {
    const std::string reason = trimmed(reason_in);
    if (!good_text(reason, kReasonMax, true, true)) return invalid({{"reason", "usulan_err_reason_required"}});
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto cm = store::find_comment(c, comment_id);
        if (!cm) return make_error(ErrorCode::not_found, "err_not_found");
        auto p = store::find_proposal(c, cm->proposal_id);
        if (!p) return make_error(ErrorCode::not_found, "err_not_found");
        if (!policy::may_moderate(who, offices(c, *p))) return make_error(ErrorCode::forbidden, "usulan_err_not_moderator");
        if (cm->hidden) return make_error(ErrorCode::conflict, "usulan_err_already_hidden");
        store::hide_comment(c, comment_id, reason, who.user_id, now);
        // The hidden text stays in the audit trail (object type usulan_comment is not public).
        audit_.record(c, AuthService::actor_of(who), "usulan.comment_hide", "usulan_comment", std::to_string(comment_id),
                      json({{"proposal", cm->proposal_id}, {"reason", reason}, {"body", cm->body}}), now);
        return ok_status();
    });
}

Status UsulanService::hide_proposal(const Principal& who, std::int64_t id, const std::string& reason_in) {
    const std::string reason = trimmed(reason_in);
    if (!good_text(reason, kReasonMax, true, true)) return invalid({{"reason", "usulan_err_reason_required"}});
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto p = store::find_proposal(c, id);
        if (!p) return make_error(ErrorCode::not_found, "err_not_found");
        if (!policy::may_moderate(who, offices(c, *p))) return make_error(ErrorCode::forbidden, "usulan_err_not_moderator");
        if (p->hidden) return make_error(ErrorCode::conflict, "usulan_err_already_hidden");
        store::hide_proposal(c, id, reason, now);
        Event e;
        e.proposal_id = id;
        e.at = now;
        e.kind = "hidden";
        e.stage = p->stage;
        e.reason = reason;
        e.actor = actor_label(c, who);
        store::insert_event(c, e);
        // The public entry names the reason; the text itself is kept in the moderation entry.
        audit_.record(c, AuthService::actor_of(who), "usulan.hide", "proposal", std::to_string(id),
                      json({{"reason", reason}}), now);
        audit_.record(c, AuthService::actor_of(who), "usulan.hide_text", "usulan_moderation", std::to_string(id),
                      json({{"title", p->title}, {"problem", p->problem}, {"proposal", p->proposal}}), now);
        return ok_status();
    });
}

Status UsulanService::open_year(const Principal& who, const YearInput& in) {
    std::vector<FieldError> errs;
    if (in.year < 2000 || in.year > 2100) errs.push_back({"year", "usulan_err_year"});
    for (std::size_t i = 0; i < kWindows.size(); ++i) {
        const std::string f = std::string(kWindows[i]) + "_end";
        if (in.start[i] <= 0 || in.end[i] <= 0 || in.start[i] > in.end[i]) errs.push_back({f, "usulan_err_window"});
        else if (i > 0 && in.start[i] < in.start[i - 1]) errs.push_back({std::string(kWindows[i]) + "_start", "usulan_err_window_order"});
    }
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        policy::Offices o;
        o.planning = store::opd_id(c, regency_.planning_opd);
        if (!policy::may_plan(who, o)) return make_error(ErrorCode::forbidden, "usulan_err_not_planner");
        if (!errs.empty()) return invalid(errs);
        auto before = store::find_year(c, in.year);
        PlanningYear y;
        y.year = in.year;
        y.start = in.start;
        y.end = in.end;
        y.opened_at = before ? before->opened_at : now;
        store::upsert_year(c, y, who.user_id);
        boost::json::object windows;
        for (std::size_t i = 0; i < kWindows.size(); ++i)
            windows[kWindows[i]] = boost::json::array{format_iso8601(y.start[i], regency_.utc_offset_minutes),
                                                      format_iso8601(y.end[i], regency_.utc_offset_minutes)};
        audit_.record(c, AuthService::actor_of(who), before ? "usulan.year_update" : "usulan.year_open", "usulan_year",
                      std::to_string(in.year), boost::json::serialize(boost::json::object{{"windows", windows}}), now);
        return ok_status();
    });
}

Status UsulanService::decide(const Principal& who, std::int64_t id, const DecisionInput& in) {
    std::vector<FieldError> errs = in.parse_errors;
    const std::string note = trimmed(in.note), reason = trimmed(in.reason);
    const std::string program = trimmed(in.program), kegiatan = trimmed(in.kegiatan);
    const bool forward = in.decision == "forward", reject = in.decision == "reject", revise = in.decision == "revise";
    if (!forward && !reject && !revise) errs.push_back({"decision", "usulan_err_decision"});
    if (!good_text(note, kReasonMax, true, false)) errs.push_back({"note", "usulan_err_note"});
    if (!good_text(reason, kReasonMax, true, false)) errs.push_back({"reason", "usulan_err_reason_long"});
    else if (reject && reason.empty()) errs.push_back({"reason", "usulan_err_rejection_reason"});
    if (in.score && (*in.score < 0 || *in.score > 100)) errs.push_back({"score", "usulan_err_score"});
    if (forward && !in.score) errs.push_back({"score", "usulan_err_score"});
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        auto p = store::find_proposal(c, id);
        if (!p || p->hidden) return make_error(ErrorCode::not_found, "err_not_found");
        if (is_final(*p)) return make_error(ErrorCode::conflict, "usulan_err_final");
        const auto o = offices(c, *p);
        if (!policy::may_decide(who, *p, o)) {
            // A desa/kelurahan operator learns what its scope is: its own village, the desa stage.
            std::optional<store::OpdRow> own;
            if (who.opd_id) own = store::find_opd(c, *who.opd_id);
            return make_error(ErrorCode::forbidden, own && policy::is_village_office(own->kind)
                                                        ? "usulan_err_desa_scope"
                                                        : "usulan_err_not_responsible");
        }
        auto year = store::find_year(c, p->year);
        const int si = stage_index(p->stage);  // 0..3 here; window index si + 1
        if (!year || si < 0 || si > 3 || !year->window_open(static_cast<std::size_t>(si) + 1, now))
            return make_error(ErrorCode::conflict, "usulan_err_outside_window");
        std::optional<std::int64_t> target;
        if (forward && p->stage == "kecamatan") {
            std::optional<store::OpdRow> opd;
            if (auto tid = store::opd_id(c, in.target_opd_slug)) opd = store::find_opd(c, *tid);
            if (!opd || policy::is_area_office(opd->kind)) errs.push_back({"target_opd", "usulan_err_target_opd"});
            else target = opd->id;
        }
        std::optional<std::int64_t> budget;
        if (forward && p->stage == "kabupaten") {
            if (!good_text(program, kProgramMax, false, true)) errs.push_back({"program", "usulan_err_program"});
            if (!good_text(kegiatan, kProgramMax, false, true)) errs.push_back({"kegiatan", "usulan_err_kegiatan"});
            if (!in.budget || !finite_in(*in.budget, 0, kCostMax)) errs.push_back({"budget", "usulan_err_budget"});
            else budget = static_cast<std::int64_t>(std::llround(*in.budget));
        }
        if (!errs.empty()) return invalid(errs);

        Event e;
        e.proposal_id = id;
        e.at = now;
        e.stage = p->stage;
        e.decision = in.decision;
        e.note = note;
        e.reason = reason;
        e.score = in.score;
        e.actor = actor_label(c, who);
        std::string what;
        const std::string stage_name = i18n_.t(core::web::I18n::kDefault, "usulan_stage_" + p->stage);
        if (forward && p->stage == "kabupaten") {
            e.kind = "outcome";
            store::update_outcome(c, id, "accepted", in.score, program, kegiatan, budget, "", now);
            what = i18n_.t(core::web::I18n::kDefault, "usulan_notify_accepted");
        } else if (forward) {
            e.kind = "decision";
            const std::string next(kStages[static_cast<std::size_t>(si) + 1]);
            store::update_stage(c, id, next, "submitted", in.score, target, "", si + 1, now);
            what = i18n_.t(core::web::I18n::kDefault, "usulan_notify_forwarded") + " " +
                   i18n_.t(core::web::I18n::kDefault, "usulan_stage_" + next) + ".";
        } else if (reject && p->stage == "kabupaten") {
            e.kind = "outcome";
            store::update_outcome(c, id, "not_accepted", in.score, "", "", std::nullopt, reason, now);
            what = i18n_.t(core::web::I18n::kDefault, "usulan_notify_not_accepted") + " " + reason;
        } else if (reject) {
            e.kind = "decision";
            store::update_stage(c, id, p->stage, "rejected", in.score, std::nullopt, reason, si, now);
            what = i18n_.t(core::web::I18n::kDefault, "usulan_notify_rejected") + " (" + stage_name + "): " + reason;
        } else {
            e.kind = "decision";
            store::update_stage(c, id, p->stage, "revise", in.score, std::nullopt, "", si, now);
            what = i18n_.t(core::web::I18n::kDefault, "usulan_notify_revise") + " (" + stage_name + ")";
            if (!note.empty()) what += ": " + note;
        }
        store::insert_event(c, e);
        audit_.record(c, AuthService::actor_of(who), e.kind == "outcome" ? "usulan.outcome" : "usulan.decide", "proposal",
                      std::to_string(id),
                      json({{"stage", p->stage},
                            {"decision", in.decision},
                            {"score", in.score ? boost::json::value(*in.score) : boost::json::value(nullptr)},
                            {"note", note},
                            {"reason", reason},
                            {"target_opd", opt_json(target)},
                            {"program", program},
                            {"kegiatan", kegiatan},
                            {"budget", opt_json(budget)},
                            {"before", boost::json::object{{"stage", p->stage}, {"status", p->status}}}}),
                      now);
        notify_moved(c, *p, what);
        return ok_status();
    });
}

Status UsulanService::report_progress(const Principal& who, std::int64_t id, const ProgressInput& in,
                                      const std::vector<PhotoUpload>& photos) {
    std::vector<FieldError> errs = in.parse_errors;
    if (!in.progress || *in.progress < 0 || *in.progress > 100) errs.push_back({"progress", "usulan_err_progress"});
    if (in.realised_cost && !finite_in(*in.realised_cost, 0, kCostMax)) errs.push_back({"realised_cost", "usulan_err_cost_absurd"});
    if (in.finished_at && (*in.finished_at <= 0 || *in.finished_at > clock_.now() + 86400))
        errs.push_back({"finished_at", "usulan_err_finished"});
    // Who and what first, then the photos (nothing is stored for a refused request).
    auto p = get(id);
    if (!p || p->hidden) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::may_report_progress(who, offices_for(*p))) return make_error(ErrorCode::forbidden, "usulan_err_not_responsible");
    if (p->status != "accepted") return make_error(ErrorCode::conflict, "usulan_err_not_accepted");
    if (auto st = check_photos(photos, errs); !st) return st;
    if (!errs.empty()) return invalid(errs);
    auto shas = store_photos(photos, who.user_id);
    if (!shas) return shas.error();
    const auto now = clock_.now();
    std::optional<std::int64_t> realised;
    if (in.realised_cost) realised = static_cast<std::int64_t>(std::llround(*in.realised_cost));
    std::optional<std::int64_t> finished = in.finished_at;
    if (!finished && *in.progress == 100 && !p->finished_at) finished = now;
    return db_.write([&](db::Connection& c) -> Status {
        store::update_progress(c, id, *in.progress, realised, finished, now);
        int pos = static_cast<int>(p->progress_photos.size());
        for (const auto& sha : *shas) store::insert_photo(c, id, sha, "progress", pos++, now);
        Event e;
        e.proposal_id = id;
        e.at = now;
        e.kind = "progress";
        e.stage = "final";
        e.progress = in.progress;
        e.actor = actor_label(c, who);
        store::insert_event(c, e);
        audit_.record(c, AuthService::actor_of(who), "usulan.progress", "proposal", std::to_string(id),
                      json({{"progress", *in.progress},
                            {"realised_cost", opt_json(realised)},
                            {"finished_at", opt_json(finished)},
                            {"photos", static_cast<std::int64_t>(shas->size())}}),
                      now);
        notify_moved(c, *p, i18n_.t(core::web::I18n::kDefault, "usulan_notify_progress") + " " +
                                std::to_string(*in.progress) + "%.");
        return ok_status();
    });
}

Status UsulanService::set_pagu(const Principal& who, int year, const std::string& kecamatan_code,
                               std::optional<double> amount) {
    const auto now = clock_.now();
    return db_.write([&](db::Connection& c) -> Status {
        policy::Offices o;
        o.planning = store::opd_id(c, regency_.planning_opd);
        if (!policy::may_plan(who, o)) return make_error(ErrorCode::forbidden, "usulan_err_not_planner");
        std::vector<FieldError> errs;
        if (!store::find_year(c, year)) errs.push_back({"year", "usulan_err_year"});
        if (!regency_.find_kecamatan(kecamatan_code)) errs.push_back({"kecamatan", "usulan_err_kecamatan"});
        if (!amount || !finite_in(*amount, 0, kCostMax)) errs.push_back({"amount", "usulan_err_pagu"});
        if (!errs.empty()) return invalid(errs);
        auto before = store::pagu(c, year, kecamatan_code);
        const auto value = static_cast<std::int64_t>(std::llround(*amount));
        store::upsert_pagu(c, year, kecamatan_code, value, now);
        audit_.record(c, AuthService::actor_of(who), "usulan.pagu_set", "usulan_pagu",
                      std::to_string(year) + "/" + kecamatan_code, json({{"before", opt_json(before)}, {"after", value}}),
                      now);
        return ok_status();
    });
}

std::optional<Proposal> UsulanService::get(std::int64_t id) {
    return db_.read([&](db::Connection& c) { return store::find_proposal(c, id); });
}

ListPage UsulanService::list(ListFilter f) {
    f.limit = std::clamp(f.limit, 1, 10000);
    return db_.read([&](db::Connection& c) { return store::list_proposals(c, f); });
}

MapPage UsulanService::points(ListFilter f) {
    f.limit = std::clamp(f.limit, 1, 10000);
    return db_.read([&](db::Connection& c) { return store::list_points(c, f); });
}

std::vector<Comment> UsulanService::comments(std::int64_t id) {
    return db_.read([&](db::Connection& c) { return store::comments_of(c, id); });
}

std::vector<Event> UsulanService::timeline(std::int64_t id) {
    return db_.read([&](db::Connection& c) { return store::events_of(c, id); });
}

std::vector<PlanningYear> UsulanService::years() {
    return db_.read([&](db::Connection& c) { return store::years(c); });
}

std::optional<PlanningYear> UsulanService::year(int y) {
    return db_.read([&](db::Connection& c) { return store::find_year(c, y); });
}

std::optional<PlanningYear> UsulanService::submission_year() {
    const auto now = clock_.now();
    for (const auto& y : years())  // newest first
        if (y.window_open(0, now)) return y;
    return std::nullopt;
}

std::optional<PlanningYear> UsulanService::default_year() {
    if (auto y = submission_year()) return y;
    auto all = years();
    if (all.empty()) return std::nullopt;
    return all.front();
}

Ranking UsulanService::ranking(int year, const std::string& kecamatan_code) {
    Ranking r;
    db_.read([&](db::Connection& c) {
        for (auto& p : store::proposals_of(c, year, kecamatan_code)) {
            // The kecamatan forum ranks what the desa forums sent on, and keeps it ranked afterwards.
            if (stage_index(p.stage) < 1) continue;
            if (p.status == "rejected") continue;
            r.items.push_back(std::move(p));
        }
        r.pagu = store::pagu(c, year, kecamatan_code);
    });
    std::sort(r.items.begin(), r.items.end(), [](const Proposal& a, const Proposal& b) {
        const int sa = a.score.value_or(-1), sb = b.score.value_or(-1);
        if (sa != sb) return sa > sb;
        if (a.supports != b.supports) return a.supports > b.supports;
        return a.id < b.id;
    });
    return r;
}

std::vector<store::KecamatanCounts> UsulanService::participation(std::optional<int> year) {
    return db_.read([&](db::Connection& c) { return store::participation(c, year); });
}

bool UsulanService::supports(std::int64_t id, std::int64_t user_id) {
    return db_.read([&](db::Connection& c) { return store::has_support(c, id, user_id); });
}

UsulanService::OpdList UsulanService::opds() {
    {
        std::lock_guard lock(opds_mutex_);
        if (opds_) return opds_;
    }
    // Read outside the lock (a reader lease may wait); two first callers both read, one keeps its copy.
    auto fresh = std::make_shared<const std::vector<store::OpdRow>>(
        db_.read([&](db::Connection& c) { return store::opds(c); }));
    if (fresh->empty()) return fresh;  // not seeded yet: ask again next time
    std::lock_guard lock(opds_mutex_);
    if (!opds_) opds_ = std::move(fresh);
    return opds_;
}

void UsulanService::reload_opds() {
    std::lock_guard lock(opds_mutex_);
    opds_.reset();
}

std::vector<ListFilter> UsulanService::work_queue(const Principal& who) {
    std::vector<ListFilter> out;
    if (!who.is(core::auth::Role::operator_opd) || !who.opd_id) return out;
    const auto own = db_.read([&](db::Connection& c) { return store::find_opd(c, *who.opd_id); });
    if (!own) return out;
    auto waiting = [&](std::string_view stage) {
        ListFilter f;
        f.stage = std::string(stage);
        f.status = "submitted";
        return f;
    };
    if (policy::is_village_office(own->kind) && regency_.find_village(own->region_code)) {
        out.push_back(waiting("desa"));
        out.back().desa = own->region_code;
    } else if (own->kind == "kecamatan" && regency_.find_kecamatan(own->region_code)) {
        for (auto stage : {"desa", "kecamatan"}) {
            out.push_back(waiting(stage));
            out.back().kecamatan = own->region_code;
        }
    } else if (own->slug == regency_.planning_opd) {
        out.push_back(waiting("kabupaten"));
    }
    // The OPD forum: what is addressed to this agency (a kecamatan or village office is never a
    // target).
    if (!policy::is_village_office(own->kind) && own->kind != "kecamatan") {
        out.push_back(waiting("opd"));
        out.back().target_opd = own->slug;
    }
    return out;
}

std::int64_t UsulanService::count() {
    return db_.read([&](db::Connection& c) { return store::count_proposals(c); });
}

}  // namespace gapura::modules::usulan
