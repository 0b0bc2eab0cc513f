//! An async IRC client on tokio, in the manner of Python's `bottom`:
//! register async handlers for events with [`Client::on`], send typed
//! commands with [`Client::send`], inject events with [`Client::trigger`],
//! and await the next occurrence of one with [`Client::wait`].
//!
//! # An echo bot
//!
//! ```no_run
//! use irc_client::{Client, extract::{Nick, Target, Text}};
//! use irc_proto::Command;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), irc_client::Error> {
//!     let client = Client::builder("127.0.0.1", 6667, "echobot").build();
//!     // Registration (CAP, NICK, USER) and PONG are built in.
//!     client.on("CLIENT_CONNECT", |client: Client| async move {
//!         client.send(Command::join(&["#test"])?)
//!     })?;
//!     client.on("PRIVMSG", |client: Client, Nick(nick): Nick, Target(target): Target, Text(text): Text| async move {
//!         // Answer in the channel, or to the sender of a private message.
//!         let to = if target == client.nick() { nick } else { target };
//!         client.send(Command::privmsg(&to, &text)?)
//!     })?;
//!     client.run().await
//! }
//! ```
//!
//! # Events
//!
//! Every message from the server is an event named by its command:
//! `"PRIVMSG"`, `"JOIN"`, a numeric by code or name (`"376"` and
//! `"RPL_ENDOFMOTD"` are the same event), and verbs the client does not know.
//! The client adds [`CLIENT_CONNECT`] (after registration; right after the
//! TCP connection when the built-in registration is turned off) and
//! [`CLIENT_DISCONNECT`]. See [`EventName`].
//!
//! # Handlers and extractors
//!
//! A handler is an async function whose parameters are extractors
//! ([`extract`]): [`Client`], `Nick`, `User`, `Host`, `Source`, `Target`,
//! `Channel`, `Text`, `Params`, `Tags`, `Raw`, `Numeric`, the tags
//! `ServerTime`, `Account`, `MsgId`, and `State<T>` for your own state. Each
//! knows which events can supply it, and [`Client::on`] checks them all:
//!
//! ```
//! use irc_client::{Client, extract::{Channel, Nick, Text}};
//!
//! let client = Client::builder("127.0.0.1", 6667, "bot").build();
//! // A JOIN has a nick and a channel...
//! client.on("JOIN", |Nick(n): Nick, Channel(c): Channel| async move { drop((n, c)) })?;
//! // ...but no text: refused at registration, naming event and parameter.
//! let err = client.on("JOIN", |Text(t): Text| async move { drop(t) }).unwrap_err();
//! assert_eq!(err.param, "Text");
//! // A PART may have a reason or not: ask for an Option.
//! client.on("PART", |Channel(c): Channel, reason: Option<Text>| async move { drop((c, reason)) })?;
//! # Ok::<(), irc_client::RegisterError>(())
//! ```
//!
//! Handlers run concurrently (at most
//! [`max_concurrent_handlers`](ClientBuilder::max_concurrent_handlers) at
//! once), are started in the order events arrive, and a handler that panics
//! is logged while the connection lives on. The read loop starts them
//! itself, on the line as it lies in the read buffer: a handler's code up to
//! its first `.await` runs there (so a handler that never waits costs no
//! task, and extractors copy only what they take), and a handler that
//! waits continues as a task of its own. Keep that first stretch short:
//! blocking work belongs in `tokio::task::spawn_blocking`.
//!
//! A slow handler never stalls the reading of the connection: the others
//! keep being started around it. When every handler slot is taken, the
//! events behind wait in a backlog (as copies of their lines) while reading
//! goes on; only when [`dispatch_backlog`](ClientBuilder::dispatch_backlog)
//! events (1024 by default) wait does the client stop reading until one has
//! started, so TCP flow control slows the server down and memory stays
//! bounded however fast lines come. `PING` is answered by the client before
//! dispatch, so in that state a `PING` waits only as long as the backlog
//! takes to make room for one event; [`Client::dispatch_backlog`] says how
//! full it is.
//!
//! # The connection
//!
//! [`Client::run`] connects (TCP or TLS), registers (`CAP LS 302`,
//! `CAP REQ`, SASL, `CAP END`, `PASS`, `NICK`, `USER`, with fallback nicks),
//! answers `PING`, pings a silent server, dispatches events, and reconnects
//! with backoff whenever the connection ends, until [`Client::quit`];
//! [`Client::run_once`] runs a single connection and says why it
//! ([`Ended`]) ended. Lines are framed by [`codec::LineBatchCodec`]: an overlong
//! line is dropped and counted, a line in a legacy encoding is read as
//! CP1252, a line that does not parse and a line cut off by the end of the
//! connection are dropped and counted; [`Client::stats`] reads the counters
//! ([`Stats`]), and bad input never ends a connection. Outgoing lines pass flood control ([`flood`]) in a bounded queue:
//! [`Client::send`] fails with [`Error::QueueFull`] when it is full,
//! [`Client::send_wait`] waits. Logging goes through `tracing`.
//!
//! # Defaults
//!
//! | what | default | where |
//! | --- | --- | --- |
//! | capabilities | every capability the client understands, when offered: [`config::DEFAULT_CAPABILITIES`] | [`ClientBuilder::capabilities`] |
//! | connect timeout | 10 s (TCP, then again for the TLS handshake) | [`ClientBuilder::connect_timeout`] |
//! | `CAP LS` reply timeout | 5 s, then registration without capabilities | [`ClientBuilder::cap_timeout`] |
//! | server timeout | 120 s without any line: the connection is closed | [`ClientBuilder::server_timeout`] |
//! | ping interval | 0.45 × server timeout (54 s) of silence, repeated | [`ClientBuilder::ping_interval`] |
//! | reconnect delay | 1 s × 1.75ⁿ up to 600 s, + up to 3 s jitter (capped at 600 s) | [`backoff`] |
//! | backoff reset | after a connection that stayed up 60 s | [`backoff`] |
//! | reconnect attempts | unlimited | [`ClientBuilder::max_reconnect_attempts`] |
//! | rejoin after reconnect | on, with the keys given in our `JOIN`s | [`ClientBuilder::rejoin`] |
//! | flood control | burst 4, then 1 line/s per target; long lines wait up to 2 s; all targets 8 then 2/s | [`flood`] |
//! | dispatch backlog | 1024 events waiting for their handlers, then reading pauses | [`ClientBuilder::dispatch_backlog`] |
//! | outgoing queue | 1024 lines (`PONG`, registration, `QUIT` exempt and first) | [`flood::FloodConfig::queue_capacity`] |
//! | TLS | off; when on: verified against Mozilla's roots (webpki-roots), TLS 1.2+, SNI | [`tls`] |
//! | SASL | off; mechanisms EXTERNAL, SCRAM-SHA-256, ECDSA-NIST256P-CHALLENGE, PLAIN | [`ClientBuilder::sasl`] |
//! | SASL failure | register without an account | [`ClientBuilder::sasl_on_failure`] |
//! | SASL timeout | 20 s, then `AUTHENTICATE *` | [`ClientBuilder::sasl_timeout`] |
//! | STS | followed; policies in memory unless a state directory is set | [`sts`] |
//! | quit timeout | 3 s for the server to close after `QUIT` | [`ClientBuilder::quit_timeout`] |
//! | channel and user state | tracked (members, users, topics, modes) | [`ClientBuilder::track_state`] |

#![forbid(unsafe_code)]

pub mod backoff;
pub mod batch;
pub mod client;
pub mod codec;
pub mod config;
mod driver;
pub mod error;
pub mod event;
pub mod flood;
pub mod handler;
pub mod requests;
pub mod sasl;
pub mod state;
pub mod stats;
pub mod sts;
pub mod tls;

pub use client::{Client, Ended, Wait};
pub use config::{ClientBuilder, Config, Transport};
pub use error::{Availability, Error, Missing, RegisterError, RegistrationError};
pub use event::{CLIENT_CONNECT, CLIENT_DISCONNECT, Event, EventName, Field, Schema};
pub use handler::extract;
pub use handler::{Handler, HandlerOutput};
pub use stats::Stats;
