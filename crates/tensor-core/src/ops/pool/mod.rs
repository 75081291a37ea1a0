//! 2-d pooling: `max_pool2d` (with indices), `avg_pool2d`, `adaptive_avg_pool2d`, and the
//! gradients their backward passes need.

pub(crate) mod cpu;
