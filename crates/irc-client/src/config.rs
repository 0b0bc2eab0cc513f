//! [`ClientBuilder`]: how to connect, who to be, and the limits.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::BackoffConfig;
use crate::client::Client;
use crate::codec::DEFAULT_MAX_LINE_LENGTH;
use crate::flood::FloodConfig;
use crate::sasl::{Mechanism, SaslCredentials};
use crate::state::ping::KeepaliveConfig;
use crate::state::register::{RegisterConfig, SaslFailure};
use crate::tls::TlsConfig;

/// The capabilities requested by default, when the server offers them: every
/// capability the client understands (see
/// [`caps::DEFAULT_CAPABILITIES`](crate::state::caps::DEFAULT_CAPABILITIES)
/// for the list and why `echo-message` is not in it).
pub const DEFAULT_CAPABILITIES: &[&str] = crate::state::caps::DEFAULT_CAPABILITIES;

/// How many handlers run at the same time by default.
pub const DEFAULT_MAX_CONCURRENT_HANDLERS: usize = 64;

/// How many events from the server may wait for their handlers by default
/// before the client stops reading: see [`ClientBuilder::dispatch_backlog`].
pub const DEFAULT_DISPATCH_BACKLOG: usize = 1024;

/// How the client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Transport {
    /// Plain TCP.
    #[default]
    Tcp,
    /// TLS over TCP, with [`Config::tls`] (or its defaults).
    Tls,
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
    /// How many events from the server may wait for their handlers to be
    /// started before reading pauses (see
    /// [`ClientBuilder::dispatch_backlog`]).
    pub dispatch_backlog: usize,
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
    /// When to `PING` a silent server and when to give it up.
    pub keepalive: KeepaliveConfig,
    /// The reconnect delays of [`Client::run`].
    pub backoff: BackoffConfig,
    /// Whether [`Client::run`] rejoins the channels after reconnecting.
    pub rejoin: bool,
    /// Outgoing flood control.
    pub flood: FloodConfig,
    /// The TLS settings (used with [`Transport::Tls`] and STS upgrades).
    pub tls: TlsConfig,
    /// The local address to connect from (Sopel's `source_address`).
    pub source_address: Option<IpAddr>,
    /// SASL credentials; `None`: no SASL.
    pub sasl: Option<SaslCredentials>,
    /// SASL mechanisms in order of preference.
    pub sasl_mechanisms: Vec<Mechanism>,
    /// What a SASL failure does.
    pub sasl_on_failure: SaslFailure,
    /// How long the SASL exchange may take.
    pub sasl_timeout: Duration,
    /// Whether STS policies are followed (and stored).
    pub sts: bool,
    /// Where persistent client state (STS policies) is kept; `None`: in
    /// memory only.
    pub state_dir: Option<PathBuf>,
    /// Whether channel members and users are tracked (see
    /// [`ClientBuilder::track_state`]).
    pub track_state: bool,
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
/// | [`dispatch_backlog`](Self::dispatch_backlog) | [`DEFAULT_DISPATCH_BACKLOG`] (1024 events) |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s |
/// | [`cap_timeout`](Self::cap_timeout) | 5 s |
/// | [`quit_timeout`](Self::quit_timeout) | 3 s |
/// | [`handler_shutdown_timeout`](Self::handler_shutdown_timeout) | 5 s |
/// | [`server_timeout`](Self::server_timeout) | 120 s (Sopel's `timeout`) |
/// | [`ping_interval`](Self::ping_interval) | 0.45 × `server_timeout` (54 s) |
/// | [`backoff`](Self::backoff) | 1 s × 1.75 per attempt up to 600 s, + up to 3 s jitter; reset after 60 s up ([`BackoffConfig`]) |
/// | [`max_reconnect_attempts`](Self::max_reconnect_attempts) | none (forever) |
/// | [`rejoin`](Self::rejoin) | on |
/// | [`flood`](Self::flood) | burst 4, 1 line/s per target, global 8 / 2 per s, queue 1024 ([`FloodConfig`]) |
/// | [`tls`](Self::tls) | off; when on: verified against Mozilla's roots, TLS ≥ 1.2 ([`TlsConfig`]) |
/// | [`source_address`](Self::source_address) | any |
/// | [`sasl`](Self::sasl) | none |
/// | [`sasl_mechanisms`](Self::sasl_mechanisms) | EXTERNAL, SCRAM-SHA-256, ECDSA-NIST256P-CHALLENGE, PLAIN |
/// | [`sasl_on_failure`](Self::sasl_on_failure) | [`SaslFailure::Continue`] |
/// | [`sasl_timeout`](Self::sasl_timeout) | 20 s |
/// | [`sts`](Self::sts) | on |
/// | [`state_dir`](Self::state_dir) | none (STS policies in memory) |
/// | [`track_state`](Self::track_state) | on |
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
                dispatch_backlog: DEFAULT_DISPATCH_BACKLOG,
                connect_timeout: Duration::from_secs(10),
                cap_timeout: Duration::from_secs(5),
                quit_timeout: Duration::from_secs(3),
                handler_shutdown_timeout: Duration::from_secs(5),
                keepalive: KeepaliveConfig::default(),
                backoff: BackoffConfig::default(),
                rejoin: true,
                flood: FloodConfig::default(),
                tls: TlsConfig::new(),
                source_address: None,
                sasl: None,
                sasl_mechanisms: Mechanism::ALL.to_vec(),
                sasl_on_failure: SaslFailure::Continue,
                sasl_timeout: Duration::from_secs(20),
                sts: true,
                state_dir: None,
                track_state: true,
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

    /// How many handlers may be under way at once (at least 1).
    ///
    /// A handler's first poll runs in the read loop, when its event's turn
    /// comes and a slot is free: a handler that does not wait (the common
    /// case) is done there and then, without a task. A handler that waits
    /// becomes a task of its own and keeps its slot until it is done. With
    /// one slot, handlers run one after the other, in order; what happens
    /// when every slot is taken is described at
    /// [`dispatch_backlog`](Self::dispatch_backlog).
    pub fn max_concurrent_handlers(mut self, max: usize) -> Self {
        self.config.max_concurrent_handlers = max.max(1);
        self
    }

    /// How many events from the server may wait for their handlers to be
    /// started (at least 1; default [`DEFAULT_DISPATCH_BACKLOG`]).
    ///
    /// The read loop starts the handlers of each line itself, in the order
    /// lines arrive, as long as
    /// [`max_concurrent_handlers`](Self::max_concurrent_handlers) allows.
    /// When every handler slot is taken, the events behind wait in this
    /// backlog (each one a copy of its line) while the loop goes on
    /// reading, answering `PING` and tracking state; they start their
    /// handlers, still in order, as slots come free. When the backlog is
    /// full too, the read loop stops reading until an event has started:
    /// TCP flow control then slows the server down, and memory stays
    /// bounded however fast lines come. One slow handler never does this
    /// (handlers run concurrently); only a sustained overload does. While
    /// reading is paused, a `PING` from the server waits in the socket with
    /// the other lines: it is answered once the backlog has room for one
    /// event, and the keepalive's silence clock restarts when reading
    /// resumes. Handlers that never finish, once they hold every slot and
    /// the backlog is full, stop the reading for good: hand long work to a
    /// task of its own. Events from [`Client::trigger`](crate::Client::trigger)
    /// and the local events are not counted.
    pub fn dispatch_backlog(mut self, max: usize) -> Self {
        self.config.dispatch_backlog = max.max(1);
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

    /// How long to wait for running handlers when a connection ends
    /// (default 5 s).
    ///
    /// The events still waiting for a handler slot start first, then
    /// `CLIENT_DISCONNECT`, and the handlers get this long to finish;
    /// those still running then are cancelled. Should the running handlers
    /// hold every slot for this long before the waiting events could
    /// start, those events are dropped (a warning says how many) and
    /// `CLIENT_DISCONNECT` starts once the stuck handlers are cancelled.
    pub const fn handler_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.handler_shutdown_timeout = timeout;
        self
    }

    /// Gives the server up after this long without any line (default
    /// 120 s); also sets the ping interval to 0.45 × this unless
    /// [`ping_interval`](Self::ping_interval) is called after. Zero: never.
    pub fn server_timeout(mut self, timeout: Duration) -> Self {
        self.config.keepalive = KeepaliveConfig::with_timeout(timeout);
        self
    }

    /// Sends `PING` after this long without any line, and again at this
    /// interval while the silence lasts. Zero: never.
    pub const fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.keepalive.ping_interval = interval;
        self
    }

    /// The reconnect delays of [`Client::run`] (see [`crate::backoff`]).
    pub fn backoff(mut self, backoff: BackoffConfig) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// Reconnect attempts in a row after which [`Client::run`] gives up
    /// ([`Error::GaveUp`](crate::Error::GaveUp)); `None`: never.
    pub const fn max_reconnect_attempts(mut self, max: Option<u32>) -> Self {
        self.config.backoff.max_attempts = max;
        self
    }

    /// Whether [`Client::run`] rejoins the channels (with their keys) after
    /// reconnecting.
    pub const fn rejoin(mut self, on: bool) -> Self {
        self.config.rejoin = on;
        self
    }

    /// Outgoing flood control settings (see [`crate::flood`]).
    pub fn flood(mut self, flood: FloodConfig) -> Self {
        self.config.flood = flood;
        self
    }

    /// Connects with TLS and these settings (Sopel's `use_ssl` and
    /// friends; see [`crate::tls`]).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.transport = Transport::Tls;
        self.config.tls = tls;
        self
    }

    /// The TLS settings without turning TLS on: they apply when an STS
    /// policy upgrades a plain connection.
    pub fn tls_config(mut self, tls: TlsConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// Connects from this local address (Sopel's `source_address`).
    pub const fn source_address(mut self, addr: IpAddr) -> Self {
        self.config.source_address = Some(addr);
        self
    }

    /// Authenticates with SASL during registration.
    pub fn sasl(mut self, credentials: SaslCredentials) -> Self {
        self.config.sasl = Some(credentials);
        self
    }

    /// The SASL mechanisms to try, in order (those the server offers and the
    /// credentials can serve).
    pub fn sasl_mechanisms(mut self, mechanisms: impl IntoIterator<Item = Mechanism>) -> Self {
        self.config.sasl_mechanisms = mechanisms.into_iter().collect();
        self
    }

    /// What a SASL failure does: go on unauthenticated (default) or quit.
    pub const fn sasl_on_failure(mut self, policy: SaslFailure) -> Self {
        self.config.sasl_on_failure = policy;
        self
    }

    /// How long the SASL exchange may take before it is aborted.
    pub const fn sasl_timeout(mut self, timeout: Duration) -> Self {
        self.config.sasl_timeout = timeout;
        self
    }

    /// Whether STS policies are followed (on by default; see [`crate::sts`]).
    pub const fn sts(mut self, on: bool) -> Self {
        self.config.sts = on;
        self
    }

    /// A directory for persistent client state (STS policies).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.state_dir = Some(dir.into());
        self
    }

    /// Whether the client follows channel members and users (on by
    /// default; see [`crate::state::tracker`]).
    ///
    /// Off, it keeps only what costs nothing per message: the channels we
    /// are in with their topic and modes, `ISUPPORT`, capabilities and
    /// batches. [`Client::channel`] then gives channels without members,
    /// [`Client::user`] and [`Client::member_modes`] give `None` (so
    /// handlers asking for [`UserState`](crate::extract::UserState) are
    /// skipped), and no `WHO` is sent after joining. Memory then no longer
    /// grows with the members of the channels; the time per line is that of
    /// parsing and dispatching alone.
    ///
    /// ```
    /// let client = irc_client::Client::builder("127.0.0.1", 6667, "bot")
    ///     .track_state(false)
    ///     .build();
    /// assert!(!client.tracker_options().members);
    /// ```
    pub const fn track_state(mut self, on: bool) -> Self {
        self.config.track_state = on;
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
