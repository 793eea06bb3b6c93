// I18n: message catalogs (web/i18n/<lang>.json, flat "key": "text" maps), Bahasa Indonesia
// first, English second. Every user-visible string comes from here; a missing key falls back
// to Indonesian, then to the key itself (and tests check both catalogs have the same keys).
// Loaded once at start; read-only afterwards, so safe to share between threads.
#pragma once

#include <kainjow/mustache.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gapura::core::web {

class I18n {
public:
    static constexpr const char* kDefault = "id";

    // Loads every <lang>.json in dir. Throws std::runtime_error naming the file on bad JSON.
    void load_dir(const std::string& dir);
    void add(const std::string& lang, const std::string& key, const std::string& text);
    void finish();  // builds the template data objects; call after loading

    const std::string& t(std::string_view lang, std::string_view key) const;
    bool has_lang(std::string_view lang) const { return catalogs_.count(std::string(lang)) > 0; }
    std::vector<std::string> langs() const;
    const std::map<std::string, std::string>* catalog(const std::string& lang) const;
    // {"t": {key: text, ...}} for templates: {{t.nav_home}}.
    const kainjow::mustache::data& template_data(std::string_view lang) const;
    // Picks "id" or "en" from an Accept-Language header; default when nothing matches.
    std::string negotiate(std::string_view accept_language, const std::string& fallback) const;

private:
    std::map<std::string, std::map<std::string, std::string>> catalogs_;
    std::map<std::string, kainjow::mustache::data> data_;
    kainjow::mustache::data empty_;
};

}  // namespace gapura::core::web
