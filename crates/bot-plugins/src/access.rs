//! Who counts as a bot admin for the built-in plugins.
//!
//! An admin is anyone bot-core treats as one (the `admins` globs of
//! [`bot_core::BotConfig`], matched on `aclattr`) plus the admins added at
//! run time with `!admin add`, kept in the `Admin` plugin's storage. The
//! built-in admin commands check both; commands of other plugins marked
//! [`bot_core::Command::admin_only`] only know the configured admins.

use bot_core::acl::glob_match;
use bot_core::storage::PluginStorage;
use bot_core::{Bot, Identifier, StorageError};

/// The storage namespace of the run-time admin list (the `Admin` plugin's).
pub const ADMIN_NAMESPACE: &str = "Admin";
/// The storage key of the run-time admin list.
pub const ADMINS_KEY: &str = "admins";
/// What a non-admin is told.
pub const NOT_ADMIN: &str = "This command requires bot-admin privileges.";

/// The run-time admin globs.
pub fn runtime_admins(bot: &Bot) -> Result<Vec<String>, StorageError> {
    Ok(PluginStorage::new(bot.storage().clone(), ADMIN_NAMESPACE)
        .get::<Vec<String>>(ADMINS_KEY)?
        .unwrap_or_default())
}

/// Replaces the run-time admin globs.
pub fn set_runtime_admins(bot: &Bot, admins: &[String]) -> Result<(), StorageError> {
    PluginStorage::new(bot.storage().clone(), ADMIN_NAMESPACE).set(ADMINS_KEY, admins)
}

/// Whether `who` is a configured or a run-time admin. Nobody is an admin
/// without an `aclattr`; a storage error counts as "not an admin".
pub fn is_admin(bot: &Bot, who: Option<&Identifier>) -> bool {
    let Some(who) = who else {
        return false;
    };
    if bot.is_admin(who) {
        return true;
    }
    let Some(attr) = who.aclattr() else {
        return false;
    };
    match runtime_admins(bot) {
        Ok(list) => list.iter().any(|g| glob_match(g, attr)),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the run-time admins");
            false
        }
    }
}

/// The nick of `who`, lower-cased for use as a storage key.
pub fn nick_key(nick: &str) -> String {
    nick.to_lowercase()
}
