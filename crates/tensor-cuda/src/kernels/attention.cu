// Fused scaled dot-product attention without a mask or with the causal one (tensor-core's
// AttentionOps), f32 and f64 (half inputs are widened by tensor-core first). Operands are
// contiguous: q [batch, l, e], k [batch, s, e], v [batch, s, ev], out [batch, l, ev],
// lse [batch, l]. Tiles of `tile` queries live in shared memory against tiles of `tile` keys,
// with an online softmax (a running max and sum per query, the output rescaled as the max
// grows), so the l x s scores never exist; with `causal`, key tiles wholly above the diagonal
// are skipped. The backward recomputes each tile's probabilities from the saved log-sum-exp in
// two kernels, so that each output has one writer: `attention_bwd_dq` per query tile (also
// writing rowsum(g o), which the second reads), `attention_bwd_dkv` per key tile. Every loop is
// block-stride over the tile's elements and grid-stride over tiles, so any launch shape (the host
// emulation's single thread included) computes the same result. The host picks `tile` so that
// the shared memory fits.

// Query `row` sees key `key` (both absolute within the problem).
__device__ __forceinline__ bool att_visible(int causal, i64 row, i64 key) { return !causal || key <= row; }

// Copies `n` elements from global `src` to shared `dst`, block-stride.
template <typename T>
__device__ __forceinline__ void att_load(T* dst, const T* src, i64 n) {
    for (i64 i = threadIdx.x; i < n; i += blockDim.x) dst[i] = src[i];
}

// `a[r] · b[c]` over `n` elements of rows `a` and `b` in shared memory.
template <typename T>
__device__ __forceinline__ T att_dot(const T* a, const T* b, i64 n) {
    T acc = 0;
    for (i64 t = 0; t < n; ++t) acc += a[t] * b[t];
    return acc;
}

template <typename T>
__device__ void attention_fwd_impl(const T* q, const T* k, const T* v, T* out, T* lse, i64 batch, i64 l, i64 s,
                                   i64 e, i64 ev, int causal, T scale, i64 tile) {
    extern __shared__ __align__(16) unsigned char smem_raw[];
    T* qs = reinterpret_cast<T*>(smem_raw);  // tile x e
    T* ks = qs + tile * e;                   // tile x e
    T* vs = ks + tile * e;                   // tile x ev
    T* acc = vs + tile * ev;                 // tile x ev: the unnormalised output
    T* p = acc + tile * ev;                  // tile x tile: scores, then probabilities
    T* mx = p + tile * tile;                 // tile: running max
    T* sum = mx + tile;                      // tile: running sum
    T* alpha = sum + tile;                   // tile: this key tile's rescaling
    const T NEG_INF = -(T)__int_as_float(0x7f800000);
    i64 tiles = (l + tile - 1) / tile;
    for (i64 t = blockIdx.x; t < batch * tiles; t += gridDim.x) {
        i64 b = t / tiles, row0 = (t % tiles) * tile;
        i64 rows = l - row0 < tile ? l - row0 : tile;
        att_load(qs, q + (b * l + row0) * e, rows * e);
        for (i64 i = threadIdx.x; i < rows * ev; i += blockDim.x) acc[i] = 0;
        for (i64 r = threadIdx.x; r < rows; r += blockDim.x) {
            mx[r] = NEG_INF;
            sum[r] = 0;
        }
        __syncthreads();
        i64 key_end = causal ? (row0 + rows < s ? row0 + rows : s) : s;
        for (i64 key0 = 0; key0 < key_end; key0 += tile) {
            i64 cols = key_end - key0 < tile ? key_end - key0 : tile;
            att_load(ks, k + (b * s + key0) * e, cols * e);
            att_load(vs, v + (b * s + key0) * ev, cols * ev);
            __syncthreads();
            for (i64 i = threadIdx.x; i < rows * cols; i += blockDim.x) {
                i64 r = i / cols, c = i % cols;
                p[r * tile + c] = att_visible(causal, row0 + r, key0 + c) ? att_dot(qs + r * e, ks + c * e, e) * scale : NEG_INF;
            }
            __syncthreads();
            for (i64 r = threadIdx.x; r < rows; r += blockDim.x) {
                T m = mx[r];
                for (i64 c = 0; c < cols; ++c) m = p[r * tile + c] > m ? p[r * tile + c] : m;
                T a = m == NEG_INF ? (T)1 : exp(mx[r] - m);
                T block = 0;
                for (i64 c = 0; c < cols; ++c) {
                    T x = p[r * tile + c];
                    T pv = x == NEG_INF ? (T)0 : exp(x - m);
                    p[r * tile + c] = pv;
                    block += pv;
                }
                sum[r] = sum[r] * a + block;
                mx[r] = m;
                alpha[r] = a;
            }
            __syncthreads();
            for (i64 i = threadIdx.x; i < rows * ev; i += blockDim.x) {
                i64 r = i / ev, c2 = i % ev;
                T o = acc[i] * alpha[r];
                for (i64 c = 0; c < cols; ++c) o += p[r * tile + c] * vs[c * ev + c2];
                acc[i] = o;
            }
            __syncthreads();
        }
        for (i64 i = threadIdx.x; i < rows * ev; i += blockDim.x) {
            i64 r = i / ev;
            out[(b * l + row0) * ev + i] = sum[r] == 0 ? (T)0 : acc[i] / sum[r];
        }
        for (i64 r = threadIdx.x; r < rows; r += blockDim.x) lse[b * l + row0 + r] = sum[r] == 0 ? NEG_INF : mx[r] + log(sum[r]);
        __syncthreads();
    }
}

// The probabilities `p = exp(q k^T scale - lse)` (zero where not visible) and
// `ds = p (g v^T - dot) scale` of one (query tile, key tile) pair, into `p` and `ds`
// (tile x tile, row stride `tile`), from the tiles in shared memory.
template <typename T>
__device__ __forceinline__ void att_probs(const T* qs, const T* ks, const T* gs, const T* vs, const T* lse_t,
                                          const T* dot_t, T* p, T* ds, i64 rows, i64 cols, i64 row0, i64 key0,
                                          i64 e, i64 ev, int causal, T scale, i64 tile) {
    for (i64 i = threadIdx.x; i < rows * cols; i += blockDim.x) {
        i64 r = i / cols, c = i % cols;
        if (att_visible(causal, row0 + r, key0 + c)) {
            T pv = exp(att_dot(qs + r * e, ks + c * e, e) * scale - lse_t[r]);
            p[r * tile + c] = pv;
            ds[r * tile + c] = pv * (att_dot(gs + r * ev, vs + c * ev, ev) - dot_t[r]) * scale;
        } else {
            p[r * tile + c] = 0;
            ds[r * tile + c] = 0;
        }
    }
}

// dq of each query tile, and `dot` = rowsum(g o) of every query (read by attention_bwd_dkv).
template <typename T>
__device__ void attention_bwd_dq_impl(const T* g, const T* q, const T* k, const T* v, const T* o, const T* lse, T* dq,
                                      T* dot, i64 batch, i64 l, i64 s, i64 e, i64 ev, int causal, T scale, i64 tile) {
    extern __shared__ __align__(16) unsigned char smem_raw[];
    T* qs = reinterpret_cast<T*>(smem_raw);  // tile x e
    T* gs = qs + tile * e;                   // tile x ev
    T* ks = gs + tile * ev;                  // tile x e
    T* vs = ks + tile * e;                   // tile x ev
    T* acc = vs + tile * ev;                 // tile x e
    T* p = acc + tile * e;                   // tile x tile
    T* ds = p + tile * tile;                 // tile x tile
    T* lse_t = ds + tile * tile;             // tile
    T* dot_t = lse_t + tile;                 // tile
    i64 tiles = (l + tile - 1) / tile;
    for (i64 t = blockIdx.x; t < batch * tiles; t += gridDim.x) {
        i64 b = t / tiles, row0 = (t % tiles) * tile;
        i64 rows = l - row0 < tile ? l - row0 : tile;
        att_load(qs, q + (b * l + row0) * e, rows * e);
        att_load(gs, g + (b * l + row0) * ev, rows * ev);
        att_load(lse_t, lse + b * l + row0, rows);
        for (i64 i = threadIdx.x; i < rows * e; i += blockDim.x) acc[i] = 0;
        for (i64 r = threadIdx.x; r < rows; r += blockDim.x) {
            const T* orow = o + (b * l + row0 + r) * ev;
            T d = 0;
            for (i64 c = 0; c < ev; ++c) d += gs[r * ev + c] * orow[c];
            dot_t[r] = d;
            dot[b * l + row0 + r] = d;
        }
        __syncthreads();
        i64 key_end = causal ? (row0 + rows < s ? row0 + rows : s) : s;
        for (i64 key0 = 0; key0 < key_end; key0 += tile) {
            i64 cols = key_end - key0 < tile ? key_end - key0 : tile;
            att_load(ks, k + (b * s + key0) * e, cols * e);
            att_load(vs, v + (b * s + key0) * ev, cols * ev);
            __syncthreads();
            att_probs(qs, ks, gs, vs, lse_t, dot_t, p, ds, rows, cols, row0, key0, e, ev, causal, scale, tile);
            __syncthreads();
            for (i64 i = threadIdx.x; i < rows * e; i += blockDim.x) {
                i64 r = i / e, c2 = i % e;
                T a = acc[i];
                for (i64 c = 0; c < cols; ++c) a += ds[r * tile + c] * ks[c * e + c2];
                acc[i] = a;
            }
            __syncthreads();
        }
        for (i64 i = threadIdx.x; i < rows * e; i += blockDim.x) dq[(b * l + row0) * e + i] = acc[i];
        __syncthreads();
    }
}

// dk and dv of each key tile, from every query tile that sees it.
template <typename T>
__device__ void attention_bwd_dkv_impl(const T* g, const T* q, const T* k, const T* v, const T* lse, const T* dot,
                                       T* dk, T* dv, i64 batch, i64 l, i64 s, i64 e, i64 ev, int causal, T scale,
                                       i64 tile) {
    extern __shared__ __align__(16) unsigned char smem_raw[];
    T* ks = reinterpret_cast<T*>(smem_raw);  // tile x e
    T* vs = ks + tile * e;                   // tile x ev
    T* dk_acc = vs + tile * ev;              // tile x e
    T* dv_acc = dk_acc + tile * e;           // tile x ev
    T* qs = dv_acc + tile * ev;              // tile x e
    T* gs = qs + tile * e;                   // tile x ev
    T* p = gs + tile * ev;                   // tile x tile
    T* ds = p + tile * tile;                 // tile x tile
    T* lse_t = ds + tile * tile;             // tile
    T* dot_t = lse_t + tile;                 // tile
    i64 tiles = (s + tile - 1) / tile;
    for (i64 t = blockIdx.x; t < batch * tiles; t += gridDim.x) {
        i64 b = t / tiles, key0 = (t % tiles) * tile;
        i64 cols = s - key0 < tile ? s - key0 : tile;
        att_load(ks, k + (b * s + key0) * e, cols * e);
        att_load(vs, v + (b * s + key0) * ev, cols * ev);
        for (i64 i = threadIdx.x; i < cols * e; i += blockDim.x) dk_acc[i] = 0;
        for (i64 i = threadIdx.x; i < cols * ev; i += blockDim.x) dv_acc[i] = 0;
        __syncthreads();
        // With `causal`, the queries before key0 see none of these keys.
        i64 first = causal ? key0 / tile * tile : 0;
        for (i64 row0 = first; row0 < l; row0 += tile) {
            i64 rows = l - row0 < tile ? l - row0 : tile;
            att_load(qs, q + (b * l + row0) * e, rows * e);
            att_load(gs, g + (b * l + row0) * ev, rows * ev);
            att_load(lse_t, lse + b * l + row0, rows);
            att_load(dot_t, dot + b * l + row0, rows);
            __syncthreads();
            att_probs(qs, ks, gs, vs, lse_t, dot_t, p, ds, rows, cols, row0, key0, e, ev, causal, scale, tile);
            __syncthreads();
            for (i64 i = threadIdx.x; i < cols * ev; i += blockDim.x) {
                i64 c = i / ev, c2 = i % ev;
                T a = dv_acc[i];
                for (i64 r = 0; r < rows; ++r) a += p[r * tile + c] * gs[r * ev + c2];
                dv_acc[i] = a;
            }
            for (i64 i = threadIdx.x; i < cols * e; i += blockDim.x) {
                i64 c = i / e, c2 = i % e;
                T a = dk_acc[i];
                for (i64 r = 0; r < rows; ++r) a += ds[r * tile + c] * qs[r * e + c2];
                dk_acc[i] = a;
            }
            __syncthreads();
        }
        for (i64 i = threadIdx.x; i < cols * e; i += blockDim.x) dk[(b * s + key0) * e + i] = dk_acc[i];
        for (i64 i = threadIdx.x; i < cols * ev; i += blockDim.x) dv[(b * s + key0) * ev + i] = dv_acc[i];
        __syncthreads();
    }
}

#define ATTENTION(T, N)                                                                                            \
    extern "C" __global__ void attention_fwd_##N(const T* q, const T* k, const T* v, T* out, T* lse, i64 batch,     \
                                                 i64 l, i64 s, i64 e, i64 ev, int causal, double scale, i64 tile) { \
        attention_fwd_impl<T>(q, k, v, out, lse, batch, l, s, e, ev, causal, (T)scale, tile);                      \
    }                                                                                                              \
    extern "C" __global__ void attention_bwd_dq_##N(const T* g, const T* q, const T* k, const T* v, const T* o,    \
                                                    const T* lse, T* dq, T* dot, i64 batch, i64 l, i64 s, i64 e,   \
                                                    i64 ev, int causal, double scale, i64 tile) {                  \
        attention_bwd_dq_impl<T>(g, q, k, v, o, lse, dq, dot, batch, l, s, e, ev, causal, (T)scale, tile);         \
    }                                                                                                              \
    extern "C" __global__ void attention_bwd_dkv_##N(const T* g, const T* q, const T* k, const T* v, const T* lse, \
                                                     const T* dot, T* dk, T* dv, i64 batch, i64 l, i64 s, i64 e,   \
                                                     i64 ev, int causal, double scale, i64 tile) {                 \
        attention_bwd_dkv_impl<T>(g, q, k, v, lse, dot, dk, dv, batch, l, s, e, ev, causal, (T)scale, tile);       \
    }
ATTENTION(float, f32)
ATTENTION(double, f64)
