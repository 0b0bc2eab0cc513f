//! Parser and packer tests: the ircdocs parser-test vectors, real-server
//! quirks, typed errors, property tests and the exhaustive cut tests.

use irc_proto::{
    Message, MessageBuf, PackErrorKind, ParseErrorKind, ParseMode, Source, cut_line, decode,
};

/// The atoms of a parsed line, in the ircdocs parser-tests shape.
#[derive(Debug, PartialEq)]
struct Atoms {
    tags: Vec<(String, String)>,
    source: Option<String>,
    verb: String,
    params: Vec<String>,
}

fn atoms(line: &str) -> Atoms {
    let m = Message::parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let mut tags: Vec<(String, String)> = Vec::new();
    for t in m.tags() {
        let v = t.value().into_owned();
        match tags.iter_mut().find(|(k, _)| k == t.key) {
            Some(slot) => slot.1 = v,
            None => tags.push((t.key.to_owned(), v)),
        }
    }
    tags.sort();
    Atoms {
        tags,
        source: m.source_raw().map(str::to_owned),
        verb: m.command().to_owned(),
        params: m.params().iter().map(str::to_owned).collect(),
    }
}

fn want(tags: &[(&str, &str)], source: Option<&str>, verb: &str, params: &[&str]) -> Atoms {
    let mut tags: Vec<(String, String)> = tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tags.sort();
    Atoms {
        tags,
        source: source.map(str::to_owned),
        verb: verb.to_owned(),
        params: params.iter().map(|p| (*p).to_owned()).collect(),
    }
}

mod split_vectors {
    use super::*;

    #[test]
    fn ircdocs_msg_split() {
        let cases: Vec<(&str, Atoms)> = vec![
            (
                "foo bar baz asdf",
                want(&[], None, "foo", &["bar", "baz", "asdf"]),
            ),
            (
                ":coolguy foo bar baz asdf",
                want(&[], Some("coolguy"), "foo", &["bar", "baz", "asdf"]),
            ),
            (
                "foo bar baz :asdf quux",
                want(&[], None, "foo", &["bar", "baz", "asdf quux"]),
            ),
            ("foo bar baz :", want(&[], None, "foo", &["bar", "baz", ""])),
            (
                "foo bar baz ::asdf",
                want(&[], None, "foo", &["bar", "baz", ":asdf"]),
            ),
            (
                ":coolguy foo bar baz :asdf quux",
                want(&[], Some("coolguy"), "foo", &["bar", "baz", "asdf quux"]),
            ),
            (
                ":coolguy foo bar baz :  asdf quux ",
                want(&[], Some("coolguy"), "foo", &["bar", "baz", "  asdf quux "]),
            ),
            (
                ":coolguy PRIVMSG bar :lol :) ",
                want(&[], Some("coolguy"), "PRIVMSG", &["bar", "lol :) "]),
            ),
            (
                ":coolguy foo bar baz :",
                want(&[], Some("coolguy"), "foo", &["bar", "baz", ""]),
            ),
            (
                ":coolguy foo bar baz :  ",
                want(&[], Some("coolguy"), "foo", &["bar", "baz", "  "]),
            ),
            (
                "@a=b;c=32;k;rt=ql7 foo",
                want(
                    &[("a", "b"), ("c", "32"), ("k", ""), ("rt", "ql7")],
                    None,
                    "foo",
                    &[],
                ),
            ),
            (
                r"@a=b\\and\nk;c=72\s45;d=gh\:764 foo",
                want(
                    &[("a", "b\\and\nk"), ("c", "72 45"), ("d", "gh;764")],
                    None,
                    "foo",
                    &[],
                ),
            ),
            (
                "@c;h=;a=b :quux ab cd",
                want(
                    &[("c", ""), ("h", ""), ("a", "b")],
                    Some("quux"),
                    "ab",
                    &["cd"],
                ),
            ),
            (
                ":src JOIN #chan",
                want(&[], Some("src"), "JOIN", &["#chan"]),
            ),
            (
                ":src JOIN :#chan",
                want(&[], Some("src"), "JOIN", &["#chan"]),
            ),
            (":src AWAY", want(&[], Some("src"), "AWAY", &[])),
            (":src AWAY ", want(&[], Some("src"), "AWAY", &[])),
            (
                ":cool\tguy foo bar baz",
                want(&[], Some("cool\tguy"), "foo", &["bar", "baz"]),
            ),
            (
                ":coolguy!ag@net\x035w\x03ork.admin PRIVMSG foo :bar baz",
                want(
                    &[],
                    Some("coolguy!ag@net\x035w\x03ork.admin"),
                    "PRIVMSG",
                    &["foo", "bar baz"],
                ),
            ),
            (
                ":coolguy!~ag@n\x02et\x0305w\x0fork.admin PRIVMSG foo :bar baz",
                want(
                    &[],
                    Some("coolguy!~ag@n\x02et\x0305w\x0fork.admin"),
                    "PRIVMSG",
                    &["foo", "bar baz"],
                ),
            ),
            (
                "@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4= :irc.example.com COMMAND param1 param2 :param3 param3",
                want(
                    &[
                        ("tag1", "value1"),
                        ("tag2", ""),
                        ("vendor1/tag3", "value2"),
                        ("vendor2/tag4", ""),
                    ],
                    Some("irc.example.com"),
                    "COMMAND",
                    &["param1", "param2", "param3 param3"],
                ),
            ),
            (
                ":irc.example.com COMMAND param1 param2 :param3 param3",
                want(
                    &[],
                    Some("irc.example.com"),
                    "COMMAND",
                    &["param1", "param2", "param3 param3"],
                ),
            ),
            (
                "@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4 COMMAND param1 param2 :param3 param3",
                want(
                    &[
                        ("tag1", "value1"),
                        ("tag2", ""),
                        ("vendor1/tag3", "value2"),
                        ("vendor2/tag4", ""),
                    ],
                    None,
                    "COMMAND",
                    &["param1", "param2", "param3 param3"],
                ),
            ),
            ("COMMAND", want(&[], None, "COMMAND", &[])),
            (
                r"@foo=\\\\\:\\s\s\r\n COMMAND",
                want(&[("foo", "\\\\;\\s \r\n")], None, "COMMAND", &[]),
            ),
            (
                ":gravel.mozilla.org 432  #momo :Erroneous Nickname: Illegal characters",
                want(
                    &[],
                    Some("gravel.mozilla.org"),
                    "432",
                    &["#momo", "Erroneous Nickname: Illegal characters"],
                ),
            ),
            (
                ":gravel.mozilla.org MODE #tckk +n ",
                want(&[], Some("gravel.mozilla.org"), "MODE", &["#tckk", "+n"]),
            ),
            (
                ":services.esper.net MODE #foo-bar +o foobar  ",
                want(
                    &[],
                    Some("services.esper.net"),
                    "MODE",
                    &["#foo-bar", "+o", "foobar"],
                ),
            ),
            (
                r"@tag1=value\\ntest COMMAND",
                want(&[("tag1", "value\\ntest")], None, "COMMAND", &[]),
            ),
            (
                r"@tag1=value\1 COMMAND",
                want(&[("tag1", "value1")], None, "COMMAND", &[]),
            ),
            (
                r"@tag1=value1\ COMMAND",
                want(&[("tag1", "value1")], None, "COMMAND", &[]),
            ),
            (
                "@tag1=1;tag2=3;tag3=4;tag1=5 COMMAND",
                want(
                    &[("tag1", "5"), ("tag2", "3"), ("tag3", "4")],
                    None,
                    "COMMAND",
                    &[],
                ),
            ),
            (
                "@tag1=1;tag2=3;tag3=4;tag1=5;vendor/tag2=8 COMMAND",
                want(
                    &[
                        ("tag1", "5"),
                        ("tag2", "3"),
                        ("tag3", "4"),
                        ("vendor/tag2", "8"),
                    ],
                    None,
                    "COMMAND",
                    &[],
                ),
            ),
            (
                ":SomeOp MODE #channel :+i",
                want(&[], Some("SomeOp"), "MODE", &["#channel", "+i"]),
            ),
            (
                ":SomeOp MODE #channel +oo SomeUser :AnotherUser",
                want(
                    &[],
                    Some("SomeOp"),
                    "MODE",
                    &["#channel", "+oo", "SomeUser", "AnotherUser"],
                ),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(atoms(line), expected, "line {line:?}");
        }
    }

    #[test]
    fn ircdocs_userhost_split() {
        let cases = [
            ("coolguy", ("coolguy", None, None)),
            (
                "coolguy!ag@127.0.0.1",
                ("coolguy", Some("ag"), Some("127.0.0.1")),
            ),
            (
                "coolguy!~ag@localhost",
                ("coolguy", Some("~ag"), Some("localhost")),
            ),
            ("coolguy@127.0.0.1", ("coolguy", None, Some("127.0.0.1"))),
            ("coolguy!ag", ("coolguy", Some("ag"), None)),
            (
                "coolguy!ag@net\x035w\x03ork.admin",
                ("coolguy", Some("ag"), Some("net\x035w\x03ork.admin")),
            ),
            (
                "coolguy!~ag@n\x02et\x0305w\x0fork.admin",
                ("coolguy", Some("~ag"), Some("n\x02et\x0305w\x0fork.admin")),
            ),
        ];
        for (raw, (nick, user, host)) in cases {
            let s = Source::parse(raw);
            assert_eq!(
                (s.nick(), s.user(), s.host()),
                (nick, user, host),
                "{raw:?}"
            );
        }
    }
}

mod join_vectors {
    use super::*;

    fn pack(
        tags: &[(&str, Option<&str>)],
        source: Option<&str>,
        verb: &str,
        params: &[&str],
    ) -> String {
        let mut m = MessageBuf::new(verb).with_params(params.iter().copied());
        for (k, v) in tags {
            m = m.with_tag(*k, *v);
        }
        if let Some(s) = source {
            m = m.with_source(s);
        }
        m.pack().unwrap()
    }

    #[test]
    fn ircdocs_msg_join() {
        let cases = [
            (
                pack(&[], None, "foo", &["bar", "baz", "asdf"]),
                "foo bar baz asdf",
            ),
            (pack(&[], Some("src"), "AWAY", &[]), ":src AWAY"),
            (pack(&[], Some("src"), "AWAY", &[""]), ":src AWAY :"),
            (
                pack(&[], Some("coolguy"), "foo", &["bar", "baz", "asdf"]),
                ":coolguy foo bar baz asdf",
            ),
            (
                pack(&[], None, "foo", &["bar", "baz", "asdf quux"]),
                "foo bar baz :asdf quux",
            ),
            (pack(&[], None, "foo", &["bar", "baz", ""]), "foo bar baz :"),
            (
                pack(&[], None, "foo", &["bar", "baz", ":asdf"]),
                "foo bar baz ::asdf",
            ),
            (
                pack(&[], Some("coolguy"), "foo", &["bar", "baz", "  asdf quux "]),
                ":coolguy foo bar baz :  asdf quux ",
            ),
            (
                pack(&[], Some("coolguy"), "PRIVMSG", &["bar", "lol :) "]),
                ":coolguy PRIVMSG bar :lol :) ",
            ),
            (
                pack(&[], Some("coolguy"), "foo", &["bar", "baz", "  "]),
                ":coolguy foo bar baz :  ",
            ),
            (
                pack(&[], Some("coolguy"), "foo", &["b\tar", "baz"]),
                ":coolguy foo b\tar baz",
            ),
            (
                pack(
                    &[("asd", Some(""))],
                    Some("coolguy"),
                    "foo",
                    &["bar", "baz", "  "],
                ),
                "@asd :coolguy foo bar baz :  ",
            ),
            (
                pack(
                    &[("asd", None)],
                    Some("coolguy"),
                    "foo",
                    &["bar", "baz", "  "],
                ),
                "@asd :coolguy foo bar baz :  ",
            ),
            (
                pack(
                    &[("a", Some("b\\and\nk")), ("d", Some("gh;764"))],
                    None,
                    "foo",
                    &["par1", "par2"],
                ),
                r"@a=b\\and\nk;d=gh\:764 foo par1 par2",
            ),
            (
                pack(&[("foo", Some("\\\\;\\s \r\n"))], None, "COMMAND", &[]),
                r"@foo=\\\\\:\\s\s\r\n COMMAND",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
    }
}

mod quirks {
    use super::*;

    #[test]
    fn stray_line_endings_are_dropped_in_lenient_mode() {
        for line in ["PING :x\r", "PING :x\n", "PING :x\r\n", "PING :x\r\r\n"] {
            let m = Message::parse(line).unwrap();
            assert_eq!(m.params().to_vec(), ["x"], "{line:?}");
        }
    }

    #[test]
    fn trailing_spaces_add_no_param_but_trailing_keeps_them() {
        assert_eq!(atoms("MODE #c +n   ").params, ["#c", "+n"]);
        assert_eq!(atoms("PRIVMSG #c :hi   ").params, ["#c", "hi   "]);
    }

    #[test]
    fn empty_trailing_is_a_param() {
        assert_eq!(atoms("TOPIC #c :").params, ["#c", ""]);
    }

    #[test]
    fn colon_inside_a_middle_param_is_data() {
        assert_eq!(atoms("FOO a:b c::d :e f").params, ["a:b", "c::d", "e f"]);
    }

    #[test]
    fn tags_without_values_and_odd_sources() {
        let a = atoms("@draft/flag;+typing :irc.server PONG irc.server :tok");
        assert_eq!(
            a.tags,
            [
                ("+typing".into(), String::new()),
                ("draft/flag".into(), String::new())
            ]
        );
        // A source that is only punctuation still splits.
        let m = Message::parse(":!@ NOTICE * :x").unwrap();
        let s = m.source().unwrap();
        assert_eq!((s.nick(), s.user(), s.host()), ("", Some(""), Some("")));
        // A source with a colon in it (IPv6 host).
        let m = Message::parse(":n!u@2001:db8::1 JOIN #c").unwrap();
        assert_eq!(m.source().unwrap().host(), Some("2001:db8::1"));
    }

    #[test]
    fn leading_spaces_and_many_spaces_between_parts() {
        let a = atoms("   :src    PRIVMSG    #c    :hi");
        assert_eq!(a, want(&[], Some("src"), "PRIVMSG", &["#c", "hi"]));
        let a = atoms("@a=b    :src  X");
        assert_eq!(a, want(&[("a", "b")], Some("src"), "X", &[]));
    }

    #[test]
    fn more_than_fifteen_params() {
        let line = format!(
            "FOO {} :last one",
            (1..=20)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join("  ")
        );
        let m = Message::parse(&line).unwrap();
        assert_eq!(m.params().len(), 21);
        let all = m.params().to_vec();
        assert_eq!(all[0], "1");
        assert_eq!(all[15], "16");
        assert_eq!(all[19], "20");
        assert_eq!(all[20], "last one");
        assert_eq!(m.param(17), Some("18"));
        assert_eq!(m.param(20), Some("last one"));
        assert_eq!(m.param(21), None);
        assert_eq!(m.trailing(), Some("last one"));
        // And it packs back to the same message.
        let again = m.to_buf().pack().unwrap();
        assert_eq!(Message::parse(&again).unwrap().to_buf(), m.to_buf());
    }

    #[test]
    fn command_case_is_kept_and_compared_ignoring_case() {
        let m = Message::parse(":n privmsg #c :x").unwrap();
        assert_eq!(m.command(), "privmsg");
        assert!(m.is_command("PRIVMSG"));
        assert_eq!(Message::parse("001 me :hi").unwrap().numeric(), Some(1));
        assert_eq!(Message::parse("PRIVMSG x").unwrap().numeric(), None);
    }

    #[test]
    fn non_utf8_bytes_are_decoded_not_dropped() {
        let raw = b":n!u@h PRIVMSG #c :caf\xe9 \x93ok\x94 \xc3\xa9t\xc3\xa9";
        assert!(Message::parse_bytes(raw).is_err());
        let m = MessageBuf::parse_bytes(raw).unwrap();
        assert_eq!(m.params[1], "café \u{201c}ok\u{201d} été");
        assert_eq!(decode(b"\xff"), "ÿ");
        let err = Message::parse_bytes(b"PRIVMSG #c :ab\xff").unwrap_err();
        assert_eq!((err.kind, err.at), (ParseErrorKind::InvalidUtf8, 14));
    }

    #[test]
    fn nul_is_data_in_lenient_mode_but_never_packed() {
        let m = Message::parse("PRIVMSG #c :a\0b").unwrap();
        assert_eq!(m.trailing(), Some("a\0b"));
        let mut out = Vec::new();
        assert_eq!(
            m.pack_into(&mut out).unwrap_err().kind,
            PackErrorKind::ForbiddenByte
        );
        assert!(out.is_empty());
    }

    #[test]
    fn message_packs_its_raw_tags() {
        let line = r"@a=b\sc;k;d= :n!u@h PRIVMSG #c :hi";
        let m = Message::parse(line).unwrap();
        let mut out = Vec::new();
        m.pack_into(&mut out).unwrap();
        assert_eq!(out, b"@a=b\\sc;k;d :n!u@h PRIVMSG #c hi\r\n");
    }
}

mod errors {
    use super::*;

    fn err(line: &str, mode: ParseMode) -> (ParseErrorKind, usize) {
        let e = Message::parse_with(line, mode).unwrap_err();
        (e.kind, e.at)
    }

    #[test]
    fn lenient_errors_have_kind_and_offset() {
        use ParseErrorKind::*;
        let l = ParseMode::Lenient;
        assert_eq!(err("", l), (Empty, 0));
        assert_eq!(err("   ", l), (Empty, 3));
        assert_eq!(err("\r\n", l), (Empty, 0));
        assert_eq!(err("@a=b", l), (MissingCommand, 4));
        assert_eq!(err("@a=b ", l), (MissingCommand, 5));
        assert_eq!(err(":src", l), (MissingCommand, 4));
        assert_eq!(err(":src ", l), (MissingCommand, 5));
        assert_eq!(err(": PRIVMSG", l), (EmptySource, 1));
        assert_eq!(err("@a :", l), (EmptySource, 4));
        assert_eq!(err("PRIVé #c", l), (InvalidCommand, 0));
        assert_eq!(err("  PR\x01V #c", l), (InvalidCommand, 2));
    }

    #[test]
    fn strict_mode_enforces_grammar_and_limits() {
        use ParseErrorKind::*;
        let s = ParseMode::Strict;
        assert_eq!(err("PRIVMSG #c :a\rb", s), (ForbiddenByte, 13));
        assert_eq!(err("PRIVMSG #c :a\0b", s), (ForbiddenByte, 13));
        assert_eq!(err("PRIVMSG #c :ab\r\n", s), (ForbiddenByte, 14));
        assert_eq!(err("@ PING x", s), (EmptyTags, 1));
        assert_eq!(err("@a=1;;b PING x", s), (InvalidTagKey, 5));
        assert_eq!(err("@a=1;b c=2 PING", s), (InvalidCommand, 7));
        assert_eq!(err("@k\u{e9}y=1 PING x", s), (InvalidTagKey, 1));
        assert_eq!(err("PR1V x", s), (InvalidCommand, 0));
        assert_eq!(err(":s 0001 x", s), (InvalidCommand, 3));
        // Lenient accepts all of those that have a command.
        assert!(Message::parse("@a=1;;b PING x").is_ok());
        assert!(Message::parse("PR1V x").is_ok());
    }

    #[test]
    fn strict_length_limits_at_the_boundary() {
        let s = ParseMode::Strict;
        // 510 bytes outside the tags is the most a line may carry.
        let body = |n: usize| format!("PRIVMSG #c :{}", "x".repeat(n - 12));
        assert!(Message::parse_with(&body(510), s).is_ok());
        assert_eq!(
            Message::parse_with(&body(511), s).unwrap_err().kind,
            ParseErrorKind::LineTooLong
        );
        // Tags do not count against the 510, they have their own 8191.
        let tags = |n: usize| format!("@k={} {}", "v".repeat(n - 4), body(510));
        assert!(Message::parse_with(&tags(8191), s).is_ok());
        assert_eq!(
            Message::parse_with(&tags(8192), s).unwrap_err().kind,
            ParseErrorKind::TagsTooLong
        );
        assert!(Message::parse(&tags(20_000)).is_ok());
    }

    #[test]
    fn errors_display_what_and_where() {
        let e = Message::parse(": X").unwrap_err();
        assert_eq!(e.to_string(), "empty source at byte 1");
        let e = MessageBuf::new("PRIVMSG")
            .with_param("a b")
            .with_param("c")
            .pack()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "space in a parameter before the last in parameter 0"
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn middle() -> impl Strategy<Value = String> {
        "[^ \r\n\0:][^ \r\n\0]{0,12}"
    }

    fn trailing() -> impl Strategy<Value = String> {
        "[^\r\n\0]{0,40}"
    }

    fn message() -> impl Strategy<Value = MessageBuf> {
        let tags = proptest::collection::btree_map(
            "\\+?([a-z0-9.-]{1,8}/)?[a-zA-Z0-9-]{1,8}",
            proptest::option::of("[^\0]{1,12}"),
            0..4,
        );
        let source = proptest::option::of("[^ \r\n\0]{1,20}");
        let command = prop_oneof!["[A-Za-z]{1,10}", "[0-9]{3}"];
        let params = (
            proptest::collection::vec(middle(), 0..18),
            proptest::option::of(trailing()),
        );
        (tags, source, command, params).prop_map(|(tags, source, command, (mut params, last))| {
            params.extend(last);
            let mut m = MessageBuf::new(command).with_params(params);
            for (k, v) in tags {
                m = m.with_tag(k, v.as_deref());
            }
            m.source = source;
            m
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_of_pack_is_identity(m in message()) {
            let line = m.pack().unwrap();
            let parsed = Message::parse_with(&line, ParseMode::Lenient).unwrap();
            prop_assert_eq!(parsed.to_buf(), m);
            // And the borrowed message packs back to the same line.
            let mut again = Vec::new();
            parsed.pack_into(&mut again).unwrap();
            prop_assert_eq!(again, format!("{line}\r\n").into_bytes());
        }

        #[test]
        fn pack_never_emits_a_second_line(
            tags in proptest::collection::vec((".{0,6}", proptest::option::of(".{0,6}")), 0..3),
            source in proptest::option::of(".{0,8}"),
            command in ".{0,8}",
            params in proptest::collection::vec(".{0,10}", 0..5),
        ) {
            let mut m = MessageBuf::new(command).with_params(params);
            for (k, v) in tags {
                m = m.with_tag(k, v.as_deref());
            }
            m.source = source;
            for cut in [false, true] {
                let mut out = Vec::new();
                let ok = if cut { m.pack_cut_into(&mut out).is_ok() } else { m.pack_into(&mut out).is_ok() };
                if ok {
                    prop_assert!(out.ends_with(b"\r\n"));
                    let body = &out[..out.len() - 2];
                    prop_assert!(!body.contains(&b'\r') && !body.contains(&b'\n') && !body.contains(&0));
                    prop_assert!(Message::parse_bytes(body).is_ok());
                } else {
                    prop_assert!(out.is_empty());
                }
            }
        }

        #[test]
        fn parser_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = decode(&bytes);
            let _ = Message::parse_with(&text, ParseMode::Lenient);
            let _ = Message::parse_with(&text, ParseMode::Strict);
            let _ = Message::parse_bytes(&bytes);
            if let Ok(m) = Message::parse(&text) {
                let _ = m.params().to_vec();
                for t in m.tags() { let _ = t.value(); }
            }
        }

        #[test]
        fn cut_pack_fits_and_keeps_a_prefix(m in message(), extra in "[^\r\n\0]{0,700}") {
            let mut m = m;
            m.params.push(extra);
            let mut out = Vec::new();
            if let Ok(trunc) = m.pack_cut_into(&mut out) {
                let line = std::str::from_utf8(&out).unwrap();
                let body_start = if line.starts_with('@') { line.find(' ').unwrap() + 1 } else { 0 };
                prop_assert!(out.len() - body_start <= 512);
                let parsed = Message::parse(line).unwrap();
                let last = m.params.last().unwrap();
                let got = parsed.trailing().unwrap();
                prop_assert!(last.starts_with(got));
                match trunc {
                    None => prop_assert_eq!(got, last.as_str()),
                    Some(t) => prop_assert_eq!((t.kept, t.kept + t.dropped), (got.len(), last.len())),
                }
            }
        }
    }
}

mod cut {
    use super::*;

    /// Every way a multi-byte character can straddle the 510-byte line end,
    /// for every character width.
    #[test]
    fn exhaustive_cut_at_every_byte_position() {
        for ch in ["a", "é", "€", "😀"] {
            for target_len in 1..=20 {
                // Vary the target length so the text starts at every offset
                // modulo the character width.
                let target = format!("#{}", "c".repeat(target_len));
                let text = ch.repeat(600 / ch.len() + 1);
                let cut = cut_line("PRIVMSG", &[&target], Some(&text)).unwrap();
                let line = &cut.line;
                assert!(line.len() <= 512, "{ch} {target_len}: {}", line.len());
                assert!(line.len() > 512 - ch.len(), "cut too early");
                assert!(line.ends_with("\r\n"));
                let kept = line.trim_end_matches("\r\n").split_once(" :").unwrap().1;
                assert!(text.starts_with(kept));
                assert_eq!(kept.len() % ch.len(), 0);
                let t = cut.truncation.unwrap();
                assert_eq!(t.kept, kept.len());
                assert_eq!(t.kept + t.dropped, text.len());
            }
        }
    }

    /// For every text length around the limit, mixing widths: the cut never
    /// lands inside a character and never drops what fits.
    #[test]
    fn every_length_around_the_limit() {
        let alphabet = ["a", "é", "€", "😀", " "];
        for len in 480..=520 {
            for shift in 0..alphabet.len() {
                let mut text = String::new();
                let mut i = shift;
                while text.len() < len {
                    text.push_str(alphabet[i % alphabet.len()]);
                    i += 1;
                }
                let cut = cut_line("NOTICE", &["#x"], Some(&text)).unwrap();
                let kept = cut
                    .line
                    .trim_end_matches("\r\n")
                    .split_once(" :")
                    .unwrap()
                    .1;
                assert!(text.starts_with(kept));
                assert!(cut.line.len() <= 512);
                let room = 510 - "NOTICE #x :".len();
                match cut.truncation {
                    None => assert_eq!(kept, text),
                    Some(t) => {
                        assert!(t.kept <= room);
                        // The next character would not have fit.
                        let next = text[t.kept..].chars().next().unwrap();
                        assert!(t.kept + next.len_utf8() > room);
                    }
                }
            }
        }
    }

    #[test]
    fn message_cut_excludes_tags_from_the_budget() {
        let m = MessageBuf::new("PRIVMSG")
            .with_tag("msgid", Some(&"x".repeat(1000)))
            .with_param("#c")
            .with_param("y".repeat(1000));
        let mut out = Vec::new();
        let t = m.pack_cut_into(&mut out).unwrap().unwrap();
        let line = std::str::from_utf8(&out).unwrap();
        let body = line.split_once(' ').unwrap().1;
        assert_eq!(body.len(), 512);
        assert_eq!(t.kept, 510 - "PRIVMSG #c :".len());

        let huge = MessageBuf::new("TAGMSG")
            .with_tag("k", Some(&"v".repeat(9000)))
            .with_param("#c");
        assert_eq!(
            huge.pack_cut_into(&mut out).unwrap_err().kind,
            PackErrorKind::TagsTooLong
        );
    }
}
