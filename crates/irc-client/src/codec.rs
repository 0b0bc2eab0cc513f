//! IRC lines over a byte stream, for `tokio-util`'s
//! [`Framed`](tokio_util::codec::Framed) and
//! [`FramedRead`](tokio_util::codec::FramedRead): [`IrcCodec`] hands out
//! one line at a time, [`LineBatchCodec`] every complete line of a read at
//! once (what the client's read loop uses).
//!
//! Both frame alike. A line ends at LF; a CR right before the LF is
//! stripped, so both CRLF (what the RFCs require) and a bare LF (what some
//! servers send) end a line. Empty lines are skipped. A line that is UTF-8
//! is read in place, sharing the read buffer's storage; a line that is not
//! is read by [`irc_proto::decode`] as CP1252 for the bytes that are not
//! UTF-8, so no line is lost for its encoding. (A line kept for a long
//! time keeps the block of the read buffer it came from alive.)
//!
//! A line longer than the codec's maximum length is not an error: its bytes
//! are discarded up to the next LF, it is counted, and decoding carries on
//! with the line after it. Only I/O errors end the stream. When the stream
//! ends in the middle of a line, that partial line is dropped and counted:
//! cut anywhere, it cannot be trusted.
//!
//! Encoding packs an [`irc_proto::MessageBuf`] with its CRLF; a message that
//! cannot be packed safely (CR, LF or NUL in a parameter, ...) is refused and
//! nothing is written.

use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use bytestring::ByteString;
use irc_proto::MessageBuf;
use tokio_util::codec::{Decoder, Encoder};

use crate::error::Error;
use crate::stats::Counters;

/// The default [`IrcCodec::max_line_length`]: the IRCv3 tag budget (8191
/// bytes) plus the RFC 2812 body (510 bytes) and a little slack for servers
/// that count loosely.
pub const DEFAULT_MAX_LINE_LENGTH: usize = irc_proto::MAX_TAGS_LEN + irc_proto::MAX_BODY_LEN + 2;

/// Frames IRC lines: LF-terminated, a stray CR stripped, at most
/// [`max_line_length`](IrcCodec::max_line_length) bytes, decoded to text.
///
/// ```
/// use bytes::BytesMut;
/// use irc_client::codec::IrcCodec;
/// use tokio_util::codec::Decoder;
///
/// let mut codec = IrcCodec::new(16);
/// let mut buf = BytesMut::from(&b"PING :a\r\nTHIS LINE IS FAR TOO LONG\nPING :b\ncaf\xe9\n"[..]);
/// assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("PING :a"));
/// assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("PING :b"));
/// assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("café"));
/// assert_eq!(codec.decode(&mut buf)?, None);
/// assert_eq!((codec.decoded(), codec.discarded()), (3, 1));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IrcCodec {
    /// The longest line content (without CR and LF) that is kept.
    max_line_length: usize,
    /// Where to resume the search for LF in the buffer, so that a line that
    /// arrives in many small reads is scanned only once.
    next_index: usize,
    /// Whether we are skipping the rest of an overlong line.
    discarding: bool,
    /// How many lines were handed out.
    decoded: u64,
    /// How many overlong lines were dropped.
    discarded: u64,
    /// How many lines were read as CP1252.
    not_utf8: u64,
    /// How many lines the end of the stream cut off.
    incomplete: u64,
}

impl Default for IrcCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE_LENGTH)
    }
}

impl IrcCodec {
    /// A codec that keeps lines of at most `max_line_length` bytes (not
    /// counting the CR and LF).
    #[must_use]
    pub const fn new(max_line_length: usize) -> Self {
        Self {
            max_line_length,
            next_index: 0,
            discarding: false,
            decoded: 0,
            discarded: 0,
            not_utf8: 0,
            incomplete: 0,
        }
    }

    /// The longest line kept, in bytes, without its line ending.
    #[must_use]
    pub const fn max_line_length(&self) -> usize {
        self.max_line_length
    }

    /// How many lines this codec has decoded.
    #[must_use]
    pub const fn decoded(&self) -> u64 {
        self.decoded
    }

    /// How many overlong lines this codec has discarded.
    #[must_use]
    pub const fn discarded(&self) -> u64 {
        self.discarded
    }

    /// How many of the decoded lines were not UTF-8 (and were read as
    /// CP1252).
    #[must_use]
    pub const fn not_utf8(&self) -> u64 {
        self.not_utf8
    }

    /// How many lines were cut off by the end of the stream (bytes after
    /// the last LF when the peer closed): dropped, since a line cut
    /// anywhere cannot be trusted.
    #[must_use]
    pub const fn incomplete(&self) -> u64 {
        self.incomplete
    }

    /// Counts an overlong line.
    fn count_overlong(&mut self) {
        self.discarded += 1;
    }

    /// Checks one line (without its LF): `false` for an empty or overlong
    /// line, which is dropped (and counted when overlong).
    fn keep_line(&mut self, line: &[u8]) -> bool {
        if line.len() > self.max_line_length {
            self.count_overlong();
            tracing::warn!(
                len = line.len(),
                max = self.max_line_length,
                "discarded an overlong line"
            );
            return false;
        }
        !line.is_empty()
    }

    /// Turns the bytes of a kept line into text: the bytes themselves when
    /// they are UTF-8 (no copy), else a CP1252 reading of them.
    fn text_of(&mut self, line: Bytes) -> ByteString {
        self.decoded += 1;
        match ByteString::try_from(line.clone()) {
            Ok(text) => text,
            Err(_) => {
                self.not_utf8 += 1;
                tracing::debug!(len = line.len(), "read a line that is not UTF-8 as CP1252");
                ByteString::from(irc_proto::decode(&line).into_owned())
            }
        }
    }
}

impl Decoder for IrcCodec {
    type Item = ByteString;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<ByteString>, std::io::Error> {
        loop {
            if self.discarding {
                // Skip to the end of the overlong line, wherever it is.
                if let Some(i) = memchr::memchr(b'\n', buf) {
                    buf.advance(i + 1);
                    self.discarding = false;
                    continue;
                }
                buf.clear();
                return Ok(None);
            }
            // A kept line has at most max bytes, plus CR and LF.
            let window = buf.len().min(self.max_line_length.saturating_add(2));
            let start = self.next_index.min(window);
            match memchr::memchr(b'\n', &buf[start..window]) {
                Some(offset) => {
                    let end = start + offset;
                    // The line is split off the buffer, not copied: the
                    // text handed on shares the buffer's storage.
                    let mut line = buf.split_to(end + 1);
                    self.next_index = 0;
                    line.truncate(end);
                    if line.last() == Some(&b'\r') {
                        line.truncate(end - 1);
                    }
                    if self.keep_line(&line) {
                        return Ok(Some(self.text_of(line.freeze())));
                    }
                }
                None if buf.len() >= self.max_line_length.saturating_add(2) => {
                    // No LF within the longest possible kept line: this line
                    // is too long. Count it once and skip it.
                    self.count_overlong();
                    tracing::warn!(
                        len_at_least = window,
                        max = self.max_line_length,
                        "discarding an overlong line"
                    );
                    self.discarding = true;
                    self.next_index = 0;
                    buf.advance(window);
                }
                None => {
                    self.next_index = window;
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ByteString>, std::io::Error> {
        if let Some(line) = self.decode(buf)? {
            return Ok(Some(line));
        }
        // The peer closed in the middle of a line: what arrived of it may be
        // cut anywhere (a command, a nick, a mask), so it is not handed on.
        self.next_index = 0;
        if std::mem::take(&mut self.discarding) {
            buf.clear();
            return Ok(None);
        }
        if cut_off(buf) {
            self.incomplete += 1;
        }
        buf.clear();
        Ok(None)
    }
}

/// Whether the bytes left when the stream ended are a line cut off (logged
/// then); a lone CR, a CRLF cut in two, is none.
fn cut_off(rest: &[u8]) -> bool {
    let cut = !rest.is_empty() && rest != b"\r";
    if cut {
        tracing::warn!(
            len = rest.len(),
            "dropped a line cut off by the end of the stream"
        );
    }
    cut
}

impl Encoder<&MessageBuf> for IrcCodec {
    type Error = Error;

    fn encode(&mut self, msg: &MessageBuf, dst: &mut BytesMut) -> Result<(), Error> {
        let mut out = Vec::new();
        msg.pack_into(&mut out)?;
        dst.extend_from_slice(&out);
        Ok(())
    }
}

/// Frames IRC lines a read buffer at a time: each item is a [`LineBatch`]
/// holding every complete line the buffer had, split off in one piece.
///
/// This is how the client reads: one hand-over per read instead of one per
/// line, and lines read in place, borrowed from the batch, with no copy and
/// no reference count of their own. The framing rules are those of
/// [`IrcCodec`] (LF ends a line, a CR before it is stripped, empty lines are
/// skipped, a line over [`max_line_length`](Self::max_line_length) is
/// dropped and the stream resynchronises, a line cut off by the end of the
/// stream is dropped); the batch is checked for UTF-8 as a whole, and a
/// line that is not UTF-8 is read as CP1252.
///
/// An overlong line whose end is in the buffer is reported by the batch's
/// iterator as [`Line::Overlong`]; one whose end is not yet read is
/// skipped here, up to its LF, and counted by
/// [`discarded`](Self::discarded).
///
/// ```
/// use bytes::BytesMut;
/// use irc_client::codec::{Line, LineBatchCodec};
/// use tokio_util::codec::Decoder;
///
/// let mut codec = LineBatchCodec::new(16);
/// let mut buf = BytesMut::from(&b"PING :a\r\nTHIS LINE IS FAR TOO LONG\n\nPING :b\ncaf\xe9\nPART"[..]);
/// let batch = codec.decode(&mut buf)?.expect("complete lines");
/// let lines: Vec<Line<'_>> = batch.lines().map(|(_, line)| line).collect();
/// assert_eq!(
///     lines,
///     [
///         Line::Text("PING :a"),
///         Line::Overlong(25),
///         Line::Text("PING :b"),
///         Line::Decoded("café".to_owned()),
///     ]
/// );
/// // The rest waits for its line ending.
/// assert_eq!(&buf[..], b"PART");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LineBatchCodec {
    /// The longest line content (without CR and LF) that is kept.
    max_line_length: usize,
    /// How many bytes at the start of the buffer are known to hold no LF.
    scanned: usize,
    /// Whether we are skipping the rest of an overlong line.
    discarding: bool,
    /// How many overlong lines were skipped before their end was read.
    discarded: u64,
    /// How many lines the end of the stream cut off.
    incomplete: u64,
    /// The client's counters, also kept up to date when there is one.
    counters: Option<Arc<Counters>>,
}

impl Default for LineBatchCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE_LENGTH)
    }
}

impl LineBatchCodec {
    /// A codec that keeps lines of at most `max_line_length` bytes (not
    /// counting the CR and LF).
    #[must_use]
    pub const fn new(max_line_length: usize) -> Self {
        Self {
            max_line_length,
            scanned: 0,
            discarding: false,
            discarded: 0,
            incomplete: 0,
            counters: None,
        }
    }

    /// Also counts into a client's counters.
    pub(crate) fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = Some(counters);
        self
    }

    /// The longest line kept, in bytes, without its line ending.
    #[must_use]
    pub const fn max_line_length(&self) -> usize {
        self.max_line_length
    }

    /// How many overlong lines were skipped before their end was read
    /// (those ending within a batch are [`Line::Overlong`] items instead).
    #[must_use]
    pub const fn discarded(&self) -> u64 {
        self.discarded
    }

    /// How many lines were cut off by the end of the stream: dropped.
    #[must_use]
    pub const fn incomplete(&self) -> u64 {
        self.incomplete
    }
}

impl Decoder for LineBatchCodec {
    type Item = LineBatch;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<LineBatch>, std::io::Error> {
        if self.discarding {
            // Skip to the end of the overlong line, wherever it is.
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    buf.advance(i + 1);
                    self.discarding = false;
                }
                None => {
                    buf.clear();
                    return Ok(None);
                }
            }
        }
        let from = self.scanned.min(buf.len());
        if let Some(i) = memchr::memrchr(b'\n', &buf[from..]) {
            self.scanned = 0;
            let bytes = buf.split_to(from + i + 1).freeze();
            return Ok(Some(LineBatch::new(bytes, self.max_line_length)));
        }
        // A kept line has at most max bytes, plus CR and LF: without an LF
        // in max + 2 bytes, this one is too long.
        if buf.len() >= self.max_line_length.saturating_add(2) {
            self.discarded += 1;
            if let Some(c) = &self.counters {
                c.overlong();
            }
            tracing::warn!(
                len_at_least = buf.len(),
                max = self.max_line_length,
                "discarding an overlong line"
            );
            self.discarding = true;
            self.scanned = 0;
            buf.clear();
            return Ok(None);
        }
        self.scanned = buf.len();
        Ok(None)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<LineBatch>, std::io::Error> {
        if let Some(batch) = self.decode(buf)? {
            return Ok(Some(batch));
        }
        // The peer closed in the middle of a line: what arrived of it may be
        // cut anywhere, so it is not handed on.
        self.scanned = 0;
        if !std::mem::take(&mut self.discarding) && cut_off(buf) {
            self.incomplete += 1;
            if let Some(c) = &self.counters {
                c.incomplete();
            }
        }
        buf.clear();
        Ok(None)
    }
}

/// Complete lines from the read buffer, in one piece (the item of
/// [`LineBatchCodec`]); read them with [`LineBatch::lines`].
#[derive(Debug, Clone)]
pub struct LineBatch {
    bytes: Bytes,
    /// The longest line content kept.
    max_line_length: usize,
}

impl LineBatch {
    /// A batch of the lines in `bytes` (which ends with an LF, or the last
    /// line is read as if it did).
    #[must_use]
    pub const fn new(bytes: Bytes, max_line_length: usize) -> Self {
        Self {
            bytes,
            max_line_length,
        }
    }

    /// The bytes of the batch, line endings included.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many bytes the batch holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the batch holds no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The lines, in order, each with the offset just past its LF.
    #[must_use]
    pub fn lines(&self) -> BatchLines<'_> {
        self.lines_from(0)
    }

    /// The lines from byte `offset` on (an offset an earlier line was
    /// given with, to resume where a reader stopped).
    ///
    /// The bytes from there on are checked for UTF-8 in one go (with SIMD
    /// where the CPU has it); when they all are, every line is read in
    /// place without another check. Otherwise each line is checked on its
    /// own, and the lines that are not UTF-8 are read as CP1252.
    #[must_use]
    pub fn lines_from(&self, offset: usize) -> BatchLines<'_> {
        let bytes = self.bytes.get(offset..).unwrap_or_default();
        BatchLines {
            bytes,
            text: simdutf8::basic::from_utf8(bytes).ok(),
            pos: 0,
            base: offset,
            max: self.max_line_length,
        }
    }
}

/// One line of a [`LineBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    /// A UTF-8 line, read in place.
    Text(&'a str),
    /// A line that was not UTF-8, read as CP1252 ([`irc_proto::decode`]).
    Decoded(String),
    /// A line longer than the codec's maximum, skipped: its length in
    /// bytes, without its line ending.
    Overlong(usize),
}

/// The iterator of [`LineBatch::lines`]: each line with the offset (in
/// the batch) just past its LF. Empty lines are skipped.
#[derive(Debug, Clone)]
pub struct BatchLines<'a> {
    /// The bytes from where the iteration started.
    bytes: &'a [u8],
    /// The same, as text, when they are all UTF-8.
    text: Option<&'a str>,
    /// Where the next line starts, in `bytes`.
    pos: usize,
    /// Where `bytes` starts in the batch.
    base: usize,
    max: usize,
}

impl<'a> Iterator for BatchLines<'a> {
    type Item = (usize, Line<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.bytes.get(self.pos..).filter(|r| !r.is_empty())?;
            let start = self.pos;
            let end = memchr::memchr(b'\n', rest).map_or(self.bytes.len(), |i| start + i);
            self.pos = end + 1;
            let after = self.base + self.pos;
            let stop = if end > start && self.bytes.get(end - 1) == Some(&b'\r') {
                end - 1
            } else {
                end
            };
            if stop == start {
                continue;
            }
            if stop - start > self.max {
                return Some((after, Line::Overlong(stop - start)));
            }
            // The ends of a line sit next to ASCII bytes (or at the ends of
            // the batch), so they are character boundaries of valid text.
            if let Some(line) = self.text.and_then(|t| t.get(start..stop)) {
                return Some((after, Line::Text(line)));
            }
            let bytes = self.bytes.get(start..stop).unwrap_or_default();
            return Some((
                after,
                match std::str::from_utf8(bytes) {
                    Ok(line) => Line::Text(line),
                    Err(_) => Line::Decoded(irc_proto::decode(bytes).into_owned()),
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes everything in `chunks`, fed one chunk at a time, then EOF.
    fn decode_chunks(codec: &mut IrcCodec, chunks: &[&[u8]]) -> Vec<String> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(line) = codec.decode(&mut buf).expect("decode") {
                out.push(String::from(line));
            }
        }
        while let Some(line) = codec.decode_eof(&mut buf).expect("decode_eof") {
            out.push(String::from(line));
        }
        out
    }

    fn lines(input: &[u8], max: usize) -> (Vec<String>, u64) {
        let mut codec = IrcCodec::new(max);
        let out = decode_chunks(&mut codec, &[input]);
        (out, codec.discarded())
    }

    #[test]
    fn utf8_lines_share_the_read_buffer() {
        let mut buf = BytesMut::from(&b"PING :a\r\nPRIVMSG #c :caf\xc3\xa9\r\nX :caf\xe9\n"[..]);
        let start = buf.as_ptr() as usize;
        let end = start + buf.len();
        let mut codec = IrcCodec::default();
        let inside = |s: &ByteString| (start..end).contains(&(s.as_ptr() as usize));
        let a = codec.decode(&mut buf).expect("decode").expect("line");
        let b = codec.decode(&mut buf).expect("decode").expect("line");
        let c = codec.decode(&mut buf).expect("decode").expect("line");
        assert_eq!((&*a, &*b, &*c), ("PING :a", "PRIVMSG #c :café", "X :café"));
        assert!(inside(&a) && inside(&b), "UTF-8 lines are not copied");
        assert!(!inside(&c), "a CP1252 line is decoded into text of its own");
        assert_eq!(codec.not_utf8(), 1);
    }

    #[test]
    fn crlf_and_bare_lf_both_end_a_line() {
        let (out, _) = lines(b"A 1\r\nB 2\nC 3\r\n", 512);
        assert_eq!(out, ["A 1", "B 2", "C 3"]);
    }

    #[test]
    fn empty_lines_are_skipped() {
        let (out, _) = lines(b"\r\n\nA\r\n\r\n", 512);
        assert_eq!(out, ["A"]);
    }

    #[test]
    fn only_the_cr_before_lf_is_stripped() {
        let (out, _) = lines(b"A\rB\r\r\n", 512);
        assert_eq!(out, ["A\rB\r"]);
    }

    #[test]
    fn invalid_utf8_falls_back_to_cp1252() {
        let (out, _) = lines(b"PRIVMSG #c :caf\xe9 \x80\r\nPRIVMSG #c :\xc3\xa9\r\n", 512);
        assert_eq!(out, ["PRIVMSG #c :café €", "PRIVMSG #c :é"]);
    }

    #[test]
    fn a_line_cut_off_at_eof_is_dropped_and_counted() {
        let mut codec = IrcCodec::new(512);
        let out = decode_chunks(&mut codec, &[b"A\r\nPRIVMSG #c :!ban *!*@", b"ho"]);
        assert_eq!(out, ["A"]);
        assert_eq!((codec.decoded(), codec.incomplete()), (1, 1));
        // A lone CR (the CRLF cut in two) is no line.
        let mut codec = IrcCodec::new(512);
        assert_eq!(decode_chunks(&mut codec, &[b"A\r"]), Vec::<String>::new());
        assert_eq!(codec.incomplete(), 1);
        let mut codec = IrcCodec::new(512);
        assert_eq!(decode_chunks(&mut codec, &[b"A\r\n\r"]), ["A"]);
        assert_eq!(codec.incomplete(), 0);
    }

    #[test]
    fn line_of_exactly_max_is_kept_with_or_without_cr() {
        let (out, discarded) = lines(b"12345\r\n12345\n123456\n", 5);
        assert_eq!(out, ["12345", "12345"]);
        assert_eq!(discarded, 1);
    }

    #[test]
    fn overlong_line_is_discarded_and_stream_resynchronises() {
        let long = "X".repeat(100);
        let input = format!("A\r\n{long}\r\nB\r\n{long}\nC\n");
        let (out, discarded) = lines(input.as_bytes(), 10);
        assert_eq!(out, ["A", "B", "C"]);
        assert_eq!(discarded, 2);
    }

    #[test]
    fn overlong_line_in_small_reads_is_discarded_once() {
        let long = "Y".repeat(50);
        let input = format!("{long}\nOK\n");
        let chunks: Vec<&[u8]> = input.as_bytes().chunks(3).collect();
        let mut codec = IrcCodec::new(8);
        let out = decode_chunks(&mut codec, &chunks);
        assert_eq!(out, ["OK"]);
        assert_eq!(codec.discarded(), 1);
        assert_eq!(codec.decoded(), 1);
    }

    #[test]
    fn overlong_last_line_at_eof_is_discarded() {
        let (out, discarded) = lines(b"A\nTOOLONGLINE", 4);
        assert_eq!(out, ["A"]);
        assert_eq!(discarded, 1);
    }

    #[test]
    fn split_reads_at_every_byte_position_give_the_same_lines() {
        let long = "Z".repeat(40);
        let input =
            format!("@t=x :n!u@h PRIVMSG #c :h\u{e9}llo\r\n\nPING :x\n{long}\r\ncaf\u{e9}\r\nEND");
        let input = input.as_bytes();
        let expected = lines(input, 32);
        // The last line, cut off by the end of the stream, is dropped.
        assert_eq!(expected.0.len(), 3);
        assert_eq!(expected.1, 1);
        for i in 0..=input.len() {
            let mut codec = IrcCodec::new(32);
            let out = decode_chunks(&mut codec, &[&input[..i], &input[i..]]);
            assert_eq!(out, expected.0, "split at {i}");
            assert_eq!(codec.discarded(), 1, "split at {i}");
            assert_eq!(codec.incomplete(), 1, "split at {i}");
        }
        // And one byte at a time.
        let chunks: Vec<&[u8]> = input.chunks(1).collect();
        let mut codec = IrcCodec::new(32);
        assert_eq!(decode_chunks(&mut codec, &chunks), expected.0);
    }

    #[test]
    fn split_inside_a_utf8_character_is_reassembled() {
        let input = "PRIVMSG #c :€uro\r\n".as_bytes();
        for i in 0..=input.len() {
            let mut codec = IrcCodec::default();
            let out = decode_chunks(&mut codec, &[&input[..i], &input[i..]]);
            assert_eq!(out, ["PRIVMSG #c :€uro"], "split at {i}");
        }
    }

    /// What [`LineBatchCodec`] makes of `chunks` (fed one at a time, then
    /// EOF): the lines, and how many overlong lines it dropped in all.
    fn batch_chunks(codec: &mut LineBatchCodec, chunks: &[&[u8]]) -> (Vec<String>, u64) {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut overlong = 0;
        let mut take = |batch: LineBatch, out: &mut Vec<String>| {
            for (_, line) in batch.lines() {
                match line {
                    Line::Text(t) => out.push(t.to_owned()),
                    Line::Decoded(t) => out.push(t),
                    Line::Overlong(_) => overlong += 1,
                }
            }
        };
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(batch) = codec.decode(&mut buf).expect("decode") {
                take(batch, &mut out);
            }
        }
        while let Some(batch) = codec.decode_eof(&mut buf).expect("decode_eof") {
            take(batch, &mut out);
        }
        (out, overlong + codec.discarded())
    }

    /// Both codecs on the same chunks: the same lines, the same overlong
    /// and cut-off counts.
    fn assert_codecs_agree(chunks: &[&[u8]], max: usize) {
        let mut lines = IrcCodec::new(max);
        let want = decode_chunks(&mut lines, chunks);
        let mut batches = LineBatchCodec::new(max);
        let (got, overlong) = batch_chunks(&mut batches, chunks);
        assert_eq!(got, want, "{chunks:?}");
        assert_eq!(overlong, lines.discarded(), "{chunks:?}");
        assert_eq!(batches.incomplete(), lines.incomplete(), "{chunks:?}");
    }

    #[test]
    fn batches_frame_as_lines_do_at_every_split() {
        let long = "Z".repeat(40);
        let inputs = [
            format!("@t=x :n!u@h PRIVMSG #c :h\u{e9}llo\r\n\nPING :x\n{long}\r\ncaf\u{e9}\r\nEND"),
            format!("{long}\nA\r\n\r\n{long}{long}\r\nB\rC\r\r\n"),
            "PRIVMSG #c :\u{20ac}uro\r\n".to_owned(),
            "A\r\n\r".to_owned(),
            "\r\n\n\n".to_owned(),
        ];
        for input in &inputs {
            let input = input.as_bytes();
            for i in 0..=input.len() {
                assert_codecs_agree(&[&input[..i], &input[i..]], 32);
            }
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            assert_codecs_agree(&bytes, 32);
        }
        // Lines of exactly the limit, and one byte over, with and without CR.
        assert_codecs_agree(&[b"12345\r\n12345\n123456\n123456\r\nok\n"], 5);
    }

    #[test]
    fn batches_agree_with_lines_on_random_streams() {
        let mut rng = crate::backoff::SplitMix64::new(0x1bc);
        let pieces: [&[u8]; 9] = [
            b"PRIVMSG #c :hi",
            b"\r\n",
            b"\n",
            b"\r",
            b"caf\xe9",
            "\u{1f980}".as_bytes(),
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            b" ",
            b":n!u@h ",
        ];
        for _ in 0..300 {
            let mut input = Vec::new();
            for _ in 0..rng.next_u64() % 40 {
                input.extend_from_slice(pieces[(rng.next_u64() % 9) as usize]);
            }
            let mut chunks = Vec::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let n = 1 + (rng.next_u64() as usize) % rest.len().min(50);
                chunks.push(&rest[..n]);
                rest = &rest[n..];
            }
            assert_codecs_agree(&chunks, 24);
        }
    }

    #[test]
    fn a_batch_resumes_where_a_reader_stopped_and_is_not_copied() {
        let mut codec = LineBatchCodec::default();
        let mut buf = BytesMut::from(&b"A 1\r\nB 2\r\nC 3\r\nD"[..]);
        let start = buf.as_ptr() as usize;
        let batch = codec.decode(&mut buf).expect("decode").expect("batch");
        assert_eq!(batch.len(), 15);
        let mut lines = batch.lines();
        let (after_a, a) = lines.next().expect("A");
        assert_eq!(a, Line::Text("A 1"));
        let Line::Text(text) = a else { unreachable!() };
        assert!((start..start + 15).contains(&(text.as_ptr() as usize)));
        let rest: Vec<_> = batch.lines_from(after_a).map(|(_, l)| l).collect();
        assert_eq!(rest, [Line::Text("B 2"), Line::Text("C 3")]);
        assert_eq!(&buf[..], b"D");
        assert!(codec.decode(&mut buf).expect("decode").is_none());
        assert!(codec.decode_eof(&mut buf).expect("eof").is_none());
        assert_eq!(codec.incomplete(), 1);
    }

    #[test]
    fn encode_writes_crlf_and_refuses_injection() {
        let mut codec = IrcCodec::default();
        let mut dst = BytesMut::new();
        let ok = MessageBuf::new("PRIVMSG")
            .with_param("#c")
            .with_param("hi there");
        codec.encode(&ok, &mut dst).expect("encode");
        assert_eq!(&dst[..], b"PRIVMSG #c :hi there\r\n");
        let evil = MessageBuf::new("PRIVMSG")
            .with_param("#c")
            .with_param("hi\r\nQUIT");
        assert!(matches!(codec.encode(&evil, &mut dst), Err(Error::Pack(_))));
        assert_eq!(&dst[..], b"PRIVMSG #c :hi there\r\n");
    }
}
