#include "modules/satudata/xlsx_writer.hpp"

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace gapura::modules::satudata {

namespace {

constexpr const char* kMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr const char* kRelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr const char* kPkgRels = "http://schemas.openxmlformats.org/package/2006/relationships";
constexpr const char* kXmlDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

void put16(std::string& out, std::uint32_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void put32(std::string& out, std::uint32_t v) {
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}
void set32(std::string& out, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Decodes one UTF-8 code point at s[i]; returns its length, 0 for an invalid sequence.
std::size_t utf8_at(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n;
    if (b < 0x80) {
        cp = b;
        return 1;
    } else if ((b & 0xe0) == 0xc0) {
        n = 2;
        cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
        n = 3;
        cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
        n = 4;
        cp = b & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool xml_char(char32_t c) {
    return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
           (c >= 0x10000 && c <= 0x10ffff);
}

bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

// The ZIP container: entries deflated straight into `out`; each local header is written first
// with zero CRC and sizes and patched when its entry closes (no data descriptors needed).
struct XlsxWriter::Zip {
    struct Entry {
        std::string name;
        std::uint32_t crc = 0, csize = 0, usize = 0;
        std::size_t offset = 0;
    };
    std::string out;
    int fd = -1;            // file mode: `out` is written to fd whenever it grows past kSpill
    std::uint64_t base = 0;  // bytes already written to fd (the archive offset of out[0])
    static constexpr std::size_t kSpill = 1024 * 1024;
    std::vector<Entry> entries;
    z_stream z{};
    bool open = false;
    std::uint64_t usize = 0;
    std::uint32_t crc = 0;
    std::uint16_t dos_time = 0, dos_date = 0x21;  // 1980-01-01

    explicit Zip(std::int64_t modified) {
        if (modified > 315532800) {  // DOS dates start in 1980
            const std::time_t t = static_cast<std::time_t>(modified);
            std::tm tm{};
            gmtime_r(&t, &tm);
            dos_time = static_cast<std::uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
            dos_date = static_cast<std::uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
        }
    }
    ~Zip() {
        if (open) deflateEnd(&z);
    }

    void begin(std::string name, int level) {
        Entry e;
        e.name = std::move(name);
        e.offset = pos();
        put32(out, 0x04034b50);
        put16(out, 20);  // version needed: 2.0 (deflate)
        put16(out, 0);   // flags
        put16(out, 8);   // deflate
        put16(out, dos_time);
        put16(out, dos_date);
        put32(out, 0);  // crc, patched
        put32(out, 0);  // compressed size, patched
        put32(out, 0);  // uncompressed size, patched
        put16(out, static_cast<std::uint32_t>(e.name.size()));
        put16(out, 0);
        out += e.name;
        entries.push_back(std::move(e));
        z = z_stream{};
        if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("xlsx: deflateInit2");
        open = true;
        usize = 0;
        crc = static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0));
    }

    void run(std::string_view data, int flush) {
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        z.avail_in = static_cast<uInt>(data.size());
        do {
            const std::size_t before = out.size();
            const std::size_t room = 64 * 1024;
            out.resize(before + room);
            z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
            z.avail_out = static_cast<uInt>(room);
            const int rc = deflate(&z, flush);
            if (rc == Z_STREAM_ERROR) throw std::runtime_error("xlsx: deflate");
            out.resize(before + (room - z.avail_out));
            if (flush == Z_FINISH && rc == Z_STREAM_END) break;
        } while (z.avail_in > 0 || z.avail_out == 0 || flush == Z_FINISH);
    }

    void write(std::string_view data) {
        if (data.empty()) return;
        usize += data.size();
        if (usize > 0xffffffffULL) throw std::length_error("xlsx: entry over 4 GiB");
        crc = static_cast<std::uint32_t>(
            crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
        run(data, Z_NO_FLUSH);
        if (fd >= 0 && out.size() >= kSpill) spill();
    }

    std::uint64_t pos() const { return base + out.size(); }

    void spill() {
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::system_error(errno, std::generic_category(), "xlsx: write");
            done += static_cast<std::size_t>(n);
        }
        base += out.size();
        out.clear();
    }

    // Writes the 12 bytes of CRC and sizes into the local header at archive offset `at`: in the
    // buffer, or on disk when that header was spilled already (a header is never split: it is
    // written to the buffer at once and spills only happen between writes).
    void patch(std::uint64_t at, std::uint32_t c, std::uint32_t cs, std::uint32_t us) {
        if (at >= base) {
            set32(out, static_cast<std::size_t>(at - base), c);
            set32(out, static_cast<std::size_t>(at - base) + 4, cs);
            set32(out, static_cast<std::size_t>(at - base) + 8, us);
            return;
        }
        std::string b;
        put32(b, c);
        put32(b, cs);
        put32(b, us);
        if (::pwrite(fd, b.data(), b.size(), static_cast<off_t>(at)) != static_cast<ssize_t>(b.size()))
            throw std::system_error(errno, std::generic_category(), "xlsx: pwrite");
    }

    void end() {
        run({}, Z_FINISH);
        deflateEnd(&z);
        open = false;
        auto& e = entries.back();
        const std::size_t data_start = e.offset + 30 + e.name.size();
        e.crc = crc;
        e.usize = static_cast<std::uint32_t>(usize);
        if (pos() - data_start > 0xffffffffULL) throw std::length_error("xlsx: entry over 4 GiB");
        e.csize = static_cast<std::uint32_t>(pos() - data_start);
        patch(e.offset + 14, e.crc, e.csize, e.usize);
    }

    void add(std::string name, std::string_view data) {
        begin(std::move(name), 6);
        write(data);
        end();
    }

    std::string finish() {
        const std::uint64_t cd_start = pos();
        for (const auto& e : entries) {
            put32(out, 0x02014b50);
            put16(out, 20);  // made by: 2.0
            put16(out, 20);
            put16(out, 0);
            put16(out, 8);
            put16(out, dos_time);
            put16(out, dos_date);
            put32(out, e.crc);
            put32(out, e.csize);
            put32(out, e.usize);
            put16(out, static_cast<std::uint32_t>(e.name.size()));
            put16(out, 0);  // extra
            put16(out, 0);  // comment
            put16(out, 0);  // disk
            put16(out, 0);  // internal attributes
            put32(out, 0);  // external attributes
            if (e.offset > 0xffffffffULL) throw std::length_error("xlsx: archive over 4 GiB");
            put32(out, static_cast<std::uint32_t>(e.offset));
            out += e.name;
        }
        const std::uint64_t cd_size = pos() - cd_start;
        if (pos() > 0xffffffffULL) throw std::length_error("xlsx: archive over 4 GiB");
        put32(out, 0x06054b50);
        put16(out, 0);
        put16(out, 0);
        put16(out, static_cast<std::uint32_t>(entries.size()));
        put16(out, static_cast<std::uint32_t>(entries.size()));
        put32(out, static_cast<std::uint32_t>(cd_size));
        put32(out, static_cast<std::uint32_t>(cd_start));
        put16(out, 0);
        if (fd >= 0) spill();
        return std::move(out);
    }
};

XlsxWriter::XlsxWriter(std::int64_t modified, int fd) : zip_(std::make_unique<Zip>(modified)) {
    zip_->fd = fd;
    // The package parts read best as the XML they are.
    // clang-format off
    const std::string ct_xml =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.";
    zip_->add("[Content_Types].xml",
              std::string(kXmlDecl) +
                  "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                  "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                  "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                  "<Override PartName=\"/xl/workbook.xml\" ContentType=\"" + ct_xml + "sheet.main+xml\"/>"
                  "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"" + ct_xml + "worksheet+xml\"/>"
                  "<Override PartName=\"/xl/styles.xml\" ContentType=\"" + ct_xml + "styles+xml\"/>"
                  "</Types>");
    zip_->add("_rels/.rels", std::string(kXmlDecl) + "<Relationships xmlns=\"" + kPkgRels + "\">"
                                 "<Relationship Id=\"rId1\" Type=\"" + kRelNs + "/officeDocument\" Target=\"xl/workbook.xml\"/>"
                                 "</Relationships>");
    zip_->add("xl/workbook.xml", std::string(kXmlDecl) + "<workbook xmlns=\"" + kMain + "\" xmlns:r=\"" + kRelNs + "\">"
                                     "<sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>");
    zip_->add("xl/_rels/workbook.xml.rels",
              std::string(kXmlDecl) + "<Relationships xmlns=\"" + kPkgRels + "\">"
                  "<Relationship Id=\"rId1\" Type=\"" + kRelNs + "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
                  "<Relationship Id=\"rId2\" Type=\"" + kRelNs + "/styles\" Target=\"styles.xml\"/>"
                  "</Relationships>");
    // Style 1: bold, for the header row.
    zip_->add("xl/styles.xml",
              std::string(kXmlDecl) + "<styleSheet xmlns=\"" + kMain + "\">"
                  "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font>"
                  "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>"
                  "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>"
                  "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
                  "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
                  "<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
                  "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>"
                  "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
                  "</styleSheet>");
    // The worksheet stays open until finish(): rows are deflated as they come (level 1: the
    // sheet is most of the work, and its XML compresses well even so).
    zip_->begin("xl/worksheets/sheet1.xml", 1);
    zip_->write(std::string(kXmlDecl) + "<worksheet xmlns=\"" + kMain + "\">"
                "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\""
                " state=\"frozen\"/></sheetView></sheetViews><sheetData>");
    // clang-format on
}

XlsxWriter::~XlsxWriter() = default;

std::string XlsxWriter::column_name(std::int64_t index) {
    std::string s;
    for (std::int64_t n = index + 1; n > 0; n = (n - 1) / 26)
        s.insert(s.begin(), static_cast<char>('A' + (n - 1) % 26));
    return s;
}

bool XlsxWriter::plain_number(std::string_view s) {
    if (s.empty() || s.size() > 40) return false;
    std::size_t i = 0;
    if (s[i] == '-') ++i;
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
    if (digits == 0) return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t frac = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac;
        if (frac == 0) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t exp = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
        if (exp == 0) return false;
    }
    if (i != s.size()) return false;
    const std::string copy(s);
    return std::isfinite(std::strtod(copy.c_str(), nullptr));
}

void XlsxWriter::append_text(std::string& out, std::string_view s) {
    std::size_t units = 0;  // UTF-16 code units, as spreadsheet programs count a cell's length
    for (std::size_t i = 0; i < s.size();) {
        // A run of printable ASCII that needs no escaping is copied as it is.
        std::size_t j = i;
        while (j < s.size() && units + (j - i) < kMaxCellUnits) {
            const auto b = static_cast<unsigned char>(s[j]);
            if (b < 0x20 || b >= 0x80 || b == '&' || b == '<' || b == '>' || b == '_') break;
            ++j;
        }
        if (j > i) {
            out.append(s.data() + i, j - i);
            units += j - i;
            i = j;
            continue;
        }
        char32_t cp = 0;
        const std::size_t n = utf8_at(s, i, cp);
        if (n == 0) {  // not UTF-8: drop the byte
            ++i;
            continue;
        }
        const std::string_view ch = s.substr(i, n);
        i += n;
        if (!xml_char(cp)) continue;
        const std::size_t u = cp >= 0x10000 ? 2 : 1;
        if (units + u > kMaxCellUnits) break;
        units += u;
        switch (cp) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\r':  // kept as written, not folded into a line break
                out += "&#13;";
                break;
            case '_':
                // "_x0041_" would be read as an escaped "A": escape the underscore itself.
                if (i + 5 < s.size() && s[i] == 'x' && hex(s[i + 1]) && hex(s[i + 2]) && hex(s[i + 3]) &&
                    hex(s[i + 4]) && s[i + 5] == '_')
                    out += "_x005F_";
                else
                    out += '_';
                break;
            default:
                out += ch;
        }
    }
}

bool XlsxWriter::add_row(const std::vector<XlsxCell>& cells) {
    if (!zip_ || rows_ >= kMaxRows || static_cast<std::int64_t>(cells.size()) > kMaxColumns) return false;
    ++rows_;
    const std::string r = std::to_string(rows_);
    row_.clear();
    row_ += "<row r=\"";
    row_ += r;
    row_ += "\">";
    for (std::size_t c = 0; c < cells.size(); ++c) {
        const auto& cell = cells[c];
        if (cell.value.empty()) continue;
        row_ += "<c r=\"";
        row_ += column_name(static_cast<std::int64_t>(c));
        row_ += r;
        if (cell.numeric && rows_ > 1 && plain_number(cell.value)) {
            row_ += "\"><v>";
            row_ += cell.value;
            row_ += "</v></c>";
        } else {
            row_ += rows_ == 1 ? "\" s=\"1\" t=\"inlineStr\"><is><t" : "\" t=\"inlineStr\"><is><t";
            // Leading or trailing white space survives only with xml:space="preserve".
            const char first = cell.value.front(), last = cell.value.back();
            if (first == ' ' || first == '\t' || first == '\n' || first == '\r' || last == ' ' || last == '\t' ||
                last == '\n' || last == '\r')
                row_ += " xml:space=\"preserve\"";
            row_ += '>';
            append_text(row_, cell.value);
            row_ += "</t></is></c>";
        }
    }
    row_ += "</row>";
    zip_->write(row_);
    return true;
}

std::string XlsxWriter::finish() {
    if (!zip_) throw std::logic_error("xlsx: finish() called twice");
    zip_->write("</sheetData></worksheet>");
    zip_->end();
    auto out = zip_->finish();
    zip_.reset();
    return out;
}

}  // namespace gapura::modules::satudata
