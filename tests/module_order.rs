//! No import cycle inside a crate. Each crate's `lib.rs` map (its
//! ``//! - [`name`]`` lines) lists the crate's modules in dependency order:
//! a module only uses modules listed before it. The scenario: a contributor
//! writes `use crate::x::…`, `crate::x::…` or `super::x` in a module the map
//! lists before `x`, or adds a module without listing it; this test reads
//! every crate's sources and names the file, the line and the two modules.
//!
//! A folder module (`send/`, `admin/`) is held to its own map (in its
//! `mod.rs`, or `x.rs` for `x/`) the same way; a folder without a map must
//! at least hold no cycle. A module may always use its own submodules and
//! the items of the modules that contain it (`lib.rs`, a folder's root).
//! Comments, strings and `tests` modules' own `super::` are read as rustc
//! reads them; `$crate::` inside a macro is not a use.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The crates held to their maps (bench and the tests have none).
const CRATES: [&str; 4] = [
    "remote-message",
    "remote-message-cli",
    "publisher",
    "subscriber",
];

#[test]
fn modules_use_only_modules_listed_before_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let problems: Vec<String> = CRATES
        .iter()
        .flat_map(|name| check_crate(root, name))
        .collect();
    assert!(
        problems.is_empty(),
        "{} module order problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A module's path inside its crate: `[]` is the crate root, `["send", "plan"]` is `send::plan`.
type ModPath = Vec<String>;

/// One source file: the module its code belongs to, and where `super::` starts from.
struct Source {
    file: PathBuf,
    module: ModPath,
    /// `module`, or for a `tests.rs` file, `module` plus `tests`.
    scope: ModPath,
}

/// Every problem of one crate, one line each.
fn check_crate(root: &Path, name: &str) -> Vec<String> {
    let src = root.join(name).join("src");
    let sources = sources(&src);
    let shown = |file: &Path| {
        file.strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string()
    };
    let modules: BTreeSet<ModPath> = sources
        .iter()
        .filter(|s| s.scope == s.module)
        .map(|s| s.module.clone())
        .collect();
    // A map for each module that has one: its file and its names, in order.
    let maps: BTreeMap<ModPath, (PathBuf, Map)> = sources
        .iter()
        .filter(|s| s.scope == s.module)
        .filter_map(|s| {
            let map = map_of(&fs::read_to_string(&s.file).unwrap());
            (!map.is_empty()).then(|| (s.module.clone(), (s.file.clone(), map)))
        })
        .collect();
    let mut problems = Vec::new();
    for module in &modules {
        let Some((parent, last)) = module.split_last().map(|(l, p)| (p.to_vec(), l)) else {
            continue;
        };
        if let Some((file, map)) = maps.get(&parent) {
            if !map.contains_key(last) {
                problems.push(format!("{}: the map does not list `{last}`", shown(file)));
            }
        }
    }
    // Uses between siblings of a folder without a map: (folder, from, to) → where.
    let mut unmapped: BTreeMap<(ModPath, String, String), String> = BTreeMap::new();
    for source in &sources {
        let text = fs::read_to_string(&source.file).unwrap();
        for (line, path) in uses(&text, &source.scope) {
            let target = known_prefix(&path, &modules, &maps);
            let from = &source.module;
            if target.starts_with(from) || from.starts_with(&target) {
                continue; // its own submodules, or what contains it
            }
            let shared = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
            let (s, t) = (&from[shared], &target[shared]);
            let at = format!("{}:{line}", shown(&source.file));
            match maps.get(&from[..shared]) {
                Some((file, map)) => {
                    if let (Some(ps), Some(pt)) = (map.get(s), map.get(t)) {
                        if pt > ps {
                            problems.push(format!(
                                "{at}: `{}` uses `{}`, but {}'s map lists `{t}` after `{s}`",
                                from.join("::"),
                                target.join("::"),
                                shown(file)
                            ));
                        }
                    }
                }
                None => {
                    let key = (from[..shared].to_vec(), s.clone(), t.clone());
                    unmapped.entry(key).or_insert(at);
                }
            }
        }
        problems.dedup(); // one line per use, even of a `{a, b}` group
    }
    for ((folder, s, t), at) in &unmapped {
        if reaches(&unmapped, folder, t, s, &mut BTreeSet::new()) {
            problems.push(format!(
                "{at}: `{s}` uses `{t}`, which uses `{s}` back (a cycle in `{name}::{}`, which has no map)",
                folder.join("::")
            ));
        }
    }
    problems
}

/// Whether `from` uses `to`, directly or through other modules of `folder`.
fn reaches(
    edges: &BTreeMap<(ModPath, String, String), String>,
    folder: &ModPath,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> bool {
    from == to
        || (seen.insert(from.to_owned())
            && edges
                .keys()
                .filter(|(f, s, _)| f == folder && s == from)
                .any(|(_, _, next)| reaches(edges, folder, next, to, seen)))
}

/// Every `.rs` file under `src` but `main.rs` (a binary of its own), with its module.
fn sources(src: &Path) -> Vec<Source> {
    let mut found = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path == src.join("main.rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut scope: ModPath = relative
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if matches!(scope.last().map(String::as_str), Some("lib" | "mod")) {
                scope.pop();
            }
            let mut module = scope.clone();
            if module.last().is_some_and(|last| last == "tests") {
                module.pop(); // a `tests.rs` is part of the module it tests
            }
            found.push(Source {
                file: path,
                module,
                scope,
            });
        }
    }
    found.sort_by(|a, b| a.file.cmp(&b.file));
    found
}

/// A map: each name it lists, with its place (names on one line, like
/// ``[`linux`], [`macos`]``, share theirs).
type Map = BTreeMap<String, usize>;

/// The map in a module's `//!` text: the `` [`name`] `` at the start of each `//! - ` line.
fn map_of(text: &str) -> Map {
    let mut map = Map::new();
    let lines = text.lines().filter_map(|line| line.strip_prefix("//! - "));
    for (place, mut rest) in lines.enumerate() {
        while let Some((name, after)) = rest.strip_prefix("[`").and_then(|r| r.split_once("`]")) {
            map.insert(name.to_owned(), place);
            rest = after.strip_prefix(", ").unwrap_or("");
        }
    }
    map
}

/// The longest start of `path` that names a module (or, last, an item a map lists).
fn known_prefix(
    path: &[String],
    modules: &BTreeSet<ModPath>,
    maps: &BTreeMap<ModPath, (PathBuf, Map)>,
) -> ModPath {
    let mut known = Vec::new();
    for part in path {
        let listed = maps
            .get(&known)
            .is_some_and(|(_, map)| map.contains_key(part));
        known.push(part.clone());
        if !modules.contains(&known) {
            if !listed {
                known.pop();
            }
            break;
        }
    }
    known
}

/// What the code of one file uses: (line, absolute path) for each
/// `crate::…` and `super::…` path, `use` groups (`{a, b::c}`) spread out.
/// `scope` is the file's module, where its top-level `super` starts from.
fn uses(text: &str, scope: &[String]) -> Vec<(usize, Vec<String>)> {
    let tokens = tokens(&code_only(text));
    let mut found = Vec::new();
    let mut depth = 0;
    // Inline modules (`mod tests { … }`) the scan is in: name, depth inside.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let at = |k: usize| tokens.get(k).map_or("", |t| t.1.as_str());
    let mut i = 0;
    while i < tokens.len() {
        let (line, token) = (tokens[i].0, at(i));
        match token {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                while inline.last().is_some_and(|(_, d)| *d > depth) {
                    inline.pop();
                }
            }
            "mod" if at(i + 2) == "{" => inline.push((at(i + 1).to_owned(), depth + 1)),
            "crate" | "super" if at(i + 1) == "::" && (i == 0 || at(i - 1) != "$") => {
                let mut base: Vec<String> = Vec::new();
                if token == "super" {
                    base = scope.to_vec();
                    base.extend(inline.iter().map(|(name, _)| name.clone()));
                    while at(i) == "super" && at(i + 1) == "::" {
                        base.pop();
                        i += 2;
                    }
                } else {
                    i += 2;
                }
                for path in tree(&tokens, &mut i, base) {
                    found.push((line, path));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The paths of a use tree starting at `tokens[*i]`, each after `prefix`.
fn tree(tokens: &[(usize, String)], i: &mut usize, mut prefix: Vec<String>) -> Vec<Vec<String>> {
    let token = tokens.get(*i).map_or("", |t| t.1.as_str());
    *i += 1;
    if token == "{" {
        let mut paths = Vec::new();
        while *i < tokens.len() && tokens[*i].1 != "}" {
            paths.extend(tree(tokens, i, prefix.clone()));
            // `as alias`, then the comma.
            while *i < tokens.len() && tokens[*i].1 != "}" {
                *i += 1;
                if tokens[*i - 1].1 == "," {
                    break;
                }
            }
        }
        *i += 1;
        return paths;
    }
    if token.starts_with(|c: char| c.is_alphanumeric() || c == '_') && token != "self" {
        prefix.push(token.to_owned());
        if tokens.get(*i).is_some_and(|t| t.1 == "::") {
            *i += 1;
            return tree(tokens, i, prefix);
        }
    }
    vec![prefix]
}

/// `code`'s words and punctuation with their lines: identifiers, `::`, and single characters.
fn tokens(code: &str) -> Vec<(usize, String)> {
    let mut tokens = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let mut chars = line.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if c.is_whitespace() {
                continue;
            }
            let mut end = start + c.len_utf8();
            if c.is_alphanumeric() || c == '_' {
                while let Some(&(k, d)) = chars.peek() {
                    if !(d.is_alphanumeric() || d == '_') {
                        break;
                    }
                    end = k + d.len_utf8();
                    chars.next();
                }
            } else if c == ':' && chars.peek().is_some_and(|&(_, d)| d == ':') {
                chars.next();
                end += 1;
            }
            tokens.push((n + 1, line[start..end].to_owned()));
        }
    }
    tokens
}

/// `source` with comments, strings and character literals blanked, lines
/// kept: what is left are the paths and braces rustc reads.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    let find = |from: usize, end: &str| {
        let end: Vec<char> = end.chars().collect();
        (from..chars.len())
            .find(|&k| chars[k..].starts_with(&end))
            .map_or(chars.len(), |k| k + end.len())
    };
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let hashes = (i + 1..chars.len())
            .take_while(|&k| chars[k] == '#')
            .count();
        let skip_to = match (c, at(i + 1)) {
            ('/', '/') => find(i, "\n") - 1,
            ('/', '*') => find(i + 2, "*/"),
            ('r', _) if at(i + 1 + hashes) == '"' && (hashes > 0 || at(i + 1) == '"') => {
                find(i + 2 + hashes, &format!("\"{}", "#".repeat(hashes)))
            }
            ('"', _) => {
                let mut k = i + 1;
                while k < chars.len() && chars[k] != '"' {
                    k += if chars[k] == '\\' { 2 } else { 1 };
                }
                k + 1
            }
            ('\'', '\\') => find(i + 3, "'"),
            ('\'', _) if at(i + 2) == '\'' => i + 3,
            _ => i,
        };
        if skip_to == i {
            out.push(c);
            i += 1;
        } else {
            let skipped = &chars[i..skip_to.min(chars.len())];
            out.extend(skipped.iter().map(|&k| if k == '\n' { '\n' } else { ' ' }));
            i = skip_to;
        }
    }
    out
}
