/* Little-endian 64-bit loads and stores from byte strings (RFC 7748 §5 encodes field elements little-endian).
 * Byte by byte, so alignment and host byte order do not matter; compilers turn each into one mov. */
#ifndef BRISK_LE_BYTES_H
#define BRISK_LE_BYTES_H

#include <stdint.h>

static inline uint64_t load64_le(const uint8_t *s)
{
    uint64_t r = 0;
    for (int i = 7; i >= 0; i--)
        r = (r << 8) | s[i];
    return r;
}

static inline void store64_le(uint8_t *d, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        d[i] = (uint8_t)(v >> (8 * i));
}

#endif
