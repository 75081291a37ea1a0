//! `shape::merge_dense_dims`, the dimension merging that the CPU's strided walker and the CUDA
//! launch plan share: a merged walk visits every operand's elements in the original order.

use crate::common::cfg;
use proptest::prelude::*;

/// Offsets of every element, in row-major order, of a walk of `sizes` with `strides`.
fn walk_offsets(sizes: &[usize], strides: &[usize]) -> Vec<usize> {
    let mut out = vec![0usize];
    for (&n, &st) in sizes.iter().zip(strides) {
        out = out.iter().flat_map(|&base| (0..n).map(move |i| base + i * st)).collect();
    }
    out
}

proptest! {
    #![proptest_config(cfg(512))]
    /// Merging dense dims keeps every operand's walk, element for element, and leaves no
    /// size-1 dim and no pair of neighbours that could still merge.
    #[test]
    fn merging_dense_dims_keeps_every_walk(
        sizes in prop::collection::vec(1usize..4, 0..5),
        perm_seed in 0u64..1000,
        broadcast in prop::collection::vec(any::<bool>(), 5),
    ) {
        // Operand 0 contiguous; operand 1 a permutation's strides with some dims broadcast.
        let rank = sizes.len();
        let mut contiguous = vec![0; rank];
        let mut acc = 1;
        for d in (0..rank).rev() {
            contiguous[d] = acc;
            acc *= sizes[d];
        }
        let mut order: Vec<usize> = (0..rank).collect();
        let mut seed = perm_seed;
        for i in (1..rank).rev() {
            order.swap(i, (seed % (i as u64 + 1)) as usize);
            seed /= i as u64 + 1;
        }
        let mut other = vec![0; rank];
        let mut acc = 1;
        for &d in order.iter().rev() {
            other[d] = if broadcast[d] { 0 } else { acc };
            acc *= sizes[d];
        }
        let m = tensor_core::shape::merge_dense_dims(&sizes, [&contiguous, &other]);
        prop_assert_eq!(walk_offsets(&m.sizes, &m.strides[0]), walk_offsets(&sizes, &contiguous));
        prop_assert_eq!(walk_offsets(&m.sizes, &m.strides[1]), walk_offsets(&sizes, &other));
        prop_assert!(m.sizes.iter().all(|&n| n != 1));
        for d in 1..m.sizes.len() {
            let mergeable = (0..2).all(|k| m.strides[k][d] * m.sizes[d] == m.strides[k][d - 1]);
            prop_assert!(!mergeable, "dims {} and {} of {:?} could still merge", d - 1, d, m);
        }
    }
}
