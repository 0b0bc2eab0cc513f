//! Fuzz target `pack`: see `irc_fuzz::pack`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::pack(data));
