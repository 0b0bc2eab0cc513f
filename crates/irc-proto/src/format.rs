//! IRC formatting codes: read them into styled spans, strip them, and write
//! spans back as codes.
//!
//! The codes (see modern.ircdocs.horse, "Formatting"):
//!
//! | byte | name | effect |
//! | --- | --- | --- |
//! | `\x02` | bold | toggles bold |
//! | `\x1D` | italic | toggles italic |
//! | `\x1F` | underline | toggles underline |
//! | `\x1E` | strikethrough | toggles strikethrough |
//! | `\x11` | monospace | toggles monospace |
//! | `\x16` | reverse | toggles reverse colours |
//! | `\x0F` | reset | back to the default style |
//! | `\x03` | colour | `\x03FG[,BG]`, one or two digits each |
//! | `\x04` | hex colour | `\x04RRGGBB[,RRGGBB]` |
//!
//! Colour rules, as read here:
//!
//! - `\x03` takes at most two digits for the foreground; a comma after them
//!   starts a background only when a digit follows it, otherwise the comma is
//!   text (`\x034,` is red and a comma). Codes `0..=98` are kept as
//!   [`Color::Code`]; `99` means the default colour and reads as
//!   [`Color::Default`].
//! - `\x03` with no digit after it resets both colours; so does `\x04` with no
//!   six hex digits after it.
//! - A foreground alone leaves the background as it was.
//!
//! Other control bytes (`\x12`, `\x07`, ...) are not formatting and are kept
//! as text.
//!
//! ```
//! use irc_proto::format::{self, Color, Style};
//!
//! let spans = format::parse("plain \x02bold\x02 \x0304,12red on blue\x03 done");
//! assert_eq!(spans.len(), 5);
//! assert_eq!(spans[1].text, "bold");
//! assert!(spans[1].style.bold);
//! assert_eq!(spans[3].style.fg, Color::Code(4));
//! assert_eq!(spans[3].style.bg, Color::Code(12));
//!
//! assert_eq!(format::strip("\x02hi\x0F \x0304there"), "hi there");
//! // Writing the spans back gives codes that read back to the same spans.
//! let again = format::render(&spans);
//! assert_eq!(format::parse(&again), spans);
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;

/// Toggles bold.
pub const BOLD: char = '\x02';
/// Toggles italic.
pub const ITALIC: char = '\x1D';
/// Toggles underline.
pub const UNDERLINE: char = '\x1F';
/// Toggles strikethrough.
pub const STRIKETHROUGH: char = '\x1E';
/// Toggles monospace.
pub const MONOSPACE: char = '\x11';
/// Starts an mIRC colour code: `\x03FG[,BG]`.
pub const COLOR: char = '\x03';
/// Starts a hex colour code: `\x04RRGGBB[,RRGGBB]`.
pub const HEX_COLOR: char = '\x04';
/// Toggles reverse colours.
pub const REVERSE: char = '\x16';
/// Resets all formatting.
pub const RESET: char = '\x0F';

/// Two toggles of bold: no change of style, but a separator between a colour
/// code and text that would otherwise be read as part of it.
const BREAK: &str = "\x02\x02";

/// Whether a byte starts a formatting code.
#[must_use]
pub const fn is_format_byte(b: u8) -> bool {
    matches!(
        b,
        0x02 | 0x03 | 0x04 | 0x0F | 0x11 | 0x16 | 0x1D | 0x1E | 0x1F
    )
}

/// A foreground or background colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Color {
    /// The client's default colour (also what code `99` means).
    #[default]
    Default,
    /// An mIRC colour code, `0..=98` (`0` white, `1` black, `2` blue, `3`
    /// green, `4` red, ... `15` light grey; `16..=98` the extended palette).
    /// [`render`] writes codes above 98 as `99`, the default.
    Code(u8),
    /// A 24-bit `0xRRGGBB` colour of the `\x04` code; only the low 24 bits
    /// are written.
    Hex(u32),
}

impl Color {
    /// The code written for a `\x03` colour: `99` for the default.
    fn code_digits(self) -> u8 {
        match self {
            Self::Code(n) if n < 99 => n,
            _ => 99,
        }
    }
}

/// The formatting in force at some point of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Style {
    /// Bold (`\x02`).
    pub bold: bool,
    /// Italic (`\x1D`).
    pub italic: bool,
    /// Underline (`\x1F`).
    pub underline: bool,
    /// Strikethrough (`\x1E`).
    pub strikethrough: bool,
    /// Monospace (`\x11`).
    pub monospace: bool,
    /// Reverse colours (`\x16`).
    pub reverse: bool,
    /// Foreground colour.
    pub fg: Color,
    /// Background colour.
    pub bg: Color,
}

impl Style {
    /// Whether this is the default style (no formatting at all).
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Updates the style for one code, as a client reading the text would.
    ///
    /// ```
    /// use irc_proto::format::{Code, Color, Style};
    /// let mut s = Style::default();
    /// s.apply_code(Code::Bold);
    /// s.apply_code(Code::Color { fg: Color::Code(4), bg: None });
    /// assert!(s.bold && s.fg == Color::Code(4));
    /// s.apply_code(Code::Reset);
    /// assert!(s.is_default());
    /// ```
    pub fn apply_code(&mut self, code: Code) {
        match code {
            Code::Bold => self.bold = !self.bold,
            Code::Italic => self.italic = !self.italic,
            Code::Underline => self.underline = !self.underline,
            Code::Strikethrough => self.strikethrough = !self.strikethrough,
            Code::Monospace => self.monospace = !self.monospace,
            Code::Reverse => self.reverse = !self.reverse,
            Code::Reset => *self = Self::default(),
            Code::Color { fg, bg } => {
                self.fg = fg;
                if let Some(bg) = bg {
                    self.bg = bg;
                }
            }
        }
    }

    /// Applies every code in `text` (text between them is skipped): the style
    /// in force at the end of `text` when it starts in this style.
    pub fn apply_text(&mut self, text: &str) {
        for token in tokens(text) {
            if let Token::Code(code, _) = token {
                self.apply_code(code);
            }
        }
    }

    /// The codes that turn the default style into this one, safe to put in
    /// front of any text (a colour code is never followed by something it
    /// could swallow). Empty for the default style.
    ///
    /// This is how a split line re-opens the formatting of the line before.
    ///
    /// ```
    /// use irc_proto::format::{self, Color, Style};
    /// let style = Style { bold: true, fg: Color::Code(4), ..Style::default() };
    /// let codes = style.to_codes();
    /// // Whatever follows, it reads back as this style.
    /// let text = format!("{codes},5 text");
    /// let spans = format::parse(&text);
    /// assert_eq!(spans[0].style, style);
    /// assert_eq!(spans[0].text, ",5 text");
    /// ```
    #[must_use]
    pub fn to_codes(&self) -> String {
        let mut out = String::new();
        transition(Self::default(), *self, None, &mut out);
        out
    }
}

/// The codes that turn the default style into `style` when `next` follows
/// them: as [`Style::to_codes`], without a separator `next` does not need.
pub(crate) fn codes_before(style: Style, next: &str) -> String {
    let mut out = String::new();
    transition(Style::default(), style, Some(next), &mut out);
    out
}

/// One formatting code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// `\x02`.
    Bold,
    /// `\x1D`.
    Italic,
    /// `\x1F`.
    Underline,
    /// `\x1E`.
    Strikethrough,
    /// `\x11`.
    Monospace,
    /// `\x16`.
    Reverse,
    /// `\x0F`.
    Reset,
    /// `\x03` or `\x04`: set the foreground, and the background when `bg` is
    /// `Some`. A bare `\x03` is `fg: Default, bg: Some(Default)`.
    Color {
        /// The new foreground.
        fg: Color,
        /// The new background, or `None` to keep it.
        bg: Option<Color>,
    },
}

/// A piece of a formatted text: plain text or one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token<'a> {
    /// Text without codes.
    Text(&'a str),
    /// A code, with the bytes it was read from (control byte and digits).
    Code(Code, &'a str),
}

/// The tokens of a formatted text, in order; never empty text tokens.
///
/// Concatenating the raw text of the tokens gives back the input.
///
/// ```
/// use irc_proto::format::{tokens, Code, Color, Token};
/// let t: Vec<_> = tokens("a\x0304,5b").collect();
/// assert_eq!(t, [
///     Token::Text("a"),
///     Token::Code(Code::Color { fg: Color::Code(4), bg: Some(Color::Code(5)) }, "\x0304,5"),
///     Token::Text("b"),
/// ]);
/// ```
#[must_use]
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens { rest: text }
}

/// The iterator of [`tokens`].
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.rest.as_bytes();
        let first = *bytes.first()?;
        if !is_format_byte(first) {
            let end = bytes
                .iter()
                .position(|&b| is_format_byte(b))
                .unwrap_or(bytes.len());
            let (text, rest) = self.rest.split_at(end);
            self.rest = rest;
            return Some(Token::Text(text));
        }
        let (code, len) = read_code(bytes);
        // Codes are ASCII, so `len` is a character boundary.
        let (raw, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(Token::Code(code, raw))
    }
}

/// Reads the code at the start of `b` (whose first byte is a format byte):
/// the code and its length in bytes.
fn read_code(b: &[u8]) -> (Code, usize) {
    let simple = match b[0] {
        0x02 => Some(Code::Bold),
        0x1D => Some(Code::Italic),
        0x1F => Some(Code::Underline),
        0x1E => Some(Code::Strikethrough),
        0x11 => Some(Code::Monospace),
        0x16 => Some(Code::Reverse),
        0x0F => Some(Code::Reset),
        _ => None,
    };
    if let Some(code) = simple {
        return (code, 1);
    }
    let reset = Code::Color {
        fg: Color::Default,
        bg: Some(Color::Default),
    };
    if b[0] == 0x03 {
        let Some((fg, n)) = digits(&b[1..]) else {
            return (reset, 1);
        };
        let at = 1 + n;
        if b.get(at) == Some(&b',')
            && let Some((bg, m)) = digits(&b[at + 1..])
        {
            return (Code::Color { fg, bg: Some(bg) }, at + 1 + m);
        }
        (Code::Color { fg, bg: None }, at)
    } else {
        let Some(fg) = hex6(&b[1..]) else {
            return (reset, 1);
        };
        if b.get(7) == Some(&b',')
            && let Some(bg) = hex6(&b[8..])
        {
            return (Code::Color { fg, bg: Some(bg) }, 14);
        }
        (Code::Color { fg, bg: None }, 7)
    }
}

/// One or two decimal digits: the colour and how many bytes.
fn digits(b: &[u8]) -> Option<(Color, usize)> {
    let d0 = *b.first().filter(|d| d.is_ascii_digit())?;
    let mut n = d0 - b'0';
    let mut len = 1;
    if let Some(&d1) = b.get(1).filter(|d| d.is_ascii_digit()) {
        n = n * 10 + (d1 - b'0');
        len = 2;
    }
    let color = if n == 99 {
        Color::Default
    } else {
        Color::Code(n)
    };
    Some((color, len))
}

/// Exactly six hex digits at the start of `b`.
fn hex6(b: &[u8]) -> Option<Color> {
    let six = b.get(..6)?;
    let mut v = 0u32;
    for &d in six {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(Color::Hex(v))
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span<'a> {
    /// The text, without codes; borrowed from the input unless two runs had
    /// to be joined.
    pub text: Cow<'a, str>,
    /// The style of the whole run.
    pub style: Style,
}

impl<'a> Span<'a> {
    /// A span of `text` in `style`.
    #[must_use]
    pub fn new(text: impl Into<Cow<'a, str>>, style: Style) -> Self {
        Self {
            text: text.into(),
            style,
        }
    }

    /// A span that owns its text.
    #[must_use]
    pub fn into_owned(self) -> Span<'static> {
        Span {
            text: Cow::Owned(self.text.into_owned()),
            style: self.style,
        }
    }
}

/// Reads a formatted text into spans, normalised: no empty span, and no two
/// neighbours with the same style.
///
/// Never panics, on any input.
#[must_use]
pub fn parse(text: &str) -> Vec<Span<'_>> {
    let mut spans: Vec<Span<'_>> = Vec::new();
    let mut style = Style::default();
    for token in tokens(text) {
        match token {
            Token::Code(code, _) => style.apply_code(code),
            Token::Text(t) => push_span(&mut spans, Span::new(t, style)),
        }
    }
    spans
}

fn push_span<'a>(spans: &mut Vec<Span<'a>>, span: Span<'a>) {
    if span.text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.style == span.style => last.text.to_mut().push_str(&span.text),
        _ => spans.push(span),
    }
}

/// Merges neighbours of the same style and drops empty spans: the form
/// [`parse`] returns.
#[must_use]
pub fn normalize<'a>(spans: impl IntoIterator<Item = Span<'a>>) -> Vec<Span<'a>> {
    let mut out = Vec::new();
    for span in spans {
        push_span(&mut out, span);
    }
    out
}

/// The text without any formatting code; borrowed when there is none.
///
/// Never panics, on any input.
///
/// ```
/// use std::borrow::Cow;
/// use irc_proto::format::strip;
/// assert!(matches!(strip("no codes"), Cow::Borrowed(_)));
/// assert_eq!(strip("\x0304,99red\x03,\x1Dx\x1D"), "red,x");
/// assert_eq!(strip("\x04FF0000hex\x04"), "hex");
/// ```
#[must_use]
pub fn strip(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(is_format_byte) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for token in tokens(text) {
        if let Token::Text(t) = token {
            out.push_str(t);
        }
    }
    Cow::Owned(out)
}

/// Writes spans as text with codes, using few codes: only what changes
/// between neighbours, or a reset when that is shorter.
///
/// For spans whose text holds no formatting byte, `parse(&render(spans))`
/// equals `normalize(spans)` and `strip(&render(spans))` is the text of the
/// spans joined. A formatting byte inside a span's text is written as it is,
/// and then reads as a code.
#[must_use]
pub fn render(spans: &[Span<'_>]) -> String {
    let mut out = String::with_capacity(spans.iter().map(|s| s.text.len() + 4).sum());
    let mut current = Style::default();
    for span in spans {
        if span.text.is_empty() {
            continue;
        }
        transition(current, span.style, Some(&span.text), &mut out);
        out.push_str(&span.text);
        current = span.style;
    }
    out
}

/// Appends the codes that turn `from` into `to`, the shorter of a direct
/// change and a reset followed by `to`. `next` is the text that will follow
/// (`None`: anything may follow).
fn transition(from: Style, to: Style, next: Option<&str>, out: &mut String) {
    if from == to {
        return;
    }
    let start = out.len();
    direct_change(from, to, next, out);
    let direct_len = out.len() - start;
    // A reset costs one byte and then everything `to` has; only worth
    // trying when the direct change is longer than that could be.
    if !from.is_default() && direct_len > 1 {
        let mut reset = String::from(RESET);
        direct_change(Style::default(), to, next, &mut reset);
        if reset.len() < direct_len {
            out.truncate(start);
            out.push_str(&reset);
        }
    }
}

/// How the last colour code written ends: what text after it could be read
/// as part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    /// A bare `\x03`: a digit would be read as a colour.
    Bare,
    /// `\x03NN`: `,` and a digit would be read as a background.
    Fg,
    /// `\x04RRGGBB`: `,` and six hex digits would be read as a background.
    HexFg,
    /// A code with both colours: nothing more is read.
    Closed,
}

fn swallows(last: Last, next: Option<&str>) -> bool {
    let Some(next) = next else {
        return last != Last::Closed;
    };
    let b = next.as_bytes();
    match last {
        Last::Bare => b.first().is_some_and(u8::is_ascii_digit),
        Last::Fg => b.first() == Some(&b',') && b.get(1).is_some_and(u8::is_ascii_digit),
        Last::HexFg => {
            b.first() == Some(&b',') && b.len() >= 7 && b[1..7].iter().all(u8::is_ascii_hexdigit)
        }
        Last::Closed => false,
    }
}

fn direct_change(from: Style, to: Style, next: Option<&str>, out: &mut String) {
    let mut last = Last::Closed;
    if (from.fg, from.bg) != (to.fg, to.bg) {
        last = color_change(from, to, out);
    }
    let toggles = [
        (from.bold != to.bold, BOLD),
        (from.italic != to.italic, ITALIC),
        (from.underline != to.underline, UNDERLINE),
        (from.strikethrough != to.strikethrough, STRIKETHROUGH),
        (from.monospace != to.monospace, MONOSPACE),
        (from.reverse != to.reverse, REVERSE),
    ];
    let mut toggled = false;
    for (changed, c) in toggles {
        if changed {
            out.push(c);
            toggled = true;
        }
    }
    if !toggled && swallows(last, next) {
        out.push_str(BREAK);
    }
}

fn push_two_digits(out: &mut String, n: u8) {
    out.push(char::from(b'0' + n / 10));
    out.push(char::from(b'0' + n % 10));
}

fn push_code(out: &mut String, fg: Color, bg: Option<Color>) {
    out.push(COLOR);
    push_two_digits(out, fg.code_digits());
    if let Some(bg) = bg {
        out.push(',');
        push_two_digits(out, bg.code_digits());
    }
}

fn push_hex(out: &mut String, fg: u32, bg: Option<u32>) {
    out.push(HEX_COLOR);
    let _ = write!(out, "{:06X}", fg & 0x00FF_FFFF);
    if let Some(bg) = bg {
        let _ = write!(out, ",{:06X}", bg & 0x00FF_FFFF);
    }
}

/// Writes the colour codes from `from` to `to` (which differ in colour).
fn color_change(from: Style, to: Style, out: &mut String) -> Last {
    let bg_changed = from.bg != to.bg;
    match (to.fg, to.bg) {
        (Color::Default, Color::Default) => {
            out.push(COLOR);
            Last::Bare
        }
        (Color::Hex(fg), Color::Hex(bg)) => {
            if bg_changed {
                push_hex(out, fg, Some(bg));
                Last::Closed
            } else {
                push_hex(out, fg, None);
                Last::HexFg
            }
        }
        (Color::Hex(fg), bg) => {
            if bg_changed {
                if bg == Color::Default {
                    out.push(COLOR);
                } else {
                    push_code(out, Color::Default, Some(bg));
                }
            }
            push_hex(out, fg, None);
            Last::HexFg
        }
        (fg, Color::Hex(bg)) => {
            if bg_changed {
                push_hex(out, 0, Some(bg));
            }
            push_code(out, fg, None);
            Last::Fg
        }
        (fg, bg) => {
            if bg_changed {
                push_code(out, fg, Some(bg));
                Last::Closed
            } else {
                push_code(out, fg, None);
                Last::Fg
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(f: impl FnOnce(&mut Style)) -> Style {
        let mut s = Style::default();
        f(&mut s);
        s
    }

    #[test]
    fn colour_grammar() {
        type Want = &'static [(&'static str, Color, Color)];
        let cases: [(&str, Want); 10] = [
            ("\x034red", &[("red", Color::Code(4), Color::Default)]),
            ("\x0304,12x", &[("x", Color::Code(4), Color::Code(12))]),
            // At most two digits: the third is text.
            ("\x03123", &[("3", Color::Code(12), Color::Default)]),
            // A comma not followed by a digit is text.
            ("\x034,x", &[(",x", Color::Code(4), Color::Default)]),
            ("\x034,", &[(",", Color::Code(4), Color::Default)]),
            // A bare \x03 resets, and a comma after it is text.
            (
                "\x034a\x03,1",
                &[
                    ("a", Color::Code(4), Color::Default),
                    (",1", Color::Default, Color::Default),
                ],
            ),
            // 99 is the default colour.
            ("\x0399,99x", &[("x", Color::Default, Color::Default)]),
            (
                "\x04FF0000,00ff00x",
                &[("x", Color::Hex(0xFF0000), Color::Hex(0x00FF00))],
            ),
            // Fewer than six hex digits: a reset, then text.
            ("\x04FF00x", &[("FF00x", Color::Default, Color::Default)]),
            // A foreground alone keeps the background.
            (
                "\x031,2a\x035b",
                &[
                    ("a", Color::Code(1), Color::Code(2)),
                    ("b", Color::Code(5), Color::Code(2)),
                ],
            ),
        ];
        for (input, want) in cases {
            let got: Vec<_> = parse(input)
                .into_iter()
                .map(|s| (s.text.into_owned(), s.style.fg, s.style.bg))
                .collect();
            let want: Vec<_> = want
                .iter()
                .map(|&(t, fg, bg)| (t.to_owned(), fg, bg))
                .collect();
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn toggles_and_reset() {
        let spans = parse("\x02b\x1Di\x1Fu\x1Es\x11m\x16r\x0Fplain");
        let texts: Vec<_> = spans.iter().map(|s| s.text.as_ref()).collect();
        assert_eq!(texts, ["b", "i", "u", "s", "m", "r", "plain"]);
        let last_styled = spans[5].style;
        assert!(
            last_styled.bold
                && last_styled.italic
                && last_styled.underline
                && last_styled.strikethrough
                && last_styled.monospace
                && last_styled.reverse
        );
        assert!(spans[6].style.is_default());
    }

    #[test]
    fn parse_merges_and_borrows() {
        let spans = parse("a\x02\x02b");
        assert_eq!(spans, [Span::new("ab", Style::default())]);
        let spans = parse("only text");
        assert!(matches!(spans[0].text, Cow::Borrowed("only text")));
        assert!(parse("\x02\x03").is_empty());
        assert!(parse("").is_empty());
    }

    #[test]
    fn render_is_minimal_and_safe() {
        let bold = style(|s| s.bold = true);
        let red = style(|s| s.fg = Color::Code(4));
        let cases = [
            (vec![Span::new("x", bold)], "\x02x"),
            (
                vec![Span::new("a", bold), Span::new("b", Style::default())],
                "\x02a\x02b",
            ),
            (vec![Span::new("5", red)], "\x03045"),
            (vec![Span::new("a", red), Span::new(",5", red)], "\x0304a,5"),
            (
                vec![Span::new("r", red), Span::new(",5", Style::default())],
                "\x0304r\x03,5",
            ),
            // A bare colour reset would swallow the digit: \x0F is used.
            (
                vec![Span::new("r", red), Span::new("5", Style::default())],
                "\x0304r\x0F5",
            ),
            // Foreground only before ",digit" is protected.
            (vec![Span::new(",5", red)], "\x0304\x02\x02,5"),
        ];
        for (spans, want) in cases {
            let got = render(&spans);
            assert_eq!(got, want, "{spans:?}");
            assert_eq!(parse(&got), normalize(spans));
        }
    }

    #[test]
    fn render_uses_reset_when_shorter() {
        let all = Style {
            bold: true,
            italic: true,
            underline: true,
            fg: Color::Code(3),
            ..Style::default()
        };
        let got = render(&[Span::new("a", all), Span::new("b", Style::default())]);
        assert_eq!(got, "\x0303\x02\x1D\x1Fa\x0Fb");
    }

    #[test]
    fn mixed_hex_and_code_colours_roundtrip() {
        let colours = [
            Color::Default,
            Color::Code(0),
            Color::Code(15),
            Color::Code(98),
            Color::Hex(0),
            Color::Hex(0xABCDEF),
        ];
        let nexts = ["x", "5", ",5", ",ABCDEF", ",abcdef1", ""];
        for &fa in &colours {
            for &ba in &colours {
                for &fb in &colours {
                    for &bb in &colours {
                        for next in nexts {
                            let a = style(|s| {
                                s.fg = fa;
                                s.bg = ba;
                            });
                            let b = style(|s| {
                                s.fg = fb;
                                s.bg = bb;
                            });
                            let spans = [Span::new("t", a), Span::new(next, b)];
                            let text = render(&spans);
                            assert_eq!(parse(&text), normalize(spans.clone()), "{text:?}");
                            assert_eq!(strip(&text), format!("t{next}"));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn to_codes_reopens_any_style() {
        let s = Style {
            italic: true,
            fg: Color::Code(7),
            bg: Color::Hex(0x123456),
            ..Style::default()
        };
        for next in ["x", "1", ",1", ",123456"] {
            let text = format!("{}{next}", s.to_codes());
            let spans = parse(&text);
            assert_eq!(spans, [Span::new(next, s)]);
        }
        assert_eq!(Style::default().to_codes(), "");
    }

    #[test]
    fn apply_text_tracks_state() {
        let mut s = Style::default();
        s.apply_text("a\x02b\x0304,05c\x1D");
        assert_eq!(
            s,
            Style {
                bold: true,
                italic: true,
                fg: Color::Code(4),
                bg: Color::Code(5),
                ..Style::default()
            }
        );
    }

    #[test]
    fn strip_keeps_other_control_bytes() {
        assert_eq!(strip("a\x12b\x07c"), "a\x12b\x07c");
        assert_eq!(strip("\x03\x04\x02"), "");
    }
}
