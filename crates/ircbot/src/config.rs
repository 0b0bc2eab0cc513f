//! The TOML configuration: its model (serde, unknown keys refused
//! everywhere), loading with errors that name the key and the line, and
//! the checks beyond syntax.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::secret::Secret;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) server: Server,
    pub(crate) identity: Identity,
    #[serde(default)]
    pub(crate) sasl: Option<Sasl>,
    #[serde(default)]
    pub(crate) state: State,
    #[serde(default)]
    pub(crate) bot: BotSection,
    /// Per-plugin settings: `[plugin.Remind]`.
    #[serde(default)]
    pub(crate) plugin: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub(crate) flood: Flood,
    #[serde(default)]
    pub(crate) log: Log,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Server {
    pub(crate) host: String,
    /// 6697 with TLS, 6667 without, when unset.
    pub(crate) port: Option<u16>,
    #[serde(default = "yes")]
    pub(crate) tls: bool,
    #[serde(default)]
    pub(crate) tls_fingerprints: Vec<String>,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) client_cert: Option<PathBuf>,
    pub(crate) client_key: Option<PathBuf>,
    pub(crate) password: Option<Secret>,
}

fn yes() -> bool {
    true
}

/// `[identity]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Identity {
    pub(crate) nick: String,
    #[serde(default)]
    pub(crate) alt_nicks: Vec<String>,
    pub(crate) username: Option<String>,
    pub(crate) realname: Option<String>,
}

/// The SASL mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum Mechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "EXTERNAL")]
    External,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "ECDSA-NIST256P-CHALLENGE")]
    EcdsaNist256pChallenge,
}

/// `[sasl]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sasl {
    pub(crate) mechanism: Mechanism,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) password_file: Option<PathBuf>,
    pub(crate) password_env: Option<String>,
    pub(crate) ecdsa_key_file: Option<PathBuf>,
}

/// `[state]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct State {
    /// Where the SQLite store lives; created when missing.
    pub(crate) dir: Option<PathBuf>,
}

/// `[bot]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct BotSection {
    pub(crate) prefix: String,
    pub(crate) alt_prefixes: Vec<String>,
    pub(crate) channels: Vec<String>,
    pub(crate) admins: Vec<String>,
    pub(crate) plugins: PluginSelection,
    pub(crate) acls: Vec<Acl>,
}

impl Default for BotSection {
    fn default() -> Self {
        Self {
            prefix: "!".to_owned(),
            alt_prefixes: Vec::new(),
            channels: Vec::new(),
            admins: Vec::new(),
            plugins: PluginSelection::default(),
            acls: Vec::new(),
        }
    }
}

/// `[bot.plugins]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PluginSelection {
    /// When not empty, only these built-in plugins are loaded.
    pub(crate) enable: Vec<String>,
    /// These built-in plugins are not loaded.
    pub(crate) disable: Vec<String>,
}

/// `[[bot.acls]]`: bot-core's access rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Acl {
    pub(crate) command: String,
    pub(crate) allow_users: Option<Vec<String>>,
    pub(crate) deny_users: Option<Vec<String>>,
    pub(crate) allow_rooms: Option<Vec<String>>,
    pub(crate) deny_rooms: Option<Vec<String>>,
    pub(crate) allow_private: Option<bool>,
    pub(crate) allow_group: Option<bool>,
}

/// `[flood]`: overrides of the client's outgoing flood control.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Flood {
    pub(crate) burst: Option<u32>,
    pub(crate) refill_per_second: Option<f64>,
    pub(crate) penalty_text_length: Option<usize>,
    pub(crate) penalty_ratio: Option<f64>,
    pub(crate) penalty_max_wait_ms: Option<u64>,
    pub(crate) global_burst: Option<u32>,
    pub(crate) global_refill_per_second: Option<f64>,
    pub(crate) queue_size: Option<usize>,
}

/// The log formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormat {
    #[default]
    Human,
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Log {
    /// A level (`info`) or a filter (`info,bot_core=debug`).
    pub(crate) level: Option<String>,
    pub(crate) format: LogFormat,
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The dotted key, like `identity.nick`.
    pub(crate) key: String,
    /// 1-based line and column, when known.
    pub(crate) position: Option<(usize, usize)>,
    pub(crate) message: String,
}

/// Why a configuration file was refused.
#[derive(Debug)]
pub(crate) enum ConfigError {
    /// It could not be read.
    Read(PathBuf, std::io::Error),
    /// It was read and is wrong.
    Invalid(PathBuf, Vec<Problem>),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(path, e) => write!(f, "cannot read {}: {e}", path.display()),
            Self::Invalid(path, problems) => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    match p.position {
                        Some((line, col)) => write!(
                            f,
                            "{}:{line}:{col}: `{}`: {}",
                            path.display(),
                            p.key,
                            p.message
                        )?,
                        None => write!(f, "{}: `{}`: {}", path.display(), p.key, p.message)?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// A loaded, checked configuration and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) config: Config,
    pub(crate) path: PathBuf,
}

impl Loaded {
    /// `path` resolved against the configuration file's directory.
    pub(crate) fn resolve(&self, path: &Path) -> PathBuf {
        match self.path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_owned(),
        }
    }
}

/// Reads, parses and checks the file at `path`.
pub(crate) fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_owned(), e))?;
    let config = parse(&text).map_err(|p| ConfigError::Invalid(path.to_owned(), p))?;
    let loaded = Loaded {
        config,
        path: path.to_owned(),
    };
    let problems = check_files(&loaded, &text);
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(ConfigError::Invalid(path.to_owned(), problems))
    }
}

/// Parses and checks a configuration text (files named in it are not
/// looked at).
pub(crate) fn parse(text: &str) -> Result<Config, Vec<Problem>> {
    let config: Config = toml::from_str(text).map_err(|e| vec![syntax_problem(text, &e)])?;
    let problems = validate(&config, text);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// The table header in force at byte `offset` (`identity`, `bot.plugins`).
fn section_at(text: &str, offset: usize) -> String {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
        .unwrap_or_default()
}

fn join_key(section: &str, key: &str) -> String {
    match (section.is_empty(), key.is_empty()) {
        (true, _) => key.to_owned(),
        (_, true) => section.to_owned(),
        _ => format!("{section}.{key}"),
    }
}

/// The name between the first pair of backticks in `message`.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The top-level tables.
const SECTIONS: &[&str] = &[
    "server", "identity", "sasl", "state", "bot", "plugin", "flood", "log",
];

fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let message = e.message().trim().to_owned();
    let Some(span) = e.span() else {
        return Problem {
            key: String::new(),
            position: None,
            message,
        };
    };
    let start = span.start.min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text
        .get(start..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| start + i);
    let line = text.get(line_start..line_end).unwrap_or("").trim();
    let field = quoted(&message).unwrap_or("");
    let about_field = message.starts_with("unknown field") || message.starts_with("missing field");
    let key = if about_field && message.starts_with("missing field") && SECTIONS.contains(&field) {
        field.to_owned()
    } else if line.starts_with('[') {
        let header = line.trim_matches(|c| c == '[' || c == ']').trim();
        if !about_field || header == field || header.ends_with(&format!(".{field}")) {
            header.to_owned()
        } else {
            join_key(header, field)
        }
    } else {
        let section = section_at(text, line_start);
        if about_field {
            join_key(&section, field)
        } else if let Some((k, _)) = line.split_once('=') {
            join_key(&section, k.trim().trim_matches('"'))
        } else {
            section
        }
    };
    Problem {
        key,
        position: Some(line_col(text, start)),
        message,
    }
}

/// Finds the line of `key` (dotted: `identity.nick`): the `key =` line
/// inside its table, else the table header, else `None`.
pub(crate) fn find_key(text: &str, dotted: &str) -> Option<(usize, usize)> {
    let (section, key) = dotted.rsplit_once('.').unwrap_or(("", dotted));
    // Keys of array tables (`bot.acls.2.command`) point into the array.
    let (section, index) = match section.rsplit_once('.') {
        Some((s, i)) if i.parse::<usize>().is_ok() => (s, i.parse::<usize>().ok()),
        _ => (section, None),
    };
    let mut current = String::new();
    let mut seen_array = 0usize;
    let mut header_line = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            let array = line.starts_with("[[");
            current = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
            if current == dotted {
                // The key names a table: `[plugin.Remind]`.
                return Some((n + 1, 1));
            }
            if current == section {
                if array {
                    seen_array += 1;
                }
                let wanted = index.is_none_or(|i| seen_array == i + 1);
                if wanted && header_line.is_none() {
                    header_line = Some((n + 1, 1));
                }
            }
            continue;
        }
        let in_section = current == section && index.is_none_or(|i| seen_array == i + 1);
        if in_section
            && let Some((k, _)) = line.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            let col = raw.len() - raw.trim_start().len() + 1;
            return Some((n + 1, col));
        }
    }
    header_line
}

struct Checker<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.to_owned(),
            position: find_key(self.text, key),
            message: message.into(),
        });
    }
}

/// Whether `nick` is a valid IRC nickname (RFC 2812 section 2.3.1, with
/// the usual modern length allowance).
pub(crate) fn valid_nick(nick: &str) -> bool {
    let special = |c: char| "[]\\`_^{|}".contains(c);
    let mut chars = nick.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    nick.len() <= 32
        && (first.is_ascii_alphabetic() || special(first))
        && chars.all(|c| c.is_ascii_alphanumeric() || special(c) || c == '-')
}

fn valid_channel(name: &str) -> bool {
    name.len() > 1
        && name.len() <= 200
        && name.starts_with(['#', '&', '+', '!'])
        && !name.contains([' ', ',', '\x07', '\r', '\n', '\0'])
}

fn valid_fingerprint(fp: &str) -> bool {
    let hex: String = fp.chars().filter(|&c| c != ':').collect();
    hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

fn validate(c: &Config, text: &str) -> Vec<Problem> {
    let mut ck = Checker {
        text,
        problems: Vec::new(),
    };
    check_server(&mut ck, &c.server);
    check_identity(&mut ck, &c.identity);
    if let Some(sasl) = &c.sasl {
        check_sasl(&mut ck, sasl, &c.server);
    }
    check_bot(&mut ck, c);
    check_flood(&mut ck, &c.flood);
    if let Some(level) = &c.log.level
        && !valid_log_filter(level)
    {
        ck.report(
            "log.level",
            format!("{level:?} is not a level (error, warn, info, debug, trace) or a filter"),
        );
    }
    ck.problems
}

/// A level (`info`) or a filter whose bare items are levels
/// (`info,bot_core=debug`).
fn valid_log_filter(filter: &str) -> bool {
    const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];
    !filter.trim().is_empty()
        && filter.split(',').all(|d| {
            let d = d.trim();
            d.contains('=') || LEVELS.iter().any(|l| l.eq_ignore_ascii_case(d))
        })
        && tracing_subscriber::EnvFilter::try_new(filter).is_ok()
}

fn check_server(ck: &mut Checker<'_>, s: &Server) {
    if s.host.trim().is_empty() || s.host.contains(char::is_whitespace) {
        ck.report("server.host", "must be a host name or address");
    }
    if s.port == Some(0) {
        ck.report("server.port", "must be between 1 and 65535");
    }
    for fp in &s.tls_fingerprints {
        if !valid_fingerprint(fp) {
            ck.report(
                "server.tls_fingerprints",
                format!("{fp:?} is not a SHA-256 fingerprint (64 hex digits, colons allowed)"),
            );
        }
    }
    if !s.tls {
        for (key, set) in [
            ("server.tls_fingerprints", !s.tls_fingerprints.is_empty()),
            ("server.ca_file", s.ca_file.is_some()),
            ("server.client_cert", s.client_cert.is_some()),
        ] {
            if set {
                ck.report(key, "needs `tls = true`");
            }
        }
    }
    if s.client_key.is_some() && s.client_cert.is_none() {
        ck.report("server.client_key", "needs `client_cert` too");
    }
    if s.password.as_ref().is_some_and(Secret::is_empty) {
        ck.report(
            "server.password",
            "is empty; remove the key for no password",
        );
    }
}

fn check_identity(ck: &mut Checker<'_>, i: &Identity) {
    if !valid_nick(&i.nick) {
        ck.report(
            "identity.nick",
            format!(
                "{:?} is not a valid nick (a letter or one of []\\`_^{{|}} first, then letters, digits, those or -; at most 32)",
                i.nick
            ),
        );
    }
    for n in &i.alt_nicks {
        if !valid_nick(n) {
            ck.report("identity.alt_nicks", format!("{n:?} is not a valid nick"));
        }
    }
    if let Some(u) = &i.username
        && (u.is_empty() || u.contains([' ', '@', '\r', '\n', '\0']))
    {
        ck.report("identity.username", "must be one word without `@`");
    }
    if let Some(r) = &i.realname
        && r.contains(['\r', '\n', '\0'])
    {
        ck.report("identity.realname", "must be one line");
    }
}

fn check_sasl(ck: &mut Checker<'_>, s: &Sasl, server: &Server) {
    let sources = [
        s.password.is_some(),
        s.password_file.is_some(),
        s.password_env.is_some(),
    ]
    .into_iter()
    .filter(|&b| b)
    .count();
    match s.mechanism {
        Mechanism::Plain | Mechanism::ScramSha256 => {
            if s.username.as_deref().is_none_or(str::is_empty) {
                ck.report("sasl.username", "this mechanism needs a username");
            }
            if sources == 0 {
                ck.report(
                    "sasl.mechanism",
                    "this mechanism needs a password: set one of `password`, `password_file`, `password_env`",
                );
            }
        }
        Mechanism::External => {
            if server.client_cert.is_none() {
                ck.report(
                    "sasl.mechanism",
                    "EXTERNAL needs a TLS client certificate: set `server.client_cert`",
                );
            }
        }
        Mechanism::EcdsaNist256pChallenge => {
            if s.username.as_deref().is_none_or(str::is_empty) {
                ck.report("sasl.username", "this mechanism needs a username");
            }
            if s.ecdsa_key_file.is_none() {
                ck.report(
                    "sasl.ecdsa_key_file",
                    "ECDSA-NIST256P-CHALLENGE needs a key file",
                );
            }
        }
    }
    if sources > 1 {
        ck.report(
            "sasl.password",
            "set only one of `password`, `password_file`, `password_env`",
        );
    }
    if s.password.as_ref().is_some_and(Secret::is_empty) {
        ck.report("sasl.password", "is empty");
    }
    if let Some(var) = &s.password_env
        && (var.is_empty() || var.contains(['=', '\0']))
    {
        ck.report(
            "sasl.password_env",
            "must be the name of an environment variable",
        );
    }
}

fn check_bot(ck: &mut Checker<'_>, c: &Config) {
    let b = &c.bot;
    if b.prefix.trim().is_empty() || b.prefix.contains(char::is_whitespace) {
        ck.report("bot.prefix", "must be non-empty without spaces");
    }
    for p in &b.alt_prefixes {
        if p.trim().is_empty() {
            ck.report("bot.alt_prefixes", "an alternate prefix is empty");
        }
    }
    for ch in &b.channels {
        if !valid_channel(ch) {
            ck.report("bot.channels", format!("{ch:?} is not a channel name"));
        }
    }
    for a in &b.admins {
        if a.trim().is_empty() || a.trim() == "*" {
            ck.report(
                "bot.admins",
                format!("{a:?} would match everyone or no one; name accounts"),
            );
        } else if a.starts_with(['*', '?']) {
            // On IRC, people who are not logged in are `~nick`: a leading
            // wildcard would let anyone in by picking a nick.
            ck.report(
                "bot.admins",
                format!(
                    "{a:?} starts with a wildcard, so it would also match people who are \
                     not logged in (`~nick`); start with the account name, or with `~` to \
                     match a nick on purpose"
                ),
            );
        }
    }
    let known = |name: &str| {
        bot_plugins::NAMES
            .iter()
            .chain(["Help"].iter())
            .any(|n| n.eq_ignore_ascii_case(name))
    };
    for (key, list) in [
        ("bot.plugins.enable", &b.plugins.enable),
        ("bot.plugins.disable", &b.plugins.disable),
    ] {
        for name in list {
            if !known(name) {
                ck.report(
                    key,
                    format!(
                        "no plugin called {name:?}; the plugins are Help, {}",
                        bot_plugins::NAMES.join(", ")
                    ),
                );
            }
        }
    }
    for (name, table) in &c.plugin {
        if !known(name) {
            ck.report(
                &format!("plugin.{name}"),
                format!("no plugin called {name:?}"),
            );
        } else if let Err(why) = check_plugin_settings(name, table) {
            ck.report(&format!("plugin.{name}"), why);
        }
    }
    for (i, acl) in b.acls.iter().enumerate() {
        if acl.command.trim().is_empty() {
            ck.report(
                &format!("bot.acls.{i}.command"),
                "each rule needs a `command` pattern like \"Admin:*\"",
            );
        }
    }
}

/// Checks the settings of the built-in plugins that have some.
fn check_plugin_settings(name: &str, table: &toml::Table) -> Result<(), String> {
    let value = toml::Value::Table(table.clone());
    if name.eq_ignore_ascii_case("Remind") {
        let cfg: bot_plugins::remind::RemindConfig =
            value.try_into().map_err(|e| e.message().to_owned())?;
        if let Some(offset) = cfg.utc_offset {
            bot_plugins::humanize::parse_utc_offset(&offset)
                .map_err(|_| format!("utc_offset {offset:?} is not an offset like \"+02:00\""))?;
        }
    } else if name.eq_ignore_ascii_case("Tell") {
        let _: bot_plugins::tell::TellConfig =
            value.try_into().map_err(|e| e.message().to_owned())?;
    } else if !table.is_empty() {
        return Err(format!("the {name} plugin has no settings"));
    }
    Ok(())
}

fn check_flood(ck: &mut Checker<'_>, f: &Flood) {
    let rate = |r: Option<f64>| r.is_some_and(|r| !r.is_finite() || r <= 0.0);
    if f.burst == Some(0) {
        ck.report("flood.burst", "must be at least 1");
    }
    if f.global_burst == Some(0) {
        ck.report("flood.global_burst", "must be at least 1");
    }
    if rate(f.refill_per_second) {
        ck.report("flood.refill_per_second", "must be a number above 0");
    }
    if rate(f.global_refill_per_second) {
        ck.report("flood.global_refill_per_second", "must be a number above 0");
    }
    if f.penalty_ratio.is_some_and(|r| !r.is_finite() || r < 0.0) {
        ck.report("flood.penalty_ratio", "must be a number, 0 or more");
    }
    if f.queue_size == Some(0) {
        ck.report("flood.queue_size", "must be at least 1");
    }
}

/// Files named in the configuration must exist (paths relative to the
/// configuration file's directory).
fn check_files(l: &Loaded, text: &str) -> Vec<Problem> {
    let mut ck = Checker {
        text,
        problems: Vec::new(),
    };
    let c = &l.config;
    let mut files: Vec<(&str, &PathBuf)> = Vec::new();
    for (key, p) in [
        ("server.ca_file", &c.server.ca_file),
        ("server.client_cert", &c.server.client_cert),
        ("server.client_key", &c.server.client_key),
    ] {
        if let Some(p) = p {
            files.push((key, p));
        }
    }
    if let Some(s) = &c.sasl {
        for (key, p) in [
            ("sasl.password_file", &s.password_file),
            ("sasl.ecdsa_key_file", &s.ecdsa_key_file),
        ] {
            if let Some(p) = p {
                files.push((key, p));
            }
        }
    }
    for (key, p) in files {
        let full = l.resolve(p);
        if !full.is_file() {
            ck.report(key, format!("{} is not a readable file", full.display()));
        }
    }
    ck.problems
}

impl Config {
    /// The bot-core configuration this file describes.
    pub(crate) fn bot_config(&self) -> Result<bot_core::BotConfig, serde_json::Error> {
        let mut bc = bot_core::BotConfig::default();
        bc.prefix.clone_from(&self.bot.prefix);
        bc.alt_prefixes.clone_from(&self.bot.alt_prefixes);
        bc.admins.clone_from(&self.bot.admins);
        bc.acls = self
            .bot
            .acls
            .iter()
            .map(|a| {
                let mut r = bot_core::AclRule::new(a.command.clone());
                r.allow_users.clone_from(&a.allow_users);
                r.deny_users.clone_from(&a.deny_users);
                r.allow_rooms.clone_from(&a.allow_rooms);
                r.deny_rooms.clone_from(&a.deny_rooms);
                r.allow_private = a.allow_private;
                r.allow_group = a.allow_group;
                r
            })
            .collect();
        for (name, table) in &self.plugin {
            bc.plugins
                .insert(name.clone(), serde_json::to_value(table)?);
        }
        Ok(bc)
    }

    /// Whether the built-in plugin `name` is loaded.
    pub(crate) fn plugin_wanted(&self, name: &str) -> bool {
        let p = &self.bot.plugins;
        let listed = |l: &[String]| l.iter().any(|n| n.eq_ignore_ascii_case(name));
        (p.enable.is_empty() || listed(&p.enable)) && !listed(&p.disable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[server]\nhost = \"irc.example.org\"\n\n[identity]\nnick = \"ircbot\"\n";

    fn problems(text: &str) -> Vec<Problem> {
        parse(text).expect_err("should be refused")
    }

    #[test]
    fn admin_globs_cannot_start_with_a_wildcard() {
        let p = problems(&format!("{MINIMAL}\n[bot]\nadmins = [\"*alice\"]\n"));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].key, "bot.admins");
        assert!(p[0].message.contains("not logged in"), "{}", p[0].message);
        let c = parse(&format!(
            "{MINIMAL}\n[bot]\nadmins = [\"alice\", \"~boss\", \"ops-*\"]\n"
        ))
        .unwrap();
        assert_eq!(c.bot.admins.len(), 3);
    }

    #[test]
    fn minimal_and_example_configs_parse() {
        let c = parse(MINIMAL).unwrap();
        assert!(c.server.tls);
        assert_eq!(c.bot.prefix, "!");
        let example = parse(include_str!("bot.example.toml")).unwrap();
        assert_eq!(example.identity.nick, "ircbot");
        let bc = example.bot_config().unwrap();
        assert_eq!(bc.prefix, "!");
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let p = problems(&format!("{MINIMAL}nikc = \"x\"\n"));
        assert_eq!(p[0].key, "identity.nikc");
        assert_eq!(p[0].position, Some((6, 1)));
        assert!(p[0].message.contains("unknown field"), "{:?}", p[0]);

        let p = problems(&format!("{MINIMAL}\n[idenity]\nnick = \"x\"\n"));
        assert_eq!(p[0].key, "idenity");
        assert_eq!(p[0].position.map(|p| p.0), Some(7));
    }

    #[test]
    fn wrong_types_and_missing_keys() {
        let p = problems("[server]\nhost = \"h\"\nport = \"six\"\n[identity]\nnick = \"n\"\n");
        assert_eq!(p[0].key, "server.port");
        assert_eq!(p[0].position.map(|p| p.0), Some(3));

        let p = problems("[server]\nhost = \"h\"\nport = 70000\n[identity]\nnick = \"n\"\n");
        assert_eq!(p[0].key, "server.port");

        let p = problems("[server]\nhost = \"h\"\n[identity]\nrealname = \"x\"\n");
        assert_eq!(p[0].key, "identity.nick");
        assert!(p[0].message.contains("missing field"), "{:?}", p[0]);
        assert_eq!(p[0].position.map(|p| p.0), Some(3));
    }

    #[test]
    fn checks_beyond_syntax() {
        let p = problems("[server]\nhost = \"h\"\nport = 0\n[identity]\nnick = \"9lives\"\n");
        let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["server.port", "identity.nick"]);
        assert_eq!(p[1].position, Some((5, 1)));

        let p = problems(&format!(
            "{MINIMAL}[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\n"
        ));
        assert_eq!(p[0].key, "sasl.mechanism");
        assert!(p[0].message.contains("needs a password"));

        let p = problems(&format!("{MINIMAL}[sasl]\nmechanism = \"EXTERNAL\"\n"));
        assert!(p[0].message.contains("client_cert"));

        let p = problems(&format!("{MINIMAL}[sasl]\nmechanism = \"MAGIC\"\n"));
        assert_eq!(p[0].key, "sasl.mechanism");

        let ok = format!(
            "{MINIMAL}[sasl]\nmechanism = \"SCRAM-SHA-256\"\nusername = \"u\"\npassword_env = \"IRC_PASS\"\n"
        );
        parse(&ok).unwrap();

        let p = problems(&format!(
            "{MINIMAL}[bot]\nchannels = [\"nochan\"]\n[bot.plugins]\ndisable = [\"Nope\"]\n[[bot.acls]]\ncommand = \"Admin:*\"\n[[bot.acls]]\nallow_group = false\n[flood]\nburst = 0\n[log]\nlevel = \"loud\"\n"
        ));
        let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "bot.channels",
                "bot.plugins.disable",
                "bot.acls.1.command",
                "flood.burst",
                "log.level"
            ]
        );
        assert_eq!(p[2].position.map(|p| p.0), Some(12), "{:?}", p[2]);
    }

    #[test]
    fn nicks() {
        for ok in ["ircbot", "a", "[bot]", "bot-2", "_x^"] {
            assert!(valid_nick(ok), "{ok}");
        }
        for bad in ["", "9bot", "-bot", "bot bot", "bot,x", "#bot", "bot:"] {
            assert!(!valid_nick(bad), "{bad}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let c = parse(
            "[server]\nhost = \"h\"\npassword = \"serverpass\"\n[identity]\nnick = \"n\"\n[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\npassword = \"saslpass\"\n"
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("serverpass") && !shown.contains("saslpass"),
            "{shown}"
        );
        assert_eq!(c.sasl.unwrap().password.unwrap().expose(), "saslpass");
    }

    #[test]
    fn plugin_selection() {
        let c = parse(&format!("{MINIMAL}[bot.plugins]\ndisable = [\"dice\"]\n")).unwrap();
        assert!(c.plugin_wanted("Karma"));
        assert!(!c.plugin_wanted("Dice"));
        let c = parse(&format!("{MINIMAL}[bot.plugins]\nenable = [\"Karma\"]\n")).unwrap();
        assert!(c.plugin_wanted("Karma"));
        assert!(!c.plugin_wanted("Dice"));
        let p = problems(&format!("{MINIMAL}[plugin.Nope]\na = 1\n"));
        assert_eq!(p[0].key, "plugin.Nope");
        assert_eq!(p[0].position, Some((6, 1)));
        let p = problems(&format!("{MINIMAL}[plugin.Remind]\nutc_offset = \"two\"\n"));
        assert_eq!(p[0].key, "plugin.Remind");
        assert!(p[0].message.contains("utc_offset"), "{:?}", p[0]);
        let p = problems(&format!("{MINIMAL}[plugin.Tell]\nprivately = true\n"));
        assert!(p[0].message.contains("unknown field"), "{:?}", p[0]);
        let p = problems(&format!("{MINIMAL}[plugin.Dice]\nsides = 6\n"));
        assert!(p[0].message.contains("no settings"), "{:?}", p[0]);
        let c = parse(&format!(
            "{MINIMAL}[plugin.Remind]\nutc_offset = \"+02:00\"\n"
        ))
        .unwrap();
        let bc = c.bot_config().unwrap();
        assert_eq!(bc.plugins["Remind"]["utc_offset"], "+02:00");
    }
}
