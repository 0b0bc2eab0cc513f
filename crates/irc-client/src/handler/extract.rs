//! Extractors: the parameter types of handlers.
//!
//! Each extractor implements [`FromEvent`]: a registration-time `check`
//! against the event's [`Schema`](crate::event::Schema), and a `from_event`
//! that pulls the value out of one event. Wrap an extractor in `Option` for a
//! value that some events of the name carry and some do not.
//!
//! # What each event supplies
//!
//! "always" means the registration check passes for the plain extractor;
//! "maybe" means only `Option<T>` passes; "-" means the event never carries
//! it and even `Option<T>` is refused.
//!
//! | event | `Nick` `User` `Host` | `Source` | `Target` | `Channel` | `Text` |
//! | --- | --- | --- | --- | --- | --- |
//! | `PRIVMSG`, `NOTICE` | always | always | always (param 0) | maybe (param 0 when a channel) | always (param 1) |
//! | `TAGMSG` | always | always | always (param 0) | maybe | - |
//! | `JOIN` | always | always | - | always (param 0) | - |
//! | `PART` | always | always | - | always (param 0) | maybe (reason) |
//! | `KICK` | always | always | always (kicked nick) | always (param 0) | maybe (reason) |
//! | `TOPIC` | always | always | - | always (param 0) | always (the topic) |
//! | `INVITE` | always | always | always (invited nick) | always (param 1) | - |
//! | `MODE` | always | always | always (param 0) | maybe | - |
//! | `NICK` | always (old nick) | always | always (the new nick) | - | - |
//! | `QUIT`, `AWAY` | always | always | - | - | maybe (reason) |
//! | `WALLOPS`, `SETNAME` | always | always | - | - | always |
//! | `ACCOUNT`, `CHGHOST` | always | always | - | - | - |
//! | `PING`, `PONG`, `ERROR` | - | maybe | - | - | always (last param) |
//! | `CAP`, `AUTHENTICATE` | - | maybe | maybe (param 0) | - | always (last param) |
//! | numerics (`001`, `RPL_ENDOFMOTD`, ...) | - | always (the server) | always (param 0: your nick) | maybe (first channel-like param after 0) | always (last param, when there are 2+) |
//! | any other verb | maybe | maybe | maybe | maybe | maybe |
//! | `CLIENT_CONNECT`, `CLIENT_DISCONNECT` | - | - | - | - | - |
//!
//! On top of the table: [`Raw`], [`Params`] and [`Tags`] are there for every
//! message event and never for local events; the tag extractors
//! ([`ServerTime`], [`Account`], [`MsgId`]) are "maybe" on every message
//! event (a tag is never guaranteed); [`Numeric`] is there for numerics only;
//! [`Client`], [`Event`] and [`EventName`] are always there; [`State<T>`] is
//! there when the client was built with a state of type `T`.
//!
//! Tracked state: [`ChannelState`] is available where `Channel` is,
//! [`UserState`] where `Nick` is (both give nothing for a channel we are not
//! in, or a user who shares none with us); [`Batch`] is "maybe" on every
//! message event, [`CompletedBatch`] only on `BATCH_END`.
//!
//! "always" describes what the protocol promises. A server can still send a
//! malformed line (a `PRIVMSG` from a server name, without `nick!user@host`);
//! then the handler that needs the missing value is skipped and a debug line
//! is logged.

use irc_proto::{MessageBuf, TagBuf};

use crate::client::Client;
use crate::error::{Availability, Missing};
use crate::event::{Event, EventName, Field};
use crate::handler::{EventContext, EventSpec, short_type_name};

/// A value that can be pulled out of an event: a handler parameter.
///
/// Implement it for your own types to extend the handlers' vocabulary:
///
/// ```
/// use irc_client::extract::FromEvent;
/// use irc_client::handler::{EventContext, EventSpec};
/// use irc_client::{Field, Missing};
///
/// /// The first word of a message's text.
/// struct Command(String);
///
/// impl FromEvent for Command {
///     fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
///         spec.require(Field::Text, "Command")
///     }
///     fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
///         ctx.text()?.split_whitespace().next().map(|w| Command(w.to_owned()))
///     }
/// }
///
/// let client = irc_client::Client::builder("127.0.0.1", 6667, "bot").build();
/// assert!(client.on("PRIVMSG", |Command(c): Command| async move { drop(c) }).is_ok());
/// assert!(client.on("JOIN", |Command(c): Command| async move { drop(c) }).is_err());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor, so it cannot be a handler parameter",
    label = "not an extractor",
    note = "handler parameters must implement `FromEvent`: use `Nick`, `Text`, `Target`, `Params`, `Raw`, `State<T>`, ... (see `irc_client::extract`), or implement `FromEvent` for your type"
)]
pub trait FromEvent: Sized + Send + 'static {
    /// Whether events of this name can supply the value; called once when a
    /// handler is registered.
    ///
    /// # Errors
    ///
    /// A [`Missing`] naming the parameter when the event cannot supply it
    /// (always or sometimes).
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing>;

    /// Pulls the value out of one event; `None` when this event lacks it.
    fn from_event(ctx: &EventContext<'_>) -> Option<Self>;
}

impl<T: FromEvent> FromEvent for Option<T> {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        match T::check(spec) {
            Err(m) if m.availability == Availability::Never => Err(Missing {
                param: format!("Option<{}>", m.param),
                ..m
            }),
            _ => Ok(()),
        }
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        Some(T::from_event(ctx))
    }
}

impl FromEvent for Client {
    fn check(_: &EventSpec<'_>) -> Result<(), Missing> {
        Ok(())
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        Some(ctx.client().clone())
    }
}

impl FromEvent for Event {
    fn check(_: &EventSpec<'_>) -> Result<(), Missing> {
        Ok(())
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        Some(ctx.event().clone())
    }
}

impl FromEvent for EventName {
    fn check(_: &EventSpec<'_>) -> Result<(), Missing> {
        Ok(())
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        Some(ctx.name().clone())
    }
}

/// Declares a `String` newtype extractor.
macro_rules! string_extractor {
    ($(#[$doc:meta])* $name:ident, $field:expr, |$ctx:ident| $read:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(pub String);

        impl FromEvent for $name {
            fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
                spec.require($field, stringify!($name))
            }

            fn from_event($ctx: &EventContext<'_>) -> Option<Self> {
                let value: Option<&str> = $read;
                value.map(|v| Self(v.to_owned()))
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// The user source of a message, unless it is a server name.
fn sender<'a>(ctx: &EventContext<'a>) -> Option<irc_proto::Source<'a>> {
    ctx.parsed()?.source().filter(|s| !s.is_server())
}

string_extractor!(
    /// The nick of the user who sent the message (`dan` in `dan!d@host`).
    Nick,
    Field::Sender,
    |ctx| sender(ctx).map(|s| s.nick())
);

string_extractor!(
    /// The user (ident) of the user who sent the message (`d` in `dan!d@host`).
    User,
    Field::Sender,
    |ctx| sender(ctx).and_then(|s| s.user())
);

string_extractor!(
    /// The host of the user who sent the message (`host` in `dan!d@host`).
    Host,
    Field::Sender,
    |ctx| sender(ctx).and_then(|s| s.host())
);

string_extractor!(
    /// The raw source of the message, user or server (`dan!d@host`,
    /// `irc.example.com`). Split it with [`irc_proto::Source::parse`].
    Source,
    Field::Source,
    |ctx| ctx.parsed().and_then(|m| m.source_raw())
);

string_extractor!(
    /// Whom the message is for: the channel or nick of a `PRIVMSG` or
    /// `NOTICE`, the kicked nick of a `KICK`, your nick in a numeric (see the
    /// table in the module docs).
    Target,
    Field::Target,
    |ctx| ctx.target()
);

string_extractor!(
    /// The channel the event concerns.
    Channel,
    Field::Channel,
    |ctx| ctx.channel()
);

string_extractor!(
    /// The text: the body of a `PRIVMSG` or `NOTICE`, a reason, a topic, the
    /// last parameter of a numeric.
    Text,
    Field::Text,
    |ctx| ctx.text()
);

/// Requires a message: for [`Raw`], [`Params`], [`Tags`].
fn require_message(spec: &EventSpec<'_>, param: &str) -> Result<(), Missing> {
    spec.require(Field::Message, param)
}

/// Every parameter of the message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Params(pub Vec<String>);

impl FromEvent for Params {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        require_message(spec, "Params")
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        ctx.parsed()
            .map(|m| Self(m.params().iter().map(str::to_owned).collect()))
            .or_else(|| ctx.message().map(|m| Self(m.params.clone())))
    }
}

/// Every tag of the message, values unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tags(pub Vec<TagBuf>);

impl Tags {
    /// The value of one tag (`Some("")` for a tag without value).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_deref().unwrap_or(""))
    }
}

impl FromEvent for Tags {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        require_message(spec, "Tags")
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        ctx.message().map(|m| Self(m.tags.clone()))
    }
}

/// The whole message, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Raw(pub MessageBuf);

impl FromEvent for Raw {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        require_message(spec, "Raw")
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        ctx.message().map(|m| Self(m.clone()))
    }
}

/// The numeric of a numeric reply: its code (`376`) and its name
/// (`RPL_ENDOFMOTD`), see [`irc_proto::Numeric`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Numeric(pub irc_proto::Numeric);

impl FromEvent for Numeric {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        spec.require(Field::Numeric, "Numeric")
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        ctx.name()
            .numeric()
            .and_then(irc_proto::Numeric::from_code)
            .map(Self)
    }
}

/// Declares an extractor for the value of one IRCv3 tag.
macro_rules! tag_extractor {
    ($(#[$doc:meta])* $name:ident, $key:literal) => {
        $(#[$doc])*
        ///
        /// No message is guaranteed to carry a tag, so ask for
        /// `Option<Self>`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(pub String);

        impl $name {
            /// The tag key.
            pub const KEY: &'static str = $key;
        }

        impl FromEvent for $name {
            fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
                match spec.schema().availability(Field::Message) {
                    Availability::Never => Err(Missing::new(stringify!($name), Availability::Never)),
                    _ => Err(Missing::new(stringify!($name), Availability::Maybe)
                        .with_detail(concat!("the `", $key, "` tag is optional"))),
                }
            }

            fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
                ctx.parsed()?.tag($key).map(|v| Self(v.into_owned()))
            }
        }
    };
}

tag_extractor!(
    /// The `time` tag (IRCv3 `server-time`): when the server saw the
    /// message, as `YYYY-MM-DDThh:mm:ss.sssZ`.
    ServerTime,
    "time"
);

tag_extractor!(
    /// The `account` tag (IRCv3 `account-tag`): the account the sender is
    /// logged in to.
    Account,
    "account"
);

tag_extractor!(
    /// The `msgid` tag (IRCv3 `message-ids`): the message's unique id.
    MsgId,
    "msgid"
);

/// A shared state of yours, given to the builder with
/// [`ClientBuilder::state`](crate::ClientBuilder::state) and cloned into each
/// handler that asks for it. Use an `Arc` (with a lock inside) for state
/// that handlers change.
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
/// use irc_client::{Client, extract::State};
///
/// #[derive(Clone, Default)]
/// struct Counter(Arc<AtomicUsize>);
///
/// let client = Client::builder("127.0.0.1", 6667, "bot").state(Counter::default()).build();
/// client.on("PRIVMSG", |State(c): State<Counter>| async move {
///     c.0.fetch_add(1, Ordering::Relaxed);
/// })?;
/// // A state the client does not hold is refused at registration.
/// assert!(client.on("PRIVMSG", |State(s): State<String>| async move { drop(s) }).is_err());
/// # Ok::<(), irc_client::RegisterError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromEvent for State<T> {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        if spec.has_state::<T>() {
            Ok(())
        } else {
            Err(Missing::new(
                format!("State<{}>", short_type_name::<T>()),
                Availability::Never,
            )
            .with_detail("the client was built without a state of this type"))
        }
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        ctx.client().state::<T>().map(|s| Self(s.as_ref().clone()))
    }
}

pub use crate::batch::{Batch, CompletedBatch};

/// The tracked state of the event's channel (see [`Channel`] for which
/// events have one): members with their prefixes, topic, modes.
///
/// The snapshot is taken when the handler starts, so it includes what the
/// event changed (and maybe what later lines did). A channel we are not in
/// (any more: our own `PART`) gives nothing: the handler is skipped, or
/// gets `None` with `Option<ChannelState>`. A snapshot copies the member
/// list; for one member's status [`Client::member_modes`] is cheaper.
///
/// ```
/// use irc_client::{Client, extract::{ChannelState, Nick}};
///
/// let client = Client::builder("127.0.0.1", 6667, "bot").build();
/// client.on("PRIVMSG", |Nick(n): Nick, chan: Option<ChannelState>| async move {
///     let op = chan.and_then(|c| c.0.member(&n).map(|m| m.has_mode('o')));
///     drop(op);
/// })?;
/// assert!(client.on("NICK", |c: Option<ChannelState>| async move { drop(c) }).is_err());
/// # Ok::<(), irc_client::RegisterError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelState(pub crate::state::tracker::ChannelView);

impl FromEvent for ChannelState {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        spec.require(Field::Channel, "ChannelState")
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        ctx.client().channel(ctx.channel()?).map(Self)
    }
}

/// The tracked state of the user who sent the message (account, away,
/// real name, host, shared channels), when they share a channel with us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState(pub crate::state::tracker::UserView);

impl FromEvent for UserState {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        spec.require(Field::Sender, "UserState")
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        ctx.client().user(sender(ctx)?.nick()).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    /// Extracts `T` from `line` twice: read in place, as the read loop
    /// does, and from an owned event, as for a triggered one.
    fn get<T: FromEvent + PartialEq + std::fmt::Debug>(line: &str) -> Option<T> {
        let (in_place, owned) = both::<T>(line);
        assert_eq!(in_place, owned, "{line}");
        in_place
    }

    fn both<T: FromEvent>(line: &str) -> (Option<T>, Option<T>) {
        let client = Client::builder("127.0.0.1", 1, "me").state(7_u32).build();
        let message = irc_proto::Message::parse(line).expect("parse");
        let name = EventName::of_command(message.command());
        let schema = crate::Schema::of(&name);
        let in_place = T::from_event(&EventContext::of_line(&client, &name, schema, &message));
        let event = Event::parse(line).expect("parse");
        let owned = T::from_event(&EventContext::of_event(&client, &event, schema));
        (in_place, owned)
    }

    const PRIVMSG: &str = "@time=2024-05-06T07:08:09.000Z;msgid=abc;account=dana :dan!~d@host.example PRIVMSG #rust :hello there";

    #[test]
    fn sender_parts() {
        assert_eq!(get::<Nick>(PRIVMSG), Some(Nick("dan".into())));
        assert_eq!(get::<User>(PRIVMSG), Some(User("~d".into())));
        assert_eq!(get::<Host>(PRIVMSG), Some(Host("host.example".into())));
        assert_eq!(
            get::<Source>(PRIVMSG),
            Some(Source("dan!~d@host.example".into()))
        );
        // A server source is no sender, but still a source.
        let server = ":irc.example.net NOTICE * :*** Looking up your hostname";
        assert_eq!(get::<Nick>(server), None);
        assert_eq!(get::<Source>(server).as_deref(), Some("irc.example.net"));
    }

    #[test]
    fn target_channel_text() {
        assert_eq!(get::<Target>(PRIVMSG).as_deref(), Some("#rust"));
        assert_eq!(get::<Channel>(PRIVMSG).as_deref(), Some("#rust"));
        assert_eq!(get::<Text>(PRIVMSG).as_deref(), Some("hello there"));
        let private = ":dan!d@h PRIVMSG me :hi";
        assert_eq!(get::<Channel>(private), None);
        assert_eq!(get::<Option<Channel>>(private), Some(None));
        assert_eq!(get::<Text>(":n!u@h QUIT"), None);
        assert_eq!(get::<Text>(":n!u@h QUIT :gone").as_deref(), Some("gone"));
        assert_eq!(get::<Target>(":old!u@h NICK new").as_deref(), Some("new"));
    }

    #[test]
    fn message_wholes_and_tags() {
        assert_eq!(
            get::<Params>(PRIVMSG),
            Some(Params(vec!["#rust".into(), "hello there".into()]))
        );
        let tags = get::<Tags>(PRIVMSG).expect("tags");
        assert_eq!(tags.get("msgid"), Some("abc"));
        assert_eq!(tags.get("nope"), None);
        assert_eq!(
            get::<Raw>(PRIVMSG).map(|r| r.0.command),
            Some("PRIVMSG".into())
        );
        assert_eq!(
            get::<ServerTime>(PRIVMSG).map(|t| t.0),
            Some("2024-05-06T07:08:09.000Z".into())
        );
        assert_eq!(get::<MsgId>(PRIVMSG).map(|m| m.0), Some("abc".into()));
        assert_eq!(get::<Account>(PRIVMSG).map(|a| a.0), Some("dana".into()));
        assert_eq!(get::<Account>(":dan!d@h PRIVMSG #c :x"), None);
    }

    #[test]
    fn numeric_state_and_client() {
        let motd = ":srv 376 me :End of MOTD";
        assert_eq!(
            get::<Numeric>(motd).map(|n| n.0.name()),
            Some(Some("RPL_ENDOFMOTD"))
        );
        assert_eq!(get::<Numeric>(PRIVMSG), None);
        assert_eq!(get::<State<u32>>(PRIVMSG), Some(State(7)));
        assert_eq!(get::<State<String>>(PRIVMSG), None);
        let (a, b) = both::<Client>(PRIVMSG);
        assert_eq!(a.map(|c| c.nick()), Some("me".into()));
        assert_eq!(b.map(|c| c.nick()), Some("me".into()));
        assert_eq!(
            get::<EventName>(motd).map(|n| n.as_str().to_owned()),
            Some("376".into())
        );
    }

    #[test]
    fn local_events_supply_only_the_client() {
        let client = Client::builder("127.0.0.1", 1, "me").build();
        let event = Event::local(crate::CLIENT_CONNECT);
        let ctx = EventContext::of_event(
            &client,
            &event,
            crate::Schema::of(&EventName::new(crate::CLIENT_CONNECT)),
        );
        assert!(Client::from_event(&ctx).is_some());
        assert!(Raw::from_event(&ctx).is_none());
        assert!(Text::from_event(&ctx).is_none());
    }
}
