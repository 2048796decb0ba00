//! Fuzz target: arbitrary envelope fields survive the wire (see `check_envelope`).
#![no_main]
use remote_message_fuzz::{check_envelope, EnvelopeInput};
libfuzzer_sys::fuzz_target!(|input: EnvelopeInput| check_envelope(input));
