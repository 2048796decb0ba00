//! The compose demo cannot drift from the CLI: every `publisher`/`subscriber`
//! command line in `docker-compose.yml`, and the one docs/deploy.md tells people
//! to run, must be accepted by the real argument parsers.

use clap::Parser;
use serde_yaml_ng::Value;

/// Parses `argv` with the parser of the binary it names; `--help` and
/// `--version` count as accepted.
fn accepts(argv: &[String]) -> Result<(), String> {
    let result = match argv[0].as_str() {
        "publisher" => publisher::cli::try_parse_from(argv).map(|_| ()),
        "subscriber" => subscriber::cli::Cli::try_parse_from(argv).map(|_| ()),
        other => return Err(format!("{other} is not one of our binaries")),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

fn strings(value: &Value, what: &str) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("{what} must be a YAML list of strings, got {value:?}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{what}: {v:?} is not a string"))
                .to_owned()
        })
        .collect()
}

/// Each service built from our Dockerfile names its binary as entrypoint, and
/// its command line parses; the set-up, the agents alice and bob with their
/// own credentials and the publisher service are all there.
#[test]
fn compose_command_lines_are_accepted_by_the_real_parsers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml");
    let text = std::fs::read_to_string(path).expect("docker-compose.yml");
    let doc: Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    let services = doc["services"].as_mapping().expect("services");

    let mut ours = Vec::new();
    for (name, service) in services {
        let name = name.as_str().expect("service name").to_owned();
        if service.get("build").is_none() {
            continue; // e.g. the official nats image
        }
        let entrypoint = strings(
            service
                .get("entrypoint")
                .unwrap_or_else(|| panic!("{name}: no entrypoint")),
            &format!("{name}.entrypoint"),
        );
        assert_eq!(
            entrypoint.len(),
            1,
            "{name}: entrypoint must be just the binary"
        );
        let mut argv = entrypoint.clone();
        if let Some(command) = service.get("command") {
            argv.extend(strings(command, &format!("{name}.command")));
        }
        if let Err(e) = accepts(&argv) {
            panic!("service {name}: {argv:?} is refused:\n{e}");
        }
        ours.push((name, argv));
    }

    let has = |service: &str, binary: &str, arg: Option<&str>| {
        ours.iter().any(|(name, argv)| {
            name == service && argv[0] == binary && arg.is_none_or(|a| argv.iter().any(|x| x == a))
        })
    };
    // Per-session identity: the set-up, each agent's creds minted for its
    // session, and agents that run with them.
    assert!(has("admin-init", "publisher", Some("init")), "{ours:?}");
    for session in ["alice", "bob"] {
        let minted = format!("creds-{session}");
        assert!(has(&minted, "publisher", Some(session)), "{ours:?}");
        assert!(has(session, "subscriber", Some("--creds")), "{ours:?}");
    }
    assert!(has("publisher", "publisher", None), "{ours:?}");

    // What docs/deploy.md tells people to run: docker compose run --rm publisher send --session bob "hi"
    let readme = ["publisher", "send", "--session", "bob", "hi"].map(String::from);
    accepts(&readme).expect("docs/deploy.md's compose example parses");
}
