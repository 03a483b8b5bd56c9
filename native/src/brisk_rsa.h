#ifndef BRISK_RSA_H
#define BRISK_RSA_H
#include <stdint.h>

/*
 * Key blob (64-bit words), built by NativeRsaEngine: a header of BRISK_HDR_WORDS words, then
 * n, R^2 mod n, R mod n (full limbs each), p, q, R^3 mod p, R^3 mod q, R mod p, R mod q, qInv*R mod p
 * (half limbs each), then dp and dq as 5-bit window digits (one word per window, most significant first).
 * Limbs are 52 bits, least significant first.
 */
enum {
    BRISK_HDR_FULL_LIMBS = 0,
    BRISK_HDR_HALF_LIMBS = 1,
    BRISK_HDR_WINDOWS = 2,
    BRISK_HDR_K0N = 3,
    BRISK_HDR_K0P = 4,
    BRISK_HDR_K0Q = 5,
    BRISK_HDR_E = 6,
    BRISK_HDR_WORDS = 8
};

typedef struct brisk_rsa_batch {
    const uint64_t *key[8];    /* key blob per lane (lanes may share) */
    uint64_t *blind[8];        /* A*R mod n per lane, full limbs; replaced by its square */
    uint64_t *unblind[8];      /* r^-1*R mod n per lane; replaced by its square */
    const uint8_t *input[8];   /* modulus_bytes, big-endian, < n */
    uint8_t *output[8];        /* modulus_bytes */
    int32_t modulus_bytes;
    uint32_t fault_mask;       /* test hook: corrupt these lanes before verification */
} brisk_rsa_batch;

int brisk_rsa_mb52_supported(void);
int brisk_rsa_mb52_max_modulus_bits(void);
/* Returns 0 on success (verified_lanes has bit l set when lane l's result passed verification), < 0 on bad sizes. */
int brisk_rsa_mb52_private(const brisk_rsa_batch *batch, uint32_t *verified_lanes);

#endif
