// Test support: a whole App on a temporary SQLite file with Tuban's data (or another
// regency's), driven in process through the real request pipeline, with a cookie jar and
// CSRF handling like a browser. Used by route tests of the core and of every module.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <regex>
#include <string>

#include "app/app.hpp"
#include "core/http/body.hpp"
#include "core/http/pending.hpp"
#include "core/http/context.hpp"
#include "core/web/pipeline.hpp"

namespace gapura::testing {

inline std::string source_dir() {
    if (const char* s = std::getenv("GAPURA_SOURCE_DIR")) return s;
#ifdef GAPURA_SOURCE_DIR
    return GAPURA_SOURCE_DIR;
#else
    return ".";
#endif
}

inline std::string temp_dir(const std::string& tag) {
    std::random_device rd;
    auto dir = std::filesystem::temp_directory_path() / ("gapura-" + tag + "-" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    return dir.string();
}

inline Config test_config(const std::string& var_dir, const std::string& regency = "tuban") {
    const std::string src = source_dir();
    Config c;
    c.var_dir = var_dir;
    c.database = "sqlite://" + var_dir + "/test.db";
    c.regency_dir = src + "/data/regencies/" + regency;
    c.area_data_dir = src + "/node_modules/idn-area-data/data";
    c.holidays_file = src + "/data/holidays/indonesia.csv";
    c.web_dir = src + "/web";
    c.modules_dir = src + "/src/modules";
    c.node_modules_dir = src + "/node_modules";
    c.password_cost = "min";
    c.log_level = "off";
    c.access_log = "off";
    return c;
}

struct Reply {
    unsigned status = 0;
    bool fast = false;  // answered by the route's fast handler (a cache hit)
    bool pending = false;  // the answer came later (a durable write finished elsewhere)
    std::string body;
    core::http::Response raw;
    std::string header(core::http::bhttp::field f) const {
        auto it = raw.find(f);
        return it == raw.end() ? std::string() : std::string(it->value());
    }
    std::string header(const std::string& name) const {
        auto it = raw.find(name);
        return it == raw.end() ? std::string() : std::string(it->value());
    }
};

// A browser-like client against an in-process App.
class Client {
public:
    explicit Client(App& app, std::string ip = "203.0.113.7") : app_(app), ip_(std::move(ip)) {}

    Reply request(core::http::Method method, const std::string& target, const std::string& body = "",
                  const std::string& content_type = "", std::map<std::string, std::string> headers = {}) {
        core::http::Request req{method, target, 11};
        req.set(core::http::bhttp::field::host, "127.0.0.1");
        std::string cookie;
        for (const auto& [k, v] : jar_) cookie += (cookie.empty() ? "" : "; ") + k + "=" + v;
        if (!cookie.empty()) req.set(core::http::bhttp::field::cookie, cookie);
        if (!content_type.empty()) req.set(core::http::bhttp::field::content_type, content_type);
        for (const auto& [k, v] : headers) req.set(k, v);
        req.body() = body;
        req.prepare_payload();
        Reply r;
        // As the server does: a blocking route's fast handler first (on the I/O thread there).
        auto& pipeline = app_.pipeline();
        const core::web::ClientInfo client{ip_};
        const auto* opts = pipeline.route_options(req);
        std::optional<core::http::Response> fast;
        if (!pipeline.can_run_inline(req, opts)) fast = pipeline.try_fast(req, client, opts);
        r.fast = fast.has_value();
        r.raw = fast ? std::move(*fast) : pipeline.handle(req, client);
        r.pending = r.raw.pending != nullptr;
        if (r.raw.pending) r.raw = r.raw.pending->wait();  // the server parks the connection instead
        r.status = r.raw.result_int();
        r.body = core::http::drain_body(r.raw);  // a streamed body (BodySource) is run to its end
        for (auto it = r.raw.find(core::http::bhttp::field::set_cookie); it != r.raw.end() && it->name() == core::http::bhttp::field::set_cookie; ++it) {
            std::string c(it->value());
            auto eq = c.find('=');
            auto semi = c.find(';');
            std::string name = c.substr(0, eq), value = c.substr(eq + 1, semi - eq - 1);
            if (c.find("Max-Age=0") != std::string::npos || value.empty()) jar_.erase(name);
            else jar_[name] = value;
        }
        return r;
    }
    Reply get(const std::string& target, std::map<std::string, std::string> headers = {}) {
        return request(core::http::Method::get, target, "", "", std::move(headers));
    }
    // Fetches `page` to obtain a CSRF token, then posts the form with it.
    Reply post_form(const std::string& page, const std::string& action, std::string fields) {
        auto form = get(page);
        std::smatch m;
        static const std::regex re("name=\"_csrf\" value=\"([^\"]+)\"");
        std::string token;
        if (std::regex_search(form.body, m, re)) token = m[1];
        if (!fields.empty()) fields += "&";
        fields += "_csrf=" + token;
        return request(core::http::Method::post, action, fields, "application/x-www-form-urlencoded");
    }
    Reply post_raw(const std::string& action, const std::string& fields) {
        return request(core::http::Method::post, action, fields, "application/x-www-form-urlencoded");
    }
    Reply api(core::http::Method method, const std::string& target, const std::string& json, const std::string& token = "") {
        std::map<std::string, std::string> h;
        if (!token.empty()) h["Authorization"] = "Bearer " + token;
        return request(method, target, json, json.empty() ? "" : "application/json", h);
    }
    bool has_cookie(const std::string& name) const { return jar_.count(name) > 0; }
    void clear_cookies() { jar_.clear(); }
    std::map<std::string, std::string>& jar() { return jar_; }

private:
    App& app_;
    std::string ip_;
    std::map<std::string, std::string> jar_;
};

// An App on a fresh temp database, migrated and seeded (reference data + demo accounts).
struct TestApp {
    explicit TestApp(const std::string& regency = "tuban", bool demo = true)
        : dir(temp_dir("app")), clock(1798761600), app(test_config(dir, regency), &clock) {
        app.migrate();
        app.seed(demo);
    }
    ~TestApp() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    // Signs the client in as a demo user (password gapura-demo-2026).
    Reply sign_in(Client& c, const std::string& email, const std::string& password = "gapura-demo-2026") {
        return c.post_form("/masuk", "/masuk", "email=" + email + "&password=" + password);
    }
    std::string dir;
    FakeClock clock;
    App app;
};

}  // namespace gapura::testing
