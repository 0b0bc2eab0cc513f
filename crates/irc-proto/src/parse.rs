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
//! leaf rules scan with `memchr`, which is what makes the parser fast; the
//! rules are composed with nom's combinators.
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
/// tags section, the source, the command and a middle parameter.
fn word(input: &str) -> PResult<'_, &str> {
    match memchr::memchr(b' ', input.as_bytes()) {
        Some(i) => Ok((&input[i..], &input[..i])),
        None => Ok(("", input)),
    }
}

/// `'@' <tags>`: the raw tags section, still escaped.
pub(crate) fn tags(input: &str) -> PResult<'_, &str> {
    preceded(char('@'), word).parse(input)
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
    if !cmd.bytes().all(|b| b.is_ascii_graphic()) || cmd.starts_with([':', '@']) {
        return fail(input, ParseErrorKind::InvalidCommand);
    }
    Ok((rest, cmd))
}

/// `middle ::= nospcrlfcl *( ":" / nospcrlfcl )`.
pub(crate) fn middle(input: &str) -> PResult<'_, &str> {
    word(input)
}

/// `[ SPACE ":" trailing ]`: everything after the colon, spaces included.
pub(crate) fn trailing(input: &str) -> PResult<'_, &str> {
    preceded(char(':'), nom::combinator::rest).parse(input)
}

/// The next parameter of a parameter list, and what follows it.
///
/// Runs of spaces are one separator; spaces at the end add no parameter.
pub(crate) fn next_param(input: &str) -> Option<(&str, &str)> {
    let input = input.trim_start_matches(' ');
    if input.is_empty() {
        return None;
    }
    // Neither rule can fail once the input is non-empty.
    match trailing(input) {
        Ok((rest, t)) => Some((t, rest)),
        Err(_) => middle(input).ok().map(|(rest, m)| (m, rest)),
    }
}

/// `parameters ::= *( SPACE middle ) [ SPACE ":" trailing ]`.
pub(crate) fn parameters(mut input: &str) -> Params<'_> {
    let mut params = Params::default();
    loop {
        let before = input;
        let Some((param, rest)) = next_param(input) else {
            break;
        };
        params.push(param, before.trim_start_matches(' '));
        input = rest;
    }
    params
}

/// `message ::= ['@' <tags> SPACE] [':' <source> SPACE] <command> <parameters>`.
pub(crate) fn message(line: &str, mode: ParseMode) -> Result<Message<'_>, ParseError> {
    let strict = mode == ParseMode::Strict;
    let mut input = line;
    if strict {
        if let Some(i) = memchr::memchr3(b'\r', b'\n', 0, line.as_bytes()) {
            return Err(ParseError::new(ParseErrorKind::ForbiddenByte, i));
        }
    } else {
        input = input.trim_end_matches(['\r', '\n']).trim_start_matches(' ');
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
    fn strict_command_shapes() {
        assert!(is_strict_command("PRIVMSG"));
        assert!(is_strict_command("001"));
        assert!(!is_strict_command("01"));
        assert!(!is_strict_command("0011"));
        assert!(!is_strict_command("PRIV1"));
    }
}
