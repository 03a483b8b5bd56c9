using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Brisk.Crypto.Aead;

/// <summary>The portable, constant-time path: software AES one block at a time and bit-serial GHASH.</summary>
internal sealed partial class ManagedAesGcm
{
    private void SealPortable(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        var ghash = new GhashPortable(MemoryMarshal.Cast<byte, ulong>(_keyMaterial.Span.Slice(PortableHOffset, 16)));
        ghash.Update(associatedData);
        CtrPortable(nonce, plaintext, ciphertext);
        ghash.Update(ciphertext);
        FinishPortable(nonce, ref ghash, associatedData.Length, plaintext.Length, tag);
    }

    private void OpenPortable(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, Span<byte> expectedTag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var ghash = new GhashPortable(MemoryMarshal.Cast<byte, ulong>(_keyMaterial.Span.Slice(PortableHOffset, 16)));
        ghash.Update(associatedData);
        ghash.Update(ciphertext); // before decrypting: ciphertext and plaintext may be the same memory
        CtrPortable(nonce, ciphertext, plaintext);
        FinishPortable(nonce, ref ghash, associatedData.Length, ciphertext.Length, expectedTag);
    }

    /// <summary>GCTR with inc32 counters from J0 + 1 (SP 800-38D §6.5).</summary>
    private void CtrPortable(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        ReadOnlySpan<byte> roundKeys = _keyMaterial.Span.Slice(RoundKeysOffset, 15 * 16);
        Span<byte> counter = stackalloc byte[16];
        Span<byte> keystream = stackalloc byte[16];
        nonce.CopyTo(counter);
        uint block = 2;
        for (int offset = 0; offset < input.Length; offset += 16, block++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counter[12..], block);
            AesPortable.EncryptBlock(roundKeys, _rounds, counter, keystream);
            int n = Math.Min(16, input.Length - offset);
            for (int i = 0; i < n; i++)
                output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
        }
        CryptographicOperations.ZeroMemory(keystream);
    }

    private void FinishPortable(ReadOnlySpan<byte> nonce, ref GhashPortable ghash, int aadLength, int textLength, Span<byte> tag)
    {
        Span<byte> block = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(block, (ulong)aadLength * 8);
        BinaryPrimitives.WriteUInt64BigEndian(block[8..], (ulong)textLength * 8);
        ghash.Update(block);
        nonce.CopyTo(block);
        BinaryPrimitives.WriteUInt32BigEndian(block[12..], 1);
        AesPortable.EncryptBlock(_keyMaterial.Span.Slice(RoundKeysOffset, 15 * 16), _rounds, block, block);
        BinaryPrimitives.WriteUInt64BigEndian(tag, ghash.High ^ BinaryPrimitives.ReadUInt64BigEndian(block));
        BinaryPrimitives.WriteUInt64BigEndian(tag[8..], ghash.Low ^ BinaryPrimitives.ReadUInt64BigEndian(block[8..]));
        CryptographicOperations.ZeroMemory(block);
    }
}

/// <summary>
/// GHASH (SP 800-38D §6.4) by the bit-serial multiplication of §6.3 Algorithm 1, with masks instead of
/// branches so the time does not depend on H or the data. Blocks are big-endian 128-bit values
/// (High = bytes 0..7); bit 0 of the field element is the most significant bit of byte 0.
/// </summary>
internal ref struct GhashPortable
{
    private readonly ulong _hHigh, _hLow;
    public ulong High, Low;

    public GhashPortable(ReadOnlySpan<ulong> h)
    {
        _hHigh = h[0];
        _hLow = h[1];
        High = Low = 0;
    }

    /// <summary>Absorbs <paramref name="data"/> zero-padded to a multiple of 16 bytes.</summary>
    public void Update(scoped ReadOnlySpan<byte> data)
    {
        while (data.Length >= 16)
        {
            Absorb(data);
            data = data[16..];
        }
        if (data.Length > 0)
        {
            Span<byte> last = stackalloc byte[16];
            last.Clear();
            data.CopyTo(last);
            Absorb(last);
        }
    }

    private void Absorb(scoped ReadOnlySpan<byte> block)
    {
        High ^= BinaryPrimitives.ReadUInt64BigEndian(block);
        Low ^= BinaryPrimitives.ReadUInt64BigEndian(block[8..]);
        Multiply();
    }

    private void Multiply()
    {
        ulong zHigh = 0, zLow = 0, vHigh = _hHigh, vLow = _hLow;
        ulong xHigh = High, xLow = Low;
        for (int i = 0; i < 128; i++)
        {
            ulong bit = i < 64 ? xHigh >> (63 - i) : xLow >> (127 - i);
            ulong mask = 0UL - (bit & 1);
            zHigh ^= vHigh & mask;
            zLow ^= vLow & mask;
            // V = V·x: shift right by one in this bit order, reducing by R = 11100001 || 0^120 when a bit falls off.
            ulong reduce = 0UL - (vLow & 1);
            vLow = (vLow >> 1) | (vHigh << 63);
            vHigh = (vHigh >> 1) ^ (0xE100000000000000UL & reduce);
        }
        High = zHigh;
        Low = zLow;
    }
}
