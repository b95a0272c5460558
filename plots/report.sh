#!/bin/sh
# report.sh: writes DIR/report.html, one static page (no scripts) with the
# charts found in DIR (PNG, each linked to its SVG) and the tables of the CSV
# files huskyreplay and huskysim wrote there with --plot DIR.
#   sh plots/report.sh [-t TITLE] DIR
# DIR/notes.txt, when present, is shown as the page's preamble (one paragraph
# per line), e.g. which programs were recorded.  Exit 2 on bad usage.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
title="husky allocator comparison"
if [ "${1:-}" = "-t" ]; then title=$2; shift 2; fi
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: report.sh [-t TITLE] DIR" >&2; exit 2; }
dir=$1
out="$dir/report.html"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT

esc() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

# chart NAME CAPTION: a figure when DIR/NAME.png exists
chart() {
    [ -f "$dir/$1.png" ] || return 0
    printf '<figure><img src="%s.png" alt="%s">' "$1" "$2"
    if [ -f "$dir/$1.svg" ]; then
        printf '<figcaption>%s (<a href="%s.svg">SVG</a>)</figcaption></figure>\n' "$2" "$1"
    else
        printf '<figcaption>%s</figcaption></figure>\n' "$2"
    fi
}

# csv_table FILE: the whole CSV as an HTML table
csv_table() {
    awk -F, 'function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s);
                               gsub(/>/, "\\&gt;", s); return s }
             { t = NR == 1 ? "th" : "td"; line = "<tr>"
               for (i = 1; i <= NF; i++) line = line "<" t ">" esc($i) "</" t ">"
               print line "</tr>" }' "$1"
}

{
    cat <<HEAD
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>$(printf '%s' "$title" | esc)</title>
<style>
body { font-family: sans-serif; max-width: 1200px; margin: 1em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
figure { margin: 1em 0; } img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { color: #a00; }
.meta { color: #555; font-size: 0.9em; }
</style></head><body>
<h1>$(printf '%s' "$title" | esc)</h1>
HEAD
    model=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
    printf '<p class="meta">Generated %s on %s (%s CPUs) by husky'"'"'s plots/report.sh.</p>\n' \
        "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(printf '%s' "${model:-unknown CPU}" | esc)" \
        "$(nproc 2>/dev/null || echo '?')"
    if [ -f "$dir/notes.txt" ]; then
        esc < "$dir/notes.txt" | sed 's|.*|<p>&</p>|'
    fi
    if [ -f "$dir/summary.csv" ]; then
        echo '<h2>Replay: time and memory per allocator</h2>'
        chart time "Wall time of the replay relative to glibc, per trace"
        chart frag "Fragmentation: peak RSS over peak live bytes, per trace"
        echo '<table>'
        awk -F, -v html=1 -f "$here/table.awk" "$dir/summary.csv"
        echo '</table>'
        echo '<p class="meta">Medians of the runs; wall_ms and ratios only for runs that ended ok.</p>'
    fi
    if [ -f "$dir/rss.csv" ]; then
        echo '<h2>Memory over time</h2>'
        chart rss "RSS over trace progress per allocator; grey: live bytes requested"
    fi
    if [ -f "$dir/latency.csv" ]; then
        echo '<h2>Latency</h2>'
        chart latency-p50 "Median latency per call kind and allocator"
        chart latency-p99 "99th percentile latency per call kind and allocator"
    fi
    if [ -f "$dir/scaling.csv" ]; then
        echo '<h2>Thread scaling</h2>'
        chart scaling "Replayed operations per second against thread count"
    fi
    if [ -f "$dir/sim.csv" ]; then
        echo '<h2>Simulated placement policies (huskysim)</h2>'
        chart sim "Fragmentation per placement policy and trace"
        chart sim-heap "Model heap per policy over trace progress; grey: live bytes"
        echo '<table>'
        csv_table "$dir/sim.csv"
        echo '</table>'
    fi
    echo '</body></html>'
} > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
