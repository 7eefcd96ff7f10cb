/* Secrets in memory (passwords, keys' passphrases, tokens): each in its own page-aligned
 * mapping that core dumps leave out (madvise MADV_DONTDUMP) and that is wiped
 * (explicit_bzero) before it goes back to the system. A crash dump of a client, or of
 * kafka-agent, then holds no password from its configuration. */
#ifndef KAFKA_UTIL_SECRET_H
#define KAFKA_UTIL_SECRET_H

/* A copy of s in secret memory; NULL when out of memory. A kernel that does not know
 * MADV_DONTDUMP still gets the copy (and the wipe). */
/* @thread any  @locks none */
char *kafka__secret_dup(const char *s);

/* Wipes and unmaps a copy kafka__secret_dup made; NULL is a no-op. */
/* @thread any  @locks none */
void kafka__secret_free(char *s);

#endif
