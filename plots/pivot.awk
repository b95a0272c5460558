# pivot.awk: turns one of husky's long CSV files (a header row, one row per
# trace x allocator x ...) into the wide table gnuplot draws clustered bars
# and lines from: one row per value of column `row`, one column per value of
# column `col`, cells from column `val`.  Missing cells are NaN.
#
#   awk -F, -v row=trace -v col=allocator -v val=time_ratio [-v where=status=ok]
#       [-v where2=trace=NAME] [-v norm=glibc] [-v scale=0.0009765625] [-v colname=X]
#       -f pivot.awk FILE.csv
#
# norm=A divides every cell by the cell of column A in the same row (A itself
# then shows 1); when a row has no A the row's first column is used instead.
# scale multiplies every cell.  The header's first cell is colname (default:
# the row column's name).  Rows and columns keep their first-seen order.
# Trace names lose their folders and .htr suffix (tname).
# A trace's display name: no folders, no .htr (huskyreplay names traces by
# the path it was given).
function tname(s) { sub(/\/+$/, "", s); sub(/.*\//, "", s); sub(/\.htr$/, "", s); return s }
function cond(spec,   k, v, i) {
    if (spec == "") return 1
    i = index(spec, "=")
    k = substr(spec, 1, i - 1); v = substr(spec, i + 1)
    if (!(k in ix)) { print "pivot.awk: no column " k > "/dev/stderr"; exit 2 }
    return (k == "trace" ? tname($(ix[k])) : $(ix[k])) == v
}
BEGIN { FS = ","; if (scale == "") scale = 1 }
NR == 1 {
    for (i = 1; i <= NF; i++) ix[$i] = i
    if (!(row in ix) || !(col in ix) || !(val in ix)) {
        print "pivot.awk: " FILENAME " lacks column " row ", " col " or " val > "/dev/stderr"
        exit 2
    }
    next
}
!cond(where) || !cond(where2) { next }
{
    r = $(ix[row]); c = $(ix[col])
    if (row == "trace") r = tname(r)
    if (col == "trace") c = tname(c)
    if (!(r in rseen)) { rseen[r] = 1; rows[++nr] = r }
    if (!(c in cseen)) { cseen[c] = 1; cols[++nc] = c }
    if ($(ix[val]) != "") cell[r, c] = $(ix[val]) + 0
}
END {
    if (nr == 0) exit 0
    line = (colname != "" ? colname : row)
    for (j = 1; j <= nc; j++) line = line "," cols[j]
    print line
    for (i = 1; i <= nr; i++) {
        r = rows[i]; base = 1
        if (norm != "") {
            if ((r, norm) in cell) base = cell[r, norm]
            else for (j = 1; j <= nc; j++) if ((r, cols[j]) in cell) { base = cell[r, cols[j]]; break }
            if (base == 0) base = 1
        }
        line = r
        for (j = 1; j <= nc; j++)
            line = line "," (((r, cols[j]) in cell) ? sprintf("%.6g", cell[r, cols[j]] * scale / base) : "NaN")
        print line
    }
}
