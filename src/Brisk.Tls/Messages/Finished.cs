using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// Finished (RFC 5246 §7.4.9: verify_data[12]; RFC 8446 §4.4.4: verify_data[Hash.length]). The body is
/// exactly verify_data; its length is fixed by the negotiated suite, so the caller passes it in. Comparing
/// against the expected value (in constant time) is the handshake's job.
/// </summary>
public sealed class Finished
{
    public required byte[] VerifyData { get; init; }

    public static Finished Parse(ReadOnlySpan<byte> body, int expectedLength)
    {
        if (body.Length != expectedLength)
        {
            TlsProtocolException.ThrowDecodeError($"Finished: {body.Length} bytes, expected {expectedLength}");
        }

        return new Finished { VerifyData = body.ToArray() };
    }

    public void Write(TlsWriter writer) => Write(writer, VerifyData);

    /// <summary>Writes a Finished message straight from a span (no allocation).</summary>
    public static void Write(TlsWriter writer, ReadOnlySpan<byte> verifyData)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.Finished);
        writer.WriteBytes(verifyData);
        writer.EndVector(message);
    }
}
