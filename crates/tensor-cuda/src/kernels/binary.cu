// Binary ops, comparisons and `where` over broadcast strided operands. The op is a kernel
// argument with the numbering of `binary_code` / `cmp_code` in src/ops/binary.rs. Semantics follow
// tensor-core's CPU kernels (src/ops/binary/cpu.rs): floats in float (f16/bf16/f32) or double,
// integers wrapping, Python's floor division and modulo.

#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_FLOOR_DIV 4
#define B_POW 5
#define B_MAXIMUM 6
#define B_MINIMUM 7
#define B_REMAINDER 8
#define B_ATAN2 9
#define B_AND 10
#define B_OR 11
#define B_XOR 12

#define FLOAT_BINARY(NAME, C, S)                                           \
    __device__ __forceinline__ C NAME(C a, C b, int op) {                 \
        switch (op) {                                                     \
            case B_ADD: return a + b;                                     \
            case B_SUB: return a - b;                                     \
            case B_MUL: return a * b;                                     \
            case B_DIV: return a / b;                                     \
            case B_FLOOR_DIV: {                                           \
                if (b == (C)0) return a / b;                              \
                C m = fmod##S(a, b);                                      \
                C div = (a - m) / b;                                      \
                if (m != (C)0 && ((b < (C)0) != (m < (C)0))) div -= (C)1; \
                if (div != (C)0) {                                        \
                    C fl = floor##S(div);                                 \
                    if (div - fl > (C)0.5) fl += (C)1;                    \
                    return fl;                                            \
                }                                                         \
                return copysign##S((C)0, a / b);                          \
            }                                                             \
            case B_POW: return pow##S(a, b);                              \
            case B_MAXIMUM: return (a != a || a > b) ? a : b;             \
            case B_MINIMUM: return (a != a || a < b) ? a : b;             \
            case B_REMAINDER: {                                           \
                C r = fmod##S(a, b);                                      \
                return (r != (C)0 && ((r < (C)0) != (b < (C)0))) ? r + b : r; \
            }                                                             \
            case B_ATAN2: return atan2##S(a, b);                          \
            default: return a;                                            \
        }                                                                 \
    }
FLOAT_BINARY(binary_float, float, f)
FLOAT_BINARY(binary_double, double, )

__device__ __forceinline__ float binary_c(float a, float b, int op) { return binary_float(a, b, op); }
__device__ __forceinline__ double binary_c(double a, double b, int op) { return binary_double(a, b, op); }

// Rust's wrapping_div / wrapping_rem (the caller has ruled out b == 0).
template <typename T>
__device__ __forceinline__ T wdiv(T a, T b) {
    typedef typename Wrap<T>::U U;
    if (Wrap<T>::SIGNED && b == (T)-1) return (T)((U)0 - (U)a);
    return a / b;
}
template <typename T>
__device__ __forceinline__ T wrem(T a, T b) {
    if (Wrap<T>::SIGNED && b == (T)-1) return (T)0;
    return a % b;
}

template <typename T>
__device__ __forceinline__ T binary_int(T a, T b, int op) {
    typedef typename Wrap<T>::U U;
    switch (op) {
        case B_ADD: return (T)((U)a + (U)b);
        case B_SUB: return (T)((U)a - (U)b);
        case B_MUL: return (T)((U)a * (U)b);
        case B_DIV: return b == (T)0 ? (T)0 : wdiv<T>(a, b);
        case B_FLOOR_DIV: {
            if (b == (T)0) return (T)0;
            T q = wdiv<T>(a, b);
            if (wrem<T>(a, b) != (T)0 && Wrap<T>::SIGNED && ((a < (T)0) != (b < (T)0))) return (T)((U)q - (U)1);
            return q;
        }
        case B_POW: {
            // As PyTorch's integer pow: 1 and -1 are the only bases with a nonzero negative power.
            if (b < (T)0) {
                if (a == (T)1) return (T)1;
                if (Wrap<T>::SIGNED && a == (T)-1) return ((i64)b % 2 == 0) ? (T)1 : a;
                return (T)0;
            }
            u32 e = (u32)(u64)b;
            U base = (U)a, acc = (U)1;
            while (e) {
                if (e & 1u) acc = (U)(acc * base);
                base = (U)(base * base);
                e >>= 1;
            }
            return (T)acc;
        }
        case B_MAXIMUM: return a > b ? a : b;
        case B_MINIMUM: return a < b ? a : b;
        case B_REMAINDER: {
            if (b == (T)0) return (T)0;
            T r = wrem<T>(a, b);
            return (r != (T)0 && ((r < (T)0) != (b < (T)0))) ? (T)((U)r + (U)b) : r;
        }
        default: return a;
    }
}

__device__ __forceinline__ bool binary_bool(bool a, bool b, int op) {
    switch (op) {
        case B_ADD:
        case B_OR:
        case B_MAXIMUM: return a || b;
        case B_MUL:
        case B_AND:
        case B_MINIMUM: return a && b;
        case B_XOR: return a != b;
        default: return a;
    }
}

// `out[lo] = a[la] op b[lb]`: `binary` (contiguous out), `binary_inplace` (out = a, same layout)
// and `binary_into` (any out layout) are all this kernel.
#define BINARY(T, N, EXPR)                                                                                 \
    extern "C" __global__ void binary_##N(T* out, KStrides so, const T* a, KStrides sa, const T* b,      \
                                          KStrides sb, KDims d, i64 n, int op) {                          \
        GRID_STRIDE(i, n) {                                                                               \
            i64 oo, oa, ob;                                                                               \
            offsets3(d, so, sa, sb, i, oo, oa, ob);                                                       \
            T x = a[oa], y = b[ob];                                                                       \
            out[oo] = EXPR;                                                                               \
        }                                                                                                 \
    }
BINARY(f16_t, f16, Tr<f16_t>::st(binary_c(Tr<f16_t>::ld(x), Tr<f16_t>::ld(y), op)))
BINARY(bf16_t, bf16, Tr<bf16_t>::st(binary_c(Tr<bf16_t>::ld(x), Tr<bf16_t>::ld(y), op)))
BINARY(float, f32, binary_c(x, y, op))
BINARY(double, f64, binary_c(x, y, op))
BINARY(u8, u8, binary_int<u8>(x, y, op))
BINARY(int, i32, binary_int<int>(x, y, op))
BINARY(i64, i64, binary_int<i64>(x, y, op))
BINARY(bool, bool, binary_bool(x, y, op))

__device__ __forceinline__ float sqrt_c(float x) { return sqrtf(x); }
__device__ __forceinline__ double sqrt_c(double x) { return sqrt(x); }

// `x ** e` as PyTorch's pow_tensor_scalar kernels (and the CPU's `pow_by_multiplying`): the
// exponents 0, 1, 2, 3, -1, -2, 0.5 and -0.5 as multiplies, divisions and square roots.
template <typename C>
__device__ __forceinline__ C pow_scalar(C x, C e) {
    if (e == (C)0) return (C)1;
    if (e == (C)1) return x;
    if (e == (C)2) return x * x;
    if (e == (C)3) return x * x * x;
    if (e == (C)-1) return (C)1 / x;
    if (e == (C)-2) return (C)1 / (x * x);
    if (e == (C)0.5) return sqrt_c(x);
    if (e == (C)-0.5) return (C)1 / sqrt_c(x);
    return binary_c(x, e, B_POW);
}

// `out[lo] = a[la] op s` for a float `a` and a number `s` in the compute type (float for
// f16/bf16/f32, double for f64), as the CPU's scalar kernels: the number is not rounded to a
// half type first (`f16 * 0.1` rounds once, as PyTorch's), and pow takes `pow_scalar`.
#define BINARY_SCALAR(T, N)                                                                              \
    extern "C" __global__ void binary_scalar_##N(T* out, KStrides so, const T* a, KStrides sa,            \
                                                 typename Tr<T>::C s, KDims d, i64 n, int op) {          \
        GRID_STRIDE(i, n) {                                                                              \
            i64 oo, oa;                                                                                  \
            offsets2(d, so, sa, i, oo, oa);                                                              \
            typename Tr<T>::C x = Tr<T>::ld(a[oa]);                                                      \
            out[oo] = Tr<T>::st(op == B_POW ? pow_scalar(x, s) : binary_c(x, s, op));                   \
        }                                                                                                \
    }
BINARY_SCALAR(f16_t, f16)
BINARY_SCALAR(bf16_t, bf16)
BINARY_SCALAR(float, f32)
BINARY_SCALAR(double, f64)

#define C_EQ 0
#define C_NE 1
#define C_LT 2
#define C_LE 3
#define C_GT 4
#define C_GE 5

template <typename T>
__device__ void cmp_impl(bool* out, const T* a, KStrides sa, const T* b, KStrides sb, KDims d, i64 n, int op) {
    typedef typename Tr<T>::C C;
    GRID_STRIDE(i, n) {
        i64 oa, ob;
        offsets2(d, sa, sb, i, oa, ob);
        C x = Tr<T>::ld(a[oa]), y = Tr<T>::ld(b[ob]);
        bool r;
        switch (op) {
            case C_EQ: r = x == y; break;
            case C_NE: r = x != y; break;
            case C_LT: r = x < y; break;
            case C_LE: r = x <= y; break;
            case C_GT: r = x > y; break;
            default: r = x >= y; break;
        }
        out[i] = r;
    }
}

#define CMP(T, N)                                                                                         \
    extern "C" __global__ void cmp_##N(bool* out, const T* a, KStrides sa, const T* b, KStrides sb, KDims d, \
                                       i64 n, int op) {                                                   \
        cmp_impl<T>(out, a, sa, b, sb, d, n, op);                                                         \
    }
CMP(bool, bool)
CMP(u8, u8)
CMP(int, i32)
CMP(i64, i64)
CMP(f16_t, f16)
CMP(bf16_t, bf16)
CMP(float, f32)
CMP(double, f64)

// `out[i] = cond ? t : f`, by element size.
#define WHERE(BYTES, T)                                                                                    \
    extern "C" __global__ void where_##BYTES(T* out, const bool* c, KStrides sc, const T* t, KStrides st,  \
                                             const T* f, KStrides sf, KDims d, i64 n) {                   \
        GRID_STRIDE(i, n) {                                                                               \
            i64 oc, ot, of;                                                                               \
            offsets3(d, sc, st, sf, i, oc, ot, of);                                                       \
            out[i] = c[oc] ? t[ot] : f[of];                                                               \
        }                                                                                                 \
    }
WHERE(1, u8)
WHERE(2, u16)
WHERE(4, u32)
WHERE(8, u64)
