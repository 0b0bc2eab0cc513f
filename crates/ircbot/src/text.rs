//! `ircbot --text`: the bot in this terminal, with the built-in plugins,
//! on bot-core's text backend. Reads standard input line by line (a pipe
//! works), stops at end of input, on `/quit`, on `!quit` from an admin,
//! and on SIGINT or SIGTERM.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use bot_core::backends::text::TextBackend;
use bot_core::{Bot, BoxError, BoxFuture};
use bot_plugins::{AdminControls, Options};
use tokio::sync::Notify;

use crate::config::{self, Config, Loaded};

/// What the text mode needs to start.
#[derive(Debug)]
pub(crate) struct TextMode {
    /// The configuration file, loaded and checked.
    pub(crate) config: Option<Loaded>,
    /// Who is typing.
    pub(crate) user: String,
}

/// The state directory: `[state] dir` (relative to the configuration
/// file), else `$XDG_STATE_HOME/ircbot`, else `~/.local/state/ircbot`,
/// else `ircbot` in the system's temporary directory.
pub(crate) fn state_dir(config: Option<&Loaded>) -> PathBuf {
    if let Some(l) = config
        && let Some(dir) = &l.config.state.dir
    {
        return l.resolve(dir);
    }
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(x) = env_dir("XDG_STATE_HOME") {
        return x.join("ircbot");
    }
    if let Some(home) = env_dir("HOME") {
        return home.join(".local/state/ircbot");
    }
    std::env::temp_dir().join("ircbot")
}

/// Program controls for the admin plugin: `quit` stops the bot, `reload`
/// re-reads the configuration file, `nick` changes the nick on IRC.
pub(crate) struct Controls {
    /// Woken by `!quit`.
    pub(crate) quit: Arc<Notify>,
    /// The reason given to `!quit`.
    pub(crate) reason: Mutex<Option<String>>,
    /// The configuration in force.
    pub(crate) current: Mutex<Option<Loaded>>,
    /// The IRC client, in `ircbot run`.
    pub(crate) irc: Option<irc_client::Client>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Activates or deactivates the built-in plugins whose selection differs
/// between `old` and `new`; says what it did.
fn apply_selection(bot: &Bot, old: &Config, new: &Config) -> Vec<String> {
    let mut done = Vec::new();
    for name in bot_plugins::NAMES {
        let (was, is) = (old.plugin_wanted(name), new.plugin_wanted(name));
        if was == is || bot_plugins::plugins::PROTECTED.contains(name) {
            continue;
        }
        let result = if is {
            bot.activate_plugin(name)
                .map(|()| format!("enabled {name}"))
        } else {
            bot.deactivate_plugin(name)
                .map(|()| format!("disabled {name}"))
        };
        match result {
            Ok(line) => done.push(line),
            Err(e) => done.push(format!("{name}: {e}")),
        }
    }
    done
}

impl AdminControls for Controls {
    fn change_nick(&self, _bot: &Bot, nick: String) -> BoxFuture<'_, Result<String, BoxError>> {
        Box::pin(async move {
            let Some(client) = &self.irc else {
                return Err::<_, BoxError>("the nick cannot be changed in text mode".into());
            };
            if !config::valid_nick(&nick) {
                return Err(format!("{nick:?} is not a valid nick").into());
            }
            client.send_wait(irc_proto::Command::nick(&nick)?).await?;
            Ok(format!("Asked the server for the nick {nick}."))
        })
    }

    fn quit(&self, _bot: &Bot, reason: Option<String>) -> BoxFuture<'_, Result<(), BoxError>> {
        tracing::info!(
            reason = reason.as_deref().unwrap_or(""),
            "quit asked by an admin"
        );
        *lock(&self.reason) = reason;
        self.quit.notify_one();
        Box::pin(async { Ok(()) })
    }

    fn reload(&self, bot: &Bot) -> BoxFuture<'_, Result<String, BoxError>> {
        let outcome = (|| {
            let mut current = lock(&self.current);
            let Some(old) = current.as_ref() else {
                return Err::<_, BoxError>(
                    "there is no configuration file to reload (start with -c)".into(),
                );
            };
            let new = config::load(&old.path)?;
            let done = apply_selection(bot, &old.config, &new.config);
            *current = Some(new);
            let changes = if done.is_empty() {
                "no plugin changes".to_owned()
            } else {
                done.join(", ")
            };
            Ok(format!(
                "Configuration reloaded: {changes}. The plugin selection applies now; \
                 other changes (server, identity, sasl, state, bot prefix, admins, ACLs, \
                 plugin settings, flood, log) apply at the next start."
            ))
        })();
        Box::pin(async move { outcome })
    }
}

/// Waits for SIGINT or SIGTERM and names it.
pub(crate) async fn wait_for_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

impl TextMode {
    /// Runs the bot until input ends, `!quit`, or a signal.
    pub(crate) async fn run(self) -> anyhow::Result<()> {
        let dir = state_dir(self.config.as_ref());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        let db = dir.join("ircbot.sqlite3");

        let mut bot_config = match &self.config {
            Some(l) => l.config.bot_config().context("the plugin settings")?,
            None => bot_core::BotConfig::default(),
        };
        // The person at the terminal runs the bot: make them an admin.
        bot_config.admins.push(self.user.clone());
        if let Some(l) = &self.config {
            bot_config.core_help = l.config.plugin_wanted("Help");
        }
        let nick = self
            .config
            .as_ref()
            .map_or_else(|| "ircbot".to_owned(), |l| l.config.identity.nick.clone());

        let quit = Arc::new(Notify::new());
        let controls = Arc::new(Controls {
            quit: quit.clone(),
            reason: Mutex::new(None),
            current: Mutex::new(self.config.clone()),
            irc: None,
        });
        let backend = TextBackend::stdio(self.user.clone()).with_bot_name(nick);
        let bot = Bot::builder(backend)
            .config(bot_config)
            .storage_path(&db)
            .with_context(|| format!("cannot open the database {}", db.display()))?
            .plugins(bot_plugins::builtin_with(Options {
                controls: Some(controls),
                ..Options::default()
            }))
            .build()
            .context("cannot start the bot")?;
        if let Some(l) = &self.config {
            for name in bot_plugins::NAMES {
                if !l.config.plugin_wanted(name) && !bot_plugins::plugins::PROTECTED.contains(name)
                {
                    bot.deactivate_plugin(name)?;
                }
            }
        }

        eprintln!(
            "ircbot {} in text mode, speaking as {} (an admin here); state in {}.\n\
             Type !help for the commands, /help for the terminal helpers, /quit or Ctrl-D to leave.",
            env!("CARGO_PKG_VERSION"),
            self.user,
            dir.display()
        );

        let outcome = tokio::select! {
            served = bot.run() => served.map_err(anyhow::Error::from),
            () = quit.notified() => {
                bot.shutdown();
                Ok(())
            }
            name = wait_for_signal() => {
                tracing::info!(signal = name, "stopping");
                bot.shutdown();
                Ok(())
            }
        };
        drop(bot);
        outcome
    }
}
