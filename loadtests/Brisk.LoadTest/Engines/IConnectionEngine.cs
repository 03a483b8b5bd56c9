namespace Brisk.LoadTest.Engines;

/// <summary>Opens TLS client connections. One instance per run, shared by all workers (thread-safe).</summary>
internal interface IConnectionEngine : IDisposable
{
    string Name { get; }

    /// <summary>
    /// TCP connect plus the full TLS handshake. Throws <see cref="ConnectionFailedException"/> on failure
    /// and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    ValueTask<IClientConnection> ConnectAsync(bool tryResume, CancellationToken cancellationToken);
}

/// <summary>An established TLS connection. Not thread-safe; the caller owns it and must dispose it.</summary>
internal interface IClientConnection : IDisposable
{
    bool Resumed { get; }

    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Returns 0 at end of stream (close_notify or TCP FIN).</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>TLS 1.3 delivers the session ticket after the handshake: read until it arrives (or time out) so it can be kept.</summary>
    ValueTask CaptureSessionAsync(CancellationToken cancellationToken);
}

internal sealed class ConnectionFailedException(ConnectionError error, string? message = null)
    : Exception(message ?? error.Key)
{
    public ConnectionError Error { get; } = error;
}
