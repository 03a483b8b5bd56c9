using System.Diagnostics.CodeAnalysis;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Codec;

/// <summary>
/// The peer sent something the protocol forbids. Every parser throws this (and only this) on bad input;
/// the connection layer turns <see cref="Alert"/> into the fatal alert it sends.
/// </summary>
public sealed class TlsProtocolException : Exception
{
    public TlsProtocolException(AlertDescription alert, string message)
        : base(message)
    {
        Alert = alert;
    }

    public AlertDescription Alert { get; }

    public override string ToString() => $"{Alert}: {Message}";

    // Throw helpers keep the throwing code out of the hot parsing paths.
    [DoesNotReturn]
    public static void ThrowDecodeError(string message) =>
        throw new TlsProtocolException(AlertDescription.DecodeError, message);

    [DoesNotReturn]
    public static void ThrowIllegalParameter(string message) =>
        throw new TlsProtocolException(AlertDescription.IllegalParameter, message);

    [DoesNotReturn]
    public static void Throw(AlertDescription alert, string message) =>
        throw new TlsProtocolException(alert, message);
}
