//! The systemd user unit in `deploy/systemd/` cannot drift from the agent:
//! its command line parses with the real parser, and it restarts on failure.

use clap::Parser;

fn unit() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/systemd/subscriber.service"
    );
    std::fs::read_to_string(path).expect("deploy/systemd/subscriber.service")
}

/// `key=value` lines of the unit, comments left out.
fn settings(unit: &str) -> Vec<(String, String)> {
    unit.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The unit runs the `subscriber` that `cargo install` puts in
/// `~/.cargo/bin` (settings from its default config file), restarts it on
/// failure after a pause, and is enabled for the user's session.
#[test]
fn user_unit_runs_the_installed_agent_and_restarts_it_on_failure() {
    let settings = settings(&unit());
    let get = |key: &str| {
        settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("the unit has no {key}="))
    };
    let argv: Vec<&str> = get("ExecStart").split_whitespace().collect();
    assert_eq!(argv[0], "%h/.cargo/bin/subscriber");
    let parsed = subscriber::cli::Cli::try_parse_from(
        std::iter::once("subscriber").chain(argv[1..].iter().copied()),
    );
    assert!(parsed.is_ok(), "ExecStart does not parse: {parsed:?}");
    assert_eq!(get("Restart"), "on-failure");
    assert!(
        humantime_like(get("RestartSec")),
        "RestartSec={}",
        get("RestartSec")
    );
    assert_eq!(get("WantedBy"), "default.target");
}

/// A systemd time span such as `5s`.
fn humantime_like(span: &str) -> bool {
    span.strip_suffix('s')
        .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n > 0))
}
