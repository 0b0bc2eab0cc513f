//! Events: what handlers are called for, and the names they are registered
//! under.
//!
//! Every message from the server is an [`Event`] named by its command
//! (`PRIVMSG`, `JOIN`, `001`, and verbs the client has never heard of). The
//! client adds local events: [`CLIENT_CONNECT`] and [`CLIENT_DISCONNECT`].
//! [`EventName`] normalises what users write: commands are uppercased and
//! numeric names become their three-digit code, so `"RPL_ENDOFMOTD"`,
//! `"rpl_endofmotd"` and `"376"` name the same event.

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytestring::ByteString;
use irc_proto::{Message, MessageBuf, OwnedMessage};

use crate::error::Availability;

/// The local event fired once the connection is ready: after registration
/// (`001`) with the built-in registration, right after the TCP connection is
/// made without it.
///
/// Servers send their ISUPPORT lines (`005`) after `001`, so a
/// `CLIENT_CONNECT` handler may run before [`Client::isupport`](crate::Client::isupport)
/// knows them; one that needs them can `wait_any(["RPL_ENDOFMOTD",
/// "ERR_NOMOTD"])` first: the message of the day comes after them.
pub const CLIENT_CONNECT: &str = "CLIENT_CONNECT";

/// The local event fired when the connection has ended, for whatever reason.
pub const CLIENT_DISCONNECT: &str = "CLIENT_DISCONNECT";

/// A normalised event name.
///
/// ```
/// use irc_client::EventName;
///
/// assert_eq!(EventName::new("privmsg"), EventName::new("PRIVMSG"));
/// assert_eq!(EventName::new("RPL_ENDOFMOTD").as_str(), "376");
/// assert_eq!(EventName::new("rpl_welcome"), EventName::new("001"));
/// assert!(EventName::new("376").is_numeric());
/// ```
#[derive(Clone)]
pub struct EventName(Repr);

/// A name the client knows (common verbs, numerics, its local events) is a
/// `&'static str`, so naming an event and copying its name touch no
/// reference count; any other name is shared.
#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl PartialEq for EventName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for EventName {}

impl std::hash::Hash for EventName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for EventName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EventName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EventName").field(&self.as_str()).finish()
    }
}

impl EventName {
    /// Normalises a name: trimmed, uppercased, numeric names (`RPL_*`,
    /// `ERR_*`, every name [`irc_proto::Numeric`] knows) turned into their
    /// code.
    #[must_use]
    pub fn new(name: &str) -> Self {
        let name = name.trim();
        if let Some(shared) = common_name(name) {
            return shared;
        }
        let upper = name.to_ascii_uppercase();
        match irc_proto::Numeric::from_name(&upper) {
            Some(numeric) => numeric_name(numeric.code()),
            None => Self(Repr::Shared(Arc::from(upper))),
        }
    }

    /// The name of the event of a line with this command: as
    /// [`EventName::new`], with a fast path for the verbs and numerics
    /// servers send most, spelled as servers spell them.
    pub(crate) fn of_command(command: &str) -> Self {
        if let &[a, b, c] = command.as_bytes()
            && a.is_ascii_digit()
            && b.is_ascii_digit()
            && c.is_ascii_digit()
        {
            return numeric_name(
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            );
        }
        match COMMON_VERBS.iter().find(|v| **v == command) {
            Some(v) => Self(Repr::Static(v)),
            None => Self::new(command),
        }
    }

    /// Whether both are the same shared name (a cheap test that may say
    /// `false` for equal names).
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Static(a), Repr::Static(b)) => std::ptr::eq(*a, *b),
            (Repr::Shared(a), Repr::Shared(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The normalised name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// The numeric code, when this names a numeric reply.
    #[must_use]
    pub fn numeric(&self) -> Option<u16> {
        let b = self.as_str().as_bytes();
        (b.len() == 3 && b.iter().all(u8::is_ascii_digit))
            .then(|| b.iter().fold(0, |n, d| n * 10 + u16::from(d - b'0')))
    }

    /// Whether this names a numeric reply.
    #[must_use]
    pub fn is_numeric(&self) -> bool {
        self.numeric().is_some()
    }

    /// Whether this is one of the client's local events.
    #[must_use]
    pub fn is_local(&self) -> bool {
        matches!(self.as_str(), CLIENT_CONNECT | CLIENT_DISCONNECT)
    }

    /// The symbolic name of a numeric (`RPL_ENDOFMOTD` for `376`), when known.
    #[must_use]
    pub fn numeric_name(&self) -> Option<&'static str> {
        self.numeric()
            .and_then(irc_proto::Numeric::from_code)
            .and_then(irc_proto::Numeric::name)
    }
}

/// The verbs servers send most, named once and shared, so that naming the
/// event of a line from the server allocates nothing.
const COMMON_VERBS: &[&str] = &[
    "PRIVMSG",
    "NOTICE",
    "JOIN",
    "PART",
    "QUIT",
    "NICK",
    "MODE",
    "KICK",
    "TOPIC",
    "PING",
    "PONG",
    "CAP",
    "AUTHENTICATE",
    "ERROR",
    "INVITE",
    "TAGMSG",
    "AWAY",
    "ACCOUNT",
    "CHGHOST",
    "SETNAME",
    "BATCH",
    "WALLOPS",
    "KILL",
    "FAIL",
    "WARN",
    "NOTE",
];

/// `000` to `999`, back to back: the names of every numeric, as static
/// text.
static NUMERIC_TEXT: &str = match std::str::from_utf8(&NUMERIC_DIGITS) {
    Ok(s) => s,
    Err(_) => panic!("digits are ASCII"),
};

const NUMERIC_DIGITS: [u8; 3000] = {
    let mut digits = [0_u8; 3000];
    let mut n = 0;
    while n < 1000 {
        digits[3 * n] = b'0' + (n / 100) as u8;
        digits[3 * n + 1] = b'0' + (n / 10 % 10) as u8;
        digits[3 * n + 2] = b'0' + (n % 10) as u8;
        n += 1;
    }
    digits
};

/// The static name of a numeric below 1000.
fn numeric_name(code: u16) -> EventName {
    let i = usize::from(code) * 3;
    EventName(Repr::Static(NUMERIC_TEXT.get(i..i + 3).unwrap_or("000")))
}

/// The static name of a common verb (any case), of a three-digit numeric,
/// or of a local event.
fn common_name(name: &str) -> Option<EventName> {
    match name.as_bytes() {
        &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_digit) => Some(numeric_name(
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
        )),
        _ => COMMON_VERBS
            .iter()
            .chain(&[CLIENT_CONNECT, CLIENT_DISCONNECT])
            .find(|v| v.eq_ignore_ascii_case(name))
            .map(|v| EventName(Repr::Static(v))),
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.numeric_name() {
            Some(name) => write!(f, "{} ({name})", self.as_str()),
            None => f.write_str(self.as_str()),
        }
    }
}

impl From<&str> for EventName {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for EventName {
    fn from(s: String) -> Self {
        Self::new(&s)
    }
}

impl From<&String> for EventName {
    fn from(s: &String) -> Self {
        Self::new(s)
    }
}

impl From<u16> for EventName {
    fn from(code: u16) -> Self {
        if code < 1000 {
            numeric_name(code)
        } else {
            Self(Repr::Shared(Arc::from(format!("{code:03}"))))
        }
    }
}

impl AsRef<str> for EventName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// One event: a message from the server (or injected with
/// [`Client::trigger`](crate::Client::trigger)), or a local event without a
/// message.
///
/// A message from the server is kept as it was read: its line and where
/// each part lies ([`OwnedMessage`]), in the event itself: one allocation
/// (the line) whatever the number of tags and parameters.
/// [`Event::parsed`] reads it without copying; [`Event::message`] gives an
/// editable [`MessageBuf`], built the first time it is asked for and then
/// kept.
///
/// ```
/// use irc_client::Event;
///
/// let ev = Event::parse(":dan!d@host privmsg #rust :hi")?;
/// assert_eq!(ev.name().as_str(), "PRIVMSG");
/// assert_eq!(ev.parsed().unwrap().trailing(), Some("hi"));
/// assert_eq!(ev.message().unwrap().params, ["#rust", "hi"]);
/// assert!(Event::local("CLIENT_CONNECT").message().is_none());
/// # Ok::<(), irc_proto::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Event {
    name: EventName,
    message: Option<Payload>,
}

/// The message of an event: the received line, and the owned copy made
/// when someone asks for one.
#[derive(Debug, Clone)]
struct Payload {
    /// The parsed line; `None` only for a [`MessageBuf`] that cannot be
    /// written as a line (see [`Event::from_message`]).
    line: Option<OwnedMessage<ByteString>>,
    /// The editable copy, made on demand (set at once for an event made
    /// from a [`MessageBuf`]).
    buf: OnceLock<Arc<MessageBuf>>,
}

impl Event {
    /// The event of a message, named by its command.
    ///
    /// The message is written as a line and read back, so that
    /// [`Event::parsed`] works as for a message from the server; a message
    /// that cannot be written safely (a CR, LF or NUL, a space in a middle
    /// parameter) keeps only its [`MessageBuf`], and
    /// [`Client::trigger`](crate::Client::trigger) refuses it.
    #[must_use]
    pub fn from_message(message: MessageBuf) -> Self {
        let name = EventName::new(&message.command);
        let line = message
            .pack()
            .ok()
            .and_then(|line| OwnedMessage::parse(ByteString::from(line)).ok());
        Self {
            name,
            message: Some(Payload {
                line,
                buf: OnceLock::from(Arc::new(message)),
            }),
        }
    }

    /// The event of a line as the read loop parsed it: no copy is made.
    pub(crate) fn from_line(line: OwnedMessage<ByteString>) -> Self {
        Self {
            name: EventName::new(line.as_message().command()),
            message: Some(Payload {
                line: Some(line),
                buf: OnceLock::new(),
            }),
        }
    }

    /// The event of a message read in place: its line is copied.
    pub(crate) fn of_message(name: EventName, message: &Message<'_>) -> Self {
        let line = OwnedMessage::parse(ByteString::from(message.as_str())).ok();
        let buf = OnceLock::new();
        if line.is_none() {
            // The same text parsed once; should it not again, the parts
            // are kept all the same.
            let _ = buf.set(Arc::new(message.to_buf()));
        }
        Self {
            name,
            message: Some(Payload { line, buf }),
        }
    }

    /// The event of a raw line.
    ///
    /// # Errors
    ///
    /// The [`irc_proto::ParseError`] when the line does not parse.
    pub fn parse(line: &str) -> Result<Self, irc_proto::ParseError> {
        OwnedMessage::parse(ByteString::from(line)).map(Self::from_line)
    }

    /// A local event without a message (`CLIENT_CONNECT`, or a name of your
    /// own).
    #[must_use]
    pub fn local(name: impl Into<EventName>) -> Self {
        Self {
            name: name.into(),
            message: None,
        }
    }

    /// The event's name.
    #[must_use]
    pub const fn name(&self) -> &EventName {
        &self.name
    }

    /// The message, read in place: tags, source, command and parameters
    /// without a copy. `None` for a local event (and for a message that
    /// cannot be written as a line; see [`Event::from_message`]).
    #[must_use]
    #[inline]
    pub fn parsed(&self) -> Option<Message<'_>> {
        self.message
            .as_ref()
            .and_then(|p| p.line.as_ref())
            .map(|line| line.as_message())
    }

    /// The message as an editable [`MessageBuf`], unless this is a local
    /// event. The copy is made the first time and shared after.
    #[must_use]
    pub fn message(&self) -> Option<&MessageBuf> {
        self.message_arc().map(AsRef::as_ref)
    }

    /// The message, shared.
    #[must_use]
    pub fn message_arc(&self) -> Option<&Arc<MessageBuf>> {
        let payload = self.message.as_ref()?;
        Some(payload.buf.get_or_init(|| {
            Arc::new(
                payload
                    .line
                    .as_ref()
                    .map(|line| line.as_message().to_buf())
                    .unwrap_or_default(),
            )
        }))
    }

    /// Whether the event carries a message that cannot be written as a
    /// line (what [`Client::trigger`](crate::Client::trigger) refuses).
    pub(crate) fn is_unwritable(&self) -> bool {
        self.message.as_ref().is_some_and(|p| p.line.is_none())
    }
}

impl From<MessageBuf> for Event {
    fn from(m: MessageBuf) -> Self {
        Self::from_message(m)
    }
}

/// Where a value sits among a message's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The parameter at this index.
    At(usize),
    /// The last parameter, when there are at least this many.
    LastOf(usize),
    /// The first parameter that looks like a channel, from this index on.
    ChannelFrom(usize),
}

/// A field of the schema: its availability and where to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    pub(crate) availability: Availability,
    pub(crate) slot: Slot,
}

const NEVER: FieldSpec = FieldSpec {
    availability: Availability::Never,
    slot: Slot::At(usize::MAX),
};

const fn always(slot: Slot) -> FieldSpec {
    FieldSpec {
        availability: Availability::Always,
        slot,
    }
}

const fn maybe(slot: Slot) -> FieldSpec {
    FieldSpec {
        availability: Availability::Maybe,
        slot,
    }
}

/// The values a kind of event can carry, the basis of the registration check.
///
/// See the table in [`crate::extract`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// A message at all (`Raw`, `Params`, `Tags`, tag extractors).
    pub(crate) message: Availability,
    /// A source of any kind (`Source`).
    pub(crate) source: Availability,
    /// A user source `nick!user@host` (`Nick`, `User`, `Host`).
    pub(crate) sender: Availability,
    /// `Target`.
    pub(crate) target: FieldSpec,
    /// `Channel`.
    pub(crate) channel: FieldSpec,
    /// `Text`.
    pub(crate) text: FieldSpec,
    /// `Numeric`.
    pub(crate) numeric: Availability,
}

/// The fields an extractor can ask the schema about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The message itself (for `Raw`, `Params`, `Tags`).
    Message,
    /// The message's source, whatever it is.
    Source,
    /// A user source (`nick!user@host`): `Nick`, `User`, `Host`.
    Sender,
    /// The target: the nick or channel a message is addressed to.
    Target,
    /// A channel the event concerns.
    Channel,
    /// The text: message body, reason, or the last parameter.
    Text,
    /// The numeric code.
    Numeric,
}

impl Schema {
    /// How available a field is for this kind of event.
    #[must_use]
    pub const fn availability(&self, field: Field) -> Availability {
        match field {
            Field::Message => self.message,
            Field::Source => self.source,
            Field::Sender => self.sender,
            Field::Target => self.target.availability,
            Field::Channel => self.channel.availability,
            Field::Text => self.text.availability,
            Field::Numeric => self.numeric,
        }
    }

    /// The schema of the events with this name.
    #[must_use]
    pub fn of(name: &EventName) -> Self {
        use Availability::{Always, Maybe, Never};
        if name.is_local() {
            return Self {
                message: Never,
                source: Never,
                sender: Never,
                target: NEVER,
                channel: NEVER,
                text: NEVER,
                numeric: Never,
            };
        }
        if name.is_numeric() {
            return Self {
                message: Always,
                source: Always,
                sender: Never,
                target: always(Slot::At(0)),
                channel: maybe(Slot::ChannelFrom(1)),
                text: always(Slot::LastOf(2)),
                numeric: Always,
            };
        }
        // Messages a user sends: the source is `nick!user@host`.
        let user = |target: FieldSpec, channel: FieldSpec, text: FieldSpec| Self {
            message: Always,
            source: Always,
            sender: Always,
            target,
            channel,
            text,
            numeric: Never,
        };
        // Messages from the server itself: maybe a source, never a user.
        let server = |target: FieldSpec, text: FieldSpec| Self {
            message: Always,
            source: Maybe,
            sender: Never,
            target,
            channel: NEVER,
            text,
            numeric: Never,
        };
        match name.as_str() {
            "PRIVMSG" | "NOTICE" => user(
                always(Slot::At(0)),
                maybe(Slot::ChannelFrom(0)),
                always(Slot::At(1)),
            ),
            "TAGMSG" | "MODE" => user(always(Slot::At(0)), maybe(Slot::ChannelFrom(0)), NEVER),
            "JOIN" => user(NEVER, always(Slot::At(0)), NEVER),
            "PART" => user(NEVER, always(Slot::At(0)), maybe(Slot::LastOf(2))),
            "KICK" => user(
                always(Slot::At(1)),
                always(Slot::At(0)),
                maybe(Slot::LastOf(3)),
            ),
            "TOPIC" => user(NEVER, always(Slot::At(0)), always(Slot::At(1))),
            "INVITE" => user(always(Slot::At(0)), always(Slot::At(1)), NEVER),
            "NICK" => user(always(Slot::At(0)), NEVER, NEVER),
            "QUIT" | "AWAY" => user(NEVER, NEVER, maybe(Slot::LastOf(1))),
            "WALLOPS" | "SETNAME" => user(NEVER, NEVER, always(Slot::LastOf(1))),
            "ACCOUNT" | "CHGHOST" => user(NEVER, NEVER, NEVER),
            "PING" | "PONG" | "ERROR" => server(NEVER, always(Slot::LastOf(1))),
            "CAP" | "AUTHENTICATE" => server(maybe(Slot::At(0)), always(Slot::LastOf(1))),
            // Verbs the client does not know: anything may be there.
            _ => Self {
                message: Always,
                source: Maybe,
                sender: Maybe,
                target: maybe(Slot::At(0)),
                channel: maybe(Slot::ChannelFrom(0)),
                text: maybe(Slot::LastOf(1)),
                numeric: Never,
            },
        }
    }
}

/// Whether a parameter looks like a channel name (`#`, `&`, `+` or `!`
/// first).
pub(crate) fn is_channel(s: &str) -> bool {
    matches!(s.as_bytes().first(), Some(b'#' | b'&' | b'+' | b'!'))
}

impl FieldSpec {
    /// Reads this field from a message.
    pub(crate) fn read<'m>(&self, msg: &Message<'m>) -> Option<&'m str> {
        if self.availability == Availability::Never {
            return None;
        }
        let params = msg.params();
        match self.slot {
            Slot::At(i) => params.get(i),
            Slot::LastOf(n) => {
                if params.len() >= n {
                    params.last()
                } else {
                    None
                }
            }
            Slot::ChannelFrom(i) => params.iter().skip(i).find(|p| is_channel(p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(EventName::new(" join ").as_str(), "JOIN");
        assert_eq!(EventName::new("RPL_ENDOFMOTD").as_str(), "376");
        assert_eq!(EventName::new("err_nicknameinuse").as_str(), "433");
        assert_eq!(EventName::from(1).as_str(), "001");
        assert_eq!(EventName::new("SOMETHING_NEW").as_str(), "SOMETHING_NEW");
        assert_eq!(EventName::new("376").to_string(), "376 (RPL_ENDOFMOTD)");
        assert!(EventName::new("client_connect").is_local());
    }

    #[test]
    fn shared_names_match_the_normalised_ones() {
        for v in COMMON_VERBS {
            let lower = v.to_ascii_lowercase();
            assert_eq!(EventName::new(&lower).as_str(), *v);
            assert_eq!(irc_proto::Numeric::from_name(v), None, "{v}");
        }
        assert_eq!(EventName::new("Privmsg").as_str(), "PRIVMSG");
        assert_eq!(EventName::new("000").as_str(), "000");
        assert_eq!(EventName::new("999").as_str(), "999");
        assert_eq!(EventName::new("353"), EventName::from(353));
        assert_eq!(EventName::new("PRIVMSGX").as_str(), "PRIVMSGX");
    }

    #[test]
    fn schema_reads_the_right_slots() {
        let kick = Message::parse(":op!o@h KICK #c victim :bye").expect("parse");
        let s = Schema::of(&EventName::new("KICK"));
        assert_eq!(s.channel.read(&kick), Some("#c"));
        assert_eq!(s.target.read(&kick), Some("victim"));
        assert_eq!(s.text.read(&kick), Some("bye"));
        let kick = Message::parse(":op!o@h KICK #c victim").expect("parse");
        assert_eq!(s.text.read(&kick), None);

        let part = Message::parse(":n!u@h PART #c").expect("parse");
        let s = Schema::of(&EventName::new("PART"));
        assert_eq!(s.text.read(&part), None);
        assert_eq!(s.channel.read(&part), Some("#c"));

        let names = Message::parse(":srv 353 me = #chan :@a b").expect("parse");
        let s = Schema::of(&EventName::new("353"));
        assert_eq!(s.channel.read(&names), Some("#chan"));
        assert_eq!(s.target.read(&names), Some("me"));
        assert_eq!(s.text.read(&names), Some("@a b"));

        let pm = Message::parse(":n!u@h PRIVMSG me :hi").expect("parse");
        let s = Schema::of(&EventName::new("PRIVMSG"));
        assert_eq!(s.channel.read(&pm), None);
        assert_eq!(s.target.read(&pm), Some("me"));
    }

    #[test]
    fn local_events_carry_nothing() {
        let s = Schema::of(&EventName::new(CLIENT_CONNECT));
        for f in [Field::Message, Field::Source, Field::Text, Field::Numeric] {
            assert_eq!(s.availability(f), Availability::Never);
        }
    }
}
