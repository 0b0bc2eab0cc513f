//! [`OwnedMessage`]: a parsed line that owns its text, with the zero-copy
//! views of [`Message`] and one allocation (the line itself).
//!
//! [`MessageBuf`] is the message to build and edit: one
//! `String` for each tag, the source, the command and every parameter.
//! `OwnedMessage` is the message that was read: the line, kept as it came,
//! plus where each part of it lies. Keeping a received message this way
//! costs no more than keeping its line, and reading it costs no second
//! parse: [`OwnedMessage::as_message`] rebuilds the borrowed view from the
//! recorded offsets.

use std::fmt;

use crate::error::{ParseError, ParseErrorKind};
use crate::message::{INLINE_PARAMS, Message, MessageBuf, Params};
use crate::parse::ParseMode;
use crate::tags::Tags;

/// Where a part lies in the line: start and length in bytes.
type Span = (u32, u32);

/// Where every part of a message lies in its line.
#[derive(Clone, Copy)]
struct Layout {
    line: Span,
    tags: Option<Span>,
    source: Option<Span>,
    command: Span,
    params_raw: Span,
    params_last: Option<Span>,
    params_spans: [(u32, u32); INLINE_PARAMS],
    params_len: usize,
}

/// A parsed message that owns its line.
///
/// The line is kept in whatever text storage `S` it came in: a `String`
/// by default (one allocation, which it takes over), or any type that
/// derefs to `str` through [`AsRef`] (an `Arc<str>`, or a string view of a
/// shared read buffer, which costs no allocation at all). The parse is done
/// once, and every read goes through the same zero-copy view a borrowed
/// [`Message`] gives. It is what a client keeps for a line it has received;
/// [`MessageBuf`] is what it builds to send.
///
/// ```
/// use irc_proto::OwnedMessage;
///
/// let msg = OwnedMessage::parse(String::from("@account=dan :dan!d@host PRIVMSG #rust :hi there"))?;
/// let view = msg.as_message();
/// assert_eq!(view.command(), "PRIVMSG");
/// assert_eq!(view.nick(), Some("dan"));
/// assert_eq!(view.param(0), Some("#rust"));
/// assert_eq!(view.trailing(), Some("hi there"));
/// assert_eq!(view.tag("account").as_deref(), Some("dan"));
/// assert_eq!(msg.as_str(), "@account=dan :dan!d@host PRIVMSG #rust :hi there");
/// # Ok::<(), irc_proto::ParseError>(())
/// ```
#[derive(Clone)]
pub struct OwnedMessage<S = String> {
    line: S,
    layout: Layout,
}

impl<S: AsRef<str>> OwnedMessage<S> {
    /// Parses a line in the default lenient mode and keeps it.
    ///
    /// A line ending (`\r\n` or `\n`) at the end is left in the string but
    /// not in the message, as [`Message::parse`] does.
    ///
    /// # Errors
    ///
    /// What [`Message::parse`] reports, and
    /// [`ParseErrorKind::LineTooLong`] for a line of 4 GiB or more.
    pub fn parse(line: S) -> Result<Self, ParseError> {
        Self::parse_with(line, ParseMode::Lenient)
    }

    /// Parses a line in the given [`ParseMode`] and keeps it.
    ///
    /// # Errors
    ///
    /// As [`OwnedMessage::parse`].
    pub fn parse_with(line: S, mode: ParseMode) -> Result<Self, ParseError> {
        let text = line.as_ref();
        if u32::try_from(text.len()).is_err() {
            return Err(ParseError::new(ParseErrorKind::LineTooLong, 0));
        }
        let layout = Layout::of(&Message::parse_with(text, mode)?, text);
        Ok(Self { line, layout })
    }

    /// The borrowed view: command, source, tags and parameters, read from
    /// the line without parsing it again.
    #[must_use]
    #[inline]
    pub fn as_message(&self) -> Message<'_> {
        self.layout.view(self.line.as_ref())
    }

    /// The line as it was received (with its line ending, if it had one).
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.line.as_ref()
    }

    /// Gives the line back.
    #[must_use]
    pub fn into_inner(self) -> S {
        self.line
    }

    /// An editable copy, one `String` per part.
    #[must_use]
    pub fn to_buf(&self) -> MessageBuf {
        self.as_message().to_buf()
    }
}

impl<S: AsRef<str>> fmt::Debug for OwnedMessage<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_message(), f)
    }
}

impl<S: AsRef<str>> fmt::Display for OwnedMessage<S> {
    /// The message as it was parsed, without a line ending.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_message(), f)
    }
}

impl<S: AsRef<str>> PartialEq for OwnedMessage<S> {
    fn eq(&self, other: &Self) -> bool {
        self.as_message() == other.as_message()
    }
}

impl<S: AsRef<str>> Eq for OwnedMessage<S> {}

impl TryFrom<String> for OwnedMessage {
    type Error = ParseError;

    fn try_from(line: String) -> Result<Self, ParseError> {
        Self::parse(line)
    }
}

impl TryFrom<&str> for OwnedMessage {
    type Error = ParseError;

    fn try_from(line: &str) -> Result<Self, ParseError> {
        Self::parse(line.to_owned())
    }
}

impl<S: AsRef<str>> From<&OwnedMessage<S>> for MessageBuf {
    fn from(m: &OwnedMessage<S>) -> Self {
        m.to_buf()
    }
}

/// Where `part` (a slice of `line`) lies in it. The parser only hands out
/// slices of the line, and the line is shorter than 4 GiB, so this fits.
fn span_in(line: &str, part: &str) -> Span {
    let start = (part.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    (
        u32::try_from(start).unwrap_or(u32::MAX),
        u32::try_from(part.len()).unwrap_or(0),
    )
}

/// The slice of `line` at `span` (empty if it were ever out of range).
fn slice(line: &str, (start, len): Span) -> &str {
    let start = start as usize;
    line.get(start..start + len as usize).unwrap_or_default()
}

impl Layout {
    fn of(msg: &Message<'_>, line: &str) -> Self {
        let params = msg.params();
        Self {
            line: span_in(line, msg.as_str()),
            tags: msg.has_tags().then(|| span_in(line, msg.tags().as_raw())),
            source: msg.source_raw().map(|s| span_in(line, s)),
            command: span_in(line, msg.command()),
            params_raw: span_in(line, params.raw()),
            params_last: params.last().map(|s| span_in(line, s)),
            params_spans: params.spans(),
            params_len: params.len(),
        }
    }

    #[inline]
    fn view<'a>(&self, line: &'a str) -> Message<'a> {
        let params = Params::from_layout(
            slice(line, self.params_raw),
            self.params_spans,
            self.params_last.map(|s| slice(line, s)),
            self.params_len,
        );
        Message::from_parts(
            slice(line, self.line),
            self.tags.map(|s| Tags::from_raw(slice(line, s))),
            self.source.map(|s| slice(line, s)),
            slice(line, self.command),
            params,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_equals_a_fresh_parse() {
        let many: String = (0..40).map(|i| format!(" p{i}")).collect();
        let lines = [
            "PING :x".to_owned(),
            ":srv 001 me :Welcome".to_owned(),
            "@a=1;b;c=x\\sy :n!u@h PRIVMSG #c :hello world".to_owned(),
            "@time=2024-01-01T00:00:00Z PRIVMSG #c :".to_owned(),
            format!("CMD{many} :last one"),
            format!(":s CMD{many}"),
            "PRIVMSG #c :hi\r\n".to_owned(),
            "  :src   CMD   a   b  ".to_owned(),
        ];
        for line in lines {
            let owned = OwnedMessage::parse(line.clone()).expect("parses");
            let fresh = Message::parse(&line).expect("parses");
            let view = owned.as_message();
            assert_eq!(view, fresh, "{line:?}");
            assert_eq!(view.as_str(), fresh.as_str());
            assert_eq!(view.params().len(), fresh.params().len());
            for i in 0..fresh.params().len() + 1 {
                assert_eq!(view.param(i), fresh.param(i), "{line:?} param {i}");
            }
            assert_eq!(view.trailing(), fresh.trailing());
            assert_eq!(view.source_raw(), fresh.source_raw());
            assert_eq!(view.has_tags(), fresh.has_tags());
            assert_eq!(owned.to_buf(), fresh.to_buf());
            assert_eq!(owned.as_str(), line);
        }
    }

    #[test]
    fn errors_are_the_parser_s() {
        assert_eq!(
            OwnedMessage::parse(String::new()).unwrap_err(),
            Message::parse("").unwrap_err()
        );
        let e = OwnedMessage::parse(":only-a-source".to_owned()).unwrap_err();
        assert_eq!(e, Message::parse(":only-a-source").unwrap_err());
    }

    #[test]
    fn any_text_storage_will_do() {
        let shared: std::sync::Arc<str> = std::sync::Arc::from(":n!u@h PRIVMSG #c :hi");
        let m = OwnedMessage::parse(std::sync::Arc::clone(&shared)).expect("parses");
        assert_eq!(m.as_message().trailing(), Some("hi"));
        assert!(std::sync::Arc::ptr_eq(&m.into_inner(), &shared));
    }

    #[test]
    fn clones_are_independent_and_equal() {
        let a = OwnedMessage::try_from(":n!u@h PRIVMSG #c :hi").expect("parses");
        let b = a.clone();
        drop(a);
        assert_eq!(b.as_message().trailing(), Some("hi"));
        assert_eq!(b.to_string(), ":n!u@h PRIVMSG #c :hi");
    }

    proptest::proptest! {
        #[test]
        fn any_line_reads_the_same_owned_or_borrowed(line in "(@[a-z=;]{0,12} )?(:[a-z!@.]{1,10} )?[A-Za-z0-9]{1,8}( [a-z#:]{0,6}){0,20}( :[ -~]{0,20})?\r?\n?") {
            if let Ok(fresh) = Message::parse(&line) {
                let owned = OwnedMessage::parse(line.clone()).expect("parses like Message");
                let view = owned.as_message();
                proptest::prop_assert_eq!(view, fresh);
                proptest::prop_assert_eq!(view.params().to_vec(), fresh.params().to_vec());
                for i in 0..=fresh.params().len() {
                    proptest::prop_assert_eq!(view.param(i), fresh.param(i));
                }
                proptest::prop_assert_eq!(view.as_str(), fresh.as_str());
            } else {
                proptest::prop_assert!(OwnedMessage::parse(line).is_err());
            }
        }
    }
}
