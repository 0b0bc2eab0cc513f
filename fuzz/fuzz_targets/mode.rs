//! Fuzz target `mode`: see `irc_fuzz::mode`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::mode(data));
