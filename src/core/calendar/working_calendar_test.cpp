#include "core/calendar/working_calendar.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "app/testing.hpp"
#include "core/util/clock.hpp"

namespace gapura::core::calendar {
namespace {

// Unix seconds of a WIB (UTC+7) wall-clock time.
std::int64_t wib(int y, int m, int d, int hh = 0, int mm = 0) {
    namespace ch = std::chrono;
    ch::sys_days sd{ch::year{y} / ch::month{static_cast<unsigned>(m)} / ch::day{static_cast<unsigned>(d)}};
    return sd.time_since_epoch().count() * 86400 + hh * 3600 + mm * 60 - 7 * 3600;
}

WorkingCalendar indonesia() {
    return WorkingCalendar::load(testing::source_dir() + "/data/holidays/indonesia.csv", 420);
}

TEST(WorkingCalendar, LoadsTheHolidayFile) {
    auto cal = indonesia();
    EXPECT_TRUE(cal.covers_year(2026));
    EXPECT_TRUE(cal.covers_year(2027));
    EXPECT_FALSE(cal.covers_year(2030));
    // 2026: 17 libur nasional (Idulfitri counts two days) and 8 cuti bersama.
    int nasional = 0, cuti = 0;
    for (const auto& h : cal.holidays())
        if (h.date.year == 2026) (h.kind == "cuti_bersama" ? cuti : nasional)++;
    EXPECT_EQ(nasional, 17);
    EXPECT_EQ(cuti, 8);
    ASSERT_NE(cal.holiday(Date{2026, 3, 18}), nullptr);
    EXPECT_EQ(cal.holiday(Date{2026, 3, 18})->kind, "cuti_bersama");
    EXPECT_EQ(cal.holiday(Date{2026, 3, 17}), nullptr);
}

TEST(WorkingCalendar, WorkingDays) {
    auto cal = indonesia();
    EXPECT_TRUE(cal.is_working_day(Date{2026, 3, 16}));   // Monday
    EXPECT_FALSE(cal.is_working_day(Date{2026, 3, 14}));  // Saturday
    EXPECT_FALSE(cal.is_working_day(Date{2026, 3, 15}));  // Sunday
    EXPECT_FALSE(cal.is_working_day(Date{2026, 3, 19}));  // Nyepi (libur nasional)
    EXPECT_FALSE(cal.is_working_day(Date{2026, 3, 20}));  // cuti bersama Idulfitri
    EXPECT_FALSE(cal.is_working_day(Date{2026, 12, 24})); // cuti bersama Natal
    EXPECT_TRUE(cal.is_working_day(Date{2026, 12, 23}));
    EXPECT_EQ(cal.local_date(wib(2026, 3, 16, 0, 30)), (Date{2026, 3, 16}));  // 17:30 UTC the day before
}

TEST(WorkingCalendar, AddHoursWithinADayAndOverAWeekend) {
    auto cal = indonesia();
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 16, 9), 3), wib(2026, 3, 16, 12));
    // Friday 15:00 + 2 h: one hour on Friday, one on Monday.
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 6, 15), 2), wib(2026, 3, 9, 9));
    // Reported on Saturday: counting starts Monday 08:00.
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 7, 11), 1.5), wib(2026, 3, 9, 9, 30));
    // Before office hours and after them.
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 9, 6), 1), wib(2026, 3, 9, 9));
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 9, 20), 1), wib(2026, 3, 10, 9));
    // A deadline landing on the end of the day stays at 16:00.
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 9, 8), 8), wib(2026, 3, 9, 16));
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 9, 8), 0), wib(2026, 3, 9, 8));
    EXPECT_EQ(cal.add_working_hours(wib(2026, 3, 9, 8), -4), wib(2026, 3, 9, 8));
}

TEST(WorkingCalendar, AddAcrossLebaranHolidaysAndCutiBersama) {
    auto cal = indonesia();
    // Tuesday 17 March 2026 10:00 + 1 working day: 6 h on Tuesday, then 18 (cuti), 19 (Nyepi),
    // 20 (cuti), 21–22 (Idulfitri, weekend), 23–24 (cuti) are closed: Wednesday 25 March 10:00.
    EXPECT_EQ(cal.add_working_days(wib(2026, 3, 17, 10), 1), wib(2026, 3, 25, 10));
    // Christmas: Wednesday 23 Dec 15:00 + 2 h → Monday 28 Dec 09:00.
    EXPECT_EQ(cal.add_working_hours(wib(2026, 12, 23, 15), 2), wib(2026, 12, 28, 9));
    // LAPOR! default: 3 working days to verify from Friday 15 May 2026 (cuti bersama) 09:00:
    // counting starts Monday 18 May 08:00 → end of Wednesday 20 May.
    EXPECT_EQ(cal.add_working_days(wib(2026, 5, 15, 9), 3), wib(2026, 5, 20, 16));
    // 10 working days (Satu Data / KIP deadlines) from Monday 10 Aug 2026 09:00: 17 Aug
    // (Proklamasi) and 25 Aug (Maulid) are closed, so the 80th hour ends Wednesday 26 Aug 09:00.
    EXPECT_EQ(cal.add_working_days(wib(2026, 8, 10, 9), 10), wib(2026, 8, 26, 9));
}

TEST(WorkingCalendar, HoursBetween) {
    auto cal = indonesia();
    EXPECT_DOUBLE_EQ(cal.working_hours_between(wib(2026, 3, 16, 9), wib(2026, 3, 16, 11)), 2.0);
    EXPECT_DOUBLE_EQ(cal.working_hours_between(wib(2026, 3, 6, 15), wib(2026, 3, 9, 9)), 2.0);
    EXPECT_DOUBLE_EQ(cal.working_hours_between(wib(2026, 3, 17, 10), wib(2026, 3, 25, 10)), 8.0);
    EXPECT_DOUBLE_EQ(cal.working_hours_between(wib(2026, 3, 9, 10), wib(2026, 3, 9, 9)), 0.0);
    EXPECT_DOUBLE_EQ(cal.working_hours_between(wib(2026, 3, 14, 0), wib(2026, 3, 15, 23)), 0.0);
    // Round trip: the hours between from and add(from, h) are h.
    for (double h : {0.5, 3.0, 8.0, 17.25, 64.0, 200.0}) {
        const auto from = wib(2026, 3, 13, 14, 10);
        EXPECT_NEAR(cal.working_hours_between(from, cal.add_working_hours(from, h)), h, 1e-9) << h;
    }
}

TEST(WorkingCalendar, DeadlineWithAFakeClock) {
    // A report at 15:30 on the Thursday before Ascension Day (14 May 2026, holiday; 15 May cuti
    // bersama) with an 8-working-hour target; the fake clock walks over the long weekend.
    auto cal = indonesia();
    FakeClock clock(wib(2026, 5, 13, 15, 30));
    const auto due = cal.add_working_hours(clock.now(), 8);
    EXPECT_EQ(due, wib(2026, 5, 18, 15, 30));
    clock.set(wib(2026, 5, 17, 23));  // Sunday night: only half an hour used
    EXPECT_DOUBLE_EQ(cal.working_hours_between(wib(2026, 5, 13, 15, 30), clock.now()), 0.5);
    clock.set(due + 1);
    EXPECT_GT(clock.now(), due);
}

TEST(WorkingCalendar, YearNotListedIsWeekendsOnly) {
    auto cal = indonesia();
    EXPECT_TRUE(cal.is_working_day(Date{2030, 1, 1}));  // not listed: just a Tuesday
    EXPECT_FALSE(cal.is_working_day(Date{2027, 1, 1}));  // fixed-date holiday listed for 2027
}

TEST(WorkingCalendar, RejectsBadFiles) {
    EXPECT_THROW(WorkingCalendar::parse("date,kind,name\n2026-02-30,libur_nasional,X\n", "t.csv", 420), std::runtime_error);
    EXPECT_THROW(WorkingCalendar::parse("date,kind,name\n2026-02-03,libur,X\n", "t.csv", 420), std::runtime_error);
    EXPECT_THROW(WorkingCalendar::parse("day,kind,name\n", "t.csv", 420), std::runtime_error);
    EXPECT_THROW(WorkingCalendar::parse("date,kind,name\n2026-02-03,cuti_bersama,X\n2026-02-03,cuti_bersama,Y\n", "t.csv", 420),
                 std::runtime_error);
    EXPECT_THROW(WorkingCalendar::parse("date,kind,name\n", "t.csv", 420, "16:00", "08:00"), std::runtime_error);
    EXPECT_THROW(WorkingCalendar::load("/nonexistent/holidays.csv", 420), std::runtime_error);
    try {
        WorkingCalendar::parse("# comment\ndate,kind,name\n# another\n2026-13-01,cuti_bersama,X\n", "t.csv", 420);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("t.csv:4"), std::string::npos) << e.what();
    }
    auto ok = WorkingCalendar::parse("date,kind,name\n2026-02-03,cuti_bersama,X\n", "t.csv", 420, "07:30", "15:30");
    EXPECT_DOUBLE_EQ(ok.hours_per_day(), 8.0);
}

}  // namespace
}  // namespace gapura::core::calendar
