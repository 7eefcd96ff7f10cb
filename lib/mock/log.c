/* Partition logs of the mock: entries (RecordBatch v2 batches or MessageSet messages)
 * stored back to back in segments, so a Fetch answers with one contiguous slice.
 * Appends are validated (CRCs, framing, idempotent sequences) before any byte lands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mock/mock_int.h"
#include "proto/compress.h"
#include "proto/reader.h"
#include "util/vec.h"

static kmock_pstate_t *pstate(kmock_partition_t *p, int64_t pid, bool create) {
    for (kmock_pstate_t *s = p->producers; s; s = s->next)
        if (s->producer_id == pid)
            return s;
    if (!create)
        return NULL;
    kmock_pstate_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->producer_id = pid;
    s->epoch = -1;
    s->last_seq = -1;
    s->next = p->producers;
    p->producers = s;
    return s;
}

/* Kafka's idempotence rules for one batch. *dup_offset >= 0 means an exact duplicate of
 * a recent batch: nothing is appended and the original offset is returned (Kafka >= 1.0
 * answers a duplicate with success, not DUPLICATE_SEQUENCE_NUMBER). */
static kafka_err_t check_sequence(kmock_partition_t *p, int64_t pid, int16_t epoch, int32_t first, int32_t last,
                                  int64_t *dup_offset, const char **why) {
    *dup_offset = -1;
    kmock_pstate_t *s = pstate(p, pid, false);
    if (!s || epoch > s->epoch) {
        if (first != 0) {
            *why = "a new producer (or epoch) must start at sequence 0";
            return KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        }
        return KAFKA_OK;
    }
    if (epoch < s->epoch) {
        *why = "producer epoch is older than the partition's";
        return KAFKA_ERR_INVALID_PRODUCER_EPOCH;
    }
    for (int i = 0; i < s->ncache; i++) {
        if (s->cache[i].first_seq == first && s->cache[i].last_seq == last) {
            *dup_offset = s->cache[i].base_offset;
            return KAFKA_OK;
        }
    }
    int32_t expect = s->last_seq == INT32_MAX ? 0 : s->last_seq + 1;
    if (first != expect) {
        *why = "sequence number is not the next one expected";
        return KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
    return KAFKA_OK;
}

static void record_sequence(kmock_partition_t *p, int64_t pid, int16_t epoch, int32_t first, int32_t last,
                            int64_t base) {
    kmock_pstate_t *s = pstate(p, pid, true);
    if (!s)
        return;
    if (epoch != s->epoch)
        s->ncache = 0;
    s->epoch = epoch;
    s->last_seq = last;
    if (s->ncache == KMOCK_PRODUCER_CACHE) {
        memmove(&s->cache[0], &s->cache[1], sizeof(s->cache[0]) * (KMOCK_PRODUCER_CACHE - 1));
        s->ncache--;
    }
    s->cache[s->ncache].first_seq = first;
    s->cache[s->ncache].last_seq = last;
    s->cache[s->ncache].base_offset = base;
    s->ncache++;
}

#define SEGMENT_SIZE (2u << 20) /* one huge page */
#define HUGE_PAGE (2u << 20)

/* Room for n bytes at the end of the newest segment, starting a new one when needed;
 * NULL on ENOMEM. Segments are 2 MiB mappings. A partition's first one takes memory a
 * 4 KiB page at a time as it fills, so thousands of small partitions hold about their
 * data, not 2 MiB each; the later ones of a partition that outgrew it are advised as huge
 * pages: appending hundreds of MB then costs a few hundred page faults, not tens of
 * thousands. */
static uint8_t *seg_reserve(kmock_partition_t *p, size_t n) {
    kmock_segment_t *sg = p->nsegs > p->first_seg ? &p->segs[p->nsegs - 1] : NULL;
    if (sg && sg->cap - sg->len >= n)
        return sg->data + sg->len;
    kmock_segment_t *segs = kafka__vec_grow(p->segs, &p->capsegs, p->nsegs, sizeof(*segs), 8);
    if (!segs)
        return NULL;
    p->segs = segs;
    size_t cap = n > SEGMENT_SIZE ? (n + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE : SEGMENT_SIZE;
    if (p->spare.data && p->spare.cap >= cap) {
        p->segs[p->nsegs++] = (kmock_segment_t){p->spare.data, 0, p->spare.cap};
        p->spare.data = NULL;
        return p->segs[p->nsegs - 1].data;
    }
    void *mem = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (p->nsegs > 0)
        madvise(mem, cap, MADV_HUGEPAGE);
#endif
    p->segs[p->nsegs++] = (kmock_segment_t){mem, 0, cap};
    return mem;
}

/* Copies an entry's bytes into the log; returns where it landed or NULL. */
static uint8_t *seg_append(kmock_partition_t *p, const void *src, size_t n) {
    uint8_t *dst = seg_reserve(p, n);
    if (!dst)
        return NULL;
    memcpy(dst, src, n);
    p->segs[p->nsegs - 1].len += n;
    return dst;
}

static bool add_entry(kmock_partition_t *p, int64_t base, int64_t last, int64_t max_ts, const uint8_t *at,
                      size_t len) {
    kmock_entry_t *entries = kafka__vec_grow(p->entries, &p->capentries, p->nentries, sizeof(*entries), 64);
    if (!entries)
        return false;
    p->entries = entries;
    size_t seg = p->nsegs - 1;
    p->entries[p->nentries++] = (kmock_entry_t){base, last, max_ts, seg, (size_t)(at - p->segs[seg].data), len};
    p->bytes += len;
    return true;
}

/* Counts the messages of a compressed MessageSet wrapper and, for magic 0 (whose inner
 * offsets are absolute), rewrites them from `base` and recompresses into out. */
static kafka_err_t legacy_wrapper(const uint8_t *msg, size_t len, int magic, int codec, int64_t base,
                                  kafka_buf_t *out, int32_t *count, const char **why) {
    kafka_reader_t r;
    kafka__rd_init(&r, msg, len);
    kafka__rd_take(&r, 12 + 4 + 2 + (magic ? 8 : 0));
    int32_t kl = kafka__rd_i32(&r);
    if (kl > 0)
        kafka__rd_take(&r, (size_t)kl);
    int32_t vl = kafka__rd_i32(&r);
    const uint8_t *v = vl > 0 ? kafka__rd_take(&r, (size_t)vl) : NULL;
    if (!v) {
        *why = "compressed wrapper without a value";
        return KAFKA_ERR_CORRUPT_MESSAGE;
    }
    kafka_buf_t inner = KAFKA_BUF_INIT;
    if (kafka__decompress((kafka_compression_t)codec, v, (size_t)vl, 64u << 20, &inner, NULL, 0) != KAFKA_OK) {
        kafka__buf_free(&inner);
        *why = "compressed wrapper does not decompress";
        return KAFKA_ERR_CORRUPT_MESSAGE;
    }
    kafka_reader_t ir;
    kafka__rd_init(&ir, inner.data, inner.len);
    *count = 0;
    while (kafka__rd_remaining(&ir) >= 12) {
        uint8_t *at = (uint8_t *)ir.p;
        kafka__rd_i64(&ir);
        int32_t sz = kafka__rd_i32(&ir);
        if (sz < 14 || !kafka__rd_take(&ir, (size_t)sz))
            break;
        if (magic == 0)
            kafka__be64(at, (uint64_t)(base + *count));
        (*count)++;
    }
    kafka_err_t err = KAFKA_OK;
    if (*count == 0 || kafka__rd_remaining(&ir)) {
        *why = "compressed wrapper holds a malformed message set";
        err = KAFKA_ERR_CORRUPT_MESSAGE;
    } else if (magic == 0) {
        err = kafka_msgset_append(out, 0, base + *count - 1, -1, (kafka_compression_t)codec, NULL, -1, inner.data,
                                  (int32_t)inner.len, NULL, 0);
    }
    kafka__buf_free(&inner);
    return err;
}

kafka_err_t kmock__log_append(kafka_mock_t *m, kmock_partition_t *p, const uint8_t *data, size_t len, int64_t now_ms,
                              int64_t *base_offset, const char **why) {
    (void)now_ms;
    *why = NULL;
    /* Pass 1: validate everything. */
    size_t pos = 0;
    int n = 0;
    while (pos < len) {
        if (len - pos < 17) {
            *why = "record data ends inside an entry header";
            return KAFKA_ERR_CORRUPT_MESSAGE;
        }
        const uint8_t *e = data + pos;
        int32_t length = (int32_t)kafka__ld_be32(e + 8);
        int8_t magic = (int8_t)e[16];
        if (length < (magic == 2 ? 49 : 14) || (size_t)length > len - pos - 12) {
            *why = "entry length out of bounds";
            return KAFKA_ERR_CORRUPT_MESSAGE;
        }
        if (magic >= 0 && magic <= 2 && !(m->profile->magics & (1u << magic))) {
            *why = magic == 2 ? "this broker's Kafka release predates RecordBatch v2"
                   : m->profile->magics == (1u << 2) ? "this broker's Kafka release takes RecordBatch v2 only"
                                                     : "this broker's Kafka release predates MessageSet v1";
            return KAFKA_ERR_CORRUPT_MESSAGE;
        }
        size_t n_bytes = 12 + (size_t)length;
        if (magic == 2) {
            if (kafka_crc32c(0, e + 21, n_bytes - 21) != kafka__ld_be32(e + 17)) {
                *why = "RecordBatch CRC-32C mismatch";
                return KAFKA_ERR_CORRUPT_MESSAGE;
            }
            if ((int32_t)kafka__ld_be32(e + 23) < 0 || (int32_t)kafka__ld_be32(e + 57) <= 0) {
                *why = "RecordBatch with a negative last offset delta or no records";
                return KAFKA_ERR_CORRUPT_MESSAGE;
            }
        } else if (magic == 0 || magic == 1) {
            if (kafka_crc32(0, e + 16, n_bytes - 16) != kafka__ld_be32(e + 12)) {
                *why = "message CRC-32 mismatch";
                return KAFKA_ERR_CORRUPT_MESSAGE;
            }
            if ((e[17] & 7) == KAFKA_COMPRESSION_ZSTD || (e[17] & 7) > KAFKA_COMPRESSION_ZSTD) {
                *why = "unsupported compression in a MessageSet";
                return KAFKA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
            }
        } else {
            *why = "unknown magic";
            return KAFKA_ERR_CORRUPT_MESSAGE;
        }
        if (magic == 2 && n == 0) {
            int64_t pid = (int64_t)kafka__ld_be64(e + 43);
            if (pid >= 0) {
                int64_t dup;
                int32_t first = (int32_t)kafka__ld_be32(e + 53);
                int32_t last = first + (int32_t)kafka__ld_be32(e + 23);
                kafka_err_t err = check_sequence(p, pid, (int16_t)kafka__ld_be16(e + 51), first, last, &dup, why);
                if (err)
                    return err;
                if (dup >= 0) {
                    *base_offset = dup;
                    return KAFKA_OK;
                }
            }
        }
        pos += n_bytes;
        n++;
    }
    if (n == 0) {
        *why = "no record data";
        return KAFKA_ERR_CORRUPT_MESSAGE;
    }
    /* Pass 2: append with offsets assigned. */
    *base_offset = p->high_watermark;
    kafka_buf_t tmp = KAFKA_BUF_INIT;
    kafka_err_t err = KAFKA_OK;
    for (pos = 0; pos < len && !err;) {
        const uint8_t *e = data + pos;
        size_t n_bytes = 12 + kafka__ld_be32(e + 8);
        int8_t magic = (int8_t)e[16];
        int codec = magic < 2 ? (e[17] & 7) : 0;
        int64_t base = p->high_watermark, last = base, max_ts = -1;
        const uint8_t *src = e;
        size_t src_len = n_bytes;
        if (magic == 2) {
            last = base + (int32_t)kafka__ld_be32(e + 23);
            max_ts = (int64_t)kafka__ld_be64(e + 35);
        } else if (magic == 1) {
            max_ts = (int64_t)kafka__ld_be64(e + 18);
        }
        if (magic < 2 && codec != KAFKA_COMPRESSION_NONE) {
            int32_t count = 0;
            kafka__buf_reset(&tmp);
            err = legacy_wrapper(e, n_bytes, magic, codec, base, &tmp, &count, why);
            if (err)
                break; /* earlier entries of this request stay: like a partial append */
            last = base + count - 1;
            if (magic == 0) {
                src = tmp.data;
                src_len = tmp.len;
            }
        }
        uint8_t *at = seg_append(p, src, src_len);
        if (!at || !add_entry(p, base, last, max_ts, at, src_len)) {
            if (at)
                p->segs[p->nsegs - 1].len -= src_len;
            *why = "out of memory";
            err = KAFKA_ERR__NO_MEMORY;
            break;
        }
        /* Offsets sit outside the CRCs: rewritten in place. A compressed MessageSet
         * wrapper carries its last inner offset; everything else its first. */
        kafka__be64(at, (uint64_t)(magic < 2 && codec != KAFKA_COMPRESSION_NONE ? last : base));
        if (magic == 2) {
            kafka__be32(at + 12, (uint32_t)p->leader_epoch);
            int64_t pid = (int64_t)kafka__ld_be64(e + 43);
            if (pid >= 0) {
                int32_t first = (int32_t)kafka__ld_be32(e + 53);
                record_sequence(p, pid, (int16_t)kafka__ld_be16(e + 51), first,
                                first + (int32_t)kafka__ld_be32(e + 23), base);
            }
        }
        p->high_watermark = last + 1;
        pos += n_bytes;
    }
    kafka__buf_free(&tmp);
    kmock__log_retain(p, m->conf.retention_bytes);
    return err;
}

void kmock__log_retain(kmock_partition_t *p, size_t bytes) {
    if (!bytes)
        return;
    /* Drop whole entries from the front while the log is over its bound; the newest
     * entry always stays (Kafka keeps the active segment). */
    while (p->nentries - p->first_entry > 1 && p->bytes > bytes)
        p->bytes -= p->entries[p->first_entry++].len;
    if (p->first_entry < p->nentries)
        p->log_start = p->entries[p->first_entry].base_offset;
    /* Unmap segments no live entry uses any more. */
    size_t live_seg = p->first_entry < p->nentries ? p->entries[p->first_entry].seg
                      : p->nsegs                    ? p->nsegs - 1
                                                    : 0;
    while (p->first_seg < live_seg) {
        kmock_segment_t *sg = &p->segs[p->first_seg++];
        if (!p->spare.data && sg->cap == SEGMENT_SIZE)
            p->spare = *sg; /* its pages are already faulted in: the next segment reuses them */
        else
            munmap(sg->data, sg->cap);
        sg->data = NULL;
    }
    /* Compact the segment table the same way. */
    if (p->first_seg > 64 && p->first_seg > p->nsegs / 2) {
        size_t ns = p->nsegs - p->first_seg;
        memmove(p->segs, p->segs + p->first_seg, ns * sizeof(*p->segs));
        for (size_t i = p->first_entry; i < p->nentries; i++)
            p->entries[i].seg -= p->first_seg;
        p->nsegs = ns;
        p->first_seg = 0;
    }
    /* Compact the entry index once most of it is dead. */
    if (p->first_entry > 4096 && p->first_entry > p->nentries / 2) {
        size_t ne = p->nentries - p->first_entry;
        memmove(p->entries, p->entries + p->first_entry, ne * sizeof(*p->entries));
        p->nentries = ne;
        p->first_entry = 0;
    }
}

/* Index of the first live entry whose last offset is >= offset (nentries if none). */
static size_t find_entry(const kmock_partition_t *p, int64_t offset) {
    size_t lo = p->first_entry, hi = p->nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->entries[mid].last_offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

kafka_err_t kmock__log_read(kmock_partition_t *p, int64_t offset, size_t max_bytes, bool first, const uint8_t **data,
                            size_t *len) {
    return kmock__log_read_until(p, offset, INT64_MAX, max_bytes, first, data, len);
}

kafka_err_t kmock__log_read_until(kmock_partition_t *p, int64_t offset, int64_t end, size_t max_bytes, bool first,
                                  const uint8_t **data, size_t *len) {
    *data = NULL;
    *len = 0;
    if (offset < p->log_start || offset > p->high_watermark)
        return KAFKA_ERR_OFFSET_OUT_OF_RANGE;
    size_t i = find_entry(p, offset), j = i;
    size_t total = 0;
    /* Whole entries of one segment: the slice stays contiguous; the next fetch goes on. */
    while (j < p->nentries && p->entries[j].seg == p->entries[i].seg && p->entries[j].base_offset < end &&
           (total + p->entries[j].len <= max_bytes || (first && j == i))) {
        total += p->entries[j].len;
        j++;
    }
    if (j > i) {
        *data = p->segs[p->entries[i].seg].data + p->entries[i].pos;
        *len = total;
    }
    return KAFKA_OK;
}

#define MARKER_RECORD 17 /* the control record: length 16 + attributes, deltas, key 4, value 6, no headers */

kafka_err_t kmock__log_append_marker(kmock_partition_t *p, int64_t producer_id, int16_t epoch, bool commit,
                                     int64_t now_ms, int64_t *offset) {
    uint8_t b[61 + MARKER_RECORD];
    memset(b, 0, sizeof(b));
    int64_t base = p->high_watermark;
    kafka__be64(b, (uint64_t)base);
    kafka__be32(b + 8, (uint32_t)(sizeof(b) - 12));
    kafka__be32(b + 12, (uint32_t)p->leader_epoch);
    b[16] = 2;
    kafka__be16(b + 21, KAFKA_BATCH_ATTR_TRANSACTIONAL | KAFKA_BATCH_ATTR_CONTROL);
    kafka__be32(b + 23, 0); /* last offset delta */
    kafka__be64(b + 27, (uint64_t)now_ms);
    kafka__be64(b + 35, (uint64_t)now_ms);
    kafka__be64(b + 43, (uint64_t)producer_id);
    kafka__be16(b + 51, (uint16_t)epoch);
    kafka__be32(b + 53, UINT32_MAX); /* base sequence -1 */
    kafka__be32(b + 57, 1);
    /* The record, varints zigzag: length 16 (0x20), attributes, timestamp and offset
     * deltas 0, key length 4 (0x08): version 0 and type (0 abort, 1 commit), value length
     * 6 (0x0c): version 0 and coordinator epoch 0, no headers. */
    uint8_t *r = b + 61;
    r[0] = 0x20;
    r[4] = 0x08;
    r[8] = commit ? 1 : 0;
    r[9] = 0x0c;
    size_t n = sizeof(b);
    kafka__be32(b + 17, kafka_crc32c(0, b + 21, n - 21));
    uint8_t *at = seg_append(p, b, n);
    if (!at || !add_entry(p, base, base, now_ms, at, n)) {
        if (at)
            p->segs[p->nsegs - 1].len -= n;
        return KAFKA_ERR__NO_MEMORY;
    }
    p->high_watermark = base + 1;
    *offset = base;
    return KAFKA_OK;
}

kafka_err_t kmock__log_damage(kmock_partition_t *p, int64_t offset, bool keep_crc) {
    size_t i = find_entry(p, offset);
    if (i >= p->nentries || p->entries[i].base_offset > offset)
        return KAFKA_ERR_OFFSET_OUT_OF_RANGE;
    uint8_t *e = p->segs[p->entries[i].seg].data + p->entries[i].pos;
    size_t len = p->entries[i].len;
    /* The byte flipped lies in the middle of what the CRC covers past the headers:
     * records (v2) or the message value (v0/v1), compressed or not. */
    size_t body = e[16] == 2 ? 61 : e[16] == 1 ? 34 : 26;
    if (len <= body)
        return KAFKA_ERR__INVALID_ARG;
    e[body + (len - body) / 2] ^= 0x5a;
    if (keep_crc) {
        if (e[16] == 2)
            kafka__be32(e + 17, kafka_crc32c(0, e + 21, len - 21));
        else
            kafka__be32(e + 12, kafka_crc32(0, e + 16, len - 16));
    }
    return KAFKA_OK;
}

kafka_err_t kmock__log_truncate(kmock_partition_t *p, int64_t offset, int64_t *end) {
    if (offset < p->log_start || offset > p->high_watermark)
        return KAFKA_ERR_OFFSET_OUT_OF_RANGE;
    size_t i = find_entry(p, offset);
    if (i < p->nentries) {
        /* Every entry from i on goes (a batch holding offset goes whole, as Kafka truncates
         * a segment at a batch's position); later segments are unmapped. */
        kmock_entry_t *e = &p->entries[i];
        for (size_t k = e->seg + 1; k < p->nsegs; k++)
            if (p->segs[k].data)
                munmap(p->segs[k].data, p->segs[k].cap);
        p->nsegs = e->seg + 1;
        p->segs[e->seg].len = e->pos;
        for (size_t k = i; k < p->nentries; k++)
            p->bytes -= p->entries[k].len;
        p->high_watermark = e->base_offset;
        p->nentries = i;
    }
    /* The transaction and producer state of the lost history goes with it (Kafka rebuilds
     * it from the log; here producers start over at sequence 0). */
    size_t n = 0;
    for (size_t k = 0; k < p->nopen; k++)
        if (p->open_txns[k].first_offset < p->high_watermark)
            p->open_txns[n++] = p->open_txns[k];
    p->nopen = n;
    /* An aborted transaction whose ABORT marker went but some data stayed is open again
     * (read_committed readers must not take its records as committed). */
    n = 0;
    for (size_t k = 0; k < p->naborted; k++) {
        kmock_aborted_t a = p->aborted[k];
        if (a.last_offset < p->high_watermark) {
            p->aborted[n++] = a;
        } else if (a.first_offset < p->high_watermark) {
            kmock_open_txn_t *o = kafka__vec_grow(p->open_txns, &p->capopen, p->nopen, sizeof(*o), 4);
            if (o) {
                p->open_txns = o;
                p->open_txns[p->nopen++] = (kmock_open_txn_t){a.producer_id, a.first_offset};
            }
        }
    }
    p->naborted = n;
    while (p->producers) {
        kmock_pstate_t *next = p->producers->next;
        free(p->producers);
        p->producers = next;
    }
    *end = p->high_watermark;
    return KAFKA_OK;
}

/* A stored entry's partition leader epoch (RecordBatch v2), -1 for a MessageSet. */
static int32_t entry_epoch(const kmock_partition_t *p, const kmock_entry_t *e) {
    const uint8_t *b = p->segs[e->seg].data + e->pos;
    return e->len > 16 && b[16] == 2 ? (int32_t)kafka__ld_be32(b + 12) : -1;
}

int64_t kmock__log_epoch_end(const kmock_partition_t *p, int32_t epoch, int32_t *found_epoch) {
    *found_epoch = -1;
    if (epoch == p->leader_epoch) {
        *found_epoch = epoch;
        return p->high_watermark;
    }
    if (epoch > p->leader_epoch)
        return -1;
    /* The first batch of a later epoch starts where `epoch` ended; the largest epoch at
     * or below it that the log holds is the one answered (`epoch` itself when the log has
     * none at or below it, as Kafka's leader epoch cache answers). */
    int32_t below = -1;
    for (size_t i = p->first_entry; i < p->nentries; i++) {
        int32_t e = entry_epoch(p, &p->entries[i]);
        if (e > epoch) {
            *found_epoch = below < 0 ? epoch : below;
            return p->entries[i].base_offset;
        }
        if (e > below)
            below = e;
    }
    /* No later batch is stored: the epoch (or the largest below it) runs to the end. */
    *found_epoch = below < 0 ? epoch : below;
    return p->high_watermark;
}

int64_t kmock__log_offset_for_time(kmock_partition_t *p, int64_t ts, int64_t *found_ts) {
    for (size_t i = p->first_entry; i < p->nentries; i++) {
        if (p->entries[i].max_timestamp >= ts) {
            *found_ts = p->entries[i].max_timestamp;
            return p->entries[i].base_offset;
        }
    }
    *found_ts = -1;
    return -1;
}

void kmock__log_free(kmock_partition_t *p) {
    for (size_t i = p->first_seg; i < p->nsegs; i++)
        munmap(p->segs[i].data, p->segs[i].cap);
    if (p->spare.data)
        munmap(p->spare.data, p->spare.cap);
    free(p->segs);
    free(p->entries);
    for (kmock_pstate_t *s = p->producers, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    kmock__partition_txn_free(p);
}
