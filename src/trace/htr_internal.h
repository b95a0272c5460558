/* src/trace/htr_internal.h: what the trace library's files share (not public). */
#ifndef HUSKY_HTR_INTERNAL_H
#define HUSKY_HTR_INTERNAL_H

#include <stdarg.h>
#include "trace/trace.h"

/* codec.c */
/* The `why` htr_decode reports when the record ran past the end of the
 * buffer: a torn last record, which readers ignore instead of failing. */
extern const char _htr_why_short[];
/* Whether op is the realloc family (two order keys). */
int _htr_op_two_keys(unsigned op);
/* Rounds n up to a multiple of 8. */
static inline uint64_t _htr_round8(uint64_t n)
{
    return (n + 7u) & ~(uint64_t)7u;
}
/* Little-endian loads and stores (the format is little-endian everywhere). */
uint32_t _htr_le32(const uint8_t *p);
uint64_t _htr_le64(const uint8_t *p);
void _htr_put32(uint8_t *p, uint32_t v);
void _htr_put64(uint8_t *p, uint64_t v);
/* Serializes / parses the fixed 64-byte header and 32-byte chunk header. */
void _htr_header_store(uint8_t *out, const struct htr_file_header *h);
void _htr_header_load(struct htr_file_header *h, const uint8_t *in);
void _htr_chunk_store(uint8_t *out, const struct htr_chunk_header *c);
void _htr_chunk_load(struct htr_chunk_header *c, const uint8_t *in);

/* error.c */
/* Fills err with "PATH: offset OFF: reason" (err may be NULL). */
void _htr_error(struct htr_error *err, const char *path, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
