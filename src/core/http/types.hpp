// HTTP message types used everywhere in Gapura: Beast requests and responses with string bodies.
// A response may instead carry a BodySource (core/http/body.hpp): a body produced in pieces while
// it is sent (a file read from disk, or a generator), so that large downloads are never held in
// memory whole.
#pragma once

#include <boost/beast/http.hpp>
#include <memory>
#include <utility>

namespace gapura::core::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Method = bhttp::verb;
using Status = bhttp::status;

class BodySource;

struct Response : bhttp::response<bhttp::string_body> {
    using Base = bhttp::response<bhttp::string_body>;
    using Base::Base;
    Response() = default;
    Response(Base b) : Base(std::move(b)) {}  // NOLINT: a plain Beast response is a Response

    // When set, the body is produced by `source` as it is written (body() stays empty); the
    // server frames it with Content-Length when the source knows its size, chunked otherwise.
    std::shared_ptr<BodySource> source;
};

}  // namespace gapura::core::http
