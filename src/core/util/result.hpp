// Result<T>: the outcome of a use case, either a value or a domain error.
// A domain error carries a stable code (mapped to an HTTP status in one table, see
// core/http/errors.hpp), a message-catalog key for the user, and optional field errors.
// Plain value type; no shared state, safe to move between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gapura {

enum class ErrorCode {
    bad_request,    // malformed or invalid input (400)
    unauthorized,   // not signed in / bad credentials (401)
    forbidden,      // signed in but not allowed (403)
    not_found,      // no such object, or not visible to this user (404)
    conflict,       // unique violation, wrong state (409)
    gone,           // expired token or link (410)
    too_large,      // payload too large (413)
    unsupported,    // unsupported media type (415)
    unprocessable,  // well-formed but fails validation (422)
    rate_limited,   // too many attempts (429)
    unavailable,    // overloaded or dependency down (503)
    internal,       // bug or broken infrastructure (500)
};

struct FieldError {
    std::string field;
    std::string message_key;  // catalog key, e.g. "err_email_invalid"
};

struct Error {
    ErrorCode code = ErrorCode::bad_request;
    std::string message_key;   // catalog key for the summary message
    std::vector<FieldError> fields{};
    std::string detail{};      // untranslated detail (e.g. a parser position); never secrets
    int retry_after = 0;       // seconds, for rate_limited / unavailable
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

inline Error make_error(ErrorCode code, std::string key, std::string detail = {}) {
    return Error{code, std::move(key), {}, std::move(detail), 0};
}

}  // namespace gapura
