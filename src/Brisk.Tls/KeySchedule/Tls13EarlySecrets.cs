using System.Security.Cryptography;
using Brisk.Crypto;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;
using Brisk.Tls.Records;

namespace Brisk.Tls.KeySchedule;

/// <summary>
/// The first phase of the TLS 1.3 key schedule (RFC 8446 §7.1): the Early Secret, from a PSK or from zeros.
/// It offers only what is valid before the ServerHello: the PSK binder (§4.2.11.2), the 0-RTT secrets, and
/// <see cref="ToHandshake"/>, which consumes this object (its secret is erased and further use throws
/// <see cref="ObjectDisposedException"/>). Not thread-safe: one per handshake.
/// </summary>
public sealed class Tls13EarlySecrets : IDisposable
{
    // Pinned so the GC never leaves a copy of the secret behind when compacting; erased on Dispose.
    private SecretBlock _earlySecret; // SecretMemory: fixed address, erased and returned by Dispose
    private readonly Tls13PskKind? _pskKind;
    private bool _disposed;

    private Tls13EarlySecrets(HashKind hash, ReadOnlySpan<byte> psk, Tls13PskKind? pskKind)
    {
        Hash = hash;
        _pskKind = pskKind;
        _earlySecret = SecretMemory.Rent(hash.HashLength());
        if (psk.IsEmpty)
            (hash == HashKind.Sha256 ? NoPskSha256 : NoPskSha384).CopyTo(_earlySecret.Span);
        else
            Tls13KeyDerivation.EarlySecret(hash, psk, _earlySecret.Span);
    }

    // Without a PSK the Early Secret is HKDF-Extract(0, 0): the same public constant in every handshake, so it is
    // computed once per hash rather than once per full handshake.
    private static readonly byte[] NoPskSha256 = ComputeNoPskEarlySecret(HashKind.Sha256);
    private static readonly byte[] NoPskSha384 = ComputeNoPskEarlySecret(HashKind.Sha384);

    private static byte[] ComputeNoPskEarlySecret(HashKind hash)
    {
        var secret = new byte[hash.HashLength()];
        Tls13KeyDerivation.EarlySecret(hash, ReadOnlySpan<byte>.Empty, secret);
        return secret;
    }

    /// <summary>The Early Secret of a handshake without a PSK: HKDF-Extract(0, 0) (RFC 8446 §7.1).</summary>
    public static Tls13EarlySecrets WithoutPsk(HashKind hash) => new(hash, ReadOnlySpan<byte>.Empty, null);

    /// <summary>The Early Secret HKDF-Extract(0, PSK) of a resumption or external PSK (RFC 8446 §7.1).</summary>
    public static Tls13EarlySecrets FromPsk(HashKind hash, ReadOnlySpan<byte> psk, Tls13PskKind kind)
    {
        if (psk.IsEmpty)
            throw new ArgumentException("A PSK cannot be empty.", nameof(psk));
        return new(hash, psk, kind);
    }

    public HashKind Hash { get; }

    public bool HasPsk => _pskKind is not null;

    /// <summary>binder_key = Derive-Secret(Early Secret, "res binder" | "ext binder", "") (RFC 8446 §7.1).</summary>
    public void BinderKey(Span<byte> output)
    {
        RequirePsk();
        Tls13KeyDerivation.BinderKey(Hash, _earlySecret.Span, _pskKind!.Value, output);
    }

    /// <summary>
    /// The binder for this PSK over <paramref name="truncatedTranscriptHash"/>: the transcript hash of the ClientHello
    /// up to but excluding its binders list (after a HelloRetryRequest: message_hash, HelloRetryRequest, truncated
    /// ClientHello2) (RFC 8446 §4.2.11.2).
    /// </summary>
    public void ComputeBinder(ReadOnlySpan<byte> truncatedTranscriptHash, Span<byte> binder)
    {
        Span<byte> binderKey = stackalloc byte[HashKindInfo.MaxHashLength];
        binderKey = binderKey[..Hash.HashLength()];
        try
        {
            BinderKey(binderKey);
            Tls13KeyDerivation.ComputeBinder(Hash, binderKey, truncatedTranscriptHash, binder);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(binderKey);
        }
    }

    /// <summary>Checks the client's binder in constant time; false means abort with decrypt_error (RFC 8446 §4.2.11.2).</summary>
    public bool VerifyBinder(ReadOnlySpan<byte> truncatedTranscriptHash, ReadOnlySpan<byte> receivedBinder)
    {
        Span<byte> binderKey = stackalloc byte[HashKindInfo.MaxHashLength];
        binderKey = binderKey[..Hash.HashLength()];
        try
        {
            BinderKey(binderKey);
            return Tls13KeyDerivation.VerifyBinder(Hash, binderKey, truncatedTranscriptHash, receivedBinder);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(binderKey);
        }
    }

    /// <summary>client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello) (RFC 8446 §7.1; 0-RTT only).</summary>
    public void ClientEarlyTrafficSecret(ReadOnlySpan<byte> clientHelloHash, Span<byte> output)
    {
        RequirePsk();
        Tls13KeyDerivation.DeriveSecret(Hash, _earlySecret.Span, Tls13KeyDerivation.ClientEarlyTrafficLabel, clientHelloHash, output);
    }

    /// <summary>The record protection for the client's 0-RTT data (RFC 8446 §7.3 with client_early_traffic_secret).</summary>
    public RecordProtection CreateClientEarlyProtection(ReadOnlySpan<byte> clientHelloHash, IAeadProvider provider, AeadAlgorithm aead)
    {
        Span<byte> secret = stackalloc byte[HashKindInfo.MaxHashLength];
        secret = secret[..Hash.HashLength()];
        try
        {
            ClientEarlyTrafficSecret(clientHelloHash, secret);
            return Tls13KeyDerivation.CreateRecordProtection(Hash, secret, provider, aead);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>early_exporter_master_secret = Derive-Secret(Early Secret, "e exp master", ClientHello) (RFC 8446 §7.1).</summary>
    public void EarlyExporterMasterSecret(ReadOnlySpan<byte> clientHelloHash, Span<byte> output)
    {
        RequirePsk();
        Tls13KeyDerivation.DeriveSecret(Hash, _earlySecret.Span, Tls13KeyDerivation.EarlyExporterMasterLabel, clientHelloHash, output);
    }

    /// <summary>
    /// Moves to the handshake phase with the (EC)DHE shared secret and Transcript-Hash(ClientHello..ServerHello)
    /// (RFC 8446 §7.1). Consumes this object: the Early Secret is erased.
    /// </summary>
    public Tls13HandshakeSecrets ToHandshake(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> transcriptHashThroughServerHello)
    {
        if (sharedSecret.IsEmpty)
            throw new ArgumentException("The (EC)DHE shared secret is empty; use ToHandshakeWithoutKeyExchange for psk_ke.", nameof(sharedSecret));
        return MoveOn(sharedSecret, transcriptHashThroughServerHello);
    }

    /// <summary>
    /// Moves to the handshake phase in psk_ke mode, where the (EC)DHE input is the 0-value (RFC 8446 §7.1, §4.2.9).
    /// Consumes this object.
    /// </summary>
    public Tls13HandshakeSecrets ToHandshakeWithoutKeyExchange(ReadOnlySpan<byte> transcriptHashThroughServerHello)
    {
        RequirePsk();
        return MoveOn(ReadOnlySpan<byte>.Empty, transcriptHashThroughServerHello);
    }

    private Tls13HandshakeSecrets MoveOn(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> transcriptHash)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Tls13KeyDerivation.RequireHashLength(Hash, transcriptHash, nameof(transcriptHash));
        try
        {
            return new Tls13HandshakeSecrets(Hash, _earlySecret.Span, sharedSecret, transcriptHash);
        }
        finally
        {
            Dispose();
        }
    }

    private void RequirePsk()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pskKind is null)
            throw new InvalidOperationException("Binder keys and 0-RTT secrets exist only with a PSK.");
    }

    public void Dispose()
    {
        _disposed = true;
        SecretMemory.Return(ref _earlySecret);
    }
}
