//! The random number generator shared by `choose` and `dice`, injectable
//! so tests can seed it.

use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A shared random number generator. Clones share the state.
#[derive(Debug, Clone)]
pub struct SharedRng(Arc<Mutex<StdRng>>);

impl SharedRng {
    /// A generator seeded from the operating system.
    pub fn from_os() -> Self {
        Self(Arc::new(Mutex::new(StdRng::from_os_rng())))
    }

    /// A generator with a fixed seed: the same seed gives the same rolls.
    pub fn seeded(seed: u64) -> Self {
        Self(Arc::new(Mutex::new(StdRng::seed_from_u64(seed))))
    }

    /// A number in `1..=max` (`max` at least 1).
    pub fn roll(&self, max: u32) -> u32 {
        let mut rng = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rng.random_range(1..=max.max(1))
    }

    /// An index in `0..len` (`len` at least 1).
    pub fn index(&self, len: usize) -> usize {
        let mut rng = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rng.random_range(0..len.max(1))
    }
}

impl Default for SharedRng {
    fn default() -> Self {
        Self::from_os()
    }
}
