//! The crate's floor plan, held by a test: imports point down only (command line and binary on
//! top, then pipelines and renderers, then plain data and the engine), no renderer reaches into a
//! pipeline, the probe or TLS code, and no two top-level modules import each other in a circle.
//!
//! The checker reads every `src/**/*.rs` (or the `src/` named by `LAYERS_SRC`, to look at an old
//! checkout), keeps the code before the first `#[cfg(test)]` line, blanks comments and literals,
//! and collects the crate-internal paths each file names (`crate::`, `super::`, `self::`; in
//! `main.rs`, `smtp_doctor::`), in `use` trees and inline. `RULES` is the plan; change it there.
//! See the graph: `cargo test --test it layers::module_graph -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use Kind::{Never, Only};

/// How a rule limits what its modules import.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Imports must fall under one of these prefixes (or under another matching `Only` rule's).
    Only,
    /// Imports must fall under none of these prefixes.
    Never,
}

/// (modules the rule is for, kind, module prefixes); prefixes match whole `::` segments.
type Rule = (&'static str, Kind, &'static [&'static str]);
/// What the checker reads: (module path such as `report::check::table`, production code).
type Unit = (String, String);
/// Module -> the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;
/// A token (a word, `::` or one character) and its 1-based line.
type Tok = (String, usize);
/// Paths as segments (`["super", "overview", "line"]`), each with the line it ends on.
type Found = Vec<(Vec<String>, usize)>;

/// What a pipeline (`run::check|discover|ports|explain`) may import: plans, outcomes, the other
/// pipelines, plain data and the engine.
#[rustfmt::skip]
const PIPELINE: &[&str] = &[
    "run::plan", "run::outcome", "run::check", "run::discover", "run::ports", "run::explain",
    "model", "cert", "dns", "probe", "providers", "secret", "smtp", "target", "tls", "verdict",
    "explain",
];
/// What a plan or an outcome may name: value and option types.
#[rustfmt::skip]
const VALUES: &[&str] = &["model", "dns", "probe", "providers", "verdict", "target", "smtp",
                          "explain"];
/// Every renderer folder, by command.
const RENDERERS: &[&str] = &[
    "report::check",
    "report::ports",
    "report::providers",
    "report::explain",
];
/// What the engine never imports.
const UPPER: &[&str] = &["run", "report", "cli", "serve"];

/// The floor plan, one row per (modules, kind, prefixes). A module obeys every row whose first
/// column it lies under: no `Never` row may match an import, and when `Only` rows apply, one of
/// them must allow it.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    // 1. The binary wires it all together: parse, run, render, exit code by severity.
    ("main", Only, &["cli", "run", "report", "verdict", "serve"]),
    // 1. The exporter is a front end beside the binary: requests in, pipeline, renderers out.
    ("serve", Only, &["cli", "run", "report", "verdict"]),
    // 2. The command line builds plans from arguments; it never runs a pipeline nor renders.
    ("cli", Only, &["cli", "run::plan", "model", "dns", "probe", "providers", "secret", "smtp",
                    "target", "explain", "verdict::id"]),
    ("cli", Never, &["report", "run::check", "run::discover", "run::ports", "run::explain",
                     "run::outcome"]),
    // 3. Renderers read outcomes, data and findings; they never run, probe, do TLS or parse.
    ("report", Only, &["report::text", "report::schema", "run::outcome", "model", "verdict",
                       "providers", "dns", "smtp", "explain"]),
    ("report", Never, &["run::check", "run::discover", "run::ports", "run::explain", "run::plan",
                        "probe", "tls", "cert", "cli"]),
    // 3. The shared toolkit (text, JSON shapes) knows no renderer.
    ("report::text", Never, RENDERERS),
    ("report::schema", Never, RENDERERS),
    // 3. A command's renderers share their folder, never another command's.
    ("report::check", Only, &["report::check"]),
    ("report::check", Never, &["report::ports", "report::providers", "report::explain"]),
    ("report::ports", Only, &["report::ports"]),
    ("report::ports", Never, &["report::check", "report::providers", "report::explain"]),
    ("report::providers", Only, &["report::providers"]),
    ("report::providers", Never, &["report::check", "report::ports", "report::explain"]),
    ("report::explain", Only, &["report::explain"]),
    ("report::explain", Never, &["report::check", "report::ports", "report::providers"]),
    // 4. Pipelines compute outcomes; they never print nor read the command line.
    ("run", Never, &["report", "cli"]),
    ("run::check", Only, PIPELINE),
    ("run::discover", Only, PIPELINE),
    ("run::ports", Only, PIPELINE),
    ("run::explain", Only, PIPELINE),
    ("run::batch", Only, PIPELINE),
    ("run::service", Only, PIPELINE),
    // 5. Plans and outcomes are plain values: no pipeline in them.
    ("run::plan", Only, VALUES),
    ("run::plan", Never, &["run::check", "run::discover", "run::ports", "run::explain"]),
    ("run::outcome", Only, VALUES),
    ("run::outcome", Never, &["run::check", "run::discover", "run::ports", "run::explain"]),
    // 6. The engine knows nothing of commands, pipelines or output.
    ("probe", Never, UPPER),
    ("verdict", Never, UPPER),
    ("explain", Never, UPPER),
    ("providers", Never, UPPER),
    ("dns", Never, UPPER),
    ("tls", Never, UPPER),
    ("cert", Never, UPPER),
    ("target", Never, UPPER),
    ("secret", Never, UPPER),
    ("smtp", Never, UPPER),
    // 7. The bottom: plain data over protocol and DNS types; the protocol over secrets; DNS and
    //    secrets stand alone.
    ("model", Only, &["model", "smtp", "dns"]),
    ("smtp", Only, &["smtp", "secret"]),
    ("dns", Only, &["dns"]),
    ("secret", Only, &["secret"]),
];

/// One crate-internal path named by a module, landed on the module it reaches.
struct Import {
    from: String,
    line: usize,
    to: String,
}

/// An import that breaks a rule, and which.
struct Violation {
    import: Import,
    reason: String,
}

/// `path` is `prefix` or lies under it, by whole segments (`run::check` is not under `run::ch`).
fn under(path: &str, prefix: &str) -> bool {
    let rest = path.strip_prefix(prefix);
    rest.is_some_and(|r| r.is_empty() || r.starts_with("::"))
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// The checker: every rule broken by the units' imports, in input order.
fn check(units: &[Unit]) -> Vec<Violation> {
    imports(units).into_iter().filter_map(judge).collect()
}

/// The first `Never` row that bans the import, else the first `Only` row when no `Only` row of
/// the module allows it.
fn judge(import: Import) -> Option<Violation> {
    let (mut banned, mut only, mut allowed) = (None, None, false);
    for (from, kind, to) in RULES.iter().filter(|(from, ..)| under(&import.from, from)) {
        let hit = to.iter().find(|p| under(&import.to, p));
        match kind {
            Never => banned = banned.or(hit.map(|p| format!("{from} may not import {p}"))),
            Only => (only, allowed) = (only.or(Some(from)), allowed || hit.is_some()),
        }
    }
    let reason = match (banned, only) {
        (Some(reason), _) => reason,
        (None, Some(from)) if !allowed => format!("{from} may not import {}", import.to),
        _ => return None,
    };
    Some(Violation { import, reason })
}

/// Every crate-internal path of every unit, landed on the longest module the units know of
/// (`crate::report::text::clean` lands in `report::text`); a path into a module no unit knows
/// lands on its segments but the last, which names an item. Leaves of one `use` group landing
/// in the same module count once.
fn imports(units: &[Unit]) -> Vec<Import> {
    let mut known = BTreeSet::new();
    for (module, _) in units {
        for (at, _) in module.match_indices("::") {
            known.insert(module[..at].to_string());
        }
        known.insert(module.clone());
    }
    let mut out = Vec::new();
    for (module, code) in units {
        for (path, line) in scan(code).0 {
            let Some(full) = absolute(module, &path) else {
                continue;
            };
            let is_known = |n: &usize| known.contains(&full[..*n].join("::"));
            let n = (1..=full.len()).rev().find(is_known);
            let to = full[..n.unwrap_or(full.len().saturating_sub(1).max(1))].join("::");
            out.push(Import {
                from: module.clone(),
                line,
                to,
            });
        }
    }
    out.dedup_by(|a, b| (&a.from, a.line, &a.to) == (&b.from, b.line, &b.to));
    out
}

/// A path's segments from the crate root (`crate::`, or `smtp_doctor::` in `main`; `self::`,
/// `super::super::` resolved against `module`), or `None` when it does not start in this crate.
fn absolute(module: &str, path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = module.split("::").map(String::from).collect();
    let mut rest = &path[1..];
    match path.first()?.as_str() {
        "crate" if module != "main" => base.clear(),
        "smtp_doctor" if module == "main" => base.clear(),
        "self" => {}
        "super" => {
            rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    (!base.is_empty()).then_some(base)
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The text of token `k`, or "" past the end.
fn text(t: &[Tok], k: usize) -> &str {
    t.get(k).map_or("", |t| t.0.as_str())
}

/// Words (identifiers, keywords, numbers), `::` and single characters, with their lines.
fn tokens(code: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for (n, mut rest) in code.lines().enumerate() {
        while let Some(c) = rest.chars().next() {
            let len = match c {
                c if word_char(c) => rest.find(|c| !word_char(c)).unwrap_or(rest.len()),
                ':' if rest.starts_with("::") => 2,
                c => c.len_utf8(),
            };
            if !c.is_whitespace() {
                out.push((rest[..len].to_string(), n + 1));
            }
            rest = &rest[len..];
        }
    }
    out
}

/// The crate-internal paths of one file's code (in `use` trees and inline, starting with
/// `crate`, `super`, `self` or `smtp_doctor`), and the modules it declares with `mod name;`.
fn scan(code: &str) -> (Found, Vec<String>) {
    let t = tokens(code);
    let (mut paths, mut mods, mut i) = (Vec::new(), Vec::new(), 0);
    while i < t.len() {
        let w = text(&t, i);
        if w == "use" {
            i += 1;
            use_tree(&t, &mut i, &[], &mut paths);
            while i < t.len() && text(&t, i) != ";" {
                i += 1;
            }
        } else if w == "mod" && text(&t, i + 2) == ";" {
            mods.push(text(&t, i + 1).to_string());
        } else if matches!(w, "crate" | "super" | "self" | "smtp_doctor")
            && text(&t, i + 1) == "::"
            && (i == 0 || text(&t, i - 1) != "::")
        {
            let mut path = vec![w.to_string()];
            while text(&t, i + 1) == "::" && text(&t, i + 2).starts_with(word_char) {
                path.push(text(&t, i + 2).to_string());
                i += 2;
            }
            paths.push((path, t[i].1));
        }
        i += 1;
    }
    (paths, mods)
}

/// One `use` tree (`a::b`, `a::{b, c::{self, d}}`, `a::*`, `a as b`) from token `i`: a path per
/// leaf, with the line of its last segment; `self` first in a group names the group's path.
fn use_tree(t: &[Tok], i: &mut usize, prefix: &[String], out: &mut Found) {
    let mut path = prefix.to_vec();
    while let Some((tok, line)) = t.get(*i) {
        *i += 1;
        match tok.as_str() {
            "::" => continue,
            "*" => out.push((path, *line)),
            "{" => {
                while *i < t.len() && text(t, *i) != "}" {
                    let before = *i;
                    use_tree(t, i, &path, out);
                    *i = (*i).max(before + 1); // steps over a `,`
                }
                *i += 1;
            }
            w if w.starts_with(word_char) => {
                if !(w == "self" && path.len() == prefix.len() && !prefix.is_empty()) {
                    path.push(w.to_string());
                }
                if text(t, *i) == "::" {
                    continue;
                }
                if text(t, *i) == "as" {
                    *i += 2;
                }
                out.push((path, *line));
            }
            _ => *i -= 1,
        }
        return;
    }
}

/// The code before the first `#[cfg(test)]` line, with comments (`//`, `///`, `//!`, nested
/// `/* */`) and string and char literals blanked; line breaks stay, so line numbers stay right.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    for line in blank_comments_and_literals(text).lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn blank_comments_and_literals(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let at = |k: usize| c.get(k).copied().unwrap_or(' ');
    let (mut out, mut i) = (String::with_capacity(text.len()), 0);
    while i < c.len() {
        // `r"..."`, `r#"..."#`: in edition 2021 on, no word may end in `r` right before `"`/`#`.
        let hashes = (i + 1..c.len()).take_while(|&k| c[k] == '#').count();
        let raw = at(i) == 'r' && at(i + 1 + hashes) == '"';
        let end = if at(i) == '/' && at(i + 1) == '/' {
            (i..c.len()).find(|&k| c[k] == '\n').unwrap_or(c.len())
        } else if at(i) == '/' && at(i + 1) == '*' {
            let (mut k, mut depth) = (i + 2, 1);
            while k < c.len() && depth > 0 {
                match (c[k], at(k + 1)) {
                    ('/', '*') => (depth, k) = (depth + 1, k + 2),
                    ('*', '/') => (depth, k) = (depth - 1, k + 2),
                    _ => k += 1,
                }
            }
            k
        } else if at(i) == '"' || raw {
            let close: Vec<char> = "\"".chars().chain("#".repeat(hashes).chars()).collect();
            let close = if raw { close } else { vec!['"'] };
            let mut k = i + if raw { 2 + hashes } else { 1 };
            while k < c.len() && !c[k..].starts_with(&close) {
                k += if !raw && c[k] == '\\' { 2 } else { 1 };
            }
            k + close.len()
        } else if at(i) == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            let from = if at(i + 1) == '\\' { i + 3 } else { i + 2 };
            (from..c.len())
                .find(|&k| c[k] == '\'')
                .map_or(c.len(), |k| k + 1)
        } else {
            out.push(c[i]); // code, or the `'` of a lifetime
            i += 1;
            continue;
        };
        let blank = |&ch: &char| if ch == '\n' { '\n' } else { ' ' };
        out.extend(c[i..end.min(c.len())].iter().map(blank));
        i = end;
    }
    out
}

/// A source file: its name from the crate (`src/report/text.rs`), module path, production code.
struct File {
    file: String,
    module: String,
    code: String,
}

/// `LAYERS_SRC`, or this crate's `src/`.
fn src_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    std::env::var_os("LAYERS_SRC").map_or(here, PathBuf::from)
}

/// Every compiled file under `src` but `lib.rs` (the root). A file below the top level counts
/// when its parent declares it with `mod name;` before its tests: `tests.rs` files drop out.
fn read_tree(src: &Path) -> Vec<File> {
    let (mut files, mut dirs) = (Vec::new(), vec![src.to_path_buf()]);
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir);
        for entry in entries.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
            let path = entry.expect("cannot read an entry of src/").path();
            let rel = path.strip_prefix(src).expect("a path under src/");
            let rel = rel.to_string_lossy().replace('\\', "/");
            let Some(stem) = rel.strip_suffix(".rs").filter(|s| *s != "lib") else {
                dirs.extend(path.is_dir().then_some(path));
                continue;
            };
            let module = stem.trim_end_matches("/mod").replace('/', "::");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let (file, code) = (format!("src/{rel}"), production_code(&text));
            files.push(File { file, module, code });
        }
    }
    let mut declared = BTreeSet::new();
    for f in &files {
        declared.extend(scan(&f.code).1.iter().map(|m| format!("{}::{m}", f.module)));
    }
    files.retain(|f| !f.module.contains("::") || declared.contains(&f.module));
    files.sort_by(|a, b| a.file.cmp(&b.file));
    assert!(!files.is_empty(), "no source files under {}", src.display());
    files
}

fn units(files: &[File]) -> Vec<Unit> {
    let unit = |f: &File| (f.module.clone(), f.code.clone());
    files.iter().map(unit).collect()
}

/// The import graph with both ends cut by `level`, without self-edges; `keep` picks edges.
fn graph(
    imports: &[Import],
    level: impl Fn(&str) -> String,
    keep: fn(&str, &str) -> bool,
) -> Graph {
    let mut g = Graph::new();
    for i in imports {
        let (from, to) = (level(&i.from), level(&i.to));
        if from != to && keep(&from, &to) {
            g.entry(from).or_default().insert(to);
        }
    }
    g
}

fn top_graph(imports: &[Import]) -> Graph {
    graph(imports, |m| top(m).to_string(), |_, _| true)
}

/// For each node, the shortest circle through it (breadth first), written from its smallest
/// node (`a -> b -> a`); each circle once, sorted.
fn cycles(g: &Graph) -> Vec<String> {
    let mut found = BTreeSet::new();
    for start in g.keys() {
        let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start.as_str()]);
        while let Some(node) = queue.pop_front() {
            let next = g.get(node).into_iter().flatten();
            if next.clone().any(|n| n == start) {
                let mut ring = vec![node];
                while let Some(&p) = parent.get(ring[ring.len() - 1]) {
                    ring.push(p);
                }
                ring.reverse(); // start .. node
                let min = (0..ring.len()).min_by_key(|&k| ring[k]).unwrap_or(0);
                ring.rotate_left(min);
                ring.push(ring[0]);
                found.insert(ring.join(" -> "));
                break;
            }
            for n in next.filter(|n| *n != start) {
                if !parent.contains_key(n.as_str()) {
                    parent.insert(n, node);
                    queue.push_back(n);
                }
            }
        }
    }
    found.into_iter().collect()
}

fn print_graph(title: &str, g: &Graph) {
    println!("{title}");
    for (from, to) in g {
        let to: Vec<&str> = to.iter().map(String::as_str).collect();
        println!("  {from} -> {}", to.join(", "));
    }
}

#[test]
fn imports_point_down() {
    let files = read_tree(&src_dir());
    let mut lines = Vec::new();
    for Violation { import: i, reason } in check(&units(&files)) {
        let file = files
            .iter()
            .find(|f| f.module == i.from)
            .map_or("?", |f| &f.file);
        let to = i.to;
        lines.push(format!("{file}:{} imports crate::{to} ({reason})", i.line));
    }
    let lines = lines.join("\n");
    assert!(
        lines.is_empty(),
        "imports that point the wrong way:\n{lines}"
    );
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let found = cycles(&top_graph(&imports(&units(&read_tree(&src_dir())))));
    let found = found.join("\n");
    assert!(
        found.is_empty(),
        "top-level modules in an import circle:\n{found}"
    );
}

#[test]
fn module_graph() {
    let src = src_dir();
    let all = imports(&units(&read_tree(&src)));
    let fine = |m: &str| {
        let n = if layered(m) { 2 } else { 1 };
        m.split("::").take(n).collect::<Vec<_>>().join("::")
    };
    let top_level = top_graph(&all);
    println!("module graph of {}", src.display());
    print_graph("top-level modules:", &top_level);
    let edges = graph(&all, fine, |f, t| layered(f) || layered(t));
    print_graph("run::* and report::* edges:", &edges);
    assert!(!top_level.is_empty(), "no imports under {}", src.display());
}

/// `run` and `report` are drawn two levels deep (`run::plan`, `report::text`).
fn layered(module: &str) -> bool {
    matches!(top(module), "run" | "report")
}

/// Units from `(module, raw code)` pairs.
fn fakes(pairs: &[(&str, &str)]) -> Vec<Unit> {
    let unit = |(m, code): &(&str, &str)| (m.to_string(), production_code(code));
    pairs.iter().map(unit).collect()
}

/// The checker's verdicts, as `line target (reason)`, on one fake file next to empty files
/// for the modules of today's layout.
fn fake(module: &str, code: &str) -> Vec<String> {
    const LAYOUT: &str = "cert cli dns main model::observation probe::auth providers secret \
        smtp::sasl target tls verdict::network run::plan run::outcome run::check run::discover \
        run::ports report::text report::schema report::check::table report::check::overview \
        report::ports::table report::providers::table";
    let mut units = fakes(&[(module, code)]);
    units.extend(LAYOUT.split_whitespace().map(|m| (m.into(), String::new())));
    let show = |v: Violation| format!("{} {} ({})", v.import.line, v.import.to, v.reason);
    check(&units).into_iter().map(show).collect()
}

/// A test of the checker on one fake file: `name, module, code => [violations]`.
macro_rules! fake_file {
    ($name:ident, $module:expr, $code:expr => [$($want:expr),*]) => {
        #[test]
        fn $name() {
            let want: Vec<&str> = vec![$($want),*];
            assert_eq!(fake($module, $code), want, "the checker on {}:\n{}", $module, $code);
        }
    };
}

fake_file!(checker_flags_an_engine_import_in_a_renderer, "report::check::table",
    "use std::io;\nuse crate::probe::Pool;\n" => ["2 probe (report may not import probe)"]);

fake_file!(checker_flags_a_renderer_of_another_command, "report::check::table",
    "use super::overview::line;\nuse super::super::ports::table::x;\n"
    => ["2 report::ports::table (report::check may not import report::ports)"]);

fake_file!(checker_flags_only_the_pipeline_in_a_grouped_use, "cli",
    "use crate::{\n    model::X,\n    run::{check::run, plan::CheckPlan},\n    \
    smtp::{self, Reply},\n};" => ["3 run::check (cli may not import run::check)"]);

fake_file!(checker_flags_an_inline_path_in_the_engine, "verdict::dns",
    "fn f(x: &str) -> String {\n    crate::report::text::clean(x)\n}\n"
    => ["2 report::text (verdict may not import report)"]);

fake_file!(checker_resolves_self_and_super_in_the_engine, "tls",
    "fn f() { self::g(); super::report::g(); }\n" => ["1 report (tls may not import report)"]);

/// Paths in comments, doc comments, strings, raw strings and test code, and literals that could
/// throw a naive scan off.
const NOT_CODE: &str = r####"//! See crate::report::text.
/// Uses crate::cli::Cli.
// use crate::run::check;
/* crate::report /* nested */ crate::cli */
const A: &str = "crate::report::text // not a comment \" crate::cli";
const B: &str = r#"use crate::cli; "quoted" "#;
const C: [char; 2] = ['"', '\''];
fn f<'a>(x: &'a str) -> &'a str { x }
fn g() { crate::model::h() }
#[cfg(test)]
use crate::report::text;
"####;

fake_file!(checker_ignores_comments_strings_and_test_code, "probe::auth", NOT_CODE => []);

// The scan is still in step after the literals: a real path on line 9 is seen.
fake_file!(checker_sees_code_after_literals, "probe::auth", &NOT_CODE.replace("model", "cli")
    => ["9 cli (probe may not import cli)"]);

#[test]
fn checker_resolves_relative_and_binary_paths() {
    let table = "use super::overview::{a, b};\nuse self::inner::X;";
    let main = "use smtp_doctor::run::outcome::CheckReport;\nuse crate::helper;\n";
    let known = [("report::check::overview", ""), ("run::outcome", "")];
    let units = fakes(&[[("report::check::table", table), ("main", main)], known].concat());
    let landed: Vec<String> = imports(&units)
        .iter()
        .map(|i| format!("{} {}", i.from, i.to))
        .collect();
    let overview = "report::check::table report::check::overview";
    let itself = "report::check::table report::check::table";
    assert_eq!(landed, [overview, itself, "main run::outcome"]);
}

#[test]
fn checker_finds_a_two_module_circle() {
    let (a, b) = ("use crate::b::X;", "fn f() { crate::a::y() }");
    let units = fakes(&[("a", a), ("b::c", b), ("d", "use crate::a::Z;")]);
    assert_eq!(cycles(&top_graph(&imports(&units))), ["a -> b -> a"]);
    assert!(cycles(&top_graph(&imports(&units[..1]))).is_empty());
}
