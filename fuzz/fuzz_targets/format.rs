//! Fuzz target `format`: see `irc_fuzz::format`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::format(data));
