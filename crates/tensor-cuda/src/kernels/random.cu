// Philox4x32-10, as tensor-core's src/random.rs: element `i` of a draw at block offset `o` uses
// 32-bit word `i` of the stream: block `o + i / 4` (the 128-bit counter `[lo, hi, 0, 0]`), lane
// `i % 4`, keyed by the seed. Uniforms are `word * 2^-32` rounded below one for the dtype;
// normals are Box-Muller on words `2j, 2j+1` in double.

__device__ __forceinline__ u32 philox_word(u64 seed, u64 offset, u64 index) {
    u64 block = offset + index / 4;
    u32 c0 = (u32)block, c1 = (u32)(block >> 32), c2 = 0, c3 = 0;
    u32 k0 = (u32)seed, k1 = (u32)(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        u32 hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        u32 hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        u32 n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    switch (index % 4) {
        case 0: return c0;
        case 1: return c1;
        case 2: return c2;
        default: return c3;
    }
}

__device__ __forceinline__ double uniform_of(u32 w) { return (double)w * (1.0 / 4294967296.0); }

// `round_below_one` of src/tensor/create.rs: round to the dtype; a value that rounds up to 1
// becomes the largest value below 1 (1 - eps / 2).
template <typename T>
__device__ __forceinline__ T uniform_store(double u);
template <>
__device__ __forceinline__ float uniform_store<float>(double u) {
    float v = (float)u;
    return v >= 1.0f ? 0.99999994039535522461f : v;  // 1 - 2^-24
}
template <>
__device__ __forceinline__ double uniform_store<double>(double u) { return u; }
template <>
__device__ __forceinline__ f16_t uniform_store<f16_t>(double u) {
    f16_t h = from_f64<f16_t>(u);
    return f16_to_f32(h) >= 1.0f ? f32_to_f16(0.99951171875f) : h;  // 1 - 2^-11
}
template <>
__device__ __forceinline__ bf16_t uniform_store<bf16_t>(double u) {
    bf16_t h = from_f64<bf16_t>(u);
    return bf16_to_f32(h) >= 1.0f ? f32_to_bf16(0.99609375f) : h;  // 1 - 2^-8
}

template <typename T>
__device__ void random_impl(T* out, i64 n, u64 seed, u64 offset, int normal) {
    GRID_STRIDE(i, n) {
        if (normal) {
            u64 j = (u64)i & ~(u64)1;
            double u1 = 1.0 - uniform_of(philox_word(seed, offset, j));
            double u2 = uniform_of(philox_word(seed, offset, j + 1));
            double r = sqrt(-2.0 * log(u1));
            double theta = 2.0 * 3.141592653589793 * u2;
            out[i] = from_f64<T>((i & 1) == 0 ? r * cos(theta) : r * sin(theta));
        } else {
            out[i] = uniform_store<T>(uniform_of(philox_word(seed, offset, (u64)i)));
        }
    }
}

#define RANDOM(T, N) \
    extern "C" __global__ void random_##N(T* out, i64 n, u64 seed, u64 offset, int normal) { random_impl<T>(out, n, seed, offset, normal); }
RANDOM(f16_t, f16)
RANDOM(bf16_t, bf16)
RANDOM(float, f32)
RANDOM(double, f64)
