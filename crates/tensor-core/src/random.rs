//! Random numbers: the counter-based Philox4x32-10 generator, so that a seed gives the same
//! numbers for the same shape on every device (a CUDA kernel computes element `i` from the
//! counter alone), the global generator behind `manual_seed`, and the uniform and normal
//! transforms.
//!
//! Element `i` of a draw at generator offset `o` uses 32-bit word `i` of the stream: Philox block
//! `o + i / 4` (the counter), lane `i % 4`, keyed by the seed. Uniform floats are
//! `word * 2^-32` (f32 rounds down to stay below 1); normals use Box–Muller on words `2j, 2j+1`.
//!
//! A generator's whole state is its seed and its offset ([`RngState`]): [`get_rng_state`] and
//! [`set_rng_state`] save and restore the global generator's, as `torch.get_rng_state` /
//! `torch.set_rng_state`, so that a resumed training run draws the numbers it would have drawn.

use spin::Mutex;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// One Philox4x32-10 block: four 32-bit words from a 128-bit counter and a 64-bit key.
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (counter, key);
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let p0 = (M0 as u64) * (c[0] as u64);
        let p1 = (M1 as u64) * (c[2] as u64);
        c = [((p1 >> 32) as u32) ^ c[1] ^ k[0], p1 as u32, ((p0 >> 32) as u32) ^ c[3] ^ k[1], p0 as u32];
    }
    c
}

/// Word `index` of the stream of `seed` starting at block `offset`.
#[inline]
pub fn philox_word(seed: u64, offset: u64, index: u64) -> u32 {
    let block = offset.wrapping_add(index / 4);
    let out = philox4x32_10([block as u32, (block >> 32) as u32, 0, 0], [seed as u32, (seed >> 32) as u32]);
    out[(index % 4) as usize]
}

/// A uniform number in [0, 1) from one word.
#[inline]
pub fn uniform_of(word: u32) -> f64 {
    word as f64 * (1.0 / 4_294_967_296.0)
}

/// Standard normals from two words (Box–Muller): `(r cos θ, r sin θ)`.
#[inline]
pub fn normal_pair(w0: u32, w1: u32) -> (f64, f64) {
    let u1 = 1.0 - uniform_of(w0); // in (0, 1]: the log is finite
    let u2 = uniform_of(w1);
    let r = libm::sqrt(-2.0 * libm::log(u1));
    let (sin, cos) = libm::sincos(2.0 * core::f64::consts::PI * u2);
    (r * cos, r * sin)
}

/// Words `0..out.len()` of the stream of `seed` from block `offset`, a block at a time:
/// `f(block_words, part)` fills `part`, the (up to) four elements of `out` that one Philox
/// block covers. Large draws are split across threads; element `i` is the same whichever
/// thread computes it, as the stream is counter-based.
fn fill_by_block<T: Send>(out: &mut [T], seed: u64, offset: u64, f: impl Fn([u32; 4], &mut [T]) + Sync) {
    let key = [seed as u32, (seed >> 32) as u32];
    let fill = |part: &mut [T], first_block: u64| {
        for (b, quad) in part.chunks_mut(4).enumerate() {
            let block = offset.wrapping_add(first_block + b as u64);
            f(philox4x32_10([block as u32, (block >> 32) as u32, 0, 0], key), quad);
        }
    };
    #[cfg(feature = "std")]
    if out.len() >= crate::cpu::par_threshold() {
        use rayon::prelude::*;
        const PIECE: usize = 1 << 14; // elements per task, a multiple of 4
        return crate::grad_mode::suspended(|| {
            out.par_chunks_mut(PIECE).enumerate().for_each(|(i, part)| fill(part, (i * PIECE / 4) as u64))
        });
    }
    fill(out, 0)
}

/// A Philox generator: a seed and the next unused block of its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generator {
    seed: u64,
    offset: u64,
}

/// PyTorch's default seed.
pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

impl Generator {
    /// A generator at the start of `seed`'s stream.
    pub const fn new(seed: u64) -> Self {
        Generator { seed, offset: 0 }
    }
    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The next unused block.
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// The generator's state (its seed and offset), to restore with [`Generator::from_state`].
    pub fn state(&self) -> RngState {
        RngState { seed: self.seed, offset: self.offset }
    }
    /// The generator at `state`: it continues the stream where the saved one stood.
    pub const fn from_state(state: RngState) -> Self {
        Generator { seed: state.seed, offset: state.offset }
    }
    /// Restarts the stream of `seed`.
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }
    /// Reserves `words` words of the stream; returns the block offset they start at.
    pub fn reserve(&mut self, words: u64) -> u64 {
        let start = self.offset;
        self.offset = self.offset.wrapping_add(words.div_ceil(4));
        start
    }
    /// `n` uniform numbers in [0, 1) (advances the generator).
    pub fn uniform(&mut self, n: usize) -> impl Iterator<Item = f64> {
        let (seed, off) = (self.seed, self.reserve(n as u64));
        (0..n as u64).map(move |i| uniform_of(philox_word(seed, off, i)))
    }
    /// Fills `out` with `map(u)` of the numbers [`Generator::uniform`] gives (advances the
    /// generator).
    pub fn uniform_into<T: Send>(&mut self, out: &mut [T], map: impl Fn(f64) -> T + Sync) {
        let (seed, off) = (self.seed, self.reserve(out.len() as u64));
        fill_by_block(out, seed, off, |w, part| {
            for (x, &w) in part.iter_mut().zip(&w) {
                *x = map(uniform_of(w));
            }
        });
    }
    /// Fills `out` with `map(z)` of the numbers [`Generator::normal`] gives (advances the
    /// generator): a block's four words are two Box–Muller pairs.
    pub fn normal_into<T: Send>(&mut self, out: &mut [T], map: impl Fn(f64) -> T + Sync) {
        let (seed, off) = (self.seed, self.reserve(out.len().next_multiple_of(2) as u64));
        fill_by_block(out, seed, off, |w, part| {
            let (a, b) = normal_pair(w[0], w[1]);
            let pair = if part.len() > 2 { normal_pair(w[2], w[3]) } else { (0.0, 0.0) };
            for (x, z) in part.iter_mut().zip([a, b, pair.0, pair.1]) {
                *x = map(z);
            }
        });
    }
    /// `n` standard normal numbers (advances the generator).
    pub fn normal(&mut self, n: usize) -> impl Iterator<Item = f64> {
        let (seed, off) = (self.seed, self.reserve(n.next_multiple_of(2) as u64));
        (0..n as u64).map(move |i| {
            let j = i & !1;
            let (a, b) = normal_pair(philox_word(seed, off, j), philox_word(seed, off, j + 1));
            if i & 1 == 0 {
                a
            } else {
                b
            }
        })
    }
}

/// The whole state of a [`Generator`]: the seed (the Philox key) and the next unused block of
/// its stream. Two generators with the same state draw the same numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RngState {
    /// The seed: the Philox key.
    pub seed: u64,
    /// The next unused block (128-bit counter's low 64 bits) of the seed's stream.
    pub offset: u64,
}

static GLOBAL: Mutex<Generator> = Mutex::new(Generator::new(DEFAULT_SEED));

/// Seeds the global generator, as `torch.manual_seed`.
pub fn manual_seed(seed: u64) {
    GLOBAL.lock().manual_seed(seed);
}

/// The global generator's state, as `torch.get_rng_state()`: save it with a checkpoint and give
/// it to [`set_rng_state`] to draw the same numbers again.
///
/// ```
/// use tensor_core::random::{get_rng_state, set_rng_state};
/// use tensor_core::{manual_seed, DType, Device, Tensor};
/// manual_seed(7);
/// let state = get_rng_state();
/// let a = Tensor::rand([5], DType::F32, &Device::Cpu)?.to_vec::<f32>()?;
/// set_rng_state(state);
/// let b = Tensor::rand([5], DType::F32, &Device::Cpu)?.to_vec::<f32>()?;
/// assert_eq!(a, b);
/// assert_ne!(get_rng_state(), state); // the draw advanced the generator
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub fn get_rng_state() -> RngState {
    GLOBAL.lock().state()
}

/// Sets the global generator's state, as `torch.set_rng_state(state)`: the next draws are
/// those that followed the [`get_rng_state`] that returned `state`.
pub fn set_rng_state(state: RngState) {
    *GLOBAL.lock() = Generator::from_state(state);
}

/// Runs `f` with the global generator.
pub fn with_global<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    f(&mut GLOBAL.lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_known_answers() {
        // Random123's kat_vectors for philox4x32_10.
        assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(philox4x32_10([u32::MAX; 4], [u32::MAX; 2]), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(
            philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn block_fills_give_the_stream() {
        // Odd lengths (a last block of one to three elements), several tasks, and a stream that
        // crosses a 2^32-block boundary: the same numbers as the element-at-a-time iterators,
        // and the generator left at the same offset.
        for (n, offset) in [(1, 0), (3, 5), (6, 0), (40_001, 0), (40_003, (1u64 << 32) - 3)] {
            let mut g = Generator { seed: 9, offset };
            let mut fast = alloc::vec![0.0; n];
            g.normal_into(&mut fast, |z| z);
            let mut h = Generator { seed: 9, offset };
            let want: alloc::vec::Vec<f64> = h.normal(n).collect();
            assert_eq!((fast, g), (want, h), "normal n {n} offset {offset}");
            let mut fast = alloc::vec![0.0; n];
            let before = Generator { seed: 9, offset };
            let mut g = before;
            g.uniform_into(&mut fast, |u| u);
            let mut h = before;
            let want: alloc::vec::Vec<f64> = h.uniform(n).collect();
            assert_eq!((fast, g), (want, h), "uniform n {n} offset {offset}");
        }
    }

    #[test]
    fn same_seed_same_numbers_and_moments() {
        let a: alloc::vec::Vec<f64> = Generator::new(7).normal(10_001).collect();
        let b: alloc::vec::Vec<f64> = Generator::new(7).normal(10_001).collect();
        assert_eq!(a, b);
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.05, "mean {mean} var {var}");
        let mut g = Generator::new(1);
        let u: alloc::vec::Vec<f64> = g.uniform(5).collect();
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert_eq!(g.offset(), 2);
    }

    #[test]
    fn state_round_trips() {
        let mut g = Generator::new(11);
        let _ = g.uniform(9).count();
        let state = g.state();
        assert_eq!(state, RngState { seed: 11, offset: 3 });
        let a: alloc::vec::Vec<f64> = g.normal(7).collect();
        let b: alloc::vec::Vec<f64> = Generator::from_state(state).normal(7).collect();
        assert_eq!(a, b);
    }
}
