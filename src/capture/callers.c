/* Top allocation sites of a trace recorded with `huskytrace record --callers`.
 *
 * Every record of such a trace carries its caller's return address.  The
 * shim also copies the process's /proc/self/maps to PID.maps beside the
 * trace, so an address can be mapped back to a file and an offset in it,
 * and from there, through the file's ELF symbol table (.symtab, else
 * .dynsym), to symbol+offset.
 */
#include "config.h"

#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "capture/tool.h"
#include "trace/trace.h"

/* Allocations made from one return address. */
struct site {
    uint64_t caller;           /* the return address (hash key) */
    uint64_t count;            /* allocations */
    uint64_t bytes;            /* bytes requested by them */
    UT_hash_handle hh;
};

/* One executable mapping of PID.maps. */
struct mapping {
    uint64_t start, end;       /* address range */
    uint64_t offset;           /* file offset of start */
    char path[512];            /* the mapped file */
};

/* ---- PID.maps ---- */

static size_t read_maps(const char *trace, struct mapping **out)
{
    char path[4096];
    size_t n = strlen(trace);
    if (n > 4 && strcmp(trace + n - 4, ".htr") == 0)
        n -= 4;
    snprintf(path, sizeof path, "%.*s.maps", (int)n, trace);
    FILE *f = fopen(path, "r");
    *out = NULL;
    if (!f)
        return 0;
    size_t count = 0, cap = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        struct mapping m;
        char perms[8];
        int pos = 0;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &m.start,
                   &m.end, perms, &m.offset, &pos) < 4 || perms[2] != 'x' || pos == 0
            || line[pos] != '/')
            continue;
        line[strcspn(line, "\n")] = 0;
        snprintf(m.path, sizeof m.path, "%s", line + pos);
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            struct mapping *grown = realloc(*out, cap * sizeof **out);
            if (!grown)
                break;
            *out = grown;
        }
        (*out)[count++] = m;
    }
    fclose(f);
    return count;
}

/* ---- ELF symbols ---- */

/* Finds the symbol of `file` covering file offset `off`: name and the
 * offset into it.  0 on success. */
static int elf_symbol(const char *file, uint64_t off, char *name, size_t cap, uint64_t *delta)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    const uint8_t *img = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED)
        return -1;
    int rc = -1;
    const Elf64_Ehdr *eh = (const void *)img;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64
        || eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size
        || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        goto out;
    /* file offset -> virtual address through the PT_LOAD that holds it */
    const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff);
    uint64_t vaddr = 0;
    int found = 0;
    for (unsigned i = 0; i < eh->e_phnum && !found; i++)
        if (ph[i].p_type == PT_LOAD && off >= ph[i].p_offset
            && off < ph[i].p_offset + ph[i].p_filesz) {
            vaddr = off - ph[i].p_offset + ph[i].p_vaddr;
            found = 1;
        }
    if (!found)
        goto out;
    const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff);
    for (int want = SHT_SYMTAB; want >= SHT_DYNSYM && rc != 0; want -= SHT_SYMTAB - SHT_DYNSYM) {
        for (unsigned i = 0; i < eh->e_shnum && rc != 0; i++) {
            if (sh[i].sh_type != (unsigned)want || sh[i].sh_link >= eh->e_shnum
                || sh[i].sh_offset + sh[i].sh_size > size)
                continue;
            const Elf64_Shdr *strs = &sh[sh[i].sh_link];
            if (strs->sh_offset + strs->sh_size > size)
                continue;
            const Elf64_Sym *sym = (const void *)(img + sh[i].sh_offset);
            size_t nsym = sh[i].sh_size / sizeof *sym;
            const Elf64_Sym *best = NULL;
            for (size_t k = 0; k < nsym; k++) {
                if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_value > vaddr
                    || sym[k].st_name >= strs->sh_size)
                    continue;
                if (vaddr < sym[k].st_value + (sym[k].st_size ? sym[k].st_size : 1)
                    && (!best || sym[k].st_value > best->st_value))
                    best = &sym[k];
            }
            if (best) {
                snprintf(name, cap, "%s", (const char *)img + strs->sh_offset + best->st_name);
                *delta = vaddr - best->st_value;
                rc = 0;
            }
        }
        if (want == SHT_DYNSYM)
            break;
    }
out:
    munmap((void *)img, size);
    return rc;
}

/* Writes "symbol+0xOFF (file)" or "file+0xOFF" or "0xADDR" for addr. */
static void resolve(const struct mapping *maps, size_t nmaps, uint64_t addr, char *out,
                    size_t cap)
{
    for (size_t i = 0; i < nmaps; i++) {
        if (addr < maps[i].start || addr >= maps[i].end)
            continue;
        uint64_t off = addr - maps[i].start + maps[i].offset, delta;
        const char *base = strrchr(maps[i].path, '/') ? strrchr(maps[i].path, '/') + 1
                                                      : maps[i].path;
        char sym[256];
        /* a return address points after the call: look up the byte before */
        if (elf_symbol(maps[i].path, off - 1, sym, sizeof sym, &delta) == 0)
            snprintf(out, cap, "%s+0x%" PRIx64 " (%s)", sym, delta + 1, base);
        else
            snprintf(out, cap, "%s+0x%" PRIx64, base, off);
        return;
    }
    snprintf(out, cap, "0x%" PRIx64, addr);
}

/* ---- counting ---- */

static int by_count(const struct site *a, const struct site *b)
{
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

/* Counts allocations per caller.  0, or 65 on a bad trace. */
static int count_sites(struct htr_reader *r, struct site **sites)
{
    struct htr_event ev;
    struct htr_error err;
    int rc;
    while ((rc = htr_next(r, &ev, &err)) == 1) {
        if (!htr_op_returns(ev.op) || ev.phase == HTR_PHASE_RELEASE)
            continue;
        struct site *s;
        HASH_FIND(hh, *sites, &ev.caller, sizeof ev.caller, s);
        if (!s) {
            s = calloc(1, sizeof *s);
            if (!s)
                return 1;
            s->caller = ev.caller;
            HASH_ADD(hh, *sites, caller, sizeof s->caller, s);
        }
        s->count++;
        s->bytes += ev.size * (ev.count ? ev.count : 1);
    }
    if (rc < 0) {
        fprintf(stderr, "huskytrace: %s\n", err.msg);
        return 65;
    }
    return 0;
}

int cap_print_callers(FILE *out, const char *trace, unsigned top)
{
    struct htr_error err;
    struct htr_reader *r = htr_open(trace, HTR_OPEN_FILE_ORDER, &err);
    if (!r) {
        fprintf(stderr, "huskytrace: %s\n", err.msg);
        return 65;
    }
    if (!(htr_reader_info(r)->header.flags & HTR_F_CALLERS)) {
        fprintf(stderr, "huskytrace: %s was recorded without callers "
                "(use huskytrace record --callers)\n", trace);
        htr_close(r);
        return 1;
    }
    struct site *sites = NULL, *s, *tmp;
    int rc = count_sites(r, &sites);
    htr_close(r);
    struct mapping *maps;
    size_t nmaps = read_maps(trace, &maps);
    HASH_SORT(sites, by_count);
    if (rc == 0)
        fprintf(out, "top allocation sites of %s:\n%12s %14s  %s\n", trace, "count", "bytes",
                "caller");
    unsigned shown = 0;
    HASH_ITER(hh, sites, s, tmp) {
        if (rc == 0 && shown++ < top) {
            char where[1024];
            resolve(maps, nmaps, s->caller, where, sizeof where);
            fprintf(out, "%12" PRIu64 " %14" PRIu64 "  %s\n", s->count, s->bytes, where);
        }
        HASH_DEL(sites, s);
        free(s);
    }
    free(maps);
    return rc;
}
