using Brisk.Tls.KeySchedule;
using static Brisk.Tls.Tests.Messages.Wire;

namespace Brisk.Tls.Tests.KeySchedule;

/// <summary>
/// Expected values come from OpenSSL 3.0.19's independent TLS1-PRF, e.g.
///   openssl kdf -keylen 48 -kdfopt digest:SHA256 -kdfopt hexsecret:$PMS32 \
///       -kdfopt hexseed:$(printf 'master secret' | xxd -p)$CR$SR TLS1-PRF
/// (label bytes prepended to the seed, exactly as RFC 5246 §5 defines PRF). Inputs were drawn with
/// `openssl rand -hex N` and are fixed here.
/// </summary>
public class Tls12KeyDerivationTests
{
    private static readonly byte[] Pms32 = Hex("866003f3052ea01d60da5496505e3ff44cc2afe48d9e8ca4f04be22aee4ec9ba");
    private static readonly byte[] Pms48 = Hex("47d5c58634fc01265ac3f4e8ef0f76300e6d252d6118e3d52988cc74b44fc7257c372a38f3cd53d6204d3e46bf0e7ea5");
    private static readonly byte[] ClientRandom = Hex("e48da046d2874e6ef8eb520f81b5db835ae806d6b3c03e5c5c3a963f0f8ef9fb");
    private static readonly byte[] ServerRandom = Hex("875ffbded1ba5f90812e59bc7660685752008f554685df4c8653947d373d6f30");
    private static readonly byte[] SessionHash32 = Hex("897666fd02152452d4cabc622e7dbc9ca48a1ed3e21e2461279c54759e031d30");
    private static readonly byte[] SessionHash48 = Hex("2ecde275afc7db1133ceff9e79beb21f534269598537c8fdcd3f6119795fdad805e1580c57fb3709a531fe4e5bdf069b");
    private static readonly byte[] MasterSecretSha256 = Hex("50ce39d1f3baca3f331c90500605032ad546ccc75924f7e65af1da67971054515e6c95ea4693cdebec52bba438e06b41");
    private static readonly byte[] ExtendedMasterSecretSha384 = Hex("4fa2218b0db570f7e89b96e29a32a16bcd2d5b580a0aa3a7c5cce3f14609bffd587ad99830594e08ee86ab1ba6294c2f");

    // openssl kdf ... hexsecret:cc4b..ba1 hexseed:$(printf 'test label'|xxd -p)9604..ce68 (keylen 100 / 148)
    private static readonly byte[] GenericSecret = Hex("cc4b2fe067294b896c8cb8b3ecc72a608b0b37dd51b627e69774541b3fd4919597f506919adb01d50f6e0f65e5e37ba1");
    private static readonly byte[] GenericSeed = Hex("9604d28a7dd5a219d2611834fbf651b30c91f3471277ed3230b054824ead96a2780676fd773a21a485a0df6005fc3a7fd4bb6998ed1f9c0794c7714b77c4ce68");

    [Fact]
    public void Prf_sha256_matches_openssl_over_a_partial_last_block()
    {
        byte[] output = new byte[100];
        Tls12Prf.Compute(Tls12PrfHash.Sha256, GenericSecret, "test label"u8, GenericSeed, output);
        Assert.Equal(Hex("2AE620840DCBF930056E929879D38ED90E2CB9F06E70989FF2A87A7ADE0141C2A7170F18539284C101AF310B9ECFF549815746025" +
                         "1BB252913144175504 9C4464B1B572D7F5A0862E53965EC54B96393DE213EBAC19A1A4C70CD9463492CA61223B529E6"), output);
    }

    [Fact]
    public void Prf_sha384_matches_openssl_over_a_partial_last_block()
    {
        byte[] output = new byte[148];
        Tls12Prf.Compute(Tls12PrfHash.Sha384, GenericSecret, "test label"u8, GenericSeed, output);
        Assert.Equal(Hex("25D4FD662AAFA54F2B6D53A224D60828350BD94DB8AFDA82DF417B08F102526DDA519B7BDD8C17489FB877F6C4499E6ABD4216679BC" +
                         "B84B672D53DD8ADF806EBED623D20FF9FF97747E5F695584E85FF682CA1D7161444BB06482FA6ACCDFC5DC3B94A3AC24CA2F7397" +
                         "75F829C0C4C594FFCA902D1250E2E469B250263E02043CD99775CC1DBC50E8447A0328B2632B57CD2BAE6"), output);
    }

    [Fact]
    public void Prf_with_a_seed_larger_than_the_stack_buffer_matches_openssl()
    {
        // openssl kdf -keylen 50 -kdfopt digest:SHA256 -kdfopt hexsecret:bb5a..bdd -kdfopt hexseed:$(printf 'long seed'|xxd -p)9c84..2a87 TLS1-PRF
        byte[] seed = Hex(
            "9c843b03fb160584365d59adc422c4333f31300f7295645e903dcbf604bf3564235dcc79df9ee5b88f31e556a4eebebbd1c244e7c36a2dc8b18cb2f454c6a87c" +
            "0948b47c5167d0139302acab56ba53685ca53248b476e94f1a4dcc8d57e78c28f2fc3f94c953347bf6890de5cf22ce7413c52af36f8c969e22f6b27a58f67d11" +
            "951391b1fee7e939ebf095f232795ce17915cce0f0b219963df3d2738b46c1182ced2f070ddfba0e1365df80abbf432ee96e18662a9e301698f82b37dbe0b004" +
            "7253aa49b2f71b5fbde0a6b78027770afff5f4cf45f1b698d99047cbd5a13ad9f0d4d51fe643615227664214349a4453a8c6475875e1f2942aaba7b22dad0f9c" +
            "7fe3589b2dbaeb5ee8a7901af6fed7c742f13c7024a450e6fb6103eaded6558e3c820088d2b81c7fab512a87");
        Assert.Equal(300, seed.Length);
        byte[] output = new byte[50];
        Tls12Prf.Compute(Tls12PrfHash.Sha256, Hex("bb5a4ae5c4b93d71473c54dd48c5ac078e1dfbdd"), "long seed"u8, seed, output);
        Assert.Equal(Hex("ec4c7cf63987c0df9f908f431e1b6c1806329ea62558703109b371047071c1f8365190f4a3f8518bce6b5bf5520460d9856f"), output);
    }

    [Fact]
    public void Prf_through_the_system_hmac_baseline_gives_the_same_bytes()
    {
        byte[] brisk = new byte[148], system = new byte[148];
        Tls12Prf.PHash<HmacSha384>(GenericSecret, "test label"u8, GenericSeed, default, brisk);
        Tls12Prf.PHash<SystemHmacSha384>(GenericSecret, "test label"u8, GenericSeed, default, system);
        Assert.Equal(system, brisk);
        brisk = new byte[100];
        system = new byte[100];
        Tls12Prf.PHash<HmacSha256>(GenericSecret, "test label"u8, GenericSeed, default, brisk);
        Tls12Prf.PHash<SystemHmacSha256>(GenericSecret, "test label"u8, GenericSeed, default, system);
        Assert.Equal(system, brisk);
    }

    [Fact]
    public void Key_derivation_for_a_handshake_does_not_allocate()
    {
        byte[] masterSecret = new byte[48], keyBlock = new byte[72], verifyData = new byte[12];
        void Handshake()
        {
            Tls12KeyDerivation.ComputeExtendedMasterSecret(Tls12PrfHash.Sha384, Pms48, SessionHash48, masterSecret);
            Tls12KeyDerivation.DeriveKeyBlock(Tls12PrfHash.Sha384, masterSecret, ClientRandom, ServerRandom, 32, 4, keyBlock);
            Tls12KeyDerivation.ComputeVerifyData(Tls12PrfHash.Sha384, masterSecret, true, SessionHash48, verifyData);
        }

        for (int i = 0; i < 200; i++)
        {
            Handshake(); // warm up (JIT, libcrypto binding)
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Handshake();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Prf_seed_split_in_two_equals_the_concatenated_seed()
    {
        byte[] joined = new byte[77], split = new byte[77];
        Tls12Prf.Compute(Tls12PrfHash.Sha384, GenericSecret, "x"u8, GenericSeed, joined);
        Tls12Prf.Compute(Tls12PrfHash.Sha384, GenericSecret, "x"u8, GenericSeed.AsSpan(0, 10), GenericSeed.AsSpan(10), split);
        Assert.Equal(joined, split);
    }

    [Fact]
    public void Master_secret_matches_openssl()
    {
        byte[] masterSecret = new byte[48];
        Tls12KeyDerivation.ComputeMasterSecret(Tls12PrfHash.Sha256, Pms32, ClientRandom, ServerRandom, masterSecret);
        Assert.Equal(MasterSecretSha256, masterSecret);

        // openssl kdf -keylen 48 -kdfopt digest:SHA384 -kdfopt hexsecret:$PMS48 -kdfopt hexseed:<"master secret">$CR$SR TLS1-PRF
        Tls12KeyDerivation.ComputeMasterSecret(Tls12PrfHash.Sha384, Pms48, ClientRandom, ServerRandom, masterSecret);
        Assert.Equal(Hex("a92e31d27d5cbffab7ea4c0958f00334d080cb150574003c136a99693862ecc204f46665861fdca40a414d1c3320106e"), masterSecret);
    }

    [Fact]
    public void Extended_master_secret_matches_openssl()
    {
        byte[] masterSecret = new byte[48];
        // openssl kdf -keylen 48 -kdfopt digest:SHA384 -kdfopt hexsecret:$PMS48 -kdfopt hexseed:<"extended master secret">$SH48 TLS1-PRF
        Tls12KeyDerivation.ComputeExtendedMasterSecret(Tls12PrfHash.Sha384, Pms48, SessionHash48, masterSecret);
        Assert.Equal(ExtendedMasterSecretSha384, masterSecret);

        Tls12KeyDerivation.ComputeExtendedMasterSecret(Tls12PrfHash.Sha256, Pms32, SessionHash32, masterSecret);
        Assert.Equal(Hex("4b672d2c9dd25de79fd4568d9569006e85836b00d5ff09f9e70f7f144977f8609cdee49accdfa148c8fc8031db07c717"), masterSecret);
    }

    [Fact]
    public void Key_block_for_aes_128_gcm_splits_keys_and_4_byte_salts()
    {
        // openssl kdf -keylen 40 -kdfopt digest:SHA256 -kdfopt hexsecret:$MS256 -kdfopt hexseed:<"key expansion">$SR$CR TLS1-PRF
        byte[] expected = Hex("a5af1eef7355d48cc92c1ae45832749158eeee52dd8c2d13ab4d38cbe9584b95d3c01b5fa7bb8c6f");
        byte[] keyBlock = new byte[40];
        Tls12KeyBlock keys = Tls12KeyDerivation.DeriveKeyBlock(Tls12PrfHash.Sha256, MasterSecretSha256, ClientRandom, ServerRandom, 16, Tls12KeyDerivation.AesGcmFixedIvLength, keyBlock);
        Assert.Equal(expected[0..16], keys.ClientWriteKey.ToArray());
        Assert.Equal(expected[16..32], keys.ServerWriteKey.ToArray());
        Assert.Equal(expected[32..36], keys.ClientWriteIv.ToArray());
        Assert.Equal(expected[36..40], keys.ServerWriteIv.ToArray());
    }

    [Fact]
    public void Key_block_for_chacha20_poly1305_has_12_byte_ivs()
    {
        // Same inputs, -keylen 88 (2 * (32 + 12)); the first 40 bytes equal the AES-128 key block, as P_hash is a stream.
        byte[] expected = Hex(
            "a5af1eef7355d48cc92c1ae45832749158eeee52dd8c2d13ab4d38cbe9584b95d3c01b5fa7bb8c6f9879370666d60607e253b25c2d5eb21cef16bd831a84776e" +
            "d90d18e9059641b234e0555829f313c323a2c4d7acafe8ed");
        byte[] keyBlock = new byte[88];
        Tls12KeyBlock keys = Tls12KeyDerivation.DeriveKeyBlock(Tls12PrfHash.Sha256, MasterSecretSha256, ClientRandom, ServerRandom, 32, Tls12KeyDerivation.ChaCha20Poly1305FixedIvLength, keyBlock);
        Assert.Equal(expected[0..32], keys.ClientWriteKey.ToArray());
        Assert.Equal(expected[32..64], keys.ServerWriteKey.ToArray());
        Assert.Equal(expected[64..76], keys.ClientWriteIv.ToArray());
        Assert.Equal(expected[76..88], keys.ServerWriteIv.ToArray());
    }

    [Fact]
    public void Key_block_for_aes_256_gcm_sha384_matches_openssl()
    {
        // openssl kdf -keylen 72 -kdfopt digest:SHA384 -kdfopt hexsecret:$EMS384 -kdfopt hexseed:<"key expansion">$SR$CR TLS1-PRF
        byte[] expected = Hex("d890bfa797dc3ec843b4f5f6be86018a04e26cd11a6afb4297217094379fec4438a27427507b4854321b389d21e7ef2676419e195d035db0f542a009765c81727cbbe4a6e09a1571");
        byte[] keyBlock = new byte[72];
        Tls12KeyBlock keys = Tls12KeyDerivation.DeriveKeyBlock(Tls12PrfHash.Sha384, ExtendedMasterSecretSha384, ClientRandom, ServerRandom, 32, 4, keyBlock);
        Assert.Equal(expected, keyBlock);
        Assert.Equal(expected[64..68], keys.ClientWriteIv.ToArray());
        Assert.Equal(expected[68..72], keys.ServerWriteIv.ToArray());
    }

    [Fact]
    public void Key_block_rejects_a_buffer_of_the_wrong_size()
    {
        byte[] keyBlock = new byte[41];
        Assert.Throws<ArgumentException>(() => Tls12KeyDerivation.DeriveKeyBlock(Tls12PrfHash.Sha256, MasterSecretSha256, ClientRandom, ServerRandom, 16, 4, keyBlock));
    }

    [Theory]
    // openssl kdf -keylen 12 -kdfopt digest:SHA256 -kdfopt hexsecret:$MS256 -kdfopt hexseed:<"client finished">$SH32 TLS1-PRF
    [InlineData(Tls12PrfHash.Sha256, true, "74e03079127f65c31c56feba")]
    [InlineData(Tls12PrfHash.Sha256, false, "a39e5c1a7f67aa05603d4d88")]
    // openssl kdf -keylen 12 -kdfopt digest:SHA384 -kdfopt hexsecret:$EMS384 -kdfopt hexseed:<"client finished">$SH48 TLS1-PRF
    [InlineData(Tls12PrfHash.Sha384, true, "68ef58a81f805f76cb7df916")]
    [InlineData(Tls12PrfHash.Sha384, false, "22691f9ae762825cc558611b")]
    public void Finished_verify_data_matches_openssl(Tls12PrfHash hash, bool fromClient, string expectedHex)
    {
        byte[] masterSecret = hash == Tls12PrfHash.Sha256 ? MasterSecretSha256 : ExtendedMasterSecretSha384;
        byte[] transcriptHash = hash == Tls12PrfHash.Sha256 ? SessionHash32 : SessionHash48;
        byte[] verifyData = new byte[12];
        Tls12KeyDerivation.ComputeVerifyData(hash, masterSecret, fromClient, transcriptHash, verifyData);
        Assert.Equal(Hex(expectedHex), verifyData);
    }
}
