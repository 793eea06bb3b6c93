// Config: the one typed configuration struct, loaded once at start (a `key = value` file, then
// GAPURA_* environment variables), validated, and passed down by const reference. Secrets are
// not here: the CSRF/session key lives in var/secret.key, created on first start.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace gapura {

struct Config {
    std::string database = "sqlite://var/gapura.db";
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    std::string regency_dir = "data/regencies/tuban";  // regency.json, kecamatan.csv, opd.csv
    std::string holidays_file = "data/holidays/indonesia.csv";  // national holidays + cuti bersama
    std::string area_data_dir = "node_modules/idn-area-data/data";  // districts.csv, villages.csv
    std::string web_dir = "web";                       // templates/, static/, i18n/
    std::string modules_dir = "src/modules";           // <module>/templates/
    std::string node_modules_dir = "node_modules";     // served under /static/vendor/ (allow-list)
    std::string var_dir = "var";                       // database, files, secret key, logs
    std::string public_url = "http://127.0.0.1:8080";
    int io_threads = 0;       // event loops; 0 ("auto") = one per CPU this process may run on
    // Blocking pool (database, files, password hashing). Its threads mostly wait (on a read
    // connection, on the disk, on the commit of a group of writes: a write waiting for its group
    // holds a worker), so it is sized for concurrency, not for cores; argon2 is bounded apart.
    int workers = 32;
    int max_queue = 512;      // requests waiting for the pool before 503
    int db_readers = 4;
    std::size_t max_header_bytes = 8 * 1024;
    int header_timeout_s = 10;
    int idle_timeout_s = 30;
    int body_timeout_s = 60;
    int shutdown_grace_s = 10;
    bool trust_proxy = false;  // honour X-Forwarded-For / X-Forwarded-Proto from the proxy
    std::string access_log = "-";  // "-" = stdout, "off", or a path
    std::string log_level = "info";
    int session_ttl_s = 14 * 24 * 3600;
    std::string password_cost = "interactive";  // interactive | moderate | min (tests only)
    std::string default_lang = "id";
    // Map tiles for the pages with a map (any XYZ tile server; OpenStreetMap when empty).
    std::string map_tile_url;
    std::string map_tile_attribution;
};

struct ConfigError {
    std::string message;  // one line naming the key and what is wrong
};

// Applies `key = value` lines from `text` (blank lines and # comments allowed). Throws ConfigError.
void apply_config_text(Config& cfg, const std::string& text, const std::string& origin);
// Applies GAPURA_<KEY> environment variables (GAPURA_DATABASE, GAPURA_LISTEN, ...). Throws ConfigError.
void apply_config_env(Config& cfg, const std::map<std::string, std::string>& env);
// Sets one key; GAPURA_LISTEN and `listen` take "host:port". Throws ConfigError.
void set_config_value(Config& cfg, const std::string& key, const std::string& value, const std::string& origin);

}  // namespace gapura
