using System.Buffers.Binary;
using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;

namespace Brisk.Tls.KeySchedule;

/// <summary>Whether a PSK was provisioned outside TLS or came from a NewSessionTicket (RFC 8446 §4.2.11, §7.1).</summary>
public enum Tls13PskKind
{
    /// <summary>A ticket PSK from an earlier connection: binder label "res binder".</summary>
    Resumption,

    /// <summary>An externally established PSK: binder label "ext binder".</summary>
    External,
}

/// <summary>
/// The TLS 1.3 key derivation functions (RFC 8446 §7.1–7.5), named as in the RFC: HKDF-Expand-Label,
/// Derive-Secret, the traffic key and IV, the Finished key and verify_data, the KeyUpdate step, the
/// resumption PSK, PSK binders and exporters. Stateless and zero-allocation: every output goes into a
/// caller-provided span, intermediates live on the stack and are erased before returning. The phase types
/// (<see cref="Tls13EarlySecrets"/>, <see cref="Tls13HandshakeSecrets"/>, <see cref="Tls13ApplicationSecrets"/>)
/// are the intended entry point for a handshake; these functions are their building blocks.
/// </summary>
public static class Tls13KeyDerivation
{
    // RFC 8446 §7.1 labels; HkdfExpandLabel prefixes each with "tls13 ".
    public static ReadOnlySpan<byte> LabelPrefix => "tls13 "u8;
    public static ReadOnlySpan<byte> DerivedLabel => "derived"u8;
    public static ReadOnlySpan<byte> ExternalBinderLabel => "ext binder"u8;
    public static ReadOnlySpan<byte> ResumptionBinderLabel => "res binder"u8;
    public static ReadOnlySpan<byte> ClientEarlyTrafficLabel => "c e traffic"u8;
    public static ReadOnlySpan<byte> EarlyExporterMasterLabel => "e exp master"u8;
    public static ReadOnlySpan<byte> ClientHandshakeTrafficLabel => "c hs traffic"u8;
    public static ReadOnlySpan<byte> ServerHandshakeTrafficLabel => "s hs traffic"u8;
    public static ReadOnlySpan<byte> ClientApplicationTrafficLabel => "c ap traffic"u8;
    public static ReadOnlySpan<byte> ServerApplicationTrafficLabel => "s ap traffic"u8;
    public static ReadOnlySpan<byte> ExporterMasterLabel => "exp master"u8;
    public static ReadOnlySpan<byte> ResumptionMasterLabel => "res master"u8;

    // RFC 8446 §7.3 (traffic keys), §4.4.4 (Finished), §7.2 (KeyUpdate), §4.6.1 (tickets), §7.5 (exporters).
    public static ReadOnlySpan<byte> KeyLabel => "key"u8;
    public static ReadOnlySpan<byte> IvLabel => "iv"u8;
    public static ReadOnlySpan<byte> FinishedLabel => "finished"u8;
    public static ReadOnlySpan<byte> TrafficUpdateLabel => "traffic upd"u8;
    public static ReadOnlySpan<byte> ResumptionLabel => "resumption"u8;
    public static ReadOnlySpan<byte> ExporterLabel => "exporter"u8;

    /// <summary>iv_length: every TLS 1.3 AEAD here has a 12-byte nonce (RFC 8446 §5.3, RFC 5116 §5).</summary>
    public const int IvLength = AeadAlgorithmInfo.NonceSize;

    /// <summary>The largest HkdfLabel: 2 + (1 + 255) + (1 + 255) bytes (RFC 8446 §7.1 vector bounds).</summary>
    public const int MaxHkdfLabelLength = 2 + 1 + 255 + 1 + 255;

    private static readonly byte[] EmptySha256 = SHA256.HashData(ReadOnlySpan<byte>.Empty);
    private static readonly byte[] EmptySha384 = SHA384.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>Hash("") — the Transcript-Hash of no messages, the context of "derived" and the binder keys.</summary>
    public static ReadOnlySpan<byte> EmptyHash(HashKind hash) => hash switch
    {
        HashKind.Sha256 => EmptySha256,
        HashKind.Sha384 => EmptySha384,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    /// <summary>The suite table's hash as a <see cref="HashKind"/> (TLS 1.3 suites use SHA-256 or SHA-384, RFC 8446 §B.4).</summary>
    public static HashKind ToHashKind(HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA256)
            return HashKind.Sha256;
        if (hash == HashAlgorithmName.SHA384)
            return HashKind.Sha384;
        throw new ArgumentOutOfRangeException(nameof(hash), "TLS 1.3 suites use SHA-256 or SHA-384");
    }

    /// <summary>
    /// Writes the HkdfLabel structure (RFC 8446 §7.1) into <paramref name="destination"/> and returns its length:
    /// <code>struct { uint16 length = Length; opaque label&lt;7..255&gt; = "tls13 " + Label; opaque context&lt;0..255&gt; = Context; } HkdfLabel;</code>
    /// </summary>
    /// <exception cref="ArgumentException">The label or context exceeds its vector bound, or the destination is too small.</exception>
    public static int EncodeHkdfLabel(int length, ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, Span<byte> destination)
    {
        int fullLabelLength = LabelPrefix.Length + label.Length;
        if ((uint)length > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), "HkdfLabel.length is a uint16");
        if (label.IsEmpty || fullLabelLength > 255)
            throw new ArgumentException("HkdfLabel.label is opaque<7..255> including the \"tls13 \" prefix.", nameof(label));
        if (context.Length > 255)
            throw new ArgumentException("HkdfLabel.context is opaque<0..255>.", nameof(context));
        int total = 2 + 1 + fullLabelLength + 1 + context.Length;
        if (destination.Length < total)
            throw new ArgumentException($"The HkdfLabel needs {total} bytes.", nameof(destination));

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)length);
        destination[2] = (byte)fullLabelLength;
        LabelPrefix.CopyTo(destination[3..]);
        label.CopyTo(destination[(3 + LabelPrefix.Length)..]);
        int offset = 3 + fullLabelLength;
        destination[offset] = (byte)context.Length;
        context.CopyTo(destination[(offset + 1)..]);
        return total;
    }

    /// <summary>
    /// HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length) (RFC 8446 §7.1),
    /// with Length = <paramref name="output"/>.Length. <paramref name="label"/> is given without the "tls13 " prefix.
    /// </summary>
    public static void HkdfExpandLabel(HashKind hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        Span<byte> hkdfLabel = stackalloc byte[MaxHkdfLabelLength];
        int length = EncodeHkdfLabel(output.Length, label, context, hkdfLabel);
        // The HkdfLabel holds only public data (a label and a transcript hash), so it is not erased.
        Hkdf.Expand(hash, secret, hkdfLabel[..length], output);
    }

    /// <summary>
    /// Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length)
    /// (RFC 8446 §7.1). The caller passes the transcript hash; <paramref name="output"/> is Hash.length bytes.
    /// </summary>
    public static void DeriveSecret(HashKind hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> transcriptHash, Span<byte> output)
    {
        RequireHashLength(hash, transcriptHash, nameof(transcriptHash));
        RequireHashLength(hash, output, nameof(output));
        HkdfExpandLabel(hash, secret, label, transcriptHash, output);
    }

    /// <summary>
    /// Early Secret = HKDF-Extract(salt = 0, IKM = PSK) (RFC 8446 §7.1). Without a PSK the IKM is Hash.length
    /// zero bytes: pass an empty <paramref name="psk"/>.
    /// </summary>
    public static void EarlySecret(HashKind hash, ReadOnlySpan<byte> psk, Span<byte> output)
    {
        RequireHashLength(hash, output, nameof(output));
        Span<byte> zeros = stackalloc byte[HashKindInfo.MaxHashLength];
        zeros.Clear();
        zeros = zeros[..hash.HashLength()];
        Hkdf.Extract(hash, zeros, psk.IsEmpty ? zeros : psk, output);
    }

    /// <summary>
    /// Handshake Secret = HKDF-Extract(salt = Derive-Secret(Early Secret, "derived", ""), IKM = (EC)DHE) (RFC 8446 §7.1).
    /// <paramref name="sharedSecret"/> empty means the 0-value (psk_ke mode, no key exchange).
    /// </summary>
    public static void HandshakeSecret(HashKind hash, ReadOnlySpan<byte> earlySecret, ReadOnlySpan<byte> sharedSecret, Span<byte> output) =>
        ExtractAfterDerived(hash, earlySecret, sharedSecret, output);

    /// <summary>Master Secret = HKDF-Extract(salt = Derive-Secret(Handshake Secret, "derived", ""), IKM = 0) (RFC 8446 §7.1).</summary>
    public static void MasterSecret(HashKind hash, ReadOnlySpan<byte> handshakeSecret, Span<byte> output) =>
        ExtractAfterDerived(hash, handshakeSecret, ReadOnlySpan<byte>.Empty, output);

    private static void ExtractAfterDerived(HashKind hash, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output)
    {
        RequireHashLength(hash, output, nameof(output));
        int hashLength = hash.HashLength();
        Span<byte> salt = stackalloc byte[HashKindInfo.MaxHashLength];
        Span<byte> zeros = stackalloc byte[HashKindInfo.MaxHashLength];
        salt = salt[..hashLength];
        zeros = zeros[..hashLength];
        zeros.Clear();
        try
        {
            DeriveSecret(hash, previous, DerivedLabel, EmptyHash(hash), salt);
            Hkdf.Extract(hash, salt, inputKeyMaterial.IsEmpty ? zeros : inputKeyMaterial, output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(salt);
        }
    }

    /// <summary>
    /// [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length) and
    /// [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length) (RFC 8446 §7.3).
    /// <paramref name="key"/> must be the AEAD's key length and <paramref name="iv"/> 12 bytes.
    /// </summary>
    public static void TrafficKeys(HashKind hash, AeadAlgorithm aead, ReadOnlySpan<byte> trafficSecret, Span<byte> key, Span<byte> iv)
    {
        if (key.Length != aead.KeySize())
            throw new ArgumentException($"{aead} needs a {aead.KeySize()}-byte key.", nameof(key));
        if (iv.Length != IvLength)
            throw new ArgumentException($"The TLS 1.3 IV is {IvLength} bytes.", nameof(iv));
        RequireHashLength(hash, trafficSecret, nameof(trafficSecret));
        HkdfExpandLabel(hash, trafficSecret, KeyLabel, ReadOnlySpan<byte>.Empty, key);
        HkdfExpandLabel(hash, trafficSecret, IvLabel, ReadOnlySpan<byte>.Empty, iv);
    }

    /// <summary>
    /// The record protection for one direction: key and IV from <paramref name="trafficSecret"/> (§7.3) into a
    /// TLS 1.3 <see cref="RecordProtection"/> (§5.2–5.3). The key and IV exist here only on the stack and are erased;
    /// the returned object owns its copies (in the AEAD) and erases them on Dispose.
    /// </summary>
    public static Records.RecordProtection CreateRecordProtection(HashKind hash, ReadOnlySpan<byte> trafficSecret, IAeadProvider provider, AeadAlgorithm aead)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Span<byte> key = stackalloc byte[32];
        Span<byte> iv = stackalloc byte[IvLength];
        key = key[..aead.KeySize()];
        try
        {
            TrafficKeys(hash, aead, trafficSecret, key, iv);
            return new Records.RecordProtection(provider.Create(aead, key), iv, Records.RecordNonceScheme.Tls13);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(iv);
        }
    }

    /// <summary>finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).</summary>
    public static void FinishedKey(HashKind hash, ReadOnlySpan<byte> baseKey, Span<byte> output)
    {
        RequireHashLength(hash, output, nameof(output));
        HkdfExpandLabel(hash, baseKey, FinishedLabel, ReadOnlySpan<byte>.Empty, output);
    }

    /// <summary>
    /// verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*))
    /// (RFC 8446 §4.4.4), with finished_key derived from <paramref name="baseKey"/> (a handshake traffic secret, or a
    /// binder key for PSK binders, §4.2.11.2). <paramref name="output"/> is Hash.length bytes.
    /// </summary>
    public static void ComputeFinishedVerifyData(HashKind hash, ReadOnlySpan<byte> baseKey, ReadOnlySpan<byte> transcriptHash, Span<byte> output)
    {
        RequireHashLength(hash, transcriptHash, nameof(transcriptHash));
        Span<byte> finishedKey = stackalloc byte[HashKindInfo.MaxHashLength];
        finishedKey = finishedKey[..hash.HashLength()];
        try
        {
            FinishedKey(hash, baseKey, finishedKey);
            ComputeVerifyDataWithFinishedKey(hash, finishedKey, transcriptHash, output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(finishedKey);
        }
    }

    /// <summary>verify_data = HMAC(finished_key, transcript hash), for a finished key already derived.</summary>
    internal static void ComputeVerifyDataWithFinishedKey(HashKind hash, ReadOnlySpan<byte> finishedKey, ReadOnlySpan<byte> transcriptHash, Span<byte> output)
    {
        RequireHashLength(hash, transcriptHash, nameof(transcriptHash));
        RequireHashLength(hash, output, nameof(output));
        Hmac.Compute(hash, finishedKey, transcriptHash, output);
    }

    /// <summary>
    /// Checks a received verify_data (Finished or PSK binder) in constant time (RFC 8446 §4.4.4: recipients MUST
    /// verify; a wrong length is simply a mismatch). Never throws on a mismatch.
    /// </summary>
    internal static bool VerifyWithFinishedKey(HashKind hash, ReadOnlySpan<byte> finishedKey, ReadOnlySpan<byte> transcriptHash, ReadOnlySpan<byte> received)
    {
        Span<byte> expected = stackalloc byte[HashKindInfo.MaxHashLength];
        expected = expected[..hash.HashLength()];
        try
        {
            ComputeVerifyDataWithFinishedKey(hash, finishedKey, transcriptHash, expected);
            // FixedTimeEquals returns false without comparing when the lengths differ; the length is public.
            return CryptographicOperations.FixedTimeEquals(expected, received);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expected);
        }
    }

    /// <summary>Recomputes verify_data from <paramref name="baseKey"/> and compares it with <paramref name="received"/> in constant time.</summary>
    public static bool VerifyFinished(HashKind hash, ReadOnlySpan<byte> baseKey, ReadOnlySpan<byte> transcriptHash, ReadOnlySpan<byte> received)
    {
        Span<byte> finishedKey = stackalloc byte[HashKindInfo.MaxHashLength];
        finishedKey = finishedKey[..hash.HashLength()];
        try
        {
            FinishedKey(hash, baseKey, finishedKey);
            return VerifyWithFinishedKey(hash, finishedKey, transcriptHash, received);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(finishedKey);
        }
    }

    /// <summary>
    /// application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)
    /// (RFC 8446 §7.2, KeyUpdate). <paramref name="output"/> may be the same memory as <paramref name="currentSecret"/>.
    /// </summary>
    public static void NextTrafficSecret(HashKind hash, ReadOnlySpan<byte> currentSecret, Span<byte> output)
    {
        RequireHashLength(hash, currentSecret, nameof(currentSecret));
        RequireHashLength(hash, output, nameof(output));
        // HKDF-Expand reads the PRK for every block; with one block (L = Hash.length) the PRK is consumed before the
        // output is written, but copy anyway so in-place updates never depend on that detail.
        Span<byte> current = stackalloc byte[HashKindInfo.MaxHashLength];
        current = current[..currentSecret.Length];
        currentSecret.CopyTo(current);
        try
        {
            HkdfExpandLabel(hash, current, TrafficUpdateLabel, ReadOnlySpan<byte>.Empty, output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current);
        }
    }

    /// <summary>
    /// The PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length)
    /// (RFC 8446 §4.6.1). <paramref name="ticketNonce"/> is at most 255 bytes.
    /// </summary>
    public static void ResumptionPsk(HashKind hash, ReadOnlySpan<byte> resumptionMasterSecret, ReadOnlySpan<byte> ticketNonce, Span<byte> output)
    {
        RequireHashLength(hash, resumptionMasterSecret, nameof(resumptionMasterSecret));
        RequireHashLength(hash, output, nameof(output));
        HkdfExpandLabel(hash, resumptionMasterSecret, ResumptionLabel, ticketNonce, output);
    }

    /// <summary>binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", "") (RFC 8446 §7.1).</summary>
    public static void BinderKey(HashKind hash, ReadOnlySpan<byte> earlySecret, Tls13PskKind kind, Span<byte> output) =>
        DeriveSecret(hash, earlySecret, kind == Tls13PskKind.External ? ExternalBinderLabel : ResumptionBinderLabel, EmptyHash(hash), output);

    /// <summary>
    /// A PSK binder: computed as Finished with BaseKey = binder_key over the transcript hash of the ClientHello
    /// truncated before the binders list (preceded by the HelloRetryRequest transcript if any) (RFC 8446 §4.2.11.2).
    /// </summary>
    public static void ComputeBinder(HashKind hash, ReadOnlySpan<byte> binderKey, ReadOnlySpan<byte> truncatedTranscriptHash, Span<byte> output) =>
        ComputeFinishedVerifyData(hash, binderKey, truncatedTranscriptHash, output);

    /// <summary>Checks a received binder in constant time (RFC 8446 §4.2.11.2: a mismatch aborts with decrypt_error).</summary>
    public static bool VerifyBinder(HashKind hash, ReadOnlySpan<byte> binderKey, ReadOnlySpan<byte> truncatedTranscriptHash, ReadOnlySpan<byte> received) =>
        VerifyFinished(hash, binderKey, truncatedTranscriptHash, received);

    /// <summary>
    /// TLS-Exporter(label, context_value, key_length) = HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter",
    /// Hash(context_value), key_length) (RFC 8446 §7.5), with Secret the (early) exporter master secret. An absent
    /// context and an empty one are the same in TLS 1.3. Length = <paramref name="output"/>.Length.
    /// </summary>
    public static void ExportKeyingMaterial(HashKind hash, ReadOnlySpan<byte> exporterMasterSecret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        RequireHashLength(hash, exporterMasterSecret, nameof(exporterMasterSecret));
        int hashLength = hash.HashLength();
        Span<byte> derived = stackalloc byte[HashKindInfo.MaxHashLength];
        Span<byte> contextHash = stackalloc byte[HashKindInfo.MaxHashLength];
        derived = derived[..hashLength];
        contextHash = contextHash[..hashLength];
        try
        {
            DeriveSecret(hash, exporterMasterSecret, label, EmptyHash(hash), derived);
            Sha2.Hash(hash, context, contextHash);
            HkdfExpandLabel(hash, derived, ExporterLabel, contextHash, output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    internal static void RequireHashLength(HashKind hash, ReadOnlySpan<byte> value, string name)
    {
        if (value.Length != hash.HashLength())
            throw new ArgumentException($"{name} must be {hash.HashLength()} bytes for {hash}.", name);
    }
}
