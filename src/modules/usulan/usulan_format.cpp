#include "modules/usulan/usulan_format.hpp"

#include <cmath>
#include <cstdio>

#include "core/util/clock.hpp"
#include "core/util/strings.hpp"

namespace gapura::modules::usulan::fmt {

std::string rupiah(std::int64_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v);
    std::string out;
    int n = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (n && n % 3 == 0) out.insert(out.begin(), '.');
        out.insert(out.begin(), *it);
        ++n;
    }
    return std::string(v < 0 ? "-Rp " : "Rp ") + out;
}

std::string number(double v, const std::string& lang) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    if (lang != "en")
        for (auto& ch : s)
            if (ch == '.') ch = ',';
    return s;
}

std::optional<double> parse_decimal(std::string_view in) {
    std::string s(util::trim(in));
    if (s.empty() || s.size() > 40) return std::nullopt;
    for (auto& ch : s)
        if (ch == ',') ch = '.';
    auto v = util::parse_double(s);
    if (!v || !std::isfinite(*v)) return std::nullopt;
    return v;
}

std::optional<double> parse_rupiah(std::string_view in) {
    std::string_view t = util::trim(in);
    if (t.size() > 40) return std::nullopt;
    std::string s;
    bool neg = false;
    if (!t.empty() && t.front() == '-') {
        neg = true;
        t.remove_prefix(1);
    }
    if (t.size() >= 2 && (t.substr(0, 2) == "Rp" || t.substr(0, 2) == "rp")) t.remove_prefix(2);
    for (char ch : t) {
        if (ch == '.' || ch == ' ') continue;
        if (ch == ',') ch = '.';
        if (!((ch >= '0' && ch <= '9') || ch == '.')) return std::nullopt;
        s += ch;
    }
    if (s.empty()) return std::nullopt;
    auto v = util::parse_double(s);
    if (!v || !std::isfinite(*v)) return std::nullopt;
    return neg ? -*v : *v;
}

std::optional<std::int64_t> parse_local_date(std::string_view s, int off, bool end_of_day) {
    if (s.size() != 10) return std::nullopt;
    std::int64_t t = 0;
    if (!parse_iso8601(std::string(s), t)) return std::nullopt;
    t -= static_cast<std::int64_t>(off) * 60;
    return end_of_day ? t + 86399 : t;
}

std::string local_date(std::int64_t t, int off) { return format_iso8601(t, off).substr(0, 10); }

std::string csv_text(std::string_view s) {
    std::string v(s);
    if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
        v.insert(v.begin(), '\'');
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char ch : v) {
        if (ch == '"') out += '"';
        out += ch;
    }
    return out + "\"";
}

}  // namespace gapura::modules::usulan::fmt
