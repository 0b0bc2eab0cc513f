//! The built-in plugins of ircbot, written on [`bot_core`] and usable with
//! any of its backends.
//!
//! | plugin | commands |
//! |--------|----------|
//! | [`Status`](status::Status) | `status` |
//! | [`Echo`](echo::Echo) | `echo`, `say` |
//! | [`Admin`](admin::Admin) | `join`, `part`, `nick`, `quit`, `reload`, `admin add/remove/list`, `acl add/remove/list` |
//! | [`PluginManager`](plugins::PluginManager) (`Plugins`) | `plugins`, `plugins enable/disable` |
//! | [`Seen`](seen::Seen) | `seen` |
//! | [`Tell`](tell::Tell) | `tell` |
//! | [`Remind`](remind::Remind) | `remind`, `remind list`, `remind cancel` |
//! | [`Karma`](karma::Karma) | `thing++`, `thing--`, `karma` |
//! | [`Choose`](choose::Choose) | `choose` |
//! | [`Dice`](dice::Dice) | `dice` |
//!
//! `help` is bot-core's built-in `Help` plugin (on by default): `!help`
//! lists every command above, `!help <command>` explains one.
//!
//! ```
//! use bot_core::backends::test::TestBot;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let bot = TestBot::new(bot_plugins::builtin()).await.unwrap();
//! bot.assert_command("!echo hi", "hi").await;
//! bot.assert_command("!dice 1d1", "= 1").await;
//! # }
//! ```
//!
//! Persistent state (admins, ACL rules, disabled plugins, seen, tell,
//! reminders, karma) lives in each plugin's storage namespace, so a bot
//! built with SQLite storage keeps it across restarts.

#![forbid(unsafe_code)]

use std::sync::Arc;

use bot_core::Plugin;

pub mod access;
pub mod admin;
pub mod choose;
pub mod clock;
pub mod dice;
pub mod echo;
pub mod humanize;
pub mod karma;
pub mod plugins;
pub mod remind;
pub mod rng;
pub mod seen;
pub mod status;
pub mod tell;

pub use admin::AdminControls;

/// What the built-in plugins share: the wall clock, the random number
/// generator, and the program's [`AdminControls`].
#[derive(Clone, Default)]
pub struct Options {
    /// The wall clock (the system clock when `None`).
    pub clock: Option<clock::SharedClock>,
    /// The random number generator (seeded from the OS when `None`).
    pub rng: Option<rng::SharedRng>,
    /// What `nick`, `quit` and `reload` do (unavailable when `None`).
    pub controls: Option<Arc<dyn AdminControls>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("clock", &self.clock.is_some())
            .field("rng", &self.rng)
            .field("controls", &self.controls.is_some())
            .finish()
    }
}

/// The names of the built-in plugins, in the order [`builtin`] returns them.
pub const NAMES: &[&str] = &[
    "Status", "Echo", "Admin", "Plugins", "Seen", "Tell", "Remind", "Karma", "Choose", "Dice",
];

/// Every built-in plugin with the defaults (system clock, OS-seeded
/// random numbers, no program controls).
pub fn builtin() -> Vec<Box<dyn Plugin>> {
    builtin_with(Options::default())
}

/// Every built-in plugin, sharing `options`.
pub fn builtin_with(options: Options) -> Vec<Box<dyn Plugin>> {
    let clock = options.clock.unwrap_or_else(clock::system);
    let rng = options.rng.unwrap_or_default();
    let mut admin = admin::Admin::new();
    if let Some(c) = options.controls {
        admin = admin.with_controls(c);
    }
    vec![
        Box::new(status::Status::new()),
        Box::new(echo::Echo),
        Box::new(admin),
        Box::new(plugins::PluginManager),
        Box::new(seen::Seen::new(clock.clone())),
        Box::new(tell::Tell::new(clock.clone())),
        Box::new(remind::Remind::new(clock)),
        Box::new(karma::Karma),
        Box::new(choose::Choose::new(rng.clone())),
        Box::new(dice::Dice::new(rng)),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_match_the_plugins() {
        let names: Vec<String> = super::builtin()
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        assert_eq!(names, super::NAMES);
    }
}
