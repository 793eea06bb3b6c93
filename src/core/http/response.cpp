#include "core/http/response.hpp"

namespace gapura::core::http {

Status status_for(ErrorCode code) {
    switch (code) {
        case ErrorCode::bad_request: return Status::bad_request;
        case ErrorCode::unauthorized: return Status::unauthorized;
        case ErrorCode::forbidden: return Status::forbidden;
        case ErrorCode::not_found: return Status::not_found;
        case ErrorCode::conflict: return Status::conflict;
        case ErrorCode::gone: return Status::gone;
        case ErrorCode::too_large: return Status::payload_too_large;
        case ErrorCode::unsupported: return Status::unsupported_media_type;
        case ErrorCode::unprocessable: return Status::unprocessable_entity;
        case ErrorCode::rate_limited: return Status::too_many_requests;
        case ErrorCode::unavailable: return Status::service_unavailable;
        case ErrorCode::internal: return Status::internal_server_error;
    }
    return Status::internal_server_error;
}

Response make_response(Status status, std::string body, std::string_view content_type) {
    Response res{status, 11};
    res.set(bhttp::field::content_type, content_type);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Response html_response(Status status, std::string body) {
    return make_response(status, std::move(body), "text/html; charset=utf-8");
}

Response json_response(Status status, std::string body) {
    return make_response(status, std::move(body), "application/json; charset=utf-8");
}

Response text_response(Status status, std::string body) {
    return make_response(status, std::move(body), "text/plain; charset=utf-8");
}

Response redirect(std::string_view location, Status status) {
    Response res{status, 11};
    res.set(bhttp::field::location, location);
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.body() = "";
    res.prepare_payload();
    return res;
}

void serialize_head(const Response& res, std::string& out) {
    out.clear();
    const unsigned code = res.result_int();
    out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += static_cast<char>('0' + code / 100 % 10);
    out += static_cast<char>('0' + code / 10 % 10);
    out += static_cast<char>('0' + code % 10);
    out += ' ';
    const auto reason = res.reason();
    out.append(reason.data(), reason.size());
    out += "\r\n";
    bool framed = false;
    for (const auto& f : res) {
        const auto name = f.name_string();
        const auto value = f.value();
        if (f.name() == bhttp::field::content_length || f.name() == bhttp::field::transfer_encoding) framed = true;
        out.append(name.data(), name.size());
        out += ": ";
        out.append(value.data(), value.size());
        out += "\r\n";
    }
    if (!framed && !res.source && code >= 200 && code != 204 && code != 304) {
        out += "Content-Length: ";
        out += std::to_string(res.body().size());
        out += "\r\n";
    }
    out += "\r\n";
}

}  // namespace gapura::core::http
