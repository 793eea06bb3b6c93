#!/usr/bin/env bash
# bench/usulan.sh: the development-proposal figures of the usulan issue, next to nginx serving the
# very same bytes in the same run (method as bench/http.sh; see docs/PERFORMANCE.md).
#
# - A database migrated and demo-seeded, then $BENCH_PROPOSALS (100,000) synthetic proposals over
#   every desa/kelurahan, loaded with bench/data/usulan_bulk.sql (sqlite3 CLI).
# - wrk on the filtered JSON list of 20 (kecamatan + bidang) and on the HTML list page with the same
#   filter; nginx serves the two answers, fetched from Gapura just before, as files.
# - GeoJSON of 10,000 proposals in one answer: server time = time to the first byte (the whole body,
#   gzip included, is ready before the first byte is sent), uncached and from the cache,
#   median of 9 sequential requests with curl on loopback.
# Targets: JSON list >= 0.5x nginx, HTML list >= 0.3x nginx, p99 < 20 ms at 64 connections;
# GeoJSON < 100 ms and < 1 MB gzip. Results: bench/results/usulan-<date>.txt (git-ignored).
# Knobs: BENCH_PROPOSALS, and those of bench/lib.sh. Needs: sqlite3, taskset, wrk, nginx, curl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${BENCH_PROPOSALS:-100000}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"

IDLE0=$(idle_pct)
echo "== Gapura usulan bench: $BIN, $N proposals" >&2
mkdir -p "$TMP/var"
genv auto
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }
T0=$(now_ms)
sqlite3 -cmd ".parameter set :n $N" "$TMP/var/g.db" <"$ROOT/bench/data/usulan_bulk.sql" >/dev/null ||
    die "loading $N proposals failed"
LOAD_MS=$(( $(now_ms) - T0 ))
read -r TOTAL DESA <<<"$(sqlite3 -separator ' ' "$TMP/var/g.db" "SELECT COUNT(*), COUNT(DISTINCT desa_code) FROM usulan_proposals")"
KEC=$(sqlite3 "$TMP/var/g.db" "SELECT code FROM regions WHERE level = 'kecamatan' ORDER BY code LIMIT 1")
echo "  $TOTAL proposals over $DESA desa/kelurahan (loaded in $LOAD_MS ms); filter kecamatan $KEC, bidang infrastruktur" >&2

start_gapura auto
FILTER="kecamatan=$KEC&bidang=infrastruktur"
JSON_URL="/api/v1/proposals?$FILTER&limit=20"
HTML_URL="/usulan?$FILTER"
mkdir -p "$TMP/nginx/www"
curl -fsS -o "$TMP/nginx/www/list.json" "http://127.0.0.1:$GPORT$JSON_URL"
curl -fsS -o "$TMP/nginx/www/list.html" "http://127.0.0.1:$GPORT$HTML_URL"
ITEMS=$(grep -o '"id":' "$TMP/nginx/www/list.json" | wc -l)
start_nginx "        location = /list.json { default_type \"application/json; charset=utf-8\"; add_header Cache-Control no-cache always; include $TMP/nginx/headers.conf; }
        location = /list.html { default_type \"text/html; charset=utf-8\"; add_header Cache-Control no-cache always; include $TMP/nginx/headers.conf; }" /list.json
cmp -s "$TMP/nginx/www/list.json" <(curl -fsS "http://127.0.0.1:$GPORT$JSON_URL") ||
    die "the JSON list changed between two requests"

ROUND=auto
run_wrk "nginx /list.json" "http://127.0.0.1:$NPORT/list.json" "${NG_ALL[@]}"
run_wrk "gapura JSON list" "http://127.0.0.1:$GPORT$JSON_URL" "$GPID"
run_wrk "nginx /list.html" "http://127.0.0.1:$NPORT/list.html" "${NG_ALL[@]}"
run_wrk "gapura HTML list" "http://127.0.0.1:$GPORT$HTML_URL" "$GPID"

# GeoJSON: 10,000 features in one answer (the endpoint's maximum).
geo() {  # query extra-curl-args...; prints "seconds bytes" of one request
    local q=$1
    shift
    curl -fsS -o /dev/null -w '%{time_starttransfer} %{size_download}\n' "$@" "http://127.0.0.1:$GPORT/api/v1/proposals.geojson$q"
}
FEATURES=$(curl -fsS "http://127.0.0.1:$GPORT/api/v1/proposals.geojson" | grep -o '"type":"Feature"' | wc -l)
PLAIN_T=() GZ_T=() MISS_T=()
ms() { awk -v t="$1" 'BEGIN {printf "%.1f", t * 1000}'; }
for i in 1 2 3 4 5 6 7 8 9; do
    read -r t PLAIN_B <<<"$(geo "")"
    PLAIN_T+=("$(ms "$t")")
    read -r t GZ_B <<<"$(geo "" -H 'Accept-Encoding: gzip')"
    GZ_T+=("$(ms "$t")")
    # A query string no one asked for before (an ignored parameter): a cache miss, so this is the
    # time to query, write and gzip the 10,000 features.
    read -r t _ <<<"$(geo "?bench=$i" -H 'Accept-Encoding: gzip')"
    MISS_T+=("$(ms "$t")")
done
PLAIN_MS=$(median "${PLAIN_T[@]}")
GZ_MS=$(median "${GZ_T[@]}")
MISS_MS=$(median "${MISS_T[@]}")
RSS=$(rss_kb "$GPID")
stop_gapura

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/usulan-$(date +%Y-%m-%d-%H%M%S).txt"
{
    echo "Gapura usulan bench, $(date -Iseconds)"
    echo "gapura: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', dirty tree'))"
    echo "machine: $(nproc --all) cores, Linux $(uname -r); idle before the run: $IDLE0%${NICE:+; nice $NICE}"
    echo "data: $TOTAL proposals over $DESA desa/kelurahan; filter kecamatan=$KEC&bidang=infrastruktur ($ITEMS items on the page)"
    echo "servers pinned to core $SCPU, wrk to core $CCPU: wrk -t1 -c$CONNS -d$DURATION --latency; io_threads auto, workers $WORKERS"
    echo "bytes: JSON list $(wc -c <"$TMP/nginx/www/list.json"), HTML list $(wc -c <"$TMP/nginx/www/list.html")"
    echo
    print_rows
    echo
    jr=$(ratio "${RPS["gapura JSON list@auto"]}" "${RPS["nginx /list.json@auto"]}")
    hr=$(ratio "${RPS["gapura HTML list@auto"]}" "${RPS["nginx /list.html@auto"]}")
    worst=$(awk -v a="${P99["gapura JSON list@auto"]}" -v b="${P99["gapura HTML list@auto"]}" 'BEGIN {print (a > b) ? a : b}')
    printf '%-44s %10s %10s %s\n' "metric" "value" "target" "verdict"
    printf '%-44s %10s %10s %s\n' "JSON list of 20 req/s gapura/nginx" "${jr}x" ">= 0.5x" "$(verdict "$jr" ">=" 0.5)"
    printf '%-44s %10s %10s %s\n' "HTML list page req/s gapura/nginx" "${hr}x" ">= 0.3x" "$(verdict "$hr" ">=" 0.3)"
    printf '%-44s %10s %10s %s\n' "gapura p99 at $CONNS connections (worst)" "$worst ms" "< 20 ms" "$(verdict "$worst" "<" 20)"
    printf '%-44s %10s %10s %s\n' "GeoJSON $FEATURES features, uncached + gzip" "$MISS_MS ms" "< 100 ms" "$(verdict "$MISS_MS" "<" 100)"
    printf '%-44s %10s %10s %s\n' "  from the cache, plain" "$PLAIN_MS ms" "< 100 ms" "$(verdict "$PLAIN_MS" "<" 100)"
    printf '%-44s %10s %10s %s\n' "  from the cache, gzip" "$GZ_MS ms" "< 100 ms" "$(verdict "$GZ_MS" "<" 100)"
    printf '%-44s %10s %10s %s\n' "GeoJSON size gzip (plain $((PLAIN_B / 1024)) KiB)" "$((GZ_B / 1024)) KiB" "< 1 MB" "$(verdict "$GZ_B" "<" 1000000)"
    printf '%-44s %10s\n' "RSS after the load" "$(mb "$RSS") MB"
    echo "GeoJSON times (ms) uncached+gzip: ${MISS_T[*]}; cached plain: ${PLAIN_T[*]}; cached gzip: ${GZ_T[*]}"
} | tee "$OUT"
echo "written to ${OUT#"$ROOT"/}" >&2
