// Regency configuration: which kabupaten/kota this deployment serves, read from data, not code.
// load_regency() reads data/regencies/<slug>/ (regency.json, kecamatan.csv, opd.csv) and the
// desa/kelurahan of that regency from idn-area-data (districts.csv, villages.csv), checks them, and
// returns one immutable Regency; any problem is a RegencyError naming the file and line.
// load_reference_data() then upserts the regency, its kecamatan, desa/kelurahan and OPDs into the
// `regions` and `opds` tables (idempotent, one audited write transaction).
//
// Threads: the loaders are pure functions of their inputs (load_reference_data takes the writer
// through Database::write). A loaded Regency is not modified afterwards, so one const instance may
// be shared by all threads.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit/audit_log.hpp"
#include "core/db/database.hpp"
#include "core/db/migrator.hpp"

namespace gapura::core::region {

struct LatLng {
    double lat = 0, lng = 0;
};

// A lat/lng box; contains() includes the edges.
struct Bounds {
    double south = 0, west = 0, north = 0, east = 0;
    bool contains(double lat, double lng) const;
};

struct Kecamatan {
    std::string code, bps_code, name;  // code "PP.RR.KK"; bps_code may be empty
    double lat = 0, lng = 0;           // approximate centre
    std::int64_t population = 0;
    int population_year = 0;
};

struct Village {
    std::string code, district_code, name;  // code "PP.RR.KK.NNNN"
    bool kelurahan = false;                 // fourth segment starts with 1 (else 2: desa)
};

struct OpdDef {
    std::string slug, abbreviation, name, kind, region_code;
};

struct Regency {
    std::string code, bps_code, name, short_name, province, domain, timezone;
    int utc_offset_minutes = 420;
    LatLng center;
    int zoom = 10;
    Bounds bounds;
    LatLng town_center;
    int town_zoom = 14;
    std::string walidata_opd, planning_opd;  // OPD slugs
    std::int64_t population_total = 0;
    int population_year = 0;
    std::string population_source;
    std::vector<Kecamatan> kecamatan;  // sorted by code
    std::vector<Village> villages;     // sorted by code
    // The rows of opd.csv in file order (region_code = the regency code), then one per kecamatan in
    // code order: slug "kec-" + slugified name, abbreviation "Kec. <Name>", name "Kecamatan
    // <Name>", kind "kecamatan", region_code = the kecamatan code.
    std::vector<OpdDef> opds;
    // One office per desa/kelurahan, in village code order (the operator who decides the desa stage
    // of its village's development proposals): slug "desa-" or "kel-" + the kecamatan's slugified
    // name + "-" + the village's, abbreviation "Ds. <Name>" or "Kel. <Name>", name "Desa <Name>" or
    // "Kelurahan <Name>", kind "desa" or "kelurahan", region_code = the village code. Kept apart
    // from `opds` so that lists of agencies (forms, Satu Data organisations) do not gain hundreds of
    // village offices; load_reference_data() writes both into the `opds` table.
    std::vector<OpdDef> village_offices;

    const Kecamatan* find_kecamatan(std::string_view code) const;  // nullptr if absent
    const Village* find_village(std::string_view code) const;      // nullptr if absent
    // The office with this slug, in `opds` or `village_offices`; nullptr if absent.
    const OpdDef* find_opd(std::string_view slug) const;
};

// Message: one line, "<file>[:<line>]: <problem>".
struct RegencyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// RFC 4180 CSV. Returns every record, the header row first. Fields may be quoted ("a,b", "a""b",
// embedded line breaks); records end with LF or CRLF; a UTF-8 BOM at the start is skipped; empty
// lines are skipped; a final line break is optional. Throws RegencyError("<origin>:<line>: ...") on
// an unterminated quote, a stray quote, or a record whose field count differs from the header's.
std::vector<std::vector<std::string>> parse_csv(std::string_view text, const std::string& origin);

// Loads <dir>/regency.json, <dir>/kecamatan.csv, <dir>/opd.csv and, from area_dir (idn-area-data's
// data/ folder), the rows of districts.csv and villages.csv under this regency's code. Throws
// RegencyError on the first problem. Checks:
// - regency.json: code "NN.NN"; bps_code empty or 4 digits; timezone Asia/Jakarta, Asia/Pontianak,
//   Asia/Makassar or Asia/Jayapura, utc_offset_minutes (default: from the zone) matching it; bounds
//   with south < north and west < east; centre and town centre inside the bounds.
// - kecamatan.csv: codes "<code>.NN", unique, each in districts.csv under the regency with a name
//   equal but for ASCII case, and every district of the regency listed; bps_code empty or 7 digits
//   starting with the regency's; lat/lng numbers inside the bounds; population >= 0; a year.
// - villages.csv: codes "<kecamatan>.1NNN" or ".2NNN"; at least one per kecamatan.
// - opd.csv: slugs [a-z0-9-]+ and unique (with the generated "kec-", "desa-" and "kel-" ones); kind
//   one of sekretariat, inspektorat, dinas, badan, satuan, rsud; walidata_opd and planning_opd name
//   an OPD. Two villages of one kecamatan whose names give the same slug are an error too.
// Unknown JSON keys and extra CSV columns are ignored; other regencies' rows are not checked.
Regency load_regency(const std::string& dir, const std::string& area_dir);

// The region module adds no tables: `regions` and `opds` belong to the accounts migrations.
db::ModuleMigrations region_migrations();

struct LoadCounts {
    int regions_inserted = 0, regions_updated = 0, opds_inserted = 0, opds_updated = 0;
};

// Upserts the regency (level 'kabupaten'), its kecamatan (level 'kecamatan') and desa/kelurahan
// (level 'desa', kind 'desa' or 'kelurahan') into `regions`, and its OPDs and village offices into
// `opds` (matched by slug; `active` is left alone), in one write transaction with one audit entry ("reference.load").
// Only rows that differ are written, so a second run changes nothing but the audit log. Rows in the
// database that the data no longer lists are kept (other tables may refer to them).
LoadCounts load_reference_data(db::Database& db, audit::AuditLog& audit, const Regency& regency,
                               std::int64_t now);

}  // namespace gapura::core::region
