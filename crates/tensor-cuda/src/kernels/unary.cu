// Unary ops and tests. The op is a kernel argument (a uniform branch), with the numbering of
// `UnaryCode` in src/ops/unary.rs. f16/bf16/f32 compute in float, f64 in double; the ops that
// tensor-core's CPU kernels compute in f64 for every dtype (GELU, softplus, erf) do so here too.

#define U_NEG 0
#define U_ABS 1
#define U_SIGN 2
#define U_EXP 3
#define U_EXP2 4
#define U_LOG 5
#define U_LOG2 6
#define U_LOG1P 7
#define U_EXPM1 8
#define U_SQRT 9
#define U_RSQRT 10
#define U_SIN 11
#define U_COS 12
#define U_TAN 13
#define U_TANH 14
#define U_SIGMOID 15
#define U_RELU 16
#define U_GELU 17
#define U_GELU_TANH 18
#define U_SILU 19
#define U_SOFTPLUS 20
#define U_FLOOR 21
#define U_CEIL 22
#define U_ROUND 23
#define U_TRUNC 24
#define U_RECIPROCAL 25
#define U_SQUARE 26
#define U_ERF 27
#define U_CLAMP 28
#define U_NAN_TO_NUM 29
#define U_LEAKY_RELU 30

// Must match `UnaryParams` in src/ops/unary.rs.
struct UParams {
    int op;
    int flags;  // bit 0: clamp has a min, bit 1: clamp has a max
    double p0;  // clamp min, softplus beta, nan_to_num nan, leaky_relu slope
    double p1;  // clamp max, softplus threshold, nan_to_num posinf
    double p2;  // nan_to_num neginf
    i64 lo;     // integer clamp bounds, already in the dtype's range
    i64 hi;
};

__device__ __forceinline__ double gelu_d(double x) { return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440)); }
__device__ __forceinline__ double gelu_tanh_d(double x) {
    const double c = sqrt(2.0 / 3.14159265358979323846);
    return 0.5 * x * (1.0 + tanh(c * (x + 0.044715 * x * x * x)));
}

// One float op in precision C (S is the math-function suffix: `f` for float, empty for double).
// a, b, c are p0, p1, p2 rounded to the tensor's dtype (as the CPU kernels round them).
#define FLOAT_UNARY(NAME, C, S)                                                      \
    __device__ __forceinline__ C NAME(C x, const UParams& p, C a, C b, C c) {        \
        switch (p.op) {                                                              \
            case U_NEG: return -x;                                                   \
            case U_ABS: return fabs##S(x);                                           \
            case U_SIGN: return x > (C)0 ? (C)1 : (x < (C)0 ? (C)-1 : (C)0);         \
            case U_EXP: return exp##S(x);                                            \
            case U_EXP2: return exp2##S(x);                                          \
            case U_LOG: return log##S(x);                                            \
            case U_LOG2: return log2##S(x);                                          \
            case U_LOG1P: return log1p##S(x);                                        \
            case U_EXPM1: return expm1##S(x);                                        \
            case U_SQRT: return sqrt##S(x);                                          \
            case U_RSQRT: return (C)1 / sqrt##S(x);                                  \
            case U_SIN: return sin##S(x);                                            \
            case U_COS: return cos##S(x);                                            \
            case U_TAN: return tan##S(x);                                            \
            case U_TANH: return tanh##S(x);                                          \
            case U_SIGMOID: return (C)1 / ((C)1 + exp##S(-x));                       \
            case U_RELU: return x < (C)0 ? (C)0 : x;                                 \
            case U_GELU: return (C)gelu_d((double)x);                                \
            case U_GELU_TANH: return (C)gelu_tanh_d((double)x);                      \
            case U_SILU: return x / ((C)1 + exp##S(-x));                             \
            case U_SOFTPLUS: {                                                       \
                double bx = (double)x * p.p0;                                        \
                return bx > p.p1 ? x : (C)(log1p(exp(bx)) / p.p0);                   \
            }                                                                        \
            case U_FLOOR: return floor##S(x);                                        \
            case U_CEIL: return ceil##S(x);                                          \
            case U_ROUND: return rint##S(x);                                         \
            case U_TRUNC: return trunc##S(x);                                        \
            case U_RECIPROCAL: return (C)1 / x;                                      \
            case U_SQUARE: return x * x;                                             \
            case U_ERF: return (C)erf((double)x);                                    \
            case U_CLAMP: {                                                          \
                C y = x;                                                             \
                if ((p.flags & 1) && y < a) y = a;                                   \
                if ((p.flags & 2) && y > b) y = b;                                   \
                return y;                                                            \
            }                                                                        \
            case U_NAN_TO_NUM:                                                       \
                if (x != x) return a;                                                \
                if (is_inf<C>(x)) return x > (C)0 ? b : c;                           \
                return x;                                                            \
            case U_LEAKY_RELU: return x > (C)0 ? x : x * a;                          \
            default: return x;                                                       \
        }                                                                            \
    }
FLOAT_UNARY(unary_float, float, f)
FLOAT_UNARY(unary_double, double, )

__device__ __forceinline__ float unary_c(float x, const UParams& p, float a, float b, float c) {
    return unary_float(x, p, a, b, c);
}
__device__ __forceinline__ double unary_c(double x, const UParams& p, double a, double b, double c) {
    return unary_double(x, p, a, b, c);
}

template <typename T>
__device__ void unary_float_impl(T* out, KStrides so, const T* x, KStrides sx, KDims d, i64 n, UParams p) {
    typedef typename Tr<T>::C C;
    C a = Tr<T>::ld(from_f64<T>(p.p0));
    C b = Tr<T>::ld(from_f64<T>(p.p1));
    C c = Tr<T>::ld(from_f64<T>(p.p2));
    GRID_STRIDE(i, n) {
        i64 oo, ox;
        offsets2(d, so, sx, i, oo, ox);
        out[oo] = Tr<T>::st(unary_c(Tr<T>::ld(x[ox]), p, a, b, c));
    }
}

// Integer ops wrap (as PyTorch's); rounding ops and nan_to_num are the identity.
template <typename T>
__device__ __forceinline__ T unary_int(T x, const UParams& p) {
    typedef typename Wrap<T>::U U;
    switch (p.op) {
        case U_NEG: return (T)((U)0 - (U)x);
        case U_ABS: return (Wrap<T>::SIGNED && x < (T)0) ? (T)((U)0 - (U)x) : x;
        case U_SIGN: return x > (T)0 ? (T)1 : (x == (T)0 ? (T)0 : (T)((U)0 - (U)1));
        case U_RELU: return x > (T)0 ? x : (T)0;
        case U_SQUARE: return (T)((U)x * (U)x);
        case U_CLAMP: {
            T y = x;
            if ((p.flags & 1) && (i64)y < p.lo) y = (T)p.lo;
            if ((p.flags & 2) && (i64)y > p.hi) y = (T)p.hi;
            return y;
        }
        default: return x;
    }
}

template <typename T>
__device__ void unary_int_impl(T* out, KStrides so, const T* x, KStrides sx, KDims d, i64 n, UParams p) {
    GRID_STRIDE(i, n) {
        i64 oo, ox;
        offsets2(d, so, sx, i, oo, ox);
        out[oo] = unary_int<T>(x[ox], p);
    }
}

#define UNARY(KIND, T, N)                                                                                  \
    extern "C" __global__ void unary_##N(T* out, KStrides so, const T* x, KStrides sx, KDims d, i64 n,   \
                                         UParams p) {                                                     \
        unary_##KIND##_impl<T>(out, so, x, sx, d, n, p);                                                  \
    }
UNARY(float, f16_t, f16)
UNARY(float, bf16_t, bf16)
UNARY(float, float, f32)
UNARY(float, double, f64)
UNARY(int, u8, u8)
UNARY(int, int, i32)
UNARY(int, i64, i64)

#define T_ISNAN 0
#define T_ISINF 1
#define T_ISFINITE 2
#define T_ISZERO 3

template <typename T>
__device__ void test_impl(bool* out, const T* x, KStrides sx, KDims d, i64 n, int op) {
    typedef typename Tr<T>::C C;
    GRID_STRIDE(i, n) {
        C v = Tr<T>::ld(x[offset_of(d, sx, i)]);
        bool r;
        switch (op) {
            case T_ISNAN: r = is_nan<C>(v); break;
            case T_ISINF: r = is_inf<C>(v); break;
            case T_ISFINITE: r = !is_nan<C>(v) && !is_inf<C>(v); break;
            default: r = v == (C)0; break;
        }
        out[i] = r;
    }
}

#define TEST(T, N)                                                                                  \
    extern "C" __global__ void test_##N(bool* out, const T* x, KStrides sx, KDims d, i64 n, int op) { \
        test_impl<T>(out, x, sx, d, n, op);                                                         \
    }
TEST(bool, bool)
TEST(u8, u8)
TEST(int, i32)
TEST(i64, i64)
TEST(f16_t, f16)
TEST(bf16_t, bf16)
TEST(float, f32)
TEST(double, f64)
