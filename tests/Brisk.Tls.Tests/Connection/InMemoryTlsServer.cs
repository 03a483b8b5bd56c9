using System.IO.Pipelines;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// A <see cref="TlsServerConnection"/> over two in-memory pipes. The test plays the client on the other
/// ends: <see cref="ToServer"/> carries what the client sends, <see cref="FromServer"/> what the server
/// wrote. The handshake starts at once on the thread pool; <see cref="StartEcho"/> then runs the record
/// pumps with an echo application behind <see cref="TlsServerConnection.Application"/>.
/// </summary>
internal sealed class InMemoryTlsServer : IAsyncDisposable
{
    /// <summary>A failure guard only: no test expects anything to take this long.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static readonly PipeOptions TransportOptions = new(useSynchronizationContext: false);

    private readonly Pipe _clientToServer;
    private readonly Pipe _serverToClient;
    private readonly CancellationTokenSource _stop = new();

    private InMemoryTlsServer(TlsServerOptions options, PipeOptions transportOptions, CancellationTokenSource? handshakeCancellation = null)
    {
        var handshakeToken = handshakeCancellation?.Token ?? _stop.Token;
        _clientToServer = new Pipe(transportOptions);
        _serverToClient = new Pipe(transportOptions);
        Connection = new TlsServerConnection(options, new DuplexPipe(_clientToServer.Reader, _serverToClient.Writer), connectionId: "in-memory");
        Handshake = Task.Run(() => Connection.HandshakeAsync(handshakeToken));
    }

    /// <param name="transportOptions">Pipe options of both transport directions (e.g. tiny segments so records straddle them).</param>
    public static InMemoryTlsServer Start(TlsServerOptions? options = null, PipeOptions? transportOptions = null)
        => new(options ?? TestCredentials.Options(), transportOptions ?? TransportOptions);

    /// <summary>Like <see cref="Start"/>, with a token the test cancels to play the handshake timeout.</summary>
    public static InMemoryTlsServer StartWithCancellation(out CancellationTokenSource handshakeCancellation)
    {
        handshakeCancellation = new CancellationTokenSource();
        return new(TestCredentials.Options(), TransportOptions, handshakeCancellation);
    }

    public TlsServerConnection Connection { get; }

    /// <summary>HandshakeAsync's result. It must never fault: every peer error ends in false.</summary>
    public Task<bool> Handshake { get; }

    /// <summary>The record pumps and the echo application, once <see cref="StartEcho"/> ran.</summary>
    public Task? Running { get; private set; }

    public PipeWriter ToServer => _clientToServer.Writer;

    public PipeReader FromServer => _serverToClient.Reader;

    public async Task<bool> HandshakeResultAsync() => await Handshake.WaitAsync(Guard);

    /// <summary>Starts the record pumps with an application that echoes every byte until its input ends.</summary>
    public void StartEcho()
    {
        var pump = Connection.RunAsync(_stop.Token);
        var application = EchoAsync(Connection.Application);
        Running = Task.WhenAll(pump, application);
    }

    private static async Task EchoAsync(IDuplexPipe application)
    {
        try
        {
            while (true)
            {
                var result = await application.Input.ReadAsync();
                foreach (var segment in result.Buffer)
                    await application.Output.WriteAsync(segment);
                application.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    break;
            }
            await application.Input.CompleteAsync();
        }
        catch (IOException)
        {
            // The connection ended with an error (e.g. a bad record): the application just stops.
        }
        await application.Output.CompleteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _clientToServer.Writer.CompleteAsync();
        await _serverToClient.Reader.CompleteAsync();
        try { await Handshake.WaitAsync(Guard); } catch (Exception) { /* asserted by the tests that care */ }
        if (Running is not null)
        {
            try { await Running.WaitAsync(Guard); } catch (Exception) { /* asserted by the tests that care */ }
        }
        await Connection.DisposeAsync();
        _stop.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
