using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Credentials;

/// <summary>
/// Validates a client's certificate chain against the configured trust anchors only (never the system
/// store): path to an anchor, validity period, and key usage for signing / the clientAuth EKU when those
/// extensions are present (RFC 5280 §4.2.1.3, §4.2.1.12). Failures map to the RFC 5246 §7.2.2 alerts.
/// </summary>
public static class ClientCertificateValidator
{
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Returns the leaf on success; throws <see cref="TlsProtocolException"/> with the alert otherwise.</summary>
    public static X509Certificate2 Validate(IReadOnlyList<byte[]> chainDer, X509Certificate2Collection trustAnchors, DateTimeOffset now)
    {
        X509Certificate2 leaf;
        var intermediates = new X509Certificate2Collection();
        try
        {
            leaf = X509CertificateLoader.LoadCertificate(chainDer[0]);
            for (int i = 1; i < chainDer.Count; i++)
                intermediates.Add(X509CertificateLoader.LoadCertificate(chainDer[i]));
        }
        catch (CryptographicException ex)
        {
            throw new TlsProtocolException(AlertDescription.BadCertificate, $"unparsable client certificate: {ex.Message}");
        }

        if (leaf.GetRSAPublicKey() is null && leaf.GetECDsaPublicKey() is null)
            throw new TlsProtocolException(AlertDescription.UnsupportedCertificate, "client certificate key is neither RSA nor ECDSA");

        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509KeyUsageExtension usage && (usage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
                throw new TlsProtocolException(AlertDescription.UnsupportedCertificate, "client certificate key usage lacks digitalSignature");
            if (extension is X509EnhancedKeyUsageExtension eku && !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthenticationOid))
                throw new TlsProtocolException(AlertDescription.UnsupportedCertificate, "client certificate extended key usage lacks clientAuth");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustAnchors);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (chain.Build(leaf))
            return leaf;

        var status = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        string detail = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
        if ((status & X509ChainStatusFlags.NotTimeValid) != 0)
            throw new TlsProtocolException(AlertDescription.CertificateExpired, $"client certificate outside its validity period: {detail}");
        if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            throw new TlsProtocolException(AlertDescription.UnknownCa, $"client certificate not issued by a trusted CA: {detail}");
        throw new TlsProtocolException(AlertDescription.BadCertificate, $"client certificate chain invalid: {detail}");
    }

    public static ClientIdentity DescribeIdentity(X509Certificate2 leaf)
    {
        var names = new List<string>();
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames().Select(n => "DNS:" + n));
                names.AddRange(san.EnumerateIPAddresses().Select(a => "IP:" + a));
            }
        }
        return new ClientIdentity(leaf.Subject, names, Convert.ToHexString(leaf.GetCertHash(HashAlgorithmName.SHA256)), leaf);
    }
}
