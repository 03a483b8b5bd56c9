using System.Security.Cryptography;

namespace Brisk.Tls.Client;

/// <summary>
/// Random bytes that go on the wire in the clear (the ClientHello random, RFC 8446 §4.1.2; a TLS 1.2 session ID),
/// drawn from the system CSPRNG in batches. Each RandomNumberGenerator.Fill call pays a fixed cost (libcrypto's
/// DRBG lock and its fork check, a getpid() system call) that is larger than producing 32 bytes; a load generator
/// making thousands of ClientHellos per second pays it once per 32 of them instead. Never for secrets (keys,
/// pre-master secrets): those keep calling the CSPRNG directly.
/// </summary>
internal static class PublicRandom
{
    private const int BatchLength = 1024;
    private const int MaxRequest = 64;

    [ThreadStatic] private static byte[]? t_batch;
    [ThreadStatic] private static int t_used;

    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > MaxRequest)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        var batch = t_batch;
        if (batch is null || t_used + destination.Length > BatchLength)
        {
            batch ??= t_batch = new byte[BatchLength];
            RandomNumberGenerator.Fill(batch);
            t_used = 0;
        }
        var source = batch.AsSpan(t_used, destination.Length);
        source.CopyTo(destination);
        // Handed-out bytes are not kept: nothing later can read them back from this buffer.
        source.Clear();
        t_used += destination.Length;
    }
}
