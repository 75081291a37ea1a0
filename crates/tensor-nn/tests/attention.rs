//! Attention against PyTorch: `scaled_dot_product_attention` (values and gradients, with no
//! mask, a bool mask, a float mask with a scale, causal) and `MultiheadAttention` with given
//! weights, a key padding mask and a float attn_mask. The literals are printed by
//! `scripts/pytorch/attention_literals.py` (torch 2.15, CPU, float64), whose inputs are
//! `pat(shape, k)[i] = sin(0.7 i + k)`; plus gradcheck of both. TransformerEncoderLayer and the
//! GPT model, from the same script, are in `transformer.rs`.
//!
//! Every test runs on every device (`common::devices`): inputs, masks and modules live on the
//! device (modules built on the CPU with the script's weights and moved there), results and
//! gradients are checked to stay there, and on a GPU the float64 comparisons widen to PyTorch's
//! `assert_close` tolerance (`common::near`); gradcheck runs there (`common::gradcheck_on`).

use tensor_autograd::Var;
use tensor_core::{DType, Device, Result, Tensor};
use tensor_nn::functional as F;
use tensor_nn::{MhaOptions, Module, ModuleExt, MultiheadAttention, SdpaOptions};

use crate::common::{assert_on, devices, gradcheck_on, near, CPU};

/// The script's `pat(shape, k)[i] = sin(0.7 i + k)`, float64, on `dev`.
pub(crate) fn pat(dev: &Device, shape: &[usize], k: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (0.7 * i as f64 + k).sin()).collect();
    Tensor::from_vec(v, shape).unwrap().to_device(dev).unwrap()
}

/// Asserts `got` lives on `dev` and holds PyTorch's float64 `want` to 1e-12 (relative), or on
/// a GPU to float64's `assert_close` tolerance.
#[track_caller]
pub(crate) fn close(dev: &Device, what: &str, got: &Tensor, want: &[f64]) {
    assert_on(got, dev);
    let got = got.to_vec::<f64>().unwrap();
    assert_eq!(got.len(), want.len(), "{what} on {dev}");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        assert!(near(dev, DType::F64, a, b, 1e-12), "{what} on {dev} at {i}: {a} != {b}");
    }
}

/// Asserts that every parameter and buffer of `m` lives on `dev`.
#[track_caller]
pub(crate) fn assert_module_on(m: &impl ModuleExt, dev: &Device) {
    for (name, t) in m.state_dict() {
        assert_eq!(t.device(), dev, "{name} is on {}, not on {dev}", t.device());
    }
    for (name, p) in m.named_parameters() {
        assert!(p.is_leaf() && p.requires_grad(), "{name} on {dev} is not a trainable leaf");
    }
}

const SDPA_PLAIN: [f64; 18] = [
    -0.07695789851817392,
    -0.043849346499450825,
    0.009882238342903138,
    0.1870050698674783,
    -0.10303917206579397,
    -0.34462248134504725,
    -0.22751457831621924,
    -0.24003453237377595,
    -0.13966249521291688,
    -0.046225419041046406,
    0.027059594457382596,
    0.08761805786467744,
    0.3265166484407664,
    0.4003277920287521,
    0.28585851973131304,
    0.08143369934841752,
    -0.0110862820968127,
    -0.09839221184397602,
];
const SDPA_PLAIN_DQ: [f64; 24] = [
    -0.13048125003714606,
    -0.14038730912792463,
    -0.08426702312362479,
    0.011485360564272941,
    -0.18224063015827602,
    -0.10545757014943001,
    0.02092383292068093,
    0.13746443042428755,
    0.3429551054813897,
    0.27696091303488546,
    0.0807076755544316,
    -0.15350364283148846,
    0.12915976792248351,
    0.1864706858117033,
    0.15608152647883952,
    0.052284786401852065,
    0.06545991756843472,
    -0.020540459757830008,
    -0.09688033790645015,
    -0.12765587934062902,
    -0.18301930420903162,
    -0.10796679237486165,
    0.01786418894087385,
    0.13529336306206352,
];
const SDPA_PLAIN_DK: [f64; 40] = [
    -0.08992740977102522,
    0.03127229441290373,
    0.13776414989136476,
    0.17946337305169538,
    0.12725252130651013,
    -0.05409362146093547,
    -0.20999868881915212,
    -0.26713809150569445,
    -0.14896810829687013,
    -0.13857884588665886,
    -0.06301378690175422,
    0.042187640680625985,
    -0.09819535807994836,
    0.07105399226590747,
    0.20688553979985186,
    0.24541558529019417,
    0.20983835484133356,
    0.09034618066878311,
    -0.0716372139703103,
    -0.19992850751682104,
    -0.051693174532143525,
    0.03742701321394521,
    0.10894469183230206,
    0.12922397957415988,
    0.15879489586745008,
    0.10535380355418214,
    0.0023631712307917675,
    -0.10173889744800886,
    -0.2308164802797083,
    -0.2647336943998009,
    -0.1741425154655858,
    -0.0016493904560424756,
    -0.08323389530941822,
    -0.03577697136685432,
    0.028506421240139544,
    0.07938279851277692,
    0.20694865425381992,
    0.15772984899852788,
    0.03432823116235246,
    -0.10521849018288545,
];
const SDPA_PLAIN_DV: [f64; 30] = [
    0.048285605549610894,
    -0.02697842581843543,
    -0.08955408197453979,
    -0.1897952135999207,
    -0.0543640995094509,
    0.10663530004280065,
    0.20236393593997204,
    0.056650369480725826,
    -0.1157067509317464,
    -0.34098801363919695,
    -0.1528669154931846,
    0.10714988162071631,
    0.2891068753308221,
    0.1820620928578662,
    -0.01060933668481795,
    0.1273744849896539,
    -0.01120263557438883,
    -0.14451098158178707,
    -0.2844926603573841,
    -0.13417284258972176,
    0.07925055955638342,
    0.24025926688232735,
    0.12084480361470784,
    -0.05540485904505213,
    -0.3090881989581666,
    -0.16489100511243265,
    0.05685700493070463,
    0.2348574318375758,
    0.1937797569542259,
    0.06156443448307772,
];
const SDPA_BOOL: [f64; 18] = [
    0.3595965091778671,
    0.5099579734861812,
    0.4204782345508051,
    0.2074823113912872,
    -0.15470557099811516,
    -0.4441330060058752,
    -0.43533001875400584,
    -0.3620415304378607,
    -0.11847925330182815,
    -0.407239170183787,
    -0.11097782212691248,
    0.23747812975255322,
    0.41044870444336345,
    0.5008008129037358,
    0.35561847382692113,
    0.11959881433646175,
    -0.16688182226839454,
    -0.37487533026002257,
];
const SDPA_BOOL_DQ: [f64; 24] = [
    0.06930849678891796,
    -0.018472700898167726,
    -0.09756589870893138,
    -0.13077232984766413,
    -0.1995273991619482,
    -0.12430853861049208,
    0.009374570023973867,
    0.13864867189446758,
    0.27217876792518814,
    0.22488407080581582,
    0.07182288127593157,
    -0.11501773158150018,
    0.18503035688585362,
    0.22930534741756342,
    0.16573445006390303,
    0.024216051172972167,
    -0.015523591014259137,
    -0.07785511620935318,
    -0.10357016373144015,
    -0.08057454492218113,
    -0.23020354316726513,
    -0.038464573988924555,
    0.17136488536195602,
    0.30059876147691195,
];
const SDPA_BOOL_DK: [f64; 40] = [
    -0.018527345820511954,
    0.11286226169018561,
    0.1911709840065037,
    0.1795690054155389,
    0.13243668979805354,
    -0.07748496778490564,
    -0.25096423428260417,
    -0.306411099972862,
    -0.20706129308313712,
    -0.1049571888972187,
    0.04650992122837717,
    0.17610268866270107,
    -0.11528871084531042,
    0.08997530511678803,
    0.25292252917953706,
    0.29691633574561604,
    0.208440659950906,
    -0.020395410124849356,
    -0.2396392001318139,
    -0.3461769298509942,
    -0.2259578318288009,
    -0.09059533085865094,
    0.08737556980541568,
    0.22425237470905643,
    0.16125008053829362,
    0.11356644054560752,
    0.012470729039738811,
    -0.09449016119403532,
    -0.1210382636446219,
    -0.2224187401520466,
    -0.2191922077772812,
    -0.11287615511213749,
    -0.10116979923303883,
    -0.040524908192470406,
    0.03917948039017463,
    0.10045714714905211,
    0.28691581416816797,
    0.23997253865756038,
    0.08016642854195213,
    -0.11734320555193567,
];
const SDPA_BOOL_DV: [f64; 30] = [
    -0.06287317585560558,
    -0.2594828999443231,
    -0.3340537616570706,
    -0.20170421013610335,
    -0.017834866431369528,
    0.17442249363351264,
    0.3362504871654978,
    0.0316865813402028,
    -0.28778001880588067,
    -0.3576284835431216,
    -0.16805756803035457,
    0.10055344769902537,
    0.2949285719506199,
    0.4181917745833656,
    0.34477285120282614,
    -0.027567652877612918,
    -0.28747716721357036,
    -0.41218167785433896,
    -0.30281298442918814,
    -0.09634792494460155,
    0.15543106911928625,
    0.38524223435121907,
    0.16782570986596027,
    -0.12852186831831297,
    -0.32081602432745054,
    -0.1798877921840871,
    0.04564447944774075,
    0.27486475167703894,
    0.40024525176868925,
    0.33738415594895144,
];
const SDPA_FLOAT: [f64; 18] = [
    -0.31537876254756836,
    -0.41362255467450215,
    -0.3173331963073198,
    -0.014725100951425731,
    -0.22375271381252335,
    -0.3275459291349951,
    -0.37481862999822846,
    -0.47032998169060103,
    -0.344637793885197,
    0.30927428694240944,
    0.2140150339286713,
    0.018101166381128075,
    0.35349144657491466,
    0.3137718081455586,
    0.12648038552559998,
    0.3932732335085093,
    0.16512070943284834,
    -0.14069066437133737,
];
const SDPA_FLOAT_DQ: [f64; 24] = [
    -0.0795099674377911,
    -0.05677416743119541,
    -0.007336589360871324,
    0.04555150132324145,
    -0.15690995697147142,
    -0.1738752094080658,
    -0.1090642339849557,
    0.007041354856944308,
    0.1444710327364169,
    0.02075199164517554,
    -0.11272703537560601,
    -0.1931887762507242,
    0.09678445023312482,
    0.11576666595153268,
    0.08030200976888098,
    0.00707006363841001,
    0.12070877538772641,
    0.03919259189087963,
    -0.06075647997338906,
    -0.13213082995998568,
    -0.09022058352424663,
    -0.03448372030110221,
    0.03747137540264402,
    0.09180309774813483,
];
const SDPA_FLOAT_DK: [f64; 40] = [
    -0.04632594590383582,
    0.0207833860360963,
    0.07811796677388737,
    0.09871244711101772,
    0.056452042233813955,
    -0.042483705541866625,
    -0.12143870277499673,
    -0.14327918056097216,
    -0.06881604140831919,
    -0.05379777392732565,
    -0.01347757275490516,
    0.03318134147703064,
    -0.07252300475774241,
    0.017159131832310253,
    0.09877106060279651,
    0.13392941623139304,
    0.13121294983608348,
    0.05833896160078573,
    -0.04197275184678198,
    -0.12254402425846925,
    -0.06319318257560944,
    -0.022952457397566246,
    0.0280831671365922,
    0.06591083935482037,
    0.10034530096278428,
    0.06387961174247742,
    -0.0026296570267837884,
    -0.06790215700682396,
    -0.13856324728124225,
    -0.13208850512723447,
    -0.06349047507206247,
    0.03496811747553918,
    -0.027252575864574368,
    -0.0002168340303247556,
    0.026920888236511772,
    0.041397296115234614,
    0.12866370475864175,
    0.09137818481264806,
    0.0111160767257423,
    -0.0743740959387702,
];
const SDPA_FLOAT_DV: [f64; 30] = [
    -0.16512760656096914,
    -0.1352958590342344,
    -0.041832354947586116,
    -0.35708390409088325,
    -0.17215008671220466,
    0.09374860636652937,
    0.045050815611232836,
    0.017988519975377176,
    -0.0175340576832764,
    -0.03712187189859635,
    0.015329003845842376,
    0.06057040955928921,
    0.5232557565205034,
    0.2786314434427408,
    -0.09703759122254313,
    -0.11260405744965499,
    -0.12345007514124118,
    -0.07623559353326798,
    -0.41134317679775245,
    -0.20675181490221323,
    0.09507815612805896,
    0.06835997967625312,
    0.04379374930563182,
    -0.0013693656596371895,
    -0.03775546098488873,
    -0.022224234157645198,
    0.003759397257176625,
    0.5022530399500492,
    0.31299045218785826,
    -0.02347643584900383,
];
const SDPA_CAUSAL: [f64; 16] = [
    0.6569865987187891,
    0.9881682338770004,
    0.7805185366390827,
    0.569917477648287,
    0.21635629604217851,
    -0.09889680333283507,
    -0.026190826969980707,
    0.03706971693762162,
    0.033623047221136695,
    0.6695697621966024,
    0.7333067856976307,
    0.7983788023686377,
    0.3601791161485796,
    0.14599690309188437,
    -0.07167207682581972,
    -0.058825189891340224,
];
const MHA_OUT: [f64; 24] = [
    -0.1522889706137789,
    -0.1516319518849852,
    0.17787996646607762,
    -0.24011240755622337,
    -0.12728405969031828,
    0.02305526416214096,
    -0.1763133396350134,
    0.25265806824413295,
    -0.15674618322310122,
    -0.13500299646625433,
    0.15100083248037727,
    -0.20608912189664802,
    -0.11404463739239487,
    0.011632168106536084,
    -0.1680265693265472,
    0.24846520406648454,
    -0.15196789803706737,
    -0.15514302909469044,
    0.18417532466295986,
    -0.24846458461774612,
    -0.1449288570154744,
    0.04916865402633311,
    -0.20787778095112175,
    0.2860261219374651,
];
const MHA_WEIGHTS: [f64; 18] = [
    0.3509095428516461,
    0.649090457148354,
    0.0,
    0.5391184008061791,
    0.4608815991938208,
    0.0,
    0.3060916938063263,
    0.6939083061936737,
    0.0,
    0.14836107022640474,
    0.33868249714193127,
    0.512956432631664,
    0.2996037026450627,
    0.3257726333384813,
    0.37462366401645597,
    0.0699004037491763,
    0.18487541934828405,
    0.7452241769025396,
];

#[test]
fn sdpa_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let bool_mask = Tensor::new(
            [[true, false, true, true, false], [true, true, false, true, true], [false, true, true, true, true]],
            dev,
        )?;
        let float_mask = pat(dev, &[3, 5], 4.0);
        let cases: [(&str, SdpaOptions<'_>, [&[f64]; 4]); 3] = [
            ("plain", SdpaOptions::default(), [&SDPA_PLAIN, &SDPA_PLAIN_DQ, &SDPA_PLAIN_DK, &SDPA_PLAIN_DV]),
            (
                "bool mask",
                SdpaOptions { attn_mask: Some(&bool_mask), ..Default::default() },
                [&SDPA_BOOL, &SDPA_BOOL_DQ, &SDPA_BOOL_DK, &SDPA_BOOL_DV],
            ),
            (
                "float mask, scale",
                SdpaOptions { attn_mask: Some(&float_mask), scale: Some(0.3), ..Default::default() },
                [&SDPA_FLOAT, &SDPA_FLOAT_DQ, &SDPA_FLOAT_DK, &SDPA_FLOAT_DV],
            ),
        ];
        for (what, opts, want) in cases {
            let (q, k, v) = (
                Var::new(pat(dev, &[2, 3, 4], 0.0), true),
                Var::new(pat(dev, &[2, 5, 4], 1.0), true),
                Var::new(pat(dev, &[2, 5, 3], 2.0), true),
            );
            let out = F::scaled_dot_product_attention(&q, &k, &v, opts)?;
            close(dev, what, out.tensor_ref(), want[0]);
            out.backward_with(&pat(dev, &[2, 3, 3], 3.0))?;
            close(dev, &format!("{what} dq"), &q.grad().unwrap(), want[1]);
            close(dev, &format!("{what} dk"), &k.grad().unwrap(), want[2]);
            close(dev, &format!("{what} dv"), &v.grad().unwrap(), want[3]);
        }
        let causal = SdpaOptions { is_causal: true, ..Default::default() };
        let (q, k, v) = (
            Var::constant(pat(dev, &[2, 4, 4], 5.0)),
            Var::constant(pat(dev, &[2, 4, 4], 6.0)),
            Var::constant(pat(dev, &[2, 4, 2], 7.0)),
        );
        close(dev, "causal", F::scaled_dot_product_attention(&q, &k, &v, causal)?.tensor_ref(), &SDPA_CAUSAL);
        // Errors as PyTorch's.
        let e = F::scaled_dot_product_attention(
            &q,
            &k,
            &v,
            SdpaOptions { attn_mask: Some(&bool_mask), is_causal: true, ..Default::default() },
        );
        assert!(e.unwrap_err().to_string().contains("should not be set when is_causal"), "on {dev}");
        let e = F::scaled_dot_product_attention(&q, &Var::constant(pat(dev, &[2, 4, 3], 0.0)), &v, causal)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[2, 4, 3]"), "on {dev}: {e}");
    }
    Ok(())
}

#[test]
fn sdpa_gradcheck() -> Result<()> {
    for dev in &devices() {
        let mask = pat(dev, &[3, 4], 8.0);
        for opts in
            [SdpaOptions::default(), SdpaOptions { attn_mask: Some(&mask), scale: Some(0.7), ..Default::default() }]
        {
            gradcheck_on(
                |v| F::scaled_dot_product_attention(&v[0], &v[1], &v[2], opts),
                &[pat(dev, &[2, 3, 2], 0.5), pat(dev, &[2, 4, 2], 1.5), pat(dev, &[2, 4, 3], 2.5)],
            )?;
        }
    }
    Ok(())
}

/// The script's MultiheadAttention: built on the CPU with its weights, moved to `dev`.
fn mha(dev: &Device) -> Result<MultiheadAttention> {
    let mut m = MultiheadAttention::new(4, 2, CPU)?;
    let p = |t: Tensor| Var::parameter(t);
    m.in_proj_weight = p(pat(CPU, &[12, 4], 8.0).mul(0.5)?);
    m.in_proj_bias = Some(p(pat(CPU, &[12], 9.0).mul(0.1)?));
    m.out_proj.weight = p(pat(CPU, &[4, 4], 10.0).mul(0.5)?);
    m.out_proj.bias = Some(p(pat(CPU, &[4], 11.0).mul(0.1)?));
    m.to_device(dev)?;
    assert_module_on(&m, dev);
    Ok(m)
}

#[test]
fn multihead_attention_matches_pytorch() -> Result<()> {
    for dev in &devices() {
        let m = mha(dev)?;
        let x = Var::constant(pat(dev, &[3, 2, 4], 12.0));
        let kpm = Tensor::new([[false, false, true], [false, false, false]], dev)?;
        let am = pat(dev, &[3, 3], 13.0);
        let opts = MhaOptions {
            key_padding_mask: Some(&kpm),
            attn_mask: Some(&am),
            need_weights: true,
            average_attn_weights: true,
            ..Default::default()
        };
        let (out, w) = m.attend(&x, &x, &x, opts)?;
        close(dev, "mha output", out.tensor_ref(), &MHA_OUT);
        close(dev, "mha weights", w.unwrap().tensor_ref(), &MHA_WEIGHTS);
        // Gradients reach the parameters, on the device.
        out.sum()?.backward()?;
        for (name, p) in m.named_parameters() {
            assert_on(&p.grad().unwrap_or_else(|| panic!("{name} on {dev}: no gradient")), dev);
        }
        // PyTorch's parameter names, so its state dict loads.
        let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
        // Batch-first gives the same numbers, transposed.
        let mut bf = MultiheadAttention::with_options(4, 2, 0.0, true, true, dev)?;
        (bf.in_proj_weight, bf.in_proj_bias, bf.out_proj) =
            (m.in_proj_weight.clone(), m.in_proj_bias.clone(), m.out_proj.clone());
        let (out_bf, _) = bf.attend(&x.transpose(0, 1)?, &x.transpose(0, 1)?, &x.transpose(0, 1)?, opts)?;
        close(dev, "batch_first", &out_bf.transpose(0, 1)?.contiguous()?.tensor(), &MHA_OUT);
        let y = m.forward(&x)?;
        assert_eq!(y.size(), [3, 2, 4], "on {dev}");
        assert_on(y.tensor_ref(), dev);
        assert!(MultiheadAttention::new(6, 4, dev).is_err(), "on {dev}");
    }
    Ok(())
}

#[test]
fn multihead_attention_gradcheck() -> Result<()> {
    for dev in &devices() {
        let m = mha(dev)?;
        gradcheck_on(
            |v| {
                let mut mm = m.clone();
                mm.in_proj_weight = v[1].clone();
                Ok(mm.attend(&v[0], &v[0], &v[0], MhaOptions { is_causal: true, ..Default::default() })?.0)
            },
            &[pat(dev, &[3, 2, 4], 12.0), pat(dev, &[12, 4], 8.0).mul(0.5)?],
        )?;
    }
    Ok(())
}
