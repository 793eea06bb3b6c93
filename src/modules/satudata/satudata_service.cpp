#include "modules/satudata/satudata_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>

#include "app/config.hpp"

#include "core/audit/audit_log.hpp"
#include "core/auth/auth_service.hpp"
#include "core/files/file_store.hpp"
#include "core/jobs/notifier.hpp"
#include "core/region/regency.hpp"
#include "core/util/strings.hpp"
#include "modules/satudata/satudata_policy.hpp"
#include "modules/satudata/satudata_store.hpp"

namespace gapura::modules::satudata {

namespace db = core::db;
using core::auth::AuthService;

// ---------------------------------------------------------------- dates

namespace {
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
}  // namespace

std::optional<std::int64_t> parse_day(std::string_view date) {
    if (!is_iso_date(date)) return std::nullopt;
    int y = std::stoi(std::string(date.substr(0, 4))), m = std::stoi(std::string(date.substr(5, 2))),
        d = std::stoi(std::string(date.substr(8, 2)));
    return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::string format_day(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(y), m, d);
    return buf;
}

std::string add_working_days(const core::calendar::WorkingCalendar& cal, const std::string& date, int n) {
    auto day = parse_day(date);
    if (!day) return date;
    std::int64_t z = *day;
    while (n > 0) {
        ++z;
        auto d = core::calendar::Date::parse(format_day(z));
        if (d && cal.is_working_day(*d)) --n;
    }
    return format_day(z);
}

std::string slugify(std::string_view title) {
    std::string out;
    for (unsigned char c : title) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += static_cast<char>(c);
        else if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
        else if (!out.empty() && out.back() != '-') out += '-';
        if (out.size() >= 80) break;
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out;
}

// ---------------------------------------------------------------- helpers

namespace {
std::string json_summary(std::initializer_list<std::pair<const char*, boost::json::value>> kv) {
    boost::json::object o;
    for (const auto& [k, v] : kv) o[k] = v;
    return boost::json::serialize(o);
}

bool valid_slug(const std::string& s) {
    if (s == "jadwal" || s == "permohonan") return false;  // /data/jadwal, /data/permohonan
    if (s.size() < 3 || s.size() > 100 || s.front() == '-' || s.back() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool valid_period(const std::string& s) {
    if (s.empty()) return true;
    if (s.size() == 4) return is_integer(s) && s[0] != '-' && s[0] != '+';
    if (s.size() == 7) return is_iso_date(s + "-01");
    return is_iso_date(s);
}

// Trimmed text, length-checked in code points, UTF-8 and free of control characters (line
// breaks allowed when multiline).
bool clean_text(std::string& s, std::size_t min, std::size_t max, bool multiline) {
    s = std::string(util::trim(s));
    if (!util::valid_utf8(s)) return false;
    if (util::has_control_chars(s)) return false;
    if (!multiline && s.find_first_of("\r\n\t") != std::string::npos) return false;
    const auto n = util::utf8_length(s);
    return n >= min && n <= max;
}

bool one_of(const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

void notify_users(db::Connection& c, core::jobs::Notifier& n, const std::string& sql, std::int64_t arg,
                  const std::string& kind, const std::string& title, const std::string& body, const std::string& link) {
    std::vector<std::int64_t> users;
    {
        db::Query q(c, sql, {arg});
        while (q.next()) users.push_back(q.integer(0));
    }
    for (auto u : users) n.notify(c, u, kind, title, body, link);
}
constexpr const char* kWalidataUsers = "SELECT id FROM users WHERE role = 'walidata' AND disabled_at IS NULL AND id > ?";
constexpr const char* kOpdUsers =
    "SELECT id FROM users WHERE opd_id = ? AND role IN ('operator_opd', 'walidata') AND disabled_at IS NULL";
}  // namespace

namespace {
// data/holidays/indonesia.csv beside data/regencies/<slug>/; weekends only when it is missing.
core::calendar::WorkingCalendar load_calendar(const core::CoreServices& s) {
    namespace fs = std::filesystem;
    const fs::path path = s.config.holidays_file;
    try {
        if (fs::exists(path)) return core::calendar::WorkingCalendar::load(path.string(), s.regency.utc_offset_minutes);
    } catch (const std::exception&) {
    }
    return core::calendar::WorkingCalendar(s.regency.utc_offset_minutes);
}
}  // namespace

SatuDataService::SatuDataService(core::CoreServices s)
    : s_(s), calendar_(load_calendar(s)), index_(std::make_shared<store::PublicIndex>(s.db)) {
    regions_.insert(s_.regency.code);
    for (const auto& k : s_.regency.kecamatan) regions_.insert(k.code);
    for (const auto& v : s_.regency.villages) regions_.insert(v.code);
}

std::string SatuDataService::today() const {
    return format_day((s_.clock.now() + s_.regency.utc_offset_minutes * 60) / 86400);
}

// ---------------------------------------------------------------- producing

Result<Dataset> SatuDataService::check_input(const Principal& p, const DatasetInput& in_raw, std::int64_t opd_id) {
    (void)p;
    DatasetInput in = in_raw;
    Error err{ErrorCode::unprocessable, "err_form_invalid", {}, {}, 0};
    auto field = [&](const char* name, const char* key) { err.fields.push_back({name, key}); };
    if (!clean_text(in.title, 3, 200, false)) field("title", "satudata_err_title");
    in.slug = std::string(util::trim(in.slug));
    if (in.slug.empty()) in.slug = slugify(in.title);
    if (!valid_slug(in.slug)) field("slug", "satudata_err_slug");
    if (!clean_text(in.description, 0, 10000, true)) field("description", "satudata_err_text_long");
    for (auto* f : {&in.konsep, &in.definisi, &in.klasifikasi, &in.ukuran, &in.satuan})
        if (!clean_text(*f, 0, 2000, true)) field("konsep", "satudata_err_text_long");
    if (!valid_period(in.period_start)) field("period_start", "satudata_err_period");
    if (!valid_period(in.period_end)) field("period_end", "satudata_err_period");
    if (!one_of(frequencies(), in.frequency)) field("frequency", "satudata_err_choice");
    if (!one_of(region_levels(), in.region_level)) field("region_level", "satudata_err_choice");
    if (in.license_id.empty()) in.license_id = "CC-BY-4.0";
    if (!one_of(licenses(), in.license_id)) field("license_id", "satudata_err_choice");
    if (!one_of(visibilities(), in.visibility)) field("visibility", "satudata_err_choice");
    if (!clean_text(in.contact_name, 0, 200, false)) field("contact_name", "satudata_err_text_long");
    in.contact_email = std::string(util::trim(in.contact_email));
    if (!in.contact_email.empty() && !util::plausible_email(in.contact_email)) field("contact_email", "err_email_invalid");
    std::vector<std::string> tags;
    if (!util::valid_utf8(in.tags)) field("tags", "satudata_err_tags");
    else
        for (auto part : util::split(in.tags, ',')) {
            std::string t = util::to_lower_ascii(util::trim(part));
            if (t.empty()) continue;
            bool ok = util::utf8_length(t) <= 50 && !util::has_control_chars(t) &&
                      t.find_first_of("<>\"'&") == std::string::npos;
            if (!ok || tags.size() >= 20) {
                field("tags", "satudata_err_tags");
                break;
            }
            if (!one_of(tags, t)) tags.push_back(t);
        }
    for (const auto& slug : in.access_opds) {
        bool known = false;
        for (const auto& o : s_.regency.opds) known = known || o.slug == slug;
        if (!known) {
            field("access_opds", "err_opd_unknown");
            break;
        }
    }
    if (!err.fields.empty()) return err;
    Dataset d;
    d.slug = in.slug;
    d.title = in.title;
    d.description = in.description;
    d.konsep = in.konsep;
    d.definisi = in.definisi;
    d.klasifikasi = in.klasifikasi;
    d.ukuran = in.ukuran;
    d.satuan = in.satuan;
    d.period_start = in.period_start;
    d.period_end = in.period_end;
    const std::string& yp = !in.period_end.empty() ? in.period_end : in.period_start;
    d.year = yp.size() >= 4 ? static_cast<int>(util::parse_int(yp.substr(0, 4)).value_or(0)) : 0;
    d.frequency = in.frequency;
    d.region_level = in.region_level;
    d.license_id = in.license_id;
    d.contact_name = in.contact_name;
    d.contact_email = in.contact_email;
    d.tags = tags;
    d.visibility = in.visibility;
    d.access_opds = in.visibility == "restricted" ? in.access_opds : std::vector<std::string>{};
    d.opd_id = opd_id;
    return d;
}

namespace {
std::string search_text_of(const Dataset& d, const std::string& opd_name) {
    std::string s = d.title + " " + d.description + " " + d.konsep + " " + d.satuan + " " + opd_name + " " + d.slug;
    for (const auto& t : d.tags) s += " " + t;
    return util::to_lower_ascii(s);
}
std::vector<std::int64_t> opd_ids(db::Connection& c, const std::vector<std::string>& slugs) {
    std::vector<std::int64_t> out;
    for (const auto& s : slugs)
        if (auto id = store::opd_id_by_slug(c, s)) out.push_back(*id);
    return out;
}
}  // namespace

Result<std::int64_t> SatuDataService::create_dataset(const Principal& p, const DatasetInput& in) {
    std::optional<std::int64_t> opd = p.opd_id;
    if (p.is_admin() && !in.opd_slug.empty())
        opd = s_.db.read([&](db::Connection& c) { return store::opd_id_by_slug(c, in.opd_slug); });
    if (!opd || !policy::can_produce(p, *opd)) return make_error(ErrorCode::forbidden, "err_forbidden");
    auto checked = check_input(p, in, *opd);
    if (!checked) return checked.error();
    Dataset d = std::move(checked.value());
    const auto now = s_.clock.now();
    d.state = kDraft;
    d.created_by = p.user_id;
    d.created_at = d.updated_at = now;
    try {
        return s_.db.write([&](db::Connection& c) -> Result<std::int64_t> {
            auto opd_name = db::scalar_text(c, "SELECT name FROM opds WHERE id = ?", {d.opd_id}).value_or("");
            auto id = store::insert_dataset(c, d, search_text_of(d, opd_name));
            store::set_tags(c, id, d.tags);
            store::set_access(c, id, opd_ids(c, d.access_opds));
            s_.audit.record(c, AuthService::actor_of(p), "satudata.create", "dataset", std::to_string(id),
                            json_summary({{"slug", boost::json::value(d.slug)}, {"title", boost::json::value(d.title)}}), now);
            return id;
        });
    } catch (const db::DbError& e) {
        if (e.kind() == db::DbError::Kind::unique_violation) {
            Error conflict{ErrorCode::conflict, "satudata_err_slug_taken", {{"slug", "satudata_err_slug_taken"}}, {}, 0};
            return conflict;
        }
        throw;
    }
}

Status SatuDataService::update_dataset(const Principal& p, std::int64_t id, const DatasetInput& in) {
    auto cur = find(id);
    if (!cur || !policy::can_see_unpublished(p, *cur)) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_produce(p, cur->opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    if (cur->state == kSubmitted || cur->state == kVerified)
        return make_error(ErrorCode::conflict, "satudata_err_state");
    auto checked = check_input(p, in, cur->opd_id);
    if (!checked) return checked.error();
    Dataset d = std::move(checked.value());
    d.id = id;
    d.updated_at = s_.clock.now();
    try {
        return s_.db.write([&](db::Connection& c) -> Status {
            store::update_metadata(c, d, search_text_of(d, cur->opd_name));
            store::set_tags(c, id, d.tags);
            store::set_access(c, id, opd_ids(c, d.access_opds));
            s_.audit.record(c, AuthService::actor_of(p), "satudata.update", "dataset", std::to_string(id),
                            json_summary({{"slug", boost::json::value(d.slug)}, {"visibility", boost::json::value(d.visibility)}}),
                            d.updated_at);
            return ok_status();
        });
    } catch (const db::DbError& e) {
        if (e.kind() == db::DbError::Kind::unique_violation) {
            Error conflict{ErrorCode::conflict, "satudata_err_slug_taken", {{"slug", "satudata_err_slug_taken"}}, {}, 0};
            return conflict;
        }
        throw;
    }
}

Status SatuDataService::set_columns(const Principal& p, std::int64_t id, const std::vector<ColumnSpec>& cols_in) {
    auto cur = find(id);
    if (!cur || !policy::can_see_unpublished(p, *cur)) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_produce(p, cur->opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    if (cur->state == kSubmitted || cur->state == kVerified)
        return make_error(ErrorCode::conflict, "satudata_err_state");
    Error err{ErrorCode::unprocessable, "err_form_invalid", {}, {}, 0};
    std::vector<ColumnSpec> cols;
    std::vector<std::string> names;
    for (auto c : cols_in) {
        c.name = std::string(util::trim(c.name));
        if (c.name.empty() && c.allowed.empty()) continue;  // blank form row
        bool ok = !c.name.empty() && c.name.size() <= 64 && util::valid_utf8(c.name) && !util::has_control_chars(c.name) &&
                  c.name.find_first_of(",;\"\r\n\t") == std::string::npos;
        std::string lower = util::to_lower_ascii(c.name);
        if (!ok) err.fields.push_back({c.name.empty() ? "name" : c.name, "satudata_err_column_name"});
        else if (one_of(names, lower)) err.fields.push_back({c.name, "satudata_err_column_dup"});
        names.push_back(lower);
        std::vector<std::string> allowed;
        for (auto& a : c.allowed) {
            std::string v(util::trim(a));
            if (v.empty()) continue;
            if (!util::valid_utf8(v) || v.size() > 100 || v.find('|') != std::string::npos || allowed.size() >= 100) {
                err.fields.push_back({c.name, "satudata_err_allowed"});
                break;
            }
            allowed.push_back(v);
        }
        c.allowed = allowed;
        cols.push_back(std::move(c));
    }
    if (cols.empty()) err.fields.push_back({"columns", "satudata_err_no_columns"});
    if (cols.size() > 200) err.fields.push_back({"columns", "satudata_err_too_many_columns"});
    if (!err.fields.empty()) return err;
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Status {
        store::replace_columns(c, id, cols);
        db::exec(c, "UPDATE sd_datasets SET updated_at = ? WHERE id = ?", {now, id});
        boost::json::array list;
        for (const auto& col : cols) list.push_back(boost::json::value(col.name + ":" + std::string(column_type_name(col.type))));
        s_.audit.record(c, AuthService::actor_of(p), "satudata.columns", "dataset", std::to_string(id),
                        json_summary({{"columns", list}}), now);
        return ok_status();
    });
}

Result<std::vector<ColumnSpec>> SatuDataService::upload_columns(const Principal& p, std::int64_t id) {
    auto cur = find(id);
    if (!cur || !policy::can_see_unpublished(p, *cur)) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_produce(p, cur->opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    if (cur->state == kSubmitted || cur->state == kVerified || cur->state == kWithdrawn)
        return make_error(ErrorCode::conflict, "satudata_err_state");
    auto cols = columns(id);
    if (cols.empty()) return make_error(ErrorCode::unprocessable, "satudata_err_no_columns");
    return cols;
}

std::unique_ptr<CsvValidator> SatuDataService::validator(std::vector<ColumnSpec> cols) const {
    return std::make_unique<CsvValidator>(std::move(cols), [this](std::string_view code) { return region_exists(code); });
}

Result<UploadOutcome> SatuDataService::upload(const Principal& p, std::int64_t id, const std::string& filename,
                                              std::string_view bytes) {
    auto cols = upload_columns(p, id);
    if (!cols) return cols.error();
    if (bytes.empty()) return make_error(ErrorCode::bad_request, "err_file_empty");
    if (bytes.size() > kMaxUploadBytes) return make_error(ErrorCode::too_large, "satudata_err_file_too_large");
    auto v = validator(std::move(*cols));
    constexpr std::size_t kChunk = 64 * 1024;
    for (std::size_t off = 0; off < bytes.size(); off += kChunk)
        if (!v->feed(bytes.substr(off, kChunk))) break;
    return record_upload(p, id, filename, v->finish(), [&] {
        return s_.files.put(bytes, core::files::FilePolicy{kMaxUploadBytes, {"text/csv"}}, p.user_id);
    });
}

Result<UploadOutcome> SatuDataService::upload_spooled(const Principal& p, std::int64_t id, ValidationReport report,
                                                      core::http::SpooledFile& file) {
    // Checked again: the dataset may have changed hands or state while the file arrived.
    auto cols = upload_columns(p, id);
    if (!cols) return cols.error();
    if (file.size == 0 && report.fatal == Fatal::none) return make_error(ErrorCode::bad_request, "err_file_empty");
    if (file.size > kMaxUploadBytes) return make_error(ErrorCode::too_large, "satudata_err_file_too_large");
    if (!file.complete && report.fatal == Fatal::none)  // stopped early only on a fatal error
        return make_error(ErrorCode::bad_request, "err_form_malformed");
    return record_upload(p, id, file.filename, std::move(report), [&] {
        return s_.files.adopt(file, core::files::FilePolicy{kMaxUploadBytes, {"text/csv"}}, p.user_id);
    });
}

Result<UploadOutcome> SatuDataService::record_upload(const Principal& p, std::int64_t id, const std::string& filename_in,
                                                     ValidationReport report,
                                                     const std::function<Result<core::files::StoredFile>()>& store_file) {
    UploadOutcome out;
    out.report = std::move(report);
    if (out.report.fatal != Fatal::none) {
        auto code = out.report.fatal == Fatal::zip || out.report.fatal == Fatal::xls || out.report.fatal == Fatal::not_text
                        ? ErrorCode::unsupported
                        : ErrorCode::unprocessable;
        return make_error(code, "satudata_fatal_" + std::string(fatal_name(out.report.fatal)),
                          out.report.fatal_row ? "row " + std::to_string(out.report.fatal_row) : "");
    }
    std::string filename(util::trim(filename_in));
    if (!util::valid_utf8(filename) || util::has_control_chars(filename) || filename.size() > 200) filename = "data.csv";
    if (filename.empty()) filename = "data.csv";
    const auto now = s_.clock.now();
    if (!out.report.ok()) {
        boost::json::array errs;
        for (const auto& e : out.report.errors)
            errs.push_back(boost::json::object{{"row", e.row}, {"column", e.column}, {"value", e.value}, {"code", e.code},
                                               {"expected", e.expected}});
        std::string rep = boost::json::serialize(boost::json::object{{"at", now},
                                                                     {"filename", filename},
                                                                     {"rows", out.report.rows},
                                                                     {"error_count", out.report.error_count},
                                                                     {"errors", errs}});
        s_.db.write([&](db::Connection& c) {
            store::set_last_report(c, id, rep);
            s_.audit.record(c, AuthService::actor_of(p), "satudata.upload_refused", "dataset", std::to_string(id),
                            json_summary({{"filename", boost::json::value(filename)},
                                          {"error_count", boost::json::value(out.report.error_count)}}),
                            now);
        });
        return out;
    }
    auto stored = store_file();
    if (!stored) return stored.error();
    Version ver;
    ver.dataset_id = id;
    ver.sha256 = stored->sha256;
    ver.filename = filename;
    ver.size = stored->size;
    ver.row_count = out.report.rows;
    ver.formula_cells = out.report.formula_cells;
    ver.delimiter = out.report.delimiter;
    ver.created_by = p.user_id;
    ver.created_at = now;
    auto vid = s_.db.write([&](db::Connection& c) {
        auto vid = store::insert_version(c, ver);
        store::set_last_report(c, id, "");
        db::exec(c, "UPDATE sd_datasets SET updated_at = ? WHERE id = ?", {now, id});
        s_.audit.record(c, AuthService::actor_of(p), "satudata.upload", "dataset", std::to_string(id),
                        json_summary({{"sha256", boost::json::value(ver.sha256)}, {"rows", boost::json::value(ver.row_count)}}),
                        now);
        return vid;
    });
    out.version = version_by_id(vid);
    out.accepted = true;
    return out;
}

Status SatuDataService::submit(const Principal& p, std::int64_t id) {
    auto cur = find(id);
    if (!cur || !policy::can_see_unpublished(p, *cur)) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_produce(p, cur->opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    auto vers = versions(id);
    if (vers.empty()) return make_error(ErrorCode::unprocessable, "satudata_err_no_version");
    const bool revision = cur->state == kPublished && cur->published_version_id && vers.front().id > *cur->published_version_id;
    if (cur->state != kDraft && cur->state != kReturned && !revision)
        return make_error(ErrorCode::conflict, "satudata_err_state");
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Status {
        if (!store::change_state(c, id, cur->state, kSubmitted, now)) return make_error(ErrorCode::conflict, "satudata_err_state");
        store::mark_submitted(c, id, now);
        s_.audit.record(c, AuthService::actor_of(p), "satudata.submit", "dataset", std::to_string(id),
                        json_summary({{"version", boost::json::value(vers.front().version_no)}}), now);
        notify_users(c, s_.notifier, kWalidataUsers, 0, "satudata.submitted", s_.views.t("id", "satudata_notice_submitted"),
                     cur->title, "/walidata");
        return ok_status();
    });
}

// ---------------------------------------------------------------- verifying

Status SatuDataService::transition(const Principal& p, std::int64_t id, const char* from, const char* to,
                                   const char* action, const std::string& note) {
    if (!policy::is_walidata(p)) return make_error(ErrorCode::forbidden, "err_forbidden");
    auto cur = find(id);
    if (!cur) return make_error(ErrorCode::not_found, "err_not_found");
    if (cur->state != from) return make_error(ErrorCode::conflict, "satudata_err_state");
    std::optional<std::int64_t> latest;
    if (std::string(to) == kPublished) {
        auto vers = versions(id);
        if (vers.empty()) return make_error(ErrorCode::unprocessable, "satudata_err_no_version");
        latest = vers.front().id;
    }
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Status {
        if (!store::change_state(c, id, from, to, now)) return make_error(ErrorCode::conflict, "satudata_err_state");
        if (std::string(to) == kReturned) store::set_notes(c, id, note, cur->withdraw_reason);
        if (std::string(to) == kWithdrawn) store::set_notes(c, id, cur->return_notes, note);
        if (latest) store::mark_published(c, id, *latest, now);
        s_.audit.record(c, AuthService::actor_of(p), action, "dataset", std::to_string(id),
                        json_summary({{"from", boost::json::value(from)}, {"to", boost::json::value(to)},
                                      {"note", boost::json::value(note)}}),
                        now);
        s_.notifier.notify(c, cur->created_by, action, s_.views.t("id", std::string("satudata_notice_") + to), cur->title,
                           "/data-opd/" + std::to_string(id));
        return ok_status();
    });
}

Status SatuDataService::return_to_producer(const Principal& p, std::int64_t id, const std::string& notes_in) {
    std::string notes = notes_in;
    if (!clean_text(notes, 3, 4000, true)) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"notes", "satudata_err_notes"}}, {}, 0};
        return e;
    }
    return transition(p, id, kSubmitted, kReturned, "satudata.return", notes);
}
Status SatuDataService::verify(const Principal& p, std::int64_t id) {
    return transition(p, id, kSubmitted, kVerified, "satudata.verify", "");
}
Status SatuDataService::publish(const Principal& p, std::int64_t id) {
    return transition(p, id, kVerified, kPublished, "satudata.publish", "");
}
Status SatuDataService::withdraw(const Principal& p, std::int64_t id, const std::string& reason_in) {
    std::string reason = reason_in;
    if (!clean_text(reason, 3, 4000, true)) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"reason", "satudata_err_reason"}}, {}, 0};
        return e;
    }
    return transition(p, id, kPublished, kWithdrawn, "satudata.withdraw", reason);
}

// ---------------------------------------------------------------- reading

std::optional<Dataset> SatuDataService::find(std::int64_t id) {
    return s_.db.read([&](db::Connection& c) { return store::dataset_by_id(c, id); });
}
std::optional<Dataset> SatuDataService::find_slug(const std::string& slug) {
    if (slug.empty() || slug.size() > 100) return std::nullopt;
    return s_.db.read([&](db::Connection& c) { return store::dataset_by_slug(c, slug); });
}

bool SatuDataService::listed_for(const std::optional<Principal>& p, const Dataset& d) {
    if (!d.publicly_listed()) return false;
    auto viewer = policy::viewer_of(p);
    const auto now = s_.clock.now();
    return s_.db.read([&](db::Connection& c) { return store::visible(c, viewer, d, now); });
}

Result<Dataset> SatuDataService::viewable(const std::optional<Principal>& p, const std::string& key) {
    auto d = find_slug(key);
    if (!d) {
        auto id = util::parse_int(key);
        if (id) d = find(*id);
    }
    if (!d) return make_error(ErrorCode::not_found, "err_not_found");
    if (p && policy::can_see_unpublished(*p, *d)) return *d;
    return visible_as(policy::viewer_of(p), std::move(*d));
}

Result<Dataset> SatuDataService::viewable(const Viewer& v, const std::string& key) {
    auto d = find_slug(key);
    if (!d) {
        auto id = util::parse_int(key);
        if (id) d = find(*id);
    }
    if (!d) return make_error(ErrorCode::not_found, "err_not_found");
    return visible_as(v, std::move(*d));
}

Result<Dataset> SatuDataService::visible_as(const Viewer& viewer, Dataset d) {
    if (d.publicly_listed()) {
        const auto now = s_.clock.now();
        if (s_.db.read([&](db::Connection& c) { return store::visible(c, viewer, d, now); })) return d;
    }
    // OPD staff learn that a restricted dataset exists (so they can ask for access); nobody else does.
    if (viewer.staff && d.publicly_listed() && d.visibility == "restricted")
        return make_error(ErrorCode::forbidden, "satudata_err_restricted");
    return make_error(ErrorCode::not_found, "err_not_found");
}

std::vector<ColumnSpec> SatuDataService::columns(std::int64_t id) {
    return s_.db.read([&](db::Connection& c) { return store::columns(c, id); });
}
std::vector<Version> SatuDataService::versions(std::int64_t id) {
    return s_.db.read([&](db::Connection& c) { return store::versions(c, id); });
}
std::vector<std::int64_t> SatuDataService::dataset_ids() {
    return s_.db.read([&](db::Connection& c) { return store::dataset_ids(c); });
}
std::vector<Version> SatuDataService::visible_versions(const std::optional<Principal>& p, const Dataset& d) {
    auto all = versions(d.id);
    if (p && policy::can_see_unpublished(*p, d)) return all;
    std::vector<Version> out;
    for (auto& v : all)
        if (d.published_version_id && v.id <= *d.published_version_id) out.push_back(std::move(v));
    return out;
}
std::optional<Version> SatuDataService::version_by_id(std::int64_t id) {
    return s_.db.read([&](db::Connection& c) { return store::version_by_id(c, id); });
}
SearchResult SatuDataService::search(const std::optional<Principal>& p, const SearchQuery& q, bool facets) {
    return search(policy::viewer_of(p), q, facets);
}
SearchResult SatuDataService::search(const Viewer& viewer, const SearchQuery& q, bool facets) {
    const auto now = s_.clock.now();
    return s_.db.read([&](db::Connection& c) { return store::search(c, viewer, q, now, facets, index_.get()); });
}
std::vector<Dataset> SatuDataService::for_opd(std::int64_t opd_id) {
    return s_.db.read([&](db::Connection& c) { return store::datasets_of_opd(c, opd_id, 500); });
}
std::vector<Dataset> SatuDataService::desk_queue() {
    return s_.db.read([&](db::Connection& c) {
        return store::datasets_where_state(c, {kSubmitted, kVerified, kReturned, kPublished}, 500);
    });
}

// ---------------------------------------------------------------- Daftar Data

Result<std::int64_t> SatuDataService::add_daftar(const Principal& p, const DaftarInput& in_raw) {
    if (!policy::is_walidata(p)) return make_error(ErrorCode::forbidden, "err_forbidden");
    DaftarInput in = in_raw;
    Error err{ErrorCode::unprocessable, "err_form_invalid", {}, {}, 0};
    if (!clean_text(in.title, 3, 200, false)) err.fields.push_back({"title", "satudata_err_title"});
    if (!one_of(frequencies(), in.frequency)) err.fields.push_back({"frequency", "satudata_err_choice"});
    if (!parse_day(in.release_date)) err.fields.push_back({"release_date", "satudata_err_date"});
    auto opd = s_.db.read([&](db::Connection& c) { return store::opd_id_by_slug(c, in.opd_slug); });
    if (!opd) err.fields.push_back({"opd", "err_opd_unknown"});
    std::optional<std::int64_t> dataset_id;
    if (!in.dataset_slug.empty()) {
        auto d = find_slug(in.dataset_slug);
        if (!d || (opd && d->opd_id != *opd)) err.fields.push_back({"dataset", "satudata_err_dataset_unknown"});
        else dataset_id = d->id;
    }
    if (!err.fields.empty()) return err;
    const auto now = s_.clock.now();
    try {
        return s_.db.write([&](db::Connection& c) -> Result<std::int64_t> {
            auto id = store::insert_daftar(c, *opd, in, dataset_id, p.user_id, now);
            s_.audit.record(c, AuthService::actor_of(p), "satudata.daftar_add", "daftar_data", std::to_string(id),
                            json_summary({{"opd", boost::json::value(in.opd_slug)}, {"title", boost::json::value(in.title)},
                                          {"release_date", boost::json::value(in.release_date)}}),
                            now);
            return id;
        });
    } catch (const db::DbError& e) {
        if (e.kind() == db::DbError::Kind::unique_violation) return make_error(ErrorCode::conflict, "satudata_err_daftar_dup");
        throw;
    }
}

std::vector<DaftarItem> SatuDataService::daftar(std::optional<std::int64_t> opd_id) {
    auto items = s_.db.read([&](db::Connection& c) { return store::daftar(c, opd_id); });
    const std::int64_t today_day = *parse_day(today());
    const int off = s_.regency.utc_offset_minutes * 60;
    for (auto& it : items) {
        const std::int64_t release = parse_day(it.release_date).value_or(today_day);
        if (it.delivered_at) {
            const std::int64_t delivered_day = (*it.delivered_at + off) / 86400;
            it.days_late = std::max<std::int64_t>(0, delivered_day - release);
            it.status = it.days_late > 0 ? "delivered_late" : "delivered";
        } else if (today_day > release) {
            it.status = "late";
            it.days_late = today_day - release;
        } else {
            it.status = "due";
            it.days_late = today_day - release;  // negative: days left
        }
    }
    return items;
}

// ---------------------------------------------------------------- G2G access

Result<std::int64_t> SatuDataService::request_access(const Principal& p, std::int64_t dataset_id, const std::string& reason_in) {
    if (!core::auth::is_staff(p.role) || !p.opd_id) return make_error(ErrorCode::forbidden, "err_forbidden");
    auto d = find(dataset_id);
    if (!d || !d->publicly_listed()) return make_error(ErrorCode::not_found, "err_not_found");
    if (d->visibility != "restricted") return make_error(ErrorCode::conflict, "satudata_err_not_restricted");
    if (listed_for(p, *d)) return make_error(ErrorCode::conflict, "satudata_err_has_access");
    std::string reason = reason_in;
    if (!clean_text(reason, 10, 2000, true)) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"reason", "satudata_err_reason"}}, {}, 0};
        return e;
    }
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Result<std::int64_t> {
        if (db::scalar_int(c, "SELECT id FROM sd_data_requests WHERE dataset_id = ? AND from_opd_id = ? AND state = 'pending'",
                           {dataset_id, *p.opd_id}))
            return make_error(ErrorCode::conflict, "satudata_err_request_pending");
        auto id = store::insert_data_request(c, dataset_id, *p.opd_id, reason, p.user_id, now);
        s_.audit.record(c, AuthService::actor_of(p), "satudata.access_request", "data_request", std::to_string(id),
                        json_summary({{"dataset", boost::json::value(d->slug)}, {"from_opd", boost::json::value(p.opd_slug)}}),
                        now);
        notify_users(c, s_.notifier, kOpdUsers, d->opd_id, "satudata.access_request",
                     s_.views.t("id", "satudata_notice_access_request"), d->title, "/data-opd/permintaan");
        return id;
    });
}

Status SatuDataService::approve_access(const Principal& p, std::int64_t request_id, const std::string& until) {
    auto r = s_.db.read([&](db::Connection& c) { return store::data_request(c, request_id); });
    if (!r) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_answer_for(p, r->owner_opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    auto day = parse_day(until);
    auto today_day = *parse_day(today());
    if (!day || *day <= today_day || *day > today_day + 366) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"until", "satudata_err_expiry"}}, {}, 0};
        return e;
    }
    const std::int64_t expires = (*day + 1) * 86400 - s_.regency.utc_offset_minutes * 60;
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Status {
        if (!store::decide_data_request(c, request_id, "approved", expires, "", p.user_id, now))
            return make_error(ErrorCode::conflict, "satudata_err_state");
        s_.audit.record(c, AuthService::actor_of(p), "satudata.access_approve", "data_request", std::to_string(request_id),
                        json_summary({{"until", boost::json::value(until)}}), now);
        auto by = db::scalar_int(c, "SELECT created_by FROM sd_data_requests WHERE id = ?", {request_id});
        if (by) s_.notifier.notify(c, *by, "satudata.access_approve", s_.views.t("id", "satudata_notice_access_approved"),
                                   r->dataset_title, "/data/" + r->dataset_slug);
        return ok_status();
    });
}

Status SatuDataService::refuse_access(const Principal& p, std::int64_t request_id, const std::string& reason_in) {
    auto r = s_.db.read([&](db::Connection& c) { return store::data_request(c, request_id); });
    if (!r) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_answer_for(p, r->owner_opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    std::string reason = reason_in;
    if (!clean_text(reason, 3, 2000, true)) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"reason", "satudata_err_reason"}}, {}, 0};
        return e;
    }
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Status {
        if (!store::decide_data_request(c, request_id, "refused", std::nullopt, reason, p.user_id, now))
            return make_error(ErrorCode::conflict, "satudata_err_state");
        s_.audit.record(c, AuthService::actor_of(p), "satudata.access_refuse", "data_request", std::to_string(request_id),
                        json_summary({{"reason", boost::json::value(reason)}}), now);
        auto by = db::scalar_int(c, "SELECT created_by FROM sd_data_requests WHERE id = ?", {request_id});
        if (by) s_.notifier.notify(c, *by, "satudata.access_refuse", s_.views.t("id", "satudata_notice_access_refused"),
                                   r->dataset_title, "/data-opd/permintaan");
        return ok_status();
    });
}

std::vector<DataRequest> SatuDataService::access_requests(std::int64_t opd_id) {
    return s_.db.read([&](db::Connection& c) { return store::data_requests_for_opd(c, opd_id); });
}

int SatuDataService::expire_access() {
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) {
        auto ids = store::expired_data_requests(c, now);
        for (auto id : ids) {
            store::mark_expired(c, id);
            s_.audit.record(c, core::audit::Actor::system(), "satudata.access_expire", "data_request", std::to_string(id),
                            "{}", now);
        }
        return static_cast<int>(ids.size());
    });
}

// ---------------------------------------------------------------- public information requests

Result<std::int64_t> SatuDataService::ask_information(const Principal& p, const std::string& dataset_slug,
                                                      const std::string& opd_slug, const std::string& subject_in,
                                                      const std::string& body_in) {
    Error err{ErrorCode::unprocessable, "err_form_invalid", {}, {}, 0};
    std::string subject = subject_in, body = body_in;
    if (!clean_text(subject, 5, 200, false)) err.fields.push_back({"subject", "satudata_err_subject"});
    if (!clean_text(body, 10, 5000, true)) err.fields.push_back({"body", "satudata_err_body"});
    std::optional<std::int64_t> dataset_id, opd;
    if (!dataset_slug.empty()) {
        auto d = find_slug(dataset_slug);
        if (!d) err.fields.push_back({"dataset", "satudata_err_dataset_unknown"});
        else {
            dataset_id = d->id;
            opd = d->opd_id;  // routed to the producing OPD
        }
    } else {
        opd = s_.db.read([&](db::Connection& c) { return store::opd_id_by_slug(c, opd_slug); });
        if (!opd) err.fields.push_back({"opd", "err_opd_unknown"});
    }
    if (!err.fields.empty()) return err;
    InfoRequest r;
    r.dataset_id = dataset_id;
    r.opd_id = *opd;
    r.requester_id = p.user_id;
    r.subject = subject;
    r.body = body;
    r.created_at = s_.clock.now();
    r.due_date = working_days_after(today(), 10);
    return s_.db.write([&](db::Connection& c) -> Result<std::int64_t> {
        auto id = store::insert_info_request(c, r);
        s_.audit.record(c, AuthService::actor_of(p), "satudata.info_request", "info_request", std::to_string(id),
                        json_summary({{"opd", boost::json::value(r.opd_id)}, {"due", boost::json::value(r.due_date)}}),
                        r.created_at);
        notify_users(c, s_.notifier, kOpdUsers, r.opd_id, "satudata.info_request", s_.views.t("id", "satudata_notice_info_request"),
                     subject, "/data/permohonan/" + std::to_string(id));
        return id;
    });
}

Status SatuDataService::extend_information(const Principal& p, std::int64_t id) {
    auto r = information(id);
    if (!r) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_answer_for(p, r->opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    if (r->extended || r->state != "open") return make_error(ErrorCode::conflict, "satudata_err_extended");
    const std::string due = working_days_after(r->due_date, 7);
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Status {
        if (!store::extend_info_request(c, id, due)) return make_error(ErrorCode::conflict, "satudata_err_extended");
        s_.audit.record(c, AuthService::actor_of(p), "satudata.info_extend", "info_request", std::to_string(id),
                        json_summary({{"due", boost::json::value(due)}}), now);
        s_.notifier.notify(c, r->requester_id, "satudata.info_extend", s_.views.t("id", "satudata_notice_info_extended"),
                           r->subject, "/data/permohonan/" + std::to_string(id));
        return ok_status();
    });
}

Status SatuDataService::answer_information(const Principal& p, std::int64_t id, const std::string& answer_in,
                                           bool names_person) {
    auto r = information(id);
    if (!r) return make_error(ErrorCode::not_found, "err_not_found");
    if (!policy::can_answer_for(p, r->opd_id)) return make_error(ErrorCode::forbidden, "err_forbidden");
    std::string answer = answer_in;
    if (!clean_text(answer, 3, 10000, true)) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"answer", "satudata_err_answer"}}, {}, 0};
        return e;
    }
    const auto now = s_.clock.now();
    return s_.db.write([&](db::Connection& c) -> Status {
        if (!store::answer_info_request(c, id, answer, !names_person, now))
            return make_error(ErrorCode::conflict, "satudata_err_state");
        s_.audit.record(c, AuthService::actor_of(p), "satudata.info_answer", "info_request", std::to_string(id),
                        json_summary({{"public", boost::json::value(!names_person)}}), now);
        s_.notifier.notify(c, r->requester_id, "satudata.info_answer", s_.views.t("id", "satudata_notice_info_answered"),
                           r->subject, "/data/permohonan/" + std::to_string(id));
        return ok_status();
    });
}

std::optional<InfoRequest> SatuDataService::information(std::int64_t id) {
    return s_.db.read([&](db::Connection& c) { return store::info_request(c, id); });
}
std::vector<InfoRequest> SatuDataService::information_requests(std::optional<std::int64_t> opd_id, int limit) {
    return s_.db.read([&](db::Connection& c) { return store::info_requests(c, opd_id, limit); });
}

}  // namespace gapura::modules::satudata
