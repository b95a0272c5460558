/* The shim's record encoder: the same bytes as htr_encode (trace.h), written
 * straight into the chunk.
 *
 * htr_encode builds a record in a buffer and copies it with a variable-size
 * memcpy; on the shim's path, once per malloc call, that copy alone cost
 * ~20 ns per event (docs/benchmarks/capture.md).  Inlined into each hook,
 * with the op a constant, this version folds to a few stores.  The caller
 * guarantees HTR_MAX_RECORD bytes of room.  tests/capture/encode checks that
 * both encoders write identical bytes.
 */
#ifndef HUSKY_CAP_ENCODE_H
#define HUSKY_CAP_ENCODE_H

#include <stdint.h>

#include "trace/trace.h"

/* The hot path: inlined into each hook, where the op is a constant. */
#define CAP_INLINE static inline __attribute__((always_inline))

CAP_INLINE uint64_t cap_zigzag(uint64_t delta)
{
    return (delta << 1) ^ (uint64_t)((int64_t)delta >> 63);
}

/* LEB128, low 7 bits first. */
CAP_INLINE uint8_t *cap_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A pointer field: its delta from the previous pointer, which it becomes. */
CAP_INLINE uint8_t *cap_pointer(uint8_t *p, struct htr_codec_state *st, uint64_t ptr)
{
    p = cap_varint(p, cap_zigzag(ptr - st->prev_addr));
    st->prev_addr = ptr;
    return p;
}

/* The per-op argument fields (trace.h, "fields per op"). */
CAP_INLINE uint8_t *cap_fields(uint8_t *p, struct htr_codec_state *st,
                               const struct htr_event *ev)
{
    switch (ev->op) {
    case HTR_OP_CALLOC:
        return cap_varint(cap_varint(p, ev->count), ev->size);
    case HTR_OP_REALLOC:
        return cap_varint(cap_pointer(p, st, ev->ptr), ev->size);
    case HTR_OP_REALLOCARRAY:
        return cap_varint(cap_varint(cap_pointer(p, st, ev->ptr), ev->count), ev->size);
    case HTR_OP_FREE:
        return cap_pointer(p, st, ev->ptr);
    case HTR_OP_MEMALIGN:
    case HTR_OP_POSIX_MEMALIGN:
    case HTR_OP_ALIGNED_ALLOC:
        return cap_varint(cap_varint(p, ev->align), ev->size);
    case HTR_OP_THREAD_START:
        return cap_varint(p, ev->tid);
    case HTR_OP_THREAD_EXIT:
        return p;
    default:                    /* malloc, valloc, pvalloc */
        return cap_varint(p, ev->size);
    }
}

/* Encodes ev at p (room for HTR_MAX_RECORD bytes); returns the end. */
CAP_INLINE uint8_t *
cap_encode(uint8_t *p, struct htr_codec_state *st, const struct htr_event *ev, int callers)
{
    unsigned op = ev->op;
    int two = op == HTR_OP_REALLOC || op == HTR_OP_REALLOCARRAY;
    int returns = op != HTR_OP_FREE && op != HTR_OP_THREAD_START && op != HTR_OP_THREAD_EXIT;
    *p++ = (uint8_t)(op | (returns && ev->result == 0 ? HTR_REC_NULL_RESULT : 0));
    p = cap_varint(p, cap_zigzag(ev->seq - st->prev_key));
    p = cap_fields(p, st, ev);
    if (two)
        p = cap_varint(p, ev->seq2 - ev->seq);
    if (returns && ev->result != 0)
        p = cap_pointer(p, st, ev->result);
    if (callers) {
        p = cap_varint(p, cap_zigzag(ev->caller - st->prev_caller));
        st->prev_caller = ev->caller;
    }
    st->prev_key = two ? ev->seq2 : ev->seq;
    return p;
}

#endif
