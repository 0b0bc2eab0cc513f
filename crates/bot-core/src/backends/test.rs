//! The test backend: an in-memory harness for plugin tests (errbot's
//! `testbot`).
//!
//! [`TestBot`] runs a real [`Bot`] on a [`TestBackend`]: push messages as
//! a user (directly or in a room), pop the bot's replies with a timeout,
//! and assert on them. Messages are handled one at a time in the order
//! pushed, so a push followed by a pop is deterministic.
//!
//! Identifiers: `alice` is a person (her `aclattr` is `alice`), `#room` a
//! room, `#room/alice` alice in `#room`; the bot is `bot`.
//!
//! ```
//! use bot_core::backends::test::TestBot;
//! use bot_core::{Command, Plugin};
//!
//! struct Greet;
//! impl Plugin for Greet {
//!     fn name(&self) -> &str { "Greet" }
//!     fn commands(&self) -> Vec<Command> {
//!         vec![Command::new("hi", |ctx, _args| async move {
//!             format!("Hi, {}!", ctx.frm().map_or("you", |f| f.nick()))
//!         })]
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let bot = TestBot::builder().plugin(Greet).start().await.unwrap();
//! bot.assert_command("!hi", "Hi, tester!").await;
//! bot.push_room_message("#general", "alice", "!hi");
//! let reply = bot.pop_message().await.unwrap();
//! assert_eq!(reply.body, "Hi, alice!");
//! assert!(reply.is_group());
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::backend::{Backend, BoxFuture, Callbacks, ReconnectPolicy};
use crate::bot::{Bot, BotConfig};
use crate::error::{BackendError, BotError, IdentifierError, RoomError, UserError};
use crate::filter::CommandFilter;
use crate::identifier::{Identifier, Person, RoomId, RoomOccupant};
use crate::message::{Card, Message, Presence, Reaction, Stream};
use crate::plugin::Plugin;
use crate::render::Markup;
use crate::storage::Storage;

/// Something pushed into the test backend.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TestEvent {
    /// A message to the bot.
    Message(Message),
    /// A message that mentions people.
    Mention(Message, Vec<Identifier>),
    /// A presence change.
    Presence(Presence),
    /// A reaction.
    Reaction(Reaction),
    /// Someone (the bot when `None`) joined a room.
    RoomJoined(RoomId, Option<Identifier>),
    /// Someone (the bot when `None`) left a room.
    RoomLeft(RoomId, Option<Identifier>),
    /// A topic change.
    RoomTopic(RoomId, Option<String>),
    /// A file offered to the bot.
    Stream(Stream),
    /// The connection drops: `serve_once` returns `Ok(false)` and the bot
    /// reconnects.
    Disconnect,
    /// The backend asks the bot to shut down.
    Stop,
}

#[derive(Debug, Default)]
struct RoomState {
    joined: bool,
    topic: Option<String>,
    occupants: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct State {
    rooms: BTreeMap<String, RoomState>,
    users: BTreeSet<String>,
    presence: Option<Presence>,
}

/// The in-memory backend behind [`TestBot`].
pub struct TestBackend {
    me: Person,
    outgoing: mpsc::UnboundedSender<Message>,
    cards: Option<mpsc::UnboundedSender<Card>>,
    incoming: tokio::sync::Mutex<mpsc::UnboundedReceiver<TestEvent>>,
    state: Mutex<State>,
    limit: usize,
    markup: Markup,
}

impl std::fmt::Debug for TestBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestBackend")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl TestBackend {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes `name` a known user (for `invite`).
    pub fn add_user(&self, name: &str) {
        self.state().users.insert(name.to_owned());
    }

    /// The last presence the bot set.
    pub fn presence(&self) -> Option<Presence> {
        self.state().presence.clone()
    }

    fn with_joined<T>(
        &self,
        room: &RoomId,
        f: impl FnOnce(&mut RoomState, &BTreeSet<String>) -> Result<T, RoomError>,
    ) -> Result<T, RoomError> {
        let mut st = self.state();
        let State { rooms, users, .. } = &mut *st;
        let r = rooms
            .get_mut(room.name())
            .ok_or_else(|| RoomError::DoesNotExist {
                room: room.name().to_owned(),
            })?;
        if !r.joined {
            return Err(RoomError::NotJoined {
                room: room.name().to_owned(),
            });
        }
        f(r, users)
    }

    fn note_message(&self, msg: &Message) {
        let mut st = self.state();
        if let Some(p) = msg.frm.as_ref().and_then(Identifier::as_person) {
            st.users.insert(p.person().to_owned());
            if let Some(room) = msg.frm.as_ref().and_then(Identifier::room) {
                let r = st.rooms.entry(room.name().to_owned()).or_default();
                r.joined = true;
                r.occupants.insert(p.person().to_owned());
                r.occupants.insert(self.me.person().to_owned());
            }
        }
    }
}

fn ready<T: Send + 'static>(v: T) -> BoxFuture<'static, T> {
    Box::pin(async move { v })
}

impl Backend for TestBackend {
    fn mode(&self) -> &str {
        "test"
    }

    fn bot_identifier(&self) -> Identifier {
        self.me.clone().into()
    }

    fn build_identifier(&self, text: &str) -> Result<Identifier, IdentifierError> {
        super::parse_identifier(text)
    }

    fn message_size_limit(&self) -> usize {
        self.limit
    }

    fn markup(&self) -> Markup {
        self.markup
    }

    fn send_message(&self, msg: Message) -> BoxFuture<'_, Result<(), BackendError>> {
        let sent = self
            .outgoing
            .send(msg)
            .map_err(|_| BackendError::Disconnected);
        ready(sent)
    }

    fn send_card(&self, card: Card) -> BoxFuture<'_, Result<(), BackendError>> {
        let sent = match &self.cards {
            Some(tx) => tx.send(card).map_err(|_| BackendError::Disconnected),
            None => Err(BackendError::Unsupported {
                operation: "send_card",
            }),
        };
        ready(sent)
    }

    fn change_presence(&self, presence: Presence) -> BoxFuture<'_, Result<(), BackendError>> {
        self.state().presence = Some(presence);
        ready(Ok(()))
    }

    fn rooms(&self) -> BoxFuture<'_, Result<Vec<RoomId>, RoomError>> {
        let rooms = self
            .state()
            .rooms
            .iter()
            .filter(|(_, r)| r.joined)
            .map(|(n, _)| RoomId::new(n.clone()))
            .collect();
        ready(Ok(rooms))
    }

    fn room_join(
        &self,
        room: &RoomId,
        _password: Option<String>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        let mut st = self.state();
        let r = st.rooms.entry(room.name().to_owned()).or_default();
        r.joined = true;
        r.occupants.insert(self.me.person().to_owned());
        ready(Ok(()))
    }

    fn room_leave(
        &self,
        room: &RoomId,
        _reason: Option<String>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        let me = self.me.person().to_owned();
        ready(self.with_joined(room, |r, _| {
            r.joined = false;
            r.occupants.remove(&me);
            Ok(())
        }))
    }

    fn room_create(&self, room: &RoomId) -> BoxFuture<'_, Result<(), RoomError>> {
        let mut st = self.state();
        let out = if st.rooms.contains_key(room.name()) {
            Err(RoomError::AlreadyExists {
                room: room.name().to_owned(),
            })
        } else {
            st.rooms
                .insert(room.name().to_owned(), RoomState::default());
            Ok(())
        };
        ready(out)
    }

    fn room_destroy(&self, room: &RoomId) -> BoxFuture<'_, Result<(), RoomError>> {
        let out = match self.state().rooms.remove(room.name()) {
            Some(_) => Ok(()),
            None => Err(RoomError::DoesNotExist {
                room: room.name().to_owned(),
            }),
        };
        ready(out)
    }

    fn room_exists(&self, room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        ready(Ok(self.state().rooms.contains_key(room.name())))
    }

    fn room_joined(&self, room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        ready(Ok(self
            .state()
            .rooms
            .get(room.name())
            .is_some_and(|r| r.joined)))
    }

    fn room_topic(&self, room: &RoomId) -> BoxFuture<'_, Result<Option<String>, RoomError>> {
        ready(self.with_joined(room, |r, _| Ok(r.topic.clone())))
    }

    fn room_set_topic(&self, room: &RoomId, topic: String) -> BoxFuture<'_, Result<(), RoomError>> {
        ready(self.with_joined(room, |r, _| {
            r.topic = Some(topic);
            Ok(())
        }))
    }

    fn room_occupants(&self, room: &RoomId) -> BoxFuture<'_, Result<Vec<RoomOccupant>, RoomError>> {
        ready(self.with_joined(room, |r, _| {
            Ok(r.occupants
                .iter()
                .map(|p| RoomOccupant::new(Person::new(p.clone()), room.clone()))
                .collect())
        }))
    }

    fn room_invite(
        &self,
        room: &RoomId,
        people: Vec<Identifier>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        ready(self.with_joined(room, |r, users| {
            for id in &people {
                let Some(p) = id.as_person() else {
                    return Err(UserError::DoesNotExist {
                        user: id.to_string(),
                    }
                    .into());
                };
                if !users.contains(p.person()) {
                    return Err(UserError::DoesNotExist {
                        user: p.person().to_owned(),
                    }
                    .into());
                }
            }
            for id in &people {
                if let Some(p) = id.as_person() {
                    r.occupants.insert(p.person().to_owned());
                }
            }
            Ok(())
        }))
    }

    fn serve_once(
        &self,
        callbacks: Arc<dyn Callbacks>,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        Box::pin(async move {
            let mut incoming = self.incoming.lock().await;
            callbacks.reset_reconnection_count();
            callbacks.connect_callback().await;
            loop {
                let Some(event) = incoming.recv().await else {
                    return Ok(true);
                };
                match event {
                    TestEvent::Message(m) => {
                        self.note_message(&m);
                        callbacks.callback_message(m).await;
                    }
                    TestEvent::Mention(m, who) => callbacks.callback_mention(m, who).await,
                    TestEvent::Presence(p) => callbacks.callback_presence(p).await,
                    TestEvent::Reaction(r) => callbacks.callback_reaction(r).await,
                    TestEvent::RoomJoined(r, who) => callbacks.callback_room_joined(r, who).await,
                    TestEvent::RoomLeft(r, who) => callbacks.callback_room_left(r, who).await,
                    TestEvent::RoomTopic(r, t) => callbacks.callback_room_topic(r, t).await,
                    TestEvent::Stream(s) => callbacks.callback_stream(s).await,
                    TestEvent::Disconnect => {
                        callbacks.disconnect_callback().await;
                        return Ok(false);
                    }
                    TestEvent::Stop => return Ok(true),
                }
            }
        })
    }
}

/// Builds a [`TestBot`].
pub struct TestBotBuilder {
    config: BotConfig,
    plugins: Vec<Box<dyn Plugin>>,
    filters: Vec<Arc<dyn CommandFilter>>,
    storage: Option<Arc<dyn Storage>>,
    limit: usize,
    markup: Markup,
    native_cards: bool,
    user: String,
    bot_name: String,
    timeout: Duration,
}

impl std::fmt::Debug for TestBotBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestBotBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TestBotBuilder {
    /// Sets the bot configuration.
    #[must_use]
    pub fn config(mut self, config: BotConfig) -> Self {
        self.config = config;
        self
    }

    /// Adds a plugin.
    #[must_use]
    pub fn plugin(mut self, plugin: impl Plugin) -> Self {
        self.plugins.push(Box::new(plugin));
        self
    }

    /// Adds plugins.
    #[must_use]
    pub fn plugins(mut self, plugins: impl IntoIterator<Item = Box<dyn Plugin>>) -> Self {
        self.plugins.extend(plugins);
        self
    }

    /// Adds a command filter.
    #[must_use]
    pub fn filter(mut self, filter: impl CommandFilter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Uses this storage (an in-memory store by default).
    #[must_use]
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// The backend's `message_size_limit` (0, no limit, by default).
    #[must_use]
    pub fn message_size_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// How replies are rendered ([`Markup::Markdown`], unchanged, by default).
    #[must_use]
    pub fn markup(mut self, markup: Markup) -> Self {
        self.markup = markup;
        self
    }

    /// Pretend the backend shows cards natively ([`TestBot::pop_card`]).
    #[must_use]
    pub fn native_cards(mut self) -> Self {
        self.native_cards = true;
        self
    }

    /// The user `push_message` sends as (`tester` by default).
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// The bot's name (`bot` by default).
    #[must_use]
    pub fn bot_name(mut self, name: impl Into<String>) -> Self {
        self.bot_name = name.into();
        self
    }

    /// How long `pop_message` waits (5 s by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the bot and starts serving in a background task.
    pub async fn start(self) -> Result<TestBot, BotError> {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (card_tx, card_rx) = mpsc::unbounded_channel();
        let backend = Arc::new(TestBackend {
            me: Person::new(self.bot_name),
            outgoing: out_tx,
            cards: self.native_cards.then_some(card_tx),
            incoming: tokio::sync::Mutex::new(in_rx),
            state: Mutex::new(State::default()),
            limit: self.limit,
            markup: self.markup,
        });
        let mut builder = Bot::builder_shared(backend.clone())
            .config(self.config)
            .plugins(self.plugins)
            .reconnect_policy(ReconnectPolicy {
                jitter: Duration::ZERO,
                ..ReconnectPolicy::default()
            });
        builder = builder.storage(match self.storage {
            Some(s) => s,
            None => Arc::new(crate::storage::MemoryStorage::new()),
        });
        for f in self.filters {
            builder = builder.filter(SharedFilter(f));
        }
        let bot = builder.build()?;
        let runner = bot.clone();
        let task = tokio::spawn(async move { runner.run().await });
        Ok(TestBot {
            bot,
            backend,
            incoming: in_tx,
            outgoing: tokio::sync::Mutex::new(out_rx),
            cards: tokio::sync::Mutex::new(card_rx),
            task: Some(task),
            user: self.user,
            timeout: self.timeout,
        })
    }
}

struct SharedFilter(Arc<dyn CommandFilter>);

impl CommandFilter for SharedFilter {
    fn filter(
        &self,
        invocation: &mut crate::filter::Invocation<'_>,
    ) -> crate::filter::FilterDecision {
        self.0.filter(invocation)
    }
}

/// A bot on the test backend, serving in the background.
pub struct TestBot {
    bot: Bot,
    backend: Arc<TestBackend>,
    incoming: mpsc::UnboundedSender<TestEvent>,
    outgoing: tokio::sync::Mutex<mpsc::UnboundedReceiver<Message>>,
    cards: tokio::sync::Mutex<mpsc::UnboundedReceiver<Card>>,
    task: Option<JoinHandle<Result<(), BackendError>>>,
    user: String,
    timeout: Duration,
}

impl std::fmt::Debug for TestBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestBot")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Drop for TestBot {
    /// Stops serving and shuts the plugins down (their jobs stop).
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            self.bot.shutdown();
        }
    }
}

impl TestBot {
    /// A builder with the defaults: user `tester`, bot `bot`, prefix `!`,
    /// no size limit, Markdown left as written, in-memory storage.
    pub fn builder() -> TestBotBuilder {
        TestBotBuilder {
            config: BotConfig::default(),
            plugins: Vec::new(),
            filters: Vec::new(),
            storage: None,
            limit: 0,
            markup: Markup::Markdown,
            native_cards: false,
            user: "tester".to_owned(),
            bot_name: "bot".to_owned(),
            timeout: Duration::from_secs(5),
        }
    }

    /// A bot with these plugins and the defaults.
    pub async fn new(plugins: Vec<Box<dyn Plugin>>) -> Result<Self, BotError> {
        Self::builder().plugins(plugins).start().await
    }

    /// The bot.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The backend.
    pub fn backend(&self) -> &TestBackend {
        &self.backend
    }

    /// Pushes any event.
    pub fn push_event(&self, event: TestEvent) {
        // The receiver lives as long as the backend, which `self` holds.
        let _ = self.incoming.send(event);
    }

    /// Pushes a message as it is.
    pub fn push(&self, msg: Message) {
        self.push_event(TestEvent::Message(msg));
    }

    /// Pushes a direct message from the default user.
    pub fn push_message(&self, text: &str) {
        self.push_message_from(&self.user.clone(), text);
    }

    /// Pushes a direct message from `user`.
    pub fn push_message_from(&self, user: &str, text: &str) {
        self.push(
            Message::new(text)
                .from(Person::new(user))
                .to(self.backend.me.clone()),
        );
    }

    /// Pushes a message from `user` in `room` (the room is joined if needed).
    pub fn push_room_message(&self, room: &str, user: &str, text: &str) {
        let room = RoomId::new(room);
        self.push(
            Message::new(text)
                .from(RoomOccupant::new(Person::new(user), room.clone()))
                .to(room),
        );
    }

    /// The next message the bot sent, waiting up to the timeout.
    pub async fn pop_message(&self) -> Result<Message, BotError> {
        let mut rx = self.outgoing.lock().await;
        match tokio::time::timeout(self.timeout, rx.recv()).await {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(BotError::Backend(BackendError::Disconnected)),
            Err(_) => Err(BotError::Timeout(self.timeout)),
        }
    }

    /// The body of the next message the bot sent.
    pub async fn pop_text(&self) -> Result<String, BotError> {
        Ok(self.pop_message().await?.body)
    }

    /// The next card sent natively (see [`TestBotBuilder::native_cards`]).
    pub async fn pop_card(&self) -> Result<Card, BotError> {
        let mut rx = self.cards.lock().await;
        match tokio::time::timeout(self.timeout, rx.recv()).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(BotError::Backend(BackendError::Disconnected)),
            Err(_) => Err(BotError::Timeout(self.timeout)),
        }
    }

    /// Sends `command` as the default user and checks that the next reply
    /// contains `expected` (errbot's `assertInCommand`).
    ///
    /// # Panics
    ///
    /// When no reply comes in time or it does not contain `expected`: it
    /// is an assertion for tests.
    pub async fn assert_command(&self, command: &str, expected: &str) {
        self.push_message(command);
        match self.pop_text().await {
            Ok(body) => assert!(
                body.contains(expected),
                "reply to {command:?} was {body:?}, expected it to contain {expected:?}"
            ),
            Err(e) => panic!("no reply to {command:?}: {e}"),
        }
    }

    /// Checks that the bot sends nothing within `wait`.
    ///
    /// # Panics
    ///
    /// When a message arrives: it is an assertion for tests.
    pub async fn assert_no_reply(&self, wait: Duration) {
        let mut rx = self.outgoing.lock().await;
        if let Ok(Some(m)) = tokio::time::timeout(wait, rx.recv()).await {
            panic!("expected no reply, got {:?}", m.body);
        }
    }

    /// Asks the backend to shut down and waits for the bot to stop (which
    /// deactivates the plugins).
    pub async fn stop(mut self) -> Result<(), BackendError> {
        self.push_event(TestEvent::Stop);
        match self.task.take() {
            Some(task) => match tokio::time::timeout(self.timeout, task).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => Err(BackendError::Other(e.to_string())),
                Err(_) => Err(BackendError::Other(
                    "the bot did not stop in time".to_owned(),
                )),
            },
            None => Ok(()),
        }
    }
}
