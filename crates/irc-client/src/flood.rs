//! Outgoing flood control, sans I/O: a queue that lets lines go no faster
//! than an IRC server tolerates.
//!
//! [`FloodControl`] holds the lines waiting to be written. The connection
//! pushes lines in ([`FloodControl::push`]), asks for the next one that may
//! go now ([`FloodControl::poll_transmit`]), and sleeps until
//! [`FloodControl::poll_timeout`] when nothing may. Time is always passed in;
//! nothing here reads a clock.
//!
//! # The rules
//!
//! **Lanes.** Every line has a [`LineClass`]. `PONG` lines go first, then
//! registration lines (`CAP`, `AUTHENTICATE`, `PASS`, `NICK`, `USER` before
//! the welcome), then the rest. The first two lanes are exempt: they are
//! never delayed, never counted against the buckets below, and never refused
//! for a full queue (they are few, and a late `PONG` costs the connection).
//!
//! **Per-target bucket** (for [`LineClass::Normal`] lines with a target). Each
//! target (a channel or nick, compared exactly as given: fold it with the
//! server's casemapping first) has a token bucket of `burst_lines` tokens
//! that refills one token per `refill_interval`. A line takes a token; with
//! the defaults four lines go at once, then one per second. The bucket is
//! kept as a theoretical arrival time (the GCRA form of a token bucket), so
//! refills are exact and do not depend on how often the queue is polled.
//!
//! **Long-line penalty** (Sopel's `flood_empty_wait`, `flood_text_length`,
//! `flood_penalty_ratio`, `flood_max_wait`). When the previous line to a
//! target emptied its bucket, the next line to it also waits, counted from
//! that previous line,
//!
//! ```text
//! wait = min(empty_wait + max(0, len - text_length) / (text_length * penalty_ratio), max_wait)
//! ```
//!
//! seconds, where `len` is the byte length of the line's last parameter
//! (the text of a `PRIVMSG`/`NOTICE`). With the defaults that is
//! `0.7 + (len - 50) / 70` seconds, at most 2: a short line is held by the
//! one-second refill alone, a 120-byte line waits 1.7 s, a 400-byte line 2 s.
//! A `penalty_ratio` of 0 turns the length part off. In Sopel the same
//! numbers drive a bucket that refills only in whole seconds and only once
//! empty; here the refill is continuous and the penalty is an extra lower
//! bound on the gap, which gives the same burst and the same long-line
//! spacing without Sopel's dependence on when `say` is called.
//!
//! **Global bucket.** All normal lines together, whatever their target (or
//! none: `JOIN`, `MODE`, `WHO` ...), also pass a shared bucket of
//! `global_burst_lines` refilled one per `global_refill_interval`, so a bot
//! answering many targets at once stays under the server's limit for the
//! whole connection.
//!
//! **Order.** Among normal lines, the oldest one whose target may send goes
//! first: a throttled target does not hold back lines to other targets, and
//! lines to one target keep their order.
//!
//! **Anti-loop** (Sopel's `antiloop_threshold`, `antiloop_silent_after`,
//! `antiloop_repeat_text`, `antiloop_window`). The last 10 lines sent to each
//! target are remembered. When a `PRIVMSG` or `NOTICE` is about to go and
//! its text was already sent to that target `antiloop_threshold` times among
//! those lines within `antiloop_window`, its text is replaced by
//! `antiloop_repeat_text` (`...`); once that replacement itself appears
//! `antiloop_silent_after` times, such lines are dropped instead. A bot
//! caught in a loop with another bot thus says a thing five times, then
//! `...` three times, then nothing. The threshold is capped at 10 (the
//! history length), as in Sopel; 0 turns anti-loop off.
//!
//! **Queue bound.** At most `queue_capacity` normal lines wait; past that
//! [`FloodControl::push`] hands the line back in [`Full`], so the async layer
//! can make its senders wait (backpressure) instead of growing memory.
//!
//! # Defaults
//!
//! | setting | default | Sopel setting (default) |
//! | --- | --- | --- |
//! | `burst_lines` | 4 | `flood_burst_lines` (4) |
//! | `refill_interval` | 1 s | `flood_refill_rate` (1 line per second) |
//! | `empty_wait` | 0.7 s | `flood_empty_wait` (0.7) |
//! | `text_length` | 50 bytes | `flood_text_length` (50) |
//! | `penalty_ratio` | 1.4 | `flood_penalty_ratio` (1.4) |
//! | `max_wait` | 2 s | `flood_max_wait` (2) |
//! | `global_burst_lines` | 8 | (none: our own) |
//! | `global_refill_interval` | 0.5 s | (none: our own) |
//! | `queue_capacity` | 1024 lines | (none) |
//! | `antiloop_threshold` | 5 | `antiloop_threshold` (5) |
//! | `antiloop_silent_after` | 3 | `antiloop_silent_after` (3) |
//! | `antiloop_repeat_text` | `...` | `antiloop_repeat_text` (`...`) |
//! | `antiloop_window` | 120 s | `antiloop_window` (120) |
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, Instant};
//! use irc_client::flood::{FloodConfig, FloodControl, LineClass};
//! use irc_proto::MessageBuf;
//!
//! let t0 = Instant::now();
//! let mut flood = FloodControl::new(FloodConfig::default(), t0).unwrap();
//! for i in 0..5 {
//!     let line = MessageBuf::new("PRIVMSG").with_param("#rust").with_param(format!("line {i}"));
//!     flood.push(line, Some("#rust".into()), LineClass::Normal).unwrap();
//! }
//! // The burst goes at once...
//! let mut sent = 0;
//! while flood.poll_transmit(t0).is_some() {
//!     sent += 1;
//! }
//! assert_eq!(sent, 4);
//! // ...and the fifth line one second later.
//! assert_eq!(flood.poll_timeout(), Some(t0 + Duration::from_secs(1)));
//! assert!(flood.poll_transmit(t0 + Duration::from_secs(1)).is_some());
//! ```

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use irc_proto::MessageBuf;

/// How many past lines per target the anti-loop check looks at.
pub const ANTILOOP_HISTORY: usize = 10;

/// The lane of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineClass {
    /// A `PONG`: first of all, never delayed.
    Pong,
    /// A registration line (`CAP`, `AUTHENTICATE`, `PASS`, `NICK`, `USER`
    /// before the welcome): after `PONG`s, never delayed.
    Registration,
    /// Everything else: throttled by the buckets.
    Normal,
}

/// The settings of [`FloodControl`]; see the [module docs](self) for what
/// each does and where the defaults come from.
#[derive(Debug, Clone, PartialEq)]
pub struct FloodConfig {
    /// Lines one target may receive at once (at least 1).
    pub burst_lines: u32,
    /// Time to regain one line of a target's burst; zero: no per-target limit.
    pub refill_interval: Duration,
    /// The least gap after a line that emptied a target's bucket.
    pub empty_wait: Duration,
    /// Text length (bytes) past which the gap grows.
    pub text_length: usize,
    /// How fast the gap grows with length: `text_length * penalty_ratio`
    /// bytes add one second. Zero or positive; zero turns it off.
    pub penalty_ratio: f64,
    /// The longest penalty gap.
    pub max_wait: Duration,
    /// Lines all targets together may receive at once (at least 1).
    pub global_burst_lines: u32,
    /// Time to regain one line of the global burst; zero: no global limit.
    pub global_refill_interval: Duration,
    /// Normal lines that may wait in the queue (at least 1).
    pub queue_capacity: usize,
    /// Repeats of one text to one target before it is replaced; 0: off.
    /// Values above [`ANTILOOP_HISTORY`] act as that.
    pub antiloop_threshold: usize,
    /// Sends of the replacement text after which repeats are dropped.
    pub antiloop_silent_after: usize,
    /// The replacement text.
    pub antiloop_repeat_text: String,
    /// How recent a past line must be to count as a repeat.
    pub antiloop_window: Duration,
}

impl Default for FloodConfig {
    fn default() -> Self {
        Self {
            burst_lines: 4,
            refill_interval: Duration::from_secs(1),
            empty_wait: Duration::from_millis(700),
            text_length: 50,
            penalty_ratio: 1.4,
            max_wait: Duration::from_secs(2),
            global_burst_lines: 8,
            global_refill_interval: Duration::from_millis(500),
            queue_capacity: 1024,
            antiloop_threshold: 5,
            antiloop_silent_after: 3,
            antiloop_repeat_text: "...".to_owned(),
            antiloop_window: Duration::from_secs(120),
        }
    }
}

/// A [`FloodConfig`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FloodConfigError {
    /// `burst_lines` or `global_burst_lines` is 0: nothing could ever be sent.
    #[error("the burst must allow at least one line")]
    ZeroBurst,
    /// `queue_capacity` is 0: nothing could ever be queued.
    #[error("the queue capacity must be at least one line")]
    ZeroCapacity,
    /// `penalty_ratio` is negative or not a finite number.
    #[error("the penalty ratio must be a finite number, zero or more")]
    BadPenaltyRatio,
}

impl FloodConfig {
    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// A [`FloodConfigError`] naming the setting that cannot work.
    pub fn validate(&self) -> Result<(), FloodConfigError> {
        if self.burst_lines == 0 || self.global_burst_lines == 0 {
            return Err(FloodConfigError::ZeroBurst);
        }
        if self.queue_capacity == 0 {
            return Err(FloodConfigError::ZeroCapacity);
        }
        if !self.penalty_ratio.is_finite() || self.penalty_ratio < 0.0 {
            return Err(FloodConfigError::BadPenaltyRatio);
        }
        Ok(())
    }

    /// The gap a line of `len` text bytes needs after a line that emptied
    /// its target's bucket.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = irc_client::flood::FloodConfig::default();
    /// assert_eq!(config.penalty_wait(10), Duration::from_millis(700));
    /// assert_eq!(config.penalty_wait(120), Duration::from_millis(1700));
    /// assert_eq!(config.penalty_wait(400), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn penalty_wait(&self, len: usize) -> Duration {
        let overflow = len.saturating_sub(self.text_length);
        let per_second = self.text_length as f64 * self.penalty_ratio;
        let penalty = if overflow > 0 && per_second > 0.0 {
            Duration::try_from_secs_f64(overflow as f64 / per_second).unwrap_or(self.max_wait)
        } else {
            Duration::ZERO
        };
        self.empty_wait.saturating_add(penalty).min(self.max_wait)
    }
}

/// The queue is full: the line was not taken and is handed back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the outgoing queue is full")]
pub struct Full {
    /// The line that was refused.
    pub line: MessageBuf,
}

/// Counters of what flood control did, for logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FloodStats {
    /// Lines handed out by [`FloodControl::poll_transmit`].
    pub sent: u64,
    /// Lines whose text anti-loop replaced.
    pub replaced: u64,
    /// Lines anti-loop dropped.
    pub dropped: u64,
    /// Lines refused with [`Full`].
    pub refused: u64,
}

/// A rate limit in GCRA form. Times are offsets from the controller's epoch.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// The theoretical arrival time: when the bucket would be full again.
    tat: Duration,
}

impl Bucket {
    /// When the next line may go: a token is there once `tat - tolerance`
    /// has passed, the tolerance being the burst beyond the first line.
    fn ready_at(self, interval: Duration, burst: u32) -> Duration {
        let tolerance = interval.saturating_mul(burst.saturating_sub(1));
        self.tat.saturating_sub(tolerance)
    }

    /// Takes a token at `now`.
    fn take(&mut self, now: Duration, interval: Duration) {
        self.tat = self.tat.max(now).saturating_add(interval);
    }
}

/// A line waiting, with its arrival number for the oldest-first rule.
#[derive(Debug, Clone)]
struct Queued {
    seq: u64,
    line: MessageBuf,
}

/// One line remembered for anti-loop.
#[derive(Debug, Clone)]
struct Sent {
    at: Duration,
    text: String,
}

/// Everything about one target.
#[derive(Debug, Clone)]
struct Target {
    queue: VecDeque<Queued>,
    bucket: Bucket,
    /// When the last line to this target went.
    last_sent: Option<Duration>,
    /// Whether that line emptied the bucket (the penalty gap applies).
    throttled: bool,
    /// The last [`ANTILOOP_HISTORY`] texts sent, oldest first.
    history: VecDeque<Sent>,
}

impl Target {
    fn new() -> Self {
        Self {
            queue: VecDeque::new(),
            bucket: Bucket {
                tat: Duration::ZERO,
            },
            last_sent: None,
            throttled: false,
            history: VecDeque::new(),
        }
    }
}

/// The outgoing queue with flood control; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct FloodControl {
    config: FloodConfig,
    /// The instant all internal times count from.
    epoch: Instant,
    /// The latest time seen, as an offset from `epoch`.
    latest: Duration,
    pong: VecDeque<MessageBuf>,
    registration: VecDeque<MessageBuf>,
    /// Normal lines without a target: only the global bucket applies.
    untargeted: VecDeque<Queued>,
    targets: HashMap<String, Target>,
    global: Bucket,
    /// Normal lines queued (the capacity counts these).
    queued_normal: usize,
    next_seq: u64,
    stats: FloodStats,
}

/// The target of a line as flood control sees it: the first parameter of
/// `PRIVMSG`, `NOTICE` and `TAGMSG`; `None` for other commands.
///
/// ```
/// use irc_proto::MessageBuf;
/// let line = MessageBuf::new("PRIVMSG").with_param("#rust").with_param("hi");
/// assert_eq!(irc_client::flood::target_of(&line), Some("#rust"));
/// assert_eq!(irc_client::flood::target_of(&MessageBuf::new("JOIN").with_param("#rust")), None);
/// ```
#[must_use]
pub fn target_of(line: &MessageBuf) -> Option<&str> {
    let messaging = ["PRIVMSG", "NOTICE", "TAGMSG"]
        .iter()
        .any(|c| line.is_command(c));
    if messaging {
        line.params.first().map(String::as_str)
    } else {
        None
    }
}

/// The text of a line for the penalty and anti-loop: its last parameter.
fn text_of(line: &MessageBuf) -> &str {
    line.params.last().map_or("", String::as_str)
}

impl FloodControl {
    /// A controller with `config`, starting at `now` with every bucket full.
    ///
    /// # Errors
    ///
    /// [`FloodConfigError`] when the settings cannot work.
    pub fn new(config: FloodConfig, now: Instant) -> Result<Self, FloodConfigError> {
        config.validate()?;
        Ok(Self {
            config,
            epoch: now,
            latest: Duration::ZERO,
            pong: VecDeque::new(),
            registration: VecDeque::new(),
            untargeted: VecDeque::new(),
            targets: HashMap::new(),
            global: Bucket {
                tat: Duration::ZERO,
            },
            queued_normal: 0,
            next_seq: 0,
            stats: FloodStats::default(),
        })
    }

    /// The settings in use.
    #[must_use]
    pub fn config(&self) -> &FloodConfig {
        &self.config
    }

    /// Queues a line. `target` is the channel or nick it goes to (see
    /// [`target_of`]), already folded with the server's casemapping; it only
    /// matters for [`LineClass::Normal`].
    ///
    /// # Errors
    ///
    /// [`Full`] with the line when `queue_capacity` normal lines already
    /// wait. `PONG` and registration lines are always taken.
    pub fn push(
        &mut self,
        line: MessageBuf,
        target: Option<String>,
        class: LineClass,
    ) -> Result<(), Full> {
        match class {
            LineClass::Pong => self.pong.push_back(line),
            LineClass::Registration => self.registration.push_back(line),
            LineClass::Normal => {
                if self.queued_normal >= self.config.queue_capacity {
                    self.stats.refused += 1;
                    return Err(Full { line });
                }
                let queued = Queued {
                    seq: self.next_seq,
                    line,
                };
                self.next_seq = self.next_seq.wrapping_add(1);
                self.queued_normal += 1;
                match target {
                    Some(t) => self
                        .targets
                        .entry(t)
                        .or_insert_with(Target::new)
                        .queue
                        .push_back(queued),
                    None => self.untargeted.push_back(queued),
                }
            }
        }
        Ok(())
    }

    /// The next line that may be written at `now`, if any. Call it until it
    /// returns `None`, then wait until [`FloodControl::poll_timeout`].
    pub fn poll_transmit(&mut self, now: Instant) -> Option<MessageBuf> {
        let now = self.offset(now);
        if let Some(line) = self
            .pong
            .pop_front()
            .or_else(|| self.registration.pop_front())
        {
            self.stats.sent += 1;
            return Some(line);
        }
        let interval = self.config.global_refill_interval;
        if self
            .global
            .ready_at(interval, self.config.global_burst_lines)
            > now
        {
            return None;
        }
        // Each pass sends a line or drops one, so this ends.
        loop {
            let Some(pick) = self.pick(now) else {
                self.prune(now);
                return None;
            };
            let line = match pick {
                None => {
                    let queued = self.untargeted.pop_front()?;
                    queued.line
                }
                Some(key) => {
                    let target = self.targets.get_mut(&key)?;
                    let queued = target.queue.pop_front()?;
                    self.queued_normal = self.queued_normal.saturating_sub(1);
                    match antiloop(&self.config, target, queued.line, now) {
                        Verdict::Drop => {
                            self.stats.dropped += 1;
                            continue;
                        }
                        Verdict::Send { line, replaced } => {
                            if replaced {
                                self.stats.replaced += 1;
                            }
                            record_send(&self.config, target, &line, now);
                            self.global.take(now, interval);
                            self.stats.sent += 1;
                            return Some(line);
                        }
                    }
                }
            };
            // An untargeted line.
            self.queued_normal = self.queued_normal.saturating_sub(1);
            self.global.take(now, interval);
            self.stats.sent += 1;
            return Some(line);
        }
    }

    /// When the next line may go: `None` when nothing waits. A time at or
    /// before the last `now` passed in means "now"; it is only in the past
    /// when lines were pushed after the last [`FloodControl::poll_transmit`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.pong.is_empty() || !self.registration.is_empty() {
            return Some(self.instant(self.latest));
        }
        let untargeted = self.untargeted.front().map(|_| Duration::ZERO);
        let targeted = self
            .targets
            .values()
            .filter_map(|t| {
                t.queue
                    .front()
                    .map(|q| target_ready_at(&self.config, t, &q.line))
            })
            .min();
        let earliest = match (untargeted, targeted) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        let global = self.global.ready_at(
            self.config.global_refill_interval,
            self.config.global_burst_lines,
        );
        Some(self.instant(earliest.max(global)))
    }

    /// Lines waiting, all lanes together.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pong.len() + self.registration.len() + self.queued_normal
    }

    /// Whether no line waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many more normal lines [`FloodControl::push`] would take now.
    #[must_use]
    pub fn remaining_capacity(&self) -> usize {
        self.config
            .queue_capacity
            .saturating_sub(self.queued_normal)
    }

    /// What flood control did so far.
    #[must_use]
    pub fn stats(&self) -> FloodStats {
        self.stats
    }

    /// Forgets every queued line and all history, as for a new connection
    /// (the server's counters start afresh too). Returns how many lines were
    /// dropped. The counters of [`FloodControl::stats`] are kept.
    pub fn reset(&mut self, now: Instant) -> usize {
        let dropped = self.len();
        self.epoch = now;
        self.latest = Duration::ZERO;
        self.pong.clear();
        self.registration.clear();
        self.untargeted.clear();
        self.targets.clear();
        self.global = Bucket {
            tat: Duration::ZERO,
        };
        self.queued_normal = 0;
        dropped
    }

    /// `now` as an offset from the epoch; also remembers the latest time.
    fn offset(&mut self, now: Instant) -> Duration {
        let d = now.saturating_duration_since(self.epoch);
        self.latest = self.latest.max(d);
        d
    }

    /// An offset as an instant. Past the end of `Instant` (which takes
    /// centuries of offset) it answers the latest time seen.
    fn instant(&self, offset: Duration) -> Instant {
        self.epoch
            .checked_add(offset)
            .or_else(|| self.epoch.checked_add(self.latest))
            .unwrap_or(self.epoch)
    }

    /// The oldest normal line that may go at `now`: `Some(None)` for the
    /// untargeted queue, `Some(Some(target))` for a target.
    fn pick(&self, now: Duration) -> Option<Option<String>> {
        let mut best: Option<(u64, Option<&String>)> =
            self.untargeted.front().map(|q| (q.seq, None));
        for (key, target) in &self.targets {
            let Some(head) = target.queue.front() else {
                continue;
            };
            if target_ready_at(&self.config, target, &head.line) > now {
                continue;
            }
            if best.is_none_or(|(seq, _)| head.seq < seq) {
                best = Some((head.seq, Some(key)));
            }
        }
        best.map(|(_, key)| key.cloned())
    }

    /// Drops the state of idle targets whose buckets are full again and
    /// whose history has expired: keeping it would change nothing.
    fn prune(&mut self, now: Duration) {
        let config = &self.config;
        let keep_for = config.max_wait.max(config.antiloop_window);
        self.targets.retain(|_, t| {
            !t.queue.is_empty()
                || t.bucket.tat > now
                || t.last_sent
                    .is_some_and(|at| at.saturating_add(keep_for) > now)
        });
    }
}

/// When the head line of `target` may go, as far as the target is concerned.
fn target_ready_at(config: &FloodConfig, target: &Target, line: &MessageBuf) -> Duration {
    let token = target
        .bucket
        .ready_at(config.refill_interval, config.burst_lines);
    match (target.throttled, target.last_sent) {
        (true, Some(last)) => {
            token.max(last.saturating_add(config.penalty_wait(text_of(line).len())))
        }
        _ => token,
    }
}

/// Updates a target after a line to it went at `now`.
fn record_send(config: &FloodConfig, target: &mut Target, line: &MessageBuf, now: Duration) {
    target.bucket.take(now, config.refill_interval);
    target.last_sent = Some(now);
    target.throttled = target
        .bucket
        .ready_at(config.refill_interval, config.burst_lines)
        > now;
    if is_text_line(line) {
        if target.history.len() == ANTILOOP_HISTORY {
            target.history.pop_front();
        }
        target.history.push_back(Sent {
            at: now,
            text: text_of(line).to_owned(),
        });
    }
}

fn is_text_line(line: &MessageBuf) -> bool {
    line.is_command("PRIVMSG") || line.is_command("NOTICE")
}

/// What anti-loop decides for a line.
enum Verdict {
    Send { line: MessageBuf, replaced: bool },
    Drop,
}

/// Sopel's loop breaker, over the recent history of the target.
fn antiloop(config: &FloodConfig, target: &Target, mut line: MessageBuf, now: Duration) -> Verdict {
    let threshold = config.antiloop_threshold.min(ANTILOOP_HISTORY);
    if threshold == 0 || !is_text_line(&line) {
        return Verdict::Send {
            line,
            replaced: false,
        };
    }
    let recent = |text: &str| {
        target
            .history
            .iter()
            .filter(|s| s.text == text && s.at.saturating_add(config.antiloop_window) > now)
            .count()
    };
    if recent(text_of(&line)) < threshold {
        return Verdict::Send {
            line,
            replaced: false,
        };
    }
    if recent(&config.antiloop_repeat_text) >= config.antiloop_silent_after {
        return Verdict::Drop;
    }
    if let Some(text) = line.params.last_mut() {
        text.clone_from(&config.antiloop_repeat_text);
    }
    Verdict::Send {
        line,
        replaced: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(target: &str, text: &str) -> MessageBuf {
        MessageBuf::new("PRIVMSG")
            .with_param(target)
            .with_param(text)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn control(config: FloodConfig) -> (FloodControl, Instant) {
        let t0 = Instant::now();
        (FloodControl::new(config, t0).unwrap(), t0)
    }

    /// A config with the global bucket out of the way.
    fn per_target_only() -> FloodConfig {
        FloodConfig {
            global_refill_interval: Duration::ZERO,
            ..FloodConfig::default()
        }
    }

    fn push(f: &mut FloodControl, target: &str, text: &str) {
        f.push(
            msg(target, text),
            Some(target.to_owned()),
            LineClass::Normal,
        )
        .unwrap();
    }

    /// Drains everything sendable at `now`; returns the texts.
    fn drain(f: &mut FloodControl, now: Instant) -> Vec<String> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            match f.poll_transmit(now) {
                Some(line) => out.push(line.params.last().cloned().unwrap_or_default()),
                None => return out,
            }
        }
        panic!("poll_transmit never ran dry");
    }

    /// Runs the queue to the end, always sleeping until `poll_timeout`;
    /// returns (offset from t0, text) of every line.
    fn schedule(f: &mut FloodControl, t0: Instant) -> Vec<(Duration, String)> {
        let mut out = Vec::new();
        let mut now = t0;
        for _ in 0..10_000 {
            for text in drain(f, now) {
                out.push((now - t0, text));
            }
            match f.poll_timeout() {
                Some(next) => {
                    assert!(next > now, "poll_timeout must move forward");
                    now = next;
                }
                None => return out,
            }
        }
        panic!("the queue never emptied");
    }

    #[test]
    fn burst_then_one_per_second() {
        let (mut f, t0) = control(per_target_only());
        for i in 0..7 {
            push(&mut f, "#c", &format!("line {i}"));
        }
        let times: Vec<Duration> = schedule(&mut f, t0).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            times,
            [ms(0), ms(0), ms(0), ms(0), ms(1000), ms(2000), ms(3000)]
        );
    }

    #[test]
    fn lines_keep_their_order() {
        let (mut f, t0) = control(per_target_only());
        for i in 0..6 {
            push(&mut f, "#c", &i.to_string());
        }
        let texts: Vec<String> = schedule(&mut f, t0).into_iter().map(|(_, s)| s).collect();
        assert_eq!(texts, ["0", "1", "2", "3", "4", "5"]);
    }

    #[test]
    fn bucket_refills_while_idle() {
        let (mut f, t0) = control(per_target_only());
        for i in 0..4 {
            push(&mut f, "#c", &i.to_string());
        }
        assert_eq!(drain(&mut f, t0).len(), 4);
        // Two and a half seconds later two tokens are back, not three.
        let later = t0 + ms(2500);
        for i in 0..3 {
            push(&mut f, "#c", &format!("again {i}"));
        }
        assert_eq!(drain(&mut f, later).len(), 2);
        // The third token is back at 3 s, but the bucket ran dry at 2.5 s,
        // so the 0.7 s gap after that line applies too.
        assert_eq!(f.poll_timeout(), Some(t0 + ms(3200)));
    }

    #[test]
    fn long_lines_wait_longer_once_throttled() {
        let (mut f, t0) = control(per_target_only());
        for i in 0..4 {
            push(&mut f, "#c", &format!("short {i}"));
        }
        // 120 bytes: 0.7 + 70 / 70 = 1.7 s after the previous line.
        push(&mut f, "#c", &"x".repeat(120));
        // 400 bytes: capped at 2 s.
        push(&mut f, "#c", &"y".repeat(400));
        // The long waits let tokens accrue: at 3.7 s six lines went out of
        // the 4 + 3.7 allowed, so a short line may follow at once...
        push(&mut f, "#c", "short again");
        // ...and the one after it waits for the bucket and the 0.7 s gap.
        push(&mut f, "#c", "and again");
        let times: Vec<Duration> = schedule(&mut f, t0).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            times,
            [
                ms(0),
                ms(0),
                ms(0),
                ms(0),
                ms(1700),
                ms(3700),
                ms(3700),
                ms(4400)
            ]
        );
    }

    #[test]
    fn long_lines_in_the_burst_go_at_once() {
        let (mut f, t0) = control(per_target_only());
        for _ in 0..4 {
            push(&mut f, "#c", &"z".repeat(400));
        }
        assert_eq!(drain(&mut f, t0).len(), 4);
    }

    #[test]
    fn penalty_ratio_zero_disables_the_length_part() {
        let config = FloodConfig {
            penalty_ratio: 0.0,
            empty_wait: ms(1500),
            ..per_target_only()
        };
        assert_eq!(config.penalty_wait(400), ms(1500));
        assert_eq!(config.penalty_wait(10), ms(1500));
    }

    #[test]
    fn targets_are_throttled_separately() {
        let (mut f, t0) = control(per_target_only());
        for i in 0..5 {
            push(&mut f, "#a", &format!("a{i}"));
        }
        for i in 0..2 {
            push(&mut f, "#b", &format!("b{i}"));
        }
        // #a's fifth line waits, but does not hold back #b.
        assert_eq!(drain(&mut f, t0), ["a0", "a1", "a2", "a3", "b0", "b1"]);
        assert_eq!(drain(&mut f, t0 + ms(1000)), ["a4"]);
    }

    #[test]
    fn oldest_ready_line_goes_first() {
        let (mut f, t0) = control(per_target_only());
        push(&mut f, "#b", "b0");
        push(&mut f, "#a", "a0");
        push(&mut f, "#b", "b1");
        f.push(
            MessageBuf::new("JOIN").with_param("#x"),
            None,
            LineClass::Normal,
        )
        .unwrap();
        push(&mut f, "#a", "a1");
        assert_eq!(drain(&mut f, t0), ["b0", "a0", "b1", "#x", "a1"]);
    }

    #[test]
    fn global_cap_spans_targets() {
        let config = FloodConfig {
            global_burst_lines: 3,
            global_refill_interval: ms(500),
            ..FloodConfig::default()
        };
        let (mut f, t0) = control(config);
        for t in ["#a", "#b", "#c", "#d", "#e"] {
            push(&mut f, t, "hello");
        }
        // Every target has tokens, but the global bucket lets three through
        // at once and then one per half second.
        let times: Vec<Duration> = schedule(&mut f, t0).into_iter().map(|(t, _)| t).collect();
        assert_eq!(times, [ms(0), ms(0), ms(0), ms(500), ms(1000)]);
    }

    #[test]
    fn global_cap_applies_to_untargeted_lines() {
        let config = FloodConfig {
            global_burst_lines: 2,
            global_refill_interval: ms(250),
            ..FloodConfig::default()
        };
        let (mut f, t0) = control(config);
        for i in 0..4 {
            f.push(
                MessageBuf::new("WHO").with_param(format!("#c{i}")),
                None,
                LineClass::Normal,
            )
            .unwrap();
        }
        let times: Vec<Duration> = schedule(&mut f, t0).into_iter().map(|(t, _)| t).collect();
        assert_eq!(times, [ms(0), ms(0), ms(250), ms(500)]);
    }

    #[test]
    fn pong_and_registration_jump_the_queue_and_are_exempt() {
        let config = FloodConfig {
            global_burst_lines: 1,
            ..FloodConfig::default()
        };
        let (mut f, t0) = control(config);
        push(&mut f, "#c", "first");
        push(&mut f, "#c", "second");
        f.push(
            MessageBuf::new("NICK").with_param("bot"),
            None,
            LineClass::Registration,
        )
        .unwrap();
        f.push(
            MessageBuf::new("PONG").with_param("srv"),
            None,
            LineClass::Pong,
        )
        .unwrap();
        f.push(
            MessageBuf::new("USER").with_params(["bot", "0", "*", "Bot"]),
            None,
            LineClass::Registration,
        )
        .unwrap();
        let commands: Vec<String> = std::iter::from_fn(|| f.poll_transmit(t0))
            .map(|l| l.command)
            .collect();
        // PONG first, then registration in order, then one normal line (the
        // global burst is one): the exempt lines took no token.
        assert_eq!(commands, ["PONG", "NICK", "USER", "PRIVMSG"]);
        // Even while normal lines are throttled, a PONG goes at once.
        f.push(
            MessageBuf::new("PONG").with_param("srv"),
            None,
            LineClass::Pong,
        )
        .unwrap();
        assert_eq!(f.poll_timeout(), Some(t0));
        assert_eq!(
            f.poll_transmit(t0).map(|l| l.command).as_deref(),
            Some("PONG")
        );
        assert_eq!(f.poll_timeout(), Some(t0 + ms(500)));
    }

    #[test]
    fn full_queue_hands_the_line_back() {
        let config = FloodConfig {
            queue_capacity: 3,
            ..FloodConfig::default()
        };
        let (mut f, t0) = control(config);
        for i in 0..3 {
            push(&mut f, "#c", &i.to_string());
        }
        assert_eq!(f.remaining_capacity(), 0);
        let err = f
            .push(msg("#c", "overflow"), Some("#c".into()), LineClass::Normal)
            .unwrap_err();
        assert_eq!(err.line, msg("#c", "overflow"));
        assert_eq!(f.stats().refused, 1);
        // PONG is still taken.
        f.push(
            MessageBuf::new("PONG").with_param("x"),
            None,
            LineClass::Pong,
        )
        .unwrap();
        assert_eq!(f.len(), 4);
        // Sending frees room again.
        assert!(f.poll_transmit(t0).is_some()); // the PONG
        assert!(f.poll_transmit(t0).is_some());
        assert_eq!(f.remaining_capacity(), 1);
        push(&mut f, "#c", "fits now");
    }

    #[test]
    fn repeated_text_is_replaced_then_silenced() {
        let (mut f, t0) = control(FloodConfig::default());
        for _ in 0..12 {
            push(&mut f, "#c", "hello");
        }
        let texts: Vec<String> = schedule(&mut f, t0).into_iter().map(|(_, s)| s).collect();
        // Five times, then "..." three times, then nothing.
        assert_eq!(
            texts,
            [
                "hello", "hello", "hello", "hello", "hello", "...", "...", "..."
            ]
        );
        assert_eq!(f.stats().replaced, 3);
        assert_eq!(f.stats().dropped, 4);
        assert!(f.is_empty());
        // Another target is not affected.
        push(&mut f, "#d", "hello");
        assert_eq!(drain(&mut f, t0 + Duration::from_secs(30)), ["hello"]);
    }

    #[test]
    fn repeats_outside_the_window_do_not_count() {
        let config = FloodConfig {
            antiloop_window: Duration::from_secs(10),
            ..per_target_only()
        };
        let (mut f, t0) = control(config);
        let mut now = t0;
        let mut sent = Vec::new();
        for _ in 0..8 {
            push(&mut f, "#c", "tick");
            sent.extend(drain(&mut f, now));
            now += Duration::from_secs(3);
        }
        // One line every 3 s with a 10 s window: never five in the window.
        assert_eq!(sent, vec!["tick"; 8]);
    }

    #[test]
    fn antiloop_can_be_turned_off() {
        let config = FloodConfig {
            antiloop_threshold: 0,
            ..per_target_only()
        };
        let (mut f, t0) = control(config);
        for _ in 0..12 {
            push(&mut f, "#c", "same");
        }
        let texts: Vec<String> = schedule(&mut f, t0).into_iter().map(|(_, s)| s).collect();
        assert_eq!(texts, vec!["same"; 12]);
    }

    #[test]
    fn alternating_texts_are_counted_separately() {
        let (mut f, t0) = control(per_target_only());
        for i in 0..12 {
            push(&mut f, "#c", if i % 2 == 0 { "ping" } else { "pong" });
        }
        // Each text reaches five repeats among the last ten only at the 11th line.
        let texts: Vec<String> = schedule(&mut f, t0).into_iter().map(|(_, s)| s).collect();
        assert_eq!(texts.iter().filter(|t| *t == "...").count(), 2);
        assert_eq!(texts.len(), 12);
    }

    #[test]
    fn empty_queue_has_no_timeout() {
        let (mut f, t0) = control(FloodConfig::default());
        assert_eq!(f.poll_timeout(), None);
        assert!(f.poll_transmit(t0).is_none());
        assert!(f.is_empty());
    }

    #[test]
    fn reset_forgets_lines_and_buckets() {
        let (mut f, t0) = control(per_target_only());
        for i in 0..6 {
            push(&mut f, "#c", &i.to_string());
        }
        assert_eq!(drain(&mut f, t0).len(), 4);
        let t1 = t0 + ms(100);
        assert_eq!(f.reset(t1), 2);
        assert!(f.is_empty());
        for i in 0..4 {
            push(&mut f, "#c", &i.to_string());
        }
        assert_eq!(drain(&mut f, t1).len(), 4, "the buckets are full again");
    }

    #[test]
    fn idle_targets_are_pruned() {
        let (mut f, t0) = control(per_target_only());
        push(&mut f, "#c", "x");
        assert_eq!(drain(&mut f, t0).len(), 1);
        assert_eq!(f.targets.len(), 1);
        let later = t0 + Duration::from_secs(121);
        assert!(f.poll_transmit(later).is_none());
        assert!(f.targets.is_empty());
    }

    #[test]
    fn time_going_backwards_is_harmless() {
        let (mut f, t0) = control(per_target_only());
        let t1 = t0 + Duration::from_secs(5);
        for i in 0..5 {
            push(&mut f, "#c", &i.to_string());
        }
        assert_eq!(drain(&mut f, t1).len(), 4);
        // An earlier instant is read as the epoch: nothing more goes.
        assert!(f.poll_transmit(t0).is_none());
        assert_eq!(f.poll_timeout(), Some(t1 + ms(1000)));
    }

    #[test]
    fn bad_configs_are_refused() {
        let t0 = Instant::now();
        let bad = [
            (
                FloodConfig {
                    burst_lines: 0,
                    ..FloodConfig::default()
                },
                FloodConfigError::ZeroBurst,
            ),
            (
                FloodConfig {
                    global_burst_lines: 0,
                    ..FloodConfig::default()
                },
                FloodConfigError::ZeroBurst,
            ),
            (
                FloodConfig {
                    queue_capacity: 0,
                    ..FloodConfig::default()
                },
                FloodConfigError::ZeroCapacity,
            ),
            (
                FloodConfig {
                    penalty_ratio: -1.0,
                    ..FloodConfig::default()
                },
                FloodConfigError::BadPenaltyRatio,
            ),
            (
                FloodConfig {
                    penalty_ratio: f64::NAN,
                    ..FloodConfig::default()
                },
                FloodConfigError::BadPenaltyRatio,
            ),
        ];
        for (config, expected) in bad {
            assert_eq!(FloodControl::new(config, t0).unwrap_err(), expected);
        }
    }

    #[test]
    fn unlimited_config_sends_everything_at_once() {
        let config = FloodConfig {
            refill_interval: Duration::ZERO,
            global_refill_interval: Duration::ZERO,
            antiloop_threshold: 0,
            ..FloodConfig::default()
        };
        let (mut f, t0) = control(config);
        for i in 0..50 {
            push(&mut f, "#c", &i.to_string());
        }
        assert_eq!(drain(&mut f, t0).len(), 50);
    }

    #[test]
    fn target_of_reads_messaging_commands() {
        assert_eq!(target_of(&msg("nick", "hi")), Some("nick"));
        assert_eq!(
            target_of(&MessageBuf::new("notice").with_param("#c").with_param("x")),
            Some("#c")
        );
        assert_eq!(
            target_of(&MessageBuf::new("TAGMSG").with_param("#c")),
            Some("#c")
        );
        assert_eq!(target_of(&MessageBuf::new("PRIVMSG")), None);
        assert_eq!(target_of(&MessageBuf::new("MODE").with_param("#c")), None);
    }
}
