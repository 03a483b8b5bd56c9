using System.Globalization;
using System.Net.Security;
using Brisk.Tls;
using Brisk.Tls.Client;
using Brisk.Tls.Protocol;

namespace Brisk.Bench.Handshake;

/// <summary>
/// <c>quick handshake [SCENARIO…]</c>: server CPU and allocations per handshake, in memory (no sockets), for each
/// scenario of loadtests/compare.sh. Three pairs run in alternating rounds on one thread:
/// <list type="bullet">
/// <item>baseline: .NET SslStream client ↔ SslStream server;</item>
/// <item>comparison: the same SslStream client ↔ Brisk's TlsServerConnection (the client's cost is the same on
/// both sides, so the server columns and the pair totals compare servers alone);</item>
/// <item>Brisk's own client ↔ Brisk server, for the client's cost (what the load generator's brisk engine pays
/// before its socket calls).</item>
/// </list>
/// CPU is CPU time (clock_gettime), so other load on the machine does not count; the median of the rounds is
/// printed. Server cost = the thread CPU of what runs inside the client's flushes, plus the server's start, close
/// and disposal (see <see cref="InMemoryHandshake"/>; exact for either server while nothing leaves the thread:
/// the PAIRS line's nested count says so). Client cost = the rest of the thread's CPU. Pair cost = process CPU per
/// handshake (includes background work such as the JIT and the GC). Allocations are managed (GC) bytes: SslStream's
/// OpenSSL state is native memory and does not show.
/// Resumed scenarios: every pair resumes after the first handshake; the PAIRS line gives the rates as the
/// servers' bytes show them (see <see cref="ResumeProbeQuick"/> for what SslStream needs to resume).
/// </summary>
public sealed class HandshakeQuick : IQuickCommand
{
    public string Area => "handshake";

    private const int Rounds = 5;
    private const long RoundCpuBudgetNs = 120_000_000; // per pair per round
    private const long WarmUpCpuNs = 600_000_000; // per scenario, the three pairs together

    public void Run(string[] args)
    {
        var scenarios = args.Length == 0 ? HandshakeScenario.All : args.Select(HandshakeScenario.Find).ToArray();
        Console.WriteLine($"# quick handshake: {Rounds} rounds × ~{RoundCpuBudgetNs / 1_000_000} ms CPU per pair, thread CPU time, median round; Brisk server with the system RSA engine");
        var runs = scenarios.Select(s => new ScenarioRun(s)).ToArray();
        // Warm-up of every scenario before any is measured, by CPU time rather than a count: Brisk's code starts
        // unoptimized (tier 0) and is recompiled (tier 1) on a background thread only after it has been called for a
        // while (so are SslStream's generic paths; the rest of the framework is precompiled). With 20 handshakes
        // per pair, the scenario measured first in a run came out up to 2× slower than the same scenario later.
        // The warm-up also checks that each pair completes, fills the key caches and provides the first tickets.
        foreach (var run in runs)
            run.WarmUp(WarmUpCpuNs);
        foreach (var run in runs)
        {
            run.WarmUp(0);
            run.MeasureAndPrint();
        }
    }

    private sealed record RoundResult(double ServerUs, double ClientUs, double ServerBytes, double ClientBytes, double ProcessUs,
        int Handshakes, int Resumed, int BriskServerSaysResumed, int Nested, ushort CipherSuite)
    {
        public string Resumption => $"{Resumed}/{Handshakes}";
    }

    /// <summary>One scenario's three pairs, with what they keep between handshakes (the Brisk client's session).</summary>
    private sealed class ScenarioRun
    {
        private readonly HandshakeScenario _scenario;
        private readonly TlsServerOptions _serverOptions;
        private readonly TlsClientOptions _clientOptions;
        private readonly SslServerAuthenticationOptions _sslServerOptions;
        private readonly SslClientAuthenticationOptions _toSslStream;
        private readonly SslClientAuthenticationOptions _toBrisk;
        private readonly InMemoryHandshake _harness = new();
        private TlsClientSession? _session;

        public ScenarioRun(HandshakeScenario scenario)
        {
            _scenario = scenario;
            _serverOptions = scenario.BriskServerOptions();
            _clientOptions = scenario.BriskClientOptions();
            _sslServerOptions = scenario.SslStreamServerOptions();
            _toSslStream = scenario.SslStreamClientOptions(HandshakeScenario.SslStreamServerHost);
            _toBrisk = scenario.SslStreamClientOptions(HandshakeScenario.BriskServerHost);
        }

        private void Brisk()
        {
            var issued = _harness.BriskClientBriskServer(_serverOptions, _clientOptions, _scenario.Resumed ? _session : null);
            if (issued is not null)
                _session = issued;
        }

        private void SslPair() => _harness.SslStreamClient(_toSslStream, transport => _harness.StartSslStreamServer(_sslServerOptions, transport));

        private void SslClientBriskServer() => _harness.SslStreamClient(_toBrisk, transport => _harness.StartBriskServer(_serverOptions, transport));

        /// <summary>At least 20 handshakes per pair, and at least <paramref name="cpuNs"/> of thread CPU in all.</summary>
        public void WarmUp(long cpuNs)
        {
            long start = ThreadCpu.Nanoseconds();
            for (int i = 0; i < 20 || ThreadCpu.Nanoseconds() - start < cpuNs; i++)
            {
                Brisk();
                SslPair();
                SslClientBriskServer();
            }
        }

        public void MeasureAndPrint()
        {
            var brisk = new List<RoundResult>();
            var sslPair = new List<RoundResult>();
            var sslBrisk = new List<RoundResult>();
            for (int round = 0; round < Rounds; round++)
            {
                sslPair.Add(Measure(_harness, SslPair));
                sslBrisk.Add(Measure(_harness, SslClientBriskServer));
                brisk.Add(Measure(_harness, Brisk));
            }
            var a = Median(sslPair);
            var b = Median(sslBrisk);
            var c = Median(brisk);
            string name = _scenario.Name;
            Console.WriteLine(Invariant($"RATIO handshake-{name}-server-cpu brisk/sslstream={b.ServerUs / a.ServerUs:F3} brisk_us={b.ServerUs:F1} sslstream_us={a.ServerUs:F1}"));
            Console.WriteLine(Invariant($"RATIO handshake-{name}-server-alloc brisk/sslstream={b.ServerBytes / a.ServerBytes:F3} brisk_B={b.ServerBytes:F0} sslstream_B={a.ServerBytes:F0}"));
            Console.WriteLine(Invariant($"RATIO handshake-{name}-pair-cpu sslclient+brisk/sslclient+sslstream={b.ProcessUs / a.ProcessUs:F3} sslclient+brisk_us={b.ProcessUs:F1} sslclient+sslstream_us={a.ProcessUs:F1}"));
            // The SslStream client's own cost, from the pair with the Brisk server (nothing leaves the thread: nested=0 below).
            Console.WriteLine(Invariant($"RATIO handshake-{name}-client-cpu brisk/sslstream={c.ClientUs / b.ClientUs:F3} brisk_client_us={c.ClientUs:F1} sslstream_client_us={b.ClientUs:F1} sslstream_client_B={b.ClientBytes:F0} brisk_client_B={c.ClientBytes:F0} brisk_server_us(brisk client)={c.ServerUs:F1} resumed={c.Resumption}"));
            // Resumption as the server's bytes show it (ServerFlightObserver), over all measured rounds, with Brisk's
            // servers' own count as a cross-check; and a check that every pair negotiated the scenario's suite.
            Console.WriteLine(Invariant($"PAIRS handshake-{name} resumed sslclient+sslstream={a.Resumption} sslclient+brisk={b.Resumption} (brisk server: {b.BriskServerSaysResumed}) briskclient+brisk={c.Resumption} (brisk server: {c.BriskServerSaysResumed}) nested={a.Nested + b.Nested + c.Nested}"));
            foreach (var (pair, result) in new[] { ("sslclient+sslstream", a), ("sslclient+brisk", b), ("briskclient+brisk", c) })
                if (result.CipherSuite != (ushort)_scenario.Suite.Suite)
                    Console.WriteLine($"WARNING handshake-{name} {pair} negotiated {(CipherSuite)result.CipherSuite}, not {_scenario.Suite.Name}");
        }
    }

    private static RoundResult Measure(InMemoryHandshake harness, Action handshake)
    {
        harness.Reset();
        long start = ThreadCpu.Nanoseconds();
        long process = ThreadCpu.ProcessNanoseconds();
        do
            handshake();
        while (ThreadCpu.Nanoseconds() - start < RoundCpuBudgetNs);
        int n = harness.Handshakes;
        return new RoundResult(harness.Server.CpuNanoseconds / 1000.0 / n, harness.Client.CpuNanoseconds / 1000.0 / n,
            (double)harness.Server.AllocatedBytes / n, (double)harness.Client.AllocatedBytes / n,
            (ThreadCpu.ProcessNanoseconds() - process) / 1000.0 / n, n, harness.Resumed, harness.BriskServerReportedResumed, harness.Nested,
            harness.LastFlight.CipherSuite);
    }

    private static RoundResult Median(List<RoundResult> rounds)
    {
        static double M(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
        return new RoundResult(M(rounds.Select(r => r.ServerUs)), M(rounds.Select(r => r.ClientUs)), M(rounds.Select(r => r.ServerBytes)),
            M(rounds.Select(r => r.ClientBytes)), M(rounds.Select(r => r.ProcessUs)), rounds.Sum(r => r.Handshakes), rounds.Sum(r => r.Resumed),
            rounds.Sum(r => r.BriskServerSaysResumed), rounds.Sum(r => r.Nested), rounds[^1].CipherSuite);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
