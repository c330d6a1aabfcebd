#!/usr/bin/env bash
# City-scale benchmark: Cordon's resident import, re-import, export and list API
# on embedded SQLite, against the sqlite3 CLI and DuckDB on the same CSV in the
# same run. See bench/README.md ("City scale").
#
#   CORDON_BIN=/path/to/cordon bench/city/run.sh DATA_DIR [WORK_DIR]
#
# DATA_DIR holds places.csv and residents.csv from bench/city/gen.py.
# WORK_DIR (default DATA_DIR/run-<binary name>) is emptied and receives the
# Cordon data dir, the peers' databases, the exports, logs and results.tsv.
# Every timed step runs under /usr/bin/time -v: wall seconds (from the shell's
# clock around the command) and its maximum resident set size.
set -euo pipefail

: "${CORDON_BIN:?set CORDON_BIN to a cordon binary}"
DATA=$(cd "${1:?usage: run.sh DATA_DIR [WORK_DIR]}" && pwd)
WORK=${2:-$DATA/run-$(basename "$CORDON_BIN")}
# DuckDB (MIT) is installed from PyPI into a venv beside the data, only for this benchmark.
VENV=${BENCH_VENV:-$DATA/.duckdb-venv}
SQLITE=${SQLITE_BIN:-/usr/bin/sqlite3}
PORT=${BENCH_PORT:-18431}
PLACES=$DATA/places.csv
RESIDENTS=$DATA/residents.csv
ROWS=$(($(wc -l < "$RESIDENTS") - 1))

[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q duckdb
fi

rm -rf "$WORK"
mkdir -p "$WORK/logs"
CDATA=$WORK/cordon-data
export CORDON_DATA_DIR=$CDATA
unset CORDON_DATABASE_URL
RESULTS=$WORK/results.tsv
printf 'step\twall_s\tmax_rss_mib\texit\n' > "$RESULTS"
NOTES=$WORK/notes.txt
: > "$NOTES"

echo "cordon: $CORDON_BIN ($("$CORDON_BIN" --version 2>/dev/null || echo '?'))"
echo "sqlite3: $("$SQLITE" --version | cut -d' ' -f1); duckdb: $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
echo "rows: $ROWS; work dir: $WORK"

get() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s {print $c}' "$RESULTS"; }

# measure STEP CMD...: runs CMD under /usr/bin/time -v; stdout to logs/STEP.out,
# stderr timestamped (epoch seconds) to logs/STEP.err. Appends to results.tsv.
measure() {
    local step=$1; shift
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$WORK/logs/$step.time" "$@" > "$WORK/logs/$step.out" \
        2> >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done > "$WORK/logs/$step.err") || rc=$?
    t1=$EPOCHREALTIME
    wait  # the timestamping reader
    local kib
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/logs/$step.time")
    local wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
    printf '%s\t%s\t%.1f\t%s\n' "$step" "$wall" "$(awk -v k="${kib:-0}" 'BEGIN {print k / 1024}')" "$rc" >> "$RESULTS"
    printf '  %-28s %8s s %9.1f MiB  exit %s\n' "$step" "$wall" "$(awk -v k="${kib:-0}" 'BEGIN {print k / 1024}')" "$rc"
    echo "$t0" > "$WORK/logs/$step.start"
    return $rc
}

# Cordon -------------------------------------------------------------------
echo "== cordon"
measure places-import "$CORDON_BIN" import places "$PLACES"
sed 's/^/    /' "$WORK/logs/places-import.out"

# A revision that refuses the whole file (e.g. the 10,000,000-cell limit of a
# sheet: 10 columns x (1,000,000 rows + header) is 10,000,010) gets the same rows
# in two halves, each imported in turn; the figures are then the sum of the two
# times and the larger of the two peaks, and the notes say so.
split_residents() {
    local half=$(( (ROWS + 1) / 2 ))
    awk -v h="$half" -v a="$WORK/residents-a.csv" -v b="$WORK/residents-b.csv" \
        'NR == 1 {print > a; print > b; next} NR <= h + 1 {print > a; next} {print > b}' "$RESIDENTS"
    touch "$WORK/split"
}
# BENCH_SPLIT=1 imports the two halves from the start (to compare a revision
# that takes the whole file with one that does not, on the same footing).
if [ "${BENCH_SPLIT:-0}" = 1 ]; then
    split_residents
    echo "BENCH_SPLIT=1: residents imported as two halves of $(( (ROWS + 1) / 2 )) and $(( ROWS / 2 )) rows" >> "$NOTES"
fi
import_residents() {  # STEP
    local step=$1
    if [ ! -e "$WORK/split" ]; then
        if measure "$step" "$CORDON_BIN" import residents "$RESIDENTS"; then
            sed 's/^/    /' "$WORK/logs/$step.out"
            return 0
        fi
        if grep -q 'more than [0-9]* cells' "$WORK/logs/$step.err"; then
            echo "    refused whole: $(tail -1 "$WORK/logs/$step.err" | cut -d' ' -f2-)"
            echo "$step: the whole file was refused after $(get "$step" 2) s, max RSS $(get "$step" 3) MiB ($(tail -1 "$WORK/logs/$step.err" | cut -d' ' -f2-)); imported as two halves instead" >> "$NOTES"
            split_residents
            sed -i "/^$step\t/d" "$RESULTS"
        else
            tail -5 "$WORK/logs/$step.err" >&2
            return 1
        fi
    fi
    measure "$step-a" "$CORDON_BIN" import residents "$WORK/residents-a.csv"
    sed 's/^/    /' "$WORK/logs/$step-a.out"
    measure "$step-b" "$CORDON_BIN" import residents "$WORK/residents-b.csv"
    sed 's/^/    /' "$WORK/logs/$step-b.out"
    awk -F'\t' -v s="$step" '$1 == s "-a" || $1 == s "-b" {w += $2; if ($3 > m) m = $3; r += $4}
        END {printf "%s\t%.2f\t%.1f\t%d\n", s, w, m, r}' "$RESULTS" >> "$RESULTS"
}
import_residents import
import_residents reimport
measure export "$CORDON_BIN" export residents --format csv -o "$WORK/cordon-export.csv"
echo "    exported $(($(wc -l < "$WORK/cordon-export.csv") - 1)) rows, $(du -m "$WORK/cordon-export.csv" | cut -f1) MiB"

# Peers --------------------------------------------------------------------
echo "== peers"
cat > "$WORK/sqlite-import.sql" <<EOF
.mode csv
.import '$RESIDENTS' t
CREATE UNIQUE INDEX t_id ON t("身份证号");
SELECT count(*) FROM t;
EOF
measure sqlite3-import "$SQLITE" "$WORK/peer.sqlite" ".read '$WORK/sqlite-import.sql'"
echo "    $(cat "$WORK/logs/sqlite3-import.out") rows"
cat > "$WORK/sqlite-export.sql" <<EOF
.headers on
.mode csv
.output '$WORK/sqlite-export.csv'
SELECT * FROM t;
EOF
measure sqlite3-export "$SQLITE" "$WORK/peer.sqlite" ".read '$WORK/sqlite-export.sql'"

cat > "$WORK/duckdb-import.py" <<EOF
import duckdb
con = duckdb.connect("$WORK/peer.duckdb")
con.execute("CREATE TABLE t AS SELECT * FROM read_csv('$RESIDENTS', header=true, all_varchar=true)")
con.execute('CREATE UNIQUE INDEX t_id ON t("身份证号")')
print(con.execute("SELECT count(*) FROM t").fetchone()[0])
con.close()
EOF
measure duckdb-import "$VENV/bin/python" "$WORK/duckdb-import.py"
echo "    $(cat "$WORK/logs/duckdb-import.out") rows"
cat > "$WORK/duckdb-export.py" <<EOF
import duckdb
con = duckdb.connect("$WORK/peer.duckdb")
con.execute("COPY t TO '$WORK/duckdb-export.csv' (HEADER, DELIMITER ',')")
con.close()
EOF
measure duckdb-export "$VENV/bin/python" "$WORK/duckdb-export.py"

# List API -----------------------------------------------------------------
echo "== list API"
echo 'a long bench password 2026' | "$CORDON_BIN" user add bench --role command --scope city --password-stdin > "$WORK/logs/user-add.out"
TOKEN=$("$CORDON_BIN" token create --user bench 2>/dev/null | grep -o 'cdn_[A-Za-z0-9_-]*' | head -1)
[ -n "$TOKEN" ] || { echo "no token" >&2; exit 1; }
/usr/bin/time -v -o "$WORK/logs/serve.time" "$CORDON_BIN" serve --bind "127.0.0.1:$PORT" > "$WORK/logs/serve.out" 2> "$WORK/logs/serve.err" &
TIME_PID=$!
stop_server() {
    local child
    child=$(pgrep -P "$TIME_PID" || true)
    [ -n "$child" ] && kill -INT "$child" 2>/dev/null || true
    wait "$TIME_PID" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break
    sleep 0.2
done
BASE=http://127.0.0.1:$PORT
api() { curl -sf -H "Authorization: Bearer $TOKEN" "$BASE$1"; }
CITY=$(api /api/v1/places | jq '.[0].id')
DISTRICT=$(api "/api/v1/places/$CITY/children" | jq '.items[0].id')
STREET=$(api "/api/v1/places/$DISTRICT/children" | jq '.items[0].id')
echo "  city $CITY, district $DISTRICT, street $STREET"
API_RESULTS=$WORK/api.tsv
printf 'request\tstatus\tbytes\titems_or_total\ttimes_s\tmedian_s\n' > "$API_RESULTS"
timed_get() {  # PATH
    local path=$1 times=() code size out
    for _ in 1 2 3 4 5; do
        out=$(curl -s -o "$WORK/api-body.json" -w '%{http_code} %{size_download} %{time_total}' \
            -H "Authorization: Bearer $TOKEN" "$BASE$path")
        read -r code size t <<< "$out"
        times+=("$t")
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
    local count
    count=$(jq -r 'if type == "array" then length elif .total != null then "\(.items | length) of \(.total)" else "?" end' "$WORK/api-body.json" 2>/dev/null || echo '?')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$path" "$code" "$size" "$count" "${times[*]}" "$median" >> "$API_RESULTS"
    printf '  %-40s %s %8s B  %-18s median %s s  (%s)\n' "$path" "$code" "$size" "$count" "$median" "${times[*]}"
}
timed_get /api/v1/residents
timed_get '/api/v1/residents?page=5000'
timed_get '/api/v1/residents?tag=dialysis'
timed_get /api/v1/places
timed_get "/api/v1/places/$STREET/children"
stop_server
trap - EXIT
echo "  serve max RSS $(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/logs/serve.time") MiB"

# Phases of the imports, cut at their progress lines (every tenth of the work:
# done 0..total/2 is the row loop, total/2..total the chunked inserts; the first
# line comes once the file is read and checked and the tree below the compounds
# is built; after the last line, the commit and the import's record).
phases() {  # STEP
    local f=$WORK/logs/$1
    [ -e "$f.err" ] || return 0
    awk -v t0="$(cat "$f.start")" -v end="$(get "$1" 2)" -v s="$1" '
        / importing residents: / {split($NF, d, "/"); n = d[1] + 0; tot = d[2] + 0
            if (first == "") first = $1 - t0
            if (half == "" && n >= tot / 2) half = $1 - t0
            if (n == tot && ins == "") ins = $1 - t0
            if (n == tot) last = $1 - t0}
        END {if (first != "") printf "  %-10s first progress line %6.1f s | row loop done %6.1f s | inserts done %6.1f s | last line %6.1f s | exit %6.1f s\n", s, first, half, ins, last, end}' "$f.err"
}

# Table --------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1f", a / b; else print "-"}'; }
echo
echo "== results ($ROWS residents)"
printf '%-34s %9s %13s  %s\n' contender "wall s" "max RSS MiB" "ratio"
row() {  # LABEL STEP RATIO_TEXT
    printf '%-34s %9s %13s  %s\n' "$1" "$(get "$2" 2)" "$(get "$2" 3)" "$3"
}
I=$(get import 2); R=$(get reimport 2); E=$(get export 2)
SI=$(get sqlite3-import 2); DI=$(get duckdb-import 2); SE=$(get sqlite3-export 2); DE=$(get duckdb-export 2)
row "cordon import places (setup)" places-import ""
row "cordon import residents" import "÷ DuckDB $(ratio "$I" "$DI"), ÷ sqlite3 $(ratio "$I" "$SI")"
row "cordon re-import (unchanged)" reimport "÷ DuckDB $(ratio "$R" "$DI"), ÷ sqlite3 $(ratio "$R" "$SI")"
row "cordon export residents csv" export "÷ sqlite3 CSV $(ratio "$E" "$SE"), ÷ DuckDB COPY $(ratio "$E" "$DE")"
row "sqlite3 CLI .import + unique index" sqlite3-import ""
row "sqlite3 CLI CSV out" sqlite3-export ""
row "DuckDB read_csv + unique index" duckdb-import ""
row "DuckDB COPY TO csv" duckdb-export ""
echo
echo "== import phases (seconds from start)"
for s in import import-a import-b reimport reimport-a reimport-b; do phases "$s"; done
if [ -s "$NOTES" ]; then echo; echo "notes:"; sed 's/^/  /' "$NOTES"; fi
