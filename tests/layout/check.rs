//! The layout checker: reads Rust sources as text (the `use` trees, `crate::`/`super::` paths,
//! diesel writes and SQL writes, line counts) and reports what breaks the rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

/// The floors, bottom first; a module imports only from floors below its own (and, among core
/// rooms and infrastructure, from siblings, as long as no circle forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Floor {
    Domain,
    Infra,
    Core,
    Flow,
    Door,
    Assembler,
    Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    UpImport,
    SiblingImport,
    Circle,
    ForeignWrite,
    UnknownRoom,
    LongModule,
    LongFunction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: Kind,
    pub at: String,
    pub what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} at {}: {}", self.kind, self.at, self.what)
    }
}

/// One file: its path under the crate's source directory (`sync/run.rs`) and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: String,
    pub text: String,
}

impl Source {
    pub fn load(dir: &Path) -> Vec<Source> {
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// The code without its test items and comment lines.
    fn code(&self) -> String {
        without_tests(&self.text)
            .into_iter()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The module's length without its test items.
    fn lines_before_tests(&self) -> usize {
        without_tests(&self.text).len()
    }

    /// `sync/run.rs` → `[sync, run]`; `sync/mod.rs` → `[sync]`; `lib.rs` → `[]`.
    fn module(&self) -> Vec<String> {
        let mut parts: Vec<String> = self.path.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            parts.pop();
        }
        parts
    }

    fn room(&self) -> String {
        self.path.split('/').next().unwrap_or("").trim_end_matches(".rs").to_owned()
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            out.push(Source { path: rel, text: std::fs::read_to_string(&p).unwrap_or_default() });
        }
    }
}

pub struct Layout {
    pub floors: &'static [(&'static str, Floor)],
    pub owners: &'static [(&'static str, &'static str)],
    pub fused: &'static [(&'static str, &'static [&'static str])],
    pub not_rooms: &'static [&'static str],
    pub max_lines: usize,
    pub max_fn_lines: usize,
}

impl Layout {
    pub fn check(&self, sources: &[Source]) -> Vec<Violation> {
        let mut out = Vec::new();
        let modules: BTreeSet<Vec<String>> = sources.iter().map(Source::module).collect();
        let mut room_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut sibling_edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for s in sources {
            let code = s.code();
            let room = s.room();
            if !self.floors.is_empty() && self.floor(&room).is_none() {
                out.push(v(Kind::UnknownRoom, &s.path, format!("`{room}` has no floor in the layout test")));
            }
            for path in paths(&code, &s.module()) {
                let Some(target) = resolve(&path, &modules) else { continue };
                let to_room = target.first().cloned().unwrap_or_default();
                if !to_room.is_empty() && to_room != room {
                    if let Some(kind) = self.import_kind(&room, &to_room) {
                        out.push(v(kind, &s.path, format!("{room} → {to_room} ({})", path.join("::"))));
                    }
                    room_edges.entry(room.clone()).or_default().insert(to_room);
                } else if let Some((from, to)) = siblings(&s.module(), &target) {
                    sibling_edges.entry(from).or_default().insert(to);
                }
            }
            if !self.not_rooms.contains(&room.as_str()) {
                for table in writes(&code) {
                    self.check_write(s, &room, &table, &mut out);
                }
            }
            if s.lines_before_tests() > self.max_lines {
                let what = format!("{} lines before its tests (at most {})", s.lines_before_tests(), self.max_lines);
                out.push(v(Kind::LongModule, &s.path, what));
            }
            for (name, line, n) in long_functions(&s.text, self.max_fn_lines) {
                out.push(v(Kind::LongFunction, &format!("{}:{line}", s.path), format!("fn {name}: {n} lines")));
            }
        }
        for c in circles(&room_edges) {
            out.push(v(Kind::Circle, "rooms", c.join(" ↔ ")));
        }
        for c in circles(&sibling_edges) {
            let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
            out.push(v(Kind::Circle, "modules", names.join(" ↔ ")));
        }
        out
    }

    fn floor(&self, room: &str) -> Option<Floor> {
        self.floors.iter().find(|(r, _)| *r == room).map(|(_, f)| *f)
    }

    /// What an import from `from` to `to` breaks, if anything.
    fn import_kind(&self, from: &str, to: &str) -> Option<Kind> {
        let (Some(a), Some(b)) = (self.floor(from), self.floor(to)) else { return None };
        if b > a {
            Some(Kind::UpImport)
        } else if a == b && matches!(a, Floor::Flow | Floor::Door) {
            Some(Kind::SiblingImport)
        } else {
            None
        }
    }

    fn check_write(&self, s: &Source, room: &str, table: &str, out: &mut Vec<Violation>) {
        let fused = self.fused.iter().any(|(file, tables)| *file == s.path && tables.contains(&table));
        match self.owners.iter().find(|(t, _)| *t == table) {
            Some((_, owner)) if *owner == room || fused => {}
            Some((_, owner)) => {
                out.push(v(Kind::ForeignWrite, &s.path, format!("writes `{table}`, which is {owner}'s")));
            }
            None if self.owners.is_empty() => {}
            None => out.push(v(Kind::ForeignWrite, &s.path, format!("writes `{table}`, which has no owner listed"))),
        }
    }
}

fn v(kind: Kind, at: &str, what: String) -> Violation {
    Violation { kind, at: at.to_owned(), what }
}

/// Every module path the code names, absolute (`crate` dropped): the `use` trees expanded, and
/// the `crate::`, `super::` and `self::` paths in expressions and types.
fn paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    static USE: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"(?s)\buse\s+((?:crate|super|self)::[^;]*);").expect("regex"));
    static INLINE: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"\b((?:crate|super|self)(?:::(?:super|[a-z_][a-z0-9_]*))+)").expect("regex")
    });
    let mut out = Vec::new();
    for c in USE.captures_iter(code) {
        for p in expand("", &c[1]) {
            out.extend(absolute(&p, module));
        }
    }
    let without_uses = USE.replace_all(code, "");
    for c in INLINE.captures_iter(&without_uses) {
        out.extend(absolute(&c[1], module));
    }
    out
}

/// A `use` tree as paths: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(prefix: &str, tree: &str) -> Vec<String> {
    let tree = tree.split_whitespace().collect::<Vec<_>>().join(" ").replace(":: ", "::").replace(" ::", "::");
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let leaf = tree.split(" as ").next().unwrap_or("").trim().trim_end_matches("::*").to_owned();
        return vec![join(prefix, &leaf)];
    };
    let head = tree[..open].trim().trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.extend(expand(&join(prefix, head), &inner[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        out.extend(expand(&join(prefix, head), &inner[start..]));
    }
    out
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}::{b}"),
    }
}

/// `crate::a::b` → `[a, b]`; `super::x` from `[s, t]` → `[s, x]`; `self::x` → `[s, t, x]`.
fn absolute(path: &str, module: &[String]) -> Option<Vec<String>> {
    let mut parts = path.split("::");
    let first = parts.next()?;
    let mut base: Vec<String> = match first {
        "crate" => vec![],
        "self" => module.to_vec(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    for p in parts {
        if p == "self" {
            continue;
        } else if p == "super" {
            base.pop()?;
        } else if p.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_') {
            base.push(p.to_owned());
        } else {
            break;
        }
    }
    Some(base)
}

/// The longest prefix of `path` that is a module of the crate.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p))
}

/// For two modules of one room that are not each other's ancestors: the children of their
/// common ancestor that contain them (the edge a circle is counted on).
fn siblings(from: &[String], to: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == 0 || common == from.len() || common == to.len() {
        return None;
    }
    Some((from[..=common].to_vec(), to[..=common].to_vec()))
}

/// The lines of `text` without each `#[cfg(test)]` item (as rustfmt lays it out: a one-line
/// item ends with `;`, a block ends with a `}` at the item's indent). Code after a test module
/// still counts.
fn without_tests(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "#[cfg(test)]" {
            out.push(lines[i]);
            i += 1;
            continue;
        }
        // Past further attributes to the item itself.
        let mut j = i + 1;
        while j < lines.len() && lines[j].trim_start().starts_with("#[") {
            j += 1;
        }
        let Some(item) = lines.get(j) else { break };
        let indent = &item[..item.len() - item.trim_start().len()];
        let close = format!("{indent}}}");
        i = if item.trim_end().ends_with(';') {
            j + 1
        } else {
            // An unclosed item hides the rest of the file, as the compiler would refuse it anyway.
            lines[j..].iter().position(|l| l.trim_end() == close).map_or(lines.len(), |end| j + end + 1)
        };
    }
    out
}

/// The tables written: diesel's `insert_into`/`update`/`delete` of `x::table`, and SQL's
/// `INSERT INTO x`, `UPDATE x`, `DELETE FROM x` (a name built at run time is nobody's).
fn writes(code: &str) -> Vec<String> {
    static DSL: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"\b(?:insert_into|update|delete)\(\s*(?:[a-z_]+::)*([a-z_]+)::table\b").expect("regex")
    });
    static SQL: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"\b(?:INSERT INTO|UPDATE|DELETE FROM)\s+([a-z_]+)\b").expect("regex"));
    DSL.captures_iter(code).chain(SQL.captures_iter(code)).map(|c| c[1].to_owned()).collect()
}

/// Functions longer than `max` lines (signature to closing brace, as rustfmt lays them out),
/// before the tests: (name, first line, lines).
fn long_functions(text: &str, max: usize) -> Vec<(String, usize, usize)> {
    static FN: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([a-z_][a-z0-9_]*)")
            .expect("regex")
    });
    let lines = without_tests(text);
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(c) = FN.captures(line) else { continue };
        let indent = &c[1];
        // The signature ends with the body's `{` (or a `;`: a declaration without a body).
        let Some(open) = lines[i..].iter().position(|l| l.trim_end().ends_with('{') || l.trim_end().ends_with(';'))
        else {
            continue;
        };
        if lines[i + open].trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + open + 1..].iter().position(|l| l.trim_end() == close) {
            let n = open + end + 2;
            if n > max {
                out.push((c[2].to_owned(), i + 1, n));
            }
        }
    }
    out
}

/// The strongly connected components with more than one member (Tarjan).
fn circles<T: Ord + Clone>(edges: &BTreeMap<T, BTreeSet<T>>) -> Vec<Vec<T>> {
    struct State<T> {
        index: BTreeMap<T, usize>,
        low: BTreeMap<T, usize>,
        stack: Vec<T>,
        on: BTreeSet<T>,
        next: usize,
        out: Vec<Vec<T>>,
    }
    fn visit<T: Ord + Clone>(n: &T, edges: &BTreeMap<T, BTreeSet<T>>, s: &mut State<T>) {
        s.index.insert(n.clone(), s.next);
        s.low.insert(n.clone(), s.next);
        s.next += 1;
        s.stack.push(n.clone());
        s.on.insert(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            if !s.index.contains_key(m) {
                visit(m, edges, s);
                let low = s.low[n].min(s.low[m]);
                s.low.insert(n.clone(), low);
            } else if s.on.contains(m) {
                let low = s.low[n].min(s.index[m]);
                s.low.insert(n.clone(), low);
            }
        }
        if s.low[n] == s.index[n] {
            let mut comp = Vec::new();
            while let Some(m) = s.stack.pop() {
                s.on.remove(&m);
                let done = &m == n;
                comp.push(m);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on: BTreeSet::new(),
        next: 0,
        out: vec![],
    };
    for n in edges.keys() {
        if !s.index.contains_key(n) {
            visit(n, edges, &mut s);
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_trees_expand() {
        let got = expand("", "crate::{a::{b, c::D}, e as f, g::*}");
        assert_eq!(got, vec!["crate::a::b", "crate::a::c::D", "crate::e", "crate::g"]);
    }
}
