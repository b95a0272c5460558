/* mkhtr: writes a trace from a small text description, so replay tests can
 * state exactly what a traced program did (and what the answer must be).
 *
 *   mkhtr IN.txt OUT.htr         text -> trace
 *   mkhtr --synth N OUT.htr [T [W]]  N malloc/free pairs over T threads (default
 *                                    4), each keeping W blocks live (default 64)
 *
 * Text: one event per line, '#' starts a comment, numbers in C syntax:
 *   flags inherited                    (header flag HTR_F_INHERITED)
 *   T malloc SIZE = RESULT             T is the thread index
 *   T calloc COUNT SIZE = RESULT
 *   T realloc PTR SIZE = RESULT
 *   T reallocarray PTR COUNT SIZE = RESULT
 *   T free PTR
 *   T memalign|posix_memalign|aligned_alloc ALIGN SIZE = RESULT
 *   T valloc|pvalloc SIZE = RESULT
 *   T thread_start TID | T thread_exit
 * "= RESULT" left out means the call returned NULL.  Each line's key is 100
 * times its event number (realloc's second key +1) unless "@KEY" or
 * "@KEY/KEY2" ends the line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

static int die(const char *what, const char *detail)
{
    fprintf(stderr, "mkhtr: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

/* Parses one event line into ev.  0, or -1 if malformed. */
static int parse_line(char *line, uint64_t n, struct htr_event *ev)
{
    char *tok[12];
    int nt = 0;
    uint64_t key = n * 100, key2 = 0;
    int has_key2 = 0;
    for (char *save = NULL, *t = strtok_r(line, " \t\n", &save); t && nt < 12;
         t = strtok_r(NULL, " \t\n", &save)) {
        if (t[0] == '@') {
            char *slash = strchr(t, '/');
            key = strtoull(t + 1, NULL, 0);
            if (slash) {
                key2 = strtoull(slash + 1, NULL, 0);
                has_key2 = 1;
            }
            continue;
        }
        tok[nt++] = t;
    }
    if (nt < 2)
        return -1;
    memset(ev, 0, sizeof *ev);
    ev->thread = (uint32_t)strtoul(tok[0], NULL, 0);
    ev->op = (uint8_t)htr_op_from_name(tok[1]);
    ev->count = 1;
    int nargs = nt - 2;
    if (nargs >= 2 && !strcmp(tok[nt - 2], "=")) {
        ev->result = strtoull(tok[nt - 1], NULL, 0);
        nargs -= 2;
    }
    uint64_t a[3] = { 0, 0, 0 };
    for (int i = 0; i < nargs && i < 3; i++)
        a[i] = strtoull(tok[2 + i], NULL, 0);
    switch (ev->op) {
    case HTR_OP_MALLOC: case HTR_OP_VALLOC: case HTR_OP_PVALLOC: ev->size = a[0]; break;
    case HTR_OP_CALLOC: ev->count = a[0]; ev->size = a[1]; break;
    case HTR_OP_REALLOC: ev->ptr = a[0]; ev->size = a[1]; break;
    case HTR_OP_REALLOCARRAY: ev->ptr = a[0]; ev->count = a[1]; ev->size = a[2]; break;
    case HTR_OP_FREE: ev->ptr = a[0]; break;
    case HTR_OP_MEMALIGN: case HTR_OP_POSIX_MEMALIGN: case HTR_OP_ALIGNED_ALLOC:
        ev->align = a[0]; ev->size = a[1]; break;
    case HTR_OP_THREAD_START: ev->tid = a[0]; break;
    case HTR_OP_THREAD_EXIT: break;
    default: return -1;
    }
    ev->seq = key;
    ev->seq2 = has_key2 ? key2 :
               (ev->op == HTR_OP_REALLOC || ev->op == HTR_OP_REALLOCARRAY) ? key + 1 : key;
    return 0;
}

static struct htr_writer *open_out(const char *path, uint32_t flags)
{
    struct htr_file_header h;
    struct htr_error err;
    static const char cmd[] = "mkhtr";
    htr_header_init(&h, flags, sizeof cmd);
    struct htr_writer *w = htr_writer_open(path, &h, cmd, sizeof cmd, &err);
    if (!w)
        fprintf(stderr, "mkhtr: %s\n", err.msg);
    return w;
}

static int from_text(const char *in, const char *out)
{
    FILE *f = fopen(in, "r");
    if (!f)
        return die("cannot open", in);
    char line[512];
    uint32_t flags = 0;
    long pos = ftell(f);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "flags inherited", 15))
            flags |= HTR_F_INHERITED;
    fseek(f, pos, SEEK_SET);
    struct htr_writer *w = open_out(out, flags);
    if (!w) {
        fclose(f);
        return 1;
    }
    uint64_t n = 0, lineno = 0;
    struct htr_error err;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        if (strspn(line, " \t\n") == strlen(line) || !strncmp(line, "flags", 5))
            continue;
        struct htr_event ev;
        if (parse_line(line, ++n, &ev) != 0) {
            fprintf(stderr, "mkhtr: %s:%llu: malformed line\n", in, (unsigned long long)lineno);
            htr_writer_abort(w);
            fclose(f);
            return 1;
        }
        if (htr_writer_add(w, &ev, &err) != 0) {
            fprintf(stderr, "mkhtr: %s\n", err.msg);
            htr_writer_abort(w);
            fclose(f);
            return 1;
        }
    }
    fclose(f);
    if (htr_writer_close(w, &err) != 0)
        return die(err.msg, NULL);
    return 0;
}

/* A long synthetic trace: nt threads taking turns, each with a window of
 * `win` live blocks of 16..1040 bytes, freeing the oldest as it allocates
 * (2*N events). */
static int synth(uint64_t pairs, const char *out, uint32_t nt, uint64_t win)
{
    struct htr_writer *w = open_out(out, 0);
    struct htr_error err;
    if (!w)
        return 1;
    uint64_t key = 1, rng = 88172645463325252ull;
    for (uint64_t i = 0; i < pairs + (uint64_t)nt * win; i++) {
        uint32_t t = (uint32_t)(i % nt);
        uint64_t k = i / nt;
        struct htr_event ev = { .thread = t, .count = 1, .op = HTR_OP_MALLOC };
        if (i < pairs) {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            ev.size = 16 + (rng & 1023);
            ev.result = ((uint64_t)t << 40) + (k << 12) + 0x10000;
            ev.seq = ev.seq2 = key++;
            if (htr_writer_add(w, &ev, &err) != 0)
                break;
        }
        if (k >= win) {
            struct htr_event fr = { .thread = t, .count = 1, .op = HTR_OP_FREE };
            fr.ptr = ((uint64_t)t << 40) + ((k - win) << 12) + 0x10000;
            fr.seq = fr.seq2 = key++;
            if ((k - win) * nt + t < pairs && htr_writer_add(w, &fr, &err) != 0)
                break;
        }
    }
    if (htr_writer_close(w, &err) != 0)
        return die(err.msg, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "--synth")) {
        uint32_t nt = argc >= 5 ? (uint32_t)strtoul(argv[4], NULL, 0) : 4;
        uint64_t win = argc == 6 ? strtoull(argv[5], NULL, 0) : 64;
        return synth(strtoull(argv[2], NULL, 0), argv[3], nt ? nt : 1, win ? win : 1);
    }
    if (argc != 3) {
        fprintf(stderr, "usage: mkhtr IN.txt OUT.htr | mkhtr --synth PAIRS OUT.htr [THREADS [WINDOW]]\n");
        return 2;
    }
    return from_text(argv[1], argv[2]);
}
