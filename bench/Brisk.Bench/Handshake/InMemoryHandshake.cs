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
/// Full handshakes over in-memory pipes (no sockets) whose two sides run on the calling thread, one after the
/// other: the pipes use inline schedulers, so when the client flushes a flight the server's pending read resumes
/// inside that flush, runs until it waits for the client again, and returns. The server's CPU time and allocations
/// are what happens inside those flushes (plus its start and disposal); everything else is the client's.
/// This holds as long as the client never waits for data the server has not written yet, which is how a TLS
/// handshake goes (each side answers a complete flight); <see cref="Nested"/> counts the exceptions.
/// </summary>
public sealed class InMemoryHandshake
{
    private static readonly PipeOptions InlinePipe = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0, useSynchronizationContext: false);

    private readonly byte[] _fromServer = new byte[64 * 1024];
    private readonly ArrayBufferWriter<byte> _toServer = new(4096);

    public SideCost Server { get; } = new();
    public SideCost Client { get; } = new();
    public int Handshakes { get; private set; }
    public int Resumed { get; private set; }
    public int Nested { get; private set; }

    public void Reset()
    {
        Server.CpuNanoseconds = Server.AllocatedBytes = Client.CpuNanoseconds = Client.AllocatedBytes = 0;
        Handshakes = Resumed = Nested = 0;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>Brisk client ↔ Brisk <see cref="TlsServerConnection"/>. Returns the session the server issued, if any.</summary>
    public TlsClientSession? BriskClientBriskServer(TlsServerOptions serverOptions, TlsClientOptions clientOptions, TlsClientSession? resume)
    {
        var toServer = new Pipe(InlinePipe);
        var fromServer = new Pipe(InlinePipe);
        TlsServerConnection? server = null;
        Task<bool>? serverHandshake = null;
        Server.Charge(() =>
        {
            server = new TlsServerConnection(serverOptions, new Duplex(toServer.Reader, fromServer.Writer), connectionId: "bench");
            serverHandshake = server.HandshakeAsync(CancellationToken.None);
        });
        var client = Client.Charge(() =>
        {
            var connection = new TlsClientConnection(clientOptions, resume);
            connection.Start(_toServer);
            return connection;
        });
        int pending = 0;
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
            if (fromServer.Reader.TryRead(out var result) && !result.Buffer.IsEmpty)
            {
                result.Buffer.CopyTo(_fromServer.AsSpan(pending));
                pending += (int)result.Buffer.Length;
                fromServer.Reader.AdvanceTo(result.Buffer.End);
                int consumed = Client.Charge(() => client.Process(_fromServer.AsSpan(0, pending), _toServer));
                _fromServer.AsSpan(consumed, pending - consumed).CopyTo(_fromServer);
                pending -= consumed;
                progressed = true;
            }
            if (!progressed)
                break;
        }
        if (!client.IsHandshakeComplete || !serverHandshake!.IsCompleted || !serverHandshake.Result)
            throw new InvalidOperationException("in-memory handshake did not complete");
        Handshakes++;
        if (client.Resumed)
            Resumed++;
        var session = client.Session;
        Client.Charge(client.Dispose);
        Server.Charge(() =>
        {
            toServer.Writer.Complete();
            fromServer.Reader.Complete();
            server!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        return session;
    }

    /// <summary>.NET SslStream client ↔ a server started by <paramref name="startServer"/> (SslStream or Brisk).</summary>
    public void SslStreamClient(SslClientAuthenticationOptions clientOptions, Func<IDuplexPipe, Func<ValueTask>> startServer)
    {
        var toServer = new Pipe(InlinePipe);
        var fromServer = new Pipe(InlinePipe);
        Func<ValueTask>? finishServer = null;
        Server.Charge(() => finishServer = startServer(new Duplex(toServer.Reader, fromServer.Writer)));
        var transport = new ChargingClientStream(this, fromServer.Reader, toServer.Writer);
        var client = new SslStream(transport, leaveInnerStreamOpen: true);
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        long cpu = ThreadCpu.Nanoseconds();
        long serverCpu = Server.CpuNanoseconds, serverBytes = Server.AllocatedBytes;
        var authenticate = client.AuthenticateAsClientAsync(clientOptions, CancellationToken.None);
        if (!authenticate.IsCompleted)
            Nested++;
        authenticate.GetAwaiter().GetResult();
        client.Dispose();
        // The client's share is everything on this thread that was not charged to the server inside its flushes.
        Client.CpuNanoseconds += ThreadCpu.Nanoseconds() - cpu - (Server.CpuNanoseconds - serverCpu);
        Client.AllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - bytes - (Server.AllocatedBytes - serverBytes);
        Server.Charge(() =>
        {
            toServer.Writer.Complete();
            fromServer.Reader.Complete();
            finishServer!().AsTask().GetAwaiter().GetResult();
        });
        Handshakes++;
    }

    /// <summary>Starts a Brisk server handshake on a transport; the returned callback checks it and disposes it.</summary>
    public Func<ValueTask> StartBriskServer(TlsServerOptions options, IDuplexPipe transport)
    {
        var server = new TlsServerConnection(options, transport, connectionId: "bench");
        var handshake = server.HandshakeAsync(CancellationToken.None);
        return async () =>
        {
            if (!handshake.IsCompleted)
                Nested++;
            if (!await handshake.WaitAsync(TimeSpan.FromSeconds(10)))
                throw new InvalidOperationException("Brisk server handshake did not complete");
            await server.DisposeAsync();
        };
    }

    /// <summary>Starts an SslStream server handshake on a transport; the returned callback checks it and disposes it.</summary>
    public Func<ValueTask> StartSslStreamServer(SslServerAuthenticationOptions options, IDuplexPipe transport)
    {
        var server = new SslStream(new PipeStream(transport.Input, transport.Output), leaveInnerStreamOpen: false);
        var handshake = server.AuthenticateAsServerAsync(options, CancellationToken.None);
        return async () =>
        {
            if (!handshake.IsCompleted)
                Nested++;
            await handshake.WaitAsync(TimeSpan.FromSeconds(10));
            await server.DisposeAsync();
        };
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
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var result = await input.ReadAsync(cancellationToken);
            int n = (int)Math.Min(buffer.Length, result.Buffer.Length);
            result.Buffer.Slice(0, n).CopyTo(buffer.Span);
            input.AdvanceTo(result.Buffer.GetPosition(n));
            return n;
        }

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

    /// <summary>The client's transport: every flush toward the server is charged to the server (it runs inline in it).</summary>
    private sealed class ChargingClientStream(InMemoryHandshake owner, PipeReader input, PipeWriter output) : PipeStream(input, output)
    {
        protected override ValueTask FlushOutputAsync(PipeWriter writer, CancellationToken cancellationToken)
        {
            bool completed = owner.Server.Charge(() => writer.FlushAsync(cancellationToken).IsCompleted);
            if (!completed)
                owner.Nested++;
            return ValueTask.CompletedTask;
        }
    }
}
