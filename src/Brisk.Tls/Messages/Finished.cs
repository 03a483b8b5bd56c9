using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>Finished (RFC 5246 §7.4.9, RFC 8446 §4.4.4): verify_data of a length fixed by the version/suite.</summary>
public sealed record Finished(byte[] VerifyData)
{
    /// <summary>Parses a Finished whose verify_data must be exactly <paramref name="verifyDataLength"/> bytes.</summary>
    public static Finished Parse(ReadOnlySpan<byte> body, int verifyDataLength)
    {
        if (body.Length != verifyDataLength)
            TlsProtocolException.ThrowDecodeError($"Finished of {body.Length} bytes, expected {verifyDataLength}");
        return new Finished(body.ToArray());
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.Finished);
        writer.WriteBytes(VerifyData);
        writer.EndVector(message);
    }
}
