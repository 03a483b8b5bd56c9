using System.Diagnostics.Metrics;
using System.Text;
using Brisk.Tls.Protocol;

namespace Brisk.Tls;

/// <summary>
/// Process-wide TLS protocol counters on the <see cref="MeterName"/> meter: alerts sent and received, by
/// their RFC 8446 §6 name (close_notify, handshake_failure, ...). The tag values are interned once per
/// alert code, so counting an alert allocates nothing.
/// </summary>
public static class TlsMetrics
{
    public const string MeterName = "Brisk.Tls";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> AlertsSent = Meter.CreateCounter<long>("brisk.tls.alerts_sent", unit: "{alert}", description: "TLS alerts sent, by alert name.");
    private static readonly Counter<long> AlertsReceived = Meter.CreateCounter<long>("brisk.tls.alerts_received", unit: "{alert}", description: "TLS alerts received, by alert name.");

    /// <summary>snake_case names (as the RFCs spell them) for every alert code; unassigned codes read "alert_N".</summary>
    private static readonly string[] AlertNames = BuildAlertNames();

    /// <summary>The RFC name of an alert (e.g. handshake_failure); never allocates.</summary>
    public static string AlertName(AlertDescription alert) => AlertNames[(byte)alert];

    internal static void RecordAlertSent(AlertDescription alert)
        => AlertsSent.Add(1, new KeyValuePair<string, object?>("alert", AlertNames[(byte)alert]));

    internal static void RecordAlertReceived(AlertDescription alert)
        => AlertsReceived.Add(1, new KeyValuePair<string, object?>("alert", AlertNames[(byte)alert]));

    private static string[] BuildAlertNames()
    {
        var names = new string[256];
        for (int code = 0; code < names.Length; code++)
        {
            var alert = (AlertDescription)code;
            names[code] = Enum.IsDefined(alert) ? ToSnakeCase(alert.ToString()) : $"alert_{code}";
        }
        return names;
    }

    private static string ToSnakeCase(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c) && i > 0)
                builder.Append('_');
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
