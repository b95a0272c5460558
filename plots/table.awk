# table.awk: prints huskyreplay's summary.csv as a table, for the terminal
# (default) or as the rows of an HTML table (-v html=1).  Times in ms, memory
# in MiB, ratios against the first allocator of each trace.
#   awk -F, [-v html=1] -f plots/table.awk summary.csv
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
function tname(s) { sub(/\/+$/, "", s); sub(/.*\//, "", s); sub(/\.htr$/, "", s); return s }
function cell(v, tag) { return "<" tag ">" esc(v) "</" tag ">" }
function num(v, fmt) { return v == "" ? "-" : sprintf(fmt, v) }
BEGIN { FS = "," }
NR == 1 {
    for (i = 1; i <= NF; i++) ix[$i] = i
    n = split("trace allocator status wall_ms time_ratio ops_per_s peak_rss_MiB peak_live_MiB fragmentation", head, " ")
    if (html) {
        line = "<tr>"; for (i = 1; i <= n; i++) line = line cell(head[i], "th"); print line "</tr>"
    } else {
        printf "%-22s %-10s %-16s %10s %6s %10s %12s %13s %8s\n", head[1], head[2], head[3], head[4], "ratio", head[6], head[7], head[8], "frag"
    }
    next
}
{
    ok = ($(ix["status"]) == "ok")
    v[1] = tname($(ix["trace"])); v[2] = $(ix["allocator"]); v[3] = $(ix["status"])
    v[4] = ok ? num($(ix["wall_s"]) * 1000, "%.1f") : "-"
    v[5] = ok ? num($(ix["time_ratio"]), "%.2f") : "-"
    v[6] = ok ? num($(ix["ops_per_s"]), "%.0f") : "-"
    v[7] = ok ? num($(ix["peak_rss_kb"]) / 1024, "%.1f") : "-"
    v[8] = num($(ix["peak_live_kb"]) / 1024, "%.1f")
    v[9] = ok ? num($(ix["fragmentation"]), "%.2f") : "-"
    if (html) {
        line = ok ? "<tr>" : "<tr class=\"bad\">"
        for (i = 1; i <= 9; i++) line = line cell(v[i], i > 3 ? "td class=\"n\"" : "td")
        gsub(/<\/td class="n">/, "</td>", line)
        print line "</tr>"
    } else {
        printf "%-22s %-10s %-16s %10s %6s %10s %12s %13s %8s\n", substr(v[1], 1, 22), v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]
    }
}
