#include "app/config.hpp"

#include <cctype>
#include <sstream>

#include "core/util/strings.hpp"

namespace gapura {

namespace {
int to_int(const std::string& key, const std::string& v, int lo, int hi, const std::string& origin) {
    auto n = util::parse_int(v);
    if (!n || *n < lo || *n > hi)
        throw ConfigError{origin + ": " + key + " must be a whole number from " + std::to_string(lo) + " to " +
                          std::to_string(hi) + " (got '" + v + "')"};
    return static_cast<int>(*n);
}
bool to_bool(const std::string& key, const std::string& v, const std::string& origin) {
    if (v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    throw ConfigError{origin + ": " + key + " must be true or false (got '" + v + "')"};
}
}  // namespace

void set_config_value(Config& c, const std::string& key, const std::string& v, const std::string& origin) {
    if (key == "database") {
        if (!util::starts_with(v, "sqlite://") && !util::starts_with(v, "postgresql://"))
            throw ConfigError{origin + ": database must be sqlite://PATH or postgresql://... (got '" + v + "')"};
        if (v == "sqlite://") throw ConfigError{origin + ": database has an empty sqlite path"};
        c.database = v;
    } else if (key == "listen") {
        auto bad = [&] { return ConfigError{origin + ": listen must be host:port or [ipv6]:port (got '" + v + "')"}; };
        std::string host, port;
        if (!v.empty() && v[0] == '[') {
            auto close = v.find(']');
            if (close == std::string::npos || close == 1 || close + 1 >= v.size() || v[close + 1] != ':') throw bad();
            host = v.substr(1, close - 1);
            port = v.substr(close + 2);
        } else {
            auto colon = v.find(':');
            if (colon == std::string::npos || colon == 0 || v.find(':', colon + 1) != std::string::npos) throw bad();
            host = v.substr(0, colon);
            port = v.substr(colon + 1);
        }
        for (char ch : host)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':')) throw bad();
        const int p = to_int(key, port, 0, 65535, origin);
        c.listen_host = host;
        c.listen_port = static_cast<std::uint16_t>(p);
    } else if (key == "regency_dir") c.regency_dir = v;
    else if (key == "area_data_dir") c.area_data_dir = v;
    else if (key == "holidays_file") c.holidays_file = v;
    else if (key == "web_dir") c.web_dir = v;
    else if (key == "modules_dir") c.modules_dir = v;
    else if (key == "node_modules_dir") c.node_modules_dir = v;
    else if (key == "var_dir") c.var_dir = v;
    else if (key == "public_url") {
        if (!util::starts_with(v, "http://") && !util::starts_with(v, "https://"))
            throw ConfigError{origin + ": public_url must start with http:// or https:// (got '" + v + "')"};
        c.public_url = v;
    } else if (key == "io_threads") c.io_threads = v == "auto" ? 0 : to_int(key, v, 1, 64, origin);
    else if (key == "workers") c.workers = to_int(key, v, 1, 256, origin);
    else if (key == "max_queue") c.max_queue = to_int(key, v, 1, 100000, origin);
    else if (key == "db_readers") c.db_readers = to_int(key, v, 1, 64, origin);
    else if (key == "max_header_bytes") c.max_header_bytes = static_cast<std::size_t>(to_int(key, v, 1024, 1 << 20, origin));
    else if (key == "header_timeout_s") c.header_timeout_s = to_int(key, v, 1, 3600, origin);
    else if (key == "idle_timeout_s") c.idle_timeout_s = to_int(key, v, 1, 3600, origin);
    else if (key == "body_timeout_s") c.body_timeout_s = to_int(key, v, 1, 86400, origin);
    else if (key == "shutdown_grace_s") c.shutdown_grace_s = to_int(key, v, 0, 600, origin);
    else if (key == "trust_proxy") c.trust_proxy = to_bool(key, v, origin);
    else if (key == "access_log") c.access_log = v;
    else if (key == "log_level") {
        if (v != "trace" && v != "debug" && v != "info" && v != "warn" && v != "error" && v != "off")
            throw ConfigError{origin + ": log_level must be trace, debug, info, warn, error or off (got '" + v + "')"};
        c.log_level = v;
    } else if (key == "session_ttl_s") c.session_ttl_s = to_int(key, v, 60, 365 * 24 * 3600, origin);
    else if (key == "password_cost") {
        if (v != "interactive" && v != "moderate" && v != "min")
            throw ConfigError{origin + ": password_cost must be interactive, moderate or min (got '" + v + "')"};
        c.password_cost = v;
    } else if (key == "default_lang") {
        if (v != "id" && v != "en") throw ConfigError{origin + ": default_lang must be id or en (got '" + v + "')"};
        c.default_lang = v;
    } else if (key == "map_tile_url") {
        if (!util::starts_with(v, "https://") || v.find("{z}") == std::string::npos)
            throw ConfigError{origin + ": map_tile_url must be an https:// URL with {z}, {x} and {y} (got '" + v + "')"};
        c.map_tile_url = v;
    } else if (key == "map_tile_attribution") {
        c.map_tile_attribution = v;
    } else {
        throw ConfigError{origin + ": unknown setting '" + key + "'"};
    }
}

void apply_config_text(Config& cfg, const std::string& text, const std::string& origin) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        auto t = util::trim(line);
        if (t.empty() || t[0] == '#') continue;
        auto eq = t.find('=');
        if (eq == std::string_view::npos)
            throw ConfigError{origin + ":" + std::to_string(n) + ": expected key = value"};
        set_config_value(cfg, std::string(util::trim(t.substr(0, eq))), std::string(util::trim(t.substr(eq + 1))),
                         origin + ":" + std::to_string(n));
    }
}

void apply_config_env(Config& cfg, const std::map<std::string, std::string>& env) {
    for (const auto& [k, v] : env) {
        if (!util::starts_with(k, "GAPURA_")) continue;
        std::string key = util::to_lower_ascii(k.substr(7));
        if (key == "config" || key == "source_dir") continue;  // handled elsewhere
        set_config_value(cfg, key, v, "environment " + k);
    }
}

}  // namespace gapura
