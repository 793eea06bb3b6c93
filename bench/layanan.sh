#!/usr/bin/env bash
# bench/layanan.sh: the figures of the Layanan issue, next to nginx in the same run (method as
# bench/http.sh; see docs/PERFORMANCE.md).
#
# Durable report creation: wrk POSTs a valid Open311 report (form-encoded, api_key) to
# /open311/v2/requests.json over $BENCH_CONNECTIONS connections. Each 200 is sent only after the
# transaction holding the report is on disk (the WAL fdatasync'ed after its commit); concurrent
# reports share one commit (group commit, core/db), and one sync covers every commit before it.
# The reports are taken on the I/O thread and no thread waits for a commit (core/http/pending.hpp).
# The reference is nginx serving the answer's bytes as a static file. After the run the
# script checks that the database holds at least as many new reports as wrk saw 200s, and reads
# from /metrics how many reports shared a commit.
# Target: >= 0.15x nginx. Results: bench/results/layanan-<date>.txt (git-ignored).
#
# Reads at scale (second phase, BENCH_REPORTS reports, default 1,000,000; 0 skips it): a fresh
# demo-seeded database gets bench/data/layanan_bulk.sql (a few minutes at 1M), then wrk GETs, over
# $BENCH_CONNECTIONS connections, the Open311 list filtered by service and status
# (requests.json?service_code=jalan-rusak&status=open&page_size=20), the staff queue of an OPD
# operator (signed in; default view, and filtered by service and status) and the public home; target
# p99 < 20 ms each. Anonymous GETs of the same URL are answered from the module's page cache (5 s),
# so the list is also run with a new query string per request ("uncached": every one runs the
# query). The public per-OPD statistics pages (all OPDs, one OPD) are timed with curl, uncached
# (time to first byte, median of 9); target < 100 ms.
# Knobs: BENCH_WRITE_WORKERS (worker threads of the server in this bench; default 32, the server's: a report
# whose API key is not cached yet, or with a media file, is taken on one), BENCH_REPORTS, BENCH_REPORTS_DB (a database already loaded
# by this script's recipe, copied instead of loading again), BENCH_DURABLE (1; 0 skips the first phase),
# and those of bench/lib.sh. Needs: sqlite3, wrk, nginx.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
WORKERS=${BENCH_WRITE_WORKERS:-32}
REPORTS=${BENCH_REPORTS:-1000000}
REPORTS_DB=${BENCH_REPORTS_DB:-}
DURABLE=${BENCH_DURABLE:-1}

IDLE0=$(idle_pct)
echo "== Gapura layanan bench: $BIN" >&2
mkdir -p "$TMP/var"
genv auto
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }
KEY=$(env "${GENV[@]}" "$BIN" open311 key add --name bench 2>>"$TMP/seed.log" | tail -n 1)
[[ -n $KEY ]] || die "no Open311 API key"
tickets() { sqlite3 "$TMP/var/g.db" "SELECT COUNT(*) FROM layanan_tickets"; }

if ((DURABLE)); then
    start_gapura auto
    BODY="api_key=$KEY&service_code=banjir-drainase&description=Saluran+tersumbat%2C+air+menggenang+setinggi+lutut+sejak+pagi&address_string=Jl.+Basuki+Rahmat+12&lat=-6.8976&long=112.0619"
    cat >"$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$BODY"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
    mkdir -p "$TMP/nginx/www"
    curl -fsS -o "$TMP/nginx/www/answer.json" -H 'Content-Type: application/x-www-form-urlencoded' --data "$BODY" \
        "http://127.0.0.1:$GPORT/open311/v2/requests.json" || die "the sample report was refused"
    start_nginx "        location = /answer.json { default_type \"application/json; charset=utf-8\"; add_header Cache-Control no-store always; include $TMP/nginx/headers.conf; }" /answer.json

    metric() { curl -fsS "http://127.0.0.1:$GPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
    ROUND=auto
    run_wrk "nginx /answer.json" "http://127.0.0.1:$NPORT/answer.json" "${NG_ALL[@]}"
    T0=$(tickets) J0=$(metric gapura_db_writes_total) C0=$(metric gapura_db_write_transactions_total)
    WRK_SCRIPT="$TMP/post.lua"
    run_wrk "gapura POST requests.json" "http://127.0.0.1:$GPORT/open311/v2/requests.json" "$GPID"
    WRK_SCRIPT=""
    OK_POSTS=$(( LAST_REQS - LAST_ERRS ))
    J1=$(metric gapura_db_writes_total) C1=$(metric gapura_db_write_transactions_total)
    RSS=$(rss_kb "$GPID")
    stop_gapura
    T1=$(tickets)
    NEW=$((T1 - T0))
    GROUP=$(awk -v j="$((J1 - J0))" -v c="$((C1 - C0))" 'BEGIN {printf "%.1f", (c > 0) ? j / c : 0}')
    SYNC=$(sqlite3 "$TMP/var/g.db" "PRAGMA journal_mode")
fi

# ---- phase 2: reads at BENCH_REPORTS reports ----
declare -A TTFB
ttfb() {  # label path: median over 9 GETs of curl's time to first byte, in ms (a new query string
    # each time, so every GET misses the page cache and the server builds the page)
    local i t=()
    for i in 1 2 3 4 5 6 7 8 9; do
        t+=("$(curl -fsS -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$GPORT$2?u=$RANDOM$i")")
    done
    TTFB[$1]=$(median "${t[@]}" | awk '{printf "%.1f", $1 * 1000}')
    printf '  %-26s median time to first byte %s ms\n' "$1" "${TTFB[$1]}" >&2
}
if ((REPORTS > 0)); then
    WRITE_WORKERS=$WORKERS
    WORKERS=${BENCH_WORKERS:-2}
    rm -rf "$TMP/var"
    mkdir -p "$TMP/var"
    genv auto
    env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed2.log" 2>&1 ||
        { cat "$TMP/seed2.log" >&2; die "gapura seed failed"; }
    L0=$(now_ms)
    if [[ -n $REPORTS_DB ]]; then
        cp "$REPORTS_DB" "$TMP/var/g.db"
        rm -f "$TMP/var/g.db-wal" "$TMP/var/g.db-shm"
    else
        echo "  loading $REPORTS reports (bench/data/layanan_bulk.sql)..." >&2
        sqlite3 -cmd ".parameter set :n $REPORTS" -cmd ".parameter set :now $(date +%s)" "$TMP/var/g.db" \
            <"$ROOT/bench/data/layanan_bulk.sql" >"$TMP/load.log" 2>&1 || { cat "$TMP/load.log" >&2; die "bulk load failed"; }
    fi
    LOAD_S=$(( ($(now_ms) - L0) / 1000 ))
    NREP=$(tickets)
    start_gapura auto
    # Sign in as an OPD operator (form with CSRF), keep the session cookie for wrk.
    JAR="$TMP/jar.txt"
    CSRF=$(curl -fsS -c "$JAR" -b "$JAR" "http://127.0.0.1:$GPORT/masuk" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
    [[ -n $CSRF ]] || die "no CSRF token on /masuk"
    curl -fsS -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "email=operator.pupr@demo.gapura.id" \
        --data-urlencode "password=gapura-demo-2026" --data-urlencode "_csrf=$CSRF" "http://127.0.0.1:$GPORT/masuk"
    COOKIE=$(awk -F'\t' '(/^#HttpOnly_/ || !/^#/) && NF >= 7 {printf "%s%s=%s", sep, $6, $7; sep = "; "}' "$JAR")
    QUEUE="/layanan/antrian"
    QUEUE_F="/layanan/antrian?status=open&layanan=jalan-rusak"
    curl -fsS -H "Cookie: $COOKIE" "http://127.0.0.1:$GPORT$QUEUE" | grep -q 'LB-' || die "the queue page did not list reports (not signed in?)"
    cat >"$TMP/cookie.lua" <<LUA
wrk.headers["Cookie"] = "$COOKIE"
LUA
    REQS="/open311/v2/requests.json?service_code=jalan-rusak&status=open&page_size=20"
    [[ $(curl -fsS "http://127.0.0.1:$GPORT$REQS" | grep -o '"service_request_id"' | wc -l) -eq 20 ]] ||
        die "requests.json did not answer 20 requests"
    # The same list with a new query string on every request: each one misses the page cache.
    cat >"$TMP/uncached.lua" <<'LUA'
local n = 0
request = function()
    n = n + 1
    return wrk.format(nil, wrk.path .. "&u=" .. n)
end
LUA
    ROUND=reads
    run_wrk "requests.json svc+open 20" "http://127.0.0.1:$GPORT$REQS" "$GPID"
    WRK_SCRIPT="$TMP/uncached.lua"
    run_wrk "requests.json uncached" "http://127.0.0.1:$GPORT$REQS" "$GPID"
    WRK_SCRIPT=""
    run_wrk "home /layanan" "http://127.0.0.1:$GPORT/layanan" "$GPID"
    WRK_SCRIPT="$TMP/cookie.lua"
    run_wrk "queue (OPD, default)" "http://127.0.0.1:$GPORT$QUEUE" "$GPID"
    run_wrk "queue (OPD, svc+open)" "http://127.0.0.1:$GPORT$QUEUE_F" "$GPID"
    WRK_SCRIPT=""
    ttfb "stats all OPDs" /layanan/statistik
    ttfb "stats one OPD" /layanan/statistik/dpupr-prkp
    stop_gapura
fi

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/layanan-$(date +%Y-%m-%d-%H%M%S).txt"
{
    echo "Gapura layanan bench, $(date -Iseconds)"
    echo "gapura: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', dirty tree'))"
    echo "machine: $(nproc --all) cores, Linux $(uname -r); idle before the run: $IDLE0%, load average $LOAD0${NICE:+; nice $NICE}"
    echo "servers pinned to core $SCPU, wrk to core $CCPU: wrk -t1 -c$CONNS -d$DURATION --latency; io_threads auto, workers ${WRITE_WORKERS:-$WORKERS} (durable POST), ${BENCH_WORKERS:-2} (reads)"
    echo "database: SQLite journal_mode=${SYNC:-wal}; the writer commits with synchronous=NORMAL and a sync thread fdatasyncs the WAL before any write is acknowledged (core/db); var dir on $(df --output=source "$TMP" | tail -n 1)"
    echo
    print_rows
    echo
    printf '%-44s %10s %10s %s\n' "metric" "value" "target" "verdict"
    if ((DURABLE)); then
        pr=$(ratio "${RPS["gapura POST requests.json@auto"]}" "${RPS["nginx /answer.json@auto"]}")
        printf '%-44s %10s %10s %s\n' "durable POST req/s gapura/nginx" "${pr}x" ">= 0.15x" "$(verdict "$pr" ">=" 0.15)"
        printf '%-44s %10s %10s %s\n' "reports stored / 200s seen by wrk" "$NEW/$OK_POSTS" ">= 1" "$(verdict "$NEW" ">=" "$OK_POSTS")"
        printf '%-44s %10s\n' "reports per commit (group commit)" "$GROUP"
        printf '%-44s %10s\n' "RSS after the load" "$(mb "$RSS") MB"
    fi
    if ((REPORTS > 0)); then
        printf '%-44s %10s\n' "reports in the database (load ${LOAD_S}s)" "$NREP"
        for l in "requests.json svc+open 20" "requests.json uncached" "queue (OPD, default)" "queue (OPD, svc+open)" \
            "home /layanan"; do
            printf '%-44s %10s %10s %s\n' "p99 ms $l" "${P99["$l@reads"]}" "< 20" "$(verdict "${P99["$l@reads"]}" "<" 20)"
        done
        for l in "stats all OPDs" "stats one OPD"; do
            printf '%-44s %10s %10s %s\n' "TTFB ms (median of 9) $l" "${TTFB[$l]}" "< 100" "$(verdict "${TTFB[$l]}" "<" 100)"
        done
    fi
} | tee "$OUT"
echo "written to ${OUT#"$ROOT"/}" >&2
