//! The Windows builds, end to end under wine against a Linux nats-server:
//! the Windows agent shows what it should (JSON and terminal output) and
//! nothing else, keeps its state across a restart, runs an `--exec`
//! program and stops on Ctrl-C; the Windows publisher sends to a Linux
//! agent and gets its receipt.
//!
//! Built only with the `wine` feature and run by `scripts/test-platforms`,
//! which builds the .exe files, makes a fresh wine prefix and points
//! [`e2e::wine::BIN_DIR_VAR`] and `WINEPREFIX` at them; without them every
//! test fails, saying to run that script. Wine needs seconds to start a
//! program, so every wait here is bounded by [`e2e::wine::WINE_WAIT`].

use e2e::exit::NOT_CONFIRMED;
use e2e::procs::{finish_within, publisher_on, subscriber_on, wait_json_lines};
use e2e::wine::{windows_path, Launcher, Wine, WINE_WAIT};
use e2e::{expect_exit, publisher, Agent, NatsServer};
use nix::sys::signal::Signal;

/// The Windows builds, under wine.
fn wine() -> Launcher {
    Launcher::Wine(Wine::from_env())
}

/// Starts the Windows agent for `session` under wine, with `args` more, and
/// waits until its subscriptions are confirmed.
fn windows_agent(server: &NatsServer, session: &str, args: &[&str]) -> Agent {
    windows_agent_with_env(server, session, args, &[])
}

/// Like [`windows_agent`], with more environment variables.
fn windows_agent_with_env(
    server: &NatsServer,
    session: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Agent {
    let mut all = vec!["--session-id", session];
    all.extend_from_slice(args);
    let mut agent = Agent::spawn_on(&wine(), &server.url(), &all, env);
    agent.wait_subscribed();
    agent
}

/// Sends with the Linux publisher; returns its stdout.
fn send(server: &NatsServer, args: &[&str]) -> String {
    let mut all = vec!["send"];
    all.extend_from_slice(args);
    expect_exit(&publisher(&server.url(), &all), 0)
}

/// Windows agent, `--output json`: a broadcast and a message to its own
/// session are shown, with their targets; a message to another session
/// is not (the next thing shown is a marker broadcast sent after it).
#[test]
fn json_output_shows_broadcast_and_own_session_only() {
    let server = NatsServer::start();
    let mut agent = windows_agent(&server, "win-alice", &["--output", "json"]);

    send(&server, &["--title", "Maintenance", "Restart at 10pm"]);
    let stdout = send(&server, &["--session", "win-alice", "Hello from Linux"]);
    assert!(
        stdout.contains("to session.win-alice: delivered"),
        "{stdout}"
    );
    let out = publisher(&server.url(), &["send", "--session", "bob", "For bob"]);
    expect_exit(&out, NOT_CONFIRMED);
    send(&server, &["marker"]);

    let broadcast = agent.next_message();
    println!("Windows agent (json): {broadcast}");
    assert_eq!(broadcast["text"], "Restart at 10pm");
    assert_eq!(broadcast["title"], "Maintenance");
    assert_eq!(broadcast["target"], "broadcast");
    let personal = agent.next_message();
    println!("Windows agent (json): {personal}");
    assert_eq!(personal["text"], "Hello from Linux");
    assert_eq!(personal["subject"], "session.win-alice");
    assert_eq!(personal["target"], "session");
    assert_eq!(agent.next_text(), "marker", "a message for bob was shown");
}

/// Windows agent, `--output terminal`: the broadcast and its own session's
/// message come as alert blocks naming their audience, title, text and
/// sender; the block after them is the marker, never bob's message.
#[test]
fn terminal_output_shows_broadcast_and_own_session_only() {
    let server = NatsServer::start();
    let mut agent = windows_agent(&server, "win-carol", &["--output", "terminal"]);

    let sender = ["--sender", "ops@linux"];
    send(
        &server,
        &[&sender[..], &["--title", "Notice", "Everyone"]].concat(),
    );
    send(
        &server,
        &[&sender[..], &["--session", "win-carol", "Just you"]].concat(),
    );
    let out = publisher(&server.url(), &["send", "--session", "bob", "For bob"]);
    expect_exit(&out, NOT_CONFIRMED);
    send(&server, &[&sender[..], &["marker"]].concat());

    let expected = [
        vec![
            "Message for everyone",
            "Notice",
            "Everyone",
            "---- from ops@linux",
        ],
        vec![
            "Message for you (session win-carol)",
            "Just you",
            "---- from ops@linux",
        ],
        vec!["Message for everyone", "marker"],
    ];
    for parts in expected {
        let block = agent.next_block().join("\n");
        println!("Windows agent (terminal):\n{block}");
        assert!(!block.contains("For bob"), "bob's message shown:\n{block}");
        for part in parts {
            assert!(block.contains(part), "{part:?} missing in:\n{block}");
        }
    }
}

/// The Windows agent, its state dir given as a Windows path, is stopped
/// with Ctrl-C after showing a message; a broadcast and a message to its
/// session are sent while it is down. Restarted with the same state dir,
/// it shows both by catch-up, and nothing twice: the first message is not
/// shown again, and the next thing shown is a later marker.
#[test]
fn restarted_windows_agent_catches_up_once() {
    let server = NatsServer::start();
    let launcher = wine();
    let state = tempfile::tempdir().unwrap();
    let dir = launcher.path_arg(state.path());
    let dir = dir.to_str().unwrap();

    let mut agent = windows_agent(&server, "win-dave", &["--state-dir", dir]);
    send(&server, &["before"]);
    assert_eq!(agent.next_text(), "before");
    agent.signal(Signal::SIGINT);
    assert_eq!(agent.wait_exit().code(), Some(0), "{:?}", agent.logs());
    assert!(
        std::fs::read_dir(state.path()).unwrap().next().is_some(),
        "the agent wrote nothing to its state dir {dir}"
    );

    send(&server, &["while down: everyone"]);
    let out = publisher(
        &server.url(),
        &["send", "--session", "win-dave", "while down: you"],
    );
    expect_exit(&out, NOT_CONFIRMED);

    let mut agent = windows_agent(&server, "win-dave", &["--state-dir", dir]);
    let everyone = agent.next_message();
    println!("Windows agent after restart: {everyone}");
    assert_eq!(everyone["text"], "while down: everyone");
    let personal = agent.next_message();
    println!("Windows agent after restart: {personal}");
    assert_eq!(
        (personal["text"].as_str(), personal["target"].as_str()),
        (Some("while down: you"), Some("session"))
    );
    send(&server, &["marker"]);
    assert_eq!(agent.next_text(), "marker", "something was shown twice");
}

/// The Windows agent runs its `--exec` program, a Windows program built
/// with the mingw gcc (`scripts/platforms/append-stdin.c`), once per
/// message with the message's JSON on its stdin: the program's file gets
/// one JSON line per message, in order, with the texts and subjects sent.
#[test]
fn windows_agent_runs_its_exec_program() {
    let server = NatsServer::start();
    let wine = Wine::from_env();
    let program = wine.file("append-stdin.exe");
    assert!(
        program.exists(),
        "{} is missing: run scripts/test-platforms",
        program.display()
    );
    let launcher = Launcher::Wine(wine);
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.jsonl");
    let program = launcher.path_arg(&program);
    let received_arg = launcher.path_arg(&received);
    let mut agent = windows_agent_with_env(
        &server,
        "win-erin",
        &["--exec", program.to_str().unwrap()],
        &[("APPEND_STDIN_TO", received_arg.to_str().unwrap())],
    );

    send(&server, &["--session", "win-erin", "for the hook"]);
    send(&server, &["--priority", "high", "second"]);
    assert_eq!(agent.next_text(), "for the hook");
    assert_eq!(agent.next_text(), "second");
    // Each run is a program started under wine.
    let lines = wait_json_lines(&received, 2, WINE_WAIT);
    for line in &lines {
        println!("--exec program received: {line}");
    }
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["text"], "for the hook");
    assert_eq!(lines[0]["subject"], "session.win-erin");
    assert_eq!(lines[1]["text"], "second");
    assert_eq!(lines[1]["priority"], "high");
    assert!(agent.events("exec_failed").is_empty(), "{:?}", agent.logs());
}

/// SIGINT to the wine process reaches the Windows agent as Ctrl-C (wine
/// turns it into a CTRL_C_EVENT for the console handlers): it logs the
/// `stopping` event naming Ctrl-C, then `stopped`, and exits with 0.
#[test]
fn windows_agent_stops_on_ctrl_c() {
    let server = NatsServer::start();
    let mut agent = windows_agent(&server, "win-frank", &[]);
    send(&server, &["--session", "win-frank", "still here"]);
    assert_eq!(agent.next_text(), "still here");

    agent.signal(Signal::SIGINT);
    let stopping = agent.wait_event("stopping");
    println!("Windows agent on SIGINT: {stopping}");
    assert_eq!(stopping["signal"], "Ctrl-C", "{stopping}");
    agent.wait_event("stopped");
    assert_eq!(agent.wait_exit().code(), Some(0), "{:?}", agent.logs());
}

/// The Windows publisher under wine sends to a session held by a Linux
/// agent with `--wait`: it reports the delivery receipt (and that a JSON
/// display cannot report a read), exits 0, and the Linux agent shows the
/// message.
#[test]
fn windows_publisher_sends_to_a_linux_agent() {
    let server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "linux-gina");

    let out = publisher_on(
        &wine(),
        &server.url(),
        &[
            "send",
            "--session",
            "linux-gina",
            "--wait",
            "20s",
            "--title",
            "From Windows",
            "Hello Linux",
        ],
        None,
    );
    let stdout = expect_exit(&out, 0);
    println!("Windows publisher printed:\n{stdout}");
    assert!(
        stdout.contains(" to session.linux-gina: delivered"),
        "{stdout}"
    );
    assert!(
        stdout.contains("read by 0 of 1 delivered; cannot report read: linux-gina"),
        "{stdout}"
    );
    let shown = agent.next_message();
    println!("Linux agent showed: {shown}");
    assert_eq!(shown["text"], "Hello Linux");
    assert_eq!(shown["title"], "From Windows");
    assert_eq!(shown["subject"], "session.linux-gina");
}

/// Wine has no toast service (nor has Windows Server Core): the Windows
/// agent with `--output auto` says so and shows messages in the terminal;
/// with `--output desktop` it refuses to start (`desktop_unavailable`,
/// exit 2) instead of dropping every message.
#[test]
fn without_a_toast_service_auto_uses_the_terminal_and_desktop_exits_2() {
    let server = NatsServer::start();
    let mut agent = windows_agent(&server, "win-hank", &["--output", "auto"]);
    let output = agent.events("output");
    println!("Windows agent, --output auto: {output:?}");
    assert_eq!(output.len(), 1, "{:?}", agent.logs());
    assert_eq!(output[0]["kind"], "terminal", "{}", output[0]);
    send(&server, &["--session", "win-hank", "in the terminal"]);
    let block = agent.next_block().join("\n");
    assert!(block.contains("in the terminal"), "{block}");

    let mut refused = Agent::spawn_on(
        &wine(),
        &server.url(),
        &["--session-id", "win-ivy", "--output", "desktop"],
        &[],
    );
    let unavailable = refused.wait_event("desktop_unavailable");
    println!("Windows agent, --output desktop: {unavailable}");
    assert_eq!(refused.wait_exit().code(), Some(2), "{:?}", refused.logs());
    assert!(refused.events("subscribed").is_empty(), "it ran anyway");
}

/// The Run key `subscriber install` writes its logon entry under.
const RUN_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
/// The value it writes there.
const RUN_VALUE: &str = "remote-message subscriber";

/// `subscriber.exe` under wine with `args`, to its exit.
fn windows_subscriber(args: &[&str]) -> std::process::Output {
    let launcher = wine();
    let child = launcher
        .command("subscriber")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn subscriber.exe");
    finish_within(child, launcher.wait(), &format!("subscriber.exe {args:?}"))
}

/// The logon entry in the prefix's registry, as wine's `reg query` reads
/// it: `None` when there is none.
fn run_value() -> Option<String> {
    let mut reg = std::process::Command::new("wine");
    reg.args(["reg", "query", RUN_KEY, "/v", RUN_VALUE])
        .env("WINEDEBUG", "-all")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = finish_within(
        reg.spawn().expect("spawn wine reg"),
        WINE_WAIT,
        "wine reg query",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|line| line.split_once("REG_SZ"))
        .map(|(_, data)| data.trim().to_owned())
}

/// `subscriber.exe install` under wine writes the per-user logon entry
/// (HKCU Run) running this exe with the options given, plus
/// `--background`; `--print` changes nothing; a password in `--server` is
/// refused with exit 2 and nothing written; `uninstall` removes the entry,
/// and a second `uninstall` finds nothing and still exits 0.
#[test]
fn install_writes_the_logon_entry_and_uninstall_removes_it() {
    // Install only writes the URL down; it never connects.
    let server = "nats://nats.example.com";
    let secret = windows_subscriber(&[
        "install",
        "--server",
        "nats://agent:s3cret@nats.example.com",
    ]);
    assert_eq!(secret.status.code(), Some(2), "{secret:?}");
    assert!(!String::from_utf8_lossy(&secret.stderr).contains("s3cret"));
    assert_eq!(run_value(), None, "a refused install wrote the entry");

    let print = windows_subscriber(&[
        "install", "--server", server, "--output", "desktop", "--print",
    ]);
    assert_eq!(print.status.code(), Some(0), "{print:?}");
    assert_eq!(run_value(), None, "--print wrote the entry");

    let install = windows_subscriber(&["install", "--server", server, "--output", "desktop"]);
    println!(
        "subscriber.exe install: {}",
        String::from_utf8_lossy(&install.stdout)
    );
    assert_eq!(install.status.code(), Some(0), "{install:?}");
    let entry = run_value().expect("no logon entry after install");
    println!("{RUN_KEY}\\{RUN_VALUE} = {entry}");
    assert!(
        entry.starts_with('"') && entry.contains(r#"subscriber.exe" "#),
        "{entry}"
    );
    assert!(
        entry.ends_with(&format!(" --output=desktop --server={server} --background")),
        "{entry}"
    );

    let uninstall = windows_subscriber(&["uninstall"]);
    assert_eq!(uninstall.status.code(), Some(0), "{uninstall:?}");
    assert_eq!(run_value(), None, "uninstall left the entry");
    let again = windows_subscriber(&["uninstall"]);
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("nothing to uninstall"),
        "{again:?}"
    );
}

/// A command for wine's own tools (`wineboot`, `reg`, `wineserver`) in
/// the prefix `prefix`, quiet, stdin closed, output captured.
fn wine_tool(prefix: &std::path::Path, program: &str, args: &[&str]) -> std::process::Output {
    let child = std::process::Command::new(program)
        .args(args)
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    finish_within(child, WINE_WAIT, &format!("{program} {args:?}"))
}

/// Windows ending the session (a logoff or shutdown: `WM_QUERYENDSESSION`
/// then `WM_ENDSESSION` to every top-level window, here sent by wine's
/// `wineboot --end-session`) stops the agent cleanly: `stopping` with the
/// signal `shutdown` (wine sends no logoff flag), `stopped`, exit 0. It
/// runs in a wine prefix of its own, since ending the session ends every
/// program in the prefix, the other tests' agents too.
#[test]
fn windows_agent_drains_when_the_session_ends() {
    let server = NatsServer::start();
    let prefix = tempfile::tempdir().unwrap();
    let init = wine_tool(prefix.path(), "wineboot", &["--init"]);
    assert!(init.status.success(), "wineboot --init: {init:?}");
    // The windowless graphics driver, as scripts/test-platforms sets up.
    let null_driver = wine_tool(
        prefix.path(),
        "wine",
        &[
            "reg",
            "add",
            r"HKCU\Software\Wine\Drivers",
            "/v",
            "Graphics",
            "/d",
            "null",
            "/f",
        ],
    );
    assert!(null_driver.status.success(), "{null_driver:?}");

    let prefix_env = prefix.path().to_str().unwrap();
    let mut agent = windows_agent_with_env(&server, "win-jack", &[], &[("WINEPREFIX", prefix_env)]);
    assert!(
        agent.events("session_end_unwatched").is_empty(),
        "{:?}",
        agent.logs()
    );
    let ended = wine_tool(prefix.path(), "wineboot", &["--end-session"]);
    assert!(ended.status.success(), "wineboot --end-session: {ended:?}");
    let stopping = agent.wait_event("stopping");
    println!("Windows agent at session end: {stopping}");
    assert_eq!(stopping["signal"], "shutdown", "{stopping}");
    agent.wait_event("stopped");
    assert_eq!(agent.wait_exit().code(), Some(0), "{:?}", agent.logs());
    wine_tool(prefix.path(), "wineserver", &["-k"]);
}

/// Ops (the Linux publisher) ask the Windows agent (`--output terminal`) a
/// question with two answers: its block lists the choices and how to
/// answer. The Windows `subscriber answer`, run under wine with the agent's
/// own settings, answers by number; `publisher status --follow` (Linux)
/// then reads that answer from the ledger, given at the terminal.
#[test]
fn a_question_is_answered_through_subscriber_answer() {
    let server = NatsServer::start();
    let mut agent = windows_agent(&server, "win-erin", &["--output", "terminal"]);
    let state = agent
        .state_dir()
        .expect("the harness's state dir")
        .to_owned();
    send(
        &server,
        &[
            "--id",
            "q9",
            "--session",
            "win-erin",
            "--answer",
            "Yes",
            "--answer",
            "No",
            "Coffee at 4?",
        ],
    );
    let block = agent.next_block();
    println!("Windows agent (terminal):\n{}", block.join("\n"));
    assert!(block.contains(&"» 2. No".to_owned()), "{block:?}");

    let state = windows_path(&state);
    let answered = subscriber_on(
        &wine(),
        &server.url(),
        &[
            "--state-dir",
            &state,
            "--session-id",
            "win-erin",
            "answer",
            "q9-win-erin",
            "2",
        ],
    );
    let said = expect_exit(&answered, 0);
    println!("Windows subscriber answer: {said}");
    assert!(said.contains("\"No\""), "{said}");

    let out = publisher(
        &server.url(),
        &["--timeout", "20s", "status", "q9", "--follow", "--json"],
    );
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    let erin = &report["sessions"][0];
    assert_eq!(erin["session"], "win-erin", "{report}");
    assert_eq!(erin["answered"]["answer"], "No", "{report}");
    assert_eq!(erin["answered"]["via"], "terminal", "{report}");
}
