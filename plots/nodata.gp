# nodata.gp: draws an empty chart that says there was nothing to draw (loaded
# by a chart script when its CSV holds no usable rows), then stops gnuplot.
unset border; unset tics; unset key; unset grid
set label 1 "no data: " . in at screen 0.5, 0.5 center
set xrange [0:1]; set yrange [0:1]
plot 2 notitle
unset output
exit gnuplot
