import java.io.*;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import javax.net.ssl.*;

/**
 * A JSSE client for the interop tests: one handshake with the given protocol, one HTTP request, then the
 * negotiated protocol, suite and the response body on stdout. Certificate checks are off: this tests the
 * handshake, not the test PKI. Usage: java BriskJavaClient.java HOST PORT PROTOCOL [resume]
 */
public class BriskJavaClient {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String protocol = args[2];
        int connections = args.length > 3 && args[3].equals("resume") ? 2 : 1;
        TrustManager[] trustAll = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) { }
            public void checkServerTrusted(X509Certificate[] chain, String authType) { }
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustAll, null);
        SSLSocketFactory factory = context.getSocketFactory();
        for (int i = 0; i < connections; i++) {
            try (SSLSocket socket = (SSLSocket) factory.createSocket(new Socket(host, port), "localhost", port, true)) {
                socket.setEnabledProtocols(new String[] { protocol });
                socket.startHandshake();
                SSLSession session = socket.getSession();
                OutputStream out = socket.getOutputStream();
                out.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                System.out.println("connection " + i + " protocol " + session.getProtocol() + " suite " + session.getCipherSuite());
                System.out.println(response.substring(response.indexOf("\r\n\r\n") + 4).trim());
            }
        }
    }
}
