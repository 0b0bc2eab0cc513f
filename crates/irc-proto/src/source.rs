//! The source (prefix) of a message: `nick!user@host` or a server name.
//!
//! ```text
//! source ::= <servername> / ( <nickname> [ "!" <user> ] [ "@" <host> ] )
//! ```
//!
//! The split rule is the one of the ircdocs parser tests: the host is what
//! follows the first `@`; the user is what lies between the first `!` and that
//! `@`; the nick is what comes before both.

use std::fmt;

use crate::parse::{find_byte, find_either};

/// A borrowed, split source.
///
/// ```
/// use irc_proto::Source;
/// let s = Source::parse("dan!~d@localhost");
/// assert_eq!((s.nick(), s.user(), s.host()), ("dan", Some("~d"), Some("localhost")));
/// let server = Source::parse("irc.example.com");
/// assert!(server.is_server());
/// assert_eq!(server.nick(), "irc.example.com");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source<'a> {
    raw: &'a str,
    nick: &'a str,
    user: Option<&'a str>,
    host: Option<&'a str>,
}

impl<'a> Source<'a> {
    /// Splits a raw source (without the leading `:`). Never fails: any text
    /// is a nick at worst.
    #[must_use]
    #[inline]
    pub fn parse(raw: &'a str) -> Self {
        // One pass: the first `!` or `@`; a `!` after the first `@` belongs
        // to the host.
        let (nick, user, host) = match find_either(raw.as_bytes(), b'!', b'@') {
            None => (raw, None, None),
            Some(i) if raw.as_bytes()[i] == b'@' => (&raw[..i], None, Some(&raw[i + 1..])),
            Some(i) => {
                let after = &raw[i + 1..];
                match find_byte(after.as_bytes(), b'@') {
                    Some(j) => (&raw[..i], Some(&after[..j]), Some(&after[j + 1..])),
                    None => (&raw[..i], Some(after), None),
                }
            }
        };
        Self {
            raw,
            nick,
            user,
            host,
        }
    }

    /// The source as it was on the wire.
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The nick, or the whole server name for a server source.
    #[must_use]
    pub const fn nick(&self) -> &'a str {
        self.nick
    }

    /// The user (ident) part, when the source has a `!`.
    #[must_use]
    pub const fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The host part, when the source has a `@`.
    #[must_use]
    pub const fn host(&self) -> Option<&'a str> {
        self.host
    }

    /// Whether this looks like a server name rather than a user: no `!`, no
    /// `@`, and a `.` in it (nicknames cannot hold a dot).
    #[must_use]
    pub fn is_server(&self) -> bool {
        self.user.is_none() && self.host.is_none() && self.raw.contains('.')
    }
}

impl fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_table() {
        let cases = [
            ("coolguy", "coolguy", None, None),
            (
                "coolguy!ag@127.0.0.1",
                "coolguy",
                Some("ag"),
                Some("127.0.0.1"),
            ),
            (
                "coolguy!~ag@localhost",
                "coolguy",
                Some("~ag"),
                Some("localhost"),
            ),
            ("coolguy@127.0.0.1", "coolguy", None, Some("127.0.0.1")),
            ("coolguy!ag", "coolguy", Some("ag"), None),
            (
                "coolguy!ag@net\x035w\x03ork.admin",
                "coolguy",
                Some("ag"),
                Some("net\x035w\x03ork.admin"),
            ),
            ("n@h!x", "n", None, Some("h!x")),
            ("a!b!c@d@e", "a", Some("b!c"), Some("d@e")),
            ("", "", None, None),
            ("!@", "", Some(""), Some("")),
        ];
        for (raw, nick, user, host) in cases {
            let s = Source::parse(raw);
            assert_eq!(
                (s.nick(), s.user(), s.host()),
                (nick, user, host),
                "{raw:?}"
            );
            assert_eq!(s.as_str(), raw);
        }
    }

    #[test]
    fn server_detection() {
        assert!(Source::parse("irc.libera.chat").is_server());
        assert!(!Source::parse("nick").is_server());
        assert!(!Source::parse("n!u@h.example").is_server());
    }
}
