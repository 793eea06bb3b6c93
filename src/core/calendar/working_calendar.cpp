#include "core/calendar/working_calendar.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/region/regency.hpp"
#include "core/util/strings.hpp"

namespace gapura::core::calendar {

namespace ch = std::chrono;

namespace {
constexpr std::int64_t kDay = 86400;

std::int64_t day_index(Date d) {
    ch::year_month_day ymd{ch::year{d.year}, ch::month{static_cast<unsigned>(d.month)},
                           ch::day{static_cast<unsigned>(d.day)}};
    return ch::sys_days{ymd}.time_since_epoch().count();
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

std::optional<int> parse_hhmm(std::string_view s) {
    if (s.size() != 5 || s[2] != ':') return std::nullopt;
    auto h = util::parse_int(s.substr(0, 2));
    auto m = util::parse_int(s.substr(3, 2));
    if (!h || !m || *h < 0 || *h > 24 || *m < 0 || *m > 59 || (*h == 24 && *m != 0)) return std::nullopt;
    return static_cast<int>(*h * 60 + *m);
}
}  // namespace

std::optional<Date> Date::parse(std::string_view t) {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
    auto y = util::parse_int(t.substr(0, 4));
    auto m = util::parse_int(t.substr(5, 2));
    auto d = util::parse_int(t.substr(8, 2));
    if (!y || !m || !d) return std::nullopt;
    ch::year_month_day ymd{ch::year{static_cast<int>(*y)}, ch::month{static_cast<unsigned>(*m)},
                           ch::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    return Date{static_cast<int>(*y), static_cast<int>(*m), static_cast<int>(*d)};
}

std::string Date::iso() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return buf;
}

WorkingCalendar::WorkingCalendar(int utc_offset_minutes, int day_start_minute, int day_end_minute,
                                 std::vector<Holiday> holidays)
    : offset_s_(utc_offset_minutes * 60),
      day_start_(day_start_minute * 60),
      day_end_(day_end_minute * 60),
      holidays_(std::move(holidays)) {
    if (day_start_minute < 0 || day_end_minute > 24 * 60 || day_start_minute >= day_end_minute)
        throw std::invalid_argument("working day must start before it ends");
    std::sort(holidays_.begin(), holidays_.end(), [](const Holiday& a, const Holiday& b) { return a.date < b.date; });
    for (const auto& h : holidays_) {
        closed_days_.insert(day_index(h.date));
        years_.insert(h.date.year);
    }
}

WorkingCalendar WorkingCalendar::load(const std::string& csv_path, int utc_offset_minutes, std::string_view day_start,
                                      std::string_view day_end) {
    std::ifstream in(csv_path, std::ios::binary);
    if (!in) throw std::runtime_error(csv_path + ": cannot open holiday file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), csv_path, utc_offset_minutes, day_start, day_end);
}

WorkingCalendar WorkingCalendar::parse(std::string_view text, const std::string& origin, int utc_offset_minutes,
                                       std::string_view day_start, std::string_view day_end) {
    auto start = parse_hhmm(day_start);
    auto end = parse_hhmm(day_end);
    if (!start || !end || *start >= *end) throw std::runtime_error(origin + ": bad working hours");
    // Comment lines are blanked (not removed) so line numbers in errors stay right.
    std::string cleaned;
    std::vector<int> line_of_record;
    int line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto nl = text.find('\n', pos);
        auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        ++line_no;
        auto trimmed = util::trim(line);
        if (!trimmed.empty() && trimmed[0] != '#') {
            cleaned.append(line);
            cleaned.push_back('\n');
            line_of_record.push_back(line_no);
        }
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    std::vector<std::vector<std::string>> rows;
    try {
        rows = region::parse_csv(cleaned, origin);
    } catch (const std::exception& e) {
        throw std::runtime_error(e.what());
    }
    if (rows.empty() || rows[0].size() < 3 || rows[0][0] != "date" || rows[0][1] != "kind" || rows[0][2] != "name")
        throw std::runtime_error(origin + ": header must be date,kind,name");
    std::vector<Holiday> hs;
    std::set<Date> seen;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const std::string where = origin + ":" + std::to_string(i < line_of_record.size() ? line_of_record[i] : 0);
        auto d = Date::parse(util::trim(r[0]));
        if (!d) throw std::runtime_error(where + ": bad date '" + r[0] + "'");
        std::string kind(util::trim(r[1]));
        if (kind != "libur_nasional" && kind != "cuti_bersama") throw std::runtime_error(where + ": unknown kind '" + kind + "'");
        if (!seen.insert(*d).second) throw std::runtime_error(where + ": date listed twice");
        hs.push_back(Holiday{*d, kind, std::string(util::trim(r[2]))});
    }
    return WorkingCalendar(utc_offset_minutes, *start, *end, std::move(hs));
}

bool WorkingCalendar::working_day_index(std::int64_t day) const {
    // 1970-01-01 was a Thursday: (day + 4) % 7 gives 0 = Sunday.
    const auto wd = ((day % 7) + 7 + 4) % 7;
    if (wd == 0 || wd == 6) return false;
    return closed_days_.count(day) == 0;
}

bool WorkingCalendar::is_working_day(Date d) const { return working_day_index(day_index(d)); }

Date WorkingCalendar::local_date(std::int64_t t) const {
    ch::sys_days sd{ch::days{floor_div(t + offset_s_, kDay)}};
    ch::year_month_day ymd{sd};
    return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

const Holiday* WorkingCalendar::holiday(Date d) const {
    auto it = std::lower_bound(holidays_.begin(), holidays_.end(), d,
                               [](const Holiday& h, const Date& x) { return h.date < x; });
    return it != holidays_.end() && it->date == d ? &*it : nullptr;
}

std::int64_t WorkingCalendar::add_working_hours(std::int64_t from, double hours) const {
    if (!(hours > 0)) return from;
    std::int64_t remaining = static_cast<std::int64_t>(std::llround(hours * 3600.0));
    if (remaining <= 0) return from;
    std::int64_t local = from + offset_s_;
    std::int64_t day = floor_div(local, kDay);
    std::int64_t sod = local - day * kDay;
    // At most ~ remaining / working seconds per day working days, plus weekends and holidays.
    for (int guard = 0; guard < 1000000; ++guard) {
        if (!working_day_index(day) || sod >= day_end_) {
            ++day;
            sod = day_start_;
            continue;
        }
        if (sod < day_start_) sod = day_start_;
        const std::int64_t available = day_end_ - sod;
        if (remaining <= available) return day * kDay + sod + remaining - offset_s_;
        remaining -= available;
        ++day;
        sod = day_start_;
    }
    throw std::runtime_error("add_working_hours: no working time found");
}

std::int64_t WorkingCalendar::add_working_days(std::int64_t from, int days) const {
    if (days <= 0) return from;
    return add_working_hours(from, days * hours_per_day());
}

double WorkingCalendar::working_hours_between(std::int64_t a, std::int64_t b) const {
    if (b <= a) return 0.0;
    const std::int64_t la = a + offset_s_, lb = b + offset_s_;
    std::int64_t total = 0;
    for (std::int64_t day = floor_div(la, kDay), last = floor_div(lb, kDay); day <= last; ++day) {
        if (!working_day_index(day)) continue;
        const std::int64_t s = std::max(la, day * kDay + day_start_);
        const std::int64_t e = std::min(lb, day * kDay + day_end_);
        if (e > s) total += e - s;
    }
    return total / 3600.0;
}

}  // namespace gapura::core::calendar
