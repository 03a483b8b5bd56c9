using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// One raw private operation at a time through the system libcrypto (OpenSSL 3): the baseline the
/// batching engines are measured against and the fallback for keys they do not support. The OpenSSL key
/// object is built once per key and cached in <see cref="RsaPrivateKey.EngineState"/>; OpenSSL blinds the
/// input and is safe to call from many threads on the same key. Completes synchronously.
/// </summary>
public sealed class SystemRsaEngine : IRsaEngine
{
    public static readonly SystemRsaEngine Instance = new();

    private const string StateKey = "system";

    public string Name => "system";

    /// <summary>Test hook: corrupts a result before it is verified, to prove faults are caught.</summary>
    internal Action<Span<byte>>? FaultInjectorForTesting { get; init; }

    public bool Supports(RsaPrivateKey key) => key.ModulusLength >= 64 && key.ModulusLength <= 2048;

    public ValueTask PrivateAsync(RsaPrivateKey key, ReadOnlyMemory<byte> input, Memory<byte> output, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        try
        {
            Private(key, input.Span, output.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>Synchronous form of <see cref="PrivateAsync"/>; same contract.</summary>
    public void Private(RsaPrivateKey key, ReadOnlySpan<byte> input, Span<byte> output)
    {
        int k = key.ModulusLength;
        if (input.Length != k || output.Length != k)
            throw new ArgumentException($"Input and output must be {k} bytes (the modulus length).");
        // The input is public (a ciphertext or an encoded message), so checking it may branch.
        if (!RsaMath.IsLessThanModulus(input, key.Modulus))
            throw new ArgumentException("The input is not less than the modulus.", nameof(input));

        SafeRsaHandle rsa = GetHandle(key);
        Span<byte> check = k <= 512 ? stackalloc byte[k] : new byte[k];
        unsafe
        {
            fixed (byte* from = input)
            fixed (byte* to = output)
            fixed (byte* back = check)
            {
                int written = LibCrypto.RsaPrivateDecrypt(k, from, to, rsa, LibCrypto.RsaNoPadding);
                if (written != k)
                {
                    LibCrypto.ErrClearError();
                    output.Clear();
                    Fault("libcrypto failed the private operation");
                }
                FaultInjectorForTesting?.Invoke(output);
                // RFC 8017 §5.1.2 does not require it, but a CRT fault leaks a factor of n (Boneh–DeMillo–
                // Lipton); re-encrypting with the public exponent catches it before the result leaves.
                written = LibCrypto.RsaPublicEncrypt(k, to, back, rsa, LibCrypto.RsaNoPadding);
                if (written != k || !CryptographicOperations.FixedTimeEquals(check, input))
                {
                    LibCrypto.ErrClearError();
                    output.Clear();
                    Fault("the private result failed verification with the public key");
                }
            }
        }
        RsaMetrics.RecordOperations(Name, 1);
    }

    private void Fault(string what)
    {
        RsaMetrics.RecordFault(Name);
        throw new RsaFaultException($"RSA engine '{Name}': {what}; the result was withheld.");
    }

    private static SafeRsaHandle GetHandle(RsaPrivateKey key)
    {
        var lazy = (Lazy<SafeRsaHandle>)key.EngineState.GetOrAdd(StateKey,
            static (_, k) => new Lazy<SafeRsaHandle>(() => CreateHandle(k), LazyThreadSafetyMode.ExecutionAndPublication), key);
        return lazy.Value;
    }

    private static unsafe SafeRsaHandle CreateHandle(RsaPrivateKey key)
    {
        RSAParameters p = key.Parameters;
        IntPtr rsa = LibCrypto.RsaNew();
        if (rsa == IntPtr.Zero)
            throw new CryptographicException("RSA_new failed.");
        var handle = new SafeRsaHandle(rsa);
        IntPtr n = Bn(p.Modulus!), e = Bn(p.Exponent!), d = Bn(p.D!);
        if (LibCrypto.RsaSet0Key(rsa, n, e, d) != 1)
        {
            Free(n, e, d);
            handle.Dispose();
            throw new CryptographicException("RSA_set0_key failed.");
        }
        IntPtr prime1 = Bn(p.P!), prime2 = Bn(p.Q!);
        if (LibCrypto.RsaSet0Factors(rsa, prime1, prime2) != 1)
        {
            Free(prime1, prime2, IntPtr.Zero);
            handle.Dispose();
            throw new CryptographicException("RSA_set0_factors failed.");
        }
        IntPtr dp = Bn(p.DP!), dq = Bn(p.DQ!), qInv = Bn(p.InverseQ!);
        if (LibCrypto.RsaSet0CrtParams(rsa, dp, dq, qInv) != 1)
        {
            Free(dp, dq, qInv);
            handle.Dispose();
            throw new CryptographicException("RSA_set0_crt_params failed.");
        }
        if (LibCrypto.RsaSize(handle) != key.ModulusLength)
        {
            handle.Dispose();
            throw new CryptographicException("The key's modulus length does not match its parameters.");
        }
        return handle;

        static IntPtr Bn(byte[] value)
        {
            fixed (byte* data = value)
            {
                IntPtr bn = LibCrypto.BnBin2Bn(data, value.Length, IntPtr.Zero);
                return bn != IntPtr.Zero ? bn : throw new CryptographicException("BN_bin2bn failed.");
            }
        }

        static void Free(IntPtr a, IntPtr b, IntPtr c)
        {
            LibCrypto.BnClearFree(a);
            LibCrypto.BnClearFree(b);
            LibCrypto.BnClearFree(c);
        }
    }
}
