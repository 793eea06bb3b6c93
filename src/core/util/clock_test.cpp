// Unit tests for core/util/clock: the fake clock, and ISO 8601 / human date formatting and parsing.
#include "core/util/clock.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace gapura {
namespace {

constexpr std::int64_t k2026_11_27T03Z = 1795748400;  // 2026-11-27T03:00:00Z = 10:00 WIB (+07:00)
constexpr int kWib = 7 * 60;                          // Western Indonesia Time
constexpr int kWita = 8 * 60;
constexpr int kWit = 9 * 60;

std::int64_t parsed(const std::string& text) {
    std::int64_t out = -1;
    EXPECT_TRUE(parse_iso8601(text, out)) << "should parse: " << text;
    return out;
}

bool rejects(const std::string& text) {
    std::int64_t out = 12345;
    bool ok = parse_iso8601(text, out);
    return !ok;
}

// ---------------------------------------------------------------------------------------------
// Clocks

TEST(FakeClock, StartsAtDocumentedDefault) {
    FakeClock c;
    EXPECT_EQ(c.now(), 1798761600);
    EXPECT_EQ(format_iso8601(c.now(), 0), "2027-01-01T00:00:00Z");
}

TEST(FakeClock, SetAndAdvance) {
    FakeClock c(100);
    EXPECT_EQ(c.now(), 100);
    c.advance(3600);
    EXPECT_EQ(c.now(), 3700);
    c.advance(-700);
    EXPECT_EQ(c.now(), 3000);
    c.set(k2026_11_27T03Z);
    EXPECT_EQ(c.now(), k2026_11_27T03Z);
}

TEST(FakeClock, UsableThroughBaseInterface) {
    FakeClock fake(42);
    const Clock& clock = fake;
    EXPECT_EQ(clock.now(), 42);
}

TEST(SystemClock, ReturnsPlausibleCurrentTime) {
    SystemClock c;
    EXPECT_GT(c.now(), 1700000000);       // after Nov 2023
    EXPECT_LT(c.now(), 4102444800);       // before 2100
}

// ---------------------------------------------------------------------------------------------
// format_iso8601

TEST(FormatIso8601, UtcUsesZ) {
    EXPECT_EQ(format_iso8601(0, 0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_iso8601(k2026_11_27T03Z, 0), "2026-11-27T03:00:00Z");
}

TEST(FormatIso8601, IndonesianOffsets) {
    EXPECT_EQ(format_iso8601(k2026_11_27T03Z, kWib), "2026-11-27T10:00:00+07:00");
    EXPECT_EQ(format_iso8601(k2026_11_27T03Z, kWita), "2026-11-27T11:00:00+08:00");
    EXPECT_EQ(format_iso8601(k2026_11_27T03Z, kWit), "2026-11-27T12:00:00+09:00");
}

TEST(FormatIso8601, NegativeAndFractionalHourOffsets) {
    EXPECT_EQ(format_iso8601(k2026_11_27T03Z, -5 * 60), "2026-11-26T22:00:00-05:00");
    EXPECT_EQ(format_iso8601(k2026_11_27T03Z, 5 * 60 + 30), "2026-11-27T08:30:00+05:30");
    EXPECT_EQ(format_iso8601(k2026_11_27T03Z, -(3 * 60 + 30)), "2026-11-26T23:30:00-03:30");
}

TEST(FormatIso8601, OffsetCrossesDateAndYearBoundary) {
    // 2026-12-31T20:00:00Z is already New Year in WIB.
    EXPECT_EQ(format_iso8601(1798747200, kWib), "2027-01-01T03:00:00+07:00");
}

TEST(FormatIso8601, LeapDay) {
    EXPECT_EQ(format_iso8601(1709164800, 0), "2024-02-29T00:00:00Z");
}

// ---------------------------------------------------------------------------------------------
// parse_iso8601

TEST(ParseIso8601, ParsesUtcZ) {
    EXPECT_EQ(parsed("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parsed("2026-11-27T03:00:00Z"), k2026_11_27T03Z);
}

TEST(ParseIso8601, ParsesPositiveOffset) {
    EXPECT_EQ(parsed("2026-11-27T10:00:00+07:00"), k2026_11_27T03Z);
    EXPECT_EQ(parsed("2026-11-27T12:00:00+09:00"), k2026_11_27T03Z);
    EXPECT_EQ(parsed("2026-11-27T08:30:00+05:30"), k2026_11_27T03Z);
}

TEST(ParseIso8601, ParsesNegativeOffset) {
    EXPECT_EQ(parsed("2026-11-26T22:00:00-05:00"), k2026_11_27T03Z);
    EXPECT_EQ(parsed("2026-11-27T03:00:00+00:00"), k2026_11_27T03Z);
    EXPECT_EQ(parsed("2026-11-27T03:00:00-00:00"), k2026_11_27T03Z);
}

TEST(ParseIso8601, AcceptsSpaceSeparator) {
    EXPECT_EQ(parsed("2026-11-27 10:00:00+07:00"), k2026_11_27T03Z);
}

TEST(ParseIso8601, IgnoresFractionalSeconds) {
    EXPECT_EQ(parsed("2026-11-27T03:00:00.999Z"), k2026_11_27T03Z);
    EXPECT_EQ(parsed("2026-11-27T10:00:00.5+07:00"), k2026_11_27T03Z);
}

TEST(ParseIso8601, DateOnlyIsMidnightUtc) {
    EXPECT_EQ(parsed("2026-11-27"), 1795737600);
    EXPECT_EQ(parsed("2024-02-29"), 1709164800);
    EXPECT_EQ(parsed("1970-01-01"), 0);
}

TEST(ParseIso8601, DatesBefore1970) {
    EXPECT_EQ(parsed("1969-12-31T23:59:59Z"), -1);
    EXPECT_EQ(parsed("1945-08-17"), -769219200);  // Proclamation of Independence
}

TEST(ParseIso8601, RoundTripsThroughFormatWithManyOffsets) {
    const std::int64_t times[] = {0, 1, 86399, 951782400 /* 2000-02-29 */, k2026_11_27T03Z, 1798761599,
                                  4102444799 /* 2099-12-31T23:59:59Z */, -631152000 /* 1950 */};
    const int offsets[] = {0, kWib, kWita, kWit, -5 * 60, 5 * 60 + 30, 14 * 60, -12 * 60, 45};
    for (auto t : times) {
        for (auto off : offsets) {
            const std::string text = format_iso8601(t, off);
            std::int64_t back = 0;
            ASSERT_TRUE(parse_iso8601(text, back)) << text;
            EXPECT_EQ(back, t) << text;
        }
    }
}

TEST(ParseIso8601, RoundTripsEveryHourOfALeapYear) {
    for (std::int64_t t = 1704067200; t < 1735689600; t += 3600) {  // 2024
        std::int64_t back = 0;
        ASSERT_TRUE(parse_iso8601(format_iso8601(t, kWib), back)) << t;
        ASSERT_EQ(back, t);
    }
}

TEST(ParseIso8601, RejectsEmptyAndGarbage) {
    EXPECT_TRUE(rejects(""));
    EXPECT_TRUE(rejects("yesterday"));
    EXPECT_TRUE(rejects("<script>alert(1)</script>"));
    EXPECT_TRUE(rejects("' OR 1=1 --"));
    EXPECT_TRUE(rejects(std::string(100000, '9')));
}

TEST(ParseIso8601, RejectsMissingOffset) {
    // Local times without an offset are ambiguous and are refused.
    EXPECT_TRUE(rejects("2026-11-27T10:00:00"));
    EXPECT_TRUE(rejects("2026-11-27T10:00"));
}

TEST(ParseIso8601, RejectsBadSeparators) {
    EXPECT_TRUE(rejects("2026/11/27"));
    EXPECT_TRUE(rejects("2026-11-27X10:00:00Z"));
    EXPECT_TRUE(rejects("2026-11-27T10-00-00Z"));
    EXPECT_TRUE(rejects("20261127T100000Z"));
}

TEST(ParseIso8601, RejectsBadOffsets) {
    EXPECT_TRUE(rejects("2026-11-27T10:00:00+07"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00+0700"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00+15:00"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00+07:60"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00z"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00ZZ"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00Z "));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00 WIB"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00+aa:bb"));
}

TEST(ParseIso8601, RejectsOutOfRangeFields) {
    EXPECT_TRUE(rejects("2026-13-01"));
    EXPECT_TRUE(rejects("2026-00-10"));
    EXPECT_TRUE(rejects("2026-01-00"));
    EXPECT_TRUE(rejects("2026-01-32"));
    EXPECT_TRUE(rejects("2026-11-27T24:00:00Z"));
    EXPECT_TRUE(rejects("2026-11-27T10:60:00Z"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:61Z"));
    EXPECT_TRUE(rejects("1899-12-31"));
}

TEST(ParseIso8601, RejectsDayBeyondEndOfMonth) {
    EXPECT_TRUE(rejects("2026-02-31"));
    EXPECT_TRUE(rejects("2026-02-29"));  // 2026 is not a leap year
    EXPECT_TRUE(rejects("2026-04-31"));
    EXPECT_TRUE(rejects("2100-02-29"));  // century, not a leap year
}

TEST(ParseIso8601, RejectsSignedOrSpacedNumericFields) {
    EXPECT_TRUE(rejects("2026-11-27T-1:00:00Z"));
    EXPECT_TRUE(rejects("2026-11-27T10:-5:00Z"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:-9Z"));
    EXPECT_TRUE(rejects("2026-+1-01"));
    EXPECT_TRUE(rejects("2026- 1-01"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00+-7:00"));
    EXPECT_TRUE(rejects("2026-11-27T10:00:00+ 7:00"));
}

TEST(ParseIso8601, RejectsFractionWithoutDigits) {
    EXPECT_TRUE(rejects("2026-11-27T10:00:00.Z"));
}

TEST(ParseIso8601, RejectsEmbeddedNul) {
    const std::string text("2026-11-27\0T10:00:00Z", 21);
    EXPECT_TRUE(rejects(text));
}

TEST(ParseIso8601, LeavesOutputUntouchedOnFailure) {
    std::int64_t out = 777;
    EXPECT_FALSE(parse_iso8601("not a date", out));
    EXPECT_EQ(out, 777);
}

// ---------------------------------------------------------------------------------------------
// format_human

TEST(FormatHuman, IndonesianMonthNames) {
    EXPECT_EQ(format_human(k2026_11_27T03Z, kWib, "id"), "27 Nov 2026 10:00");
    EXPECT_EQ(format_human(1779840000 /* 2026-05-27T00:00Z */, kWib, "id"), "27 Mei 2026 07:00");
    EXPECT_EQ(format_human(1786838400 /* 2026-08-16T00:00Z */, kWib, "id"), "16 Agu 2026 07:00");
    EXPECT_EQ(format_human(1797552000 /* 2026-12-18T00:00Z */, 0, "id"), "18 Des 2026 00:00");
}

TEST(FormatHuman, EnglishMonthNames) {
    EXPECT_EQ(format_human(1779840000, kWib, "en"), "27 May 2026 07:00");
    EXPECT_EQ(format_human(1786838400, kWib, "en"), "16 Aug 2026 07:00");
    EXPECT_EQ(format_human(1797552000, 0, "en"), "18 Dec 2026 00:00");
}

TEST(FormatHuman, UnknownLanguageFallsBackToIndonesian) {
    EXPECT_EQ(format_human(1779840000, kWib, "<script>"), "27 Mei 2026 07:00");
}

TEST(FormatHuman, AppliesOffsetAcrossMidnight) {
    EXPECT_EQ(format_human(1798747200 /* 2026-12-31T20:00Z */, kWib, "en"), "1 Jan 2027 03:00");
}

// The same text as the printf format it replaced ("%d %s %d %02d:%02d"), over 60 years of
// irregular steps (single-digit days, hours and minutes, both month lists, three offsets).
TEST(FormatHuman, SameAsThePrintfFormat) {
    static const char* id_months[] = {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
    static const char* en_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int checked = 0;
    for (std::int64_t t = 0; t < 1900000000; t += 987654 + (t % 7919)) {
        for (int off : {0, kWib, -300}) {
            const std::time_t local = static_cast<std::time_t>(t + off * 60);
            std::tm tm{};
            gmtime_r(&local, &tm);
            for (const char* lang : {"id", "en"}) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%d %s %d %02d:%02d", tm.tm_mday,
                              (std::string(lang) == "en" ? en_months : id_months)[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
                              tm.tm_min);
                ASSERT_EQ(format_human(t, off, lang), buf) << t << " " << off << " " << lang;
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 5000);
}

}  // namespace
}  // namespace gapura
