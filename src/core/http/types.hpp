// HTTP message types used everywhere in Gapura: Beast requests and responses with string bodies.
// A response may instead carry a BodySource (core/http/body.hpp): a body produced in pieces while
// it is sent (a file read from disk, or a generator), so that large downloads are never held in
// memory whole. A response may also stand for an answer that is not ready yet (PendingAnswer).
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
class PendingAnswer;

struct Response : bhttp::response<bhttp::string_body> {
    using Base = bhttp::response<bhttp::string_body>;
    using Base::Base;
    Response() = default;
    Response(Base b) : Base(std::move(b)) {}  // NOLINT: a plain Beast response is a Response

    // When set, the body is produced by `source` as it is written (body() stays empty); the
    // server frames it with Content-Length when the source knows its size, chunked otherwise.
    std::shared_ptr<BodySource> source;
    // When set, the answer is not ready yet (core/http/pending.hpp): the rest of this object is
    // meaningless; the server waits for `pending` and sends what it gives.
    std::shared_ptr<PendingAnswer> pending;
};

}  // namespace gapura::core::http
