using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Credentials;

/// <summary>The kind of key behind a server certificate; it decides which suites and signature schemes it can serve.</summary>
public enum CredentialKeyType
{
    Rsa,
    EcdsaP256,
    EcdsaP384,
}

/// <summary>
/// A certificate chain (leaf first, DER) with its private key. Immutable; shared by every handshake.
/// The private key sits behind <see cref="IServerPrivateKey"/> so its operations can be batched or done
/// elsewhere (an HSM) without the handshake knowing.
/// </summary>
public sealed class ServerCertificate
{
    public ServerCertificate(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IServerPrivateKey key)
    {
        Leaf = leaf;
        Key = key;
        ChainDer = [leaf.RawData, .. intermediates.Select(c => c.RawData)];
        DnsNames = ReadDnsNames(leaf);
        Sha256Fingerprint = Convert.ToHexString(leaf.GetCertHash(HashAlgorithmName.SHA256));
    }

    public X509Certificate2 Leaf { get; }

    /// <summary>The Certificate message's certificate_list: leaf first, then the intermediates as loaded.</summary>
    public IReadOnlyList<byte[]> ChainDer { get; }

    public IServerPrivateKey Key { get; }

    public CredentialKeyType KeyType => Key.KeyType;

    /// <summary>
    /// The names the certificate is filed under for SNI: its subjectAltName dNSNames, or, only when the
    /// certificate has no dNSName at all, the subject common name (the legacy place; RFC 6125 §6.4.4 lets a
    /// client fall back to it in exactly that case).
    /// </summary>
    public IReadOnlyList<string> DnsNames { get; }

    public string Sha256Fingerprint { get; }

    private IReadOnlyList<ServerCertificate> _siblings = [];
    private int _nextSibling;

    /// <summary>
    /// Certificates whose RSA keys share this one's modulus (a Fiat key family, see keygen) and that carry
    /// the same names. Handshakes are spread across the family so that the Fiat engine's batches fill with
    /// distinct exponents. The names are part of the family key because one key may well serve many
    /// certificates for different hosts (a key reused across renewals or sites): those are not
    /// interchangeable, and spreading across them would present the wrong host's certificate.
    /// </summary>
    public static void LinkKeyFamilies(IReadOnlyList<ServerCertificate> certificates)
    {
        var families = certificates
            .Where(c => c.Key is RsaServerKey)
            .GroupBy(c => Convert.ToHexString(((RsaServerKey)c.Key).Key.Modulus) + " " +
                string.Join(",", c.DnsNames.Select(n => n.ToLowerInvariant()).Order(StringComparer.Ordinal)));
        foreach (var family in families)
        {
            var members = family.ToList();
            if (members.Count > 1)
                foreach (var member in members)
                    member._siblings = members;
        }
    }

    /// <summary>This certificate, or the next member of its key family in turn (round robin).</summary>
    public ServerCertificate SpreadAcrossFamily()
    {
        var siblings = _siblings;
        if (siblings.Count == 0)
            return this;
        int index = (int)((uint)Interlocked.Increment(ref _nextSibling) % (uint)siblings.Count);
        return siblings[index];
    }

    /// <summary>Signature schemes this key can produce, in the server's preference order (RFC 8446 §4.2.3).</summary>
    public ReadOnlySpan<SignatureScheme> SignatureSchemes => KeyType switch
    {
        CredentialKeyType.Rsa => RsaSchemes,
        CredentialKeyType.EcdsaP256 => EcdsaP256Schemes,
        _ => EcdsaP384Schemes,
    };

    private static readonly SignatureScheme[] RsaSchemes =
    [
        SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPssRsaeSha384, SignatureScheme.RsaPssRsaeSha512,
        SignatureScheme.RsaPkcs1Sha256, SignatureScheme.RsaPkcs1Sha384, SignatureScheme.RsaPkcs1Sha512,
    ];
    private static readonly SignatureScheme[] EcdsaP256Schemes = [SignatureScheme.EcdsaSecp256r1Sha256];
    private static readonly SignatureScheme[] EcdsaP384Schemes = [SignatureScheme.EcdsaSecp384r1Sha384];

    /// <summary>
    /// Picks the first scheme in the server's order that the client offered. TLS 1.3 forbids PKCS#1 v1.5
    /// in CertificateVerify (RFC 8446 §4.2.3). Returns false when nothing fits.
    /// </summary>
    public bool TryChooseSignatureScheme(IReadOnlyList<SignatureScheme> offered, bool tls13, out SignatureScheme scheme)
    {
        foreach (var candidate in SignatureSchemes)
        {
            if (tls13 && candidate is SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512)
                continue;
            if (offered.Contains(candidate))
            {
                scheme = candidate;
                return true;
            }
        }
        scheme = default;
        return false;
    }

    private static IReadOnlyList<string> ReadDnsNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
                names.AddRange(san.EnumerateDnsNames());
        }
        if (names.Count == 0)
        {
            string cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            if (!string.IsNullOrEmpty(cn))
                names.Add(cn);
        }
        return names;
    }
}
