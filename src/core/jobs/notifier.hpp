// Notifier: in-app notifications (the bell) and the outbox of messages to send elsewhere
// (e-mail, WhatsApp gateway). notify() and queue() write inside the caller's write transaction,
// so a notice exists exactly when the change it announces is committed. deliver() hands pending
// outbox rows of one channel to an OutboxSender and records the outcome; delivery is
// at-least-once (a crash between send() and the row update resends that one message) and a
// row is given up after kMaxAttempts failures.
//
// Threads: all methods may be called from worker threads. notify()/queue() must run inside
// Database::write on its connection. deliver() calls are serialised per Notifier (one delivery
// run at a time, meant to be driven by the Scheduler); the sender is called with no database
// lock held. Run one deliverer per channel: two processes delivering the same channel could
// send a message twice.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/db/database.hpp"
#include "core/util/clock.hpp"

namespace gapura::core::jobs {

struct Notification {
    std::int64_t id = 0;
    std::string kind, title, body, link;  // link "" when none
    std::int64_t created_at = 0;
    bool read = false;
};

// A transport for one outbox channel. send() returns false and sets `error` on failure; it may
// also throw, which counts as a failure with what() as the error. Called from one thread at a time.
class OutboxSender {
  public:
    virtual ~OutboxSender() = default;
    virtual std::string channel() const = 0;
    virtual bool send(const std::string& recipient, const std::string& subject,
                      const std::string& body, std::string& error) = 0;
};

class Notifier {
  public:
    static constexpr int kMaxAttempts = 5;
    static constexpr int kMaxPage = 200;

    Notifier(db::Database& db, const Clock& clock);

    // In the caller's write transaction. An empty link is stored as NULL.
    void notify(db::Connection& c, std::int64_t user_id, std::string_view kind,
                std::string_view title, std::string_view body, std::string_view link);
    void queue(db::Connection& c, std::string_view channel, std::string_view recipient,
               std::string_view subject, std::string_view body);

    // The user's notifications with id < before_id, newest first; limit is clamped to 1..kMaxPage
    // (limit <= 0 gives an empty list).
    std::vector<Notification> for_user(
        std::int64_t user_id, int limit,
        std::int64_t before_id = std::numeric_limits<std::int64_t>::max());
    int unread_count(std::int64_t user_id);
    // Marks one notification (id) or all of them (id == 0) read; touches only the user's own rows.
    void mark_read(std::int64_t user_id, std::int64_t id);

    // Sends up to `batch` unsent rows of sender.channel() with fewer than kMaxAttempts attempts,
    // oldest first. Success sets sent_at; failure increments attempts and sets last_error.
    // Returns how many were sent.
    int deliver(OutboxSender& sender, int batch = 50);

  private:
    db::Database& db_;
    const Clock& clock_;
    std::mutex deliver_mu_;
};

}  // namespace gapura::core::jobs
