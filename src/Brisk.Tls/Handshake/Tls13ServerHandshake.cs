using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using Brisk.Crypto.Hashing;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto;
using Brisk.Tls.Codec;
using Brisk.Tls.Credentials;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Resumption;

namespace Brisk.Tls.Handshake;

/// <summary>
/// The TLS 1.3 server handshake (RFC 8446 §2, §4), full handshake with (EC)DHE:
/// ClientHello → [HelloRetryRequest → ClientHello] → ServerHello, {EncryptedExtensions},
/// {CertificateRequest}, {Certificate}, {CertificateVerify}, {Finished} → {Certificate},
/// {CertificateVerify}, {Finished}, then [NewSessionTicket]s. With a resumption PSK (RFC 8446 §2.2, §4.2.11) the
/// server sends no CertificateRequest, Certificate or CertificateVerify. One method per step, called in order. Secrets move through the key
/// schedule's phase types (early → handshake → application) and each phase is erased when the next begins.
/// </summary>
internal sealed class Tls13ServerHandshake : IDisposable
{
    private const string ServerSignatureContext = "TLS 1.3, server CertificateVerify";
    private const string ClientSignatureContext = "TLS 1.3, client CertificateVerify";

    private enum State
    {
        ExpectSecondClientHello,
        ExpectClientCertificate,
        ExpectCertificateVerify,
        ExpectFinished,
        Complete,
    }

    private readonly TlsServerConnection _connection;
    private readonly TlsServerOptions _options;
    private ClientHello _clientHello;
    private HandshakeTranscript _transcript = new();
    private State _state;
    private CipherSuiteInfo _suite = null!;
    private ServerCertificate _certificate = null!;
    private SignatureScheme _signatureScheme;
    private NamedGroup _group;
    private string? _applicationProtocol;
    private bool _sentChangeCipherSpec;
    private Tls13HandshakeSecrets? _handshakeSecrets;
    private Tls13ApplicationSecrets? _applicationSecrets;
    private X509Certificate2? _clientCertificate;
    private SessionState? _resumption;
    private ushort _selectedIdentity;
    private bool _pskWithoutKeyExchange;

    public Tls13ServerHandshake(TlsServerConnection connection, ClientHello clientHello, ReadOnlySpan<byte> clientHelloMessage)
    {
        _connection = connection;
        _options = connection.Options;
        _clientHello = clientHello;
        _transcript.Append(clientHelloMessage);
    }

    private HashKind Hash => _suite.Hash == HashAlgorithmName.SHA384 ? HashKind.Sha384 : HashKind.Sha256;

    /// <summary>While true, the connection drops undecryptable records: 0-RTT data the server declined (RFC 8446 §4.2.10).</summary>
    public bool SkippingEarlyData { get; private set; }

    /// <summary>
    /// Step 1 (RFC 8446 §4.1.1): negotiate suite, group, certificate and ALPN from the first ClientHello, then
    /// either ask for another key share (HelloRetryRequest) or send the server's flight.
    /// </summary>
    public async ValueTask ProcessFirstClientHelloAsync(CancellationToken cancellationToken)
    {
        CheckClientHello(_clientHello);
        _suite = SelectSuite(_clientHello);
        var share = SelectKeyShare(_clientHello, out var groupForRetry);
        // The first ClientHello is the whole transcript so far; its binders are checked only if we answer it
        // with a ServerHello (after a HelloRetryRequest the second ClientHello's PSK counts).
        TryAcceptPsk(_clientHello, _transcript.Messages, [], keyShareAvailable: share is not null);
        if (_resumption is null)
            (_certificate, _signatureScheme) = SelectCertificate(_clientHello);
        _applicationProtocol = Tls12ServerHandshake.SelectApplicationProtocol(_clientHello.AlpnProtocols, _options.ApplicationProtocols);
        // RFC 8446 §4.2.10: 0-RTT is never accepted; its records are skipped until the handshake keys decrypt.
        SkippingEarlyData = _clientHello.EarlyData;

        if (share is null && !_pskWithoutKeyExchange)
        {
            _group = groupForRetry;
            await SendHelloRetryRequestAsync(cancellationToken).ConfigureAwait(false);
            _state = State.ExpectSecondClientHello;
            return;
        }
        if (share is not null && !_pskWithoutKeyExchange)
            _group = (NamedGroup)share.Group;
        await SendServerFlightAsync(_pskWithoutKeyExchange ? null : share, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask HandleMessageAsync(HandshakeType type, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var body = message[HandshakeHeader.Length..];
        switch (_state, type)
        {
            case (State.ExpectSecondClientHello, HandshakeType.ClientHello):
                await ProcessSecondClientHelloAsync(message, cancellationToken).ConfigureAwait(false);
                break;
            case (State.ExpectClientCertificate, HandshakeType.Certificate):
                ReadClientCertificate(body.Span);
                _transcript.Append(message.Span);
                _state = _clientCertificate is not null ? State.ExpectCertificateVerify : State.ExpectFinished;
                break;
            case (State.ExpectCertificateVerify, HandshakeType.CertificateVerify):
                ReadClientCertificateVerify(body.Span);
                _transcript.Append(message.Span);
                // Chain and proof of possession are verified: now the operator's policy (e.g. the directory check).
                await ClientCertificatePolicyCheck.EnforceAsync(_connection, _connection.Info.ClientIdentity!, cancellationToken).ConfigureAwait(false);
                _state = State.ExpectFinished;
                break;
            case (State.ExpectFinished, HandshakeType.Finished):
                ReadClientFinished(body.Span);
                _transcript.Append(message.Span);
                _state = State.Complete;
                await SendNewSessionTicketsAsync(cancellationToken).ConfigureAwait(false);
                _connection.CompleteTls13Handshake(_applicationSecrets!, _suite);
                _applicationSecrets = null; // owned by the connection now (KeyUpdate)
                break;
            default:
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unexpected {type} while {_state}");
        }
    }

    /// <summary>
    /// RFC 8446 §5 / Appendix D.4: a plaintext change_cipher_spec of one byte 0x01 may arrive at any time
    /// before the client's Finished (middlebox compatibility) and is dropped.
    /// </summary>
    public void HandleChangeCipherSpec()
    {
        if (_state == State.Complete)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "ChangeCipherSpec after Finished");
    }

    private static void CheckClientHello(ClientHello hello)
    {
        // RFC 8446 §4.1.2: legacy_compression_methods must be exactly [null].
        if (hello.CompressionMethods is not [0])
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "TLS 1.3 ClientHello must offer only null compression");
        // RFC 8446 §9.2: certificate authentication needs signature_algorithms; (EC)DHE needs both of these.
        if (hello.SignatureAlgorithms is null)
            throw new TlsProtocolException(AlertDescription.MissingExtension, "TLS 1.3 ClientHello without signature_algorithms");
        if (hello.SupportedGroups is null || hello.KeyShares is null)
            throw new TlsProtocolException(AlertDescription.MissingExtension, "TLS 1.3 ClientHello without supported_groups or key_share");

        // RFC 8446 §4.2.8: each share's group must be listed in supported_groups, at most one share per group.
        // Clients send one to three shares: compare pairwise then, and only a long (hostile) list gets a set.
        var shares = hello.KeyShares;
        HashSet<ushort>? seen = shares.Length > 8 ? new HashSet<ushort>() : null;
        for (int i = 0; i < shares.Length; i++)
        {
            var share = shares[i];
            if (seen is not null ? !seen.Add(share.Group) : IsGroupBefore(shares, i))
                throw new TlsProtocolException(AlertDescription.IllegalParameter, $"duplicate key share for group 0x{share.Group:x4}");
            if (Array.IndexOf(hello.SupportedGroups, share.Group) < 0)
                throw new TlsProtocolException(AlertDescription.IllegalParameter, $"key share for group 0x{share.Group:x4} not in supported_groups");
        }
    }

    private static bool IsGroupBefore(KeyShareEntry[] shares, int index)
    {
        for (int j = 0; j < index; j++)
        {
            if (shares[j].Group == shares[index].Group)
                return true;
        }
        return false;
    }

    private CipherSuiteInfo SelectSuite(ClientHello hello)
    {
        foreach (var suite in _options.Tls13CipherSuites)
        {
            if (Array.IndexOf(hello.CipherSuites, suite.Suite) >= 0)
                return suite;
        }
        throw new TlsProtocolException(AlertDescription.HandshakeFailure, "no TLS 1.3 cipher suite in common");
    }

    /// <summary>The certificate for the client's signature_algorithms (RFC 8446 §4.4.2.2), preferring one that matches SNI.</summary>
    private (ServerCertificate, SignatureScheme) SelectCertificate(ClientHello hello)
    {
        var offered = hello.SignatureAlgorithms!;
        var certificate = _options.SelectCertificate(hello.ServerName, c => c.TryChooseSignatureScheme(offered, tls13: true, out _))
            ?? throw new TlsProtocolException(AlertDescription.HandshakeFailure, "no certificate for the client's signature_algorithms");
        certificate.TryChooseSignatureScheme(offered, tls13: true, out var scheme);
        return (certificate, scheme);
    }

    /// <summary>
    /// Picks the client's share for the first group in server preference that it sent (clients such as
    /// Chromium offer X25519MLKEM768 first; unknown groups are passed over). With no usable share, returns
    /// null and the group to ask for in a HelloRetryRequest.
    /// </summary>
    private KeyShareEntry? SelectKeyShare(ClientHello hello, out NamedGroup groupForRetry)
    {
        groupForRetry = default;
        foreach (var group in _options.Groups)
        {
            var share = hello.KeyShares!.FirstOrDefault(s => s.Group == (ushort)group);
            if (share is not null)
                return share;
        }
        foreach (var group in _options.Groups)
        {
            if (Array.IndexOf(hello.SupportedGroups!, (ushort)group) >= 0)
            {
                groupForRetry = group;
                return null;
            }
        }
        throw new TlsProtocolException(AlertDescription.HandshakeFailure, "no key exchange group in common");
    }

    /// <summary>RFC 8446 §4.1.4: HelloRetryRequest, and the transcript restarts with message_hash(ClientHello1).</summary>
    private async ValueTask SendHelloRetryRequestAsync(CancellationToken cancellationToken)
    {
        Span<byte> clientHello1Hash = stackalloc byte[Hash.HashLength()];
        _transcript.Hash(_suite.Hash, clientHello1Hash);
        var restarted = new HandshakeTranscript();
        Span<byte> messageHash = stackalloc byte[Tls13Transcript.MessageHashLength(Hash)];
        Tls13Transcript.MessageHash(Hash, clientHello1Hash, messageHash);
        restarted.Append(messageHash);
        _transcript.Dispose();
        _transcript = restarted;

        using var flight = new TlsWriter(256);
        new ServerHello
        {
            LegacyVersion = ProtocolVersion.Tls12,
            Random = ServerHello.HelloRetryRequestRandom.ToArray(),
            SessionId = _clientHello.LegacySessionId,
            CipherSuite = _suite.Suite,
            SupportedVersion = ProtocolVersion.Tls13,
            HelloRetryRequestSelectedGroup = (ushort)_group,
        }.Write(flight);
        _transcript.Append(flight.WrittenSpan);
        _connection.Records.Write(ContentType.Handshake, flight.WrittenSpan);
        WriteCompatibilityChangeCipherSpec();
        await _connection.FlushHandshakeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// RFC 8446 §4.1.2: the second ClientHello may differ from the first only in key_share (now one share
    /// for the group we asked for), early_data (removed), cookie, pre_shared_key and padding.
    /// </summary>
    private async ValueTask ProcessSecondClientHelloAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var second = ClientHello.Parse(message.Span[HandshakeHeader.Length..]);
        var first = _clientHello;
        if (second.SupportedVersions is null || Array.IndexOf(second.SupportedVersions, ProtocolVersion.Tls13) < 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "second ClientHello dropped TLS 1.3");
        if (!second.Random.AsSpan().SequenceEqual(first.Random) ||
            !second.LegacySessionId.AsSpan().SequenceEqual(first.LegacySessionId) ||
            !second.CipherSuites.AsSpan().SequenceEqual(first.CipherSuites) ||
            !SameList(second.SupportedGroups, first.SupportedGroups) ||
            !SameList(second.SignatureAlgorithms, first.SignatureAlgorithms) ||
            second.ServerName != first.ServerName ||
            second.EarlyData)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "second ClientHello changed more than the key share");
        CheckClientHello(second);
        if (second.KeyShares is not [var share] || share.Group != (ushort)_group)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "second ClientHello does not carry exactly the requested key share");

        _clientHello = second;
        SkippingEarlyData = false;
        // RFC 8446 §4.2.11.2: the binder now covers message_hash(ClientHello1), HelloRetryRequest and the truncated ClientHello2.
        TryAcceptPsk(second, message.Span, _transcript.Messages, keyShareAvailable: true);
        if (_resumption is null && _certificate is null)
            (_certificate, _signatureScheme) = SelectCertificate(second);
        _transcript.Append(message.Span);
        await SendServerFlightAsync(share, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// RFC 8446 §4.2.11: picks the first offered ticket that opens, is still fresh, and suits the chosen cipher
    /// suite; checks that identity's binder and no other (a bad binder aborts with decrypt_error, §4.2.11.2,
    /// §6.2). Unknown, expired or unsuitable tickets are ignored, and without one the handshake is a full one.
    /// <paramref name="transcriptBefore"/> is what precedes this ClientHello in the transcript (message_hash and
    /// HelloRetryRequest after a retry).
    /// </summary>
    private void TryAcceptPsk(ClientHello hello, ReadOnlySpan<byte> clientHelloMessage, ReadOnlySpan<byte> transcriptBefore, bool keyShareAvailable)
    {
        _resumption?.Dispose();
        _resumption = null;
        _pskWithoutKeyExchange = false;
        if (hello.PreSharedKey is not { } offered)
            return;
        // RFC 8446 §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes" extension,
        // servers MUST abort the handshake" (missing_extension, §9.2).
        if (hello.PskKeyExchangeModes is not { } modes)
            throw new TlsProtocolException(AlertDescription.MissingExtension, "pre_shared_key without psk_key_exchange_modes");
        if (_options.TicketKeys is not { } ticketKeys)
            return;
        // Servers must not pick a mode the client did not list (§4.2.9); psk_dhe_ke keeps forward secrecy and is preferred.
        bool withKeyExchange = keyShareAvailable && Array.IndexOf(modes, PskKeyExchangeMode.PskDheKe) >= 0;
        bool withoutKeyExchange = !withKeyExchange && _options.AllowPskWithoutKeyExchange && Array.IndexOf(modes, PskKeyExchangeMode.PskKe) >= 0;
        if (!withKeyExchange && !withoutKeyExchange)
            return;

        var now = _options.Time.GetUtcNow();
        for (int i = 0; i < offered.Identities.Length; i++)
        {
            var identity = offered.Identities[i];
            var state = ticketKeys.TryOpenSession(identity.Identity, out _);
            if (state is null)
                continue;
            if (!IsResumable(state, hello, identity, now))
            {
                state.Dispose();
                continue;
            }
            Span<byte> truncatedHash = stackalloc byte[Hash.HashLength()];
            using (var hash = IncrementalHash.CreateHash(_suite.Hash))
            {
                // Truncate(ClientHello): the message up to (not including) the binders list (§4.2.11.2).
                hash.AppendData(transcriptBefore);
                hash.AppendData(clientHelloMessage[..(HandshakeHeader.Length + hello.PskBindersOffset)]);
                hash.GetHashAndReset(truncatedHash);
            }
            bool binderValid;
            using (var early = Tls13EarlySecrets.FromPsk(Hash, state.Secret, Tls13PskKind.Resumption))
                binderValid = early.VerifyBinder(truncatedHash, offered.Binders[i]);
            if (!binderValid)
            {
                state.Dispose();
                throw new TlsProtocolException(AlertDescription.DecryptError, "PSK binder does not verify");
            }
            _resumption = state;
            _selectedIdentity = (ushort)i;
            _pskWithoutKeyExchange = !withKeyExchange;
            return;
        }
    }

    private bool IsResumable(SessionState state, ClientHello hello, PskIdentity identity, DateTimeOffset now)
    {
        if (state.Version != ProtocolVersion.Tls13 || state.Secret.Length != Hash.HashLength())
            return false;
        // §4.2.11: a ticket PSK goes with the KDF hash of the connection that made it; the suite is chosen first.
        var original = CipherSuites.All.FirstOrDefault(s => s.Suite == state.CipherSuite);
        if (original is null || !original.IsTls13 || original.Hash != _suite.Hash)
            return false;
        // TLS 1.3 does not require it (§4.2.11), but the certificate was chosen for the original SNI: resume only for that name.
        if (!string.Equals(state.ServerName, hello.ServerName, StringComparison.OrdinalIgnoreCase))
            return false;
        // A server that now requires client certificates resumes only sessions that had one.
        if (_options.ClientAuthentication == ClientAuthenticationMode.Require && state.ClientCertificate is null)
            return false;
        // §4.2.11.1: the client's age of the ticket is obfuscated_ticket_age - ticket_age_add (mod 2^32), in ms;
        // one far from our own age is a replayed or misused ticket (§8.3).
        uint clientAgeMs = unchecked(identity.ObfuscatedTicketAge - state.TicketAgeAdd);
        double serverAgeMs = (now - state.CreatedAt).TotalMilliseconds;
        return Math.Abs(clientAgeMs - serverAgeMs) <= _options.TicketAgeTolerance.TotalMilliseconds;
    }

    /// <summary>
    /// RFC 8446 §4.6.1: after the client's Finished, NewSessionTicket messages, each with its own nonce and
    /// ticket_age_add; the ticket is the sealed session whose PSK is HKDF-Expand-Label(resumption_master_secret,
    /// "resumption", ticket_nonce). Sent only when tickets are on and the client listed a mode we accept (§4.2.9).
    /// </summary>
    private async ValueTask SendNewSessionTicketsAsync(CancellationToken cancellationToken)
    {
        if (_options.TicketKeys is not { } ticketKeys || _options.Tls13TicketCount <= 0 || _clientHello.PskKeyExchangeModes is not { } modes)
            return;
        if (Array.IndexOf(modes, PskKeyExchangeMode.PskDheKe) < 0 &&
            !(_options.AllowPskWithoutKeyExchange && Array.IndexOf(modes, PskKeyExchangeMode.PskKe) >= 0))
            return;

        int hashLength = Hash.HashLength();
        Span<byte> transcriptHash = stackalloc byte[hashLength];
        _transcript.Hash(_suite.Hash, transcriptHash);
        var resumptionMasterSecret = new byte[hashLength];
        var lifetime = TimeSpan.FromSeconds(Math.Min(_options.TicketLifetime.TotalSeconds, NewSessionTicketTls13.MaxTicketLifetime));
        try
        {
            _applicationSecrets!.ResumptionMasterSecret(transcriptHash, resumptionMasterSecret);
            using var flight = new TlsWriter(512);
            var now = _options.Time.GetUtcNow();
            Span<byte> ageAddBytes = stackalloc byte[4];
            for (int i = 0; i < Math.Min(_options.Tls13TicketCount, byte.MaxValue); i++)
            {
                byte[] nonce = [(byte)i]; // unique among this connection's tickets, as §4.6.1 requires
                PooledRandom.Fill(ageAddBytes);
                uint ageAdd = BitConverter.ToUInt32(ageAddBytes);
                var psk = new byte[hashLength];
                Tls13KeyDerivation.ResumptionPsk(Hash, resumptionMasterSecret, nonce, psk);
                byte[] ticket;
                using (var state = new SessionState
                {
                    Version = ProtocolVersion.Tls13,
                    CipherSuite = _suite.Suite,
                    Secret = psk,
                    ApplicationProtocol = _applicationProtocol,
                    ServerName = _clientHello.ServerName,
                    ClientCertificate = _connection.Info.ClientIdentity?.Certificate.RawData,
                    CreatedAt = now,
                    TicketAgeAdd = ageAdd,
                    Lifetime = lifetime,
                })
                {
                    ticket = ticketKeys.SealSession(state);
                }
                new NewSessionTicketTls13
                {
                    TicketLifetime = (uint)lifetime.TotalSeconds,
                    TicketAgeAdd = ageAdd,
                    TicketNonce = nonce,
                    Ticket = ticket,
                }.Write(flight);
            }
            _connection.Records.Write(ContentType.Handshake, flight.WrittenSpan);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(resumptionMasterSecret);
        }
        await _connection.FlushHandshakeAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool SameList<T>(T[]? a, T[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    /// <summary>
    /// Step 2: ServerHello in the clear, then under the handshake keys EncryptedExtensions,
    /// [CertificateRequest], Certificate, CertificateVerify and Finished — one write.
    /// </summary>
    private async ValueTask SendServerFlightAsync(KeyShareEntry? clientShare, CancellationToken cancellationToken)
    {
        bool resuming = _resumption is not null;
        var info = _connection.Info;
        info.CipherSuite = _suite.Suite;
        info.Group = clientShare is null ? null : _group;
        info.ServerName = _clientHello.ServerName;
        info.ApplicationProtocol = _applicationProtocol;
        info.Resumed = resuming;
        if (_resumption?.ClientCertificate is { } clientCertificate)
        {
            // The resumed session keeps the client identity authenticated in the full handshake (RFC 8446 §2.2).
            info.ClientIdentity = ClientCertificateValidator.DescribeIdentity(X509CertificateLoader.LoadCertificate(clientCertificate));
            // Asked again before the ServerHello, so a certificate withdrawn since the full handshake is not let
            // back in through a ticket.
            await ClientCertificatePolicyCheck.EnforceAsync(_connection, info.ClientIdentity, cancellationToken).ConfigureAwait(false);
        }

        // psk_ke (RFC 8446 §4.2.9): no key share, and the (EC)DHE input of the key schedule is zero.
        byte[] sharedSecret = clientShare is null ? [] : new byte[_group.SharedSecretLength()];
        byte[]? serverShare = null;
        if (clientShare is not null)
        {
            using var ephemeral = _options.KeyExchange.Generate(_group);
            // Async so that concurrent handshakes' X25519 derivations can share one multi-lane kernel call.
            if (!await ephemeral.DeriveSharedSecretAsync(clientShare.KeyExchange, sharedSecret, cancellationToken).ConfigureAwait(false))
                throw new TlsProtocolException(AlertDescription.IllegalParameter, "invalid key share from the client");
            serverShare = ephemeral.PublicKey.ToArray();
        }

        var records = _connection.Records;
        using var flight = new TlsWriter(4096);
        var serverRandom = PooledRandom.GetBytes(ServerHello.RandomLength);
        new ServerHello
        {
            LegacyVersion = ProtocolVersion.Tls12,
            Random = serverRandom,
            SessionId = _clientHello.LegacySessionId, // RFC 8446 §4.1.3: echo legacy_session_id
            CipherSuite = _suite.Suite,
            SupportedVersion = ProtocolVersion.Tls13,
            KeyShare = serverShare is null ? null : new KeyShareEntry((ushort)_group, serverShare),
            PreSharedKeySelectedIdentity = resuming ? _selectedIdentity : null,
        }.Write(flight);
        _transcript.Append(flight.WrittenSpan);
        records.Write(ContentType.Handshake, flight.WrittenSpan);
        WriteCompatibilityChangeCipherSpec();

        try
        {
            Span<byte> transcriptHash = stackalloc byte[Hash.HashLength()];
            _transcript.Hash(_suite.Hash, transcriptHash);
            using var early = resuming ? Tls13EarlySecrets.FromPsk(Hash, _resumption!.Secret, Tls13PskKind.Resumption) : Tls13EarlySecrets.WithoutPsk(Hash);
            _handshakeSecrets = clientShare is null
                ? early.ToHandshakeWithoutKeyExchange(transcriptHash)
                : early.ToHandshake(sharedSecret, transcriptHash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
        records.SetProtection(_handshakeSecrets.CreateServerProtection(_options.RecordCrypto, _suite.Aead));
        _connection.SetReadProtection(_handshakeSecrets.CreateClientProtection(_options.RecordCrypto, _suite.Aead));

        flight.Reset();
        new EncryptedExtensions
        {
            // As in RFC 6066 §3 for resumed sessions, server_name is acknowledged only in full handshakes.
            ServerNameAcknowledged = _clientHello.ServerName is not null && !resuming,
            AlpnProtocol = _applicationProtocol is null ? null : Encoding.ASCII.GetBytes(_applicationProtocol),
        }.Write(flight);
        // RFC 8446 §4.3.2: a server authenticating with a PSK must not send CertificateRequest; nor does it send
        // Certificate or CertificateVerify (§2.2).
        bool requestCertificate = _options.ClientAuthentication != ClientAuthenticationMode.None && !resuming;
        if (requestCertificate)
        {
            new CertificateRequestTls13
            {
                SignatureAlgorithms = SignatureSchemes.ClientAuthenticationTls13,
                CertificateAuthorities = _options.ClientTrustAnchors.Count > 0
                    ? _options.ClientTrustAnchors.Select(c => c.SubjectName.RawData).ToArray()
                    : null,
            }.Write(flight);
        }
        if (!resuming)
        {
            new CertificateTls13 { CertificateList = _certificate.ChainDer.Select(der => new CertificateEntry(der)).ToList() }.Write(flight);
            _transcript.Append(flight.WrittenSpan);
            int beforeVerify = flight.Length;
            await WriteServerCertificateVerifyAsync(flight, cancellationToken).ConfigureAwait(false);
            _transcript.Append(flight.WrittenSpan[beforeVerify..]);
        }
        else
        {
            _transcript.Append(flight.WrittenSpan);
        }

        int beforeFinished = flight.Length;
        WriteServerFinished(flight);
        _transcript.Append(flight.WrittenSpan[beforeFinished..]);
        records.Write(ContentType.Handshake, flight.WrittenSpan);

        // Application secrets come from the transcript through the server Finished (RFC 8446 §7.1).
        Span<byte> throughServerFinished = stackalloc byte[Hash.HashLength()];
        _transcript.Hash(_suite.Hash, throughServerFinished);
        _applicationSecrets = _handshakeSecrets.ToApplication(throughServerFinished);
        records.SetProtection(_applicationSecrets.CreateServerProtection(_options.RecordCrypto, _suite.Aead));
        await _connection.FlushHandshakeAsync(cancellationToken).ConfigureAwait(false);

        _state = requestCertificate ? State.ExpectClientCertificate : State.ExpectFinished;
    }

    /// <summary>RFC 8446 Appendix D.4: in compatibility mode (non-empty session id) one dummy change_cipher_spec follows our first flight.</summary>
    private void WriteCompatibilityChangeCipherSpec()
    {
        if (_sentChangeCipherSpec || _clientHello.LegacySessionId.Length == 0)
            return;
        _connection.Records.Write(ContentType.ChangeCipherSpec, [1]);
        _sentChangeCipherSpec = true;
    }

    /// <summary>RFC 8446 §4.4.3: sign 64 spaces, the context string, a zero byte and the transcript hash.</summary>
    private async ValueTask WriteServerCertificateVerifyAsync(TlsWriter flight, CancellationToken cancellationToken)
    {
        var content = BuildSignedContent(ServerSignatureContext);
        var signature = new byte[_certificate.Key.MaxSignatureLength];
        int length = await _certificate.Key.SignAsync(_signatureScheme, content, signature, cancellationToken).ConfigureAwait(false);
        new CertificateVerify { SignatureScheme = _signatureScheme, Signature = signature.AsSpan(0, length).ToArray() }.Write(flight);
    }

    private byte[] BuildSignedContent(string context)
    {
        int hashLength = Hash.HashLength();
        var content = new byte[64 + context.Length + 1 + hashLength];
        content.AsSpan(0, 64).Fill(0x20);
        Encoding.ASCII.GetBytes(context, content.AsSpan(64));
        content[64 + context.Length] = 0;
        _transcript.Hash(_suite.Hash, content.AsSpan(64 + context.Length + 1));
        return content;
    }

    private void WriteServerFinished(TlsWriter flight)
    {
        Span<byte> transcriptHash = stackalloc byte[Hash.HashLength()];
        _transcript.Hash(_suite.Hash, transcriptHash);
        Span<byte> verifyData = stackalloc byte[Hash.HashLength()];
        _handshakeSecrets!.ComputeServerFinished(transcriptHash, verifyData);
        Finished.Write(flight, verifyData);
    }

    /// <summary>Step 3 (when requested): the client's Certificate (RFC 8446 §4.4.2, §4.4.2.4).</summary>
    private void ReadClientCertificate(ReadOnlySpan<byte> body)
    {
        var certificate = CertificateTls13.Parse(body);
        // RFC 8446 §4.4.2: in the main handshake the request context is empty, so must the echo be.
        if (certificate.CertificateRequestContext.Length != 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "client Certificate with a request context");
        if (certificate.CertificateList.Count == 0)
        {
            // RFC 8446 §4.4.2.4: certificate_required when the server requires one.
            if (_options.ClientAuthentication == ClientAuthenticationMode.Require)
                throw new TlsProtocolException(AlertDescription.CertificateRequired, "client certificate required but none sent");
            return;
        }
        var chain = certificate.CertificateList.Select(e => e.CertData).ToArray();
        _clientCertificate = ClientCertificateValidator.Validate(chain, _options.ClientTrustAnchors, _options.Time.GetUtcNow());
    }

    /// <summary>Step 4: the client's signature over the transcript with its own context string (RFC 8446 §4.4.3).</summary>
    private void ReadClientCertificateVerify(ReadOnlySpan<byte> body)
    {
        var verify = CertificateVerify.Parse(body);
        if (Array.IndexOf(SignatureSchemes.ClientAuthenticationTls13, verify.SignatureScheme) < 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, $"CertificateVerify uses {verify.SignatureScheme}, which was not offered");
        var content = BuildSignedContent(ClientSignatureContext);
        if (!SignatureSchemes.Verify(_clientCertificate!, verify.SignatureScheme, content, verify.Signature))
            throw new TlsProtocolException(AlertDescription.DecryptError, "client CertificateVerify signature does not verify");
        _connection.Info.ClientIdentity = ClientCertificateValidator.DescribeIdentity(_clientCertificate!);
    }

    /// <summary>Step 5: the client's Finished, compared in constant time (RFC 8446 §4.4.4).</summary>
    private void ReadClientFinished(ReadOnlySpan<byte> body)
    {
        var finished = Finished.Parse(body, Hash.HashLength());
        Span<byte> transcriptHash = stackalloc byte[Hash.HashLength()];
        _transcript.Hash(_suite.Hash, transcriptHash);
        if (!_applicationSecrets!.VerifyClientFinished(transcriptHash, finished.VerifyData))
            throw new TlsProtocolException(AlertDescription.DecryptError, "client Finished does not verify");
        _handshakeSecrets?.Dispose();
        _handshakeSecrets = null;
    }

    public void Dispose()
    {
        _resumption?.Dispose();
        _handshakeSecrets?.Dispose();
        _applicationSecrets?.Dispose();
        _transcript.Dispose();
    }
}
