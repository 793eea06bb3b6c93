// AccountsModule: the pages and API of accounts: sign-up, sign-in, sign-out, account page,
// password change and reset, the admin's user and OPD-membership management and outbox view,
// and the token API (POST/DELETE /api/v1/auth/token, GET /api/v1/me). Rules live in
// AuthService; handlers parse, call it and render.
#pragma once

#include "core/auth/auth_service.hpp"
#include "core/module.hpp"

namespace gapura::core::auth {

class AccountsModule final : public Module {
public:
    explicit AccountsModule(CoreServices services) : s_(services) {}
    std::string name() const override { return "accounts"; }
    void register_routes(http::Router& router) override;
    std::vector<web::NavItem> nav() const override { return {}; }

private:
    http::Response sign_up_form(http::RequestContext& ctx, const Error* err = nullptr);
    http::Response sign_up(http::RequestContext& ctx);
    http::Response sign_in_form(http::RequestContext& ctx, const Error* err = nullptr);
    http::Response sign_in(http::RequestContext& ctx);
    http::Response sign_out(http::RequestContext& ctx);
    http::Response account(http::RequestContext& ctx);
    http::Response password_form(http::RequestContext& ctx, const Error* err = nullptr);
    http::Response change_password(http::RequestContext& ctx);
    http::Response forgot_form(http::RequestContext& ctx, bool sent = false);
    http::Response forgot(http::RequestContext& ctx);
    http::Response reset_form(http::RequestContext& ctx, const Error* err = nullptr);
    http::Response reset(http::RequestContext& ctx);
    http::Response admin_users(http::RequestContext& ctx);
    http::Response admin_user_form(http::RequestContext& ctx, const Error* err = nullptr);
    http::Response admin_user_update(http::RequestContext& ctx);
    http::Response admin_outbox(http::RequestContext& ctx);
    http::Response api_token(http::RequestContext& ctx);
    http::Response api_token_revoke(http::RequestContext& ctx);
    http::Response api_me(http::RequestContext& ctx);

    void start_session(http::RequestContext& ctx, const SessionGrant& grant);

    CoreServices s_;
};

}  // namespace gapura::core::auth
