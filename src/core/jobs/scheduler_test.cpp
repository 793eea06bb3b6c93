#include "core/jobs/scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace gapura::core::jobs {
namespace {

using namespace std::chrono_literals;

const JobStatus& find(const std::vector<JobStatus>& all, const std::string& name) {
    for (const auto& s : all)
        if (s.name == name) return s;
    throw std::logic_error("no job " + name);
}

// Counts calls and lets a test wait for the n-th one without sleeping blindly.
class Counter {
  public:
    void hit() {
        {
            std::lock_guard lock(mu_);
            ++n_;
        }
        cv_.notify_all();
    }
    bool wait_for(int n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return n_ >= n; });
    }
    int value() {
        std::lock_guard lock(mu_);
        return n_;
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    int n_ = 0;
};

TEST(Scheduler, NewJobIsDueAtOnceThenEveryInterval) {
    FakeClock clock;
    Scheduler s(clock);
    std::vector<std::int64_t> seen;
    s.every("sla", 60, [&](std::int64_t now) { seen.push_back(now); });
    const auto t0 = clock.now();

    EXPECT_EQ(s.run_due(), 1);
    EXPECT_EQ(s.run_due(), 0);  // not due again at the same instant
    clock.advance(59);
    EXPECT_EQ(s.run_due(), 0);
    clock.advance(1);
    EXPECT_EQ(s.run_due(), 1);
    EXPECT_EQ(seen, (std::vector<std::int64_t>{t0, t0 + 60}));

    auto st = find(s.status(), "sla");
    EXPECT_EQ(st.interval_s, 60);
    EXPECT_EQ(st.runs, 2u);
    EXPECT_EQ(st.failures, 0u);
    EXPECT_EQ(st.last_run, t0 + 60);
    EXPECT_EQ(st.next_run, t0 + 120);
}

TEST(Scheduler, LateRunHappensOnceAndRestartsTheInterval) {
    FakeClock clock;
    Scheduler s(clock);
    int runs = 0;
    s.every("check", 10, [&](std::int64_t) { ++runs; });
    EXPECT_EQ(s.run_due(), 1);
    clock.advance(1000);  // a hundred intervals missed
    EXPECT_EQ(s.run_due(), 1);
    EXPECT_EQ(s.run_due(), 0);
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(find(s.status(), "check").next_run, clock.now() + 10);
    clock.advance(9);
    EXPECT_EQ(s.run_due(), 0);
    clock.advance(1);
    EXPECT_EQ(s.run_due(), 1);
}

TEST(Scheduler, JobsWithDifferentIntervals) {
    FakeClock clock;
    Scheduler s(clock);
    int fast = 0, slow = 0;
    s.every("fast", 5, [&](std::int64_t) { ++fast; });
    s.every("slow", 30, [&](std::int64_t) { ++slow; });
    for (int i = 0; i <= 60; ++i) {
        s.run_due();
        clock.advance(1);
    }
    EXPECT_EQ(fast, 13);  // t = 0, 5, ..., 60
    EXPECT_EQ(slow, 3);   // t = 0, 30, 60
}

TEST(Scheduler, ThrowingJobIsCountedAndOthersStillRun) {
    FakeClock clock;
    Scheduler s(clock);
    int good = 0;
    bool fail = true;
    s.every("bad", 10, [&](std::int64_t) {
        if (fail) throw std::runtime_error("boom");
    });
    s.every("weird", 10, [](std::int64_t) { throw 42; });
    s.every("good", 10, [&](std::int64_t) { ++good; });

    EXPECT_EQ(s.run_due(), 3);
    EXPECT_EQ(good, 1);
    auto all = s.status();
    EXPECT_EQ(find(all, "bad").failures, 1u);
    EXPECT_EQ(find(all, "bad").last_error, "boom");
    EXPECT_EQ(find(all, "bad").next_run, clock.now() + 10);  // rescheduled like any run
    EXPECT_EQ(find(all, "weird").last_error, "unknown exception");
    EXPECT_EQ(find(all, "good").failures, 0u);
    EXPECT_TRUE(find(all, "good").last_error.empty());

    fail = false;
    clock.advance(10);
    EXPECT_EQ(s.run_due(), 3);
    all = s.status();
    EXPECT_EQ(find(all, "bad").runs, 2u);
    EXPECT_EQ(find(all, "bad").failures, 1u);
    EXPECT_EQ(find(all, "weird").failures, 2u);
    EXPECT_EQ(good, 2);
}

TEST(Scheduler, RejectsBadJobs) {
    FakeClock clock;
    Scheduler s(clock);
    auto noop = [](std::int64_t) {};
    EXPECT_THROW(s.every("", 10, noop), std::invalid_argument);
    EXPECT_THROW(s.every("zero", 0, noop), std::invalid_argument);
    EXPECT_THROW(s.every("none", 10, nullptr), std::invalid_argument);
    s.every("once", 10, noop);
    EXPECT_THROW(s.every("once", 20, noop), std::invalid_argument);
    EXPECT_EQ(s.status().size(), 1u);
}

TEST(Scheduler, JobMayAddAnotherJob) {
    FakeClock clock;
    Scheduler s(clock);
    int child = 0;
    s.every("parent", 100, [&](std::int64_t) {
        if (s.status().size() == 1) s.every("child", 100, [&](std::int64_t) { ++child; });
    });
    EXPECT_EQ(s.run_due(), 1);  // the child was not in this round
    EXPECT_EQ(s.run_due(), 1);  // but is due at once afterwards
    EXPECT_EQ(child, 1);
}

TEST(Scheduler, BackgroundThreadRunsJobsAndStopsPromptly) {
    FakeClock clock;
    Counter counter;  // outlives the scheduler's thread
    Scheduler s(clock);
    s.every("tick", 60, [&](std::int64_t) { counter.hit(); });
    s.start(5ms);
    EXPECT_TRUE(s.running());
    ASSERT_TRUE(counter.wait_for(1, 5s));
    clock.advance(60);
    ASSERT_TRUE(counter.wait_for(2, 5s));
    s.stop();
    EXPECT_FALSE(s.running());
    const int after_stop = counter.value();
    clock.advance(600);
    EXPECT_EQ(s.run_due(), 1);  // still usable by hand
    EXPECT_EQ(counter.value(), after_stop + 1);
    s.stop();  // idempotent
}

TEST(Scheduler, StopWakesALongTick) {
    FakeClock clock;
    Counter counter;  // outlives the scheduler's thread
    Scheduler s(clock);
    s.every("job", 3600, [&](std::int64_t) { counter.hit(); });
    s.start(std::chrono::hours(1));
    ASSERT_TRUE(counter.wait_for(1, 5s));
    const auto t0 = std::chrono::steady_clock::now();
    s.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    // And it can be started again; the job is due before the thread's first round.
    clock.advance(3600);
    s.start(std::chrono::hours(1));
    ASSERT_TRUE(counter.wait_for(2, 5s));
}

TEST(Scheduler, DestructorStopsTheThread) {
    FakeClock clock;
    Counter counter;
    const auto t0 = std::chrono::steady_clock::now();
    {
        Scheduler s(clock);
        s.every("job", 10, [&](std::int64_t) { counter.hit(); });
        s.start(std::chrono::hours(1));
        ASSERT_TRUE(counter.wait_for(1, 5s));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

}  // namespace
}  // namespace gapura::core::jobs
