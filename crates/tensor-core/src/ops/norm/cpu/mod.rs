//! CPU kernels of the normalisations, one file each (`softmax.rs`, `layer_norm.rs`,
//! `batch_norm.rs`), and what they share (`rows.rs`): rows across threads, each row's loops compiled for
//! the widest vector unit ([`widest!`](crate::cpu::wide::widest)) with `exp`/`ln` from
//! [`vmath`](crate::cpu::vmath), sums in 16 independent lanes so that they vectorise. f16 and
//! bf16 compute in f32.

mod batch_norm;
mod layer_norm;
mod rows;
mod softmax;

use batch_norm::{batch_norm_train, batch_norm_train_backward};
use layer_norm::{layer_norm, layer_norm_backward};
use softmax::{logsumexp, softmax, softmax_backward};

use crate::backend::{NormOps, Storage};
use crate::cpu::CpuStorage;
use crate::{Layout, Result};

impl NormOps<Storage> for CpuStorage {
    fn softmax_rows(&self, layout: &Layout, n: usize, log: bool) -> Option<Result<Storage>> {
        Some(softmax(self, layout, n, log).map(Storage::new))
    }
    fn logsumexp_rows(&self, layout: &Layout, n: usize) -> Option<Result<Storage>> {
        Some(logsumexp(self, layout, n).map(Storage::new))
    }
    fn softmax_rows_backward(&self, layout: &Layout, output: &Storage, n: usize, log: bool) -> Option<Result<Storage>> {
        let output = match output.cpu("softmax_backward") {
            Ok(o) => o,
            Err(e) => return Some(Err(e)),
        };
        Some(softmax_backward(self, output, layout, n, log).map(Storage::new))
    }
    fn layer_norm_rows(
        &self,
        layout: &Layout,
        n: usize,
        weight: Option<&Storage>,
        bias: Option<&Storage>,
        eps: f64,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let w = weight.map(|w| w.cpu("layer_norm")).transpose()?;
            let b = bias.map(|b| b.cpu("layer_norm")).transpose()?;
            let (y, mean, rstd) = layer_norm(self, layout, n, w, b, eps)?;
            Ok((Storage::new(y), Storage::new(mean), Storage::new(rstd)))
        };
        Some(run())
    }
    fn layer_norm_rows_backward(
        &self,
        layout: &Layout,
        x: &Storage,
        mean: &Storage,
        rstd: &Storage,
        weight: Option<&Storage>,
        n: usize,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let (x, mean, rstd) =
                (x.cpu("layer_norm_backward")?, mean.cpu("layer_norm_backward")?, rstd.cpu("layer_norm_backward")?);
            let w = weight.map(|w| w.cpu("layer_norm_backward")).transpose()?;
            let (dx, dw, db) = layer_norm_backward(self, layout, x, mean, rstd, w, n)?;
            Ok((Storage::new(dx), Storage::new(dw), Storage::new(db)))
        };
        Some(run())
    }
    fn batch_norm_train(
        &self,
        layout: &Layout,
        c: usize,
        s: usize,
        weight: Option<&Storage>,
        bias: Option<&Storage>,
        eps: f64,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let w = weight.map(|w| w.cpu("batch_norm")).transpose()?;
            let b = bias.map(|b| b.cpu("batch_norm")).transpose()?;
            let (y, mean, var) = batch_norm_train(self, layout, c, s, w, b, eps)?;
            Ok((Storage::new(y), Storage::new(mean), Storage::new(var)))
        };
        Some(run())
    }
    fn batch_norm_train_backward(
        &self,
        layout: &Layout,
        x: &Storage,
        mean: &Storage,
        var: &Storage,
        weight: Option<&Storage>,
        c: usize,
        s: usize,
        eps: f64,
    ) -> Option<Result<(Storage, Storage, Storage)>> {
        let run = || {
            let op = "batch_norm_backward";
            let (x, mean, var) = (x.cpu(op)?, mean.cpu(op)?, var.cpu(op)?);
            let w = weight.map(|w| w.cpu(op)).transpose()?;
            let (dx, dw, db) = batch_norm_train_backward(self, layout, x, mean, var, w, c, s, eps)?;
            Ok((Storage::new(dx), Storage::new(dw), Storage::new(db)))
        };
        Some(run())
    }
}
