using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Brisk.Tls;

namespace Brisk.Server.Responders;

/// <summary>
/// A minimal HTTP/1.1 responder for benchmarks and smoke tests: every request gets 200 with a short text
/// body naming the negotiated version and suite (<c>brisk TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</c>),
/// then `client: subject` when the client authenticated and `session: resumed` for a resumed session.
/// Keep-alive is honoured (HTTP/1.1 default, "Connection: close" ends it; HTTP/1.0 closes unless it asks
/// for keep-alive). Request bodies announced by Content-Length are read and discarded. Anything that is
/// not HTTP gets 400 and a close.
/// </summary>
public sealed class HttpResponder : IResponder
{
    private const int MaxHeaderBytes = 32 * 1024;
    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    public string Name => "http";

    public async Task RunAsync(ConnectionContext connection, IDuplexPipe application, CancellationToken cancellationToken)
    {
        var tls = connection.Tls;
        var input = application.Input;
        var output = application.Output;
        string clientLine = tls.ClientIdentity is { } client ? $"client: {client.Subject}\n" : "";
        string resumedLine = tls.Resumed ? "session: resumed\n" : "";
        byte[] body = Encoding.UTF8.GetBytes($"brisk {tls.VersionName} {tls.CipherSuite}\n{clientLine}{resumedLine}");
        long bodyToSkip = 0;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                bool close = false;
                while (true)
                {
                    if (bodyToSkip > 0)
                    {
                        long skip = Math.Min(bodyToSkip, buffer.Length);
                        buffer = buffer.Slice(skip);
                        bodyToSkip -= skip;
                        if (bodyToSkip > 0)
                            break;
                    }
                    var end = FindHeaderEnd(buffer);
                    if (end is null)
                    {
                        if (buffer.Length > MaxHeaderBytes)
                        {
                            WriteResponse(output, 400, "Bad Request", "request header too large\n"u8, keepAlive: false);
                            close = true;
                        }
                        break;
                    }
                    var header = buffer.Slice(0, end.Value);
                    buffer = buffer.Slice(end.Value).Slice(HeaderEnd.Length);
                    if (!TryParseRequest(header, out bool keepAlive, out long contentLength))
                    {
                        WriteResponse(output, 400, "Bad Request", "not an HTTP/1.x request\n"u8, keepAlive: false);
                        close = true;
                        break;
                    }
                    bodyToSkip = contentLength;
                    WriteResponse(output, 200, "OK", body, keepAlive);
                    if (!keepAlive)
                    {
                        close = true;
                        break;
                    }
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (close || result.IsCompleted)
                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // Connection ended under us.
        }
        await input.CompleteAsync().ConfigureAwait(false);
        await output.CompleteAsync().ConfigureAwait(false);
    }

    private static SequencePosition? FindHeaderEnd(in ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> _, HeaderEnd, advancePastDelimiter: false))
            return null;
        return reader.Position;
    }

    private static bool TryParseRequest(in ReadOnlySequence<byte> header, out bool keepAlive, out long contentLength)
    {
        keepAlive = false;
        contentLength = 0;
        string text = Encoding.Latin1.GetString(header);
        var lines = text.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            return false;
        bool http11 = requestLine[2] == "HTTP/1.1";
        keepAlive = http11;
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':');
            if (colon <= 0)
                return false;
            var name = lines[i].AsSpan(0, colon).Trim();
            var value = lines[i].AsSpan(colon + 1).Trim();
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                if (value.Contains("close", StringComparison.OrdinalIgnoreCase)) keepAlive = false;
                else if (value.Contains("keep-alive", StringComparison.OrdinalIgnoreCase)) keepAlive = true;
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, out contentLength) || contentLength < 0)
                    return false;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                return false; // chunked request bodies are not supported by this test responder
            }
        }
        return true;
    }

    private static void WriteResponse(PipeWriter output, int status, string reason, ReadOnlySpan<byte> body, bool keepAlive)
    {
        string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: {(keepAlive ? "keep-alive" : "close")}\r\n\r\n";
        var span = output.GetSpan(head.Length + body.Length);
        int written = Encoding.ASCII.GetBytes(head, span);
        body.CopyTo(span[written..]);
        output.Advance(written + body.Length);
    }
}
