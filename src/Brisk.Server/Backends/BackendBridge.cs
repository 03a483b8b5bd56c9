using System.IO.Pipelines;
using System.Net.Sockets;
using Brisk.Server.Responders;
using Microsoft.Extensions.Logging;

namespace Brisk.Server.Backends;

/// <summary>
/// Moves one connection's plaintext between the TLS layer's application pipe and the backend socket, both ways.
///
/// Buffer ownership: there is no buffer of its own. Client→backend, the socket sends straight from the
/// segments of <c>application.Input</c> (the pipe the TLS layer decrypts into) and returns them to that pipe
/// once sent. Backend→client, the socket receives straight into memory of <c>application.Output</c> (the pipe
/// the TLS layer encrypts from), asked for only after a zero-byte receive says data is ready, so an idle
/// connection holds no buffer. Backpressure is the pipes': a slow client stops our FlushAsync at the TLS
/// output pipe's pause threshold, so we stop receiving from the backend and TCP pushes back on it; a slow
/// backend blocks our sends, the TLS layer's input pipe fills, and it stops reading from the client.
///
/// Closing (each direction on its own, so half-close works):
/// - client close_notify or FIN (clean end of application.Input): shutdown(Send) to the backend; its answer keeps flowing.
/// - backend FIN: application.Output completes, the TLS layer flushes what is queued and sends close_notify.
/// - client reset or fatal alert (application.Input ends with an error): the backend socket is closed with
///   linger 0, so it sees a reset too.
/// - backend reset: the client connection is aborted (<see cref="ConnectionContext.AbortClient"/>).
/// </summary>
internal sealed partial class BackendBridge(Socket backend, IDuplexPipe application, ConnectionContext connection, ILogger logger)
{
    // One full TLS record's plaintext (RFC 8446 §5.1: 2^14), so each receive can become one record.
    private const int ReceiveSize = 16 * 1024;

    private int _reset;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var toBackend = ClientToBackendAsync(cancellationToken);
            var toClient = BackendToClientAsync(cancellationToken);
            await Task.WhenAll(toBackend, toClient).ConfigureAwait(false);
        }
        finally
        {
            backend.Dispose();
        }
    }

    private async Task ClientToBackendAsync(CancellationToken cancellationToken)
    {
        var input = application.Input;
        string outcome;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
            {
                // The client connection failed (reset, fatal alert, server abort): reset the backend as well.
                outcome = $"client connection failed ({ex.Message}); resetting the backend";
                ResetBackend();
                break;
            }
            var buffer = result.Buffer;
            bool sent = true;
            try
            {
                foreach (var segment in buffer)
                    await SendAllAsync(segment, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                sent = false;
            }
            input.AdvanceTo(buffer.End);
            if (!sent)
            {
                // The backend is gone; the other direction reports how (reset or close).
                outcome = "backend stopped accepting data";
                break;
            }
            if (result.IsCompleted)
            {
                // Clean end from the client (close_notify, or FIN): half-close, the answer still flows back.
                outcome = "client finished sending; half-closed the backend";
                try { backend.Shutdown(SocketShutdown.Send); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
                break;
            }
        }
        LogDirectionEnded(logger, connection.ConnectionId, "client→backend", outcome);
        await input.CompleteAsync().ConfigureAwait(false);
    }

    private async Task BackendToClientAsync(CancellationToken cancellationToken)
    {
        var output = application.Output;
        Exception? error = null;
        string outcome;
        try
        {
            while (true)
            {
                // Wait for readability without holding a buffer.
                await backend.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                var memory = output.GetMemory(ReceiveSize);
                int received = await backend.ReceiveAsync(memory, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    outcome = "backend closed; close_notify to the client after the queued data";
                    break;
                }
                output.Advance(received);
                var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    // The TLS layer stopped sending (client gone): nobody will read the backend's answer.
                    outcome = "client no longer reading; closing the backend";
                    ResetBackend();
                    break;
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted && Volatile.Read(ref _reset) == 0)
        {
            // The backend reset the connection: so does Brisk to the client (no close_notify, which would claim a clean end).
            outcome = "backend reset the connection; aborting the client connection";
            error = new IOException("backend reset the connection", ex);
            connection.AbortClient?.Invoke("backend reset");
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // We closed the backend ourselves (client failure) or the server is stopping.
            outcome = $"stopped ({ex.Message})";
            error = ex is InvalidOperationException ? null : new IOException(ex.Message, ex);
        }
        LogDirectionEnded(logger, connection.ConnectionId, "backend→client", outcome);
        await output.CompleteAsync(error).ConfigureAwait(false);
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await backend.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>Closes the backend socket with linger 0 (RST), so the backend learns the client did not end cleanly.</summary>
    private void ResetBackend()
    {
        if (Interlocked.Exchange(ref _reset, 1) != 0)
            return;
        try
        {
            backend.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        backend.Close();
    }

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "{ConnectionId} {Direction}: {Outcome}")]
    private static partial void LogDirectionEnded(ILogger logger, string connectionId, string direction, string outcome);
}
