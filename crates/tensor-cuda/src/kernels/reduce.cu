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
