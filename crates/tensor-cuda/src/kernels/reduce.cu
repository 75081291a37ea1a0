// Reductions. Output element `o` (row-major over the kept dims, contiguous) folds the elements
// `x[base(o) + offset(r)]` for `r` in `0..n_red` (row-major over the reduced dims).
//
// Two kernels per (op, dtype): `_block` gives each output a thread block (each thread folds a
// strided subset in increasing order, then a shared-memory tree combines the partial results),
// `_thread` gives each output one thread (for short reductions). Every op is a struct with
// `init`, `step` (fold one element), `comb` (merge two partial results) and `fin`.

// Sum: floats in float (f16/bf16/f32) or double, integers wrapping, bool as `or`.
template <typename T, typename A>
struct SumOp {
    typedef A Acc;
    typedef T Out;
    __device__ static __forceinline__ Acc init() { return (A)0; }
    __device__ static __forceinline__ Acc step(Acc a, T x, i64) { return a + (A)Tr<T>::ld(x); }
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) { return a + b; }
    __device__ static __forceinline__ Out fin(Acc a) { return Tr<T>::st((typename Tr<T>::C)a); }
};
template <typename T, typename U>
struct SumIntOp {
    typedef U Acc;
    typedef T Out;
    __device__ static __forceinline__ Acc init() { return (U)0; }
    __device__ static __forceinline__ Acc step(Acc a, T x, i64) { return (U)(a + (U)x); }
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) { return (U)(a + b); }
    __device__ static __forceinline__ Out fin(Acc a) { return (T)a; }
};
struct SumBoolOp {
    typedef bool Acc;
    typedef bool Out;
    __device__ static __forceinline__ Acc init() { return false; }
    __device__ static __forceinline__ Acc step(Acc a, bool x, i64) { return a || x; }
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) { return a || b; }
    __device__ static __forceinline__ Out fin(Acc a) { return a; }
};

// Product: integers wrapping, everything else in double (as the CPU's f64 product).
template <typename T, typename U>
struct ProdIntOp {
    typedef U Acc;
    typedef T Out;
    __device__ static __forceinline__ Acc init() { return (U)1; }
    __device__ static __forceinline__ Acc step(Acc a, T x, i64) { return (U)(a * (U)x); }
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) { return (U)(a * b); }
    __device__ static __forceinline__ Out fin(Acc a) { return (T)a; }
};
template <typename T>
struct ProdOp {
    typedef double Acc;
    typedef T Out;
    __device__ static __forceinline__ Acc init() { return 1.0; }
    __device__ static __forceinline__ Acc step(Acc a, T x, i64) { return a * to_f64(x); }
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) { return a * b; }
    __device__ static __forceinline__ Out fin(Acc a) { return from_f64<T>(a); }
};

// Max / min: NaN propagates; no element gives zero.
template <typename C>
struct Ext {
    C v;
    bool ok;
};
template <typename T, bool MAX>
struct ExtremeOp {
    typedef typename Tr<T>::C C;
    typedef Ext<C> Acc;
    typedef T Out;
    __device__ static __forceinline__ bool better(C a, C b) { return MAX ? a > b : a < b; }
    __device__ static __forceinline__ Acc init() {
        Acc a;
        a.v = (C)0;
        a.ok = false;
        return a;
    }
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) {
        if (!a.ok) return b;
        if (!b.ok) return a;
        if (is_nan<C>(a.v)) return a;
        if (is_nan<C>(b.v) || better(b.v, a.v)) return b;
        return a;
    }
    __device__ static __forceinline__ Acc step(Acc a, T x, i64) {
        Acc b;
        b.v = Tr<T>::ld(x);
        b.ok = true;
        return comb(a, b);
    }
    __device__ static __forceinline__ Out fin(Acc a) { return a.ok ? Tr<T>::st(a.v) : Tr<T>::st((C)0); }
};

// Argmax / argmin: the first index of the extreme value; the first NaN wins.
template <typename C>
struct Arg {
    C v;
    i64 i;
    bool ok;
};
template <typename T, bool MAX>
struct ArgOp {
    typedef typename Tr<T>::C C;
    typedef Arg<C> Acc;
    typedef i64 Out;
    __device__ static __forceinline__ bool better(C a, C b) { return MAX ? a > b : a < b; }
    __device__ static __forceinline__ Acc init() {
        Acc a;
        a.v = (C)0;
        a.i = 0;
        a.ok = false;
        return a;
    }
    // Merges partial results whose index sets interleave: ties go to the smaller index.
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) {
        if (!a.ok) return b;
        if (!b.ok) return a;
        bool an = is_nan<C>(a.v), bn = is_nan<C>(b.v);
        if (an || bn) {
            if (an && bn) return a.i <= b.i ? a : b;
            return an ? a : b;
        }
        if (better(b.v, a.v)) return b;
        if (better(a.v, b.v)) return a;
        return a.i <= b.i ? a : b;
    }
    __device__ static __forceinline__ Acc step(Acc a, T x, i64 idx) {
        Acc b;
        b.v = Tr<T>::ld(x);
        b.i = idx;
        b.ok = true;
        return comb(a, b);
    }
    __device__ static __forceinline__ Out fin(Acc a) { return a.ok ? a.i : 0; }
};

// Any / all: an element counts as true when it is nonzero (NaN is nonzero).
template <typename T, bool ALL>
struct LogicOp {
    typedef bool Acc;
    typedef bool Out;
    __device__ static __forceinline__ Acc init() { return ALL; }
    __device__ static __forceinline__ Acc step(Acc a, T x, i64) {
        bool nz = Tr<T>::ld(x) != (typename Tr<T>::C)0;
        return ALL ? (a && nz) : (a || nz);
    }
    __device__ static __forceinline__ Acc comb(Acc a, Acc b) { return ALL ? (a && b) : (a || b); }
    __device__ static __forceinline__ Out fin(Acc a) { return a; }
};

// One block per output element (grid-stride over outputs); blockDim.x is a power of two and the
// dynamic shared memory holds blockDim.x accumulators.
template <typename T, typename Op>
__device__ void reduce_block_impl(typename Op::Out* out, const T* x, KDims kd, KStrides ks, KDims rd, KStrides rs,
                                  i64 n_out, i64 n_red) {
    typedef typename Op::Acc Acc;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    Acc* smem = reinterpret_cast<Acc*>(smem_raw);
    for (i64 o = blockIdx.x; o < n_out; o += gridDim.x) {
        i64 base = offset_of(kd, ks, o);
        Acc acc = Op::init();
        for (i64 r = threadIdx.x; r < n_red; r += blockDim.x) acc = Op::step(acc, x[base + offset_of(rd, rs, r)], r);
        smem[threadIdx.x] = acc;
        __syncthreads();
        for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) smem[threadIdx.x] = Op::comb(smem[threadIdx.x], smem[threadIdx.x + s]);
            __syncthreads();
        }
        if (threadIdx.x == 0) out[o] = Op::fin(smem[0]);
        __syncthreads();
    }
}

// One thread per output element.
template <typename T, typename Op>
__device__ void reduce_thread_impl(typename Op::Out* out, const T* x, KDims kd, KStrides ks, KDims rd, KStrides rs,
                                   i64 n_out, i64 n_red) {
    GRID_STRIDE(o, n_out) {
        i64 base = offset_of(kd, ks, o);
        typename Op::Acc acc = Op::init();
        for (i64 r = 0; r < n_red; ++r) acc = Op::step(acc, x[base + offset_of(rd, rs, r)], r);
        out[o] = Op::fin(acc);
    }
}

// `__VA_ARGS__` is the op type (it may hold a comma: `ExtremeOp<float, true>`).
#define REDUCE(NAME, T, ...)                                                                              \
    extern "C" __global__ void reduce_##NAME##_block(__VA_ARGS__::Out* out, const T* x, KDims kd,          \
                                                     KStrides ks, KDims rd, KStrides rs, i64 n_out,       \
                                                     i64 n_red) {                                         \
        reduce_block_impl<T, __VA_ARGS__>(out, x, kd, ks, rd, rs, n_out, n_red);                          \
    }                                                                                                     \
    extern "C" __global__ void reduce_##NAME##_thread(__VA_ARGS__::Out* out, const T* x, KDims kd,         \
                                                      KStrides ks, KDims rd, KStrides rs, i64 n_out,      \
                                                      i64 n_red) {                                        \
        reduce_thread_impl<T, __VA_ARGS__>(out, x, kd, ks, rd, rs, n_out, n_red);                         \
    }

// The op-independent rows: max, min, argmax, argmin, any, all for one dtype.
#define REDUCE_COMMON(T, N)                          \
    REDUCE(max_##N, T, ExtremeOp<T, true>)         \
    REDUCE(min_##N, T, ExtremeOp<T, false>)        \
    REDUCE(argmax_##N, T, ArgOp<T, true>)          \
    REDUCE(argmin_##N, T, ArgOp<T, false>)         \
    REDUCE(any_##N, T, LogicOp<T, false>)          \
    REDUCE(all_##N, T, LogicOp<T, true>)

REDUCE(sum_bool, bool, SumBoolOp)
REDUCE(sum_u8, u8, SumIntOp<u8, u32>)
REDUCE(sum_i32, int, SumIntOp<int, u32>)
REDUCE(sum_i64, i64, SumIntOp<i64, u64>)
REDUCE(sum_f16, f16_t, SumOp<f16_t, float>)
REDUCE(sum_bf16, bf16_t, SumOp<bf16_t, float>)
REDUCE(sum_f32, float, SumOp<float, float>)
REDUCE(sum_f64, double, SumOp<double, double>)

REDUCE(prod_bool, bool, ProdOp<bool>)
REDUCE(prod_u8, u8, ProdIntOp<u8, u32>)
REDUCE(prod_i32, int, ProdIntOp<int, u32>)
REDUCE(prod_i64, i64, ProdIntOp<i64, u64>)
REDUCE(prod_f16, f16_t, ProdOp<f16_t>)
REDUCE(prod_bf16, bf16_t, ProdOp<bf16_t>)
REDUCE(prod_f32, float, ProdOp<float>)
REDUCE(prod_f64, double, ProdOp<double>)

REDUCE_COMMON(bool, bool)
REDUCE_COMMON(u8, u8)
REDUCE_COMMON(int, i32)
REDUCE_COMMON(i64, i64)
REDUCE_COMMON(f16_t, f16)
REDUCE_COMMON(bf16_t, bf16)
REDUCE_COMMON(float, f32)
REDUCE_COMMON(double, f64)

// Running sums and products along one dim (`cumsum`, `cumprod`, and `reverse_cumsum`, the
// running sum from the end): one thread per row. `kd` walks the other dims with the input's
// strides `ks` and the output's `ko`; a row has `n` elements at stride `sx` in the input and
// `so` in the output. Floats accumulate in double and integers in int64, wrapping, as the CPU.
#define SCAN_SUM 0
#define SCAN_PROD 1
#define SCAN_REVERSE_SUM 2
__device__ __forceinline__ double scan_acc(double a, double v, int op) { return op == SCAN_PROD ? a * v : a + v; }
__device__ __forceinline__ i64 scan_acc(i64 a, i64 v, int op) {
    return op == SCAN_PROD ? (i64)((u64)a * (u64)v) : (i64)((u64)a + (u64)v);
}
__device__ __forceinline__ double scan_in(double, double v) { return v; }
template <typename T>
__device__ __forceinline__ i64 scan_in(i64, T v) { return (i64)v; }
template <typename T>
__device__ __forceinline__ double scan_in(double, T v) { return to_f64(v); }
__device__ __forceinline__ void scan_out(float* o, double a) { *o = (float)a; }
__device__ __forceinline__ void scan_out(double* o, double a) { *o = a; }
__device__ __forceinline__ void scan_out(f16_t* o, double a) { *o = from_f64<f16_t>(a); }
__device__ __forceinline__ void scan_out(bf16_t* o, double a) { *o = from_f64<bf16_t>(a); }
__device__ __forceinline__ void scan_out(u8* o, i64 a) { *o = (u8)(u64)a; }
__device__ __forceinline__ void scan_out(int* o, i64 a) { *o = (int)(u32)(u64)a; }
__device__ __forceinline__ void scan_out(i64* o, i64 a) { *o = a; }

template <typename T, typename A>
__device__ void scan_impl(T* out, KStrides ko, const T* x, KStrides ks, KDims kd, i64 rows, i64 n, i64 sx, i64 so,
                          int op) {
    GRID_STRIDE(r, rows) {
        i64 ox, oo;
        offsets2(kd, ks, ko, r, ox, oo);
        A acc = op == SCAN_PROD ? (A)1 : (A)0;
        for (i64 j = 0; j < n; ++j) {
            i64 at = op == SCAN_REVERSE_SUM ? n - 1 - j : j;
            acc = scan_acc(acc, scan_in(acc, x[ox + at * sx]), op);
            scan_out(&out[oo + at * so], acc);
        }
    }
}

#define SCAN(T, A, N)                                                                                       \
    extern "C" __global__ void scan_##N(T* out, KStrides ko, const T* x, KStrides ks, KDims kd, i64 rows, i64 n, \
                                        i64 sx, i64 so, int op) {                                            \
        scan_impl<T, A>(out, ko, x, ks, kd, rows, n, sx, so, op);                                             \
    }
SCAN(f16_t, double, f16)
SCAN(bf16_t, double, bf16)
SCAN(float, double, f32)
SCAN(double, double, f64)
SCAN(u8, i64, u8)
SCAN(int, i64, i32)
SCAN(i64, i64, i64)
