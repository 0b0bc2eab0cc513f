//! IRCv3 message tags: a lazy view over the raw tags section, unescaping and
//! escaping of values.
//!
//! ```text
//! <tags>          ::= <tag> [';' <tag>]*
//! <tag>           ::= <key> ['=' <escaped_value>]
//! <key>           ::= [ <client_prefix> ] [ <vendor> '/' ] <key_name>
//! <client_prefix> ::= '+'
//! <key_name>      ::= <non-empty sequence of ascii letters, digits, hyphens ('-')>
//! <escaped_value> ::= <sequence of zero or more utf8 characters except NUL, CR, LF, semicolon (`;`) and SPACE>
//! ```
//!
//! Values are unescaped only when asked for, and only allocate when they hold
//! a backslash.

use std::borrow::Cow;

use crate::parse::{find_byte, find_byte_near, find_either_near};

/// The raw tags section of a message (without the `@` and the space), read
/// lazily.
///
/// Iterating yields every tag in wire order, duplicates included; [`Tags::get`]
/// applies the rule of the spec that the last of duplicate keys wins. Empty
/// segments (`a=1;;b=2`) are skipped.
///
/// ```
/// let msg = irc_proto::Message::parse(r"@id=1;+draft/reply=a\sb;flag :n PRIVMSG #c :hi").unwrap();
/// let tags = msg.tags();
/// assert_eq!(tags.get("+draft/reply").as_deref(), Some("a b"));
/// assert_eq!(tags.get("flag").as_deref(), Some(""));
/// assert_eq!(tags.get("nope"), None);
/// assert_eq!(tags.iter().count(), 3);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tags<'a> {
    raw: &'a str,
}

impl<'a> Tags<'a> {
    /// A view over a raw tags section such as `a=1;b`.
    #[must_use]
    pub const fn from_raw(raw: &'a str) -> Self {
        Self { raw }
    }

    /// The raw, still escaped tags section.
    #[must_use]
    pub const fn as_raw(&self) -> &'a str {
        self.raw
    }

    /// Whether there is no tag at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Every tag in wire order, duplicates included.
    #[must_use]
    #[inline]
    pub fn iter(&self) -> TagsIter<'a> {
        TagsIter { rest: self.raw }
    }

    /// The tag with this key, the last one when the key repeats.
    #[must_use]
    pub fn find(&self, key: &str) -> Option<Tag<'a>> {
        // A key that is nowhere in the section is no tag: one substring
        // search instead of reading every tag (keys are never escaped).
        if !self.raw.contains(key) {
            return None;
        }
        self.iter().filter(|t| t.key == key).last()
    }

    /// The unescaped value of the tag with this key: `Some("")` for a tag
    /// without value, `None` when the key is absent.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Cow<'a, str>> {
        self.find(key).map(|t| t.value())
    }

    /// Whether a tag with this key is present.
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.iter().any(|t| t.key == key)
    }
}

impl<'a> IntoIterator for Tags<'a> {
    type Item = Tag<'a>;
    type IntoIter = TagsIter<'a>;
    #[inline]
    fn into_iter(self) -> TagsIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &Tags<'a> {
    type Item = Tag<'a>;
    type IntoIter = TagsIter<'a>;
    #[inline]
    fn into_iter(self) -> TagsIter<'a> {
        self.iter()
    }
}

/// Iterator over the tags of a [`Tags`] section.
#[derive(Debug, Clone)]
pub struct TagsIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for TagsIter<'a> {
    type Item = Tag<'a>;

    #[inline]
    fn next(&mut self) -> Option<Tag<'a>> {
        loop {
            let (tag, rest) = tag(self.rest)?;
            self.rest = rest;
            if !tag.key.is_empty() {
                return Some(tag);
            }
        }
    }
}

/// `<tag> ::= <key> ['=' <escaped_value>]`, up to the next `;`: the tag and
/// what follows its `;`. Each byte is read once: the key up to the first `=`
/// or `;`, then the value up to the next `;`.
#[inline]
fn tag(input: &str) -> Option<(Tag<'_>, &str)> {
    if input.is_empty() {
        return None;
    }
    let bytes = input.as_bytes();
    Some(match find_either_near(bytes, b'=', b';') {
        Some(i) if bytes[i] == b'=' => {
            let key = &input[..i];
            let value = &input[i + 1..];
            match find_byte_near(value.as_bytes(), b';') {
                Some(j) => (
                    Tag {
                        key,
                        raw_value: Some(&value[..j]),
                    },
                    &value[j + 1..],
                ),
                None => (
                    Tag {
                        key,
                        raw_value: Some(value),
                    },
                    "",
                ),
            }
        }
        Some(i) => (
            Tag {
                key: &input[..i],
                raw_value: None,
            },
            &input[i + 1..],
        ),
        None => (
            Tag {
                key: input,
                raw_value: None,
            },
            "",
        ),
    })
}

/// One tag: a key and its still escaped value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag<'a> {
    /// The key as on the wire, with its `+` client-only prefix and vendor.
    pub key: &'a str,
    /// The escaped value; `None` when the tag has no `=`.
    pub raw_value: Option<&'a str>,
}

impl<'a> Tag<'a> {
    /// The unescaped value; a tag without value and a tag with an empty
    /// value both give `""`, as the spec says they are equivalent.
    #[must_use]
    #[inline]
    pub fn value(&self) -> Cow<'a, str> {
        self.raw_value.map_or(Cow::Borrowed(""), unescape)
    }

    /// Whether the key has the `+` client-only prefix.
    #[must_use]
    pub fn is_client_only(&self) -> bool {
        self.key.starts_with('+')
    }

    /// The vendor part of the key (`example.com` in `example.com/foo`), if any.
    #[must_use]
    pub fn vendor(&self) -> Option<&'a str> {
        let key = self.key.strip_prefix('+').unwrap_or(self.key);
        key.rsplit_once('/').map(|(vendor, _)| vendor)
    }
}

/// Unescapes a tag value.
///
/// `\:` is `;`, `\s` a space, `\\` a backslash, `\r` CR, `\n` LF; a backslash
/// before any other character stands for that character, and a lone trailing
/// backslash is dropped. Borrows when there is nothing to unescape.
///
/// ```
/// use irc_proto::tags::unescape;
/// assert_eq!(unescape(r"a\sb\:c\\d"), "a b;c\\d");
/// assert_eq!(unescape(r"w\xyz"), "wxyz");
/// assert_eq!(unescape("trailing\\"), "trailing");
/// ```
#[must_use]
#[inline]
pub fn unescape(raw: &str) -> Cow<'_, str> {
    match find_byte(raw.as_bytes(), b'\\') {
        None => Cow::Borrowed(raw),
        Some(first) => Cow::Owned(unescape_from(raw, first)),
    }
}

/// The unescaped value of `raw`, whose first backslash is at `first`.
#[cold]
fn unescape_from(raw: &str, first: usize) -> String {
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut chars = raw[first..].chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Appends the escaped form of a tag value to `out`.
///
/// The result holds no `;`, space, CR or LF. NUL is copied as it is: callers
/// that write to the wire refuse it first (the packer does).
///
/// ```
/// let mut out = String::new();
/// irc_proto::tags::escape_into("a b;c\\d\r\n", &mut out);
/// assert_eq!(out, r"a\sb\:c\\d\r\n");
/// ```
pub fn escape_into(value: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in value.bytes().enumerate() {
        let esc = match b {
            b';' => r"\:",
            b' ' => r"\s",
            b'\\' => r"\\",
            b'\r' => r"\r",
            b'\n' => r"\n",
            _ => continue,
        };
        out.push_str(&value[last..i]);
        out.push_str(esc);
        last = i + 1;
    }
    out.push_str(&value[last..]);
}

/// Whether a tag key is well formed: an optional `+`, then one or more of
/// `A-Z a-z 0-9 - . / _`.
#[must_use]
pub fn is_valid_key(key: &str) -> bool {
    let name = key.strip_prefix('+').unwrap_or(key);
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_table() {
        let cases = [
            ("", ""),
            ("plain", "plain"),
            (r"\:", ";"),
            (r"\s", " "),
            (r"\\", "\\"),
            (r"\r\n", "\r\n"),
            (r"b\\and\nk", "b\\and\nk"),
            (r"72\s45", "72 45"),
            (r"gh\:764", "gh;764"),
            (r"\", ""),
            (r"value\", "value"),
            (r"\\\", "\\"),
            (r"\é", "é"),
            (r"\x\y", "xy"),
        ];
        for (raw, want) in cases {
            assert_eq!(unescape(raw), want, "raw {raw:?}");
        }
    }

    #[test]
    fn escape_then_unescape_is_identity() {
        for v in ["", "a b", ";;", "\\", "\r\n", "x\\sy", "é; ü"] {
            let mut esc = String::new();
            escape_into(v, &mut esc);
            assert!(!esc.contains([';', ' ', '\r', '\n']));
            assert_eq!(unescape(&esc), v);
        }
    }

    #[test]
    fn duplicates_last_wins_and_empty_segments_skipped() {
        let t = Tags::from_raw("a=1;;b;a=2;=x;");
        assert_eq!(t.get("a").as_deref(), Some("2"));
        assert_eq!(t.get("b").as_deref(), Some(""));
        let keys: Vec<_> = t.iter().map(|t| t.key).collect();
        assert_eq!(keys, ["a", "b", "a"]);
    }

    #[test]
    fn iteration_matches_a_split_reference() {
        // The split rule in its plainest form.
        fn reference(raw: &str) -> Vec<Tag<'_>> {
            raw.split(';')
                .filter_map(|seg| {
                    let (key, raw_value) = match seg.split_once('=') {
                        Some((k, v)) => (k, Some(v)),
                        None => (seg, None),
                    };
                    (!key.is_empty()).then_some(Tag { key, raw_value })
                })
                .collect()
        }
        // Every string of up to 7 symbols over a small alphabet, then longer
        // ones, so marks fall at every place of the eight-byte words.
        let alphabet = ["a", "=", ";", "bcdefgh", "\\s", "é"];
        let mut inputs = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for s in &frontier {
                for a in alphabet {
                    next.push(format!("{s}{a}"));
                }
            }
            inputs.extend(next.iter().cloned());
            frontier = next;
        }
        inputs.push("badge-info=subscriber/12;badges=moderator/1;color=#FF0000;x=a=b;;".repeat(5));
        for raw in &inputs {
            let got: Vec<_> = Tags::from_raw(raw).iter().collect();
            assert_eq!(got, reference(raw), "{raw:?}");
        }
    }

    #[test]
    fn vendor_and_client_only() {
        let t = Tags::from_raw("+example.com/foo=bar;time=x");
        let first = t.iter().next().unwrap();
        assert!(first.is_client_only());
        assert_eq!(first.vendor(), Some("example.com"));
        assert_eq!(t.find("time").unwrap().vendor(), None);
    }

    #[test]
    fn key_validation() {
        assert!(is_valid_key("time"));
        assert!(is_valid_key("+draft/reply"));
        assert!(is_valid_key("example.com/x-y"));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key("+"));
        assert!(!is_valid_key("a b"));
        assert!(!is_valid_key("a=b"));
        assert!(!is_valid_key("a;b"));
    }
}
