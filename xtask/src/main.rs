//! Project automation, in Rust so that it runs wherever cargo does.
//!
//! `cargo xtask ci` runs every check CI runs; `cargo xtask ci STEP` runs one.
//! `cargo xtask codegen` regenerates the generated sources.

mod ci;
mod codegen;
mod servers;

use std::path::{Path, PathBuf};

const HELP: &str = "\
usage: cargo xtask <task> [args]

tasks:
  ci [STEP...]       run the CI steps (all when none is named):
                     fmt, clippy, test, doc, fuzz, bench
  codegen [--check]  regenerate generated sources (--check: fail if stale)
  servers            install (when possible) and locate the IRC servers the tests use
  help               this text
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("codegen") => codegen::run(&args[1..]),
        Some("servers") => servers::ensure().map(|found| {
            for (name, path) in found {
                println!("{name}: {}", path.display());
            }
        }),
        None | Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown task `{other}`\n\n{HELP}")),
    };
    if let Err(e) = result {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The cargo that runs us (`CARGO`), or `cargo` from the PATH.
pub(crate) fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.current_dir(project_root());
    cmd
}
