using System.Reflection;
using System.Runtime.InteropServices;
using Brisk.Server.Hosting;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Brisk.Server.Pkcs11;

/// <summary>
/// A loaded PKCS#11 module, shared per path and reference-counted. C_Initialize may be called only once
/// per process until C_Finalize (PKCS#11 v2.40 §5.4), so two keys from one module (an RSA and an ECDSA
/// certificate, or a server and the key tool in one process) must share the loaded library.
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly Dictionary<string, Pkcs11Module> Loaded = new(StringComparer.Ordinal);
    private static readonly object Sync = new();

    private readonly string _path;
    private int _references;

    static Pkcs11Module()
    {
        // Pkcs11Interop binds dlopen/dlsym/dlclose/dlerror to "libdl", which glibc 2.34+ no longer ships as an
        // unversioned libdl.so (they moved into libc.so.6; libdl.so.2 remains a stub). Resolve it to whichever
        // library exports dlopen, as the binding's maintainer recommends (Pkcs11Interop issue #239).
        if (!OperatingSystem.IsWindows())
            NativeLibrary.SetDllImportResolver(typeof(IPkcs11Library).Assembly, ResolveLibdl);
    }

    private static IntPtr ResolveLibdl(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "libdl")
            return IntPtr.Zero;
        foreach (var candidate in new[] { "libc.so.6", "libdl.so.2", "libdl.so", "libSystem.dylib" })
        {
            if (NativeLibrary.TryLoad(candidate, out var handle) && NativeLibrary.TryGetExport(handle, "dlopen", out _))
                return handle;
        }
        return IntPtr.Zero;
    }

    private Pkcs11Module(string path, IPkcs11Library library)
    {
        _path = path;
        Library = library;
    }

    public IPkcs11Library Library { get; }

    public Pkcs11InteropFactories Factories { get; } = new();

    /// <summary>Loads the module (or takes another reference to it). Failures are one-line configuration errors.</summary>
    public static Pkcs11Module Acquire(string path)
    {
        string fullPath = Path.GetFullPath(path);
        lock (Sync)
        {
            if (!Loaded.TryGetValue(fullPath, out var module))
            {
                if (!File.Exists(fullPath))
                    throw new ConfigurationException($"Pkcs11Module: '{path}' does not exist");
                IPkcs11Library library;
                try
                {
                    var factories = new Pkcs11InteropFactories();
                    // Multi-threaded: the module does its own locking (CKF_OS_LOCKING_OK); sessions run in parallel.
                    library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, fullPath, AppType.MultiThreaded);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Not a shared library, not a PKCS#11 module (no C_GetFunctionList), or C_Initialize failed.
                    throw new ConfigurationException($"Pkcs11Module: cannot load '{path}' as a PKCS#11 module ({FirstLine(ex.Message)})", ex);
                }
                module = new Pkcs11Module(fullPath, library);
                Loaded[fullPath] = module;
            }
            module._references++;
            return module;
        }
    }

    /// <summary>Drops a reference; the last one finalizes and unloads the module.</summary>
    public void Release()
    {
        lock (Sync)
        {
            if (--_references > 0)
                return;
            Loaded.Remove(_path);
            Library.Dispose();
        }
    }

    /// <summary>The slot whose token carries the URI's token label (and serial, manufacturer, model when given).</summary>
    public ISlot FindTokenSlot(Pkcs11Uri uri)
    {
        var labels = new List<string>();
        foreach (var slot in Library.GetSlotList(SlotsType.WithTokenPresent))
        {
            var info = slot.GetTokenInfo();
            labels.Add(info.Label);
            if (Matches(uri.Token, info.Label) && Matches(uri.GetText("serial"), info.SerialNumber) &&
                Matches(uri.GetText("manufacturer"), info.ManufacturerId) && Matches(uri.GetText("model"), info.Model))
                return slot;
        }
        string wanted = uri.Token is { } token ? $"labelled '{token}'" : "matching the URI";
        throw new ConfigurationException($"no token {wanted} (tokens present: {(labels.Count == 0 ? "none" : string.Join(", ", labels.Select(l => $"'{l}'")))})");
    }

    // Token labels are blank-padded 32-byte fields; Pkcs11Interop trims them. An absent URI attribute matches anything (RFC 7512 §2.3).
    private static bool Matches(string? wanted, string actual) => wanted is null || string.Equals(wanted, actual.TrimEnd(), StringComparison.Ordinal);

    /// <summary>Logs the user in on <paramref name="session"/> (login state is per token and application, PKCS#11 §5.6).</summary>
    public static void Login(ISession session, string pin)
    {
        try
        {
            session.Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Another key of this process is on the same token.
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE)
        {
            throw new ConfigurationException("the PIN is wrong (token refused login: " + ex.RV + ")", ex);
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_PIN_LOCKED)
        {
            throw new ConfigurationException("the token's user PIN is locked", ex);
        }
    }

    /// <summary>The PIN from <paramref name="pinFile"/> (first line) or else the BRISK_PKCS11_PIN environment variable.</summary>
    public static string ReadPin(string? pinFile)
    {
        if (!string.IsNullOrWhiteSpace(pinFile))
        {
            try
            {
                string text = File.ReadAllText(pinFile);
                int newline = text.IndexOfAny(['\r', '\n']);
                return newline < 0 ? text : text[..newline];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"Pkcs11PinFile: '{pinFile}': {ex.Message}", ex);
            }
        }
        return Environment.GetEnvironmentVariable(PinVariable)
            ?? throw new ConfigurationException($"Pkcs11PinFile: a PKCS#11 key needs the token PIN from --pkcs11-pin-file FILE or the {PinVariable} environment variable");
    }

    public const string PinVariable = "BRISK_PKCS11_PIN";

    internal static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
