// Sorting rows (`sort`, `argsort`, `topk`): one thread per row of `n` contiguous elements, a
// bottom-up merge sort between the row and a scratch row of the same size, stable (an element
// moves before an earlier one only when strictly before it), NaN as the largest value, as
// tensor-core's CPU kernel and PyTorch. Writes the sorted values and their original positions.

__device__ __forceinline__ float sort_key(f16_t v) { return f16_to_f32(v); }
__device__ __forceinline__ float sort_key(bf16_t v) { return bf16_to_f32(v); }
__device__ __forceinline__ float sort_key(float v) { return v; }
__device__ __forceinline__ double sort_key(double v) { return v; }
__device__ __forceinline__ u8 sort_key(u8 v) { return v; }
__device__ __forceinline__ int sort_key(int v) { return v; }
__device__ __forceinline__ i64 sort_key(i64 v) { return v; }
__device__ __forceinline__ bool sort_key(bool v) { return v; }

// `a` before `b` in ascending order with NaN last (a NaN is never before anything).
template <typename K>
__device__ __forceinline__ bool sort_lt(K a, K b) {
    bool a_nan = a != a, b_nan = b != b;
    return !a_nan && (b_nan || a < b);
}

template <typename T>
__device__ __forceinline__ bool sort_before(T a, T b, int descending) {
    return descending ? sort_lt(sort_key(b), sort_key(a)) : sort_lt(sort_key(a), sort_key(b));
}

template <typename T>
__device__ void sort_rows_impl(T* v, i64* ix, T* tv, i64* ti, i64 rows, i64 n, int descending) {
    GRID_STRIDE(r, rows) {
        T* a = v + r * n;
        i64* ai = ix + r * n;
        T* b = tv + r * n;
        i64* bi = ti + r * n;
        for (i64 j = 0; j < n; ++j) ai[j] = j;
        bool in_a = true;
        for (i64 w = 1; w < n; w *= 2) {
            T* src = in_a ? a : b;
            i64* srci = in_a ? ai : bi;
            T* dst = in_a ? b : a;
            i64* dsti = in_a ? bi : ai;
            for (i64 lo = 0; lo < n; lo += 2 * w) {
                i64 mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
                i64 i = lo, j = mid, k = lo;
                while (i < mid && j < hi) {
                    if (sort_before(src[j], src[i], descending)) {
                        dst[k] = src[j];
                        dsti[k++] = srci[j++];
                    } else {
                        dst[k] = src[i];
                        dsti[k++] = srci[i++];
                    }
                }
                while (i < mid) {
                    dst[k] = src[i];
                    dsti[k++] = srci[i++];
                }
                while (j < hi) {
                    dst[k] = src[j];
                    dsti[k++] = srci[j++];
                }
            }
            in_a = !in_a;
        }
        if (!in_a) {
            for (i64 j = 0; j < n; ++j) {
                a[j] = b[j];
                ai[j] = bi[j];
            }
        }
    }
}

#define SORT_ROWS(T, N)                                                                                  \
    extern "C" __global__ void sort_rows_##N(T* v, i64* ix, T* tv, i64* ti, i64 rows, i64 n, int descending) { \
        sort_rows_impl<T>(v, ix, tv, ti, rows, n, descending);                                           \
    }
SORT_ROWS(bool, bool)
SORT_ROWS(u8, u8)
SORT_ROWS(int, i32)
SORT_ROWS(i64, i64)
SORT_ROWS(f16_t, f16)
SORT_ROWS(bf16_t, bf16)
SORT_ROWS(float, f32)
SORT_ROWS(double, f64)
