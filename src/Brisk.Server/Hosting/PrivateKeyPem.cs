using System.Security.Cryptography;

namespace Brisk.Server.Hosting;

/// <summary>The PEM framing shared by the managed key readers (<see cref="RsaKeyPem"/>, <see cref="EcKeyPem"/>).</summary>
internal static class PrivateKeyPem
{
    /// <summary>
    /// Decodes the first PEM block when it is a PKCS#8 "PRIVATE KEY" or the algorithm's own label (e.g. "RSA PRIVATE
    /// KEY") and no second private key follows it (the platform import then reports the ambiguity). The caller owns
    /// <paramref name="der"/> and must zero it.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> pem, string algorithmLabel, out bool pkcs8, out byte[] der)
    {
        pkcs8 = false;
        der = [];
        if (!PemEncoding.TryFind(pem, out var fields))
            return false;
        var label = pem[fields.Label];
        pkcs8 = label.SequenceEqual("PRIVATE KEY");
        if (!pkcs8 && !label.SequenceEqual(algorithmLabel))
            return false;
        var rest = pem[fields.Location.End..];
        if (PemEncoding.TryFind(rest, out var next) && rest[next.Label].EndsWith("PRIVATE KEY"))
            return false;
        der = new byte[fields.DecodedDataLength];
        if (Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out int written) && written == der.Length)
            return true;
        CryptographicOperations.ZeroMemory(der);
        der = [];
        return false;
    }
}
