#include "core/http/metrics.hpp"

#include <fmt/format.h>

namespace gapura::core::http {

void Metrics::observe(const std::string& route, unsigned status, double seconds) {
    std::size_t b = 0;
    while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
    std::lock_guard lock(mu_);
    ++requests_[{route, status}];
    ++buckets_[b];
    sum_ += seconds;
    ++count_;
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> fn) {
    std::lock_guard lock(mu_);
    gauges_.push_back(Gauge{std::move(name), std::move(help), std::move(fn)});
}

namespace {
std::string label_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}
}  // namespace

std::string Metrics::render() const {
    std::vector<Gauge> gauges;
    std::string out;
    {
        std::lock_guard lock(mu_);
        gauges = gauges_;
        out += "# HELP gapura_http_requests_total HTTP requests by route pattern and status.\n";
        out += "# TYPE gapura_http_requests_total counter\n";
        for (const auto& [key, n] : requests_)
            out += fmt::format("gapura_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", label_escape(key.first),
                               key.second, n);
        out += "# HELP gapura_http_request_duration_seconds Time from request parsed to response ready.\n";
        out += "# TYPE gapura_http_request_duration_seconds histogram\n";
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            cumulative += buckets_[i];
            out += fmt::format("gapura_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i], cumulative);
        }
        cumulative += buckets_[kBuckets.size()];
        out += fmt::format("gapura_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
        out += fmt::format("gapura_http_request_duration_seconds_sum {}\n", sum_);
        out += fmt::format("gapura_http_request_duration_seconds_count {}\n", count_);
    }
    for (const auto& g : gauges) {
        out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
        out += fmt::format("{} {}\n", g.name, g.fn());
    }
    return out;
}

}  // namespace gapura::core::http
