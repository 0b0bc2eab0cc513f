//! `Plugins`: list, enable and disable plugins at run time.
//!
//! The disabled set is kept in storage: a plugin disabled with
//! `!plugins disable` stays disabled after a restart (it is deactivated
//! again when the bot connects, before the first message is handled).

use bot_core::storage::PluginStorage;
use bot_core::{Bot, BoxError, Command, Hooks, Plugin, StorageError};

use crate::access::{NOT_ADMIN, is_admin};

/// The plugin's name, which is also its storage namespace.
pub const NAME: &str = "Plugins";
/// The storage key of the disabled plugin names.
pub const DISABLED_KEY: &str = "disabled";
/// Plugins that cannot be disabled at run time (it would lock admins out).
pub const PROTECTED: &[&str] = &["Plugins", "Admin"];

/// The `Plugins` plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct PluginManager;

fn store(bot: &Bot) -> PluginStorage {
    PluginStorage::new(bot.storage().clone(), NAME)
}

/// The plugins disabled at run time, as stored.
pub fn disabled(bot: &Bot) -> Result<Vec<String>, StorageError> {
    Ok(store(bot)
        .get::<Vec<String>>(DISABLED_KEY)?
        .unwrap_or_default())
}

/// Deactivates the plugins stored as disabled; returns their names. Names
/// of plugins this bot does not have are kept (another build may have
/// them) and skipped.
pub fn restore_disabled(bot: &Bot) -> Result<Vec<String>, StorageError> {
    let mut done = Vec::new();
    for name in disabled(bot)? {
        if PROTECTED.iter().any(|p| p.eq_ignore_ascii_case(&name)) {
            continue;
        }
        match bot.deactivate_plugin(&name) {
            Ok(()) => done.push(name),
            Err(e) => {
                tracing::debug!(plugin = %name, error = %e, "stored as disabled, not deactivated");
            }
        }
    }
    Ok(done)
}

fn set_disabled(bot: &Bot, name: &str, off: bool) -> Result<(), StorageError> {
    let mut list = disabled(bot)?;
    list.retain(|n| !n.eq_ignore_ascii_case(name));
    if off {
        list.push(name.to_owned());
    }
    store(bot).set(DISABLED_KEY, &list)
}

fn list(bot: &Bot) -> String {
    let mut lines = vec!["**Plugins:**".to_owned()];
    for p in bot.plugins() {
        let state = if p.active { "active" } else { "disabled" };
        if p.description.is_empty() {
            lines.push(format!("- {} ({state})", p.name));
        } else {
            lines.push(format!("- {} ({state}): {}", p.name, p.description));
        }
    }
    lines.join("\n")
}

/// Finds a plugin's exact name, ignoring case.
fn find(bot: &Bot, name: &str) -> Option<String> {
    bot.plugins()
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.name)
}

impl Plugin for PluginManager {
    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "Lists, enables and disables plugins."
    }

    fn commands(&self) -> Vec<Command> {
        vec![
            Command::new("plugins", |ctx, _args| async move { list(ctx.bot()) })
                .help("Lists the plugins and whether they are active."),
            Command::new("plugins list", |ctx, _args| async move { list(ctx.bot()) }).hidden(),
            Command::new("plugins enable", |ctx, args| async move {
                if !is_admin(ctx.bot(), ctx.frm()) {
                    return Ok::<_, BoxError>(NOT_ADMIN.to_owned());
                }
                let Some(name) = find(ctx.bot(), args.trim()) else {
                    return Ok(format!("There is no plugin called {:?}.", args.trim()));
                };
                set_disabled(ctx.bot(), &name, false)?;
                match ctx.bot().activate_plugin(&name) {
                    Ok(()) => Ok(format!("{name} is enabled.")),
                    Err(e) => Ok(format!("{name} could not be activated: {e}")),
                }
            })
            .help("Enables a plugin, now and after restarts: `plugins enable <name>` (admin)."),
            Command::new("plugins disable", |ctx, args| async move {
                if !is_admin(ctx.bot(), ctx.frm()) {
                    return Ok::<_, BoxError>(NOT_ADMIN.to_owned());
                }
                let Some(name) = find(ctx.bot(), args.trim()) else {
                    return Ok(format!("There is no plugin called {:?}.", args.trim()));
                };
                if PROTECTED.iter().any(|p| p.eq_ignore_ascii_case(&name)) {
                    return Ok(format!("{name} cannot be disabled."));
                }
                set_disabled(ctx.bot(), &name, true)?;
                ctx.bot().deactivate_plugin(&name)?;
                Ok(format!("{name} is disabled."))
            })
            .help("Disables a plugin, now and after restarts: `plugins disable <name>` (admin)."),
        ]
    }

    fn hooks(&self) -> Hooks {
        Hooks::new().on_connect(|ctx, ()| async move {
            let done = restore_disabled(ctx.bot())?;
            if !done.is_empty() {
                tracing::info!(plugins = ?done, "plugins disabled at run time stay disabled");
            }
            Ok::<_, BoxError>(())
        })
    }
}
