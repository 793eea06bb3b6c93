#!/usr/bin/env bash
# bench/lib.sh: what every Gapura benchmark script shares (sourced, not run): settings from the
# environment, pinning (server core / client core) and priority, temporary directory and clean-up,
# starting and stopping Gapura and an nginx reference, and running wrk with its figures.
# The caller sets ROOT, `set -euo pipefail`, and may set IO_LIST before sourcing.
# Knobs: GAPURA_BIN, BENCH_WORKERS (2), BENCH_DURATION (10s), BENCH_CONNECTIONS (64),
# BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_NICE (unset; e.g. -20 as root), NGINX.
BIN=${GAPURA_BIN:-$ROOT/build/gapura}
WORKERS=${BENCH_WORKERS:-2}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
NICE=${BENCH_NICE:-}

# Gapura reads every GAPURA_* variable as a setting (and refuses unknown ones such as GAPURA_BIN):
# start it from a clean slate and pass only what this script means.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^GAPURA_' || true)

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
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
WRK_SCRIPT=""   # a wrk Lua script for the next run_wrk calls (e.g. a POST), empty for GET
run_wrk() {  # label url server-pids...
    local label=$1 url=$2 out rps p50 p99 errs non2xx sock reqs c0 c1 us t0 t1 w0 w1 wpct
    shift 2
    c0=$(cpu_ns "$@") t0=$(now_us) w0=$(child_ticks)
    wrk -t1 -c"$CONNS" -d"$DURATION" --latency ${WRK_SCRIPT:+-s "$WRK_SCRIPT"} "$url" >"$TMP/wrk.out" 2>&1 ||
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
    LAST_REQS=$reqs LAST_ERRS=$errs
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

# The wrk results collected by run_wrk, one line a target.
print_rows() {
    local r t rps p50 p99 errs us wpct
    printf '%-26s %12s %9s %9s %7s %11s %8s\n' "target" "requests/s" "p50 ms" "p99 ms" "errors" "CPU us/req" "wrk CPU"
    for r in "${ROWS[@]}"; do
        IFS='|' read -r t rps p50 p99 errs us wpct <<<"$r"
        printf '%-26s %12s %9s %9s %7s %11s %7s%%\n' "$t" "$rps" "$p50" "$p99" "$errs" "$us" "$wpct"
    done
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {ok = (op == ">=") ? (v >= t) : (v < t); print ok ? "PASS" : "MISS"}'; }

# nginx as the reference, pinned like Gapura, serving $TMP/nginx/www. $1: the `location` blocks
# (they may `include $TMP/nginx/headers.conf` for the security headers Gapura adds to every answer);
# $2: a path that must answer 200 once it is up. Sets NGPID and NG_ALL (master + worker pids).
start_nginx() {
    mkdir -p "$TMP/nginx/www" "$TMP/nginx/logs" "$TMP/nginx/tmp"
    # Run as root, nginx's worker drops to an unprivileged user: let it reach (only) its document root.
    chmod 711 "$TMP" "$TMP/nginx"
    chmod 755 "$TMP/nginx/www"
    chmod 644 "$TMP/nginx/www/"* 2>/dev/null || true
    local csp="default-src 'self'; img-src 'self' data: https:; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    # add_header is not inherited by a location that has its own, hence an include.
    cat >"$TMP/nginx/headers.conf" <<NGX
add_header X-Content-Type-Options nosniff always;
add_header Referrer-Policy strict-origin-when-cross-origin always;
add_header X-Frame-Options DENY always;
add_header Content-Security-Policy "$csp" always;
add_header Permissions-Policy "geolocation=(self), camera=(), microphone=()" always;
NGX
    cat >"$TMP/nginx/nginx.conf" <<NGX
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
$1
    }
}
NGX
    taskset -c "$SCPU" "$NGINX" -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" \
        >"$TMP/nginx/logs/stdout.log" 2>&1 &
    NGPID=$!
    PIDS+=("$NGPID")
    wait_200 "$NPORT" "$2" 5000 || { tail -n 5 "$TMP/nginx/logs/"*.log >&2; die "nginx did not start"; }
    read -r -a NG_ALL < <(echo "$NGPID" "$(cat "/proc/$NGPID/task/$NGPID/children" 2>/dev/null)")
}
