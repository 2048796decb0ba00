//! Invariant checks for fuzzing `remote-message`'s hostile-input surface.
//!
//! Every agent decodes whatever any NATS client publishes, so "does not
//! panic" is not enough: each check below also states what the result must
//! look like, and panics (a libFuzzer crash) when it does not. The checks
//! live here, not in the fuzz targets, so that `cargo test` replays the seed
//! corpus and any crash file on stable Rust without libFuzzer.
//!
//! Targets (one `fuzz_targets/*.rs` each):
//! - [`check_payload`]: any bytes as an agent receives them (sealed or not,
//!   JSON or text), through `decode`, `verify` and `printable`.
//! - [`check_envelope`]: what a publisher builds comes back unchanged.
//! - [`check_session_id`]: the session-id rule and the subjects built from it.
//! - [`check_answers`]: receipts, session-list entries, session info, labels.

use arbitrary::Arbitrary;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiff::Timestamp;
use nkeys::{KeyPair, KeyPairType, XKey};
use remote_message::envelope::{self, Envelope, Format, Incoming, InvalidText, Rejection};
use remote_message::session_id::InvalidSessionId;
use remote_message::sessions::{self, Receipt, ReceiptStatus, SessionInfo};
use remote_message::signing::{self, Signed, Untrusted};
use remote_message::subject::{self, Target};
use remote_message::{
    sealing, terminal, MessageId, Priority, SealingKey, SessionId, UserKey, UserName,
};
use std::sync::LazyLock;

/// The one signing key the fuzzer "trusts". Fixed, so the signed seed in
/// `seeds/payload` verifies and mutations of it reach the signature check.
pub static SIGNER: LazyLock<KeyPair> = LazyLock::new(|| {
    KeyPair::new_from_raw(KeyPairType::User, [0x5a; 32]).expect("a user key from 32 bytes")
});

/// The agent's sealing key. Fixed, so the sealed seed opens and mutations of
/// it reach `sealing::open` and the decoding of what is inside.
pub static AGENT_XKEY: LazyLock<XKey> = LazyLock::new(|| XKey::new_from_raw([0xa5; 32]));

/// Subjects a payload is checked on: where an agent receives messages.
pub const SUBJECTS: [&str; 2] = ["broadcast", "session.alice"];

/// The session-id rule, written independently of `SessionId::parse`:
/// 1 to 64 characters of `A-Z a-z 0-9 _ -`.
pub fn is_valid_session_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Any bytes, as an agent gets them on the wire.
pub fn check_payload(data: &[u8]) {
    // The agent first tries the sealed form, and decodes what it opens.
    if let Some(sealed) = sealing::as_sealed(data) {
        assert!(data.starts_with(b"{"), "as_sealed took a non-object");
        if let Ok(inner) = sealing::open(&sealed, &AGENT_XKEY) {
            check_decoded(&inner);
        }
        // A key that holds only a public half must refuse, not panic.
        let public_only = XKey::from_public_key(&AGENT_XKEY.public_key()).expect("own public key");
        assert!(sealing::open(&sealed, &public_only).is_err());
    }
    check_decoded(data);
}

/// `decode` with and without a `Nats-Msg-Id` header, then what an agent does
/// with the message: check the signature, print it.
fn check_decoded(payload: &[u8]) {
    let plain = envelope::decode(payload, None);
    let raw = std::str::from_utf8(payload);
    match &plain {
        Err(Rejection::NotUtf8(n)) => {
            assert!(raw.is_err(), "valid UTF-8 rejected as not UTF-8");
            assert_eq!(*n, payload.len());
        }
        Err(Rejection::Empty) => assert!(raw.is_ok_and(|r| r.trim().is_empty())),
        Err(Rejection::NoText) => {
            assert!(raw.is_ok_and(|r| r.trim_start().starts_with('{')));
        }
        Ok(message) => check_incoming(message, raw.expect("Ok from valid UTF-8")),
    }
    // The header only ever supplies the id: everything else is the same.
    for header in ["from-header", ""] {
        let with_header = envelope::decode(payload, Some(header));
        match (&plain, &with_header) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    Incoming {
                        id: b.id.clone(),
                        ..a.clone()
                    },
                    *b
                );
                check_incoming(b, std::str::from_utf8(payload).unwrap());
                // Text has no id of its own: a non-empty header id is used.
                if b.format == Format::Text && !header.is_empty() {
                    assert_eq!(b.id, header);
                }
            }
            (a, b) => assert_eq!(a, b, "the header changed the decision"),
        }
    }
}

/// What must hold for every message an agent would show.
fn check_incoming(message: &Incoming, raw: &str) {
    // Only a recall order has no text.
    assert!(
        message.recall.is_some() || !message.text.trim().is_empty(),
        "blank text: {message:?}"
    );
    assert!(!message.id.as_str().is_empty(), "empty id: {message:?}");
    for field in [
        &message.title,
        &message.sender,
        &message.signer,
        &message.sig,
    ] {
        assert!(field.as_ref().is_none_or(|f| !f.trim().is_empty()));
    }
    match message.format {
        Format::Text => {
            assert_eq!(message.text, raw.trim_end());
            assert_eq!(
                (
                    &message.title,
                    &message.sender,
                    &message.signer,
                    message.sent_at
                ),
                (&None, &None, &None, None)
            );
        }
        Format::Json => assert!(raw.trim_start().starts_with('{')),
    }
    for now in [Timestamp::MIN, Timestamp::now(), Timestamp::MAX] {
        let _ = message.is_expired(now);
    }
    for subject in SUBJECTS {
        check_verify(message, subject);
    }
    // What reaches a terminal has no character left that is to be escaped.
    let shown = terminal::printable(&message.text, 200, terminal::Lines::Kept);
    assert!(
        !shown
            .chars()
            .any(|c| terminal::is_escaped(c, terminal::Lines::Kept)),
        "character printed unescaped: {shown:?}"
    );
}

/// `verify` accepts exactly what the trusted key would have signed.
fn check_verify(message: &Incoming, subject: &str) {
    let trusted = [UserKey::parse(&SIGNER.public_key()).unwrap()];
    let verdict = signing::verify(message, subject, &trusted);
    let (Some(signer), Some(sig)) = (&message.signer, &message.sig) else {
        assert_eq!(verdict, Err(Untrusted::Unsigned));
        return;
    };
    if signer != trusted[0].as_str() {
        assert_eq!(verdict, Err(Untrusted::UnknownSigner(signer.clone())));
        return;
    }
    if verdict.is_ok() {
        // ed25519 signatures are deterministic: an accepted signature must be
        // the one the key makes, or verification let something else through.
        let (_, expected) = signing::sign(&SIGNER, &Signed::of(message, subject));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(sig).ok(),
            URL_SAFE_NO_PAD.decode(&expected).ok(),
            "a signature other than the key's own was accepted"
        );
    }
    // Nobody else's list of trusted keys makes it pass.
    assert!(signing::verify(message, subject, &[]).is_err());
}

/// Field values a publisher could put in an [`Envelope`].
#[derive(Debug, Arbitrary)]
pub struct EnvelopeInput {
    pub id: String,
    pub text: String,
    pub title: Option<String>,
    pub sender: Option<String>,
    pub sent_at: (i64, i32),
    pub expires_at: Option<(i64, i32)>,
    pub priority: Option<u8>,
    /// `None`: unsigned; else signed on `SUBJECTS[_ % 2]`.
    pub sign_on: Option<u8>,
    /// Also sealed to the agent's key, as `publisher send --seal` does.
    pub seal: bool,
}

/// Any timestamp jiff can hold, from any two numbers.
fn timestamp((secs, nanos): (i64, i32)) -> Timestamp {
    let min = Timestamp::MIN.as_second();
    let span = (Timestamp::MAX.as_second() - min) as u64;
    let secs = min + (secs as u64 % span) as i64;
    Timestamp::new(secs, nanos.rem_euclid(1_000_000_000)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A publisher's envelope, through `to_payload` (and sealing), decodes to the
/// same fields, and its signature verifies on the agent side.
pub fn check_envelope(input: EnvelopeInput) {
    let built = Envelope::with_id(
        MessageId::new(input.id.clone()),
        input.text.clone(),
        input.title.clone(),
        input.sender.clone(),
    );
    let mut sent = match built {
        Err(InvalidText::EmptyText) => return assert!(input.text.trim().is_empty()),
        Err(InvalidText::EmptyTitle) => {
            return assert!(input.title.is_some_and(|t| t.trim().is_empty()))
        }
        Ok(sent) => sent,
    };
    sent.sent_at = timestamp(input.sent_at);
    sent.expires_at = input.expires_at.map(timestamp);
    sent.priority = input.priority.map(|p| match p % 4 {
        0 => Priority::Low,
        1 => Priority::Normal,
        2 => Priority::High,
        _ => Priority::Urgent,
    });
    let subject = input.sign_on.map(|s| SUBJECTS[usize::from(s % 2)]);
    if let Some(subject) = subject {
        sent.sign(&SIGNER, subject);
    }
    let mut payload = sent.to_payload();
    if input.seal {
        let wire = sealing::seal(&sent.id, &payload, &AGENT_XKEY.public_key()).expect("seals");
        let sealed = sealing::as_sealed(&wire).expect("a sealed message is recognised");
        assert_eq!(sealed.id, sent.id);
        payload = sealing::open(&sealed, &AGENT_XKEY).expect("opens with the agent's key");
    }
    let got = envelope::decode(&payload, None).expect("a built envelope decodes");
    // Ids from the publisher are never blank (a NUID, or --id in the session
    // id alphabet); a blank one is replaced by the agent, so is not compared.
    let id_kept = !sent.id.as_str().trim().is_empty();
    if id_kept {
        assert_eq!(got.id, sent.id);
    }
    assert_eq!(got.text, sent.text);
    assert_eq!(got.title, sent.title);
    assert_eq!(got.sender, sent.sender);
    assert_eq!(got.sent_at, Some(sent.sent_at));
    assert_eq!(got.expires_at, sent.expires_at);
    assert_eq!(got.priority, sent.priority.unwrap_or_default());
    assert_eq!((&got.signer, &got.sig), (&sent.signer, &sent.sig));
    assert_eq!(got.format, Format::Json);
    if let (Some(subject), true) = (subject, id_kept) {
        assert_eq!(
            signing::verify(
                &got,
                subject,
                &[UserKey::parse(&SIGNER.public_key()).unwrap()]
            ),
            Ok(())
        );
        // A signature is for one subject only: never replayable on the other.
        let other = SUBJECTS.iter().find(|s| **s != subject).unwrap();
        assert_eq!(
            signing::verify(
                &got,
                other,
                &[UserKey::parse(&SIGNER.public_key()).unwrap()]
            ),
            Err(Untrusted::BadSignature)
        );
    }
}

/// Any string as a session id, and as a subject an agent received on.
pub fn check_session_id(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let raw = raw.as_ref();
    let valid = is_valid_session_id(raw);
    let parsed = SessionId::parse(raw);
    assert_eq!(
        parsed.is_ok(),
        valid,
        "parse disagrees with the rule on {raw:?}"
    );
    // Every way in agrees with parse.
    assert_eq!(raw.parse::<SessionId>(), parsed);
    assert_eq!(SessionId::try_from(raw.to_owned()), parsed);
    assert_eq!(
        serde_json::from_value::<SessionId>(raw.into()).ok(),
        parsed.clone().ok()
    );
    match &parsed {
        Err(InvalidSessionId::Empty) => assert!(raw.is_empty()),
        Err(InvalidSessionId::TooLong(s, n)) => assert!(s == raw && *n == raw.len() && *n > 64),
        Err(InvalidSessionId::BadChar(s, c)) => {
            assert_eq!(s, raw);
            assert_eq!(
                raw.chars().find(|c| !is_valid_session_id(&c.to_string())),
                Some(*c)
            );
        }
        Ok(id) => check_session_subjects(id, raw),
    }
    // The fuzzer's string as a whole subject, and as the last token of one.
    check_from_subject(raw);
    check_from_subject(&format!("{}{raw}", subject::SESSION_PREFIX));
}

/// An accepted id makes subjects with a fixed number of plain tokens.
fn check_session_subjects(id: &SessionId, raw: &str) {
    assert_eq!((id.as_str(), id.to_string().as_str()), (raw, raw));
    let target = Target::Session(id.clone());
    let subject = target.subject();
    assert_eq!(subject, format!("session.{raw}"));
    assert_eq!(subject.split('.').count(), 2, "{subject:?}");
    assert!(subject.split('.').all(|t| !t.is_empty()));
    assert!(!subject.contains(['*', '>']) && !subject.contains(char::is_whitespace));
    assert_eq!(Target::from_subject(&subject), Some(target));
    let presence = subject::presence_subject(id);
    assert_eq!(
        presence.split('.').collect::<Vec<_>>(),
        ["session", raw, "presence"]
    );
    assert_eq!(serde_json::to_value(id).unwrap(), raw);
}

/// `from_subject` names a target only for `broadcast` and `session.<valid id>`.
fn check_from_subject(subject: &str) {
    match Target::from_subject(subject) {
        None => {
            let valid_session = subject
                .strip_prefix("session.")
                .is_some_and(is_valid_session_id);
            assert!(
                subject != "broadcast" && !valid_session,
                "{subject:?} refused"
            );
        }
        Some(Target::Broadcast) => assert_eq!(subject, "broadcast"),
        Some(Target::Session(id)) => {
            let tokens: Vec<_> = subject.split('.').collect();
            let last = tokens.last().unwrap();
            assert!(is_valid_session_id(last), "session from {subject:?}");
            assert_eq!(tokens, ["session", id.as_str()]);
        }
    }
}

/// Answers from other processes: receipts, session-list entries, session info, labels.
pub fn check_answers(data: &[u8]) {
    // A receipt's session is always a valid id, and it re-serializes as is.
    if let Ok(receipt) = serde_json::from_slice::<Receipt>(data) {
        assert!(is_valid_session_id(receipt.session.as_str()));
        assert_eq!(receipt.is_read(), receipt.status == ReceiptStatus::Read);
        let again = serde_json::to_vec(&receipt).unwrap();
        assert_eq!(serde_json::from_slice::<Receipt>(&again).unwrap(), receipt);
    }
    // A listing answer: what `publisher sessions` turns into a row. The id
    // and user come from the entry's subject, the rest from this payload.
    let id = SessionId::parse("s1").unwrap();
    let vanessa = UserName::parse("vanessa").unwrap();
    if let Some(info) = SessionInfo::from_entry(id, &UserName::token(Some(&vanessa)), data) {
        assert_eq!(
            (info.id.as_str(), info.user.as_ref()),
            ("s1", Some(&vanessa))
        );
        assert!(info
            .xkey
            .as_ref()
            .is_none_or(|k| SealingKey::parse(k.as_str()).as_ref() == Some(k)));
        check_entry_round_trip(&info);
    }
    if let Ok(info) = serde_json::from_slice::<SessionInfo>(data) {
        assert!(is_valid_session_id(info.id.as_str()));
        let again = serde_json::to_vec(&info).unwrap();
        assert_eq!(serde_json::from_slice::<SessionInfo>(&again).unwrap(), info);
        if UserName::from_token(&info.user_token()).as_ref() == Some(&info.user) {
            check_entry_round_trip(&info);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        // `--label key=value` splits at the first '=' and keeps both halves.
        if let Ok((key, value)) = sessions::parse_label(text) {
            assert_eq!(format!("{key}={value}"), text);
            assert!(!key.is_empty() && !key.contains('='));
        }
    }
}

/// What an agent answers a listing with is what the listing reads back
/// (an invalid xkey never gets into a `SessionInfo`).
fn check_entry_round_trip(info: &SessionInfo) {
    let back = SessionInfo::from_entry(info.id.clone(), &info.user_token(), &info.entry_payload());
    assert_eq!(back.as_ref(), Some(info), "an entry read back differently");
}
