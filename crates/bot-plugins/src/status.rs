//! `status`: uptime, plugins, connection and version.

use std::time::Instant;

use bot_core::{BoxError, Command, Plugin};

use crate::humanize::format_duration;

/// The version of the built-in plugins (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `Status` plugin: `!status` answers with the version, the uptime,
/// the backend and its connection state, the rooms, and the plugins.
#[derive(Debug)]
pub struct Status {
    started: Instant,
}

impl Status {
    /// A status plugin counting uptime from now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
        }
    }
}

impl Default for Status {
    fn default() -> Self {
        Self::new()
    }
}

impl Plugin for Status {
    fn name(&self) -> &str {
        "Status"
    }

    fn description(&self) -> &str {
        "How the bot is doing."
    }

    fn commands(&self) -> Vec<Command> {
        let started = self.started;
        vec![
            Command::new("status", move |ctx, _args| async move {
                let bot = ctx.bot();
                let uptime = format_duration(started.elapsed().as_secs());
                let backend = bot.backend();
                let failures = bot.reconnection_count();
                let connection = if failures == 0 {
                    "connected".to_owned()
                } else {
                    format!("reconnecting ({failures} failed attempts)")
                };
                let rooms = match backend.rooms().await {
                    Ok(rooms) if rooms.is_empty() => "none".to_owned(),
                    Ok(rooms) => rooms
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    Err(_) => "unknown".to_owned(),
                };
                let plugins = bot.plugins();
                let active: Vec<&str> = plugins
                    .iter()
                    .filter(|p| p.active)
                    .map(|p| p.name.as_str())
                    .collect();
                let inactive: Vec<&str> = plugins
                    .iter()
                    .filter(|p| !p.active)
                    .map(|p| p.name.as_str())
                    .collect();
                let mut lines = vec![
                    format!("ircbot {VERSION}, up {uptime}"),
                    format!("backend: {} ({connection})", backend.mode()),
                    format!("rooms: {rooms}"),
                    format!(
                        "plugins: {} loaded, {} active: {}",
                        plugins.len(),
                        active.len(),
                        active.join(", ")
                    ),
                ];
                if !inactive.is_empty() {
                    lines.push(format!("disabled: {}", inactive.join(", ")));
                }
                Ok::<_, BoxError>(lines.join("\n"))
            })
            .help("Shows the version, uptime, connection, rooms and plugins."),
        ]
    }
}
