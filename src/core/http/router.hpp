// Router: maps (method, path) to a handler. Patterns are literal segments, `{name}` segments
// (one whole segment), `{name}.ext` / `prefix{name}` segments, or a final `{*name}` that takes
// the rest of the path. Each module adds its routes in one readable table at start-up; after
// that the router is read-only and safe to share between threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/http/types.hpp"

namespace gapura::core::http {

struct RequestContext;
struct UploadRoute;
using Handler = std::function<Response(RequestContext&)>;
// A non-blocking first try for a blocking route (e.g. a cache lookup): an answer, or nullopt to
// run the route's handler on the worker pool as usual.
using FastHandler = std::function<std::optional<Response>(RequestContext&)>;

struct RouteOptions {
    // Runs on the blocking worker pool (database, files). Only cheap, memory-only handlers
    // set this to false and run on the I/O thread.
    bool blocking = true;
    // API route: JSON errors, bearer tokens, no CSRF check (no cookies are trusted).
    bool api = false;
    // Largest request body accepted (413 above it).
    std::size_t body_limit = 64 * 1024;
    // Tried on the I/O thread first for anonymous requests (no session cookie, no token).
    FastHandler fast;
    // The message of that 413 (a key of the message catalog), e.g. one naming the route's limit.
    const char* too_large_key = "err_body_too_large";
    // Set for upload routes: the multipart body is read in chunks and its files are spooled to
    // disk while it arrives (core/http/upload.hpp); null: the body is read into memory.
    std::shared_ptr<const UploadRoute> upload;
};

struct Route {
    Method method;
    std::string pattern;
    Handler handler;
    RouteOptions options;
};

using PathParams = std::vector<std::pair<std::string, std::string>>;

struct RouteMatch {
    const Route* route = nullptr;    // set when method and path match
    PathParams params;
    std::vector<Method> allowed;     // when the path matched but not the method
};

class Router {
public:
    // Throws std::invalid_argument on a malformed pattern or a duplicate (method, pattern).
    void add(Method method, std::string pattern, Handler handler, RouteOptions options = {});
    RouteMatch match(Method method, std::string_view path) const;
    const std::vector<Route>& routes() const { return routes_; }
    // Finds the route options for a request before its body is read (body limit, blocking).
    const RouteOptions* options_for(Method method, std::string_view path) const;

private:
    struct Segment {
        std::string prefix;  // literal text before the parameter (or whole literal)
        std::string name;    // parameter name; empty for a literal segment
        std::string suffix;  // literal text after the parameter
        bool rest = false;   // {*name}
    };
    struct Compiled {
        std::size_t route_index;
        std::vector<Segment> segments;
    };
    static bool match_segments(const std::vector<Segment>& segs, std::string_view path, PathParams* out);

    std::vector<Route> routes_;
    std::unordered_map<std::string, std::vector<std::size_t>> exact_;  // literal patterns
    std::vector<Compiled> patterns_;
};

// Canonical name of a method for the Allow header ("GET, POST").
std::string allow_header(const std::vector<Method>& methods);

}  // namespace gapura::core::http
