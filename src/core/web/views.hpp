// Views: Mustache templates (escaping on by default) rendered inside the site layout, with the
// message catalog of the request's language available as {{t.key}}. Raw HTML output happens
// only where the layout inserts the rendered page body ({{{body}}}). Also renders errors: JSON
// for API routes, a friendly page in the user's language otherwise.
//
// Threads: templates are loaded at start and then read-only; parsed templates are cached per
// thread, so render() may run on any number of threads at once.
#pragma once

#include <kainjow/mustache.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/context.hpp"
#include "core/util/result.hpp"
#include "core/web/i18n.hpp"

namespace gapura::core::web {

using Data = kainjow::mustache::data;
inline Data object() { return Data{Data::type::object}; }
inline Data list() { return Data{Data::type::list}; }

struct NavItem {
    std::string href;
    std::string label_key;
    int order = 100;
};

struct SiteInfo {
    std::string name;        // "Kabupaten Tuban"
    std::string short_name;  // "Tuban"
    std::string domain;      // "tubankab.go.id"
};

class Views {
public:
    Views(const I18n& i18n, SiteInfo site);

    // Loads every *.mustache below dir as prefix + relative path without extension
    // ("pages/home" or "usulan/list"). Throws std::runtime_error on a template that fails to parse.
    void load_dir(const std::string& dir, const std::string& prefix = "");
    void add_template(const std::string& name, std::string source);
    bool has(const std::string& name) const { return sources_.count(name) > 0; }
    void add_nav(NavItem item);

    std::string render(std::string_view name, const Data& page, std::string_view lang) const;
    // Renders a page inside the layout. `title` is already translated.
    http::Response page(http::RequestContext& ctx, std::string_view name, const Data& page, std::string_view title,
                        http::Status status = http::Status::ok) const;
    http::Response error(http::RequestContext& ctx, const Error& err) const;
    http::Response error(http::RequestContext& ctx, ErrorCode code, std::string_view message_key) const;
    // JSON error body: {"error":{"code","message","fields":[{"field","message"}],"request_id"}}.
    std::string error_json(std::string_view lang, const Error& err, std::string_view request_id) const;
    // A bare error page when no route or context exists (413, 431, 503 from the server).
    std::string plain_error_page(std::string_view lang, unsigned status, std::string_view message_key) const;

    const I18n& i18n() const { return i18n_; }
    const SiteInfo& site() const { return site_; }
    std::string t(std::string_view lang, std::string_view key) const { return i18n_.t(lang, key); }

private:
    Data layout_data(http::RequestContext& ctx, std::string_view title) const;

    const I18n& i18n_;
    SiteInfo site_;
    std::map<std::string, std::string> sources_;
    std::vector<NavItem> nav_;
    std::uint64_t instance_;
};

// Error code names used in JSON ("not_found", "unprocessable", ...).
std::string_view error_code_name(ErrorCode code);

}  // namespace gapura::core::web
