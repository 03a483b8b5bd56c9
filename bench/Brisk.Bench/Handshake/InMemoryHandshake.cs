using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using Brisk.Tls;
using Brisk.Tls.Client;

namespace Brisk.Bench.Handshake;

/// <summary>CPU and allocations of one side, accumulated over handshakes.</summary>
public sealed class SideCost
{
    public long CpuNanoseconds;
    public long AllocatedBytes;

    /// <summary>Runs <paramref name="action"/> and charges its thread CPU time and allocations to this side.</summary>
    public void Charge(Action action)
    {
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        long cpu = ThreadCpu.Nanoseconds();
        action();
        CpuNanoseconds += ThreadCpu.Nanoseconds() - cpu;
        AllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - bytes;
    }

    public T Charge<T>(Func<T> action)
    {
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        long cpu = ThreadCpu.Nanoseconds();
        var result = action();
        CpuNanoseconds += ThreadCpu.Nanoseconds() - cpu;
        AllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - bytes;
        return result;
    }
}

/// <summary>
/// Handshakes over in-memory pipes (no sockets) whose two sides run on the calling thread, one after the
/// other: the pipes use inline schedulers, so when the client flushes a flight the server's pending read resumes
/// inside that flush, runs until it waits for the client again, and returns. The server's CPU time and allocations
/// are what happens inside those flushes (plus its start, its close and its disposal); everything else is the
/// client's. This holds as long as the client never waits for data the server has not written yet, which is how a
/// TLS handshake goes (each side answers a complete flight); <see cref="Nested"/> counts the exceptions.
/// </summary>
/// <remarks>
/// Every connection has the same life: handshake; the server closes (close_notify, end of its output); the client
/// reads to that close; both are disposed. The client's read matters for resumption: a TLS 1.3 server sends its
/// NewSessionTicket after the handshake (RFC 8446 §4.6.1), and the SslStream client (OpenSSL) only takes it in,
/// and hands the session to .NET's session cache, when it reads after the handshake.
/// Whether a handshake resumed is read from the server's own bytes (<see cref="ServerFlightObserver"/>), the same
/// way for every pair: <see cref="Resumed"/>.
/// </remarks>
public sealed class InMemoryHandshake
{
    private static readonly PipeOptions InlinePipe = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0, useSynchronizationContext: false);

    private readonly byte[] _fromServer = new byte[64 * 1024];
    private readonly ArrayBufferWriter<byte> _toServer = new(4096);
    private readonly byte[] _clientRead = new byte[1024];
    private readonly ServerFlightObserver _observer = new();

    public SideCost Server { get; } = new();
    public SideCost Client { get; } = new();
    public int Handshakes { get; private set; }

    /// <summary>Handshakes whose server flight shows a resumption (<see cref="ServerFlightObserver"/>).</summary>
    public int Resumed { get; private set; }

    /// <summary>Handshakes a Brisk server reported as resumed (<see cref="TlsConnectionInfo.Resumed"/>), as a cross-check.</summary>
    public int BriskServerReportedResumed { get; private set; }

    /// <summary>Handshakes Brisk's client reported as resumed, as a cross-check.</summary>
    public int BriskClientReportedResumed { get; private set; }

    public int Nested { get; private set; }

    /// <summary>
    /// Whether the SslStream client reads to the server's close after the handshake (the default). Off only to show
    /// that a TLS 1.3 SslStream client then never resumes (<c>quick handshake-resume</c>).
    /// </summary>
    public bool ClientReadsToClose { get; init; } = true;

    /// <summary>Version and cipher suite of the last handshake, from its ServerHello.</summary>
    public ServerFlight LastFlight { get; private set; }

    public void Reset()
    {
        Server.CpuNanoseconds = Server.AllocatedBytes = Client.CpuNanoseconds = Client.AllocatedBytes = 0;
        Handshakes = Resumed = BriskServerReportedResumed = BriskClientReportedResumed = Nested = 0;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>A server side under test: started on a transport by the harness, closed after the handshake, then disposed.</summary>
    public abstract class ServerSide : IDisposable
    {
        /// <summary>Checks that the handshake completed, then sends close_notify and ends the server's output.</summary>
        public abstract void Close();

        public abstract void Dispose();

        /// <summary>The server's own report of resumption, when it has one.</summary>
        public virtual bool? ReportsResumed => null;
    }

    /// <summary>
    /// Runs a handshake with no SynchronizationContext (a test runner's, say): continuations posted to one would run
    /// later, elsewhere, and the server's work would leave the client's flushes.
    /// </summary>
    private readonly struct NoSynchronizationContext : IDisposable
    {
        private readonly SynchronizationContext? _previous;

        public NoSynchronizationContext()
        {
            _previous = SynchronizationContext.Current;
            SynchronizationContext.SetSynchronizationContext(null);
        }

        public void Dispose() => SynchronizationContext.SetSynchronizationContext(_previous);
    }

    private void CountHandshake(bool? briskServerResumed, bool? briskClientResumed)
    {
        LastFlight = _observer.Classify();
        Handshakes++;
        if (LastFlight.Resumed)
            Resumed++;
        if (briskServerResumed == true)
            BriskServerReportedResumed++;
        if (briskClientResumed == true)
            BriskClientReportedResumed++;
    }

    /// <summary>Brisk client ↔ Brisk <see cref="TlsServerConnection"/>. Returns the session the server issued, if any.</summary>
    public TlsClientSession? BriskClientBriskServer(TlsServerOptions serverOptions, TlsClientOptions clientOptions, TlsClientSession? resume)
    {
        using var _ = new NoSynchronizationContext();
        return BriskClientBriskServerCore(serverOptions, clientOptions, resume);
    }

    private TlsClientSession? BriskClientBriskServerCore(TlsServerOptions serverOptions, TlsClientOptions clientOptions, TlsClientSession? resume)
    {
        var toServer = new Pipe(InlinePipe);
        var fromServer = new Pipe(InlinePipe);
        _observer.Reset();
        ServerSide? server = null;
        Server.Charge(() => server = StartBriskServer(serverOptions, new Duplex(toServer.Reader, fromServer.Writer)));
        var client = Client.Charge(() =>
        {
            var connection = new TlsClientConnection(clientOptions, resume);
            connection.Start(_toServer);
            return connection;
        });
        int pending = 0;
        bool closed = false;
        for (int round = 0; round < 16; round++)
        {
            bool progressed = false;
            if (_toServer.WrittenCount > 0)
            {
                Server.Charge(() =>
                {
                    toServer.Writer.Write(_toServer.WrittenSpan);
                    var flush = toServer.Writer.FlushAsync();
                    if (!flush.IsCompleted)
                        throw new InvalidOperationException("the in-memory server did not run inline");
                });
                _toServer.ResetWrittenCount();
                progressed = true;
            }
            if (fromServer.Reader.TryRead(out var result))
            {
                int length = (int)result.Buffer.Length;
                result.Buffer.CopyTo(_fromServer.AsSpan(pending));
                fromServer.Reader.AdvanceTo(result.Buffer.End);
                if (length > 0)
                {
                    _observer.Observe(_fromServer.AsSpan(pending, length));
                    pending += length;
                    int consumed = Client.Charge(() => client.Process(_fromServer.AsSpan(0, pending), _toServer));
                    _fromServer.AsSpan(consumed, pending - consumed).CopyTo(_fromServer);
                    pending -= consumed;
                    progressed = true;
                }
            }
            if (!progressed && client.IsHandshakeComplete && !closed)
            {
                // Same life as the SslStream pairs: the server closes, the client reads to the close.
                Server.Charge(server!.Close);
                closed = true;
                progressed = true;
            }
            if (!progressed)
                break;
        }
        if (!client.IsHandshakeComplete || !closed || !client.PeerClosed)
            throw new InvalidOperationException("in-memory handshake did not complete");
        CountHandshake(server!.ReportsResumed, client.Resumed);
        var session = client.Session;
        Client.Charge(client.Dispose);
        Server.Charge(() =>
        {
            toServer.Writer.Complete();
            fromServer.Reader.Complete();
            server.Dispose();
        });
        return session;
    }

    /// <summary>.NET SslStream client ↔ a server started by <paramref name="startServer"/> (SslStream or Brisk).</summary>
    public void SslStreamClient(SslClientAuthenticationOptions clientOptions, Func<IDuplexPipe, ServerSide> startServer)
    {
        using var _ = new NoSynchronizationContext();
        SslStreamClientCore(clientOptions, startServer);
    }

    private void SslStreamClientCore(SslClientAuthenticationOptions clientOptions, Func<IDuplexPipe, ServerSide> startServer)
    {
        var toServer = new Pipe(InlinePipe);
        var fromServer = new Pipe(InlinePipe);
        _observer.Reset();
        ServerSide? server = null;
        Server.Charge(() => server = startServer(new Duplex(toServer.Reader, fromServer.Writer)));
        var transport = new ChargingClientStream(this, fromServer.Reader, toServer.Writer);
        var client = new SslStream(transport, leaveInnerStreamOpen: true);
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        long cpu = ThreadCpu.Nanoseconds();
        long serverCpu = Server.CpuNanoseconds, serverBytes = Server.AllocatedBytes;
        var authenticate = client.AuthenticateAsClientAsync(clientOptions, CancellationToken.None);
        if (!authenticate.IsCompleted)
            Nested++;
        authenticate.GetAwaiter().GetResult();
        Server.Charge(server!.Close);
        // The server's output has ended, so this read completes: it takes in what came after the server's Finished
        // (the TLS 1.3 NewSessionTicket) and the close_notify.
        while (ClientReadsToClose)
        {
            var read = client.ReadAsync(_clientRead);
            if (!read.IsCompleted)
                Nested++;
            if (read.AsTask().GetAwaiter().GetResult() == 0)
                break;
        }
        client.Dispose();
        // The client's share is everything on this thread that was not charged to the server inside its flushes.
        Client.CpuNanoseconds += ThreadCpu.Nanoseconds() - cpu - (Server.CpuNanoseconds - serverCpu);
        Client.AllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - bytes - (Server.AllocatedBytes - serverBytes);
        Server.Charge(() =>
        {
            toServer.Writer.Complete();
            fromServer.Reader.Complete();
            server.Dispose();
        });
        CountHandshake(server.ReportsResumed, briskClientResumed: null);
    }

    /// <summary>Starts a Brisk server handshake on a transport.</summary>
    public ServerSide StartBriskServer(TlsServerOptions options, IDuplexPipe transport) => new BriskServerSide(this, options, transport);

    /// <summary>Starts an SslStream server handshake on a transport.</summary>
    public ServerSide StartSslStreamServer(SslServerAuthenticationOptions options, IDuplexPipe transport) => new SslStreamServerSide(this, options, transport);

    private sealed class BriskServerSide : ServerSide
    {
        private readonly InMemoryHandshake _owner;
        private readonly TlsServerConnection _server;
        private readonly Task<bool> _handshake;

        public BriskServerSide(InMemoryHandshake owner, TlsServerOptions options, IDuplexPipe transport)
        {
            _owner = owner;
            _server = new TlsServerConnection(options, transport, connectionId: "bench");
            _handshake = _server.HandshakeAsync(CancellationToken.None);
        }

        public override bool? ReportsResumed => _server.Info.Resumed;

        public override void Close()
        {
            if (!_handshake.IsCompleted)
            {
                _owner.Nested++;
                if (!_handshake.Wait(TimeSpan.FromSeconds(10)))
                    throw new InvalidOperationException("Brisk server handshake did not complete");
            }
            if (!_handshake.Result)
                throw new InvalidOperationException("Brisk server handshake failed");
            var close = _server.CloseAsync();
            if (!close.IsCompleted)
                _owner.Nested++;
            close.AsTask().GetAwaiter().GetResult();
        }

        public override void Dispose()
        {
            var dispose = _server.DisposeAsync();
            if (!dispose.IsCompleted)
                _owner.Nested++;
            dispose.AsTask().GetAwaiter().GetResult();
        }
    }

    private sealed class SslStreamServerSide : ServerSide
    {
        private readonly InMemoryHandshake _owner;
        private readonly SslStream _server;
        private readonly PipeWriter _output;
        private readonly Task _handshake;

        public SslStreamServerSide(InMemoryHandshake owner, SslServerAuthenticationOptions options, IDuplexPipe transport)
        {
            _owner = owner;
            _output = transport.Output;
            _server = new SslStream(new PipeStream(transport.Input, transport.Output), leaveInnerStreamOpen: false);
            _handshake = _server.AuthenticateAsServerAsync(options, CancellationToken.None);
        }

        public override void Close()
        {
            if (!_handshake.IsCompleted)
            {
                _owner.Nested++;
                if (!_handshake.Wait(TimeSpan.FromSeconds(10)))
                    throw new InvalidOperationException("SslStream server handshake did not complete");
            }
            _handshake.GetAwaiter().GetResult();
            var shutdown = _server.ShutdownAsync();
            if (!shutdown.IsCompleted)
                _owner.Nested++;
            shutdown.GetAwaiter().GetResult();
            _output.Complete();
        }

        public override void Dispose()
        {
            var dispose = _server.DisposeAsync();
            if (!dispose.IsCompleted)
                _owner.Nested++;
            dispose.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>A stream over two pipes (reads one, writes the other), completing synchronously whenever data is there.</summary>
    private class PipeStream(PipeReader input, PipeWriter output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }

        // Every write is flushed already. Stream's default FlushAsync runs Flush on the thread pool, and SslStream
        // flushes after each flight: that hop moved the rest of the handshake off the measuring thread.
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            int n = (int)Math.Min(buffer.Length, result.Buffer.Length);
            result.Buffer.Slice(0, n).CopyTo(buffer.Span);
            input.AdvanceTo(result.Buffer.GetPosition(n));
            OnRead(buffer.Span[..n]);
            return n;
        }

        protected virtual void OnRead(ReadOnlySpan<byte> bytes) { }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            output.Write(buffer.Span);
            return FlushOutputAsync(output, cancellationToken);
        }

        protected virtual ValueTask FlushOutputAsync(PipeWriter writer, CancellationToken cancellationToken)
        {
            var flush = writer.FlushAsync(cancellationToken);
            return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(flush.AsTask());
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// The client's transport: every flush toward the server is charged to the server (it runs inline in it), and
    /// what the server sent is shown to the observer.
    /// </summary>
    private sealed class ChargingClientStream(InMemoryHandshake owner, PipeReader input, PipeWriter output) : PipeStream(input, output)
    {
        protected override ValueTask FlushOutputAsync(PipeWriter writer, CancellationToken cancellationToken)
        {
            bool completed = owner.Server.Charge(() => writer.FlushAsync(cancellationToken).IsCompleted);
            if (!completed)
                owner.Nested++;
            return ValueTask.CompletedTask;
        }

        protected override void OnRead(ReadOnlySpan<byte> bytes) => owner._observer.Observe(bytes);
    }
}
