//! `cargo xtask imports`: no two files of a crate import each other in a circle.
//!
//! Each crate's `src/` is read as text. A file depends on another when it names an item of it:
//! through a `use` of a `crate::`, `super::` or `self::` path (or of a child module), or through
//! such a path (or a name a `use` bound) in its code. A `pub use` is a re-export, not a
//! dependency: whoever imports through it is followed on to the file that defines the item.
//! `lib.rs` declares every module and is left out. Comments and a trailing `#[cfg(test)] mod
//! tests` are ignored. The files of each cycle found are printed, with the edges inside it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

/// One crate's files by module path (`["ops", "unary"]` for `ops/unary/mod.rs`).
struct Crate {
    files: BTreeMap<Vec<String>, String>,
}

/// One cycle: each of its files with the files of the cycle it imports.
pub type Cycle = Vec<(String, Vec<String>)>;

/// The cycles among the files of the crate whose sources are in `src` (empty when none).
pub fn cycles(src: &Path) -> Result<Vec<Cycle>, String> {
    let mut krate = Crate { files: BTreeMap::new() };
    collect(src, src, &mut krate)?;
    let module_of: HashMap<&str, &Vec<String>> = krate.files.iter().map(|(m, f)| (f.as_str(), m)).collect();
    let texts: BTreeMap<&str, String> = krate
        .files
        .values()
        .map(|f| Ok((f.as_str(), strip(&fs::read_to_string(src.join(f)).map_err(|e| format!("{f}: {e}"))?))))
        .collect::<Result<_, String>>()?;
    // Re-exports: (module, name) -> the absolute path it names.
    let mut reexports: HashMap<(Vec<String>, String), Vec<String>> = HashMap::new();
    let mut uses: HashMap<&str, Vec<(bool, String, String)>> = HashMap::new();
    for (&file, text) in &texts {
        let list = use_statements(text);
        for (public, path, alias) in &list {
            if *public {
                if let Some(abs) = absolute(&krate, module_of[file], path) {
                    reexports.insert((module_of[file].clone(), alias.clone()), abs);
                }
            }
        }
        uses.insert(file, list);
    }
    let resolve = |segs: &[String]| -> Option<&str> { resolve(&krate, &reexports, segs.to_vec(), 0) };
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (&file, text) in &texts {
        if file == "lib.rs" {
            continue;
        }
        let module = module_of[file];
        let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
        let out = edges.entry(file).or_default();
        for (public, path, alias) in &uses[file] {
            let Some(abs) = absolute(&krate, module, path) else { continue };
            if !public {
                if let Some(target) = resolve(&abs) {
                    out.insert(target);
                }
            }
            aliases.insert(alias.clone(), abs);
        }
        for path in code_paths(text) {
            let first = path.split("::").next().unwrap_or("");
            let abs = if matches!(first, "crate" | "super" | "self") {
                absolute(&krate, module, &path)
            } else {
                aliases
                    .get(first)
                    .map(|a| a.iter().cloned().chain(path.split("::").skip(1).map(String::from)).collect())
            };
            if let Some(target) = abs.as_deref().and_then(resolve) {
                out.insert(target);
            }
        }
        out.remove(file);
        out.remove("lib.rs");
    }
    Ok(strongly_connected(&edges)
        .into_iter()
        .map(|scc| {
            let members: BTreeSet<&str> = scc.iter().copied().collect();
            scc.iter()
                .map(|f| (f.to_string(), edges[f].intersection(&members).map(|s| s.to_string()).collect()))
                .collect()
        })
        .collect())
}

fn collect(root: &Path, dir: &Path, krate: &mut Crate) -> Result<(), String> {
    let mut entries: Vec<_> = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, krate)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("below the root").to_string_lossy().replace('\\', "/");
            let mut module: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            krate.files.insert(module, rel);
        }
    }
    Ok(())
}

/// The text without comments (line comments, doc comments) and without a last `mod tests`.
fn strip(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.find("//").map_or(l, |i| &l[..i])).collect::<Vec<_>>().join("\n")
}

/// `(is pub, path, the name it binds)` of every `use` statement, groups expanded.
fn use_statements(text: &str) -> Vec<(bool, String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = find_word(rest, "use") {
        let before = rest[..i].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let after = &rest[i + 3..];
        let Some(end) = after.find(';') else { break };
        for (path, alias) in expand(after[..end].trim()) {
            out.push((public, path, alias));
        }
        rest = &after[end..];
    }
    out
}

/// The index of `word` as a whole word followed by whitespace.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word).map(|i| i + from) {
        let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let after_ok = bytes.get(i + word.len()).is_some_and(|b| b.is_ascii_whitespace());
        if before_ok && after_ok {
            return Some(i);
        }
        from = i + word.len();
    }
    None
}

/// A use tree as (path, bound name) pairs: `a::{b, c::d as e, self}`.
fn expand(tree: &str) -> Vec<(String, String)> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(open) = tree.find("::{") {
        let prefix = &tree[..open];
        let inner = &tree[open + 3..tree.len().saturating_sub(1)];
        let mut parts = Vec::new();
        let (mut depth, mut cur) = (0, String::new());
        for ch in inner.chars() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(ch);
        }
        parts.push(cur);
        let mut out = Vec::new();
        for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            if part == "self" {
                out.push((prefix.to_string(), prefix.rsplit("::").next().unwrap_or("").to_string()));
            } else {
                out.extend(expand(&format!("{prefix}::{part}")));
            }
        }
        return out;
    }
    match tree.split_once(" as ") {
        Some((path, alias)) => vec![(path.trim().to_string(), alias.trim().to_string())],
        None => vec![(tree.clone(), tree.rsplit("::").next().unwrap_or("").to_string())],
    }
}

/// `crate::`/`super::`/`self::`/child-module paths made absolute from `module`.
fn absolute(krate: &Crate, module: &[String], path: &str) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut base: Vec<String> = match segs.first() {
        Some(&"crate") => {
            segs.remove(0);
            Vec::new()
        }
        Some(&("super" | "self")) => {
            let mut base = module.to_vec();
            while let Some(&s @ ("super" | "self")) = segs.first() {
                if s == "super" {
                    base.pop();
                }
                segs.remove(0);
            }
            base
        }
        Some(first) => {
            let mut child = module.to_vec();
            child.push(first.to_string());
            if !krate.files.contains_key(&child) {
                return None;
            }
            module.to_vec()
        }
        None => return None,
    };
    base.extend(segs.iter().map(|s| s.to_string()));
    Some(base)
}

/// The file that defines what `segs` names: the longest module prefix, following re-exports.
fn resolve<'a>(
    krate: &'a Crate,
    reexports: &HashMap<(Vec<String>, String), Vec<String>>,
    segs: Vec<String>,
    depth: usize,
) -> Option<&'a str> {
    for k in (0..=segs.len()).rev() {
        if let Some(file) = krate.files.get(&segs[..k]) {
            if k < segs.len() && depth < 16 {
                if let Some(target) = reexports.get(&(segs[..k].to_vec(), segs[k].clone())) {
                    let mut next = target.clone();
                    next.extend(segs[k + 1..].iter().cloned());
                    return resolve(krate, reexports, next, depth + 1);
                }
            }
            return Some(file);
        }
    }
    None
}

/// Every `a::b::c` path in code (identifiers joined by `::`, at least two segments).
fn code_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        if ident(chars[i]) && (i == 0 || !(ident(chars[i - 1]) || chars[i - 1] == ':')) {
            let start = i;
            let mut segments = 1;
            while i < chars.len() && ident(chars[i]) {
                i += 1;
            }
            while i + 2 < chars.len() && chars[i] == ':' && chars[i + 1] == ':' && ident(chars[i + 2]) {
                i += 2;
                while i < chars.len() && ident(chars[i]) {
                    i += 1;
                }
                segments += 1;
            }
            if segments > 1 {
                out.push(chars[start..i].iter().collect());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Tarjan's strongly connected components of more than one file.
fn strongly_connected<'a>(edges: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    struct State<'a> {
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(v: &'a str, edges: &BTreeMap<&'a str, BTreeSet<&'a str>>, s: &mut State<'a>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(w, edges, s);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                scc.push(w);
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for &v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(v, edges, &mut s);
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let p = dir.join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
    }

    #[test]
    fn a_circle_through_a_reexport_is_found_and_a_facade_is_not_one() {
        let dir = std::env::temp_dir().join(format!("xtask-imports-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        // a.rs -> b.rs (through the re-export in m/mod.rs) -> a.rs; m/mod.rs re-exports its
        // child, which is no dependency; c.rs is imported by a.rs only.
        write(
            &dir,
            &[
                ("lib.rs", "mod a;\nmod m;\nmod c;\npub use a::A;\n"),
                ("a.rs", "use crate::m::B;\nuse crate::c;\npub struct A(B);\nfn f() { c::g() }\n"),
                ("m/mod.rs", "mod b;\npub use b::B;\n"),
                ("m/b.rs", "pub struct B;\nfn f(_: crate::a::A) {}\n"),
                ("c.rs", "pub fn g() {}\n"),
            ],
        );
        let found = cycles(&dir).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        let files: Vec<&str> = found[0].iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(files, ["a.rs", "m/b.rs"]);
        // Break it: b no longer names a.
        write(&dir, &[("m/b.rs", "pub struct B;\n")]);
        assert!(cycles(&dir).unwrap().is_empty());
        let _ = fs::remove_dir_all(&dir);
    }
}
