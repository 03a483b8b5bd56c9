using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using static Brisk.LoadTest.Engines.OpenSslNative;

namespace Brisk.LoadTest.Engines;

/// <summary>
/// Client engine over OpenSSL's libssl: one SSL_CTX per run, one SSL per connection bound to the
/// non-blocking socket fd. No thread ever blocks: when OpenSSL wants to read, the connection awaits a
/// zero-byte Socket.ReceiveAsync, which completes when the socket becomes readable (epoll), then retries.
/// </summary>
internal sealed class OpenSslEngine : IConnectionEngine
{
    private readonly LoadOptions _options;
    private readonly IPEndPoint _endpoint;
    private readonly nint _ctx;
    private readonly object _sessionLock = new();
    private nint _session; // SSL_SESSION* kept for resumption, guarded by _sessionLock
    private int _disposed;

    public string Name => "openssl";

    public OpenSslEngine(LoadOptions options, IPEndPoint endpoint)
    {
        _options = options;
        _endpoint = endpoint;
        _ctx = SSL_CTX_new(TLS_client_method());
        if (_ctx == 0) throw new InvalidOperationException("SSL_CTX_new failed: " + DrainErrorQueue("SSL_CTX_new").Key);
        try { Configure(options); }
        catch { SSL_CTX_free(_ctx); throw; }
    }

    private void Configure(LoadOptions o)
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new OptionsException($"{what} rejected by OpenSSL: {DrainErrorQueue(what).Detail}");
        }

        if (o.TlsVersion is int v)
        {
            Check(SSL_CTX_ctrl(_ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, v, 0) == 1, "min protocol version");
            Check(SSL_CTX_ctrl(_ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, v, 0) == 1, "max protocol version");
        }
        if (o.Ciphers is string ciphers)
        {
            // TLS 1.3 suites are configured separately from the TLS 1.2 cipher list in OpenSSL.
            if (ciphers.StartsWith("TLS_", StringComparison.Ordinal))
                Check(SSL_CTX_set_ciphersuites(_ctx, ciphers) == 1, "--ciphers (TLS 1.3 ciphersuites)");
            else
                Check(SSL_CTX_set_cipher_list(_ctx, ciphers) == 1, "--ciphers (TLS 1.2 cipher list)");
        }
        if (o.Groups is string groups)
        {
            nint p = Marshal.StringToCoTaskMemUTF8(groups);
            try { Check(SSL_CTX_ctrl(_ctx, SSL_CTRL_SET_GROUPS_LIST, 0, p) == 1, "--groups"); }
            finally { Marshal.FreeCoTaskMem(p); }
        }
        if (o.Alpn.Length > 0)
        {
            byte[] wire = AlpnWire(o.Alpn);
            unsafe
            {
                fixed (byte* w = wire) Check(SSL_CTX_set_alpn_protos(_ctx, w, (uint)wire.Length) == 0, "--alpn");
            }
        }
        // Sessions are kept by this engine (SSL_get1_session), not by OpenSSL's client cache.
        SSL_CTX_ctrl(_ctx, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_OFF, 0);
        if (o.Resume == ResumeMode.SessionId)
            SSL_CTX_set_options(_ctx, SSL_OP_NO_TICKET); // without the ticket extension the server falls back to session IDs
        else if (o.Resume == ResumeMode.None)
            SSL_CTX_set_options(_ctx, SSL_OP_NO_TICKET); // don't ask for TLS 1.2 tickets we would never use
        long mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
        if (o.Mode == RunMode.Idle) mode |= SSL_MODE_RELEASE_BUFFERS; // thousands of idle connections: drop their buffers
        SSL_CTX_ctrl(_ctx, SSL_CTRL_MODE, (nint)mode, 0);
        // Read ahead: one read() takes whatever the server's flight put in the socket instead of one read for
        // each record header and one for each record body.
        if (o.ReadAhead) SSL_CTX_ctrl(_ctx, SSL_CTRL_SET_READ_AHEAD, 1, 0);

        if (o.ClientCert is not null)
        {
            Check(SSL_CTX_use_certificate_chain_file(_ctx, o.ClientCert) == 1, "--client-cert");
            Check(SSL_CTX_use_PrivateKey_file(_ctx, o.ClientKey!, SSL_FILETYPE_PEM) == 1, "--client-key");
            Check(SSL_CTX_check_private_key(_ctx) == 1, "--client-key (does not match the certificate)");
        }
        if (o.VerifyCaFile is not null)
        {
            Check(SSL_CTX_load_verify_locations(_ctx, o.VerifyCaFile, null) == 1, "--verify");
            SSL_CTX_set_verify(_ctx, SSL_VERIFY_PEER, 0);
        }
        else
        {
            SSL_CTX_set_verify(_ctx, SSL_VERIFY_NONE, 0);
        }
        ERR_clear_error();
    }

    internal static byte[] AlpnWire(string[] protocols)
    {
        var wire = new List<byte>();
        foreach (string p in protocols)
        {
            byte[] b = Encoding.ASCII.GetBytes(p);
            if (b.Length is 0 or > 255) throw new OptionsException($"--alpn: bad protocol '{p}'");
            wire.Add((byte)b.Length);
            wire.AddRange(b);
        }
        return wire.ToArray();
    }

    public async ValueTask<IClientConnection> ConnectAsync(bool tryResume, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        nint ssl = 0;
        try
        {
            try
            {
                await socket.ConnectAsync(_endpoint, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new ConnectionFailedException(SocketErrorKind(e));
            }
            ssl = SSL_new(_ctx);
            if (ssl == 0) throw new ConnectionFailedException(DrainErrorQueue("SSL_new"));
            // After an async operation the .NET socket is non-blocking, so OpenSSL's read() returns EAGAIN.
            SSL_set_fd(ssl, (int)socket.Handle);
            SetHostName(ssl);
            if (tryResume) ApplySession(ssl);

            while (true)
            {
                int ret = SSL_connect(ssl);
                if (ret == 1) break;
                int errno = Marshal.GetLastPInvokeError();
                int err = SSL_get_error(ssl, ret);
                if (err == SSL_ERROR_WANT_READ)
                    await WaitReadableAsync(socket, cancellationToken).ConfigureAwait(false);
                else if (err == SSL_ERROR_WANT_WRITE)
                    await WaitWritableAsync(socket, cancellationToken).ConfigureAwait(false);
                else
                    throw new ConnectionFailedException(Classify(err, errno, "handshake"));
            }
            var connection = new OpenSslConnection(this, socket, ssl, SSL_session_reused(ssl) == 1);
            if (_options.Resume != ResumeMode.None && !connection.Resumed) OfferSession(ssl);
            return connection;
        }
        catch
        {
            if (ssl != 0) { SSL_free(ssl); ERR_clear_error(); }
            socket.Dispose();
            throw;
        }
    }

    private void SetHostName(nint ssl)
    {
        string? sni = _options.Sni;
        if (sni is null) return;
        nint p = Marshal.StringToCoTaskMemUTF8(sni);
        try { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, p); }
        finally { Marshal.FreeCoTaskMem(p); }
        if (_options.VerifyCaFile is not null) SSL_set1_host(ssl, sni);
    }

    private void ApplySession(nint ssl)
    {
        lock (_sessionLock)
        {
            if (_session != 0) SSL_set_session(ssl, _session); // takes its own reference
        }
    }

    /// <summary>Keeps this connection's session for later resumption when it is resumable (TLS 1.3: once a ticket arrived).</summary>
    internal bool OfferSession(nint ssl)
    {
        nint session = SSL_get1_session(ssl);
        if (session == 0) return false;
        if (SSL_SESSION_is_resumable(session) != 1) { SSL_SESSION_free(session); return false; }
        nint old;
        lock (_sessionLock) { old = _session; _session = session; }
        if (old != 0) SSL_SESSION_free(old);
        return true;
    }

    internal bool HasSession { get { lock (_sessionLock) return _session != 0; } }

    internal static ValueTask<int> WaitReadableAsync(Socket socket, CancellationToken ct) =>
        socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct);

    internal static async ValueTask WaitWritableAsync(Socket socket, CancellationToken ct)
    {
        // Rare on loopback (the send buffer is full); poll without blocking a thread.
        while (!socket.Poll(0, SelectMode.SelectWrite))
            await Task.Delay(1, ct).ConfigureAwait(false);
    }

    internal static ConnectionError Classify(int sslError, int errno, string where)
    {
        if (sslError == SSL_ERROR_SYSCALL)
        {
            ConnectionError queued = DrainErrorQueue(where);
            if (queued.Kind != ErrorKind.Other || queued.Detail != where) return queued;
            return errno switch
            {
                Errno.ECONNRESET or Errno.EPIPE => ConnectionError.Reset(),
                Errno.ECONNREFUSED => ConnectionError.Refused,
                Errno.ETIMEDOUT => ConnectionError.TimedOut,
                0 => ConnectionError.Reset("eof"), // EOF in violation of the protocol
                _ => ConnectionError.Other($"errno_{errno}"),
            };
        }
        if (sslError == SSL_ERROR_ZERO_RETURN) { ERR_clear_error(); return ConnectionError.Reset("close_notify"); }
        return DrainErrorQueue($"{where}_ssl_error_{sslError}");
    }

    internal static ConnectionError SocketErrorKind(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => ConnectionError.Refused,
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => ConnectionError.Reset(),
        SocketError.TimedOut => ConnectionError.TimedOut,
        _ => ConnectionError.Other(e.SocketErrorCode.ToString()),
    };

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_sessionLock)
        {
            if (_session != 0) { SSL_SESSION_free(_session); _session = 0; }
        }
        SSL_CTX_free(_ctx);
    }
}

internal sealed class OpenSslConnection : IClientConnection
{
    private readonly OpenSslEngine _engine;
    private readonly Socket _socket;
    private nint _ssl;

    public bool Resumed { get; }

    public OpenSslConnection(OpenSslEngine engine, Socket socket, nint ssl, bool resumed)
    {
        _engine = engine;
        _socket = socket;
        _ssl = ssl;
        Resumed = resumed;
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            int n = TryWrite(data.Span, out int err, out int errno);
            if (n > 0) { data = data[n..]; continue; }
            if (err == SSL_ERROR_WANT_WRITE) await OpenSslEngine.WaitWritableAsync(_socket, ct).ConfigureAwait(false);
            else if (err == SSL_ERROR_WANT_READ) await OpenSslEngine.WaitReadableAsync(_socket, ct).ConfigureAwait(false);
            else throw new ConnectionFailedException(OpenSslEngine.Classify(err, errno, "write"));
        }
    }

    private unsafe int TryWrite(ReadOnlySpan<byte> data, out int err, out int errno)
    {
        fixed (byte* p = data)
        {
            int n = SSL_write(_ssl, p, data.Length);
            errno = Marshal.GetLastPInvokeError();
            err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(_ssl, n);
            return n;
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            int n = TryRead(buffer.Span, out int err, out int errno);
            if (n > 0) return n;
            if (err == SSL_ERROR_WANT_READ) await OpenSslEngine.WaitReadableAsync(_socket, ct).ConfigureAwait(false);
            else if (err == SSL_ERROR_WANT_WRITE) await OpenSslEngine.WaitWritableAsync(_socket, ct).ConfigureAwait(false);
            else if (err == SSL_ERROR_ZERO_RETURN) { ERR_clear_error(); return 0; }
            else
            {
                ConnectionError e = OpenSslEngine.Classify(err, errno, "read");
                // A server that closes without close_notify after its response (HTTP/1.0 style) is end of stream.
                if (e.Kind == ErrorKind.Reset && e.Detail == "eof") return 0;
                throw new ConnectionFailedException(e);
            }
        }
    }

    private unsafe int TryRead(Span<byte> buffer, out int err, out int errno)
    {
        fixed (byte* p = buffer)
        {
            int n = SSL_read(_ssl, p, buffer.Length);
            errno = Marshal.GetLastPInvokeError();
            err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(_ssl, n);
            return n;
        }
    }

    public async ValueTask CaptureSessionAsync(CancellationToken ct)
    {
        if (Resumed || _engine.OfferSession(_ssl)) return;
        // TLS 1.3 (RFC 8446 §4.6.1): NewSessionTicket arrives after the handshake; SSL_read processes it.
        byte[] scratch = new byte[256];
        for (int i = 0; i < 8; i++)
        {
            int n = TryRead(scratch, out int err, out _);
            if (_engine.OfferSession(_ssl)) return;
            if (n > 0) continue;
            if (err != SSL_ERROR_WANT_READ) { ERR_clear_error(); return; }
            await OpenSslEngine.WaitReadableAsync(_socket, ct).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        nint ssl = Interlocked.Exchange(ref _ssl, 0);
        if (ssl == 0) return;
        SSL_shutdown(ssl); // one close_notify, don't wait for the peer's
        SSL_free(ssl);
        ERR_clear_error();
        _socket.Dispose();
    }
}
