//! Containers of typed modules: [`ModuleList`] (children named `0`, `1`, ... as
//! `nn.ModuleList`) and [`ModuleDict`] (children named by their keys, in insertion order, as
//! `nn.ModuleDict`). Unlike [`Sequential`](super::Sequential), they hold one concrete type, so
//! the modules keep their own methods and fields (`blocks[2].attn`), and they have no forward
//! of their own (as PyTorch's). Their modules need only [`Visit`], so they may be modules
//! whose forward takes several inputs ([`Forward`](crate::Forward)).

use crate::{Entry, EntryMut, Module, Visit};
use tensor_autograd::Var;
use tensor_core::{bail, Result};

/// Modules of one type in order, named `0`, `1`, ... in parameter names, as `nn.ModuleList`.
/// Indexes and iterates as a `Vec` (it dereferences to one).
#[derive(Debug, Clone, Default)]
pub struct ModuleList<M> {
    modules: Vec<M>,
}

impl<M> ModuleList<M> {
    /// An empty list.
    pub fn new() -> Self {
        ModuleList { modules: Vec::new() }
    }
    /// Appends a module.
    pub fn push(&mut self, module: M) {
        self.modules.push(module);
    }
}

impl<M> From<Vec<M>> for ModuleList<M> {
    fn from(modules: Vec<M>) -> Self {
        ModuleList { modules }
    }
}

impl<M> FromIterator<M> for ModuleList<M> {
    fn from_iter<I: IntoIterator<Item = M>>(iter: I) -> Self {
        ModuleList { modules: iter.into_iter().collect() }
    }
}

impl<M> std::ops::Deref for ModuleList<M> {
    type Target = Vec<M>;
    fn deref(&self) -> &Vec<M> {
        &self.modules
    }
}

impl<M> std::ops::DerefMut for ModuleList<M> {
    fn deref_mut(&mut self) -> &mut Vec<M> {
        &mut self.modules
    }
}

impl<M: Visit> Visit for ModuleList<M> {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        for (i, m) in self.modules.iter().enumerate() {
            f(&i.to_string(), Entry::Child(m));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        for (i, m) in self.modules.iter_mut().enumerate() {
            f(&i.to_string(), EntryMut::Child(m));
        }
    }
}

impl<M: Module> Module for ModuleList<M> {
    /// A list has no forward (as PyTorch's `ModuleList`): call its modules.
    #[track_caller]
    fn forward(&self, _: &Var) -> Result<Var> {
        bail!(Unsupported, "ModuleList", "a ModuleList has no forward; iterate over its modules");
    }
}

/// Modules of one type by name, in insertion order, as `nn.ModuleDict`: parameter names carry
/// the key (`heads.cls.weight`).
#[derive(Debug, Clone, Default)]
pub struct ModuleDict<M> {
    entries: Vec<(String, M)>,
}

impl<M> ModuleDict<M> {
    /// An empty dict.
    pub fn new() -> Self {
        ModuleDict { entries: Vec::new() }
    }
    /// Inserts `module` under `key`, replacing (in place) a module already there, as
    /// `module_dict[key] = module`. A key with a `.` is refused: it would split the name.
    #[track_caller]
    pub fn insert(&mut self, key: impl Into<String>, module: M) -> Result<()> {
        let key = key.into();
        if key.is_empty() || key.contains('.') {
            bail!(Value, "ModuleDict", "module name can't be empty or contain \".\", got {key:?}");
        }
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = module,
            None => self.entries.push((key, module)),
        }
        Ok(())
    }
    /// The module under `key`.
    pub fn get(&self, key: &str) -> Option<&M> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, m)| m)
    }
    /// The module under `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut M> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, m)| m)
    }
    /// The keys, in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }
    /// `(key, module)` pairs, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &M)> {
        self.entries.iter().map(|(k, m)| (k.as_str(), m))
    }
    /// The number of modules.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<M: Visit> Visit for ModuleDict<M> {
    fn visit(&self, f: &mut dyn FnMut(&str, Entry<'_>)) {
        for (k, m) in &self.entries {
            f(k, Entry::Child(m));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, EntryMut<'_>)) {
        for (k, m) in &mut self.entries {
            f(k, EntryMut::Child(m));
        }
    }
}

impl<M: Module> Module for ModuleDict<M> {
    /// A dict has no forward (as PyTorch's `ModuleDict`): call its modules.
    #[track_caller]
    fn forward(&self, _: &Var) -> Result<Var> {
        bail!(Unsupported, "ModuleDict", "a ModuleDict has no forward; call its modules by key");
    }
}

impl<'a, M> IntoIterator for &'a ModuleList<M> {
    type Item = &'a M;
    type IntoIter = std::slice::Iter<'a, M>;
    fn into_iter(self) -> Self::IntoIter {
        self.modules.iter()
    }
}

impl<'a, M> IntoIterator for &'a mut ModuleList<M> {
    type Item = &'a mut M;
    type IntoIter = std::slice::IterMut<'a, M>;
    fn into_iter(self) -> Self::IntoIter {
        self.modules.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Linear, ModuleExt};
    use tensor_core::Device;

    #[test]
    fn names_as_pytorch() -> Result<()> {
        let list: ModuleList<Linear> =
            (0..2).map(|i| Linear::new(2, 3 + i, true, &Device::Cpu)).collect::<Result<_>>()?;
        let names: Vec<String> = list.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["0.weight", "0.bias", "1.weight", "1.bias"]);
        assert_eq!(list[1].weight.size(), [4, 2]);
        assert!(list
            .forward(&Var::constant(tensor_core::Tensor::zeros([1, 2], tensor_core::DType::F32, &Device::Cpu)?))
            .is_err());
        let mut dict = ModuleDict::new();
        dict.insert("enc", Linear::new(2, 2, false, &Device::Cpu)?)?;
        dict.insert("dec", Linear::new(2, 5, false, &Device::Cpu)?)?;
        dict.insert("enc", Linear::new(2, 7, false, &Device::Cpu)?)?;
        let names: Vec<String> = dict.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["enc.weight", "dec.weight"]);
        assert_eq!(dict.get("enc").unwrap().weight.size(), [7, 2]);
        assert!(dict.insert("a.b", Linear::new(1, 1, false, &Device::Cpu)?).is_err());
        Ok(())
    }
}
