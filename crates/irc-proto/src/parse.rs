//! The line grammar, as nom parsers named after its rules.
//!
//! The grammar is the one of the modern IRC client protocol with the IRCv3
//! message-tags extension:
//!
//! ```text
//! message     ::= ['@' <tags> SPACE] [':' <source> SPACE] <command> <parameters> <crlf>
//! SPACE       ::= %x20 *( %x20 )          ; one or more spaces
//! command     ::= letter* / 3digit
//! parameters  ::= *( SPACE middle ) [ SPACE ":" trailing ]
//! nospcrlfcl  ::= <any byte except NUL, CR, LF, colon and SPACE>
//! middle      ::= nospcrlfcl *( ":" / nospcrlfcl )
//! trailing    ::= *( ":" / " " / nospcrlfcl )
//! ```
//!
//! The codec has already framed one line, so every parser is a `complete`
//! parser: running out of input ends a rule instead of asking for more. The
//! leaf rules scan a word at a time (eight bytes in a `u64`) and hand long
//! haystacks to `memchr`, which is what makes the parser fast; the rules are
//! composed with nom's combinators.
//!
//! # Lenient and strict
//!
//! [`ParseMode::Lenient`] (the default) reads what real servers send: a stray
//! trailing CR or LF is dropped, leading spaces are skipped, empty tag keys are
//! skipped, any printable ASCII word is a command, and there is no length
//! limit. [`ParseMode::Strict`] applies the letter of the grammar: commands are
//! letters or three digits, tag keys must be well formed, CR, LF and NUL are
//! refused, and the 512-byte (with CRLF) and 8191-byte tag limits are enforced.

use nom::Parser;
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::preceded;

use crate::error::{ParseError, ParseErrorKind};
use crate::message::{Message, Params};
use crate::tags::{Tags, is_valid_key};

/// How strictly [`Message::parse_with`] reads a line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ParseMode {
    /// Accept what real servers send (see the module docs). The default.
    #[default]
    Lenient,
    /// Apply the grammar and the length limits to the letter.
    Strict,
}

/// The longest line without tags, CRLF excluded (RFC 1459 / 2812: 512 with CRLF).
pub const MAX_BODY_LEN: usize = 510;
/// The longest tags section, its `@` and the space after it included (IRCv3).
pub const MAX_TAGS_LEN: usize = 8191;

/// The error of the internal parsers: what failed, and how much input was left
/// at that point (turned into an offset at the top).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fail {
    kind: ParseErrorKind,
    remaining: usize,
}

impl<'a> nom::error::ParseError<&'a str> for Fail {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        Self {
            kind: ParseErrorKind::MissingCommand,
            remaining: input.len(),
        }
    }

    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, O> = nom::IResult<&'a str, O, Fail>;

fn fail<O>(input: &str, kind: ParseErrorKind) -> PResult<'_, O> {
    Err(nom::Err::Error(Fail {
        kind,
        remaining: input.len(),
    }))
}

// Leaf scanners.
//
// Most fields of a line are short (a tag key, a tag value, a nick, a
// channel), so a call into `memchr` costs more in setup than in scanning. The
// scanners below read the first bytes eight at a time in a `u64` (SWAR: each
// byte compared at once, exactly, without false positives) and hand longer
// haystacks to `memchr`.

/// `0x01` in every byte.
const LO: u64 = u64::from_ne_bytes([0x01; 8]);
/// `0x7F` in every byte.
const LOW7: u64 = u64::from_ne_bytes([0x7F; 8]);
/// How far the word-at-a-time scan goes before `memchr` takes over.
const SWAR_SPAN: usize = 32;

/// The high bit of every byte of `word` that equals `needle`, and no other bit.
#[inline(always)]
const fn eq_mask(word: u64, needle: u8) -> u64 {
    let x = word ^ (LO * needle as u64);
    // Bit 7 of `(x & 0x7F) + 0x7F` is set when the low seven bits of a byte
    // are not all zero; or-ing `x` adds its own bit 7: the byte is non-zero.
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The first eight bytes of `bytes` as a little-endian word (byte 0 lowest).
#[inline(always)]
fn load8(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

/// The first four bytes of `bytes` as a little-endian word.
#[inline(always)]
fn load4(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[..4]);
    u64::from(u32::from_le_bytes(w))
}

/// The index of the first byte of `hay` that `mask` marks (`mask` maps a
/// word to the high bits of its matching bytes; `is` tests one byte), or
/// what `far` finds beyond the first [`SWAR_SPAN`] bytes.
///
/// Words may overlap at the end (the bytes they share are known not to
/// match), so no byte is ever read one at a time past the fourth.
#[inline(always)]
fn scan(
    hay: &[u8],
    mask: impl Fn(u64) -> u64,
    is: impl Fn(u8) -> bool,
    far: impl Fn(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let len = hay.len();
    if len >= 8 {
        let head = len.min(SWAR_SPAN);
        let mut i = 0;
        while i + 8 <= head {
            let m = mask(load8(&hay[i..]));
            if m != 0 {
                return Some(i + (m.trailing_zeros() / 8) as usize);
            }
            i += 8;
        }
        if len > SWAR_SPAN {
            return far(&hay[i..]).map(|j| i + j);
        }
        if i < len {
            let j = len - 8;
            let m = mask(load8(&hay[j..]));
            if m != 0 {
                return Some(j + (m.trailing_zeros() / 8) as usize);
            }
        }
        None
    } else if len >= 4 {
        // Bytes 0..4 in the low half, bytes len-4..len in the high half.
        let m = mask(load4(hay) | (load4(&hay[len - 4..]) << 32));
        if m == 0 {
            return None;
        }
        let k = (m.trailing_zeros() / 8) as usize;
        Some(if k < 4 { k } else { len - 4 + (k - 4) })
    } else {
        hay.iter().position(|&b| is(b))
    }
}

/// The index of the first `needle` in `hay`.
#[inline]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    scan(
        hay,
        |w| eq_mask(w, needle),
        |b| b == needle,
        |rest| memchr::memchr(needle, rest),
    )
}

/// The index of the first `a` or `b` in `hay`.
#[inline]
pub(crate) fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    scan(
        hay,
        |w| eq_mask(w, a) | eq_mask(w, b),
        |x| x == a || x == b,
        |rest| memchr::memchr2(a, b, rest),
    )
}

/// The index of the first byte of `hay` that `mask` marks, eight bytes at a
/// time to the end: for fields that are short and where the haystack goes on
/// well past them (the tags of a section), where the simplest loop wins.
#[inline(always)]
fn scan_short(hay: &[u8], mask: impl Fn(u64) -> u64, is: impl Fn(u8) -> bool) -> Option<usize> {
    let mut i = 0;
    while let Some(chunk) = hay.get(i..i + 8) {
        let m = mask(load8(chunk));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay.get(i..)?.iter().position(|&b| is(b)).map(|j| i + j)
}

/// The index of the first `needle` in `hay`, which is most likely near.
#[inline]
pub(crate) fn find_byte_near(hay: &[u8], needle: u8) -> Option<usize> {
    scan_short(hay, |w| eq_mask(w, needle), |b| b == needle)
}

/// The index of the first `a` or `b` in `hay`, which is most likely near.
#[inline]
pub(crate) fn find_either_near(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    scan_short(hay, |w| eq_mask(w, a) | eq_mask(w, b), |x| x == a || x == b)
}

/// `SPACE ::= %x20 *( %x20 )`: one or more spaces.
pub(crate) fn space(input: &str) -> PResult<'_, ()> {
    let n = input.bytes().take_while(|&b| b == b' ').count();
    if n == 0 {
        fail(input, ParseErrorKind::MissingCommand)
    } else {
        Ok((&input[n..], ()))
    }
}

/// A run of bytes up to the next space or the end: the shape shared by the
/// source, the command and a middle parameter.
#[inline]
fn word(input: &str) -> PResult<'_, &str> {
    match find_byte(input.as_bytes(), b' ') {
        Some(i) => Ok((&input[i..], &input[..i])),
        None => Ok(("", input)),
    }
}

/// A long run of bytes up to the next space or the end (the tags section,
/// often hundreds of bytes): `memchr` from the start.
fn long_word(input: &str) -> PResult<'_, &str> {
    match memchr::memchr(b' ', input.as_bytes()) {
        Some(i) => Ok((&input[i..], &input[..i])),
        None => Ok(("", input)),
    }
}

/// `input` without the CR and LF bytes at its end.
#[inline]
fn strip_line_end(input: &str) -> &str {
    let bytes = input.as_bytes();
    let mut end = bytes.len();
    while end > 0 && matches!(bytes[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    &input[..end]
}

/// Skips the spaces at the start of `input`.
#[inline]
fn skip_spaces(input: &str) -> &str {
    let n = input.bytes().take_while(|&b| b == b' ').count();
    &input[n..]
}

/// `'@' <tags>`: the raw tags section, still escaped.
pub(crate) fn tags(input: &str) -> PResult<'_, &str> {
    preceded(char('@'), long_word).parse(input)
}

/// `':' <source>`: the raw source.
pub(crate) fn source(input: &str) -> PResult<'_, &str> {
    let (rest, src) = preceded(char(':'), word).parse(input)?;
    if src.is_empty() {
        // The colon commits to a source: no other rule may take it.
        return Err(nom::Err::Failure(Fail {
            kind: ParseErrorKind::EmptySource,
            remaining: input.len() - 1,
        }));
    }
    Ok((rest, src))
}

/// `command ::= letter* / 3digit`, read leniently: any printable ASCII word.
pub(crate) fn command(input: &str) -> PResult<'_, &str> {
    let (rest, cmd) = word(input)?;
    if cmd.is_empty() {
        return fail(input, ParseErrorKind::MissingCommand);
    }
    if !cmd.bytes().all(|b| b.is_ascii_graphic())
        || matches!(cmd.as_bytes().first(), Some(b':' | b'@'))
    {
        return fail(input, ParseErrorKind::InvalidCommand);
    }
    Ok((rest, cmd))
}

/// `middle ::= nospcrlfcl *( ":" / nospcrlfcl )`.
#[inline]
pub(crate) fn middle(input: &str) -> PResult<'_, &str> {
    word(input)
}

/// `[ SPACE ":" trailing ]`: everything after the colon, spaces included.
#[inline]
pub(crate) fn trailing(input: &str) -> PResult<'_, &str> {
    preceded(char(':'), nom::combinator::rest).parse(input)
}

/// The next parameter of a parameter list, and what follows it.
///
/// Runs of spaces are one separator; spaces at the end add no parameter.
#[inline]
pub(crate) fn next_param(input: &str) -> Option<(&str, &str)> {
    param(skip_spaces(input))
}

/// `middle / ":" trailing` at the start of `input` (no leading space), and
/// what follows it; `None` at the end of the input.
#[inline]
fn param(input: &str) -> Option<(&str, &str)> {
    if input.is_empty() {
        return None;
    }
    // The first byte picks the rule; neither can fail on non-empty input.
    let parsed = if input.starts_with(':') {
        trailing(input)
    } else {
        middle(input)
    };
    parsed.ok().map(|(rest, p)| (p, rest))
}

/// `parameters ::= *( SPACE middle ) [ SPACE ":" trailing ]`.
pub(crate) fn parameters(input: &str) -> Params<'_> {
    let mut params = Params::new(input);
    let mut input = skip_spaces(input);
    while let Some((p, rest)) = param(input) {
        params.push(p);
        input = skip_spaces(rest);
    }
    params
}

/// `message ::= ['@' <tags> SPACE] [':' <source> SPACE] <command> <parameters>`.
#[inline]
pub(crate) fn message(line: &str, mode: ParseMode) -> Result<Message<'_>, ParseError> {
    let strict = mode == ParseMode::Strict;
    let mut input = line;
    if strict {
        if let Some(i) = memchr::memchr3(b'\r', b'\n', 0, line.as_bytes()) {
            return Err(ParseError::new(ParseErrorKind::ForbiddenByte, i));
        }
    } else {
        input = skip_spaces(strip_line_end(input));
    }
    // Offsets are reported into `line`; the rules run on suffixes of `input`.
    let base = input.as_ptr() as usize - line.as_ptr() as usize;
    let end = base + input.len();
    let at = |rest: &str| end - rest.len();
    let map = |e: nom::Err<Fail>| match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => ParseError::new(f.kind, end - f.remaining),
        nom::Err::Incomplete(_) => ParseError::new(ParseErrorKind::MissingCommand, end),
    };
    if input.trim_end_matches(' ').is_empty() {
        return Err(ParseError::new(ParseErrorKind::Empty, at(input)));
    }

    // ['@' <tags> SPACE]
    let (rest, raw_tags) = opt(tags).parse(input).map_err(map)?;
    if let (Some(raw), true) = (raw_tags, strict) {
        check_tags(raw, at(input) + 1)?;
        if raw.len() + 2 > MAX_TAGS_LEN {
            return Err(ParseError::new(ParseErrorKind::TagsTooLong, at(input)));
        }
    }
    let (rest, _) = if raw_tags.is_some() {
        space(rest).map_err(map)?
    } else {
        (rest, ())
    };
    let body_start = rest;

    // [':' <source> SPACE]
    let (rest, raw_source) = opt(source).parse(rest).map_err(map)?;
    let (rest, _) = if raw_source.is_some() {
        space(rest).map_err(map)?
    } else {
        (rest, ())
    };

    // <command>
    let (rest, cmd) = command(rest).map_err(map)?;
    if strict && !is_strict_command(cmd) {
        return Err(ParseError::new(
            ParseErrorKind::InvalidCommand,
            at(rest) - cmd.len(),
        ));
    }
    if strict && body_start.len() > MAX_BODY_LEN {
        return Err(ParseError::new(
            ParseErrorKind::LineTooLong,
            at(body_start) + MAX_BODY_LEN,
        ));
    }

    // <parameters>
    let params = parameters(rest);
    Ok(Message::from_parts(
        input,
        raw_tags.map(Tags::from_raw),
        raw_source,
        cmd,
        params,
    ))
}

/// `command ::= letter* / 3digit`, to the letter.
fn is_strict_command(cmd: &str) -> bool {
    cmd.bytes().all(|b| b.is_ascii_alphabetic())
        || (cmd.len() == 3 && cmd.bytes().all(|b| b.is_ascii_digit()))
}

/// Strict checks of a tags section: at least one tag, every key well formed.
fn check_tags(raw: &str, offset: usize) -> Result<(), ParseError> {
    if raw.is_empty() {
        return Err(ParseError::new(ParseErrorKind::EmptyTags, offset));
    }
    let mut pos = offset;
    for segment in raw.split(';') {
        let key = segment.split_once('=').map_or(segment, |(k, _)| k);
        if !is_valid_key(key) {
            return Err(ParseError::new(ParseErrorKind::InvalidTagKey, pos));
        }
        pos += segment.len() + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_rules() {
        assert_eq!(space("  x"), Ok(("x", ())));
        assert!(space("x").is_err());
        assert_eq!(tags("@a=b c"), Ok((" c", "a=b")));
        assert_eq!(source(":n!u@h X"), Ok((" X", "n!u@h")));
        assert!(source(": X").is_err());
        assert_eq!(command("PRIVMSG #c"), Ok((" #c", "PRIVMSG")));
        assert_eq!(trailing(":a b "), Ok(("", "a b ")));
        assert_eq!(next_param("   a b"), Some(("a", " b")));
        assert_eq!(next_param("   "), None);
        assert_eq!(next_param(" ::x"), Some((":x", "")));
    }

    #[test]
    fn scanners_agree_with_a_byte_loop() {
        // Every length around the word and span sizes, the needle at every
        // position, with bytes that differ from the needle in one bit only
        // and high bytes around it.
        for len in 0..80 {
            for at in 0..=len {
                let mut hay: Vec<u8> = (0..len)
                    .map(|i| [b'!', b'`', 0xA0, 0xBB, b'z', 0x00][i % 6])
                    .collect();
                if at < len {
                    hay[at] = b' ';
                }
                let want = hay.iter().position(|&b| b == b' ');
                assert_eq!(find_byte(&hay, b' '), want, "len {len} at {at}");
                if at < len {
                    hay[at] = b';';
                    if at + 1 < len {
                        hay[at + 1] = b'=';
                    }
                }
                let want = hay.iter().position(|&b| b == b'=' || b == b';');
                assert_eq!(find_either(&hay, b'=', b';'), want, "len {len} at {at}");
                if at + 1 < len {
                    hay[at] = b'x';
                    assert_eq!(find_either(&hay, b'=', b';'), Some(at + 1));
                    assert_eq!(find_either_near(&hay, b'=', b';'), Some(at + 1));
                    hay[at] = b';';
                }
                let want = hay.iter().position(|&b| b == b'=' || b == b';');
                assert_eq!(find_either_near(&hay, b'=', b';'), want);
                let want = hay.iter().position(|&b| b == b'=');
                assert_eq!(find_byte_near(&hay, b'='), want);
            }
        }
    }

    #[test]
    fn strict_command_shapes() {
        assert!(is_strict_command("PRIVMSG"));
        assert!(is_strict_command("001"));
        assert!(!is_strict_command("01"));
        assert!(!is_strict_command("0011"));
        assert!(!is_strict_command("PRIV1"));
    }
}
