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

static size_t guard_page_size(void) {
    static size_t page;
    if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

static guarded guard_alloc(size_t bytes, int at_end) {
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

/* Make the data read-only: the library must never write its inputs. */
static void guard_readonly(guarded *g) {
    size_t page = guard_page_size();
    if (mprotect(g->map + page, g->map_len - 2 * page, PROT_READ) != 0) { perror("mprotect"); exit(2); }
}

static void guard_free(guarded *g) {
    if (g->map) munmap(g->map, g->map_len);
    g->map = NULL;
}

/* What the test is doing, printed if a guard page faults. */
static char guard_context[1024];

static void guard_on_fault(int sig) {
    static const char head[] = "\nFAULT (guard page hit: out-of-bounds access) during: ";
    ssize_t r = write(2, head, sizeof head - 1);
    r = write(2, guard_context, strlen(guard_context));
    r = write(2, "\n", 1);
    (void)r;
    _exit(128 + sig);
}

static void guard_install_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = guard_on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

#endif /* SWIFTPOOL_GUARD_H */
