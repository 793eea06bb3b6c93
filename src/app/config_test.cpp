// Unit tests for app/config: `key = value` files, GAPURA_* environment variables and validation.
#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace gapura {
namespace {

// Runs `f`, expects a ConfigError, and returns its message ("" if nothing was thrown).
template <class F>
std::string config_error(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.message;
    }
    ADD_FAILURE() << "expected ConfigError";
    return {};
}

std::string set_error(const std::string& key, const std::string& value) {
    Config c;
    return config_error([&] { set_config_value(c, key, value, "test"); });
}

std::string env_error(const std::string& var, const std::string& value) {
    Config c;
    return config_error([&] { apply_config_env(c, {{var, value}}); });
}

// ---------------------------------------------------------------------------------------------
// Defaults

TEST(ConfigDefaults, AreSafeForLocalUse) {
    Config c;
    EXPECT_EQ(c.database, "sqlite://var/gapura.db");
    EXPECT_EQ(c.listen_host, "127.0.0.1");
    EXPECT_EQ(c.listen_port, 8080);
    EXPECT_FALSE(c.trust_proxy);
    EXPECT_EQ(c.default_lang, "id");
}

// ---------------------------------------------------------------------------------------------
// apply_config_text

TEST(ConfigText, ParsesKeyValueLines) {
    Config c;
    apply_config_text(c,
                      "database = sqlite://var/test.db\n"
                      "listen = 0.0.0.0:9090\n"
                      "workers = 8\n"
                      "trust_proxy = true\n"
                      "log_level = debug\n"
                      "default_lang = en\n"
                      "public_url = https://tubankab.go.id\n",
                      "gapura.conf");
    EXPECT_EQ(c.database, "sqlite://var/test.db");
    EXPECT_EQ(c.listen_host, "0.0.0.0");
    EXPECT_EQ(c.listen_port, 9090);
    EXPECT_EQ(c.workers, 8);
    EXPECT_TRUE(c.trust_proxy);
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.default_lang, "en");
    EXPECT_EQ(c.public_url, "https://tubankab.go.id");
}

TEST(ConfigText, SkipsBlankLinesAndComments) {
    Config c;
    apply_config_text(c, "\n   \n# a comment\n  # indented comment\nworkers=3\n\n", "f");
    EXPECT_EQ(c.workers, 3);
}

TEST(ConfigText, TrimsWhitespaceAndWindowsLineEndings) {
    Config c;
    apply_config_text(c, "  io_threads\t=\t4  \r\nvar_dir = /srv/gapura/var\r\n", "f");
    EXPECT_EQ(c.io_threads, 4);
    apply_config_text(c, "io_threads = auto\n", "f");
    EXPECT_EQ(c.io_threads, 0);
    EXPECT_EQ(c.var_dir, "/srv/gapura/var");
}

TEST(ConfigText, ValueMayContainEquals) {
    Config c;
    apply_config_text(c, "database = postgresql://u@h/db?sslmode=require\n", "f");
    EXPECT_EQ(c.database, "postgresql://u@h/db?sslmode=require");
}

TEST(ConfigText, LastLineWithoutNewline) {
    Config c;
    apply_config_text(c, "workers = 2\nmax_queue = 99", "f");
    EXPECT_EQ(c.max_queue, 99);
}

TEST(ConfigText, EmptyTextChangesNothing) {
    Config c;
    apply_config_text(c, "", "f");
    EXPECT_EQ(c.workers, Config{}.workers);
}

TEST(ConfigText, LaterLinesOverrideEarlier) {
    Config c;
    apply_config_text(c, "workers = 2\nworkers = 5\n", "f");
    EXPECT_EQ(c.workers, 5);
}

TEST(ConfigText, LineWithoutEqualsThrowsWithLineNumber) {
    Config c;
    auto msg = config_error([&] { apply_config_text(c, "workers = 2\n\njust words\n", "gapura.conf"); });
    EXPECT_NE(msg.find("gapura.conf:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("key = value"), std::string::npos) << msg;
}

TEST(ConfigText, BadValueErrorNamesFileLineAndKey) {
    Config c;
    auto msg = config_error([&] { apply_config_text(c, "# x\nworkers = many\n", "gapura.conf"); });
    EXPECT_NE(msg.find("gapura.conf:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("workers"), std::string::npos) << msg;
    EXPECT_NE(msg.find("many"), std::string::npos) << msg;
}

TEST(ConfigText, UnknownKeyIsNamed) {
    Config c;
    auto msg = config_error([&] { apply_config_text(c, "wokers = 2\n", "f"); });
    EXPECT_NE(msg.find("wokers"), std::string::npos) << msg;
}

TEST(ConfigText, InlineCommentIsPartOfTheValue) {
    // Only whole-line comments exist; a trailing "# ..." makes the value invalid (not silently cut).
    Config c;
    auto msg = config_error([&] { apply_config_text(c, "log_level = info # verbose later\n", "f"); });
    EXPECT_NE(msg.find("log_level"), std::string::npos) << msg;
}

TEST(ConfigText, EarlierValuesStayAppliedWhenALaterLineFails) {
    Config c;
    (void)config_error([&] { apply_config_text(c, "workers = 7\nworkers = x\n", "f"); });
    EXPECT_EQ(c.workers, 7);
}

// ---------------------------------------------------------------------------------------------
// apply_config_env

TEST(ConfigEnv, DatabaseFromEnvironment) {
    Config c;
    apply_config_env(c, {{"GAPURA_DATABASE", "sqlite:///tmp/x.db"}});
    EXPECT_EQ(c.database, "sqlite:///tmp/x.db");
}

TEST(ConfigEnv, ListenIpv4) {
    Config c;
    apply_config_env(c, {{"GAPURA_LISTEN", "0.0.0.0:80"}});
    EXPECT_EQ(c.listen_host, "0.0.0.0");
    EXPECT_EQ(c.listen_port, 80);
}

TEST(ConfigEnv, ListenBracketedIpv6) {
    Config c;
    apply_config_env(c, {{"GAPURA_LISTEN", "[::1]:8080"}});
    EXPECT_EQ(c.listen_host, "::1");
    EXPECT_EQ(c.listen_port, 8080);
}

TEST(ConfigEnv, ListenFullIpv6AndHostname) {
    Config c;
    apply_config_env(c, {{"GAPURA_LISTEN", "[2001:db8::1]:443"}});
    EXPECT_EQ(c.listen_host, "2001:db8::1");
    EXPECT_EQ(c.listen_port, 443);
    apply_config_env(c, {{"GAPURA_LISTEN", "localhost:65535"}});
    EXPECT_EQ(c.listen_host, "localhost");
    EXPECT_EQ(c.listen_port, 65535);
}

TEST(ConfigEnv, ListenPortZeroMeansAnyPort) {
    Config c;
    apply_config_env(c, {{"GAPURA_LISTEN", "127.0.0.1:0"}});
    EXPECT_EQ(c.listen_port, 0);
}

TEST(ConfigEnv, KeyIsCaseFoldedFromVariableName) {
    Config c;
    apply_config_env(c, {{"GAPURA_WORKERS", "16"}, {"GAPURA_LOG_LEVEL", "warn"}});
    EXPECT_EQ(c.workers, 16);
    EXPECT_EQ(c.log_level, "warn");
}

TEST(ConfigEnv, IgnoresNonGapuraVariablesAndReservedOnes) {
    Config c;
    EXPECT_NO_THROW(apply_config_env(c, {{"PATH", "/usr/bin"},
                                         {"HOME", "/root"},
                                         {"gapura_workers", "99"},
                                         {"GAPURA_CONFIG", "/etc/gapura.conf"},
                                         {"GAPURA_SOURCE_DIR", "/src"}}));
    EXPECT_EQ(c.workers, Config{}.workers);
}

TEST(ConfigEnv, EnvironmentOverridesFile) {
    Config c;
    apply_config_text(c, "listen = 127.0.0.1:8000\n", "f");
    apply_config_env(c, {{"GAPURA_LISTEN", "0.0.0.0:9000"}});
    EXPECT_EQ(c.listen_host, "0.0.0.0");
    EXPECT_EQ(c.listen_port, 9000);
}

TEST(ConfigEnv, UnknownGapuraVariableThrowsNamingIt) {
    auto msg = env_error("GAPURA_DATABSE", "sqlite://x");
    EXPECT_NE(msg.find("GAPURA_DATABSE"), std::string::npos) << msg;
    EXPECT_NE(msg.find("databse"), std::string::npos) << msg;
}

TEST(ConfigEnv, BadDatabaseThrowsNamingKey) {
    for (const char* v : {"", "mysql://x", "sqlite:/x", "/var/gapura.db", "SQLITE://x", "sqlite://",
                          "' OR 1=1 --"}) {
        auto msg = env_error("GAPURA_DATABASE", v);
        EXPECT_NE(msg.find("GAPURA_DATABASE"), std::string::npos) << v << " -> " << msg;
        EXPECT_NE(msg.find("database"), std::string::npos) << v << " -> " << msg;
    }
}

TEST(ConfigEnv, BadListenThrowsNamingKey) {
    for (const char* v : {"", "8080", ":8080", "localhost", "localhost:", "localhost:http", "localhost:65536",
                          "localhost:-1", "localhost:80x", "localhost: 80", "[::1]", "[::1]8080",
                          "localhost:99999999999999999999999"}) {
        auto msg = env_error("GAPURA_LISTEN", v);
        EXPECT_NE(msg.find("GAPURA_LISTEN"), std::string::npos) << v << " -> " << msg;
        EXPECT_NE(msg.find("listen"), std::string::npos) << v << " -> " << msg;
    }
}

TEST(ConfigEnv, MalformedListenHostIsRejected) {
    for (const char* v : {"::1", "[::1:8080", "[]:80"}) {
        auto msg = env_error("GAPURA_LISTEN", v);
        EXPECT_NE(msg.find("listen"), std::string::npos) << v << " -> " << msg;
    }
}

// ---------------------------------------------------------------------------------------------
// set_config_value: every validated key

TEST(ConfigValue, IntegerRangesAreEnforcedAndKeyNamed) {
    const std::map<std::string, std::pair<std::string, std::string>> cases = {
        // key: {below range, above range}
        {"io_threads", {"0", "65"}},          {"workers", {"0", "257"}},
        {"max_queue", {"0", "100001"}},       {"db_readers", {"0", "65"}},
        {"max_header_bytes", {"1023", "1048577"}}, {"header_timeout_s", {"0", "3601"}},
        {"idle_timeout_s", {"0", "3601"}},    {"body_timeout_s", {"0", "86401"}},
        {"shutdown_grace_s", {"-1", "601"}},  {"session_ttl_s", {"59", "31536001"}},
    };
    for (const auto& [key, bad] : cases) {
        for (const auto& v : {bad.first, bad.second, std::string("ten"), std::string(""), std::string("1.5"),
                              std::string("+5"), std::string(" 5"), std::string("5\0", 2)}) {
            auto msg = set_error(key, v);
            EXPECT_NE(msg.find(key), std::string::npos) << key << "=" << v << " -> " << msg;
        }
    }
}

TEST(ConfigValue, IntegerBoundsAreInclusive) {
    Config c;
    set_config_value(c, "workers", "1", "t");
    EXPECT_EQ(c.workers, 1);
    set_config_value(c, "workers", "256", "t");
    EXPECT_EQ(c.workers, 256);
    set_config_value(c, "max_header_bytes", "1048576", "t");
    EXPECT_EQ(c.max_header_bytes, 1048576u);
    set_config_value(c, "shutdown_grace_s", "0", "t");
    EXPECT_EQ(c.shutdown_grace_s, 0);
}

TEST(ConfigValue, BooleanForms) {
    Config c;
    for (const char* t : {"true", "1", "yes"}) {
        c.trust_proxy = false;
        set_config_value(c, "trust_proxy", t, "t");
        EXPECT_TRUE(c.trust_proxy) << t;
    }
    for (const char* f : {"false", "0", "no"}) {
        c.trust_proxy = true;
        set_config_value(c, "trust_proxy", f, "t");
        EXPECT_FALSE(c.trust_proxy) << f;
    }
}

TEST(ConfigValue, BadBooleanNamesKey) {
    for (const char* v : {"", "TRUE", "on", "y", "2", "true "}) {
        auto msg = set_error("trust_proxy", v);
        EXPECT_NE(msg.find("trust_proxy"), std::string::npos) << v << " -> " << msg;
    }
}

TEST(ConfigValue, EnumeratedValuesAreChecked) {
    for (const char* v : {"", "INFO", "verbose", "info\n"}) {
        EXPECT_NE(set_error("log_level", v).find("log_level"), std::string::npos) << v;
    }
    for (const char* v : {"", "high", "MIN"}) {
        EXPECT_NE(set_error("password_cost", v).find("password_cost"), std::string::npos) << v;
    }
    for (const char* v : {"", "fr", "ID", "id-ID"}) {
        EXPECT_NE(set_error("default_lang", v).find("default_lang"), std::string::npos) << v;
    }
}

TEST(ConfigValue, PublicUrlNeedsHttpScheme) {
    for (const char* v : {"", "ftp://x", "tubankab.go.id", "javascript:alert(1)", "HTTP://x"}) {
        EXPECT_NE(set_error("public_url", v).find("public_url"), std::string::npos) << v;
    }
    Config c;
    set_config_value(c, "public_url", "http://127.0.0.1:8080", "t");
    EXPECT_EQ(c.public_url, "http://127.0.0.1:8080");
}

TEST(ConfigValue, ErrorMessageIsOneLineAndQuotesValue) {
    auto msg = set_error("workers", "<script>");
    EXPECT_NE(msg.find("'<script>'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(ConfigValue, ErrorMessageStartsWithOrigin) {
    Config c;
    auto msg = config_error([&] { set_config_value(c, "workers", "x", "environment GAPURA_WORKERS"); });
    EXPECT_EQ(msg.rfind("environment GAPURA_WORKERS: ", 0), 0u) << msg;
}

TEST(ConfigValue, FailedSetLeavesOldValue) {
    Config c;
    c.listen_port = 1234;
    c.listen_host = "10.0.0.1";
    (void)config_error([&] { set_config_value(c, "workers", "0", "t"); });
    EXPECT_EQ(c.workers, Config{}.workers);
    (void)config_error([&] { set_config_value(c, "database", "mysql://x", "t"); });
    EXPECT_EQ(c.database, Config{}.database);
}

TEST(ConfigValue, FailedListenLeavesOldHost) {
    Config c;
    (void)config_error([&] { set_config_value(c, "listen", "10.9.9.9:http", "t"); });
    EXPECT_EQ(c.listen_host, Config{}.listen_host);
}

TEST(ConfigValue, PathSettingsAreTakenVerbatim) {
    Config c;
    set_config_value(c, "regency_dir", "data/regencies/lamongan", "t");
    set_config_value(c, "web_dir", "/opt/gapura/web", "t");
    set_config_value(c, "modules_dir", "mods", "t");
    set_config_value(c, "node_modules_dir", "nm", "t");
    set_config_value(c, "area_data_dir", "area", "t");
    set_config_value(c, "access_log", "off", "t");
    EXPECT_EQ(c.regency_dir, "data/regencies/lamongan");
    EXPECT_EQ(c.web_dir, "/opt/gapura/web");
    EXPECT_EQ(c.modules_dir, "mods");
    EXPECT_EQ(c.node_modules_dir, "nm");
    EXPECT_EQ(c.area_data_dir, "area");
    EXPECT_EQ(c.access_log, "off");
}

TEST(ConfigValue, KeysAreCaseSensitive) {
    auto msg = set_error("Workers", "4");
    EXPECT_NE(msg.find("Workers"), std::string::npos) << msg;
}

}  // namespace
}  // namespace gapura
