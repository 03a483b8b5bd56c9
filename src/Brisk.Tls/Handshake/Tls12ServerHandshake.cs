using System.Buffers.Binary;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto;
using Brisk.Tls.Codec;
using Brisk.Tls.Credentials;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;
using Brisk.Tls.Resumption;

namespace Brisk.Tls.Handshake;

/// <summary>
/// The TLS 1.2 server handshake (RFC 5246 §7.3). Full handshake:
/// ClientHello → ServerHello, Certificate, [ServerKeyExchange], [CertificateRequest], ServerHelloDone →
/// [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished →
/// [NewSessionTicket], ChangeCipherSpec, Finished.
/// Abbreviated handshake, resuming a session from a ticket (RFC 5077 §3.1) or the session-ID cache:
/// ClientHello → ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished → ChangeCipherSpec, Finished. One method per step, called in that order; the state says which message
/// may come next, and anything else is unexpected_message. Per-handshake secrets live here and are
/// erased when the handshake ends.
/// </summary>
internal sealed class Tls12ServerHandshake : IDisposable
{
    private const int VerifyDataLength = Tls12KeyDerivation.VerifyDataLength;
    private const int MasterSecretLength = Tls12KeyDerivation.MasterSecretLength;

    private enum State
    {
        ExpectClientCertificate,
        ExpectClientKeyExchange,
        ExpectCertificateVerify,
        ExpectChangeCipherSpec,
        ExpectFinished,
        Complete,
    }

    private readonly TlsServerConnection _connection;
    private readonly TlsServerOptions _options;
    private readonly ClientHello _clientHello;
    private readonly HandshakeTranscript _transcript = new();
    private readonly byte[] _serverRandom = new byte[32];
    private readonly byte[] _masterSecret = new byte[MasterSecretLength];
    private State _state;
    private CipherSuiteInfo _suite = null!;
    private ServerCertificate _certificate = null!;
    private NamedGroup? _group;
    private IEphemeralKey? _ephemeralKey;
    private bool _extendedMasterSecret;
    private bool _secureRenegotiation;
    private string? _applicationProtocol;
    private bool _clientCertificateRequested;
    private X509Certificate2? _clientCertificate;
    private RecordProtection? _clientWriteProtection;
    private RecordProtection? _serverWriteProtection;
    private bool _resumed;
    private bool _issueTicket;
    private byte[] _sessionId = [];
    private DateTimeOffset _sessionCreatedAt;

    public Tls12ServerHandshake(TlsServerConnection connection, ClientHello clientHello, ReadOnlySpan<byte> clientHelloMessage)
    {
        _connection = connection;
        _options = connection.Options;
        _clientHello = clientHello;
        _transcript.Append(clientHelloMessage);
    }

    /// <summary>Step 1: choose the parameters from the ClientHello and send the server's first flight in one write.</summary>
    public async ValueTask SendServerFlightAsync(CancellationToken cancellationToken)
    {
        CheckClientHello();
        if (FindResumableSession() is { } session)
        {
            using (session.State)
                await SendAbbreviatedFlightAsync(session.State, session.RenewTicket, cancellationToken).ConfigureAwait(false);
            return;
        }
        SelectParameters();
        // RFC 7627 §5.3: only sessions with the extended master secret are resumed, so only they get a ticket or an ID.
        // RFC 5077 §3.2: a client's session_ticket extension (empty or not) asks for a new ticket; the server then
        // sends an empty session_id (§3.4) and, at the end, NewSessionTicket. Otherwise a cached session gets an ID.
        _issueTicket = _extendedMasterSecret && _options.TicketKeys is not null && _clientHello.SessionTicket is not null;
        if (_extendedMasterSecret && !_issueTicket && _options.SessionCache is not null)
            _sessionId = PooledRandom.GetBytes(32);

        using var flight = new TlsWriter(4096);
        WriteServerHello(flight);
        WriteCertificate(flight);
        if (_suite.KeyExchange != KeyExchangeAlgorithm.Rsa)
            await WriteServerKeyExchangeAsync(flight, cancellationToken).ConfigureAwait(false);
        if (_options.ClientAuthentication != ClientAuthenticationMode.None)
            WriteCertificateRequest(flight);
        HandshakeHeader.WriteEmpty(flight, HandshakeType.ServerHelloDone);

        _transcript.Append(flight.WrittenSpan);
        _connection.Records.Write(ContentType.Handshake, flight.WrittenSpan);
        await _connection.FlushHandshakeAsync(cancellationToken).ConfigureAwait(false);
        _state = _clientCertificateRequested ? State.ExpectClientCertificate : State.ExpectClientKeyExchange;
    }

    public async ValueTask HandleMessageAsync(HandshakeType type, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var body = message[HandshakeHeader.Length..];
        switch (_state, type)
        {
            case (State.ExpectClientCertificate, HandshakeType.Certificate):
                ReadClientCertificate(body.Span);
                _transcript.Append(message.Span);
                _state = State.ExpectClientKeyExchange;
                break;
            case (State.ExpectClientKeyExchange, HandshakeType.ClientKeyExchange):
                _transcript.Append(message.Span);
                await ReadClientKeyExchangeAsync(body, cancellationToken).ConfigureAwait(false);
                _state = _clientCertificate is not null ? State.ExpectCertificateVerify : State.ExpectChangeCipherSpec;
                break;
            case (State.ExpectCertificateVerify, HandshakeType.CertificateVerify):
                ReadCertificateVerify(body.Span);
                _transcript.Append(message.Span);
                // Chain and proof of possession are verified: now the operator's policy (e.g. the directory check).
                await ClientCertificatePolicyCheck.EnforceAsync(_connection, _connection.Info.ClientIdentity!, cancellationToken).ConfigureAwait(false);
                _state = State.ExpectChangeCipherSpec;
                break;
            case (State.ExpectFinished, HandshakeType.Finished):
                ReadClientFinished(body.Span);
                _transcript.Append(message.Span);
                if (!_resumed)
                    await SendServerFinishedAsync(cancellationToken).ConfigureAwait(false);
                _state = State.Complete;
                _connection.CompleteHandshake();
                break;
            default:
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unexpected {type} while {_state}");
        }
    }

    /// <summary>Step 5: the client's ChangeCipherSpec switches its direction to the new keys (RFC 5246 §7.1).</summary>
    public void HandleChangeCipherSpec()
    {
        if (_state != State.ExpectChangeCipherSpec)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"ChangeCipherSpec while {_state}");
        _connection.SetReadProtection(_clientWriteProtection!);
        _clientWriteProtection = null; // owned by the connection now
        _state = State.ExpectFinished;
    }

    private void CheckClientHello()
    {
        // RFC 5246 §7.4.1.2: the list must offer the null compression method.
        if (Array.IndexOf(_clientHello.CompressionMethods, (byte)0) < 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "ClientHello does not offer null compression");
        // RFC 5746 §3.6: on an initial handshake renegotiated_connection must be empty.
        if (_clientHello.RenegotiationInfo is { Length: > 0 })
            throw new TlsProtocolException(AlertDescription.HandshakeFailure, "non-empty renegotiation_info on an initial handshake");
        _secureRenegotiation = _clientHello.RenegotiationInfo is not null || _clientHello.HasEmptyRenegotiationInfoScsv;
        // RFC 8422 §5.1.2: if point formats are listed, uncompressed must be among them.
        if (_clientHello.EcPointFormats is { } formats && Array.IndexOf(formats, (byte)EcPointFormat.Uncompressed) < 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "ec_point_formats without uncompressed");
    }

    /// <summary>Picks suite, certificate, group and ALPN protocol, all in server preference order.</summary>
    private void SelectParameters()
    {
        var offeredSuites = _clientHello.CipherSuites;
        var offeredSchemes = (IReadOnlyList<SignatureScheme>?)_clientHello.SignatureAlgorithms ?? [];
        NamedGroup? group = SelectGroup();
        string? serverName = _clientHello.ServerName;

        foreach (var suite in _options.Tls12CipherSuites)
        {
            if (Array.IndexOf(offeredSuites, suite.Suite) < 0)
                continue;
            if (suite.KeyExchange != KeyExchangeAlgorithm.Rsa && group is null)
                continue;
            var certificate = SelectCertificate(suite, offeredSchemes, serverName);
            if (certificate is null)
                continue;
            _suite = suite;
            _certificate = certificate;
            _group = suite.KeyExchange == KeyExchangeAlgorithm.Rsa ? null : group;
            break;
        }
        if (_suite is null)
            throw new TlsProtocolException(AlertDescription.HandshakeFailure, "no cipher suite in common");

        _extendedMasterSecret = _clientHello.ExtendedMasterSecret;
        _applicationProtocol = SelectApplicationProtocol(_clientHello.AlpnProtocols, _options.ApplicationProtocols);
        _clientCertificateRequested = _options.ClientAuthentication != ClientAuthenticationMode.None;

        var info = _connection.Info;
        info.CipherSuite = _suite.Suite;
        info.Group = _group;
        info.ServerName = serverName;
        info.ApplicationProtocol = _applicationProtocol;
        info.ExtendedMasterSecret = _extendedMasterSecret;
    }

    private NamedGroup? SelectGroup()
    {
        // RFC 8422 §4: a client without supported_groups is assumed to support secp256r1 (and, in practice, x25519 is not assumed).
        var offered = _clientHello.SupportedGroups ?? [(ushort)NamedGroup.Secp256r1];
        foreach (var group in _options.Groups)
        {
            if (Array.IndexOf(offered, (ushort)group) >= 0)
                return group;
        }
        return null;
    }

    private ServerCertificate? SelectCertificate(CipherSuiteInfo suite, IReadOnlyList<SignatureScheme> offeredSchemes, string? serverName) =>
        _options.SelectCertificate(serverName, certificate =>
            suite.IsUsableWith(certificate.KeyType)
            // RFC 8422 §5.1: in TLS 1.2 supported_groups also limits the curve of an ECDSA certificate.
            && ClientSupportsCurveOf(certificate)
            // ECDHE suites sign with the certificate's key: the client must accept one of its schemes (RFC 5246 §7.4.1.4.1).
            && (suite.KeyExchange == KeyExchangeAlgorithm.Rsa || certificate.TryChooseSignatureScheme(offeredSchemes, tls13: false, out _)));

    private bool ClientSupportsCurveOf(ServerCertificate certificate)
    {
        var curve = certificate.KeyType switch
        {
            CredentialKeyType.EcdsaP256 => NamedGroup.Secp256r1,
            CredentialKeyType.EcdsaP384 => NamedGroup.Secp384r1,
            _ => (NamedGroup?)null,
        };
        return curve is null || _clientHello.SupportedGroups is null || Array.IndexOf(_clientHello.SupportedGroups, (ushort)curve.Value) >= 0;
    }

    internal static string? SelectApplicationProtocol(byte[][]? offered, IReadOnlyList<string> supported)
    {
        if (offered is null || supported.Count == 0)
            return null;
        foreach (var protocol in supported)
        {
            var bytes = Encoding.ASCII.GetBytes(protocol);
            if (offered.Any(o => o.AsSpan().SequenceEqual(bytes)))
                return protocol;
        }
        // RFC 7301 §3.2: no overlap is fatal.
        throw new TlsProtocolException(AlertDescription.NoApplicationProtocol, "no ALPN protocol in common");
    }

    private void WriteServerHello(TlsWriter flight)
    {
        PooledRandom.Fill(_serverRandom);
        if (_options.EnableTls13)
        {
            // RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 marks its random so 1.3 clients detect downgrades.
            ServerHello.DowngradeSentinelTls12.CopyTo(_serverRandom.AsSpan(24));
        }
        var hello = new ServerHello
        {
            LegacyVersion = ProtocolVersion.Tls12,
            Random = _serverRandom,
            SessionId = _sessionId,
            CipherSuite = _suite.Suite,
            SessionTicket = _issueTicket,
            RenegotiationInfo = _secureRenegotiation ? [] : null,
            ExtendedMasterSecret = _extendedMasterSecret,
            AlpnProtocol = _applicationProtocol is null ? null : Encoding.ASCII.GetBytes(_applicationProtocol),
            EcPointFormats = _group is not null && _clientHello.EcPointFormats is not null ? [(byte)EcPointFormat.Uncompressed] : null,
        };
        hello.Write(flight);
    }

    private void WriteCertificate(TlsWriter flight) => new CertificateTls12 { CertificateList = [.. _certificate.ChainDer] }.Write(flight);

    /// <summary>RFC 8422 §5.4: ephemeral ECDH parameters signed over client_random + server_random + params.</summary>
    private async ValueTask WriteServerKeyExchangeAsync(TlsWriter flight, CancellationToken cancellationToken)
    {
        var group = _group!.Value;
        _ephemeralKey = _options.KeyExchange.Generate(group);
        _certificate.TryChooseSignatureScheme((IReadOnlyList<SignatureScheme>?)_clientHello.SignatureAlgorithms ?? [], tls13: false, out var scheme);

        var publicKey = _ephemeralKey.PublicKey.ToArray();
        using var signed = new TlsWriter(256);
        EcdheServerKeyExchange.WriteSignedData(signed, _clientHello.Random, _serverRandom, (ushort)group, publicKey);

        var signature = new byte[_certificate.Key.MaxSignatureLength];
        int signatureLength = await _certificate.Key.SignAsync(scheme, signed.WrittenMemory, signature, cancellationToken).ConfigureAwait(false);
        new EcdheServerKeyExchange
        {
            NamedGroup = (ushort)group,
            PublicKey = publicKey,
            SignatureScheme = scheme,
            Signature = signature.AsSpan(0, signatureLength).ToArray(),
        }.Write(flight);
    }

    /// <summary>RFC 5246 §7.4.4: certificate types, the schemes we verify, and the names of our trust anchors.</summary>
    private void WriteCertificateRequest(TlsWriter flight)
    {
        new CertificateRequestTls12
        {
            CertificateTypes = [ClientCertificateType.RsaSign, ClientCertificateType.EcdsaSign],
            SupportedSignatureAlgorithms = SignatureSchemes.ClientAuthentication,
            CertificateAuthorities = _options.ClientTrustAnchors.Select(c => c.SubjectName.RawData).ToArray(),
        }.Write(flight);
    }

    /// <summary>Step 2 (when requested): the client's chain, checked against our trust anchors only.</summary>
    private void ReadClientCertificate(ReadOnlySpan<byte> body)
    {
        var message = CertificateTls12.Parse(body);
        if (message.CertificateList.Length == 0)
        {
            // RFC 5246 §7.4.6: a server that requires a certificate may answer its absence with handshake_failure.
            if (_options.ClientAuthentication == ClientAuthenticationMode.Require)
                throw new TlsProtocolException(AlertDescription.HandshakeFailure, "client certificate required but none sent");
            return;
        }
        _clientCertificate = ClientCertificateValidator.Validate(message.CertificateList, _options.ClientTrustAnchors, _options.Time.GetUtcNow());
    }

    /// <summary>Step 3: the pre-master secret (RSA-decrypted or ECDH), then master secret and keys (RFC 5246 §8.1, RFC 7627 §4).</summary>
    private async ValueTask ReadClientKeyExchangeAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        byte[] premaster;
        if (_suite.KeyExchange == KeyExchangeAlgorithm.Rsa)
        {
            var encrypted = ClientKeyExchange.ParseRsa(body.Span).ExchangeKeys;
            premaster = new byte[48];
            // RFC 5246 §7.4.7.1: never fails; a bad block silently becomes a random pre-master secret.
            await _certificate.Key.DecryptPremasterSecretAsync(encrypted, _clientHello.LegacyVersion, premaster, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var point = ClientKeyExchange.ParseEcdhe(body.Span).ExchangeKeys;
            premaster = new byte[_group!.Value.SharedSecretLength()];
            // Async so that concurrent handshakes' X25519 derivations can share one multi-lane kernel call.
            if (!await _ephemeralKey!.DeriveSharedSecretAsync(point, premaster, cancellationToken).ConfigureAwait(false))
                throw new TlsProtocolException(AlertDescription.IllegalParameter, "invalid ECDH public key from the client");
            _ephemeralKey.Dispose();
            _ephemeralKey = null;
        }

        try
        {
            if (_extendedMasterSecret)
            {
                // RFC 7627 §4: session_hash covers the messages up to and including ClientKeyExchange.
                Span<byte> sessionHash = stackalloc byte[_suite.HashLength];
                _transcript.Hash(_suite.Hash, sessionHash);
                Tls12KeyDerivation.ComputeExtendedMasterSecret(PrfHash, premaster, sessionHash, _masterSecret);
            }
            else
            {
                Tls12KeyDerivation.ComputeMasterSecret(PrfHash, premaster, _clientHello.Random, _serverRandom, _masterSecret);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(premaster);
        }
        DeriveRecordProtection();
    }

    /// <summary>RFC 5246 §6.3 key_block → client/server write keys and IVs.</summary>
    private void DeriveRecordProtection()
    {
        int keyLength = _suite.KeyLength;
        int ivLength = _suite.Tls12FixedIvLength;
        var keyBlock = new byte[2 * (keyLength + ivLength)];
        try
        {
            var keys = Tls12KeyDerivation.DeriveKeyBlock(PrfHash, _masterSecret, _clientHello.Random, _serverRandom, keyLength, ivLength, keyBlock);
            var scheme = _suite.Aead == Crypto.Aead.AeadAlgorithm.ChaCha20Poly1305 ? RecordNonceScheme.Tls12XorNonce : RecordNonceScheme.Tls12ExplicitNonce;
            _clientWriteProtection = new RecordProtection(_options.RecordCrypto.Create(_suite.Aead, keys.ClientWriteKey), keys.ClientWriteIv, scheme);
            _serverWriteProtection = new RecordProtection(_options.RecordCrypto.Create(_suite.Aead, keys.ServerWriteKey), keys.ServerWriteIv, scheme);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyBlock);
        }
    }

    /// <summary>Step 4 (with a client certificate): its signature over every handshake message so far (RFC 5246 §7.4.8).</summary>
    private void ReadCertificateVerify(ReadOnlySpan<byte> body)
    {
        var verify = CertificateVerify.Parse(body);
        if (Array.IndexOf(SignatureSchemes.ClientAuthentication, verify.SignatureScheme) < 0)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, $"CertificateVerify uses {verify.SignatureScheme}, which was not offered");
        if (!SignatureSchemes.Verify(_clientCertificate!, verify.SignatureScheme, _transcript.Messages, verify.Signature))
            throw new TlsProtocolException(AlertDescription.DecryptError, "client CertificateVerify signature does not verify");
        _connection.Info.ClientIdentity = ClientCertificateValidator.DescribeIdentity(_clientCertificate!);
    }

    /// <summary>Step 6: the client's Finished, compared in constant time (RFC 5246 §7.4.9).</summary>
    private void ReadClientFinished(ReadOnlySpan<byte> body)
    {
        var finished = Finished.Parse(body, VerifyDataLength);
        Span<byte> expected = stackalloc byte[VerifyDataLength];
        ComputeVerifyData(fromClient: true, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, finished.VerifyData))
            throw new TlsProtocolException(AlertDescription.DecryptError, "client Finished does not verify");
    }

    /// <summary>Step 7: our ChangeCipherSpec and Finished, in one write.</summary>
    private async ValueTask SendServerFinishedAsync(CancellationToken cancellationToken)
    {
        _sessionCreatedAt = _options.Time.GetUtcNow();
        if (_issueTicket)
            WriteNewSessionTicket();
        else if (_sessionId.Length > 0)
            _options.SessionCache!.Add(_sessionId, CreateSessionState());
        Span<byte> verifyData = stackalloc byte[VerifyDataLength];
        ComputeVerifyData(fromClient: false, verifyData);
        using var finished = new TlsWriter(32);
        Finished.Write(finished, verifyData);

        var records = _connection.Records;
        records.Write(ContentType.ChangeCipherSpec, [1]);
        records.SetProtection(_serverWriteProtection!);
        _serverWriteProtection = null; // owned by the record writer now
        records.Write(ContentType.Handshake, finished.WrittenSpan);
        _transcript.Append(finished.WrittenSpan);
        await _connection.FlushHandshakeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session this handshake established (or resumed), for a ticket or the cache.</summary>
    private SessionState CreateSessionState() => new()
    {
        Version = ProtocolVersion.Tls12,
        CipherSuite = _suite.Suite,
        Secret = (byte[])_masterSecret.Clone(),
        ExtendedMasterSecret = _extendedMasterSecret,
        ApplicationProtocol = _applicationProtocol,
        ServerName = _clientHello.ServerName,
        ClientCertificate = _connection.Info.ClientIdentity?.Certificate.RawData,
        CreatedAt = _sessionCreatedAt,
        Lifetime = _options.TicketLifetime,
    };

    /// <summary>RFC 5077 §3.3: NewSessionTicket goes before our ChangeCipherSpec and is part of the Finished transcript.</summary>
    private void WriteNewSessionTicket()
    {
        byte[] ticket;
        using (var state = CreateSessionState())
            ticket = _options.TicketKeys!.SealSession(state);
        using var message = new TlsWriter(ticket.Length + 16);
        new NewSessionTicketTls12
        {
            TicketLifetimeHint = (uint)Math.Min(uint.MaxValue, _options.TicketLifetime.TotalSeconds),
            Ticket = ticket,
        }.Write(message);
        _transcript.Append(message.WrittenSpan);
        _connection.Records.Write(ContentType.Handshake, message.WrittenSpan);
    }

    /// <summary>
    /// A session the ClientHello may resume: from its ticket (RFC 5077 §3.4, preferred) or from the session-ID
    /// cache (RFC 5246 §7.4.1.2). Sessions that do not fit this hello are passed over (full handshake), except
    /// the one case RFC 7627 §5.3 makes fatal.
    /// </summary>
    private (SessionState State, bool RenewTicket)? FindResumableSession()
    {
        if (_options.TicketKeys is { } ticketKeys && _clientHello.SessionTicket is { Length: > 0 } ticket)
        {
            var state = ticketKeys.TryOpenSession(ticket, out bool sealedWithNewestKey);
            if (state is not null)
            {
                if (IsResumableOrDispose(state))
                    return (state, !sealedWithNewestKey);
            }
        }
        if (_options.SessionCache?.TryGet(_clientHello.LegacySessionId) is { } cached && IsResumableOrDispose(cached))
            return (cached, false);
        return null;
    }

    private bool IsResumableOrDispose(SessionState state)
    {
        bool resumable = false;
        try
        {
            resumable = IsResumable(state);
            return resumable;
        }
        finally
        {
            if (!resumable)
                state.Dispose();
        }
    }

    private bool IsResumable(SessionState state)
    {
        if (state.Version != ProtocolVersion.Tls12 || state.Secret.Length != MasterSecretLength)
            return false;
        // RFC 5246 §7.4.1.2: the client must offer the session's suite; we must still have it enabled.
        var suite = _options.Tls12CipherSuites.FirstOrDefault(s => s.Suite == state.CipherSuite);
        if (suite is null || Array.IndexOf(_clientHello.CipherSuites, state.CipherSuite) < 0)
            return false;
        // RFC 6066 §3: a server "MUST NOT accept the request to resume the session if the server_name extension contains a different name".
        if (!string.Equals(state.ServerName, _clientHello.ServerName, StringComparison.OrdinalIgnoreCase))
            return false;
        if (_options.ClientAuthentication == ClientAuthenticationMode.Require && state.ClientCertificate is null)
            return false;
        // RFC 7627 §5.3: a session without the extended master secret is not resumed (full handshake: MUST when the
        // new hello has the extension, and we choose it over aborting when neither has it); a session with it and a
        // hello without it "MUST abort the abbreviated handshake" (handshake_failure, §5.2).
        if (!state.ExtendedMasterSecret)
            return false;
        if (!_clientHello.ExtendedMasterSecret)
            throw new TlsProtocolException(AlertDescription.HandshakeFailure, "resumption of an extended-master-secret session without the extension (RFC 7627 §5.3)");
        return true;
    }

    /// <summary>
    /// RFC 5246 §7.3 abbreviated handshake: ServerHello echoing the client's session_id (RFC 5077 §3.4 for
    /// tickets), [NewSessionTicket when the ticket's key is no longer the newest], then our ChangeCipherSpec
    /// and Finished first; the client answers with its own.
    /// </summary>
    private async ValueTask SendAbbreviatedFlightAsync(SessionState session, bool renewTicket, CancellationToken cancellationToken)
    {
        _resumed = true;
        _suite = _options.Tls12CipherSuites.First(s => s.Suite == session.CipherSuite);
        _extendedMasterSecret = session.ExtendedMasterSecret;
        _applicationProtocol = SelectApplicationProtocol(_clientHello.AlpnProtocols, _options.ApplicationProtocols);
        session.Secret.CopyTo(_masterSecret);
        _sessionId = _clientHello.LegacySessionId;
        _sessionCreatedAt = session.CreatedAt; // a renewed ticket keeps the session's age: renewal never extends a session
        _issueTicket = renewTicket;

        var info = _connection.Info;
        info.CipherSuite = _suite.Suite;
        info.Group = null;
        info.ServerName = _clientHello.ServerName;
        info.ApplicationProtocol = _applicationProtocol;
        info.ExtendedMasterSecret = _extendedMasterSecret;
        info.Resumed = true;
        if (session.ClientCertificate is { } clientCertificate)
        {
            info.ClientIdentity = ClientCertificateValidator.DescribeIdentity(X509CertificateLoader.LoadCertificate(clientCertificate));
            // A resumed session re-admits its client: the policy is asked again before anything is sent, so a
            // certificate withdrawn since the full handshake is not let back in through a ticket or session ID.
            await ClientCertificatePolicyCheck.EnforceAsync(_connection, info.ClientIdentity, cancellationToken).ConfigureAwait(false);
        }

        using (var flight = new TlsWriter(512))
        {
            WriteServerHello(flight);
            _transcript.Append(flight.WrittenSpan);
            _connection.Records.Write(ContentType.Handshake, flight.WrittenSpan);
        }
        if (_issueTicket)
            WriteNewSessionTicket();
        DeriveRecordProtection();

        Span<byte> verifyData = stackalloc byte[VerifyDataLength];
        ComputeVerifyData(fromClient: false, verifyData);
        using var finished = new TlsWriter(32);
        Finished.Write(finished, verifyData);
        var records = _connection.Records;
        records.Write(ContentType.ChangeCipherSpec, [1]);
        records.SetProtection(_serverWriteProtection!);
        _serverWriteProtection = null; // owned by the record writer now
        records.Write(ContentType.Handshake, finished.WrittenSpan);
        _transcript.Append(finished.WrittenSpan);
        await _connection.FlushHandshakeAsync(cancellationToken).ConfigureAwait(false);
        _state = State.ExpectChangeCipherSpec;
    }

    private void ComputeVerifyData(bool fromClient, Span<byte> verifyData)
    {
        Span<byte> transcriptHash = stackalloc byte[_suite.HashLength];
        _transcript.Hash(_suite.Hash, transcriptHash);
        Tls12KeyDerivation.ComputeVerifyData(PrfHash, _masterSecret, fromClient, transcriptHash, verifyData);
    }

    private Tls12PrfHash PrfHash => _suite.Hash == HashAlgorithmName.SHA384 ? Tls12PrfHash.Sha384 : Tls12PrfHash.Sha256;

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_masterSecret);
        _ephemeralKey?.Dispose();
        _clientWriteProtection?.Dispose();
        _serverWriteProtection?.Dispose();
        _transcript.Dispose();
    }
}
