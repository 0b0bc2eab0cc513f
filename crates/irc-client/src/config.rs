//! [`ClientBuilder`]: how to connect, who to be, and the limits.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::client::Client;
use crate::codec::DEFAULT_MAX_LINE_LENGTH;
use crate::state::register::RegisterConfig;

/// The capabilities requested by default, when the server offers them:
/// `multi-prefix`, `server-time`, `message-tags`, `account-tag`.
pub const DEFAULT_CAPABILITIES: &[&str] =
    &["multi-prefix", "server-time", "message-tags", "account-tag"];

/// How many handlers run at the same time by default.
pub const DEFAULT_MAX_CONCURRENT_HANDLERS: usize = 64;

/// How the client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Transport {
    /// Plain TCP.
    #[default]
    Tcp,
}

/// Everything the client is configured with; built by [`ClientBuilder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The server's host name or address.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How to reach it.
    pub transport: Transport,
    /// Registration: nick, alternates, user, real name, password, caps.
    pub register: RegisterConfig,
    /// Whether the built-in registration runs (on by default).
    pub auto_register: bool,
    /// The longest line read, in bytes without CRLF.
    pub max_line_length: usize,
    /// How many handlers may run at once.
    pub max_concurrent_handlers: usize,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long to wait for a reply to `CAP LS` before registering without
    /// capabilities.
    pub cap_timeout: Duration,
    /// How long to wait, after `QUIT`, for the server to close.
    pub quit_timeout: Duration,
    /// How long to wait, when a connection ends, for running handlers before
    /// they are cancelled.
    pub handler_shutdown_timeout: Duration,
}

/// Builds a [`Client`]. Every setting has a default; only the server and the
/// nick are required.
///
/// | setting | default |
/// | --- | --- |
/// | [`user`](Self::user), [`realname`](Self::realname) | the nick |
/// | [`password`](Self::password) | none |
/// | [`alt_nicks`](Self::alt_nicks) | none (then the nick with `_` appended) |
/// | [`capabilities`](Self::capabilities) | [`DEFAULT_CAPABILITIES`] |
/// | [`auto_register`](Self::auto_register) | on |
/// | [`max_line_length`](Self::max_line_length) | [`DEFAULT_MAX_LINE_LENGTH`] (8703 bytes) |
/// | [`max_concurrent_handlers`](Self::max_concurrent_handlers) | [`DEFAULT_MAX_CONCURRENT_HANDLERS`] (64) |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s |
/// | [`cap_timeout`](Self::cap_timeout) | 5 s |
/// | [`quit_timeout`](Self::quit_timeout) | 3 s |
/// | [`handler_shutdown_timeout`](Self::handler_shutdown_timeout) | 5 s |
///
/// ```
/// use std::time::Duration;
/// use irc_client::Client;
///
/// let client = Client::builder("irc.example.com", 6667, "rustbot")
///     .alt_nicks(["rustbot2"])
///     .realname("A Rust bot")
///     .connect_timeout(Duration::from_secs(5))
///     .build();
/// assert_eq!(client.nick(), "rustbot");
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    states: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl ClientBuilder {
    pub(crate) fn new(host: impl Into<String>, port: u16, nick: impl Into<String>) -> Self {
        let nick = nick.into();
        Self {
            config: Config {
                host: host.into(),
                port,
                transport: Transport::Tcp,
                register: RegisterConfig {
                    user: nick.clone(),
                    realname: nick.clone(),
                    nick,
                    alt_nicks: Vec::new(),
                    password: None,
                    capabilities: DEFAULT_CAPABILITIES
                        .iter()
                        .map(|c| (*c).to_owned())
                        .collect(),
                },
                auto_register: true,
                max_line_length: DEFAULT_MAX_LINE_LENGTH,
                max_concurrent_handlers: DEFAULT_MAX_CONCURRENT_HANDLERS,
                connect_timeout: Duration::from_secs(10),
                cap_timeout: Duration::from_secs(5),
                quit_timeout: Duration::from_secs(3),
                handler_shutdown_timeout: Duration::from_secs(5),
            },
            states: HashMap::new(),
        }
    }

    /// The user (ident) sent in `USER`.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.config.register.user = user.into();
        self
    }

    /// The real name sent in `USER`.
    pub fn realname(mut self, realname: impl Into<String>) -> Self {
        self.config.register.realname = realname.into();
        self
    }

    /// The server password, sent in `PASS`.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.config.register.password = Some(password.into());
        self
    }

    /// Nicks to try, in order, when the nick is taken.
    pub fn alt_nicks<I, S>(mut self, nicks: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.register.alt_nicks = nicks.into_iter().map(Into::into).collect();
        self
    }

    /// The capabilities to request, when the server offers them (replaces
    /// the defaults).
    pub fn capabilities<I, S>(mut self, caps: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.register.capabilities = caps.into_iter().map(Into::into).collect();
        self
    }

    /// Whether the built-in registration runs. Turn it off to register from
    /// your own `CLIENT_CONNECT` handler, as in Python's bottom.
    pub const fn auto_register(mut self, on: bool) -> Self {
        self.config.auto_register = on;
        self
    }

    /// How the client reaches the server.
    pub const fn transport(mut self, transport: Transport) -> Self {
        self.config.transport = transport;
        self
    }

    /// The longest line read, in bytes without CRLF; longer lines are
    /// dropped (and counted).
    pub const fn max_line_length(mut self, max: usize) -> Self {
        self.config.max_line_length = max;
        self
    }

    /// How many handlers may run at once (at least 1).
    pub fn max_concurrent_handlers(mut self, max: usize) -> Self {
        self.config.max_concurrent_handlers = max.max(1);
        self
    }

    /// How long connecting may take.
    pub const fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// How long to wait for a reply to `CAP LS`.
    pub const fn cap_timeout(mut self, timeout: Duration) -> Self {
        self.config.cap_timeout = timeout;
        self
    }

    /// How long to wait, after `QUIT`, for the server to close.
    pub const fn quit_timeout(mut self, timeout: Duration) -> Self {
        self.config.quit_timeout = timeout;
        self
    }

    /// How long to wait for running handlers when a connection ends.
    pub const fn handler_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.handler_shutdown_timeout = timeout;
        self
    }

    /// Adds a shared state, given to handlers that ask for
    /// [`State<T>`](crate::extract::State). One state per type.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.states.insert(TypeId::of::<T>(), Arc::new(state));
        self
    }

    /// The client. Nothing connects until [`Client::run`].
    pub fn build(self) -> Client {
        Client::from_parts(self.config, self.states)
    }
}
