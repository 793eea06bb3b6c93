#include "core/http/multipart_stream.hpp"

#include <algorithm>

#include "core/util/strings.hpp"

namespace gapura::core::http {

namespace {

// Reads a parameter like name="x" from a Content-Disposition value, splitting on ';' only
// outside quotes, so a quoted value can never smuggle in another parameter.
std::optional<std::string> disposition_param(std::string_view header, std::string_view key) {
    std::size_t i = header.find(';');
    while (i != std::string_view::npos && i < header.size()) {
        ++i;
        while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
        std::size_t eq = header.find('=', i);
        if (eq == std::string_view::npos) return std::nullopt;
        std::string_view name = util::trim(header.substr(i, eq - i));
        std::size_t j = eq + 1;
        std::string value;
        if (j < header.size() && header[j] == '"') {
            ++j;
            while (j < header.size() && header[j] != '"') {
                if (header[j] == '\\' && j + 1 < header.size()) ++j;
                value += header[j++];
            }
            if (j >= header.size()) return std::nullopt;  // unterminated quote
            ++j;
        } else {
            std::size_t end = header.find(';', j);
            value = std::string(util::trim(header.substr(j, end == std::string_view::npos ? end : end - j)));
            j = end == std::string_view::npos ? header.size() : end;
        }
        if (util::iequals(name, key)) return value;
        i = header.find(';', j);
    }
    return std::nullopt;
}

}  // namespace

std::optional<PartHead> parse_part_head(std::string_view headers) {
    std::string disposition, type;
    for (auto line : util::split(headers, '\n')) {
        line = util::trim(line);
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        auto name = util::trim(line.substr(0, colon));
        auto value = util::trim(line.substr(colon + 1));
        if (util::iequals(name, "content-disposition")) disposition = std::string(value);
        else if (util::iequals(name, "content-type")) type = std::string(value);
    }
    if (!util::starts_with(util::to_lower_ascii(disposition), "form-data")) return std::nullopt;
    PartHead out;
    auto field = disposition_param(disposition, "name");
    if (!field || !util::valid_utf8(*field)) return std::nullopt;
    out.name = std::move(*field);
    out.filename = disposition_param(disposition, "filename");
    if (out.filename && !util::valid_utf8(*out.filename)) return std::nullopt;
    out.content_type = std::move(type);
    return out;
}

bool valid_boundary(std::string_view b) {
    if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
    for (char c : b) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

// ---------------------------------------------------------------- MultipartStream

MultipartStream::MultipartStream(std::string_view boundary, MultipartSink& sink, Limits limits)
    : sink_(sink), limits_(limits), delim_("\r\n--" + std::string(boundary)) {
    // The body starts with "--boundary" (no CRLF before the first delimiter): act as if a CRLF
    // came first.
    carry_ = "\r\n";
    if (!valid_boundary(boundary)) fail(Error::malformed);
}

bool MultipartStream::emit(std::string_view bytes) {
    if (state_ != State::body || bytes.empty()) return true;
    return sink_.part_data(bytes) || fail(Error::stopped);
}

bool MultipartStream::end_part() {
    in_part_ = false;
    return sink_.part_end() || fail(Error::stopped);
}

// The delimiter "\r\n--boundary" contains CR only at its start (a boundary has no CR), so at
// most one possible start of it can be pending at the end of a chunk: the last CR, when what
// follows it is a prefix of the delimiter. That prefix is held in carry_ until the next chunk.
bool MultipartStream::feed(std::string_view data) {
    const std::size_t D = delim_.size();
    while (!data.empty()) {
        switch (state_) {
            case State::failed:
                return false;
            case State::done:
                return true;  // epilogue
            case State::preamble:
            case State::body: {
                if (!carry_.empty()) {
                    const std::size_t k = carry_.size(), take = std::min(D - k, data.size());
                    if (delim_.compare(k, take, data.substr(0, take)) == 0) {
                        if (k + take < D) {
                            carry_.append(data);
                            return true;
                        }
                        carry_.clear();
                        data.remove_prefix(take);
                        if (state_ == State::body && !end_part()) return false;
                        state_ = State::after_delim;
                        continue;
                    }
                    // Not a delimiter: the held bytes are data (no CR after their first byte).
                    std::string held = std::move(carry_);
                    carry_.clear();
                    if (!emit(held)) return false;
                }
                auto pos = data.find(delim_);
                if (pos != std::string_view::npos) {
                    if (!emit(data.substr(0, pos))) return false;
                    data.remove_prefix(pos + D);
                    if (state_ == State::body && !end_part()) return false;
                    state_ = State::after_delim;
                    continue;
                }
                std::size_t keep = data.size();
                const std::size_t from = data.size() >= D ? data.size() - D + 1 : 0;
                auto cr = data.rfind('\r');
                if (cr != std::string_view::npos && cr >= from &&
                    delim_.compare(0, data.size() - cr, data.substr(cr)) == 0)
                    keep = cr;
                if (!emit(data.substr(0, keep))) return false;
                carry_.assign(data.substr(keep));
                return true;
            }
            case State::after_delim: {
                const std::size_t take = std::min<std::size_t>(2 - carry_.size(), data.size());
                carry_.append(data.substr(0, take));
                data.remove_prefix(take);
                if (carry_.size() < 2) return true;
                if (carry_ == "--") {
                    carry_.clear();
                    state_ = State::done;
                    return true;
                }
                if (carry_ != "\r\n") return fail(Error::malformed);
                carry_.clear();
                if (++parts_ > limits_.max_parts) return fail(Error::too_many_parts);
                header_.clear();
                state_ = State::headers;
                continue;
            }
            case State::headers: {
                const std::size_t old = header_.size();
                const std::size_t room = limits_.max_header_bytes + 4 - old;
                header_.append(data.substr(0, room));
                auto end = header_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
                if (end == std::string::npos) {
                    if (header_.size() >= limits_.max_header_bytes + 4) return fail(Error::header_too_large);
                    return true;
                }
                data.remove_prefix(end + 4 - old);
                auto head = parse_part_head(std::string_view(header_).substr(0, end));
                if (!head) return fail(Error::malformed);
                header_.clear();
                state_ = State::body;
                in_part_ = true;
                if (!sink_.part_begin(*head)) return fail(Error::stopped);
                continue;
            }
        }
    }
    return state_ != State::failed;
}

bool MultipartStream::finish() {
    if (state_ == State::failed) return false;
    if (state_ != State::done) return fail(Error::malformed);  // truncated
    return true;
}

}  // namespace gapura::core::http
