// PageCache: answers that many people ask for with the same URL (a list with a filter, a map's
// GeoJSON, a page for anonymous visitors), kept for a few seconds. A module clears its cache on
// every write it makes, so its own changes show at once; the TTL bounds how stale anything else
// (a renamed user, another module's change) can look. Bounded in bytes; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gapura::core::web {

class PageCache {
public:
    PageCache(std::size_t max_bytes, std::int64_t ttl_s) : max_bytes_(max_bytes), ttl_s_(ttl_s) {}

    // The cached body for `key` if it is younger than the TTL at `now` (seconds). Between one and
    // two TTLs old, the first caller gets nullptr (it recomputes and put()s) and the others keep
    // getting the old body meanwhile: no stampede of identical queries when a popular entry expires.
    std::shared_ptr<const std::string> get(const std::string& key, std::int64_t now);
    // Keeps `body` under `key` from `now`. A body larger than a quarter of the budget is not kept;
    // when the budget would be exceeded, everything older is dropped first.
    void put(const std::string& key, std::string body, std::int64_t now);
    // Drops everything (after a write).
    void clear();
    std::size_t bytes() const;
    std::size_t entries() const;

private:
    struct Entry {
        std::shared_ptr<const std::string> body;
        std::int64_t stored_at = 0;
        bool refreshing = false;
    };
    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> map_;
    std::size_t bytes_ = 0;
    std::size_t max_bytes_;
    std::int64_t ttl_s_;
};

}  // namespace gapura::core::web
