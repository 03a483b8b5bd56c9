namespace Brisk.Tls.KeySchedule;

/// <summary>
/// The key material of one TLS 1.2 AEAD connection (RFC 5246 §6.3, no MAC keys for AEAD suites): slices of
/// the caller's key_block buffer, which the caller owns and must zero when the keys are installed.
/// </summary>
public readonly ref struct Tls12KeyBlock
{
    public Tls12KeyBlock(ReadOnlySpan<byte> clientWriteKey, ReadOnlySpan<byte> serverWriteKey, ReadOnlySpan<byte> clientWriteIv, ReadOnlySpan<byte> serverWriteIv)
    {
        ClientWriteKey = clientWriteKey;
        ServerWriteKey = serverWriteKey;
        ClientWriteIv = clientWriteIv;
        ServerWriteIv = serverWriteIv;
    }

    public ReadOnlySpan<byte> ClientWriteKey { get; }

    public ReadOnlySpan<byte> ServerWriteKey { get; }

    /// <summary>AES-GCM: the 4-byte implicit salt (RFC 5288 §3); ChaCha20-Poly1305: the 12-byte IV (RFC 7905 §2).</summary>
    public ReadOnlySpan<byte> ClientWriteIv { get; }

    public ReadOnlySpan<byte> ServerWriteIv { get; }
}

/// <summary>TLS 1.2 secrets from the PRF: master secret, extended master secret, key block, Finished.</summary>
public static class Tls12KeyDerivation
{
    public const int MasterSecretLength = 48;

    /// <summary>verify_data_length for every TLS 1.2 suite Brisk supports (RFC 5246 §7.4.9).</summary>
    public const int VerifyDataLength = 12;

    /// <summary>AES-GCM fixed_iv_length / salt (RFC 5288 §3).</summary>
    public const int AesGcmFixedIvLength = 4;

    /// <summary>ChaCha20-Poly1305 fixed_iv_length (RFC 7905 §2): the whole 12-byte nonce mask.</summary>
    public const int ChaCha20Poly1305FixedIvLength = 12;

    public static ReadOnlySpan<byte> MasterSecretLabel => "master secret"u8;

    public static ReadOnlySpan<byte> ExtendedMasterSecretLabel => "extended master secret"u8;

    public static ReadOnlySpan<byte> KeyExpansionLabel => "key expansion"u8;

    public static ReadOnlySpan<byte> ClientFinishedLabel => "client finished"u8;

    public static ReadOnlySpan<byte> ServerFinishedLabel => "server finished"u8;

    /// <summary>
    /// master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]
    /// (RFC 5246 §8.1).
    /// </summary>
    public static void ComputeMasterSecret(Tls12PrfHash hash, ReadOnlySpan<byte> preMasterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, Span<byte> masterSecret)
    {
        CheckLength(masterSecret, MasterSecretLength, nameof(masterSecret));
        Tls12Prf.Compute(hash, preMasterSecret, MasterSecretLabel, clientRandom, serverRandom, masterSecret);
    }

    /// <summary>
    /// master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47] (RFC 7627 §4),
    /// where session_hash is the transcript hash up to and including ClientKeyExchange.
    /// </summary>
    public static void ComputeExtendedMasterSecret(Tls12PrfHash hash, ReadOnlySpan<byte> preMasterSecret, ReadOnlySpan<byte> sessionHash, Span<byte> masterSecret)
    {
        CheckLength(masterSecret, MasterSecretLength, nameof(masterSecret));
        Tls12Prf.Compute(hash, preMasterSecret, ExtendedMasterSecretLabel, sessionHash, masterSecret);
    }

    /// <summary>
    /// key_block = PRF(master_secret, "key expansion", server_random + client_random) (RFC 5246 §6.3), split
    /// for an AEAD suite into client/server write keys then client/server IVs. <paramref name="keyBlock"/>
    /// must be exactly 2 * (keyLength + fixedIvLength) bytes; the returned slices point into it.
    /// </summary>
    public static Tls12KeyBlock DeriveKeyBlock(
        Tls12PrfHash hash,
        ReadOnlySpan<byte> masterSecret,
        ReadOnlySpan<byte> clientRandom,
        ReadOnlySpan<byte> serverRandom,
        int keyLength,
        int fixedIvLength,
        Span<byte> keyBlock)
    {
        CheckLength(keyBlock, 2 * (keyLength + fixedIvLength), nameof(keyBlock));
        Tls12Prf.Compute(hash, masterSecret, KeyExpansionLabel, serverRandom, clientRandom, keyBlock);
        return new Tls12KeyBlock(
            keyBlock.Slice(0, keyLength),
            keyBlock.Slice(keyLength, keyLength),
            keyBlock.Slice(2 * keyLength, fixedIvLength),
            keyBlock.Slice(2 * keyLength + fixedIvLength, fixedIvLength));
    }

    /// <summary>
    /// verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11] (RFC 5246 §7.4.9);
    /// the label is "client finished" for the client's Finished and "server finished" for the server's.
    /// </summary>
    public static void ComputeVerifyData(Tls12PrfHash hash, ReadOnlySpan<byte> masterSecret, bool fromClient, ReadOnlySpan<byte> handshakeHash, Span<byte> verifyData)
    {
        CheckLength(verifyData, VerifyDataLength, nameof(verifyData));
        Tls12Prf.Compute(hash, masterSecret, fromClient ? ClientFinishedLabel : ServerFinishedLabel, handshakeHash, verifyData);
    }

    private static void CheckLength(ReadOnlySpan<byte> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"expected {expected} bytes, got {span.Length}", name);
        }
    }
}
