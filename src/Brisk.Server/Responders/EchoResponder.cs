using System.IO.Pipelines;
using Brisk.Tls;

namespace Brisk.Server.Responders;

/// <summary>Returns every byte it reads, until the client closes.</summary>
public sealed class EchoResponder : IResponder
{
    public string Name => "echo";

    public async Task RunAsync(ConnectionContext connection, IDuplexPipe application, CancellationToken cancellationToken)
    {
        try
        {
            await application.Input.CopyToAsync(application.Output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The connection ended under us; nothing to answer.
        }
        await application.Input.CompleteAsync().ConfigureAwait(false);
        await application.Output.CompleteAsync().ConfigureAwait(false);
    }
}
