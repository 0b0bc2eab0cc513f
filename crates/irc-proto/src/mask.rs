//! Hostmask globs (`*!*@*.example.com`) and name validation.
//!
//! # Matching
//!
//! A mask is a glob over a `nick!user@host` string (or any name):
//!
//! * `*` matches any run of characters, the empty one included;
//! * `?` matches exactly one character (a whole UTF-8 character, not a
//!   byte);
//! * every other character matches itself, **including `[`, `]` and `\`**:
//!   IRC masks have no character classes and no escapes, unlike shell globs;
//! * letters compare under a [`CaseMapping`], so under `rfc1459`
//!   `*[away]*` matches `Dan{AWAY}`.
//!
//! The matcher remembers only the last `*` it passed and retries from
//! there, so it takes at most `mask length × subject length` steps: no
//! input makes it blow up, whatever the number of stars. It never
//! allocates; a compiled [`Mask`] folds the pattern once and collapses runs
//! of `*`.
//!
//! ```
//! use irc_proto::casemap::CaseMapping;
//! use irc_proto::mask::{self, Mask};
//!
//! assert!(mask::matches("*!*@*.example.com", "dan!d@irc.EXAMPLE.com", CaseMapping::Rfc1459));
//! assert!(mask::matches("cool[guy]!*@*", "COOL{GUY}!a@b", CaseMapping::Rfc1459));
//! assert!(!mask::matches("cool[guy]!*@*", "coolg!a@b", CaseMapping::Rfc1459));
//!
//! let ban = Mask::new("*!*@spam.*", CaseMapping::Ascii);
//! assert!(ban.matches("eve!e@spam.example"));
//! assert!(!ban.matches("dan!d@example.org"));
//! ```
//!
//! # Validation
//!
//! [`is_valid_nick`] and [`is_valid_channel`] check a name against what the
//! server advertised (`NICKLEN`, `CHANTYPES`, `CHANNELLEN`, `PREFIX`), for a
//! client that wants to refuse a name before the server does.
//! [`is_valid_hostname`] checks DNS host names the way the ircdocs
//! `validate-hostname` vectors expect, for servers; clients should accept
//! whatever host a server sends.

use std::borrow::Cow;
use std::fmt;

use crate::casemap::CaseMapping;
use crate::isupport::Isupport;

/// Whether `subject` matches the glob `mask` under `cm`; see the [module
/// docs](self). No allocation; at most `mask.len() × subject.len()` steps.
#[must_use]
pub fn matches(mask: &str, subject: &str, cm: CaseMapping) -> bool {
    glob(mask.as_bytes(), subject.as_bytes(), cm)
}

/// How many bytes the UTF-8 character starting with `lead` takes.
const fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// The glob matcher over the bytes of two `str`s.
///
/// Literal bytes compare after folding (folding maps ASCII to ASCII and
/// leaves other bytes alone, so a multi-byte character only matches the
/// same character). `?` and the retry after a `*` step over whole
/// characters, so positions stay on character boundaries.
fn glob(pat: &[u8], subj: &[u8], cm: CaseMapping) -> bool {
    let (mut p, mut s) = (0, 0);
    // After the last `*` seen: where the pattern resumes and where in the
    // subject the star's match currently ends.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(&c) = pat.get(p) {
            match c {
                b'*' => {
                    p += 1;
                    star = Some((p, s));
                    continue;
                }
                b'?' => {
                    if let Some(&b) = subj.get(s) {
                        p += 1;
                        s += utf8_len(b);
                        continue;
                    }
                }
                _ => {
                    if subj
                        .get(s)
                        .is_some_and(|&b| cm.fold_byte(b) == cm.fold_byte(c))
                    {
                        p += 1;
                        s += 1;
                        continue;
                    }
                }
            }
        } else if s >= subj.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more character, or fail.
        match star {
            Some((resume, end)) if end < subj.len() => {
                let next = end + utf8_len(subj[end]);
                star = Some((resume, next));
                p = resume;
                s = next;
            }
            _ => return false,
        }
    }
}

/// A mask prepared for matching many subjects: folded once, runs of `*`
/// collapsed.
///
/// ```
/// use irc_proto::casemap::CaseMapping;
/// use irc_proto::mask::Mask;
///
/// let m = Mask::new("Dan**!?*@*", CaseMapping::Rfc1459);
/// assert_eq!(m.as_str(), "dan*!?*@*");
/// assert!(m.matches("DAN!~d@host"));
/// assert!(m.matches("danny!d@host"));
/// assert!(!m.matches("dan!@host"));
/// assert!(!m.is_literal());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mask {
    /// The folded pattern.
    pattern: String,
    /// The mapping subjects are folded with.
    cm: CaseMapping,
}

impl Mask {
    /// Prepares `mask` for matching under `cm`.
    #[must_use]
    pub fn new(mask: &str, cm: CaseMapping) -> Self {
        let mut pattern = String::with_capacity(mask.len());
        for c in mask.chars() {
            if !(c == '*' && pattern.ends_with('*')) {
                pattern.push(cm.fold_char(c));
            }
        }
        Self { pattern, cm }
    }

    /// Whether `subject` matches.
    #[must_use]
    pub fn matches(&self, subject: &str) -> bool {
        if self.is_literal() {
            return self.cm.equal(&self.pattern, subject);
        }
        glob(self.pattern.as_bytes(), subject.as_bytes(), self.cm)
    }

    /// The folded pattern.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The mapping this mask matches under.
    #[must_use]
    pub const fn casemapping(&self) -> CaseMapping {
        self.cm
    }

    /// Whether the mask has no wildcard, i.e. matches one name only.
    #[must_use]
    pub fn is_literal(&self) -> bool {
        !self.pattern.contains(['*', '?'])
    }
}

impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

/// Completes a partial ban mask to `nick!user@host` form, the way servers
/// do for `MODE +b`: `dan` -> `dan!*@*`, `d@host` -> `*!d@host`,
/// `dan!d` -> `dan!d@*`; a full mask is returned as is.
///
/// ```
/// use irc_proto::mask::normalize;
/// assert_eq!(normalize("dan"), "dan!*@*");
/// assert_eq!(normalize("*@10.0.0.1"), "*!*@10.0.0.1");
/// assert_eq!(normalize("dan!d"), "dan!d@*");
/// assert_eq!(normalize("dan!d@h"), "dan!d@h");
/// assert_eq!(normalize(""), "*!*@*");
/// ```
#[must_use]
pub fn normalize(mask: &str) -> Cow<'_, str> {
    match (mask.contains('!'), mask.contains('@')) {
        (true, true) => Cow::Borrowed(mask),
        (false, true) => Cow::Owned(format!("*!{mask}")),
        (true, false) => Cow::Owned(format!("{mask}@*")),
        (false, false) if mask.is_empty() => Cow::Borrowed("*!*@*"),
        (false, false) => Cow::Owned(format!("{mask}!*@*")),
    }
}

/// Whether `nick` is a nickname the server would accept, by the rules of
/// the modern IRC client protocol and RFC 2812, and `isupport`:
///
/// * 1 to `NICKLEN` bytes ([`Isupport::nicklen`]);
/// * none of space `,` `*` `?` `!` `@` (they separate or match masks), no
///   `.` (it marks server names), no ASCII control character;
/// * does not start with `$` or `:`, a digit or `-` (RFC 2812's grammar), a
///   channel type ([`Isupport::chantypes`]) or a membership symbol
///   ([`Isupport::prefix`]).
///
/// Servers may refuse more (many refuse non-ASCII); this check only refuses
/// what is never valid.
///
/// ```
/// use irc_proto::isupport::Isupport;
/// use irc_proto::mask::is_valid_nick;
///
/// let i = Isupport::new();
/// assert!(is_valid_nick("dan", &i));
/// assert!(is_valid_nick("[dan]_^|", &i));
/// assert!(!is_valid_nick("9lives", &i));
/// assert!(!is_valid_nick("#dan", &i));
/// assert!(!is_valid_nick("@dan", &i));
/// assert!(!is_valid_nick("dan!x", &i));
/// assert!(!is_valid_nick("muchtoolong", &i)); // NICKLEN defaults to 9
/// ```
#[must_use]
pub fn is_valid_nick(nick: &str, isupport: &Isupport) -> bool {
    let Some(first) = nick.chars().next() else {
        return false;
    };
    nick.len() <= isupport.nicklen()
        && !matches!(first, '$' | ':' | '-' | '0'..='9')
        && !isupport.chantypes().contains(first)
        && !isupport.prefix().is_symbol(first)
        && !nick.bytes().any(|b| {
            matches!(b, b' ' | b',' | b'*' | b'?' | b'!' | b'@' | b'.') || b.is_ascii_control()
        })
}

/// Whether `name` is a channel name the server would accept, by RFC 1459 /
/// RFC 2811 and `isupport`: it starts with one of `CHANTYPES`, is at most
/// `CHANNELLEN` bytes, and holds no space, comma, BEL (`^G`), NUL, CR or LF.
///
/// ```
/// use irc_proto::isupport::Isupport;
/// use irc_proto::mask::is_valid_channel;
///
/// let i = Isupport::new();
/// assert!(is_valid_channel("#rust", &i));
/// assert!(is_valid_channel("&local", &i));
/// assert!(!is_valid_channel("rust", &i));
/// assert!(!is_valid_channel("#a,b", &i));
/// assert!(!is_valid_channel("#a\x07b", &i));
/// assert!(!is_valid_channel("!12345abc", &i)); // '!' is not in the default CHANTYPES
/// ```
#[must_use]
pub fn is_valid_channel(name: &str, isupport: &Isupport) -> bool {
    isupport.is_channel_name(name)
        && name.len() <= isupport.channellen()
        && !name
            .bytes()
            .any(|b| matches!(b, b' ' | b',' | 0x07 | 0 | b'\r' | b'\n'))
}

/// Whether `host` is a DNS host name fit for an IRC server or client host
/// (RFC 952 and RFC 1123 labels, and the ircdocs `validate-hostname`
/// vectors):
///
/// * at most 253 bytes, at least two labels separated by `.` (a bare `irc`
///   or `com` is refused), no empty label (so no trailing dot);
/// * each label 1 to 63 ASCII letters, digits and `-`, not starting or
///   ending with `-` (a label may start with a digit, RFC 1123);
/// * no `_` (SRV-style labels are not host names); international names
///   must be in their `xn--` form.
///
/// ```
/// use irc_proto::mask::is_valid_hostname;
/// assert!(is_valid_hostname("irc.example.com"));
/// assert!(is_valid_hostname("324.net.uk"));
/// assert!(!is_valid_hostname("-lol.net.uk"));
/// assert!(!is_valid_hostname("irc"));
/// ```
#[must_use]
pub fn is_valid_hostname(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            let b = label.as_bytes();
            (1..=63).contains(&b.len())
                && b.first() != Some(&b'-')
                && b.last() != Some(&b'-')
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    #[test]
    fn wildcards() {
        let cm = CaseMapping::Ascii;
        let cases = [
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "anything", true),
            ("?", "", false),
            ("?", "é", true),
            ("??", "é", false),
            ("a?c", "abc", true),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("*a", "bba", true),
            ("*a*", "xyz", false),
            ("a\\b", "a\\b", true),
            ("[a]", "[a]", true),
            ("[a]", "a", false),
            ("*é*", "café!x@y", true),
            ("*ÉX", "éx", false),
            ("**a**", "ba", true),
        ];
        for (mask, subject, want) in cases {
            assert_eq!(matches(mask, subject, cm), want, "{mask:?} vs {subject:?}");
            assert_eq!(
                Mask::new(mask, cm).matches(subject),
                want,
                "compiled {mask:?} vs {subject:?}"
            );
        }
    }

    #[test]
    fn folding_follows_the_mapping() {
        assert!(matches("*[away]*", "Dan{AWAY}", CaseMapping::Rfc1459));
        assert!(!matches("*[away]*", "Dan{AWAY}", CaseMapping::Ascii));
        assert!(matches("a^", "A~", CaseMapping::Rfc1459));
        assert!(!matches("a^", "A~", CaseMapping::Rfc1459Strict));
        let m = Mask::new("NICK", CaseMapping::Ascii);
        assert!(m.is_literal());
        assert!(m.matches("nick"));
        assert_eq!(m.to_string(), "nick");
        assert_eq!(m.casemapping(), CaseMapping::Ascii);
    }

    #[test]
    fn many_stars_stay_fast() {
        let subject = "a".repeat(20_000);
        let mask = "*a*a*a*a*a*a*a*a*a*a*b";
        let start = Instant::now();
        assert!(!matches(mask, &subject, CaseMapping::Rfc1459));
        assert!(!Mask::new(mask, CaseMapping::Rfc1459).matches(&subject));
        assert!(matches(
            "*a*a*a*a*a*a*a*a*a*a*",
            &subject,
            CaseMapping::Rfc1459
        ));
        // Quadratic at worst would be 4e8 steps; linear-ish is well under a
        // second even in a debug build.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn nicks() {
        let i = Isupport::parse("NICKLEN=12 CHANTYPES=#& PREFIX=(qov)~@+");
        for ok in [
            "dan",
            "Dan_",
            "[x]",
            "\\o/",
            "a-b",
            "{}|^`",
            "nick123",
            "twelve_chars",
        ] {
            assert!(is_valid_nick(ok, &i), "{ok:?}");
        }
        for bad in [
            "",
            "1dan",
            "-dan",
            "$dan",
            ":dan",
            "#dan",
            "&dan",
            "~dan",
            "@dan",
            "+dan",
            "da n",
            "d,n",
            "d*n",
            "d?n",
            "d!n",
            "d@n",
            "d.n",
            "d\x07n",
            "thirteen_char",
        ] {
            assert!(!is_valid_nick(bad, &i), "{bad:?}");
        }
        // Characters not in this server's PREFIX or CHANTYPES are fine.
        assert!(is_valid_nick("%dan", &i));
    }

    #[test]
    fn channels() {
        let i = Isupport::parse("CHANTYPES=#+ CHANNELLEN=10");
        assert!(is_valid_channel("#", &i));
        assert!(is_valid_channel("+modeless", &i));
        assert!(is_valid_channel("#[]\\:x", &i));
        assert!(!is_valid_channel("&local", &i));
        assert!(!is_valid_channel("#elevenchar", &i));
        assert!(!is_valid_channel("", &i));
        for bad in ["#a b", "#a,b", "#a\x07", "#a\0", "#a\r", "#a\n"] {
            assert!(!is_valid_channel(bad, &i), "{bad:?}");
        }
        assert!(!is_valid_channel("#rust", &Isupport::parse("CHANTYPES=")));
    }

    #[test]
    fn hostname_edges() {
        assert!(is_valid_hostname(&format!("{}.com", "a".repeat(63))));
        assert!(!is_valid_hostname(&format!("{}.com", "a".repeat(64))));
        assert!(!is_valid_hostname(&format!("{}com", "a.".repeat(127))));
        assert!(!is_valid_hostname("example.com."));
        assert!(!is_valid_hostname(".example.com"));
        assert!(!is_valid_hostname("a..b"));
        assert!(!is_valid_hostname("bücher.ch"));
    }

    proptest! {
        #[test]
        fn never_panics(mask in "\\PC{0,16}", subject in "\\PC{0,32}") {
            for cm in CaseMapping::ALL {
                let a = matches(&mask, &subject, cm);
                prop_assert_eq!(a, Mask::new(&mask, cm).matches(&subject));
            }
        }

        #[test]
        fn a_name_matches_itself_and_star(s in "[^*?]{0,24}") {
            prop_assert!(matches(&s, &s, CaseMapping::Rfc1459));
            prop_assert!(matches("*", &s, CaseMapping::Ascii));
            let upper = s.to_ascii_uppercase();
            prop_assert!(matches(&s, &upper, CaseMapping::Ascii));
        }

        #[test]
        fn question_marks_count_characters(s in "\\PC{0,12}") {
            let q = "?".repeat(s.chars().count());
            prop_assert!(matches(&q, &s, CaseMapping::Ascii));
            let more = format!("{q}?");
            prop_assert!(!matches(&more, &s, CaseMapping::Ascii));
        }
    }
}
