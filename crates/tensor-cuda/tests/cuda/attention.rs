//! Fused attention on the GPU against the CPU's: forward (output and log-sum-exp) and the three
//! gradients, causal or not, f32 and f64, with tiles that split the queries and keys unevenly,
//! broadcast leading dims, transposed inputs, heads wide enough to force smaller tiles, and a
//! half input (widened by tensor-core on both devices).

use crate::common::*;
use tensor_core::random::Generator;
use tensor_core::{DType, Tensor};

#[test]
fn flash_attention_matches_the_cpu() {
    let Some(gpu) = cuda_or_skip() else { return };
    let mut g = Generator::new(77);
    let mut randn = |shape: &[usize], dtype: DType| {
        Tensor::randn_with(shape.to_vec(), DType::F64, &cpu(), &mut g).unwrap().to_dtype(dtype).unwrap()
    };
    // (q, k, v) shapes: GPT's heads; L != S across tile edges; k and v broadcast over heads;
    // heads of 200 (tile 4 in f64); a single query.
    let cases: [([usize; 4], [usize; 4], [usize; 4]); 4] = [
        ([2, 4, 64, 32], [2, 4, 64, 32], [2, 4, 64, 32]),
        ([2, 3, 45, 8], [2, 1, 70, 8], [2, 1, 70, 5]),
        ([1, 2, 40, 200], [1, 2, 33, 200], [1, 2, 33, 200]),
        ([1, 1, 1, 16], [1, 1, 9, 16], [1, 1, 9, 16]),
    ];
    for dtype in [DType::F32, DType::F64, DType::F16] {
        for (qs, ks, vs) in cases {
            for causal in [false, true] {
                let (q, k, v) = (randn(&qs, dtype), randn(&ks, dtype), randn(&vs, dtype).transpose(-2, -1).unwrap());
                let v = v.contiguous().unwrap().transpose(-2, -1).unwrap();
                let on = |t: &Tensor| t.to_device(&gpu).unwrap();
                let what = format!("attention {dtype} {qs:?} {ks:?} causal {causal}");
                let (out, lse) = Tensor::flash_attention(&q, &k, &v, causal, None).unwrap();
                let (og, lg) = Tensor::flash_attention(&on(&q), &on(&k), &on(&v), causal, None).unwrap();
                // Sums of up to 70 products in another order: looser than one op's tolerance.
                let (rt, at) = match dtype {
                    DType::F64 => (1e-10, 1e-10),
                    DType::F32 => (1e-4, 1e-5),
                    _ => (2e-2, 1e-2),
                };
                let close =
                    |part: &str, w: &Tensor, g: &Tensor| assert_close_tol(&format!("{what}: {part}"), w, g, rt, at);
                close("out", &out, &og);
                close("lse", &lse, &lg);
                let grad = randn(out.size(), dtype);
                let want = Tensor::flash_attention_backward(&grad, &q, &k, &v, &out, &lse, causal, None).unwrap();
                let got =
                    Tensor::flash_attention_backward(&on(&grad), &on(&q), &on(&k), &on(&v), &og, &lg, causal, None)
                        .unwrap();
                close("dq", &want.0, &got.0);
                close("dk", &want.1, &got.1);
                close("dv", &want.2, &got.2);
            }
        }
    }
}
