// Small formatting and parsing helpers of the usulan module (rupiah, numbers typed into forms,
// dates of planning windows, CSV fields). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gapura::modules::usulan::fmt {

// "Rp 1.500.000".
std::string rupiah(std::int64_t v);
// 12 -> "12", 12.5 -> "12,5" (id) / "12.5" (en).
std::string number(double v, const std::string& lang);
// A decimal typed by a person: "12.5", "12,5", " -6.9 ". nullopt when not a finite number.
std::optional<double> parse_decimal(std::string_view s);
// A rupiah amount typed by a person: "1500000", "1.500.000", "Rp 1.500.000", "-5". Dots and
// spaces are thousands separators; a comma starts decimals. nullopt when not a number.
std::optional<double> parse_rupiah(std::string_view s);
// "YYYY-MM-DD" as the local midnight (start) or the last second of that local day (end).
std::optional<std::int64_t> parse_local_date(std::string_view s, int utc_offset_minutes, bool end_of_day);
// The local date "YYYY-MM-DD" of a time.
std::string local_date(std::int64_t t, int utc_offset_minutes);
// One RFC 4180 CSV field; text starting with = + - @ is prefixed with ' (spreadsheet formulas).
std::string csv_text(std::string_view s);

}  // namespace gapura::modules::usulan::fmt
