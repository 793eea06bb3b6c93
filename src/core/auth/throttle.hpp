// Throttle: counts failed sign-ins per key (an e-mail, an IP) in a fixed window and says when a
// key is locked and for how long. In memory (one process); thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/util/clock.hpp"

namespace gapura::core::auth {

class Throttle {
public:
    Throttle(const Clock& clock, int max_failures, std::int64_t window_s)
        : clock_(clock), max_(max_failures), window_(window_s) {}

    // Seconds until the key may try again; 0 when it may try now.
    std::int64_t retry_after(const std::string& key);
    void fail(const std::string& key);
    void reset(const std::string& key);

private:
    struct Slot {
        std::int64_t window_start = 0;
        int failures = 0;
    };
    const Clock& clock_;
    int max_;
    std::int64_t window_;
    std::mutex mu_;
    std::unordered_map<std::string, Slot> slots_;
};

}  // namespace gapura::core::auth
