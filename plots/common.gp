# common.gp: what every husky chart shares (loaded by the chart scripts after
# they set `out`, `here`, W and H): the terminal picked from the output's
# extension (.svg: SVG, anything else: PNG with pngcairo), CSV input, one
# colour per allocator across all charts, and a quiet grid.
if (!exists("W")) { W = 1000 }
if (!exists("H")) { H = 520 }
if (out[strlen(out)-3:] eq ".svg") {
    set terminal svg size W,H dynamic font "sans,11" background "white"
} else {
    set terminal pngcairo size W,H font "sans,10" background "white"
}
set output out
set termoption noenhanced
set datafile separator ","
set datafile missing "NaN"
set key autotitle columnhead noenhanced
set key top left opaque box lc rgb "#cccccc" samplen 2
set grid ytics lc rgb "#dddddd" lw 1
set border 3
set tics nomirror
set style fill solid 0.85 border rgb "#333333"

# A fixed colour for each known allocator, else one from a palette by
# position, so that glibc is the same blue in every chart.
pal = "#4e79a7 #f28e2b #e15759 #76b7b2 #59a14f #edc948 #b07aa1 #ff9da7 #9c755f #bab0ac"
acol(n, i) = (n eq "glibc") ? "#4e79a7" : (n eq "jemalloc") ? "#f28e2b" : \
    (n eq "tcmalloc") ? "#e15759" : (n eq "mimalloc") ? "#76b7b2" : \
    (n eq "list") ? "#59a14f" : (n eq "buddy") ? "#edc948" : \
    (n eq "bucket") ? "#b07aa1" : word(pal, 1 + (i - 2) % words(pal))

# pivot(args): the shell command that runs pivot.awk on `in` with args.
pivot(args) = sprintf("awk %s -f '%s/pivot.awk' '%s'", args, here, in)
# header(args): the pivoted header's cells, space-separated.
header(args) = system(pivot(args) . " | sed -n '1p' | tr ',' ' '")
# names(col): the distinct values of a column of `in`, space-separated.
# Trace names lose their folders and .htr suffix, as in pivot.awk.
names(col) = system(sprintf("awk -F, 'NR==1{for(i=1;i<=NF;i++)if($i==\"%s\")c=i;next}" . \
    " c {v=$c; if (\"%s\"==\"trace\") {sub(/\\/+$/,\"\",v); sub(/.*\\//,\"\",v);" . \
    " sub(/\\.htr$/,\"\",v)} if (!s[v]++) printf \"%%s \", v}' '%s'", col, col, in))

# Panel grid for n charts in one image.
grid_cols(n) = (n <= 1) ? 1 : (n <= 4) ? 2 : 3
grid_rows(n) = (n < 1) ? 1 : int((n + grid_cols(n) - 1) / grid_cols(n))
