using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Brisk.Tls.Client;

namespace Brisk.Bench.Handshake;

/// <summary>
/// One full (or resumed) handshake per invocation over in-memory pipes, no sockets, both sides on the benchmark
/// thread (<see cref="InMemoryHandshake"/>). Baseline: .NET SslStream client ↔ SslStream server; comparison: the
/// same SslStream client ↔ Brisk's TlsServerConnection, so the difference between the two rows is the servers'
/// (the client's cost is the same in both); third row: Brisk's own client ↔ Brisk server. Allocated = managed
/// bytes of the whole pair (SslStream's OpenSSL state is native memory and does not show); the server's own
/// CPU and allocations are isolated by <c>quick handshake</c>. In the resumed scenarios every pair resumes after its
/// first handshake (the setup's); the cleanup prints the rate the servers' bytes show.
/// <c>dotnet run -c Release --project bench/Brisk.Bench -- --filter *HandshakeBenchmark*</c>
/// (<c>BRISK_BENCH_SCENARIOS=tls13-rsa,tls13-ecdsa</c> to run a subset).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcess))]
public class HandshakeBenchmark
{
    /// <summary>
    /// In-process (no generated project to build: on this busy machine that build ran past BenchmarkDotNet's
    /// two-minute timeout) and short: 2 warm-up and 5 measured iterations.
    /// </summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5));
    }

    private readonly InMemoryHandshake _harness = new();
    private HandshakeScenario _scenario = null!;
    private Brisk.Tls.TlsServerOptions _serverOptions = null!;
    private TlsClientOptions _clientOptions = null!;
    private System.Net.Security.SslServerAuthenticationOptions _sslServer = null!;
    private System.Net.Security.SslClientAuthenticationOptions _toSslStream = null!;
    private System.Net.Security.SslClientAuthenticationOptions _toBrisk = null!;
    private TlsClientSession? _session;

    [ParamsSource(nameof(Scenarios))]
    public string Scenario { get; set; } = "tls13-rsa";

    /// <summary>All scenarios, or the comma-separated list in BRISK_BENCH_SCENARIOS (BenchmarkDotNet has no parameter filter).</summary>
    public static IEnumerable<string> Scenarios =>
        Environment.GetEnvironmentVariable("BRISK_BENCH_SCENARIOS") is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : HandshakeScenario.All.Select(s => s.Name);

    [GlobalSetup]
    public void Setup()
    {
        _scenario = HandshakeScenario.Find(Scenario);
        _serverOptions = _scenario.BriskServerOptions();
        _clientOptions = _scenario.BriskClientOptions();
        _sslServer = _scenario.SslStreamServerOptions();
        _toSslStream = _scenario.SslStreamClientOptions(HandshakeScenario.SslStreamServerHost);
        _toBrisk = _scenario.SslStreamClientOptions(HandshakeScenario.BriskServerHost);
        // A first full handshake per pair provides the sessions the resumed scenarios use.
        _session = _harness.BriskClientBriskServer(_serverOptions, _clientOptions, null);
        SslStreamClient_SslStreamServer();
        SslStreamClient_BriskServer();
        _harness.Reset();
    }

    [GlobalCleanup]
    public void Cleanup() =>
        Console.WriteLine($"// {Scenario}: {_harness.Resumed} of {_harness.Handshakes} handshakes resumed (server bytes), {_harness.Nested} nested");

    [Benchmark(Baseline = true)]
    public void SslStreamClient_SslStreamServer() =>
        _harness.SslStreamClient(_toSslStream, transport => _harness.StartSslStreamServer(_sslServer, transport));

    [Benchmark]
    public void SslStreamClient_BriskServer() =>
        _harness.SslStreamClient(_toBrisk, transport => _harness.StartBriskServer(_serverOptions, transport));

    [Benchmark]
    public void BriskClient_BriskServer()
    {
        var issued = _harness.BriskClientBriskServer(_serverOptions, _clientOptions, _scenario.Resumed ? _session : null);
        if (issued is not null)
            _session = issued;
    }
}
