//! PyTorch's outputs of the small decoder whose state dict fixtures/layers_more.safetensors holds
//! for tests/layers_more.rs, printed by scripts/pytorch/nn_layers_more.py (PyTorch 2.15, CPU); do
//! not edit by hand.

/// shape [1, 2, 9]
pub const DECODER_OUT: [f64; 18] = [
    3.008460283279419,
    -5.527062892913818,
    9.180405616760254,
    -4.235223770141602,
    -8.276833534240723,
    3.1222376823425293,
    3.341278314590454,
    -2.9917025566101074,
    -0.11700907349586487,
    -4.669586658477783,
    -3.7969472408294678,
    2.632915735244751,
    4.652742862701416,
    2.823270559310913,
    3.2880353927612305,
    -2.7563793659210205,
    3.1373660564422607,
    8.946965217590332,
];
pub const DECODER_STATE: &[(&str, &[usize])] = &[
    ("0.weight", &[2, 4, 3, 3]),
    ("0.bias", &[4]),
    ("1.weight", &[4]),
    ("1.bias", &[4]),
    ("2.weight", &[4]),
    ("2.bias", &[4]),
    ("2.running_mean", &[4]),
    ("2.running_var", &[4]),
    ("2.num_batches_tracked", &[]),
    ("6.weight", &[2, 36, 3]),
    ("6.bias", &[2]),
];
