//! Messages: the borrowed [`Message`] the parser returns, and the owned
//! [`MessageBuf`] to build, store and send.

use std::borrow::Cow;
use std::fmt;

use crate::error::{PackError, ParseError, ParseErrorKind};
use crate::pack::{self, TagsIn, Truncation};
use crate::parse::{self, ParseMode};
use crate::source::Source;
use crate::tags::Tags;
use crate::text::decode;

/// How many parameters a [`Params`] keeps inline; RFC 2812 allows 15, more
/// are accepted and read again from the line when asked for.
pub const INLINE_PARAMS: usize = 15;

/// A message borrowed from one line: tags, source, command and parameters are
/// all slices of the input, nothing is copied or allocated.
///
/// ```
/// use irc_proto::Message;
///
/// let msg = Message::parse("@time=2024-01-01T00:00:00Z :dan!d@host PRIVMSG #rust :hello there").unwrap();
/// assert_eq!(msg.command(), "PRIVMSG");
/// assert!(msg.is_command("privmsg"));
/// assert_eq!(msg.source().unwrap().nick(), "dan");
/// assert_eq!(msg.param(0), Some("#rust"));
/// assert_eq!(msg.trailing(), Some("hello there"));
/// assert_eq!(msg.tag("time").as_deref(), Some("2024-01-01T00:00:00Z"));
/// ```
#[derive(Clone, Copy)]
pub struct Message<'a> {
    line: &'a str,
    tags: Option<Tags<'a>>,
    source: Option<&'a str>,
    command: &'a str,
    params: Params<'a>,
}

impl<'a> Message<'a> {
    /// Parses one line (its line ending may be present or not) in the default
    /// lenient mode.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] when the line has no command, an empty source, or a
    /// command with characters no command holds.
    #[inline]
    pub fn parse(line: &'a str) -> Result<Self, ParseError> {
        parse::message(line, ParseMode::Lenient)
    }

    /// Parses one line in the given [`ParseMode`].
    ///
    /// ```
    /// use irc_proto::{Message, ParseMode, ParseErrorKind};
    /// let long = format!("PRIVMSG #c :{}", "x".repeat(600));
    /// assert!(Message::parse_with(&long, ParseMode::Lenient).is_ok());
    /// let err = Message::parse_with(&long, ParseMode::Strict).unwrap_err();
    /// assert_eq!(err.kind, ParseErrorKind::LineTooLong);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Message::parse`], and in strict mode also for the grammar and
    /// length violations listed in [`ParseErrorKind`].
    pub fn parse_with(line: &'a str, mode: ParseMode) -> Result<Self, ParseError> {
        parse::message(line, mode)
    }

    /// Parses one line of bytes that must be UTF-8.
    ///
    /// For bytes in any encoding, decode them first with [`decode`], or
    /// use [`MessageBuf::parse_bytes`].
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::InvalidUtf8`] at the first invalid byte, or what
    /// [`Message::parse`] reports.
    pub fn parse_bytes(line: &'a [u8]) -> Result<Self, ParseError> {
        let text = std::str::from_utf8(line)
            .map_err(|e| ParseError::new(ParseErrorKind::InvalidUtf8, e.valid_up_to()))?;
        Self::parse(text)
    }

    pub(crate) fn from_parts(
        line: &'a str,
        tags: Option<Tags<'a>>,
        source: Option<&'a str>,
        command: &'a str,
        params: Params<'a>,
    ) -> Self {
        Self {
            line,
            tags,
            source,
            command,
            params,
        }
    }

    /// The line this message was parsed from, without its line ending.
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        self.line
    }

    /// The tags (empty when the line has none).
    #[must_use]
    #[inline]
    pub fn tags(&self) -> Tags<'a> {
        self.tags.unwrap_or_default()
    }

    /// Whether the line had a tags section at all.
    #[must_use]
    pub const fn has_tags(&self) -> bool {
        self.tags.is_some()
    }

    /// The unescaped value of one tag (`Some("")` for a tag without value).
    #[must_use]
    pub fn tag(&self, key: &str) -> Option<Cow<'a, str>> {
        self.tags.and_then(|t| t.get(key))
    }

    /// The source, split into nick, user and host.
    #[must_use]
    #[inline]
    pub fn source(&self) -> Option<Source<'a>> {
        self.source.map(Source::parse)
    }

    /// The raw source, without its `:`.
    #[must_use]
    pub const fn source_raw(&self) -> Option<&'a str> {
        self.source
    }

    /// The nick of the source (the server name for a server source).
    #[must_use]
    pub fn nick(&self) -> Option<&'a str> {
        self.source().map(|s| s.nick())
    }

    /// The command as on the wire, case preserved (`PRIVMSG`, `privmsg`, `001`).
    #[must_use]
    pub const fn command(&self) -> &'a str {
        self.command
    }

    /// Whether the command is `cmd`, ignoring ASCII case.
    #[must_use]
    pub fn is_command(&self, cmd: &str) -> bool {
        self.command.eq_ignore_ascii_case(cmd)
    }

    /// The numeric code when the command is three digits.
    ///
    /// ```
    /// let m = irc_proto::Message::parse(":srv 433 * dan :Nickname is already in use").unwrap();
    /// assert_eq!(m.numeric(), Some(433));
    /// ```
    #[must_use]
    pub fn numeric(&self) -> Option<u16> {
        let b = self.command.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_digit) {
            Some(b.iter().fold(0, |n, d| n * 10 + u16::from(d - b'0')))
        } else {
            None
        }
    }

    /// The parameters.
    #[must_use]
    pub const fn params(&self) -> &Params<'a> {
        &self.params
    }

    /// One parameter by index.
    #[must_use]
    pub fn param(&self, index: usize) -> Option<&'a str> {
        self.params.get(index)
    }

    /// The last parameter, whether or not it was written with a `:`: the text
    /// of a PRIVMSG, the reason of a QUIT.
    #[must_use]
    pub const fn trailing(&self) -> Option<&'a str> {
        self.params.last()
    }

    /// An owned copy.
    #[must_use]
    pub fn to_buf(&self) -> MessageBuf {
        MessageBuf::from(self)
    }

    /// Appends this message to `out` as a wire line with its CRLF.
    ///
    /// The raw tags are copied as they were read; everything is checked as
    /// [`MessageBuf::pack_into`] checks it.
    ///
    /// # Errors
    ///
    /// A [`PackError`] when the message cannot be written safely (a lenient
    /// parse accepts a few things the packer refuses, such as NUL bytes).
    pub fn pack_into(&self, out: &mut Vec<u8>) -> Result<(), PackError> {
        pack::write(
            out,
            self.tags.map_or(TagsIn::None, TagsIn::Raw),
            self.source,
            self.command,
            self.params.iter(),
            false,
        )
        .map(|_| ())
    }
}

impl PartialEq for Message<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.tags().as_raw() == other.tags().as_raw()
            && self.source == other.source
            && self.command == other.command
            && self.params == other.params
    }
}

impl Eq for Message<'_> {}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("tags", &self.tags.map(|t| t.as_raw()))
            .field("source", &self.source)
            .field("command", &self.command)
            .field("params", &self.params)
            .finish()
    }
}

impl fmt::Display for Message<'_> {
    /// The line as it was parsed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.line)
    }
}

/// The parameters of a [`Message`]: where the first [`INLINE_PARAMS`] lie is
/// recorded while parsing, any beyond are read again from the line on demand.
#[derive(Clone, Copy)]
pub struct Params<'a> {
    /// Where the first parameters are in `raw`: start and length. Offsets
    /// keep a message small, so it is cheap to return and copy.
    spans: [(u32, u32); INLINE_PARAMS],
    /// The parameters section of the line, which iterating reads again.
    raw: &'a str,
    last: Option<&'a str>,
    len: usize,
}

impl Default for Params<'_> {
    fn default() -> Self {
        Self::new("")
    }
}

impl<'a> Params<'a> {
    /// No parameter yet; `raw` is the parameters section they come from.
    pub(crate) const fn new(raw: &'a str) -> Self {
        Self {
            spans: [(0, 0); INLINE_PARAMS],
            raw,
            last: None,
            len: 0,
        }
    }

    /// Records the next parameter of the section (a slice of it).
    #[inline]
    pub(crate) fn push(&mut self, param: &'a str) {
        if let Some(slot) = self.spans.get_mut(self.len) {
            let start = (param.as_ptr() as usize).wrapping_sub(self.raw.as_ptr() as usize);
            // A span that does not fit is read again from the line instead.
            *slot = match (u32::try_from(start), u32::try_from(param.len())) {
                (Ok(start), Ok(len)) => (start, len),
                _ => (u32::MAX, u32::MAX),
            };
        }
        self.last = Some(param);
        self.len += 1;
    }

    /// How many parameters there are.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no parameter.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// One parameter by index.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&'a str> {
        if index + 1 == self.len {
            return self.last;
        }
        if index >= self.len {
            return None;
        }
        let stored = self.spans.get(index).and_then(|&(start, len)| {
            let start = start as usize;
            let end = start.checked_add(len as usize)?;
            self.raw.get(start..end)
        });
        stored.or_else(|| self.iter().nth(index))
    }

    /// The first parameter.
    #[must_use]
    pub fn first(&self) -> Option<&'a str> {
        self.get(0)
    }

    /// Rebuilds parameters recorded by [`Params::spans`] over the same
    /// section.
    pub(crate) const fn from_layout(
        raw: &'a str,
        spans: [(u32, u32); INLINE_PARAMS],
        last: Option<&'a str>,
        len: usize,
    ) -> Self {
        Self {
            spans,
            raw,
            last,
            len,
        }
    }

    /// The parameters section they were read from.
    pub(crate) const fn raw(&self) -> &'a str {
        self.raw
    }

    /// Where the first parameters lie in [`Params::raw`].
    pub(crate) const fn spans(&self) -> [(u32, u32); INLINE_PARAMS] {
        self.spans
    }

    /// The last parameter.
    #[must_use]
    pub const fn last(&self) -> Option<&'a str> {
        self.last
    }

    /// Every parameter in order.
    #[must_use]
    #[inline]
    pub fn iter(&self) -> ParamsIter<'a> {
        ParamsIter {
            rest: self.raw,
            left: self.len,
        }
    }

    /// The parameters as a vector of slices.
    #[must_use]
    pub fn to_vec(&self) -> Vec<&'a str> {
        self.iter().collect()
    }
}

impl PartialEq for Params<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Params<'_> {}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &Params<'a> {
    type Item = &'a str;
    type IntoIter = ParamsIter<'a>;
    #[inline]
    fn into_iter(self) -> ParamsIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Params`]: it reads the parameters section again, which
/// costs no more than copying the stored slices would.
#[derive(Debug, Clone)]
pub struct ParamsIter<'a> {
    rest: &'a str,
    left: usize,
}

impl<'a> Iterator for ParamsIter<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        let (param, rest) = parse::next_param(self.rest)?;
        self.rest = rest;
        self.left -= 1;
        Some(param)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for ParamsIter<'_> {}

/// One tag of a [`MessageBuf`], its value unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TagBuf {
    /// The key, with its `+` client-only prefix and vendor.
    pub key: String,
    /// The unescaped value; `None` (or an empty string) for a tag without value.
    pub value: Option<String>,
}

/// An owned message, to build, store and send.
///
/// Building never fails; [`MessageBuf::pack`] and friends check everything and
/// refuse a message that could break the line (CR, LF, NUL, a space in a
/// middle parameter, ...), so no `MessageBuf` can inject a second command.
///
/// ```
/// use irc_proto::MessageBuf;
///
/// let msg = MessageBuf::new("PRIVMSG").with_tag("+draft/reply", Some("abc")).with_param("#rust").with_param("hi all");
/// assert_eq!(msg.pack().unwrap(), "@+draft/reply=abc PRIVMSG #rust :hi all");
///
/// let evil = MessageBuf::new("PRIVMSG").with_param("#rust").with_param("hi\r\nQUIT :bye");
/// assert!(evil.pack().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MessageBuf {
    /// The tags in order, each key once.
    pub tags: Vec<TagBuf>,
    /// The source, without its `:`.
    pub source: Option<String>,
    /// The command.
    pub command: String,
    /// The parameters, the last one possibly holding spaces.
    pub params: Vec<String>,
}

impl MessageBuf {
    /// A message with this command and nothing else.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }

    /// Parses an owned message from text (lenient mode).
    ///
    /// # Errors
    ///
    /// As [`Message::parse`].
    pub fn parse(line: &str) -> Result<Self, ParseError> {
        Message::parse(line).map(|m| m.to_buf())
    }

    /// Parses an owned message from bytes in any encoding: UTF-8 where valid,
    /// CP1252 otherwise (see [`crate::text`]). No line is lost for its bytes.
    ///
    /// ```
    /// let m = irc_proto::MessageBuf::parse_bytes(b"PRIVMSG #c :caf\xe9").unwrap();
    /// assert_eq!(m.params[1], "café");
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Message::parse`].
    pub fn parse_bytes(line: &[u8]) -> Result<Self, ParseError> {
        Self::parse(&decode(line))
    }

    /// Adds a tag, replacing the value of an existing tag with the same key.
    #[must_use]
    pub fn with_tag(mut self, key: impl Into<String>, value: Option<&str>) -> Self {
        self.set_tag(key, value.map(str::to_owned));
        self
    }

    /// Sets a tag, replacing the value of an existing tag with the same key.
    pub fn set_tag(&mut self, key: impl Into<String>, value: Option<String>) {
        let key = key.into();
        if let Some(t) = self.tags.iter_mut().find(|t| t.key == key) {
            t.value = value;
        } else {
            self.tags.push(TagBuf { key, value });
        }
    }

    /// The value of a tag (`Some("")` for a tag without value).
    #[must_use]
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_deref().unwrap_or(""))
    }

    /// Sets the source.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Appends a parameter.
    #[must_use]
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.params.push(param.into());
        self
    }

    /// Appends parameters.
    #[must_use]
    pub fn with_params<I, S>(mut self, params: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.params.extend(params.into_iter().map(Into::into));
        self
    }

    /// Whether the command is `cmd`, ignoring ASCII case.
    #[must_use]
    pub fn is_command(&self, cmd: &str) -> bool {
        self.command.eq_ignore_ascii_case(cmd)
    }

    /// The source split into nick, user and host.
    #[must_use]
    pub fn source(&self) -> Option<Source<'_>> {
        self.source.as_deref().map(Source::parse)
    }

    /// The wire line without its CRLF.
    ///
    /// # Errors
    ///
    /// A [`PackError`] naming the part that could break the line.
    pub fn pack(&self) -> Result<String, PackError> {
        let mut out = Vec::new();
        self.write(&mut out, false)?;
        out.truncate(out.len() - 2);
        // The packer writes only the message's own UTF-8 text and ASCII.
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    /// Appends the wire line with its CRLF to `out`; on error `out` is left
    /// as it was. No length limit is applied: see [`MessageBuf::pack_cut_into`].
    ///
    /// # Errors
    ///
    /// A [`PackError`] naming the part that could break the line.
    pub fn pack_into(&self, out: &mut Vec<u8>) -> Result<(), PackError> {
        self.write(out, false).map(|_| ())
    }

    /// Appends the wire line with its CRLF to `out`, cutting the last
    /// parameter so the part without tags fits 512 bytes (the RFC 2812 limit),
    /// on a UTF-8 character boundary. Returns what was cut, if anything.
    ///
    /// ```
    /// use irc_proto::MessageBuf;
    /// let text = "é".repeat(300); // 600 bytes
    /// let msg = MessageBuf::new("PRIVMSG").with_param("#c").with_param(text);
    /// let mut out = Vec::new();
    /// let cut = msg.pack_cut_into(&mut out).unwrap().expect("cut");
    /// assert_eq!(out.len(), 512);
    /// assert_eq!(cut.kept + cut.dropped, 600);
    /// assert!(std::str::from_utf8(&out).is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// As [`MessageBuf::pack_into`], plus [`PackErrorKind::LineTooLong`](crate::PackErrorKind::LineTooLong)
    /// when the line is too long even without its last parameter, and
    /// [`PackErrorKind::TagsTooLong`](crate::PackErrorKind::TagsTooLong).
    pub fn pack_cut_into(&self, out: &mut Vec<u8>) -> Result<Option<Truncation>, PackError> {
        self.write(out, true)
    }

    fn write(&self, out: &mut Vec<u8>, cut: bool) -> Result<Option<Truncation>, PackError> {
        pack::write(
            out,
            TagsIn::Owned(&self.tags),
            self.source.as_deref(),
            &self.command,
            self.params.iter().map(String::as_str),
            cut,
        )
    }

    /// Packs this message into `scratch` and parses it back: a borrowed view
    /// of an owned message.
    ///
    /// # Errors
    ///
    /// A [`PackError`] when the message cannot be packed.
    pub fn to_message<'s>(&self, scratch: &'s mut String) -> Result<Message<'s>, PackError> {
        *scratch = self.pack()?;
        // A packed message always parses.
        Ok(Message::parse(scratch)
            .unwrap_or_else(|_| Message::from_parts(scratch, None, None, "", Params::default())))
    }
}

impl From<&Message<'_>> for MessageBuf {
    fn from(m: &Message<'_>) -> Self {
        let mut tags: Vec<TagBuf> = Vec::new();
        for t in m.tags() {
            let value = t.value();
            let value = (!value.is_empty()).then(|| value.into_owned());
            if let Some(existing) = tags.iter_mut().find(|e| e.key == t.key) {
                existing.value = value;
            } else {
                tags.push(TagBuf {
                    key: t.key.to_owned(),
                    value,
                });
            }
        }
        Self {
            tags,
            source: m.source_raw().map(str::to_owned),
            command: m.command().to_owned(),
            params: m.params().iter().map(str::to_owned).collect(),
        }
    }
}

impl From<Message<'_>> for MessageBuf {
    fn from(m: Message<'_>) -> Self {
        Self::from(&m)
    }
}

impl std::str::FromStr for MessageBuf {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::parse(s)
    }
}
