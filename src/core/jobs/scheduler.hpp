// Scheduler: periodic work (SLA clocks, website checks, outbox delivery). Each job has a name
// and an interval in seconds of the injected Clock; a new job is due at once, and after each run
// its next run is `now + interval` (a late or paused scheduler runs a job once, never a burst of
// catch-up runs). run_due() runs due jobs on the calling thread, so tests drive it with a
// FakeClock and no sleeps; start() runs it from one background thread every `tick` of real time.
// An exception thrown by a job is caught and counted; it never stops the other jobs or the thread.
//
// Threads: every(), run_due(), status() and stop() may be called from any thread. Calls to
// run_due() are serialised, so a job never overlaps itself; status() does not wait for a running
// job. A job must not call stop() or the destructor (a job that does only asks the thread to end).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/util/clock.hpp"

namespace gapura::core::jobs {

struct JobStatus {
    std::string name;
    std::int64_t interval_s = 0;
    std::int64_t next_run = 0;  // unix seconds of the injected clock
    std::int64_t last_run = 0;  // 0 = never ran
    std::uint64_t runs = 0;     // including failed runs
    std::uint64_t failures = 0;
    std::string last_error;  // what() of the most recent failure, kept after later successes
};

class Scheduler {
  public:
    explicit Scheduler(const Clock& clock);
    ~Scheduler();  // stops and joins the thread
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Adds a job, due at the next run_due(). Throws std::invalid_argument for an empty or
    // duplicate name, an interval below 1 s, or an empty function.
    void every(std::string name, std::int64_t interval_s, std::function<void(std::int64_t now)> fn);

    // Runs, on the calling thread and in the order added, every job whose next_run <= now;
    // returns how many ran (failed runs included).
    int run_due();

    // Starts the background thread (no-op when it is running). stop() wakes it promptly.
    void start(std::chrono::milliseconds tick = std::chrono::milliseconds(1000));
    // Idempotent; waits for a running job to finish, then joins the thread.
    void stop();
    bool running() const;

    std::vector<JobStatus> status() const;

  private:
    struct Job {
        JobStatus st;
        std::function<void(std::int64_t)> fn;
    };

    void loop(std::chrono::milliseconds tick);

    const Clock& clock_;
    std::mutex run_mu_;      // serialises run_due()
    mutable std::mutex mu_;  // guards jobs_ (the list and each JobStatus) and stopping_
    std::vector<std::unique_ptr<Job>> jobs_;
    std::condition_variable cv_;
    bool stopping_ = false;
    mutable std::mutex thread_mu_;  // guards thread_ across start()/stop()
    std::thread thread_;
};

}  // namespace gapura::core::jobs
