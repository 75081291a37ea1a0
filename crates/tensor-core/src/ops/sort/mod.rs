//! Sorting: `sort`, `argsort`, `topk`.

pub(crate) mod cpu;
