/*
 * Multi-buffer RSA-CRT private operation, 8 lanes, AVX-512 IFMA (vpmadd52luq / vpmadd52huq).
 *
 * Each lane is one complete request (possibly for a different key of the same size): blind with the
 * key's blinding pair, reduce mod p and q, two fixed-window (4-bit, re-cut from the blob's 5-bit digits)
 * exponentiations with constant-time table selection, Garner recombination, unblind, verify m^e == x mod n,
 * square the blinding pair. Limbs are 52 bits in 64-bit lanes; limb j of all lanes is one __m512i.
 * Accumulators are lazy: in a multiplication a cell takes at most 4 terms below 2^52 per row, in a squaring
 * see mont_sqr_impl; they cannot overflow for the sizes here (<= 80 limbs).
 * Values are kept almost reduced (< 2m with R = 2^(52 limbs) > 4m); nothing branches on secrets.
 *
 * This file is compiled with -mavx512f -mavx512ifma; callers must check brisk_rsa_mb52_supported()
 * (cpu.c, built for baseline x86-64) first.
 *
 * The key blob layout is produced by NativeRsaEngine (C#); see brisk_rsa.h.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "brisk_rsa.h"
#include "fiat_tree.h"

#define LIMB_BITS 52
#define WINDOW_BITS 5 /* the key blob's exponent digits */
#define SCAN_BITS 4   /* the exponentiation's windows, re-cut from those digits (see scan_digit) */
#define TABLE_SIZE (1 << SCAN_BITS)
#define MAX_FULL 80
#define MAX_HALF 40
#define LANES 8

typedef __m512i vec;

static inline vec limb_mask(void) { return _mm512_set1_epi64((1ULL << LIMB_BITS) - 1); }

/* r = a*b*R^-1 mod m (r < 2m); a, b < 2m, normalised. r may alias a or b. */
static inline __attribute__((always_inline)) void mont_mul_impl(vec *r, const vec *a, const vec *b, const vec *m, vec k0, const int n)
{
    vec t[MAX_FULL + 1];
    const vec zero = _mm512_setzero_si512();
    for (int j = 0; j < n; j++)
        t[j] = zero;
    for (int i = 0; i < n; i++) {
        vec ai = a[i];
        vec t0 = _mm512_madd52lo_epu64(t[0], ai, b[0]);
        vec mi = _mm512_madd52lo_epu64(zero, t0, k0);
        t0 = _mm512_madd52lo_epu64(t0, mi, m[0]);
        vec carry = _mm512_srli_epi64(t0, LIMB_BITS);
        /* Divide by 2^52: cell j moves to j-1, taking the low halves of its own products and the high
         * halves of the products one place below. */
#pragma GCC unroll 80
        for (int j = 1; j < n; j++) {
            /* the a_i terms first: they do not wait for m_i */
            vec x = _mm512_madd52lo_epu64(t[j], ai, b[j]);
            x = _mm512_madd52hi_epu64(x, ai, b[j - 1]);
            x = _mm512_madd52lo_epu64(x, mi, m[j]);
            x = _mm512_madd52hi_epu64(x, mi, m[j - 1]);
            t[j - 1] = x;
        }
        t[0] = _mm512_add_epi64(t[0], carry);
        vec top = _mm512_madd52hi_epu64(zero, ai, b[n - 1]);
        t[n - 1] = _mm512_madd52hi_epu64(top, mi, m[n - 1]);
    }
    const vec mask = limb_mask();
    vec c = zero;
    for (int j = 0; j < n; j++) {
        vec v = _mm512_add_epi64(t[j], c);
        r[j] = _mm512_and_si512(v, mask);
        c = _mm512_srli_epi64(v, LIMB_BITS);
    }
}

/* Montgomery reduction of 2n cells (column[j] has weight 2^(52j), each < 2^59), value T < m*R:
 * r = T*R^-1 mod m < 2m, normalised. Shifting form as in mont_mul_impl, the n running cells in registers;
 * column n+i enters at the top at row i. Cells grow by 2 terms below 2^52 per row (n rows) and a carry. */
static inline __attribute__((always_inline)) void redc_columns(vec *r, const vec *column, const vec *m, vec k0, const int n)
{
    const vec zero = _mm512_setzero_si512();
    vec t[MAX_FULL];
#pragma GCC unroll 80
    for (int j = 0; j < n; j++)
        t[j] = column[j];
    for (int i = 0; i < n; i++) {
        /* m's limbs as memory operands each row: hoisted into registers they would push the cells out */
        const vec *row_m = m;
        __asm__("" : "+r"(row_m));
        vec mi = _mm512_madd52lo_epu64(zero, t[0], k0);
        vec t0 = _mm512_madd52lo_epu64(t[0], mi, row_m[0]);
        vec carry = _mm512_srli_epi64(t0, LIMB_BITS);
#pragma GCC unroll 80
        for (int j = 1; j < n; j++) {
            vec x = _mm512_madd52lo_epu64(t[j], mi, row_m[j]);
            t[j - 1] = _mm512_madd52hi_epu64(x, mi, row_m[j - 1]);
        }
        t[n - 1] = _mm512_madd52hi_epu64(column[n + i], mi, row_m[n - 1]);
        t[0] = _mm512_add_epi64(t[0], carry);
    }
    const vec mask = limb_mask();
    vec c = zero;
    for (int j = 0; j < n; j++) {
        vec v = _mm512_add_epi64(t[j], c);
        r[j] = _mm512_and_si512(v, mask);
        c = _mm512_srli_epi64(v, LIMB_BITS);
    }
}

/* Montgomery reduction of a 2n-limb value T < m*R (normalised cells): r = T*R^-1 mod m < 2m. */
static inline __attribute__((always_inline)) void mont_reduce_impl(vec *r, vec *wide, const vec *m, vec k0, const int n)
{
    redc_columns(r, wide, m, k0, n);
}

/* r = a^2*R^-1 mod m (r < 2m); a < 2m, normalised. r may alias a.
 * The square by product scanning: column k sums the cross products a_i*a_j (i < j) whose low half lands in
 * k or whose high half does, each column in two accumulators (low and high halves, so each chain is half as
 * long), doubled once, plus the square term a_(k/2)^2; every column is written once. Then a Montgomery
 * reduction in the same shifting form as mont_mul_impl with the n running cells in registers, feeding the
 * column n+i in at the top at row i. Both phases keep their accumulators in registers: the earlier version
 * (operand scanning into a 2n-cell array, then a reduction updating that array in place) was bound by
 * store-to-load forwarding and took twice as long as a multiplication (docs/performance-rsa.md,
 * "Instruction mix against the targets"). Bounds: a column takes at most n products below 2^52, doubled, plus
 * one square term: < (2n + 1) * 2^52; the reduction adds 2 terms below 2^52 per row over at most n rows, and
 * a carry: < (4n + 2) * 2^52 < 2^61 for n <= 80. */
static inline __attribute__((always_inline)) void mont_sqr_impl(vec *r, const vec *a, const vec *m, vec k0, const int n)
{
    vec column[2 * MAX_FULL];
    const vec zero = _mm512_setzero_si512();
#pragma GCC unroll 160
    for (int k = 0; k < 2 * n; k++) {
        vec lo = zero, hi = zero;
        const int first_lo = k - (n - 1) > 0 ? k - (n - 1) : 0;
#pragma GCC unroll 80
        for (int i = first_lo; 2 * i < k; i++)
            lo = _mm512_madd52lo_epu64(lo, a[i], a[k - i]);
        const int first_hi = k - 1 - (n - 1) > 0 ? k - 1 - (n - 1) : 0;
#pragma GCC unroll 80
        for (int i = first_hi; 2 * i < k - 1; i++)
            hi = _mm512_madd52hi_epu64(hi, a[i], a[k - 1 - i]);
        vec sum = _mm512_add_epi64(lo, hi);
        sum = _mm512_add_epi64(sum, sum);
        if ((k & 1) == 0)
            sum = _mm512_madd52lo_epu64(sum, a[k / 2], a[k / 2]);
        else
            sum = _mm512_madd52hi_epu64(sum, a[k / 2], a[k / 2]);
        column[k] = sum;
    }
    redc_columns(r, column, m, k0, n);
}


/* Specialisations for the limb counts of 1024..4096-bit keys (halves and full moduli): with n known the
 * compiler unrolls the inner loops and keeps the accumulator row in registers. */
#define SPECIALIZE(N) \
    __attribute__((noinline)) static void mont_mul_##N(vec *r, const vec *a, const vec *b, const vec *m, vec k0) { mont_mul_impl(r, a, b, m, k0, N); } \
    __attribute__((noinline)) static void mont_sqr_##N(vec *r, const vec *a, const vec *m, vec k0) { mont_sqr_impl(r, a, m, k0, N); } \
    __attribute__((noinline)) static void mont_reduce_##N(vec *r, vec *w, const vec *m, vec k0) { mont_reduce_impl(r, w, m, k0, N); }
SPECIALIZE(10)
SPECIALIZE(20)
SPECIALIZE(30)
SPECIALIZE(40)
SPECIALIZE(60)

static void mont_mul(vec *r, const vec *a, const vec *b, const vec *m, vec k0, int n)
{
    switch (n) {
    case 10: mont_mul_10(r, a, b, m, k0); return;
    case 20: mont_mul_20(r, a, b, m, k0); return;
    case 30: mont_mul_30(r, a, b, m, k0); return;
    case 40: mont_mul_40(r, a, b, m, k0); return;
    case 60: mont_mul_60(r, a, b, m, k0); return;
    default: mont_mul_impl(r, a, b, m, k0, n); return;
    }
}

static void mont_sqr(vec *r, const vec *a, const vec *m, vec k0, int n)
{
    switch (n) {
    case 10: mont_sqr_10(r, a, m, k0); return;
    case 20: mont_sqr_20(r, a, m, k0); return;
    case 30: mont_sqr_30(r, a, m, k0); return;
    case 40: mont_sqr_40(r, a, m, k0); return;
    case 60: mont_sqr_60(r, a, m, k0); return;
    default: mont_sqr_impl(r, a, m, k0, n); return;
    }
}

static void mont_reduce(vec *r, vec *w, const vec *m, vec k0, int n)
{
    switch (n) {
    case 10: mont_reduce_10(r, w, m, k0); return;
    case 20: mont_reduce_20(r, w, m, k0); return;
    case 30: mont_reduce_30(r, w, m, k0); return;
    case 40: mont_reduce_40(r, w, m, k0); return;
    case 60: mont_reduce_60(r, w, m, k0); return;
    default: mont_reduce_impl(r, w, m, k0, n); return;
    }
}

static void normalize(vec *x, int n)
{
    const vec mask = limb_mask();
    vec c = _mm512_setzero_si512();
    for (int j = 0; j < n; j++) {
        vec v = _mm512_add_epi64(x[j], c);
        x[j] = _mm512_and_si512(v, mask);
        c = _mm512_srli_epi64(v, LIMB_BITS);
    }
}

/* d = a - b mod 2^(52n); returns the final borrow per lane (0/1). */
static vec subtract(vec *d, const vec *a, const vec *b, int n)
{
    const vec mask = limb_mask();
    vec borrow = _mm512_setzero_si512();
    for (int j = 0; j < n; j++) {
        vec v = _mm512_sub_epi64(_mm512_sub_epi64(a[j], b[j]), borrow);
        d[j] = _mm512_and_si512(v, mask);
        borrow = _mm512_srli_epi64(v, 63);
    }
    return borrow;
}

/* x -= m where x >= m (constant time). */
static void sub_if_not_below(vec *x, const vec *m, int n)
{
    vec d[MAX_FULL];
    vec borrow = subtract(d, x, m, n);
    __mmask8 keep = _mm512_test_epi64_mask(borrow, borrow);
    for (int j = 0; j < n; j++)
        x[j] = _mm512_mask_blend_epi64(keep, d[j], x[j]);
}

/* x += m in lanes of laneMask (carry out of n limbs dropped). */
static void add_masked(vec *x, const vec *m, __mmask8 lanes, int n)
{
    const vec mask = limb_mask();
    vec c = _mm512_setzero_si512();
    for (int j = 0; j < n; j++) {
        vec v = _mm512_add_epi64(_mm512_add_epi64(x[j], _mm512_maskz_mov_epi64(lanes, m[j])), c);
        x[j] = _mm512_and_si512(v, mask);
        c = _mm512_srli_epi64(v, LIMB_BITS);
    }
}

/* product (2n limbs, normalised) = a*b (plain). */
static void mul_plain(vec *product, const vec *a, const vec *b, int n)
{
    const vec zero = _mm512_setzero_si512();
    for (int j = 0; j < 2 * n; j++)
        product[j] = zero;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            product[i + j] = _mm512_madd52lo_epu64(product[i + j], a[i], b[j]);
            product[i + j + 1] = _mm512_madd52hi_epu64(product[i + j + 1], a[i], b[j]);
        }
    normalize(product, 2 * n);
}

/* r = table[digit] per lane, reading every entry in full: each entry's limbs are loaded unmasked and kept
 * with a mask vector (acc | (entry & mask), one vpternlogq with the load as its memory operand), so the
 * memory accessed does not depend on the digits. Entries in the outer loop, a block of limbs in registers:
 * the accumulators' dependency chains are one-cycle ORs. (The earlier scan, limbs outer, merged each entry
 * with a masked load: 32-long chains of load latency, and the 32 masks in memory; 17% of the kernel.) */
static inline __attribute__((always_inline)) void select_entry_impl(vec *r, const vec *table, vec digits, const int n)
{
    enum { BLOCK = 10 };
    for (int j0 = 0; j0 < n; j0 += BLOCK) {
        const int width = n - j0 < BLOCK ? n - j0 : BLOCK;
        vec acc[BLOCK];
#pragma GCC unroll 10
        for (int u = 0; u < BLOCK; u++)
            acc[u] = _mm512_setzero_si512();
        for (int e = 0; e < TABLE_SIZE; e++) {
            const vec keep = _mm512_movm_epi64(_mm512_cmpeq_epi64_mask(digits, _mm512_set1_epi64(e)));
            const vec *entry = table + e * n + j0;
#pragma GCC unroll 10
            for (int u = 0; u < width; u++)
                acc[u] = _mm512_ternarylogic_epi64(acc[u], keep, entry[u], 0xF8); /* acc | (keep & entry) */
        }
#pragma GCC unroll 10
        for (int u = 0; u < width; u++)
            r[j0 + u] = acc[u];
    }
}

#define SPECIALIZE_SELECT(N) \
    __attribute__((noinline)) static void select_entry_##N(vec *r, const vec *table, vec digits) { select_entry_impl(r, table, digits, N); }
SPECIALIZE_SELECT(10)
SPECIALIZE_SELECT(20)
SPECIALIZE_SELECT(30)
SPECIALIZE_SELECT(40)

static void select_entry(vec *r, const vec *table, vec digits, int n)
{
    switch (n) {
    case 10: select_entry_10(r, table, digits); return;
    case 20: select_entry_20(r, table, digits); return;
    case 30: select_entry_30(r, table, digits); return;
    case 40: select_entry_40(r, table, digits); return;
    default: select_entry_impl(r, table, digits, n); return;
    }
}

/* The v-th SCAN_BITS-bit window (most significant first) of the exponent whose WINDOW_BITS-bit digits are
 * digits[0..windows) (most significant first), the bit string padded at the top with pad zero bits to a
 * multiple of SCAN_BITS. A window spans at most two digits: shifts and masks by public amounts only. */
static inline vec scan_digit(const vec *digits, int windows, int v, int pad)
{
    const int first = SCAN_BITS * v - pad;                       /* bit position from the top, >= -pad */
    const int w = first >= 0 ? first / WINDOW_BITS : -1;        /* digit holding it (-1: the padding) */
    const int offset = first - WINDOW_BITS * w;                  /* 0 .. WINDOW_BITS-1 */
    const vec high = w >= 0 ? digits[w] : _mm512_setzero_si512();
    const vec low = w + 1 < windows ? digits[w + 1] : _mm512_setzero_si512();
    const vec pair = _mm512_or_si512(_mm512_slli_epi64(high, WINDOW_BITS), low);
    return _mm512_and_si512(_mm512_srli_epi64(pair, 2 * WINDOW_BITS - offset - SCAN_BITS), _mm512_set1_epi64(TABLE_SIZE - 1));
}

/* value (Montgomery form) <- value^d mod m, plain and fully reduced on exit; fixed SCAN_BITS-bit windows.
 * 4-bit rather than the blob's 5-bit windows: the 16-entry table (20 KB at 1024 bits) stays in L1 beside
 * the kernels' data, where the 32-entry one (40 KB of the 48 KB) was scanned at about a third of its
 * in-cache speed; that outweighs the 36 more multiplications (docs/performance-rsa.md). */
static void exponentiate(vec *value, const vec *digits, int windows, const vec *m, vec k0, const vec *one, vec *table, int n)
{
    const int bits = WINDOW_BITS * windows, scans = (bits + SCAN_BITS - 1) / SCAN_BITS, pad = SCAN_BITS * scans - bits;
    vec selected[MAX_HALF];
    memcpy(table, one, (size_t)n * sizeof(vec));
    memcpy(table + n, value, (size_t)n * sizeof(vec));
    mont_sqr(table + 2 * n, value, m, k0, n);
    for (int e = 3; e < TABLE_SIZE; e++)
        mont_mul(table + e * n, table + (e - 1) * n, value, m, k0, n);
    select_entry(value, table, scan_digit(digits, windows, 0, pad), n);
    for (int v = 1; v < scans; v++) {
        for (int s = 0; s < SCAN_BITS; s++)
            mont_sqr(value, value, m, k0, n);
        select_entry(selected, table, scan_digit(digits, windows, v, pad), n);
        mont_mul(value, value, selected, m, k0, n);
    }
    vec plain_one[MAX_HALF];
    memset(plain_one, 0, sizeof(plain_one));
    plain_one[0] = _mm512_set1_epi64(1);
    mont_mul(value, value, plain_one, m, k0, n);
    sub_if_not_below(value, m, n);
    memset(selected, 0, sizeof(selected));
    __asm__ __volatile__("" : : "r"(selected) : "memory");
}

static void bytes_to_limbs(uint64_t *dest, int lane, const uint8_t *big_endian, int length, int limbs)
{
    uint64_t acc = 0;
    int bits = 0, limb = 0;
    for (int i = length - 1; i >= 0 && limb < limbs; i--) {
        acc |= (uint64_t)big_endian[i] << bits;
        bits += 8;
        if (bits >= LIMB_BITS) {
            dest[limb++ * LANES + lane] = acc & ((1ULL << LIMB_BITS) - 1);
            acc >>= LIMB_BITS;
            bits -= LIMB_BITS;
        }
    }
    for (; limb < limbs; limb++) {
        dest[limb * LANES + lane] = acc & ((1ULL << LIMB_BITS) - 1);
        acc >>= LIMB_BITS;
    }
}

static void limbs_to_bytes(uint8_t *big_endian, int length, const uint64_t *src, int lane, int limbs)
{
    uint64_t acc = 0;
    int bits = 0, limb = 0;
    for (int i = length - 1; i >= 0; i--) {
        if (bits < 8 && limb < limbs) {
            acc |= src[limb++ * LANES + lane] << bits;
            bits += LIMB_BITS;
        }
        big_endian[i] = (uint8_t)acc;
        acc >>= 8;
        bits -= 8;
    }
}

/* Gathers one array of every lane's key blob (offset in 64-bit words, length limbs) into lane-interleaved vectors. */
static void gather(vec *dest, const brisk_rsa_batch *b, size_t offset, int limbs)
{
    uint64_t *d = (uint64_t *)dest;
    for (int l = 0; l < LANES; l++) {
        const uint64_t *src = b->key[l] + offset;
        for (int j = 0; j < limbs; j++)
            d[j * LANES + l] = src[j];
    }
}

static void gather_ptr(vec *dest, uint64_t *const *src, int limbs)
{
    uint64_t *d = (uint64_t *)dest;
    for (int l = 0; l < LANES; l++)
        for (int j = 0; j < limbs; j++)
            d[j * LANES + l] = src[l][j];
}

static vec gather_word(const brisk_rsa_batch *b, int index)
{
    uint64_t w[LANES];
    for (int l = 0; l < LANES; l++)
        w[l] = b->key[l][index];
    return _mm512_loadu_si512(w);
}

int brisk_rsa_mb52_max_modulus_bits(void) { return (MAX_FULL * LIMB_BITS) - 2 < 2 * (MAX_HALF * LIMB_BITS - 2) ? MAX_FULL * LIMB_BITS - 2 : 2 * (MAX_HALF * LIMB_BITS - 2); }

int brisk_rsa_mb52_private(const brisk_rsa_batch *b, uint32_t *verified_lanes)
{
    const uint64_t *h0 = b->key[0];
    const int nf = (int)h0[BRISK_HDR_FULL_LIMBS], h = (int)h0[BRISK_HDR_HALF_LIMBS], windows = (int)h0[BRISK_HDR_WINDOWS];
    if (nf > MAX_FULL || h > MAX_HALF || 2 * h < nf || windows > 1024)
        return -1;
    for (int l = 1; l < LANES; l++)
        if ((int)b->key[l][BRISK_HDR_FULL_LIMBS] != nf || (int)b->key[l][BRISK_HDR_HALF_LIMBS] != h || (int)b->key[l][BRISK_HDR_WINDOWS] != windows)
            return -2;

    const size_t o_n = BRISK_HDR_WORDS, o_rrn = o_n + nf, o_onen = o_rrn + nf;
    const size_t o_p = o_onen + nf, o_q = o_p + h, o_rrrp = o_q + h, o_rrrq = o_rrrp + h, o_onep = o_rrrq + h;
    const size_t o_oneq = o_onep + h, o_qinv = o_oneq + h, o_dp = o_qinv + h, o_dq = o_dp + (size_t)windows;

    vec n[MAX_FULL], rrn[MAX_FULL], onen[MAX_FULL], blind[MAX_FULL], unblind[MAX_FULL], x[MAX_FULL];
    vec full[MAX_FULL], result[MAX_FULL], power[MAX_FULL], product[MAX_FULL];
    vec p[MAX_HALF], q[MAX_HALF], rrrp[MAX_HALF], rrrq[MAX_HALF], onep[MAX_HALF], oneq[MAX_HALF], qinv[MAX_HALF];
    vec xp[MAX_HALF], xq[MAX_HALF], yp[MAX_HALF], yq[MAX_HALF], diff[MAX_HALF];
    vec wide[2 * MAX_HALF + 1], recombined[2 * MAX_HALF];
    vec table[TABLE_SIZE * MAX_HALF];
    vec digits_p[1024], digits_q[1024];

    gather(n, b, o_n, nf);
    gather(rrn, b, o_rrn, nf);
    gather(onen, b, o_onen, nf);
    gather(p, b, o_p, h);
    gather(q, b, o_q, h);
    gather(rrrp, b, o_rrrp, h);
    gather(rrrq, b, o_rrrq, h);
    gather(onep, b, o_onep, h);
    gather(oneq, b, o_oneq, h);
    gather(qinv, b, o_qinv, h);
    gather(digits_p, b, o_dp, windows);
    gather(digits_q, b, o_dq, windows);
    gather_ptr(blind, b->blind, nf);
    gather_ptr(unblind, b->unblind, nf);
    const vec k0n = gather_word(b, BRISK_HDR_K0N), k0p = gather_word(b, BRISK_HDR_K0P), k0q = gather_word(b, BRISK_HDR_K0Q);
    uint64_t exponents[LANES], max_e = 0;
    for (int l = 0; l < LANES; l++) {
        exponents[l] = b->key[l][BRISK_HDR_E];
        if (exponents[l] > max_e)
            max_e = exponents[l];
    }
    for (int l = 0; l < LANES; l++)
        bytes_to_limbs((uint64_t *)x, l, b->input[l], b->modulus_bytes, nf);

    /* blind: x*A mod n */
    mont_mul(full, x, blind, n, k0n, nf);

    /* x mod p and mod q in Montgomery form: REDC, then multiply by R^3 */
    for (int j = 0; j < 2 * h + 1; j++)
        wide[j] = _mm512_setzero_si512();
    memcpy(wide, full, (size_t)nf * sizeof(vec));
    mont_reduce(xp, wide, p, k0p, h);
    mont_mul(xp, xp, rrrp, p, k0p, h);
    for (int j = 0; j < 2 * h + 1; j++)
        wide[j] = _mm512_setzero_si512();
    memcpy(wide, full, (size_t)nf * sizeof(vec));
    mont_reduce(xq, wide, q, k0q, h);
    mont_mul(xq, xq, rrrq, q, k0q, h);

    exponentiate(xp, digits_p, windows, p, k0p, onep, table, h);
    exponentiate(xq, digits_q, windows, q, k0q, oneq, table, h);
    memcpy(yp, xp, (size_t)h * sizeof(vec));
    memcpy(yq, xq, (size_t)h * sizeof(vec));

    /* Garner: y = yq + q*((yp - yq)*qInv mod p); q < 2p so one subtraction reduces yq mod p */
    sub_if_not_below(xq, p, h);
    vec borrow = subtract(diff, yp, xq, h);
    add_masked(diff, p, _mm512_test_epi64_mask(borrow, borrow), h);
    mont_mul(diff, diff, qinv, p, k0p, h);
    sub_if_not_below(diff, p, h);
    mul_plain(wide, q, diff, h);
    for (int j = 0; j < 2 * h; j++)
        recombined[j] = j < h ? yq[j] : _mm512_setzero_si512();
    add_masked(wide, recombined, 0xFF, 2 * h);

    /* unblind */
    mont_mul(result, wide, unblind, n, k0n, nf);
    sub_if_not_below(result, n, nf);
    for (int l = 0; l < LANES; l++)
        if (b->fault_mask & (1u << l))
            ((uint64_t *)result)[l] ^= 1;

    /* verify: result^e mod n == x */
    mont_mul(power, result, rrn, n, k0n, nf);
    memcpy(full, onen, (size_t)nf * sizeof(vec));
    for (int bit = 63 - __builtin_clzll(max_e | 1); bit >= 0; bit--) {
        mont_sqr(full, full, n, k0n, nf);
        __mmask8 take = 0;
        for (int l = 0; l < LANES; l++)
            take |= (__mmask8)(((exponents[l] >> bit) & 1) << l);
        if (!take)
            continue; /* public exponent bits are public */
        mont_mul(product, full, power, n, k0n, nf);
        for (int j = 0; j < nf; j++)
            full[j] = _mm512_mask_blend_epi64(take, full[j], product[j]);
    }
    memset(product, 0, sizeof(vec) * (size_t)nf);
    product[0] = _mm512_set1_epi64(1);
    mont_mul(power, full, product, n, k0n, nf);
    sub_if_not_below(power, n, nf);
    vec difference = _mm512_setzero_si512();
    for (int j = 0; j < nf; j++)
        difference = _mm512_or_si512(difference, _mm512_xor_si512(power[j], x[j]));
    *verified_lanes = (uint32_t)_mm512_cmpeq_epi64_mask(difference, _mm512_setzero_si512());

    /* next blinding: (A^2, (r^-1)^2) */
    mont_sqr(blind, blind, n, k0n, nf);
    mont_sqr(unblind, unblind, n, k0n, nf);
    for (int l = 0; l < LANES; l++) {
        for (int j = 0; j < nf; j++) {
            b->blind[l][j] = ((uint64_t *)blind)[j * LANES + l];
            b->unblind[l][j] = ((uint64_t *)unblind)[j * LANES + l];
        }
        limbs_to_bytes(b->output[l], b->modulus_bytes, (const uint64_t *)result, l, nf);
    }

    /* clear secrets from the stack: the parts written (memset, kept by the asm barrier below; a volatile
     * byte loop over the whole table cost about 3% of a batch) */
    memset(table, 0, (size_t)(TABLE_SIZE * h) * sizeof(vec));
    memset(xp, 0, sizeof(xp)); memset(xq, 0, sizeof(xq)); memset(yp, 0, sizeof(yp)); memset(yq, 0, sizeof(yq));
    memset(diff, 0, sizeof(diff)); memset(wide, 0, sizeof(wide)); memset(recombined, 0, sizeof(recombined));
    memset(blind, 0, sizeof(blind)); memset(unblind, 0, sizeof(unblind));
    memset(digits_p, 0, (size_t)windows * sizeof(vec)); memset(digits_q, 0, (size_t)windows * sizeof(vec));
    __asm__ __volatile__("" : : "r"(table), "r"(xp), "r"(xq), "r"(yp), "r"(yq), "r"(diff), "r"(wide), "r"(recombined), "r"(blind), "r"(unblind), "r"(digits_p), "r"(digits_q) : "memory");
    return 0;
}

/* ======================================================================================================
 * Fiat batch RSA split, 8 Fiat batches side by side (one per lane): the same product tree as
 * fiat_split.c (see its comment for the algorithm, the delayed division and the blinded inversion), with
 * every multiplication modulo p and q done for 8 batches at once in this file's IFMA kernels. All lanes
 * share the tree shape and the exponents (the caller groups batches with equal exponent lists); keys may
 * differ per lane (same sizes). Values mod p and q stay almost reduced (< 2m) as in the RSA kernel;
 * every operation on them is a fixed sequence decided by the public exponents only.
 * ====================================================================================================== */

typedef struct {
    int nf, h;
    vec n[MAX_FULL], rrn[MAX_FULL];
    vec p[MAX_HALF], q[MAX_HALF], rrrp[MAX_HALF], rrrq[MAX_HALF], onep[MAX_HALF], oneq[MAX_HALF], qinv[MAX_HALF];
    vec k0n, k0p, k0q;
} fiat_keys;

static int fiat_load(fiat_keys *k, const brisk_fiat_mb *b)
{
    const uint64_t *h0 = b->key[0];
    k->nf = (int)h0[BRISK_HDR_FULL_LIMBS];
    k->h = (int)h0[BRISK_HDR_HALF_LIMBS];
    const int windows = (int)h0[BRISK_HDR_WINDOWS];
    if (k->nf > MAX_FULL || k->h > MAX_HALF || 2 * k->h != k->nf || b->modulus_bytes * 8 > LIMB_BITS * k->nf - 2)
        return -1;
    for (int l = 1; l < LANES; l++)
        if ((int)b->key[l][BRISK_HDR_FULL_LIMBS] != k->nf || (int)b->key[l][BRISK_HDR_HALF_LIMBS] != k->h || (int)b->key[l][BRISK_HDR_WINDOWS] != windows)
            return -2;
    const int nf = k->nf, h = k->h;
    const size_t o_n = BRISK_HDR_WORDS, o_rrn = o_n + nf, o_onen = o_rrn + nf;
    const size_t o_p = o_onen + nf, o_q = o_p + h, o_rrrp = o_q + h, o_rrrq = o_rrrp + h, o_onep = o_rrrq + h;
    const size_t o_oneq = o_onep + h, o_qinv = o_oneq + h;
    brisk_rsa_batch view; /* gather() reads only ->key[] */
    memcpy(view.key, b->key, sizeof(view.key));
    gather(k->n, &view, o_n, nf);
    gather(k->rrn, &view, o_rrn, nf);
    gather(k->p, &view, o_p, h);
    gather(k->q, &view, o_q, h);
    gather(k->rrrp, &view, o_rrrp, h);
    gather(k->rrrq, &view, o_rrrq, h);
    gather(k->onep, &view, o_onep, h);
    gather(k->oneq, &view, o_oneq, h);
    gather(k->qinv, &view, o_qinv, h);
    k->k0n = gather_word(&view, BRISK_HDR_K0N);
    k->k0p = gather_word(&view, BRISK_HDR_K0P);
    k->k0q = gather_word(&view, BRISK_HDR_K0Q);
    return 0;
}

/* r = x^e (e public, shared by the lanes); r must not alias x */
static void fiat_pow(vec *r, const vec *x, uint64_t e, const vec *m, vec k0, const vec *one, int n)
{
    if (e == 0) {
        memcpy(r, one, (size_t)n * sizeof(vec));
        return;
    }
    memcpy(r, x, (size_t)n * sizeof(vec));
    for (int bit = 62 - __builtin_clzll(e); bit >= 0; bit--) {
        mont_sqr(r, r, m, k0, n);
        if ((e >> bit) & 1)
            mont_mul(r, r, x, m, k0, n);
    }
}

/* r = x^a * y^b (Straus); r must not alias x or y */
static void fiat_pow2(vec *r, const vec *x, uint64_t a, const vec *y, uint64_t b, const vec *m, vec k0, const vec *one, int n)
{
    vec xy[MAX_HALF];
    mont_mul(xy, x, y, m, k0, n);
    memcpy(r, one, (size_t)n * sizeof(vec));
    uint64_t all = a | b;
    if (all == 0)
        return;
    int started = 0;
    for (int bit = 63 - __builtin_clzll(all); bit >= 0; bit--) {
        if (started)
            mont_sqr(r, r, m, k0, n);
        int sel = (int)(((a >> bit) & 1) | (((b >> bit) & 1) << 1));
        if (!sel)
            continue;
        const vec *factor = sel == 1 ? x : sel == 2 ? y : xy;
        if (started)
            mont_mul(r, r, factor, m, k0, n);
        else
            memcpy(r, factor, (size_t)n * sizeof(vec));
        started = 1;
    }
}

/* x (nf = 2h limbs, < n) -> x*R mod m (Montgomery form, < 2m) */
static void fiat_to_half(vec *r, const vec *x, const vec *m, vec k0, const vec *rrr, int h)
{
    vec wide[2 * MAX_HALF + 1];
    memcpy(wide, x, (size_t)(2 * h) * sizeof(vec));
    mont_reduce(r, wide, m, k0, h);
    mont_mul(r, r, rrr, m, k0, h);
}

/* Montgomery form (< 2m) -> plain, fully reduced */
static void fiat_plain(vec *r, const vec *x, const vec *m, vec k0, int n)
{
    vec one[MAX_FULL];
    memset(one, 0, sizeof(vec) * (size_t)n);
    one[0] = _mm512_set1_epi64(1);
    mont_mul(r, x, one, m, k0, n);
    sub_if_not_below(r, m, n);
}

/* Garner: x (2h limbs, < n, normalised) from Montgomery-form a mod p and b mod q */
static void fiat_garner(vec *x, const vec *a_mont, const vec *b_mont, const fiat_keys *k)
{
    const int h = k->h;
    vec a[MAX_HALF], b[MAX_HALF], bp[MAX_HALF], diff[MAX_HALF], low[2 * MAX_HALF];
    memset(diff, 0, sizeof(diff));
    fiat_plain(a, a_mont, k->p, k->k0p, h);
    fiat_plain(b, b_mont, k->q, k->k0q, h);
    memcpy(bp, b, (size_t)h * sizeof(vec));
    sub_if_not_below(bp, k->p, h); /* q < 2p */
    vec borrow = subtract(diff, a, bp, h);
    add_masked(diff, k->p, _mm512_test_epi64_mask(borrow, borrow), h);
    mont_mul(diff, diff, k->qinv, k->p, k->k0p, h);
    sub_if_not_below(diff, k->p, h);
    mul_plain(x, k->q, diff, h);
    for (int j = 0; j < 2 * h; j++)
        low[j] = j < h ? b[j] : _mm512_setzero_si512();
    add_masked(x, low, 0xFF, 2 * h);
    memset(a, 0, sizeof(a)); memset(b, 0, sizeof(b)); memset(bp, 0, sizeof(bp)); memset(diff, 0, sizeof(diff)); memset(low, 0, sizeof(low));
    __asm__ __volatile__("" : : "r"(a), "r"(b), "r"(bp), "r"(diff), "r"(low) : "memory");
}

typedef struct {
    vec *v[2], *num[2], *den[2], *prefix[2], *rho;
} fiat_work;

static void fiat_view(fiat_work *w, vec *base, int h, int nf)
{
    for (int s = 0; s < 2; s++) { w->v[s] = base; base += FIAT_MAX_NODES * h; }
    for (int s = 0; s < 2; s++) { w->num[s] = base; base += FIAT_MAX_NODES * h; }
    for (int s = 0; s < 2; s++) { w->den[s] = base; base += FIAT_MAX_NODES * h; }
    for (int s = 0; s < 2; s++) { w->prefix[s] = base; base += FIAT_MAX_LEAVES * h; }
    w->rho = base;
    (void)nf;
}

int brisk_fiat_mb52_work_bytes(int half_limbs)
{
    return (int)sizeof(vec) * ((6 * FIAT_MAX_NODES + 2 * FIAT_MAX_LEAVES) * half_limbs + 2 * half_limbs);
}

int brisk_fiat_mb52_up(brisk_fiat_mb *b, void *work_memory)
{
    fiat_keys k;
    fiat_tree t;
    if (fiat_load(&k, b) != 0 || fiat_make_tree(&t, b->count, b->exponents) != 0)
        return -1;
    const int h = k.h, nf = k.nf, bytes = b->modulus_bytes;
    fiat_work w;
    fiat_view(&w, (vec *)work_memory, h, nf);
    const vec *m[2] = { k.p, k.q }, *rrr[2] = { k.rrrp, k.rrrq }, *one[2] = { k.onep, k.oneq };
    const vec k0[2] = { k.k0p, k.k0q };
    vec c[MAX_FULL], reduced[MAX_HALF];
    __mmask8 zero = 0;
    for (int i = 0; i < b->count; i++) {
        for (int l = 0; l < LANES; l++)
            bytes_to_limbs((uint64_t *)c, l, b->inputs[l] + (size_t)i * (size_t)bytes, bytes, nf);
        int id = t.leaf_node[i];
        for (int s = 0; s < 2; s++) {
            fiat_to_half(w.v[s] + id * h, c, m[s], k0[s], rrr[s], h);
            memcpy(reduced, w.v[s] + id * h, (size_t)h * sizeof(vec));
            sub_if_not_below(reduced, m[s], h);
            vec any = _mm512_setzero_si512();
            for (int j = 0; j < h; j++)
                any = _mm512_or_si512(any, reduced[j]);
            zero |= _mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512());
        }
    }
    for (int id = t.nodes - 1; id >= 0; id--) {
        if (t.left[id] < 0)
            continue;
        int l = t.left[id], r = t.right[id];
        for (int s = 0; s < 2; s++)
            fiat_pow2(w.v[s] + id * h, w.v[s] + l * h, t.e[r], w.v[s] + r * h, t.e[l], m[s], k0[s], one[s], h);
    }
    vec root[2 * MAX_HALF];
    fiat_garner(root, w.v[0], w.v[1], &k);
    for (int l = 0; l < LANES; l++)
        limbs_to_bytes(b->root[l], bytes, (const uint64_t *)root, l, nf);
    /* lanes with some c_i = 0 mod p or q cannot be split (see fiat_split.c) */
    b->zero_lanes = zero;
    return 0;
}

int brisk_fiat_mb52_down(brisk_fiat_mb *b, void *work_memory)
{
    fiat_keys k;
    fiat_tree t;
    if (fiat_load(&k, b) != 0 || fiat_make_tree(&t, b->count, b->exponents) != 0)
        return -1;
    const int h = k.h, nf = k.nf, bytes = b->modulus_bytes;
    if (b->random_bytes <= bytes || b->random_bytes * 8 > LIMB_BITS * 2 * nf - 2 * LIMB_BITS)
        return -3;
    fiat_work w;
    fiat_view(&w, (vec *)work_memory, h, nf);
    const vec *m[2] = { k.p, k.q }, *rrr[2] = { k.rrrp, k.rrrq }, *one[2] = { k.onep, k.oneq };
    const vec k0[2] = { k.k0p, k.k0q };
    vec x[MAX_FULL], raised[MAX_HALF], quotient[MAX_HALF];

    for (int l = 0; l < LANES; l++)
        bytes_to_limbs((uint64_t *)x, l, b->root[l], bytes, nf);
    for (int s = 0; s < 2; s++) {
        fiat_to_half(w.num[s], x, m[s], k0[s], rrr[s], h);
        memcpy(w.den[s], one[s], (size_t)h * sizeof(vec));
    }
    /* r = N/D per node; children as fractions (see fiat_split.c); the root's D is 1 */
    for (int id = 0; id < t.nodes; id++) {
        if (t.left[id] < 0)
            continue;
        int l = t.left[id], r = t.right[id];
        uint64_t el = t.e[l], er = t.e[r], X = fiat_selector(el, er);
        for (int s = 0; s < 2; s++) {
            vec *N = w.num[s] + id * h, *D = w.den[s] + id * h;
            vec *NR = w.num[s] + r * h, *DR = w.den[s] + r * h, *NL = w.num[s] + l * h, *DL = w.den[s] + l * h;
            fiat_pow(NR, N, X, m[s], k0[s], one[s], h);
            fiat_pow2(quotient, w.v[s] + l * h, X / el, w.v[s] + r * h, (X - 1) / er, m[s], k0[s], one[s], h);
            if (id == 0) {
                memcpy(DR, quotient, (size_t)h * sizeof(vec));
                mont_mul(NL, N, quotient, m[s], k0[s], h);
                memcpy(DL, NR, (size_t)h * sizeof(vec));
            } else {
                fiat_pow(raised, D, X, m[s], k0[s], one[s], h);
                mont_mul(DR, raised, quotient, m[s], k0[s], h);
                mont_mul(NL, N, DR, m[s], k0[s], h);
                mont_mul(DL, D, NR, m[s], k0[s], h);
            }
        }
    }
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < b->count; i++) {
            const vec *Di = w.den[s] + t.leaf_node[i] * h;
            if (i == 0)
                memcpy(w.prefix[s], Di, (size_t)h * sizeof(vec));
            else
                mont_mul(w.prefix[s] + i * h, w.prefix[s] + (i - 1) * h, Di, m[s], k0[s], h);
        }
    }
    vec total[2 * MAX_HALF], blinded[MAX_FULL], wide[2 * MAX_FULL + 1];
    fiat_garner(total, w.prefix[0] + (b->count - 1) * h, w.prefix[1] + (b->count - 1) * h, &k);
    /* rho: random bytes reduced by REDC (< n*R), taken as a Montgomery representation */
    for (int j = 0; j < 2 * nf + 1; j++)
        wide[j] = _mm512_setzero_si512();
    for (int l = 0; l < LANES; l++)
        bytes_to_limbs((uint64_t *)wide, l, b->random[l], b->random_bytes, 2 * nf);
    mont_reduce(w.rho, wide, k.n, k.k0n, nf);
    mont_mul(blinded, total, k.rrn, k.n, k.k0n, nf);
    mont_mul(blinded, blinded, w.rho, k.n, k.k0n, nf);
    fiat_plain(blinded, blinded, k.n, k.k0n, nf);
    for (int l = 0; l < LANES; l++)
        limbs_to_bytes(b->blinded[l], bytes, (const uint64_t *)blinded, l, nf);
    memset(x, 0, sizeof(x)); memset(raised, 0, sizeof(raised)); memset(quotient, 0, sizeof(quotient));
    memset(total, 0, sizeof(total)); memset(wide, 0, sizeof(wide));
    __asm__ __volatile__("" : : "r"(x), "r"(raised), "r"(quotient), "r"(total), "r"(wide) : "memory");
    return 0;
}

int brisk_fiat_mb52_finish(brisk_fiat_mb *b, void *work_memory)
{
    fiat_keys k;
    fiat_tree t;
    if (fiat_load(&k, b) != 0 || fiat_make_tree(&t, b->count, b->exponents) != 0)
        return -1;
    const int h = k.h, nf = k.nf, bytes = b->modulus_bytes;
    fiat_work w;
    fiat_view(&w, (vec *)work_memory, h, nf);
    const vec *m[2] = { k.p, k.q }, *rrr[2] = { k.rrrp, k.rrrq };
    const vec k0[2] = { k.k0p, k.k0q };
    vec u[MAX_FULL], inv[2][MAX_HALF], leaf_inv[MAX_HALF], mi[2][MAX_HALF], result[2 * MAX_HALF], power[MAX_FULL], check[MAX_FULL], c[MAX_FULL], one_n[MAX_FULL];

    for (int l = 0; l < LANES; l++)
        bytes_to_limbs((uint64_t *)u, l, b->blinded[l], bytes, nf);
    mont_mul(u, u, k.rrn, k.n, k.k0n, nf);
    mont_mul(u, u, w.rho, k.n, k.k0n, nf);
    fiat_plain(u, u, k.n, k.k0n, nf); /* T^-1 mod n */
    for (int s = 0; s < 2; s++)
        fiat_to_half(inv[s], u, m[s], k0[s], rrr[s], h);
    /* R mod n (Montgomery one) for the verification's exponentiation: REDC(R^2 mod n * 1) */
    memset(one_n, 0, sizeof(one_n));
    one_n[0] = _mm512_set1_epi64(1);
    mont_mul(one_n, one_n, k.rrn, k.n, k.k0n, nf);

    for (int l = 0; l < LANES; l++)
        b->verified[l] = 0;
    for (int i = b->count - 1; i >= 0; i--) {
        for (int s = 0; s < 2; s++) {
            const vec *Di = w.den[s] + t.leaf_node[i] * h, *Ni = w.num[s] + t.leaf_node[i] * h;
            if (i > 0) {
                mont_mul(leaf_inv, inv[s], w.prefix[s] + (i - 1) * h, m[s], k0[s], h);
                mont_mul(inv[s], inv[s], Di, m[s], k0[s], h);
            } else {
                memcpy(leaf_inv, inv[s], (size_t)h * sizeof(vec));
            }
            mont_mul(mi[s], Ni, leaf_inv, m[s], k0[s], h);
        }
        fiat_garner(result, mi[0], mi[1], &k);
        for (int l = 0; l < LANES; l++)
            if (b->fault_bits[l] & (1u << i))
                ((uint64_t *)result)[l] ^= 1; /* test hook: corrupted before verification */
        for (int l = 0; l < LANES; l++)
            limbs_to_bytes(b->outputs[l] + (size_t)i * (size_t)bytes, bytes, (const uint64_t *)result, l, nf);
        /* verify: result^e_i mod n == c_i */
        mont_mul(power, result, k.rrn, k.n, k.k0n, nf);
        fiat_pow(check, power, b->exponents[i], k.n, k.k0n, one_n, nf);
        fiat_plain(check, check, k.n, k.k0n, nf);
        for (int l = 0; l < LANES; l++)
            bytes_to_limbs((uint64_t *)c, l, b->inputs[l] + (size_t)i * (size_t)bytes, bytes, nf);
        vec difference = _mm512_setzero_si512();
        for (int j = 0; j < nf; j++)
            difference = _mm512_or_si512(difference, _mm512_xor_si512(check[j], c[j]));
        __mmask8 ok = _mm512_cmpeq_epi64_mask(difference, _mm512_setzero_si512());
        for (int l = 0; l < LANES; l++)
            b->verified[l] |= (uint32_t)((ok >> l) & 1) << i;
    }
    memset(u, 0, sizeof(u)); memset(inv, 0, sizeof(inv)); memset(leaf_inv, 0, sizeof(leaf_inv)); memset(mi, 0, sizeof(mi));
    memset(result, 0, sizeof(result)); memset(power, 0, sizeof(power));
    /* the workspace holds the roots' numerators mod p and q: wipe it */
    volatile uint8_t *wipe = (volatile uint8_t *)work_memory;
    for (int i = 0, end = brisk_fiat_mb52_work_bytes(h); i < end; i++)
        wipe[i] = 0;
    __asm__ __volatile__("" : : "r"(u), "r"(inv), "r"(leaf_inv), "r"(mi), "r"(result), "r"(power) : "memory");
    return 0;
}
