using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;

namespace Brisk.Crypto.Tests.KeyExchange;

/// <summary>
/// The 8-lane IFMA kernel (native/src/x25519_mb52.c) called directly: RFC 7748 and all of Wycheproof's
/// x25519 cases with every vector in every lane position beside other vectors, partial batches of 1..7
/// lanes, per-lane refusal of all-zero results, and random inputs against the scalar kernel and libcrypto.
/// Without AVX-512 IFMA (or without libbrisk_native.so) the tests return early; under CI=true on a CPU
/// with IFMA the kernel must be available.
/// </summary>
public sealed class X25519MultiBufferTests
{
    private const int Lanes = NativeX25519MultiBuffer.Lanes;

    private static readonly bool InCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    internal sealed record Vector(string Name, byte[] Scalar, byte[] Point, byte[] Shared)
    {
        public bool Refused => Shared.AsSpan().IndexOfAnyExcept((byte)0) < 0;
    }

    internal static bool KernelAvailable()
    {
        if (InCi && NativeX25519.IsAvailable && NativeX25519MultiBuffer.CpuSupportsKernel)
            Assert.True(NativeX25519MultiBuffer.IsAvailable, $"the 8-lane kernel is not used on a CPU with IFMA: {NativeX25519MultiBuffer.Status}");
        return NativeX25519MultiBuffer.IsAvailable;
    }

    /// <summary>RFC 7748 §5.2 and §6.1, then every case of Wycheproof's x25519_test.json.</summary>
    internal static List<Vector> AllVectors()
    {
        var vectors = new List<Vector>
        {
            new("rfc7748 5.2 #1", Convert.FromHexString("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                Convert.FromHexString("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
                Convert.FromHexString("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")),
            new("rfc7748 5.2 #2", Convert.FromHexString("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                Convert.FromHexString("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
                Convert.FromHexString("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")),
            new("rfc7748 6.1 alice", Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
                Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
                Convert.FromHexString("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")),
            new("rfc7748 6.1 bob", Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
                Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
                Convert.FromHexString("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")),
        };
        foreach (var v in PlatformVectors.Load("x25519_test.json"))
            vectors.Add(new Vector("wycheproof " + v.Describe, v.Hex("private"), v.Hex("public"), v.Hex("shared")));
        return vectors;
    }

    /// <summary>Runs the vectors as one kernel call (1..8 lanes) and checks every lane: its value or its refusal.</summary>
    private static void CheckBatch(IReadOnlyList<Vector> batch, string where)
    {
        int lanes = batch.Count;
        var scalars = new byte[lanes * 32];
        var points = new byte[lanes * 32];
        var outputs = new byte[lanes * 32];
        outputs.AsSpan().Fill(0xA5);
        for (int i = 0; i < lanes; i++)
        {
            batch[i].Scalar.CopyTo(scalars, 32 * i);
            batch[i].Point.CopyTo(points, 32 * i);
        }
        int nonZero = NativeX25519MultiBuffer.Compute(outputs, scalars, points, lanes);
        Assert.Equal(0, nonZero >> lanes);
        for (int i = 0; i < lanes; i++)
        {
            var v = batch[i];
            string label = $"{v.Name} in lane {i} of {lanes} ({where})";
            Assert.True(((nonZero >> i) & 1) == (v.Refused ? 0 : 1), label);
            Assert.True(v.Shared.AsSpan().SequenceEqual(outputs.AsSpan(32 * i, 32)), label);
        }
    }

    [Fact]
    public void AvailableWhenTheCpuHasIfma()
    {
        if (!NativeX25519.IsAvailable)
            return;
        // The kernel is used exactly when the CPU can run it: the known-answer test at load must pass there.
        Assert.Equal(NativeX25519MultiBuffer.CpuSupportsKernel, NativeX25519MultiBuffer.IsAvailable);
        Assert.False(string.IsNullOrEmpty(NativeX25519MultiBuffer.Status));
    }

    [Fact]
    public void EveryVectorInEveryLaneBesideOtherVectors()
    {
        if (!KernelAvailable())
            return;
        var vectors = AllVectors();
        Assert.True(vectors.Count > 500, $"only {vectors.Count} vectors");
        Assert.True(vectors.Count(v => v.Refused) >= 30, "too few all-zero cases");
        int n = vectors.Count;
        var batch = new Vector[Lanes];
        // Vector i sits in lane `position`; the other lanes hold its neighbours in the list, so refused and
        // accepted cases, and canonical and non-canonical points, share batches in every arrangement.
        for (int position = 0; position < Lanes; position++)
            for (int i = 0; i < n; i++)
            {
                for (int lane = 0; lane < Lanes; lane++)
                    batch[lane] = vectors[((i - position + lane) % n + n) % n];
                CheckBatch(batch, $"position {position}");
            }
    }

    [Fact]
    public void PartialBatchesOfOneToSevenLanes()
    {
        if (!KernelAvailable())
            return;
        var vectors = AllVectors();
        for (int lanes = 1; lanes < Lanes; lanes++)
            for (int offset = 0; offset < lanes; offset++)
                for (int start = offset; start < vectors.Count; start += lanes)
                    CheckBatch(vectors.Skip(start).Take(lanes).ToList(), $"partial, offset {offset}");
    }

    [Fact]
    public void ZeroResultsAreRefusedPerLaneOnly()
    {
        if (!KernelAvailable())
            return;
        var vectors = AllVectors();
        var zero = vectors.Where(v => v.Refused).ToList();
        var good = vectors.Where(v => !v.Refused).ToList();
        // All lanes refused, one accepted lane among refused ones, one refused lane among accepted ones.
        CheckBatch(zero.Take(Lanes).ToList(), "all refused");
        for (int lane = 0; lane < Lanes; lane++)
        {
            var mixed = zero.Skip(lane).Take(Lanes).ToList();
            mixed[lane] = good[lane];
            CheckBatch(mixed, "one accepted");
            mixed = good.Skip(lane).Take(Lanes).ToList();
            mixed[lane] = zero[lane];
            CheckBatch(mixed, "one refused");
        }
    }

    [Fact]
    public void RandomInputsAgreeWithTheScalarKernelAndLibCrypto()
    {
        if (!KernelAvailable())
            return;
        bool libcrypto = LibCryptoKeyExchangeProvider.IsLibraryAvailable;
        int checkedPairs = 0;
        var scalarResult = new byte[32];
        var libcryptoResult = new byte[32];
        for (int round = 0; checkedPairs < 256; round++)
        {
            int lanes = 1 + round % Lanes;
            byte[] scalars = RandomNumberGenerator.GetBytes(32 * lanes);
            // Random 32-byte strings as u (any string is a u-coordinate, RFC 7748 §5: bit 255 and values >= p
            // included), every other round real public keys.
            byte[] points = RandomNumberGenerator.GetBytes(32 * lanes);
            if (round % 2 == 1)
                for (int i = 0; i < lanes; i++)
                    Assert.True(NativeX25519.TryPublicKey(points.AsSpan(32 * i, 32), RandomNumberGenerator.GetBytes(32)));
            var outputs = new byte[32 * lanes];
            int nonZero = NativeX25519MultiBuffer.Compute(outputs, scalars, points, lanes);
            for (int i = 0; i < lanes; i++, checkedPairs++)
            {
                var scalar = scalars.AsSpan(32 * i, 32);
                var point = points.AsSpan(32 * i, 32);
                bool ok = NativeX25519.TryScalarMultiply(scalarResult, scalar, point);
                Assert.Equal(ok ? 1 : 0, (nonZero >> i) & 1);
                Assert.Equal(Convert.ToHexString(scalarResult), Convert.ToHexString(outputs, 32 * i, 32));
                if (libcrypto && ok)
                {
                    using var key = LibCryptoKeyExchangeProvider.ImportPrivateKey(NamedGroup.X25519, scalar);
                    Assert.True(key.TryDeriveSharedSecret(point, libcryptoResult));
                    Assert.Equal(Convert.ToHexString(libcryptoResult), Convert.ToHexString(outputs, 32 * i, 32));
                }
            }
        }
        Assert.True(checkedPairs >= 200);
    }

    [Fact]
    public void MisuseThrowsInsteadOfComputing()
    {
        if (!KernelAvailable())
            return;
        var buffer = new byte[32 * Lanes];
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeX25519MultiBuffer.Compute(buffer, buffer, buffer, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeX25519MultiBuffer.Compute(buffer, buffer, buffer, Lanes + 1));
        Assert.Throws<ArgumentException>(() => NativeX25519MultiBuffer.Compute(buffer.AsSpan(0, 32 * 3 - 1), buffer, buffer, 3));
    }
}
