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

/*
 * Fiat batch RSA split for 8 Fiat batches at once (rsa_mb52.c, AVX-512 IFMA): one batch per lane, all with
 * the same count and exponents; key[] are the lanes' RSA key blobs (layout above; only n, p, q and their
 * constants are read). work: brisk_fiat_mb52_work_bytes(h) bytes, 64-byte aligned, kept from up to
 * finish (finish wipes it). Padding lanes may repeat lane 0 with their own outputs.
 */
typedef struct brisk_fiat_mb {
    const uint64_t *key[8];
    const uint8_t *inputs[8];  /* count * modulus_bytes per lane, big-endian, each < n */
    uint8_t *root[8];          /* up: out V; down: in M = V^(1/E) (verified) */
    uint8_t *blinded[8];       /* down: out T*rho mod n; finish: in (T*rho)^-1 mod n */
    const uint8_t *random[8];  /* down: random_bytes per lane */
    uint8_t *outputs[8];       /* finish: count * modulus_bytes per lane */
    uint64_t exponents[8];     /* the count exponents shared by all lanes */
    uint32_t fault_bits[8];    /* test hook: per lane, requests whose result is corrupted before verification */
    uint32_t verified[8];      /* finish: per lane, requests whose result passed verification */
    int32_t count;
    int32_t modulus_bytes;
    int32_t random_bytes;
    uint32_t zero_lanes;       /* up: lanes with some input 0 mod p or q (cannot be split) */
} brisk_fiat_mb;

int brisk_fiat_mb52_work_bytes(int half_limbs);
int brisk_fiat_mb52_up(brisk_fiat_mb *batch, void *work);
int brisk_fiat_mb52_down(brisk_fiat_mb *batch, void *work);
int brisk_fiat_mb52_finish(brisk_fiat_mb *batch, void *work);

/*
 * Fiat batch RSA split (fiat_split.c): the product tree modulo p and q around one root exponentiation.
 * key: blob of brisk_fiat_key_words(h) words (layout in fiat_split.c, built by FiatNativeSplit in C#);
 * work: brisk_fiat_work_words(h) words per batch, kept by the caller from up to finish and zeroed after.
 * All return 0 on success, < 0 on bad arguments; brisk_fiat_up returns 1 when some input is 0 mod p or q.
 */
int brisk_fiat_key_words(int half_limbs);
int brisk_fiat_work_words(int half_limbs);
int brisk_fiat_up(const uint64_t *key, int32_t count, const uint64_t *exponents, const uint8_t *inputs,
                  int32_t modulus_bytes, uint64_t *work, uint8_t *root_input);
int brisk_fiat_down(const uint64_t *key, int32_t count, const uint64_t *exponents, uint64_t *work,
                    const uint8_t *root_result, const uint8_t *random, int32_t random_bytes,
                    int32_t modulus_bytes, uint8_t *blinded_product);
int brisk_fiat_finish(const uint64_t *key, int32_t count, const uint64_t *exponents, uint64_t *work,
                      const uint8_t *blinded_inverse, const uint8_t *inputs, int32_t modulus_bytes,
                      uint8_t *outputs, uint32_t fault_mask, uint32_t *verified);

#endif
