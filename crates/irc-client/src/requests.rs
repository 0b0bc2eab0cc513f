//! Awaitable requests: commands whose replies the client collects for you.
//!
//! * [`Client::join`] resolves when the server confirms the join (our
//!   `JOIN` echoed, then the end of the names list, `366`) with a snapshot
//!   of the channel, or fails with the server's refusal (`471` full, `473`
//!   invite only, `474` banned, `475` bad key, `403`, `405`, `476`, `477`,
//!   ...).
//! * [`Client::whois`] collects the `WHOIS` replies (`311` to `318`, `330`
//!   account, `671` secure connection, `301` away) into a [`WhoisInfo`].
//! * [`Client::send_labeled`] (IRCv3 `labeled-response`) sends a command
//!   with a `label` tag and resolves with its reply: one message, nothing
//!   (`ACK`), or the messages of a `labeled-response` batch.
//!
//! Each is bounded by the request timeout
//! ([`Client::set_request_timeout`], [`DEFAULT_REQUEST_TIMEOUT`] by
//! default). Replies are matched to requests in order, so two requests for
//! the same channel or nick at once each get their own answer.
//!
//! ```no_run
//! # async fn demo(client: irc_client::Client) -> Result<(), irc_client::requests::RequestError> {
//! let info = client.join("#rust", None).await?;
//! println!("{} members, topic {:?}", info.channel.members.len(), info.channel.topic);
//! let whois = client.whois("dan").await?;
//! println!("{:?} is logged in as {:?}", whois.nick, whois.account);
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use irc_proto::{Message, MessageBuf};
use tokio::sync::oneshot;

use crate::batch::BatchInfo;
use crate::client::Client;
use crate::error::Error;
use crate::state::tracker::{ChannelView, Tracker};

/// How long a request waits for its reply unless told otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The numerics that refuse a `JOIN`, with the channel as their second
/// parameter.
pub const JOIN_ERRORS: &[u16] = &[
    403, 405, 437, 470, 471, 473, 474, 475, 476, 477, 479, 489, 520,
];

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The server refused: its error numeric, the channel or nick it was
    /// about, and its text.
    #[error("refused by the server: {code} {} {target}: {reason}", name.unwrap_or("?"))]
    Refused {
        /// The numeric code (`475`).
        code: u16,
        /// Its name (`ERR_BADCHANNELKEY`), when known.
        name: Option<&'static str>,
        /// The channel or nick.
        target: String,
        /// The server's text.
        reason: String,
    },
    /// No reply within the request timeout.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The server does not support what the request needs (a capability).
    #[error("the server does not support {0}")]
    Unsupported(&'static str),
    /// Sending failed (not connected, an unsafe argument, ...).
    #[error(transparent)]
    Client(#[from] Error),
    /// The connection ended before the reply.
    #[error("the request was dropped")]
    Dropped,
}

impl RequestError {
    fn refused(msg: &MessageBuf, code: u16) -> Self {
        Self::Refused {
            code,
            name: irc_proto::Numeric::from_code(code).and_then(irc_proto::Numeric::name),
            target: msg.params.get(1).cloned().unwrap_or_default(),
            reason: msg.params.last().cloned().unwrap_or_default(),
        }
    }
}

/// What [`Client::join`] gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JoinInfo {
    /// The channel as tracked when the names list ended: members, topic
    /// (when the server sent one), modes (they may arrive later).
    pub channel: ChannelView,
}

/// What [`Client::whois`] gives back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WhoisInfo {
    /// The nick as the server spells it.
    pub nick: String,
    /// The user (ident), from `311`.
    pub user: Option<String>,
    /// The host, from `311`.
    pub host: Option<String>,
    /// The real name, from `311`.
    pub realname: Option<String>,
    /// The server they are on, from `312`.
    pub server: Option<String>,
    /// That server's description, from `312`.
    pub server_info: Option<String>,
    /// Whether they are an IRC operator (`313`).
    pub operator: bool,
    /// Seconds idle, from `317`.
    pub idle_secs: Option<u64>,
    /// When they connected (Unix seconds), from `317`.
    pub signon: Option<u64>,
    /// Their channels with prefixes (`@#rust`), from `319`.
    pub channels: Vec<String>,
    /// The account they are logged in to, from `330`.
    pub account: Option<String>,
    /// Whether they use a secure connection (`671`).
    pub secure: bool,
    /// Their away message, from `301`.
    pub away: Option<String>,
    /// Every reply, in order (for the numerics not read above).
    pub replies: Vec<MessageBuf>,
}

type Reply<T> = oneshot::Sender<Result<T, RequestError>>;

/// A registered request: its id and the end that receives the reply.
#[derive(Debug)]
pub(crate) struct Ticket<T> {
    id: u64,
    rx: oneshot::Receiver<Result<T, RequestError>>,
}

#[derive(Debug)]
struct JoinWait {
    id: u64,
    channel: String,
    joined: bool,
    tx: Reply<JoinInfo>,
}

#[derive(Debug)]
struct WhoisWait {
    id: u64,
    info: WhoisInfo,
    error: Option<RequestError>,
    tx: Reply<WhoisInfo>,
}

#[derive(Debug)]
struct LabelWait {
    id: u64,
    label: String,
    tx: Reply<Vec<MessageBuf>>,
}

#[derive(Debug)]
struct BatchWait {
    id: u64,
    reference: String,
    tx: Reply<Arc<BatchInfo>>,
}

/// The requests waiting for replies.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    next_id: u64,
    joins: Vec<JoinWait>,
    whois: Vec<WhoisWait>,
    labels: Vec<LabelWait>,
    batches: Vec<BatchWait>,
}

impl Pending {
    /// Whether no request waits.
    pub(crate) fn is_idle(&self) -> bool {
        self.joins.is_empty()
            && self.whois.is_empty()
            && self.labels.is_empty()
            && self.batches.is_empty()
    }

    fn ticket<T>(&mut self) -> (u64, Reply<T>, Ticket<T>) {
        self.next_id += 1;
        let (tx, rx) = oneshot::channel();
        (
            self.next_id,
            tx,
            Ticket {
                id: self.next_id,
                rx,
            },
        )
    }

    pub(crate) fn wait_join(&mut self, channel: &str, joined: bool) -> Ticket<JoinInfo> {
        let (id, tx, t) = self.ticket();
        self.joins.push(JoinWait {
            id,
            channel: channel.to_owned(),
            joined,
            tx,
        });
        t
    }

    pub(crate) fn wait_whois(&mut self, nick: &str) -> Ticket<WhoisInfo> {
        let (id, tx, t) = self.ticket();
        self.whois.push(WhoisWait {
            id,
            info: WhoisInfo {
                nick: nick.to_owned(),
                ..WhoisInfo::default()
            },
            error: None,
            tx,
        });
        t
    }

    pub(crate) fn wait_label(&mut self) -> (String, Ticket<Vec<MessageBuf>>) {
        let (id, tx, t) = self.ticket();
        let label = format!("rq{id}");
        self.labels.push(LabelWait {
            id,
            label: label.clone(),
            tx,
        });
        (label, t)
    }

    pub(crate) fn wait_batch(&mut self, reference: &str) -> Ticket<Arc<BatchInfo>> {
        let (id, tx, t) = self.ticket();
        self.batches.push(BatchWait {
            id,
            reference: reference.to_owned(),
            tx,
        });
        t
    }

    /// Forgets a request (answered, timed out or cancelled); gives back the
    /// error a `WHOIS` collected, if any.
    fn remove(&mut self, id: u64) -> Option<RequestError> {
        self.joins.retain(|w| w.id != id);
        self.labels.retain(|w| w.id != id);
        self.batches.retain(|w| w.id != id);
        let i = self.whois.iter().position(|w| w.id == id)?;
        self.whois.swap_remove(i).error
    }

    /// Feeds one incoming message (after the tracker has seen it).
    pub(crate) fn handle(&mut self, msg: &Message<'_>, state: &Tracker, done: Option<&BatchInfo>) {
        if let Some(batch) = done {
            self.batch_done(batch);
        }
        let labelled = !self.labels.is_empty() && msg.has_tags();
        if !labelled && self.joins.is_empty() && self.whois.is_empty() {
            return;
        }
        // Someone waits: the message is copied only then.
        self.handle_buf(&msg.to_buf(), state);
    }

    fn handle_buf(&mut self, msg: &MessageBuf, state: &Tracker) {
        if !self.labels.is_empty()
            && let Some(label) = msg.tag("label")
        {
            self.labelled(msg, label);
        }
        if self.joins.is_empty() && self.whois.is_empty() {
            return;
        }
        let cm = state.casemapping();
        let p1 = msg.params.get(1).map_or("", String::as_str);
        let code = irc_proto::Numeric::of_buf(msg).map(irc_proto::Numeric::code);
        if msg.is_command("JOIN")
            && msg.source().is_some_and(|s| state.is_me(s.nick()))
            && let Some(chan) = msg.params.first()
            && let Some(w) = self
                .joins
                .iter_mut()
                .find(|w| !w.joined && cm.equal(&w.channel, chan))
        {
            w.joined = true;
        }
        match code {
            Some(366) => {
                if let Some(i) = self
                    .joins
                    .iter()
                    .position(|w| w.joined && cm.equal(&w.channel, p1))
                {
                    let w = self.joins.remove(i);
                    if let Some(channel) = state.channel(p1) {
                        let _ = w.tx.send(Ok(JoinInfo { channel }));
                    }
                }
            }
            Some(c) if JOIN_ERRORS.contains(&c) => {
                if let Some(i) = self
                    .joins
                    .iter()
                    .position(|w| !w.joined && cm.equal(&w.channel, p1))
                {
                    let w = self.joins.remove(i);
                    let _ = w.tx.send(Err(RequestError::refused(msg, c)));
                }
            }
            Some(c) => self.whois_reply(msg, c, p1, cm),
            None => {}
        }
    }

    fn whois_reply(&mut self, msg: &MessageBuf, code: u16, nick: &str, cm: irc_proto::CaseMapping) {
        let Some(i) = self.whois.iter().position(|w| cm.equal(&w.info.nick, nick)) else {
            return;
        };
        let p = |i: usize| msg.params.get(i).cloned();
        let w = &mut self.whois[i];
        let info = &mut w.info;
        match code {
            311 => {
                info.nick = nick.to_owned();
                info.user = p(2);
                info.host = p(3);
                info.realname = p(5);
            }
            312 => {
                info.server = p(2);
                info.server_info = p(3);
            }
            313 => info.operator = true,
            317 => {
                info.idle_secs = p(2).and_then(|s| s.parse().ok());
                info.signon = p(3).and_then(|s| s.parse().ok());
            }
            319 => info.channels.extend(
                msg.params
                    .last()
                    .map(|l| {
                        l.split(' ')
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            ),
            330 => info.account = p(2),
            671 => info.secure = true,
            301 => info.away = p(2),
            401..=403 => w.error = Some(RequestError::refused(msg, code)),
            318 => {
                let w = self.whois.remove(i);
                let _ = w.tx.send(match w.error {
                    Some(e) => Err(e),
                    None => Ok(w.info),
                });
                return;
            }
            _ => {}
        }
        w.info.replies.push(msg.clone());
    }

    fn labelled(&mut self, msg: &MessageBuf, label: &str) {
        // The opening line of a labelled batch: wait for its end.
        if msg.is_command("BATCH") {
            return;
        }
        if let Some(i) = self.labels.iter().position(|w| w.label == label) {
            let w = self.labels.swap_remove(i);
            let reply = if msg.is_command("ACK") {
                Vec::new()
            } else {
                vec![msg.clone()]
            };
            let _ = w.tx.send(Ok(reply));
        }
    }

    fn batch_done(&mut self, batch: &BatchInfo) {
        if let Some(label) = batch.tag("label")
            && let Some(i) = self.labels.iter().position(|w| w.label == label)
        {
            let w = self.labels.swap_remove(i);
            let _ = w.tx.send(Ok(batch.messages.clone()));
        }
        let mut i = 0;
        while i < self.batches.len() {
            if self.batches[i].reference == batch.reference {
                let w = self.batches.swap_remove(i);
                let _ = w.tx.send(Ok(Arc::new(batch.clone())));
            } else {
                i += 1;
            }
        }
    }
}

/// Forgets a request when its future ends, however it ends.
struct Forget<'a> {
    client: &'a Client,
    id: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.client.pending().remove(self.id);
    }
}

impl Client {
    /// The timeout of requests.
    #[must_use]
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.inner.tracker.timeout_ms.load(Ordering::Relaxed))
    }

    /// Sets the timeout of requests ([`Client::join`], [`Client::whois`],
    /// [`Client::send_labeled`], [`Client::wait_batch`]).
    pub fn set_request_timeout(&self, timeout: Duration) {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.inner.tracker.timeout_ms.store(ms, Ordering::Relaxed);
    }

    /// Waits for a ticket's reply, within the request timeout.
    pub(crate) async fn await_reply<T>(&self, ticket: Ticket<T>) -> Result<T, RequestError> {
        let forget = Forget {
            client: self,
            id: ticket.id,
        };
        let timeout = self.request_timeout();
        match tokio::time::timeout(timeout, ticket.rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(RequestError::Dropped),
            Err(_) => {
                let collected = self.pending().remove(forget.id);
                Err(collected.unwrap_or(RequestError::Timeout(timeout)))
            }
        }
    }

    /// Joins `channel` (with `key`) and resolves once the server has
    /// confirmed it and sent the names list, with the channel's state. When
    /// we are in the channel already, resolves at once.
    ///
    /// # Errors
    ///
    /// [`RequestError::Refused`] with the server's error numeric (`475`
    /// bad key, `473` invite only, ...), [`RequestError::Timeout`],
    /// [`RequestError::Client`] when it cannot be sent.
    pub async fn join(&self, channel: &str, key: Option<&str>) -> Result<JoinInfo, RequestError> {
        let known = self.channel(channel);
        let ticket = match known {
            Some(channel) if channel.synced => return Ok(JoinInfo { channel }),
            // Joined, names still coming: the server would ignore a second
            // JOIN; wait for the end of the names.
            Some(_) => {
                let ticket = self.pending().wait_join(channel, true);
                return self.await_reply(ticket).await;
            }
            None => self.pending().wait_join(channel, false),
        };
        let mut join = MessageBuf::new("JOIN").with_param(channel);
        if let Some(key) = key {
            join = join.with_param(key);
        }
        if let Err(e) = self.send(join) {
            self.pending().remove(ticket.id);
            return Err(e.into());
        }
        self.await_reply(ticket).await
    }

    /// Sends `WHOIS nick` and collects the replies up to `318`.
    ///
    /// # Errors
    ///
    /// [`RequestError::Refused`] with `401` when there is no such nick,
    /// [`RequestError::Timeout`], [`RequestError::Client`].
    pub async fn whois(&self, nick: &str) -> Result<WhoisInfo, RequestError> {
        let ticket = self.pending().wait_whois(nick);
        if let Err(e) = self.send(MessageBuf::new("WHOIS").with_param(nick)) {
            self.pending().remove(ticket.id);
            return Err(e.into());
        }
        self.await_reply(ticket).await
    }

    /// Sends `message` with a `label` tag (IRCv3 `labeled-response`) and
    /// resolves with the reply: one message, none (the server's `ACK`), or
    /// every message of the `labeled-response` batch.
    ///
    /// # Errors
    ///
    /// [`RequestError::Unsupported`] when `labeled-response` is not
    /// enabled, [`RequestError::Timeout`], [`RequestError::Client`].
    pub async fn send_labeled(
        &self,
        message: impl Into<MessageBuf>,
    ) -> Result<Vec<MessageBuf>, RequestError> {
        if !self.has_cap("labeled-response") {
            return Err(RequestError::Unsupported("labeled-response"));
        }
        let mut message = message.into();
        let (label, ticket) = self.pending().wait_label();
        message.set_tag("label", Some(label));
        if let Err(e) = self.send(message) {
            self.pending().remove(ticket.id);
            return Err(e.into());
        }
        self.await_reply(ticket).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(line: &str) -> Message<'_> {
        Message::parse(line).expect("parse")
    }

    fn tracker() -> Tracker {
        let mut t = Tracker::new();
        t.handle(&msg(":srv 001 me :hi"));
        t
    }

    fn feed(p: &mut Pending, t: &mut Tracker, line: &str) {
        let m = msg(line);
        let out = t.handle(&m);
        p.handle(&m, t, out.completed_batch.as_deref());
    }

    #[test]
    fn join_resolves_on_names_end_after_our_join() {
        let (mut p, mut t) = (Pending::default(), tracker());
        let mut first = p.wait_join("#Rust", false);
        let mut second = p.wait_join("#rust", false);
        // A 366 before our JOIN (a NAMES reply) resolves nothing.
        feed(&mut p, &mut t, ":srv 366 me #rust :End");
        assert!(first.rx.try_recv().is_err());
        feed(&mut p, &mut t, ":me!u@h JOIN #rust");
        feed(&mut p, &mut t, ":srv 353 me = #rust :me @op");
        feed(&mut p, &mut t, ":srv 366 me #rust :End");
        let info = first.rx.try_recv().expect("resolved").expect("ok");
        assert_eq!(info.channel.members.len(), 2);
        assert!(second.rx.try_recv().is_err());
        // The second one is refused.
        feed(
            &mut p,
            &mut t,
            ":srv 475 me #RUST :Cannot join channel (+k)",
        );
        match second.rx.try_recv().expect("resolved") {
            Err(RequestError::Refused {
                code, name, target, ..
            }) => {
                assert_eq!(
                    (code, name, target.as_str()),
                    (475, Some("ERR_BADCHANNELKEY"), "#RUST")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(p.joins.is_empty());
    }

    #[test]
    fn request_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        let client = Client::builder("127.0.0.1", 1, "me").build();
        send(&client.join("#c", None));
        send(&client.whois("x"));
        send(&client.send_labeled(MessageBuf::new("PING").with_param("x")));
        send(&client.wait_batch("x"));
    }

    #[test]
    fn whois_collects_until_the_end() {
        let (mut p, mut t) = (Pending::default(), tracker());
        let mut w = p.wait_whois("Dan");
        for line in [
            ":srv 311 me dan d host.example * :Dan D",
            ":srv 319 me dan :@#rust +#other",
            ":srv 312 me dan irc.example :The server",
            ":srv 301 me dan :lunch",
            ":srv 313 me dan :is an IRC operator",
            ":srv 330 me dan danacct :is logged in as",
            ":srv 671 me dan :is using a secure connection",
            ":srv 317 me dan 42 1700000000 :seconds idle, signon time",
            ":srv 311 me other o h * :not this one",
        ] {
            feed(&mut p, &mut t, line);
        }
        assert!(w.rx.try_recv().is_err());
        feed(&mut p, &mut t, ":srv 318 me dan :End of /WHOIS list.");
        let info = w.rx.try_recv().expect("resolved").expect("ok");
        assert_eq!(info.nick, "dan");
        assert_eq!(info.user.as_deref(), Some("d"));
        assert_eq!(info.realname.as_deref(), Some("Dan D"));
        assert_eq!(info.channels, ["@#rust", "+#other"]);
        assert_eq!(info.server_info.as_deref(), Some("The server"));
        assert_eq!(info.account.as_deref(), Some("danacct"));
        assert_eq!(info.away.as_deref(), Some("lunch"));
        assert!(info.operator && info.secure);
        assert_eq!(
            (info.idle_secs, info.signon),
            (Some(42), Some(1_700_000_000))
        );
        assert_eq!(info.replies.len(), 8);

        let mut w = p.wait_whois("ghost");
        feed(&mut p, &mut t, ":srv 401 me ghost :No such nick");
        feed(&mut p, &mut t, ":srv 318 me ghost :End");
        assert!(matches!(
            w.rx.try_recv().expect("resolved"),
            Err(RequestError::Refused { code: 401, .. })
        ));
        // Without a 318, the error is there when the wait gives up.
        let w = p.wait_whois("ghost");
        feed(&mut p, &mut t, ":srv 401 me ghost :No such nick");
        assert!(matches!(
            p.remove(w.id),
            Some(RequestError::Refused { code: 401, .. })
        ));
    }

    #[test]
    fn labels_single_ack_and_batch() {
        let (mut p, mut t) = (Pending::default(), tracker());
        let (l1, mut t1) = p.wait_label();
        let (l2, mut t2) = p.wait_label();
        let (l3, mut t3) = p.wait_label();
        feed(&mut p, &mut t, &format!("@label={l1} :srv PONG srv :x"));
        assert_eq!(t1.rx.try_recv().expect("r").expect("ok").len(), 1);
        feed(&mut p, &mut t, &format!("@label={l2} :srv ACK"));
        assert!(t2.rx.try_recv().expect("r").expect("ok").is_empty());
        feed(
            &mut p,
            &mut t,
            &format!("@label={l3} :srv BATCH +b1 labeled-response"),
        );
        feed(&mut p, &mut t, "@batch=b1 :srv 311 me dan d h * :D");
        assert!(t3.rx.try_recv().is_err());
        feed(&mut p, &mut t, "@batch=b1 :srv 318 me dan :End");
        feed(&mut p, &mut t, ":srv BATCH -b1");
        assert_eq!(t3.rx.try_recv().expect("r").expect("ok").len(), 2);
        assert!(p.labels.is_empty());
    }

    #[test]
    fn batch_waits_resolve_on_end() {
        let (mut p, mut t) = (Pending::default(), tracker());
        let mut w = p.wait_batch("x");
        feed(&mut p, &mut t, ":srv BATCH +x chathistory #c");
        feed(&mut p, &mut t, "@batch=x :a!a@a PRIVMSG #c :old");
        assert!(w.rx.try_recv().is_err());
        feed(&mut p, &mut t, ":srv BATCH -x");
        let b = w.rx.try_recv().expect("r").expect("ok");
        assert_eq!((b.kind.as_str(), b.messages.len()), ("chathistory", 1));
    }
}
