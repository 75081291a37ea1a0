//! The [`Module`] trait: a forward pass plus a [`Visit`] of the module's parameters, buffers
//! and children under PyTorch's names, from which everything else ([`ModuleExt`]: named
//! parameters, state dicts, train/eval, zero_grad, device moves) is derived.
//!
//! [`ModuleExt`] needs only [`Visit`] and a child is any [`Visit`], so a module whose forward
//! takes several inputs implements [`Forward`] instead of [`Module`] and has all the rest.

use std::collections::BTreeMap;
use tensor_autograd::Var;
use tensor_core::{bail, DType, Device, Result, Tensor};

/// One named member of a module.
#[allow(missing_debug_implementations)]
pub enum Entry<'a> {
    /// A trainable parameter (`weight`, `bias`).
    Param(&'a Var),
    /// A non-trainable tensor saved in the state dict (`running_mean`).
    Buffer(&'a Tensor),
    /// A sub-module (`conv1`, `0`): any [`Visit`], so a module whose forward takes several
    /// inputs can be a child.
    Child(&'a dyn Visit),
}

/// One named member of a module, mutably (to replace it, e.g. when moving devices).
#[allow(missing_debug_implementations)]
pub enum EntryMut<'a> {
    /// A trainable parameter.
    Param(&'a mut Var),
    /// A buffer.
    Buffer(&'a mut Tensor),
    /// A sub-module.
    Child(&'a mut dyn Visit),
}

/// Lists a module's direct members. Implement it with [`module_members!`](crate::module_members)
/// for a struct whose fields are parameters, buffers and children.
pub trait Visit {
    /// Calls `f` with each direct member and its name.
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>));
    /// Calls `f` with each direct member, mutably.
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>));
    /// Switches this module's own training mode (Dropout, BatchNorm); the default does nothing.
    /// [`ModuleExt::train`] / [`ModuleExt::eval`] call it on the module and every descendant,
    /// so an override need not pass it to the children.
    fn set_training(&mut self, training: bool) {
        let _ = training;
    }
    /// This module's own training mode, as PyTorch's `module.training`, for modules whose
    /// forward depends on it (`Some`); `None` (the default) for those it does not affect.
    fn training(&self) -> Option<bool> {
        None
    }
}

/// A layer or model, as `torch.nn.Module`.
pub trait Module: Visit + Send + Sync {
    /// The forward pass.
    fn forward(&self, input: &Var) -> Result<Var>;
}

/// A forward pass over `Args` (a tuple such as `(&Var, &Tensor)` for an input and a mask),
/// for modules whose forward is not one `Var` to one `Var`, as a Python `forward(self, x,
/// mask)`. Such a module implements this (and [`Visit`], e.g. by
/// [`module_members!`](crate::module_members)) instead of [`Module`], and has all of
/// [`ModuleExt`] (state dicts, train/eval, ...); it can be a child of another module or sit in
/// a [`ModuleList`](crate::ModuleList). Every [`Module`] is `Forward<&Var>`, so generic code
/// can take either. Fields that are neither parameters, buffers nor children (a flag, a size)
/// are simply not listed in `module_members!`, which can also name the module's own training
/// flag:
///
/// ```
/// use tensor_autograd::Var;
/// use tensor_core::{Device, Result, Tensor};
/// use tensor_nn::{module_members, Dropout, Forward, Linear, ModuleExt, Visit};
///
/// /// A block whose forward takes the input and a mask.
/// struct Block {
///     proj: Linear,
///     drop: Dropout,
///     scale: f64,     // a plain number: not listed, ignored by visiting
///     training: bool, // set by train() / eval()
/// }
/// module_members!(Block { children: proj, drop; params: ; buffers: ; training: training });
///
/// impl Forward<(&Var, &Tensor)> for Block {
///     type Output = Var;
///     fn forward_with(&self, (x, mask): (&Var, &Tensor)) -> Result<Var> {
///         let y = self.drop.forward_with(&self.proj.forward_with(x)?.mul(self.scale)?)?;
///         y.masked_fill(mask, 0.0)
///     }
/// }
///
/// let mut block = Block {
///     proj: Linear::new(4, 4, true, &Device::Cpu)?,
///     drop: Dropout::new(0.5)?,
///     scale: 0.5,
///     training: true,
/// };
/// block.eval();
/// assert!(!block.training);
/// assert_eq!(block.drop.training(), Some(false));
/// assert_eq!(block.state_dict().len(), 2); // proj.weight, proj.bias
/// let x = Var::constant(Tensor::ones(&[2, 4], tensor_core::DType::F32, &Device::Cpu)?);
/// let mask = Tensor::zeros(&[2, 4], tensor_core::DType::Bool, &Device::Cpu)?;
/// assert_eq!(block.forward_with((&x, &mask))?.size(), &[2, 4]);
/// # Ok::<(), tensor_core::Error>(())
/// ```
pub trait Forward<Args>: Visit {
    /// What the forward returns (`Var`, or a tuple such as an output and a state).
    type Output;
    /// The forward pass.
    fn forward_with(&self, args: Args) -> Result<Self::Output>;
}

impl<M: Module> Forward<&Var> for M {
    type Output = Var;
    fn forward_with(&self, input: &Var) -> Result<Var> {
        self.forward(input)
    }
}

/// Implements [`Visit`] for a struct from the names of its fields:
/// `module_members!(LeNet { children: conv1, conv2; params: ; buffers: })`. Children are
/// anything that implements [`Visit`] (layers, containers, other user modules); fields not
/// listed (flags, sizes, configs) are ignored. A last section `training: field` names a `bool`
/// field that [`ModuleExt::train`] / [`ModuleExt::eval`] set and [`Visit::training`] reports
/// (see [`Forward`] for an example).
#[macro_export]
macro_rules! module_members {
    ($ty:ty { children: $($c:ident),* ; params: $($p:ident),* ; buffers: $($b:ident),* ; training: $t:ident $(;)? }) => {
        $crate::module_members!(@impl $ty { children: $($c),* ; params: $($p),* ; buffers: $($b),* }
            fn set_training(&mut self, training: bool) {
                self.$t = training;
            }
            fn training(&self) -> Option<bool> {
                Some(self.$t)
            }
        );
    };
    ($ty:ty { children: $($c:ident),* ; params: $($p:ident),* ; buffers: $($b:ident),* $(;)? }) => {
        $crate::module_members!(@impl $ty { children: $($c),* ; params: $($p),* ; buffers: $($b),* });
    };
    (@impl $ty:ty { children: $($c:ident),* ; params: $($p:ident),* ; buffers: $($b:ident),* } $($extra:item)*) => {
        impl $crate::Visit for $ty {
            fn visit(&self, f: &mut dyn FnMut(&str, $crate::Entry<'_>)) {
                $(f(stringify!($p), $crate::Entry::Param(&self.$p));)*
                $(f(stringify!($b), $crate::Entry::Buffer(&self.$b));)*
                $(f(stringify!($c), $crate::Entry::Child(&self.$c));)*
            }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&str, $crate::EntryMut<'_>)) {
                $(f(stringify!($p), $crate::EntryMut::Param(&mut self.$p));)*
                $(f(stringify!($b), $crate::EntryMut::Buffer(&mut self.$b));)*
                $(f(stringify!($c), $crate::EntryMut::Child(&mut self.$c));)*
            }
            $($extra)*
        }
    };
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn walk(m: &dyn Visit, prefix: &str, f: &mut dyn FnMut(&str, Entry<'_>)) {
    m.visit(&mut |name, e| {
        let full = join(prefix, name);
        match e {
            Entry::Child(c) => walk(c, &full, f),
            other => f(&full, other),
        }
    });
}

fn walk_mut(m: &mut dyn Visit, prefix: &str, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
    m.visit_mut(&mut |name, e| {
        let full = join(prefix, name);
        match e {
            EntryMut::Child(c) => walk_mut(c, &full, f),
            other => f(&full, other),
        }
    });
}

/// Calls `f` with `m` (named `""`) and every module below it, parents before children, with
/// their dotted names: PyTorch's `named_modules()`.
pub fn for_each_module(m: &dyn Visit, f: &mut dyn FnMut(&str, &dyn Visit)) {
    fn go(m: &dyn Visit, prefix: &str, f: &mut dyn FnMut(&str, &dyn Visit)) {
        f(prefix, m);
        m.visit(&mut |name, e| {
            if let Entry::Child(c) = e {
                go(c, &join(prefix, name), f);
            }
        });
    }
    go(m, "", f)
}

/// Sets the training mode of `m` and of every module below it (what [`ModuleExt::train`] and
/// [`ModuleExt::eval`] do), through each one's [`Visit::set_training`].
pub fn set_training(m: &mut dyn Visit, training: bool) {
    m.set_training(training);
    m.visit_mut(&mut |_, e| {
        if let EntryMut::Child(c) = e {
            set_training(c, training);
        }
    });
}

/// What every module can do, derived from its [`Visit`] (so also modules that implement
/// [`Forward`] rather than [`Module`]).
pub trait ModuleExt: Visit {
    /// Parameters with PyTorch's dotted names (`conv1.weight`, `layers.0.bias`), in order.
    fn named_parameters(&self) -> Vec<(String, Var)>
    where
        Self: Sized,
    {
        named_parameters(self)
    }
    /// The parameters, in order.
    fn parameters(&self) -> Vec<Var>
    where
        Self: Sized,
    {
        named_parameters(self).into_iter().map(|(_, v)| v).collect()
    }
    /// Total number of parameter elements.
    fn num_parameters(&self) -> usize
    where
        Self: Sized,
    {
        named_parameters(self).iter().map(|(_, v)| v.numel()).sum()
    }
    /// Parameters and buffers by name: what `state_dict()` holds (tensors share storage).
    fn state_dict(&self) -> BTreeMap<String, Tensor>
    where
        Self: Sized,
    {
        state_dict(self)
    }
    /// Training mode on (`model.train()`), for this module and every module below it.
    fn train(&mut self)
    where
        Self: Sized,
    {
        set_training(self, true)
    }
    /// Evaluation mode (`model.eval()`) for this module and every module below it: Dropout
    /// off, BatchNorm uses running statistics.
    fn eval(&mut self)
    where
        Self: Sized,
    {
        set_training(self, false)
    }
    /// Calls `f` with this module (named `""`) and every module below it, with their dotted
    /// names, as `named_modules()`.
    fn for_each_module(&self, f: &mut dyn FnMut(&str, &dyn Visit))
    where
        Self: Sized,
    {
        for_each_module(self, f)
    }
    /// Clears every parameter's gradient (`set_to_none=True`).
    fn zero_grad(&self)
    where
        Self: Sized,
    {
        named_parameters(self).iter().for_each(|(_, p)| p.zero_grad());
    }
    /// Moves parameters and buffers to `device` (parameters become new leaves there: create
    /// the optimizer after moving, as in PyTorch).
    #[track_caller]
    fn to_device(&mut self, device: &Device) -> Result<()>
    where
        Self: Sized,
    {
        map_tensors(self, &|t| t.to_device(device))
    }
    /// Casts floating-point parameters and buffers to `dtype`.
    #[track_caller]
    fn to_dtype(&mut self, dtype: DType) -> Result<()>
    where
        Self: Sized,
    {
        map_tensors(self, &|t| if t.is_floating_point() { t.to_dtype(dtype) } else { Ok(t.shallow_clone()) })
    }
    /// Copies tensors from `state` into the parameters and buffers. With `strict`, missing
    /// and unexpected keys and shape mismatches are an error that lists them all.
    #[track_caller]
    fn load_state_dict(&mut self, state: &BTreeMap<String, Tensor>, strict: bool) -> Result<()>
    where
        Self: Sized,
    {
        load_state_dict(self, state, strict)
    }
}

impl<M: Visit> ModuleExt for M {}

/// [`ModuleExt::named_parameters`] for a trait object.
pub fn named_parameters(m: &dyn Visit) -> Vec<(String, Var)> {
    let mut out = Vec::new();
    walk(m, "", &mut |name, e| {
        if let Entry::Param(p) = e {
            out.push((name.to_string(), p.clone()));
        }
    });
    out
}

/// [`ModuleExt::state_dict`] for a trait object.
pub fn state_dict(m: &dyn Visit) -> BTreeMap<String, Tensor> {
    let mut out = BTreeMap::new();
    walk(m, "", &mut |name, e| match e {
        Entry::Param(p) => {
            out.insert(name.to_string(), p.tensor());
        }
        Entry::Buffer(b) => {
            out.insert(name.to_string(), b.shallow_clone());
        }
        Entry::Child(_) => {}
    });
    out
}

#[track_caller]
fn map_tensors(m: &mut dyn Visit, f: &dyn Fn(&Tensor) -> Result<Tensor>) -> Result<()> {
    let mut err = None;
    walk_mut(m, "", &mut |_, e| {
        if err.is_some() {
            return;
        }
        let r = match e {
            EntryMut::Param(p) => f(p.tensor_ref()).map(|t| *p = Var::new(t, p.requires_grad())),
            EntryMut::Buffer(b) => f(b).map(|t| *b = t),
            EntryMut::Child(_) => Ok(()),
        };
        if let Err(e) = r {
            err = Some(e);
        }
    });
    err.map_or(Ok(()), Err)
}

/// [`ModuleExt::load_state_dict`] for a trait object.
#[track_caller]
pub fn load_state_dict(m: &mut dyn Visit, state: &BTreeMap<String, Tensor>, strict: bool) -> Result<()> {
    let mut missing = Vec::new();
    let mut mismatched = Vec::new();
    let mut seen = Vec::new();
    let mut err = None;
    walk_mut(m, "", &mut |name, e| {
        let target = match e {
            EntryMut::Param(p) => p.tensor(),
            EntryMut::Buffer(b) => b.shallow_clone(),
            EntryMut::Child(_) => return,
        };
        match state.get(name) {
            None => missing.push(name.to_string()),
            Some(src) if src.shape() != target.shape() => {
                // A key with the wrong shape is a size mismatch, not also an unexpected key.
                seen.push(name.to_string());
                mismatched.push(format!(
                    "{name}: copying a param with shape {:?}, the shape in current model is {:?}",
                    src.shape(),
                    target.shape()
                ))
            }
            Some(src) => {
                seen.push(name.to_string());
                let mut t = target;
                if let Err(e) = t.copy_(src) {
                    err.get_or_insert(e);
                }
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let unexpected: Vec<&String> = state.keys().filter(|k| !seen.contains(k) && !missing.contains(k)).collect();
    if !mismatched.is_empty() || (strict && (!missing.is_empty() || !unexpected.is_empty())) {
        bail!(
            Value,
            "load_state_dict",
            "Error(s) in loading state_dict: missing keys {:?}; unexpected keys {:?}; size mismatches {:?}",
            missing,
            unexpected,
            mismatched
        );
    }
    Ok(())
}
