//! English, Spanish and French, through the real binaries: the agent's
//! terminal block in each language, chosen with `--lang` or from `LANG`; the
//! publisher's report and errors in another language; and what stays English
//! whatever the language (the agent's log, JSON output, the publisher's errors
//! with `--log-format json`).

use e2e::procs::{bin, finish_within};
use e2e::server::free_port;
use e2e::{expect_exit, publisher, Agent, NatsServer};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Sends `text` from `ops@srv` to session `bob`, or to everyone without a
/// session, and returns the terminal block `agent` prints, up to its footer
/// (`---- …`).
fn block_for(server: &NatsServer, agent: &mut Agent, session: Option<&str>) -> String {
    let mut args = vec!["send", "--sender", "ops@srv", "--id", "m-1"];
    if let Some(session) = session {
        args.extend(["--session", session]);
    }
    args.push("Restart at 10pm");
    expect_exit(&publisher(&server.url(), &args), 0);
    agent.next_block().join("\n")
}

/// A terminal agent for session bob with these arguments and environment,
/// subscribed.
fn terminal_agent(server: &NatsServer, args: &[&str], env: &[(&str, &str)]) -> Agent {
    let mut all = vec!["--session-id", "bob", "--output", "terminal"];
    all.extend_from_slice(args);
    let mut agent = Agent::spawn_with_env(&server.url(), &all, env);
    agent.wait_subscribed();
    agent
}

/// `--lang en|es|fr`: the block's header and footer are in that language,
/// for a session message and a broadcast; the text, sender and ids are as
/// sent; no English word of the chrome is left in Spanish or French.
#[test]
fn terminal_block_in_each_language_with_lang() {
    let server = NatsServer::start();
    for (lang, to_bob, to_everyone, footer) in [
        (
            "en",
            "==== Message for you (session bob) · ",
            "==== Message for everyone · ",
            "---- from ops@srv · id ",
        ),
        (
            "es",
            "==== Mensaje para usted (sesión bob) · ",
            "==== Mensaje para todos · ",
            "---- de ops@srv · id ",
        ),
        (
            "fr",
            "==== Message pour vous (session bob) · ",
            "==== Message pour tout le monde · ",
            "---- de ops@srv · id ",
        ),
    ] {
        let mut agent = terminal_agent(&server, &["--lang", lang], &[]);
        let block = block_for(&server, &mut agent, Some("bob"));
        assert!(block.contains(to_bob), "{lang}: {block}");
        assert!(block.contains("Restart at 10pm"), "{lang}: {block}");
        assert!(block.contains(footer), "{lang}: {block}");
        let block = block_for(&server, &mut agent, None);
        assert!(block.contains(to_everyone), "{lang}: {block}");
        if lang != "en" {
            assert!(
                !block.contains("Message for") && !block.contains("---- from"),
                "{block}"
            );
        }
    }
}

/// Without `--lang` the OS language decides: `LANG=es_ES.UTF-8` gives
/// Spanish, `LC_ALL=fr_CA.UTF-8` French (it wins over `LANG`), an
/// unsupported `LANG=de_DE.UTF-8` English; `--lang` wins over them all. The
/// agent's log lines stay English in Spanish.
#[test]
fn the_os_language_decides_unless_lang_is_given() {
    let server = NatsServer::start();
    for (env, args, header) in [
        (
            &[("LANG", "es_ES.UTF-8")][..],
            &[][..],
            "==== Mensaje para usted (sesión bob)",
        ),
        (
            &[("LANG", "es_ES.UTF-8"), ("LC_ALL", "fr_CA.UTF-8")][..],
            &[][..],
            "==== Message pour vous (session bob)",
        ),
        (
            &[("LANG", "de_DE.UTF-8")][..],
            &[][..],
            "==== Message for you (session bob)",
        ),
        (
            &[("LANG", "es_ES.UTF-8")][..],
            &["--lang", "en"][..],
            "==== Message for you (session bob)",
        ),
        (
            &[("LANG", "C.UTF-8"), ("REMOTE_MESSAGE_LANG", "fr")][..],
            &[][..],
            "==== Message pour vous (session bob)",
        ),
    ] {
        let mut agent = terminal_agent(&server, args, env);
        let block = block_for(&server, &mut agent, Some("bob"));
        assert!(block.contains(header), "{env:?} {args:?}: {block}");
        let logs = agent.logs().join("\n");
        assert!(
            logs.contains(r#""message":"listening as session bob"#),
            "the log stays English: {logs}"
        );
    }
}

/// `--output json` is the same in every language: English field names and
/// values, no translated word.
#[test]
fn json_output_stays_english() {
    let server = NatsServer::start();
    let mut agent = Agent::spawn_with_env(
        &server.url(),
        &["--session-id", "bob", "--output", "json", "--lang", "fr"],
        &[("LANG", "fr_FR.UTF-8")],
    );
    agent.wait_subscribed();
    expect_exit(
        &publisher(&server.url(), &["send", "--session", "bob", "hi"]),
        0,
    );
    let line = agent.next_message();
    assert_eq!(line["target"], "session", "{line}");
    assert_eq!(line["text"], "hi", "{line}");
    assert!(!line.to_string().contains("pour"), "{line}");
}

/// The publisher's human report follows the language too (`LANG`, or
/// `--lang`), and its `--json` output stays English.
#[test]
fn publisher_report_in_spanish_json_in_english() {
    let server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "bob");
    let run = |args: &[&str], lang: &str| {
        let child = Command::new(bin("publisher"))
            .args(args)
            .env("NATS_URL", server.url())
            .env("XDG_CONFIG_HOME", e2e::procs::NO_USER_CONFIG)
            .envs(e2e::procs::ENGLISH)
            .env("LANG", lang)
            .env_remove("REMOTE_MESSAGE_LANG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn publisher");
        finish_within(child, Duration::from_secs(30), "publisher")
    };
    let out = expect_exit(
        &run(&["send", "--session", "bob", "hola"], "es_MX.UTF-8"),
        0,
    );
    assert!(out.contains(" a session.bob: entregado"), "{out}");
    assert!(out.contains("entregado a 1 de 1 sesión"), "{out}");
    assert!(!out.contains("delivered"), "{out}");
    agent.next_message();

    let out = expect_exit(
        &run(&["send", "--json", "--session", "bob", "x"], "es_ES.UTF-8"),
        0,
    );
    assert!(out.contains(r#""outcome":"delivered""#), "{out}");
    agent.next_message();

    let out = expect_exit(&run(&["sessions", "--lang", "fr"], "es_ES.UTF-8"), 0);
    assert!(out.starts_with("SESSION"), "{out}");
    assert!(
        out.contains("UTILISATEUR") && out.contains("1 session\n"),
        "{out}"
    );
}

/// The publisher's error on stderr, and its exit code, for `args` against
/// the server URL `server` (given as --server too).
fn publisher_error(server: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["--server", server];
    all.extend_from_slice(args);
    let out = publisher(server, &all);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The publisher's errors follow `--lang`: a server nobody listens on is
/// "cannot reach" in French (exit 3), a bad `--server` URL is refused in
/// Spanish (exit 2), the URL and flags as given; with `--log-format json`
/// the same errors are English, whatever `--lang` says.
#[test]
fn publisher_errors_in_the_chosen_language_english_with_json_logs() {
    let closed = format!("nats://127.0.0.1:{}", free_port());
    let (code, err) = publisher_error(&closed, &["--lang", "fr", "send", "hi"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.starts_with(&format!(
            "publisher: impossible de joindre NATS à {closed} ("
        )),
        "{err}"
    );
    assert!(err.contains("indiquez --server ou NATS_URL"), "{err}");
    assert!(!err.contains("cannot reach"), "{err}");

    let bad = "nats://[bad";
    let (code, err) = publisher_error(bad, &["--lang", "es", "send", "hi"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("publisher: URL de --server no válida nats://[bad: "),
        "{err}"
    );
    assert!(
        err.contains("se espera, por ejemplo, nats://host:4222"),
        "{err}"
    );
    assert!(!err.contains("invalid --server URL"), "{err}");

    let json = ["--log-format", "json", "send", "hi"];
    let (code, err) = publisher_error(&closed, &[&["--lang", "fr"], &json[..]].concat());
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "publisher: cannot reach NATS at {closed} (connection refused)"
        )),
        "{err}"
    );
    assert!(!err.contains("impossible"), "{err}");
    let (code, err) = publisher_error(bad, &[&["--lang", "es"], &json[..]].concat());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("publisher: invalid --server URL nats://[bad: "),
        "{err}"
    );
    assert!(!err.contains("no válida"), "{err}");
}

/// A settings-file error, found before the command line is parsed, is
/// already in the language `--lang` asks for (exit 2), with where and the
/// key meant.
#[test]
fn settings_file_errors_in_the_chosen_language() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("publisher.toml");
    std::fs::write(&file, "sevrer = \"nats://x\"\n").unwrap();
    let path = file.to_str().unwrap();
    let out = publisher(
        "nats://127.0.0.1:1",
        &["--config", path, "--lang", "fr", "send", "hi"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!(
            "publisher: clé `sevrer` du fichier de réglages {path}, ligne 1, colonne 1 : clé \
             inconnue ; vouliez-vous dire `server` ? "
        )),
        "{err}"
    );
    assert!(!err.contains("unknown key"), "{err}");
}

/// Counts go through each language's plural rules in the real binary: a
/// send to one session nobody holds reports "remis à 0 session sur 1" and
/// fails (exit 4) with "1 session sur 1 n'a pas confirmé" in French, not
/// "1 sessions … n'ont pas"; to two such sessions, the plural.
#[test]
fn publisher_counts_one_and_many_in_french() {
    let server = NatsServer::start();
    let send = |sessions: &[&str]| {
        let mut args = vec!["--lang", "fr", "send"];
        for session in sessions {
            args.extend(["--session", session]);
        }
        args.push("x");
        let out = publisher(&server.url(), &args);
        let stdout = expect_exit(&out, 4);
        (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (stdout, stderr) = send(&["ghost"]);
    assert!(stdout.contains("remis à 0 session sur 1 ;"), "{stdout}");
    assert_eq!(
        stderr,
        "publisher: 1 session sur 1 n'a pas confirmé : ghost\n"
    );
    let (stdout, stderr) = send(&["ghost", "phantom"]);
    assert!(stdout.contains("remis à 0 session sur 2 ;"), "{stdout}");
    assert_eq!(
        stderr,
        "publisher: 2 sessions sur 2 n'ont pas confirmé : ghost, phantom\n"
    );
}
