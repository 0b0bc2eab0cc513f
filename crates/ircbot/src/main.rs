//! `ircbot`: the bot operators run.
//!
//! * `ircbot --text [-c bot.toml]`: the bot in this terminal, no server
//!   needed.
//! * `ircbot init [path]`: writes a commented example configuration.
//! * `ircbot check -c bot.toml`: checks a configuration file.
//! * `ircbot run -c bot.toml`: the bot on IRC.
//!
//! Each subcommand is one variant of [`Cmd`] and one function here; the
//! configuration lives in `config.rs`, the text mode in `text.rs`, the IRC
//! mode in `run.rs`.

#![forbid(unsafe_code)]

mod config;
mod logging;
mod run;
mod secret;
mod text;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

/// The example configuration written by `ircbot init`.
const EXAMPLE: &str = include_str!("bot.example.toml");

/// An IRC bot with built-in plugins (help, status, admin, seen, tell,
/// remind, karma, dice, ...), configured with one TOML file.
#[derive(Debug, Parser)]
#[command(name = "ircbot", version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Run the bot in this terminal (no server needed): type `!help`.
    #[arg(long)]
    text: bool,

    /// The configuration file.
    #[arg(short, long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,

    /// In text mode, speak as this user (default: $USER).
    #[arg(long = "as", value_name = "USER")]
    user: Option<String>,

    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Write a commented example configuration.
    Init {
        /// Where to write it.
        #[arg(default_value = "bot.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check a configuration file (-c FILE) and report every problem with
    /// its key and line.
    Check,
    /// Run the bot on IRC with a configuration file (-c FILE). Stops on
    /// SIGINT or SIGTERM (QUIT sent, exit 0).
    Run,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Cmd::Init { path, force }) => init(&path, force),
        Some(Cmd::Check) => check(cli.config.as_deref()),
        Some(Cmd::Run) => run_mode(cli.config.as_deref()),
        None if cli.text => text_mode(cli.config.as_deref(), cli.user),
        None => {
            eprintln!(
                "ircbot: nothing to do. Try `ircbot --text` to talk to the bot in this terminal, \
                 `ircbot init` to write a configuration, or `ircbot --help`."
            );
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ircbot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init(path: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if path.exists() && !force {
        bail!(
            "{} already exists; use --force to overwrite it",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, EXAMPLE).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "Wrote {}. Edit it, then check it with `ircbot check -c {}`.",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn check(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let Some(path) = path else {
        bail!("check needs a file: `ircbot check -c bot.toml`");
    };
    match config::load(path) {
        Ok(l) => {
            println!(
                "{}: OK (server {}:{}, nick {})",
                path.display(),
                l.config.server.host,
                l.config
                    .server
                    .port
                    .unwrap_or(if l.config.server.tls { 6697 } else { 6667 }),
                l.config.identity.nick
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn run_mode(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let Some(path) = path else {
        bail!("run needs a file: `ircbot run -c bot.toml` (`ircbot init` writes one)");
    };
    let loaded = match config::load(path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let level = loaded
        .config
        .log
        .level
        .clone()
        .unwrap_or_else(|| "info".to_owned());
    logging::init(&level, loaded.config.log.format);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(run::run(loaded));
    // Tasks still running (a connection attempt) are not waited for; every
    // write to the store is already committed.
    runtime.shutdown_background();
    outcome.map(|()| ExitCode::SUCCESS)
}

fn text_mode(path: Option<&Path>, user: Option<String>) -> anyhow::Result<ExitCode> {
    let loaded = match path {
        Some(p) => Some(config::load(p)?),
        None => None,
    };
    let (level, format) =
        loaded
            .as_ref()
            .map_or(("warn".to_owned(), config::LogFormat::Human), |l| {
                (
                    l.config
                        .log
                        .level
                        .clone()
                        .unwrap_or_else(|| "warn".to_owned()),
                    l.config.log.format,
                )
            });
    logging::init(&level, format);
    let usable =
        |u: &str| !u.is_empty() && !u.contains(['/', '#']) && !u.contains(char::is_whitespace);
    let user = match user {
        Some(u) if usable(&u) => u,
        Some(u) => bail!("--as {u:?}: a user name is one word without `#` or `/`"),
        None => std::env::var("USER")
            .ok()
            .filter(|u| usable(u))
            .unwrap_or_else(|| "you".to_owned()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(
        text::TextMode {
            config: loaded,
            user,
        }
        .run(),
    );
    // Reading standard input blocks a thread that cannot be interrupted;
    // do not wait for it. Every write to the store is already committed.
    runtime.shutdown_background();
    outcome.map(|()| ExitCode::SUCCESS)
}
