// Unit tests for the error formats of core/web/views: registration rules, longest-prefix lookup,
// and that Views::error hands errors under a registered prefix to its formatter (with the status,
// the untranslated error and the request's language) and leaves every other path alone.
#include "core/web/views.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

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

// Views renders templates with its own compiled form (core/web/views.cpp, Compiled): its output
// must be kainjow's, byte for byte. Each case renders through kainjow's own context and through
// Views; the cases cover what the site's templates use (text, escaped and raw variables, dotted
// names, sections over lists, objects, booleans and strings, inverted sections, comments, lines
// that hold only section tags, CR LF) and what falls back to kainjow (partials, lambdas).
struct RenderCase {
    std::string tmpl;
    Data page;
};

std::string kainjow_render(const std::string& tmpl, const Data& root, const Data& page) {
    kainjow::mustache::mustache reference(tmpl);
    kainjow::mustache::context<std::string> kctx(&root);
    kctx.push(&page);
    return reference.render(kctx);
}

Data sample_page() {
    Data page = object();
    put(page, "s", Data(std::string("a <b> & \"c\" 'd'")));
    put(page, "empty_s", Data(std::string()));
    put(page, "yes", Data(true));
    put(page, "no", Data(false));
    put(page, "none", list());
    Data strings = list(3);
    for (const char* v : {"x", "<y>", "z&"}) push(strings, Data(std::string(v)));
    put(page, "strings", std::move(strings));
    Data rows = list(3);
    for (int i = 0; i < 3; ++i) {
        Data r = object();
        put(r, "name", Data("row " + std::to_string(i) + (i == 1 ? " <1>" : "")));
        put(r, "flag", Data(i % 2 == 0));
        if (i == 2) put(r, "s", Data(std::string("own s")));  // shadows the page's
        Data inner = list(1);
        Data in = object();
        put(in, "v", Data(std::string("in") + std::to_string(i)));
        push(inner, std::move(in));
        put(r, "inner", std::move(inner));
        push(rows, std::move(r));
    }
    put(page, "rows", std::move(rows));
    Data o = object();
    put(o, "k", Data(std::string("ok")));
    Data deep = object();
    put(deep, "er", Data(std::string("deeper")));
    put(o, "deep", std::move(deep));
    put(page, "o", std::move(o));
    return page;
}

TEST(ViewsRender, CompiledTemplatesRenderLikeKainjow) {
    const std::vector<std::string> templates = {
        "plain text only",
        "",
        "{{s}}|{{{s}}}|{{&s}}|{{ s }}|{{empty_s}}|{{missing}}|{{yes}}|{{rows}}|{{o}}",
        "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}!N{{/no}}{{^yes}}!Y{{/yes}}{{#missing}}M{{/missing}}{{^missing}}!M{{/missing}}",
        "{{#none}}never{{/none}}{{^none}}empty list{{/none}}{{#s}}[{{.}}]{{/s}}{{#strings}}<{{.}}>{{/strings}}",
        "{{#rows}}{{name}}:{{s}}:{{#flag}}F{{/flag}}{{^flag}}f{{/flag}}{{#inner}}{{v}}/{{name}}{{/inner}};{{/rows}}",
        "{{#o}}{{k}}-{{deep.er}}-{{o.k}}{{/o}}|{{o.deep.er}}|{{o.missing}}|{{#o.deep}}{{er}}{{/o.deep}}|{{t.hello}}",
        "<ul>\n  {{#rows}}\n  <li>{{name}}</li>\n  {{/rows}}\n</ul>\n",
        "a\n  {{#no}}\n  hidden\n  {{/no}}\nb\n\t{{^no}}\t\nshown\n {{/no}} \nc",
        "line one\r\n{{#yes}}\r\n  in\r\n{{/yes}}\r\nend\r",
        "{{! a comment }}\n{{! standalone comment }}\ntext {{! inline }} more\n",
        "  {{#rows}}{{name}}{{/rows}}  \n   \n{{#yes}}{{/yes}}\n{{s}}",
        "{{#rows}}\n{{#inner}}\n{{v}}\n{{/inner}}\n{{/rows}}\n{{^rows}}none{{/rows}}",
        "<table>{{#rows}}<tr{{#flag}} class=\"x\"{{/flag}}><td>{{name}}</td><td>{{t.hello}}</td></tr>{{/rows}}</table>",
        "{{.}}|{{#o}}{{.}}{{/o}}|{{#yes}}{{s}}{{/yes}}",
        "{{>part}} and {{s}}",         // a partial: kainjow renders the template
        "{{=<% %>=}}<% s %> changed",  // a delimiter change: kainjow renders the template
        "{{#fn}}x{{/fn}}|{{fn}}|{{s}}",
    };
    I18n i18n;
    i18n.add("id", "hello", "Halo <dunia> & 'semua'");
    i18n.finish();
    Views views(i18n, SiteInfo{"Kabupaten Uji", "Uji", "uji.go.id"});
    Data page = sample_page();
    put(page, "part", Data(std::string("[partial {{s}}]")));
    for (std::size_t i = 0; i < templates.size(); ++i) {
        const std::string name = "case" + std::to_string(i);
        views.add_template(name, templates[i]);
        EXPECT_EQ(views.render(name, page, "id"), kainjow_render(templates[i], i18n.template_data("id"), page))
            << "template " << i << ": " << templates[i];
    }
    // Data holding a lambda: kainjow renders the page.
    Data with_lambda = sample_page();
    put(with_lambda, "fn", Data(kainjow::mustache::lambda{[](const std::string& text) { return "<" + text + ">"; }}));
    const std::string& last = templates.back();
    EXPECT_EQ(views.render("case" + std::to_string(templates.size() - 1), with_lambda, "id"),
              kainjow_render(last, i18n.template_data("id"), with_lambda));
    EXPECT_NE(views.render("case5", page, "id").find("row 1 &lt;1&gt;:a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;:f"),
              std::string::npos);
}

// Random templates over random data (a fixed seed): the compiled renderer and kainjow agree.
TEST(ViewsRender, RandomTemplatesRenderLikeKainjow) {
    std::mt19937 rng(20261203);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::vector<std::string> names = {"a", "b", "c", "l", "o", "o.a", "missing", "t.hello", "."};
    const std::vector<std::string> texts = {"x", " ", "\t", "\n", "\r\n", "  ", "<&>\"'", "word ", "\n  "};
    std::function<std::string(int)> gen = [&](int depth) {
        std::string out;
        const int n = 1 + pick(6);
        for (int i = 0; i < n; ++i) {
            const std::string& name = names[static_cast<std::size_t>(pick(static_cast<int>(names.size())))];
            switch (pick(depth < 3 ? 7 : 4)) {
                case 0:
                case 1: out += texts[static_cast<std::size_t>(pick(static_cast<int>(texts.size())))]; break;
                case 2: out += pick(2) ? "{{" + name + "}}" : "{{{" + name + "}}}"; break;
                case 3: out += "{{! note }}"; break;
                default: {
                    if (name == ".") break;
                    const std::string open = pick(2) ? "#" : "^";
                    const std::string pad = pick(3) == 0 ? "\n" : "";
                    out += "{{" + open + name + "}}" + pad + gen(depth + 1) + pad + "{{/" + name + "}}";
                }
            }
        }
        return out;
    };
    std::function<Data(int)> value = [&](int depth) -> Data {
        switch (pick(depth < 2 ? 7 : 4)) {
            case 0: return Data(std::string(pick(2) ? "v<" : "w'&") + std::to_string(pick(100)));
            case 1: return Data(true);
            case 2: return Data(false);
            case 3: return list();
            case 4: {
                Data l = list();
                for (int i = 0, n = 1 + pick(3); i < n; ++i) push(l, value(depth + 1));
                return l;
            }
            default: {
                Data o = object();
                for (const char* k : {"a", "b", "c", "l", "o"})
                    if (pick(2)) put(o, k, value(depth + 1));
                return o;
            }
        }
    };
    I18n i18n;
    i18n.add("id", "hello", "Halo & <b>");
    i18n.finish();
    Views views(i18n, SiteInfo{"Kabupaten Uji", "Uji", "uji.go.id"});
    int nonempty = 0;
    for (int round = 0; round < 400; ++round) {
        const std::string tmpl = gen(0);
        Data page = object();
        for (const char* k : {"a", "b", "c", "l", "o"})
            if (pick(4)) put(page, k, value(0));
        const std::string name = "r" + std::to_string(round);
        views.add_template(name, tmpl);
        const std::string expected = kainjow_render(tmpl, i18n.template_data("id"), page);
        if (!expected.empty()) ++nonempty;
        ASSERT_EQ(views.render(name, page, "id"), expected) << "template: " << tmpl;
    }
    EXPECT_GT(nonempty, 300);
}


// A Table renders as the list of objects holding its rows' cells would (a text cell a string, a
// flag true, a cell left out no key), built here without Table::to_data: random templates over
// random pages and tables, rendered by Views (compiled) and by kainjow over the equivalent Data.
TEST(ViewsRender, TablesRenderLikeTheListOfObjectsTheyStandFor) {
    std::mt19937 rng(20261204);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::vector<std::string> names = {"a", "b", "x", "T", "U", "T.a", "a.b", "missing", "t.hello", "."};
    const std::vector<std::string> texts = {"x", " ", "\n", "  ", "<&>\"'", "\n  "};
    std::function<std::string(int)> gen = [&](int depth) {
        std::string out;
        const int n = 1 + pick(6);
        for (int i = 0; i < n; ++i) {
            const std::string& name = names[static_cast<std::size_t>(pick(static_cast<int>(names.size())))];
            switch (pick(depth < 3 ? 6 : 3)) {
                case 0: out += texts[static_cast<std::size_t>(pick(static_cast<int>(texts.size())))]; break;
                case 1:
                case 2: out += pick(2) ? "{{" + name + "}}" : "{{{" + name + "}}}"; break;
                default: {
                    const std::string open = pick(3) ? "#" : "^";
                    const std::string pad = pick(3) == 0 ? "\n" : "";
                    out += "{{" + open + name + "}}" + pad + gen(depth + 1) + pad + "{{/" + name + "}}";
                }
            }
        }
        return out;
    };
    auto random_table = [&](Table& table, Data& equivalent) {
        const std::size_t rows = static_cast<std::size_t>(pick(4));
        equivalent = list(rows);
        table.reserve(rows);
        for (std::size_t r = 0; r < rows; ++r) {
            table.add_row();
            Data o = object();
            for (const std::string& c : table.columns()) {
                switch (pick(3)) {
                    case 0: break;
                    case 1: {
                        const std::string v = pick(2) ? "<" + c + std::to_string(r) + "&" : std::string();
                        table.text(table.column(c), v);
                        put(o, c, Data(v));
                        break;
                    }
                    default:
                        table.flag(table.column(c));
                        put(o, c, Data(true));
                }
            }
            push(equivalent, std::move(o));
        }
    };
    I18n i18n;
    i18n.add("id", "hello", "Halo & <b>");
    i18n.finish();
    Views views(i18n, SiteInfo{"Kabupaten Uji", "Uji", "uji.go.id"});
    int nonempty = 0;
    for (int round = 0; round < 600; ++round) {
        const std::string tmpl = gen(0);
        Table t({"a", "b", "x"});
        Table u({"b"});
        Data t_data, u_data;
        random_table(t, t_data);
        random_table(u, u_data);
        Data page = object();
        if (pick(2)) put(page, "a", Data(std::string("page a")));
        if (pick(2)) put(page, "b", Data(pick(2) == 0));
        if (pick(3) == 0) put(page, "T", Data(std::string("shadowed by the table")));
        Data expected_page = page;
        put(expected_page, "T", std::move(t_data));
        put(expected_page, "U", std::move(u_data));
        const std::string name = "t" + std::to_string(round);
        views.add_template(name, tmpl);
        const std::string expected = kainjow_render(tmpl, i18n.template_data("id"), expected_page);
        if (!expected.empty()) ++nonempty;
        ASSERT_EQ(views.render(name, page, "id", {{"T", &t}, {"U", &u}}), expected) << "template: " << tmpl;
    }
    EXPECT_GT(nonempty, 450);
    // A template kainjow renders (a partial) gets the tables as lists too.
    Table t({"a"});
    t.add_row();
    t.text(0, "<1>");
    t.add_row();
    t.flag(0);
    views.add_template("with_partial", "{{>p}}{{#T}}[{{a}}]{{/T}}");
    EXPECT_EQ(views.render("with_partial", object(), "id", {{"T", &t}}), "[&lt;1&gt;][]");
}

TEST(ViewsData, TableRefusesBadColumnsAndCellsBeforeARow) {
    EXPECT_THROW(Table({"a", "a"}), std::invalid_argument);
    EXPECT_THROW(Table({""}), std::invalid_argument);
    EXPECT_THROW(Table({"a.b"}), std::invalid_argument);
    EXPECT_THROW(Table({"."}), std::invalid_argument);
    Table t({"a", "b"});
    EXPECT_THROW(t.text(0, "x"), std::logic_error);
    EXPECT_THROW(t.column("c"), std::out_of_range);
    t.add_row();
    EXPECT_THROW(t.flag(2), std::out_of_range);
    t.text(t.column("b"), "y");
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.cell(0, "a")->kind, Table::Cell::Kind::none);
    EXPECT_EQ(t.cell(0, "b")->text, "y");
    EXPECT_EQ(t.cell(0, "c"), nullptr);
    const Data d = t.to_data();
    ASSERT_TRUE(d.is_list());
    ASSERT_EQ(d.list_value().size(), 1u);
    EXPECT_EQ(d.list_value()[0].get("a"), nullptr);
    EXPECT_EQ(d.list_value()[0].get("b")->string_value(), "y");
}

}  // namespace
}  // namespace gapura::core::web
