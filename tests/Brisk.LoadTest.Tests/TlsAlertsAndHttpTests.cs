using System.Text;

namespace Brisk.LoadTest.Tests;

public class TlsAlertsAndHttpTests
{
    [Theory]
    [InlineData(70, "protocol_version")]
    [InlineData(40, "handshake_failure")]
    [InlineData(116, "certificate_required")]
    [InlineData(120, "no_application_protocol")]
    [InlineData(250, "alert_250")]
    public void Alert_numbers_map_to_rfc_names(int number, string name) =>
        Assert.Equal(name, TlsAlerts.Name(number));

    [Theory]
    [InlineData("error:0A00042E:SSL routines::tlsv1 alert protocol version", "protocol_version")]
    [InlineData("error:0A000410:SSL routines::sslv3 alert handshake failure", "handshake_failure")]
    [InlineData("SSL routines::tlsv13 alert certificate required", "certificate_required")]
    [InlineData("Authentication failed, see inner exception.", null)]
    public void OpenSsl_reason_text_maps_to_alert_names(string text, string? name) =>
        Assert.Equal(name, TlsAlerts.FromOpenSslReasonText(text));

    private static bool FeedAll(HttpResponseReader reader, string response, int chunkSize)
    {
        byte[] all = Encoding.ASCII.GetBytes(response);
        var pending = new List<byte>();
        bool complete = false;
        for (int i = 0; i < all.Length && !complete; i += chunkSize)
        {
            pending.AddRange(all.Skip(i).Take(chunkSize));
            int consumed = reader.Feed(pending.ToArray(), out complete);
            pending.RemoveRange(0, consumed);
        }
        return complete;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Content_length_response_completes(int chunk)
    {
        Assert.True(FeedAll(new HttpResponseReader(), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", chunk));
        Assert.False(FeedAll(new HttpResponseReader(), "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello", chunk));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public void Chunked_response_completes_at_the_last_chunk(int chunk)
    {
        Assert.True(FeedAll(new HttpResponseReader(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", chunk));
        Assert.False(FeedAll(new HttpResponseReader(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", chunk));
    }

    [Fact]
    public void Response_without_length_is_read_until_close() =>
        Assert.False(FeedAll(new HttpResponseReader(), "HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n<html>", 4096));
}
