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
//! once), are started in the order events arrive, never hold up the reading
//! of the connection, and a handler that panics is logged while the
//! connection lives on.
//!
//! # The connection
//!
//! [`Client::run`] connects, registers (`CAP LS 302`, `CAP REQ`, `CAP END`,
//! `PASS`, `NICK`, `USER`, with fallback nicks), answers `PING`, dispatches
//! events, and returns when the connection ends. Lines are framed by
//! [`codec::IrcCodec`]: an overlong line is dropped and counted, a line in a
//! legacy encoding is read as CP1252; nothing ends the connection but the
//! connection. Logging goes through `tracing`.

#![forbid(unsafe_code)]

pub mod backoff;
pub mod client;
pub mod codec;
pub mod config;
mod driver;
pub mod error;
pub mod event;
pub mod flood;
pub mod handler;
pub mod sasl;
pub mod state;

pub use client::{Client, Wait};
pub use config::{ClientBuilder, Config, Transport};
pub use error::{Availability, Error, Missing, RegisterError, RegistrationError};
pub use event::{CLIENT_CONNECT, CLIENT_DISCONNECT, Event, EventName, Field, Schema};
pub use handler::extract;
pub use handler::{Handler, HandlerOutput};
