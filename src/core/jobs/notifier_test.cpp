#include "core/jobs/notifier.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <stdexcept>

#include "core/audit/audit_log.hpp"
#include "core/auth/auth_service.hpp"
#include "core/db/migrator.hpp"

namespace gapura::core::jobs {
namespace {

namespace fs = std::filesystem;

fs::path unique_dir() {
    static std::atomic<int> n{0};
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return fs::temp_directory_path() / ("gapura-notifier-" + std::string(info->name()) + "-" +
                                        std::to_string(::getpid()) + "-" + std::to_string(n++));
}

// Replays scripted outcomes: true = sent, false = fails with "smtp down"; past the script it
// succeeds.
class FakeSender : public OutboxSender {
  public:
    explicit FakeSender(std::string channel, std::deque<bool> script = {})
        : channel_(std::move(channel)), script_(std::move(script)) {}
    std::string channel() const override { return channel_; }
    bool send(const std::string& recipient, const std::string& subject, const std::string&,
              std::string& error) override {
        calls.push_back(recipient + "|" + subject);
        if (throw_) throw std::runtime_error("gateway exploded");
        bool ok = true;
        if (!script_.empty()) {
            ok = script_.front();
            script_.pop_front();
        }
        if (!ok) error = "smtp down";
        return ok;
    }
    void always_throw() { throw_ = true; }
    std::vector<std::string> calls;

  private:
    std::string channel_;
    std::deque<bool> script_;
    bool throw_ = false;
};

class NotifierTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = unique_dir();
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        db_ = db::Database::open("sqlite://" + (dir_ / "test.db").string());
        db::migrate(*db_, {audit::audit_migrations(), auth::accounts_migrations()}, clock_.now());
        alice_ = add_user("alice@example.id");
        bob_ = add_user("bob@example.id");
        notifier_ = std::make_unique<Notifier>(*db_, clock_);
    }
    void TearDown() override {
        notifier_.reset();
        db_.reset();
        fs::remove_all(dir_);
    }
    std::int64_t add_user(const std::string& email) {
        return db_->write([&](db::Connection& c) {
            return *db::scalar_int(
                c,
                "INSERT INTO users (email, display_name, password_hash, role, created_at,"
                " password_changed_at) VALUES (?, ?, 'x', 'warga', ?, ?) RETURNING id",
                {email, email, clock_.now(), clock_.now()});
        });
    }
    void notify(std::int64_t user, const std::string& title, const std::string& link = "") {
        db_->write([&](db::Connection& c) {
            notifier_->notify(c, user, "report.status", title, "body", link);
        });
    }
    void queue(const std::string& channel, const std::string& to, const std::string& subject) {
        db_->write([&](db::Connection& c) {
            notifier_->queue(c, channel, to, subject, "body of " + subject);
        });
    }
    struct OutboxRow {
        std::optional<std::int64_t> sent_at;
        std::int64_t attempts;
        std::optional<std::string> last_error;
    };
    OutboxRow outbox_row(const std::string& subject) {
        return db_->read([&](db::Connection& c) {
            db::Query q(c, "SELECT sent_at, attempts, last_error FROM outbox WHERE subject = ?",
                        {subject});
            if (!q.next()) throw std::logic_error("no outbox row " + subject);
            OutboxRow r{q.opt_integer(0), q.integer(1), q.opt_text(2)};
            while (q.next()) {
            }
            return r;
        });
    }

    FakeClock clock_;
    fs::path dir_;
    std::unique_ptr<db::Database> db_;
    std::unique_ptr<Notifier> notifier_;
    std::int64_t alice_ = 0, bob_ = 0;
};

TEST_F(NotifierTest, ListsOnlyTheUsersOwnNotificationsNewestFirst) {
    notify(alice_, "a1", "/laporan/1");
    clock_.advance(5);
    notify(bob_, "b1");
    notify(alice_, "a2");

    auto a = notifier_->for_user(alice_, 10);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].title, "a2");
    EXPECT_EQ(a[0].link, "");
    EXPECT_EQ(a[0].created_at, clock_.now());
    EXPECT_EQ(a[1].title, "a1");
    EXPECT_EQ(a[1].kind, "report.status");
    EXPECT_EQ(a[1].body, "body");
    EXPECT_EQ(a[1].link, "/laporan/1");
    EXPECT_FALSE(a[1].read);
    auto b = notifier_->for_user(bob_, 10);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].title, "b1");
    EXPECT_EQ(notifier_->unread_count(alice_), 2);
    EXPECT_EQ(notifier_->unread_count(bob_), 1);
}

TEST_F(NotifierTest, PagesWithBeforeIdAndClampsLimit) {
    for (int i = 0; i < 5; ++i) notify(alice_, "n" + std::to_string(i));
    auto page1 = notifier_->for_user(alice_, 2);
    ASSERT_EQ(page1.size(), 2u);
    EXPECT_EQ(page1[0].title, "n4");
    auto page2 = notifier_->for_user(alice_, 2, page1.back().id);
    ASSERT_EQ(page2.size(), 2u);
    EXPECT_EQ(page2[0].title, "n2");
    EXPECT_EQ(page2[1].title, "n1");
    EXPECT_EQ(notifier_->for_user(alice_, 2, page2.back().id).size(), 1u);
    EXPECT_TRUE(notifier_->for_user(alice_, 0).empty());
    EXPECT_TRUE(notifier_->for_user(alice_, -3).empty());
    EXPECT_EQ(notifier_->for_user(alice_, 1'000'000).size(), 5u);
}

TEST_F(NotifierTest, UserCannotMarkAnotherUsersNotificationRead) {
    notify(alice_, "a1");
    notify(bob_, "b1");
    const auto bobs = notifier_->for_user(bob_, 10).at(0).id;
    const auto alices = notifier_->for_user(alice_, 10).at(0).id;

    notifier_->mark_read(alice_, bobs);
    EXPECT_EQ(notifier_->unread_count(bob_), 1);
    EXPECT_FALSE(notifier_->for_user(bob_, 10).at(0).read);

    notifier_->mark_read(alice_, alices);
    EXPECT_EQ(notifier_->unread_count(alice_), 0);
    EXPECT_TRUE(notifier_->for_user(alice_, 10).at(0).read);
    EXPECT_EQ(notifier_->unread_count(bob_), 1);
}

TEST_F(NotifierTest, MarkAllReadTouchesOnlyTheUser) {
    notify(alice_, "a1");
    notify(alice_, "a2");
    notify(bob_, "b1");
    notifier_->mark_read(alice_, 0);
    EXPECT_EQ(notifier_->unread_count(alice_), 0);
    EXPECT_EQ(notifier_->unread_count(bob_), 1);
    auto read_at = db_->read([&](db::Connection& c) {
        return db::scalar_int(c, "SELECT MIN(read_at) FROM notifications WHERE user_id = ?",
                              {alice_});
    });
    EXPECT_EQ(read_at, clock_.now());
}

TEST_F(NotifierTest, NotificationIsRolledBackWithTheCallersTransaction) {
    EXPECT_THROW(db_->write([&](db::Connection& c) {
        notifier_->notify(c, alice_, "k", "t", "b", "");
        throw std::runtime_error("the change failed");
    }),
                 std::runtime_error);
    EXPECT_EQ(notifier_->unread_count(alice_), 0);
    // A notification for a user who does not exist violates the foreign key.
    try {
        db_->write([&](db::Connection& c) { notifier_->notify(c, 9999, "k", "t", "b", ""); });
        FAIL() << "expected a foreign key violation";
    } catch (const db::DbError& e) {
        EXPECT_EQ(e.kind(), db::DbError::Kind::foreign_key_violation);
    }
}

TEST_F(NotifierTest, DeliversOldestFirstAndRetriesAFailure) {
    queue("email", "a@example.id", "first");
    clock_.advance(1);
    queue("whatsapp", "+62811", "other channel");
    queue("email", "b@example.id", "second");

    FakeSender email("email", {false, true});
    EXPECT_EQ(notifier_->deliver(email), 1);
    EXPECT_EQ(email.calls, (std::vector<std::string>{"a@example.id|first", "b@example.id|second"}));
    auto first = outbox_row("first");
    EXPECT_FALSE(first.sent_at);
    EXPECT_EQ(first.attempts, 1);
    EXPECT_EQ(first.last_error, "smtp down");
    auto second = outbox_row("second");
    EXPECT_EQ(second.sent_at, clock_.now());
    EXPECT_EQ(second.attempts, 0);

    clock_.advance(60);
    EXPECT_EQ(notifier_->deliver(email), 1);  // only the failed one is retried
    EXPECT_EQ(email.calls.size(), 3u);
    EXPECT_EQ(email.calls.back(), "a@example.id|first");
    EXPECT_EQ(outbox_row("first").sent_at, clock_.now());
    EXPECT_EQ(notifier_->deliver(email), 0);
    EXPECT_EQ(email.calls.size(), 3u);

    auto other = outbox_row("other channel");
    EXPECT_FALSE(other.sent_at);
    EXPECT_EQ(other.attempts, 0);
    FakeSender wa("whatsapp");
    EXPECT_EQ(notifier_->deliver(wa), 1);
}

TEST_F(NotifierTest, GivesUpAfterFiveAttempts) {
    queue("email", "a@example.id", "doomed");
    FakeSender email("email", std::deque<bool>(10, false));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(notifier_->deliver(email), 0);
    EXPECT_EQ(email.calls.size(), 5u);
    EXPECT_EQ(outbox_row("doomed").attempts, 5);
    EXPECT_EQ(notifier_->deliver(email), 0);
    EXPECT_EQ(email.calls.size(), 5u);  // left alone
    EXPECT_EQ(outbox_row("doomed").attempts, 5);
}

TEST_F(NotifierTest, ThrowingSenderCountsAsFailure) {
    queue("email", "a@example.id", "x");
    FakeSender email("email");
    email.always_throw();
    EXPECT_EQ(notifier_->deliver(email), 0);
    auto row = outbox_row("x");
    EXPECT_EQ(row.attempts, 1);
    EXPECT_EQ(row.last_error, "gateway exploded");
}

TEST_F(NotifierTest, RespectsBatchSize) {
    for (int i = 0; i < 5; ++i) queue("email", "a@example.id", "m" + std::to_string(i));
    FakeSender email("email");
    EXPECT_EQ(notifier_->deliver(email, 2), 2);
    EXPECT_EQ(email.calls, (std::vector<std::string>{"a@example.id|m0", "a@example.id|m1"}));
    EXPECT_EQ(notifier_->deliver(email, 0), 0);
    EXPECT_EQ(notifier_->deliver(email), 3);
}

}  // namespace
}  // namespace gapura::core::jobs
