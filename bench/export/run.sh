#!/usr/bin/env bash
# The residents export against the sqlite3 CLI writing the same rows, on one
# Cordon data directory (residents already imported), in the same run.
#
#   CORDON_BIN=/path/to/cordon bench/export/run.sh CORDON_DATA_DIR [OUT_DIR]
#
# Steps, each under /usr/bin/time -v (wall seconds from the shell's clock,
# maximum resident set size from time):
#   cordon-csv    cordon export residents --format csv -o OUT/cordon.csv
#   cordon-xlsx   cordon export residents --format xlsx -o OUT/cordon.xlsx
#   sqlite3-csv   sqlite3 -csv: the export's query (the same joins, the same
#                 order by id) with the masking and the age done in SQL
# OUT_DIR (default: a directory under /tmp) receives the files and results.tsv.
set -euo pipefail

: "${CORDON_BIN:?set CORDON_BIN to a cordon binary}"
DATA=$(cd "${1:?usage: run.sh CORDON_DATA_DIR [OUT_DIR]}" && pwd)
OUT=${2:-$(mktemp -d /tmp/cordon-export-bench.XXXXXX)}
SQLITE=${SQLITE_BIN:-/usr/bin/sqlite3}
DB=$DATA/cordon.db
[ -e "$DB" ] || { echo "no cordon.db in $DATA" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 1; }
mkdir -p "$OUT"
export CORDON_DATA_DIR=$DATA
unset CORDON_DATABASE_URL
RESULTS=$OUT/results.tsv
printf 'step\twall_s\tmax_rss_mib\tfile_mib\n' > "$RESULTS"
ROWS=$("$SQLITE" "$DB" 'SELECT count(*) FROM residents')
echo "cordon: $CORDON_BIN; sqlite3 $("$SQLITE" --version | cut -d' ' -f1); $ROWS residents; out: $OUT"

measure() {  # STEP FILE CMD...
    local step=$1 file=$2; shift 2
    local t0 t1
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$OUT/$step.time" "$@" > "$OUT/$step.out" 2> "$OUT/$step.err"
    t1=$EPOCHREALTIME
    local kib wall mib
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/$step.time")
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
    mib=$(du -m "$file" | cut -f1)
    printf '%s\t%s\t%.1f\t%s\n' "$step" "$wall" "$(awk -v k="$kib" 'BEGIN {print k / 1024}')" "$mib" >> "$RESULTS"
    printf '  %-12s %8s s %9.1f MiB RSS  %6s MiB file\n' "$step" "$wall" "$(awk -v k="$kib" 'BEGIN {print k / 1024}')" "$mib"
}

# The same rows as Cordon's CSV: address, name, ID number to its last four,
# phone masked, age today, sex, tags (the stored keys; Cordon words them in
# Chinese), id.
cat > "$OUT/sqlite-export.sql" <<'SQL'
SELECT cp.name || ' ' || b.name || '-' || e.name || '-' || h.name AS address, r.name,
       '**************' || substr(r.id_number, 15) AS id_number,
       CASE WHEN r.phone IS NULL THEN '' ELSE substr(r.phone, 1, 3) || '****' || substr(r.phone, 8) END AS phone,
       CAST(strftime('%Y', 'now', 'localtime') AS INTEGER) - CAST(substr(r.birth_date, 1, 4) AS INTEGER)
         - (strftime('%m-%d', 'now', 'localtime') < substr(r.birth_date, 6, 5)) AS age,
       r.sex, r.tags, r.id
FROM residents r JOIN places h ON h.id = r.household_id JOIN places e ON e.id = h.parent_id
JOIN places b ON b.id = e.parent_id JOIN places cp ON cp.id = b.parent_id
ORDER BY r.id;
SQL

measure sqlite3-csv "$OUT/sqlite3.csv" sh -c "'$SQLITE' -csv -header '$DB' < '$OUT/sqlite-export.sql' > '$OUT/sqlite3.csv'"
measure cordon-csv "$OUT/cordon.csv" "$CORDON_BIN" export residents --format csv -o "$OUT/cordon.csv"
measure cordon-xlsx "$OUT/cordon.xlsx" "$CORDON_BIN" export residents --format xlsx -o "$OUT/cordon.xlsx"

get() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s {print $c}' "$RESULTS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
echo
echo "rows: cordon csv $(($(wc -l < "$OUT/cordon.csv") - 1)), sqlite3 csv $(($(wc -l < "$OUT/sqlite3.csv") - 1))"
echo "cordon csv ÷ sqlite3 csv: $(ratio "$(get cordon-csv 2)" "$(get sqlite3-csv 2)") (target: at most 2)"
echo "cordon xlsx ÷ sqlite3 csv: $(ratio "$(get cordon-xlsx 2)" "$(get sqlite3-csv 2)")"
