using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Codec;
using Brisk.Tls.Credentials;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>One record as the client received it: the raw bytes on the wire and the (decrypted) content.</summary>
internal sealed record ReceivedRecord(byte[] Raw, ContentType Type, byte[] Content);

/// <summary>The server sent an alert where the client expected a handshake message.</summary>
internal sealed class ServerAlertException(byte[] alert) : Exception($"server sent alert {string.Join(' ', alert.Select(b => b.ToString("x2")))}")
{
    public byte[] Alert { get; } = alert;
}

/// <summary>
/// A minimal TLS 1.2 client built from Brisk's own message codecs, <see cref="Tls12KeyDerivation"/> and
/// <see cref="RecordProtection"/>, driving an <see cref="InMemoryTlsServer"/> one step at a time so a test
/// can complete a handshake or deviate at any step. It verifies what it receives (ServerKeyExchange
/// signature, server Finished) so a completed handshake proves both sides agree on every secret.
/// Not a general client: no session resumption, no renegotiation, full handshakes only.
/// </summary>
internal sealed class Tls12TestClient : IDisposable
{
    private readonly PipeWriter _output;
    private readonly PipeReader _input;
    private readonly List<byte> _handshakeBuffer = [];
    private readonly MemoryStream _transcript = new();
    private RecordProtection? _writeProtection;
    private RecordProtection? _readProtection;
    private RecordProtection? _pendingWrite;
    private RecordProtection? _pendingRead;

    public Tls12TestClient(InMemoryTlsServer server)
    {
        _output = server.ToServer;
        _input = server.FromServer;
    }

    // ---- What the ClientHello offers -------------------------------------------------------------

    public CipherSuite[] Suites { get; set; } = CipherSuites.Tls12Default.Select(s => s.Suite).ToArray();

    public ushort[] Groups { get; set; } = [(ushort)NamedGroup.X25519, (ushort)NamedGroup.Secp256r1, (ushort)NamedGroup.Secp384r1];

    public SignatureScheme[] SignatureAlgorithms { get; set; } =
    [
        SignatureScheme.EcdsaSecp256r1Sha256, SignatureScheme.EcdsaSecp384r1Sha384,
        SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPssRsaeSha384, SignatureScheme.RsaPkcs1Sha256,
    ];

    public bool ExtendedMasterSecret { get; set; } = true;

    public byte[][]? AlpnProtocols { get; set; }

    public ushort LegacyVersion { get; set; } = ProtocolVersion.Tls12;

    public ushort[]? SupportedVersions { get; set; }

    public byte[] CompressionMethods { get; set; } = [0];

    /// <summary>renegotiation_info content; empty on an initial handshake (RFC 5746 §3.4), null to omit it.</summary>
    public byte[]? RenegotiationInfo { get; set; } = [];

    /// <summary>SessionTicket extension data (RFC 5077); Brisk ignores it, so tests use it to make a ClientHello large.</summary>
    public byte[]? SessionTicket { get; set; }

    public byte[] ClientRandom { get; } = RandomNumberGenerator.GetBytes(32);

    // ---- What the handshake learned --------------------------------------------------------------

    public ServerHello? ServerHello { get; private set; }

    public CipherSuiteInfo? Suite { get; private set; }

    public X509Certificate2? ServerCertificate { get; private set; }

    public EcdheServerKeyExchange? ServerKeyExchange { get; private set; }

    public bool CertificateRequested { get; private set; }

    /// <summary>The pre-master secret the client used for its keys (not necessarily what it sent, for tests that lie).</summary>
    public byte[]? PremasterSecret { get; private set; }

    public byte[] MasterSecret { get; } = new byte[48];

    public ushort HelloVersion { get; private set; } = ProtocolVersion.Tls12;

    private Tls12PrfHash PrfHash => Suite!.Hash == HashAlgorithmName.SHA384 ? Tls12PrfHash.Sha384 : Tls12PrfHash.Sha256;

    // ---- ClientHello -----------------------------------------------------------------------------

    /// <summary>The server_name sent (RFC 6066 §3); null sends no extension.</summary>
    public string? ServerName { get; set; } = "localhost";

    public ClientHello CreateClientHello() => new()
    {
        LegacyVersion = LegacyVersion,
        SupportedVersions = SupportedVersions,
        Random = ClientRandom,
        CipherSuites = Suites,
        CompressionMethods = CompressionMethods,
        ServerName = ServerName,
        SupportedGroups = Groups,
        EcPointFormats = [0],
        SignatureAlgorithms = SignatureAlgorithms,
        AlpnProtocols = AlpnProtocols,
        ExtendedMasterSecret = ExtendedMasterSecret,
        RenegotiationInfo = RenegotiationInfo,
        SessionTicket = SessionTicket,
    };

    /// <summary>This client's ClientHello encoded and added to the transcript, for tests that frame it themselves.</summary>
    public byte[] TakeClientHello()
    {
        var hello = CreateClientHello();
        HelloVersion = hello.LegacyVersion;
        var message = Encode(hello);
        AddToTranscript(message);
        return message;
    }

    public static byte[] Encode(ClientHello hello)
    {
        using var writer = new TlsWriter();
        hello.Write(writer);
        return writer.ToArray();
    }

    /// <summary>Sends a ClientHello (this client's unless given) in one record and adds it to the transcript.</summary>
    public Task SendClientHelloAsync(ClientHello? hello = null)
    {
        hello ??= CreateClientHello();
        HelloVersion = hello.LegacyVersion;
        var message = Encode(hello);
        AddToTranscript(message);
        return SendRecordAsync(ContentType.Handshake, message);
    }

    // ---- Server flight ---------------------------------------------------------------------------

    /// <summary>Reads ServerHello … ServerHelloDone, checking the ServerKeyExchange signature.</summary>
    public async Task ReadServerFlightAsync()
    {
        var serverHello = await ReadHandshakeMessageAsync(HandshakeType.ServerHello);
        ServerHello = ServerHello.Parse(serverHello.AsSpan(HandshakeHeader.Length));
        Suite = CipherSuites.Tls12Default.Single(s => s.Suite == ServerHello.CipherSuite);

        var certificate = CertificateTls12.Parse((await ReadHandshakeMessageAsync(HandshakeType.Certificate)).AsSpan(HandshakeHeader.Length));
        ServerCertificate = X509CertificateLoader.LoadCertificate(certificate.CertificateList[0]);

        var next = await ReadHandshakeMessageAsync();
        if ((HandshakeType)next[0] == HandshakeType.ServerKeyExchange)
        {
            ServerKeyExchange = EcdheServerKeyExchange.Parse(next.AsSpan(HandshakeHeader.Length));
            // RFC 8422 §5.4: the signature covers client_random + server_random + ServerECDHParams.
            using var signed = new TlsWriter();
            ServerKeyExchange.WriteSignedData(signed, ClientRandom, ServerHello.Random);
            if (!SignatureSchemes.Verify(ServerCertificate, ServerKeyExchange.SignatureScheme, signed.WrittenSpan, ServerKeyExchange.Signature))
                throw new InvalidDataException("ServerKeyExchange signature does not verify");
            next = await ReadHandshakeMessageAsync();
        }
        if ((HandshakeType)next[0] == HandshakeType.CertificateRequest)
        {
            CertificateRequested = true;
            next = await ReadHandshakeMessageAsync();
        }
        if ((HandshakeType)next[0] != HandshakeType.ServerHelloDone || next.Length != HandshakeHeader.Length)
            throw new InvalidDataException($"expected an empty ServerHelloDone, got {(HandshakeType)next[0]}");
    }

    // ---- ClientKeyExchange -----------------------------------------------------------------------

    /// <summary>
    /// Builds the ClientKeyExchange for the negotiated suite and derives the keys from it (call after
    /// <see cref="ReadServerFlightAsync"/>). ECDHE: a fresh key for the server's group, unless
    /// <paramref name="ecdhPublicKeyOverride"/> replaces the point sent. The message is added to the transcript.
    /// </summary>
    public byte[] CreateClientKeyExchange(byte[]? ecdhPublicKeyOverride = null)
    {
        using var writer = new TlsWriter();
        if (Suite!.KeyExchange == KeyExchangeAlgorithm.Rsa)
        {
            var premaster = CreateRsaPremaster();
            using var rsa = ServerCertificate!.GetRSAPublicKey()!;
            new ClientKeyExchange { Algorithm = Brisk.Tls.Messages.KeyExchangeAlgorithm.Rsa, ExchangeKeys = rsa.Encrypt(premaster, RSAEncryptionPadding.Pkcs1) }.Write(writer);
            FinishKeyExchange(writer.ToArray(), premaster);
        }
        else
        {
            var group = (NamedGroup)ServerKeyExchange!.NamedGroup;
            using var key = LibCryptoKeyExchangeProvider.Instance.Generate(group);
            var shared = new byte[group.SharedSecretLength()];
            if (!key.TryDeriveSharedSecret(ServerKeyExchange.PublicKey, shared))
                throw new InvalidDataException("the server's ECDH point is invalid");
            new ClientKeyExchange { Algorithm = Brisk.Tls.Messages.KeyExchangeAlgorithm.Ecdhe, ExchangeKeys = ecdhPublicKeyOverride ?? key.PublicKey.ToArray() }.Write(writer);
            FinishKeyExchange(writer.ToArray(), shared);
        }
        return writer.ToArray();
    }

    /// <summary>
    /// RSA key exchange with <paramref name="encryptedPremaster"/> sent as is, while the client's own keys
    /// come from <paramref name="premasterUsed"/> (a test lying about its pre-master secret).
    /// </summary>
    public byte[] CreateRsaClientKeyExchange(byte[] encryptedPremaster, byte[] premasterUsed)
    {
        using var writer = new TlsWriter();
        new ClientKeyExchange { Algorithm = Brisk.Tls.Messages.KeyExchangeAlgorithm.Rsa, ExchangeKeys = encryptedPremaster }.Write(writer);
        FinishKeyExchange(writer.ToArray(), premasterUsed);
        return writer.ToArray();
    }

    /// <summary>RFC 5246 §7.4.7.1: client_version (the ClientHello's) then 46 random bytes.</summary>
    public byte[] CreateRsaPremaster()
    {
        var premaster = RandomNumberGenerator.GetBytes(48);
        BinaryPrimitives.WriteUInt16BigEndian(premaster, HelloVersion);
        return premaster;
    }

    /// <summary>Raw RSA public operation (c = m^e mod n) on a caller-made encoded block, so tests can send any padding.</summary>
    public byte[] RsaEncryptRaw(ReadOnlySpan<byte> encodedBlock)
    {
        using var rsa = ServerCertificate!.GetRSAPublicKey()!;
        var parameters = rsa.ExportParameters(false);
        var n = new BigInteger(parameters.Modulus, isUnsigned: true, isBigEndian: true);
        var e = new BigInteger(parameters.Exponent, isUnsigned: true, isBigEndian: true);
        var m = new BigInteger(encodedBlock, isUnsigned: true, isBigEndian: true);
        var c = BigInteger.ModPow(m, e, n).ToByteArray(isUnsigned: true, isBigEndian: true);
        var output = new byte[parameters.Modulus!.Length];
        c.CopyTo(output, output.Length - c.Length);
        return output;
    }

    public int RsaModulusLength
    {
        get
        {
            using var rsa = ServerCertificate!.GetRSAPublicKey()!;
            return rsa.KeySize / 8;
        }
    }

    private void FinishKeyExchange(byte[] clientKeyExchange, byte[] premaster)
    {
        AddToTranscript(clientKeyExchange);
        PremasterSecret = premaster;
        var suite = Suite!;
        if (ServerHello!.ExtendedMasterSecret)
        {
            // RFC 7627 §4: session_hash covers the transcript up to and including ClientKeyExchange.
            Tls12KeyDerivation.ComputeExtendedMasterSecret(PrfHash, premaster, TranscriptHash(), MasterSecret);
        }
        else
        {
            Tls12KeyDerivation.ComputeMasterSecret(PrfHash, premaster, ClientRandom, ServerHello.Random, MasterSecret);
        }

        // RFC 5246 §6.3: client_write_key, server_write_key, client_write_IV, server_write_IV.
        int keyLength = suite.KeyLength, ivLength = suite.Tls12FixedIvLength;
        var keyBlock = new byte[2 * (keyLength + ivLength)];
        var keys = Tls12KeyDerivation.DeriveKeyBlock(PrfHash, MasterSecret, ClientRandom, ServerHello.Random, keyLength, ivLength, keyBlock);
        ClientWriteKey = keys.ClientWriteKey.ToArray();
        ServerWriteKey = keys.ServerWriteKey.ToArray();
        ClientWriteIv = keys.ClientWriteIv.ToArray();
        ServerWriteIv = keys.ServerWriteIv.ToArray();
        var scheme = suite.Aead == AeadAlgorithm.ChaCha20Poly1305 ? RecordNonceScheme.Tls12XorNonce : RecordNonceScheme.Tls12ExplicitNonce;
        _pendingWrite = new RecordProtection(SystemAeadProvider.Instance.Create(suite.Aead, ClientWriteKey), ClientWriteIv, scheme);
        _pendingRead = new RecordProtection(SystemAeadProvider.Instance.Create(suite.Aead, ServerWriteKey), ServerWriteIv, scheme);
    }

    public byte[] ClientWriteKey { get; private set; } = [];
    public byte[] ServerWriteKey { get; private set; } = [];
    public byte[] ClientWriteIv { get; private set; } = [];
    public byte[] ServerWriteIv { get; private set; } = [];

    // ---- ChangeCipherSpec and Finished -----------------------------------------------------------

    /// <summary>Sends ChangeCipherSpec and switches the client's writes to the new keys (RFC 5246 §7.1).</summary>
    public async Task SendChangeCipherSpecAsync()
    {
        await SendRecordAsync(ContentType.ChangeCipherSpec, [1]);
        SwitchWriteKeys();
    }

    /// <summary>Turns the client's write protection on without sending anything (for tests that frame the CCS themselves).</summary>
    public void SwitchWriteKeys()
    {
        _writeProtection?.Dispose();
        _writeProtection = _pendingWrite ?? throw new InvalidOperationException("no keys derived yet");
        _pendingWrite = null;
    }

    /// <summary>The client Finished over the transcript so far (added to the transcript); <paramref name="corrupt"/> flips a bit of verify_data.</summary>
    public byte[] CreateFinished(bool corrupt = false)
    {
        var verifyData = new byte[12];
        Tls12KeyDerivation.ComputeVerifyData(PrfHash, MasterSecret, fromClient: true, TranscriptHash(), verifyData);
        if (corrupt)
            verifyData[0] ^= 1;
        using var writer = new TlsWriter();
        Finished.Write(writer, verifyData);
        var message = writer.ToArray();
        AddToTranscript(message);
        return message;
    }

    /// <summary>Reads the server's ChangeCipherSpec and Finished and checks verify_data.</summary>
    public async Task ReadServerFinishedAsync()
    {
        var record = await ReadRecordAsync() ?? throw new InvalidDataException("EOF instead of ChangeCipherSpec");
        if (record.Type == ContentType.Alert)
            throw new ServerAlertException(record.Content);
        if (record.Type != ContentType.ChangeCipherSpec || !record.Content.SequenceEqual(new byte[] { 1 }))
            throw new InvalidDataException($"expected ChangeCipherSpec, got {record.Type}");
        _readProtection?.Dispose();
        _readProtection = _pendingRead;
        _pendingRead = null;

        var expected = new byte[12];
        Tls12KeyDerivation.ComputeVerifyData(PrfHash, MasterSecret, fromClient: false, TranscriptHash(), expected);
        var finished = await ReadHandshakeMessageAsync(HandshakeType.Finished);
        if (!finished.AsSpan(HandshakeHeader.Length).SequenceEqual(expected))
            throw new InvalidDataException("server Finished does not verify");
    }

    /// <summary>The whole client side of a full handshake.</summary>
    public async Task HandshakeAsync()
    {
        await SendClientHelloAsync();
        await ReadServerFlightAsync();
        if (CertificateRequested)
            await SendHandshakeAsync(EmptyCertificate());
        await SendHandshakeAsync(CreateClientKeyExchange());
        await SendChangeCipherSpecAsync();
        await SendHandshakeAsync(CreateFinished());
        await ReadServerFinishedAsync();
    }

    /// <summary>An empty client Certificate message (no certificate to offer), added to the transcript.</summary>
    public byte[] EmptyCertificate()
    {
        using var writer = new TlsWriter();
        new CertificateTls12 { CertificateList = [] }.Write(writer);
        var message = writer.ToArray();
        AddToTranscript(message);
        return message;
    }

    // ---- Records ---------------------------------------------------------------------------------

    public Task SendHandshakeAsync(byte[] message) => SendRecordAsync(ContentType.Handshake, message);

    /// <summary>Frames (and, once keys are on, seals) one record and sends it.</summary>
    public Task SendRecordAsync(ContentType type, ReadOnlySpan<byte> content) => SendRawAsync(BuildRecord(type, content));

    public byte[] BuildRecord(ContentType type, ReadOnlySpan<byte> content)
    {
        if (_writeProtection is null)
        {
            var record = new byte[RecordFraming.HeaderLength + content.Length];
            RecordFraming.WriteHeader(record, type, ProtocolVersion.Tls12, content.Length);
            content.CopyTo(record.AsSpan(RecordFraming.HeaderLength));
            return record;
        }
        var sealedRecord = new byte[RecordFraming.HeaderLength + content.Length + _writeProtection.Overhead];
        int written = _writeProtection.Seal(type, content, sealedRecord);
        return sealedRecord[..written];
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await _output.WriteAsync(bytes);
    }

    /// <summary>Ends the client's direction (TCP FIN).</summary>
    public Task CompleteAsync() => _output.CompleteAsync().AsTask();

    /// <summary>Reads one record; null at a clean EOF. Decrypts once the server's ChangeCipherSpec was seen.</summary>
    public async Task<ReceivedRecord?> ReadRecordAsync()
    {
        using var guard = new CancellationTokenSource(InMemoryTlsServer.Guard);
        while (true)
        {
            var result = await _input.ReadAsync(guard.Token);
            var buffer = result.Buffer;
            if (buffer.Length >= RecordFraming.HeaderLength)
            {
                var header = new byte[RecordFraming.HeaderLength];
                buffer.Slice(0, RecordFraming.HeaderLength).CopyTo(header);
                int length = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
                if (buffer.Length >= RecordFraming.HeaderLength + length)
                {
                    var raw = buffer.Slice(0, RecordFraming.HeaderLength + length).ToArray();
                    _input.AdvanceTo(buffer.GetPosition(raw.Length));
                    return Open(raw);
                }
            }
            if (result.IsCompleted)
            {
                _input.AdvanceTo(buffer.End);
                if (buffer.IsEmpty)
                    return null;
                throw new InvalidDataException($"EOF inside a record ({buffer.Length} bytes pending)");
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private ReceivedRecord Open(byte[] raw)
    {
        var type = (ContentType)raw[0];
        if (_readProtection is null)
            return new ReceivedRecord(raw, type, raw[RecordFraming.HeaderLength..]);
        var header = new RecordHeader(type, BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(1)), raw.Length - RecordFraming.HeaderLength);
        var plaintext = new byte[raw.Length];
        if (!_readProtection.TryOpen(header, raw.AsSpan(RecordFraming.HeaderLength), plaintext, out var innerType, out int length))
            throw new InvalidDataException("a record from the server failed authentication");
        return new ReceivedRecord(raw, innerType, plaintext[..length]);
    }

    /// <summary>True once the server's direction ended (EOF) with nothing more to read.</summary>
    public async Task<bool> IsAtEndAsync() => await ReadRecordAsync() is null;

    /// <summary>Reads the next handshake message (header included), adding it to the transcript.</summary>
    public async Task<byte[]> ReadHandshakeMessageAsync(HandshakeType? expected = null)
    {
        while (true)
        {
            if (_handshakeBuffer.Count >= HandshakeHeader.Length)
            {
                int length = (_handshakeBuffer[1] << 16) | (_handshakeBuffer[2] << 8) | _handshakeBuffer[3];
                if (_handshakeBuffer.Count >= HandshakeHeader.Length + length)
                {
                    var message = _handshakeBuffer.GetRange(0, HandshakeHeader.Length + length).ToArray();
                    _handshakeBuffer.RemoveRange(0, message.Length);
                    if (expected is { } type && (HandshakeType)message[0] != type)
                        throw new InvalidDataException($"expected {type}, got {(HandshakeType)message[0]}");
                    AddToTranscript(message);
                    return message;
                }
            }
            var record = await ReadRecordAsync() ?? throw new InvalidDataException("EOF inside the server's handshake");
            if (record.Type == ContentType.Alert)
                throw new ServerAlertException(record.Content);
            if (record.Type != ContentType.Handshake)
                throw new InvalidDataException($"unexpected {record.Type} record from the server");
            _handshakeBuffer.AddRange(record.Content);
        }
    }

    public void AddToTranscript(ReadOnlySpan<byte> message) => _transcript.Write(message);

    /// <summary>Every handshake message so far, concatenated: what a TLS 1.2 CertificateVerify signs (RFC 5246 §7.4.8).</summary>
    public byte[] TranscriptMessages() => _transcript.ToArray();

    public byte[] TranscriptHash()
    {
        var bytes = _transcript.ToArray();
        return Suite!.Hash == HashAlgorithmName.SHA384 ? SHA384.HashData(bytes) : SHA256.HashData(bytes);
    }

    // ---- Application data ------------------------------------------------------------------------

    public Task SendApplicationDataAsync(ReadOnlySpan<byte> data) => SendRecordAsync(ContentType.ApplicationData, data);

    /// <summary>Reads application data records until <paramref name="count"/> bytes arrived.</summary>
    public async Task<byte[]> ReadApplicationDataAsync(int count)
    {
        var received = new List<byte>(count);
        while (received.Count < count)
        {
            var record = await ReadRecordAsync() ?? throw new InvalidDataException("EOF before the expected application data");
            if (record.Type != ContentType.ApplicationData)
                throw new InvalidDataException($"expected application data, got {record.Type} {Convert.ToHexString(record.Content)}");
            received.AddRange(record.Content);
        }
        return received.ToArray();
    }

    public void Dispose()
    {
        _writeProtection?.Dispose();
        _readProtection?.Dispose();
        _pendingRead?.Dispose();
        _pendingWrite?.Dispose();
        _transcript.Dispose();
    }
}
