//! Channel and user state, tracked from the messages the server sends
//! (sans I/O: messages in, a few lines to send out).
//!
//! [`Tracker`] keeps our nick, the server's `ISUPPORT` and casemapping, the
//! enabled capabilities ([`Caps`]), open batches ([`Batches`]), and for
//! every channel we are in: its members with all their prefix modes, its
//! topic (text, setter, time), and its modes; for every user who shares a
//! channel with us: nick, user, host, real name, account and away status.
//!
//! What feeds what:
//!
//! | message | state |
//! | --- | --- |
//! | `001` | our nick; a new session |
//! | `005` | `ISUPPORT`; a new `CASEMAPPING` re-keys every map |
//! | `JOIN` (`extended-join`) | membership; account and real name |
//! | `PART`, `KICK`, `QUIT` | membership; users sharing no channel with us are dropped |
//! | `NICK` | renames (our own too) |
//! | `353` (`multi-prefix`, `userhost-in-names`), `366` | members and their prefixes |
//! | `332`, `333`, `TOPIC` | topic, setter, time |
//! | `324`, `MODE` | channel modes (list modes are not kept) and member prefixes |
//! | `ACCOUNT`, `AWAY`, `CHGHOST`, `SETNAME` | user details (`account-notify`, `away-notify`, `chghost`, `setname`) |
//! | `352`, `354` (WHOX `%tcuhnfar`), `311`, `301` | user details |
//! | `CAP` | [`Caps`] |
//! | `BATCH` and `batch` tags | [`Batches`] |
//! | `ERROR` | the session ended |
//!
//! Everything is keyed by the server's casemapping; each message costs a
//! few hash look-ups, and memory follows real membership: a user is kept
//! while they share a channel with us, and no longer.
//!
//! With [`TrackerOptions::members`] off (what
//! [`ClientBuilder::track_state(false)`](crate::ClientBuilder::track_state)
//! sets), the lines about users are skipped at once and the channels have
//! no members: what is left costs a comparison of the command per line.
//!
//! ```
//! use irc_client::state::tracker::Tracker;
//! use irc_proto::Message;
//!
//! let mut t = Tracker::new();
//! for line in [
//!     ":srv 001 me :Welcome",
//!     ":srv 005 me PREFIX=(ov)@+ CASEMAPPING=rfc1459 :are supported",
//!     ":me!u@h JOIN #Rust",
//!     ":srv 353 me = #rust :me @+Dan!d@host ann",
//!     ":srv 366 me #rust :End of /NAMES list.",
//!     ":Dan!d@host TOPIC #rust :Welcome!",
//! ] {
//!     t.handle(&Message::parse(line).unwrap());
//! }
//! let chan = t.channel("#RUST").unwrap();
//! assert_eq!(chan.name, "#Rust");
//! assert_eq!(chan.member("dan").unwrap().prefixes, "@+");
//! assert_eq!(chan.topic.as_ref().unwrap().set_by.as_deref(), Some("Dan!d@host"));
//! assert_eq!(t.user("DAN").unwrap().host.as_deref(), Some("host"));
//! ```

use std::collections::HashMap;

/// The maps of the tracker, looked up for most lines: a fast hash with a
/// random seed per map (nicks and channel names are chosen by others).
type Index<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use irc_proto::casemap::CaseMapping;
use irc_proto::isupport::Isupport;
use irc_proto::mode::{self, ModeKind, Sign};
use irc_proto::{Message, MessageBuf, Source};

use crate::batch::{BatchInfo, Batches};
use crate::client::Client;
use crate::state::caps::Caps;

/// The WHOX token the tracker puts in its `WHO` requests, to tell its
/// replies from others.
pub const WHOX_TOKEN: &str = "616";

/// What the tracker does by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerOptions {
    /// After joining, ask `WHO #channel` (WHOX `%tcuhnfar` when the server
    /// has it) for the members' user, host, real name, account and away
    /// status. On by default.
    pub who_on_join: bool,
    /// After joining, ask `MODE #channel` for the channel modes. On by
    /// default.
    pub modes_on_join: bool,
    /// Follow the members of our channels and what is known of each user
    /// (host, account, away, real name). On by default. Off, channels are
    /// still followed (name, topic, modes) but have no members, no user is
    /// kept and no `WHO` is sent: what
    /// [`ClientBuilder::track_state(false)`](crate::ClientBuilder::track_state)
    /// sets. Turning it off drops the members and users held; turning it
    /// on again follows members from the next line on, so a channel's list
    /// is complete only after its next `NAMES` reply (a new `JOIN`).
    pub members: bool,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        Self {
            who_on_join: true,
            modes_on_join: true,
            members: true,
        }
    }
}

/// A channel topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Topic {
    /// The text (empty: no topic).
    pub text: String,
    /// Who set it (`nick` or `nick!user@host`), when known.
    pub set_by: Option<String>,
    /// When, in seconds since the Unix epoch, when known.
    pub set_at: Option<u64>,
}

/// A snapshot of one member of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemberView {
    /// The nick.
    pub nick: String,
    /// The prefix symbols, highest first (`@+`).
    pub prefixes: String,
    /// The prefix modes, highest first (`ov`).
    pub modes: String,
}

impl MemberView {
    /// Whether the member has this prefix mode (`'o'`).
    #[must_use]
    pub fn has_mode(&self, mode: char) -> bool {
        self.modes.contains(mode)
    }

    /// The highest prefix symbol, if any.
    #[must_use]
    pub fn highest(&self) -> Option<char> {
        self.prefixes.chars().next()
    }
}

/// A snapshot of a channel we are in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelView {
    /// The name as the server spelt it in our `JOIN`.
    pub name: String,
    /// The topic, when one was seen.
    pub topic: Option<Topic>,
    /// The channel modes (`n`, `t`, `k` with its key, `l` with its limit,
    /// ...), sorted; list modes (bans, ...) are not kept.
    pub modes: Vec<(char, Option<String>)>,
    /// The members, sorted by nick.
    pub members: Vec<MemberView>,
    /// Whether the member list is complete (`366` seen).
    pub synced: bool,
    /// The server's casemapping when the snapshot was taken.
    pub casemapping: CaseMapping,
}

impl ChannelView {
    /// A member, by nick, under the server's casemapping (a linear
    /// search of the snapshot).
    #[must_use]
    pub fn member(&self, nick: &str) -> Option<&MemberView> {
        self.members
            .iter()
            .find(|m| self.casemapping.equal(&m.nick, nick))
    }

    /// A channel mode: `Some(None)` for a mode without argument,
    /// `Some(Some(arg))` with one, `None` when unset.
    #[must_use]
    pub fn mode(&self, mode: char) -> Option<Option<&str>> {
        self.modes
            .iter()
            .find(|(m, _)| *m == mode)
            .map(|(_, a)| a.as_deref())
    }

    /// The modes as a mode string without arguments (`+klnt`).
    #[must_use]
    pub fn mode_string(&self) -> String {
        let mut s = String::from("+");
        s.extend(self.modes.iter().map(|(m, _)| *m));
        s
    }
}

/// A snapshot of a user who shares a channel with us.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserView {
    /// The nick.
    pub nick: String,
    /// The user (ident), when known.
    pub user: Option<String>,
    /// The host, when known.
    pub host: Option<String>,
    /// The real name, when known.
    pub realname: Option<String>,
    /// The account they are logged in to; `None`: not logged in, or not
    /// known.
    pub account: Option<String>,
    /// `Some(message)` while away (the message may be empty when only the
    /// away flag is known).
    pub away: Option<String>,
    /// The channels we share, by name.
    pub channels: Vec<String>,
}

/// A tiny slab: stable `u32` ids, reused after removal.
#[derive(Debug, Clone)]
struct Slab<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    fn insert(&mut self, value: T) -> u32 {
        self.len += 1;
        if let Some(id) = self.free.pop() {
            self.slots[id as usize] = Some(value);
            id
        } else {
            self.slots.push(Some(value));
            u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
        }
    }

    fn remove(&mut self, id: u32) -> Option<T> {
        let value = self.slots.get_mut(id as usize)?.take()?;
        self.len -= 1;
        self.free.push(id);
        Some(value)
    }

    fn get(&self, id: u32) -> Option<&T> {
        self.slots.get(id as usize)?.as_ref()
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.slots.get_mut(id as usize)?.as_mut()
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.slots.iter_mut().filter_map(Option::as_mut)
    }

    fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((u32::try_from(i).ok()?, s.as_ref()?)))
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.len = 0;
    }
}

#[derive(Debug, Clone)]
struct Chan {
    name: String,
    topic: Option<Topic>,
    modes: Vec<(char, Option<String>)>,
    /// Members by user id: a bit per `PREFIX` entry (bit 0 = highest).
    members: Index<u32, u64>,
    synced: bool,
}

#[derive(Debug, Clone, Default)]
struct UserEntry {
    nick: String,
    user: Option<String>,
    host: Option<String>,
    realname: Option<String>,
    account: Option<String>,
    away: Option<String>,
    /// The channels we share.
    channels: Vec<u32>,
}

/// What the caller has to do after [`Tracker::handle`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Output {
    /// Lines to send (`WHO`, `MODE`, `CAP REQ`).
    pub send: Vec<MessageBuf>,
    /// A batch this message completed.
    pub completed_batch: Option<Arc<BatchInfo>>,
}

/// The state tracker; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Tracker {
    cm: CaseMapping,
    isupport: Isupport,
    me: String,
    registered: bool,
    chans: Slab<Chan>,
    chan_index: Index<String, u32>,
    users: Slab<UserEntry>,
    nick_index: Index<String, u32>,
    /// Reused buffer for folded names.
    scratch: String,
    caps: Caps,
    batches: Batches,
    options: TrackerOptions,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

/// Folds `name` into `buf` (cleared first), allocation-free once `buf` has
/// grown.
fn fold_into(cm: CaseMapping, name: &str, buf: &mut String) {
    buf.clear();
    if name
        .bytes()
        .any(|b| matches!(b, b'[' | b'\\' | b']' | b'^'))
    {
        buf.extend(name.chars().map(|c| cm.fold_char(c)));
    } else {
        // Every casemapping folds the rest of ASCII as ASCII lower case does,
        // and leaves other characters alone.
        buf.push_str(name);
        buf.make_ascii_lowercase();
    }
}

fn lookup(
    index: &Index<String, u32>,
    buf: &mut String,
    cm: CaseMapping,
    name: &str,
) -> Option<u32> {
    fold_into(cm, name, buf);
    index.get(buf.as_str()).copied()
}

fn some_nonempty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

impl Tracker {
    /// An empty tracker that wants no capabilities after registration.
    #[must_use]
    pub fn new() -> Self {
        Self::with_caps(Caps::default(), TrackerOptions::default())
    }

    /// A tracker with this capability state (what to request on
    /// `CAP NEW`) and options.
    #[must_use]
    pub fn with_caps(caps: Caps, options: TrackerOptions) -> Self {
        Self {
            cm: CaseMapping::default(),
            isupport: Isupport::new(),
            me: String::new(),
            registered: false,
            chans: Slab::default(),
            chan_index: Index::default(),
            users: Slab::default(),
            nick_index: Index::default(),
            scratch: String::new(),
            caps,
            batches: Batches::default(),
            options,
        }
    }

    /// The options.
    #[must_use]
    pub const fn options(&self) -> TrackerOptions {
        self.options
    }

    /// Changes the options; turning [`TrackerOptions::members`] off drops
    /// the members and users held.
    pub fn set_options(&mut self, options: TrackerOptions) {
        if self.options.members && !options.members {
            self.forget_members();
        }
        self.options = options;
    }

    /// Drops every user and membership, keeping the channels.
    fn forget_members(&mut self) {
        self.users.clear();
        self.nick_index.clear();
        for c in self.chans.values_mut() {
            c.members.clear();
        }
    }

    /// Our nick (empty before `001`).
    #[must_use]
    pub fn me(&self) -> &str {
        &self.me
    }

    /// Whether `001` was seen on this session.
    #[must_use]
    pub const fn is_registered(&self) -> bool {
        self.registered
    }

    /// The server's `ISUPPORT`.
    #[must_use]
    pub const fn isupport(&self) -> &Isupport {
        &self.isupport
    }

    /// The casemapping in force.
    #[must_use]
    pub const fn casemapping(&self) -> CaseMapping {
        self.cm
    }

    /// The capabilities.
    #[must_use]
    pub const fn caps(&self) -> &Caps {
        &self.caps
    }

    /// The batches.
    #[must_use]
    pub const fn batches(&self) -> &Batches {
        &self.batches
    }

    /// How many channels we are in.
    #[must_use]
    pub const fn channel_count(&self) -> usize {
        self.chans.len
    }

    /// How many users are tracked (us included, while we are in a
    /// channel).
    #[must_use]
    pub const fn user_count(&self) -> usize {
        self.users.len
    }

    /// How many memberships are tracked, over all channels.
    #[must_use]
    pub fn membership_count(&self) -> usize {
        self.chans.iter().map(|(_, c)| c.members.len()).sum()
    }

    /// Whether `name` is the same as our nick.
    #[must_use]
    pub fn is_me(&self, nick: &str) -> bool {
        !self.me.is_empty() && self.cm.equal(nick, &self.me)
    }

    /// Whether we are in `channel`.
    #[must_use]
    pub fn is_joined(&self, channel: &str) -> bool {
        self.chan_index.contains_key(self.cm.fold(channel).as_ref())
    }

    fn chan_id(&self, name: &str) -> Option<u32> {
        self.chan_index.get(self.cm.fold(name).as_ref()).copied()
    }

    fn user_id(&self, nick: &str) -> Option<u32> {
        self.nick_index.get(self.cm.fold(nick).as_ref()).copied()
    }

    /// A snapshot of a channel we are in.
    #[must_use]
    pub fn channel(&self, name: &str) -> Option<ChannelView> {
        let chan = self.chans.get(self.chan_id(name)?)?;
        Some(self.view(chan))
    }

    /// Whether the channel has `nick` as a member, and its prefix modes
    /// (`Some("ov")`), without a whole snapshot.
    #[must_use]
    pub fn member_modes(&self, channel: &str, nick: &str) -> Option<String> {
        let chan = self.chans.get(self.chan_id(channel)?)?;
        let bits = *chan.members.get(&self.user_id(nick)?)?;
        Some(self.prefix_string(bits, false))
    }

    /// The names of the channels we are in, sorted.
    #[must_use]
    pub fn channels(&self) -> Vec<String> {
        let mut names: Vec<String> = self.chans.iter().map(|(_, c)| c.name.clone()).collect();
        names.sort_by(|a, b| self.cm.compare(a, b));
        names
    }

    /// A snapshot of a user who shares a channel with us.
    #[must_use]
    pub fn user(&self, nick: &str) -> Option<UserView> {
        let u = self.users.get(self.user_id(nick)?)?;
        let mut channels: Vec<String> = u
            .channels
            .iter()
            .filter_map(|c| self.chans.get(*c).map(|c| c.name.clone()))
            .collect();
        channels.sort_by(|a, b| self.cm.compare(a, b));
        Some(UserView {
            nick: u.nick.clone(),
            user: u.user.clone(),
            host: u.host.clone(),
            realname: u.realname.clone(),
            account: u.account.clone(),
            away: u.away.clone(),
            channels,
        })
    }

    fn prefix_string(&self, bits: u64, symbols: bool) -> String {
        let mut s = String::new();
        for (i, (mode, symbol)) in self.isupport.prefix().iter().enumerate().take(64) {
            if bits & (1 << i) != 0 {
                s.push(if symbols { symbol } else { mode });
            }
        }
        s
    }

    fn view(&self, chan: &Chan) -> ChannelView {
        let mut members: Vec<MemberView> = chan
            .members
            .iter()
            .filter_map(|(uid, bits)| {
                let u = self.users.get(*uid)?;
                Some(MemberView {
                    nick: u.nick.clone(),
                    prefixes: self.prefix_string(*bits, true),
                    modes: self.prefix_string(*bits, false),
                })
            })
            .collect();
        members.sort_by(|a, b| self.cm.compare(&a.nick, &b.nick));
        ChannelView {
            name: chan.name.clone(),
            topic: chan.topic.clone(),
            modes: chan.modes.clone(),
            members,
            synced: chan.synced,
            casemapping: self.cm,
        }
    }

    /// Forgets the channels, users and batches of the session (the
    /// connection ended).
    pub fn end_session(&mut self) {
        self.chans.clear();
        self.chan_index.clear();
        self.users.clear();
        self.nick_index.clear();
        self.batches.clear();
        self.registered = false;
    }

    /// Feeds one message from the server.
    pub fn handle(&mut self, msg: &Message<'_>) -> Output {
        self.handle_at(msg, None)
    }

    /// Feeds one message; `now` (seconds since the Unix epoch) dates a
    /// `TOPIC` change that carries no `time` tag.
    pub fn handle_at(&mut self, msg: &Message<'_>, now: Option<u64>) -> Output {
        let mut out = Output::default();
        let upper;
        let cmd = if msg.command().bytes().any(|b| b.is_ascii_lowercase()) {
            upper = msg.command().to_ascii_uppercase();
            upper.as_str()
        } else {
            msg.command()
        };
        if cmd == "BATCH" || (msg.has_tags() && self.batches.has_open()) {
            out.completed_batch = self.batches.handle(msg);
        }
        // Messages, most of the traffic, first.
        if matches!(cmd, "PRIVMSG" | "NOTICE" | "TAGMSG") {
            if self.options.members {
                self.learn_from_message(msg);
            }
            return out;
        }
        let p = |i: usize| msg.param(i).unwrap_or("");
        let source = msg.source();
        let nick = source.as_ref().map_or("", Source::nick);
        // Without members, what only concerns users is skipped at once (and
        // with them, this costs one test of a flag).
        if !self.options.members && concerns_users_only(cmd) {
            return out;
        }
        match cmd {
            "001" => self.welcome(p(0)),
            "005" => self.isupport_line(msg),
            "CAP" => {
                if msg.param(0).is_some_and(|t| t == "*")
                    && self.registered
                    && msg.param(1).is_some_and(|s| s.eq_ignore_ascii_case("LS"))
                {
                    // A new connection's first reply.
                    self.end_session();
                }
                out.send
                    .extend(self.caps.handle(&msg.to_buf(), self.registered));
            }
            "ERROR" => {
                self.end_session();
                self.caps.reset();
            }
            "JOIN" => self.join(source.as_ref(), msg, &mut out),
            "PART" => self.part(p(0), nick),
            "KICK" => self.part(p(0), p(1)),
            "QUIT" => self.quit(nick),
            "NICK" => self.rename(nick, p(0)),
            "353" => self.names(msg),
            "366" => {
                if let Some(c) = self.chan_id(p(1)).and_then(|id| self.chans.get_mut(id)) {
                    c.synced = true;
                }
            }
            "332" => self.with_topic(p(1), |t| p(2).clone_into(&mut t.text)),
            "331" => self.with_topic(p(1), |t| *t = Topic::default()),
            "333" => self.with_topic(p(1), |t| {
                t.set_by = some_nonempty(p(2));
                t.set_at = p(3).parse().ok();
            }),
            "TOPIC" => {
                let at = msg
                    .tag("time")
                    .as_deref()
                    .and_then(parse_server_time)
                    .or(now);
                let by = source.as_ref().map(|s| s.as_str().to_owned());
                self.with_topic(p(0), |t| {
                    p(1).clone_into(&mut t.text);
                    t.set_by = by;
                    t.set_at = at;
                });
            }
            "324" => self.modes(msg, 1, true),
            "MODE" => self.modes(msg, 0, false),
            "ACCOUNT" => self.with_user(nick, |u| {
                u.account = Some(p(0))
                    .filter(|a| *a != "*" && !a.is_empty())
                    .map(str::to_owned);
            }),
            "AWAY" => self.with_user(nick, |u| {
                u.away = msg.param(0).map(str::to_owned);
            }),
            "CHGHOST" => self.with_user(nick, |u| {
                u.user = some_nonempty(p(0));
                u.host = some_nonempty(p(1));
            }),
            "SETNAME" => self.with_user(nick, |u| u.realname = Some(p(0).to_owned())),
            "301" => self.with_user(p(1), |u| u.away = Some(p(2).to_owned())),
            "311" => self.with_user(p(1), |u| {
                u.user = some_nonempty(p(2));
                u.host = some_nonempty(p(3));
                u.realname = Some(p(5).to_owned());
            }),
            "352" => {
                // <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
                let realname = p(7).split_once(' ').map_or("", |(_, r)| r);
                let flags = p(6);
                self.with_user(p(5), |u| {
                    u.user = some_nonempty(p(2));
                    u.host = some_nonempty(p(3));
                    u.realname = Some(realname.to_owned());
                    away_flag(u, flags);
                });
            }
            "354" if p(1) == WHOX_TOKEN => {
                // <me> <token> <channel> <user> <host> <nick> <flags> <account> :<realname>
                let flags = p(6);
                self.with_user(p(5), |u| {
                    u.user = some_nonempty(p(3));
                    u.host = some_nonempty(p(4));
                    u.account = Some(p(7))
                        .filter(|a| *a != "0" && !a.is_empty())
                        .map(str::to_owned);
                    u.realname = Some(p(8).to_owned());
                    away_flag(u, flags);
                });
            }
            _ => {}
        }
        out
    }

    /// Learns what a message's source (host) and `account` tag tell about
    /// the member who sent it.
    fn learn_from_message(&mut self, msg: &Message<'_>) {
        if self.nick_index.is_empty() {
            // Nobody known (no channel yet).
            return;
        }
        let Some(source) = msg.source() else {
            return;
        };
        let Some(host) = source.host() else {
            return;
        };
        self.with_user(source.nick(), |u| {
            if u.host.as_deref() != Some(host) {
                u.host = Some(host.to_owned());
                u.user = source.user().map(str::to_owned);
            }
            if let Some(a) = msg.tag("account")
                && u.account.as_deref() != Some(&*a)
            {
                u.account = Some(a.into_owned());
            }
        });
    }

    fn welcome(&mut self, nick: &str) {
        if self.registered || self.chans.len > 0 {
            // A new session on a new connection that sent no CAP.
            self.end_session();
        }
        if !nick.is_empty() {
            nick.clone_into(&mut self.me);
        }
        self.registered = true;
    }

    fn isupport_line(&mut self, msg: &Message<'_>) {
        let params = msg.params();
        let mut count = params.len();
        if count >= 2
            && params
                .last()
                .is_some_and(|l| l.contains(' ') || l.is_empty())
        {
            count -= 1;
        }
        self.isupport
            .apply_tokens(params.iter().take(count).skip(1));
        let cm = self.isupport.casemapping();
        if cm != self.cm {
            self.cm = cm;
            self.rekey();
        }
    }

    /// Rebuilds the indexes under a new casemapping.
    fn rekey(&mut self) {
        let cm = self.cm;
        self.chan_index = self
            .chans
            .iter()
            .map(|(id, c)| (cm.fold(&c.name).into_owned(), id))
            .collect();
        self.nick_index = self
            .users
            .iter()
            .map(|(id, u)| (cm.fold(&u.nick).into_owned(), id))
            .collect();
    }

    /// The id of a user, created when new.
    fn ensure_user(&mut self, nick: &str) -> u32 {
        if let Some(id) = lookup(&self.nick_index, &mut self.scratch, self.cm, nick) {
            return id;
        }
        let id = self.users.insert(UserEntry {
            nick: nick.to_owned(),
            ..UserEntry::default()
        });
        self.nick_index.insert(self.scratch.clone(), id);
        id
    }

    /// Adds a membership (or ORs prefix bits into an existing one).
    fn add_member(&mut self, cid: u32, uid: u32, bits: u64) {
        let Some(chan) = self.chans.get_mut(cid) else {
            return;
        };
        match chan.members.entry(uid) {
            std::collections::hash_map::Entry::Occupied(mut e) => *e.get_mut() |= bits,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(bits);
                if let Some(u) = self.users.get_mut(uid) {
                    u.channels.push(cid);
                }
            }
        }
    }

    /// Removes a membership; drops the user when it was their last shared
    /// channel.
    fn remove_member(&mut self, cid: u32, uid: u32) {
        if let Some(chan) = self.chans.get_mut(cid) {
            chan.members.remove(&uid);
        }
        self.unlink(cid, uid);
    }

    /// Removes `cid` from a user's channels; drops the user when none is
    /// left.
    fn unlink(&mut self, cid: u32, uid: u32) {
        let Some(u) = self.users.get_mut(uid) else {
            return;
        };
        if let Some(i) = u.channels.iter().position(|c| *c == cid) {
            u.channels.swap_remove(i);
        }
        if u.channels.is_empty() {
            self.drop_user(uid);
        }
    }

    fn drop_user(&mut self, uid: u32) {
        if let Some(u) = self.users.remove(uid) {
            fold_into(self.cm, &u.nick, &mut self.scratch);
            if self.nick_index.get(self.scratch.as_str()) == Some(&uid) {
                self.nick_index.remove(self.scratch.as_str());
            }
        }
    }

    fn drop_channel(&mut self, cid: u32) {
        let Some(chan) = self.chans.remove(cid) else {
            return;
        };
        fold_into(self.cm, &chan.name, &mut self.scratch);
        self.chan_index.remove(self.scratch.as_str());
        for uid in chan.members.keys() {
            self.unlink(cid, *uid);
        }
    }

    fn join(&mut self, source: Option<&Source<'_>>, msg: &Message<'_>, out: &mut Output) {
        let (Some(source), Some(channel)) = (source, msg.param(0)) else {
            return;
        };
        let nick = source.nick();
        let cid = match lookup(&self.chan_index, &mut self.scratch, self.cm, channel) {
            Some(cid) => cid,
            None if self.is_me(nick) => {
                let key = self.scratch.clone();
                let cid = self.chans.insert(Chan {
                    name: channel.to_owned(),
                    topic: None,
                    modes: Vec::new(),
                    members: Index::default(),
                    synced: false,
                });
                self.chan_index.insert(key, cid);
                if self.options.modes_on_join {
                    out.send.push(MessageBuf::new("MODE").with_param(channel));
                }
                if self.options.who_on_join && self.options.members {
                    let who = MessageBuf::new("WHO").with_param(channel);
                    out.send.push(if self.isupport.contains("WHOX") {
                        who.with_param(format!("%tcuhnfar,{WHOX_TOKEN}"))
                    } else {
                        who
                    });
                }
                cid
            }
            // A JOIN to a channel we are not in: nothing to track.
            None => return,
        };
        if !self.options.members {
            return;
        }
        let uid = self.ensure_user(nick);
        self.add_member(cid, uid, 0);
        if let Some(u) = self.users.get_mut(uid) {
            if let Some(host) = source.host() {
                set_if_changed(&mut u.host, Some(host));
                set_if_changed(&mut u.user, source.user());
            }
            // extended-join: JOIN <channel> <account> :<realname>
            if msg.params().len() >= 3 {
                u.account = msg.param(1).filter(|a| *a != "*").map(str::to_owned);
                u.realname = msg.param(2).map(str::to_owned);
            }
        }
    }

    fn part(&mut self, channel: &str, nick: &str) {
        let Some(cid) = lookup(&self.chan_index, &mut self.scratch, self.cm, channel) else {
            return;
        };
        if self.is_me(nick) {
            self.drop_channel(cid);
        } else if self.options.members
            && let Some(uid) = lookup(&self.nick_index, &mut self.scratch, self.cm, nick)
        {
            self.remove_member(cid, uid);
        }
    }

    fn quit(&mut self, nick: &str) {
        let Some(uid) = lookup(&self.nick_index, &mut self.scratch, self.cm, nick) else {
            return;
        };
        if self.is_me(nick) {
            return;
        }
        // The index entry is the one just looked up (folded in `scratch`).
        self.nick_index.remove(self.scratch.as_str());
        if let Some(u) = self.users.remove(uid) {
            for cid in u.channels {
                if let Some(chan) = self.chans.get_mut(cid) {
                    chan.members.remove(&uid);
                }
            }
        }
    }

    fn rename(&mut self, old: &str, new: &str) {
        if new.is_empty() {
            return;
        }
        if self.is_me(old) {
            new.clone_into(&mut self.me);
        }
        if !self.options.members {
            return;
        }
        let Some(uid) = lookup(&self.nick_index, &mut self.scratch, self.cm, old) else {
            return;
        };
        self.nick_index.remove(self.scratch.as_str());
        fold_into(self.cm, new, &mut self.scratch);
        self.nick_index.insert(self.scratch.clone(), uid);
        if let Some(u) = self.users.get_mut(uid) {
            new.clone_into(&mut u.nick);
        }
    }

    fn names(&mut self, msg: &Message<'_>) {
        // <me> [<type>] <channel> :<names>
        let n = msg.params().len();
        if n < 3 {
            return;
        }
        let (Some(channel), Some(names)) = (msg.param(n - 2), msg.param(n - 1)) else {
            return;
        };
        let Some(cid) = lookup(&self.chan_index, &mut self.scratch, self.cm, channel) else {
            return;
        };
        for entry in names.split(' ').filter(|e| !e.is_empty()) {
            let (symbols, rest) = self.isupport.prefix().split_symbols(entry);
            let mut bits = 0_u64;
            for s in symbols.chars() {
                if let Some(rank) = self.isupport.prefix().symbol_rank(s).filter(|r| *r < 64) {
                    bits |= 1 << rank;
                }
            }
            let who = Source::parse(rest);
            if who.nick().is_empty() {
                continue;
            }
            let uid = self.ensure_user(who.nick());
            if let (Some(u), Some(host)) = (self.users.get_mut(uid), who.host()) {
                set_if_changed(&mut u.host, Some(host));
                set_if_changed(&mut u.user, who.user());
            }
            self.add_member(cid, uid, bits);
        }
    }

    fn with_topic(&mut self, channel: &str, f: impl FnOnce(&mut Topic)) {
        if let Some(cid) = lookup(&self.chan_index, &mut self.scratch, self.cm, channel)
            && let Some(chan) = self.chans.get_mut(cid)
        {
            f(chan.topic.get_or_insert_with(Topic::default));
        }
    }

    fn with_user(&mut self, nick: &str, f: impl FnOnce(&mut UserEntry)) {
        if self.nick_index.is_empty() {
            // Nobody known (no channel yet): no nick to fold.
            return;
        }
        if let Some(uid) = lookup(&self.nick_index, &mut self.scratch, self.cm, nick)
            && let Some(u) = self.users.get_mut(uid)
        {
            f(u);
        }
    }

    /// `MODE <channel> <modes> <args>` (skip 0) or `324 <me> <channel>
    /// <modes> <args>` (skip 1, `replace`: the full set).
    fn modes(&mut self, msg: &Message<'_>, skip: usize, replace: bool) {
        let (Some(target), Some(modestring)) = (msg.param(skip), msg.param(skip + 1)) else {
            return;
        };
        let Some(cid) = lookup(&self.chan_index, &mut self.scratch, self.cm, target) else {
            return;
        };
        let Self {
            isupport,
            chans,
            nick_index,
            scratch,
            cm,
            ..
        } = self;
        let Some(chan) = chans.get_mut(cid) else {
            return;
        };
        if replace {
            chan.modes.clear();
        }
        let args = msg.params().iter().skip(skip + 2);
        for change in mode::parse_channel(modestring, args, isupport).flatten() {
            match isupport.mode_kind(change.mode) {
                ModeKind::Prefix => {
                    let Some(rank) = isupport.prefix().rank(change.mode).filter(|r| *r < 64) else {
                        continue;
                    };
                    let Some(uid) = change
                        .arg()
                        .and_then(|n| lookup(nick_index, scratch, *cm, n))
                    else {
                        continue;
                    };
                    if let Some(bits) = chan.members.get_mut(&uid) {
                        match change.sign {
                            Sign::Plus => *bits |= 1 << rank,
                            Sign::Minus => *bits &= !(1 << rank),
                        }
                    }
                }
                ModeKind::List => {}
                ModeKind::AlwaysArg | ModeKind::SetArg | ModeKind::NoArg => {
                    let pos = chan.modes.binary_search_by(|(m, _)| m.cmp(&change.mode));
                    match (change.sign, pos) {
                        (Sign::Plus, Ok(i)) => chan.modes[i].1 = change.arg().map(str::to_owned),
                        (Sign::Plus, Err(i)) => chan
                            .modes
                            .insert(i, (change.mode, change.arg().map(str::to_owned))),
                        (Sign::Minus, Ok(i)) => {
                            chan.modes.remove(i);
                        }
                        (Sign::Minus, Err(_)) => {}
                    }
                }
            }
        }
    }
}

/// Commands that change nothing but members and users.
fn concerns_users_only(cmd: &str) -> bool {
    matches!(
        cmd,
        "QUIT"
            | "353"
            | "ACCOUNT"
            | "AWAY"
            | "CHGHOST"
            | "SETNAME"
            | "301"
            | "311"
            | "352"
            | "354"
            | "PRIVMSG"
            | "NOTICE"
            | "TAGMSG"
    )
}

/// Replaces `slot` with `value` unless it already holds it (no allocation
/// then).
fn set_if_changed(slot: &mut Option<String>, value: Option<&str>) {
    if slot.as_deref() != value {
        *slot = value.map(str::to_owned);
    }
}

/// `H`/`G` in WHO flags: here or gone.
fn away_flag(u: &mut UserEntry, flags: &str) {
    if flags.starts_with('G') {
        if u.away.is_none() {
            u.away = Some(String::new());
        }
    } else if flags.starts_with('H') {
        u.away = None;
    }
}

/// Reads a `server-time` value (`2024-05-06T07:08:09.123Z`) into seconds
/// since the Unix epoch.
#[must_use]
pub fn parse_server_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

/// The client's tracker and pending requests: the one field the client
/// handle holds for them.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: std::sync::RwLock<Tracker>,
    pub(crate) pending: std::sync::Mutex<crate::requests::Pending>,
    /// Whether `pending` may hold a request: set under its lock by
    /// whoever adds one, cleared under it by the read loop once it is
    /// empty, so that most lines skip the lock.
    pub(crate) pending_active: std::sync::atomic::AtomicBool,
    /// The request timeout, in milliseconds.
    pub(crate) timeout_ms: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: &crate::config::Config) -> Self {
        let caps = Caps::new(config.register.capabilities.iter().cloned());
        let timeout = crate::requests::DEFAULT_REQUEST_TIMEOUT.as_millis();
        let options = TrackerOptions {
            members: config.track_state,
            ..TrackerOptions::default()
        };
        Self {
            state: std::sync::RwLock::new(Tracker::with_caps(caps, options)),
            pending: std::sync::Mutex::new(crate::requests::Pending::default()),
            pending_active: std::sync::atomic::AtomicBool::new(false),
            timeout_ms: std::sync::atomic::AtomicU64::new(
                u64::try_from(timeout).unwrap_or(u64::MAX),
            ),
        }
    }
}

fn unix_now() -> Option<u64> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// Channel and user state, read from the handle.
///
/// The state is updated as each line is read, before its event is
/// dispatched, so a handler sees at least what its event changed (and
/// possibly what later lines changed, handlers running concurrently with
/// the reading). While no connection is up the channels and users read as
/// empty.
impl Client {
    /// Feeds one incoming message to the tracker and the pending requests;
    /// sends what the tracker asks for. Returns the `BATCH_END` event of
    /// the batch the message ended, for the caller to dispatch after the
    /// message's own event.
    pub(crate) fn track(&self, msg: &Message<'_>) -> Option<crate::Event> {
        let now = if msg.is_command("TOPIC") {
            unix_now()
        } else {
            None
        };
        let shared = &self.inner.tracker;
        let out = {
            let mut state = self.tracker_write();
            let out = state.handle_at(msg, now);
            if out.completed_batch.is_some() || shared.pending_active.load(Ordering::Acquire) {
                let mut pending = shared
                    .pending
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                pending.handle(msg, &state, out.completed_batch.as_deref());
                if pending.is_idle() {
                    shared.pending_active.store(false, Ordering::Release);
                }
            }
            out
        };
        for line in out.send {
            if let Err(e) = self.send(line) {
                tracing::debug!(error = %e, "cannot send a state request");
            }
        }
        out.completed_batch.as_deref().map(crate::batch::end_event)
    }

    pub(crate) fn tracker_read(&self) -> std::sync::RwLockReadGuard<'_, Tracker> {
        self.inner
            .tracker
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn tracker_write(&self) -> std::sync::RwLockWriteGuard<'_, Tracker> {
        self.inner
            .tracker
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn read_tracker<R>(&self, f: impl FnOnce(&Tracker) -> R) -> R {
        f(&self.tracker_read())
    }

    /// The pending requests, locked; marks them active, so that the read
    /// loop looks at them.
    pub(crate) fn pending(&self) -> std::sync::MutexGuard<'_, crate::requests::Pending> {
        let guard = self
            .inner
            .tracker
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.inner
            .tracker
            .pending_active
            .store(true, Ordering::Release);
        guard
    }

    /// A snapshot of a channel we are in (`None` when we are not, or no
    /// connection is up). The name is compared under the server's
    /// casemapping.
    ///
    /// ```
    /// let client = irc_client::Client::builder("127.0.0.1", 6667, "bot").build();
    /// assert!(client.channel("#rust").is_none()); // not connected
    /// ```
    #[must_use]
    pub fn channel(&self, name: &str) -> Option<ChannelView> {
        if !self.is_connected() {
            return None;
        }
        self.tracker_read().channel(name)
    }

    /// The names of the channels we are in, sorted.
    #[must_use]
    pub fn channels(&self) -> Vec<String> {
        if !self.is_connected() {
            return Vec::new();
        }
        self.tracker_read().channels()
    }

    /// A snapshot of a user who shares a channel with us (us too, while we
    /// are in a channel).
    #[must_use]
    pub fn user(&self, nick: &str) -> Option<UserView> {
        if !self.is_connected() {
            return None;
        }
        self.tracker_read().user(nick)
    }

    /// The prefix modes of `nick` in `channel` (`Some("o")`, `Some("")`
    /// for a plain member, `None` when not a member): cheaper than a
    /// channel snapshot.
    #[must_use]
    pub fn member_modes(&self, channel: &str, nick: &str) -> Option<String> {
        if !self.is_connected() {
            return None;
        }
        self.tracker_read().member_modes(channel, nick)
    }

    /// The server's `ISUPPORT` as last seen (defaults before any `005`).
    #[must_use]
    pub fn isupport(&self) -> Isupport {
        self.tracker_read().isupport().clone()
    }

    /// The server's casemapping (`rfc1459` until `005` says otherwise).
    #[must_use]
    pub fn casemapping(&self) -> CaseMapping {
        self.tracker_read().casemapping()
    }

    /// Whether the capability `name` is enabled on the connection.
    #[must_use]
    pub fn has_cap(&self, name: &str) -> bool {
        self.is_connected() && self.tracker_read().caps().is_enabled(name)
    }

    /// The enabled capabilities, sorted.
    #[must_use]
    pub fn enabled_caps(&self) -> Vec<String> {
        if !self.is_connected() {
            return Vec::new();
        }
        self.tracker_read()
            .caps()
            .enabled()
            .map(str::to_owned)
            .collect()
    }

    /// What the tracker does by itself (`WHO` and `MODE` after joining).
    #[must_use]
    pub fn tracker_options(&self) -> TrackerOptions {
        self.tracker_read().options()
    }

    /// Changes what the tracker does by itself.
    pub fn set_tracker_options(&self, options: TrackerOptions) {
        self.tracker_write().set_options(options);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_into_the_buffer_is_the_casemapping_s() {
        let mut buf = String::new();
        let all_ascii: String = (0_u8..128).map(char::from).collect();
        for cm in [
            CaseMapping::Ascii,
            CaseMapping::Rfc1459,
            CaseMapping::Rfc1459Strict,
        ] {
            for name in [
                all_ascii.as_str(),
                "Dan",
                "DAN[away]",
                "Zoë~Ünï",
                "a^b{c}|d",
            ] {
                fold_into(cm, name, &mut buf);
                assert_eq!(buf, cm.fold(name), "{cm:?} {name:?}");
            }
        }
    }

    fn feed(t: &mut Tracker, lines: &[&str]) -> Vec<String> {
        let mut sent = Vec::new();
        for line in lines {
            let out = t.handle(&Message::parse(line).expect("parse"));
            sent.extend(out.send.iter().map(|m| m.pack().expect("pack")));
        }
        sent
    }

    fn joined() -> Tracker {
        let mut t = Tracker::new();
        feed(
            &mut t,
            &[
                ":srv 001 me :Welcome",
                ":srv 005 me PREFIX=(qaohv)~&@%+ CHANMODES=beI,k,l,imnpst WHOX CASEMAPPING=ascii :are supported by this server",
                ":me!u@me.host JOIN #chan",
                ":srv 353 me = #chan :me ~&@dan!d@dan.host %+ann!a@ann.host +Bob!b@bob.host",
                ":srv 366 me #chan :End of /NAMES list.",
            ],
        );
        t
    }

    #[test]
    fn names_with_multi_prefix_and_userhost() {
        let t = joined();
        let c = t.channel("#CHAN").expect("chan");
        assert!(c.synced);
        let nicks: Vec<_> = c
            .members
            .iter()
            .map(|m| (m.nick.as_str(), m.prefixes.as_str()))
            .collect();
        assert_eq!(
            nicks,
            [("ann", "%+"), ("Bob", "+"), ("dan", "~&@"), ("me", "")]
        );
        assert_eq!(c.member("dan").map(|m| m.modes.as_str()), Some("qao"));
        assert_eq!(c.member("dan").and_then(MemberView::highest), Some('~'));
        let bob = t.user("bob").expect("bob");
        assert_eq!(
            (bob.user.as_deref(), bob.host.as_deref()),
            (Some("b"), Some("bob.host"))
        );
        assert_eq!(bob.channels, ["#chan"]);
        assert_eq!(t.user_count(), 4);
        assert_eq!(t.member_modes("#chan", "ann").as_deref(), Some("hv"));
    }

    #[test]
    fn our_join_asks_for_modes_and_whox() {
        let mut t = Tracker::new();
        feed(
            &mut t,
            &[":srv 001 me :hi", ":srv 005 me WHOX :are supported"],
        );
        assert_eq!(
            feed(&mut t, &[":me!u@h JOIN #a"]),
            ["MODE #a", "WHO #a %tcuhnfar,616"]
        );
        let mut t = Tracker::new();
        feed(&mut t, &[":srv 001 me :hi"]);
        assert_eq!(feed(&mut t, &[":me!u@h JOIN #a"]), ["MODE #a", "WHO #a"]);
        // Someone else joining a channel we are not in: nothing.
        assert!(feed(&mut t, &[":x!u@h JOIN #zzz"]).is_empty());
        assert!(t.channel("#zzz").is_none());
    }

    #[test]
    fn without_members_only_channels_are_kept() {
        let mut t = Tracker::new();
        t.set_options(TrackerOptions {
            members: false,
            ..TrackerOptions::default()
        });
        let sent = feed(
            &mut t,
            &[
                ":srv 001 me :Welcome",
                ":srv 005 me PREFIX=(ov)@+ CHANMODES=beI,k,l,imnpst WHOX :are supported",
                ":me!u@me.host JOIN #chan",
                ":srv 353 me = #chan :me @dan!d@dan.host ann",
                ":srv 366 me #chan :End of /NAMES list.",
                ":srv 332 me #chan :the topic",
                ":srv 354 me 616 #chan d dan.host dan H dacct :Dan",
                ":ann!a@ann.host JOIN #chan",
                ":dan!d@dan.host PRIVMSG #chan :hi",
                ":ChanServ!s@services MODE #chan +ov-v+l ann ann ann 9",
                ":dan!d@dan.host NICK dave",
                ":dave!d@dan.host QUIT :bye",
                ":ann!a@ann.host PART #chan",
            ],
        );
        // No WHO without members; the channel modes are still asked for.
        assert_eq!(sent, ["MODE #chan"]);
        let c = t.channel("#chan").expect("chan");
        assert!(c.synced);
        assert!(c.members.is_empty());
        assert_eq!(c.topic.as_ref().map(|t| t.text.as_str()), Some("the topic"));
        assert_eq!(c.mode('l'), Some(Some("9")));
        assert_eq!((t.user_count(), t.membership_count()), (0, 0));
        assert!(t.user("dan").is_none() && t.user("me").is_none());
        assert!(t.member_modes("#chan", "ann").is_none());
        // Our own nick and channels are still followed.
        feed(
            &mut t,
            &[":me!u@me.host NICK me2", ":me2!u@me.host PART #chan"],
        );
        assert_eq!(t.me(), "me2");
        assert!(t.channels().is_empty());
    }

    #[test]
    fn turning_members_off_drops_them_and_on_follows_from_then() {
        let mut t = joined();
        assert_eq!(t.user_count(), 4);
        let mut options = t.options();
        options.members = false;
        t.set_options(options);
        assert_eq!((t.user_count(), t.membership_count()), (0, 0));
        assert_eq!(t.channels(), ["#chan"]);
        options.members = true;
        t.set_options(options);
        feed(
            &mut t,
            &[
                ":eve!e@eve.host JOIN #chan",
                // Unknown users leaving or renaming: nothing to do, no panic.
                ":dan!d@dan.host PART #chan",
                ":ann!a@ann.host NICK anna",
                ":Bob!b@bob.host QUIT :x",
                ":srv MODE #chan +o Bob",
            ],
        );
        let c = t.channel("#chan").expect("chan");
        let nicks: Vec<_> = c.members.iter().map(|m| m.nick.as_str()).collect();
        assert_eq!(nicks, ["eve"]);
    }

    #[test]
    fn topic_from_numerics_and_command() {
        let mut t = joined();
        feed(
            &mut t,
            &[
                ":srv 332 me #chan :Old topic",
                ":srv 333 me #chan dan!d@dan.host 1700000000",
            ],
        );
        let topic = t.channel("#chan").and_then(|c| c.topic).expect("topic");
        assert_eq!(topic.text, "Old topic");
        assert_eq!(topic.set_by.as_deref(), Some("dan!d@dan.host"));
        assert_eq!(topic.set_at, Some(1_700_000_000));
        feed(
            &mut t,
            &["@time=2024-05-06T07:08:09.000Z :ann!a@ann.host TOPIC #chan :New topic"],
        );
        let topic = t.channel("#chan").and_then(|c| c.topic).expect("topic");
        assert_eq!(topic.text, "New topic");
        assert_eq!(topic.set_by.as_deref(), Some("ann!a@ann.host"));
        assert_eq!(topic.set_at, Some(1_714_979_289));
        let out = t.handle_at(
            &Message::parse(":ann!a@ann.host TOPIC #chan :").expect("parse"),
            Some(5),
        );
        assert!(out.send.is_empty());
        let topic = t.channel("#chan").and_then(|c| c.topic).expect("topic");
        assert_eq!((topic.text.as_str(), topic.set_at), ("", Some(5)));
    }

    #[test]
    fn modes_from_324_and_mode_changes_including_prefixes() {
        let mut t = joined();
        feed(&mut t, &[":srv 324 me #chan +ntlk 10 secret"]);
        let c = t.channel("#chan").expect("chan");
        assert_eq!(c.mode_string(), "+klnt");
        assert_eq!(c.mode('l'), Some(Some("10")));
        assert_eq!(c.mode('k'), Some(Some("secret")));
        feed(
            &mut t,
            &[":dan!d@dan.host MODE #chan -l+m-k+b+o-v+v secret *!*@spam Bob ann Bob"],
        );
        let c = t.channel("#chan").expect("chan");
        assert_eq!(c.mode_string(), "+mnt");
        assert_eq!(c.mode('l'), None);
        assert_eq!(c.member("bob").map(|m| m.prefixes.as_str()), Some("@+"));
        assert_eq!(c.member("ann").map(|m| m.prefixes.as_str()), Some("%"));
        // A prefix change for a non-member, a missing argument: ignored.
        feed(&mut t, &[":dan!d@h MODE #chan +o-o ghost"]);
        // Our own user modes are not channel modes.
        feed(&mut t, &[":me MODE me :+i"]);
        assert_eq!(t.channel("#chan").map(|c| c.members.len()), Some(4));
    }

    #[test]
    fn part_kick_quit_drop_users_sharing_no_channel() {
        let mut t = joined();
        feed(
            &mut t,
            &[
                ":me!u@me.host JOIN #two",
                ":srv 353 me = #two :me dan",
                ":srv 366 me #two :End",
            ],
        );
        assert_eq!(t.user("dan").map(|u| u.channels.len()), Some(2));
        feed(&mut t, &[":dan!d@dan.host PART #chan :bye"]);
        assert_eq!(
            t.user("dan").map(|u| u.channels),
            Some(vec!["#two".to_owned()])
        );
        assert!(
            t.channel("#chan")
                .and_then(|c| c.member("dan").cloned())
                .is_none()
        );
        feed(&mut t, &[":op!o@h KICK #chan ann :out"]);
        assert!(t.user("ann").is_none());
        feed(&mut t, &[":Bob!b@bob.host QUIT :Quit: gone"]);
        assert!(t.user("bob").is_none());
        assert_eq!(t.user_count(), 2); // me and dan
        // We leave #two: dan shares nothing with us any more.
        feed(&mut t, &[":me!u@me.host PART #two"]);
        assert!(t.user("dan").is_none());
        assert_eq!(t.channels(), ["#chan"]);
        // We are kicked from #chan: nothing left at all.
        feed(&mut t, &[":op!o@h KICK #chan me :out"]);
        assert_eq!((t.channel_count(), t.user_count()), (0, 0));
        assert!(t.nick_index.is_empty() && t.chan_index.is_empty());
    }

    #[test]
    fn nick_changes_rekey_and_track_our_own_nick() {
        let mut t = joined();
        feed(&mut t, &[":dan!d@dan.host NICK :Daniel"]);
        assert!(t.user("dan").is_none());
        assert_eq!(t.user("DANIEL").map(|u| u.nick), Some("Daniel".to_owned()));
        assert_eq!(t.member_modes("#chan", "daniel").as_deref(), Some("qao"));
        feed(&mut t, &[":me!u@me.host NICK :me2"]);
        assert_eq!(t.me(), "me2");
        assert!(t.is_me("ME2"));
        feed(&mut t, &[":me2!u@me.host PART #chan"]);
        assert_eq!(t.channel_count(), 0);
    }

    #[test]
    fn casemapping_rekeys() {
        let mut t = Tracker::new();
        feed(
            &mut t,
            &[
                ":srv 001 me :hi",
                ":srv 005 me CASEMAPPING=ascii :are supported",
                ":me!u@h JOIN #a[b]",
                ":srv 353 me = #a[b] :me Nick[x]",
            ],
        );
        assert!(t.channel("#a{b}").is_none());
        assert!(t.user("nick[X]").is_some());
        feed(&mut t, &[":srv 005 me CASEMAPPING=rfc1459 :are supported"]);
        assert_eq!(t.casemapping(), CaseMapping::Rfc1459);
        assert_eq!(t.channel("#A{B}").map(|c| c.name), Some("#a[b]".to_owned()));
        assert!(t.user("nick{x}").is_some());
    }

    #[test]
    fn user_details_from_ircv3_and_who() {
        let mut t = joined();
        feed(
            &mut t,
            &[
                ":new!n@new.host JOIN #chan acct :Real Name",
                ":anon!n@h JOIN #chan * :Anon",
                ":new!n@new.host AWAY :lunch",
                ":ann!a@ann.host ACCOUNT annacct",
                ":Bob!b@bob.host CHGHOST bee bee.host",
                ":Bob!bee@bee.host SETNAME :Bob B",
                ":srv 354 me 616 #chan d dan.host2 dan G danacct :Dan D",
                ":srv 354 me 999 #chan x x dan H 0 :ignored: other token",
                ":srv 352 me #chan a ann.host srv ann H :0 Ann A",
            ],
        );
        let new = t.user("new").expect("new");
        assert_eq!(new.account.as_deref(), Some("acct"));
        assert_eq!(new.realname.as_deref(), Some("Real Name"));
        assert_eq!(new.away.as_deref(), Some("lunch"));
        assert_eq!(t.user("anon").and_then(|u| u.account), None);
        let ann = t.user("ann").expect("ann");
        assert_eq!(ann.account.as_deref(), Some("annacct"));
        assert_eq!(ann.realname.as_deref(), Some("Ann A"));
        assert_eq!(ann.away, None);
        let bob = t.user("bob").expect("bob");
        assert_eq!(
            (bob.user.as_deref(), bob.host.as_deref()),
            (Some("bee"), Some("bee.host"))
        );
        assert_eq!(bob.realname.as_deref(), Some("Bob B"));
        let dan = t.user("dan").expect("dan");
        assert_eq!(dan.account.as_deref(), Some("danacct"));
        assert_eq!(dan.host.as_deref(), Some("dan.host2"));
        assert_eq!(dan.away.as_deref(), Some(""));
        assert_eq!(dan.realname.as_deref(), Some("Dan D"));
        feed(
            &mut t,
            &[":new!n@new.host AWAY", ":ann!a@ann.host ACCOUNT *"],
        );
        assert_eq!(t.user("new").and_then(|u| u.away), None);
        assert_eq!(t.user("ann").and_then(|u| u.account), None);
        // The account tag and a changed host on a message.
        feed(&mut t, &["@account=bobby :Bob!b2@h2 PRIVMSG #chan :hi"]);
        let bob = t.user("bob").expect("bob");
        assert_eq!(
            (bob.account.as_deref(), bob.host.as_deref()),
            (Some("bobby"), Some("h2"))
        );
        // Strangers are not tracked.
        feed(
            &mut t,
            &[":ghost!g@h PRIVMSG me :boo", ":ghost!g@h AWAY :x"],
        );
        assert!(t.user("ghost").is_none());
    }

    #[test]
    fn sessions_end_on_error_or_a_new_connection() {
        let mut t = joined();
        feed(&mut t, &[":me!u@h JOIN #other", "ERROR :Closing link"]);
        assert_eq!((t.channel_count(), t.user_count()), (0, 0));
        assert!(!t.is_registered());
        feed(
            &mut t,
            &[":srv CAP * LS :batch", ":srv 001 me :Welcome back"],
        );
        assert!(t.is_registered());
        // A connection that dropped without ERROR: the next CAP LS, or the
        // next 001, starts over.
        let mut t = joined();
        feed(&mut t, &[":srv CAP * LS :batch"]);
        assert_eq!(t.channel_count(), 0);
        let mut t = joined();
        feed(&mut t, &[":srv 001 me :again"]);
        assert_eq!(t.channel_count(), 0);
    }

    #[test]
    fn server_time_parsing() {
        assert_eq!(parse_server_time("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_server_time("2000-03-01T00:00:01Z"), Some(951_868_801));
        assert_eq!(
            parse_server_time("2024-02-29T23:59:59.999Z"),
            Some(1_709_251_199)
        );
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "garbage-garbage-garbage",
            "2024-01-01 00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_server_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut t = joined();
        for line in [
            "JOIN",
            ":x JOIN",
            "PART",
            ":a!b@c KICK",
            ":srv 353",
            ":srv 353 me",
            ":srv 353 me = #chan :@",
            ":srv 353 me = #chan :  @@+  x",
            ":srv 324 me",
            ":srv 324 me #chan",
            "MODE #chan +o",
            ":a!b@c NICK",
            ":srv 354 me 616",
            ":srv 352 me",
            ":srv 005",
            "TOPIC",
            ":srv 333 me #chan",
            ":srv CAP",
            "BATCH",
            "@batch=x PRIVMSG",
            ":srv 001 me",
        ] {
            t.handle(&Message::parse(line).expect("parse"));
        }
        // The last line, a new 001, started a new session.
        assert!(t.channel("#chan").is_none());
        assert_eq!(t.me(), "me");
    }
}
