#!/usr/bin/env bash
# bench/satudata.sh: the catalog-search figures of the Satu Data search issue, next to nginx serving
# the very same bytes in the same run (method as bench/http.sh; see docs/PERFORMANCE.md).
#
# - A database migrated and demo-seeded, then $BENCH_DATASETS (10,000) synthetic published public
#   datasets (40 topics, 3 region levels, 10 years, every OPD; tags; one version each), loaded with
#   bench/data/satudata_bulk.sql (sqlite3 CLI); the FTS5 index is filled by the module's triggers.
# - wrk on CKAN package_search with a text query (two words, the last one a prefix) and three facets
#   (organization, tags, year), rows=10; nginx serves the answer, fetched from Gapura just before,
#   as a file.
# - Twice: "cached", the same URL every time (anonymous GETs are kept 5 s in the module's page cache
#   and answered on the I/O thread; one GET just before fills it, as in steady use), and "uncached", a new query string on every request (&u=N),
#   so each one runs the search: FTS5 match, count, page of 10, three facet counts, JSON.
# - The same for the HTML catalog /data?q=... (five facets), and the server time of one uncached
#   package_search without queueing (curl time to first byte, median of 9, sequential), and of the
#   first package_search right after a committed write (median and max of 5 rounds).
# Targets: p99 < 20 ms at $BENCH_CONNECTIONS connections and >= 0.3x nginx, for package_search.
# Results: bench/results/satudata-<date>.txt (git-ignored).
# Knobs: BENCH_DATASETS, BENCH_QUERY (default "jumlah pendu"), and those of bench/lib.sh.
# Needs: sqlite3, taskset, wrk, nginx, curl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${BENCH_DATASETS:-10000}
QUERY=${BENCH_QUERY:-jumlah pendu}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"

IDLE0=$(idle_pct)
echo "== Gapura satudata bench: $BIN, $N datasets" >&2
mkdir -p "$TMP/var"
genv auto
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }
T0=$(now_ms)
sqlite3 -cmd ".parameter set :n $N" -cmd ".parameter set :now $(date +%s)" "$TMP/var/g.db" \
    <"$ROOT/bench/data/satudata_bulk.sql" >"$TMP/load.log" 2>&1 || { cat "$TMP/load.log" >&2; die "loading $N datasets failed"; }
LOAD_MS=$(( $(now_ms) - T0 ))
read -r TOTAL FTS <<<"$(sqlite3 -separator ' ' "$TMP/var/g.db" \
    "SELECT (SELECT COUNT(*) FROM sd_datasets WHERE published_version_id IS NOT NULL), (SELECT COUNT(*) FROM sd_fts)")"
echo "  $TOTAL published datasets, $FTS rows in the full-text index (loaded in $LOAD_MS ms)" >&2

start_gapura auto
Q=$(printf '%s' "$QUERY" | sed 's/ /%20/g')
FACETS='facet.field=%5B%22organization%22%2C%22tags%22%2C%22year%22%5D'
API_URL="/api/3/action/package_search?q=$Q&$FACETS&rows=10"
HTML_URL="/data?q=$Q"
mkdir -p "$TMP/nginx/www"
curl -fsS -o "$TMP/nginx/www/search.json" "http://127.0.0.1:$GPORT$API_URL"
curl -fsS -o "$TMP/nginx/www/search.html" "http://127.0.0.1:$GPORT$HTML_URL"
MATCHES=$(sed -n 's/.*"result":{"count":\([0-9]*\).*/\1/p' "$TMP/nginx/www/search.json")
[[ ${MATCHES:-0} -gt 0 ]] || die "package_search found nothing for '$QUERY'"
grep -q '"facets":{"organization"' "$TMP/nginx/www/search.json" || die "package_search answered no facets"
echo "  '$QUERY': $MATCHES matches; answer $(wc -c <"$TMP/nginx/www/search.json") bytes (JSON), $(wc -c <"$TMP/nginx/www/search.html") bytes (HTML)" >&2
start_nginx "        location = /search.json { default_type \"application/json; charset=utf-8\"; add_header Cache-Control no-cache always; include $TMP/nginx/headers.conf; }
        location = /search.html { default_type \"text/html; charset=utf-8\"; add_header Cache-Control no-cache always; include $TMP/nginx/headers.conf; }" /search.json
cmp -s "$TMP/nginx/www/search.json" <(curl -fsS "http://127.0.0.1:$GPORT$API_URL") ||
    die "the package_search answer changed between two requests"

# Server time of one search, no queueing: a new query string each time, so each one misses the cache.
declare -A TTFB
ttfb() {  # label path
    local i t=()
    for i in 1 2 3 4 5 6 7 8 9; do
        t+=("$(curl -fsS -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$GPORT$2&t=$RANDOM$i")")
    done
    TTFB[$1]=$(median "${t[@]}" | awk '{printf "%.1f", $1 * 1000}')
    printf '  %-26s median time to first byte %s ms (uncached, sequential)\n' "$1" "${TTFB[$1]}" >&2
}
ttfb "package_search" "$API_URL"
ttfb "/data" "$HTML_URL"

# The first search after a committed write (what one unlucky visitor waits for when the public
# index must follow the write): 5 rounds of a metadata write through the sqlite3 CLI (the
# triggers move the index generation, as any edit does), then at once one uncached package_search;
# a second apart, so each round starts from a built index.
AFTER_WRITE=()
for i in 1 2 3 4 5; do
    sqlite3 -cmd ".timeout 5000" "$TMP/var/g.db" \
        "UPDATE sd_datasets SET updated_at = updated_at WHERE id = (SELECT MIN(id) FROM sd_datasets)" >/dev/null
    AFTER_WRITE+=("$(curl -fsS -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$GPORT$API_URL&w=$RANDOM$i" |
        awk '{printf "%.1f", $1 * 1000}')")
    sleep 1
done
TTFB_WRITE_MEDIAN=$(median "${AFTER_WRITE[@]}")
TTFB_WRITE_MAX=$(printf '%s\n' "${AFTER_WRITE[@]}" | sort -n | tail -1)
echo "  first package_search after a write: TTFB ${AFTER_WRITE[*]} ms (median $TTFB_WRITE_MEDIAN)" >&2

cat >"$TMP/uncached.lua" <<'LUA'
local n = 0
request = function()
    n = n + 1
    return wrk.format(nil, wrk.path .. "&u=" .. n)
end
LUA
ROUND=auto
run_wrk "nginx /search.json" "http://127.0.0.1:$NPORT/search.json" "${NG_ALL[@]}"
warm() { curl -fsS -o /dev/null "http://127.0.0.1:$GPORT$1"; }  # the steady state: the entry is in the cache
warm "$API_URL"
run_wrk "package_search cached" "http://127.0.0.1:$GPORT$API_URL" "$GPID"
WRK_SCRIPT="$TMP/uncached.lua"
run_wrk "package_search uncached" "http://127.0.0.1:$GPORT$API_URL" "$GPID"
WRK_SCRIPT=""
run_wrk "nginx /search.html" "http://127.0.0.1:$NPORT/search.html" "${NG_ALL[@]}"
warm "$HTML_URL"
run_wrk "/data cached" "http://127.0.0.1:$GPORT$HTML_URL" "$GPID"
WRK_SCRIPT="$TMP/uncached.lua"
run_wrk "/data uncached" "http://127.0.0.1:$GPORT$HTML_URL" "$GPID"
WRK_SCRIPT=""
RSS=$(rss_kb "$GPID")
stop_gapura

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/satudata-$(date +%Y-%m-%d-%H%M%S).txt"
{
    echo "Gapura satudata bench, $(date -Iseconds)"
    echo "gapura: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', dirty tree'))"
    echo "machine: $(nproc --all) cores, Linux $(uname -r); idle before the run: $IDLE0%, load average $LOAD0 (now $(cut -d' ' -f1-3 /proc/loadavg))${NICE:+; nice $NICE}"
    echo "servers pinned to core $SCPU, wrk to core $CCPU: wrk -t1 -c$CONNS -d$DURATION --latency; io_threads auto, workers $WORKERS"
    echo "data: $TOTAL published datasets (bulk load $LOAD_MS ms); query '$QUERY' ($MATCHES matches), facets organization, tags, year, rows 10"
    echo
    print_rows
    echo
    printf '%-44s %10s %10s %s\n' "metric" "value" "target" "verdict"
    for l in "package_search cached" "package_search uncached"; do
        r=$(ratio "${RPS["$l@auto"]}" "${RPS["nginx /search.json@auto"]}")
        printf '%-44s %10s %10s %s\n' "$l req/s gapura/nginx" "${r}x" ">= 0.3x" "$(verdict "$r" ">=" 0.3)"
        printf '%-44s %10s %10s %s\n' "$l p99 ms" "${P99["$l@auto"]}" "< 20" "$(verdict "${P99["$l@auto"]}" "<" 20)"
    done
    for l in "/data cached" "/data uncached"; do
        r=$(ratio "${RPS["$l@auto"]}" "${RPS["nginx /search.html@auto"]}")
        printf '%-44s %10s %10s\n' "$l req/s gapura/nginx (no target)" "${r}x" "-"
        printf '%-44s %10s %10s\n' "$l p99 ms (no target)" "${P99["$l@auto"]}" "-"
    done
    for l in "package_search" "/data"; do
        printf '%-44s %10s\n' "TTFB ms (median of 9, uncached) $l" "${TTFB[$l]}"
    done
    printf '%-44s %10s\n' "TTFB ms first search after a write (median of 5)" "$TTFB_WRITE_MEDIAN"
    printf '%-44s %10s\n' "TTFB ms first search after a write (max of 5)" "$TTFB_WRITE_MAX"
    printf '%-44s %10s\n' "RSS after the load" "$(mb "$RSS") MB"
} | tee "$OUT"
echo "written to ${OUT#"$ROOT"/}" >&2
