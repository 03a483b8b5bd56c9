namespace Brisk.Server.Transport;

/// <summary>
/// Turns on the runtime's inline socket completions for this process (<c>--inline-completions</c>): the socket
/// event thread runs the continuation of a completed receive or send itself instead of queueing it to the thread
/// pool. The runtime offers this only as the environment variable <see cref="Variable"/>, read once when its
/// first socket registers with the event loop, so it is set here, in process, before the server opens any socket.
/// </summary>
internal static class InlineCompletionsSwitch
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>What the process runs with, for the start-up log: set by Brisk, set outside (kept), or off.</summary>
    public static string Description { get; private set; } = "off";

    /// <summary>
    /// Sets <see cref="Variable"/>=1 when <paramref name="inline"/> and nobody set it; a value from the environment
    /// always wins (an operator's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 keeps completions on the thread pool).
    /// </summary>
    public static void Apply(bool inline)
    {
        string? existing = Environment.GetEnvironmentVariable(Variable);
        if (existing is not null)
        {
            Description = $"{Variable}={existing} from the environment";
            return;
        }
        if (!inline)
            return;
        Environment.SetEnvironmentVariable(Variable, "1");
        Description = "on";
    }
}
