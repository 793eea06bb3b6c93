#include <gtest/gtest.h>
#include <zlib.h>

#include "core/http/compress.hpp"

namespace gapura::core::http {
namespace {

std::string gunzip(const std::string& in) {
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    std::string out(in.size() * 50 + 1024, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

TEST(Gzip, RoundTripsAndShrinksRepetitiveJson) {
    std::string json = "[";
    for (int i = 0; i < 2000; ++i) json += R"({"type":"Feature","id":)" + std::to_string(i) + R"(,"stage":"desa"},)";
    json += "{}]";
    for (int level : {1, 5, 9}) {
        auto z = gzip(json, level);
        ASSERT_TRUE(z);
        EXPECT_LT(z->size(), json.size() / 5) << level;
        EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);  // gzip magic, not a bare zlib stream
        EXPECT_EQ(static_cast<unsigned char>((*z)[1]), 0x8b);
        EXPECT_EQ(gunzip(*z), json);
    }
    auto empty = gzip("", 5);
    ASSERT_TRUE(empty);
    EXPECT_EQ(gunzip(*empty), "");
}

TEST(AcceptsGzip, ReadsTheHeaderAsRfc9110Says) {
    EXPECT_TRUE(accepts_gzip("gzip"));
    EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
    EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
    EXPECT_TRUE(accepts_gzip("x-gzip"));
    EXPECT_TRUE(accepts_gzip("*"));
    EXPECT_FALSE(accepts_gzip(""));
    EXPECT_FALSE(accepts_gzip("identity"));
    EXPECT_FALSE(accepts_gzip("br, deflate"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
    EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
    EXPECT_FALSE(accepts_gzip("gzip;q=nonsense"));
    EXPECT_FALSE(accepts_gzip("gzipped"));
    EXPECT_FALSE(accepts_gzip(",,,;;;"));
}

TEST(CompressibleType, TextAndDataYesBinaryNo) {
    for (auto t : {"text/html; charset=utf-8", "application/json", "application/geo+json", "text/csv; charset=utf-8",
                   "application/ld+json", "text/xml; charset=utf-8", "image/svg+xml", "Application/JSON"})
        EXPECT_TRUE(compressible_type(t)) << t;
    for (auto t : {"image/png", "image/jpeg", "application/pdf", "application/zip", "application/octet-stream", ""})
        EXPECT_FALSE(compressible_type(t)) << t;
}

}  // namespace
}  // namespace gapura::core::http
