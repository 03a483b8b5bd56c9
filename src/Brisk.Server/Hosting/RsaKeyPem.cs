using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace Brisk.Server.Hosting;

/// <summary>
/// Reads an unencrypted RSA private key from PEM (PKCS#8 "PRIVATE KEY", RFC 5208 §5, or PKCS#1 "RSA PRIVATE
/// KEY", RFC 8017 §A.1.2) straight into <see cref="RSAParameters"/> with a managed DER reader.
/// <para>
/// Why not <see cref="RSA.ImportFromPem"/>: on Linux it hands the key to libcrypto, which checks it
/// (primality tests of p and q), and exporting the parameters back costs as much again — milliseconds per
/// key, minutes for ten thousand certificates. Here the key costs microseconds: DER decoding plus the
/// arithmetic relations between the CRT values (n = p·q, dP = d mod (p−1), dQ = d mod (q−1), qInv·q ≡ 1
/// mod p, e·dP ≡ 1 mod (p−1), e·dQ ≡ 1 mod (q−1)), which catch a corrupted or mismatched file. What they
/// do not prove (that p and q are prime) cannot produce a wrong signature unnoticed either: every RSA-CRT
/// result is verified with the public key before it leaves (see the RSA engines).
/// </para>
/// Runs at load time only, not on a handshake path; the big-integer arithmetic is not constant-time.
/// </summary>
internal static class RsaKeyPem
{
    private static readonly string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    /// <summary>
    /// True with the parameters when <paramref name="pem"/> holds exactly one RSA key this reader understands.
    /// False when it holds something else (an EC key, an encrypted key): the caller falls back to the
    /// platform import, whose error messages name the problem. Throws <see cref="ConfigurationException"/>
    /// for an RSA key whose values do not fit together.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<char> pem, out RSAParameters parameters)
    {
        parameters = default;
        if (!PrivateKeyPem.TryDecode(pem, "RSA PRIVATE KEY", out bool pkcs8, out byte[] der))
            return false;
        try
        {
            try
            {
                ReadOnlyMemory<byte> rsaPrivateKey = der;
                if (pkcs8)
                {
                    // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING, [0] attributes OPTIONAL }
                    var info = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
                    info.ReadInteger();
                    var algorithm = info.ReadSequence();
                    if (algorithm.ReadObjectIdentifier() != RsaEncryptionOid)
                        return false;
                    if (!info.TryReadPrimitiveOctetString(out rsaPrivateKey))
                        return false;
                }
                return TryReadRsaPrivateKey(rsaPrivateKey, out parameters);
            }
            catch (AsnContentException)
            {
                return false;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// The modulus and exponent of an RSA certificate's subjectPublicKey (RSAPublicKey ::= SEQUENCE { n, e },
    /// RFC 8017 §A.1.1), decoded here rather than through a platform RSA object; null for other key types.
    /// </summary>
    public static RSAParameters? ReadPublicKey(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var publicKey = certificate.PublicKey;
        if (publicKey.Oid.Value != RsaEncryptionOid)
            return null;
        try
        {
            var key = new AsnReader(publicKey.EncodedKeyValue.RawData, AsnEncodingRules.DER).ReadSequence();
            var n = Unsigned(key.ReadIntegerBytes().Span);
            var e = Unsigned(key.ReadIntegerBytes().Span);
            key.ThrowIfNotEmpty();
            return new RSAParameters { Modulus = n, Exponent = e };
        }
        catch (AsnContentException ex)
        {
            throw new ConfigurationException($"the certificate's RSA public key does not decode ({ex.Message})", ex);
        }
    }

    /// <summary>RSAPrivateKey ::= SEQUENCE { version 0, n, e, d, p, q, dP, dQ, qInv } (two primes only).</summary>
    private static bool TryReadRsaPrivateKey(ReadOnlyMemory<byte> der, out RSAParameters parameters)
    {
        parameters = default;
        var key = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
        if (!key.TryReadInt32(out int version) || version != 0)
            return false; // multi-prime (version 1) keys: the platform import decides
        var n = Unsigned(key.ReadIntegerBytes().Span);
        var e = Unsigned(key.ReadIntegerBytes().Span);
        var d = Unsigned(key.ReadIntegerBytes().Span);
        var p = Unsigned(key.ReadIntegerBytes().Span);
        var q = Unsigned(key.ReadIntegerBytes().Span);
        var dp = Unsigned(key.ReadIntegerBytes().Span);
        var dq = Unsigned(key.ReadIntegerBytes().Span);
        var qInv = Unsigned(key.ReadIntegerBytes().Span);
        key.ThrowIfNotEmpty();

        int modulusLength = n.Length;
        int halfLength = (modulusLength + 1) / 2;
        if (modulusLength < 64 || e.Length == 0 || d.Length > modulusLength || p.Length > halfLength || q.Length > halfLength ||
            dp.Length > halfLength || dq.Length > halfLength || qInv.Length > halfLength)
            throw new ConfigurationException("the RSA private key's values have impossible sizes");

        var N = new BigInteger(n, isUnsigned: true, isBigEndian: true);
        var E = new BigInteger(e, isUnsigned: true, isBigEndian: true);
        var D = new BigInteger(d, isUnsigned: true, isBigEndian: true);
        var P = new BigInteger(p, isUnsigned: true, isBigEndian: true);
        var Q = new BigInteger(q, isUnsigned: true, isBigEndian: true);
        var DP = new BigInteger(dp, isUnsigned: true, isBigEndian: true);
        var DQ = new BigInteger(dq, isUnsigned: true, isBigEndian: true);
        var QInv = new BigInteger(qInv, isUnsigned: true, isBigEndian: true);
        if (P <= 1 || Q <= 1 || N != P * Q ||
            DP != D % (P - 1) || DQ != D % (Q - 1) ||
            (E * DP) % (P - 1) != 1 || (E * DQ) % (Q - 1) != 1 ||
            (QInv * Q) % P != 1)
            throw new ConfigurationException("the RSA private key is inconsistent (its CRT values do not fit together)");

        // RSAParameters' shape, as RSA.ExportParameters gives it: N and D at the modulus length, the CRT values at half of it.
        parameters = new RSAParameters
        {
            Modulus = n,
            Exponent = e,
            D = PadLeft(d, modulusLength),
            P = PadLeft(p, halfLength),
            Q = PadLeft(q, halfLength),
            DP = PadLeft(dp, halfLength),
            DQ = PadLeft(dq, halfLength),
            InverseQ = PadLeft(qInv, halfLength),
        };
        return true;
    }

    /// <summary>A DER INTEGER's content as an unsigned big-endian array (the sign byte dropped).</summary>
    private static byte[] Unsigned(ReadOnlySpan<byte> integer)
    {
        if (integer.Length > 0 && (integer[0] & 0x80) != 0)
            throw new ConfigurationException("the RSA private key holds a negative number");
        while (integer.Length > 1 && integer[0] == 0)
            integer = integer[1..];
        return integer.Length == 1 && integer[0] == 0 ? [] : integer.ToArray();
    }

    private static byte[] PadLeft(byte[] value, int length)
    {
        if (value.Length == length)
            return value;
        var padded = new byte[length];
        value.CopyTo(padded, length - value.Length);
        CryptographicOperations.ZeroMemory(value);
        return padded;
    }
}
