//! Reconnect backoff, sans I/O: how long to wait before the next connection
//! attempt.
//!
//! The delay grows exponentially from `initial` by `factor` per failed
//! attempt up to `max_delay`, plus a random jitter of up to `jitter` so that
//! many clients cut off together do not all come back in the same second;
//! the jittered delay never exceeds `max_delay`. A connection that stayed up
//! for `stable_after` resets the sequence when it drops; one that drops
//! sooner (a server that accepts and then refuses) keeps growing it. With
//! `max_attempts` set, the backoff gives up after that many attempts in a
//! row.
//!
//! Attempt `n` (0 for the first reconnect after a reset) waits
//!
//! ```text
//! min(min(initial * factor^n, max_delay) + jitter * u, max_delay)    u in [0, 1)
//! ```
//!
//! # Defaults
//!
//! The numbers are errbot's (`errbot.backends.base.Backend`): first delay
//! 1 s, multiplier 1.75, maximum 600 s, jitter up to 3 s. Unlike errbot the
//! jitter is not carried into the next multiplication, the first delay is
//! jittered too, and the cap holds for the jittered delay.
//!
//! | setting | default |
//! | --- | --- |
//! | `initial` | 1 s |
//! | `factor` | 1.75 |
//! | `max_delay` | 600 s |
//! | `jitter` | 3 s |
//! | `stable_after` | 60 s |
//! | `max_attempts` | none (retry forever) |
//!
//! Without jitter the delays are 1, 1.75, 3.06, 5.36, 9.38, 16.4, 28.7,
//! 50.3, 88.0, 153.9, 269.4, 471.4, then 600 s from the 13th attempt on.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, Instant};
//! use irc_client::backoff::{Backoff, BackoffConfig, NoJitter};
//!
//! let mut backoff = Backoff::new(BackoffConfig::default()).unwrap();
//! assert_eq!(backoff.next_delay(&mut NoJitter), Some(Duration::from_secs(1)));
//! assert_eq!(backoff.next_delay(&mut NoJitter), Some(Duration::from_millis(1750)));
//!
//! // A connection that stays up a minute resets the sequence when it drops.
//! let t0 = Instant::now();
//! backoff.connected(t0);
//! assert!(backoff.disconnected(t0 + Duration::from_secs(60)));
//! assert_eq!(backoff.next_delay(&mut NoJitter), Some(Duration::from_secs(1)));
//! ```

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

/// The settings of [`Backoff`]; see the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffConfig {
    /// The delay before the first attempt after a reset.
    pub initial: Duration,
    /// How much each failed attempt multiplies the delay (1 or more).
    pub factor: f64,
    /// The longest delay, jitter included.
    pub max_delay: Duration,
    /// The most random time added to a delay.
    pub jitter: Duration,
    /// How long a connection must stay up for its loss to reset the delays.
    pub stable_after: Duration,
    /// Attempts in a row after which to give up; `None`: never give up.
    pub max_attempts: Option<u32>,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            factor: 1.75,
            max_delay: Duration::from_secs(600),
            jitter: Duration::from_secs(3),
            stable_after: Duration::from_secs(60),
            max_attempts: None,
        }
    }
}

/// A [`BackoffConfig`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackoffConfigError {
    /// `factor` is below 1 or not a finite number.
    #[error("the backoff factor must be a finite number of at least 1")]
    BadFactor,
}

/// A source of jitter: numbers in `[0, 1)`. Values outside are clamped into
/// that range (and NaN reads as 0).
///
/// Any `FnMut() -> f64` closure is one; [`SplitMix64`] is a small seeded
/// generator, [`NoJitter`] always answers 0.
pub trait Jitter {
    /// The next number in `[0, 1)`.
    fn next_unit(&mut self) -> f64;
}

impl<F: FnMut() -> f64> Jitter for F {
    fn next_unit(&mut self) -> f64 {
        self()
    }
}

/// No jitter: the bare exponential sequence.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoJitter;

impl Jitter for NoJitter {
    fn next_unit(&mut self) -> f64 {
        0.0
    }
}

/// A small, fast, seeded generator (SplitMix64) for jitter. Not for
/// secrets.
///
/// ```
/// use irc_client::backoff::{Jitter, SplitMix64};
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// let x = a.next_unit();
/// assert!((0.0..1.0).contains(&x));
/// assert_eq!(x, b.next_unit());
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`: the same seed gives the same numbers.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator seeded from the process's hash randomness, different in
    /// each process.
    #[must_use]
    pub fn from_entropy() -> Self {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x6a09_e667_f3bc_c908);
        Self::new(hasher.finish())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Jitter for SplitMix64 {
    fn next_unit(&mut self) -> f64 {
        // The top 53 bits make a uniform double in [0, 1).
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The reconnect delay sequence; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    /// Delays handed out since the last reset.
    attempts: u32,
    /// When the current connection came up, if one is up.
    connected_at: Option<Instant>,
}

impl Backoff {
    /// A backoff with `config`, before any attempt.
    ///
    /// # Errors
    ///
    /// [`BackoffConfigError::BadFactor`] for a factor below 1, infinite or NaN.
    pub fn new(config: BackoffConfig) -> Result<Self, BackoffConfigError> {
        if !config.factor.is_finite() || config.factor < 1.0 {
            return Err(BackoffConfigError::BadFactor);
        }
        Ok(Self {
            config,
            attempts: 0,
            connected_at: None,
        })
    }

    /// The settings in use.
    #[must_use]
    pub fn config(&self) -> &BackoffConfig {
        &self.config
    }

    /// How many delays were handed out since the last reset.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The delay before the next attempt, counting it; `None` once
    /// `max_attempts` attempts were made since the last reset (give up).
    pub fn next_delay(&mut self, jitter: &mut impl Jitter) -> Option<Duration> {
        if self
            .config
            .max_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            return None;
        }
        let base = self.base_delay(self.attempts);
        self.attempts = self.attempts.saturating_add(1);
        let mut unit = jitter.next_unit();
        if unit.is_nan() {
            unit = 0.0;
        }
        let extra = self.config.jitter.mul_f64(unit.clamp(0.0, 1.0));
        Some(base.saturating_add(extra).min(self.config.max_delay))
    }

    /// The delay of attempt `n` (0-based) without jitter.
    #[must_use]
    pub fn base_delay(&self, n: u32) -> Duration {
        let exponent = i32::try_from(n).unwrap_or(i32::MAX);
        let secs = self.config.initial.as_secs_f64() * self.config.factor.powi(exponent);
        let max = self.config.max_delay;
        if secs.is_finite() && secs < max.as_secs_f64() {
            Duration::try_from_secs_f64(secs).unwrap_or(max).min(max)
        } else {
            max
        }
    }

    /// The connection is up (registered) at `now`.
    pub fn connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// The connection dropped at `now`. When it had stayed up for
    /// `stable_after`, the sequence starts over; returns whether it did.
    pub fn disconnected(&mut self, now: Instant) -> bool {
        let stable = self
            .connected_at
            .take()
            .is_some_and(|up| now.saturating_duration_since(up) >= self.config.stable_after);
        if stable {
            self.reset();
        }
        stable
    }

    /// Starts the sequence over, as after a stable connection.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn backoff(config: BackoffConfig) -> Backoff {
        Backoff::new(config).unwrap()
    }

    /// Delays equal within a microsecond (float rounding).
    fn assert_close(got: Duration, want: Duration) {
        let diff = got.abs_diff(want);
        assert!(
            diff < Duration::from_micros(1),
            "got {got:?}, want {want:?}"
        );
    }

    #[test]
    fn sequence_without_jitter() {
        let mut b = backoff(BackoffConfig::default());
        let want = [
            1.0,
            1.75,
            3.0625,
            5.359375,
            9.37890625,
            16.4130859375,
            28.722900390625,
            50.26507568359375,
            87.96388244628906,
            153.93679428100586,
            269.38939,
            471.43143,
            600.0,
            600.0,
        ];
        for (i, w) in want.into_iter().enumerate() {
            let got = b.next_delay(&mut NoJitter).unwrap();
            if i == 10 || i == 11 {
                assert!(
                    got.abs_diff(secs(w)) < Duration::from_millis(1),
                    "attempt {i}: {got:?}"
                );
            } else {
                assert_close(got, secs(w));
            }
        }
        assert_eq!(b.attempts(), 14);
    }

    #[test]
    fn jitter_is_added_up_to_its_maximum() {
        let mut b = backoff(BackoffConfig::default());
        let mut half = || 0.5;
        assert_close(b.next_delay(&mut half).unwrap(), secs(2.5));
        assert_close(b.next_delay(&mut half).unwrap(), secs(3.25));
        let mut almost_one = || 0.999_999;
        assert!(b.next_delay(&mut almost_one).unwrap() < secs(3.0625 + 3.0));
    }

    #[test]
    fn jittered_delay_stays_under_the_cap() {
        let mut b = backoff(BackoffConfig::default());
        let mut full = || 1.0;
        let mut last = Duration::ZERO;
        for _ in 0..40 {
            last = b.next_delay(&mut full).unwrap();
            assert!(last <= secs(600.0));
        }
        assert_eq!(last, secs(600.0));
        // 471.4 + 3 is still below the cap; 1.75 times more is not.
        let mut b = backoff(BackoffConfig::default());
        let delays: Vec<Duration> = (0..13).map(|_| b.next_delay(&mut full).unwrap()).collect();
        assert!(delays[11] > secs(474.0) && delays[11] < secs(475.0));
        assert_eq!(delays[12], secs(600.0));
    }

    #[test]
    fn out_of_range_jitter_is_clamped() {
        let mut b = backoff(BackoffConfig::default());
        let mut wild = || 7.0;
        assert_close(b.next_delay(&mut wild).unwrap(), secs(4.0));
        let mut negative = || -3.0;
        assert_close(b.next_delay(&mut negative).unwrap(), secs(1.75));
        let mut nan = || f64::NAN;
        assert_close(b.next_delay(&mut nan).unwrap(), secs(3.0625));
    }

    #[test]
    fn stable_connection_resets() {
        let mut b = backoff(BackoffConfig::default());
        for _ in 0..5 {
            b.next_delay(&mut NoJitter);
        }
        let t0 = Instant::now();
        b.connected(t0);
        assert!(b.disconnected(t0 + Duration::from_secs(61)));
        assert_eq!(b.attempts(), 0);
        assert_eq!(b.next_delay(&mut NoJitter), Some(secs(1.0)));
    }

    #[test]
    fn short_lived_connection_keeps_growing() {
        let mut b = backoff(BackoffConfig::default());
        let t0 = Instant::now();
        b.next_delay(&mut NoJitter);
        b.next_delay(&mut NoJitter);
        b.connected(t0);
        assert!(!b.disconnected(t0 + Duration::from_secs(59)));
        assert_close(b.next_delay(&mut NoJitter).unwrap(), secs(3.0625));
        // A disconnect without a connect changes nothing either.
        assert!(!b.disconnected(t0 + Duration::from_secs(1000)));
        assert_eq!(b.attempts(), 3);
    }

    #[test]
    fn stable_after_is_configurable() {
        let mut b = backoff(BackoffConfig {
            stable_after: Duration::from_secs(5),
            ..BackoffConfig::default()
        });
        b.next_delay(&mut NoJitter);
        let t0 = Instant::now();
        b.connected(t0);
        assert!(b.disconnected(t0 + Duration::from_secs(5)));
        assert_eq!(b.attempts(), 0);
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let mut b = backoff(BackoffConfig {
            max_attempts: Some(3),
            ..BackoffConfig::default()
        });
        assert!(b.next_delay(&mut NoJitter).is_some());
        assert!(b.next_delay(&mut NoJitter).is_some());
        assert!(b.next_delay(&mut NoJitter).is_some());
        assert_eq!(b.next_delay(&mut NoJitter), None);
        assert_eq!(b.next_delay(&mut NoJitter), None);
        b.reset();
        assert_eq!(b.next_delay(&mut NoJitter), Some(secs(1.0)));
    }

    #[test]
    fn zero_max_attempts_never_retries() {
        let mut b = backoff(BackoffConfig {
            max_attempts: Some(0),
            ..BackoffConfig::default()
        });
        assert_eq!(b.next_delay(&mut NoJitter), None);
    }

    #[test]
    fn huge_attempt_numbers_stay_at_the_cap() {
        let b = backoff(BackoffConfig::default());
        assert_eq!(b.base_delay(u32::MAX), secs(600.0));
        assert_eq!(b.base_delay(5000), secs(600.0));
    }

    #[test]
    fn bad_factor_is_refused() {
        for factor in [0.5, f64::NAN, f64::INFINITY, -2.0] {
            let config = BackoffConfig {
                factor,
                ..BackoffConfig::default()
            };
            assert_eq!(
                Backoff::new(config).unwrap_err(),
                BackoffConfigError::BadFactor
            );
        }
    }

    #[test]
    fn factor_one_is_a_constant_delay() {
        let mut b = backoff(BackoffConfig {
            factor: 1.0,
            initial: Duration::from_secs(5),
            ..BackoffConfig::default()
        });
        for _ in 0..5 {
            assert_eq!(b.next_delay(&mut NoJitter), Some(secs(5.0)));
        }
    }

    #[test]
    fn splitmix_is_uniform_enough() {
        let mut rng = SplitMix64::new(42);
        let samples: Vec<f64> = (0..10_000).map(|_| rng.next_unit()).collect();
        assert!(samples.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
        let low = samples.iter().filter(|x| **x < 0.1).count();
        assert!((800..1200).contains(&low), "{low} of 10000 below 0.1");
    }

    #[test]
    fn splitmix_seeds_differ() {
        let a: Vec<u64> = {
            let mut r = SplitMix64::new(1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SplitMix64::new(2);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_ne!(a, b);
        let mut e = SplitMix64::from_entropy();
        assert!((0.0..1.0).contains(&e.next_unit()));
    }
}
