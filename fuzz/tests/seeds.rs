//! The seed corpus, without libFuzzer: every seed passes its target's checks
//! (plain `cargo test` on stable). `cargo run --example write_seeds` remakes
//! the seeds (the signed and sealed ones need the fuzzers' fixed keys).

use arbitrary::{Arbitrary, Unstructured};
use remote_message::sealing;
use remote_message_fuzz::*;
use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_seed_passes_its_checks() {
    for path in seeds("payload") {
        check_payload(&std::fs::read(path).unwrap());
    }
    for path in seeds("session_id") {
        check_session_id(&std::fs::read(path).unwrap());
    }
    for path in seeds("answers") {
        check_answers(&std::fs::read(path).unwrap());
    }
    for path in seeds("envelope_roundtrip") {
        let bytes = std::fs::read(path).unwrap();
        check_envelope(EnvelopeInput::arbitrary_take_rest(Unstructured::new(&bytes)).unwrap());
    }
}

/// The bytes of the payload seed named `name`.
fn payload_seed(name: &str) -> Vec<u8> {
    let path = seeds("payload").into_iter().find(|p| p.ends_with(name));
    std::fs::read(path.unwrap_or_else(|| panic!("no payload seed {name}"))).unwrap()
}

#[test]
fn signed_and_sealed_seeds_use_the_fuzzers_keys() {
    let signed = payload_seed("signed.json");
    let message = remote_message::envelope::decode(&signed, None).unwrap();
    assert!(remote_message::signing::verify(
        &message,
        "session.alice",
        &[remote_message::UserKey::parse(&SIGNER.public_key()).unwrap()]
    )
    .is_ok());
    let sealed = payload_seed("sealed.json");
    assert!(sealing::open(&sealing::as_sealed(&sealed).unwrap(), &AGENT_XKEY).is_ok());
}
