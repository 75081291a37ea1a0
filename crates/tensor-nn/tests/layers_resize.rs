//! Upsample / interpolate (nearest, bilinear with and without align_corners) and PixelShuffle /
//! PixelUnshuffle against PyTorch, their gradients, `gradcheck` and errors.
//!
//! Every `const` in `layers_more_literals` was printed by `scripts/pytorch/nn_layers_more.py`
//! (PyTorch 2.15, CPU) and pasted unchanged. Inputs are `pattern(shape, seed)` (multiples of
//! 1/8, exact in float32).
//!
//! Every test runs on every device (`common::devices`): inputs are built on the device, and on a
//! GPU the comparisons widen to PyTorch's `assert_close` tolerances for sums (`common::near`);
//! gradcheck runs there through `common::gradcheck_on`.

use tensor_autograd::Var;
use tensor_core::{DType, Result, Tensor};
use tensor_nn::functional as F;
use tensor_nn::{InterpolateMode, Module, ModuleExt, PixelShuffle, PixelUnshuffle, Upsample, UpsampleSize};

use crate::layers_more::{err, grad_of};
use crate::layers_more_literals::*;

use crate::common::*;

/// An input, the output size, the mode, the output shape and PyTorch's output.
type ResizeCase = (Var, UpsampleSize, InterpolateMode, &'static [usize], &'static [f64]);

// ---------------------------------------------------------------- interpolate / Upsample

pub(crate) const NEAREST: InterpolateMode = InterpolateMode::Nearest;
pub(crate) const BILINEAR: InterpolateMode = InterpolateMode::Bilinear { align_corners: false };
pub(crate) const BILINEAR_AC: InterpolateMode = InterpolateMode::Bilinear { align_corners: true };

#[test]
fn interpolate_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let a = || input(pattern(dev, &[1, 2, 3, 4], 6));
        let b = || input(pattern(dev, &[1, 1, 3, 5], 7));
        let c = || input(pattern(dev, &[1, 1, 5, 7], 8));
        let cases: [ResizeCase; 12] = [
            (a(), [5, 7].into(), NEAREST, &[1, 2, 5, 7], &NEAREST_SIZE),
            (b(), [2.0, 1.5].into(), NEAREST, &[1, 1, 6, 7], &NEAREST_SCALE),
            (c(), [3, 4].into(), NEAREST, &[1, 1, 3, 4], &NEAREST_DOWN),
            (c(), 0.7.into(), NEAREST, &[1, 1, 3, 4], &NEAREST_SCALE_0_7),
            (a(), [5, 7].into(), BILINEAR, &[1, 2, 5, 7], &BILINEAR_SIZE),
            (a(), [5, 7].into(), BILINEAR_AC, &[1, 2, 5, 7], &BILINEAR_SIZE_AC),
            (b(), [2.0, 1.5].into(), BILINEAR, &[1, 1, 6, 7], &BILINEAR_SCALE),
            (b(), [2.0, 1.5].into(), BILINEAR_AC, &[1, 1, 6, 7], &BILINEAR_SCALE_AC),
            (c(), [2, 3].into(), BILINEAR, &[1, 1, 2, 3], &BILINEAR_DOWN),
            (c(), [2, 3].into(), BILINEAR_AC, &[1, 1, 2, 3], &BILINEAR_DOWN_AC),
            (c(), [1, 3].into(), BILINEAR_AC, &[1, 1, 1, 3], &BILINEAR_TO_1_AC),
            (c(), 0.7.into(), BILINEAR, &[1, 1, 3, 4], &BILINEAR_SCALE_0_7),
        ];
        for (i, (x, size, mode, shape, want)) in cases.into_iter().enumerate() {
            let y = F::interpolate(&x, size, mode)?;
            assert_values(dev, y.tensor_ref(), shape, want, TOL);
            // The layer is the same function.
            assert_eq!(
                Upsample::new(size, mode).forward(&x)?.tensor().to_vec::<f32>()?,
                y.tensor().to_vec::<f32>()?,
                "on {dev}: {i}"
            );
        }
        let up = Upsample::new(2.0, NEAREST);
        assert_values(
            dev,
            up.forward(&input(pattern(dev, &[1, 1, 2, 3], 9)))?.tensor_ref(),
            &[1, 1, 4, 6],
            &UPSAMPLE_NEAREST_2,
            0.0,
        );
    }
    Ok(())
}

#[test]
fn interpolate_in_float64_uses_double_arithmetic() -> Result<()> {
    for dev in &devices() {
        // The source positions and weights in double: 1 / 0.7 in float32 would move them.
        let x = input(f64s(&pattern(dev, &[1, 1, 5, 7], 8)));
        assert_values(
            dev,
            F::interpolate(&x, 0.7, BILINEAR)?.tensor_ref(),
            &[1, 1, 3, 4],
            &BILINEAR_SCALE_0_7_F64,
            1e-14,
        );
        let x = input(f64s(&pattern(dev, &[1, 2, 3, 4], 6)));
        assert_values(
            dev,
            F::interpolate(&x, [5, 7], BILINEAR)?.tensor_ref(),
            &[1, 2, 5, 7],
            &BILINEAR_SIZE_F64,
            1e-14,
        );
    }
    Ok(())
}

#[test]
fn interpolate_gradients_match_pytorch() -> Result<()> {
    for dev in &devices() {
        for (mode, want) in
            [(NEAREST, &NEAREST_GRAD_X), (BILINEAR, &BILINEAR_GRAD_X), (BILINEAR_AC, &BILINEAR_AC_GRAD_X)]
        {
            let (x, _) = grad_of(dev, |x| F::interpolate(x, [5, 7], mode), pattern(dev, &[1, 2, 3, 4], 6), 9)?;
            assert_values(dev, &x.grad().unwrap(), &[1, 2, 3, 4], want, 1e-5);
        }
    }
    Ok(())
}

#[test]
fn interpolate_gradcheck() -> Result<()> {
    for dev in &devices() {
        let sizes: [UpsampleSize; 4] = [[5, 7].into(), [2, 3].into(), [2.0, 1.5].into(), 0.7.into()];
        for mode in [NEAREST, BILINEAR, BILINEAR_AC] {
            for size in sizes {
                gradcheck_on(|v| F::interpolate(&v[0], size, mode), &[f64s(&pattern(dev, &[1, 2, 3, 4], 1))])?;
            }
        }
    }
    Ok(())
}

#[test]
fn interpolate_errors() {
    for dev in &devices() {
        let x = input(pattern(dev, &[1, 1, 3, 3], 0));
        let e = err(F::interpolate(&input(pattern(dev, &[1, 3, 3], 0)), [5, 5], BILINEAR));
        assert!(e.contains("Got 3D input") && e.contains("only 4D input"), "on {dev}: {e}");
        let e = err(F::interpolate(&x, [0, 5], NEAREST));
        assert!(e.contains("Input and output sizes should be greater than 0"), "on {dev}: {e}");
        let e = err(F::interpolate(&x, 0.2, BILINEAR));
        assert!(e.contains("output (H: 0, W: 0)"), "on {dev}: {e}");
        assert!(F::interpolate(&x, f64::NAN, NEAREST).is_err(), "on {dev}");
        let ints = input(Tensor::zeros([1, 1, 2, 2], DType::I64, dev).unwrap());
        assert!(F::interpolate(&ints, 2.0, BILINEAR).is_err(), "on {dev}");
        assert_eq!(F::interpolate(&ints, 2.0, NEAREST).unwrap().size(), &[1, 1, 4, 4], "on {dev}");
    }
}

// ---------------------------------------------------------------- PixelShuffle / PixelUnshuffle

#[test]
fn pixel_shuffle_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let y = PixelShuffle::new(2).forward(&input(pattern(dev, &[1, 8, 2, 3], 6)))?;
        assert_values(dev, y.tensor_ref(), &[1, 2, 4, 6], &PIXEL_SHUFFLE, 0.0);
        let y = F::pixel_shuffle(&input(pattern(dev, &[2, 1, 9, 2, 2], 7)), 3)?;
        assert_values(dev, y.tensor_ref(), &[2, 1, 1, 6, 6], &PIXEL_SHUFFLE_5D, 0.0);
        let y = PixelUnshuffle::new(2).forward(&input(pattern(dev, &[1, 2, 4, 6], 8)))?;
        assert_values(dev, y.tensor_ref(), &[1, 8, 2, 3], &PIXEL_UNSHUFFLE, 0.0);
        let y = F::pixel_unshuffle(&input(pattern(dev, &[1, 6, 3], 9)), 3)?;
        assert_values(dev, y.tensor_ref(), &[9, 2, 1], &PIXEL_UNSHUFFLE_3D, 0.0);
        // One undoes the other.
        let x = pattern(dev, &[2, 3, 4, 6], 1);
        let back = F::pixel_shuffle(&F::pixel_unshuffle(&input(x.shallow_clone()), 2)?, 2)?;
        assert_eq!(back.tensor().to_vec::<f32>()?, x.to_vec::<f32>()?, "on {dev}");
    }
    Ok(())
}

#[test]
fn pixel_shuffle_gradcheck_and_errors() -> Result<()> {
    for dev in &devices() {
        gradcheck_on(|v| F::pixel_shuffle(&v[0], 2), &[f64s(&pattern(dev, &[2, 8, 2, 3], 1))])?;
        gradcheck_on(|v| F::pixel_unshuffle(&v[0], 2), &[f64s(&pattern(dev, &[1, 2, 4, 2], 1))])?;
        assert_eq!(PixelShuffle::new(2).num_parameters(), 0, "on {dev}");
        let e = err(F::pixel_shuffle(&input(pattern(dev, &[1, 6, 2, 2], 0)), 2));
        assert!(e.contains("input.size(-3)=6 is not divisible by 4"), "on {dev}: {e}");
        let e = err(F::pixel_shuffle(&input(pattern(dev, &[4, 2], 0)), 2));
        assert!(e.contains("at least 3 dimensions, but got input with 2 dimension(s)"), "on {dev}: {e}");
        let e = err(F::pixel_shuffle(&input(pattern(dev, &[1, 4, 2, 2], 0)), 0));
        assert!(e.contains("expects a positive upscale_factor"), "on {dev}: {e}");
        let e = err(F::pixel_unshuffle(&input(pattern(dev, &[1, 1, 5, 4], 0)), 2));
        assert!(e.contains("height to be divisible by downscale_factor, but input.size(-2)=5"), "on {dev}: {e}");
        let e = err(F::pixel_unshuffle(&input(pattern(dev, &[1, 1, 4, 5], 0)), 2));
        assert!(e.contains("width to be divisible by downscale_factor, but input.size(-1)=5"), "on {dev}: {e}");
    }
    Ok(())
}
