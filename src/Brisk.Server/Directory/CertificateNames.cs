using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Brisk.Server.ClientDirectory;

/// <summary>The names of a client certificate that a directory lookup can be keyed on.</summary>
public static class CertificateNames
{
    private const string CommonNameOid = "2.5.4.3";

    /// <summary>RFC 4514 §3 short names (plus a few that OpenLDAP's core schema knows by name).</summary>
    private static readonly Dictionary<string, string> AttributeNames = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN",
        ["2.5.4.7"] = "L",
        ["2.5.4.8"] = "ST",
        ["2.5.4.10"] = "O",
        ["2.5.4.11"] = "OU",
        ["2.5.4.6"] = "C",
        ["2.5.4.9"] = "STREET",
        ["0.9.2342.19200300.100.1.25"] = "DC",
        ["0.9.2342.19200300.100.1.1"] = "UID",
        ["2.5.4.5"] = "serialNumber",
        ["2.5.4.4"] = "SN",
        ["2.5.4.42"] = "givenName",
        ["2.5.4.12"] = "title",
        ["1.2.840.113549.1.9.1"] = "emailAddress",
    };

    /// <summary>The most specific commonName of the subject (the last CN in the encoded sequence), or null.</summary>
    public static string? CommonName(X509Certificate2 certificate)
    {
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames(reversed: true))
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == CommonNameOid)
                return rdn.GetSingleElementValue();
        }
        return null;
    }

    /// <summary>The first rfc822Name of the subjectAltName extension (RFC 5280 §4.2.1.6), or null.</summary>
    public static string? Email(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509SubjectAlternativeNameExtension san)
                continue;
            // GeneralNames ::= SEQUENCE OF GeneralName; rfc822Name is [1] IA5String (implicit).
            try
            {
                var reader = new AsnReader(san.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                var rfc822 = new Asn1Tag(TagClass.ContextSpecific, 1);
                while (names.HasData)
                {
                    if (names.PeekTag() == rfc822)
                        return names.ReadCharacterString(UniversalTagNumber.IA5String, rfc822);
                    names.ReadEncodedValue();
                }
            }
            catch (AsnContentException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>
    /// The subject as an RFC 4514 string (most specific RDN first, values escaped), or null when it has a
    /// multi-valued RDN or an attribute type without a known name: such a subject is not mapped to an entry DN.
    /// </summary>
    public static string? SubjectDn(X509Certificate2 certificate)
    {
        var dn = new StringBuilder();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames(reversed: true))
        {
            if (rdn.HasMultipleElements)
                return null;
            if (!AttributeNames.TryGetValue(rdn.GetSingleElementType().Value ?? "", out var name))
                return null;
            var value = rdn.GetSingleElementValue();
            if (value is null)
                return null;
            if (dn.Length > 0)
                dn.Append(',');
            dn.Append(name).Append('=').Append(LdapFilter.EscapeDnValue(value));
        }
        return dn.Length == 0 ? null : dn.ToString();
    }
}
