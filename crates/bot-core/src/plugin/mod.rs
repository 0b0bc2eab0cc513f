//! Plugins: named bundles of commands, callbacks, filters and jobs.
//!
//! A plugin is a plain Rust type implementing [`Plugin`]. Its commands are
//! values built with [`Command`]; its callbacks with [`Hooks`]; its state
//! lives in the plugin value (shared with handlers through `Arc`) or in
//! its persistent storage ([`PluginContext::storage`]).

mod command;
pub(crate) mod help;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

pub use command::{
    ArgsError, Captures, Command, CommandContext, IntoReply, Reply, ascii_punctuation, split_args,
};
pub(crate) use command::{Matcher, normalize_name};

use crate::backend::{Backend, BoxFuture, Room};
use crate::bot::Bot;
use crate::error::{BackendError, BotError, BoxError, ConfigError, IdentifierError, RoomError};
use crate::filter::CommandFilter;
use crate::identifier::{Identifier, RoomId};
use crate::message::{Card, Message, Presence, Reaction, Stream};
use crate::scheduler::JobId;
use crate::storage::PluginStorage;

/// A plugin (errbot's `BotPlugin`).
///
/// ```
/// use bot_core::{Command, Plugin};
///
/// struct Echo;
///
/// impl Plugin for Echo {
///     fn name(&self) -> &str {
///         "Echo"
///     }
///     fn description(&self) -> &str {
///         "Repeats things."
///     }
///     fn commands(&self) -> Vec<Command> {
///         vec![Command::new("echo", |_ctx, args| async move { args }).help("Repeats what you say.")]
///     }
/// }
/// ```
pub trait Plugin: Send + Sync + 'static {
    /// The plugin's name: unique in a bot, the storage namespace, the key
    /// of its configuration section and the `plugin` part of ACL patterns.
    fn name(&self) -> &str;

    /// One line for the help list.
    fn description(&self) -> &str {
        ""
    }

    /// The commands, read at each activation.
    fn commands(&self) -> Vec<Command> {
        Vec::new()
    }

    /// The callbacks, read at each activation.
    fn hooks(&self) -> Hooks {
        Hooks::default()
    }

    /// Command filters this plugin adds to the chain (errbot's `cmdfilter`),
    /// run after the core's ACL and rate-limit filters.
    fn filters(&self) -> Vec<Arc<dyn CommandFilter>> {
        Vec::new()
    }

    /// Called when the plugin is activated: read configuration, start jobs.
    /// An error keeps the plugin inactive.
    fn activate(&self, ctx: &PluginContext) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Called when the plugin is deactivated; its jobs are cancelled after.
    fn deactivate(&self, ctx: &PluginContext) {
        let _ = ctx;
    }
}

pub(crate) type HookFn<T> =
    Arc<dyn Fn(PluginContext, T) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

fn hook<T, F, Fut, E>(f: F) -> HookFn<T>
where
    F: Fn(PluginContext, T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    Arc::new(move |ctx, arg| {
        let fut = f(ctx, arg);
        Box::pin(async move { fut.await.map_err(Into::into) })
    })
}

/// A plugin's callbacks (errbot's `callback_*` methods), each optional.
/// A callback that fails or panics is logged; the others still run.
#[derive(Clone, Default)]
pub struct Hooks {
    pub(crate) message: Option<HookFn<Message>>,
    pub(crate) mention: Option<HookFn<(Message, Vec<Identifier>)>>,
    pub(crate) presence: Option<HookFn<Presence>>,
    pub(crate) room_joined: Option<HookFn<(RoomId, Option<Identifier>)>>,
    pub(crate) room_left: Option<HookFn<(RoomId, Option<Identifier>)>>,
    pub(crate) room_topic: Option<HookFn<(RoomId, Option<String>)>>,
    pub(crate) reaction: Option<HookFn<Reaction>>,
    pub(crate) stream: Option<HookFn<Stream>>,
    pub(crate) connect: Option<HookFn<()>>,
    pub(crate) disconnect: Option<HookFn<()>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

macro_rules! hook_setter {
    ($(#[$doc:meta])* $method:ident, $field:ident, $arg:ty) => {
        $(#[$doc])*
        #[must_use]
        pub fn $method<F, Fut, E>(mut self, f: F) -> Self
        where
            F: Fn(PluginContext, $arg) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Result<(), E>> + Send + 'static,
            E: Into<BoxError>,
        {
            self.$field = Some(hook(f));
            self
        }
    };
}

impl Hooks {
    /// No callbacks.
    pub fn new() -> Self {
        Self::default()
    }

    hook_setter!(
        /// Every incoming message, commands included.
        on_message, message, Message);
    hook_setter!(
        /// A message mentioning people.
        on_mention, mention, (Message, Vec<Identifier>));
    hook_setter!(
        /// A presence change.
        on_presence, presence, Presence);
    hook_setter!(
        /// Someone (the bot when `None`) joined a room.
        on_room_joined, room_joined, (RoomId, Option<Identifier>));
    hook_setter!(
        /// Someone (the bot when `None`) left a room.
        on_room_left, room_left, (RoomId, Option<Identifier>));
    hook_setter!(
        /// A room's topic changed.
        on_room_topic, room_topic, (RoomId, Option<String>));
    hook_setter!(
        /// A reaction was added or removed.
        on_reaction, reaction, Reaction);
    hook_setter!(
        /// A file is offered to the bot.
        on_stream, stream, Stream);
    hook_setter!(
        /// The backend connected.
        on_connect, connect, ());
    hook_setter!(
        /// The backend disconnected.
        on_disconnect, disconnect, ());
}

/// What a plugin can reach: its storage and configuration, sending,
/// rooms, and the scheduler. Cheap to clone.
#[derive(Clone)]
pub struct PluginContext {
    pub(crate) name: Arc<str>,
    pub(crate) bot: Bot,
}

impl std::fmt::Debug for PluginContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginContext")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PluginContext {
    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bot.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        self.bot.backend()
    }

    /// The plugin's persistent storage.
    pub fn storage(&self) -> PluginStorage {
        PluginStorage::new(self.bot.storage().clone(), self.name.to_string())
    }

    /// The plugin's configuration section, read into `T`.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        match self.bot.config().plugins.get(&*self.name) {
            Some(v) => T::deserialize(v).map_err(|source| ConfigError::Invalid {
                plugin: self.name.to_string(),
                source,
            }),
            None => Err(ConfigError::Missing {
                plugin: self.name.to_string(),
            }),
        }
    }

    /// The configuration section, or `T::default()` when there is none.
    pub fn config_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, ConfigError> {
        match self.config() {
            Err(ConfigError::Missing { .. }) => Ok(T::default()),
            other => other,
        }
    }

    /// Builds an identifier with the backend.
    pub fn build_identifier(&self, text: &str) -> Result<Identifier, IdentifierError> {
        self.bot.backend().build_identifier(text)
    }

    /// Sends Markdown text to `to`.
    pub async fn send(&self, to: &Identifier, text: &str) -> Result<(), BackendError> {
        self.bot.send(to, text).await
    }

    /// Sends a card.
    pub async fn send_card(&self, card: Card) -> Result<(), BackendError> {
        self.bot.send_card(card).await
    }

    /// A room handle.
    pub async fn query_room(&self, name: &str) -> Result<Room, RoomError> {
        self.bot.query_room(name).await
    }

    /// Runs `job` every `interval` (first after one interval) until the
    /// plugin is deactivated or the job cancelled. A run that fails or
    /// panics is logged and the schedule continues. Fails with
    /// [`BotError::NoRuntime`] outside a tokio runtime.
    pub fn start_poller<F, Fut, E>(&self, interval: Duration, job: F) -> Result<JobId, BotError>
    where
        F: Fn(PluginContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.bot.scheduler().every(self.clone(), interval, job)
    }

    /// Runs `job` once after `delay`. Fails with [`BotError::NoRuntime`]
    /// outside a tokio runtime.
    pub fn run_later<F, Fut, E>(&self, delay: Duration, job: F) -> Result<JobId, BotError>
    where
        F: FnOnce(PluginContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.bot.scheduler().once(self.clone(), delay, job)
    }

    /// Cancels a job; says whether it was still scheduled.
    pub fn cancel_job(&self, id: JobId) -> bool {
        self.bot.scheduler().cancel(&self.name, id)
    }
}
