using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Brisk.Server.Tests.Operations;

/// <summary>The built Brisk.Server.dll run as a process (metrics, logs, systemd and SIGTERM need a real process).</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll");

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Task _stdout;
    private readonly Task _stderr;

    private ServerProcess(Process process)
    {
        _process = process;
        _stdout = PumpAsync(process.StandardOutput);
        _stderr = PumpAsync(process.StandardError);
    }

    /// <summary>Every line printed so far (stdout and stderr).</summary>
    public IReadOnlyList<string> Lines => _lines.ToArray();

    public Process Process => _process;

    /// <summary>The process id of the server (set from the wrapper's first line when started under one).</summary>
    public int ServerPid { get; private set; }

    public IPEndPoint Listening { get; private set; } = null!;

    /// <summary>
    /// Starts the server with <paramref name="arguments"/> and waits for its documented start signal. With a
    /// <paramref name="wrapper"/> (a program run as "wrapper -c script"), the server is its child and the
    /// wrapper's first output line is the server's pid.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? wrapper = null)
    {
        ProcessStartInfo info;
        if (wrapper is null)
        {
            info = new ProcessStartInfo("dotnet");
            info.ArgumentList.Add(ServerDll);
            foreach (var a in arguments)
                info.ArgumentList.Add(a);
        }
        else
        {
            // The shell is the server's parent and prints its pid before anything else can.
            string command = string.Join(' ', new[] { "dotnet", ServerDll }.Concat(arguments).Select(Quote));
            info = new ProcessStartInfo(wrapper);
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"{command} & echo \"pid=$!\"; wait $!");
        }
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }
        var server = new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the server"));
        if (wrapper is null)
            server.ServerPid = server._process.Id;
        string line = await server.WaitForLineAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal));
        server.Listening = IPEndPoint.Parse(line["listening on ".Length..]);
        if (wrapper is not null)
            server.ServerPid = int.Parse(server.Lines.First(l => l.StartsWith("pid=", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture);
        return server;
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''") + "'";

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
            _lines.Enqueue(line);
    }

    /// <summary>Waits (bounded, for a hung server) until a line matches.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, int timeoutSeconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(timeoutSeconds))
        {
            var found = _lines.FirstOrDefault(match);
            if (found is not null)
                return found;
            if (_process.HasExited && _stdout.IsCompleted)
                break;
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException("expected line not printed; output:\n" + string.Join('\n', _lines));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public void SendSigterm() => Assert.Equal(0, kill(ServerPid, 15));

    public async Task<int> WaitForExitAsync(int timeoutSeconds = 60)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        await _process.WaitForExitAsync(guard.Token);
        await Task.WhenAll(_stdout, _stderr);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>A loopback port free at the moment (for listeners that cannot bind port 0, such as HttpListener).</summary>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

/// <summary>Collects the long counters of ONE meter object (one server instance), so parallel tests do not mix.</summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();

    public MeterRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            _totals.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
            foreach (var tag in tags)
                _totals.AddOrUpdate($"{instrument.Name}{{{tag.Key}={tag.Value}}}", value, (_, old) => old + value);
        });
        _listener.Start();
    }

    /// <summary>The sum for an instrument, or for those of its measurements carrying one tag: "name{key=value}".</summary>
    public long Get(string key) => _totals.TryGetValue(key, out var value) ? value : 0;

    public long Limit(string limit) => Get($"brisk.server.limit_triggered{{limit={limit}}}");

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; measurement callbacks arrive on server threads.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, int timeoutSeconds = 30)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(timeoutSeconds))
                throw new Xunit.Sdk.XunitException($"never happened: {what}");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>Counts the bytes that cross a stream (what the client put on and took off the wire).</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    private long _read;
    private long _written;

    /// <summary>While closed, reads wait: a handshake can be held between the ClientHello and the server's reply.</summary>
    public TaskCompletionSource ReadGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long BytesRead => Interlocked.Read(ref _read);
    public long BytesWritten => Interlocked.Read(ref _written);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await ReadGate.Task.WaitAsync(cancellationToken);
        int n = await inner.ReadAsync(buffer, cancellationToken);
        Interlocked.Add(ref _read, n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Interlocked.Add(ref _written, buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>An SslStream client over TCP, with the raw byte counts visible.</summary>
internal sealed class TlsTestClient : IAsyncDisposable
{
    private TlsTestClient(Socket socket, CountingStream wire, SslStream ssl)
    {
        Socket = socket;
        Wire = wire;
        Ssl = ssl;
    }

    public Socket Socket { get; }
    public CountingStream Wire { get; }
    public SslStream Ssl { get; }
    public IPEndPoint LocalEndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    /// <summary>Connects (optionally from a chosen loopback source address) without starting TLS.</summary>
    public static async Task<TlsTestClient> ConnectAsync(IPEndPoint server, IPAddress? from = null, bool openGate = true)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
            socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(server);
        var wire = new CountingStream(new NetworkStream(socket, ownsSocket: true));
        if (openGate)
            wire.ReadGate.TrySetResult();
        return new TlsTestClient(socket, wire, new SslStream(wire, leaveInnerStreamOpen: false));
    }

    public Task HandshakeAsync(SslProtocols protocols, TlsCipherSuite[]? suites = null, string? serverName = "localhost", X509Certificate2? clientCertificate = null)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            AllowTlsResume = false,
        };
        if (suites is not null)
            options.CipherSuitesPolicy = new CipherSuitesPolicy(suites);
        if (clientCertificate is not null)
            options.ClientCertificates = [clientCertificate];
        return Ssl.AuthenticateAsClientAsync(options);
    }

    public static async Task<TlsTestClient> ConnectAndHandshakeAsync(IPEndPoint server, SslProtocols protocols, TlsCipherSuite[]? suites = null, IPAddress? from = null)
    {
        var client = await ConnectAsync(server, from);
        await client.HandshakeAsync(protocols, suites);
        return client;
    }

    /// <summary>One HTTP request with "Connection: close"; returns everything until the server's close.</summary>
    public async Task<string> RequestAndReadToEndAsync()
    {
        await Ssl.WriteAsync("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8.ToArray());
        return await ReadToEndAsync();
    }

    /// <summary>Reads until the TLS stream ends (close_notify or EOF).</summary>
    public async Task<string> ReadToEndAsync()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var text = new StringBuilder();
        var buffer = new byte[4096];
        int n;
        while ((n = await Ssl.ReadAsync(buffer, guard.Token)) > 0)
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await Ssl.DisposeAsync();
        Socket.Dispose();
    }
}

/// <summary>Reads the Prometheus text exposition format.</summary>
internal static class PrometheusText
{
    /// <summary>Sums the samples of <paramref name="metric"/> whose labels include all of <paramref name="labels"/>.</summary>
    public static double Sum(string text, string metric, params (string Name, string Value)[] labels)
    {
        double sum = 0;
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            int brace = line.IndexOf('{');
            int space = line.LastIndexOf(' ');
            string name = brace >= 0 && brace < space ? line[..brace] : line[..space];
            if (name != metric)
                continue;
            string labelText = brace >= 0 && brace < space ? line[(brace + 1)..line.LastIndexOf('}')] : "";
            if (labels.All(l => labelText.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
                sum += double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
