namespace Brisk.Tls.Protocol;

/// <summary>
/// SignatureScheme (RFC 8446 §4.2.3). In TLS 1.2 the same two bytes are the SignatureAndHashAlgorithm
/// pair {hash, signature} of RFC 5246 §7.4.1.4.1, which is why the 1.2 code points line up.
/// </summary>
public enum SignatureScheme : ushort
{
    RsaPkcs1Sha1 = 0x0201,
    EcdsaSha1 = 0x0203,
    RsaPkcs1Sha256 = 0x0401,
    RsaPkcs1Sha384 = 0x0501,
    RsaPkcs1Sha512 = 0x0601,
    EcdsaSecp256r1Sha256 = 0x0403,
    EcdsaSecp384r1Sha384 = 0x0503,
    EcdsaSecp521r1Sha512 = 0x0603,
    RsaPssRsaeSha256 = 0x0804,
    RsaPssRsaeSha384 = 0x0805,
    RsaPssRsaeSha512 = 0x0806,
    Ed25519 = 0x0807,
    Ed448 = 0x0808,
    RsaPssPssSha256 = 0x0809,
    RsaPssPssSha384 = 0x080A,
    RsaPssPssSha512 = 0x080B,
}
