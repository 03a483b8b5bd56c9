/*
 * Fiat batch RSA's product tree (Shacham & Boneh, CT-RSA 2001, section 3), shared by the scalar split
 * (fiat_split.c) and the 8-lane IFMA split (rsa_mb52.c). Everything here depends only on the public
 * exponents, so plain branches and divisions are fine.
 */
#ifndef BRISK_FIAT_TREE_H
#define BRISK_FIAT_TREE_H

#include <stdint.h>

#define FIAT_MAX_LEAVES 8
#define FIAT_MAX_NODES (2 * FIAT_MAX_LEAVES - 1)

typedef struct {
    int nodes, left[FIAT_MAX_NODES], right[FIAT_MAX_NODES], leaf_node[FIAT_MAX_LEAVES];
    uint64_t e[FIAT_MAX_NODES]; /* product of the exponents below the node; 0 marks an overflow */
} fiat_tree;

/* Preorder numbering: a node's children have larger indices than the node. */
static int fiat_build(fiat_tree *t, int lo, int hi, const uint64_t *exponents)
{
    int id = t->nodes++;
    if (hi - lo == 1) {
        t->left[id] = t->right[id] = -1;
        t->e[id] = exponents[lo];
        t->leaf_node[lo] = id;
    } else {
        int mid = (lo + hi) / 2;
        int l = fiat_build(t, lo, mid, exponents), r = fiat_build(t, mid, hi, exponents);
        t->left[id] = l;
        t->right[id] = r;
        uint64_t el = t->e[l], er = t->e[r];
        /* an overflow below stays marked; otherwise check this product (both factors are nonzero here) */
        t->e[id] = (el == 0 || er == 0 || el > UINT64_MAX / er) ? 0 : el * er;
    }
    return id;
}

/* 2..8 exponents, each in [3, 2^16), whose product fits in 64 bits; -1 otherwise. */
static int fiat_make_tree(fiat_tree *t, int count, const uint64_t *exponents)
{
    if (count < 2 || count > FIAT_MAX_LEAVES)
        return -1;
    for (int i = 0; i < count; i++)
        if (exponents[i] < 3 || exponents[i] > 0xFFFF)
            return -1;
    t->nodes = 0;
    fiat_build(t, 0, count, exponents);
    for (int id = 0; id < t->nodes; id++)
        if (t->e[id] == 0)
            return -1;
    return 0;
}

/* x with x = 0 mod a, x = 1 mod b (a, b coprime, public): x = a * (a^-1 mod b), by extended Euclid. */
static uint64_t fiat_selector(uint64_t a, uint64_t b)
{
    int64_t old_r = (int64_t)(a % b), r = (int64_t)b, old_s = 1, s = 0;
    while (r != 0) {
        int64_t q = old_r / r, t = old_r - q * r;
        old_r = r; r = t;
        t = old_s - q * s; old_s = s; s = t;
    }
    int64_t inv = old_s % (int64_t)b;
    if (inv < 0)
        inv += (int64_t)b;
    return a * (uint64_t)inv;
}

#endif
