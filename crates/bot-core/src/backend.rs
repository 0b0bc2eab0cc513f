//! The backend contract (errbot's `errbot.backends.base.Backend`) and the
//! callbacks the core implements for backends to call.
//!
//! The traits are used as trait objects (`Arc<dyn Backend>`,
//! `Arc<dyn Callbacks>`), and `async fn` in traits is not dyn-compatible, so
//! the asynchronous methods return a [`BoxFuture`] written out by hand. This
//! costs one allocation per call, keeps the signatures visible in rustdoc,
//! and needs no procedural macro.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::error::{BackendError, IdentifierError, RoomError, StreamError};
use crate::identifier::{Identifier, RoomId, RoomOccupant};
use crate::message::{Card, Message, Presence, Reaction, Stream};
use crate::render::Markup;

/// A boxed, sendable future: what the asynchronous trait methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn unsupported<T: Send + 'static>(
    operation: &'static str,
) -> BoxFuture<'static, Result<T, RoomError>> {
    Box::pin(async move { Err(RoomError::Unsupported { operation }) })
}

/// A chat network as the core sees it (errbot's `Backend`).
///
/// Methods with a default answer [`RoomError::Unsupported`] or
/// [`BackendError::Unsupported`] unless the backend overrides them; only
/// the identity, identifier building, sending and serving are required.
///
/// Message bodies given to [`Backend::send_message`] have already been
/// rendered with [`Backend::markup`] and split to
/// [`Backend::message_size_limit`] by the core.
pub trait Backend: Send + Sync + 'static {
    /// A short name of the backend (`"text"`, `"test"`, `"irc"`), errbot's `mode`.
    fn mode(&self) -> &str;

    /// The bot's own identity.
    fn bot_identifier(&self) -> Identifier;

    /// Builds an identifier from its printed form:
    /// `build_identifier(&x.to_string()) == Ok(x)`.
    fn build_identifier(&self, text: &str) -> Result<Identifier, IdentifierError>;

    /// Builds a message with this body, from the bot.
    fn build_message(&self, body: &str) -> Message {
        Message::new(body).from(self.bot_identifier())
    }

    /// Builds the reply to `msg`: to the sender when `private` or when `msg`
    /// was direct, else to the room; in `msg`'s thread when `threaded`.
    fn build_reply(&self, msg: &Message, text: &str, private: bool, threaded: bool) -> Message {
        let mut reply = self.build_message(text);
        reply.to = if private || !msg.is_group() {
            msg.frm.clone()
        } else {
            msg.to.clone()
        };
        if threaded {
            reply.parent = Some(Box::new(msg.clone()));
        }
        reply
    }

    /// The largest body, in bytes, one message can carry; 0 for no limit.
    fn message_size_limit(&self) -> usize {
        0
    }

    /// How bodies are rendered for this backend.
    fn markup(&self) -> Markup {
        Markup::Plain
    }

    /// Sends a message.
    fn send_message(&self, msg: Message) -> BoxFuture<'_, Result<(), BackendError>>;

    /// Sends a card natively. The default answers
    /// [`BackendError::Unsupported`], and the core then sends
    /// [`Card::to_markdown`] as a message instead.
    fn send_card(&self, _card: Card) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async {
            Err(BackendError::Unsupported {
                operation: "send_card",
            })
        })
    }

    /// Changes the bot's presence.
    fn change_presence(&self, _presence: Presence) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async {
            Err(BackendError::Unsupported {
                operation: "change_presence",
            })
        })
    }

    /// Adds the conventional mention of `identifier` to a group reply
    /// (`nick: text` by default).
    fn prefix_groupchat_reply(&self, msg: &mut Message, identifier: &Identifier) {
        msg.body = format!("{}: {}", identifier.nick(), msg.body);
    }

    /// Whether `msg` was sent by the bot itself.
    fn is_from_self(&self, msg: &Message) -> bool {
        let me = self.bot_identifier();
        match (
            msg.frm.as_ref().and_then(Identifier::as_person),
            me.as_person(),
        ) {
            (Some(a), Some(b)) => a.person() == b.person(),
            _ => false,
        }
    }

    /// Offers a file to `to`. The default answers [`StreamError::Unsupported`].
    fn send_stream_request(
        &self,
        _to: Identifier,
        _name: String,
        _size: Option<u64>,
        _stream_type: Option<String>,
    ) -> BoxFuture<'_, Result<Stream, StreamError>> {
        Box::pin(async { Err(StreamError::Unsupported) })
    }

    /// Looks a room up by name (it may not exist yet; see [`Room::exists`]).
    fn query_room(&self, _name: &str) -> BoxFuture<'_, Result<RoomId, RoomError>> {
        let room = RoomId::new(_name);
        Box::pin(async move { Ok(room) })
    }

    /// The rooms the bot is in.
    fn rooms(&self) -> BoxFuture<'_, Result<Vec<RoomId>, RoomError>> {
        unsupported("rooms")
    }

    /// Joins a room by name, with an optional password.
    fn join_room(
        &self,
        name: &str,
        password: Option<String>,
    ) -> BoxFuture<'_, Result<RoomId, RoomError>> {
        let name = name.to_owned();
        Box::pin(async move {
            let room = self.query_room(&name).await?;
            self.room_join(&room, password).await?;
            Ok(room)
        })
    }

    /// Joins `room`.
    fn room_join(
        &self,
        _room: &RoomId,
        _password: Option<String>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        unsupported("join")
    }

    /// Leaves `room`.
    fn room_leave(
        &self,
        _room: &RoomId,
        _reason: Option<String>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        unsupported("leave")
    }

    /// Creates `room`.
    fn room_create(&self, _room: &RoomId) -> BoxFuture<'_, Result<(), RoomError>> {
        unsupported("create")
    }

    /// Destroys `room`.
    fn room_destroy(&self, _room: &RoomId) -> BoxFuture<'_, Result<(), RoomError>> {
        unsupported("destroy")
    }

    /// Whether `room` exists.
    fn room_exists(&self, _room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        unsupported("exists")
    }

    /// Whether the bot is in `room`.
    fn room_joined(&self, _room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        unsupported("joined")
    }

    /// The topic of `room`.
    fn room_topic(&self, _room: &RoomId) -> BoxFuture<'_, Result<Option<String>, RoomError>> {
        unsupported("topic")
    }

    /// Sets the topic of `room`.
    fn room_set_topic(
        &self,
        _room: &RoomId,
        _topic: String,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        unsupported("set_topic")
    }

    /// The people in `room`.
    fn room_occupants(
        &self,
        _room: &RoomId,
    ) -> BoxFuture<'_, Result<Vec<RoomOccupant>, RoomError>> {
        unsupported("occupants")
    }

    /// Invites people to `room`.
    fn room_invite(
        &self,
        _room: &RoomId,
        _people: Vec<Identifier>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        unsupported("invite")
    }

    /// Connects (called by `serve_once` implementations; a no-op by default).
    fn connect(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async { Ok(()) })
    }

    /// Connects and serves one connection, feeding events to `callbacks`.
    /// `Ok(true)` asks [`serve_forever`] to shut down; `Ok(false)` or an
    /// error makes it reconnect after a backoff. An implementation calls
    /// [`Callbacks::reset_reconnection_count`] once its connection is up.
    fn serve_once(
        &self,
        callbacks: Arc<dyn Callbacks>,
    ) -> BoxFuture<'_, Result<bool, BackendError>>;
}

/// What a backend calls when something happens (errbot's `callback_*`);
/// the bot runtime ([`crate::Bot`]) implements it.
pub trait Callbacks: Send + Sync {
    /// A message arrived.
    fn callback_message(&self, msg: Message) -> BoxFuture<'_, ()>;
    /// A message mentioned people (called besides `callback_message`).
    fn callback_mention(&self, msg: Message, mentioned: Vec<Identifier>) -> BoxFuture<'_, ()>;
    /// Someone's presence changed.
    fn callback_presence(&self, presence: Presence) -> BoxFuture<'_, ()>;
    /// Someone (the bot when `who` is `None`) joined `room`.
    fn callback_room_joined(&self, room: RoomId, who: Option<Identifier>) -> BoxFuture<'_, ()>;
    /// Someone (the bot when `who` is `None`) left `room`.
    fn callback_room_left(&self, room: RoomId, who: Option<Identifier>) -> BoxFuture<'_, ()>;
    /// The topic of `room` changed.
    fn callback_room_topic(&self, room: RoomId, topic: Option<String>) -> BoxFuture<'_, ()>;
    /// A reaction was added or removed.
    fn callback_reaction(&self, reaction: Reaction) -> BoxFuture<'_, ()>;
    /// Someone offers the bot a file.
    fn callback_stream(&self, stream: Stream) -> BoxFuture<'_, ()>;
    /// The connection is up.
    fn connect_callback(&self) -> BoxFuture<'_, ()>;
    /// The connection went down.
    fn disconnect_callback(&self) -> BoxFuture<'_, ()>;
    /// The reconnection counter [`serve_forever`] uses.
    fn reconnection(&self) -> &Reconnection;
    /// Resets the reconnection counter after a successful connection.
    fn reset_reconnection_count(&self) {
        self.reconnection().reset();
    }
}

/// Consecutive failed connections, shared by [`serve_forever`] and the
/// backend (which resets it).
#[derive(Debug, Default)]
pub struct Reconnection {
    failures: AtomicU32,
}

impl Reconnection {
    /// Failures since the last reset.
    pub fn count(&self) -> u32 {
        self.failures.load(Ordering::SeqCst)
    }

    /// Back to zero.
    pub fn reset(&self) {
        self.failures.store(0, Ordering::SeqCst);
    }

    fn record_failure(&self) -> u32 {
        self.failures
            .fetch_add(1, Ordering::SeqCst)
            .saturating_add(1)
    }
}

/// How [`serve_forever`] waits between connections: the `n`th consecutive
/// failure waits `initial_delay * multiplier^(n-1)`, at most `max_delay`,
/// plus a random jitter below `jitter`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    /// Wait after the first failure.
    pub initial_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// Growth of the wait per failure.
    pub multiplier: f64,
    /// Upper bound of the random extra wait (spreads reconnecting bots).
    pub jitter: Duration,
    /// Give up after this many consecutive failures; `None` never gives up.
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    /// errbot's values: 1 s, times 1.75 per failure, at most 300 s, plus up
    /// to 3 s of jitter; never gives up.
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
            multiplier: 1.75,
            jitter: Duration::from_secs(3),
            max_attempts: None,
        }
    }
}

impl ReconnectPolicy {
    /// The wait after the `failures`th consecutive failure, without jitter.
    pub fn base_delay(&self, failures: u32) -> Duration {
        let exp = i32::try_from(failures.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.initial_delay.as_secs_f64() * self.multiplier.powi(exp);
        let max = self.max_delay.as_secs_f64();
        if secs.is_finite() && secs < max {
            Duration::from_secs_f64(secs.max(0.0))
        } else {
            self.max_delay
        }
    }

    fn delay(&self, failures: u32) -> Duration {
        let jitter_nanos = u64::try_from(self.jitter.as_nanos()).unwrap_or(u64::MAX);
        let extra = if jitter_nanos == 0 {
            0
        } else {
            pseudo_random() % jitter_nanos
        };
        self.base_delay(failures) + Duration::from_nanos(extra)
    }
}

/// A cheap random number for jitter (not for anything secret).
fn pseudo_random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}

/// Serves `backend` until [`Backend::serve_once`] returns `Ok(true)`,
/// reconnecting after failures with the waits of `policy` (errbot's
/// `serve_forever`). Returns [`BackendError::GaveUp`] once
/// `policy.max_attempts` consecutive connections have failed.
pub async fn serve_forever(
    backend: &dyn Backend,
    callbacks: Arc<dyn Callbacks>,
    policy: &ReconnectPolicy,
) -> Result<(), BackendError> {
    loop {
        match backend.serve_once(callbacks.clone()).await {
            Ok(true) => {
                tracing::info!("backend asked to shut down");
                return Ok(());
            }
            Ok(false) => tracing::warn!("connection ended; reconnecting"),
            Err(e) => tracing::error!(error = %e, "connection failed; reconnecting"),
        }
        let failures = callbacks.reconnection().record_failure();
        if policy.max_attempts.is_some_and(|max| failures >= max) {
            return Err(BackendError::GaveUp { attempts: failures });
        }
        let wait = policy.delay(failures);
        tracing::info!(?wait, failures, "waiting before reconnecting");
        tokio::time::sleep(wait).await;
    }
}

/// A room together with the backend that can act on it (errbot's `Room`
/// object): `room.join(None).await`, `room.topic().await`, ...
#[derive(Clone)]
pub struct Room {
    id: RoomId,
    backend: Arc<dyn Backend>,
}

impl std::fmt::Debug for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Room")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Room {
    /// The room `id` on `backend`.
    pub fn new(id: RoomId, backend: Arc<dyn Backend>) -> Self {
        Self { id, backend }
    }

    /// The room's identifier.
    pub fn id(&self) -> &RoomId {
        &self.id
    }

    /// Joins, with an optional password.
    pub async fn join(&self, password: Option<String>) -> Result<(), RoomError> {
        self.backend.room_join(&self.id, password).await
    }

    /// Leaves, with an optional reason.
    pub async fn leave(&self, reason: Option<String>) -> Result<(), RoomError> {
        self.backend.room_leave(&self.id, reason).await
    }

    /// Creates the room.
    pub async fn create(&self) -> Result<(), RoomError> {
        self.backend.room_create(&self.id).await
    }

    /// Destroys the room.
    pub async fn destroy(&self) -> Result<(), RoomError> {
        self.backend.room_destroy(&self.id).await
    }

    /// Whether the room exists.
    pub async fn exists(&self) -> Result<bool, RoomError> {
        self.backend.room_exists(&self.id).await
    }

    /// Whether the bot is in the room.
    pub async fn joined(&self) -> Result<bool, RoomError> {
        self.backend.room_joined(&self.id).await
    }

    /// The topic.
    pub async fn topic(&self) -> Result<Option<String>, RoomError> {
        self.backend.room_topic(&self.id).await
    }

    /// Sets the topic.
    pub async fn set_topic(&self, topic: impl Into<String>) -> Result<(), RoomError> {
        self.backend.room_set_topic(&self.id, topic.into()).await
    }

    /// The people in the room.
    pub async fn occupants(&self) -> Result<Vec<RoomOccupant>, RoomError> {
        self.backend.room_occupants(&self.id).await
    }

    /// Invites people.
    pub async fn invite(&self, people: Vec<Identifier>) -> Result<(), RoomError> {
        self.backend.room_invite(&self.id, people).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = ReconnectPolicy {
            jitter: Duration::ZERO,
            ..ReconnectPolicy::default()
        };
        assert_eq!(p.base_delay(1), Duration::from_secs(1));
        assert_eq!(p.base_delay(2), Duration::from_secs_f64(1.75));
        assert_eq!(p.base_delay(100), Duration::from_secs(300));
        assert_eq!(p.delay(3), p.base_delay(3));
        let j = ReconnectPolicy::default();
        let d = j.delay(1);
        assert!(d >= Duration::from_secs(1) && d < Duration::from_secs(4));
    }
}
