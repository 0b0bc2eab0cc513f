//! The toolkit against shared test vectors and whole server conversations:
//! ircdocs parser-tests `mask-match.yaml` and `validate-hostname.yaml`
//! (public domain, CC0), and ISUPPORT, modes and case mapping working
//! together.

use std::collections::HashMap;

use irc_proto::Message;
use irc_proto::casemap::{CaseKey, CaseMapping};
use irc_proto::isupport::{Isupport, Limit};
use irc_proto::mask::{self, Mask};
use irc_proto::mode::{self, ModeChange, ModeMessage, Sign};

/// ircdocs parser-tests `tests/mask-match.yaml`: each mask with the
/// subjects that must match and those that must not.
const MASK_MATCH: &[(&str, &[&str], &[&str])] = &[
    (
        "*@127.0.0.1",
        &["coolguy!ab@127.0.0.1", "cooldud3!~bc@127.0.0.1"],
        &["coolguy!ab@127.0.0.5", "cooldud3!~d@124.0.0.1"],
    ),
    (
        "cool*@*",
        &[
            "coolguy!ab@127.0.0.1",
            "cooldud3!~bc@127.0.0.1",
            "cool132!ab@example.com",
        ],
        &["koolguy!ab@127.0.0.5", "cooodud3!~d@124.0.0.1"],
    ),
    (
        "cool!*@*",
        &[
            "cool!guyab@127.0.0.1",
            "cool!~dudebc@127.0.0.1",
            "cool!312ab@example.com",
        ],
        &[
            "coolguy!ab@127.0.0.1",
            "cooldud3!~bc@127.0.0.1",
            "koolguy!ab@127.0.0.5",
            "cooodud3!~d@124.0.0.1",
        ],
    ),
    (
        "cool!?username@*",
        &["cool!ausername@127.0.0.1", "cool!~username@127.0.0.1"],
        &["cool!username@127.0.0.1"],
    ),
    (
        "cool!a?*@*",
        &["cool!ab@127.0.0.1", "cool!abc@127.0.0.1"],
        &["cool!a@127.0.0.1"],
    ),
    // Masks that trip up fnmatch/glob-based matchers: `[` is a literal.
    (
        "cool[guy]!*@*",
        &["cool[guy]!guy@127.0.0.1", "cool[guy]!a@example.com"],
        &["coolg!ab@127.0.0.1", "cool[!ac@127.0.1.1"],
    ),
];

/// ircdocs parser-tests `tests/validate-hostname.yaml`.
const VALIDATE_HOSTNAME: &[(&str, bool)] = &[
    ("irc.example.com", true),
    ("i.coolguy.net", true),
    ("irc-srv.net.uk", true),
    ("iRC.CooLguY.NeT", true),
    ("gsf.ds342.co.uk", true),
    ("324.net.uk", true),
    ("xn--bcher-kva.ch", true),
    ("-lol-.net.uk", false),
    ("-lol.net.uk", false),
    ("_irc._sctp.lol.net.uk", false),
    ("irc", false),
    ("com", false),
    ("", false),
];

#[test]
fn ircdocs_mask_match() {
    for &(mask, good, bad) in MASK_MATCH {
        for cm in CaseMapping::ALL {
            let compiled = Mask::new(mask, cm);
            for subject in good {
                assert!(
                    mask::matches(mask, subject, cm),
                    "{mask} should match {subject} ({cm})"
                );
                assert!(
                    compiled.matches(subject),
                    "compiled {mask} should match {subject} ({cm})"
                );
            }
            for subject in bad {
                assert!(
                    !mask::matches(mask, subject, cm),
                    "{mask} should not match {subject} ({cm})"
                );
                assert!(
                    !compiled.matches(subject),
                    "compiled {mask} should not match {subject} ({cm})"
                );
            }
        }
    }
}

#[test]
fn ircdocs_validate_hostname() {
    for &(host, valid) in VALIDATE_HOSTNAME {
        assert_eq!(mask::is_valid_hostname(host), valid, "{host:?}");
    }
}

/// A client's view of one channel, keyed the way a client must key it.
#[test]
fn a_channel_session() {
    let mut isupport = Isupport::new();
    let burst = [
        ":irc.example.net 005 dan CASEMAPPING=rfc1459 CHANTYPES=#& PREFIX=(qaohv)~&@%+ CHANMODES=beI,k,l,imnpst MODES=4 :are supported by this server",
        ":irc.example.net 005 dan NICKLEN=16 CHANNELLEN=32 TARGMAX=PRIVMSG:3 :are supported by this server",
    ];
    for line in burst {
        assert!(isupport.apply(&Message::parse(line).unwrap()));
    }
    let cm = isupport.casemapping();

    // Members by case-insensitive nick, with their status symbols.
    let mut members: HashMap<CaseKey, String> = HashMap::new();
    let names =
        Message::parse(":irc.example.net 353 dan = #Rust[ :~Owner @Op[x] +voiced plain").unwrap();
    for entry in names.trailing().unwrap().split(' ') {
        let (symbols, nick) = isupport.prefix().split_symbols(entry);
        members.insert(cm.key(nick), symbols.to_owned());
    }
    assert_eq!(members.len(), 4);

    let line = ":Owner!o@host MODE #rust{ +o-o+b-v+k plain OP{X} *!*@bad VOICED secret";
    let modes = ModeMessage::from_message(&Message::parse(line).unwrap(), &isupport).unwrap();
    assert!(modes.is_channel);
    assert!(cm.equal(modes.target, "#Rust["));
    assert!(modes.errors.is_empty());
    for change in &modes.changes {
        let Some(symbol) = isupport.prefix().symbol_for(change.mode) else {
            continue;
        };
        let nick = change.arg().unwrap();
        let entry = members.get_mut(cm.fold(nick).as_ref()).unwrap();
        match change.sign {
            Sign::Plus => entry.push(symbol),
            Sign::Minus => entry.retain(|c| c != symbol),
        }
    }
    assert_eq!(members[&cm.key("plain")], "@");
    assert_eq!(members[&cm.key("op[x]")], "");
    assert_eq!(members[&cm.key("Voiced")], "");
    assert_eq!(members[&cm.key("OWNER")], "~");

    // The ban the mode set catches the right people.
    let ban = modes.changes.iter().find(|c| c.mode == 'b').unwrap();
    let ban = Mask::new(ban.arg().unwrap(), cm);
    assert!(ban.matches("eve!e@BAD"));
    assert!(!ban.matches("eve!e@good"));

    // Writing them back respects MODES=4.
    let lines = mode::format_modes(&modes.changes, isupport.modes()).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].to_string(), "+o-o+b-v plain OP{X} *!*@bad VOICED");
    assert_eq!(lines[1].to_string(), "+k secret");

    assert_eq!(isupport.targmax_for("PRIVMSG"), Some(Limit::At(3)));
    assert!(mask::is_valid_nick("sixteen_chars_ok", &isupport));
    assert!(mask::is_valid_channel("#Rust[", &isupport));
}

#[test]
fn channel_mode_is_reply() {
    let isupport = Isupport::parse("CHANMODES=b,k,l,mnst");
    let reply = Message::parse(":srv 324 dan #c +klnt secret 25").unwrap();
    let modes = ModeMessage::from_message(&reply, &isupport).unwrap();
    assert_eq!(
        modes.changes,
        [
            ModeChange::new(Sign::Plus, 'k', Some("secret")),
            ModeChange::new(Sign::Plus, 'l', Some("25")),
            ModeChange::without_arg(Sign::Plus, 'n'),
            ModeChange::without_arg(Sign::Plus, 't'),
        ]
    );
}
