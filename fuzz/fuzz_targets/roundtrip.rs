//! Fuzz target `roundtrip`: see `irc_fuzz::roundtrip`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::roundtrip(data));
