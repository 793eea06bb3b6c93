// PendingAnswer: an answer that is not ready when the handler returns. A handler that starts
// work which another thread finishes (a durable write: core/db Database::write_async) returns
// http::pending_response(p) and, when that work is done, calls p->resolve() from any thread with a
// function that builds the answer. No worker thread waits meanwhile: the server parks the
// connection and runs the builder on the connection's own thread once it is resolved, so the
// builder does memory-only work (no database, no files), and captures by value what it needs
// (the request context is gone by then).
//
// The pipeline wraps the builder (wrap()) with what every answer gets: error mapping (a builder
// may throw, e.g. the write's DbError), security headers, metrics and the access log.
//
// Threads: resolve() from any thread, once; the rest from the thread that owns the connection.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "core/http/types.hpp"

namespace gapura::core::http {

class PendingAnswer {
public:
    using Build = std::function<Response()>;
    using Wrap = std::function<Response(const Build&)>;

    // The work is done: the answer is build() (run later, on the connection's thread).
    void resolve(Build build) {
        std::lock_guard lock(mu_);
        if (ready_) throw std::logic_error("PendingAnswer resolved twice");
        build_ = std::move(build);
        ready_ = true;
        cv_.notify_all();
        if (notify_) notify_();  // under the lock: detach() cannot run between check and call
    }
    // Pipeline: the answer becomes wrap(build) (set before the server takes it).
    void wrap(Wrap w) {
        std::lock_guard lock(mu_);
        wrap_ = std::move(w);
    }
    // Server: notify() is called once when the answer is ready (at once if it is already), from
    // the resolving thread and under this object's lock: it only schedules the take(). After
    // detach() it is never called.
    void on_ready(std::function<void()> notify) {
        std::lock_guard lock(mu_);
        if (ready_) notify();
        else notify_ = std::move(notify);
    }
    void detach() {
        std::lock_guard lock(mu_);
        notify_ = nullptr;
    }
    // The answer, once ready (builds it: call once).
    Response take() {
        Build build;
        Wrap wrap;
        {
            std::lock_guard lock(mu_);
            if (!ready_) throw std::logic_error("PendingAnswer taken before it was resolved");
            build = std::move(build_);
            wrap = std::move(wrap_);
        }
        return wrap ? wrap(build) : build();
    }
    // Blocks until resolved, then take() (tests, and callers on a worker thread).
    Response wait() {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return ready_; });
        }
        return take();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool ready_ = false;
    Build build_;
    Wrap wrap_;
    std::function<void()> notify_;
};

// A Response that stands for `p` (its status and body mean nothing until p is taken).
inline Response pending_response(std::shared_ptr<PendingAnswer> p) {
    Response res;
    res.pending = std::move(p);
    return res;
}

}  // namespace gapura::core::http
