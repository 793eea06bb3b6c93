// Views: Mustache templates (escaping on by default) rendered inside the site layout, with the
// message catalog of the request's language available as {{t.key}}. Raw HTML output happens
// only where the layout inserts the rendered page body ({{{body}}}). Also renders errors: JSON
// for API routes, a friendly page in the user's language otherwise, or, for paths under a
// prefix a module registered an ErrorFormat for, that module's own error format (Open311's
// error lists); the prefixes are only looked at when an error is rendered.
//
// Threads: templates, navigation and error formats are added at start and then read-only;
// parsed templates are cached per thread, so render() and error() may run on any number of
// threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
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
// A list with room for `capacity` items. kainjow's Data has a move constructor that is not
// noexcept, so a std::vector of them that grows copies every item (and all under it): give a
// list of known length its capacity up front.
Data list(std::size_t capacity);
// kainjow's Data::set and Data::push_back copy their argument with everything under it (every
// string of every row of a list); these two move it in instead. For pages built per request.
// `obj` must be an object, `list` a list (std::logic_error otherwise).
void put(Data& obj, const std::string& key, Data&& value);
void push(Data& list, Data&& item);

// A list of rows with named columns, for list pages (a queue of 50 tickets). Each cell is a text,
// a true flag, or left out; a page of rows is one vector of cells, where a list of Data objects
// costs a hash map and a separately allocated value per cell (and as much again to free them).
// Passed to Views::render / Views::page by name next to the page's Data, a template reads it as a
// list of objects holding the row's cells: {{#tickets}}{{code}}{{#late}}!{{/late}}{{/tickets}}. A
// cell left out is looked up on the enclosing levels, as a missing key of an object would be; a
// table's name is looked up before the page's own keys.
class Table {
public:
    struct Cell {
        enum class Kind : std::uint8_t { none, text, flag };
        Kind kind = Kind::none;
        std::string text;
    };

    // Throws std::invalid_argument on an empty, dotted, "." or repeated column name.
    explicit Table(std::vector<std::string> columns);
    // A column's index, for text() and flag(); std::out_of_range for a name the table lacks.
    std::size_t column(std::string_view name) const;
    void reserve(std::size_t rows) { cells_.reserve(rows * columns_.size()); }
    void add_row();  // a new last row, every cell left out
    // Set a cell of the last row (std::logic_error with no row, std::out_of_range for a column).
    void text(std::size_t column, std::string value);
    void flag(std::size_t column);

    std::size_t size() const { return rows_; }
    bool empty() const { return rows_ == 0; }
    const std::vector<std::string>& columns() const { return columns_; }
    // The cell of `row` in the column named `name`; nullptr when there is no such column.
    const Cell* cell(std::size_t row, std::string_view name) const;
    // The same rows as a list of objects (a text cell a string, a flag true, a cell left out no
    // key): what kainjow renders when a template falls back to it.
    Data to_data() const;

private:
    Cell& last(std::size_t column);
    std::vector<std::string> columns_;
    std::vector<Cell> cells_;  // row by row
    std::size_t rows_ = 0;
};

struct NamedTable {
    std::string_view name;
    const Table* table;
};
using Tables = std::initializer_list<NamedTable>;

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

// An error to render in a module's own format: the core's refusals (unknown path, wrong method,
// body too large, malformed query or form, rejected token, busy database, a bug) and the
// errors handlers render through Views::error.
struct ErrorReport {
    const http::Request* req = nullptr;  // never null when a formatter is called
    std::string_view path;               // the request target's path as sent (no query)
    http::Status status = http::Status::bad_request;
    const Error& error;     // untranslated: message key and field errors
    std::string_view lang;  // the language the core picked for the request
    std::string_view request_id;
};
// Returns the complete answer (status, content type, body); the caller adds Retry-After, Allow
// and WWW-Authenticate where they apply, and the security headers. Must not throw.
using ErrorFormatter = std::function<http::Response(const ErrorReport&)>;
struct ErrorFormat {
    std::string prefix;  // e.g. "/open311/": every path starting with it
    ErrorFormatter render;
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
    // At start-up only. Throws std::invalid_argument on an empty prefix, one not starting with
    // '/', or one registered already. The longest matching prefix wins.
    void add_error_format(ErrorFormat format);
    // The formatter for `path`, or nullptr for the core's own format. Only called on errors.
    const ErrorFormatter* error_format_for(std::string_view path) const;

    std::string render(std::string_view name, const Data& page, std::string_view lang, Tables tables = {}) const;
    // Renders a page inside the layout. `title` is already translated.
    http::Response page(http::RequestContext& ctx, std::string_view name, const Data& page, std::string_view title,
                        http::Status status = http::Status::ok) const;
    // The same, with tables the page's template reads by name next to `page`.
    http::Response page(http::RequestContext& ctx, std::string_view name, const Data& page, Tables tables,
                        std::string_view title, http::Status status = http::Status::ok) const;
    http::Response error(http::RequestContext& ctx, const Error& err) const;
    http::Response error(http::RequestContext& ctx, ErrorCode code, std::string_view message_key) const;
    // With a status other than the code's own (405 for a bad_request "err_method").
    http::Response error(http::RequestContext& ctx, const Error& err, http::Status status) const;
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
    std::vector<ErrorFormat> error_formats_;  // longest prefix first
    std::uint64_t instance_;
};

// Error code names used in JSON ("not_found", "unprocessable", ...).
std::string_view error_code_name(ErrorCode code);

}  // namespace gapura::core::web
