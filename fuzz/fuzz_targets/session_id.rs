//! Fuzz target: the session-id rule and subjects (see `check_session_id`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| remote_message_fuzz::check_session_id(data));
