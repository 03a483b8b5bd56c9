using System.IO.Pipelines;
using Brisk.Tls;

namespace Brisk.Server.Responders;

/// <summary>
/// The application behind the TLS endpoint: it reads the client's plaintext from
/// <paramref name="application"/>.Input and writes the reply to its Output; completing the Output ends
/// the connection (close_notify). Responders must not throw for anything the client sends.
/// </summary>
public interface IResponder
{
    string Name { get; }

    Task RunAsync(ConnectionContext connection, IDuplexPipe application, CancellationToken cancellationToken);
}
