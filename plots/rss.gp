# rss.gp: resident memory over the trace's progress, one line per allocator,
# above a grey area of the live bytes the program had asked for (the floor no
# allocator can go below); one panel per trace, from huskyreplay's rss.csv.
# With "sim" as third argument: the model heap of each huskysim policy over
# the trace's progress, from its sim_heap.csv, above the same live bytes.
#   gnuplot -c plots/rss.gp rss.csv rss.png|rss.svg
#   gnuplot -c plots/rss.gp sim_heap.csv sim-heap.png|sim-heap.svg sim
in = ARG1; out = ARG2
sim = (ARGC >= 3 && ARG3 eq "sim")
here = system(sprintf("dirname '%s'", ARG0))
load here . "/common.gp"
traces = names("trace")
n = words(traces)
W = 560 * grid_cols(n); H = 380 * grid_rows(n)
load here . "/common.gp"
if (n < 1) { load here . "/nodata.gp" }
what = sim ? "Model heap of each policy over trace progress (lines) and live bytes (grey)" \
           : "Anonymous RSS over trace progress (lines) and live bytes requested (grey)"
set multiplot layout grid_rows(n), grid_cols(n) title what
set xlabel "trace progress"
set ylabel "MiB"
set xrange [0:1]
set yrange [0:*]
set offsets 0, 0, graph 0.3, 0
set key top left font ",8"
do for [k=1:n] {
    t = word(traces, k)
    base = sim ? "-v row=progress -v col=policy -v scale=0.00000095367431640625 -v where=trace=" \
               : "-v row=progress -v col=allocator -v scale=0.0009765625 -v where=trace="
    rargs = base . t . (sim ? " -v val=heap_bytes" : " -v val=rss_kb")
    largs = base . t . (sim ? " -v val=live_bytes" : " -v val=live_kb")
    hdr = header(rargs)
    set title t
    plot "< " . pivot(largs) using 1:2 with filledcurves x1 fs solid 0.35 noborder \
            lc rgb "#999999" title "live", \
         for [i=2:words(hdr)] "< " . pivot(rargs) using 1:i with lines lw 2 \
            lc rgb acol(word(hdr, i), i) title word(hdr, i)
}
unset multiplot
