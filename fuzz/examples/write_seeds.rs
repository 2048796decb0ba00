//! Remakes the seed corpus in `seeds/` (the signed and sealed seeds need the
//! fuzzers' fixed keys): `cargo run --example write_seeds`. The seeds are
//! checked by `tests/seeds.rs`.

use remote_message::sessions::{Receipt, SessionInfo};
use remote_message::{sealing, Envelope, Priority, SessionId};
use remote_message_fuzz::*;
use std::collections::BTreeMap;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();

    let mut signed = Envelope::with_id(
        "msg-1".into(),
        "Server restarts at 10pm\nSave your work.".into(),
        Some("Maintenance".into()),
        Some("ops@srv".into()),
    )
    .unwrap()
    .with_priority(Some(Priority::Urgent))
    .expiring_after(std::time::Duration::from_secs(3600));
    signed.sign(&SIGNER, "session.alice");
    write("payload/signed.json", &signed.to_payload());
    let inner = Envelope::with_id("msg-2".into(), "for alice only".into(), None, None).unwrap();
    let sealed = sealing::seal(
        &"msg-2".into(),
        &inner.to_payload(),
        &AGENT_XKEY.public_key(),
    )
    .unwrap();
    write("payload/sealed.json", &sealed);
    write(
        "payload/foreign.json",
        br#"{"id":" ","text":"hi \u001b[2J","title":7,"priority":" URGENT ","sent_at":"2026-11-22T21:00:00+01:00","expires_at":"soon","sig":""}"#,
    );
    write(
        "payload/plain.txt",
        "Lunch is served \u{1f355}\r\n".as_bytes(),
    );
    write("payload/not-utf8.bin", b"caf\xe9 \xff\xfe");
    // Past serde_json's nesting limit (128): shown as text, not parsed.
    let deep = format!(
        r#"{{"text":"deep","n":{}1{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    write("payload/deep.json", deep.as_bytes());

    write("session_id/valid", b"Alice_2-x");
    write("session_id/subject", b"session.bob.*");

    let alice = SessionId::parse("alice").unwrap();
    let receipt = Receipt::delivered(&"msg-1".into(), &alice).with_read_ack(true);
    write(
        "answers/receipt.json",
        &serde_json::to_vec(&receipt).unwrap(),
    );
    // A newer agent's: how it was shown, with a word this version does not know.
    write(
        "answers/receipt-shown.json",
        br#"{"id":"msg-1","session":"alice","status":"delivered","at":"2026-11-22T12:36:52Z","shown":["terminal","hologram","exec","terminal"]}"#,
    );
    let info = SessionInfo {
        id: alice,
        user: remote_message::UserName::parse("vanessa").ok(),
        host: "pc-12".into(),
        os: "linux".into(),
        version: "0.1.0".into(),
        since: "2026-11-22T08:00:00Z".parse().unwrap(),
        labels: BTreeMap::from([("dept".into(), "sales".into())]),
        xkey: remote_message::SealingKey::parse(&AGENT_XKEY.public_key()),
    };
    write("answers/entry.json", &info.entry_payload());
    write(
        "answers/session-info.json",
        &serde_json::to_vec(&info).unwrap(),
    );
}
