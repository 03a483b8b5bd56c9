using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Brisk.Server.Pkcs11;

/// <summary>
/// A PKCS#11 URI (RFC 7512): <c>pkcs11:token=brisk;object=server-rsa;id=%01%02</c>. Attribute values are
/// kept percent-decoded, as bytes (an <c>id</c> is binary; labels are UTF-8, RFC 7512 §2.3). Only the
/// attributes RFC 7512 defines, and vendor attributes (<c>x-…</c>), are accepted; each may appear once.
/// </summary>
public sealed class Pkcs11Uri
{
    public const string Scheme = "pkcs11:";

    /// <summary>Path attributes of RFC 7512 §2.3 (identify the library, slot, token and object).</summary>
    private static readonly string[] PathAttributes =
    [
        "token", "manufacturer", "serial", "model", "library-manufacturer", "library-version", "library-description",
        "object", "type", "id", "slot-description", "slot-manufacturer", "slot-id",
    ];

    /// <summary>Query attributes of RFC 7512 §2.3 (how to get the PIN, which module).</summary>
    private static readonly string[] QueryAttributes = ["pin-source", "pin-value", "module-name", "module-path"];

    /// <summary>Values of the <c>type</c> attribute (RFC 7512 §2.3, pk11-type).</summary>
    private static readonly string[] ObjectTypes = ["public", "private", "cert", "secret-key", "data"];

    private Pkcs11Uri(IReadOnlyList<KeyValuePair<string, byte[]>> path, IReadOnlyList<KeyValuePair<string, byte[]>> query)
    {
        Path = path;
        Query = query;
    }

    /// <summary>Path attributes in the order written, values percent-decoded.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> Path { get; }

    /// <summary>Query attributes in the order written, values percent-decoded.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> Query { get; }

    public string? Token => GetText("token");

    public string? Object => GetText("object");

    public byte[]? Id => Get("id");

    public string? Type => GetText("type");

    public static bool IsPkcs11Uri(string? text) => text is not null && text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>The attribute's decoded bytes, or null when absent.</summary>
    public byte[]? Get(string name)
    {
        foreach (var (key, value) in Path)
            if (key == name)
                return value;
        foreach (var (key, value) in Query)
            if (key == name)
                return value;
        return null;
    }

    /// <summary>The attribute as UTF-8 text (already validated by <see cref="TryParse"/> for textual attributes).</summary>
    public string? GetText(string name) => Get(name) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    public static Pkcs11Uri Parse(string text)
        => TryParse(text, out var uri, out var error) ? uri : throw new FormatException(error);

    /// <summary>
    /// Parses <paramref name="text"/> per the RFC 7512 §2.3 grammar. Returns false with a one-line
    /// <paramref name="error"/> for a wrong scheme, a malformed or unknown attribute, a repeated attribute,
    /// a bad percent-encoding, a non-UTF-8 label or an unknown object type. Never throws.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Pkcs11Uri? uri, [NotNullWhen(false)] out string? error)
    {
        uri = null;
        if (!IsPkcs11Uri(text))
        {
            error = "a PKCS#11 URI starts with 'pkcs11:'";
            return false;
        }
        string rest = text![Scheme.Length..];
        int question = rest.IndexOf('?');
        string pathPart = question < 0 ? rest : rest[..question];
        string? queryPart = question < 0 ? null : rest[(question + 1)..];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<KeyValuePair<string, byte[]>>();
        var query = new List<KeyValuePair<string, byte[]>>();
        // RFC 7512 §2.3: path attributes are separated by ';', query attributes by '&'.
        if (!ParseAttributes(pathPart, ';', PathAttributes, seen, path, out error))
            return false;
        if (queryPart is not null && !ParseAttributes(queryPart, '&', QueryAttributes, seen, query, out error))
            return false;
        uri = new Pkcs11Uri(path, query);
        if (uri.Type is { } type && !ObjectTypes.Contains(type))
        {
            error = $"type '{type}' is not one of {string.Join(", ", ObjectTypes)}";
            uri = null;
            return false;
        }
        return true;
    }

    private static bool ParseAttributes(string part, char separator, string[] known, HashSet<string> seen, List<KeyValuePair<string, byte[]>> into, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (part.Length == 0)
            return true;
        foreach (var attribute in part.Split(separator))
        {
            int eq = attribute.IndexOf('=');
            if (eq <= 0)
            {
                error = $"attribute '{attribute}' is not NAME=VALUE";
                return false;
            }
            string name = attribute[..eq];
            // pk11-v-attr-nm-char (RFC 7512 §2.3): vendor attribute names are "x-" then ALPHA / DIGIT / "-" / "_".
            bool vendor = name.StartsWith("x-", StringComparison.Ordinal) && name.Length > 2 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
            if (!vendor && !known.Contains(name))
            {
                error = PathAttributes.Contains(name) || QueryAttributes.Contains(name)
                    ? $"attribute '{name}' belongs in the {(separator == ';' ? "query" : "path")} part"
                    : $"unknown attribute '{name}'";
                return false;
            }
            if (!seen.Add(name))
            {
                error = $"attribute '{name}' appears twice";
                return false;
            }
            if (!TryPercentDecode(attribute.AsSpan(eq + 1), separator, out var value, out error))
            {
                error = $"attribute '{name}': {error}";
                return false;
            }
            // Everything but the binary id is text; a label that is not UTF-8 could never match a token's.
            if (name != "id" && !IsUtf8(value))
            {
                error = $"attribute '{name}' is not UTF-8 after percent-decoding";
                return false;
            }
            into.Add(new(name, value));
        }
        return true;
    }

    /// <summary>Characters RFC 7512 §2.3 allows unencoded (pk11-unreserved, pk11-res-avail).</summary>
    private const string Unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
    private const string ReservedAvailable = ":[]@!$'()*+,=";

    /// <summary>
    /// Percent-decoding (RFC 3986 §2.1) of one value. A path value may also hold '&amp;' unencoded
    /// (pk11-path-res-avail), a query value '/', '?' and '|' (pk11-query-res-avail); anything else must be encoded.
    /// </summary>
    private static bool TryPercentDecode(ReadOnlySpan<char> text, char separator, out byte[] value, [NotNullWhen(false)] out string? error)
    {
        string extra = separator == ';' ? "&" : "/?|";
        var bytes = new List<byte>(text.Length);
        error = null;
        value = [];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length)
                {
                    error = "truncated percent-encoding";
                    return false;
                }
                if (!IsHex(text[i + 1]) || !IsHex(text[i + 2]))
                {
                    error = $"bad percent-encoding '%{text[i + 1]}{text[i + 2]}'";
                    return false;
                }
                bytes.Add((byte)(HexValue(text[i + 1]) << 4 | HexValue(text[i + 2])));
                i += 2;
            }
            else if (Unreserved.Contains(c) || ReservedAvailable.Contains(c) || extra.Contains(c))
            {
                bytes.Add((byte)c);
            }
            else
            {
                error = $"character '{c}' must be percent-encoded";
                return false;
            }
        }
        value = bytes.ToArray();
        return true;
    }

    private static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static bool IsUtf8(byte[] value)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// The URI text: attribute values percent-encoded except RFC 3986 unreserved characters; the id is
    /// encoded byte by byte, as RFC 7512 §2.3 recommends. <c>Parse(ToString())</c> gives back the same attributes.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder(Scheme);
        Append(text, Path, ';', encodeAll: false);
        if (Query.Count > 0)
        {
            text.Append('?');
            Append(text, Query, '&', encodeAll: false);
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, IReadOnlyList<KeyValuePair<string, byte[]>> attributes, char separator, bool encodeAll)
    {
        for (int i = 0; i < attributes.Count; i++)
        {
            if (i > 0)
                text.Append(separator);
            var (name, value) = attributes[i];
            text.Append(name).Append('=');
            bool binary = encodeAll || name == "id";
            foreach (byte b in value)
            {
                bool unreserved = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
                if (unreserved && !binary)
                    text.Append((char)b);
                else
                    text.Append('%').Append(Convert.ToHexString([b]));
            }
        }
    }

    /// <summary>Builds a URI naming a token and an object (and optionally its id).</summary>
    public static Pkcs11Uri ForObject(string token, string objectLabel, byte[]? id = null)
    {
        var path = new List<KeyValuePair<string, byte[]>>
        {
            new("token", Encoding.UTF8.GetBytes(token)),
            new("object", Encoding.UTF8.GetBytes(objectLabel)),
        };
        if (id is not null)
            path.Add(new("id", id));
        return new Pkcs11Uri(path, []);
    }
}
