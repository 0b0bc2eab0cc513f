//! Keepalive decisions, sans I/O: when to `PING` a silent server and when to
//! give it up.
//!
//! Every line from the server counts as a sign of life
//! ([`Keepalive::received`]). After [`ping_interval`](KeepaliveConfig::ping_interval)
//! of silence the client sends a `PING`, and again every `ping_interval`
//! while the silence lasts; once [`server_timeout`](KeepaliveConfig::server_timeout)
//! has passed without any line the connection is considered dead and is
//! closed. Time is passed in; nothing here reads a clock.
//!
//! | setting | default | Sopel |
//! | --- | --- | --- |
//! | `server_timeout` | 120 s | `timeout` (120) |
//! | `ping_interval` | 0.45 × `server_timeout` (54 s) | `timeout_ping_interval` (0.45 × `timeout`) |
//!
//! ```
//! use std::time::{Duration, Instant};
//! use irc_client::state::ping::{Keepalive, KeepaliveAction, KeepaliveConfig};
//!
//! let t0 = Instant::now();
//! let mut k = Keepalive::new(KeepaliveConfig::default(), t0);
//! assert_eq!(k.poll(t0 + Duration::from_secs(10)), KeepaliveAction::Idle);
//! assert_eq!(k.poll(t0 + Duration::from_secs(54)), KeepaliveAction::Ping);
//! assert_eq!(k.poll(t0 + Duration::from_secs(60)), KeepaliveAction::Idle);
//! assert_eq!(k.poll(t0 + Duration::from_secs(108)), KeepaliveAction::Ping);
//! assert_eq!(k.poll(t0 + Duration::from_secs(120)), KeepaliveAction::Disconnect);
//! ```

use std::time::{Duration, Instant};

/// The default time without any line after which the connection is given up.
pub const DEFAULT_SERVER_TIMEOUT: Duration = Duration::from_secs(120);

/// The share of `server_timeout` after which a silent server gets a `PING`
/// by default (Sopel's 0.45).
pub const DEFAULT_PING_RATIO: f64 = 0.45;

/// The settings of [`Keepalive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepaliveConfig {
    /// Silence after which a `PING` is sent, and the gap between `PING`s
    /// while the silence lasts. Zero: never ping.
    pub ping_interval: Duration,
    /// Silence after which the connection is closed. Zero: never.
    pub server_timeout: Duration,
}

impl KeepaliveConfig {
    /// A configuration with this timeout and the default ping interval
    /// (0.45 × `server_timeout`).
    #[must_use]
    pub fn with_timeout(server_timeout: Duration) -> Self {
        Self {
            ping_interval: server_timeout.mul_f64(DEFAULT_PING_RATIO),
            server_timeout,
        }
    }
}

impl Default for KeepaliveConfig {
    fn default() -> Self {
        Self::with_timeout(DEFAULT_SERVER_TIMEOUT)
    }
}

/// What the connection should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveAction {
    /// Nothing.
    Idle,
    /// Send a `PING`.
    Ping,
    /// The server has been silent for `server_timeout`: close.
    Disconnect,
}

/// The keepalive clock of one connection; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Keepalive {
    config: KeepaliveConfig,
    /// When the last line arrived (or the connection started).
    last_received: Instant,
    /// When the last `PING` of the current silence went, if any.
    last_ping: Option<Instant>,
    /// `PING`s sent during the current silence.
    pings: u32,
}

impl Keepalive {
    /// A keepalive for a connection that starts at `now`.
    #[must_use]
    pub fn new(config: KeepaliveConfig, now: Instant) -> Self {
        Self {
            config,
            last_received: now,
            last_ping: None,
            pings: 0,
        }
    }

    /// The settings in use.
    #[must_use]
    pub const fn config(&self) -> &KeepaliveConfig {
        &self.config
    }

    /// A line arrived at `now`: the silence is over.
    pub fn received(&mut self, now: Instant) {
        if now > self.last_received {
            self.last_received = now;
        }
        self.last_ping = None;
        self.pings = 0;
    }

    /// How many `PING`s were sent during the current silence.
    #[must_use]
    pub const fn pings_sent(&self) -> u32 {
        self.pings
    }

    /// What to do at `now`. A [`KeepaliveAction::Ping`] is counted as sent.
    pub fn poll(&mut self, now: Instant) -> KeepaliveAction {
        let silent = now.saturating_duration_since(self.last_received);
        if !self.config.server_timeout.is_zero() && silent >= self.config.server_timeout {
            return KeepaliveAction::Disconnect;
        }
        if self.config.ping_interval.is_zero() {
            return KeepaliveAction::Idle;
        }
        let due = self.next_ping();
        if due.is_some_and(|due| now >= due) {
            self.last_ping = Some(now);
            self.pings = self.pings.saturating_add(1);
            return KeepaliveAction::Ping;
        }
        KeepaliveAction::Idle
    }

    /// When [`Keepalive::poll`] should be called next: the next `PING` or
    /// the timeout, whichever comes first. `None` when both are off.
    #[must_use]
    pub fn poll_at(&self) -> Option<Instant> {
        let timeout = (!self.config.server_timeout.is_zero())
            .then(|| self.last_received.checked_add(self.config.server_timeout))
            .flatten();
        match (self.next_ping(), timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the next `PING` is due.
    fn next_ping(&self) -> Option<Instant> {
        if self.config.ping_interval.is_zero() {
            return None;
        }
        self.last_ping
            .unwrap_or(self.last_received)
            .checked_add(self.config.ping_interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn default_interval_is_045_of_the_timeout() {
        let c = KeepaliveConfig::default();
        assert_eq!(c.server_timeout, s(120));
        assert_eq!(c.ping_interval, s(54));
        assert_eq!(
            KeepaliveConfig::with_timeout(s(10)).ping_interval,
            Duration::from_millis(4500)
        );
    }

    #[test]
    fn pings_repeat_during_silence_then_disconnects() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(KeepaliveConfig::with_timeout(s(100)), t0);
        assert_eq!(k.poll_at(), Some(t0 + s(45)));
        assert_eq!(k.poll(t0 + s(44)), KeepaliveAction::Idle);
        assert_eq!(k.poll(t0 + s(45)), KeepaliveAction::Ping);
        assert_eq!(k.poll(t0 + s(45)), KeepaliveAction::Idle);
        assert_eq!(k.poll_at(), Some(t0 + s(90)));
        assert_eq!(k.poll(t0 + s(90)), KeepaliveAction::Ping);
        assert_eq!(k.pings_sent(), 2);
        assert_eq!(k.poll_at(), Some(t0 + s(100)));
        assert_eq!(k.poll(t0 + s(99)), KeepaliveAction::Idle);
        assert_eq!(k.poll(t0 + s(100)), KeepaliveAction::Disconnect);
    }

    #[test]
    fn a_line_ends_the_silence() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(KeepaliveConfig::with_timeout(s(100)), t0);
        assert_eq!(k.poll(t0 + s(50)), KeepaliveAction::Ping);
        k.received(t0 + s(60));
        assert_eq!(k.pings_sent(), 0);
        assert_eq!(k.poll_at(), Some(t0 + s(105)));
        assert_eq!(k.poll(t0 + s(104)), KeepaliveAction::Idle);
        assert_eq!(k.poll(t0 + s(159)), KeepaliveAction::Ping);
        assert_eq!(k.poll(t0 + s(160)), KeepaliveAction::Disconnect);
        // Time going backwards does not move the last line back.
        k.received(t0);
        assert_eq!(k.poll_at(), Some(t0 + s(105)));
    }

    #[test]
    fn zero_turns_either_off() {
        let t0 = Instant::now();
        let mut k = Keepalive::new(
            KeepaliveConfig {
                ping_interval: Duration::ZERO,
                server_timeout: s(10),
            },
            t0,
        );
        assert_eq!(k.poll_at(), Some(t0 + s(10)));
        assert_eq!(k.poll(t0 + s(9)), KeepaliveAction::Idle);
        assert_eq!(k.poll(t0 + s(10)), KeepaliveAction::Disconnect);
        let mut k = Keepalive::new(
            KeepaliveConfig {
                ping_interval: s(5),
                server_timeout: Duration::ZERO,
            },
            t0,
        );
        assert_eq!(k.poll(t0 + s(1000)), KeepaliveAction::Ping);
        assert_eq!(k.poll_at(), Some(t0 + s(1005)));
        let k = Keepalive::new(
            KeepaliveConfig {
                ping_interval: Duration::ZERO,
                server_timeout: Duration::ZERO,
            },
            t0,
        );
        assert_eq!(k.poll_at(), None);
    }
}
