using Brisk.Bench.Handshake;
using Brisk.Tls.Client;

namespace Brisk.Bench.Tests;

/// <summary>
/// The in-memory handshake harness's pairs resume where the scenario says so, as the servers' own bytes show it
/// (<see cref="ServerFlightObserver"/>), and the measurement stays on the calling thread (nothing nested).
/// One class, so these run one after another: .NET's client session cache is process-wide, keyed by host name.
/// </summary>
public sealed class InMemoryHandshakeResumptionTests
{
    private const int Resumptions = 4;

    public static TheoryData<string> ResumedScenarios => new(HandshakeScenario.All.Where(s => s.Resumed).Select(s => s.Name));

    public static TheoryData<string> FullScenarios => new(HandshakeScenario.All.Where(s => !s.Resumed).Select(s => s.Name));

    [Theory]
    [MemberData(nameof(ResumedScenarios))]
    public void SslStreamClientResumesWithBriskServer(string name)
    {
        var scenario = HandshakeScenario.Find(name);
        var serverOptions = scenario.BriskServerOptions();
        var client = scenario.SslStreamClientOptions(HandshakeScenario.BriskServerHost);
        var harness = new InMemoryHandshake();

        harness.SslStreamClient(client, transport => harness.StartBriskServer(serverOptions, transport));
        harness.Reset();
        for (int i = 0; i < Resumptions; i++)
            harness.SslStreamClient(client, transport => harness.StartBriskServer(serverOptions, transport));

        Assert.Equal(Resumptions, harness.Handshakes);
        Assert.Equal(Resumptions, harness.Resumed);
        Assert.Equal(Resumptions, harness.BriskServerReportedResumed);
        Assert.Equal((ushort)scenario.Suite.Suite, harness.LastFlight.CipherSuite);
        Assert.Equal(0, harness.Nested);
    }

    [Theory]
    [MemberData(nameof(ResumedScenarios))]
    public void SslStreamClientResumesWithSslStreamServer(string name)
    {
        var scenario = HandshakeScenario.Find(name);
        var serverOptions = scenario.SslStreamServerOptions();
        var client = scenario.SslStreamClientOptions(HandshakeScenario.SslStreamServerHost);
        var harness = new InMemoryHandshake();

        harness.SslStreamClient(client, transport => harness.StartSslStreamServer(serverOptions, transport));
        harness.Reset();
        for (int i = 0; i < Resumptions; i++)
            harness.SslStreamClient(client, transport => harness.StartSslStreamServer(serverOptions, transport));

        Assert.Equal(Resumptions, harness.Handshakes);
        Assert.Equal(Resumptions, harness.Resumed);
        Assert.Equal((ushort)scenario.Suite.Suite, harness.LastFlight.CipherSuite);
        Assert.Equal(0, harness.Nested);
    }

    [Theory]
    [MemberData(nameof(ResumedScenarios))]
    public void BriskClientResumesWithBriskServer(string name)
    {
        var scenario = HandshakeScenario.Find(name);
        var serverOptions = scenario.BriskServerOptions();
        var clientOptions = scenario.BriskClientOptions();
        var harness = new InMemoryHandshake();

        TlsClientSession? session = harness.BriskClientBriskServer(serverOptions, clientOptions, resume: null);
        harness.Reset();
        for (int i = 0; i < Resumptions; i++)
            session = harness.BriskClientBriskServer(serverOptions, clientOptions, session) ?? session;

        Assert.Equal(Resumptions, harness.Resumed);
        Assert.Equal(Resumptions, harness.BriskServerReportedResumed);
        Assert.Equal(Resumptions, harness.BriskClientReportedResumed);
        Assert.Equal((ushort)scenario.Suite.Suite, harness.LastFlight.CipherSuite);
    }

    /// <summary>The detection can say no: the full scenarios' handshakes are never counted as resumed.</summary>
    [Theory]
    [MemberData(nameof(FullScenarios))]
    public void FullScenariosDoNotResume(string name)
    {
        var scenario = HandshakeScenario.Find(name);
        var briskServer = scenario.BriskServerOptions();
        var sslServer = scenario.SslStreamServerOptions();
        var harness = new InMemoryHandshake();

        for (int i = 0; i < 2; i++)
        {
            harness.SslStreamClient(scenario.SslStreamClientOptions(HandshakeScenario.SslStreamServerHost), t => harness.StartSslStreamServer(sslServer, t));
            harness.SslStreamClient(scenario.SslStreamClientOptions(HandshakeScenario.BriskServerHost), t => harness.StartBriskServer(briskServer, t));
            harness.BriskClientBriskServer(briskServer, scenario.BriskClientOptions(), resume: null);
        }

        Assert.Equal(6, harness.Handshakes);
        Assert.Equal(0, harness.Resumed);
        Assert.Equal(0, harness.BriskServerReportedResumed);
        Assert.Equal((ushort)scenario.Suite.Suite, harness.LastFlight.CipherSuite);
        Assert.Equal(0, harness.Nested);
    }

    /// <summary>
    /// Without its read after the handshake, the SslStream client never takes in a TLS 1.3 ticket (it comes after
    /// the server's Finished, RFC 8446 §4.6.1), so it cannot resume: the reason the harness reads to the close.
    /// </summary>
    [Fact]
    public void Tls13SslStreamClientNeedsTheReadAfterTheHandshake()
    {
        var scenario = HandshakeScenario.Find("resumed-tls13");
        var serverOptions = scenario.BriskServerOptions();
        // A host name of its own, so no session from another test is in the client's cache.
        var client = scenario.SslStreamClientOptions("no-read." + HandshakeScenario.BriskServerHost);
        var harness = new InMemoryHandshake { ClientReadsToClose = false };

        for (int i = 0; i < 3; i++)
            harness.SslStreamClient(client, transport => harness.StartBriskServer(serverOptions, transport));

        Assert.Equal(3, harness.Handshakes);
        Assert.Equal(0, harness.Resumed);
        Assert.Equal(0, harness.BriskServerReportedResumed);
    }
}
