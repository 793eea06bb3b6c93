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

}  // namespace gapura::core::http
