// serialize_head must produce byte for byte what Beast's serializer writes for the same
// response, since the server sends it instead of using http::async_write.
#include <boost/beast/core/ostream.hpp>
#include <gtest/gtest.h>
#include <sstream>

#include "core/http/response.hpp"

namespace gapura::core::http {
namespace {

std::string beast_bytes(const Response& res) {
    std::ostringstream os;
    os << res;
    return os.str();
}

std::string ours(const Response& res) {
    std::string head;
    head.reserve(3);
    head = "stale bytes from the previous answer";
    serialize_head(res, head);
    return head + res.body();
}

TEST(SerializeHead, MatchesBeastForAnOrdinaryAnswer) {
    auto res = json_response(Status::ok, R"({"status":"ok"})");
    res.set("X-Request-Id", "abc-1");
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(true);
    EXPECT_EQ(ours(res), beast_bytes(res));
    EXPECT_EQ(ours(res).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST(SerializeHead, MatchesBeastForErrorsRedirectsAndRepeatedFields) {
    auto res = html_response(Status::not_found, "<p>tidak ada</p>");
    res.insert(bhttp::field::set_cookie, "a=1; HttpOnly");
    res.insert(bhttp::field::set_cookie, "b=2; HttpOnly");
    res.keep_alive(false);
    EXPECT_EQ(ours(res), beast_bytes(res));
    auto r = redirect("/masuk?next=%2Fakun");
    EXPECT_EQ(ours(r), beast_bytes(r));
    auto limited = text_response(Status::too_many_requests, "coba lagi nanti\n");
    limited.set(bhttp::field::retry_after, "60");
    EXPECT_EQ(ours(limited), beast_bytes(limited));
}

TEST(SerializeHead, MatchesBeastForHttp10AndACustomReason) {
    auto res = text_response(Status::ok, "ok\n");
    res.version(10);
    res.keep_alive(true);
    EXPECT_EQ(ours(res), beast_bytes(res));
    EXPECT_EQ(ours(res).rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
    res.reason("Baik");
    EXPECT_EQ(ours(res), beast_bytes(res));
}

TEST(SerializeHead, HeadAnswerKeepsTheDeclaredLengthWithoutABody) {
    auto res = html_response(Status::ok, std::string(1234, 'x'));
    res.body().clear();
    res.content_length(1234);
    std::string head;
    serialize_head(res, head);
    EXPECT_NE(head.find("Content-Length: 1234\r\n"), std::string::npos);
    EXPECT_EQ(head.find("Content-Length: 0"), std::string::npos);
    EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

TEST(SerializeHead, AddsContentLengthOnlyWhereABodyMayBe) {
    Response res{Status::ok, 11};
    res.body() = "hello";
    std::string head;
    serialize_head(res, head);
    EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos);
    Response none{Status::no_content, 11};
    serialize_head(none, head);
    EXPECT_EQ(head, "HTTP/1.1 204 No Content\r\n\r\n");
    Response cont{Status::continue_, 11};
    serialize_head(cont, head);
    EXPECT_EQ(head, "HTTP/1.1 100 Continue\r\n\r\n");
}

}  // namespace
}  // namespace gapura::core::http
