/* CRC-32C and CRC-32/IEEE internals shared by the dispatcher (crc.c) and the x86-64
 * hardware paths (crc_x86.c). Internal to lib/.
 *
 * Every kernel here works on the raw CRC register: the caller applies the pre/post
 * inversion, so kernels can call each other on a tail without undoing it. */
#ifndef KAFKA_PROTO_CRC_H
#define KAFKA_PROTO_CRC_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/protocol.h"

#define KAFKA__CRC32C_POLY 0x82F63B78u /* Castagnoli, bit-reflected */
#define KAFKA__CRC32_POLY 0xEDB88320u  /* IEEE 802.3, bit-reflected */

/* Stream shifts for streams of up to this many 16-byte units come from a table. */
#define KAFKA__CRC_SHIFT_TABLE 64

/* Folding constants for one polynomial, derived at init from the polynomial alone by
 * consts_init() in crc.c. Bit-reflected throughout; "x^n" below means x^n mod P,
 * bit-reversed to 32 bits and shifted left by one (the <<1 absorbs the x that a
 * reflected carry-less multiply adds). A pair {x^(D+32), x^(D-32)} moves a 128-bit
 * block D bits further down the message: the low qword (the block's first, higher
 * degree half) is multiplied by the first, the high qword by the second. */
typedef struct kafka__crc_consts_s {
    uint64_t fold128[2];  /* D = 128: one 16-byte block */
    uint64_t fold512[2];  /* D = 512: one zmm / four xmm accumulators */
    uint64_t fold1024[2]; /* D = 1024, 1536, 2048: combining four zmm accumulators */
    uint64_t fold1536[2];
    uint64_t fold2048[2];
    uint64_t lanes[8];    /* zmm -> xmm: lanes 0..2 by D = 384, 256, 128; lane 3 zero */
    uint64_t ymm[8][2];   /* D = 256 * (i + 1): eight ymm accumulators, 32 bytes apart */
    uint64_t k96;         /* x^96: 128 -> 96 bits before Barrett */
    uint64_t k64;         /* x^64: 96 -> 64 bits */
    uint64_t mu;          /* floor(x^64 / P), 33 bits, reflected */
    uint64_t poly;        /* P with its x^32 term, 33 bits, reflected */
    uint64_t shift[4];    /* crc32-lane combine: x^(8n-32) for n = the lane lengths below */
    uint32_t pow128[48];  /* x^(128 * 2^i - 33), reflected, not shifted: see stream_shifts */
    uint32_t rsmall[KAFKA__CRC_SHIFT_TABLE][4]; /* x^(128 * (i + 1) * (j + 1) - 33), same form */
} kafka__crc_consts_t;

/* Lane lengths (bytes) of the 3-way crc32-instruction path; shift[] matches these:
 * shift[0], shift[1] move by 2*LONG, LONG; shift[2], shift[3] by 2*SHORT, SHORT. */
#define KAFKA__CRC_LANE_LONG 1024
#define KAFKA__CRC_LANE_SHORT 128

extern kafka__crc_consts_t kafka__crc32c_k;
extern kafka__crc_consts_t kafka__crc32_k;

/* Table-driven kernels (slicing-by-8 in four interleaved streams; raw register in and
 * out); any length, any alignment, any byte order. */
uint32_t kafka__crc32c_sw(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32_sw(uint32_t crc, const uint8_t *p, size_t len);

#if defined(__x86_64__)
/* CPU features the hardware paths need, with OS support for the register state. */
#define KAFKA__CPU_SSE42_PCLMUL 1u
#define KAFKA__CPU_VPCLMUL512 2u
#define KAFKA__CPU_VPCLMUL256 4u /* AVX2 + VPCLMULQDQ, with or without AVX-512 */
unsigned kafka__crc_cpu_features(void);

uint32_t kafka__crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32_pclmul(uint32_t crc, const uint8_t *p, size_t len);
/* AVX-512: _sN run four crc32 streams of N bytes beside each 256 folded bytes from
 * 2 KiB up; _fold folds alone. */
uint32_t kafka__crc32c_vpclmul_s16(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32c_vpclmul_s32(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32c_vpclmul_s64(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32c_vpclmul_fold(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32_vpclmul(uint32_t crc, const uint8_t *p, size_t len);
/* AVX2 + 256-bit VPCLMULQDQ: the same split from two rounds up. */
uint32_t kafka__crc32c_vpclmul256_s32(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32c_vpclmul256_s64(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32c_vpclmul256_fold(uint32_t crc, const uint8_t *p, size_t len);
uint32_t kafka__crc32_vpclmul256(uint32_t crc, const uint8_t *p, size_t len);
#endif

/* The kernels of one path: CRC-32 has one, CRC-32C one per split (crc32 instruction
 * against folding), of which the fastest on this core is taken (crc_tune.c). */
typedef uint32_t (*kafka__crc_fn)(uint32_t crc, const uint8_t *p, size_t len);
typedef struct kafka__crc_kernel_s {
    const char *name; /* "path" or "path/variant", e.g. "vpclmul/s16" */
    kafka_crc_impl_t impl;
    kafka__crc_fn fn;
} kafka__crc_kernel_t;

/* Every CRC-32C kernel, grouped by path; *n receives the count. */
const kafka__crc_kernel_t *kafka__crc32c_kernels(size_t *n);
/* The CRC-32 kernel of a path. */
kafka__crc_fn kafka__crc32_kernel(kafka_crc_impl_t impl);
/* Whether this CPU (and OS) can run a path. */
bool kafka__crc_impl_supported(kafka_crc_impl_t impl);

/* Of the n kernels at k (all of one path this CPU runs), the index of the fastest on a
 * 16 KiB buffer, timed interleaved, best of several rounds; ties go to the earlier. */
size_t kafka__crc_tune(const kafka__crc_kernel_t *k, size_t n);

#endif
