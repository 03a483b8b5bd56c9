using System.Buffers;
using System.Security.Cryptography;
using Brisk.Crypto.Hashing;

namespace Brisk.Tls.KeySchedule;

/// <summary>The hash behind the TLS 1.2 PRF: SHA-256 unless the suite says SHA-384 (RFC 5246 §5, RFC 5288 §3, RFC 5289 §3).</summary>
public enum Tls12PrfHash
{
    Sha256,
    Sha384,
}

/// <summary>
/// One-shot HMAC as a static-abstract "strategy", so <see cref="Tls12Prf.PHash{THmac}"/> is specialised per
/// implementation by the JIT and HMACs can be swapped (and compared) without touching the PRF.
/// </summary>
public interface IHmacFunction
{
    static abstract int HashLength { get; }

    static abstract void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination);
}

/// <summary>HMAC-SHA256 through Brisk.Crypto's inline-libcrypto HMAC (which falls back to .NET without libcrypto). The default.</summary>
public readonly struct HmacSha256 : IHmacFunction
{
    public static int HashLength => 32;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        Hmac.Compute(HashKind.Sha256, key, data, destination);
}

/// <summary>HMAC-SHA384 through Brisk.Crypto's inline-libcrypto HMAC. The default.</summary>
public readonly struct HmacSha384 : IHmacFunction
{
    public static int HashLength => 48;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        Hmac.Compute(HashKind.Sha384, key, data, destination);
}

/// <summary>HMAC-SHA256 through .NET's one-shot span API: the baseline in tests and measurements.</summary>
public readonly struct SystemHmacSha256 : IHmacFunction
{
    public static int HashLength => 32;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        HMACSHA256.HashData(key, data, destination);
}

/// <summary>HMAC-SHA384 through .NET's one-shot span API: the baseline.</summary>
public readonly struct SystemHmacSha384 : IHmacFunction
{
    public static int HashLength => 48;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        HMACSHA384.HashData(key, data, destination);
}

/// <summary>
/// The TLS 1.2 PRF (RFC 5246 §5): PRF(secret, label, seed) = P_hash(secret, label + seed), where
/// P_hash = HMAC(secret, A(1) + seed') + HMAC(secret, A(2) + seed') + ..., A(0) = seed', A(i) = HMAC(secret, A(i-1)).
/// Inputs are spans; the working buffer (which holds secret-derived A(i)) lives on the stack when small
/// and is zeroed before returning. No allocation.
/// </summary>
public static class Tls12Prf
{
    private const int MaxHashLength = 48;
    private const int StackLimit = 256;

    /// <summary>Fills <paramref name="output"/> with PRF(secret, label, seed1 + seed2).</summary>
    public static void Compute(
        Tls12PrfHash hash,
        ReadOnlySpan<byte> secret,
        ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> seed1,
        ReadOnlySpan<byte> seed2,
        Span<byte> output)
    {
        switch (hash)
        {
            case Tls12PrfHash.Sha256:
                PHash<HmacSha256>(secret, label, seed1, seed2, output);
                break;
            case Tls12PrfHash.Sha384:
                PHash<HmacSha384>(secret, label, seed1, seed2, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(hash));
        }
    }

    /// <summary>Fills <paramref name="output"/> with PRF(secret, label, seed).</summary>
    public static void Compute(Tls12PrfHash hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> seed, Span<byte> output) =>
        Compute(hash, secret, label, seed, default, output);

    /// <summary>P_hash(secret, label + seed1 + seed2) (RFC 5246 §5).</summary>
    public static void PHash<THmac>(
        ReadOnlySpan<byte> secret,
        ReadOnlySpan<byte> label,
        ReadOnlySpan<byte> seed1,
        ReadOnlySpan<byte> seed2,
        Span<byte> output)
        where THmac : IHmacFunction
    {
        int hashLength = THmac.HashLength;
        int seedLength = label.Length + seed1.Length + seed2.Length;

        // work = A(i) || label || seed1 || seed2, so each output block is one HMAC over a contiguous span.
        int workLength = hashLength + seedLength;
        byte[]? rented = null;
        Span<byte> work = workLength <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(workLength));
        work = work[..workLength];
        Span<byte> a = work[..hashLength];
        Span<byte> labelAndSeed = work[hashLength..];
        label.CopyTo(labelAndSeed);
        seed1.CopyTo(labelAndSeed[label.Length..]);
        seed2.CopyTo(labelAndSeed[(label.Length + seed1.Length)..]);

        Span<byte> block = stackalloc byte[MaxHashLength];
        block = block[..hashLength];
        try
        {
            THmac.Compute(secret, labelAndSeed, a); // A(1)
            while (!output.IsEmpty)
            {
                if (output.Length >= hashLength)
                {
                    THmac.Compute(secret, work, output[..hashLength]);
                    output = output[hashLength..];
                }
                else
                {
                    THmac.Compute(secret, work, block);
                    block[..output.Length].CopyTo(output);
                    break;
                }

                if (!output.IsEmpty)
                {
                    THmac.Compute(secret, a, block); // A(i+1), via a temporary: no overlapping in/out
                    block.CopyTo(a);
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(work);
            CryptographicOperations.ZeroMemory(block);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
