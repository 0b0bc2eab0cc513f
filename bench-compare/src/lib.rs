//! The three contenders of the parser comparison, each reading the same
//! corpus line by line and touching everything it parsed:
//!
//! - [`walk_ours`]: this project's `irc-proto` (zero-copy, lazy tag unescaping);
//! - [`walk_theirs`]: the crates.io `irc-proto` 1.x (the parser of the `irc`
//!   crate), which builds an owned `Message` with a typed `Command`;
//! - [`walk_floor`]: no parser at all, only `memchr` finding every space: what
//!   any parser has to do at least;
//! - [`walk_utf8`]: only the UTF-8 validation that both parsers start with.
//!
//! Each returns a sum of lengths, so the optimiser cannot drop the work.

#![forbid(unsafe_code)]

#[path = "../../crates/irc-proto/benches/support/corpus.rs"]
pub mod corpus;

use irc_proto_crates::{Command, Prefix};

/// Parses a line with our parser and reads every tag (unescaped), the split
/// source and every parameter. Returns 0 for invalid UTF-8 and 1 for a line
/// the parser refused.
#[must_use]
pub fn walk_ours(line: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(line) else {
        return 0;
    };
    let Ok(msg) = irc_proto::Message::parse(text) else {
        return 1;
    };
    let mut n = msg.command().len();
    for tag in msg.tags() {
        n += tag.key.len() + tag.value().len();
    }
    if let Some(src) = msg.source() {
        n += src.nick().len() + src.user().map_or(0, str::len) + src.host().map_or(0, str::len);
    }
    for param in msg.params() {
        n += param.len();
    }
    n
}

/// Parses a line with the crates.io `irc-proto` and reads what it produced:
/// every tag (it unescapes while parsing), the prefix, and the arguments of
/// the command. Returns 0 for invalid UTF-8 and 1 for a refused line.
#[must_use]
pub fn walk_theirs(line: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(line) else {
        return 0;
    };
    let Ok(msg) = text.parse::<irc_proto_crates::Message>() else {
        return 1;
    };
    let mut n = 0;
    for tag in msg.tags.iter().flatten() {
        n += tag.0.len() + tag.1.as_ref().map_or(0, String::len);
    }
    match &msg.prefix {
        Some(Prefix::ServerName(s)) => n += s.len(),
        Some(Prefix::Nickname(nick, user, host)) => n += nick.len() + user.len() + host.len(),
        None => {}
    }
    n + command_len(&msg.command)
}

/// The summed lengths of the arguments of the commands the corpus holds.
fn command_len(cmd: &Command) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let all = |v: &[String]| v.iter().map(String::len).sum::<usize>();
    match cmd {
        Command::PRIVMSG(t, m) | Command::NOTICE(t, m) => t.len() + m.len(),
        Command::JOIN(c, k, r) => c.len() + opt(k) + opt(r),
        Command::PART(c, m) => c.len() + opt(m),
        Command::QUIT(m) => opt(m),
        Command::PING(s, t) | Command::PONG(s, t) => s.len() + opt(t),
        Command::ChannelMODE(c, modes) => {
            c.len()
                + modes
                    .iter()
                    .map(|m| 2 + m.arg().map_or(0, str::len))
                    .sum::<usize>()
        }
        Command::UserMODE(u, modes) => {
            u.len()
                + modes
                    .iter()
                    .map(|m| 2 + m.arg().map_or(0, str::len))
                    .sum::<usize>()
        }
        Command::Response(_, args) => 3 + all(args),
        Command::Raw(c, args) => c.len() + all(args),
        // No other command occurs in the corpus (a test checks it).
        _ => 0,
    }
}

/// UTF-8 validation alone (`std::str::from_utf8`), the first step of both
/// parsers: what is left of their time once this is taken away is parsing.
#[must_use]
pub fn walk_utf8(line: &[u8]) -> usize {
    std::str::from_utf8(line).map_or(0, str::len)
}

/// The floor: find every space of the line with `memchr`. Returns the sum of
/// their offsets plus one.
#[must_use]
pub fn walk_floor(line: &[u8]) -> usize {
    memchr::memchr_iter(b' ', line).fold(1, |n, i| n + i)
}

/// Runs `walk` over every line of `corpus`; returns the summed results and the
/// number of lines.
pub fn run(corpus: &[u8], walk: impl Fn(&[u8]) -> usize) -> (usize, usize) {
    corpus::lines(corpus).fold((0, 0), |(sum, count), line| (sum + walk(line), count + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_and_about_215_bytes_a_line() {
        let a = corpus::default_corpus();
        let b = corpus::generate(corpus::SEED, corpus::LINES);
        assert_eq!(a, b);
        let mean = a.len() as f64 / corpus::LINES as f64;
        assert!((200.0..=230.0).contains(&mean), "mean {mean}");
        assert_eq!(corpus::lines(&a).count(), corpus::LINES);
        assert!(std::str::from_utf8(&a).is_ok());
    }

    #[test]
    fn corpus_has_the_intended_mix() {
        let corpus = corpus::default_corpus();
        let text = std::str::from_utf8(&corpus).unwrap_or_default();
        for needle in [
            "tmi-sent-ts=",
            "\\s",
            "\\:",
            " JOIN ",
            " PART ",
            " QUIT ",
            " MODE ",
            " 353 ",
            " 005 ",
            "PING ",
            "  ",
            " \r\n",
            "日本語",
            "🦀",
            "é",
        ] {
            assert!(text.contains(needle), "corpus lacks {needle:?}");
        }
    }

    #[test]
    fn every_line_parses_with_both_parsers() {
        let corpus = corpus::default_corpus();
        for line in corpus::lines(&corpus) {
            assert!(walk_ours(line) > 1, "ours refused {line:?}");
            assert!(walk_theirs(line) > 1, "theirs refused {line:?}");
            assert!(walk_floor(line) > 1, "no space in {line:?}");
        }
    }

    #[test]
    fn theirs_sees_only_the_commands_walked() {
        let corpus = corpus::default_corpus();
        for line in corpus::lines(&corpus) {
            let text = std::str::from_utf8(line).unwrap_or_default();
            let msg = text.parse::<irc_proto_crates::Message>();
            let cmd = msg.map(|m| m.command);
            assert!(
                matches!(
                    cmd,
                    Ok(Command::PRIVMSG(..)
                        | Command::NOTICE(..)
                        | Command::JOIN(..)
                        | Command::PART(..)
                        | Command::QUIT(..)
                        | Command::PING(..)
                        | Command::ChannelMODE(..)
                        | Command::Response(..))
                ),
                "{text:?} gave {cmd:?}"
            );
        }
    }

    #[test]
    fn ours_and_theirs_agree_on_tags_and_source() {
        let line = br"@a=b\sc;d :n!u@h PRIVMSG #c :hi there";
        // ours: command 7, tags 1+3+1+0, source 1+1+1, params 2+8.
        assert_eq!(walk_ours(line), 7 + 5 + 3 + 10);
        // theirs: no command name, the rest the same.
        assert_eq!(walk_theirs(line), 5 + 3 + 10);
        assert_eq!(walk_floor(b"a b c"), 1 + 1 + 3);
    }
}
