using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Brisk.Server.Tests.Backends;

/// <summary>Keeps every log line the server writes (all levels), so tests can look for what it logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public bool Contains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits briefly for a line the server may write just after the client saw the effect.</summary>
    public async Task<bool> WaitForAsync(string text)
    {
        for (int i = 0; i < 50 && !Contains(text); i++)
            await Task.Delay(100);
        return Contains(text);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose() { }

    private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)}");
    }
}

internal static class TlsClient
{
    /// <summary>TLS over an already connected socket (after anything the test wrote first, e.g. a PROXY header).</summary>
    public static async Task<SslStream> AuthenticateAsync(TcpClient tcp, string host = "localhost", SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        X509Certificate2? clientCertificate = null, List<SslApplicationProtocol>? alpn = null)
    {
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
            ApplicationProtocols = alpn,
        };
        if (clientCertificate is not null)
            options.ClientCertificates = [clientCertificate];
        await ssl.AuthenticateAsClientAsync(options);
        return ssl;
    }

    /// <summary>Reads until the peer ends the stream (close_notify or FIN).</summary>
    public static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }

    public static async Task<string> HttpGetAsync(Stream stream, string path, string host = "localhost")
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
        await stream.FlushAsync();
        return Encoding.ASCII.GetString(await ReadToEndAsync(stream));
    }
}
