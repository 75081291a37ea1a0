// The naive matmul: one thread per output element, accumulating in double as tensor-core's CPU
// fallback does, then `from_f64`. Used for the integer dtypes (cuBLAS has no gemm for them), for
// `k == 0` (the result is `beta * out`) and for sizes past cuBLAS's 32-bit arguments.

// Must match `MatmulGeometry` in src/ops/matmul.rs. Strides are (batch, row, col).
struct MMGeo {
    i64 batch, m, n, k;
    i64 off_d, off_a, off_b;
    i64 sd[3];
    i64 sa[3];
    i64 sb[3];
    double alpha, beta;
};

template <typename T>
__device__ void matmul_naive_impl(T* d, const T* a, const T* b, MMGeo g) {
    i64 total = g.batch * g.m * g.n;
    GRID_STRIDE(idx, total) {
        i64 j = idx % g.n;
        i64 t = idx / g.n;
        i64 i = t % g.m;
        i64 bi = t / g.m;
        const T* pa = a + g.off_a + bi * g.sa[0] + i * g.sa[1];
        const T* pb = b + g.off_b + bi * g.sb[0] + j * g.sb[2];
        double acc = 0.0;
        for (i64 p = 0; p < g.k; ++p) acc += to_f64(pa[p * g.sa[2]]) * to_f64(pb[p * g.sb[1]]);
        T* o = d + g.off_d + bi * g.sd[0] + i * g.sd[1] + j * g.sd[2];
        double prev = g.beta == 0.0 ? 0.0 : g.beta * to_f64(*o);
        *o = from_f64<T>(prev + g.alpha * acc);
    }
}

#define MATMUL_NAIVE(T, N) \
    extern "C" __global__ void matmul_naive_##N(T* d, const T* a, const T* b, MMGeo g) { matmul_naive_impl<T>(d, a, b, g); }
MATMUL_NAIVE(u8, u8)
MATMUL_NAIVE(int, i32)
MATMUL_NAIVE(i64, i64)
MATMUL_NAIVE(f16_t, f16)
MATMUL_NAIVE(bf16_t, bf16)
MATMUL_NAIVE(float, f32)
MATMUL_NAIVE(double, f64)
