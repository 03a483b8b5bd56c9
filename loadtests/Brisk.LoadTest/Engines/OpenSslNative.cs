using System.Runtime.InteropServices;

namespace Brisk.LoadTest.Engines;

/// <summary>
/// The part of libssl.so.3 / libcrypto.so.3 (OpenSSL 3.0 ABI) the client engine uses.
/// Several SSL_CTX_set_* "functions" are macros over SSL_CTX_ctrl/SSL_ctrl; their command numbers
/// are taken from openssl/ssl.h (3.0).
/// </summary>
internal static unsafe partial class OpenSslNative
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    public const int SSL_ERROR_NONE = 0;
    public const int SSL_ERROR_SSL = 1;
    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_WANT_WRITE = 3;
    public const int SSL_ERROR_SYSCALL = 5;
    public const int SSL_ERROR_ZERO_RETURN = 6;

    public const int SSL_CTRL_MODE = 33;
    public const int SSL_CTRL_SET_READ_AHEAD = 41;
    public const int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    public const int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
    public const int SSL_CTRL_SET_GROUPS_LIST = 92;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public const int SSL_CTRL_SET_MAX_PROTO_VERSION = 124;
    public const int TLSEXT_NAMETYPE_host_name = 0;
    public const int SSL_SESS_CACHE_OFF = 0;
    public const int SSL_SESS_CACHE_CLIENT = 1;
    public const long SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1;
    public const long SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2;
    public const long SSL_MODE_RELEASE_BUFFERS = 0x10;
    public const ulong SSL_OP_NO_TICKET = 1UL << 14;
    public const int SSL_VERIFY_NONE = 0;
    public const int SSL_VERIFY_PEER = 1;
    public const int SSL_FILETYPE_PEM = 1;
    /// <summary>ssl.h: reason codes of received alerts are 1000 + the alert description.</summary>
    public const int SSL_AD_REASON_OFFSET = 1000;
    public const int SSL_R_UNEXPECTED_EOF_WHILE_READING = 294;
    public const int TLS1_2_VERSION = 0x0303;
    public const int TLS1_3_VERSION = 0x0304;

    [LibraryImport(Ssl)] public static partial nint TLS_client_method();
    [LibraryImport(Ssl)] public static partial nint SSL_CTX_new(nint method);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_free(nint ctx);
    [LibraryImport(Ssl)] public static partial nint SSL_CTX_ctrl(nint ctx, int cmd, nint larg, nint parg);
    [LibraryImport(Ssl)] public static partial ulong SSL_CTX_set_options(nint ctx, ulong options);
    [LibraryImport(Ssl)] public static partial ulong SSL_CTX_clear_options(nint ctx, ulong options);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_set_cipher_list(nint ctx, string list);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_set_ciphersuites(nint ctx, string list);
    /// <summary>Returns 0 on success (unlike most of the API).</summary>
    [LibraryImport(Ssl)] public static partial int SSL_CTX_set_alpn_protos(nint ctx, byte* protos, uint length);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_set_verify(nint ctx, int mode, nint callback);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_load_verify_locations(nint ctx, string? caFile, string? caPath);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_use_certificate_chain_file(nint ctx, string file);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_use_PrivateKey_file(nint ctx, string file, int type);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_check_private_key(nint ctx);

    [LibraryImport(Ssl)] public static partial nint SSL_new(nint ctx);
    [LibraryImport(Ssl)] public static partial void SSL_free(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_set_fd(nint ssl, int fd);
    [LibraryImport(Ssl)] public static partial nint SSL_ctrl(nint ssl, int cmd, nint larg, nint parg);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_set1_host(nint ssl, string host);
    [LibraryImport(Ssl, SetLastError = true)] public static partial int SSL_connect(nint ssl);
    [LibraryImport(Ssl, SetLastError = true)] public static partial int SSL_read(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl, SetLastError = true)] public static partial int SSL_write(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl)] public static partial int SSL_shutdown(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_get_error(nint ssl, int ret);
    [LibraryImport(Ssl)] public static partial int SSL_session_reused(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_set_session(nint ssl, nint session);
    [LibraryImport(Ssl)] public static partial nint SSL_get1_session(nint ssl);
    [LibraryImport(Ssl)] public static partial void SSL_SESSION_free(nint session);
    [LibraryImport(Ssl)] public static partial int SSL_SESSION_is_resumable(nint session);

    [LibraryImport(Crypto)] public static partial ulong ERR_get_error();
    [LibraryImport(Crypto)] public static partial void ERR_clear_error();
    [LibraryImport(Crypto)] public static partial nint ERR_reason_error_string(ulong error);

    /// <summary>ERR_GET_REASON from err.h (3.0): system errors carry the errno with the top flag set.</summary>
    public static int ErrorReason(ulong code) => (code & 0x8000_0000UL) != 0 ? (int)(code & 0x7FFF_FFFF) : (int)(code & 0x7F_FFFF);

    public static bool IsSystemError(ulong code) => (code & 0x8000_0000UL) != 0;

    public static string ReasonText(ulong code)
    {
        nint p = ERR_reason_error_string(code);
        return p == 0 ? $"error_{ErrorReason(code)}" : Marshal.PtrToStringUTF8(p) ?? "";
    }

    /// <summary>Drains this thread's OpenSSL error queue into an error kind. Must run on the thread of the failed call.</summary>
    public static ConnectionError DrainErrorQueue(string fallback)
    {
        ConnectionError? found = null;
        ulong code;
        while ((code = ERR_get_error()) != 0)
        {
            if (found is not null) continue;
            if (IsSystemError(code))
            {
                int errno = ErrorReason(code);
                found = errno == Errno.ECONNRESET || errno == Errno.EPIPE ? ConnectionError.Reset() : ConnectionError.Other($"errno_{errno}");
                continue;
            }
            int reason = ErrorReason(code);
            if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
                found = ConnectionError.Alert(TlsAlerts.Name(reason - SSL_AD_REASON_OFFSET));
            else if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                found = ConnectionError.Reset("eof");
            else
                found = ConnectionError.Other(ReasonText(code));
        }
        return found ?? ConnectionError.Other(fallback);
    }
}

internal static class Errno
{
    public const int EPIPE = 32;
    public const int ECONNRESET = 104;
    public const int ECONNREFUSED = 111;
    public const int ETIMEDOUT = 110;
}
