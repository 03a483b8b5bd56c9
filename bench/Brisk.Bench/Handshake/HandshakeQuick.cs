using System.Globalization;
using Brisk.Tls.Client;

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
/// printed. Server cost = the thread CPU of what runs inside the client's flushes (see <see cref="InMemoryHandshake"/>;
/// exact for either server). Pair cost = process CPU per handshake (SslStream's client may finish on a pool
/// thread). Allocations are managed (GC) bytes: SslStream's OpenSSL state is native memory and does not show.
/// </summary>
public sealed class HandshakeQuick : IQuickCommand
{
    public string Area => "handshake";

    private const int Rounds = 5;
    private const long RoundCpuBudgetNs = 120_000_000; // per pair per round

    public void Run(string[] args)
    {
        var scenarios = args.Length == 0 ? HandshakeScenario.All : args.Select(HandshakeScenario.Find).ToArray();
        Console.WriteLine($"# quick handshake: {Rounds} rounds × ~{RoundCpuBudgetNs / 1_000_000} ms CPU per pair, thread CPU time, median round; Brisk server with the system RSA engine");
        foreach (var scenario in scenarios)
            RunScenario(scenario);
    }

    private sealed record RoundResult(double ServerUs, double ClientUs, double ServerBytes, double ClientBytes, double ProcessUs, int Handshakes, int Resumed, int Nested);

    private static void RunScenario(HandshakeScenario scenario)
    {
        var serverOptions = scenario.BriskServerOptions();
        var clientOptions = scenario.BriskClientOptions();
        var sslServerOptions = scenario.SslStreamServerOptions();
        var toSslStream = scenario.SslStreamClientOptions(HandshakeScenario.SslStreamServerHost);
        var toBrisk = scenario.SslStreamClientOptions(HandshakeScenario.BriskServerHost);
        var harness = new InMemoryHandshake();
        TlsClientSession? session = null;

        void Brisk()
        {
            var issued = harness.BriskClientBriskServer(serverOptions, clientOptions, scenario.Resumed ? session : null);
            if (issued is not null)
                session = issued;
        }
        void SslPair() => harness.SslStreamClient(toSslStream, transport => harness.StartSslStreamServer(sslServerOptions, transport));
        void SslClientBriskServer() => harness.SslStreamClient(toBrisk, transport => harness.StartBriskServer(serverOptions, transport));

        // Warm-up (JIT, certificate key caches, the first ticket) and a check that each pair completes.
        for (int i = 0; i < 20; i++)
        {
            Brisk();
            SslPair();
            SslClientBriskServer();
        }
        var brisk = new List<RoundResult>();
        var sslPair = new List<RoundResult>();
        var sslBrisk = new List<RoundResult>();
        for (int round = 0; round < Rounds; round++)
        {
            sslPair.Add(Measure(harness, SslPair));
            sslBrisk.Add(Measure(harness, SslClientBriskServer));
            brisk.Add(Measure(harness, Brisk));
        }
        var a = Median(sslPair);
        var b = Median(sslBrisk);
        var c = Median(brisk);
        string name = scenario.Name;
        Console.WriteLine(Invariant($"RATIO handshake-{name}-server-cpu brisk/sslstream={b.ServerUs / a.ServerUs:F3} brisk_us={b.ServerUs:F1} sslstream_us={a.ServerUs:F1}"));
        Console.WriteLine(Invariant($"RATIO handshake-{name}-server-alloc brisk/sslstream={b.ServerBytes / a.ServerBytes:F3} brisk_B={b.ServerBytes:F0} sslstream_B={a.ServerBytes:F0}"));
        Console.WriteLine(Invariant($"RATIO handshake-{name}-pair-cpu sslclient+brisk/sslclient+sslstream={b.ProcessUs / a.ProcessUs:F3} sslclient+brisk_us={b.ProcessUs:F1} sslclient+sslstream_us={a.ProcessUs:F1}"));
        // The SslStream client's share = the pair's process CPU minus the server's (it may continue on pool threads).
        double sslClientUs = b.ProcessUs - b.ServerUs;
        Console.WriteLine(Invariant($"RATIO handshake-{name}-client-cpu brisk/sslstream={c.ClientUs / sslClientUs:F3} brisk_client_us={c.ClientUs:F1} sslstream_client_us={sslClientUs:F1} brisk_client_B={c.ClientBytes:F0} brisk_server_us(brisk client)={c.ServerUs:F1} resumed={c.Resumed}/{c.Handshakes}"));
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
            (ThreadCpu.ProcessNanoseconds() - process) / 1000.0 / n, n, harness.Resumed, harness.Nested);
    }

    private static RoundResult Median(List<RoundResult> rounds)
    {
        static double M(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
        return new RoundResult(M(rounds.Select(r => r.ServerUs)), M(rounds.Select(r => r.ClientUs)), M(rounds.Select(r => r.ServerBytes)),
            M(rounds.Select(r => r.ClientBytes)), M(rounds.Select(r => r.ProcessUs)), rounds.Sum(r => r.Handshakes), rounds.Sum(r => r.Resumed), rounds.Sum(r => r.Nested));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
