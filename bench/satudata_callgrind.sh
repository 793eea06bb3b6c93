#!/usr/bin/env bash
# bench/satudata_callgrind.sh: instructions per uncached CKAN package_search, counted by callgrind
# (independent of the machine's load, unlike the req/s and CPU figures of bench/satudata.sh, whose
# data and query it uses; see docs/PERFORMANCE.md, Satu Data search).
#
# - The same database as bench/satudata.sh: demo seed, then $BENCH_DATASETS (10,000) bulk datasets.
# - Gapura under `valgrind --tool=callgrind --instr-atstart=no`, one I/O thread.
# - Warm-up searches, a pause for the public index to be built (in the background since run G),
#   more warm-up, then $BENCH_SEARCHES (200) sequential package_search requests over one keep-alive
#   connection, each with a new query string (so each one is searched: no page cache), with the
#   instrumentation switched on for those only. Total instructions / searches, and the top
#   functions by self cost.
# Results: bench/results/satudata-callgrind-<date>.txt (git-ignored).
# Knobs: BENCH_DATASETS, BENCH_QUERY (default "jumlah pendu"), BENCH_SEARCHES, BENCH_SETTLE (s, 30).
# Needs: sqlite3, valgrind (callgrind_control, callgrind_annotate), curl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${BENCH_DATASETS:-10000}
QUERY=${BENCH_QUERY:-jumlah pendu}
SEARCHES=${BENCH_SEARCHES:-200}
SETTLE=${BENCH_SETTLE:-30}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
for t in sqlite3 valgrind callgrind_control callgrind_annotate curl; do command -v "$t" >/dev/null || die "$t not found"; done

mkdir -p "$TMP/var"
genv 1
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }
sqlite3 -cmd ".parameter set :n $N" -cmd ".parameter set :now $(date +%s)" "$TMP/var/g.db" \
    <"$ROOT/bench/data/satudata_bulk.sql" >"$TMP/load.log" 2>&1 || { cat "$TMP/load.log" >&2; die "loading $N datasets failed"; }

env "${GENV[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/cg.out" "$BIN" serve \
    >>"$TMP/gapura.log" 2>&1 &
GPID=$!
PIDS+=("$GPID")
wait_200 "$GPORT" /healthz 120000 || { tail -n 20 "$TMP/gapura.log" >&2; die "gapura did not answer /healthz"; }
Q=$(printf '%s' "$QUERY" | sed 's/ /%20/g')
URL="http://127.0.0.1:$GPORT/api/3/action/package_search?q=$Q&facet.field=%5B%22organization%22%2C%22tags%22%2C%22year%22%5D&rows=10"
searches() {  # tag count: one curl, one keep-alive connection, a new query string per request
    local args=() i
    for ((i = 0; i < $2; i++)); do args+=(-o /dev/null "$URL&$1=$i"); done
    curl -fsS "${args[@]}"
}
searches w 5
sleep "$SETTLE"
searches v 5
callgrind_control -i on "$GPID" >/dev/null
searches u "$SEARCHES"
callgrind_control -i off "$GPID" >/dev/null
callgrind_control -d "$GPID" >/dev/null
kill "$GPID"
wait "$GPID" 2>/dev/null || true
PIDS=()
OUTS=("$TMP"/cg.out*)
TOTAL=0
for f in "${OUTS[@]}"; do
    n=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); if ($1 ~ /^[0-9]+$/) print $1}')
    TOTAL=$((TOTAL + ${n:-0}))
done

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/satudata-callgrind-$(date +%Y-%m-%d-%H%M%S).txt"
{
    echo "Gapura satudata callgrind, $(date -Iseconds)"
    echo "gapura: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', dirty tree'))"
    echo "data: $N bulk datasets; query '$QUERY', facets organization, tags, year, rows 10; $SEARCHES searches counted"
    echo "instructions per search: $((TOTAL / SEARCHES))"
    echo
    for f in "${OUTS[@]}"; do
        if grep -q "^totals: [1-9]" "$f"; then callgrind_annotate --threshold=90 "$f" 2>/dev/null | sed -n '/^Ir/,$p' | head -40; fi
    done
} | tee "$OUT"
echo "written to ${OUT#"$ROOT"/}" >&2
