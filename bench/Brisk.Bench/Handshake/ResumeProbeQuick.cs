using System.Globalization;
using Brisk.Tls.Protocol;

namespace Brisk.Bench.Handshake;

/// <summary>
/// <c>quick handshake-resume [COUNT]</c>: what the SslStream pairs of <c>quick handshake</c> need to resume, shown by
/// experiment. For each resumed scenario and each variant, COUNT handshakes (default 20) after one full one, and how
/// many the server's bytes show as resumed (<see cref="ServerFlightObserver"/>), with the negotiated suite:
/// <list type="bullet">
/// <item>as measured: no CipherSuitesPolicy, the client reads to the server's close after the handshake;</item>
/// <item>with a CipherSuitesPolicy (the full scenarios' options);</item>
/// <item>without the client's read after the handshake;</item>
/// <item>with one host name for both servers, the two pairs alternating (the client then offers each server the
/// other's session).</item>
/// </list>
/// No timing: this is the evidence for the harness's choices.
/// </summary>
public sealed class ResumeProbeQuick : IQuickCommand
{
    public string Area => "handshake-resume";

    public void Run(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        foreach (var scenario in HandshakeScenario.All.Where(s => s.Resumed))
        {
            Probe(scenario, "as measured", count, restrictSuites: null, clientReads: true);
            Probe(scenario, "with CipherSuitesPolicy", count, restrictSuites: true, clientReads: true);
            Probe(scenario, "no client read after handshake", count, restrictSuites: null, clientReads: false);
            ProbeOneHostAlternating(scenario, count);
        }
    }

    private static void Probe(HandshakeScenario scenario, string variant, int count, bool? restrictSuites, bool clientReads)
    {
        var serverOptions = scenario.BriskServerOptions();
        // A fresh SslStream server certificate context per variant: its SSL_CTX (and session cache) is keyed by it.
        var sslServer = scenario.SslStreamServerOptions(restrictSuites);
        // Fresh host names per variant, so no client session from an earlier variant is offered.
        string suffix = Guid.NewGuid().ToString("N")[..8];
        var toSslStream = scenario.SslStreamClientOptions($"s{suffix}.{HandshakeScenario.SslStreamServerHost}", restrictSuites);
        var toBrisk = scenario.SslStreamClientOptions($"b{suffix}.{HandshakeScenario.SslStreamServerHost}", restrictSuites);
        var harness = new InMemoryHandshake { ClientReadsToClose = clientReads };

        string Run(Action handshake, Func<InMemoryHandshake, string>? crossCheck = null)
        {
            handshake(); // the full handshake that provides the first session
            harness.Reset();
            for (int i = 0; i < count; i++)
                handshake();
            string suite = ((CipherSuite)harness.LastFlight.CipherSuite).ToString();
            return $"resumed={harness.Resumed}/{harness.Handshakes} {suite}{crossCheck?.Invoke(harness)} nested={harness.Nested}";
        }

        string pair = Run(() => harness.SslStreamClient(toSslStream, t => harness.StartSslStreamServer(sslServer, t)));
        string brisk = Run(() => harness.SslStreamClient(toBrisk, t => harness.StartBriskServer(serverOptions, t)),
            h => $" (Brisk server says {h.BriskServerReportedResumed})");
        Console.WriteLine($"{scenario.Name,-14} {variant,-32} sslstream->sslstream {pair,-40} sslstream->brisk {brisk}");
    }

    private static void ProbeOneHostAlternating(HandshakeScenario scenario, int count)
    {
        var serverOptions = scenario.BriskServerOptions();
        var sslServer = scenario.SslStreamServerOptions();
        var client = scenario.SslStreamClientOptions($"a{Guid.NewGuid():N}"[..9] + "." + HandshakeScenario.SslStreamServerHost);
        var toSslStream = new InMemoryHandshake();
        var toBrisk = new InMemoryHandshake();
        for (int i = 0; i <= count; i++)
        {
            if (i == 1)
            {
                toSslStream.Reset();
                toBrisk.Reset();
            }
            toSslStream.SslStreamClient(client, t => toSslStream.StartSslStreamServer(sslServer, t));
            toBrisk.SslStreamClient(client, t => toBrisk.StartBriskServer(serverOptions, t));
        }
        Console.WriteLine($"{scenario.Name,-14} {"one host name, pairs alternating",-32} sslstream->sslstream resumed={toSslStream.Resumed}/{toSslStream.Handshakes,-32} sslstream->brisk resumed={toBrisk.Resumed}/{toBrisk.Handshakes}");
    }
}
