#include "core/jobs/scheduler.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

namespace gapura::core::jobs {

Scheduler::Scheduler(const Clock& clock) : clock_(clock) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::every(std::string name, std::int64_t interval_s,
                      std::function<void(std::int64_t now)> fn) {
    if (name.empty()) throw std::invalid_argument("Scheduler::every: empty job name");
    if (interval_s < 1)
        throw std::invalid_argument("Scheduler::every: interval of " + name + " must be >= 1 s");
    if (!fn) throw std::invalid_argument("Scheduler::every: no function for " + name);
    auto job = std::make_unique<Job>();
    job->st.name = std::move(name);
    job->st.interval_s = interval_s;
    job->st.next_run = clock_.now();  // due at the next run_due()
    job->fn = std::move(fn);
    std::lock_guard lock(mu_);
    for (const auto& j : jobs_)
        if (j->st.name == job->st.name)
            throw std::invalid_argument("Scheduler::every: duplicate job " + j->st.name);
    jobs_.push_back(std::move(job));
}

int Scheduler::run_due() {
    std::lock_guard run_lock(run_mu_);
    const std::int64_t now = clock_.now();
    std::vector<Job*> due;  // Jobs are never removed, so the pointers stay valid.
    {
        std::lock_guard lock(mu_);
        for (const auto& j : jobs_)
            if (j->st.next_run <= now) due.push_back(j.get());
    }
    int ran = 0;
    for (Job* job : due) {
        bool failed = false;
        std::string error;
        try {
            job->fn(now);  // fn is never modified after every(), so it is read without the lock
        } catch (const std::exception& e) {
            failed = true;
            error = e.what();
            if (error.empty()) error = "exception";
        } catch (...) {
            failed = true;
            error = "unknown exception";
        }
        std::lock_guard lock(mu_);
        auto& st = job->st;
        st.last_run = now;
        st.next_run = now + st.interval_s;
        ++st.runs;
        if (failed) {
            ++st.failures;
            st.last_error = std::move(error);
        }
        ++ran;
    }
    return ran;
}

void Scheduler::loop(std::chrono::milliseconds tick) {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        lock.unlock();
        try {
            run_due();
        } catch (...) {  // only allocation failures get here; keep the thread alive
        }
        lock.lock();
        cv_.wait_for(lock, tick, [this] { return stopping_; });
    }
}

void Scheduler::start(std::chrono::milliseconds tick) {
    std::lock_guard tlock(thread_mu_);
    if (thread_.joinable()) return;
    tick = std::max(tick, std::chrono::milliseconds(1));
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
    }
    thread_ = std::thread([this, tick] { loop(tick); });
}

void Scheduler::stop() {
    std::lock_guard tlock(thread_mu_);  // held while joining, so a concurrent start() waits
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id())
        return;  // from a job: the loop ends after it
    thread_.join();
}

bool Scheduler::running() const {
    std::lock_guard tlock(thread_mu_);
    return thread_.joinable();
}

std::vector<JobStatus> Scheduler::status() const {
    std::lock_guard lock(mu_);
    std::vector<JobStatus> out;
    out.reserve(jobs_.size());
    for (const auto& j : jobs_) out.push_back(j->st);
    return out;
}

}  // namespace gapura::core::jobs
