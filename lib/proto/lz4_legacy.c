/* Kafka's MessageSet v0 LZ4 header checksum (see compress.h). */
#include "proto/compress.h"

#define XXH_PRIME1 2654435761u
#define XXH_PRIME2 2246822519u
#define XXH_PRIME3 3266489917u
#define XXH_PRIME4 668265263u
#define XXH_PRIME5 374761393u

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* XXH32 with seed 0 of an input shorter than 16 bytes: an LZ4 frame descriptor is at
 * most 15 bytes even with the frame magic in front, so the 16-byte stripe loop of the
 * full algorithm is never needed here. */
static uint32_t xxh32_short(const uint8_t *p, size_t len) {
    uint32_t h = XXH_PRIME5 + (uint32_t)len;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
        h = rotl32(h + w * XXH_PRIME3, 17) * XXH_PRIME4;
    }
    for (; i < len; i++)
        h = rotl32(h + p[i] * XXH_PRIME5, 11) * XXH_PRIME1;
    h ^= h >> 15;
    h *= XXH_PRIME2;
    h ^= h >> 13;
    h *= XXH_PRIME3;
    h ^= h >> 16;
    return h;
}

bool kafka__lz4_set_header_checksum(uint8_t *frame, size_t len, bool legacy) {
    static const uint8_t magic[4] = {0x04, 0x22, 0x4d, 0x18};
    if (len < 7 || memcmp(frame, magic, 4) != 0)
        return false;
    uint8_t flg = frame[4];
    size_t desc = 2 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0); /* FLG, BD, content size, dict id */
    if (4 + desc + 1 > len)
        return false;
    const uint8_t *from = legacy ? frame : frame + 4;
    frame[4 + desc] = (uint8_t)(xxh32_short(from, legacy ? 4 + desc : desc) >> 8);
    return true;
}
