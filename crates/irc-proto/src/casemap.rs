//! Case mapping: when two nicknames or channel names are the same name.
//!
//! IRC compares names case-insensitively, but "case" is whatever the server
//! says it is in the `CASEMAPPING` token of `RPL_ISUPPORT`:
//!
//! | token | [`CaseMapping`] | folds (upper -> lower) |
//! | --- | --- | --- |
//! | `ascii` | [`Ascii`](CaseMapping::Ascii) | `A`-`Z` -> `a`-`z` |
//! | `rfc1459` | [`Rfc1459`](CaseMapping::Rfc1459) | as `ascii`, and `[` `]` `\` `^` -> `{` `}` `\|` `~` |
//! | `rfc1459-strict` | [`Rfc1459Strict`](CaseMapping::Rfc1459Strict) | as `ascii`, and `[` `]` `\` -> `{` `}` `\|` |
//!
//! The `rfc1459` rules come from RFC 1459's "Scandinavian" letters: `{}|`
//! are the lower-case forms of `[]\`, and servers extend this to `~` as the
//! lower-case form of `^` (each pair is 32 apart in ASCII, like `A` and `a`;
//! the folded form is the one in the lower half, as the modern IRC client
//! protocol document describes it). Only the pairs matter for comparison:
//! `^` and `~` are the same character under `rfc1459` and different ones
//! under `rfc1459-strict`. When a server advertises no `CASEMAPPING`,
//! `rfc1459` applies ([`CaseMapping::default`]).
//!
//! All three mappings only touch ASCII bytes, so folding never changes the
//! length of a string, never splits a UTF-8 character, and can be done byte
//! by byte. Characters outside ASCII compare as they are.
//!
//! Comparing ([`CaseMapping::equal`], [`CaseMapping::compare`]) never
//! allocates; [`CaseMapping::fold`] only allocates when something changes.
//! For maps keyed by names use [`CaseKey`] (owned: keeps the name as given
//! and orders and hashes by the folded form) or [`CaseKeyRef`] (borrowed,
//! folds on the fly).
//!
//! ```
//! use std::collections::HashMap;
//! use irc_proto::casemap::{CaseKey, CaseMapping};
//!
//! let cm = CaseMapping::Rfc1459;
//! assert!(cm.equal("#Foo[", "#foo{"));
//! assert!(!CaseMapping::Ascii.equal("#Foo[", "#foo{"));
//!
//! let mut topics = HashMap::new();
//! topics.insert(cm.key("#Foo["), "first");
//! topics.insert(cm.key("#foo{"), "second");
//! assert_eq!(topics.len(), 1);
//! assert_eq!(topics[&cm.key("#FOO[")], "second");
//! ```

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The case-folding rules a server uses for nicknames and channel names.
///
/// Parse one from the `CASEMAPPING` token value with [`str::parse`] or
/// [`CaseMapping::from_token`]; the default is [`CaseMapping::Rfc1459`].
///
/// ```
/// use irc_proto::casemap::CaseMapping;
///
/// let cm: CaseMapping = "rfc1459-strict".parse().unwrap();
/// assert_eq!(cm, CaseMapping::Rfc1459Strict);
/// assert_eq!(cm.fold("Nick[^]"), "nick{^}");
/// assert_eq!(CaseMapping::Rfc1459.fold("Nick[^]"), "nick{~}");
/// assert!("rfc7613".parse::<CaseMapping>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case")
)]
#[non_exhaustive]
pub enum CaseMapping {
    /// `ascii`: only `A`-`Z` fold to `a`-`z`.
    Ascii,
    /// `rfc1459`: `A`-`Z` and `[]\^` fold to `a`-`z` and `{}|~`. The default.
    #[default]
    Rfc1459,
    /// `rfc1459-strict`: `A`-`Z` and `[]\` fold to `a`-`z` and `{}|`; `~` and
    /// `^` stay distinct.
    Rfc1459Strict,
}

/// A `CASEMAPPING` value this crate does not know (for example `rfc7613`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("unknown case mapping {name:?}")]
pub struct UnknownCaseMapping {
    /// The name as given.
    pub name: String,
}

impl CaseMapping {
    /// Every mapping this crate knows, in declaration order.
    pub const ALL: [Self; 3] = [Self::Ascii, Self::Rfc1459, Self::Rfc1459Strict];

    /// Reads an ISUPPORT `CASEMAPPING` value: `ascii`, `rfc1459` or
    /// `rfc1459-strict`, ignoring ASCII case.
    ///
    /// # Errors
    ///
    /// [`UnknownCaseMapping`] for any other name. Callers that must go on
    /// anyway usually fall back to [`CaseMapping::default`] (what
    /// [`Isupport::casemapping`](crate::isupport::Isupport::casemapping) does).
    pub fn from_token(name: &str) -> Result<Self, UnknownCaseMapping> {
        Self::ALL
            .into_iter()
            .find(|cm| cm.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownCaseMapping {
                name: name.to_owned(),
            })
    }

    /// The ISUPPORT token value of this mapping.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ascii => "ascii",
            Self::Rfc1459 => "rfc1459",
            Self::Rfc1459Strict => "rfc1459-strict",
        }
    }

    /// Folds one byte to its lower-case form. Bytes outside ASCII are
    /// returned unchanged.
    #[must_use]
    pub const fn fold_byte(self, b: u8) -> u8 {
        match b {
            b'A'..=b'Z' => b + 32,
            b'[' | b']' | b'\\' if !matches!(self, Self::Ascii) => b + 32,
            b'^' if matches!(self, Self::Rfc1459) => b'~',
            _ => b,
        }
    }

    /// Folds one character to its lower-case form; only ASCII characters
    /// can change.
    #[must_use]
    pub const fn fold_char(self, c: char) -> char {
        if c.is_ascii() {
            // The match above maps ASCII to ASCII, so the cast back is exact.
            self.fold_byte(c as u8) as char
        } else {
            c
        }
    }

    /// Whether folding leaves `s` unchanged.
    #[must_use]
    pub fn is_folded(self, s: &str) -> bool {
        s.bytes().all(|b| self.fold_byte(b) == b)
    }

    /// The folded (lower-case) form of `s`; borrows when `s` is already
    /// folded.
    #[must_use]
    pub fn fold(self, s: &str) -> Cow<'_, str> {
        match s.bytes().position(|b| self.fold_byte(b) != b) {
            None => Cow::Borrowed(s),
            Some(first) => {
                let mut out = String::with_capacity(s.len());
                out.push_str(&s[..first]);
                out.extend(s[first..].chars().map(|c| self.fold_char(c)));
                Cow::Owned(out)
            }
        }
    }

    /// Folds `s` in place.
    pub fn fold_in_place(self, s: &mut String) {
        if !self.is_folded(s) {
            let folded: String = s.chars().map(|c| self.fold_char(c)).collect();
            *s = folded;
        }
    }

    /// Whether `a` and `b` are the same name under this mapping; no
    /// allocation.
    #[must_use]
    pub fn equal(self, a: &str, b: &str) -> bool {
        a.len() == b.len()
            && a.bytes()
                .zip(b.bytes())
                .all(|(x, y)| self.fold_byte(x) == self.fold_byte(y))
    }

    /// Orders `a` and `b` by their folded forms (byte order); no allocation.
    /// `compare(a, b) == Ordering::Equal` exactly when `equal(a, b)`.
    #[must_use]
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        let fa = a.bytes().map(|x| self.fold_byte(x));
        let fb = b.bytes().map(|x| self.fold_byte(x));
        fa.cmp(fb)
    }

    /// Whether `s` starts with `prefix` under this mapping.
    #[must_use]
    pub fn starts_with(self, s: &str, prefix: &str) -> bool {
        s.len() >= prefix.len()
            && s.bytes()
                .zip(prefix.bytes())
                .all(|(x, y)| self.fold_byte(x) == self.fold_byte(y))
    }

    /// Feeds the folded form of `s` to `state`, consistently with
    /// [`equal`](Self::equal): equal names hash alike.
    pub fn hash_str<H: Hasher>(self, s: &str, state: &mut H) {
        for b in s.bytes() {
            state.write_u8(self.fold_byte(b));
        }
        // A terminator, as `str` hashes, so that ("ab", "c") and ("a", "bc")
        // differ when hashed in sequence.
        state.write_u8(0xff);
    }

    /// An owned map key for `name` under this mapping.
    #[must_use]
    pub fn key(self, name: &str) -> CaseKey {
        CaseKey::new(name, self)
    }

    /// A borrowed map key for `name` under this mapping.
    #[must_use]
    pub const fn key_ref(self, name: &str) -> CaseKeyRef<'_> {
        CaseKeyRef::new(name, self)
    }
}

impl FromStr for CaseMapping {
    type Err = UnknownCaseMapping;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_token(s)
    }
}

impl fmt::Display for CaseMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An owned name that compares, orders and hashes by its folded form, for
/// use as a `HashMap` or `BTreeMap` key; it still remembers the name as
/// given (for display).
///
/// Two keys are equal when their folded forms are equal, whatever mapping
/// built them; keep one mapping per map (the server's).
///
/// `CaseKey` implements `Borrow<str>` with the **folded** form, so a map can
/// be searched without building a key, given a folded name:
///
/// ```
/// use std::collections::BTreeMap;
/// use irc_proto::casemap::{CaseKey, CaseMapping};
///
/// let cm = CaseMapping::Rfc1459;
/// let mut nicks: BTreeMap<CaseKey, u32> = BTreeMap::new();
/// nicks.insert(cm.key("Dan[away]"), 1);
///
/// let key = nicks.keys().next().unwrap();
/// assert_eq!(key.as_str(), "Dan[away]");
/// assert_eq!(key.folded(), "dan{away}");
/// assert_eq!(nicks.get(cm.fold("DAN{AWAY]").as_ref()), Some(&1));
/// ```
#[derive(Clone)]
pub struct CaseKey {
    /// The name as given, for display.
    original: String,
    /// The folded form, or `None` when it equals `original` (saves a copy
    /// for names that arrive in lower case, the common case).
    folded: Option<String>,
}

impl CaseKey {
    /// Builds a key for `name` under `cm`.
    #[must_use]
    pub fn new(name: impl Into<String>, cm: CaseMapping) -> Self {
        let original = name.into();
        let folded = match cm.fold(&original) {
            Cow::Borrowed(_) => None,
            Cow::Owned(f) => Some(f),
        };
        Self { original, folded }
    }

    /// The name as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The folded form: what equality, order and hashing use.
    #[must_use]
    pub fn folded(&self) -> &str {
        self.folded.as_deref().unwrap_or(&self.original)
    }

    /// The name as given, by value.
    #[must_use]
    pub fn into_string(self) -> String {
        self.original
    }
}

impl PartialEq for CaseKey {
    fn eq(&self, other: &Self) -> bool {
        self.folded() == other.folded()
    }
}

impl Eq for CaseKey {}

impl PartialOrd for CaseKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CaseKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.folded().cmp(other.folded())
    }
}

impl Hash for CaseKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash as `str` does, for `Borrow<str>` lookups.
        self.folded().hash(state);
    }
}

impl Borrow<str> for CaseKey {
    fn borrow(&self) -> &str {
        self.folded()
    }
}

impl fmt::Debug for CaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.original, f)
    }
}

impl fmt::Display for CaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// A borrowed name that compares, orders and hashes by its folded form,
/// folding on the fly: no allocation, ever.
///
/// Two `CaseKeyRef`s are equal when they use the same mapping and their
/// folded forms are equal.
///
/// ```
/// use std::collections::HashSet;
/// use irc_proto::casemap::CaseMapping;
///
/// let cm = CaseMapping::Rfc1459;
/// let seen: HashSet<_> = ["Dan", "DAN", "dan", "Alice"].into_iter().map(|n| cm.key_ref(n)).collect();
/// assert_eq!(seen.len(), 2);
/// assert!(seen.contains(&cm.key_ref("aLiCe")));
/// ```
#[derive(Clone, Copy)]
pub struct CaseKeyRef<'a> {
    name: &'a str,
    cm: CaseMapping,
}

impl<'a> CaseKeyRef<'a> {
    /// Wraps `name` under `cm`.
    #[must_use]
    pub const fn new(name: &'a str, cm: CaseMapping) -> Self {
        Self { name, cm }
    }

    /// The name as given.
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        self.name
    }

    /// The mapping this key folds with.
    #[must_use]
    pub const fn casemapping(&self) -> CaseMapping {
        self.cm
    }

    /// An owned [`CaseKey`] for the same name.
    #[must_use]
    pub fn to_key(&self) -> CaseKey {
        CaseKey::new(self.name, self.cm)
    }
}

impl PartialEq for CaseKeyRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cm == other.cm && self.cm.equal(self.name, other.name)
    }
}

impl Eq for CaseKeyRef<'_> {}

impl PartialOrd for CaseKeyRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CaseKeyRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let fa = self.name.bytes().map(|b| self.cm.fold_byte(b));
        let fb = other.name.bytes().map(|b| other.cm.fold_byte(b));
        fa.cmp(fb).then(self.cm.cmp(&other.cm))
    }
}

impl Hash for CaseKeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cm.hash_str(self.name, state);
    }
}

impl fmt::Debug for CaseKeyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.name, f)
    }
}

impl fmt::Display for CaseKeyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn token_names_round_trip() {
        for cm in CaseMapping::ALL {
            assert_eq!(CaseMapping::from_token(cm.name()), Ok(cm));
            assert_eq!(cm.to_string().parse::<CaseMapping>(), Ok(cm));
        }
        assert_eq!("RFC1459".parse::<CaseMapping>(), Ok(CaseMapping::Rfc1459));
        let err = "rfc3454".parse::<CaseMapping>().unwrap_err();
        assert_eq!(err.name, "rfc3454");
        assert_eq!(CaseMapping::default(), CaseMapping::Rfc1459);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_token_names() {
        for cm in CaseMapping::ALL {
            let json = serde_json::to_string(&cm).unwrap();
            assert_eq!(json, format!("\"{}\"", cm.name()));
            assert_eq!(serde_json::from_str::<CaseMapping>(&json).unwrap(), cm);
        }
    }

    #[test]
    fn folding_tables() {
        let upper = "ABCXYZ[]\\~^{}|";
        assert_eq!(CaseMapping::Ascii.fold(upper), "abcxyz[]\\~^{}|");
        assert_eq!(CaseMapping::Rfc1459.fold(upper), "abcxyz{}|~~{}|");
        assert_eq!(CaseMapping::Rfc1459Strict.fold(upper), "abcxyz{}|~^{}|");
        // Non-ASCII is left alone, and the result stays valid text.
        assert_eq!(CaseMapping::Rfc1459.fold("ÉCOLE[é]"), "École{é}");
    }

    #[test]
    fn fold_borrows_when_unchanged() {
        assert!(matches!(
            CaseMapping::Rfc1459.fold("#rust"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(CaseMapping::Rfc1459.fold("#Rust"), Cow::Owned(_)));
        let mut s = String::from("#Foo[");
        CaseMapping::Rfc1459.fold_in_place(&mut s);
        assert_eq!(s, "#foo{");
    }

    #[test]
    fn channel_names_under_each_mapping() {
        assert!(CaseMapping::Rfc1459.equal("#Foo[", "#foo{"));
        assert!(CaseMapping::Rfc1459Strict.equal("#Foo[", "#foo{"));
        assert!(!CaseMapping::Ascii.equal("#Foo[", "#foo{"));
        assert!(CaseMapping::Rfc1459.equal("a~", "A^"));
        assert!(!CaseMapping::Rfc1459Strict.equal("a~", "A^"));
        assert!(!CaseMapping::Rfc1459.equal("abc", "abcd"));
        assert!(CaseMapping::Ascii.starts_with("#Rust-Lang", "#rust"));
        assert!(!CaseMapping::Ascii.starts_with("#ru", "#rust"));
    }

    #[test]
    fn keys_unify_map_entries() {
        use std::collections::{BTreeMap, HashMap};
        let cm = CaseMapping::Rfc1459;
        let mut h = HashMap::new();
        h.insert(cm.key("#Foo["), 1);
        h.insert(cm.key("#foo{"), 2);
        assert_eq!(h.len(), 1);
        assert_eq!(h.get("#foo{"), Some(&2));
        let mut b = BTreeMap::new();
        b.insert(cm.key("B"), ());
        b.insert(cm.key("a"), ());
        b.insert(cm.key("A"), ());
        let names: Vec<_> = b.keys().map(CaseKey::as_str).collect();
        assert_eq!(names, ["a", "B"]);
        assert_eq!(format!("{:?}", cm.key("Dan")), "\"Dan\"");
        assert_eq!(cm.key_ref("Dan").to_key(), cm.key("dAN"));
    }

    #[test]
    fn key_refs_with_different_mappings_differ() {
        let a = CaseKeyRef::new("x", CaseMapping::Ascii);
        let b = CaseKeyRef::new("x", CaseMapping::Rfc1459);
        assert_ne!(a, b);
        assert_ne!(a.cmp(&b), Ordering::Equal);
    }

    fn mapping() -> impl Strategy<Value = CaseMapping> {
        prop::sample::select(CaseMapping::ALL.to_vec())
    }

    /// Strings biased towards the characters the mappings care about.
    fn name() -> impl Strategy<Value = String> {
        prop::string::string_regex("[aAzZ\\[\\]{}|\\\\~^é#-]{0,8}").expect("valid regex")
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(cm in mapping(), s in any::<String>()) {
            let once = cm.fold(&s).into_owned();
            let twice = cm.fold(&once);
            prop_assert_eq!(twice.as_ref(), once.as_str());
            prop_assert!(cm.is_folded(&once));
            prop_assert_eq!(once.len(), s.len());
        }

        #[test]
        fn equal_iff_folds_equal(cm in mapping(), a in name(), b in name()) {
            let by_fold = cm.fold(&a) == cm.fold(&b);
            prop_assert_eq!(cm.equal(&a, &b), by_fold);
            prop_assert_eq!(cm.compare(&a, &b) == Ordering::Equal, by_fold);
            prop_assert_eq!(cm.compare(&a, &b), cm.fold(&a).as_ref().cmp(cm.fold(&b).as_ref()));
            prop_assert_eq!(cm.key(&a) == cm.key(&b), by_fold);
            prop_assert_eq!(cm.key_ref(&a) == cm.key_ref(&b), by_fold);
            prop_assert_eq!(cm.key(&a).cmp(&cm.key(&b)), cm.key_ref(&a).cmp(&cm.key_ref(&b)));
        }

        #[test]
        fn hash_agrees_with_eq(cm in mapping(), a in name(), b in name()) {
            if cm.equal(&a, &b) {
                prop_assert_eq!(hash_of(&cm.key(&a)), hash_of(&cm.key(&b)));
                prop_assert_eq!(hash_of(&cm.key_ref(&a)), hash_of(&cm.key_ref(&b)));
                // Borrow<str> contract: the key hashes as its folded str.
                prop_assert_eq!(hash_of(&cm.key(&a)), hash_of(cm.fold(&b).as_ref()));
            }
        }
    }
}
