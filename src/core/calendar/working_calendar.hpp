// WorkingCalendar: Indonesian government working time for SLA clocks and legal deadlines.
// Working days are Monday–Friday except the national holidays (libur nasional) and joint leave
// days (cuti bersama) listed in a CSV file (data/holidays/indonesia.csv: `date,kind,name`, '#'
// comment lines); working hours are [day_start, day_end) local time at a fixed UTC offset (the
// regency's, e.g. +420 for WIB). A year with no row in the file is treated as weekends-only;
// covers_year() tells whether a year is listed.
//
// Semantics (all times are unix seconds, UTC):
// - add_working_hours(from, h): the instant when h working hours have elapsed after `from`. A
//   start outside working time counts from the next working-day start. A deadline that lands
//   exactly on day_end stays there (16:00), it does not roll to the next morning. h <= 0 → from.
// - add_working_days(from, n) = add_working_hours(from, n × hours per day): Monday 10:00 + 3 days
//   is Thursday 10:00; Saturday + 3 days is Wednesday 16:00 (three whole working days).
// - working_hours_between(a, b): working hours inside [a, b) (0 when b <= a).
//
// Threads: immutable after load(); one instance may be shared by all threads.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gapura::core::calendar {

struct Date {
    int year = 1970;
    int month = 1;  // 1..12
    int day = 1;    // 1..31
    auto operator<=>(const Date&) const = default;
    // "YYYY-MM-DD"; nullopt when malformed or not a real date.
    static std::optional<Date> parse(std::string_view text);
    std::string iso() const;
};

struct Holiday {
    Date date;
    std::string kind;  // "libur_nasional" or "cuti_bersama"
    std::string name;
};

class WorkingCalendar {
public:
    // Reads the CSV at csv_path. day_start/day_end are "HH:MM" with day_start < day_end.
    // Throws std::runtime_error ("<path>:<line>: <problem>") on a missing file, a bad date, an
    // unknown kind or a bad time of day.
    static WorkingCalendar load(const std::string& csv_path, int utc_offset_minutes,
                                std::string_view day_start = "08:00", std::string_view day_end = "16:00");
    // Same, from CSV text (origin names it in errors).
    static WorkingCalendar parse(std::string_view csv_text, const std::string& origin, int utc_offset_minutes,
                                 std::string_view day_start = "08:00", std::string_view day_end = "16:00");
    // Weekends only, no holidays.
    explicit WorkingCalendar(int utc_offset_minutes = 420, int day_start_minute = 8 * 60, int day_end_minute = 16 * 60,
                             std::vector<Holiday> holidays = {});

    bool is_working_day(Date d) const;
    // The local date of a unix time at this calendar's offset.
    Date local_date(std::int64_t unix_seconds) const;
    // The holiday on d, or nullptr.
    const Holiday* holiday(Date d) const;
    bool covers_year(int year) const { return years_.count(year) > 0; }
    const std::vector<Holiday>& holidays() const { return holidays_; }

    std::int64_t add_working_hours(std::int64_t from, double hours) const;
    std::int64_t add_working_days(std::int64_t from, int days) const;
    double working_hours_between(std::int64_t a, std::int64_t b) const;

    double hours_per_day() const { return (day_end_ - day_start_) / 3600.0; }
    int utc_offset_minutes() const { return offset_s_ / 60; }

private:
    bool working_day_index(std::int64_t day) const;  // days since 1970-01-01 (local)

    int offset_s_;
    std::int64_t day_start_;  // seconds after local midnight
    std::int64_t day_end_;
    std::vector<Holiday> holidays_;  // sorted by date
    std::set<std::int64_t> closed_days_;
    std::set<int> years_;
};

}  // namespace gapura::core::calendar
