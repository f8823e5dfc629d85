/*
 * guard.h — buffers flush against PROT_NONE pages, and a SIGSEGV reporter, for
 * the hardening tests. A read or write one element past either end of such a
 * buffer faults at once, in the shipped (uninstrumented) library.
 */
#ifndef SWIFTPOOL_GUARD_H
#define SWIFTPOOL_GUARD_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A mapping [guard page | data pages | guard page]; `ptr` is `bytes` long and
 * either ends at the upper guard page (at_end) or starts right after the lower. */
typedef struct {
    unsigned char *map;
    size_t map_len;
    void *ptr;
    size_t bytes;
} guarded;

static inline size_t guard_page_size(void) {
    static size_t page;
    if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

static inline guarded guard_alloc(size_t bytes, int at_end) {
    size_t page = guard_page_size();
    size_t data = (bytes + page - 1) / page * page;
    if (data == 0) data = page;
    guarded g;
    g.map_len = data + 2 * page;
    g.map = mmap(NULL, g.map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED) { perror("mmap"); exit(2); }
    if (mprotect(g.map + page, data, PROT_READ | PROT_WRITE) != 0) { perror("mprotect"); exit(2); }
    g.ptr = at_end ? g.map + page + data - bytes : g.map + page;
    g.bytes = bytes;
    return g;
}

/* A reusable slot for buffers of up to `capacity` bytes: one mapping
 * [guard | capacity | guard], made once, so placing a buffer costs no system
 * call. guard_place() puts `bytes` flush against the upper guard (at_end) or the
 * lower one; the other side stays accessible, which the other placement covers. */
static inline guarded guard_slot(size_t capacity) {
    guarded g = guard_alloc(capacity, 0);
    g.bytes = capacity;
    return g;
}

static inline void *guard_place(const guarded *slot, size_t bytes, int at_end) {
    size_t page = guard_page_size();
    unsigned char *data = slot->map + page, *end = slot->map + slot->map_len - page;
    if (bytes > (size_t)(end - data)) { fprintf(stderr, "guard slot too small\n"); exit(2); }
    return at_end ? end - bytes : data;
}

/* Toggles a slot (or buffer) between writable and read-only. */
static inline void guard_protect(const guarded *slot, int writable) {
    size_t page = guard_page_size();
    if (mprotect(slot->map + page, slot->map_len - 2 * page, writable ? PROT_READ | PROT_WRITE : PROT_READ) != 0) {
        perror("mprotect");
        exit(2);
    }
}

/* Make the data read-only: the library must never write its inputs. */
static inline void guard_readonly(guarded *g) {
    size_t page = guard_page_size();
    if (mprotect(g->map + page, g->map_len - 2 * page, PROT_READ) != 0) { perror("mprotect"); exit(2); }
}

static inline void guard_free(guarded *g) {
    if (g->map) munmap(g->map, g->map_len);
    g->map = NULL;
}

/* What the test is doing, printed if a guard page faults. */
static char guard_context[1024];

static inline void guard_on_fault(int sig) {
    static const char head[] = "\nFAULT (guard page hit: out-of-bounds access) during: ";
    ssize_t r = write(2, head, sizeof head - 1);
    r = write(2, guard_context, strlen(guard_context));
    r = write(2, "\n", 1);
    (void)r;
    _exit(128 + sig);
}

static inline void guard_install_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = guard_on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

#endif /* SWIFTPOOL_GUARD_H */
