#include "core/auth/throttle.hpp"

namespace gapura::core::auth {

std::int64_t Throttle::retry_after(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = slots_.find(key);
    if (it == slots_.end()) return 0;
    const auto now = clock_.now();
    if (now - it->second.window_start >= window_) {
        slots_.erase(it);
        return 0;
    }
    if (it->second.failures < max_) return 0;
    return it->second.window_start + window_ - now;
}

void Throttle::fail(const std::string& key) {
    std::lock_guard lock(mu_);
    const auto now = clock_.now();
    if (slots_.size() > 100000) {  // bound memory under a spray of keys: drop expired windows
        for (auto it = slots_.begin(); it != slots_.end();) {
            if (now - it->second.window_start >= window_) it = slots_.erase(it);
            else ++it;
        }
    }
    auto& s = slots_[key];
    if (s.failures == 0 || now - s.window_start >= window_) {
        s.window_start = now;
        s.failures = 0;
    }
    ++s.failures;
}

void Throttle::reset(const std::string& key) {
    std::lock_guard lock(mu_);
    slots_.erase(key);
}

}  // namespace gapura::core::auth
