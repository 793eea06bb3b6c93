// RequestContext: everything a handler gets for one request: the parsed request, path and
// query parameters, the form (for urlencoded bodies), the principal, the language, the CSRF
// token to put in forms, and the cookies to set on the answer. Lives on one thread for the
// request's duration.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/principal.hpp"
#include "core/http/form.hpp"
#include "core/http/multipart.hpp"
#include "core/http/router.hpp"
#include "core/http/upload.hpp"
#include "core/http/types.hpp"

namespace gapura::core::http {

struct RequestContext {
    explicit RequestContext(const Request& r) : req(r) {}
    const Request& req;
    std::string path;          // decoded path, no query string
    std::string target_query;  // raw query string
    PathParams params;
    Form query;
    std::optional<Form> form;             // urlencoded body, parsed before the handler runs
    std::optional<Multipart> multipart;   // multipart body, parsed before the handler runs
                                          // (upload routes: the fields only, files in `upload`)
    UploadSpool* upload = nullptr;        // upload routes: the spooled files and the observer
    std::optional<auth::Principal> principal;
    std::string lang = "id";
    std::string request_id;
    std::string client_ip;
    std::string csrf_token;                   // use csrf(): made on first use
    std::function<std::string()> make_csrf;   // set by the pipeline for page routes
    bool api = false;
    bool secure = false;  // the client reached us over TLS (directly or through a trusted proxy)
    std::vector<std::string> set_cookies;

    std::string_view param(std::string_view name) const {
        for (const auto& [k, v] : params)
            if (k == name) return v;
        return {};
    }
    // The CSRF token to embed in a form on this page (sets the visitor cookie when needed).
    const std::string& csrf() {
        if (csrf_token.empty() && make_csrf) csrf_token = make_csrf();
        return csrf_token;
    }
    // A form field from either body encoding; "" when absent.
    std::string_view field(std::string_view name) const {
        if (form) return form->value(name);
        if (multipart) return multipart->fields.value(name);
        return {};
    }
    bool signed_in() const { return principal.has_value(); }
    std::string_view header(bhttp::field f) const {
        auto it = req.find(f);
        return it == req.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
    }
};

}  // namespace gapura::core::http
