# latency.gp: latency percentiles of each operation kind, per allocator; one
# panel per trace, from huskyreplay's latency.csv.  ARG3 picks the column
# (p50_ns, p99_ns or p999_ns; default p99_ns).  Log scale: tails are long.
#   gnuplot -c plots/latency.gp latency.csv latency-p99.png [p99_ns]
in = ARG1; out = ARG2
col = (ARG3 eq "") ? "p99_ns" : ARG3
pname = col[1:strstrt(col, "_") - 1]
here = system(sprintf("dirname '%s'", ARG0))
load here . "/common.gp"
traces = names("trace")
n = words(traces)
W = 560 * grid_cols(n); H = 360 * grid_rows(n)
load here . "/common.gp"
if (n < 1) { load here . "/nodata.gp" }
set multiplot layout grid_rows(n), grid_cols(n) \
    title sprintf("Latency per call, %s percentile (sampled; lower is better)", pname)
set ylabel sprintf("%s ns", pname)
set logscale y
set offsets 0, 0, graph 0.35, 0
set style data histograms
set style histogram clustered gap 1
set key top right font ",8"
do for [k=1:n] {
    t = word(traces, k)
    args = "-v row=op -v col=allocator -v val=" . col . " -v where=trace=" . t
    hdr = header(args)
    set title t
    plot for [i=2:words(hdr)] "< " . pivot(args) using i:xtic(1) \
            lc rgb acol(word(hdr, i), i) title word(hdr, i)
}
unset multiplot
