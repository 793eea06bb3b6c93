// Demo data for a newcomer's first run: published datasets of three OPDs with real-looking CSV
// files built from the regency's reference data, one dataset returned to its producer, and a
// Daftar Data with a delivered, a due and an overdue item. Idempotent: every record is looked
// up by its slug/title first.
#include "app/config.hpp"
#include "core/auth/auth_service.hpp"
#include "core/region/regency.hpp"
#include "modules/satudata/satudata_module.hpp"
#include "modules/satudata/satudata_store.hpp"

namespace gapura::modules::satudata {

namespace db = core::db;

namespace {
std::optional<core::auth::Principal> principal_for(core::CoreServices& s, const std::string& email) {
    return s.db.read([&](db::Connection& c) -> std::optional<core::auth::Principal> {
        db::Query q(c,
                    "SELECT u.id, u.display_name, u.role, u.opd_id, COALESCE(o.slug, '') FROM users u LEFT JOIN opds o"
                    " ON o.id = u.opd_id WHERE u.email = ?",
                    {email});
        if (!q.next()) return std::nullopt;
        core::auth::Principal p;
        p.user_id = q.integer(0);
        p.email = email;
        p.display_name = q.text(1);
        p.role = core::auth::parse_role(q.text(2)).value_or(core::auth::Role::warga);
        p.opd_id = q.opt_integer(3);
        p.opd_slug = q.text(4);
        return p;
    });
}

struct DemoSet {
    const char* email;
    DatasetInput in;
    std::vector<ColumnSpec> cols;
    std::string csv;
    bool publish;
};
}  // namespace

void SatuDataModule::seed(bool demo) {
    if (!demo) return;
    const char* kPassword = "gapura-demo-2026";
    struct Acct {
        const char* email;
        const char* name;
        const char* opd;
    };
    for (const Acct& a : {Acct{"operator.disdukcapil@demo.gapura.id", "Operator Disdukcapil", "disdukcapil"},
                          Acct{"operator.disdik@demo.gapura.id", "Operator Disdik", "disdik"}}) {
        if (!principal_for(s_, a.email))
            (void)s_.auth.add_user(a.email, a.name, "operator_opd", a.opd, kPassword, core::audit::Actor::system("seed"));
    }
    auto wali = principal_for(s_, "walidata@demo.gapura.id");
    if (!wali) return;  // demo accounts come from the core seed

    const auto& kec = s_.regency.kecamatan;
    const int year = kec.empty() ? 2020 : kec.front().population_year;
    std::string penduduk = "kode_kecamatan,kecamatan,jumlah_penduduk,tahun\r\n";
    std::string sekolah = "kode_kecamatan;kecamatan;jenjang;jumlah_sekolah\r\n";  // Indonesian Excel export
    std::string jalan = "\xEF\xBB\xBFkode_kecamatan,kecamatan,panjang_km,kondisi_baik_persen\r\n";
    std::string jembatan = "kode_kecamatan,kecamatan,jumlah_jembatan\r\n";
    for (const auto& k : kec) {
        const std::int64_t pop = k.population;
        penduduk += k.code + "," + k.name + "," + std::to_string(pop) + "," + std::to_string(k.population_year) + "\r\n";
        sekolah += k.code + ";" + k.name + ";SD;" + std::to_string(pop / 1500 + 8) + "\r\n";
        sekolah += k.code + ";" + k.name + ";SMP;" + std::to_string(pop / 6000 + 2) + "\r\n";
        jembatan += k.code + "," + k.name + "," + std::to_string(pop / 9000 + 3) + "\r\n";
    }
    // Decimal comma (Indonesian style) inside quoted fields, behind a UTF-8 BOM.
    for (const auto& k : kec) {
        const std::int64_t pop = k.population, km10 = 300 + (pop % 997);
        jalan += k.code + "," + k.name + ",\"" + std::to_string(km10 / 10) + "," + std::to_string(km10 % 10) + "\"," +
                 std::to_string(55 + pop % 40) + "\r\n";
    }

    auto region_col = [](const char* name) { return ColumnSpec{name, ColumnType::region, true, {}}; };
    std::vector<DemoSet> sets;
    {
        DemoSet d{"operator.disdukcapil@demo.gapura.id", {}, {}, penduduk, true};
        d.in.title = "Jumlah Penduduk per Kecamatan";
        d.in.slug = "jumlah-penduduk-per-kecamatan";
        d.in.description = "Jumlah penduduk Kabupaten Tuban menurut kecamatan (Sensus Penduduk " + std::to_string(year) + ").";
        d.in.konsep = "Penduduk";
        d.in.definisi = "Semua orang yang berdomisili di wilayah Kabupaten Tuban selama 6 bulan atau lebih.";
        d.in.klasifikasi = "Wilayah (kecamatan)";
        d.in.ukuran = "Jumlah";
        d.in.satuan = "Orang";
        d.in.period_start = d.in.period_end = std::to_string(year);
        d.in.frequency = "tahunan";
        d.in.region_level = "kecamatan";
        d.in.tags = "kependudukan, penduduk";
        d.in.contact_name = "Bidang Pengelolaan Informasi Administrasi Kependudukan";
        d.cols = {region_col("kode_kecamatan"), {"kecamatan", ColumnType::text, true, {}},
                  {"jumlah_penduduk", ColumnType::integer, true, {}}, {"tahun", ColumnType::integer, true, {}}};
        sets.push_back(std::move(d));
    }
    {
        DemoSet d{"operator.disdik@demo.gapura.id", {}, {}, sekolah, true};
        d.in.title = "Jumlah Sekolah per Kecamatan dan Jenjang";
        d.in.slug = "jumlah-sekolah-per-kecamatan";
        d.in.description = "Jumlah satuan pendidikan SD dan SMP (negeri dan swasta) menurut kecamatan.";
        d.in.konsep = "Satuan pendidikan";
        d.in.definisi = "Sekolah yang terdaftar di Data Pokok Pendidikan dan aktif pada tahun ajaran berjalan.";
        d.in.klasifikasi = "Wilayah (kecamatan); jenjang pendidikan";
        d.in.ukuran = "Jumlah";
        d.in.satuan = "Sekolah";
        d.in.period_start = d.in.period_end = "2024";
        d.in.frequency = "tahunan";
        d.in.region_level = "kecamatan";
        d.in.tags = "pendidikan, sekolah";
        d.cols = {region_col("kode_kecamatan"), {"kecamatan", ColumnType::text, true, {}},
                  {"jenjang", ColumnType::text, true, {"SD", "SMP"}}, {"jumlah_sekolah", ColumnType::integer, true, {}}};
        sets.push_back(std::move(d));
    }
    {
        DemoSet d{"operator.pupr@demo.gapura.id", {}, {}, jalan, true};
        d.in.title = "Panjang Jalan Kabupaten per Kecamatan";
        d.in.slug = "panjang-jalan-kabupaten-per-kecamatan";
        d.in.description = "Panjang ruas jalan berstatus jalan kabupaten dan persentase dalam kondisi baik, menurut kecamatan.";
        d.in.konsep = "Jalan kabupaten";
        d.in.definisi = "Jalan lokal dalam sistem jaringan jalan primer yang ditetapkan dengan keputusan bupati.";
        d.in.klasifikasi = "Wilayah (kecamatan)";
        d.in.ukuran = "Panjang; persentase";
        d.in.satuan = "Kilometer; persen";
        d.in.period_start = d.in.period_end = "2024";
        d.in.frequency = "tahunan";
        d.in.region_level = "kecamatan";
        d.in.tags = "infrastruktur, jalan";
        d.cols = {region_col("kode_kecamatan"), {"kecamatan", ColumnType::text, true, {}},
                  {"panjang_km", ColumnType::decimal, true, {}}, {"kondisi_baik_persen", ColumnType::decimal, false, {}}};
        sets.push_back(std::move(d));
    }
    {
        DemoSet d{"operator.pupr@demo.gapura.id", {}, {}, jembatan, false};
        d.in.title = "Jumlah Jembatan per Kecamatan";
        d.in.slug = "jumlah-jembatan-per-kecamatan";
        d.in.description = "Jumlah jembatan pada ruas jalan kabupaten menurut kecamatan.";
        d.in.konsep = "Jembatan";
        d.in.ukuran = "Jumlah";
        d.in.period_start = d.in.period_end = "2024";
        d.in.region_level = "kecamatan";
        d.in.tags = "infrastruktur, jembatan";
        d.cols = {region_col("kode_kecamatan"), {"kecamatan", ColumnType::text, true, {}},
                  {"jumlah_jembatan", ColumnType::integer, true, {}}};
        sets.push_back(std::move(d));
    }

    for (auto& set : sets) {
        if (svc_.find_slug(set.in.slug)) continue;
        auto producer = principal_for(s_, set.email);
        if (!producer) continue;
        auto id = svc_.create_dataset(*producer, set.in);
        if (!id) continue;
        (void)svc_.set_columns(*producer, *id, set.cols);
        auto up = svc_.upload(*producer, *id, set.in.slug + ".csv", set.csv);
        if (!up || !up->accepted) continue;
        (void)svc_.submit(*producer, *id);
        if (set.publish) {
            (void)svc_.verify(*wali, *id);
            (void)svc_.publish(*wali, *id);
        } else {
            (void)svc_.return_to_producer(*wali, *id,
                                          "Satuan dan definisi belum diisi. Lengkapi metadata (satuan: unit; definisi "
                                          "jembatan menurut Permen PUPR) lalu ajukan kembali.");
        }
    }

    // Daftar Data: delivered (linked to the published road dataset), overdue, and due.
    const auto today = *parse_day(svc_.today());
    auto existing = svc_.daftar();
    auto have = [&](const std::string& title) {
        for (const auto& it : existing)
            if (it.title == title) return true;
        return false;
    };
    const std::vector<DaftarInput> plan = {
        {"dpupr-prkp", "Panjang jalan kabupaten per kecamatan", "tahunan", format_day(today + 30),
         "panjang-jalan-kabupaten-per-kecamatan"},
        {"disdik", "Angka partisipasi sekolah per kecamatan", "tahunan", format_day(today - 45), ""},
        {"dinkes-p2kb", "Jumlah fasilitas kesehatan per kecamatan", "semesteran", format_day(today - 12), ""},
        {"disdukcapil", "Jumlah penduduk per desa", "tahunan", format_day(today + 20), ""},
    };
    for (const auto& in : plan)
        if (!have(in.title)) (void)svc_.add_daftar(*wali, in);
}

}  // namespace gapura::modules::satudata
