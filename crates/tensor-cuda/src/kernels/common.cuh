// Shared by every kernel family: prepended to each family's source before NVRTC compiles it.
// No CUDA header is included: half-precision conversions are written here (PTX `cvt` for f16,
// bit arithmetic for bf16), so the kernels compile with NVRTC alone.

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;

// Must match `MAX_DIMS` in src/kernels.rs.
#define MAX_DIMS 8

// The shape walked by a kernel (row-major), after merging dims; must match `KDims` in Rust.
struct KDims {
    int rank;
    int pad;
    i64 size[MAX_DIMS];
};

// Where one operand's elements sit: offset and strides in elements; must match `KStrides`.
struct KStrides {
    i64 offset;
    i64 st[MAX_DIMS];
};

// The geometry of a 2-d convolution or pooling window over NCHW (im2col / col2im in conv.cu,
// the pooling kernels in pool.cu); must match `ConvGeometry` in src/ops/conv.rs.
struct ConvGeo {
    i64 batch, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

// Storage types of the half dtypes (the bits; arithmetic goes through float).
struct f16_t {
    u16 bits;
};
struct bf16_t {
    u16 bits;
};

__device__ __forceinline__ float f16_to_f32(f16_t h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
    return f;
}
__device__ __forceinline__ f16_t f32_to_f16(float f) {
    f16_t h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
    return h;
}
__device__ __forceinline__ float bf16_to_f32(bf16_t h) {
    return __uint_as_float(((u32)h.bits) << 16);
}
// Round to nearest even; NaN stays a (quiet) NaN — as the `half` crate's `bf16::from_f32`.
__device__ __forceinline__ bf16_t f32_to_bf16(float f) {
    u32 x = __float_as_uint(f);
    bf16_t r;
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        r.bits = (u16)((x >> 16) | 0x40u);
        return r;
    }
    r.bits = (u16)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
    return r;
}

// Linear index `i` (row-major over `d`) to the storage offset under `s`.
__device__ __forceinline__ i64 offset_of(const KDims& d, const KStrides& s, i64 i) {
    i64 off = s.offset;
    for (int k = d.rank - 1; k > 0; --k) {
        i64 n = d.size[k];
        i64 q = i / n;
        off += (i - q * n) * s.st[k];
        i = q;
    }
    if (d.rank > 0) off += i * s.st[0];
    return off;
}
__device__ __forceinline__ void offsets2(const KDims& d, const KStrides& a, const KStrides& b, i64 i, i64& oa,
                                         i64& ob) {
    oa = a.offset;
    ob = b.offset;
    for (int k = d.rank - 1; k > 0; --k) {
        i64 n = d.size[k];
        i64 q = i / n;
        i64 r = i - q * n;
        oa += r * a.st[k];
        ob += r * b.st[k];
        i = q;
    }
    if (d.rank > 0) {
        oa += i * a.st[0];
        ob += i * b.st[0];
    }
}
__device__ __forceinline__ void offsets3(const KDims& d, const KStrides& a, const KStrides& b, const KStrides& c,
                                         i64 i, i64& oa, i64& ob, i64& oc) {
    oa = a.offset;
    ob = b.offset;
    oc = c.offset;
    for (int k = d.rank - 1; k > 0; --k) {
        i64 n = d.size[k];
        i64 q = i / n;
        i64 r = i - q * n;
        oa += r * a.st[k];
        ob += r * b.st[k];
        oc += r * c.st[k];
        i = q;
    }
    if (d.rank > 0) {
        oa += i * a.st[0];
        ob += i * b.st[0];
        oc += i * c.st[0];
    }
}

// A grid-stride loop over `0..n` with 64-bit indices.
#define GRID_STRIDE(i, n) \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

// Per storage type: the type arithmetic is done in (`C`), loading and storing.
template <typename T>
struct Tr;
#define TR_PLAIN(T)                                          \
    template <>                                              \
    struct Tr<T> {                                           \
        typedef T C;                                         \
        __device__ static __forceinline__ C ld(T x) { return x; } \
        __device__ static __forceinline__ T st(C c) { return c; } \
    };
TR_PLAIN(bool)
TR_PLAIN(u8)
TR_PLAIN(int)
TR_PLAIN(i64)
TR_PLAIN(float)
TR_PLAIN(double)
template <>
struct Tr<f16_t> {
    typedef float C;
    __device__ static __forceinline__ C ld(f16_t x) { return f16_to_f32(x); }
    __device__ static __forceinline__ f16_t st(C c) { return f32_to_f16(c); }
};
template <>
struct Tr<bf16_t> {
    typedef float C;
    __device__ static __forceinline__ C ld(bf16_t x) { return bf16_to_f32(x); }
    __device__ static __forceinline__ bf16_t st(C c) { return f32_to_bf16(c); }
};

// Rust's `f64 as i64`: saturating, NaN to 0.
__device__ __forceinline__ i64 sat_i64(double v) {
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return 9223372036854775807LL;  // the literal is 2^63
    if (v <= -9223372036854775808.0) return -9223372036854775807LL - 1;
    return (i64)v;
}

// tensor-core's `Element::from_f64`: what `tensor.to(dtype)` does to a double.
template <typename D>
__device__ __forceinline__ D from_f64(double v);
template <>
__device__ __forceinline__ bool from_f64<bool>(double v) { return v != 0.0; }
template <>
__device__ __forceinline__ u8 from_f64<u8>(double v) { return (u8)(u64)sat_i64(v); }
template <>
__device__ __forceinline__ int from_f64<int>(double v) { return (int)(u32)(u64)sat_i64(v); }
template <>
__device__ __forceinline__ i64 from_f64<i64>(double v) { return sat_i64(v); }
template <>
__device__ __forceinline__ f16_t from_f64<f16_t>(double v) { return f32_to_f16((float)v); }
template <>
__device__ __forceinline__ bf16_t from_f64<bf16_t>(double v) { return f32_to_bf16((float)v); }
template <>
__device__ __forceinline__ float from_f64<float>(double v) { return (float)v; }
template <>
__device__ __forceinline__ double from_f64<double>(double v) { return v; }

// `Element::to_f64` (exact for every type but i64 past 2^53).
__device__ __forceinline__ double to_f64(bool x) { return x ? 1.0 : 0.0; }
__device__ __forceinline__ double to_f64(u8 x) { return (double)x; }
__device__ __forceinline__ double to_f64(int x) { return (double)x; }
__device__ __forceinline__ double to_f64(i64 x) { return (double)x; }
__device__ __forceinline__ double to_f64(f16_t x) { return (double)f16_to_f32(x); }
__device__ __forceinline__ double to_f64(bf16_t x) { return (double)bf16_to_f32(x); }
__device__ __forceinline__ double to_f64(float x) { return (double)x; }
__device__ __forceinline__ double to_f64(double x) { return x; }

// NaN and infinity tests that also take integers (never NaN, never infinite).
template <typename C>
__device__ __forceinline__ bool is_nan(C x) { return x != x; }
template <typename C>
__device__ __forceinline__ bool is_inf(C x) { return false; }
template <>
__device__ __forceinline__ bool is_inf<float>(float x) { return fabsf(x) == __int_as_float(0x7f800000); }
template <>
__device__ __forceinline__ bool is_inf<double>(double x) {
    return fabs(x) == __longlong_as_double(0x7ff0000000000000LL);
}

// The unsigned type integer arithmetic wraps in.
template <typename T>
struct Wrap;
template <>
struct Wrap<u8> {
    typedef u32 U;
    static const bool SIGNED = false;
};
template <>
struct Wrap<int> {
    typedef u32 U;
    static const bool SIGNED = true;
};
template <>
struct Wrap<i64> {
    typedef u64 U;
    static const bool SIGNED = true;
};

// Atomic accumulation as scatter_add / index_add do it: wrapping for integers, `or` for bool.
// Sub-word types update their aligned 32-bit word with compare-and-swap (buffers are padded to
// a multiple of 8 bytes, so the word never leaves the allocation).
__device__ __forceinline__ u32* word_of(const void* p, u32& shift) {
    u64 a = (u64)p;
    shift = (u32)(a & 3u) * 8u;
    return (u32*)(a & ~(u64)3);
}
template <typename T>
__device__ __forceinline__ void atomic_acc(T* p, T v);
template <>
__device__ __forceinline__ void atomic_acc<float>(float* p, float v) { atomicAdd(p, v); }
template <>
__device__ __forceinline__ void atomic_acc<double>(double* p, double v) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 600
    u64* a = (u64*)p;
    u64 old = *a, assumed;
    do {
        assumed = old;
        old = atomicCAS(a, assumed, (u64)__double_as_longlong(__longlong_as_double((i64)assumed) + v));
    } while (assumed != old);
#else
    atomicAdd(p, v);
#endif
}
template <>
__device__ __forceinline__ void atomic_acc<int>(int* p, int v) { atomicAdd(p, v); }
template <>
__device__ __forceinline__ void atomic_acc<i64>(i64* p, i64 v) { atomicAdd((u64*)p, (u64)v); }
template <>
__device__ __forceinline__ void atomic_acc<bool>(bool* p, bool v) {
    if (!v) return;
    u32 shift;
    u32* w = word_of(p, shift);
    atomicOr(w, 1u << shift);
}
template <>
__device__ __forceinline__ void atomic_acc<u8>(u8* p, u8 v) {
    u32 shift;
    u32* w = word_of(p, shift);
    u32 old = *w, assumed;
    do {
        assumed = old;
        u32 b = ((assumed >> shift) + (u32)v) & 0xffu;
        old = atomicCAS(w, assumed, (assumed & ~(0xffu << shift)) | (b << shift));
    } while (assumed != old);
}
template <typename H>
__device__ __forceinline__ void atomic_acc_half(H* p, H v) {
    u32 shift;
    u32* w = word_of(p, shift);
    float add = Tr<H>::ld(v);
    u32 old = *w, assumed;
    do {
        assumed = old;
        H cur;
        cur.bits = (u16)(assumed >> shift);
        H sum = Tr<H>::st(Tr<H>::ld(cur) + add);
        old = atomicCAS(w, assumed, (assumed & ~(0xffffu << shift)) | ((u32)sum.bits << shift));
    } while (assumed != old);
}
template <>
__device__ __forceinline__ void atomic_acc<f16_t>(f16_t* p, f16_t v) { atomic_acc_half<f16_t>(p, v); }
template <>
__device__ __forceinline__ void atomic_acc<bf16_t>(bf16_t* p, bf16_t v) { atomic_acc_half<bf16_t>(p, v); }
