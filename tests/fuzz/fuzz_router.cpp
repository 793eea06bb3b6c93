// Fuzz target: Router::match and Router::options_for on arbitrary methods and paths.
// Input: first byte picks the method, the rest is the path.
// Invariants: no crash; a match agrees with options_for (and has
// an empty `allowed` list); captured parameters are valid UTF-8 and non-empty; a 405 list never
// holds the requested method and has no duplicates.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/router.hpp"
#include "core/util/strings.hpp"

namespace http = gapura::core::http;
namespace util = gapura::util;
using http::Method;

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) __builtin_trap(); \
    } while (0)

namespace {

const Method kMethods[] = {Method::get,    Method::head,    Method::post,  Method::put,
                           Method::delete_, Method::patch,  Method::options, Method::trace};

http::Response noop(http::RequestContext&) { return {}; }

const http::Router& router() {
    static const http::Router r = [] {
        http::Router r;
        http::RouteOptions upload;
        upload.body_limit = 10 << 20;
        r.add(Method::get, "/", noop);
        r.add(Method::get, "/reports", noop);
        r.add(Method::post, "/reports", noop, upload);
        r.add(Method::get, "/reports/new", noop);
        r.add(Method::get, "/reports/{id}", noop);
        r.add(Method::put, "/reports/{id}", noop);
        r.add(Method::delete_, "/reports/{id}", noop);
        r.add(Method::get, "/reports/{id}/comments/{cid}", noop);
        r.add(Method::get, "/api/v1/datasets/{id}.json", noop);
        r.add(Method::get, "/api/v1/datasets/{id}.csv", noop);
        r.add(Method::get, "/files/v{version}.pdf", noop);
        r.add(Method::get, "/static/{*path}", noop);
        r.add(Method::post, "/opd/{code}/{*rest}", noop);
        return r;
    }();
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const Method method = kMethods[data[0] % (sizeof kMethods / sizeof kMethods[0])];
    const std::string_view path(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto& r = router();

    const http::RouteMatch m = r.match(method, path);
    const http::RouteOptions* opts = r.options_for(method, path);
    const Method lookup = method == Method::head ? Method::get : method;

    if (m.route) {
        FUZZ_CHECK(m.route->method == lookup);
        FUZZ_CHECK(m.allowed.empty());
        FUZZ_CHECK(opts == &m.route->options);
        for (const auto& [name, value] : m.params) {
            FUZZ_CHECK(!name.empty());
            FUZZ_CHECK(!value.empty());
            FUZZ_CHECK(util::valid_utf8(value));
            FUZZ_CHECK(value.size() <= path.size());
        }
    } else {
        FUZZ_CHECK(opts == nullptr);
        FUZZ_CHECK(m.params.empty());
        FUZZ_CHECK(std::find(m.allowed.begin(), m.allowed.end(), lookup) == m.allowed.end());
        for (std::size_t i = 0; i < m.allowed.size(); ++i) {
            for (std::size_t j = i + 1; j < m.allowed.size(); ++j) FUZZ_CHECK(m.allowed[i] != m.allowed[j]);
        }
        const std::string allow = http::allow_header(m.allowed);
        FUZZ_CHECK(m.allowed.empty() == allow.empty());
    }
    return 0;
}
