// Convolution building blocks and pooling over contiguous NCHW tensors, one thread per output
// element, with the semantics of tensor-core's CPU kernels (src/ops/conv, src/ops/pool):
// im2col / col2im (the layout of `F.unfold`: row `(c * kh + ki) * kw + kj`, column
// `oh * ow + ow`), max pooling (-inf padding, first maximum wins, NaN wins) and average pooling.

// Must match `ConvGeometry` in src/ops/conv.rs.
struct ConvGeo {
    i64 batch, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

template <typename C>
__device__ __forceinline__ C neg_inf();
template <>
__device__ __forceinline__ float neg_inf<float>() { return -__int_as_float(0x7f800000); }
template <>
__device__ __forceinline__ double neg_inf<double>() { return -__longlong_as_double(0x7ff0000000000000LL); }

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

// The clipped taps of window `o` along one dim, as the CPU's `taps`: (first tap inside, end).
__device__ __forceinline__ void pool_taps(i64 o, i64 s, i64 p, i64 k, i64 d, i64 len, i64& first, i64& end) {
    i64 start = o * s - p;
    i64 e = start + (k - 1) * d + 1;
    if (e > len) e = len;
    i64 f = start;
    if (f < 0) f += ((-f + d - 1) / d) * d;
    first = f;
    end = e < 0 ? 0 : e;
}

// vals/idx[plane][oh][ow]: the maximum of the window and its flat `ih * w + iw` index.
template <typename T>
__device__ void max_pool_impl(T* vals, i64* idx, const T* x, ConvGeo g) {
    typedef typename Tr<T>::C C;
    i64 n = g.batch * g.c * g.oh * g.ow;
    GRID_STRIDE(i, n) {
        i64 ow = i % g.ow, t = i / g.ow;
        i64 oh = t % g.oh, plane = t / g.oh;
        i64 h0, h1, w0, w1;
        pool_taps(oh, g.sh, g.ph, g.kh, g.dh, g.h, h0, h1);
        pool_taps(ow, g.sw, g.pw, g.kw, g.dw, g.w, w0, w1);
        const T* xp = x + plane * g.h * g.w;
        C best = neg_inf<C>();
        i64 at = h0 * g.w + w0;
        for (i64 ih = h0; ih < h1; ih += g.dh) {
            for (i64 iw = w0; iw < w1; iw += g.dw) {
                C e = Tr<T>::ld(xp[ih * g.w + iw]);
                if (e > best || e != e) {
                    best = e;
                    at = ih * g.w + iw;
                }
            }
        }
        vals[i] = Tr<T>::st(best);
        idx[i] = at;
    }
}

// dx[plane][idx] += grad (dx zeroed first; windows may overlap, hence atomics).
template <typename T>
__device__ void max_pool_backward_impl(T* dx, const T* grad, const i64* idx, ConvGeo g) {
    i64 n = g.batch * g.c * g.oh * g.ow;
    GRID_STRIDE(i, n) {
        i64 plane = i / (g.oh * g.ow);
        atomic_acc<T>(dx + plane * g.h * g.w + idx[i], grad[i]);
    }
}

// The average window of output `o` along one dim, as the CPU's `avg_window`:
// (first, end, size with padding).
__device__ __forceinline__ void avg_window(i64 o, i64 s, i64 p, i64 k, i64 len, i64& a, i64& b, i64& size) {
    i64 start = o * s - p;
    i64 end = start + k;
    if (end > len + p) end = len + p;
    size = end - start;
    a = start < 0 ? 0 : start;
    b = end < len ? end : len;
    if (b < 0) b = 0;
}

template <typename T>
__device__ void avg_pool_impl(T* out, const T* x, ConvGeo g, int include_pad) {
    typedef typename Tr<T>::C C;
    i64 n = g.batch * g.c * g.oh * g.ow;
    GRID_STRIDE(i, n) {
        i64 ow = i % g.ow, t = i / g.ow;
        i64 oh = t % g.oh, plane = t / g.oh;
        i64 h0, h1, hs, w0, w1, ws;
        avg_window(oh, g.sh, g.ph, g.kh, g.h, h0, h1, hs);
        avg_window(ow, g.sw, g.pw, g.kw, g.w, w0, w1, ws);
        if (h0 >= h1 || w0 >= w1) {
            out[i] = Tr<T>::st((C)0);
            continue;
        }
        i64 rows = include_pad ? hs : h1 - h0, cols = include_pad ? ws : w1 - w0;
        const T* xp = x + plane * g.h * g.w;
        C sum = (C)0;
        for (i64 ih = h0; ih < h1; ++ih)
            for (i64 iw = w0; iw < w1; ++iw) sum += Tr<T>::ld(xp[ih * g.w + iw]);
        out[i] = Tr<T>::st(sum / (C)(rows * cols));
    }
}

// dx[plane][ih][iw] = the sum of grad / divisor over the windows that hold (ih, iw), gathered
// per input element.
template <typename T>
__device__ void avg_pool_backward_impl(T* dx, const T* grad, ConvGeo g, int include_pad) {
    typedef typename Tr<T>::C C;
    i64 n = g.batch * g.c * g.h * g.w;
    GRID_STRIDE(i, n) {
        i64 iw = i % g.w, t = i / g.w;
        i64 ih = t % g.h, plane = t / g.h;
        i64 oh_lo = ih + g.ph - g.kh < 0 ? 0 : (ih + g.ph - g.kh) / g.sh;
        i64 oh_hi = (ih + g.ph) / g.sh;
        i64 ow_lo = iw + g.pw - g.kw < 0 ? 0 : (iw + g.pw - g.kw) / g.sw;
        i64 ow_hi = (iw + g.pw) / g.sw;
        if (oh_hi >= g.oh) oh_hi = g.oh - 1;
        if (ow_hi >= g.ow) ow_hi = g.ow - 1;
        C acc = (C)0;
        for (i64 oh = oh_lo; oh <= oh_hi; ++oh) {
            i64 h0, h1, hs;
            avg_window(oh, g.sh, g.ph, g.kh, g.h, h0, h1, hs);
            if (ih < h0 || ih >= h1) continue;
            i64 rows = include_pad ? hs : h1 - h0;
            for (i64 ow = ow_lo; ow <= ow_hi; ++ow) {
                i64 w0, w1, ws;
                avg_window(ow, g.sw, g.pw, g.kw, g.w, w0, w1, ws);
                if (iw < w0 || iw >= w1) continue;
                i64 cols = include_pad ? ws : w1 - w0;
                acc += Tr<T>::ld(grad[(plane * g.oh + oh) * g.ow + ow]) / (C)(rows * cols);
            }
        }
        dx[i] = Tr<T>::st(acc);
    }
}

#define CONV_FLOAT(T, N)                                                                                        \
    extern "C" __global__ void col2im_##N(T* x, const T* cols, ConvGeo g) { col2im_impl<T>(x, cols, g); }       \
    extern "C" __global__ void max_pool_##N(T* vals, i64* idx, const T* x, ConvGeo g) {                         \
        max_pool_impl<T>(vals, idx, x, g);                                                                      \
    }                                                                                                           \
    extern "C" __global__ void max_pool_backward_##N(T* dx, const T* grad, const i64* idx, ConvGeo g) {         \
        max_pool_backward_impl<T>(dx, grad, idx, g);                                                            \
    }                                                                                                           \
    extern "C" __global__ void avg_pool_##N(T* out, const T* x, ConvGeo g, int include_pad) {                   \
        avg_pool_impl<T>(out, x, g, include_pad);                                                               \
    }                                                                                                           \
    extern "C" __global__ void avg_pool_backward_##N(T* dx, const T* grad, ConvGeo g, int include_pad) {        \
        avg_pool_backward_impl<T>(dx, grad, g, include_pad);                                                    \
    }
CONV_FLOAT(f16_t, f16)
CONV_FLOAT(bf16_t, bf16)
CONV_FLOAT(float, f32)
CONV_FLOAT(double, f64)
