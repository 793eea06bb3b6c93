#!/usr/bin/env bash
# bench/http.sh: HTTP throughput, latency, memory and cold start of Gapura, next to nginx serving
# the very same bytes. Called by `make bench`; see docs/PERFORMANCE.md for the method.
#
# - Gapura (build/gapura, or $GAPURA_BIN) and nginx both run pinned to core 0; wrk, curl and this
#   script run pinned to core 1, so the client never steals the server's CPU.
# - nginx serves files fetched from Gapura just before (/healthz -> healthz.json, / -> home.html)
#   and sends the same extra security headers, so both send the same body and similar headers.
# - wrk: one thread, $BENCH_CONNECTIONS connections, $BENCH_DURATION per target, --latency.
# - Memory: VmRSS of the gapura process idle after start and after the load (and its peak, VmHWM).
# - Cold start: ms from spawning `gapura serve` (database already migrated and seeded) to the
#   first 200 from /healthz, polled from bash over /dev/tcp; the median of $BENCH_STARTS starts.
# A summary table is printed and written to bench/results/http-<date>.txt (git-ignored).
#
# Knobs (environment): GAPURA_BIN, BENCH_IO_THREADS (default auto = one per core the server may
# use, i.e. 1 when pinned; "1 2" measures both),
# BENCH_WORKERS (2), BENCH_DURATION (10s), BENCH_CONNECTIONS (64), BENCH_STARTS (5),
# BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_NICE (unset; e.g. -20, as root: raises the
# priority of this script, of everything it starts and, with scheduler autogroups, of its autogroup
# until it exits; for a machine shared with other work). Needs: taskset, wrk, nginx, curl (Linux,
# 2+ cores).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

IO_LIST=${BENCH_IO_THREADS:-auto}
STARTS=${BENCH_STARTS:-5}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

IDLE0=$(idle_pct)
echo "== Gapura HTTP bench: $BIN" >&2
echo "   server core $SCPU, client core $CCPU, wrk -t1 -c$CONNS -d$DURATION, io_threads {$IO_LIST}, workers $WORKERS" >&2

# 1. Database: migrated and seeded once (not timed).
mkdir -p "$TMP/var"
genv 1
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }

# 2. Cold start: median of $STARTS spawns.
FIRST_IO=${IO_LIST%% *}
STARTS_MS=() STARTS_CPU=()
for ((i = 0; i < STARTS; i++)); do
    start_gapura "$FIRST_IO"
    STARTS_MS+=("$START_MS")
    STARTS_CPU+=("$START_CPU_MS")
    stop_gapura
done
COLD=$(median "${STARTS_MS[@]}")
COLD_CPU=$(median "${STARTS_CPU[@]}")
echo "  cold start (ms): ${STARTS_MS[*]} -> median $COLD (CPU used by then: median $COLD_CPU ms)" >&2

# 3. nginx, with the same bytes Gapura answers.
start_gapura "$FIRST_IO"
mkdir -p "$TMP/nginx/www"
curl -fsS -o "$TMP/nginx/www/healthz.json" "http://127.0.0.1:$GPORT/healthz"
curl -fsS -o "$TMP/nginx/www/home.html" "http://127.0.0.1:$GPORT/"
start_nginx "        location = /healthz.json { default_type \"application/json; charset=utf-8\"; add_header Cache-Control no-store always; include $TMP/nginx/headers.conf; }
        location = /home.html { default_type \"text/html; charset=utf-8\"; add_header Cache-Control no-cache always; include $TMP/nginx/headers.conf; }" /healthz.json
cmp -s <(curl -fsS "http://127.0.0.1:$NPORT/home.html") <(curl -fsS "http://127.0.0.1:$GPORT/") ||
    die "nginx's /home.html differs from Gapura's / (is the home page not the same for every anonymous visitor?)"
hdr_bytes() { curl -fsS -o /dev/null -D - "$1" | wc -c; }
body_bytes() { curl -fsS "$1" | wc -c; }
H_BODY=$(body_bytes "http://127.0.0.1:$NPORT/healthz.json")
P_BODY=$(body_bytes "http://127.0.0.1:$NPORT/home.html")
H_HDR_N=$(hdr_bytes "http://127.0.0.1:$NPORT/healthz.json")
H_HDR_G=$(hdr_bytes "http://127.0.0.1:$GPORT/healthz")
P_HDR_N=$(hdr_bytes "http://127.0.0.1:$NPORT/home.html")
P_HDR_G=$(hdr_bytes "http://127.0.0.1:$GPORT/")
stop_gapura

# 4. Load: for each io_threads setting, a fresh Gapura; nginx and Gapura alternate.
declare -A IDLE AFTER PEAK
for io in $IO_LIST; do
    ROUND=$io
    start_gapura "$io"
    sleep 1
    IDLE[$io]=$(rss_kb "$GPID")
    echo "  io_threads=$io: RSS idle $(mb "${IDLE[$io]}") MB" >&2
    run_wrk "nginx /healthz.json" "http://127.0.0.1:$NPORT/healthz.json" "${NG_ALL[@]}"
    run_wrk "gapura /healthz (io=$io)" "http://127.0.0.1:$GPORT/healthz" "$GPID"
    run_wrk "nginx /home.html" "http://127.0.0.1:$NPORT/home.html" "${NG_ALL[@]}"
    run_wrk "gapura / (io=$io)" "http://127.0.0.1:$GPORT/" "$GPID"
    sleep 1
    AFTER[$io]=$(rss_kb "$GPID")
    PEAK[$io]=$(hwm_kb "$GPID")
    echo "  io_threads=$io: RSS after load $(mb "${AFTER[$io]}") MB (peak $(mb "${PEAK[$io]}") MB)" >&2
    stop_gapura
done

# 5. Summary.
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/http-$(date +%Y-%m-%d-%H%M%S).txt"
{
    echo "Gapura HTTP bench, $(date -Iseconds)"
    echo "gapura: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', dirty tree'))"
    echo "machine: $(nproc --all) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r)"
    echo "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), worker_processes 1, access_log off; $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
    echo "servers pinned to core $SCPU, wrk to core $CCPU: wrk -t1 -c$CONNS -d$DURATION --latency; gapura workers=$WORKERS, access log off${NICE:+; nice $NICE}${AUTOGROUP_NICE:+ (and its autogroup)}"
    echo "machine idle before the run: $IDLE0% (load average $LOAD0)"
    if ((IDLE0 < 80)) && [[ -z $NICE ]]; then
        echo "WARNING: other work was using the CPUs; requests/s, latency and cold start measure the"
        echo "         contention as much as the servers (compare ratios and CPU us/req, or rerun on an"
        echo "         idle machine or with BENCH_NICE=-20)."
    elif ((IDLE0 < 80)); then
        echo "note: other work was using the CPUs; BENCH_NICE=$NICE shields the run from most of it, but"
        echo "      compare ratios from the same run rather than absolute figures across runs."
    fi
    echo "bytes per response (headers + body): /healthz gapura $H_HDR_G + $H_BODY, nginx $H_HDR_N + $H_BODY; / gapura $P_HDR_G + $P_BODY, nginx $P_HDR_N + $P_BODY"
    echo
    print_rows
    echo "(CPU us/req: CPU time of the server's processes during the run / requests. wrk CPU: share of"
    echo " its core wrk used; near 100% would mean the client, not the server, set the pace.)"
    echo
    printf '%-44s %10s %10s %s\n' "metric" "value" "target" "verdict"
    for io in $IO_LIST; do
        hr=$(ratio "${RPS["gapura /healthz (io=$io)@$io"]}" "${RPS["nginx /healthz.json@$io"]}")
        pr=$(ratio "${RPS["gapura / (io=$io)@$io"]}" "${RPS["nginx /home.html@$io"]}")
        hp=${P99["gapura /healthz (io=$io)@$io"]} pp=${P99["gapura / (io=$io)@$io"]}
        worst=$(awk -v a="$hp" -v b="$pp" 'BEGIN {print (a > b) ? a : b}')
        printf '%-44s %10s %10s %s\n' "io=$io /healthz req/s gapura/nginx" "${hr}x" ">= 1.0x" "$(verdict "$hr" ">=" 1.0)"
        printf '%-44s %10s %10s %s\n' "io=$io home page req/s gapura/nginx" "${pr}x" ">= 0.5x" "$(verdict "$pr" ">=" 0.5)"
        hc=$(ratio "${CPU["nginx /healthz.json@$io"]}" "${CPU["gapura /healthz (io=$io)@$io"]}")
        pc=$(ratio "${CPU["nginx /home.html@$io"]}" "${CPU["gapura / (io=$io)@$io"]}")
        printf '%-44s %10s %10s %s\n' "io=$io /healthz CPU per request nginx/gapura" "${hc}x" "(>= 1.0x)" "$(verdict "$hc" ">=" 1.0)"
        printf '%-44s %10s %10s %s\n' "io=$io home CPU per request nginx/gapura" "${pc}x" "(>= 0.5x)" "$(verdict "$pc" ">=" 0.5)"
        printf '%-44s %10s %10s %s\n' "io=$io gapura p99 at $CONNS connections (worst)" "$worst ms" "< 5 ms" "$(verdict "$worst" "<" 5)"
        printf '%-44s %10s %10s %s\n' "io=$io RSS idle after start" "$(mb "${IDLE[$io]}") MB" "< 30 MB" "$(verdict "$(mb "${IDLE[$io]}")" "<" 30)"
        printf '%-44s %10s %10s %s\n' "io=$io RSS after load (peak)" "$(mb "${AFTER[$io]}") MB" "" "($(mb "${PEAK[$io]}") MB)"
    done
    printf '%-44s %10s %10s %s\n' "cold start, median of $STARTS (io=$FIRST_IO)" "$COLD ms" "< 200 ms" "$(verdict "$COLD" "<" 200)"
    printf '%-44s %10s %10s %s\n' "  CPU used by gapura until then (median)" "$COLD_CPU ms" "" ""
    echo "cold starts (ms): ${STARTS_MS[*]}; CPU used by gapura until then (ms): ${STARTS_CPU[*]}"
} | tee "$OUT"
echo "written to ${OUT#"$ROOT"/}" >&2
