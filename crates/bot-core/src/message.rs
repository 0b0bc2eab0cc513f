//! Messages, cards, presence, reactions and file transfers.

use std::sync::{Arc, Mutex};

use crate::error::StreamError;
use crate::identifier::Identifier;

/// A chat message (errbot's `Message`).
///
/// `body` is Markdown as plugins write it; the core renders it for the
/// backend (see [`crate::render`]) just before sending.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Message {
    /// The text, in Markdown.
    pub body: String,
    /// The sender.
    pub frm: Option<Identifier>,
    /// The recipient: a person for a direct message, a room for a group one.
    pub to: Option<Identifier>,
    /// The message this one answers in a thread.
    pub parent: Option<Box<Message>>,
    /// The message was delivered late (history replayed on join).
    pub delayed: bool,
    /// The message is one part of a longer one split to fit the backend.
    pub partial: bool,
    /// The message is an action, an emote (IRC's `/me waves`): `body` is
    /// what the sender does. Message hooks see actions; commands are not
    /// run from them. A backend sends an outgoing action as its emote when
    /// it has one.
    pub action: bool,
    /// Backend-specific data (message ids, tags, ...).
    pub extras: serde_json::Map<String, serde_json::Value>,
}

impl Message {
    /// A message with this body and nothing else set.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            ..Self::default()
        }
    }

    /// Sets the sender.
    #[must_use]
    pub fn from(mut self, frm: impl Into<Identifier>) -> Self {
        self.frm = Some(frm.into());
        self
    }

    /// Sets the recipient.
    #[must_use]
    pub fn to(mut self, to: impl Into<Identifier>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// Sets the parent message (makes this one threaded).
    #[must_use]
    pub fn in_thread_of(mut self, parent: Message) -> Self {
        self.parent = Some(Box::new(parent));
        self
    }

    /// Makes this an action (an emote, IRC's `/me`).
    #[must_use]
    pub fn as_action(mut self) -> Self {
        self.action = true;
        self
    }

    /// The message was sent to a person (or a person in a room, privately).
    pub fn is_direct(&self) -> bool {
        matches!(
            self.to,
            Some(Identifier::Person(_) | Identifier::Occupant(_))
        )
    }

    /// The message was sent to a room.
    pub fn is_group(&self) -> bool {
        matches!(self.to, Some(Identifier::Room(_)))
    }

    /// The message belongs to a thread.
    pub fn is_threaded(&self) -> bool {
        self.parent.is_some()
    }
}

/// A card: a structured message (errbot's `Card`). Backends that can show
/// cards natively do so; the others receive [`Card::to_markdown`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Card {
    /// The main text, in Markdown.
    pub body: String,
    /// Where the card goes.
    pub to: Option<Identifier>,
    /// The title.
    pub title: Option<String>,
    /// A one-line summary.
    pub summary: Option<String>,
    /// A link the title points to.
    pub link: Option<String>,
    /// The address of an image.
    pub image: Option<String>,
    /// The address of a thumbnail.
    pub thumbnail: Option<String>,
    /// An accent colour (a name or `#rrggbb`).
    pub color: Option<String>,
    /// Key/value fields, in order.
    pub fields: Vec<(String, String)>,
}

impl Card {
    /// A card with a body.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            ..Self::default()
        }
    }

    /// Sets the title.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the summary.
    #[must_use]
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sets the link.
    #[must_use]
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// Sets the image address.
    #[must_use]
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// Sets the thumbnail address.
    #[must_use]
    pub fn thumbnail(mut self, thumbnail: impl Into<String>) -> Self {
        self.thumbnail = Some(thumbnail.into());
        self
    }

    /// Sets the colour.
    #[must_use]
    pub fn color(mut self, color: impl Into<String>) -> Self {
        self.color = Some(color.into());
        self
    }

    /// Adds a field.
    #[must_use]
    pub fn field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((key.into(), value.into()));
        self
    }

    /// Sets the recipient.
    #[must_use]
    pub fn to(mut self, to: impl Into<Identifier>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// The card as Markdown for backends without native cards: the title
    /// (linked when there is a link), the summary, the body, then one line
    /// per field with the keys padded to the same width, then the image.
    pub fn to_markdown(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        match (&self.title, &self.link) {
            (Some(t), Some(l)) => out.push(format!("**{t}** <{l}>")),
            (Some(t), None) => out.push(format!("**{t}**")),
            (None, Some(l)) => out.push(format!("<{l}>")),
            (None, None) => {}
        }
        if let Some(s) = &self.summary {
            out.push(format!("_{s}_"));
        }
        if !self.body.is_empty() {
            out.push(self.body.clone());
        }
        let width = self
            .fields
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in &self.fields {
            let pad = width - k.chars().count();
            // Two trailing spaces would be a Markdown hard break; a plain
            // newline between lines of a code-free block is kept by the
            // renderers, which treat soft breaks as line breaks.
            out.push(format!("{k}:{} {v}", " ".repeat(pad)));
        }
        if let Some(i) = self.image.as_ref().or(self.thumbnail.as_ref()) {
            out.push(format!("<{i}>"));
        }
        out.join("\n")
    }
}

/// A presence status (errbot's `ONLINE`, `OFFLINE`, `AWAY`, `DND`, or a
/// custom one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PresenceStatus {
    /// Available.
    Online,
    /// Not connected.
    Offline,
    /// Connected but away.
    Away,
    /// Do not disturb.
    Dnd,
    /// A status the backend names itself.
    Custom(String),
}

/// A presence change: who, which status, and an optional message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Presence {
    /// Whose presence changed; `None` for the bot's own.
    pub identifier: Option<Identifier>,
    /// The new status.
    pub status: PresenceStatus,
    /// A status message.
    pub message: Option<String>,
}

impl Presence {
    /// A presence change for `identifier`.
    pub fn new(identifier: Option<Identifier>, status: PresenceStatus) -> Self {
        Self {
            identifier,
            status,
            message: None,
        }
    }

    /// Sets the status message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// Whether a reaction was added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReactionAction {
    /// The reaction was added.
    Added,
    /// The reaction was removed.
    Removed,
}

/// A reaction to a message (errbot's `Reaction`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reaction {
    /// Who reacted.
    pub reactor: Identifier,
    /// The reaction's name (an emoji name or the emoji itself).
    pub name: String,
    /// Added or removed.
    pub action: ReactionAction,
    /// The message reacted to, when the backend knows it.
    pub reacted_to: Option<Box<Message>>,
}

impl Reaction {
    /// A reaction.
    pub fn new(reactor: Identifier, name: impl Into<String>, action: ReactionAction) -> Self {
        Self {
            reactor,
            name: name.into(),
            action,
            reacted_to: None,
        }
    }
}

/// The direction of a [`Stream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamDirection {
    /// Someone sends a file to the bot.
    Incoming,
    /// The bot sends a file.
    Outgoing,
}

/// The state of a [`Stream`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamStatus {
    /// Offered, not yet accepted or rejected.
    Pending,
    /// Accepted; no byte moved yet.
    Accepted,
    /// Refused by the receiving side.
    Rejected,
    /// Moving; `transferred` bytes so far.
    InProgress {
        /// Bytes transferred so far.
        transferred: u64,
    },
    /// Done.
    Success,
    /// Failed, with a reason.
    Error(String),
}

impl StreamStatus {
    fn name(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::InProgress { .. } => "in progress",
            Self::Success => "success",
            Self::Error(_) => "error",
        }
    }
}

/// A file transfer (errbot's `Stream`): its metadata and a shared state
/// that moves pending -> accepted/rejected -> in progress -> success/error.
/// Clones share the state, so the backend and a plugin see the same
/// progress. A backend without transfers answers
/// [`StreamError::Unsupported`].
#[derive(Debug, Clone)]
pub struct Stream {
    /// The other side of the transfer.
    pub identifier: Identifier,
    /// The file name.
    pub name: String,
    /// The size in bytes, when announced.
    pub size: Option<u64>,
    /// The MIME type, when announced.
    pub stream_type: Option<String>,
    /// Incoming or outgoing.
    pub direction: StreamDirection,
    status: Arc<Mutex<StreamStatus>>,
}

impl Stream {
    /// A pending transfer.
    pub fn new(
        identifier: Identifier,
        name: impl Into<String>,
        direction: StreamDirection,
    ) -> Self {
        Self {
            identifier,
            name: name.into(),
            size: None,
            stream_type: None,
            direction,
            status: Arc::new(Mutex::new(StreamStatus::Pending)),
        }
    }

    /// The current state.
    pub fn status(&self) -> StreamStatus {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StreamStatus> {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn transition(
        &self,
        to: StreamStatus,
        allowed: impl Fn(&StreamStatus) -> bool,
    ) -> Result<(), StreamError> {
        let mut st = self.lock();
        if !allowed(&st) {
            return Err(StreamError::InvalidTransition {
                from: st.name(),
                to: to.name(),
            });
        }
        *st = to;
        Ok(())
    }

    /// Accepts a pending transfer.
    pub fn accept(&self) -> Result<(), StreamError> {
        self.transition(StreamStatus::Accepted, |s| *s == StreamStatus::Pending)
    }

    /// Rejects a pending transfer.
    pub fn reject(&self) -> Result<(), StreamError> {
        self.transition(StreamStatus::Rejected, |s| *s == StreamStatus::Pending)
    }

    /// Records progress of an accepted transfer.
    pub fn progress(&self, transferred: u64) -> Result<(), StreamError> {
        self.transition(StreamStatus::InProgress { transferred }, |s| {
            matches!(s, StreamStatus::Accepted | StreamStatus::InProgress { .. })
        })
    }

    /// Marks an accepted transfer as done.
    pub fn success(&self) -> Result<(), StreamError> {
        self.transition(StreamStatus::Success, |s| {
            matches!(s, StreamStatus::Accepted | StreamStatus::InProgress { .. })
        })
    }

    /// Marks a transfer that has not finished as failed.
    pub fn error(&self, reason: impl Into<String>) -> Result<(), StreamError> {
        self.transition(StreamStatus::Error(reason.into()), |s| {
            matches!(
                s,
                StreamStatus::Pending | StreamStatus::Accepted | StreamStatus::InProgress { .. }
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifier::{Person, RoomId};

    #[test]
    fn direct_group_threaded() {
        let m = Message::new("x").to(Person::new("a"));
        assert!(m.is_direct() && !m.is_group() && !m.is_threaded());
        let g = Message::new("y").to(RoomId::new("#r")).in_thread_of(m);
        assert!(g.is_group() && !g.is_direct() && g.is_threaded());
    }

    #[test]
    fn card_fields_render_one_per_line_aligned() {
        let c = Card::new("body")
            .title("T")
            .field("a", "1")
            .field("long", "2");
        assert_eq!(c.to_markdown(), "**T**\nbody\na:    1\nlong: 2");
    }

    #[test]
    fn stream_state_machine() {
        let s = Stream::new(Person::new("a").into(), "f.txt", StreamDirection::Incoming);
        assert_eq!(
            s.progress(1),
            Err(StreamError::InvalidTransition {
                from: "pending",
                to: "in progress"
            })
        );
        s.accept().unwrap();
        let shared = s.clone();
        shared.progress(10).unwrap();
        assert_eq!(s.status(), StreamStatus::InProgress { transferred: 10 });
        s.success().unwrap();
        assert!(s.error("late").is_err());
        let r = Stream::new(Person::new("a").into(), "g", StreamDirection::Outgoing);
        r.reject().unwrap();
        assert_eq!(r.status(), StreamStatus::Rejected);
        assert!(r.accept().is_err());
    }
}
