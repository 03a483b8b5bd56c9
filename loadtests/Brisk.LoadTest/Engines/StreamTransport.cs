using System.Net.Sockets;

namespace Brisk.LoadTest.Engines;

/// <summary>How the brisk engine's connections reach the network (<c>--io</c>).</summary>
internal enum IoMode
{
    /// <summary>Own epoll loop per client core over non-blocking libc sockets (<see cref="Epoll.EpollSocket"/>).</summary>
    Epoll,

    /// <summary>.NET <see cref="Socket"/> async operations (with inline completions).</summary>
    Socket,
}

/// <summary>
/// The byte stream under a brisk-engine connection. Failures are <see cref="ConnectionFailedException"/> (refused,
/// reset, …) or <see cref="OperationCanceledException"/>. One operation at a time.
/// </summary>
internal interface IStreamTransport : IDisposable
{
    /// <summary>Sends all of <paramref name="data"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Bytes received into <paramref name="buffer"/>; 0 at end of stream.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Best effort, never waits, never throws (the close_notify just before closing).</summary>
    void TrySend(ReadOnlySpan<byte> data);
}

/// <summary><c>--io socket</c>: a connected .NET <see cref="Socket"/>.</summary>
internal sealed class SocketTransport(Socket socket) : IStreamTransport
{
    public static async ValueTask<SocketTransport> ConnectAsync(System.Net.IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try { await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false); }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ConnectionFailedException(OpenSslEngine.SocketErrorKind(e));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new SocketTransport(socket);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                data = data[sent..];
            }
        }
        catch (SocketException e) { throw new ConnectionFailedException(OpenSslEngine.SocketErrorKind(e)); }
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try { return await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false); }
        catch (SocketException e) { throw new ConnectionFailedException(OpenSslEngine.SocketErrorKind(e)); }
    }

    public void TrySend(ReadOnlySpan<byte> data)
    {
        try { socket.Send(data, SocketFlags.None); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { }
    }

    public void Dispose() => socket.Dispose();
}
