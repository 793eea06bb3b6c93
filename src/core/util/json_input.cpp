#include "core/util/json_input.hpp"

#include "core/util/strings.hpp"

namespace gapura::util {

Result<boost::json::object> parse_json_object(std::string_view body, std::initializer_list<std::string_view> allowed,
                                              std::size_t max_depth) {
    if (!valid_utf8(body)) return make_error(ErrorCode::bad_request, "err_json_invalid", "invalid UTF-8");
    boost::json::parse_options opts;
    opts.max_depth = max_depth;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec, {}, opts);
    if (ec) return make_error(ErrorCode::bad_request, "err_json_invalid", ec.message());
    if (!v.is_object()) return make_error(ErrorCode::bad_request, "err_json_not_object");
    auto& obj = v.as_object();
    Error unknown{ErrorCode::bad_request, "err_json_unknown_field", {}, {}, 0};
    for (const auto& kv : obj) {
        bool ok = false;
        for (auto a : allowed) {
            if (kv.key() == a) ok = true;
        }
        if (!ok) unknown.fields.push_back(FieldError{std::string(kv.key()), "err_json_unknown_field"});
    }
    if (!unknown.fields.empty()) return unknown;
    return std::move(obj);
}

std::optional<std::string> json_string(const boost::json::object& o, std::string_view key, bool& wrong_type) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_string()) {
        wrong_type = true;
        return std::nullopt;
    }
    return std::string(it->value().as_string());
}

}  // namespace gapura::util
