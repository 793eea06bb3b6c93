#include "modules/satudata/csv_stream.hpp"

#include <algorithm>

#include "core/util/strings.hpp"

namespace gapura::modules::satudata {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kSniffBytes = 8 * 1024;

bool starts(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(0, p.size()) == p; }

// Replaces bytes that are not part of valid UTF-8 with '?' and cuts to at most max bytes on a
// character boundary, so an error report is always printable.
std::string printable(std::string_view v, std::size_t max = 80) {
    std::string out;
    std::size_t i = 0;
    while (i < v.size() && out.size() < max) {
        unsigned char c = static_cast<unsigned char>(v[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > v.size() || !util::valid_utf8(v.substr(i, len))) {
            out += '?';
            ++i;
            continue;
        }
        if (c < 0x20 && c != '\t') out += ' ';
        else out.append(v.substr(i, len));
        i += len;
    }
    if (i < v.size()) out += "…";
    return out;
}
}  // namespace

std::string_view column_type_name(ColumnType t) {
    switch (t) {
        case ColumnType::integer: return "integer";
        case ColumnType::decimal: return "decimal";
        case ColumnType::text: return "text";
        case ColumnType::date: return "date";
        case ColumnType::boolean: return "boolean";
        case ColumnType::region: return "region";
    }
    return "text";
}

bool parse_column_type(std::string_view s, ColumnType& out) {
    for (auto t : {ColumnType::integer, ColumnType::decimal, ColumnType::text, ColumnType::date, ColumnType::boolean,
                   ColumnType::region})
        if (column_type_name(t) == s) {
            out = t;
            return true;
        }
    return false;
}

std::string_view fatal_name(Fatal f) {
    switch (f) {
        case Fatal::none: return "none";
        case Fatal::zip: return "zip";
        case Fatal::xls: return "xls";
        case Fatal::not_text: return "not_text";
        case Fatal::empty: return "empty";
        case Fatal::field_too_long: return "field_too_long";
        case Fatal::too_many_fields: return "too_many_fields";
        case Fatal::unterminated_quote: return "unterminated_quote";
    }
    return "none";
}

// ---------------------------------------------------------------- CsvReader

CsvReader::CsvReader(RecordFn on_record, Limits limits) : on_record_(std::move(on_record)), limits_(limits) {}

bool CsvReader::sniff(std::string_view head, bool final) {
    (void)final;
    if (starts(head, "PK\x03\x04") || starts(head, "PK\x05\x06") || starts(head, "PK\x07\x08")) {
        fail(Fatal::zip);
        return false;
    }
    if (starts(head, "\xD0\xCF\x11\xE0")) {
        fail(Fatal::xls);
        return false;
    }
    static const std::string_view kBinary[] = {"\x1F\x8B", "BZh", "7z\xBC\xAF\x27\x1C", "Rar!", "%PDF", "\x7F" "ELF",
                                               "MZ", "\x89PNG", "\xFF\xD8\xFF", "GIF8", "\xFD" "7zXZ",
                                               "\x28\xB5\x2F\xFD", "#!"};
    for (auto m : kBinary)
        if (starts(head, m)) {
            fail(Fatal::not_text);
            return false;
        }
    std::string_view t = head.substr(0, kSniffBytes);
    if (starts(t, kBom)) t.remove_prefix(kBom.size());
    if (t.find('\0') != std::string_view::npos) {
        fail(Fatal::not_text);
        return false;
    }
    auto first = t.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && t[first] == '<') {  // HTML, XML, SVG
        fail(Fatal::not_text);
        return false;
    }
    return true;
}

bool CsvReader::feed(std::string_view chunk) {
    if (stopped_) return false;
    if (started_) return run(chunk);
    pending_.append(chunk);
    // Wait for the whole header line (outside quotes) before choosing the delimiter.
    bool in_quotes = false;
    std::size_t end = std::string::npos;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
        char c = pending_[i];
        if (c == '"') in_quotes = !in_quotes;
        else if (!in_quotes && (c == '\n' || c == '\r')) {
            end = i;
            break;
        }
    }
    if (end == std::string::npos && pending_.size() < limits_.max_field && pending_.size() < kSniffBytes * 8) {
        if (pending_.size() >= 16 && !sniff(pending_, false)) return false;
        return true;
    }
    std::string held = std::move(pending_);
    pending_.clear();
    if (!sniff(held, false)) return false;
    std::string_view view(held);
    if (starts(view, kBom)) {
        bom_ = true;
        view.remove_prefix(kBom.size());
        if (end != std::string::npos) end -= kBom.size();
    }
    std::string_view header = view.substr(0, end == std::string::npos ? view.size() : end);
    std::size_t commas = 0, semis = 0, tabs = 0;
    in_quotes = false;
    for (char c : header) {
        if (c == '"') in_quotes = !in_quotes;
        else if (!in_quotes) {
            commas += c == ',';
            semis += c == ';';
            tabs += c == '\t';
        }
    }
    delim_ = ',';
    if (semis > commas && semis >= tabs) delim_ = ';';
    else if (tabs > commas && tabs > semis) delim_ = '\t';
    started_ = true;
    return run(view);
}

bool CsvReader::finish() {
    if (stopped_) return fatal_ == Fatal::none;
    if (!started_) {
        if (pending_.empty()) {
            fail(Fatal::empty);
            return false;
        }
        // Force the header decision on what we have.
        std::string held = std::move(pending_);
        pending_.clear();
        held += '\n';
        if (!feed(held)) return fatal_ == Fatal::none;
    }
    if (st_ == State::quoted) {
        fail(Fatal::unterminated_quote);
        return false;
    }
    if (st_ == State::unquoted || st_ == State::quote_in_quoted || !fields_.empty() || !field_.empty()) {
        if (!end_field() || !end_record()) return fatal_ == Fatal::none;
    }
    st_ = State::field_start;
    if (record_no_ == 0) {
        fail(Fatal::empty);
        return false;
    }
    return true;
}

bool CsvReader::end_field() {
    if (fields_.size() >= limits_.max_fields) {
        fail(Fatal::too_many_fields);
        return false;
    }
    fields_.push_back(std::move(field_));
    field_.clear();
    last_quoted_ = field_quoted_;
    field_quoted_ = false;
    return true;
}

bool CsvReader::end_record() {
    ++record_no_;
    const bool blank = fields_.size() == 1 && fields_[0].empty() && !last_quoted_;
    bool go = true;
    if (!blank) go = on_record_(record_no_, fields_, bad_quote_);
    bad_quote_ = false;
    fields_.clear();
    if (!go) stopped_ = true;
    return go;
}

bool CsvReader::run(std::string_view b) {
    const std::size_t n = b.size();
    std::size_t i = 0;
    auto append = [&](std::string_view s) {
        if (field_.size() + s.size() > limits_.max_field) {
            fail(Fatal::field_too_long);
            return false;
        }
        field_.append(s);
        return true;
    };
    while (i < n && !stopped_) {
        const char c = b[i];
        switch (st_) {
            case State::after_cr:
                st_ = State::field_start;
                if (c == '\n') ++i;
                break;
            case State::field_start:
                if (c == '"') {
                    st_ = State::quoted;
                    field_quoted_ = true;
                    ++i;
                } else {
                    st_ = State::unquoted;
                }
                break;
            case State::unquoted: {
                std::size_t j = i;
                while (j < n && b[j] != delim_ && b[j] != '\n' && b[j] != '\r') ++j;
                if (!append(b.substr(i, j - i))) return false;
                i = j;
                if (i < n) {
                    const char d = b[i++];
                    if (!end_field()) return false;
                    if (d == delim_) {
                        st_ = State::field_start;
                    } else {
                        if (!end_record()) return false;
                        st_ = d == '\r' ? State::after_cr : State::field_start;
                    }
                }
                break;
            }
            case State::quoted: {
                std::size_t j = b.find('"', i);
                if (j == std::string_view::npos) j = n;
                if (!append(b.substr(i, j - i))) return false;
                i = j;
                if (i < n) {
                    ++i;
                    st_ = State::quote_in_quoted;
                }
                break;
            }
            case State::quote_in_quoted:
                if (c == '"') {
                    if (!append("\"")) return false;
                    st_ = State::quoted;
                    ++i;
                } else if (c == delim_) {
                    if (!end_field()) return false;
                    st_ = State::field_start;
                    ++i;
                } else if (c == '\n' || c == '\r') {
                    if (!end_field() || !end_record()) return false;
                    st_ = c == '\r' ? State::after_cr : State::field_start;
                    ++i;
                } else {
                    bad_quote_ = true;  // text after a closing quote: kept as data, reported
                    st_ = State::unquoted;
                }
                break;
        }
    }
    return !stopped_;
}

// ---------------------------------------------------------------- checks

bool is_integer(std::string_view v) {
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
    if (v.empty() || v.size() > 18) return false;
    return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_decimal(std::string_view v) {
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
    auto sep = v.find_first_of(".,");
    auto digits = [](std::string_view d) {
        return !d.empty() && d.size() <= 18 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (sep == std::string_view::npos) return digits(v);
    return digits(v.substr(0, sep)) && digits(v.substr(sep + 1));
}

bool is_iso_date(std::string_view v) {
    if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (v[i] < '0' || v[i] > '9') return false;
    int y = std::stoi(std::string(v.substr(0, 4))), m = std::stoi(std::string(v.substr(5, 2))),
        d = std::stoi(std::string(v.substr(8, 2)));
    if (y < 1800 || m < 1 || m > 12 || d < 1) return false;
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int max = kDays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0);
    return d <= max;
}

bool is_boolean(std::string_view v) {
    auto l = util::to_lower_ascii(v);
    return l == "ya" || l == "tidak" || l == "true" || l == "false" || l == "1" || l == "0";
}

bool is_formula_like(std::string_view v) {
    if (v.empty()) return false;
    const char c = v[0];
    if (c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r') return false;
    return !is_decimal(v);
}

std::string csv_export_field(std::string_view v, char delim) {
    std::string s;
    if (is_formula_like(v)) s += '\'';
    s.append(v);
    if (s.find_first_of(std::string{delim, '"', '\n', '\r'}) == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    q += '"';
    return q;
}

std::string csv_export_line(const std::vector<std::string>& fields, char delim) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += delim;
        out += csv_export_field(fields[i], delim);
    }
    out += "\r\n";
    return out;
}

std::string format_count(std::int64_t n, std::string_view lang) {
    const char sep = lang == "en" ? ',' : '.';
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    int k = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (k && k % 3 == 0) out += sep;
        out += *it;
        ++k;
    }
    if (n < 0) out += '-';
    std::reverse(out.begin(), out.end());
    return out;
}

// ---------------------------------------------------------------- CsvValidator

CsvValidator::CsvValidator(std::vector<ColumnSpec> columns, RegionExists region_exists, std::size_t max_errors,
                           CsvReader::Limits limits)
    : columns_(std::move(columns)),
      region_exists_(std::move(region_exists)),
      max_errors_(max_errors),
      reader_([this](std::int64_t no, std::vector<std::string>& f, bool bq) { return on_record(no, f, bq); }, limits) {}

void CsvValidator::add_error(std::int64_t row, std::string column, std::string_view value, std::string code,
                             std::string expected) {
    ++report_.error_count;
    if (report_.errors.size() < max_errors_)
        report_.errors.push_back(CellError{row, std::move(column), printable(value), std::move(code), std::move(expected)});
}

void CsvValidator::check_header(std::int64_t no, const std::vector<std::string>& fields) {
    map_.assign(fields.size(), -1);
    std::vector<bool> seen(columns_.size(), false);
    for (std::size_t i = 0; i < fields.size(); ++i) {
        std::string name = util::to_lower_ascii(util::trim(fields[i]));
        report_.header.push_back(printable(util::trim(fields[i]), 200));
        int found = -1;
        for (std::size_t k = 0; k < columns_.size(); ++k)
            if (util::to_lower_ascii(columns_[k].name) == name) found = static_cast<int>(k);
        if (found < 0) {
            add_error(no, printable(fields[i]), fields[i], "header_unknown");
        } else if (seen[found]) {
            add_error(no, columns_[found].name, fields[i], "header_duplicate");
        } else {
            seen[found] = true;
            map_[i] = found;
        }
    }
    for (std::size_t k = 0; k < columns_.size(); ++k)
        if (!seen[k]) add_error(no, columns_[k].name, "", "header_missing");
}

void CsvValidator::check_cell(std::int64_t row, const ColumnSpec& spec, const std::string& raw) {
    std::string_view v = util::trim(raw);
    if (v.empty()) {
        if (spec.required) add_error(row, spec.name, raw, "required");
        return;
    }
    bool ok = true;
    switch (spec.type) {
        case ColumnType::integer: ok = is_integer(v); break;
        case ColumnType::decimal: ok = is_decimal(v); break;
        case ColumnType::date: ok = is_iso_date(v); break;
        case ColumnType::boolean: ok = is_boolean(v); break;
        case ColumnType::region: ok = region_exists_ && region_exists_(v); break;
        case ColumnType::text: break;
    }
    if (!ok) {
        add_error(row, spec.name, v, std::string(column_type_name(spec.type)));
        return;
    }
    if (!spec.allowed.empty() && std::find(spec.allowed.begin(), spec.allowed.end(), v) == spec.allowed.end()) {
        std::string list;
        for (const auto& a : spec.allowed) list += (list.empty() ? "" : ", ") + a;
        add_error(row, spec.name, v, "allowed", list);
    }
}

bool CsvValidator::on_record(std::int64_t no, std::vector<std::string>& fields, bool bad_quote) {
    if (!have_header_) {
        have_header_ = true;
        check_header(no, fields);
        return true;
    }
    ++report_.rows;
    if (bad_quote) add_error(no, "", "", "quote");
    if (fields.size() != map_.size()) {
        add_error(no, "", std::to_string(fields.size()), "ragged", std::to_string(map_.size()));
        return true;
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const std::string& f = fields[i];
        const std::string col = map_[i] >= 0 ? columns_[map_[i]].name : report_.header[i];
        if (!util::valid_utf8(f)) {
            add_error(no, col, f, "utf8");
            continue;
        }
        if (is_formula_like(f)) ++report_.formula_cells;
        if (map_[i] >= 0) check_cell(no, columns_[map_[i]], f);
    }
    return true;
}

ValidationReport CsvValidator::finish() {
    reader_.finish();
    report_.fatal = reader_.fatal();
    report_.fatal_row = reader_.fatal_record();
    report_.delimiter = reader_.delimiter();
    report_.bom = reader_.had_bom();
    if (report_.fatal == Fatal::none && !have_header_) report_.fatal = Fatal::empty;
    return std::move(report_);
}

}  // namespace gapura::modules::satudata
