//! The bodies of the fuzz targets, shared by libFuzzer (`fuzz_targets/`) and
//! the smoke tests (`tests/smoke.rs`) that run them without nightly.
//!
//! Each body takes arbitrary bytes and panics only when a promise of the
//! crates is broken.

#![forbid(unsafe_code)]

use irc_proto::{Message, MessageBuf, OwnedMessage, ParseMode, decode};

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
        let owned = OwnedMessage::parse_with(text.to_string(), mode);
        match Message::parse_with(&text, mode) {
            Ok(m) => {
                walk(&m);
                // The owned form reads exactly as the borrowed one.
                let owned = owned.expect("the owned parse accepts what the borrowed one does");
                let view = owned.as_message();
                assert_eq!(view, m);
                assert_eq!(view.as_str(), m.as_str());
                assert_eq!(view.params().len(), m.params().len());
                for i in 0..=m.params().len() {
                    assert_eq!(view.param(i), m.param(i));
                }
            }
            Err(e) => {
                assert!(e.at <= text.len(), "error offset past the end");
                assert_eq!(owned.err(), Some(e), "the owned parse fails alike");
            }
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

/// `isupport`: any 005 tokens parse, and every accessor answers.
pub fn isupport(data: &[u8]) {
    use irc_proto::isupport::{Isupport, unescape_value};
    let text = decode(data);
    let is = Isupport::parse(&text);
    let _ = (
        is.casemapping(),
        is.chantypes(),
        is.prefix(),
        is.chanmodes(),
    );
    let _ = (is.nicklen(), is.channellen(), is.modes(), is.linelen());
    let _ = (is.targmax_for("PRIVMSG"), is.maxlist_for('b'), is.network());
    for c in text.chars().take(64) {
        let _ = is.mode_kind(c);
        let _ = is.is_channel_name(&text);
    }
    let _ = unescape_value(&text);
    // The same bytes as a whole 005 line.
    let line = format!(":srv 005 me {text} :are supported by this server");
    if let Ok(m) = Message::parse(&line) {
        let mut is = Isupport::new();
        is.apply(&m);
        let _ = is.prefix();
    }
}

/// `mode`: mode strings parse against any CHANMODES/PREFIX without panicking,
/// and changes formatted back parse to the same changes.
pub fn mode(data: &[u8]) {
    use irc_proto::isupport::{Isupport, Limit};
    use irc_proto::mode::{self, ModeChange};
    let f = fields(data);
    let get = |i: usize| f.get(i).map_or("", String::as_str);
    let isupport = Isupport::parse(&format!("CHANMODES={} PREFIX={}", get(0), get(1)));
    let args: Vec<&str> = get(3).split(' ').collect();
    let changes: Vec<ModeChange<'_>> = mode::parse_channel(get(2), args.iter().copied(), &isupport)
        .filter_map(Result::ok)
        .filter(|c| {
            c.arg
                .as_deref()
                .is_none_or(|a| !a.is_empty() && !a.contains(' ') && !a.starts_with(':'))
        })
        .collect();
    let _ = mode::parse_user(get(2)).count();
    if let Ok(lines) = mode::format_modes_within(&changes, Limit::At(4), 400) {
        let mut again = Vec::new();
        for line in &lines {
            let args: Vec<&str> = line.args.iter().map(String::as_str).collect();
            again.extend(
                mode::parse_channel_all(&line.modestring, args.iter().copied(), &isupport)
                    .expect("formatted modes parse")
                    .into_iter()
                    .map(ModeChange::into_owned),
            );
        }
        let want: Vec<_> = changes
            .iter()
            .cloned()
            .map(ModeChange::into_owned)
            .collect();
        assert_eq!(again, want);
    }
}

/// `ctcp`: decoding never panics; what encodes decodes back to itself.
pub fn ctcp(data: &[u8]) {
    use irc_proto::ctcp::{self, Dcc};
    let text = decode(data);
    if let Some(c) = ctcp::decode(&text) {
        let _ = c.kind();
        let _ = c.dcc();
        if let Ok(wire) = c.encode() {
            let back = ctcp::decode(&wire).expect("an encoded CTCP decodes");
            assert!(back.command.eq_ignore_ascii_case(c.command));
        }
    }
    let _ = Dcc::parse(&text);
    let (cmd, params) = text.split_once(' ').unwrap_or((&text, ""));
    if let Ok(wire) = ctcp::encode(cmd, params) {
        let back = ctcp::decode(&wire).expect("an encoded CTCP decodes");
        assert_eq!(back.params, params);
    }
}

/// `format`: parse, render and strip agree with each other.
pub fn format(data: &[u8]) {
    use irc_proto::format;
    let text = decode(data);
    let spans = format::parse(&text);
    let rendered = format::render(&spans);
    assert_eq!(
        format::parse(&rendered),
        spans,
        "parse(render(parse(s))) != parse(s)"
    );
    assert_eq!(format::strip(&rendered), format::strip(&text));
    let joined: String = format::tokens(&text)
        .map(|t| match t {
            format::Token::Text(raw) | format::Token::Code(_, raw) => raw,
        })
        .collect();
    assert_eq!(joined, *text);
}

/// `split`: every piece fits the relayed line and no text is lost.
pub fn split(data: &[u8]) {
    use irc_proto::split::{self, EmptyLines, MessageKind, Prefix, SplitOptions};
    let text = decode(data);
    let source = "nick!user@some.host.example";
    let opts = SplitOptions {
        prefix: Prefix::Known(source.to_owned()),
        ..SplitOptions::default()
    };
    for kind in [
        MessageKind::Privmsg,
        MessageKind::Notice,
        MessageKind::Action,
    ] {
        let pieces = split::split(kind, "#channel", &text, &opts).expect("default budget is valid");
        for p in &pieces {
            let line = format!(":{source} {} #channel :{p}\r\n", kind.command());
            assert!(line.len() <= 512, "{} bytes", line.len());
            assert!(!p.contains(['\r', '\n', '\0']));
        }
    }
    for budget in [20, 37, 100] {
        let pieces =
            split::split_text(&text, budget, None, EmptyLines::Skip).expect("budget >= 20");
        for p in &pieces {
            assert!(p.len() <= budget && !p.is_empty());
        }
        // Nothing but the cut whitespace and the carried codes is added or lost.
        let want: String = irc_proto::format::strip(&text.replace('\0', ""))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let got: String = pieces
            .iter()
            .map(|p| irc_proto::format::strip(p).into_owned())
            .collect::<String>()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert_eq!(got, want);
    }
}
