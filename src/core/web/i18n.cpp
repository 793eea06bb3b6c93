#include "core/web/i18n.hpp"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/util/strings.hpp"

namespace gapura::core::web {

void I18n::load_dir(const std::string& dir) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir)) throw std::runtime_error("message catalog folder not found: " + dir);
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        std::stringstream ss;
        ss << in.rdbuf();
        boost::system::error_code ec;
        auto v = boost::json::parse(ss.str(), ec);
        if (ec || !v.is_object()) throw std::runtime_error("bad message catalog " + entry.path().string());
        const std::string lang = entry.path().stem().string();
        for (const auto& kv : v.as_object()) {
            if (!kv.value().is_string()) throw std::runtime_error("non-string message " + std::string(kv.key()));
            add(lang, std::string(kv.key()), std::string(kv.value().as_string()));
        }
    }
}

void I18n::add(const std::string& lang, const std::string& key, const std::string& text) {
    catalogs_[lang][key] = text;
}

void I18n::finish() {
    data_.clear();
    for (const auto& [lang, cat] : catalogs_) {
        kainjow::mustache::data t{kainjow::mustache::data::type::object};
        for (const auto& [k, v] : cat) t.set(k, v);
        kainjow::mustache::data root{kainjow::mustache::data::type::object};
        root.set("t", t);
        data_.emplace(lang, std::move(root));
    }
}

const std::string& I18n::t(std::string_view lang, std::string_view key) const {
    static const std::string kEmpty;
    auto it = catalogs_.find(std::string(lang));
    if (it != catalogs_.end()) {
        auto m = it->second.find(std::string(key));
        if (m != it->second.end()) return m->second;
    }
    auto d = catalogs_.find(kDefault);
    if (d != catalogs_.end()) {
        auto m = d->second.find(std::string(key));
        if (m != d->second.end()) return m->second;
    }
    thread_local std::string fallback;
    fallback = std::string(key);
    return fallback;
}

std::vector<std::string> I18n::langs() const {
    std::vector<std::string> out;
    for (const auto& [k, _] : catalogs_) out.push_back(k);
    return out;
}

const std::map<std::string, std::string>* I18n::catalog(const std::string& lang) const {
    auto it = catalogs_.find(lang);
    return it == catalogs_.end() ? nullptr : &it->second;
}

const kainjow::mustache::data& I18n::template_data(std::string_view lang) const {
    auto it = data_.find(std::string(lang));
    if (it != data_.end()) return it->second;
    it = data_.find(kDefault);
    return it != data_.end() ? it->second : empty_;
}

std::string I18n::negotiate(std::string_view accept, const std::string& fallback) const {
    // First language tag (by q order as written) that we have.
    double best_q = -1;
    std::string best;
    for (auto part : util::split(accept, ',')) {
        part = util::trim(part);
        auto semi = part.find(';');
        std::string tag = util::to_lower_ascii(util::trim(part.substr(0, semi)));
        double q = 1.0;
        if (semi != std::string_view::npos) {
            auto params = part.substr(semi + 1);
            auto qpos = params.find("q=");
            if (qpos != std::string_view::npos) q = util::parse_double(util::trim(params.substr(qpos + 2))).value_or(0);
        }
        std::string primary = tag.substr(0, tag.find('-'));
        if (primary == "in") primary = "id";
        if (has_lang(primary) && q > 0 && q > best_q) {
            best_q = q;
            best = primary;
        }
    }
    return best.empty() ? fallback : best;
}

}  // namespace gapura::core::web
