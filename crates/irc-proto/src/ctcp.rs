//! CTCP, the Client-To-Client Protocol: `\x01COMMAND params\x01` carried in
//! the text of a PRIVMSG (a request) or a NOTICE (a reply).
//!
//! Decoding is lenient, as clients in the wild are: the final `\x01` may be
//! missing, the command is compared without regard to ASCII case, and
//! anything after the closing `\x01` is ignored. Encoding is strict: a
//! command or parameters holding CR, LF, NUL or `\x01` are refused with a
//! [`CtcpError`], never sent.
//!
//! ```
//! use irc_proto::Message;
//! use irc_proto::ctcp::{self, CtcpKind, Direction};
//!
//! let msg = Message::parse(":dan!d@host PRIVMSG #rust :\x01ACTION waves\x01")?;
//! let (direction, ctcp) = ctcp::from_message(&msg).expect("a CTCP");
//! assert_eq!(direction, Direction::Request);
//! assert_eq!(ctcp.kind(), CtcpKind::Action);
//! assert_eq!(ctcp.params, "waves");
//!
//! let reply = ctcp::reply("dan", "VERSION", "ircbot 0.1")?;
//! assert_eq!(reply.pack()?, "NOTICE dan :\x01VERSION ircbot 0.1\x01");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! DCC offers (`DCC SEND`, `DCC CHAT`) are read by [`Ctcp::dcc`] into a
//! [`Dcc`] with the address as a [`std::net::IpAddr`]. This module only reads
//! and writes the offer; it never opens a connection.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use crate::message::{Message, MessageBuf};

/// The byte that opens and closes a CTCP message.
pub const DELIM: char = '\x01';

/// Whether a CTCP travelled as a request or as a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Carried by a PRIVMSG: the sender asks something (or, for `ACTION`,
    /// shows an emote).
    Request,
    /// Carried by a NOTICE: the answer to a request. Clients never answer a
    /// NOTICE, which keeps two clients from looping.
    Reply,
}

/// The CTCP commands this module knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CtcpKind {
    /// `ACTION <text>`: an emote (`/me`).
    Action,
    /// `VERSION [<text>]`: the client's name and version.
    Version,
    /// `PING <token>`: echoed back unchanged, to measure latency.
    Ping,
    /// `TIME [<text>]`: the client's local time.
    Time,
    /// `CLIENTINFO [<tokens>]`: the CTCP commands the client supports.
    ClientInfo,
    /// `SOURCE [<text>]`: where to get the client's source code.
    Source,
    /// `USERINFO [<text>]`: a free-form string about the user.
    UserInfo,
    /// `FINGER [<text>]`: obsolete; usually the real name or idle time.
    Finger,
    /// `DCC <type> ...`: a direct client-to-client connection offer.
    Dcc,
    /// Any other command.
    Other,
}

impl CtcpKind {
    /// The kind for a command name, ignoring ASCII case.
    ///
    /// ```
    /// use irc_proto::ctcp::CtcpKind;
    /// assert_eq!(CtcpKind::from_command("version"), CtcpKind::Version);
    /// assert_eq!(CtcpKind::from_command("AVATAR"), CtcpKind::Other);
    /// ```
    #[must_use]
    pub fn from_command(command: &str) -> Self {
        const KNOWN: [(&str, CtcpKind); 9] = [
            ("ACTION", CtcpKind::Action),
            ("VERSION", CtcpKind::Version),
            ("PING", CtcpKind::Ping),
            ("TIME", CtcpKind::Time),
            ("CLIENTINFO", CtcpKind::ClientInfo),
            ("SOURCE", CtcpKind::Source),
            ("USERINFO", CtcpKind::UserInfo),
            ("FINGER", CtcpKind::Finger),
            ("DCC", CtcpKind::Dcc),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(command))
            .map_or(Self::Other, |&(_, kind)| kind)
    }

    /// The upper-case command name, `None` for [`CtcpKind::Other`].
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::Action => "ACTION",
            Self::Version => "VERSION",
            Self::Ping => "PING",
            Self::Time => "TIME",
            Self::ClientInfo => "CLIENTINFO",
            Self::Source => "SOURCE",
            Self::UserInfo => "USERINFO",
            Self::Finger => "FINGER",
            Self::Dcc => "DCC",
            Self::Other => return None,
        })
    }
}

/// One CTCP message, borrowed from the text that carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ctcp<'a> {
    /// The command as sent (case preserved); compare it with
    /// [`Ctcp::is_command`] or [`Ctcp::kind`].
    pub command: &'a str,
    /// Everything after the first space following the command, as sent; empty
    /// when there is none.
    pub params: &'a str,
}

impl<'a> Ctcp<'a> {
    /// A CTCP from its parts (not validated until encoded).
    #[must_use]
    pub const fn new(command: &'a str, params: &'a str) -> Self {
        Self { command, params }
    }

    /// The known kind of the command.
    #[must_use]
    pub fn kind(&self) -> CtcpKind {
        CtcpKind::from_command(self.command)
    }

    /// Whether the command is `name`, ignoring ASCII case.
    #[must_use]
    pub fn is_command(&self, name: &str) -> bool {
        self.command.eq_ignore_ascii_case(name)
    }

    /// The command upper-cased (ASCII).
    #[must_use]
    pub fn command_upper(&self) -> String {
        self.command.to_ascii_uppercase()
    }

    /// The `\x01COMMAND params\x01` text.
    ///
    /// # Errors
    ///
    /// As [`encode`].
    pub fn encode(&self) -> Result<String, CtcpError> {
        encode(self.command, self.params)
    }

    /// Reads a DCC offer from a `DCC` CTCP.
    ///
    /// ```
    /// use irc_proto::ctcp::{decode, Dcc};
    /// use std::net::{IpAddr, Ipv4Addr};
    ///
    /// let c = decode("\x01DCC SEND \"my file.txt\" 3232235777 5000 1024\x01").unwrap();
    /// let Dcc::Send { filename, addr, port, size, .. } = c.dcc()? else { panic!() };
    /// assert_eq!(filename, "my file.txt");
    /// assert_eq!(addr, IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)));
    /// assert_eq!((port, size), (5000, Some(1024)));
    /// # Ok::<(), irc_proto::ctcp::DccError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`DccError`] when the command is not `DCC` or the offer is malformed.
    pub fn dcc(&self) -> Result<Dcc<'a>, DccError> {
        if !self.is_command("DCC") {
            return Err(DccError::NotDcc);
        }
        Dcc::parse(self.params)
    }
}

/// Reads a CTCP from the text of a PRIVMSG or NOTICE.
///
/// `None` when the text does not start with `\x01`, or holds no command. The
/// closing `\x01` may be missing; text after it is ignored. Exactly one space
/// separates the command from the parameters; further spaces belong to the
/// parameters.
///
/// Never panics, on any input.
///
/// ```
/// use irc_proto::ctcp::decode;
/// let c = decode("\x01PING 1473523721 662865\x01").unwrap();
/// assert_eq!((c.command, c.params), ("PING", "1473523721 662865"));
/// // A missing final \x01 is tolerated.
/// assert_eq!(decode("\x01VERSION").unwrap().command, "VERSION");
/// assert!(decode("plain text").is_none());
/// ```
#[must_use]
pub fn decode(text: &str) -> Option<Ctcp<'_>> {
    let body = text.strip_prefix(DELIM)?;
    let body = body.find(DELIM).map_or(body, |end| &body[..end]);
    let (command, params) = body.split_once(' ').unwrap_or((body, ""));
    if command.is_empty() {
        return None;
    }
    Some(Ctcp { command, params })
}

/// Reads a CTCP from a PRIVMSG (a request) or a NOTICE (a reply).
///
/// `None` for other commands and for texts that are no CTCP.
#[must_use]
pub fn from_message<'a>(msg: &Message<'a>) -> Option<(Direction, Ctcp<'a>)> {
    let direction = if msg.is_command("PRIVMSG") {
        Direction::Request
    } else if msg.is_command("NOTICE") {
        Direction::Reply
    } else {
        return None;
    };
    if msg.params().len() < 2 {
        return None;
    }
    decode(msg.trailing()?).map(|c| (direction, c))
}

/// Whether a PRIVMSG/NOTICE text is a CTCP message.
#[must_use]
pub fn is_ctcp(text: &str) -> bool {
    decode(text).is_some()
}

/// Writes `\x01COMMAND params\x01` (without the space when `params` is empty).
///
/// ```
/// use irc_proto::ctcp::{encode, CtcpError};
/// assert_eq!(encode("PING", "123")?, "\x01PING 123\x01");
/// assert_eq!(encode("VERSION", "")?, "\x01VERSION\x01");
/// assert_eq!(encode("ACTION", "a\x01b"), Err(CtcpError::ForbiddenByte { in_command: false }));
/// # Ok::<(), CtcpError>(())
/// ```
///
/// # Errors
///
/// [`CtcpError::EmptyCommand`], [`CtcpError::InvalidCommand`] for a command
/// holding a space, and [`CtcpError::ForbiddenByte`] for CR, LF, NUL or
/// `\x01` anywhere.
pub fn encode(command: &str, params: &str) -> Result<String, CtcpError> {
    check_command(command)?;
    if has_forbidden(params) {
        return Err(CtcpError::ForbiddenByte { in_command: false });
    }
    let mut out = String::with_capacity(command.len() + params.len() + 3);
    out.push(DELIM);
    out.push_str(command);
    if !params.is_empty() {
        out.push(' ');
        out.push_str(params);
    }
    out.push(DELIM);
    Ok(out)
}

fn has_forbidden(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0 | 1))
}

fn check_command(command: &str) -> Result<(), CtcpError> {
    if command.is_empty() {
        return Err(CtcpError::EmptyCommand);
    }
    if has_forbidden(command) {
        return Err(CtcpError::ForbiddenByte { in_command: true });
    }
    if command.contains(' ') {
        return Err(CtcpError::InvalidCommand);
    }
    Ok(())
}

fn check_target(target: &str) -> Result<(), CtcpError> {
    let bad = target.is_empty()
        || target.starts_with(':')
        || target
            .bytes()
            .any(|b| matches!(b, b' ' | b'\r' | b'\n' | 0));
    if bad {
        Err(CtcpError::InvalidTarget)
    } else {
        Ok(())
    }
}

fn message(verb: &str, target: &str, command: &str, params: &str) -> Result<MessageBuf, CtcpError> {
    check_target(target)?;
    let text = encode(command, params)?;
    Ok(MessageBuf::new(verb).with_param(target).with_param(text))
}

/// `PRIVMSG target :\x01ACTION text\x01`: an emote (`/me text`).
///
/// ```
/// let m = irc_proto::ctcp::action("#rust", "waves")?;
/// assert_eq!(m.pack()?, "PRIVMSG #rust :\x01ACTION waves\x01");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// For a text that may be too long for one line, use
/// [`split`](crate::split) with [`MessageKind::Action`](crate::split::MessageKind::Action).
///
/// # Errors
///
/// [`CtcpError::InvalidTarget`] for an empty target or one holding a space,
/// CR, LF or NUL; [`CtcpError::ForbiddenByte`] for a text holding CR, LF, NUL
/// or `\x01`.
pub fn action(target: &str, text: &str) -> Result<MessageBuf, CtcpError> {
    message("PRIVMSG", target, "ACTION", text)
}

/// `PRIVMSG target :\x01COMMAND params\x01`: a CTCP request.
///
/// # Errors
///
/// As [`action`], plus the command errors of [`encode`].
pub fn request(target: &str, command: &str, params: &str) -> Result<MessageBuf, CtcpError> {
    message("PRIVMSG", target, command, params)
}

/// `NOTICE nick :\x01COMMAND params\x01`: a CTCP reply.
///
/// ```
/// use irc_proto::ctcp;
/// let ping = ctcp::decode("\x01PING 1700000000\x01").unwrap();
/// let m = ctcp::reply("dan", ping.command, ping.params)?;
/// assert_eq!(m.pack()?, "NOTICE dan :\x01PING 1700000000\x01");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`request`].
pub fn reply(nick: &str, command: &str, params: &str) -> Result<MessageBuf, CtcpError> {
    message("NOTICE", nick, command, params)
}

/// Why a CTCP message could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CtcpError {
    /// The command is empty.
    #[error("empty CTCP command")]
    EmptyCommand,
    /// The command holds a space.
    #[error("space in CTCP command")]
    InvalidCommand,
    /// CR, LF, NUL or `\x01` in the command or the parameters: any of them
    /// would end the line or the CTCP message early.
    #[error("CR, LF, NUL or \\x01 in the CTCP {}", if *in_command { "command" } else { "parameters" })]
    ForbiddenByte {
        /// Whether the byte is in the command (else in the parameters).
        in_command: bool,
    },
    /// The target is empty, starts with `:` or holds a space, CR, LF or NUL.
    #[error("invalid CTCP target")]
    InvalidTarget,
}

/// A DCC offer, read from `DCC <type> <argument> <address> <port> ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dcc<'a> {
    /// `DCC SEND <filename> <address> <port> [<size> [<token>]]`: a file offer.
    Send {
        /// The file name, without its quotes when it was quoted.
        filename: &'a str,
        /// Where to connect.
        addr: IpAddr,
        /// The port; `0` for a passive (reverse) offer, answered with a port
        /// of the receiver's own.
        port: u16,
        /// The size in bytes, when given.
        size: Option<u64>,
        /// The token of a passive offer, when given.
        token: Option<&'a str>,
    },
    /// `DCC CHAT <protocol> <address> <port>`: a direct chat offer
    /// (`protocol` is `chat` in practice).
    Chat {
        /// The chat protocol, usually `chat`.
        protocol: &'a str,
        /// Where to connect.
        addr: IpAddr,
        /// The port.
        port: u16,
    },
    /// Another DCC type (`RESUME`, `ACCEPT`, ...), not read further.
    Other {
        /// The type, as sent.
        kind: &'a str,
        /// The rest of the parameters.
        args: &'a str,
    },
}

impl<'a> Dcc<'a> {
    /// Reads the parameters of a `DCC` CTCP (everything after `DCC `).
    ///
    /// The address is a decimal 32-bit integer (the classic IPv4 form) or an
    /// IPv4/IPv6 address in text.
    ///
    /// ```
    /// use irc_proto::ctcp::{Dcc, DccError};
    /// let chat = Dcc::parse("CHAT chat ::1 4000")?;
    /// assert!(matches!(chat, Dcc::Chat { port: 4000, .. }));
    /// assert_eq!(Dcc::parse("SEND f.txt 1.2.3.4 99999"), Err(DccError::InvalidPort));
    /// # Ok::<(), DccError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`DccError`] naming what is missing or malformed.
    pub fn parse(params: &'a str) -> Result<Self, DccError> {
        let (kind, rest) = next_word(params).ok_or(DccError::MissingType)?;
        if kind.eq_ignore_ascii_case("SEND") {
            let (filename, rest) = filename(rest)?;
            let (addr, rest) = next_word(rest).ok_or(DccError::MissingAddress)?;
            let (port, rest) = next_word(rest).ok_or(DccError::MissingPort)?;
            let size = match next_word(rest) {
                Some((s, _)) => Some(s.parse::<u64>().map_err(|_| DccError::InvalidSize)?),
                None => None,
            };
            let token = next_word(rest)
                .and_then(|(_, r)| next_word(r))
                .map(|(t, _)| t);
            Ok(Self::Send {
                filename,
                addr: parse_addr(addr)?,
                port: parse_port(port)?,
                size,
                token,
            })
        } else if kind.eq_ignore_ascii_case("CHAT") {
            let (protocol, rest) = next_word(rest).ok_or(DccError::MissingArgument)?;
            let (addr, rest) = next_word(rest).ok_or(DccError::MissingAddress)?;
            let (port, _) = next_word(rest).ok_or(DccError::MissingPort)?;
            Ok(Self::Chat {
                protocol,
                addr: parse_addr(addr)?,
                port: parse_port(port)?,
            })
        } else {
            Ok(Self::Other {
                kind,
                args: rest.trim_start_matches(' '),
            })
        }
    }
}

/// The next space-separated word and the rest; runs of spaces are skipped.
fn next_word(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(' ');
    if s.is_empty() {
        return None;
    }
    Some(s.split_once(' ').unwrap_or((s, "")))
}

fn filename(s: &str) -> Result<(&str, &str), DccError> {
    let s = s.trim_start_matches(' ');
    if let Some(quoted) = s.strip_prefix('"') {
        let end = quoted.find('"').ok_or(DccError::UnterminatedQuote)?;
        let name = &quoted[..end];
        if name.is_empty() {
            return Err(DccError::MissingArgument);
        }
        Ok((name, &quoted[end + 1..]))
    } else {
        next_word(s).ok_or(DccError::MissingArgument)
    }
}

fn parse_addr(s: &str) -> Result<IpAddr, DccError> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u32>()
            .map(|n| IpAddr::V4(Ipv4Addr::from(n)))
            .map_err(|_| DccError::InvalidAddress);
    }
    s.parse::<IpAddr>().map_err(|_| DccError::InvalidAddress)
}

fn parse_port(s: &str) -> Result<u16, DccError> {
    s.parse::<u16>().map_err(|_| DccError::InvalidPort)
}

/// Why a DCC offer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DccError {
    /// The CTCP command is not `DCC`.
    #[error("not a DCC message")]
    NotDcc,
    /// Nothing follows `DCC`.
    #[error("DCC type missing")]
    MissingType,
    /// The file name (SEND) or protocol (CHAT) is missing or empty.
    #[error("DCC argument missing")]
    MissingArgument,
    /// A quoted file name has no closing quote.
    #[error("DCC file name quote not closed")]
    UnterminatedQuote,
    /// The address is missing.
    #[error("DCC address missing")]
    MissingAddress,
    /// The address is neither a 32-bit decimal integer nor an IP address.
    #[error("invalid DCC address")]
    InvalidAddress,
    /// The port is missing.
    #[error("DCC port missing")]
    MissingPort,
    /// The port is not a number in `0..=65535`.
    #[error("invalid DCC port")]
    InvalidPort,
    /// The size is not a non-negative integer.
    #[error("invalid DCC file size")]
    InvalidSize,
}

impl fmt::Display for Ctcp<'_> {
    /// Shows the CTCP as `COMMAND params`, without the delimiters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.params.is_empty() {
            f.write_str(self.command)
        } else {
            write!(f, "{} {}", self.command, self.params)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn real_world_lines() {
        let cases = [
            (
                ":nick!u@h PRIVMSG #chan :\x01ACTION does a thing\x01",
                Direction::Request,
                CtcpKind::Action,
                "does a thing",
            ),
            (
                ":nick!u@h PRIVMSG bot :\x01VERSION\x01",
                Direction::Request,
                CtcpKind::Version,
                "",
            ),
            (
                ":bot!u@h NOTICE nick :\x01VERSION HexChat 2.16.1 / Linux\x01",
                Direction::Reply,
                CtcpKind::Version,
                "HexChat 2.16.1 / Linux",
            ),
            (
                ":nick!u@h PRIVMSG bot :\x01PING 1473523721 662865\x01",
                Direction::Request,
                CtcpKind::Ping,
                "1473523721 662865",
            ),
            (
                ":nick!u@h PRIVMSG bot :\x01time\x01",
                Direction::Request,
                CtcpKind::Time,
                "",
            ),
            (
                ":b!u@h NOTICE a :\x01CLIENTINFO ACTION CLIENTINFO PING VERSION\x01",
                Direction::Reply,
                CtcpKind::ClientInfo,
                "ACTION CLIENTINFO PING VERSION",
            ),
            (
                ":b!u@h NOTICE a :\x01SOURCE https://example.invalid/src\x01",
                Direction::Reply,
                CtcpKind::Source,
                "https://example.invalid/src",
            ),
            (
                ":b!u@h PRIVMSG a :\x01USERINFO\x01",
                Direction::Request,
                CtcpKind::UserInfo,
                "",
            ),
            (
                ":b!u@h PRIVMSG a :\x01FINGER\x01",
                Direction::Request,
                CtcpKind::Finger,
                "",
            ),
            // Old clients drop the final \x01.
            (
                ":nick!u@h PRIVMSG #chan :\x01ACTION waves",
                Direction::Request,
                CtcpKind::Action,
                "waves",
            ),
            (
                ":nick!u@h PRIVMSG #chan :\x01AVATAR\x01",
                Direction::Request,
                CtcpKind::Other,
                "",
            ),
        ];
        for (line, direction, kind, params) in cases {
            let msg = Message::parse(line).unwrap();
            let (d, c) = from_message(&msg).expect(line);
            assert_eq!((d, c.kind(), c.params), (direction, kind, params), "{line}");
        }
    }

    #[test]
    fn not_ctcp() {
        for line in [
            ":n!u@h PRIVMSG #c :hello",
            ":n!u@h PRIVMSG #c :",
            ":n!u@h PRIVMSG #c :\x01\x01",
            ":n!u@h PRIVMSG #c :\x01",
            ":n!u@h PRIVMSG #c : \x01ACTION x\x01",
            ":n!u@h TOPIC #c :\x01ACTION x\x01",
            ":n!u@h PRIVMSG :\x01ACTION x\x01",
        ] {
            let msg = Message::parse(line).unwrap();
            assert_eq!(from_message(&msg), None, "{line}");
        }
    }

    #[test]
    fn decode_keeps_param_spaces_and_ignores_trailing_text() {
        let c = decode("\x01ACTION  two  spaces \x01 after").unwrap();
        assert_eq!(c.params, " two  spaces ");
        let c = decode("\x01action lower\x01").unwrap();
        assert!(c.is_command("ACTION"));
        assert_eq!(c.command_upper(), "ACTION");
        assert_eq!(c.to_string(), "action lower");
    }

    #[test]
    fn encode_roundtrips_and_refuses() {
        let text = encode("ACTION", "dances").unwrap();
        assert_eq!(decode(&text), Some(Ctcp::new("ACTION", "dances")));
        assert_eq!(encode("", "x"), Err(CtcpError::EmptyCommand));
        assert_eq!(encode("A B", "x"), Err(CtcpError::InvalidCommand));
        for bad in ["\r", "\n", "\0", "\x01"] {
            assert_eq!(
                encode("PING", &format!("a{bad}b")),
                Err(CtcpError::ForbiddenByte { in_command: false })
            );
            assert_eq!(
                encode(&format!("P{bad}"), "x"),
                Err(CtcpError::ForbiddenByte { in_command: true })
            );
        }
    }

    #[test]
    fn helpers_build_messages() {
        let m = action("#rust", "waves").unwrap();
        assert_eq!(m.pack().unwrap(), "PRIVMSG #rust :\x01ACTION waves\x01");
        let m = request("dan", "VERSION", "").unwrap();
        assert_eq!(m.pack().unwrap(), "PRIVMSG dan \x01VERSION\x01");
        let m = reply("dan", "TIME", "Sun Nov 22 00:00:00 2026").unwrap();
        assert_eq!(
            m.pack().unwrap(),
            "NOTICE dan :\x01TIME Sun Nov 22 00:00:00 2026\x01"
        );
        for target in ["", "a b", "a\r\nQUIT", ":x"] {
            assert_eq!(action(target, "x"), Err(CtcpError::InvalidTarget));
        }
        assert_eq!(
            action("#c", "x\r\nQUIT"),
            Err(CtcpError::ForbiddenByte { in_command: false })
        );
    }

    #[test]
    fn dcc_send_forms() {
        let c = decode("\x01DCC SEND file.zip 3232235777 5000 123456\x01").unwrap();
        assert_eq!(
            c.dcc(),
            Ok(Dcc::Send {
                filename: "file.zip",
                addr: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)),
                port: 5000,
                size: Some(123_456),
                token: None,
            })
        );
        // Quoted name with spaces, IPv6, no size.
        let d = Dcc::parse("SEND \"holiday photos.tar\" 2001:db8::1 6000").unwrap();
        assert_eq!(
            d,
            Dcc::Send {
                filename: "holiday photos.tar",
                addr: IpAddr::V6("2001:db8::1".parse::<Ipv6Addr>().unwrap()),
                port: 6000,
                size: None,
                token: None,
            }
        );
        // Passive offer: port 0 and a token.
        let d = Dcc::parse("SEND f 10.0.0.1 0 42 7").unwrap();
        assert!(matches!(
            d,
            Dcc::Send {
                port: 0,
                size: Some(42),
                token: Some("7"),
                ..
            }
        ));
        // 0 is a valid integer address.
        assert!(matches!(
            Dcc::parse("SEND f 0 1"),
            Ok(Dcc::Send {
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                ..
            })
        ));
    }

    #[test]
    fn dcc_chat_and_other() {
        assert_eq!(
            Dcc::parse("CHAT chat 2130706433 4000"),
            Ok(Dcc::Chat {
                protocol: "chat",
                addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 4000
            })
        );
        assert_eq!(
            Dcc::parse("RESUME file.zip 5000 1024"),
            Ok(Dcc::Other {
                kind: "RESUME",
                args: "file.zip 5000 1024"
            })
        );
    }

    #[test]
    fn dcc_errors() {
        let cases = [
            ("", DccError::MissingType),
            ("SEND", DccError::MissingArgument),
            ("SEND \"\" 1 2", DccError::MissingArgument),
            ("SEND \"open 1 2", DccError::UnterminatedQuote),
            ("SEND f", DccError::MissingAddress),
            ("SEND f 1.2.3.4", DccError::MissingPort),
            ("SEND f 4294967296 1", DccError::InvalidAddress),
            ("SEND f host.example 1", DccError::InvalidAddress),
            ("SEND f 1.2.3.4 -1", DccError::InvalidPort),
            ("SEND f 1.2.3.4 65536", DccError::InvalidPort),
            ("SEND f 1.2.3.4 1 big", DccError::InvalidSize),
            ("CHAT", DccError::MissingArgument),
            ("CHAT chat", DccError::MissingAddress),
            ("CHAT chat ::1", DccError::MissingPort),
        ];
        for (params, err) in cases {
            assert_eq!(Dcc::parse(params), Err(err), "{params:?}");
        }
        assert_eq!(
            decode("\x01PING x\x01").unwrap().dcc(),
            Err(DccError::NotDcc)
        );
    }

    #[test]
    fn kind_names_roundtrip() {
        for kind in [
            CtcpKind::Action,
            CtcpKind::Version,
            CtcpKind::Ping,
            CtcpKind::Time,
            CtcpKind::ClientInfo,
            CtcpKind::Source,
            CtcpKind::UserInfo,
            CtcpKind::Finger,
            CtcpKind::Dcc,
        ] {
            let name = kind.name().unwrap();
            assert_eq!(CtcpKind::from_command(&name.to_ascii_lowercase()), kind);
        }
        assert_eq!(CtcpKind::Other.name(), None);
    }
}
