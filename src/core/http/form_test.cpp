// Unit tests for core/http/form: application/x-www-form-urlencoded decoding.
#include "core/http/form.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gapura::core::http {
namespace {

using namespace std::string_literals;

TEST(FormParse, EmptyTextGivesEmptyForm) {
    auto f = Form::parse("");
    ASSERT_TRUE(f.has_value());
    EXPECT_TRUE(f->fields().empty());
    EXPECT_FALSE(f->has("a"));
}

TEST(FormParse, DecodesPairsInOrder) {
    auto f = Form::parse("a=1&b=two+words&c=%2Fpath%3Fq");
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(f->fields().size(), 3u);
    EXPECT_EQ(f->fields()[0].first, "a");
    EXPECT_EQ(f->fields()[0].second, "1");
    EXPECT_EQ(f->fields()[1].first, "b");
    EXPECT_EQ(f->fields()[1].second, "two words");
    EXPECT_EQ(f->fields()[2].second, "/path?q");
}

TEST(FormParse, DecodesNames) {
    auto f = Form::parse("first+name=Budi&a%5B%5D=x");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("first name"), "Budi");
    EXPECT_EQ(f->value("a[]"), "x");
}

TEST(FormParse, EncodedPlusAndAmpersandStayLiteral) {
    auto f = Form::parse("q=1%2B1%3D2%26x");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("q"), "1+1=2&x");
    EXPECT_FALSE(f->has("x"));
}

TEST(FormParse, NameWithoutEqualsHasEmptyValue) {
    auto f = Form::parse("flag&b=");
    ASSERT_TRUE(f.has_value());
    EXPECT_TRUE(f->has("flag"));
    EXPECT_EQ(f->value("flag"), "");
    EXPECT_TRUE(f->has("b"));
    EXPECT_EQ(f->value("b"), "");
}

TEST(FormParse, OnlyFirstEqualsSplits) {
    auto f = Form::parse("expr=a=b=c");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("expr"), "a=b=c");
}

TEST(FormParse, SkipsEmptyParts) {
    auto f = Form::parse("&&a=1&&&b=2&");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->fields().size(), 2u);
    EXPECT_EQ(f->value("a"), "1");
    EXPECT_EQ(f->value("b"), "2");
}

TEST(FormParse, EmptyNameIsKept) {
    auto f = Form::parse("=orphan");
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(f->fields().size(), 1u);
    EXPECT_EQ(f->fields()[0].first, "");
    EXPECT_EQ(f->value(""), "orphan");
}

TEST(FormParse, DecodesUtf8Values) {
    auto f = Form::parse("kota=Tuban&catatan=caf%C3%A9+%E2%82%AC");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("catatan"), "caf\xC3\xA9 \xE2\x82\xAC");
}

TEST(FormParse, AcceptsRawUtf8) {
    auto f = Form::parse("n=caf\xC3\xA9");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("n"), "caf\xC3\xA9");
}

TEST(FormParse, KeepsHostileTextVerbatim) {
    auto f = Form::parse("q=%27+OR+1%3D1+--&t=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("q"), "' OR 1=1 --");
    EXPECT_EQ(f->value("t"), "<script>alert(1)</script>");
}

TEST(FormParse, DecodedNulAndCrlfBytesArePreserved) {
    // The form layer is byte-exact; field validators reject control characters.
    auto f = Form::parse("a=x%00y&b=1%0D%0ASet-Cookie:+evil");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(std::string(f->value("a")), "x\0y"s);
    EXPECT_EQ(f->value("b"), "1\r\nSet-Cookie: evil");
}

// Malformed input

TEST(FormParse, RejectsMalformedEscapes) {
    for (const char* text : {"a=%", "a=%2", "a=%zz", "a=%G1", "a=1&b=%", "%=1", "a%2=1", "a=%%", "a=100%"}) {
        EXPECT_FALSE(Form::parse(text).has_value()) << text;
    }
}

TEST(FormParse, RejectsInvalidUtf8InValue) {
    EXPECT_FALSE(Form::parse("a=%FF").has_value());
    EXPECT_FALSE(Form::parse("a=%C3%28").has_value());
    EXPECT_FALSE(Form::parse("a=%E2%82").has_value());     // truncated
    EXPECT_FALSE(Form::parse("a=\xC3").has_value());       // raw byte
}

TEST(FormParse, RejectsInvalidUtf8InName) {
    EXPECT_FALSE(Form::parse("%FF=1").has_value());
    EXPECT_FALSE(Form::parse("\xFE=1").has_value());
}

TEST(FormParse, RejectsOverlongEncodings) {
    EXPECT_FALSE(Form::parse("path=..%C0%AF..%C0%AFetc").has_value());  // overlong '/'
    EXPECT_FALSE(Form::parse("a=%C0%80").has_value());                    // overlong NUL
    EXPECT_FALSE(Form::parse("a=%E0%80%BC").has_value());                 // overlong '<'
}

TEST(FormParse, RejectsSurrogates) {
    EXPECT_FALSE(Form::parse("a=%ED%A0%80").has_value());
    EXPECT_FALSE(Form::parse("a=%ED%BF%BF").has_value());
}

TEST(FormParse, OneBadFieldRejectsTheWholeForm) {
    EXPECT_FALSE(Form::parse("good=1&bad=%ZZ&also_good=2").has_value());
}

// Limits

TEST(FormParse, AcceptsExactlyMaxFields) {
    std::string text;
    for (std::size_t i = 0; i < Form::kMaxFields; ++i) text += "f" + std::to_string(i) + "=v&";
    auto f = Form::parse(text);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->fields().size(), Form::kMaxFields);
}

TEST(FormParse, RejectsMoreThanMaxFields) {
    std::string text;
    for (std::size_t i = 0; i <= Form::kMaxFields; ++i) text += "f=v&";
    EXPECT_FALSE(Form::parse(text).has_value());
}

TEST(FormParse, EmptyPartsDoNotCountTowardsLimit) {
    std::string text(100000, '&');
    text += "a=1";
    auto f = Form::parse(text);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("a"), "1");
}

TEST(FormParse, LargeSingleValue) {
    std::string big(1 << 20, 'x');
    auto f = Form::parse("a=" + big);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->value("a").size(), big.size());
}

// Accessors

TEST(FormAccess, GetReturnsFirstOccurrence) {
    auto f = Form::parse("role=warga&role=admin");
    ASSERT_TRUE(f.has_value());
    ASSERT_TRUE(f->get("role").has_value());
    EXPECT_EQ(*f->get("role"), "warga");
    EXPECT_EQ(f->value("role"), "warga");
}

TEST(FormAccess, AllReturnsEveryOccurrenceInOrder) {
    auto f = Form::parse("opd=1&x=0&opd=2&opd=3");
    ASSERT_TRUE(f.has_value());
    auto all = f->all("opd");
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0], "1");
    EXPECT_EQ(all[1], "2");
    EXPECT_EQ(all[2], "3");
    EXPECT_TRUE(f->all("missing").empty());
}

TEST(FormAccess, MissingNameGivesNulloptOrEmpty) {
    auto f = Form::parse("a=1");
    ASSERT_TRUE(f.has_value());
    EXPECT_FALSE(f->get("b").has_value());
    EXPECT_EQ(f->value("b"), "");
    EXPECT_FALSE(f->has("b"));
}

TEST(FormAccess, NamesAreCaseSensitiveAndExact) {
    auto f = Form::parse("Email=a%40b.c");
    ASSERT_TRUE(f.has_value());
    EXPECT_FALSE(f->has("email"));
    EXPECT_FALSE(f->has("Email "));
    EXPECT_EQ(f->value("Email"), "a@b.c");
}

TEST(FormAccess, PresentButEmptyDiffersFromAbsent) {
    auto f = Form::parse("a=");
    ASSERT_TRUE(f.has_value());
    ASSERT_TRUE(f->get("a").has_value());
    EXPECT_TRUE(f->get("a")->empty());
}

TEST(FormAccess, AddAppendsField) {
    Form f;
    f.add("x", "1");
    f.add("x", "2");
    EXPECT_EQ(f.value("x"), "1");
    EXPECT_EQ(f.all("x").size(), 2u);
}

}  // namespace
}  // namespace gapura::core::http
