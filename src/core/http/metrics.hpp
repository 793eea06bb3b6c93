// Metrics: request counts by route pattern and status, a latency histogram, and gauges read
// at scrape time (worker pool, database pool), rendered in the Prometheus text format.
// Thread-safe: observe() takes one short mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gapura::core::http {

class Metrics {
public:
    static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,   2.5};

    void observe(const std::string& route, unsigned status, double seconds);
    // A gauge evaluated when /metrics is scraped.
    void add_gauge(std::string name, std::string help, std::function<double()> fn);
    std::string render() const;

private:
    mutable std::mutex mu_;
    std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
    std::array<std::uint64_t, kBuckets.size() + 1> buckets_{};
    double sum_ = 0;
    std::uint64_t count_ = 0;
    struct Gauge {
        std::string name, help;
        std::function<double()> fn;
    };
    std::vector<Gauge> gauges_;
};

}  // namespace gapura::core::http
