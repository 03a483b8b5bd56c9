#ifndef BRISK_X25519_H
#define BRISK_X25519_H
#include <stdint.h>

/*
 * X25519 (RFC 7748 §5), scalar C (radix 2^51, unsigned __int128), constant time in the scalar.
 * The scalar is the raw 32-byte string; both functions clamp a private copy (§5, decodeScalar25519) and
 * erase it before returning. u is any 32-byte string: its top bit is ignored and values >= p are reduced
 * (§5, decodeUCoordinate). The output is the fully reduced little-endian u-coordinate.
 */

/* out = X25519(scalar, u). Returns 1 when out is not all zero, 0 when it is (a small-order or otherwise
 * contributory-failing peer key; RFC 7748 §6.1, RFC 8446 §7.4.2): the caller must then refuse it. */
int brisk_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]);

/* out = X25519(scalar, 9), the public key, by a fixed-base comb on the Edwards form (same result as the
 * ladder with u = 9). Returns 1 (the output is never zero for a clamped scalar), 0 if the one-time table
 * set-up failed its self-check (then out is all zero). */
int brisk_x25519_base(uint8_t out[32], const uint8_t scalar[32]);

/* out = X25519(scalar, 9) by the Montgomery ladder (the reference the fixed-base method is tested against). */
int brisk_x25519_base_ladder(uint8_t out[32], const uint8_t scalar[32]);

/*
 * Up to 8 derivations at once in the 8 lanes of AVX-512 IFMA (x25519_mb52.c, radix 2^52). Only when
 * brisk_x25519_mb52_supported() returns 1. scalars, points and out are `lanes` consecutive 32-byte strings
 * (lane i: out + 32i = X25519(scalars + 32i, points + 32i), same decoding and encoding as brisk_x25519);
 * lanes past `lanes` are computed on lane 0's inputs and discarded. Returns the mask of lanes whose output
 * is not all zero (bit i for lane i; a clear bit must be refused, RFC 7748 §6.1), or -1 when lanes is not
 * 1..8 (then nothing is written). Constant time in the scalars; scalar copies and ladder state are erased.
 */
int brisk_x25519_mb52(uint8_t *out, const uint8_t *scalars, const uint8_t *points, int lanes);

/* 1 when the CPU has AVX-512 F/VL/BW/DQ and IFMA (what x25519_mb52.c is compiled for), else 0 (cpu.c). */
int brisk_x25519_mb52_supported(void);

#endif
