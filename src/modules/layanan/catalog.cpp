#include "modules/layanan/catalog.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/util/strings.hpp"

namespace gapura::modules::layanan {

namespace json = boost::json;

namespace {
std::string str(const json::object& o, const char* key, const std::string& def = "") {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return def;
    if (!it->value().is_string()) throw std::runtime_error(std::string(key) + " must be a string");
    return std::string(it->value().as_string());
}

bool boolean(const json::object& o, const char* key, bool def) {
    auto it = o.find(key);
    if (it == o.end()) return def;
    if (!it->value().is_bool()) throw std::runtime_error(std::string(key) + " must be true or false");
    return it->value().as_bool();
}

SlaTarget parse_target(const std::string& t) {
    if (t.size() < 2 || (t.back() != 'd' && t.back() != 'h')) throw std::runtime_error("bad SLA target '" + t + "'");
    auto n = util::parse_double(std::string_view(t).substr(0, t.size() - 1));
    if (!n || *n <= 0 || *n > 1000) throw std::runtime_error("bad SLA target '" + t + "'");
    return SlaTarget{*n, t.back() == 'd'};
}

SlaPolicy parse_sla(const json::value& v) {
    SlaPolicy p;
    const auto& o = v.as_object();
    for (const char* part : {"respond", "resolve"}) {
        auto it = o.find(part);
        if (it == o.end() || !it->value().is_object()) throw std::runtime_error(std::string("sla needs ") + part);
        auto& target = std::string(part) == "respond" ? p.respond : p.resolve;
        for (const auto& pr : priorities()) {
            auto jt = it->value().as_object().find(pr);
            if (jt == it->value().as_object().end() || !jt->value().is_string())
                throw std::runtime_error(std::string("sla.") + part + " needs priority " + pr);
            target[pr] = parse_target(std::string(jt->value().as_string()));
        }
    }
    return p;
}
}  // namespace

Catalog Catalog::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open service catalog");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

Catalog Catalog::parse(const std::string& text, const std::string& origin) {
    Catalog cat;
    std::string where = origin;
    try {
        auto root = json::parse(text).as_object();
        if (auto it = root.find("escalation_offsets_hours"); it != root.end()) {
            cat.offsets_.clear();
            for (const auto& v : it->value().as_array()) {
                auto h = v.to_number<int>();
                if (h < 0 || h > 200) throw std::runtime_error("escalation offset out of range");
                cat.offsets_.push_back(h);
            }
            std::sort(cat.offsets_.rbegin(), cat.offsets_.rend());
        }
        const auto& defaults = root.at("default_sla").as_object();
        const SlaPolicy public_default = parse_sla(defaults.at("public"));
        const SlaPolicy internal_default = parse_sla(defaults.at("internal"));
        std::set<std::string> codes;
        for (const auto& sv : root.at("services").as_array()) {
            const auto& o = sv.as_object();
            Service s;
            s.code = str(o, "code");
            where = origin + ": service '" + s.code + "'";
            if (s.code.empty() || s.code.size() > 60 ||
                s.code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
                throw std::runtime_error("service code must be [a-z0-9-]+");
            if (!codes.insert(s.code).second) throw std::runtime_error("duplicate service code");
            s.name = str(o, "name");
            s.name_en = str(o, "name_en", s.name);
            s.description = str(o, "description");
            s.description_en = str(o, "description_en", s.description);
            s.group = str(o, "group");
            s.group_en = str(o, "group_en", s.group);
            s.keywords = str(o, "keywords");
            s.opd_slug = str(o, "opd");
            s.type = str(o, "type", "realtime");
            if (s.type != "realtime" && s.type != "batch" && s.type != "blackbox") throw std::runtime_error("bad type");
            s.is_public = boolean(o, "public", true);
            if (s.name.empty() || s.opd_slug.empty()) throw std::runtime_error("name and opd are required");
            s.sla = o.contains("sla") ? parse_sla(o.at("sla")) : (s.is_public ? public_default : internal_default);
            std::set<int> orders;
            std::set<std::string> acodes;
            if (auto it = o.find("attributes"); it != o.end()) {
                for (const auto& av : it->value().as_array()) {
                    const auto& ao = av.as_object();
                    Attribute a;
                    a.code = str(ao, "code");
                    a.datatype = str(ao, "datatype");
                    a.description = str(ao, "description");
                    a.datatype_description = str(ao, "datatype_description");
                    a.description_en = str(ao, "description_en", a.description);
                    a.datatype_description_en = str(ao, "datatype_description_en", a.datatype_description);
                    a.required = boolean(ao, "required", false);
                    a.variable = boolean(ao, "variable", true);
                    a.order = ao.at("order").to_number<int>();
                    static const std::set<std::string> types{"string", "number", "datetime", "text", "singlevaluelist",
                                                             "multivaluelist"};
                    if (!types.count(a.datatype)) throw std::runtime_error("attribute " + a.code + ": unknown datatype");
                    if (a.code.empty() || a.code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
                        throw std::runtime_error("attribute code must be [a-z0-9_]+");
                    if (a.order < 1 || !orders.insert(a.order).second || !acodes.insert(a.code).second)
                        throw std::runtime_error("attribute " + a.code + ": order must be a unique positive number");
                    if (auto vt = ao.find("values"); vt != ao.end())
                        for (const auto& vv : vt->value().as_array()) {
                            const auto& vo = vv.as_object();
                            AttributeValue value{str(vo, "key"), str(vo, "name"), ""};
                            value.name_en = str(vo, "name_en", value.name);
                            a.values.push_back(std::move(value));
                        }
                    const bool list = a.datatype == "singlevaluelist" || a.datatype == "multivaluelist";
                    if (list != !a.values.empty()) throw std::runtime_error("attribute " + a.code + ": values only (and always) for lists");
                    s.attributes.push_back(std::move(a));
                }
            }
            std::sort(s.attributes.begin(), s.attributes.end(), [](const auto& x, const auto& y) { return x.order < y.order; });
            cat.services_.push_back(std::move(s));
        }
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(where + ": " + e.what());
    } catch (const std::exception& e) {
        throw std::runtime_error(where + ": " + e.what());
    }
    return cat;
}

std::vector<std::string> Catalog::route_unknown_opds(const std::vector<std::string>& known, const std::string& fallback) {
    std::vector<std::string> moved;
    for (auto& s : services_)
        if (std::find(known.begin(), known.end(), s.opd_slug) == known.end()) {
            s.opd_slug = fallback;
            moved.push_back(s.code);
        }
    return moved;
}

const Service* Catalog::find(const std::string& code) const {
    for (const auto& s : services_)
        if (s.code == code) return &s;
    return nullptr;
}

}  // namespace gapura::modules::layanan
