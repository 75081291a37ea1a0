// Copies: strided -> strided of one dtype (by element size), casts between dtypes, and fills.

// tensor-core's casts: through f64, except from int64, which converts directly (as C++'s
// static_cast: integers wrap, floats round once; half types through float).
template <typename D>
__device__ __forceinline__ D from_i64(i64 v);
template <>
__device__ __forceinline__ bool from_i64<bool>(i64 v) { return v != 0; }
template <>
__device__ __forceinline__ u8 from_i64<u8>(i64 v) { return (u8)(u64)v; }
template <>
__device__ __forceinline__ int from_i64<int>(i64 v) { return (int)(u32)(u64)v; }
template <>
__device__ __forceinline__ i64 from_i64<i64>(i64 v) { return v; }
template <>
__device__ __forceinline__ f16_t from_i64<f16_t>(i64 v) { return f32_to_f16((float)v); }
template <>
__device__ __forceinline__ bf16_t from_i64<bf16_t>(i64 v) { return f32_to_bf16((float)v); }
template <>
__device__ __forceinline__ float from_i64<float>(i64 v) { return (float)v; }
template <>
__device__ __forceinline__ double from_i64<double>(i64 v) { return (double)v; }

template <typename S, typename D>
struct Cast {
    __device__ static __forceinline__ D go(S x) { return from_f64<D>(to_f64(x)); }
};
template <typename D>
struct Cast<i64, D> {
    __device__ static __forceinline__ D go(i64 x) { return from_i64<D>(x); }
};

template <typename T>
__device__ void copy_impl(T* dst, KStrides ds, const T* src, KStrides ss, KDims d, i64 n) {
    GRID_STRIDE(i, n) {
        i64 od, os;
        offsets2(d, ds, ss, i, od, os);
        dst[od] = src[os];
    }
}

#define COPY(BYTES, T)                                                                                    \
    extern "C" __global__ void copy_##BYTES(T* dst, KStrides ds, const T* src, KStrides ss, KDims d, i64 n) { \
        copy_impl<T>(dst, ds, src, ss, d, n);                                                             \
    }
COPY(1, u8)
COPY(2, u16)
COPY(4, u32)
COPY(8, u64)

template <typename S, typename D>
__device__ void cast_impl(D* dst, KStrides ds, const S* src, KStrides ss, KDims d, i64 n) {
    GRID_STRIDE(i, n) {
        i64 od, os;
        offsets2(d, ds, ss, i, od, os);
        dst[od] = Cast<S, D>::go(src[os]);
    }
}

#define CAST(S, SN, D, DN)                                                                     \
    extern "C" __global__ void cast_##SN##_##DN(D* dst, KStrides ds, const S* src, KStrides ss, KDims d, \
                                                i64 n) {                                       \
        cast_impl<S, D>(dst, ds, src, ss, d, n);                                               \
    }
#define CAST_FROM(S, SN)        \
    CAST(S, SN, bool, bool)     \
    CAST(S, SN, u8, u8)         \
    CAST(S, SN, int, i32)       \
    CAST(S, SN, i64, i64)       \
    CAST(S, SN, f16_t, f16)     \
    CAST(S, SN, bf16_t, bf16)   \
    CAST(S, SN, float, f32)     \
    CAST(S, SN, double, f64)
CAST_FROM(bool, bool)
CAST_FROM(u8, u8)
CAST_FROM(int, i32)
CAST_FROM(i64, i64)
CAST_FROM(f16_t, f16)
CAST_FROM(bf16_t, bf16)
CAST_FROM(float, f32)
CAST_FROM(double, f64)

// `dst[layout] = value`, the value given as its bit pattern in the low bytes of `bits`.
template <typename T>
__device__ void fill_impl(T* dst, KStrides ds, KDims d, i64 n, u64 bits) {
    T v = (T)bits;
    GRID_STRIDE(i, n) { dst[offset_of(d, ds, i)] = v; }
}

#define FILL(BYTES, T)                                                                         \
    extern "C" __global__ void fill_##BYTES(T* dst, KStrides ds, KDims d, i64 n, u64 bits) { \
        fill_impl<T>(dst, ds, d, n, bits);                                                     \
    }
FILL(1, u8)
FILL(2, u16)
FILL(4, u32)
FILL(8, u64)
