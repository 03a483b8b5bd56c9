using System.Diagnostics;
using System.Security.Cryptography;
using Brisk.Crypto.Hashing;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Signing;

namespace Brisk.Bench;

/// <summary>
/// <c>quick kex</c>: handshake-sized public-key and hashing operations, libcrypto-direct against .NET's
/// System.Security.Cryptography in the same run. A "handshake" is Generate + derive with a peer key
/// generated beforehand (what a server does per ClientHello key share). Rounds of A and B alternate so a
/// busy machine disturbs both alike; the median round is reported.
/// </summary>
public sealed class QuickKex : IQuickCommand
{
    public string Area => "kex";

    private const int Rounds = 7;
    private static readonly TimeSpan RoundBudget = TimeSpan.FromMilliseconds(60);

    public void Run(string[] args)
    {
        var libcrypto = LibCryptoKeyExchangeProvider.Instance;
        var system = SystemKeyExchangeProvider.Instance;

        double p256 = 0;
        foreach (var group in new[] { NamedGroup.Secp256r1, NamedGroup.Secp384r1 })
        {
            var (ours, theirs) = Compare(Handshake(libcrypto, group), Handshake(system, group));
            Report($"{(group == NamedGroup.Secp256r1 ? "p256" : "p384")}-handshake", "libcrypto", ours, "system", theirs);
            if (group == NamedGroup.Secp256r1)
                p256 = theirs;
        }
        var (x25519, systemP256) = Compare(Handshake(libcrypto, NamedGroup.X25519), Handshake(system, NamedGroup.Secp256r1));
        Report("x25519-handshake", "libcrypto", x25519, "system_p256", systemP256);

        // Brisk's own X25519 kernel (libbrisk_native.so) against libcrypto's EVP_PKEY X25519, same run.
        if (NativeKeyExchangeProvider.IsLibraryAvailable)
        {
            var native = NativeKeyExchangeProvider.Instance;
            var (ours, theirs) = Compare(Handshake(native, NamedGroup.X25519), Handshake(libcrypto, NamedGroup.X25519));
            Report("x25519-handshake", "native", ours, "libcrypto", theirs);
            (ours, theirs) = Compare(
                () => native.Generate(NamedGroup.X25519).Dispose(),
                () => libcrypto.Generate(NamedGroup.X25519).Dispose());
            Report("x25519-generate", "native", ours, "libcrypto", theirs);
            (ours, theirs) = Compare(Derive(native), Derive(libcrypto));
            Report("x25519-derive", "native", ours, "libcrypto", theirs);
            MultiBufferRows(libcrypto);
        }
        else
        {
            Console.WriteLine("# kex: libbrisk_native.so not loaded; no native x25519 rows");
        }

        foreach (var (curve, hashLength, label) in new[] { (ECCurve.NamedCurves.nistP256, 32, "ecdsa-p256-sign"), (ECCurve.NamedCurves.nistP384, 48, "ecdsa-p384-sign") })
        {
            using var dotnetKey = ECDsa.Create(curve);
            using var key = EcdsaPrivateKey.FromECDsa(dotnetKey);
            byte[] hash = RandomNumberGenerator.GetBytes(hashLength);
            var signature = new byte[key.MaxSignatureLength];
            var (ours, theirs) = Compare(
                () => key.SignHash(hash, signature),
                () => dotnetKey.TrySignHash(hash, signature, DSASignatureFormat.Rfc3279DerSequence, out _));
            Report(label, "libcrypto", ours, "system", theirs);
        }

        byte[] hmacKey = RandomNumberGenerator.GetBytes(32);
        var output = new byte[64];
        foreach (int size in new[] { 64, 200 })
        {
            byte[] message = RandomNumberGenerator.GetBytes(size);
            var (ours, theirs) = Compare(
                () => Hmac.Compute(HashKind.Sha256, hmacKey, message, output),
                () => HMACSHA256.HashData(hmacKey, message, output));
            Report($"hmac-sha256-{size}B", "libcrypto", ours, "system", theirs);
        }
        {
            byte[] message = RandomNumberGenerator.GetBytes(64);
            var (ours, theirs) = Compare(
                () => Hmac.Compute(HashKind.Sha384, hmacKey, message, output),
                () => HMACSHA384.HashData(hmacKey, message, output));
            Report("hmac-sha384-64B", "libcrypto", ours, "system", theirs);
        }
        foreach (int size in new[] { 32, 200 })
        {
            byte[] message = RandomNumberGenerator.GetBytes(size);
            var (ours, theirs) = Compare(
                () => Sha2.Hash(HashKind.Sha256, message, output),
                () => SHA256.HashData(message, output));
            Report($"sha256-{size}B", "libcrypto", ours, "system", theirs);
        }
        {
            // One handshake message appended, then the running hash read (what TLS 1.3 does per Finished/CertificateVerify).
            byte[] message = RandomNumberGenerator.GetBytes(64);
            using var ours = new TranscriptHash(HashKind.Sha256);
            using var theirs = new TranscriptHash(HashKind.Sha256, useLibCrypto: false);
            var (a, b) = Compare(
                () => { ours.Append(message); ours.GetCurrentHash(output); },
                () => { theirs.Append(message); theirs.GetCurrentHash(output); });
            Report("transcript-sha256-append64B+current", "libcrypto", a, "system", b);
        }
        {
            byte[] prk = RandomNumberGenerator.GetBytes(32), info = RandomNumberGenerator.GetBytes(20);
            var key32 = new byte[32];
            var (ours, theirs) = Compare(
                () => Hkdf.Expand(HashKind.Sha256, prk, info, key32),
                () => HKDF.Expand(HashAlgorithmName.SHA256, prk, key32, info));
            Report("hkdf-sha256-expand32B", "libcrypto", ours, "system", theirs);
        }
    }

    /// <summary>
    /// The 8-lane IFMA kernel (native/src/x25519_mb52.c), per derivation, against the scalar kernel in the same
    /// run: one row per lane count (where the per-operation ratio crosses 1 is the batcher's break-even), the
    /// full batch against libcrypto, and 8 concurrent DeriveSharedSecretAsync calls through the batcher
    /// (queue, thread-pool runner and completions included) against 8 synchronous scalar derivations.
    /// </summary>
    private static void MultiBufferRows(IKeyExchangeProvider libcrypto)
    {
        if (!NativeX25519MultiBuffer.IsAvailable)
        {
            Console.WriteLine($"# kex: no 8-lane x25519 rows: {NativeX25519MultiBuffer.Status}");
            return;
        }
        const int Lanes = NativeX25519MultiBuffer.Lanes;
        byte[] scalars = RandomNumberGenerator.GetBytes(32 * Lanes);
        var points = new byte[32 * Lanes];
        for (int i = 0; i < Lanes; i++)
            NativeX25519.TryPublicKey(points.AsSpan(32 * i, 32), RandomNumberGenerator.GetBytes(32));
        var outputs = new byte[32 * Lanes];
        var one = new byte[32];
        Action scalar = () =>
        {
            if (!NativeX25519.TryScalarMultiply(one, scalars.AsSpan(0, 32), points.AsSpan(0, 32)))
                throw new InvalidOperationException("derive failed");
        };
        foreach (int lanes in new[] { 1, 2, 3, 4, 8 })
        {
            var (batch, single) = Compare(() => NativeX25519MultiBuffer.Compute(outputs, scalars, points, lanes), scalar);
            Report($"x25519-mb52-lanes-{lanes}", "mb52_per_op", batch / lanes, "native_scalar", single);
        }
        {
            var (batch, theirs) = Compare(() => NativeX25519MultiBuffer.Compute(outputs, scalars, points, Lanes), Derive(libcrypto));
            Report("x25519-derive", "mb52x8_per_op", batch / Lanes, "libcrypto", theirs);
        }
        {
            var keys = new IEphemeralKey[Lanes];
            var secrets = new byte[Lanes][];
            for (int i = 0; i < Lanes; i++)
            {
                keys[i] = NativeKeyExchangeProvider.Batched.Generate(NamedGroup.X25519); // the server's provider
                secrets[i] = new byte[32];
            }
            byte[] peer = points.AsSpan(0, 32).ToArray();
            var pending = new ValueTask<bool>[Lanes];
            var (batched, sync) = Compare(
                () =>
                {
                    for (int i = 0; i < Lanes; i++)
                        pending[i] = keys[i].DeriveSharedSecretAsync(peer, secrets[i]);
                    for (int i = 0; i < Lanes; i++)
                        if (!pending[i].AsTask().GetAwaiter().GetResult())
                            throw new InvalidOperationException("derive failed");
                },
                () =>
                {
                    for (int i = 0; i < Lanes; i++)
                        if (!keys[i].TryDeriveSharedSecret(peer, secrets[i]))
                            throw new InvalidOperationException("derive failed");
                });
            Report("x25519-derive-8-concurrent", "batcher_per_op", batched / Lanes, "native_scalar", sync / Lanes);
        }
    }

    private static Action Handshake(IKeyExchangeProvider provider, NamedGroup group)
    {
        using var peer = provider.Generate(group);
        byte[] peerPublic = peer.PublicKey.ToArray();
        var secret = new byte[group.SharedSecretLength()];
        return () =>
        {
            using var key = provider.Generate(group);
            if (!key.TryDeriveSharedSecret(peerPublic, secret))
                throw new InvalidOperationException("derive failed");
        };
    }

    /// <summary>Derive only, with one key reused (the second half of a handshake).</summary>
    private static Action Derive(IKeyExchangeProvider provider)
    {
        using var peer = provider.Generate(NamedGroup.X25519);
        byte[] peerPublic = peer.PublicKey.ToArray();
        var key = provider.Generate(NamedGroup.X25519); // lives for the whole run
        var secret = new byte[32];
        return () =>
        {
            if (!key.TryDeriveSharedSecret(peerPublic, secret))
                throw new InvalidOperationException("derive failed");
        };
    }

    private static void Report(string name, string aName, double aMicros, string bName, double bMicros) =>
        Console.WriteLine($"RATIO {name} {aName}/{bName}={aMicros / bMicros:F3} {aName}_us={aMicros:F3} {bName}_us={bMicros:F3}");

    /// <summary>Median µs per operation of each, over alternating rounds of ~60 ms.</summary>
    private static (double A, double B) Compare(Action a, Action b)
    {
        int iterationsA = Calibrate(a), iterationsB = Calibrate(b);
        var timesA = new double[Rounds];
        var timesB = new double[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            timesA[round] = Time(a, iterationsA);
            timesB[round] = Time(b, iterationsB);
        }
        Array.Sort(timesA);
        Array.Sort(timesB);
        return (timesA[Rounds / 2], timesB[Rounds / 2]);
    }

    private static int Calibrate(Action action)
    {
        for (int i = 0; i < 50; i++)
            action(); // JIT and tiering warm-up
        int iterations = 1;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++)
                action();
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= RoundBudget / 4)
                return Math.Max(1, (int)(iterations * (RoundBudget / elapsed)));
            iterations *= 2;
        }
    }

    private static double Time(Action action, int iterations)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < iterations; i++)
            action();
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / iterations;
    }
}
