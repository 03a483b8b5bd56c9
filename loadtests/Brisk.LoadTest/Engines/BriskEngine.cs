using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Brisk.Crypto.KeyExchange;
using Brisk.LoadTest.Engines.Epoll;
using Brisk.Tls;
using Brisk.Tls.Client;
using Brisk.Tls.Codec;

namespace Brisk.LoadTest.Engines;

/// <summary>
/// Client engine over Brisk's own protocol code (<see cref="TlsClientConnection"/>, sans-I/O) driven straight
/// over a socket (<c>--io epoll</c>, the default: <see cref="EpollSocket"/> on one epoll loop per client core;
/// <c>--io socket</c>: .NET's async <see cref="Socket"/>): each flight is one send, each read takes whatever the
/// server's flight put in the socket. The server certificate's key is decoded once per run (<see cref="ServerKeyCache"/>), which is where
/// OpenSSL's client spends about a third of its handshake. The server's signature and Finished are checked;
/// the certificate chain is not (so <c>--verify</c> and client certificates are refused with this engine).
/// </summary>
internal sealed class BriskEngine : IConnectionEngine
{
    private readonly LoadOptions _options;
    private readonly IPEndPoint _endpoint;
    private readonly TlsClientOptions _clientOptions;
    private volatile TlsClientSession? _session;
    private readonly EpollLoop[]? _loops;
    private readonly byte[] _socketAddress;
    private int _nextLoop;

    public string Name => "brisk";

    public BriskEngine(LoadOptions options, IPEndPoint endpoint)
    {
        _options = options;
        _endpoint = endpoint;
        _clientOptions = CreateClientOptions(options);
        _socketAddress = EpollSocket.SocketAddress(endpoint);
        if (options.Io == IoMode.Epoll)
        {
            // One loop per core this process may run on (Environment.ProcessorCount follows sched_getaffinity, i.e.
            // taskset): with the load generator pinned to one core, one thread does all the work.
            int loops = Math.Max(1, Math.Min(Environment.ProcessorCount, options.Concurrency));
            _loops = new EpollLoop[loops];
            for (int i = 0; i < loops; i++) _loops[i] = new EpollLoop($"brisk epoll {i}");
        }
    }

    /// <summary>
    /// Whether the client's last handshake flight (TLS 1.3, resumed TLS 1.2: its Finished) may wait for the next
    /// write — the request, or the close_notify when the connection ends right after the handshake — and leave in the
    /// same segment, as browsers do with their first request. Not in idle mode: the connections are held without
    /// writing, and the server must see its handshake complete.
    /// </summary>
    private bool DeferLastFlight => _options.Mode != RunMode.Idle;

    /// <summary>The load generator's flags as client options; unsupported combinations are usage errors.</summary>
    internal static TlsClientOptions CreateClientOptions(LoadOptions o)
    {
        if (o.VerifyCaFile is not null)
            throw new OptionsException("--verify is not supported with --engine brisk, the default (it checks the server's signature and Finished, not its chain); use --engine openssl or sslstream");
        if (o.ClientCert is not null)
            throw new OptionsException("--client-cert is not supported with --engine brisk, the default; use --engine openssl or sslstream");
        if (o.Resume == ResumeMode.SessionId)
            throw new OptionsException("--resume id is not supported with --engine brisk, the default (tickets only); use --engine openssl");
        if (!LibCryptoKeyExchangeProvider.IsLibraryAvailable)
            throw new OptionsException("--engine brisk needs libcrypto.so.3 (OpenSSL 3) for its key exchange");

        IReadOnlyList<CipherSuiteInfo> tls12 = CipherSuites.Tls12Default, tls13 = CipherSuites.Tls13Default;
        if (o.Ciphers is string ciphers)
        {
            var list12 = new List<CipherSuiteInfo>();
            var list13 = new List<CipherSuiteInfo>();
            foreach (string name in ciphers.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string iana = SslStreamEngine.CipherSuiteByName(name).ToString();
                if (!CipherSuites.TryFind(iana, out var suite))
                    throw new OptionsException($"--ciphers: '{name}' is not a suite the brisk engine implements");
                (suite.IsTls13 ? list13 : list12).Add(suite);
            }
            // Like OpenSSL: TLS 1.3 names set the TLS 1.3 suites, the others the TLS 1.2 list.
            if (list12.Count > 0) tls12 = list12;
            if (list13.Count > 0) tls13 = list13;
        }
        IReadOnlyList<NamedGroup> groups = [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];
        if (o.Groups is string groupList)
        {
            groups = groupList.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(g => g.ToLowerInvariant() switch
                {
                    "x25519" => NamedGroup.X25519,
                    "p-256" or "prime256v1" or "secp256r1" => NamedGroup.Secp256r1,
                    "p-384" or "secp384r1" => NamedGroup.Secp384r1,
                    _ => throw new OptionsException($"--groups: '{g}' is not a group the brisk engine implements (x25519, P-256, P-384)"),
                }).ToArray();
        }
        return new TlsClientOptions
        {
            ServerName = o.Sni,
            ApplicationProtocols = o.Alpn,
            EnableTls12 = o.TlsVersion is null or 0x0303,
            EnableTls13 = o.TlsVersion is null or 0x0304,
            Tls12CipherSuites = tls12,
            Tls13CipherSuites = tls13,
            Groups = groups,
            EnableSessionTickets = o.Resume == ResumeMode.Ticket,
        };
    }

    public async ValueTask<IClientConnection> ConnectAsync(bool tryResume, CancellationToken cancellationToken)
    {
        IStreamTransport transport = _loops is { } loops
            ? EpollSocket.Connect(loops[(int)((uint)Interlocked.Increment(ref _nextLoop) % (uint)loops.Length)], _socketAddress)
            : await SocketTransport.ConnectAsync(_endpoint, cancellationToken).ConfigureAwait(false);
        BriskConnection? connection = null;
        try
        {
            connection = new BriskConnection(this, transport, new TlsClientConnection(_clientOptions, tryResume ? _session : null));
            await connection.HandshakeAsync(DeferLastFlight, cancellationToken).ConfigureAwait(false);
            // TLS 1.2 tickets arrive inside the handshake; TLS 1.3 ones after it (CaptureSessionAsync).
            if (_options.Resume != ResumeMode.None && !connection.Resumed)
                OfferSession(connection.Tls);
            return connection;
        }
        catch
        {
            if (connection is not null) connection.Dispose();
            else transport.Dispose();
            throw;
        }
    }

    internal bool OfferSession(TlsClientConnection tls)
    {
        if (tls.Session is not { } session) return false;
        _session = session;
        return true;
    }

    public void Dispose()
    {
        if (_loops is null) return;
        foreach (var loop in _loops) loop.Dispose();
    }
}

internal sealed class BriskConnection : IClientConnection
{
    // A TLS 1.2 record is at most 5 + 2^14 + 2048 bytes; room for two keeps reads large in bulk mode.
    private const int ReceiveBufferSize = 40 * 1024;

    private readonly BriskEngine _engine;
    private readonly IStreamTransport _transport;
    private readonly ArrayBufferWriter<byte> _output = new(2048);
    private readonly ArrayBufferWriter<byte> _plaintext = new(1024);
    private byte[]? _receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize); // null while idle (see ReleaseIdleBuffer)
    private int _receiveStart, _receiveEnd, _plaintextRead;
    private bool _eof;
    private int _disposed;

    public BriskConnection(BriskEngine engine, IStreamTransport transport, TlsClientConnection tls)
    {
        _engine = engine;
        _transport = transport;
        Tls = tls;
    }

    public TlsClientConnection Tls { get; }

    public bool Resumed => Tls.Resumed;

    /// <param name="deferLastFlight">
    /// Keep the client's last flight (TLS 1.3 and resumed TLS 1.2: its Finished) in the output buffer: it leaves
    /// with the next write (request or close_notify) or before the next read, one send instead of two.
    /// </param>
    public async ValueTask HandshakeAsync(bool deferLastFlight, CancellationToken ct)
    {
        Tls.Start(_output);
        await SendOutputAsync(ct).ConfigureAwait(false);
        while (!Tls.IsHandshakeComplete)
        {
            if (!await ReceiveAsync(ct).ConfigureAwait(false))
                throw new ConnectionFailedException(ConnectionError.Reset("eof"));
            ProcessReceived(); // a refused flight throws (the client's alert already sent)
            if (!Tls.IsHandshakeComplete || !deferLastFlight)
                await SendOutputAsync(ct).ConfigureAwait(false);
        }
        ReleaseIdleBuffer();
    }

    /// <summary>
    /// Returns the receive buffer to the pool when nothing is buffered: an idle connection (the idle mode holds
    /// thousands) then keeps only a few hundred bytes; the next read rents it again.
    /// </summary>
    private void ReleaseIdleBuffer()
    {
        if (_receive is { } buffer && _receiveStart == _receiveEnd)
        {
            _receive = null;
            _receiveStart = _receiveEnd = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
    /// <summary>Feeds the received bytes to the TLS connection and sends whatever it answered.</summary>
    private async ValueTask ProcessAsync(CancellationToken ct)
    {
        ProcessReceived();
        await SendOutputAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Feeds the received bytes to the TLS connection; its answer stays in <see cref="_output"/>. When the client
    /// refuses the server's flight, its alert is sent at once (best effort, non-blocking) and the failure is counted
    /// by alert name.
    /// </summary>
    private void ProcessReceived()
    {
        try
        {
            int consumed = Tls.Process(_receive.AsSpan(_receiveStart, _receiveEnd - _receiveStart), _output, _plaintext);
            _receiveStart += consumed;
        }
        catch (TlsAlertReceivedException e)
        {
            throw new ConnectionFailedException(ConnectionError.Alert(TlsAlerts.Name((int)e.Description)));
        }
        catch (TlsProtocolException e)
        {
            if (_output.WrittenCount > 0) _transport.TrySend(_output.WrittenSpan);
            _output.ResetWrittenCount();
            throw new ConnectionFailedException(ConnectionError.Other("client_sent_" + TlsAlerts.Name((int)e.Alert)), e.Message);
        }
        if (_receiveStart == _receiveEnd)
            _receiveStart = _receiveEnd = 0;
    }

    /// <summary>Reads more bytes from the socket; false at end of stream.</summary>
    private async ValueTask<bool> ReceiveAsync(CancellationToken ct)
    {
        if (_eof) return false;
        _receive ??= ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        if (_receiveStart > 0 && _receiveEnd == _receive.Length)
        {
            Buffer.BlockCopy(_receive, _receiveStart, _receive, 0, _receiveEnd - _receiveStart);
            _receiveEnd -= _receiveStart;
            _receiveStart = 0;
        }
        if (_receiveEnd == _receive.Length)
            throw new ConnectionFailedException(ConnectionError.Other("record_larger_than_receive_buffer"));
        // A flight kept back by HandshakeAsync goes out before waiting for the server.
        if (_output.WrittenCount > 0) await SendOutputAsync(ct).ConfigureAwait(false);
        int n = await _transport.ReceiveAsync(_receive.AsMemory(_receiveEnd), ct).ConfigureAwait(false);
        if (n == 0)
        {
            _eof = true;
            return false;
        }
        _receiveEnd += n;
        return true;
    }

    private async ValueTask SendOutputAsync(CancellationToken ct)
    {
        if (_output.WrittenCount == 0) return;
        try { await _transport.SendAsync(_output.WrittenMemory, ct).ConfigureAwait(false); }
        finally { _output.ResetWrittenCount(); }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        Tls.WriteApplicationData(data.Span, _output);
        await SendOutputAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (_plaintextRead == _plaintext.WrittenCount)
        {
            _plaintext.ResetWrittenCount();
            _plaintextRead = 0;
            if (Tls.PeerClosed) return 0;
            // Records already buffered first; the socket only when they are used up.
            if (_receiveEnd - _receiveStart >= 5 && TryProcessBuffered(out bool progressed) && progressed)
            {
                await SendOutputAsync(ct).ConfigureAwait(false);
                continue;
            }
            if (!await ReceiveAsync(ct).ConfigureAwait(false))
                return 0; // TCP FIN: end of stream (a server closing without close_notify, HTTP/1.0 style)
            await ProcessAsync(ct).ConfigureAwait(false);
        }
        int n = Math.Min(buffer.Length, _plaintext.WrittenCount - _plaintextRead);
        _plaintext.WrittenSpan.Slice(_plaintextRead, n).CopyTo(buffer.Span);
        _plaintextRead += n;
        return n;
    }

    /// <summary>Processes whole records already in the receive buffer; progressed = some were consumed.</summary>
    private bool TryProcessBuffered(out bool progressed)
    {
        int before = _receiveStart;
        try
        {
            _receiveStart += Tls.Process(_receive.AsSpan(_receiveStart, _receiveEnd - _receiveStart), _output, _plaintext);
        }
        catch (TlsAlertReceivedException e)
        {
            throw new ConnectionFailedException(ConnectionError.Alert(TlsAlerts.Name((int)e.Description)));
        }
        catch (TlsProtocolException e)
        {
            throw new ConnectionFailedException(ConnectionError.Other("client_sent_" + TlsAlerts.Name((int)e.Alert)), e.Message);
        }
        progressed = _receiveStart != before;
        if (_receiveStart == _receiveEnd) _receiveStart = _receiveEnd = 0;
        return true;
    }

    public async ValueTask CaptureSessionAsync(CancellationToken ct)
    {
        if (Resumed || _engine.OfferSession(Tls)) return;
        // TLS 1.3 (RFC 8446 §4.6.1): NewSessionTicket arrives after the handshake; read a few records for it.
        for (int i = 0; i < 8 && !Tls.PeerClosed; i++)
        {
            if (_receiveEnd - _receiveStart >= 5 && TryProcessBuffered(out bool progressed) && progressed)
            {
                if (_engine.OfferSession(Tls)) return;
                continue;
            }
            if (!await ReceiveAsync(ct).ConfigureAwait(false)) return;
            await ProcessAsync(ct).ConfigureAwait(false);
            if (_engine.OfferSession(Tls)) return;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            // One close_notify (RFC 8446 §6.1), without waiting for the server's; after a Finished still kept back
            // by HandshakeAsync, in the same send.
            if (Tls.IsHandshakeComplete)
            {
                Tls.WriteCloseNotify(_output);
                _transport.TrySend(_output.WrittenSpan);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException) { }
        _output.ResetWrittenCount();
        _transport.Dispose();
        Tls.Dispose();
        var buffer = Interlocked.Exchange(ref _receive, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
