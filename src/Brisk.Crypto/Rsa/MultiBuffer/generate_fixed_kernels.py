#!/usr/bin/env python3
"""Writes MontgomeryFixed512.g.cs and MontgomeryFixed256.g.cs: the multi-buffer Montgomery kernels of
Montgomery.cs unrolled for fixed limb counts (radix 2^28).

Run from this directory after changing it:  python3 generate_fixed_kernels.py

Why generated: the JIT keeps Vector512 arithmetic in registers well but pays for loop index arithmetic,
and it keeps an operand-scanning accumulator row in memory (a load and a store per product). The kernels
here remove both:

* Multiply: R rows of operand scanning at once ("row blocking"): per accumulator cell one load, one store
  and 2R products; the b and m limbs of the last R cells stay in registers (a sliding window), so a cell
  costs two new loads. The loop over row blocks stays a loop (the body is one unrolled pass over the row,
  a few KB of code), since very large methods run far slower.
* Square: the doubled cross products by product scanning (column-wise, accumulators in registers, each
  column block a small method), then Reduce (row-blocked like Multiply, only the q*m products).

Lazy carries as in Montgomery.cs: every cell receives at most 2n products below 2^56 plus one carry below
2^36, which fits in 64 bits for n <= 120.
"""

LIMB_BITS = 28
SQUARE_COUNTS = [37, 55]  # halves of 2048- and 3072-bit keys: the exponentiations
# Full 2048/3072-bit moduli (blinding, verification: a few dozen operations per batch): Multiply only,
# squaring through it, which keeps the generated source small.
LIMB_COUNTS = [37, 55, 74, 110]

ISAS = {
    # name, vector type, intrinsics class, rows per Multiply block, rows per Reduce block, square column block
    "512": dict(vec="Vector512<ulong>", isa="Avx512F", mul_rows=4, red_rows=6, sq_cols=8, pipelined=True),
    # 16 registers: no room for two blocks' digits at once.
    "256": dict(vec="Vector256<ulong>", isa="Avx2", mul_rows=3, red_rows=4, sq_cols=4, pipelined=False),
}


class Emitter:
    def __init__(self, isa):
        self.isa = isa
        self.lines = []
        self.indent = 2

    def emit(self, text=""):
        self.lines.append(("    " * self.indent + text) if text else "")

    def mul(self, x, y):
        """x, y: Vector of uint (the low 32 bits of each 64-bit lane are the multiplier, vpmuludq)."""
        return f"Multiply({x}, {y})"

    def add(self, x, y):
        return f"Add({x}, {y})"

    def sum(self, terms):
        """Pairwise sum: shorter dependency chains than a left-to-right fold."""
        assert terms
        while len(terms) > 1:
            nxt = [self.add(terms[i], terms[i + 1]) for i in range(0, len(terms) - 1, 2)]
            if len(terms) % 2:
                nxt.append(terms[-1])
            terms = nxt
        return terms[0]


class Window:
    """Loads limbs of one array into locals on first use (each limb loaded once per block)."""

    def __init__(self, em, array, prefix):
        self.em, self.array, self.prefix, self.loaded = em, array, prefix, set()

    def __call__(self, j):
        name = f"{self.prefix}{j}"
        if j not in self.loaded:
            self.loaded.add(j)
            self.em.emit(f"U {name} = Unsafe.Add(ref {self.array}, {j}).AsUInt32();")
        return name


def multiply_block(em, n, rows):
    """Rows ai[0..rows) of a·b + q·m into t (t[n-1] is zero before and after: the row shifts down)."""
    em.emit("{")
    em.indent += 1
    b = Window(em, "b", "b")
    m = Window(em, "m", "m")
    for r in range(rows):
        em.emit(f"U a{r} = Unsafe.Add(ref ai, {r}).AsUInt32();")
    em.emit("V c, carry;")
    for s in range(rows):
        terms = [f"Unsafe.Add(ref t, {s})"] if s <= n - 2 else []
        if s > 0:
            terms.append("carry")
        for r in range(s):
            terms += [em.mul(f"a{r}", b(s - r)), em.mul(f"q{r}", m(s - r))]
        terms.append(em.mul(f"a{s}", b(0)))
        em.emit(f"c = {em.sum(terms)};")
        em.emit(f"U q{s} = And({em.mul('c.AsUInt32()', 'k0u')}, mask).AsUInt32();")
        em.emit(f"c = {em.add('c', em.mul(f'q{s}', m(0)))};")
        em.emit(f"carry = ShiftRightLogical(c, {LIMB_BITS});")
    for j in range(rows, n + rows - 1):
        terms = [f"Unsafe.Add(ref t, {j})"] if j <= n - 2 else []
        if j == rows:
            terms.append("carry")
        for r in range(rows):
            if 1 <= j - r <= n - 1:
                terms += [em.mul(f"a{r}", b(j - r)), em.mul(f"q{r}", m(j - r))]
        em.emit(f"Unsafe.Add(ref t, {j - rows}) = {em.sum(terms)};")
    em.indent -= 1
    em.emit("}")


def reduce_block(em, n, rows):
    """Rows wi[0..rows) of the Montgomery reduction of the wide value at wi (cells wi[0..n+rows-2])."""
    em.emit("{")
    em.indent += 1
    m = Window(em, "m", "m")
    em.emit("V c, carry;")
    for s in range(rows):
        terms = [f"Unsafe.Add(ref wi, {s})"]
        if s > 0:
            terms.append("carry")
        for r in range(s):
            terms.append(em.mul(f"q{r}", m(s - r)))
        em.emit(f"c = {em.sum(terms)};")
        em.emit(f"U q{s} = And({em.mul('c.AsUInt32()', 'k0u')}, mask).AsUInt32();")
        em.emit(f"c = {em.add('c', em.mul(f'q{s}', m(0)))};")
        em.emit(f"carry = ShiftRightLogical(c, {LIMB_BITS});")
    for j in range(rows, n + rows - 1):
        terms = [f"Unsafe.Add(ref wi, {j})"]
        if j == rows:
            terms.append("carry")
        for r in range(rows):
            if 1 <= j - r <= n - 1:
                terms.append(em.mul(f"q{r}", m(j - r)))
        em.emit(f"Unsafe.Add(ref wi, {j}) = {em.sum(terms)};")
    em.indent -= 1
    em.emit("}")


def multiply_pipelined(em, n, rows):
    """Full row blocks of Multiply, software-pipelined like reduce_pipelined: the next block's serial head
    (its digits; the a limbs reloaded, not carried) right after the first `rows` cells of this block's
    pass. The digits p0..p(rows-1) and the carry cy go from one iteration to the next."""
    blocks = n // rows

    def head(cells, aref, prefix, bw, mw, carry_name):
        for r in range(rows):
            em.emit(f"U {prefix}a{r} = Unsafe.Add(ref {aref}, {r}).AsUInt32();")
        for s in range(rows):
            terms = [cells(s)] if cells(s) is not None else []
            if s > 0:
                terms.append(carry_name)
            for r in range(s):
                terms += [em.mul(f"{prefix}a{r}", bw(s - r)), em.mul(f"{prefix}p{r}", mw(s - r))]
            terms.append(em.mul(f"{prefix}a{s}", bw(0)))
            em.emit(f"V {prefix}hc{s} = {em.sum(terms)};")
            em.emit(f"U {prefix}p{s} = And({em.mul(f'{prefix}hc{s}.AsUInt32()', 'k0u')}, mask).AsUInt32();")
            em.emit(f"{carry_name} = ShiftRightLogical({em.add(f'{prefix}hc{s}', em.mul(f'{prefix}p{s}', mw(0)))}, {LIMB_BITS});")

    def pass_cells(lo, hi, store, bw, mw, aref):
        for j in range(lo, hi):
            terms = [f"Unsafe.Add(ref t, {j})"] if j <= n - 2 else []
            if j == rows:
                terms.append("cy")
            for r in range(rows):
                if 1 <= j - r <= n - 1:
                    terms += [em.mul(f"pa{r}", bw(j - r)), em.mul(f"p{r}", mw(j - r))]
            value = em.sum(terms)
            if store:
                em.emit(f"Unsafe.Add(ref t, {j - rows}) = {value};")
            else:
                em.emit(f"V h{j} = {value};")

    em.emit("V cy = default;")
    # First head: t is zero, so its cells contribute nothing.
    em.emit("U p0, p1" + "".join(f", p{r}" for r in range(2, rows)) + ";")
    bh, mh = Window(em, "b", "bh"), Window(em, "m", "mh")
    for r in range(rows):
        em.emit(f"U a0_{r} = Unsafe.Add(ref ai, {r}).AsUInt32();")
    for s in range(rows):
        terms = ["cy"] if s > 0 else []
        for r in range(s):
            terms += [em.mul(f"a0_{r}", bh(s - r)), em.mul(f"p{r}", mh(s - r))]
        terms.append(em.mul(f"a0_{s}", bh(0)))
        em.emit(f"V hc{s} = {em.sum(terms)};")
        em.emit(f"p{s} = And({em.mul(f'hc{s}.AsUInt32()', 'k0u')}, mask).AsUInt32();")
        em.emit(f"cy = ShiftRightLogical({em.add(f'hc{s}', em.mul(f'p{s}', mh(0)))}, {LIMB_BITS});")

    def body(pipelined):
        bw, mw = Window(em, "b", "bb"), Window(em, "m", "mb")
        for r in range(rows):
            em.emit(f"U pa{r} = Unsafe.Add(ref ai, {r}).AsUInt32();")
        if pipelined:
            pass_cells(rows, 2 * rows, False, bw, mw, "ai")
            em.emit("V ncy = default;")
            for r in range(rows):
                em.emit(f"U na{r} = Unsafe.Add(ref ai, {rows + r}).AsUInt32();")
            for s in range(rows):
                terms = [f"h{rows + s}"] if rows + s <= n - 2 + 0 or True else []
                if s > 0:
                    terms.append("ncy")
                for r in range(s):
                    terms += [em.mul(f"na{r}", bw(s - r)), em.mul(f"np{r}", mw(s - r))]
                terms.append(em.mul(f"na{s}", bw(0)))
                em.emit(f"V nc{s} = {em.sum(terms)};")
                em.emit(f"U np{s} = And({em.mul(f'nc{s}.AsUInt32()', 'k0u')}, mask).AsUInt32();")
                em.emit(f"ncy = ShiftRightLogical({em.add(f'nc{s}', em.mul(f'np{s}', mw(0)))}, {LIMB_BITS});")
            pass_cells(2 * rows, n + rows - 1, True, bw, mw, "ai")
            for r in range(rows):
                em.emit(f"p{r} = np{r};")
            em.emit("cy = ncy;")
        else:
            pass_cells(rows, n + rows - 1, True, bw, mw, "ai")
        em.emit(f"ai = ref Unsafe.Add(ref ai, {rows});")

    if blocks > 1:
        em.emit(f"for (int block = 0; block < {blocks - 1}; block++)")
        em.emit("{")
        em.indent += 1
        body(True)
        em.indent -= 1
        em.emit("}")
    em.emit("{")
    em.indent += 1
    body(False)
    em.indent -= 1
    em.emit("}")


def reduce_pipelined(em, n, rows):
    """Full row blocks of the reduction, software-pipelined: the serial head of block b+1 (each digit
    needs the previous row's carry: about ten cycles of latency per row) is emitted right after the first
    `rows` cells of block b's pass, which are its inputs, so the out-of-order core overlaps that chain with
    the rest of the pass instead of waiting for it between blocks. Digits p0..p(rows-1) and the carry cy
    are carried from one iteration to the next; the cells the next head consumes stay in registers."""
    blocks = n // rows
    m = Window(em, "m", "mh")
    em.emit("V cy = default;")
    for s in range(rows):
        terms = [f"Unsafe.Add(ref wi, {s})"]
        if s > 0:
            terms.append("cy")
        for r in range(s):
            terms.append(em.mul(f"p{r}", m(s - r)))
        em.emit(f"V hc{s} = {em.sum(terms)};")
        em.emit(f"U p{s} = And({em.mul(f'hc{s}.AsUInt32()', 'k0u')}, mask).AsUInt32();")
        em.emit(f"cy = ShiftRightLogical({em.add(f'hc{s}', em.mul(f'p{s}', m(0)))}, {LIMB_BITS});")

    def pass_cells(lo, hi, store):
        for j in range(lo, hi):
            terms = [f"Unsafe.Add(ref wi, {j})"]
            if j == rows:
                terms.append("cy")
            for r in range(rows):
                if 1 <= j - r <= n - 1:
                    terms.append(em.mul(f"p{r}", mm(j - r)))
            if store:
                em.emit(f"Unsafe.Add(ref wi, {j}) = {em.sum(terms)};")
            else:
                em.emit(f"V h{j} = {em.sum(terms)};")

    if blocks > 1:
        em.emit(f"for (int block = 0; block < {blocks - 1}; block++)")
        em.emit("{")
        em.indent += 1
        mm = Window(em, "m", "mb")
        pass_cells(rows, 2 * rows, store=False)
        em.emit("V ncy = default;")
        for s in range(rows):
            terms = [f"h{rows + s}"]
            if s > 0:
                terms.append("ncy")
            for r in range(s):
                terms.append(em.mul(f"np{r}", mm(s - r)))
            em.emit(f"V nc{s} = {em.sum(terms)};")
            em.emit(f"U np{s} = And({em.mul(f'nc{s}.AsUInt32()', 'k0u')}, mask).AsUInt32();")
            em.emit(f"ncy = ShiftRightLogical({em.add(f'nc{s}', em.mul(f'np{s}', mm(0)))}, {LIMB_BITS});")
        pass_cells(2 * rows, n + rows - 1, store=True)
        for r in range(rows):
            em.emit(f"p{r} = np{r};")
        em.emit("cy = ncy;")
        em.emit(f"wi = ref Unsafe.Add(ref wi, {rows});")
        em.indent -= 1
        em.emit("}")
    # The last full block: its head is done, its pass has no next head to overlap.
    em.emit("{")
    em.indent += 1
    mm = Window(em, "m", "mb")
    pass_cells(rows, n + rows - 1, store=True)
    em.emit(f"wi = ref Unsafe.Add(ref wi, {rows});")
    em.indent -= 1
    em.emit("}")


def square_columns(em, n, first, count):
    """Columns [first, first+count) of a² (cross products doubled) written to w."""
    a = Window(em, "a", "a")
    cols = range(first, min(first + count, 2 * n))
    acc = {k: None for k in cols}
    for i in range(n):
        for k in cols:
            j = k - i
            if i < j <= n - 1:
                p = em.mul(a(i), a(j))
                if acc[k] is None:
                    em.emit(f"V s{k} = {p};")
                    acc[k] = f"s{k}"
                else:
                    em.emit(f"s{k} = {em.add(acc[k], p)};")
    for k in cols:
        terms = []
        if acc[k] is not None:
            terms.append(em.add(acc[k], acc[k]))
        if k % 2 == 0 and k // 2 < n:
            terms.append(em.mul(a(k // 2), a(k // 2)))
        value = em.sum(terms) if terms else "default"
        em.emit(f"Unsafe.Add(ref w, {k}) = {value};")


def generate(suffix, vec, isa, mul_rows, red_rows, sq_cols, pipelined):
    global VEC_STATIC
    VEC_STATIC = vec.split("<")[0]
    em = Emitter(isa)
    out = []
    out.append("// <auto-generated> by generate_fixed_kernels.py; do not edit by hand. </auto-generated>")
    out.append("using System.Runtime.CompilerServices;")
    out.append("using System.Runtime.Intrinsics;")
    out.append("using System.Runtime.Intrinsics.X86;")
    out.append(f"using static System.Runtime.Intrinsics.X86.{isa};")
    out.append(f"using V = System.Runtime.Intrinsics.{vec};")
    out.append(f"using U = System.Runtime.Intrinsics.{vec.replace('ulong', 'uint')};")
    out.append("")
    out.append("namespace Brisk.Crypto.Rsa.MultiBuffer;")
    out.append("")
    out.append("/// <summary>")
    out.append(f"/// Montgomery multiplication, squaring and reduction over {vec} lanes (radix 2^{LIMB_BITS}), unrolled per")
    out.append(f"/// limb count ({', '.join(map(str, LIMB_COUNTS))}). Same contract as <see cref=\"Montgomery{{TVec, TOps}}\"/>;")
    out.append("/// outputs are unnormalised accumulators that the caller normalises.")
    out.append("/// </summary>")
    out.append(f"internal static class MontgomeryFixed{suffix}")
    out.append("{")
    out.append(f"    public static bool Supports(int limbs) => limbs is {' or '.join(map(str, LIMB_COUNTS))};")
    out.append("")
    out.append("    /// <summary>Whether <see cref=\"SquareProduct\"/> and <see cref=\"Reduce\"/> exist for this limb count (else square with Multiply).</summary>")
    out.append(f"    public static bool SupportsSquare(int limbs) => limbs is {' or '.join(map(str, SQUARE_COUNTS))};")
    out.append("")
    # Dispatchers.
    for name, params, args in [
        ("MontgomeryMultiply", "ref V a, ref V b, ref V m, V k0, ref V t", "ref a, ref b, ref m, k0, ref t"),
        ("Reduce", "ref V w, ref V m, V k0", "ref w, ref m, k0"),
        ("SquareProduct", "ref V a, ref V w", "ref a, ref w"),
    ]:
        short = name.replace("Montgomery", "")
        out.append("    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
        out.append(f"    public static void {name}(int limbs, {params})")
        out.append("    {")
        out.append("        switch (limbs)")
        out.append("        {")
        for n in (LIMB_COUNTS if short == "Multiply" else SQUARE_COUNTS):
            out.append(f"            case {n}: {short}{n}({args}); break;")
        out.append("            default: throw new ArgumentOutOfRangeException(nameof(limbs));")
        out.append("        }")
        out.append("    }")
        out.append("")
    for n in LIMB_COUNTS:
        # Multiply
        em.lines = []
        em.indent = 2
        em.emit(f"V mask = {VEC_STATIC}.Create({(1 << LIMB_BITS) - 1}UL);")
        em.emit("U k0u = k0.AsUInt32();")
        em.emit(f"for (int j = 0; j < {n}; j++)")
        em.emit("    Unsafe.Add(ref t, j) = default;")
        em.emit("ref V ai = ref a;")
        if pipelined:
            multiply_pipelined(em, n, mul_rows)
        else:
            em.emit(f"for (int block = 0; block < {n // mul_rows}; block++)")
            em.emit("{")
            em.indent += 1
            multiply_block(em, n, mul_rows)
            em.emit(f"ai = ref Unsafe.Add(ref ai, {mul_rows});")
            em.indent -= 1
            em.emit("}")
        if n % mul_rows:
            multiply_block(em, n, n % mul_rows)
        out.append(f"    /// <summary>t = a·b·R⁻¹ (mod m), unnormalised, {n} limbs; t must not alias a or b.</summary>")
        out.append("    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
        out.append(f"    private static void Multiply{n}(ref V a, ref V b, ref V m, V k0, ref V t)")
        out.append("    {")
        out += em.lines
        out.append("    }")
        out.append("")
        if n not in SQUARE_COUNTS:
            continue
        # Reduce
        em.lines = []
        em.indent = 2
        em.emit(f"V mask = {VEC_STATIC}.Create({(1 << LIMB_BITS) - 1}UL);")
        em.emit("U k0u = k0.AsUInt32();")
        em.emit("ref V wi = ref w;")
        if pipelined:
            reduce_pipelined(em, n, red_rows)
        else:
            em.emit(f"for (int block = 0; block < {n // red_rows}; block++)")
            em.emit("{")
            em.indent += 1
            reduce_block(em, n, red_rows)
            em.emit(f"wi = ref Unsafe.Add(ref wi, {red_rows});")
            em.indent -= 1
            em.emit("}")
        if n % red_rows:
            reduce_block(em, n, n % red_rows)
        out.append(f"    /// <summary>Montgomery reduction of the {2 * n}-cell w in place: the result is w[{n}..{2 * n}), unnormalised.</summary>")
        out.append("    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
        out.append(f"    private static void Reduce{n}(ref V w, ref V m, V k0)")
        out.append("    {")
        out += em.lines
        out.append("    }")
        out.append("")
        # Square product: column blocks, each its own method.
        blocks = list(range(0, 2 * n, sq_cols))
        out.append(f"    /// <summary>w[0..{2 * n}) = a² (unnormalised), column by column.</summary>")
        out.append("    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
        out.append(f"    private static void SquareProduct{n}(ref V a, ref V w)")
        out.append("    {")
        for first in blocks:
            out.append(f"        SquareColumns{n}_{first}(ref a, ref w);")
        out.append("    }")
        out.append("")
        for first in blocks:
            em.lines = []
            em.indent = 2
            square_columns(em, n, first, sq_cols)
            out.append("    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]")
            out.append(f"    private static void SquareColumns{n}_{first}(ref V a, ref V w)")
            out.append("    {")
            out += em.lines
            out.append("    }")
            out.append("")
    out[-1:] = ["}"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    for suffix, cfg in ISAS.items():
        with open(f"MontgomeryFixed{suffix}.g.cs", "w") as f:
            f.write(generate(suffix, **cfg))
