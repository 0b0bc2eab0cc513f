//! Fuzz target `split`: see `irc_fuzz::split`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::split(data));
