using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Codec;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// A minimal TLS 1.3 client (RFC 8446) built from Brisk's message codecs, its key schedule phase types,
/// <see cref="LibCryptoKeyExchangeProvider"/> and <see cref="RecordProtection"/>, driving an
/// <see cref="InMemoryTlsServer"/> one step at a time so a test can complete a handshake or deviate at any
/// step. It checks what it receives (the server CertificateVerify with .NET's own RSA/ECDSA, the server
/// Finished) so a completed handshake proves both sides agree on every secret. Server records are decrypted
/// with whatever keys the server is using at that stage: none before ServerHello, handshake keys for its
/// flight, application keys (following KeyUpdates) afterwards. Full handshakes only: no PSK, no 0-RTT keys.
/// </summary>
internal sealed class Tls13TestClient : IDisposable
{
    private const string ServerSignatureContext = "TLS 1.3, server CertificateVerify";
    private const string ClientSignatureContext = "TLS 1.3, client CertificateVerify";

    private readonly PipeWriter _output;
    private readonly PipeReader _input;
    private readonly List<byte> _handshakeBuffer = [];
    private readonly Dictionary<ushort, IEphemeralKey> _keys = [];
    private MemoryStream _transcript = new();
    private RecordProtection? _writeProtection;
    private RecordProtection? _readProtection;
    private RecordProtection? _clientHandshakeProtection;
    private Tls13HandshakeSecrets? _handshakeSecrets;
    private ClientHello? _firstClientHello;

    public Tls13TestClient(InMemoryTlsServer server)
    {
        _output = server.ToServer;
        _input = server.FromServer;
    }

    // ---- What the ClientHello offers (null omits the extension) ------------------------------------

    public CipherSuite[] Suites { get; set; } = CipherSuites.Tls13Default.Select(s => s.Suite).ToArray();

    public ushort[]? Groups { get; set; } = [(ushort)NamedGroup.X25519, (ushort)NamedGroup.Secp256r1, (ushort)NamedGroup.Secp384r1];

    /// <summary>Groups this client generates a key share for in its first ClientHello.</summary>
    public ushort[] KeyShareGroups { get; set; } = [(ushort)NamedGroup.X25519];

    /// <summary>Replaces the key_share list entirely (e.g. duplicates, unknown groups); null means one share per <see cref="KeyShareGroups"/>.</summary>
    public KeyShareEntry[]? KeySharesOverride { get; set; }

    /// <summary>True omits the key_share extension.</summary>
    public bool OmitKeyShare { get; set; }

    public SignatureScheme[]? SignatureAlgorithms { get; set; } =
    [
        SignatureScheme.EcdsaSecp256r1Sha256, SignatureScheme.EcdsaSecp384r1Sha384,
        SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPssRsaeSha384,
    ];

    /// <summary>legacy_session_id: empty, or 32 bytes for middlebox compatibility mode (RFC 8446 Appendix D.4).</summary>
    public byte[] SessionId { get; set; } = [];

    public byte[] CompressionMethods { get; set; } = [0];

    public byte[][]? AlpnProtocols { get; set; }

    public bool EarlyData { get; set; }

    public string? ServerName { get; set; } = "localhost";

    public byte[] ClientRandom { get; set; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>Rewrites the encoded first ClientHello before it is sent and recorded (raw extension manipulation, see <see cref="AppendExtension"/>).</summary>
    public Func<byte[], byte[]>? ClientHelloTransform { get; set; }

    /// <summary>The client certificate (with its private key) sent when the server asks; null sends an empty Certificate.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    // ---- What the handshake learned --------------------------------------------------------------

    public ServerHello? HelloRetryRequest { get; private set; }

    public ServerHello? ServerHello { get; private set; }

    public CipherSuiteInfo? Suite { get; private set; }

    public EncryptedExtensions? EncryptedExtensions { get; private set; }

    public CertificateRequestTls13? CertificateRequest { get; private set; }

    public X509Certificate2? ServerCertificate { get; private set; }

    public Tls13ApplicationSecrets? ApplicationSecrets { get; private set; }

    /// <summary>Plaintext change_cipher_spec records the server sent (compatibility mode: exactly one).</summary>
    public int ChangeCipherSpecsReceived { get; private set; }

    /// <summary>KeyUpdates from the server handled while reading application data.</summary>
    public int ServerKeyUpdatesReceived { get; private set; }

    private HashKind Hash => Suite!.Hash == HashAlgorithmName.SHA384 ? HashKind.Sha384 : HashKind.Sha256;

    // ---- ClientHello ------------------------------------------------------------------------------

    private KeyShareEntry Share(ushort group)
    {
        if (!_keys.TryGetValue(group, out var key))
            _keys[group] = key = LibCryptoKeyExchangeProvider.Instance.Generate((NamedGroup)group);
        return new KeyShareEntry(group, key.PublicKey.ToArray());
    }

    public ClientHello CreateClientHello(KeyShareEntry[]? shares = null, CipherSuite[]? suites = null, byte[]? random = null, bool? earlyData = null) => new()
    {
        LegacyVersion = ProtocolVersion.Tls12,
        Random = random ?? ClientRandom,
        LegacySessionId = SessionId,
        CipherSuites = suites ?? Suites,
        CompressionMethods = CompressionMethods,
        ServerName = ServerName,
        SupportedGroups = Groups,
        SignatureAlgorithms = SignatureAlgorithms,
        AlpnProtocols = AlpnProtocols,
        SupportedVersions = [ProtocolVersion.Tls13],
        KeyShares = OmitKeyShare ? null : shares ?? KeySharesOverride ?? KeyShareGroups.Select(Share).ToArray(),
        EarlyData = earlyData ?? EarlyData,
    };

    public static byte[] Encode(ClientHello hello)
    {
        using var writer = new TlsWriter();
        hello.Write(writer);
        return writer.ToArray();
    }

    /// <summary>Sends the first ClientHello in one plaintext record (version 03 01, as clients do) and records it.</summary>
    public async Task SendClientHelloAsync()
    {
        _firstClientHello = CreateClientHello();
        var message = Encode(_firstClientHello);
        if (ClientHelloTransform is not null)
            message = ClientHelloTransform(message);
        AddToTranscript(message);
        await SendRawAsync(PlaintextRecord(ContentType.Handshake, message, ProtocolVersion.Tls10));
    }

    /// <summary>
    /// Appends one raw extension to an encoded ClientHello message (header included), fixing the handshake and
    /// extensions lengths, so tests can send what <see cref="ClientHello.Write"/> would never produce.
    /// </summary>
    public static byte[] AppendExtension(byte[] message, ushort type, ReadOnlySpan<byte> data)
    {
        int offset = HandshakeHeader.Length + 2 + 32;
        offset += 1 + message[offset];                                        // legacy_session_id
        offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset)); // cipher_suites
        offset += 1 + message[offset];                                        // legacy_compression_methods
        var result = new byte[message.Length + 4 + data.Length];
        message.CopyTo(result, 0);
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(message.Length), type);
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(message.Length + 2), (ushort)data.Length);
        data.CopyTo(result.AsSpan(message.Length + 4));
        int extensionsLength = result.Length - offset - 2;
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(offset), (ushort)extensionsLength);
        int bodyLength = result.Length - HandshakeHeader.Length;
        result[1] = (byte)(bodyLength >> 16);
        result[2] = (byte)(bodyLength >> 8);
        result[3] = (byte)bodyLength;
        return result;
    }

    /// <summary>
    /// The second ClientHello after a HelloRetryRequest (RFC 8446 §4.1.2): the first one with a single share
    /// for the requested group, early_data dropped. The arguments make it deviate for tests.
    /// </summary>
    public async Task SendSecondClientHelloAsync(ushort? shareGroup = null, CipherSuite[]? suites = null, byte[]? random = null, bool earlyData = false)
    {
        var group = shareGroup ?? HelloRetryRequest!.HelloRetryRequestSelectedGroup!.Value;
        var hello = CreateClientHello(shares: [Share(group)], suites: suites, random: random, earlyData: earlyData);
        var message = Encode(hello);
        AddToTranscript(message);
        await SendRawAsync(PlaintextRecord(ContentType.Handshake, message, ProtocolVersion.Tls12));
    }

    /// <summary>
    /// Reads ServerHello (skipping a compatibility change_cipher_spec). A HelloRetryRequest is returned in
    /// <see cref="HelloRetryRequest"/> and the transcript restarts with message_hash(ClientHello1) (RFC 8446 §4.4.1);
    /// a real ServerHello derives the handshake keys. Returns true for a ServerHello, false for a HelloRetryRequest.
    /// </summary>
    public async Task<bool> ReadServerHelloAsync()
    {
        var message = await ReadHandshakeMessageAsync(HandshakeType.ServerHello, addToTranscript: false);
        var hello = ServerHello.Parse(message.AsSpan(HandshakeHeader.Length));
        if (hello.SupportedVersion != ProtocolVersion.Tls13)
            throw new InvalidDataException("the server did not negotiate TLS 1.3");
        if (!hello.SessionId.AsSpan().SequenceEqual(SessionId))
            throw new InvalidDataException("the server did not echo legacy_session_id");
        Suite = CipherSuites.Tls13Default.Single(s => s.Suite == hello.CipherSuite);
        if (hello.IsHelloRetryRequest)
        {
            if (HelloRetryRequest is not null)
                throw new InvalidDataException("a second HelloRetryRequest");
            HelloRetryRequest = hello;
            var clientHello1Hash = TranscriptHash();
            var messageHash = new byte[Tls13Transcript.MessageHashLength(Hash)];
            Tls13Transcript.MessageHash(Hash, clientHello1Hash, messageHash);
            _transcript.Dispose();
            _transcript = new MemoryStream();
            AddToTranscript(messageHash);
            AddToTranscript(message);
            return false;
        }
        AddToTranscript(message);
        ServerHello = hello;
        var share = hello.KeyShare ?? throw new InvalidDataException("ServerHello without key_share");
        var group = (NamedGroup)share.Group;
        var shared = new byte[group.SharedSecretLength()];
        if (!_keys[share.Group].TryDeriveSharedSecret(share.KeyExchange, shared))
            throw new InvalidDataException("the server's key share is invalid");
        using (var early = Tls13EarlySecrets.WithoutPsk(Hash))
            _handshakeSecrets = early.ToHandshake(shared, TranscriptHash());
        SetReadProtection(_handshakeSecrets.CreateServerProtection(SystemAeadProvider.Instance, Suite.Aead));
        _clientHandshakeProtection = _handshakeSecrets.CreateClientProtection(SystemAeadProvider.Instance, Suite.Aead);
        return true;
    }

    /// <summary>
    /// Reads {EncryptedExtensions}, [{CertificateRequest}], {Certificate}, {CertificateVerify} (signature checked)
    /// and {Finished} (checked), then moves to the application secrets: reads switch to the server's
    /// application keys, writes to the client's handshake keys.
    /// </summary>
    public async Task ReadServerFlightAsync()
    {
        var ee = await ReadHandshakeMessageAsync(HandshakeType.EncryptedExtensions);
        EncryptedExtensions = Brisk.Tls.Messages.EncryptedExtensions.Parse(ee.AsSpan(HandshakeHeader.Length));
        var next = await ReadHandshakeMessageAsync();
        if ((HandshakeType)next[0] == HandshakeType.CertificateRequest)
        {
            CertificateRequest = CertificateRequestTls13.Parse(next.AsSpan(HandshakeHeader.Length));
            next = await ReadHandshakeMessageAsync();
        }
        if ((HandshakeType)next[0] != HandshakeType.Certificate)
            throw new InvalidDataException($"expected Certificate, got {(HandshakeType)next[0]}");
        var certificate = CertificateTls13.Parse(next.AsSpan(HandshakeHeader.Length));
        ServerCertificate = X509CertificateLoader.LoadCertificate(certificate.CertificateList[0].CertData);

        var signedContent = SignedContent(ServerSignatureContext);
        var verifyMessage = await ReadHandshakeMessageAsync(HandshakeType.CertificateVerify);
        var verify = CertificateVerify.Parse(verifyMessage.AsSpan(HandshakeHeader.Length));
        if (!VerifyWithDotNet(ServerCertificate, verify.SignatureScheme, signedContent, verify.Signature))
            throw new InvalidDataException($"server CertificateVerify ({verify.SignatureScheme}) does not verify");

        var throughVerify = TranscriptHash();
        var finished = await ReadHandshakeMessageAsync(HandshakeType.Finished);
        if (!_handshakeSecrets!.VerifyServerFinished(throughVerify, finished.AsSpan(HandshakeHeader.Length)))
            throw new InvalidDataException("server Finished does not verify");
        ApplicationSecrets = _handshakeSecrets.ToApplication(TranscriptHash());
        _handshakeSecrets = null;
        SetReadProtection(ApplicationSecrets.CreateServerProtection(SystemAeadProvider.Instance, Suite!.Aead));
        SetWriteProtection(_clientHandshakeProtection!);
        _clientHandshakeProtection = null;
    }

    /// <summary>RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, the transcript hash so far.</summary>
    public byte[] SignedContent(string context)
    {
        var hash = TranscriptHash();
        var content = new byte[64 + context.Length + 1 + hash.Length];
        content.AsSpan(0, 64).Fill(0x20);
        Encoding.ASCII.GetBytes(context, content.AsSpan(64));
        hash.CopyTo(content.AsSpan(64 + context.Length + 1));
        return content;
    }

    private static bool VerifyWithDotNet(X509Certificate2 certificate, SignatureScheme scheme, byte[] content, byte[] signature)
    {
        switch (scheme)
        {
            case SignatureScheme.EcdsaSecp256r1Sha256 or SignatureScheme.EcdsaSecp384r1Sha384:
            {
                using var ecdsa = certificate.GetECDsaPublicKey()!;
                var hash = scheme == SignatureScheme.EcdsaSecp256r1Sha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;
                return ecdsa.VerifyData(content, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
            }
            case SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384:
            {
                using var rsa = certificate.GetRSAPublicKey()!;
                var hash = scheme == SignatureScheme.RsaPssRsaeSha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;
                return rsa.VerifyData(content, signature, hash, RSASignaturePadding.Pss);
            }
            default:
                return false; // e.g. PKCS#1 v1.5, forbidden in a TLS 1.3 CertificateVerify (RFC 8446 §4.2.3)
        }
    }

    // ---- Client flight ----------------------------------------------------------------------------

    /// <summary>The client Certificate (<see cref="ClientCertificate"/> or an empty list), added to the transcript.</summary>
    public byte[] CreateCertificate()
    {
        using var writer = new TlsWriter();
        new CertificateTls13
        {
            CertificateRequestContext = CertificateRequest?.CertificateRequestContext ?? [],
            CertificateList = ClientCertificate is null ? [] : [new CertificateEntry(ClientCertificate.RawData)],
        }.Write(writer);
        var message = writer.ToArray();
        AddToTranscript(message);
        return message;
    }

    /// <summary>The client CertificateVerify signed with <see cref="ClientCertificate"/>'s key; <paramref name="corrupt"/> flips a bit of the signature.</summary>
    public byte[] CreateCertificateVerify(SignatureScheme scheme, bool corrupt = false)
    {
        var content = SignedContent(ClientSignatureContext);
        byte[] signature = scheme switch
        {
            SignatureScheme.EcdsaSecp256r1Sha256 => ClientCertificate!.GetECDsaPrivateKey()!.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            SignatureScheme.RsaPssRsaeSha256 => ClientCertificate!.GetRSAPrivateKey()!.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            SignatureScheme.RsaPkcs1Sha256 => ClientCertificate!.GetRSAPrivateKey()!.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
        };
        if (corrupt)
            signature[^1] ^= 1;
        using var writer = new TlsWriter();
        new CertificateVerify { SignatureScheme = scheme, Signature = signature }.Write(writer);
        var message = writer.ToArray();
        AddToTranscript(message);
        return message;
    }

    /// <summary>The client Finished over the transcript so far; <paramref name="corrupt"/> flips a bit of verify_data.</summary>
    public byte[] CreateFinished(bool corrupt = false)
    {
        var verifyData = new byte[Hash.HashLength()];
        ApplicationSecrets!.ComputeClientFinished(TranscriptHash(), verifyData);
        if (corrupt)
            verifyData[0] ^= 1;
        using var writer = new TlsWriter();
        Finished.Write(writer, verifyData);
        var message = writer.ToArray();
        AddToTranscript(message);
        return message;
    }

    /// <summary>Writes switch from the client's handshake keys to its application keys (after sending Finished).</summary>
    public void SwitchToApplicationWriteKeys() =>
        SetWriteProtection(ApplicationSecrets!.CreateClientProtection(SystemAeadProvider.Instance, Suite!.Aead));

    /// <summary>Sends [Certificate, CertificateVerify] and Finished, then switches to the application write keys.</summary>
    public async Task SendClientFlightAsync()
    {
        if (CertificateRequest is not null)
        {
            await SendHandshakeAsync(CreateCertificate());
            if (ClientCertificate is not null)
            {
                var scheme = ClientCertificate.GetECDsaPublicKey() is not null ? SignatureScheme.EcdsaSecp256r1Sha256 : SignatureScheme.RsaPssRsaeSha256;
                await SendHandshakeAsync(CreateCertificateVerify(scheme));
            }
        }
        await SendHandshakeAsync(CreateFinished());
        SwitchToApplicationWriteKeys();
    }

    /// <summary>The whole client side of a full handshake, answering one HelloRetryRequest if the server sends it.</summary>
    public async Task HandshakeAsync()
    {
        await SendClientHelloAsync();
        if (!await ReadServerHelloAsync())
        {
            await SendSecondClientHelloAsync();
            if (!await ReadServerHelloAsync())
                throw new InvalidDataException("HelloRetryRequest answered with another HelloRetryRequest");
        }
        await ReadServerFlightAsync();
        await SendClientFlightAsync();
    }

    // ---- Post-handshake -----------------------------------------------------------------------------

    public byte[] CreateKeyUpdate(KeyUpdateRequest request)
    {
        using var writer = new TlsWriter();
        new KeyUpdate { RequestUpdate = request }.Write(writer);
        return writer.ToArray();
    }

    /// <summary>Sends KeyUpdate under the current keys, then moves to client_application_traffic_secret_N+1 (RFC 8446 §4.6.3).</summary>
    public async Task SendKeyUpdateAsync(KeyUpdateRequest request)
    {
        await SendHandshakeAsync(CreateKeyUpdate(request));
        ApplicationSecrets!.NextClientSecret();
        SwitchToApplicationWriteKeys();
    }

    /// <summary>Reads one server KeyUpdate(update_not_requested) and switches the read keys to the next server secret.</summary>
    public async Task ReadServerKeyUpdateAsync()
    {
        var record = await ReadRecordAsync() ?? throw new InvalidDataException("EOF instead of KeyUpdate");
        if (record.Type != ContentType.Handshake || !record.Content.AsSpan().SequenceEqual(CreateKeyUpdate(KeyUpdateRequest.UpdateNotRequested)))
            throw new InvalidDataException($"expected KeyUpdate, got {record.Type} {Convert.ToHexString(record.Content)}");
        ServerKeyUpdatesReceived++;
        ApplicationSecrets!.NextServerSecret();
        SetReadProtection(ApplicationSecrets.CreateServerProtection(SystemAeadProvider.Instance, Suite!.Aead));
    }

    public Task SendApplicationDataAsync(ReadOnlySpan<byte> data) => SendRecordAsync(ContentType.ApplicationData, data);

    /// <summary>
    /// Reads application data until <paramref name="count"/> bytes arrived. A server KeyUpdate switches the
    /// read keys to the next server secret (and, if it asks, is not answered: tests here never see one that asks).
    /// </summary>
    public async Task<byte[]> ReadApplicationDataAsync(int count)
    {
        var received = new List<byte>(count);
        while (received.Count < count)
        {
            var record = await ReadRecordAsync() ?? throw new InvalidDataException("EOF before the expected application data");
            if (record.Type == ContentType.Handshake && record.Content is [(byte)HandshakeType.KeyUpdate, 0, 0, 1, _] && record.Content.Length == 5)
            {
                if ((KeyUpdateRequest)record.Content[4] != KeyUpdateRequest.UpdateNotRequested)
                    throw new InvalidDataException("the server asked for a KeyUpdate");
                ServerKeyUpdatesReceived++;
                ApplicationSecrets!.NextServerSecret();
                SetReadProtection(ApplicationSecrets.CreateServerProtection(SystemAeadProvider.Instance, Suite!.Aead));
                continue;
            }
            if (record.Type != ContentType.ApplicationData)
                throw new InvalidDataException($"expected application data, got {record.Type} {Convert.ToHexString(record.Content)}");
            received.AddRange(record.Content);
        }
        return received.ToArray();
    }

    // ---- Records ----------------------------------------------------------------------------------

    public Task SendHandshakeAsync(byte[] message) => SendRecordAsync(ContentType.Handshake, message);

    /// <summary>Frames (and, once keys are on, seals) one record and sends it.</summary>
    public Task SendRecordAsync(ContentType type, ReadOnlySpan<byte> content) => SendRawAsync(BuildRecord(type, content));

    public byte[] BuildRecord(ContentType type, ReadOnlySpan<byte> content)
    {
        if (_writeProtection is null)
            return PlaintextRecord(type, content, ProtocolVersion.Tls12);
        var sealedRecord = new byte[RecordFraming.HeaderLength + content.Length + _writeProtection.Overhead];
        int written = _writeProtection.Seal(type, content, sealedRecord);
        return sealedRecord[..written];
    }

    /// <summary>
    /// Seals <paramref name="innerPlaintext"/> (a whole TLSInnerPlaintext: content, type, padding) as one record under
    /// the current client application keys, bypassing <see cref="RecordProtection"/>'s size check so a test can
    /// send an over-long plaintext (RFC 8446 §5.4). Advances the write sequence number like a normal record.
    /// </summary>
    public byte[] BuildRawApplicationRecord(ReadOnlySpan<byte> innerPlaintext)
    {
        var aead = Suite!.Aead;
        var key = new byte[aead.KeySize()];
        var iv = new byte[Tls13KeyDerivation.IvLength];
        Tls13KeyDerivation.TrafficKeys(Hash, aead, ApplicationSecrets!.ClientTrafficSecret, key, iv);
        ulong sequence = _writeProtection!.SequenceNumber;
        _writeProtection.Seal(ContentType.ApplicationData, [], new byte[RecordFraming.HeaderLength + _writeProtection.Overhead]); // consume the number
        var nonce = iv.ToArray();
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), BinaryPrimitives.ReadUInt64BigEndian(nonce.AsSpan(4)) ^ sequence);
        int bodyLength = innerPlaintext.Length + RecordProtection.TagLength;
        var record = new byte[RecordFraming.HeaderLength + bodyLength];
        RecordFraming.WriteHeader(record, ContentType.ApplicationData, ProtocolVersion.Tls12, bodyLength);
        using var cipher = SystemAeadProvider.Instance.Create(aead, key);
        cipher.Seal(nonce, innerPlaintext, record.AsSpan(RecordFraming.HeaderLength, innerPlaintext.Length),
            record.AsSpan(RecordFraming.HeaderLength + innerPlaintext.Length), record.AsSpan(0, RecordFraming.HeaderLength));
        return record;
    }

    public static byte[] PlaintextRecord(ContentType type, ReadOnlySpan<byte> content, ushort version)
    {
        var record = new byte[RecordFraming.HeaderLength + content.Length];
        RecordFraming.WriteHeader(record, type, version, content.Length);
        content.CopyTo(record.AsSpan(RecordFraming.HeaderLength));
        return record;
    }

    public async Task SendRawAsync(byte[] bytes) => await _output.WriteAsync(bytes);

    /// <summary>Ends the client's direction (TCP FIN).</summary>
    public Task CompleteAsync() => _output.CompleteAsync().AsTask();

    /// <summary>
    /// Reads one record; null at a clean EOF. Protected records (outer type application_data once keys are on)
    /// are decrypted; a plaintext change_cipher_spec is counted and skipped (RFC 8446 Appendix D.4).
    /// </summary>
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
                    if ((ContentType)raw[0] == ContentType.ChangeCipherSpec && raw.AsSpan(RecordFraming.HeaderLength).SequenceEqual(new byte[] { 1 }))
                    {
                        ChangeCipherSpecsReceived++;
                        continue;
                    }
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
        if (_readProtection is null || type != ContentType.ApplicationData)
            return new ReceivedRecord(raw, type, raw[RecordFraming.HeaderLength..]);
        var header = new RecordHeader(type, BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(1)), raw.Length - RecordFraming.HeaderLength);
        var plaintext = new byte[raw.Length];
        if (!_readProtection.TryOpen(header, raw.AsSpan(RecordFraming.HeaderLength), plaintext, out var innerType, out int length))
            throw new InvalidDataException("a record from the server failed authentication");
        return new ReceivedRecord(raw, innerType, plaintext[..length]);
    }

    /// <summary>True once the server's direction ended (EOF) with nothing more to read.</summary>
    public async Task<bool> IsAtEndAsync() => await ReadRecordAsync() is null;

    /// <summary>Reads the next handshake message (header included), adding it to the transcript unless told not to.</summary>
    public async Task<byte[]> ReadHandshakeMessageAsync(HandshakeType? expected = null, bool addToTranscript = true)
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
                    if (addToTranscript)
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

    public byte[] TranscriptHash()
    {
        var bytes = _transcript.ToArray();
        return Suite!.Hash == HashAlgorithmName.SHA384 ? SHA384.HashData(bytes) : SHA256.HashData(bytes);
    }

    private void SetReadProtection(RecordProtection protection)
    {
        _readProtection?.Dispose();
        _readProtection = protection;
    }

    private void SetWriteProtection(RecordProtection protection)
    {
        _writeProtection?.Dispose();
        _writeProtection = protection;
    }

    public void Dispose()
    {
        _writeProtection?.Dispose();
        _readProtection?.Dispose();
        _clientHandshakeProtection?.Dispose();
        _handshakeSecrets?.Dispose();
        ApplicationSecrets?.Dispose();
        foreach (var key in _keys.Values)
            key.Dispose();
        _transcript.Dispose();
    }
}
