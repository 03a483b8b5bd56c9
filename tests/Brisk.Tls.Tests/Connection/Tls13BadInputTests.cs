using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// A TLS 1.3 server (RFC 8446) against a client that deviates at one step: each test asserts the exact alert
/// (plaintext before the server has keys, protected under the server's current keys after) and that the
/// connection ended without an unhandled exception.
/// </summary>
public sealed class Tls13BadInputTests
{
    private static readonly Lazy<X509Certificate2> EcdsaClientCertificate = new(() => CreateClientCertificate(rsa: false));
    private static readonly Lazy<X509Certificate2> RsaClientCertificate = new(() => CreateClientCertificate(rsa: true));

    private static TlsServerOptions Options(
        IReadOnlyList<NamedGroup>? groups = null,
        ClientAuthenticationMode clientAuthentication = ClientAuthenticationMode.None,
        IReadOnlyList<string>? applicationProtocols = null,
        ulong keyUpdateAfterRecords = 1UL << 24) => new()
    {
        EnableTls13 = true,
        Certificates = [TestCredentials.Ecdsa, TestCredentials.Rsa],
        KeyExchange = LibCryptoKeyExchangeProvider.Instance,
        RecordCrypto = SystemAeadProvider.Instance,
        Groups = groups ?? [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1],
        ClientAuthentication = clientAuthentication,
        ClientTrustAnchors = clientAuthentication == ClientAuthenticationMode.None
            ? []
            : [X509CertificateLoader.LoadCertificate(EcdsaClientCertificate.Value.RawData), X509CertificateLoader.LoadCertificate(RsaClientCertificate.Value.RawData)],
        ApplicationProtocols = applicationProtocols ?? [],
        KeyUpdateAfterRecords = keyUpdateAfterRecords,
    };

    /// <summary>Self-signed client certificates (their own trust anchors) with digitalSignature and clientAuth.</summary>
    private static X509Certificate2 CreateClientCertificate(bool rsa)
    {
        CertificateRequest request;
        if (rsa)
        {
            var key = RSA.Create(2048);
            request = new CertificateRequest("CN=tls13 client rsa, O=Brisk tests", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        else
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            request = new CertificateRequest("CN=tls13 client ecdsa, O=Brisk tests", key, HashAlgorithmName.SHA256);
        }
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static async Task EchoesAsync(InMemoryTlsServer server, Tls13TestClient client, int length = 1000)
    {
        server.StartEcho();
        var data = RandomNumberGenerator.GetBytes(length);
        await client.SendApplicationDataAsync(data);
        Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
    }

    private static async Task<(InMemoryTlsServer, Tls13TestClient)> EstablishedAsync(TlsServerOptions? options = null)
    {
        var server = InMemoryTlsServer.Start(options ?? Options());
        var client = new Tls13TestClient(server);
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        return (server, client);
    }

    // ---- ClientHello (RFC 8446 §4.1.2, §4.2.8, §9.2) ------------------------------------------------

    [Fact]
    public async Task Key_share_for_a_group_not_in_supported_groups_gets_illegal_parameter()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { Groups = [(ushort)NamedGroup.X25519], KeyShareGroups = [(ushort)NamedGroup.Secp256r1] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Two_key_shares_for_one_group_get_illegal_parameter()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { KeyShareGroups = [(ushort)NamedGroup.X25519, (ushort)NamedGroup.X25519] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Missing_signature_algorithms_gets_missing_extension()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { SignatureAlgorithms = null };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.MissingExtension);
    }

    [Fact]
    public async Task Missing_key_share_gets_missing_extension()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { OmitKeyShare = true };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.MissingExtension);
    }

    [Fact]
    public async Task Missing_supported_groups_gets_missing_extension()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { Groups = null };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.MissingExtension);
    }

    [Fact]
    public async Task Compression_other_than_null_only_gets_illegal_parameter()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { CompressionMethods = [1, 0] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task No_alpn_overlap_gets_no_application_protocol()
    {
        // RFC 7301 §3.2, RFC 8446 §4.2 (ALPN).
        await using var server = InMemoryTlsServer.Start(Options(applicationProtocols: ["h2"]));
        using var client = new Tls13TestClient(server) { AlpnProtocols = ["http/1.1"u8.ToArray()] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.NoApplicationProtocol);
    }

    // ---- HelloRetryRequest (RFC 8446 §4.1.4, §4.1.2) -------------------------------------------------

    /// <summary>The server accepts only P-384, the client's first share is X25519: a HelloRetryRequest for P-384.</summary>
    private static async Task<(InMemoryTlsServer, Tls13TestClient)> AfterHelloRetryRequestAsync(bool compatibilityMode = false)
    {
        var server = InMemoryTlsServer.Start(Options(groups: [NamedGroup.Secp384r1]));
        var client = new Tls13TestClient(server) { SessionId = compatibilityMode ? RandomNumberGenerator.GetBytes(32) : [] };
        await client.SendClientHelloAsync();
        Assert.False(await client.ReadServerHelloAsync());
        Assert.Equal((ushort)NamedGroup.Secp384r1, client.HelloRetryRequest!.HelloRetryRequestSelectedGroup);
        return (server, client);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Hello_retry_request_round_completes(bool compatibilityMode)
    {
        var (server, client) = await AfterHelloRetryRequestAsync(compatibilityMode);
        await using var _ = server;
        using var __ = client;
        await client.SendSecondClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        await client.SendClientFlightAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(NamedGroup.Secp384r1, server.Connection.Info.Group);
        // Appendix D.4: one change_cipher_spec in all, right after the HelloRetryRequest.
        Assert.Equal(compatibilityMode ? 1 : 0, client.ChangeCipherSpecsReceived);
        await EchoesAsync(server, client);
    }

    [Fact]
    public async Task Second_client_hello_with_other_cipher_suites_gets_illegal_parameter()
    {
        var (server, client) = await AfterHelloRetryRequestAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendSecondClientHelloAsync(suites: [client.HelloRetryRequest!.CipherSuite]);
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Second_client_hello_with_another_random_gets_illegal_parameter()
    {
        var (server, client) = await AfterHelloRetryRequestAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendSecondClientHelloAsync(random: RandomNumberGenerator.GetBytes(32));
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Second_client_hello_with_a_share_for_another_group_gets_illegal_parameter()
    {
        var (server, client) = await AfterHelloRetryRequestAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendSecondClientHelloAsync(shareGroup: (ushort)NamedGroup.Secp256r1);
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    // ---- Client authentication (RFC 8446 §4.4.2.4, §4.4.3) --------------------------------------------

    private static async Task<(InMemoryTlsServer, Tls13TestClient)> CertificateRequestedAsync(X509Certificate2? clientCertificate, bool earlyData = false)
    {
        var server = InMemoryTlsServer.Start(Options(clientAuthentication: ClientAuthenticationMode.Require));
        var client = new Tls13TestClient(server) { ClientCertificate = clientCertificate, EarlyData = earlyData };
        await client.SendClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        Assert.NotNull(client.CertificateRequest);
        return (server, client);
    }

    [Fact]
    public async Task Client_certificate_with_a_valid_certificate_verify_completes()
    {
        var (server, client) = await CertificateRequestedAsync(EcdsaClientCertificate.Value);
        await using var _ = server;
        using var __ = client;
        await client.SendClientFlightAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.NotNull(server.Connection.Info.ClientIdentity);
        await EchoesAsync(server, client);
    }

    [Fact]
    public async Task Client_certificate_verify_with_rsa_pkcs1_gets_illegal_parameter()
    {
        var (server, client) = await CertificateRequestedAsync(RsaClientCertificate.Value);
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateCertificate());
        await client.SendHandshakeAsync(client.CreateCertificateVerify(SignatureScheme.RsaPkcs1Sha256));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Bad_client_certificate_verify_signature_gets_decrypt_error()
    {
        var (server, client) = await CertificateRequestedAsync(RsaClientCertificate.Value);
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateCertificate());
        await client.SendHandshakeAsync(client.CreateCertificateVerify(SignatureScheme.RsaPssRsaeSha256, corrupt: true));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.DecryptError);
    }

    [Fact]
    public async Task Empty_client_certificate_when_required_gets_certificate_required()
    {
        var (server, client) = await CertificateRequestedAsync(clientCertificate: null);
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateCertificate());
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.CertificateRequired);
    }

    // ---- Finished, records, change_cipher_spec (RFC 8446 §4.4.4, §5.2, §5, Appendix D.4) ---------------

    private static async Task<(InMemoryTlsServer, Tls13TestClient)> AfterServerFlightAsync()
    {
        var server = InMemoryTlsServer.Start(Options());
        var client = new Tls13TestClient(server) { SessionId = RandomNumberGenerator.GetBytes(32) };
        await client.SendClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        return (server, client);
    }

    [Fact]
    public async Task Bad_client_finished_gets_decrypt_error()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateFinished(corrupt: true));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.DecryptError);
    }

    [Fact]
    public async Task Tampered_handshake_record_gets_bad_record_mac()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        var record = client.BuildRecord(ContentType.Handshake, client.CreateFinished());
        record[RecordFraming.HeaderLength + 3] ^= 0x40;
        await client.SendRawAsync(record);
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Tampered_application_record_gets_bad_record_mac()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        var record = client.BuildRecord(ContentType.ApplicationData, "hello"u8);
        record[^1] ^= 1; // the tag
        await client.SendRawAsync(record);
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Plaintext_change_cipher_spec_before_client_finished_is_ignored()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRawAsync(Tls13TestClient.PlaintextRecord(ContentType.ChangeCipherSpec, [1], ProtocolVersion.Tls12));
        await client.SendClientFlightAsync();
        Assert.True(await server.HandshakeResultAsync());
        await EchoesAsync(server, client);
    }

    [Fact]
    public async Task Change_cipher_spec_after_the_handshake_gets_unexpected_message()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRawAsync(Tls13TestClient.PlaintextRecord(ContentType.ChangeCipherSpec, [1], ProtocolVersion.Tls12));
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    // ---- KeyUpdate (RFC 8446 §4.6.3, §5.5) -------------------------------------------------------------

    [Fact]
    public async Task Key_update_requested_gets_a_server_key_update_and_data_flows_under_new_keys()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendKeyUpdateAsync(KeyUpdateRequest.UpdateRequested);
        var data = RandomNumberGenerator.GetBytes(500);
        await client.SendApplicationDataAsync(data);
        Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
        Assert.Equal(1, client.ServerKeyUpdatesReceived);
        Assert.Equal(1, client.ApplicationSecrets!.ClientGeneration);
        Assert.Equal(1, client.ApplicationSecrets.ServerGeneration);

        // Once more without a request: only the client's keys move.
        await client.SendKeyUpdateAsync(KeyUpdateRequest.UpdateNotRequested);
        await client.SendApplicationDataAsync(data);
        Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
        Assert.Equal(1, client.ServerKeyUpdatesReceived);
        Assert.Equal(2, client.ApplicationSecrets.ClientGeneration);
    }

    [Fact]
    public async Task Key_update_flood_gets_unexpected_message()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        for (int i = 0; i < 33; i++)
            await client.SendKeyUpdateAsync(KeyUpdateRequest.UpdateNotRequested);
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Key_updates_separated_by_data_are_not_a_flood()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        for (int i = 0; i < 40; i++)
        {
            await client.SendKeyUpdateAsync(KeyUpdateRequest.UpdateNotRequested);
            await client.SendApplicationDataAsync([(byte)i]);
            Assert.Equal(new[] { (byte)i }, await client.ReadApplicationDataAsync(1));
        }
    }

    [Fact]
    public async Task Key_update_followed_by_more_in_the_same_record_gets_unexpected_message()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        var keyUpdate = client.CreateKeyUpdate(KeyUpdateRequest.UpdateNotRequested);
        await client.SendHandshakeAsync([.. keyUpdate, .. keyUpdate]);
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Server_updates_its_keys_by_itself_at_the_record_limit()
    {
        const int limit = 4, records = 21;
        var (server, client) = await EstablishedAsync(Options(keyUpdateAfterRecords: limit));
        await using var _ = server;
        using var __ = client;
        for (int i = 0; i < records; i++)
        {
            var data = RandomNumberGenerator.GetBytes(100 + i);
            await client.SendApplicationDataAsync(data);
            Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
        }
        // Each server key carries `limit` records (one echo record per request here), then a KeyUpdate.
        Assert.Equal((records - 1) / limit, client.ServerKeyUpdatesReceived);
        Assert.Equal(client.ServerKeyUpdatesReceived, client.ApplicationSecrets!.ServerGeneration);
    }

    // ---- Declined 0-RTT (RFC 8446 §4.2.10) --------------------------------------------------------------

    private static byte[] JunkEarlyDataRecord(int length)
    {
        var record = new byte[RecordFraming.HeaderLength + length];
        RecordFraming.WriteHeader(record, ContentType.ApplicationData, ProtocolVersion.Tls12, length);
        RandomNumberGenerator.Fill(record.AsSpan(RecordFraming.HeaderLength));
        return record;
    }

    [Fact]
    public async Task Early_data_records_are_skipped_and_the_handshake_completes()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { EarlyData = true };
        await client.SendClientHelloAsync();
        for (int i = 0; i < 3; i++)
            await client.SendRawAsync(JunkEarlyDataRecord(200 + i * 100));
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        Assert.False(client.EncryptedExtensions!.EarlyData);
        await client.SendClientFlightAsync();
        Assert.True(await server.HandshakeResultAsync());
        await EchoesAsync(server, client);
    }

    [Fact]
    public async Task Early_data_after_hello_retry_request_is_skipped_and_the_handshake_completes()
    {
        await using var server = InMemoryTlsServer.Start(Options(groups: [NamedGroup.Secp384r1]));
        using var client = new Tls13TestClient(server) { EarlyData = true };
        await client.SendClientHelloAsync();
        for (int i = 0; i < 3; i++)
            await client.SendRawAsync(JunkEarlyDataRecord(300));
        Assert.False(await client.ReadServerHelloAsync());
        await client.SendSecondClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        await client.SendClientFlightAsync();
        Assert.True(await server.HandshakeResultAsync());
        await EchoesAsync(server, client);
    }

    [Fact]
    public async Task More_than_128_KiB_of_early_data_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { EarlyData = true };
        await client.SendClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        for (int sent = 0; sent <= 128 * 1024; sent += 16000)
            await client.SendRawAsync(JunkEarlyDataRecord(16000));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Undecryptable_records_without_early_data_offered_get_bad_record_mac()
    {
        // Skipping is only for a client that offered early_data (RFC 8446 §4.2.10).
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server);
        await client.SendClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        await client.SendRawAsync(JunkEarlyDataRecord(100));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Skipping_ends_at_the_first_record_under_the_handshake_keys()
    {
        // Once a record decrypts under the client handshake keys, a failure is a real bad_record_mac.
        var (server, client) = await CertificateRequestedAsync(EcdsaClientCertificate.Value, earlyData: true);
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateCertificate());
        await client.SendRawAsync(JunkEarlyDataRecord(100));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Client_certificate_with_a_request_context_gets_illegal_parameter()
    {
        var (server, client) = await CertificateRequestedAsync(EcdsaClientCertificate.Value);
        await using var _ = server;
        using var __ = client;
        using var writer = new Brisk.Tls.Codec.TlsWriter();
        new CertificateTls13 { CertificateRequestContext = [7], CertificateList = [new CertificateEntry(EcdsaClientCertificate.Value.RawData)] }.Write(writer);
        await client.SendHandshakeAsync(writer.ToArray());
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Finished_without_the_requested_certificate_gets_unexpected_message()
    {
        var (server, client) = await CertificateRequestedAsync(EcdsaClientCertificate.Value);
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateFinished());
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Untrusted_client_certificate_gets_unknown_ca()
    {
        using var stranger = CreateClientCertificate(rsa: false);
        var (server, client) = await CertificateRequestedAsync(stranger);
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateCertificate());
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnknownCa);
    }

    [Fact]
    public async Task Requested_key_update_flood_is_answered_then_cut_off_under_the_latest_server_keys()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        for (int i = 0; i < 33; i++)
            await client.SendKeyUpdateAsync(KeyUpdateRequest.UpdateRequested);
        for (int i = 0; i < 32; i++)
            await client.ReadServerKeyUpdateAsync();
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Full_size_records_are_echoed()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        var data = RandomNumberGenerator.GetBytes(5 * RecordFraming.MaxPlaintextLength + 123);
        for (int offset = 0; offset < data.Length; offset += RecordFraming.MaxPlaintextLength)
            await client.SendApplicationDataAsync(data.AsSpan(offset, Math.Min(RecordFraming.MaxPlaintextLength, data.Length - offset)));
        Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
    }
}
