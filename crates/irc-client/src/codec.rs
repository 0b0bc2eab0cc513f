//! [`IrcCodec`]: IRC lines over a byte stream, for `tokio-util`'s
//! [`Framed`](tokio_util::codec::Framed).
//!
//! Decoding frames on LF. A CR right before the LF is stripped, so both CRLF
//! (what the RFCs require) and a bare LF (what some servers send) end a line.
//! Empty lines are skipped. A line that is UTF-8 is handed on as a
//! [`ByteString`] that shares the read buffer's storage: no copy, no
//! allocation of its own. A line that is not is read by [`irc_proto::decode`]
//! as CP1252 for the bytes that are not UTF-8, so no line is lost for its
//! encoding. (A line kept for a long time keeps the block of the read buffer
//! it came from, a few kilobytes, alive.)
//!
//! A line longer than [`IrcCodec::max_line_length`] is not an error: its bytes
//! are discarded up to the next LF, the [`IrcCodec::discarded`] counter goes
//! up, and decoding carries on with the line after it. Only I/O errors end the
//! stream. A line that is not UTF-8 is counted too ([`IrcCodec::not_utf8`]).
//! When the stream ends in the middle of a line, that partial line is
//! dropped and counted ([`IrcCodec::incomplete`]): cut anywhere, it cannot be
//! trusted.
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
    /// How many of `decoded` the client's counters have been told of.
    decoded_synced: u64,
    /// The client's counters, also kept up to date when there is one.
    counters: Option<Arc<Counters>>,
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
            decoded_synced: 0,
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

    /// Brings the client's count of decoded lines up to date (it is
    /// updated once for the lines read in one go, not for each line).
    pub(crate) fn sync_counters(&mut self) {
        if let Some(c) = &self.counters {
            c.decoded(self.decoded - self.decoded_synced);
            self.decoded_synced = self.decoded;
        }
    }

    /// Counts an overlong line.
    fn count_overlong(&mut self) {
        self.discarded += 1;
        if let Some(c) = &self.counters {
            c.overlong();
        }
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
                if let Some(c) = &self.counters {
                    c.not_utf8();
                }
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
        if self.discarding {
            self.discarding = false;
            buf.clear();
            return Ok(None);
        }
        if !buf.is_empty() && buf[..] != *b"\r" {
            self.incomplete += 1;
            if let Some(c) = &self.counters {
                c.incomplete();
            }
            tracing::warn!(
                len = buf.len(),
                "dropped a line cut off by the end of the stream"
            );
        }
        buf.clear();
        Ok(None)
    }
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
