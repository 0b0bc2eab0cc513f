//! `ircbot run -c bot.toml`: the bot on IRC, with the built-in plugins, on
//! bot-core's IRC backend.
//!
//! The client keeps trying to connect and register for as long as it takes
//! (reconnecting with backoff), and rejoins its channels after a
//! reconnection. SIGINT, SIGTERM or `!quit` from an admin stop it at any
//! moment: `QUIT` is sent when a connection is up, the plugins are
//! deactivated, the database is closed (every write is committed when it
//! is made), and the program exits with 0.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bot_core::backends::irc::IrcBackend;
use bot_core::{Bot, ReconnectPolicy};
use bot_plugins::Options;
use irc_client::Client;
use irc_client::flood::FloodConfig;
use irc_client::sasl::{EcdsaKey, Mechanism, SaslCredentials};
use irc_client::tls::TlsConfig;
use tokio::sync::Notify;

use crate::config::{self, Config, Loaded};
use crate::text::{Controls, lock, state_dir, wait_for_signal};

/// How long the connection may take to end after `QUIT`, and the plugins
/// to stop, before the program exits anyway.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The SASL password from `password`, `password_file` (its first line) or
/// `password_env`.
fn sasl_password(loaded: &Loaded, sasl: &config::Sasl) -> anyhow::Result<Option<String>> {
    if let Some(p) = &sasl.password {
        return Ok(Some(p.expose().to_owned()));
    }
    if let Some(file) = &sasl.password_file {
        let path = loaded.resolve(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("sasl.password_file: cannot read {}", path.display()))?;
        let line = text.lines().next().unwrap_or("").to_owned();
        if line.is_empty() {
            bail!("sasl.password_file: {} is empty", path.display());
        }
        return Ok(Some(line));
    }
    if let Some(var) = &sasl.password_env {
        let value = std::env::var(var).with_context(|| {
            format!("sasl.password_env: the environment variable {var} is not set")
        })?;
        if value.is_empty() {
            bail!("sasl.password_env: the environment variable {var} is empty");
        }
        return Ok(Some(value));
    }
    Ok(None)
}

fn flood(f: &config::Flood) -> anyhow::Result<FloodConfig> {
    let mut out = FloodConfig::default();
    let interval = |rate: f64| -> anyhow::Result<Duration> {
        Duration::try_from_secs_f64(1.0 / rate).context("flood: a refill rate is out of range")
    };
    if let Some(b) = f.burst {
        out.burst_lines = b;
    }
    if let Some(r) = f.refill_per_second {
        out.refill_interval = interval(r)?;
    }
    if let Some(n) = f.penalty_text_length {
        out.text_length = n;
    }
    if let Some(r) = f.penalty_ratio {
        out.penalty_ratio = r;
    }
    if let Some(ms) = f.penalty_max_wait_ms {
        out.max_wait = Duration::from_millis(ms);
    }
    if let Some(b) = f.global_burst {
        out.global_burst_lines = b;
    }
    if let Some(r) = f.global_refill_per_second {
        out.global_refill_interval = interval(r)?;
    }
    if let Some(q) = f.queue_size {
        out.queue_capacity = q;
    }
    Ok(out)
}

/// The irc-client configuration the file describes.
pub(crate) fn client(loaded: &Loaded, state: &Path) -> anyhow::Result<Client> {
    let c: &Config = &loaded.config;
    let s = &c.server;
    let port = s.port.unwrap_or(if s.tls { 6697 } else { 6667 });
    let id = &c.identity;
    let mut b = Client::builder(s.host.clone(), port, id.nick.clone())
        .user(id.username.clone().unwrap_or_else(|| id.nick.clone()))
        .realname(id.realname.clone().unwrap_or_else(|| "ircbot".to_owned()))
        .alt_nicks(id.alt_nicks.iter().cloned())
        .capabilities(
            irc_client::state::caps::DEFAULT_CAPABILITIES
                .iter()
                .copied(),
        )
        .flood(flood(&c.flood)?)
        .state_dir(state);
    if let Some(p) = &s.password {
        b = b.password(p.expose());
    }
    if s.tls {
        let mut tls = TlsConfig::new();
        for f in &s.tls_fingerprints {
            tls = tls
                .pin(f)
                .with_context(|| format!("server.tls_fingerprints: {f:?}"))?;
        }
        if let Some(ca) = &s.ca_file {
            tls = tls.ca_file(loaded.resolve(ca));
        }
        if let Some(cert) = &s.client_cert {
            tls = tls.client_cert(
                loaded.resolve(cert),
                s.client_key.as_ref().map(|k| loaded.resolve(k)),
            );
        }
        b = b.tls(tls);
    }
    if let Some(sasl) = &c.sasl {
        let username = sasl.username.clone().unwrap_or_else(|| id.nick.clone());
        let mut creds = SaslCredentials::new(username);
        if let Some(pw) = sasl_password(loaded, sasl)? {
            creds = creds.with_password(pw);
        }
        if let Some(key) = &sasl.ecdsa_key_file {
            let path = loaded.resolve(key);
            let key = EcdsaKey::from_pem_file(&path).with_context(|| {
                format!(
                    "sasl.ecdsa_key_file: cannot read a key from {}",
                    path.display()
                )
            })?;
            creds = creds.with_ecdsa_key(key);
        }
        let mechanism = match sasl.mechanism {
            config::Mechanism::Plain => Mechanism::Plain,
            config::Mechanism::External => Mechanism::External,
            config::Mechanism::ScramSha256 => Mechanism::ScramSha256,
            config::Mechanism::EcdsaNist256pChallenge => Mechanism::EcdsaNist256pChallenge,
        };
        b = b.sasl(creds).sasl_mechanisms([mechanism]);
    }
    Ok(b.build())
}

/// Runs the bot on IRC until a signal or `!quit`.
pub(crate) async fn run(loaded: Loaded) -> anyhow::Result<()> {
    let dir = state_dir(Some(&loaded));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
    let db = dir.join("ircbot.sqlite3");

    let mut bot_config = loaded.config.bot_config().context("the plugin settings")?;
    bot_config.core_help = loaded.config.plugin_wanted("Help");

    let client = client(&loaded, &dir)?;
    let backend = IrcBackend::new(client.clone())
        .with_version(format!("ircbot {}", env!("CARGO_PKG_VERSION")))
        .autojoin(loaded.config.bot.channels.iter().cloned());

    let quit = Arc::new(Notify::new());
    let controls = Arc::new(Controls {
        quit: quit.clone(),
        reason: Mutex::new(None),
        current: Mutex::new(Some(loaded.clone())),
        irc: Some(client.clone()),
    });
    let bot = Bot::builder(backend.clone())
        .config(bot_config)
        .storage_path(&db)
        .with_context(|| format!("cannot open the database {}", db.display()))?
        .plugins(bot_plugins::builtin_with(Options {
            controls: Some(controls.clone()),
            ..Options::default()
        }))
        // The client reconnects by itself; the bot's loop only sees the
        // errors retrying cannot fix (a refused SASL login, bad TLS
        // settings), and those end the program.
        .reconnect_policy(ReconnectPolicy {
            max_attempts: Some(1),
            ..ReconnectPolicy::default()
        })
        .build()
        .context("cannot start the bot")?;
    for name in bot_plugins::NAMES {
        if !loaded.config.plugin_wanted(name) && !bot_plugins::plugins::PROTECTED.contains(name) {
            bot.deactivate_plugin(name)?;
        }
    }
    let server = &loaded.config.server;
    tracing::info!(
        host = %server.host,
        tls = server.tls,
        nick = %loaded.config.identity.nick,
        state = %dir.display(),
        "starting"
    );

    let served = bot.run();
    tokio::pin!(served);
    let reason = tokio::select! {
        outcome = &mut served => {
            return outcome.context("the connection failed for good");
        }
        () = quit.notified() => lock(&controls.reason)
            .take()
            .unwrap_or_else(|| "stopped by an admin".to_owned()),
        name = wait_for_signal() => {
            tracing::info!(signal = name, "stopping");
            format!("ircbot stopping ({name})")
        }
    };
    if let Err(e) = backend.quit(&reason) {
        tracing::debug!(error = %e, "no connection to quit");
    }
    match tokio::time::timeout(STOP_TIMEOUT, &mut served).await {
        Ok(Ok(())) => tracing::info!("stopped"),
        Ok(Err(e)) => tracing::warn!(error = %e, "stopped after an error"),
        Err(_) => {
            tracing::warn!("the connection did not end in time; stopping anyway");
            bot.shutdown();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(text: &str, dir: &Path) -> Loaded {
        Loaded {
            config: config::parse(text).expect("valid"),
            path: dir.join("bot.toml"),
        }
    }

    const BASE: &str =
        "[server]\nhost = \"127.0.0.1\"\ntls = false\n\n[identity]\nnick = \"bot\"\n";

    #[test]
    fn flood_settings_map_onto_the_client() {
        let dir = tempfile::tempdir().unwrap();
        let l = loaded(
            &format!(
                "{BASE}\n[flood]\nburst = 2\nrefill_per_second = 4.0\npenalty_text_length = 80\n\
                 penalty_ratio = 0.5\npenalty_max_wait_ms = 1500\nglobal_burst = 6\n\
                 global_refill_per_second = 0.5\nqueue_size = 10\n"
            ),
            dir.path(),
        );
        let f = flood(&l.config.flood).unwrap();
        assert_eq!(f.burst_lines, 2);
        assert_eq!(f.refill_interval, Duration::from_millis(250));
        assert_eq!(f.text_length, 80);
        assert!((f.penalty_ratio - 0.5).abs() < f64::EPSILON);
        assert_eq!(f.max_wait, Duration::from_millis(1500));
        assert_eq!(f.global_burst_lines, 6);
        assert_eq!(f.global_refill_interval, Duration::from_secs(2));
        assert_eq!(f.queue_capacity, 10);
        let defaults = flood(&loaded(BASE, dir.path()).config.flood).unwrap();
        assert_eq!(defaults, FloodConfig::default());
    }

    #[test]
    fn sasl_passwords_come_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret\nignored\n").unwrap();
        let l = loaded(
            &format!(
                "{BASE}\n[sasl]\nmechanism = \"PLAIN\"\nusername = \"bot\"\npassword_file = \"pw\"\n"
            ),
            dir.path(),
        );
        let sasl = l.config.sasl.clone().unwrap();
        assert_eq!(sasl_password(&l, &sasl).unwrap().as_deref(), Some("s3cret"));
        std::fs::write(dir.path().join("pw"), "\n").unwrap();
        let err = sasl_password(&l, &sasl).unwrap_err().to_string();
        assert!(err.contains("is empty"), "{err}");

        let l = loaded(
            &format!(
                "{BASE}\n[sasl]\nmechanism = \"PLAIN\"\nusername = \"bot\"\n\
                 password_env = \"IRCBOT_TEST_SURELY_UNSET_VARIABLE\"\n"
            ),
            dir.path(),
        );
        let sasl = l.config.sasl.clone().unwrap();
        let err = sasl_password(&l, &sasl).unwrap_err().to_string();
        assert!(err.contains("IRCBOT_TEST_SURELY_UNSET_VARIABLE"), "{err}");
        // The client builds with SASL and without a connection.
        std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        let l = loaded(
            &format!(
                "{BASE}\n[sasl]\nmechanism = \"SCRAM-SHA-256\"\nusername = \"bot\"\npassword_file = \"pw\"\n"
            ),
            dir.path(),
        );
        let c = client(&l, dir.path()).unwrap();
        assert_eq!(c.nick(), "bot");
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
