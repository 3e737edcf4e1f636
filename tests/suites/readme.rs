//! The README tells the truth: every command in its fenced `bash` blocks names something that
//! exists (a `just` recipe, a workspace package and bench, a Dockerfile target, a file, a gRPC
//! method, a sandbox endpoint), every `pennyctl …` and `penny-<service> …` command it names
//! answers `--help`, and every `PENNY_*` variable it mentions is read somewhere. What is
//! expensive to run (`./just test`, `./just demo`, `./just lint`, `./just helm-check`, ...) is run
//! by CI or by the suites named beside it; this test keeps the text from drifting away.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use penny_e2e::process::binary;
use regex::Regex;

fn root() -> PathBuf {
    penny_testkit::workspace_root()
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// Every command line of the fenced `bash` blocks, continuations joined, comments removed.
fn commands(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_bash = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_bash = !in_bash && trimmed == "```bash";
            continue;
        }
        if !in_bash {
            continue;
        }
        let code = line.split("   #").next().unwrap_or(line);
        let code = code.split(" # ").next().unwrap_or(code).trim_end();
        if let Some(head) = code.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(code);
        let command = std::mem::take(&mut pending).trim().to_owned();
        if !command.is_empty() && !command.starts_with('#') {
            out.push(command);
        }
    }
    out
}

fn run(program: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn recipes() -> BTreeSet<String> {
    let just = penny_testkit::find_binary("just", "PENNY_JUST").expect("just (./just tools)");
    let (ok, out) = run(&just, &["--summary"]);
    assert!(ok, "just --summary: {out}");
    out.split_whitespace().map(str::to_owned).collect()
}

/// `(package, [bench targets])` of the workspace.
fn packages() -> Vec<(String, Vec<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let benches = p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "bench"))
                })
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect();
            (p["name"].as_str().unwrap_or_default().to_owned(), benches)
        })
        .collect()
}

/// `Service/Method` of every rpc in `proto/penny/v1`.
fn rpcs() -> BTreeSet<String> {
    let service = Regex::new(r"^service (\w+)").expect("regex");
    let rpc = Regex::new(r"^\s*rpc (\w+)\(").expect("regex");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("proto/penny/v1")).expect("proto dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("proto");
        let mut current = String::new();
        for line in text.lines() {
            if let Some(c) = service.captures(line) {
                current = c[1].to_owned();
            } else if let Some(c) = rpc.captures(line) {
                out.insert(format!("penny.v1.{current}/{}", &c[1]));
            }
        }
    }
    out
}

fn arg_after<'a>(words: &[&'a str], flag: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| *w == flag)
        .and_then(|i| words.get(i + 1).copied())
}

#[test]
fn every_command_in_the_readme_names_what_exists() {
    let readme = readme();
    let commands = commands(&readme);
    assert!(
        commands.len() > 20,
        "the README's commands were found: {commands:?}"
    );
    let recipes = recipes();
    let packages = packages();
    let rpcs = rpcs();
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let sandbox_help =
        std::fs::read_to_string(root().join("services/sandbox/src/help.rs")).expect("help.rs");
    let path = Regex::new(r"^(deploy|services|crates|tests|tools|scripts|bench|proto)/[\w./-]+$")
        .expect("regex");
    let mut checked = 0;
    for command in &commands {
        let words: Vec<&str> = command.split_whitespace().collect();
        for word in &words {
            if path.is_match(word) {
                assert!(
                    root().join(word).exists(),
                    "`{command}`: {word} does not exist"
                );
            }
        }
        match words.as_slice() {
            ["./just" | "just", recipe, ..] => {
                let recipe = recipe.trim_end_matches('&');
                assert!(recipes.contains(recipe), "`{command}`: no recipe {recipe}");
            }
            ["cargo", sub, ..] if ["run", "bench", "test", "build"].contains(sub) => {
                let package = arg_after(&words, "-p").expect("cargo commands name a package");
                let benches = packages
                    .iter()
                    .find(|(name, _)| name == package)
                    .map(|(_, b)| b)
                    .unwrap_or_else(|| panic!("`{command}`: no package {package}"));
                if let Some(bench) = arg_after(&words, "--bench") {
                    assert!(
                        benches.iter().any(|b| b == bench),
                        "`{command}`: no bench {bench}"
                    );
                }
            }
            ["grpcurl", ..] => {
                if let Some(method) = words.iter().find(|w| w.starts_with("penny.v1.")) {
                    assert!(rpcs.contains(*method), "`{command}`: no rpc {method}");
                }
            }
            ["docker", "build", ..] => {
                let target = arg_after(&words, "--target").expect("a target");
                assert!(
                    dockerfile.contains(&format!(" AS {target}")),
                    "`{command}`: no Dockerfile target {target}"
                );
            }
            ["plaid", endpoint, ..] => {
                assert!(
                    sandbox_help.contains(endpoint),
                    "`{command}`: the sandbox has no {endpoint}"
                );
            }
            _ => {}
        }
        checked += 1;
    }
    assert_eq!(checked, commands.len());
}

#[test]
fn every_cli_command_the_readme_names_answers_help() {
    let readme = readme();
    let cli = Regex::new(r"`((?:pennyctl|penny-(?:ingress|verification|transfer-events|notifier|sandbox))(?: [a-z][a-z-]*)*)")
        .expect("regex");
    let mut seen = BTreeSet::new();
    for found in cli.captures_iter(&readme) {
        seen.insert(found[1].to_owned());
    }
    assert!(
        seen.iter().any(|c| c.starts_with("pennyctl dlq")),
        "{seen:?}"
    );
    for command in &seen {
        let words: Vec<&str> = command.split_whitespace().collect();
        let (bin, args) = words.split_first().expect("a binary");
        let package = if *bin == "pennyctl" { "pennyctl" } else { bin };
        let bin: &'static str = Box::leak(bin.to_string().into_boxed_str());
        let program = binary(package, bin).expect("the binary builds");
        let mut args: Vec<&str> = args.to_vec();
        args.push("--help");
        let (ok, out) = run(&program, &args);
        assert!(ok, "`{command} --help` failed: {out}");
    }
}

#[test]
fn every_variable_the_readme_names_is_read_somewhere() {
    let readme = readme();
    let variable = Regex::new(r"PENNY_[A-Z0-9_]*[A-Z0-9]").expect("regex");
    let mut sources = String::new();
    for dir in [
        "services",
        "crates",
        "tools",
        "tests/e2e",
        "tests/suites",
        "tests/benches",
        "deploy",
    ] {
        collect(&root().join(dir), &mut sources);
    }
    let mut missing = Vec::new();
    let names: BTreeSet<&str> = variable.find_iter(&readme).map(|m| m.as_str()).collect();
    for name in &names {
        if !sources.contains(name) {
            missing.push(*name);
        }
    }
    assert!(names.len() > 40, "{names:?}");
    assert!(
        missing.is_empty(),
        "the README names variables nothing reads: {missing:?}"
    );
}

/// Appends every source-like file under `dir` (Rust, YAML, templates, scripts).
fn collect(dir: &Path, into: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, into);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["rs", "yaml", "yml", "tpl", "sh", "py", "toml"].contains(&e))
        {
            into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}
