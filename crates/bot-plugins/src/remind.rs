//! `remind`: reminders that survive a restart.
//!
//! * `!remind me in 10m drink water`: durations are `10s`, `5m`, `2h`,
//!   `1d`, `1w` and combinations such as `1h30m` (up to a year).
//! * `!remind me at 18:00 call home`: the next 18:00, today or tomorrow,
//!   on the bot's clock: UTC unless `[plugins.Remind] utc_offset` sets a
//!   fixed offset such as `"+02:00"` (a fixed offset does not follow
//!   daylight saving time).
//! * `!remind list`: your pending reminders; `!remind cancel <id>`.
//!
//! A reminder is said where it was asked (in the room, addressed to the
//! asker, or privately). Reminders are kept in storage and rescheduled when
//! the plugin is activated, so they survive a restart; one that fell due
//! while the bot was down is delivered at once, late.

use std::time::Duration;

use bot_core::{BoxError, Command, Identifier, Plugin, PluginContext};
use serde::{Deserialize, Serialize};

use crate::access::nick_key;
use crate::clock::{SharedClock, system};
use crate::humanize::{
    clock_time, format_duration, next_time_of_day, parse_duration, parse_time_of_day,
    parse_utc_offset,
};
use crate::seen::cut;

/// The most pending reminders per nick.
pub const MAX_PER_NICK: usize = 20;
/// The longest reminder text, in characters.
pub const MAX_TEXT: usize = 300;
const PREFIX: &str = "r:";
const NEXT_ID: &str = "next_id";

/// A pending reminder, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// Its number.
    pub id: u64,
    /// Who asked.
    pub nick: String,
    /// Where to say it (the backend's printed identifier: a room or a person).
    pub target: String,
    /// When, in seconds since the epoch.
    pub due: i64,
    /// What to say.
    pub text: String,
}

/// The plugin's configuration (`[plugins.Remind]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemindConfig {
    /// The offset of the bot's clock from UTC, like `"+02:00"`; UTC when unset.
    pub utc_offset: Option<String>,
}

/// The `Remind` plugin.
#[derive(Clone)]
pub struct Remind {
    clock: SharedClock,
}

impl std::fmt::Debug for Remind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remind").finish_non_exhaustive()
    }
}

impl Default for Remind {
    fn default() -> Self {
        Self::new(system())
    }
}

impl Remind {
    /// A remind plugin reading the time from `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self { clock }
    }
}

fn offset(ctx: &PluginContext) -> Result<i32, BoxError> {
    let cfg: RemindConfig = ctx.config_or_default()?;
    Ok(match cfg.utc_offset {
        Some(o) => parse_utc_offset(&o)?,
        None => 0,
    })
}

fn offset_name(offset: i32) -> String {
    if offset == 0 {
        "UTC".to_owned()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.unsigned_abs();
        format!("UTC{sign}{:02}:{:02}", a / 3_600, (a % 3_600) / 60)
    }
}

fn pending(ctx: &PluginContext) -> Result<Vec<Reminder>, BoxError> {
    let store = ctx.storage();
    let mut all = Vec::new();
    for key in store.keys()? {
        if !key.starts_with(PREFIX) {
            continue;
        }
        match store.get::<Reminder>(&key) {
            Ok(Some(r)) => all.push(r),
            Ok(None) => {}
            // One unreadable record must not lose the others.
            Err(e) => tracing::warn!(key, error = %e, "skipping an unreadable reminder"),
        }
    }
    all.sort_by_key(|r| (r.due, r.id));
    Ok(all)
}

/// Says reminder `id` if it is still pending, then forgets it.
async fn fire(ctx: PluginContext, id: u64) -> Result<(), BoxError> {
    let store = ctx.storage();
    let key = format!("{PREFIX}{id}");
    let Some(r) = store.get::<Reminder>(&key)? else {
        return Ok(());
    };
    let to = ctx.build_identifier(&r.target)?;
    let text = match &to {
        Identifier::Room(_) => format!("{}: reminder: {}", r.nick, r.text),
        _ => format!("Reminder: {}", r.text),
    };
    ctx.send(&to, &text).await?;
    store.remove(&key)?;
    Ok(())
}

fn schedule(ctx: &PluginContext, r: &Reminder, now: i64) -> Result<(), BoxError> {
    let wait = u64::try_from(r.due.saturating_sub(now)).unwrap_or(0);
    let id = r.id;
    ctx.run_later(Duration::from_secs(wait), move |ctx| fire(ctx, id))?;
    Ok(())
}

const USAGE: &str =
    "Usage: `remind me in <10m|2h|1h30m...> <text>` or `remind me at <HH:MM> <text>`";

async fn add(ctx: bot_core::CommandContext, args: String, now: i64) -> Result<String, BoxError> {
    let mut parts = args.split_whitespace();
    let (Some(who), Some(how), Some(when)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(USAGE.to_owned());
    };
    let text = parts.collect::<Vec<_>>().join(" ");
    if !who.eq_ignore_ascii_case("me") || text.is_empty() {
        return Ok(USAGE.to_owned());
    }
    let plugin = ctx.plugin();
    let off = offset(plugin)?;
    let due = match how.to_ascii_lowercase().as_str() {
        "in" => match parse_duration(when) {
            Ok(secs) => now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX)),
            Err(e) => return Ok(e.to_string()),
        },
        "at" => match parse_time_of_day(when) {
            Ok(tod) => next_time_of_day(now, off, tod),
            Err(e) => return Ok(e.to_string()),
        },
        _ => return Ok(USAGE.to_owned()),
    };
    let Some(frm) = ctx.frm() else {
        return Ok("I don't know who you are.".to_owned());
    };
    let nick = frm.nick().to_owned();
    let mine = pending(plugin)?
        .into_iter()
        .filter(|r| nick_key(&r.nick) == nick_key(&nick))
        .count();
    if mine >= MAX_PER_NICK {
        return Ok(format!(
            "You already have {MAX_PER_NICK} reminders pending."
        ));
    }
    let target: Identifier = match frm.room() {
        Some(room) if ctx.msg().is_group() => room.clone().into(),
        _ => frm
            .as_person()
            .map_or_else(|| frm.clone(), |p| p.clone().into()),
    };
    let store = plugin.storage();
    let id = store.get::<u64>(NEXT_ID)?.unwrap_or(1);
    let r = Reminder {
        id,
        nick,
        target: target.to_string(),
        due,
        text: cut(&text, MAX_TEXT),
    };
    store.transaction(|tx| {
        tx.set(NEXT_ID, &(id + 1))?;
        tx.set(&format!("{PREFIX}{id}"), &r)
    })?;
    schedule(plugin, &r, now)?;
    let wait = format_duration(u64::try_from(due.saturating_sub(now)).unwrap_or(0));
    Ok(format!(
        "Okay, I'll remind you at {} {} (in {wait}). [#{id}]",
        clock_time(due, off),
        offset_name(off)
    ))
}

impl Plugin for Remind {
    fn name(&self) -> &str {
        "Remind"
    }

    fn description(&self) -> &str {
        "Reminders, kept across restarts."
    }

    fn commands(&self) -> Vec<Command> {
        let add_clock = self.clock.clone();
        let list_clock = self.clock.clone();
        vec![
            Command::new("remind", move |ctx, args| {
                let now = add_clock.now();
                add(ctx, args, now)
            })
            .help(
                "Sets a reminder: `remind me in 10m drink water`, `remind me in 1h30m stretch`, \
                 `remind me at 18:00 call home`.\n\
                 Durations: s, m, h, d, w and combinations; times are HH:MM on the bot's clock \
                 (UTC unless configured), today or tomorrow.",
            ),
            Command::new("remind list", move |ctx, _args| {
                let now = list_clock.now();
                async move {
                    let nick = ctx.frm().map(|f| nick_key(f.nick())).unwrap_or_default();
                    let off = offset(ctx.plugin())?;
                    let lines: Vec<String> = pending(ctx.plugin())?
                        .into_iter()
                        .filter(|r| nick_key(&r.nick) == nick)
                        .map(|r| {
                            format!(
                                "#{} at {} {} (in {}): {}",
                                r.id,
                                clock_time(r.due, off),
                                offset_name(off),
                                format_duration(
                                    u64::try_from(r.due.saturating_sub(now)).unwrap_or(0)
                                ),
                                r.text
                            )
                        })
                        .collect();
                    Ok::<_, BoxError>(if lines.is_empty() {
                        "You have no pending reminders.".to_owned()
                    } else {
                        lines.join("\n")
                    })
                }
            })
            .help("Lists your pending reminders."),
            Command::new("remind cancel", |ctx, args| async move {
                let nick = ctx.frm().map(|f| nick_key(f.nick())).unwrap_or_default();
                let Ok(id) = args.trim().trim_start_matches('#').parse::<u64>() else {
                    return Ok::<_, BoxError>("Usage: `remind cancel <id>`".to_owned());
                };
                let store = ctx.plugin().storage();
                let key = format!("{PREFIX}{id}");
                match store.get::<Reminder>(&key)? {
                    Some(r) if nick_key(&r.nick) == nick => {
                        store.remove(&key)?;
                        Ok(format!("Reminder #{id} cancelled."))
                    }
                    _ => Ok(format!("You have no reminder #{id}.")),
                }
            })
            .help("Cancels one of your reminders: `remind cancel <id>`."),
        ]
    }

    fn activate(&self, ctx: &PluginContext) -> Result<(), BoxError> {
        offset(ctx)?;
        let now = self.clock.now();
        let all = pending(ctx)?;
        for r in &all {
            schedule(ctx, r, now)?;
        }
        if !all.is_empty() {
            tracing::info!(count = all.len(), "pending reminders rescheduled");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::offset_name;

    #[test]
    fn offsets_print() {
        assert_eq!(offset_name(0), "UTC");
        assert_eq!(offset_name(7_200), "UTC+02:00");
        assert_eq!(offset_name(-19_800), "UTC-05:30");
    }
}
