using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Brisk.Server.Transport;

namespace Brisk.Server.Tests;

/// <summary>
/// A peer that resets the connection (e.g. `openssl s_time`, which closes with a RST after its response) must end
/// the protocol side with an <see cref="IOException"/> — the TLS layer's "transport gone" — on both the read and the
/// write side. A bare SocketException escaped the TLS layer's handlers and was logged as an unexpected connection
/// failure with a stack trace, once per connection.
/// </summary>
public sealed class SocketConnectionResetTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_reset_peer_ends_writes_with_an_IOException()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Guard);
        var accepted = await listener.AcceptAsync().WaitAsync(Guard);
        await using var connection = new SocketConnection(accepted, new PipeOptions(), new PipeOptions());
        connection.Start();

        // The peer resets (linger 0 → RST) without reading anything.
        client.LingerState = new LingerOption(true, 0);
        client.Close();

        // Keep writing until the send loop has met the reset; the flush after that must fail as an IOException.
        Exception? failure = null;
        var data = new byte[16 * 1024];
        for (int i = 0; i < 2000 && failure is null; i++)
        {
            try
            {
                await connection.Transport.Output.WriteAsync(data).AsTask().WaitAsync(Guard);
                await Task.Delay(5);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }
        Assert.NotNull(failure);
        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal("reset", connection.CloseReason);

        // The read side ends too (an IOException for the reset, or the end of input after the send side's shutdown).
        try
        {
            var result = await connection.Transport.Input.ReadAsync().AsTask().WaitAsync(Guard);
            Assert.True(result.IsCompleted);
        }
        catch (IOException)
        {
        }
    }
}
