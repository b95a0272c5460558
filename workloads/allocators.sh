# allocators.sh: sourced by demo.sh and bench.sh.  husky_allocators prints
# the comma-separated list of allocators installed here (glibc first, then
# jemalloc, tcmalloc and mimalloc found by soname, then husky's own found on
# HUSKY_LIB_PATH or in the installed pkglibdir HUSKY_PKGLIBDIR) and writes a
# one-line note on stderr for each one left out.

# so_found SONAME: whether the dynamic linker can find SONAME
so_found() {
    for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib \
             /usr/local/lib; do
        [ -e "$d/$1" ] && return 0
    done
    { /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null; } | grep -q "$1"
}

husky_allocators() {
    _list=glibc
    for _a in jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4 \
              mimalloc:libmimalloc.so.2; do
        if so_found "${_a#*:}"; then _list="$_list,${_a%%:*}"
        else echo "note: ${_a%%:*} is not installed (${_a#*:}): left out" >&2; fi
    done
    for _a in list buddy bucket; do
        _found=no
        _old_ifs=$IFS; IFS=:
        for _d in ${HUSKY_LIB_PATH:-} ${HUSKY_PKGLIBDIR:-}; do
            [ -f "$_d/libhusky-$_a.so" ] && _found=yes
        done
        IFS=$_old_ifs
        if [ $_found = yes ]; then _list="$_list,$_a"
        else echo "note: husky's allocator $_a is not built: left out" >&2; fi
    done
    echo "$_list"
}
