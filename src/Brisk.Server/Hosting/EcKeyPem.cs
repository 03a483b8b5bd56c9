using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Brisk.Server.Hosting;

/// <summary>
/// Reads an unencrypted P-256 or P-384 private key from PEM (PKCS#8 "PRIVATE KEY", RFC 5208 §5 / RFC 5915 §1,
/// or SEC1 "EC PRIVATE KEY", RFC 5915 §3) into <see cref="ECParameters"/> with a managed DER reader, and an
/// EC certificate's public point, so that loading a certificate does not take the key through a platform
/// ECDsa object and back (several libcrypto round trips per key). The pair is still checked by libcrypto
/// when the key is made (EC_KEY_check_key in <see cref="Brisk.Crypto.Signing.EcdsaPrivateKey"/>): the point
/// must be on the curve and match the scalar. Load time only.
/// </summary>
internal static class EcKeyPem
{
    public const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string P384Oid = "1.3.132.0.34";

    /// <summary>
    /// True with the parameters (named curve, D, Q) when <paramref name="pem"/> starts with a P-256/P-384 key
    /// that carries its public point; false for anything else (the caller falls back to the platform import).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<char> pem, out ECParameters parameters)
    {
        parameters = default;
        if (!PrivateKeyPem.TryDecode(pem, "EC PRIVATE KEY", out bool pkcs8, out byte[] der))
            return false;
        try
        {
            try
            {
                string? curveOid = null;
                ReadOnlyMemory<byte> ecPrivateKey = der;
                if (pkcs8)
                {
                    var info = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
                    info.ReadInteger();
                    var algorithm = info.ReadSequence();
                    if (algorithm.ReadObjectIdentifier() != EcPublicKeyOid || !algorithm.HasData || algorithm.PeekTag() != Asn1Tag.ObjectIdentifier)
                        return false;
                    curveOid = algorithm.ReadObjectIdentifier();
                    if (!info.TryReadPrimitiveOctetString(out ecPrivateKey))
                        return false;
                }
                // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] parameters OPTIONAL, [1] publicKey BIT STRING OPTIONAL }
                var key = new AsnReader(ecPrivateKey, AsnEncodingRules.BER).ReadSequence();
                if (!key.TryReadInt32(out int version) || version != 1 || !key.TryReadPrimitiveOctetString(out var d))
                    return false;
                ReadOnlyMemory<byte> point = default;
                while (key.HasData)
                {
                    var tag = key.PeekTag();
                    if (tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                    {
                        var explicitParameters = key.ReadSequence(tag);
                        var named = explicitParameters.ReadObjectIdentifier();
                        if (curveOid is not null && curveOid != named)
                            return false;
                        curveOid = named;
                    }
                    else if (tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
                    {
                        var publicKey = key.ReadSequence(tag);
                        if (!publicKey.TryReadPrimitiveBitString(out int unused, out point) || unused != 0)
                            return false;
                    }
                    else
                    {
                        return false;
                    }
                }
                int size = curveOid switch { P256Oid => 32, P384Oid => 48, _ => 0 };
                if (size == 0 || d.Length > size || point.Length != 1 + 2 * size || point.Span[0] != 0x04)
                    return false;
                var scalar = new byte[size];
                d.Span.CopyTo(scalar.AsSpan(size - d.Length));
                parameters = new ECParameters
                {
                    Curve = ECCurve.CreateFromValue(curveOid!),
                    D = scalar,
                    Q = new ECPoint { X = point.Span.Slice(1, size).ToArray(), Y = point.Span.Slice(1 + size, size).ToArray() },
                };
                return true;
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

    /// <summary>The certificate's curve OID and uncompressed public point (04 || X || Y), or null for a non-EC key.</summary>
    public static (string CurveOid, byte[] Point)? ReadPublicKey(X509Certificate2 certificate)
    {
        var publicKey = certificate.PublicKey;
        if (publicKey.Oid.Value != EcPublicKeyOid || publicKey.EncodedParameters?.RawData is not { } curveParameters)
            return null;
        try
        {
            var curve = new AsnReader(curveParameters, AsnEncodingRules.DER).ReadObjectIdentifier();
            return (curve, publicKey.EncodedKeyValue.RawData);
        }
        catch (AsnContentException)
        {
            return null; // explicit curve parameters: not served
        }
    }
}
