#include "core/auth/accounts_module.hpp"

#include <boost/json.hpp>

#include "app/config.hpp"
#include "core/auth/auth_service.hpp"
#include "core/http/context.hpp"
#include "core/http/cookies.hpp"
#include "core/http/response.hpp"
#include "core/region/regency.hpp"
#include "core/util/json_input.hpp"
#include "core/util/strings.hpp"
#include "core/web/pipeline.hpp"

namespace gapura::core::auth {

namespace bhttp = http::bhttp;
using web::Data;

namespace {
// Field errors as {"errors": {"email": "...", ...}, "error_summary": "..."} for the form templates.
void add_errors(Data& page, const web::Views& views, const std::string& lang, const Error* err) {
    if (!err) return;
    page.set("error_summary", views.t(lang, err->message_key));
    Data errors = web::object();
    for (const auto& f : err->fields) errors.set(f.field, views.t(lang, f.message_key));
    page.set("errors", errors);
}

std::string next_target(http::RequestContext& ctx) {
    std::string next(ctx.field("ke"));
    if (next.empty()) next = std::string(ctx.query.value("ke"));
    return util::safe_local_path(next) ? next : std::string("/akun");
}

http::Response with_status(http::Response res, const Error* err) {
    if (err) {
        res.result(http::status_for(err->code));
        if (err->retry_after > 0) res.set(bhttp::field::retry_after, std::to_string(err->retry_after));
    }
    return res;
}
}  // namespace

void AccountsModule::register_routes(http::Router& r) {
    using M = http::Method;
    http::RouteOptions api;
    api.api = true;
    r.add(M::get, "/daftar", [this](auto& c) { return sign_up_form(c); });
    r.add(M::post, "/daftar", [this](auto& c) { return sign_up(c); });
    r.add(M::get, "/masuk", [this](auto& c) { return sign_in_form(c); });
    r.add(M::post, "/masuk", [this](auto& c) { return sign_in(c); });
    r.add(M::post, "/keluar", [this](auto& c) { return sign_out(c); });
    r.add(M::get, "/akun", [this](auto& c) { return account(c); });
    r.add(M::get, "/akun/sandi", [this](auto& c) { return password_form(c); });
    r.add(M::post, "/akun/sandi", [this](auto& c) { return change_password(c); });
    r.add(M::get, "/lupa-sandi", [this](auto& c) { return forgot_form(c); });
    r.add(M::post, "/lupa-sandi", [this](auto& c) { return forgot(c); });
    r.add(M::get, "/atur-sandi", [this](auto& c) { return reset_form(c); });
    r.add(M::post, "/atur-sandi", [this](auto& c) { return reset(c); });
    r.add(M::get, "/admin/pengguna", [this](auto& c) { return admin_users(c); });
    r.add(M::get, "/admin/pengguna/{id}", [this](auto& c) { return admin_user_form(c); });
    r.add(M::post, "/admin/pengguna/{id}", [this](auto& c) { return admin_user_update(c); });
    r.add(M::get, "/admin/kotak-keluar", [this](auto& c) { return admin_outbox(c); });
    r.add(M::post, "/api/v1/auth/token", [this](auto& c) { return api_token(c); }, api);
    r.add(M::delete_, "/api/v1/auth/token", [this](auto& c) { return api_token_revoke(c); }, api);
    r.add(M::get, "/api/v1/me", [this](auto& c) { return api_me(c); }, api);
}

void AccountsModule::start_session(http::RequestContext& ctx, const SessionGrant& grant) {
    http::CookieOptions o;
    o.secure = ctx.secure;
    o.max_age = static_cast<int>(grant.expires_at - s_.clock.now());
    ctx.set_cookies.push_back(http::format_set_cookie(web::Pipeline::kSessionCookie, grant.raw_token, o));
}

http::Response AccountsModule::sign_up_form(http::RequestContext& ctx, const Error* err) {
    if (ctx.principal && !err) return http::redirect("/akun");
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    page.set("email", std::string(ctx.field("email")));
    page.set("display_name", std::string(ctx.field("display_name")));
    page.set("role_pelaku_usaha", ctx.field("role") == "pelaku_usaha");
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "pages/sign_up", page, s_.views.t(ctx.lang, "sign_up_title")), err);
}

http::Response AccountsModule::sign_up(http::RequestContext& ctx) {
    SignUpInput in{std::string(ctx.field("email")), std::string(ctx.field("display_name")),
                   std::string(ctx.field("password")), std::string(ctx.field("role"))};
    if (in.role.empty()) in.role = "warga";
    if (ctx.field("password") != ctx.field("password_confirm")) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"password_confirm", "err_password_mismatch"}}, {}, 0};
        return sign_up_form(ctx, &e);
    }
    auto r = s_.auth.sign_up(in, ctx.client_ip);
    if (!r) return sign_up_form(ctx, &r.error());
    auto grant = s_.auth.sign_in(in.email, in.password, ctx.client_ip);
    if (grant) start_session(ctx, *grant);
    return http::redirect("/akun?pesan=selamat-datang");
}

http::Response AccountsModule::sign_in_form(http::RequestContext& ctx, const Error* err) {
    if (ctx.principal && !err) return http::redirect("/akun");
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    page.set("email", std::string(ctx.field("email")));
    std::string next(ctx.field("ke"));
    if (next.empty()) next = std::string(ctx.query.value("ke"));
    page.set("next", util::safe_local_path(next) ? next : std::string());
    if (ctx.query.value("pesan") == "sandi-diatur") page.set("notice", s_.views.t(ctx.lang, "notice_password_reset"));
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "pages/sign_in", page, s_.views.t(ctx.lang, "sign_in_title")), err);
}

http::Response AccountsModule::sign_in(http::RequestContext& ctx) {
    auto grant = s_.auth.sign_in(std::string(ctx.field("email")), std::string(ctx.field("password")), ctx.client_ip);
    if (!grant) return sign_in_form(ctx, &grant.error());
    start_session(ctx, *grant);
    return http::redirect(next_target(ctx));
}

http::Response AccountsModule::sign_out(http::RequestContext& ctx) {
    auto cookie = ctx.header(bhttp::field::cookie);
    if (auto sid = http::find_cookie(cookie, web::Pipeline::kSessionCookie)) s_.auth.sign_out(std::string(*sid));
    http::CookieOptions o;
    o.max_age = 0;
    ctx.set_cookies.push_back(http::format_set_cookie(web::Pipeline::kSessionCookie, "", o));
    return http::redirect("/");
}

http::Response AccountsModule::account(http::RequestContext& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fakun");
    const auto& p = *ctx.principal;
    Data page = web::object();
    page.set("email", p.email);
    page.set("display_name", p.display_name);
    page.set("role_label", s_.views.t(ctx.lang, "role_" + std::string(role_name(p.role))));
    std::string opd_name;
    if (const auto* o = s_.regency.find_opd(p.opd_slug)) opd_name = o->name;
    page.set("opd_name", opd_name);
    page.set("has_opd", !opd_name.empty());
    page.set("is_admin", p.is_admin());
    if (ctx.query.value("pesan") == "selamat-datang") page.set("notice", s_.views.t(ctx.lang, "notice_welcome"));
    if (ctx.query.value("pesan") == "sandi-diubah") page.set("notice", s_.views.t(ctx.lang, "notice_password_changed"));
    return s_.views.page(ctx, "pages/account", page, s_.views.t(ctx.lang, "account_title"));
}

http::Response AccountsModule::password_form(http::RequestContext& ctx, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fakun%2Fsandi");
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "pages/password", page, s_.views.t(ctx.lang, "password_title")), err);
}

http::Response AccountsModule::change_password(http::RequestContext& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    if (ctx.field("new_password") != ctx.field("new_password_confirm")) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"new_password_confirm", "err_password_mismatch"}}, {}, 0};
        return password_form(ctx, &e);
    }
    auto st = s_.auth.change_password(*ctx.principal, std::string(ctx.field("current_password")),
                                      std::string(ctx.field("new_password")));
    if (!st) return password_form(ctx, &st.error());
    return http::redirect("/akun?pesan=sandi-diubah");
}

http::Response AccountsModule::forgot_form(http::RequestContext& ctx, bool sent) {
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    page.set("sent", sent);
    return s_.views.page(ctx, "pages/forgot", page, s_.views.t(ctx.lang, "forgot_title"));
}

http::Response AccountsModule::forgot(http::RequestContext& ctx) {
    auto email = ctx.field("email");
    if (email.size() > 254) return s_.views.error(ctx, ErrorCode::bad_request, "err_email_invalid");
    s_.auth.request_reset(std::string(email), ctx.client_ip);
    return forgot_form(ctx, true);
}

http::Response AccountsModule::reset_form(http::RequestContext& ctx, const Error* err) {
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    std::string token(ctx.field("token"));
    if (token.empty()) token = std::string(ctx.query.value("token"));
    if (token.size() > 100) token.clear();
    page.set("token", token);
    add_errors(page, s_.views, ctx.lang, err);
    auto res = s_.views.page(ctx, "pages/reset", page, s_.views.t(ctx.lang, "reset_title"));
    res.set("Referrer-Policy", "no-referrer");
    return with_status(std::move(res), err);
}

http::Response AccountsModule::reset(http::RequestContext& ctx) {
    if (ctx.field("new_password") != ctx.field("new_password_confirm")) {
        Error e{ErrorCode::unprocessable, "err_form_invalid", {{"new_password_confirm", "err_password_mismatch"}}, {}, 0};
        return reset_form(ctx, &e);
    }
    auto st = s_.auth.complete_reset(std::string(ctx.field("token")), std::string(ctx.field("new_password")));
    if (!st) return reset_form(ctx, &st.error());
    return http::redirect("/masuk?pesan=sandi-diatur");
}

http::Response AccountsModule::admin_users(http::RequestContext& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fadmin%2Fpengguna");
    if (!ctx.principal->is_admin()) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    std::string q(util::trim(ctx.query.value("q")));
    if (q.size() > 100) q.resize(100);
    int page_no = static_cast<int>(std::clamp<std::int64_t>(util::parse_int(ctx.query.value("hal")).value_or(1), 1, 100000));
    auto users = s_.auth.list_users(q, 51, (page_no - 1) * 50);
    Data rows = web::list();
    for (std::size_t i = 0; i < users.size() && i < 50; ++i) {
        const auto& u = users[i];
        Data row = web::object();
        row.set("id", std::to_string(u.id));
        row.set("email", u.email);
        row.set("name", u.display_name);
        row.set("role", s_.views.t(ctx.lang, "role_" + u.role));
        row.set("opd", u.opd_name);
        row.set("disabled", u.disabled);
        rows.push_back(row);
    }
    Data page = web::object();
    page.set("users", rows);
    page.set("q", q);
    if (users.size() > 50) page.set("next", "/admin/pengguna?hal=" + std::to_string(page_no + 1) + "&q=" + util::percent_encode(q));
    if (page_no > 1) page.set("prev", "/admin/pengguna?hal=" + std::to_string(page_no - 1) + "&q=" + util::percent_encode(q));
    return s_.views.page(ctx, "pages/admin_users", page, s_.views.t(ctx.lang, "admin_users_title"));
}

http::Response AccountsModule::admin_user_form(http::RequestContext& ctx, const Error* err) {
    if (!ctx.principal) return http::redirect("/masuk");
    if (!ctx.principal->is_admin()) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    auto id = util::parse_int(ctx.param("id"));
    auto user = id ? s_.auth.get_user(*id) : std::nullopt;
    if (!user) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    Data page = web::object();
    page.set("csrf", ctx.csrf());
    page.set("id", std::to_string(user->id));
    page.set("email", user->email);
    page.set("name", user->display_name);
    page.set("disabled", user->disabled);
    Data roles = web::list();
    for (auto r : {Role::warga, Role::pelaku_usaha, Role::operator_opd, Role::teknisi, Role::walidata, Role::admin}) {
        Data item = web::object();
        item.set("value", std::string(role_name(r)));
        item.set("label", s_.views.t(ctx.lang, "role_" + std::string(role_name(r))));
        item.set("selected", user->role == role_name(r));
        roles.push_back(item);
    }
    page.set("roles", roles);
    // OPD ids come from the database (slugs are stable, ids are not). Grouped: the agencies, the
    // kecamatan offices, then the desa/kelurahan offices per kecamatan (village names repeat
    // across kecamatan), each group by name.
    struct OpdOption {
        std::int64_t id;
        std::string name, kind, kecamatan;
    };
    auto opds = s_.db.read([&](db::Connection& c) {
        std::vector<OpdOption> out;
        db::Query q(c,
                    "SELECT o.id, o.name, o.kind, COALESCE(k.name, '') FROM opds o"
                    " LEFT JOIN regions v ON v.code = o.region_code AND o.kind IN ('desa', 'kelurahan')"
                    " LEFT JOIN regions k ON k.code = v.parent_code WHERE o.active = 1"
                    " ORDER BY CASE WHEN o.kind = 'kecamatan' THEN 1 WHEN o.kind IN ('desa', 'kelurahan') THEN 2"
                    " ELSE 0 END, COALESCE(k.name, ''), o.name");
        while (q.next()) out.push_back({q.integer(0), q.text(1), q.text(2), q.text(3)});
        return out;
    });
    Data groups = web::list();
    Data options = web::list();
    std::string group_label;
    auto close_group = [&] {
        if (options.is_empty_list()) return;
        Data g = web::object();
        g.set("label", group_label);
        g.set("options", options);
        groups.push_back(g);
        options = web::list();
    };
    for (const auto& o : opds) {
        const bool village = o.kind == "desa" || o.kind == "kelurahan";
        std::string label = village                 ? s_.views.t(ctx.lang, "opd_group_villages") + " " + o.kecamatan
                            : o.kind == "kecamatan" ? s_.views.t(ctx.lang, "opd_group_kecamatan")
                                                    : s_.views.t(ctx.lang, "opd_group_agencies");
        if (label != group_label) {
            close_group();
            group_label = std::move(label);
        }
        Data item = web::object();
        item.set("value", std::to_string(o.id));
        item.set("label", o.name);
        item.set("selected", user->opd_id && *user->opd_id == o.id);
        options.push_back(item);
    }
    close_group();
    page.set("opd_groups", groups);
    add_errors(page, s_.views, ctx.lang, err);
    return with_status(s_.views.page(ctx, "pages/admin_user", page, s_.views.t(ctx.lang, "admin_user_title")), err);
}

http::Response AccountsModule::admin_user_update(http::RequestContext& ctx) {
    if (!ctx.principal) return s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
    if (!ctx.principal->is_admin()) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    auto id = util::parse_int(ctx.param("id"));
    if (!id) return s_.views.error(ctx, ErrorCode::not_found, "err_not_found");
    UserUpdate u;
    u.role = std::string(ctx.field("role"));
    auto opd_text = ctx.field("opd_id");
    if (!opd_text.empty()) {
        u.opd_id = util::parse_int(opd_text);
        if (!u.opd_id) {
            Error e{ErrorCode::unprocessable, "err_opd_unknown", {{"opd_id", "err_opd_unknown"}}, {}, 0};
            return admin_user_form(ctx, &e);
        }
    }
    u.disabled = ctx.field("disabled") == "1";
    auto st = s_.auth.update_user(*ctx.principal, *id, u);
    if (!st) {
        if (st.error().code == ErrorCode::not_found) return s_.views.error(ctx, st.error());
        return admin_user_form(ctx, &st.error());
    }
    return http::redirect("/admin/pengguna/" + std::to_string(*id) + "?pesan=tersimpan");
}

http::Response AccountsModule::admin_outbox(http::RequestContext& ctx) {
    if (!ctx.principal) return http::redirect("/masuk?ke=%2Fadmin%2Fkotak-keluar");
    if (!ctx.principal->is_admin()) return s_.views.error(ctx, ErrorCode::forbidden, "err_forbidden");
    Data rows = web::list();
    for (const auto& o : s_.auth.outbox(100)) {
        Data row = web::object();
        row.set("channel", o.channel);
        row.set("recipient", o.recipient);
        row.set("subject", o.subject);
        row.set("body", o.body);
        row.set("at", format_human(o.created_at, s_.regency.utc_offset_minutes, ctx.lang));
        row.set("sent", o.sent_at.has_value());
        rows.push_back(row);
    }
    Data page = web::object();
    page.set("items", rows);
    return s_.views.page(ctx, "pages/admin_outbox", page, s_.views.t(ctx.lang, "admin_outbox_title"));
}

http::Response AccountsModule::api_token(http::RequestContext& ctx) {
    auto ct = util::to_lower_ascii(ctx.header(bhttp::field::content_type));
    if (!util::starts_with(ct, "application/json")) return s_.views.error(ctx, ErrorCode::unsupported, "err_content_type");
    auto body = util::parse_json_object(ctx.req.body(), {"email", "password"});
    if (!body) return s_.views.error(ctx, body.error());
    bool wrong = false;
    auto email = util::json_string(*body, "email", wrong);
    auto password = util::json_string(*body, "password", wrong);
    if (wrong || !email || !password) {
        Error e{ErrorCode::bad_request, "err_json_fields", {}, {}, 0};
        if (!email) e.fields.push_back({"email", "err_required"});
        if (!password) e.fields.push_back({"password", "err_required"});
        return s_.views.error(ctx, e);
    }
    auto grant = s_.auth.issue_token(*email, *password, ctx.client_ip);
    if (!grant) return s_.views.error(ctx, grant.error());
    boost::json::object o{{"token", grant->token},
                          {"expires_at", format_iso8601(grant->expires_at, 0)}};
    auto res = http::json_response(http::Status::created, boost::json::serialize(o));
    res.set(bhttp::field::cache_control, "no-store");
    return res;
}

http::Response AccountsModule::api_token_revoke(http::RequestContext& ctx) {
    if (!ctx.principal || !ctx.principal->via_token) return s_.views.error(ctx, ErrorCode::unauthorized, "err_token_invalid");
    auto raw = util::trim(ctx.header(bhttp::field::authorization).substr(7));
    auto st = s_.auth.revoke_token(*ctx.principal, std::string(raw));
    if (!st) return s_.views.error(ctx, st.error());
    http::Response res{http::Status::no_content, 11};
    return res;
}

http::Response AccountsModule::api_me(http::RequestContext& ctx) {
    if (!ctx.principal) {
        auto res = s_.views.error(ctx, ErrorCode::unauthorized, "err_sign_in_required");
        res.set(bhttp::field::www_authenticate, "Bearer");
        return res;
    }
    const auto& p = *ctx.principal;
    boost::json::object o{{"id", p.user_id},
                          {"email", p.email},
                          {"display_name", p.display_name},
                          {"role", std::string(role_name(p.role))},
                          {"opd", p.opd_slug.empty() ? boost::json::value(nullptr) : boost::json::value(p.opd_slug)}};
    return http::json_response(http::Status::ok, boost::json::serialize(o));
}

}  // namespace gapura::core::auth
