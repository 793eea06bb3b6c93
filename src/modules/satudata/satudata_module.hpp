// SatuDataModule: the Satu Data feature. Pages (no JavaScript needed): the public catalog
// /data with search and facets, dataset pages with preview, downloads (CSV export with formula
// cells escaped, JSON rendering) and version history, the producer pages under /data-opd, the
// walidata desk /walidata, the Daftar Data schedule /data/jadwal, G2G access requests and public
// information requests. APIs: the CKAN Action API subset under /api/3/action/ and a DCAT
// catalog at /catalog.jsonld. Rules live in SatuDataService; handlers parse, call it, render.
//
// Threads: handlers run on the worker pool; the only mutable state is the page cache of anonymous
// catalog/CKAN reads (PageCache, internally locked), also read on the I/O thread by fast handlers.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/module.hpp"
#include "core/web/page_cache.hpp"
#include "modules/satudata/satudata_service.hpp"
#include "modules/satudata/satudata_tokens.hpp"

namespace gapura::modules::satudata {

class SatuDataModule final : public core::Module {
public:
    explicit SatuDataModule(core::CoreServices s) : s_(s), svc_(s), tokens_(s) {}
    std::string name() const override { return "satudata"; }
    std::vector<core::db::Migration> migrations() const override;
    void register_routes(core::http::Router& router) override;
    void register_jobs(core::jobs::Scheduler& scheduler) override;
    void seed(bool demo) override;
    std::vector<core::web::NavItem> nav() const override { return {{"/data", "satudata_nav", 40}}; }
    std::vector<std::string> public_audit_types() const override { return {"dataset", "info_request", "daftar_data"}; }
    // Every error under /api/3/ (the core's refusals included) in CKAN's envelope.
    std::vector<core::web::ErrorFormat> error_formats() const override;

    SatuDataService& service() { return svc_; }
    OpdTokenService& tokens() { return tokens_; }

private:
    using Ctx = core::http::RequestContext;
    using Res = core::http::Response;

    // Public pages.
    Res catalog(Ctx& ctx);
    Res dataset_page(Ctx& ctx);
    enum class Format { csv, json, xlsx };
    Res download(Ctx& ctx, Format format);
    Res download_original(Ctx& ctx);
    struct CsvRendering;
    // The XLSX of a version as a file on disk at `path` (its xlsx_cache_path for `cols`, which the
    // caller computed once for the ETag too), rendered on first use; nullptr: too big.
    std::shared_ptr<core::http::BodySource> xlsx_file(const Version& v, const std::vector<ColumnSpec>& cols,
                                                      const std::string& path);
    std::string xlsx_cache_path(const Version& v, const std::vector<ColumnSpec>& cols) const;
    // Removes cached workbooks no version names any more (columns retyped, writer format changed)
    // and leftovers of interrupted renderings, older than an hour. Daily job; returns how many.
    int prune_xlsx_cache();
    std::mutex xlsx_mu_;  // guards xlsx_locks_
    // One rendering per workbook at a time: a request for a workbook being rendered waits for it.
    std::map<std::string, std::shared_ptr<std::mutex>> xlsx_locks_;
    Res schedule(Ctx& ctx, const Error* err = nullptr);
    Res schedule_add(Ctx& ctx);
    Res info_list(Ctx& ctx, const Error* err = nullptr);
    Res info_ask(Ctx& ctx);
    Res info_page(Ctx& ctx, const Error* err = nullptr);
    Res info_extend(Ctx& ctx);
    Res info_answer(Ctx& ctx);
    // Producer pages.
    Res producer_home(Ctx& ctx);
    Res edit_form(Ctx& ctx, const Error* err = nullptr);
    Res edit_save(Ctx& ctx);
    Res manage(Ctx& ctx, const Error* err = nullptr, const UploadOutcome* outcome = nullptr);
    Res columns_save(Ctx& ctx);
    Res upload(Ctx& ctx);
    core::http::UploadStart upload_start(Ctx& ctx);
    Res submit(Ctx& ctx);
    Res requests_page(Ctx& ctx);
    Res request_access(Ctx& ctx);
    Res decide_access(Ctx& ctx, bool approve);
    Res tokens_page(Ctx& ctx, const Error* err = nullptr, const TokenCreated* created = nullptr);
    Res token_create(Ctx& ctx);
    Res token_revoke(Ctx& ctx);
    // Walidata desk.
    Res desk(Ctx& ctx, const Error* err = nullptr);
    Res desk_action(Ctx& ctx, const std::string& action);
    // CKAN API and DCAT (satudata_ckan.cpp).
    Res ckan_action(Ctx& ctx);
    Res dcat_catalog(Ctx& ctx);
    core::http::Response ckan_core_error(const core::web::ErrorReport& r) const;

    // Who is asking, for the CKAN API and the downloads: an OPD token or a user's API token sent
    // as "Authorization: <key>", "Authorization: Bearer <key>" or "X-CKAN-API-Key: <key>" (then
    // the session is not looked at), else the session's principal.
    struct Caller {
        std::optional<Principal> principal;
        std::optional<OpdToken> token;
        bool refused = false;  // a key was sent and is not valid (unknown, revoked, expired)
        Viewer viewer() const { return token ? token_viewer(*token) : policy_viewer(); }
        Viewer policy_viewer() const;
    };
    Caller caller_of(Ctx& ctx);

    core::web::Data dataset_summary(const Dataset& d, const std::string& lang) const;
    std::string error_text(const std::string& lang, const CellError& e) const;
    std::string t(const std::string& lang, const std::string& key) const { return s_.views.t(lang, key); }

    core::CoreServices s_;
    SatuDataService svc_;
    OpdTokenService tokens_;
    core::web::PageCache cache_{32u << 20, 5};  // 32 MB, 5 s; cleared by writes that change what the public sees
    // Which answers are worth keeping: a URL is put in cache_ from its second answer on (a hash of
    // the key per slot, the last one seen). A search box's one-off URLs would otherwise each copy
    // their answer (39 KB for package_search) into the cache and push the repeated ones out.
    std::array<std::atomic<std::uint64_t>, 4096> cache_seen_{};
    bool seen_before(const std::string& key);
    // package_search's package dicts, serialised, for answers from the public index (lang + '\n' +
    // id -> JSON): kept while the index generation is the one they were made at (a dict shows only
    // what the generation covers: the dataset, its OPD, tags and published version), at most
    // kMaxPackageJson of them. When a page's dicts are all kept, its rows are not read at all
    // (SearchQuery::page_known); shared, so a page takes them without copying 4 KB each.
    struct PackageJson {
        std::mutex m;
        std::int64_t gen = -1;
        std::unordered_map<std::string, std::shared_ptr<const std::string>> dicts;
    };
    static constexpr std::size_t kMaxPackageJson = 4096;
    std::shared_ptr<PackageJson> package_json_ = std::make_shared<PackageJson>();
};

std::unique_ptr<core::Module> make_satudata_module(const core::CoreServices& services);

}  // namespace gapura::modules::satudata
