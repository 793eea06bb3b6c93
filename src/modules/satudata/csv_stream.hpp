// Streaming CSV intake for Satu Data: CsvReader is an incremental RFC 4180 tokenizer fed with
// chunks of bytes as they arrive (UTF-8 BOM, LF/CRLF/CR line ends, quoted fields with embedded
// line breaks, "" escapes, delimiter `,`, `;` or TAB detected from the header line), and
// CsvValidator checks every record against the declared columns while it streams. Memory is
// bounded: one record (max_field bytes per field, max_fields per record) plus the first
// max_errors errors; nothing else of the file is kept. Binary files posing as CSV (ZIP/XLSX,
// gzip, PDF, executables, images, old XLS, anything with NUL bytes up front) are refused from
// their first bytes, so a zip bomb is never decompressed.
//
// Threads: an instance belongs to one thread; the free functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gapura::modules::satudata {

enum class ColumnType { integer, decimal, text, date, boolean, region };

std::string_view column_type_name(ColumnType t);
bool parse_column_type(std::string_view s, ColumnType& out);

struct ColumnSpec {
    std::string name;
    ColumnType type = ColumnType::text;
    bool required = false;
    std::vector<std::string> allowed;  // empty: any value of the type
};

// Why a whole file is refused (no row-by-row report makes sense).
enum class Fatal {
    none,
    zip,                 // ZIP container (also XLSX/DOCX, and every zip bomb)
    xls,                 // legacy Excel (OLE compound file)
    not_text,            // other binary: gzip, PDF, images, executables, NUL bytes, HTML/XML
    empty,               // no header line
    field_too_long,      // a field above Limits::max_field
    too_many_fields,     // a record above Limits::max_fields
    unterminated_quote,  // the file ends inside a quoted field
};
std::string_view fatal_name(Fatal f);

class CsvReader {
public:
    struct Limits {
        std::size_t max_field = 64 * 1024;
        std::size_t max_fields = 1000;
    };
    // Called for every non-blank record with its 1-based record number (header = 1, the number a
    // spreadsheet shows). Return false to stop reading. `fields` may be moved from.
    using RecordFn = std::function<bool(std::int64_t record_no, std::vector<std::string>& fields, bool bad_quote)>;

    explicit CsvReader(RecordFn on_record) : CsvReader(std::move(on_record), Limits{}) {}
    CsvReader(RecordFn on_record, Limits limits);

    // Feeds the next bytes. Returns false once reading stopped (fatal error or the callback said so).
    bool feed(std::string_view chunk);
    // Ends the input: flushes the last record. Returns false on a fatal error.
    bool finish();

    char delimiter() const { return delim_; }
    bool had_bom() const { return bom_; }
    Fatal fatal() const { return fatal_; }
    std::int64_t fatal_record() const { return fatal_record_; }
    std::int64_t records() const { return record_no_; }

private:
    bool sniff(std::string_view head, bool final);
    bool run(std::string_view bytes);
    bool end_field();
    bool end_record();
    void fail(Fatal f) {
        fatal_ = f;
        fatal_record_ = record_no_ + 1;
        stopped_ = true;
    }

    RecordFn on_record_;
    Limits limits_;
    enum class State { field_start, unquoted, quoted, quote_in_quoted, after_cr };
    State st_ = State::field_start;
    bool started_ = false;      // BOM/sniff/delimiter decided
    std::string pending_;       // bytes held until the header line is complete
    char delim_ = ',';
    bool bom_ = false;
    bool stopped_ = false;
    bool bad_quote_ = false;
    bool field_quoted_ = false;
    bool last_quoted_ = false;
    Fatal fatal_ = Fatal::none;
    std::int64_t fatal_record_ = 0;
    std::int64_t record_no_ = 0;
    std::string field_;
    std::vector<std::string> fields_;
    std::size_t nfields_ = 0;
};

struct CellError {
    std::int64_t row = 0;       // record number as a spreadsheet shows it (header = 1)
    std::string column;         // "" for row-level errors
    std::string value;          // the offending value, shortened, always valid UTF-8
    std::string code;           // integer, decimal, date, boolean, region, required, allowed, ragged,
                                // utf8, quote, header_missing, header_unknown, header_duplicate
    std::string expected;       // allowed values, expected field count ...
};

struct ValidationReport {
    char delimiter = ',';
    bool bom = false;
    std::int64_t rows = 0;          // data rows (header excluded)
    std::int64_t error_count = 0;   // all errors, also those beyond `errors`
    std::vector<CellError> errors;  // the first max_errors
    std::int64_t formula_cells = 0; // cells starting with = + - @ (escaped on export)
    Fatal fatal = Fatal::none;
    std::int64_t fatal_row = 0;
    std::vector<std::string> header;
    bool ok() const { return fatal == Fatal::none && error_count == 0; }
};

class CsvValidator {
public:
    using RegionExists = std::function<bool(std::string_view code)>;
    CsvValidator(std::vector<ColumnSpec> columns, RegionExists region_exists, std::size_t max_errors = 100,
                 CsvReader::Limits limits = {});
    bool feed(std::string_view chunk) { return reader_.feed(chunk); }
    ValidationReport finish();

private:
    bool on_record(std::int64_t no, std::vector<std::string>& fields, bool bad_quote);
    void add_error(std::int64_t row, std::string column, std::string_view value, std::string code,
                   std::string expected = {});
    void check_header(std::int64_t no, const std::vector<std::string>& fields);
    void check_cell(std::int64_t row, const ColumnSpec& spec, const std::string& value);

    std::vector<ColumnSpec> columns_;
    RegionExists region_exists_;
    std::size_t max_errors_;
    CsvReader reader_;
    ValidationReport report_;
    bool have_header_ = false;
    std::vector<int> map_;  // header position -> declared column index, -1 when unknown
};

// Value checks shared by the validator and tests.
bool is_integer(std::string_view v);
bool is_decimal(std::string_view v);
bool is_iso_date(std::string_view v);
bool is_boolean(std::string_view v);
// True when a spreadsheet would run the cell as a formula (= + - @ TAB CR first) and it is not
// a plain number such as "-5" or "+3,5".
bool is_formula_like(std::string_view v);

// One field for CSV export: formula-like cells get a leading ' and fields with the delimiter,
// quotes or line breaks are quoted.
std::string csv_export_field(std::string_view v, char delim = ',');
std::string csv_export_line(const std::vector<std::string>& fields, char delim = ',');

// "1.204" (id) or "1,204" (en).
std::string format_count(std::int64_t n, std::string_view lang);

}  // namespace gapura::modules::satudata
