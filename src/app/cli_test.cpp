// Unit tests for app/cli run_cli with string streams: help, usage and configuration errors
// (exit 2, one line naming the culprit), and a whole seed → user add → audit verify flow on a
// temporary var dir, including a tampered audit log (exit 1 naming the entry).
#include "app/cli.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/app.hpp"
#include "app/config.hpp"
#include "core/auth/auth_service.hpp"
#include "core/db/database.hpp"

namespace gapura {
namespace {

namespace fs = std::filesystem;

std::string source_dir() {
    if (const char* env = std::getenv("GAPURA_SOURCE_DIR"); env && *env) return env;
#ifdef GAPURA_SOURCE_DIR
    return GAPURA_SOURCE_DIR;
#else
    return ".";
#endif
}

struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
};

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> n{0};
        auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("gapura-cli-" + std::string(info->name()) + "-" +
                                            std::to_string(::getpid()) + "-" + std::to_string(n++));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        var_ = dir_ / "var";
        db_path_ = (dir_ / "g.db").string();
        const std::string src = source_dir();
        env_ = {
            {"GAPURA_VAR_DIR", var_.string()},
            {"GAPURA_DATABASE", "sqlite://" + db_path_},
            {"GAPURA_PASSWORD_COST", "min"},
            {"GAPURA_REGENCY_DIR", src + "/data/regencies/tuban"},
            {"GAPURA_AREA_DATA_DIR", src + "/node_modules/idn-area-data/data"},
            {"GAPURA_WEB_DIR", src + "/web"},
            {"GAPURA_MODULES_DIR", src + "/src/modules"},
            {"GAPURA_LOG_LEVEL", "off"},
            {"GAPURA_ACCESS_LOG", "off"},
            {"GAPURA_SOURCE_DIR", src},  // ignored by the configuration
            {"PATH", "/usr/bin:/bin"},   // non-GAPURA variables are ignored
            {"HOME", "/nonexistent"},
        };
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    CliRun run(std::vector<std::string> args, const std::string& stdin_text = "",
               std::map<std::string, std::string> env_override = {}, std::vector<std::string> env_remove = {}) {
        args.insert(args.begin(), "gapura");
        auto env = env_;
        for (const auto& k : env_remove) env.erase(k);
        for (const auto& [k, v] : env_override) env[k] = v;
        std::istringstream in(stdin_text);
        std::ostringstream out, err;
        CliRun r;
        r.code = run_cli(args, env, in, out, err);
        r.out = out.str();
        r.err = err.str();
        return r;
    }
    // A usage/configuration error: exit 2, nothing on stdout, exactly one line on stderr naming `what`.
    void expect_usage_error(const CliRun& r, const std::string& what) {
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_EQ(lines(r.err), 1u) << r.err;
        EXPECT_NE(r.err.find(what), std::string::npos) << "stderr does not name '" << what << "': " << r.err;
    }
    bool touched_nothing() const { return !fs::exists(db_path_) && !fs::exists(var_); }
    std::int64_t users_with(const std::string& email) {
        auto db = core::db::Database::open("sqlite://" + db_path_, 1);
        return db->read([&](core::db::Connection& c) {
            return core::db::scalar_int(c, "SELECT COUNT(*) FROM users WHERE email = ?", {email}).value_or(-1);
        });
    }

    fs::path dir_;
    fs::path var_;
    std::string db_path_;
    std::map<std::string, std::string> env_;
};

// ---------------------------------------------------------------------------------------------
// Help and version

TEST_F(CliTest, HelpExitsZeroAndListsCommands) {
    for (const std::string flag : {"--help", "-h"}) {
        auto r = run({flag});
        EXPECT_EQ(r.code, 0);
        EXPECT_TRUE(r.err.empty()) << r.err;
        for (const std::string word :
             {"Usage", "serve", "migrate", "seed", "user add", "--email", "--role", "audit verify", "GAPURA_DATABASE"})
            EXPECT_NE(r.out.find(word), std::string::npos) << "help does not mention " << word;
    }
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, VersionExitsZero) {
    auto r = run({"--version"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("gapura"), std::string::npos);
    EXPECT_TRUE(r.err.empty());
}

TEST_F(CliTest, HelpWinsOverBadEnvironment) {
    auto r = run({"--help"}, "", {{"GAPURA_FOO", "1"}});
    EXPECT_EQ(r.code, 0);
}

// ---------------------------------------------------------------------------------------------
// Usage errors

TEST_F(CliTest, NoCommandIsAUsageError) {
    expect_usage_error(run({}), "no command");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, UnknownCommandIsNamed) {
    expect_usage_error(run({"frobnicate"}), "'frobnicate'");
    expect_usage_error(run({"SEED"}), "'SEED'");
    expect_usage_error(run({""}), "''");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, UnknownFlagIsNamed) {
    expect_usage_error(run({"--frobnicate"}), "'--frobnicate'");
    expect_usage_error(run({"--frobnicate", "seed"}), "'--frobnicate'");
    expect_usage_error(run({"migrate", "--force"}), "'--force'");
    expect_usage_error(run({"seed", "--demo", "--extra"}), "'--extra'");
    expect_usage_error(run({"audit", "verify", "--fix"}), "'--fix'");
    expect_usage_error(run({"serve", "now"}), "'now'");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, HostileArgumentsAreReportedOnOneLine) {
    // Words typed by the user are echoed without control characters, so stderr stays one line.
    expect_usage_error(run({"evil\ncommand"}), "evil");
    expect_usage_error(run({"--evil\r\nflag"}), "evil");
    expect_usage_error(run({"migrate", "--x\n\x1b[2J"}), "--x");
    expect_usage_error(run({"user", "add", "--email", "a@b.id", "--role", "admin\nroot"}), "admin");
    auto r = run({std::string(10000, 'z')});
    expect_usage_error(r, "zzz");
    EXPECT_LT(r.err.size(), 300u) << "a huge argument is echoed in full";
    EXPECT_EQ(run({"\x1b[31mred"}).err.find('\x1b'), std::string::npos);
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, BadListenIsNamed) {
    for (const std::string v : {"nonsense", "127.0.0.1:99999", "127.0.0.1:http", ":8080", "127.0.0.1:"})
        expect_usage_error(run({"migrate"}, "", {{"GAPURA_LISTEN", v}}), "GAPURA_LISTEN");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, BadDatabaseIsNamed) {
    for (const std::string v : {"mysql://localhost/gapura", "", "sqlite://", "/var/lib/gapura.db"})
        expect_usage_error(run({"migrate"}, "", {{"GAPURA_DATABASE", v}}), "GAPURA_DATABASE");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, PostgresDatabaseSaysNotBuiltYet) {
    auto r = run({"migrate"}, "", {{"GAPURA_DATABASE", "postgresql://gapura@localhost/gapura"}});
    expect_usage_error(r, "not built yet");
    EXPECT_FALSE(fs::exists(db_path_));
}

TEST_F(CliTest, UnknownEnvironmentSettingIsNamed) {
    expect_usage_error(run({"migrate"}, "", {{"GAPURA_FOO", "1"}}), "GAPURA_FOO");
    expect_usage_error(run({"seed"}, "", {{"GAPURA_DATABASE_URL", "sqlite:///tmp/x.db"}}), "GAPURA_DATABASE_URL");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, OtherBadSettingsAreNamed) {
    expect_usage_error(run({"migrate"}, "", {{"GAPURA_PASSWORD_COST", "none"}}), "GAPURA_PASSWORD_COST");
    expect_usage_error(run({"migrate"}, "", {{"GAPURA_DB_READERS", "0"}}), "GAPURA_DB_READERS");
    expect_usage_error(run({"migrate"}, "", {{"GAPURA_LOG_LEVEL", "loud"}}), "GAPURA_LOG_LEVEL");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, UserAddWithoutEmailIsAUsageError) {
    expect_usage_error(run({"user", "add", "--role", "admin"}, "kata-sandi-rahasia\n"), "--email");
    expect_usage_error(run({"user", "add", "--email"}), "--email");
    expect_usage_error(run({"user", "add", "--email", "a@b.id"}), "--role");
    expect_usage_error(run({"user", "add", "--email", "a@b.id", "--role", "root"}), "root");
    expect_usage_error(run({"user", "add", "--email", "a@b.id", "--role", "admin", "--bogus", "x"}), "--bogus");
    expect_usage_error(run({"user"}), "'user'");
    expect_usage_error(run({"user", "remove"}), "add");
    expect_usage_error(run({"audit"}), "verify");
    expect_usage_error(run({"audit", "fix"}), "verify");
    EXPECT_TRUE(touched_nothing()) << "a usage error still opened the database";
}

TEST_F(CliTest, MissingConfigFileIsNamed) {
    const std::string missing = (dir_ / "no-such.conf").string();
    expect_usage_error(run({"--config", missing, "migrate"}), missing);
    expect_usage_error(run({"migrate"}, "", {{"GAPURA_CONFIG", missing}}), missing);
    expect_usage_error(run({"--config"}), "--config");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, BadConfigFileLineIsNamed) {
    const fs::path conf = dir_ / "gapura.conf";
    std::ofstream(conf) << "# comment\n\nlisten = 127.0.0.1:8080\nthis line has no equals sign\n";
    expect_usage_error(run({"--config", conf.string(), "migrate"}), conf.string() + ":4");
    std::ofstream(conf, std::ios::trunc) << "bogus_key = 1\n";
    expect_usage_error(run({"--config", conf.string(), "migrate"}), "bogus_key");
    EXPECT_TRUE(touched_nothing());
}

TEST_F(CliTest, EnvironmentOverridesConfigFile) {
    const fs::path conf = dir_ / "gapura.conf";
    std::ofstream(conf) << "database = sqlite://" << (dir_ / "from-file.db").string() << "\n";
    auto r = run({"--config", conf.string(), "migrate"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::exists(db_path_)) << "GAPURA_DATABASE did not override the file";
    EXPECT_FALSE(fs::exists(dir_ / "from-file.db"));
    auto r2 = run({"--config", conf.string(), "migrate"}, "", {}, {"GAPURA_DATABASE"});
    EXPECT_EQ(r2.code, 0) << r2.err;
    EXPECT_TRUE(fs::exists(dir_ / "from-file.db"));
}

TEST_F(CliTest, BadRegencyDirIsAConfigurationError) {
    auto r = run({"migrate"}, "", {{"GAPURA_REGENCY_DIR", (dir_ / "nowhere").string()}});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// The whole flow

TEST_F(CliTest, MigrateIsIdempotent) {
    auto a = run({"migrate"});
    EXPECT_EQ(a.code, 0) << a.err;
    EXPECT_NE(a.out.find("migrations applied"), std::string::npos);
    auto b = run({"migrate"});
    EXPECT_EQ(b.code, 0) << b.err;
    EXPECT_TRUE(fs::exists(var_ / "secret.key"));
}

TEST_F(CliTest, SeedUserAddAuditVerifyAndTamper) {
    auto seed = run({"seed"});
    ASSERT_EQ(seed.code, 0) << seed.err;
    EXPECT_NE(seed.out.find("reference data loaded"), std::string::npos) << seed.out;
    EXPECT_TRUE(seed.err.empty()) << seed.err;

    auto seed2 = run({"seed"});
    ASSERT_EQ(seed2.code, 0) << "seed is not idempotent: " << seed2.err;

    auto add = run({"user", "add", "--email", "a@b.id", "--role", "admin"}, "kata-sandi-rahasia\n");
    ASSERT_EQ(add.code, 0) << add.err;
    EXPECT_NE(add.out.find("added"), std::string::npos) << add.out;
    EXPECT_EQ(users_with("a@b.id"), 1);

    auto again = run({"user", "add", "--email", "A@B.id", "--role", "warga"}, "kata-sandi-lainnya\n");
    EXPECT_NE(again.code, 0);
    EXPECT_EQ(lines(again.err), 1u) << again.err;
    EXPECT_NE(again.err.find("err_email_taken"), std::string::npos) << again.err;
    EXPECT_EQ(users_with("a@b.id"), 1);

    auto ok = run({"audit", "verify"});
    EXPECT_EQ(ok.code, 0) << ok.err;
    EXPECT_NE(ok.out.find("audit log ok"), std::string::npos) << ok.out;

    {
        auto db = core::db::Database::open("sqlite://" + db_path_, 1);
        auto changed = db->write([](core::db::Connection& c) {
            return core::db::exec(c, "UPDATE audit_log SET summary = 'x' WHERE id = 2");
        });
        ASSERT_EQ(changed, 1) << "the seed wrote fewer than 2 audit entries";
    }
    auto broken = run({"audit", "verify"});
    EXPECT_EQ(broken.code, 1) << broken.out << broken.err;
    EXPECT_NE(broken.err.find("entry 2"), std::string::npos) << broken.err;
    EXPECT_EQ(broken.err.find("entry 3"), std::string::npos) << broken.err;
}

TEST_F(CliTest, AuditVerifyCatchesDeletedNewestEntry) {
    ASSERT_EQ(run({"seed"}).code, 0);
    ASSERT_EQ(run({"user", "add", "--email", "a@b.id", "--role", "admin"}, "kata-sandi-rahasia\n").code, 0);
    std::int64_t last = 0;
    {
        auto db = core::db::Database::open("sqlite://" + db_path_, 1);
        last = db->write([](core::db::Connection& c) {
            auto id = core::db::scalar_int(c, "SELECT MAX(id) FROM audit_log").value_or(0);
            core::db::exec(c, "DELETE FROM audit_log WHERE id = ?", {id});
            return id;
        });
    }
    ASSERT_GT(last, 0);
    auto r = run({"audit", "verify"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(std::to_string(last)), std::string::npos) << r.err;
}

TEST_F(CliTest, UserAddPasswordComesFromStdinWithoutLineEnding) {
    ASSERT_EQ(run({"seed"}).code, 0);
    auto add = run({"user", "add", "--email", "op@tuban.go.id", "--role", "warga", "--name", "Operator Satu"},
                   "sandi-dengan-crlf\r\nsecond line ignored\n");
    ASSERT_EQ(add.code, 0) << add.err;
    Config cfg;
    apply_config_env(cfg, env_);
    App app(cfg);
    auto good = app.auth().sign_in("op@tuban.go.id", "sandi-dengan-crlf", "127.0.0.1");
    EXPECT_TRUE(good.ok()) << "stored password is not the first stdin line without CR/LF";
    if (good.ok()) {
        EXPECT_EQ(good->principal.display_name, "Operator Satu");
    }
    EXPECT_FALSE(app.auth().sign_in("op@tuban.go.id", "sandi-dengan-crlf\r", "127.0.0.1").ok());
}

TEST_F(CliTest, UserAddRefusesWeakOrMissingPassword) {
    for (const std::string& stdin_text : {std::string(), std::string("\n"), std::string("pendek\n")}) {
        auto r = run({"user", "add", "--email", "a@b.id", "--role", "admin"}, stdin_text);
        EXPECT_NE(r.code, 0);
        EXPECT_EQ(lines(r.err), 1u) << r.err;
        EXPECT_NE(r.err.find("err_password_short"), std::string::npos) << r.err;
    }
    EXPECT_EQ(users_with("a@b.id"), 0);
}

TEST_F(CliTest, UserAddWithOpd) {
    ASSERT_EQ(run({"seed"}).code, 0);
    auto unknown = run({"user", "add", "--email", "op@b.id", "--role", "operator_opd", "--opd", "no-such-opd"},
                       "kata-sandi-rahasia\n");
    EXPECT_NE(unknown.code, 0);
    EXPECT_NE(unknown.err.find("no-such-opd"), std::string::npos) << unknown.err;
    EXPECT_EQ(users_with("op@b.id"), 0);
    EXPECT_EQ(run({"audit", "verify"}).code, 0);
}

TEST_F(CliTest, UserAddWithHostileEmailIsRefused) {
    for (const std::string email : {"a@b.id'); DROP TABLE users; --", "<script>@x.id", "no-at-sign", "a@b"}) {
        auto r = run({"user", "add", "--email", email, "--role", "admin"}, "kata-sandi-rahasia\n");
        EXPECT_NE(r.code, 0) << email;
        EXPECT_NE(r.err.find("err_email_invalid"), std::string::npos) << r.err;
    }
    auto ok = run({"audit", "verify"});
    EXPECT_EQ(ok.code, 0) << ok.err;
}

#ifdef GAPURA_MODULE_SATUDATA
// `satudata token list|add|revoke`: the secret printed once and stored hashed, the list without
// secrets (one tab-separated line per token), revocation once,
// every bad input a usage error (exit 2, one line) or a refusal that writes nothing, and the
// changes audited under "cli" with the chain still verifying.
TEST_F(CliTest, SatuDataTokenListAddRevoke) {
    ASSERT_EQ(run({"seed"}).code, 0);
    auto tokens = [&](const std::string& where = "1 = 1") {
        auto db = core::db::Database::open("sqlite://" + db_path_, 1);
        return db->read([&](core::db::Connection& c) {
            return core::db::scalar_int(c, "SELECT COUNT(*) FROM sd_api_tokens WHERE " + where).value_or(-1);
        });
    };
    auto empty = run({"satudata", "token", "list"});
    EXPECT_EQ(empty.code, 0) << empty.err;
    EXPECT_EQ(empty.out, "");

    // A date 30 days ahead (the expiry must lie between today and two years ahead).
    const std::time_t ahead = std::time(nullptr) + 30 * 86400;
    const std::time_t after = ahead + 86400;
    char day[16], next[16];
    std::strftime(day, sizeof day, "%Y-%m-%d", std::gmtime(&ahead));
    std::strftime(next, sizeof next, "%Y-%m-%d", std::gmtime(&after));
    auto add = run({"satudata", "token", "add", "--opd", "dpupr-prkp", "--name", "Dasbor PUPR", "--expires", day});
    ASSERT_EQ(add.code, 0) << add.err;
    ASSERT_EQ(lines(add.out), 1u) << add.out;
    const std::string secret = add.out.substr(0, add.out.size() - 1);
    EXPECT_EQ(secret.rfind("sd_", 0), 0u) << secret;
    EXPECT_EQ(secret.size(), 46u);
    auto add2 = run({"satudata", "token", "add", "--opd", "disdik", "--name", "Dasbor sekolah \xe2\x80\x94 uji"});
    ASSERT_EQ(add2.code, 0) << add2.err;

    auto list = run({"satudata", "token", "list"});
    ASSERT_EQ(list.code, 0) << list.err;
    EXPECT_EQ(lines(list.out), 2u) << list.out;
    EXPECT_EQ(list.out.find(secret), std::string::npos) << "a secret in the list";
    EXPECT_EQ(list.out.find(secret.substr(3)), std::string::npos);
    const std::string first = list.out.substr(list.out.find('\n') + 1);  // newest first: PUPR's is second
    std::vector<std::string> cols;
    for (std::size_t at = 0, tab; at <= first.size(); at = tab + 1) {
        tab = first.find_first_of("\t\n", at);
        if (tab == std::string::npos) break;
        cols.push_back(first.substr(at, tab - at));
    }
    ASSERT_EQ(cols.size(), 8u) << first;
    EXPECT_EQ(cols[1], "dpupr-prkp");
    EXPECT_EQ(cols[2], "Dasbor PUPR");
    EXPECT_EQ(cols[3], secret.substr(0, 7));
    EXPECT_EQ(cols[5], std::string(next) + "T00:00:00+07:00");  // valid through that day, regency time
    EXPECT_EQ(cols[6], "-");                           // never used
    EXPECT_EQ(cols[7], "active");
    const std::string id = cols[0];
    auto only = run({"satudata", "token", "list", "--opd", "disdik"});
    EXPECT_EQ(lines(only.out), 1u) << only.out;
    EXPECT_NE(only.out.find("\tDasbor sekolah \xe2\x80\x94 uji\t"), std::string::npos) << only.out;

    auto revoke = run({"satudata", "token", "revoke", "--id", id});
    EXPECT_EQ(revoke.code, 0) << revoke.err;
    EXPECT_EQ(revoke.out, "token " + id + " revoked\n");
    EXPECT_EQ(tokens("revoked_at IS NOT NULL"), 1);
    auto twice = run({"satudata", "token", "revoke", "--id", id});
    EXPECT_EQ(twice.code, 1);
    EXPECT_EQ(lines(twice.err), 1u);
    EXPECT_NE(twice.err.find("satudata_err_token_revoked"), std::string::npos) << twice.err;
    auto unknown = run({"satudata", "token", "revoke", "--id", "999999"});
    EXPECT_EQ(unknown.code, 1);
    EXPECT_NE(unknown.err.find("no token 999999"), std::string::npos) << unknown.err;
    EXPECT_NE(run({"satudata", "token", "list", "--opd", "dpupr-prkp"}).out.find("\trevoked\n"), std::string::npos);

    // Bad input: usage errors naming the culprit, or refusals; nothing written.
    const std::vector<std::vector<std::string>> usage{
        {"satudata"},
        {"satudata", "token"},
        {"satudata", "token", "delete"},
        {"satudata", "key", "add"},
        {"satudata", "token", "add", "--name", "x"},
        {"satudata", "token", "add", "--opd", "disdik"},
        {"satudata", "token", "add", "--opd", "tidak-ada", "--name", "x"},
        {"satudata", "token", "add", "--opd", "disdik", "--name", "x", "--secret", "y"},
        {"satudata", "token", "add", "--opd", "disdik", "--name"},
        {"satudata", "token", "list", "--opd", "tidak-ada"},
        {"satudata", "token", "revoke"},
        {"satudata", "token", "revoke", "--id", "abc"},
        {"satudata", "token", "revoke", "--id", "-1"},
        {"satudata", "token", "revoke", "--id", "1; DROP TABLE sd_api_tokens"},
        {"satudata", "token", "add", "--opd", "disdik", "--name", ""},
        {"satudata", "token", "add", "--opd", "disdik", "--name", std::string(81, 'a')},
        {"satudata", "token", "add", "--opd", "disdik", "--name", "a\x01b"},
        {"satudata", "token", "add", "--opd", "disdik", "--name", "\xff\xfe"},
        {"satudata", "token", "add", "--opd", "disdik", "--name", "x", "--expires", "besok"},
        {"satudata", "token", "add", "--opd", "disdik", "--name", "x", "--expires", "2020-01-01"},
        {"satudata", "token", "add", "--opd", "disdik", "--name", "x", "--expires", "2099-01-01"},
    };
    for (const auto& args : usage) {
        auto r = run(args);
        std::string shown;
        for (const auto& a : args) shown += a + " ";
        EXPECT_EQ(r.code, 2) << shown << r.err;
        EXPECT_EQ(r.out, "") << shown;
        EXPECT_EQ(lines(r.err), 1u) << shown << r.err;
    }
    EXPECT_EQ(tokens(), 2);

    // Audited as the command line, without the secret; the chain verifies.
    auto db = core::db::Database::open("sqlite://" + db_path_, 1);
    const auto audited = db->read([&](core::db::Connection& c) {
        return core::db::scalar_int(c,
                                    "SELECT COUNT(*) FROM audit_log WHERE object_type = 'sd_api_token' AND actor_label = "
                                    "'cli' AND summary NOT LIKE ?",
                                    {"%" + secret.substr(3) + "%"})
            .value_or(-1);
    });
    EXPECT_EQ(audited, 3);  // two created, one revoked
    EXPECT_EQ(run({"audit", "verify"}).code, 0);
}
#endif

}  // namespace
}  // namespace gapura
