# time.gp: replay wall time per workload (trace) and allocator, relative to
# glibc (or to the first allocator when glibc did not run), from huskyreplay's
# summary.csv.  Runs that did not end "ok" are left out (a gap).
#   gnuplot -c plots/time.gp summary.csv time.png|time.svg
in = ARG1; out = ARG2
here = system(sprintf("dirname '%s'", ARG0))
W = 1000; H = 520
load here . "/common.gp"
args = "-v row=trace -v col=allocator -v val=wall_s -v where=status=ok -v norm=glibc"
hdr = header(args)
if (words(hdr) < 2) { load here . "/nodata.gp" }
base = strstrt(" " . hdr . " ", " glibc ") > 0 ? "glibc" : word(hdr, 2)
set title sprintf("Replay wall time relative to %s (lower is faster; medians)", base)
set ylabel sprintf("wall time / %s", base)
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set xtics rotate by -25 left offset -1.5,0
set key outside right top vertical
plot for [i=2:words(hdr)] "< " . pivot(args) using i:xtic(1) \
        lc rgb acol(word(hdr, i), i) title word(hdr, i), \
     1 with lines dt 2 lw 1.5 lc rgb "#333333" notitle
