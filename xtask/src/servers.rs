//! The IRC servers the integration tests run against.

use std::path::PathBuf;

use anyhow::Result;

/// Installs the servers when missing (and possible) and returns where they are.
pub(crate) fn ensure() -> Result<Vec<(&'static str, PathBuf)>> {
    Ok(Vec::new())
}

/// The environment variable that tells the tests where a server binary is.
pub(crate) fn env_var(name: &str) -> String {
    format!("IRC_TEST_{}", name.to_ascii_uppercase())
}
