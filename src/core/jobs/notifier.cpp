#include "core/jobs/notifier.hpp"

#include <algorithm>
#include <exception>

namespace gapura::core::jobs {

namespace {

constexpr const char* kInsertNotificationSql =
    "INSERT INTO notifications (user_id, kind, title, body, link, created_at) VALUES (?, ?, ?, ?, "
    "?, ?)";
constexpr const char* kInsertOutboxSql =
    "INSERT INTO outbox (channel, recipient, subject, body, created_at) VALUES (?, ?, ?, ?, ?)";
constexpr const char* kForUserSql =
    "SELECT id, kind, title, body, link, created_at, read_at FROM notifications"
    " WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?";
constexpr const char* kUnreadCountSql =
    "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL";
constexpr const char* kMarkOneReadSql =
    "UPDATE notifications SET read_at = ? WHERE user_id = ? AND id = ? AND read_at IS NULL";
constexpr const char* kMarkAllReadSql =
    "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL";
constexpr const char* kPendingOutboxSql =
    "SELECT id, recipient, subject, body FROM outbox"
    " WHERE channel = ? AND sent_at IS NULL AND attempts < ? ORDER BY id LIMIT ?";
constexpr const char* kOutboxSentSql =
    "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL";
constexpr const char* kOutboxFailedSql =
    "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?";

constexpr std::size_t kMaxErrorBytes = 500;

// Cuts an error text to kMaxErrorBytes without splitting a UTF-8 sequence.
std::string clip_error(std::string e) {
    if (e.empty()) return "send failed";
    if (e.size() <= kMaxErrorBytes) return e;
    std::size_t n = kMaxErrorBytes;
    while (n > 0 && (static_cast<unsigned char>(e[n]) & 0xC0) == 0x80) --n;
    e.resize(n);
    return e;
}

}  // namespace

Notifier::Notifier(db::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

void Notifier::notify(db::Connection& c, std::int64_t user_id, std::string_view kind,
                      std::string_view title, std::string_view body, std::string_view link) {
    db::Value link_value = link.empty() ? db::Value(nullptr) : db::Value(link);
    db::exec(c, kInsertNotificationSql, {user_id, kind, title, body, link_value, clock_.now()});
}

void Notifier::queue(db::Connection& c, std::string_view channel, std::string_view recipient,
                     std::string_view subject, std::string_view body) {
    db::exec(c, kInsertOutboxSql, {channel, recipient, subject, body, clock_.now()});
}

std::vector<Notification> Notifier::for_user(std::int64_t user_id, int limit,
                                             std::int64_t before_id) {
    if (limit <= 0) return {};
    limit = std::min(limit, kMaxPage);
    return db_.read([&](db::Connection& c) {
        std::vector<Notification> out;
        db::Query q(c, kForUserSql, {user_id, before_id, limit});
        while (q.next()) {
            out.push_back(Notification{q.integer(0), q.text(1), q.text(2), q.text(3),
                                       q.opt_text(4).value_or(""), q.integer(5), !q.null(6)});
        }
        return out;
    });
}

int Notifier::unread_count(std::int64_t user_id) {
    return static_cast<int>(db_.read([&](db::Connection& c) {
        return db::scalar_int(c, kUnreadCountSql, {user_id}).value_or(0);
    }));
}

void Notifier::mark_read(std::int64_t user_id, std::int64_t id) {
    const auto now = clock_.now();
    db_.write([&](db::Connection& c) {
        if (id == 0)
            db::exec(c, kMarkAllReadSql, {now, user_id});
        else
            db::exec(c, kMarkOneReadSql, {now, user_id, id});
    });
}

int Notifier::deliver(OutboxSender& sender, int batch) {
    if (batch <= 0) return 0;
    std::lock_guard lock(deliver_mu_);
    struct Pending {
        std::int64_t id;
        std::string recipient, subject, body;
    };
    const std::string channel = sender.channel();
    auto pending = db_.read([&](db::Connection& c) {
        std::vector<Pending> rows;
        db::Query q(c, kPendingOutboxSql, {channel, kMaxAttempts, batch});
        while (q.next()) rows.push_back(Pending{q.integer(0), q.text(1), q.text(2), q.text(3)});
        return rows;
    });

    int sent = 0;
    for (const auto& p : pending) {
        std::string error;
        bool ok = false;
        try {
            ok = sender.send(p.recipient, p.subject, p.body, error);
        } catch (const std::exception& e) {
            ok = false;
            error = e.what();
        } catch (...) {
            ok = false;
            error = "unknown exception";
        }
        // Each outcome is committed on its own, so a later failure cannot resend this message.
        if (ok) {
            const auto now = clock_.now();
            db_.write([&](db::Connection& c) { db::exec(c, kOutboxSentSql, {now, p.id}); });
            ++sent;
        } else {
            db_.write([&](db::Connection& c) {
                db::exec(c, kOutboxFailedSql, {clip_error(error), p.id});
            });
        }
    }
    return sent;
}

}  // namespace gapura::core::jobs
