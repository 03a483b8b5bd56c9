using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Brisk.Tls.Codec;
using Brisk.Tls.Handshake;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brisk.Tls;

/// <summary>
/// The server side of one TLS connection over a transport <see cref="IDuplexPipe"/> (no sockets here).
/// <see cref="HandshakeAsync"/> runs the handshake; <see cref="RunAsync"/> then moves application data
/// between the transport and <see cref="Application"/>, a plaintext duplex pipe for the responder.
///
/// Buffer rules: records are parsed where they lie in the transport pipe; a record is decrypted straight
/// from the transport buffer into the application pipe's memory (or in place for handshake records); only
/// a record that straddles pipe segments is first copied into one rented buffer. Outgoing records are
/// sealed straight into the transport pipe's memory.
/// </summary>
public sealed partial class TlsServerConnection : IAsyncDisposable
{
    private readonly TlsServerOptions _options;
    private readonly IDuplexPipe _transport;
    private readonly ILogger _logger;
    private readonly RecordWriter _records;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HandshakeReassembler _handshakeMessages;
    private RecordProtection? _readProtection;
    private ServerHandshake? _handshake;
    private Pipe? _applicationInput;
    private readonly PipeOptions _applicationPipeOptions;
    private Pipe? _applicationOutput;
    private int _warningAlerts;
    private bool _closeNotifyReceived;
    private bool _fatalAlertSent;
    private bool _closeNotifySent;
    private bool _disposed;
    private bool _peerFatalAlert;
    private Tls13ApplicationSecrets? _tls13Secrets;
    private CipherSuiteInfo? _tls13Suite;
    private bool _earlyDataSkipDone;
    private long _earlyDataSkipped;
    private int _keyUpdatesWithoutData;

    /// <summary>Declined 0-RTT data skipped before the handshake keys decrypt (RFC 8446 §4.2.10); more is an attack.</summary>
    private const long MaxSkippedEarlyData = 1 << 17;

    /// <summary>KeyUpdates accepted in a row without application data in between (a peer may not use them to burn our CPU).</summary>
    private const int MaxKeyUpdatesWithoutData = 32;

    /// <param name="applicationScheduler">
    /// Where continuations of the plaintext pipes (<see cref="Application"/>) run; null: the thread pool. A host that
    /// drives the transport inline (continuations on the thread that completed the socket operation) passes
    /// <see cref="PipeScheduler.Inline"/> so the application runs on that thread too, without a thread-pool hop.
    /// </param>
    public TlsServerConnection(TlsServerOptions options, IDuplexPipe transport, ILogger? logger = null, string? connectionId = null,
        PipeScheduler? applicationScheduler = null)
    {
        _options = options;
        // Options are built once per scheduler kind, not per connection: null and Inline are what hosts pass.
        _applicationPipeOptions = applicationScheduler is null ? ApplicationPipeOptions
            : ReferenceEquals(applicationScheduler, PipeScheduler.Inline) ? InlineApplicationPipeOptions
            : ApplicationPipeOptionsWith(applicationScheduler);
        _transport = transport;
        _logger = logger ?? NullLogger.Instance;
        ConnectionId = connectionId ?? "";
        _records = new RecordWriter(transport.Output);
        _handshakeMessages = new HandshakeReassembler(options.MaxHandshakeMessageLength);
    }

    public string ConnectionId { get; }

    public TlsConnectionInfo Info { get; } = new();

    public bool IsEstablished { get; private set; }

    /// <summary>The alert this side sent or received that ended the connection, if any.</summary>
    public AlertDescription? TerminatingAlert { get; private set; }

    /// <summary>The plaintext side, available once the handshake completed: read what the client sent, write the reply.</summary>
    public IDuplexPipe Application => _application ?? throw new InvalidOperationException("The handshake has not completed.");

    private IDuplexPipe? _application;

    internal TlsServerOptions Options => _options;

    internal ILogger Logger => _logger;

    internal RecordWriter Records => _records;

    /// <summary>
    /// Runs the server handshake. Returns true when it completed; false when it failed (the alert, if
    /// any, was sent and the reason logged at Debug). Never throws for anything the peer did.
    /// </summary>
    public async Task<bool> HandshakeAsync(CancellationToken cancellationToken)
    {
        var input = _transport.Input;
        try
        {
            _handshake = new ServerHandshake(this);
            while (!IsEstablished)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (!IsEstablished && RecordFraming.TryReadRecord(buffer, MaxIncomingPayload, out var header, out var payload))
                    {
                        await ProcessHandshakeRecordAsync(header, payload, cancellationToken).ConfigureAwait(false);
                        buffer = buffer.Slice(payload.End);
                    }
                }
                finally
                {
                    // Incomplete record: consume nothing more, examine everything, so the next read waits for
                    // new bytes. Once established, leave what follows for the application pump unexamined.
                    if (IsEstablished)
                        input.AdvanceTo(buffer.Start);
                    else
                        input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (!IsEstablished && result.IsCompleted)
                {
                    LogHandshakeFailed(_logger, ConnectionId, "peer closed the connection during the handshake");
                    return false;
                }
            }
            _handshake.Dispose();
            _handshake = null;
            _applicationInput = new Pipe(_applicationPipeOptions);
            _applicationOutput = new Pipe(_applicationPipeOptions);
            _application = new DuplexPipe(_applicationInput.Reader, _applicationOutput.Writer);
            return true;
        }
        catch (TlsProtocolException ex)
        {
            LogHandshakeFailed(_logger, ConnectionId, ex.ToString());
            await SendFatalAlertAsync(ex.Alert).ConfigureAwait(false);
            return false;
        }
        catch (PeerAlertException ex)
        {
            LogHandshakeFailed(_logger, ConnectionId, ex.Message);
            return false;
        }
        catch (OperationCanceledException)
        {
            LogHandshakeFailed(_logger, ConnectionId, "handshake timed out or server stopping");
            return false;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // Transport gone (reset) or completed underneath us.
            LogHandshakeFailed(_logger, ConnectionId, ex.Message);
            return false;
        }
        finally
        {
            if (!IsEstablished)
            {
                _handshake?.Dispose();
                _handshake = null;
            }
        }
    }

    private static readonly PipeOptions ApplicationPipeOptions = new(
        pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024, useSynchronizationContext: false);

    private static readonly PipeOptions InlineApplicationPipeOptions = ApplicationPipeOptionsWith(PipeScheduler.Inline);

    private static PipeOptions ApplicationPipeOptionsWith(PipeScheduler scheduler) => new(
        readerScheduler: scheduler, writerScheduler: scheduler,
        pauseWriterThreshold: ApplicationPipeOptions.PauseWriterThreshold, resumeWriterThreshold: ApplicationPipeOptions.ResumeWriterThreshold,
        useSynchronizationContext: false);

    private int MaxIncomingPayload => _readProtection is null
        ? RecordFraming.MaxPlaintextLength
        : _readProtection.Scheme == RecordNonceScheme.Tls13 ? RecordFraming.MaxTls13CiphertextLength : RecordFraming.MaxTls12CiphertextLength;

    private async ValueTask ProcessHandshakeRecordAsync(RecordHeader header, ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        byte[]? rented = null;
        try
        {
            ContentType type = header.Type;
            ReadOnlySequence<byte> content = payload;
            bool tls13 = Info.Version == ProtocolVersion.Tls13;
            // RFC 8446 Appendix D.4: TLS 1.3 peers may send a plaintext change_cipher_spec even once keys are on.
            bool plaintextChangeCipherSpec = tls13 && header.Type == ContentType.ChangeCipherSpec;
            if (_readProtection is null && tls13 && header.Type == ContentType.ApplicationData && _handshake!.SkippingEarlyData)
            {
                // After a HelloRetryRequest: 0-RTT records sent before the client saw it are dropped.
                SkipEarlyData(header.Length);
                return;
            }
            if (_readProtection is not null && !plaintextChangeCipherSpec)
            {
                if (tls13 && header.Type != ContentType.ApplicationData)
                    throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unprotected {header.Type} record after keys were set");
                // Handshake-phase records are few and small: decrypt in place (or in a rented copy when split).
                Memory<byte> body = Contiguous(payload, ref rented);
                var plaintext = body[(_readProtection.PlaintextOffset - RecordFraming.HeaderLength)..];
                if (!_readProtection.TryOpen(header, body.Span, plaintext.Span, out type, out int length))
                {
                    if (type != 0 && !_earlyDataSkipDone && _handshake!.SkippingEarlyData)
                    {
                        // Declined 0-RTT data under keys we do not have: drop it (RFC 8446 §4.2.10).
                        _readProtection.UndoFailedOpen();
                        SkipEarlyData(header.Length);
                        return;
                    }
                    throw BadRecord(type);
                }
                _earlyDataSkipDone = true;
                content = new ReadOnlySequence<byte>(plaintext[..length]);
            }
            else if (header.Type == ContentType.ApplicationData)
            {
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "application data before the handshake completed");
            }

            if (content.Length > RecordFraming.MaxPlaintextLength)
                throw new TlsProtocolException(AlertDescription.RecordOverflow, "decrypted record exceeds 2^14 bytes");

            // RFC 8446 §5.1: handshake messages must not be interleaved with other record types.
            if (type != ContentType.Handshake && _handshakeMessages.HasPendingBytes)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"{type} record inside a fragmented handshake message");

            switch (type)
            {
                case ContentType.Handshake:
                    _handshakeMessages.Append(content);
                    while (!IsEstablished && _handshakeMessages.TryReadMessage(out var messageType, out var message))
                        await _handshake!.HandleMessageAsync(messageType, message, cancellationToken).ConfigureAwait(false);
                    if (IsEstablished && _handshakeMessages.HasPendingBytes)
                        throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "handshake data after Finished");
                    break;
                case ContentType.ChangeCipherSpec:
                    // RFC 8446 §5: in TLS 1.3 a protected change_cipher_spec, or one that is not the byte 0x01,
                    // is unexpected_message.
                    if (tls13 && (!plaintextChangeCipherSpec || content.Length != 1 || content.FirstSpan[0] != 1))
                        throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "protected or malformed TLS 1.3 change_cipher_spec");
                    // RFC 5246 §7.1: a single byte of value 1.
                    if (content.Length != 1 || content.FirstSpan[0] != 1)
                        throw new TlsProtocolException(AlertDescription.DecodeError, "malformed ChangeCipherSpec");
                    _handshake!.HandleChangeCipherSpec();
                    break;
                case ContentType.Alert:
                    if (HandleAlert(content))
                        throw new PeerAlertException(AlertDescription.CloseNotify, "peer sent close_notify");
                    break;
                default:
                    throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"{type} record during the handshake");
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    /// <summary>
    /// The record payload as one writable block: where it lies in the pipe's buffer when it is in one segment
    /// (the pipe is ours, so decrypting in place is allowed), else copied into a rented buffer that the
    /// caller returns, cleared, through <paramref name="rented"/>.
    /// </summary>
    private static Memory<byte> Contiguous(in ReadOnlySequence<byte> payload, ref byte[]? rented)
    {
        if (payload.IsSingleSegment)
            return MemoryMarshal.AsMemory(payload.First);
        int length = (int)payload.Length;
        rented = ArrayPool<byte>.Shared.Rent(length);
        payload.CopyTo(rented);
        return rented.AsMemory(0, length);
    }

    private static TlsProtocolException BadRecord(ContentType innerType) => innerType == 0
        ? new TlsProtocolException(AlertDescription.UnexpectedMessage, "TLS 1.3 record with no content type")
        : new TlsProtocolException(AlertDescription.BadRecordMac, "record authentication failed");

    /// <summary>
    /// Handles an alert record. Returns true for close_notify (the caller ends reading: the usual end of a connection,
    /// so it is not an exception, whose throw and catch cost more CPU than a resumed handshake's crypto); throws
    /// <see cref="PeerAlertException"/> for an alert that ends the connection with an error; false for a tolerated warning.
    /// </summary>
    private bool HandleAlert(in ReadOnlySequence<byte> content)
    {
        // RFC 5246 §7.2: an alert is exactly two bytes (level, description).
        if (content.Length != 2)
            throw new TlsProtocolException(AlertDescription.DecodeError, "malformed alert");
        Span<byte> alert = stackalloc byte[2];
        content.CopyTo(alert);
        var level = (AlertLevel)alert[0];
        var description = (AlertDescription)alert[1];
        TlsMetrics.RecordAlertReceived(description);
        if (description == AlertDescription.CloseNotify)
        {
            _closeNotifyReceived = true;
            return true;
        }
        // RFC 8446 §6: in TLS 1.3 every error alert is fatal whatever its level. TLS 1.2 warnings are
        // tolerated, but only a few, so they cannot be used to keep a connection busy for free.
        if (level == AlertLevel.Warning && Info.Version != ProtocolVersion.Tls13 && description != AlertDescription.UserCanceled)
        {
            if (++_warningAlerts > 4)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "too many warning alerts");
            return false;
        }
        TerminatingAlert ??= description;
        throw new PeerAlertException(description, $"peer sent alert {description} ({level})");
    }

    /// <summary>Called by the handshake once Finished has been exchanged both ways.</summary>
    internal void CompleteHandshake() => IsEstablished = true;

    /// <summary>
    /// TLS 1.3: the client Finished verified. Reading switches to the client's application keys; the
    /// application secrets stay for KeyUpdate (RFC 8446 §4.6.3).
    /// </summary>
    internal void CompleteTls13Handshake(Tls13ApplicationSecrets secrets, CipherSuiteInfo suite)
    {
        _tls13Secrets = secrets;
        _tls13Suite = suite;
        SetReadProtection(secrets.CreateClientProtection(_options.RecordCrypto, suite.Aead));
        IsEstablished = true;
    }

    private void SkipEarlyData(int length)
    {
        _earlyDataSkipped += length;
        if (_earlyDataSkipped > MaxSkippedEarlyData)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "too much undecryptable (early) data");
    }

    internal void SetReadProtection(RecordProtection protection)
    {
        // RFC 8446 §5.1: a key change must fall on a record boundary; nothing of a message may be pending.
        if (_handshakeMessages.HasPendingBytes)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "key change inside a handshake message");
        _readProtection?.Dispose();
        _readProtection = protection;
    }

    /// <summary>
    /// Moves application data until either side closes. The application reads
    /// <see cref="Application"/>.Input (completed at the client's close_notify or EOF) and writes
    /// <see cref="Application"/>.Output (completing it sends close_notify).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!IsEstablished)
            throw new InvalidOperationException("The handshake has not completed.");
        var receive = ReceiveApplicationDataAsync(cancellationToken);
        var send = SendApplicationDataAsync(cancellationToken);
        await Task.WhenAll(receive, send).ConfigureAwait(false);
    }

    private async Task ReceiveApplicationDataAsync(CancellationToken cancellationToken)
    {
        var input = _transport.Input;
        var application = _applicationInput!.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                bool produced = false;
                bool closeNotify = false;
                try
                {
                    while (!closeNotify && RecordFraming.TryReadRecord(buffer, MaxIncomingPayload, out var header, out var payload))
                    {
                        produced |= await ProcessApplicationRecordAsync(header, payload, application, cancellationToken).ConfigureAwait(false);
                        buffer = buffer.Slice(payload.End);
                        closeNotify = _closeNotifyReceived;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (produced)
                {
                    var flush = await application.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (flush.IsCompleted)
                        break; // the application stopped reading
                }
                if (closeNotify)
                    break; // RFC 8446 §6.1, RFC 5246 §7.2.1: the peer sends nothing more; the application sees end of input
                if (result.IsCompleted)
                    break; // EOF without close_notify: a truncation the application sees as end of input
            }
        }
        catch (PeerAlertException ex)
        {
            if (!_closeNotifyReceived)
            {
                // An error alert ends the connection at once (RFC 8446 §6.2): the application sees an error,
                // not a clean end of input, and nothing more is sent.
                LogConnectionClosed(_logger, ConnectionId, ex.Message);
                _peerFatalAlert = true;
                error = new IOException(ex.Message, ex);
            }
        }
        catch (TlsProtocolException ex)
        {
            LogConnectionClosed(_logger, ConnectionId, ex.ToString());
            await SendFatalAlertAsync(ex.Alert).ConfigureAwait(false);
            error = new IOException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            LogConnectionClosed(_logger, ConnectionId, ex.Message);
            error = ex;
        }
        await application.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>Returns true when plaintext was added to the application pipe.</summary>
    private async ValueTask<bool> ProcessApplicationRecordAsync(RecordHeader header, ReadOnlySequence<byte> payload, PipeWriter application, CancellationToken cancellationToken)
    {
        var protection = _readProtection!;
        // RFC 8446 §5: after the handshake every TLS 1.3 record is protected (outer type application_data); a
        // change_cipher_spec after Finished is an unexpected record type, not a failed decryption.
        if (_tls13Secrets is not null && header.Type != ContentType.ApplicationData)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unprotected {header.Type} record after the handshake");
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> body = Contiguous(payload, ref rented).Span;
            // Decrypt straight into the application pipe; commit only what turns out to be application data.
            var destination = application.GetSpan(Math.Max(header.Length, 1));
            if (!protection.TryOpen(header, body, destination, out var type, out int length))
                throw BadRecord(type);
            if (length > RecordFraming.MaxPlaintextLength)
                throw new TlsProtocolException(AlertDescription.RecordOverflow, "decrypted record exceeds 2^14 bytes");
            switch (type)
            {
                case ContentType.ApplicationData:
                    application.Advance(length);
                    _keyUpdatesWithoutData = 0;
                    return length > 0;
                case ContentType.Alert:
                    HandleAlert(new ReadOnlySequence<byte>(destination[..length].ToArray())); // true (close_notify): the caller stops
                    return false;
                case ContentType.Handshake:
                    // Post-handshake messages go through the reassembler: they may span or share records.
                    if (length == 0)
                        throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "empty handshake record");
                    _handshakeMessages.Append(new ReadOnlySequence<byte>(destination[..length].ToArray()));
                    destination[..length].Clear();
                    while (_handshakeMessages.TryReadMessage(out var messageType, out var message))
                        await HandlePostHandshakeMessageAsync(messageType, message, cancellationToken).ConfigureAwait(false);
                    return false;
                default:
                    throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"{type} record after the handshake");
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    private async ValueTask HandlePostHandshakeMessageAsync(HandshakeType type, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (type == HandshakeType.KeyUpdate && _tls13Secrets is not null)
        {
            await HandleKeyUpdateAsync(KeyUpdate.Parse(message.Span[HandshakeHeader.Length..]), cancellationToken).ConfigureAwait(false);
            return;
        }
        if (type == HandshakeType.ClientHello && Info.Version == ProtocolVersion.Tls12)
        {
            // RFC 5746 §4.4 / RFC 5246 §7.2.2: Brisk refuses renegotiation with a no_renegotiation warning and
            // keeps the connection; a client that insists gets nothing more.
            if (++_warningAlerts > 4)
                throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "repeated renegotiation attempts");
            await SendAlertAsync(AlertLevel.Warning, AlertDescription.NoRenegotiation, cancellationToken).ConfigureAwait(false);
            return;
        }
        throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unexpected post-handshake {type}");
    }

    /// <summary>
    /// RFC 8446 §4.6.3: the client's next records use its next traffic secret; when it asks, we answer with
    /// our own KeyUpdate (update_not_requested) and switch our write keys after sending it.
    /// </summary>
    private async ValueTask HandleKeyUpdateAsync(KeyUpdate keyUpdate, CancellationToken cancellationToken)
    {
        if (++_keyUpdatesWithoutData > MaxKeyUpdatesWithoutData)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "KeyUpdate flood");
        // §5.1: a key change must end its record.
        if (_handshakeMessages.HasPendingBytes)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "data after KeyUpdate in the same record");
        _tls13Secrets!.NextClientSecret();
        SetReadProtection(_tls13Secrets.CreateClientProtection(_options.RecordCrypto, _tls13Suite!.Aead));
        if (keyUpdate.RequestUpdate == KeyUpdateRequest.UpdateRequested)
            await UpdateWriteKeysAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends KeyUpdate(update_not_requested) under the current keys, then switches to the next server secret.</summary>
    private async ValueTask UpdateWriteKeysAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_fatalAlertSent || _closeNotifySent)
                return;
            WriteKeyUpdateLocked();
            await _records.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void WriteKeyUpdateLocked()
    {
        using var writer = new TlsWriter(8);
        new KeyUpdate { RequestUpdate = KeyUpdateRequest.UpdateNotRequested }.Write(writer);
        _records.Write(ContentType.Handshake, writer.WrittenSpan);
        _tls13Secrets!.NextServerSecret();
        _records.SetProtection(_tls13Secrets.CreateServerProtection(_options.RecordCrypto, _tls13Suite!.Aead));
    }

    private async Task SendApplicationDataAsync(CancellationToken cancellationToken)
    {
        var application = _applicationOutput!.Reader;
        try
        {
            while (true)
            {
                var result = await application.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (_fatalAlertSent || _closeNotifySent)
                            break;
                        // RFC 8446 §5.5: change keys well before the AEAD's safe record count under one key.
                        if (_tls13Secrets is not null && _records.SequenceNumber >= _options.KeyUpdateAfterRecords)
                            WriteKeyUpdateLocked();
                        _records.Write(ContentType.ApplicationData, buffer);
                        await _records.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        _writeLock.Release();
                    }
                }
                application.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    break;
            }
            // The application finished: close_notify (RFC 5246 §7.2.1, RFC 8446 §6.1), then end the transport.
            if (!_peerFatalAlert)
                await SendAlertAsync(AlertLevel.Warning, AlertDescription.CloseNotify, cancellationToken).ConfigureAwait(false);
            await application.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            LogConnectionClosed(_logger, ConnectionId, ex.Message);
            await application.CompleteAsync(ex).ConfigureAwait(false);
        }
        await _transport.Output.CompleteAsync().ConfigureAwait(false);
        // The peer can no longer get anything from us; stop reading too.
        _transport.Input.CancelPendingRead();
    }

    internal async ValueTask SendFatalAlertAsync(AlertDescription description)
    {
        if (_fatalAlertSent)
            return;
        TerminatingAlert ??= description;
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_fatalAlertSent)
                return;
            // The flag and the close happen under the write lock, so the application pump cannot slip a
            // record in after the alert.
            _fatalAlertSent = true;
            _records.Write(ContentType.Alert, [(byte)AlertLevel.Fatal, (byte)description]);
            TlsMetrics.RecordAlertSent(description);
            await _records.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The transport is already gone; nothing more to tell the peer.
        }
        finally
        {
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
            _writeLock.Release();
        }
    }

    private async ValueTask SendAlertAsync(AlertLevel level, AlertDescription description, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_fatalAlertSent || _closeNotifySent)
                return;
            // RFC 8446 §6: in TLS 1.3 the level is ignored, and all but close_notify/user_canceled are fatal.
            _records.Write(ContentType.Alert, [(byte)level, (byte)description]);
            TlsMetrics.RecordAlertSent(description);
            await _records.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Closes the connection from the server's side on its own initiative (e.g. an idle timeout): sends
    /// close_notify (RFC 8446 §6.1, RFC 5246 §7.2.1) and ends the transport's output, so nothing the
    /// application writes afterwards is sent. The read side stays open for the peer's own close_notify.
    /// Does nothing before the handshake completed or after an alert already ended the output.
    /// </summary>
    public async ValueTask CloseAsync()
    {
        if (!IsEstablished)
            return;
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_fatalAlertSent || _closeNotifySent || _disposed)
                return;
            _closeNotifySent = true;
            _records.Write(ContentType.Alert, [(byte)AlertLevel.Warning, (byte)AlertDescription.CloseNotify]);
            TlsMetrics.RecordAlertSent(AlertDescription.CloseNotify);
            await _records.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The transport is already gone; nothing more to tell the peer.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Flushes a handshake flight written through <see cref="Records"/> as one transport write.</summary>
    internal async ValueTask FlushHandshakeAsync(CancellationToken cancellationToken)
    {
        var flush = await _records.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flush.IsCompleted)
            throw new IOException("transport closed while sending the handshake");
    }

    public async ValueTask DisposeAsync()
    {
        _tls13Secrets?.Dispose();
        _handshake?.Dispose();
        _handshakeMessages.Dispose();
        _readProtection?.Dispose();
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            _records.Dispose();
            // Nothing more will be written or read: end both transport directions, so the transport sends
            // FIN and lets go of the connection even when the handshake ended without an alert (peer gone,
            // timeout), instead of waiting for output that never comes.
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
            await _transport.Input.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
        if (_applicationInput is not null)
        {
            await _applicationInput.Writer.CompleteAsync().ConfigureAwait(false);
            await _applicationOutput!.Reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "{ConnectionId} handshake failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "{ConnectionId} connection closed: {Reason}")]
    private static partial void LogConnectionClosed(ILogger logger, string connectionId, string reason);

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}

/// <summary>The peer ended the connection with an alert (close_notify or an error).</summary>
internal sealed class PeerAlertException(AlertDescription alert, string message) : Exception(message)
{
    public AlertDescription Alert { get; } = alert;
}
