#include "core/region/regency.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/util/strings.hpp"

namespace gapura::core::region {

namespace json = boost::json;

namespace {

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
    throw RegencyError(where + ": " + problem);
}

std::string at_line(const std::string& origin, std::size_t line) {
    return origin + ":" + std::to_string(line);
}

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string join_path(const std::string& dir, const char* name) {
    return (std::filesystem::path(dir) / name).string();
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(path, "file not found");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot open file");
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (size < 0) fail(path, "cannot read file");
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), size)) fail(path, "cannot read file");
    return text;
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "NN.NN..." with the given number of digits per dot-separated segment.
bool code_shape(std::string_view s, std::initializer_list<std::size_t> widths) {
    std::size_t pos = 0, i = 0;
    for (std::size_t w : widths) {
        if (i++ > 0) {
            if (pos >= s.size() || s[pos] != '.') return false;
            ++pos;
        }
        if (s.size() < pos + w || !all_digits(s.substr(pos, w))) return false;
        pos += w;
    }
    return pos == s.size();
}

bool valid_slug(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// Lowercase ASCII letters and digits; every other run of bytes becomes one '-', none at the ends.
std::string slugify(std::string_view name) {
    std::string out;
    bool dash = false;
    for (char ch : name) {
        const char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && !out.empty()) out += '-';
            dash = false;
            out += c;
        } else {
            dash = true;
        }
    }
    return out;
}

// RFC 4180 reader over a text buffer, one record at a time, reusing the caller's strings so that
// scanning the ~84k rows of villages.csv allocates almost nothing.
class CsvReader {
  public:
    // `first_line` is the line number of the text's first line; a BOM is skipped when it is 1.
    CsvReader(std::string_view text, const std::string& origin, std::size_t first_line = 1)
        : s_(text), origin_(origin), line_(first_line) {
        if (first_line == 1 && s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    }

    // Reads the next record into `fields`; false at the end of the text. Empty lines are skipped.
    bool next(std::vector<std::string>& fields) {
        while (pos_ < s_.size()) {
            if (s_[pos_] == '\n') {
                ++pos_;
            } else if (crlf_at(pos_)) {
                pos_ += 2;
            } else {
                break;
            }
            ++line_;
        }
        if (pos_ >= s_.size()) return false;
        record_line_ = line_;
        std::size_t n = 0;
        for (;;) {
            if (n == fields.size()) fields.emplace_back();
            std::string& f = fields[n++];
            f.clear();
            if (pos_ < s_.size() && s_[pos_] == '"') {
                read_quoted(f);
            } else {
                const std::size_t start = pos_;
                while (pos_ < s_.size()) {
                    const char c = s_[pos_];
                    if (c == ',' || c == '\n' || crlf_at(pos_)) break;
                    if (c == '"') fail(at_line(origin_, line_), "quote inside an unquoted field");
                    ++pos_;
                }
                f.assign(s_.data() + start, pos_ - start);
            }
            if (pos_ >= s_.size()) break;
            if (s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            pos_ += s_[pos_] == '\n' ? 1 : 2;  // LF or CRLF
            ++line_;
            break;
        }
        fields.resize(n);
        return true;
    }

    // Skips the next record if it does not start with `prefix` (unquoted) and holds no quote;
    // returns true if it skipped one. Used to pass over other regencies' rows without copying their
    // fields.
    bool skip_unless(std::string_view prefix) {
        if (pos_ >= s_.size() || s_.compare(pos_, prefix.size(), prefix) == 0) return false;
        const std::size_t nl = s_.find('\n', pos_);
        const std::size_t end = nl == std::string_view::npos ? s_.size() : nl;
        if (s_.substr(pos_, end - pos_).find('"') != std::string_view::npos) return false;
        if (nl != std::string_view::npos && nl == pos_)
            return false;  // an empty line: next() skips it
        pos_ = nl == std::string_view::npos ? s_.size() : nl + 1;
        ++line_;
        return true;
    }

    std::size_t record_line() const { return record_line_; }
    std::size_t line() const { return line_; }

  private:
    bool crlf_at(std::size_t p) const {
        return s_[p] == '\r' && p + 1 < s_.size() && s_[p + 1] == '\n';
    }

    void read_quoted(std::string& f) {
        const std::size_t start_line = line_;
        ++pos_;
        for (;;) {
            const std::size_t q = s_.find('"', pos_);
            if (q == std::string_view::npos)
                fail(at_line(origin_, start_line), "unterminated quoted field");
            const std::string_view chunk = s_.substr(pos_, q - pos_);
            line_ += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
            f.append(chunk);
            pos_ = q + 1;
            if (pos_ < s_.size() && s_[pos_] == '"') {
                f += '"';
                ++pos_;
                continue;
            }
            break;
        }
        if (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '\n' && !crlf_at(pos_))
            fail(at_line(origin_, line_), "unexpected character after a closing quote");
    }

    std::string_view s_;
    const std::string& origin_;
    std::size_t pos_ = 0;
    std::size_t line_;
    std::size_t record_line_ = 1;
};

// Reads a CSV file with a header row and calls fn(fields, line) for every data row, with the
// fields of the named columns in the order given (views valid during the call). The header must
// hold every named column; other columns are ignored. With a `prefix`, only rows whose first named
// column starts with it are passed on; when that column comes first in the file, other rows are
// skipped without being split into fields.
//
// The file is read in blocks, cut after the last line break that is outside quotes (an even number
// of '"' so far), so that the 3 MB villages.csv never needs one large fresh buffer: faulting in new
// memory costs more than parsing here.
template <class Fn>
void for_each_row(const std::string& path, std::initializer_list<std::string_view> names, Fn&& fn,
                  std::string_view prefix = {}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(path, "file not found");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot open file");

    std::vector<std::string> fields;
    std::vector<std::size_t> index;
    std::size_t width = 0;
    std::vector<std::string_view> row(names.size());
    std::size_t line = 1;
    bool fast_skip = false;
    const auto parse = [&](std::string_view text) {
        CsvReader reader(text, path, line);
        if (index.empty()) {
            if (!reader.next(fields)) {
                line = reader.line();
                return;
            }
            for (std::string_view name : names) {
                const auto it = std::find(fields.begin(), fields.end(), name);
                if (it == fields.end())
                    fail(at_line(path, reader.record_line()), "missing column " + in_quotes(name));
                index.push_back(static_cast<std::size_t>(it - fields.begin()));
            }
            width = fields.size();
            fast_skip = !prefix.empty() && index[0] == 0;
        }
        for (;;) {
            if (fast_skip)
                while (reader.skip_unless(prefix)) {
                }
            if (!reader.next(fields)) break;
            if (fields.size() != width)
                fail(at_line(path, reader.record_line()), "expected " + std::to_string(width) +
                                                              " fields as in the header, found " +
                                                              std::to_string(fields.size()));
            for (std::size_t i = 0; i < index.size(); ++i) row[i] = fields[index[i]];
            if (!prefix.empty() && !row[0].starts_with(prefix)) continue;
            fn(row, reader.record_line());
        }
        line = reader.line();
    };

    constexpr std::size_t kBlock = 64 * 1024;
    std::string buf;
    buf.reserve(2 * kBlock);
    std::size_t scanned = 0, cut = 0;
    bool quoted = false;
    for (;;) {
        const std::size_t old = buf.size();
        buf.resize(old + kBlock);
        in.read(buf.data() + old, static_cast<std::streamsize>(kBlock));
        buf.resize(old + static_cast<std::size_t>(in.gcount()));
        if (buf.size() == old) break;
        const std::string_view view(buf);
        while (scanned < view.size()) {
            const std::size_t quote = view.find('"', scanned);
            const std::size_t stop = quote == std::string_view::npos ? view.size() : quote;
            if (!quoted) {
                const std::size_t nl = view.substr(scanned, stop - scanned).rfind('\n');
                if (nl != std::string_view::npos) cut = scanned + nl + 1;
            }
            if (quote == std::string_view::npos) {
                scanned = view.size();
            } else {
                quoted = !quoted;
                scanned = quote + 1;
            }
        }
        if (cut > 0) {
            parse(std::string_view(buf).substr(0, cut));
            buf.erase(0, cut);
            scanned -= cut;
            cut = 0;
        }
    }
    if (in.bad()) fail(path, "cannot read file");
    parse(buf);  // the last record if it has no line break, or an unterminated quote
    if (index.empty()) fail(path, "empty file (no header row)");
}

// ---- regency.json ----

struct JsonFile {
    std::string path;

    const json::value* find(const json::object& o, std::string_view key) const {
        const auto it = o.find(key);
        return it == o.end() || it->value().is_null() ? nullptr : &it->value();
    }
    const json::object* object(const json::object& o, std::string_view key, const std::string& name,
                               bool required) const {
        const json::value* v = find(o, key);
        if (!v) {
            if (required) fail(path, "missing " + in_quotes(name));
            return nullptr;
        }
        if (!v->is_object()) fail(path, in_quotes(name) + " must be an object");
        return &v->get_object();
    }
    std::string string(const json::object& o, std::string_view key, const std::string& name,
                       bool required) const {
        const json::value* v = find(o, key);
        if (!v) {
            if (required) fail(path, "missing " + in_quotes(name));
            return {};
        }
        if (!v->is_string()) fail(path, in_quotes(name) + " must be a string");
        std::string s(v->get_string());
        if (required && util::trim(s).empty()) fail(path, in_quotes(name) + " must not be empty");
        return s;
    }
    double number(const json::object& o, std::string_view key, const std::string& name) const {
        const json::value* v = find(o, key);
        if (!v) fail(path, "missing " + in_quotes(name));
        if (!v->is_number()) fail(path, in_quotes(name) + " must be a number");
        const double d = v->to_number<double>();
        if (!std::isfinite(d)) fail(path, in_quotes(name) + " must be a finite number");
        return d;
    }
    std::optional<std::int64_t> integer(const json::object& o, std::string_view key,
                                        const std::string& name, bool required) const {
        const json::value* v = find(o, key);
        if (!v) {
            if (required) fail(path, "missing " + in_quotes(name));
            return std::nullopt;
        }
        boost::system::error_code ec;
        const auto i = v->is_number() ? v->to_number<std::int64_t>(ec) : std::int64_t{0};
        if (!v->is_number() || ec) fail(path, in_quotes(name) + " must be an integer");
        return i;
    }
    LatLng point(const json::object& o, const std::string& name) const {
        return LatLng{number(o, "lat", name + ".lat"), number(o, "lng", name + ".lng")};
    }
};

json::object parse_json_file(const std::string& path) {
    const std::string text = read_file(path);
    json::stream_parser parser;
    boost::system::error_code ec;
    const std::size_t consumed = parser.write(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec) {
        const auto upto = std::min(consumed, text.size());
        const auto line =
            1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(upto), '\n');
        fail(at_line(path, static_cast<std::size_t>(line)), "invalid JSON: " + ec.message());
    }
    json::value v = parser.release();
    if (!v.is_object()) fail(path, "the top level must be a JSON object");
    return std::move(v.get_object());
}

// IANA zones of Indonesia and their fixed UTC offsets (no daylight saving).
std::optional<int> indonesian_offset(std::string_view tz) {
    if (tz == "Asia/Jakarta" || tz == "Asia/Pontianak") return 420;
    if (tz == "Asia/Makassar") return 480;
    if (tz == "Asia/Jayapura") return 540;
    return std::nullopt;
}

bool valid_point(const LatLng& p) {
    return p.lat >= -90 && p.lat <= 90 && p.lng >= -180 && p.lng <= 180;
}

std::string fmt_number(double d) {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, res.ptr);
}

std::string fmt_point(double lat, double lng) {
    return "(" + fmt_number(lat) + ", " + fmt_number(lng) + ")";
}

void load_regency_json(Regency& r, const std::string& path) {
    const JsonFile f{path};
    const json::object root = parse_json_file(path);

    r.code = f.string(root, "code", "code", true);
    if (!code_shape(r.code, {2, 2}))
        fail(path, "'code' must look like NN.NN (Kemendagri), got " + in_quotes(r.code));
    r.bps_code = f.string(root, "bps_code", "bps_code", false);
    if (!r.bps_code.empty() && !code_shape(r.bps_code, {4}))
        fail(path, "'bps_code' must be 4 digits, got " + in_quotes(r.bps_code));
    r.name = f.string(root, "name", "name", true);
    r.short_name = f.string(root, "short_name", "short_name", true);
    r.province = f.string(root, "province", "province", true);
    r.domain = f.string(root, "domain", "domain", true);
    r.timezone = f.string(root, "timezone", "timezone", true);
    const auto offset = indonesian_offset(r.timezone);
    if (!offset)
        fail(path,
             "'timezone' must be Asia/Jakarta, Asia/Pontianak, Asia/Makassar or Asia/Jayapura, "
             "got " +
                 in_quotes(r.timezone));
    r.utc_offset_minutes = static_cast<int>(
        f.integer(root, "utc_offset_minutes", "utc_offset_minutes", false).value_or(*offset));
    if (r.utc_offset_minutes != *offset)
        fail(path, "'utc_offset_minutes' " + std::to_string(r.utc_offset_minutes) +
                       " does not match " + r.timezone + " (" + std::to_string(*offset) + ")");

    const json::object& map = *f.object(root, "map", "map", true);
    r.center = f.point(*f.object(map, "center", "map.center", true), "map.center");
    const auto zoom = *f.integer(map, "zoom", "map.zoom", true);
    if (zoom < 0 || zoom > 22) fail(path, "'map.zoom' must be between 0 and 22");
    r.zoom = static_cast<int>(zoom);
    const json::object& b = *f.object(map, "bounds", "map.bounds", true);
    r.bounds =
        Bounds{f.number(b, "south", "map.bounds.south"), f.number(b, "west", "map.bounds.west"),
               f.number(b, "north", "map.bounds.north"), f.number(b, "east", "map.bounds.east")};
    if (!valid_point({r.bounds.south, r.bounds.west}) ||
        !valid_point({r.bounds.north, r.bounds.east}) || r.bounds.south >= r.bounds.north ||
        r.bounds.west >= r.bounds.east)
        fail(path,
             "'map.bounds' must have south < north and west < east, within -90..90 and -180..180");
    if (!r.bounds.contains(r.center.lat, r.center.lng))
        fail(path,
             "'map.center' " + fmt_point(r.center.lat, r.center.lng) + " is outside 'map.bounds'");
    if (const json::object* tc = f.object(map, "town_center", "map.town_center", false)) {
        r.town_center = f.point(*tc, "map.town_center");
        const auto tz = f.integer(*tc, "zoom", "map.town_center.zoom", false).value_or(14);
        if (tz < 0 || tz > 22) fail(path, "'map.town_center.zoom' must be between 0 and 22");
        r.town_zoom = static_cast<int>(tz);
        if (!r.bounds.contains(r.town_center.lat, r.town_center.lng))
            fail(path, "'map.town_center' " + fmt_point(r.town_center.lat, r.town_center.lng) +
                           " is outside 'map.bounds'");
    } else {
        r.town_center = r.center;
    }

    r.walidata_opd = f.string(root, "walidata_opd", "walidata_opd", true);
    r.planning_opd = f.string(root, "planning_opd", "planning_opd", true);

    if (const json::object* pop = f.object(root, "population", "population", false)) {
        r.population_total = *f.integer(*pop, "total", "population.total", true);
        if (r.population_total < 0) fail(path, "'population.total' must not be negative");
        const auto year = *f.integer(*pop, "year", "population.year", true);
        if (year < 1900 || year > 2200) fail(path, "'population.year' must be a year");
        r.population_year = static_cast<int>(year);
        r.population_source = f.string(*pop, "source", "population.source", false);
    }
}

// ---- kecamatan.csv, opd.csv, idn-area-data ----

void load_kecamatan(Regency& r, const std::string& path,
                    std::unordered_map<std::string, std::size_t>& lines) {
    for_each_row(
        path,
        {"kemendagri_code", "bps_code", "name", "lat", "lng", "population", "population_year"},
        [&](const std::vector<std::string_view>& f, std::size_t line) {
            const std::string where = at_line(path, line);
            Kecamatan k;
            k.code = std::string(f[0]);
            if (!code_shape(k.code, {2, 2, 2}) || !k.code.starts_with(r.code + "."))
                fail(where, "kecamatan code " + in_quotes(k.code) + " must look like " + r.code +
                                ".NN (the regency code in regency.json is " + r.code + ")");
            if (lines.count(k.code))
                fail(where, "duplicate kecamatan code " + in_quotes(k.code) + " (first on line " +
                                std::to_string(lines[k.code]) + ")");
            k.bps_code = std::string(f[1]);
            if (!k.bps_code.empty() &&
                (!code_shape(k.bps_code, {7}) ||
                 (!r.bps_code.empty() && !k.bps_code.starts_with(r.bps_code))))
                fail(where,
                     "bps_code " + in_quotes(k.bps_code) +
                         " must be empty or 7 digits starting with " +
                         (r.bps_code.empty() ? std::string("the regency's BPS code") : r.bps_code));
            k.name = std::string(util::trim(f[2]));
            if (k.name.empty()) fail(where, "empty kecamatan name");
            const auto lat = util::parse_double(f[3]), lng = util::parse_double(f[4]);
            if (!lat || !lng || !std::isfinite(*lat) || !std::isfinite(*lng))
                fail(where, "lat/lng of " + k.name + " must be decimal numbers, got " +
                                in_quotes(f[3]) + ", " + in_quotes(f[4]));
            k.lat = *lat;
            k.lng = *lng;
            if (!r.bounds.contains(k.lat, k.lng))
                fail(where, "the centre " + fmt_point(k.lat, k.lng) + " of " + k.name +
                                " is outside the map bounds in regency.json");
            const auto pop = util::parse_int(f[5]);
            if (!pop || *pop < 0)
                fail(where, "population of " + k.name + " must be a whole number >= 0, got " +
                                in_quotes(f[5]));
            k.population = *pop;
            const auto year = util::parse_int(f[6]);
            if (!year || *year < 1900 || *year > 2200)
                fail(where,
                     "population_year of " + k.name + " must be a year, got " + in_quotes(f[6]));
            k.population_year = static_cast<int>(*year);
            lines[k.code] = line;
            r.kecamatan.push_back(std::move(k));
        });
    if (r.kecamatan.empty()) fail(path, "no kecamatan listed");
    std::sort(r.kecamatan.begin(), r.kecamatan.end(),
              [](const auto& a, const auto& b) { return a.code < b.code; });
}

// Checks kecamatan.csv against districts.csv: the same codes, names equal but for case.
void check_districts(const Regency& r, const std::string& kec_path, const std::string& path,
                     const std::unordered_map<std::string, std::size_t>& kec_lines) {
    std::map<std::string, std::string> districts;  // code -> name
    for_each_row(
        path, {"code", "regency_code", "name"},
        [&](const std::vector<std::string_view>& f, std::size_t line) {
            if (f[1] != r.code)
                fail(at_line(path, line),
                     "district " + std::string(f[0]) + " has regency_code " + std::string(f[1]));
            districts.emplace(std::string(f[0]), std::string(f[2]));
        },
        r.code + ".");
    if (districts.empty())
        fail(path, "no kecamatan of regency " + r.code + " (is the code in regency.json right?)");
    for (const auto& k : r.kecamatan) {
        const std::string where = at_line(kec_path, kec_lines.at(k.code));
        const auto it = districts.find(k.code);
        if (it == districts.end())
            fail(where, "kecamatan " + k.code + " (" + k.name + ") is not in " + path +
                            " for regency " + r.code);
        if (!util::iequals(it->second, k.name))
            fail(where, "kecamatan " + k.code + " is named " + in_quotes(k.name) + " but " +
                            in_quotes(it->second) + " in " + path);
    }
    for (const auto& [code, name] : districts) {
        if (!r.find_kecamatan(code))
            fail(kec_path, "kecamatan " + code + " (" + name + ") of " + path + " is missing");
    }
}

void load_villages(Regency& r, const std::string& kec_path, const std::string& path) {
    const std::string prefix = r.code + ".";
    std::unordered_map<std::string, int> per_kecamatan;
    for (const auto& k : r.kecamatan) per_kecamatan.emplace(k.code, 0);
    r.villages.reserve(512);
    for_each_row(
        path, {"code", "district_code", "name"},
        [&](const std::vector<std::string_view>& f, std::size_t line) {
            const std::string_view code = f[0], district = f[1];
            const std::string where = at_line(path, line);
            const auto it = per_kecamatan.find(std::string(district));
            if (it == per_kecamatan.end())
                fail(where, "village " + std::string(code) + " names kecamatan " +
                                std::string(district) + ", which is not in " + kec_path);
            if (!code_shape(code, {2, 2, 2, 4}) || code.substr(0, district.size()) != district ||
                (code[district.size() + 1] != '1' && code[district.size() + 1] != '2'))
                fail(where, "village code " + in_quotes(code) + " must look like " +
                                std::string(district) + ".1NNN (kelurahan) or .2NNN (desa)");
            if (util::trim(f[2]).empty())
                fail(where, "village " + std::string(code) + " has no name");
            ++it->second;
            r.villages.push_back(Village{std::string(code), std::string(district),
                                         std::string(f[2]), code[district.size() + 1] == '1'});
        },
        prefix);
    std::sort(r.villages.begin(), r.villages.end(),
              [](const auto& a, const auto& b) { return a.code < b.code; });
    for (std::size_t i = 1; i < r.villages.size(); ++i)
        if (r.villages[i].code == r.villages[i - 1].code)
            fail(path, "duplicate village code " + r.villages[i].code);
    for (const auto& k : r.kecamatan)
        if (per_kecamatan[k.code] == 0)
            fail(kec_path,
                 "kecamatan " + k.code + " (" + k.name + ") has no desa/kelurahan in " + path);
}

// slug -> where it was defined, across opd.csv and the generated offices.
using SeenSlugs = std::unordered_map<std::string, std::string>;

void load_opds(Regency& r, const std::string& opd_path, const std::string& kec_path,
               const std::unordered_map<std::string, std::size_t>& kec_lines, SeenSlugs& seen) {
    static const std::unordered_set<std::string_view> kinds{"sekretariat", "inspektorat", "dinas",
                                                            "badan",       "satuan",      "rsud"};
    for_each_row(
        opd_path, {"slug", "abbreviation", "name", "kind"},
        [&](const std::vector<std::string_view>& f, std::size_t line) {
            const std::string where = at_line(opd_path, line);
            OpdDef o{std::string(f[0]), std::string(util::trim(f[1])),
                     std::string(util::trim(f[2])), std::string(f[3]), r.code};
            if (!valid_slug(o.slug))
                fail(where, "slug " + in_quotes(o.slug) + " must match [a-z0-9-]+");
            if (auto [it, fresh] = seen.emplace(o.slug, where); !fresh)
                fail(where,
                     "duplicate slug " + in_quotes(o.slug) + " (first at " + it->second + ")");
            if (o.abbreviation.empty() || o.name.empty())
                fail(where, "OPD " + o.slug + " needs an abbreviation and a name");
            if (!kinds.count(o.kind))
                fail(where,
                     "kind " + in_quotes(o.kind) +
                         " must be one of sekretariat, inspektorat, dinas, badan, satuan, rsud");
            r.opds.push_back(std::move(o));
        });
    for (const auto& k : r.kecamatan) {
        const std::string where = at_line(kec_path, kec_lines.at(k.code));
        OpdDef o{"kec-" + slugify(k.name), "Kec. " + k.name, "Kecamatan " + k.name, "kecamatan",
                 k.code};
        if (o.slug == "kec-")
            fail(where, "cannot make an OPD slug from the name " + in_quotes(k.name));
        if (auto [it, fresh] = seen.emplace(o.slug, where); !fresh)
            fail(where, "the OPD slug " + in_quotes(o.slug) + " of Kecamatan " + k.name +
                            " is already used at " + it->second);
        r.opds.push_back(std::move(o));
    }
}

// One office per desa/kelurahan (see Regency::village_offices). Village names repeat across
// kecamatan, so the slug carries the kecamatan's name too; a slug that is still taken (two
// villages of one kecamatan with names that slugify alike, or a row of opd.csv) is an error.
void make_village_offices(Regency& r, const std::string& villages_path, SeenSlugs& seen) {
    std::unordered_map<std::string_view, std::string> kec_slug;  // kecamatan code -> slug
    for (const auto& k : r.kecamatan) kec_slug.emplace(k.code, slugify(k.name));
    r.village_offices.reserve(r.villages.size());
    for (const auto& v : r.villages) {
        const std::string name = (v.kelurahan ? "Kelurahan " : "Desa ") + v.name;
        const std::string what = name + " (" + v.code + ")";
        const std::string name_slug = slugify(v.name);
        if (name_slug.empty())
            fail(villages_path, "cannot make an OPD slug from the name of " + what);
        OpdDef o{std::string(v.kelurahan ? "kel-" : "desa-") + kec_slug.at(v.district_code) + "-" +
                     name_slug,
                 (v.kelurahan ? "Kel. " : "Ds. ") + v.name, name, v.kelurahan ? "kelurahan" : "desa",
                 v.code};
        if (auto [it, fresh] = seen.emplace(o.slug, villages_path + " (" + v.code + ")"); !fresh)
            fail(villages_path, "the OPD slug " + in_quotes(o.slug) + " of " + what +
                                    " is already used at " + it->second);
        r.village_offices.push_back(std::move(o));
    }
}

}  // namespace

bool Bounds::contains(double lat, double lng) const {
    return lat >= south && lat <= north && lng >= west && lng <= east;
}

const Kecamatan* Regency::find_kecamatan(std::string_view code) const {
    const auto it =
        std::lower_bound(kecamatan.begin(), kecamatan.end(), code,
                         [](const Kecamatan& k, std::string_view c) { return k.code < c; });
    return it != kecamatan.end() && it->code == code ? &*it : nullptr;
}

const Village* Regency::find_village(std::string_view code) const {
    const auto it =
        std::lower_bound(villages.begin(), villages.end(), code,
                         [](const Village& v, std::string_view c) { return v.code < c; });
    return it != villages.end() && it->code == code ? &*it : nullptr;
}

const OpdDef* Regency::find_opd(std::string_view slug) const {
    for (const auto* list : {&opds, &village_offices})
        for (const auto& o : *list)
            if (o.slug == slug) return &o;
    return nullptr;
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text, const std::string& origin) {
    CsvReader reader(text, origin);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> fields;
    while (reader.next(fields)) {
        if (!rows.empty() && fields.size() != rows.front().size())
            fail(at_line(origin, reader.record_line()),
                 "expected " + std::to_string(rows.front().size()) +
                     " fields as in the header, found " + std::to_string(fields.size()));
        rows.push_back(fields);
    }
    return rows;
}

Regency load_regency(const std::string& dir, const std::string& area_dir) {
    Regency r;
    const std::string json_path = join_path(dir, "regency.json");
    const std::string kec_path = join_path(dir, "kecamatan.csv");
    const std::string opd_path = join_path(dir, "opd.csv");
    load_regency_json(r, json_path);
    std::unordered_map<std::string, std::size_t> kec_lines;
    load_kecamatan(r, kec_path, kec_lines);
    check_districts(r, kec_path, join_path(area_dir, "districts.csv"), kec_lines);
    const std::string villages_path = join_path(area_dir, "villages.csv");
    load_villages(r, kec_path, villages_path);
    SeenSlugs seen;
    load_opds(r, opd_path, kec_path, kec_lines, seen);
    make_village_offices(r, villages_path, seen);
    const auto has_opd = [&](const std::string& slug) {
        return std::any_of(r.opds.begin(), r.opds.end(),
                           [&](const OpdDef& o) { return o.slug == slug; });
    };
    if (!has_opd(r.walidata_opd))
        fail(json_path,
             "walidata_opd " + in_quotes(r.walidata_opd) + " is not an OPD slug in " + opd_path);
    if (!has_opd(r.planning_opd))
        fail(json_path,
             "planning_opd " + in_quotes(r.planning_opd) + " is not an OPD slug in " + opd_path);
    return r;
}

db::ModuleMigrations region_migrations() { return {"region", {}}; }

namespace {

struct RegionRow {
    std::string code;
    std::optional<std::string> parent_code;
    std::string level, kind, name;
    std::optional<std::string> bps_code;
    std::optional<double> lat, lng;
    std::optional<std::int64_t> population, population_year;
    bool operator==(const RegionRow&) const = default;
};

struct OpdRow {
    std::string abbreviation, name, kind;
    std::optional<std::string> region_code;
    bool operator==(const OpdRow&) const = default;
};

std::optional<std::string> non_empty(const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

std::vector<RegionRow> desired_regions(const Regency& r) {
    std::vector<RegionRow> rows;
    rows.reserve(1 + r.kecamatan.size() + r.villages.size());
    const bool known_pop = r.population_year != 0;
    rows.push_back(RegionRow{
        r.code, std::nullopt, "kabupaten", r.name.starts_with("Kota ") ? "kota" : "kabupaten",
        r.name, non_empty(r.bps_code), r.center.lat, r.center.lng,
        known_pop ? std::optional<std::int64_t>(r.population_total) : std::nullopt,
        known_pop ? std::optional<std::int64_t>(r.population_year) : std::nullopt});
    for (const auto& k : r.kecamatan)
        rows.push_back(RegionRow{k.code, r.code, "kecamatan", "kecamatan", k.name,
                                 non_empty(k.bps_code), k.lat, k.lng, k.population,
                                 k.population_year});
    for (const auto& v : r.villages)
        rows.push_back(RegionRow{v.code, v.district_code, "desa",
                                 v.kelurahan ? "kelurahan" : "desa", v.name, std::nullopt,
                                 std::nullopt, std::nullopt, std::nullopt, std::nullopt});
    return rows;
}

constexpr const char* kSelectRegions =
    "SELECT code, parent_code, level, kind, name, bps_code, lat, lng, population, population_year"
    " FROM regions WHERE code = ? OR code LIKE ?";
constexpr const char* kUpsertRegion =
    "INSERT INTO regions (code, parent_code, level, kind, name, bps_code, lat, lng, population, "
    "population_year)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (code) DO UPDATE SET parent_code = excluded.parent_code, level = excluded.level,"
    " kind = excluded.kind, name = excluded.name, bps_code = excluded.bps_code, lat = excluded.lat,"
    " lng = excluded.lng, population = excluded.population, population_year = "
    "excluded.population_year";
constexpr const char* kSelectOpds = "SELECT slug, abbreviation, name, kind, region_code FROM opds";
constexpr const char* kUpsertOpd =
    "INSERT INTO opds (slug, abbreviation, name, kind, region_code) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (slug) DO UPDATE SET abbreviation = excluded.abbreviation, name = excluded.name,"
    " kind = excluded.kind, region_code = excluded.region_code";

}  // namespace

LoadCounts load_reference_data(db::Database& database, audit::AuditLog& audit,
                               const Regency& regency, std::int64_t now) {
    const std::vector<RegionRow> regions = desired_regions(regency);
    return database.write([&](db::Connection& c) {
        LoadCounts counts;

        std::unordered_map<std::string, RegionRow> existing;
        {
            db::Query q(c, kSelectRegions, {regency.code, regency.code + ".%"});
            while (q.next()) {
                RegionRow row{q.text(0),
                              q.opt_text(1),
                              q.text(2),
                              q.text(3),
                              q.text(4),
                              q.opt_text(5),
                              q.null(6) ? std::nullopt : std::optional<double>(q.real(6)),
                              q.null(7) ? std::nullopt : std::optional<double>(q.real(7)),
                              q.opt_integer(8),
                              q.opt_integer(9)};
                std::string code = row.code;
                existing.emplace(std::move(code), std::move(row));
            }
        }
        for (const RegionRow& row : regions) {
            const auto it = existing.find(row.code);
            if (it != existing.end() && it->second == row) continue;
            db::exec(c, kUpsertRegion,
                     {row.code, row.parent_code, row.level, row.kind, row.name, row.bps_code,
                      row.lat, row.lng, row.population, row.population_year});
            ++(it == existing.end() ? counts.regions_inserted : counts.regions_updated);
        }

        std::unordered_map<std::string, OpdRow> opds;
        {
            db::Query q(c, kSelectOpds);
            while (q.next())
                opds.emplace(q.text(0), OpdRow{q.text(1), q.text(2), q.text(3), q.opt_text(4)});
        }
        for (const auto* list : {&regency.opds, &regency.village_offices}) {
            for (const OpdDef& o : *list) {
                const OpdRow want{o.abbreviation, o.name, o.kind, non_empty(o.region_code)};
                const auto it = opds.find(o.slug);
                if (it != opds.end() && it->second == want) continue;
                db::exec(c, kUpsertOpd,
                         {o.slug, want.abbreviation, want.name, want.kind, want.region_code});
                ++(it == opds.end() ? counts.opds_inserted : counts.opds_updated);
            }
        }

        const json::object summary{{"regions_inserted", counts.regions_inserted},
                                   {"regions_updated", counts.regions_updated},
                                   {"opds_inserted", counts.opds_inserted},
                                   {"opds_updated", counts.opds_updated},
                                   {"kecamatan", regency.kecamatan.size()},
                                   {"villages", regency.villages.size()},
                                   {"opds", regency.opds.size()},
                                   {"village_offices", regency.village_offices.size()}};
        audit.record(c, audit::Actor::system("seed"), "reference.load", "regency", regency.code,
                     json::serialize(summary), now);
        return counts;
    });
}

}  // namespace gapura::core::region
