//! Help that ships: `--generate complete-bash|complete-zsh|complete-fish|man`
//! prints completions or the man page made from the real clap definitions,
//! and every option and subcommand has a help line.

// Unix only, like the harness (tests/support/lib.rs says why).
#![cfg(unix)]

use clap::CommandFactory;
use e2e::procs::{bin, finish_within, NO_USER_CONFIG};
use e2e::WAIT;
use std::process::{Command, Output, Stdio};

fn run(binary: &str, args: &[&str]) -> Output {
    let child = Command::new(bin(binary))
        .args(args)
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish_within(child, WAIT, &format!("{binary} {args:?}"))
}

/// Each kind, for each binary, is printed on stdout with exit 0 and names
/// the binary's own options (the man page writes `-` as `\-`); `publisher`
/// needs no subcommand for it, and its man page has one part per subcommand.
#[test]
fn every_kind_is_generated_for_both_binaries() {
    let flags = [
        ("subscriber", ["session-id", "output", "exec", "config"]),
        ("publisher", ["priority", "wait", "server", "config"]),
    ];
    for (binary, flags) in flags {
        for kind in ["complete-bash", "complete-zsh", "complete-fish", "man"] {
            let out = run(binary, &["--generate", kind]);
            let text = String::from_utf8_lossy(&out.stdout).replace("\\-", "-");
            assert_eq!(out.status.code(), Some(0), "{binary} {kind}: {out:?}");
            for flag in flags {
                assert!(text.contains(flag), "{binary} {kind} lacks {flag}");
            }
        }
    }
    let man = String::from_utf8_lossy(&run("publisher", &["--generate=man"]).stdout).into_owned();
    for page in [
        ".TH publisher ",
        ".TH publisher-send ",
        ".TH publisher-sessions ",
    ] {
        assert!(man.contains(page), "no {page:?} in the man page");
    }
    let bad = run("subscriber", &["--generate", "complete-tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Every option and subcommand of both binaries explains itself in
/// `--help`: none is left without a help line.
#[test]
fn every_option_and_subcommand_has_help() {
    let mut missing = Vec::new();
    for root in [
        publisher::cli::Cli::command(),
        subscriber::cli::Cli::command(),
    ] {
        let name = root.get_name().to_owned();
        let subs = root
            .get_subcommands()
            .map(|sub| (format!("{name} {}", sub.get_name()), sub));
        for (path, command) in std::iter::once((name.clone(), &root)).chain(subs) {
            if command.get_about().is_none() {
                missing.push(path.clone());
            }
            for arg in command.get_arguments() {
                if arg.get_help().is_none() && !arg.is_hide_set() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no help for: {missing:?}");
}
