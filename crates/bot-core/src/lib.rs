//! An errbot-style chat bot framework, independent of any chat network.
//!
//! A bot is a [`Backend`] (a chat network, a terminal, or the in-memory
//! test harness), plugins offering commands and callbacks, storage, and
//! a configuration ([`BotConfig`]). The model and its names come from
//! errbot: identifiers, rooms, messages, cards, presence, reactions,
//! streams, `callback_*`, `serve_once`/`serve_forever`, ACLs, `!help`.
//!
//! # A ten-line bot
//!
//! ```no_run
//! use bot_core::{backends::text::TextBackend, Bot, Command, Plugin};
//!
//! struct Hello;
//! impl Plugin for Hello {
//!     fn name(&self) -> &str { "Hello" }
//!     fn commands(&self) -> Vec<Command> {
//!         vec![Command::new("hello", |_ctx, args| async move { format!("Hello, {args}!") })]
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     Ok(Bot::builder(TextBackend::stdio("me")).plugin(Hello).build()?.run().await?)
//! }
//! ```
//!
//! Type `!hello world`, `!help`, or `/join #room` (see [`backends::text`]).
//! The same bot is `examples/textbot.rs`:
//! `printf '!hello world\n' | cargo run -p bot-core --example textbot`.
//!
//! # A ten-line plugin test
//!
//! ```
//! use bot_core::{backends::test::TestBot, Command, Plugin};
//!
//! struct Hello;
//! impl Plugin for Hello {
//!     fn name(&self) -> &str { "Hello" }
//!     fn commands(&self) -> Vec<Command> {
//!         vec![Command::new("hello", |_ctx, args| async move { format!("Hello, {args}!") })]
//!     }
//! }
//!
//! #[tokio::test]
//! # async fn dummy() {}
//! async fn says_hello() {
//!     let bot = TestBot::builder().plugin(Hello).start().await.unwrap();
//!     bot.assert_command("!hello world", "Hello, world!").await;
//! }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(says_hello());
//! ```
//!
//! # Map of the crate
//!
//! * [`backend`]: the [`Backend`] contract, the [`Callbacks`] the core
//!   implements, [`serve_forever`] with reconnection backoff, [`Room`].
//! * [`identifier`]: [`Person`], [`RoomOccupant`], [`RoomId`], [`Identifier`].
//! * [`message`]: [`Message`], [`Card`], [`Presence`], [`Reaction`], [`Stream`].
//! * [`plugin`]: [`Plugin`], [`Command`] (plain, clap-typed, regex),
//!   [`Hooks`], [`PluginContext`].
//! * [`filter`] and [`acl`]: the command filter chain, ACLs, rate limits.
//! * [`storage`]: [`Storage`], [`SqliteStorage`] (default), [`MemoryStorage`].
//! * [`scheduler`]: interval and one-shot jobs.
//! * [`render`]: Markdown rendering per backend and message splitting.
//! * [`backends`]: the `text` REPL and the `test` harness.
//!
//! # Where it differs from errbot
//!
//! * `!!` repeats the user's last command, whatever its kind (errbot
//!   crashes after a regex command).
//! * Card fields render one per line with aligned keys.
//! * A message has no `flow` attribute (errbot's returns the sender).
//! * A person in a room carries the same [`Person`], so the same
//!   `aclattr`, as in a direct message: admins stay admins in rooms.

#![forbid(unsafe_code)]

pub mod acl;
pub mod backend;
pub mod backends;
mod bot;
pub mod error;
pub mod filter;
pub mod identifier;
pub mod message;
pub mod plugin;
pub mod render;
pub mod scheduler;
pub mod storage;

pub use acl::{AclRule, RateLimit};
pub use backend::{
    Backend, BoxFuture, Callbacks, ReconnectPolicy, Reconnection, Room, serve_forever,
};
pub use bot::{Bot, BotBuilder, BotConfig, MSG_ERROR_OCCURRED, PluginInfo};
pub use error::{
    BackendError, BotError, BoxError, ConfigError, IdentifierError, RoomError, StorageError,
    StreamError, UserError,
};
pub use filter::{CommandFilter, FilterDecision, Invocation};
pub use identifier::{Identifier, Person, RoomId, RoomOccupant};
pub use message::{
    Card, Message, Presence, PresenceStatus, Reaction, ReactionAction, Stream, StreamDirection,
    StreamStatus,
};
pub use plugin::{
    Captures, Command, CommandContext, Hooks, IntoReply, Plugin, PluginContext, Reply,
};
pub use render::Markup;
pub use scheduler::JobId;
pub use storage::{MemoryStorage, PluginStorage, SqliteStorage, Storage};
