// Unit tests of UsulanService and its store, on a migrated app database with Tuban's reference
// data (no demo records), a fake clock and real policy checks.
#include "modules/usulan/usulan_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/testing.hpp"
#include "core/audit/audit_log.hpp"
#include "core/files/file_store.hpp"
#include "core/jobs/notifier.hpp"
#include "core/region/regency.hpp"
#include "modules/usulan/usulan_format.hpp"

using namespace gapura;
namespace gt = gapura::testing;
namespace ufmt = gapura::modules::usulan::fmt;
using namespace gapura::modules::usulan;
using namespace std::string_literals;
namespace db = gapura::core::db;

namespace {

const std::string kPng = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0"s;
constexpr std::int64_t kDay = 86400;

class UsulanServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        t_ = std::make_unique<gt::TestApp>("tuban", false);
        i18n_.load_dir(gt::source_dir() + "/web/i18n");
        i18n_.load_dir(gt::source_dir() + "/src/modules/usulan/i18n");
        i18n_.finish();
        files_ = std::make_unique<core::files::FileStore>(t_->dir + "/files", app().db(), t_->clock);
        svc_ = std::make_unique<UsulanService>(app().db(), app().audit(), t_->clock, app().regency(), *files_,
                                               app().notifier(), i18n_,
                                               load_bidang(gt::source_dir() + "/src/modules/usulan/data/bidang.csv"));
        warga_ = user("warga1@test.id", "Siti Aminah", "warga", "");
        warga2_ = user("warga2@test.id", "Budi Santoso", "warga", "");
        kec_tuban_ = user("kec.tuban@test.id", "Op Tuban", "operator_opd", "kec-tuban");
        kec_jenu_ = user("kec.jenu@test.id", "Op Jenu", "operator_opd", "kec-jenu");
        bapperida_ = user("bapp@test.id", "Op Bapperida", "operator_opd", "bapperida");
        pupr_ = user("pupr@test.id", "Op PUPR", "operator_opd", "dpupr-prkp");
        disdik_ = user("disdik@test.id", "Op Disdik", "operator_opd", "disdik");
        for (const auto& v : app().regency().villages)
            if (v.district_code == "35.23.16") {
                desa_ = v.code;
                break;
            }
    }

    App& app() { return t_->app; }

    Principal user(const std::string& email, const std::string& name, const std::string& role, const std::string& opd) {
        auto id = app().auth().add_user(email, name, role, opd, "password-123456", core::audit::Actor::system("test"));
        EXPECT_TRUE(id.ok()) << email;
        Principal p;
        p.user_id = *id;
        p.email = email;
        p.display_name = name;
        p.role = *core::auth::parse_role(role);
        if (!opd.empty()) {
            p.opd_slug = opd;
            p.opd_id = app().db().read([&](db::Connection& c) { return db::scalar_int(c, "SELECT id FROM opds WHERE slug = ?", {opd}); });
        }
        return p;
    }

    // Opens a planning year whose windows all contain "now" (plus `shift` days).
    void open_year(int year = 2027, std::int64_t from = -10, std::int64_t to = 30) {
        YearInput y;
        y.year = year;
        const auto now = t_->clock.now();
        for (int i = 0; i < 5; ++i) {
            y.start[static_cast<std::size_t>(i)] = now + from * kDay + i;
            y.end[static_cast<std::size_t>(i)] = now + to * kDay;
        }
        auto st = svc_->open_year(bapperida_, y);
        ASSERT_TRUE(st.ok()) << st.error().message_key;
    }

    ProposalInput valid() {
        ProposalInput in;
        in.title = "Perbaikan jalan desa";
        in.problem = "Jalan rusak berat.";
        in.proposal = "Rabat beton 500 m.";
        in.bidang = "infrastruktur";
        in.desa_code = desa_;
        in.address = "Dusun Krajan RT 01";
        in.volume = 500;
        in.satuan = "meter";
        in.cost = 450000000;
        return in;
    }

    std::int64_t count(const std::string& sql) {
        return app().db().read([&](db::Connection& c) { return db::scalar_int(c, sql).value_or(-1); });
    }

    std::int64_t submit_ok(ProposalInput in) {
        auto r = svc_->submit(warga_, in, {});
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message_key);
        return r.ok() ? *r : 0;
    }

    bool has_field(const Error& e, const std::string& field, const std::string& key) {
        for (const auto& f : e.fields)
            if (f.field == field && f.message_key == key) return true;
        return false;
    }

    std::unique_ptr<gt::TestApp> t_;
    core::web::I18n i18n_;
    std::unique_ptr<core::files::FileStore> files_;
    std::unique_ptr<UsulanService> svc_;
    Principal warga_, warga2_, kec_tuban_, kec_jenu_, bapperida_, pupr_, disdik_;
    std::string desa_;
};

TEST_F(UsulanServiceTest, BidangFileLoads) {
    ASSERT_GE(svc_->bidang().size(), 7u);
    EXPECT_NE(svc_->find_bidang("infrastruktur"), nullptr);
    EXPECT_NE(svc_->find_bidang("lingkungan-hidup"), nullptr);
    EXPECT_EQ(svc_->find_bidang("<script>"), nullptr);
}

TEST_F(UsulanServiceTest, SubmitWritesProposalEventAndAudit) {
    open_year();
    auto in = valid();
    in.lat = -6.9;
    in.lng = 112.05;
    in.name_display = "initials";
    auto id = submit_ok(in);
    auto p = svc_->get(id);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->stage, "desa");
    EXPECT_EQ(p->status, "submitted");
    EXPECT_EQ(p->kecamatan_code, "35.23.16");
    EXPECT_EQ(p->proposer, "S. A.");
    EXPECT_EQ(p->year, 2027);
    ASSERT_TRUE(p->cost);
    EXPECT_EQ(*p->cost, 450000000);
    auto tl = svc_->timeline(id);
    ASSERT_EQ(tl.size(), 1u);
    EXPECT_EQ(tl[0].kind, "submitted");
    EXPECT_EQ(tl[0].actor, "S. A.");
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'usulan.submit'"), 1);
}

TEST_F(UsulanServiceTest, SubmitWithoutOpenYearIsRefused) {
    auto r = svc_->submit(warga_, valid(), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_EQ(r.error().message_key, "usulan_err_no_open_year");
    open_year(2027, 5, 30);  // opens in five days
    r = svc_->submit(warga_, valid(), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), 0);
}

TEST_F(UsulanServiceTest, BadInputIsRefusedAndNothingIsWritten) {
    open_year();
    struct Case {
        const char* name;
        std::function<void(ProposalInput&)> edit;
        const char* field;
        const char* key;
    };
    const std::vector<Case> cases = {
        {"unknown desa", [](auto& in) { in.desa_code = "35.23.16.9999"; }, "desa", "usulan_err_desa"},
        {"sql in desa", [](auto& in) { in.desa_code = "' OR 1=1 --"; }, "desa", "usulan_err_desa"},
        {"point outside", [](auto& in) { in.lat = -7.25; in.lng = 112.75; }, "lat", "usulan_err_point_outside"},
        {"lat only", [](auto& in) { in.lat = -6.9; }, "lat", "usulan_err_point_pair"},
        {"nan point", [](auto& in) { in.lat = std::nan(""); in.lng = 112.0; }, "lat", "usulan_err_point_outside"},
        {"no location", [](auto& in) { in.address = ""; }, "address", "usulan_err_location_required"},
        {"negative cost", [](auto& in) { in.cost = -5; }, "cost", "usulan_err_cost_negative"},
        {"absurd cost", [](auto& in) { in.cost = 5e15; }, "cost", "usulan_err_cost_absurd"},
        {"empty title", [](auto& in) { in.title = "   "; }, "title", "usulan_err_title"},
        {"huge title", [](auto& in) { in.title = std::string(10000, 'a'); }, "title", "usulan_err_title"},
        {"151 chars", [](auto& in) { in.title = std::string(151, 'a'); }, "title", "usulan_err_title"},
        {"title newline", [](auto& in) { in.title = "a\nb"; }, "title", "usulan_err_title"},
        {"control chars", [](auto& in) { in.problem = "a\x01b"; }, "problem", "usulan_err_problem"},
        {"bad utf8", [](auto& in) { in.proposal = "\xff\xfe"; }, "proposal", "usulan_err_proposal"},
        {"unknown bidang", [](auto& in) { in.bidang = "<b>x</b>"; }, "bidang", "usulan_err_bidang"},
        {"zero volume", [](auto& in) { in.volume = 0; }, "volume", "usulan_err_volume"},
        {"no volume", [](auto& in) { in.volume.reset(); }, "volume", "usulan_err_volume"},
        {"no satuan", [](auto& in) { in.satuan = ""; }, "satuan", "usulan_err_satuan"},
        {"name display", [](auto& in) { in.name_display = "anonymous"; }, "name_display", "usulan_err_name_display"},
    };
    for (const auto& c : cases) {
        auto in = valid();
        c.edit(in);
        auto r = svc_->submit(warga_, in, {});
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error().code, ErrorCode::unprocessable) << c.name;
        EXPECT_TRUE(has_field(r.error(), c.field, c.key)) << c.name;
    }
    // 150 code points (multi-byte) is fine.
    auto in = valid();
    std::string t;
    for (int i = 0; i < 150; ++i) t += "é";
    in.title = t;
    EXPECT_TRUE(svc_->submit(warga_, in, {}).ok());
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_events"), 1);
}

TEST_F(UsulanServiceTest, HtmlIsStoredAsText) {
    open_year();
    auto in = valid();
    in.title = "<script>alert(1)</script> jalan";
    in.problem = "'; DROP TABLE usulan_proposals; --";
    auto id = submit_ok(in);
    auto p = svc_->get(id);
    EXPECT_EQ(p->title, "<script>alert(1)</script> jalan");
    EXPECT_EQ(p->problem, "'; DROP TABLE usulan_proposals; --");
}

TEST_F(UsulanServiceTest, OnlyCitizensSubmit) {
    open_year();
    auto r = svc_->submit(kec_tuban_, valid(), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::forbidden);
}

TEST_F(UsulanServiceTest, PhotosAreCheckedBeforeAnythingIsStored) {
    open_year();
    auto r = svc_->submit(warga_, valid(), {{"x.jpg", "\x7f" "ELF\x02\x01\x01 executable"}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::unsupported);
    r = svc_->submit(warga_, valid(), {{"x.png", "MZ\x90\0 windows exe"s}});
    EXPECT_EQ(r.error().code, ErrorCode::unsupported);
    r = svc_->submit(warga_, valid(), {{"x.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"}});
    EXPECT_EQ(r.error().code, ErrorCode::unsupported);
    r = svc_->submit(warga_, valid(), {{"big.png", kPng + std::string(kPhotoMaxBytes, 'x')}});
    EXPECT_EQ(r.error().code, ErrorCode::too_large);
    std::vector<PhotoUpload> six(6, PhotoUpload{"a.png", kPng});
    r = svc_->submit(warga_, valid(), six);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(has_field(r.error(), "photos", "usulan_err_photo_count"));
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_proposals"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM files"), 0);
    // Good photos, and an empty file input (no file chosen) is ignored.
    auto ok = svc_->submit(warga_, valid(), {{"a.png", kPng}, {"", ""}});
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(svc_->get(*ok)->photos.size(), 1u);
}

TEST_F(UsulanServiceTest, SupportsAreOnePerAccountAndWithdrawable) {
    open_year();
    auto id = submit_ok(valid());
    EXPECT_TRUE(svc_->support(warga2_, id).ok());
    auto again = svc_->support(warga2_, id);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
    EXPECT_EQ(again.error().message_key, "usulan_err_already_supported");
    EXPECT_EQ(svc_->get(id)->supports, 1);
    EXPECT_TRUE(svc_->withdraw_support(warga2_, id).ok());
    EXPECT_EQ(svc_->get(id)->supports, 0);
    EXPECT_EQ(svc_->withdraw_support(warga2_, id).error().code, ErrorCode::conflict);
    EXPECT_TRUE(svc_->support(warga2_, id).ok());
    EXPECT_EQ(svc_->get(id)->supports, 1);
    EXPECT_EQ(svc_->support(warga2_, 999999).error().code, ErrorCode::not_found);
    // The unique constraint holds even if the service were bypassed.
    EXPECT_THROW(app().db().write([&](db::Connection& c) {
        db::exec(c, "INSERT INTO usulan_supports (proposal_id, user_id, created_at) VALUES (?, ?, 0)", {id, warga2_.user_id});
    }),
                 db::DbError);
}

TEST_F(UsulanServiceTest, CommentsRepliesFlagsAndModeration) {
    open_year();
    auto id = submit_ok(valid());
    auto top = svc_->comment(warga2_, id, std::nullopt, "Setuju <b>sekali</b>");
    ASSERT_TRUE(top.ok());
    auto reply = svc_->comment(warga_, id, *top, "Terima kasih");
    ASSERT_TRUE(reply.ok());
    auto deep = svc_->comment(warga2_, id, *reply, "balasan balasan");
    ASSERT_FALSE(deep.ok());
    EXPECT_EQ(deep.error().message_key, "usulan_err_reply_depth");
    EXPECT_FALSE(svc_->comment(warga2_, id, std::nullopt, "").ok());
    EXPECT_FALSE(svc_->comment(warga2_, id, std::nullopt, std::string(2001, 'x')).ok());
    EXPECT_EQ(svc_->get(id)->comments, 2);

    EXPECT_TRUE(svc_->flag_comment(warga_, *top, "kasar").ok());
    EXPECT_EQ(svc_->flag_comment(warga_, *top, "kasar").error().code, ErrorCode::conflict);
    EXPECT_EQ(svc_->hide_comment(warga_, *top, "spam").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->hide_comment(kec_jenu_, *top, "spam").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->hide_comment(kec_tuban_, *top, "").error().code, ErrorCode::unprocessable);
    EXPECT_TRUE(svc_->hide_comment(kec_tuban_, *top, "Bahasa kasar").ok());
    auto cs = svc_->comments(id);
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_TRUE(cs[0].hidden);
    EXPECT_EQ(cs[0].hidden_reason, "Bahasa kasar");
    EXPECT_EQ(cs[0].flags, 1);
    // The hidden text stays in the audit trail.
    auto summary = app().db().read([&](db::Connection& c) {
        return db::scalar_text(c, "SELECT summary FROM audit_log WHERE action = 'usulan.comment_hide'");
    });
    ASSERT_TRUE(summary);
    EXPECT_NE(summary->find("Setuju <b>sekali</b>"), std::string::npos);
}

TEST_F(UsulanServiceTest, PlanningYearOnlyByBapperidaOrAdmin) {
    YearInput y;
    y.year = 2027;
    for (int i = 0; i < 5; ++i) {
        y.start[static_cast<std::size_t>(i)] = 1800000000 + i * kDay;
        y.end[static_cast<std::size_t>(i)] = 1800000000 + (i + 10) * kDay;
    }
    EXPECT_EQ(svc_->open_year(warga_, y).error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->open_year(pupr_, y).error().code, ErrorCode::forbidden);
    auto bad = y;
    bad.end[2] = bad.start[2] - 1;
    EXPECT_EQ(svc_->open_year(bapperida_, bad).error().code, ErrorCode::unprocessable);
    auto order = y;
    order.start[1] = order.start[0] - kDay;
    EXPECT_EQ(svc_->open_year(bapperida_, order).error().code, ErrorCode::unprocessable);
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_years"), 0);
    EXPECT_TRUE(svc_->open_year(bapperida_, y).ok());
    EXPECT_TRUE(svc_->open_year(bapperida_, y).ok());  // updating the dates
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_years"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'usulan.year_%'"), 2);
}

TEST_F(UsulanServiceTest, TheWholeCycleWithNotifications) {
    open_year();
    auto id = submit_ok(valid());
    ASSERT_TRUE(svc_->support(warga2_, id).ok());
    DecisionInput fwd;
    fwd.decision = "forward";
    fwd.score = 80;
    fwd.note = "Disepakati";
    // Desa stage: the kecamatan office of that desa only.
    EXPECT_EQ(svc_->decide(kec_jenu_, id, fwd).error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->decide(pupr_, id, fwd).error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->decide(warga_, id, fwd).error().code, ErrorCode::forbidden);
    auto no_score = fwd;
    no_score.score.reset();
    EXPECT_EQ(svc_->decide(kec_tuban_, id, no_score).error().code, ErrorCode::unprocessable);
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, fwd).ok());
    EXPECT_EQ(svc_->get(id)->stage, "kecamatan");
    // Proposer and supporter are told.
    EXPECT_EQ(app().notifier().for_user(warga_.user_id, 10).size(), 1u);
    EXPECT_EQ(app().notifier().for_user(warga2_.user_id, 10).size(), 1u);
    // Kecamatan stage: a target OPD is required and must not be a kecamatan office.
    EXPECT_EQ(svc_->decide(kec_tuban_, id, fwd).error().code, ErrorCode::unprocessable);
    auto to_kec = fwd;
    to_kec.target_opd_slug = "kec-jenu";
    EXPECT_EQ(svc_->decide(kec_tuban_, id, to_kec).error().code, ErrorCode::unprocessable);
    auto to_pupr = fwd;
    to_pupr.target_opd_slug = "dpupr-prkp";
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, to_pupr).ok());
    auto p = svc_->get(id);
    EXPECT_EQ(p->stage, "opd");
    EXPECT_EQ(p->target_opd_slug, "dpupr-prkp");
    // OPD forum: only the target OPD.
    EXPECT_EQ(svc_->decide(disdik_, id, fwd).error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->decide(kec_tuban_, id, fwd).error().code, ErrorCode::forbidden);
    ASSERT_TRUE(svc_->decide(pupr_, id, fwd).ok());
    EXPECT_EQ(svc_->get(id)->stage, "kabupaten");
    // Kabupaten: Bapperida; acceptance needs program, kegiatan and budget.
    EXPECT_EQ(svc_->decide(pupr_, id, fwd).error().code, ErrorCode::forbidden);
    auto accept = fwd;
    EXPECT_EQ(svc_->decide(bapperida_, id, accept).error().code, ErrorCode::unprocessable);
    accept.program = "Program Penyelenggaraan Jalan";
    accept.kegiatan = "Rehabilitasi jalan desa";
    accept.budget = -1;
    EXPECT_EQ(svc_->decide(bapperida_, id, accept).error().code, ErrorCode::unprocessable);
    accept.budget = 400000000;
    ASSERT_TRUE(svc_->decide(bapperida_, id, accept).ok());
    p = svc_->get(id);
    EXPECT_EQ(p->stage, "final");
    EXPECT_EQ(p->status, "accepted");
    EXPECT_EQ(*p->budget, 400000000);
    EXPECT_EQ(svc_->decide(bapperida_, id, accept).error().code, ErrorCode::conflict);
    EXPECT_EQ(svc_->support(warga_, id).error().code, ErrorCode::conflict);  // closed
    // Accountability.
    ProgressInput pr;
    pr.progress = 150;
    EXPECT_EQ(svc_->report_progress(pupr_, id, pr, {}).error().code, ErrorCode::unprocessable);
    pr.progress = 100;
    pr.realised_cost = 390000000;
    EXPECT_EQ(svc_->report_progress(disdik_, id, pr, {}).error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->report_progress(pupr_, id, pr, {{"x.svg", "<svg onload=alert(1)>"}}).error().code,
              ErrorCode::unsupported);
    ASSERT_TRUE(svc_->report_progress(pupr_, id, pr, {{"w.png", kPng}}).ok());
    p = svc_->get(id);
    EXPECT_EQ(*p->progress, 100);
    EXPECT_TRUE(p->finished_at);
    EXPECT_EQ(p->progress_photos.size(), 1u);
    auto tl = svc_->timeline(id);
    ASSERT_EQ(tl.size(), 6u);  // submitted, desa, kecamatan, opd, outcome, progress
    EXPECT_EQ(tl[4].kind, "outcome");
    EXPECT_EQ(app().notifier().for_user(warga2_.user_id, 10).size(), 5u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE object_type = 'proposal'"), 6);
}

TEST_F(UsulanServiceTest, RejectionNeedsAPublicReasonAndReviseKeepsTheStage) {
    open_year();
    auto id = submit_ok(valid());
    DecisionInput rej;
    rej.decision = "reject";
    auto r = svc_->decide(kec_tuban_, id, rej);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(has_field(r.error(), "reason", "usulan_err_rejection_reason"));
    DecisionInput bogus;
    bogus.decision = "approve'; --";
    EXPECT_EQ(svc_->decide(kec_tuban_, id, bogus).error().code, ErrorCode::unprocessable);
    DecisionInput rev;
    rev.decision = "revise";
    rev.note = "Lengkapi foto";
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, rev).ok());
    EXPECT_EQ(svc_->get(id)->status, "revise");
    EXPECT_EQ(svc_->get(id)->stage, "desa");
    rej.reason = "Sudah dibiayai Dana Desa";
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, rej).ok());
    auto p = svc_->get(id);
    EXPECT_EQ(p->status, "rejected");
    EXPECT_EQ(p->reason, "Sudah dibiayai Dana Desa");
    EXPECT_EQ(count("SELECT COUNT(*) FROM usulan_events WHERE kind = 'decision'"), 2);
}

TEST_F(UsulanServiceTest, DecisionsOnlyWithinTheStageDates) {
    YearInput y;
    y.year = 2027;
    const auto now = t_->clock.now();
    // Citizens' window open now; desa forum opens in 10 days.
    y.start = {now - kDay, now + 10 * kDay, now + 20 * kDay, now + 30 * kDay, now + 40 * kDay};
    y.end = {now + 5 * kDay, now + 15 * kDay, now + 25 * kDay, now + 35 * kDay, now + 45 * kDay};
    ASSERT_TRUE(svc_->open_year(bapperida_, y).ok());
    auto id = submit_ok(valid());
    DecisionInput fwd;
    fwd.decision = "forward";
    fwd.score = 70;
    auto r = svc_->decide(kec_tuban_, id, fwd);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_EQ(r.error().message_key, "usulan_err_outside_window");
    t_->clock.advance(11 * kDay);
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, fwd).ok());
    // Kecamatan window has not opened yet.
    fwd.target_opd_slug = "dpupr-prkp";
    EXPECT_EQ(svc_->decide(kec_tuban_, id, fwd).error().message_key, "usulan_err_outside_window");
    t_->clock.advance(30 * kDay);  // past the kecamatan window
    EXPECT_EQ(svc_->decide(kec_tuban_, id, fwd).error().message_key, "usulan_err_outside_window");
    EXPECT_EQ(svc_->get(id)->stage, "kecamatan");
}

TEST_F(UsulanServiceTest, HiddenProposalsLeaveTheListButKeepTheirText) {
    open_year();
    auto id = submit_ok(valid());
    EXPECT_EQ(svc_->hide_proposal(warga2_, id, "spam").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->hide_proposal(kec_jenu_, id, "spam").error().code, ErrorCode::forbidden);
    ASSERT_TRUE(svc_->hide_proposal(bapperida_, id, "Iklan").ok());
    EXPECT_TRUE(svc_->list({}).items.empty());
    EXPECT_TRUE(svc_->get(id)->hidden);
    EXPECT_EQ(svc_->support(warga2_, id).error().code, ErrorCode::not_found);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE object_type = 'usulan_moderation'"), 1);
}

TEST_F(UsulanServiceTest, ListFiltersAndKeysetPaging) {
    open_year();
    for (int i = 0; i < 25; ++i) {
        auto in = valid();
        in.title = "Usulan " + std::to_string(i) + (i % 5 == 0 ? " sumur_bor 100%" : "");
        if (i % 2) in.bidang = "pendidikan";
        submit_ok(in);
    }
    ListFilter f;
    f.limit = 10;
    auto a = svc_->list(f);
    ASSERT_EQ(a.items.size(), 10u);
    ASSERT_TRUE(a.next_before);
    f.before_id = a.next_before;
    auto b = svc_->list(f);
    EXPECT_EQ(b.items.size(), 10u);
    EXPECT_LT(b.items.front().id, a.items.back().id);
    f.before_id = b.next_before;
    auto c = svc_->list(f);
    EXPECT_EQ(c.items.size(), 5u);
    EXPECT_FALSE(c.next_before);
    ListFilter g;
    g.bidang = "pendidikan";
    g.limit = 100;
    EXPECT_EQ(svc_->list(g).items.size(), 12u);
    ListFilter q;
    q.q = "SUMUR_BOR 100%";  // LIKE wildcards are taken literally
    q.limit = 100;
    EXPECT_EQ(svc_->list(q).items.size(), 5u);
    q.q = "sumurXbor";
    EXPECT_EQ(svc_->list(q).items.size(), 0u);
    ListFilter k;
    k.kecamatan = "35.23.12";
    EXPECT_TRUE(svc_->list(k).items.empty());
}

TEST_F(UsulanServiceTest, RankingPaguAndParticipation) {
    open_year();
    auto a = submit_ok(valid());
    auto b = submit_ok(valid());
    auto c = submit_ok(valid());
    ASSERT_TRUE(svc_->support(warga2_, b).ok());
    DecisionInput fwd;
    fwd.decision = "forward";
    fwd.score = 60;
    ASSERT_TRUE(svc_->decide(kec_tuban_, a, fwd).ok());
    ASSERT_TRUE(svc_->decide(kec_tuban_, b, fwd).ok());
    fwd.score = 90;
    ASSERT_TRUE(svc_->decide(kec_tuban_, c, fwd).ok());
    EXPECT_EQ(svc_->set_pagu(kec_tuban_, 2027, "35.23.16", 1e9).error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->set_pagu(bapperida_, 2027, "35.23.16", -1).error().code, ErrorCode::unprocessable);
    EXPECT_EQ(svc_->set_pagu(bapperida_, 2027, "99.99.99", 1e9).error().code, ErrorCode::unprocessable);
    ASSERT_TRUE(svc_->set_pagu(bapperida_, 2027, "35.23.16", 1e9).ok());
    auto r = svc_->ranking(2027, "35.23.16");
    ASSERT_EQ(r.items.size(), 3u);
    EXPECT_EQ(r.items[0].id, c);  // score 90
    EXPECT_EQ(r.items[1].id, b);  // score 60, one support
    EXPECT_EQ(r.items[2].id, a);
    EXPECT_EQ(*r.pagu, 1000000000);
    auto part = svc_->participation(2027);
    ASSERT_EQ(part.size(), 1u);
    EXPECT_EQ(part[0].proposals, 3);
    EXPECT_EQ(part[0].supports, 1);
    EXPECT_EQ(part[0].reached[1], 3);
    EXPECT_EQ(part[0].reached[2], 0);
}

// ---- Desa/kelurahan offices: the operator of the proposal's own village decides the desa stage ----

class UsulanDesaOperatorTest : public UsulanServiceTest {
protected:
    void SetUp() override {
        UsulanServiceTest::SetUp();
        // desa_ (the first village of Kecamatan Tuban) and another village of the same kecamatan.
        for (const auto& v : app().regency().villages)
            if (v.district_code == "35.23.16" && v.code != desa_) {
                other_desa_ = v.code;
                break;
            }
        ASSERT_FALSE(other_desa_.empty());
        desa_op_ = user("desa.op@test.id", "Op Desa", "operator_opd", office_of(desa_).slug);
        other_desa_op_ = user("desa.lain@test.id", "Op Desa Lain", "operator_opd", office_of(other_desa_).slug);
    }
    const core::region::OpdDef& office_of(const std::string& village) {
        for (const auto& o : app().regency().village_offices)
            if (o.region_code == village) return o;
        ADD_FAILURE() << "no office for " << village;
        return app().regency().village_offices.front();
    }
    std::int64_t submit_in(const std::string& village) {
        auto in = valid();
        in.desa_code = village;
        return submit_ok(in);
    }
    std::int64_t writes() {
        return count("SELECT (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM usulan_events)"
                     " + (SELECT COUNT(*) FROM notifications)");
    }
    static DecisionInput decision(const std::string& d, const std::string& reason = "") {
        DecisionInput in;
        in.decision = d;
        in.score = 75;
        in.note = "Musyawarah desa";
        in.reason = reason;
        return in;
    }
    std::string other_desa_;
    Principal desa_op_, other_desa_op_;
};

TEST_F(UsulanDesaOperatorTest, DecidesItsOwnVillageAtTheDesaStage) {
    open_year();
    const auto fwd = submit_in(desa_), rev = submit_in(desa_), rej = submit_in(desa_);
    ASSERT_TRUE(svc_->support(warga2_, fwd).ok());
    ASSERT_TRUE(svc_->decide(desa_op_, fwd, decision("forward")).ok());
    auto p = svc_->get(fwd);
    EXPECT_EQ(p->stage, "kecamatan");
    EXPECT_EQ(p->status, "submitted");
    // The timeline names the village office; the proposer and the supporter are told.
    auto tl = svc_->timeline(fwd);
    ASSERT_EQ(tl.size(), 2u);
    EXPECT_EQ(tl[1].stage, "desa");
    EXPECT_EQ(tl[1].decision, "forward");
    EXPECT_EQ(tl[1].actor, office_of(desa_).name);
    EXPECT_TRUE(tl[1].actor.starts_with("Kelurahan ") || tl[1].actor.starts_with("Desa ")) << tl[1].actor;
    EXPECT_EQ(app().notifier().for_user(warga2_.user_id, 10).size(), 1u);

    ASSERT_TRUE(svc_->decide(desa_op_, rev, decision("revise")).ok());
    EXPECT_EQ(svc_->get(rev)->status, "revise");
    EXPECT_EQ(svc_->get(rev)->stage, "desa");

    EXPECT_EQ(svc_->decide(desa_op_, rej, decision("reject")).error().code, ErrorCode::unprocessable);  // no reason
    ASSERT_TRUE(svc_->decide(desa_op_, rej, decision("reject", "Sudah dibiayai Dana Desa")).ok());
    EXPECT_EQ(svc_->get(rej)->status, "rejected");
    EXPECT_EQ(svc_->get(rej)->reason, "Sudah dibiayai Dana Desa");
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'usulan.decide'"), 3);
}

TEST_F(UsulanDesaOperatorTest, IsRefusedOutsideItsVillageAndStageAndNothingIsWritten) {
    open_year();
    const auto mine = submit_in(desa_), theirs = submit_in(other_desa_);
    ASSERT_TRUE(svc_->support(warga2_, theirs).ok());
    // Another village's proposal, at the desa stage.
    auto before = writes();
    auto r = svc_->decide(desa_op_, theirs, decision("forward"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::forbidden);
    EXPECT_EQ(r.error().message_key, "usulan_err_desa_scope");
    EXPECT_EQ(svc_->decide(desa_op_, theirs, decision("reject", "bukan desa kami")).error().message_key,
              "usulan_err_desa_scope");
    EXPECT_EQ(svc_->get(theirs)->stage, "desa");
    EXPECT_EQ(svc_->get(theirs)->status, "submitted");
    EXPECT_EQ(writes(), before);
    // Its own village's proposal, once at the kecamatan stage.
    ASSERT_TRUE(svc_->decide(desa_op_, mine, decision("forward")).ok());
    before = writes();
    auto later = decision("forward");
    later.target_opd_slug = "dpupr-prkp";
    r = svc_->decide(desa_op_, mine, later);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::forbidden);
    EXPECT_EQ(r.error().message_key, "usulan_err_desa_scope");
    EXPECT_EQ(svc_->get(mine)->stage, "kecamatan");
    EXPECT_EQ(writes(), before);
    // The message says what the scope is, in both languages.
    for (const char* lang : {"id", "en"}) {
        const auto text = i18n_.t(lang, "usulan_err_desa_scope");
        EXPECT_NE(text, "usulan_err_desa_scope") << lang;
        EXPECT_NE(text.find("desa/kelurahan"), std::string::npos) << lang;
    }
    // Other operators keep the general message.
    EXPECT_EQ(svc_->decide(kec_jenu_, theirs, decision("forward")).error().message_key, "usulan_err_not_responsible");
}

TEST_F(UsulanDesaOperatorTest, KecamatanOfficeStillDecidesAtTheDesaStage) {
    open_year();
    const auto id = submit_in(desa_);  // the village has its own operator (desa_op_)
    EXPECT_EQ(svc_->decide(kec_jenu_, id, decision("forward")).error().code, ErrorCode::forbidden);
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, decision("forward")).ok());
    EXPECT_EQ(svc_->get(id)->stage, "kecamatan");
    EXPECT_EQ(svc_->timeline(id).back().actor, "Kecamatan Tuban");
    // The kecamatan stage stays the kecamatan office's alone.
    auto to_pupr = decision("forward");
    to_pupr.target_opd_slug = "dpupr-prkp";
    EXPECT_EQ(svc_->decide(desa_op_, id, to_pupr).error().code, ErrorCode::forbidden);
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, to_pupr).ok());
    EXPECT_EQ(svc_->get(id)->stage, "opd");
}

TEST_F(UsulanDesaOperatorTest, ModeratesItsOwnVillagesProposalsOnly) {
    open_year();
    const auto mine = submit_in(desa_), theirs = submit_in(other_desa_);
    auto c1 = svc_->comment(warga2_, mine, std::nullopt, "Iklan pinjaman");
    auto c2 = svc_->comment(warga2_, theirs, std::nullopt, "Iklan pinjaman");
    ASSERT_TRUE(c1.ok() && c2.ok());
    EXPECT_EQ(svc_->hide_comment(desa_op_, *c2, "Spam").error().code, ErrorCode::forbidden);
    EXPECT_EQ(svc_->hide_proposal(desa_op_, theirs, "Spam").error().code, ErrorCode::forbidden);
    EXPECT_FALSE(svc_->comments(theirs)[0].hidden);
    EXPECT_FALSE(svc_->get(theirs)->hidden);
    ASSERT_TRUE(svc_->hide_comment(desa_op_, *c1, "Spam").ok());
    EXPECT_TRUE(svc_->comments(mine)[0].hidden);
    ASSERT_TRUE(svc_->hide_proposal(desa_op_, mine, "Iklan").ok());
    EXPECT_TRUE(svc_->get(mine)->hidden);
}

TEST_F(UsulanDesaOperatorTest, VillageOfficesAreNeverTargetOpds) {
    const auto opds = svc_->opds();
    bool pupr = false;
    for (const auto& o : *opds) {
        EXPECT_TRUE(o.kind != "desa" && o.kind != "kelurahan") << o.slug;
        pupr = pupr || o.slug == "dpupr-prkp";
    }
    EXPECT_TRUE(pupr);
    EXPECT_EQ(opds->size(), 23u + 20u);  // opd.csv and the kecamatan offices
    EXPECT_GE(count("SELECT COUNT(*) FROM opds WHERE kind IN ('desa', 'kelurahan')"), 328);
    // Naming one at the kecamatan stage is refused like naming a kecamatan office.
    open_year();
    const auto id = submit_in(desa_);
    ASSERT_TRUE(svc_->decide(desa_op_, id, decision("forward")).ok());
    auto to_desa = decision("forward");
    to_desa.target_opd_slug = office_of(other_desa_).slug;
    auto r = svc_->decide(kec_tuban_, id, to_desa);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(has_field(r.error(), "target_opd", "usulan_err_target_opd"));
    EXPECT_EQ(svc_->get(id)->stage, "kecamatan");
}

TEST_F(UsulanServiceTest, TheOpdListIsReadOnceAndThenServedFromMemory) {
    const auto first = svc_->opds();
    ASSERT_FALSE(first->empty());
    const auto leases = app().db().stats().read_leases;
    for (int i = 0; i < 5; ++i) {
        const auto again = svc_->opds();
        EXPECT_EQ(again.get(), first.get());  // the same list, not a fresh read
    }
    EXPECT_EQ(app().db().stats().read_leases, leases);
    // The same rows as the database holds.
    const auto rows = app().db().read([](db::Connection& c) { return store::opds(c); });
    ASSERT_EQ(rows.size(), first->size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].id, (*first)[i].id);
        EXPECT_EQ(rows[i].slug, (*first)[i].slug);
        EXPECT_EQ(rows[i].name, (*first)[i].name);
    }
    // reload_opds() (after an in-process seed) reads again, once.
    const auto before_reload = app().db().stats().read_leases;
    svc_->reload_opds();
    const auto reloaded = svc_->opds();
    EXPECT_EQ(app().db().stats().read_leases, before_reload + 1);
    EXPECT_EQ(reloaded->size(), first->size());
    EXPECT_EQ(svc_->opds().get(), reloaded.get());
    EXPECT_EQ(app().db().stats().read_leases, before_reload + 1);
}

TEST(UsulanServiceOpds, AnUnseededDatabaseIsAskedAgainUntilItHasOpds) {
    // An app migrated but not seeded yet (`gapura serve` before `gapura seed`): no OPDs, and the
    // empty answer is not kept, so the OPDs show once the reference data is loaded.
    const auto dir = gt::temp_dir("usulan-opds");
    FakeClock clock(1798761600);
    {
        App app(gt::test_config(dir, "tuban"), &clock);
        app.migrate();
        core::web::I18n i18n;
        i18n.finish();
        core::files::FileStore files(dir + "/files", app.db(), clock);
        UsulanService svc(app.db(), app.audit(), clock, app.regency(), files, app.notifier(), i18n,
                          load_bidang(gt::source_dir() + "/src/modules/usulan/data/bidang.csv"));
        EXPECT_TRUE(svc.opds()->empty());
        core::region::load_reference_data(app.db(), app.audit(), app.regency(), clock.now());
        const auto loaded = svc.opds();
        EXPECT_EQ(loaded->size(), 23u + 20u);  // opd.csv and the kecamatan offices
        EXPECT_EQ(svc.opds().get(), loaded.get());
    }
    std::filesystem::remove_all(dir);
}

TEST_F(UsulanDesaOperatorTest, WorkQueueShowsTheVillagesDesaStageOnly) {
    open_year();
    const auto waiting = submit_in(desa_), decided = submit_in(desa_), theirs = submit_in(other_desa_);
    ASSERT_TRUE(svc_->decide(desa_op_, decided, decision("forward")).ok());
    const auto queue = svc_->work_queue(desa_op_);
    ASSERT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue[0].desa, desa_);
    EXPECT_EQ(queue[0].stage, "desa");
    EXPECT_EQ(queue[0].status, "submitted");
    const auto items = svc_->list(queue[0]).items;
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].id, waiting);
    // The kecamatan office: its kecamatan at both of its stages.
    const auto kq = svc_->work_queue(kec_tuban_);
    ASSERT_EQ(kq.size(), 2u);  // a kecamatan office is never a target OPD
    EXPECT_EQ(kq[0].kecamatan, "35.23.16");
    const auto at_desa = svc_->list(kq[0]).items;  // newest first
    ASSERT_EQ(at_desa.size(), 2u);
    EXPECT_EQ(at_desa[0].id, theirs);
    EXPECT_EQ(at_desa[1].id, waiting);
    const auto at_kecamatan = svc_->list(kq[1]).items;
    ASSERT_EQ(at_kecamatan.size(), 1u);
    EXPECT_EQ(at_kecamatan[0].id, decided);
    // The other village's operator sees only its own.
    const auto other = svc_->work_queue(other_desa_op_);
    ASSERT_EQ(other.size(), 1u);
    ASSERT_EQ(svc_->list(other[0]).items.size(), 1u);
    EXPECT_EQ(svc_->list(other[0]).items[0].id, theirs);
    EXPECT_TRUE(svc_->work_queue(warga_).empty());
    ASSERT_EQ(svc_->work_queue(pupr_).size(), 1u);
    EXPECT_EQ(svc_->work_queue(pupr_)[0].stage, "opd");
    ASSERT_EQ(svc_->work_queue(bapperida_).size(), 2u);
    EXPECT_EQ(svc_->work_queue(bapperida_)[0].stage, "kabupaten");
    EXPECT_EQ(svc_->work_queue(bapperida_)[1].target_opd, "bapperida");
}

// The OPD forum's queue: what the kecamatan forwarded to this office, waiting for its decision;
// not what went to another office, and no longer once decided.
TEST_F(UsulanDesaOperatorTest, WorkQueueOfATargetOpdHoldsWhatWasAddressedToIt) {
    open_year();
    auto to = [&](const std::string& opd) {
        const auto id = submit_in(desa_);
        EXPECT_TRUE(svc_->decide(kec_tuban_, id, decision("forward")).ok());
        auto fwd = decision("forward");
        fwd.target_opd_slug = opd;
        EXPECT_TRUE(svc_->decide(kec_tuban_, id, fwd).ok());
        EXPECT_EQ(svc_->get(id)->stage, "opd");
        return id;
    };
    const auto first = to("dpupr-prkp"), elsewhere = to("disdik"), second = to("dpupr-prkp");
    const auto queue = svc_->work_queue(pupr_);
    ASSERT_EQ(queue.size(), 1u);
    auto items = svc_->list(queue[0]).items;  // newest first
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].id, second);
    EXPECT_EQ(items[1].id, first);
    const auto disdik = svc_->work_queue(disdik_);
    ASSERT_EQ(disdik.size(), 1u);
    items = svc_->list(disdik[0]).items;
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].id, elsewhere);
    ASSERT_TRUE(svc_->decide(pupr_, first, decision("forward")).ok());
    items = svc_->list(queue[0]).items;
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].id, second);
}

// ---- The proposer's revision after an operator asked for it ----

class UsulanAmendTest : public UsulanServiceTest {
protected:
    // A proposal of warga_ (supported by warga2_) that the kecamatan office sent back for revision.
    std::int64_t revised(const std::string& note = "Lengkapi volume dan foto lokasi") {
        open_year();
        auto id = submit_ok(valid());
        EXPECT_TRUE(svc_->support(warga2_, id).ok());
        DecisionInput rev;
        rev.decision = "revise";
        rev.note = note;
        auto st = svc_->decide(kec_tuban_, id, rev);
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message_key);
        return id;
    }
    ProposalInput changed() {
        auto in = valid();
        in.title = "Perbaikan jalan desa dan saluran";
        in.volume = 650;
        in.cost = 520000000;
        in.lat = -6.9;
        in.lng = 112.05;
        in.name_display = "";  // keep
        return in;
    }
    std::int64_t audits() { return count("SELECT COUNT(*) FROM audit_log"); }
    std::int64_t events() { return count("SELECT COUNT(*) FROM usulan_events"); }
    std::string summary(const std::string& action) {
        return app().db().read([&](db::Connection& c) {
            return db::scalar_text(c, "SELECT summary FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
                                   {action})
                .value_or("");
        });
    }
};

TEST_F(UsulanAmendTest, ProposerRevisesAndTheSameStageDecidesAgain) {
    const auto id = revised();
    const auto before = *svc_->get(id);
    ASSERT_EQ(before.status, "revise");
    const auto told_proposer = app().notifier().for_user(warga_.user_id, 50).size();
    const auto told_supporter = app().notifier().for_user(warga2_.user_id, 50).size();
    t_->clock.advance(3600);
    ASSERT_TRUE(svc_->amend(warga_, id, changed(), {{"a.png", kPng}}).ok());
    auto p = svc_->get(id);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, "submitted");
    EXPECT_EQ(p->stage, "desa");  // the same stage
    EXPECT_EQ(p->title, "Perbaikan jalan desa dan saluran");
    EXPECT_EQ(p->volume, 650);
    EXPECT_EQ(*p->cost, 520000000);
    ASSERT_TRUE(p->lat && p->lng);
    EXPECT_EQ(*p->lat, -6.9);
    EXPECT_EQ(p->name_display, "full");  // empty keeps the current choice
    EXPECT_EQ(p->photos.size(), 1u);
    EXPECT_EQ(p->supports, 1);
    EXPECT_EQ(p->updated_at, t_->clock.now());
    // The public timeline.
    auto tl = svc_->timeline(id);
    ASSERT_EQ(tl.size(), 3u);  // submitted, revise, amended
    EXPECT_EQ(tl[2].kind, "amended");
    EXPECT_EQ(tl[2].stage, "desa");
    EXPECT_EQ(tl[2].actor, "Siti Aminah");
    // The audit entries: public before/after of the structured fields, texts in a moderation entry.
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'usulan.amend' AND object_type = 'proposal'"), 1);
    auto pub = boost::json::parse(summary("usulan.amend")).as_object();
    EXPECT_EQ(pub.at("before").as_object().at("status").as_string(), "revise");
    EXPECT_EQ(pub.at("after").as_object().at("status").as_string(), "submitted");
    EXPECT_EQ(pub.at("before").as_object().at("volume").as_double(), 500);
    EXPECT_EQ(pub.at("after").as_object().at("volume").as_double(), 650);
    EXPECT_EQ(pub.at("before").as_object().at("estimated_cost").as_int64(), 450000000);
    EXPECT_TRUE(pub.at("before").as_object().at("lat").is_null());
    EXPECT_FALSE(pub.at("before").as_object().contains("bidang"));  // unchanged
    EXPECT_FALSE(pub.at("after").as_object().contains("title"));    // texts are not public
    EXPECT_EQ(pub.at("photos_added").as_int64(), 1);
    const auto& ch = pub.at("changed").as_array();
    EXPECT_NE(std::find(ch.begin(), ch.end(), boost::json::value("title")), ch.end());
    auto text = boost::json::parse(summary("usulan.amend_text")).as_object();
    EXPECT_EQ(text.at("before").as_object().at("title").as_string(), "Perbaikan jalan desa");
    EXPECT_EQ(text.at("after").as_object().at("title").as_string(), "Perbaikan jalan desa dan saluran");
    EXPECT_EQ(
        count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'usulan.amend_text' AND object_type = 'usulan_moderation'"),
        1);
    // Supporters are told; the proposer did it and is not.
    EXPECT_EQ(app().notifier().for_user(warga2_.user_id, 50).size(), told_supporter + 1);
    EXPECT_EQ(app().notifier().for_user(warga_.user_id, 50).size(), told_proposer);
    EXPECT_EQ(app().notifier().for_user(warga2_.user_id, 50).front().link, "/usulan/" + std::to_string(id));
    // A second revision without an operator's request is refused.
    auto again = svc_->amend(warga_, id, changed(), {});
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
    // The same stage's operator decides again.
    DecisionInput fwd;
    fwd.decision = "forward";
    fwd.score = 75;
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, fwd).ok());
    EXPECT_EQ(svc_->get(id)->stage, "kecamatan");
    EXPECT_EQ(svc_->get(id)->status, "submitted");
}

TEST_F(UsulanAmendTest, RevisionAtALaterStageStaysAtThatStage) {
    open_year();
    auto id = submit_ok(valid());
    DecisionInput fwd;
    fwd.decision = "forward";
    fwd.score = 70;
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, fwd).ok());
    DecisionInput rev;
    rev.decision = "revise";
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, rev).ok());
    ASSERT_EQ(svc_->get(id)->stage, "kecamatan");
    auto in = changed();
    in.name_display = "initials";
    ASSERT_TRUE(svc_->amend(warga_, id, in, {}).ok());
    auto p = svc_->get(id);
    EXPECT_EQ(p->stage, "kecamatan");
    EXPECT_EQ(p->status, "submitted");
    EXPECT_EQ(p->proposer, "S. A.");
    EXPECT_EQ(svc_->timeline(id).back().actor, "S. A.");
    fwd.target_opd_slug = "dpupr-prkp";
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, fwd).ok());
    EXPECT_EQ(svc_->get(id)->stage, "opd");
}

TEST_F(UsulanAmendTest, RefusalsWriteNothing) {
    const auto id = revised();
    auto admin = user("admin@test.id", "Admin", "admin", "diskominfo-sp");
    const auto snapshot = [&] {
        auto p = *svc_->get(id);
        return p.title + "|" + p.status + "|" + p.stage + "|" + std::to_string(p.volume) + "|" + p.desa_code;
    };
    const auto was = snapshot();
    const auto a0 = audits(), e0 = events();
    const auto files0 = count("SELECT COUNT(*) FROM files");
    auto expect_refused = [&](const Status& st, ErrorCode code, const std::string& key, const char* what) {
        ASSERT_FALSE(st.ok()) << what;
        EXPECT_EQ(st.error().code, code) << what;
        if (code == ErrorCode::unprocessable) {
            bool found = false;
            for (const auto& f : st.error().fields) found = found || f.message_key == key;
            EXPECT_TRUE(found) << what << ": no field error " << key;
        } else {
            EXPECT_EQ(st.error().message_key, key) << what;
        }
        EXPECT_EQ(snapshot(), was) << what;
        EXPECT_EQ(audits(), a0) << what;
        EXPECT_EQ(events(), e0) << what;
        EXPECT_EQ(count("SELECT COUNT(*) FROM files"), files0) << what;
    };
    // Not the proposer: another citizen, the deciding operator, an admin.
    expect_refused(svc_->amend(warga2_, id, changed(), {}), ErrorCode::forbidden, "usulan_err_not_proposer",
                   "other citizen");
    expect_refused(svc_->amend(kec_tuban_, id, changed(), {}), ErrorCode::forbidden, "usulan_err_not_proposer",
                   "operator");
    expect_refused(svc_->amend(admin, id, changed(), {}), ErrorCode::forbidden, "usulan_err_not_proposer", "admin");
    expect_refused(svc_->amend(warga_, 999999, changed(), {}), ErrorCode::not_found, "err_not_found", "no such id");
    // Bad fields: the submission's rules and messages.
    struct Case {
        const char* name;
        std::function<void(ProposalInput&)> edit;
        const char* key;
    };
    const std::vector<Case> cases = {
        {"empty title", [](auto& in) { in.title = " "; }, "usulan_err_title"},
        {"huge title", [](auto& in) { in.title = std::string(10000, 'a'); }, "usulan_err_title"},
        {"unknown desa", [](auto& in) { in.desa_code = "35.23.16.9999"; }, "usulan_err_desa"},
        {"point outside",
         [](auto& in) {
             in.lat = -7.25;
             in.lng = 112.75;
         },
         "usulan_err_point_outside"},
        {"lat only", [](auto& in) { in.lng.reset(); }, "usulan_err_point_pair"},
        {"no location",
         [](auto& in) {
             in.lat.reset();
             in.lng.reset();
             in.address = "";
         },
         "usulan_err_location_required"},
        {"negative cost", [](auto& in) { in.cost = -1; }, "usulan_err_cost_negative"},
        {"absurd cost", [](auto& in) { in.cost = 5e15; }, "usulan_err_cost_absurd"},
        {"zero volume", [](auto& in) { in.volume = 0; }, "usulan_err_volume"},
        {"no satuan", [](auto& in) { in.satuan = ""; }, "usulan_err_satuan"},
        {"bidang", [](auto& in) { in.bidang = "<b>"; }, "usulan_err_bidang"},
        {"control chars", [](auto& in) { in.problem = "a\x01"; }, "usulan_err_problem"},
        {"name display", [](auto& in) { in.name_display = "anonymous"; }, "usulan_err_name_display"},
        {"parse error",
         [](auto& in) {
             in.parse_errors.push_back({"volume", "usulan_err_number"});
         },
         "usulan_err_number"},
        {"other kecamatan",
         [&](auto& in) {
             for (const auto& v : app().regency().villages)
                 if (v.district_code == "35.23.12") {
                     in.desa_code = v.code;
                     break;
                 }
         },
         "usulan_err_desa_kecamatan"},
        {"other year", [](auto& in) { in.year = 2028; }, "usulan_err_year_fixed"},
    };
    for (const auto& c : cases) {
        auto in = changed();
        c.edit(in);
        expect_refused(svc_->amend(warga_, id, in, {}), ErrorCode::unprocessable, c.key, c.name);
    }
    // Photos: checked before anything is stored, counted with the existing ones.
    expect_refused(svc_->amend(warga_, id, changed(), {{"x.jpg", "MZ\x90\0 windows exe"s}}), ErrorCode::unsupported,
                   "usulan_err_photo_type", "executable");
    expect_refused(svc_->amend(warga_, id, changed(), std::vector<PhotoUpload>(6, PhotoUpload{"a.png", kPng})),
                   ErrorCode::unprocessable, "usulan_err_photo_count", "six photos");
    // Not waiting for a revision: submitted, then rejected.
    auto other = submit_ok(valid());
    const auto a1 = audits();
    auto st = svc_->amend(warga_, other, changed(), {});
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_EQ(st.error().message_key, "usulan_err_not_revise");
    DecisionInput rej;
    rej.decision = "reject";
    rej.reason = "Sudah dibiayai Dana Desa";
    ASSERT_TRUE(svc_->decide(kec_tuban_, id, rej).ok());
    const auto a2 = audits();
    EXPECT_EQ(a2, a1 + 1);
    st = svc_->amend(warga_, id, changed(), {});
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::conflict);
    EXPECT_EQ(svc_->get(id)->status, "rejected");
    EXPECT_EQ(audits(), a2);
}

TEST_F(UsulanAmendTest, HiddenProposalsAndHostileTextAreHandled) {
    const auto id = revised();
    auto in = changed();
    in.title = "<script>alert(1)</script> jalan";
    in.problem = "'; DROP TABLE usulan_proposals; --";
    ASSERT_TRUE(svc_->amend(warga_, id, in, {}).ok());
    EXPECT_EQ(svc_->get(id)->title, "<script>alert(1)</script> jalan");
    EXPECT_EQ(svc_->get(id)->problem, "'; DROP TABLE usulan_proposals; --");
    // A hidden proposal is not found, even for its proposer.
    const auto id2 = submit_ok(valid());
    DecisionInput rev;
    rev.decision = "revise";
    ASSERT_TRUE(svc_->decide(kec_tuban_, id2, rev).ok());
    ASSERT_TRUE(svc_->hide_proposal(bapperida_, id2, "Iklan").ok());
    EXPECT_EQ(svc_->amend(warga_, id2, changed(), {}).error().code, ErrorCode::not_found);
}

TEST(UsulanFormat, ParsesAndFormats) {
    EXPECT_EQ(ufmt::rupiah(1500000), "Rp 1.500.000");
    EXPECT_EQ(ufmt::rupiah(0), "Rp 0");
    EXPECT_EQ(*ufmt::parse_rupiah("Rp 1.500.000"), 1500000);
    EXPECT_EQ(*ufmt::parse_rupiah("-5"), -5);
    EXPECT_FALSE(ufmt::parse_rupiah("lima juta"));
    EXPECT_FALSE(ufmt::parse_rupiah("1e400"));
    EXPECT_DOUBLE_EQ(*ufmt::parse_decimal("12,5"), 12.5);
    EXPECT_FALSE(ufmt::parse_decimal("inf"));
    EXPECT_FALSE(ufmt::parse_decimal("nan"));
    EXPECT_EQ(ufmt::number(12.5, "id"), "12,5");
    EXPECT_EQ(ufmt::csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    EXPECT_EQ(ufmt::csv_text("a,b"), "\"a,b\"");
    EXPECT_EQ(store::initials_of("Siti  Aminah"), "S. A.");
    EXPECT_EQ(store::initials_of("élodie"), "é.");
}

}  // namespace
