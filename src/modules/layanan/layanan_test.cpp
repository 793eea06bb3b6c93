// Tests of the layanan module: service rules with a fake clock (deadlines over weekends and
// holidays, pause, breach, escalation), policy (another OPD's operator), the web form and the
// staff routes through the real pipeline, and bad input. Open311 is in open311_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "app/testing.hpp"
#include "core/audit/audit_log.hpp"
#include "core/auth/crypto.hpp"
#include "core/auth/auth_service.hpp"
#include "core/files/file_store.hpp"
#include "core/jobs/notifier.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/region/regency.hpp"
#include "core/util/clock.hpp"
#include "core/web/i18n.hpp"
#include "modules/layanan/layanan_service.hpp"

namespace gapura::modules::layanan {
namespace {

using core::db::Connection;

std::int64_t wib(int y, int m, int d, int hh = 0, int mm = 0) {
    namespace ch = std::chrono;
    ch::sys_days sd{ch::year{y} / ch::month{static_cast<unsigned>(m)} / ch::day{static_cast<unsigned>(d)}};
    return sd.time_since_epoch().count() * 86400 + hh * 3600 + mm * 60 - 7 * 3600;
}

struct Desk : ::testing::Test {
    testing::TestApp t;
    core::web::I18n i18n;
    core::web::Views views{i18n, {}};
    core::files::FileStore files{t.dir + "/files-test", t.app.db(), t.clock};
    core::CoreServices services{t.app.config(), t.app.regency(), t.app.db(), t.clock, t.app.audit(), t.app.auth(),
                                views, files, t.app.notifier()};
    Catalog catalog = Catalog::load(testing::source_dir() + "/src/modules/layanan/data/services.json");
    core::calendar::WorkingCalendar cal =
        core::calendar::WorkingCalendar::load(testing::source_dir() + "/data/holidays/indonesia.csv", 420);
    LayananService svc{services, catalog, cal};

    core::auth::Principal who(const std::string& email) {
        auto g = t.app.auth().sign_in(email, "gapura-demo-2026", "198.51.100.1");
        EXPECT_TRUE(g.ok()) << email;
        return g->principal;
    }
    std::string village() const { return t.app.regency().villages.front().code; }
    NewReport road() {
        NewReport in;
        in.service_code = "jalan-rusak";
        in.description = "Jalan berlubang di depan sekolah.";
        in.village_code = village();
        in.address = "Jl. Pahlawan 1";
        in.lat = -6.8962;
        in.lng = 112.0636;
        in.attributes["tingkat_kerusakan"] = {"berat"};
        return in;
    }
    Ticket submit(NewReport in, const std::string& email = "warga@demo.gapura.id") {
        auto p = who(email);
        auto r = svc.submit_report(in, p, core::auth::AuthService::actor_of(p));
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message_key + " " + (r.error().fields.empty() ? "" : r.error().fields[0].field));
        return r.ok() ? *r : Ticket{};
    }
    std::int64_t count(const std::string& table) {
        return t.app.db().read([&](Connection& c) { return core::db::scalar_int(c, "SELECT COUNT(*) FROM " + table).value_or(-1); });
    }
    std::int64_t user_id(const std::string& email) {
        return t.app.db().read(
            [&](Connection& c) { return core::db::scalar_int(c, "SELECT id FROM users WHERE email = ?", {email}).value_or(0); });
    }
};

TEST(LayananCatalog, LoadsAndChecks) {
    auto cat = Catalog::load(testing::source_dir() + "/src/modules/layanan/data/services.json");
    int pub = 0, internal = 0;
    for (const auto& s : cat.services()) (s.is_public ? pub : internal)++;
    EXPECT_GE(pub, 6);
    EXPECT_GE(internal, 6);
    const Service* road = cat.find("jalan-rusak");
    ASSERT_NE(road, nullptr);
    EXPECT_EQ(road->opd_slug, "dpupr-prkp");
    // LAPOR! default: 3 working days to verify, 8 in total to the follow-up plan.
    EXPECT_DOUBLE_EQ(road->sla.respond.at("normal").amount, 3);
    EXPECT_TRUE(road->sla.respond.at("normal").days);
    EXPECT_DOUBLE_EQ(road->sla.resolve.at("normal").amount, 8);
    EXPECT_FALSE(cat.find("server-aplikasi-down")->is_public);
    EXPECT_EQ(cat.escalation_offsets_hours(), (std::vector<int>{8, 0}));
    EXPECT_THROW(Catalog::parse("{\"default_sla\":{}}", "x"), std::runtime_error);
    EXPECT_THROW(Catalog::parse(R"({"default_sla":{"public":{"respond":{"low":"3x"}}},"services":[]})", "x"), std::runtime_error);
}

TEST(LayananCatalog, EnglishTwinsAndTheirFallback) {
    // Every text of the shipped catalog has an English twin of its own.
    auto cat = Catalog::load(testing::source_dir() + "/src/modules/layanan/data/services.json");
    for (const auto& s : cat.services()) {
        EXPECT_NE(s.description_en, s.description) << s.code;
        EXPECT_NE(s.group_en, s.group) << s.code;
        for (const auto& a : s.attributes) {
            EXPECT_NE(a.description_en, a.description) << s.code << " " << a.code;
            EXPECT_FALSE(a.datatype_description_en.empty()) << s.code << " " << a.code;
            for (const auto& v : a.values) EXPECT_FALSE(v.name_en.empty()) << s.code << " " << v.key;
        }
    }
    EXPECT_EQ(cat.find("jalan-rusak")->description_in("en"), "A regency road with potholes, cracks, subsidence or other damage.");
    EXPECT_EQ(cat.find("jalan-rusak")->description_in("id"), "Jalan kabupaten berlubang, retak, ambles atau rusak.");
    // A catalog without twins answers its Indonesian texts in English too.
    auto bare = Catalog::parse(R"({"default_sla":{"public":{"respond":{"low":"3d","normal":"3d","high":"1d","urgent":"4h"},
        "resolve":{"low":"8d","normal":"8d","high":"5d","urgent":"2d"}},"internal":{"respond":{"low":"1d","normal":"4h",
        "high":"2h","urgent":"1h"},"resolve":{"low":"5d","normal":"3d","high":"1d","urgent":"4h"}}},
        "services":[{"code":"x","name":"Nama","description":"Uraian","group":"Kelompok","opd":"o","attributes":[
        {"code":"a","datatype":"singlevaluelist","order":1,"description":"Atribut","datatype_description":"Pilih",
         "values":[{"key":"k","name":"Nilai"}]}]}]})",
                               "inline");
    const Service& x = bare.services().at(0);
    EXPECT_EQ(x.name_in("en"), "Nama");
    EXPECT_EQ(x.description_in("en"), "Uraian");
    EXPECT_EQ(x.group_in("en"), "Kelompok");
    EXPECT_EQ(x.attributes.at(0).description_in("en"), "Atribut");
    EXPECT_EQ(x.attributes.at(0).datatype_description_in("en"), "Pilih");
    EXPECT_EQ(x.attributes.at(0).values.at(0).name_in("en"), "Nilai");
    EXPECT_THROW(Catalog::parse(R"({"default_sla":{"public":{"respond":{"low":"3d","normal":"3d","high":"1d","urgent":"4h"},
        "resolve":{"low":"8d","normal":"8d","high":"5d","urgent":"2d"}},"internal":{"respond":{"low":"1d","normal":"4h",
        "high":"2h","urgent":"1h"},"resolve":{"low":"5d","normal":"3d","high":"1d","urgent":"4h"}}},
        "services":[{"code":"x","name":"Nama","description":"Uraian","description_en":7,"opd":"o"}]})",
                                "inline"),
                 std::runtime_error);
}

TEST_F(Desk, DeadlinesFollowTheWorkingCalendar) {
    // Tuesday 17 March 2026, 10:00 WIB; 18–24 March is Nyepi + Idulfitri with cuti bersama.
    t.clock.set(wib(2026, 3, 17, 10));
    auto tk = submit(road());
    ASSERT_GT(tk.id, 0);
    EXPECT_EQ(tk.opd_slug, "dpupr-prkp");
    // 3 working days = 24 h: Tue 6 h, Wed 25, Thu 26, then 2 h on Fri 27 March.
    EXPECT_EQ(tk.respond_due, wib(2026, 3, 27, 10));
    // 8 working days = 64 h: 62 h by Thursday 2 April 16:00, 3 April is Good Friday, so the
    // last 2 h fall on Monday 6 April → 10:00.
    EXPECT_EQ(tk.resolve_due, wib(2026, 4, 6, 10));
    ASSERT_TRUE(tk.next_due());
    EXPECT_EQ(*tk.next_due(), tk.respond_due);
    EXPECT_EQ(tk.code.size(), 11u);
    EXPECT_EQ(tk.code.substr(0, 3), "LT-");
}

TEST_F(Desk, PauseWhileWaitingForTheReporterMovesTheDeadline) {
    t.clock.set(wib(2026, 6, 8, 9));  // Monday
    auto tk = submit(road());
    auto op = who("operator.pupr@demo.gapura.id");
    const auto resolve_before = tk.resolve_due;
    ASSERT_TRUE(svc.request_info(op, tk.id, "Mohon foto lebih dekat.").ok());
    auto paused = *svc.get(tk.id);
    EXPECT_EQ(paused.status, TicketStatus::pending);
    ASSERT_TRUE(paused.paused_at);
    ASSERT_TRUE(paused.first_response_at);
    // The reporter answers after a weekend: Mon 9:00 → Tue 9:00 is 8 working hours paused.
    t.clock.set(wib(2026, 6, 9, 9));
    auto warga = who("warga@demo.gapura.id");
    ASSERT_TRUE(svc.provide_info(warga, tk.code, "Foto sudah saya kirim lewat WA.").ok());
    auto resumed = *svc.get(tk.id);
    EXPECT_FALSE(resumed.paused_at);
    EXPECT_EQ(resumed.status, TicketStatus::in_progress);
    EXPECT_EQ(resumed.resolve_due, cal.add_working_hours(resolve_before, 8));
    // The SLA job ignores a paused ticket: no breach while waiting.
    ASSERT_TRUE(svc.request_info(op, tk.id, "Satu lagi: lebar lubang?").ok());
    t.clock.set(wib(2026, 9, 1, 9));
    svc.run_sla(t.clock.now());
    EXPECT_FALSE(svc.get(tk.id)->resolve_breached);
    // Only the reporter may answer.
    EXPECT_EQ(svc.provide_info(op, tk.code, "x").error().code, ErrorCode::forbidden);
}

TEST_F(Desk, BreachAndEscalationToTheOpdHeadOnce) {
    t.clock.set(wib(2026, 6, 8, 9));
    NewReport in;
    in.service_code = "sampah";  // DLHP
    in.description = "TPS penuh.";
    in.village_code = village();
    in.address = "TPS Pasar";
    in.attributes["jenis_lokasi"] = {"tps"};
    auto tk = submit(in);
    const auto head = user_id("operator.dlhp@demo.gapura.id");
    ASSERT_GT(head, 0);
    const int before = t.app.notifier().unread_count(head);
    // 8 working hours before the respond deadline: the warning.
    t.clock.set(cal.add_working_hours(tk.created_at, 16));
    EXPECT_GE(svc.run_sla(t.clock.now()), 1);
    EXPECT_EQ(t.app.notifier().unread_count(head), before + 1);
    EXPECT_EQ(svc.run_sla(t.clock.now()), 0);  // not twice
    EXPECT_FALSE(svc.get(tk.id)->respond_breached);
    // Past the deadline: breach flag and the second escalation.
    t.clock.set(tk.respond_due + 60);
    EXPECT_GE(svc.run_sla(t.clock.now()), 1);
    auto after = *svc.get(tk.id);
    EXPECT_TRUE(after.respond_breached);
    EXPECT_EQ(t.app.notifier().unread_count(head), before + 2);
    EXPECT_EQ(svc.run_sla(t.clock.now()), 0);
    // The breach and the escalations are on the internal timeline.
    int breach = 0, escalate = 0;
    for (const auto& e : svc.timeline(tk.id, false)) {
        breach += e.kind == "breach";
        escalate += e.kind == "escalate";
    }
    EXPECT_EQ(breach, 1);
    EXPECT_EQ(escalate, 2);
    for (const auto& e : svc.timeline(tk.id, true)) EXPECT_NE(e.kind, "breach");
}

TEST_F(Desk, SchedulerJobRunsOnTheInjectedClock) {
    // After the app's start (the fake clock starts on 2027-01-01): Monday 8 February 2027.
    t.clock.set(wib(2027, 2, 8, 9));
    auto tk = submit(road());
    t.clock.set(tk.respond_due + 3600);
    t.app.scheduler().run_due();
    EXPECT_TRUE(svc.get(tk.id)->respond_breached);
}

TEST_F(Desk, WorkflowAssignResolveReopenWithin30Days) {
    t.clock.set(wib(2026, 6, 8, 9));
    auto tk = submit(road());
    auto op = who("operator.pupr@demo.gapura.id");
    auto warga = who("warga@demo.gapura.id");
    ASSERT_TRUE(svc.assign(op, tk.id, op.user_id, "Cek lokasi").ok());
    EXPECT_EQ(svc.get(tk.id)->status, TicketStatus::assigned);
    // Assigning to someone outside the OPD is refused.
    EXPECT_EQ(svc.assign(op, tk.id, user_id("teknisi@demo.gapura.id"), "").error().fields[0].message_key, "layanan_err_assignee");
    ASSERT_TRUE(svc.change_status(op, tk.id, "in_progress", "Tim menuju lokasi", true).ok());
    ASSERT_TRUE(svc.change_status(op, tk.id, "", "Catatan internal: butuh aspal 2 m3", false).ok());
    ASSERT_TRUE(svc.resolve(op, tk.id, "Lubang sudah ditambal.").ok());
    auto done = *svc.get(tk.id);
    EXPECT_EQ(done.status, TicketStatus::resolved);
    EXPECT_FALSE(done.next_due());
    EXPECT_EQ(done.status_note, "Lubang sudah ditambal.");
    // Public timeline hides the internal note; the staff one has it.
    bool internal_public = false, internal_staff = false;
    for (const auto& e : svc.timeline(tk.id, true)) internal_public |= e.note.find("aspal") != std::string::npos;
    for (const auto& e : svc.timeline(tk.id, false)) internal_staff |= e.note.find("aspal") != std::string::npos;
    EXPECT_FALSE(internal_public);
    EXPECT_TRUE(internal_staff);
    // Someone else cannot reopen; the reporter can within 30 days.
    EXPECT_EQ(svc.reopen(op, tk.code, "x").error().code, ErrorCode::forbidden);
    t.clock.advance(29 * 86400);
    ASSERT_TRUE(svc.reopen(warga, tk.code, "Lubang muncul lagi.").ok());
    auto again = *svc.get(tk.id);
    EXPECT_EQ(again.status, TicketStatus::assigned);
    ASSERT_TRUE(again.next_due());
    EXPECT_GT(*again.next_due(), t.clock.now());
    // Resolved again, then a reopen after 30 days is refused.
    ASSERT_TRUE(svc.resolve(op, tk.id, "Ditambal ulang.").ok());
    t.clock.advance(30 * 86400 + 1);
    auto late = svc.reopen(warga, tk.code, "Masih rusak.");
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, ErrorCode::conflict);
    EXPECT_EQ(late.error().message_key, "layanan_err_reopen_expired");
    EXPECT_EQ(svc.get(tk.id)->status, TicketStatus::resolved);
    // Every change is audited.
    auto entries = t.app.db().read([&](Connection& c) { return t.app.audit().for_object(c, "layanan_laporan", std::to_string(tk.id)); });
    EXPECT_GE(entries.size(), 7u);  // report, assign, status, note, resolve, reopen, resolve
}

TEST_F(Desk, AnotherOpdsOperatorCannotTouchATicket) {
    t.clock.set(wib(2026, 6, 8, 9));
    NewReport in;
    in.service_code = "pju-mati";  // DLHP's
    in.description = "Lampu mati.";
    in.village_code = village();
    in.address = "Jl. Sunan Kalijaga";
    in.attributes["kondisi"] = {"mati"};
    auto tk = submit(in);
    auto pupr = who("operator.pupr@demo.gapura.id");
    const auto events_before = count("layanan_events");
    EXPECT_EQ(svc.assign(pupr, tk.id, pupr.user_id, "").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc.change_status(pupr, tk.id, "in_progress", "x", true).error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc.request_info(pupr, tk.id, "x").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc.reject(pupr, tk.id, "bukan urusan").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc.resolve(pupr, tk.id, "x").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc.get(tk.id)->status, TicketStatus::new_);
    EXPECT_EQ(count("layanan_events"), events_before);
    // A citizen is not desk staff at all.
    EXPECT_EQ(svc.resolve(who("warga@demo.gapura.id"), tk.id, "x").error().code, ErrorCode::forbidden);
    // The owner OPD's operator may.
    EXPECT_TRUE(svc.resolve(who("operator.dlhp@demo.gapura.id"), tk.id, "Lampu diganti.").ok());
}

TEST_F(Desk, DuplicatesWithin100mAndMerge) {
    t.clock.set(wib(2026, 6, 8, 9));
    auto a = submit(road());
    auto in = road();
    in.lat = *in.lat + 0.0005;  // ~55 m north
    auto b = submit(in);
    in.lat = *in.lat + 0.002;  // ~280 m: not a duplicate
    auto c = submit(in);
    auto dups = svc.duplicates(b);
    ASSERT_EQ(dups.size(), 1u);
    EXPECT_EQ(dups[0].id, a.id);
    EXPECT_TRUE(svc.duplicates(c).empty());
    auto op = who("operator.pupr@demo.gapura.id");
    EXPECT_EQ(svc.merge(op, b.id, b.id).error().message_key, "layanan_err_merge_self");
    ASSERT_TRUE(svc.merge(op, b.id, a.id).ok());
    auto merged = *svc.get(b.id);
    EXPECT_EQ(merged.status, TicketStatus::merged);
    EXPECT_EQ(merged.merged_into, a.id);
    EXPECT_TRUE(svc.duplicates(a).empty() || svc.duplicates(a)[0].id != b.id);
    // Reject needs a reason.
    EXPECT_EQ(svc.reject(op, c.id, "  ").error().message_key, "layanan_err_reason_required");
    ASSERT_TRUE(svc.reject(op, c.id, "Jalan nasional: kewenangan BBPJN.").ok());
    EXPECT_EQ(svc.get(c.id)->status, TicketStatus::rejected);
}

TEST_F(Desk, BadReportsAreRefusedAndNothingIsWritten) {
    auto p = who("warga@demo.gapura.id");
    const auto before = count("layanan_tickets");
    auto field_of = [&](NewReport in) {
        auto r = svc.submit_report(in, p, core::auth::AuthService::actor_of(p));
        EXPECT_FALSE(r.ok());
        return r.ok() || r.error().fields.empty() ? std::string() : r.error().fields[0].field + "/" + r.error().fields[0].message_key;
    };
    auto in = road();
    in.service_code = "tidak-ada";
    EXPECT_EQ(field_of(in), "service_code/layanan_err_service_unknown");
    in = road();
    in.service_code = "server-aplikasi-down";  // internal: not for citizens
    EXPECT_EQ(field_of(in), "service_code/layanan_err_service_unknown");
    in = road();
    in.attributes.clear();
    EXPECT_EQ(field_of(in), "attribute[tingkat_kerusakan]/layanan_err_attribute_required");
    in = road();
    in.attributes["tingkat_kerusakan"] = {"parah sekali"};
    EXPECT_EQ(field_of(in), "attribute[tingkat_kerusakan]/layanan_err_attribute_value");
    in = road();
    in.description = std::string(4001, 'a');
    EXPECT_EQ(field_of(in), "description/layanan_err_text_too_long");
    in.description = std::string(4000, 'a');
    EXPECT_TRUE(svc.validate(in, false).ok());
    in = road();
    in.description = "<script>alert(1)</script>";
    EXPECT_EQ(field_of(in), "description/layanan_err_html");
    in = road();
    in.lat = 91;
    EXPECT_EQ(field_of(in), "lat/layanan_err_latlng_range");
    in = road();
    in.lat = -7.25;  // Surabaya-ish: outside Tuban
    in.lng = 112.75;
    EXPECT_EQ(field_of(in), "lat/layanan_err_outside");
    in = road();
    in.lng.reset();
    EXPECT_EQ(field_of(in), "long/layanan_err_latlng_pair");
    in = road();
    in.village_code = "99.99.99.9999";
    EXPECT_EQ(field_of(in), "village_code/layanan_err_village_unknown");
    in = road();
    in.address = "";
    EXPECT_EQ(field_of(in), "address_string/layanan_err_required");
    in = road();
    in.description = "Robert'); DROP TABLE layanan_tickets;--";
    EXPECT_TRUE(svc.submit_report(in, p, core::auth::AuthService::actor_of(p)).ok());  // just text
    EXPECT_EQ(count("layanan_tickets"), before + 1);
}

TEST_F(Desk, InternalFaultsAgainstAnAssetAndItsHistory) {
    t.clock.set(wib(2026, 6, 8, 9));
    auto pupr = who("operator.pupr@demo.gapura.id");
    auto teknisi = who("teknisi@demo.gapura.id");
    auto admin = who("admin@demo.gapura.id");
    Asset a;
    a.code = "PUPR-SW-99";
    a.opd_id = *pupr.opd_id;
    a.kind = "switch";
    a.name = "Switch lantai 2";
    a.location = "Gedung DPUPR";
    a.serial = "SN-1";
    a.installed_on = "2024-01-02";
    EXPECT_EQ(svc.add_asset(pupr, a).error().code, ErrorCode::forbidden);  // only Diskominfo manages
    auto id = svc.add_asset(teknisi, a);
    ASSERT_TRUE(id.ok());
    a.kind = "toaster";
    EXPECT_FALSE(svc.add_asset(admin, a).ok());
    NewReport in;
    in.service_code = "perangkat-jaringan-rusak";
    in.description = "Switch mati.";
    in.asset_id = *id;
    in.priority = "high";
    auto tk = svc.report_fault(pupr, in);
    ASSERT_TRUE(tk.ok()) << tk.error().message_key;
    EXPECT_FALSE(tk->is_public);
    EXPECT_EQ(tk->opd_slug, "diskominfo-sp");  // Diskominfo owns the fault
    EXPECT_EQ(svc.asset(*id)->status, "down");
    // The reporting OPD sees it but cannot work it; Diskominfo's technician can.
    EXPECT_EQ(svc.resolve(pupr, tk->id, "x").error().code, ErrorCode::forbidden);
    t.clock.advance(3 * 3600);
    ASSERT_TRUE(svc.resolve(teknisi, tk->id, "Switch diganti.").ok());
    EXPECT_EQ(svc.asset(*id)->status, "active");
    auto st = svc.asset_stats(*id);
    EXPECT_EQ(st.incidents, 1);
    EXPECT_EQ(st.mttr_s, 3 * 3600);
    EXPECT_EQ(st.downtime_s, 3 * 3600);
    // An OPD's operator cannot report against another OPD's asset.
    auto dlhp = who("operator.dlhp@demo.gapura.id");
    EXPECT_EQ(svc.report_fault(dlhp, in).error().code, ErrorCode::forbidden);
    in.service_code = "jalan-rusak";  // public service: not an internal fault
    EXPECT_EQ(svc.report_fault(pupr, in).error().code, ErrorCode::not_found);
}

TEST_F(Desk, ApiKeysAreStoredHashed) {
    auto raw = create_api_key(t.app.db(), t.app.audit(), t.clock, "FixMyStreet Tuban");
    ASSERT_TRUE(raw.ok());
    auto stored = t.app.db().read([&](Connection& c) {
        return core::db::scalar_text(c, "SELECT key_hash FROM layanan_api_keys WHERE name = 'FixMyStreet Tuban'").value_or("");
    });
    EXPECT_EQ(stored, core::auth::Crypto::sha256_hex(*raw));
    EXPECT_EQ(stored.find(*raw), std::string::npos);
    auto key = svc.check_api_key(*raw);
    ASSERT_TRUE(key);
    EXPECT_FALSE(svc.check_api_key(*raw + "x"));
    EXPECT_EQ(svc.revoke_api_key(who("operator.pupr@demo.gapura.id"), key->id).error().code, ErrorCode::forbidden);
    ASSERT_TRUE(svc.revoke_api_key(who("admin@demo.gapura.id"), key->id).ok());
    EXPECT_FALSE(svc.check_api_key(*raw));
    EXPECT_FALSE(create_api_key(t.app.db(), t.app.audit(), t.clock, "  ").ok());
}

TEST_F(Desk, ApiKeyRevokedElsewhereIsRefusedOnceItsCacheEntryExpires) {
    auto raw = create_api_key(t.app.db(), t.app.audit(), t.clock, "Aplikasi desa");
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(svc.check_api_key(*raw));  // now cached
    // Revoked by another process (straight in the database): this service's cache does not know.
    t.app.db().write([&](Connection& c) {
        core::db::exec(c, "UPDATE layanan_api_keys SET revoked_at = 1 WHERE name = 'Aplikasi desa'");
    });
    t.clock.advance(LayananService::kKeyCacheSeconds - 1);
    EXPECT_TRUE(svc.check_api_key(*raw));
    t.clock.advance(1);
    EXPECT_FALSE(svc.check_api_key(*raw));
    EXPECT_FALSE(svc.check_api_key(std::string(201, 'k')));
    EXPECT_FALSE(svc.check_api_key(""));
}

TEST_F(Desk, DemoSeedIsIdempotentAndCoversEveryState) {
    const auto tickets = count("layanan_tickets"), assets = count("layanan_assets");
    EXPECT_GT(assets, 20);
    t.app.seed(true);
    EXPECT_EQ(count("layanan_tickets"), tickets);
    EXPECT_EQ(count("layanan_assets"), assets);
    for (const char* s : {"new", "assigned", "in_progress", "pending", "resolved", "rejected", "merged"}) {
        auto n = t.app.db().read([&](Connection& c) {
            return core::db::scalar_int(c, "SELECT COUNT(*) FROM layanan_tickets WHERE status = ?", {s}).value_or(0);
        });
        EXPECT_GT(n, 0) << s;
    }
    auto breached = t.app.db().read([&](Connection& c) {
        return core::db::scalar_int(c, "SELECT COUNT(*) FROM layanan_tickets WHERE respond_breached = 1 OR resolve_breached = 1").value_or(0);
    });
    EXPECT_GT(breached, 0);
    EXPECT_EQ(count("layanan_api_keys"), 1);
}

// ---- routes ----

TEST_F(Desk, WebFormReportAndPublicTrackingPage) {
    testing::Client c(t.app);
    // Signed out: the form asks to sign in.
    EXPECT_EQ(c.get("/layanan/lapor").status, 303u);
    t.sign_in(c, "warga@demo.gapura.id");
    auto form = c.get("/layanan/lapor?layanan=jalan-rusak");
    ASSERT_EQ(form.status, 200u);
    EXPECT_NE(form.body.find("attribute[tingkat_kerusakan]"), std::string::npos);
    auto r = c.post_form("/layanan/lapor?layanan=jalan-rusak", "/layanan/lapor",
                         "service_code=jalan-rusak&description=Lubang+besar&village_code=" + village() +
                             "&address_string=Jl.+Basuki+Rahmat&attribute%5Btingkat_kerusakan%5D=berat&hide_name=1&lat=&long=");
    ASSERT_EQ(r.status, 303u) << r.body.substr(0, 2000);
    auto loc = r.header(core::http::bhttp::field::location);
    ASSERT_EQ(loc.rfind("/layanan/lacak/LT-", 0), 0u) << loc;
    testing::Client anon(t.app);
    auto page = anon.get(loc.substr(0, loc.find('?')));
    ASSERT_EQ(page.status, 200u);
    EXPECT_NE(page.body.find("Lubang besar"), std::string::npos);
    EXPECT_EQ(page.body.find("Siti Warga"), std::string::npos);  // name hidden
    // Bad input on the form: 400 with the message, nothing written.
    const auto before = count("layanan_tickets");
    auto bad = c.post_form("/layanan/lapor?layanan=jalan-rusak", "/layanan/lapor",
                           "service_code=jalan-rusak&description=%3Cb%3Ex%3C%2Fb%3E&village_code=&address_string=");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_NE(bad.body.find("HTML"), std::string::npos);
    EXPECT_EQ(count("layanan_tickets"), before);
    auto unknown = c.post_form("/layanan/lapor", "/layanan/lapor", "service_code=zzz&description=x");
    EXPECT_EQ(unknown.status, 404u);
    // Internal faults are not on the public tracking page.
    auto internal_code = t.app.db().read([&](Connection& cc) {
        return core::db::scalar_text(cc, "SELECT code FROM layanan_tickets WHERE is_public = 0").value_or("");
    });
    EXPECT_EQ(anon.get("/layanan/lacak/" + internal_code).status, 404u);
}

// The web form's optional map pin: stored when given (a decimal comma too) and shown on the public
// page; every bad pin is a 400 with a message for that field in the user's language, the other
// fields kept, and nothing written (no ticket, no audit entry).
TEST_F(Desk, WebFormPinIsStoredAndBadPinsAreRefusedPrecisely) {
    testing::Client c(t.app);
    t.sign_in(c, "warga@demo.gapura.id");
    const std::string form_url = "/layanan/lapor?layanan=jalan-rusak";
    const std::string base = "service_code=jalan-rusak&description=Lubang+di+tikungan&village_code=" + village() +
                             "&address_string=Jl.+Basuki+Rahmat&attribute%5Btingkat_kerusakan%5D=berat";
    // The form: the inputs in a <details> (no script needed), the map's settings from the regency
    // data (regency.json's centre and bounds, each kecamatan's centre on its <optgroup>), Leaflet
    // from the vendor folder the usulan map uses.
    auto form = c.get(form_url);
    ASSERT_EQ(form.status, 200u);
    EXPECT_NE(form.body.find("<details id=\"pin\" class=\"layanan-pin\">"), std::string::npos);  // closed while empty
    EXPECT_NE(form.body.find("data-center=\"-6.953400,111.892200\""), std::string::npos);
    EXPECT_NE(form.body.find("data-bounds=\"-7.165900,111.566200,-6.754100,112.222500\""), std::string::npos);
    const auto& kec = t.app.regency().kecamatan.front();
    char kec_attr[128];
    std::snprintf(kec_attr, sizeof kec_attr, "data-lat=\"%.6f\" data-lng=\"%.6f\"", kec.lat, kec.lng);
    EXPECT_NE(form.body.find("<optgroup label=\"" + kec.name + "\" " + kec_attr + ">"), std::string::npos);
    EXPECT_NE(form.body.find("src=\"/static/vendor/leaflet/dist/leaflet.js\""), std::string::npos);
    EXPECT_NE(form.body.find("src=\"/static/js/layanan-pin.js\""), std::string::npos);

    // A pin inside Tuban is stored; "112,0636" (a decimal comma) reads as 112.0636.
    auto ok = c.post_form(form_url, "/layanan/lapor", base + "&lat=+-6.8962+&long=112%2C0636");
    ASSERT_EQ(ok.status, 303u) << ok.body.substr(0, 3000);
    auto loc = ok.header(core::http::bhttp::field::location);
    const std::string code = loc.substr(std::string("/layanan/lacak/").size(), loc.find('?') - std::string("/layanan/lacak/").size());
    auto stored = svc.by_code(code);
    ASSERT_TRUE(stored.has_value()) << code;
    ASSERT_TRUE(stored->lat && stored->lng);
    EXPECT_DOUBLE_EQ(*stored->lat, -6.8962);
    EXPECT_DOUBLE_EQ(*stored->lng, 112.0636);
    // The public page shows the point: the numbers, a link to a map, the small map's element.
    testing::Client anon(t.app);
    auto page = anon.get("/layanan/lacak/" + code);
    ASSERT_EQ(page.status, 200u);
    EXPECT_NE(page.body.find("-6.896200, 112.063600"), std::string::npos);
    EXPECT_NE(page.body.find("https://www.openstreetmap.org/?mlat=-6.896200&amp;mlon=112.063600#map=17/-6.896200/112.063600"),
              std::string::npos);
    EXPECT_NE(page.body.find("data-point=\"-6.896200,112.063600\""), std::string::npos);
    // Without a pin: no location row, no map script.
    auto plain = c.post_form(form_url, "/layanan/lapor", base + "&lat=&long=");
    ASSERT_EQ(plain.status, 303u);
    auto plain_loc = plain.header(core::http::bhttp::field::location);
    auto plain_page = anon.get(plain_loc.substr(0, plain_loc.find('?')));
    EXPECT_EQ(plain_page.body.find("layanan-pin-view"), std::string::npos);
    EXPECT_EQ(plain_page.body.find("leaflet.js"), std::string::npos);

    struct Case {
        std::string pin, field, id, en;
    };
    const std::string tuban = t.app.regency().name;
    const std::vector<Case> cases = {
        {"&lat=-6.8962&long=", "long", "Lintang dan bujur harus diisi berdua.", "Latitude and longitude go together."},
        {"&lat=&long=112.0636", "lat", "Lintang dan bujur harus diisi berdua.", "Latitude and longitude go together."},
        {"&lat=-91&long=112.0636", "lat", "Lintang harus antara -90 dan 90.", "Latitude must be between -90 and 90."},
        {"&lat=-6.8962&long=180.5", "long", "Bujur harus antara -180 dan 180.", "Longitude must be between -180 and 180."},
        {"&lat=-7.25&long=112.75", "lat", "Lokasi (lintang/bujur) berada di luar wilayah " + tuban + ".",
         "The location (lat/long) lies outside " + tuban + "."},
        {"&lat=abc&long=112.0636", "lat", "Lintang harus berupa angka desimal", "Latitude must be a decimal number"},
        {"&lat=-6.8962&long=112.06x", "long", "Bujur harus berupa angka desimal", "Longitude must be a decimal number"},
        {"&lat=nan&long=112.0636", "lat", "Lintang harus berupa angka desimal", "Latitude must be a decimal number"},
        {"&lat=-6.8962&long=inf", "long", "Bujur harus berupa angka desimal", "Longitude must be a decimal number"},
        {"&lat=1e400&long=112.0636", "lat", "Lintang harus berupa angka desimal", "Latitude must be a decimal number"},
        {"&lat=-6%2C8%2C9&long=112.0636", "lat", "Lintang harus berupa angka desimal", "Latitude must be a decimal number"},
        {"&lat=" + std::string(5000, '1') + "&long=112.0636", "lat", "Lintang harus berupa angka desimal",
         "Latitude must be a decimal number"},
        {"&lat=%3Cscript%3Ealert(1)%3C%2Fscript%3E&long=112.0636", "lat", "Lintang harus berupa angka desimal",
         "Latitude must be a decimal number"},
    };
    const auto tickets = count("layanan_tickets");
    const auto audits = count("audit_log");
    for (const auto& k : cases) {
        for (const std::string lang : {"id", "en"}) {
            c.jar()["gapura_lang"] = lang;
            auto bad = c.post_form(form_url, "/layanan/lapor", base + k.pin);
            SCOPED_TRACE(k.pin.substr(0, 80) + " [" + lang + "]");
            EXPECT_EQ(bad.status, 400u);
            const std::string& msg = lang == "id" ? k.id : k.en;
            // The message sits under the pin's inputs, tied to the input that is wrong.
            EXPECT_NE(bad.body.find("<p class=\"field-error\" id=\"" + k.field + "-err\">" + msg), std::string::npos)
                << bad.body.substr(bad.body.find("<details"), 3000);
            EXPECT_NE(bad.body.find("aria-describedby=\"pin-hint " + k.field + "-err\" aria-invalid=\"true\""), std::string::npos);
            // The pin's <details> is open again and the other fields keep their values.
            EXPECT_NE(bad.body.find("<details id=\"pin\" class=\"layanan-pin\" open>"), std::string::npos);
            EXPECT_NE(bad.body.find("Lubang di tikungan"), std::string::npos);
            EXPECT_EQ(bad.body.find("<script>alert"), std::string::npos);
        }
    }
    c.jar().erase("gapura_lang");
    EXPECT_EQ(count("layanan_tickets"), tickets);
    EXPECT_EQ(count("audit_log"), audits);

    // A bad pin and a missing description are reported together (one round trip).
    auto both = c.post_form(form_url, "/layanan/lapor",
                            "service_code=jalan-rusak&description=&village_code=" + village() +
                                "&address_string=Jl.+Basuki+Rahmat&attribute%5Btingkat_kerusakan%5D=berat&lat=x&long=y");
    EXPECT_EQ(both.status, 400u);
    EXPECT_NE(both.body.find("id=\"lat-err\">Lintang harus berupa angka desimal"), std::string::npos);
    EXPECT_NE(both.body.find("id=\"long-err\">Bujur harus berupa angka desimal"), std::string::npos);
    EXPECT_NE(both.body.find("<li>description: Wajib diisi.</li>"), std::string::npos) << both.body.substr(0, 4000);
    EXPECT_EQ(count("layanan_tickets"), tickets);
    // The server is still up and the form still works.
    EXPECT_EQ(c.get(form_url).status, 200u);
}

TEST_F(Desk, StaffQueueAndAnotherOpdOverHttp) {
    testing::Client pupr(t.app), dlhp(t.app);
    t.sign_in(pupr, "operator.pupr@demo.gapura.id");
    t.sign_in(dlhp, "operator.dlhp@demo.gapura.id");
    auto q = pupr.get("/layanan/antrian?status=all");
    ASSERT_EQ(q.status, 200u);
    EXPECT_NE(q.body.find("LT-DEMO"), std::string::npos);
    EXPECT_EQ(pupr.get("/layanan/antrian?status=bogus").status, 400u);
    // A DLHP ticket (sampah) from the demo data.
    auto id = t.app.db().read([&](Connection& c) {
        return core::db::scalar_int(c,
                                    "SELECT t.id FROM layanan_tickets t JOIN opds o ON o.id = t.opd_id"
                                    " WHERE o.slug = 'dlhp' AND t.status IN ('new', 'assigned', 'in_progress') ORDER BY t.id")
            .value_or(0);
    });
    ASSERT_GT(id, 0);
    const std::string page = "/layanan/tiket/" + std::to_string(id);
    EXPECT_EQ(pupr.get(page).status, 403u);
    const auto events = count("layanan_events");
    auto r = pupr.post_form("/layanan/antrian", page + "/selesai", "note=beres");
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(count("layanan_events"), events);
    // The owner OPD works it.
    ASSERT_EQ(dlhp.get(page).status, 200u);
    auto ok = dlhp.post_form(page, page + "/status", "status=in_progress&note=Truk+dikirim&public=1");
    EXPECT_EQ(ok.status, 303u);
    auto bad = dlhp.post_form(page, page + "/tolak", "note=");
    EXPECT_EQ(bad.status, 400u);
    // Citizens have no queue.
    testing::Client warga(t.app);
    t.sign_in(warga, "warga@demo.gapura.id");
    EXPECT_EQ(warga.get("/layanan/antrian").status, 403u);
    EXPECT_EQ(warga.get("/layanan/aset").status, 403u);
}

TEST_F(Desk, AssetPagesAndKeysUi) {
    testing::Client tek(t.app), admin(t.app), pupr(t.app);
    t.sign_in(tek, "teknisi@demo.gapura.id");
    t.sign_in(admin, "admin@demo.gapura.id");
    t.sign_in(pupr, "operator.pupr@demo.gapura.id");
    auto list = tek.get("/layanan/aset");
    ASSERT_EQ(list.status, 200u);
    EXPECT_NE(list.body.find("DEMO-"), std::string::npos);
    auto other_asset = t.app.db().read([&](Connection& c) {
        return core::db::scalar_int(c, "SELECT a.id FROM layanan_assets a JOIN opds o ON o.id = a.opd_id WHERE o.slug = 'dlhp'").value_or(0);
    });
    EXPECT_EQ(tek.get("/layanan/aset/" + std::to_string(other_asset)).status, 200u);
    EXPECT_EQ(pupr.get("/layanan/aset/" + std::to_string(other_asset)).status, 403u);
    EXPECT_EQ(pupr.get("/layanan/kunci-api").status, 403u);
    auto made = admin.post_form("/layanan/kunci-api", "/layanan/kunci-api", "name=Aplikasi+Warga");
    ASSERT_EQ(made.status, 200u);
    EXPECT_NE(made.body.find("o311_"), std::string::npos);
    EXPECT_EQ(made.header(core::http::bhttp::field::cache_control), "no-store");
}

// ---- statistics counters and the queue's index-ordered pages -------------------------------

// The counters kept by every write equal an aggregation of the tickets from scratch (rows whose
// counters all fell to zero aside).
void expect_no_drift(LayananService& svc, core::db::Database& db, const std::string& step) {
    auto kept = db.read([](Connection& c) { return store::stats(c, std::nullopt); });
    auto recount = db.read([](Connection& c) { return store::stats_recount(c); });
    std::vector<store::ServiceStats> live;
    for (const auto& s : kept) {
        if (s.received != 0) live.push_back(s);
        else EXPECT_EQ(s, (store::ServiceStats{s.opd_id, s.opd_slug, s.opd_name, s.service_code})) << step;
    }
    ASSERT_EQ(live.size(), recount.size()) << step;
    for (std::size_t i = 0; i < live.size(); ++i) EXPECT_EQ(live[i], recount[i]) << step << " " << live[i].service_code;
    (void)svc;
}

TEST_F(Desk, StatisticsCountersNeverDriftFromTheTickets) {
    t.clock.set(wib(2026, 6, 8, 9));
    auto& db = t.app.db();
    expect_no_drift(svc, db, "demo seed");
    auto op = who("operator.pupr@demo.gapura.id");
    auto warga = who("warga@demo.gapura.id");
    auto a = submit(road());
    auto in = road();
    in.lat = *in.lat + 0.01;
    auto b = submit(in);
    in.lat = *in.lat + 0.01;
    auto c = submit(in);
    in.lat = *in.lat + 0.01;
    auto d = submit(in);
    expect_no_drift(svc, db, "created");
    t.clock.advance(3600);
    ASSERT_TRUE(svc.assign(op, a.id, op.user_id, "Cek").ok());
    ASSERT_TRUE(svc.change_status(op, a.id, "in_progress", "Menuju lokasi", true).ok());
    expect_no_drift(svc, db, "assign, status");
    ASSERT_TRUE(svc.request_info(op, b.id, "Di sebelah mana?").ok());
    expect_no_drift(svc, db, "pending");
    t.clock.advance(3600);
    ASSERT_TRUE(svc.provide_info(warga, b.code, "Depan masjid").ok());
    expect_no_drift(svc, db, "info");
    t.clock.advance(2 * 86400);
    ASSERT_TRUE(svc.resolve(op, a.id, "Ditambal.").ok());
    expect_no_drift(svc, db, "resolve");
    ASSERT_TRUE(svc.reopen(warga, a.code, "Rusak lagi").ok());
    expect_no_drift(svc, db, "reopen");
    ASSERT_TRUE(svc.merge(op, c.id, b.id).ok());
    ASSERT_TRUE(svc.reject(op, d.id, "Jalan nasional").ok());
    expect_no_drift(svc, db, "merge, reject");
    // Past the deadlines: breaches are counted; a resolve after them is outside the SLA.
    t.clock.advance(30 * 86400);
    svc.run_sla(t.clock.now());
    expect_no_drift(svc, db, "breach");
    ASSERT_TRUE(svc.resolve(op, a.id, "Ditambal ulang.").ok());
    ASSERT_TRUE(svc.resolve(op, b.id, "Selesai.").ok());
    expect_no_drift(svc, db, "late resolve");
    const auto pupr = svc.opd_id_by_slug("dpupr-prkp");
    ASSERT_TRUE(pupr);
    bool seen = false;
    for (const auto& s : svc.stats(pupr))
        if (s.service_code == "jalan-rusak") {
            seen = true;
            EXPECT_GE(s.received, 4);
            EXPECT_GE(s.resolved, 2);
            EXPECT_GE(s.rejected, 1);
            EXPECT_GE(s.merged, 1);
            EXPECT_GE(s.resolve_breaches, 1);
            EXPECT_LT(s.resolved_in_sla, s.resolved);
        }
    EXPECT_TRUE(seen);
}

// Each ticket index costs every report insert a B-tree write, so the table keeps only those a
// read walks. The reads at 1,000,000 reports must keep their plans: an index in the order of the
// page (no scan of the table, no sort of its rows). Each query here is the one store.cpp builds.
TEST(LayananIndexes, TheReadsWalkTheirIndexAndTheUnusedOneIsGone) {
    testing::TestApp t;
    auto plan = [&](const std::string& sql, const std::vector<core::db::Value>& p) {
        return t.app.db().read([&](Connection& c) {
            std::string out;
            core::db::Query q(c, "EXPLAIN QUERY PLAN " + sql, p);
            while (q.next()) out += q.text(3) + "\n";
            return out;
        });
    };
    const std::string open = " AND t.status IN ('new', 'assigned', 'in_progress', 'pending')";
    struct Case {
        std::string what, sql;
        std::vector<core::db::Value> p;
        std::string index, or_index = {};  // either walks the rows in the page's order
    };
    const std::vector<Case> cases = {
        {"Open311 list by service and status",
         "SELECT t.id FROM layanan_tickets t WHERE t.is_public = 1 AND t.created_at >= ? AND t.created_at <= ?"
         " AND t.service_code IN (?)" + open + " ORDER BY t.created_at DESC, t.id DESC LIMIT ? OFFSET ?",
         // by service at 1,000,000 reports (sqlite_stat1); by date while the table is small
         {0, 2000000000, "jalan-rusak", 20, 0}, "layanan_tickets_service_created", "layanan_tickets_public"},
        {"Open311 list, every service",
         "SELECT t.id FROM layanan_tickets t WHERE t.is_public = 1 AND t.created_at >= ? AND t.created_at <= ?"
         " ORDER BY t.created_at DESC, t.id DESC LIMIT ? OFFSET ?",
         {0, 2000000000, 20, 0}, "layanan_tickets_public"},
        {"queue of an OPD, open part",
         "SELECT t.id, t.next_due FROM layanan_tickets t WHERE t.opd_id = ? AND t.next_due IS NOT NULL"
         " ORDER BY 2, 1 LIMIT ? OFFSET ?",
         {6, 51, 0}, "layanan_tickets_opd_due"},
        {"queue of an OPD by status",
         "SELECT t.id, t.next_due FROM layanan_tickets t WHERE t.opd_id = ? AND t.status = ? AND t.next_due IS NOT NULL"
         " ORDER BY 2, 1 LIMIT ? OFFSET ?",
         {6, "assigned", 51, 0}, "layanan_tickets_queue"},
        {"queue of an OPD by service",
         "SELECT t.id, t.next_due FROM layanan_tickets t WHERE t.opd_id = ? AND t.service_code = ?"
         " AND t.next_due IS NOT NULL ORDER BY 2, 1 LIMIT ? OFFSET ?",
         {6, "jalan-rusak", 51, 0}, "layanan_tickets_opd_service_due"},
        {"queue by service",
         "SELECT t.id, t.next_due FROM layanan_tickets t WHERE 1 = 1 AND t.service_code = ? AND t.next_due IS NOT NULL"
         " ORDER BY 2, 1 LIMIT ? OFFSET ?",
         {"jalan-rusak", 51, 0}, "layanan_tickets_service_due"},
        {"faults an OPD reported",
         "SELECT t.id, t.next_due FROM layanan_tickets t WHERE t.reporter_opd_id = ? AND t.opd_id <> ?"
         " AND t.next_due IS NOT NULL ORDER BY 2, 1 LIMIT ? OFFSET ?",
         {6, 6, 51, 0}, "layanan_tickets_reporter_opd_due"},
        {"deadlines due", "SELECT t.id FROM layanan_tickets t WHERE t.next_due IS NOT NULL AND t.next_due <= ?"
                          " AND t.paused_at IS NULL ORDER BY t.next_due LIMIT ?",
         {2000000000, 100}, "layanan_tickets_due"},
        {"public home", "SELECT t.id FROM layanan_tickets t WHERE t.is_public = 1 ORDER BY t.created_at DESC, t.id DESC LIMIT ?",
         {10}, "layanan_tickets_public"},
        {"incidents of an asset",
         "SELECT COUNT(*) FROM layanan_tickets WHERE asset_id = ? AND status NOT IN ('merged', 'rejected')", {1},
         "layanan_tickets_asset"},
        {"a technician's tickets",
         "SELECT t.id, t.next_due FROM layanan_tickets t WHERE 1 = 1 AND t.assignee_user_id = ? AND t.next_due IS NOT NULL"
         " ORDER BY 2, 1 LIMIT ? OFFSET ?",
         {3, 51, 0}, "layanan_tickets_assignee_due"},
        {"a citizen's reports", "SELECT t.id FROM layanan_tickets t WHERE t.reporter_user_id = ?", {3},
         "layanan_tickets_reporter"},
    };
    for (const auto& k : cases) {
        const std::string p = plan(k.sql, k.p);
        const bool walks = p.find("INDEX " + k.index + " (") != std::string::npos ||
                           (!k.or_index.empty() && p.find("INDEX " + k.or_index + " (") != std::string::npos);
        EXPECT_TRUE(walks) << k.what << ":\n" << p;
        EXPECT_EQ(p.find("SCAN"), std::string::npos) << k.what << ":\n" << p;
        EXPECT_EQ(p.find("TEMP B-TREE"), std::string::npos) << k.what << ":\n" << p;
    }
    const auto names = t.app.db().read([&](Connection& c) {
        std::vector<std::string> out;
        core::db::Query q(c, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'layanan_tickets' ORDER BY name");
        while (q.next()) out.push_back(q.text(0));
        return out;
    });
    EXPECT_EQ(std::count(names.begin(), names.end(), "layanan_tickets_service"), 0);
    EXPECT_EQ(std::count(names.begin(), names.end(), "layanan_tickets_service_created"), 1);
    EXPECT_EQ(names.size(), 13u);  // 12 named + the UNIQUE code's
    // A public report (no asset, citizen account, reporting OPD or assignee) writes no entry into
    // the four partial indexes.
    const auto partial = t.app.db().read([&](Connection& c) {
        return core::db::scalar_int(c, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'layanan_tickets'"
                                       " AND sql LIKE '% WHERE % IS NOT NULL'").value_or(-1);
    });
    EXPECT_EQ(partial, 4);
}

TEST_F(Desk, QueuePagesEqualTheReferenceOrderAcrossOpenAndClosed) {
    t.clock.set(wib(2026, 6, 8, 9));
    auto op = who("operator.pupr@demo.gapura.id");
    for (int i = 0; i < 6; ++i) {
        auto in = road();
        in.lat = *in.lat + 0.01 * (i + 1);
        auto tk = submit(in);
        t.clock.advance(600);
        if (i % 3 == 0) {
            ASSERT_TRUE(svc.resolve(op, tk.id, "Selesai.").ok());
        } else if (i % 3 == 1) {
            ASSERT_TRUE(svc.assign(op, tk.id, op.user_id, "").ok());
        }
    }
    const std::int64_t opd = *op.opd_id;
    auto reference = [&](const std::string& where, std::vector<core::db::Value> p) {
        std::vector<std::int64_t> ids;
        t.app.db().read([&](Connection& c) {
            core::db::Query q(c,
                              "SELECT t.id FROM layanan_tickets t WHERE " + where +
                                  " ORDER BY CASE WHEN t.next_due IS NULL THEN 1 ELSE 0 END, t.next_due,"
                                  " CASE WHEN t.next_due IS NULL THEN -t.id ELSE t.id END",
                              p);
            while (q.next()) ids.push_back(q.integer(0));
            return 0;
        });
        return ids;
    };
    // Both paths: full rows (ids, then the rows by id) and the queue page's summary rows (read in
    // the index scan itself) must give the same order, page by page.
    auto paged = [&](store::QueueFilter f, int size) {
        std::vector<std::int64_t> ids;
        for (int off = 0;; off += size) {
            f.limit = size;
            f.offset = off;
            f.summary_only = false;
            auto page = svc.queue(f);
            f.summary_only = true;
            auto lean = svc.queue(f);
            EXPECT_EQ(lean.size(), page.size()) << off;
            for (std::size_t i = 0; i < page.size() && i < lean.size(); ++i) EXPECT_EQ(lean[i].id, page[i].id) << off;
            for (const auto& tk : page) ids.push_back(tk.id);
            if (static_cast<int>(page.size()) < size) break;
        }
        return ids;
    };
    const std::string own = "(t.opd_id = ? OR t.reporter_opd_id = ?)";
    for (int size : {1, 3, 50}) {
        store::QueueFilter f;
        EXPECT_EQ(paged(f, size), reference("1 = 1", {})) << size;
        f.opd_id = opd;
        f.reporter_opd_id = opd;
        EXPECT_EQ(paged(f, size), reference(own, {static_cast<long long>(opd), static_cast<long long>(opd)})) << size;
        f.status = "open";
        EXPECT_EQ(paged(f, size), reference(own + " AND t.status IN ('new', 'assigned', 'in_progress', 'pending')",
                                            {static_cast<long long>(opd), static_cast<long long>(opd)}))
            << size;
        f.status = "resolved";
        f.service_code = "jalan-rusak";
        EXPECT_EQ(paged(f, size), reference(own + " AND t.status = 'resolved' AND t.service_code = 'jalan-rusak'",
                                            {static_cast<long long>(opd), static_cast<long long>(opd)}))
            << size;
        f.status = "assigned";
        EXPECT_EQ(paged(f, size), reference(own + " AND t.status = 'assigned' AND t.service_code = 'jalan-rusak'",
                                            {static_cast<long long>(opd), static_cast<long long>(opd)}))
            << size;
    }
    // The public home lists the newest public reports.
    auto recent = svc.recent_public(3);
    ASSERT_EQ(recent.size(), 3u);
    EXPECT_GE(recent[0].created_at, recent[1].created_at);
    for (const auto& tk : recent) EXPECT_TRUE(tk.is_public);
}

TEST_F(Desk, QueueSummaryRowsCarryWhatTheListShows) {
    // Some variety beyond the demo seed: assigned, paused, breached, an internal fault reported by
    // another OPD, an assignee with markup in the name.
    t.clock.set(wib(2026, 6, 8, 9));
    auto op = who("operator.pupr@demo.gapura.id");
    t.app.db().write([&](Connection& c) {
        core::db::exec(c, "UPDATE users SET display_name = ? WHERE id = ?", {std::string("Op <PU> & 'Co'"), static_cast<long long>(op.user_id)});
    });
    std::vector<Ticket> made;
    for (int i = 0; i < 4; ++i) {
        auto in = road();
        in.lat = *in.lat + 0.01 * (i + 1);
        made.push_back(submit(in));
        t.clock.advance(600);
    }
    ASSERT_TRUE(svc.assign(op, made[0].id, op.user_id, "Cek").ok());
    ASSERT_TRUE(svc.request_info(op, made[1].id, "Di mana?").ok());
    ASSERT_TRUE(svc.resolve(op, made[2].id, "Selesai.").ok());
    t.clock.advance(30 * 86400);
    svc.run_sla(t.clock.now());

    const std::int64_t opd = *op.opd_id;
    std::vector<store::QueueFilter> filters(8);
    filters[1].opd_id = filters[1].reporter_opd_id = opd;
    filters[2] = filters[1];
    filters[2].status = "open";
    filters[3] = filters[1];
    filters[3].status = "closed";
    filters[4] = filters[1];
    filters[4].service_code = "jalan-rusak";
    filters[4].breached_only = true;
    filters[5] = filters[1];
    filters[5].assignee = op.user_id;
    filters[6] = filters[1];
    filters[6].status = "pending";
    filters[7] = filters[1];
    filters[7].offset = 2;  // a page after the first rows
    bool some_description = false, some_assignee = false, some_paused = false, some_breached = false, some_closed = false;
    for (std::size_t n = 0; n < filters.size(); ++n) {
        store::QueueFilter full = filters[n];
        full.limit = 200 + static_cast<int>(n);
        auto rows = svc.queue(full);
        ASSERT_FALSE(rows.empty()) << n;
        store::QueueFilter lean = full;
        lean.summary_only = true;
        auto summary = svc.queue(lean);
        ASSERT_EQ(summary.size(), rows.size()) << n;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto &a = rows[i], &b = summary[i];
            EXPECT_EQ(b.id, a.id) << n;
            EXPECT_EQ(b.code, a.code);
            EXPECT_EQ(b.service_code, a.service_code);
            EXPECT_EQ(b.is_public, a.is_public);
            EXPECT_EQ(b.opd_id, a.opd_id);
            EXPECT_EQ(b.opd_slug, a.opd_slug);
            EXPECT_EQ(b.opd_name, a.opd_name);
            EXPECT_EQ(b.status, a.status);
            EXPECT_EQ(b.priority, a.priority);
            EXPECT_EQ(b.assignee_user_id, a.assignee_user_id);
            EXPECT_EQ(b.assignee_name, a.assignee_name);
            EXPECT_EQ(b.first_response_at, a.first_response_at);
            EXPECT_EQ(b.respond_due, a.respond_due);
            EXPECT_EQ(b.resolve_due, a.resolve_due);
            EXPECT_EQ(b.next_due(), a.next_due());
            EXPECT_EQ(b.paused_at, a.paused_at);
            EXPECT_EQ(b.respond_breached, a.respond_breached);
            EXPECT_EQ(b.resolve_breached, a.resolve_breached);
            EXPECT_TRUE(b.description.empty());
            some_description = some_description || !a.description.empty();
            some_assignee = some_assignee || !a.assignee_name.empty();
            some_paused = some_paused || a.paused_at.has_value();
            some_breached = some_breached || a.breached();
            some_closed = some_closed || !a.next_due();
        }
    }
    EXPECT_TRUE(some_description);
    EXPECT_TRUE(some_assignee);
    EXPECT_TRUE(some_paused);
    EXPECT_TRUE(some_breached);
    EXPECT_TRUE(some_closed);
}

// The queue page over HTTP lists, in the store's order, each ticket of the operator's OPD (and the
// faults it reported) with the columns the page shows, escaped; never another OPD's ticket.
TEST_F(Desk, QueuePageRowsFollowTheStoreAndShowEachColumn) {
    t.clock.set(wib(2026, 6, 8, 9));
    auto op = who("operator.pupr@demo.gapura.id");
    t.app.db().write([&](Connection& c) {
        core::db::exec(c, "UPDATE users SET display_name = ? WHERE id = ?", {std::string("Op <PU> & 'Co'"), static_cast<long long>(op.user_id)});
        core::db::exec(c, "UPDATE opds SET name = ? WHERE id = ?", {std::string("Dinas \"PU\" <&>"), static_cast<long long>(*op.opd_id)});
    });
    auto a = submit(road());
    ASSERT_TRUE(svc.assign(op, a.id, op.user_id, "Cek").ok());
    auto esc = [](const std::string& s) {
        std::string o;
        for (char ch : s) {
            switch (ch) {
                case '&': o += "&amp;"; break;
                case '<': o += "&lt;"; break;
                case '>': o += "&gt;"; break;
                case '"': o += "&quot;"; break;
                case '\'': o += "&apos;"; break;
                default: o += ch;
            }
        }
        return o;
    };
    testing::Client pupr(t.app);
    t.sign_in(pupr, "operator.pupr@demo.gapura.id");
    for (const std::string status : {"all", "open", "closed"}) {
        store::QueueFilter f;
        f.opd_id = f.reporter_opd_id = op.opd_id;
        f.status = status == "all" ? "" : status;
        f.limit = 51;  // the page's own request: full rows, the path the page used before
        auto rows = svc.queue(f);
        ASSERT_FALSE(rows.empty()) << status;
        auto page = pupr.get("/layanan/antrian?status=" + status);
        ASSERT_EQ(page.status, 200u);
        std::size_t at = 0, shown = 0;
        for (std::size_t i = 0; i < rows.size() && i < 50; ++i, ++shown) {
            const Ticket& tk = rows[i];
            EXPECT_TRUE(tk.opd_id == *op.opd_id || tk.reporter_opd_id == op.opd_id) << tk.code;
            const std::string link = "<a href=\"/layanan/tiket/" + std::to_string(tk.id) + "\">" + esc(tk.code) + "</a>";
            const auto found = page.body.find(link, at);
            ASSERT_NE(found, std::string::npos) << status << " " << tk.code;
            const auto row_end = page.body.find("</tr>", found);
            ASSERT_NE(row_end, std::string::npos);
            const std::string row = page.body.substr(found, row_end - found);
            EXPECT_NE(row.find("<td>" + esc(catalog.find(tk.service_code)->name) + "</td>"), std::string::npos) << row;
            const std::string due = tk.next_due() ? format_human(*tk.next_due(), t.app.regency().utc_offset_minutes, "id") : "";
            EXPECT_NE(row.find("<td>" + due), std::string::npos) << row;
            EXPECT_NE(row.find("<td>" + esc(tk.assignee_name) + "</td><td>" + esc(tk.opd_name) + "</td>"), std::string::npos) << row;
            EXPECT_EQ(row.find("<td>") == std::string::npos, false);
            at = row_end;
        }
        EXPECT_GT(shown, 0u);
        // As many rows as tickets shown, and the header.
        std::size_t trs = 0;
        for (auto p = page.body.find("<tr"); p != std::string::npos; p = page.body.find("<tr", p + 1)) ++trs;
        EXPECT_EQ(trs, shown + 1) << status;
        EXPECT_EQ(page.body.find("<PU>"), std::string::npos);
        EXPECT_NE(page.body.find("Op &lt;PU&gt; &amp; &apos;Co&apos;"), std::string::npos);
        EXPECT_EQ(page.body.find("/layanan/antrian?status=" + status + "&amp;layanan=&amp;hal=2") != std::string::npos, rows.size() > 50);
    }
}

TEST_F(Desk, PublicStatisticsPagesInBothLanguages) {
    testing::Client anon(t.app);
    // An OPD name with markup is shown escaped.
    t.app.db().write([](Connection& c) {
        core::db::exec(c, "UPDATE opds SET name = ? WHERE slug = 'dpupr-prkp'", {std::string("Dinas <PU> & \"Co\"")});
        return 0;
    });
    auto home = anon.get("/layanan");
    ASSERT_EQ(home.status, 200u);
    EXPECT_NE(home.body.find("href=\"/layanan/statistik\""), std::string::npos);
    auto all = anon.get("/layanan/statistik");
    ASSERT_EQ(all.status, 200u);
    EXPECT_NE(all.body.find("<caption>Laporan per OPD</caption>"), std::string::npos);
    EXPECT_NE(all.body.find("<th scope=\"col\">Diterima</th>"), std::string::npos);
    EXPECT_NE(all.body.find("href=\"/layanan/statistik/dpupr-prkp\""), std::string::npos);
    EXPECT_EQ(all.body.find("<PU>"), std::string::npos);
    EXPECT_NE(all.body.find("Dinas &lt;PU&gt; &amp;"), std::string::npos);
    EXPECT_EQ(all.body.find("Jaringan"), std::string::npos);  // internal services are not published
    // The public total is the number of public reports.
    const auto pub = t.app.db().read([](Connection& c) {
        return core::db::scalar_int(c, "SELECT COUNT(*) FROM layanan_tickets WHERE is_public = 1").value_or(-1);
    });
    EXPECT_NE(all.body.find("<tfoot><tr><th scope=\"row\">Jumlah</th><td>" + std::to_string(pub) + "</td>"),
              std::string::npos);
    auto en = anon.get("/layanan/statistik", {{"Accept-Language", "en"}});
    ASSERT_EQ(en.status, 200u);
    EXPECT_NE(en.body.find("<caption>Reports by agency</caption>"), std::string::npos);
    EXPECT_NE(en.body.find("Mean time to first response"), std::string::npos);
    // One OPD, by service.
    auto road_count = t.app.db().read([](Connection& c) {
        return core::db::scalar_int(c, "SELECT COUNT(*) FROM layanan_tickets WHERE service_code = 'jalan-rusak'").value_or(-1);
    });
    auto one = anon.get("/layanan/statistik/dpupr-prkp");
    ASSERT_EQ(one.status, 200u);
    EXPECT_NE(one.body.find("Dinas &lt;PU&gt; &amp;"), std::string::npos);
    EXPECT_EQ(one.body.find("<PU>"), std::string::npos);
    EXPECT_NE(one.body.find("<th scope=\"row\">Jalan rusak</th><td>" + std::to_string(road_count) + "</td>"),
              std::string::npos)
        << one.body;
    auto one_en = anon.get("/layanan/statistik/dpupr-prkp", {{"Accept-Language", "en"}});
    EXPECT_NE(one_en.body.find("<caption>Reports by service"), std::string::npos);
    // Unknown OPD: 404 in the reader's language.
    auto none = anon.get("/layanan/statistik/tidak-ada");
    EXPECT_EQ(none.status, 404u);
    EXPECT_NE(none.body.find("Perangkat daerah tidak ditemukan."), std::string::npos);
    auto none_en = anon.get("/layanan/statistik/tidak-ada", {{"Accept-Language", "en"}});
    EXPECT_EQ(none_en.status, 404u);
    EXPECT_NE(none_en.body.find("Agency not found."), std::string::npos);
    EXPECT_EQ(anon.get("/layanan/statistik/%3Cscript%3E").status, 404u);
    // Anonymous answers come from the page cache the second time; a write through the module
    // clears it, so the new figure shows at once.
    auto again = anon.get("/layanan/statistik/dpupr-prkp");
    EXPECT_TRUE(again.fast);
    EXPECT_EQ(again.body, one.body);
    EXPECT_NE(anon.get("/layanan/statistik/dlhp").body, one.body);
    testing::Client warga(t.app);
    t.sign_in(warga, "warga@demo.gapura.id");
    auto r = warga.post_form("/layanan/lapor?layanan=jalan-rusak", "/layanan/lapor",
                             "service_code=jalan-rusak&description=Lubang+baru&village_code=" + village() +
                                 "&address_string=Jl.+Basuki+Rahmat&attribute%5Btingkat_kerusakan%5D=berat&lat=&long=");
    ASSERT_EQ(r.status, 303u);
    auto after = anon.get("/layanan/statistik/dpupr-prkp");
    EXPECT_FALSE(after.fast);
    EXPECT_NE(after.body.find("<th scope=\"row\">Jalan rusak</th><td>" + std::to_string(road_count + 1) + "</td>"),
              std::string::npos);
}

}  // namespace
}  // namespace gapura::modules::layanan
