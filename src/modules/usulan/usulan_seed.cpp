// The demo seed of the usulan module: its demo accounts (citizens, the Bapperida operator, one
// operator for every kecamatan office and one for a handful of desa offices, so each stage can be
// walked by signing in), two planning years (last year's, closed, with accepted and finished
// works; this cycle's, open), about fifty
// proposals spread over every kecamatan at different stages, with supports, comments and
// outcomes. Runs through UsulanService with a clock set back in time, so every record is what the
// real use cases would have written. Idempotent: accounts that exist are left alone (an older
// demo database gains the ones added since), and no record is added when any proposal exists.
#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "app/demo.hpp"
#include "core/auth/auth_service.hpp"
#include "core/util/strings.hpp"
#include "modules/usulan/usulan_routes.hpp"

namespace gapura::modules::usulan {

namespace db = core::db;

namespace {
class SettableClock final : public Clock {
public:
    explicit SettableClock(std::int64_t t) : t_(t) {}
    std::int64_t now() const override { return t_; }
    void set(std::int64_t t) { t_ = t; }

private:
    std::int64_t t_;
};

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return s >> 33;
    }
    int pick(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
    double unit() { return static_cast<double>(next() % 1000000) / 1000000.0; }
};

struct Idea {
    const char* bidang;
    const char* title;
    const char* problem;
    const char* proposal;
    const char* satuan;
    double volume;
    std::int64_t cost;
    const char* opd;
};

const Idea kIdeas[] = {
    {"infrastruktur", "Perbaikan jalan desa yang rusak menuju sekolah",
     "Jalan makadam sepanjang kurang lebih 800 meter rusak berat dan berlumpur saat hujan; anak sekolah dan pengangkut hasil panen sering terjebak.",
     "Pengaspalan atau rabat beton jalan desa lebar 3 meter dengan saluran di kedua sisi.", "meter", 800, 650000000, "dpupr-prkp"},
    {"infrastruktur", "Jembatan penghubung antardusun",
     "Warga dua dusun harus memutar 4 km karena jembatan bambu di atas sungai kecil sudah lapuk.",
     "Pembangunan jembatan beton bentang 12 meter yang bisa dilalui kendaraan roda empat.", "unit", 1, 900000000, "dpupr-prkp"},
    {"infrastruktur", "Saluran drainase di jalan utama desa",
     "Setiap hujan deras air menggenangi jalan dan masuk ke rumah warga karena tidak ada saluran.",
     "Pembangunan saluran drainase pasangan batu dan gorong-gorong di titik rawan genangan.", "meter", 450, 380000000, "dpupr-prkp"},
    {"infrastruktur", "Penerangan jalan umum tenaga surya",
     "Jalan penghubung antardesa gelap pada malam hari dan rawan kecelakaan serta kejahatan.",
     "Pemasangan lampu penerangan jalan tenaga surya setiap 50 meter.", "titik", 20, 240000000, "dlhp"},
    {"pendidikan", "Rehabilitasi ruang kelas sekolah dasar",
     "Atap dua ruang kelas bocor dan plafon sudah runtuh sebagian sehingga murid belajar bergantian.",
     "Rehabilitasi sedang dua ruang kelas: atap, plafon, lantai dan pengecatan.", "ruang", 2, 350000000, "disdik"},
    {"pendidikan", "Taman baca dan perpustakaan desa",
     "Anak-anak tidak punya tempat membaca; perpustakaan terdekat ada di kota kecamatan.",
     "Penyediaan ruang taman baca di balai desa lengkap dengan rak dan 1.000 judul buku.", "paket", 1, 75000000, "dispersip"},
    {"kesehatan", "Gedung posyandu untuk dusun",
     "Kegiatan posyandu masih menumpang di teras rumah kader sehingga tidak nyaman bagi balita dan ibu hamil.",
     "Pembangunan gedung posyandu sederhana ukuran 6 x 8 meter beserta perlengkapannya.", "unit", 1, 250000000, "dinkes-p2kb"},
    {"kesehatan", "Sarana air bersih untuk polindes",
     "Polindes tidak memiliki sumber air bersih yang layak sehingga pelayanan persalinan terganggu.",
     "Pengeboran sumur dan pemasangan tandon serta instalasi air bersih untuk polindes.", "unit", 1, 90000000, "dinkes-p2kb"},
    {"ekonomi", "Pelatihan pengolahan hasil laut bagi kelompok perempuan nelayan",
     "Hasil tangkapan dijual mentah dengan harga rendah; ibu-ibu nelayan belum terampil mengolah dan mengemas.",
     "Pelatihan pengolahan ikan (kerupuk, abon, terasi) dan bantuan peralatan produksi untuk tiga kelompok.", "kelompok", 3, 120000000, "diskopumdag"},
    {"ekonomi", "Renovasi los pasar desa",
     "Los pasar desa beratap seng bocor dan lantai tanah becek, pedagang sepi pembeli saat musim hujan.",
     "Renovasi 24 los pasar: atap, lantai keramik, saluran dan penerangan.", "los", 24, 480000000, "diskopumdag"},
    {"lingkungan-hidup", "Bank sampah dan tempat pengolahan sampah terpadu",
     "Warga membuang sampah ke sungai dan lahan kosong karena tidak ada layanan pengangkutan.",
     "Pembangunan TPS3R dengan bank sampah, mesin pencacah dan gerobak motor.", "unit", 1, 550000000, "dlhp"},
    {"lingkungan-hidup", "Penanaman mangrove di pesisir",
     "Abrasi menggerus pantai beberapa meter setiap tahun dan mengancam rumah nelayan.",
     "Penanaman 10.000 bibit mangrove dan pemasangan alat pemecah ombak sederhana.", "batang", 10000, 150000000, "dlhp"},
    {"pertanian", "Jaringan irigasi tersier untuk sawah tadah hujan",
     "Sawah hanya bisa ditanami sekali setahun karena air tidak sampai ke petak-petak sawah.",
     "Pembangunan saluran irigasi tersier pasangan batu sepanjang 1,2 km.", "meter", 1200, 700000000, "dkp2p"},
    {"pertanian", "Jalan usaha tani",
     "Petani memikul hasil panen sejauh 1 km karena jalan ke sawah hanya pematang.",
     "Pembuatan jalan usaha tani rabat beton lebar 2 meter.", "meter", 1000, 420000000, "dkp2p"},
    {"sosial-budaya", "Balai dusun untuk kegiatan warga",
     "Tidak ada tempat pertemuan warga, latihan kesenian dan kegiatan karang taruna.",
     "Pembangunan balai dusun ukuran 8 x 12 meter.", "unit", 1, 300000000, "dinsos-p3a-pmd"},
    {"kebencanaan", "Tanggul penahan luapan Bengawan Solo",
     "Setiap musim hujan luapan Bengawan Solo merendam permukiman dan sawah selama berhari-hari.",
     "Peninggian dan perkuatan tanggul sepanjang 500 meter beserta pintu air.", "meter", 500, 1800000000, "bpbd"},
    {"kebencanaan", "Sumur bor untuk daerah rawan kekeringan",
     "Pada kemarau warga membeli air tangki karena sumur-sumur dangkal kering.",
     "Pengeboran sumur dalam dan jaringan pipa ke tiga tandon umum.", "titik", 3, 270000000, "bpbd"},
    {"pemerintahan", "Papan informasi dan layanan desa daring",
     "Warga sulit mengetahui jadwal layanan dan anggaran desa.",
     "Papan informasi publik dan pelatihan perangkat desa mengelola situs desa.", "paket", 1, 40000000, "diskominfo-sp"},
};

const char* kNames[] = {"Budi Santoso", "Sri Wahyuni", "Ahmad Fauzi", "Dewi Lestari", "Joko Prasetyo", "Nur Hidayah",
                        "Slamet Riyadi", "Eko Saputro", "Lilik Mahmudah", "Agus Salim", "Wahyu Hidayat"};

const char* kComments[] = {
    "Setuju, jalan ini setiap hari dilewati anak-anak sekolah.",
    "Mohon diprioritaskan, kondisinya makin parah sejak musim hujan kemarin.",
    "Apakah sudah pernah diusulkan tahun lalu? Kok belum ada kabar.",
    "Kami warga RT 03 siap gotong royong bila proyek ini jalan.",
    "Sebaiknya sekalian dibuatkan saluran supaya awet.",
    "Terima kasih sudah mengusulkan, ini kebutuhan kami bersama.",
};

std::optional<core::auth::Principal> principal_for(db::Database& d, const std::string& email) {
    return d.read([&](db::Connection& c) -> std::optional<core::auth::Principal> {
        db::Query q(c,
                    "SELECT u.id, u.display_name, u.role, u.opd_id, COALESCE(o.slug, '') FROM users u"
                    " LEFT JOIN opds o ON o.id = u.opd_id WHERE u.email = ?",
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

struct Account {
    std::string email, name, role, opd;
};

// Adds the accounts that do not exist yet (password kDemoPassword). Password hashing (Argon2id,
// interactive cost) is nearly all of the time, so a few threads add them at once; AuthService and
// Database are thread-safe, and every account is written with its audit entry as add_user does.
void ensure_accounts(core::auth::AuthService& auth, db::Database& d, const std::vector<Account>& want) {
    std::vector<const Account*> missing;
    for (const auto& a : want)
        if (!principal_for(d, a.email)) missing.push_back(&a);
    if (missing.empty()) return;
    const auto system = core::audit::Actor::system("seed");
    std::atomic<std::size_t> next{0};
    std::mutex mu;
    std::exception_ptr failure;
    auto work = [&] {
        try {
            for (std::size_t i; (i = next++) < missing.size();) {
                const auto& a = *missing[i];
                (void)auth.add_user(a.email, a.name, a.role, a.opd, kDemoPassword, system);
            }
        } catch (...) {
            std::lock_guard lock(mu);
            if (!failure) failure = std::current_exception();
        }
    };
    const std::size_t threads =
        std::min<std::size_t>(missing.size(), std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    {
        std::vector<std::jthread> pool;
        for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
        work();
    }  // joined
    if (failure) std::rethrow_exception(failure);
}

// The operator account of a kecamatan or desa office: operator.<slug>@demo.gapura.id, e.g.
// operator.kec-tuban@demo.gapura.id (decides the kecamatan stage, and may stand in at the desa stage)
// or operator.desa-kenduruan-jlodro@demo.gapura.id (decides the desa stage of Desa Jlodro).
std::string operator_email(const core::region::OpdDef& office) {
    return "operator." + office.slug + "@demo.gapura.id";
}

// The demo desa offices with an operator: the first desa (not kelurahan) of each of the first
// kDemoDesaKecamatan kecamatan. A handful, not one per village: hashing a password is most of the
// seed's time. Each of these villages gets this cycle's demo proposals of its kecamatan: the first
// waits at the desa stage (in its operator's work queue), the second was decided by its operator.
constexpr std::size_t kDemoDesaKecamatan = 5;

std::vector<const core::region::OpdDef*> demo_desa_offices(const core::region::Regency& r) {
    std::vector<const core::region::OpdDef*> out;
    for (std::size_t k = 0; k < r.kecamatan.size() && k < kDemoDesaKecamatan; ++k)
        for (const auto& o : r.village_offices) {
            const auto* v = r.find_village(o.region_code);
            if (o.kind == "desa" && v && v->district_code == r.kecamatan[k].code) {
                out.push_back(&o);
                break;
            }
        }
    return out;
}
}  // namespace

void UsulanModule::seed_demo() {
    // Accounts first, on every run.
    std::vector<Account> accounts;
    for (std::size_t i = 0; i < std::size(kNames); ++i)
        accounts.push_back({"warga" + std::to_string(i + 2) + "@demo.gapura.id", kNames[i], "warga", ""});
    accounts.push_back(
        {"operator.bapperida@demo.gapura.id", "Operator Bapperida", "operator_opd", s_.regency.planning_opd});
    for (const auto& o : s_.regency.opds)
        if (o.kind == "kecamatan")
            accounts.push_back({operator_email(o), "Operator " + o.name, "operator_opd", o.slug});
    const auto desa_offices = demo_desa_offices(s_.regency);
    for (const auto* o : desa_offices)
        accounts.push_back({operator_email(*o), "Operator " + o->name, "operator_opd", o->slug});
    ensure_accounts(s_.auth, s_.db, accounts);
    if (service_.count() > 0) return;

    std::vector<core::auth::Principal> citizens;
    if (auto w = principal_for(s_.db, "warga@demo.gapura.id")) citizens.push_back(*w);
    for (std::size_t i = 0; i < std::size(kNames); ++i)
        if (auto p = principal_for(s_.db, accounts[i].email)) citizens.push_back(*p);
    auto bapperida = principal_for(s_.db, "operator.bapperida@demo.gapura.id");
    std::map<std::string, core::auth::Principal> kec_ops;
    for (const auto& o : s_.regency.opds)
        if (o.kind == "kecamatan")
            if (auto p = principal_for(s_.db, operator_email(o))) kec_ops[o.region_code] = *p;
    std::map<std::string, core::auth::Principal> desa_ops;  // village code -> its desa operator
    std::map<std::string, const core::region::Village*> demo_village;  // kecamatan code -> demo village
    for (const auto* o : desa_offices) {
        if (auto p = principal_for(s_.db, operator_email(*o))) desa_ops[o->region_code] = *p;
        if (const auto* v = s_.regency.find_village(o->region_code)) demo_village[v->district_code] = v;
    }
    auto admin = principal_for(s_.db, "admin@demo.gapura.id");
    auto pupr = principal_for(s_.db, "operator.pupr@demo.gapura.id");
    if (!admin || !bapperida || citizens.size() < 4) return;

    const std::int64_t real_now = s_.clock.now();
    const std::int64_t day = 86400;
    SettableClock clock(real_now);
    UsulanService svc(s_.db, s_.audit, clock, s_.regency, s_.files, s_.notifier, s_.views.i18n(), service_.bidang());
    const int this_year = std::stoi(format_iso8601(real_now, s_.regency.utc_offset_minutes).substr(0, 4));
    const int open_y = this_year + 1, last_y = this_year;

    YearInput last{last_y, {real_now - 450 * day, real_now - 400 * day, real_now - 380 * day, real_now - 360 * day, real_now - 340 * day},
                   {real_now - 400 * day, real_now - 380 * day, real_now - 360 * day, real_now - 340 * day, real_now - 320 * day}};
    YearInput open{open_y, {real_now - 90 * day, real_now - 60 * day, real_now - 40 * day, real_now - 25 * day, real_now - 12 * day},
                   {real_now + 30 * day, real_now + 45 * day, real_now + 60 * day, real_now + 75 * day, real_now + 90 * day}};
    clock.set(real_now - 460 * day);
    (void)svc.open_year(*bapperida, last);
    clock.set(real_now - 95 * day);
    (void)svc.open_year(*bapperida, open);

    auto kec_op = [&](const std::string& kec) { return kec_ops.count(kec) ? kec_ops[kec] : *admin; };
    // The desa stage: the village's own operator where the demo has one, else the kecamatan office.
    auto desa_op = [&](const core::region::Village& v) {
        return desa_ops.count(v.code) ? desa_ops[v.code] : kec_op(v.district_code);
    };
    auto opd_op = [&](const std::string& slug) { return slug == "dpupr-prkp" && pupr ? *pupr : *admin; };

    Rng rng{20260417};
    const auto& kecs = s_.regency.kecamatan;
    const int n_open = 40, n_last = 14;
    for (int i = 0; i < n_open + n_last; ++i) {
        const bool is_last = i >= n_open;
        const YearInput& y = is_last ? last : open;
        const auto& kec = kecs[static_cast<std::size_t>(i) % kecs.size()];
        std::vector<const core::region::Village*> vs;
        for (const auto& v : s_.regency.villages)
            if (v.district_code == kec.code) vs.push_back(&v);
        const auto* village = vs[static_cast<std::size_t>(rng.pick(static_cast<int>(vs.size())))];
        // This cycle's proposals of a kecamatan with a demo desa operator are in that operator's
        // village (the random pick above still happens, so the rest of the demo stays the same).
        const bool demo_desa = !is_last && demo_village.count(kec.code) > 0;
        if (demo_desa) village = demo_village[kec.code];
        const Idea& idea = kIdeas[static_cast<std::size_t>(rng.pick(static_cast<int>(std::size(kIdeas))))];
        ProposalInput in;
        in.title = std::string(idea.title) + " di " + (village->kelurahan ? "Kelurahan " : "Desa ") + village->name;
        in.problem = idea.problem;
        in.proposal = idea.proposal;
        in.bidang = idea.bidang;
        in.desa_code = village->code;
        in.satuan = idea.satuan;
        in.volume = idea.volume;
        in.cost = static_cast<double>(idea.cost / 1000000 * (80 + rng.pick(41)) / 100 * 1000000);
        in.name_display = rng.pick(3) == 0 ? "initials" : "full";
        if (rng.pick(5) != 0) {
            const auto& b = s_.regency.bounds;
            in.lat = std::clamp(kec.lat + (rng.unit() - 0.5) * 0.05, b.south, b.north);
            in.lng = std::clamp(kec.lng + (rng.unit() - 0.5) * 0.05, b.west, b.east);
        }
        in.address = "Dusun " + std::string(rng.pick(2) ? "Krajan" : "Sumberejo") + " RT 0" + std::to_string(1 + rng.pick(5)) +
                     " RW 0" + std::to_string(1 + rng.pick(3)) + ", " + village->name;
        in.year = y.year;
        const auto& proposer = citizens[static_cast<std::size_t>(rng.pick(static_cast<int>(citizens.size())))];
        clock.set(y.start[0] + (5 + rng.pick(30)) * day + rng.pick(36000));
        auto id = svc.submit(proposer, in, {});
        if (!id) continue;
        // Supports and comments while the proposal is open.
        const int supports = rng.pick(static_cast<int>(citizens.size()));
        for (int s = 0; s < supports; ++s) {
            clock.set(clock.now() + rng.pick(20000));
            (void)svc.support(citizens[static_cast<std::size_t>((s + i) % citizens.size())], *id);
        }
        const int comments = rng.pick(4);
        std::optional<std::int64_t> first;
        for (int k = 0; k < comments; ++k) {
            clock.set(clock.now() + rng.pick(30000));
            auto who = citizens[static_cast<std::size_t>(rng.pick(static_cast<int>(citizens.size())))];
            auto cid = svc.comment(who, *id, k == 2 ? first : std::nullopt,
                                   kComments[static_cast<std::size_t>(rng.pick(static_cast<int>(std::size(kComments))))]);
            if (cid && !first) first = *cid;
        }
        // How far it goes: 0 stays at desa, 1 revise, 2 rejected at desa, 3 at kecamatan, 4 rejected at
        // kecamatan, 5 at OPD, 6 at kabupaten, 7 accepted, 8 not accepted.
        int fate = is_last ? std::array<int, 4>{7, 7, 8, 4}[static_cast<std::size_t>(rng.pick(4))]
                           : std::array<int, 10>{0, 0, 1, 2, 3, 3, 4, 5, 6, 7}[static_cast<std::size_t>(rng.pick(10))];
        auto at = [&](int w) { clock.set(y.start[static_cast<std::size_t>(w)] + (1 + rng.pick(8)) * day + rng.pick(30000)); };
        auto decide = [&](const core::auth::Principal& who, const std::string& d, int score, const std::string& note,
                          const std::string& reason, const std::string& target = {}, bool outcome = false) {
            DecisionInput di;
            di.decision = d;
            di.score = score;
            di.note = note;
            di.reason = reason;
            di.target_opd_slug = target;
            if (outcome) {
                di.program = "Program " + bidang_name(idea.bidang, "id");
                di.kegiatan = idea.title;
                di.budget = in.cost;
            }
            return svc.decide(who, *id, di);
        };
        const int score = 50 + rng.pick(50);
        // The first of them waits at the desa stage, in its desa operator's work queue.
        if (demo_desa && i < static_cast<int>(kecs.size())) fate = 0;
        if (fate == 0) continue;
        at(1);
        if (fate == 1) { (void)decide(desa_op(*village), "revise", score, "Mohon lengkapi volume dan foto lokasi.", ""); continue; }
        if (fate == 2) { (void)decide(desa_op(*village), "reject", 20, "", "Sudah dianggarkan dari Dana Desa tahun berjalan."); continue; }
        if (!decide(desa_op(*village), "forward", score, "Disepakati dalam musrenbang desa.", "")) continue;
        if (fate == 3) continue;
        at(2);
        if (fate == 4) { (void)decide(kec_op(kec.code), "reject", 30, "", "Di luar kewenangan kabupaten; diteruskan ke pemerintah desa."); continue; }
        if (!decide(kec_op(kec.code), "forward", score, "Masuk prioritas kecamatan.", "", idea.opd)) continue;
        if (fate == 5) continue;
        at(3);
        if (!decide(opd_op(idea.opd), "forward", score, "Layak secara teknis.", "")) continue;
        if (fate == 6) continue;
        at(4);
        if (fate == 8) { (void)decide(*bapperida, "reject", score, "", "Pagu indikatif tidak mencukupi; diusulkan kembali tahun depan."); continue; }
        if (!decide(*bapperida, "forward", score, "Masuk RKPD.", "", {}, true)) continue;
        if (is_last) {
            // Accountability: the work of last year's plan.
            ProgressInput pi;
            const int progress = std::array<int, 4>{30, 60, 100, 100}[static_cast<std::size_t>(rng.pick(4))];
            pi.progress = progress;
            pi.realised_cost = progress == 100 ? *in.cost * 0.95 : *in.cost * progress / 100.0;
            clock.set(real_now - (10 + rng.pick(150)) * day);
            if (progress == 100) pi.finished_at = clock.now();
            (void)svc.report_progress(opd_op(idea.opd), *id, pi, {});
        }
    }
    // Pagu indikatif for the open year.
    clock.set(real_now - 50 * day);
    for (const auto& k : kecs) (void)svc.set_pagu(*bapperida, open_y, k.code, 2500000000.0 + (k.population / 1000) * 10000000.0);
}

}  // namespace gapura::modules::usulan
