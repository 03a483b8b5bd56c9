using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Brisk.LoadTest.Engines;

/// <summary>
/// Client engine over .NET's SslStream: an independent cross-check of the OpenSSL engine (on Linux
/// SslStream itself sits on OpenSSL, but through .NET's own PAL, buffering and session cache).
/// </summary>
internal sealed class SslStreamEngine : IConnectionEngine
{
    private readonly IPEndPoint _endpoint;
    private readonly SslClientAuthenticationOptions _authOptions;
    private readonly X509Certificate2? _clientCert;

    public string Name => "sslstream";

    public SslStreamEngine(LoadOptions o, IPEndPoint endpoint)
    {
        _endpoint = endpoint;
        _authOptions = new SslClientAuthenticationOptions
        {
            TargetHost = o.Sni ?? "",
            EnabledSslProtocols = o.TlsVersion switch
            {
                0x0303 => SslProtocols.Tls12,
                0x0304 => SslProtocols.Tls13,
                _ => SslProtocols.Tls12 | SslProtocols.Tls13,
            },
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // .NET resumes through its own per-target cache; only all-or-nothing is controllable.
            AllowTlsResume = o.Resume != ResumeMode.None,
        };
        if (o.Ciphers is string ciphers)
        {
            if (OperatingSystem.IsWindows()) throw new OptionsException("--ciphers with the sslstream engine needs Linux or macOS");
            var suites = new List<TlsCipherSuite>();
            foreach (string name in ciphers.Split(':', StringSplitOptions.RemoveEmptyEntries))
                suites.Add(CipherSuiteByName(name));
            _authOptions.CipherSuitesPolicy = new CipherSuitesPolicy(suites);
        }
        if (o.Alpn.Length > 0)
            _authOptions.ApplicationProtocols = o.Alpn.Select(p => new SslApplicationProtocol(p)).ToList();
        if (o.ClientCert is not null)
        {
            _clientCert = X509Certificate2.CreateFromPemFile(o.ClientCert, o.ClientKey);
            _authOptions.ClientCertificates = new X509CertificateCollection { _clientCert };
        }
        if (o.VerifyCaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(o.VerifyCaFile);
            _authOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            _authOptions.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }
        else
        {
            _authOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
    }

    /// <summary>Accepts IANA names (TLS_AES_128_GCM_SHA256) and the OpenSSL names used by the TLS 1.2 scenarios.</summary>
    internal static TlsCipherSuite CipherSuiteByName(string name)
    {
        string iana = name switch
        {
            "AES128-GCM-SHA256" => "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "AES256-GCM-SHA384" => "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-RSA-AES128-GCM-SHA256" => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-RSA-AES256-GCM-SHA384" => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-ECDSA-AES128-GCM-SHA256" => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384" => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-RSA-CHACHA20-POLY1305" => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "ECDHE-ECDSA-CHACHA20-POLY1305" => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            _ => name,
        };
        return Enum.TryParse(iana, out TlsCipherSuite suite)
            ? suite
            : throw new OptionsException($"--ciphers: '{name}' is not a cipher suite the sslstream engine knows");
    }

    public async ValueTask<IClientConnection> ConnectAsync(bool tryResume, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? stream = null;
        try
        {
            try { await socket.ConnectAsync(_endpoint, cancellationToken).ConfigureAwait(false); }
            catch (SocketException e) { throw new ConnectionFailedException(OpenSslEngine.SocketErrorKind(e)); }
            stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            try
            {
                await stream.AuthenticateAsClientAsync(_authOptions, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                throw new ConnectionFailedException(ClassifyException(e));
            }
            return new SslStreamConnection(stream);
        }
        catch
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
            throw;
        }
    }

    internal static ConnectionError ClassifyException(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException se) return OpenSslEngine.SocketErrorKind(se);
            string? alert = TlsAlerts.FromOpenSslReasonText(x.Message);
            if (alert is not null) return ConnectionError.Alert(alert);
        }
        string all = e.ToString();
        if (all.Contains("unexpected EOF", StringComparison.OrdinalIgnoreCase) || all.Contains("0 bytes from the transport", StringComparison.OrdinalIgnoreCase))
            return ConnectionError.Reset("eof");
        Exception innermost = e;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return ConnectionError.Other(innermost.GetType().Name + ":" + innermost.Message);
    }

    public void Dispose() => _clientCert?.Dispose();
}

internal sealed class SslStreamConnection(SslStream stream) : IClientConnection
{
    public bool Resumed => false; // SslStream does not expose whether the session was resumed

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try { await stream.WriteAsync(data, ct).ConfigureAwait(false); }
        catch (IOException e) { throw new ConnectionFailedException(SslStreamEngine.ClassifyException(e)); }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try { return await stream.ReadAsync(buffer, ct).ConfigureAwait(false); }
        catch (IOException e)
        {
            ConnectionError err = SslStreamEngine.ClassifyException(e);
            if (err.Kind == ErrorKind.Reset && err.Detail == "eof") return 0;
            throw new ConnectionFailedException(err);
        }
    }

    public ValueTask CaptureSessionAsync(CancellationToken ct) => ValueTask.CompletedTask;

    public void Dispose() => stream.Dispose();
}
