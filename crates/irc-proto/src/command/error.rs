//! Why a [`Command`](super::Command) could not be built or read.

use std::fmt;

/// A command argument that could break the line or does not fit the command.
///
/// Raised by the constructors (nothing unsafe is ever built) and by the
/// conversion from a parsed message (a known verb whose parameters do not
/// fit its shape).
///
/// ```
/// use irc_proto::{Command, CommandErrorKind};
///
/// let err = Command::privmsg("#rust", "hi\r\nQUIT :bye").unwrap_err();
/// assert_eq!((err.verb, err.field, err.kind), ("PRIVMSG", "text", CommandErrorKind::ForbiddenByte));
/// assert_eq!(err.to_string(), "PRIVMSG text: CR, LF or NUL");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{verb} {field}: {kind}")]
pub struct CommandError {
    /// The command, upper case (`"raw"` for [`Command::raw`](super::Command::raw)).
    pub verb: &'static str,
    /// The argument at fault, named as in the constructor (`"target"`,
    /// `"channels"`, ...), or `"params"` for a count of parameters.
    pub field: &'static str,
    /// What is wrong with it.
    pub kind: CommandErrorKind,
}

impl CommandError {
    pub(crate) const fn new(
        verb: &'static str,
        field: &'static str,
        kind: CommandErrorKind,
    ) -> Self {
        Self { verb, field, kind }
    }
}

/// What kind of problem a [`CommandError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// A CR, LF or NUL byte, anywhere: it would end the line.
    ForbiddenByte,
    /// An empty value (or an empty list) where the command needs one.
    Empty,
    /// A space in a value that is not the last parameter.
    Space,
    /// A value that is not the last parameter starts with `:`.
    LeadingColon,
    /// A comma inside one element of a comma-separated list.
    Comma,
    /// The verb of a raw command is empty or holds characters no verb holds.
    InvalidVerb,
    /// A number that does not parse or is out of range (a port, a count, a
    /// CAP version).
    InvalidNumber,
    /// The value was given without the argument it depends on, named here
    /// (a LUSERS target needs a mask first, ...).
    Requires(&'static str),
    /// Two lists that must match do not (KICK: one channel, or as many
    /// channels as nicks; JOIN: more keys than channels).
    CountMismatch,
    /// A value that has no meaning here (a WHO flag other than `o`, a BATCH
    /// reference without `+` or `-`, an unknown CAP subcommand, a reference
    /// starting with a sign).
    Unexpected,
    /// A parsed message has fewer parameters than the command needs.
    TooFewParams {
        /// How many the command needs at least.
        needed: usize,
        /// How many the message has.
        got: usize,
    },
}

impl fmt::Display for CommandErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ForbiddenByte => f.write_str("CR, LF or NUL"),
            Self::Empty => f.write_str("empty"),
            Self::Space => f.write_str("holds a space"),
            Self::LeadingColon => f.write_str("starts with ':'"),
            Self::Comma => f.write_str("holds a comma inside a list element"),
            Self::InvalidVerb => f.write_str("not a command verb"),
            Self::InvalidNumber => f.write_str("not a number in range"),
            Self::Requires(other) => write!(f, "given without {other}"),
            Self::CountMismatch => f.write_str("list lengths do not match"),
            Self::Unexpected => f.write_str("unexpected value"),
            Self::TooFewParams { needed, got } => {
                write!(f, "needs {needed} parameters, got {got}")
            }
        }
    }
}
