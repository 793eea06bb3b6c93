// HTTP message types used everywhere in Gapura: Beast requests and responses with string bodies.
#pragma once

#include <boost/beast/http.hpp>

namespace gapura::core::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Method = bhttp::verb;
using Status = bhttp::status;

}  // namespace gapura::core::http
