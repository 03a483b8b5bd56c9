using System.Security.Cryptography;

namespace Brisk.Crypto;

/// <summary>
/// CSPRNG bytes drawn from <see cref="RandomNumberGenerator"/> a kilobyte at a time per thread. Every Fill pays a
/// fixed cost — through libcrypto's DRBG, its lock and its fork check (a getpid() system call); measured in
/// `quick kex`, one 32-byte Fill cost ≈ 3 µs here while a 1 KiB Fill costs about the same — and a handshake
/// draws several small values (the Hello random, an X25519 private key, a PSS salt, ticket nonces), so the pool
/// pays it once per many handshakes. Each slice is handed out once and erased from the pool as it is taken; the
/// pool is pinned so no moved copy is left behind. The bytes not yet handed out reveal that thread's next values,
/// the same exposure as the state of a DRBG (which is what RandomNumberGenerator itself draws from).
/// </summary>
public static class PooledRandom
{
    private const int PoolSize = 1024;

    /// <summary>Requests larger than this go to the CSPRNG directly.</summary>
    public const int MaxPooledRequest = 64;

    [ThreadStatic]
    private static Pool? t_pool;

    private sealed class Pool
    {
        public readonly byte[] Bytes = GC.AllocateUninitializedArray<byte>(PoolSize, pinned: true);
        public int Next = PoolSize; // empty: the first take refills
    }

    /// <summary>Fills <paramref name="destination"/> with fresh CSPRNG bytes.</summary>
    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > MaxPooledRequest)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        Pool pool = t_pool ??= new Pool();
        if (PoolSize - pool.Next < destination.Length)
        {
            RandomNumberGenerator.Fill(pool.Bytes);
            pool.Next = 0;
        }
        Span<byte> taken = pool.Bytes.AsSpan(pool.Next, destination.Length);
        taken.CopyTo(destination);
        CryptographicOperations.ZeroMemory(taken);
        pool.Next += destination.Length;
    }

    /// <summary>A new array of <paramref name="length"/> CSPRNG bytes.</summary>
    public static byte[] GetBytes(int length)
    {
        var bytes = new byte[length];
        Fill(bytes);
        return bytes;
    }
}
