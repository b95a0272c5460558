/* src/tools/callers.c: the default way of naming caller addresses.
 *
 * A caller address is a return address inside the traced process, so only
 * that process's memory map can name it.  This weak default knows no map
 * and names nothing (callers print as raw addresses); the capture code,
 * which records the map, may define tools_caller_name strongly. */
#include "config.h"

#include "tools/tools.h"

__attribute__((weak))
int tools_caller_name(const char *trace_path, uint64_t addr, char *buf, size_t len)
{
    return 0;
}
