//! Fuzz target `ctcp`: see `irc_fuzz::ctcp`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::ctcp(data));
