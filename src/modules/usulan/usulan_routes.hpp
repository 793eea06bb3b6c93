// UsulanModule: the pages (work without JavaScript), the JSON/GeoJSON/CSV API and the demo seed of
// the usulan module. Handlers are thin: parse, call UsulanService, render. Route table in
// register_routes(). Module-wide settings (map tiles) have defaults here.
//
// Threads: handlers run on the worker pool, many at once; the module holds only read-only state
// after construction.
#pragma once

#include "core/web/page_cache.hpp"
#include <string>
#include <vector>

#include "core/http/context.hpp"
#include "core/module.hpp"
#include "modules/usulan/usulan_service.hpp"

namespace gapura::modules::usulan {

// Map tiles: OpenStreetMap by default. The page works (list and markers) when tiles fail to load.
struct MapSettings {
    std::string tile_url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
    std::string attribution = "© OpenStreetMap contributors";
    int max_zoom = 19;
};

class UsulanModule final : public core::Module {
public:
    explicit UsulanModule(core::CoreServices services);
    std::string name() const override { return "usulan"; }
    std::vector<core::db::Migration> migrations() const override;
    void register_routes(core::http::Router& router) override;
    void seed(bool demo) override;
    std::vector<core::web::NavItem> nav() const override { return {{"/usulan", "usulan_nav", 30}}; }
    std::vector<std::string> public_audit_types() const override { return {"proposal", "usulan_year", "usulan_pagu"}; }

    UsulanService& service() { return service_; }

private:
    using Ctx = core::http::RequestContext;
    using Response = core::http::Response;
    // Pages.
    Response list_page(Ctx& ctx);
    Response map_page(Ctx& ctx);
    Response detail_page(Ctx& ctx, const Error* err = nullptr, int status = 200);
    Response new_form(Ctx& ctx, const ProposalInput* in = nullptr, const Error* err = nullptr);
    Response submit(Ctx& ctx);
    Response edit_form(Ctx& ctx, const ProposalInput* in = nullptr, const Error* err = nullptr);
    Response amend(Ctx& ctx);
    Response support(Ctx& ctx, bool withdraw);
    Response comment(Ctx& ctx);
    Response flag_comment(Ctx& ctx);
    Response hide_comment(Ctx& ctx);
    Response hide_proposal(Ctx& ctx);
    Response decide(Ctx& ctx);
    Response progress(Ctx& ctx);
    Response years_page(Ctx& ctx, const Error* err = nullptr);
    Response open_year(Ctx& ctx);
    Response ranking_page(Ctx& ctx, const Error* err = nullptr);
    Response ranking_csv(Ctx& ctx);
    Response set_pagu(Ctx& ctx);
    Response participation_page(Ctx& ctx);
    // API.
    Response api_list(Ctx& ctx);
    Response api_get(Ctx& ctx);
    Response api_create(Ctx& ctx);
    Response api_update(Ctx& ctx);
    Response api_support(Ctx& ctx, bool withdraw);
    Response api_geojson(Ctx& ctx);
    Response api_csv(Ctx& ctx);

    // Shared helpers.
    Result<ListFilter> parse_filter(Ctx& ctx, bool api);
    core::web::Data filter_data(Ctx& ctx, const ListFilter& f);
    core::web::Data proposal_row(Ctx& ctx, const Proposal& p);
    // The proposal form's view model, shared by "new" and "amend": the lists, the map settings,
    // the values typed (when `in` is set, numbers as the request had them) and the errors.
    core::web::Data form_data(Ctx& ctx, const ProposalInput* in, const Error* err);
    std::string bidang_name(const std::string& code, const std::string& lang) const;
    std::string desa_name(const std::string& code) const;
    // "Desa <Name>" or "Kelurahan <Name>".
    std::string desa_office_name(const std::string& code) const;
    std::string kecamatan_name(const std::string& code) const;
    Response sign_in_first(Ctx& ctx, const std::string& back);
    void seed_demo();

    core::CoreServices s_;
    UsulanService service_;
    MapSettings map_;
    core::web::PageCache cache_{32u << 20, 5};  // 32 MB, 5 s (see register_routes)
};

}  // namespace gapura::modules::usulan
