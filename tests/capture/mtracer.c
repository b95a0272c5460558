/* libmtracer.so: a constructor that calls mtrace(), so that glibc's
 * libc_malloc_debug.so.0 writes a real mtrace log (MALLOC_TRACE=FILE) for
 * the import test. */
#include "config.h"

#include <mcheck.h>

void cap_test_start_mtrace(void) __attribute__((constructor));

void cap_test_start_mtrace(void)
{
    mtrace();
}
