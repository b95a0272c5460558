#!/bin/sh
# tests/alloc/bench-programs.sh LIB RUNS LABEL=ENV... : wall time and peak RSS
# of real programs (python3 running tests/alloc/realprog.py, sort of a
# 200000-line file, gcc -O2 -S, sqlite3) under each configuration, runs
# alternating between configurations; prints medians.  A configuration is a
# label and env words joined by commas, e.g. "glibc" (no preload),
# "list=LD_PRELOAD=/path/libhusky-list.so",
# "list-1arena=LD_PRELOAD=/path/libhusky-list.so,HUSKY_ARENAS=1".
# Not a test; used for docs/benchmarks/.  Needs /usr/bin/time.
set -eu
runs=$1; shift
src=${top_srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk 'BEGIN { s = 7; for (i = 0; i < 200000; i++) { s = (s * 1103515245 + 12345) % 2147483648;
     printf "%d line-%x %s\n", s % 100000, s, substr("abcdefghijklmnopqrstuvwxyz", s % 26 + 1) } }' \
    > "$tmp/big.txt"
cat > "$tmp/t.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t(name, v) SELECT printf('name-%d', x * 7919 % 200000), x * 0.5 FROM c;
CREATE INDEX t_name ON t(name);
SELECT count(*), sum(v) FROM t GROUP BY substr(name, 1, 7);
SQL
prog() {
    case $1 in
    python) echo "/usr/bin/python3 $src/tests/alloc/realprog.py" ;;
    sort) echo "sort $tmp/big.txt" ;;
    gcc) echo "gcc -O2 -S -o /dev/null -I$src -I$src/src -I${top_builddir:-.} $src/tests/alloc/stress.c" ;;
    sqlite) echo "sqlite3 :memory: .read\\ $tmp/t.sql" ;;
    esac
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-8s %-28s %9s %10s\n' program config wall_s peak_rss_kb
for p in python sort gcc sqlite; do
    for i in $(seq "$runs"); do
        for c in "$@"; do
            label=${c%%=*}; envs=""
            [ "$label" != "$c" ] && envs=$(echo "${c#*=}" | tr ',' ' ')
            # shellcheck disable=SC2086
            if [ $p = sqlite ]; then
                /usr/bin/time -f "%e %M" -o "$tmp/tm" env $envs PYTHONHASHSEED=0 \
                    sqlite3 :memory: ".read $tmp/t.sql" >/dev/null
            else
                /usr/bin/time -f "%e %M" -o "$tmp/tm" env $envs PYTHONHASHSEED=0 $(prog $p) >/dev/null
            fi
            tail -n 1 "$tmp/tm" >> "$tmp/$p.$label"
        done
    done
    for c in "$@"; do
        label=${c%%=*}
        printf '%-8s %-28s %9s %10s\n' $p "$label" "$(awk '{ print $1 }' "$tmp/$p.$label" | median)" \
            "$(awk '{ print $2 }' "$tmp/$p.$label" | median)"
    done
done
