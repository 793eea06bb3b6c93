#!/usr/bin/env bash
# bench/layanan.sh: the figures of the Layanan issue, next to nginx in the same run (method as
# bench/http.sh; see docs/PERFORMANCE.md).
#
# Durable report creation: wrk POSTs a valid Open311 report (form-encoded, api_key) to
# /open311/v2/requests.json over $BENCH_CONNECTIONS connections. Each 200 is sent only after the
# transaction holding the report is committed with SQLite synchronous=FULL (WAL fsynced), so the
# rate is bounded by the disk's sync time; concurrent reports share one commit (group commit,
# core/db). The reference is nginx serving the answer's bytes as a static file. After the run the
# script checks that the database holds at least as many new reports as wrk saw 200s, and reads
# from /metrics how many reports shared a commit.
# Target: >= 0.15x nginx. Results: bench/results/layanan-<date>.txt (git-ignored).
# Knobs: BENCH_WRITE_WORKERS (worker threads of the server in this bench; default 32, the server's: each report
# waiting for its group's commit holds one), and those of bench/lib.sh. Needs: sqlite3, wrk, nginx.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
WORKERS=${BENCH_WRITE_WORKERS:-32}

IDLE0=$(idle_pct)
echo "== Gapura layanan bench: $BIN" >&2
mkdir -p "$TMP/var"
genv auto
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }
KEY=$(env "${GENV[@]}" "$BIN" open311 key add --name bench 2>>"$TMP/seed.log" | tail -n 1)
[[ -n $KEY ]] || die "no Open311 API key"
tickets() { sqlite3 "$TMP/var/g.db" "SELECT COUNT(*) FROM layanan_tickets"; }

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

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/layanan-$(date +%Y-%m-%d-%H%M%S).txt"
{
    echo "Gapura layanan bench, $(date -Iseconds)"
    echo "gapura: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', dirty tree'))"
    echo "machine: $(nproc --all) cores, Linux $(uname -r); idle before the run: $IDLE0%${NICE:+; nice $NICE}"
    echo "servers pinned to core $SCPU, wrk to core $CCPU: wrk -t1 -c$CONNS -d$DURATION --latency; io_threads auto, workers $WORKERS"
    echo "database: SQLite journal_mode=$SYNC, synchronous=FULL (set by Gapura on every connection); var dir on $(df --output=source "$TMP" | tail -n 1)"
    echo
    print_rows
    echo
    pr=$(ratio "${RPS["gapura POST requests.json@auto"]}" "${RPS["nginx /answer.json@auto"]}")
    printf '%-44s %10s %10s %s\n' "metric" "value" "target" "verdict"
    printf '%-44s %10s %10s %s\n' "durable POST req/s gapura/nginx" "${pr}x" ">= 0.15x" "$(verdict "$pr" ">=" 0.15)"
    printf '%-44s %10s %10s %s\n' "reports stored / 200s seen by wrk" "$NEW/$OK_POSTS" ">= 1" "$(verdict "$NEW" ">=" "$OK_POSTS")"
    printf '%-44s %10s\n' "reports per commit (group commit)" "$GROUP"
    printf '%-44s %10s\n' "RSS after the load" "$(mb "$RSS") MB"
} | tee "$OUT"
echo "written to ${OUT#"$ROOT"/}" >&2
