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

// Parsed templates per thread: kainjow's renderer keeps state while rendering.
Mustache& cached(std::uint64_t instance, const std::string& name, const std::string& source) {
    thread_local std::unordered_map<std::string, std::unique_ptr<Mustache>> cache;
    thread_local std::uint64_t cache_instance = 0;
    if (cache_instance != instance) {
        cache.clear();
        cache_instance = instance;
    }
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, std::make_unique<Mustache>(source)).first;
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

std::string Views::render(std::string_view name, const Data& page, std::string_view lang) const {
    auto it = sources_.find(std::string(name));
    if (it == sources_.end()) throw std::logic_error("no template named " + std::string(name));
    Mustache& tmpl = cached(instance_, it->first, it->second);
    RenderContext ctx(&i18n_.template_data(lang));
    ctx.push(&page);
    StringSink sink;
    sink.out.reserve(8192);
    tmpl.render(ctx, sink);
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
    Data layout = layout_data(ctx, title);
    // A page may ask for <link> elements in the head: {"head_links": [{rel, type, href}]}.
    if (const Data* links = page.get("head_links"); links && links->is_list()) layout.set("head_links", *links);
    put(layout, "body", Data(render(name, page, ctx.lang)));
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
