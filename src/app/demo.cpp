#include "app/demo.hpp"

namespace gapura {

void seed_demo_accounts(core::auth::AuthService& auth, core::db::Database& db, spdlog::logger& log) {
    struct Demo {
        const char* email;
        const char* name;
        const char* role;
        const char* opd;
    };
    const Demo demo[] = {
        {"admin@demo.gapura.id", "Admin Diskominfo", "admin", "diskominfo-sp"},
        {"walidata@demo.gapura.id", "Walidata Diskominfo", "walidata", "diskominfo-sp"},
        {"teknisi@demo.gapura.id", "Teknisi Jaringan", "teknisi", "diskominfo-sp"},
        {"operator.pupr@demo.gapura.id", "Operator DPUPR", "operator_opd", "dpupr-prkp"},
        {"warga@demo.gapura.id", "Siti Warga", "warga", ""},
        {"usaha@demo.gapura.id", "CV Usaha Tuban", "pelaku_usaha", ""},
    };
    int added = 0;
    for (const auto& d : demo) {
        bool exists = db.read([&](core::db::Connection& c) {
            return core::db::scalar_int(c, "SELECT id FROM users WHERE email = ?", {d.email}).has_value();
        });
        if (exists) continue;
        auto r = auth.add_user(d.email, d.name, d.role, d.opd, kDemoPassword, core::audit::Actor::system("seed"));
        if (r) ++added;
        else log.warn("demo account {} not added: {}", d.email, r.error().message_key);
    }
    log.info("demo accounts: {} added (password: {})", added, kDemoPassword);
}

}  // namespace gapura
