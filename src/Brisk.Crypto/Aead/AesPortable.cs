using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Brisk.Crypto.Aead;

/// <summary>
/// Constant-time software AES (FIPS 197) for the portable path and for checks. There are no table
/// look-ups: SubBytes computes the multiplicative inverse in GF(2^8) as x^254 with masked
/// shift-and-add multiplication on eight bytes packed in a ulong (SWAR), then the affine map (FIPS 197 §5.1.1).
/// Slow (a few µs per block) but free of secret-dependent memory access and branches.
/// </summary>
internal static class AesPortable
{
    private const ulong Low7Bits = 0x7f7f7f7f7f7f7f7f;
    private const ulong LowBit = 0x0101010101010101;

    /// <summary>Multiplies each byte by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Xtime(ulong x) => ((x & Low7Bits) << 1) ^ (((x >> 7) & LowBit) * 0x1b);

    /// <summary>Byte-wise GF(2^8) product of eight packed bytes; the mask replaces the data-dependent branch.</summary>
    private static ulong GfMultiply(ulong a, ulong b)
    {
        ulong result = 0;
        for (int i = 0; i < 8; i++)
        {
            result ^= a & (((b >> i) & LowBit) * 0xff);
            a = Xtime(a);
        }
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RotateBytesLeft(ulong x, int k)
    {
        ulong highMask = (0xffUL << k & 0xff) * LowBit;
        ulong lowMask = ((1UL << k) - 1) * LowBit;
        return ((x << k) & highMask) | ((x >> (8 - k)) & lowMask);
    }

    /// <summary>The AES S-box applied to each of the eight packed bytes.</summary>
    internal static ulong SubBytes8(ulong x)
    {
        // x^254 = x^-1 in GF(2^8) (and 0 -> 0, as FIPS 197 §5.1.1 requires).
        ulong x2 = GfMultiply(x, x);
        ulong x3 = GfMultiply(x2, x);
        ulong x6 = GfMultiply(x3, x3);
        ulong x12 = GfMultiply(x6, x6);
        ulong x15 = GfMultiply(x12, x3);
        ulong x30 = GfMultiply(x15, x15);
        ulong x60 = GfMultiply(x30, x30);
        ulong x120 = GfMultiply(x60, x60);
        ulong x240 = GfMultiply(x120, x120);
        ulong x14 = GfMultiply(x12, x2);
        ulong inverse = GfMultiply(x240, x14);
        // Affine transformation: b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63.
        return inverse ^ RotateBytesLeft(inverse, 1) ^ RotateBytesLeft(inverse, 2) ^ RotateBytesLeft(inverse, 3)
            ^ RotateBytesLeft(inverse, 4) ^ (0x63 * LowBit);
    }

    private static uint SubWord(uint word) => (uint)SubBytes8(word);

    /// <summary>FIPS 197 §5.2 key expansion; round keys are written as consecutive 16-byte blocks.</summary>
    internal static void ExpandKey(ReadOnlySpan<byte> key, Span<byte> roundKeys)
    {
        int nk = key.Length / 4;
        int rounds = nk + 6;
        int words = 4 * (rounds + 1);
        Span<uint> w = stackalloc uint[60];
        for (int i = 0; i < nk; i++)
            w[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        uint rcon = 1;
        for (int i = nk; i < words; i++)
        {
            uint temp = w[i - 1];
            if (i % nk == 0)
            {
                // RotWord moves byte 1 to byte 0: a right rotation of the little-endian word.
                temp = SubWord(uint.RotateRight(temp, 8)) ^ rcon;
                rcon = (uint)(byte)Xtime(rcon);
            }
            else if (nk > 6 && i % nk == 4)
            {
                temp = SubWord(temp);
            }
            w[i] = w[i - nk] ^ temp;
        }
        for (int i = 0; i < words; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(roundKeys[(4 * i)..], w[i]);
        w.Clear();
    }

    /// <summary>Encrypts one block (FIPS 197 §5.1); <paramref name="input"/> and <paramref name="output"/> may be the same.</summary>
    internal static void EncryptBlock(ReadOnlySpan<byte> roundKeys, int rounds, ReadOnlySpan<byte> input, Span<byte> output)
    {
        // State as four little-endian column words: byte r of column c is row r (FIPS 197 §3.4).
        uint c0 = BinaryPrimitives.ReadUInt32LittleEndian(input) ^ BinaryPrimitives.ReadUInt32LittleEndian(roundKeys);
        uint c1 = BinaryPrimitives.ReadUInt32LittleEndian(input[4..]) ^ BinaryPrimitives.ReadUInt32LittleEndian(roundKeys[4..]);
        uint c2 = BinaryPrimitives.ReadUInt32LittleEndian(input[8..]) ^ BinaryPrimitives.ReadUInt32LittleEndian(roundKeys[8..]);
        uint c3 = BinaryPrimitives.ReadUInt32LittleEndian(input[12..]) ^ BinaryPrimitives.ReadUInt32LittleEndian(roundKeys[12..]);
        for (int round = 1; round <= rounds; round++)
        {
            ulong low = SubBytes8(c0 | ((ulong)c1 << 32));
            ulong high = SubBytes8(c2 | ((ulong)c3 << 32));
            uint s0 = (uint)low, s1 = (uint)(low >> 32), s2 = (uint)high, s3 = (uint)(high >> 32);
            // ShiftRows: row r of column c comes from column c + r.
            uint t0 = (s0 & 0x000000ff) | (s1 & 0x0000ff00) | (s2 & 0x00ff0000) | (s3 & 0xff000000);
            uint t1 = (s1 & 0x000000ff) | (s2 & 0x0000ff00) | (s3 & 0x00ff0000) | (s0 & 0xff000000);
            uint t2 = (s2 & 0x000000ff) | (s3 & 0x0000ff00) | (s0 & 0x00ff0000) | (s1 & 0xff000000);
            uint t3 = (s3 & 0x000000ff) | (s0 & 0x0000ff00) | (s1 & 0x00ff0000) | (s2 & 0xff000000);
            if (round != rounds)
            {
                t0 = MixColumn(t0);
                t1 = MixColumn(t1);
                t2 = MixColumn(t2);
                t3 = MixColumn(t3);
            }
            ReadOnlySpan<byte> rk = roundKeys[(16 * round)..];
            c0 = t0 ^ BinaryPrimitives.ReadUInt32LittleEndian(rk);
            c1 = t1 ^ BinaryPrimitives.ReadUInt32LittleEndian(rk[4..]);
            c2 = t2 ^ BinaryPrimitives.ReadUInt32LittleEndian(rk[8..]);
            c3 = t3 ^ BinaryPrimitives.ReadUInt32LittleEndian(rk[12..]);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(output, c0);
        BinaryPrimitives.WriteUInt32LittleEndian(output[4..], c1);
        BinaryPrimitives.WriteUInt32LittleEndian(output[8..], c2);
        BinaryPrimitives.WriteUInt32LittleEndian(output[12..], c3);
    }

    /// <summary>MixColumns on one column (FIPS 197 §5.1.3): out_i = 2a_i ^ 3a_{i+1} ^ a_{i+2} ^ a_{i+3}.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint MixColumn(uint a)
    {
        uint next = uint.RotateRight(a, 8); // byte i now holds a_{i+1}
        return (uint)Xtime(a ^ next) ^ next ^ uint.RotateRight(a, 16) ^ uint.RotateRight(a, 24);
    }
}
