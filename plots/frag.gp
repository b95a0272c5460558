# frag.gp: fragmentation (peak RSS / peak live bytes) per workload (trace) and
# allocator, from huskyreplay's summary.csv.  1 would mean the allocator used
# no memory beyond what the program asked for; runs not "ok" are left out.
# The y axis is logarithmic when the values span more than a factor of 20.
#   gnuplot -c plots/frag.gp summary.csv frag.png|frag.svg
in = ARG1; out = ARG2
here = system(sprintf("dirname '%s'", ARG0))
W = 1000; H = 520
load here . "/common.gp"
args = "-v row=trace -v col=allocator -v val=fragmentation -v where=status=ok"
hdr = header(args)
if (words(hdr) < 2) { load here . "/nodata.gp" }
span = real(system(pivot(args) . " | awk -F, 'NR>1{for(i=2;i<=NF;i++)if($i!=\"NaN\"&&$i>0)" . \
    "{if(!lo||$i<lo)lo=$i;if($i>hi)hi=$i}}END{print (lo?hi/lo:1)}'"))
if (span > 20) { set logscale y; set yrange [0.8:*] } else { set yrange [0:*] }
set title "Fragmentation: peak RSS / peak live bytes (lower is better; 1 = no overhead)"
set ylabel "peak RSS / peak live"
set style data histograms
set style histogram clustered gap 1
set xtics rotate by -25 left offset -1.5,0
set key outside right top vertical
plot for [i=2:words(hdr)] "< " . pivot(args) using i:xtic(1) \
        lc rgb acol(word(hdr, i), i) title word(hdr, i), \
     1 with lines dt 2 lw 1.5 lc rgb "#333333" notitle
