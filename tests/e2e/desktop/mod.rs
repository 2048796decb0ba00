//! Desktop: what people see. Here: messages as native desktop
//! notifications, checked on a real notification daemon: dunst on a private
//! Xvfb display and D-Bus session bus (see `tests/support/desktop.rs`;
//! `scripts/ensure-desktop-test-deps` installs them). Also: read receipts,
//! `--output auto`, and the terminal fallback. Beside them:
//!
//! - [`answers`]: a message's answers as buttons, and a click on one.
//! - [`languages`]: English, Spanish and French, through the real binaries.
//!
//! `REMOTE_MESSAGE_SCREENSHOT=docs/notification.png` makes the first test
//! save a screenshot of the notification on screen (needs imagemagick).

mod answers;
mod languages;
mod lifecycle;

use e2e::desktop::{Desktop, Received};
use e2e::{expect_exit, publisher, Agent, NatsServer};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Markup dunst would act on (bold, a link it would list as an action) if
/// the agent did not escape it.
const COFFEE: &str = "Coffee <b>now</b> & <a href=\"https://example.com\">cake</a>";
const MAINTENANCE: &str = "The server restarts at 10pm. Please save your work and log out before.";

/// The server's id of the next notification the agent shows (its
/// `shown_on_desktop` event).
fn notification_id(agent: &mut Agent) -> u32 {
    let shown = agent.wait_event("shown_on_desktop");
    shown["notification"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| panic!("no notification id in {shown}"))
}

/// Waits for the agent's `output` event and checks it chose `kind`
/// (`desktop` or `terminal`); returns the record.
fn wait_output(agent: &mut Agent, kind: &str) -> Value {
    let output = agent.wait_event("output");
    assert_eq!(output["kind"], kind, "{output}");
    output
}

/// Waits until the agent says it shows notifications through dunst.
fn wait_output_through_dunst(agent: &mut Agent) {
    let output = wait_output(agent, "desktop");
    // Which server answered: the one the test started.
    assert!(
        output["message"]
            .as_str()
            .is_some_and(|m| m.contains("dunst")),
        "{output}"
    );
}

/// An agent of session `session` showing notifications on `desktop`
/// (`--output desktop`), once it said so and is subscribed.
fn agent_on_dunst(server: &NatsServer, desktop: &Desktop, session: &str) -> Agent {
    let mut agent = Agent::spawn_with_env(
        &server.url(),
        &["--session-id", session, "--output", "desktop"],
        &desktop.env(),
    );
    wait_output_through_dunst(&mut agent);
    agent.wait_subscribed();
    agent
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// Ops send an urgent message to alice and wait. The agent (`--output
/// desktop`) puts it on dunst with the title, the text, the app name,
/// urgency critical and no expiry; the user clicks OK (`dunstctl action`),
/// the agent closes it and sends a read receipt, and `publisher send`
/// reports alice as delivered on the desktop and read. dunst's history
/// then holds it.
#[test]
fn urgent_message_pops_up_and_ok_reports_it_read() {
    let server = NatsServer::start();
    let desktop = Desktop::start();
    let mut agent = agent_on_dunst(&server, &desktop, "alice");

    let url = server.url();
    let sending = std::thread::spawn(move || {
        publisher(
            &url,
            &[
                "send",
                "--session",
                "alice",
                "--title",
                "Maintenance",
                "--sender",
                "ops@srv1",
                "--priority",
                "urgent",
                "--wait",
                "15s",
                "--json",
                MAINTENANCE,
            ],
        )
    });
    let id = notification_id(&mut agent);
    let received = desktop.wait_received(id);
    assert_eq!(
        received,
        Received {
            app_name: "remote-message".into(),
            summary: "Maintenance".into(),
            body: MAINTENANCE.into(),
            urgency: "CRITICAL".into(),
            timeout: "0".into(),
        }
    );
    println!("dunst received notification {id}: {received:?}");
    desktop.wait_displayed(1);
    if let Some(path) = std::env::var_os("REMOTE_MESSAGE_SCREENSHOT") {
        // On screen; give it a moment to draw before the picture is taken.
        std::thread::sleep(Duration::from_millis(500));
        desktop.screenshot(std::path::Path::new(&path));
    }

    desktop.dunstctl(&["action", "0"]);
    agent.wait_event_where("acknowledged", |r| r["notification"] == id);
    let out = sending.join().expect("publisher thread");
    let report = json(&expect_exit(&out, 0));
    assert_eq!(report["delivered"], 1, "{report}");
    assert_eq!(report["read"], serde_json::json!(["alice"]), "{report}");
    assert_eq!(
        report["read_unsupported"],
        serde_json::json!([]),
        "{report}"
    );
    assert_eq!(report["messages"][0]["read"], true, "{report}");
    assert_eq!(
        report["messages"][0]["shown"],
        serde_json::json!(["desktop"]),
        "{report}"
    );

    // OK closed the notification, so dunst moved it to its history.
    let entry = desktop.wait_history_entry(id);
    println!("dunstctl history entry: {entry}");
    assert_eq!(entry["summary"]["data"], "Maintenance");
    assert_eq!(entry["body"]["data"], MAINTENANCE);
    assert_eq!(entry["appname"]["data"], "remote-message");
    // Nothing went to the terminal.
    let failed = agent.events("desktop_failed");
    assert!(failed.is_empty(), "{failed:?}");
}

/// `--output auto` (the default) shows notifications when a notification
/// service answers at start, and says so; a low-priority message without a
/// title is titled after its sender and has urgency low, and markup in its
/// text reaches dunst (which reads bodies as markup) escaped: shown as
/// typed, never as bold text or a link. An agent that
/// finds no session bus says once that it uses the terminal, and prints the
/// same broadcast as a terminal block.
#[test]
fn auto_output_uses_the_desktop_when_a_service_answers_else_the_terminal() {
    let server = NatsServer::start();
    let desktop = Desktop::start();
    // The harness picks --output json unless told: say auto explicitly.
    let mut on_desktop = Agent::spawn_with_env(
        &server.url(),
        &["--session-id", "desktop-user", "--output", "auto"],
        &desktop.env(),
    );
    let mut headless = Agent::spawn_with_env(
        &server.url(),
        &["--session-id", "headless", "--output", "auto"],
        &[
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
            ("DISPLAY", ""),
        ],
    );
    wait_output_through_dunst(&mut on_desktop);
    on_desktop.wait_subscribed();
    wait_output(&mut headless, "terminal");
    headless.wait_subscribed();

    expect_exit(
        &publisher(
            &server.url(),
            &["send", "--sender", "ops@srv1", "--priority", "low", COFFEE],
        ),
        0,
    );
    let id = notification_id(&mut on_desktop);
    let received = desktop.wait_received(id);
    assert_eq!(
        (
            received.summary.as_str(),
            received.body.as_str(),
            received.urgency.as_str()
        ),
        (
            "Message from ops@srv1",
            "Coffee &lt;b&gt;now&lt;/b&gt; &amp; &lt;a href=\"https://example.com\"&gt;cake&lt;/a&gt;",
            "LOW"
        )
    );
    let block: Vec<String> = (0..4).map(|_| headless.next_line()).collect();
    let block = block.join("\n");
    assert!(block.contains("Message for everyone"), "{block}");
    assert!(block.contains(COFFEE), "{block}");
}

/// With `--output desktop`, a notification service that went away costs no
/// message: it is printed as a terminal block with a warning (and the
/// receipt says `terminal`, not `desktop`), the agent goes on, and once the
/// service is back the next message is a notification again (a new bus
/// connection).
#[test]
fn a_notification_service_that_goes_away_falls_back_to_the_terminal() {
    let server = NatsServer::start();
    let mut desktop = Desktop::start();
    let mut agent = Agent::spawn_with_env(
        &server.url(),
        &["--session-id", "carol", "--output", "desktop"],
        &desktop.env(),
    );
    wait_output(&mut agent, "desktop");
    agent.wait_subscribed();

    desktop.stop_dunst();
    let out = publisher(
        &server.url(),
        &[
            "send",
            "--session",
            "carol",
            "--json",
            "while dunst is down",
        ],
    );
    let report = json(&expect_exit(&out, 0));
    assert_eq!(report["delivered"], 1, "{report}");
    assert_eq!(
        report["read_unsupported"],
        serde_json::json!(["carol"]),
        "{report}"
    );
    // Delivered, but as a terminal block: the receipt says so.
    assert_eq!(
        report["messages"][0]["shown"],
        serde_json::json!(["terminal"]),
        "{report}"
    );
    agent.wait_event("desktop_failed");
    let block: Vec<String> = (0..4).map(|_| agent.next_line()).collect();
    assert!(
        block.join("\n").contains("while dunst is down"),
        "{block:?}"
    );

    desktop.start_dunst();
    expect_exit(
        &publisher(
            &server.url(),
            &["send", "--session", "carol", "dunst is back"],
        ),
        0,
    );
    let id = notification_id(&mut agent);
    assert_eq!(desktop.wait_received(id).body, "dunst is back");
    assert!(agent.is_running());
}

/// An agent whose display has no OK action (here `--output json`) says so in
/// its receipt: `publisher send --wait` reports it under `read_unsupported`
/// at once rather than waiting for a read receipt that cannot come.
#[test]
fn displays_without_ok_are_reported_as_unable_to_report_read() {
    let server = NatsServer::start();
    let mut bob = Agent::start(&server.url(), "bob");
    let started = Instant::now();
    let out = publisher(
        &server.url(),
        &["send", "--session", "bob", "--wait", "8s", "--json", "hi"],
    );
    let report = json(&expect_exit(&out, 0));
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "waited for a read that cannot come: {:?}",
        started.elapsed()
    );
    assert_eq!(report["read"], serde_json::json!([]), "{report}");
    assert_eq!(
        report["read_unsupported"],
        serde_json::json!(["bob"]),
        "{report}"
    );
    assert_eq!(report["messages"][0]["read"], false, "{report}");
    assert_eq!(bob.next_message()["priority"], "normal");

    let text = expect_exit(
        &publisher(
            &server.url(),
            &["send", "--session", "bob", "--wait", "8s", "again"],
        ),
        0,
    );
    assert!(
        text.contains("read by 0 of 1 delivered; cannot report read: bob"),
        "{text}"
    );
}
