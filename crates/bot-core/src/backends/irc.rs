//! The IRC backend, on [`irc_client`] (cargo feature `irc`, on by default).
//!
//! ```no_run
//! use bot_core::backends::irc::IrcBackend;
//! use bot_core::Bot;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = irc_client::Client::builder("irc.example.net", 6697, "mybot")
//!     .tls(irc_client::tls::TlsConfig::new())
//!     .build();
//! let backend = IrcBackend::new(client).autojoin(["#bots"]);
//! let bot = Bot::builder(backend).build()?;
//! bot.run().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Identifiers
//!
//! | text | identifier |
//! | --- | --- |
//! | `alice!~a@host` or `alice` | a [`Person`] |
//! | `#rust` (any of the server's `CHANTYPES`) | a [`RoomId`] |
//! | `#rust/alice!~a@host` | a [`RoomOccupant`]: alice in `#rust` |
//!
//! A person prints as `nick!user@host` when the user and host are known
//! (from the message, else from the client's user tracking), else as the
//! nick. [`Person::nick`] is the nick, [`Person::client`] is `user@host`.
//!
//! # The ACL attribute
//!
//! [`Person::aclattr`], which admin globs and ACL rules match, is:
//!
//! * the **services account name** (`alice`) when the server says the
//!   person is logged in: the `account` tag on the message (IRCv3
//!   `account-tag`), else the account the client tracks from
//!   `account-notify`, `extended-join` and WHOX;
//! * otherwise **`~` followed by the nick** (`~alice`): the person is not
//!   authenticated.
//!
//! A nick never starts with `~`, so nobody can take a nick that makes them
//! look logged in to an account: `bot.admins = ["alice"]` only matches the
//! account `alice`. Matching people who are not logged in is an explicit
//! choice: `bot.admins = ["~alice"]` (anyone using the nick `alice`; only
//! for networks without services, or tests). Beware of globs that start
//! with a wildcard (`*`, `?`): they also match `~`-names.
//!
//! # Replies and sending
//!
//! [`Backend::build_reply`] to a channel message starts the reply with the
//! sender's nick (`alice: ...`, errbot's `prefix_groupchat_reply`); a
//! private reply to a channel command goes to the person. Bodies are
//! rendered with [`Markup::Irc`] (IRC formatting codes), cut into lines by
//! [`irc_proto::split`] sized for the line the server relays (our own
//! `nick!user@host` when known, else the ISUPPORT estimate), and sent with
//! [`Client::send_wait`], so they pass the client's flood control.
//! [`Backend::message_size_limit`] is that budget for a channel name of up
//! to `CHANNELLEN` (50 when unknown) bytes, so the core's own splitting and
//! the backend's agree.
//!
//! # Events
//!
//! `PRIVMSG` becomes a message (`NOTICE`s are never answered), and a
//! channel message naming members of the channel also a mention of them
//! (the first 32 nick-shaped words are looked up); `JOIN`,
//! `PART` and `KICK` of the bot or of others become room joined / left
//! callbacks, `TOPIC` the topic callback, `AWAY` (IRCv3 `away-notify`) a
//! presence change (away, or online again), and `QUIT` of others an
//! offline presence (with the quit message). CTCP requests `VERSION`,
//! `PING`, `TIME` and `CLIENTINFO` are answered by the backend; an `ACTION`
//! (`/me waves`) reaches the bot as a message with
//! [`Message::action`](crate::Message::action) set (hooks see it, commands
//! are not run from it), and an outgoing action message is sent as
//! `ACTION`s; other CTCPs are ignored. Events reach the bot in the order they
//! arrived on a single-threaded runtime.
//!
//! # Connections
//!
//! [`Backend::serve_once`] runs [`Client::run`] (reconnecting with the
//! client's backoff, rejoining channels) and answers "shut down" when it
//! returns after [`IrcBackend::quit`]; with
//! [`IrcBackend::single_connection`] it runs [`Client::run_once`] instead,
//! and the core's `serve_forever` reconnects. The first time the
//! connection is registered, the [`IrcBackend::autojoin`] channels are
//! joined.
//!
//! # Not supported
//!
//! Reactions, file transfers ([`Backend::send_stream_request`] answers
//! [`StreamError::Unsupported`](crate::StreamError::Unsupported)), creating
//! and destroying rooms beyond joining.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use irc_client::extract::Raw;
use irc_client::requests::RequestError;
use irc_client::{Client, Ended};
use irc_proto::split::{self, MessageKind, Prefix, SplitOptions};
use irc_proto::{CaseMapping, Command, MessageBuf, Source, ctcp};
use tokio::sync::mpsc;

use crate::backend::{Backend, BoxFuture, Callbacks};
use crate::error::{BackendError, IdentifierError, RoomError};
use crate::identifier::{Identifier, Person, RoomId, RoomOccupant};
use crate::message::{Card, Message, Presence, PresenceStatus};
use crate::render::{Markup, render};

/// The channel-name length assumed for [`Backend::message_size_limit`]
/// when the server announces no `CHANNELLEN`.
const DEFAULT_CHANNELLEN: usize = 50;

/// How long [`Backend::room_exists`] waits for the answer to `LIST`.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// How many words of a channel message are looked up as mentions.
const MAX_MENTIONS: usize = 32;

/// The CTCP commands answered.
const CLIENTINFO: &str = "ACTION CLIENTINFO PING TIME VERSION";

/// What the client's handlers hand to the bot, in arrival order.
#[derive(Debug)]
enum Incoming {
    Connected,
    Disconnected,
    Message(Box<Message>),
    Mention(Box<Message>, Vec<Identifier>),
    Joined(RoomId, Option<Identifier>),
    Left(RoomId, Option<Identifier>),
    Topic(RoomId, Option<String>),
    Presence(Presence),
}

struct Shared {
    client: Client,
    /// The bot's queue while `serve_once` runs.
    events: Mutex<Option<mpsc::UnboundedSender<Incoming>>>,
    version: String,
    reconnect: bool,
    prefix_replies: bool,
    autojoin: Vec<(String, Option<String>)>,
    /// Whether the autojoin channels were joined already.
    joined_once: AtomicBool,
    /// Whether the handlers are registered on the client.
    registered: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The IRC backend: a bot on an [`irc_client::Client`]. See the
/// [module documentation](self) for the identifiers, the ACL attribute and
/// what maps onto what.
#[derive(Clone)]
pub struct IrcBackend {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for IrcBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IrcBackend")
            .field("client", &self.shared.client)
            .finish_non_exhaustive()
    }
}

impl IrcBackend {
    /// A backend on `client`. Its event handlers are registered on the
    /// client when the backend first serves. Build the client with the
    /// capabilities you want
    /// (`irc_client::state::caps::DEFAULT_CAPABILITIES` gives accounts,
    /// away-notify and the rest).
    pub fn new(client: Client) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                events: Mutex::new(None),
                version: format!("bot-core {}", env!("CARGO_PKG_VERSION")),
                reconnect: true,
                prefix_replies: true,
                autojoin: Vec::new(),
                joined_once: AtomicBool::new(false),
                registered: AtomicBool::new(false),
            }),
        }
    }

    fn shared_mut(&mut self) -> &mut Shared {
        // Settings are made before the backend is shared with a bot; a
        // clone made earlier keeps the old settings.
        if Arc::get_mut(&mut self.shared).is_none() {
            let s = &self.shared;
            self.shared = Arc::new(Shared {
                client: s.client.clone(),
                events: Mutex::new(None),
                version: s.version.clone(),
                reconnect: s.reconnect,
                prefix_replies: s.prefix_replies,
                autojoin: s.autojoin.clone(),
                joined_once: AtomicBool::new(false),
                registered: AtomicBool::new(false),
            });
        }
        Arc::get_mut(&mut self.shared).unwrap_or_else(|| unreachable!("just made unique"))
    }

    /// The text answered to CTCP `VERSION` (`bot-core <version>` by
    /// default).
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.shared_mut().version = version.into();
        self
    }

    /// Channels to join once the first connection is registered (later
    /// connections rejoin the channels the bot is in by themselves).
    #[must_use]
    pub fn autojoin<I, S>(mut self, channels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.shared_mut()
            .autojoin
            .extend(channels.into_iter().map(|c| (c.into(), None)));
        self
    }

    /// A channel with a key to join once the first connection is registered.
    #[must_use]
    pub fn autojoin_with_key(mut self, channel: impl Into<String>, key: impl Into<String>) -> Self {
        self.shared_mut()
            .autojoin
            .push((channel.into(), Some(key.into())));
        self
    }

    /// Serve one connection per `serve_once` ([`Client::run_once`]) and let
    /// the core's `serve_forever` reconnect, instead of the client's own
    /// reconnection ([`Client::run`], the default).
    #[must_use]
    pub fn single_connection(mut self, single: bool) -> Self {
        self.shared_mut().reconnect = !single;
        self
    }

    /// Whether replies in a channel start with the sender's nick (on by
    /// default).
    #[must_use]
    pub fn prefix_replies(mut self, on: bool) -> Self {
        self.shared_mut().prefix_replies = on;
        self
    }

    /// The client underneath.
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// Quits with `reason`: `QUIT` is sent, the connection ends, and
    /// `serve_once` answers "shut down". Also stops a client waiting to
    /// reconnect or still connecting.
    ///
    /// # Errors
    ///
    /// [`BackendError::Disconnected`] when nothing runs,
    /// [`BackendError::Other`] for a reason that cannot be sent.
    pub fn quit(&self, reason: &str) -> Result<(), BackendError> {
        self.shared.client.quit(reason).map_err(client_error)
    }

    fn register(&self) -> Result<(), BackendError> {
        if self.shared.registered.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let client = &self.shared.client;
        let reg = |e: irc_client::RegisterError| BackendError::Other(e.to_string());
        for verb in ["PRIVMSG", "JOIN", "PART", "KICK", "TOPIC", "AWAY", "QUIT"] {
            let weak = Arc::downgrade(&self.shared);
            client
                .on(verb, move |Raw(m): Raw| {
                    let weak = weak.clone();
                    async move {
                        if let Some(shared) = weak.upgrade() {
                            shared.on_message(&m);
                        }
                    }
                })
                .map_err(reg)?;
        }
        let weak = Arc::downgrade(&self.shared);
        client
            .on(irc_client::CLIENT_CONNECT, move || {
                let weak = weak.clone();
                async move {
                    if let Some(shared) = weak.upgrade() {
                        shared.forward(Incoming::Connected);
                        shared.join_initial();
                    }
                }
            })
            .map_err(reg)?;
        let weak: Weak<Shared> = Arc::downgrade(&self.shared);
        client
            .on(irc_client::CLIENT_DISCONNECT, move || {
                let weak = weak.clone();
                async move {
                    if let Some(shared) = weak.upgrade() {
                        shared.forward(Incoming::Disconnected);
                    }
                }
            })
            .map_err(reg)?;
        Ok(())
    }
}

fn client_error(e: irc_client::Error) -> BackendError {
    match e {
        irc_client::Error::NotConnected | irc_client::Error::Closed => BackendError::Disconnected,
        e => BackendError::Other(e.to_string()),
    }
}

fn request_error(room: &str, e: RequestError) -> RoomError {
    match e {
        RequestError::Refused { code: 403, .. } => RoomError::DoesNotExist {
            room: room.to_owned(),
        },
        RequestError::Refused { code: 442, .. } => RoomError::NotJoined {
            room: room.to_owned(),
        },
        e => RoomError::Other(e.to_string()),
    }
}

/// Escapes Markdown punctuation so a nick renders as itself.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Shared {
    fn casemapping(&self) -> CaseMapping {
        self.client.casemapping()
    }

    fn is_me(&self, nick: &str) -> bool {
        self.casemapping().equal(nick, &self.client.nick())
    }

    fn is_channel(&self, name: &str) -> bool {
        let types = self.client.isupport().chantypes().to_owned();
        let types = if types.is_empty() { "#&" } else { &types };
        name.len() > 1 && name.chars().next().is_some_and(|c| types.contains(c))
    }

    fn forward(&self, incoming: Incoming) {
        if let Some(tx) = lock(&self.events).as_ref() {
            let _ = tx.send(incoming);
        }
    }

    /// A person from what is known: the message's source and `account`
    /// tag, then the client's user tracking.
    fn person(
        &self,
        nick: &str,
        user: Option<&str>,
        host: Option<&str>,
        account_tag: Option<&str>,
    ) -> Person {
        let tracked = self.client.user(nick);
        let user = user
            .map(str::to_owned)
            .or_else(|| tracked.as_ref().and_then(|u| u.user.clone()));
        let host = host
            .map(str::to_owned)
            .or_else(|| tracked.as_ref().and_then(|u| u.host.clone()));
        let account = account_tag
            .map(str::to_owned)
            .or_else(|| tracked.as_ref().and_then(|u| u.account.clone()))
            .filter(|a| !a.is_empty() && a != "*");
        let aclattr = account.unwrap_or_else(|| format!("~{nick}"));
        let mut person = match (&user, &host) {
            (Some(u), Some(h)) => {
                Person::new(format!("{nick}!{u}@{h}")).with_client(format!("{u}@{h}"))
            }
            _ => Person::new(nick),
        };
        person = person.with_nick(nick).with_aclattr(aclattr);
        person
    }

    fn source_person(&self, m: &MessageBuf) -> Option<Person> {
        let source = m.source()?;
        if source.is_server() {
            return None;
        }
        Some(self.person(
            source.nick(),
            source.user(),
            source.host(),
            m.tag("account"),
        ))
    }

    fn me(&self) -> Person {
        self.person(&self.client.nick(), None, None, None)
    }

    fn occupant(&self, person: Person, channel: &str) -> Identifier {
        RoomOccupant::new(person, RoomId::new(channel)).into()
    }

    /// Turns one message from the server into what the bot sees.
    fn on_message(&self, m: &MessageBuf) {
        let Some(source) = m.source().map(|s| s.nick().to_owned()) else {
            return;
        };
        let param = |i: usize| m.params.get(i).map(String::as_str);
        match m.command.to_ascii_uppercase().as_str() {
            "PRIVMSG" => {
                let (Some(target), Some(text)) = (param(0), param(1)) else {
                    return;
                };
                let Some(person) = self.source_person(m) else {
                    return;
                };
                let mut action = false;
                let mut text = text;
                if let Some(c) = ctcp::decode(text) {
                    if !c.is_command("ACTION") {
                        if !self.is_me(&source) {
                            self.answer_ctcp(&source, &c);
                        }
                        return;
                    }
                    action = true;
                    text = c.params;
                }
                if self.is_channel(target) {
                    let mut msg = Message::new(text)
                        .from(self.occupant(person, target))
                        .to(RoomId::new(target));
                    msg.action = action;
                    let mentioned: Vec<Identifier> = nick_words(text)
                        .into_iter()
                        .filter(|w| self.client.member_modes(target, w).is_some())
                        .map(|w| self.occupant(self.person(w, None, None, None), target))
                        .collect();
                    if mentioned.is_empty() {
                        self.forward(Incoming::Message(Box::new(msg)));
                    } else {
                        self.forward(Incoming::Message(Box::new(msg.clone())));
                        self.forward(Incoming::Mention(Box::new(msg), mentioned));
                    }
                } else {
                    let mut msg = Message::new(text).from(person).to(self.me());
                    msg.action = action;
                    self.forward(Incoming::Message(Box::new(msg)));
                }
            }
            "JOIN" => {
                let Some(channel) = param(0) else { return };
                let who = if self.is_me(&source) {
                    None
                } else {
                    self.source_person(m).map(|p| self.occupant(p, channel))
                };
                self.forward(Incoming::Joined(RoomId::new(channel), who));
            }
            "PART" => {
                let Some(channel) = param(0) else { return };
                let who = if self.is_me(&source) {
                    None
                } else {
                    self.source_person(m).map(|p| self.occupant(p, channel))
                };
                self.forward(Incoming::Left(RoomId::new(channel), who));
            }
            "KICK" => {
                let (Some(channel), Some(kicked)) = (param(0), param(1)) else {
                    return;
                };
                let who = if self.is_me(kicked) {
                    None
                } else {
                    Some(self.occupant(self.person(kicked, None, None, None), channel))
                };
                self.forward(Incoming::Left(RoomId::new(channel), who));
            }
            "TOPIC" => {
                let Some(channel) = param(0) else { return };
                let topic = param(1).filter(|t| !t.is_empty()).map(str::to_owned);
                self.forward(Incoming::Topic(RoomId::new(channel), topic));
            }
            "AWAY" => {
                let Some(person) = self.source_person(m) else {
                    return;
                };
                let presence = match param(0).filter(|t| !t.is_empty()) {
                    Some(text) => {
                        Presence::new(Some(person.into()), PresenceStatus::Away).with_message(text)
                    }
                    None => Presence::new(Some(person.into()), PresenceStatus::Online),
                };
                self.forward(Incoming::Presence(presence));
            }
            "QUIT" if !self.is_me(&source) => {
                let Some(person) = self.source_person(m) else {
                    return;
                };
                let mut presence = Presence::new(Some(person.into()), PresenceStatus::Offline);
                if let Some(reason) = param(0).filter(|t| !t.is_empty()) {
                    presence = presence.with_message(reason);
                }
                self.forward(Incoming::Presence(presence));
            }
            _ => {}
        }
    }

    fn answer_ctcp(&self, nick: &str, c: &irc_proto::Ctcp<'_>) {
        let answer = match c.command_upper().as_str() {
            "VERSION" => self.version.clone(),
            "PING" => c.params.to_owned(),
            "TIME" => http_date(std::time::SystemTime::now()),
            "CLIENTINFO" => CLIENTINFO.to_owned(),
            _ => return,
        };
        match ctcp::reply(nick, &c.command_upper(), &answer) {
            Ok(reply) => {
                if let Err(e) = self.client.send(reply) {
                    tracing::debug!(error = %e, "CTCP reply not sent");
                }
            }
            Err(e) => tracing::debug!(error = %e, "CTCP reply not encodable"),
        }
    }

    fn join_initial(self: &Arc<Self>) {
        if self.autojoin.is_empty() || self.joined_once.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            for (channel, key) in &shared.autojoin {
                match shared.client.join(channel, key.as_deref()).await {
                    Ok(_) => tracing::info!(channel = %channel, "joined"),
                    Err(e) => tracing::warn!(channel = %channel, error = %e, "could not join"),
                }
            }
        });
    }

    fn split_options(&self) -> SplitOptions {
        let me = self.client.nick();
        let prefix = match self.client.user(&me) {
            Some(u) if u.user.is_some() && u.host.is_some() => Prefix::Known(format!(
                "{me}!{}@{}",
                u.user.unwrap_or_default(),
                u.host.unwrap_or_default()
            )),
            _ => {
                let isupport = self.client.isupport();
                match Prefix::default() {
                    Prefix::Estimate {
                        nicklen,
                        userlen,
                        hostlen,
                    } => Prefix::Estimate {
                        nicklen: nicklen.max(isupport.nicklen()).max(me.len()),
                        userlen: isupport.userlen().unwrap_or(userlen),
                        hostlen: isupport.hostlen().unwrap_or(hostlen),
                    },
                    known => known,
                }
            }
        };
        SplitOptions {
            prefix,
            ..SplitOptions::default()
        }
    }

    async fn send_text(&self, target: &str, text: &str) -> Result<(), BackendError> {
        self.send_as(MessageKind::Privmsg, target, text).await
    }

    /// Sends `text` as PRIVMSG lines or as `ACTION`s, split to fit.
    async fn send_as(
        &self,
        kind: MessageKind,
        target: &str,
        text: &str,
    ) -> Result<(), BackendError> {
        let pieces = split::split(kind, target, text, &self.split_options())
            .map_err(|e| BackendError::Other(format!("cannot send to {target:?}: {e}")))?;
        for piece in pieces {
            let line =
                Command::privmsg(target, &piece).map_err(|e| BackendError::Other(e.to_string()))?;
            self.client.send_wait(line).await.map_err(client_error)?;
        }
        Ok(())
    }
}

/// The words of `text` that could be nicks, each once, at most
/// [`MAX_MENTIONS`] of them.
fn nick_words(text: &str) -> Vec<&str> {
    let is_nick_char = |c: char| c.is_ascii_alphanumeric() || "[]\\`_^{|}-".contains(c);
    let mut words: Vec<&str> = Vec::new();
    for word in text.split(|c: char| !is_nick_char(c)) {
        let word = word.trim_end_matches('-');
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            continue;
        }
        if !words.contains(&word) {
            words.push(word);
            if words.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    words
}

/// The target of an outgoing message: a channel, or a nick (a person in a
/// room is written to privately).
fn target_of(to: Option<&Identifier>) -> Result<String, BackendError> {
    match to {
        Some(Identifier::Room(r)) => Ok(r.name().to_owned()),
        Some(id @ (Identifier::Person(_) | Identifier::Occupant(_))) => Ok(id.nick().to_owned()),
        None => Err(BackendError::Other("a message without a recipient".into())),
    }
}

/// Seconds since the epoch as `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(at: std::time::SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month_name = MONTHS[usize::try_from(month - 1).unwrap_or(0).min(11)];
    format!(
        "{weekday}, {day:02} {month_name} {year} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Delivers the client's events to the bot, one after the other.
async fn consume(mut rx: mpsc::UnboundedReceiver<Incoming>, callbacks: Arc<dyn Callbacks>) {
    while let Some(incoming) = rx.recv().await {
        match incoming {
            Incoming::Connected => {
                callbacks.reset_reconnection_count();
                callbacks.connect_callback().await;
            }
            Incoming::Disconnected => callbacks.disconnect_callback().await,
            Incoming::Message(m) => callbacks.callback_message(*m).await,
            Incoming::Mention(m, who) => callbacks.callback_mention(*m, who).await,
            Incoming::Joined(room, who) => callbacks.callback_room_joined(room, who).await,
            Incoming::Left(room, who) => callbacks.callback_room_left(room, who).await,
            Incoming::Topic(room, topic) => callbacks.callback_room_topic(room, topic).await,
            Incoming::Presence(p) => callbacks.callback_presence(p).await,
        }
    }
}

impl Backend for IrcBackend {
    fn mode(&self) -> &str {
        "irc"
    }

    fn bot_identifier(&self) -> Identifier {
        self.shared.me().into()
    }

    fn build_identifier(&self, text: &str) -> Result<Identifier, IdentifierError> {
        let invalid = |reason: &str| IdentifierError::Invalid {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        if text.is_empty() || text.contains([' ', '\r', '\n', '\0', ',']) {
            return Err(invalid(
                "empty, or contains a space, a comma or a line break",
            ));
        }
        let person = |p: &str| -> Result<Person, IdentifierError> {
            let source = Source::parse(p);
            let nick = source.nick();
            if nick.is_empty()
                || self.shared.is_channel(nick)
                || nick.starts_with(['~', ':', '/'])
                || source.user().is_some_and(str::is_empty)
                || source.host().is_some_and(str::is_empty)
                || source.user().is_some() != source.host().is_some()
            {
                return Err(invalid("expected nick or nick!user@host"));
            }
            Ok(self.shared.person(nick, source.user(), source.host(), None))
        };
        if self.shared.is_channel(text) {
            // The nick cannot hold a `/`; the channel name can.
            let end = text.find('!').unwrap_or(text.len());
            match text[..end].rfind('/') {
                Some(i) if i > 1 => {
                    let p = person(&text[i + 1..])?;
                    Ok(RoomOccupant::new(p, RoomId::new(&text[..i])).into())
                }
                _ => Ok(RoomId::new(text).into()),
            }
        } else {
            person(text).map(Identifier::from)
        }
    }

    fn build_reply(&self, msg: &Message, text: &str, private: bool, threaded: bool) -> Message {
        let mut reply = self.build_message(text);
        let sender = msg.frm.as_ref().and_then(Identifier::as_person).cloned();
        if private || !msg.is_group() {
            reply.to = sender.map(Identifier::from).or_else(|| msg.frm.clone());
        } else {
            reply.to = msg.to.clone();
            if self.shared.prefix_replies
                && let Some(p) = sender
            {
                reply.body = format!("{}: {text}", escape_markdown(p.nick()));
            }
        }
        if threaded {
            reply.parent = Some(Box::new(msg.clone()));
        }
        reply
    }

    fn prefix_groupchat_reply(&self, msg: &mut Message, identifier: &Identifier) {
        let head = format!("{}: ", identifier.nick());
        if !msg.body.starts_with(&head) {
            msg.body = format!("{head}{}", msg.body);
        }
    }

    fn is_from_self(&self, msg: &Message) -> bool {
        msg.frm
            .as_ref()
            .and_then(Identifier::as_person)
            .is_some_and(|p| self.shared.is_me(p.nick()))
    }

    fn message_size_limit(&self) -> usize {
        let len = self
            .shared
            .client
            .isupport()
            .get("CHANNELLEN")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0 && n <= 200)
            .unwrap_or(DEFAULT_CHANNELLEN);
        let target = format!("#{}", "x".repeat(len.saturating_sub(1)));
        self.shared
            .split_options()
            .text_budget(MessageKind::Privmsg, &target)
            .unwrap_or(256)
    }

    fn markup(&self) -> Markup {
        Markup::Irc
    }

    fn send_message(&self, msg: Message) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let target = target_of(msg.to.as_ref())?;
            let kind = if msg.action {
                MessageKind::Action
            } else {
                MessageKind::Privmsg
            };
            self.shared.send_as(kind, &target, &msg.body).await
        })
    }

    fn send_card(&self, card: Card) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let target = target_of(card.to.as_ref())?;
            let text = render(&compact_card(&card), Markup::Irc);
            self.shared.send_text(&target, &text).await
        })
    }

    fn change_presence(&self, presence: Presence) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let away = match presence.status {
                PresenceStatus::Online => None,
                PresenceStatus::Offline => {
                    return Err(BackendError::Unsupported {
                        operation: "change_presence(Offline)",
                    });
                }
                _ => Some(presence.message.unwrap_or_else(|| "away".to_owned())),
            };
            let line =
                Command::away(away.as_deref()).map_err(|e| BackendError::Other(e.to_string()))?;
            self.shared
                .client
                .send_wait(line)
                .await
                .map_err(client_error)
        })
    }

    fn rooms(&self) -> BoxFuture<'_, Result<Vec<RoomId>, RoomError>> {
        let rooms = self
            .shared
            .client
            .channels()
            .into_iter()
            .map(RoomId::new)
            .collect();
        Box::pin(async move { Ok(rooms) })
    }

    fn query_room(&self, name: &str) -> BoxFuture<'_, Result<RoomId, RoomError>> {
        let outcome = if self.shared.is_channel(name) && !name.contains([' ', ',', '\x07']) {
            Ok(RoomId::new(name))
        } else {
            Err(RoomError::Other(format!("{name:?} is not a channel name")))
        };
        Box::pin(async move { outcome })
    }

    fn room_join(
        &self,
        room: &RoomId,
        password: Option<String>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        let name = room.name().to_owned();
        Box::pin(async move {
            self.shared
                .client
                .join(&name, password.as_deref())
                .await
                .map(drop)
                .map_err(|e| request_error(&name, e))
        })
    }

    fn room_leave(
        &self,
        room: &RoomId,
        reason: Option<String>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        let name = room.name().to_owned();
        Box::pin(async move {
            if self.shared.client.channel(&name).is_none() {
                return Err(RoomError::NotJoined { room: name });
            }
            let line = Command::part(&[name.as_str()], reason.as_deref())
                .map_err(|e| RoomError::Other(e.to_string()))?;
            self.shared
                .client
                .send_wait(line)
                .await
                .map_err(|e| RoomError::Other(e.to_string()))
        })
    }

    fn room_create(&self, room: &RoomId) -> BoxFuture<'_, Result<(), RoomError>> {
        // On IRC a channel exists while someone is in it: joining creates it.
        self.room_join(room, None)
    }

    fn room_exists(&self, room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        let name = room.name().to_owned();
        Box::pin(async move {
            let client = &self.shared.client;
            if client.channel(&name).is_some() {
                return Ok(true);
            }
            let line = MessageBuf::new("LIST").with_param(name.clone());
            let mut answers = 0;
            loop {
                let wait = client.wait_any(["322", "323"]);
                if answers == 0 {
                    client
                        .send_wait(line.clone())
                        .await
                        .map_err(|e| RoomError::Other(e.to_string()))?;
                }
                answers += 1;
                let event = tokio::time::timeout(LIST_TIMEOUT, wait)
                    .await
                    .map_err(|_| RoomError::Other("no answer to LIST".into()))?
                    .map_err(|e| RoomError::Other(e.to_string()))?;
                let Some(m) = event.message() else {
                    return Ok(false);
                };
                if m.is_command("323") || answers > 100 {
                    return Ok(false);
                }
                if m.params
                    .get(1)
                    .is_some_and(|c| self.shared.casemapping().equal(c, &name))
                {
                    return Ok(true);
                }
            }
        })
    }

    fn room_joined(&self, room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        let joined = self.shared.client.channel(room.name()).is_some();
        Box::pin(async move { Ok(joined) })
    }

    fn room_topic(&self, room: &RoomId) -> BoxFuture<'_, Result<Option<String>, RoomError>> {
        let outcome = match self.shared.client.channel(room.name()) {
            Some(c) => Ok(c.topic.map(|t| t.text).filter(|t| !t.is_empty())),
            None => Err(RoomError::NotJoined {
                room: room.name().to_owned(),
            }),
        };
        Box::pin(async move { outcome })
    }

    fn room_set_topic(&self, room: &RoomId, topic: String) -> BoxFuture<'_, Result<(), RoomError>> {
        let name = room.name().to_owned();
        Box::pin(async move {
            if self.shared.client.channel(&name).is_none() {
                return Err(RoomError::NotJoined { room: name });
            }
            let line =
                Command::topic(&name, Some(&topic)).map_err(|e| RoomError::Other(e.to_string()))?;
            self.shared
                .client
                .send_wait(line)
                .await
                .map_err(|e| RoomError::Other(e.to_string()))
        })
    }

    fn room_occupants(&self, room: &RoomId) -> BoxFuture<'_, Result<Vec<RoomOccupant>, RoomError>> {
        let outcome = match self.shared.client.channel(room.name()) {
            Some(c) => Ok(c
                .members
                .iter()
                .map(|m| {
                    RoomOccupant::new(
                        self.shared.person(&m.nick, None, None, None),
                        RoomId::new(room.name()),
                    )
                })
                .collect()),
            None => Err(RoomError::NotJoined {
                room: room.name().to_owned(),
            }),
        };
        Box::pin(async move { outcome })
    }

    fn room_invite(
        &self,
        room: &RoomId,
        people: Vec<Identifier>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        let name = room.name().to_owned();
        Box::pin(async move {
            for who in people {
                let Some(p) = who.as_person() else {
                    return Err(RoomError::Other(format!("{who} is not a person")));
                };
                let line = Command::invite(p.nick(), &name)
                    .map_err(|e| RoomError::Other(e.to_string()))?;
                self.shared
                    .client
                    .send_wait(line)
                    .await
                    .map_err(|e| RoomError::Other(e.to_string()))?;
            }
            Ok(())
        })
    }

    fn serve_once(
        &self,
        callbacks: Arc<dyn Callbacks>,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        Box::pin(async move {
            self.register()?;
            let (tx, rx) = mpsc::unbounded_channel();
            *lock(&self.shared.events) = Some(tx);
            let consumer = tokio::spawn(consume(rx, callbacks));
            let client = &self.shared.client;
            let outcome = if self.shared.reconnect {
                client.run().await.map(|()| true)
            } else {
                client.run_once().await.map(|e| e == Ended::Quit)
            };
            // Closing the queue ends the consumer once it has delivered
            // what arrived.
            lock(&self.shared.events).take();
            let _ = consumer.await;
            outcome.map_err(|e| BackendError::Other(e.to_string()))
        })
    }
}

/// A card as compact Markdown: `**title**: summary | body | key: value, ... | link`.
fn compact_card(card: &Card) -> String {
    let mut parts = Vec::new();
    let head = match (&card.title, &card.summary) {
        (Some(t), Some(s)) => format!("**{t}**: {s}"),
        (Some(t), None) => format!("**{t}**"),
        (None, Some(s)) => s.clone(),
        (None, None) => String::new(),
    };
    if !head.is_empty() {
        parts.push(head);
    }
    if !card.body.is_empty() {
        parts.push(card.body.replace('\n', " "));
    }
    if !card.fields.is_empty() {
        let fields: Vec<String> = card
            .fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        parts.push(fields.join(", "));
    }
    if let Some(link) = &card.link {
        parts.push(link.clone());
    }
    parts.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> IrcBackend {
        IrcBackend::new(Client::builder("127.0.0.1", 6667, "bot").build())
    }

    #[test]
    fn identifiers_round_trip() {
        let b = backend();
        for text in [
            "alice",
            "alice!~a@host.example",
            "#rust",
            "&local",
            "#rust/alice!~a@user/alice",
            "#a/b/alice",
        ] {
            let id = b.build_identifier(text).unwrap();
            assert_eq!(id.to_string(), text);
            assert_eq!(b.build_identifier(&id.to_string()).unwrap(), id);
        }
        let Identifier::Occupant(o) = b.build_identifier("#a/b/alice!u@h").unwrap() else {
            panic!("an occupant")
        };
        assert_eq!(o.room().name(), "#a/b");
        assert_eq!(o.person().nick(), "alice");
        assert_eq!(o.person().client(), Some("u@h"));
        for bad in ["", "a b", "~x", "alice!u", "alice!@h", "#r,#s"] {
            assert!(b.build_identifier(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn aclattr_is_the_account_or_a_marked_nick() {
        let b = backend();
        let m = MessageBuf::parse("@account=alice :alice!a@h PRIVMSG #c :hi").unwrap();
        let p = b.shared.source_person(&m).unwrap();
        assert_eq!(p.aclattr(), "alice");
        assert_eq!(p.to_string(), "alice!a@h");
        let m = MessageBuf::parse(":alice!a@h PRIVMSG #c :hi").unwrap();
        let p = b.shared.source_person(&m).unwrap();
        assert_eq!(p.aclattr(), "~alice");
        assert_eq!(p.nick(), "alice");
        // A logged-out marker is no account.
        let m = MessageBuf::parse("@account=* :alice!a@h PRIVMSG #c :hi").unwrap();
        assert_eq!(b.shared.source_person(&m).unwrap().aclattr(), "~alice");
        // Admin globs on accounts do not match an unauthenticated nick.
        let acl = crate::acl::glob_match("alice", "~alice");
        assert!(!acl);
    }

    #[test]
    fn replies_in_channels_name_the_sender_and_private_ones_go_to_the_person() {
        let b = backend();
        let msg = Message::new("!x")
            .from(b.build_identifier("#c/al_ice!a@h").unwrap())
            .to(RoomId::new("#c"));
        let r = b.build_reply(&msg, "done", false, false);
        assert_eq!(r.to, Some(RoomId::new("#c").into()));
        assert_eq!(render(&r.body, Markup::Irc), "al_ice: done");
        let r = b.build_reply(&msg, "psst", true, false);
        assert!(matches!(r.to, Some(Identifier::Person(ref p)) if p.nick() == "al_ice"));
        assert_eq!(target_of(r.to.as_ref()).unwrap(), "al_ice");
        // The core's own prefixing does not repeat it.
        let mut again = b.build_reply(&msg, "done", false, false);
        again.body = render(&again.body, Markup::Irc);
        b.prefix_groupchat_reply(&mut again, msg.frm.as_ref().unwrap());
        assert_eq!(again.body, "al_ice: done");
        assert!(b.is_from_self(&Message::new("x").from(b.build_identifier("BOT").unwrap())));
        assert!(!b.is_from_self(&msg));
    }

    #[test]
    fn server_events_become_callbacks() {
        let b = backend();
        let (tx, mut rx) = mpsc::unbounded_channel();
        *lock(&b.shared.events) = Some(tx);
        for line in [
            ":alice!a@h PRIVMSG #c :!help",
            ":alice!a@h PRIVMSG Bot :hi",
            ":alice!a@h PRIVMSG bot :\x01VERSION\x01",
            ":alice!a@h PRIVMSG #c :\x01ACTION waves at bot\x01",
            ":alice!a@h NOTICE #c :not for bots",
            ":bot!b@h JOIN #c",
            ":alice!a@h JOIN #c",
            ":op!o@h KICK #c bot :bye",
            ":op!o@h KICK #c alice",
            ":alice!a@h PART #c :later",
            ":alice!a@h TOPIC #c :new topic",
            ":alice!a@h TOPIC #c :",
            ":alice!a@h AWAY :lunch",
            ":alice!a@h AWAY",
            ":alice!a@h QUIT :gone",
            ":bot!b@h QUIT :me",
        ] {
            b.shared.on_message(&MessageBuf::parse(line).unwrap());
        }
        let mut got = Vec::new();
        while let Ok(i) = rx.try_recv() {
            got.push(i);
        }
        assert_eq!(got.len(), 13, "{got:#?}");
        let Incoming::Message(action) = got.remove(2) else {
            panic!("an ACTION is a message")
        };
        assert!(action.action && action.is_group());
        assert_eq!(action.body, "waves at bot");
        assert!(matches!(&got[0], Incoming::Message(m) if !m.action));
        let Incoming::Message(m) = &got[0] else {
            panic!("{:?}", got[0])
        };
        assert!(m.is_group());
        assert_eq!(m.frm.as_ref().unwrap().to_string(), "#c/alice!a@h");
        assert_eq!(m.frm.as_ref().unwrap().aclattr(), Some("~alice"));
        let Incoming::Message(m) = &got[1] else {
            panic!("{:?}", got[1])
        };
        assert!(m.is_direct());
        assert!(matches!(&got[2], Incoming::Joined(r, None) if r.name() == "#c"));
        assert!(matches!(&got[3], Incoming::Joined(_, Some(who)) if who.nick() == "alice"));
        assert!(matches!(&got[4], Incoming::Left(_, None)));
        assert!(matches!(&got[5], Incoming::Left(_, Some(who)) if who.nick() == "alice"));
        assert!(matches!(&got[6], Incoming::Left(_, Some(_))));
        assert!(matches!(&got[7], Incoming::Topic(_, Some(t)) if t == "new topic"));
        assert!(matches!(&got[8], Incoming::Topic(_, None)));
        assert!(matches!(&got[9], Incoming::Presence(p)
            if p.status == PresenceStatus::Away && p.message.as_deref() == Some("lunch")));
        assert!(matches!(&got[10], Incoming::Presence(p) if p.status == PresenceStatus::Online));
        assert!(matches!(&got[11], Incoming::Presence(p)
            if p.status == PresenceStatus::Offline && p.message.as_deref() == Some("gone")));
    }

    #[test]
    fn mentions_are_looked_up_by_nick_shaped_words() {
        assert_eq!(
            nick_words("alice: ask [bob] or dan_, not 9lives; alice again"),
            ["alice", "ask", "[bob]", "or", "dan_", "not", "again"]
        );
        let many = "w ".repeat(10) + &(0..100).map(|i| format!("n{i} ")).collect::<String>();
        assert_eq!(nick_words(&many).len(), MAX_MENTIONS);
    }

    #[test]
    fn size_limit_leaves_room_for_the_relayed_prefix() {
        let b = backend();
        let limit = b.message_size_limit();
        // 512 - CRLF - ":" nick!user@host " PRIVMSG " #channel " :"
        assert!(limit > 300 && limit < 400, "{limit}");
    }

    #[test]
    fn cards_are_compact() {
        let card = Card::new("body text")
            .title("Build")
            .summary("green")
            .field("tests", "12")
            .field("time", "3s")
            .link("https://ci.test/1");
        assert_eq!(
            render(&compact_card(&card), Markup::Irc),
            "\x02Build\x02: green | body text | tests: 12, time: 3s | https://ci.test/1"
        );
    }

    #[test]
    fn http_dates() {
        let at = std::time::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            http_date(std::time::UNIX_EPOCH),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
