// Strict JSON input for API requests: size and depth limits, an object at the top level, and
// a closed set of allowed keys (unknown fields are an error, named in the answer).
#pragma once

#include <boost/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace gapura::util {

Result<boost::json::object> parse_json_object(std::string_view body, std::initializer_list<std::string_view> allowed,
                                              std::size_t max_depth = 16);

// Reads a string member; nullopt if absent. Sets `wrong_type` when present but not a string.
std::optional<std::string> json_string(const boost::json::object& o, std::string_view key, bool& wrong_type);

}  // namespace gapura::util
