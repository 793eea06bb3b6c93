#include "core/web/page_cache.hpp"

namespace gapura::core::web {

std::shared_ptr<const std::string> PageCache::get(const std::string& key, std::int64_t now) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    auto& e = it->second;
    const std::int64_t age = now - e.stored_at;
    if (age < 0 || age >= 2 * ttl_s_) return nullptr;  // a clock that went back, or too old
    if (age < ttl_s_) return e.body;
    if (!e.refreshing) {
        e.refreshing = true;  // this caller recomputes
        return nullptr;
    }
    return e.body;  // stale while the first caller recomputes
}

void PageCache::put(const std::string& key, std::string body, std::int64_t now) {
    const std::size_t size = key.size() + body.size();
    if (size > max_bytes_ / 4) return;
    auto shared = std::make_shared<const std::string>(std::move(body));
    std::lock_guard lock(mu_);
    if (auto it = map_.find(key); it != map_.end()) {
        bytes_ -= key.size() + it->second.body->size();
        map_.erase(it);
    }
    if (bytes_ + size > max_bytes_) {
        // Expired entries first; if that is not enough, start over (simple, and rare at this size).
        for (auto it = map_.begin(); it != map_.end();) {
            if (now - it->second.stored_at >= 2 * ttl_s_) {
                bytes_ -= it->first.size() + it->second.body->size();
                it = map_.erase(it);
            } else {
                ++it;
            }
        }
        if (bytes_ + size > max_bytes_) {
            map_.clear();
            bytes_ = 0;
        }
    }
    map_.emplace(key, Entry{std::move(shared), now});
    bytes_ += size;
}

void PageCache::clear() {
    std::lock_guard lock(mu_);
    map_.clear();
    bytes_ = 0;
}

std::size_t PageCache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

std::size_t PageCache::entries() const {
    std::lock_guard lock(mu_);
    return map_.size();
}

}  // namespace gapura::core::web
