#include "core/http/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/util/strings.hpp"

namespace gapura::core::http {

void Router::add(Method method, std::string pattern, Handler handler, RouteOptions options) {
    if (pattern.empty() || pattern[0] != '/') throw std::invalid_argument("route pattern must start with /: " + pattern);
    for (const auto& r : routes_) {
        if (r.method == method && r.pattern == pattern) throw std::invalid_argument("duplicate route " + pattern);
    }
    const std::size_t index = routes_.size();
    if (pattern.find('{') == std::string::npos) {
        routes_.push_back(Route{method, pattern, std::move(handler), options});
        exact_[pattern].push_back(index);
        return;
    }
    Compiled c{index, {}};
    auto parts = util::split(std::string_view(pattern).substr(1), '/');
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto p = parts[i];
        Segment s;
        auto open = p.find('{');
        if (open == std::string_view::npos) {
            s.prefix = std::string(p);
        } else {
            auto close = p.find('}', open);
            if (close == std::string_view::npos) throw std::invalid_argument("bad pattern " + pattern);
            s.prefix = std::string(p.substr(0, open));
            s.name = std::string(p.substr(open + 1, close - open - 1));
            s.suffix = std::string(p.substr(close + 1));
            if (!s.name.empty() && s.name[0] == '*') {
                if (i + 1 != parts.size() || !s.prefix.empty() || !s.suffix.empty())
                    throw std::invalid_argument("{*rest} must be the whole last segment: " + pattern);
                s.name = s.name.substr(1);
                s.rest = true;
            }
            if (s.name.empty() || s.suffix.find('{') != std::string::npos)
                throw std::invalid_argument("bad pattern " + pattern);
        }
        c.segments.push_back(std::move(s));
    }
    // Stored only once the pattern compiled: a bad pattern leaves the router unchanged.
    routes_.push_back(Route{method, pattern, std::move(handler), options});
    patterns_.push_back(std::move(c));
}

bool Router::match_segments(const std::vector<Segment>& segs, std::string_view path, PathParams* out) {
    if (path.empty() || path[0] != '/') return false;
    std::string_view rest = path.substr(1);
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const auto& s = segs[i];
        if (s.rest) {
            if (rest.empty()) return false;
            auto decoded = util::percent_decode(rest, false);
            if (!decoded || !util::valid_utf8(*decoded)) return false;
            if (out) out->emplace_back(s.name, std::move(*decoded));
            return true;
        }
        auto slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        if (slash == std::string_view::npos) {
            rest = {};
            if (i + 1 != segs.size()) return false;
        } else {
            rest = rest.substr(slash + 1);
            if (i + 1 == segs.size()) return false;
        }
        if (s.name.empty()) {
            if (seg != s.prefix) return false;
            continue;
        }
        if (seg.size() <= s.prefix.size() + s.suffix.size()) return false;
        if (seg.substr(0, s.prefix.size()) != s.prefix) return false;
        if (seg.substr(seg.size() - s.suffix.size()) != s.suffix) return false;
        auto value = seg.substr(s.prefix.size(), seg.size() - s.prefix.size() - s.suffix.size());
        auto decoded = util::percent_decode(value, false);
        if (!decoded || decoded->empty() || !util::valid_utf8(*decoded)) return false;
        if (out) out->emplace_back(s.name, std::move(*decoded));
    }
    return true;
}

RouteMatch Router::match(Method method, std::string_view path) const {
    RouteMatch m;
    const Method lookup = method == Method::head ? Method::get : method;
    if (auto it = exact_.find(std::string(path)); it != exact_.end()) {
        for (auto idx : it->second) {
            if (routes_[idx].method == lookup) {
                m.route = &routes_[idx];
                m.allowed.clear();
                return m;
            }
            m.allowed.push_back(routes_[idx].method);
        }
    }
    for (const auto& c : patterns_) {
        const Route& r = routes_[c.route_index];
        PathParams params;
        if (!match_segments(c.segments, path, &params)) continue;
        if (r.method == lookup) {
            m.route = &r;
            m.params = std::move(params);
            m.allowed.clear();
            return m;
        }
        if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
            m.allowed.push_back(r.method);
    }
    return m;
}

const RouteOptions* Router::options_for(Method method, std::string_view path) const {
    const Method lookup = method == Method::head ? Method::get : method;
    if (auto it = exact_.find(std::string(path)); it != exact_.end()) {
        for (auto idx : it->second) {
            if (routes_[idx].method == lookup) return &routes_[idx].options;
        }
    }
    for (const auto& c : patterns_) {
        const Route& r = routes_[c.route_index];
        if (r.method == lookup && match_segments(c.segments, path, nullptr)) return &r.options;
    }
    return nullptr;
}

std::string allow_header(const std::vector<Method>& methods) {
    std::vector<std::string> names;
    bool has_get = false;
    for (auto m : methods) {
        names.emplace_back(bhttp::to_string(m));
        if (m == Method::get) has_get = true;
    }
    if (has_get) names.emplace_back("HEAD");
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

}  // namespace gapura::core::http
