#!/usr/bin/env bash
# bench/satudata_upload.sh: the figures of the Satu Data upload issue (streamed to disk and
# validated row by row while it arrives; see docs/PERFORMANCE.md).
#
# A BENCH_UPLOAD_MB (default 100) MB CSV of 5 declared columns (region code, text, integer,
# decimal, date; every row valid) is generated, a producer signs in, declares the columns and
# uploads it with curl (multipart, Expect: 100-continue) to POST /data-opd/{id}/unggah, BENCH_ROUNDS
# times (default 3; each round a fresh dataset so every upload is stored). The server is pinned
# to one core (BENCH_SERVER_CPU), curl to the other. Figures per round:
#   - validation throughput: file MB / CPU seconds the server spent on the request (read, parse
#     multipart, SHA-256, write to disk, validate every row, fsync, rename, record); target >= 50 MB/s;
#   - wall time and MB/s as curl saw them;
#   - memory growth: the server's peak RSS during the upload (VmHWM, reset before it through
#     /proc/PID/clear_refs) minus its RSS before; target < 64 MB.
# A ZIP posing as CSV of the same size is uploaded once: time to the 415 and bytes curl sent.
# References in the same run: nginx (pinned like Gapura) accepting the same file by WebDAV PUT
# (it too writes the body to a temp file and renames it), and `wc -l` / `cat` reading the file
# from the page cache on the server's core.
# Results: bench/results/satudata-upload-<date>.txt (git-ignored). Needs: curl, nginx, taskset.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SIZE_MB=${BENCH_UPLOAD_MB:-100}
ROUNDS=${BENCH_ROUNDS:-3}

IDLE0=$(idle_pct)
echo "== Gapura Satu Data upload bench: $BIN, ${SIZE_MB} MB x $ROUNDS" >&2
mkdir -p "$TMP/var"
genv 1
env "${GENV[@]}" GAPURA_PASSWORD_COST=min "$BIN" seed --demo >"$TMP/seed.log" 2>&1 ||
    { cat "$TMP/seed.log" >&2; die "gapura seed failed"; }

# ---- the file: valid rows over the regency's kecamatan codes ----
CSV="$TMP/data.csv"
awk -v target=$((SIZE_MB * 1024 * 1024)) 'BEGIN {
    split("35.23.01 35.23.02 35.23.03 35.23.04 35.23.05 35.23.06 35.23.07 35.23.08 35.23.09 35.23.10", k, " ")
    print "kode,nama,jumlah,nilai,tanggal"; n = 40
    for (i = 1; n < target; i++) {
        line = sprintf("%s,\"Desa uji %d, RT %d\",%d,%d.%02d,2025-%02d-%02d", k[i % 10 + 1], i, i % 17, i * 7 % 100000, i % 9999, i % 100, i % 12 + 1, i % 28 + 1)
        print line; n += length(line) + 1
    }
}' >"$CSV"
BYTES=$(stat -c %s "$CSV")
ZIP="$TMP/bomb.csv"
{ printf 'PK\003\004\024\000\000\000\010\000'; head -c "$BYTES" /dev/zero; } | head -c "$BYTES" >"$ZIP"

start_gapura 1
BASE="http://127.0.0.1:$GPORT"
JAR="$TMP/jar.txt"
csrf() { curl -fsS -c "$JAR" -b "$JAR" "$BASE$1" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1; }
curl -fsS -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "email=operator.pupr@demo.gapura.id" \
    --data-urlencode "password=gapura-demo-2026" --data-urlencode "_csrf=$(csrf /masuk)" "$BASE/masuk"
new_dataset() {  # slug -> prints the id
    local loc
    loc=$(curl -fsS -o /dev/null -w '%{redirect_url}' -c "$JAR" -b "$JAR" --data-urlencode "_csrf=$(csrf /data-opd/baru)" \
        -d "title=Uji+unggah+$1&slug=$1&frequency=tahunan&region_level=kecamatan&visibility=public&license_id=CC-BY-4.0" \
        "$BASE/data-opd/baru")
    local id=${loc#*/data-opd/}
    id=${id%%\?*}
    [[ $id =~ ^[0-9]+$ ]] || die "dataset not created ($loc)"
    curl -fsS -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "_csrf=$(csrf "/data-opd/$id")" \
        -d "name_1=kode&type_1=region&required_1=1&name_2=nama&type_2=text&name_3=jumlah&type_3=integer&required_3=1&name_4=nilai&type_4=decimal&name_5=tanggal&type_5=date" \
        "$BASE/data-opd/$id/kolom"
    echo "$id"
}
upload() {  # id file -> "status seconds bytes_sent"
    curl -sS -o "$TMP/answer.html" -w '%{http_code} %{time_total} %{size_upload}\n' -c "$JAR" -b "$JAR" \
        -H 'Expect: 100-continue' -F "_csrf=$(csrf "/data-opd/$1")" -F "file=@$2;type=text/csv;filename=data.csv" \
        "$BASE/data-opd/$1/unggah"
}

declare -a CPU_MBS WALL_MBS GROW_MB
for r in $(seq 1 "$ROUNDS"); do
    id=$(new_dataset "bench-unggah-$r")
    sync
    echo 5 >"/proc/$GPID/clear_refs" 2>/dev/null || die "cannot reset the peak RSS (run as root)"
    rss0=$(rss_kb "$GPID")
    c0=$(cpu_ns "$GPID")
    read -r code secs _ < <(upload "$id" "$CSV")
    c1=$(cpu_ns "$GPID")
    hwm=$(hwm_kb "$GPID")
    [[ $code == 200 ]] || { head -c 2000 "$TMP/answer.html" >&2; die "upload answered $code"; }
    grep -q 'lolos validasi' "$TMP/answer.html" || die "the upload was not accepted"
    CPU_MBS+=("$(awk -v b="$BYTES" -v n="$((c1 - c0))" 'BEGIN {printf "%.1f", b / 1048576 / (n / 1e9)}')")
    WALL_MBS+=("$(awk -v b="$BYTES" -v s="$secs" 'BEGIN {printf "%.1f", b / 1048576 / s}')")
    GROW_MB+=("$(awk -v a="$rss0" -v b="$hwm" 'BEGIN {printf "%.1f", (b - a) / 1024}')")
    printf '  round %d: %s MB/s per server CPU second, %s MB/s wall (%.2f s), RSS %s MB -> peak %s MB (+%s MB)\n' "$r" \
        "${CPU_MBS[-1]}" "${WALL_MBS[-1]}" "$secs" "$(mb "$rss0")" "$(mb "$hwm")" "${GROW_MB[-1]}" >&2
done
[[ -z $(ls -A "$TMP/var/files/tmp") ]] || die "temp files left in var/files/tmp"

# The ZIP posing as CSV: refused from its first bytes.
id=$(new_dataset "bench-bom")
read -r zcode zsecs zsent < <(upload "$id" "$ZIP")
[[ $zcode == 415 ]] || die "the zip answered $zcode"
printf '  zip as CSV (%s MB): %s in %.3f s after %s bytes sent\n' "$SIZE_MB" "$zcode" "$zsecs" "$zsent" >&2
RSS_END=$(rss_kb "$GPID")
stop_gapura

# ---- references on the server's core ----
cat "$CSV" >/dev/null
t0=$(now_us); taskset -c "$SCPU" wc -l "$CSV" >/dev/null; t1=$(now_us)
WC_MBS=$(awk -v b="$BYTES" -v t="$((t1 - t0))" 'BEGIN {printf "%.0f", b / 1048576 / (t / 1e6)}')
t0=$(now_us); taskset -c "$SCPU" cat "$CSV" >/dev/null; t1=$(now_us)
CAT_MBS=$(awk -v b="$BYTES" -v t="$((t1 - t0))" 'BEGIN {printf "%.0f", b / 1048576 / (t / 1e6)}')
mkdir -p "$TMP/nginx/www/up"
echo ok >"$TMP/nginx/www/ok.txt"
start_nginx "        location / { }
        location /up/ { dav_methods PUT; client_max_body_size 1g; client_body_buffer_size 256k; create_full_put_path on; }" /ok.txt
chmod 777 "$TMP/nginx/www/up" "$TMP/nginx/tmp"
declare -a NG_MBS NG_WALL
for r in $(seq 1 "$ROUNDS"); do
    sync
    c0=$(cpu_ns "${NG_ALL[@]}")
    read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Expect: 100-continue' -T "$CSV" "http://127.0.0.1:$NPORT/up/data-$r.csv")
    c1=$(cpu_ns "${NG_ALL[@]}")
    [[ $code == 201 || $code == 204 ]] || die "nginx PUT answered $code"
    NG_MBS+=("$(awk -v b="$BYTES" -v n="$((c1 - c0))" 'BEGIN {printf "%.1f", b / 1048576 / (n / 1e9)}')")
    NG_WALL+=("$(awk -v b="$BYTES" -v s="$secs" 'BEGIN {printf "%.1f", b / 1048576 / s}')")
    printf '  nginx PUT round %d: %s MB/s per CPU second, %s MB/s wall\n' "$r" "${NG_MBS[-1]}" "${NG_WALL[-1]}" >&2
done

G_CPU=$(median "${CPU_MBS[@]}")
G_WALL=$(median "${WALL_MBS[@]}")
G_GROW=$(printf '%s\n' "${GROW_MB[@]}" | sort -n | tail -n 1)
N_CPU=$(median "${NG_MBS[@]}")
N_WALL=$(median "${NG_WALL[@]}")
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/satudata-upload-$(date +%Y-%m-%d-%H%M%S).txt"
{
    echo "Satu Data upload bench, $(date -u +%FT%TZ), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "machine: $(getconf _NPROCESSORS_ONLN) cores, load before $LOAD0, idle before ${IDLE0}%, load after $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "file: $BYTES bytes ($SIZE_MB MB), $(wc -l <"$CSV") lines, 5 columns; server on core $SCPU, curl on core $CCPU; $ROUNDS rounds (median)"
    echo
    printf '%-44s %10s %10s\n' "" "MB/s CPU" "MB/s wall"
    printf '%-44s %10s %10s\n' "gapura upload (stream, validate, store)" "$G_CPU" "$G_WALL"
    printf '%-44s %10s %10s\n' "nginx WebDAV PUT of the same file" "$N_CPU" "$N_WALL"
    printf '%-44s %10s\n' "wc -l (page cache, one core)" "$WC_MBS"
    printf '%-44s %10s\n' "cat > /dev/null (page cache, one core)" "$CAT_MBS"
    echo
    echo "gapura per round (MB/s CPU): ${CPU_MBS[*]}; wall: ${WALL_MBS[*]}"
    echo "memory growth during the upload (peak RSS - RSS before), per round (MB): ${GROW_MB[*]}; RSS at the end $(mb "$RSS_END") MB"
    echo "zip posing as CSV ($SIZE_MB MB): $zcode after $zsecs s, $zsent bytes sent by curl"
    echo
    echo "target validation >= 50 MB/s on one core: $(verdict "$G_CPU" ">=" 50) ($G_CPU)"
    echo "target memory growth < 64 MB for a ${SIZE_MB} MB upload: $(verdict "$G_GROW" "<" 64) (max $G_GROW MB)"
} | tee "$OUT"
echo "results in $OUT" >&2
