# scaling.gp: throughput against thread count, one line per allocator; one
# panel per workload, from the bench/scaling.csv that `make bench` writes
# (workload,allocator,threads,ops_per_s).  Flat is bad, rising is good.
#   gnuplot -c plots/scaling.gp scaling.csv scaling.png|scaling.svg
in = ARG1; out = ARG2
here = system(sprintf("dirname '%s'", ARG0))
load here . "/common.gp"
works = names("workload")
n = words(works)
W = 560 * grid_cols(n); H = 380 * grid_rows(n)
load here . "/common.gp"
if (n < 1) { load here . "/nodata.gp" }
set multiplot layout grid_rows(n), grid_cols(n) \
    title "Thread scaling: replayed operations per second against threads"
set xlabel "threads"
set ylabel "million ops/s"
set logscale x 2
set xtics (1, 2, 4, 8, 16, 32)
tmax = real(system(sprintf("awk -F, 'NR>1 && $3+0 > m {m = $3+0} END {print m+0}' '%s'", in)))
set xrange [0.75:(tmax > 1 ? tmax * 1.3 : 2)]
set yrange [0:*]
set key top left font ",8"
do for [k=1:n] {
    w = word(works, k)
    args = "-v row=threads -v col=allocator -v val=ops_per_s -v scale=1e-6 -v where=workload=" . w
    hdr = header(args)
    set title w
    plot for [i=2:words(hdr)] "< " . pivot(args) using 1:i with linespoints lw 2 pt 7 ps 0.7 \
            lc rgb acol(word(hdr, i), i) title word(hdr, i)
}
unset multiplot
