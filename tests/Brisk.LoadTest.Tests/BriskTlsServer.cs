using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Rsa;
using Brisk.Tls;
using Brisk.Tls.Credentials;
using Brisk.Tls.Resumption;

namespace Brisk.LoadTest.Tests;

/// <summary>
/// Brisk's server core (<see cref="TlsServerConnection"/>) on an ephemeral loopback port, in-process, with an echo
/// application behind it: RSA-2048 or ECDSA P-256 credentials, TLS 1.2 and 1.3, tickets for both.
/// </summary>
internal sealed class BriskTlsServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TlsServerOptions _options;
    private readonly Task _acceptLoop;
    private int _handshakes;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Handshakes the server completed.</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    public BriskTlsServer(bool ecdsa, bool enableTls12 = true, bool enableTls13 = true)
    {
        _options = new TlsServerOptions
        {
            Certificates = [ecdsa ? CreateEcdsa() : CreateRsa()],
            EnableTls12 = enableTls12,
            EnableTls13 = enableTls13,
            KeyExchange = LibCryptoKeyExchangeProvider.Instance,
            RecordCrypto = ManagedAeadProvider.Default,
            TicketKeys = TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, TimeProvider.System),
        };
        _listener.Start(512);
        _acceptLoop = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = ServeAsync(socket);
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private async Task ServeAsync(Socket socket)
    {
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var transport = new Duplex(PipeReader.Create(stream), PipeWriter.Create(stream));
        await using var connection = new TlsServerConnection(_options, transport, connectionId: "loadtest");
        try
        {
            if (!await connection.HandshakeAsync(_stop.Token))
                return;
            Interlocked.Increment(ref _handshakes);
            var pump = connection.RunAsync(_stop.Token);
            var application = connection.Application;
            while (true)
            {
                var result = await application.Input.ReadAsync(_stop.Token);
                foreach (var segment in result.Buffer)
                    await application.Output.WriteAsync(segment, _stop.Token);
                application.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    break;
            }
            await application.Output.CompleteAsync();
            await pump;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Clients close abruptly at the end of a run.
        }
    }

    private static ServerCertificate CreateRsa()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        var leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
        return new ServerCertificate(leaf, [], new RsaServerKey(new RsaPrivateKey(rsa.ExportParameters(true)), SystemRsaEngine.Instance));
    }

    private static ServerCertificate CreateEcdsa()
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", ecdsa, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        var leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
        return new ServerCertificate(leaf, [], EcdsaServerKey.Create(ecdsa));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }
}
