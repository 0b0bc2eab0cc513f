//! What extractors read from: [`EventSpec`] at registration, [`EventContext`]
//! at dispatch.

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

/// What an extractor reads from when a handler is called: the client and
/// the event.
#[derive(Debug)]
pub struct EventContext {
    client: Client,
    event: Event,
    schema: Schema,
}

impl EventContext {
    pub(crate) fn new(client: Client, event: Event, schema: Schema) -> Self {
        Self {
            client,
            event,
            schema,
        }
    }

    /// The client the event came to.
    #[must_use]
    pub const fn client(&self) -> &Client {
        &self.client
    }

    /// The event.
    #[must_use]
    pub const fn event(&self) -> &Event {
        &self.event
    }

    /// The message, unless the event is local.
    #[must_use]
    pub fn message(&self) -> Option<&MessageBuf> {
        self.event.message()
    }

    /// The message read in place, without a copy (see [`Event::parsed`]).
    #[must_use]
    #[inline]
    pub fn parsed(&self) -> Option<Message<'_>> {
        self.event.parsed()
    }

    /// The target of the message, as the schema places it.
    #[must_use]
    pub fn target(&self) -> Option<&str> {
        self.schema.target.read(&self.parsed()?)
    }

    /// The channel of the message, as the schema places it.
    #[must_use]
    pub fn channel(&self) -> Option<&str> {
        self.schema.channel.read(&self.parsed()?)
    }

    /// The text of the message, as the schema places it.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        self.schema.text.read(&self.parsed()?)
    }
}
