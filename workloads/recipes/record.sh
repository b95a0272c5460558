#!/bin/sh
# record.sh: recipes that record real programs found on a Debian machine
# with `huskytrace record`, each into a folder of per-process traces.
#   sh record.sh list                   the recipes and what they run
#   sh record.sh [-s SCALE] NAME OUTDIR record recipe NAME into OUTDIR
# SCALE (default 1) multiplies the work; the inputs are generated with fixed
# seeds, so two recordings of a recipe make the same calls.  Exit 2 on bad
# usage, 1 when the program or the recording failed; a recipe whose program
# is not installed exits 77 (so callers can skip it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
scale=1
if [ "${1:-}" = "-s" ]; then scale=$2; shift 2; fi
recipes="python sort gcc perl git"

describe() {
    case $1 in
        python) echo "python3 running py_job.py (JSON, dicts, sorting; PYTHONMALLOC=malloc)" ;;
        sort) echo "sort(1) on a generated file of words" ;;
        gcc) echo "gcc -O2 -c on a generated C file (driver, cc1 and as: several processes)" ;;
        perl) echo "perl building and sorting a hash of generated strings" ;;
        git) echo "git init, add and commit of generated files (several processes)" ;;
    esac
}

if [ "${1:-}" = list ]; then
    for r in $recipes; do printf '%-8s %s\n' "$r" "$(describe "$r")"; done
    exit 0
fi
[ $# -eq 2 ] || { echo "usage: record.sh [-s SCALE] NAME OUTDIR (record.sh list)" >&2; exit 2; }
name=$1
out=$2
case " $recipes " in *" $name "*) ;; *) echo "record.sh: unknown recipe '$name'" >&2; exit 2 ;; esac
command -v huskytrace >/dev/null 2>&1 || { echo "record.sh: huskytrace not on PATH" >&2; exit 1; }
case $out in /*) ;; *) out=$(pwd)/$out ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/husky-recipe.XXXXXX")
trap 'rm -rf "$work"' EXIT

# words N: N pseudo-random lowercase words, one per line, always the same
words() {
    awk -v n="$1" 'BEGIN { x = 12345
        for (i = 0; i < n; i++) { w = ""; x = (x * 1103515245 + 12345) % 2147483648
            len = 3 + x % 9
            for (j = 0; j < len; j++) { x = (x * 1103515245 + 12345) % 2147483648
                w = w sprintf("%c", 97 + int(x / 65536) % 26) }
            print w } }'
}

# c_file N: a C file with N small functions that use structs and loops
c_file() {
    awk -v n="$1" 'BEGIN { print "#include <stdio.h>\n#include <string.h>"
        print "struct rec { int id; char name[32]; double v[4]; };"
        for (i = 0; i < n; i++) {
            printf "static double f%d(struct rec *r, int k) {\n", i
            printf "    double s = 0; for (int j = 0; j < k; j++) s += r->v[j %% 4] * %d;\n", i + 1
            printf "    if (strlen(r->name) > %d) s -= r->id; return s; }\n", i % 7
        }
        print "int main(void) { struct rec r = {1, \"x\", {1, 2, 3, 4}}; double t = 0;"
        for (i = 0; i < n; i++) printf "    t += f%d(&r, %d);\n", i, i % 13
        print "    printf(\"%f\\n\", t); return 0; }" }'
}

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "record.sh: $1 not installed: skipping $name" >&2; exit 77; }
}

rec() { huskytrace record -o "$out" -- "$@" >"$work/stdout" 2>"$work/stderr" ||
        { echo "record.sh: recording $name failed:" >&2; tail -n 5 "$work/stderr" >&2; exit 1; }; }

rm -rf "$out"
case $name in
    python)
        [ -x /usr/bin/python3 ] || { echo "record.sh: /usr/bin/python3 not installed" >&2; exit 77; }
        PYTHONMALLOC=malloc rec /usr/bin/python3 "$here/py_job.py" "$((2 * scale))" ;;
    sort)
        need sort
        words "$((40000 * scale))" > "$work/words.txt"
        rec sort -o "$work/sorted.txt" "$work/words.txt" ;;
    gcc)
        need gcc
        c_file "$((150 * scale))" > "$work/big.c"
        (cd "$work" && rec gcc -O2 -c big.c -o big.o) ;;
    perl)
        need perl
        words "$((20000 * scale))" > "$work/words.txt"
        rec perl -e 'my %h; while (<>) { chomp; $h{$_} .= reverse($_) x 3 }
                     my @k = sort { length($h{$a}) <=> length($h{$b}) || $a cmp $b } keys %h;
                     print scalar(@k), "\n";' "$work/words.txt" ;;
    git)
        need git
        words "$((3000 * scale))" | split -l 100 - "$work/f."
        (cd "$work" && git init -q repo && mv f.* repo/ && cd repo &&
         rec sh -c 'git add . && git -c user.name=husky -c user.email=husky@localhost \
                    commit -qm "generated files" && git log --stat >/dev/null') ;;
esac
echo "$out"
