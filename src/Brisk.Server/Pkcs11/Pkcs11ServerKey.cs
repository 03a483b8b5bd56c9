using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using Brisk.Crypto.Rsa;
using Brisk.Server.Hosting;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Brisk.Server.Pkcs11;

/// <summary>
/// A server private key that never leaves a PKCS#11 token: every signature and RSA decryption is done by
/// the token. Operations run on a bounded pool of logged-in sessions (a PKCS#11 session does one operation
/// at a time, PKCS#11 v2.40 §5.1), each on a thread-pool thread so a slow token never blocks the
/// handshake's thread; callers beyond the pool size wait asynchronously for a free session.
/// Hashing and encoding are done on the host (the token sees a digest, a DigestInfo or a raw block), so
/// any token with CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_RSA_X_509 and CKM_ECDSA serves.
/// Batched RSA engines do not apply: the private key is not available to them.
/// </summary>
public sealed partial class Pkcs11ServerKey : IServerPrivateKey, IDisposable
{
    private readonly Pkcs11Module _module;
    private readonly List<ISession> _sessions;
    private readonly ConcurrentBag<ISession> _idle;
    private readonly SemaphoreSlim _gate;
    private readonly IObjectHandle _privateKey;
    private readonly RSA? _rsaPublic;
    private readonly RSAParameters _rsaPublicParameters;
    // .NET does not document RSA instances as safe for concurrent use: each verification rents its own.
    private readonly ConcurrentBag<RSA> _verifiers = [];
    private readonly byte[]? _modulus;
    private readonly int _ecFieldLength;
    private long _signatureFaults;
    private long _decryptionErrors;
    private bool _disposed;

    private Pkcs11ServerKey(Pkcs11Module module, List<ISession> sessions, IObjectHandle privateKey, CredentialKeyType keyType,
        byte[]? modulus, byte[]? exponent, int ecFieldLength, string description)
    {
        _module = module;
        _sessions = sessions;
        _idle = new ConcurrentBag<ISession>(sessions);
        _gate = new SemaphoreSlim(sessions.Count, sessions.Count);
        _privateKey = privateKey;
        KeyType = keyType;
        _modulus = modulus;
        _ecFieldLength = ecFieldLength;
        Description = description;
        if (modulus is not null && exponent is not null)
        {
            _rsaPublicParameters = new RSAParameters { Modulus = modulus, Exponent = exponent };
            _rsaPublic = RSA.Create();
            _rsaPublic.ImportParameters(_rsaPublicParameters);
        }
    }

    public CredentialKeyType KeyType { get; }

    public int MaxSignatureLength => _modulus?.Length ?? 2 * _ecFieldLength + 8;

    /// <summary>The key's URI, for logs and the start-up line.</summary>
    public string Description { get; }

    public int SessionCount => _sessions.Count;

    /// <summary>RSA signatures from the token that did not verify with the public key (and were not sent).</summary>
    public long SignatureFaults => Interlocked.Read(ref _signatureFaults);

    /// <summary>Token errors during TLS 1.2 RSA decryption (each answered with a random pre-master secret).</summary>
    public long DecryptionErrors => Interlocked.Read(ref _decryptionErrors);

    /// <summary>Where failures are logged; the server sets its logger at start.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>
    /// Opens <paramref name="sessionCount"/> sessions on the token the URI names, logs in with
    /// <paramref name="pin"/> and finds the one private key the URI names. Every failure is a
    /// <see cref="ConfigurationException"/> with a one-line reason.
    /// </summary>
    public static Pkcs11ServerKey Open(string modulePath, Pkcs11Uri uri, string pin, int sessionCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sessionCount, 1);
        if (uri.Type is { } type && type != "private")
            throw new ConfigurationException($"type={type}: the server key must be a private key (type=private or no type)");
        if (uri.Object is null && uri.Id is null)
            throw new ConfigurationException("the URI names no key: give object=LABEL or id=%xx…");
        foreach (var (name, _) in uri.Path.Concat(uri.Query))
        {
            if (name is not ("token" or "object" or "id" or "type" or "serial" or "manufacturer" or "model") && !name.StartsWith("x-", StringComparison.Ordinal))
                throw new ConfigurationException($"URI attribute '{name}' is not supported here (token, serial, manufacturer, model, object, id, type)");
        }
        var module = Pkcs11Module.Acquire(modulePath);
        var sessions = new List<ISession>();
        try
        {
            var slot = module.FindTokenSlot(uri);
            for (int i = 0; i < sessionCount; i++)
                sessions.Add(slot.OpenSession(SessionType.ReadOnly));
            Pkcs11Module.Login(sessions[0], pin);
            var session = sessions[0];
            var factory = module.Factories.ObjectAttributeFactory;
            var search = new List<IObjectAttribute> { factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY) };
            if (uri.Object is { } label)
                search.Add(factory.Create(CKA.CKA_LABEL, label));
            if (uri.Id is { } id)
                search.Add(factory.Create(CKA.CKA_ID, id));
            var found = session.FindAllObjects(search);
            if (found.Count == 0)
                throw new ConfigurationException($"no private key {Name(uri)} in token '{uri.Token}'");
            if (found.Count > 1)
                throw new ConfigurationException($"{found.Count} private keys match {Name(uri)} in token '{uri.Token}'; add id= to choose one");
            var handle = found[0];
            var keyType = (CKK)session.GetAttributeValue(handle, [CKA.CKA_KEY_TYPE])[0].GetValueAsUlong();
            switch (keyType)
            {
                case CKK.CKK_RSA:
                {
                    var attributes = session.GetAttributeValue(handle, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
                    if (attributes.Any(a => a.CannotBeRead))
                        throw new ConfigurationException("the token does not reveal the RSA key's modulus and public exponent (CKA_MODULUS, CKA_PUBLIC_EXPONENT)");
                    byte[] modulus = TrimLeadingZeros(attributes[0].GetValueAsByteArray());
                    byte[] exponent = TrimLeadingZeros(attributes[1].GetValueAsByteArray());
                    if (modulus.Length < 256)
                        throw new ConfigurationException($"the RSA key is {modulus.Length * 8} bits; at least 2048 are required");
                    return new Pkcs11ServerKey(module, sessions, handle, CredentialKeyType.Rsa, modulus, exponent, 0, uri.ToString());
                }
                case CKK.CKK_EC:
                {
                    var curve = session.GetAttributeValue(handle, [CKA.CKA_EC_PARAMS])[0];
                    byte[] parameters = curve.CannotBeRead ? [] : curve.GetValueAsByteArray();
                    var (credentialType, fieldLength) = parameters.AsSpan().SequenceEqual(P256Parameters) ? (CredentialKeyType.EcdsaP256, 32)
                        : parameters.AsSpan().SequenceEqual(P384Parameters) ? (CredentialKeyType.EcdsaP384, 48)
                        : throw new ConfigurationException("the EC key is on a curve other than P-256 or P-384");
                    return new Pkcs11ServerKey(module, sessions, handle, credentialType, null, null, fieldLength, uri.ToString());
                }
                default:
                    throw new ConfigurationException($"the key's type {keyType} is not supported (RSA, EC)");
            }
        }
        catch (Exception ex)
        {
            foreach (var session in sessions)
                session.Dispose();
            module.Release();
            if (ex is ConfigurationException)
                throw;
            if (ex is Pkcs11Exception pkcs11)
                throw new ConfigurationException($"the token refused {pkcs11.Method}: {pkcs11.RV}", ex);
            throw;
        }
    }

    /// <summary>
    /// Reads the DER value of the one X.509 certificate object (CKO_CERTIFICATE) the URI names (type=cert or
    /// no type; object= and/or id=). Failures are <see cref="ConfigurationException"/>s.
    /// </summary>
    public static byte[] ReadCertificate(string modulePath, Pkcs11Uri uri, string pin)
    {
        if (uri.Type is { } type && type != "cert")
            throw new ConfigurationException($"type={type}: a certificate URI has type=cert or no type");
        if (uri.Object is null && uri.Id is null)
            throw new ConfigurationException("the URI names no certificate: give object=LABEL or id=%xx…");
        var module = Pkcs11Module.Acquire(modulePath);
        try
        {
            var slot = module.FindTokenSlot(uri);
            using var session = slot.OpenSession(SessionType.ReadOnly);
            // Certificates are usually public objects, but a token may keep them private: log in either way.
            Pkcs11Module.Login(session, pin);
            var factory = module.Factories.ObjectAttributeFactory;
            var search = new List<IObjectAttribute>
            {
                factory.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE),
                factory.Create(CKA.CKA_CERTIFICATE_TYPE, CKC.CKC_X_509),
            };
            if (uri.Object is { } label)
                search.Add(factory.Create(CKA.CKA_LABEL, label));
            if (uri.Id is { } id)
                search.Add(factory.Create(CKA.CKA_ID, id));
            var found = session.FindAllObjects(search);
            if (found.Count != 1)
                throw new ConfigurationException(found.Count == 0
                    ? $"no certificate {Name(uri)} in token '{uri.Token}'"
                    : $"{found.Count} certificates match {Name(uri)} in token '{uri.Token}'; add id= to choose one");
            return session.GetAttributeValue(found[0], [CKA.CKA_VALUE])[0].GetValueAsByteArray();
        }
        catch (Pkcs11Exception ex)
        {
            throw new ConfigurationException($"the token refused {ex.Method}: {ex.RV}", ex);
        }
        finally
        {
            module.Release();
        }
    }

    private static string Name(Pkcs11Uri uri)
        => string.Join(" ", new[] { uri.Object is { } o ? $"labelled '{o}'" : null, uri.Id is { } id ? $"with id {Convert.ToHexString(id)}" : null }.Where(s => s is not null));

    /// <summary>DER of the namedCurve OIDs as CKA_EC_PARAMS holds them (RFC 5480 §2.1.1.1).</summary>
    internal static ReadOnlySpan<byte> P256Parameters => [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

    internal static ReadOnlySpan<byte> P384Parameters => [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

    /// <summary>
    /// Checks that the token's key belongs to <paramref name="certificatePublicKey"/>: equal RSA modulus
    /// and exponent, and for every key type a test signature made by the token that verifies with the
    /// certificate's key (this also proves the login and the key's CKA_SIGN).
    /// </summary>
    public void EnsureMatches(AsymmetricAlgorithm certificatePublicKey)
    {
        byte[] challenge = RandomNumberGenerator.GetBytes(32);
        try
        {
            switch (certificatePublicKey)
            {
                case RSA rsa when _modulus is not null:
                {
                    var parameters = rsa.ExportParameters(false);
                    if (!parameters.Modulus.AsSpan().SequenceEqual(_modulus) ||
                        !TrimLeadingZeros(parameters.Exponent!).AsSpan().SequenceEqual(_rsaPublic!.ExportParameters(false).Exponent))
                        throw new ConfigurationException("the token's RSA key does not match the certificate");
                    byte[] signature = new byte[MaxSignatureLength];
                    int length = SignAsync(SignatureScheme.RsaPssRsaeSha256, challenge, signature, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    if (!rsa.VerifyData(challenge, signature.AsSpan(0, length), HashAlgorithmName.SHA256, RSASignaturePadding.Pss))
                        throw new ConfigurationException("a test signature by the token does not verify with the certificate's key");
                    break;
                }
                case ECDsa ecdsa when _modulus is null:
                {
                    var scheme = KeyType == CredentialKeyType.EcdsaP384 ? SignatureScheme.EcdsaSecp384r1Sha384 : SignatureScheme.EcdsaSecp256r1Sha256;
                    if (ecdsa.KeySize != _ecFieldLength * 8)
                        throw new ConfigurationException("the token's EC key is on another curve than the certificate's");
                    byte[] signature = new byte[MaxSignatureLength];
                    int length = SignAsync(scheme, challenge, signature, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    if (!ecdsa.VerifyData(challenge, signature.AsSpan(0, length), SignatureSchemes.HashOf(scheme), DSASignatureFormat.Rfc3279DerSequence))
                        throw new ConfigurationException("the token's EC key does not match the certificate (a test signature does not verify)");
                    break;
                }
                default:
                    throw new ConfigurationException($"the token's key ({KeyType}) is not of the certificate's key type");
            }
        }
        catch (CryptographicException ex)
        {
            // SignAsync turns token errors (e.g. a key without CKA_SIGN) into CryptographicException.
            throw new ConfigurationException($"a test signature failed: {Pkcs11Module.FirstLine(ex.Message)}", ex);
        }
    }

    public async ValueTask<int> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> message, Memory<byte> signature, CancellationToken cancellationToken)
    {
        try
        {
            return await SignCoreAsync(scheme, message, signature, cancellationToken).ConfigureAwait(false);
        }
        catch (Pkcs11Exception ex)
        {
            // A token error fails this handshake only; it is logged here with the key it concerns.
            LogSignError(Logger, Description, scheme.ToString(), ex.RV.ToString());
            throw new CryptographicException($"the token refused to sign ({ex.RV})", ex);
        }
    }

    private async ValueTask<int> SignCoreAsync(SignatureScheme scheme, ReadOnlyMemory<byte> message, Memory<byte> signature, CancellationToken cancellationToken)
    {
        var hash = SignatureSchemes.HashOf(scheme);
        byte[] digest = new byte[SignatureSchemes.HashLength(hash)];
        SignatureSchemes.Hash(hash, message.Span, digest);
        switch (scheme)
        {
            case SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512 when _modulus is not null:
            {
                // CKM_RSA_PKCS signs DigestInfo (RFC 8017 §9.2 step 2) with EMSA-PKCS1-v1_5 padding done by the token.
                byte[] prefix = DigestInfoPrefix(hash);
                byte[] digestInfo = [.. prefix, .. digest];
                var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS);
                byte[] result = await RunAsync(session => session.Sign(mechanism, _privateKey, digestInfo), cancellationToken).ConfigureAwait(false);
                return CheckRsaSignature(scheme, digest, hash, RSASignaturePadding.Pkcs1, result, signature.Span);
            }
            case SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512 when _modulus is not null:
            {
                // rsa_pss_rsae_* (RFC 8446 §4.2.3): MGF1 with the signature's hash, salt as long as the hash.
                var (hashMechanism, mgf) = hash == HashAlgorithmName.SHA256 ? (CKM.CKM_SHA256, CKG.CKG_MGF1_SHA256)
                    : hash == HashAlgorithmName.SHA384 ? (CKM.CKM_SHA384, CKG.CKG_MGF1_SHA384) : (CKM.CKM_SHA512, CKG.CKG_MGF1_SHA512);
                var parameters = _module.Factories.MechanismParamsFactory.CreateCkRsaPkcsPssParams(
                    ConvertUtils.UInt64FromCKM(hashMechanism), ConvertUtils.UInt64FromCKG(mgf), (ulong)digest.Length);
                var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_PSS, parameters);
                byte[] result = await RunAsync(session => session.Sign(mechanism, _privateKey, digest), cancellationToken).ConfigureAwait(false);
                return CheckRsaSignature(scheme, digest, hash, RSASignaturePadding.Pss, result, signature.Span);
            }
            case SignatureScheme.EcdsaSecp256r1Sha256 or SignatureScheme.EcdsaSecp384r1Sha384 when _modulus is null:
            {
                // CKM_ECDSA signs the host's digest and returns r || s, each as long as the field (PKCS#11 v2.40
                // §2.3.1); TLS carries ECDSA-Sig-Value, the DER SEQUENCE { r, s } (RFC 8422 §5.4, RFC 3279 §2.2.3).
                var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_ECDSA);
                byte[] result = await RunAsync(session => session.Sign(mechanism, _privateKey, digest), cancellationToken).ConfigureAwait(false);
                return EncodeDerSignature(result, signature.Span);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), $"a {KeyType} key cannot sign with {scheme}");
        }
    }

    /// <summary>
    /// A faulty RSA signature can leak the key (Boneh–DeMillo–Lipton for CRT), so each one the token returns
    /// is verified with the public key before it leaves; a bad one is counted, logged and not sent.
    /// </summary>
    private int CheckRsaSignature(SignatureScheme scheme, byte[] digest, HashAlgorithmName hash, RSASignaturePadding padding, byte[] result, Span<byte> signature)
    {
        int k = _modulus!.Length;
        if (!_verifiers.TryTake(out var verifier))
        {
            verifier = RSA.Create();
            verifier.ImportParameters(_rsaPublicParameters);
        }
        bool valid;
        try
        {
            valid = result.Length == k && verifier.VerifyHash(digest, result, hash, padding);
        }
        finally
        {
            _verifiers.Add(verifier);
        }
        if (!valid)
        {
            long faults = Interlocked.Increment(ref _signatureFaults);
            LogSignatureFault(Logger, Description, scheme.ToString(), faults);
            throw new CryptographicException($"the token's {scheme} signature did not verify; not sent");
        }
        result.CopyTo(signature);
        return k;
    }

    /// <summary>r || s (each <c>fieldLength</c> bytes) to DER SEQUENCE { INTEGER r, INTEGER s }.</summary>
    internal static int EncodeDerSignature(ReadOnlySpan<byte> rawSignature, Span<byte> destination)
    {
        if (rawSignature.Length % 2 != 0 || rawSignature.Length == 0)
            throw new CryptographicException($"the token returned an ECDSA signature of {rawSignature.Length} bytes");
        int half = rawSignature.Length / 2;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(TrimLeadingZeros(rawSignature[..half]));
            writer.WriteIntegerUnsigned(TrimLeadingZeros(rawSignature[half..]));
        }
        return writer.Encode(destination);
    }

    /// <summary>
    /// TLS 1.2 RSA key exchange. The token does the raw RSA operation (CKM_RSA_X_509, no padding check in the
    /// token, so it cannot be a padding oracle); the RFC 5246 §7.4.7.1 decoding is Brisk's constant-time
    /// <see cref="TlsPremasterSecret.Decode"/>. A token error is not an alert of its own: it is logged and
    /// answered with a random pre-master secret, so the handshake fails at Finished like any bad ciphertext.
    /// </summary>
    public async ValueTask DecryptPremasterSecretAsync(ReadOnlyMemory<byte> encrypted, ushort clientHelloVersion, Memory<byte> premasterSecret, CancellationToken cancellationToken)
    {
        if (_modulus is null)
            throw new NotSupportedException("ECDSA keys do not decrypt; RSA key exchange needs an RSA certificate.");
        if (premasterSecret.Length != TlsPremasterSecret.Length)
            throw new ArgumentException("The pre-master secret is 48 bytes.", nameof(premasterSecret));
        int k = _modulus.Length;
        // Length and c < n are public (the client chose the ciphertext): checked before the token sees it.
        if (encrypted.Length != k || !RsaMath.IsLessThanModulus(encrypted.Span, _modulus))
        {
            RandomNumberGenerator.Fill(premasterSecret.Span);
            return;
        }
        byte[] ciphertext = encrypted.ToArray();
        byte[] raw = new byte[k];
        byte[]? decrypted = null;
        try
        {
            var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_RSA_X_509);
            decrypted = await RunAsync(session => session.Decrypt(mechanism, _privateKey, ciphertext), cancellationToken).ConfigureAwait(false);
            if (decrypted.Length > k)
                throw new CryptographicException($"the token returned {decrypted.Length} bytes for a {k}-byte modulus");
            // Some tokens drop leading zero bytes of the result; the encoded block is k bytes (RFC 8017 §7.2.2).
            decrypted.CopyTo(raw.AsSpan(k - decrypted.Length));
            TlsPremasterSecret.Decode(raw, clientHelloVersion, premasterSecret.Span);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            long errors = Interlocked.Increment(ref _decryptionErrors);
            LogDecryptionError(Logger, Description, Pkcs11Module.FirstLine(ex.Message), errors);
            RandomNumberGenerator.Fill(premasterSecret.Span);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
            if (decrypted is not null)
                CryptographicOperations.ZeroMemory(decrypted);
        }
    }

    /// <summary>Runs <paramref name="operation"/> on a free session, off the caller's thread.</summary>
    private async Task<T> RunAsync<T>(Func<ISession, T> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The gate admits at most as many callers as there are sessions, so one is always idle here.
            if (!_idle.TryTake(out var session))
                throw new InvalidOperationException("PKCS#11 session pool is inconsistent");
            try
            {
                return await Task.Run(() => operation(session), CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _idle.Add(session);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static byte[] DigestInfoPrefix(HashAlgorithmName hash)
    {
        // DER of DigestInfo up to the digest's OCTET STRING length byte (RFC 8017 §9.2, note 1).
        if (hash == HashAlgorithmName.SHA256) return [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
        if (hash == HashAlgorithmName.SHA384) return [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30];
        return [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40];
    }

    private static byte[] TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int start = 0;
        while (start < value.Length - 1 && value[start] == 0)
            start++;
        return value[start..].ToArray();
    }

    /// <summary>Closes the sessions and releases the module (the last key of a module finalizes it).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var session in _sessions)
        {
            try
            {
                session.Dispose();
            }
            catch (Pkcs11Exception)
            {
                // The token may be gone already; nothing to clean up then.
            }
        }
        _module.Release();
        _rsaPublic?.Dispose();
        while (_verifiers.TryTake(out var verifier))
            verifier.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(EventId = 340, Level = LogLevel.Information, Message = "HSM key {Key}: {KeyType}, {Sessions} PKCS#11 sessions; batched RSA engines do not apply to it")]
    internal static partial void LogKeyInUse(ILogger logger, string key, string keyType, int sessions);

    [LoggerMessage(EventId = 341, Level = LogLevel.Error, Message = "HSM key {Key}: the token's {Scheme} signature did not verify with the public key; not sent (faults so far: {Faults})")]
    private static partial void LogSignatureFault(ILogger logger, string key, string scheme, long faults);

    [LoggerMessage(EventId = 343, Level = LogLevel.Warning, Message = "HSM key {Key}: the token refused a {Scheme} signature ({Error}); that handshake fails")]
    private static partial void LogSignError(ILogger logger, string key, string scheme, string error);

    [LoggerMessage(EventId = 342, Level = LogLevel.Warning, Message = "HSM key {Key}: RSA decryption failed in the token ({Error}); continuing with a random pre-master secret (errors so far: {Errors})")]
    private static partial void LogDecryptionError(ILogger logger, string key, string error, long errors);
}
