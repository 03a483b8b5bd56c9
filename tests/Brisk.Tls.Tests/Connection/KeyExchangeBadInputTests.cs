using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Connection;

/// <summary>Bad ClientKeyExchange contents: invalid ECDH points, and RSA pre-master secrets that must not be an oracle.</summary>
public sealed class KeyExchangeBadInputTests
{
    public static TheoryData<ushort, string> InvalidPoints() => new()
    {
        // X25519 low-order point: the shared secret is all zeros (RFC 7748 §6.1, RFC 8422 §5.11).
        { 0x001D, "0000000000000000000000000000000000000000000000000000000000000000" },
        { 0x001D, "0100000000000000000000000000000000000000000000000000000000000000" },
        // Wrong length for X25519.
        { 0x001D, "09000000000000000000000000000000000000000000000000000000000000" },
        // P-256: not on the curve (x = 1, y = 1), compressed form (RFC 8422 §5.1.2 allows only uncompressed
        // when the client listed only it), the point at infinity, and a wrong length.
        { 0x0017, "04" + "0000000000000000000000000000000000000000000000000000000000000001" + "0000000000000000000000000000000000000000000000000000000000000001" },
        { 0x0017, "02" + "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" },
        { 0x0017, "00" },
        { 0x0017, "04" + "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" },
    };

    [Theory]
    [MemberData(nameof(InvalidPoints))]
    public async Task Invalid_ecdh_point_gets_illegal_parameter(ushort group, string pointHex)
    {
        await using var server = InMemoryTlsServer.Start();
        // ECDHE_RSA: an ECDSA P-256 certificate is only usable when the client lists secp256r1 (RFC 8422 §5.1).
        using var client = new Tls12TestClient(server) { Groups = [group], Suites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] };
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        Assert.Equal(group, client.ServerKeyExchange!.NamedGroup);
        await client.SendHandshakeAsync(client.CreateClientKeyExchange(ecdhPublicKeyOverride: Convert.FromHexString(pointHex)));
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Empty_ecdh_point_gets_decode_error()
    {
        // ClientECDiffieHellmanPublic.ecdh_Yc is opaque<1..2^8-1> (RFC 8422 §5.7): empty is malformed.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Suites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] };
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendRecordAsync(ContentType.Handshake, [(byte)HandshakeType.ClientKeyExchange, 0, 0, 1, 0]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.DecodeError);
    }

    /// <summary>
    /// Ways an RSA EncryptedPreMasterSecret can be wrong, each built by the test and encrypted with the raw
    /// RSA public operation. "valid-but-different" is the control: a perfectly encoded block holding a
    /// pre-master secret other than the one the client derives its keys from, which the server cannot
    /// tell from a correct one. RFC 5246 §7.4.7.1 requires every other case to look exactly like it.
    /// </summary>
    public static TheoryData<string> BadPremasters() => new()
    {
        "valid-but-different", "block-type-1", "no-zero-separator", "zero-in-padding", "short-padding",
        "wrong-version", "message-47-bytes", "message-49-bytes", "ciphertext-one-byte-short",
        "ciphertext-one-byte-long", "ciphertext-equal-to-modulus", "ciphertext-all-ff", "empty",
    };

    [Theory]
    [MemberData(nameof(BadPremasters))]
    public async Task Bad_rsa_premaster_fails_only_at_finished_with_the_same_alert(string kind)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Suites = [CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256] };
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();

        var premaster = client.CreateRsaPremaster();
        await client.SendHandshakeAsync(client.CreateRsaClientKeyExchange(EncryptBadPremaster(client, kind, premaster), premaster));
        // The server must not react to the ClientKeyExchange: no alert before the client's Finished.
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync(client.CreateFinished());

        // The server's keys came from a random pre-master, so the client's encrypted Finished cannot be
        // opened: bad_record_mac, in plaintext (the server never turned its write keys on). The same
        // record, at the same step, for every kind, including the indistinguishable control.
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Correct_rsa_premaster_built_by_hand_completes_the_handshake()
    {
        // Proves the hand-made encoding of the bad-premaster test is right when nothing is wrong.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Suites = [CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384] };
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        var premaster = client.CreateRsaPremaster();
        var block = Pkcs1Block(client.RsaModulusLength, premaster);
        await client.SendHandshakeAsync(client.CreateRsaClientKeyExchange(client.RsaEncryptRaw(block), premaster));
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync(client.CreateFinished());
        await client.ReadServerFinishedAsync();
        Assert.True(await server.HandshakeResultAsync());
    }

    private static byte[] EncryptBadPremaster(Tls12TestClient client, string kind, byte[] premaster)
    {
        int k = client.RsaModulusLength;
        switch (kind)
        {
            case "valid-but-different":
                return client.RsaEncryptRaw(Pkcs1Block(k, client.CreateRsaPremaster()));
            case "block-type-1":
            {
                var block = Pkcs1Block(k, premaster);
                block[1] = 0x01;
                return client.RsaEncryptRaw(block);
            }
            case "no-zero-separator":
            {
                var block = Pkcs1Block(k, premaster);
                block[k - 49] = 0x01;
                return client.RsaEncryptRaw(block);
            }
            case "zero-in-padding":
            {
                var block = Pkcs1Block(k, premaster);
                block[5] = 0x00;
                return client.RsaEncryptRaw(block);
            }
            case "short-padding":
            {
                // Separator after 7 padding bytes (RFC 8017 requires at least 8): a long message follows.
                var block = Pkcs1Block(k, premaster);
                block[9] = 0x00;
                return client.RsaEncryptRaw(block);
            }
            case "wrong-version":
            {
                var other = (byte[])premaster.Clone();
                other[1] = 0x01; // TLS 1.0 in a TLS 1.2 ClientHello's pre-master (version rollback)
                return client.RsaEncryptRaw(Pkcs1Block(k, other));
            }
            case "message-47-bytes":
                return client.RsaEncryptRaw(Pkcs1Block(k, premaster[..47]));
            case "message-49-bytes":
                return client.RsaEncryptRaw(Pkcs1Block(k, [.. premaster, 0x42]));
            case "ciphertext-one-byte-short":
                return client.RsaEncryptRaw(Pkcs1Block(k, premaster))[1..];
            case "ciphertext-one-byte-long":
                return [0, .. client.RsaEncryptRaw(Pkcs1Block(k, premaster))];
            case "ciphertext-equal-to-modulus":
            {
                using var rsa = client.ServerCertificate!.GetRSAPublicKey()!;
                return rsa.ExportParameters(false).Modulus!;
            }
            case "ciphertext-all-ff":
                return Enumerable.Repeat((byte)0xFF, k).ToArray();
            case "empty":
                return [];
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>RFC 8017 §7.2.1 EME-PKCS1-v1_5: 00 02 PS(non-zero random) 00 M, k bytes.</summary>
    private static byte[] Pkcs1Block(int k, ReadOnlySpan<byte> message)
    {
        var block = new byte[k];
        block[1] = 0x02;
        int separator = k - message.Length - 1;
        for (int i = 2; i < separator; i++)
        {
            byte b;
            do { b = (byte)RandomNumberGenerator.GetInt32(256); } while (b == 0);
            block[i] = b;
        }
        message.CopyTo(block.AsSpan(separator + 1));
        return block;
    }
}
