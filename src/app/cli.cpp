#include "app/cli.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "app/app.hpp"
#include "app/config.hpp"
#include "core/audit/audit_log.hpp"
#include "core/auth/auth_service.hpp"
#include "core/db/database.hpp"
#include "core/region/regency.hpp"
#ifdef GAPURA_MODULE_LAYANAN
#include "modules/layanan/layanan_service.hpp"
#endif
#ifdef GAPURA_MODULE_SATUDATA
#include "core/util/clock.hpp"
#include "core/util/strings.hpp"
#include "modules/satudata/satudata_tokens.hpp"
#endif

namespace gapura {

namespace {
constexpr const char* kHelp =
    "Gapura — e-government and smart-city platform for an Indonesian regency\n"
    "\n"
    "Usage: gapura [--config FILE] <command> [options]\n"
    "\n"
    "Commands:\n"
    "  serve                         run the web server (applies pending migrations first)\n"
    "  migrate                       apply pending database migrations\n"
    "  seed [--demo]                 load the regency's reference data (and demo records with --demo)\n"
    "  user add --email E --role R [--name N] [--opd SLUG]\n"
    "                                add an account; the password is read from standard input\n"
    "                                roles: warga pelaku_usaha operator_opd teknisi walidata admin\n"
    "  audit verify                  check the hash chain of the audit log\n"
    "  open311 key add --name NAME   create an Open311 API key (printed once, stored hashed)\n"
    "  satudata token list [--opd SLUG]\n"
    "                                list Satu Data OPD API tokens (id, OPD, name, prefix, created,\n"
    "                                expires, last used, status; tab-separated; never the secrets)\n"
    "  satudata token add --opd SLUG --name NAME [--expires YYYY-MM-DD]\n"
    "                                create a read-only API token of an OPD (printed once, stored hashed)\n"
    "  satudata token revoke --id ID revoke a token at once\n"
    "  --help                        this text\n"
    "  --version                     the version\n"
    "\n"
    "Configuration: a `key = value` file (--config or GAPURA_CONFIG), then environment variables\n"
    "GAPURA_<KEY>, e.g. GAPURA_DATABASE=sqlite:///var/lib/gapura/gapura.db GAPURA_LISTEN=127.0.0.1:8080.\n";

struct Usage {
    std::string message;
};

// Echoes user-typed words into a one-line error without control characters.
std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
    return out.size() > 80 ? out.substr(0, 80) + "..." : out;
}

// Splits "--key value" options; every option must be in `allowed`; flags in `flags` take no value.
std::map<std::string, std::string> options(const std::vector<std::string>& args, std::size_t from,
                                           const std::vector<std::string>& allowed,
                                           const std::vector<std::string>& flags, const std::string& command) {
    std::map<std::string, std::string> out;
    for (std::size_t i = from; i < args.size(); ++i) {
        const std::string& a = args[i];
        bool is_flag = std::find(flags.begin(), flags.end(), a) != flags.end();
        bool is_opt = std::find(allowed.begin(), allowed.end(), a) != allowed.end();
        if (is_flag) {
            out[a] = "1";
        } else if (is_opt) {
            if (i + 1 >= args.size()) throw Usage{"option '" + a + "' of '" + command + "' needs a value"};
            out[a] = args[++i];
        } else {
            throw Usage{"unknown option '" + printable(a) + "' for '" + command + "' (see gapura --help)"};
        }
    }
    return out;
}

#ifdef GAPURA_MODULE_SATUDATA
// `satudata token list|add|revoke`: the same rules as the token page (name, expiry, 50 active
// tokens per OPD), for any OPD, audited as the system actor "cli". Modules register no commands,
// so this one calls the module's token service directly, as `open311 key add` does.
int satudata_token_command(const std::vector<std::string>& args, std::size_t i, const Config& cfg, std::ostream& out,
                           std::ostream& err) {
    using modules::satudata::OpdTokenService;
    const std::string sub = i + 1 < args.size() && args[i] == "token" ? args[i + 1] : "";
    if (sub != "list" && sub != "add" && sub != "revoke")
        throw Usage{"'satudata' takes the subcommands 'token list', 'token add' and 'token revoke' (see gapura --help)"};
    const std::string command = "satudata token " + sub;
    const auto actor = core::audit::Actor::system("cli");
    // The message of a refused change: its field errors, else its message key.
    auto refused = [&](const Error& e) {
        std::string why = e.message_key;
        for (const auto& f : e.fields) why = f.field + ": " + f.message_key;
        err << "gapura: " << command << ": " << why << "\n";
        return e.code == ErrorCode::unprocessable || e.code == ErrorCode::bad_request ? 2 : 1;
    };
    if (sub == "list") {
        auto o = options(args, i + 2, {"--opd"}, {}, command);
        App app(cfg);  // read-only: no migration, so it runs beside a live server
        OpdTokenService tokens(app.db(), app.clock(), app.audit(), app.regency());
        auto all = tokens.list_all(o.count("--opd") ? o["--opd"] : "");
        if (!all) throw Usage{"no OPD with the slug '" + printable(o["--opd"]) + "'"};
        const int offset = app.regency().utc_offset_minutes;
        const auto when = [&](const std::optional<std::int64_t>& t) {
            return t ? format_iso8601(*t, offset) : std::string("-");
        };
        const auto now = app.clock().now();
        for (const auto& t : *all) {
            // Names hold no control characters (refused when created): one line per token.
            out << t.id << '\t' << t.opd_slug << '\t' << t.name << '\t' << t.prefix << '\t' << when(t.created_at) << '\t'
                << when(t.expires_at) << '\t' << when(t.last_used_at) << '\t'
                << (t.revoked_at ? "revoked" : t.active(now) ? "active" : "expired") << '\n';
        }
        return 0;
    }
    if (sub == "add") {
        auto o = options(args, i + 2, {"--opd", "--name", "--expires"}, {}, command);
        if (!o.count("--opd")) throw Usage{"'" + command + "' needs --opd"};
        if (!o.count("--name")) throw Usage{"'" + command + "' needs --name"};
        App app(cfg);
        app.migrate();
        OpdTokenService tokens(app.db(), app.clock(), app.audit(), app.regency());
        auto made = tokens.create_as(actor, o["--opd"], o["--name"], o.count("--expires") ? o["--expires"] : "");
        if (!made) {
            if (!made.error().fields.empty() && made.error().fields.front().field == "opd")
                throw Usage{"no OPD with the slug '" + printable(o["--opd"]) + "'"};
            return refused(made.error());
        }
        out << made->secret << "\n";
        return 0;
    }
    auto o = options(args, i + 2, {"--id"}, {}, command);
    if (!o.count("--id")) throw Usage{"'" + command + "' needs --id"};
    auto id = util::parse_int(o["--id"]);
    if (!id || *id <= 0) throw Usage{"--id must be a token id (a positive number), got '" + printable(o["--id"]) + "'"};
    App app(cfg);
    app.migrate();
    OpdTokenService tokens(app.db(), app.clock(), app.audit(), app.regency());
    auto st = tokens.revoke_as(actor, *id);
    if (!st.ok()) {
        if (st.error().code == ErrorCode::not_found) {
            err << "gapura: " << command << ": no token " << *id << "\n";
            return 1;
        }
        return refused(st.error());
    }
    out << "token " << *id << " revoked\n";
    return 0;
}
#endif
}  // namespace

int run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, std::istream& in,
            std::ostream& out, std::ostream& err) {
    try {
        std::size_t i = 1;
        std::string config_file;
        if (auto it = env.find("GAPURA_CONFIG"); it != env.end()) config_file = it->second;
        while (i < args.size() && (args[i].rfind("--", 0) == 0 || args[i] == "-h")) {
            if (args[i] == "--help" || args[i] == "-h") {
                out << kHelp;
                return 0;
            }
            if (args[i] == "--version") {
                out << "gapura 0.1.0\n";
                return 0;
            }
            if (args[i] == "--config") {
                if (i + 1 >= args.size()) throw Usage{"option '--config' needs a file name"};
                config_file = args[i + 1];
                i += 2;
                continue;
            }
            throw Usage{"unknown option '" + printable(args[i]) + "' (see gapura --help)"};
        }
        if (i >= args.size()) throw Usage{"no command given (see gapura --help)"};
        const std::string command = args[i++];

        Config cfg;
        if (!config_file.empty()) {
            std::ifstream f(config_file);
            if (!f) throw ConfigError{"cannot read configuration file '" + config_file + "'"};
            std::stringstream ss;
            ss << f.rdbuf();
            apply_config_text(cfg, ss.str(), config_file);
        }
        apply_config_env(cfg, env);

        if (command == "serve") {
            options(args, i, {}, {}, command);
            App app(cfg);
            return app.serve();
        }
        if (command == "migrate") {
            options(args, i, {}, {}, command);
            App app(cfg);
            app.migrate();
            out << "migrations applied\n";
            return 0;
        }
        if (command == "seed") {
            auto o = options(args, i, {}, {"--demo"}, command);
            App app(cfg);
            app.migrate();
            app.seed(o.count("--demo") > 0);
            out << (o.count("--demo") ? "reference and demo data loaded\n" : "reference data loaded\n");
            return 0;
        }
        if (command == "user") {
            if (i >= args.size() || args[i] != "add") throw Usage{"'user' takes the subcommand 'add' (see gapura --help)"};
            auto o = options(args, i + 1, {"--email", "--role", "--name", "--opd"}, {}, "user add");
            if (!o.count("--email")) throw Usage{"'user add' needs --email"};
            if (!o.count("--role")) throw Usage{"'user add' needs --role"};
            if (!core::auth::parse_role(o["--role"]))
                throw Usage{"--role must be one of warga, pelaku_usaha, operator_opd, teknisi, walidata, admin (got '" +
                            printable(o["--role"]) + "')"};
            std::string password;
            std::getline(in, password);
            if (!password.empty() && password.back() == '\r') password.pop_back();
            App app(cfg);
            app.migrate();
            auto r = app.auth().add_user(o["--email"], o.count("--name") ? o["--name"] : "", o["--role"],
                                         o.count("--opd") ? o["--opd"] : "", password,
                                         core::audit::Actor::system("cli"));
            if (!r) {
                err << "gapura: user not added: " << r.error().message_key
                    << (r.error().detail.empty() ? "" : " (" + r.error().detail + ")") << "\n";
                return r.error().code == ErrorCode::conflict ? 1 : 2;
            }
            out << "user " << *r << " added\n";
            return 0;
        }
        if (command == "open311") {
#ifdef GAPURA_MODULE_LAYANAN
            if (i + 1 >= args.size() || args[i] != "key" || args[i + 1] != "add")
                throw Usage{"'open311' takes the subcommand 'key add --name NAME'"};
            auto o = options(args, i + 2, {"--name"}, {}, "open311 key add");
            if (!o.count("--name")) throw Usage{"'open311 key add' needs --name"};
            App app(cfg);
            app.migrate();
            auto raw = modules::layanan::create_api_key(app.db(), app.audit(), app.clock(), o["--name"]);
            if (!raw) {
                err << "gapura: open311 key add: " << raw.error().message_key << "\n";
                return 2;
            }
            out << *raw << "\n";
            return 0;
#else
            throw Usage{"this build has no layanan module (open311)"};
#endif
        }
        if (command == "satudata") {
#ifdef GAPURA_MODULE_SATUDATA
            return satudata_token_command(args, i, cfg, out, err);
#else
            throw Usage{"this build has no satudata module"};
#endif
        }
        if (command == "audit") {
            if (i >= args.size() || args[i] != "verify") throw Usage{"'audit' takes the subcommand 'verify'"};
            options(args, i + 1, {}, {}, "audit verify");
            App app(cfg);
            // Read-only: no migration (that takes the write lock, which a busy server may hold
            // longer than the busy timeout), so the check runs beside a live server.
            auto r = app.audit().verify(app.db());
            if (r.ok) {
                out << "audit log ok: " << r.checked << " entries, head " << r.head_hash << "\n";
                return 0;
            }
            err << "audit log BROKEN: " << r.problem << "\n";
            return 1;
        }
        throw Usage{"unknown command '" + printable(command) + "' (see gapura --help)"};
    } catch (const Usage& u) {
        err << "gapura: " << u.message << "\n";
        return 2;
    } catch (const ConfigError& c) {
        err << "gapura: " << c.message << "\n";
        return 2;
    } catch (const core::region::RegencyError& e) {
        err << "gapura: regency data: " << e.what() << "\n";
        return 2;
    } catch (const std::invalid_argument& e) {
        err << "gapura: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "gapura: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace gapura
