// Indexing: index_select / gather (reads), scatter / scatter_add / index_add (writes), and the
// index check that runs before any of them. Every kernel walks one shape `d` with the data
// layout (stride 0 along the indexed dim), the int64 index layout and, for writes, the source
// layout; element `i` then adds `idx[oi] * sd` to its data offset (`sd`: the data's stride
// along the indexed dim).

// Records an index outside `0..size` in `bad` ([flag, value]); any one of them is reported.
extern "C" __global__ void index_check(const i64* idx, KStrides si, KDims d, i64 n, i64 size, i64* bad) {
    GRID_STRIDE(i, n) {
        i64 v = idx[offset_of(d, si, i)];
        if (v < 0 || v >= size) {
            bad[1] = v;
            bad[0] = 1;
        }
    }
}

// `out[i] = x[ox + idx[oi] * sd]`, by element size.
#define GATHER(BYTES, T)                                                                                    \
    extern "C" __global__ void gather_##BYTES(T* out, const T* x, KStrides sx, const i64* idx, KStrides si, \
                                              KDims d, i64 n, i64 sd) {                                     \
        GRID_STRIDE(i, n) {                                                                                 \
            i64 ox, oi;                                                                                     \
            offsets2(d, sx, si, i, ox, oi);                                                                 \
            out[i] = x[ox + idx[oi] * sd];                                                                  \
        }                                                                                                   \
    }
GATHER(1, u8)
GATHER(2, u16)
GATHER(4, u32)
GATHER(8, u64)

// `x[ox + idx[oi] * sd] = src[os]` (`add`: `+=`, atomically).
template <typename T>
__device__ void scatter_impl(T* x, KStrides sx, const i64* idx, KStrides si, const T* src, KStrides ss, KDims d,
                             i64 n, i64 sd, int add) {
    GRID_STRIDE(i, n) {
        i64 ox, oi, os;
        offsets3(d, sx, si, ss, i, ox, oi, os);
        T* p = x + ox + idx[oi] * sd;
        if (add) {
            atomic_acc<T>(p, src[os]);
        } else {
            *p = src[os];
        }
    }
}

#define SCATTER(T, N)                                                                                     \
    extern "C" __global__ void scatter_##N(T* x, KStrides sx, const i64* idx, KStrides si, const T* src,  \
                                           KStrides ss, KDims d, i64 n, i64 sd, int add) {                \
        scatter_impl<T>(x, sx, idx, si, src, ss, d, n, sd, add);                                          \
    }
SCATTER(bool, bool)
SCATTER(u8, u8)
SCATTER(int, i32)
SCATTER(i64, i64)
SCATTER(f16_t, f16)
SCATTER(bf16_t, bf16)
SCATTER(float, f32)
SCATTER(double, f64)
