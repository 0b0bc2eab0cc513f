//! Typed errors of the parser and the packer.
//!
//! Every error carries a kind and a position, so a caller can say *what* went
//! wrong and *where*; none of them is ever raised by a panic.

use std::fmt;

/// Why a line could not be parsed.
///
/// `at` is the byte offset into the line handed to the parser (after any
/// leading `@`/`:` marker the offset points at the first byte of the part
/// that failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} at byte {at}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the input where the problem was found.
    pub at: usize,
}

impl ParseError {
    pub(crate) const fn new(kind: ParseErrorKind, at: usize) -> Self {
        Self { kind, at }
    }
}

/// What kind of problem a [`ParseError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The line is empty or holds only spaces and line endings.
    Empty,
    /// The bytes are not UTF-8 (only from [`Message::parse_bytes`](crate::Message::parse_bytes);
    /// [`decode`](crate::decode) turns any bytes into text first).
    InvalidUtf8,
    /// A `@` opened a tags section that holds no tag (strict mode), or the
    /// line ends right after the tags.
    EmptyTags,
    /// A tag key is empty or holds a character the message-tags grammar does
    /// not allow (strict mode only; the lenient mode skips empty keys).
    InvalidTagKey,
    /// A `:` opened a source that is empty.
    EmptySource,
    /// The line has tags and/or a source but no command.
    MissingCommand,
    /// The command is neither letters nor a three-digit numeric (strict
    /// mode), or it holds characters no command can hold.
    InvalidCommand,
    /// A CR, LF or NUL byte inside the line (strict mode only).
    ForbiddenByte,
    /// The part without tags is longer than 510 bytes, i.e. 512 with the CRLF
    /// (strict mode only).
    LineTooLong,
    /// The tags section, with its `@` and the space after it, is longer than
    /// 8191 bytes (strict mode only).
    TagsTooLong,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty line",
            Self::InvalidUtf8 => "invalid UTF-8",
            Self::EmptyTags => "empty tags section",
            Self::InvalidTagKey => "invalid tag key",
            Self::EmptySource => "empty source",
            Self::MissingCommand => "missing command",
            Self::InvalidCommand => "invalid command",
            Self::ForbiddenByte => "CR, LF or NUL inside the line",
            Self::LineTooLong => "line longer than 512 bytes with CRLF",
            Self::TagsTooLong => "tags longer than 8191 bytes",
        })
    }
}

/// Which part of a message a [`PackError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// The tag at this index (key or value).
    Tag(usize),
    /// The source (prefix).
    Source,
    /// The command.
    Command,
    /// The parameter at this index.
    Param(usize),
    /// The line as a whole (length limits).
    Line,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(i) => write!(f, "tag {i}"),
            Self::Source => f.write_str("source"),
            Self::Command => f.write_str("command"),
            Self::Param(i) => write!(f, "parameter {i}"),
            Self::Line => f.write_str("line"),
        }
    }
}

/// Why a message could not be packed into a line.
///
/// The packer refuses rather than repairs: a refused message writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} in {part}")]
pub struct PackError {
    /// What went wrong.
    pub kind: PackErrorKind,
    /// Where it went wrong.
    pub part: Part,
}

impl PackError {
    pub(crate) const fn new(kind: PackErrorKind, part: Part) -> Self {
        Self { kind, part }
    }
}

/// What kind of problem a [`PackError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PackErrorKind {
    /// A CR, LF or NUL where it would end the line or corrupt it. Tag values
    /// may hold CR and LF (they are escaped), never NUL.
    ForbiddenByte,
    /// The command is empty.
    EmptyCommand,
    /// The command holds a space or another character no command holds.
    InvalidCommand,
    /// The source is empty or holds a space.
    InvalidSource,
    /// A tag key is empty or holds a character outside `A-Z a-z 0-9 - . / _`
    /// (after an optional leading `+`).
    InvalidTagKey,
    /// A parameter before the last is empty.
    EmptyMiddle,
    /// A parameter before the last holds a space.
    SpaceInMiddle,
    /// A parameter before the last starts with `:`.
    ColonInMiddle,
    /// The part without tags does not fit 512 bytes with the CRLF, and no
    /// trailing text can be cut to make it fit.
    LineTooLong,
    /// The tags section does not fit its 8191-byte budget.
    TagsTooLong,
}

impl fmt::Display for PackErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ForbiddenByte => "CR, LF or NUL",
            Self::EmptyCommand => "empty command",
            Self::InvalidCommand => "invalid command",
            Self::InvalidSource => "empty source or space in source",
            Self::InvalidTagKey => "invalid tag key",
            Self::EmptyMiddle => "empty parameter before the last",
            Self::SpaceInMiddle => "space in a parameter before the last",
            Self::ColonInMiddle => "leading ':' in a parameter before the last",
            Self::LineTooLong => "line longer than 512 bytes with CRLF",
            Self::TagsTooLong => "tags longer than 8191 bytes",
        })
    }
}
