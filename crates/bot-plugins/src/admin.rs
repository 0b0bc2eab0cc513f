//! `Admin`: rooms, nick, quit, reload, and run-time admins and ACLs.
//!
//! Every command here needs a bot admin: one listed in the configuration
//! or one added with `!admin add` (see [`crate::access`]). Run-time admins
//! and ACL rules are kept in storage and survive a restart.
//!
//! What depends on the program around the bot (changing the nick,
//! stopping, reloading the configuration) goes through
//! [`AdminControls`], which the program provides; without one these
//! commands answer that they are not available.

use std::sync::{Arc, RwLock};

use bot_core::acl::{AclFilter, glob_match};
use bot_core::{
    AclRule, Bot, BoxError, BoxFuture, Command, CommandContext, CommandFilter, FilterDecision,
    Invocation, Plugin, PluginContext,
};
use serde::{Deserialize, Serialize};

use crate::access::{NOT_ADMIN, is_admin, runtime_admins, set_runtime_admins};

/// The storage key of the run-time ACL rules.
pub const RULES_KEY: &str = "acl_rules";

/// What the program running the bot lets admins do to it.
pub trait AdminControls: Send + Sync + 'static {
    /// Changes the bot's nick; answers what to tell the admin.
    fn change_nick(&self, bot: &Bot, nick: String) -> BoxFuture<'_, Result<String, BoxError>> {
        let _ = (bot, nick);
        Box::pin(async { Err("changing the nick is not supported by this backend".into()) })
    }

    /// Stops the bot (after the answer is sent).
    fn quit(&self, bot: &Bot, reason: Option<String>) -> BoxFuture<'_, Result<(), BoxError>>;

    /// Reloads the configuration; answers what changed.
    fn reload(&self, bot: &Bot) -> BoxFuture<'_, Result<String, BoxError>> {
        let _ = bot;
        Box::pin(async { Err("there is no configuration file to reload".into()) })
    }
}

/// A run-time ACL rule as stored: errbot's allow/deny user lists for one
/// `plugin:command` glob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRule {
    /// A glob over `plugin:command`.
    pub command: String,
    /// `true`: only `users` may run it; `false`: `users` may not.
    pub allow: bool,
    /// Globs over `aclattr`.
    pub users: Vec<String>,
}

impl StoredRule {
    fn to_acl(&self) -> AclRule {
        let mut rule = AclRule::new(self.command.clone());
        if self.allow {
            rule.allow_users = Some(self.users.clone());
        } else {
            rule.deny_users = Some(self.users.clone());
        }
        rule
    }

    fn describe(&self) -> String {
        let verb = if self.allow { "only" } else { "not" };
        format!("{}: {verb} {}", self.command, self.users.join(", "))
    }
}

#[derive(Debug, Default)]
struct Shared {
    config_admins: Vec<String>,
    runtime_admins: Vec<String>,
    rules: Vec<StoredRule>,
}

type SharedState = Arc<RwLock<Shared>>;

fn read(s: &SharedState) -> std::sync::RwLockReadGuard<'_, Shared> {
    s.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write(s: &SharedState) -> std::sync::RwLockWriteGuard<'_, Shared> {
    s.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether `plugin:command` is one of the built-in admin commands.
pub fn admin_gated(plugin: &str, command: &str) -> bool {
    plugin.eq_ignore_ascii_case("Admin")
        || (plugin.eq_ignore_ascii_case(crate::plugins::NAME)
            && matches!(command, "plugins enable" | "plugins disable"))
}

/// Applies the run-time ACL rules (admins are exempt) and hides the
/// built-in admin commands from the help of non-admins.
struct RuntimeAcl(SharedState);

impl CommandFilter for RuntimeAcl {
    fn filter(&self, inv: &mut Invocation<'_>) -> FilterDecision {
        let (admin, acl) = {
            let s = read(&self.0);
            let user = inv.msg.frm.as_ref().and_then(|f| f.aclattr());
            let admin = user.is_some_and(|u| {
                s.config_admins
                    .iter()
                    .chain(&s.runtime_admins)
                    .any(|g| glob_match(g, u))
            });
            let rules = s.rules.iter().map(StoredRule::to_acl).collect();
            (admin, AclFilter::new(Vec::new(), rules))
        };
        if admin {
            FilterDecision::Allow
        } else if inv.dry_run && admin_gated(inv.plugin, inv.command) {
            // Hidden from the help and suggestions of non-admins; a real
            // run reaches the handler, which answers why not.
            FilterDecision::Deny { reply: None }
        } else {
            acl.filter(inv)
        }
    }
}

/// The `Admin` plugin.
#[derive(Clone, Default)]
pub struct Admin {
    controls: Option<Arc<dyn AdminControls>>,
    state: SharedState,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("controls", &self.controls.is_some())
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// An admin plugin without program controls (`nick`, `quit` and
    /// `reload` answer that they are not available).
    pub fn new() -> Self {
        Self::default()
    }

    /// An admin plugin using `controls` for `nick`, `quit` and `reload`.
    #[must_use]
    pub fn with_controls(mut self, controls: Arc<dyn AdminControls>) -> Self {
        self.controls = Some(controls);
        self
    }
}

fn denied(ctx: &CommandContext) -> Option<String> {
    (!is_admin(ctx.bot(), ctx.frm())).then(|| NOT_ADMIN.to_owned())
}

fn load_rules(ctx: &PluginContext) -> Result<Vec<StoredRule>, BoxError> {
    Ok(ctx.storage().get(RULES_KEY)?.unwrap_or_default())
}

fn words(args: &str) -> Vec<String> {
    args.split_whitespace().map(str::to_owned).collect()
}

fn current_room(ctx: &CommandContext) -> Option<String> {
    ctx.msg()
        .to
        .as_ref()
        .and_then(|t| t.room())
        .map(|r| r.name().to_owned())
}

impl Admin {
    fn room_commands(&self) -> Vec<Command> {
        vec![
            Command::new("join", |ctx, args| async move {
                if let Some(no) = denied(&ctx) {
                    return Ok::<_, BoxError>(no);
                }
                let w = words(&args);
                let Some(room) = w.first() else {
                    return Ok("Usage: `join #room [password]`".to_owned());
                };
                let handle = ctx.bot().query_room(room).await?;
                match handle.join(w.get(1).cloned()).await {
                    Ok(()) => Ok(format!("Joined {room}.")),
                    Err(e) => Ok(format!("Could not join {room}: {e}")),
                }
            })
            .help("Joins a room: `join #room [password]` (admin)."),
            Command::new("part", |ctx, args| async move {
                if let Some(no) = denied(&ctx) {
                    return Ok::<_, BoxError>(no);
                }
                let (room, reason) = match args.trim().split_once(char::is_whitespace) {
                    Some((r, reason)) if r.starts_with('#') => {
                        (Some(r.to_owned()), Some(reason.trim().to_owned()))
                    }
                    _ if args.trim().starts_with('#') => (Some(args.trim().to_owned()), None),
                    _ => (
                        current_room(&ctx),
                        Some(args.trim().to_owned()).filter(|r| !r.is_empty()),
                    ),
                };
                let Some(room) = room else {
                    return Ok("Usage: `part [#room] [reason]`".to_owned());
                };
                let handle = ctx.bot().query_room(&room).await?;
                match handle.leave(reason).await {
                    Ok(()) => Ok(format!("Left {room}.")),
                    Err(e) => Ok(format!("Could not leave {room}: {e}")),
                }
            })
            .help("Leaves a room: `part [#room] [reason]`, the current room by default (admin)."),
        ]
    }

    fn control_commands(&self) -> Vec<Command> {
        let nick_controls = self.controls.clone();
        let quit_controls = self.controls.clone();
        let reload_controls = self.controls.clone();
        vec![
            Command::new("nick", move |ctx, args| {
                let controls = nick_controls.clone();
                async move {
                    if let Some(no) = denied(&ctx) {
                        return no;
                    }
                    let nick = args.trim().to_owned();
                    if nick.is_empty() || nick.contains(char::is_whitespace) {
                        return "Usage: `nick <new-nick>`".to_owned();
                    }
                    let Some(c) = controls else {
                        return "Changing the nick is not available here.".to_owned();
                    };
                    match c.change_nick(ctx.bot(), nick).await {
                        Ok(answer) => answer,
                        Err(e) => format!("Could not change the nick: {e}"),
                    }
                }
            })
            .help("Changes the bot's nick: `nick <new-nick>` (admin)."),
            Command::new("quit", move |ctx, args| {
                let controls = quit_controls.clone();
                async move {
                    if let Some(no) = denied(&ctx) {
                        return Some(no);
                    }
                    let Some(c) = controls else {
                        return Some("Stopping the bot is not available here.".to_owned());
                    };
                    let reason = Some(args.trim().to_owned()).filter(|r| !r.is_empty());
                    if let Err(e) = ctx.reply("Bye.").await {
                        tracing::warn!(error = %e, "could not say goodbye");
                    }
                    match c.quit(ctx.bot(), reason).await {
                        Ok(()) => None,
                        Err(e) => Some(format!("Could not stop: {e}")),
                    }
                }
            })
            .help("Stops the bot: `quit [reason]` (admin)."),
            Command::new("reload", move |ctx, _args| {
                let controls = reload_controls.clone();
                async move {
                    if let Some(no) = denied(&ctx) {
                        return no;
                    }
                    let Some(c) = controls else {
                        return "There is no configuration to reload here.".to_owned();
                    };
                    match c.reload(ctx.bot()).await {
                        Ok(answer) => answer,
                        Err(e) => format!("Could not reload: {e}"),
                    }
                }
            })
            .help(
                "Reloads the configuration file (admin): checks it and applies \
                 what can change at run time; says what needs a restart.",
            ),
        ]
    }

    fn admin_commands(&self) -> Vec<Command> {
        let add_state = self.state.clone();
        let remove_state = self.state.clone();
        vec![
            Command::new("admin add", move |ctx, args| {
                let state = add_state.clone();
                async move {
                    if let Some(no) = denied(&ctx) {
                        return Ok::<_, BoxError>(no);
                    }
                    let glob = args.trim();
                    if glob.is_empty() || glob.contains(char::is_whitespace) {
                        return Ok("Usage: `admin add <user-glob>`".to_owned());
                    }
                    let mut list = runtime_admins(ctx.bot())?;
                    if list.iter().any(|g| g.eq_ignore_ascii_case(glob)) {
                        return Ok(format!("{glob} is already an admin."));
                    }
                    list.push(glob.to_owned());
                    set_runtime_admins(ctx.bot(), &list)?;
                    write(&state).runtime_admins = list;
                    Ok(format!("{glob} is now an admin."))
                }
            })
            .help("Adds a run-time admin: `admin add <user-glob>` (admin)."),
            Command::new("admin remove", move |ctx, args| {
                let state = remove_state.clone();
                async move {
                    if let Some(no) = denied(&ctx) {
                        return Ok::<_, BoxError>(no);
                    }
                    let glob = args.trim();
                    let mut list = runtime_admins(ctx.bot())?;
                    let before = list.len();
                    list.retain(|g| !g.eq_ignore_ascii_case(glob));
                    if list.len() == before {
                        let configured = ctx
                            .bot()
                            .config()
                            .admins
                            .iter()
                            .any(|g| g.eq_ignore_ascii_case(glob));
                        return Ok(if configured {
                            format!(
                                "{glob} is an admin in the configuration file; remove it there."
                            )
                        } else {
                            format!("{glob} is not a run-time admin.")
                        });
                    }
                    set_runtime_admins(ctx.bot(), &list)?;
                    write(&state).runtime_admins = list;
                    Ok(format!("{glob} is no longer an admin."))
                }
            })
            .help("Removes a run-time admin: `admin remove <user-glob>` (admin)."),
            Command::new("admin list", |ctx, _args| async move {
                if let Some(no) = denied(&ctx) {
                    return Ok::<_, BoxError>(no);
                }
                let configured = ctx.bot().config().admins.clone();
                let runtime = runtime_admins(ctx.bot())?;
                let show = |l: &[String]| {
                    if l.is_empty() {
                        "none".to_owned()
                    } else {
                        l.join(", ")
                    }
                };
                Ok(format!(
                    "configured: {}\nadded at run time: {}",
                    show(&configured),
                    show(&runtime)
                ))
            })
            .help("Lists the admins (admin)."),
        ]
    }

    fn acl_commands(&self) -> Vec<Command> {
        let add_state = self.state.clone();
        let remove_state = self.state.clone();
        vec![
            Command::new("acl list", |ctx, _args| async move {
                if let Some(no) = denied(&ctx) {
                    return Ok::<_, BoxError>(no);
                }
                let mut lines = vec!["**Configured rules** (first match wins):".to_owned()];
                let configured = &ctx.bot().config().acls;
                if configured.is_empty() {
                    lines.push("none".to_owned());
                }
                for r in configured {
                    lines.push(format!("- {}", describe_acl(r)));
                }
                lines.push("**Run-time rules** (checked after those; admins are exempt):".to_owned());
                let rules = load_rules(ctx.plugin())?;
                if rules.is_empty() {
                    lines.push("none".to_owned());
                }
                for (i, r) in rules.iter().enumerate() {
                    lines.push(format!("{}. {}", i + 1, r.describe()));
                }
                Ok(lines.join("\n"))
            })
            .help("Lists the ACL rules, configured and run-time (admin)."),
            Command::new("acl add", move |ctx, args| {
                let state = add_state.clone();
                async move {
                    if let Some(no) = denied(&ctx) {
                        return Ok::<_, BoxError>(no);
                    }
                    let w = words(&args);
                    let usage = "Usage: `acl add <Plugin:command> allow|deny <user-glob>[,<user-glob>...]`";
                    let [command, verb, users] = w.as_slice() else {
                        return Ok(usage.to_owned());
                    };
                    let allow = match verb.to_ascii_lowercase().as_str() {
                        "allow" => true,
                        "deny" => false,
                        _ => return Ok(usage.to_owned()),
                    };
                    let users: Vec<String> = users
                        .split(',')
                        .filter(|u| !u.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if users.is_empty() {
                        return Ok(usage.to_owned());
                    }
                    let rule = StoredRule {
                        command: command.clone(),
                        allow,
                        users,
                    };
                    let mut rules = load_rules(ctx.plugin())?;
                    let text = rule.describe();
                    rules.push(rule);
                    ctx.plugin().storage().set(RULES_KEY, &rules)?;
                    let n = rules.len();
                    write(&state).rules = rules;
                    Ok(format!("Rule {n} added: {text}"))
                }
            })
            .help(
                "Adds a run-time ACL rule: `acl add <Plugin:command> allow|deny <user-glob>[,...]` (admin).\n\
                 `allow` lets only those users run it; `deny` stops them. Admins are exempt.",
            ),
            Command::new("acl remove", move |ctx, args| {
                let state = remove_state.clone();
                async move {
                    if let Some(no) = denied(&ctx) {
                        return Ok::<_, BoxError>(no);
                    }
                    let mut rules = load_rules(ctx.plugin())?;
                    let Some(i) = args
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|&i| i >= 1 && i <= rules.len())
                    else {
                        return Ok("Usage: `acl remove <number>` (see `acl list`)".to_owned());
                    };
                    let removed = rules.remove(i - 1);
                    ctx.plugin().storage().set(RULES_KEY, &rules)?;
                    write(&state).rules = rules;
                    Ok(format!("Rule {i} removed: {}", removed.describe()))
                }
            })
            .help("Removes a run-time ACL rule by its number: `acl remove <n>` (admin)."),
        ]
    }
}

fn describe_acl(r: &AclRule) -> String {
    let mut parts = Vec::new();
    let list = |l: &Option<Vec<String>>| l.as_ref().map(|l| l.join(", "));
    if let Some(l) = list(&r.allow_users) {
        parts.push(format!("only users {l}"));
    }
    if let Some(l) = list(&r.deny_users) {
        parts.push(format!("not users {l}"));
    }
    if let Some(l) = list(&r.allow_rooms) {
        parts.push(format!("only rooms {l}"));
    }
    if let Some(l) = list(&r.deny_rooms) {
        parts.push(format!("not rooms {l}"));
    }
    if r.allow_private == Some(false) {
        parts.push("not in private".to_owned());
    }
    if r.allow_group == Some(false) {
        parts.push("not in rooms".to_owned());
    }
    if parts.is_empty() {
        parts.push("everyone".to_owned());
    }
    format!("{}: {}", r.command, parts.join("; "))
}

impl Plugin for Admin {
    fn name(&self) -> &str {
        "Admin"
    }

    fn description(&self) -> &str {
        "Bot administration: rooms, nick, quit, reload, admins and ACLs (admins only)."
    }

    fn commands(&self) -> Vec<Command> {
        let mut all = self.room_commands();
        all.extend(self.control_commands());
        all.extend(self.admin_commands());
        all.extend(self.acl_commands());
        all
    }

    fn filters(&self) -> Vec<Arc<dyn CommandFilter>> {
        vec![Arc::new(RuntimeAcl(self.state.clone()))]
    }

    fn activate(&self, ctx: &PluginContext) -> Result<(), BoxError> {
        let rules = load_rules(ctx)?;
        let admins = runtime_admins(ctx.bot())?;
        let mut s = write(&self.state);
        s.config_admins = ctx.bot().config().admins.clone();
        s.runtime_admins = admins;
        s.rules = rules;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_convert_to_acl_rules() {
        let deny = StoredRule {
            command: "Karma:*".into(),
            allow: false,
            users: vec!["eve".into()],
        };
        let acl = deny.to_acl();
        assert_eq!(acl.deny_users, Some(vec!["eve".to_owned()]));
        assert_eq!(acl.allow_users, None);
        assert_eq!(deny.describe(), "Karma:*: not eve");
        let mut everyone = AclRule::new("Echo:say");
        assert_eq!(describe_acl(&everyone), "Echo:say: everyone");
        everyone.allow_group = Some(false);
        assert_eq!(describe_acl(&everyone), "Echo:say: not in rooms");
    }
}
