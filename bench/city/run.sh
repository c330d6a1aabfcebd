#!/usr/bin/env bash
# City-scale benchmark, one command, one run, the same files for everyone:
# Cordon's places and residents import, re-import and exports (CSV, XLSX) on
# embedded SQLite and on PostgreSQL, the sqlite3 CLI, DuckDB and psql COPY on
# the same residents.csv, then a load test of every resident and place page
# and API call on each engine (bench/load). Prints time and peak memory of each
# step, Cordon's ratio to each peer and the goals of issue 8, and writes it all
# to bench/city/RESULTS.md. See bench/README.md ("City scale").
#
#   bench/city/run.sh DATA_DIR [WORK_DIR]
#
# DATA_DIR holds places.csv and residents.csv from bench/city/gen.py.
# WORK_DIR (default DATA_DIR/run) is emptied and receives the databases, the
# exports, the logs (logs/STEP.{out,err,time}), results.tsv and load-*.json.
#
# Environment (defaults in brackets):
#   CORDON_BIN         [target/release/cordon, built if missing] the binary measured
#   LOAD_BIN           [target/release/cordon-load, built if missing]
#   BENCH_ENGINES      [sqlite postgres]
#   BENCH_PG_PORT      [55450] the throwaway PostgreSQL (scripts/pg-test-server)
#   BENCH_PORT         [18431] cordon serve during the load test
#   BENCH_USERS        [16] command users, each with a token and a session
#   BENCH_CONCURRENCY  [16] BENCH_REQUESTS [1000] BENCH_DURATION [10 s]: per target
#   BENCH_DEEP_PAGE    [5000, at most half the pages] the deep page walked to
#   BENCH_RESULTS_MD   [bench/city/RESULTS.md] where the figures go; "-": only WORK_DIR/RESULTS.md
#   BENCH_PERF         [0] 1: Cordon's import, re-import and CSV export under
#                      `perf record -g` (logs/STEP.perf.data, top symbols in logs/STEP.perf.txt);
#                      perf slows them, so quote the times of a run without it
#   CORDON_LOG         [info,sqlx=warn,cordon_store=debug] the binary's log filter
# Every timed step runs under /usr/bin/time -v: wall seconds from the shell's
# clock around the command, peak RSS of the process (for PostgreSQL: of the
# cordon client, not of the server).
set -euo pipefail
export LC_ALL=C.UTF-8

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$(cd "${1:?usage: run.sh DATA_DIR [WORK_DIR]}" && pwd)
WORK=${2:-$DATA/run}
CORDON_BIN=${CORDON_BIN:-$REPO/target/release/cordon}
LOAD_BIN=${LOAD_BIN:-$REPO/target/release/cordon-load}
ENGINES=${BENCH_ENGINES:-sqlite postgres}
PG_PORT=${BENCH_PG_PORT:-55450}
PG_DIR=/tmp/cordon-bench-pg-$PG_PORT
PORT=${BENCH_PORT:-18431}
USERS=${BENCH_USERS:-16}
CONCURRENCY=${BENCH_CONCURRENCY:-16}
REQUESTS=${BENCH_REQUESTS:-1000}
DURATION=${BENCH_DURATION:-10}
RESULTS_MD=${BENCH_RESULTS_MD:-$REPO/bench/city/RESULTS.md}
PERF=${BENCH_PERF:-0}
export CORDON_LOG=${CORDON_LOG:-info,sqlx=warn,cordon_store=debug}
export NO_COLOR=1  # plain log lines in logs/*.err
# DuckDB (MIT) is installed from PyPI into a venv beside the data, only for this benchmark.
VENV=${BENCH_VENV:-$DATA/.duckdb-venv}
SQLITE=${SQLITE_BIN:-/usr/bin/sqlite3}
PLACES=$DATA/places.csv
RESIDENTS=$DATA/residents.csv
ROWS=$(($(wc -l < "$RESIDENTS") - 1))
COMPOUNDS=$(($(wc -l < "$PLACES") - 1))
PASSWORD='a long bench password 2026'
COMMAND_LINE="$(env | grep -E '^(BENCH_[A-Z_]+|CORDON_BIN|LOAD_BIN)=' | sort | tr '\n' ' ')bench/city/run.sh $*"

for tool in /usr/bin/time curl jq "$SQLITE"; do
    command -v "$tool" > /dev/null || { echo "needs $tool" >&2; exit 1; }
done
if [ ! -x "$CORDON_BIN" ]; then
    [ "$CORDON_BIN" = "$REPO/target/release/cordon" ] || { echo "no binary at $CORDON_BIN" >&2; exit 1; }
    (cd "$REPO" && cargo build --release -p cordon)
fi
if [ ! -x "$LOAD_BIN" ]; then
    [ "$LOAD_BIN" = "$REPO/target/release/cordon-load" ] || { echo "no binary at $LOAD_BIN" >&2; exit 1; }
    (cd "$REPO" && cargo build --release -p cordon-load)
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q duckdb
fi
if [ "$PERF" = 1 ] && ! { command -v perf > /dev/null && perf record -q -o /dev/null -- true 2> /dev/null; }; then
    echo "BENCH_PERF=1 but perf is missing or may not record here (apt-get install linux-perf; perf_event_paranoid): running without" >&2
    PERF=0
fi

rm -rf "$WORK"
mkdir -p "$WORK/logs"
RESULTS=$WORK/results.tsv
printf 'step\twall_s\tmax_rss_mib\texit\n' > "$RESULTS"
NOTES=$WORK/notes.txt
: > "$NOTES"
note() { echo "$*" >> "$NOTES"; }

CORDON_VERSION=$("$CORDON_BIN" --version 2>/dev/null || echo '?')
SQLITE_VERSION=$("$SQLITE" --version | cut -d' ' -f1)
DUCKDB_VERSION=$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')
echo "cordon: $CORDON_BIN ($CORDON_VERSION); load: $LOAD_BIN"
echo "sqlite3 $SQLITE_VERSION; duckdb $DUCKDB_VERSION; engines: $ENGINES"
echo "$ROWS residents in $COMPOUNDS compounds; work dir: $WORK"

get() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s {v = $c} END {print v}' "$RESULTS"; }

# measure STEP CMD...: runs CMD under /usr/bin/time -v; stdout to logs/STEP.out,
# stderr timestamped (epoch seconds) to logs/STEP.err. Appends to results.tsv.
measure() {
    local step=$1; shift
    local t0 t1 rc=0 cmd=("$@")
    if [ "$PERF" = 1 ] && [ "${PERF_STEP:-0}" = 1 ]; then
        cmd=(perf record -g -q -o "$WORK/logs/$step.perf.data" -- "$@")
    fi
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$WORK/logs/$step.time" "${cmd[@]}" > "$WORK/logs/$step.out" \
        2> >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done > "$WORK/logs/$step.err") || rc=$?
    t1=$EPOCHREALTIME
    wait  # the timestamping reader
    echo "$t0" > "$WORK/logs/$step.start"
    local kib wall mib
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/logs/$step.time")
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
    mib=$(awk -v k="${kib:-0}" 'BEGIN {printf "%.1f", k / 1024}')
    printf '%s\t%s\t%s\t%s\n' "$step" "$wall" "$mib" "$rc" >> "$RESULTS"
    printf '  %-26s %8s s %9s MiB  exit %s\n' "$step" "$wall" "$mib" "$rc"
    if [ -e "$WORK/logs/$step.perf.data" ]; then
        perf report -i "$WORK/logs/$step.perf.data" --no-children -g none --sort dso,symbol \
            --percent-limit 0.5 --stdio 2> /dev/null | grep -E '^ +[0-9.]+%' | head -60 \
            | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+/ /g; s/^ //' > "$WORK/logs/$step.perf.txt" || true
    fi
    if [ "$rc" != 0 ]; then
        echo "    $step failed (exit $rc):" >&2
        tail -5 "$WORK/logs/$step.err" | cut -d' ' -f2- | sed 's/^/    /' >&2
    fi
    return $rc
}

# Servers this script started, stopped on any exit.
SERVE_PID=
PG_STARTED=
stop_serve() {
    if [ -n "$SERVE_PID" ]; then
        local child
        child=$(pgrep -P "$SERVE_PID" || true)
        [ -n "$child" ] && kill -INT "$child" 2> /dev/null || true
        wait "$SERVE_PID" 2> /dev/null || true
        SERVE_PID=
    fi
}
stop_pg() {
    if [ -n "$PG_STARTED" ]; then
        "$REPO/scripts/pg-test-server" stop "$PG_DIR"
        PG_STARTED=
    fi
}
trap 'stop_serve; stop_pg' EXIT

PG_BIN=
start_pg() {
    PG_URL=$("$REPO/scripts/pg-test-server" start "$PG_DIR" "$PG_PORT" 2> "$WORK/logs/pg-start.err")
    PG_STARTED=1
    PG_ROOT=${PG_URL%/*}  # the server, without the database name
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
    echo "  PostgreSQL $PG_VERSION at $PG_URL (fsync off: scripts/pg-test-server)"
}
psql_() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# Cordon on one engine ---------------------------------------------------------
engine_env() {  # ENGINE: points cordon at its database
    case $1 in
    sqlite)
        export CORDON_DATA_DIR=$WORK/sqlite/data
        unset CORDON_DATABASE_URL
        ;;
    postgres)
        export CORDON_DATA_DIR=$WORK/postgres/unused
        export CORDON_DATABASE_URL=$PG_ROOT/cordon
        ;;
    esac
}

db_size_mib() {  # ENGINE
    case $1 in
    sqlite) du -sm "$WORK/sqlite/data" | cut -f1 ;;
    postgres) psql_ "$PG_URL" -At -c "SELECT pg_database_size('cordon') / 1048576" ;;
    esac
}

cordon_steps() {  # ENGINE
    local e=$1
    echo "== cordon on $e"
    mkdir -p "$WORK/$e"
    if [ "$e" = postgres ]; then
        start_pg
        psql_ "$PG_URL" -c 'CREATE DATABASE cordon'
    fi
    engine_env "$e"
    measure "$e.places-import" "$CORDON_BIN" import places "$PLACES"
    sed 's/^/    /' "$WORK/logs/$e.places-import.out"
    PERF_STEP=1 measure "$e.import" "$CORDON_BIN" import residents "$RESIDENTS"
    sed 's/^/    /' "$WORK/logs/$e.import.out"
    PERF_STEP=1 measure "$e.reimport" "$CORDON_BIN" import residents "$RESIDENTS"
    sed 's/^/    /' "$WORK/logs/$e.reimport.out"
    grep -q "unchanged $ROWS\$" "$WORK/logs/$e.reimport.out" || note "$e: the re-import did not say unchanged $ROWS: $(cat "$WORK/logs/$e.reimport.out")"
    local size
    size=$(db_size_mib "$e")
    echo "    database: $size MiB"
    printf '%s.db-size\t\t%s\t0\n' "$e" "$size" >> "$RESULTS"
    PERF_STEP=1 measure "$e.export-csv" "$CORDON_BIN" export residents --format csv -o "$WORK/$e/export.csv"
    local rows
    rows=$(($(wc -l < "$WORK/$e/export.csv") - 1))
    echo "    $rows rows, $(du -m "$WORK/$e/export.csv" | cut -f1) MiB"
    [ "$rows" = "$ROWS" ] || note "$e: the CSV export has $rows rows, not $ROWS"
    if measure "$e.export-xlsx" "$CORDON_BIN" export residents --format xlsx -o "$WORK/$e/export.xlsx"; then
        echo "    $(du -m "$WORK/$e/export.xlsx" | cut -f1) MiB"
    else
        note "$e: the XLSX export failed: $(tail -1 "$WORK/logs/$e.export-xlsx.err" | cut -d' ' -f2-)"
    fi
    load_test "$e"
    rm -f "$WORK/$e/export.csv" "$WORK/$e/export.xlsx"
}

# The load test of one engine: users with tokens and passwords, cordon serve,
# the ids the targets need read from the API, then bench/load.
load_test() {  # ENGINE
    local e=$1 dir=$WORK/$e/load
    echo "  -- load test on $e: $CONCURRENCY clients, at most $REQUESTS requests and $DURATION s a target"
    mkdir -p "$dir"
    : > "$dir/tokens"
    : > "$dir/logins"
    chmod 600 "$dir/tokens" "$dir/logins"
    for i in $(seq 1 "$USERS"); do
        echo "$PASSWORD" | "$CORDON_BIN" user add "bench$i" --role command --scope city --password-stdin > /dev/null
        "$CORDON_BIN" token create --user "bench$i" 2> /dev/null | grep -o 'cdn_[A-Za-z0-9_-]*' | head -1 >> "$dir/tokens"
        echo "bench$i $PASSWORD" >> "$dir/logins"
    done
    local token
    token=$(head -1 "$dir/tokens")
    [ -n "$token" ] || { echo "no token" >&2; return 1; }
    /usr/bin/time -v -o "$WORK/logs/$e.serve.time" "$CORDON_BIN" serve --bind "127.0.0.1:$PORT" \
        > "$WORK/logs/$e.serve.out" 2> "$WORK/logs/$e.serve.err" &
    SERVE_PID=$!
    local base=http://127.0.0.1:$PORT up=
    for _ in $(seq 1 300); do
        curl -sf "$base/healthz" > /dev/null && { up=1; break; }
        sleep 0.2
    done
    [ -n "$up" ] || { echo "cordon serve did not come up" >&2; tail -5 "$WORK/logs/$e.serve.err" >&2; return 1; }
    api() { curl -sf -H "Authorization: Bearer $token" "$base$1"; }
    child() { api "/api/v1/places/$1/children?per_page=1" | jq -e '.items[0].id'; }
    local city district street community compound building resident name_part id_number pages deep id_requests
    city=$(api /api/v1/places | jq -e '.[0].id')
    district=$(child "$city"); street=$(child "$district"); community=$(child "$street")
    compound=$(child "$community"); building=$(child "$compound")
    resident=$(api '/api/v1/residents?per_page=1' | jq -e '.items[0].id')
    name_part=$(api "/api/v1/residents/$resident" | jq -er '.name[0:2] | @uri')
    # The API shows ID numbers masked: a whole one from the middle of the file.
    id_number=$(sed -n "$((ROWS / 2 + 1))p" "$RESIDENTS" | cut -d, -f8)
    pages=$(( (ROWS + 49) / 50 ))
    deep=${BENCH_DEEP_PAGE:-$(( pages / 2 < 5000 ? (pages / 2 > 0 ? pages / 2 : 1) : 5000 ))}
    # At most 30 look-ups by ID number a minute per user: 12 per user for the
    # API target and 12 for the page, in the same minute (client i is user i mod USERS).
    id_requests=$(( (USERS < CONCURRENCY ? USERS : CONCURRENCY) * 12 ))
    echo "     city $city, district $district, street $street, community $community, compound $compound, building $building; resident $resident; name part $(printf '%b' "${name_part//%/\\x}"); deep page $deep"
    sed -e "s/{city}/$city/g; s/{district}/$district/g; s/{street}/$street/g; s/{community}/$community/g" \
        -e "s/{compound}/$compound/g; s/{building}/$building/g; s/{resident}/$resident/g" \
        -e "s/{name_part}/$name_part/g; s/{id_number}/$id_number/g; s/{deep_page}/$deep/g; s/{id_requests}/$id_requests/g" \
        "$REPO/bench/city/targets.txt" > "$dir/targets.txt"
    local unfilled
    unfilled=$(sed 's/#.*//' "$dir/targets.txt" | grep -o '{[a-z_]*}' | sort -u | tr '\n' ' ' || true)
    [ -z "$unfilled" ] || { echo "targets.txt: nothing to fill in for $unfilled" >&2; return 1; }
    local rc=0
    "$LOAD_BIN" --base "$base" --targets "$dir/targets.txt" --tokens "$dir/tokens" --logins "$dir/logins" \
        --concurrency "$CONCURRENCY" --requests "$REQUESTS" --duration "$DURATION" \
        --json "$WORK/load-$e.json" > "$WORK/logs/$e.load.out" 2> "$WORK/logs/$e.load.err" || rc=$?
    sed 's/^/     /' "$WORK/logs/$e.load.out"
    [ "$rc" = 0 ] || { echo "cordon-load failed:" >&2; tail -5 "$WORK/logs/$e.load.err" >&2; }
    stop_serve
    local serve_mib
    serve_mib=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/logs/$e.serve.time")
    printf '%s.serve\t\t%s\t%s\n' "$e" "$serve_mib" "$rc" >> "$RESULTS"
    echo "     cordon serve peak RSS $serve_mib MiB"
}

for e in $ENGINES; do
    case $e in sqlite | postgres) ;; *) echo "unknown engine $e" >&2; exit 2 ;; esac
    cordon_steps "$e"
done

# Peers ------------------------------------------------------------------------
echo "== peers"
cat > "$WORK/sqlite-import.sql" << EOF
.mode csv
.import '$RESIDENTS' t
CREATE UNIQUE INDEX t_id ON t("身份证号");
SELECT count(*) FROM t;
EOF
measure sqlite3-import "$SQLITE" "$WORK/peer.sqlite" ".read '$WORK/sqlite-import.sql'"
echo "    $(cat "$WORK/logs/sqlite3-import.out") rows"
cat > "$WORK/sqlite-export.sql" << EOF
.headers on
.mode csv
.output '$WORK/sqlite-export.csv'
SELECT * FROM t;
EOF
measure sqlite3-export "$SQLITE" "$WORK/peer.sqlite" ".read '$WORK/sqlite-export.sql'"
rm -f "$WORK/peer.sqlite" "$WORK/sqlite-export.csv"

cat > "$WORK/duckdb-import.py" << EOF
import duckdb
con = duckdb.connect("$WORK/peer.duckdb")
con.execute("CREATE TABLE t AS SELECT * FROM read_csv('$RESIDENTS', header=true, all_varchar=true)")
con.execute('CREATE UNIQUE INDEX t_id ON t("身份证号")')
print(con.execute("SELECT count(*) FROM t").fetchone()[0])
con.close()
EOF
measure duckdb-import "$VENV/bin/python" "$WORK/duckdb-import.py"
echo "    $(cat "$WORK/logs/duckdb-import.out") rows"
cat > "$WORK/duckdb-export.py" << EOF
import duckdb
con = duckdb.connect("$WORK/peer.duckdb")
con.execute("COPY t TO '$WORK/duckdb-export.csv' (HEADER, DELIMITER ',')")
con.close()
EOF
measure duckdb-export "$VENV/bin/python" "$WORK/duckdb-export.py"
rm -f "$WORK/peer.duckdb" "$WORK/duckdb-export.csv"

if [ -n "$PG_STARTED" ]; then
    # The floor of PostgreSQL: COPY into a bare table of text columns, then the unique index.
    psql_ "$PG_URL" -c 'CREATE DATABASE peer'
    cols=$(head -1 "$RESIDENTS" | tr ',' '\n' | sed 's/.*/"&" text/' | paste -sd, -)
    cat > "$WORK/psql-import.sql" << EOF
CREATE TABLE t ($cols);
\\copy t FROM '$RESIDENTS' WITH (FORMAT csv, HEADER true)
CREATE UNIQUE INDEX t_id ON t ("身份证号");
SELECT count(*) FROM t;
EOF
    measure psql-copy-import "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$PG_ROOT/peer" -f "$WORK/psql-import.sql"
    echo "    $(cat "$WORK/logs/psql-copy-import.out") rows"
    measure psql-copy-export "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$PG_ROOT/peer" \
        -c "\\copy t TO '$WORK/psql-export.csv' WITH (FORMAT csv, HEADER true)"
    rm -f "$WORK/psql-export.csv"
fi
stop_pg

# Results ------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a != "" && b > 0) printf "%.2f", a / b; else print "-"}'; }
# goal VALUE LIMIT: ok when VALUE <= LIMIT.
goal() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || a == "-") print "-"; else if (a + 0 <= b + 0) print "ok"; else print "MISS"}'; }
mib() { local v; v=$(get "$1" 3); echo "${v:--}"; }
secs() { local v; v=$(get "$1" 2); echo "${v:--}"; }

SI=$(get sqlite3-import 2); SE=$(get sqlite3-export 2); DI=$(get duckdb-import 2); DE=$(get duckdb-export 2)
PI=$(get psql-copy-import 2); PE=$(get psql-copy-export 2)
TABLE=$WORK/table.md
{
    echo "| step | time s | peak MiB | ratio (same run) | goal of issue 8 |"
    echo "|---|---|---|---|---|"
    for e in $ENGINES; do
        I=$(get "$e.import" 2); R=$(get "$e.reimport" 2); EC=$(get "$e.export-csv" 2)
        echo "| **$e** cordon import places (setup) | $(secs "$e.places-import") | $(mib "$e.places-import") | | |"
        if [ "$e" = postgres ]; then
            SQ=$(get sqlite.import 2)
            echo "| **$e** cordon import residents | $(secs "$e.import") | $(mib "$e.import") | ÷ DuckDB $(ratio "$I" "$DI"), ÷ SQLite import $(ratio "$I" "$SQ"), ÷ psql COPY $(ratio "$I" "$PI") | ≤ DuckDB: $(goal "$(ratio "$I" "$DI")" 1); ≤ 2× SQLite: $(goal "$(ratio "$I" "$SQ")" 2); < 1 GiB: $(goal "$(mib "$e.import")" 1024) |"
        else
            echo "| **$e** cordon import residents | $(secs "$e.import") | $(mib "$e.import") | ÷ DuckDB $(ratio "$I" "$DI"), ÷ sqlite3 CLI $(ratio "$I" "$SI") | ≤ DuckDB: $(goal "$(ratio "$I" "$DI")" 1); < 1 GiB: $(goal "$(mib "$e.import")" 1024) |"
        fi
        echo "| **$e** cordon re-import (unchanged) | $(secs "$e.reimport") | $(mib "$e.reimport") | ÷ first import $(ratio "$R" "$I"), ÷ DuckDB $(ratio "$R" "$DI") | ≤ first import: $(goal "$(ratio "$R" "$I")" 1) |"
        echo "| **$e** cordon export CSV | $(secs "$e.export-csv") | $(mib "$e.export-csv") | ÷ sqlite3 CLI CSV $(ratio "$EC" "$SE"), ÷ DuckDB COPY $(ratio "$EC" "$DE") | ≤ 2× sqlite3: $(goal "$(ratio "$EC" "$SE")" 2); < 200 MiB: $(goal "$(mib "$e.export-csv")" 200) |"
        echo "| **$e** cordon export XLSX | $(secs "$e.export-xlsx") | $(mib "$e.export-xlsx") | ÷ own CSV $(ratio "$(get "$e.export-xlsx" 2)" "$EC") | < 200 MiB: $(goal "$(mib "$e.export-xlsx")" 200) |"
        echo "| **$e** database size | | $(mib "$e.db-size") | | |"
    done
    echo "| sqlite3 CLI: .import + unique index | $(secs sqlite3-import) | $(mib sqlite3-import) | | |"
    echo "| sqlite3 CLI: CSV out | $(secs sqlite3-export) | $(mib sqlite3-export) | | |"
    echo "| DuckDB: read_csv into a file + unique index | $(secs duckdb-import) | $(mib duckdb-import) | | |"
    echo "| DuckDB: COPY TO csv | $(secs duckdb-export) | $(mib duckdb-export) | | |"
    if [ -n "$PI" ]; then
        echo "| psql: \\copy into a bare table + unique index | $(secs psql-copy-import) | $(mib psql-copy-import) | | |"
        echo "| psql: \\copy out as CSV | $(secs psql-copy-export) | $(mib psql-copy-export) | ÷ sqlite3 CLI CSV $(ratio "$PE" "$SE") | |"
    fi
} > "$TABLE"

# The pages: one column group per engine.
PAGES=$WORK/pages.md
LOADS=()
for e in $ENGINES; do [ -s "$WORK/load-$e.json" ] && LOADS+=("$e"); done
if [ ${#LOADS[@]} -gt 0 ]; then
    {
        printf '| target'
        for e in "${LOADS[@]}"; do printf ' | %s p50 | p99 | max | n (err)' "$e"; done
        echo ' |'
        printf '|---'
        for _ in "${LOADS[@]}"; do printf '|---|---|---|---'; done
        echo '|'
        jq -r '.targets[].name' "$WORK/load-${LOADS[0]}.json" | while read -r name; do
            printf '| %s' "$name"
            for e in "${LOADS[@]}"; do
                jq -r --arg n "$name" '.targets[] | select(.name == $n) |
                    def f: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
                    def mark: if .p50_ms == null or .p50_ms > 10 or .p99_ms > 50 then "**" else "" end;
                    " | \(mark)\(.p50_ms | f)\(mark) | \(.p99_ms | f) | \(.max_ms | f) | \(.requests) (\(.errors))"' \
                    "$WORK/load-$e.json" | tr -d '\n'
            done
            echo ' |'
        done
    } > "$PAGES"
fi

# Where the time goes -------------------------------------------------------------
# The import's progress lines (every tenth of the work; the current importer's
# rows loop is done 0..total/2, its chunked inserts total/2..total; the first line
# comes once the file is read and checked and the tree below the compounds is
# built; after the last, the commit) and every other line it logs (a phase log,
# RUST_LOG-style through CORDON_LOG), seconds from the start.
WHERE=$WORK/where.md
{
    for e in $ENGINES; do
        for s in import reimport; do
            f=$WORK/logs/$e.$s
            [ -e "$f.err" ] || continue
            awk -v t0="$(cat "$f.start")" -v end="$(get "$e.$s" 2)" -v s="$e $s" '
                / importing residents: [0-9]+\/[0-9]+$/ {split($NF, d, "/"); n = d[1] + 0; tot = d[2] + 0
                    if (first == "") first = $1 - t0
                    if (half == "" && n >= tot / 2) half = $1 - t0
                    if (n == tot && ins == "") ins = $1 - t0
                    next}
                {line = $0; sub(/^[0-9.]+ /, "", line); gsub(/\033\[[0-9;]*m/, "", line); if (other < 12) logged[other++] = sprintf("%.1f s: %s", $1 - t0, line)}
                END {
                    if (first != "") printf "- %s: first progress line at %.1f s, half the rows at %.1f s, all at %.1f s, exit at %.1f s\n", s, first, half, ins, end
                    for (i = 0; i < other; i++) printf "  - %s\n", logged[i]
                }' "$f.err"
        done
    done
    for e in "${LOADS[@]}"; do
        jq -r --arg e "$e" '[.targets[] | select(.p99_ms != null)] | sort_by(-.p99_ms) | .[0:3] |
            "- \($e) slowest pages (p99): " + (map("\(.name) \(.p99_ms | round) ms") | join(", "))' "$WORK/load-$e.json"
        jq -r --arg e "$e" '.targets[] | select(.walk != null) |
            "- \($e) \(.name): page \(.walk.page) reached by \(.walk.mode) in \(.walk.seconds * 10 | round / 10) s (\(.walk.steps) requests)"' "$WORK/load-$e.json"
        jq -r --arg e "$e" '.targets[] | select(.errors > 0) | "- \($e) \(.name): \(.errors) error(s), first: \(.first_error)"' "$WORK/load-$e.json"
    done
    for f in "$WORK"/logs/*.perf.txt; do
        [ -s "$f" ] || continue
        echo "- profile of $(basename "$f" .perf.txt) (perf, self time): $(head -6 "$f" | awk '{p = $1; $1 = ""; printf "%s%s%s", (NR > 1 ? "; " : ""), p, $0}')"
    done
} > "$WHERE"

echo
echo "== results ($ROWS residents in $COMPOUNDS compounds)"
cat "$TABLE"
if [ -s "$PAGES" ]; then
    echo
    echo "== pages and API ($CONCURRENCY clients; ms; ** = over p50 10 ms or p99 50 ms)"
    cat "$PAGES"
fi
echo
echo "== where the time goes"
cat "$WHERE"
if [ -s "$NOTES" ]; then echo; echo "notes:"; sed 's/^/  /' "$NOTES"; fi

# The file the README quotes.
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2> /dev/null || echo '?')
[ -z "$(git -C "$REPO" status --porcelain --untracked-files=no 2> /dev/null)" ] || COMMIT="$COMMIT (with uncommitted changes)"
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
RAM=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
{
    echo "# City-scale benchmark: the last run"
    echo
    echo "Written by \`bench/city/run.sh\` (see bench/README.md, \"City scale\"); do not edit by hand."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- commit: $COMMIT; binary: \`$CORDON_VERSION\`"
    echo "- machine: $(nproc) cores ($CPU), $RAM, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- data: $ROWS residents in $COMPOUNDS compounds (\`bench/city/gen.py\`), $(du -m "$RESIDENTS" | cut -f1) MiB of CSV"
    echo "- peers: sqlite3 $SQLITE_VERSION, DuckDB $DUCKDB_VERSION (PyPI)${PG_VERSION:+, PostgreSQL $PG_VERSION (scripts/pg-test-server: fsync, synchronous_commit and full_page_writes off)}"
    echo "- command: \`$COMMAND_LINE\` (engines: $ENGINES; load: $CONCURRENCY clients, at most $REQUESTS requests and $DURATION s a target)"
    echo
    echo "Peak memory is the measured process's (for PostgreSQL, the cordon client's, not the server's)."
    echo
    cat "$TABLE"
    if [ -s "$PAGES" ]; then
        echo
        echo "## Pages and API"
        echo
        echo "$CONCURRENCY concurrent clients a target, milliseconds; n = requests measured (non-2xx answers)."
        echo "Bold: over issue 8's goal (p50 10 ms, p99 50 ms). Look-ups by a whole ID number are limited to"
        echo "30 a minute per user: those two targets are 12 requests per user, shared by $USERS users."
        echo
        cat "$PAGES"
    fi
    echo
    echo "## Where the time goes"
    echo
    cat "$WHERE"
    if [ -s "$NOTES" ]; then
        echo
        echo "## Notes"
        echo
        sed 's/^/- /' "$NOTES"
    fi
} > "$WORK/RESULTS.md"
if [ "$RESULTS_MD" != - ]; then
    cp "$WORK/RESULTS.md" "$RESULTS_MD"
    echo
    echo "written: $RESULTS_MD"
fi
