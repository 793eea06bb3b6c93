-- Adds :n synthetic development proposals to a migrated and demo-seeded Gapura database, spread
-- evenly over every desa/kelurahan of the regency, the bidang of the demo, both planning years and
-- every stage and outcome, with points near their kecamatan's centre. For benchmarks and browser
-- tests only (no audit entries, no events). Use:
--   sqlite3 -cmd ".parameter set :n 100000" var/gapura.db < bench/data/usulan_bulk.sql
-- Deterministic: the same :n gives the same rows.
BEGIN;
CREATE TEMP TABLE bulk_desa AS
  SELECT row_number() OVER (ORDER BY d.code) - 1 AS k, d.code, d.name, d.parent_code, k.lat, k.lng
  FROM regions d JOIN regions k ON k.code = d.parent_code
  WHERE d.level = 'desa';
CREATE TEMP TABLE bulk_user AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM users WHERE role = 'warga';
CREATE TEMP TABLE bulk_bidang (k INTEGER PRIMARY KEY, code TEXT, what TEXT, satuan TEXT);
INSERT INTO bulk_bidang VALUES
  (0, 'infrastruktur', 'Perbaikan jalan lingkungan', 'meter'),
  (1, 'pendidikan', 'Rehabilitasi ruang kelas', 'unit'),
  (2, 'kesehatan', 'Posyandu dan alat timbang', 'paket'),
  (3, 'ekonomi', 'Pelatihan usaha mikro', 'orang'),
  (4, 'sosial-budaya', 'Balai dusun', 'unit'),
  (5, 'lingkungan-hidup', 'Tempat pengolahan sampah', 'unit'),
  (6, 'pemerintahan', 'Papan informasi desa', 'unit'),
  (7, 'pertanian', 'Saluran irigasi tersier', 'meter'),
  (8, 'kebencanaan', 'Tanggul penahan banjir', 'meter');
-- i % 20 decides how far a proposal went: 0-7 waits at desa, 8 revise, 9 rejected at desa,
-- 10-12 waits at kecamatan, 13 rejected there, 14-15 at the OPD forum, 16 at kabupaten,
-- 17-18 accepted into the RKPD (with progress), 19 not accepted.
INSERT INTO usulan_proposals (year, user_id, title, problem, proposal, bidang, desa_code, kecamatan_code,
    lat, lng, address, volume, satuan, cost, name_display, stage, status, score, reason, program, kegiatan,
    budget, progress, supports, reached, created_at, updated_at)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)
SELECT
  CASE WHEN i % 5 = 0 THEN 2026 ELSE 2027 END,
  (SELECT id FROM bulk_user WHERE k = i % (SELECT COUNT(*) FROM bulk_user)),
  b.what || ' di ' || d.name || ' (usulan ' || i || ')',
  'Warga ' || d.name || ' menyampaikan kebutuhan: ' || lower(b.what) || ' belum memadai.',
  b.what || ' sesuai kebutuhan warga ' || d.name || '.',
  b.code, d.code, d.parent_code,
  CASE WHEN i % 10 = 0 THEN NULL ELSE d.lat + ((i * 7919) % 2001 - 1000) * 0.00003 END,
  CASE WHEN i % 10 = 0 THEN NULL ELSE d.lng + ((i * 104729) % 2001 - 1000) * 0.00003 END,
  'Dusun ' || (1 + i % 7) || ', ' || d.name,
  1 + (i * 31) % 500, b.satuan, 5000000 + (i * 7717) % 400 * 1000000,
  CASE WHEN i % 3 = 0 THEN 'initials' ELSE 'full' END,
  CASE WHEN s < 10 THEN 'desa' WHEN s < 14 THEN 'kecamatan' WHEN s < 16 THEN 'opd' WHEN s = 16 THEN 'kabupaten' ELSE 'final' END,
  CASE WHEN s = 8 THEN 'revise' WHEN s IN (9, 13) THEN 'rejected' WHEN s IN (17, 18) THEN 'accepted'
       WHEN s = 19 THEN 'not_accepted' ELSE 'submitted' END,
  CASE WHEN s < 8 THEN NULL ELSE 40 + i % 60 END,
  CASE WHEN s IN (9, 13, 19) THEN 'Belum menjadi prioritas tahun ini.' ELSE '' END,
  CASE WHEN s IN (17, 18) THEN 'Program ' || b.what ELSE '' END,
  CASE WHEN s IN (17, 18) THEN b.what || ' ' || d.name ELSE '' END,
  CASE WHEN s IN (17, 18) THEN 5000000 + (i * 7717) % 300 * 1000000 END,
  CASE WHEN s = 17 THEN (i * 13) % 101 END,
  (i * 37) % 50,
  CASE WHEN s < 10 THEN 0 WHEN s < 14 THEN 1 WHEN s < 16 THEN 2 WHEN s = 16 THEN 3 ELSE 4 END,
  1790000000 + i * 60, 1790000000 + i * 60
FROM (SELECT i, i % 20 AS s FROM seq) AS q
JOIN bulk_desa d ON d.k = q.i % (SELECT COUNT(*) FROM bulk_desa)
JOIN bulk_bidang b ON b.k = q.i % 9;
DROP TABLE bulk_desa;
DROP TABLE bulk_user;
DROP TABLE bulk_bidang;
COMMIT;
