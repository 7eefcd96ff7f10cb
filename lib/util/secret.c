/* Secret memory (see secret.h): a mapping per secret, its size kept in front of it. */
#include "util/secret.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HEADER 16 /* the mapping's size, keeping the string 16-byte aligned */

char *kafka__secret_dup(const char *s) {
    size_t len = strlen(s) + 1;
    long page = sysconf(_SC_PAGESIZE);
    size_t psize = page > 0 ? (size_t)page : 4096;
    if (len > SIZE_MAX - HEADER - psize)
        return NULL;
    size_t size = (HEADER + len + psize - 1) / psize * psize;
    uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
#ifdef MADV_DONTDUMP
    madvise(map, size, MADV_DONTDUMP);
#endif
    memcpy(map, &size, sizeof(size));
    memcpy(map + HEADER, s, len);
    return (char *)map + HEADER;
}

void kafka__secret_free(char *s) {
    if (!s)
        return;
    uint8_t *map = (uint8_t *)s - HEADER;
    size_t size;
    memcpy(&size, map, sizeof(size));
    explicit_bzero(map, size);
    munmap(map, size);
}
