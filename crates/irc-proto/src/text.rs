//! Bytes to text: UTF-8 where valid, CP1252 for the bytes that are not.
//!
//! IRC has no declared encoding. Modern networks speak UTF-8, old clients
//! still send Latin-1 or Windows-1252. Like Sopel's `decode_line`, this module
//! never drops a line for its encoding; unlike it, the fallback works per
//! invalid sequence rather than per line, so a line that mixes a UTF-8 nick
//! with a CP1252 word keeps both readable.
//!
//! The fallback table is Windows-1252; its five unassigned bytes (`0x81`,
//! `0x8D`, `0x8F`, `0x90`, `0x9D`) map to the Latin-1 code point of the same
//! value, so every byte maps to exactly one character and nothing is lost.

use std::borrow::Cow;

/// The characters of Windows-1252 for bytes `0x80..=0x9F`; the rest of the
/// high half is Latin-1.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The character a byte stands for in the CP1252 fallback.
///
/// ```
/// assert_eq!(irc_proto::text::cp1252_char(0x80), '€');
/// assert_eq!(irc_proto::text::cp1252_char(0xE9), 'é');
/// assert_eq!(irc_proto::text::cp1252_char(b'a'), 'a');
/// ```
#[must_use]
pub const fn cp1252_char(byte: u8) -> char {
    if byte >= 0x80 && byte < 0xA0 {
        CP1252_HIGH[(byte - 0x80) as usize]
    } else {
        byte as char
    }
}

/// Decodes one line of bytes into text without ever failing.
///
/// Valid UTF-8 is borrowed as it is; any byte that is not part of a valid
/// UTF-8 sequence is read as Windows-1252 (see the module docs).
///
/// ```
/// use irc_proto::decode;
/// assert_eq!(decode(b"caf\xc3\xa9"), "café"); // UTF-8
/// assert_eq!(decode(b"caf\xe9"), "café"); // Latin-1 / CP1252
/// assert_eq!(decode(b"\x93quoted\x94"), "\u{201C}quoted\u{201D}");
/// ```
#[must_use]
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&b| cp1252_char(b)));
    }
    Cow::Owned(out)
}

/// Whether [`decode`] would need its fallback for these bytes.
#[must_use]
pub fn is_utf8(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_decodes_to_one_char() {
        for b in 0u8..=255 {
            let bytes = [b];
            let s = decode(&bytes);
            assert_eq!(s.chars().count(), 1, "byte {b:#x}");
        }
    }

    #[test]
    fn mixed_utf8_and_cp1252_keep_both() {
        let line = b"\xc3\xa9t\xe9 \xe2\x82\xac \x80";
        assert_eq!(decode(line), "été € €");
    }

    #[test]
    fn valid_utf8_is_borrowed() {
        assert!(matches!(decode("ünïcødé".as_bytes()), Cow::Borrowed(_)));
    }

    #[test]
    fn truncated_utf8_sequence_falls_back() {
        // A lead byte of a 3-byte sequence followed by ASCII.
        assert_eq!(decode(b"a\xe2\x82b"), "aâ\u{201A}b");
    }
}
