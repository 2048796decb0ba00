//! Fuzz target: receipts and session-list answers (see `check_answers`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| remote_message_fuzz::check_answers(data));
