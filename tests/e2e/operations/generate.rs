//! Help that ships: `--generate complete-bash|complete-zsh|complete-fish|man`
//! prints completions or the man page made from the real clap definitions,
//! every option and subcommand has a help line, and each command's help
//! shows only what applies to it: its options, its exit codes, a usage line
//! the environment does not change, its examples.

use e2e::procs::run_binary;
use std::process::Output;

/// `<binary> <args>`, with no server and the harness's environment.
fn run(binary: &str, args: &[&str]) -> Output {
    run_binary(binary, args, &[])
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
    for root in [publisher::cli::command(), subscriber::cli::command()] {
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

/// The connection options (every one of them) and the words of their help.
const CONNECTION_OPTIONS: [&str; 13] = [
    "--server",
    "--creds",
    "--nkey",
    "--token",
    "--context",
    "--js-domain",
    "--inbox-prefix",
    "--tls-ca",
    "--tls-cert",
    "--tls-key",
    "--name",
    "--timeout",
    "Connection:",
];

fn stdout(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command that never connects shows no connection option: `admin
/// init --help` fits in 70 lines (it was 108, mostly options it never
/// uses), and neither it, `keygen`, `admin ops-creds` nor `subscriber
/// uninstall` names one; those that connect (`send`, `admin agent-creds`,
/// `subscriber install`) still list them, and a hidden one still parses.
#[test]
fn commands_that_never_connect_show_no_connection_option() {
    let init = stdout(&run("publisher", &["admin", "init", "--help"]));
    assert!(
        init.lines().count() <= 70,
        "{} lines:\n{init}",
        init.lines().count()
    );
    for (binary, args) in [
        ("publisher", &["admin", "init", "--help"][..]),
        ("publisher", &["keygen", "--help"]),
        ("publisher", &["admin", "ops-creds", "--help"]),
        ("subscriber", &["uninstall", "--help"]),
    ] {
        let help = stdout(&run(binary, args));
        for option in CONNECTION_OPTIONS {
            assert!(
                !help.contains(option),
                "{binary} {args:?} shows {option}:\n{help}"
            );
        }
        assert!(help.contains("--config"), "{binary} {args:?}:\n{help}");
    }
    for (binary, args) in [
        ("publisher", &["send", "--help"][..]),
        ("publisher", &["admin", "agent-creds", "--help"]),
        ("subscriber", &["install", "--help"]),
    ] {
        let help = stdout(&run(binary, args));
        for option in CONNECTION_OPTIONS {
            assert!(help.contains(option), "{binary} {args:?} lacks {option}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.nk");
    let out = run(
        "publisher",
        &[
            "keygen",
            "--out",
            key.to_str().unwrap(),
            "--server",
            "nats://h:1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// Each command lists only the exit codes it can end with: the
/// subscriber's help has none of the publisher's (sent, not confirmed, no
/// session, seal); `keygen` has no server code; `send` has them all, 0
/// being "sent".
#[test]
fn each_help_lists_its_own_exit_codes() {
    let publisher_only = [
        "  0  sent",
        "(publisher)",
        "  4  ",
        "  5  --user",
        "  6  --seal",
    ];
    for args in [
        &["--help"][..],
        &["install", "--help"],
        &["uninstall", "--help"],
    ] {
        let help = stdout(&run("subscriber", args));
        let codes = &help[help.find("Exit codes:").expect("exit codes")..];
        for code in publisher_only {
            assert!(!codes.contains(code), "subscriber {args:?}: {codes}");
        }
    }
    let agent = stdout(&run("subscriber", &["--help"]));
    assert!(agent.ends_with("  0  stopped by SIGINT or SIGTERM\n  1  unexpected failure\n  2  usage or invalid input; nothing was sent\n  3  cannot reach the NATS server, or it refused the connection or the message\n"), "{agent}");
    let keygen = stdout(&run("publisher", &["keygen", "--help"]));
    assert!(
        keygen.contains("  0  the key is written") && !keygen.contains("  3  "),
        "{keygen}"
    );
    let send = stdout(&run("publisher", &["send", "--help"]));
    for code in ["  0  sent\n", "  3  ", "  4  ", "  5  ", "  6  "] {
        assert!(send.contains(code), "send lacks {code:?}");
    }
}

/// With `NATS_URL` set, `send`'s usage line after an error is the one its
/// help shows: `--server` is not in it, as if it were required; `send -h`
/// (the short help) has the examples, ntfy's way among them.
#[test]
fn usage_lines_stay_true_and_send_h_has_examples() {
    let out = run_binary(
        "publisher",
        &["send"],
        &[("NATS_URL", "nats://127.0.0.1:1")],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Usage: publisher send [OPTIONS] <MESSAGE>...\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("--server"), "{stderr}");
    let short = stdout(&run("publisher", &["send", "-h"]));
    assert!(
        short.contains("Examples:\n  publisher send \"The server restarts")
            && short.contains("publisher send Lunch is served")
            && short.contains("echo \"from a script\" | publisher send -"),
        "{short}"
    );
}
