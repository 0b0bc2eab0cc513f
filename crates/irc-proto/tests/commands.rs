//! Typed commands: the wire form of every constructor, refusal of anything
//! that could inject a second line, reading commands back from messages, and
//! property tests over every constructor.

use irc_proto::{
    CapSubcommand, Command, CommandError, CommandErrorKind as Kind, Message, MessageBuf,
};

/// The packed line of a command, without CRLF.
fn wire(cmd: &Command) -> String {
    MessageBuf::from(cmd)
        .pack()
        .expect("a built command always packs")
}

/// Parses `line` and reads it as a command.
fn read(line: &str) -> Result<Command, CommandError> {
    let msg = Message::parse(line).expect("test lines parse");
    Command::try_from(&msg)
}

#[test]
fn wire_forms() -> Result<(), CommandError> {
    let cases: Vec<(Command, &str)> = vec![
        (Command::pass("hunter2")?, "PASS hunter2"),
        (Command::pass("two words")?, "PASS :two words"),
        (Command::nick("WiZ")?, "NICK WiZ"),
        (
            Command::user("WiZ-user", "Ronnie")?,
            "USER WiZ-user 0 * Ronnie",
        ),
        (
            Command::user_with_mode("WiZ-user", "8", "Ronnie Reagan")?,
            "USER WiZ-user 8 * :Ronnie Reagan",
        ),
        (Command::oper("WiZ", "hunter2")?, "OPER WiZ hunter2"),
        (Command::user_mode("WiZ", None)?, "MODE WiZ"),
        (Command::user_mode("WiZ", Some("+io"))?, "MODE WiZ +io"),
        (
            Command::channel_mode("#foo", "+b", &[] as &[&str])?,
            "MODE #foo +b",
        ),
        (
            Command::channel_mode("#foo", "+l", &["10"])?,
            "MODE #foo +l 10",
        ),
        (
            Command::mode("#foo", Some("+ov"), &["a", "b"])?,
            "MODE #foo +ov a b",
        ),
        (
            Command::service("CHANSERV", "*.en", "0", "manages channels")?,
            "SERVICE CHANSERV * *.en 0 0 :manages channels",
        ),
        (Command::quit(None)?, "QUIT"),
        (Command::quit(Some("Gone to Lunch"))?, "QUIT :Gone to Lunch"),
        (
            Command::squit("tolsun.oulu.fi", None)?,
            "SQUIT tolsun.oulu.fi",
        ),
        (
            Command::squit("tolsun.oulu.fi", Some("Bad Link"))?,
            "SQUIT tolsun.oulu.fi :Bad Link",
        ),
        (Command::join(&["#foo-chan"])?, "JOIN #foo-chan"),
        (Command::join(&["#foo", "#other"])?, "JOIN #foo,#other"),
        (
            // Owned strings work as well as literals.
            Command::join(&"#a #b".split(' ').map(str::to_owned).collect::<Vec<_>>())?,
            "JOIN #a,#b",
        ),
        (
            Command::join_with_keys(&[("#foo", Some("foo-key")), ("#other", None)])?,
            "JOIN #foo,#other foo-key",
        ),
        (
            Command::join_with_keys(&[("#a", Some("ka")), ("#b", Some("kb"))])?,
            "JOIN #a,#b ka,kb",
        ),
        (
            Command::join_extended("#c", Some("acct"), "Real Name")?,
            "JOIN #c acct :Real Name",
        ),
        (Command::join_extended("#c", None, "R")?, "JOIN #c * R"),
        (Command::part_all(), "JOIN 0"),
        (Command::part(&["#foo-chan"], None)?, "PART #foo-chan"),
        (
            Command::part(&["#foo", "#other"], None)?,
            "PART #foo,#other",
        ),
        (
            Command::part(&["#foo"], Some("I lost"))?,
            "PART #foo :I lost",
        ),
        (Command::topic("#foo", None)?, "TOPIC #foo"),
        (Command::topic("#foo", Some(""))?, "TOPIC #foo :"),
        (
            Command::topic("#foo", Some("Yes, this is dog"))?,
            "TOPIC #foo :Yes, this is dog",
        ),
        (Command::names(&[] as &[&str], None)?, "NAMES"),
        (
            Command::names(&["#foo", "#other"], None)?,
            "NAMES #foo,#other",
        ),
        (
            Command::names(&["#foo"], Some("remote.*.edu"))?,
            "NAMES #foo remote.*.edu",
        ),
        (Command::list(&[] as &[&str], None)?, "LIST"),
        (
            Command::list(&["#foo", "#other"], Some("remote.*.edu"))?,
            "LIST #foo,#other remote.*.edu",
        ),
        (
            Command::invite("WiZ-friend", "#bar-chan")?,
            "INVITE WiZ-friend #bar-chan",
        ),
        (Command::kick("#foo", "WiZ", None)?, "KICK #foo WiZ"),
        (
            Command::kick("#foo", "WiZ", Some("Spamming"))?,
            "KICK #foo WiZ Spamming",
        ),
        (
            Command::kick_many(&["#foo"], &["WiZ", "WiZ-friend"], None)?,
            "KICK #foo WiZ,WiZ-friend",
        ),
        (
            Command::kick_many(&["#foo", "#bar"], &["WiZ", "WiZ-friend"], Some("bye all"))?,
            "KICK #foo,#bar WiZ,WiZ-friend :bye all",
        ),
        (
            Command::privmsg("WiZ-friend", "Hello, friend!")?,
            "PRIVMSG WiZ-friend :Hello, friend!",
        ),
        (Command::privmsg("#c", ":)")?, "PRIVMSG #c ::)"),
        (Command::privmsg("#c", "")?, "PRIVMSG #c :"),
        (
            Command::notice("#foo", "Maintenance in 5 mins")?,
            "NOTICE #foo :Maintenance in 5 mins",
        ),
        (Command::motd(None)?, "MOTD"),
        (Command::motd(Some("remote.*.edu"))?, "MOTD remote.*.edu"),
        (Command::lusers(None, None)?, "LUSERS"),
        (Command::lusers(Some("*.edu"), None)?, "LUSERS *.edu"),
        (
            Command::lusers(Some("*.edu"), Some("remote.*.edu"))?,
            "LUSERS *.edu remote.*.edu",
        ),
        (Command::version(None)?, "VERSION"),
        (Command::version(Some("srv"))?, "VERSION srv"),
        (Command::stats(None, None)?, "STATS"),
        (Command::stats(Some("m"), None)?, "STATS m"),
        (
            Command::stats(Some("m"), Some("remote.*.edu"))?,
            "STATS m remote.*.edu",
        ),
        (Command::links(None, None)?, "LINKS"),
        (Command::links(None, Some("*.bu.edu"))?, "LINKS *.bu.edu"),
        (
            Command::links(Some("*.edu"), Some("*.bu.edu"))?,
            "LINKS *.edu *.bu.edu",
        ),
        (Command::time(None)?, "TIME"),
        (Command::time(Some("remote.*.edu"))?, "TIME remote.*.edu"),
        (
            Command::connect("tolsun.oulu.fi", 6667, None)?,
            "CONNECT tolsun.oulu.fi 6667",
        ),
        (
            Command::connect("tolsun.oulu.fi", 6667, Some("*.edu"))?,
            "CONNECT tolsun.oulu.fi 6667 *.edu",
        ),
        (Command::trace(None)?, "TRACE"),
        (Command::trace(Some("remote.*.edu"))?, "TRACE remote.*.edu"),
        (Command::admin(None)?, "ADMIN"),
        (Command::admin(Some("remote.*.edu"))?, "ADMIN remote.*.edu"),
        (Command::info(None)?, "INFO"),
        (Command::info(Some("remote.*.edu"))?, "INFO remote.*.edu"),
        (Command::servlist(None, None)?, "SERVLIST"),
        (Command::servlist(Some("*SERV"), None)?, "SERVLIST *SERV"),
        (
            Command::servlist(Some("*SERV"), Some("3"))?,
            "SERVLIST *SERV 3",
        ),
        (
            Command::squery("irchelp", "HELP privmsg")?,
            "SQUERY irchelp :HELP privmsg",
        ),
        (Command::who(None, false)?, "WHO"),
        (Command::who(Some("*.fi"), false)?, "WHO *.fi"),
        (Command::who(Some("*.fi"), true)?, "WHO *.fi o"),
        (Command::whois(&["*.fi"], None)?, "WHOIS *.fi"),
        (
            Command::whois(&["*.fi", "*.edu"], Some("remote.*.edu"))?,
            "WHOIS remote.*.edu *.fi,*.edu",
        ),
        (Command::whowas(&["WiZ"], None, None)?, "WHOWAS WiZ"),
        (Command::whowas(&["WiZ"], Some(10), None)?, "WHOWAS WiZ 10"),
        (
            Command::whowas(&["WiZ", "WiZ-friend"], Some(10), None)?,
            "WHOWAS WiZ,WiZ-friend 10",
        ),
        (
            Command::whowas(&["WiZ"], Some(10), Some("remote.*.edu"))?,
            "WHOWAS WiZ 10 remote.*.edu",
        ),
        (
            Command::kill("WiZ", "Spamming Joins")?,
            "KILL WiZ :Spamming Joins",
        ),
        (Command::ping("Test..")?, "PING Test.."),
        (Command::ping("two words")?, "PING :two words"),
        (
            Command::ping_via("WiZ", "tolsun.oulu.fi")?,
            "PING WiZ tolsun.oulu.fi",
        ),
        (Command::pong("Test..")?, "PONG Test.."),
        (Command::pong("")?, "PONG :"),
        (
            Command::pong_from("csd.bu.edu", "tolsun.oulu.fi")?,
            "PONG csd.bu.edu tolsun.oulu.fi",
        ),
        (
            Command::error("Closing Link: x (Quit)")?,
            "ERROR :Closing Link: x (Quit)",
        ),
        (Command::away(None)?, "AWAY"),
        (Command::away(Some("Gone to Lunch"))?, "AWAY :Gone to Lunch"),
        (Command::rehash(), "REHASH"),
        (Command::die(), "DIE"),
        (Command::restart(), "RESTART"),
        (Command::summon("WiZ", None, None)?, "SUMMON WiZ"),
        (
            Command::summon("WiZ", Some("remote.*.edu"), None)?,
            "SUMMON WiZ remote.*.edu",
        ),
        (
            Command::summon("WiZ", Some("remote.*.edu"), Some("#foo"))?,
            "SUMMON WiZ remote.*.edu #foo",
        ),
        (Command::users(None)?, "USERS"),
        (Command::users(Some("remote.*.edu"))?, "USERS remote.*.edu"),
        (
            Command::wallops("Maintenance in 5 minutes")?,
            "WALLOPS :Maintenance in 5 minutes",
        ),
        (Command::userhost(&["WiZ"])?, "USERHOST WiZ"),
        (
            Command::userhost(&["WiZ", "WiZ-friend"])?,
            "USERHOST WiZ WiZ-friend",
        ),
        (Command::ison(&["WiZ"])?, "ISON WiZ"),
        (
            Command::ison(&["WiZ", "WiZ-friend"])?,
            "ISON WiZ WiZ-friend",
        ),
        (Command::cap_ls(None), "CAP LS"),
        (Command::cap_ls(Some(302)), "CAP LS 302"),
        (Command::cap_list(), "CAP LIST"),
        (Command::cap_req(&["sasl"])?, "CAP REQ sasl"),
        (
            Command::cap_req(&["sasl", "-away-notify"])?,
            "CAP REQ :sasl -away-notify",
        ),
        (Command::cap_end(), "CAP END"),
        (
            Command::cap_reply(
                "*",
                CapSubcommand::Ls,
                &["sasl=PLAIN", "multi-prefix"],
                true,
            )?,
            "CAP * LS * :sasl=PLAIN multi-prefix",
        ),
        (
            Command::cap_reply("dan", CapSubcommand::Ack, &["sasl"], false)?,
            "CAP dan ACK sasl",
        ),
        (
            Command::cap_reply("dan", CapSubcommand::Nak, &[] as &[&str], false)?,
            "CAP dan NAK :",
        ),
        (Command::authenticate("PLAIN")?, "AUTHENTICATE PLAIN"),
        (Command::authenticate("+")?, "AUTHENTICATE +"),
        (Command::account(Some("dan"))?, "ACCOUNT dan"),
        (Command::account(None)?, "ACCOUNT *"),
        (Command::chghost("u", "new.host")?, "CHGHOST u new.host"),
        (Command::setname("New Name")?, "SETNAME :New Name"),
        (Command::tagmsg("#c")?, "TAGMSG #c"),
        (
            Command::batch_start("yXNAbvnRHTRBv", "netsplit", &["irc.hub", "other.host"])?,
            "BATCH +yXNAbvnRHTRBv netsplit irc.hub other.host",
        ),
        (Command::batch_end("yXNAbvnRHTRBv")?, "BATCH -yXNAbvnRHTRBv"),
        (
            Command::raw("KNOCK", &["#c", "let me in"])?,
            "KNOCK #c :let me in",
        ),
        (Command::raw("FOO", &[] as &[&str])?, "FOO"),
    ];
    for (cmd, want) in cases {
        assert_eq!(wire(&cmd), want, "{cmd:?}");
        // Every wire form reads back as the same command.
        assert_eq!(read(want)?, cmd, "{want}");
    }
    Ok(())
}

#[test]
fn every_verb_of_the_list_is_typed() {
    let verbs = "PASS NICK USER OPER MODE SERVICE QUIT SQUIT JOIN PART TOPIC NAMES LIST INVITE \
        KICK PRIVMSG NOTICE MOTD LUSERS VERSION STATS LINKS TIME CONNECT TRACE ADMIN INFO \
        SERVLIST SQUERY WHO WHOIS WHOWAS KILL PING PONG ERROR AWAY REHASH DIE RESTART SUMMON \
        USERS WALLOPS USERHOST ISON CAP AUTHENTICATE ACCOUNT CHGHOST SETNAME TAGMSG BATCH";
    for verb in verbs.split_whitespace() {
        // Enough parameters of a neutral shape for any command.
        let line = match verb {
            "CAP" => "CAP LS".to_owned(),
            "BATCH" => "BATCH +r t".to_owned(),
            "CONNECT" => "CONNECT srv 6667".to_owned(),
            "WHO" => "WHO a o".to_owned(),
            "WHOWAS" => "WHOWAS a 1 b".to_owned(),
            _ => format!("{verb} a b c d e f"),
        };
        let cmd = read(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(!matches!(cmd, Command::Raw { .. }), "{verb} read as Raw");
        assert_eq!(cmd.verb(), verb);
        // Lower case verbs are the same commands.
        let lower = read(&line.replacen(verb, &verb.to_ascii_lowercase(), 1)).unwrap();
        assert_eq!(lower, cmd);
    }
}

#[test]
fn reading_messages() {
    // Unknown verbs and numerics are Raw, case and parameters kept.
    let raw = read(":srv 001 dan :Welcome to IRC").unwrap();
    assert_eq!(raw.verb(), "001");
    assert!(matches!(&raw, Command::Raw { params, .. } if params == &["dan", "Welcome to IRC"]));
    assert_eq!(read("knock #c").unwrap().verb(), "knock");

    // A known verb with too few parameters is a typed error.
    let err = read("PRIVMSG #c").unwrap_err();
    assert_eq!(
        (err.verb, err.kind),
        ("PRIVMSG", Kind::TooFewParams { needed: 2, got: 1 })
    );
    assert_eq!(
        read("KICK #c").unwrap_err().kind,
        Kind::TooFewParams { needed: 2, got: 1 }
    );
    assert_eq!(
        read("CONNECT srv port").unwrap_err().kind,
        Kind::InvalidNumber
    );
    assert_eq!(read("WHO #c %nuh").unwrap_err().kind, Kind::Unexpected);
    assert_eq!(read("BATCH ref").unwrap_err().kind, Kind::Unexpected);
    assert_eq!(read("CAP dan FOO").unwrap_err().kind, Kind::Unexpected);

    // Sources and tags do not matter to the command.
    let msg = read("@time=x :dan!d@h PRIVMSG #rust :hi there").unwrap();
    assert_eq!(msg, Command::privmsg("#rust", "hi there").unwrap());

    // Server forms.
    assert_eq!(
        read(":srv CAP * LS * :sasl=PLAIN,EXTERNAL multi-prefix").unwrap(),
        Command::cap_reply(
            "*",
            CapSubcommand::Ls,
            &["sasl=PLAIN,EXTERNAL", "multi-prefix"],
            true
        )
        .unwrap()
    );
    assert_eq!(
        read(":srv CAP dan ACK :sasl").unwrap(),
        Command::cap_reply("dan", CapSubcommand::Ack, &["sasl"], false).unwrap()
    );
    assert_eq!(
        read(":dan!d@h JOIN #c dan :Dan Smith").unwrap(),
        Command::join_extended("#c", Some("dan"), "Dan Smith").unwrap()
    );
    assert_eq!(
        read(":dan!d@h JOIN #c * :Dan Smith").unwrap(),
        Command::join_extended("#c", None, "Dan Smith").unwrap()
    );
    assert_eq!(
        read("JOIN #a,#b,#c ka,kb").unwrap(),
        Command::join_with_keys(&[("#a", Some("ka")), ("#b", Some("kb")), ("#c", None)]).unwrap()
    );
    assert_eq!(
        read("JOIN #a,#b k1,k2,k3").unwrap_err().kind,
        Kind::CountMismatch
    );
    assert_eq!(
        read(":srv PONG srv :LAG 1").unwrap(),
        Command::pong_from("srv", "LAG 1").unwrap()
    );
    assert_eq!(
        read("ISON :a b  c").unwrap(),
        Command::ison(&["a", "b", "c"]).unwrap()
    );
    assert_eq!(read("ACCOUNT *").unwrap(), Command::account(None).unwrap());
    assert_eq!(read("AWAY").unwrap(), Command::away(None).unwrap());
    assert_eq!(read("AWAY :").unwrap(), Command::away(Some("")).unwrap());

    // Owned messages read the same way.
    let buf = MessageBuf::parse("NOTICE * :*** Looking up your hostname").unwrap();
    assert_eq!(
        Command::try_from(&buf).unwrap(),
        Command::notice("*", "*** Looking up your hostname").unwrap()
    );
}

#[test]
fn refusals_name_the_argument() {
    let cases: Vec<(Result<Command, CommandError>, &str, Kind)> = vec![
        (
            Command::privmsg("#c", "a\r\nQUIT"),
            "text",
            Kind::ForbiddenByte,
        ),
        (Command::privmsg("#c", "a\0b"), "text", Kind::ForbiddenByte),
        (Command::privmsg("", "hi"), "target", Kind::Empty),
        (Command::privmsg("#a b", "hi"), "target", Kind::Space),
        (Command::privmsg(":x", "hi"), "target", Kind::LeadingColon),
        (Command::join(&["#a,#b"]), "channels", Kind::Comma),
        (Command::join(&[] as &[&str]), "channels", Kind::Empty),
        (
            Command::join_with_keys(&[("#a", Some("k k"))]),
            "keys",
            Kind::Space,
        ),
        (Command::kick("#c", "a b", None), "nick", Kind::Space),
        (
            Command::kick_many(&["#a", "#b"], &["x", "y", "z"], None),
            "nicks",
            Kind::CountMismatch,
        ),
        (Command::user("u", ""), "realname", Kind::Empty),
        (Command::user("u u", "r"), "user", Kind::Space),
        (Command::ping("a\rb"), "token", Kind::ForbiddenByte),
        (
            Command::lusers(None, Some("srv")),
            "target",
            Kind::Requires("mask"),
        ),
        (
            Command::names(&[] as &[&str], Some("srv")),
            "target",
            Kind::Requires("channels"),
        ),
        (
            Command::who(None, true),
            "operators_only",
            Kind::Requires("mask"),
        ),
        (
            Command::mode("#c", None, &["x"]),
            "args",
            Kind::Requires("modes"),
        ),
        (Command::cap_req(&[] as &[&str]), "caps", Kind::Empty),
        (Command::cap_req(&["a b"]), "caps", Kind::Space),
        (
            Command::batch_start("+r", "t", &[] as &[&str]),
            "reference",
            Kind::Unexpected,
        ),
        (Command::raw("", &[] as &[&str]), "verb", Kind::InvalidVerb),
        (
            Command::raw("A B", &[] as &[&str]),
            "verb",
            Kind::InvalidVerb,
        ),
        (
            Command::raw(":X", &[] as &[&str]),
            "verb",
            Kind::InvalidVerb,
        ),
        (Command::raw("X", &["a b", "c"]), "params", Kind::Space),
        (
            Command::topic("#c", Some("new\ntopic")),
            "topic",
            Kind::ForbiddenByte,
        ),
    ];
    for (result, field, kind) in cases {
        let err = result.expect_err("refused");
        assert_eq!((err.field, err.kind), (field, kind), "{err}");
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// How many constructor shapes `build` knows.
    const SHAPES: usize = 70;

    /// Calls constructor number `which` with arguments taken from `w` (four
    /// words), `t` (a text), `n` and `flag`.
    fn build(
        which: usize,
        w: &[String],
        t: &str,
        n: u16,
        flag: bool,
    ) -> Result<Command, CommandError> {
        let (a, b, c, d) = (w[0].as_str(), w[1].as_str(), w[2].as_str(), w[3].as_str());
        let maybe = |s: &str| -> Option<String> { flag.then(|| s.to_owned()) };
        let ma = maybe(a);
        let ma = ma.as_deref();
        let mt = maybe(t);
        let mt = mt.as_deref();
        match which {
            0 => Command::pass(t),
            1 => Command::nick(a),
            2 => Command::user(a, t),
            3 => Command::user_with_mode(a, b, t),
            4 => Command::oper(a, t),
            5 => Command::mode(a, Some(b), &[c, d]),
            6 => Command::user_mode(a, ma),
            7 => Command::channel_mode(a, b, &[c]),
            8 => Command::service(a, b, c, t),
            9 => Command::quit(mt),
            10 => Command::squit(a, mt),
            11 => Command::join(&[a, b]),
            12 => Command::join_with_keys(&[(a, Some(b)), (c, None), (d, Some(a))]),
            13 => Command::join_extended(a, ma, t),
            14 => Ok(Command::part_all()),
            15 => Command::part(&[a, b], mt),
            16 => Command::topic(a, mt),
            17 => Command::names(&[a, b], ma),
            18 => Command::list(&[a], ma),
            19 => Command::invite(a, b),
            20 => Command::kick(a, b, mt),
            21 => Command::kick_many(&[a, b], &[c, d], mt),
            22 => Command::privmsg(a, t),
            23 => Command::notice(a, t),
            24 => Command::motd(ma),
            25 => Command::lusers(Some(a), ma),
            26 => Command::version(ma),
            27 => Command::stats(Some(a), ma),
            28 => Command::links(ma, Some(b)),
            29 => Command::time(ma),
            30 => Command::connect(a, n, ma),
            31 => Command::trace(ma),
            32 => Command::admin(ma),
            33 => Command::info(ma),
            34 => Command::servlist(Some(a), ma),
            35 => Command::squery(a, t),
            36 => Command::who(Some(a), flag),
            37 => Command::whois(&[a, b], ma),
            38 => Command::whowas(&[a], Some(u32::from(n)), ma),
            39 => Command::kill(a, t),
            40 => Command::ping(t),
            41 => Command::ping_via(a, b),
            42 => Command::pong(t),
            43 => Command::pong_from(a, t),
            44 => Command::error(t),
            45 => Command::away(mt),
            46 => Ok(Command::rehash()),
            47 => Ok(Command::die()),
            48 => Ok(Command::restart()),
            49 => Command::summon(a, Some(b), ma),
            50 => Command::users(ma),
            51 => Command::wallops(t),
            52 => Command::userhost(&[a, b, c]),
            53 => Command::ison(&[a, b]),
            54 => Ok(Command::cap_ls(flag.then_some(n))),
            55 => Ok(Command::cap_list()),
            56 => Command::cap_req(&[a, b]),
            57 => Ok(Command::cap_end()),
            58 => Command::cap_reply(
                a,
                CapSubcommand::ALL[usize::from(n) % CapSubcommand::ALL.len()],
                &[b, c],
                flag,
            ),
            59 => Command::cap_reply(a, CapSubcommand::Ls, &[] as &[&str], flag),
            60 => Command::authenticate(a),
            61 => Command::account(ma),
            62 => Command::chghost(a, b),
            63 => Command::setname(t),
            64 => Command::tagmsg(a),
            65 => Command::batch_start(a, b, &[c, d]),
            66 => Command::batch_end(a),
            67 => Command::raw(&format!("X{}", a.to_ascii_uppercase()), &[b, t]),
            68 => Command::raw(&format!("X{}", a.to_ascii_uppercase()), &[t]),
            _ => Command::whois(&[a], Some(b)),
        }
    }

    /// Words that are valid anywhere a word goes and never read as anything
    /// else (they end in a non-letter, so are no CAP subcommand).
    fn word() -> impl Strategy<Value = String> {
        "[a-zA-Z][a-zA-Z0-9]{0,5}[0-9#._*|^-]"
    }

    /// Texts: spaces, colons and emptiness included.
    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 :,.#!é-]{0,20}"
    }

    /// Anything at all, biased towards the bytes that break lines.
    fn nasty() -> impl Strategy<Value = String> {
        prop_oneof!["[a :,*+#\r\n\u{0}-]{0,6}", any::<String>(),]
    }

    /// Packs a built command, checks it is one line, reads it back.
    fn one_line_round_trip(cmd: &Command) -> Result<(), TestCaseError> {
        let msg = MessageBuf::from(cmd);
        let mut out = Vec::new();
        let packed = msg.pack_into(&mut out);
        prop_assert!(packed.is_ok(), "a built command must pack: {cmd:?}");
        prop_assert!(out.ends_with(b"\r\n"));
        let body = &out[..out.len() - 2];
        prop_assert!(
            !body.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "{cmd:?} packed to more than one line: {out:?}"
        );
        let line = String::from_utf8(out).unwrap();
        let parsed = Message::parse(&line).unwrap();
        prop_assert_eq!(&Command::try_from(&parsed).unwrap(), cmd);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn parse_of_pack_is_the_command(
            which in 0..SHAPES,
            w in prop::collection::vec(word(), 4),
            t in text(),
            n in any::<u16>(),
            flag in any::<bool>(),
        ) {
            // Texts may be empty, which a few constructors refuse.
            match build(which, &w, &t, n, flag) {
                Ok(cmd) => one_line_round_trip(&cmd)?,
                Err(e) => prop_assert!(t.is_empty() && e.kind == Kind::Empty, "{which}: {e}"),
            }
        }

        #[test]
        fn no_argument_injects_a_line(
            which in 0..SHAPES,
            w in prop::collection::vec(nasty(), 4),
            t in nasty(),
            n in any::<u16>(),
            flag in any::<bool>(),
        ) {
            if let Ok(cmd) = build(which, &w, &t, n, flag) {
                one_line_round_trip(&cmd)?;
            }
        }

        #[test]
        fn reading_any_line_never_panics_and_what_reads_packs(
            line in "(JOIN|PART|KICK|MODE|CAP|USER|PING|PONG|WHO|WHOIS|LINKS|BATCH|NAMES|ISON|\
                      TOPIC|AWAY|ACCOUNT|SERVICE|CONNECT|WHOWAS|privmsg|[A-Za-z]{1,8})\
                      ( [a-z0-9#*:+,-]{0,5}){0,5}( :[a-z :]{0,8})?",
        ) {
            if let Ok(msg) = Message::parse(&line)
                && let Ok(cmd) = Command::try_from(&msg)
            {
                one_line_round_trip(&cmd)?;
            }
        }
    }
}
