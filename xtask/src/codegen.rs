//! `cargo xtask codegen`: generated sources.
//!
//! Today one file: `crates/irc-proto/src/numeric.rs`, every IRC numeric by
//! name, generated from the vendored ircdocs data in
//! `crates/irc-proto/data/irc-defs/numerics.yaml` (public domain; its README
//! says where it comes from).
//!
//! `cargo xtask codegen` rewrites the file when it is stale;
//! `cargo xtask codegen --check` only says whether it is, and so does the
//! freshness test at the end of this module, which `cargo test` runs.
//!
//! # The clash rule
//!
//! The data has several entries for some numbers (`005` is both the obsolete
//! `RPL_BOUNCE` of RFC 2812 and `RPL_ISUPPORT`) and several numbers for some
//! names (`RPL_MAP` is `006`, `015` and `357`). Entries are ranked, best first:
//!
//! 1. an entry marked neither `obsolete` nor `conflict`, before one that is;
//! 2. by origin: RFC 2812, then RFC 1459, then IRCv3 (an origin that names
//!    IRCv3 among others counts as IRCv3), then everything else;
//! 3. by position in the file.
//!
//! Number -> name: the names of a number are listed best first, and the first
//! is its preferred name. Name -> number: every (name, number) pair is kept,
//! numbers best first, and the first is the name's preferred number, the value
//! of its associated constant.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
// yaml-rust2: a maintained, pure-Rust YAML 1.2 loader that reads the data as
// a plain document tree (no serde derive needed for one file). Only xtask
// depends on it; the generated module is plain Rust and irc-proto stays free
// of any YAML crate.
use yaml_rust2::YamlLoader;

use crate::project_root;

/// The data, relative to the workspace root.
const NUMERICS_YAML: &str = "crates/irc-proto/data/irc-defs/numerics.yaml";
/// The generated module, relative to the workspace root.
const NUMERIC_RS: &str = "crates/irc-proto/src/numeric.rs";

pub(crate) fn run(args: &[String]) -> Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => bail!("usage: cargo xtask codegen [--check]"),
    };
    let root = project_root();
    let want = generate(&root)?;
    let path = root.join(NUMERIC_RS);
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have == want {
        println!("{NUMERIC_RS} is up to date");
        return Ok(());
    }
    if check {
        bail!("{NUMERIC_RS} is stale: run `cargo xtask codegen`");
    }
    std::fs::write(&path, want).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {NUMERIC_RS}");
    Ok(())
}

/// One entry of `numerics.yaml`, with what the generator uses of it.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    code: u16,
    origin: Option<String>,
    format: Option<String>,
    /// `obsolete` or `conflict`: ranked after the clean entries.
    flagged: bool,
    obsolete: bool,
    /// Position in the file: the last tie-breaker.
    index: usize,
}

impl Entry {
    /// The clash-rule rank: lower is preferred.
    fn rank(&self) -> (bool, u8, usize) {
        let origin = self.origin.as_deref().unwrap_or("");
        let by_origin = if origin.contains("RFC2812") {
            0
        } else if origin.contains("RFC1459") {
            1
        } else if origin.contains("IRCv3") {
            2
        } else {
            3
        };
        (self.flagged, by_origin, self.index)
    }
}

/// The generated `numeric.rs`, formatted.
fn generate(root: &Path) -> Result<String> {
    let yaml_path = root.join(NUMERICS_YAML);
    let yaml = std::fs::read_to_string(&yaml_path)
        .with_context(|| format!("reading {}", yaml_path.display()))?;
    let (revision, entries) = read_entries(&yaml)?;
    let source = render(&revision, &entries)?;
    rustfmt(root, &source)
}

/// Reads the entries of `numerics.yaml` and the file's revision.
fn read_entries(yaml: &str) -> Result<(String, Vec<Entry>)> {
    let docs = YamlLoader::load_from_str(yaml).context("parsing numerics.yaml")?;
    let doc = docs.first().context("numerics.yaml is empty")?;
    let revision = doc["file"]["revision"]
        .as_str()
        .context("numerics.yaml has no file.revision")?
        .to_owned();
    let values = doc["values"]
        .as_vec()
        .context("numerics.yaml has no `values` list")?;
    let mut entries = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let name = value["name"]
            .as_str()
            .with_context(|| format!("entry {index} has no name"))?
            .to_owned();
        ensure!(
            name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "entry {index}: name {name:?} is not an upper-case identifier"
        );
        let numeric = value["numeric"]
            .as_str()
            .with_context(|| format!("entry {index} ({name}) has no numeric string"))?;
        ensure!(
            numeric.len() == 3 && numeric.bytes().all(|b| b.is_ascii_digit()),
            "entry {index} ({name}): numeric {numeric:?} is not three digits"
        );
        let code: u16 = numeric.parse()?;
        let flag = |key: &str| value[key].as_bool().unwrap_or(false);
        let text = |key: &str| {
            value[key]
                .as_str()
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|s| !s.is_empty())
        };
        entries.push(Entry {
            code,
            origin: text("origin"),
            format: text("format"),
            flagged: flag("obsolete") || flag("conflict"),
            obsolete: flag("obsolete"),
            index,
            name,
        });
    }
    ensure!(!entries.is_empty(), "numerics.yaml lists no numeric");
    Ok((revision, entries))
}

/// `text` as an inline code span that survives any backticks in it.
fn code_span(text: &str) -> String {
    let fence = if text.contains('`') { "``" } else { "`" };
    format!("{fence}{text}{fence}")
}

/// Plain prose for rustdoc: characters that markdown or rustdoc would read as
/// markup are left out of origins (they only hold words, commas and `?`).
fn prose(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '<' | '>' | '[' | ']' | '`' | '*' | '_'))
        .collect()
}

/// The Rust source of `numeric.rs`, not yet formatted.
fn render(revision: &str, entries: &[Entry]) -> Result<String> {
    // Name -> entries and code -> entries, each list ranked best first with
    // one entry per (name, code) pair.
    let mut by_name: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    let mut by_code: BTreeMap<u16, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        by_name.entry(&e.name).or_default().push(e);
        by_code.entry(e.code).or_default().push(e);
    }
    for list in by_name.values_mut().chain(by_code.values_mut()) {
        list.sort_by_key(|e| e.rank());
        let mut seen = Vec::new();
        list.retain(|e| {
            let pair = (e.name.as_str(), e.code);
            let fresh = !seen.contains(&pair);
            seen.push(pair);
            fresh
        });
    }

    let mut out = String::new();
    out.push_str(&HEADER.replace("{REVISION}", revision));
    out.push_str(LOGIC);

    // The associated constants, one per name, with the preferred number.
    out.push_str("\nimpl Numeric {\n");
    for (name, list) in &by_name {
        let best = list[0];
        let mut doc = format!("`{:03}`", best.code);
        if let Some(origin) = &best.origin {
            let _ = write!(doc, " ({})", prose(origin));
        }
        if best.obsolete {
            doc.push_str(", obsolete");
        }
        if let Some(format) = &best.format {
            let _ = write!(doc, ": {}", code_span(format));
        }
        writeln!(out, "    /// {doc}.")?;
        if list.len() > 1 {
            let others: Vec<String> = list[1..]
                .iter()
                .map(|e| format!("`{:03}`", e.code))
                .collect();
            writeln!(out, "    ///")?;
            writeln!(
                out,
                "    /// Also listed as {}: see [`Numeric::numbers_for`].",
                others.join(", ")
            )?;
        }
        let siblings: Vec<String> = by_code[&best.code]
            .iter()
            .filter(|e| e.name != *name)
            .map(|e| format!("`{}`", e.name))
            .collect();
        if !siblings.is_empty() {
            writeln!(out, "    ///")?;
            writeln!(
                out,
                "    /// Other names of `{:03}`: {}.",
                best.code,
                siblings.join(", ")
            )?;
        }
        writeln!(out, "    pub const {name}: Self = Self({});", best.code)?;
    }
    out.push_str("}\n");

    // Name -> numbers.
    writeln!(
        out,
        "\n/// Every known name, sorted, with its numbers, the preferred one first.\n\
         static BY_NAME: [(&str, &[Numeric]); {}] = [",
        by_name.len()
    )?;
    for (name, list) in &by_name {
        let numbers: Vec<String> = list
            .iter()
            .map(|e| format!("Numeric({})", e.code))
            .collect();
        writeln!(out, "    (\"{name}\", &[{}]),", numbers.join(", "))?;
    }
    out.push_str("];\n");

    // Code -> names.
    writeln!(
        out,
        "\n/// Every known number, ascending, with its names, the preferred one first.\n\
         static BY_CODE: [(u16, &[&str]); {}] = [",
        by_code.len()
    )?;
    for (code, list) in &by_code {
        let names: Vec<String> = list.iter().map(|e| format!("\"{}\"", e.name)).collect();
        writeln!(out, "    ({code}, &[{}]),", names.join(", "))?;
    }
    out.push_str("];\n");
    out.push_str(TESTS);
    Ok(out)
}

/// Runs rustfmt over `source` with the workspace's configuration.
fn rustfmt(root: &Path, source: &str) -> Result<String> {
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(rustfmt)
        .current_dir(root)
        .args(["--edition", "2024", "--emit", "stdout", "--config-path"])
        .arg(root.join("rustfmt.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (is the rustfmt component installed?)")?;
    let mut stdin = child.stdin.take().context("rustfmt stdin")?;
    let input = source.to_owned();
    // Write from another thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().context("waiting for rustfmt")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("rustfmt writer thread panicked"))?
        .context("writing to rustfmt")?;
    ensure!(
        output.status.success(),
        "rustfmt failed on the generated source: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).context("rustfmt output is not UTF-8")
}

/// The start of the generated file: the do-not-edit note and the module docs.
const HEADER: &str = r#"// @generated by `cargo xtask codegen` from
// crates/irc-proto/data/irc-defs/numerics.yaml (ircdocs irc-defs, revision
// {REVISION}). Do not edit this file by hand: change the data or the generator
// (xtask/src/codegen.rs) and run `cargo xtask codegen`. A test fails while
// this file is stale.

//! Every IRC numeric reply by name: [`Numeric`] <-> `"001"` <-> `RPL_WELCOME`.
//!
//! A numeric is a three-digit command a server sends (`001` to `999`). The
//! names come from the ircdocs irc-defs list, which gathers the numerics of
//! the RFCs, IRCv3 and the servers in use. [`Numeric`] is a number, not a
//! closed enum: a server may send a numeric no list knows, and two lists may
//! give one number different meanings, so any `000`..`999` is a `Numeric`,
//! and the names are associated constants and lookups on top.
//!
//! ```
//! use irc_proto::{Message, Numeric};
//!
//! assert_eq!(Numeric::RPL_WELCOME.as_str(), "001");
//! assert_eq!(Numeric::from_name("ERR_NICKNAMEINUSE"), Some(Numeric::ERR_NICKNAMEINUSE));
//! assert_eq!(Numeric::from_code(433).and_then(Numeric::name), Some("ERR_NICKNAMEINUSE"));
//! assert_eq!("376".parse::<Numeric>(), Ok(Numeric::RPL_ENDOFMOTD));
//! assert_eq!("RPL_ENDOFMOTD".parse::<Numeric>(), Ok(Numeric::RPL_ENDOFMOTD));
//!
//! let msg = Message::parse(":irc.example.net 005 dan CHANTYPES=# :are supported").unwrap();
//! assert_eq!(Numeric::of(&msg), Some(Numeric::RPL_ISUPPORT));
//! ```
//!
//! # Clashes
//!
//! Some numbers have several entries (`005` is the obsolete `RPL_BOUNCE` of
//! RFC 2812 and the `RPL_ISUPPORT` every server sends) and some names have
//! several numbers (`RPL_MAP` is `006`, `015` and `357`). The entries are
//! ranked, best first:
//!
//! 1. an entry marked neither obsolete nor conflicting, before one that is;
//! 2. by origin: RFC 2812, then RFC 1459, then IRCv3 (an origin naming IRCv3
//!    among others counts as IRCv3), then any other;
//! 3. by position in the list.
//!
//! Number -> name: [`Numeric::names`] lists every name of a number, best
//! first, and [`Numeric::name`] is the first of them. Name -> number: every
//! (name, number) pair is kept, so [`Numeric::from_name`] knows every name and
//! [`Numeric::numbers_for`] lists all its numbers, best first; the first is the
//! value of the name's constant (`Numeric::RPL_BOUNCE` is `010`, yet
//! `numbers_for("RPL_BOUNCE")` also holds `005`).

"#;

/// The hand-written part of the generated file: the type and its lookups.
const LOGIC: &str = r#"
use std::fmt;
use std::str::FromStr;

use crate::message::{Message, MessageBuf};

/// A numeric reply code, `000` to `999`.
///
/// Known numerics have names, as associated constants (`Numeric::RPL_WELCOME`)
/// and through [`Numeric::from_name`] and [`Numeric::name`]; a code no list
/// knows is a `Numeric` too, without a name. [`Display`](fmt::Display) writes
/// the preferred name, or the three digits of an unknown code;
/// [`Numeric::as_str`] is always the three digits of the wire.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Numeric(u16);

/// A string that is neither three digits nor a known numeric name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("not a numeric: neither three digits nor a known numeric name")]
pub struct UnknownNumeric;

/// `"000"` to `"999"`, back to back, so that [`Numeric::as_str`] can hand out
/// static slices.
static DIGITS: [u8; 3000] = digits();

const fn digits() -> [u8; 3000] {
    let mut out = [0; 3000];
    let mut i = 0;
    while i < 1000 {
        out[i * 3] = b'0' + (i / 100) as u8;
        out[i * 3 + 1] = b'0' + (i / 10 % 10) as u8;
        out[i * 3 + 2] = b'0' + (i % 10) as u8;
        i += 1;
    }
    out
}

impl Numeric {
    /// The numeric with this code, known or not; `None` above 999.
    ///
    /// ```
    /// use irc_proto::Numeric;
    /// assert_eq!(Numeric::from_code(1), Some(Numeric::RPL_WELCOME));
    /// assert_eq!(Numeric::from_code(1000), None);
    /// ```
    #[must_use]
    pub const fn from_code(code: u16) -> Option<Self> {
        if code <= 999 { Some(Self(code)) } else { None }
    }

    /// The numeric written as exactly three ASCII digits, as on the wire.
    ///
    /// ```
    /// use irc_proto::Numeric;
    /// assert_eq!(Numeric::from_digits("005"), Some(Numeric::RPL_ISUPPORT));
    /// assert_eq!(Numeric::from_digits("5"), None);
    /// ```
    #[must_use]
    pub fn from_digits(digits: &str) -> Option<Self> {
        let b = digits.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_digit) {
            Some(Self(b.iter().fold(0, |n, d| n * 10 + u16::from(d - b'0'))))
        } else {
            None
        }
    }

    /// The preferred number of a name (ASCII case ignored), `None` for a name
    /// no list knows. See the [module docs](self) for which number is
    /// preferred when a name has several.
    ///
    /// ```
    /// use irc_proto::Numeric;
    /// assert_eq!(Numeric::from_name("RPL_WELCOME"), Numeric::from_code(1));
    /// assert_eq!(Numeric::from_name("rpl_isupport"), Numeric::from_code(5));
    /// assert_eq!(Numeric::from_name("RPL_NOPE"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::numbers_for(name).first().copied()
    }

    /// Every number of a name (ASCII case ignored), the preferred one first;
    /// empty for a name no list knows.
    ///
    /// ```
    /// use irc_proto::Numeric;
    /// let codes: Vec<u16> = Numeric::numbers_for("RPL_BOUNCE").iter().map(|n| n.code()).collect();
    /// assert_eq!(codes, [10, 5]);
    /// ```
    #[must_use]
    pub fn numbers_for(name: &str) -> &'static [Self] {
        BY_NAME
            .binary_search_by(|(known, _)| {
                known
                    .bytes()
                    .cmp(name.bytes().map(|b| b.to_ascii_uppercase()))
            })
            .map_or(&[], |i| BY_NAME[i].1)
    }

    /// The numeric of a parsed message, when its command is three digits.
    #[must_use]
    pub fn of(message: &Message<'_>) -> Option<Self> {
        message.numeric().and_then(Self::from_code)
    }

    /// The numeric of an owned message, when its command is three digits.
    #[must_use]
    pub fn of_buf(message: &MessageBuf) -> Option<Self> {
        Self::from_digits(&message.command)
    }

    /// The code, `0` to `999`.
    #[must_use]
    pub const fn code(self) -> u16 {
        self.0
    }

    /// The three digits of the wire, `"001"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        let at = usize::from(self.0) * 3;
        DIGITS
            .get(at..at + 3)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("000")
    }

    /// The preferred name, `None` for a code no list knows.
    ///
    /// ```
    /// use irc_proto::Numeric;
    /// assert_eq!(Numeric::RPL_ISUPPORT.name(), Some("RPL_ISUPPORT"));
    /// assert_eq!(Numeric::from_code(0).and_then(Numeric::name), None);
    /// ```
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        self.names().first().copied()
    }

    /// Every name of this code, the preferred one first.
    ///
    /// ```
    /// use irc_proto::Numeric;
    /// assert_eq!(Numeric::RPL_ISUPPORT.names(), ["RPL_ISUPPORT", "RPL_BOUNCE"]);
    /// ```
    #[must_use]
    pub fn names(self) -> &'static [&'static str] {
        BY_CODE
            .binary_search_by_key(&self.0, |(code, _)| *code)
            .map_or(&[], |i| BY_CODE[i].1)
    }

    /// Whether any list knows this code.
    #[must_use]
    pub fn is_known(self) -> bool {
        !self.names().is_empty()
    }

    /// Every known name, sorted.
    pub fn all_names() -> impl ExactSizeIterator<Item = &'static str> {
        BY_NAME.iter().map(|(name, _)| *name)
    }

    /// Every known numeric, ascending.
    pub fn all_known() -> impl ExactSizeIterator<Item = Self> {
        BY_CODE.iter().map(|(code, _)| Self(*code))
    }
}

impl FromStr for Numeric {
    type Err = UnknownNumeric;

    /// Three digits (`"001"`) or a known name (`"RPL_WELCOME"`, any ASCII case).
    fn from_str(s: &str) -> Result<Self, UnknownNumeric> {
        Self::from_digits(s)
            .or_else(|| Self::from_name(s))
            .ok_or(UnknownNumeric)
    }
}

impl From<Numeric> for u16 {
    fn from(n: Numeric) -> Self {
        n.0
    }
}

impl fmt::Display for Numeric {
    /// The preferred name, or the three digits of a code no list knows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().unwrap_or_else(|| self.as_str()))
    }
}

impl fmt::Debug for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Numeric({} {name})", self.as_str()),
            None => write!(f, "Numeric({})", self.as_str()),
        }
    }
}


"#;

/// The tests of the generated file, at its end.
const TESTS: &str = r#"
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_pairs() {
        for (name, code) in [
            ("RPL_WELCOME", 1),
            ("RPL_ISUPPORT", 5),
            ("ERR_NICKNAMEINUSE", 433),
            ("RPL_SASLSUCCESS", 903),
            ("RPL_ENDOFMOTD", 376),
        ] {
            let n = Numeric::from_name(name).unwrap();
            assert_eq!(n.code(), code, "{name}");
            assert_eq!(Numeric::from_code(code).unwrap().name(), Some(name));
            assert_eq!(n.as_str(), format!("{code:03}"));
            assert_eq!(n.to_string(), name);
            assert_eq!(n.as_str().parse::<Numeric>(), Ok(n));
        }
        assert_eq!(Numeric::RPL_WELCOME.code(), 1);
        assert_eq!(Numeric::RPL_ISUPPORT.code(), 5);
        assert_eq!(Numeric::ERR_NICKNAMEINUSE.code(), 433);
        assert_eq!(Numeric::RPL_SASLSUCCESS.code(), 903);
        assert_eq!(Numeric::RPL_ENDOFMOTD.code(), 376);
    }

    #[test]
    fn every_name_resolves_to_a_number_that_knows_it() {
        assert!(Numeric::all_names().len() > 600);
        for name in Numeric::all_names() {
            let numbers = Numeric::numbers_for(name);
            assert!(!numbers.is_empty(), "{name}");
            assert_eq!(Numeric::from_name(name), Some(numbers[0]));
            assert_eq!(Numeric::from_name(&name.to_ascii_lowercase()), Some(numbers[0]));
            for n in numbers {
                assert!(n.names().contains(&name), "{name} {n:?}");
            }
        }
    }

    #[test]
    fn every_code_prefers_a_name_that_maps_back() {
        assert!(Numeric::all_known().len() > 490);
        for n in Numeric::all_known() {
            let name = n.name().unwrap();
            assert!(Numeric::numbers_for(name).contains(&n), "{n:?}");
            assert_eq!(Numeric::from_digits(n.as_str()), Some(n));
        }
    }

    #[test]
    fn digits_and_unknown_codes() {
        for code in 0..=999 {
            let n = Numeric::from_code(code).unwrap();
            assert_eq!(n.as_str(), format!("{code:03}"));
            assert_eq!(n.as_str().parse::<Numeric>(), Ok(n));
        }
        let unknown = Numeric::from_code(0).unwrap();
        assert!(!unknown.is_known());
        assert_eq!(unknown.name(), None);
        assert_eq!(unknown.to_string(), "000");
        assert_eq!(format!("{unknown:?}"), "Numeric(000)");
        assert_eq!(format!("{:?}", Numeric::RPL_WELCOME), "Numeric(001 RPL_WELCOME)");
        for bad in ["", "1", "0001", "1a2", "RPL_NOPE", " 001"] {
            assert_eq!(bad.parse::<Numeric>(), Err(UnknownNumeric), "{bad:?}");
        }
        assert_eq!(Numeric::from_code(1000), None);
    }

    #[test]
    fn clash_rule() {
        // 005: the obsolete RFC 2812 RPL_BOUNCE ranks after RPL_ISUPPORT.
        assert_eq!(Numeric::from_code(5).unwrap().names()[0], "RPL_ISUPPORT");
        // A name under several numbers keeps them all.
        let map: Vec<u16> = Numeric::numbers_for("RPL_MAP").iter().map(|n| n.code()).collect();
        assert!(map.len() >= 3 && map.contains(&6) && map.contains(&15) && map.contains(&357));
        assert_eq!(Numeric::RPL_MAP.code(), map[0]);
    }

    #[test]
    fn of_messages() {
        let m = Message::parse(":srv 433 * dan :Nickname is already in use").unwrap();
        assert_eq!(Numeric::of(&m), Some(Numeric::ERR_NICKNAMEINUSE));
        let m = Message::parse("PRIVMSG #c :hi").unwrap();
        assert_eq!(Numeric::of(&m), None);
        let b = MessageBuf::new("903").with_param("dan");
        assert_eq!(Numeric::of_buf(&b), Some(Numeric::RPL_SASLSUCCESS));
        assert_eq!(Numeric::of_buf(&MessageBuf::new("NICK")), None);
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in `numeric.rs` is what the generator writes today.
    #[test]
    fn numeric_rs_is_fresh() {
        let root = project_root();
        let want = generate(&root).expect("generating numeric.rs");
        let have = std::fs::read_to_string(root.join(NUMERIC_RS)).unwrap_or_default();
        assert!(
            have == want,
            "{NUMERIC_RS} is stale: run `cargo xtask codegen`"
        );
    }

    #[test]
    fn clash_rule_ranks() {
        let entry = |origin: Option<&str>, flagged, index| Entry {
            name: "RPL_X".into(),
            code: 1,
            origin: origin.map(str::to_owned),
            format: None,
            flagged,
            obsolete: flagged,
            index,
        };
        let mut list = [
            entry(Some("Unreal"), false, 0),
            entry(Some("RFC2812"), true, 1),
            entry(Some("Charybdis/Atheme, IRCv3"), false, 2),
            entry(Some("RFC1459"), false, 3),
            entry(None, false, 4),
            entry(Some("RFC2812"), false, 5),
        ];
        list.sort_by_key(Entry::rank);
        let order: Vec<usize> = list.iter().map(|e| e.index).collect();
        assert_eq!(order, [5, 3, 2, 0, 4, 1]);
    }

    #[test]
    fn doc_text_is_inert() {
        assert_eq!(code_span("<client> :hi"), "`<client> :hi`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(prose("Unreal? <x> [y]"), "Unreal? x y");
    }
}
