/* tests/tap.h: a tiny TAP producer for C tests (header only).
 *   tap_ok(cond, fmt, ...)   one test point
 *   tap_skip(why)            one skipped point
 *   tap_diag(fmt, ...)       a comment line
 *   tap_done()               prints the plan and returns the exit status
 * Output goes through write(2) on fd 1 in one call per line, so tests that
 * fork or run under a replacement malloc keep readable logs. */
#ifndef HUSKY_TAP_H
#define HUSKY_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int tap_n;
static int tap_failed;

static void tap_line(const char *prefix, const char *fmt, va_list ap)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s", prefix);
    if (n < 0)
        return;
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    buf[len++] = '\n';
    fflush(stdout);
    if (write(1, buf, len) < 0)
        return;
}

__attribute__((format(printf, 2, 3), unused))
static int tap_ok(int cond, const char *fmt, ...)
{
    char prefix[64];
    va_list ap;
    tap_n++;
    if (!cond)
        tap_failed++;
    snprintf(prefix, sizeof prefix, "%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    tap_line(prefix, fmt, ap);
    va_end(ap);
    return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_line("# ", fmt, ap);
    va_end(ap);
}

__attribute__((unused))
static void tap_skip(const char *why)
{
    char prefix[64];
    tap_n++;
    snprintf(prefix, sizeof prefix, "ok %d - ", tap_n);
    tap_diag("skipped: %s", why);
    printf("%s# SKIP %s\n", prefix, why);
    fflush(stdout);
}

__attribute__((unused))
static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    fflush(stdout);
    return tap_failed ? 1 : 0;
}

#endif
