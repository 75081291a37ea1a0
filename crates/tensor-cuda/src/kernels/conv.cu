// Convolution building blocks over contiguous NCHW tensors, one thread per output element,
// with the semantics of tensor-core's CPU kernels (src/ops/conv): im2col / col2im (the layout of
// `F.unfold`: row `(c * kh + ki) * kw + kj`, column `oh * ow + ow`). Their geometry, `ConvGeo`,
// is in common.cuh: the pooling kernels (pool.cu) take it too.

// cols[b][row][col] = x[b][c][ih][iw] (zero outside the image), by element size.
template <typename T>
__device__ void im2col_impl(T* cols, const T* x, ConvGeo g) {
    i64 L = g.oh * g.ow, K = g.kh * g.kw;
    i64 n = g.batch * g.c * K * L;
    GRID_STRIDE(i, n) {
        i64 col = i % L, t = i / L;
        i64 row = t % (g.c * K), b = t / (g.c * K);
        i64 kj = row % g.kw, ki = (row / g.kw) % g.kh, c = row / K;
        i64 ih = (col / g.ow) * g.sh - g.ph + ki * g.dh;
        i64 iw = (col % g.ow) * g.sw - g.pw + kj * g.dw;
        T v = (T)0;
        if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) v = x[((b * g.c + c) * g.h + ih) * g.w + iw];
        cols[i] = v;
    }
}
#define IM2COL(BYTES, T) \
    extern "C" __global__ void im2col_##BYTES(T* cols, const T* x, ConvGeo g) { im2col_impl<T>(cols, x, g); }
IM2COL(2, u16)
IM2COL(4, u32)
IM2COL(8, u64)

// x[b][c][ih][iw] = the sum of the columns that read it (the adjoint of im2col), gathered per
// input element so the result is deterministic.
template <typename T>
__device__ void col2im_impl(T* x, const T* cols, ConvGeo g) {
    typedef typename Tr<T>::C C;
    i64 L = g.oh * g.ow, K = g.kh * g.kw;
    i64 n = g.batch * g.c * g.h * g.w;
    GRID_STRIDE(i, n) {
        i64 iw = i % g.w, t = i / g.w;
        i64 ih = t % g.h;
        t /= g.h;  // b * c + c
        C acc = (C)0;
        for (i64 ki = 0; ki < g.kh; ++ki) {
            i64 hh = ih + g.ph - ki * g.dh;
            if (hh < 0 || hh % g.sh != 0 || hh / g.sh >= g.oh) continue;
            for (i64 kj = 0; kj < g.kw; ++kj) {
                i64 ww = iw + g.pw - kj * g.dw;
                if (ww < 0 || ww % g.sw != 0 || ww / g.sw >= g.ow) continue;
                acc += Tr<T>::ld(cols[(t * K + ki * g.kw + kj) * L + (hh / g.sh) * g.ow + ww / g.sw]);
            }
        }
        x[i] = Tr<T>::st(acc);
    }
}

#define CONV_FLOAT(T, N) \
    extern "C" __global__ void col2im_##N(T* x, const T* cols, ConvGeo g) { col2im_impl<T>(x, cols, g); }
CONV_FLOAT(f16_t, f16)
CONV_FLOAT(bf16_t, bf16)
CONV_FLOAT(float, f32)
CONV_FLOAT(double, f64)
