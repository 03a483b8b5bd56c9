using System.Security.Cryptography;
using Brisk.Crypto.Aead;

namespace Brisk.Crypto.Tests.Aead;

/// <summary>
/// Managed kernels against System.Security.Cryptography (OpenSSL) for every length 0..1100 and 16 KB:
/// random keys, nonces and AAD, misaligned buffers, in place and out of place; tampering is rejected
/// and the plaintext buffer cleared.
/// </summary>
public class DifferentialAeadTests
{
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 1101), 16384, 16384 + 5];

    [Theory]
    [MemberData(nameof(AeadTestPaths.PathsAndAlgorithms), MemberType = typeof(AeadTestPaths))]
    public void MatchesSystemForEveryLength(string path, AeadAlgorithm algorithm)
    {
        var provider = AeadTestPaths.Provider(path);
        // Deterministic per case (HashCode is randomised per process), so a failure reproduces.
        var random = new Random(StableSeed($"{path}/{algorithm}"));
        byte[] key = new byte[algorithm.KeySize()];
        IAead? managed = null;
        IAead? system = null;
        try
        {
            foreach (int length in Lengths)
            {
                if (length % 97 == 0 || managed is null)
                {
                    managed?.Dispose();
                    system?.Dispose();
                    random.NextBytes(key);
                    managed = provider.Create(algorithm, key);
                    system = SystemAeadProvider.Instance.Create(algorithm, key);
                }
                CheckOneLength(managed, system!, random, length, tamper: length % 13 == 0 || length > 1100);
            }
        }
        finally
        {
            managed?.Dispose();
            system?.Dispose();
        }
    }

    private static int StableSeed(string text)
    {
        uint hash = 2166136261; // FNV-1a
        foreach (char c in text)
            hash = (hash ^ c) * 16777619;
        return (int)hash;
    }

    private static Span<byte> Misaligned(Random random, int length) => new byte[length + 64].AsSpan(random.Next(0, 32), length);

    private static void CheckOneLength(IAead managed, IAead system, Random random, int length, bool tamper)
    {
        Span<byte> nonce = stackalloc byte[12];
        random.NextBytes(nonce);
        int aadLength = random.Next(4) switch { 0 => 13, 1 => 5, 2 => 0, _ => random.Next(0, 70) };
        var aad = Misaligned(random, aadLength);
        random.NextBytes(aad);
        var plaintext = Misaligned(random, length);
        random.NextBytes(plaintext);

        var expectedCiphertext = new byte[length];
        var expectedTag = new byte[16];
        system.Seal(nonce, plaintext, expectedCiphertext, expectedTag, aad);

        // Out of place.
        var ciphertext = Misaligned(random, length);
        var tag = Misaligned(random, 16);
        managed.Seal(nonce, plaintext, ciphertext, tag, aad);
        AssertEqual(expectedCiphertext, ciphertext, length, "seal out of place");
        AssertEqual(expectedTag, tag, length, "tag out of place");

        var opened = Misaligned(random, length);
        Assert.True(managed.Open(nonce, ciphertext, tag, opened, aad), $"open out of place, length {length}");
        AssertEqual(plaintext, opened, length, "open out of place");

        // In place.
        var buffer = Misaligned(random, length);
        plaintext.CopyTo(buffer);
        managed.Seal(nonce, buffer, buffer, tag, aad);
        AssertEqual(expectedCiphertext, buffer, length, "seal in place");
        AssertEqual(expectedTag, tag, length, "tag in place");
        Assert.True(managed.Open(nonce, buffer, tag, buffer, aad), $"open in place, length {length}");
        AssertEqual(plaintext, buffer, length, "open in place");

        if (!tamper)
            return;
        ExpectRejected(managed, nonce, expectedCiphertext, FlipBit(expectedTag, random), aad, length, "tag");
        if (length > 0)
            ExpectRejected(managed, nonce, FlipBit(expectedCiphertext, random), expectedTag, aad, length, "ciphertext");
        if (aadLength > 0)
            ExpectRejected(managed, nonce, expectedCiphertext, expectedTag, FlipBit(aad.ToArray(), random), length, "aad");
        var otherNonce = nonce.ToArray();
        otherNonce[random.Next(12)] ^= 0x80;
        ExpectRejected(managed, otherNonce, expectedCiphertext, expectedTag, aad, length, "nonce");

        // In-place failure clears the buffer too.
        expectedCiphertext.CopyTo(buffer);
        Assert.False(managed.Open(nonce, buffer, FlipBit(expectedTag, random), buffer, aad));
        Assert.True(buffer.IndexOfAnyExcept((byte)0) < 0, $"in-place buffer not cleared, length {length}");
    }

    private static byte[] FlipBit(ReadOnlySpan<byte> data, Random random)
    {
        var copy = data.ToArray();
        int bit = random.Next(copy.Length * 8);
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private static void ExpectRejected(IAead aead, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag,
        ReadOnlySpan<byte> aad, int length, string what)
    {
        var output = new byte[length];
        output.AsSpan().Fill(0xCC);
        Assert.False(aead.Open(nonce, ciphertext, tag, output, aad), $"tampered {what} accepted, length {length}");
        Assert.True(output.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"plaintext not cleared after tampered {what}, length {length}");
    }

    private static void AssertEqual(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, int length, string what)
    {
        if (!expected.SequenceEqual(actual))
            Assert.Fail($"{what} differs at length {length}: first difference at byte {expected.CommonPrefixLength(actual)}");
    }
}
