// Known-answer and property checks of the kernels on the host (see emu_stub.h). `all.h` is the
// kernel sources, concatenated by tests/cuda/host_emulation.rs. Prints "ok" and exits 0 when
// every check passes; prints each failure otherwise.
#include "emu_stub.h"
#include "all.h"
#include <vector>
#include <random>
static int fails = 0;
#define CHECK(c, ...) do { if (!(c)) { fails++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

KDims dims1(i64 n) { KDims d; memset(&d, 0, sizeof d); d.rank = 1; d.size[0] = n; return d; }
KStrides st1(i64 off, i64 s) { KStrides k; memset(&k, 0, sizeof k); k.offset = off; k.st[0] = s; return k; }

int main() {
    // Philox: Random123's known answer for counter 0, key 0.
    u32 kat[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
    for (int i = 0; i < 4; ++i) CHECK(philox_word(0, 0, i) == kat[i], "philox word %d = %08x", i, philox_word(0, 0, i));
    // bf16 rounding as the half crate.
    CHECK(f32_to_bf16(1.0f).bits == 0x3f80, "bf16 1.0");
    CHECK(f32_to_bf16(__uint_as_float(0x3f808000u)).bits == 0x3f80, "bf16 tie to even (down)");
    CHECK(f32_to_bf16(__uint_as_float(0x3f818000u)).bits == 0x3f82, "bf16 tie to even (up)");
    CHECK(f32_to_bf16(__uint_as_float(0x3f808001u)).bits == 0x3f81, "bf16 above tie");
    CHECK(f32_to_bf16(__uint_as_float(0x7f7fffffu)).bits == 0x7f80, "bf16 overflow to inf");
    CHECK(f32_to_bf16(__uint_as_float(0xff800000u)).bits == 0xff80, "bf16 -inf");
    CHECK((f32_to_bf16(NAN).bits & 0x7fc0) == 0x7fc0, "bf16 nan");
    // Element::from_f64 semantics.
    CHECK(from_f64<u8>(300.7) == 44, "u8 300.7");
    CHECK(from_f64<u8>(-1.0) == 255, "u8 -1");
    CHECK(from_f64<u8>(NAN) == 0, "u8 nan");
    CHECK(from_f64<u8>(1e300) == 255, "u8 1e300");
    CHECK(from_f64<int>(3e9) == -1294967296, "i32 3e9");
    CHECK(from_f64<int>(1e300) == -1, "i32 1e300");
    CHECK(from_f64<i64>(-1e300) == (i64)0x8000000000000000ull, "i64 -1e300");
    CHECK(from_f64<i64>(9.3e18) == 0x7fffffffffffffffll, "i64 9.3e18");
    CHECK(from_f64<bool>(NAN) == true && from_f64<bool>(-0.0) == false, "bool");
    CHECK((Cast<i64, u8>::go(-1) == 255 && Cast<i64, int>::go(0x100000001ll) == 1), "int64 wraps");
    // Integer binary ops (Python semantics, wrapping).
    CHECK(binary_int<int>(-7, 2, B_FLOOR_DIV) == -4 && binary_int<int>(7, -2, B_FLOOR_DIV) == -4, "floordiv");
    CHECK(binary_int<int>(-7, 2, B_REMAINDER) == 1 && binary_int<int>(7, -2, B_REMAINDER) == -1, "remainder");
    CHECK(binary_int<int>(-2147483647 - 1, -1, B_DIV) == -2147483647 - 1, "INT_MIN / -1 wraps");
    CHECK(binary_int<int>(-2147483647 - 1, -1, B_REMAINDER) == 0, "INT_MIN % -1");
    CHECK(binary_int<int>(3, 4, B_POW) == 81 && binary_int<int>(2, -1, B_POW) == 0, "pow");
    CHECK(binary_int<int>(-1, -3, B_POW) == -1 && binary_int<int>(-1, -4, B_POW) == 1 && binary_int<int>(1, -9, B_POW) == 1, "pow -1/1");
    CHECK(binary_int<u8>(200, 100, B_ADD) == 44 && binary_int<u8>(3, 7, B_POW) == (u8)2187, "u8 wraps");
    CHECK(binary_int<i64>(5, 0, B_DIV) == 0 && binary_int<i64>(5, 0, B_REMAINDER) == 0, "div by 0");
    CHECK(binary_double(1.0, 0.1, B_FLOOR_DIV) == 9.0, "1 // 0.1 = %g", binary_double(1.0, 0.1, B_FLOOR_DIV));
    CHECK(binary_double(-7.5, 2.0, B_REMAINDER) == 0.5 && binary_double(7.5, -2.0, B_REMAINDER) == -0.5, "fmod python");
    CHECK(isnan(binary_double(NAN, 1.0, B_MAXIMUM)) && isnan(binary_double(1.0, NAN, B_MINIMUM)), "nan max/min");
    // Scalar ops on half types compute in float with the number unrounded (f16 1.5 * 0.2 is
    // 0.2999... in PyTorch, not 1.5 * f16(0.2)); pow by small exponents is multiplies.
    {
        f16_t x[2] = {f32_to_f16(1.5f), f32_to_f16(-3.0f)}, y[2];
        binary_scalar_f16(y, st1(0, 1), x, st1(0, 1), 0.2f, dims1(2), 2, B_MUL);
        CHECK(y[0].bits == f32_to_f16(1.5f * 0.2f).bits && y[0].bits != f32_to_f16(1.5f * f16_to_f32(f32_to_f16(0.2f))).bits,
              "f16 * 0.2 rounds once: %g", f16_to_f32(y[0]));
        float xf[3] = {1.1f, -2.0f, 4.0f}, yf[3];
        binary_scalar_f32(yf, st1(0, 1), xf, st1(0, 1), 3.0f, dims1(3), 3, B_POW);
        CHECK(yf[0] == 1.1f * 1.1f * 1.1f && yf[1] == -8.0f && yf[2] == 64.0f, "x ** 3 = x * x * x: %.9g", yf[0]);
        binary_scalar_f32(yf, st1(0, 1), xf, st1(0, 1), -0.5f, dims1(3), 3, B_POW);
        CHECK(yf[2] == 0.5f && isnan(yf[1]) && yf[0] == 1.0f / sqrtf(1.1f), "x ** -0.5");
        double xd[2] = {3.0, -0.0}, yd[2];
        binary_scalar_f64(yd, st1(0, 1), xd, st1(0, 1), -1.0, dims1(2), 2, B_POW);
        CHECK(yd[0] == 1.0 / 3.0 && yd[1] == -INFINITY, "x ** -1");
        binary_scalar_f64(yd, st1(0, 1), xd, st1(0, 1), 2.0, dims1(2), 2, B_SUB);
        CHECK(yd[0] == 1.0 && yd[1] == -2.0, "x - 2");
    }

    std::mt19937 rng(1);
    std::normal_distribution<double> nd;
    // Strided copy: a transposed 3x4 into contiguous.
    {
        double src[12], dst[12];
        for (int i = 0; i < 12; ++i) src[i] = i;
        KDims d; memset(&d, 0, sizeof d); d.rank = 2; d.size[0] = 4; d.size[1] = 3;  // the [4, 3] transpose
        KStrides ds; memset(&ds, 0, sizeof ds); ds.st[0] = 3; ds.st[1] = 1;
        KStrides ss; memset(&ss, 0, sizeof ss); ss.st[0] = 1; ss.st[1] = 4;
        copy_8((u64*)dst, ds, (const u64*)src, ss, d, 12);
        for (int r = 0; r < 4; ++r) for (int c = 0; c < 3; ++c) CHECK(dst[r * 3 + c] == src[c * 4 + r], "transpose copy");
    }
    // Reductions: argmax ties and NaN (thread kernel and single-thread block kernel).
    {
        float x[8] = {1, 3, 3, 0, 3, NAN, 2, NAN};
        i64 out[1];
        KDims kd; memset(&kd, 0, sizeof kd); KStrides ks; memset(&ks, 0, sizeof ks);
        reduce_argmax_f32_thread(out, x, kd, ks, dims1(5), st1(0, 1), 1, 5);
        CHECK(out[0] == 1, "argmax ties %lld", out[0]);
        reduce_argmax_f32_block(out, x, kd, ks, dims1(8), st1(0, 1), 1, 8);
        CHECK(out[0] == 5, "argmax nan %lld", out[0]);
        float m[1];
        reduce_min_f32_thread(m, x, kd, ks, dims1(8), st1(0, 1), 1, 8);
        CHECK(isnan(m[0]), "min nan");
        reduce_sum_f32_thread(m, x, kd, ks, dims1(0), st1(0, 1), 1, 0);
        CHECK(m[0] == 0, "empty sum");
        bool b[1];
        reduce_all_f32_thread(b, x, kd, ks, dims1(0), st1(0, 1), 1, 0);
        CHECK(b[0], "empty all");
    }
    // The block reduction's tree: T threads fold strided subsets, then combine pairwise.
    for (int T : {2, 4, 8, 32}) {
        for (int trial = 0; trial < 200; ++trial) {
            int n = 1 + rng() % 70;
            std::vector<float> x(n);
            for (auto& v : x) v = (float)(rng() % 5);
            if (trial % 3 == 0) x[rng() % n] = NAN;
            if (trial % 5 == 0) x[rng() % n] = NAN;
            typedef ArgOp<float, true> Op;
            std::vector<Op::Acc> acc(T, Op::init());
            for (int t = 0; t < T; ++t)
                for (int r = t; r < n; r += T) acc[t] = Op::step(acc[t], x[r], r);
            for (int s = T / 2; s > 0; s >>= 1)
                for (int t = 0; t < s; ++t) acc[t] = Op::comb(acc[t], acc[t + s]);
            // Sequential reference: first NaN, else first maximum.
            i64 want = 0; float best = x[0];
            for (int r = 0; r < n; ++r) {
                if (isnan(x[r])) { want = r; break; }
                if (x[r] > best) { best = x[r]; want = r; }
            }
            CHECK(Op::fin(acc[0]) == want, "tree argmax T=%d n=%d: %lld vs %lld", T, n, Op::fin(acc[0]), want);
            typedef ExtremeOp<float, false> Mn;
            std::vector<Mn::Acc> m(T, Mn::init());
            for (int t = 0; t < T; ++t)
                for (int r = t; r < n; r += T) m[t] = Mn::step(m[t], x[r], r);
            for (int s = T / 2; s > 0; s >>= 1)
                for (int t = 0; t < s; ++t) m[t] = Mn::comb(m[t], m[t + s]);
            float wm = x[0]; bool nan = false;
            for (float v : x) { if (isnan(v)) nan = true; else if (v < wm || isnan(wm)) wm = v; }
            float got = Mn::fin(m[0]);
            CHECK(nan ? isnan(got) : got == wm, "tree min");
        }
    }
    // im2col / col2im are adjoint; avg_pool / avg_pool_backward are adjoint; max pool vs brute force.
    const i64 geos[][14] = {
        // batch, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow
        {2, 3, 7, 6, 3, 2, 2, 1, 1, 0, 1, 2, 0, 0},
        {1, 2, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0},
        {2, 1, 9, 8, 2, 3, 3, 2, 1, 1, 2, 1, 0, 0},
    };
    for (auto& gv : geos) {
        ConvGeo g; memcpy(&g, gv, sizeof g);
        g.oh = (g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
        g.ow = (g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
        i64 nx = g.batch * g.c * g.h * g.w, nc = g.batch * g.c * g.kh * g.kw * g.oh * g.ow;
        std::vector<double> x(nx), y(nc), cx(nc), ty(nx);
        for (auto& v : x) v = nd(rng);
        for (auto& v : y) v = nd(rng);
        im2col_8((u64*)cx.data(), (const u64*)x.data(), g);
        col2im_f64(ty.data(), y.data(), g);
        double a = 0, b = 0;
        for (i64 i = 0; i < nc; ++i) a += cx[i] * y[i];
        for (i64 i = 0; i < nx; ++i) b += x[i] * ty[i];
        CHECK(fabs(a - b) < 1e-9 * (1 + fabs(a)), "im2col/col2im adjoint %g vs %g", a, b);
        // Pools use the same geometry without dilation.
        g.dh = g.dw = 1;
        g.oh = (g.h + 2 * g.ph - g.kh) / g.sh + 1;
        g.ow = (g.w + 2 * g.pw - g.kw) / g.sw + 1;
        i64 np = g.batch * g.c * g.oh * g.ow;
        for (int pad = 0; pad < 2; ++pad) {
            std::vector<double> p(np), gr(np), dx(nx);
            for (auto& v : gr) v = nd(rng);
            avg_pool_f64(p.data(), x.data(), g, pad);
            avg_pool_backward_f64(dx.data(), gr.data(), g, pad);
            double s1 = 0, s2 = 0;
            for (i64 i = 0; i < np; ++i) s1 += p[i] * gr[i];
            for (i64 i = 0; i < nx; ++i) s2 += x[i] * dx[i];
            CHECK(fabs(s1 - s2) < 1e-9 * (1 + fabs(s1)), "avg pool adjoint %g vs %g (pad %d)", s1, s2, pad);
        }
        std::vector<double> v(np);
        std::vector<i64> ix(np);
        max_pool_f64(v.data(), ix.data(), x.data(), g);
        for (i64 pl = 0; pl < g.batch * g.c; ++pl)
            for (i64 oh = 0; oh < g.oh; ++oh)
                for (i64 ow = 0; ow < g.ow; ++ow) {
                    double best = -INFINITY; i64 at = -1;
                    for (i64 ki = 0; ki < g.kh; ++ki) for (i64 kj = 0; kj < g.kw; ++kj) {
                        i64 ih = oh * g.sh - g.ph + ki, iw = ow * g.sw - g.pw + kj;
                        if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                        double e = x[(pl * g.h + ih) * g.w + iw];
                        if (e > best) { best = e; at = ih * g.w + iw; }
                    }
                    i64 o = (pl * g.oh + oh) * g.ow + ow;
                    CHECK(v[o] == best && ix[o] == at, "max pool at %lld", o);
                }
        // max-pool backward sums into the chosen positions.
        std::vector<double> gr(np, 1.0), dx(nx, 0.0);
        max_pool_backward_f64(dx.data(), gr.data(), ix.data(), g);
        double tot = 0; for (double d : dx) tot += d;
        CHECK(tot == (double)np, "max pool backward total");
    }
    // scatter_add on sub-word types through the CAS path.
    {
        u8 xs[8] = {250, 1, 2, 3, 4, 5, 6, 7};
        u8 src[4] = {10, 1, 1, 1};
        i64 idx[4] = {0, 0, 5, 5};
        scatter_u8(xs, st1(0, 0), idx, st1(0, 1), src, st1(0, 1), dims1(4), 4, 1, 1);
        CHECK(xs[0] == 5 && xs[5] == 7 && xs[1] == 1, "u8 scatter_add %d %d", xs[0], xs[5]);
        bf16_t hb[3] = {f32_to_bf16(1.0f), f32_to_bf16(2.0f), f32_to_bf16(3.0f)};
        bf16_t hs[2] = {f32_to_bf16(0.5f), f32_to_bf16(0.25f)};
        i64 hi[2] = {1, 1};
        scatter_bf16(hb, st1(0, 0), hi, st1(0, 1), hs, st1(0, 1), dims1(2), 2, 1, 1);
        CHECK(bf16_to_f32(hb[1]) == 2.75f && bf16_to_f32(hb[0]) == 1.0f && bf16_to_f32(hb[2]) == 3.0f, "bf16 scatter_add");
        bool bb[5] = {false, false, true, false, false};
        bool bs[2] = {true, false};
        i64 bi[2] = {3, 4};
        scatter_bool(bb, st1(0, 0), bi, st1(0, 1), bs, st1(0, 1), dims1(2), 2, 1, 1);
        CHECK(bb[3] && !bb[4] && bb[2] && !bb[0], "bool scatter_add");
    }
    // Unary: the float ops against libm and their special values; the integer ops wrap.
    {
        const int n = 9;
        float x[n] = {-3.5f, -1.0f, -0.0f, 0.0f, 0.5f, 1.0f, 2.5f, 40.0f, NAN};
        float y[n];
        auto run = [&](int op, double p0, double p1, int flags) {
            UParams p; memset(&p, 0, sizeof p); p.op = op; p.p0 = p0; p.p1 = p1; p.flags = flags;
            unary_f32(y, st1(0, 1), x, st1(0, 1), dims1(n), n, p);
        };
        run(U_EXP, 0, 0, 0);
        for (int i = 0; i < 8; ++i) CHECK(fabsf(y[i] - expf(x[i])) <= 1e-6f * expf(x[i]), "exp(%g) = %g", x[i], y[i]);
        CHECK(isnan(y[8]), "exp(nan)");
        run(U_TANH, 0, 0, 0);
        for (int i = 0; i < 8; ++i) CHECK(fabsf(y[i] - tanhf(x[i])) <= 1e-6f, "tanh(%g) = %g", x[i], y[i]);
        run(U_SIGMOID, 0, 0, 0);
        for (int i = 0; i < 8; ++i) CHECK(fabsf(y[i] - 1.0f / (1.0f + expf(-x[i]))) <= 1e-6f, "sigmoid(%g)", x[i]);
        run(U_RELU, 0, 0, 0);
        CHECK(y[0] == 0 && y[6] == 2.5f && isnan(y[8]), "relu keeps nan");
        run(U_SIGN, 0, 0, 0);
        CHECK(y[0] == -1 && y[2] == 0 && !signbit(y[2]) && y[6] == 1 && y[8] == 0, "sign(-0) = +0, sign(nan) = 0");
        run(U_ROUND, 0, 0, 0);
        CHECK(y[4] == 0.0f && y[6] == 2.0f && y[0] == -4.0f, "round half to even: %g %g %g", y[4], y[6], y[0]);
        run(U_CLAMP, -1.0, 2.0, 3);
        CHECK(y[0] == -1 && y[5] == 1 && y[7] == 2 && isnan(y[8]), "clamp");
        run(U_LEAKY_RELU, 0.1, 0, 0);
        CHECK(fabsf(y[0] + 0.35f) < 1e-7f && y[6] == 2.5f, "leaky_relu");
        run(U_SOFTPLUS, 1.0, 20.0, 0);
        CHECK(y[7] == 40.0f && fabsf(y[5] - log1pf(expf(1.0f))) < 1e-6f, "softplus threshold");
        run(U_GELU, 0, 0, 0);
        CHECK(fabsf(y[5] - 0.8413447f) < 1e-6f && fabsf(y[0] + 0.000814f) < 1e-6f, "gelu(1) = %.7f gelu(-3.5) = %.7f", y[5], y[0]);
        int xi[3] = {-2147483647 - 1, -5, 7}, yi[3];
        UParams p; memset(&p, 0, sizeof p); p.op = U_ABS;
        unary_i32(yi, st1(0, 1), xi, st1(0, 1), dims1(3), 3, p);
        CHECK(yi[0] == -2147483647 - 1 && yi[1] == 5 && yi[2] == 7, "abs(INT_MIN) wraps");
        p.op = U_NEG;
        unary_i32(yi, st1(0, 1), xi, st1(0, 1), dims1(3), 3, p);
        CHECK(yi[0] == -2147483647 - 1 && yi[1] == 5 && yi[2] == -7, "neg wraps");
    }
    // Index: the check reports an index out of range; gather along the last dim of [2, 4].
    {
        i64 idx[4] = {0, 3, 4, 1}, bad[2] = {0, 0};
        index_check(idx, st1(0, 1), dims1(4), 4, 4, bad);
        CHECK(bad[0] == 1 && bad[1] == 4, "index_check flags %lld", bad[1]);
        float x[8] = {0, 1, 2, 3, 10, 11, 12, 13}, out[4];
        i64 gi[4] = {3, 0, 1, 1};  // index [2, 2]
        KDims d; memset(&d, 0, sizeof d); d.rank = 2; d.size[0] = 2; d.size[1] = 2;
        KStrides sx; memset(&sx, 0, sizeof sx); sx.st[0] = 4; sx.st[1] = 0;  // along the gathered dim: 0
        KStrides si; memset(&si, 0, sizeof si); si.st[0] = 2; si.st[1] = 1;
        gather_4((u32*)out, (const u32*)x, sx, gi, si, d, 4, 1);
        CHECK(out[0] == 3 && out[1] == 0 && out[2] == 11 && out[3] == 11, "gather %g %g %g %g", out[0], out[1], out[2], out[3]);
    }
    // Integer matmul: a [2, 3] by the transpose of a [2, 3] (strides), with beta accumulating.
    {
        int a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, -1, 2, 1, 0}, d[4] = {100, 100, 100, 100};
        MMGeo g; memset(&g, 0, sizeof g);
        g.batch = 1; g.m = 2; g.n = 2; g.k = 3;
        g.sd[1] = 2; g.sd[2] = 1; g.sa[1] = 3; g.sa[2] = 1;
        g.sb[1] = 1; g.sb[2] = 3;  // b^T: element (p, j) at j * 3 + p
        g.alpha = 1.0; g.beta = 1.0;
        matmul_naive_i32(d, a, b, g);
        // [[1,2,3],[4,5,6]] @ [[1,2],[0,1],[-1,0]] = [[-2, 4], [-2, 13]], plus 100
        CHECK(d[0] == 98 && d[1] == 104 && d[2] == 98 && d[3] == 113, "matmul %d %d %d %d", d[0], d[1], d[2], d[3]);
    }
    // Scans: int32 sums wrap through int64; reverse sums along rows; products down columns.
    {
        int xi[3] = {2147483647, 1, 5}, yi[3];
        scan_i32(yi, st1(0, 0), xi, st1(0, 0), dims1(1), 1, 3, 1, 1, SCAN_SUM);
        CHECK(yi[0] == 2147483647 && yi[1] == -2147483647 - 1 && yi[2] == -2147483647 + 4, "cumsum wraps %d", yi[2]);
        float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
        scan_f32(y, st1(0, 3), x, st1(0, 3), dims1(2), 2, 3, 1, 1, SCAN_REVERSE_SUM);
        CHECK(y[0] == 6 && y[1] == 5 && y[2] == 3 && y[3] == 15 && y[4] == 11 && y[5] == 6, "reverse cumsum %g %g", y[0], y[3]);
        double xd[6] = {1, 2, 3, 4, 5, 6}, yd[6];
        scan_f64(yd, st1(0, 1), xd, st1(0, 1), dims1(3), 3, 2, 3, 3, SCAN_PROD);
        CHECK(yd[0] == 1 && yd[3] == 4 && yd[2] == 3 && yd[5] == 18, "cumprod down columns %g %g", yd[3], yd[5]);
    }
    // Sorts: stable, NaN last (first when descending), rows of a length that is no power of two.
    {
        float v[14] = {3, NAN, 1, 3, -2, 1, 0, /* row 2 */ 5, 5, 4, NAN, 5, -1, 4};
        i64 ix[14]; float tv[14]; i64 ti[14];
        sort_rows_f32(v, ix, tv, ti, 2, 7, 0);
        float want[7] = {-2, 0, 1, 1, 3, 3, NAN};
        i64 wi[7] = {4, 6, 2, 5, 0, 3, 1};
        for (int j = 0; j < 7; ++j) CHECK((v[j] == want[j] || (isnan(v[j]) && isnan(want[j]))) && ix[j] == wi[j], "ascending %d: %g at %lld", j, v[j], ix[j]);
        float w2[7] = {-1, 4, 4, 5, 5, 5, NAN};
        i64 wi2[7] = {5, 2, 6, 0, 1, 4, 3};
        for (int j = 0; j < 7; ++j) CHECK((v[7 + j] == w2[j] || isnan(v[7 + j])) && ix[7 + j] == wi2[j], "row 2 %d: %g at %lld", j, v[7 + j], ix[7 + j]);
        float d[5] = {2, NAN, 2, 7, 1};
        i64 dx[5]; float dt[5]; i64 dti[5];
        sort_rows_f32(d, dx, dt, dti, 1, 5, 1);
        CHECK(isnan(d[0]) && dx[0] == 1 && d[1] == 7 && d[2] == 2 && dx[2] == 0 && dx[3] == 2 && d[4] == 1, "descending, stable, NaN first");
        i64 big[3] = {(i64)1 << 60, ((i64)1 << 60) + 1, -5};
        i64 bx[3], bt[3], bti[3];
        sort_rows_i64(big, bx, bt, bti, 1, 3, 0);
        CHECK(big[0] == -5 && big[1] == (i64)1 << 60 && bx[2] == 1, "int64 past 2^53 in order");
    }
    // Random: uniforms below one, normals from pairs.
    {
        float u[9]; random_f32(u, 9, 42, 7, 0);
        for (int i = 0; i < 9; ++i) CHECK(u[i] >= 0 && u[i] < 1 && u[i] == (float)(philox_word(42, 7, i) * (1.0 / 4294967296.0)) , "uniform %d", i);
        double z[3]; random_f64(z, 3, 42, 7, 1);
        double u1 = 1.0 - philox_word(42, 7, 2) * (1.0 / 4294967296.0), u2 = philox_word(42, 7, 3) * (1.0 / 4294967296.0);
        CHECK(z[2] == sqrt(-2.0 * log(u1)) * cos(2.0 * 3.141592653589793 * u2), "normal pair");
    }
    // Attention: forward and both backward kernels against a naive reference, causal or not,
    // at tiles that split the queries and keys unevenly (and one that holds them all).
    for (int causal = 0; causal < 2; ++causal) {
        for (i64 tile : {2, 3, 8}) {
            const i64 B = 2, L = 5, S = 7, E = 3, EV = 2;
            const double scale = 0.6;
            std::vector<double> q(B * L * E), k(B * S * E), v(B * S * EV), g(B * L * EV);
            for (size_t i = 0; i < q.size(); ++i) q[i] = sin(0.7 * i + 1);
            for (size_t i = 0; i < k.size(); ++i) k[i] = sin(0.5 * i + 2);
            for (size_t i = 0; i < v.size(); ++i) v[i] = sin(0.3 * i + 3);
            for (size_t i = 0; i < g.size(); ++i) g[i] = sin(0.9 * i + 4);
            std::vector<double> out(B * L * EV), lse(B * L), dq(B * L * E), dk(B * S * E), dv(B * S * EV), dot(B * L);
            attention_fwd_f64(q.data(), k.data(), v.data(), out.data(), lse.data(), B, L, S, E, EV, causal, scale, tile);
            attention_bwd_dq_f64(g.data(), q.data(), k.data(), v.data(), out.data(), lse.data(), dq.data(), dot.data(), B, L, S, E, EV, causal, scale, tile);
            attention_bwd_dkv_f64(g.data(), q.data(), k.data(), v.data(), lse.data(), dot.data(), dk.data(), dv.data(), B, L, S, E, EV, causal, scale, tile);
            std::vector<double> wq(B * L * E, 0), wk(B * S * E, 0), wv(B * S * EV, 0);
            for (i64 b = 0; b < B; ++b) {
                for (i64 i = 0; i < L; ++i) {
                    double p[S], z = 0, m = -INFINITY;
                    i64 seen = causal ? (i + 1 < S ? i + 1 : S) : S;
                    for (i64 j = 0; j < seen; ++j) {
                        double d = 0;
                        for (i64 t = 0; t < E; ++t) d += q[(b * L + i) * E + t] * k[(b * S + j) * E + t];
                        p[j] = d * scale;
                        m = p[j] > m ? p[j] : m;
                    }
                    for (i64 j = 0; j < seen; ++j) z += exp(p[j] - m);
                    CHECK(fabs(lse[b * L + i] - (m + log(z))) < 1e-12, "lse causal %d tile %lld [%lld,%lld]", causal, tile, b, i);
                    double dp[S], rowdot = 0;
                    for (i64 j = 0; j < seen; ++j) {
                        p[j] = exp(p[j] - m) / z;
                        dp[j] = 0;
                        for (i64 c = 0; c < EV; ++c) dp[j] += g[(b * L + i) * EV + c] * v[(b * S + j) * EV + c];
                        rowdot += p[j] * dp[j];
                    }
                    for (i64 c = 0; c < EV; ++c) {
                        double o = 0;
                        for (i64 j = 0; j < seen; ++j) o += p[j] * v[(b * S + j) * EV + c];
                        CHECK(fabs(out[(b * L + i) * EV + c] - o) < 1e-12, "out causal %d tile %lld", causal, tile);
                    }
                    for (i64 j = 0; j < seen; ++j) {
                        double ds = p[j] * (dp[j] - rowdot) * scale;
                        for (i64 c = 0; c < EV; ++c) wv[(b * S + j) * EV + c] += p[j] * g[(b * L + i) * EV + c];
                        for (i64 t = 0; t < E; ++t) {
                            wq[(b * L + i) * E + t] += ds * k[(b * S + j) * E + t];
                            wk[(b * S + j) * E + t] += ds * q[(b * L + i) * E + t];
                        }
                    }
                }
            }
            for (size_t i = 0; i < wq.size(); ++i) CHECK(fabs(dq[i] - wq[i]) < 1e-12, "dq causal %d tile %lld at %zu: %g vs %g", causal, tile, i, dq[i], wq[i]);
            for (size_t i = 0; i < wk.size(); ++i) CHECK(fabs(dk[i] - wk[i]) < 1e-12, "dk causal %d tile %lld at %zu: %g vs %g", causal, tile, i, dk[i], wk[i]);
            for (size_t i = 0; i < wv.size(); ++i) CHECK(fabs(dv[i] - wv[i]) < 1e-12, "dv causal %d tile %lld at %zu: %g vs %g", causal, tile, i, dv[i], wv[i]);
        }
    }
    printf("%s (%d failures)\n", fails ? "FAILED" : "ok", fails);
    return fails != 0;
}
