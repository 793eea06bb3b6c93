// XlsxWriter: a minimal Office Open XML workbook (one worksheet) written row by row, for the
// XLSX download of a published CSV version. The ZIP container is written here with deflated
// entries (zlib); the worksheet XML is compressed as rows arrive, so memory holds the compressed
// workbook only, not the XML.
//
// Cells are inline strings, or numbers when the caller marks them numeric and the text is a plain
// decimal number (never a formula: a value like "=CMD()" is always a string and never runs).
// Strings are XML-escaped; characters XML 1.0 forbids (control characters, U+FFFE/U+FFFF, bytes
// that are not UTF-8) are removed; "_xHHHH_" sequences are escaped so spreadsheet programs show
// them as written; cells longer than a spreadsheet cell holds (32,767 UTF-16 units) are cut there.
//
// Threads: one writer per thread; no shared state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gapura::modules::satudata {

struct XlsxCell {
    std::string_view value;
    bool numeric = false;  // a number when `value` is one ("-12", "3.5", "1e3"); text otherwise
};

class XlsxWriter {
public:
    static constexpr std::int64_t kMaxRows = 1048576;
    static constexpr std::int64_t kMaxColumns = 16384;
    static constexpr std::size_t kMaxCellUnits = 32767;

    // `modified` (Unix seconds) dates the ZIP entries. With `fd` (a file open for writing, at
    // offset 0), the workbook is written there as it grows (memory holds about 1 MiB of it) and
    // finish() returns an empty string; the same bytes either way.
    explicit XlsxWriter(std::int64_t modified = 0, int fd = -1);
    ~XlsxWriter();
    XlsxWriter(const XlsxWriter&) = delete;
    XlsxWriter& operator=(const XlsxWriter&) = delete;

    // Appends a row (the first row is the header, in bold and frozen). False, and nothing
    // written, when the sheet would exceed Excel's limits of rows or columns.
    bool add_row(const std::vector<XlsxCell>& cells);
    // Closes the workbook and returns the .xlsx bytes (file mode: writes the rest to the file and
    // returns ""). The writer is spent afterwards.
    std::string finish();

    // Helpers, public for tests.
    static std::string column_name(std::int64_t index);  // 0 -> "A", 26 -> "AA"
    static bool plain_number(std::string_view s);
    static void append_text(std::string& out, std::string_view value);  // escaped, cleaned, cut

private:
    struct Zip;
    std::unique_ptr<Zip> zip_;
    std::string row_;
    std::int64_t rows_ = 0;
};

}  // namespace gapura::modules::satudata
