namespace Brisk.Server.Hosting;

/// <summary>
/// The configuration new connections start with. A reload swaps <see cref="Current"/> in one reference
/// write; each connection reads it once, when it is accepted, and keeps that configuration (certificates,
/// ticket keys, suites) for its whole life, so established connections never see a reload.
/// </summary>
public sealed class LiveConfiguration(ServerConfiguration initial)
{
    private volatile ServerConfiguration _current = initial;
    private long _generation;

    public ServerConfiguration Current => _current;

    /// <summary>How many times a new configuration was swapped in (0 until the first successful reload).</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Raised after each swap, with the new configuration.</summary>
    public event Action<ServerConfiguration>? Swapped;

    internal void Swap(ServerConfiguration next)
    {
        _current = next;
        Interlocked.Increment(ref _generation);
        Swapped?.Invoke(next);
    }
}
