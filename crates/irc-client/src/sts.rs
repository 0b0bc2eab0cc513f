//! IRCv3 Strict Transport Security (`sts`): a server's promise that it is
//! reachable over TLS, remembered so that later connections use TLS.
//!
//! The rules the client follows:
//!
//! - On a **plain** connection, an `sts` capability value with `port=P`
//!   makes the client drop the connection at once and connect again with TLS
//!   on port `P` (verification on). A `duration` seen on a plain connection
//!   is ignored: a plain connection cannot be trusted to set a policy.
//! - On a **TLS** connection, `duration=D` stores (or refreshes) the policy
//!   "this host must be reached with TLS on this port" for `D` seconds;
//!   `duration=0` removes it.
//! - Before connecting in plain text to a host with a stored, unexpired
//!   policy, the client uses TLS on the policy's port instead.
//! - A policy offered later with `CAP NEW` follows the same rules without
//!   dropping the connection: on TLS it is stored (or removed); on a plain
//!   connection its port is used, with TLS, by the next connection.
//!
//! Policies live in memory and, when the client has a state directory
//! ([`ClientBuilder::state_dir`](crate::ClientBuilder::state_dir)), in the
//! JSON file `sts.json` there, so they outlive the process. Time is passed
//! in as [`SystemTime`] (policies are wall-clock durations).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use irc_client::sts::{StsStore, StsValue};
//!
//! let v = StsValue::parse("port=6697,duration=300");
//! assert_eq!((v.port, v.duration), (Some(6697), Some(300)));
//!
//! let now = SystemTime::now();
//! let mut store = StsStore::in_memory();
//! store.record("IRC.example.com", 6697, 300, now).unwrap();
//! assert_eq!(store.policy("irc.example.com", now).map(|p| p.port), Some(6697));
//! assert!(store.policy("irc.example.com", now + Duration::from_secs(301)).is_none());
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The file name of the policy store in the state directory.
pub const STS_FILE: &str = "sts.json";

/// The parsed value of the `sts` capability (`port=6697,duration=300`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsValue {
    /// `port=`: where TLS is offered.
    pub port: Option<u16>,
    /// `duration=`: how long (seconds) the policy holds.
    pub duration: Option<u64>,
    /// `preload`: the server agrees to be in preload lists.
    pub preload: bool,
}

impl StsValue {
    /// Parses the value: comma-separated keys, each with an optional
    /// `=value`; unknown keys and unparsable numbers are ignored.
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let mut out = Self::default();
        for item in value.split(',') {
            let (key, val) = item.split_once('=').unwrap_or((item, ""));
            match key {
                "port" => out.port = val.parse().ok().filter(|p| *p != 0),
                "duration" => out.duration = val.parse().ok(),
                "preload" => out.preload = true,
                _ => {}
            }
        }
        out
    }
}

/// One stored policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsPolicy {
    /// The host (lower case).
    pub host: String,
    /// The TLS port.
    pub port: u16,
    /// The duration the server announced, in seconds.
    pub duration: u64,
    /// When the policy ends, in seconds since the Unix epoch.
    pub expires: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StsFile {
    policies: Vec<StsPolicy>,
}

/// Known policies, by host; see the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct StsStore {
    file: Option<PathBuf>,
    policies: BTreeMap<String, StsPolicy>,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl StsStore {
    /// A store that is never written to disk.
    #[must_use]
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// The store of `dir/sts.json`; a missing file is an empty store (the
    /// directory is created on the first write).
    ///
    /// # Errors
    ///
    /// The file exists but cannot be read, or is not a policy file.
    pub fn load(dir: &Path) -> io::Result<Self> {
        let file = dir.join(STS_FILE);
        let policies = match std::fs::read(&file) {
            Ok(bytes) => {
                let parsed: StsFile = serde_json::from_slice(&bytes)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                parsed
                    .policies
                    .into_iter()
                    .map(|p| (p.host.clone(), p))
                    .collect()
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            file: Some(file),
            policies,
        })
    }

    /// The unexpired policy for `host` at `now`.
    #[must_use]
    pub fn policy(&self, host: &str, now: SystemTime) -> Option<&StsPolicy> {
        self.policies
            .get(&host.to_ascii_lowercase())
            .filter(|p| p.expires > unix(now))
    }

    /// Stores (or, with `duration` 0, removes) the policy for `host`
    /// announced on a TLS connection to `port`, and writes the file.
    ///
    /// # Errors
    ///
    /// The file cannot be written; the policy is kept in memory anyway.
    pub fn record(
        &mut self,
        host: &str,
        port: u16,
        duration: u64,
        now: SystemTime,
    ) -> io::Result<()> {
        let host = host.to_ascii_lowercase();
        if duration == 0 {
            self.policies.remove(&host);
        } else {
            let expires = unix(
                now.checked_add(Duration::from_secs(duration))
                    .unwrap_or(now),
            );
            self.policies.insert(
                host.clone(),
                StsPolicy {
                    host,
                    port,
                    duration,
                    expires,
                },
            );
        }
        self.save()
    }

    fn save(&self) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let data = StsFile {
            policies: self.policies.values().cloned().collect(),
        };
        let json = serde_json::to_vec_pretty(&data).map_err(io::Error::other)?;
        let tmp = file.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_leniently() {
        assert_eq!(StsValue::parse(""), StsValue::default());
        assert_eq!(
            StsValue::parse("duration=100,port=6697,preload,foo=bar"),
            StsValue {
                port: Some(6697),
                duration: Some(100),
                preload: true
            }
        );
        assert_eq!(StsValue::parse("port=0,duration=x").port, None);
        assert_eq!(StsValue::parse("port=99999").port, None);
        assert_eq!(StsValue::parse("duration=x").duration, None);
    }

    #[test]
    fn policies_persist_expire_and_are_removed_by_zero() {
        let dir = tempfile::tempdir().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut store = StsStore::load(dir.path()).unwrap();
        assert!(store.policy("irc.example.com", now).is_none());
        store.record("irc.Example.com", 6697, 60, now).unwrap();
        store.record("other.example", 7000, 10, now).unwrap();

        let again = StsStore::load(dir.path()).unwrap();
        let p = again.policy("IRC.EXAMPLE.COM", now).unwrap();
        assert_eq!((p.port, p.duration, p.expires), (6697, 60, 1_000_060));
        assert!(
            again
                .policy("irc.example.com", now + Duration::from_secs(59))
                .is_some()
        );
        assert!(
            again
                .policy("irc.example.com", now + Duration::from_secs(60))
                .is_none()
        );

        store.record("irc.example.com", 6697, 0, now).unwrap();
        let again = StsStore::load(dir.path()).unwrap();
        assert!(again.policy("irc.example.com", now).is_none());
        assert!(again.policy("other.example", now).is_some());
    }

    #[test]
    fn a_broken_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STS_FILE), "not json").unwrap();
        assert_eq!(
            StsStore::load(dir.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
