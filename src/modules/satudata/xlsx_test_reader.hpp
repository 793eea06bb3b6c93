// Test helper: reads an .xlsx back with python3 (zipfile with every CRC checked, every part
// parsed as XML, no formula anywhere) and lists the sheet's cells as "ref|s|text" (unicode_escape'd)
// or "ref|n|number" lines. Tests skip when python3 is missing.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace gapura::modules::satudata::testing_xlsx {

inline bool have_python() { return std::system("command -v python3 >/dev/null 2>&1") == 0; }

// Reads a workbook back with python3: zipfile (testzip checks every CRC), XML parsing of every
// part, and the sheet's cells as "ref|type|value" lines.
inline std::string read_back(const std::string& bytes) {
    const auto dir = std::filesystem::temp_directory_path() / ("gapura-xlsx-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    const auto book = (dir / "t.xlsx").string();
    const auto script = (dir / "read.py").string();
    std::ofstream(book, std::ios::binary) << bytes;
    std::ofstream(script) << R"PY(
import sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "crc"
names = z.namelist()
assert names[0] == "[Content_Types].xml", names
for n in names:
    ET.fromstring(z.read(n))
ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
assert root.find(".//m:f", ns) is None, "formula"
out = []
for c in root.iter("{%s}c" % ns["m"]):
    if c.get("t") == "inlineStr":
        v = "".join(c.find("m:is/m:t", ns).itertext())
        out.append("%s|s|%s" % (c.get("r"), v.encode("unicode_escape").decode("ascii")))
    else:
        out.append("%s|n|%s" % (c.get("r"), c.find("m:v", ns).text))
print("\n".join(out))
)PY";
    std::string out;
    if (FILE* p = popen(("python3 " + script + " " + book + " 2>&1").c_str(), "r")) {
        char buf[4096];
        std::size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        const int rc = pclose(p);
        if (rc != 0) out = "FAILED: " + out;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return out;
}

}  // namespace gapura::modules::satudata::testing_xlsx
