//! The [`Module`] trait: a forward pass plus a [`Visit`] of the module's parameters, buffers
//! and children under PyTorch's names, from which everything else ([`ModuleExt`]: named
//! parameters, state dicts, train/eval, zero_grad, device moves) is derived.

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
    /// A sub-module (`conv1`, `0`).
    Child(&'a dyn Module),
}

/// One named member of a module, mutably (to replace it, e.g. when moving devices).
#[allow(missing_debug_implementations)]
pub enum EntryMut<'a> {
    /// A trainable parameter.
    Param(&'a mut Var),
    /// A buffer.
    Buffer(&'a mut Tensor),
    /// A sub-module.
    Child(&'a mut dyn Module),
}

/// Lists a module's direct members. Implement it with [`module_members!`](crate::module_members)
/// for a struct whose fields are parameters, buffers and children.
pub trait Visit {
    /// Calls `f` with each direct member and its name.
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>));
    /// Calls `f` with each direct member, mutably.
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>));
    /// Switches training mode (Dropout, BatchNorm); the default passes it to the children.
    fn set_training(&mut self, training: bool) {
        self.visit_mut(&mut |_, e| {
            if let EntryMut::Child(c) = e {
                c.set_training(training);
            }
        });
    }
}

/// A layer or model, as `torch.nn.Module`.
pub trait Module: Visit + Send + Sync {
    /// The forward pass.
    fn forward(&self, input: &Var) -> Result<Var>;
}

/// Implements [`Visit`] for a struct from the names of its fields:
/// `module_members!(LeNet { children: conv1, conv2; params: ; buffers: })`.
#[macro_export]
macro_rules! module_members {
    ($ty:ty { children: $($c:ident),* ; params: $($p:ident),* ; buffers: $($b:ident),* }) => {
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

fn walk(m: &dyn Module, prefix: &str, f: &mut dyn FnMut(&str, Entry<'_>)) {
    m.visit(&mut |name, e| {
        let full = join(prefix, name);
        match e {
            Entry::Child(c) => walk(c, &full, f),
            other => f(&full, other),
        }
    });
}

fn walk_mut(m: &mut dyn Module, prefix: &str, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
    m.visit_mut(&mut |name, e| {
        let full = join(prefix, name);
        match e {
            EntryMut::Child(c) => walk_mut(c, &full, f),
            other => f(&full, other),
        }
    });
}

/// What every [`Module`] can do, derived from its [`Visit`].
pub trait ModuleExt: Module {
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
    /// Training mode on (`model.train()`).
    fn train(&mut self)
    where
        Self: Sized,
    {
        self.set_training(true)
    }
    /// Evaluation mode (`model.eval()`): Dropout off, BatchNorm uses running statistics.
    fn eval(&mut self)
    where
        Self: Sized,
    {
        self.set_training(false)
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

impl<M: Module> ModuleExt for M {}

/// [`ModuleExt::named_parameters`] for a trait object.
pub fn named_parameters(m: &dyn Module) -> Vec<(String, Var)> {
    let mut out = Vec::new();
    walk(m, "", &mut |name, e| {
        if let Entry::Param(p) = e {
            out.push((name.to_string(), p.clone()));
        }
    });
    out
}

/// [`ModuleExt::state_dict`] for a trait object.
pub fn state_dict(m: &dyn Module) -> BTreeMap<String, Tensor> {
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
fn map_tensors(m: &mut dyn Module, f: &dyn Fn(&Tensor) -> Result<Tensor>) -> Result<()> {
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
pub fn load_state_dict(m: &mut dyn Module, state: &BTreeMap<String, Tensor>, strict: bool) -> Result<()> {
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
