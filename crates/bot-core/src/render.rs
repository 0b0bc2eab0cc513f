//! Rendering Markdown bodies for a backend, and splitting long replies.
//!
//! Plugins write Markdown. Before a message leaves, the core renders it
//! with the backend's [`Markup`] and splits the result into pieces no longer
//! than the backend's `message_size_limit` ([`split_text`]); every piece but
//! the last is marked `partial`.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// How a backend wants message bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Markup {
    /// Markdown as written (for backends that render it, and for tests).
    #[default]
    Markdown,
    /// Plain text: emphasis dropped, links written as `text (url)`, lists
    /// and code blocks kept on their own lines.
    Plain,
    /// Plain text with ANSI escapes for bold, italics, code and headings
    /// (the terminal).
    Ansi,
    /// IRC formatting codes: bold (`\x02`) for strong text and headings,
    /// italics (`\x1d`), strikethrough (`\x1e`); inline code and code
    /// blocks as plain text (the monospace code `\x11` is shown as a stray
    /// character by many clients), links as `text (url)`, list items with
    /// bullets (`• `).
    Irc,
}

/// The codes a rendering uses: (on, off) pairs, and the bullet of an
/// unordered list item.
struct Codes {
    bold: (&'static str, &'static str),
    italic: (&'static str, &'static str),
    strike: (&'static str, &'static str),
    code: (&'static str, &'static str),
    block: (&'static str, &'static str),
    bullet: &'static str,
}

const PLAIN: Codes = Codes {
    bold: ("", ""),
    italic: ("", ""),
    strike: ("", ""),
    code: ("", ""),
    block: ("", ""),
    bullet: "- ",
};

const ANSI: Codes = Codes {
    bold: (BOLD, BOLD_OFF),
    italic: (ITALIC, ITALIC_OFF),
    strike: (STRIKE, STRIKE_OFF),
    code: (CODE, CODE_OFF),
    block: (CODE, CODE_OFF),
    bullet: "- ",
};

const IRC: Codes = Codes {
    bold: ("\x02", "\x02"),
    italic: ("\x1d", "\x1d"),
    strike: ("\x1e", "\x1e"),
    // Monospace (`\x11`) is shown as a stray character by many clients.
    code: ("", ""),
    block: ("", ""),
    bullet: "\u{2022} ",
};

const BOLD: &str = "\x1b[1m";
const BOLD_OFF: &str = "\x1b[22m";
const ITALIC: &str = "\x1b[3m";
const ITALIC_OFF: &str = "\x1b[23m";
const STRIKE: &str = "\x1b[9m";
const STRIKE_OFF: &str = "\x1b[29m";
const CODE: &str = "\x1b[36m";
const CODE_OFF: &str = "\x1b[39m";

/// Renders a Markdown body for `markup`.
///
/// ```
/// use bot_core::render::{render, Markup};
/// assert_eq!(render("**hi** [docs](https://x.test)", Markup::Plain), "hi docs (https://x.test)");
/// assert_eq!(render("**hi**", Markup::Ansi), "\x1b[1mhi\x1b[22m");
/// assert_eq!(render("**hi** `x`\n- a", Markup::Irc), "\x02hi\x02 x\n\u{2022} a");
/// ```
pub fn render(markdown: &str, markup: Markup) -> String {
    match markup {
        Markup::Markdown => markdown.to_owned(),
        Markup::Plain => Renderer::new(&PLAIN).run(markdown),
        Markup::Ansi => Renderer::new(&ANSI).run(markdown),
        Markup::Irc => Renderer::new(&IRC).run(markdown),
    }
}

struct Renderer {
    codes: &'static Codes,
    out: String,
    /// Open lists: `None` for bullets, `Some(n)` for the next number.
    lists: Vec<Option<u64>>,
    /// Links being written: their target and where their text starts.
    links: Vec<(String, usize)>,
    quote_depth: usize,
}

impl Renderer {
    fn new(codes: &'static Codes) -> Self {
        Self {
            codes,
            out: String::new(),
            lists: Vec::new(),
            links: Vec::new(),
            quote_depth: 0,
        }
    }

    fn style(&mut self, code: &str) {
        self.out.push_str(code);
    }

    /// Starts a new line unless the output is empty or already at one.
    fn line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        if self.quote_depth > 0 {
            for _ in 0..self.quote_depth {
                self.out.push_str("> ");
            }
        }
    }

    fn run(mut self, markdown: &str) -> String {
        let opts = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
        for event in Parser::new_ext(markdown, opts) {
            self.event(event);
        }
        let trimmed = self.out.trim_end_matches('\n').len();
        self.out.truncate(trimmed);
        self.out
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t)
            | Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t) => self.out.push_str(&t),
            Event::Code(t) => {
                self.style(self.codes.code.0);
                self.out.push_str(&t);
                self.style(self.codes.code.1);
            }
            Event::SoftBreak | Event::HardBreak => self.line(),
            Event::Rule => {
                self.line();
                self.out.push_str("----");
            }
            Event::TaskListMarker(done) => self.out.push_str(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(t) => {
                self.out.push('[');
                self.out.push_str(&t);
                self.out.push(']');
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::TableRow | Tag::TableHead => self.line(),
            Tag::Heading { .. } => {
                self.line();
                self.style(self.codes.bold.0);
            }
            Tag::BlockQuote(_) => {
                self.quote_depth += 1;
            }
            Tag::CodeBlock(kind) => {
                self.line();
                if let CodeBlockKind::Fenced(_) = kind {
                    self.style(self.codes.block.0);
                }
            }
            Tag::List(start) => self.lists.push(start),
            Tag::Item => {
                self.line();
                let depth = self.lists.len().saturating_sub(1);
                self.out.push_str(&"  ".repeat(depth));
                match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let bullet = format!("{n}. ");
                        *n += 1;
                        self.out.push_str(&bullet);
                    }
                    _ => self.out.push_str(self.codes.bullet),
                }
            }
            Tag::Emphasis => self.style(self.codes.italic.0),
            Tag::Strong => self.style(self.codes.bold.0),
            Tag::Strikethrough => self.style(self.codes.strike.0),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.links.push((dest_url.into_string(), self.out.len()));
            }
            Tag::TableCell if !self.out.ends_with('\n') && !self.out.is_empty() => {
                self.out.push_str(" | ");
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) | TagEnd::Strong => self.style(self.codes.bold.1),
            TagEnd::BlockQuote(_) => self.quote_depth = self.quote_depth.saturating_sub(1),
            TagEnd::CodeBlock => {
                if self.out.ends_with('\n') {
                    self.out.pop();
                }
                self.style(self.codes.block.1);
            }
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::Emphasis => self.style(self.codes.italic.1),
            TagEnd::Strikethrough => self.style(self.codes.strike.1),
            TagEnd::Link | TagEnd::Image => {
                if let Some((url, at)) = self.links.pop() {
                    let text = self.out.get(at..).unwrap_or("");
                    if text.is_empty() {
                        self.out.push_str(&url);
                    } else if text != url && !url.is_empty() {
                        self.out.push_str(" (");
                        self.out.push_str(&url);
                        self.out.push(')');
                    }
                }
            }
            _ => {}
        }
    }
}

/// The largest index `<= at` that is a character boundary of `s`.
fn floor_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    let mut i = at;
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Splits `text` into pieces of at most `limit` bytes, cutting after a line
/// break where one is in reach, else at a space, else at a character
/// boundary. The line break or space cut at is dropped; no other text is
/// lost and no character is split. A `limit` of 0 means no limit. A single
/// character longer than `limit` still makes progress as a piece of its own.
///
/// ```
/// use bot_core::render::split_text;
/// assert_eq!(split_text("one two three", 8), ["one two", "three"]);
/// ```
pub fn split_text(text: &str, limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    if limit == 0 {
        pieces.push(text.to_owned());
        return pieces;
    }
    let mut rest = text;
    while rest.len() > limit {
        let end = floor_boundary(rest, limit);
        let window = &rest[..end];
        let (piece, next) = if let Some(i) = window.rfind('\n') {
            (&rest[..i], &rest[i + 1..])
        } else if let Some(i) = window.rfind(' ').filter(|&i| i > 0) {
            (&rest[..i], &rest[i + 1..])
        } else if end == 0 {
            let first = rest.chars().next().map_or(rest.len(), char::len_utf8);
            (&rest[..first], &rest[first..])
        } else {
            (window, &rest[end..])
        };
        if !piece.is_empty() {
            pieces.push(piece.to_owned());
        }
        rest = next;
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest.to_owned());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rendering() {
        let cases = [
            ("plain", "plain"),
            ("*a* _b_ **c** ~~d~~", "a b c d"),
            ("`code` here", "code here"),
            ("# Title\n\ntext", "Title\ntext"),
            ("- one\n- two", "- one\n- two"),
            ("1. a\n2. b", "1. a\n2. b"),
            ("line1\nline2", "line1\nline2"),
            ("<https://e.test>", "https://e.test"),
            ("[t](https://e.test)", "t (https://e.test)"),
            ("```\nfn x() {}\n```", "fn x() {}"),
            ("> quoted", "> quoted"),
        ];
        for (md, want) in cases {
            assert_eq!(render(md, Markup::Plain), want, "rendering {md:?}");
        }
    }

    #[test]
    fn ansi_and_markdown_rendering() {
        assert_eq!(render("*i*", Markup::Ansi), "\x1b[3mi\x1b[23m");
        assert_eq!(render("`c`", Markup::Ansi), "\x1b[36mc\x1b[39m");
        assert_eq!(render("**x**", Markup::Markdown), "**x**");
    }

    #[test]
    fn irc_rendering() {
        let cases = [
            ("**b** *i* ~~s~~", "\x02b\x02 \x1di\x1d \x1es\x1e"),
            ("`c` here", "c here"),
            ("# Head\n\ntext", "\x02Head\x02\ntext"),
            ("- one\n- two", "\u{2022} one\n\u{2022} two"),
            ("1. a\n2. b", "1. a\n2. b"),
            ("[docs](https://e.test)", "docs (https://e.test)"),
            ("```\nfn x() {}\n```", "fn x() {}"),
        ];
        for (md, want) in cases {
            assert_eq!(render(md, Markup::Irc), want, "rendering {md:?}");
        }
    }

    #[test]
    fn split_prefers_newlines_then_spaces_and_keeps_all_text() {
        assert_eq!(split_text("short", 10), ["short"]);
        assert_eq!(split_text("", 10), [""]);
        assert_eq!(split_text("ab cd\nef gh", 9), ["ab cd", "ef gh"]);
        assert_eq!(split_text("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(split_text("a", 0), ["a"]);
        // Never inside a character: "é" is two bytes.
        let s = "éééé";
        let parts = split_text(s, 3);
        assert_eq!(parts, ["é", "é", "é", "é"]);
        // Progress even when one character is wider than the limit.
        assert_eq!(split_text("€€", 2), ["€", "€"]);
        let long = "word ".repeat(100);
        let parts = split_text(long.trim_end(), 23);
        assert!(parts.iter().all(|p| p.len() <= 23));
        assert_eq!(parts.join(" "), long.trim_end());
    }
}
