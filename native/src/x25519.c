/*
 * X25519 (RFC 7748) for the TLS key exchange, written for Brisk.
 *
 * Field GF(p), p = 2^255 - 19: five unsigned 64-bit limbs of 51 bits (radix 2^51), products in
 * unsigned __int128. A limb bound is tracked by hand; the comments name it:
 *   "carried"  every limb < 2^51 + 2^14 (output of fe_mul, fe_sq, fe_mul_small, fe_carry, fe_frombytes);
 *   inputs of fe_mul/fe_sq may have limbs up to 2^54 (see fe_mul for why that cannot overflow).
 * fe_add of two carried values gives limbs < 2^52 + 2^15; fe_sub(a, b) computes a + 2p - b, which needs
 * b carried (limb < 2p's limb, 2^52 - 38) and gives limbs < 2^53 for a carried a, < 2^53 + 2^16 for a sum.
 * Every multiplication input in the ladder and the Edwards addition is one of these, so below 2^54.
 *
 * Constant time in the scalar: the ladder (§5) swaps with a mask (fe_cswap), never a branch; the only
 * indices are the public loop counters; the fixed-base comb reads every table entry and selects with masks.
 * Nothing depends on the peer's u either, apart from the arithmetic itself.
 */
#include "brisk_x25519.h"
#include "le_bytes.h"

#include <pthread.h>
#include <string.h>

typedef unsigned __int128 u128;

/* The multiplications are forced inline: left as calls (gcc's choice at -O3) the ladder is ~12% slower. */
#define FE_INLINE static inline __attribute__((always_inline))
typedef uint64_t fe[5];

#define MASK51 ((((uint64_t)1) << 51) - 1)

/* Memory the compiler may not drop the clearing of (secret scalars and digits). */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--)
        *v++ = 0;
}

static void fe_0(fe h) { h[0] = h[1] = h[2] = h[3] = h[4] = 0; }

static void fe_1(fe h) { fe_0(h); h[0] = 1; }

static void fe_small(fe h, uint64_t v) { fe_0(h); h[0] = v; }

static void fe_copy(fe h, const fe f) { memcpy(h, f, sizeof(fe)); }

/* decodeUCoordinate (RFC 7748 §5): little endian, bit 255 ignored. Limb i holds bits 51i .. 51i+50. */
static void fe_frombytes(fe h, const uint8_t s[32])
{
    h[0] = load64_le(s) & MASK51;
    h[1] = (load64_le(s + 6) >> 3) & MASK51;
    h[2] = (load64_le(s + 12) >> 6) & MASK51;
    h[3] = (load64_le(s + 19) >> 1) & MASK51;
    h[4] = (load64_le(s + 24) >> 12) & MASK51; /* drops bit 255 */
}

/* One carry pass with the wrap 2^255 = 19 (mod p): any limbs < 2^63 -> carried. */
static void fe_carry(fe h)
{
    uint64_t c;
    c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
    c = h[1] >> 51; h[1] &= MASK51; h[2] += c;
    c = h[2] >> 51; h[2] &= MASK51; h[3] += c;
    c = h[3] >> 51; h[3] &= MASK51; h[4] += c;
    c = h[4] >> 51; h[4] &= MASK51; h[0] += 19 * c;
    c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
}

/* encodeUCoordinate: the unique representative in [0, p), little endian. */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    fe h;
    fe_copy(h, f);
    fe_carry(h); /* now limbs < 2^51 except h1 < 2^51 + 2^13: h < 2p, so the quotient below is 0 or 1 */
    /* q = floor((h + 19) / 2^255), carried limb by limb: 1 exactly when h >= p. */
    uint64_t q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    /* h - q*p = h + 19q - q*2^255: add 19q, carry, and drop bit 255. */
    h[0] += 19 * q;
    uint64_t c;
    c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
    c = h[1] >> 51; h[1] &= MASK51; h[2] += c;
    c = h[2] >> 51; h[2] &= MASK51; h[3] += c;
    c = h[3] >> 51; h[3] &= MASK51; h[4] += c;
    h[4] &= MASK51;
    store64_le(s, h[0] | (h[1] << 51));
    store64_le(s + 8, (h[1] >> 13) | (h[2] << 38));
    store64_le(s + 16, (h[2] >> 26) | (h[3] << 25));
    store64_le(s + 24, (h[3] >> 39) | (h[4] << 12));
}

static void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
}

/* h = f + 2p - g; g must be carried (each limb below 2p's limb). */
static void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = f[0] + 0xFFFFFFFFFFFDAULL - g[0]; /* 2 * (2^51 - 19) */
    h[1] = f[1] + 0xFFFFFFFFFFFFEULL - g[1]; /* 2 * (2^51 - 1) */
    h[2] = f[2] + 0xFFFFFFFFFFFFEULL - g[2];
    h[3] = f[3] + 0xFFFFFFFFFFFFEULL - g[3];
    h[4] = f[4] + 0xFFFFFFFFFFFFEULL - g[4];
}

/* Carried versions, for the Edwards formulas where sums and differences feed further subtractions. */
static void fe_add_c(fe h, const fe f, const fe g) { fe_add(h, f, g); fe_carry(h); }

static void fe_sub_c(fe h, const fe f, const fe g) { fe_sub(h, f, g); fe_carry(h); }

static void fe_neg_c(fe h, const fe f)
{
    fe zero;
    fe_0(zero);
    fe_sub_c(h, zero, f);
}

/*
 * Carry of a 5-limb 128-bit product into a carried fe. With inputs < 2^54, r0..r3 < 77 * 2^108 < 2^115
 * (so r >> 51 fits 64 bits), and r4, the one column without a factor 19, stays < 5 * 2^108 + 2^64, so
 * its carry c < 2^59.4 and 19c < 2^63.7 fits 64 bits as well.
 */
FE_INLINE void fe_reduce_wide(fe h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
    uint64_t c;
    r1 += (uint64_t)(r0 >> 51);
    r2 += (uint64_t)(r1 >> 51);
    r3 += (uint64_t)(r2 >> 51);
    r4 += (uint64_t)(r3 >> 51);
    c = (uint64_t)(r4 >> 51);
    uint64_t h0 = ((uint64_t)r0 & MASK51) + 19 * c;
    uint64_t h1 = ((uint64_t)r1 & MASK51) + (h0 >> 51);
    h[0] = h0 & MASK51;
    h[1] = h1;
    h[2] = (uint64_t)r2 & MASK51;
    h[3] = (uint64_t)r3 & MASK51;
    h[4] = (uint64_t)r4 & MASK51;
}

/* h = f * g. Limb i*j with i + j >= 5 wraps to position i + j - 5 with a factor 19 (2^255 = 19 mod p). */
FE_INLINE void fe_mul(fe h, const fe f, const fe g)
{
    const uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    const uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    const uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
    u128 r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
    u128 r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
    u128 r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
    u128 r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    fe_reduce_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^2: the cross products counted once and doubled. */
FE_INLINE void fe_sq(fe h, const fe f)
{
    const uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    const uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 r0 = (u128)f0 * f0 + (u128)f1_2 * f4_19 + (u128)(2 * f2) * f3_19;
    u128 r1 = (u128)f0_2 * f1 + (u128)(2 * f2) * f4_19 + (u128)f3 * f3_19;
    u128 r2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)(2 * f3) * f4_19;
    u128 r3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4 * f4_19;
    u128 r4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
    fe_reduce_wide(h, r0, r1, r2, r3, r4);
}

static void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    for (int i = 1; i < n; i++)
        fe_sq(h, h);
}

/* h = f * k for a small constant k < 2^20 (f limbs < 2^54: products < 2^74). */
static void fe_mul_small(fe h, const fe f, uint64_t k)
{
    fe_reduce_wide(h, (u128)f[0] * k, (u128)f[1] * k, (u128)f[2] * k, (u128)f[3] * k, (u128)f[4] * k);
}

/*
 * h = z^(p-2) = z^(2^255 - 21) = 1/z (Fermat; 0 maps to 0). The chain builds z^(2^k - 1) for
 * k = 5, 10, 20, 40, 50, 100, 200, 250 and finishes with 2^255 - 2^5 + 11: 254 squarings, 11 multiplications.
 */
static void fe_invert(fe h, const fe z)
{
    fe z2, z9, z11, z5_0, z10_0, z20_0, z50_0, z100_0, t;
    fe_sq(z2, z);                 /* z^2 */
    fe_sqn(t, z2, 2);             /* z^8 */
    fe_mul(z9, t, z);             /* z^9 */
    fe_mul(z11, z9, z2);          /* z^11 */
    fe_sq(t, z11);                /* z^22 */
    fe_mul(z5_0, t, z9);          /* z^(2^5 - 1) */
    fe_sqn(t, z5_0, 5);
    fe_mul(z10_0, t, z5_0);       /* z^(2^10 - 1) */
    fe_sqn(t, z10_0, 10);
    fe_mul(z20_0, t, z10_0);      /* z^(2^20 - 1) */
    fe_sqn(t, z20_0, 20);
    fe_mul(t, t, z20_0);          /* z^(2^40 - 1) */
    fe_sqn(t, t, 10);
    fe_mul(z50_0, t, z10_0);      /* z^(2^50 - 1) */
    fe_sqn(t, z50_0, 50);
    fe_mul(z100_0, t, z50_0);     /* z^(2^100 - 1) */
    fe_sqn(t, z100_0, 100);
    fe_mul(t, t, z100_0);         /* z^(2^200 - 1) */
    fe_sqn(t, t, 50);
    fe_mul(t, t, z50_0);          /* z^(2^250 - 1) */
    fe_sqn(t, t, 5);              /* z^(2^255 - 32) */
    fe_mul(h, t, z11);            /* z^(2^255 - 21) */
}

/* Swap f and g when swap == 1, leave them when swap == 0, with no branch on swap. */
static void fe_cswap(fe f, fe g, uint64_t swap)
{
    const uint64_t mask = 0 - swap;
    for (int i = 0; i < 5; i++) {
        uint64_t x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

/* f = g when move == 1, unchanged when move == 0, with no branch on move. */
static void fe_cmov(fe f, const fe g, uint64_t move)
{
    const uint64_t mask = 0 - move;
    for (int i = 0; i < 5; i++)
        f[i] ^= mask & (f[i] ^ g[i]);
}

/* decodeScalar25519 (RFC 7748 §5): clear the 3 low bits and bit 255, set bit 254. */
static void clamp(uint8_t k[32], const uint8_t scalar[32])
{
    memcpy(k, scalar, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
}

/* 1 when all 32 bytes are zero, else 0, reading every byte. */
static int is_all_zero(const uint8_t s[32])
{
    uint32_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= s[i];
    return (int)((acc - 1) >> 31);
}

/* The Montgomery ladder of RFC 7748 §5 on the clamped scalar k (bits 254 .. 0), result u-coordinate in out. */
static void ladder(uint8_t out[32], const uint8_t k[32], const fe x1)
{
    fe x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb, t;
    fe_1(x2);
    fe_0(z2);
    fe_copy(x3, x1);
    fe_1(z3);
    uint64_t swap = 0;
    for (int pos = 254; pos >= 0; pos--) {
        const uint64_t bit = (k[pos >> 3] >> (pos & 7)) & 1; /* pos is the public loop counter */
        swap ^= bit;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = bit;

        fe_add(a, x2, z2);        /* A = x2 + z2 */
        fe_sq(aa, a);             /* AA = A^2 */
        fe_sub(b, x2, z2);        /* B = x2 - z2 */
        fe_sq(bb, b);             /* BB = B^2 */
        fe_sub(e, aa, bb);        /* E = AA - BB */
        fe_add(c, x3, z3);        /* C = x3 + z3 */
        fe_sub(d, x3, z3);        /* D = x3 - z3 */
        fe_mul(da, d, a);         /* DA = D * A */
        fe_mul(cb, c, b);         /* CB = C * B */
        fe_add(t, da, cb);
        fe_sq(x3, t);             /* x3 = (DA + CB)^2 */
        fe_sub(t, da, cb);
        fe_sq(t, t);
        fe_mul(z3, x1, t);        /* z3 = x1 * (DA - CB)^2 */
        fe_mul(x2, aa, bb);       /* x2 = AA * BB */
        fe_mul_small(t, e, 121665);
        fe_add(t, aa, t);
        fe_mul(z2, e, t);         /* z2 = E * (AA + a24 * E), a24 = 121665 */
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);
    fe_invert(z2, z2);
    fe_mul(x2, x2, z2);
    fe_tobytes(out, x2);
    /* The ladder state encodes the scalar's bits: leave none of it on the stack. */
    wipe(x2, sizeof x2); wipe(z2, sizeof z2); wipe(x3, sizeof x3); wipe(z3, sizeof z3);
    wipe(&swap, sizeof swap);
}

int brisk_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
    uint8_t k[32];
    fe x1;
    clamp(k, scalar);
    fe_frombytes(x1, u);
    ladder(out, k, x1);
    wipe(k, sizeof k);
    return 1 - is_all_zero(out);
}

int brisk_x25519_base_ladder(uint8_t out[32], const uint8_t scalar[32])
{
    uint8_t k[32];
    fe x1;
    clamp(k, scalar);
    fe_small(x1, 9);
    ladder(out, k, x1);
    wipe(k, sizeof k);
    return 1 - is_all_zero(out);
}

/* ---------------------------------------------------------------------------------------------------
 * Fixed base: k*B on the birationally equivalent twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2,
 * d = -121665/121666 (RFC 7748 §4.1), then u = (1 + y) / (1 - y). B is the point with y = 4/5, which maps
 * to u = 9; u does not depend on the sign of x, so either square root serves. The map is a group
 * isomorphism, so u(k*B) = X25519(k, 9) for every k.
 *
 * The scalar is written in signed radix 16, k = sum e_i 16^i with e_i in [-8, 8] (i = 0 .. 63), and
 * table[j][m-1] = m * 256^j * B (m = 1..8) in affine "precomputed" form (y+x, y-x, 2dxy):
 *   k*B = 16 * sum_{i odd} e_i 256^((i-1)/2) B  +  sum_{i even} e_i 256^(i/2) B,
 * i.e. 64 table look-ups and mixed additions and 4 doublings. The table depends only on public constants;
 * it is computed once (pthread_once) instead of being pasted in as numbers. Every look-up reads all 8
 * entries of its row and keeps one with masks; the sign is applied with masks too.
 * -------------------------------------------------------------------------------------------------- */

typedef struct { fe x, y, z, t; } ge_ext;          /* extended coordinates: x = X/Z, y = Y/Z, T = XY/Z */
typedef struct { fe ypx, ymx, xy2d; } ge_precomp;  /* affine: y + x, y - x, 2d*x*y; 15 consecutive words */
_Static_assert(sizeof(ge_precomp) == 15 * sizeof(uint64_t), "ge_precomp is read as 15 words");

static ge_precomp g_table[32][8];
static fe g_d2;            /* 2d */
static int g_table_ok;
static pthread_once_t g_table_once = PTHREAD_ONCE_INIT;

/* Exponentiation by a public exponent (little-endian bytes); used only while building the table. */
static void fe_pow_public(fe h, const fe f, const uint8_t e[32])
{
    fe r, b;
    fe_1(r);
    fe_copy(b, f);
    for (int i = 0; i < 256; i++) {
        if ((e[i >> 3] >> (i & 7)) & 1)
            fe_mul(r, r, b);
        fe_sq(b, b);
    }
    fe_copy(h, r);
}

static int fe_equal(const fe f, const fe g)
{
    uint8_t a[32], b[32];
    fe_tobytes(a, f);
    fe_tobytes(b, g);
    return memcmp(a, b, 32) == 0;
}

/*
 * r = p + q (q affine precomputed), "add-2008-hwcd-3" with a = -1, Z2 = 1: 7 multiplications. p's
 * coordinates and q's entries are carried, so every difference below subtracts a carried value and every
 * multiplication input stays below 2^54: no extra carry passes are needed.
 */
static void ge_add_precomp(ge_ext *r, const ge_ext *p, const ge_precomp *q)
{
    fe a, b, c, d, e, f, g, h;
    fe_sub(a, p->y, p->x);
    fe_mul(a, a, q->ymx);         /* A = (Y1 - X1)(y2 - x2) */
    fe_add(b, p->y, p->x);
    fe_mul(b, b, q->ypx);         /* B = (Y1 + X1)(y2 + x2) */
    fe_mul(c, p->t, q->xy2d);     /* C = T1 * 2d * x2 * y2 */
    fe_add(d, p->z, p->z);        /* D = 2 Z1 */
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul(r->x, e, f);
    fe_mul(r->y, g, h);
    fe_mul(r->t, e, h);
    fe_mul(r->z, f, g);
}

/* r = 2p, "dbl-2008-hwcd" with a = -1; F and H are both negated, which scales (X:Y:Z:T) by -1 only. */
static void ge_double(ge_ext *r, const ge_ext *p)
{
    fe a, b, c, e, f, g, h, t;
    fe_sq(a, p->x);               /* A = X1^2 */
    fe_sq(b, p->y);               /* B = Y1^2 */
    fe_sq(c, p->z);
    fe_add_c(c, c, c);            /* C = 2 Z1^2 */
    fe_add_c(h, a, b);            /* -H = A + B */
    fe_add_c(t, p->x, p->y);
    fe_sq(t, t);
    fe_sub_c(e, t, h);            /* E = (X1 + Y1)^2 - A - B */
    fe_sub_c(g, b, a);            /* G = -A + B */
    fe_sub_c(f, c, g);            /* -F = C - G */
    fe_mul(r->x, e, f);
    fe_mul(r->y, g, h);
    fe_mul(r->t, e, h);
    fe_mul(r->z, f, g);
}

static void ge_identity(ge_ext *r)
{
    fe_0(r->x);
    fe_1(r->y);
    fe_1(r->z);
    fe_0(r->t);
}

static void ge_to_precomp(ge_precomp *r, const ge_ext *p)
{
    fe zi, x, y;
    fe_invert(zi, p->z);
    fe_mul(x, p->x, zi);
    fe_mul(y, p->y, zi);
    fe_add_c(r->ypx, y, x);
    fe_sub_c(r->ymx, y, x);
    fe_mul(r->xy2d, x, y);
    fe_mul(r->xy2d, r->xy2d, g_d2);
}

static void build_table(void)
{
    /* Exponents (p + 3)/8 = 2^252 - 2 and (p - 1)/4 = 2^253 - 5, little endian. */
    uint8_t e_sqrt[32], e_i[32];
    memset(e_sqrt, 0xFF, 32);
    e_sqrt[0] = 0xFE;
    e_sqrt[31] = 0x0F;
    memset(e_i, 0xFF, 32);
    e_i[0] = 0xFB;
    e_i[31] = 0x1F;

    fe one, d, t, y, y2, num, den, x2, x, sqrt_m1, check;
    fe_1(one);
    fe_small(t, 121666);
    fe_invert(t, t);
    fe_small(d, 121665);
    fe_mul(d, d, t);
    fe_neg_c(d, d);                              /* d = -121665/121666 */
    fe_add_c(g_d2, d, d);

    fe_small(t, 5);
    fe_invert(t, t);
    fe_small(y, 4);
    fe_mul(y, y, t);                             /* y = 4/5 */
    fe_sq(y2, y);
    fe_sub_c(num, y2, one);                      /* y^2 - 1 */
    fe_mul(den, d, y2);
    fe_add_c(den, den, one);                     /* d y^2 + 1 */
    fe_invert(den, den);
    fe_mul(x2, num, den);                        /* x^2 = (y^2 - 1) / (d y^2 + 1) */
    fe_pow_public(x, x2, e_sqrt);                /* a candidate root (p = 5 mod 8) */
    fe_sq(check, x);
    if (!fe_equal(check, x2)) {
        fe_small(t, 2);
        fe_pow_public(sqrt_m1, t, e_i);          /* sqrt(-1) = 2^((p-1)/4) */
        fe_mul(x, x, sqrt_m1);
        fe_sq(check, x);
    }
    if (!fe_equal(check, x2))
        return;                                  /* g_table_ok stays 0 */

    ge_ext base, acc;
    fe_copy(base.x, x);
    fe_copy(base.y, y);
    fe_1(base.z);
    fe_mul(base.t, x, y);
    for (int j = 0; j < 32; j++) {
        ge_to_precomp(&g_table[j][0], &base);
        acc = base;
        for (int m = 1; m < 8; m++) {
            ge_add_precomp(&acc, &acc, &g_table[j][0]);
            ge_to_precomp(&g_table[j][m], &acc);
        }
        for (int i = 0; i < 8; i++)
            ge_double(&base, &base);             /* 256^(j+1) * B */
    }

    /* Self-check: the comb's B must map to u = 9. From the first entry, 2y = (y+x) + (y-x), and
     * u = (1 + y) / (1 - y) = (2 + 2y) / (2 - 2y). */
    fe two, y_twice, numu, denu, u, nine;
    fe_small(two, 2);
    fe_add_c(y_twice, g_table[0][0].ypx, g_table[0][0].ymx);
    fe_add_c(numu, two, y_twice);
    fe_sub_c(denu, two, y_twice);
    fe_invert(denu, denu);
    fe_mul(u, numu, denu);
    fe_small(nine, 9);
    g_table_ok = fe_equal(u, nine);
}

/* r = table row entry for the signed digit e in [-8, 8]: all 8 entries read, one kept by mask. */
static void select_precomp(ge_precomp *r, int row, int8_t e)
{
    const uint8_t negative = (uint8_t)e >> 7;                       /* 1 when e < 0 */
    const uint8_t magnitude = (uint8_t)(e - ((-(int)negative & e) << 1));
    /* An entry is 15 consecutive words (three fe). The scan keeps its result in a local array (no
     * aliasing with the table) in one flat masked loop per entry, which the compiler turns into SSE2. */
    uint64_t acc[15] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };  /* the identity (1, 1, 0) */
    for (int m = 0; m < 8; m++) {
        const uint64_t mask = 0 - (((uint64_t)(magnitude ^ (uint8_t)(m + 1)) - 1) >> 63);
        const uint64_t *entry = &g_table[row][m].ypx[0];
        for (int w = 0; w < 15; w++)
            acc[w] ^= mask & (acc[w] ^ entry[w]);
    }
    memcpy(r, acc, sizeof acc);
    /* -(x, y) = (-x, y): swap y+x and y-x, negate 2dxy. */
    fe neg_xy2d;
    fe_neg_c(neg_xy2d, r->xy2d);
    fe_cswap(r->ypx, r->ymx, negative);
    fe_cmov(r->xy2d, neg_xy2d, negative);
}

int brisk_x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    pthread_once(&g_table_once, build_table);
    if (!g_table_ok) {
        memset(out, 0, 32);
        return 0;
    }
    uint8_t k[32];
    int8_t e[64];
    clamp(k, scalar);
    for (int i = 0; i < 32; i++) {
        e[2 * i] = (int8_t)(k[i] & 15);
        e[2 * i + 1] = (int8_t)(k[i] >> 4);
    }
    /* To signed digits in [-8, 8): carry (e + 8) >> 4 upwards; the clamped k < 2^255 leaves e[63] <= 8. */
    int8_t carry = 0;
    for (int i = 0; i < 63; i++) {
        e[i] = (int8_t)(e[i] + carry);
        carry = (int8_t)((e[i] + 8) >> 4);
        e[i] = (int8_t)(e[i] - (carry << 4));
    }
    e[63] = (int8_t)(e[63] + carry);

    ge_ext h;
    ge_precomp sel;
    ge_identity(&h);
    for (int i = 1; i < 64; i += 2) {
        select_precomp(&sel, i / 2, e[i]);
        ge_add_precomp(&h, &h, &sel);
    }
    for (int i = 0; i < 4; i++)
        ge_double(&h, &h);
    for (int i = 0; i < 64; i += 2) {
        select_precomp(&sel, i / 2, e[i]);
        ge_add_precomp(&h, &h, &sel);
    }

    /* u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y). k*B is never the identity (k is a multiple of 8 below
     * 2^255 < 8 * order(B)), so Z - Y != 0. */
    fe num, den;
    fe_add(num, h.z, h.y);
    fe_sub(den, h.z, h.y);
    fe_invert(den, den);
    fe_mul(num, num, den);
    fe_tobytes(out, num);

    wipe(k, sizeof k);
    wipe(e, sizeof e);
    wipe(&sel, sizeof sel);
    wipe(&h, sizeof h);
    return 1 - is_all_zero(out);
}
