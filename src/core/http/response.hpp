// Response builders and the one table that maps domain error codes to HTTP statuses.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/http/types.hpp"
#include "core/util/result.hpp"

namespace gapura::core::http {

Status status_for(ErrorCode code);

Response make_response(Status status, std::string body, std::string_view content_type);
Response html_response(Status status, std::string body);
Response json_response(Status status, std::string body);
Response text_response(Status status, std::string body);
// 303 See Other to a local path (the caller checks the path is local).
Response redirect(std::string_view location, Status status = Status::see_other);

// Writes the status line and header fields of `res`, ending with the blank line, into `out`
// (cleared first), exactly as Beast's serializer would; the server sends it and the body as two
// buffers in one write. Adds Content-Length when the response has a body but no framing field.
// Not for chunked responses with a body in memory (the caller falls back to Beast's serializer);
// a response with a BodySource gets no framing field added (the server frames its body).
void serialize_head(const Response& res, std::string& out);

}  // namespace gapura::core::http
