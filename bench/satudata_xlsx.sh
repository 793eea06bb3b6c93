#!/usr/bin/env bash
# bench/satudata_xlsx.sh: the Satu Data download figures. A dataset of $BENCH_ROWS (200,000)
# synthetic rows (kode, nama, jumlah integer, rasio decimal) goes through the real pages
# (operator: create, declare columns, upload, submit; walidata: verify, publish), then each format
# of its published version is fetched 5 times in a row with curl on loopback: median total time,
# answer size, the first request's time (XLSX: rendered to its cache file then), the server's CPU time
# per request (from /proc schedstat) and, each format on a freshly started server, its RSS and the
# peak RSS growth the downloads caused (VmHWM minus the RSS before them); also the original file
# (signed in as its producer). Reference in the same run: nginx serving the produced XLSX bytes as
# a file. The XLSX is checked with `unzip -tq`, the original compared with the uploaded file.
# Results: bench/results/satudata-xlsx-<date>.txt (git-ignored). Knobs: BENCH_ROWS and those of
# bench/lib.sh. Needs: curl, taskset, nginx, unzip, wrk (lib.sh checks).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${BENCH_ROWS:-200000}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v unzip >/dev/null || die "unzip not found"

IDLE0=$(idle_pct)
echo "== Gapura Satu Data download bench: $BIN, $N rows" >&2
mkdir -p "$TMP/var"
genv auto
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }
GENV+=(GAPURA_PASSWORD_COST=min)
start_gapura auto
BASE="http://127.0.0.1:$GPORT"

awk -v n="$N" 'BEGIN {
    print "kode,nama,jumlah,rasio"
    for (i = 1; i <= n; i++) printf "K%07d,Desa contoh nomor %d,%d,%d.%02d\n", i, i, (i * 7919) % 100000, i % 100, i % 97
}' >"$TMP/data.csv"
CSV_BYTES=$(stat -c %s "$TMP/data.csv")

csrf() { grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
sign_in() {  # jar email
    local t
    t=$(curl -sf -c "$1" -b "$1" "$BASE/masuk" | csrf)
    curl -sf -o /dev/null -c "$1" -b "$1" --data-urlencode "_csrf=$t" --data-urlencode "email=$2" \
        --data-urlencode "password=gapura-demo-2026" "$BASE/masuk"
}
post() {  # jar page action fields...
    local jar=$1 page=$2 action=$3 t
    shift 3
    t=$(curl -sf -b "$jar" -c "$jar" "$BASE$page" | csrf)
    local args=()
    for f in "$@"; do args+=(--data-urlencode "$f"); done
    curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" -c "$jar" --data-urlencode "_csrf=$t" "${args[@]}" "$BASE$action"
}

OP="$TMP/op.jar"
WALI="$TMP/wali.jar"
sign_in "$OP" operator.pupr@demo.gapura.id
read -r code loc <<<"$(post "$OP" /data-opd/baru /data-opd/baru title="Bench unduhan besar" slug=bench-unduhan \
    frequency=tahunan region_level=kabupaten license_id=CC-BY-4.0 visibility=public period_start=2024)"
[[ $code == 303 ]] || die "create dataset: $code"
ID=$(sed -E 's#.*/data-opd/([0-9]+).*#\1#' <<<"$loc")
read -r code _ <<<"$(post "$OP" "/data-opd/$ID" "/data-opd/$ID/kolom" name_1=kode type_1=text required_1=1 \
    name_2=nama type_2=text name_3=jumlah type_3=integer name_4=rasio type_4=decimal)"
[[ $code == 303 ]] || die "columns: $code"
T=$(curl -sf -b "$OP" "$BASE/data-opd/$ID" | csrf)
T0=$(now_ms)
code=$(curl -s -o "$TMP/upload.html" -w '%{http_code}' -b "$OP" -F "_csrf=$T" -F "file=@$TMP/data.csv;type=text/csv" "$BASE/data-opd/$ID/unggah")
UPLOAD_MS=$(( $(now_ms) - T0 ))
[[ $code == 200 || $code == 303 ]] || die "upload: $code"
read -r code _ <<<"$(post "$OP" "/data-opd/$ID" "/data-opd/$ID/ajukan")"
[[ $code == 303 ]] || die "submit: $code"
sign_in "$WALI" walidata@demo.gapura.id
for step in verifikasi terbitkan; do
    read -r code _ <<<"$(post "$WALI" /walidata "/walidata/$ID/$step")"
    [[ $code == 303 ]] || die "$step: $code"
done

{
    echo "# Satu Data downloads, $(date -u +%FT%TZ), $N rows, CSV upload $(mb $((CSV_BYTES / 1024))) MB in $UPLOAD_MS ms"
    echo "# machine idle before the run: ${IDLE0}%; uptime: $(uptime)"
    echo "# server: $BIN; each format on a freshly started server: rss_mb after a warm-up request,"
    echo "# peak_growth_mb = VmHWM after the 5 downloads - that RSS (what the format adds at its worst)"
    printf '%-6s %10s %10s %12s %14s %10s %14s\n' format bytes first_ms median_ms server_cpu_ms rss_mb peak_growth_mb
} >"$TMP/result.txt"
# Each format on a fresh server process, so that its peak RSS (a high-water mark) is its own.
for fmt in xlsx csv json orig; do
    stop_gapura
    start_gapura auto
    url="$BASE/data/bench-unduhan/unduh/1.$fmt" jar=()
    [[ $fmt == orig ]] && url="$BASE/data/bench-unduhan/asli/1" jar=(-b "$OP")
    curl -sf -o /dev/null "$BASE/data/bench-unduhan" || die "warm-up"
    rss0=$(rss_kb "$GPID")
    times=()
    c0=$(cpu_ns "$GPID")
    for _ in 1 2 3 4 5; do
        read -r code t size <<<"$(curl -s "${jar[@]}" -o "$TMP/out.$fmt" -w '%{http_code} %{time_total} %{size_download}' "$url")"
        [[ $code == 200 ]] || die "$fmt: HTTP $code"
        times+=("$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')")
    done
    cpu=$(awk -v a="$c0" -v b="$(cpu_ns "$GPID")" 'BEGIN {printf "%.1f", (b - a) / 5e6}')
    hwm=$(hwm_kb "$GPID")
    printf '%-6s %10s %10s %12s %14s %10s %14s\n' "$fmt" "$size" "${times[0]}" "$(median "${times[@]}")" "$cpu" \
        "$(mb "$rss0")" "$(mb $((hwm - rss0)))" >>"$TMP/result.txt"
done
cmp -s "$TMP/out.orig" "$TMP/data.csv" || die "the original download differs from the uploaded file"
unzip -tq "$TMP/out.xlsx" >/dev/null || die "the XLSX does not pass unzip -t"

mkdir -p "$TMP/nginx/www"
cp "$TMP/out.xlsx" "$TMP/nginx/www/book.xlsx"
start_nginx "location / { include $TMP/nginx/headers.conf; }" /book.xlsx
times=()
for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$NPORT/book.xlsx")
    times+=("$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')")
done
echo "# nginx, the same XLSX bytes as a file: median $(median "${times[@]}") ms" >>"$TMP/result.txt"

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/satudata-xlsx-$(date -u +%Y%m%d-%H%M%S).txt"
cp "$TMP/result.txt" "$OUT"
cat "$OUT"
