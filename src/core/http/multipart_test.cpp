// Unit tests for core/http/multipart: boundary extraction and in-memory multipart/form-data parsing.
#include "core/http/multipart.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gapura::core::http {
namespace {

using namespace std::string_literals;

const std::string kB = "----gapuraBoundary7MA4YWxk";

std::string text_part(const std::string& name, const std::string& value, const std::string& b = kB) {
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}

std::string file_part(const std::string& name, const std::string& filename, const std::string& type,
                      const std::string& data, const std::string& b = kB) {
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename +
           "\"\r\nContent-Type: " + type + "\r\n\r\n" + data + "\r\n";
}

std::string closing(const std::string& b = kB) { return "--" + b + "--\r\n"; }

// ---------------------------------------------------------------------------------------------
// multipart_boundary

TEST(MultipartBoundary, ExtractsPlainBoundary) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123"), "abc123");
}

TEST(MultipartBoundary, ExtractsQuotedBoundary) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a b:c\""), "a b:c");
}

TEST(MultipartBoundary, CaseInsensitiveTypeAndParamName) {
    EXPECT_EQ(multipart_boundary("Multipart/Form-Data; BOUNDARY=xyz"), "xyz");
}

TEST(MultipartBoundary, FindsBoundaryAmongOtherParams) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; boundary=xyz"), "xyz");
    EXPECT_EQ(multipart_boundary("multipart/form-data;boundary=xyz;charset=utf-8"), "xyz");
    EXPECT_EQ(multipart_boundary("  multipart/form-data ;  boundary = xyz  "), "xyz");
}

TEST(MultipartBoundary, RejectsOtherContentTypes) {
    EXPECT_EQ(multipart_boundary("application/x-www-form-urlencoded"), std::nullopt);
    EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=xyz"), std::nullopt);
    EXPECT_EQ(multipart_boundary("multipart/form-dataX; boundary=xyz"), std::nullopt);
    EXPECT_EQ(multipart_boundary("text/html; boundary=xyz"), std::nullopt);
    EXPECT_EQ(multipart_boundary(""), std::nullopt);
}

TEST(MultipartBoundary, RejectsMissingOrEmptyBoundary) {
    EXPECT_EQ(multipart_boundary("multipart/form-data"), std::nullopt);
    EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8"), std::nullopt);
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary="), std::nullopt);
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"\""), std::nullopt);
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundaryx=abc"), std::nullopt);
}

TEST(MultipartBoundary, EnforcesSeventyCharacterLimit) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'b')), std::string(70, 'b'));
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'b')), std::nullopt);
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(100000, 'b')), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// parse_multipart: well-formed bodies

TEST(ParseMultipart, TextFieldsAndFile) {
    const std::string body = text_part("title", "Jalan rusak") + text_part("kecamatan", "Tuban") +
                             file_part("photo", "jalan.jpg", "image/jpeg", "\xFF\xD8\xFF\xE0 binary") + closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->fields.value("title"), "Jalan rusak");
    EXPECT_EQ(m->fields.value("kecamatan"), "Tuban");
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].field, "photo");
    EXPECT_EQ(m->files[0].filename, "jalan.jpg");
    EXPECT_EQ(m->files[0].client_type, "image/jpeg");
    EXPECT_EQ(m->files[0].data, "\xFF\xD8\xFF\xE0 binary");
}

TEST(ParseMultipart, EmptyBodyWithOnlyClosingDelimiter) {
    auto m = parse_multipart(closing(), kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_TRUE(m->fields.fields().empty());
    EXPECT_TRUE(m->files.empty());
}

TEST(ParseMultipart, PreambleAndEpilogueAreIgnored) {
    const std::string body = "This is a preamble.\r\n" + text_part("a", "1") + closing() + "epilogue junk";
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->fields.value("a"), "1");
}

TEST(ParseMultipart, EmptyValueAndEmptyFile) {
    const std::string body = text_part("note", "") + file_part("doc", "empty.pdf", "application/pdf", "") + closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(m->fields.has("note"));
    EXPECT_EQ(m->fields.value("note"), "");
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_TRUE(m->files[0].data.empty());
}

TEST(ParseMultipart, BinaryFileKeepsNulCrlfAndInvalidUtf8) {
    const std::string data = "\0\r\n\xC0\xAF\xFF\r\n--not-the-boundary\r\n"s;
    auto m = parse_multipart(file_part("f", "a.bin", "application/octet-stream", data) + closing(), kB);
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].data, data);
}

TEST(ParseMultipart, TextValueMayContainCrlf) {
    auto m = parse_multipart(text_part("body", "line 1\r\nline 2\r\n") + closing(), kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->fields.value("body"), "line 1\r\nline 2\r\n");
}

TEST(ParseMultipart, HostileTextIsKeptVerbatim) {
    const std::string body = text_part("q", "' OR 1=1 --") + text_part("t", "<script>alert(1)</script>") + closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->fields.value("q"), "' OR 1=1 --");
    EXPECT_EQ(m->fields.value("t"), "<script>alert(1)</script>");
}

TEST(ParseMultipart, FilenameIsNotSanitisedButKept) {
    auto m = parse_multipart(file_part("f", "../../etc/passwd", "text/plain", "x") + closing(), kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->files[0].filename, "../../etc/passwd");  // never used as a path; documented as untrusted
}

TEST(ParseMultipart, EmptyFilenameStillMakesAFilePart) {
    // Browsers send filename="" when no file was chosen.
    auto m = parse_multipart(file_part("photo", "", "application/octet-stream", "") + closing(), kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_FALSE(m->fields.has("photo"));
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].filename, "");
}

TEST(ParseMultipart, HeaderNamesAreCaseInsensitiveAndOrderFree) {
    const std::string body = "--" + kB +
                             "\r\ncontent-type: text/csv\r\nCONTENT-DISPOSITION: form-data; filename=\"d.csv\"; "
                             "name=\"data\"\r\n\r\na,b\r\n" +
                             closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].field, "data");
    EXPECT_EQ(m->files[0].filename, "d.csv");
    EXPECT_EQ(m->files[0].client_type, "text/csv");
}

TEST(ParseMultipart, UnquotedNameParameter) {
    const std::string body = "--" + kB + "\r\nContent-Disposition: form-data; name=plain\r\n\r\nv\r\n" + closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->fields.value("plain"), "v");
}

TEST(ParseMultipart, FilenameParamDoesNotCountAsName) {
    // "filename=" contains "name="; the parser must not take it for the field name.
    const std::string body = "--" + kB + "\r\nContent-Disposition: form-data; filename=\"f.txt\"; name=\"real\"\r\n\r\nx\r\n" +
                             closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].field, "real");
}

TEST(ParseMultipart, Utf8FieldNamesAndValues) {
    auto m = parse_multipart(text_part("catatan_\xC3\xA9", "caf\xC3\xA9 \xF0\x9F\x98\x80") + closing(), kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->fields.value("catatan_\xC3\xA9"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(ParseMultipart, RepeatedFieldsKeepOrder) {
    auto m = parse_multipart(text_part("opd", "1") + text_part("opd", "2") + closing(), kB);
    ASSERT_TRUE(m.has_value());
    auto all = m->fields.all("opd");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0], "1");
    EXPECT_EQ(all[1], "2");
}

TEST(ParseMultipart, BoundaryPrefixInsideDataWithoutCrlfIsData) {
    const std::string data = "x--" + kB + "y";
    auto m = parse_multipart(text_part("a", data) + closing(), kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->fields.value("a"), data);
}

// ---------------------------------------------------------------------------------------------
// parse_multipart: malformed bodies

TEST(ParseMultipart, RejectsBodyWithoutBoundary) {
    EXPECT_FALSE(parse_multipart("", kB).has_value());
    EXPECT_FALSE(parse_multipart("just some text", kB).has_value());
    EXPECT_FALSE(parse_multipart(text_part("a", "1", "other") + closing("other"), kB).has_value());
}

TEST(ParseMultipart, RejectsMissingClosingDelimiter) {
    EXPECT_FALSE(parse_multipart(text_part("a", "1"), kB).has_value());
    EXPECT_FALSE(parse_multipart("--" + kB + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated", kB)
                     .has_value());
}

TEST(ParseMultipart, RejectsTruncatedHeaders) {
    EXPECT_FALSE(parse_multipart("--" + kB + "\r\nContent-Disposition: form-data; name=\"a\"", kB).has_value());
    EXPECT_FALSE(parse_multipart("--" + kB, kB).has_value());
    EXPECT_FALSE(parse_multipart("--" + kB + "\r\n", kB).has_value());
}

TEST(ParseMultipart, RejectsGarbageAfterDelimiter) {
    EXPECT_FALSE(parse_multipart("--" + kB + "junk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n" + closing(), kB)
                     .has_value());
}

TEST(ParseMultipart, RejectsHeaderLineWithoutColon) {
    const std::string body =
        "--" + kB + "\r\nContent-Disposition: form-data; name=\"a\"\r\nbogus header\r\n\r\n1\r\n" + closing();
    EXPECT_FALSE(parse_multipart(body, kB).has_value());
}

TEST(ParseMultipart, RejectsMissingOrWrongDisposition) {
    EXPECT_FALSE(parse_multipart("--" + kB + "\r\nContent-Type: text/plain\r\n\r\n1\r\n" + closing(), kB).has_value());
    EXPECT_FALSE(
        parse_multipart("--" + kB + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n" + closing(), kB)
            .has_value());
}

TEST(ParseMultipart, RejectsPartWithoutName) {
    EXPECT_FALSE(parse_multipart("--" + kB + "\r\nContent-Disposition: form-data\r\n\r\n1\r\n" + closing(), kB).has_value());
    EXPECT_FALSE(
        parse_multipart("--" + kB + "\r\nContent-Disposition: form-data; name=\"unterminated\r\n\r\n1\r\n" + closing(), kB)
            .has_value());
}

TEST(ParseMultipart, RejectsInvalidUtf8TextValue) {
    EXPECT_FALSE(parse_multipart(text_part("a", "\xFF") + closing(), kB).has_value());
    EXPECT_FALSE(parse_multipart(text_part("a", "\xC0\xAF") + closing(), kB).has_value());      // overlong
    EXPECT_FALSE(parse_multipart(text_part("a", "\xED\xA0\x80") + closing(), kB).has_value());  // surrogate
}

TEST(ParseMultipart, RejectsInvalidUtf8FieldNameOrFilename) {
    EXPECT_FALSE(parse_multipart(text_part("\xFE", "v") + closing(), kB).has_value());
    EXPECT_FALSE(parse_multipart(file_part("f", "\xC0\xAE\xC0\xAE.txt", "text/plain", "x") + closing(), kB).has_value());
}

TEST(ParseMultipart, EnforcesMaxParts) {
    std::string body;
    for (int i = 0; i < 3; ++i) body += text_part("f" + std::to_string(i), "v");
    body += closing();
    EXPECT_TRUE(parse_multipart(body, kB, 3).has_value());
    EXPECT_FALSE(parse_multipart(body, kB, 2).has_value());
}

TEST(ParseMultipart, DefaultMaxPartsIs64) {
    std::string body64, body65;
    for (int i = 0; i < 64; ++i) body64 += text_part("f", "v");
    body65 = body64 + text_part("f", "v");
    EXPECT_TRUE(parse_multipart(body64 + closing(), kB).has_value());
    EXPECT_FALSE(parse_multipart(body65 + closing(), kB).has_value());
}

TEST(ParseMultipart, LargeFilePart) {
    std::string data(2 << 20, '\xAB');
    auto m = parse_multipart(file_part("f", "big.bin", "application/octet-stream", data) + closing(), kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->files[0].data.size(), data.size());
}

TEST(ParseMultipart, QuotedNameDoesNotSmuggleFilename) {
    const std::string body =
        "--" + kB + "\r\nContent-Disposition: form-data; name=\"x; filename=y\"\r\n\r\nv\r\n" + closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    EXPECT_TRUE(m->files.empty());
    EXPECT_EQ(m->fields.value("x; filename=y"), "v");
}

TEST(ParseMultipart, QuotedFilenameDoesNotOverrideFieldName) {
    const std::string body = "--" + kB +
                             "\r\nContent-Disposition: form-data; filename=\"a; name=evil\"; name=\"real\"\r\n\r\nv\r\n" +
                             closing();
    auto m = parse_multipart(body, kB);
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].field, "real");
    EXPECT_EQ(m->files[0].filename, "a; name=evil");
}

}  // namespace
}  // namespace gapura::core::http
