//! The packer: messages to wire lines, refusing anything that could break the
//! line, and the RFC 2812 cut.
//!
//! Rules, all enforced on every path that writes a line:
//!
//! - the command is non-empty printable ASCII that does not start with `:` or `@`;
//! - the source is non-empty and holds no space, CR, LF or NUL;
//! - tag keys are an optional `+` and then `A-Z a-z 0-9 - . / _`; tag values
//!   are escaped (`;` `\:`, space `\s`, `\` `\\`, CR `\r`, LF `\n`), NUL is
//!   refused; an empty value is written as the short form `key`;
//! - parameters before the last are non-empty and hold no space, no leading
//!   `:`; the last gets a `:` only when it is empty, holds a space or starts
//!   with `:`;
//! - no parameter holds CR, LF or NUL.
//!
//! So the only CR LF in a packed line is its final one.
//!
//! # The 510-byte cut
//!
//! RFC 2812 section 2.3 limits a line to 512 bytes with its CRLF, tags aside
//! (IRCv3 gives tags their own 8191 bytes). [`cut_line`] and
//! [`MessageBuf::pack_cut_into`](crate::MessageBuf::pack_cut_into) cut the
//! last parameter (the text) so the line fits, on a UTF-8 character boundary,
//! and say how much was kept.

use crate::error::{PackError, PackErrorKind, Part};
use crate::message::TagBuf;
use crate::parse::{MAX_BODY_LEN, MAX_TAGS_LEN};
use crate::tags::{Tags, is_valid_key};

/// How much of the last parameter a cutting pack kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Truncation {
    /// Bytes of the last parameter written.
    pub kept: usize,
    /// Bytes of the last parameter left out.
    pub dropped: usize,
}

/// The tags to write: none, owned and unescaped, or raw and already escaped.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TagsIn<'x> {
    None,
    Owned(&'x [TagBuf]),
    Raw(Tags<'x>),
}

fn has_forbidden(s: &str) -> bool {
    memchr::memchr3(b'\r', b'\n', 0, s.as_bytes()).is_some()
}

/// Writes one line with its CRLF to `out`, or nothing on error.
pub(crate) fn write<'x>(
    out: &mut Vec<u8>,
    tags: TagsIn<'x>,
    source: Option<&'x str>,
    command: &'x str,
    params: impl Iterator<Item = &'x str>,
    cut: bool,
) -> Result<Option<Truncation>, PackError> {
    let start = out.len();
    let result = write_unchecked_start(out, tags, source, command, params, cut);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn write_unchecked_start<'x>(
    out: &mut Vec<u8>,
    tags: TagsIn<'x>,
    source: Option<&'x str>,
    command: &'x str,
    params: impl Iterator<Item = &'x str>,
    cut: bool,
) -> Result<Option<Truncation>, PackError> {
    let tags_start = out.len();
    write_tags(out, tags)?;
    if cut && out.len() - tags_start > MAX_TAGS_LEN {
        return Err(PackError::new(PackErrorKind::TagsTooLong, Part::Line));
    }
    let body_start = out.len();

    if let Some(src) = source {
        if src.is_empty() || src.contains(' ') {
            return Err(PackError::new(PackErrorKind::InvalidSource, Part::Source));
        }
        if has_forbidden(src) {
            return Err(PackError::new(PackErrorKind::ForbiddenByte, Part::Source));
        }
        out.push(b':');
        out.extend_from_slice(src.as_bytes());
        out.push(b' ');
    }

    check_command(command)?;
    out.extend_from_slice(command.as_bytes());

    let mut params = params.enumerate().peekable();
    let mut truncation = None;
    while let Some((i, p)) = params.next() {
        if has_forbidden(p) {
            return Err(PackError::new(PackErrorKind::ForbiddenByte, Part::Param(i)));
        }
        let is_last = params.peek().is_none();
        if !is_last {
            check_middle(p, i)?;
            out.push(b' ');
            out.extend_from_slice(p.as_bytes());
            continue;
        }
        let colon = p.is_empty() || p.starts_with(':') || p.contains(' ');
        let used = out.len() - body_start;
        let whole = used + 1 + usize::from(colon) + p.len();
        if !cut || whole <= MAX_BODY_LEN {
            out.extend_from_slice(if colon { b" :" } else { b" " });
            out.extend_from_slice(p.as_bytes());
        } else {
            // Cut: always with a colon, the text may end up holding a space
            // or being empty.
            let budget = MAX_BODY_LEN
                .checked_sub(used + 2)
                .ok_or(PackError::new(PackErrorKind::LineTooLong, Part::Line))?;
            let kept = floor_char_boundary(p, budget);
            out.extend_from_slice(b" :");
            out.extend_from_slice(&p.as_bytes()[..kept]);
            truncation = Some(Truncation {
                kept,
                dropped: p.len() - kept,
            });
        }
    }
    if cut && out.len() - body_start > MAX_BODY_LEN {
        return Err(PackError::new(PackErrorKind::LineTooLong, Part::Line));
    }
    out.extend_from_slice(b"\r\n");
    Ok(truncation)
}

fn check_command(command: &str) -> Result<(), PackError> {
    if command.is_empty() {
        return Err(PackError::new(PackErrorKind::EmptyCommand, Part::Command));
    }
    if has_forbidden(command) {
        return Err(PackError::new(PackErrorKind::ForbiddenByte, Part::Command));
    }
    if !command.bytes().all(|b| b.is_ascii_graphic()) || command.starts_with([':', '@']) {
        return Err(PackError::new(PackErrorKind::InvalidCommand, Part::Command));
    }
    Ok(())
}

fn check_middle(p: &str, i: usize) -> Result<(), PackError> {
    let kind = if p.is_empty() {
        PackErrorKind::EmptyMiddle
    } else if p.contains(' ') {
        PackErrorKind::SpaceInMiddle
    } else if p.starts_with(':') {
        PackErrorKind::ColonInMiddle
    } else {
        return Ok(());
    };
    Err(PackError::new(kind, Part::Param(i)))
}

fn write_tags(out: &mut Vec<u8>, tags: TagsIn<'_>) -> Result<(), PackError> {
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        out.push(if first { b'@' } else { b';' });
        first = false;
    };
    match tags {
        TagsIn::None => {}
        TagsIn::Owned(list) => {
            for (i, t) in list.iter().enumerate() {
                if !is_valid_key(&t.key) {
                    return Err(PackError::new(PackErrorKind::InvalidTagKey, Part::Tag(i)));
                }
                sep(out);
                out.extend_from_slice(t.key.as_bytes());
                match t.value.as_deref() {
                    None | Some("") => {}
                    Some(v) => {
                        if v.contains('\0') {
                            return Err(PackError::new(PackErrorKind::ForbiddenByte, Part::Tag(i)));
                        }
                        out.push(b'=');
                        escape_bytes(v, out);
                    }
                }
            }
        }
        TagsIn::Raw(raw) => {
            for (i, t) in raw.iter().enumerate() {
                if !is_valid_key(t.key) {
                    return Err(PackError::new(PackErrorKind::InvalidTagKey, Part::Tag(i)));
                }
                sep(out);
                out.extend_from_slice(t.key.as_bytes());
                match t.raw_value {
                    None | Some("") => {}
                    Some(v) => {
                        if has_forbidden(v) {
                            return Err(PackError::new(PackErrorKind::ForbiddenByte, Part::Tag(i)));
                        }
                        out.push(b'=');
                        out.extend_from_slice(v.as_bytes());
                    }
                }
            }
        }
    }
    if !first {
        out.push(b' ');
    }
    Ok(())
}

fn escape_bytes(value: &str, out: &mut Vec<u8>) {
    let mut last = 0;
    for (i, b) in value.bytes().enumerate() {
        let esc: &[u8] = match b {
            b';' => br"\:",
            b' ' => br"\s",
            b'\\' => br"\\",
            b'\r' => br"\r",
            b'\n' => br"\n",
            _ => continue,
        };
        out.extend_from_slice(&value.as_bytes()[last..i]);
        out.extend_from_slice(esc);
        last = i + 1;
    }
    out.extend_from_slice(&value.as_bytes()[last..]);
}

/// The largest index `<= max` that is a character boundary of `s`.
///
/// ```
/// use irc_proto::pack::floor_char_boundary;
/// assert_eq!(floor_char_boundary("aé", 2), 1); // inside 'é'
/// assert_eq!(floor_char_boundary("aé", 3), 3);
/// assert_eq!(floor_char_boundary("aé", 99), 3);
/// ```
#[must_use]
pub fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A line cut to fit, as Sopel's `prepare_command`: `COMMAND args... :text`
/// with its CRLF, the text cut on a character boundary so the line is at most
/// 512 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutLine {
    /// The line, CRLF included; never longer than 512 bytes.
    pub line: String,
    /// What was cut from the text, if anything.
    pub truncation: Option<Truncation>,
}

/// Builds `COMMAND arg1 arg2 :text` and cuts the text so the line fits 512
/// bytes with its CRLF (RFC 2812 section 2.3), never inside a UTF-8 character.
///
/// ```
/// use irc_proto::pack::cut_line;
/// let text = "ü".repeat(400);
/// let cut = cut_line("PRIVMSG", &["#rust"], Some(&text)).unwrap();
/// assert!(cut.line.len() <= 512);
/// assert!(cut.line.starts_with("PRIVMSG #rust :üü"));
/// assert!(cut.line.ends_with("ü\r\n"));
/// assert!(cut.truncation.is_some());
///
/// // Nothing can smuggle a second command in.
/// assert!(cut_line("PRIVMSG", &["#rust"], Some("hi\r\nQUIT")).is_err());
/// assert!(cut_line("PRIVMSG", &["#a b"], Some("hi")).is_err());
/// ```
///
/// # Errors
///
/// A [`PackError`] for a command or argument that could break the line, and
/// [`PackErrorKind::LineTooLong`] when the command and arguments alone leave no
/// room.
pub fn cut_line(command: &str, args: &[&str], text: Option<&str>) -> Result<CutLine, PackError> {
    let mut out = Vec::with_capacity(512);
    let start = out.len();
    let truncation = match text {
        Some(t) => {
            // Args are all middles when a text follows: check them as such
            // even when the text would pass as a middle too.
            for (i, a) in args.iter().enumerate() {
                check_middle(a, i)?;
            }
            let (trunc, _) = write_with_text(&mut out, command, args, t)?;
            trunc
        }
        None => write(
            &mut out,
            TagsIn::None,
            None,
            command,
            args.iter().copied(),
            true,
        )?,
    };
    debug_assert!(out.len() - start <= MAX_BODY_LEN + 2);
    Ok(CutLine {
        line: String::from_utf8(out).unwrap_or_default(),
        truncation,
    })
}

fn write_with_text(
    out: &mut Vec<u8>,
    command: &str,
    args: &[&str],
    text: &str,
) -> Result<(Option<Truncation>, ()), PackError> {
    let params = args.iter().copied().chain(std::iter::once(text));
    let t = write(out, TagsIn::None, None, command, params, true)?;
    Ok((t, ()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MessageBuf;

    #[test]
    fn colon_only_where_needed() {
        let cases: [(&[&str], &str); 6] = [
            (&["#c", "word"], "PRIVMSG #c word"),
            (&["#c", "two words"], "PRIVMSG #c :two words"),
            (&["#c", ""], "PRIVMSG #c :"),
            (&["#c", ":colon"], "PRIVMSG #c ::colon"),
            (&["#c", "a:b"], "PRIVMSG #c a:b"),
            (&[], "PRIVMSG"),
        ];
        for (params, want) in cases {
            let m = MessageBuf::new("PRIVMSG").with_params(params.iter().copied());
            assert_eq!(m.pack().unwrap(), want);
        }
    }

    #[test]
    fn refusals_name_the_part() {
        let base = || MessageBuf::new("PRIVMSG");
        let cases = [
            (
                base().with_param("a b").with_param("x"),
                PackErrorKind::SpaceInMiddle,
                Part::Param(0),
            ),
            (
                base().with_param("").with_param("x"),
                PackErrorKind::EmptyMiddle,
                Part::Param(0),
            ),
            (
                base().with_param(":a").with_param("x"),
                PackErrorKind::ColonInMiddle,
                Part::Param(0),
            ),
            (
                base().with_param("#c").with_param("a\rb"),
                PackErrorKind::ForbiddenByte,
                Part::Param(1),
            ),
            (
                base().with_param("#c").with_param("a\0b"),
                PackErrorKind::ForbiddenByte,
                Part::Param(1),
            ),
            (
                base().with_source("a b"),
                PackErrorKind::InvalidSource,
                Part::Source,
            ),
            (
                base().with_source(""),
                PackErrorKind::InvalidSource,
                Part::Source,
            ),
            (
                base().with_source("a\nb"),
                PackErrorKind::ForbiddenByte,
                Part::Source,
            ),
            (
                MessageBuf::new(""),
                PackErrorKind::EmptyCommand,
                Part::Command,
            ),
            (
                MessageBuf::new("PRIV MSG"),
                PackErrorKind::InvalidCommand,
                Part::Command,
            ),
            (
                MessageBuf::new(":X"),
                PackErrorKind::InvalidCommand,
                Part::Command,
            ),
            (
                MessageBuf::new("X\n"),
                PackErrorKind::ForbiddenByte,
                Part::Command,
            ),
            (
                base().with_tag("a b", None),
                PackErrorKind::InvalidTagKey,
                Part::Tag(0),
            ),
            (
                base().with_tag("", Some("x")),
                PackErrorKind::InvalidTagKey,
                Part::Tag(0),
            ),
            (
                base().with_tag("a", Some("\0")),
                PackErrorKind::ForbiddenByte,
                Part::Tag(0),
            ),
        ];
        for (m, kind, part) in cases {
            let mut out = b"keep".to_vec();
            let err = m.pack_into(&mut out).unwrap_err();
            assert_eq!((err.kind, err.part), (kind, part), "{m:?}");
            assert_eq!(out, b"keep", "nothing written on error");
        }
    }

    #[test]
    fn tag_values_are_escaped_and_empty_is_short() {
        let m = MessageBuf::new("TAGMSG")
            .with_tag("a", Some("x y;z\\\r\n"))
            .with_tag("b", Some(""))
            .with_tag("c", None)
            .with_param("#c");
        assert_eq!(m.pack().unwrap(), r"@a=x\sy\:z\\\r\n;b;c TAGMSG #c");
    }

    #[test]
    fn cut_exact_fit_is_not_a_cut() {
        // "PRIVMSG #c :" is 12 bytes, plus 498 of text is exactly 510.
        let text = format!("a {}", "b".repeat(496));
        let cut = cut_line("PRIVMSG", &["#c"], Some(&text)).unwrap();
        assert_eq!(cut.line.len(), 512);
        assert_eq!(cut.truncation, None);
        let text = format!("{text}c");
        let cut = cut_line("PRIVMSG", &["#c"], Some(&text)).unwrap();
        assert_eq!(cut.line.len(), 512);
        assert_eq!(
            cut.truncation,
            Some(Truncation {
                kept: 498,
                dropped: 1
            })
        );
    }

    #[test]
    fn cut_with_no_room_for_args_is_an_error() {
        let long = "x".repeat(520);
        let err = cut_line("PRIVMSG", &[&long], Some("hi")).unwrap_err();
        assert_eq!(err.kind, PackErrorKind::LineTooLong);
    }

    #[test]
    fn cut_line_without_text() {
        let cut = cut_line("JOIN", &["#a,#b"], None).unwrap();
        assert_eq!(cut.line, "JOIN #a,#b\r\n");
    }
}
