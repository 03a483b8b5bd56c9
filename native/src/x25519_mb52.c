/*
 * X25519 (RFC 7748 §5) for up to 8 independent derivations at once, AVX-512 IFMA (vpmadd52luq/huq).
 *
 * Vertical layout: a field element of all 8 lanes is 5 vectors, vector j holding limb j (bits 52j ..
 * 52j+51, radix 2^52) of every lane; lane i is one handshake from start to end, so the lanes never mix.
 * The 5 limbs span 260 bits; 2^260 = 2^5 * 2^255 = 19 * 32 = 608 (mod p), p = 2^255 - 19.
 *
 * Limb bounds. vpmadd52{l,h}uq use only bits 0..51 of each input, so every multiplication input must have
 * limbs < 2^52 exactly; a larger limb would be silently truncated. The form every function below returns
 * and takes is "tight": limbs 0..3 < 2^52, limb 4 < 2^48 (value < 2^256). fe8_carry makes any limbs
 * < 2^63 tight, and additions and subtractions run it on their result, so products never see a loose limb.
 *
 * Constant time in the scalars (and in the peer's u apart from the arithmetic itself): the ladder swaps
 * with a per-lane mask built from the scalar bit (and/xor), the scalar words are read at the public loop
 * position only, and nothing branches on lane data. The per-lane zero test is a vector compare into a
 * mask register, not a branch.
 *
 * Compiled with -mavx512f -mavx512ifma (see CMakeLists.txt); callers must check
 * brisk_x25519_mb52_supported() (cpu.c, baseline x86-64) first.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "brisk_x25519.h"
#include "le_bytes.h"

#define LANES 8
#define MASK52 ((((uint64_t)1) << 52) - 1)
#define MASK47 ((((uint64_t)1) << 47) - 1)
#define FOLD260 608u /* 2^260 mod p */

#define MB_INLINE static inline __attribute__((always_inline))

typedef __m512i vec;
typedef struct { vec l[5]; } fe8;

MB_INLINE vec vset1(uint64_t v) { return _mm512_set1_epi64((long long)v); }
MB_INLINE vec vadd(vec a, vec b) { return _mm512_add_epi64(a, b); }
MB_INLINE vec vsub(vec a, vec b) { return _mm512_sub_epi64(a, b); }
MB_INLINE vec vand(vec a, vec b) { return _mm512_and_si512(a, b); }
MB_INLINE vec vxor(vec a, vec b) { return _mm512_xor_si512(a, b); }
MB_INLINE vec madd_lo(vec acc, vec a, vec b) { return _mm512_madd52lo_epu64(acc, a, b); }
MB_INLINE vec madd_hi(vec acc, vec a, vec b) { return _mm512_madd52hi_epu64(acc, a, b); }

/*
 * Any limbs < 2^63 -> tight, value unchanged mod p. The part of limb 4 from bit 255 up (c < 2^17) wraps
 * first as 19c (2^255 = 19 mod p), then one carry pass 0 -> 4: limbs 0..3 end below 2^52 and limb 4 below
 * 2^47 + 2^12 (its masked 47 bits plus a carry < 2^12). Folding before the pass, not after, is what gives
 * a strict bound: no carry re-enters a limb that is already masked.
 */
MB_INLINE void fe8_carry(fe8 *h)
{
    const vec m52 = vset1(MASK52);
    vec c = _mm512_srli_epi64(h->l[4], 47);
    h->l[4] = vand(h->l[4], vset1(MASK47));
    h->l[0] = madd_lo(h->l[0], c, vset1(19));
    for (int i = 0; i < 4; i++) {
        c = _mm512_srli_epi64(h->l[i], 52);
        h->l[i] = vand(h->l[i], m52);
        h->l[i + 1] = vadd(h->l[i + 1], c);
    }
}

/* h = f + g (f, g tight; sums < 2^53 per limb before the carry). */
MB_INLINE void fe8_add(fe8 *h, const fe8 *f, const fe8 *g)
{
    for (int i = 0; i < 5; i++)
        h->l[i] = vadd(f->l[i], g->l[i]);
    fe8_carry(h);
}

/*
 * h = f - g + 2p (f, g tight). 2p = 2^256 - 38 written with every limb at least g's bound:
 * (2^53 - 38, 2^53 - 2, 2^53 - 2, 2^53 - 2, 2^48 - 2), so no limb goes negative; sums < 2^54.
 */
MB_INLINE void fe8_sub(fe8 *h, const fe8 *f, const fe8 *g)
{
    static const uint64_t two_p[5] = {
        (((uint64_t)1) << 53) - 38, (((uint64_t)1) << 53) - 2, (((uint64_t)1) << 53) - 2,
        (((uint64_t)1) << 53) - 2, (((uint64_t)1) << 48) - 2,
    };
    for (int i = 0; i < 5; i++)
        h->l[i] = vsub(vadd(f->l[i], vset1(two_p[i])), g->l[i]);
    fe8_carry(h);
}

/*
 * The 10 product columns -> tight h. Column k (weight 2^52k) is lo[k] + hi[k-1], where lo/hi are the sums
 * of the low/high 52-bit halves of the partial products with i + j = k (at most 5 terms each, < 2^55).
 * Columns 5..9 are first carried among themselves so each is < 2^52 and can be a madd input: the top one
 * is < 2^52 because columns 5..9 together are at most f*g / 2^260 < 2^260 (f, g < 2^260). Then
 * column 5+k wraps onto column k times 608 = 2^260 mod p: its low half to column k, its high half
 * (< 2^10) to column k+1, and the high half of column 9's product, which lands on column 5 again, wraps a
 * second time onto column 0.
 */
MB_INLINE void fe8_fold(fe8 *h, const vec lo[9], const vec hi[9])
{
    const vec zero = _mm512_setzero_si512();
    const vec m52 = vset1(MASK52);
    const vec k608 = vset1(FOLD260);
    vec t[5];
    t[0] = vadd(lo[5], hi[4]);
    t[1] = vadd(lo[6], hi[5]);
    t[2] = vadd(lo[7], hi[6]);
    t[3] = vadd(lo[8], hi[7]);
    t[4] = hi[8];
    for (int i = 0; i < 4; i++) {
        vec c = _mm512_srli_epi64(t[i], 52);
        t[i] = vand(t[i], m52);
        t[i + 1] = vadd(t[i + 1], c);
    }
    h->l[0] = lo[0];
    for (int k = 1; k < 5; k++)
        h->l[k] = vadd(lo[k], hi[k - 1]);
    for (int k = 0; k < 5; k++)
        h->l[k] = madd_lo(h->l[k], t[k], k608);
    for (int k = 0; k < 4; k++)
        h->l[k + 1] = madd_hi(h->l[k + 1], t[k], k608);
    vec top = madd_hi(zero, t[4], k608);
    h->l[0] = madd_lo(h->l[0], top, k608);
    fe8_carry(h);
}

/* h = f * g, f and g tight (h may alias either). 25 lo + 25 hi products, 12 more for the wrap. */
MB_INLINE void fe8_mul(fe8 *h, const fe8 *f, const fe8 *g)
{
    const vec zero = _mm512_setzero_si512();
    vec lo[9], hi[9];
    for (int k = 0; k < 9; k++)
        lo[k] = hi[k] = zero;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            lo[i + j] = madd_lo(lo[i + j], f->l[i], g->l[j]);
            hi[i + j] = madd_hi(hi[i + j], f->l[i], g->l[j]);
        }
    fe8_fold(h, lo, hi);
}

/*
 * h = f^2, f tight. The cross products f_i f_j (i < j) are summed once and the sums doubled (doubling an
 * input limb instead could reach 2^53, beyond what madd reads); then the squares f_i^2 are added.
 */
MB_INLINE void fe8_sq(fe8 *h, const fe8 *f)
{
    const vec zero = _mm512_setzero_si512();
    vec lo[9], hi[9];
    for (int k = 0; k < 9; k++)
        lo[k] = hi[k] = zero;
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++) {
            lo[i + j] = madd_lo(lo[i + j], f->l[i], f->l[j]);
            hi[i + j] = madd_hi(hi[i + j], f->l[i], f->l[j]);
        }
    for (int k = 1; k < 8; k++) {
        lo[k] = vadd(lo[k], lo[k]);
        hi[k] = vadd(hi[k], hi[k]);
    }
    for (int i = 0; i < 5; i++) {
        lo[2 * i] = madd_lo(lo[2 * i], f->l[i], f->l[i]);
        hi[2 * i] = madd_hi(hi[2 * i], f->l[i], f->l[i]);
    }
    fe8_fold(h, lo, hi);
}

/*
 * h = aa + 121665 * e (aa, e tight), the "AA + a24 * E" of RFC 7748 §5. e_k's product goes to limbs k and
 * k+1; the high half of e_4's (< 2^13, e_4 < 2^48) lands on limb 5 and wraps with 608 onto limb 0.
 */
MB_INLINE void fe8_mul_a24_add(fe8 *h, const fe8 *aa, const fe8 *e)
{
    const vec a24 = vset1(121665);
    vec r[5];
    for (int k = 0; k < 5; k++)
        r[k] = madd_lo(aa->l[k], e->l[k], a24);
    for (int k = 0; k < 4; k++)
        r[k + 1] = madd_hi(r[k + 1], e->l[k], a24);
    vec top = madd_hi(_mm512_setzero_si512(), e->l[4], a24);
    r[0] = madd_lo(r[0], top, vset1(FOLD260));
    for (int k = 0; k < 5; k++)
        h->l[k] = r[k];
    fe8_carry(h);
}

/* h = f^(2^n) for n >= 1; not inlined: called 10 times by the inversion, whose cost is in the squarings. */
static __attribute__((noinline)) void fe8_sqn(fe8 *h, const fe8 *f, int n)
{
    fe8 t;
    fe8_sq(&t, f);
    for (int i = 1; i < n; i++)
        fe8_sq(&t, &t);
    *h = t;
}

static __attribute__((noinline)) void fe8_mul_call(fe8 *h, const fe8 *f, const fe8 *g) { fe8_mul(h, f, g); }

/*
 * h = z^(p-2) = 1/z (Fermat; 0 -> 0), per lane. A fixed chain (z^(2^k - 1) for k = 5, 10, 20, 40, 50, 100,
 * 200, 250, then 2^255 - 21): 254 squarings and 11 multiplications, the same for every lane and input.
 */
static void fe8_invert(fe8 *h, const fe8 *z)
{
    fe8 z2, z9, z11, z5_0, z10_0, z20_0, z50_0, z100_0, t;
    fe8_sqn(&z2, z, 1);                   /* z^2 */
    fe8_sqn(&t, &z2, 2);                  /* z^8 */
    fe8_mul_call(&z9, &t, z);             /* z^9 */
    fe8_mul_call(&z11, &z9, &z2);         /* z^11 */
    fe8_sqn(&t, &z11, 1);                 /* z^22 */
    fe8_mul_call(&z5_0, &t, &z9);         /* z^(2^5 - 1) */
    fe8_sqn(&t, &z5_0, 5);
    fe8_mul_call(&z10_0, &t, &z5_0);      /* z^(2^10 - 1) */
    fe8_sqn(&t, &z10_0, 10);
    fe8_mul_call(&z20_0, &t, &z10_0);     /* z^(2^20 - 1) */
    fe8_sqn(&t, &z20_0, 20);
    fe8_mul_call(&t, &t, &z20_0);         /* z^(2^40 - 1) */
    fe8_sqn(&t, &t, 10);
    fe8_mul_call(&z50_0, &t, &z10_0);     /* z^(2^50 - 1) */
    fe8_sqn(&t, &z50_0, 50);
    fe8_mul_call(&z100_0, &t, &z50_0);    /* z^(2^100 - 1) */
    fe8_sqn(&t, &z100_0, 100);
    fe8_mul_call(&t, &t, &z100_0);        /* z^(2^200 - 1) */
    fe8_sqn(&t, &t, 50);
    fe8_mul_call(&t, &t, &z50_0);         /* z^(2^250 - 1) */
    fe8_sqn(&t, &t, 5);                   /* z^(2^255 - 32) */
    fe8_mul_call(h, &t, &z11);            /* z^(2^255 - 21) */
}

/*
 * Tight h -> the unique representative in [0, p). Tight means h < 2^255 + 2^221 < 2p, so h - p is needed
 * at most once: q = 1 exactly when h + 19 reaches 2^255 (carried limb by limb), then h + 19q with bit 255
 * dropped is h - q*p.
 */
MB_INLINE void fe8_canonical(fe8 *h)
{
    const vec m52 = vset1(MASK52);
    fe8_carry(h);
    vec q = _mm512_srli_epi64(vadd(h->l[0], vset1(19)), 52);
    for (int i = 1; i < 4; i++)
        q = _mm512_srli_epi64(vadd(h->l[i], q), 52);
    q = _mm512_srli_epi64(vadd(h->l[4], q), 47);
    h->l[0] = madd_lo(h->l[0], q, vset1(19));
    for (int i = 0; i < 4; i++) {
        vec c = _mm512_srli_epi64(h->l[i], 52);
        h->l[i] = vand(h->l[i], m52);
        h->l[i + 1] = vadd(h->l[i + 1], c);
    }
    h->l[4] = vand(h->l[4], vset1(MASK47));
}

/* Swap f and g in the lanes where mask is all ones, keep them where it is zero; no branch. */
MB_INLINE void fe8_cswap(fe8 *f, fe8 *g, vec mask)
{
    for (int i = 0; i < 5; i++) {
        vec x = vand(mask, vxor(f->l[i], g->l[i]));
        f->l[i] = vxor(f->l[i], x);
        g->l[i] = vxor(g->l[i], x);
    }
}

/* Everything that depends on the scalars; wiped by the caller. */
typedef struct {
    vec k[4];            /* clamped scalar, 64-bit word w of every lane in k[w] */
    fe8 x1, x2, z2, x3, z3;
    vec swap;
} mb_state;

/* One ladder step of RFC 7748 §5 on (x2:z2), (x3:z3) with difference x1, all lanes. */
MB_INLINE void ladder_step(mb_state *s)
{
    fe8 a, aa, b, bb, e, c, d, da, cb, t;
    fe8_add(&a, &s->x2, &s->z2);          /* A = x2 + z2 */
    fe8_sq(&aa, &a);                      /* AA = A^2 */
    fe8_sub(&b, &s->x2, &s->z2);          /* B = x2 - z2 */
    fe8_sq(&bb, &b);                      /* BB = B^2 */
    fe8_sub(&e, &aa, &bb);                /* E = AA - BB */
    fe8_add(&c, &s->x3, &s->z3);          /* C = x3 + z3 */
    fe8_sub(&d, &s->x3, &s->z3);          /* D = x3 - z3 */
    fe8_mul(&da, &d, &a);                 /* DA = D * A */
    fe8_mul(&cb, &c, &b);                 /* CB = C * B */
    fe8_add(&t, &da, &cb);
    fe8_sq(&s->x3, &t);                   /* x3 = (DA + CB)^2 */
    fe8_sub(&t, &da, &cb);
    fe8_sq(&t, &t);
    fe8_mul(&s->z3, &s->x1, &t);          /* z3 = x1 * (DA - CB)^2 */
    fe8_mul(&s->x2, &aa, &bb);            /* x2 = AA * BB */
    fe8_mul_a24_add(&t, &aa, &e);
    fe8_mul(&s->z2, &e, &t);              /* z2 = E * (AA + a24 * E) */
}

/* The ladder over bits 254 .. 0 (bit 255 is clear and bit 254 set by the clamp); result x2/z2 in x2. */
static __attribute__((noinline)) void ladder(mb_state *s)
{
    const vec zero = _mm512_setzero_si512();
    const vec one = vset1(1);
    s->x2 = (fe8){ { one, zero, zero, zero, zero } };
    s->z2 = (fe8){ { zero, zero, zero, zero, zero } };
    s->x3 = s->x1;
    s->z3 = s->x2;
    s->swap = zero;
    for (int pos = 254; pos >= 0; pos--) {
        /* pos is the public loop counter: which word and shift are the same for every input */
        vec bit = vand(_mm512_srl_epi64(s->k[pos >> 6], _mm_cvtsi32_si128(pos & 63)), one);
        fe8_cswap(&s->x2, &s->x3, vsub(zero, vxor(s->swap, bit)));
        fe8_cswap(&s->z2, &s->z3, vsub(zero, vxor(s->swap, bit)));
        s->swap = bit;
        ladder_step(s);
    }
    fe8_cswap(&s->x2, &s->x3, vsub(zero, s->swap));
    fe8_cswap(&s->z2, &s->z3, vsub(zero, s->swap));
    fe8 inv;
    fe8_invert(&inv, &s->z2);
    fe8_mul_call(&s->x2, &s->x2, &inv);
    fe8_canonical(&s->x2);
}

/* Lanes past `lanes` repeat lane 0's inputs (their results are computed and discarded). */
static void load_inputs(mb_state *s, const uint8_t *scalars, const uint8_t *points, int lanes)
{
    uint64_t k[4][LANES], u[5][LANES];
    for (int lane = 0; lane < LANES; lane++) {
        const int src = lane < lanes ? lane : 0;
        uint8_t clamped[32];
        /* decodeScalar25519 (RFC 7748 §5) on a private copy */
        memcpy(clamped, scalars + 32 * src, 32);
        clamped[0] &= 248;
        clamped[31] &= 127;
        clamped[31] |= 64;
        for (int w = 0; w < 4; w++)
            k[w][lane] = load64_le(clamped + 8 * w);
        memset(clamped, 0, sizeof clamped);
        /* decodeUCoordinate: bit 255 ignored; values >= p are reduced below (fe8_canonical) */
        const uint8_t *p = points + 32 * src;
        uint64_t w0 = load64_le(p), w1 = load64_le(p + 8), w2 = load64_le(p + 16), w3 = load64_le(p + 24) & 0x7FFFFFFFFFFFFFFFULL;
        u[0][lane] = w0 & MASK52;
        u[1][lane] = ((w0 >> 52) | (w1 << 12)) & MASK52;
        u[2][lane] = ((w1 >> 40) | (w2 << 24)) & MASK52;
        u[3][lane] = ((w2 >> 28) | (w3 << 36)) & MASK52;
        u[4][lane] = w3 >> 16;
    }
    for (int w = 0; w < 4; w++)
        s->k[w] = _mm512_loadu_si512(k[w]);
    for (int j = 0; j < 5; j++)
        s->x1.l[j] = _mm512_loadu_si512(u[j]);
    fe8_canonical(&s->x1);
    volatile uint8_t *v = (volatile uint8_t *)k;
    for (size_t i = 0; i < sizeof k; i++)
        v[i] = 0;
}

/* Encodes lanes [0, lanes) of s->x2 (canonical) and returns the mask of lanes whose output is not zero. */
static int store_outputs(uint8_t *out, mb_state *s, int lanes)
{
    uint64_t x[5][LANES];
    for (int j = 0; j < 5; j++)
        _mm512_storeu_si512(x[j], s->x2.l[j]);
    for (int lane = 0; lane < lanes; lane++) {
        uint8_t *o = out + 32 * lane;
        store64_le(o, x[0][lane] | (x[1][lane] << 52));
        store64_le(o + 8, (x[1][lane] >> 12) | (x[2][lane] << 40));
        store64_le(o + 16, (x[2][lane] >> 24) | (x[3][lane] << 28));
        store64_le(o + 24, (x[3][lane] >> 36) | (x[4][lane] << 16));
    }
    /* RFC 7748 §6.1 / RFC 8446 §7.4.2: an all-zero output is refused; a compare into a mask, no branch. */
    vec any = s->x2.l[0];
    for (int j = 1; j < 5; j++)
        any = _mm512_or_si512(any, s->x2.l[j]);
    unsigned zero_lanes = _mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512());
    return (int)(~zero_lanes & ((1u << lanes) - 1));
}

/*
 * Overwrites the stack below the caller's frame, where the ladder's spilled temporaries were. gcc 12 -O3
 * (-fstack-usage) puts compute + ladder + fe8_sqn at about 9.3 KB; 12 KB covers that with room to spare.
 */
static __attribute__((noinline)) void burn_stack(void)
{
    volatile uint8_t scratch[12288];
    for (size_t i = 0; i < sizeof scratch; i++)
        scratch[i] = 0;
}

static __attribute__((noinline)) int compute(uint8_t *out, const uint8_t *scalars, const uint8_t *points, int lanes)
{
    mb_state s;
    load_inputs(&s, scalars, points, lanes);
    ladder(&s);
    int nonzero = store_outputs(out, &s, lanes);
    volatile uint8_t *v = (volatile uint8_t *)&s;
    for (size_t i = 0; i < sizeof s; i++)
        v[i] = 0;
    return nonzero;
}

int brisk_x25519_mb52(uint8_t *out, const uint8_t *scalars, const uint8_t *points, int lanes)
{
    if (lanes < 1 || lanes > LANES)
        return -1;
    int nonzero = compute(out, scalars, points, lanes);
    burn_stack();
    return nonzero;
}
