-- Adds :n synthetic reports (layanan_tickets, one 'created' event each) to a migrated and
-- demo-seeded Gapura database: every service of the catalog (public ones 6 in 7), all statuses
-- (about a third still open, some breaching), spread over every desa/kelurahan and over the two
-- years before :now (unix seconds), the newest 1 in 20 within the last 90 days. For benchmarks
-- only (no audit entries). Use:
--   sqlite3 -cmd ".parameter set :n 1000000" -cmd ".parameter set :now $(date +%s)" g.db < layanan_bulk.sql
-- Deterministic: the same :n and :now give the same rows. Open tickets (pending too) have next_due,
-- closed ones none, as the application writes them; the statistics counters are rebuilt at the end.
PRAGMA cache_size = -262144;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE bulk_desa AS
  SELECT row_number() OVER (ORDER BY d.code) - 1 AS k, d.code, d.name, k.lat, k.lng
  FROM regions d JOIN regions k ON k.code = d.parent_code WHERE d.level = 'desa';
CREATE TEMP TABLE bulk_service (k INTEGER PRIMARY KEY, code TEXT, opd TEXT, public INTEGER);
INSERT INTO bulk_service VALUES
  (0, 'jalan-rusak', 'dpupr-prkp', 1), (1, 'pju-mati', 'dlhp', 1), (2, 'sampah', 'dlhp', 1),
  (3, 'banjir-drainase', 'dpupr-prkp', 1), (4, 'pohon-tumbang', 'bpbd', 1), (5, 'air-bersih', 'dpupr-prkp', 1),
  (6, 'jaringan-opd-putus', 'diskominfo-sp', 0);
CREATE TEMP TABLE bulk_status (k INTEGER PRIMARY KEY, status TEXT);
INSERT INTO bulk_status VALUES (0, 'new'), (1, 'assigned'), (2, 'in_progress'), (3, 'pending'), (4, 'resolved'),
  (5, 'resolved'), (6, 'resolved'), (7, 'resolved'), (8, 'rejected'), (9, 'resolved'), (10, 'merged'), (11, 'resolved');
CREATE TEMP TABLE bulk_seq AS
  WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)
  SELECT i,
    -- newest 1 in 20 within 90 days, the rest over two years
    CASE WHEN i % 20 = 0 THEN :now - (i * 7919) % (90 * 86400) ELSE :now - (i * 104729) % (730 * 86400) END AS at
  FROM seq;
INSERT INTO layanan_tickets (code, service_code, is_public, opd_id, reporter_opd_id, status, priority, description,
    address, village_code, lat, lng, reporter_user_id, reporter_name, reporter_email, reporter_phone, hide_name,
    asset_id, assignee_user_id, channel, api_key_id, merged_into, attributes, photos, status_note, created_at,
    updated_at, first_response_at, respond_due, resolve_due, next_due, paused_at, resolved_at, respond_breached,
    resolve_breached)
SELECT
  'LB-' || printf('%08d', q.i), s.code, s.public, o.id, NULL, st.status,
  CASE WHEN q.i % 10 = 0 THEN 'high' ELSE 'normal' END,
  'Laporan uji ' || q.i || ': ' || s.code || ' di ' || d.name || ', mohon segera ditindaklanjuti.',
  'Dusun ' || (1 + q.i % 7) || ', ' || d.name, d.code,
  d.lat + ((q.i * 7919) % 2001 - 1000) * 0.00003, d.lng + ((q.i * 104729) % 2001 - 1000) * 0.00003,
  NULL, 'Pelapor ' || q.i, '', '', q.i % 4 = 0, NULL, NULL,
  CASE WHEN q.i % 3 = 0 THEN 'open311' ELSE 'web' END, NULL, NULL, '{}', '[]', '',
  q.at, q.at + 3600,
  CASE WHEN st.status = 'new' THEN NULL ELSE q.at + 7200 END,
  q.at + 3 * 86400, q.at + 8 * 86400,
  CASE WHEN st.status IN ('new', 'assigned', 'in_progress', 'pending') THEN q.at + 8 * 86400 ELSE NULL END,
  CASE WHEN st.status = 'pending' THEN q.at + 86400 ELSE NULL END,
  CASE WHEN st.status IN ('resolved', 'rejected', 'merged') THEN q.at + (1 + q.i % 9) * 86400 ELSE NULL END,
  q.i % 11 = 0, q.i % 7 = 0 AND st.status NOT IN ('resolved', 'rejected', 'merged')
FROM bulk_seq q
JOIN bulk_service s ON s.k = q.i % 7
JOIN opds o ON o.slug = s.opd
JOIN bulk_status st ON st.k = q.i % 12
JOIN bulk_desa d ON d.k = (q.i * 31) % (SELECT COUNT(*) FROM bulk_desa);
INSERT INTO layanan_events (ticket_id, at, actor_user_id, actor_label, kind, status, note, is_public)
SELECT id, created_at, NULL, 'bulk', 'created', 'new', '', 1 FROM layanan_tickets WHERE code LIKE 'LB-%';
-- The statistics counters (layanan_stats), rebuilt from every ticket as migration layanan/0004 does
-- (the same aggregation as kStatsAggregate in src/modules/layanan/layanan_store.cpp).
DELETE FROM layanan_stats;
INSERT INTO layanan_stats (opd_id, service_code, received, open_n, resolved, rejected, merged, resolved_in_sla,
    resolve_s, responded, respond_s, respond_breaches, resolve_breaches)
SELECT opd_id, service_code, COUNT(*),
  SUM(CASE WHEN status IN ('new', 'assigned', 'in_progress', 'pending') THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 'merged' THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 'resolved' AND resolve_breached = 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 'resolved' AND resolved_at IS NOT NULL THEN resolved_at - created_at ELSE 0 END),
  SUM(CASE WHEN first_response_at IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN first_response_at IS NOT NULL THEN first_response_at - created_at ELSE 0 END),
  SUM(respond_breached), SUM(resolve_breached)
FROM layanan_tickets GROUP BY opd_id, service_code;
COMMIT;
ANALYZE;
