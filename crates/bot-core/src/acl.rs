//! Access control: admins, allow and deny lists per command, rate limits.
//!
//! Rules are errbot's `ACCESS_CONTROLS`: each has a `plugin:command` glob
//! pattern; the first rule whose pattern matches the command decides, and
//! its lists are globs matched against the sender's
//! [`aclattr`](crate::Person::aclattr) (never a bare nickname) and the
//! room's name. Matching ignores ASCII case. Admin-only commands need the
//! sender's `aclattr` to match [`crate::BotConfig::admins`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

use crate::filter::{CommandFilter, FilterDecision, Invocation};
use crate::plugin::normalize_name;

/// One access rule.
///
/// ```
/// use bot_core::AclRule;
/// let rule: AclRule = serde_json::from_value(serde_json::json!({
///     "command": "Admin:*",
///     "allow_users": ["acct:alice"],
///     "allow_group": false,
/// })).unwrap();
/// assert_eq!(rule.command, "Admin:*");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AclRule {
    /// A glob over `plugin:command` (`"Admin:*"`, `"*:restart"`).
    pub command: String,
    /// When set, only these users (globs over `aclattr`) may run it.
    pub allow_users: Option<Vec<String>>,
    /// These users may not run it.
    pub deny_users: Option<Vec<String>>,
    /// When set, in rooms it may only run in these (globs over the name).
    pub allow_rooms: Option<Vec<String>>,
    /// It may not run in these rooms.
    pub deny_rooms: Option<Vec<String>>,
    /// `Some(false)`: not in direct messages.
    pub allow_private: Option<bool>,
    /// `Some(false)`: not in rooms.
    pub allow_group: Option<bool>,
}

impl AclRule {
    /// A rule for the commands matching `command` that allows everything
    /// until restricted with the fields.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }
}

/// A rate limit: at most `max` commands per `per_seconds` per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RateLimit {
    /// Commands allowed in one window.
    pub max: u32,
    /// The window, in seconds.
    pub per_seconds: u64,
}

/// Glob matching with `*` (any run) and `?` (one character), ignoring ASCII case.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn any_match(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, text))
}

/// The ACL filter: admin-only commands, then the first matching rule.
#[derive(Debug, Clone, Default)]
pub struct AclFilter {
    admins: Vec<String>,
    rules: Vec<AclRule>,
}

impl AclFilter {
    /// A filter with these admins (globs over `aclattr`) and rules.
    pub fn new(admins: Vec<String>, rules: Vec<AclRule>) -> Self {
        Self { admins, rules }
    }

    /// Whether `aclattr` belongs to an admin.
    pub fn is_admin(&self, aclattr: Option<&str>) -> bool {
        aclattr.is_some_and(|a| any_match(&self.admins, a))
    }

    fn decide(&self, inv: &Invocation<'_>) -> Result<(), &'static str> {
        let user = inv.msg.frm.as_ref().and_then(|f| f.aclattr());
        if inv.admin_only && !self.is_admin(user) {
            return Err("This command requires bot-admin privileges.");
        }
        let target = format!("{}:{}", inv.plugin, inv.command);
        let Some(rule) = self.rules.iter().find(|r| {
            let (plugin, command) = r.command.split_once(':').unwrap_or(("*", &r.command));
            glob_match(&format!("{plugin}:{}", normalize_name(command)), &target)
        }) else {
            return Ok(());
        };
        let user = user.unwrap_or("");
        if rule
            .allow_users
            .as_ref()
            .is_some_and(|l| !any_match(l, user))
        {
            return Err("You're not allowed to access this command.");
        }
        if rule.deny_users.as_ref().is_some_and(|l| any_match(l, user)) {
            return Err("You're not allowed to access this command.");
        }
        if inv.msg.is_group() {
            if rule.allow_group == Some(false) {
                return Err("This command cannot be used in a room.");
            }
            let room = inv
                .msg
                .to
                .as_ref()
                .and_then(|t| t.room())
                .map_or("", |r| r.name());
            if rule
                .allow_rooms
                .as_ref()
                .is_some_and(|l| !any_match(l, room))
                || rule.deny_rooms.as_ref().is_some_and(|l| any_match(l, room))
            {
                return Err("This command cannot be used in this room.");
            }
        } else if rule.allow_private == Some(false) {
            return Err("This command cannot be used in a private message.");
        }
        Ok(())
    }
}

impl CommandFilter for AclFilter {
    fn filter(&self, inv: &mut Invocation<'_>) -> FilterDecision {
        match self.decide(inv) {
            Ok(()) => FilterDecision::Allow,
            Err(_) if inv.dry_run => FilterDecision::Deny { reply: None },
            Err(why) => FilterDecision::deny(why),
        }
    }
}

/// The per-user rate limit filter (admins are exempt). Uses tokio's clock.
#[derive(Debug)]
pub struct RateLimitFilter {
    limit: RateLimit,
    acl: AclFilter,
    seen: Mutex<HashMap<String, VecDeque<tokio::time::Instant>>>,
}

impl RateLimitFilter {
    /// A filter enforcing `limit` on everyone but the admins.
    pub fn new(limit: RateLimit, admins: Vec<String>) -> Self {
        Self {
            limit,
            acl: AclFilter::new(admins, Vec::new()),
            seen: Mutex::new(HashMap::new()),
        }
    }
}

impl CommandFilter for RateLimitFilter {
    fn filter(&self, inv: &mut Invocation<'_>) -> FilterDecision {
        let user = inv.msg.frm.as_ref().and_then(|f| f.aclattr());
        if inv.dry_run || self.acl.is_admin(user) {
            return FilterDecision::Allow;
        }
        let user = user.unwrap_or("").to_owned();
        let now = tokio::time::Instant::now();
        let window = Duration::from_secs(self.limit.per_seconds);
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let times = seen.entry(user).or_default();
        while times
            .front()
            .is_some_and(|&t| now.duration_since(t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= usize::try_from(self.limit.max).unwrap_or(usize::MAX) {
            let wait = times
                .front()
                .map_or(window, |&t| window.saturating_sub(now.duration_since(t)));
            return FilterDecision::deny(format!(
                "You are sending commands too fast; try again in {}s.",
                wait.as_secs().max(1)
            ));
        }
        times.push_back(now);
        FilterDecision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let cases = [
            ("*", "anything", true),
            ("", "", true),
            ("", "x", false),
            ("Admin:*", "admin:restart", true),
            ("*:restart", "Admin:restart", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*b*d", "abcd", true),
            ("*b*d", "abce", false),
            ("acct:*", "nick", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(glob_match(p, t), want, "{p:?} vs {t:?}");
        }
    }
}
