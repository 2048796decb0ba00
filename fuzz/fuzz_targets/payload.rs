//! Fuzz target: any payload an agent can receive (see `check_payload`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| remote_message_fuzz::check_payload(data));
