namespace Brisk.Crypto.Rsa;

/// <summary>
/// Computes raw RSA private-key operations (RFC 8017 RSADP / RSASP1: x^d mod n), possibly batching
/// requests from many handshakes. Padding (PKCS#1 v1.5 signatures, PSS, the TLS 1.2 pre-master secret
/// decoding) is done by the caller on top of the raw result, so one engine serves every use.
///
/// Every implementation must: run in constant time in the secret exponent and the input; blind the
/// input; verify every result with the public exponent before completing (a faulty result is never
/// returned: the operation fails with <see cref="RsaFaultException"/> and the fault is counted).
/// </summary>
public interface IRsaEngine
{
    /// <summary>Short name used in options and metrics: system, multibuffer, native, fiat.</summary>
    string Name { get; }

    /// <summary>Whether this engine can serve the key (size, exponent, CPU features).</summary>
    bool Supports(RsaPrivateKey key);

    /// <summary>
    /// Writes <c>input^d mod n</c> to <paramref name="output"/> as a big-endian integer of exactly
    /// <see cref="RsaPrivateKey.ModulusLength"/> bytes. <paramref name="input"/> has that same length and
    /// must be numerically less than the modulus (the caller checks; engines reject otherwise with
    /// <see cref="ArgumentException"/>). Both buffers stay owned by the caller and must stay valid until
    /// the returned task completes.
    /// </summary>
    ValueTask PrivateAsync(RsaPrivateKey key, ReadOnlyMemory<byte> input, Memory<byte> output, CancellationToken cancellationToken = default);
}

/// <summary>A private-key result failed verification with the public key and was withheld.</summary>
public sealed class RsaFaultException(string message) : Exception(message);
