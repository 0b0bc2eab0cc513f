//! The bot runtime: configuration, plugin registry and the dispatch path.
//!
//! A message goes: backend -> [`Callbacks::callback_message`] -> plugin
//! `on_message` hooks -> (a `delayed` message, replayed history, and an
//! `action`, an emote, stop here) -> prefix / addressing -> command match (longest
//! multi-word name, then prefixed regex commands, then unprefixed ones) ->
//! filter chain (ACL, rate limit, plugin filters) -> handler in its own
//! task -> reply rendered for the backend and split into `partial`
//! messages -> [`Backend::send_message`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use serde::Deserialize;
use serde_json::Value;

use crate::acl::{AclFilter, AclRule, RateLimit, RateLimitFilter};
use crate::backend::{
    Backend, BoxFuture, Callbacks, ReconnectPolicy, Reconnection, Room, serve_forever,
};
use crate::error::{BackendError, BotError, BoxError, RoomError};
use crate::filter::{CommandFilter, FilterDecision, Invocation};
use crate::identifier::{Identifier, RoomId};
use crate::message::{Card, Message, Presence, Reaction, Stream};
use crate::plugin::{
    Captures, Command, CommandContext, Hooks, Matcher, Plugin, PluginContext, Reply, help,
    normalize_name,
};
use crate::render::{render, split_text};
use crate::scheduler::Scheduler;
use crate::storage::{SqliteStorage, Storage};

/// What the bot answers when a command fails or panics (errbot's
/// `MSG_ERROR_OCCURRED`).
pub const MSG_ERROR_OCCURRED: &str = "Sorry for your inconvenience. An unexpected error occurred.";

/// The longest multi-word command name tried.
const MAX_COMMAND_WORDS: usize = 6;

/// The bot's settings (the core part of errbot's `config.py`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct BotConfig {
    /// The command prefix (errbot's `BOT_PREFIX`), `"!"` by default.
    pub prefix: String,
    /// Other prefixes, matched ignoring ASCII case and followed by an
    /// optional separator (errbot's `BOT_ALT_PREFIXES`). The longest
    /// matching prefix wins.
    pub alt_prefixes: Vec<String>,
    /// What may follow an alternate prefix or the bot's name
    /// (errbot's `BOT_ALT_PREFIX_SEPARATORS`): `:`, `,` and `;` by default.
    pub alt_prefix_separators: Vec<String>,
    /// Treat the bot's nickname as an alternate prefix (`bot: help`).
    pub address_by_name: bool,
    /// In direct messages, commands work without a prefix
    /// (errbot's `BOT_PREFIX_OPTIONAL_ON_CHAT`).
    pub prefix_optional_in_direct: bool,
    /// The answer to an unknown command; `{command}` is replaced by what was
    /// typed. `None` stays silent.
    pub unknown_command_reply: Option<String>,
    /// Add "did you mean" suggestions to the unknown-command answer.
    pub suggest_commands: bool,
    /// Admins: globs over [`crate::Person::aclattr`] (errbot's `BOT_ADMINS`).
    pub admins: Vec<String>,
    /// Access rules, first match wins (errbot's `ACCESS_CONTROLS`).
    pub acls: Vec<AclRule>,
    /// Per-user command rate limit; admins are exempt.
    pub rate_limit: Option<RateLimit>,
    /// Prefix replies in rooms with the sender's nick
    /// (errbot's `GROUPCHAT_NICK_PREFIXED`).
    pub group_reply_mention: bool,
    /// Register the built-in `help` command.
    pub core_help: bool,
    /// Plugin configuration sections, by plugin name.
    pub plugins: serde_json::Map<String, Value>,
}

impl Default for BotConfig {
    fn default() -> Self {
        Self {
            prefix: "!".to_owned(),
            alt_prefixes: Vec::new(),
            alt_prefix_separators: vec![":".into(), ",".into(), ";".into()],
            address_by_name: true,
            prefix_optional_in_direct: false,
            unknown_command_reply: Some("Command \"{command}\" not found.".to_owned()),
            suggest_commands: true,
            admins: Vec::new(),
            acls: Vec::new(),
            rate_limit: None,
            group_reply_mention: false,
            core_help: true,
            plugins: serde_json::Map::new(),
        }
    }
}

/// Builds a [`Bot`].
pub struct BotBuilder {
    backend: Arc<dyn Backend>,
    config: BotConfig,
    storage: Option<Arc<dyn Storage>>,
    plugins: Vec<Arc<dyn Plugin>>,
    filters: Vec<Arc<dyn CommandFilter>>,
    policy: ReconnectPolicy,
}

impl std::fmt::Debug for BotBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl BotBuilder {
    /// Sets the configuration.
    #[must_use]
    pub fn config(mut self, config: BotConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the storage. Without one, the bot uses an in-memory SQLite
    /// database: nothing persists. See [`BotBuilder::storage_path`].
    #[must_use]
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Uses the SQLite database at `path` (created if needed).
    pub fn storage_path(mut self, path: impl AsRef<Path>) -> Result<Self, BotError> {
        self.storage = Some(Arc::new(SqliteStorage::open(path)?));
        Ok(self)
    }

    /// Adds a plugin.
    #[must_use]
    pub fn plugin(mut self, plugin: impl Plugin) -> Self {
        self.plugins.push(Arc::new(plugin));
        self
    }

    /// Adds plugins.
    #[must_use]
    pub fn plugins(mut self, plugins: impl IntoIterator<Item = Box<dyn Plugin>>) -> Self {
        self.plugins.extend(plugins.into_iter().map(Arc::from));
        self
    }

    /// Adds a command filter after the ACL and rate-limit filters.
    #[must_use]
    pub fn filter(mut self, filter: impl CommandFilter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Sets how [`Bot::run`] reconnects.
    #[must_use]
    pub fn reconnect_policy(mut self, policy: ReconnectPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds the bot and activates every plugin. Call it inside a tokio
    /// runtime (plugins may start jobs when activated).
    pub fn build(self) -> Result<Bot, BotError> {
        let storage = match self.storage {
            Some(s) => s,
            None => Arc::new(SqliteStorage::open_in_memory()?),
        };
        let mut filters: Vec<Arc<dyn CommandFilter>> = vec![Arc::new(AclFilter::new(
            self.config.admins.clone(),
            self.config.acls.clone(),
        ))];
        if let Some(limit) = self.config.rate_limit {
            filters.push(Arc::new(RateLimitFilter::new(
                limit,
                self.config.admins.clone(),
            )));
        }
        filters.extend(self.filters);
        let mut plugins: Vec<Arc<dyn Plugin>> = Vec::new();
        if self.config.core_help {
            plugins.push(Arc::new(help::HelpPlugin));
        }
        plugins.extend(self.plugins);
        let bot = Bot {
            inner: Arc::new(BotInner {
                backend: self.backend,
                config: self.config,
                storage,
                plugins: RwLock::new(Vec::new()),
                filters,
                history: Mutex::new(HashMap::new()),
                reconnection: Reconnection::default(),
                scheduler: Scheduler::default(),
                policy: self.policy,
            }),
        };
        for p in plugins {
            bot.register(p)?;
        }
        Ok(bot)
    }
}

/// A registered plugin: its name, the plugin, and whether it is active.
type FoundPlugin = (Arc<str>, Arc<dyn Plugin>, bool);

struct Active {
    commands: Vec<Arc<Command>>,
    hooks: Hooks,
    filters: Vec<Arc<dyn CommandFilter>>,
}

struct PluginEntry {
    name: Arc<str>,
    plugin: Arc<dyn Plugin>,
    active: Option<Active>,
}

struct BotInner {
    backend: Arc<dyn Backend>,
    config: BotConfig,
    storage: Arc<dyn Storage>,
    plugins: RwLock<Vec<PluginEntry>>,
    filters: Vec<Arc<dyn CommandFilter>>,
    /// The last command text per user, for `!!`.
    history: Mutex<HashMap<String, String>>,
    reconnection: Reconnection,
    scheduler: Scheduler,
    policy: ReconnectPolicy,
}

/// An active command, with the plugin that owns it.
#[derive(Clone)]
pub(crate) struct CommandRef {
    pub(crate) plugin: Arc<str>,
    pub(crate) description: String,
    pub(crate) command: Arc<Command>,
}

/// A plugin as listed by [`Bot::plugins`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The name.
    pub name: String,
    /// The description.
    pub description: String,
    /// Whether it is active.
    pub active: bool,
}

/// The bot: a backend, plugins, storage and configuration. Cheap to clone.
#[derive(Clone)]
pub struct Bot {
    inner: Arc<BotInner>,
}

impl std::fmt::Debug for Bot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bot")
            .field("mode", &self.inner.backend.mode())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Bot {
    /// Starts building a bot on `backend`.
    pub fn builder(backend: impl Backend) -> BotBuilder {
        Self::builder_shared(Arc::new(backend))
    }

    /// Starts building a bot on a backend that is shared with other code.
    pub fn builder_shared(backend: Arc<dyn Backend>) -> BotBuilder {
        BotBuilder {
            backend,
            config: BotConfig::default(),
            storage: None,
            plugins: Vec::new(),
            filters: Vec::new(),
            policy: ReconnectPolicy::default(),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// The configuration.
    pub fn config(&self) -> &BotConfig {
        &self.inner.config
    }

    /// The storage.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// Consecutive failed connections since the last successful one.
    pub fn reconnection_count(&self) -> u32 {
        self.inner.reconnection.count()
    }

    pub(crate) fn scheduler(&self) -> &Scheduler {
        &self.inner.scheduler
    }

    /// Serves the backend until it asks to shut down, reconnecting with the
    /// configured policy (errbot's `serve_forever`), then shuts the
    /// plugins down ([`Bot::shutdown`]).
    pub async fn run(&self) -> Result<(), BackendError> {
        let callbacks: Arc<dyn Callbacks> = Arc::new(self.clone());
        let served = serve_forever(&*self.inner.backend, callbacks, &self.inner.policy).await;
        self.shutdown();
        served
    }

    /// Deactivates every active plugin, last registered first: their
    /// `deactivate` runs and their jobs are cancelled.
    pub fn shutdown(&self) {
        let names: Vec<String> = self
            .plugins()
            .into_iter()
            .rev()
            .filter(|p| p.active)
            .map(|p| p.name)
            .collect();
        for name in names {
            if let Err(e) = self.deactivate_plugin(&name) {
                tracing::warn!(plugin = %name, error = %e, "could not deactivate");
            }
        }
    }

    fn plugin_context(&self, name: &Arc<str>) -> PluginContext {
        PluginContext {
            name: name.clone(),
            bot: self.clone(),
        }
    }

    fn register(&self, plugin: Arc<dyn Plugin>) -> Result<(), BotError> {
        let name: Arc<str> = Arc::from(plugin.name());
        {
            let mut plugins = self
                .inner
                .plugins
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if plugins.iter().any(|p| p.name.eq_ignore_ascii_case(&name)) {
                return Err(BotError::DuplicatePlugin {
                    name: name.to_string(),
                });
            }
            plugins.push(PluginEntry {
                name: name.clone(),
                plugin,
                active: None,
            });
        }
        self.activate_plugin(&name)
    }

    fn find_plugin(&self, name: &str) -> Result<FoundPlugin, BotError> {
        let plugins = self
            .inner
            .plugins
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        plugins
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| (p.name.clone(), p.plugin.clone(), p.active.is_some()))
            .ok_or_else(|| BotError::UnknownPlugin {
                name: name.to_owned(),
            })
    }

    /// Activates a plugin: reads its commands, hooks and filters and calls
    /// its `activate`. Activating an active plugin does nothing.
    pub fn activate_plugin(&self, name: &str) -> Result<(), BotError> {
        let (name, plugin, active) = self.find_plugin(name)?;
        if active {
            return Ok(());
        }
        let mut commands = plugin.commands();
        for c in &mut commands {
            c.compile().map_err(|source| BotError::Regex {
                command: c.name().to_owned(),
                source,
            })?;
        }
        let ctx = self.plugin_context(&name);
        if let Err(source) = plugin.activate(&ctx) {
            self.inner.scheduler.cancel_plugin(&name);
            return Err(BotError::Activation {
                name: name.to_string(),
                source,
            });
        }
        let active = Active {
            commands: commands.into_iter().map(Arc::new).collect(),
            hooks: plugin.hooks(),
            filters: plugin.filters(),
        };
        let mut plugins = self
            .inner
            .plugins
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = plugins.iter_mut().find(|p| p.name == name) {
            entry.active = Some(active);
        }
        tracing::info!(plugin = %name, "plugin activated");
        Ok(())
    }

    /// Deactivates a plugin: its commands and hooks stop, its jobs are
    /// cancelled, and its `deactivate` is called.
    pub fn deactivate_plugin(&self, name: &str) -> Result<(), BotError> {
        let (name, plugin, active) = self.find_plugin(name)?;
        if !active {
            return Ok(());
        }
        {
            let mut plugins = self
                .inner
                .plugins
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(entry) = plugins.iter_mut().find(|p| p.name == name) {
                entry.active = None;
            }
        }
        plugin.deactivate(&self.plugin_context(&name));
        self.inner.scheduler.cancel_plugin(&name);
        tracing::info!(plugin = %name, "plugin deactivated");
        Ok(())
    }

    /// The registered plugins, in registration order.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        let plugins = self
            .inner
            .plugins
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        plugins
            .iter()
            .map(|p| PluginInfo {
                name: p.name.to_string(),
                description: p.plugin.description().to_owned(),
                active: p.active.is_some(),
            })
            .collect()
    }

    /// The commands of the active plugins.
    pub(crate) fn active_commands(&self) -> Vec<CommandRef> {
        let plugins = self
            .inner
            .plugins
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        plugins
            .iter()
            .filter_map(|p| p.active.as_ref().map(|a| (p, a)))
            .flat_map(|(p, a)| {
                a.commands.iter().map(|c| CommandRef {
                    plugin: p.name.clone(),
                    description: p.plugin.description().to_owned(),
                    command: c.clone(),
                })
            })
            .collect()
    }

    fn active_hooks(&self) -> Vec<(Arc<str>, Hooks)> {
        let plugins = self
            .inner
            .plugins
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        plugins
            .iter()
            .filter_map(|p| p.active.as_ref().map(|a| (p.name.clone(), a.hooks.clone())))
            .collect()
    }

    fn filter_chain(&self) -> Vec<Arc<dyn CommandFilter>> {
        let mut chain = self.inner.filters.clone();
        let plugins = self
            .inner
            .plugins
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for a in plugins.iter().filter_map(|p| p.active.as_ref()) {
            chain.extend(a.filters.iter().cloned());
        }
        chain
    }

    /// How a command is typed: the prefix and the name (`!echo`).
    pub fn command_display(&self, name: &str) -> String {
        format!("{}{}", self.inner.config.prefix, name)
    }

    /// Whether `who` is a bot admin (by [`crate::Person::aclattr`]).
    pub fn is_admin(&self, who: &Identifier) -> bool {
        AclFilter::new(self.inner.config.admins.clone(), Vec::new()).is_admin(who.aclattr())
    }

    /// The generated help: the list of commands `msg`'s sender may run,
    /// or the details of one command or plugin when `topic` is given.
    pub fn help(&self, msg: &Message, topic: Option<&str>) -> String {
        help::help_text(self, msg, topic)
    }

    /// Runs the filter chain; `dry_run` checks without side effects.
    pub(crate) fn check_filters(
        &self,
        msg: &Message,
        c: &CommandRef,
        args: String,
        dry_run: bool,
    ) -> Result<String, Option<String>> {
        let mut inv = Invocation {
            msg,
            plugin: &c.plugin,
            command: c.command.name(),
            args,
            admin_only: c.command.is_admin_only(),
            dry_run,
        };
        for f in self.filter_chain() {
            if let FilterDecision::Deny { reply } = f.filter(&mut inv) {
                return Err(reply);
            }
        }
        Ok(inv.args)
    }

    /// A room handle.
    pub async fn query_room(&self, name: &str) -> Result<Room, RoomError> {
        let id = self.inner.backend.query_room(name).await?;
        Ok(Room::new(id, self.inner.backend.clone()))
    }

    /// Sends Markdown `text` to `to`.
    pub async fn send(&self, to: &Identifier, text: &str) -> Result<(), BackendError> {
        let mut msg = self.inner.backend.build_message(text);
        msg.to = Some(to.clone());
        self.send_message(msg).await
    }

    /// Renders `msg`'s Markdown body for the backend, splits it to the
    /// backend's size limit and sends the pieces (all but the last marked
    /// `partial`).
    pub async fn send_message(&self, mut msg: Message) -> Result<(), BackendError> {
        msg.body = render(&msg.body, self.inner.backend.markup());
        self.deliver(msg).await
    }

    async fn deliver(&self, msg: Message) -> Result<(), BackendError> {
        let pieces = split_text(&msg.body, self.inner.backend.message_size_limit());
        let last = pieces.len().saturating_sub(1);
        for (i, piece) in pieces.into_iter().enumerate() {
            let mut part = msg.clone();
            part.body = piece;
            part.partial = i < last;
            self.inner.backend.send_message(part).await?;
        }
        Ok(())
    }

    /// Replies to `msg` with Markdown `text`: in the room it came from, or to
    /// the sender of a direct message.
    pub async fn reply(&self, msg: &Message, text: &str) -> Result<(), BackendError> {
        let backend = &self.inner.backend;
        let mut reply = backend.build_reply(msg, text, false, msg.is_threaded());
        reply.body = render(&reply.body, backend.markup());
        if self.inner.config.group_reply_mention
            && msg.is_group()
            && let Some(frm) = &msg.frm
        {
            backend.prefix_groupchat_reply(&mut reply, frm);
        }
        self.deliver(reply).await
    }

    /// Sends a card: natively when the backend can, else as text.
    pub async fn send_card(&self, card: Card) -> Result<(), BackendError> {
        match self.inner.backend.send_card(card.clone()).await {
            Err(BackendError::Unsupported { .. }) => {
                let mut msg = self.inner.backend.build_message(&card.to_markdown());
                msg.to = card.to;
                self.send_message(msg).await
            }
            other => other,
        }
    }

    async fn send_reply(&self, msg: &Message, reply: Reply) -> Result<(), BackendError> {
        match reply {
            Reply::None => Ok(()),
            Reply::Text(t) => self.reply(msg, &t).await,
            Reply::Lines(lines) => {
                for l in lines {
                    self.reply(msg, &l).await?;
                }
                Ok(())
            }
            Reply::Card(mut card) => {
                if card.to.is_none() {
                    card.to = self.inner.backend.build_reply(msg, "", false, false).to;
                }
                self.send_card(*card).await
            }
        }
    }

    async fn reply_logged(&self, msg: &Message, text: &str) {
        if let Err(e) = self.reply(msg, text).await {
            tracing::warn!(error = %e, "could not send a reply");
        }
    }

    /// The text after the prefix, the bot's name or an alternate prefix;
    /// the whole body for a direct message when the prefix is optional.
    fn command_text<'m>(&self, msg: &'m Message) -> Option<&'m str> {
        let cfg = &self.inner.config;
        let body = msg.body.trim_start();
        let mut best: Option<(usize, usize)> = None; // (prefix length, bytes consumed)
        if !cfg.prefix.is_empty() && body.starts_with(&cfg.prefix) {
            best = Some((cfg.prefix.len(), cfg.prefix.len()));
        }
        let nick = self.inner.backend.bot_identifier().nick().to_owned();
        let names = cfg
            .alt_prefixes
            .iter()
            .map(String::as_str)
            .chain(cfg.address_by_name.then_some(nick.as_str()));
        for alt in names.filter(|a| !a.is_empty()) {
            let Some(head) = body.get(..alt.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(alt) {
                continue;
            }
            let after = &body[alt.len()..];
            let sep = cfg
                .alt_prefix_separators
                .iter()
                .find(|s| !s.is_empty() && after.starts_with(s.as_str()))
                .map_or(0, String::len);
            if sep == 0 && !after.is_empty() && !after.starts_with(char::is_whitespace) {
                continue;
            }
            if best.is_none_or(|(len, _)| alt.len() > len) {
                best = Some((alt.len(), alt.len() + sep));
            }
        }
        match best {
            Some((_, consumed)) => Some(body[consumed..].trim()).filter(|t| !t.is_empty()),
            None if cfg.prefix_optional_in_direct && msg.is_direct() => {
                Some(body.trim()).filter(|t| !t.is_empty())
            }
            None => None,
        }
    }

    async fn handle_message(&self, msg: Message) {
        if self.inner.backend.is_from_self(&msg) {
            return;
        }
        let hooks = self.active_hooks();
        for (name, h) in &hooks {
            if let Some(hook) = &h.message {
                self.run_hook(name, hook(self.plugin_context(name), msg.clone()))
                    .await;
            }
        }
        if msg.delayed || msg.action {
            // History replayed by the network, or an emote: hooks see it,
            // but no command is run from it.
            return;
        }
        let commands = self.active_commands();
        let mut matched = false;
        let addressed = self.command_text(&msg).map(str::to_owned);
        if let Some(text) = &addressed {
            matched = self.dispatch_addressed(&msg, text, &commands).await;
        }
        if !matched {
            for c in &commands {
                if let Matcher::Regex {
                    prefixed: false,
                    compiled: Some(re),
                    ..
                } = &c.command.matcher
                    && let Some(caps) = re.captures(&msg.body)
                {
                    let caps = Captures::from_regex(re, &caps);
                    matched = true;
                    self.execute(&msg, c, String::new(), Some(caps)).await;
                }
            }
        }
        if let (false, Some(text)) = (matched, addressed) {
            self.unknown_command(&msg, &text, &commands).await;
        }
    }

    /// Dispatches an addressed command text; false when nothing matched.
    async fn dispatch_addressed(&self, msg: &Message, text: &str, commands: &[CommandRef]) -> bool {
        let user = msg
            .frm
            .as_ref()
            .map(|f| f.aclattr().map_or_else(|| f.to_string(), str::to_owned));
        let text = if text == "!" || text == "!!" {
            let last = user
                .as_ref()
                .and_then(|u| lock(&self.inner.history).get(u).cloned());
            match last {
                Some(t) => t,
                None => {
                    self.reply_logged(msg, "There is no command to repeat.")
                        .await;
                    return true;
                }
            }
        } else {
            text.to_owned()
        };
        let Some((c, args, caps)) = find_command(&text, commands) else {
            return false;
        };
        if let Some(u) = user {
            lock(&self.inner.history).insert(u, text.clone());
        }
        self.execute(msg, &c, args, caps).await;
        true
    }

    async fn unknown_command(&self, msg: &Message, text: &str, commands: &[CommandRef]) {
        let Some(template) = &self.inner.config.unknown_command_reply else {
            return;
        };
        let typed = text.split_whitespace().next().unwrap_or("");
        let mut reply = template.replace("{command}", typed);
        if self.inner.config.suggest_commands {
            let names: Vec<&str> = commands
                .iter()
                .filter(|c| !c.command.is_regex() && !c.command.hidden)
                .filter(|c| self.check_filters(msg, c, String::new(), true).is_ok())
                .map(|c| c.command.name())
                .collect();
            let suggestions = help::suggest(&normalize_name(text), &names);
            if !suggestions.is_empty() {
                let shown: Vec<String> = suggestions
                    .iter()
                    .map(|s| format!("\"{}\"", self.command_display(s)))
                    .collect();
                reply.push_str(&format!("\nDid you mean {}?", shown.join(" or ")));
            }
        }
        self.reply_logged(msg, &reply).await;
    }

    async fn execute(
        &self,
        msg: &Message,
        c: &CommandRef,
        args: String,
        captures: Option<Captures>,
    ) {
        let args = match self.check_filters(msg, c, args, false) {
            Ok(args) => args,
            Err(reply) => {
                tracing::info!(plugin = %c.plugin, command = c.command.name(), "command filtered out");
                if let Some(r) = reply {
                    self.reply_logged(msg, &r).await;
                }
                return;
            }
        };
        tracing::debug!(plugin = %c.plugin, command = c.command.name(), "running command");
        let ctx = CommandContext {
            msg: msg.clone(),
            command: c.command.name().to_owned(),
            args,
            captures,
            plugin: self.plugin_context(&c.plugin),
        };
        let outcome = tokio::spawn((c.command.handler)(ctx)).await;
        let reply = match outcome {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                tracing::error!(plugin = %c.plugin, command = c.command.name(), error = %e, "command failed");
                Reply::Text(MSG_ERROR_OCCURRED.to_owned())
            }
            Err(e) => {
                tracing::error!(plugin = %c.plugin, command = c.command.name(), error = %e, "command panicked");
                Reply::Text(MSG_ERROR_OCCURRED.to_owned())
            }
        };
        if let Err(e) = self.send_reply(msg, reply).await {
            tracing::warn!(error = %e, "could not send a reply");
        }
    }

    async fn run_hook(&self, plugin: &str, fut: BoxFuture<'static, Result<(), BoxError>>) {
        match tokio::spawn(fut).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(plugin, error = %e, "callback failed"),
            Err(e) => tracing::error!(plugin, error = %e, "callback panicked"),
        }
    }

    async fn run_hooks<T: Clone>(
        &self,
        pick: impl Fn(&Hooks) -> Option<&crate::plugin::HookFn<T>>,
        arg: T,
    ) {
        for (name, h) in self.active_hooks() {
            if let Some(hook) = pick(&h) {
                self.run_hook(&name, hook(self.plugin_context(&name), arg.clone()))
                    .await;
            }
        }
    }
}

/// Finds the command `text` invokes: the longest multi-word name first,
/// then the prefixed regex commands.
fn find_command(
    text: &str,
    commands: &[CommandRef],
) -> Option<(CommandRef, String, Option<Captures>)> {
    // Word spans, to cut the argument text without changing its spacing.
    let mut spans = Vec::new();
    let mut start = None;
    for (i, ch) in text.char_indices() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    for n in (1..=spans.len().min(MAX_COMMAND_WORDS)).rev() {
        let end = spans[n - 1].1;
        let name = normalize_name(&text[..end]);
        if let Some(c) = commands
            .iter()
            .find(|c| !c.command.is_regex() && c.command.name() == name)
        {
            return Some((c.clone(), text[end..].trim().to_owned(), None));
        }
    }
    commands.iter().find_map(|c| match &c.command.matcher {
        Matcher::Regex {
            prefixed: true,
            compiled: Some(re),
            ..
        } => re.captures(text).map(|caps| {
            (
                c.clone(),
                String::new(),
                Some(Captures::from_regex(re, &caps)),
            )
        }),
        _ => None,
    })
}

impl Callbacks for Bot {
    fn callback_message(&self, msg: Message) -> BoxFuture<'_, ()> {
        Box::pin(self.handle_message(msg))
    }

    fn callback_mention(&self, msg: Message, mentioned: Vec<Identifier>) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.mention.as_ref(), (msg, mentioned)))
    }

    fn callback_presence(&self, presence: Presence) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.presence.as_ref(), presence))
    }

    fn callback_room_joined(&self, room: RoomId, who: Option<Identifier>) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.room_joined.as_ref(), (room, who)))
    }

    fn callback_room_left(&self, room: RoomId, who: Option<Identifier>) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.room_left.as_ref(), (room, who)))
    }

    fn callback_room_topic(&self, room: RoomId, topic: Option<String>) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.room_topic.as_ref(), (room, topic)))
    }

    fn callback_reaction(&self, reaction: Reaction) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.reaction.as_ref(), reaction))
    }

    fn callback_stream(&self, stream: Stream) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.stream.as_ref(), stream))
    }

    fn connect_callback(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.connect.as_ref(), ()))
    }

    fn disconnect_callback(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.run_hooks(|h| h.disconnect.as_ref(), ()))
    }

    fn reconnection(&self) -> &Reconnection {
        &self.inner.reconnection
    }
}
