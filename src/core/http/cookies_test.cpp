// Unit tests for core/http/cookies: Cookie header lookup and Set-Cookie formatting.
#include "core/http/cookies.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include <string>

namespace gapura::core::http {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// find_cookie

TEST(FindCookie, FindsEachCookieInHeader) {
    const std::string h = "sid=abc123; lang=id; theme=dark";
    EXPECT_EQ(find_cookie(h, "sid"), "abc123");
    EXPECT_EQ(find_cookie(h, "lang"), "id");
    EXPECT_EQ(find_cookie(h, "theme"), "dark");
}

TEST(FindCookie, AbsentNameGivesNullopt) {
    EXPECT_EQ(find_cookie("sid=abc", "csrf"), std::nullopt);
    EXPECT_EQ(find_cookie("", "sid"), std::nullopt);
}

TEST(FindCookie, NameMustMatchExactly) {
    EXPECT_EQ(find_cookie("xsid=evil; sid=good", "sid"), "good");
    EXPECT_EQ(find_cookie("sidx=evil", "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("SID=evil", "sid"), std::nullopt);
}

TEST(FindCookie, ToleratesWhitespaceAroundParts) {
    EXPECT_EQ(find_cookie("  a = 1 ;b=2;   sid =  xyz  ", "sid"), "xyz");
    EXPECT_EQ(find_cookie("a=1;b=2", "b"), "2");
    EXPECT_EQ(find_cookie("a=1;\tsid=t", "sid"), "t");
}

TEST(FindCookie, ReturnsFirstOfDuplicates) {
    EXPECT_EQ(find_cookie("sid=first; sid=second", "sid"), "first");
}

TEST(FindCookie, StripsDoubleQuotes) {
    EXPECT_EQ(find_cookie("sid=\"abc\"", "sid"), "abc");
    EXPECT_EQ(find_cookie("sid=\"\"", "sid"), "");
}

TEST(FindCookie, EmptyValueIsPresent) {
    auto v = find_cookie("sid=; x=1", "sid");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, "");
}

TEST(FindCookie, ValueMayContainEquals) {
    EXPECT_EQ(find_cookie("tok=a=b==", "tok"), "a=b==");
}

TEST(FindCookie, PartsWithoutEqualsAreIgnored) {
    EXPECT_EQ(find_cookie("garbage; ;; sid=ok", "sid"), "ok");
    EXPECT_EQ(find_cookie("sid", "sid"), std::nullopt);
}

TEST(FindCookie, ReturnsRawValueWithoutDecoding) {
    EXPECT_EQ(find_cookie("v=a%20b", "v"), "a%20b");
    EXPECT_EQ(find_cookie("v=eyJhbGciOi-_", "v"), "eyJhbGciOi-_");
}

TEST(FindCookie, RejectsValuesOutsideCookieOctets) {
    EXPECT_EQ(find_cookie("sid=a b", "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("sid=a,b", "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("sid=a\\b", "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("sid=\"abc", "sid"), std::nullopt);  // unbalanced quote
    EXPECT_EQ(find_cookie("sid=a\"b", "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("sid=caf\xC3\xA9", "sid"), std::nullopt);  // non-ASCII
    EXPECT_EQ(find_cookie("sid=a\x7F", "sid"), std::nullopt);
}

TEST(FindCookie, RejectsNulAndControlBytesInValue) {
    EXPECT_EQ(find_cookie("sid=ab\0cd"sv, "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("sid=ab\x01", "sid"), std::nullopt);
}

TEST(FindCookie, CrlfInHeaderDoesNotLeakIntoValue) {
    // "\r\n" are trimmed as whitespace at the ends of a part; inside a value they are rejected.
    EXPECT_EQ(find_cookie("sid=ab\r\nSet-Cookie: x=1", "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("sid=abc\r\n", "sid"), "abc");
}

TEST(FindCookie, HostileValuesAreAbsentNotPassedThrough) {
    EXPECT_EQ(find_cookie("sid=<script>alert(1)</script>", "sid"), "<script>alert(1)</script>");
    EXPECT_EQ(find_cookie("sid=' OR 1=1 --", "sid"), std::nullopt);  // spaces
}

TEST(FindCookie, InvalidFirstOccurrenceMakesCookieAbsent) {
    // The first cookie with the name decides; a bad value is not skipped to find a later one.
    EXPECT_EQ(find_cookie("sid=bad value; sid=good", "sid"), std::nullopt);
}

TEST(FindCookie, OversizedHeaderIsIgnored) {
    std::string h = "sid=ok; pad=" + std::string(16384, 'x');
    EXPECT_EQ(find_cookie(h, "sid"), std::nullopt);
    std::string fits = "sid=ok; pad=" + std::string(16384 - 12, 'x');
    ASSERT_EQ(fits.size(), 16384u);
    EXPECT_EQ(find_cookie(fits, "sid"), "ok");
}

TEST(FindCookie, ManySmallCookies) {
    std::string h;
    for (int i = 0; i < 1000; ++i) h += "c" + std::to_string(i) + "=v" + std::to_string(i) + "; ";
    EXPECT_EQ(find_cookie(h, "c999"), "v999");
    EXPECT_EQ(find_cookie(h, "c1000"), std::nullopt);
}

// format_set_cookie

TEST(FormatSetCookie, DefaultsAreSessionHttpOnlyLax) {
    EXPECT_EQ(format_set_cookie("sid", "abc", {}), "sid=abc; Path=/; HttpOnly; SameSite=Lax");
}

TEST(FormatSetCookie, AllOptions) {
    CookieOptions o;
    o.max_age = 3600;
    o.secure = true;
    o.same_site = "Strict";
    o.path = "/admin";
    EXPECT_EQ(format_set_cookie("sid", "abc", o), "sid=abc; Path=/admin; Max-Age=3600; HttpOnly; Secure; SameSite=Strict");
}

TEST(FormatSetCookie, MaxAgeZeroDeletes) {
    CookieOptions o;
    o.max_age = 0;
    EXPECT_EQ(format_set_cookie("sid", "", o), "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

TEST(FormatSetCookie, NoHttpOnlyNoSameSite) {
    CookieOptions o;
    o.http_only = false;
    o.same_site = "";
    EXPECT_EQ(format_set_cookie("lang", "en", o), "lang=en; Path=/");
}

TEST(FormatSetCookie, RoundTripsThroughFindCookie) {
    const std::string set = format_set_cookie("csrf", "Zm9vYmFy-_", {});
    const std::string pair = set.substr(0, set.find(';'));
    EXPECT_EQ(find_cookie("x=1; " + pair, "csrf"), "Zm9vYmFy-_");
}

TEST(FormatSetCookie, NeverEmitsCrlfOrAttributeInjection) {
    // A value that would split the header or add an attribute is a caller bug: refused.
    EXPECT_THROW(format_set_cookie("sid", "x\r\nSet-Cookie: admin=1", {}), std::invalid_argument);
    EXPECT_THROW(format_set_cookie("sid", "x; Domain=evil.example", {}), std::invalid_argument);
    EXPECT_THROW(format_set_cookie("s=id", "x", {}), std::invalid_argument);
    EXPECT_THROW(format_set_cookie("", "x", {}), std::invalid_argument);
    CookieOptions o;
    o.path = "/\r\nX: y";
    EXPECT_THROW(format_set_cookie("sid", "x", o), std::invalid_argument);
    EXPECT_NO_THROW(format_set_cookie("sid", "abc-_.~123", {}));
}

}  // namespace
}  // namespace gapura::core::http
