//! The .deb installed with the real `dpkg` in a clean Debian root (bookworm,
//! minimal, with systemd and man-db), as IT rolls it out to desktops: every
//! file in place, a user unit that systemd accepts, the installed agent
//! running from the system-wide settings file (below the user's own), and
//! nothing left after a purge.
//!
//! Built only with the `packages` feature and run by
//! `scripts/packaging/test-deb` (through `scripts/test-packages`), which
//! makes the pristine root and points [`e2e::debian::DIST_DIR_VAR`] and
//! [`e2e::debian::ROOT_VAR`] at the .deb and the root; without them every
//! test fails, saying to run that script. Each test has its own root (an
//! overlay of the pristine one). The harness's nats-server and Linux
//! publisher run on the host: a chroot shares the host's network.

use e2e::debian::{DebianRoot, Packages};
use e2e::exit::NOT_CONFIRMED;
use e2e::server::{AGENT_PASSWORD, OPS_PASSWORD};
use e2e::{expect_exit, publisher, Agent, NatsServer};
use std::path::Path;

/// The system-wide settings file, a conffile of the package.
const SYSTEM_SETTINGS: &str = "/etc/remote-message/subscriber.toml";

/// The packaged user unit, and the link that enables it for every user
/// (what `systemctl --global enable` makes, and the package's postinst).
const UNIT: &str = "/usr/lib/systemd/user/subscriber.service";
const ENABLED_LINK: &str = "/etc/systemd/user/default.target.wants/subscriber.service";
/// What masks the unit for every user: a link to /dev/null.
const MASK: &str = "/etc/systemd/user/subscriber.service";

/// Every file the .deb must install (besides the man pages of the
/// subcommands, found by `man` below).
const FILES: [&str; 14] = [
    "/usr/bin/publisher",
    "/usr/bin/subscriber",
    UNIT,
    SYSTEM_SETTINGS,
    "/usr/share/man/man1/publisher.1.gz",
    "/usr/share/man/man1/subscriber.1.gz",
    "/usr/share/bash-completion/completions/publisher",
    "/usr/share/bash-completion/completions/subscriber",
    "/usr/share/zsh/vendor-completions/_publisher",
    "/usr/share/zsh/vendor-completions/_subscriber",
    "/usr/share/fish/vendor_completions.d/publisher.fish",
    "/usr/share/fish/vendor_completions.d/subscriber.fish",
    "/usr/share/doc/remote-message/copyright",
    ENABLED_LINK,
];

/// A fresh root with the .deb installed.
fn installed() -> DebianRoot {
    let root = DebianRoot::fresh(&Packages::from_env());
    root.install();
    root
}

/// Whether `path` is in the root, as a file or a link (a dangling link is
/// still there).
fn present(root: &DebianRoot, inside: &str) -> bool {
    root.path(inside).symlink_metadata().is_ok()
}

/// The installed agent, started in the root as the user unit starts it: no
/// `--server`, no `--config`, nothing in the environment but `HOME` (a
/// home in the root), `LANG` and a plain `PATH`; only `--log-format json`,
/// so the test can wait on its events.
fn installed_agent(root: &DebianRoot, home: &str) -> Agent {
    root.run_ok(&["mkdir", "-p", home]);
    let agent = root.command(
        &["/usr/bin/subscriber", "--log-format", "json"],
        &[("HOME", home)],
    );
    Agent::spawn_command(agent)
}

/// Waits until `agent` is subscribed; returns the session id it chose (a
/// new random one: nothing names it).
fn session_of(agent: &mut Agent) -> String {
    let listening = agent.wait_event("listening");
    agent.wait_subscribed();
    listening["session"]
        .as_str()
        .expect("the session in the `listening` event")
        .to_owned()
}

/// Writes the system settings file as IT would for `fleet`: its `server`,
/// with the agents' shared password, and `output = "json"`.
fn set_fleet_settings(root: &DebianRoot, fleet: &NatsServer) {
    root.write(
        SYSTEM_SETTINGS,
        &format!(
            "server = \"{}\"\noutput = \"json\"\n",
            fleet.url_as("agent", AGENT_PASSWORD)
        ),
    );
}

/// `publisher send` on the host (the harness's Linux build) as ops.
fn send(server: &NatsServer, args: &[&str]) -> std::process::Output {
    let mut all = vec!["send"];
    all.extend_from_slice(args);
    publisher(&server.url_as("ops", OPS_PASSWORD), &all)
}

/// `dpkg -i` succeeds in a minimal root (the computed Depends are met
/// there) and puts every file in place, owned by the package: both
/// programs, which print the version of this workspace; the user unit,
/// running /usr/bin/subscriber, enabled for every user, which `systemd-
/// analyze --user verify` accepts without a word (with man-db in the root
/// it also finds the unit's `man:subscriber(1)`); man pages `man` finds,
/// subcommands' too (`man publisher-send`); completions bash can read; the system settings file as a
/// conffile with every line commented out.
#[test]
fn the_deb_installs_every_file_and_a_unit_systemd_accepts() {
    let root = installed();
    let owned = root.run_ok(&["dpkg", "-L", "remote-message"]);
    for file in FILES {
        assert!(present(&root, file), "{file} is not installed");
        if file != ENABLED_LINK {
            assert!(
                owned.lines().any(|line| line == file),
                "{file} is not the package's: dpkg -L says\n{owned}"
            );
        }
    }

    for binary in ["subscriber", "publisher"] {
        let version = root.run_ok(&[&format!("/usr/bin/{binary}"), "--version"]);
        assert_eq!(
            version.trim(),
            format!("{binary} {}", env!("CARGO_PKG_VERSION"))
        );
    }

    let unit = std::fs::read_to_string(root.path(UNIT)).expect("the unit");
    assert!(
        unit.lines()
            .any(|line| line == "ExecStart=/usr/bin/subscriber"),
        "{unit}"
    );
    let link = std::fs::read_link(root.path(ENABLED_LINK)).expect("the enable link");
    assert_eq!(link, Path::new(UNIT));
    // A user manager's runtime directory, which `--user` needs even to
    // verify (no user manager runs in the root).
    root.run_ok(&["install", "-d", "-m", "0700", "/run/user/0"]);
    let verify = root.run(
        &["systemd-analyze", "--user", "verify", UNIT],
        &[("XDG_RUNTIME_DIR", "/run/user/0"), ("HOME", "/root")],
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        verify.status.success() && said.is_empty(),
        "systemd-analyze --user verify {UNIT}: {:?}\n{said}",
        verify.status
    );

    for page in [
        "subscriber",
        "publisher",
        "publisher-send",
        "subscriber-install",
    ] {
        let found = root.run_ok(&["man", "-w", page]);
        assert_eq!(found.trim(), format!("/usr/share/man/man1/{page}.1.gz"));
    }
    for binary in ["subscriber", "publisher"] {
        root.run_ok(&[
            "bash",
            "-n",
            &format!("/usr/share/bash-completion/completions/{binary}"),
        ]);
    }

    let conffiles = root.run_ok(&["dpkg-query", "-W", "-f", "${Conffiles}", "remote-message"]);
    assert!(
        conffiles.contains(SYSTEM_SETTINGS),
        "conffiles: {conffiles}"
    );
    let settings = std::fs::read_to_string(root.path(SYSTEM_SETTINGS)).expect("settings");
    let set: Vec<&str> = settings
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .collect();
    assert!(set.is_empty(), "{SYSTEM_SETTINGS} sets {set:?}");
}

/// The fleet's server (with the agents' shared password) and `output =
/// "json"` written in the system settings file only: the installed agent,
/// started with no option naming a server and no settings of the user's,
/// connects there and prints, as JSON, the message the host's publisher
/// sends to its session; a message for another session is not for it (the
/// send is unconfirmed, and the next thing it prints is a later broadcast).
#[test]
fn the_installed_agent_runs_from_the_system_settings_file() {
    let server = NatsServer::start_with_roles();
    let root = installed();
    set_fleet_settings(&root, &server);
    let mut agent = installed_agent(&root, "/home/alice");
    let session = session_of(&mut agent);

    expect_exit(&send(&server, &["--session", &session, "For this desk"]), 0);
    expect_exit(
        &send(&server, &["--session", "another-desk", "Not here"]),
        NOT_CONFIRMED,
    );
    expect_exit(&send(&server, &["marker"]), 0);

    let message = agent.next_message();
    assert_eq!(message["text"], "For this desk", "{message}");
    assert_eq!(
        message["subject"],
        format!("session.{session}"),
        "{message}"
    );
    assert_eq!(
        agent.next_text(),
        "marker",
        "a message for another session was shown"
    );
}

/// A user's own settings file (`~/.config/remote-message/subscriber.toml`)
/// comes above the system one, key by key: its `server` wins (the agent is
/// on the user's server, not on the fleet's: a send to its session there is
/// unconfirmed), while the system file's `output = "json"`, which the user
/// file does not set, still holds.
#[test]
fn a_users_own_settings_come_above_the_system_file() {
    let fleet = NatsServer::start_with_roles();
    let users = NatsServer::start_with_roles();
    let root = installed();
    set_fleet_settings(&root, &fleet);
    root.write(
        "/home/bob/.config/remote-message/subscriber.toml",
        &format!("server = \"{}\"\n", users.url_as("agent", AGENT_PASSWORD)),
    );
    let mut agent = installed_agent(&root, "/home/bob");
    let session = session_of(&mut agent);

    expect_exit(
        &send(&fleet, &["--session", &session, "On the fleet's server"]),
        NOT_CONFIRMED,
    );
    expect_exit(
        &send(&users, &["--session", &session, "On bob's server"]),
        0,
    );
    assert_eq!(agent.next_text(), "On bob's server");
}

/// Installing the same package again (an upgrade, for dpkg) keeps what the
/// admin did: the settings file as edited, and the agent disabled for every
/// user (`systemctl --global disable`) stays disabled.
#[test]
fn reinstalling_keeps_the_admins_settings_and_disable() {
    let root = installed();
    let edited = "server = \"nats://nats.example:4222\"\n";
    root.write(SYSTEM_SETTINGS, edited);
    root.run_ok(&["systemctl", "--global", "disable", "subscriber.service"]);
    assert!(!present(&root, ENABLED_LINK));

    root.install();
    assert!(
        !present(&root, ENABLED_LINK),
        "reinstalling enabled the agent again"
    );
    let settings = std::fs::read_to_string(root.path(SYSTEM_SETTINGS)).expect("settings");
    assert_eq!(settings, edited);
}

/// `dpkg -r` takes the programs, the unit, the man pages and completions,
/// masks the agent for every user (its enable link, kept for a reinstall,
/// starts nothing) and keeps the edited settings file, as Debian keeps
/// conffiles. Installed again, the agent is unmasked and enabled again,
/// the settings as edited. `dpkg --purge` then leaves nothing: no link, no
/// mask, no /etc/remote-message, and dpkg forgets the package.
#[test]
fn remove_reinstall_and_purge() {
    let root = installed();
    let edited = "server = \"nats://nats.example:4222\"\n";
    root.write(SYSTEM_SETTINGS, edited);

    root.run_ok(&["dpkg", "-r", "remote-message"]);
    let kept = [SYSTEM_SETTINGS, ENABLED_LINK];
    for file in FILES.iter().filter(|file| !kept.contains(file)) {
        assert!(!present(&root, file), "{file} is still there after dpkg -r");
    }
    assert!(!present(&root, "/usr/share/man/man1/publisher-send.1.gz"));
    assert_eq!(
        std::fs::read_link(root.path(MASK)).ok().as_deref(),
        Some(Path::new("/dev/null")),
        "the agent is not masked after dpkg -r"
    );
    let settings = std::fs::read_to_string(root.path(SYSTEM_SETTINGS)).expect("settings");
    assert_eq!(settings, edited, "dpkg -r changed the settings file");

    root.install();
    assert!(!present(&root, MASK), "the agent is still masked");
    assert!(
        present(&root, ENABLED_LINK),
        "the agent is not enabled again"
    );
    let settings = std::fs::read_to_string(root.path(SYSTEM_SETTINGS)).expect("settings");
    assert_eq!(
        settings, edited,
        "installing again changed the settings file"
    );

    root.run_ok(&["dpkg", "--purge", "remote-message"]);
    for gone in [ENABLED_LINK, MASK, "/etc/remote-message"] {
        assert!(
            !present(&root, gone),
            "{gone} is still there after the purge"
        );
    }
    let status = root.run(
        &[
            "dpkg-query",
            "-W",
            "-f",
            "${db:Status-Status}",
            "remote-message",
        ],
        &[],
    );
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.is_empty() || status == "not-installed",
        "dpkg still knows the package: {status}"
    );
}
