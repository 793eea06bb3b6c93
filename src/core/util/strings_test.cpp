// Unit tests for core/util/strings: UTF-8 validation, escaping, percent and base64url coding,
// strict number parsing and the small predicates used on user input.
#include "core/util/strings.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace gapura::util {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// ---------------------------------------------------------------------------------------------
// valid_utf8

TEST(ValidUtf8, AcceptsAsciiAndEmpty) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("hello, world"));
}

TEST(ValidUtf8, AcceptsMultibyteSequencesOfEveryLength) {
    EXPECT_TRUE(valid_utf8("\xC3\xA9"));          // é (2 bytes)
    EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));      // € (3 bytes)
    EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));  // 😀 (4 bytes)
    EXPECT_TRUE(valid_utf8("Kabupaten Tuban \xE2\x80\x94 Jawa Timur"));
}

TEST(ValidUtf8, AcceptsBoundaryCodePoints) {
    EXPECT_TRUE(valid_utf8("\x7F"));              // U+007F, last 1-byte
    EXPECT_TRUE(valid_utf8("\xC2\x80"));          // U+0080, first 2-byte
    EXPECT_TRUE(valid_utf8("\xDF\xBF"));          // U+07FF, last 2-byte
    EXPECT_TRUE(valid_utf8("\xE0\xA0\x80"));      // U+0800, first 3-byte
    EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
    EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));      // U+E000, just above the surrogates
    EXPECT_TRUE(valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
    EXPECT_TRUE(valid_utf8("\xF0\x90\x80\x80"));  // U+10000, first 4-byte
    EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(ValidUtf8, AcceptsEmbeddedNulByte) {
    // NUL is a valid code point; rejecting it is the job of has_control_chars.
    EXPECT_TRUE(valid_utf8("a\0b"sv));
}

TEST(ValidUtf8, RejectsOverlongEncodings) {
    EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // '/' as 2 bytes
    EXPECT_FALSE(valid_utf8("\xC0\x80"));          // NUL as 2 bytes (modified UTF-8)
    EXPECT_FALSE(valid_utf8("\xC1\xBF"));          // U+007F as 2 bytes
    EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // '/' as 3 bytes
    EXPECT_FALSE(valid_utf8("\xE0\x9F\xBF"));      // U+07FF as 3 bytes
    EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));  // '/' as 4 bytes
    EXPECT_FALSE(valid_utf8("\xF0\x8F\xBF\xBF"));  // U+FFFF as 4 bytes
}

TEST(ValidUtf8, RejectsUtf16Surrogates) {
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));                  // U+D800
    EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));                  // U+DFFF
    EXPECT_FALSE(valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));      // CESU-8 pair for U+1F600
}

TEST(ValidUtf8, RejectsCodePointsAboveMaximum) {
    EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // U+110000
    EXPECT_FALSE(valid_utf8("\xF7\xBF\xBF\xBF"));
    EXPECT_FALSE(valid_utf8("\xF8\x88\x80\x80\x80"));  // old 5-byte form
    EXPECT_FALSE(valid_utf8("\xFC\x84\x80\x80\x80\x80"));  // old 6-byte form
}

TEST(ValidUtf8, RejectsInvalidLeadAndContinuationBytes) {
    EXPECT_FALSE(valid_utf8("\x80"));          // lone continuation byte
    EXPECT_FALSE(valid_utf8("a\xBF" "b"));
    EXPECT_FALSE(valid_utf8("\xFE"));
    EXPECT_FALSE(valid_utf8("\xFF"));
    EXPECT_FALSE(valid_utf8("\xC3\x28"));      // lead byte followed by ASCII
    EXPECT_FALSE(valid_utf8("\xE2\x28\xA1"));
    EXPECT_FALSE(valid_utf8("\xF0\x9F\x98\x28"));
}

TEST(ValidUtf8, RejectsTruncatedSequences) {
    EXPECT_FALSE(valid_utf8("\xC3"));
    EXPECT_FALSE(valid_utf8("\xE2\x82"));
    EXPECT_FALSE(valid_utf8("\xF0\x9F\x98"));
    EXPECT_FALSE(valid_utf8("ok\xF0"));
}

TEST(ValidUtf8, DoesNotReadPastTheViewEnd) {
    // The lead byte is the last byte of the view; the following bytes in memory must not count.
    const std::string backing = "x\xC3\xA9";
    EXPECT_FALSE(valid_utf8(std::string_view(backing).substr(0, 2)));
    EXPECT_TRUE(valid_utf8(backing));
}

// ---------------------------------------------------------------------------------------------
// utf8_length, has_control_chars

TEST(Utf8Length, CountsCodePointsNotBytes) {
    EXPECT_EQ(utf8_length(""), 0u);
    EXPECT_EQ(utf8_length("abc"), 3u);
    EXPECT_EQ(utf8_length("caf\xC3\xA9"), 4u);
    EXPECT_EQ(utf8_length("\xE2\x82\xAC\xF0\x9F\x98\x80"), 2u);
}

TEST(HasControlChars, AllowsTabCrLf) {
    EXPECT_FALSE(has_control_chars("line one\r\nline two\tend"));
    EXPECT_FALSE(has_control_chars(""));
    EXPECT_FALSE(has_control_chars("\xC3\xA9t\xC3\xA9"));
}

TEST(HasControlChars, FlagsNulEscapeBellAndDelete) {
    EXPECT_TRUE(has_control_chars("a\0b"sv));
    EXPECT_TRUE(has_control_chars("\x1B[31mred"));
    EXPECT_TRUE(has_control_chars("\x07"));
    EXPECT_TRUE(has_control_chars("x\x7F"));
    EXPECT_TRUE(has_control_chars("\x1F"));
}

// ---------------------------------------------------------------------------------------------
// trim, case, split

TEST(Trim, RemovesSurroundingWhitespaceOnly) {
    EXPECT_EQ(trim("  a b \t\r\n"), "a b");
    EXPECT_EQ(trim("a"), "a");
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim(" \t\r\n "), "");
    EXPECT_EQ(trim("\0x\0"sv), "\0x\0"sv);  // NUL is not whitespace
}

TEST(ToLowerAscii, LowersAsciiAndLeavesOtherBytes) {
    EXPECT_EQ(to_lower_ascii("Content-TYPE"), "content-type");
    EXPECT_EQ(to_lower_ascii("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // É untouched
    EXPECT_EQ(to_lower_ascii("[@`{"), "[@`{");  // neighbours of A-Z/a-z unchanged
}

TEST(IEquals, ComparesAsciiCaseInsensitively) {
    EXPECT_TRUE(iequals("Multipart/Form-Data", "multipart/form-data"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("abc", "abcd"));
    EXPECT_FALSE(iequals("abc", "abd"));
    EXPECT_FALSE(iequals("@", "`"));  // 0x40 vs 0x60 differ by the case bit but are not letters
}

TEST(StartsWith, MatchesPrefix) {
    EXPECT_TRUE(starts_with("sqlite://x", "sqlite://"));
    EXPECT_TRUE(starts_with("abc", ""));
    EXPECT_FALSE(starts_with("sq", "sqlite"));
    EXPECT_FALSE(starts_with("SQLITE://", "sqlite://"));
}

TEST(Split, KeepsEmptyFields) {
    auto parts = split("a,,b,", ',');
    ASSERT_EQ(parts.size(), 4u);
    EXPECT_EQ(parts[0], "a");
    EXPECT_EQ(parts[1], "");
    EXPECT_EQ(parts[2], "b");
    EXPECT_EQ(parts[3], "");
}

TEST(Split, EmptyInputGivesOneEmptyField) {
    auto parts = split("", '&');
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0], "");
}

TEST(Split, NoSeparatorGivesWholeString) {
    auto parts = split("abc", '/');
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0], "abc");
}

// ---------------------------------------------------------------------------------------------
// html_escape, json_escape

TEST(HtmlEscape, EscapesScriptTag) {
    EXPECT_EQ(html_escape("<script>alert('x')</script>"),
              "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
}

TEST(HtmlEscape, EscapesAttributeBreakouts) {
    EXPECT_EQ(html_escape("\" onmouseover=\"x"), "&quot; onmouseover=&quot;x");
    EXPECT_EQ(html_escape("a & b"), "a &amp; b");
    EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");  // no double-decoding shortcut
}

TEST(HtmlEscape, LeavesSafeTextAndUtf8Unchanged) {
    EXPECT_EQ(html_escape("Dinas Kesehatan \xE2\x80\x94 caf\xC3\xA9"), "Dinas Kesehatan \xE2\x80\x94 caf\xC3\xA9");
    EXPECT_EQ(html_escape(""), "");
}

TEST(JsonEscape, EscapesQuotesBackslashAndWhitespace) {
    EXPECT_EQ(json_escape("a\"b\\c\nd\re\tf"), "a\\\"b\\\\c\\nd\\re\\tf");
}

TEST(JsonEscape, EscapesControlCharsAndNul) {
    EXPECT_EQ(json_escape("\0"sv), "\\u0000");
    EXPECT_EQ(json_escape("\x1f"), "\\u001f");
    EXPECT_EQ(json_escape("\x08"), "\\u0008");
}

TEST(JsonEscape, EscapesHtmlSignificantCharsForInlineScripts) {
    EXPECT_EQ(json_escape("</script><b>&"), "\\u003c/script\\u003e\\u003cb\\u003e\\u0026");
}

TEST(JsonEscape, PassesUtf8Through) {
    EXPECT_EQ(json_escape("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

// ---------------------------------------------------------------------------------------------
// percent_decode, percent_encode

TEST(PercentDecode, DecodesEscapesInEitherCase) {
    EXPECT_EQ(percent_decode("a%20b%2fc%2Fd", false), "a b/c/d");
    EXPECT_EQ(percent_decode("%C3%A9", false), "\xC3\xA9");
    EXPECT_EQ(percent_decode("", false), "");
}

TEST(PercentDecode, PlusBecomesSpaceOnlyWhenAsked) {
    EXPECT_EQ(percent_decode("two+words", true), "two words");
    EXPECT_EQ(percent_decode("two+words", false), "two+words");
    EXPECT_EQ(percent_decode("%2B", true), "+");  // an encoded plus stays a plus
}

TEST(PercentDecode, EscapeAtVeryEndIsDecoded) {
    EXPECT_EQ(percent_decode("%41", false), "A");
    EXPECT_EQ(percent_decode("ab%41", false), "abA");
}

TEST(PercentDecode, RejectsTruncatedEscapes) {
    EXPECT_EQ(percent_decode("%", false), std::nullopt);
    EXPECT_EQ(percent_decode("%4", false), std::nullopt);
    EXPECT_EQ(percent_decode("abc%", true), std::nullopt);
    EXPECT_EQ(percent_decode("abc%A", true), std::nullopt);
}

TEST(PercentDecode, RejectsNonHexEscapes) {
    EXPECT_EQ(percent_decode("%zz", false), std::nullopt);
    EXPECT_EQ(percent_decode("%G0", false), std::nullopt);
    EXPECT_EQ(percent_decode("%0g", false), std::nullopt);
    EXPECT_EQ(percent_decode("%%41", false), std::nullopt);
    EXPECT_EQ(percent_decode("% 41", false), std::nullopt);
    EXPECT_EQ(percent_decode("%+1", true), std::nullopt);
}

TEST(PercentDecode, DecodesNulAndCrlfBytesVerbatim) {
    // Decoding is byte-exact; callers decide whether control bytes are acceptable.
    EXPECT_EQ(percent_decode("a%00b", false), "a\0b"s);
    EXPECT_EQ(percent_decode("x%0D%0ASet-Cookie:%20y", false), "x\r\nSet-Cookie: y");
}

TEST(PercentDecode, DoesNotValidateUtf8) {
    // Invalid UTF-8 after decoding is passed through; Form and Router check it.
    auto d = percent_decode("%C0%AF", false);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, "\xC0\xAF");
    EXPECT_FALSE(valid_utf8(*d));
}

TEST(PercentEncode, EncodesEverythingButUnreserved) {
    EXPECT_EQ(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    EXPECT_EQ(percent_encode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
    EXPECT_EQ(percent_encode("<script>"), "%3Cscript%3E");
    EXPECT_EQ(percent_encode("\0\r\n"sv), "%00%0D%0A");
    EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");
    EXPECT_EQ(percent_encode("+"), "%2B");
}

TEST(PercentEncode, RoundTripsEveryByte) {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    auto enc = percent_encode(all);
    EXPECT_EQ(percent_decode(enc, false), all);
    EXPECT_EQ(percent_decode(enc, true), all);  // '+' never appears raw in encoded text
}

// ---------------------------------------------------------------------------------------------
// hex, base64url

TEST(HexEncode, LowercaseTwoDigitsPerByte) {
    EXPECT_EQ(hex_encode(""), "");
    EXPECT_EQ(hex_encode("\x00\x0f\xff\xa5"sv), "000fffa5");
}

TEST(Base64Url, EncodesRfc4648Vectors) {
    // RFC 4648 section 10 test vectors, without padding.
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesUrlSafeAlphabet) {
    EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
    EXPECT_EQ(base64url_decode("-_-_"), "\xfb\xff\xbf");
}

TEST(Base64Url, DecodesRfc4648Vectors) {
    EXPECT_EQ(base64url_decode(""), "");
    EXPECT_EQ(base64url_decode("Zg"), "f");
    EXPECT_EQ(base64url_decode("Zm8"), "fo");
    EXPECT_EQ(base64url_decode("Zm9v"), "foo");
    EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64Url, RoundTripsAllByteValuesAndLengths) {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(255 - i);
    for (std::size_t n = 0; n <= all.size(); n += 7) {
        auto s = all.substr(0, n);
        EXPECT_EQ(base64url_decode(base64url_encode(s)), s) << "length " << n;
    }
}

TEST(Base64Url, RejectsStandardAlphabetPaddingAndJunk) {
    EXPECT_EQ(base64url_decode("Zm9v+w"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9v/w"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm 9v"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9v\n"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm\0v"sv), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9\xC3\xA9"), std::nullopt);
}

TEST(Base64Url, RejectsImpossibleLength) {
    EXPECT_EQ(base64url_decode("Z"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// parse_int, parse_double

TEST(ParseInt, AcceptsWholeDecimalIntegers) {
    EXPECT_EQ(parse_int("0"), 0);
    EXPECT_EQ(parse_int("42"), 42);
    EXPECT_EQ(parse_int("-17"), -17);
    EXPECT_EQ(parse_int("007"), 7);
}

TEST(ParseInt, AcceptsInt64Limits) {
    EXPECT_EQ(parse_int("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(parse_int("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
}

TEST(ParseInt, RejectsOutOfRange) {
    EXPECT_EQ(parse_int("9223372036854775808"), std::nullopt);
    EXPECT_EQ(parse_int("-9223372036854775809"), std::nullopt);
    EXPECT_EQ(parse_int("99999999999999999999"), std::nullopt);
    EXPECT_EQ(parse_int(std::string(1000, '9')), std::nullopt);
    EXPECT_EQ(parse_int("000000000000000000001"), std::nullopt);  // 21 chars: over the length cap
}

TEST(ParseInt, RejectsPartialAndDecoratedNumbers) {
    EXPECT_EQ(parse_int(""), std::nullopt);
    EXPECT_EQ(parse_int("12abc"), std::nullopt);
    EXPECT_EQ(parse_int(" 12"), std::nullopt);
    EXPECT_EQ(parse_int("12 "), std::nullopt);
    EXPECT_EQ(parse_int("+12"), std::nullopt);
    EXPECT_EQ(parse_int("0x1A"), std::nullopt);
    EXPECT_EQ(parse_int("1.0"), std::nullopt);
    EXPECT_EQ(parse_int("1e3"), std::nullopt);
    EXPECT_EQ(parse_int("-"), std::nullopt);
    EXPECT_EQ(parse_int("1\0"sv), std::nullopt);
    EXPECT_EQ(parse_int("1 OR 1=1"), std::nullopt);
    EXPECT_EQ(parse_int("\xD9\xA3"), std::nullopt);  // Arabic-Indic digit three
}

TEST(ParseDouble, AcceptsDecimalAndExponentForms) {
    EXPECT_EQ(parse_double("1.5"), 1.5);
    EXPECT_EQ(parse_double("-0.25"), -0.25);
    EXPECT_EQ(parse_double("1e3"), 1000.0);
    EXPECT_EQ(parse_double("112.05"), 112.05);  // a longitude
}

TEST(ParseDouble, RejectsNanGarbageAndOverflow) {
    EXPECT_EQ(parse_double(""), std::nullopt);
    EXPECT_EQ(parse_double("nan"), std::nullopt);
    EXPECT_EQ(parse_double("NaN"), std::nullopt);
    EXPECT_EQ(parse_double("1.5x"), std::nullopt);
    EXPECT_EQ(parse_double(" 1.5"), std::nullopt);
    EXPECT_EQ(parse_double("1,5"), std::nullopt);
    EXPECT_EQ(parse_double("1e999"), std::nullopt);
    EXPECT_EQ(parse_double(std::string(41, '1')), std::nullopt);  // over the length cap
}

// ---------------------------------------------------------------------------------------------
// plausible_email

TEST(PlausibleEmail, AcceptsOrdinaryAddresses) {
    EXPECT_TRUE(plausible_email("warga@example.go.id"));
    EXPECT_TRUE(plausible_email("a.b+tag@sub.example.com"));
    EXPECT_TRUE(plausible_email("x@y.z"));
}

TEST(PlausibleEmail, RejectsMissingOrRepeatedAt) {
    EXPECT_FALSE(plausible_email("no-at.example.com"));
    EXPECT_FALSE(plausible_email("@example.com"));
    EXPECT_FALSE(plausible_email("a@b@example.com"));
}

TEST(PlausibleEmail, RejectsBadDomains) {
    EXPECT_FALSE(plausible_email("a@localhost"));
    EXPECT_FALSE(plausible_email("a@.example.com"));
    EXPECT_FALSE(plausible_email("a@example."));
    EXPECT_FALSE(plausible_email("a@"));
}

TEST(PlausibleEmail, RejectsHostileCharacters) {
    EXPECT_FALSE(plausible_email("a b@example.com"));
    EXPECT_FALSE(plausible_email("<script>@example.com"));
    EXPECT_FALSE(plausible_email("a@example.com\r\nBcc: victim@example.com"));
    EXPECT_FALSE(plausible_email("a@example.com\0.evil"sv));
    EXPECT_FALSE(plausible_email("\"quoted\"@example.com"));
    EXPECT_FALSE(plausible_email("a@example.com,b@example.com"));
    EXPECT_FALSE(plausible_email("a;b@example.com"));
    EXPECT_FALSE(plausible_email("a\\b@example.com"));
    EXPECT_FALSE(plausible_email("a\x7F@example.com"));
}

TEST(PlausibleEmail, EnforcesLengthLimits) {
    EXPECT_FALSE(plausible_email("a@"));
    const std::string domain = "@example.com";  // 12 bytes
    EXPECT_TRUE(plausible_email(std::string(254 - domain.size(), 'a') + domain));
    EXPECT_FALSE(plausible_email(std::string(255 - domain.size(), 'a') + domain));
}

// ---------------------------------------------------------------------------------------------
// safe_local_path

TEST(SafeLocalPath, AcceptsLocalPaths) {
    EXPECT_TRUE(safe_local_path("/"));
    EXPECT_TRUE(safe_local_path("/reports/42?tab=history#top"));
    EXPECT_TRUE(safe_local_path("/search?q=http://example.com"));
}

TEST(SafeLocalPath, RejectsAbsoluteAndSchemeRelativeUrls) {
    EXPECT_FALSE(safe_local_path(""));
    EXPECT_FALSE(safe_local_path("https://evil.example"));
    EXPECT_FALSE(safe_local_path("//evil.example"));
    EXPECT_FALSE(safe_local_path("/\\evil.example"));
    EXPECT_FALSE(safe_local_path("\\\\evil.example"));
    EXPECT_FALSE(safe_local_path("javascript:alert(1)"));
    EXPECT_FALSE(safe_local_path("reports/42"));
}

TEST(SafeLocalPath, RejectsBackslashAnywhereAndControlChars) {
    EXPECT_FALSE(safe_local_path("/a\\b"));
    EXPECT_FALSE(safe_local_path("/a\r\nLocation: https://evil.example"));
    EXPECT_FALSE(safe_local_path("/a\0b"sv));
    EXPECT_FALSE(safe_local_path("/\t/evil.example"));
    EXPECT_FALSE(safe_local_path("/a\x7F"));
}

TEST(SafeLocalPath, RejectsOversizedPaths) {
    EXPECT_TRUE(safe_local_path("/" + std::string(1999, 'a')));
    EXPECT_FALSE(safe_local_path("/" + std::string(2000, 'a')));
}

}  // namespace
}  // namespace gapura::util
