//! What extractors read from: [`EventSpec`] at registration, [`EventContext`]
//! at dispatch.

use std::cell::OnceCell;

use irc_proto::{Message, MessageBuf};

use crate::client::Client;
use crate::error::{Availability, Missing};
use crate::event::{Event, EventName, Field, Schema};

/// What an extractor's registration check sees: the event name, its schema,
/// and the client (for the states it holds).
#[derive(Debug)]
pub struct EventSpec<'a> {
    name: &'a EventName,
    schema: Schema,
    client: &'a Client,
}

impl<'a> EventSpec<'a> {
    pub(crate) const fn new(name: &'a EventName, schema: Schema, client: &'a Client) -> Self {
        Self {
            name,
            schema,
            client,
        }
    }

    /// The event the handler is registered for.
    #[must_use]
    pub const fn event(&self) -> &EventName {
        self.name
    }

    /// What events of this name carry.
    #[must_use]
    pub const fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Whether the client holds a state of type `T`.
    #[must_use]
    pub fn has_state<T: Send + Sync + 'static>(&self) -> bool {
        self.client.state::<T>().is_some()
    }

    /// `Ok` when every event of this name carries `field`; otherwise a
    /// [`Missing`] for the parameter `param`.
    ///
    /// # Errors
    ///
    /// A [`Missing`] with the field's [`Availability`] when it is not
    /// [`Availability::Always`].
    pub fn require(&self, field: Field, param: &str) -> Result<(), Missing> {
        match self.schema.availability(field) {
            Availability::Always => Ok(()),
            other => Err(Missing::new(param, other)),
        }
    }
}

/// What an extractor reads from when a handler is called: the client, the
/// event's name and its message, read in place.
///
/// For a line from the server the context borrows the line where the
/// client read it: extractors copy out only what they take (a `Nick` copies
/// the nick). The whole event as an owned [`Event`] (for the `Event` and
/// `Raw` extractors, or a `wait`) is made the first time
/// [`EventContext::event`] is called, then kept for the other handlers.
#[derive(Debug)]
pub struct EventContext<'a> {
    client: &'a Client,
    name: &'a EventName,
    schema: Schema,
    message: Msg<'a>,
    event: Owned<'a>,
}

/// The message of a context: the read loop's, borrowed, or an owned
/// event's, read in place.
// Lives on the stack for one dispatch, as `Owned` below.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Msg<'a> {
    None,
    Borrowed(&'a Message<'a>),
    Read(Message<'a>),
}

/// The owned event of a context: given, or made on demand.
// A context lives on the stack for the length of one dispatch; boxing the
// cell would cost an allocation per event to save a few hundred bytes there.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Owned<'a> {
    Given(&'a Event),
    Lazy(OnceCell<Event>),
}

impl<'a> EventContext<'a> {
    /// The context of an owned event (triggered, local, or kept).
    pub(crate) fn of_event(client: &'a Client, event: &'a Event, schema: Schema) -> Self {
        Self {
            client,
            name: event.name(),
            schema,
            message: event.parsed().map_or(Msg::None, Msg::Read),
            event: Owned::Given(event),
        }
    }

    /// The context of a line read in place.
    pub(crate) fn of_line(
        client: &'a Client,
        name: &'a EventName,
        schema: Schema,
        message: &'a Message<'a>,
    ) -> Self {
        Self {
            client,
            name,
            schema,
            message: Msg::Borrowed(message),
            event: Owned::Lazy(OnceCell::new()),
        }
    }

    /// The client the event came to.
    #[must_use]
    pub const fn client(&self) -> &'a Client {
        self.client
    }

    /// The event's name.
    #[must_use]
    pub const fn name(&self) -> &'a EventName {
        self.name
    }

    /// The event, owned: for a line read in place, a copy made the first
    /// time this is called.
    #[must_use]
    pub fn event(&self) -> &Event {
        match &self.event {
            Owned::Given(event) => event,
            Owned::Lazy(cell) => cell.get_or_init(|| match self.parsed() {
                Some(m) => Event::of_message(self.name.clone(), m),
                None => Event::local(self.name.clone()),
            }),
        }
    }

    /// The message as an editable copy, unless the event is local (see
    /// [`Event::message`]).
    #[must_use]
    pub fn message(&self) -> Option<&MessageBuf> {
        match &self.event {
            Owned::Given(event) => event.message(),
            Owned::Lazy(_) => {
                self.parsed()?;
                self.event().message()
            }
        }
    }

    /// The message read in place, without a copy.
    #[must_use]
    #[inline]
    pub const fn parsed(&self) -> Option<&Message<'a>> {
        match &self.message {
            Msg::None => None,
            Msg::Borrowed(m) => Some(m),
            Msg::Read(m) => Some(m),
        }
    }

    /// The target of the message, as the schema places it.
    #[must_use]
    pub fn target(&self) -> Option<&'a str> {
        self.schema.target.read(self.parsed()?)
    }

    /// The channel of the message, as the schema places it.
    #[must_use]
    pub fn channel(&self) -> Option<&'a str> {
        self.schema.channel.read(self.parsed()?)
    }

    /// The text of the message, as the schema places it.
    #[must_use]
    pub fn text(&self) -> Option<&'a str> {
        self.schema.text.read(self.parsed()?)
    }
}
