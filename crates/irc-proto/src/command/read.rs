//! Wire parameters to commands: the shapes `write.rs` writes, read back
//! through the constructors so that a command read from the wire holds only
//! checked values.

use super::check::Check;
use super::error::{CommandError, CommandErrorKind as Kind};
use super::{CapSubcommand, Command};

type Result<T> = std::result::Result<T, CommandError>;

/// The known verbs, upper case.
const VERBS: [&str; 52] = [
    "PASS",
    "NICK",
    "USER",
    "OPER",
    "MODE",
    "SERVICE",
    "QUIT",
    "SQUIT",
    "JOIN",
    "PART",
    "TOPIC",
    "NAMES",
    "LIST",
    "INVITE",
    "KICK",
    "PRIVMSG",
    "NOTICE",
    "MOTD",
    "LUSERS",
    "VERSION",
    "STATS",
    "LINKS",
    "TIME",
    "CONNECT",
    "TRACE",
    "ADMIN",
    "INFO",
    "SERVLIST",
    "SQUERY",
    "WHO",
    "WHOIS",
    "WHOWAS",
    "KILL",
    "PING",
    "PONG",
    "ERROR",
    "AWAY",
    "REHASH",
    "DIE",
    "RESTART",
    "SUMMON",
    "USERS",
    "WALLOPS",
    "USERHOST",
    "ISON",
    "CAP",
    "AUTHENTICATE",
    "ACCOUNT",
    "CHGHOST",
    "SETNAME",
    "TAGMSG",
    "BATCH",
];

/// The parameters of one message, with the verb for errors.
struct Args<'p, 'a> {
    verb: &'static str,
    params: &'p [&'a str],
}

impl<'a> Args<'_, 'a> {
    /// Fails unless there are at least `needed` parameters.
    fn need(&self, needed: usize) -> Result<()> {
        if self.params.len() < needed {
            return Err(self.too_few(needed));
        }
        Ok(())
    }

    fn too_few(&self, needed: usize) -> CommandError {
        let got = self.params.len();
        CommandError::new(self.verb, "params", Kind::TooFewParams { needed, got })
    }

    /// Parameter `i`, which must be there (checked by `need`).
    fn at(&self, i: usize) -> &'a str {
        self.params.get(i).copied().unwrap_or_default()
    }

    fn opt(&self, i: usize) -> Option<&'a str> {
        self.params.get(i).copied()
    }

    fn check(&self) -> Check {
        Check { verb: self.verb }
    }

    fn number<N: std::str::FromStr>(&self, field: &'static str, value: &str) -> Result<N> {
        if !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.check().err(field, Kind::InvalidNumber));
        }
        value
            .parse()
            .map_err(|_| self.check().err(field, Kind::InvalidNumber))
    }
}

/// A comma list, split (an empty parameter is an empty list).
fn split(list: &str) -> Vec<&str> {
    if list.is_empty() {
        Vec::new()
    } else {
        list.split(',').collect()
    }
}

/// Words of every parameter, split on spaces (`ISON :a b` as `ISON a b`).
fn words<'a>(params: &[&'a str]) -> Vec<&'a str> {
    params
        .iter()
        .flat_map(|p| p.split(' '))
        .filter(|w| !w.is_empty())
        .collect()
}

impl Command {
    /// Reads a verb and its parameters.
    pub(super) fn from_parts(verb: &str, params: &[&str]) -> Result<Self> {
        let Some(known) = VERBS.iter().find(|v| v.eq_ignore_ascii_case(verb)) else {
            return Self::raw(verb, params);
        };
        let a = Args {
            verb: known,
            params,
        };
        match *known {
            "PASS" => a.need(1).and_then(|()| Self::pass(a.at(0))),
            "NICK" => a.need(1).and_then(|()| Self::nick(a.at(0))),
            "USER" => {
                a.need(4)?;
                Self::user_with_mode(a.at(0), a.at(1), a.at(3))
            }
            "OPER" => a.need(2).and_then(|()| Self::oper(a.at(0), a.at(1))),
            "MODE" => {
                a.need(1)?;
                Self::mode(a.at(0), a.opt(1), params.get(2..).unwrap_or_default())
            }
            "SERVICE" => {
                a.need(6)?;
                Self::service(a.at(0), a.at(2), a.at(3), a.at(5))
            }
            "QUIT" => Self::quit(a.opt(0)),
            "SQUIT" => a.need(1).and_then(|()| Self::squit(a.at(0), a.opt(1))),
            "JOIN" => read_join(&a),
            "PART" => {
                a.need(1)?;
                Self::part(&split(a.at(0)), a.opt(1))
            }
            "TOPIC" => a.need(1).and_then(|()| Self::topic(a.at(0), a.opt(1))),
            "NAMES" => Self::names(&a.opt(0).map(split).unwrap_or_default(), a.opt(1)),
            "LIST" => Self::list(&a.opt(0).map(split).unwrap_or_default(), a.opt(1)),
            "INVITE" => a.need(2).and_then(|()| Self::invite(a.at(0), a.at(1))),
            "KICK" => {
                a.need(2)?;
                Self::kick_many(&split(a.at(0)), &split(a.at(1)), a.opt(2))
            }
            "PRIVMSG" => a.need(2).and_then(|()| Self::privmsg(a.at(0), a.at(1))),
            "NOTICE" => a.need(2).and_then(|()| Self::notice(a.at(0), a.at(1))),
            "MOTD" => Self::motd(a.opt(0)),
            "LUSERS" => Self::lusers(a.opt(0), a.opt(1)),
            "VERSION" => Self::version(a.opt(0)),
            "STATS" => Self::stats(a.opt(0), a.opt(1)),
            "LINKS" => match params {
                [] => Self::links(None, None),
                [mask] => Self::links(None, Some(mask)),
                [remote, mask, ..] => Self::links(Some(remote), Some(mask)),
            },
            "TIME" => Self::time(a.opt(0)),
            "CONNECT" => {
                a.need(2)?;
                Self::connect(a.at(0), a.number("port", a.at(1))?, a.opt(2))
            }
            "TRACE" => Self::trace(a.opt(0)),
            "ADMIN" => Self::admin(a.opt(0)),
            "INFO" => Self::info(a.opt(0)),
            "SERVLIST" => Self::servlist(a.opt(0), a.opt(1)),
            "SQUERY" => a.need(2).and_then(|()| Self::squery(a.at(0), a.at(1))),
            "WHO" => {
                let operators_only = match a.opt(1) {
                    None => false,
                    Some("o" | "O") => true,
                    Some(_) => return Err(a.check().err("operators_only", Kind::Unexpected)),
                };
                Self::who(a.opt(0), operators_only)
            }
            "WHOIS" => match params {
                [] => Err(a.too_few(1)),
                [masks] => Self::whois(&split(masks), None),
                [target, masks, ..] => Self::whois(&split(masks), Some(target)),
            },
            "WHOWAS" => {
                a.need(1)?;
                let count = a.opt(1).map(|c| a.number("count", c)).transpose()?;
                Self::whowas(&split(a.at(0)), count, a.opt(2))
            }
            "KILL" => a.need(2).and_then(|()| Self::kill(a.at(0), a.at(1))),
            "PING" => match params {
                [] => Err(a.too_few(1)),
                [token] => Self::ping(token),
                [token, server, ..] => Self::ping_via(token, server),
            },
            "PONG" => match params {
                [] => Err(a.too_few(1)),
                [token] => Self::pong(token),
                [server, token, ..] => Self::pong_from(server, token),
            },
            "ERROR" => Self::error(a.opt(0).unwrap_or_default()),
            "AWAY" => Self::away(a.opt(0)),
            "REHASH" => Ok(Self::Rehash),
            "DIE" => Ok(Self::Die),
            "RESTART" => Ok(Self::Restart),
            "SUMMON" => a
                .need(1)
                .and_then(|()| Self::summon(a.at(0), a.opt(1), a.opt(2))),
            "USERS" => Self::users(a.opt(0)),
            "WALLOPS" => a.need(1).and_then(|()| Self::wallops(a.at(0))),
            "USERHOST" => a.need(1).and_then(|()| Self::userhost(&words(params))),
            "ISON" => a.need(1).and_then(|()| Self::ison(&words(params))),
            "CAP" => read_cap(&a),
            "AUTHENTICATE" => a.need(1).and_then(|()| Self::authenticate(a.at(0))),
            "ACCOUNT" => a.need(1).and_then(|()| Self::account(Some(a.at(0)))),
            "CHGHOST" => a.need(2).and_then(|()| Self::chghost(a.at(0), a.at(1))),
            "SETNAME" => a.need(1).and_then(|()| Self::setname(a.at(0))),
            "TAGMSG" => a.need(1).and_then(|()| Self::tagmsg(a.at(0))),
            "BATCH" => read_batch(&a),
            _ => Self::raw(verb, params),
        }
    }
}

/// `JOIN <channels> [<keys>]`, or extended-join's
/// `JOIN <channel> <account> :<realname>`.
fn read_join(a: &Args<'_, '_>) -> Result<Command> {
    a.need(1)?;
    let channels = split(a.at(0));
    match a.params {
        [_, account, realname, ..] => {
            let [channel] = channels.as_slice() else {
                return Err(a.check().err("channels", Kind::CountMismatch));
            };
            Command::join_extended(channel, Some(account), realname)
        }
        [_, keys] => {
            let keys = split(keys);
            if keys.len() > channels.len() {
                return Err(a.check().err("keys", Kind::CountMismatch));
            }
            let pairs: Vec<(&str, Option<&str>)> = channels
                .iter()
                .enumerate()
                .map(|(i, c)| (*c, keys.get(i).copied()))
                .collect();
            Command::join_with_keys(&pairs)
        }
        _ => Command::join(&channels),
    }
}

/// `CAP [<target>] <subcommand> [*] [<version> | <caps>]`.
fn read_cap(a: &Args<'_, '_>) -> Result<Command> {
    a.need(1)?;
    let c = a.check();
    let (target, rest) = match CapSubcommand::from_name(a.at(0)) {
        Some(_) => (None, a.params),
        None => {
            a.need(2)?;
            (Some(c.word("target", a.at(0))?), &a.params[1..])
        }
    };
    let subcommand = rest
        .first()
        .and_then(|s| CapSubcommand::from_name(s))
        .ok_or(c.err("subcommand", Kind::Unexpected))?;
    let mut rest = &rest[1..];
    let more = rest.len() >= 2 && rest[0] == "*";
    if more {
        rest = &rest[1..];
    }
    let (version, caps) = match rest.last() {
        None => (None, Vec::new()),
        Some(v)
            if target.is_none()
                && subcommand == CapSubcommand::Ls
                && v.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (Some(a.number("version", v)?), Vec::new())
        }
        Some(list) => {
            let caps: Vec<&str> = list.split(' ').filter(|w| !w.is_empty()).collect();
            (None, c.words("caps", &caps)?)
        }
    };
    Ok(Command::Cap {
        target,
        subcommand,
        more,
        version,
        caps,
    })
}

/// `BATCH +<reference> <type> [<params>...]` or `BATCH -<reference>`.
fn read_batch(a: &Args<'_, '_>) -> Result<Command> {
    a.need(1)?;
    let reference = a.at(0);
    if let Some(reference) = reference.strip_prefix('+') {
        a.need(2)?;
        Command::batch_start(reference, a.at(1), a.params.get(2..).unwrap_or_default())
    } else if let Some(reference) = reference.strip_prefix('-') {
        Command::batch_end(reference)
    } else {
        Err(a.check().err("reference", Kind::Unexpected))
    }
}
