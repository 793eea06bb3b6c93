// Unit tests for the error formats of core/web/views: registration rules, longest-prefix lookup,
// and that Views::error hands errors under a registered prefix to its formatter (with the status,
// the untranslated error and the request's language) and leaves every other path alone.
#include "core/web/views.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/http/response.hpp"

namespace gapura::core::web {
namespace {

struct ViewsErrorFormats : ::testing::Test {
    ViewsErrorFormats() {
        i18n.add("id", "err_not_found", "Tidak ada.");
        i18n.add("en", "err_not_found", "Not there.");
        i18n.finish();
    }
    // A formatter that answers "<tag> <status> <message_key> <lang> <path>" and counts its calls.
    ErrorFormat format(std::string prefix, std::string tag) {
        return {std::move(prefix), [this, tag](const ErrorReport& r) {
                    ++calls;
                    return http::text_response(r.status, tag + " " + std::to_string(static_cast<unsigned>(r.status)) +
                                                             " " + r.error.message_key + " " + std::string(r.lang) +
                                                             " " + std::string(r.path));
                }};
    }
    I18n i18n;
    Views views{i18n, SiteInfo{"Kabupaten Uji", "Uji", "uji.go.id"}};
    int calls = 0;
};

TEST_F(ViewsErrorFormats, RegistrationRules) {
    EXPECT_THROW(views.add_error_format(format("", "x")), std::invalid_argument);
    EXPECT_THROW(views.add_error_format(format("open311/", "x")), std::invalid_argument);
    EXPECT_THROW(views.add_error_format(ErrorFormat{"/x/", nullptr}), std::invalid_argument);
    views.add_error_format(format("/open311/", "a"));
    EXPECT_THROW(views.add_error_format(format("/open311/", "b")), std::invalid_argument);
}

TEST_F(ViewsErrorFormats, LongestPrefixWinsAndOtherPathsHaveNone) {
    EXPECT_EQ(views.error_format_for("/open311/v2/x.json"), nullptr);  // nothing registered
    views.add_error_format(format("/open311/", "short"));
    views.add_error_format(format("/open311/v2/", "long"));
    views.add_error_format(format("/api/3/", "ckan"));
    const ErrorFormatter* f = views.error_format_for("/open311/v2/requests.xml");
    ASSERT_NE(f, nullptr);
    http::Request req{http::Method::get, "/open311/v2/requests.xml", 11};
    const Error e = make_error(ErrorCode::not_found, "err_not_found");
    EXPECT_EQ((*f)(ErrorReport{&req, "/open311/v2/requests.xml", http::Status::not_found, e, "id", "r-1"}).body(),
              "long 404 err_not_found id /open311/v2/requests.xml");
    ASSERT_NE(views.error_format_for("/open311/discovery.json"), nullptr);
    EXPECT_EQ(views.error_format_for("/open311"), nullptr);
    EXPECT_EQ(views.error_format_for("/api/v1/x"), nullptr);
    EXPECT_EQ(views.error_format_for("/"), nullptr);
    EXPECT_EQ(views.error_format_for(""), nullptr);
}

TEST_F(ViewsErrorFormats, ErrorUsesTheFormatOfThePathWithTheGivenStatus) {
    views.add_error_format(format("/open311/", "o311"));
    http::Request req{http::Method::delete_, "/open311/v2/requests.json?locale=en", 11};
    http::RequestContext ctx(req);
    ctx.path = "/open311/v2/requests.json";
    ctx.lang = "en";
    ctx.request_id = "r-2";
    auto res = views.error(ctx, make_error(ErrorCode::bad_request, "err_method"), http::Status::method_not_allowed);
    EXPECT_EQ(res.result_int(), 405u);
    EXPECT_EQ(res.body(), "o311 405 err_method en /open311/v2/requests.json");
    Error busy = make_error(ErrorCode::unavailable, "err_unavailable");
    busy.retry_after = 2;
    auto r503 = views.error(ctx, busy);
    EXPECT_EQ(r503.result_int(), 503u);
    EXPECT_EQ(std::string(r503[http::bhttp::field::retry_after]), "2");
    EXPECT_EQ(calls, 2);

    // Another prefix: the core's JSON error body, and the formatter is not called.
    http::Request api_req{http::Method::get, "/api/v1/nope", 11};
    http::RequestContext api(api_req);
    api.path = "/api/v1/nope";
    api.api = true;
    api.lang = "en";
    api.request_id = "r-3";
    auto json = views.error(api, ErrorCode::not_found, "err_not_found");
    EXPECT_EQ(json.result_int(), 404u);
    EXPECT_EQ(json.body(), R"({"error":{"code":"not_found","message":"Not there.","request_id":"r-3"}})");
    EXPECT_EQ(calls, 2);
}

TEST(ViewsData, PutAndPushMoveInAndRenderLikeSetAndPushBack) {
    Data row = object();
    put(row, "name", Data(std::string("Jalan <rusak>")));
    put(row, "name", Data(std::string("Jalan rusak")));  // replaces
    put(row, "open", Data(true));
    Data rows = list();
    Data copy = row;
    push(rows, std::move(row));
    push(rows, std::move(copy));
    Data page = object();
    put(page, "rows", std::move(rows));
    ASSERT_TRUE(page.get("rows") && page.get("rows")->is_list());
    ASSERT_EQ(page.get("rows")->list_value().size(), 2u);
    kainjow::mustache::mustache m("{{#rows}}[{{name}}{{#open}}!{{/open}}]{{/rows}}");
    EXPECT_EQ(m.render(page), "[Jalan rusak!][Jalan rusak!]");
    // A list given its capacity never copies its items while it fills up (the string an item holds
    // stays the same object).
    Data sized = list(3);
    Data first = object();
    put(first, "name", Data(std::string("pertama")));
    push(sized, std::move(first));
    const std::string* held = &sized.list_value().front().get("name")->string_value();
    push(sized, object());
    push(sized, object());
    EXPECT_EQ(&sized.list_value().front().get("name")->string_value(), held);
    Data not_a_list = object();
    EXPECT_THROW(push(not_a_list, object()), std::logic_error);
    Data not_an_object = list();
    EXPECT_THROW(put(not_an_object, "x", object()), std::logic_error);
}

TEST(ViewsData, DottedNamesResolveLikeKainjow) {
    // The same template and data through kainjow's own context and through Views' renderer.
    const std::string tmpl =
        "{{t.hello}}|{{#rows}}{{name}}:{{t.hello}}:{{a.b.c}}:{{x.y}};{{/rows}}|{{a.b.c}}|{{missing.x}}|{{t.}}|{{.}}";
    Data root = object();  // Views' root is the language's i18n data; the page carries "t" here
    Data page = object();
    Data tr = object();
    put(tr, "hello", Data(std::string("Halo <b>")));
    put(page, "t", std::move(tr));
    Data a = object(), b = object();
    put(b, "c", Data(std::string("abc")));
    put(a, "b", std::move(b));
    put(page, "a", std::move(a));
    Data rows = list(2);
    Data r1 = object();
    put(r1, "name", Data(std::string("satu")));
    Data x = object();
    put(x, "y", Data(std::string("xy")));
    put(r1, "x", std::move(x));
    Data t1 = object();  // a row's own "t" without "hello": the lookup falls through to the root
    put(r1, "t", std::move(t1));
    push(rows, std::move(r1));
    Data r2 = object();
    put(r2, "name", Data(std::string("dua")));
    push(rows, std::move(r2));
    put(page, "rows", std::move(rows));

    kainjow::mustache::mustache reference(tmpl);
    kainjow::mustache::context<std::string> kctx(&root);
    kctx.push(&page);
    const std::string expected = reference.render(kctx);

    I18n i18n;
    Views views(i18n, SiteInfo{"Kabupaten Uji", "Uji", "uji.go.id"});
    views.add_template("dotted", tmpl);
    EXPECT_EQ(views.render("dotted", page, "id"), expected);
    EXPECT_NE(expected.find("satu:Halo &lt;b&gt;:abc:xy;dua:Halo &lt;b&gt;:abc:;|abc||"), std::string::npos) << expected;
}

}  // namespace
}  // namespace gapura::core::web
