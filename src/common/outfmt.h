/* outfmt.h: the field quoting that the tools' CSV and JSON outputs share
 * (huskyreplay --csv/--json/--plot, huskysim --csv/--json/--plot). */
#ifndef HUSKY_COMMON_OUTFMT_H
#define HUSKY_COMMON_OUTFMT_H

#include <stdio.h>
#include <string.h>

/* A CSV field: quoted (with doubled quotes) when it holds a comma, a quote
 * or a line break. */
static inline void hk_csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A JSON string: quote and backslash escaped, control bytes as \uXXXX. */
static inline void hk_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

#endif
