// Clock: the one source of "now" for the core and the modules, injected so tests can use a
// fake clock (SLA deadlines, token expiry, throttling windows). Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace gapura {

class Clock {
public:
    virtual ~Clock() = default;
    // Seconds since the Unix epoch, UTC.
    virtual std::int64_t now() const = 0;
};

class SystemClock final : public Clock {
public:
    std::int64_t now() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

class FakeClock final : public Clock {
public:
    explicit FakeClock(std::int64_t start = 1798761600) : t_(start) {}  // 2027-01-01T00:00:00Z
    std::int64_t now() const override { return t_.load(); }
    void set(std::int64_t t) { t_ = t; }
    void advance(std::int64_t seconds) { t_ += seconds; }

private:
    std::atomic<std::int64_t> t_;
};

// ISO 8601 with an explicit offset, e.g. 2026-11-27T10:00:00+07:00.
std::string format_iso8601(std::int64_t unix_seconds, int utc_offset_minutes);
// Parses "YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)" or "YYYY-MM-DD" (midnight UTC). Returns false on error.
bool parse_iso8601(const std::string& text, std::int64_t& out);
// Human date for pages, e.g. "27 Nov 2026 10:00".
std::string format_human(std::int64_t unix_seconds, int utc_offset_minutes, const std::string& lang);

}  // namespace gapura
