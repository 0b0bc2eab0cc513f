//! `RPL_ISUPPORT` (005): what the server supports, read into [`Isupport`].
//!
//! After registration a server sends one or more `005` lines:
//!
//! ```text
//! :irc.example.net 005 dan CASEMAPPING=ascii CHANTYPES=# PREFIX=(ov)@+ :are supported by this server
//! ```
//!
//! The first parameter is the client's nick and the last one is human text;
//! everything between is a token:
//!
//! * `KEY` and `KEY=` set a token without a value (read back as `""`);
//! * `KEY=value` sets a token with a value; values may hold `\xHH` escapes
//!   (`\x20` for a space, `\x5C` for a backslash, `\x3D` for `=`), decoded
//!   when the token is stored. A `\x` not followed by two hex digits is kept
//!   as written; if the decoded bytes are not UTF-8, the value is kept
//!   exactly as written, escapes and all, so nothing is lost;
//! * `-KEY` removes a token set earlier (its default applies again).
//!
//! A later token replaces an earlier one of the same name. Token names are
//! kept as sent (servers send them in upper case) and looked up exactly.
//!
//! # Defaults
//!
//! Every typed accessor answers something useful when the server said
//! nothing, following RFC 1459 and common practice:
//!
//! | token | accessor | default when absent |
//! | --- | --- | --- |
//! | `CASEMAPPING` | [`Isupport::casemapping`] | `rfc1459` (unknown names: see the method) |
//! | `CHANTYPES` | [`Isupport::chantypes`] | `#&` |
//! | `PREFIX` | [`Isupport::prefix`] | `(ov)@+` |
//! | `CHANMODES` | [`Isupport::chanmodes`] | `beI,k,l,imnpst` (see [`ChanModes::default`]) |
//! | `NICKLEN` | [`Isupport::nicklen`] | 9 |
//! | `CHANNELLEN` | [`Isupport::channellen`] | 200 |
//! | `MODES` | [`Isupport::modes`] | 3 |
//! | `LINELEN` | [`Isupport::linelen`] | 512 |
//! | `EXCEPTS` / `INVEX` | [`Isupport::excepts`] / [`Isupport::invex`] | absent; `e` / `I` when present without value |
//! | others | | `None`: no limit known |
//!
//! ```
//! use irc_proto::Message;
//! use irc_proto::casemap::CaseMapping;
//! use irc_proto::isupport::{Isupport, Limit};
//!
//! let mut isupport = Isupport::new();
//! assert_eq!(isupport.nicklen(), 9);
//!
//! let line = ":srv 005 dan CASEMAPPING=ascii NICKLEN=30 PREFIX=(qaohv)~&@%+ \
//!             TARGMAX=PRIVMSG:4,JOIN: NETWORK=Example\\x20Net :are supported by this server";
//! assert!(isupport.apply(&Message::parse(line).unwrap()));
//!
//! assert_eq!(isupport.casemapping(), CaseMapping::Ascii);
//! assert_eq!(isupport.nicklen(), 30);
//! assert_eq!(isupport.network(), Some("Example Net"));
//! assert_eq!(isupport.prefix().symbol_for('h'), Some('%'));
//! assert_eq!(isupport.targmax_for("privmsg"), Some(Limit::At(4)));
//! assert_eq!(isupport.targmax_for("JOIN"), Some(Limit::Unlimited));
//!
//! isupport.apply_token("-NICKLEN");
//! assert_eq!(isupport.nicklen(), 9);
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::casemap::CaseMapping;
use crate::message::Message;
use crate::mode::ModeKind;

/// A limit that may be absent: the value of `MODES`, of a `TARGMAX` entry,
/// and the like, where a token without a number means "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// The server sets no limit.
    Unlimited,
    /// At most this many.
    At(usize),
}

impl Limit {
    /// The number, or `None` for [`Limit::Unlimited`].
    #[must_use]
    pub const fn get(self) -> Option<usize> {
        match self {
            Self::Unlimited => None,
            Self::At(n) => Some(n),
        }
    }

    /// Whether `n` is within the limit.
    #[must_use]
    pub const fn allows(self, n: usize) -> bool {
        match self {
            Self::Unlimited => true,
            Self::At(max) => n <= max,
        }
    }

    /// Reads a number; an empty value is [`Limit::Unlimited`]. Anything
    /// else that is not a number is `None`.
    fn parse(value: &str) -> Option<Self> {
        if value.is_empty() {
            Some(Self::Unlimited)
        } else {
            value.parse().ok().map(Self::At)
        }
    }
}

/// The channel membership prefixes (`PREFIX`): which channel modes give a
/// status, the symbol shown for each in `NAMES` and `WHO`, and their rank.
///
/// Entries are kept in the server's order, highest rank first.
///
/// ```
/// use irc_proto::isupport::Prefix;
///
/// let prefix = Prefix::parse("(qaohv)~&@%+").unwrap();
/// assert_eq!(prefix.mode_for('@'), Some('o'));
/// assert_eq!(prefix.symbol_for('v'), Some('+'));
/// assert!(prefix.rank('q') < prefix.rank('o'));
/// assert_eq!(prefix.split_symbols("@+dan"), ("@+", "dan"));
/// assert_eq!(Prefix::default().symbols().collect::<String>(), "@+");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prefix {
    /// `(mode, symbol)` pairs, highest rank first.
    entries: Vec<(char, char)>,
}

impl Default for Prefix {
    /// `(ov)@+`: operator and voice, as in RFC 1459.
    fn default() -> Self {
        Self {
            entries: vec![('o', '@'), ('v', '+')],
        }
    }
}

impl Prefix {
    /// A prefix list with no entries (`PREFIX=`: the server has no
    /// membership prefixes).
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Reads a `PREFIX` value such as `(qaohv)~&@%+`. An empty value gives
    /// [`Prefix::empty`]. When the two lists differ in length, the extra
    /// characters of the longer one are ignored. A mode or symbol that
    /// appears twice keeps its first (highest) rank.
    ///
    /// Returns `None` when the value is not of the form `(modes)symbols`.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        if value.is_empty() {
            return Some(Self::empty());
        }
        let rest = value.strip_prefix('(')?;
        let (modes, symbols) = rest.split_once(')')?;
        let mut entries: Vec<(char, char)> = Vec::new();
        for (m, s) in modes.chars().zip(symbols.chars()) {
            if !entries.iter().any(|&(em, es)| em == m || es == s) {
                entries.push((m, s));
            }
        }
        Some(Self { entries })
    }

    /// The symbol for a mode (`'o'` -> `'@'`).
    #[must_use]
    pub fn symbol_for(&self, mode: char) -> Option<char> {
        self.entries.iter().find(|e| e.0 == mode).map(|e| e.1)
    }

    /// The mode for a symbol (`'@'` -> `'o'`).
    #[must_use]
    pub fn mode_for(&self, symbol: char) -> Option<char> {
        self.entries.iter().find(|e| e.1 == symbol).map(|e| e.0)
    }

    /// The rank of a mode: 0 is the highest. `None` for a mode that is not
    /// a membership mode.
    #[must_use]
    pub fn rank(&self, mode: char) -> Option<usize> {
        self.entries.iter().position(|e| e.0 == mode)
    }

    /// The rank of a symbol: 0 is the highest.
    #[must_use]
    pub fn symbol_rank(&self, symbol: char) -> Option<usize> {
        self.entries.iter().position(|e| e.1 == symbol)
    }

    /// Whether `mode` is a membership mode.
    #[must_use]
    pub fn is_mode(&self, mode: char) -> bool {
        self.rank(mode).is_some()
    }

    /// Whether `symbol` is a membership symbol.
    #[must_use]
    pub fn is_symbol(&self, symbol: char) -> bool {
        self.symbol_rank(symbol).is_some()
    }

    /// The `(mode, symbol)` pairs, highest rank first.
    pub fn iter(&self) -> impl Iterator<Item = (char, char)> + '_ {
        self.entries.iter().copied()
    }

    /// The modes, highest rank first.
    pub fn modes(&self) -> impl Iterator<Item = char> + '_ {
        self.entries.iter().map(|e| e.0)
    }

    /// The symbols, highest rank first.
    pub fn symbols(&self) -> impl Iterator<Item = char> + '_ {
        self.entries.iter().map(|e| e.1)
    }

    /// How many membership modes there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no membership mode.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Splits a `NAMES` entry into its leading symbols and the rest
    /// (`"@+dan"` -> `("@+", "dan")`; with `multi-prefix` there may be
    /// several symbols).
    #[must_use]
    pub fn split_symbols<'s>(&self, name: &'s str) -> (&'s str, &'s str) {
        let end = name
            .char_indices()
            .find(|&(_, c)| !self.is_symbol(c))
            .map_or(name.len(), |(i, _)| i);
        name.split_at(end)
    }
}

impl fmt::Display for Prefix {
    /// Writes the `PREFIX` value form, `(ov)@+`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entries.is_empty() {
            return Ok(());
        }
        f.write_str("(")?;
        for m in self.modes() {
            write!(f, "{m}")?;
        }
        f.write_str(")")?;
        for s in self.symbols() {
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// The channel modes by argument behaviour (`CHANMODES=A,B,C,D`).
///
/// * **A**, list modes (`b` bans, `e` exceptions, `I` invite exceptions):
///   always take an argument (a mask); without one they ask for the list.
/// * **B**, modes that always take an argument (`k` key).
/// * **C**, modes that take an argument only when set (`l` limit).
/// * **D**, modes that never take an argument (`i`, `m`, `n`, `t`, ...).
///
/// Membership modes (`o`, `v`, ...) come from [`Prefix`], not from here;
/// [`Isupport::mode_kind`] consults both.
///
/// ```
/// use irc_proto::isupport::ChanModes;
/// use irc_proto::mode::ModeKind;
///
/// let cm = ChanModes::parse("beI,k,l,BCMNORScimnpstz");
/// assert_eq!(cm.kind('e'), Some(ModeKind::List));
/// assert_eq!(cm.kind('k'), Some(ModeKind::AlwaysArg));
/// assert_eq!(cm.kind('l'), Some(ModeKind::SetArg));
/// assert_eq!(cm.kind('z'), Some(ModeKind::NoArg));
/// assert_eq!(cm.kind('o'), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChanModes {
    /// Type A: list modes.
    pub list: String,
    /// Type B: modes that always take an argument.
    pub always_arg: String,
    /// Type C: modes that take an argument only when set.
    pub set_arg: String,
    /// Type D: modes that never take an argument.
    pub no_arg: String,
}

impl Default for ChanModes {
    /// `beI,k,l,imnpst`: the RFC 1459 modes (`b`; `k`; `l`; `i m n p s t`)
    /// plus the ban and invite exceptions `e` and `I` of RFC 2811, which
    /// nearly every server has. Listing them keeps the arguments of a
    /// `+e mask` in step even from a server that forgot to advertise them.
    fn default() -> Self {
        Self::parse("beI,k,l,imnpst")
    }
}

impl ChanModes {
    /// Reads a `CHANMODES` value. Missing groups are empty; groups after the
    /// fourth are ignored (the modes in them are unknown, and so treated as
    /// never taking an argument).
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let mut groups = value.split(',');
        let mut next = || groups.next().unwrap_or("").to_owned();
        Self {
            list: next(),
            always_arg: next(),
            set_arg: next(),
            no_arg: next(),
        }
    }

    /// The kind of a channel mode listed here, or `None`.
    #[must_use]
    pub fn kind(&self, mode: char) -> Option<ModeKind> {
        if self.list.contains(mode) {
            Some(ModeKind::List)
        } else if self.always_arg.contains(mode) {
            Some(ModeKind::AlwaysArg)
        } else if self.set_arg.contains(mode) {
            Some(ModeKind::SetArg)
        } else if self.no_arg.contains(mode) {
            Some(ModeKind::NoArg)
        } else {
            None
        }
    }
}

impl fmt::Display for ChanModes {
    /// Writes the `CHANMODES` value form, `A,B,C,D`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.list, self.always_arg, self.set_arg, self.no_arg
        )
    }
}

/// What a server supports, accumulated from its `RPL_ISUPPORT` lines.
///
/// Feed it whole messages with [`apply`](Self::apply), the tokens of one
/// line with [`apply_tokens`](Self::apply_tokens), or single tokens with
/// [`apply_token`](Self::apply_token). Read raw tokens with
/// [`get`](Self::get) and [`iter`](Self::iter), or through the typed
/// accessors, which fall back to the defaults in the [module
/// docs](self).
///
/// No input makes any method panic.
///
/// ```
/// use irc_proto::isupport::Isupport;
///
/// let isupport = Isupport::parse("CHANTYPES=#! EXCEPTS INVEX=J UTF8ONLY BOT=B");
/// assert_eq!(isupport.chantypes(), "#!");
/// assert_eq!(isupport.excepts(), Some('e'));
/// assert_eq!(isupport.invex(), Some('J'));
/// assert!(isupport.utf8only());
/// assert_eq!(isupport.bot(), Some('B'));
/// assert_eq!(isupport.get("EXCEPTS"), Some(""));
/// assert_eq!(isupport.get("NETWORK"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Isupport {
    /// Every token as stored: name -> decoded value (`""` when none).
    tokens: BTreeMap<String, String>,
    /// `PREFIX`, parsed when set, because modes and names look it up often.
    prefix: Prefix,
    /// `CHANMODES`, parsed when set, for the same reason.
    chanmodes: ChanModes,
}

impl Isupport {
    /// An empty set: every accessor gives its default.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a set from space-separated tokens, as they appear between the
    /// nick and the trailing text of a `005` line. Never panics, whatever
    /// the input.
    ///
    /// ```
    /// let i = irc_proto::isupport::Isupport::parse("MODES=4 -MODES NICKLEN=12");
    /// assert_eq!(i.nicklen(), 12);
    /// assert_eq!(i.modes(), irc_proto::isupport::Limit::At(3));
    /// ```
    #[must_use]
    pub fn parse(tokens: &str) -> Self {
        let mut out = Self::new();
        out.apply_tokens(tokens.split(' '));
        out
    }

    /// Applies a message if it is an `RPL_ISUPPORT` (`005`) reply and says
    /// whether it was.
    ///
    /// The first parameter (the client's nick) is skipped, and so is the
    /// last when it is the human text: when it holds a space, or does not
    /// look like a token (a token name is upper-case letters, digits and
    /// `_`, after an optional `-`).
    pub fn apply(&mut self, msg: &Message<'_>) -> bool {
        if msg.numeric() != Some(5) {
            return false;
        }
        let params = msg.params();
        let mut count = params.len();
        if count >= 2 && params.last().is_some_and(|last| !looks_like_token(last)) {
            count -= 1;
        }
        self.apply_tokens(params.iter().take(count).skip(1));
        true
    }

    /// Applies each token in turn; empty strings are skipped.
    pub fn apply_tokens<'t, I>(&mut self, tokens: I)
    where
        I: IntoIterator<Item = &'t str>,
    {
        for token in tokens {
            self.apply_token(token);
        }
    }

    /// Applies one token: `KEY`, `KEY=`, `KEY=value` or `-KEY`. An empty
    /// token, or one with an empty name (`=x`, `-`), is ignored.
    pub fn apply_token(&mut self, token: &str) {
        if let Some(name) = token.strip_prefix('-') {
            // The spec gives `-KEY` no value; tolerate `-KEY=...`.
            let name = name.split_once('=').map_or(name, |(n, _)| n);
            if !name.is_empty() && self.tokens.remove(name).is_some() {
                self.refresh(name);
            }
            return;
        }
        let (name, value) = token.split_once('=').unwrap_or((token, ""));
        if name.is_empty() {
            return;
        }
        self.tokens
            .insert(name.to_owned(), unescape_value(value).into_owned());
        self.refresh(name);
    }

    /// Re-reads the cached form of `name` after it changed.
    fn refresh(&mut self, name: &str) {
        match name {
            "PREFIX" => {
                self.prefix = self
                    .get("PREFIX")
                    .and_then(Prefix::parse)
                    .unwrap_or_default();
            }
            "CHANMODES" => {
                self.chanmodes = self
                    .get("CHANMODES")
                    .map(ChanModes::parse)
                    .unwrap_or_default();
            }
            _ => {}
        }
    }

    /// The decoded value of a token: `Some("")` for a token without a value,
    /// `None` for an absent one.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.tokens.get(name).map(String::as_str)
    }

    /// Whether the token is present.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.tokens.contains_key(name)
    }

    /// Every token as `(name, decoded value)`, ordered by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.tokens.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many tokens are stored.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether no token is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// A number-valued token; `None` when absent, empty or not a number.
    fn number(&self, name: &str) -> Option<usize> {
        self.get(name).and_then(|v| v.parse().ok())
    }

    /// A token whose value is one character (`BOT=B`); `None` when absent,
    /// empty or longer than one character.
    fn letter(&self, name: &str) -> Option<char> {
        let mut chars = self.get(name)?.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    }

    /// `CASEMAPPING`. Absent: [`CaseMapping::Rfc1459`]. A name this crate
    /// does not know: `rfc7613` (PRECIS) folds ASCII letters as
    /// [`CaseMapping::Ascii`] does, so it maps to that; anything else falls
    /// back to [`CaseMapping::Rfc1459`], the mapping that treats the most
    /// names as equal.
    #[must_use]
    pub fn casemapping(&self) -> CaseMapping {
        match self.get("CASEMAPPING") {
            None => CaseMapping::default(),
            Some(v) => CaseMapping::from_token(v).unwrap_or_else(|_| {
                if v.eq_ignore_ascii_case("rfc7613") {
                    CaseMapping::Ascii
                } else {
                    CaseMapping::default()
                }
            }),
        }
    }

    /// `CHANTYPES`: the characters that start a channel name. Absent: `#&`
    /// (RFC 1459). `CHANTYPES=` means the server has no channels: `""`.
    #[must_use]
    pub fn chantypes(&self) -> &str {
        self.get("CHANTYPES").unwrap_or("#&")
    }

    /// Whether `target` names a channel: it starts with one of
    /// [`chantypes`](Self::chantypes).
    #[must_use]
    pub fn is_channel_name(&self, target: &str) -> bool {
        target
            .chars()
            .next()
            .is_some_and(|c| self.chantypes().contains(c))
    }

    /// `PREFIX`. Absent or malformed: `(ov)@+`; `PREFIX=`: no prefixes.
    #[must_use]
    pub const fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// `CHANMODES`. Absent: `beI,k,l,imnpst` ([`ChanModes::default`]).
    #[must_use]
    pub const fn chanmodes(&self) -> &ChanModes {
        &self.chanmodes
    }

    /// How a channel mode takes its argument: a [`prefix`](Self::prefix)
    /// mode first, then the [`chanmodes`](Self::chanmodes) groups; a mode
    /// listed nowhere is [`ModeKind::NoArg`] (type D), the reading that
    /// never takes an argument away from the modes after it.
    #[must_use]
    pub fn mode_kind(&self, mode: char) -> ModeKind {
        if self.prefix.is_mode(mode) {
            ModeKind::Prefix
        } else {
            self.chanmodes.kind(mode).unwrap_or(ModeKind::NoArg)
        }
    }

    /// `NICKLEN`: the longest nickname, in bytes. Absent or not a number: 9
    /// (RFC 1459).
    #[must_use]
    pub fn nicklen(&self) -> usize {
        self.number("NICKLEN").unwrap_or(9)
    }

    /// `USERLEN`: the longest username; `None` when not advertised.
    #[must_use]
    pub fn userlen(&self) -> Option<usize> {
        self.number("USERLEN")
    }

    /// `HOSTLEN`: the longest hostname; `None` when not advertised.
    #[must_use]
    pub fn hostlen(&self) -> Option<usize> {
        self.number("HOSTLEN")
    }

    /// `CHANNELLEN`: the longest channel name, in bytes with its prefix.
    /// Absent or not a number: 200 (RFC 1459); `CHANNELLEN=` (no limit):
    /// `usize::MAX`.
    #[must_use]
    pub fn channellen(&self) -> usize {
        match self.get("CHANNELLEN").map(Limit::parse) {
            Some(Some(Limit::Unlimited)) => usize::MAX,
            Some(Some(Limit::At(n))) => n,
            _ => 200,
        }
    }

    /// `TOPICLEN`: the longest topic; `None` when not advertised.
    #[must_use]
    pub fn topiclen(&self) -> Option<usize> {
        self.number("TOPICLEN")
    }

    /// `NETWORK`: the network's name.
    #[must_use]
    pub fn network(&self) -> Option<&str> {
        self.get("NETWORK").filter(|n| !n.is_empty())
    }

    /// `MODES`: how many modes with an argument one `MODE` command may
    /// carry. Absent (or not a number): 3 (RFC 1459); present without a
    /// value: [`Limit::Unlimited`].
    #[must_use]
    pub fn modes(&self) -> Limit {
        self.get("MODES")
            .and_then(Limit::parse)
            .unwrap_or(Limit::At(3))
    }

    /// `TARGMAX` entries as `(command, limit)`, in the server's order. An
    /// entry without a number (`JOIN:`) is [`Limit::Unlimited`]; entries
    /// that cannot be read are skipped.
    pub fn targmax(&self) -> impl Iterator<Item = (&str, Limit)> + '_ {
        self.get("TARGMAX")
            .unwrap_or("")
            .split(',')
            .filter_map(|entry| {
                let (cmd, n) = entry.split_once(':').unwrap_or((entry, ""));
                Some((cmd, Limit::parse(n)?)).filter(|(c, _)| !c.is_empty())
            })
    }

    /// The `TARGMAX` limit for a command (compared ignoring ASCII case);
    /// `None` when the command is not listed or there is no `TARGMAX`.
    #[must_use]
    pub fn targmax_for(&self, command: &str) -> Option<Limit> {
        self.targmax()
            .find(|(c, _)| c.eq_ignore_ascii_case(command))
            .map(|(_, l)| l)
    }

    /// `STATUSMSG`: the membership symbols that may prefix a channel name to
    /// address only members with that status (`@#chan`). Absent: `""`.
    #[must_use]
    pub fn statusmsg(&self) -> &str {
        self.get("STATUSMSG").unwrap_or("")
    }

    /// `LINELEN`: the longest line in bytes, CRLF included. Absent or not a
    /// number: 512 (RFC 1459).
    #[must_use]
    pub fn linelen(&self) -> usize {
        self.number("LINELEN").unwrap_or(512)
    }

    /// `MAXLIST` entries as `(modes, limit)`: the list modes in `modes`
    /// share `limit` entries (`MAXLIST=beI:100,q:50`). Entries that cannot
    /// be read are skipped.
    pub fn maxlist(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.get("MAXLIST")
            .unwrap_or("")
            .split(',')
            .filter_map(|entry| {
                let (modes, n) = entry.split_once(':')?;
                Some((modes, n.parse().ok()?)).filter(|(m, _)| !m.is_empty())
            })
    }

    /// The `MAXLIST` limit for one list mode, shared with the other modes
    /// of its entry; `None` when not listed.
    #[must_use]
    pub fn maxlist_for(&self, mode: char) -> Option<usize> {
        self.maxlist()
            .find(|(m, _)| m.contains(mode))
            .map(|(_, n)| n)
    }

    /// `EXCEPTS`: the ban-exception mode; `e` when present without a value,
    /// `None` when absent.
    #[must_use]
    pub fn excepts(&self) -> Option<char> {
        self.contains("EXCEPTS")
            .then(|| self.letter("EXCEPTS").unwrap_or('e'))
    }

    /// `INVEX`: the invite-exception mode; `I` when present without a value,
    /// `None` when absent.
    #[must_use]
    pub fn invex(&self) -> Option<char> {
        self.contains("INVEX")
            .then(|| self.letter("INVEX").unwrap_or('I'))
    }

    /// `UTF8ONLY`: the server only accepts UTF-8 text.
    #[must_use]
    pub fn utf8only(&self) -> bool {
        self.contains("UTF8ONLY")
    }

    /// `BOT`: the user mode that marks a client as a bot.
    #[must_use]
    pub fn bot(&self) -> Option<char> {
        self.letter("BOT")
    }
}

/// Whether a parameter of a `005` line reads as a token rather than the
/// closing human text.
fn looks_like_token(param: &str) -> bool {
    if param.contains(' ') {
        return false;
    }
    let name_part = param.split_once('=').map_or(param, |(n, _)| n);
    let name = name_part.strip_prefix('-').unwrap_or(name_part);
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Decodes the `\xHH` escapes of a token value. An escape without two hex
/// digits after `\x` stays as written; when the decoded bytes are not
/// UTF-8 the value is returned unchanged.
///
/// ```
/// use irc_proto::isupport::unescape_value;
/// assert_eq!(unescape_value(r"Example\x20Net"), "Example Net");
/// assert_eq!(unescape_value(r"a\x5Cb\x3Dc"), r"a\b=c");
/// assert_eq!(unescape_value(r"bad\xZZ\x4"), r"bad\xZZ\x4");
/// assert_eq!(unescape_value(r"\xFF"), r"\xFF");
/// ```
#[must_use]
pub fn unescape_value(value: &str) -> Cow<'_, str> {
    if !value.contains("\\x") {
        return Cow::Borrowed(value);
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 2).and_then(|&b| hex(b)),
                bytes.get(i + 3).and_then(|&b| hex(b)),
            )
        {
            out.push(hi << 4 | lo);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_or(Cow::Borrowed(value), Cow::Owned)
}

/// The value of one hex digit.
const fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn defaults_when_empty() {
        let i = Isupport::new();
        assert_eq!(i.casemapping(), CaseMapping::Rfc1459);
        assert_eq!(i.chantypes(), "#&");
        assert_eq!(i.prefix(), &Prefix::default());
        assert_eq!(i.prefix().to_string(), "(ov)@+");
        assert_eq!(i.chanmodes().to_string(), "beI,k,l,imnpst");
        assert_eq!(i.nicklen(), 9);
        assert_eq!(i.channellen(), 200);
        assert_eq!(i.modes(), Limit::At(3));
        assert_eq!(i.linelen(), 512);
        assert_eq!((i.userlen(), i.hostlen(), i.topiclen()), (None, None, None));
        assert_eq!(i.network(), None);
        assert_eq!(i.statusmsg(), "");
        assert_eq!(i.targmax().count(), 0);
        assert_eq!(i.maxlist().count(), 0);
        assert_eq!((i.excepts(), i.invex(), i.bot()), (None, None, None));
        assert!(!i.utf8only());
        assert!(i.is_empty());
    }

    #[test]
    fn a_real_server_burst() {
        // Three 005 lines as an InspIRCd-like server sends them.
        let lines = [
            ":irc.example.net 005 dan AWAYLEN=200 CASEMAPPING=rfc1459-strict CHANLIMIT=#:20 CHANMODES=IXbeg,k,FHJLfjl,ACKMNOPQRSTcimnprstz CHANNELLEN=64 CHANTYPES=# ELIST=CMNTU ESILENCE=CcdiNnPpTtx EXCEPTS=e EXTBAN=,ACNOQRSTUacjmnprswz HOSTLEN=64 INVEX=I :are supported by this server",
            ":irc.example.net 005 dan KEYLEN=32 KICKLEN=255 LINELEN=512 MAXLIST=I:100,X:100,b:100,e:100,g:100 MAXTARGETS=20 MODES=20 MONITOR=30 NAMELEN=130 NETWORK=ExampleNet NICKLEN=30 PREFIX=(qaohv)~&@%+ SAFELIST :are supported by this server",
            ":irc.example.net 005 dan SILENCE=32 STATUSMSG=~&@%+ TARGMAX=ACCEPT:,KICK:1,LIST:1,NAMES:1,NOTICE:20,PRIVMSG:20,WHOIS:1 TOPICLEN=307 USERLEN=10 USERMODES=,,s,BIRcgikorwx UTF8ONLY BOT=B WHOX :are supported by this server",
        ];
        let mut i = Isupport::new();
        for l in lines {
            assert!(i.apply(&Message::parse(l).unwrap()));
        }
        assert!(!i.apply(&Message::parse(":srv 001 dan :Welcome").unwrap()));
        assert_eq!(i.casemapping(), CaseMapping::Rfc1459Strict);
        assert_eq!(i.chanmodes().list, "IXbeg");
        assert_eq!(i.chanmodes().set_arg, "FHJLfjl");
        assert_eq!(i.mode_kind('q'), ModeKind::Prefix);
        assert_eq!(i.mode_kind('g'), ModeKind::List);
        assert_eq!(i.mode_kind('k'), ModeKind::AlwaysArg);
        assert_eq!(i.mode_kind('j'), ModeKind::SetArg);
        assert_eq!(i.mode_kind('z'), ModeKind::NoArg);
        assert_eq!(i.mode_kind('Y'), ModeKind::NoArg);
        assert_eq!(i.channellen(), 64);
        assert_eq!(i.chantypes(), "#");
        assert!(i.is_channel_name("#rust"));
        assert!(!i.is_channel_name("&local"));
        assert_eq!(i.hostlen(), Some(64));
        assert_eq!(i.userlen(), Some(10));
        assert_eq!(i.topiclen(), Some(307));
        assert_eq!(i.nicklen(), 30);
        assert_eq!(i.modes(), Limit::At(20));
        assert_eq!(i.network(), Some("ExampleNet"));
        assert_eq!(i.maxlist_for('g'), Some(100));
        assert_eq!(i.maxlist_for('q'), None);
        assert_eq!(i.targmax_for("ACCEPT"), Some(Limit::Unlimited));
        assert_eq!(i.targmax_for("notice"), Some(Limit::At(20)));
        assert_eq!(i.targmax_for("JOIN"), None);
        assert_eq!(i.statusmsg(), "~&@%+");
        assert_eq!(i.excepts(), Some('e'));
        assert_eq!(i.invex(), Some('I'));
        assert_eq!(i.bot(), Some('B'));
        assert!(i.utf8only());
        assert!(i.contains("WHOX"));
        assert!(!i.contains("are supported by this server"));
        assert_eq!(i.prefix().rank('q'), Some(0));
        assert_eq!(i.prefix().rank('v'), Some(4));
    }

    #[test]
    fn last_param_is_kept_when_it_is_a_token() {
        let mut i = Isupport::new();
        assert!(i.apply(&Message::parse(":srv 005 dan NICKLEN=20 TOPICLEN=5").unwrap()));
        assert_eq!(i.topiclen(), Some(5));
        // A trailing text without spaces is still recognised as text.
        assert!(i.apply(&Message::parse(":srv 005 dan CHANNELLEN=50 :supported").unwrap()));
        assert!(!i.contains("supported"));
        assert_eq!(i.channellen(), 50);
        // Only the nick: nothing to apply, no panic.
        assert!(i.apply(&Message::parse(":srv 005 dan").unwrap()));
        assert!(i.apply(&Message::parse(":srv 005").unwrap()));
    }

    #[test]
    fn negation_and_replacement() {
        let mut i = Isupport::parse("PREFIX=(qov)~@+ CHANMODES=b,k,l,n NICKLEN=15 EXCEPTS=E");
        assert_eq!(i.prefix().len(), 3);
        assert_eq!(i.excepts(), Some('E'));
        i.apply_tokens(["-PREFIX", "-CHANMODES", "NICKLEN=16", "-EXCEPTS"]);
        assert_eq!(i.prefix(), &Prefix::default());
        assert_eq!(i.chanmodes(), &ChanModes::default());
        assert_eq!(i.nicklen(), 16);
        assert_eq!(i.excepts(), None);
        // Negating an absent token is harmless.
        i.apply_token("-NOSUCH");
        i.apply_token("PREFIX=");
        assert!(i.prefix().is_empty());
        assert_eq!(i.mode_kind('o'), ModeKind::NoArg);
        i.apply_token("PREFIX=garbage");
        assert_eq!(i.prefix(), &Prefix::default());
    }

    #[test]
    fn odd_tokens() {
        let i = Isupport::parse("  =x - -=y KEY= FLAG MODES= CHANNELLEN= NICKLEN=abc A=b=c");
        assert_eq!(i.get("KEY"), Some(""));
        assert_eq!(i.get("FLAG"), Some(""));
        assert_eq!(i.get("A"), Some("b=c"));
        assert_eq!(i.modes(), Limit::Unlimited);
        assert_eq!(i.channellen(), usize::MAX);
        assert_eq!(i.nicklen(), 9);
        assert_eq!(i.len(), 6);
        let names: Vec<_> = i.iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            ["A", "CHANNELLEN", "FLAG", "KEY", "MODES", "NICKLEN"]
        );
    }

    #[test]
    fn casemapping_fallbacks() {
        assert_eq!(
            Isupport::parse("CASEMAPPING=ascii").casemapping(),
            CaseMapping::Ascii
        );
        assert_eq!(
            Isupport::parse("CASEMAPPING=rfc7613").casemapping(),
            CaseMapping::Ascii
        );
        assert_eq!(
            Isupport::parse("CASEMAPPING=weird").casemapping(),
            CaseMapping::Rfc1459
        );
    }

    #[test]
    fn prefix_parsing() {
        let p = Prefix::parse("(qaohv)~&@%").unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p.symbol_for('h'), Some('%'));
        assert_eq!(p.symbol_for('v'), None);
        let dup = Prefix::parse("(oov)@@+").unwrap();
        assert_eq!(dup.to_string(), "(ov)@+");
        assert_eq!(Prefix::parse("ov@+"), None);
        assert_eq!(Prefix::parse("(ov@+"), None);
        assert_eq!(p.split_symbols("~@dan"), ("~@", "dan"));
        assert_eq!(p.split_symbols("dan"), ("", "dan"));
        assert_eq!(p.split_symbols("@"), ("@", ""));
        assert_eq!(p.symbol_rank('@'), Some(2));
        assert_eq!(Prefix::empty().to_string(), "");
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape_value("plain"), "plain");
        assert!(matches!(unescape_value("plain"), Cow::Borrowed(_)));
        assert_eq!(unescape_value(r"\x"), r"\x");
        assert_eq!(unescape_value(r"\x2"), r"\x2");
        assert_eq!(unescape_value(r"\\x41"), r"\A");
        assert_eq!(unescape_value(r"caf\xC3\xA9"), "café");
        assert_eq!(unescape_value(r"\xC3"), r"\xC3");
        let i = Isupport::parse(r"NETWORK=Freenode\x20Net\x3D");
        assert_eq!(i.network(), Some("Freenode Net="));
    }

    proptest! {
        #[test]
        fn any_tokens_never_panic(s in "\\PC*") {
            let i = Isupport::parse(&s);
            let _ = (i.casemapping(), i.chantypes(), i.prefix(), i.chanmodes(), i.nicklen());
            let _ = (i.channellen(), i.modes(), i.linelen(), i.excepts(), i.invex(), i.bot());
            let _ = (i.targmax().count(), i.maxlist().count(), i.network(), i.statusmsg());
        }

        #[test]
        fn structured_tokens_never_panic(
            tokens in prop::collection::vec(
                "-?(PREFIX|CHANMODES|TARGMAX|MAXLIST|MODES|CASEMAPPING|BOT|EXCEPTS)(=[()a-z~@%+:,0-9\\\\x]{0,12})?",
                0..8,
            )
        ) {
            let mut i = Isupport::new();
            i.apply_tokens(tokens.iter().map(String::as_str));
            for c in ['o', 'v', 'b', 'k', 'l', 'x'] {
                let _ = i.mode_kind(c);
                let _ = i.maxlist_for(c);
            }
            let _ = i.targmax_for("PRIVMSG");
        }

        #[test]
        fn a_value_is_read_back(name in "[A-Z]{1,8}", value in "[ -~]{0,16}") {
            // Escape what a token cannot carry, then read it back decoded.
            let escaped = value.replace('\\', r"\x5C").replace(' ', r"\x20");
            let i = Isupport::parse(&format!("{name}={escaped}"));
            prop_assert_eq!(i.get(&name), Some(value.as_str()));
        }
    }
}
