using System.Security.Cryptography;
using System.Text;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Protocol;
using static Brisk.Tls.Tests.KeySchedule.Tls13Rfc8448Vectors;

namespace Brisk.Tls.Tests.KeySchedule;

/// <summary>
/// HKDF-Expand-Label and the SHA-384 path: the HkdfLabel bytes of RFC 8448, an independent HMAC construction of
/// HKDF-Expand (RFC 5869 §2.3 with .NET's HMAC), values computed by OpenSSL 3.0's TLS13-KDF, and KeyUpdate chains.
/// </summary>
public class Tls13KeyDerivationTests
{
    private static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Fact]
    public void HkdfLabel_encodes_key_and_iv_info_as_in_rfc8448()
    {
        // RFC 8448 §3: key info (13 octets) 00 10 09 74 6c 73 31 33 20 6b 65 79 00; iv info 00 0c 08 … 69 76 00.
        Span<byte> info = stackalloc byte[Tls13KeyDerivation.MaxHkdfLabelLength];
        int length = Tls13KeyDerivation.EncodeHkdfLabel(16, Tls13KeyDerivation.KeyLabel, ReadOnlySpan<byte>.Empty, info);
        Assert.Equal("001009746c733133206b657900", ToHex(info[..length]));
        length = Tls13KeyDerivation.EncodeHkdfLabel(12, Tls13KeyDerivation.IvLabel, ReadOnlySpan<byte>.Empty, info);
        Assert.Equal("000c08746c73313320697600", ToHex(info[..length]));
    }

    [Fact]
    public void Rejects_labels_and_contexts_beyond_their_vector_bounds()
    {
        var buffer = new byte[Tls13KeyDerivation.MaxHkdfLabelLength];
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.EncodeHkdfLabel(32, new byte[250], ReadOnlySpan<byte>.Empty, buffer));
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.EncodeHkdfLabel(32, ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty, buffer));
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.EncodeHkdfLabel(32, "key"u8, new byte[256], buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tls13KeyDerivation.EncodeHkdfLabel(70000, "key"u8, ReadOnlySpan<byte>.Empty, buffer));
        // The largest legal label (249 + "tls13 ") and context (255) fit the maximum buffer.
        Assert.Equal(Tls13KeyDerivation.MaxHkdfLabelLength, Tls13KeyDerivation.EncodeHkdfLabel(32, new byte[249], new byte[255], buffer));
    }

    [Fact]
    public void DeriveSecret_rejects_a_transcript_hash_of_the_wrong_length()
    {
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.DeriveSecret(HashKind.Sha384, new byte[48], "c hs traffic"u8, new byte[32], new byte[48]));
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.DeriveSecret(HashKind.Sha256, new byte[32], "c hs traffic"u8, new byte[32], new byte[48]));
    }

    [Theory]
    [InlineData(HashKind.Sha256, 32, "c hs traffic", 32)]
    [InlineData(HashKind.Sha384, 48, "c hs traffic", 48)]
    [InlineData(HashKind.Sha384, 48, "key", 0)]
    [InlineData(HashKind.Sha384, 48, "exporter", 48)]
    [InlineData(HashKind.Sha384, 100, "exporter", 48)]
    [InlineData(HashKind.Sha256, 255, "traffic upd", 0)]
    public void HkdfExpandLabel_matches_an_independent_hmac_construction(HashKind hash, int length, string label, int contextLength)
    {
        var secret = Enumerable.Range(0x40, hash.HashLength()).Select(i => (byte)i).ToArray();
        var context = Enumerable.Range(0x90, contextLength).Select(i => (byte)i).ToArray();
        var actual = new byte[length];
        Tls13KeyDerivation.HkdfExpandLabel(hash, secret, Encoding.ASCII.GetBytes(label), context, actual);
        Assert.Equal(ToHex(ReferenceExpandLabel(hash, secret, label, context, length)), ToHex(actual));
    }

    /// <summary>HKDF-Expand (RFC 5869 §2.3) over .NET's HMAC, with the HkdfLabel (RFC 8446 §7.1) built by hand.</summary>
    private static byte[] ReferenceExpandLabel(HashKind hash, byte[] secret, string label, byte[] context, int length)
    {
        var fullLabel = Encoding.ASCII.GetBytes("tls13 " + label);
        byte[] info = [(byte)(length >> 8), (byte)length, (byte)fullLabel.Length, .. fullLabel, (byte)context.Length, .. context];
        using var hmac = hash == HashKind.Sha384 ? (HMAC)new HMACSHA384(secret) : new HMACSHA256(secret);
        var output = new List<byte>();
        byte[] previous = [];
        for (byte counter = 1; output.Count < length; counter++)
        {
            previous = hmac.ComputeHash([.. previous, .. info, counter]);
            output.AddRange(previous);
        }
        return output.Take(length).ToArray();
    }

    // SHA-384 chain computed with OpenSSL 3.0.22's TLS13-KDF (its own HkdfLabel and "derived" handling), e.g.
    //   openssl kdf -keylen 48 -kdfopt digest:SHA384 -kdfopt mode:EXPAND_ONLY -kdfopt hexkey:<secret>
    //     -kdfopt hexprefix:746c73313320 -kdfopt hexlabel:<label> -kdfopt hexdata:<transcript hash> TLS13-KDF
    // and mode:EXTRACT_ONLY with hexsalt:<previous secret> -kdfopt hexlabel:<"derived"> for the extract steps.
    // PSK = 40 41 … 6f, (EC)DHE = a0 a1 … cf, transcript hashes = SHA-384 of the ASCII strings below.
    private const string Sha384Psk = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f";
    private const string Sha384Shared = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
    private const string OpenSslEarly = "15268aca644210b6c70373f1c971c0d984e0f690a87ea763fef0c191cb7640e8d2b25363d5e4ac9b2462b6d44df1bb29";
    private const string OpenSslResBinderKey = "7bbf9163cd19d4317f4f6ed2dbb04e966a5942d4321229d613f8bf3a1704f72ce236f79fed619e36a60cdc6cea9b93ad";
    private const string OpenSslHandshake = "5d709f3160eba3d2b34c8a28047deb97db02b4f5173c7413daf7c74af42fbc5d6f244f53d80d9c8f8bd2dff97def503d";
    private const string OpenSslClientHs = "2130a53d464974605622729a687f886a342dc6f07dbaf04acadfd3d86c614f804856948a2aaa79d665540df12f24f26f";
    private const string OpenSslServerHs = "6022bb60df3bb47b1825944b58f589823b8eee24dc779b6c8008437bbec30ee4f3d7c612f57984472244e2d7237e7a9b";
    private const string OpenSslServerHsKeyAes256 = "5ece6300fa962ec8e6c529882a5ef36e07385636565e8ebc04818401f95b4f1d";
    private const string OpenSslServerHsIv = "668f0dc192263bd5e028bef5";
    private const string OpenSslMaster = "630f8e64f26858c0b39f03538c9a5eef0d839923e914670a8a7442842ed41136ff0bb8b1678dc9ef39fc69a02a5a4f58";
    private const string OpenSslClientAp = "a8d34d54588fbf8596e0f8e4bd993be6f0ae920de2e3590c6c4e33f2a1d84fe8fa0dca945a1c011fee520cc2b1679886";
    private const string OpenSslServerAp = "841ee6f21634efc70938ae78de709073565d4ec27c5b223bbe85c0470d96530ad901119f3cb2eed009c581deca19783c";
    private const string OpenSslExporterMaster = "d1379c9ea984c1a6af78dc668dccae041fd6c996fc9694a686bed822a375b1374fe81f43cc01dd31fc677579ad1d27ae";
    private const string OpenSslResumptionMaster = "3953bae9440d4058078f11450090ffb8abb883fad55c91b8f71f4c7b27aa33cb8d0924d2c39e3c02238b3d108b67d026";
    private const string OpenSslServerAp1 = "b7e07ea440f3c93563866d3ad7a55b0cd12ce54660ae6809b2b63de884c3b7c63df06af033b58e4a671909e617571b9e";

    [Fact]
    public void Sha384_schedule_matches_openssl_tls13_kdf()
    {
        var throughServerHello = SHA384.HashData("ClientHello..ServerHello"u8);
        var throughServerFinished = SHA384.HashData("ClientHello..server Finished"u8);
        var throughClientFinished = SHA384.HashData("ClientHello..client Finished"u8);

        var early = new byte[48];
        Tls13KeyDerivation.EarlySecret(HashKind.Sha384, Hex(Sha384Psk), early);
        Assert.Equal(OpenSslEarly, ToHex(early));
        var handshakeSecret = new byte[48];
        Tls13KeyDerivation.HandshakeSecret(HashKind.Sha384, early, Hex(Sha384Shared), handshakeSecret);
        Assert.Equal(OpenSslHandshake, ToHex(handshakeSecret));
        var master = new byte[48];
        Tls13KeyDerivation.MasterSecret(HashKind.Sha384, handshakeSecret, master);
        Assert.Equal(OpenSslMaster, ToHex(master));

        using var earlyPhase = Tls13EarlySecrets.FromPsk(HashKind.Sha384, Hex(Sha384Psk), Tls13PskKind.Resumption);
        var binderKey = new byte[48];
        earlyPhase.BinderKey(binderKey);
        Assert.Equal(OpenSslResBinderKey, ToHex(binderKey));

        using var handshake = earlyPhase.ToHandshake(Hex(Sha384Shared), throughServerHello);
        Assert.Equal(OpenSslClientHs, ToHex(handshake.ClientTrafficSecret));
        Assert.Equal(OpenSslServerHs, ToHex(handshake.ServerTrafficSecret));
        Span<byte> key = stackalloc byte[32];
        Span<byte> iv = stackalloc byte[12];
        Tls13KeyDerivation.TrafficKeys(HashKind.Sha384, AeadAlgorithm.Aes256Gcm, handshake.ServerTrafficSecret, key, iv);
        Assert.Equal(OpenSslServerHsKeyAes256, ToHex(key));
        Assert.Equal(OpenSslServerHsIv, ToHex(iv));

        using var application = handshake.ToApplication(throughServerFinished);
        Assert.Equal(OpenSslClientAp, ToHex(application.ClientTrafficSecret));
        Assert.Equal(OpenSslServerAp, ToHex(application.ServerTrafficSecret));
        Assert.Equal(OpenSslExporterMaster, ToHex(application.ExporterMasterSecret));

        var clientFinished = new byte[48];
        Tls13KeyDerivation.ComputeFinishedVerifyData(HashKind.Sha384, Hex(OpenSslClientHs), throughServerFinished, clientFinished);
        Assert.True(application.VerifyClientFinished(throughServerFinished, clientFinished));
        var resumptionMaster = new byte[48];
        application.ResumptionMasterSecret(throughClientFinished, resumptionMaster);
        Assert.Equal(OpenSslResumptionMaster, ToHex(resumptionMaster));

        application.NextServerSecret();
        Assert.Equal(1, application.ServerGeneration);
        Assert.Equal(OpenSslServerAp1, ToHex(application.ServerTrafficSecret));
        Assert.Equal(OpenSslClientAp, ToHex(application.ClientTrafficSecret));
    }

    [Theory]
    [InlineData(HashKind.Sha256)]
    [InlineData(HashKind.Sha384)]
    public void Key_update_chain_matches_repeated_traffic_upd(HashKind hash)
    {
        // RFC 8446 §7.2: each KeyUpdate applies HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
        using var early = Tls13EarlySecrets.WithoutPsk(hash);
        using var handshake = early.ToHandshake(new byte[hash.HashLength()].Select((_, i) => (byte)(i + 1)).ToArray(), new byte[hash.HashLength()]);
        using var application = handshake.ToApplication(new byte[hash.HashLength()]);
        var client = application.ClientTrafficSecret.ToArray();
        var server = application.ServerTrafficSecret.ToArray();
        var seen = new HashSet<string> { ToHex(client), ToHex(server) };
        for (int generation = 1; generation <= 5; generation++)
        {
            Tls13KeyDerivation.NextTrafficSecret(hash, client, client);
            application.NextClientSecret();
            Assert.Equal(ToHex(client), ToHex(application.ClientTrafficSecret));
            Assert.Equal(ToHex(ReferenceExpandLabel(hash, server, "traffic upd", [], hash.HashLength())),
                ToHex(NextServer(application)));
            server = application.ServerTrafficSecret.ToArray();
            Assert.True(seen.Add(ToHex(client)));
            Assert.True(seen.Add(ToHex(server)));
            Assert.Equal(generation, application.ClientGeneration);
            Assert.Equal(generation, application.ServerGeneration);
        }
    }

    private static byte[] NextServer(Tls13ApplicationSecrets application)
    {
        application.NextServerSecret();
        return application.ServerTrafficSecret.ToArray();
    }

    [Fact]
    public void Record_protection_follows_a_key_update()
    {
        // A record sealed under server_application_traffic_secret_1 opens with protection built independently from
        // the same secret (the static helper) and not with generation 0's.
        using var early = Tls13EarlySecrets.WithoutPsk(HashKind.Sha256);
        using var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        using var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        using var generation0Reader = application.CreateServerProtection(SystemAeadProvider.Instance, AeadAlgorithm.ChaCha20Poly1305);
        application.NextServerSecret();
        using var writer = application.CreateServerProtection(ManagedAeadProvider.Default, AeadAlgorithm.ChaCha20Poly1305);

        var next = new byte[32];
        Tls13KeyDerivation.NextTrafficSecret(HashKind.Sha256, Hex(S3ServerApplicationTrafficSecret), next);
        using var reader = Tls13KeyDerivation.CreateRecordProtection(HashKind.Sha256, next, SystemAeadProvider.Instance, AeadAlgorithm.ChaCha20Poly1305);

        var record = new byte[5 + 5 + writer.Overhead];
        int written = writer.Seal(ContentType.ApplicationData, "hello"u8, record);
        Assert.Equal(record.Length, written);
        Assert.Equal("hello"u8.ToArray(), Tls13KeyScheduleTests.Open(reader, record, ContentType.ApplicationData));

        var header = new Brisk.Tls.Records.RecordHeader(ContentType.ApplicationData, 0x0303, record.Length - 5);
        Assert.False(generation0Reader.TryOpen(header, record.AsSpan(5), new byte[record.Length], out _, out _));
    }

    [Fact]
    public void Exporter_matches_the_rfc8446_expression()
    {
        // RFC 8446 §7.5: HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length).
        var secret = Hex(S3ExporterMasterSecret);
        var derived = ReferenceExpandLabel(HashKind.Sha256, secret, "EXPORTER-Test", SHA256.HashData([]), 32);
        var expected = ReferenceExpandLabel(HashKind.Sha256, derived, "exporter", SHA256.HashData("context"u8), 40);
        var actual = new byte[40];
        Tls13KeyDerivation.ExportKeyingMaterial(HashKind.Sha256, secret, "EXPORTER-Test"u8, "context"u8, actual);
        Assert.Equal(ToHex(expected), ToHex(actual));

        using var early = Tls13EarlySecrets.WithoutPsk(HashKind.Sha256);
        using var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        using var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        var viaPhase = new byte[40];
        application.ExportKeyingMaterial("EXPORTER-Test"u8, "context"u8, viaPhase);
        Assert.Equal(actual, viaPhase);
    }

    [Fact]
    public void Empty_hashes_are_the_digests_of_nothing()
    {
        Assert.Equal(SHA256.HashData([]), Tls13KeyDerivation.EmptyHash(HashKind.Sha256).ToArray());
        Assert.Equal(SHA384.HashData([]), Tls13KeyDerivation.EmptyHash(HashKind.Sha384).ToArray());
        Assert.Equal(HashKind.Sha384, Tls13KeyDerivation.ToHashKind(HashAlgorithmName.SHA384));
        Assert.Equal(HashKind.Sha256, Tls13KeyDerivation.ToHashKind(HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Traffic_keys_reject_wrong_buffer_lengths()
    {
        var secret = new byte[32];
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.TrafficKeys(HashKind.Sha256, AeadAlgorithm.Aes256Gcm, secret, new byte[16], new byte[12]));
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.TrafficKeys(HashKind.Sha256, AeadAlgorithm.Aes128Gcm, secret, new byte[16], new byte[8]));
        Assert.Throws<ArgumentException>(() => Tls13KeyDerivation.TrafficKeys(HashKind.Sha384, AeadAlgorithm.Aes128Gcm, secret, new byte[16], new byte[12]));
    }
}

/// <summary>The derivation functions allocate nothing (spans and stackalloc only) when HMAC runs on libcrypto.</summary>
public class Tls13KeyDerivationAllocationTests
{
    [Theory]
    [InlineData(HashKind.Sha256)]
    [InlineData(HashKind.Sha384)]
    public void Derivation_functions_do_not_allocate(HashKind hash)
    {
        using (var probe = new TranscriptHash(hash))
        {
            if (!probe.IsLibCrypto)
                return; // The .NET fallback (no libcrypto.so.3) allocates inside IncrementalHash; nothing to pin here.
        }
        int length = hash.HashLength();
        var secret = new byte[length];
        var transcript = new byte[length];
        var output = new byte[length];
        var key = new byte[32];
        var iv = new byte[12];
        void RunAll()
        {
            Tls13KeyDerivation.EarlySecret(hash, ReadOnlySpan<byte>.Empty, output);
            Tls13KeyDerivation.HandshakeSecret(hash, secret, secret, output);
            Tls13KeyDerivation.MasterSecret(hash, secret, output);
            Tls13KeyDerivation.DeriveSecret(hash, secret, Tls13KeyDerivation.ClientHandshakeTrafficLabel, transcript, output);
            Tls13KeyDerivation.TrafficKeys(hash, AeadAlgorithm.Aes256Gcm, secret, key, iv);
            Tls13KeyDerivation.ComputeFinishedVerifyData(hash, secret, transcript, output);
            Tls13KeyDerivation.VerifyFinished(hash, secret, transcript, output);
            Tls13KeyDerivation.NextTrafficSecret(hash, secret, output);
            Tls13KeyDerivation.ResumptionPsk(hash, secret, [0, 1], output);
            Tls13KeyDerivation.ExportKeyingMaterial(hash, secret, "EXPORTER-x"u8, "c"u8, key);
        }
        RunAll(); // JIT and static initialisation first.
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

/// <summary>Every TLS 1.3 suite of the table gets working record protection from the key schedule.</summary>
public class Tls13RecordProtectionTests
{
    [Fact]
    public void Each_tls13_suite_seals_under_the_schedule_and_opens_under_independently_built_keys()
    {
        foreach (var suite in CipherSuites.Tls13Default)
        {
            var hash = Tls13KeyDerivation.ToHashKind(suite.Hash);
            using var early = Tls13EarlySecrets.WithoutPsk(hash);
            using var handshake = early.ToHandshake(Enumerable.Repeat((byte)7, 32).ToArray(), new byte[hash.HashLength()]);
            using var writer = handshake.CreateServerProtection(ManagedAeadProvider.Default, suite.Aead);

            var key = new byte[suite.KeyLength];
            var iv = new byte[12];
            Tls13KeyDerivation.TrafficKeys(hash, suite.Aead, handshake.ServerTrafficSecret, key, iv);
            using var reader = new Brisk.Tls.Records.RecordProtection(SystemAeadProvider.Instance.Create(suite.Aead, key), iv, Brisk.Tls.Records.RecordNonceScheme.Tls13);

            for (int i = 0; i < 3; i++)
            {
                var record = new byte[5 + 9 + writer.Overhead];
                writer.Seal(ContentType.Handshake, "finished!"u8, record);
                Assert.Equal("finished!"u8.ToArray(), Tls13KeyScheduleTests.Open(reader, record, ContentType.Handshake));
            }
        }
    }
}
