//! The bodies of the fuzz targets, shared by libFuzzer (`fuzz_targets/`) and
//! the smoke tests (`tests/smoke.rs`) that run them without nightly.
//!
//! Each body takes arbitrary bytes and panics only when a promise of the
//! crates is broken.

#![forbid(unsafe_code)]

use irc_proto::{Message, MessageBuf, ParseMode, decode};

/// Reads every part of a parsed message, so that lazy paths run too.
fn walk(m: &Message<'_>) -> usize {
    let mut n = m.command().len();
    for t in m.tags() {
        n += t.key.len() + t.value().len();
    }
    if let Some(s) = m.source() {
        n += s.nick().len() + s.user().map_or(0, str::len) + s.host().map_or(0, str::len);
    }
    for p in m.params() {
        n += p.len();
    }
    n += m.params().len();
    assert_eq!(m.params().iter().count(), m.params().len());
    assert_eq!(m.params().iter().last(), m.trailing());
    n
}

/// `parse`: no input makes the parser panic, in either mode; whatever parses
/// can be walked completely.
pub fn parse(data: &[u8]) {
    let text = decode(data);
    for mode in [ParseMode::Lenient, ParseMode::Strict] {
        match Message::parse_with(&text, mode) {
            Ok(m) => {
                walk(&m);
            }
            Err(e) => assert!(e.at <= text.len(), "error offset past the end"),
        }
    }
    if let Ok(m) = Message::parse_bytes(data) {
        walk(&m);
    }
}

/// `roundtrip`: parse, pack, parse gives the same message; and a message the
/// strict parser accepts always packs.
pub fn roundtrip(data: &[u8]) {
    let text = decode(data);
    let Ok(first) = Message::parse(&text) else {
        return;
    };
    let buf = first.to_buf();
    let Ok(line) = buf.pack() else {
        assert!(
            Message::parse_with(&text, ParseMode::Strict).is_err(),
            "a strictly valid line must pack: {text:?}"
        );
        return;
    };
    let second = Message::parse(&line).expect("a packed line parses");
    assert_eq!(second.to_buf(), buf, "line {line:?}");
    // Packing is stable from then on.
    assert_eq!(second.to_buf().pack().as_deref(), Ok(line.as_str()));
}

/// Splits fuzz input into fields at `0x1F` bytes.
fn fields(data: &[u8]) -> Vec<String> {
    data.split(|&b| b == 0x1F)
        .map(|f| decode(f).into_owned())
        .collect()
}

/// `pack`: a message built from arbitrary fields either packs to exactly one
/// line (one CRLF, at the end; no NUL) or is refused with a typed error and
/// writes nothing; with the cut, the part outside the tags is at most 512
/// bytes.
pub fn pack(data: &[u8]) {
    let mut f = fields(data).into_iter();
    let Some(command) = f.next() else { return };
    let mut msg = MessageBuf::new(command);
    if let Some(source) = f.next() {
        if !source.is_empty() {
            msg = msg.with_source(source);
        }
    }
    for field in f {
        if let Some(tag) = field.strip_prefix('@') {
            let (k, v) = tag.split_once('=').unwrap_or((tag, ""));
            msg = msg.with_tag(k, Some(v));
        } else {
            msg = msg.with_param(field);
        }
    }
    for cut in [false, true] {
        let mut out = b"prefix".to_vec();
        let result = if cut {
            msg.pack_cut_into(&mut out).map(|_| ())
        } else {
            msg.pack_into(&mut out)
        };
        let line = &out[6..];
        if result.is_err() {
            assert!(line.is_empty(), "a refused message wrote bytes");
            continue;
        }
        assert!(line.ends_with(b"\r\n"));
        let body = &line[..line.len() - 2];
        assert!(
            !body.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0),
            "CR, LF or NUL inside a packed line: {body:?}"
        );
        if cut {
            let outside_tags = if body.first() == Some(&b'@') {
                let space = body.iter().position(|&b| b == b' ').expect("tags end");
                &line[space + 1..]
            } else {
                line
            };
            assert!(outside_tags.len() <= 512, "{} bytes", outside_tags.len());
        }
        let text = std::str::from_utf8(body).expect("packed lines are UTF-8");
        let parsed = Message::parse(text).expect("a packed line parses");
        assert_eq!(parsed.command(), msg.command);
    }
}
