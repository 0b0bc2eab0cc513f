//! Identifiers: who sent a message and where it goes.
//!
//! As in errbot, identifiers are opaque to the core: a backend builds them
//! from strings ([`crate::Backend::build_identifier`]) and prints them back
//! with [`Display`](std::fmt::Display), and
//! `build_identifier(&x.to_string()) == x` holds for every identifier it
//! builds. The core only reads the documented accessors; ACLs read
//! [`Person::aclattr`] alone.

use std::fmt;

/// A person: errbot's `Person` (`person`, `client`, `nick`, `fullname`,
/// `email`, `aclattr`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Person {
    repr: String,
    person: String,
    client: Option<String>,
    nick: Option<String>,
    fullname: Option<String>,
    email: Option<String>,
    aclattr: String,
}

impl Person {
    /// A person known by `person` (the backend's unique handle); it is also
    /// the printed form and the ACL attribute until changed with the `with_*`
    /// methods.
    pub fn new(person: impl Into<String>) -> Self {
        let person = person.into();
        Self {
            repr: person.clone(),
            aclattr: person.clone(),
            person,
            client: None,
            nick: None,
            fullname: None,
            email: None,
        }
    }

    /// Sets the printed form (what `to_string()` returns and
    /// `build_identifier` accepts).
    #[must_use]
    pub fn with_repr(mut self, repr: impl Into<String>) -> Self {
        self.repr = repr.into();
        self
    }

    /// Sets the client (a resource, a device, an IRC `user@host`).
    #[must_use]
    pub fn with_client(mut self, client: impl Into<String>) -> Self {
        self.client = Some(client.into());
        self
    }

    /// Sets the nickname shown in chat.
    #[must_use]
    pub fn with_nick(mut self, nick: impl Into<String>) -> Self {
        self.nick = Some(nick.into());
        self
    }

    /// Sets the full name.
    #[must_use]
    pub fn with_fullname(mut self, fullname: impl Into<String>) -> Self {
        self.fullname = Some(fullname.into());
        self
    }

    /// Sets the e-mail address.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the attribute ACLs match on. A backend sets it to something that
    /// cannot be spoofed (an account, a verified address), never to a
    /// nickname anyone can take.
    #[must_use]
    pub fn with_aclattr(mut self, aclattr: impl Into<String>) -> Self {
        self.aclattr = aclattr.into();
        self
    }

    /// The backend's unique handle for the person.
    pub fn person(&self) -> &str {
        &self.person
    }

    /// The client the person uses, when the backend knows it.
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }

    /// The nickname, falling back to the handle.
    pub fn nick(&self) -> &str {
        self.nick.as_deref().unwrap_or(&self.person)
    }

    /// The full name, when known.
    pub fn fullname(&self) -> Option<&str> {
        self.fullname.as_deref()
    }

    /// The e-mail address, when known.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// What ACLs and admin checks match on.
    pub fn aclattr(&self) -> &str {
        &self.aclattr
    }
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

/// A room (errbot's `Room` as an identifier). Operations on rooms go through
/// [`crate::Room`], a handle that pairs this with the backend.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoomId {
    repr: String,
    name: String,
}

impl RoomId {
    /// A room called `name`, printed as `name`.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            repr: name.clone(),
            name,
        }
    }

    /// Sets the printed form.
    #[must_use]
    pub fn with_repr(mut self, repr: impl Into<String>) -> Self {
        self.repr = repr.into();
        self
    }

    /// The room's name on the backend.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

/// A person in a room (errbot's `RoomOccupant`): a person plus the room.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoomOccupant {
    repr: String,
    person: Person,
    room: RoomId,
}

impl RoomOccupant {
    /// `person` in `room`, printed as `room/person`.
    pub fn new(person: Person, room: RoomId) -> Self {
        Self {
            repr: format!("{room}/{person}"),
            person,
            room,
        }
    }

    /// Sets the printed form.
    #[must_use]
    pub fn with_repr(mut self, repr: impl Into<String>) -> Self {
        self.repr = repr.into();
        self
    }

    /// The person.
    pub fn person(&self) -> &Person {
        &self.person
    }

    /// The room.
    pub fn room(&self) -> &RoomId {
        &self.room
    }
}

impl fmt::Display for RoomOccupant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

/// Any identifier: a person, a person in a room, or a room.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identifier {
    /// A person, reached directly.
    Person(Person),
    /// A person in a room.
    Occupant(RoomOccupant),
    /// A room.
    Room(RoomId),
}

impl Identifier {
    /// The person behind a person or an occupant; `None` for a room.
    pub fn as_person(&self) -> Option<&Person> {
        match self {
            Self::Person(p) => Some(p),
            Self::Occupant(o) => Some(o.person()),
            Self::Room(_) => None,
        }
    }

    /// The room of an occupant or a room; `None` for a person.
    pub fn room(&self) -> Option<&RoomId> {
        match self {
            Self::Person(_) => None,
            Self::Occupant(o) => Some(o.room()),
            Self::Room(r) => Some(r),
        }
    }

    /// The ACL attribute of the person; `None` for a room.
    pub fn aclattr(&self) -> Option<&str> {
        self.as_person().map(Person::aclattr)
    }

    /// The nickname of the person, or the room's name.
    pub fn nick(&self) -> &str {
        match self {
            Self::Room(r) => r.name(),
            _ => self.as_person().map_or("", Person::nick),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Person(p) => p.fmt(f),
            Self::Occupant(o) => o.fmt(f),
            Self::Room(r) => r.fmt(f),
        }
    }
}

impl From<Person> for Identifier {
    fn from(p: Person) -> Self {
        Self::Person(p)
    }
}

impl From<RoomOccupant> for Identifier {
    fn from(o: RoomOccupant) -> Self {
        Self::Occupant(o)
    }
}

impl From<RoomId> for Identifier {
    fn from(r: RoomId) -> Self {
        Self::Room(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_fall_back_sensibly() {
        let p = Person::new("u1")
            .with_nick("alice")
            .with_aclattr("acct:alice");
        assert_eq!(p.nick(), "alice");
        assert_eq!(p.aclattr(), "acct:alice");
        assert_eq!(p.to_string(), "u1");
        assert_eq!(Person::new("bob").nick(), "bob");
        let o = RoomOccupant::new(p, RoomId::new("#r"));
        let id = Identifier::from(o);
        assert_eq!(id.to_string(), "#r/u1");
        assert_eq!(id.aclattr(), Some("acct:alice"));
        assert_eq!(id.room().map(RoomId::name), Some("#r"));
        assert_eq!(Identifier::from(RoomId::new("#x")).aclattr(), None);
    }
}
