// Module: how a feature registers itself with the core. The core hands each module the
// services it may use (CoreServices) when it is constructed in main; the module answers with
// its migrations, its routes (one table), its periodic jobs, its seed data, its navigation
// entries and the error formats of the paths it answers in a format of its own. A module never
// reaches into another module's store; it receives the other module's service in its
// constructor.
#pragma once

#include <string>
#include <vector>

#include "core/db/migrator.hpp"
#include "core/http/router.hpp"
#include "core/web/views.hpp"

namespace gapura {
struct Config;
class Clock;
}  // namespace gapura
namespace gapura::core::audit {
class AuditLog;
}
namespace gapura::core::auth {
class AuthService;
}
namespace gapura::core::files {
class FileStore;
}
namespace gapura::core::jobs {
class Scheduler;
class Notifier;
}
namespace gapura::core::region {
struct Regency;
}

namespace gapura::core {

struct CoreServices {
    const Config& config;
    const region::Regency& regency;
    db::Database& db;
    const Clock& clock;
    audit::AuditLog& audit;
    auth::AuthService& auth;
    web::Views& views;
    files::FileStore& files;
    jobs::Notifier& notifier;
};

class Module {
public:
    virtual ~Module() = default;
    virtual std::string name() const = 0;
    virtual std::vector<db::Migration> migrations() const { return {}; }
    virtual void register_routes(http::Router& router) = 0;
    virtual void register_jobs(jobs::Scheduler&) {}
    // Reference data always; demo records when demo is true. Must be idempotent.
    virtual void seed(bool demo) { (void)demo; }
    virtual std::vector<web::NavItem> nav() const { return {}; }
    // Error formats for path prefixes the module serves in a format of its own (e.g. Open311's
    // error lists under "/open311/"): every error on those paths, the core's refusals included,
    // is rendered by them. Prefixes must not overlap another module's.
    virtual std::vector<web::ErrorFormat> error_formats() const { return {}; }
    // Object types whose audit trail anyone may read on the public audit page.
    virtual std::vector<std::string> public_audit_types() const { return {}; }
};

}  // namespace gapura::core
