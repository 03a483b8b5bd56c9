namespace Brisk.LoadTest;

/// <summary>TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2, RFC 7301 §3.2) by their wire number.</summary>
internal static class TlsAlerts
{
    private static readonly Dictionary<int, string> Names = new()
    {
        [0] = "close_notify",
        [10] = "unexpected_message",
        [20] = "bad_record_mac",
        [21] = "decryption_failed",
        [22] = "record_overflow",
        [30] = "decompression_failure",
        [40] = "handshake_failure",
        [41] = "no_certificate",
        [42] = "bad_certificate",
        [43] = "unsupported_certificate",
        [44] = "certificate_revoked",
        [45] = "certificate_expired",
        [46] = "certificate_unknown",
        [47] = "illegal_parameter",
        [48] = "unknown_ca",
        [49] = "access_denied",
        [50] = "decode_error",
        [51] = "decrypt_error",
        [60] = "export_restriction",
        [70] = "protocol_version",
        [71] = "insufficient_security",
        [80] = "internal_error",
        [86] = "inappropriate_fallback",
        [90] = "user_canceled",
        [100] = "no_renegotiation",
        [109] = "missing_extension",
        [110] = "unsupported_extension",
        [111] = "certificate_unobtainable",
        [112] = "unrecognized_name",
        [113] = "bad_certificate_status_response",
        [114] = "bad_certificate_hash_value",
        [115] = "unknown_psk_identity",
        [116] = "certificate_required",
        [120] = "no_application_protocol",
    };

    public static string Name(int description) =>
        Names.TryGetValue(description, out string? n) ? n : $"alert_{description}";

    /// <summary>
    /// Maps an OpenSSL reason string for a received alert ("tlsv1 alert protocol version",
    /// "sslv3 alert handshake failure", "tlsv13 alert certificate required") to the RFC name,
    /// or null when the text names no received alert. SslStream on Linux surfaces only this text.
    /// </summary>
    public static string? FromOpenSslReasonText(string text)
    {
        foreach (string prefix in (ReadOnlySpan<string>)["tlsv13 alert ", "tlsv1 alert ", "sslv3 alert "])
        {
            int at = text.IndexOf(prefix, StringComparison.OrdinalIgnoreCase);
            if (at < 0) continue;
            string rest = text[(at + prefix.Length)..];
            int end = rest.IndexOfAny([':', '(', '\n', '.', ',']);
            string words = (end < 0 ? rest : rest[..end]).Trim().ToLowerInvariant().Replace(' ', '_');
            return words;
        }
        return null;
    }
}
