# bench-tables.awk: turns the medians of `make bench` (bench/results.csv:
# threads,trace,allocator,status,runs,wall_s,...) into the markdown tables of
# docs/BENCHMARKS.md:
#   1. wall time relative to glibc, one table per thread count (recorded
#      programs under "rec"), with glibc's own time in ms;
#   2. fragmentation (peak RSS / peak live) and peak RSS at the lowest
#      thread count of each workload;
#   3. throughput scaling: M ops/s per workload and allocator at each count.
# Cells of runs that did not end "ok" show their status.
#   awk -F, -f plots/bench-tables.awk bench/results.csv > tables.md
function wname(s) { sub(/\/+$/, "", s); sub(/.*\//, "", s); sub(/\.htr$/, "", s); sub(/-t[0-9]+$/, "", s); return s }
function add(list, v) { if (!((list, v) in seen_)) { seen_[list, v] = 1; items[list, ++nitems[list]] = v } }
function row_head(   j, s) {
    s = "| workload |"; for (j = 1; j <= nitems["a"]; j++) s = s " " items["a", j] " |"; print s
    s = "|---|"; for (j = 1; j <= nitems["a"]; j++) s = s "---:|"; print s
}
function cellv(k, col, fmt, base,   st) {
    if (!((k, "status") in v)) return "-"
    st = v[k, "status"]
    if (st != "ok") return st
    return sprintf(fmt, v[k, col] / base)
}
BEGIN { FS = "," }
NR == 1 { for (i = 1; i <= NF; i++) ix[$i] = i; next }
{
    t = $(ix["threads"]); w = wname($(ix["trace"])); a = $(ix["allocator"])
    add("t", t); add("w", w); add("a", a)
    k = t SUBSEP w SUBSEP a
    v[k, "status"] = $(ix["status"]); v[k, "wall"] = $(ix["wall_s"])
    v[k, "ops"] = $(ix["ops_per_s"]); v[k, "rss"] = $(ix["peak_rss_kb"])
    v[k, "frag"] = $(ix["fragmentation"]); v[k, "runs"] = $(ix["runs"])
    has[t, w] = 1
    if (!(w in lowest) || (t != "rec" && t + 0 < lowest[w] + 0)) lowest[w] = t
    runs = $(ix["runs"])
}
END {
    base_a = items["a", 1]
    for (i = 1; i <= nitems["a"]; i++) if (items["a", i] == "glibc") base_a = "glibc"
    for (ti = 1; ti <= nitems["t"]; ti++) {
        t = items["t", ti]
        printf "### Wall time relative to %s, %s (medians of %s runs)\n\n", base_a,
            (t == "rec" ? "recorded programs" : t " thread" (t == 1 ? "" : "s")), runs
        row_head()
        for (wi = 1; wi <= nitems["w"]; wi++) {
            w = items["w", wi]
            if (!((t, w) in has)) continue
            kb = t SUBSEP w SUBSEP base_a
            base = ((kb, "status") in v && v[kb, "status"] == "ok" && v[kb, "wall"] > 0) ? v[kb, "wall"] : 0
            s = "| " w " |"
            for (ai = 1; ai <= nitems["a"]; ai++) {
                a = items["a", ai]; k = t SUBSEP w SUBSEP a
                if (a == base_a) s = s " " cellv(k, "wall", "%.1f ms", 0.001) " |"
                else if (base > 0) s = s " " cellv(k, "wall", "%.2f", base) " |"
                else s = s " " cellv(k, "wall", "%.3f s", 1) " |"
            }
            print s
        }
        print ""
    }
    print "### Fragmentation: peak RSS / peak live bytes (peak RSS in MiB), fewest threads\n"
    row_head()
    for (wi = 1; wi <= nitems["w"]; wi++) {
        w = items["w", wi]; t = lowest[w]
        s = "| " w (t == "rec" ? "" : " (" t "t)") " |"
        for (ai = 1; ai <= nitems["a"]; ai++) {
            k = t SUBSEP w SUBSEP items["a", ai]
            c = cellv(k, "frag", "%.2f", 1)
            if (c ~ /^[0-9.]+$/) c = c " (" sprintf("%.1f", v[k, "rss"] / 1024) ")"
            s = s " " c " |"
        }
        print s
    }
    print ""
    print "### Throughput: million replayed operations per second by thread count (3 significant digits)\n"
    s = "| workload | allocator |"; u = "|---|---|"
    for (ti = 1; ti <= nitems["t"]; ti++) if (items["t", ti] != "rec") {
        s = s " " items["t", ti] " |"; u = u "---:|" }
    print s; print u
    for (wi = 1; wi <= nitems["w"]; wi++) {
        w = items["w", wi]
        if (lowest[w] == "rec") continue
        for (ai = 1; ai <= nitems["a"]; ai++) {
            a = items["a", ai]; s = "| " w " | " a " |"
            for (ti = 1; ti <= nitems["t"]; ti++) {
                t = items["t", ti]; if (t == "rec") continue
                s = s " " (((t, w) in has) ? cellv(t SUBSEP w SUBSEP a, "ops", "%.3g", 1e6) : "") " |"
            }
            print s
        }
    }
}
