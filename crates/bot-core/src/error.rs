//! Typed errors of the bot layer.
//!
//! errbot signals room and user problems with exception classes
//! (`RoomError`, `RoomDoesNotExistError`, `RoomNotJoinedError`,
//! `UserDoesNotExistError`, `UserNotUniqueError`); here they are variants of
//! [`RoomError`] and [`UserError`], so a caller can match on them.

use std::time::Duration;

/// A boxed error, as returned by command handlers, callbacks and jobs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A problem with a room (errbot's `RoomError` family).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoomError {
    /// The room does not exist (errbot's `RoomDoesNotExistError`).
    #[error("room {room} does not exist")]
    DoesNotExist {
        /// The room that was asked for.
        room: String,
    },
    /// The bot is not in the room (errbot's `RoomNotJoinedError`).
    #[error("room {room} is not joined")]
    NotJoined {
        /// The room that was asked for.
        room: String,
    },
    /// The room already exists and cannot be created again.
    #[error("room {room} already exists")]
    AlreadyExists {
        /// The room that was asked for.
        room: String,
    },
    /// The backend does not support this room operation.
    #[error("the backend does not support the room operation `{operation}`")]
    Unsupported {
        /// The operation, e.g. `"destroy"`.
        operation: &'static str,
    },
    /// A user could not be found or was ambiguous (for example in `invite`).
    #[error(transparent)]
    User(#[from] UserError),
    /// Any other room failure reported by the backend (errbot's plain `RoomError`).
    #[error("room error: {0}")]
    Other(String),
}

/// A problem with a user (errbot's `UserDoesNotExistError` and `UserNotUniqueError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// No user matches (errbot's `UserDoesNotExistError`).
    #[error("user {user} does not exist")]
    DoesNotExist {
        /// The text that was looked up.
        user: String,
    },
    /// Several users match (errbot's `UserNotUniqueError`).
    #[error("user {user} is not unique: {} candidates", candidates.len())]
    NotUnique {
        /// The text that was looked up.
        user: String,
        /// The users it could mean.
        candidates: Vec<String>,
    },
}

/// `build_identifier` could not turn a string into an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The text does not have the shape the backend expects.
    #[error("invalid identifier {text:?}: {reason}")]
    Invalid {
        /// The text given.
        text: String,
        /// Why it was refused.
        reason: String,
    },
    /// The text names no user, or several.
    #[error(transparent)]
    User(#[from] UserError),
}

/// A failure of a backend operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// An I/O error on the backend's connection or terminal.
    #[error("backend I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A room operation failed.
    #[error(transparent)]
    Room(#[from] RoomError),
    /// An identifier could not be built.
    #[error(transparent)]
    Identifier(#[from] IdentifierError),
    /// The backend does not support the operation.
    #[error("the backend does not support `{operation}`")]
    Unsupported {
        /// The operation, e.g. `"send_stream_request"`.
        operation: &'static str,
    },
    /// The backend is not connected, or has been shut down.
    #[error("the backend is disconnected")]
    Disconnected,
    /// `serve_forever` gave up after too many failed connections.
    #[error("gave up after {attempts} failed connection attempts")]
    GaveUp {
        /// How many attempts failed in a row.
        attempts: u32,
    },
    /// Any other failure, described by the backend.
    #[error("backend error: {0}")]
    Other(String),
}

/// A file transfer ([`crate::Stream`]) problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The backend cannot transfer files.
    #[error("the backend does not support file transfers")]
    Unsupported,
    /// The transfer is not in a state that allows this step.
    #[error("cannot go from {from} to {to} in a transfer")]
    InvalidTransition {
        /// The current state.
        from: &'static str,
        /// The state asked for.
        to: &'static str,
    },
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The SQLite database failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A value could not be serialized or deserialized.
    #[error("value encoding: {0}")]
    Encoding(#[from] serde_json::Error),
    /// A lock protecting the store was poisoned by a panic.
    #[error("the storage lock was poisoned")]
    Poisoned,
}

/// A plugin's configuration section could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The section does not match the plugin's configuration type.
    #[error("configuration of plugin {plugin}: {source}")]
    Invalid {
        /// The plugin whose section is wrong.
        plugin: String,
        /// What serde said.
        source: serde_json::Error,
    },
    /// The plugin has no configuration section and its type has no default.
    #[error("plugin {plugin} has no configuration section")]
    Missing {
        /// The plugin whose section is missing.
        plugin: String,
    },
}

/// An error of the bot runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BotError {
    /// Two plugins have the same name.
    #[error("a plugin named {name} is already registered")]
    DuplicatePlugin {
        /// The clashing name.
        name: String,
    },
    /// No plugin has this name.
    #[error("no plugin named {name}")]
    UnknownPlugin {
        /// The name asked for.
        name: String,
    },
    /// A plugin refused to activate.
    #[error("plugin {name} failed to activate: {source}")]
    Activation {
        /// The plugin.
        name: String,
        /// Why it failed.
        source: BoxError,
    },
    /// A command pattern is not a valid regular expression.
    #[error("invalid regex for command {command}: {source}")]
    Regex {
        /// The command.
        command: String,
        /// What the regex crate said.
        source: regex::Error,
    },
    /// A configuration problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A storage problem.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A backend problem.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Jobs were scheduled outside a tokio runtime.
    #[error("no tokio runtime to run the job on")]
    NoRuntime,
    /// The operation did not finish in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}
