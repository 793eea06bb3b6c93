// Decoding of application/x-www-form-urlencoded bodies and URL query strings.
// A Form is an ordered list of (name, value) pairs; both are percent-decoded and checked to be
// valid UTF-8. Value type, no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gapura::core::http {

class Form {
public:
    static constexpr std::size_t kMaxFields = 1000;

    // Parses "a=1&b=two+words". Returns nullopt on a malformed escape, invalid UTF-8, or more
    // than kMaxFields fields.
    static std::optional<Form> parse(std::string_view text);

    std::optional<std::string_view> get(std::string_view name) const;
    // The value or "" when absent.
    std::string_view value(std::string_view name) const;
    std::vector<std::string_view> all(std::string_view name) const;
    bool has(std::string_view name) const { return get(name).has_value(); }
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
    void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace gapura::core::http
