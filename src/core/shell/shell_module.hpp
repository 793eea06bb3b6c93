// ShellModule: the site around the feature modules: home page, language switch, static assets,
// "about the data" (credits and the regency's reference data), the public audit trail,
// notifications, uploaded files, the region/OPD API, /healthz and /metrics.
//
// Threads: handlers may run on any thread; the home page cache and health flag are guarded.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/module.hpp"
#include "core/http/metrics.hpp"

namespace gapura::core::shell {

class ShellModule final : public Module {
public:
    ShellModule(CoreServices services, http::Metrics& metrics, std::vector<std::string> public_audit_types);

    std::string name() const override { return "shell"; }
    void register_routes(http::Router& router) override;
    void register_jobs(jobs::Scheduler& scheduler) override;
    std::vector<web::NavItem> nav() const override;

    // Loads web/static into memory (called once at start).
    void load_static(const std::string& dir);
    // Sets the health flag from a database probe (also run every 2 s by the scheduler).
    void probe_health();

private:
    http::Response home(http::RequestContext& ctx);
    http::Response about_data(http::RequestContext& ctx);
    http::Response audit_page(http::RequestContext& ctx);
    http::Response notifications(http::RequestContext& ctx);
    http::Response mark_read(http::RequestContext& ctx);
    http::Response static_file(http::RequestContext& ctx);
    http::Response vendor_file(http::RequestContext& ctx);
    http::Response file(http::RequestContext& ctx);
    http::Response set_lang(http::RequestContext& ctx);
    http::Response healthz(http::RequestContext& ctx);
    http::Response regions_api(http::RequestContext& ctx);
    http::Response region_api(http::RequestContext& ctx);
    http::Response opds_api(http::RequestContext& ctx);

    CoreServices s_;
    http::Metrics& metrics_;
    std::vector<std::string> public_audit_types_;
    std::atomic<bool> healthy_{true};
    std::int64_t started_at_;

    struct Asset {
        std::string body, type, etag;
    };
    std::map<std::string, Asset> static_;
    std::mutex vendor_mu_;
    std::map<std::string, Asset> vendor_;

    struct CachedPage {
        std::string body;
        std::int64_t until = 0;
    };
    std::mutex home_mu_;
    std::map<std::string, CachedPage> home_cache_;
    std::string regions_json_;
    std::string opds_json_;
};

}  // namespace gapura::core::shell
