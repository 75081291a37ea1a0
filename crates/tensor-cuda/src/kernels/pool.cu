// 2-d pooling over contiguous NCHW tensors, one thread per output element (per input element
// for average pooling's gradient), with the semantics of tensor-core's CPU kernels
// (src/ops/pool): max pooling (-inf padding, first maximum wins, NaN wins) and average pooling.
// The window is described by a `ConvGeo` (common.cuh), as a convolution's kernel is.

// -inf in the compute type (max pooling's padding), without CUDA's math headers.
template <typename C>
__device__ __forceinline__ C neg_inf();
template <>
__device__ __forceinline__ float neg_inf<float>() { return -__int_as_float(0x7f800000); }
template <>
__device__ __forceinline__ double neg_inf<double>() { return -__longlong_as_double(0x7ff0000000000000LL); }

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

#define POOL_FLOAT(T, N)                                                                                        \
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
POOL_FLOAT(f16_t, f16)
POOL_FLOAT(bf16_t, bf16)
POOL_FLOAT(float, f32)
POOL_FLOAT(double, f64)
