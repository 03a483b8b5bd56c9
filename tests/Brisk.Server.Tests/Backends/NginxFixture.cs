using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Backends;

[CollectionDefinition(Name)]
public sealed class NginxCollection : ICollectionFixture<NginxFixture>
{
    public const string Name = "nginx backend";
}

/// <summary>
/// One nginx (Debian's package) for all backend tests, serving plain HTTP on loopback from its own prefix
/// directory: server A (default answer, a 10 MB file, WebDAV PUT uploads), B (another answer, for routing),
/// H2 (HTTP/2 without TLS, for ALPN routing), and PROXY (listen … proxy_protocol, logging the PROXY address).
/// When nginx is missing, <see cref="Available"/> is false outside CI; under CI a missing nginx fails the tests.
/// </summary>
public sealed class NginxFixture : IAsyncLifetime
{
    private Process? _process;
    private readonly StringBuilder _stderr = new();

    public bool Available { get; private set; }

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"brisk-nginx-{Guid.NewGuid():N}");

    public int PortA { get; private set; }
    public int PortB { get; private set; }
    public int PortH2 { get; private set; }
    public int PortProxy { get; private set; }

    /// <summary>A port where nothing listens (taken and released by the fixture).</summary>
    public int PortDown { get; private set; }

    public const int BigFileSize = 10 * 1024 * 1024;

    public string BigFile => Path.Combine(Directory, "www", "big.bin");

    public byte[] BigFileSha256 { get; private set; } = [];

    public string ProxyLog => Path.Combine(Directory, "proxy.log");

    public string UploadDirectory => Path.Combine(Directory, "upload");

    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

    public async Task InitializeAsync()
    {
        if (!ExternalTool.Require("nginx"))
            return;
        string nginx = ExternalTool.Find("nginx")!;
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "www"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tmp"));
        System.IO.Directory.CreateDirectory(UploadDirectory);
        byte[] big = RandomNumberGenerator.GetBytes(BigFileSize);
        await File.WriteAllBytesAsync(BigFile, big);
        BigFileSha256 = SHA256.HashData(big);

        var ports = FreePorts(5);
        (PortA, PortB, PortH2, PortProxy, PortDown) = (ports[0], ports[1], ports[2], ports[3], ports[4]);
        string d = Directory;
        // As root, workers would otherwise switch to "nobody" and could not write the upload and temp directories.
        string user = Environment.UserName == "root" ? "user root;" : "";
        string config = $$"""
            {{user}}
            worker_processes 1;
            events { worker_connections 256; }
            http {
                client_body_temp_path {{d}}/tmp/body;
                proxy_temp_path {{d}}/tmp/proxy;
                fastcgi_temp_path {{d}}/tmp/fastcgi;
                uwsgi_temp_path {{d}}/tmp/uwsgi;
                scgi_temp_path {{d}}/tmp/scgi;
                default_type application/octet-stream;
                client_max_body_size 64m;
                access_log off;
                keepalive_timeout 60s;
                log_format proxied '$proxy_protocol_addr $proxy_protocol_port "$request" $status';
                server {
                    listen 127.0.0.1:{{PortA}};
                    root {{d}}/www;
                    location = / { return 200 "nginx-a\n"; }
                    location /upload/ { root {{d}}; dav_methods PUT; create_full_put_path on; }
                }
                server {
                    listen 127.0.0.1:{{PortB}};
                    location / { return 200 "nginx-b\n"; }
                }
                server {
                    listen 127.0.0.1:{{PortH2}} http2;
                    location / { return 200 "nginx-h2 $server_protocol\n"; }
                }
                server {
                    listen 127.0.0.1:{{PortProxy}} proxy_protocol;
                    access_log {{d}}/proxy.log proxied;
                    location / { return 200 "nginx-proxy $proxy_protocol_addr $proxy_protocol_port\n"; }
                }
            }
            """;
        await File.WriteAllTextAsync(Path.Combine(d, "nginx.conf"), config);

        var info = new ProcessStartInfo(nginx)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-e", "stderr", "-p", d, "-c", Path.Combine(d, "nginx.conf"), "-g", $"daemon off; pid {d}/nginx.pid;" })
            info.ArgumentList.Add(argument);
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start nginx");
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        // Ready when every server accepts.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        foreach (int port in new[] { PortA, PortB, PortH2, PortProxy })
        {
            while (true)
            {
                if (_process.HasExited)
                    throw new InvalidOperationException($"nginx exited ({_process.ExitCode}): {StandardError}");
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }
        Available = true;
    }

    /// <summary>The proxy server's access log lines that mention <paramref name="marker"/> (nginx writes each request's line at once).</summary>
    public async Task<string?> FindProxyLogLineAsync(string marker)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            if (File.Exists(ProxyLog))
            {
                using var stream = new FileStream(ProxyLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                string? line;
                while ((line = await reader.ReadLineAsync()) is not null)
                {
                    if (line.Contains(marker, StringComparison.Ordinal))
                        return line;
                }
            }
            await Task.Delay(100);
        }
        return null;
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    /// <summary>Distinct free loopback ports: each bound to port 0 at the same time, then released.</summary>
    internal static int[] FreePorts(int count)
    {
        var sockets = Enumerable.Range(0, count).Select(_ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return socket;
        }).ToList();
        var ports = sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        sockets.ForEach(s => s.Dispose());
        return ports;
    }
}
