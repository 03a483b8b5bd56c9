/*
 * Fiat batch RSA: the percolations around the root exponentiation, modulo p and modulo q separately
 * (Shacham & Boneh, "Improving SSL Handshake Performance via Batching", CT-RSA 2001, section 3:
 * binary product tree, "batching in CRT", "delayed division").
 *
 * Per batch of b requests c_1..c_b for keys (n, e_1)..(n, e_b) with pairwise coprime e_i:
 *   brisk_fiat_up      leaves c_i mod p and mod q; upward: node value v = v_L^e_R * v_R^e_L; the root
 *                      V = prod c_i^(E/e_i) recombined to mod n for the multi-buffer kernel (which
 *                      computes M = V^(1/E) blinded and verified).
 *   brisk_fiat_down    downward from M mod p, mod q: every node's root r = v^(1/e) is kept as a fraction
 *                      N/D, so no division happens on the way down; the leaves' denominators are
 *                      multiplied together (Montgomery's trick) and the product T is recombined mod n
 *                      and multiplied by a random blinding factor rho. Returns T*rho mod n.
 *   (caller)           U = (T*rho)^-1 mod n, variable time: T*rho is uniformly distributed in Z_n^* for
 *                      uniform rho, whatever T is, and n is public, so the timing of the inversion says
 *                      nothing about T (which depends on the secret roots). One inversion per batch.
 *   brisk_fiat_finish  T^-1 = U*rho; the b inverses by walking the prefix products back; m_i = N_i / D_i
 *                      mod p and q, Garner recombination, and verification m_i^e_i mod n == c_i.
 *
 * Why not invert mod p and q: a variable-time inversion with a secret modulus leaks the modulus through
 * its timing, and a constant-time one (Fermat, x^(p-2)) costs a full half-size exponentiation per prime,
 * more than all the rest of the split together. Blinding mod the public n costs two multiplications.
 *
 * Constant time: every operation on values mod p or q (all secret) is a fixed sequence of Montgomery
 * multiplications (CIOS, 64-bit limbs, masked final subtraction) decided only by the public exponents and
 * the batch size; no table lookups. Branches depend only on public data (sizes, exponents, and in
 * brisk_fiat_up whether some c_i is 0 mod p or q, which only its sender could have arranged).
 *
 * Compiled for baseline x86-64 (no intrinsics): unsigned __int128 gives mul/adc.
 */
#include <stdint.h>
#include <string.h>
#include "brisk_rsa.h"
#include "fiat_tree.h"

typedef uint64_t u64;
typedef unsigned __int128 u128;

#define MAX_HALF 32        /* 4096-bit moduli */
#define MAX_FULL (2 * MAX_HALF)
#define MAX_LEAVES FIAT_MAX_LEAVES
#define MAX_NODES FIAT_MAX_NODES

/* Key blob (built by FiatNativeSplit in C#): header, then the arrays below, little-endian 64-bit limbs. */
enum { K_FULL = 0, K_HALF = 1, K_K0N = 2, K_K0P = 3, K_K0Q = 4, K_HDR = 8 };
typedef struct {
    int nf, h;
    u64 k0n, k0p, k0q;
    const u64 *n, *rrn, *p, *q, *rrrp, *rrrq, *qinvr, *onep, *oneq;
} key_view;

static int load_key(key_view *k, const u64 *blob, int modulus_bytes)
{
    k->nf = (int)blob[K_FULL];
    k->h = (int)blob[K_HALF];
    if (k->h < 1 || k->h > MAX_HALF || k->nf != 2 * k->h || modulus_bytes != 8 * k->nf)
        return -1;
    k->k0n = blob[K_K0N];
    k->k0p = blob[K_K0P];
    k->k0q = blob[K_K0Q];
    const u64 *a = blob + K_HDR;
    k->n = a; a += k->nf;
    k->rrn = a; a += k->nf;
    k->p = a; a += k->h;
    k->q = a; a += k->h;
    k->rrrp = a; a += k->h;
    k->rrrq = a; a += k->h;
    k->qinvr = a; a += k->h;
    k->onep = a; a += k->h;
    k->oneq = a;
    return 0;
}

int brisk_fiat_key_words(int half_limbs) { return K_HDR + 2 * (2 * half_limbs) + 7 * half_limbs; }

/* ---- Montgomery arithmetic (CIOS), values fully reduced (< m) in and out ---- */

/* r = a*b/R mod m for a < R, b < m (r < m). r may alias a or b. */
static inline __attribute__((always_inline)) void mm_impl(u64 *r, const u64 *a, const u64 *b, const u64 *m, u64 k0, const int n)
{
    u64 t[MAX_FULL + 2];
    for (int j = 0; j < n + 2; j++)
        t[j] = 0;
    for (int i = 0; i < n; i++) {
        u64 bi = b[i], c = 0;
        for (int j = 0; j < n; j++) {
            u128 s = (u128)a[j] * bi + t[j] + c;
            t[j] = (u64)s;
            c = (u64)(s >> 64);
        }
        u128 s = (u128)t[n] + c;
        t[n] = (u64)s;
        t[n + 1] = (u64)(s >> 64);
        u64 u = t[0] * k0;
        s = (u128)u * m[0] + t[0];
        c = (u64)(s >> 64);
        for (int j = 1; j < n; j++) {
            s = (u128)u * m[j] + t[j] + c;
            t[j - 1] = (u64)s;
            c = (u64)(s >> 64);
        }
        s = (u128)t[n] + c;
        t[n - 1] = (u64)s;
        t[n] = t[n + 1] + (u64)(s >> 64);
    }
    /* t < 2m: subtract m unless that borrows out of the top word */
    u64 d[MAX_FULL], borrow = 0;
    for (int j = 0; j < n; j++) {
        u128 s = (u128)t[j] - m[j] - borrow;
        d[j] = (u64)s;
        borrow = (u64)(s >> 64) & 1;
    }
    u64 keep_t = (u64)0 - (borrow & ~t[n] & 1);
    for (int j = 0; j < n; j++)
        r[j] = (t[j] & keep_t) | (d[j] & ~keep_t);
}

#define SPECIALIZE(N) \
    static void mm_##N(u64 *r, const u64 *a, const u64 *b, const u64 *m, u64 k0) { mm_impl(r, a, b, m, k0, N); }
SPECIALIZE(8)
SPECIALIZE(16)
SPECIALIZE(24)
SPECIALIZE(32)
SPECIALIZE(48)
SPECIALIZE(64)

static void mm(u64 *r, const u64 *a, const u64 *b, const u64 *m, u64 k0, int n)
{
    switch (n) {
    case 8: mm_8(r, a, b, m, k0); return;
    case 16: mm_16(r, a, b, m, k0); return;
    case 24: mm_24(r, a, b, m, k0); return;
    case 32: mm_32(r, a, b, m, k0); return;
    case 48: mm_48(r, a, b, m, k0); return;
    case 64: mm_64(r, a, b, m, k0); return;
    default: mm_impl(r, a, b, m, k0, n); return;
    }
}

/* A modulus with its constants, to keep call sites short. */
typedef struct {
    const u64 *m, *one; /* one = R mod m (Montgomery form of 1) */
    u64 k0;
    int n;
} field;

static inline void fmul(const field *f, u64 *r, const u64 *a, const u64 *b) { mm(r, a, b, f->m, f->k0, f->n); }

static void fcopy(const field *f, u64 *r, const u64 *a) { memmove(r, a, (size_t)f->n * sizeof(u64)); }

/* r = x^e, e public (the multiplication sequence depends on e only). r must not alias x. */
static void fpow(const field *f, u64 *r, const u64 *x, u64 e)
{
    if (e == 0) {
        fcopy(f, r, f->one);
        return;
    }
    fcopy(f, r, x);
    for (int bit = 62 - __builtin_clzll(e); bit >= 0; bit--) {
        fmul(f, r, r, r);
        if ((e >> bit) & 1)
            fmul(f, r, r, x);
    }
}

/* r = x^a * y^b (Straus), a and b public. r must not alias x or y. */
static void fpow2(const field *f, u64 *r, const u64 *x, u64 a, const u64 *y, u64 b)
{
    u64 xy[MAX_FULL];
    fmul(f, xy, x, y);
    u64 all = a | b;
    fcopy(f, r, f->one);
    if (all == 0)
        return;
    int started = 0;
    for (int bit = 63 - __builtin_clzll(all); bit >= 0; bit--) {
        if (started)
            fmul(f, r, r, r);
        int sel = (int)(((a >> bit) & 1) | (((b >> bit) & 1) << 1));
        const u64 *factor = sel == 1 ? x : sel == 2 ? y : xy;
        if (sel) {
            if (started)
                fmul(f, r, r, factor);
            else
                fcopy(f, r, factor);
            started = 1;
        }
    }
}

/* Montgomery reduction of a wide value w (2n limbs, w < m*R): r = w/R mod m, fully reduced. */
static void redc_wide(u64 *r, const u64 *w, const u64 *m, u64 k0, int n)
{
    u64 t[2 * MAX_FULL + 1];
    memcpy(t, w, (size_t)(2 * n) * sizeof(u64));
    t[2 * n] = 0;
    for (int i = 0; i < n; i++) {
        u64 u = t[i] * k0, c = 0;
        for (int j = 0; j < n; j++) {
            u128 s = (u128)u * m[j] + t[i + j] + c;
            t[i + j] = (u64)s;
            c = (u64)(s >> 64);
        }
        for (int j = i + n; j <= 2 * n; j++) { /* constant-length carry propagation */
            u128 s = (u128)t[j] + c;
            t[j] = (u64)s;
            c = (u64)(s >> 64);
        }
    }
    u64 d[MAX_FULL], borrow = 0;
    for (int j = 0; j < n; j++) {
        u128 s = (u128)t[n + j] - m[j] - borrow;
        d[j] = (u64)s;
        borrow = (u64)(s >> 64) & 1;
    }
    u64 keep_t = (u64)0 - (borrow & ~t[2 * n] & 1);
    for (int j = 0; j < n; j++)
        r[j] = (t[n + j] & keep_t) | (d[j] & ~keep_t);
}

/* x (nf = 2h limbs, < n) -> x*R mod p in Montgomery form (REDC then times R^3). */
static void to_half(u64 *r, const u64 *x, const u64 *m, u64 k0, const u64 *rrr, int h)
{
    redc_wide(r, x, m, k0, h);
    mm(r, r, rrr, m, k0, h);
}

static void from_mont(u64 *r, const u64 *x, const u64 *m, u64 k0, int n)
{
    u64 one[MAX_FULL];
    memset(one, 0, sizeof(u64) * (size_t)n);
    one[0] = 1;
    mm(r, x, one, m, k0, n);
}

/* Garner: x (2h limbs) with x = a mod p, x = b mod q, from Montgomery-form a mod p and b mod q. */
static void garner(u64 *x, const u64 *a_mont, const u64 *b_mont, const key_view *k)
{
    const int h = k->h;
    u64 a[MAX_HALF], b[MAX_HALF], bp[MAX_HALF], diff[MAX_HALF] = { 0 };
    from_mont(a, a_mont, k->p, k->k0p, h);
    from_mont(b, b_mont, k->q, k->k0q, h);
    /* b < q < 2p (p and q have the same length): one masked subtraction reduces it mod p */
    u64 borrow = 0;
    for (int j = 0; j < h; j++) {
        u128 s = (u128)b[j] - k->p[j] - borrow;
        bp[j] = (u64)s;
        borrow = (u64)(s >> 64) & 1;
    }
    u64 keep = (u64)0 - borrow;
    for (int j = 0; j < h; j++)
        bp[j] = (b[j] & keep) | (bp[j] & ~keep);
    /* diff = a - bp mod p */
    borrow = 0;
    for (int j = 0; j < h; j++) {
        u128 s = (u128)a[j] - bp[j] - borrow;
        diff[j] = (u64)s;
        borrow = (u64)(s >> 64) & 1;
    }
    u64 add = (u64)0 - borrow, c = 0;
    for (int j = 0; j < h; j++) {
        u128 s = (u128)diff[j] + (k->p[j] & add) + c;
        diff[j] = (u64)s;
        c = (u64)(s >> 64);
    }
    /* diff * qInv mod p (qinvr = qInv*R mod p, so one Montgomery product gives the plain value) */
    mm(diff, diff, k->qinvr, k->p, k->k0p, h);
    /* x = b + q*diff < q + q(p-1) = n */
    for (int j = 0; j < 2 * h; j++)
        x[j] = 0;
    for (int i = 0; i < h; i++) {
        u64 c2 = 0;
        for (int j = 0; j < h; j++) {
            u128 s = (u128)k->q[j] * diff[i] + x[i + j] + c2;
            x[i + j] = (u64)s;
            c2 = (u64)(s >> 64);
        }
        x[i + h] = c2;
    }
    c = 0;
    for (int j = 0; j < 2 * h; j++) {
        u128 s = (u128)x[j] + (j < h ? b[j] : 0) + c;
        x[j] = (u64)s;
        c = (u64)(s >> 64);
    }
    memset(a, 0, sizeof(a)); memset(b, 0, sizeof(b)); memset(bp, 0, sizeof(bp)); memset(diff, 0, sizeof(diff));
    __asm__ __volatile__("" : : "r"(a), "r"(b), "r"(bp), "r"(diff) : "memory");
}

static void bytes_to_limbs(u64 *r, const uint8_t *be, int length, int limbs)
{
    for (int j = 0; j < limbs; j++)
        r[j] = 0;
    for (int i = 0; i < length; i++) {
        int pos = length - 1 - i; /* byte significance */
        if (pos / 8 < limbs)
            r[pos / 8] |= (u64)be[i] << (8 * (pos % 8));
    }
}

static void limbs_to_bytes(uint8_t *be, int length, const u64 *x)
{
    for (int i = 0; i < length; i++) {
        int pos = length - 1 - i;
        be[i] = (uint8_t)(x[pos / 8] >> (8 * (pos % 8)));
    }
}

/* ---- the product tree ---- */

/* ---- workspace: per batch, owned (and zeroed afterwards) by the caller ---- */

enum { W_VP, W_VQ, W_NP, W_NQ, W_DP, W_DQ, W_ARRAYS };

typedef struct {
    u64 *v[2], *num[2], *den[2]; /* [0] mod p, [1] mod q; MAX_NODES x h each */
    u64 *prefix[2];              /* MAX_LEAVES x h each */
    u64 *rho;                    /* nf limbs: blinding factor, Montgomery form mod n */
    u64 *den_is_one;             /* MAX_NODES flags (public) */
} work_view;

int brisk_fiat_work_words(int half_limbs) { return (W_ARRAYS * MAX_NODES + 2 * MAX_LEAVES) * half_limbs + 2 * half_limbs + MAX_NODES; }

static void view_work(work_view *w, u64 *base, int h)
{
    w->v[0] = base; base += MAX_NODES * h;
    w->v[1] = base; base += MAX_NODES * h;
    w->num[0] = base; base += MAX_NODES * h;
    w->num[1] = base; base += MAX_NODES * h;
    w->den[0] = base; base += MAX_NODES * h;
    w->den[1] = base; base += MAX_NODES * h;
    w->prefix[0] = base; base += MAX_LEAVES * h;
    w->prefix[1] = base; base += MAX_LEAVES * h;
    w->rho = base; base += 2 * h;
    w->den_is_one = base;
}

static void fields(const key_view *k, field f[2])
{
    f[0] = (field){ k->p, k->onep, k->k0p, k->h };
    f[1] = (field){ k->q, k->oneq, k->k0q, k->h };
}

int brisk_fiat_up(const u64 *key, int32_t count, const u64 *exponents, const uint8_t *inputs, int32_t modulus_bytes, u64 *work, uint8_t *root_input)
{
    key_view k;
    fiat_tree t;
    if (load_key(&k, key, modulus_bytes) != 0 || fiat_make_tree(&t, count, exponents) != 0)
        return -1;
    const int h = k.h;
    work_view w;
    view_work(&w, work, h);
    field f[2];
    fields(&k, f);
    u64 c[MAX_FULL];
    u64 zero_somewhere = 0;
    for (int i = 0; i < count; i++) {
        bytes_to_limbs(c, inputs + (size_t)i * (size_t)modulus_bytes, modulus_bytes, k.nf);
        int id = t.leaf_node[i];
        to_half(w.v[0] + id * h, c, k.p, k.k0p, k.rrrp, h);
        to_half(w.v[1] + id * h, c, k.q, k.k0q, k.rrrq, h);
        for (int s = 0; s < 2; s++) {
            u64 any = 0;
            for (int j = 0; j < h; j++)
                any |= w.v[s][id * h + j];
            zero_somewhere |= (u64)(any == 0);
        }
    }
    /* upward: children have larger indices */
    for (int id = t.nodes - 1; id >= 0; id--) {
        if (t.left[id] < 0)
            continue;
        int l = t.left[id], r = t.right[id];
        for (int s = 0; s < 2; s++)
            fpow2(&f[s], w.v[s] + id * h, w.v[s] + l * h, t.e[r], w.v[s] + r * h, t.e[l]);
    }
    u64 root[MAX_FULL];
    garner(root, w.v[0], w.v[1], &k);
    limbs_to_bytes(root_input, modulus_bytes, root);
    /* A c_i = 0 mod p or q cannot be split (its root cannot be divided out); the caller runs such a batch
     * as singletons. Only the sender of such a c_i (who then knows p or q) learns anything from this. */
    return zero_somewhere ? 1 : 0;
}

int brisk_fiat_down(const u64 *key, int32_t count, const u64 *exponents, u64 *work, const uint8_t *root_result,
                    const uint8_t *random, int32_t random_bytes, int32_t modulus_bytes, uint8_t *blinded_product)
{
    key_view k;
    fiat_tree t;
    if (load_key(&k, key, modulus_bytes) != 0 || fiat_make_tree(&t, count, exponents) != 0 || random_bytes < 8 || random_bytes > 8 * (k.nf + 2) || random_bytes <= modulus_bytes)
        return -1;
    const int h = k.h, nf = k.nf;
    work_view w;
    view_work(&w, work, h);
    field f[2];
    fields(&k, f);
    u64 x[2 * MAX_FULL], raised_den[MAX_HALF], quotient[MAX_HALF];

    bytes_to_limbs(x, root_result, modulus_bytes, nf);
    to_half(w.num[0], x, k.p, k.k0p, k.rrrp, h);
    to_half(w.num[1], x, k.q, k.k0q, k.rrrq, h);
    fcopy(&f[0], w.den[0], k.onep);
    fcopy(&f[1], w.den[1], k.oneq);
    w.den_is_one[0] = 1;

    /* downward: r = N/D at a node with children L, R (r = r_L * r_R, r^e = v = v_L^e_R * v_R^e_L).
     * With X = 0 mod e_L, X = 1 mod e_R: r^X = v_L^(X/e_L) * v_R^((X-1)/e_R) * r_R, hence
     *   r_R = N^X / (D^X * Q),   Q = v_L^(X/e_L) * v_R^((X-1)/e_R)   (Q public-derived, X public)
     *   r_L = r / r_R = (N * D^X * Q) / (D * N^X)
     * Delayed division: both are kept as fractions. */
    for (int id = 0; id < t.nodes; id++) {
        if (t.left[id] < 0)
            continue;
        int l = t.left[id], r = t.right[id];
        u64 el = t.e[l], er = t.e[r], X = fiat_selector(el, er);
        int one = (int)w.den_is_one[id];
        for (int s = 0; s < 2; s++) {
            const field *F = &f[s];
            u64 *N = w.num[s] + id * h, *D = w.den[s] + id * h;
            u64 *NR = w.num[s] + r * h, *DR = w.den[s] + r * h, *NL = w.num[s] + l * h, *DL = w.den[s] + l * h;
            fpow(F, NR, N, X);                                                      /* N^X */
            fpow2(F, quotient, w.v[s] + l * h, X / el, w.v[s] + r * h, (X - 1) / er); /* Q */
            if (one) {
                fcopy(F, DR, quotient);                                              /* D^X * Q = Q */
                fmul(F, NL, N, quotient);                                            /* N * Q */
                fcopy(F, DL, NR);                                                    /* N^X */
            } else {
                fpow(F, raised_den, D, X);
                fmul(F, DR, raised_den, quotient);                                  /* D^X * Q */
                fmul(F, NL, N, DR);                                                  /* N * D^X * Q */
                fmul(F, DL, D, NR);                                                  /* D * N^X */
            }
        }
        w.den_is_one[l] = w.den_is_one[r] = 0;
    }
    /* Montgomery's trick: prefix products of the leaves' denominators; one inverse of the total */
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < count; i++) {
            const u64 *Di = w.den[s] + t.leaf_node[i] * h;
            if (i == 0)
                fcopy(&f[s], w.prefix[s], Di);
            else
                fmul(&f[s], w.prefix[s] + i * h, w.prefix[s] + (i - 1) * h, Di);
        }
    }
    u64 total[MAX_FULL], blinded[MAX_FULL], wide[2 * MAX_FULL];
    garner(total, w.prefix[0] + (count - 1) * h, w.prefix[1] + (count - 1) * h, &k);
    /* rho: random_bytes (> modulus_bytes, so almost uniform mod n) reduced by REDC; taken as Montgomery form */
    bytes_to_limbs(wide, random, random_bytes, 2 * nf);
    redc_wide(w.rho, wide, k.n, k.k0n, nf);
    mm(blinded, total, k.rrn, k.n, k.k0n, nf);    /* T*R */
    mm(blinded, blinded, w.rho, k.n, k.k0n, nf);  /* T*rho*R */
    from_mont(blinded, blinded, k.n, k.k0n, nf);  /* T*rho */
    limbs_to_bytes(blinded_product, modulus_bytes, blinded);
    memset(x, 0, sizeof(x)); memset(raised_den, 0, sizeof(raised_den));
    memset(quotient, 0, sizeof(quotient)); memset(total, 0, sizeof(total)); memset(wide, 0, sizeof(wide));
    __asm__ __volatile__("" : : "r"(x), "r"(raised_den), "r"(quotient), "r"(total), "r"(wide) : "memory");
    return 0;
}

int brisk_fiat_finish(const u64 *key, int32_t count, const u64 *exponents, u64 *work, const uint8_t *blinded_inverse,
                      const uint8_t *inputs, int32_t modulus_bytes, uint8_t *outputs, uint32_t fault_mask, uint32_t *verified)
{
    key_view k;
    fiat_tree t;
    if (load_key(&k, key, modulus_bytes) != 0 || fiat_make_tree(&t, count, exponents) != 0)
        return -1;
    const int h = k.h, nf = k.nf;
    work_view w;
    view_work(&w, work, h);
    field f[2];
    fields(&k, f);
    const field fn = { k.n, NULL, k.k0n, nf };
    u64 u[MAX_FULL], inv[2][MAX_HALF], leaf_inv[MAX_HALF], m[2][MAX_HALF], result[MAX_FULL], power[MAX_FULL], check[MAX_FULL], c[MAX_FULL];

    /* T^-1 = (T*rho)^-1 * rho, then mod p and mod q */
    bytes_to_limbs(u, blinded_inverse, modulus_bytes, nf);
    mm(u, u, k.rrn, k.n, k.k0n, nf);
    mm(u, u, w.rho, k.n, k.k0n, nf);
    from_mont(u, u, k.n, k.k0n, nf);
    to_half(inv[0], u, k.p, k.k0p, k.rrrp, h);
    to_half(inv[1], u, k.q, k.k0q, k.rrrq, h);

    uint32_t ok = 0;
    for (int i = count - 1; i >= 0; i--) {
        for (int s = 0; s < 2; s++) {
            const u64 *Di = w.den[s] + t.leaf_node[i] * h, *Ni = w.num[s] + t.leaf_node[i] * h;
            if (i > 0) {
                fmul(&f[s], leaf_inv, inv[s], w.prefix[s] + (i - 1) * h); /* 1/D_i */
                fmul(&f[s], inv[s], inv[s], Di);                          /* 1/(D_0..D_{i-1}) */
            } else {
                fcopy(&f[s], leaf_inv, inv[s]);
            }
            fmul(&f[s], m[s], Ni, leaf_inv);
        }
        garner(result, m[0], m[1], &k);
        if (fault_mask & (1u << i))
            result[0] ^= 1; /* test hook: a corrupted result must be caught below */
        limbs_to_bytes(outputs + (size_t)i * (size_t)modulus_bytes, modulus_bytes, result);

        /* verify: result^e_i mod n == c_i */
        mm(power, result, k.rrn, k.n, k.k0n, nf);
        fpow(&fn, check, power, exponents[i]);
        from_mont(check, check, k.n, k.k0n, nf);
        bytes_to_limbs(c, inputs + (size_t)i * (size_t)modulus_bytes, modulus_bytes, nf);
        u64 difference = 0;
        for (int j = 0; j < nf; j++)
            difference |= check[j] ^ c[j];
        ok |= (uint32_t)(difference == 0) << i;
    }
    *verified = ok;
    memset(u, 0, sizeof(u)); memset(inv, 0, sizeof(inv)); memset(leaf_inv, 0, sizeof(leaf_inv)); memset(m, 0, sizeof(m));
    memset(result, 0, sizeof(result)); memset(power, 0, sizeof(power));
    __asm__ __volatile__("" : : "r"(u), "r"(inv), "r"(leaf_inv), "r"(m), "r"(result), "r"(power) : "memory");
    return 0;
}
