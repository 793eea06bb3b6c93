#include "app/app.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "core/audit/audit_log.hpp"
#include "core/auth/accounts_module.hpp"
#include "core/auth/auth_service.hpp"
#include "core/auth/crypto.hpp"
#include "core/db/database.hpp"
#include "core/db/migrator.hpp"
#include "core/files/file_store.hpp"
#include "core/http/metrics.hpp"
#include "core/http/router.hpp"
#include "core/http/server.hpp"
#include "core/jobs/notifier.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/module.hpp"
#include "core/region/regency.hpp"
#include "core/shell/shell_module.hpp"
#include "core/web/i18n.hpp"
#include "core/web/pipeline.hpp"
#include "core/web/views.hpp"
#include "app/demo.hpp"
#include "app/modules.hpp"

namespace gapura {

namespace fs = std::filesystem;
using namespace gapura::core;

namespace {
std::string sqlite_path(const std::string& url) {
    const std::string prefix = "sqlite://";
    return url.rfind(prefix, 0) == 0 ? url.substr(prefix.size()) : std::string();
}

// The key behind CSRF tokens: 32 random bytes in var/secret.key, made on first start, mode 0600.
std::string load_secret(const std::string& var_dir) {
    const fs::path path = fs::path(var_dir) / "secret.key";
    if (fs::exists(path)) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string s = ss.str();
        if (s.size() >= 32) return s;
    }
    std::string key = auth::Crypto::random_token(32);
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << key;
        if (!out) throw std::runtime_error("cannot write " + path.string());
    }
    ::chmod(path.c_str(), 0600);
    return key;
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, const std::string& target) {
    if (auto existing = spdlog::get(name)) spdlog::drop(name);
    std::shared_ptr<spdlog::logger> log;
    if (target == "off") {
        log = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::null_sink_mt>());
        log->set_level(spdlog::level::off);  // callers test should_log() and skip building the line
    }
    else if (target == "-") log = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stdout_sink_mt>());
    else log = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::basic_file_sink_mt>(target));
    return log;
}
// CPUs this process may run on (taskset, cgroup cpusets): one event loop each, as nginx's
// `worker_processes auto`; more loops than cores only add switching to the tail latency.
int usable_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::clamp(CPU_COUNT(&set), 1, 64);
    return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 64);
}
}  // namespace

struct App::Parts {
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<spdlog::logger> access;
    region::Regency regency;
    std::unique_ptr<db::Database> db;
    audit::AuditLog audit;
    web::I18n i18n;
    std::unique_ptr<web::Views> views;
    std::unique_ptr<auth::AuthService> auth;
    std::unique_ptr<files::FileStore> files;
    std::unique_ptr<jobs::Notifier> notifier;
    std::unique_ptr<jobs::Scheduler> scheduler;
    http::Metrics metrics;
    http::Router router;
    std::vector<std::unique_ptr<Module>> modules;
    shell::ShellModule* shell = nullptr;
    std::unique_ptr<web::Pipeline> pipeline;
};

App::App(Config config, const Clock* clock) : config_(std::move(config)), clock_(clock ? clock : &system_clock_), p_(std::make_unique<Parts>()) {
    auth::Crypto::init();
    p_->log = make_logger("gapura", config_.log_level == "off" ? "off" : "-");
    p_->log->set_pattern("%Y-%m-%dT%H:%M:%S%z %l %v");
    p_->log->set_level(spdlog::level::from_str(config_.log_level));
    p_->access = make_logger("gapura.access", config_.access_log);
    p_->access->set_pattern("%v");
    // Lines reach the disk within a second (a crash loses at most that), without a write per request.
    spdlog::register_logger(p_->access);
    spdlog::register_logger(p_->log);
    spdlog::flush_every(std::chrono::seconds(1));

    fs::create_directories(config_.var_dir);
    if (auto path = sqlite_path(config_.database); !path.empty() && fs::path(path).has_parent_path())
        fs::create_directories(fs::path(path).parent_path());

    p_->regency = region::load_regency(config_.regency_dir, config_.area_data_dir);
    p_->db = db::Database::open(config_.database, config_.db_readers);

    p_->i18n.load_dir(config_.web_dir + "/i18n");
    // Each module keeps its own messages in src/modules/<name>/i18n/<lang>.json.
    if (fs::is_directory(config_.modules_dir))
        for (const auto& m : fs::directory_iterator(config_.modules_dir))
            if (fs::is_directory(m.path() / "i18n")) p_->i18n.load_dir((m.path() / "i18n").string());
    p_->i18n.finish();
    p_->views = std::make_unique<web::Views>(p_->i18n, web::SiteInfo{p_->regency.name, p_->regency.short_name, p_->regency.domain});
    p_->views->load_dir(config_.web_dir + "/templates");

    auth::AuthSettings settings;
    settings.cost = config_.password_cost == "min"        ? auth::PasswordCost::min
                    : config_.password_cost == "moderate" ? auth::PasswordCost::moderate
                                                          : auth::PasswordCost::interactive;
    settings.session_ttl_s = config_.session_ttl_s;
    settings.public_url = config_.public_url;
    p_->auth = std::make_unique<auth::AuthService>(*p_->db, p_->audit, *clock_, load_secret(config_.var_dir), settings);
    p_->files = std::make_unique<files::FileStore>(config_.var_dir + "/files", *p_->db, *clock_);
    p_->notifier = std::make_unique<jobs::Notifier>(*p_->db, *clock_);
    p_->scheduler = std::make_unique<jobs::Scheduler>(*clock_);

    CoreServices services{config_, p_->regency, *p_->db, *clock_, p_->audit, *p_->auth, *p_->views, *p_->files, *p_->notifier};
    auto features = make_feature_modules(services);
    std::vector<std::string> public_types = {"regency", "opd"};
    for (const auto& m : features)
        for (const auto& t : m->public_audit_types()) public_types.push_back(t);
    auto shell = std::make_unique<shell::ShellModule>(services, p_->metrics, public_types);
    shell->load_static(config_.web_dir + "/static");
    p_->shell = shell.get();
    p_->modules.push_back(std::move(shell));
    p_->modules.push_back(std::make_unique<auth::AccountsModule>(services));
    for (auto& m : features) p_->modules.push_back(std::move(m));

    for (auto& m : p_->modules) {
        m->register_routes(p_->router);
        m->register_jobs(*p_->scheduler);
        for (auto& n : m->nav()) p_->views->add_nav(n);
        for (auto& f : m->error_formats()) p_->views->add_error_format(std::move(f));
        const std::string tdir = config_.modules_dir + "/" + m->name() + "/templates";
        if (fs::is_directory(tdir)) p_->views->load_dir(tdir, m->name() + "/");
    }
    p_->metrics.add_gauge("gapura_db_readers_in_use", "Database reader connections in use.",
                          [this] { return static_cast<double>(p_->db->stats().readers_in_use); });
    p_->metrics.add_gauge("gapura_db_readers_total", "Database reader connections.",
                          [this] { return static_cast<double>(p_->db->stats().readers_total); });
    p_->metrics.add_gauge("gapura_db_write_transactions_total", "Write transactions since start.",
                          [this] { return static_cast<double>(p_->db->stats().write_transactions); });
    p_->metrics.add_gauge("gapura_db_writes_total", "Writes committed since start (several share one transaction under load).",
                          [this] { return static_cast<double>(p_->db->stats().write_jobs); });

    web::PipelineOptions popts;
    popts.trust_proxy = config_.trust_proxy;
    popts.default_lang = config_.default_lang;
    popts.upload_dir = p_->files->temp_dir();
    p_->pipeline = std::make_unique<web::Pipeline>(p_->router, *p_->auth, *p_->views, p_->metrics, p_->access, p_->log, popts);
}

App::~App() {
    if (p_ && p_->scheduler) p_->scheduler->stop();
}

void App::migrate() {
    std::vector<db::ModuleMigrations> all = {audit::audit_migrations(), auth::accounts_migrations(), region::region_migrations()};
    for (auto& m : p_->modules) {
        auto list = m->migrations();
        if (!list.empty()) all.push_back(db::ModuleMigrations{m->name(), std::move(list)});
    }
    auto report = db::migrate(*p_->db, all, clock_->now());
    for (const auto& n : report.applied_names) p_->log->info("migration applied: {}", n);
}

void App::seed(bool demo) {
    auto counts = region::load_reference_data(*p_->db, p_->audit, p_->regency, clock_->now());
    p_->log->info("reference data: {} regions and {} OPDs added, {} regions and {} OPDs updated", counts.regions_inserted,
                  counts.opds_inserted, counts.regions_updated, counts.opds_updated);
    if (demo) seed_demo_accounts(*p_->auth, *p_->db, *p_->log);
    for (auto& m : p_->modules) m->seed(demo);
}

int App::serve() {
    migrate();
    p_->shell->probe_health();
    http::ServerOptions o;
    o.host = config_.listen_host;
    o.port = config_.listen_port;
    o.io_threads = config_.io_threads > 0 ? config_.io_threads : usable_cpus();
    o.workers = config_.workers;
    o.max_queue = config_.max_queue;
    o.max_header_bytes = config_.max_header_bytes;
    o.header_timeout = std::chrono::seconds(config_.header_timeout_s);
    o.idle_timeout = std::chrono::seconds(config_.idle_timeout_s);
    o.body_timeout = std::chrono::seconds(config_.body_timeout_s);
    o.shutdown_grace = std::chrono::seconds(config_.shutdown_grace_s);
    http::Server server(o, *p_->pipeline, p_->log);
    server.start();
    p_->metrics.add_gauge("gapura_worker_queue", "Requests waiting for or running on the worker pool.",
                          [&server] { return static_cast<double>(server.queued()); });
    p_->scheduler->start();
    p_->log->info("Gapura serving {} on http://{}:{}", p_->regency.name, config_.listen_host, server.port());
    server.run();
    p_->scheduler->stop();
    p_->log->info("stopped");
    return 0;
}

web::Pipeline& App::pipeline() { return *p_->pipeline; }
db::Database& App::db() { return *p_->db; }
audit::AuditLog& App::audit() { return p_->audit; }
auth::AuthService& App::auth() { return *p_->auth; }
jobs::Notifier& App::notifier() { return *p_->notifier; }
jobs::Scheduler& App::scheduler() { return *p_->scheduler; }
const region::Regency& App::regency() const { return p_->regency; }
http::Router& App::router() { return p_->router; }

}  // namespace gapura
