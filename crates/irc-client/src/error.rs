//! Errors: [`Error`] for what the client does, [`RegisterError`] for a handler
//! that asks for something its event cannot supply.

use std::fmt;

use crate::event::EventName;

/// Everything that can go wrong in the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading from or writing to the connection failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The TCP connection could not be made (or not within the connect
    /// timeout).
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address as configured (`host:port`).
        addr: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A message could not be written safely (CR, LF or NUL in a parameter,
    /// a space in a middle parameter, ...); nothing was sent.
    #[error("refused to send an unsafe message: {0}")]
    Pack(#[from] irc_proto::PackError),
    /// A typed command could not be built (its arguments would break the
    /// line or do not fit the command).
    #[error("invalid command: {0}")]
    Command(#[from] irc_proto::CommandError),
    /// A raw line could not be parsed into a message.
    #[error("cannot parse the line: {0}")]
    Parse(#[from] irc_proto::ParseError),
    /// `send` was called while no connection is up.
    #[error("not connected")]
    NotConnected,
    /// `run` was called while the client already runs a connection.
    #[error("the client is already running a connection")]
    AlreadyRunning,
    /// A handler was registered for an event that cannot supply one of its
    /// parameters.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// Registration with the server failed.
    #[error("registration failed: {0}")]
    Registration(#[from] RegistrationError),
    /// The client was dropped or shut down while something waited on it.
    #[error("the client is shut down")]
    Closed,
    /// The operation needs a tokio runtime and was called outside one.
    #[error("no tokio runtime: call this from within a tokio runtime")]
    NoRuntime,
    /// The outgoing queue is full: [`Client::send`](crate::Client::send)
    /// refuses the line; [`Client::send_wait`](crate::Client::send_wait)
    /// waits for room instead.
    #[error("the outgoing queue is full")]
    QueueFull,
    /// TLS settings or the TLS handshake failed.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// A setting cannot work (flood control, backoff).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The server was silent for the whole server timeout (after `PING`s).
    #[error("no data from the server for {0:?}")]
    PingTimeout(std::time::Duration),
    /// Reconnecting gave up after the configured number of attempts.
    #[error("gave up reconnecting after {attempts} attempts; last error: {last}")]
    GaveUp {
        /// Attempts made in a row.
        attempts: u32,
        /// Why the last one ended.
        last: Box<Error>,
    },
}

/// Why registration with the server failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// Every nick candidate (the nick, the alternates, the nick with
    /// underscores appended) was refused.
    #[error("every nick was refused (last tried: {last})")]
    NicksExhausted {
        /// The last nick tried.
        last: String,
    },
    /// The server sent `ERROR` (or closed the connection) before `001`.
    #[error("the server closed the connection before registration: {reason}")]
    Closed {
        /// The text of the server's `ERROR`, or a description.
        reason: String,
    },
    /// SASL authentication did not succeed and the client is configured to
    /// require it.
    #[error("SASL authentication is required and failed: {reason}")]
    Sasl {
        /// What happened.
        reason: String,
    },
}

/// How available a value is from the events of one name; the registration
/// check of handlers compares it with what a parameter needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Availability {
    /// Every event of this name carries it.
    Always,
    /// Some events of this name carry it, some do not: ask for `Option<T>`.
    Maybe,
    /// No event of this name carries it.
    Never,
}

/// A handler parameter that its event cannot supply, reported when the
/// handler is registered.
///
/// ```
/// use irc_client::{Client, extract::Text};
///
/// let client = Client::builder("127.0.0.1", 6667, "bot").build();
/// let err = client.on("JOIN", |Text(t): Text| async move { drop(t) }).unwrap_err();
/// assert_eq!(err.to_string(), "a handler for JOIN asks for `Text`, which a JOIN event never carries");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a handler for {event} asks for `{param}`, which {}", self.why())]
pub struct RegisterError {
    /// The event the handler was registered for.
    pub event: EventName,
    /// The parameter type that cannot be supplied.
    pub param: String,
    /// How available it is: [`Availability::Never`] or
    /// [`Availability::Maybe`] (then `Option<param>` works).
    pub availability: Availability,
    /// Extra detail from the extractor, if any.
    pub detail: Option<String>,
}

impl RegisterError {
    fn why(&self) -> String {
        let mut why = match self.availability {
            Availability::Maybe => format!(
                "a {} event may not carry: ask for `Option<{}>`",
                self.event, self.param
            ),
            Availability::Never | Availability::Always => {
                format!("a {} event never carries", self.event)
            }
        };
        if let Some(detail) = &self.detail {
            why.push_str(" (");
            why.push_str(detail);
            why.push(')');
        }
        why
    }
}

/// What an extractor reports from its registration check: the parameter it
/// stands for and how available it is. The client turns it into a
/// [`RegisterError`] naming the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The parameter, as the user wrote it (`Text`, `State<Db>`).
    pub param: String,
    /// [`Availability::Never`] or [`Availability::Maybe`].
    pub availability: Availability,
    /// Extra detail, if any.
    pub detail: Option<String>,
}

impl Missing {
    /// A parameter that the event does not supply (`availability` is
    /// `Never` or `Maybe`).
    pub fn new(param: impl Into<String>, availability: Availability) -> Self {
        Self {
            param: param.into(),
            availability,
            detail: None,
        }
    }

    /// Adds a detail to the message.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub(crate) fn for_event(self, event: &EventName) -> RegisterError {
        RegisterError {
            event: event.clone(),
            param: self.param,
            availability: self.availability,
            detail: self.detail,
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is {:?}", self.param, self.availability)
    }
}
