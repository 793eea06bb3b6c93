// Demo accounts for a newcomer's first `make run` (only with `gapura seed --demo`).
#pragma once

#include <spdlog/logger.h>

#include "core/auth/auth_service.hpp"

namespace gapura {

// The shared demo password; printed by `make run` and documented in the README. Demo only.
inline constexpr const char* kDemoPassword = "gapura-demo-2026";

void seed_demo_accounts(core::auth::AuthService& auth, core::db::Database& db, spdlog::logger& log);

}  // namespace gapura
