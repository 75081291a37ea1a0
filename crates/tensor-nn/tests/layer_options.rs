//! Layer options beyond the basics, against PyTorch and through `gradcheck`: Conv2d
//! `padding='same'` with an odd total padding (asymmetric, the extra zero at the bottom /
//! right), BatchNorm with `momentum=None` (cumulative average), `track_running_stats=False` and
//! `affine=False`, LayerNorm without `elementwise_affine` or without `bias`.
//!
//! Every `const` below was printed by `scripts/pytorch/nn_gaps.py layers` (PyTorch 2.15.0, CPU,
//! float32) and pasted unchanged (rustfmt only rewraps lines); the `// ...` lines it printed
//! (names, state dict keys, errors) are quoted where the test asserts them. Inputs and
//! parameters are `pattern(shape, seed)`, built here with the script's formula.
//!
//! Every test runs on every device (`common::devices`): inputs, parameters and modules are
//! built on the device, and on a GPU the comparisons widen to PyTorch's `assert_close`
//! tolerances for sums (`common::near`); gradcheck runs there through `common::gradcheck_on`.

use std::collections::BTreeMap;
use tensor_autograd::Var;
use tensor_core::{DType, Result};
use tensor_nn::{
    BatchNorm1d, BatchNorm2d, BatchNormConfig, Conv2d, Conv2dConfig, LayerNorm, LayerNormConfig, Module, ModuleExt,
    Padding,
};

use crate::common;
use common::*;

/// shape [1, 3, 5, 4]
const CONV_SAME_K2: [f64; 60] = [
    4.734375, -3.421875, -0.078125, 0.984375, -3.09375, 4.921875, -3.234375, -1.375, 0.578125, -2.90625, 2.953125,
    0.9375, 0.296875, 3.28125, -3.796875, -1.421875, -0.546875, -2.859375, 2.015625, -0.546875, 3.609375, -4.40625,
    -0.921875, -0.234375, -4.734375, 3.421875, -4.59375, -2.3125, -1.578125, -4.921875, 2.15625, 0.28125, -1.296875,
    1.828125, -4.03125, -1.796875, -1.765625, -3.46875, 0.9375, -1.765625, 0.6875, 2.875, 0.03125, -1.453125,
    -0.984375, 0.84375, 3.03125, 0.34375, 0.578125, -0.828125, 1.0, -1.453125, 0.34375, -2.859375, 2.5625, 0.34375,
    -0.109375, -1.203125, 2.734375, -0.109375,
];
/// shape [1, 2, 5, 4]
const CONV_SAME_K2_GRAD_X: [f64; 40] = [
    -0.046875, 0.125, 2.328125, -2.296875, 2.703125, -0.125, -2.453125, 4.203125, -4.921875, 1.34375, 3.6875,
    -4.390625, 2.1875, -0.78125, 0.484375, 3.90625, -5.4375, 3.203125, -0.5625, 0.703125, -0.65625, 0.796875,
    -1.484375, 2.34375, -0.65625, 2.6875, 0.734375, -5.171875, 0.734375, -3.6875, -0.96875, 3.1875, 0.328125, 2.875,
    -0.15625, -1.03125, 1.71875, -5.65625, 2.8125, -0.21875,
];
/// shape [3, 2, 2, 2]
const CONV_SAME_K2_GRAD_W: [f64; 24] = [
    -6.78125, 3.25, 6.828125, -3.4375, -3.125, -3.625, 3.53125, 0.96875, -3.9375, 6.734375, -1.78125, -2.21875,
    -6.78125, 3.25, 6.828125, -3.4375, 2.859375, -2.0, -4.640625, 1.515625, -5.046875, 6.171875, 0.78125, -3.890625,
];
/// shape [2, 2, 6, 5]
const CONV_SAME_K4X3_D1X2: [f64; 120] = [
    -6.171875, 0.140625, 1.671875, -0.390625, -0.28125, -1.96875, 1.828125, 4.59375, -1.109375, -1.390625, 0.484375,
    2.125, 4.03125, -3.953125, -1.359375, 1.5, 2.0625, 2.03125, -3.921875, -1.328125, -0.75, 4.203125, -3.171875,
    -3.125, -0.78125, -0.90625, 2.78125, -1.921875, -3.578125, -0.671875, 2.484375, -1.53125, -6.5625, -0.984375,
    -0.0625, 0.4375, -5.703125, -2.90625, 0.703125, -0.171875, -1.875, -1.90625, -0.375, 1.0, -0.234375, -5.625,
    -1.703125, 0.71875, 0.9375, -0.296875, -2.1875, -2.53125, -1.390625, 3.078125, -2.03125, -1.84375, -0.609375,
    -1.953125, 1.65625, -1.484375, 0.625, 1.1875, 2.078125, 0.0625, -2.34375, -3.078125, 1.078125, 3.234375, -1.453125,
    -5.6875, 0.09375, 1.015625, 2.3125, -1.421875, -4.9375, 1.828125, 0.953125, -1.484375, -1.390625, 1.203125,
    4.265625, -0.84375, -6.875, -1.21875, 3.640625, 2.5625, -0.578125, -3.84375, -0.984375, 3.359375, -0.1875,
    -3.84375, -3.46875, 0.0625, 0.625, -1.078125, -2.546875, -4.875, -0.046875, 2.3125, -2.671875, -2.34375, 0.53125,
    -0.109375, 1.171875, -5.703125, -2.140625, 3.0625, -0.171875, -2.84375, -2.6875, -1.953125, 4.0625, -1.96875,
    -7.796875, -0.734375, -1.65625, 0.3125, -1.703125, -3.40625,
];
/// shape [1, 4, 5, 7]
const CONV_SAME_K2X4_D3X1_G2: [f64; 140] = [
    -1.015625, -1.046875, -0.03125, -0.8125, 2.71875, -0.859375, -1.671875, -1.15625, 2.234375, 1.625, -1.140625,
    -1.390625, 0.5625, 0.65625, 1.46875, -0.953125, -1.203125, -1.09375, 2.609375, 1.421875, -1.15625, 1.625,
    -1.421875, -0.171875, -0.71875, -1.625, 2.484375, -0.3125, 1.53125, -0.578125, -1.484375, 3.0, -1.140625,
    -0.828125, 0.71875, -0.546875, -0.296875, 0.25, -1.0, 3.140625, -0.71875, -1.15625, -1.53125, 1.625, 2.234375,
    -1.46875, -1.578125, 0.609375, 0.09375, 1.5625, -1.65625, -1.765625, -1.515625, 1.25, 0.859375, -1.765625, 2.09375,
    -0.671875, 0.109375, -0.90625, -1.203125, 2.625, 0.203125, 1.15625, -0.953125, -1.25, 2.765625, -0.765625,
    -0.453125, 0.671875, 2.203125, -1.484375, 0.03125, 0.109375, -1.609375, 1.78125, -1.078125, 1.171875, -1.125,
    -2.53125, 1.09375, -1.75, 1.015625, 0.78125, -2.453125, 1.25, -1.59375, 0.234375, 2.421875, -2.21875, 2.109375,
    -0.953125, 2.03125, -0.890625, -0.578125, 1.53125, -1.390625, 0.609375, -0.578125, -0.453125, 1.65625, -1.265625,
    -0.953125, 1.15625, -0.921875, 1.6875, -0.25, -1.359375, 3.28125, -1.0625, -0.859375, 0.9375, 0.984375, 2.828125,
    -1.671875, -0.0625, 1.1875, 0.53125, -2.890625, -2.171875, 0.078125, 1.328125, 0.0625, -0.84375, -1.15625,
    0.546875, -1.46875, 1.46875, -0.84375, -1.0, 1.71875, -1.15625, 0.46875, -0.859375, -1.0625, 1.65625, -0.65625,
    -0.8125, 1.625, -0.546875,
];
/// shape [1, 2, 4, 5]
const CONV_SAME_K2_D2: [f64; 40] = [
    -0.15625, -2.25, 0.1875, 0.46875, -1.0, -0.0625, -1.015625, 0.234375, -1.03125, -0.34375, 0.046875, 2.0, 0.375,
    -0.890625, -0.3125, -0.21875, 1.359375, 0.171875, -1.375, 0.84375, -1.484375, -0.1875, -2.0, -1.296875, -1.1875,
    -1.59375, -2.234375, -1.21875, -1.640625, -1.390625, -1.53125, -2.90625, -1.171875, -1.59375, -1.40625, -1.03125,
    -3.09375, -0.265625, -1.390625, -1.703125,
];
// error: Conv2d(1, 1, 2, padding='same', stride=2): ValueError: padding='same' is not supported for strided convolutions
// error: Conv2d(1, 1, 3, padding='same', stride=(1, 2)): ValueError: padding='same' is not supported for strided convolutions
/// shape [4, 3]
const BN_CMA_TRAIN_OUT_1: [f64; 12] = [
    1.1161777973175049,
    -1.8447265625,
    -0.6218928098678589,
    1.2573338747024536,
    -0.6149088144302368,
    -0.9572975635528564,
    1.3984898328781128,
    0.6149089336395264,
    -1.2927024364471436,
    0.7279987335205078,
    1.8447266817092896,
    -1.6281071901321411,
];
/// shape [3]
const BN_CMA_RUNNING_MEAN_1: [f64; 3] = [-0.40625, 0.625, -0.5];
/// shape [3]
const BN_CMA_RUNNING_VAR_1: [f64; 3] = [1.0455728769302368, 0.4166666567325592, 0.4166666567325592];
/// shape [3]
const BN_CMA_RUNNING_MEAN_3: [f64; 3] = [-0.0451388843357563, 0.1562499850988388, -0.1215277761220932];
/// shape [3]
const BN_CMA_RUNNING_VAR_3: [f64; 3] = [0.7903645634651184, 0.7144964933395386, 0.7903645634651184];
/// shape [2, 3]
const BN_CMA_EVAL_OUT: [f64; 6] = [
    0.866252064704895,
    0.6608348488807678,
    -1.6537245512008667,
    1.006854772567749,
    1.4741700887680054,
    -0.6519306302070618,
];
// BN2D_CMA_NO_AFFINE state_dict: num_batches_tracked, running_mean, running_var
/// shape [1, 2, 2, 3]
const BN2D_CMA_NO_AFFINE_OUT_2: [f64; 12] = [
    -0.7071006894111633,
    1.577378511428833,
    0.1087847352027893,
    -1.3598090410232544,
    0.9246701598167419,
    -0.5439236164093018,
    1.0438175201416016,
    -0.26702308654785156,
    -1.5778636932373047,
    0.46122169494628906,
    -0.8496189117431641,
    1.1894664764404297,
];
/// shape [2]
const BN2D_CMA_NO_AFFINE_RUNNING_MEAN: [f64; 2] = [-0.0590277835726738, -0.0312500037252903];
/// shape [2]
const BN2D_CMA_NO_AFFINE_RUNNING_VAR: [f64; 2] = [0.658889889717102, 0.836228609085083];
// BN_NOTRACK state_dict: weight, bias
/// shape [2, 2, 2, 3]
const BN_NOTRACK_TRAIN_OUT: [f64; 24] = [
    -0.35287678241729736,
    -1.3276337385177612,
    0.18865488469600677,
    -0.7861021161079407,
    -1.7608591318130493,
    -0.24457044899463654,
    1.2441990375518799,
    0.38950228691101074,
    0.93895024061203,
    1.4883981943130493,
    0.6337013840675354,
    1.1831493377685547,
    0.40526753664016724,
    -0.5694894790649414,
    -1.5442464351654053,
    -0.02795778214931488,
    -1.00271475315094,
    -1.9774718284606934,
    0.8168506622314453,
    1.3662986755371094,
    0.5116018056869507,
    1.0610498189926147,
    1.6104977130889893,
    0.7558009028434753,
];
/// shape [2, 2, 2, 3]
const BN_NOTRACK_EVAL_OUT: [f64; 24] = [
    -1.6543505191802979,
    -0.038064464926719666,
    -1.0771055221557617,
    0.5391805768013,
    -0.4998604655265808,
    -1.5389015674591064,
    0.5911182761192322,
    1.0817763805389404,
    1.572434425354004,
    0.8091885447502136,
    1.2998466491699219,
    0.5366007089614868,
    -0.8462074995040894,
    -1.8852485418319702,
    -0.26896247267723083,
    -1.308003544807434,
    0.3082825541496277,
    -0.7307584881782532,
    1.4633992910385132,
    0.7001534104347229,
    1.1908115148544312,
    0.4275656044483185,
    0.9182236790657043,
    1.4088817834854126,
];
/// shape [2, 2, 2, 3]
const BN_NOTRACK_EVAL_GRAD_X: [f64; 24] = [
    -0.2435014396905899,
    -0.4862632751464844,
    0.6181290149688721,
    0.3753672242164612,
    -1.175567626953125,
    -0.07117534428834915,
    0.01354584563523531,
    -0.5042707920074463,
    0.2318165898323059,
    0.3406957685947418,
    -0.17712080478668213,
    -0.06824164092540741,
    0.9627811908721924,
    -0.588153600692749,
    -0.8309154510498047,
    0.27347683906555176,
    0.030715053901076317,
    1.135107398033142,
    0.06824164092540741,
    0.17712080478668213,
    -0.3406957685947418,
    -0.2318165898323059,
    0.5042707920074463,
    -0.01354584563523531,
];
/// shape [2]
const BN_NOTRACK_EVAL_GRAD_W: [f64; 2] = [-4.800754070281982, -5.160995960235596];
// error: BatchNorm1d(2, track_running_stats=False).eval() on [1, 2]: ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 2])
// BN_BARE state_dict: []
/// shape [2, 3, 2]
const BN_BARE_EVAL_OUT: [f64; 12] = [
    -1.4252980947494507,
    0.8551788330078125,
    -1.4252980947494507,
    0.8551788330078125,
    0.4479508399963379,
    -1.0180699825286865,
    1.018070101737976,
    -0.4479508399963379,
    1.0180699825286865,
    -0.4479508399963379,
    -0.8551788330078125,
    1.4252980947494507,
];
// LN_NO_AFFINE named_parameters: []
// LN_NO_AFFINE state_dict: []
/// shape [2, 3, 4]
const LN_NO_AFFINE: [f64; 24] = [
    0.3885096609592438,
    -1.3597837686538696,
    1.3597837686538696,
    -0.3885096609592438,
    -1.2780709266662598,
    0.6054019927978516,
    -0.6054019927978516,
    1.2780709266662598,
    0.3885096609592438,
    -1.3597837686538696,
    1.3597837686538696,
    -0.3885096609592438,
    1.1528942584991455,
    -0.18595069646835327,
    -1.5247957706451416,
    0.5578520894050598,
    -0.5578520894050598,
    1.5247957706451416,
    0.18595069646835327,
    -1.1528942584991455,
    1.1528942584991455,
    -0.18595069646835327,
    -1.5247957706451416,
    0.5578520894050598,
];
// LN_NO_BIAS named_parameters: [weight]
// LN_NO_BIAS state_dict: [weight]
/// shape [2, 3, 4]
const LN_NO_BIAS: [f64; 24] = [
    0.28521406650543213,
    0.5602419376373291,
    1.5584911108016968,
    0.0,
    1.7418429851531982,
    0.45837974548339844,
    0.3667038083076477,
    1.9353811740875244,
    0.010186216793954372,
    1.3853254318237305,
    0.6722903251647949,
    0.2139105498790741,
    0.6764161586761475,
    -0.02285190112888813,
    -1.4396694898605347,
    0.0,
    0.6170012354850769,
    0.9369277954101562,
    -0.09140758961439133,
    -1.4168176651000977,
    0.11425948143005371,
    0.4021933972835541,
    -1.2888469696044922,
    -0.1234002411365509,
];
/// shape [2, 3, 4]
const LN_NO_BIAS_GRAD_X: [f64; 24] = [
    -0.18656492233276367,
    -0.198675274848938,
    -0.05533874034881592,
    0.44186174869537354,
    0.022302746772766113,
    -0.2418094277381897,
    -0.15205758810043335,
    0.093141108751297,
    0.6922037601470947,
    -0.0940590500831604,
    -0.25630903244018555,
    -0.06469506025314331,
    -0.15415361523628235,
    0.9652482271194458,
    0.4210319221019745,
    -0.02227204106748104,
    -1.3708751201629639,
    -0.09571641683578491,
    0.6946181058883667,
    0.6622843146324158,
    -0.11008698493242264,
    -1.367282509803772,
    -0.08334697037935257,
    0.46055102348327637,
];
/// shape [3, 4]
const LN_NO_BIAS_GRAD_W: [f64; 12] = [
    -0.9799396991729736,
    -0.6105161309242249,
    -1.1725525856018066,
    -0.6777300238609314,
    -0.7419836521148682,
    -0.9207931756973267,
    -0.7785747051239014,
    -1.1473413705825806,
    -0.4592490792274475,
    -0.7987989187240601,
    -0.7843387126922607,
    -0.8693253397941589,
];
// LN_NO_AFFINE_BIAS named_parameters: []

// ---------------------------------------------------------------- Conv2d padding='same'

fn same(dilation: [usize; 2], groups: usize, bias: bool) -> Conv2dConfig {
    Conv2dConfig { padding: Padding::Same, dilation, groups, bias, ..Conv2dConfig::default() }
}

#[test]
fn conv2d_same_asymmetric_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let cases: [ConvCase; 4] = [
            (pattern_conv(dev, 2, 3, [2, 2], same([1, 1], 1, true)), &[1, 2, 5, 4], &[1, 3, 5, 4], &CONV_SAME_K2),
            (
                pattern_conv(dev, 2, 2, [4, 3], same([1, 2], 1, true)),
                &[2, 2, 6, 5],
                &[2, 2, 6, 5],
                &CONV_SAME_K4X3_D1X2,
            ),
            (
                pattern_conv(dev, 2, 4, [2, 4], same([3, 1], 2, false)),
                &[1, 2, 5, 7],
                &[1, 4, 5, 7],
                &CONV_SAME_K2X4_D3X1_G2,
            ),
            (pattern_conv(dev, 1, 2, [2, 2], same([2, 2], 1, true)), &[1, 1, 4, 5], &[1, 2, 4, 5], &CONV_SAME_K2_D2),
        ];
        for (c, x, shape, want) in &cases {
            assert_values(dev, c.forward(&input(pattern(dev, x, 6)))?.tensor_ref(), shape, want, TOL);
        }
        // An unbatched [C, H, W] input is padded the same way.
        let (c, x, shape, want) = &cases[0];
        let y = c.forward(&input(pattern(dev, x, 6).squeeze_dim(0)?))?;
        assert_values(dev, y.tensor_ref(), &shape[1..], want, TOL);
        // The gradients reach the input through the padding (PyTorch's, of sum(y * pattern(dev, .., 7))).
        let x = Var::parameter(pattern(dev, &[1, 2, 5, 4], 6));
        c.forward(&x)?.mul(&pattern(dev, &[1, 3, 5, 4], 7))?.sum()?.backward()?;
        assert_values(dev, &x.grad().unwrap(), &[1, 2, 5, 4], &CONV_SAME_K2_GRAD_X, 1e-5);
        assert_values(dev, &c.weight.grad().unwrap(), &[3, 2, 2, 2], &CONV_SAME_K2_GRAD_W, 1e-5);
    }
    Ok(())
}

/// In and out channels, kernel, config and input shape.
type GradCase = (usize, usize, [usize; 2], Conv2dConfig, &'static [usize]);

#[test]
fn conv2d_same_asymmetric_gradcheck() -> Result<()> {
    for dev in &devices() {
        let cases: [GradCase; 4] = [
            (1, 2, [2, 2], same([1, 1], 1, true), &[1, 1, 3, 4]),
            (2, 2, [4, 3], same([1, 2], 2, true), &[2, 2, 4, 5]),
            (2, 1, [2, 3], same([3, 1], 1, true), &[1, 2, 4, 3]),
            (1, 1, [3, 2], same([1, 1], 1, true), &[1, 3, 4]),
        ];
        for (cin, cout, k, config, x) in cases {
            conv_gradcheck(dev, cin, cout, k, config, x)?;
        }
    }
    Ok(())
}

#[test]
fn conv2d_same_needs_stride_one() {
    for dev in &devices() {
        // CONV_SAME_ERRORS: PyTorch refuses padding='same' with any stride but 1.
        for (k, stride) in [(2, [2, 2]), (3, [1, 2]), (2, [2, 1])] {
            let config = Conv2dConfig { padding: Padding::Same, stride, ..Conv2dConfig::default() };
            let e = Conv2d::new(1, 1, k, config, dev).unwrap_err();
            assert!(
                e.to_string().contains("padding='same' is not supported for strided convolutions"),
                "on {dev}: {e}"
            );
        }
        // Explicit padding with a stride is fine.
        assert!(
            Conv2d::new(1, 1, 2, Conv2dConfig { padding: 1.into(), stride: [2, 2], ..Default::default() }, dev).is_ok(),
            "on {dev}"
        );
    }
}

// ---------------------------------------------------------------- BatchNorm

#[test]
fn batch_norm_momentum_none_is_a_cumulative_average() -> Result<()> {
    for dev in &devices() {
        let config = BatchNormConfig { momentum: None, ..BatchNormConfig::default() };
        let mut bn = BatchNorm1d::with_config(3, config, dev)?;
        set_params(&mut bn, &[("weight", pattern(dev, &[3], 5)), ("bias", pattern(dev, &[3], 6))]);
        assert_values(
            dev,
            bn.forward(&input(pattern(dev, &[4, 3], 7)))?.tensor_ref(),
            &[4, 3],
            &BN_CMA_TRAIN_OUT_1,
            TOL,
        );
        // The first batch's statistics replace the initial ones (weight 1 / 1).
        assert_values(dev, bn.running_mean().unwrap(), &[3], &BN_CMA_RUNNING_MEAN_1, TOL);
        assert_values(dev, bn.running_var().unwrap(), &[3], &BN_CMA_RUNNING_VAR_1, TOL);
        bn.forward(&input(pattern(dev, &[4, 3], 8)))?;
        bn.forward(&input(pattern(dev, &[2, 3, 3], 9)))?;
        assert_values(dev, bn.running_mean().unwrap(), &[3], &BN_CMA_RUNNING_MEAN_3, TOL);
        assert_values(dev, bn.running_var().unwrap(), &[3], &BN_CMA_RUNNING_VAR_3, TOL);
        assert_eq!(bn.num_batches_tracked().unwrap().item::<i64>()?, 3, "on {dev}");
        bn.eval();
        assert_values(dev, bn.forward(&input(pattern(dev, &[2, 3], 10)))?.tensor_ref(), &[2, 3], &BN_CMA_EVAL_OUT, TOL);
        assert_eq!(bn.state_dict()["num_batches_tracked"].item::<i64>()?, 3, "on {dev}");
    }
    Ok(())
}

#[test]
fn batch_norm2d_momentum_none_without_affine() -> Result<()> {
    for dev in &devices() {
        let config = BatchNormConfig { momentum: None, affine: false, ..BatchNormConfig::default() };
        let bn = BatchNorm2d::with_config(2, config, dev)?;
        // BN2D_CMA_NO_AFFINE state_dict: num_batches_tracked, running_mean, running_var
        assert_eq!(state_keys(&bn), ["num_batches_tracked", "running_mean", "running_var"], "on {dev}");
        assert_eq!(bn.num_parameters(), 0, "on {dev}");
        bn.forward(&input(pattern(dev, &[2, 2, 3, 3], 14)))?;
        let y = bn.forward(&input(pattern(dev, &[1, 2, 2, 3], 15)))?;
        assert_values(dev, y.tensor_ref(), &[1, 2, 2, 3], &BN2D_CMA_NO_AFFINE_OUT_2, TOL);
        assert_values(dev, bn.running_mean().unwrap(), &[2], &BN2D_CMA_NO_AFFINE_RUNNING_MEAN, TOL);
        assert_values(dev, bn.running_var().unwrap(), &[2], &BN2D_CMA_NO_AFFINE_RUNNING_VAR, TOL);
    }
    Ok(())
}

#[test]
fn batch_norm_without_running_stats_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let config = BatchNormConfig { eps: 1e-3, track_running_stats: false, ..BatchNormConfig::default() };
        let mut bn = BatchNorm2d::with_config(2, config, dev)?;
        set_params(&mut bn, &[("weight", pattern(dev, &[2], 12)), ("bias", pattern(dev, &[2], 13))]);
        // BN_NOTRACK state_dict: weight, bias
        assert_eq!(names(&bn), ["weight", "bias"], "on {dev}");
        assert_eq!(state_keys(&bn), ["bias", "weight"], "on {dev}");
        assert!(
            bn.running_mean().is_none() && bn.running_var().is_none() && bn.num_batches_tracked().is_none(),
            "on {dev}"
        );
        assert_values(
            dev,
            bn.forward(&input(pattern(dev, &[2, 2, 2, 3], 16)))?.tensor_ref(),
            &[2, 2, 2, 3],
            &BN_NOTRACK_TRAIN_OUT,
            TOL,
        );
        // Eval mode normalises with the batch statistics too, and the gradient goes through them.
        bn.eval();
        let x = Var::parameter(pattern(dev, &[2, 2, 2, 3], 17));
        let y = bn.forward(&x)?;
        assert_values(dev, y.tensor_ref(), &[2, 2, 2, 3], &BN_NOTRACK_EVAL_OUT, TOL);
        y.mul(&pattern(dev, &[2, 2, 2, 3], 18))?.sum()?.backward()?;
        assert_values(dev, &x.grad().unwrap(), &[2, 2, 2, 3], &BN_NOTRACK_EVAL_GRAD_X, 1e-5);
        assert_values(dev, &bn.named_parameters()[0].1.grad().unwrap(), &[2], &BN_NOTRACK_EVAL_GRAD_W, 1e-5);
        // ... so one value per channel is an error in eval mode as well.
        let mut bn1 =
            BatchNorm1d::with_config(2, BatchNormConfig { track_running_stats: false, ..Default::default() }, dev)?;
        bn1.eval();
        let e = bn1.forward(&input(pattern(dev, &[1, 2], 0))).unwrap_err();
        assert!(e.to_string().contains("more than 1 value per channel"), "on {dev}: {e}");
    }
    Ok(())
}

#[test]
fn batch_norm_without_affine_or_running_stats() -> Result<()> {
    for dev in &devices() {
        let config = BatchNormConfig { affine: false, track_running_stats: false, ..BatchNormConfig::default() };
        let mut bn = BatchNorm1d::with_config(3, config, dev)?;
        // BN_BARE state_dict: []
        assert!(state_keys(&bn).is_empty() && names(&bn).is_empty(), "on {dev}");
        bn.eval();
        assert_values(
            dev,
            bn.forward(&input(pattern(dev, &[2, 3, 2], 19)))?.tensor_ref(),
            &[2, 3, 2],
            &BN_BARE_EVAL_OUT,
            TOL,
        );
        // Loading an empty state dict strictly works; PyTorch's default layer's keys are unexpected.
        bn.load_state_dict(&BTreeMap::new(), true)?;
        assert!(bn.load_state_dict(&BatchNorm1d::new(3, dev)?.state_dict(), true).is_err(), "on {dev}");
    }
    Ok(())
}

#[test]
fn batch_norm_options_gradcheck() -> Result<()> {
    for dev in &devices() {
        let d = BatchNormConfig::default();
        for config in [
            BatchNormConfig { momentum: None, ..d },
            BatchNormConfig { track_running_stats: false, ..d },
            BatchNormConfig { affine: false, track_running_stats: false, ..d },
            BatchNormConfig { affine: false, momentum: None, ..d },
        ] {
            for train in [true, false] {
                let mut bn1 = BatchNorm1d::with_config(3, config, dev)?;
                let mut bn2 = BatchNorm2d::with_config(2, config, dev)?;
                if config.affine {
                    set_params(&mut bn1, &[("weight", pattern(dev, &[3], 5)), ("bias", pattern(dev, &[3], 6))]);
                    set_params(&mut bn2, &[("weight", pattern(dev, &[2], 12)), ("bias", pattern(dev, &[2], 13))]);
                }
                bn1.to_dtype(DType::F64)?;
                bn2.to_dtype(DType::F64)?;
                if !train {
                    bn1.eval();
                    bn2.eval();
                }
                gradcheck_on(|v| bn1.forward(&v[0]), &[f64s(&pattern(dev, &[4, 3], 7))])?;
                gradcheck_on(|v| bn2.forward(&v[0]), &[f64s(&pattern(dev, &[2, 2, 2, 2], 14))])?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- LayerNorm

#[test]
fn layer_norm_without_affine_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let config = LayerNormConfig { elementwise_affine: false, ..LayerNormConfig::default() };
        let ln = LayerNorm::with_config(&[4], config, dev)?;
        // LN_NO_AFFINE named_parameters: []; LN_NO_AFFINE state_dict: []
        assert!(names(&ln).is_empty() && state_keys(&ln).is_empty(), "on {dev}");
        assert!(ln.weight.is_none() && ln.bias.is_none(), "on {dev}");
        assert_values(
            dev,
            ln.forward(&input(pattern(dev, &[2, 3, 4], 18)))?.tensor_ref(),
            &[2, 3, 4],
            &LN_NO_AFFINE,
            TOL,
        );
        // LN_NO_AFFINE_BIAS named_parameters: [] (bias=True is ignored without elementwise_affine)
        let ln = LayerNorm::with_config(&[4], LayerNormConfig { bias: true, ..config }, dev)?;
        assert!(names(&ln).is_empty(), "on {dev}");
        gradcheck_on(|v| ln.forward(&v[0]), &[f64s(&pattern(dev, &[2, 2, 4], 1))])?;
    }
    Ok(())
}

#[test]
fn layer_norm_without_bias_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let config = LayerNormConfig { eps: 1e-3, bias: false, ..LayerNormConfig::default() };
        let mut ln = LayerNorm::with_config(&[3, 4], config, dev)?;
        // LN_NO_BIAS named_parameters: [weight]; LN_NO_BIAS state_dict: [weight]
        assert_eq!(names(&ln), ["weight"], "on {dev}");
        assert_eq!(state_keys(&ln), ["weight"], "on {dev}");
        assert!(ln.bias.is_none(), "on {dev}");
        ln.weight = Some(Var::parameter(pattern(dev, &[3, 4], 16)));
        let x = Var::parameter(pattern(dev, &[2, 3, 4], 18));
        let y = ln.forward(&x)?;
        assert_values(dev, y.tensor_ref(), &[2, 3, 4], &LN_NO_BIAS, TOL);
        y.mul(&pattern(dev, &[2, 3, 4], 19))?.sum()?.backward()?;
        assert_values(dev, &x.grad().unwrap(), &[2, 3, 4], &LN_NO_BIAS_GRAD_X, 1e-5);
        assert_values(dev, &ln.weight.as_ref().unwrap().grad().unwrap(), &[3, 4], &LN_NO_BIAS_GRAD_W, 1e-5);
        // The default layer's state dict has a bias this one does not expect.
        assert!(ln.load_state_dict(&LayerNorm::new(&[3, 4], dev)?.state_dict(), true).is_err(), "on {dev}");
        gradcheck_on(
            |v| {
                let mut ln =
                    LayerNorm::with_config(&[3], LayerNormConfig { bias: false, ..LayerNormConfig::default() }, dev)?;
                ln.weight = Some(v[1].clone());
                ln.forward(&v[0])
            },
            &[f64s(&pattern(dev, &[2, 2, 3], 1)), f64s(&pattern(dev, &[3], 2))],
        )?;
    }
    Ok(())
}

#[test]
fn layer_norm_defaults_unchanged() -> Result<()> {
    for dev in &devices() {
        let ln = LayerNorm::new(&[3], dev)?;
        assert_eq!(names(&ln), ["weight", "bias"], "on {dev}");
        assert_eq!(
            LayerNormConfig::default(),
            LayerNormConfig { eps: 1e-5, elementwise_affine: true, bias: true },
            "on {dev}"
        );
        let d = BatchNormConfig::default();
        assert_eq!(
            d,
            BatchNormConfig { eps: 1e-5, momentum: Some(0.1), affine: true, track_running_stats: true },
            "on {dev}"
        );
    }
    Ok(())
}
