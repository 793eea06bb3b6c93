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

BIN=${GAPURA_BIN:-$ROOT/build/gapura}
IO_LIST=${BENCH_IO_THREADS:-auto}
WORKERS=${BENCH_WORKERS:-2}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
STARTS=${BENCH_STARTS:-5}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
NICE=${BENCH_NICE:-}

# Gapura reads every GAPURA_* variable as a setting (and refuses unknown ones such as GAPURA_BIN):
# start it from a clean slate and pass only what this script means.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^GAPURA_' || true)

die() { echo "bench/http.sh: $*" >&2; exit 1; }
[[ -x $BIN ]] || die "no executable at $BIN (run 'make build' or set GAPURA_BIN)"
[[ -x $NGINX ]] || die "nginx not found (apt-get install nginx-light)"
for t in wrk curl taskset; do command -v "$t" >/dev/null || die "$t not found"; done
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gapura-bench.XXXXXX")
PIDS=()
AUTOGROUP_NICE=""
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n $AUTOGROUP_NICE ]]; then echo "$AUTOGROUP_NICE" >"/proc/$$/autogroup" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# This shell (and so wrk, curl and the polling loops) runs on the client core.
taskset -pc "$CCPU" $$ >/dev/null
# Everything started from here inherits this priority.
if [[ -n $NICE ]]; then
    renice -n "$NICE" -p $$ >/dev/null || die "cannot renice to $NICE"
    # With autogroups (kernel.sched_autogroup_enabled), nice only ranks processes within their
    # session's group: raise the group too, and restore it on exit.
    if [[ -w /proc/$$/autogroup ]]; then
        AUTOGROUP_NICE=$(awk '{print $NF}' "/proc/$$/autogroup")
        echo "$NICE" >"/proc/$$/autogroup" 2>/dev/null || AUTOGROUP_NICE=""
    fi
fi

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }  # bash 5, no fork
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

# A port nobody listens on (a refused connection means free).
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        if ! { exec 9<>"/dev/tcp/127.0.0.1/$p"; } 2>/dev/null; then echo "$p"; return; fi
        exec 9>&-
    done
}

# 0 when GET $2 on port $1 answers 200; one connection, no fork.
probe_200() {
    local line
    { exec 8<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&8
    IFS= read -r -t 2 line <&8 || line=""
    exec 8>&-
    [[ $line == "HTTP/1."?" 200"* ]]
}

wait_200() {  # port path timeout_ms
    local deadline=$(( $(now_ms) + $3 ))
    until probe_200 "$1" "$2"; do
        (( $(now_ms) < deadline )) || return 1
    done
}

# CPU time (ns) used so far by the given processes, all their threads (from /proc/*/schedstat).
cpu_ns() {
    local pid f a sum=0
    for pid in "$@"; do
        for f in /proc/"$pid"/task/*/schedstat; do
            read -r a _ <"$f" 2>/dev/null || continue
            sum=$((sum + a))
        done
    done
    echo "$sum"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

GPORT=$(free_port)
NPORT=$(free_port)
while [[ $NPORT == "$GPORT" ]]; do NPORT=$(free_port); done

genv() {  # environment of every gapura process ($1 = io threads), into GENV
    GENV=("GAPURA_VAR_DIR=$TMP/var" "GAPURA_DATABASE=sqlite://$TMP/var/g.db"
        "GAPURA_LISTEN=127.0.0.1:$GPORT" GAPURA_ACCESS_LOG=off GAPURA_LOG_LEVEL=warn
        "GAPURA_IO_THREADS=$1" "GAPURA_WORKERS=$WORKERS")
}

GPID=""
start_gapura() {  # io_threads; sets GPID, START_MS (spawn to first 200) and START_CPU_MS
    local t0
    genv "$1"
    t0=$(now_us)
    env "${GENV[@]}" taskset -c "$SCPU" "$BIN" serve >>"$TMP/gapura.log" 2>&1 &
    GPID=$!
    PIDS+=("$GPID")
    wait_200 "$GPORT" /healthz 10000 || { tail -n 20 "$TMP/gapura.log" >&2; die "gapura did not answer /healthz"; }
    START_MS=$(awk -v a="$t0" -v b="$(now_us)" 'BEGIN {printf "%.1f", (b - a) / 1000}')
    START_CPU_MS=$(awk -v n="$(cpu_ns "$GPID")" 'BEGIN {printf "%.1f", n / 1e6}')
}

stop_gapura() {
    kill "$GPID" 2>/dev/null || true
    wait "$GPID" 2>/dev/null || true
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$GPID" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    GPID=""
}

# Latency string from wrk (e.g. 812.00us, 1.23ms, 1.01s) to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

# CPU ticks used by finished children of this shell (wrk): user + system.
child_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
TICK_HZ=$(getconf CLK_TCK)

ROWS=()   # "target|req/s|p50|p99|errors|CPU us per request|wrk CPU %"
declare -A RPS P99 CPU   # keyed "label@round": each io_threads setting is compared with its own nginx runs
ROUND=""
run_wrk() {  # label url server-pids...
    local label=$1 url=$2 out rps p50 p99 errs non2xx sock reqs c0 c1 us t0 t1 w0 w1 wpct
    shift 2
    c0=$(cpu_ns "$@") t0=$(now_us) w0=$(child_ticks)
    wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$url" >"$TMP/wrk.out" 2>&1 ||
        { cat "$TMP/wrk.out" >&2; die "wrk failed on $url"; }
    c1=$(cpu_ns "$@") t1=$(now_us) w1=$(child_ticks)
    out=$(<"$TMP/wrk.out")
    echo "$out" >>"$TMP/wrk.log"
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
    sock=$(awk -F'[ ,]+' '/Socket errors:/ {print $4 + $6 + $8 + $10}' <<<"$out")
    errs=$(( ${non2xx:-0} + ${sock:-0} ))
    reqs=$(awk '/ requests in / {print $1}' <<<"$out")
    us=$(awk -v c="$((c1 - c0))" -v n="$reqs" 'BEGIN {printf "%.1f", (n > 0) ? c / 1000 / n : 0}')
    wpct=$(awk -v w="$((w1 - w0))" -v hz="$TICK_HZ" -v t="$((t1 - t0))" 'BEGIN {printf "%.0f", w / hz * 1e8 / t}')
    RPS[$label@$ROUND]=$rps P99[$label@$ROUND]=$p99 CPU[$label@$ROUND]=$us
    ROWS+=("$label|$rps|$p50|$p99|$errs|$us|$wpct")
    printf '  %-26s %10s req/s  p50 %7s ms  p99 %7s ms  errors %s  server CPU %s us/req  wrk CPU %s%%\n' \
        "$label" "$rps" "$p50" "$p99" "$errs" "$us" "$wpct" >&2
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# Share of CPU time the machine spent idle over one second before the run (both cores).
idle_pct() {
    local a b
    a=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); d = y[2] - x[2];
        printf "%.0f", (d > 0) ? 100 * (y[1] - x[1]) / d : 100}'
}
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
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
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
mkdir -p "$TMP/nginx/www" "$TMP/nginx/logs" "$TMP/nginx/tmp"
# Run as root, nginx's worker drops to an unprivileged user: let it reach (only) its document root.
chmod 711 "$TMP" "$TMP/nginx"
chmod 755 "$TMP/nginx/www"
curl -fsS -o "$TMP/nginx/www/healthz.json" "http://127.0.0.1:$GPORT/healthz"
curl -fsS -o "$TMP/nginx/www/home.html" "http://127.0.0.1:$GPORT/"
chmod 644 "$TMP/nginx/www/"*
CSP="default-src 'self'; img-src 'self' data: https:; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
# The headers Gapura's pipeline adds to every answer (add_header is not inherited by a location that
# has its own, hence the include).
cat >"$TMP/nginx/headers.conf" <<EOF
add_header X-Content-Type-Options nosniff always;
add_header Referrer-Policy strict-origin-when-cross-origin always;
add_header X-Frame-Options DENY always;
add_header Content-Security-Policy "$CSP" always;
add_header Permissions-Policy "geolocation=(self), camera=(), microphone=()" always;
EOF
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    server_tokens off;
    etag off;
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NPORT;
        root $TMP/nginx/www;
        location = /healthz.json { default_type "application/json; charset=utf-8"; add_header Cache-Control no-store always; include $TMP/nginx/headers.conf; }
        location = /home.html { default_type "text/html; charset=utf-8"; add_header Cache-Control no-cache always; include $TMP/nginx/headers.conf; }
    }
}
EOF
# Only the two files: no MIME map needed, default_type per location.
taskset -c "$SCPU" "$NGINX" -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" \
    >"$TMP/nginx/logs/stdout.log" 2>&1 &
NGPID=$!
PIDS+=("$NGPID")
wait_200 "$NPORT" /healthz.json 5000 || { tail -n 5 "$TMP/nginx/logs/"*.log >&2; die "nginx did not start"; }
read -r -a NG_ALL < <(echo "$NGPID" "$(cat "/proc/$NGPID/task/$NGPID/children" 2>/dev/null)")
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {ok = (op == ">=") ? (v >= t) : (v < t); print ok ? "PASS" : "MISS"}'; }
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
    printf '%-26s %12s %9s %9s %7s %11s %8s\n' "target" "requests/s" "p50 ms" "p99 ms" "errors" "CPU us/req" "wrk CPU"
    for r in "${ROWS[@]}"; do
        IFS='|' read -r t rps p50 p99 errs us wpct <<<"$r"
        printf '%-26s %12s %9s %9s %7s %11s %7s%%\n' "$t" "$rps" "$p50" "$p99" "$errs" "$us" "$wpct"
    done
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
