//! Indexing ops: `index_select`, `gather`, `scatter`, `scatter_add`, `index_add`,
//! `masked_select`, `nonzero`, `one_hot`.

pub(crate) mod cpu;
