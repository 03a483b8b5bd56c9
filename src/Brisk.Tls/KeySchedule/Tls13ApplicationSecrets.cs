using System.Security.Cryptography;
using Brisk.Crypto;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;
using Brisk.Tls.Records;

namespace Brisk.Tls.KeySchedule;

/// <summary>
/// The application phase of the TLS 1.3 key schedule (RFC 8446 §7.1–7.2, §7.5): the application traffic secrets
/// (current generation, advanced by KeyUpdate), the exporter master secret, and — until used — the client Finished
/// key carried over from the handshake phase and the Master Secret for the resumption master secret. Each of those
/// two is erased after its single use; everything is erased on Dispose. Not thread-safe: one per connection.
/// </summary>
/// <remarks>
/// Server order: <see cref="ToApplication"/> right after sending the server Finished (§7.1), create the two
/// application <see cref="RecordProtection"/>s, <see cref="VerifyClientFinished"/> when it arrives, then
/// <see cref="ResumptionMasterSecret"/> if tickets will be issued (the Master Secret is erased then, or on Dispose).
/// </remarks>
public sealed class Tls13ApplicationSecrets : IDisposable
{
    // One SecretMemory block, Hash.length per slot.
    private const int MasterSecretSlot = 0;
    private const int ClientTrafficSlot = 1;
    private const int ServerTrafficSlot = 2;
    private const int ExporterMasterSlot = 3;
    private const int ClientFinishedKeySlot = 4;
    private const int SlotCount = 5;

    private SecretBlock _secrets; // SecretMemory: fixed address, erased and returned by Dispose
    private readonly int _hashLength;
    private bool _clientFinishedPending = true;
    private bool _clientFinishedKeyUsed;
    private bool _masterSecretAvailable = true;
    private bool _disposed;

    internal Tls13ApplicationSecrets(HashKind hash, ReadOnlySpan<byte> handshakeSecret, ReadOnlySpan<byte> transcriptHashThroughServerFinished,
        ReadOnlySpan<byte> clientFinishedKey)
    {
        Hash = hash;
        _hashLength = hash.HashLength();
        _secrets = SecretMemory.Rent(SlotCount * _hashLength);
        Tls13KeyDerivation.MasterSecret(hash, handshakeSecret, Slot(MasterSecretSlot));
        Tls13KeyDerivation.DeriveSecret(hash, Slot(MasterSecretSlot), Tls13KeyDerivation.ClientApplicationTrafficLabel,
            transcriptHashThroughServerFinished, Slot(ClientTrafficSlot));
        Tls13KeyDerivation.DeriveSecret(hash, Slot(MasterSecretSlot), Tls13KeyDerivation.ServerApplicationTrafficLabel,
            transcriptHashThroughServerFinished, Slot(ServerTrafficSlot));
        Tls13KeyDerivation.DeriveSecret(hash, Slot(MasterSecretSlot), Tls13KeyDerivation.ExporterMasterLabel,
            transcriptHashThroughServerFinished, Slot(ExporterMasterSlot));
        clientFinishedKey.CopyTo(Slot(ClientFinishedKeySlot));
    }

    public HashKind Hash { get; }

    /// <summary>client_application_traffic_secret_N for the current N (<see cref="ClientGeneration"/>).</summary>
    public ReadOnlySpan<byte> ClientTrafficSecret => Live(ClientTrafficSlot);

    /// <summary>server_application_traffic_secret_N for the current N (<see cref="ServerGeneration"/>).</summary>
    public ReadOnlySpan<byte> ServerTrafficSecret => Live(ServerTrafficSlot);

    /// <summary>exporter_master_secret (RFC 8446 §7.1), the Secret of <see cref="ExportKeyingMaterial"/>.</summary>
    public ReadOnlySpan<byte> ExporterMasterSecret => Live(ExporterMasterSlot);

    /// <summary>N of the client's current application traffic secret: 0, then +1 per KeyUpdate.</summary>
    public int ClientGeneration { get; private set; }

    /// <summary>N of the server's current application traffic secret.</summary>
    public int ServerGeneration { get; private set; }

    /// <summary>True until the client Finished has been verified (or computed).</summary>
    public bool IsClientFinishedPending => _clientFinishedPending;

    /// <summary>
    /// Checks the client Finished over Transcript-Hash(ClientHello..server Finished [, client Certificate,
    /// CertificateVerify]) in constant time (RFC 8446 §4.4.4). One use: the finished key is erased afterwards,
    /// whatever the result (false means abort with decrypt_error).
    /// </summary>
    public bool VerifyClientFinished(ReadOnlySpan<byte> transcriptHash, ReadOnlySpan<byte> received)
    {
        var finishedKey = TakeClientFinishedKey();
        try
        {
            bool valid = Tls13KeyDerivation.VerifyWithFinishedKey(Hash, finishedKey, transcriptHash, received);
            _clientFinishedPending = !valid;
            return valid;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(finishedKey);
        }
    }

    /// <summary>The client Finished verify_data (the client's side; tests and a future client). One use, like <see cref="VerifyClientFinished"/>.</summary>
    public void ComputeClientFinished(ReadOnlySpan<byte> transcriptHash, Span<byte> verifyData)
    {
        var finishedKey = TakeClientFinishedKey();
        try
        {
            Tls13KeyDerivation.ComputeVerifyDataWithFinishedKey(Hash, finishedKey, transcriptHash, verifyData);
            _clientFinishedPending = false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(finishedKey);
        }
    }

    private Span<byte> TakeClientFinishedKey()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_clientFinishedKeyUsed)
            throw new InvalidOperationException("The client Finished key has already been used.");
        _clientFinishedKeyUsed = true;
        return Slot(ClientFinishedKeySlot);
    }

    /// <summary>
    /// resumption_master_secret = Derive-Secret(Master Secret, "res master", ClientHello..client Finished) (RFC 8446 §7.1),
    /// into <paramref name="output"/> (Hash.length bytes; the caller owns and erases it). Requires a verified client
    /// Finished. One use: the Master Secret is erased afterwards. Ticket PSKs then come from
    /// <see cref="Tls13KeyDerivation.ResumptionPsk"/>.
    /// </summary>
    public void ResumptionMasterSecret(ReadOnlySpan<byte> transcriptHashThroughClientFinished, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_clientFinishedPending)
            throw new InvalidOperationException("The resumption master secret needs a verified client Finished.");
        if (!_masterSecretAvailable)
            throw new InvalidOperationException("The Master Secret has already been used and erased.");
        Tls13KeyDerivation.DeriveSecret(Hash, Slot(MasterSecretSlot), Tls13KeyDerivation.ResumptionMasterLabel,
            transcriptHashThroughClientFinished, output);
        DiscardMasterSecret();
    }

    /// <summary>Erases the Master Secret when no resumption master secret will be needed (no tickets).</summary>
    public void DiscardMasterSecret()
    {
        _masterSecretAvailable = false;
        CryptographicOperations.ZeroMemory(Slot(MasterSecretSlot));
    }

    /// <summary>Protection of the client's application records at the current generation (the server's read side).</summary>
    public RecordProtection CreateClientProtection(IAeadProvider provider, AeadAlgorithm aead) =>
        Tls13KeyDerivation.CreateRecordProtection(Hash, Live(ClientTrafficSlot), provider, aead);

    /// <summary>Protection of the server's application records at the current generation (the server's write side).</summary>
    public RecordProtection CreateServerProtection(IAeadProvider provider, AeadAlgorithm aead) =>
        Tls13KeyDerivation.CreateRecordProtection(Hash, Live(ServerTrafficSlot), provider, aead);

    /// <summary>
    /// KeyUpdate from the client (RFC 8446 §7.2): replaces client_application_traffic_secret_N by N+1 in place, the
    /// old one is gone. Create the new read protection with <see cref="CreateClientProtection"/> afterwards.
    /// </summary>
    public void NextClientSecret()
    {
        Tls13KeyDerivation.NextTrafficSecret(Hash, Live(ClientTrafficSlot), Slot(ClientTrafficSlot));
        ClientGeneration++;
    }

    /// <summary>KeyUpdate by the server (RFC 8446 §7.2): server_application_traffic_secret_N becomes N+1 in place.</summary>
    public void NextServerSecret()
    {
        Tls13KeyDerivation.NextTrafficSecret(Hash, Live(ServerTrafficSlot), Slot(ServerTrafficSlot));
        ServerGeneration++;
    }

    /// <summary>TLS-Exporter(label, context_value, output.Length) (RFC 8446 §7.5) from the exporter master secret.</summary>
    public void ExportKeyingMaterial(ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, Span<byte> output) =>
        Tls13KeyDerivation.ExportKeyingMaterial(Hash, Live(ExporterMasterSlot), label, context, output);

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
