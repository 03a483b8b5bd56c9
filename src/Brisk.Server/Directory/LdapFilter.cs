using System.Text;

namespace Brisk.Server.ClientDirectory;

/// <summary>
/// Escaping for values put into LDAP search filters (RFC 4515 §3) and distinguished names (RFC 4514 §2.4). Every
/// value taken from a client certificate goes through one of these before it reaches the directory, so a crafted
/// subject such as <c>CN=*)(uid=*</c> can only ever match an entry literally named that.
/// </summary>
public static class LdapFilter
{
    /// <summary>
    /// RFC 4515 §3: in an assertion value, '*', '(', ')', '\' and NUL must be written as '\' and two hex digits.
    /// We also escape every other byte outside printable ASCII (the UTF-8 of non-ASCII text, control bytes):
    /// the grammar allows any octet escaped, and the filter then stays plain ASCII whatever the certificate held.
    /// </summary>
    public static string EscapeValue(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        var escaped = new StringBuilder(utf8.Length + 8);
        foreach (byte b in utf8)
        {
            if (b is (byte)'*' or (byte)'(' or (byte)')' or (byte)'\\' or < 0x20 or >= 0x7F)
                escaped.Append('\\').Append(b.ToString("x2"));
            else
                escaped.Append((char)b);
        }
        return escaped.ToString();
    }

    /// <summary>
    /// RFC 4514 §2.4: an attribute value inside a DN string escapes '"', '+', ',', ';', '<', '>', '\', a leading
    /// '#' or space, a trailing space, and NUL. '=' is escaped too (allowed by the grammar's "special"), and
    /// control bytes are written as hex pairs.
    /// </summary>
    public static string EscapeDnValue(string value)
    {
        var escaped = new StringBuilder(value.Length + 8);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            bool special = c is '"' or '+' or ',' or ';' or '<' or '>' or '\\' or '='
                || (i == 0 && c is '#' or ' ')
                || (i == value.Length - 1 && c == ' ');
            if (special)
                escaped.Append('\\').Append(c);
            else if (c < 0x20 || c == 0x7F)
                escaped.Append('\\').Append(((int)c).ToString("x2"));
            else
                escaped.Append(c);
        }
        return escaped.ToString();
    }
}
