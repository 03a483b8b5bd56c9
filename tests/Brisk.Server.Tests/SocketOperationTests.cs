using System.Net;
using System.Net.Sockets;
using Brisk.Server.Transport;

namespace Brisk.Server.Tests;

/// <summary>
/// The transport's socket operations report the ordinary ends of a connection as values, never as exceptions
/// (an exception per closed connection cost more CPU than a resumed handshake: docs/performance-handshake.md).
/// </summary>
public sealed class SocketOperationTests
{
    private static async Task<(Socket Server, Socket Client)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (await accept, client);
    }

    [Fact]
    public async Task Receive_returns_the_bytes_then_end_of_input()
    {
        var (server, client) = await ConnectedPairAsync();
        using var _ = server;
        using var operation = new SocketOperation();
        var buffer = new byte[16];
        var pending = operation.ReceiveAsync(server, buffer); // nothing sent yet: completes later
        await client.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(SocketError.Success, await pending);
        Assert.Equal(3, operation.BytesTransferred);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..3]);

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SocketError.Success, await operation.ReceiveAsync(server, buffer));
        Assert.Equal(0, operation.BytesTransferred);
        client.Dispose();
    }

    [Fact]
    public async Task Closing_the_socket_ends_a_pending_receive_with_OperationAborted()
    {
        var (server, client) = await ConnectedPairAsync();
        using var _ = client;
        using var operation = new SocketOperation();
        var pending = operation.ReceiveAsync(server, Memory<byte>.Empty); // a zero-byte wait for readability
        Assert.False(pending.IsCompleted);
        server.Close();
        Assert.Equal(SocketError.OperationAborted, await pending);
        // Posting on the closed socket is a value too.
        Assert.Equal(SocketError.OperationAborted, await operation.ReceiveAsync(server, new byte[4]));
    }

    [Fact]
    public async Task Sending_to_a_peer_that_reset_is_an_error_value()
    {
        var (server, client) = await ConnectedPairAsync();
        using var _ = server;
        client.LingerState = new LingerOption(true, 0);
        client.Close(); // RST
        using var operation = new SocketOperation();
        var data = new byte[1024];
        SocketError result = SocketError.Success;
        // The first send may still be accepted before the reset is seen; a later one fails.
        for (int i = 0; i < 50 && result == SocketError.Success; i++)
        {
            result = await operation.SendAsync(server, data);
            if (result == SocketError.Success)
                await Task.Delay(10);
        }
        Assert.True(result is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted, result.ToString());
    }
}
