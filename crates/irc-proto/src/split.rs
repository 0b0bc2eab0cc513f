//! Splitting long text into PRIVMSG, NOTICE or CTCP ACTION lines that fit
//! once the server relays them.
//!
//! A line is at most 512 bytes with its CRLF (RFC 2812 section 2.3). What we
//! send is `PRIVMSG target :text`, but what the other users receive is
//! `:nick!user@host PRIVMSG target :text`: the server adds our full source,
//! and cuts whatever no longer fits. So each piece is sized for the relayed
//! line, which needs our source: either [`Prefix::Known`] (the server told
//! us, e.g. in RPL_WELCOME or a CHGHOST) or [`Prefix::Estimate`] from the
//! ISUPPORT limits.
//!
//! # The estimate
//!
//! `:` + nick + `!` + `~` + user + `@` + host + space, each part at the
//! longest the network allows. Sopel's `safe_text_length` counts the same
//! parts, with its own nick and user length (user capped by USERLEN, 9 when
//! unknown), one byte for the `~` of a user without ident, and 63 bytes of
//! host. The defaults here, for a network that announces no limits, are a
//! little more generous, so that the estimate holds for any nick we may be
//! given: [`DEFAULT_NICKLEN`] 30 (a common NICKLEN default; many networks
//! use less), [`DEFAULT_USERLEN`] 10 (RFC 2812's 9 plus one, a common
//! USERLEN) and [`DEFAULT_HOSTLEN`] 63 (the HOSTLEN of most ircds). That is
//! 108 bytes of prefix. An ISUPPORT USERLEN that already counts the `~` only
//! makes the estimate one byte safer. Pass the ISUPPORT values when the
//! server sends them, or the real source once known.
//!
//! # How the text is cut
//!
//! - Newlines (`\n`, `\r\n`, `\r`) end a line: each becomes a new message.
//!   An empty line is skipped by default, or sent as a single space with
//!   [`EmptyLines::Space`] (IRC cannot send an empty text). NUL bytes cannot
//!   be sent at all and are dropped.
//! - Within a line, the cut is at the last space that fits, and that one
//!   space is not sent (it becomes the line break). A word longer than a
//!   line is cut between grapheme clusters, and a grapheme cluster longer
//!   than a line (a long run of combining marks) between characters. A
//!   UTF-8 character is never cut.
//! - A formatting code (`\x02`, `\x0304,12`, ...) is never cut, and the
//!   formatting in force at a cut is opened again at the start of the next
//!   piece (see [`Style::to_codes`](crate::format::Style::to_codes)), so bold
//!   or colour carries on. When even a single grapheme barely fits, the
//!   carried codes are left out of that piece rather than the text.
//! - For [`MessageKind::Action`] every piece is framed `\x01ACTION ...\x01`.
//! - With `max_lines`, the last allowed piece ends with [`ELLIPSIS`] when text
//!   had to be left out; it still fits.
//!
//! Nothing else is lost: joining the pieces, with the carried codes and the
//! ACTION framing taken off and a space put back at the cuts made at a space,
//! gives the input back.
//!
//! Grapheme clusters come from the `unicode-segmentation` crate (extended
//! grapheme clusters of UAX #29): cutting between them keeps an emoji with
//! its skin tone or ZWJ sequence, and a letter with its accents, on one line,
//! which the standard library cannot tell.
//!
//! ```
//! use irc_proto::split::{self, MessageKind, Prefix, SplitOptions};
//!
//! let opts = SplitOptions { prefix: Prefix::Known("bot!~bot@example.org".into()), ..SplitOptions::default() };
//! let text = "lorem ipsum ".repeat(100);
//! let pieces = split::split(MessageKind::Privmsg, "#rust", &text, &opts)?;
//! assert_eq!(pieces.len(), 3);
//! for piece in &pieces {
//!     // What the server relays fits in 512 bytes.
//!     let relayed = format!(":bot!~bot@example.org PRIVMSG #rust :{piece}\r\n");
//!     assert!(relayed.len() <= 512);
//! }
//!
//! let actions = split::split(MessageKind::Action, "#rust", "waves\nand bows", &opts)?;
//! assert_eq!(actions, ["\x01ACTION waves\x01", "\x01ACTION and bows\x01"]);
//! # Ok::<(), split::SplitError>(())
//! ```

use std::borrow::Cow;
use std::num::NonZeroUsize;

use unicode_segmentation::UnicodeSegmentation;

use crate::format::{self, Style, Token};
use crate::message::MessageBuf;
use crate::pack::floor_char_boundary;

/// What ends the last piece when `max_lines` left text out.
pub const ELLIPSIS: &str = "…";

/// A line on the wire, CRLF included (RFC 2812 section 2.3).
pub const LINE_LEN: usize = 512;

/// NICKLEN assumed when the network does not announce it.
pub const DEFAULT_NICKLEN: usize = 30;
/// USERLEN assumed when the network does not announce it.
pub const DEFAULT_USERLEN: usize = 10;
/// HOSTLEN assumed when the network does not announce it.
pub const DEFAULT_HOSTLEN: usize = 63;

/// The smallest room for the text of one piece this module accepts: enough
/// for the longest formatting code (14 bytes) and any character, even on the
/// last line with its ellipsis.
pub const MIN_TEXT_BUDGET: usize = 20;

const ACTION_OPEN: &str = "\x01ACTION ";
const ACTION_CLOSE: &str = "\x01";

/// Which message carries the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MessageKind {
    /// `PRIVMSG target :text`.
    #[default]
    Privmsg,
    /// `NOTICE target :text`.
    Notice,
    /// `PRIVMSG target :\x01ACTION text\x01` (a `/me`).
    Action,
}

impl MessageKind {
    /// The IRC command: `PRIVMSG` or `NOTICE`.
    #[must_use]
    pub const fn command(self) -> &'static str {
        match self {
            Self::Privmsg | Self::Action => "PRIVMSG",
            Self::Notice => "NOTICE",
        }
    }

    /// Bytes of framing around the text of each piece.
    const fn framing_len(self) -> usize {
        match self {
            Self::Action => ACTION_OPEN.len() + ACTION_CLOSE.len(),
            Self::Privmsg | Self::Notice => 0,
        }
    }
}

/// The source the server puts in front of our lines when it relays them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// Our full source, `nick!user@host`, as the server shows it.
    Known(String),
    /// The longest source the ISUPPORT limits allow.
    Estimate {
        /// NICKLEN.
        nicklen: usize,
        /// USERLEN (the `~` of a user without ident is counted apart).
        userlen: usize,
        /// HOSTLEN.
        hostlen: usize,
    },
}

impl Default for Prefix {
    /// An estimate with [`DEFAULT_NICKLEN`], [`DEFAULT_USERLEN`] and
    /// [`DEFAULT_HOSTLEN`].
    fn default() -> Self {
        Self::Estimate {
            nicklen: DEFAULT_NICKLEN,
            userlen: DEFAULT_USERLEN,
            hostlen: DEFAULT_HOSTLEN,
        }
    }
}

impl Prefix {
    /// Bytes the prefix takes on a relayed line: `:`, the source, and the
    /// space after it.
    ///
    /// ```
    /// use irc_proto::split::Prefix;
    /// assert_eq!(Prefix::Known("n!u@h".into()).relay_len(), 7);
    /// assert_eq!(Prefix::default().relay_len(), 108);
    /// ```
    #[must_use]
    pub fn relay_len(&self) -> usize {
        match self {
            Self::Known(source) => source.len().saturating_add(2),
            Self::Estimate {
                nicklen,
                userlen,
                hostlen,
            } => {
                // ':' '!' '~' '@' ' ' plus the three parts.
                5usize
                    .saturating_add(*nicklen)
                    .saturating_add(*userlen)
                    .saturating_add(*hostlen)
            }
        }
    }
}

/// What an empty line of the input becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EmptyLines {
    /// Nothing: IRC has no empty message.
    #[default]
    Skip,
    /// A message holding one space, to keep the blank line visible.
    Space,
}

/// How to split.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SplitOptions {
    /// The source the server prepends when relaying.
    pub prefix: Prefix,
    /// Bytes kept free on every line, for whatever the server or a bouncer
    /// adds to the relayed line besides the source (tags on a server that
    /// counts them against the 512 bytes, a STATUSMSG prefix, ...).
    pub reserve: usize,
    /// At most this many pieces; text that does not fit is replaced by
    /// [`ELLIPSIS`] at the end of the last piece.
    pub max_lines: Option<NonZeroUsize>,
    /// What an empty line becomes.
    pub empty_lines: EmptyLines,
    /// The line length with CRLF: 512, or the ISUPPORT LINELEN.
    pub line_len: usize,
}

impl Default for SplitOptions {
    fn default() -> Self {
        Self {
            prefix: Prefix::default(),
            reserve: 0,
            max_lines: None,
            empty_lines: EmptyLines::Skip,
            line_len: LINE_LEN,
        }
    }
}

impl SplitOptions {
    /// Bytes left for the text of each piece to `target` (inside the ACTION
    /// framing for [`MessageKind::Action`]).
    ///
    /// ```
    /// use irc_proto::split::{MessageKind, Prefix, SplitOptions};
    /// let opts = SplitOptions { prefix: Prefix::Known("n!u@h".into()), ..SplitOptions::default() };
    /// // 512 - ":n!u@h " (7) - "PRIVMSG #c :" (12) - CRLF (2)
    /// assert_eq!(opts.text_budget(MessageKind::Privmsg, "#c")?, 491);
    /// assert_eq!(opts.text_budget(MessageKind::Action, "#c")?, 491 - 9);
    /// # Ok::<(), irc_proto::split::SplitError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SplitError::InvalidTarget`] for a target that cannot be sent, and
    /// [`SplitError::BudgetTooSmall`] when less than [`MIN_TEXT_BUDGET`]
    /// bytes are left.
    pub fn text_budget(&self, kind: MessageKind, target: &str) -> Result<usize, SplitError> {
        check_target(target)?;
        let overhead = self
            .prefix
            .relay_len()
            .saturating_add(kind.command().len() + 1)
            .saturating_add(target.len())
            .saturating_add(2 + 2) // " :" and CRLF
            .saturating_add(self.reserve)
            .saturating_add(kind.framing_len());
        let budget = self.line_len.saturating_sub(overhead);
        if budget < MIN_TEXT_BUDGET {
            return Err(SplitError::BudgetTooSmall { budget });
        }
        Ok(budget)
    }
}

/// Why a text could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// The target is empty, starts with `:`, or holds a space, CR, LF or NUL.
    #[error("invalid message target")]
    InvalidTarget,
    /// The prefix, target and reserve leave less than [`MIN_TEXT_BUDGET`]
    /// bytes for text.
    #[error("only {budget} bytes left for text, {MIN_TEXT_BUDGET} needed")]
    BudgetTooSmall {
        /// The bytes that were left.
        budget: usize,
    },
}

fn check_target(target: &str) -> Result<(), SplitError> {
    let bad = target.is_empty()
        || target.starts_with(':')
        || target
            .bytes()
            .any(|b| matches!(b, b' ' | b'\r' | b'\n' | 0));
    if bad {
        Err(SplitError::InvalidTarget)
    } else {
        Ok(())
    }
}

/// Splits `text` into the texts of messages to `target`, each fitting the
/// relayed line (see the module docs); for [`MessageKind::Action`] each text
/// is framed `\x01ACTION ...\x01`.
///
/// # Errors
///
/// As [`SplitOptions::text_budget`].
pub fn split(
    kind: MessageKind,
    target: &str,
    text: &str,
    opts: &SplitOptions,
) -> Result<Vec<String>, SplitError> {
    let budget = opts.text_budget(kind, target)?;
    let mut pieces = split_text(text, budget, opts.max_lines, opts.empty_lines)?;
    if kind == MessageKind::Action {
        for piece in &mut pieces {
            piece.insert_str(0, ACTION_OPEN);
            piece.push_str(ACTION_CLOSE);
        }
    }
    Ok(pieces)
}

/// As [`split`], as ready messages (`PRIVMSG`/`NOTICE target :piece`).
///
/// ```
/// use irc_proto::split::{self, MessageKind, SplitOptions};
/// let msgs = split::split_messages(MessageKind::Notice, "dan", "one\ntwo", &SplitOptions::default())?;
/// assert_eq!(msgs[1].pack().unwrap(), "NOTICE dan two");
/// # Ok::<(), split::SplitError>(())
/// ```
///
/// # Errors
///
/// As [`SplitOptions::text_budget`].
pub fn split_messages(
    kind: MessageKind,
    target: &str,
    text: &str,
    opts: &SplitOptions,
) -> Result<Vec<MessageBuf>, SplitError> {
    Ok(split(kind, target, text, opts)?
        .into_iter()
        .map(|piece| {
            MessageBuf::new(kind.command())
                .with_param(target)
                .with_param(piece)
        })
        .collect())
}

/// Splits `text` into pieces of at most `budget` bytes each, by the rules of
/// the module docs (no framing, no target: the core of [`split`]).
///
/// Never panics, on any input: every piece is at most `budget` bytes, holds
/// no CR, LF or NUL, and is never empty.
///
/// ```
/// use irc_proto::split::{split_text, EmptyLines};
/// let pieces = split_text("\x02bold words here\x02 end", 20, None, EmptyLines::Skip)?;
/// assert_eq!(pieces, ["\x02bold words here", "end"]);
/// let pieces = split_text("\x02one two three four five six", 20, None, EmptyLines::Skip)?;
/// assert_eq!(pieces, ["\x02one two three four", "\x02five six"]);
/// # Ok::<(), irc_proto::split::SplitError>(())
/// ```
///
/// # Errors
///
/// [`SplitError::BudgetTooSmall`] when `budget` is below [`MIN_TEXT_BUDGET`].
pub fn split_text(
    text: &str,
    budget: usize,
    max_lines: Option<NonZeroUsize>,
    empty_lines: EmptyLines,
) -> Result<Vec<String>, SplitError> {
    if budget < MIN_TEXT_BUDGET {
        return Err(SplitError::BudgetTooSmall { budget });
    }
    let text: Cow<'_, str> = if text.contains('\0') {
        Cow::Owned(text.replace('\0', ""))
    } else {
        Cow::Borrowed(text)
    };
    let lines: Vec<&str> = logical_lines(&text)
        .filter(|l| !l.is_empty() || empty_lines == EmptyLines::Space)
        .collect();
    let mut splitter = Splitter {
        budget,
        limit: max_lines.map(NonZeroUsize::get),
        pieces: Vec::new(),
        style: Style::default(),
        full: false,
    };
    // The last line that gives a piece: later lines hold only codes.
    let last_out = lines
        .iter()
        .rposition(|l| l.is_empty() || !format::strip(l).is_empty())
        .unwrap_or(0);
    for (n, line) in lines.iter().enumerate() {
        if line.is_empty() {
            let last_allowed = splitter.limit == Some(splitter.pieces.len() + 1);
            let more = n < last_out;
            splitter.push(if last_allowed && more { ELLIPSIS } else { " " }.to_owned());
        } else {
            splitter.line(line, n >= last_out);
        }
        if splitter.full {
            break;
        }
    }
    Ok(splitter.pieces)
}

/// The lines of `text`, split at `\r\n`, `\n` and `\r`.
fn logical_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\r', '\n']) {
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtomKind {
    /// One ASCII space: where a line may be cut.
    Space,
    /// One grapheme cluster of text.
    Text,
    /// One formatting code.
    Code(format::Code),
}

/// An indivisible unit of a line, as a byte range.
#[derive(Debug, Clone, Copy)]
struct Atom {
    start: usize,
    end: usize,
    kind: AtomKind,
}

fn atoms(line: &str) -> Vec<Atom> {
    let mut out = Vec::new();
    let mut at = 0;
    for token in format::tokens(line) {
        match token {
            Token::Code(code, raw) => {
                out.push(Atom {
                    start: at,
                    end: at + raw.len(),
                    kind: AtomKind::Code(code),
                });
                at += raw.len();
            }
            Token::Text(text) => {
                for (i, g) in text.grapheme_indices(true) {
                    out.push(Atom {
                        start: at + i,
                        end: at + i + g.len(),
                        kind: if g == " " {
                            AtomKind::Space
                        } else {
                            AtomKind::Text
                        },
                    });
                }
                at += text.len();
            }
        }
    }
    out
}

/// Where splitting stands in a line: the atom, and the byte where its
/// unsent part starts (inside the atom after a cut within a grapheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    atom: usize,
    byte: usize,
}

/// What one attempt at filling a piece gave.
enum Fill {
    /// A piece with text, where the next piece starts, and the style there.
    Piece {
        text: String,
        next: Cursor,
        style: Style,
        complete: bool,
    },
    /// Only codes were read (up to `next`, which may equal the start: no
    /// progress); no piece.
    NoText { next: Cursor, style: Style },
}

struct Splitter {
    budget: usize,
    limit: Option<usize>,
    pieces: Vec<String>,
    /// The style in force at the current position of the whole text.
    style: Style,
    /// The last allowed piece was written.
    full: bool,
}

impl Splitter {
    fn push(&mut self, piece: String) {
        self.pieces.push(piece);
        if self.limit.is_some_and(|l| self.pieces.len() >= l) {
            self.full = true;
        }
    }

    fn line(&mut self, line: &str, last_line: bool) {
        let atoms = atoms(line);
        let mut at = Cursor {
            atom: 0,
            byte: atoms.first().map_or(0, |a| a.start),
        };
        while at.atom < atoms.len() && !self.full {
            let last_allowed = self.limit.is_some_and(|l| self.pieces.len() + 1 == l);
            let mut room = self.budget;
            let mut fill = self.fill(line, &atoms, at, room);
            if last_allowed {
                let fits = matches!(fill, Fill::Piece { complete: true, .. } if last_line);
                if !fits && matches!(fill, Fill::Piece { .. }) {
                    room -= ELLIPSIS.len();
                    fill = self.fill(line, &atoms, at, room);
                }
            }
            match fill {
                Fill::Piece {
                    mut text,
                    next,
                    style,
                    ..
                } => {
                    if last_allowed && room < self.budget {
                        text.push_str(ELLIPSIS);
                    }
                    self.style = style;
                    at = next;
                    self.push(text);
                }
                Fill::NoText { next, style } => {
                    self.style = style;
                    at = if next == at {
                        // Cannot happen with `room >= MIN_TEXT_BUDGET - 3`
                        // (any code or character fits an empty piece); it
                        // keeps the loop finite whatever the input.
                        next_cursor(&atoms, at.atom + 1, line.len())
                    } else {
                        next
                    };
                }
            }
        }
    }

    /// Fills a piece from `at`, with the carried formatting when it leaves
    /// room for progress, without it otherwise.
    fn fill(&self, line: &str, atoms: &[Atom], at: Cursor, room: usize) -> Fill {
        let carry = format::codes_before(self.style, &line[at.byte..]);
        if !carry.is_empty() {
            let fill = fill_piece(line, atoms, at, self.style, carry, room);
            match fill {
                Fill::NoText { next, .. } if next == at => {}
                other => return other,
            }
        }
        fill_piece(line, atoms, at, self.style, String::new(), room)
    }
}

/// Fills one piece of at most `room` bytes, starting with `init` (the carried
/// codes) and then the atoms from `at`.
fn fill_piece(
    line: &str,
    atoms: &[Atom],
    at: Cursor,
    start_style: Style,
    init: String,
    room: usize,
) -> Fill {
    let mut piece = init;
    if piece.len() > room {
        return Fill::NoText {
            next: at,
            style: start_style,
        };
    }
    let mut style = start_style;
    let mut cur = at;
    // After the last text atom: piece length, and where the input stands.
    let mut text_end: Option<usize> = None;
    // The last space that may become the cut: piece length before it (codes
    // just before it trimmed), the atom after it, and the style there.
    let mut space_cut: Option<(usize, usize, Style)> = None;

    while let Some(atom) = atoms.get(cur.atom) {
        let unit = &line[cur.byte..atom.end];
        if piece.len() + unit.len() <= room {
            match atom.kind {
                AtomKind::Code(code) => style.apply_code(code),
                AtomKind::Space => {
                    if let Some(len) = text_end {
                        space_cut = Some((len, cur.atom + 1, style));
                    }
                }
                AtomKind::Text => {}
            }
            piece.push_str(unit);
            if !matches!(atom.kind, AtomKind::Code(_)) {
                text_end = Some(piece.len());
            }
            cur = next_cursor(atoms, cur.atom + 1, line.len());
            continue;
        }
        // The atom does not fit: cut.
        if let Some(len) = text_end {
            let (len, next, style) = if atom.kind == AtomKind::Space {
                (len, next_cursor(atoms, cur.atom + 1, line.len()), style)
            } else if let Some((len, after, at_space)) = space_cut {
                (len, next_cursor(atoms, after, line.len()), at_space)
            } else {
                (len, cur, style)
            };
            piece.truncate(len);
            return Fill::Piece {
                text: piece,
                next,
                style,
                complete: only_codes_from(atoms, next),
            };
        }
        // No text yet in this piece.
        if matches!(atom.kind, AtomKind::Code(_)) {
            return Fill::NoText { next: cur, style };
        }
        if !piece.is_empty() && unit.len() <= room {
            // The grapheme fits a piece of its own: rather than cut it, stop
            // here; the caller starts the next piece at it (without the
            // carried codes if need be).
            return Fill::NoText { next: cur, style };
        }
        let keep = floor_char_boundary(unit, room - piece.len());
        if keep == 0 {
            return Fill::NoText { next: cur, style };
        }
        piece.push_str(&unit[..keep]);
        return Fill::Piece {
            text: piece,
            next: Cursor {
                atom: cur.atom,
                byte: cur.byte + keep,
            },
            style,
            complete: false,
        };
    }
    match text_end {
        Some(len) => {
            piece.truncate(len);
            Fill::Piece {
                text: piece,
                next: cur,
                style,
                complete: true,
            }
        }
        None => Fill::NoText { next: cur, style },
    }
}

/// Whether nothing but codes is left from `at`.
fn only_codes_from(atoms: &[Atom], at: Cursor) -> bool {
    atoms
        .get(at.atom..)
        .is_none_or(|rest| rest.iter().all(|a| matches!(a.kind, AtomKind::Code(_))))
}

fn next_cursor(atoms: &[Atom], atom: usize, end: usize) -> Cursor {
    Cursor {
        atom,
        byte: atoms.get(atom).map_or(end, |a| a.start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts_known(source: &str) -> SplitOptions {
        SplitOptions {
            prefix: Prefix::Known(source.to_owned()),
            ..SplitOptions::default()
        }
    }

    fn pieces(text: &str, budget: usize) -> Vec<String> {
        split_text(text, budget, None, EmptyLines::Skip).unwrap()
    }

    #[test]
    fn word_boundaries() {
        assert_eq!(
            pieces("aaaa bbbb cccc dddd eeee ffff", 20),
            ["aaaa bbbb cccc dddd", "eeee ffff"]
        );
        // The space right at the limit is the cut.
        assert_eq!(
            pieces("aaaaaaaaaaaaaaaaaaaa bbb", 20),
            ["aaaaaaaaaaaaaaaaaaaa", "bbb"]
        );
        // A word longer than a line is cut.
        let long = "x".repeat(45);
        assert_eq!(
            pieces(&long, 20),
            ["x".repeat(20), "x".repeat(20), "x".repeat(5)]
        );
        // Runs of spaces: one is consumed at the cut, the rest kept.
        assert_eq!(
            pieces("aaaaaaaaaaaaaaaaaa   bb", 20),
            ["aaaaaaaaaaaaaaaaaa  ", "bb"]
        );
    }

    #[test]
    fn newlines_are_lines() {
        assert_eq!(pieces("a\nb\r\nc\rd", 20), ["a", "b", "c", "d"]);
        assert_eq!(pieces("a\n\n\nb\n", 20), ["a", "b"]);
        let spaced = split_text("a\n\nb", 20, None, EmptyLines::Space).unwrap();
        assert_eq!(spaced, ["a", " ", "b"]);
        assert!(pieces("", 20).is_empty());
        assert!(pieces("\r\n\n", 20).is_empty());
        assert_eq!(pieces("a\0b", 20), ["ab"]);
    }

    #[test]
    fn formatting_carries_over() {
        let text = "\x0304red words that go on\x03 plain";
        let got = pieces(text, 20);
        assert_eq!(got, ["\x0304red words that go", "\x0304on\x03 plain"]);
        // The carried codes are re-opened across newlines too.
        assert_eq!(pieces("\x02a\nb", 20), ["\x02a", "\x02b"]);
    }

    #[test]
    fn max_lines_adds_an_ellipsis_that_fits() {
        let text = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii";
        let two = NonZeroUsize::new(2);
        let got = split_text(text, 20, two, EmptyLines::Skip).unwrap();
        assert_eq!(got, ["aaaa bbbb cccc dddd", "eeee ffff gggg…"]);
        assert!(got.iter().all(|p| p.len() <= 20));
        // No ellipsis when everything fits exactly.
        let got = split_text("aaaa bbbb cccc dddd eeee", 20, two, EmptyLines::Skip).unwrap();
        assert_eq!(got, ["aaaa bbbb cccc dddd", "eeee"]);
        // More lines of input than allowed.
        let got = split_text("a\nb\nc", 20, two, EmptyLines::Skip).unwrap();
        assert_eq!(got, ["a", "b…"]);
        let one = NonZeroUsize::new(1);
        let got = split_text("a\nb", 20, one, EmptyLines::Skip).unwrap();
        assert_eq!(got, ["a…"]);
    }

    #[test]
    fn budget_and_target_checks() {
        let opts = opts_known("n!u@h");
        for target in ["", "a b", ":x", "#a\r\n"] {
            assert_eq!(
                split(MessageKind::Privmsg, target, "hi", &opts),
                Err(SplitError::InvalidTarget)
            );
        }
        let tiny = SplitOptions {
            reserve: 480,
            ..opts_known("n!u@h")
        };
        assert!(matches!(
            split(MessageKind::Privmsg, "#c", "hi", &tiny),
            Err(SplitError::BudgetTooSmall { .. })
        ));
        assert_eq!(
            split_text("x", 19, None, EmptyLines::Skip),
            Err(SplitError::BudgetTooSmall { budget: 19 })
        );
        let huge = SplitOptions {
            prefix: Prefix::Estimate {
                nicklen: usize::MAX,
                userlen: usize::MAX,
                hostlen: 1,
            },
            ..SplitOptions::default()
        };
        assert!(split(MessageKind::Privmsg, "#c", "hi", &huge).is_err());
    }

    #[test]
    fn default_estimate_fits_real_prefixes() {
        let opts = SplitOptions::default();
        let text = "word ".repeat(300);
        let source = format!(
            "{}!~{}@{}",
            "n".repeat(DEFAULT_NICKLEN),
            "u".repeat(DEFAULT_USERLEN),
            "h".repeat(DEFAULT_HOSTLEN)
        );
        for kind in [
            MessageKind::Privmsg,
            MessageKind::Notice,
            MessageKind::Action,
        ] {
            for m in split_messages(kind, "#channel", &text, &opts).unwrap() {
                let line = m.with_source(source.clone()).pack().unwrap();
                assert!(line.len() + 2 <= LINE_LEN, "{}", line.len());
            }
        }
    }

    #[test]
    fn huge_words_and_clusters_make_progress() {
        let word = "x".repeat(50_000);
        let got = pieces(&word, 400);
        assert_eq!(got.len(), 125);
        assert!(got.iter().all(|p| p == &"x".repeat(400)));
        // One cluster of thousands of combining marks, in bold: cut between
        // characters, bold carried.
        let cluster = format!("\x02a{}", "\u{301}".repeat(5_000));
        let got = pieces(&cluster, 100);
        assert!(got.iter().all(|p| p.len() <= 100 && p.starts_with('\x02')));
        let joined: String = got.iter().map(|p| p.trim_start_matches('\x02')).collect();
        assert_eq!(joined, &cluster[1..]);
    }

    /// Every budget from the minimum up, over texts of multi-byte characters
    /// and clusters: no piece too long, no character cut, and the text back
    /// when the pieces are joined.
    #[test]
    fn exhaustive_multibyte_budgets() {
        let samples = [
            "é".repeat(40),
            "€".repeat(30),
            "😀".repeat(25),
            "e\u{301}".repeat(30),
            "👨\u{200D}👩\u{200D}👧\u{200D}👦 ".repeat(8),
            "a\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}\u{309}\u{30A}b".repeat(3),
            "mixé € 😀 👍🏽 e\u{301} text ".repeat(6),
        ];
        for text in &samples {
            for budget in MIN_TEXT_BUDGET..=text.len() + 4 {
                let got = pieces(text, budget);
                let mut joined = String::new();
                for p in &got {
                    assert!(p.len() <= budget, "{budget}: {p:?}");
                    assert!(!p.is_empty());
                    joined.push_str(p);
                }
                let squash = |s: &str| s.replace(' ', "");
                assert_eq!(squash(&joined), squash(text), "budget {budget}");
                // Clusters stay whole whenever one fits a line.
                let cluster_max = text.graphemes(true).map(str::len).max().unwrap_or(0);
                if cluster_max <= budget {
                    let from_input: std::collections::HashSet<&str> =
                        text.graphemes(true).collect();
                    for p in &got {
                        for g in p.graphemes(true) {
                            assert!(
                                from_input.contains(g),
                                "budget {budget}: split cluster {g:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}
