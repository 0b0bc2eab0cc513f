//! The `AUTHENTICATE` framing of IRCv3 SASL: base64, 400-byte chunks, and
//! the `+` that marks an empty payload or an exact multiple of 400.
//!
//! Both directions use the same rule. A payload is base64-encoded and cut
//! into chunks of [`CHUNK_LEN`] bytes; a chunk of exactly 400 bytes means
//! more follows, so an encoding whose length is a multiple of 400 (including
//! the empty one) ends with a lone `+`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use irc_proto::MessageBuf;

use super::SaslError;

/// The length of a full `AUTHENTICATE` chunk: a chunk this long announces
/// that another one follows.
pub const CHUNK_LEN: usize = 400;

/// The largest payload (base64 text, all chunks together) accepted from the
/// server, so a misbehaving server cannot make the client buffer without end.
pub const MAX_INCOMING_LEN: usize = 64 * 1024;

/// Encodes `payload` as the `AUTHENTICATE` lines that carry it.
///
/// ```
/// use irc_client::sasl::wire::encode_lines;
///
/// let lines = encode_lines(b"");
/// assert_eq!(lines.len(), 1);
/// assert_eq!(lines[0].pack().unwrap(), "AUTHENTICATE +");
///
/// let lines = encode_lines(b"user\0user\0pass");
/// assert_eq!(lines[0].pack().unwrap(), "AUTHENTICATE dXNlcgB1c2VyAHBhc3M=");
/// ```
#[must_use]
pub fn encode_lines(payload: &[u8]) -> Vec<MessageBuf> {
    let encoded = STANDARD.encode(payload);
    split_encoded(&encoded)
}

/// Cuts already-encoded base64 text into `AUTHENTICATE` lines: chunks of 400
/// bytes, plus `AUTHENTICATE +` when the length is a multiple of 400
/// (including 0).
#[must_use]
pub fn split_encoded(encoded: &str) -> Vec<MessageBuf> {
    // Base64 text is ASCII, so every byte offset is a character boundary.
    let mut lines: Vec<MessageBuf> = encoded
        .as_bytes()
        .chunks(CHUNK_LEN)
        .map(|chunk| authenticate(String::from_utf8_lossy(chunk).into_owned()))
        .collect();
    if encoded.len().is_multiple_of(CHUNK_LEN) {
        lines.push(authenticate("+"));
    }
    lines
}

/// `AUTHENTICATE <param>`.
pub(crate) fn authenticate(param: impl Into<String>) -> MessageBuf {
    MessageBuf::new("AUTHENTICATE").with_param(param)
}

/// Reassembles the payload the server sends in `AUTHENTICATE` chunks.
///
/// ```
/// use irc_client::sasl::wire::Reassembler;
///
/// let mut r = Reassembler::default();
/// assert_eq!(r.push("+").unwrap(), Some(Vec::new()));
/// assert_eq!(r.push("aGk=").unwrap(), Some(b"hi".to_vec()));
/// ```
#[derive(Debug, Default, Clone)]
pub struct Reassembler {
    /// The base64 text of the full chunks received so far.
    buf: String,
}

impl Reassembler {
    /// Adds one chunk (the parameter of `AUTHENTICATE`). Returns the decoded
    /// payload once it is complete, `None` while more chunks are expected.
    ///
    /// # Errors
    ///
    /// [`SaslError::InvalidBase64`] when the assembled text is not base64,
    /// [`SaslError::PayloadTooLong`] past [`MAX_INCOMING_LEN`]. Either way the
    /// buffer is emptied.
    pub fn push(&mut self, chunk: &str) -> Result<Option<Vec<u8>>, SaslError> {
        if chunk != "+" {
            if self.buf.len() + chunk.len() > MAX_INCOMING_LEN {
                self.buf.clear();
                return Err(SaslError::PayloadTooLong);
            }
            self.buf.push_str(chunk);
            if chunk.len() == CHUNK_LEN {
                return Ok(None);
            }
        }
        let text = std::mem::take(&mut self.buf);
        STANDARD
            .decode(text.as_bytes())
            .map(Some)
            .map_err(|_| SaslError::InvalidBase64)
    }

    /// Whether part of a payload is buffered.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Forgets a partly received payload.
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(lines: &[MessageBuf]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                assert_eq!(l.command, "AUTHENTICATE");
                l.params[0].clone()
            })
            .collect()
    }

    #[test]
    fn empty_payload_is_a_plus() {
        assert_eq!(params(&encode_lines(b"")), ["+"]);
    }

    #[test]
    fn exact_multiple_of_400_ends_with_plus() {
        let encoded = "A".repeat(800);
        let p = params(&split_encoded(&encoded));
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].len(), 400);
        assert_eq!(p[1].len(), 400);
        assert_eq!(p[2], "+");
    }

    #[test]
    fn one_past_400_gives_400_then_1() {
        let encoded = "A".repeat(401);
        let p = params(&split_encoded(&encoded));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 400);
        assert_eq!(p[1], "A");
    }

    #[test]
    fn exactly_400_gives_400_then_plus() {
        let p = params(&split_encoded(&"B".repeat(400)));
        assert_eq!(p.len(), 2);
        assert_eq!(p[1], "+");
    }

    #[test]
    fn encoded_payload_of_600_raw_bytes_is_800_chars() {
        // 600 bytes of payload encode to exactly 800 base64 characters.
        let p = params(&encode_lines(&[7u8; 600]));
        assert_eq!(p.iter().map(String::len).collect::<Vec<_>>(), [400, 400, 1]);
        assert_eq!(p[2], "+");
    }

    #[test]
    fn reassembles_split_payloads() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(900).collect();
        let lines = encode_lines(&payload);
        let mut r = Reassembler::default();
        let mut out = None;
        for (i, p) in params(&lines).iter().enumerate() {
            let got = r.push(p).unwrap();
            if i + 1 < lines.len() {
                assert!(got.is_none(), "chunk {i} must wait for more");
                assert!(r.is_pending());
            } else {
                out = got;
            }
        }
        assert_eq!(out.as_deref(), Some(&payload[..]));
        assert!(!r.is_pending());
    }

    #[test]
    fn reassembles_a_multiple_of_400_terminated_by_plus() {
        let payload = [9u8; 300]; // 400 base64 characters
        let p = params(&encode_lines(&payload));
        let mut r = Reassembler::default();
        assert_eq!(r.push(&p[0]).unwrap(), None);
        assert_eq!(r.push(&p[1]).unwrap().as_deref(), Some(&payload[..]));
    }

    #[test]
    fn bad_base64_is_an_error_and_resets() {
        let mut r = Reassembler::default();
        assert!(matches!(r.push("!!!"), Err(SaslError::InvalidBase64)));
        assert_eq!(r.push("aGk=").unwrap().as_deref(), Some(&b"hi"[..]));
    }

    #[test]
    fn endless_chunks_are_refused() {
        let mut r = Reassembler::default();
        let chunk = "A".repeat(CHUNK_LEN);
        let mut refused = false;
        for _ in 0..(MAX_INCOMING_LEN / CHUNK_LEN + 2) {
            if r.push(&chunk).is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused);
        assert!(!r.is_pending());
    }
}
