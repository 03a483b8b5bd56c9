using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using System.DirectoryServices.Protocols;

namespace Brisk.Server.ClientDirectory;

/// <summary>
/// How a certificate becomes a search: a base DN and a filter, each a template with the placeholders {cn}
/// (subject commonName), {email} (first rfc822Name SAN) and {subject} (the subject DN, RFC 4514). Values go into
/// the filter RFC 4515-escaped and into the base DN RFC 4514-escaped. A base DN with a placeholder names the
/// user's entry itself (the subject DN mapped to an entry DN) and is read with a base-scope search; otherwise the
/// subtree under the base is searched.
/// </summary>
public sealed partial class DirectoryLookupTemplate
{
    public const string DefaultFilter = "(&(objectClass=inetOrgPerson)(cn={cn}))";

    private static readonly string[] Known = ["{cn}", "{email}", "{subject}"];

    public DirectoryLookupTemplate(string baseDn, string filter)
    {
        foreach (Match match in Placeholder().Matches(baseDn + filter))
        {
            if (Array.IndexOf(Known, match.Value.ToLowerInvariant()) < 0)
                throw new ArgumentException($"unknown placeholder {match.Value} (known: {string.Join(", ", Known)})");
        }
        if (!IsBalancedFilter(filter))
            throw new ArgumentException($"'{filter}' is not a parenthesised LDAP filter (RFC 4515)");
        BaseDn = baseDn;
        Filter = filter;
        BaseNamesEntry = Placeholder().IsMatch(baseDn);
    }

    public string BaseDn { get; }

    public string Filter { get; }

    /// <summary>True when the base DN is built from the certificate: a base-scope read of that one entry.</summary>
    public bool BaseNamesEntry { get; }

    public SearchScope Scope => BaseNamesEntry ? SearchScope.Base : SearchScope.Subtree;

    /// <summary>The search for <paramref name="certificate"/>; false with the reason when it lacks a name the template uses.</summary>
    public bool TryBuild(X509Certificate2 certificate, out string baseDn, out string filter, out string? missing)
    {
        string? cn = null, email = null, subject = null;
        bool cnDone = false, emailDone = false, subjectDn = false;
        missing = null;
        string? Value(string placeholder)
        {
            switch (placeholder)
            {
                case "{cn}":
                    if (!cnDone) { cn = CertificateNames.CommonName(certificate); cnDone = true; }
                    return cn;
                case "{email}":
                    if (!emailDone) { email = CertificateNames.Email(certificate); emailDone = true; }
                    return email;
                default:
                    if (!subjectDn) { subject = CertificateNames.SubjectDn(certificate); subjectDn = true; }
                    return subject;
            }
        }

        string? problem = null;
        string Expand(string template, bool inDn) => Placeholder().Replace(template, match =>
        {
            string placeholder = match.Value.ToLowerInvariant();
            var value = Value(placeholder);
            if (value is null)
            {
                problem ??= $"the certificate has no {placeholder.Trim('{', '}')} usable for the lookup";
                return "";
            }
            if (placeholder == "{subject}")
                return inDn ? value : LdapFilter.EscapeValue(value); // SubjectDn is already an escaped DN string
            return inDn ? LdapFilter.EscapeDnValue(value) : LdapFilter.EscapeValue(value);
        });

        baseDn = Expand(BaseDn, inDn: true);
        filter = Expand(Filter, inDn: false);
        missing = problem;
        return problem is null;
    }

    /// <summary>Starts with '(' and every parenthesis closes, ending at the last character (escapes are \XX, never a raw paren).</summary>
    private static bool IsBalancedFilter(string filter)
    {
        if (filter.Length < 3 || filter[0] != '(' || filter[^1] != ')')
            return false;
        int depth = 0;
        for (int i = 0; i < filter.Length; i++)
        {
            if (filter[i] == '(')
                depth++;
            else if (filter[i] == ')' && --depth == 0 && i != filter.Length - 1)
                return false;
            if (depth < 0)
                return false;
        }
        return depth == 0;
    }

    [GeneratedRegex(@"\{[A-Za-z]+\}")]
    private static partial Regex Placeholder();
}
