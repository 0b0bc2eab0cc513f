//! The argument checks every constructor runs, one per kind of parameter.
//!
//! - a *word* is a parameter that may stand before the last one: non-empty,
//!   no space, no leading `:`;
//! - an *item* is one element of a comma list: a word without comma;
//! - a *text* is the last parameter: anything but CR, LF and NUL, spaces and
//!   a leading `:` included, possibly empty.
//!
//! CR, LF and NUL are refused everywhere and checked first.

use super::error::{CommandError, CommandErrorKind as Kind};

/// Checks one argument of one command.
#[derive(Debug, Clone, Copy)]
pub(super) struct Check {
    pub(super) verb: &'static str,
}

fn has_forbidden(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

impl Check {
    pub(super) const fn err(self, field: &'static str, kind: Kind) -> CommandError {
        CommandError::new(self.verb, field, kind)
    }

    /// A text: the last parameter, which may be empty and hold spaces.
    pub(super) fn text(self, field: &'static str, value: &str) -> Result<String, CommandError> {
        if has_forbidden(value) {
            return Err(self.err(field, Kind::ForbiddenByte));
        }
        Ok(value.to_owned())
    }

    /// A text that must not be empty.
    pub(super) fn full_text(
        self,
        field: &'static str,
        value: &str,
    ) -> Result<String, CommandError> {
        let text = self.text(field, value)?;
        if text.is_empty() {
            return Err(self.err(field, Kind::Empty));
        }
        Ok(text)
    }

    /// A word: a parameter that may stand before the last one.
    pub(super) fn word(self, field: &'static str, value: &str) -> Result<String, CommandError> {
        let kind = if has_forbidden(value) {
            Kind::ForbiddenByte
        } else if value.is_empty() {
            Kind::Empty
        } else if value.contains(' ') {
            Kind::Space
        } else if value.starts_with(':') {
            Kind::LeadingColon
        } else {
            return Ok(value.to_owned());
        };
        Err(self.err(field, kind))
    }

    /// An optional word.
    pub(super) fn opt_word(
        self,
        field: &'static str,
        value: Option<&str>,
    ) -> Result<Option<String>, CommandError> {
        value.map(|v| self.word(field, v)).transpose()
    }

    /// An optional text.
    pub(super) fn opt_text(
        self,
        field: &'static str,
        value: Option<&str>,
    ) -> Result<Option<String>, CommandError> {
        value.map(|v| self.text(field, v)).transpose()
    }

    /// One element of a comma list.
    pub(super) fn item(self, field: &'static str, value: &str) -> Result<String, CommandError> {
        let word = self.word(field, value)?;
        if word.contains(',') {
            return Err(self.err(field, Kind::Comma));
        }
        Ok(word)
    }

    /// A comma list, possibly empty.
    pub(super) fn items<S: AsRef<str>>(
        self,
        field: &'static str,
        values: &[S],
    ) -> Result<Vec<String>, CommandError> {
        values
            .iter()
            .map(|v| self.item(field, v.as_ref()))
            .collect()
    }

    /// A comma list with at least one element.
    pub(super) fn some_items<S: AsRef<str>>(
        self,
        field: &'static str,
        values: &[S],
    ) -> Result<Vec<String>, CommandError> {
        if values.is_empty() {
            return Err(self.err(field, Kind::Empty));
        }
        self.items(field, values)
    }

    /// Words, each its own parameter, possibly none.
    pub(super) fn words<S: AsRef<str>>(
        self,
        field: &'static str,
        values: &[S],
    ) -> Result<Vec<String>, CommandError> {
        values
            .iter()
            .map(|v| self.word(field, v.as_ref()))
            .collect()
    }

    /// Fails when `dependent` is given without `base`.
    pub(super) fn requires<A, B>(
        self,
        dependent: (&'static str, Option<A>),
        base: (&'static str, Option<B>),
    ) -> Result<(), CommandError> {
        if dependent.1.is_some() && base.1.is_none() {
            return Err(self.err(dependent.0, Kind::Requires(base.0)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_in_order() {
        let c = Check { verb: "X" };
        let kind = |r: Result<String, CommandError>| r.map_err(|e| e.kind);
        assert_eq!(kind(c.word("f", "a b\r")), Err(Kind::ForbiddenByte));
        assert_eq!(kind(c.word("f", "")), Err(Kind::Empty));
        assert_eq!(kind(c.word("f", "a b")), Err(Kind::Space));
        assert_eq!(kind(c.word("f", ":a")), Err(Kind::LeadingColon));
        assert_eq!(kind(c.word("f", "a:b,c")), Ok("a:b,c".to_owned()));
        assert_eq!(kind(c.item("f", "a,b")), Err(Kind::Comma));
        assert_eq!(kind(c.text("f", ": a b")), Ok(": a b".to_owned()));
        assert_eq!(kind(c.text("f", "a\0")), Err(Kind::ForbiddenByte));
        assert_eq!(kind(c.full_text("f", "")), Err(Kind::Empty));
        assert_eq!(
            c.some_items::<&str>("f", &[]).unwrap_err().kind,
            Kind::Empty
        );
        assert_eq!(
            c.requires(("t", Some(1)), ("m", None::<u8>))
                .unwrap_err()
                .kind,
            Kind::Requires("m")
        );
    }
}
