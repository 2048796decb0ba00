//! Signed messages: an agent started with `--trust <PUBLIC_KEY>` shows only
//! messages signed by a trusted key, so a broker whose permissions are too
//! wide still cannot put someone else's words on a user's screen.
//!
//! Keys are NATS user nkeys (ed25519): the seed (`SU…`) stays with ops, the
//! public key (`U…`) is given to agents. The signature covers the subject
//! and every field a user sees or that decides where and how long it is
//! shown, so a signed session message cannot be replayed onto `broadcast`,
//! and no field can be changed.

use crate::answer::Answers;
use crate::envelope::{Envelope, Incoming};
use crate::event::RefusalReason;
use crate::keys::{self, SeedError, SeedErrorKind, SeedKind};
use crate::priority::Priority;
use crate::public_key::UserKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nkeys::KeyPair;
use std::path::Path;

/// What is signed: the subject and the message's fields, in a fixed order.
/// `None` fields are JSON `null`. Every string is signed exactly as the
/// payload carries it, the timestamps too: a client signs the strings it
/// wrote and never has to reproduce how this crate formats an instant.
pub struct Signed<'a> {
    pub subject: &'a str,
    pub id: &'a str,
    pub text: &'a str,
    pub title: Option<&'a str>,
    pub sender: Option<&'a str>,
    /// The payload's `sent_at` string (RFC 3339), not the instant it names.
    pub sent_at: Option<&'a str>,
    /// The payload's `expires_at` string, likewise.
    pub expires_at: Option<&'a str>,
    /// As agents read it: absent (or unknown) is normal. An `urgent`
    /// message stays on screen until dismissed, so it is signed too.
    pub priority: Priority,
    /// The answers offered (buttons that report back), as agents keep them.
    pub answers: &'a Answers,
    /// Seconds between reminders, as agents read it.
    pub remind_every: Option<u64>,
    /// The send a recall order takes down.
    pub recall: Option<&'a str>,
}

impl Signed<'_> {
    /// The exact bytes the signature is made over (documented in
    /// docs/protocol.md): version 2 for a message with no answers, reminder
    /// or recall (what agents before them verify), else version 3, which
    /// covers those too. Adding or stripping one breaks the signature.
    pub fn input(&self) -> Vec<u8> {
        use serde_json::json;
        let v3 = !self.answers.is_empty() || self.remind_every.is_some() || self.recall.is_some();
        let version = if v3 {
            "remote-message-signature-v3"
        } else {
            "remote-message-signature-v2"
        };
        let mut fields = vec![
            json!(version),
            json!(self.subject),
            json!(self.id),
            json!(self.text),
            json!(self.title),
            json!(self.sender),
            json!(self.sent_at),
            json!(self.expires_at),
            json!(self.priority.as_str()),
        ];
        if v3 {
            fields.extend([
                json!(self.answers.labels()),
                json!(self.remind_every),
                json!(self.recall),
            ]);
        }
        serde_json::to_vec(&fields).expect("the signing input serializes")
    }

    /// The fields of a received message, signed over the subject it came on.
    pub fn of<'a>(message: &'a Incoming, subject: &'a str) -> Signed<'a> {
        let times = message.signed_times.as_ref();
        Signed {
            subject,
            id: message.id.as_str(),
            text: &message.text,
            title: message.title.as_deref(),
            sender: message.sender.as_deref(),
            sent_at: times.and_then(|t| t.sent_at.as_deref()),
            expires_at: times.and_then(|t| t.expires_at.as_deref()),
            priority: message.priority,
            answers: &message.answers,
            remind_every: message.remind_every.map(|every| every.as_secs()),
            recall: message.recall.as_ref().map(|send| send.as_str()),
        }
    }
}

impl Envelope {
    /// Signs the message for `subject` (call it last: it covers the other
    /// fields). Defined here, not in `envelope`, so that signing depends on
    /// the envelope and never the other way round.
    pub fn sign(&mut self, key: &KeyPair, subject: &str) {
        // The strings `to_payload` writes: serde writes a jiff `Timestamp`
        // with its `Display`.
        let sent_at = self.sent_at.to_string();
        let expires_at = self.expires_at.map(|t| t.to_string());
        let signed = Signed {
            subject,
            id: self.id.as_str(),
            text: &self.text,
            title: self.title.as_deref(),
            sender: self.sender.as_deref(),
            sent_at: Some(&sent_at),
            expires_at: expires_at.as_deref(),
            priority: self.priority.unwrap_or_default(),
            answers: &self.answers,
            remind_every: self.remind_every,
            recall: self.recall.as_ref().map(|send| send.as_str()),
        };
        let (signer, sig) = sign(key, &signed);
        self.signer = Some(signer);
        self.sig = Some(sig);
    }
}

/// A new signing key: (seed, public key).
pub fn generate() -> (String, String) {
    let key = KeyPair::new_user();
    (key.seed().expect("a new key has a seed"), key.public_key())
}

/// Reads a signing key from a seed file (`--sign-key`). Errors never
/// contain the seed.
pub fn load_key(path: &Path) -> Result<KeyPair, SeedError> {
    let no_seed = || {
        SeedError::with_context(
            SeedErrorKind::NoSeed,
            format!(
                "--sign-key {}: no user nkey seed in it: make one with `publisher keygen --out FILE`",
                path.display()
            ),
        )
    };
    let seed = keys::read_seed(path, SeedKind::User).map_err(|e| match e.kind() {
        SeedErrorKind::Unreadable => {
            let context = format!("--sign-key {}: cannot read it ({e})", path.display());
            e.context(context)
        }
        SeedErrorKind::NoSeed => no_seed(),
    })?;
    KeyPair::from_seed(&seed).map_err(|_| no_seed())
}

/// A `--trust` value that is not a user public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a user public key (U…, as `publisher keygen` prints it)")]
pub struct NotAPublicKey(pub String);

/// Checks a public key given to `--trust`.
pub fn parse_public_key(raw: &str) -> Result<UserKey, NotAPublicKey> {
    UserKey::parse(raw).ok_or_else(|| NotAPublicKey(raw.to_owned()))
}

/// `(signer, signature)` for `signed`, the signature in unpadded base64url.
pub fn sign(key: &KeyPair, signed: &Signed) -> (String, String) {
    let signature = key.sign(&signed.input()).expect("a seed key signs");
    (key.public_key(), URL_SAFE_NO_PAD.encode(signature))
}

/// Why a message is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    #[error("it is not signed")]
    Unsigned,
    #[error("it is signed by {0}, which is not trusted")]
    UnknownSigner(String),
    #[error("its signature does not match its content (tampered, or replayed on another subject)")]
    BadSignature,
}

impl Untrusted {
    /// The `reason` of the `message_refused` event it is logged with.
    pub fn reason(&self) -> RefusalReason {
        match self {
            Untrusted::Unsigned => RefusalReason::Unsigned,
            Untrusted::UnknownSigner(_) => RefusalReason::UnknownSigner,
            Untrusted::BadSignature => RefusalReason::BadSignature,
        }
    }
}

/// Accepts a message only if a trusted key signed exactly these fields on
/// this subject.
pub fn verify(message: &Incoming, subject: &str, trusted: &[UserKey]) -> Result<(), Untrusted> {
    let (Some(signer), Some(sig)) = (&message.signer, &message.sig) else {
        return Err(Untrusted::Unsigned);
    };
    if !trusted.iter().any(|t| t.as_str() == signer) {
        return Err(Untrusted::UnknownSigner(signer.clone()));
    }
    let key = KeyPair::from_public_key(signer).map_err(|_| Untrusted::BadSignature)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| Untrusted::BadSignature)?;
    key.verify(&Signed::of(message, subject).input(), &sig)
        .map_err(|_| Untrusted::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{decode, Envelope};

    fn signed_payload(key: &KeyPair, subject: &str) -> Vec<u8> {
        let mut e = Envelope::new(
            "Restart at 10pm".into(),
            Some("Ops".into()),
            Some("ops@srv".into()),
        )
        .unwrap()
        .expiring_after(std::time::Duration::from_secs(60));
        e.sign(key, subject);
        e.to_payload()
    }

    /// A signed session message verifies on its subject and not when replayed on `broadcast`.
    #[test]
    fn a_signed_message_verifies_on_its_subject_only() {
        let key = KeyPair::new_user();
        let trusted = vec![UserKey::parse(&key.public_key()).unwrap()];
        let got = decode(&signed_payload(&key, "session.bob"), None).unwrap();
        assert_eq!(verify(&got, "session.bob", &trusted), Ok(()));
        assert_eq!(
            verify(&got, "broadcast", &trusted),
            Err(Untrusted::BadSignature)
        );
    }

    /// Answers, reminders and recalls are signed (version 3): a signed
    /// question verifies, and adding, changing or stripping one of them
    /// does not; a message without them keeps version 2.
    #[test]
    fn answers_reminders_and_recalls_are_signed() {
        let key = KeyPair::new_user();
        let trusted = vec![UserKey::parse(&key.public_key()).unwrap()];
        let mut asked = Envelope::new("Restart?".into(), None, None)
            .unwrap()
            .with_answers(Answers::parse(&["Yes", "No"]).unwrap())
            .reminding_every(std::time::Duration::from_secs(60));
        asked.sign(&key, "broadcast");
        let payload = String::from_utf8(asked.to_payload()).unwrap();
        let got = decode(payload.as_bytes(), None).unwrap();
        assert_eq!(verify(&got, "broadcast", &trusted), Ok(()));
        for tampered in [
            payload.replace(r#"["Yes","No"]"#, r#"["Yes","Never"]"#),
            payload.replace(r#""answers":["Yes","No"],"#, ""),
            payload.replace(r#""remind_every":60"#, r#""remind_every":1"#),
            payload.replace(r#""remind_every":60,"#, ""),
        ] {
            assert_ne!(tampered, payload);
            let got = decode(tampered.as_bytes(), None).unwrap();
            assert_eq!(
                verify(&got, "broadcast", &trusted),
                Err(Untrusted::BadSignature)
            );
        }

        let mut recall = Envelope::recall(&crate::SendId::parse("s1").unwrap(), None);
        recall.sign(&key, "broadcast");
        let payload = String::from_utf8(recall.to_payload()).unwrap();
        let got = decode(payload.as_bytes(), None).unwrap();
        assert_eq!(got.recall.as_ref().map(|s| s.as_str()), Some("s1"));
        assert_eq!(verify(&got, "broadcast", &trusted), Ok(()));
        let other = payload.replace(r#""recall":"s1""#, r#""recall":"s2""#);
        let got = decode(other.as_bytes(), None).unwrap();
        assert_eq!(
            verify(&got, "broadcast", &trusted),
            Err(Untrusted::BadSignature)
        );

        let plain = Signed::of(&decode(b"hi", None).unwrap(), "broadcast").input();
        assert!(plain.starts_with(br#"["remote-message-signature-v2""#));
    }

    /// Unsigned messages, other keys' messages and any change to a signed field
    /// (text, expiry, priority) are refused.
    #[test]
    fn unsigned_foreign_and_tampered_messages_are_refused() {
        let key = KeyPair::new_user();
        let trusted = vec![UserKey::parse(&key.public_key()).unwrap()];
        let plain = decode(b"hello", None).unwrap();
        assert_eq!(
            verify(&plain, "broadcast", &trusted),
            Err(Untrusted::Unsigned)
        );

        let other = KeyPair::new_user();
        let foreign = decode(&signed_payload(&other, "broadcast"), None).unwrap();
        assert!(matches!(
            verify(&foreign, "broadcast", &trusted),
            Err(Untrusted::UnknownSigner(_))
        ));

        let mut tampered = decode(&signed_payload(&key, "broadcast"), None).unwrap();
        tampered.text.push('!');
        assert_eq!(
            verify(&tampered, "broadcast", &trusted),
            Err(Untrusted::BadSignature)
        );
        // The expiry as the payload carries it, taken out: never expires.
        let mut payload: serde_json::Value =
            serde_json::from_slice(&signed_payload(&key, "broadcast")).unwrap();
        payload.as_object_mut().unwrap().remove("expires_at");
        let later = decode(&serde_json::to_vec(&payload).unwrap(), None).unwrap();
        assert_eq!(later.expires_at, None);
        assert_eq!(
            verify(&later, "broadcast", &trusted),
            Err(Untrusted::BadSignature)
        );
        let mut louder = decode(&signed_payload(&key, "broadcast"), None).unwrap();
        louder.priority = Priority::Urgent;
        assert_eq!(
            verify(&louder, "broadcast", &trusted),
            Err(Untrusted::BadSignature)
        );
    }

    /// The "Test vector" block of docs/protocol.md, as `name: value` pairs.
    fn documented_vector() -> std::collections::HashMap<String, String> {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md"))
                .expect("docs/protocol.md");
        let section = &doc[doc.find("### Test vector").expect("a Test vector section")..];
        let block = section
            .split_once("```text\n")
            .and_then(|(_, rest)| rest.split_once("\n```"))
            .expect("a text block in the Test vector section")
            .0;
        block
            .lines()
            .map(|line| {
                let (name, value) = line.split_once(": ").expect("name: value");
                (name.to_owned(), value.to_owned())
            })
            .collect()
    }

    /// The test vector of docs/protocol.md, read from the doc so that the
    /// two cannot drift: its seed gives its public key; its payload on its
    /// subject gives exactly its signing input, whose timestamps are the
    /// payload's strings (`…00.000Z`, `+01:00`), not re-formatted; the seed
    /// signs that input to its `sig` (ed25519 is deterministic), which the
    /// payload carries and verifies. The same instant written another way
    /// does not verify.
    #[test]
    fn the_documented_test_vector_holds() {
        let vector = documented_vector();
        let field = |name: &str| vector[name].as_str();
        let key = KeyPair::from_seed(field("seed")).expect("the seed is a user seed");
        assert_eq!(key.public_key(), field("public key"));
        let subject = field("subject");
        let message = decode(field("payload").as_bytes(), None).unwrap();
        let signed = Signed::of(&message, subject);
        assert_eq!(
            String::from_utf8(signed.input()).unwrap(),
            field("signing input")
        );
        let (signer, sig) = sign(&key, &signed);
        assert_eq!(
            (signer.as_str(), sig.as_str()),
            (field("public key"), field("sig"))
        );
        assert_eq!(message.sig.as_deref(), Some(field("sig")));
        let trusted = [UserKey::parse(field("public key")).unwrap()];
        assert_eq!(verify(&message, subject, &trusted), Ok(()));
        let reformatted = field("payload").replace("21:00:00.000Z", "21:00:00Z");
        let reformatted = decode(reformatted.as_bytes(), None).unwrap();
        assert_eq!(reformatted.sent_at, message.sent_at);
        assert_eq!(
            verify(&reformatted, subject, &trusted),
            Err(Untrusted::BadSignature)
        );
    }

    /// New keys have the user prefixes, public keys parse and seeds do not, a key file
    /// loads back, and a bad one's error never shows its content.
    #[test]
    fn keys_parse_and_errors_never_show_the_seed() {
        let (seed, public) = generate();
        assert!(seed.starts_with("SU") && UserKey::parse(&public).is_some());
        assert_eq!(
            parse_public_key(&public).map(|k| k.to_string()),
            Ok(public.clone())
        );
        assert!(parse_public_key(&seed).is_err());
        assert!(parse_public_key("Uxyz").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, format!("{seed}\n")).unwrap();
        assert_eq!(load_key(&path).unwrap().public_key(), public);
        std::fs::write(&path, "garbage").unwrap();
        assert!(!load_key(&path).unwrap_err().to_string().contains("garbage"));
    }
}
