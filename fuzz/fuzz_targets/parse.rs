//! Fuzz target `parse`: see `irc_fuzz::parse`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::parse(data));
