//! Sampling indices from weights: [`Tensor::multinomial`], as `torch.multinomial`, drawing
//! from the global generator (seeded by `manual_seed`).

use crate::random::with_global;
use crate::{bail, DType, Result, Tensor};
use alloc::vec::Vec;

impl Tensor {
    /// `num_samples` indices per row of the non-negative weights `self` (1-d, or 2-d: one row
    /// per distribution; need not sum to 1), each drawn with probability proportional to its
    /// weight, as `torch.multinomial(self, num_samples, replacement)`: int64, of shape
    /// `[num_samples]` or `[rows, num_samples]`. Without replacement an index is drawn at most
    /// once per row. The weights are read on the host; the draws come from the global
    /// generator (one uniform number per sample), so a seeded program samples the same.
    ///
    /// ```
    /// use tensor_core::{manual_seed, Device, Tensor};
    /// manual_seed(0);
    /// let probs = Tensor::new([0.0f32, 10.0, 0.0, 0.0], &Device::Cpu)?;
    /// assert_eq!(probs.multinomial(3, true)?.to_vec::<i64>()?, [1, 1, 1]);
    /// # Ok::<(), tensor_core::Error>(())
    /// ```
    #[track_caller]
    pub fn multinomial(&self, num_samples: usize, replacement: bool) -> Result<Tensor> {
        let op = "multinomial";
        if !(1..=2).contains(&self.dim()) || !self.is_floating_point() {
            bail!(Value, op, "prob_dist must be a 1 or 2 dim float tensor, got {:?} {}", self.size(), self.dtype());
        }
        let n = self.size()[self.dim() - 1];
        let rows = self.numel() / n.max(1);
        if n == 0 {
            bail!(Value, op, "cannot sample from an empty distribution (shape {:?})", self.size());
        }
        if !replacement && num_samples > n {
            bail!(
                Value,
                op,
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement ({num_samples} > {n})"
            );
        }
        let w = self.to_dtype(DType::F64)?.to_vec::<f64>()?;
        if w.iter().any(|&v| !v.is_finite() || v < 0.0) {
            bail!(Value, op, "probability tensor contains either `inf`, `nan` or element < 0");
        }
        let mut out = Vec::with_capacity(rows * num_samples);
        for row in w.chunks(n) {
            let mut row = row.to_vec();
            for _ in 0..num_samples {
                let total: f64 = row.iter().sum();
                if total <= 0.0 {
                    bail!(Value, op, "invalid multinomial distribution (sum of probabilities <= 0)");
                }
                let u = with_global(|g| g.uniform(1).next().unwrap_or(0.0)) * total;
                // The first index whose running sum passes u (skipping zero weights).
                let mut acc = 0.0;
                let pick = row.iter().position(|&p| {
                    acc += p;
                    p > 0.0 && acc > u
                });
                let pick = pick.unwrap_or_else(|| row.iter().rposition(|&p| p > 0.0).unwrap_or(0));
                out.push(pick as i64);
                if !replacement {
                    row[pick] = 0.0;
                }
            }
        }
        let shape: Vec<usize> = if self.dim() == 1 { alloc::vec![num_samples] } else { alloc::vec![rows, num_samples] };
        Tensor::from_vec(out, &shape[..])?.to_device(self.device())
    }
}

#[cfg(test)]
mod tests {
    use crate::{manual_seed, Device, Tensor};

    #[test]
    fn frequencies_follow_the_weights() {
        manual_seed(7);
        let probs = Tensor::new([1.0f64, 3.0, 0.0, 6.0], &Device::Cpu).unwrap();
        let draws = probs.multinomial(20_000, true).unwrap().to_vec::<i64>().unwrap();
        let count = |k: i64| draws.iter().filter(|&&d| d == k).count() as f64 / 20_000.0;
        assert!((count(0) - 0.1).abs() < 0.01 && (count(1) - 0.3).abs() < 0.015 && (count(3) - 0.6).abs() < 0.015);
        assert_eq!(count(2), 0.0);
        // Without replacement: every nonzero index once, in some order.
        let rows = Tensor::new([[1.0f32, 1.0, 1.0], [0.0, 5.0, 1.0]], &Device::Cpu).unwrap();
        let s = rows.multinomial(2, false).unwrap();
        assert_eq!(s.size(), [2, 2]);
        let v = s.to_vec::<i64>().unwrap();
        assert!(v[0] != v[1] && v[2] != v[3] && v[2..].iter().all(|&i| i == 1 || i == 2), "{v:?}");
        // PyTorch's errors.
        assert!(rows.multinomial(4, false).unwrap_err().to_string().contains("without replacement"));
        let bad = Tensor::new([1.0f32, -1.0], &Device::Cpu).unwrap();
        assert!(bad.multinomial(1, true).unwrap_err().to_string().contains("element < 0"));
    }
}
