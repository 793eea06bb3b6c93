// Unit tests for core/audit: the hash chain verifies, and every kind of tampering (edited,
// deleted, truncated, relinked rows) is caught and named; for_object and recent filter.
#include "core/audit/audit_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/db/migrator.hpp"

namespace gapura::core::audit {
namespace {

namespace fs = std::filesystem;

fs::path unique_dir() {
    static std::atomic<int> n{0};
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return fs::temp_directory_path() /
           ("gapura-audit-" + std::string(info->name()) + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
}

class AuditLogTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = unique_dir();
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        db_ = db::Database::open("sqlite://" + (dir_ / "audit.db").string(), 2);
        db::migrate(*db_, {audit_migrations()}, 1);
    }
    void TearDown() override {
        db_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    std::int64_t add(const std::string& action, const std::string& type, const std::string& id,
                     const std::string& summary = "{}", std::int64_t at = 1000) {
        return db_->write([&](db::Connection& c) {
            return log_.record(c, Actor{7, "admin@tuban.go.id", "admin", 3}, action, type, id, summary, at);
        });
    }
    // Five entries, ids 1..5.
    void add_five() {
        add("user.sign_up", "user", "1", R"({"role":"warga"})", 100);
        add("proposal.create", "proposal", "10", R"({"title":"Jalan desa"})", 200);
        add("proposal.decide", "proposal", "10", R"({"before":"open","after":"approved"})", 300);
        add("opd.update", "opd", "2", "{}", 400);
        add("proposal.create", "proposal", "1", R"({"title":"Sumur"})", 500);
    }
    void raw(const std::string& sql) {
        db_->write([&](db::Connection& c) { c.exec_script(sql); });
    }

    fs::path dir_;
    std::unique_ptr<db::Database> db_;
    AuditLog log_;
};

// ---------------------------------------------------------------------------------------------
// A clean chain

TEST_F(AuditLogTest, EmptyLogVerifies) {
    auto r = log_.verify(*db_);
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.checked, 0);
    EXPECT_FALSE(r.bad_id);
}

TEST_F(AuditLogTest, ChainOfEntriesVerifies) {
    add_five();
    auto r = log_.verify(*db_);
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.checked, 5);
    EXPECT_FALSE(r.bad_id);
    auto head =
        db_->read([](db::Connection& c) { return db::scalar_text(c, "SELECT hash FROM audit_log WHERE id = 5"); });
    EXPECT_EQ(r.head_hash, head.value_or("?"));
    EXPECT_EQ(r.head_hash.size(), 64u);
}

TEST_F(AuditLogTest, VerifyBesideConcurrentWritesSeesOneSnapshot) {
    for (int i = 0; i < 300; ++i) add("seed", "t", std::to_string(i));
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 0; !stop; ++i) add("live", "t", std::to_string(i));
    });
    int checked_before = 0;
    for (int round = 0; round < 40; ++round) {
        auto r = log_.verify(*db_);
        EXPECT_TRUE(r.ok) << "round " << round << ": " << r.problem;
        EXPECT_GE(r.checked, checked_before);
        checked_before = static_cast<int>(r.checked);
    }
    stop = true;
    writer.join();
    EXPECT_TRUE(log_.verify(*db_).ok);
}

TEST_F(AuditLogTest, RecordReturnsConsecutiveIdsAndLinksHashes) {
    EXPECT_EQ(add("a", "t", "1"), 1);
    EXPECT_EQ(add("b", "t", "1"), 2);
    EXPECT_EQ(add("c", "t", "1"), 3);
    auto entries = db_->read([&](db::Connection& c) { return log_.for_object(c, "t", "1"); });
    ASSERT_EQ(entries.size(), 3u);
    // newest first
    EXPECT_EQ(entries[2].prev_hash, std::string(64, '0'));
    EXPECT_EQ(entries[1].prev_hash, entries[2].hash);
    EXPECT_EQ(entries[0].prev_hash, entries[1].hash);
    for (const auto& e : entries) EXPECT_EQ(AuditLog::compute_hash(e), e.hash);
}

TEST_F(AuditLogTest, RecordStoresActorAndFields) {
    db_->write([&](db::Connection& c) {
        log_.record(c, Actor::system("cli"), "seed", "regency", "3523", "", 1234);
        log_.record(c, Actor{42, "op@dinas.id", "operator_opd", 9}, "x.y", "thing", "abc", R"({"k":1})", 1235);
    });
    auto e = db_->read([&](db::Connection& c) { return log_.recent(c, {"regency", "thing"}, 10, 1000); });
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[1].actor_label, "cli");
    EXPECT_EQ(e[1].actor_role, "system");
    EXPECT_FALSE(e[1].actor_id);
    EXPECT_FALSE(e[1].actor_opd);
    EXPECT_EQ(e[1].summary, "{}") << "an empty summary is stored as {}";
    EXPECT_EQ(e[1].at, 1234);
    EXPECT_EQ(e[0].actor_id.value_or(0), 42);
    EXPECT_EQ(e[0].actor_opd.value_or(0), 9);
    EXPECT_EQ(e[0].actor_role, "operator_opd");
    EXPECT_EQ(e[0].action, "x.y");
    EXPECT_EQ(e[0].object_id, "abc");
    EXPECT_EQ(e[0].summary, R"({"k":1})");
    EXPECT_TRUE(log_.verify(*db_).ok);
}

TEST_F(AuditLogTest, HostileFieldValuesStillVerify) {
    add("a'); DROP TABLE audit_log; --", "t", "1", "line1\nline2\t\"quoted\" | 5:x|", 1);
    add("unicode", "t", std::string("nul\0id", 6), "Kecamatan Tuban — ꦠꦸꦧꦤ꧀", 2);
    add("big", "t", "1", std::string(200000, 'x'), 3);
    auto r = log_.verify(*db_);
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.checked, 3);
}

TEST_F(AuditLogTest, RolledBackRecordLeavesNoGap) {
    add("a", "t", "1");
    EXPECT_THROW(db_->write([&](db::Connection& c) {
        log_.record(c, Actor::system(), "b", "t", "1", "{}", 2);
        throw std::runtime_error("the change failed");
    }),
                 std::runtime_error);
    EXPECT_EQ(add("c", "t", "1"), 2);
    auto r = log_.verify(*db_);
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.checked, 2);
}

TEST(AuditHash, FieldBoundariesAreUnambiguous) {
    Entry a;
    a.id = 1;
    a.actor_label = "ab";
    a.actor_role = "c";
    Entry b = a;
    b.actor_label = "a";
    b.actor_role = "bc";
    EXPECT_NE(AuditLog::compute_hash(a), AuditLog::compute_hash(b));
    Entry c = a;
    c.actor_label = "ab|1:c";
    c.actor_role = "";
    EXPECT_NE(AuditLog::compute_hash(a), AuditLog::compute_hash(c));
}

TEST(AuditHash, NullAndZeroActorDiffer) {
    Entry a;
    a.id = 1;
    Entry b = a;
    b.actor_id = 0;
    EXPECT_NE(AuditLog::compute_hash(a), AuditLog::compute_hash(b));
    Entry c = a;
    c.actor_opd = 0;
    EXPECT_NE(AuditLog::compute_hash(a), AuditLog::compute_hash(c));
}

TEST(AuditHash, EveryFieldIsCovered) {
    Entry base;
    base.id = 3;
    base.at = 100;
    base.actor_id = 1;
    base.actor_label = "l";
    base.actor_role = "r";
    base.actor_opd = 2;
    base.action = "a";
    base.object_type = "ot";
    base.object_id = "oi";
    base.summary = "s";
    base.prev_hash = std::string(64, '1');
    const auto h = AuditLog::compute_hash(base);
    EXPECT_EQ(h.size(), 64u);
    std::vector<Entry> variants(11, base);
    variants[0].id = 4;
    variants[1].at = 101;
    variants[2].actor_id = 2;
    variants[3].actor_label = "L";
    variants[4].actor_role = "R";
    variants[5].actor_opd = 3;
    variants[6].action = "b";
    variants[7].object_type = "OT";
    variants[8].object_id = "OI";
    variants[9].summary = "S";
    variants[10].prev_hash = std::string(64, '2');
    for (std::size_t i = 0; i < variants.size(); ++i)
        EXPECT_NE(AuditLog::compute_hash(variants[i]), h) << "field " << i << " is not hashed";
    // The stored hash itself is not an input.
    Entry with_hash = base;
    with_hash.hash = "whatever";
    EXPECT_EQ(AuditLog::compute_hash(with_hash), h);
}

// ---------------------------------------------------------------------------------------------
// Tampering

TEST_F(AuditLogTest, EditedSummaryIsNamed) {
    add_five();
    raw("UPDATE audit_log SET summary = '{\"title\":\"something else\"}' WHERE id = 3");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    ASSERT_TRUE(r.bad_id);
    EXPECT_EQ(*r.bad_id, 3);
    EXPECT_NE(r.problem.find("entry 3"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, EditedFirstEntryIsNamed) {
    add_five();
    raw("UPDATE audit_log SET actor_label = 'someone-else' WHERE id = 1");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 1);
}

TEST_F(AuditLogTest, EditedTimestampOrActorIsCaught) {
    add_five();
    raw("UPDATE audit_log SET at = at + 1 WHERE id = 4");
    EXPECT_EQ(log_.verify(*db_).bad_id.value_or(0), 4);
}

TEST_F(AuditLogTest, NullingTheActorIsCaught) {
    add_five();
    raw("UPDATE audit_log SET actor_id = NULL WHERE id = 2");
    EXPECT_EQ(log_.verify(*db_).bad_id.value_or(0), 2);
}

TEST_F(AuditLogTest, EditWithRecomputedHashIsCaughtAtTheNextEntry) {
    add_five();
    // The attacker rewrites entry 2 and recomputes its own hash: entry 3 no longer follows it.
    auto e = db_->read([&](db::Connection& c) { return log_.for_object(c, "proposal", "10"); });
    ASSERT_EQ(e.size(), 2u);
    Entry forged = e[1];  // id 2
    ASSERT_EQ(forged.id, 2);
    forged.summary = R"({"title":"forged"})";
    forged.hash = AuditLog::compute_hash(forged);
    db_->write([&](db::Connection& c) {
        db::exec(c, "UPDATE audit_log SET summary = ?, hash = ? WHERE id = 2", {forged.summary, forged.hash});
    });
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 3);
}

TEST_F(AuditLogTest, DeletedMiddleRowIsNamed) {
    add_five();
    raw("DELETE FROM audit_log WHERE id = 3");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 3);
    EXPECT_NE(r.problem.find("3"), std::string::npos) << r.problem;
    EXPECT_NE(r.problem.find("missing"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, DeletedFirstRowIsNamed) {
    add_five();
    raw("DELETE FROM audit_log WHERE id = 1");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 1);
}

TEST_F(AuditLogTest, DeletedMiddleRowWithRenumberingIsCaught) {
    add_five();
    // Delete 3 and shift 4, 5 down to hide the gap.
    raw("DELETE FROM audit_log WHERE id = 3; UPDATE audit_log SET id = id - 1 WHERE id > 3;"
        "UPDATE audit_head SET last_id = 4");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 3);
}

TEST_F(AuditLogTest, DeletedNewestRowIsCaughtThroughTheHead) {
    add_five();
    raw("DELETE FROM audit_log WHERE id = 5");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 5);
    EXPECT_NE(r.problem.find("5"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, DeletedNewestRowsAreCaughtThroughTheHead) {
    add_five();
    raw("DELETE FROM audit_log WHERE id >= 3");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 3);
}

TEST_F(AuditLogTest, DeletingEveryRowIsCaughtThroughTheHead) {
    add_five();
    raw("DELETE FROM audit_log");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 1);
}

TEST_F(AuditLogTest, DeletedHeadRecordIsCaught) {
    add_five();
    raw("DELETE FROM audit_head");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.problem.empty());
}

TEST_F(AuditLogTest, HeadRolledBackTogetherWithNewestRowIsCaught) {
    add_five();
    // Truncate the tail and move the head back to entry 4 but with a made-up hash.
    raw("DELETE FROM audit_log WHERE id = 5; UPDATE audit_head SET last_id = 4, hash = 'bogus'");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
}

TEST_F(AuditLogTest, EditedPrevHashIsCaught) {
    add_five();
    raw("UPDATE audit_log SET prev_hash = '" + std::string(64, 'f') + "' WHERE id = 4");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 4);
    EXPECT_NE(r.problem.find("entry 4"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, EditedStoredHashIsCaught) {
    add_five();
    raw("UPDATE audit_log SET hash = '" + std::string(64, 'a') + "' WHERE id = 2");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 2);
}

TEST_F(AuditLogTest, FirstBadEntryIsReportedWhenSeveralAreBroken) {
    add_five();
    raw("UPDATE audit_log SET summary = 'x' WHERE id IN (2, 4)");
    auto r = log_.verify(*db_);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.bad_id.value_or(0), 2);
    EXPECT_EQ(r.checked, 5) << "verify walks the whole chain";
}

TEST_F(AuditLogTest, AppendingAfterVerifyKeepsChainValid) {
    add_five();
    ASSERT_TRUE(log_.verify(*db_).ok);
    EXPECT_EQ(add("later", "t", "9"), 6);
    auto r = log_.verify(*db_);
    EXPECT_TRUE(r.ok) << r.problem;
    EXPECT_EQ(r.checked, 6);
}

// ---------------------------------------------------------------------------------------------
// Queries

TEST_F(AuditLogTest, ForObjectReturnsOnlyThatObjectNewestFirst) {
    add_five();
    auto e = db_->read([&](db::Connection& c) { return log_.for_object(c, "proposal", "10"); });
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].id, 3);
    EXPECT_EQ(e[1].id, 2);
    EXPECT_EQ(e[0].action, "proposal.decide");
    // "1" does not match "10", and type matters.
    auto one = db_->read([&](db::Connection& c) { return log_.for_object(c, "proposal", "1"); });
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].id, 5);
    auto user1 = db_->read([&](db::Connection& c) { return log_.for_object(c, "user", "1"); });
    ASSERT_EQ(user1.size(), 1u);
    EXPECT_EQ(user1[0].id, 1);
}

TEST_F(AuditLogTest, ForObjectHonoursLimit) {
    for (int i = 0; i < 10; ++i) add("edit", "doc", "7");
    auto e = db_->read([&](db::Connection& c) { return log_.for_object(c, "doc", "7", 3); });
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].id, 10);
    EXPECT_EQ(e[2].id, 8);
}

TEST_F(AuditLogTest, ForObjectWithHostileIdFindsNothing) {
    add_five();
    auto e = db_->read([&](db::Connection& c) { return log_.for_object(c, "proposal", "10' OR '1'='1"); });
    EXPECT_TRUE(e.empty());
    auto w = db_->read([&](db::Connection& c) { return log_.for_object(c, "%", "%"); });
    EXPECT_TRUE(w.empty());
    EXPECT_TRUE(log_.verify(*db_).ok);
}

TEST_F(AuditLogTest, RecentFiltersByTypeBeforeIdAndLimit) {
    add_five();
    auto all = db_->read([&](db::Connection& c) { return log_.recent(c, {"proposal", "opd"}, 100, 1000000); });
    std::vector<std::int64_t> ids;
    for (const auto& e : all) ids.push_back(e.id);
    EXPECT_EQ(ids, (std::vector<std::int64_t>{5, 4, 3, 2}));

    auto before = db_->read([&](db::Connection& c) { return log_.recent(c, {"proposal", "opd"}, 100, 4); });
    ids.clear();
    for (const auto& e : before) ids.push_back(e.id);
    EXPECT_EQ(ids, (std::vector<std::int64_t>{3, 2}));

    auto limited = db_->read([&](db::Connection& c) { return log_.recent(c, {"proposal"}, 2, 1000000); });
    ids.clear();
    for (const auto& e : limited) ids.push_back(e.id);
    EXPECT_EQ(ids, (std::vector<std::int64_t>{5, 3}));

    auto users = db_->read([&](db::Connection& c) { return log_.recent(c, {"user"}, 100, 1000000); });
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(users[0].object_type, "user");
}

TEST_F(AuditLogTest, RecentWithNoTypesOrUnknownTypesIsEmpty) {
    add_five();
    EXPECT_TRUE(db_->read([&](db::Connection& c) { return log_.recent(c, {}, 100, 1000000); }).empty());
    EXPECT_TRUE(db_->read([&](db::Connection& c) { return log_.recent(c, {"nope"}, 100, 1000000); }).empty());
    EXPECT_TRUE(
        db_->read([&](db::Connection& c) { return log_.recent(c, {"proposal') OR ('1'='1"}, 100, 1000000); }).empty());
    EXPECT_TRUE(db_->read([&](db::Connection& c) { return log_.recent(c, {"proposal"}, 100, 1); }).empty());
}

TEST_F(AuditLogTest, RecentWithManyTypesWorks) {
    add_five();
    std::vector<std::string> types;
    for (int i = 0; i < 200; ++i) types.push_back("type" + std::to_string(i));
    types.push_back("opd");
    auto e = db_->read([&](db::Connection& c) { return log_.recent(c, types, 100, 1000000); });
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].id, 4);
}

}  // namespace
}  // namespace gapura::core::audit
