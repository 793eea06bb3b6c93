// App: the composition root. Builds every core service and module from the Config, wires them
// together (constructor injection, no globals), and exposes what main, the CLI and the tests
// need: migrate, seed, the request pipeline and the server.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/util/clock.hpp"

namespace gapura::core {
class Module;
namespace db {
class Database;
}
namespace audit {
class AuditLog;
}
namespace auth {
class AuthService;
}
namespace web {
class Pipeline;
class Views;
class I18n;
}  // namespace web
namespace http {
class Router;
class Metrics;
}  // namespace http
namespace files {
class FileStore;
}
namespace jobs {
class Scheduler;
class Notifier;
}  // namespace jobs
namespace region {
struct Regency;
}
namespace shell {
class ShellModule;
}
}  // namespace gapura::core

namespace gapura {

class App {
public:
    // Throws std::runtime_error (or region::RegencyError, db::DbError) naming what is wrong.
    explicit App(Config config, const Clock* clock = nullptr);
    ~App();

    void migrate();
    // Reference data always; demo data too when demo is true. Idempotent.
    void seed(bool demo);
    // Serves until SIGINT/SIGTERM.
    int serve();

    const Config& config() const { return config_; }
    core::web::Pipeline& pipeline();
    core::db::Database& db();
    core::audit::AuditLog& audit();
    core::auth::AuthService& auth();
    core::jobs::Notifier& notifier();
    core::jobs::Scheduler& scheduler();
    const core::region::Regency& regency() const;
    core::http::Router& router();
    const Clock& clock() const { return *clock_; }

private:
    struct Parts;
    Config config_;
    SystemClock system_clock_;
    const Clock* clock_;
    std::unique_ptr<Parts> p_;
};

}  // namespace gapura
