using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Brisk.Crypto.Aead;

/// <summary>AES-NI key expansion and single-block encryption (FIPS 197; Intel AES-NI white paper layout).</summary>
internal static unsafe class AesNi
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> FoldWords(Vector128<byte> key)
    {
        // w0, w0^w1, w0^w1^w2, w0^w1^w2^w3: the running xor of FIPS 197 §5.2 for one 4-word step.
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        return key;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Step128(Vector128<byte> key, Vector128<byte> assist)
        => FoldWords(key) ^ Sse2.Shuffle(assist.AsUInt32(), 0xff).AsByte();

    public static void ExpandKey128(byte* key, byte* roundKeys)
    {
        var k = Sse2.LoadVector128(key);
        Sse2.Store(roundKeys, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x01)); Sse2.Store(roundKeys + 16, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x02)); Sse2.Store(roundKeys + 32, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x04)); Sse2.Store(roundKeys + 48, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x08)); Sse2.Store(roundKeys + 64, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x10)); Sse2.Store(roundKeys + 80, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x20)); Sse2.Store(roundKeys + 96, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x40)); Sse2.Store(roundKeys + 112, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x80)); Sse2.Store(roundKeys + 128, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x1b)); Sse2.Store(roundKeys + 144, k);
        k = Step128(k, X86Aes.KeygenAssist(k, 0x36)); Sse2.Store(roundKeys + 160, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Step256Odd(Vector128<byte> first, Vector128<byte> second)
        // Words 4..7 of each 8-word step use SubWord without RotWord or Rcon (FIPS 197 §5.2, Nk > 6).
        => FoldWords(second) ^ Sse2.Shuffle(X86Aes.KeygenAssist(first, 0x00).AsUInt32(), 0xaa).AsByte();

    public static void ExpandKey256(byte* key, byte* roundKeys)
    {
        var a = Sse2.LoadVector128(key);
        var b = Sse2.LoadVector128(key + 16);
        Sse2.Store(roundKeys, a);
        Sse2.Store(roundKeys + 16, b);
        a = Step128(a, X86Aes.KeygenAssist(b, 0x01)); Sse2.Store(roundKeys + 32, a);
        b = Step256Odd(a, b); Sse2.Store(roundKeys + 48, b);
        a = Step128(a, X86Aes.KeygenAssist(b, 0x02)); Sse2.Store(roundKeys + 64, a);
        b = Step256Odd(a, b); Sse2.Store(roundKeys + 80, b);
        a = Step128(a, X86Aes.KeygenAssist(b, 0x04)); Sse2.Store(roundKeys + 96, a);
        b = Step256Odd(a, b); Sse2.Store(roundKeys + 112, b);
        a = Step128(a, X86Aes.KeygenAssist(b, 0x08)); Sse2.Store(roundKeys + 128, a);
        b = Step256Odd(a, b); Sse2.Store(roundKeys + 144, b);
        a = Step128(a, X86Aes.KeygenAssist(b, 0x10)); Sse2.Store(roundKeys + 160, a);
        b = Step256Odd(a, b); Sse2.Store(roundKeys + 176, b);
        a = Step128(a, X86Aes.KeygenAssist(b, 0x20)); Sse2.Store(roundKeys + 192, a);
        b = Step256Odd(a, b); Sse2.Store(roundKeys + 208, b);
        a = Step128(a, X86Aes.KeygenAssist(b, 0x40)); Sse2.Store(roundKeys + 224, a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Encrypt(byte* roundKeys, int rounds, Vector128<byte> block)
    {
        block ^= Sse2.LoadVector128(roundKeys);
        for (int r = 1; r < rounds; r++)
            block = X86Aes.Encrypt(block, Sse2.LoadVector128(roundKeys + 16 * r));
        return X86Aes.EncryptLast(block, Sse2.LoadVector128(roundKeys + 16 * rounds));
    }

    public static void EncryptBlock(byte* roundKeys, int rounds, byte* input, byte* output)
        => Sse2.Store(output, Encrypt(roundKeys, rounds, Sse2.LoadVector128(input)));
}
