-- Adds :n synthetic published, public Satu Data datasets (sd_datasets with tags and one version
-- each) to a migrated and demo-seeded Gapura database: 40 topics x 3 region levels x 10 years,
-- spread over every OPD that is not a desa/kelurahan office, with Satu Data metadata (konsep,
-- definisi, satuan) worded like real ones, two or three tags each. The full-text index (sd_fts)
-- is filled by the module's triggers as the rows go in. Every version points at the first demo
-- version's stored file (a stored file is shared by hash). For benchmarks and tests only (no
-- audit entries). Use:
--   sqlite3 -cmd ".parameter set :n 10000" -cmd ".parameter set :now $(date +%s)" g.db < satudata_bulk.sql
-- Deterministic: the same :n and :now give the same rows.
PRAGMA cache_size = -262144;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE bulk_topic (k INTEGER PRIMARY KEY, title TEXT, konsep TEXT, satuan TEXT, tag TEXT);
INSERT INTO bulk_topic VALUES
  (0, 'Jumlah Penduduk', 'Penduduk', 'Orang', 'kependudukan'), (1, 'Jumlah Kelahiran', 'Kelahiran', 'Jiwa', 'kependudukan'),
  (2, 'Jumlah Kematian', 'Kematian', 'Jiwa', 'kependudukan'), (3, 'Jumlah Sekolah Dasar', 'Sekolah', 'Unit', 'pendidikan'),
  (4, 'Jumlah Guru', 'Guru', 'Orang', 'pendidikan'), (5, 'Angka Partisipasi Sekolah', 'Partisipasi sekolah', 'Persen', 'pendidikan'),
  (6, 'Jumlah Puskesmas', 'Fasilitas kesehatan', 'Unit', 'kesehatan'), (7, 'Cakupan Imunisasi Dasar', 'Imunisasi', 'Persen', 'kesehatan'),
  (8, 'Jumlah Balita Stunting', 'Stunting', 'Anak', 'kesehatan'), (9, 'Kasus Demam Berdarah', 'Demam berdarah', 'Kasus', 'kesehatan'),
  (10, 'Panjang Jalan Kabupaten', 'Jalan', 'Kilometer', 'infrastruktur'), (11, 'Jalan Kondisi Rusak Berat', 'Kondisi jalan', 'Kilometer', 'infrastruktur'),
  (12, 'Jumlah Jembatan', 'Jembatan', 'Unit', 'infrastruktur'), (13, 'Rumah Tidak Layak Huni', 'Perumahan', 'Unit', 'perumahan'),
  (14, 'Luas Panen Padi', 'Tanaman pangan', 'Hektare', 'pertanian'), (15, 'Produksi Jagung', 'Tanaman pangan', 'Ton', 'pertanian'),
  (16, 'Populasi Sapi Potong', 'Peternakan', 'Ekor', 'peternakan'), (17, 'Produksi Perikanan Tangkap', 'Perikanan', 'Ton', 'perikanan'),
  (18, 'Jumlah Nelayan', 'Nelayan', 'Orang', 'perikanan'), (19, 'Jumlah UMKM', 'Usaha mikro', 'Unit', 'ekonomi'),
  (20, 'Jumlah Koperasi Aktif', 'Koperasi', 'Unit', 'ekonomi'), (21, 'Realisasi Pendapatan Asli Daerah', 'Pendapatan daerah', 'Rupiah', 'keuangan'),
  (22, 'Realisasi Belanja Daerah', 'Belanja daerah', 'Rupiah', 'keuangan'), (23, 'Jumlah Kunjungan Wisatawan', 'Pariwisata', 'Orang', 'pariwisata'),
  (24, 'Volume Sampah Terangkut', 'Persampahan', 'Ton', 'lingkungan'), (25, 'Indeks Kualitas Air', 'Kualitas air', 'Indeks', 'lingkungan'),
  (26, 'Kejadian Bencana Banjir', 'Bencana', 'Kejadian', 'kebencanaan'), (27, 'Jumlah Penerima Bantuan Sosial', 'Bantuan sosial', 'Keluarga', 'sosial'),
  (28, 'Penduduk Miskin', 'Kemiskinan', 'Orang', 'sosial'), (29, 'Tingkat Pengangguran Terbuka', 'Pengangguran', 'Persen', 'ketenagakerjaan'),
  (30, 'Jumlah Pencari Kerja Terdaftar', 'Pencari kerja', 'Orang', 'ketenagakerjaan'), (31, 'Jumlah Pelanggan Air Minum', 'Air minum', 'Sambungan', 'infrastruktur'),
  (32, 'Rasio Elektrifikasi', 'Listrik', 'Persen', 'energi'), (33, 'Jumlah Menara Telekomunikasi', 'Telekomunikasi', 'Unit', 'komunikasi'),
  (34, 'Jumlah Perpustakaan Desa', 'Perpustakaan', 'Unit', 'pendidikan'), (35, 'Jumlah Tempat Ibadah', 'Tempat ibadah', 'Unit', 'sosial'),
  (36, 'Jumlah Kendaraan Bermotor', 'Kendaraan', 'Unit', 'perhubungan'), (37, 'Jumlah Kecelakaan Lalu Lintas', 'Kecelakaan', 'Kejadian', 'perhubungan'),
  (38, 'Luas Hutan Rakyat', 'Kehutanan', 'Hektare', 'lingkungan'), (39, 'Jumlah Pasar Tradisional', 'Pasar', 'Unit', 'perdagangan');
CREATE TEMP TABLE bulk_level (k INTEGER PRIMARY KEY, level TEXT, label TEXT);
INSERT INTO bulk_level VALUES (0, 'kabupaten', 'Kabupaten'), (1, 'kecamatan', 'per Kecamatan'), (2, 'desa', 'per Desa/Kelurahan');
CREATE TEMP TABLE bulk_opd AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM opds WHERE active = 1 AND kind NOT IN ('desa', 'kelurahan');
CREATE TEMP TABLE bulk_seq AS
  WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)
  SELECT i, i % 40 AS topic, (i / 40) % 3 AS level, 2016 + (i / 120) % 10 AS year,
    :now - (i * 104729) % (730 * 86400) AS at, '' AS slug FROM seq;
UPDATE bulk_seq SET slug = 'bulk-' || lower(replace((SELECT title FROM bulk_topic WHERE k = topic), ' ', '-')) || '-' || year || '-' || i;
CREATE UNIQUE INDEX temp.bulk_seq_slug ON bulk_seq (slug);
INSERT INTO sd_datasets (slug, title, description, konsep, definisi, klasifikasi, ukuran, satuan, period_start,
    period_end, year, frequency, region_level, license_id, contact_name, contact_email, opd_id, visibility, state,
    search_text, created_by, created_at, updated_at, submitted_at, published_at)
SELECT
  q.slug,
  t.title || ' ' || l.label || ' Tahun ' || q.year || ' (seri ' || q.i || ')',
  'Data ' || lower(t.title) || ' ' || lower(l.label) || ' di Kabupaten Tuban tahun ' || q.year ||
    ', dihimpun dari laporan perangkat daerah dan diverifikasi walidata.',
  t.konsep, t.konsep || ' yang tercatat pada akhir periode pelaporan.', 'Wilayah', 'Jumlah', t.satuan,
  CAST(q.year AS TEXT), CAST(q.year AS TEXT), q.year, 'tahunan', l.level, 'CC-BY-4.0',
  'Petugas Data ' || q.i % 7, CASE WHEN q.i % 3 = 0 THEN '' ELSE 'data' || q.i % 7 || '@tubankab.go.id' END,
  o.id, 'public', 'published', '',
  (SELECT id FROM users WHERE email = 'walidata@demo.gapura.id'), q.at, q.at, q.at, q.at
FROM bulk_seq q JOIN bulk_topic t ON t.k = q.topic JOIN bulk_level l ON l.k = q.level
  JOIN bulk_opd o ON o.k = q.i % (SELECT COUNT(*) FROM bulk_opd);
INSERT INTO sd_tags (dataset_id, tag)
  SELECT d.id, t.tag FROM bulk_seq q JOIN sd_datasets d ON d.slug = q.slug JOIN bulk_topic t ON t.k = q.topic;
INSERT OR IGNORE INTO sd_tags (dataset_id, tag)
  SELECT id, 'tahun-' || year FROM sd_datasets WHERE slug LIKE 'bulk-%';
INSERT OR IGNORE INTO sd_tags (dataset_id, tag)
  SELECT id, 'data-prioritas' FROM sd_datasets WHERE slug LIKE 'bulk-%' AND id % 5 = 0;
INSERT INTO sd_versions (dataset_id, version_no, sha256, filename, size, row_count, formula_cells, delimiter,
    created_by, created_at)
  SELECT d.id, 1, v.sha256, d.slug || '.csv', v.size, v.row_count, 0, ',', d.created_by, d.created_at
  FROM sd_datasets d, (SELECT sha256, size, row_count FROM sd_versions ORDER BY id LIMIT 1) v
  WHERE d.slug LIKE 'bulk-%';
UPDATE sd_datasets SET published_version_id = (SELECT v.id FROM sd_versions v WHERE v.dataset_id = sd_datasets.id)
  WHERE slug LIKE 'bulk-%';
COMMIT;
