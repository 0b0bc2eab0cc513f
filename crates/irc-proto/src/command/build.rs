//! The constructors: one or more per command, each checking its arguments.
//!
//! Naming follows the logical arguments of bottom's `send` table: a scalar is
//! `&str`, an optional one `Option<&str>`, a list `&[&str]` (or any slice of
//! string-likes); text arguments are last on the wire and may hold spaces.

use super::check::Check;
use super::error::{CommandError, CommandErrorKind as Kind};
use super::{CapSubcommand, Command};

type Result<T> = std::result::Result<T, CommandError>;

const fn check(verb: &'static str) -> Check {
    Check { verb }
}

/// Connection registration and the connection itself.
impl Command {
    /// `PASS <password>`.
    ///
    /// # Errors
    ///
    /// An empty password, or one holding CR, LF or NUL.
    pub fn pass(password: &str) -> Result<Self> {
        Ok(Self::Pass {
            password: check("PASS").full_text("password", password)?,
        })
    }

    /// `NICK <nick>`.
    ///
    /// # Errors
    ///
    /// A nick that is not a word (see the [module docs](super)).
    pub fn nick(nick: &str) -> Result<Self> {
        Ok(Self::Nick {
            nick: check("NICK").word("nick", nick)?,
        })
    }

    /// `USER <user> 0 * :<realname>`, the usual registration.
    ///
    /// ```
    /// use irc_proto::Command;
    /// let user = Command::user("bot", "A friendly bot")?;
    /// assert_eq!(user.to_message().pack().unwrap(), "USER bot 0 * :A friendly bot");
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A user that is not a word, an empty real name, CR, LF or NUL.
    pub fn user(user: &str, realname: &str) -> Result<Self> {
        Self::user_with_mode(user, "0", realname)
    }

    /// `USER <user> <mode> * :<realname>` with an RFC 2812 mode mask (`8`
    /// for invisible).
    ///
    /// # Errors
    ///
    /// As [`Command::user`], and a mode that is not a word.
    pub fn user_with_mode(user: &str, mode: &str, realname: &str) -> Result<Self> {
        let c = check("USER");
        Ok(Self::User {
            user: c.word("user", user)?,
            mode: c.word("mode", mode)?,
            realname: c.full_text("realname", realname)?,
        })
    }

    /// `OPER <name> <password>`.
    ///
    /// # Errors
    ///
    /// A name that is not a word, an empty password, CR, LF or NUL.
    pub fn oper(name: &str, password: &str) -> Result<Self> {
        let c = check("OPER");
        Ok(Self::Oper {
            name: c.word("name", name)?,
            password: c.full_text("password", password)?,
        })
    }

    /// `SERVICE <nick> * <distribution> <type> 0 :<info>`.
    ///
    /// # Errors
    ///
    /// A nick, distribution or type that is not a word; CR, LF or NUL.
    pub fn service(nick: &str, distribution: &str, kind: &str, info: &str) -> Result<Self> {
        let c = check("SERVICE");
        Ok(Self::Service {
            nick: c.word("nick", nick)?,
            distribution: c.word("distribution", distribution)?,
            kind: c.word("kind", kind)?,
            info: c.text("info", info)?,
        })
    }

    /// `QUIT [:<reason>]`.
    ///
    /// # Errors
    ///
    /// CR, LF or NUL in the reason.
    pub fn quit(reason: Option<&str>) -> Result<Self> {
        Ok(Self::Quit {
            reason: check("QUIT").opt_text("reason", reason)?,
        })
    }

    /// `SQUIT <server> [:<comment>]`.
    ///
    /// # Errors
    ///
    /// A server that is not a word; CR, LF or NUL in the comment.
    pub fn squit(server: &str, comment: Option<&str>) -> Result<Self> {
        let c = check("SQUIT");
        Ok(Self::Squit {
            server: c.word("server", server)?,
            comment: c.opt_text("comment", comment)?,
        })
    }

    /// `PING <token>`. The token is the last parameter: it may hold spaces,
    /// or be empty, as some servers send it.
    ///
    /// # Errors
    ///
    /// CR, LF or NUL in the token.
    pub fn ping(token: &str) -> Result<Self> {
        Ok(Self::Ping {
            token: check("PING").text("token", token)?,
            server: None,
        })
    }

    /// `PING <token> <server>`: a ping forwarded to `server`.
    ///
    /// # Errors
    ///
    /// A token or server that is not a word.
    pub fn ping_via(token: &str, server: &str) -> Result<Self> {
        let c = check("PING");
        Ok(Self::Ping {
            token: c.word("token", token)?,
            server: Some(c.word("server", server)?),
        })
    }

    /// `PONG <token>`: the answer to `PING <token>`.
    ///
    /// ```
    /// use irc_proto::Command;
    /// assert_eq!(Command::pong("LAG 123")?.to_message().pack().unwrap(), "PONG :LAG 123");
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    ///
    /// The token is echoed as it came, spaces or emptiness included.
    ///
    /// # Errors
    ///
    /// CR, LF or NUL in the token.
    pub fn pong(token: &str) -> Result<Self> {
        Ok(Self::Pong {
            server: None,
            token: check("PONG").text("token", token)?,
        })
    }

    /// `PONG <server> <token>`, the form servers answer with.
    ///
    /// # Errors
    ///
    /// A server that is not a word; CR, LF or NUL in the token.
    pub fn pong_from(server: &str, token: &str) -> Result<Self> {
        let c = check("PONG");
        Ok(Self::Pong {
            server: Some(c.word("server", server)?),
            token: c.text("token", token)?,
        })
    }

    /// `ERROR :<message>`.
    ///
    /// # Errors
    ///
    /// CR, LF or NUL in the message.
    pub fn error(message: &str) -> Result<Self> {
        Ok(Self::Error {
            message: check("ERROR").text("message", message)?,
        })
    }

    /// `AWAY :<message>` to go away, `AWAY` (`None`) to come back.
    ///
    /// # Errors
    ///
    /// CR, LF or NUL in the message.
    pub fn away(message: Option<&str>) -> Result<Self> {
        Ok(Self::Away {
            message: check("AWAY").opt_text("message", message)?,
        })
    }
}

/// Channels and modes.
impl Command {
    /// `JOIN <channels>`.
    ///
    /// # Errors
    ///
    /// No channel, or a channel that is not a comma-free word.
    pub fn join<S: AsRef<str>>(channels: &[S]) -> Result<Self> {
        Ok(Self::Join {
            channels: check("JOIN").some_items("channels", channels)?,
            keys: Vec::new(),
            account: None,
            realname: None,
        })
    }

    /// `JOIN <channels> <keys>`: channels with their keys. The channels with
    /// a key are put first, as the wire form pairs keys with the first
    /// channels.
    ///
    /// ```
    /// use irc_proto::Command;
    /// let join = Command::join_with_keys(&[("#a", None), ("#b", Some("kb")), ("#c", Some("kc"))])?;
    /// assert_eq!(join.to_message().pack().unwrap(), "JOIN #b,#c,#a kb,kc");
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// No channel, or a channel or key that is not a comma-free word.
    pub fn join_with_keys(channels_with_keys: &[(&str, Option<&str>)]) -> Result<Self> {
        let c = check("JOIN");
        if channels_with_keys.is_empty() {
            return Err(c.err("channels", Kind::Empty));
        }
        let keyed = channels_with_keys.iter().filter(|(_, k)| k.is_some());
        let unkeyed = channels_with_keys.iter().filter(|(_, k)| k.is_none());
        let mut channels = Vec::with_capacity(channels_with_keys.len());
        let mut keys = Vec::new();
        for (channel, key) in keyed.chain(unkeyed) {
            channels.push(c.item("channels", channel)?);
            if let Some(key) = key {
                keys.push(c.item("keys", key)?);
            }
        }
        Ok(Self::Join {
            channels,
            keys,
            account: None,
            realname: None,
        })
    }

    /// `JOIN <channel> <account> :<realname>`: the extended-join form a
    /// server sends (`*` for no account).
    ///
    /// # Errors
    ///
    /// A channel or account that is not a word; CR, LF or NUL.
    pub fn join_extended(channel: &str, account: Option<&str>, realname: &str) -> Result<Self> {
        let c = check("JOIN");
        Ok(Self::Join {
            channels: vec![c.item("channels", channel)?],
            keys: Vec::new(),
            account: c.opt_word("account", account.filter(|a| *a != "*"))?,
            realname: Some(c.text("realname", realname)?),
        })
    }

    /// `JOIN 0`: leave every channel.
    #[must_use]
    pub fn part_all() -> Self {
        Self::Join {
            channels: vec!["0".to_owned()],
            keys: Vec::new(),
            account: None,
            realname: None,
        }
    }

    /// `PART <channels> [:<reason>]`.
    ///
    /// # Errors
    ///
    /// No channel, a channel that is not a comma-free word; CR, LF or NUL.
    pub fn part<S: AsRef<str>>(channels: &[S], reason: Option<&str>) -> Result<Self> {
        let c = check("PART");
        Ok(Self::Part {
            channels: c.some_items("channels", channels)?,
            reason: c.opt_text("reason", reason)?,
        })
    }

    /// `MODE <target> [<modes> [<args>...]]`, user or channel modes.
    ///
    /// # Errors
    ///
    /// A target, mode string or argument that is not a word; arguments
    /// without a mode string.
    pub fn mode<S: AsRef<str>>(target: &str, modes: Option<&str>, args: &[S]) -> Result<Self> {
        let c = check("MODE");
        let args = c.words("args", args)?;
        c.requires(("args", args.first()), ("modes", modes))?;
        Ok(Self::Mode {
            target: c.word("target", target)?,
            modes: c.opt_word("modes", modes)?,
            args,
        })
    }

    /// `MODE <nick> [<modes>]`: read or change user modes (bottom's
    /// `USERMODE`).
    ///
    /// # Errors
    ///
    /// A nick or mode string that is not a word.
    pub fn user_mode(nick: &str, modes: Option<&str>) -> Result<Self> {
        Self::mode::<&str>(nick, modes, &[])
    }

    /// `MODE <channel> <modes> [<args>...]`: change channel modes (bottom's
    /// `CHANNELMODE`).
    ///
    /// ```
    /// use irc_proto::Command;
    /// let op = Command::channel_mode("#rust", "+ov", &["alice", "bob"])?;
    /// assert_eq!(op.to_message().pack().unwrap(), "MODE #rust +ov alice bob");
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A channel, mode string or argument that is not a word.
    pub fn channel_mode<S: AsRef<str>>(channel: &str, modes: &str, args: &[S]) -> Result<Self> {
        Self::mode(channel, Some(modes), args)
    }

    /// `TOPIC <channel>` (`None`: ask) or `TOPIC <channel> :<topic>` (an
    /// empty topic clears it).
    ///
    /// # Errors
    ///
    /// A channel that is not a word; CR, LF or NUL in the topic.
    pub fn topic(channel: &str, topic: Option<&str>) -> Result<Self> {
        let c = check("TOPIC");
        Ok(Self::Topic {
            channel: c.word("channel", channel)?,
            topic: c.opt_text("topic", topic)?,
        })
    }

    /// `NAMES [<channels> [<target>]]`.
    ///
    /// # Errors
    ///
    /// A channel that is not a comma-free word, a target that is not a word,
    /// a target without channels.
    pub fn names<S: AsRef<str>>(channels: &[S], target: Option<&str>) -> Result<Self> {
        let c = check("NAMES");
        let channels = c.items("channels", channels)?;
        c.requires(("target", target), ("channels", channels.first()))?;
        Ok(Self::Names {
            channels,
            target: c.opt_word("target", target)?,
        })
    }

    /// `LIST [<channels> [<target>]]`.
    ///
    /// # Errors
    ///
    /// As [`Command::names`].
    pub fn list<S: AsRef<str>>(channels: &[S], target: Option<&str>) -> Result<Self> {
        let c = check("LIST");
        let channels = c.items("channels", channels)?;
        c.requires(("target", target), ("channels", channels.first()))?;
        Ok(Self::List {
            channels,
            target: c.opt_word("target", target)?,
        })
    }

    /// `INVITE <nick> <channel>`.
    ///
    /// # Errors
    ///
    /// A nick or channel that is not a word.
    pub fn invite(nick: &str, channel: &str) -> Result<Self> {
        let c = check("INVITE");
        Ok(Self::Invite {
            nick: c.word("nick", nick)?,
            channel: c.word("channel", channel)?,
        })
    }

    /// `KICK <channel> <nick> [:<reason>]`.
    ///
    /// # Errors
    ///
    /// A channel or nick that is not a comma-free word; CR, LF or NUL.
    pub fn kick(channel: &str, nick: &str, reason: Option<&str>) -> Result<Self> {
        let c = check("KICK");
        c.item("channel", channel)?;
        c.item("nick", nick)?;
        Self::kick_many(&[channel], &[nick], reason)
    }

    /// `KICK <channels> <nicks> [:<reason>]`: one channel and several nicks,
    /// or as many channels as nicks, paired in order.
    ///
    /// # Errors
    ///
    /// As [`Command::kick`], plus empty lists and lists that do not pair up.
    pub fn kick_many<S: AsRef<str>, T: AsRef<str>>(
        channels: &[S],
        nicks: &[T],
        reason: Option<&str>,
    ) -> Result<Self> {
        let c = check("KICK");
        let channels = c.some_items("channels", channels)?;
        let nicks = c.some_items("nicks", nicks)?;
        if channels.len() != 1 && channels.len() != nicks.len() {
            return Err(c.err("nicks", Kind::CountMismatch));
        }
        Ok(Self::Kick {
            channels,
            nicks,
            reason: c.opt_text("reason", reason)?,
        })
    }
}

/// Messages.
impl Command {
    /// `PRIVMSG <target> :<text>`.
    ///
    /// # Errors
    ///
    /// A target that is not a word; CR, LF or NUL in the text.
    pub fn privmsg(target: &str, text: &str) -> Result<Self> {
        let c = check("PRIVMSG");
        Ok(Self::Privmsg {
            target: c.word("target", target)?,
            text: c.text("text", text)?,
        })
    }

    /// `NOTICE <target> :<text>`.
    ///
    /// # Errors
    ///
    /// As [`Command::privmsg`].
    pub fn notice(target: &str, text: &str) -> Result<Self> {
        let c = check("NOTICE");
        Ok(Self::Notice {
            target: c.word("target", target)?,
            text: c.text("text", text)?,
        })
    }

    /// `SQUERY <target> :<text>`: a message to a service.
    ///
    /// # Errors
    ///
    /// As [`Command::privmsg`].
    pub fn squery(target: &str, text: &str) -> Result<Self> {
        let c = check("SQUERY");
        Ok(Self::Squery {
            target: c.word("target", target)?,
            text: c.text("text", text)?,
        })
    }

    /// `WALLOPS :<text>`.
    ///
    /// # Errors
    ///
    /// CR, LF or NUL in the text.
    pub fn wallops(text: &str) -> Result<Self> {
        Ok(Self::Wallops {
            text: check("WALLOPS").text("text", text)?,
        })
    }
}

/// Server queries and operator commands.
impl Command {
    /// `MOTD [<target>]`.
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn motd(target: Option<&str>) -> Result<Self> {
        Ok(Self::Motd {
            target: check("MOTD").opt_word("target", target)?,
        })
    }

    /// `LUSERS [<mask> [<target>]]`.
    ///
    /// # Errors
    ///
    /// A mask or target that is not a word; a target without a mask.
    pub fn lusers(mask: Option<&str>, target: Option<&str>) -> Result<Self> {
        let c = check("LUSERS");
        c.requires(("target", target), ("mask", mask))?;
        Ok(Self::Lusers {
            mask: c.opt_word("mask", mask)?,
            target: c.opt_word("target", target)?,
        })
    }

    /// `VERSION [<target>]`.
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn version(target: Option<&str>) -> Result<Self> {
        Ok(Self::Version {
            target: check("VERSION").opt_word("target", target)?,
        })
    }

    /// `STATS [<query> [<target>]]`.
    ///
    /// # Errors
    ///
    /// A query or target that is not a word; a target without a query.
    pub fn stats(query: Option<&str>, target: Option<&str>) -> Result<Self> {
        let c = check("STATS");
        c.requires(("target", target), ("query", query))?;
        Ok(Self::Stats {
            query: c.opt_word("query", query)?,
            target: c.opt_word("target", target)?,
        })
    }

    /// `LINKS [[<remote>] <mask>]`.
    ///
    /// # Errors
    ///
    /// A remote or mask that is not a word; a remote without a mask.
    pub fn links(remote: Option<&str>, mask: Option<&str>) -> Result<Self> {
        let c = check("LINKS");
        c.requires(("remote", remote), ("mask", mask))?;
        Ok(Self::Links {
            remote: c.opt_word("remote", remote)?,
            mask: c.opt_word("mask", mask)?,
        })
    }

    /// `TIME [<target>]`.
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn time(target: Option<&str>) -> Result<Self> {
        Ok(Self::Time {
            target: check("TIME").opt_word("target", target)?,
        })
    }

    /// `CONNECT <target> <port> [<remote>]`.
    ///
    /// # Errors
    ///
    /// A target or remote that is not a word.
    pub fn connect(target: &str, port: u16, remote: Option<&str>) -> Result<Self> {
        let c = check("CONNECT");
        Ok(Self::Connect {
            target: c.word("target", target)?,
            port,
            remote: c.opt_word("remote", remote)?,
        })
    }

    /// `TRACE [<target>]`.
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn trace(target: Option<&str>) -> Result<Self> {
        Ok(Self::Trace {
            target: check("TRACE").opt_word("target", target)?,
        })
    }

    /// `ADMIN [<target>]`.
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn admin(target: Option<&str>) -> Result<Self> {
        Ok(Self::Admin {
            target: check("ADMIN").opt_word("target", target)?,
        })
    }

    /// `INFO [<target>]`.
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn info(target: Option<&str>) -> Result<Self> {
        Ok(Self::Info {
            target: check("INFO").opt_word("target", target)?,
        })
    }

    /// `SERVLIST [<mask> [<type>]]`.
    ///
    /// # Errors
    ///
    /// A mask or type that is not a word; a type without a mask.
    pub fn servlist(mask: Option<&str>, kind: Option<&str>) -> Result<Self> {
        let c = check("SERVLIST");
        c.requires(("kind", kind), ("mask", mask))?;
        Ok(Self::Servlist {
            mask: c.opt_word("mask", mask)?,
            kind: c.opt_word("kind", kind)?,
        })
    }

    /// `WHO [<mask> [o]]`.
    ///
    /// # Errors
    ///
    /// A mask that is not a word; `operators_only` without a mask.
    pub fn who(mask: Option<&str>, operators_only: bool) -> Result<Self> {
        let c = check("WHO");
        c.requires(
            ("operators_only", operators_only.then_some(())),
            ("mask", mask),
        )?;
        Ok(Self::Who {
            mask: c.opt_word("mask", mask)?,
            operators_only,
        })
    }

    /// `WHOIS [<target>] <masks>`.
    ///
    /// # Errors
    ///
    /// No mask, a mask that is not a comma-free word, a target that is not a
    /// word.
    pub fn whois<S: AsRef<str>>(masks: &[S], target: Option<&str>) -> Result<Self> {
        let c = check("WHOIS");
        Ok(Self::Whois {
            target: c.opt_word("target", target)?,
            masks: c.some_items("masks", masks)?,
        })
    }

    /// `WHOWAS <nicks> [<count> [<target>]]`.
    ///
    /// # Errors
    ///
    /// No nick, a nick that is not a comma-free word, a target that is not a
    /// word, a target without a count.
    pub fn whowas<S: AsRef<str>>(
        nicks: &[S],
        count: Option<u32>,
        target: Option<&str>,
    ) -> Result<Self> {
        let c = check("WHOWAS");
        c.requires(("target", target), ("count", count))?;
        Ok(Self::Whowas {
            nicks: c.some_items("nicks", nicks)?,
            count,
            target: c.opt_word("target", target)?,
        })
    }

    /// `KILL <nick> :<comment>`.
    ///
    /// # Errors
    ///
    /// A nick that is not a word; CR, LF or NUL in the comment.
    pub fn kill(nick: &str, comment: &str) -> Result<Self> {
        let c = check("KILL");
        Ok(Self::Kill {
            nick: c.word("nick", nick)?,
            comment: c.text("comment", comment)?,
        })
    }

    /// `REHASH`.
    #[must_use]
    pub const fn rehash() -> Self {
        Self::Rehash
    }

    /// `DIE`.
    #[must_use]
    pub const fn die() -> Self {
        Self::Die
    }

    /// `RESTART`.
    #[must_use]
    pub const fn restart() -> Self {
        Self::Restart
    }

    /// `SUMMON <user> [<target> [<channel>]]`.
    ///
    /// # Errors
    ///
    /// A value that is not a word; a channel without a target.
    pub fn summon(user: &str, target: Option<&str>, channel: Option<&str>) -> Result<Self> {
        let c = check("SUMMON");
        c.requires(("channel", channel), ("target", target))?;
        Ok(Self::Summon {
            user: c.word("user", user)?,
            target: c.opt_word("target", target)?,
            channel: c.opt_word("channel", channel)?,
        })
    }

    /// `USERS [<target>]`.
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn users(target: Option<&str>) -> Result<Self> {
        Ok(Self::Users {
            target: check("USERS").opt_word("target", target)?,
        })
    }

    /// `USERHOST <nick>...`.
    ///
    /// # Errors
    ///
    /// No nick, or a nick that is not a word.
    pub fn userhost<S: AsRef<str>>(nicks: &[S]) -> Result<Self> {
        let c = check("USERHOST");
        if nicks.is_empty() {
            return Err(c.err("nicks", Kind::Empty));
        }
        Ok(Self::Userhost {
            nicks: c.words("nicks", nicks)?,
        })
    }

    /// `ISON <nick>...`.
    ///
    /// # Errors
    ///
    /// No nick, or a nick that is not a word.
    pub fn ison<S: AsRef<str>>(nicks: &[S]) -> Result<Self> {
        let c = check("ISON");
        if nicks.is_empty() {
            return Err(c.err("nicks", Kind::Empty));
        }
        Ok(Self::Ison {
            nicks: c.words("nicks", nicks)?,
        })
    }
}

/// IRCv3.
impl Command {
    /// `CAP LS [<version>]`: what the server offers; `Some(302)` asks for
    /// capability values and multi-line replies.
    ///
    /// ```
    /// use irc_proto::Command;
    /// assert_eq!(Command::cap_ls(Some(302)).to_message().pack().unwrap(), "CAP LS 302");
    /// ```
    #[must_use]
    pub fn cap_ls(version: Option<u16>) -> Self {
        Self::Cap {
            target: None,
            subcommand: CapSubcommand::Ls,
            more: false,
            version,
            caps: Vec::new(),
        }
    }

    /// `CAP LIST`: the capabilities enabled on this connection.
    #[must_use]
    pub fn cap_list() -> Self {
        Self::Cap {
            target: None,
            subcommand: CapSubcommand::List,
            more: false,
            version: None,
            caps: Vec::new(),
        }
    }

    /// `CAP REQ :<caps>`: ask for capabilities (`-cap` to disable one).
    ///
    /// ```
    /// use irc_proto::Command;
    /// let req = Command::cap_req(&["sasl", "multi-prefix"])?;
    /// assert_eq!(req.to_message().pack().unwrap(), "CAP REQ :sasl multi-prefix");
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// No capability, or one that is not a word.
    pub fn cap_req<S: AsRef<str>>(caps: &[S]) -> Result<Self> {
        let c = check("CAP");
        if caps.is_empty() {
            return Err(c.err("caps", Kind::Empty));
        }
        Ok(Self::Cap {
            target: None,
            subcommand: CapSubcommand::Req,
            more: false,
            version: None,
            caps: c.words("caps", caps)?,
        })
    }

    /// `CAP END`: end negotiation.
    #[must_use]
    pub fn cap_end() -> Self {
        Self::Cap {
            target: None,
            subcommand: CapSubcommand::End,
            more: false,
            version: None,
            caps: Vec::new(),
        }
    }

    /// `CAP <target> <subcommand> [*] :<caps>`: what a server sends
    /// (`LS`, `LIST`, `ACK`, `NAK`, `NEW`, `DEL`); `more` writes the `*` that
    /// says more lines of the list follow.
    ///
    /// # Errors
    ///
    /// A target or capability that is not a word.
    pub fn cap_reply<S: AsRef<str>>(
        target: &str,
        subcommand: CapSubcommand,
        caps: &[S],
        more: bool,
    ) -> Result<Self> {
        let c = check("CAP");
        Ok(Self::Cap {
            target: Some(c.word("target", target)?),
            subcommand,
            more,
            version: None,
            caps: c.words("caps", caps)?,
        })
    }

    /// `AUTHENTICATE <data>`: a mechanism name, a base64 chunk, `+` or `*`.
    ///
    /// # Errors
    ///
    /// Data that is not a word.
    pub fn authenticate(data: &str) -> Result<Self> {
        Ok(Self::Authenticate {
            data: check("AUTHENTICATE").word("data", data)?,
        })
    }

    /// `ACCOUNT <account>`, `ACCOUNT *` for `None` (logged out).
    ///
    /// # Errors
    ///
    /// An account that is not a word.
    pub fn account(account: Option<&str>) -> Result<Self> {
        Ok(Self::Account {
            account: check("ACCOUNT").opt_word("account", account.filter(|a| *a != "*"))?,
        })
    }

    /// `CHGHOST <user> <host>`.
    ///
    /// # Errors
    ///
    /// A user or host that is not a word.
    pub fn chghost(user: &str, host: &str) -> Result<Self> {
        let c = check("CHGHOST");
        Ok(Self::Chghost {
            user: c.word("user", user)?,
            host: c.word("host", host)?,
        })
    }

    /// `SETNAME :<realname>`.
    ///
    /// # Errors
    ///
    /// An empty real name, or CR, LF or NUL in it.
    pub fn setname(realname: &str) -> Result<Self> {
        Ok(Self::Setname {
            realname: check("SETNAME").full_text("realname", realname)?,
        })
    }

    /// `TAGMSG <target>`; the tags go on the [`MessageBuf`](crate::MessageBuf).
    ///
    /// ```
    /// use irc_proto::Command;
    /// let typing = Command::tagmsg("#rust")?.to_message().with_tag("+typing", Some("active"));
    /// assert_eq!(typing.pack().unwrap(), "@+typing=active TAGMSG #rust");
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A target that is not a word.
    pub fn tagmsg(target: &str) -> Result<Self> {
        Ok(Self::Tagmsg {
            target: check("TAGMSG").word("target", target)?,
        })
    }

    /// `BATCH +<reference> <type> [<params>...]`: open a batch.
    ///
    /// # Errors
    ///
    /// A reference, type or parameter that is not a word; a reference that
    /// starts with `+` or `-`.
    pub fn batch_start<S: AsRef<str>>(reference: &str, kind: &str, params: &[S]) -> Result<Self> {
        let c = check("BATCH");
        Ok(Self::Batch {
            reference: batch_reference(c, reference)?,
            open: true,
            kind: Some(c.word("kind", kind)?),
            params: c.words("params", params)?,
        })
    }

    /// `BATCH -<reference>`: close a batch.
    ///
    /// # Errors
    ///
    /// As [`Command::batch_start`].
    pub fn batch_end(reference: &str) -> Result<Self> {
        Ok(Self::Batch {
            reference: batch_reference(check("BATCH"), reference)?,
            open: false,
            kind: None,
            params: Vec::new(),
        })
    }

    /// Any command, verb and parameters as given: only the last parameter may
    /// hold spaces or be empty. A known verb built this way stays `Raw`
    /// (reading it back gives the typed variant).
    ///
    /// ```
    /// use irc_proto::Command;
    /// let knock = Command::raw("KNOCK", &["#rust", "let me in"])?;
    /// assert_eq!(knock.to_message().pack().unwrap(), "KNOCK #rust :let me in");
    /// assert!(Command::raw("KNOCK", &["#a b", "x"]).is_err());
    /// # Ok::<(), irc_proto::CommandError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A verb that is empty or not printable ASCII, or starts with `:` or
    /// `@`; a parameter before the last that is not a word; CR, LF or NUL.
    pub fn raw<S: AsRef<str>>(verb: &str, params: &[S]) -> Result<Self> {
        let c = check("raw");
        if verb.is_empty()
            || !verb.bytes().all(|b| b.is_ascii_graphic())
            || verb.starts_with([':', '@'])
        {
            return Err(c.err("verb", Kind::InvalidVerb));
        }
        let mut checked = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            checked.push(if i + 1 == params.len() {
                c.text("params", p.as_ref())?
            } else {
                c.word("params", p.as_ref())?
            });
        }
        Ok(Self::Raw {
            verb: verb.to_owned(),
            params: checked,
        })
    }
}

fn batch_reference(c: Check, reference: &str) -> Result<String> {
    let reference = c.word("reference", reference)?;
    if reference.starts_with(['+', '-']) {
        return Err(c.err("reference", Kind::Unexpected));
    }
    Ok(reference)
}
