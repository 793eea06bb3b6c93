#include "core/http/form.hpp"

#include "core/util/strings.hpp"

namespace gapura::core::http {

std::optional<Form> Form::parse(std::string_view text) {
    Form f;
    if (text.empty()) return f;
    for (auto part : util::split(text, '&')) {
        if (part.empty()) continue;
        if (f.fields_.size() >= kMaxFields) return std::nullopt;
        auto eq = part.find('=');
        auto raw_name = part.substr(0, eq);
        auto raw_value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
        auto name = util::percent_decode(raw_name, true);
        auto value = util::percent_decode(raw_value, true);
        if (!name || !value || !util::valid_utf8(*name) || !util::valid_utf8(*value)) return std::nullopt;
        f.fields_.emplace_back(std::move(*name), std::move(*value));
    }
    return f;
}

std::optional<std::string_view> Form::get(std::string_view name) const {
    for (const auto& [k, v] : fields_) {
        if (k == name) return std::string_view(v);
    }
    return std::nullopt;
}

std::string_view Form::value(std::string_view name) const { return get(name).value_or(std::string_view{}); }

std::vector<std::string_view> Form::all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : fields_) {
        if (k == name) out.emplace_back(v);
    }
    return out;
}

}  // namespace gapura::core::http
