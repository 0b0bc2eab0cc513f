//! `cargo xtask codegen`: generated sources.

use anyhow::Result;

pub(crate) fn run(_args: &[String]) -> Result<()> {
    Ok(())
}
