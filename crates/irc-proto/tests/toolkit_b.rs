//! Property tests of the CTCP, formatting and splitting toolkit.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;

use irc_proto::ctcp;
use irc_proto::format::{self, Color, Span, Style};
use irc_proto::split::{self, EmptyLines, MessageKind, Prefix, SplitOptions};
use proptest::prelude::*;

/// Text fragments that exercise the splitter: words, spaces, multi-byte
/// characters, clusters, codes, newlines, NUL.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,12}",
        Just(" ".to_owned()),
        Just("  ".to_owned()),
        Just("é".to_owned()),
        Just("€".to_owned()),
        Just("😀".to_owned()),
        Just("👍🏽".to_owned()),
        Just("e\u{301}".to_owned()),
        Just("👨\u{200D}👩\u{200D}👧".to_owned()),
        Just("\u{301}\u{302}\u{303}".to_owned()),
        Just("\x02".to_owned()),
        Just("\x1D".to_owned()),
        Just("\x0F".to_owned()),
        Just("\x03".to_owned()),
        Just(",".to_owned()),
        "[0-9]{1,3}",
        (0u8..100, proptest::option::of(0u8..100)).prop_map(|(f, b)| match b {
            Some(b) => format!("\x03{f},{b}"),
            None => format!("\x03{f}"),
        }),
        (0u32..0x0100_0000).prop_map(|h| format!("\x04{h:06X}")),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\r".to_owned()),
        Just("\0".to_owned()),
        "[a-z]{30,80}",
    ]
}

fn mixed_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..120).prop_map(|v| v.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![mixed_text(), any::<String>()]
}

/// The lines the pieces must give back: the input without NUL and without
/// codes, cut at newlines, blank lines left out.
fn expected_lines(text: &str) -> Vec<String> {
    let text = text.replace('\0', "");
    let plain = format::strip(&text);
    plain
        .split("\r\n")
        .flat_map(|l| l.split(['\r', '\n']))
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where the text may go on after a cut at `at`: right there, after the one
/// space the cut consumed, and/or after a line break.
fn after_cut(whole: &str, at: usize) -> Vec<usize> {
    let mut out = vec![at];
    let mut at_break = vec![at];
    if whole[at..].starts_with(' ') {
        out.push(at + 1);
        at_break.push(at + 1);
    }
    for b in at_break {
        if whole[b..].starts_with('\n') {
            out.push(b + 1);
        }
    }
    out
}

/// Whether the stripped pieces, with the space consumed at each cut and the
/// line breaks put back, make up exactly the expected lines.
fn joins_back(pieces: &[String], lines: &[String]) -> bool {
    let whole = lines.join("\n");
    let mut states = BTreeSet::from([0usize]);
    for piece in pieces {
        let plain = format::strip(piece);
        let mut next = BTreeSet::new();
        for &at in &states {
            for s in after_cut(&whole, at) {
                if whole[s..].starts_with(plain.as_ref()) {
                    next.insert(s + plain.len());
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        states = next;
    }
    states
        .iter()
        .any(|&at| after_cut(&whole, at).contains(&whole.len()))
}

fn unframe(piece: &str) -> &str {
    piece
        .strip_prefix("\x01ACTION ")
        .and_then(|p| p.strip_suffix('\x01'))
        .unwrap_or(piece)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn split_text_fits_and_loses_nothing(text in any_text(), budget in 20usize..300) {
        let pieces = split::split_text(&text, budget, None, EmptyLines::Skip).unwrap();
        for p in &pieces {
            prop_assert!(p.len() <= budget, "{} > {budget}: {p:?}", p.len());
            prop_assert!(!p.is_empty());
            prop_assert!(!p.contains(['\r', '\n', '\0']));
        }
        prop_assert!(joins_back(&pieces, &expected_lines(&text)), "{pieces:?}");
    }

    #[test]
    fn relayed_lines_fit(
        text in mixed_text(),
        nick in "[a-z]{1,30}",
        host in "[a-z.]{1,63}",
        target in "#[a-z]{1,40}",
        action in any::<bool>(),
        reserve in 0usize..50,
    ) {
        let source = format!("{nick}!~u@{host}");
        let opts = SplitOptions { prefix: Prefix::Known(source.clone()), reserve, ..SplitOptions::default() };
        let kind = if action { MessageKind::Action } else { MessageKind::Privmsg };
        let pieces = split::split(kind, &target, &text, &opts).unwrap();
        for p in &pieces {
            let line = format!(":{source} PRIVMSG {target} :{p}\r\n");
            prop_assert!(line.len() + reserve <= 512);
            if action {
                prop_assert!(p.starts_with("\x01ACTION ") && p.ends_with('\x01'));
            }
        }
        let inner: Vec<String> = pieces.iter().map(|p| unframe(p).to_owned()).collect();
        prop_assert!(joins_back(&inner, &expected_lines(&text)));
        // The ready messages pack.
        for m in split::split_messages(kind, &target, &text, &opts).unwrap() {
            let packed = m.with_source(source.clone()).pack().unwrap();
            prop_assert!(packed.len() + 2 <= 512);
        }
    }

    #[test]
    fn estimate_fits_any_source_within_limits(
        text in mixed_text(),
        nicklen in 1usize..40,
        userlen in 1usize..12,
        hostlen in 1usize..70,
    ) {
        let opts = SplitOptions {
            prefix: Prefix::Estimate { nicklen, userlen, hostlen },
            ..SplitOptions::default()
        };
        let source = format!("{}!~{}@{}", "n".repeat(nicklen), "u".repeat(userlen), "h".repeat(hostlen));
        for p in split::split(MessageKind::Notice, "#c", &text, &opts).unwrap() {
            let line = format!(":{source} NOTICE #c :{p}\r\n");
            prop_assert!(line.len() <= 512);
        }
    }

    #[test]
    fn max_lines_is_respected(text in mixed_text(), budget in 20usize..120, max in 1usize..5) {
        let limit = NonZeroUsize::new(max);
        let all = split::split_text(&text, budget, None, EmptyLines::Skip).unwrap();
        let some = split::split_text(&text, budget, limit, EmptyLines::Skip).unwrap();
        prop_assert!(some.len() <= max);
        for p in &some {
            prop_assert!(p.len() <= budget);
        }
        if all.len() <= max {
            prop_assert_eq!(&some, &all);
        } else {
            prop_assert_eq!(some.len(), max);
            prop_assert!(some[max - 1].ends_with(split::ELLIPSIS));
            prop_assert_eq!(&some[..max - 1], &all[..max - 1]);
        }
    }

    #[test]
    fn empty_lines_as_space_never_panics(text in any_text(), budget in 20usize..100) {
        let pieces = split::split_text(&text, budget, NonZeroUsize::new(3), EmptyLines::Space).unwrap();
        for p in &pieces {
            prop_assert!(p.len() <= budget && !p.is_empty());
        }
    }

    #[test]
    fn format_parse_render_is_stable(text in any_text()) {
        let spans = format::parse(&text);
        let rendered = format::render(&spans);
        prop_assert_eq!(format::parse(&rendered), spans);
        prop_assert_eq!(format::strip(&rendered), format::strip(&text));
    }

    #[test]
    fn format_tokens_cover_the_input(text in any_text()) {
        let mut raw = String::new();
        let mut style = Style::default();
        let mut replay = Style::default();
        for token in format::tokens(&text) {
            match token {
                format::Token::Text(t) => {
                    prop_assert!(!t.is_empty() && !t.bytes().any(format::is_format_byte));
                    raw.push_str(t);
                }
                format::Token::Code(code, r) => {
                    style.apply_code(code);
                    raw.push_str(r);
                }
            }
        }
        prop_assert_eq!(raw, text.clone());
        replay.apply_text(&text);
        prop_assert_eq!(replay, style);
    }

    #[test]
    fn format_render_roundtrips_spans(spans in prop::collection::vec(span(), 0..12)) {
        let rendered = format::render(&spans);
        prop_assert_eq!(format::parse(&rendered), format::normalize(spans.clone()));
        let joined: String = spans.iter().map(|s| s.text.as_ref()).collect();
        prop_assert_eq!(format::strip(&rendered), joined);
    }

    #[test]
    fn format_to_codes_reopens(style in style(), next in "[0-9,A-F a-z]{0,8}") {
        let text = format!("{}{next}", style.to_codes());
        let spans = format::parse(&text);
        if next.is_empty() {
            prop_assert!(spans.is_empty());
        } else {
            prop_assert_eq!(spans, vec![Span::new(next, style)]);
        }
    }

    #[test]
    fn ctcp_decode_never_panics(text in any_text()) {
        if let Some(c) = ctcp::decode(&text) {
            prop_assert!(!c.command.is_empty());
            prop_assert!(!c.command.contains([' ', '\x01']));
            prop_assert!(!c.params.contains('\x01'));
            let _ = c.dcc();
        }
    }

    #[test]
    fn ctcp_encode_decode_roundtrip(command in "[A-Za-z]{1,10}", params in "[^\r\n\0\x01]{0,40}") {
        let text = ctcp::encode(&command, &params).unwrap();
        let c = ctcp::decode(&text).unwrap();
        prop_assert_eq!(c.command, command.as_str());
        prop_assert_eq!(c.params, params.as_str());
    }
}

fn color() -> impl Strategy<Value = Color> {
    prop_oneof![
        Just(Color::Default),
        (0u8..99).prop_map(Color::Code),
        (0u32..0x0100_0000).prop_map(Color::Hex),
    ]
}

fn style() -> impl Strategy<Value = Style> {
    (any::<[bool; 6]>(), color(), color()).prop_map(|(f, fg, bg)| Style {
        bold: f[0],
        italic: f[1],
        underline: f[2],
        strikethrough: f[3],
        monospace: f[4],
        reverse: f[5],
        fg,
        bg,
    })
}

fn span() -> impl Strategy<Value = Span<'static>> {
    ("[0-9,a-fA-F x€😀]{0,6}", style()).prop_map(|(text, style)| Span::new(text, style))
}
