// Unit tests for core/util/json_input: strict JSON objects for API requests.
#include "core/util/json_input.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/util/strings.hpp"

namespace gapura::util {
namespace {

using namespace std::string_literals;

std::string nested_arrays(std::size_t depth) {
    // {"a": [[...[]...]]} with `depth` levels in total (the object counts as one).
    std::string s = "{\"a\":";
    for (std::size_t i = 1; i < depth; ++i) s += '[';
    for (std::size_t i = 1; i < depth; ++i) s += ']';
    s += '}';
    return s;
}

bool names_field(const Error& e, const std::string& field) {
    return std::any_of(e.fields.begin(), e.fields.end(), [&](const FieldError& f) { return f.field == field; });
}

// ---------------------------------------------------------------------------------------------
// parse_json_object: success

TEST(ParseJsonObject, AcceptsObjectWithAllowedKeys) {
    auto r = parse_json_object(R"({"title":"Jalan rusak","priority":2,"public":true})",
                               {"title", "priority", "public"});
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(r->at("title").as_string(), "Jalan rusak");
    EXPECT_EQ(r->at("priority").as_int64(), 2);
    EXPECT_TRUE(r->at("public").as_bool());
}

TEST(ParseJsonObject, AllowedKeysAreOptional) {
    auto r = parse_json_object(R"({"title":"x"})", {"title", "description", "location"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), 1u);
}

TEST(ParseJsonObject, AcceptsEmptyObjectAndSurroundingWhitespace) {
    auto r = parse_json_object(" \n\t{ }\r\n", {});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
}

TEST(ParseJsonObject, KeepsUtf8AndDecodesEscapes) {
    auto r = parse_json_object(R"({"t":"caf\u00e9 \ud83d\ude00 \u003cb\u003e"})", {"t"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("t").as_string(), "caf\xC3\xA9 \xF0\x9F\x98\x80 <b>");
}

TEST(ParseJsonObject, KeepsHostileStringsVerbatim) {
    // The parser does not sanitise; escaping happens at output. Content must survive intact.
    auto r = parse_json_object(R"({"t":"<script>alert(1)</script>","q":"' OR 1=1 --"})", {"t", "q"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("t").as_string(), "<script>alert(1)</script>");
    EXPECT_EQ(r->at("q").as_string(), "' OR 1=1 --");
}

TEST(ParseJsonObject, EscapedNulAndCrlfAreDecodedInsideStrings) {
    auto r = parse_json_object(R"({"t":"a\u0000b\r\nc"})", {"t"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::string(r->at("t").as_string()), "a\0b\r\nc"s);
}

TEST(ParseJsonObject, DuplicateKeyKeepsLastValue) {
    // Documents the current behaviour: a repeated key does not fail, the last value wins.
    auto r = parse_json_object(R"({"role":"warga","role":"admin"})", {"role"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), 1u);
    EXPECT_EQ(r->at("role").as_string(), "admin");
}

// ---------------------------------------------------------------------------------------------
// parse_json_object: unknown fields

TEST(ParseJsonObject, UnknownFieldIsNamedInTheError) {
    auto r = parse_json_object(R"({"title":"x","is_admin":true})", {"title"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::bad_request);
    EXPECT_EQ(r.error().message_key, "err_json_unknown_field");
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, "is_admin");
    EXPECT_EQ(r.error().fields[0].message_key, "err_json_unknown_field");
}

TEST(ParseJsonObject, EveryUnknownFieldIsNamed) {
    auto r = parse_json_object(R"({"a":1,"title":"x","b":2,"c":3})", {"title"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().fields.size(), 3u);
    EXPECT_TRUE(names_field(r.error(), "a"));
    EXPECT_TRUE(names_field(r.error(), "b"));
    EXPECT_TRUE(names_field(r.error(), "c"));
    EXPECT_FALSE(names_field(r.error(), "title"));
}

TEST(ParseJsonObject, KeyMatchIsExactAndCaseSensitive) {
    auto r = parse_json_object(R"({"Title":"x"})", {"title"});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(names_field(r.error(), "Title"));
    r = parse_json_object(R"({"title ":"x"})", {"title"});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(names_field(r.error(), "title "));
}

TEST(ParseJsonObject, KeyWithEscapedNulIsNotAllowedKeyPrefix) {
    auto r = parse_json_object(R"({"title\u0000x":"x"})", {"title"});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(names_field(r.error(), "title\0x"s));
}

TEST(ParseJsonObject, EmptyAllowListRejectsAnyKey) {
    auto r = parse_json_object(R"({"x":1})", {});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(names_field(r.error(), "x"));
}

TEST(ParseJsonObject, OnlyTopLevelKeysAreChecked) {
    auto r = parse_json_object(R"({"location":{"lat":-6.9,"lng":112.05,"extra":1}})", {"location"});
    ASSERT_TRUE(r.ok());
}

// ---------------------------------------------------------------------------------------------
// parse_json_object: depth

TEST(ParseJsonObject, AcceptsNestingUpToMaxDepth) {
    EXPECT_TRUE(parse_json_object(nested_arrays(16), {"a"}).ok());
    EXPECT_TRUE(parse_json_object(R"({"a":{"b":1}})", {"a"}, 2).ok());
}

TEST(ParseJsonObject, RejectsNestingBeyondMaxDepth) {
    auto r = parse_json_object(nested_arrays(17), {"a"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message_key, "err_json_invalid");
    EXPECT_FALSE(parse_json_object(R"({"a":{"b":{}}})", {"a"}, 2).ok());
}

TEST(ParseJsonObject, DeepNestingBombFailsFastWithoutCrash) {
    std::string bomb = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    auto r = parse_json_object(bomb, {"a"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message_key, "err_json_invalid");
}

// ---------------------------------------------------------------------------------------------
// parse_json_object: not an object

TEST(ParseJsonObject, RejectsNonObjectTopLevel) {
    for (const char* body : {"[]", "[{\"a\":1}]", "\"a\"", "42", "true", "null"}) {
        auto r = parse_json_object(body, {"a"});
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().message_key, "err_json_not_object") << body;
        EXPECT_EQ(r.error().code, ErrorCode::bad_request);
    }
}

// ---------------------------------------------------------------------------------------------
// parse_json_object: malformed

TEST(ParseJsonObject, RejectsSyntaxErrors) {
    for (const char* body : {"", " ", "{", "}", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{a:1}", "{\"a\":1}}",
                             "{\"a\":1} {\"a\":2}", "{\"a\":01}", "{\"a\":NaN}", "{\"a\":1 /* c */}",
                             "{\"a\":\"unterminated}"}) {
        auto r = parse_json_object(body, {"a"});
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().message_key, "err_json_invalid") << body;
        EXPECT_FALSE(r.error().detail.empty()) << body;
    }
}

TEST(ParseJsonObject, RejectsMalformedEscapes) {
    for (const char* body : {R"({"a":"\x41"})", R"({"a":"\u12"})", R"({"a":"\uZZZZ"})", R"({"a":"\"})",
                             R"({"a":"\'"})"}) {
        EXPECT_FALSE(parse_json_object(body, {"a"}).ok()) << body;
    }
}

TEST(ParseJsonObject, RejectsLoneSurrogateEscapes) {
    EXPECT_FALSE(parse_json_object(R"({"a":"\ud800"})", {"a"}).ok());
    EXPECT_FALSE(parse_json_object(R"({"a":"\udc00"})", {"a"}).ok());
    EXPECT_FALSE(parse_json_object(R"({"a":"\ud800x"})", {"a"}).ok());
}

TEST(ParseJsonObject, RejectsRawControlCharactersInStrings) {
    EXPECT_FALSE(parse_json_object("{\"a\":\"line\nbreak\"}", {"a"}).ok());
    EXPECT_FALSE(parse_json_object(std::string("{\"a\":\"nul\0\"}", 11), {"a"}).ok());
}

TEST(ParseJsonObject, RejectsNulByteOutsideStrings) {
    EXPECT_FALSE(parse_json_object(std::string("{\"a\":1}\0", 8), {"a"}).ok());
    EXPECT_FALSE(parse_json_object(std::string("\0{\"a\":1}", 8), {"a"}).ok());
}

// ---------------------------------------------------------------------------------------------
// parse_json_object: invalid UTF-8

TEST(ParseJsonObject, RejectsInvalidUtf8InValue) {
    auto r = parse_json_object("{\"a\":\"\xC3\x28\"}", {"a"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message_key, "err_json_invalid");
    EXPECT_EQ(r.error().detail, "invalid UTF-8");
}

TEST(ParseJsonObject, RejectsOverlongAndSurrogateUtf8) {
    EXPECT_FALSE(parse_json_object("{\"a\":\"\xC0\xAF\"}", {"a"}).ok());
    EXPECT_FALSE(parse_json_object("{\"a\":\"\xE0\x80\xAF\"}", {"a"}).ok());
    EXPECT_FALSE(parse_json_object("{\"a\":\"\xED\xA0\x80\"}", {"a"}).ok());
    EXPECT_FALSE(parse_json_object("{\"a\":\"\xF4\x90\x80\x80\"}", {"a"}).ok());
}

TEST(ParseJsonObject, RejectsInvalidUtf8InKeyOrOutsideStrings) {
    EXPECT_FALSE(parse_json_object("{\"\xFF\":1}", {"a"}).ok());
    EXPECT_FALSE(parse_json_object("{\"a\":1}\xFE", {"a"}).ok());
}

// ---------------------------------------------------------------------------------------------
// parse_json_object: size

TEST(ParseJsonObject, LargeValidBodyParses) {
    std::string big(1 << 20, 'x');
    auto r = parse_json_object("{\"a\":\"" + big + "\"}", {"a"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("a").as_string().size(), big.size());
}

TEST(ParseJsonObject, ManyUnknownKeysAreAllReported) {
    std::string body = "{";
    for (int i = 0; i < 500; ++i) body += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
    body += "}";
    auto r = parse_json_object(body, {"a"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().fields.size(), 500u);
}

// ---------------------------------------------------------------------------------------------
// json_string

TEST(JsonString, ReturnsStringValue) {
    boost::json::object o{{"name", "Budi"}};
    bool wrong = false;
    EXPECT_EQ(json_string(o, "name", wrong), "Budi");
    EXPECT_FALSE(wrong);
}

TEST(JsonString, AbsentOrNullIsNulloptWithoutTypeError) {
    boost::json::object o{{"n", nullptr}};
    bool wrong = false;
    EXPECT_EQ(json_string(o, "missing", wrong), std::nullopt);
    EXPECT_EQ(json_string(o, "n", wrong), std::nullopt);
    EXPECT_FALSE(wrong);
}

TEST(JsonString, WrongTypesSetFlag) {
    boost::json::object o{{"i", 5}, {"b", true}, {"a", boost::json::array{"x"}}, {"o", boost::json::object{}},
                          {"d", 1.5}};
    for (const char* key : {"i", "b", "a", "o", "d"}) {
        bool wrong = false;
        EXPECT_EQ(json_string(o, key, wrong), std::nullopt) << key;
        EXPECT_TRUE(wrong) << key;
    }
}

TEST(JsonString, FlagIsStickyAcrossCalls) {
    // Handlers read several members and check the flag once.
    boost::json::object o{{"i", 5}, {"s", "ok"}};
    bool wrong = false;
    (void)json_string(o, "i", wrong);
    EXPECT_EQ(json_string(o, "s", wrong), "ok");
    EXPECT_TRUE(wrong);
}

TEST(JsonString, WorksOnParsedInputWithWrongTypes) {
    auto r = parse_json_object(R"({"title":123,"body":"ok"})", {"title", "body"});
    ASSERT_TRUE(r.ok());
    bool wrong = false;
    EXPECT_EQ(json_string(*r, "body", wrong), "ok");
    EXPECT_FALSE(wrong);
    EXPECT_EQ(json_string(*r, "title", wrong), std::nullopt);
    EXPECT_TRUE(wrong);
}

TEST(JsonString, ParsedStringsAreValidUtf8) {
    auto r = parse_json_object(R"({"t":"\u00e9\u4e2d\ud83d\ude00"})", {"t"});
    ASSERT_TRUE(r.ok());
    bool wrong = false;
    auto s = json_string(*r, "t", wrong);
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(valid_utf8(*s));
    EXPECT_EQ(utf8_length(*s), 3u);
}

}  // namespace
}  // namespace gapura::util
