namespace Brisk.LoadTest;

/// <summary>How a connection failed. The key of the error table is "kind" or "kind:detail" (alert name, reason).</summary>
internal enum ErrorKind { Refused, Reset, Timeout, Alert, Other }

internal readonly record struct ConnectionError(ErrorKind Kind, string? Detail)
{
    public string Key => Detail is null ? KindName(Kind) : $"{KindName(Kind)}:{Detail}";

    public static string KindName(ErrorKind kind) => kind switch
    {
        ErrorKind.Refused => "refused",
        ErrorKind.Reset => "reset",
        ErrorKind.Timeout => "timeout",
        ErrorKind.Alert => "alert",
        _ => "other",
    };

    public static ConnectionError Refused => new(ErrorKind.Refused, null);
    public static ConnectionError Reset(string? detail = null) => new(ErrorKind.Reset, detail);
    public static ConnectionError TimedOut => new(ErrorKind.Timeout, null);
    public static ConnectionError Alert(string name) => new(ErrorKind.Alert, name);
    public static ConnectionError Other(string detail) => new(ErrorKind.Other, Sanitize(detail));

    private static string Sanitize(string s)
    {
        // Keep keys short and single-line so the table and the RESULT line stay parseable.
        var chars = s.Trim().Take(80).Select(c => char.IsWhiteSpace(c) ? '_' : c).ToArray();
        return new string(chars);
    }
}
