# sim.gp: fragmentation of huskysim's placement policies per trace, from its
# sim.csv: the heap's high-water mark over the live bytes' high-water mark
# (Johnstone and Wilson's measure; column frag_max_over_max).
#   gnuplot -c plots/sim.gp sim.csv sim.png|sim.svg
in = ARG1; out = ARG2
here = system(sprintf("dirname '%s'", ARG0))
W = 1000; H = 520
load here . "/common.gp"
args = "-v row=trace -v col=policy -v val=frag_max_over_max"
hdr = header(args)
if (words(hdr) < 2) { load here . "/nodata.gp" }
set title "Simulated placement policies: fragmentation (heap max vs live max; lower is better)"
set ylabel "frag_max_over_max"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set xtics rotate by -25 left offset -1.5,0
set key outside right top vertical
plot for [i=2:words(hdr)] "< " . pivot(args) using i:xtic(1) \
        lc rgb acol(word(hdr, i), i) title word(hdr, i)
