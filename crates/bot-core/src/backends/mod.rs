//! The backends shipped with the core: [`text`] (a terminal REPL),
//! [`test`](mod@test) (an in-memory harness for plugin tests), and `irc`
//! (IRC, on irc-client; cargo feature `irc`, on by default).

#[cfg(feature = "irc")]
pub mod irc;
pub mod test;
pub mod text;

use crate::error::IdentifierError;
use crate::identifier::{Identifier, Person, RoomId, RoomOccupant};

/// The identifier syntax of the text and test backends: `alice` is a
/// person, `#room` a room, `#room/alice` alice in `#room`.
pub(crate) fn parse_identifier(text: &str) -> Result<Identifier, IdentifierError> {
    let invalid = |reason: &str| IdentifierError::Invalid {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return Err(invalid("empty or contains whitespace"));
    }
    let room = |name: &str| {
        if name.len() > 1 && name.starts_with('#') {
            Ok(RoomId::new(name))
        } else {
            Err(invalid("a room starts with # and has a name"))
        }
    };
    match text.split_once('/') {
        Some((r, p)) if !p.is_empty() && !p.contains('/') && !p.starts_with('#') => {
            Ok(RoomOccupant::new(Person::new(p), room(r)?).into())
        }
        Some(_) => Err(invalid("expected #room/person")),
        None if text.starts_with('#') => Ok(room(text)?.into()),
        None => Ok(Person::new(text).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip() {
        for text in ["alice", "#room", "#room/alice"] {
            let id = parse_identifier(text).unwrap();
            assert_eq!(id.to_string(), text);
            assert_eq!(parse_identifier(&id.to_string()).unwrap(), id);
        }
        assert!(matches!(
            parse_identifier("#room/alice").unwrap(),
            Identifier::Occupant(_)
        ));
        for bad in ["", "a b", "#", "#r/", "r/a", "#r/a/b", "#r/#x"] {
            assert!(parse_identifier(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
