using System.Buffers.Binary;
using System.Buffers;
using System.Security.Cryptography;
using Brisk.Crypto.Hashing;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto;
using Brisk.Tls.Codec;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Client;

/// <summary>The server ended the connection with a fatal alert (or a warning other than close_notify).</summary>
public sealed class TlsAlertReceivedException(AlertDescription description)
    : Exception($"the server sent alert {description}")
{
    public AlertDescription Description { get; } = description;
}

/// <summary>
/// The client side of one TLS 1.2 or 1.3 connection (RFC 5246, RFC 8446), without I/O: the caller moves bytes
/// between the transport and <see cref="Start"/>, <see cref="Process"/>, <see cref="WriteApplicationData"/> and
/// <see cref="WriteCloseNotify"/>. This keeps the protocol core free of sockets (the load generator drives it
/// over a socket, the benchmarks over in-memory pipes) and lets the caller batch a whole flight into one send.
/// </summary>
/// <remarks>
/// <para>Full handshakes with ECDHE (x25519, P-256, P-384) or TLS 1.2 RSA key transport, AES-GCM and
/// ChaCha20-Poly1305, the extended master secret (RFC 7627), ALPN and SNI, resumption by ticket (TLS 1.3
/// PSK-DHE, TLS 1.2 RFC 5077), one HelloRetryRequest, KeyUpdate, close_notify. A server CertificateRequest is
/// answered with an empty Certificate (this client has no certificate).</para>
/// <para>Authentication: the server's signature (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange) is
/// checked with the public key of its leaf certificate, and its Finished is checked, so a handshake that
/// completes is a correct one with whoever holds that key. The certificate chain and names are NOT verified
/// (see <see cref="TlsClientOptions"/>).</para>
/// <para>Errors: a peer violation throws <see cref="TlsProtocolException"/> after the matching fatal alert was
/// written to the output writer (send it, then close); a server alert throws <see cref="TlsAlertReceivedException"/>.
/// Not thread-safe: one caller drives a connection.</para>
/// </remarks>
public sealed class TlsClientConnection : IDisposable
{
    private const string ServerSignatureContext = "TLS 1.3, server CertificateVerify";
    private const int MaxHandshakeMessageLength = 64 * 1024;

    private enum State
    {
        Start,
        WaitServerHello,
        // TLS 1.3 (RFC 8446 §A.1)
        WaitEncryptedExtensions,
        WaitCertificateOrRequest,
        WaitCertificate,
        WaitCertificateVerify,
        WaitFinished,
        // TLS 1.2 (RFC 5246 §7.3)
        WaitCertificate12,
        WaitServerKeyExchange,
        WaitRequestOrDone,
        WaitServerHelloDone,
        WaitNewSessionTicket12,
        WaitChangeCipherSpec12,
        WaitFinished12,
        Connected,
        Failed,
    }

    private readonly TlsClientOptions _options;
    private readonly TlsClientSession? _offeredSession;
    private readonly TlsWriter _writer = new(1024);
    private readonly byte[] _clientRandom = new byte[32];
    private State _state;
    private byte[] _handshake = ArrayPool<byte>.Shared.Rent(4096);
    private int _handshakeStart, _handshakeEnd;
    private byte[]? _clientHello;
    private byte[] _legacySessionId = [];
    private TranscriptHash? _transcript;
    private IEphemeralKey? _keyShare;
    private bool _helloRetried;
    private CipherSuite _helloRetrySuite;
    private bool _certificateRequested;
    private bool _writeClosed;
    private byte[] _certificateRequestContext = [];
    private ServerPublicKey? _serverKey;
    private RecordProtection? _read;
    private RecordProtection? _write;
    private RecordProtection? _pendingRead;
    private RecordProtection? _pendingWrite;
    // TLS 1.3 key schedule
    private Tls13HandshakeSecrets? _handshakeSecrets;
    private Tls13ApplicationSecrets? _applicationSecrets;
    private SecretBlock _resumptionMasterSecret; // SecretMemory; empty until asked for, returned by Dispose
    // TLS 1.2
    private byte[] _serverRandom = [];
    private SecretBlock _masterSecret = SecretMemory.Rent(Tls12KeyDerivation.MasterSecretLength); // returned by Dispose
    private bool _extendedMasterSecret;
    private bool _serverSendsTicket;
    private ushort _serverKeyExchangeGroup;
    private byte[]? _serverKeyExchangePublic;

    /// <param name="options">What to offer (shared between connections).</param>
    /// <param name="resume">A session from an earlier connection to this server, offered for resumption; the
    /// server may refuse it, and the handshake then continues as a full one.</param>
    public TlsClientConnection(TlsClientOptions options, TlsClientSession? resume = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.EnableTls12 && !options.EnableTls13)
            throw new ArgumentException("Enable TLS 1.2, TLS 1.3 or both.", nameof(options));
        _options = options;
        if (resume is not null && resume.IsUsable && options.EnableSessionTickets
            && (resume.Version == ProtocolVersion.Tls13 ? options.EnableTls13 : options.EnableTls12))
            _offeredSession = resume;
    }

    // ---- What the handshake negotiated ---------------------------------------------------------------

    /// <summary>True once both Finished messages were exchanged: application data may flow.</summary>
    public bool IsHandshakeComplete => _state == State.Connected;

    /// <summary>The server's close_notify arrived: nothing more will be read.</summary>
    public bool PeerClosed { get; private set; }

    /// <summary><see cref="ProtocolVersion.Tls12"/> or <see cref="ProtocolVersion.Tls13"/> once the ServerHello was read, else 0.</summary>
    public ushort Version { get; private set; }

    public CipherSuiteInfo? CipherSuite { get; private set; }

    /// <summary>The ALPN protocol the server selected, or null.</summary>
    public string? ApplicationProtocol { get; private set; }

    /// <summary>True when the server accepted the offered session (an abbreviated / PSK handshake).</summary>
    public bool Resumed { get; private set; }

    public NamedGroup? KeyExchangeGroup { get; private set; }

    /// <summary>The latest session ticket received (TLS 1.3: after the handshake; TLS 1.2: during it), or null.</summary>
    public TlsClientSession? Session { get; private set; }

    /// <summary>How many usable tickets arrived on this connection.</summary>
    public int SessionTicketsReceived { get; private set; }

    // ---- Driving the connection ------------------------------------------------------------------------

    /// <summary>Writes the ClientHello (one plaintext record) to <paramref name="output"/>.</summary>
    public void Start(IBufferWriter<byte> output)
    {
        if (_state != State.Start)
            throw new InvalidOperationException("The handshake has already started.");
        PooledRandom.Fill(_clientRandom);
        if (_offeredSession is not null && _offeredSession.Version == ProtocolVersion.Tls12)
        {
            // RFC 5077 §3.4: a client offering a ticket generates a session ID; the server echoes it on acceptance.
            _legacySessionId = new byte[32];
            PooledRandom.Fill(_legacySessionId);
        }
        var groups = _options.Groups;
        if (_options.EnableTls13)
        {
            if (groups.Count == 0)
                throw new InvalidOperationException("TLS 1.3 needs at least one group.");
            _keyShare = _options.KeyExchange.Generate(groups[0]);
        }
        _clientHello = BuildClientHello(previousTranscript: null, cookie: null);
        // The first ClientHello goes in a record with version 0x0301 for compatibility (RFC 8446 §5.1).
        WritePlaintextRecord(output, ContentType.Handshake, _clientHello, ProtocolVersion.Tls10);
        _state = State.WaitServerHello;
    }

    /// <summary>
    /// Processes the whole records at the start of <paramref name="input"/> (decrypting them in place) and
    /// returns how many bytes it consumed; an incomplete record at the end is left for the next call with more
    /// bytes. Handshake responses go to <paramref name="output"/>; application data to
    /// <paramref name="applicationData"/> (discarded when null).
    /// </summary>
    public int Process(Span<byte> input, IBufferWriter<byte> output, IBufferWriter<byte>? applicationData = null)
    {
        if (_state == State.Start)
            throw new InvalidOperationException("Call Start first.");
        if (_state == State.Failed)
            throw new InvalidOperationException("The connection has failed.");
        int consumed = 0;
        try
        {
            while (!PeerClosed && input.Length - consumed >= RecordFraming.HeaderLength)
            {
                var rest = input[consumed..];
                var header = RecordFraming.ParseHeader(rest, RecordFraming.MaxTls12CiphertextLength);
                if (rest.Length < RecordFraming.HeaderLength + header.Length)
                    break;
                consumed += RecordFraming.HeaderLength + header.Length;
                HandleRecord(header, rest.Slice(RecordFraming.HeaderLength, header.Length), output, applicationData);
            }
        }
        catch (TlsProtocolException e)
        {
            Fail(e.Alert, output);
            throw;
        }
        catch (TlsAlertReceivedException)
        {
            _state = State.Failed;
            throw;
        }
        return consumed;
    }

    /// <summary>Seals <paramref name="data"/> as application data records (2^14 bytes each at most).</summary>
    public void WriteApplicationData(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (_state != State.Connected || _writeClosed)
            throw new InvalidOperationException(_writeClosed ? "close_notify was sent." : "The handshake is not complete.");
        do
        {
            int length = Math.Min(data.Length, RecordFraming.MaxPlaintextLength);
            WriteRecord(output, ContentType.ApplicationData, data[..length]);
            data = data[length..];
        }
        while (!data.IsEmpty);
    }

    /// <summary>Writes a close_notify alert (RFC 8446 §6.1); nothing may be written afterwards.</summary>
    public void WriteCloseNotify(IBufferWriter<byte> output)
    {
        if (_state is State.Failed or State.Start || _writeClosed)
            return;
        Span<byte> alert = [(byte)AlertLevel.Warning, (byte)AlertDescription.CloseNotify];
        WriteRecord(output, ContentType.Alert, alert);
        _writeClosed = true;
    }

    private void Fail(AlertDescription description, IBufferWriter<byte> output)
    {
        if (_state == State.Failed)
            return;
        _state = State.Failed;
        try
        {
            Span<byte> alert = [(byte)AlertLevel.Fatal, (byte)description];
            WriteRecord(output, ContentType.Alert, alert);
        }
        catch (TlsProtocolException)
        {
            // The sequence number ran out: nothing can be sent any more.
        }
    }

    // ---- Record layer ------------------------------------------------------------------------------------

    private void HandleRecord(RecordHeader header, Span<byte> payload, IBufferWriter<byte> output, IBufferWriter<byte>? applicationData)
    {
        var type = header.Type;
        Span<byte> content = payload;
        bool tls13Protected = _read is not null && _read.Scheme == RecordNonceScheme.Tls13;
        if (type == ContentType.ChangeCipherSpec)
        {
            if (payload.Length != 1 || payload[0] != 1)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "malformed change_cipher_spec");
            HandleChangeCipherSpec();
            return;
        }
        if (tls13Protected && type == ContentType.Alert && payload.Length == Alert.Length)
        {
            // Tolerated: a plaintext alert from a server that failed before it could use its handshake keys.
            HandleAlert(payload);
            return;
        }
        if (tls13Protected)
        {
            // RFC 8446 §5.2: every protected record has outer type application_data.
            if (type != ContentType.ApplicationData)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"plaintext {type} record under TLS 1.3 protection");
            if (!_read!.TryOpen(header, payload, payload, out type, out int length))
            {
                throw type == 0
                    ? new TlsProtocolException(AlertDescription.UnexpectedMessage, "TLS 1.3 record with no content type")
                    : new TlsProtocolException(AlertDescription.BadRecordMac, "record authentication failed");
            }
            if (length > RecordFraming.MaxPlaintextLength)
                throw new TlsProtocolException(AlertDescription.RecordOverflow, "TLS 1.3 inner plaintext over 2^14 bytes");
            content = payload[..length];
        }
        else if (_read is not null)
        {
            int offset = _read.PlaintextOffset - RecordFraming.HeaderLength;
            if (!_read.TryOpen(header, payload, payload[offset..], out _, out int length))
                throw new TlsProtocolException(AlertDescription.BadRecordMac, "record authentication failed");
            content = payload.Slice(offset, length);
        }
        else if (type == ContentType.ApplicationData)
        {
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "application data before the handshake completed");
        }
        if (content.Length > RecordFraming.MaxPlaintextLength)
            throw new TlsProtocolException(AlertDescription.RecordOverflow, "plaintext over 2^14 bytes");

        switch (type)
        {
            case ContentType.Alert:
                HandleAlert(content);
                break;
            case ContentType.Handshake:
                if (content.IsEmpty)
                    throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "empty handshake record");
                AppendHandshake(content);
                ProcessHandshakeMessages(output);
                break;
            case ContentType.ApplicationData:
                if (_state != State.Connected)
                    throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "application data before the handshake completed");
                if (_handshakeEnd != _handshakeStart)
                    throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "application data inside a fragmented handshake message");
                if (applicationData is not null && !content.IsEmpty)
                {
                    content.CopyTo(applicationData.GetSpan(content.Length));
                    applicationData.Advance(content.Length);
                }
                break;
            default:
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unexpected {type} record");
        }
    }

    private void HandleChangeCipherSpec()
    {
        if (Version == ProtocolVersion.Tls12)
        {
            // RFC 5246 §7.1: switches the server's writes to the pending keys, right before its Finished.
            if (_state is not (State.WaitChangeCipherSpec12 or State.WaitNewSessionTicket12) || _pendingRead is null || _handshakeEnd != _handshakeStart)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "unexpected change_cipher_spec");
            _read = _pendingRead;
            _pendingRead = null;
            _state = State.WaitFinished12;
            return;
        }
        // RFC 8446 §5 / D.4: a compatibility change_cipher_spec may arrive before the server Finished; it is dropped.
        if (!_options.EnableTls13 || _state is State.Connected or State.Start)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "unexpected change_cipher_spec");
    }

    private void HandleAlert(ReadOnlySpan<byte> content)
    {
        if (content.Length != 2)
            throw new TlsProtocolException(AlertDescription.DecodeError, "malformed alert");
        var description = (AlertDescription)content[1];
        if (description == AlertDescription.CloseNotify)
        {
            PeerClosed = true;
            return;
        }
        throw new TlsAlertReceivedException(description);
    }

    private void WritePlaintextRecord(IBufferWriter<byte> output, ContentType type, ReadOnlySpan<byte> content, ushort version)
    {
        var span = output.GetSpan(RecordFraming.HeaderLength + content.Length);
        RecordFraming.WriteHeader(span, type, version, content.Length);
        content.CopyTo(span[RecordFraming.HeaderLength..]);
        output.Advance(RecordFraming.HeaderLength + content.Length);
    }

    /// <summary>One record under the current write protection (plaintext before any).</summary>
    private void WriteRecord(IBufferWriter<byte> output, ContentType type, ReadOnlySpan<byte> content)
    {
        if (_write is null)
        {
            WritePlaintextRecord(output, type, content, ProtocolVersion.Tls12);
            return;
        }
        int size = RecordFraming.HeaderLength + content.Length + _write.Overhead;
        int written = _write.Seal(type, content, output.GetSpan(size));
        output.Advance(written);
    }

    /// <summary>Handshake messages, fragmented into records of at most 2^14 bytes (RFC 8446 §5.1).</summary>
    private void WriteHandshake(IBufferWriter<byte> output, ReadOnlySpan<byte> messages)
    {
        while (!messages.IsEmpty)
        {
            int length = Math.Min(messages.Length, RecordFraming.MaxPlaintextLength);
            WriteRecord(output, ContentType.Handshake, messages[..length]);
            messages = messages[length..];
        }
    }

    private void AppendHandshake(ReadOnlySpan<byte> content)
    {
        if (_handshakeStart > 0 && _handshakeEnd + content.Length > _handshake.Length)
        {
            _handshake.AsSpan(_handshakeStart, _handshakeEnd - _handshakeStart).CopyTo(_handshake);
            _handshakeEnd -= _handshakeStart;
            _handshakeStart = 0;
        }
        if (_handshakeEnd + content.Length > _handshake.Length)
        {
            if (_handshakeEnd + content.Length > MaxHandshakeMessageLength + HandshakeHeader.Length)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "handshake message too large");
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_handshake.Length * 2, 1024), _handshakeEnd + content.Length));
            _handshake.AsSpan(0, _handshakeEnd).CopyTo(larger);
            if (_handshake.Length > 0)
                ArrayPool<byte>.Shared.Return(_handshake, clearArray: true);
            _handshake = larger;
        }
        content.CopyTo(_handshake.AsSpan(_handshakeEnd));
        _handshakeEnd += content.Length;
    }

    private void ProcessHandshakeMessages(IBufferWriter<byte> output)
    {
        while (_state != State.Failed)
        {
            var available = _handshake.AsSpan(_handshakeStart, _handshakeEnd - _handshakeStart);
            if (!HandshakeHeader.TryRead(available, out var type, out int bodyLength))
                break;
            if (bodyLength > MaxHandshakeMessageLength)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"{type} of {bodyLength} bytes");
            int total = HandshakeHeader.Length + bodyLength;
            if (available.Length < total)
                break;
            _handshakeStart += total;
            bool keysChange = HandleHandshake(type, available[..total], output);
            // RFC 8446 §5.1: handshake messages must not span a key change.
            if (keysChange && _handshakeEnd != _handshakeStart)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "handshake data after a key change in the same record");
        }
        if (_handshakeStart == _handshakeEnd)
            _handshakeStart = _handshakeEnd = 0;
    }

    // ---- Handshake messages -------------------------------------------------------------------------------

    /// <summary>Handles one message (header included); returns true when the server's keys change after it.</summary>
    private bool HandleHandshake(HandshakeType type, ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        var body = message[HandshakeHeader.Length..];
        switch (_state, type)
        {
            case (State.WaitServerHello, HandshakeType.ServerHello):
                return HandleServerHello(message, body, output);
            // TLS 1.3
            case (State.WaitEncryptedExtensions, HandshakeType.EncryptedExtensions):
                HandleEncryptedExtensions(message, body);
                return false;
            case (State.WaitCertificateOrRequest, HandshakeType.CertificateRequest):
                var request = CertificateRequestTls13.Parse(body);
                _certificateRequested = true;
                _certificateRequestContext = request.CertificateRequestContext;
                _transcript!.Append(message);
                _state = State.WaitCertificate;
                return false;
            case (State.WaitCertificateOrRequest or State.WaitCertificate, HandshakeType.Certificate):
                HandleCertificate13(message, body);
                return false;
            case (State.WaitCertificateVerify, HandshakeType.CertificateVerify):
                HandleCertificateVerify(message, body);
                return false;
            case (State.WaitFinished, HandshakeType.Finished):
                HandleFinished13(message, body, output);
                return true;
            case (State.Connected, HandshakeType.NewSessionTicket) when Version == ProtocolVersion.Tls13:
                HandleNewSessionTicket13(body);
                return false;
            case (State.Connected, HandshakeType.KeyUpdate) when Version == ProtocolVersion.Tls13:
                HandleKeyUpdate(body, output);
                return true;
            // TLS 1.2
            case (State.WaitCertificate12, HandshakeType.Certificate):
                HandleCertificate12(message, body);
                return false;
            case (State.WaitServerKeyExchange, HandshakeType.ServerKeyExchange):
                HandleServerKeyExchange(message, body);
                return false;
            case (State.WaitRequestOrDone, HandshakeType.CertificateRequest):
                CertificateRequestTls12.Parse(body);
                _certificateRequested = true;
                _transcript!.Append(message);
                _state = State.WaitServerHelloDone;
                return false;
            case (State.WaitRequestOrDone or State.WaitServerHelloDone, HandshakeType.ServerHelloDone):
                ServerHelloDone.Parse(body);
                _transcript!.Append(message);
                SendClientKeyExchangeFlight(output);
                return false;
            case (State.WaitNewSessionTicket12, HandshakeType.NewSessionTicket):
                HandleNewSessionTicket12(message, body);
                return false;
            case (State.WaitFinished12, HandshakeType.Finished):
                HandleFinished12(message, body, output);
                return false;
            case (State.Connected, HandshakeType.HelloRequest) when Version == ProtocolVersion.Tls12:
                // RFC 5746 §4.2 / RFC 5246 §7.4.1.1: renegotiation is not supported; a warning refuses it.
                if (!body.IsEmpty)
                    throw new TlsProtocolException(AlertDescription.DecodeError, "HelloRequest with a body");
                Span<byte> refusal = [(byte)AlertLevel.Warning, (byte)AlertDescription.NoRenegotiation];
                WriteRecord(output, ContentType.Alert, refusal);
                return false;
            default:
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unexpected {type} in state {_state}");
        }
    }

    private byte[] BuildClientHello(TranscriptHash? previousTranscript, byte[]? cookie)
    {
        var options = _options;
        var offered = options.Offered;
        var session = _offeredSession;
        var tls13Session = session?.Version == ProtocolVersion.Tls13 ? session : null;
        OfferedPsks? psk = null;
        if (tls13Session is not null)
        {
            psk = new OfferedPsks
            {
                Identities = [new PskIdentity(tls13Session.Ticket, tls13Session.ObfuscatedTicketAge)],
                Binders = [new byte[tls13Session.Hash.HashLength()]],
            };
        }
        byte[]? ticketExtension = null;
        if (options.EnableTls12 && options.EnableSessionTickets)
            ticketExtension = session?.Version == ProtocolVersion.Tls12 ? session.Ticket : [];

        var hello = new ClientHello
        {
            LegacyVersion = ProtocolVersion.Tls12,
            Random = _clientRandom,
            LegacySessionId = _legacySessionId,
            CipherSuites = offered.CipherSuites,
            CompressionMethods = [0],
            ServerName = options.ServerName,
            SupportedGroups = offered.Groups,
            EcPointFormats = options.EnableTls12 ? [0] : null,
            SignatureAlgorithms = offered.SignatureAlgorithms,
            AlpnProtocols = offered.ApplicationProtocols,
            ExtendedMasterSecret = options.EnableTls12,
            // RFC 5746 §3.4: an initial handshake carries an empty renegotiation_info (or the SCSV).
            RenegotiationInfo = options.EnableTls12 ? [] : null,
            SessionTicket = ticketExtension,
            SupportedVersions = offered.SupportedVersions,
            Cookie = cookie,
            PskKeyExchangeModes = options.EnableTls13 && options.EnableSessionTickets ? [PskKeyExchangeMode.PskDheKe] : null,
            KeyShares = _keyShare is null ? null : [new KeyShareEntry((ushort)_keyShare.Group, _keyShare.PublicKey.ToArray())],
            PreSharedKey = psk,
        };
        _writer.Reset();
        hello.Write(_writer);
        var encoded = _writer.ToArray();
        if (psk is not null)
        {
            // RFC 8446 §4.2.11.2: the binder is an HMAC over the transcript up to the ClientHello without its binders.
            int truncatedLength = encoded.Length - psk.BindersEncodedLength;
            using var truncated = previousTranscript?.Clone() ?? new TranscriptHash(tls13Session!.Hash);
            truncated.Append(encoded.AsSpan(0, truncatedLength));
            Span<byte> hash = stackalloc byte[HashKindInfo.MaxHashLength];
            hash = hash[..truncated.GetCurrentHash(hash)];
            using var early = Tls13EarlySecrets.FromPsk(tls13Session!.Hash, tls13Session.Secret, Tls13PskKind.Resumption);
            // binders<33..2^16-1> holds one PskBinderEntry opaque<32..255>: length bytes, then the binder.
            early.ComputeBinder(hash, encoded.AsSpan(truncatedLength + 3, hash.Length));
        }
        return encoded;
    }

    private bool HandleServerHello(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        var hello = ServerHello.Parse(body);
        if (hello.CompressionMethod != 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "ServerHello selected a compression method");
        if (hello.SupportedVersion is ushort selected)
        {
            // RFC 8446 §4.2.1: the selected version must be one the client offered, and never below TLS 1.3 here.
            if (selected != ProtocolVersion.Tls13 || !_options.EnableTls13 || hello.LegacyVersion != ProtocolVersion.Tls12)
                throw new TlsProtocolException(AlertDescription.IllegalParameter, $"ServerHello selected version 0x{selected:x4}");
            return HandleServerHello13(hello, message, output);
        }
        if (hello.IsHelloRetryRequest)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "HelloRetryRequest without supported_versions");
        if (hello.LegacyVersion != ProtocolVersion.Tls12 || !_options.EnableTls12)
            throw new TlsProtocolException(AlertDescription.ProtocolVersion, $"server chose version 0x{hello.LegacyVersion:x4}");
        if (_options.EnableTls13)
        {
            // RFC 8446 §4.1.3: a TLS 1.3 client that gets TLS 1.2 checks the downgrade sentinel.
            var tail = hello.Random.AsSpan(24);
            if (tail.SequenceEqual(ServerHello.DowngradeSentinelTls12) || tail.SequenceEqual(ServerHello.DowngradeSentinelTls11))
                throw new TlsProtocolException(AlertDescription.IllegalParameter, "downgrade sentinel in a TLS 1.2 ServerHello");
        }
        HandleServerHello12(hello, message);
        return false;
    }

    private static CipherSuiteInfo FindSuite(IReadOnlyList<CipherSuiteInfo> offered, CipherSuite suite)
    {
        foreach (var info in offered)
            if (info.Suite == suite)
                return info;
        throw new TlsProtocolException(AlertDescription.IllegalParameter, $"server selected suite {suite} that was not offered");
    }

    private static HashKind HashOf(CipherSuiteInfo suite) => suite.Hash == HashAlgorithmName.SHA384 ? HashKind.Sha384 : HashKind.Sha256;

    private bool HandleServerHello13(ServerHello hello, ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        if (!hello.SessionId.AsSpan().SequenceEqual(_legacySessionId))
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "ServerHello did not echo legacy_session_id");
        var suite = FindSuite(_options.Tls13CipherSuites, hello.CipherSuite);
        var hash = HashOf(suite);
        foreach (var extension in hello.Extensions)
        {
            // RFC 8446 §4.1.3/§4.1.4: only what establishes the cryptographic context, and only what was offered.
            bool allowed = extension.Type is ExtensionType.SupportedVersions or ExtensionType.KeyShare
                || extension.Type == ExtensionType.PreSharedKey && !hello.IsHelloRetryRequest && _offeredSession?.Version == ProtocolVersion.Tls13
                || extension.Type == ExtensionType.Cookie && hello.IsHelloRetryRequest;
            if (!allowed)
                throw new TlsProtocolException(AlertDescription.UnsupportedExtension, $"ServerHello carries {extension.Type}");
        }

        if (hello.IsHelloRetryRequest)
        {
            if (_helloRetried)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "a second HelloRetryRequest");
            _helloRetried = true;
            _helloRetrySuite = hello.CipherSuite;
            // RFC 8446 §4.1.4: the selected group must have been offered and must not be the one already shared.
            if (hello.HelloRetryRequestSelectedGroup is ushort group)
            {
                if (!_options.Groups.Contains((NamedGroup)group) || group == (ushort)_keyShare!.Group)
                    throw new TlsProtocolException(AlertDescription.IllegalParameter, "HelloRetryRequest selected a group not offered or already shared");
                _keyShare.Dispose();
                _keyShare = _options.KeyExchange.Generate((NamedGroup)group);
            }
            else if (hello.Cookie is null)
            {
                // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal.
                throw new TlsProtocolException(AlertDescription.IllegalParameter, "HelloRetryRequest that changes nothing");
            }
            // RFC 8446 §4.4.1: the transcript restarts with message_hash(ClientHello1), then the HelloRetryRequest.
            Span<byte> clientHello1Hash = stackalloc byte[HashKindInfo.MaxHashLength];
            using (var first = new TranscriptHash(hash))
            {
                first.Append(_clientHello);
                clientHello1Hash = clientHello1Hash[..first.GetCurrentHash(clientHello1Hash)];
            }
            _transcript = Tls13Transcript.StartAfterHelloRetryRequest(hash, clientHello1Hash);
            _transcript.Append(message);
            _clientHello = BuildClientHello(_transcript, hello.Cookie);
            _transcript.Append(_clientHello);
            WriteHandshake(output, _clientHello);
            return true; // nothing may follow the HelloRetryRequest in its record but a new flight
        }

        if (_helloRetried && hello.CipherSuite != _helloRetrySuite)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "ServerHello suite differs from the HelloRetryRequest's");
        var share = hello.KeyShare ?? throw new TlsProtocolException(AlertDescription.MissingExtension, "ServerHello without key_share");
        if (share.Group != (ushort)_keyShare!.Group)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "server key share for a group the client did not share");

        Version = ProtocolVersion.Tls13;
        CipherSuite = suite;
        KeyExchangeGroup = _keyShare.Group;
        if (_transcript is null)
        {
            _transcript = new TranscriptHash(hash);
            _transcript.Append(_clientHello);
        }
        _transcript.Append(message);

        Tls13EarlySecrets early;
        if (hello.PreSharedKeySelectedIdentity is ushort identity)
        {
            var session = _offeredSession!;
            // RFC 8446 §4.2.11: one identity offered; the suite's hash must be the ticket's.
            if (identity != 0 || HashOf(session.Suite) != hash)
                throw new TlsProtocolException(AlertDescription.IllegalParameter, "server selected an unusable PSK");
            early = Tls13EarlySecrets.FromPsk(hash, session.Secret, Tls13PskKind.Resumption);
            Resumed = true;
        }
        else
        {
            early = Tls13EarlySecrets.WithoutPsk(hash);
        }

        Span<byte> shared = stackalloc byte[48];
        shared = shared[.._keyShare.Group.SharedSecretLength()];
        Span<byte> transcriptHash = stackalloc byte[HashKindInfo.MaxHashLength];
        try
        {
            if (!_keyShare.TryDeriveSharedSecret(share.KeyExchange, shared))
            {
                early.Dispose();
                throw new TlsProtocolException(AlertDescription.IllegalParameter, "invalid server key share");
            }
            transcriptHash = transcriptHash[.._transcript.GetCurrentHash(transcriptHash)];
            _handshakeSecrets = early.ToHandshake(shared, transcriptHash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            early.Dispose();
        }
        _keyShare.Dispose();
        _keyShare = null;
        _read = _handshakeSecrets.CreateServerProtection(_options.RecordCrypto, suite.Aead);
        _pendingWrite = _handshakeSecrets.CreateClientProtection(_options.RecordCrypto, suite.Aead);
        _state = State.WaitEncryptedExtensions;
        return true;
    }

    private void HandleEncryptedExtensions(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body)
    {
        var extensions = Messages.EncryptedExtensions.Parse(body);
        foreach (var extension in extensions.Extensions)
        {
            bool offered = extension.Type switch
            {
                ExtensionType.ServerName => _options.ServerName is not null,
                ExtensionType.ApplicationLayerProtocolNegotiation => _options.ApplicationProtocols.Count > 0,
                ExtensionType.SupportedGroups => true, // RFC 8446 §4.2.7: the server's preferences, informational
                _ => false,
            };
            if (!offered)
                throw new TlsProtocolException(AlertDescription.UnsupportedExtension, $"EncryptedExtensions carries {extension.Type}");
        }
        SetApplicationProtocol(extensions.AlpnProtocol);
        _transcript!.Append(message);
        _state = Resumed ? State.WaitFinished : State.WaitCertificateOrRequest;
    }

    private void SetApplicationProtocol(byte[]? selected)
    {
        if (selected is null)
            return;
        string name = System.Text.Encoding.ASCII.GetString(selected);
        // RFC 7301 §3.2: the server's choice must be one the client offered.
        if (!_options.ApplicationProtocols.Contains(name))
            throw new TlsProtocolException(AlertDescription.IllegalParameter, $"server selected ALPN '{name}' that was not offered");
        ApplicationProtocol = name;
    }

    /// <summary>Finds the first certificate's DER in a Certificate message body without copying the list.</summary>
    private void UseLeafCertificate(ReadOnlySpan<byte> leafDer)
    {
        if (!_options.ServerKeys.TryGet(leafDer, out _serverKey))
            throw new TlsProtocolException(AlertDescription.UnsupportedCertificate, "server certificate key is not RSA, P-256 or P-384, or the certificate is malformed");
    }

    private void HandleCertificate13(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body)
    {
        // RFC 8446 §4.4.2: certificate_request_context<0..255> (empty from a server), certificate_list<0..2^24-1>
        // of CertificateEntry { cert_data<1..2^24-1>; extensions<0..2^16-1> }.
        var reader = new TlsReader(body);
        if (reader.ReadVector8().Length != 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "server Certificate with a request context");
        var list = reader.ReadVectorReader24();
        reader.ExpectEnd("Certificate");
        if (list.IsEmpty)
            throw new TlsProtocolException(AlertDescription.DecodeError, "server sent no certificate");
        var leaf = list.ReadVector24(minLength: 1);
        list.ReadVector16();
        while (!list.IsEmpty)
        {
            list.ReadVector24(minLength: 1);
            list.ReadVector16();
        }
        UseLeafCertificate(leaf);
        _transcript!.Append(message);
        _state = State.WaitCertificateVerify;
    }

    private void CheckOfferedScheme(SignatureScheme scheme, bool tls13)
    {
        bool offered = false;
        foreach (var candidate in _options.SignatureAlgorithms)
            offered |= candidate == scheme;
        // RFC 8446 §4.4.3: PKCS#1 v1.5 is not allowed in a TLS 1.3 CertificateVerify.
        if (!offered || tls13 && scheme is SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, $"server signed with {scheme}, which was not offered");
        if (!_serverKey!.Fits(scheme))
            throw new TlsProtocolException(AlertDescription.IllegalParameter, $"server signed with {scheme}, which does not fit its certificate key");
    }

    private void HandleCertificateVerify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var scheme = (SignatureScheme)reader.ReadUInt16();
        var signature = reader.ReadVector16(minLength: 1);
        reader.ExpectEnd("CertificateVerify");
        CheckOfferedScheme(scheme, tls13: true);
        // RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, Transcript-Hash(ClientHello..Certificate).
        Span<byte> content = stackalloc byte[64 + ServerSignatureContext.Length + 1 + HashKindInfo.MaxHashLength];
        content[..64].Fill(0x20);
        System.Text.Encoding.ASCII.GetBytes(ServerSignatureContext, content[64..]);
        content[64 + ServerSignatureContext.Length] = 0;
        int hashLength = _transcript!.GetCurrentHash(content[(64 + ServerSignatureContext.Length + 1)..]);
        content = content[..(64 + ServerSignatureContext.Length + 1 + hashLength)];
        if (!_serverKey!.Verify(scheme, content, signature))
            throw new TlsProtocolException(AlertDescription.DecryptError, "server CertificateVerify does not verify");
        _transcript.Append(message);
        _state = State.WaitFinished;
    }

    private void HandleFinished13(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        var transcript = _transcript!;
        Span<byte> hash = stackalloc byte[HashKindInfo.MaxHashLength];
        hash = hash[..transcript.GetCurrentHash(hash)];
        if (!_handshakeSecrets!.VerifyServerFinished(hash, body))
            throw new TlsProtocolException(AlertDescription.DecryptError, "server Finished does not verify");
        transcript.Append(message);
        transcript.GetCurrentHash(hash);
        var suite = CipherSuite!;
        _applicationSecrets = _handshakeSecrets.ToApplication(hash);
        _handshakeSecrets = null;
        SetRead(_applicationSecrets.CreateServerProtection(_options.RecordCrypto, suite.Aead));
        _write = _pendingWrite;
        _pendingWrite = null;

        _writer.Reset();
        if (_certificateRequested)
        {
            // RFC 8446 §4.4.2: no certificate to offer: an empty list with the request's context.
            int start = _writer.Length;
            int token = HandshakeHeader.Begin(_writer, HandshakeType.Certificate);
            _writer.WriteVector8(_certificateRequestContext);
            _writer.WriteUInt24(0);
            _writer.EndVector(token);
            transcript.Append(_writer.WrittenSpan[start..]);
        }
        int finishedStart = _writer.Length;
        transcript.GetCurrentHash(hash);
        Span<byte> verifyData = stackalloc byte[HashKindInfo.MaxHashLength];
        verifyData = verifyData[..hash.Length];
        _applicationSecrets.ComputeClientFinished(hash, verifyData);
        Finished.Write(_writer, verifyData);
        transcript.Append(_writer.WrittenSpan[finishedStart..]);
        WriteHandshake(output, _writer.WrittenSpan);
        SetWrite(_applicationSecrets.CreateClientProtection(_options.RecordCrypto, suite.Aead));

        if (_options.EnableSessionTickets)
        {
            transcript.GetCurrentHash(hash);
            _resumptionMasterSecret = SecretMemory.Rent(hash.Length);
            _applicationSecrets.ResumptionMasterSecret(hash, _resumptionMasterSecret.Span);
        }
        else
        {
            _applicationSecrets.DiscardMasterSecret();
        }
        FinishHandshake();
    }

    private void HandleNewSessionTicket13(ReadOnlySpan<byte> body)
    {
        var ticket = NewSessionTicketTls13.Parse(body);
        if (ticket.TicketLifetime > NewSessionTicketTls13.MaxTicketLifetime)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "ticket lifetime over 7 days");
        if (_resumptionMasterSecret.IsEmpty || ticket.TicketLifetime == 0)
            return; // not asked for, or not to be used (RFC 8446 §4.6.1)
        var suite = CipherSuite!;
        var psk = new byte[suite.HashLength];
        Tls13KeyDerivation.ResumptionPsk(HashOf(suite), _resumptionMasterSecret.Span, ticket.TicketNonce, psk);
        Session = new TlsClientSession(ProtocolVersion.Tls13, suite, ticket.Ticket, psk, ticket.TicketAgeAdd, ticket.TicketLifetime, extendedMasterSecret: false);
        SessionTicketsReceived++;
    }

    private void HandleKeyUpdate(ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        var update = KeyUpdate.Parse(body);
        var suite = CipherSuite!;
        // RFC 8446 §4.6.3: the server's next records use its next traffic secret.
        _applicationSecrets!.NextServerSecret();
        SetRead(_applicationSecrets.CreateServerProtection(_options.RecordCrypto, suite.Aead));
        if (update.RequestUpdate == KeyUpdateRequest.UpdateRequested)
        {
            Span<byte> reply = [(byte)HandshakeType.KeyUpdate, 0, 0, 1, (byte)KeyUpdateRequest.UpdateNotRequested];
            WriteRecord(output, ContentType.Handshake, reply);
            _applicationSecrets.NextClientSecret();
            SetWrite(_applicationSecrets.CreateClientProtection(_options.RecordCrypto, suite.Aead));
        }
    }

    // ---- TLS 1.2 ------------------------------------------------------------------------------------------

    private void HandleServerHello12(ServerHello hello, ReadOnlySpan<byte> message)
    {
        var suite = FindSuite(_options.Tls12CipherSuites, hello.CipherSuite);
        foreach (var extension in hello.Extensions)
        {
            bool offered = extension.Type switch
            {
                ExtensionType.RenegotiationInfo or ExtensionType.ExtendedMasterSecret or ExtensionType.EcPointFormats => true,
                ExtensionType.ServerName => _options.ServerName is not null,
                ExtensionType.ApplicationLayerProtocolNegotiation => _options.ApplicationProtocols.Count > 0,
                ExtensionType.SessionTicket => _options.EnableSessionTickets,
                _ => false,
            };
            if (!offered)
                throw new TlsProtocolException(AlertDescription.UnsupportedExtension, $"ServerHello carries {extension.Type}");
        }
        // RFC 5746 §3.4: on an initial handshake the server's renegotiation_info must be empty.
        if (hello.RenegotiationInfo is { Length: > 0 })
            throw new TlsProtocolException(AlertDescription.HandshakeFailure, "non-empty renegotiation_info on an initial handshake");
        SetApplicationProtocol(hello.AlpnProtocol);
        Version = ProtocolVersion.Tls12;
        CipherSuite = suite;
        _serverRandom = hello.Random;
        _extendedMasterSecret = hello.ExtendedMasterSecret;
        _serverSendsTicket = hello.SessionTicket;
        _transcript = new TranscriptHash(HashOf(suite));
        _transcript.Append(_clientHello);
        _transcript.Append(message);
        _keyShare?.Dispose();
        _keyShare = null;

        var session = _offeredSession;
        if (session is { Version: ProtocolVersion.Tls12 } && hello.SessionId.Length > 0 && hello.SessionId.AsSpan().SequenceEqual(_legacySessionId))
        {
            // RFC 5077 §3.4: the server accepted the ticket (it echoed the client's session ID): abbreviated handshake.
            if (session.Suite.Suite != suite.Suite)
                throw new TlsProtocolException(AlertDescription.IllegalParameter, "resumed session with a different suite");
            // RFC 7627 §5.3: the extended master secret must be used on resumption exactly as in the original session.
            if (session.ExtendedMasterSecret != _extendedMasterSecret)
                throw new TlsProtocolException(AlertDescription.HandshakeFailure, "resumption changes the extended master secret");
            session.Secret.CopyTo(_masterSecret.Span);
            Resumed = true;
            DeriveTls12Keys();
            _state = _serverSendsTicket ? State.WaitNewSessionTicket12 : State.WaitChangeCipherSpec12;
            return;
        }
        _state = State.WaitCertificate12;
    }

    private void HandleCertificate12(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body)
    {
        // RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
        var reader = new TlsReader(body);
        var list = reader.ReadVectorReader24();
        reader.ExpectEnd("Certificate");
        if (list.IsEmpty)
            throw new TlsProtocolException(AlertDescription.DecodeError, "server sent no certificate");
        var leaf = list.ReadVector24(minLength: 1);
        while (!list.IsEmpty)
            list.ReadVector24(minLength: 1);
        UseLeafCertificate(leaf);
        var keyExchange = CipherSuite!.KeyExchange;
        bool fits = keyExchange == KeyExchangeAlgorithm.EcdheEcdsa ? _serverKey!.IsEcdsa : _serverKey!.IsRsa;
        if (!fits)
            throw new TlsProtocolException(AlertDescription.UnsupportedCertificate, $"certificate key does not fit {CipherSuite.Suite}");
        _transcript!.Append(message);
        _state = keyExchange == KeyExchangeAlgorithm.Rsa ? State.WaitRequestOrDone : State.WaitServerKeyExchange;
    }

    private void HandleServerKeyExchange(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body)
    {
        // RFC 8422 §5.4: ServerECDHParams { curve_type named_curve(3); NamedCurve; ECPoint point<1..2^8-1> } + signature.
        var reader = new TlsReader(body);
        if (reader.ReadUInt8() != EcdheServerKeyExchange.NamedCurveType)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "ServerKeyExchange curve_type is not named_curve");
        ushort group = reader.ReadUInt16();
        var point = reader.ReadVector8(minLength: 1);
        int paramsLength = reader.Position;
        var scheme = (SignatureScheme)reader.ReadUInt16();
        var signature = reader.ReadVector16(minLength: 1);
        reader.ExpectEnd("ServerKeyExchange");
        if (!_options.Groups.Contains((NamedGroup)group) || !_options.KeyExchange.IsSupported((NamedGroup)group))
            throw new TlsProtocolException(AlertDescription.IllegalParameter, $"ServerKeyExchange group 0x{group:x4} was not offered");
        CheckOfferedScheme(scheme, tls13: false);
        // The signature covers client_random + server_random + ServerECDHParams.
        Span<byte> signed = stackalloc byte[64 + 256 + 4];
        _clientRandom.CopyTo(signed);
        _serverRandom.CopyTo(signed[32..]);
        body[..paramsLength].CopyTo(signed[64..]);
        if (!_serverKey!.Verify(scheme, signed[..(64 + paramsLength)], signature))
            throw new TlsProtocolException(AlertDescription.DecryptError, "ServerKeyExchange signature does not verify");
        _serverKeyExchangeGroup = group;
        _serverKeyExchangePublic = point.ToArray();
        KeyExchangeGroup = (NamedGroup)group;
        _transcript!.Append(message);
        _state = State.WaitRequestOrDone;
    }

    private void SendClientKeyExchangeFlight(IBufferWriter<byte> output)
    {
        var transcript = _transcript!;
        _writer.Reset();
        if (_certificateRequested)
        {
            // RFC 5246 §7.4.6: a client without a certificate sends an empty list.
            ReadOnlySpan<byte> empty = [(byte)HandshakeType.Certificate, 0, 0, 3, 0, 0, 0];
            _writer.WriteBytes(empty);
        }
        Span<byte> premaster = stackalloc byte[48];
        int premasterLength;
        try
        {
            int token = HandshakeHeader.Begin(_writer, HandshakeType.ClientKeyExchange);
            if (CipherSuite!.KeyExchange == KeyExchangeAlgorithm.Rsa)
            {
                // RFC 5246 §7.4.7.1: client_version (the ClientHello's) then 46 random bytes, RSA-encrypted.
                RandomNumberGenerator.Fill(premaster);
                BinaryPrimitives.WriteUInt16BigEndian(premaster, ProtocolVersion.Tls12);
                premasterLength = 48;
                _writer.WriteVector16(_serverKey!.EncryptPremaster(premaster));
            }
            else
            {
                var group = (NamedGroup)_serverKeyExchangeGroup;
                using var key = _options.KeyExchange.Generate(group);
                premasterLength = group.SharedSecretLength();
                if (!key.TryDeriveSharedSecret(_serverKeyExchangePublic, premaster[..premasterLength]))
                    throw new TlsProtocolException(AlertDescription.IllegalParameter, "invalid server ECDH public key");
                _writer.WriteVector8(key.PublicKey);
            }
            _writer.EndVector(token);
            transcript.Append(_writer.WrittenSpan);

            Span<byte> sessionHash = stackalloc byte[HashKindInfo.MaxHashLength];
            if (_extendedMasterSecret)
            {
                // RFC 7627 §4: session_hash = Hash(ClientHello .. ClientKeyExchange).
                sessionHash = sessionHash[..transcript.GetCurrentHash(sessionHash)];
                Tls12KeyDerivation.ComputeExtendedMasterSecret(PrfHash, premaster[..premasterLength], sessionHash, _masterSecret.Span);
            }
            else
            {
                Tls12KeyDerivation.ComputeMasterSecret(PrfHash, premaster[..premasterLength], _clientRandom, _serverRandom, _masterSecret.Span);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(premaster);
        }
        DeriveTls12Keys();
        WriteHandshake(output, _writer.WrittenSpan);
        WriteClientChangeCipherSpecAndFinished(output);
        _state = _serverSendsTicket ? State.WaitNewSessionTicket12 : State.WaitChangeCipherSpec12;
    }

    private Tls12PrfHash PrfHash => CipherSuite!.Hash == HashAlgorithmName.SHA384 ? Tls12PrfHash.Sha384 : Tls12PrfHash.Sha256;

    private void DeriveTls12Keys()
    {
        var suite = CipherSuite!;
        int keyLength = suite.KeyLength, ivLength = suite.Tls12FixedIvLength;
        Span<byte> keyBlock = stackalloc byte[2 * (32 + 12)];
        keyBlock = keyBlock[..(2 * (keyLength + ivLength))];
        try
        {
            var keys = Tls12KeyDerivation.DeriveKeyBlock(PrfHash, _masterSecret.Span, _clientRandom, _serverRandom, keyLength, ivLength, keyBlock);
            var scheme = suite.Aead == Crypto.Aead.AeadAlgorithm.ChaCha20Poly1305 ? RecordNonceScheme.Tls12XorNonce : RecordNonceScheme.Tls12ExplicitNonce;
            _pendingWrite = new RecordProtection(_options.RecordCrypto.Create(suite.Aead, keys.ClientWriteKey), keys.ClientWriteIv, scheme);
            _pendingRead = new RecordProtection(_options.RecordCrypto.Create(suite.Aead, keys.ServerWriteKey), keys.ServerWriteIv, scheme);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyBlock);
        }
    }

    /// <summary>ChangeCipherSpec, then Finished under the new keys (RFC 5246 §7.1, §7.4.9).</summary>
    private void WriteClientChangeCipherSpecAndFinished(IBufferWriter<byte> output)
    {
        WriteRecord(output, ContentType.ChangeCipherSpec, [1]);
        SetWrite(_pendingWrite!);
        _pendingWrite = null;
        Span<byte> hash = stackalloc byte[HashKindInfo.MaxHashLength];
        hash = hash[.._transcript!.GetCurrentHash(hash)];
        Span<byte> message = stackalloc byte[HandshakeHeader.Length + Tls12KeyDerivation.VerifyDataLength];
        message[0] = (byte)HandshakeType.Finished;
        message[1] = 0;
        message[2] = 0;
        message[3] = Tls12KeyDerivation.VerifyDataLength;
        Tls12KeyDerivation.ComputeVerifyData(PrfHash, _masterSecret.Span, fromClient: true, hash, message[HandshakeHeader.Length..]);
        _transcript.Append(message);
        WriteRecord(output, ContentType.Handshake, message);
    }

    private void HandleNewSessionTicket12(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body)
    {
        var ticket = NewSessionTicketTls12.Parse(body);
        _transcript!.Append(message);
        // RFC 5077 §3.3: an empty ticket means the server will not issue one after all.
        if (ticket.Ticket.Length > 0)
        {
            var master = _masterSecret.Span.ToArray();
            Session = new TlsClientSession(ProtocolVersion.Tls12, CipherSuite!, ticket.Ticket, master, 0, ticket.TicketLifetimeHint, _extendedMasterSecret);
            SessionTicketsReceived++;
        }
        _state = State.WaitChangeCipherSpec12;
    }

    private void HandleFinished12(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        Span<byte> hash = stackalloc byte[HashKindInfo.MaxHashLength];
        hash = hash[.._transcript!.GetCurrentHash(hash)];
        Span<byte> expected = stackalloc byte[Tls12KeyDerivation.VerifyDataLength];
        Tls12KeyDerivation.ComputeVerifyData(PrfHash, _masterSecret.Span, fromClient: false, hash, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, body))
            throw new TlsProtocolException(AlertDescription.DecryptError, "server Finished does not verify");
        _transcript.Append(message);
        if (Resumed)
        {
            // Abbreviated handshake (RFC 5246 §7.3): the client's ChangeCipherSpec and Finished come last.
            WriteClientChangeCipherSpecAndFinished(output);
        }
        FinishHandshake();
    }

    private void FinishHandshake()
    {
        _state = State.Connected;
        // An established connection may stay idle for long (thousands of them in the load generator's idle mode):
        // the reassembly buffer goes back to the pool until a post-handshake message needs it.
        if (_handshakeStart == _handshakeEnd && _handshake.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_handshake, clearArray: true);
            _handshake = [];
            _handshakeStart = _handshakeEnd = 0;
        }
        _transcript?.Dispose();
        _transcript = null;
        _clientHello = null;
        _serverKeyExchangePublic = null;
        // A TLS 1.2 session keeps its own copy of the master secret (HandleNewSessionTicket12).
        CryptographicOperations.ZeroMemory(_masterSecret.Span);
    }

    private void SetRead(RecordProtection protection)
    {
        _read?.Dispose();
        _read = protection;
    }

    private void SetWrite(RecordProtection protection)
    {
        _write?.Dispose();
        _write = protection;
    }

    public void Dispose()
    {
        _state = State.Failed;
        _read?.Dispose();
        _write?.Dispose();
        _pendingRead?.Dispose();
        _pendingWrite?.Dispose();
        _read = _write = _pendingRead = _pendingWrite = null;
        _handshakeSecrets?.Dispose();
        _applicationSecrets?.Dispose();
        _keyShare?.Dispose();
        _transcript?.Dispose();
        _writer.Dispose();
        SecretMemory.Return(ref _masterSecret);
        SecretMemory.Return(ref _resumptionMasterSecret);
        var buffer = Interlocked.Exchange(ref _handshake, []);
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
    }
}
