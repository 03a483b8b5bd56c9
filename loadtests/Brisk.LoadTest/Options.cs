using System.Globalization;
using System.Net;

namespace Brisk.LoadTest;

internal enum EngineKind { OpenSsl, SslStream, Brisk }

internal enum ResumeMode { None, Ticket, SessionId }

internal enum RequestKind { None, Http, Bytes }

internal enum RunMode { Handshake, Bulk, Idle }

/// <summary>Command-line options of the load generator. Parsing never throws: errors become <see cref="OptionsException"/>.</summary>
internal sealed class LoadOptions
{
    public string TargetHost { get; set; } = "127.0.0.1";
    public int TargetPort { get; set; }
    public IPEndPoint? Endpoint { get; set; }
    public int Concurrency { get; set; } = 16;
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Measured handshakes to run instead of a duration (0 = use duration).</summary>
    public long Count { get; set; }
    public TimeSpan Warmup { get; set; } = TimeSpan.Zero;
    /// <summary>Open model: connection arrivals per second (0 = closed model, each worker loops).</summary>
    public double Rate { get; set; }
    /// <summary>null = both 1.2 and 1.3 allowed; otherwise 0x0303 or 0x0304.</summary>
    public int? TlsVersion { get; set; }
    public string? Ciphers { get; set; }
    public string? Groups { get; set; }
    public string? Sni { get; set; }
    public string[] Alpn { get; set; } = [];
    public ResumeMode Resume { get; set; } = ResumeMode.None;
    /// <summary>Share of handshakes that attempt resumption (0..1), the first handshake of each worker is always full.</summary>
    public double ResumeShare { get; set; }
    public RequestKind Request { get; set; } = RequestKind.None;
    public int RequestBytes { get; set; }
    public string? ClientCert { get; set; }
    public string? ClientKey { get; set; }
    public string? VerifyCaFile { get; set; }
    public string? JsonFile { get; set; }
    public string? ReportFile { get; set; }
    public EngineKind Engine { get; set; } = EngineKind.Brisk;
    public int[] ServerPids { get; set; } = [];
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    public RunMode Mode { get; set; } = RunMode.Handshake;
    public int IdleConnections { get; set; }
    public TimeSpan IdleHold { get; set; } = TimeSpan.FromSeconds(1);
    public int BulkChunk { get; set; } = 64 * 1024;
    public bool Quiet { get; set; }
    /// <summary>openssl engine: SSL_CTX_set_read_ahead (fewer read syscalls per handshake).</summary>
    public bool ReadAhead { get; set; } = true;
    /// <summary>brisk engine: its own epoll loop (default) or .NET's async Socket.</summary>
    public Engines.IoMode Io { get; set; } = Engines.IoMode.Epoll;
    private bool _ioGiven;

    /// <summary>Forces plain progress lines even on a terminal.</summary>
    public bool PlainProgress { get; set; }

    public string EffectiveSni => Sni ?? TargetHost;

    public const string Usage = """
        Brisk.LoadTest — TLS handshake load generator

        usage: Brisk.LoadTest --target HOST:PORT [options]

          --concurrency N        connections in flight (closed model) or cap on in-flight (open model); default 16
          --duration 30s         measured duration (ms, s, m suffixes); default 10s
          --count N              measure N connections (ended: handshake, request, close) instead of a duration
          --warmup 5s            run this long first, not measured; default 0
          --rate R               open model: R new connections per second at fixed intervals
          --tls 1.2|1.3          only this version (default: both allowed, the server picks)
          --ciphers LIST         TLS 1.2: OpenSSL cipher list; TLS 1.3: ciphersuites (TLS_AES_128_GCM_SHA256:...)
          --groups LIST          key-exchange groups, e.g. x25519:P-256 (openssl engine only)
          --sni NAME             server name (default: the target host when it is a name, none for an IP)
          --alpn a,b             ALPN protocols offered
          --resume MODE[:SHARE]  none | ticket | id, optionally with the share of handshakes that try to
                                 resume (default 1.0), e.g. ticket:0.5 = every second handshake resumes.
                                 id = TLS 1.2 session-ID resumption (tickets disabled).
          --request KIND         after the handshake: none (default) | http (GET /, read the response) |
                                 bytes:N (send N bytes, read N bytes back: an echo responder)
          --client-cert F --client-key F   client certificate (PEM)
          --verify CAFILE        verify the server chain and name against CAFILE (off by default)
          --engine brisk|openssl|sslstream default brisk: Brisk's own TLS client, the cheapest per handshake
                                 (checks the server's signature and Finished, not its chain: no --verify,
                                 --client-cert or --resume id); openssl = libssl.so.3 via P/Invoke
          --server-pid PID[,PID] sample server CPU (and RSS) from /proc/PID
          --timeout 10s          per-connection timeout
          --json FILE            write the results as JSON
          --report FILE          write a PNG chart (handshakes/s over time, latency distribution)
          --bulk                 bulk mode: each connection echoes --chunk bytes in a loop; reports GB/s
          --chunk N              bulk chunk size in bytes (default 65536)
          --idle N               idle mode: open N connections, hold them, report server RSS per connection
          --idle-hold 1s         how long idle connections are held before measuring RSS
          --plain                plain progress lines even on a terminal
          --quiet                no progress output
          --read-ahead on|off    openssl engine: let OpenSSL read whole flights at once (default on)
          --io epoll|socket      brisk engine: its own epoll loop per client core over non-blocking
                                 sockets (default, the cheapest) or .NET's async Socket
        """;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var o = new LoadOptions();
        bool haveTarget = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Next()
            {
                if (i + 1 >= args.Count) throw new OptionsException($"{a} needs a value");
                return args[++i];
            }
            switch (a)
            {
                case "--target": (o.TargetHost, o.TargetPort) = ParseHostPort(Next()); haveTarget = true; break;
                case "--concurrency": o.Concurrency = ParseInt(a, Next(), 1, 1_000_000); break;
                case "--duration": o.Duration = ParseDuration(a, Next()); break;
                case "--count": o.Count = ParseInt(a, Next(), 1, int.MaxValue); break;
                case "--warmup": o.Warmup = ParseDuration(a, Next(), allowZero: true); break;
                case "--rate": o.Rate = ParseDouble(a, Next(), 0.001, 10_000_000); break;
                case "--tls":
                    o.TlsVersion = Next() switch
                    {
                        "1.2" => 0x0303,
                        "1.3" => 0x0304,
                        var v => throw new OptionsException($"--tls must be 1.2 or 1.3, not '{v}'"),
                    };
                    break;
                case "--ciphers": o.Ciphers = Next(); break;
                case "--groups": o.Groups = Next(); break;
                case "--sni": o.Sni = Next(); break;
                case "--alpn": o.Alpn = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--resume": (o.Resume, o.ResumeShare) = ParseResume(Next()); break;
                case "--request": (o.Request, o.RequestBytes) = ParseRequest(Next()); break;
                case "--client-cert": o.ClientCert = Next(); break;
                case "--client-key": o.ClientKey = Next(); break;
                case "--verify": o.VerifyCaFile = Next(); break;
                case "--json": o.JsonFile = Next(); break;
                case "--report": o.ReportFile = Next(); break;
                case "--engine":
                    o.Engine = Next() switch
                    {
                        "openssl" => EngineKind.OpenSsl,
                        "sslstream" => EngineKind.SslStream,
                        "brisk" => EngineKind.Brisk,
                        var v => throw new OptionsException($"--engine must be openssl, sslstream or brisk, not '{v}'"),
                    };
                    break;
                case "--server-pid":
                    o.ServerPids = Next().Split(',', StringSplitOptions.RemoveEmptyEntries)
                        .Select(p => ParseInt(a, p, 1, int.MaxValue)).ToArray();
                    break;
                case "--timeout": o.Timeout = ParseDuration(a, Next()); break;
                case "--bulk": o.Mode = RunMode.Bulk; break;
                case "--chunk": o.BulkChunk = ParseInt(a, Next(), 1, 16 * 1024 * 1024); break;
                case "--idle": o.Mode = RunMode.Idle; o.IdleConnections = ParseInt(a, Next(), 1, 1_000_000); break;
                case "--idle-hold": o.IdleHold = ParseDuration(a, Next(), allowZero: true); break;
                case "--plain": o.PlainProgress = true; break;
                case "--quiet": o.Quiet = true; break;
                case "--read-ahead":
                    o.ReadAhead = Next() switch
                    {
                        "on" => true,
                        "off" => false,
                        var v => throw new OptionsException($"--read-ahead must be on or off, not '{v}'"),
                    };
                    break;
                case "--io":
                    o.Io = Next() switch
                    {
                        "epoll" => Engines.IoMode.Epoll,
                        "socket" => Engines.IoMode.Socket,
                        var v => throw new OptionsException($"--io must be epoll or socket, not '{v}'"),
                    };
                    o._ioGiven = true;
                    break;
                default: throw new OptionsException($"unknown option '{a}'");
            }
        }
        if (!haveTarget) throw new OptionsException("--target HOST:PORT is required");
        if ((o.ClientCert is null) != (o.ClientKey is null))
            throw new OptionsException("--client-cert and --client-key go together");
        if (o.Resume == ResumeMode.SessionId && o.TlsVersion == 0x0304)
            throw new OptionsException("--resume id needs TLS 1.2 (TLS 1.3 resumes only with tickets/PSK, RFC 8446 §2.2)");
        if (o.Engine == EngineKind.SslStream && o.Groups is not null)
            throw new OptionsException("--groups is not supported by the sslstream engine (SslStream has no group selection)");
        if (o.Engine == EngineKind.SslStream && o.Resume != ResumeMode.None && o.ResumeShare < 1.0)
            throw new OptionsException("the sslstream engine resumes through .NET's own session cache: only a share of 1.0 is possible");
        if (o.Mode == RunMode.Bulk && o.Request != RequestKind.None)
            throw new OptionsException("--bulk and --request exclude each other");
        if (o.Sni is null && !IPAddress.TryParse(o.TargetHost, out _)) o.Sni = o.TargetHost;
        if (o._ioGiven && o.Engine != EngineKind.Brisk)
            throw new OptionsException("--io applies to the brisk engine only (openssl and sslstream use .NET sockets)");
        if (o.Io == Engines.IoMode.Epoll && !OperatingSystem.IsLinux())
            o.Io = Engines.IoMode.Socket; // epoll is Linux-only; the default falls back
        if (o.Engine == EngineKind.Brisk)
            _ = Engines.BriskEngine.CreateClientOptions(o); // unsupported flag combinations are usage errors up front
        return o;
    }

    internal static (string Host, int Port) ParseHostPort(string s)
    {
        int colon = s.LastIndexOf(':');
        if (colon <= 0 || colon == s.Length - 1) throw new OptionsException($"--target must be HOST:PORT, not '{s}'");
        string host = s[..colon].Trim('[', ']');
        int port = ParseInt("--target", s[(colon + 1)..], 1, 65535);
        return (host, port);
    }

    internal static TimeSpan ParseDuration(string name, string s, bool allowZero = false)
    {
        double factor; string number;
        if (s.EndsWith("ms", StringComparison.Ordinal)) { factor = 0.001; number = s[..^2]; }
        else if (s.EndsWith('s')) { factor = 1; number = s[..^1]; }
        else if (s.EndsWith('m')) { factor = 60; number = s[..^1]; }
        else if (s.EndsWith('h')) { factor = 3600; number = s[..^1]; }
        else { factor = 1; number = s; }
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0 || (!allowZero && v == 0) || double.IsInfinity(v))
            throw new OptionsException($"{name}: '{s}' is not a valid duration (e.g. 500ms, 30s, 2m)");
        return TimeSpan.FromSeconds(v * factor);
    }

    internal static (ResumeMode, double) ParseResume(string s)
    {
        string[] parts = s.Split(':');
        ResumeMode mode = parts[0] switch
        {
            "none" => ResumeMode.None,
            "ticket" => ResumeMode.Ticket,
            "id" => ResumeMode.SessionId,
            _ => throw new OptionsException($"--resume must be none|ticket|id[:share], not '{s}'"),
        };
        if (parts.Length > 2) throw new OptionsException($"--resume: '{s}'");
        double share = mode == ResumeMode.None ? 0 : 1.0;
        if (parts.Length == 2)
        {
            if (mode == ResumeMode.None) throw new OptionsException("--resume none takes no share");
            share = ParseDouble("--resume", parts[1], 0, 1);
        }
        return (mode, share);
    }

    internal static (RequestKind, int) ParseRequest(string s)
    {
        if (s == "none") return (RequestKind.None, 0);
        if (s == "http") return (RequestKind.Http, 0);
        if (s.StartsWith("bytes:", StringComparison.Ordinal))
            return (RequestKind.Bytes, ParseInt("--request", s["bytes:".Length..], 1, 64 * 1024 * 1024));
        throw new OptionsException($"--request must be none|http|bytes:N, not '{s}'");
    }

    private static int ParseInt(string name, string s, int min, int max)
    {
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new OptionsException($"{name}: '{s}' must be an integer in [{min}, {max}]");
        return v;
    }

    private static double ParseDouble(string name, string s, double min, double max)
    {
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < min || v > max || double.IsNaN(v))
            throw new OptionsException($"{name}: '{s}' must be a number in [{min}, {max}]");
        return v;
    }
}

internal sealed class OptionsException(string message) : Exception(message);
