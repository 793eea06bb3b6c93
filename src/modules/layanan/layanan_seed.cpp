// Demo data of the layanan module (seed --demo): two more desk accounts, assets per OPD, public
// reports and internal faults in every state (some past their SLA), and one Open311 API key
// whose raw value is logged once. Idempotent: a second run finds the DEMO assets and stops.
#include <spdlog/spdlog.h>

#include "app/demo.hpp"
#include "core/auth/auth_service.hpp"
#include "core/region/regency.hpp"
#include "modules/layanan/layanan_module_impl.hpp"

namespace gapura::modules::layanan {

using core::db::Connection;

void LayananModule::seed(bool demo) {
    if (!demo) return;
    const bool done = s_.db.read([&](Connection& c) {
        return core::db::scalar_int(c, "SELECT COUNT(*) FROM layanan_assets WHERE code LIKE 'DEMO-%'").value_or(0) > 0;
    });
    if (done) return;
    const auto system = core::audit::Actor::system("seed");
    struct Account {
        const char *email, *name, *role, *opd;
    };
    for (const Account& a : {Account{"operator.kominfo@demo.gapura.id", "Kepala Bidang TIK", "operator_opd", "diskominfo-sp"},
                             Account{"operator.dlhp@demo.gapura.id", "Operator DLHP", "operator_opd", "dlhp"},
                             Account{"operator.bpbd@demo.gapura.id", "Operator BPBD", "operator_opd", "bpbd"}}) {
        bool exists = s_.db.read([&](Connection& c) {
            return core::db::scalar_int(c, "SELECT id FROM users WHERE email = ?", {a.email}).has_value();
        });
        if (!exists) (void)s_.auth.add_user(a.email, a.name, a.role, a.opd, kDemoPassword, system);
    }

    const auto now = s_.clock.now();
    // Assets: a link, a switch and an access point per OPD of opd.csv; servers at Diskominfo.
    std::vector<std::int64_t> asset_ids;
    s_.db.write([&](Connection& c) {
        int n = 0;
        for (const auto& o : s_.regency.opds) {
            if (o.kind == "kecamatan") continue;
            auto opd = store::opd_id_by_slug(c, o.slug);
            if (!opd) continue;
            std::string abbr;
            for (char ch : o.slug)
                if (std::isalnum(static_cast<unsigned char>(ch))) abbr.push_back(static_cast<char>(std::toupper(ch)));
            abbr = abbr.substr(0, 8);
            struct K {
                const char *kind, *suffix, *name;
            };
            for (const K& k : {K{"link", "LINK-01", "Fiber optik ke NOC Diskominfo"}, K{"switch", "SW-01", "Switch inti lantai 1"},
                               K{"access_point", "AP-01", "Access point ruang pelayanan"}}) {
                Asset a;
                a.code = "DEMO-" + abbr + "-" + k.suffix;
                a.opd_id = *opd;
                a.kind = k.kind;
                a.name = k.name;
                a.location = "Kantor " + o.abbreviation;
                a.serial = "SN" + std::to_string(240000 + ++n * 7);
                a.installed_on = n % 2 ? "2023-03-14" : "2024-08-01";
                a.created_at = now;
                asset_ids.push_back(store::insert_asset(c, a));
            }
        }
        auto kominfo = store::opd_id_by_slug(c, kGuarantorOpd);
        if (!kominfo) kominfo = store::opd_id_by_slug(c, s_.regency.walidata_opd);
        for (int i = 1; kominfo && i <= 2; ++i) {
            Asset a;
            a.code = "DEMO-DC-SRV-0" + std::to_string(i);
            a.opd_id = *kominfo;
            a.kind = "server";
            a.name = i == 1 ? "Server aplikasi (SIMPEG, e-Office)" : "Server web subdomain tubankab.go.id";
            a.location = "Ruang server Diskominfo-SP";
            a.serial = "SRV-2022-0" + std::to_string(i);
            a.installed_on = "2022-11-20";
            a.created_at = now;
            asset_ids.push_back(store::insert_asset(c, a));
        }
        s_.audit.record(c, system, "layanan.seed_assets", "layanan_aset", "demo", "{\"count\":" + std::to_string(asset_ids.size()) + "}", now);
    });

    // Tickets in every state, reported up to three weeks ago.
    struct Demo {
        const char* service;
        const char* village_or_asset;  // a village code (public) or an asset index (internal)
        double lat, lng;
        const char* description;
        TicketStatus status;
        std::int64_t age_h;
        const char* priority;
        const char* attr_code;
        const char* attr_value;
    };
    const Demo demos[] = {
        {"jalan-rusak", "", -6.8975, 112.0500, "Jalan berlubang besar di depan pasar, sudah dua minggu.", TicketStatus::new_, 2, "normal", "tingkat_kerusakan", "sedang"},
        {"jalan-rusak", "", -6.89755, 112.05005, "Lubang di depan pasar membahayakan pengendara motor.", TicketStatus::new_, 1, "normal", "tingkat_kerusakan", "berat"},
        {"pju-mati", "", -6.9000, 112.0610, "Lampu PJU mati sepanjang 200 m, gelap di malam hari.", TicketStatus::assigned, 30, "normal", "kondisi", "mati"},
        {"sampah", "", -6.8930, 112.0700, "TPS penuh, sampah meluber ke jalan.", TicketStatus::in_progress, 100, "normal", "jenis_lokasi", "tps"},
        {"banjir-drainase", "", -6.9100, 112.0400, "Saluran tersumbat, air menggenang setiap hujan.", TicketStatus::pending, 60, "normal", "", ""},
        {"pohon-tumbang", "", -6.9500, 111.9000, "Pohon tumbang menutup separuh jalan desa.", TicketStatus::resolved, 200, "high", "menutup_jalan", "ya"},
        {"air-bersih", "", -6.9300, 111.9500, "Air tidak mengalir tiga hari.", TicketStatus::rejected, 150, "normal", "masalah", "tidak_mengalir"},
        {"sampah", "", -6.8931, 112.0701, "Sampah di TPS belum diangkut.", TicketStatus::merged, 90, "normal", "jenis_lokasi", "tps"},
        {"jalan-rusak", "", -6.8000, 111.9000, "Aspal retak panjang di jalan kabupaten.", TicketStatus::new_, 24 * 14, "low", "tingkat_kerusakan", "ringan"},
        {"pju-mati", "", -6.9200, 112.0200, "Tiang PJU miring hampir roboh.", TicketStatus::assigned, 24 * 21, "urgent", "kondisi", "tiang_rusak"},
        {"jaringan-opd-putus", "0", 0, 0, "Internet kantor putus sejak pagi.", TicketStatus::new_, 3, "high", "cakupan", "seluruh_kantor"},
        {"perangkat-jaringan-rusak", "1", 0, 0, "Switch lantai 1 mati total.", TicketStatus::in_progress, 30, "normal", "", ""},
        {"server-aplikasi-down", "-1", 0, 0, "Aplikasi e-Office tidak bisa diakses.", TicketStatus::resolved, 80, "urgent", "nama_aplikasi", "e-Office"},
        {"perangkat-jaringan-rusak", "5", 0, 0, "Access point sering restart.", TicketStatus::resolved, 400, "normal", "", ""},
        {"jaringan-opd-putus", "3", 0, 0, "Link fiber DPUPR putus karena galian.", TicketStatus::new_, 24 * 10, "high", "cakupan", "seluruh_kantor"},
    };
    const std::string village = s_.regency.villages.empty() ? "" : s_.regency.villages.front().code;
    std::vector<std::string> villages;
    for (const auto& v : s_.regency.villages) villages.push_back(v.code);
    std::optional<std::int64_t> first_sampah;
    int i = 0;
    for (const auto& d : demos) {
        const Service* svc = catalog_.find(d.service);
        if (!svc) continue;
        s_.db.write([&](Connection& c) {
            Ticket t;
            const std::int64_t created = now - d.age_h * 3600;
            t.code = "LT-DEMO" + std::to_string(1000 + i);
            t.service_code = svc->code;
            t.is_public = svc->is_public;
            auto owner = store::opd_id_by_slug(c, svc->opd_slug);
            if (!owner) return;
            t.opd_id = *owner;
            t.priority = d.priority;
            t.description = d.description;
            auto warga = core::db::scalar_int(c, "SELECT id FROM users WHERE email = 'warga@demo.gapura.id'");
            if (svc->is_public) {
                t.village_code = villages.empty() ? "" : villages[(i * 37) % villages.size()];
                t.address = "Jl. Demo No. " + std::to_string(10 + i);
                t.lat = d.lat;
                t.lng = d.lng;
                t.reporter_user_id = warga;
                t.reporter_name = "Siti Warga";
                t.reporter_email = "warga@demo.gapura.id";
                t.hide_name = i % 3 == 0;
                t.channel = i % 2 ? "open311" : "web";
            } else {
                const int idx = std::stoi(d.village_or_asset);
                const std::int64_t aid = idx < 0 ? asset_ids.back() - 1 : asset_ids.at(static_cast<std::size_t>(idx));
                auto a = store::asset_by_id(c, aid);
                t.asset_id = aid;
                t.reporter_opd_id = a ? std::optional<std::int64_t>(a->opd_id) : std::nullopt;
                t.address = a ? a->location : "";
                t.reporter_name = "Operator " + (a ? a->opd_name : std::string());
                t.channel = "staff";
                t.reporter_user_id = core::db::scalar_int(c, "SELECT id FROM users WHERE email = 'operator.pupr@demo.gapura.id'");
            }
            if (d.attr_code[0]) t.attributes_json = std::string("{\"") + d.attr_code + "\":\"" + d.attr_value + "\"}";
            t.created_at = created;
            t.updated_at = created;
            t.respond_due = deadline(created, svc->sla.respond.at(t.priority));
            t.resolve_due = std::max(t.respond_due, deadline(created, svc->sla.resolve.at(t.priority)));
            t.status = d.status;
            const std::int64_t later = std::min(now, created + (d.age_h * 3600) / 2);
            auto teknisi = core::db::scalar_int(c, "SELECT id FROM users WHERE opd_id = ? AND role IN ('teknisi', 'operator_opd') ORDER BY id",
                                                {t.opd_id});
            std::string note;
            if (d.status != TicketStatus::new_) {
                t.first_response_at = later;
                t.respond_breached = later > t.respond_due;
                t.assignee_user_id = teknisi;
                t.updated_at = later;
            }
            if (d.status == TicketStatus::new_ && now > t.respond_due) t.respond_breached = true;
            if (is_open(d.status) && t.first_response_at && now > t.resolve_due) t.resolve_breached = true;
            if (d.status == TicketStatus::pending) {
                t.paused_at = later;
                note = "Mohon kirim foto lokasi saluran yang tersumbat.";
            }
            if (d.status == TicketStatus::resolved) {
                t.resolved_at = later;
                t.resolve_breached = later > t.resolve_due;
                note = "Sudah ditangani oleh tim lapangan.";
            }
            if (d.status == TicketStatus::rejected) {
                t.resolved_at = later;
                note = "Bukan kewenangan pemerintah kabupaten: jaringan air dikelola PDAM.";
            }
            if (d.status == TicketStatus::merged) {
                t.resolved_at = later;
                t.merged_into = first_sampah;
                if (!first_sampah) t.status = TicketStatus::in_progress;
                else note = "Duplikat laporan sebelumnya.";
            }
            if (!note.empty()) t.status_note = note;
            t.id = store::insert_ticket(c, t);
            if (svc->code == "sampah" && !first_sampah) first_sampah = t.id;
            if (t.asset_id && t.open()) store::update_asset_status(c, *t.asset_id, "down", now);
            store::insert_event(c, TicketEvent{0, t.id, created, t.reporter_user_id, "seed", "created", "new", "", true});
            if (t.first_response_at)
                store::insert_event(c, TicketEvent{0, t.id, *t.first_response_at, teknisi, "seed", t.status == TicketStatus::new_ ? "note" : "status",
                                                   status_name(t.status), note, true});
            s_.audit.record(c, system, "layanan.seed", t.is_public ? "layanan_laporan" : "layanan_insiden", std::to_string(t.id),
                            "{\"code\":\"" + t.code + "\"}", now);
        });
        ++i;
    }
    (void)village;

    // One Open311 key for trying the API; its raw value is shown only here.
    auto log = spdlog::get("gapura");
    if (!log) log = spdlog::default_logger();
    auto key = svc_->create_api_key(system, "demo");
    if (key) log->info("layanan: demo Open311 api_key (shown once): {}", *key);
    log->info("layanan: demo data added ({} assets, {} tickets)", asset_ids.size(), i);
}

}  // namespace gapura::modules::layanan
