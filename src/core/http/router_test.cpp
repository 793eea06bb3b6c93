// Unit tests for core/http/router: pattern compilation, matching, 405 handling and HEAD.
#include "core/http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace gapura::core::http {
namespace {

// Handlers are never called here: a route is identified by "METHOD pattern".
Handler tagged(std::string) {
    return [](RequestContext&) { return Response{}; };
}

std::string tag_of(const RouteMatch& m) {
    if (!m.route) return "<none>";
    return std::string(bhttp::to_string(m.route->method)) + " " + m.route->pattern;
}

std::string param(const RouteMatch& m, const std::string& name) {
    for (const auto& [k, v] : m.params) {
        if (k == name) return v;
    }
    return "<absent>";
}

class RouterTest : public ::testing::Test {
protected:
    void SetUp() override {
        r.add(Method::get, "/", tagged("home"));
        r.add(Method::get, "/reports", tagged("reports.list"));
        r.add(Method::post, "/reports", tagged("reports.create"));
        r.add(Method::get, "/reports/{id}", tagged("reports.show"));
        r.add(Method::put, "/reports/{id}", tagged("reports.update"));
        r.add(Method::delete_, "/reports/{id}", tagged("reports.delete"));
        r.add(Method::get, "/reports/{id}/comments/{cid}", tagged("comments.show"));
        r.add(Method::get, "/api/v1/datasets/{id}.json", tagged("datasets.json"));
        r.add(Method::get, "/files/v{version}.pdf", tagged("files.versioned"));
        r.add(Method::get, "/static/{*path}", tagged("static"));
    }
    Router r;
};

// Literal routes

TEST_F(RouterTest, MatchesRootAndLiteralPaths) {
    EXPECT_EQ(tag_of(r.match(Method::get, "/")), "GET /");
    EXPECT_EQ(tag_of(r.match(Method::get, "/reports")), "GET /reports");
    EXPECT_EQ(tag_of(r.match(Method::post, "/reports")), "POST /reports");
}

TEST_F(RouterTest, LiteralMatchIsExact) {
    EXPECT_EQ(r.match(Method::get, "/reports/").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/Reports").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/reportsx").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "//reports").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "reports").route, nullptr);
}

TEST_F(RouterTest, UnknownPathHasNoRouteAndNoAllowed) {
    auto m = r.match(Method::get, "/nope");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.allowed.empty());
    EXPECT_TRUE(m.params.empty());
}

// Parameters

TEST_F(RouterTest, CapturesSingleParam) {
    auto m = r.match(Method::get, "/reports/42");
    EXPECT_EQ(tag_of(m), "GET /reports/{id}");
    ASSERT_EQ(m.params.size(), 1u);
    EXPECT_EQ(m.params[0].first, "id");
    EXPECT_EQ(m.params[0].second, "42");
}

TEST_F(RouterTest, CapturesSeveralParamsInOrder) {
    auto m = r.match(Method::get, "/reports/7/comments/99");
    EXPECT_EQ(tag_of(m), "GET /reports/{id}/comments/{cid}");
    ASSERT_EQ(m.params.size(), 2u);
    EXPECT_EQ(m.params[0].first, "id");
    EXPECT_EQ(m.params[0].second, "7");
    EXPECT_EQ(m.params[1].first, "cid");
    EXPECT_EQ(m.params[1].second, "99");
}

TEST_F(RouterTest, ParamNeverSpansSegments) {
    EXPECT_EQ(r.match(Method::get, "/reports/1/2").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/reports/1/").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/reports/7/comments").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/reports/7/comments/99/x").route, nullptr);
}

TEST_F(RouterTest, EmptyParamDoesNotMatch) {
    EXPECT_EQ(r.match(Method::get, "/reports//comments/1").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/api/v1/datasets/.json").route, nullptr);
}

TEST_F(RouterTest, PercentDecodesParams) {
    auto m = r.match(Method::get, "/reports/a%20b%2Fc");
    EXPECT_EQ(tag_of(m), "GET /reports/{id}");
    EXPECT_EQ(param(m, "id"), "a b/c");
    m = r.match(Method::get, "/reports/caf%C3%A9");
    EXPECT_EQ(param(m, "id"), "caf\xC3\xA9");
}

TEST_F(RouterTest, PlusInPathIsNotASpace) {
    EXPECT_EQ(param(r.match(Method::get, "/reports/a+b"), "id"), "a+b");
}

TEST_F(RouterTest, HostileParamValuesAreDecodedVerbatim) {
    // The router only decodes; handlers validate (e.g. parse_int) before use.
    auto m = r.match(Method::get, "/reports/%27%20OR%201%3D1%20--");
    EXPECT_EQ(param(m, "id"), "' OR 1=1 --");
    m = r.match(Method::get, "/reports/%3Cscript%3E");
    EXPECT_EQ(param(m, "id"), "<script>");
}

TEST_F(RouterTest, MalformedEscapeInParamDoesNotMatch) {
    EXPECT_EQ(r.match(Method::get, "/reports/%").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/reports/%4").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/reports/%zz").route, nullptr);
    EXPECT_TRUE(r.match(Method::get, "/reports/%zz").allowed.empty());
}

TEST_F(RouterTest, InvalidUtf8ParamDoesNotMatch) {
    EXPECT_EQ(r.match(Method::get, "/reports/%FF").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/reports/%C0%AF").route, nullptr);      // overlong '/'
    EXPECT_EQ(r.match(Method::get, "/reports/%ED%A0%80").route, nullptr);   // surrogate
    EXPECT_EQ(r.match(Method::get, "/reports/\xC3").route, nullptr);        // raw truncated byte
    EXPECT_EQ(r.match(Method::get, "/static/a/%C0%AE%C0%AE/etc").route, nullptr);
    EXPECT_EQ(r.options_for(Method::get, "/reports/%FF"), nullptr);
}

// Suffix and prefix segments

TEST_F(RouterTest, SuffixParamStripsExtension) {
    auto m = r.match(Method::get, "/api/v1/datasets/penduduk-2026.json");
    EXPECT_EQ(tag_of(m), "GET /api/v1/datasets/{id}.json");
    EXPECT_EQ(param(m, "id"), "penduduk-2026");
}

TEST_F(RouterTest, SuffixMustBePresent) {
    EXPECT_EQ(r.match(Method::get, "/api/v1/datasets/abc").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/api/v1/datasets/abc.csv").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/api/v1/datasets/abc.jsonx").route, nullptr);
}

TEST_F(RouterTest, SuffixParamMayContainDots) {
    EXPECT_EQ(param(r.match(Method::get, "/api/v1/datasets/a.b.json"), "id"), "a.b");
}

TEST_F(RouterTest, PrefixAndSuffixInOneSegment) {
    auto m = r.match(Method::get, "/files/v3.pdf");
    EXPECT_EQ(tag_of(m), "GET /files/v{version}.pdf");
    EXPECT_EQ(param(m, "version"), "3");
    EXPECT_EQ(r.match(Method::get, "/files/3.pdf").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/files/v.pdf").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/files/v3.pdfx").route, nullptr);
}

// Rest patterns

TEST_F(RouterTest, RestCapturesRemainderIncludingSlashes) {
    auto m = r.match(Method::get, "/static/css/site.css");
    EXPECT_EQ(tag_of(m), "GET /static/{*path}");
    EXPECT_EQ(param(m, "path"), "css/site.css");
}

TEST_F(RouterTest, RestIsPercentDecoded) {
    EXPECT_EQ(param(r.match(Method::get, "/static/img/a%20b.png"), "path"), "img/a b.png");
}

TEST_F(RouterTest, RestMustBeNonEmpty) {
    EXPECT_EQ(r.match(Method::get, "/static/").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/static").route, nullptr);
}

TEST_F(RouterTest, RestRejectsInvalidUtf8AndBadEscapes) {
    EXPECT_EQ(r.match(Method::get, "/static/%FF.css").route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/static/a%2").route, nullptr);
}

TEST_F(RouterTest, RestPassesDotSegmentsToHandler) {
    // Traversal is the file handler's job to refuse; the router must not hide it.
    EXPECT_EQ(param(r.match(Method::get, "/static/../secret.key"), "path"), "../secret.key");
    EXPECT_EQ(param(r.match(Method::get, "/static/%2e%2e/secret.key"), "path"), "../secret.key");
}

// 405 and allowed methods

TEST_F(RouterTest, WrongMethodOnLiteralListsAllowed) {
    auto m = r.match(Method::delete_, "/reports");
    EXPECT_EQ(m.route, nullptr);
    ASSERT_EQ(m.allowed.size(), 2u);
    EXPECT_EQ(allow_header(m.allowed), "GET, HEAD, POST");
}

TEST_F(RouterTest, WrongMethodOnPatternListsAllowedOnce) {
    auto m = r.match(Method::post, "/reports/5");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allowed.size(), 3u);
    EXPECT_EQ(allow_header(m.allowed), "DELETE, GET, HEAD, PUT");
}

TEST_F(RouterTest, AllowedIsClearedWhenARouteMatches) {
    auto m = r.match(Method::put, "/reports/5");
    EXPECT_EQ(tag_of(m), "PUT /reports/{id}");
    EXPECT_TRUE(m.allowed.empty());
}

TEST_F(RouterTest, AllowedIsEmptyWhenLiteralRouteMatches) {
    auto m = r.match(Method::post, "/reports");
    EXPECT_EQ(tag_of(m), "POST /reports");
    EXPECT_TRUE(m.allowed.empty());
}

TEST(AllowHeader, AddsHeadForGetAndSortsUnique) {
    EXPECT_EQ(allow_header({Method::get}), "GET, HEAD");
    EXPECT_EQ(allow_header({Method::post}), "POST");
    EXPECT_EQ(allow_header({Method::post, Method::get, Method::get}), "GET, HEAD, POST");
    EXPECT_EQ(allow_header({Method::head, Method::get}), "GET, HEAD");
    EXPECT_EQ(allow_header({}), "");
}

// HEAD

TEST_F(RouterTest, HeadMapsToGet) {
    EXPECT_EQ(tag_of(r.match(Method::head, "/reports")), "GET /reports");
    auto m = r.match(Method::head, "/reports/9");
    EXPECT_EQ(tag_of(m), "GET /reports/{id}");
    EXPECT_EQ(param(m, "id"), "9");
    EXPECT_EQ(tag_of(r.match(Method::head, "/static/app.js")), "GET /static/{*path}");
}

TEST(Router, HeadOnPostOnlyRouteIs405) {
    Router r;
    r.add(Method::post, "/login", tagged("login"));
    auto m = r.match(Method::head, "/login");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(allow_header(m.allowed), "POST");
}

// options_for

TEST_F(RouterTest, OptionsForReturnsMatchingRouteOptions) {
    Router local;
    RouteOptions upload;
    upload.body_limit = 10 * 1024 * 1024;
    upload.api = true;
    local.add(Method::get, "/uploads/{id}", tagged("u.show"));
    local.add(Method::post, "/uploads/{id}", tagged("u.put"), upload);
    RouteOptions login;
    login.blocking = false;
    login.body_limit = 4096;
    local.add(Method::post, "/login", tagged("login"), login);

    const RouteOptions* o = local.options_for(Method::post, "/uploads/7");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->body_limit, 10u * 1024 * 1024);
    EXPECT_TRUE(o->api);

    o = local.options_for(Method::get, "/uploads/7");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->body_limit, 64u * 1024);  // default
    EXPECT_TRUE(o->blocking);
    EXPECT_FALSE(o->api);

    o = local.options_for(Method::post, "/login");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->body_limit, 4096u);
    EXPECT_FALSE(o->blocking);
}

TEST_F(RouterTest, OptionsForHeadUsesGetRoute) {
    EXPECT_EQ(r.options_for(Method::head, "/reports/1"), r.options_for(Method::get, "/reports/1"));
    EXPECT_NE(r.options_for(Method::head, "/reports/1"), nullptr);
}

TEST_F(RouterTest, OptionsForIsNullWhenNothingMatches) {
    EXPECT_EQ(r.options_for(Method::get, "/nope"), nullptr);
    EXPECT_EQ(r.options_for(Method::patch, "/reports/1"), nullptr);  // path matches, method does not
    EXPECT_EQ(r.options_for(Method::get, "/reports/%zz"), nullptr);
}

// Registration

TEST(RouterAdd, DuplicateRouteThrows) {
    Router r;
    r.add(Method::get, "/a", tagged("1"));
    EXPECT_THROW(r.add(Method::get, "/a", tagged("2")), std::invalid_argument);
    r.add(Method::get, "/a/{id}", tagged("3"));
    EXPECT_THROW(r.add(Method::get, "/a/{id}", tagged("4")), std::invalid_argument);
    EXPECT_EQ(r.routes().size(), 2u);
}

TEST(RouterAdd, SamePatternDifferentMethodIsFine) {
    Router r;
    r.add(Method::get, "/a/{id}", tagged("get"));
    EXPECT_NO_THROW(r.add(Method::post, "/a/{id}", tagged("post")));
    EXPECT_EQ(tag_of(r.match(Method::post, "/a/1")), "POST /a/{id}");
}

TEST(RouterAdd, MalformedPatternsThrow) {
    Router r;
    for (const char* p : {"", "a", "relative/{id}", "/a/{id", "/a/{}", "/a/{*}", "/a/{*rest}/b", "/a/x{*rest}",
                          "/a/{*rest}.json", "/a/{x}{y}"}) {
        EXPECT_THROW(r.add(Method::get, p, tagged("x")), std::invalid_argument) << p;
    }
}

TEST(RouterAdd, FailedAddDoesNotLeaveAHalfRoute) {
    Router r;
    EXPECT_THROW(r.add(Method::get, "/a/{}", tagged("x")), std::invalid_argument);
    EXPECT_TRUE(r.routes().empty());
}

TEST(RouterMatch, FirstRegisteredPatternWins) {
    Router r;
    r.add(Method::get, "/d/{id}.json", tagged("json"));
    r.add(Method::get, "/d/{id}", tagged("plain"));
    EXPECT_EQ(tag_of(r.match(Method::get, "/d/5.json")), "GET /d/{id}.json");
    EXPECT_EQ(tag_of(r.match(Method::get, "/d/5")), "GET /d/{id}");
}

TEST(RouterMatch, LiteralBeatsPatternRegisteredEarlier) {
    Router r;
    r.add(Method::get, "/reports/{id}", tagged("show"));
    r.add(Method::get, "/reports/new", tagged("new"));
    EXPECT_EQ(tag_of(r.match(Method::get, "/reports/new")), "GET /reports/new");
    EXPECT_EQ(tag_of(r.match(Method::get, "/reports/old")), "GET /reports/{id}");
}

TEST(RouterMatch, PatternMatchesWhenLiteralHasOtherMethod) {
    Router r;
    r.add(Method::post, "/reports/new", tagged("new.post"));
    r.add(Method::get, "/reports/{id}", tagged("show"));
    auto m = r.match(Method::get, "/reports/new");
    EXPECT_EQ(tag_of(m), "GET /reports/{id}");
    EXPECT_EQ(param(m, "id"), "new");
    EXPECT_TRUE(m.allowed.empty());
}

TEST(RouterMatch, NulAndCrlfInPathDoNotMatchLiteral) {
    Router r;
    r.add(Method::get, "/admin", tagged("admin"));
    EXPECT_EQ(r.match(Method::get, std::string("/admin\0", 7)).route, nullptr);
    EXPECT_EQ(r.match(Method::get, "/admin\r\n").route, nullptr);
}

TEST(RouterMatch, VeryLongPathDoesNotMatchOrCrash) {
    Router r;
    r.add(Method::get, "/a/{id}", tagged("a"));
    r.add(Method::get, "/s/{*rest}", tagged("s"));
    std::string longseg(1 << 20, 'x');
    EXPECT_EQ(param(r.match(Method::get, "/a/" + longseg), "id").size(), longseg.size());
    std::string many;
    for (int i = 0; i < 100000; ++i) many += "/x";
    EXPECT_EQ(r.match(Method::get, "/a" + many).route, nullptr);
    EXPECT_EQ(tag_of(r.match(Method::get, "/s" + many)), "GET /s/{*rest}");
}

}  // namespace
}  // namespace gapura::core::http
