using System.Diagnostics.Tracing;
using System.Globalization;

namespace Brisk.Bench.Handshake;

/// <summary>
/// <c>quick handshake-alloc [SCENARIO] [HANDSHAKES]</c>: which types a Brisk handshake allocates, Brisk client and
/// Brisk server in memory on one thread. The runtime reports an allocation sample about every 100 KB
/// (GCAllocationTick, with the type that crossed the threshold), so a type's share of the samples estimates its
/// share of the bytes; the total per handshake is exact (<see cref="GC.GetAllocatedBytesForCurrentThread"/>),
/// split into server and client as <c>quick handshake</c> does. Types of both sides are mixed in the samples.
/// </summary>
public sealed class HandshakeAllocationsQuick : IQuickCommand
{
    public string Area => "handshake-alloc";

    public void Run(string[] args)
    {
        var scenario = HandshakeScenario.Find(args.Length > 0 ? args[0] : "tls13-rsa");
        int handshakes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
        var serverOptions = scenario.BriskServerOptions();
        var clientOptions = scenario.BriskClientOptions();
        var harness = new InMemoryHandshake();
        Brisk.Tls.Client.TlsClientSession? session = null;
        void One()
        {
            var issued = harness.BriskClientBriskServer(serverOptions, clientOptions, scenario.Resumed ? session : null);
            if (issued is not null)
                session = issued;
        }
        for (int i = 0; i < 200; i++)
            One();

        harness.Reset();
        using var listener = new AllocationTickListener();
        for (int i = 0; i < handshakes; i++)
            One();
        listener.Stop();

        double server = (double)harness.Server.AllocatedBytes / handshakes;
        double client = (double)harness.Client.AllocatedBytes / handshakes;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# quick handshake-alloc {scenario.Name}: {handshakes} handshakes, server {server:F0} B and client {client:F0} B per handshake, {listener.Samples} samples"));
        double perSample = (server + client) * handshakes / Math.Max(1, listener.Samples);
        foreach (var (type, count) in listener.ByType.OrderByDescending(p => p.Value).Take(40))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ALLOC {count * perSample / handshakes,8:F0} B/hs {100.0 * count / listener.Samples,5:F1}%  {type}"));
    }

    /// <summary>Counts GCAllocationTick events (runtime provider, GC keyword, verbose) by type name.</summary>
    private sealed class AllocationTickListener : EventListener
    {
        private const int GCAllocationTickEventId = 10;
        private volatile bool _stopped;

        public Dictionary<string, int> ByType { get; } = [];

        public int Samples { get; private set; }

        public void Stop() => _stopped = true;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1 /* GC */);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (_stopped || e.EventId != GCAllocationTickEventId || e.PayloadNames is null)
                return;
            int index = e.PayloadNames.IndexOf("TypeName");
            string type = index >= 0 ? e.Payload![index] as string ?? "?" : "?";
            int sizeIndex = e.PayloadNames.IndexOf("ObjectSize");
            if (type is "System.Byte[]" && sizeIndex >= 0 && e.Payload![sizeIndex] is ulong size)
                type = $"System.Byte[] of {size} B";
            lock (ByType)
            {
                ByType[type] = ByType.GetValueOrDefault(type) + 1;
                Samples++;
            }
        }
    }
}
