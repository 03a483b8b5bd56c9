using System.Security.Cryptography;
using Brisk.Crypto;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;
using Brisk.Tls.Records;

namespace Brisk.Tls.KeySchedule;

/// <summary>
/// The handshake phase of the TLS 1.3 key schedule (RFC 8446 §7.1): the Handshake Secret and what it yields,
/// the client and server handshake traffic secrets (their record protection, §7.3) and Finished keys (§4.4.4).
/// <see cref="ToApplication"/> consumes this object: everything is erased except the client Finished key,
/// which moves into the <see cref="Tls13ApplicationSecrets"/> because the client's Finished arrives after the
/// application secrets exist. Create both handshake <see cref="RecordProtection"/>s before moving on.
/// Not thread-safe: one per handshake.
/// </summary>
public sealed class Tls13HandshakeSecrets : IDisposable
{
    // One SecretMemory block, Hash.length per slot: [handshake secret | c hs traffic | s hs traffic | c finished key | s finished key].
    private const int HandshakeSecretSlot = 0;
    private const int ClientTrafficSlot = 1;
    private const int ServerTrafficSlot = 2;
    private const int ClientFinishedKeySlot = 3;
    private const int ServerFinishedKeySlot = 4;
    private const int SlotCount = 5;

    private SecretBlock _secrets; // SecretMemory: fixed address, erased and returned by Dispose
    private readonly int _hashLength;
    private bool _disposed;

    internal Tls13HandshakeSecrets(HashKind hash, ReadOnlySpan<byte> earlySecret, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> transcriptHashThroughServerHello)
    {
        Hash = hash;
        _hashLength = hash.HashLength();
        _secrets = SecretMemory.Rent(SlotCount * _hashLength);
        Tls13KeyDerivation.HandshakeSecret(hash, earlySecret, sharedSecret, Slot(HandshakeSecretSlot));
        Tls13KeyDerivation.DeriveSecret(hash, Slot(HandshakeSecretSlot), Tls13KeyDerivation.ClientHandshakeTrafficLabel,
            transcriptHashThroughServerHello, Slot(ClientTrafficSlot));
        Tls13KeyDerivation.DeriveSecret(hash, Slot(HandshakeSecretSlot), Tls13KeyDerivation.ServerHandshakeTrafficLabel,
            transcriptHashThroughServerHello, Slot(ServerTrafficSlot));
        Tls13KeyDerivation.FinishedKey(hash, Slot(ClientTrafficSlot), Slot(ClientFinishedKeySlot));
        Tls13KeyDerivation.FinishedKey(hash, Slot(ServerTrafficSlot), Slot(ServerFinishedKeySlot));
    }

    public HashKind Hash { get; }

    /// <summary>client_handshake_traffic_secret (e.g. for an SSLKEYLOGFILE line); valid until this object is consumed.</summary>
    public ReadOnlySpan<byte> ClientTrafficSecret => Live(ClientTrafficSlot);

    /// <summary>server_handshake_traffic_secret; valid until this object is consumed.</summary>
    public ReadOnlySpan<byte> ServerTrafficSecret => Live(ServerTrafficSlot);

    /// <summary>Protection of the client's handshake records (the server's read side).</summary>
    public RecordProtection CreateClientProtection(IAeadProvider provider, AeadAlgorithm aead) =>
        Tls13KeyDerivation.CreateRecordProtection(Hash, Live(ClientTrafficSlot), provider, aead);

    /// <summary>Protection of the server's handshake records (the server's write side).</summary>
    public RecordProtection CreateServerProtection(IAeadProvider provider, AeadAlgorithm aead) =>
        Tls13KeyDerivation.CreateRecordProtection(Hash, Live(ServerTrafficSlot), provider, aead);

    /// <summary>
    /// The server Finished verify_data over Transcript-Hash(ClientHello..server CertificateVerify) (RFC 8446 §4.4.4).
    /// </summary>
    public void ComputeServerFinished(ReadOnlySpan<byte> transcriptHashThroughCertificateVerify, Span<byte> verifyData) =>
        Tls13KeyDerivation.ComputeVerifyDataWithFinishedKey(Hash, Live(ServerFinishedKeySlot), transcriptHashThroughCertificateVerify, verifyData);

    /// <summary>Checks a server Finished in constant time (the client's side; used by tests and a future client).</summary>
    public bool VerifyServerFinished(ReadOnlySpan<byte> transcriptHashThroughCertificateVerify, ReadOnlySpan<byte> received) =>
        Tls13KeyDerivation.VerifyWithFinishedKey(Hash, Live(ServerFinishedKeySlot), transcriptHashThroughCertificateVerify, received);

    /// <summary>
    /// Moves to the application phase with Transcript-Hash(ClientHello..server Finished) (RFC 8446 §7.1). Consumes
    /// this object; the client Finished key travels on for <see cref="Tls13ApplicationSecrets.VerifyClientFinished"/>.
    /// </summary>
    public Tls13ApplicationSecrets ToApplication(ReadOnlySpan<byte> transcriptHashThroughServerFinished)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Tls13KeyDerivation.RequireHashLength(Hash, transcriptHashThroughServerFinished, nameof(transcriptHashThroughServerFinished));
        try
        {
            return new Tls13ApplicationSecrets(Hash, Slot(HandshakeSecretSlot), transcriptHashThroughServerFinished, Slot(ClientFinishedKeySlot));
        }
        finally
        {
            Dispose();
        }
    }

    private Span<byte> Slot(int index) => _secrets.Span.Slice(index * _hashLength, _hashLength);

    private ReadOnlySpan<byte> Live(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Slot(index);
    }

    public void Dispose()
    {
        _disposed = true;
        SecretMemory.Return(ref _secrets);
    }
}
