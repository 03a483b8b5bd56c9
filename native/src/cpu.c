/* CPU feature checks, compiled for baseline x86-64 so they are safe to call on any CPU. */
#include "brisk_rsa.h"
#include "brisk_x25519.h"

int brisk_rsa_mb52_supported(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma") ? 1 : 0;
}

int brisk_x25519_mb52_supported(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") ? 1 : 0;
}
