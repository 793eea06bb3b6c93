// LayananModule: the Module implementation (routes table, jobs, seed) shared by the web
// handlers (layanan_module.cpp), the Open311 handlers (open311_routes.cpp) and the demo seed
// (layanan_seed.cpp). Internal header of the module.
#pragma once

#include <memory>
#include <optional>

#include "core/calendar/working_calendar.hpp"
#include "core/http/context.hpp"
#include "core/module.hpp"
#include "core/web/page_cache.hpp"
#include "modules/layanan/catalog.hpp"
#include "modules/layanan/layanan_service.hpp"

namespace gapura::modules::layanan {

class LayananModule final : public core::Module {
public:
    explicit LayananModule(const core::CoreServices& s);
    std::string name() const override { return "layanan"; }
    std::vector<core::db::Migration> migrations() const override;
    void register_routes(core::http::Router& router) override;
    void register_jobs(core::jobs::Scheduler& scheduler) override;
    void seed(bool demo) override;
    std::vector<core::web::NavItem> nav() const override;
    std::vector<std::string> public_audit_types() const override { return {"layanan_laporan"}; }
    // Open311's error lists for every error under /open311/, the core's refusals included.
    std::vector<core::web::ErrorFormat> error_formats() const override;

    LayananService& service() { return *svc_; }

private:
    using Ctx = core::http::RequestContext;
    using Res = core::http::Response;
    // Web.
    Res home(Ctx& ctx);
    Res report_form(Ctx& ctx, const Error* err = nullptr);
    Res report_submit(Ctx& ctx);
    Res track_lookup(Ctx& ctx);
    Res track(Ctx& ctx);
    Res reporter_action(Ctx& ctx, bool reopen);
    Res my_reports(Ctx& ctx);
    Res queue(Ctx& ctx);
    Res statistics(Ctx& ctx);
    Res opd_statistics(Ctx& ctx);
    Res ticket(Ctx& ctx, const Error* err = nullptr);
    Res ticket_action(Ctx& ctx, const std::string& action);
    Res fault_form(Ctx& ctx, const Error* err = nullptr);
    Res fault_submit(Ctx& ctx);
    Res assets(Ctx& ctx);
    Res asset_page(Ctx& ctx);
    Res asset_add(Ctx& ctx);
    Res keys(Ctx& ctx, const std::string& new_key = "", const Error* err = nullptr);
    Res key_add(Ctx& ctx);
    Res key_revoke(Ctx& ctx);
    // Open311.
    Res o311_discovery(Ctx& ctx, bool xml);
    Res o311_services(Ctx& ctx, bool xml);
    Res o311_service(Ctx& ctx, bool xml);
    Res o311_post(Ctx& ctx, bool xml);
    // The same on the I/O thread (RouteOptions::fast): nullopt when it needs a worker (an API key
    // not checked recently, a media file to store). Both answer once the report is on disk,
    // without a thread waiting for the commit (core/http/pending.hpp).
    std::optional<Res> o311_post_fast(Ctx& ctx, bool xml);
    std::optional<Res> o311_submit(Ctx& ctx, bool xml, bool io_thread);
    Res o311_created(Result<Ticket> r, bool xml, const std::string& lang) const;
    Res o311_requests(Ctx& ctx, bool xml);
    Res o311_request(Ctx& ctx, bool xml);
    Res o311_token(Ctx& ctx, bool xml);
    Res o311_updates(Ctx& ctx, bool xml);
    Res render_requests(Ctx& ctx, bool xml, const store::PublicFilter& f);
    // Every Open311 handler starts here: the `locale` parameter sets ctx.lang when it names a
    // language of the catalogs, and a jurisdiction_id other than the regency's domain is a 404.
    std::optional<Res> o311_begin(Ctx& ctx, bool xml) const;
    // The error list of a core refusal (unknown path, wrong method, body too large, ...).
    Res o311_core_error(const core::web::ErrorReport& report) const;

    // Stores the non-empty file parts named `field` of a multipart body as report photos (JPEG,
    // PNG or WebP judged by content, at most kMaxPhotoBytes each): the web form's photos and
    // Open311's media. More than max_files is an error before anything is stored; a refused
    // file is an error naming `field` (files stored before it stay, unreferenced).
    Result<std::vector<std::string>> store_photos(const Ctx& ctx, const std::string& field, std::size_t max_files,
                                                  std::optional<std::int64_t> user_id);

    core::web::Data ticket_row(Ctx& ctx, const Ticket& t, bool staff);
    std::string service_name(const std::string& code, const std::string& lang) const;
    std::string fmt_time(std::int64_t t, const std::string& lang) const;
    // A message of the catalog in the request's language; "{regency}" becomes the regency's name.
    std::string t(const Ctx& ctx, const std::string& key) const { return t(ctx.lang, key); }
    std::string t(const std::string& lang, const std::string& key) const;
    // The data-* attributes of the report form's map (tiles, centre, zoom, bounds) for a page.
    void set_map(core::web::Data& page) const;
    std::int64_t deadline(std::int64_t from, const SlaTarget& target) const { return svc_->deadline(from, target); }

    core::CoreServices s_;
    Catalog catalog_;
    core::calendar::WorkingCalendar cal_;
    std::unique_ptr<LayananService> svc_;
    core::web::PageCache cache_{16u << 20, 5};  // 16 MB, 5 s (see register_routes)
    // Map tiles of the report form's optional pin: OpenStreetMap unless the configuration names
    // others (map_tile_url, map_tile_attribution, as for the usulan map). The pages work without.
    std::string tile_url_ = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
    std::string tile_attribution_ = "© OpenStreetMap contributors";
};

}  // namespace gapura::modules::layanan
