// What the Satu Data tests share: an in-process App (Tuban, demo seed) and a SatuDataService of
// the tests' own over the App's database, with the core services it needs, and the demo accounts
// as principals. Tests only.
#pragma once

#include <initializer_list>
#include <string>

#include "app/testing.hpp"
#include "core/auth/auth_service.hpp"
#include "core/files/file_store.hpp"
#include "core/region/regency.hpp"
#include "core/web/i18n.hpp"
#include "core/web/views.hpp"
#include "modules/satudata/satudata_service.hpp"

namespace gapura::modules::satudata::testing_sd {

struct World {
    gapura::testing::TestApp t;
    core::web::I18n i18n;
    core::web::Views views{i18n, {"Kabupaten Tuban", "Tuban", "tubankab.go.id"}};
    core::files::FileStore files{t.dir + "/files", t.app.db(), t.clock};
    core::CoreServices cs{t.app.config(), t.app.regency(), t.app.db(), t.clock, t.app.audit(), t.app.auth(), views, files,
                          t.app.notifier()};
    SatuDataService svc{cs};

    // A demo account, signed in with the demo password.
    core::auth::Principal who(const std::string& email) {
        return t.app.auth().sign_in(email, "gapura-demo-2026", "198.51.100.1")->principal;
    }
    std::int64_t count(const std::string& sql, std::initializer_list<core::db::Value> p = {}) {
        return t.app.db().read([&](core::db::Connection& c) { return *core::db::scalar_int(c, sql, p); });
    }
};

}  // namespace gapura::modules::satudata::testing_sd
