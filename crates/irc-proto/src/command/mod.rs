//! Typed commands: every client command of RFC 1459 and RFC 2812, the IRCv3
//! ones (`CAP`, `AUTHENTICATE`, `ACCOUNT`, `CHGHOST`, `SETNAME`, `TAGMSG`,
//! `BATCH`), and [`Command::Raw`] for any other verb.
//!
//! # Building
//!
//! Each command has constructors taking its logical arguments, the Rust form
//! of Python bottom's `send("privmsg", target=.., message=..)`. They check
//! every argument and return a [`CommandError`] rather than build something
//! that could break the line: no CR, LF or NUL anywhere; parameters that are
//! not last (targets, channels, nicks, modes) are non-empty, without spaces
//! and without a leading `:`; list elements hold no comma. Text arguments
//! (a message, a reason, a topic, a real name) are written last and may hold
//! spaces. Nothing is cut to length here: [`MessageBuf::pack_cut_into`] and
//! the splitting helpers deal with the 512-byte limit.
//!
//! ```
//! use irc_proto::{Command, MessageBuf};
//!
//! let cmd = Command::privmsg("#rust", "hello, world")?;
//! assert_eq!(MessageBuf::from(cmd).pack().unwrap(), "PRIVMSG #rust :hello, world");
//!
//! let join = Command::join_with_keys(&[("#public", None), ("#secret", Some("hunter2"))])?;
//! assert_eq!(join.to_message().pack().unwrap(), "JOIN #secret,#public hunter2");
//!
//! assert!(Command::kick("#rust", "spam bot", None).is_err()); // a space in a nick
//! assert!(Command::privmsg("#rust", "hi\r\nQUIT").is_err()); // a second line
//! # Ok::<(), irc_proto::CommandError>(())
//! ```
//!
//! # Reading
//!
//! [`Command::try_from`] a [`Message`] or [`MessageBuf`] matches the verb
//! ignoring ASCII case and reads the parameters through the same checks, so a
//! command read from the wire packs again as it was. A verb it does not know,
//! numerics included, becomes [`Command::Raw`]. A known verb whose parameters
//! do not fit (too few, or a value the command cannot hold) is a
//! [`CommandError`], not a `Raw`: the message is still there to read by hand.
//! Parameters beyond those a command defines are ignored.
//!
//! ```
//! use irc_proto::{Command, Message};
//!
//! let msg = Message::parse(":dan!d@host PRIVMSG #rust :hi all").unwrap();
//! match Command::try_from(&msg)? {
//!     Command::Privmsg { target, text, .. } => assert_eq!((target.as_str(), text.as_str()), ("#rust", "hi all")),
//!     other => panic!("{other:?}"),
//! }
//! let num = Message::parse(":srv 001 dan :Welcome").unwrap();
//! assert_eq!(Command::try_from(&num)?.verb(), "001");
//! # Ok::<(), irc_proto::CommandError>(())
//! ```
//!
//! The variants are `#[non_exhaustive]`: outside this crate they are read with
//! `..` patterns and built only through the constructors, so every command
//! holds checked values. Their fields stay public to read; a field changed by
//! hand is checked again by the packer, which refuses rather than writes a
//! broken line.

mod build;
mod check;
mod error;
mod read;
mod write;

pub use error::{CommandError, CommandErrorKind};

use crate::message::{Message, MessageBuf};

/// A CAP subcommand (IRCv3 capability negotiation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapSubcommand {
    /// `LS`: list the capabilities the server offers.
    Ls,
    /// `LIST`: list the capabilities enabled on this connection.
    List,
    /// `REQ`: ask for capabilities.
    Req,
    /// `ACK`: the server grants a request.
    Ack,
    /// `NAK`: the server refuses a request.
    Nak,
    /// `END`: end negotiation, go on with registration.
    End,
    /// `NEW`: the server offers new capabilities (cap-notify).
    New,
    /// `DEL`: the server withdraws capabilities (cap-notify).
    Del,
}

impl CapSubcommand {
    /// Every subcommand.
    pub const ALL: [Self; 8] = [
        Self::Ls,
        Self::List,
        Self::Req,
        Self::Ack,
        Self::Nak,
        Self::End,
        Self::New,
        Self::Del,
    ];

    /// The subcommand as on the wire, upper case.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ls => "LS",
            Self::List => "LIST",
            Self::Req => "REQ",
            Self::Ack => "ACK",
            Self::Nak => "NAK",
            Self::End => "END",
            Self::New => "NEW",
            Self::Del => "DEL",
        }
    }

    /// The subcommand named `s`, ignoring ASCII case.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|sub| sub.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether the subcommand carries a capability list even when it is empty.
    const fn takes_caps(self) -> bool {
        matches!(
            self,
            Self::Req | Self::Ack | Self::Nak | Self::New | Self::Del
        )
    }
}

/// An IRC command with typed arguments.
///
/// Build one with the constructors ([`Command::privmsg`], [`Command::join`],
/// ...), send it as a [`MessageBuf`] (`MessageBuf::from(cmd)` or
/// [`Command::to_message`]), read one with `Command::try_from(&message)`.
/// Each variant's documentation gives its wire form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    /// `PASS <password>`: the connection password, sent before `NICK`/`USER`.
    #[non_exhaustive]
    Pass {
        /// The password (last parameter: may hold spaces).
        password: String,
    },
    /// `NICK <nick>`: set or change the nickname.
    #[non_exhaustive]
    Nick {
        /// The nickname.
        nick: String,
    },
    /// `USER <user> <mode> * :<realname>`: register the connection.
    #[non_exhaustive]
    User {
        /// The user name (ident).
        user: String,
        /// The RFC 2812 mode bit mask, `0` by default (RFC 1459 put a host
        /// name here; it is read as it is).
        mode: String,
        /// The real name.
        realname: String,
    },
    /// `OPER <name> <password>`: become an IRC operator.
    #[non_exhaustive]
    Oper {
        /// The operator name.
        name: String,
        /// The password (last parameter).
        password: String,
    },
    /// `MODE <target> [<modes> [<args>...]]`: user or channel modes.
    #[non_exhaustive]
    Mode {
        /// A nick (user modes) or a channel.
        target: String,
        /// The mode string (`+o`, `-i+w`); none to query.
        modes: Option<String>,
        /// The mode arguments, each its own parameter.
        args: Vec<String>,
    },
    /// `SERVICE <nick> * <distribution> <type> 0 :<info>`: register a service.
    #[non_exhaustive]
    Service {
        /// The service name.
        nick: String,
        /// Where the service is visible (a server mask).
        distribution: String,
        /// The service type.
        kind: String,
        /// A description.
        info: String,
    },
    /// `QUIT [:<reason>]`: leave the network.
    #[non_exhaustive]
    Quit {
        /// Why.
        reason: Option<String>,
    },
    /// `SQUIT <server> [:<comment>]`: disconnect a server link (operators).
    #[non_exhaustive]
    Squit {
        /// The server.
        server: String,
        /// Why.
        comment: Option<String>,
    },
    /// `JOIN <channels> [<keys>]`, and the extended-join form a server sends,
    /// `JOIN <channel> <account> :<realname>`.
    #[non_exhaustive]
    Join {
        /// The channels (comma-joined on the wire); `0` leaves every channel.
        channels: Vec<String>,
        /// The keys of the first channels, in order.
        keys: Vec<String>,
        /// extended-join: the account of the joining user, `None` when not
        /// logged in (`*`) or not extended.
        account: Option<String>,
        /// extended-join: the real name of the joining user; `Some` only for
        /// the extended form.
        realname: Option<String>,
    },
    /// `PART <channels> [:<reason>]`: leave channels.
    #[non_exhaustive]
    Part {
        /// The channels.
        channels: Vec<String>,
        /// Why.
        reason: Option<String>,
    },
    /// `TOPIC <channel> [:<topic>]`: read, set, or (empty) clear a topic.
    #[non_exhaustive]
    Topic {
        /// The channel.
        channel: String,
        /// The new topic; none to ask, empty to clear.
        topic: Option<String>,
    },
    /// `NAMES [<channels> [<target>]]`: list the members of channels.
    #[non_exhaustive]
    Names {
        /// The channels; none for all.
        channels: Vec<String>,
        /// The server to ask.
        target: Option<String>,
    },
    /// `LIST [<channels> [<target>]]`: list channels and their topics.
    #[non_exhaustive]
    List {
        /// The channels (or ELIST conditions); none for all.
        channels: Vec<String>,
        /// The server to ask.
        target: Option<String>,
    },
    /// `INVITE <nick> <channel>`.
    #[non_exhaustive]
    Invite {
        /// Who.
        nick: String,
        /// Where to.
        channel: String,
    },
    /// `KICK <channels> <nicks> [:<reason>]`: one channel and any number of
    /// nicks, or as many channels as nicks.
    #[non_exhaustive]
    Kick {
        /// The channels.
        channels: Vec<String>,
        /// The nicks to kick.
        nicks: Vec<String>,
        /// Why.
        reason: Option<String>,
    },
    /// `PRIVMSG <target> :<text>`.
    #[non_exhaustive]
    Privmsg {
        /// A nick, a channel, or a comma list of them.
        target: String,
        /// The message.
        text: String,
    },
    /// `NOTICE <target> :<text>`: a message no automatic reply may answer.
    #[non_exhaustive]
    Notice {
        /// A nick, a channel, or a comma list of them.
        target: String,
        /// The message.
        text: String,
    },
    /// `MOTD [<target>]`: the message of the day.
    #[non_exhaustive]
    Motd {
        /// The server to ask.
        target: Option<String>,
    },
    /// `LUSERS [<mask> [<target>]]`: network size statistics.
    #[non_exhaustive]
    Lusers {
        /// Count only the servers matching this mask.
        mask: Option<String>,
        /// The server to ask.
        target: Option<String>,
    },
    /// `VERSION [<target>]`.
    #[non_exhaustive]
    Version {
        /// The server to ask.
        target: Option<String>,
    },
    /// `STATS [<query> [<target>]]`.
    #[non_exhaustive]
    Stats {
        /// The statistics letter (`m`, `u`, ...).
        query: Option<String>,
        /// The server to ask.
        target: Option<String>,
    },
    /// `LINKS [[<remote>] <mask>]`: the servers the network knows.
    #[non_exhaustive]
    Links {
        /// The server to forward the query to.
        remote: Option<String>,
        /// List only the servers matching this mask.
        mask: Option<String>,
    },
    /// `TIME [<target>]`: the local time of a server.
    #[non_exhaustive]
    Time {
        /// The server to ask.
        target: Option<String>,
    },
    /// `CONNECT <target> <port> [<remote>]`: link a server (operators).
    #[non_exhaustive]
    Connect {
        /// The server to connect.
        target: String,
        /// Its port.
        port: u16,
        /// The server that should connect it.
        remote: Option<String>,
    },
    /// `TRACE [<target>]`: the route to a server or user.
    #[non_exhaustive]
    Trace {
        /// The server or nick.
        target: Option<String>,
    },
    /// `ADMIN [<target>]`: who administers a server.
    #[non_exhaustive]
    Admin {
        /// The server to ask.
        target: Option<String>,
    },
    /// `INFO [<target>]`: information about a server.
    #[non_exhaustive]
    Info {
        /// The server to ask.
        target: Option<String>,
    },
    /// `SERVLIST [<mask> [<type>]]`: the services of the network.
    #[non_exhaustive]
    Servlist {
        /// List only the services matching this mask.
        mask: Option<String>,
        /// List only the services of this type.
        kind: Option<String>,
    },
    /// `SQUERY <target> :<text>`: a message to a service.
    #[non_exhaustive]
    Squery {
        /// The service.
        target: String,
        /// The message.
        text: String,
    },
    /// `WHO [<mask> [o]]`.
    #[non_exhaustive]
    Who {
        /// A channel or a mask.
        mask: Option<String>,
        /// `o`: operators only.
        operators_only: bool,
    },
    /// `WHOIS [<target>] <masks>`.
    #[non_exhaustive]
    Whois {
        /// The server to ask (often the nick again, for the idle time).
        target: Option<String>,
        /// The nicks or masks.
        masks: Vec<String>,
    },
    /// `WHOWAS <nicks> [<count> [<target>]]`.
    #[non_exhaustive]
    Whowas {
        /// The nicks.
        nicks: Vec<String>,
        /// How many entries at most.
        count: Option<u32>,
        /// The server to ask.
        target: Option<String>,
    },
    /// `KILL <nick> :<comment>`: disconnect a user (operators).
    #[non_exhaustive]
    Kill {
        /// Who.
        nick: String,
        /// Why.
        comment: String,
    },
    /// `PING <token> [<server>]`.
    #[non_exhaustive]
    Ping {
        /// The token the answer echoes (a server name in RFC 2812).
        token: String,
        /// The server to forward the ping to.
        server: Option<String>,
    },
    /// `PONG [<server>] <token>`: the answer to a PING.
    #[non_exhaustive]
    Pong {
        /// The server answering.
        server: Option<String>,
        /// The token of the PING.
        token: String,
    },
    /// `ERROR :<message>`: the server closes the link.
    #[non_exhaustive]
    Error {
        /// Why.
        message: String,
    },
    /// `AWAY [:<message>]`: set (with a message) or clear the away status.
    #[non_exhaustive]
    Away {
        /// The away message.
        message: Option<String>,
    },
    /// `REHASH`: reload the server configuration (operators).
    Rehash,
    /// `DIE`: shut the server down (operators).
    Die,
    /// `RESTART`: restart the server (operators).
    Restart,
    /// `SUMMON <user> [<target> [<channel>]]`: ask a user on a server host to
    /// come to IRC.
    #[non_exhaustive]
    Summon {
        /// The user (a login on the server host).
        user: String,
        /// The server.
        target: Option<String>,
        /// The channel to come to.
        channel: Option<String>,
    },
    /// `USERS [<target>]`: the users logged in on a server host.
    #[non_exhaustive]
    Users {
        /// The server to ask.
        target: Option<String>,
    },
    /// `WALLOPS :<text>`: a message to every user with mode `w`.
    #[non_exhaustive]
    Wallops {
        /// The message.
        text: String,
    },
    /// `USERHOST <nick> [<nick>...]`: user and host of up to five nicks.
    #[non_exhaustive]
    Userhost {
        /// The nicks, each its own parameter.
        nicks: Vec<String>,
    },
    /// `ISON <nick> [<nick>...]`: which of these nicks are online.
    #[non_exhaustive]
    Ison {
        /// The nicks, each its own parameter.
        nicks: Vec<String>,
    },
    /// `CAP [<target>] <subcommand> [*] [<version> | :<caps>]`: IRCv3
    /// capability negotiation, from the client (no target) or the server.
    #[non_exhaustive]
    Cap {
        /// The nick (or `*` before registration) a server addresses.
        target: Option<String>,
        /// What is asked or answered.
        subcommand: CapSubcommand,
        /// `*` before the list: more lines of this list follow.
        more: bool,
        /// `CAP LS 302`: the negotiation version the client speaks.
        version: Option<u16>,
        /// The capabilities (`sasl`, `-away-notify`, `sasl=PLAIN,EXTERNAL`).
        caps: Vec<String>,
    },
    /// `AUTHENTICATE <data>`: a SASL step (a mechanism name, base64 data,
    /// `+` for empty, `*` to abort).
    #[non_exhaustive]
    Authenticate {
        /// The mechanism or the data.
        data: String,
    },
    /// `ACCOUNT <account>`: a user logged in (or out, `*`) (account-notify).
    #[non_exhaustive]
    Account {
        /// The account; `None` for logged out.
        account: Option<String>,
    },
    /// `CHGHOST <user> <host>`: a user's user name or host changed.
    #[non_exhaustive]
    Chghost {
        /// The new user name.
        user: String,
        /// The new host.
        host: String,
    },
    /// `SETNAME :<realname>`: change the real name.
    #[non_exhaustive]
    Setname {
        /// The new real name.
        realname: String,
    },
    /// `TAGMSG <target>`: a message made only of tags (add them to the
    /// [`MessageBuf`]).
    #[non_exhaustive]
    Tagmsg {
        /// A nick or a channel.
        target: String,
    },
    /// `BATCH +<reference> <type> [<params>...]` or `BATCH -<reference>`.
    #[non_exhaustive]
    Batch {
        /// The reference, without its `+` or `-`.
        reference: String,
        /// Whether this opens the batch (`+`) rather than closes it (`-`).
        open: bool,
        /// The batch type (`netsplit`, `chathistory`, ...), when opening.
        kind: Option<String>,
        /// The parameters of the type, when opening.
        params: Vec<String>,
    },
    /// Any other verb, numerics included, with its parameters as they are.
    #[non_exhaustive]
    Raw {
        /// The verb, case as given.
        verb: String,
        /// The parameters; only the last may hold spaces.
        params: Vec<String>,
    },
}

impl Command {
    /// The verb, upper case (a [`Command::Raw`]'s as given).
    ///
    /// ```
    /// use irc_proto::Command;
    /// assert_eq!(Command::quit(None)?.verb(), "QUIT");
    /// assert_eq!(Command::raw("KNOCK", &["#c"])?.verb(), "KNOCK");
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    #[must_use]
    pub fn verb(&self) -> &str {
        match self {
            Self::Pass { .. } => "PASS",
            Self::Nick { .. } => "NICK",
            Self::User { .. } => "USER",
            Self::Oper { .. } => "OPER",
            Self::Mode { .. } => "MODE",
            Self::Service { .. } => "SERVICE",
            Self::Quit { .. } => "QUIT",
            Self::Squit { .. } => "SQUIT",
            Self::Join { .. } => "JOIN",
            Self::Part { .. } => "PART",
            Self::Topic { .. } => "TOPIC",
            Self::Names { .. } => "NAMES",
            Self::List { .. } => "LIST",
            Self::Invite { .. } => "INVITE",
            Self::Kick { .. } => "KICK",
            Self::Privmsg { .. } => "PRIVMSG",
            Self::Notice { .. } => "NOTICE",
            Self::Motd { .. } => "MOTD",
            Self::Lusers { .. } => "LUSERS",
            Self::Version { .. } => "VERSION",
            Self::Stats { .. } => "STATS",
            Self::Links { .. } => "LINKS",
            Self::Time { .. } => "TIME",
            Self::Connect { .. } => "CONNECT",
            Self::Trace { .. } => "TRACE",
            Self::Admin { .. } => "ADMIN",
            Self::Info { .. } => "INFO",
            Self::Servlist { .. } => "SERVLIST",
            Self::Squery { .. } => "SQUERY",
            Self::Who { .. } => "WHO",
            Self::Whois { .. } => "WHOIS",
            Self::Whowas { .. } => "WHOWAS",
            Self::Kill { .. } => "KILL",
            Self::Ping { .. } => "PING",
            Self::Pong { .. } => "PONG",
            Self::Error { .. } => "ERROR",
            Self::Away { .. } => "AWAY",
            Self::Rehash => "REHASH",
            Self::Die => "DIE",
            Self::Restart => "RESTART",
            Self::Summon { .. } => "SUMMON",
            Self::Users { .. } => "USERS",
            Self::Wallops { .. } => "WALLOPS",
            Self::Userhost { .. } => "USERHOST",
            Self::Ison { .. } => "ISON",
            Self::Cap { .. } => "CAP",
            Self::Authenticate { .. } => "AUTHENTICATE",
            Self::Account { .. } => "ACCOUNT",
            Self::Chghost { .. } => "CHGHOST",
            Self::Setname { .. } => "SETNAME",
            Self::Tagmsg { .. } => "TAGMSG",
            Self::Batch { .. } => "BATCH",
            Self::Raw { verb, .. } => verb,
        }
    }

    /// The message to send: this command with no tags and no source (add
    /// them with [`MessageBuf::with_tag`] and friends).
    #[must_use]
    pub fn to_message(&self) -> MessageBuf {
        MessageBuf {
            command: self.verb().to_owned(),
            params: self.params(),
            ..MessageBuf::default()
        }
    }
}

impl From<Command> for MessageBuf {
    fn from(cmd: Command) -> Self {
        cmd.to_message()
    }
}

impl From<&Command> for MessageBuf {
    fn from(cmd: &Command) -> Self {
        cmd.to_message()
    }
}

impl TryFrom<&Message<'_>> for Command {
    type Error = CommandError;

    /// Reads a parsed message; see the [module docs](self) for the rules.
    fn try_from(msg: &Message<'_>) -> Result<Self, CommandError> {
        let params = msg.params().to_vec();
        Self::from_parts(msg.command(), &params)
    }
}

impl TryFrom<Message<'_>> for Command {
    type Error = CommandError;

    fn try_from(msg: Message<'_>) -> Result<Self, CommandError> {
        Self::try_from(&msg)
    }
}

impl TryFrom<&MessageBuf> for Command {
    type Error = CommandError;

    /// Reads an owned message; see the [module docs](self) for the rules.
    fn try_from(msg: &MessageBuf) -> Result<Self, CommandError> {
        let params: Vec<&str> = msg.params.iter().map(String::as_str).collect();
        Self::from_parts(&msg.command, &params)
    }
}
