//! Commands to wire parameters.
//!
//! The order and shape of the parameters here are the wire forms given in the
//! variant docs; `read.rs` reads the same shapes back.

use super::Command;

/// Collects parameters, skipping absent optional ones.
#[derive(Default)]
struct Params(Vec<String>);

impl Params {
    fn one(mut self, value: &str) -> Self {
        self.0.push(value.to_owned());
        self
    }

    fn opt(mut self, value: Option<&String>) -> Self {
        self.0.extend(value.cloned());
        self
    }

    fn list(self, values: &[String]) -> Self {
        if values.is_empty() {
            self
        } else {
            self.one(&values.join(","))
        }
    }

    fn each(mut self, values: &[String]) -> Self {
        self.0.extend(values.iter().cloned());
        self
    }
}

impl Command {
    /// The wire parameters of this command, in order.
    pub(super) fn params(&self) -> Vec<String> {
        let p = Params::default();
        let p = match self {
            Self::Pass { password } => p.one(password),
            Self::Nick { nick } => p.one(nick),
            Self::User {
                user,
                mode,
                realname,
            } => p.one(user).one(mode).one("*").one(realname),
            Self::Oper { name, password } => p.one(name).one(password),
            Self::Mode {
                target,
                modes,
                args,
            } => p.one(target).opt(modes.as_ref()).each(args),
            Self::Service {
                nick,
                distribution,
                kind,
                info,
            } => p
                .one(nick)
                .one("*")
                .one(distribution)
                .one(kind)
                .one("0")
                .one(info),
            Self::Quit { reason } => p.opt(reason.as_ref()),
            Self::Squit { server, comment } => p.one(server).opt(comment.as_ref()),
            Self::Join {
                channels,
                keys,
                account,
                realname,
            } => match realname {
                Some(realname) => p
                    .list(channels)
                    .one(account.as_deref().unwrap_or("*"))
                    .one(realname),
                None => p.list(channels).list(keys),
            },
            Self::Part { channels, reason } => p.list(channels).opt(reason.as_ref()),
            Self::Topic { channel, topic } => p.one(channel).opt(topic.as_ref()),
            Self::Names { channels, target } | Self::List { channels, target } => {
                p.list(channels).opt(target.as_ref())
            }
            Self::Invite { nick, channel } => p.one(nick).one(channel),
            Self::Kick {
                channels,
                nicks,
                reason,
            } => p.list(channels).list(nicks).opt(reason.as_ref()),
            Self::Privmsg { target, text }
            | Self::Notice { target, text }
            | Self::Squery { target, text } => p.one(target).one(text),
            Self::Motd { target }
            | Self::Version { target }
            | Self::Time { target }
            | Self::Trace { target }
            | Self::Admin { target }
            | Self::Info { target }
            | Self::Users { target } => p.opt(target.as_ref()),
            Self::Lusers { mask, target } => p.opt(mask.as_ref()).opt(target.as_ref()),
            Self::Stats { query, target } => p.opt(query.as_ref()).opt(target.as_ref()),
            Self::Links { remote, mask } => p.opt(remote.as_ref()).opt(mask.as_ref()),
            Self::Connect {
                target,
                port,
                remote,
            } => p.one(target).one(&port.to_string()).opt(remote.as_ref()),
            Self::Servlist { mask, kind } => p.opt(mask.as_ref()).opt(kind.as_ref()),
            Self::Who {
                mask,
                operators_only,
            } => {
                let p = p.opt(mask.as_ref());
                if *operators_only { p.one("o") } else { p }
            }
            Self::Whois { target, masks } => p.opt(target.as_ref()).list(masks),
            Self::Whowas {
                nicks,
                count,
                target,
            } => p
                .list(nicks)
                .opt(count.map(|c| c.to_string()).as_ref())
                .opt(target.as_ref()),
            Self::Kill { nick, comment } => p.one(nick).one(comment),
            Self::Ping { token, server } => p.one(token).opt(server.as_ref()),
            Self::Pong { server, token } => p.opt(server.as_ref()).one(token),
            Self::Error { message } => p.one(message),
            Self::Away { message } => p.opt(message.as_ref()),
            Self::Rehash | Self::Die | Self::Restart => p,
            Self::Summon {
                user,
                target,
                channel,
            } => p.one(user).opt(target.as_ref()).opt(channel.as_ref()),
            Self::Wallops { text } => p.one(text),
            Self::Userhost { nicks } | Self::Ison { nicks } => p.each(nicks),
            Self::Cap {
                target,
                subcommand,
                more,
                version,
                caps,
            } => {
                let p = p.opt(target.as_ref()).one(subcommand.as_str());
                let p = if *more { p.one("*") } else { p };
                match version {
                    Some(v) => p.one(&v.to_string()),
                    None if target.is_some() || !caps.is_empty() || subcommand.takes_caps() => {
                        p.one(&caps.join(" "))
                    }
                    None => p,
                }
            }
            Self::Authenticate { data } => p.one(data),
            Self::Account { account } => p.one(account.as_deref().unwrap_or("*")),
            Self::Chghost { user, host } => p.one(user).one(host),
            Self::Setname { realname } => p.one(realname),
            Self::Tagmsg { target } => p.one(target),
            Self::Batch {
                reference,
                open,
                kind,
                params,
            } => {
                if *open {
                    p.one(&format!("+{reference}"))
                        .opt(kind.as_ref())
                        .each(params)
                } else {
                    p.one(&format!("-{reference}"))
                }
            }
            Self::Raw { params, .. } => p.each(params),
        };
        p.0
    }
}
