using Brisk.Tls.Codec;
using Brisk.Tls.Credentials;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Handshake;

/// <summary>
/// The start of every server handshake: reads the ClientHello, picks the protocol version
/// (RFC 8446 §4.2.1 supported_versions, else legacy_version per RFC 5246 Appendix E.1) and hands the
/// rest to the handshake of that version.
/// </summary>
internal sealed class ServerHandshake(TlsServerConnection connection) : IDisposable
{
    private Tls12ServerHandshake? _tls12;
    private Tls13ServerHandshake? _tls13;

    /// <summary>See <see cref="Tls13ServerHandshake.SkippingEarlyData"/>.</summary>
    public bool SkippingEarlyData => _tls13?.SkippingEarlyData ?? false;

    public async ValueTask HandleMessageAsync(HandshakeType type, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (_tls12 is not null)
        {
            await _tls12.HandleMessageAsync(type, message, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_tls13 is not null)
        {
            await _tls13.HandleMessageAsync(type, message, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (type != HandshakeType.ClientHello)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"expected ClientHello, got {type}");

        var clientHello = ClientHello.Parse(message.Span[HandshakeHeader.Length..]);
        ushort version = NegotiateVersion(clientHello, connection.Options);
        connection.Info.Version = version;
        // RFC 6066 §3: a server that does not recognise the name may abort with a fatal unrecognized_name
        // (checked before resumption too, so a ticket cannot reach a name the server no longer serves).
        var store = connection.Options.CertificateStore;
        if (clientHello.ServerName is { } serverName && store.UnknownNames == UnknownServerNamePolicy.Reject && !store.Recognizes(serverName))
            throw new TlsProtocolException(AlertDescription.UnrecognizedName, $"no certificate for server_name '{serverName}'");
        if (version == ProtocolVersion.Tls13)
        {
            _tls13 = new Tls13ServerHandshake(connection, clientHello, message.Span);
            await _tls13.ProcessFirstClientHelloAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _tls12 = new Tls12ServerHandshake(connection, clientHello, message.Span);
            await _tls12.SendServerFlightAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void HandleChangeCipherSpec()
    {
        if (_tls12 is not null)
            _tls12.HandleChangeCipherSpec();
        else if (_tls13 is not null)
            _tls13.HandleChangeCipherSpec();
        else
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "ChangeCipherSpec before ClientHello");
    }

    internal static ushort NegotiateVersion(ClientHello clientHello, TlsServerOptions options)
    {
        bool offers12;
        ushort clientMaximum;
        if (clientHello.SupportedVersions is { } versions)
        {
            // RFC 8446 §4.2.1: when supported_versions is present, legacy_version is ignored.
            if (options.EnableTls13 && versions.Contains(ProtocolVersion.Tls13))
                return ProtocolVersion.Tls13;
            offers12 = versions.Contains(ProtocolVersion.Tls12);
            clientMaximum = versions.Where(v => !Grease.IsGrease(v)).DefaultIfEmpty((ushort)0).Max();
        }
        else
        {
            offers12 = clientHello.LegacyVersion >= ProtocolVersion.Tls12;
            clientMaximum = clientHello.LegacyVersion;
        }
        if (!offers12 || !options.EnableTls12)
            throw new TlsProtocolException(AlertDescription.ProtocolVersion, $"no common protocol version (client maximum 0x{clientMaximum:x4})");

        // RFC 7507 §3: a fallback retry below our best version means someone interfered.
        ushort serverMaximum = options.EnableTls13 ? ProtocolVersion.Tls13 : ProtocolVersion.Tls12;
        if (clientHello.HasFallbackScsv && clientMaximum < serverMaximum)
            throw new TlsProtocolException(AlertDescription.InappropriateFallback, "TLS_FALLBACK_SCSV on a downgraded ClientHello");
        return ProtocolVersion.Tls12;
    }

    public void Dispose()
    {
        _tls12?.Dispose();
        _tls13?.Dispose();
    }
}
