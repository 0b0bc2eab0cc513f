//! Fuzz target `isupport`: see `irc_fuzz::isupport`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| irc_fuzz::isupport(data));
