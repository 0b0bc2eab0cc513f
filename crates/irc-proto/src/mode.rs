//! Mode strings: `+ov-b dan ann *!*@spam` read into [`ModeChange`]s, and
//! changes written back into `MODE` lines.
//!
//! A mode string is a run of signs and mode letters; the arguments follow
//! as separate parameters and are taken, in order, by the modes that need
//! one. Which modes need one depends on the server, so channel modes are
//! read against its [`Isupport`] ([`Isupport::mode_kind`]):
//!
//! | [`ModeKind`] | where listed | argument when setting | when unsetting |
//! | --- | --- | --- | --- |
//! | [`List`](ModeKind::List) | `CHANMODES` group A (`b` `e` `I`) | yes | yes |
//! | [`AlwaysArg`](ModeKind::AlwaysArg) | group B (`k`) | yes | yes |
//! | [`SetArg`](ModeKind::SetArg) | group C (`l`) | yes | no |
//! | [`NoArg`](ModeKind::NoArg) | group D (`i` `m` `n` `t`), **and every unknown mode** | no | no |
//! | [`Prefix`](ModeKind::Prefix) | `PREFIX` (`o` `v`) | yes | yes |
//!
//! A string that starts without a sign reads as if it started with `+`.
//! User modes (`+iw-x`) never take arguments: [`parse_user`].
//!
//! # Missing arguments
//!
//! When a mode needs an argument and none is left, [`parse_channel`] yields
//! an `Err(`[`ModeError::MissingArgument`]`)` **for that mode only** and goes
//! on with the next one, so the changes after it are not lost. (A list mode
//! without an argument is how a client asks for the list, `MODE #c +b`; the
//! error tells such a query apart from a change.) Arguments left over at the
//! end are ignored.
//!
//! ```
//! use irc_proto::isupport::Isupport;
//! use irc_proto::mode::{self, ModeChange, Sign};
//!
//! let isupport = Isupport::new(); // RFC 1459 defaults: PREFIX=(ov)@+ CHANMODES=beI,k,l,imnpst
//! let changes = mode::parse_channel_all("+ov-b+l", ["dan", "ann", "*!*@spam", "10"], &isupport)?;
//! assert_eq!(changes, [
//!     ModeChange::new(Sign::Plus, 'o', Some("dan")),
//!     ModeChange::new(Sign::Plus, 'v', Some("ann")),
//!     ModeChange::new(Sign::Minus, 'b', Some("*!*@spam")),
//!     ModeChange::new(Sign::Plus, 'l', Some("10")),
//! ]);
//!
//! // And back, at most MODES (3) changes with arguments per line.
//! let lines = mode::format_modes(&changes, isupport.modes())?;
//! assert_eq!(lines.len(), 2);
//! assert_eq!(lines[0].to_string(), "+ov-b dan ann *!*@spam");
//! assert_eq!(lines[1].to_string(), "+l 10");
//! # Ok::<(), irc_proto::mode::ModeError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::isupport::{Isupport, Limit};
use crate::message::{Message, MessageBuf};

/// Whether a mode is set or unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sign {
    /// `+`: set.
    Plus,
    /// `-`: unset.
    Minus,
}

impl Sign {
    /// `'+'` or `'-'`.
    #[must_use]
    pub const fn as_char(self) -> char {
        match self {
            Self::Plus => '+',
            Self::Minus => '-',
        }
    }
}

impl fmt::Display for Sign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

/// How a channel mode takes its argument; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModeKind {
    /// Type A: a list (`b` bans); always an argument (a mask).
    List,
    /// Type B: always an argument (`k` key).
    AlwaysArg,
    /// Type C: an argument only when set (`l` limit).
    SetArg,
    /// Type D: never an argument (`m` moderated); also every unknown mode.
    NoArg,
    /// A membership mode from `PREFIX` (`o`, `v`): always an argument (a
    /// nick).
    Prefix,
}

impl ModeKind {
    /// Whether a change with this sign takes an argument.
    #[must_use]
    pub const fn takes_arg(self, sign: Sign) -> bool {
        match self {
            Self::List | Self::AlwaysArg | Self::Prefix => true,
            Self::SetArg => matches!(sign, Sign::Plus),
            Self::NoArg => false,
        }
    }
}

/// One mode change: a sign, a mode character and maybe an argument.
///
/// The argument borrows from the parsed line where it can; build changes
/// with [`with_arg`](Self::with_arg) and [`without_arg`](Self::without_arg)
/// (or [`new`](Self::new) from an `Option`), with `&str` or `String`
/// arguments; [`into_owned`](Self::into_owned) detaches one from its line.
///
/// ```
/// use irc_proto::mode::{ModeChange, Sign};
///
/// let op = ModeChange::new(Sign::Plus, 'o', Some("dan"));
/// assert_eq!(op.to_string(), "+o dan");
/// assert_eq!(ModeChange::without_arg(Sign::Minus, 'l').to_string(), "-l");
/// assert_eq!(ModeChange::new(Sign::Plus, 'k', Some(String::from("key"))).arg(), Some("key"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModeChange<'a> {
    /// Set or unset.
    pub sign: Sign,
    /// The mode character.
    pub mode: char,
    /// The argument, for modes that take one.
    pub arg: Option<Cow<'a, str>>,
}

impl<'a> ModeChange<'a> {
    /// A change; `arg` may be `&str` or `String`.
    #[must_use]
    pub fn new<A: Into<Cow<'a, str>>>(sign: Sign, mode: char, arg: Option<A>) -> Self {
        Self {
            sign,
            mode,
            arg: arg.map(Into::into),
        }
    }

    /// A change with an argument.
    #[must_use]
    pub fn with_arg<A: Into<Cow<'a, str>>>(sign: Sign, mode: char, arg: A) -> Self {
        Self {
            sign,
            mode,
            arg: Some(arg.into()),
        }
    }

    /// A change without an argument.
    #[must_use]
    pub const fn without_arg(sign: Sign, mode: char) -> Self {
        Self {
            sign,
            mode,
            arg: None,
        }
    }

    /// The argument as `&str`.
    #[must_use]
    pub fn arg(&self) -> Option<&str> {
        self.arg.as_deref()
    }

    /// A copy that owns its argument.
    #[must_use]
    pub fn into_owned(self) -> ModeChange<'static> {
        ModeChange {
            sign: self.sign,
            mode: self.mode,
            arg: self.arg.map(|a| Cow::Owned(a.into_owned())),
        }
    }
}

impl fmt::Display for ModeChange<'_> {
    /// `+o dan`, or `+m` without an argument.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.sign, self.mode)?;
        if let Some(arg) = &self.arg {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

/// Why a mode string could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ModeError {
    /// A mode that takes an argument found none left (`+o` with no nick).
    #[error("mode {sign}{mode} needs an argument")]
    MissingArgument {
        /// The sign in force.
        sign: Sign,
        /// The mode character.
        mode: char,
    },
    /// Formatting: the mode character cannot be written (a sign, a space, a
    /// control character, anything not printable ASCII).
    #[error("mode character {0:?} cannot be written")]
    InvalidMode(char),
    /// Formatting: the argument cannot be written as one middle parameter
    /// (empty, starts with `:`, or holds a space, CR, LF or NUL).
    #[error("argument {arg:?} of mode {mode} cannot be written")]
    InvalidArgument {
        /// The mode character.
        mode: char,
        /// The argument.
        arg: String,
    },
}

/// Reads a channel mode string and its arguments against `isupport`.
///
/// Yields one item per mode character: the change, or
/// [`ModeError::MissingArgument`] for a mode whose argument is missing
/// (reading then goes on; see the [module docs](self)). Never panics, on
/// any input.
///
/// ```
/// use irc_proto::isupport::Isupport;
/// use irc_proto::mode::{self, ModeChange, ModeError, Sign};
///
/// let isupport = Isupport::new();
/// let items: Vec<_> = mode::parse_channel("-k+o+m", ["*"], &isupport).collect();
/// assert_eq!(items, [
///     Ok(ModeChange::new(Sign::Minus, 'k', Some("*"))),
///     Err(ModeError::MissingArgument { sign: Sign::Plus, mode: 'o' }),
///     Ok(ModeChange::without_arg(Sign::Plus, 'm')),
/// ]);
/// ```
pub fn parse_channel<'a, 'i, I>(
    modestring: &'a str,
    args: I,
    isupport: &'i Isupport,
) -> ChannelModes<'a, 'i, I::IntoIter>
where
    I: IntoIterator<Item = &'a str>,
{
    ChannelModes {
        modes: modestring.chars(),
        sign: Sign::Plus,
        args: args.into_iter(),
        isupport,
    }
}

/// Reads a channel mode string strictly: all changes, or the first error.
///
/// # Errors
///
/// [`ModeError::MissingArgument`] when a mode needs an argument and none is
/// left.
pub fn parse_channel_all<'a, I>(
    modestring: &'a str,
    args: I,
    isupport: &Isupport,
) -> Result<Vec<ModeChange<'a>>, ModeError>
where
    I: IntoIterator<Item = &'a str>,
{
    parse_channel(modestring, args, isupport).collect()
}

/// The iterator of [`parse_channel`].
#[derive(Debug, Clone)]
pub struct ChannelModes<'a, 'i, I> {
    modes: std::str::Chars<'a>,
    sign: Sign,
    args: I,
    isupport: &'i Isupport,
}

impl<'a, I> ChannelModes<'a, '_, I>
where
    I: Iterator<Item = &'a str>,
{
    /// The arguments no mode has taken yet (call after the iteration to see
    /// the leftovers).
    pub fn remaining_args(self) -> I {
        self.args
    }
}

impl<'a, I> Iterator for ChannelModes<'a, '_, I>
where
    I: Iterator<Item = &'a str>,
{
    type Item = Result<ModeChange<'a>, ModeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let mode = self.modes.next()?;
            match mode {
                '+' => self.sign = Sign::Plus,
                '-' => self.sign = Sign::Minus,
                _ => {
                    let sign = self.sign;
                    if !self.isupport.mode_kind(mode).takes_arg(sign) {
                        return Some(Ok(ModeChange {
                            sign,
                            mode,
                            arg: None,
                        }));
                    }
                    return Some(match self.args.next() {
                        Some(arg) => Ok(ModeChange {
                            sign,
                            mode,
                            arg: Some(Cow::Borrowed(arg)),
                        }),
                        None => Err(ModeError::MissingArgument { sign, mode }),
                    });
                }
            }
        }
    }
}

/// Reads a user mode string (`+iw-x`): no mode takes an argument. Never
/// panics.
///
/// ```
/// use irc_proto::mode::{self, Sign};
/// let changes: Vec<_> = mode::parse_user("+iw-x").map(|c| (c.sign, c.mode)).collect();
/// assert_eq!(changes, [(Sign::Plus, 'i'), (Sign::Plus, 'w'), (Sign::Minus, 'x')]);
/// ```
pub fn parse_user<'a>(modestring: &str) -> impl Iterator<Item = ModeChange<'a>> + '_ {
    let mut sign = Sign::Plus;
    modestring.chars().filter_map(move |c| match c {
        '+' => {
            sign = Sign::Plus;
            None
        }
        '-' => {
            sign = Sign::Minus;
            None
        }
        mode => Some(ModeChange {
            sign,
            mode,
            arg: None,
        }),
    })
}

/// The modes of a `MODE` message or an `RPL_CHANNELMODEIS` (324) reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeMessage<'a> {
    /// The channel or nick whose modes these are.
    pub target: &'a str,
    /// Whether `target` is a channel (it starts with one of `CHANTYPES`).
    pub is_channel: bool,
    /// The changes that could be read, in order.
    pub changes: Vec<ModeChange<'a>>,
    /// The modes that lacked an argument (see the [module docs](self)).
    pub errors: Vec<ModeError>,
}

impl<'a> ModeMessage<'a> {
    /// Reads `MODE <target> <modestring> [args...]` or
    /// `324 <client> <channel> <modestring> [args...]`; channel targets are
    /// read with [`parse_channel`], others with [`parse_user`].
    ///
    /// `None` when the message is neither, or has no mode string (a
    /// `MODE #chan` query).
    ///
    /// ```
    /// use irc_proto::Message;
    /// use irc_proto::isupport::Isupport;
    /// use irc_proto::mode::{ModeMessage, Sign};
    ///
    /// let isupport = Isupport::new();
    /// let msg = Message::parse(":ChanServ!s@services MODE #rust +o-v dan ann").unwrap();
    /// let modes = ModeMessage::from_message(&msg, &isupport).unwrap();
    /// assert_eq!(modes.target, "#rust");
    /// assert_eq!(modes.changes.len(), 2);
    /// assert_eq!(modes.changes[1].sign, Sign::Minus);
    /// assert_eq!(modes.changes[1].arg(), Some("ann"));
    ///
    /// let reply = Message::parse(":srv 324 dan #rust +ntl 50").unwrap();
    /// let modes = ModeMessage::from_message(&reply, &isupport).unwrap();
    /// assert_eq!(modes.changes[2].arg(), Some("50"));
    /// ```
    #[must_use]
    pub fn from_message(msg: &Message<'a>, isupport: &Isupport) -> Option<Self> {
        let skip = if msg.is_command("MODE") {
            0
        } else if msg.numeric() == Some(324) {
            1
        } else {
            return None;
        };
        let mut params = msg.params().iter().skip(skip);
        let target = params.next()?;
        let modestring = params.next()?;
        let is_channel = isupport.is_channel_name(target);
        let mut changes = Vec::new();
        let mut errors = Vec::new();
        if is_channel {
            for item in parse_channel(modestring, params, isupport) {
                match item {
                    Ok(c) => changes.push(c),
                    Err(e) => errors.push(e),
                }
            }
        } else {
            changes.extend(parse_user(modestring));
        }
        Some(Self {
            target,
            is_channel,
            changes,
            errors,
        })
    }
}

/// One `MODE` line's worth of changes: a mode string and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModeLine {
    /// `+ov-b`.
    pub modestring: String,
    /// The arguments in order.
    pub args: Vec<String>,
}

impl ModeLine {
    /// A `MODE <target> ...` message for these changes.
    #[must_use]
    pub fn to_message(&self, target: &str) -> MessageBuf {
        MessageBuf::new("MODE")
            .with_param(target)
            .with_param(self.modestring.as_str())
            .with_params(self.args.iter().map(String::as_str))
    }
}

impl fmt::Display for ModeLine {
    /// `+ov-b dan ann *!*@spam`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.modestring)?;
        for a in &self.args {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// Writes changes as mode lines, each carrying at most `max_args` changes
/// with an argument (the meaning of ISUPPORT `MODES`; pass
/// [`Isupport::modes`]). Changes without an argument ride along on the
/// current line. Signs are written only when they change. A limit of 0 is
/// read as 1.
///
/// Nothing checks that each change has the argument its mode needs;
/// changes read with [`parse_channel`] always do, and then reading the
/// lines back gives the same changes.
///
/// # Errors
///
/// [`ModeError::InvalidMode`] for a mode character that is not printable
/// ASCII or is a sign, and [`ModeError::InvalidArgument`] for an argument
/// that cannot be one middle parameter: either would corrupt the line.
pub fn format_modes(
    changes: &[ModeChange<'_>],
    max_args: Limit,
) -> Result<Vec<ModeLine>, ModeError> {
    format_modes_within(changes, max_args, usize::MAX)
}

/// As [`format_modes`], and also keeps each line's text (the mode string,
/// the arguments and the spaces between them, as [`ModeLine`]'s `Display`
/// writes it) within `max_bytes`. A single change longer than that on its
/// own still gets a line of its own: the packer then refuses or cuts it.
///
/// ```
/// use irc_proto::isupport::Limit;
/// use irc_proto::mode::{self, ModeChange, Sign};
///
/// let bans: Vec<_> = ["*!*@a.example", "*!*@b.example", "*!*@c.example"]
///     .into_iter()
///     .map(|m| ModeChange::with_arg(Sign::Plus, 'b', m))
///     .collect();
/// let lines = mode::format_modes_within(&bans, Limit::Unlimited, 32)?;
/// let text: Vec<_> = lines.iter().map(ToString::to_string).collect();
/// assert_eq!(text, ["+bb *!*@a.example *!*@b.example", "+b *!*@c.example"]);
/// # Ok::<(), irc_proto::mode::ModeError>(())
/// ```
///
/// # Errors
///
/// As [`format_modes`].
pub fn format_modes_within(
    changes: &[ModeChange<'_>],
    max_args: Limit,
    max_bytes: usize,
) -> Result<Vec<ModeLine>, ModeError> {
    let max = max_args.get().map_or(usize::MAX, |n| n.max(1));
    let mut lines = Vec::new();
    let mut line = ModeLine::default();
    // The length `line` has when displayed.
    let mut len = 0;
    let mut sign = None;
    for change in changes {
        let mode = change.mode;
        if !mode.is_ascii_graphic() || mode == '+' || mode == '-' {
            return Err(ModeError::InvalidMode(mode));
        }
        let arg = change.arg();
        if let Some(arg) = arg
            && (arg.is_empty() || arg.starts_with(':') || arg.contains([' ', '\r', '\n', '\0']))
        {
            return Err(ModeError::InvalidArgument {
                mode,
                arg: arg.to_owned(),
            });
        }
        // What this change adds: a sign when it changes, the mode, and a
        // space and the argument.
        let grows = usize::from(sign != Some(change.sign)) + 1 + arg.map_or(0, |a| a.len() + 1);
        let full = arg.is_some() && line.args.len() == max;
        if !line.modestring.is_empty() && (full || len + grows > max_bytes) {
            lines.push(std::mem::take(&mut line));
            len = 0;
            sign = None;
        }
        if sign != Some(change.sign) {
            line.modestring.push(change.sign.as_char());
            sign = Some(change.sign);
            len += 1;
        }
        line.modestring.push(mode);
        len += 1;
        if let Some(arg) = arg {
            line.args.push(arg.to_owned());
            len += arg.len() + 1;
        }
    }
    if !line.modestring.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// `MODE <target>` messages for `changes`, split by `isupport`'s `MODES`
/// and so that each line fits its `LINELEN`; see [`format_modes_within`].
///
/// ```
/// use irc_proto::isupport::Isupport;
/// use irc_proto::mode::{self, ModeChange, Sign};
///
/// let isupport = Isupport::parse("MODES=1");
/// let ops = [ModeChange::new(Sign::Plus, 'o', Some("dan")), ModeChange::new(Sign::Plus, 'o', Some("ann"))];
/// let msgs = mode::mode_messages("#rust", &ops, &isupport)?;
/// assert_eq!(msgs[0].pack().unwrap(), "MODE #rust +o dan");
/// assert_eq!(msgs[1].pack().unwrap(), "MODE #rust +o ann");
/// # Ok::<(), irc_proto::mode::ModeError>(())
/// ```
///
/// # Errors
///
/// As [`format_modes`].
pub fn mode_messages(
    target: &str,
    changes: &[ModeChange<'_>],
    isupport: &Isupport,
) -> Result<Vec<MessageBuf>, ModeError> {
    // The line is `MODE <target> <modes...>` with its CRLF within LINELEN.
    let overhead = "MODE ".len() + target.len() + " ".len() + "\r\n".len();
    let budget = isupport.linelen().saturating_sub(overhead).max(1);
    Ok(format_modes_within(changes, isupport.modes(), budget)?
        .iter()
        .map(|l| l.to_message(target))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ch(sign: Sign, mode: char, arg: Option<&str>) -> ModeChange<'_> {
        ModeChange::new(sign, mode, arg)
    }

    #[test]
    fn the_usual_suspects() {
        let i = Isupport::new();
        use Sign::{Minus, Plus};
        let cases: &[(&str, &[&str], Vec<ModeChange<'_>>)] = &[
            (
                "+ov-b",
                &["nick1", "nick2", "mask"],
                vec![
                    ch(Plus, 'o', Some("nick1")),
                    ch(Plus, 'v', Some("nick2")),
                    ch(Minus, 'b', Some("mask")),
                ],
            ),
            ("+l", &["10"], vec![ch(Plus, 'l', Some("10"))]),
            ("-l", &[], vec![ch(Minus, 'l', None)]),
            ("+k", &["key"], vec![ch(Plus, 'k', Some("key"))]),
            ("-k", &["*"], vec![ch(Minus, 'k', Some("*"))]),
            ("nt", &[], vec![ch(Plus, 'n', None), ch(Plus, 't', None)]),
            ("+-+m", &[], vec![ch(Plus, 'm', None)]),
            ("", &["x"], vec![]),
            // Unknown modes take no argument.
            (
                "+Xo",
                &["dan"],
                vec![ch(Plus, 'X', None), ch(Plus, 'o', Some("dan"))],
            ),
        ];
        for (modes, args, want) in cases {
            let got = parse_channel_all(modes, args.iter().copied(), &i).unwrap();
            assert_eq!(&got, want, "{modes} {args:?}");
        }
    }

    #[test]
    fn missing_arguments_do_not_hide_later_changes() {
        let i = Isupport::new();
        let items: Vec<_> = parse_channel("+bo-v+i", ["*!*@a"], &i).collect();
        assert_eq!(
            items,
            [
                Ok(ch(Sign::Plus, 'b', Some("*!*@a"))),
                Err(ModeError::MissingArgument {
                    sign: Sign::Plus,
                    mode: 'o'
                }),
                Err(ModeError::MissingArgument {
                    sign: Sign::Minus,
                    mode: 'v'
                }),
                Ok(ch(Sign::Plus, 'i', None)),
            ]
        );
        assert_eq!(
            parse_channel_all("+o", [], &i),
            Err(ModeError::MissingArgument {
                sign: Sign::Plus,
                mode: 'o'
            })
        );
        let mut it = parse_channel("+o", ["a", "b", "c"], &i);
        assert!(it.next().is_some());
        assert!(it.next().is_none());
        assert_eq!(it.remaining_args().collect::<Vec<_>>(), ["b", "c"]);
    }

    #[test]
    fn modes_follow_isupport() {
        let i = Isupport::parse("PREFIX=(qaohv)~&@%+ CHANMODES=beIq,k,fl,imnt");
        // 'q' is a prefix mode here: PREFIX wins over CHANMODES.
        let got = parse_channel_all("+qf-f", ["owner", "30:5"], &i).unwrap();
        assert_eq!(
            got,
            [
                ch(Sign::Plus, 'q', Some("owner")),
                ch(Sign::Plus, 'f', Some("30:5")),
                ch(Sign::Minus, 'f', None)
            ]
        );
    }

    #[test]
    fn messages() {
        let i = Isupport::new();
        let m = Message::parse(":dan!d@h MODE dan :+iw-x").unwrap();
        let mm = ModeMessage::from_message(&m, &i).unwrap();
        assert!(!mm.is_channel);
        assert_eq!(mm.changes.len(), 3);
        assert!(mm.changes.iter().all(|c| c.arg.is_none()));
        let m = Message::parse(":srv MODE #c +o").unwrap();
        let mm = ModeMessage::from_message(&m, &i).unwrap();
        assert!(mm.changes.is_empty());
        assert_eq!(mm.errors.len(), 1);
        // A query without a mode string is not a change.
        assert!(ModeMessage::from_message(&Message::parse(":srv MODE #c").unwrap(), &i).is_none());
        assert!(
            ModeMessage::from_message(&Message::parse("PRIVMSG #c :+o").unwrap(), &i).is_none()
        );
        assert!(ModeMessage::from_message(&Message::parse(":srv 324 dan").unwrap(), &i).is_none());
    }

    #[test]
    fn formatting_chunks_by_arguments() {
        use Sign::{Minus, Plus};
        let changes = [
            ch(Plus, 'o', Some("a")),
            ch(Plus, 'm', None),
            ch(Plus, 'v', Some("b")),
            ch(Minus, 'b', Some("c")),
            ch(Minus, 'n', None),
            ch(Minus, 'o', Some("d")),
        ];
        let lines = format_modes(&changes, Limit::At(2)).unwrap();
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["+omv a b", "-bno c d"]);
        let one = format_modes(&changes, Limit::Unlimited).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].to_string(), "+omv-bno a b c d");
        assert_eq!(format_modes(&changes, Limit::At(0)).unwrap().len(), 4);
        assert!(format_modes(&[], Limit::At(3)).unwrap().is_empty());
        assert_eq!(
            format_modes(&[ch(Plus, ' ', None)], Limit::At(3)),
            Err(ModeError::InvalidMode(' '))
        );
        assert!(matches!(
            format_modes(&[ch(Plus, 'k', Some("a b"))], Limit::At(3)),
            Err(ModeError::InvalidArgument { mode: 'k', .. })
        ));
        assert!(format_modes(&[ch(Plus, 'k', Some(":x"))], Limit::At(3)).is_err());
        assert!(format_modes(&[ch(Plus, 'k', Some(""))], Limit::At(3)).is_err());
    }

    #[test]
    fn messages_fit_linelen() {
        let i = Isupport::parse("MODES LINELEN=512");
        let masks: Vec<String> = (0..6)
            .map(|n| format!("*!*@{n}{}", "x".repeat(150)))
            .collect();
        let bans: Vec<_> = masks
            .iter()
            .map(|m| ModeChange::with_arg(Sign::Plus, 'b', m.as_str()))
            .collect();
        let msgs = mode_messages("#channel", &bans, &i).unwrap();
        assert_eq!(msgs.len(), 2);
        let mut back = Vec::new();
        for m in &msgs {
            let line = m.pack().unwrap();
            assert!(line.len() + 2 <= 512, "{} bytes", line.len());
            let parsed = Message::parse(&line).unwrap();
            back.extend(
                ModeMessage::from_message(&parsed, &i)
                    .unwrap()
                    .changes
                    .into_iter()
                    .map(ModeChange::into_owned),
            );
        }
        assert_eq!(back, bans);
    }

    fn isupport_strategy() -> impl Strategy<Value = Isupport> {
        (
            "[a-zA-Z]{0,4}",
            "[a-zA-Z]{0,3}",
            "[a-zA-Z]{0,3}",
            "[a-zA-Z]{0,6}",
            "[a-z]{0,3}",
        )
            .prop_map(|(a, b, c, d, p)| {
                let symbols: String = "~&@%+!".chars().take(p.len()).collect();
                Isupport::parse(&format!("CHANMODES={a},{b},{c},{d} PREFIX=({p}){symbols}"))
            })
    }

    proptest! {
        #[test]
        fn parsing_never_panics(
            modes in "\\PC{0,20}",
            args in prop::collection::vec("\\PC{0,6}", 0..6),
            chanmodes in "\\PC{0,16}",
            prefix in "\\PC{0,10}",
        ) {
            let i = Isupport::parse(&format!("CHANMODES={chanmodes} PREFIX={prefix}"));
            let n = parse_channel(&modes, args.iter().map(String::as_str), &i).count();
            prop_assert_eq!(n, modes.chars().filter(|c| *c != '+' && *c != '-').count());
            let _ = parse_user(&modes).count();
        }

        #[test]
        fn format_then_parse_round_trips(
            i in isupport_strategy(),
            raw in prop::collection::vec((any::<bool>(), "[a-zA-Z]", "[!-9;-~][!-~]{0,5}"), 0..12),
            max in 0usize..5,
            budget in 1usize..40,
        ) {
            // Build changes whose arguments agree with the server's modes.
            let changes: Vec<ModeChange<'static>> = raw
                .into_iter()
                .map(|(plus, m, arg)| {
                    let sign = if plus { Sign::Plus } else { Sign::Minus };
                    let mode = m.chars().next().unwrap_or('x');
                    let arg = i.mode_kind(mode).takes_arg(sign).then_some(arg);
                    ModeChange::new(sign, mode, arg)
                })
                .collect();
            let lines = format_modes_within(&changes, Limit::At(max), budget).unwrap();
            let mut back = Vec::new();
            for line in &lines {
                prop_assert!(line.args.len() <= max.max(1));
                let text = line.to_string();
                let modes = line.modestring.chars().filter(|c| *c != '+' && *c != '-').count();
                prop_assert!(text.len() <= budget || modes == 1, "{} over {}", text, budget);
                let parsed = parse_channel_all(&line.modestring, line.args.iter().map(String::as_str), &i);
                prop_assert!(parsed.is_ok());
                back.extend(parsed.unwrap_or_default().into_iter().map(ModeChange::into_owned));
                // Every line also survives the packer.
                prop_assert!(line.to_message("#c").pack().is_ok());
            }
            prop_assert_eq!(back, changes);
        }
    }
}
