/* src/trace/codec.c: the record encoder and decoder, op names, header init.
 *
 * Everything in this file may run inside malloc (the capture shim encodes
 * from within the interposed calls): no malloc, no stdio, no locale, no
 * locks, no errno changes that outlive a call.  See docs/trace-format.md. */
#include "config.h"

#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_AUXV_H
#include <sys/auxv.h>
#endif
#include <errno.h>

#include "trace/htr_internal.h"

const char _htr_why_short[] = "record runs past the end of its chunk";

/* ---- op table ---- */

/* Names indexed by op; the index is the on-disk value. */
static const char *const op_names[HTR_OP_COUNT] = {
    [HTR_OP_MALLOC] = "malloc",
    [HTR_OP_CALLOC] = "calloc",
    [HTR_OP_REALLOC] = "realloc",
    [HTR_OP_FREE] = "free",
    [HTR_OP_MEMALIGN] = "memalign",
    [HTR_OP_POSIX_MEMALIGN] = "posix_memalign",
    [HTR_OP_ALIGNED_ALLOC] = "aligned_alloc",
    [HTR_OP_VALLOC] = "valloc",
    [HTR_OP_PVALLOC] = "pvalloc",
    [HTR_OP_REALLOCARRAY] = "reallocarray",
    [HTR_OP_THREAD_START] = "thread_start",
    [HTR_OP_THREAD_EXIT] = "thread_exit",
};

const char *htr_op_name(unsigned op)
{
    if (op == 0 || op >= HTR_OP_COUNT)
        return "?";
    return op_names[op];
}

unsigned htr_op_from_name(const char *name)
{
    for (unsigned op = 1; op < HTR_OP_COUNT; op++)
        if (strcmp(op_names[op], name) == 0)
            return op;
    return 0;
}

int htr_op_returns(unsigned op)
{
    return op >= 1 && op < HTR_OP_COUNT && op != HTR_OP_FREE && op != HTR_OP_THREAD_START
           && op != HTR_OP_THREAD_EXIT;
}

int _htr_op_two_keys(unsigned op)
{
    return op == HTR_OP_REALLOC || op == HTR_OP_REALLOCARRAY;
}

/* ---- little-endian helpers ---- */

uint32_t _htr_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t _htr_le64(const uint8_t *p)
{
    return (uint64_t)_htr_le32(p) | (uint64_t)_htr_le32(p + 4) << 32;
}

void _htr_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void _htr_put64(uint8_t *p, uint64_t v)
{
    _htr_put32(p, (uint32_t)v);
    _htr_put32(p + 4, (uint32_t)(v >> 32));
}

/* Header fields by byte offset, so the file layout never depends on the
 * compiler's struct layout or the host's byte order. */
void _htr_header_store(uint8_t *out, const struct htr_file_header *h)
{
    memcpy(out, h->magic, 8);
    out[8] = (uint8_t)h->version;
    out[9] = (uint8_t)(h->version >> 8);
    out[10] = (uint8_t)h->reserved0;
    out[11] = (uint8_t)(h->reserved0 >> 8);
    _htr_put32(out + 12, h->header_size);
    _htr_put32(out + 16, h->flags);
    _htr_put32(out + 20, h->pid);
    _htr_put32(out + 24, h->ppid);
    _htr_put32(out + 28, h->exec_count);
    _htr_put32(out + 32, h->page_size);
    _htr_put32(out + 36, h->cmdline_len);
    _htr_put64(out + 40, h->start_realtime_ns);
    _htr_put64(out + 48, h->start_ns);
    _htr_put64(out + 56, h->start_key);
    _htr_put64(out + 64, h->reserved1);
}

void _htr_header_load(struct htr_file_header *h, const uint8_t *in)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, in, 8);
    h->version = (uint16_t)(in[8] | in[9] << 8);
    h->reserved0 = (uint16_t)(in[10] | in[11] << 8);
    h->header_size = _htr_le32(in + 12);
    h->flags = _htr_le32(in + 16);
    h->pid = _htr_le32(in + 20);
    h->ppid = _htr_le32(in + 24);
    h->exec_count = _htr_le32(in + 28);
    h->page_size = _htr_le32(in + 32);
    h->cmdline_len = _htr_le32(in + 36);
    h->start_realtime_ns = _htr_le64(in + 40);
    h->start_ns = _htr_le64(in + 48);
    h->start_key = _htr_le64(in + 56);
    h->reserved1 = _htr_le64(in + 64);
}

void _htr_chunk_store(uint8_t *out, const struct htr_chunk_header *c)
{
    _htr_put32(out, c->magic);
    _htr_put32(out + 4, c->thread);
    _htr_put32(out + 8, c->used);
    _htr_put32(out + 12, c->capacity);
    _htr_put64(out + 16, c->base_key);
    _htr_put64(out + 24, c->base_ns);
}

void _htr_chunk_load(struct htr_chunk_header *c, const uint8_t *in)
{
    c->magic = _htr_le32(in);
    c->thread = _htr_le32(in + 4);
    c->used = _htr_le32(in + 8);
    c->capacity = _htr_le32(in + 12);
    c->base_key = _htr_le64(in + 16);
    c->base_ns = _htr_le64(in + 24);
}

_Static_assert(sizeof(struct htr_file_header) == HTR_HEADER_FIXED, "header layout");
_Static_assert(sizeof(struct htr_chunk_header) == HTR_CHUNK_HEADER, "chunk header layout");

/* ---- varints ---- */

static inline uint64_t zigzag(uint64_t delta)
{
    return (delta << 1) ^ (uint64_t)((int64_t)delta >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
    return (z >> 1) ^ (uint64_t)-(int64_t)(z & 1);
}

/* LEB128: 7 bits per byte, low first, high bit = more.  At most 10 bytes. */
static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Reads one varint from [*pp, end).  Returns 0, or -1 when the buffer ends
 * first (*why = _htr_why_short) or the value does not fit 64 bits. */
static int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out, const char **why)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (p == end) {
            *why = _htr_why_short;
            return -1;
        }
        uint8_t b = *p++;
        if (shift == 63 && b > 1) {
            *why = "varint overflows 64 bits";
            return -1;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *pp = p;
    *out = v;
    return 0;
}

/* ---- records ---- */

void htr_codec_reset(struct htr_codec_state *st, uint64_t base_key)
{
    st->prev_key = base_key;
    st->prev_addr = 0;
    st->prev_caller = 0;
}

/* Appends the per-op argument fields of ev (see trace.h). */
static uint8_t *put_fields(uint8_t *p, const struct htr_event *ev, uint64_t *prev_addr)
{
    switch (ev->op) {
    case HTR_OP_CALLOC:
        p = put_varint(p, ev->count);
        return put_varint(p, ev->size);
    case HTR_OP_REALLOC:
    case HTR_OP_REALLOCARRAY:
        p = put_varint(p, zigzag(ev->ptr - *prev_addr));
        *prev_addr = ev->ptr;
        if (ev->op == HTR_OP_REALLOCARRAY)
            p = put_varint(p, ev->count);
        return put_varint(p, ev->size);
    case HTR_OP_FREE:
        p = put_varint(p, zigzag(ev->ptr - *prev_addr));
        *prev_addr = ev->ptr;
        return p;
    case HTR_OP_MEMALIGN:
    case HTR_OP_POSIX_MEMALIGN:
    case HTR_OP_ALIGNED_ALLOC:
        p = put_varint(p, ev->align);
        return put_varint(p, ev->size);
    case HTR_OP_THREAD_START:
        return put_varint(p, ev->tid);
    case HTR_OP_THREAD_EXIT:
        return p;
    default:                    /* malloc, valloc, pvalloc */
        return put_varint(p, ev->size);
    }
}

size_t htr_encode(uint8_t *buf, size_t cap, struct htr_codec_state *st,
                  const struct htr_event *ev, int callers)
{
    uint8_t tmp[HTR_MAX_RECORD];
    uint8_t *p = tmp;
    uint64_t prev_addr = st->prev_addr;
    unsigned op = ev->op;
    int returns = htr_op_returns(op);
    int two = _htr_op_two_keys(op);

    if (op == 0 || op >= HTR_OP_COUNT)
        return 0;
    *p++ = (uint8_t)(op | (returns && ev->result == 0 ? HTR_REC_NULL_RESULT : 0));
    p = put_varint(p, zigzag(ev->seq - st->prev_key));
    p = put_fields(p, ev, &prev_addr);
    if (two)
        p = put_varint(p, ev->seq2 - ev->seq);
    if (returns && ev->result != 0) {
        p = put_varint(p, zigzag(ev->result - prev_addr));
        prev_addr = ev->result;
    }
    if (callers)
        p = put_varint(p, zigzag(ev->caller - st->prev_caller));
    size_t n = (size_t)(p - tmp);
    if (n > cap)
        return 0;
    memcpy(buf, tmp, n);
    st->prev_key = two ? ev->seq2 : ev->seq;
    st->prev_addr = prev_addr;
    if (callers)
        st->prev_caller = ev->caller;
    return n;
}

/* Reads the per-op argument fields into ev (the mirror of put_fields). */
static int get_fields(const uint8_t **pp, const uint8_t *end, struct htr_event *ev,
                      uint64_t *prev_addr, const char **why)
{
    uint64_t v;
    switch (ev->op) {
    case HTR_OP_CALLOC:
        return get_varint(pp, end, &ev->count, why) || get_varint(pp, end, &ev->size, why);
    case HTR_OP_REALLOC:
    case HTR_OP_REALLOCARRAY:
    case HTR_OP_FREE:
        if (get_varint(pp, end, &v, why))
            return -1;
        ev->ptr = *prev_addr + unzigzag(v);
        *prev_addr = ev->ptr;
        if (ev->op == HTR_OP_FREE)
            return 0;
        if (ev->op == HTR_OP_REALLOCARRAY && get_varint(pp, end, &ev->count, why))
            return -1;
        return get_varint(pp, end, &ev->size, why);
    case HTR_OP_MEMALIGN:
    case HTR_OP_POSIX_MEMALIGN:
    case HTR_OP_ALIGNED_ALLOC:
        return get_varint(pp, end, &ev->align, why) || get_varint(pp, end, &ev->size, why);
    case HTR_OP_THREAD_START:
        return get_varint(pp, end, &ev->tid, why);
    case HTR_OP_THREAD_EXIT:
        return 0;
    default:
        return get_varint(pp, end, &ev->size, why);
    }
}

size_t htr_decode(const uint8_t *buf, size_t len, struct htr_codec_state *st,
                  struct htr_event *ev, int callers, const char **why)
{
    const uint8_t *p = buf, *end = buf + len;
    uint64_t prev_addr = st->prev_addr, v;
    uint32_t thread = ev->thread;

    if (len == 0) {
        *why = _htr_why_short;
        return 0;
    }
    unsigned op = *p & 0x1fu, is_null = *p & HTR_REC_NULL_RESULT;
    if ((*p & 0xa0u) || op == 0 || op >= HTR_OP_COUNT) {
        *why = "bad operation byte";
        return 0;
    }
    p++;
    memset(ev, 0, sizeof *ev);
    ev->thread = thread;
    ev->op = (uint8_t)op;
    ev->count = 1;
    int returns = htr_op_returns(op);
    if (is_null && !returns) {
        *why = "NULL-result flag on an operation that returns nothing";
        return 0;
    }
    if (get_varint(&p, end, &v, why))
        return 0;
    ev->seq = st->prev_key + unzigzag(v);
    ev->seq2 = ev->seq;
    if (get_fields(&p, end, ev, &prev_addr, why))
        return 0;
    if (_htr_op_two_keys(op)) {
        if (get_varint(&p, end, &v, why))
            return 0;
        ev->seq2 = ev->seq + v;
    }
    if (returns && !is_null) {
        if (get_varint(&p, end, &v, why))
            return 0;
        ev->result = prev_addr + unzigzag(v);
        prev_addr = ev->result;
        if (ev->result == 0) {
            *why = "NULL result without the NULL-result flag";
            return 0;
        }
    }
    if (callers) {
        if (get_varint(&p, end, &v, why))
            return 0;
        ev->caller = st->prev_caller + unzigzag(v);
        st->prev_caller = ev->caller;
    }
    st->prev_key = ev->seq2;
    st->prev_addr = prev_addr;
    return (size_t)(p - buf);
}

/* ---- header ---- */

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Fills a header for the calling process.  start_key is CLOCK_MONOTONIC ns;
 * a writer whose keys are TSC ticks (HTR_F_TSC) overwrites start_key with
 * the tick count it read next to start_ns. */
void htr_header_init(struct htr_file_header *h, uint32_t flags, uint32_t cmdline_len)
{
    int saved = errno;
    memset(h, 0, sizeof *h);
    memcpy(h->magic, HTR_MAGIC, 8);
    h->version = HTR_VERSION;
    h->header_size = (uint32_t)_htr_round8((uint64_t)HTR_HEADER_FIXED + cmdline_len);
    h->flags = flags;
    h->pid = (uint32_t)getpid();
    h->ppid = (uint32_t)getppid();
    h->cmdline_len = cmdline_len;
#ifdef HAVE_SYS_AUXV_H
    h->page_size = (uint32_t)getauxval(AT_PAGESZ);
#endif
    if (h->page_size == 0)
        h->page_size = 4096;
    h->start_realtime_ns = clock_ns(CLOCK_REALTIME);
    h->start_ns = clock_ns(CLOCK_MONOTONIC);
    h->start_key = h->start_ns;
    errno = saved;
}
