#include "core/web/views.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "core/auth/principal.hpp"
#include "core/http/response.hpp"
#include "core/util/strings.hpp"

namespace gapura::core::web {

namespace {
std::atomic<std::uint64_t> g_instances{1};

using Mustache = kainjow::mustache::mustache;

// The lookup context of one render. kainjow's own context resolves a dotted name ({{t.key}}, every
// translated text of a page) by splitting it with a std::istringstream, about 1,800 instructions
// a lookup; this one splits in place, with the same rule: each context level, innermost first,
// is walked for the whole path, and the first level that has it wins.
class RenderContext final : public kainjow::mustache::basic_context<std::string> {
public:
    explicit RenderContext(const Data* root) { items_.push_back(root); }
    void push(const Data* data) override { items_.insert(items_.begin(), data); }
    void pop() override { items_.erase(items_.begin()); }

    const Data* get(const std::string& name) const override {
        if (name.size() == 1 && name[0] == '.') return items_.front();
        if (name.find('.') == std::string::npos) {
            for (const Data* item : items_)
                if (const Data* v = item->get(name)) return v;
            return nullptr;
        }
        std::size_t n = 0;
        for (std::size_t start = 0;;) {
            const std::size_t dot = name.find('.', start);
            if (n == parts_.size()) parts_.emplace_back();
            parts_[n++].assign(name, start, dot == std::string::npos ? std::string::npos : dot - start);
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
        for (const Data* item : items_) {
            const Data* v = item;
            for (std::size_t i = 0; i < n && v; ++i) v = v->get(parts_[i]);
            if (v) return v;
        }
        return nullptr;
    }

    const Data* get_partial(const std::string& name) const override {
        for (const Data* item : items_)
            if (const Data* v = item->get(name)) return v;
        return nullptr;
    }

private:
    std::vector<const Data*> items_;
    mutable std::vector<std::string> parts_;  // reused by every dotted lookup of this render
};

// kainjow renders into a stream; this one appends to a string (no std::ostringstream per page).
struct StringSink {
    std::string out;
    StringSink& operator<<(const std::string& piece) {
        out += piece;
        return *this;
    }
};

// A template compiled from kainjow's own parse into a tree of a few node kinds, rendered by
// Compiled::render with kainjow's rules (same output, byte for byte): kainjow walks one component
// per space and per text run through a std::function, escapes into a new string per variable and
// gathers each line in a buffer before copying it out; this walks merged text runs and writes
// into the page directly. Templates with partials or delimiter changes, and data holding lambdas
// or partials, are rendered by kainjow itself.
using Component = kainjow::mustache::component<std::string>;
using kainjow::mustache::tag_type;

struct Node {
    enum class Kind : std::uint8_t { text, newline, var, raw, section, inverted };
    Kind kind = Kind::text;
    std::string text;                // text, newline characters, or the tag's name
    std::vector<std::string> parts;  // a dotted name split at its dots, as RenderContext does
    bool dotted = false;
    std::vector<Node> children;
};

class Compiled {
public:
    explicit Compiled(const std::string& source) {
        kainjow::mustache::context<std::string> parse_ctx;
        kainjow::mustache::context_internal<std::string> internal{parse_ctx};
        Component root;
        std::string error;
        kainjow::mustache::parser<std::string>{source, internal, root, error};
        ok_ = error.empty() && compile(root.children, nodes_);
    }
    bool ok() const { return ok_; }

    // One level of the lookup stack: a Data, a row of a table, a text or flag cell a section
    // opened, or an empty table an inverted section opened. The page's level also holds the
    // tables passed with it.
    struct Level {
        enum class Kind : std::uint8_t { data, row, text, flag, empty_table };
        Kind kind = Kind::data;
        const Data* data = nullptr;
        const Table* table = nullptr;
        std::size_t row = 0;
        const std::string* text = nullptr;
        const NamedTable* tables = nullptr;
        std::size_t table_count = 0;
    };

    // Appends the page to `out`; false (and `out` partly written) when the data holds something
    // only kainjow renders (a lambda or a partial): the caller renders with kainjow instead.
    bool render(std::vector<Level>& levels, std::string& out) const {
        State st{levels, out, out.size(), false};
        if (!walk(nodes_, st)) return false;
        end_line(st, nullptr);
        return true;
    }

private:
    struct State {
        std::vector<Level>& levels;  // innermost last
        std::string& out;
        std::size_t line_start;  // kainjow's line buffer is out[line_start, end)
        bool line_had_section;
    };

    // What a name resolved to. `fallback`: something only kainjow renders (a lambda, a partial,
    // or "." naming a table's row or an empty table).
    struct Value {
        enum class Kind : std::uint8_t { none, data, text, flag, table, fallback };
        Kind kind = Kind::none;
        const Data* data = nullptr;
        const std::string* text = nullptr;
        const Table* table = nullptr;
        // "." naming the page's level: the page with its tables (pushed as such by a section).
        const NamedTable* tables = nullptr;
        std::size_t table_count = 0;
    };

    static bool compile(const std::vector<Component>& in, std::vector<Node>& out) {
        for (const Component& c : in) {
            if (c.is_text()) {
                if (c.is_newline()) {
                    out.push_back(Node{Node::Kind::newline, c.text, {}, false, {}});
                } else if (!out.empty() && out.back().kind == Node::Kind::text) {
                    out.back().text += c.text;
                } else {
                    out.push_back(Node{Node::Kind::text, c.text, {}, false, {}});
                }
                continue;
            }
            switch (c.tag.type) {
                case tag_type::variable:
                case tag_type::unescaped_variable: {
                    Node n{c.tag.type == tag_type::variable ? Node::Kind::var : Node::Kind::raw, c.tag.name, {}, false, {}};
                    name_parts(n);
                    out.push_back(std::move(n));
                    break;
                }
                case tag_type::section_begin:
                case tag_type::section_begin_inverted: {
                    Node n{c.tag.type == tag_type::section_begin ? Node::Kind::section : Node::Kind::inverted, c.tag.name, {},
                           false, {}};
                    name_parts(n);
                    if (!compile(c.children, n.children)) return false;
                    out.push_back(std::move(n));
                    break;
                }
                case tag_type::comment: break;
                default: return false;  // partials, delimiter changes: kainjow renders the template
            }
        }
        return true;
    }

    static void name_parts(Node& n) {
        if (n.text == "." || n.text.find('.') == std::string::npos) return;
        n.dotted = true;
        for (std::size_t start = 0;;) {
            const std::size_t dot = n.text.find('.', start);
            n.parts.emplace_back(n.text, start, dot == std::string::npos ? std::string::npos : dot - start);
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
    }

    static Value of(const Data* v) {
        if (!v) return {};
        if (v->is_lambda() || v->is_lambda2() || v->is_partial()) return Value{Value::Kind::fallback};
        return Value{Value::Kind::data, v};
    }

    // RenderContext::get's rule: each level, innermost first, is walked for the whole name. A
    // table's row is an object of its cells (a text, or a flag: nothing below either, so a dotted
    // name never resolves in a row); the tables sit on the page's level, before its keys.
    static Value lookup(const Node& n, const State& st) {
        const auto& levels = st.levels;
        if (n.text.size() == 1 && n.text[0] == '.') {
            const Level& l = levels.back();
            switch (l.kind) {
                case Level::Kind::data: {
                    Value v = of(l.data);
                    v.tables = l.tables;
                    v.table_count = l.table_count;
                    return v;
                }
                case Level::Kind::text: return Value{Value::Kind::text, nullptr, l.text};
                case Level::Kind::flag: return Value{Value::Kind::flag};
                default: return Value{Value::Kind::fallback};
            }
        }
        for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
            const Level& l = *it;
            if (l.kind == Level::Kind::row) {
                if (n.dotted) continue;
                const Table::Cell* c = l.table->cell(l.row, n.text);
                if (!c || c->kind == Table::Cell::Kind::none) continue;
                if (c->kind == Table::Cell::Kind::flag) return Value{Value::Kind::flag};
                return Value{Value::Kind::text, nullptr, &c->text};
            }
            if (l.kind != Level::Kind::data) continue;  // a text, a flag or a list has no keys
            if (!n.dotted) {
                for (std::size_t i = 0; i < l.table_count; ++i)
                    if (l.tables[i].name == n.text) return Value{Value::Kind::table, nullptr, nullptr, l.tables[i].table};
                if (const Data* v = l.data->get(n.text)) return of(v);
                continue;
            }
            // A table is a list: a dotted name through it resolves to nothing on this level.
            bool through_table = false;
            for (std::size_t i = 0; i < l.table_count; ++i)
                if (l.tables[i].name == n.parts[0]) through_table = true;
            if (through_table) continue;
            const Data* v = l.data;
            for (std::size_t i = 0; i < n.parts.size() && v; ++i) v = v->get(n.parts[i]);
            if (v) return of(v);
        }
        return {};
    }

    static void escape_into(std::string& out, const std::string& s) {
        std::size_t from = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const char* rep;
            switch (s[i]) {
                case '&': rep = "&amp;"; break;
                case '<': rep = "&lt;"; break;
                case '>': rep = "&gt;"; break;
                case '"': rep = "&quot;"; break;
                case '\'': rep = "&apos;"; break;
                default: continue;
            }
            out.append(s, from, i - from);
            out += rep;
            from = i + 1;
        }
        out.append(s, from, std::string::npos);
    }

    // kainjow's render_current_line: a line that held a section tag and is blank (spaces and tabs)
    // is dropped with its line break.
    static void end_line(State& st, const Node* newline) {
        bool blank = st.line_had_section;
        for (std::size_t i = st.line_start; blank && i < st.out.size(); ++i)
            if (st.out[i] != ' ' && st.out[i] != '\t') blank = false;
        if (blank) st.out.resize(st.line_start);
        else if (newline) st.out += newline->text;
        st.line_start = st.out.size();
        st.line_had_section = false;
    }

    static bool plain(const Data* v) { return !v->is_lambda() && !v->is_lambda2() && !v->is_partial(); }

    // The section's body once per item of a list or row of a table, else once with the value (if
    // any) as the innermost level.
    bool section(const Node& n, const Value& v, State& st) const {
        st.line_had_section = true;
        bool ok = true;
        if (v.kind == Value::Kind::data && v.data->is_non_empty_list()) {
            for (const Data& item : v.data->list_value()) {
                if (!plain(&item)) return false;
                st.line_had_section = true;
                st.levels.push_back(Level{Level::Kind::data, &item});
                ok = walk(n.children, st);
                st.levels.pop_back();
                st.line_had_section = true;
                if (!ok) return false;
            }
            return true;
        }
        if (v.kind == Value::Kind::table && !v.table->empty()) {
            for (std::size_t r = 0; r < v.table->size(); ++r) {
                st.line_had_section = true;
                st.levels.push_back(Level{Level::Kind::row, nullptr, v.table, r});
                ok = walk(n.children, st);
                st.levels.pop_back();
                st.line_had_section = true;
                if (!ok) return false;
            }
            return true;
        }
        bool pushed = true;
        switch (v.kind) {
            case Value::Kind::data:
                st.levels.push_back(Level{Level::Kind::data, v.data, nullptr, 0, nullptr, v.tables, v.table_count});
                break;
            case Value::Kind::text: st.levels.push_back(Level{Level::Kind::text, nullptr, nullptr, 0, v.text}); break;
            case Value::Kind::flag: st.levels.push_back(Level{Level::Kind::flag}); break;
            case Value::Kind::table: st.levels.push_back(Level{Level::Kind::empty_table}); break;
            default: pushed = false;
        }
        ok = walk(n.children, st);
        if (pushed) st.levels.pop_back();
        st.line_had_section = true;
        return ok;
    }

    bool walk(const std::vector<Node>& nodes, State& st) const {
        for (const Node& n : nodes) {
            switch (n.kind) {
                case Node::Kind::text: st.out += n.text; break;
                case Node::Kind::newline: end_line(st, &n); break;
                case Node::Kind::var:
                case Node::Kind::raw: {
                    const Value v = lookup(n, st);
                    if (v.kind == Value::Kind::fallback) return false;
                    const std::string* s = v.kind == Value::Kind::text                               ? v.text
                                           : v.kind == Value::Kind::data && v.data->is_string() ? &v.data->string_value()
                                                                                                     : nullptr;
                    if (s) {
                        if (n.kind == Node::Kind::var) escape_into(st.out, *s);
                        else st.out += *s;
                    }
                    break;
                }
                case Node::Kind::section: {
                    const Value v = lookup(n, st);
                    switch (v.kind) {
                        case Value::Kind::none: break;
                        case Value::Kind::fallback: return false;
                        case Value::Kind::data:
                            if (!v.data->is_false() && !v.data->is_empty_list() && !section(n, v, st)) return false;
                            break;
                        case Value::Kind::table:
                            if (!v.table->empty() && !section(n, v, st)) return false;
                            break;
                        default:
                            if (!section(n, v, st)) return false;
                    }
                    break;
                }
                case Node::Kind::inverted: {
                    const Value v = lookup(n, st);
                    bool falsy = false;
                    switch (v.kind) {
                        case Value::Kind::none: falsy = true; break;
                        case Value::Kind::fallback: return false;
                        case Value::Kind::data: falsy = v.data->is_false() || v.data->is_empty_list(); break;
                        case Value::Kind::table: falsy = v.table->empty(); break;
                        default: falsy = false;
                    }
                    if (falsy && !section(n, v, st)) return false;
                    break;
                }
            }
        }
        return true;
    }

    bool ok_ = false;
    std::vector<Node> nodes_;
};

struct Parsed {
    explicit Parsed(const std::string& source) : compiled(source), kainjow(source) {}
    Compiled compiled;
    Mustache kainjow;
    std::size_t last_size = 0;  // of this thread's last rendering: the next one reserves as much
};

// Parsed templates per thread: kainjow's renderer keeps state while rendering.
Parsed& cached(std::uint64_t instance, const std::string& name, const std::string& source) {
    thread_local std::unordered_map<std::string, std::unique_ptr<Parsed>> cache;
    thread_local std::uint64_t cache_instance = 0;
    if (cache_instance != instance) {
        cache.clear();
        cache_instance = instance;
    }
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, std::make_unique<Parsed>(source)).first;
    return *it->second;
}
}  // namespace

std::string_view error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::bad_request: return "bad_request";
        case ErrorCode::unauthorized: return "unauthorized";
        case ErrorCode::forbidden: return "forbidden";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::conflict: return "conflict";
        case ErrorCode::gone: return "gone";
        case ErrorCode::too_large: return "payload_too_large";
        case ErrorCode::unsupported: return "unsupported_media_type";
        case ErrorCode::unprocessable: return "unprocessable";
        case ErrorCode::rate_limited: return "rate_limited";
        case ErrorCode::unavailable: return "unavailable";
        case ErrorCode::internal: return "internal";
    }
    return "internal";
}

Views::Views(const I18n& i18n, SiteInfo site) : i18n_(i18n), site_(std::move(site)), instance_(g_instances++) {}

void Views::load_dir(const std::string& dir, const std::string& prefix) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir)) throw std::runtime_error("template folder not found: " + dir);
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file() || e.path().extension() != ".mustache") continue;
        std::ifstream in(e.path());
        std::stringstream ss;
        ss << in.rdbuf();
        auto rel = fs::relative(e.path(), dir);
        rel.replace_extension();
        add_template(prefix + rel.generic_string(), ss.str());
    }
}

void Views::add_template(const std::string& name, std::string source) {
    Mustache check(source);
    if (!check.is_valid()) throw std::runtime_error("template " + name + ": " + check.error_message());
    sources_[name] = std::move(source);
    instance_ = g_instances++;
}

void Views::add_error_format(ErrorFormat format) {
    if (format.prefix.empty() || format.prefix[0] != '/' || !format.render)
        throw std::invalid_argument("error format needs a prefix starting with '/' and a formatter");
    for (const auto& f : error_formats_)
        if (f.prefix == format.prefix) throw std::invalid_argument("error format registered twice for " + format.prefix);
    error_formats_.push_back(std::move(format));
    std::stable_sort(error_formats_.begin(), error_formats_.end(),
                     [](const auto& a, const auto& b) { return a.prefix.size() > b.prefix.size(); });
}

const ErrorFormatter* Views::error_format_for(std::string_view path) const {
    for (const auto& f : error_formats_)
        if (util::starts_with(path, f.prefix)) return &f.render;
    return nullptr;
}

void Views::add_nav(NavItem item) {
    nav_.push_back(std::move(item));
    std::stable_sort(nav_.begin(), nav_.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
}

Table::Table(std::vector<std::string> columns) : columns_(std::move(columns)) {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        const std::string& c = columns_[i];
        if (c.empty() || c == "." || c.find('.') != std::string::npos)
            throw std::invalid_argument("table column name must be a plain name: '" + c + "'");
        for (std::size_t j = 0; j < i; ++j)
            if (columns_[j] == c) throw std::invalid_argument("table column named twice: " + c);
    }
}

std::size_t Table::column(std::string_view name) const {
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (columns_[i] == name) return i;
    throw std::out_of_range("table has no column " + std::string(name));
}

void Table::add_row() {
    cells_.resize(cells_.size() + columns_.size());
    ++rows_;
}

Table::Cell& Table::last(std::size_t column) {
    if (rows_ == 0) throw std::logic_error("table cell set before add_row");
    if (column >= columns_.size()) throw std::out_of_range("table column index out of range");
    return cells_[(rows_ - 1) * columns_.size() + column];
}

void Table::text(std::size_t column, std::string value) {
    Cell& c = last(column);
    c.kind = Cell::Kind::text;
    c.text = std::move(value);
}

void Table::flag(std::size_t column) {
    Cell& c = last(column);
    c.kind = Cell::Kind::flag;
    c.text.clear();
}

const Table::Cell* Table::cell(std::size_t row, std::string_view name) const {
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (columns_[i] == name) return &cells_[row * columns_.size() + i];
    return nullptr;
}

Data Table::to_data() const {
    Data l = list(rows_);
    for (std::size_t r = 0; r < rows_; ++r) {
        Data o = object();
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            const Cell& c = cells_[r * columns_.size() + i];
            if (c.kind == Cell::Kind::text) put(o, columns_[i], Data(c.text));
            else if (c.kind == Cell::Kind::flag) put(o, columns_[i], Data(true));
        }
        push(l, std::move(o));
    }
    return l;
}

void put(Data& obj, const std::string& key, Data&& value) {
    if (!obj.is_object()) throw std::logic_error("web::put on a Data that is not an object");
    obj[key] = std::move(value);
}

Data list(std::size_t capacity) {
    Data d{Data::type::list};
    const_cast<kainjow::mustache::basic_list<std::string>&>(d.list_value()).reserve(capacity);
    return d;
}

void push(Data& list, Data&& item) {
    if (!list.is_list()) throw std::logic_error("web::push on a Data that is not a list");
    // list_value() is the only accessor kainjow offers; the vector it refers to is owned by `list`
    // and was never declared const, so appending through it is well-defined.
    const_cast<kainjow::mustache::basic_list<std::string>&>(list.list_value()).push_back(std::move(item));
}

std::string Views::render(std::string_view name, const Data& page, std::string_view lang, Tables tables) const {
    auto it = sources_.find(std::string(name));
    if (it == sources_.end()) throw std::logic_error("no template named " + std::string(name));
    Parsed& tmpl = cached(instance_, it->first, it->second);
    StringSink sink;
    // Room for a page like the last one, so a 20-40 KB list page is not copied as it grows.
    sink.out.reserve(std::max<std::size_t>(8192, tmpl.last_size + tmpl.last_size / 8));
    if (tmpl.compiled.ok()) {
        using Level = Compiled::Level;
        std::vector<Level> levels;
        levels.reserve(8);
        levels.push_back(Level{Level::Kind::data, &i18n_.template_data(lang)});
        levels.push_back(Level{Level::Kind::data, &page, nullptr, 0, nullptr, tables.begin(), tables.size()});
        if (tmpl.compiled.render(levels, sink.out)) {
            tmpl.last_size = sink.out.size();
            return std::move(sink.out);
        }
        sink.out.clear();
    }
    RenderContext ctx(&i18n_.template_data(lang));
    if (tables.size() == 0) {
        ctx.push(&page);
        tmpl.kainjow.render(ctx, sink);
        return std::move(sink.out);
    }
    // kainjow reads the tables as lists of objects, put into a copy of the page.
    Data with_tables = page;
    for (const NamedTable& t : tables) put(with_tables, std::string(t.name), t.table->to_data());
    ctx.push(&with_tables);
    tmpl.kainjow.render(ctx, sink);
    return std::move(sink.out);
}

Data Views::layout_data(http::RequestContext& ctx, std::string_view title) const {
    Data d = object();
    d.set("title", std::string(title));
    d.set("lang", ctx.lang);
    const std::string other = ctx.lang == "en" ? "id" : "en";
    d.set("other_lang", other);
    d.set("other_lang_label", i18n_.t(ctx.lang, other == "en" ? "lang_en" : "lang_id"));
    d.set("here", util::percent_encode(ctx.path));
    d.set("site_name", site_.name);
    d.set("site_short", site_.short_name);
    d.set("site_domain", site_.domain);
    Data nav = list();
    for (const auto& n : nav_) {
        Data item = object();
        item.set("href", n.href);
        item.set("label", i18n_.t(ctx.lang, n.label_key));
        bool current = n.href == "/" ? ctx.path == "/" : util::starts_with(ctx.path, n.href);
        item.set("current", current);
        push(nav, std::move(item));
    }
    put(d, "nav", std::move(nav));
    if (ctx.principal) {
        Data user = object();
        user.set("name", ctx.principal->display_name);
        user.set("role", std::string(auth::role_name(ctx.principal->role)));
        user.set("is_admin", ctx.principal->is_admin());
        user.set("is_staff", auth::is_staff(ctx.principal->role));
        d.set("user", user);
        d.set("csrf", ctx.csrf());
    }
    return d;
}

http::Response Views::page(http::RequestContext& ctx, std::string_view name, const Data& page, std::string_view title,
                           http::Status status) const {
    return this->page(ctx, name, page, Tables{}, title, status);
}

http::Response Views::page(http::RequestContext& ctx, std::string_view name, const Data& page, Tables tables,
                           std::string_view title, http::Status status) const {
    Data layout = layout_data(ctx, title);
    // A page may ask for <link> elements in the head: {"head_links": [{rel, type, href}]}.
    if (const Data* links = page.get("head_links"); links && links->is_list()) layout.set("head_links", *links);
    put(layout, "body", Data(render(name, page, ctx.lang, tables)));
    return http::html_response(status, render("layout", layout, ctx.lang));
}

std::string Views::error_json(std::string_view lang, const Error& err, std::string_view request_id) const {
    boost::json::object e;
    e["code"] = error_code_name(err.code);
    e["message"] = i18n_.t(lang, err.message_key.empty() ? "err_generic" : err.message_key);
    if (!err.fields.empty()) {
        boost::json::array fields;
        for (const auto& f : err.fields)
            fields.push_back(boost::json::object{{"field", f.field}, {"message", i18n_.t(lang, f.message_key)}});
        e["fields"] = std::move(fields);
    }
    if (!err.detail.empty()) e["detail"] = err.detail;
    e["request_id"] = request_id;
    return boost::json::serialize(boost::json::object{{"error", std::move(e)}});
}

http::Response Views::error(http::RequestContext& ctx, const Error& err) const {
    return error(ctx, err, http::status_for(err.code));
}

http::Response Views::error(http::RequestContext& ctx, const Error& err, http::Status status) const {
    http::Response res;
    std::string_view target(ctx.req.target().data(), ctx.req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (const ErrorFormatter* format = error_formats_.empty() ? nullptr : error_format_for(path)) {
        res = (*format)(ErrorReport{&ctx.req, path, status, err, ctx.lang, ctx.request_id});
    } else if (ctx.api) {
        res = http::json_response(status, error_json(ctx.lang, err, ctx.request_id));
    } else {
        Data page = object();
        page.set("status", std::to_string(static_cast<unsigned>(status)));
        page.set("message", i18n_.t(ctx.lang, err.message_key.empty() ? "err_generic" : err.message_key));
        Data fields = list();
        for (const auto& f : err.fields) {
            Data fd = object();
            fd.set("message", i18n_.t(ctx.lang, f.message_key));
            fields.push_back(fd);
        }
        page.set("fields", fields);
        page.set("request_id", ctx.request_id);
        res = this->page(ctx, "pages/error", page, i18n_.t(ctx.lang, "error_title"), status);
    }
    if (err.retry_after > 0) res.set(http::bhttp::field::retry_after, std::to_string(err.retry_after));
    return res;
}

http::Response Views::error(http::RequestContext& ctx, ErrorCode code, std::string_view key) const {
    return error(ctx, make_error(code, std::string(key)));
}

std::string Views::plain_error_page(std::string_view lang, unsigned status, std::string_view key) const {
    Data d = object();
    d.set("lang", std::string(lang));
    d.set("status", std::to_string(status));
    d.set("message", i18n_.t(lang, key));
    d.set("site_name", site_.name);
    return render("plain_error", d, lang);
}

}  // namespace gapura::core::web
