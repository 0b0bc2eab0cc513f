//! The connection task: socket (TCP or TLS) → codec → registration, PONG,
//! keepalive, state, dispatch; and a writer task draining the
//! flood-controlled queue.
//!
//! One `run` owns one connection. The read loop takes the socket's bytes a
//! read buffer at a time ([`LineBatchCodec`]: every complete line of a
//! read, checked for UTF-8 at once) and handles each line in place: it
//! parses the borrowed [`Message`], answers `PING`, follows our nick and
//! channels, feeds the registration state machine and the state tracker,
//! then starts the line's handlers itself, in order. A handler's first
//! poll runs there (a handler that does not wait is done without a task);
//! one that waits becomes a task holding a handler slot. Nothing is copied
//! unless something asks for the event whole (a `wait`, an `Event` or `Raw`
//! extractor), or no slot is free: then the event waits in the backlog, a
//! copy of its line, with the events of the lines behind it, and the loop
//! goes on reading. When the backlog is full the loop stops reading until
//! an event has started (`quit` and the registration timeouts still run;
//! the keepalive, which cannot see the server while reading is paused,
//! restarts its silence clock when reading resumes). The read loop holds
//! the handler lane while it dispatches, so triggered events take their
//! turn between reads, in order. Outgoing lines from any handle go into
//! [`Outgoing`], a bounded queue under flood control
//! ([`crate::flood::FloodControl`]); the writer task alone writes to the
//! socket, taking lines as the buckets allow. `PONG`, keepalive `PING`,
//! registration lines and `QUIT` take the priority lanes. When the
//! connection ends, the writer writes what may go at once and stops, the
//! waiting events and `CLIENT_DISCONNECT` start their handlers, and `run`
//! waits for the handlers.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use irc_proto::{CaseMapping, Message, MessageBuf};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::codec::FramedRead;

use crate::client::{Client, Connection, Ended, Lane, lock};
use crate::codec::{Line, LineBatch, LineBatchCodec};
use crate::config::{Config, Transport};
use crate::error::{Error, RegistrationError};
use crate::event::{CLIENT_CONNECT, CLIENT_DISCONNECT, Event, EventName, Schema};
use crate::flood::{FloodControl, LineClass, target_of};
use crate::handler::EventContext;
use crate::sasl::{SaslSession, SystemRng};
use crate::state::ping::{Keepalive, KeepaliveAction};
use crate::state::register::{Progress, Register};
use crate::sts::{StsStore, StsValue};

/// How long the writer may take to flush its last lines.
const WRITER_DRAIN: Duration = Duration::from_secs(2);

/// The shortest sleep of the writer, so that a flood-control answer of
/// "now" that yields nothing cannot spin.
const WRITER_MIN_SLEEP: Duration = Duration::from_millis(5);

type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// The outgoing queue of one connection: flood control behind a lock, a
/// wake-up for the writer, and one for senders waiting for room.
pub(crate) struct Outgoing {
    flood: Mutex<FloodControl>,
    /// Wakes the writer: a line was queued, or the queue closed.
    wake: Notify,
    /// Wakes `send_wait` callers: lines left the queue, or it closed.
    pub(crate) space: Notify,
    /// Whether `001` was seen (lines before it use the registration lane).
    registered: AtomicBool,
    /// Whether the connection is ending (no more lines taken).
    closed: AtomicBool,
}

impl Outgoing {
    fn new(flood: FloodControl) -> Self {
        Self {
            flood: Mutex::new(flood),
            wake: Notify::new(),
            space: Notify::new(),
            registered: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// Whether `001` was seen on this connection.
    pub(crate) fn is_registered(&self) -> bool {
        self.registered.load(Ordering::SeqCst)
    }

    /// Queues a line; `class` overrides the lane (by default `PONG` first,
    /// everything before `001` as registration, the rest normal).
    pub(crate) fn push(
        &self,
        message: MessageBuf,
        class: Option<LineClass>,
    ) -> Result<(), Box<(Error, MessageBuf)>> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Box::new((Error::NotConnected, message)));
        }
        let class = class.unwrap_or_else(|| {
            if message.is_command("PONG") {
                LineClass::Pong
            } else if self.is_registered() {
                LineClass::Normal
            } else {
                LineClass::Registration
            }
        });
        let target = match class {
            LineClass::Normal => target_of(&message).map(fold),
            LineClass::Pong | LineClass::Registration => None,
        };
        lock(&self.flood)
            .push(message, target, class)
            .map_err(|full| Box::new((Error::QueueFull, full.line)))?;
        self.wake.notify_one();
        Ok(())
    }

    /// Takes no more lines; wakes the writer (to finish) and the waiting
    /// senders (to give up).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        self.space.notify_waiters();
    }
}

/// A target folded for its flood bucket (ASCII and the RFC 1459
/// brackets: close enough to share a bucket, whatever the casemapping).
fn fold(name: &str) -> String {
    name.chars().map(fold_char).collect()
}

/// One character of [`fold`].
const fn fold_char(c: char) -> char {
    match c {
        '[' => '{',
        ']' => '}',
        '\\' => '|',
        '^' => '~',
        c => c.to_ascii_lowercase(),
    }
}

/// What outlives one connection.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Channels we are in, as the server spelled them, with their keys.
    channels: Vec<(String, Option<String>)>,
    /// Keys from our own `JOIN` lines, by folded channel.
    keys: HashMap<String, String>,
    /// Capabilities enabled on the last connection.
    caps: Vec<String>,
    /// The nick we last asked for with `NICK` after registration.
    wanted_nick: Option<String>,
    /// STS policies (loaded on first use).
    sts: Option<StsStore>,
    /// The TLS port a plain connection's STS policy named.
    sts_upgrade: Option<u16>,
}

impl Session {
    /// Remembers the keys of an outgoing `JOIN #a,#b key1,key2`; channel
    /// names compare under the server's casemapping `cm`.
    pub(crate) fn note_join_keys(&mut self, join: &MessageBuf, cm: CaseMapping) {
        let (Some(chans), Some(keys)) = (join.params.first(), join.params.get(1)) else {
            return;
        };
        for (chan, key) in chans.split(',').zip(keys.split(',')) {
            if !key.is_empty() {
                self.keys.insert(cm.fold(chan).into_owned(), key.to_owned());
            }
        }
    }

    /// Remembers a nick asked for after registration.
    pub(crate) fn note_nick(&mut self, nick: &MessageBuf) {
        if let Some(n) = nick.params.first() {
            self.wanted_nick = Some(n.clone());
        }
    }

    fn joined(&mut self, chan: &str, cm: CaseMapping) {
        let key = self.keys.get(cm.fold(chan).as_ref()).cloned();
        self.parted(chan, cm);
        self.channels.push((chan.to_owned(), key));
    }

    fn parted(&mut self, chan: &str, cm: CaseMapping) {
        self.channels.retain(|(c, _)| !cm.equal(c, chan));
    }

    /// The STS store, loaded from the state directory on first use.
    fn sts_store(&mut self, config: &Config) -> &mut StsStore {
        self.sts.get_or_insert_with(|| match &config.state_dir {
            Some(dir) => StsStore::load(dir).unwrap_or_else(|e| {
                tracing::warn!(error = %e, dir = %dir.display(), "cannot read the STS policies");
                StsStore::in_memory()
            }),
            None => StsStore::in_memory(),
        })
    }
}

/// Runs one connection to its end; also says when it was registered.
pub(crate) async fn run(client: &Client) -> (Result<Ended, Error>, Option<Instant>) {
    let mut registered_at = None;
    let result = run_connection(client, &mut registered_at).await;
    if let Err(e) = &result {
        tracing::warn!(error = %e, "connection ended with an error");
    }
    (result, registered_at)
}

/// The port and transport to use, after STS.
fn destination(client: &Client, config: &Config) -> (u16, bool) {
    let tls = config.transport == Transport::Tls;
    if tls || !config.sts {
        return (config.port, tls);
    }
    let mut session = lock(&client.inner.session);
    if let Some(port) = session.sts_upgrade {
        return (port, true);
    }
    let now = SystemTime::now();
    if let Some(policy) = session.sts_store(config).policy(&config.host, now) {
        tracing::info!(port = policy.port, "STS policy: connecting with TLS");
        return (policy.port, true);
    }
    (config.port, false)
}

async fn connect(config: &Config, port: u16, tls: bool) -> Result<(BoxRead, BoxWrite), Error> {
    let addr = format!("{}:{port}", config.host);
    let tcp = tokio::time::timeout(
        config.connect_timeout,
        connect_tcp(&config.host, port, config.source_address),
    )
    .await
    .unwrap_or_else(|_| {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timed out",
        ))
    })
    .map_err(|source| Error::Connect {
        addr: addr.clone(),
        source,
    })?;
    // Lines are small and interactive.
    let _ = tcp.set_nodelay(true);
    if !tls {
        let (r, w) = tcp.into_split();
        return Ok((Box::new(r), Box::new(w)));
    }
    let (connector, name) = config.tls.connector(&config.host)?;
    let stream = tokio::time::timeout(config.connect_timeout, connector.connect(name, tcp))
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "TLS handshake timed out",
            ))
        })
        .map_err(|source| crate::tls::TlsError::Handshake {
            addr: addr.clone(),
            source,
        })?;
    let (r, w) = tokio::io::split(stream);
    Ok((Box::new(r), Box::new(w)))
}

/// Connects to the first address of `host` that answers, from `source`
/// when given (only addresses of its family are tried).
async fn connect_tcp(host: &str, port: u16, source: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect((host, port)).await;
    };
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        if addr.is_ipv4() != source.is_ipv4() {
            continue;
        }
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.bind(SocketAddr::new(source, 0))?;
        match socket.connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("no address of {host} matches the source address {source}"),
        )
    }))
}

/// The most lines handled in a row before the read loop looks at its
/// timers and the quit signal again.
const LINES_PER_TURN: usize = 512;

/// The size of the read buffer: one read takes up to this many bytes, and
/// the lines in them are handled in one go.
const READ_BUFFER: usize = 64 * 1024;

/// A `sleep_until` for an optional deadline (never, when `None`).
async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[allow(clippy::too_many_lines)]
async fn run_connection(
    client: &Client,
    registered_at: &mut Option<Instant>,
) -> Result<Ended, Error> {
    client.ensure_dispatcher()?;
    let config = client.config().clone();
    let flood = FloodControl::new(config.flood.clone(), Instant::now().into_std())
        .map_err(|e| Error::Config(e.to_string()))?;
    let (port, tls) = destination(client, &config);
    let (read, write) = connect(&config, port, tls).await?;
    tracing::info!(host = %config.host, port, tls, "connected");

    let out = Arc::new(Outgoing::new(flood));
    let quit = Arc::new(Notify::new());
    *lock(&client.inner.conn) = Some(Connection {
        out: Arc::clone(&out),
        quit: Arc::clone(&quit),
    });
    let writer = tokio::spawn(write_loop(write, Arc::clone(&out)));

    let codec = LineBatchCodec::new(config.max_line_length)
        .with_counters(Arc::clone(&client.inner.counters));
    let mut lines = FramedRead::with_capacity(read, codec, READ_BUFFER);
    let mut register = config.auto_register.then(|| new_register(client, &config));
    if let Some(reg) = &register {
        client.set_nick(reg.nick());
    }

    let mut keepalive = Keepalive::new(config.keepalive, Instant::now().into_std());
    let cap_deadline = Instant::now() + config.cap_timeout;
    let mut sasl_deadline: Option<Instant> = None;
    let mut quit_deadline: Option<Instant> = None;
    let mut ctx = LineCtx {
        client,
        config: &config,
        out: &out,
        tls,
        port,
        registered_at,
        sts_checked: !config.sts,
        parked: VecDeque::new(),
        backlog: config.dispatch_backlog.max(1),
        decoded: 0,
        messages: 0,
    };
    match register.as_mut() {
        Some(reg) => send_all(client, reg.start()),
        None => ctx
            .parked
            .push_back(Parked::new(Event::local(CLIENT_CONNECT))),
    }

    // One keepalive timer for the connection: moved only when it fired or
    // when the deadline came earlier, not re-armed for every line (a line
    // moves the deadline later; a timer that fires early finds nothing due
    // and is set again).
    let keepalive_timer = tokio::time::sleep_until(Instant::now());
    tokio::pin!(keepalive_timer);
    let mut keepalive_armed: Option<Instant> = None;
    // The lines read and not handled yet, and where the next one starts.
    let mut batch: Option<(LineBatch, usize)> = None;
    // The handler lane, held while lines are handled, and kept while
    // events wait for a handler slot (so that no other event starts its
    // handlers before theirs).
    let mut lane_held: Option<tokio::sync::MutexGuard<'_, Lane>> = None;
    let slots = client.inner.lane.lock().await.runner.slots();

    let result = loop {
        if !ctx.parked.is_empty() || batch.is_some() {
            let lane = match &mut lane_held {
                Some(lane) => lane,
                None => lane_held.insert(client.inner.lane.lock().await),
            };
            lane.runner.reap();
            let lane: &mut Lane = lane;
            let outcome = std::future::poll_fn(|cx| {
                Poll::Ready(work(&mut ctx, &mut register, lane, &mut batch, cx))
            })
            .await;
            // Counted before anything else runs, so a handler sees them.
            client
                .inner
                .counters
                .decoded(std::mem::take(&mut ctx.decoded));
            client
                .inner
                .counters
                .messages(std::mem::take(&mut ctx.messages));
            client
                .inner
                .backlog
                .store(ctx.parked.len(), Ordering::Release);
            if ctx.parked.is_empty() {
                lane_held = None;
            }
            match outcome {
                Ok(None) => {}
                Ok(Some(port)) => break Ok(Ended::StsUpgrade { port }),
                Err(e) => break Err(e),
            }
        }
        let parked = !ctx.parked.is_empty();
        let full = ctx.backlog_full();
        let reading = batch.is_none() && !full;
        let more = batch.is_some() && !full;
        let waits_for_cap = register.as_ref().is_some_and(Register::waits_for_cap);
        let waits_for_sasl = register.as_ref().is_some_and(Register::waits_for_sasl);
        if waits_for_sasl && sasl_deadline.is_none() {
            sasl_deadline = Some(Instant::now() + config.sasl_timeout);
        }
        // While reading is paused the server's silence cannot be seen.
        let keepalive_at = if full {
            None
        } else {
            keepalive.poll_at().map(Instant::from_std)
        };
        if let Some(at) = keepalive_at
            && keepalive_armed.is_none_or(|armed| at < armed)
        {
            keepalive_timer.as_mut().reset(at);
            keepalive_armed = Some(at);
        }
        tokio::select! {
            next = lines.next(), if reading => match next {
                Some(Ok(lines)) => {
                    batch = Some((lines, 0));
                    keepalive.received(Instant::now().into_std());
                }
                Some(Err(e)) => break Err(Error::Io(e)),
                None => {
                    tracing::info!("server closed the connection");
                    break match register.as_ref().map(Register::progress) {
                        Some(Progress::Pending) => Err(Error::Registration(
                            RegistrationError::Closed {
                                reason: "connection closed".into(),
                            },
                        )),
                        _ if quit_deadline.is_some() => Ok(Ended::Quit),
                        _ => Ok(Ended::ServerClosed),
                    };
                }
            },
            // More lines are buffered: handle them after a look at the rest.
            () = std::future::ready(()), if more => {}
            slot = slots.acquire(), if parked => {
                // Looked at, not taken: `work` takes it.
                drop(slot);
                if full {
                    // The silence clock restarts when reading resumes.
                    keepalive.received(Instant::now().into_std());
                }
            }
            () = sleep_opt(Some(cap_deadline)), if waits_for_cap => {
                if let Some(reg) = register.as_mut() {
                    send_all(client, reg.cap_timeout());
                }
            }
            () = sleep_opt(sasl_deadline), if waits_for_sasl => {
                if let Some(reg) = register.as_mut() {
                    send_all(client, reg.sasl_timeout());
                    if let Progress::Failed(e) = reg.progress() {
                        let e = e.clone();
                        send_all(client, vec![MessageBuf::new("QUIT").with_param("SASL failed")]);
                        break Err(Error::Registration(e));
                    }
                }
            }
            () = keepalive_timer.as_mut(), if keepalive_at.is_some() && keepalive_armed.is_some() => {
                keepalive_armed = None;
                match keepalive.poll(Instant::now().into_std()) {
                    KeepaliveAction::Ping => {
                        tracing::debug!(pings = keepalive.pings_sent(), "server silent: PING");
                        let ping = MessageBuf::new("PING").with_param(config.host.as_str());
                        if let Err(e) = client.send_priority(ping, LineClass::Pong) {
                            tracing::debug!(error = %e, "cannot send PING");
                        }
                    }
                    KeepaliveAction::Disconnect => {
                        tracing::warn!(timeout = ?config.keepalive.server_timeout, "server silent too long: closing");
                        break Ok(Ended::PingTimeout);
                    }
                    KeepaliveAction::Idle => {}
                }
            }
            () = quit.notified(), if quit_deadline.is_none() => {
                quit_deadline = Some(Instant::now() + config.quit_timeout);
            }
            () = sleep_opt(quit_deadline), if quit_deadline.is_some() => {
                tracing::debug!("server did not close after QUIT; closing");
                break Ok(Ended::Quit);
            }
        }
    };
    drop(lane_held);

    // The writer writes what may go at once, then stops.
    if let Some(conn) = lock(&client.inner.conn).take() {
        conn.out.close();
    }
    out.close();
    match tokio::time::timeout(WRITER_DRAIN, writer).await {
        Ok(Ok(Err(e))) => tracing::debug!(error = %e, "writer failed"),
        Ok(Err(e)) => tracing::error!(error = %e, "writer task failed"),
        Err(_) => tracing::warn!("writer did not drain in time"),
        Ok(Ok(Ok(()))) => {}
    }
    drop(lines);
    let parked = std::mem::take(&mut ctx.parked);
    finish(client, parked).await;
    client.inner.backlog.store(0, Ordering::Release);
    result
}

/// Ends a connection's dispatch: the events still waiting for a handler
/// slot start their handlers, then `CLIENT_DISCONNECT` does, and the
/// handlers are given the shutdown timeout to finish (then cancelled). When
/// running handlers hold every slot for the whole timeout, the events still
/// waiting are dropped (with a warning), the stuck handlers cancelled, and
/// `CLIENT_DISCONNECT` starts all the same: shutdown takes at most about
/// three times the timeout.
async fn finish(client: &Client, mut parked: VecDeque<Parked>) {
    parked.push_back(Parked::new(Event::local(CLIENT_DISCONNECT)));
    let timeout = client.config().handler_shutdown_timeout;
    if tokio::time::timeout(timeout, start_parked(client, &mut parked))
        .await
        .is_err()
    {
        let before = parked.len();
        parked.retain(|p| p.from == 0 && p.event.name().as_str() == CLIENT_DISCONNECT);
        tracing::warn!(
            dropped = before - parked.len(),
            "no handler slot came free at shutdown: the events still waiting are dropped"
        );
    }
    client.flush().await;
    if !parked.is_empty() {
        // The stuck handlers are cancelled: their slots are free.
        let _ = tokio::time::timeout(timeout, start_parked(client, &mut parked)).await;
        client.flush().await;
    }
}

/// Starts the handlers of the parked events, in order, waiting for slots;
/// what was done stays done if this is cancelled.
async fn start_parked(client: &Client, parked: &mut VecDeque<Parked>) {
    let mut lane = client.inner.lane.lock().await;
    while let Some(p) = parked.front_mut() {
        p.offer(client);
        lane.start_event(client, &p.event, &mut p.from).await;
        parked.pop_front();
    }
}

/// The registration state machine for a new connection: the nick asked for
/// last (then the configured one), the capabilities enabled before, SASL.
fn new_register(client: &Client, config: &Config) -> Register {
    let mut reg_config = config.register.clone();
    {
        let session = lock(&client.inner.session);
        if let Some(wanted) = &session.wanted_nick
            && *wanted != reg_config.nick
        {
            let configured = std::mem::replace(&mut reg_config.nick, wanted.clone());
            reg_config.alt_nicks.insert(0, configured);
        }
        for cap in &session.caps {
            if !reg_config.capabilities.contains(cap) {
                reg_config.capabilities.push(cap.clone());
            }
        }
    }
    let reg = Register::new(reg_config);
    match &config.sasl {
        Some(credentials) => reg.with_sasl(
            SaslSession::new(credentials.clone(), SystemRng),
            config.sasl_mechanisms.clone(),
            config.sasl_on_failure,
        ),
        None => reg,
    }
}

/// Acts on the `sts` capability once `CAP LS` is complete: returns the TLS
/// port to reconnect to when a plain connection must be upgraded.
fn check_sts(
    client: &Client,
    config: &Config,
    reg: &Register,
    tls: bool,
    port: u16,
) -> Option<u16> {
    let value = StsValue::parse(reg.cap_value("sts")?);
    let mut session = lock(&client.inner.session);
    if tls {
        if let Some(duration) = value.duration {
            let store = session.sts_store(config);
            if let Err(e) = store.record(&config.host, port, duration, SystemTime::now()) {
                tracing::warn!(error = %e, "cannot store the STS policy");
            }
            tracing::info!(duration, port, "STS policy stored");
        }
        None
    } else {
        let port = value.port?;
        session.sts_upgrade = Some(port);
        Some(port)
    }
}

/// `sts` offered by `CAP NEW` (the policy changed while connected). Over
/// TLS the policy is stored or refreshed (a zero duration removes it). On a
/// plain connection the TLS port is noted, so the next connection goes
/// there over TLS; this one is not dropped for it.
fn sts_from_cap_new(ctx: &LineCtx<'_>, msg: &Message<'_>) {
    if !msg.param(1).is_some_and(|s| s.eq_ignore_ascii_case("NEW")) {
        return;
    }
    let Some(value) = msg.trailing().and_then(|caps| {
        caps.split_ascii_whitespace()
            .find_map(|cap| cap.strip_prefix("sts="))
    }) else {
        return;
    };
    let value = StsValue::parse(value);
    let mut session = lock(&ctx.client.inner.session);
    if ctx.tls {
        if let Some(duration) = value.duration {
            let store = session.sts_store(ctx.config);
            match store.record(&ctx.config.host, ctx.port, duration, SystemTime::now()) {
                Ok(()) => {
                    tracing::info!(duration, port = ctx.port, "STS policy from CAP NEW stored");
                }
                Err(e) => tracing::warn!(error = %e, "cannot store the STS policy"),
            }
        }
    } else if let Some(port) = value.port {
        tracing::info!(
            port,
            "STS offered with CAP NEW: the next connection uses TLS"
        );
        session.sts_upgrade = Some(port);
    }
}

/// The writer task: the only code that writes to the socket. It takes the
/// lines flood control lets go, sleeps until the next may, and ends once
/// the queue is closed (after writing what may go at that moment).
async fn write_loop(mut write: BoxWrite, out: Arc<Outgoing>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let closed = out.closed.load(Ordering::SeqCst);
        let now = Instant::now();
        let next = {
            let mut flood = lock(&out.flood);
            while let Some(line) = flood.poll_transmit(now.into_std()) {
                if let Err(e) = line.pack_cut_into(&mut buf) {
                    tracing::warn!(error = %e, "dropped a line that cannot be packed");
                }
            }
            flood.poll_timeout()
        };
        if !buf.is_empty() {
            out.space.notify_waiters();
            write.write_all(&buf).await?;
            write.flush().await?;
            buf.clear();
        }
        if closed {
            break;
        }
        let wake_at = next.map(|t| Instant::from_std(t).max(now + WRITER_MIN_SLEEP));
        tokio::select! {
            () = out.wake.notified() => {}
            () = sleep_opt(wake_at) => {}
        }
    }
    write.shutdown().await
}

fn send_all(client: &Client, messages: Vec<MessageBuf>) {
    for m in messages {
        if let Err(e) = client.send_priority(m, LineClass::Registration) {
            tracing::warn!(error = %e, "cannot send a registration line");
        }
    }
}

/// What `handle_line` needs besides the line.
struct LineCtx<'a> {
    client: &'a Client,
    config: &'a Config,
    out: &'a Outgoing,
    tls: bool,
    port: u16,
    registered_at: &'a mut Option<Instant>,
    /// Whether the `sts` capability was looked at.
    sts_checked: bool,
    /// Events whose handlers could not all start yet for want of a free
    /// slot, in order: the events of the lines read meanwhile join them.
    parked: VecDeque<Parked>,
    /// How many server events `parked` may hold before reading pauses.
    backlog: usize,
    /// Lines decoded since the client's counters were last told.
    decoded: u64,
    /// Messages handled since the client's counters were last told.
    messages: u64,
}

/// An event waiting for a handler slot.
struct Parked {
    event: Event,
    /// The first handler not started.
    from: usize,
    /// Whether the `wait`s were offered the event.
    resolved: bool,
}

impl LineCtx<'_> {
    /// Whether the backlog of parked events is full: reading pauses.
    fn backlog_full(&self) -> bool {
        self.parked.len() >= self.backlog
    }
}

impl Parked {
    /// An event nothing was done with yet.
    const fn new(event: Event) -> Self {
        Self {
            event,
            from: 0,
            resolved: false,
        }
    }

    /// Offers the event to the `wait`s, once.
    fn offer(&mut self, client: &Client) {
        if !self.resolved {
            client.resolve_waiters(&self.event);
            self.resolved = true;
        }
    }
}

/// One turn of the read loop's work: the parked events first, then the
/// lines of the batch from where the last turn stopped, until the batch
/// is done (it is dropped), `LINES_PER_TURN` lines were handled, or the
/// backlog of parked events is full. `Some(port)`: an STS policy asks to
/// reconnect with TLS there.
fn work(
    ctx: &mut LineCtx<'_>,
    register: &mut Option<Register>,
    lane: &mut Lane,
    batch: &mut Option<(LineBatch, usize)>,
    cx: &mut Context<'_>,
) -> Result<Option<u16>, Error> {
    unpark(ctx, lane, cx);
    let Some((lines, pos)) = batch.as_mut() else {
        return Ok(None);
    };
    let mut iter = lines.lines_from(*pos);
    let mut handled = 0;
    let mut done = false;
    let mut result = Ok(None);
    while !ctx.backlog_full() && handled < LINES_PER_TURN {
        let Some((next, line)) = iter.next() else {
            done = true;
            break;
        };
        *pos = next;
        handled += 1;
        let outcome = match line {
            Line::Text(text) => handle_line(ctx, register, text, lane, cx),
            Line::Decoded(text) => {
                ctx.client.inner.counters.not_utf8();
                tracing::debug!(len = text.len(), "read a line that is not UTF-8 as CP1252");
                handle_line(ctx, register, &text, lane, cx)
            }
            Line::Overlong(len) => {
                ctx.client.inner.counters.overlong();
                tracing::warn!(
                    len,
                    max = ctx.config.max_line_length,
                    "discarded an overlong line"
                );
                continue;
            }
        };
        if !matches!(outcome, Ok(None)) {
            result = outcome;
            break;
        }
    }
    if done {
        *batch = None;
    }
    result
}

/// Starts the handlers of the parked events, in order, as far as slots
/// allow.
fn unpark(ctx: &mut LineCtx<'_>, lane: &mut Lane, cx: &mut Context<'_>) {
    let client = ctx.client;
    while let Some(p) = ctx.parked.front_mut() {
        p.offer(client);
        match lane.try_start_event(client, &p.event, p.from, cx) {
            Ok(()) => {
                ctx.parked.pop_front();
            }
            Err(from) => {
                p.from = from;
                return;
            }
        }
    }
}

/// Offers a line's event to the `wait`s and starts its handlers, read in
/// place: nothing is copied unless a `wait`, an `Event` or `Raw` extractor,
/// or a lack of handler slots asks for the event whole.
fn dispatch_line(
    ctx: &mut LineCtx<'_>,
    lane: &mut Lane,
    name: &EventName,
    msg: &Message<'_>,
    cx: &mut Context<'_>,
) {
    let client = ctx.client;
    let waiting = client.has_waiters();
    let set = lane.cache.get(client, name);
    if set.is_none() && !waiting {
        // Nobody listens: the line has done its work (state, PONG).
        return;
    }
    if !ctx.parked.is_empty() {
        // Behind the events that wait for a slot, in order.
        ctx.parked
            .push_back(Parked::new(Event::of_message(name.clone(), msg)));
        return;
    }
    let schema = set.map_or_else(|| Schema::of(name), |set| set.schema);
    let handlers = EventContext::of_line(client, name, schema, msg);
    if waiting {
        client.resolve_waiters(handlers.event());
    }
    if let Some(set) = set
        && let Err(from) = lane.runner.start(set, &handlers, 0, cx)
    {
        ctx.parked.push_back(Parked {
            event: handlers.event().clone(),
            from,
            resolved: true,
        });
    }
}

/// Dispatches a local event of the read loop (`BATCH_END`,
/// `CLIENT_CONNECT`) after the events before it.
fn dispatch_local(ctx: &mut LineCtx<'_>, lane: &mut Lane, event: Event, cx: &mut Context<'_>) {
    ctx.parked.push_back(Parked::new(event));
    if ctx.parked.len() == 1 {
        unpark(ctx, lane, cx);
    }
}

/// One line from the server: PONG, registration, our nick, our channels,
/// state, dispatch. `Some(port)`: an STS policy asks to reconnect with TLS
/// there.
fn handle_line(
    ctx: &mut LineCtx<'_>,
    register: &mut Option<Register>,
    line: &str,
    lane: &mut Lane,
    cx: &mut Context<'_>,
) -> Result<Option<u16>, Error> {
    let client = ctx.client;
    ctx.decoded += 1;
    let msg = match Message::parse(line) {
        Ok(m) => m,
        Err(e) => {
            // Counted and logged, never with the bytes above debug: a
            // server's garbage should not land in logs verbatim.
            client.inner.counters.unparsable();
            tracing::warn!(len = line.len(), error = %e.kind, "dropped a line that does not parse");
            tracing::debug!(line, "the line that does not parse");
            return Ok(None);
        }
    };
    ctx.messages += 1;
    tracing::trace!(line, "recv");
    let name = EventName::of_command(msg.command());
    if name.as_str() == "PING" {
        let pong = MessageBuf::new("PONG").with_params(msg.params().iter());
        if let Err(e) = client.send_priority(pong, LineClass::Pong) {
            tracing::warn!(error = %e, "cannot answer PING");
        }
    }
    track_self(client, &name, &msg);
    if ctx.config.sts && name.as_str() == "CAP" {
        sts_from_cap_new(ctx, &msg);
    }
    // Channel and user state (and awaited replies) see the line before its event.
    let batch_end = client.track(&msg);
    let mut connected = false;
    if let Some(reg) = register.as_mut().filter(|r| !r.is_finished()) {
        let out = reg.handle(&msg.to_buf());
        if !ctx.sts_checked && reg.caps_listed() {
            ctx.sts_checked = true;
            // Before anything else is sent on a plain connection.
            if let Some(port) = check_sts(client, ctx.config, reg, ctx.tls, ctx.port) {
                tracing::info!(port, "STS: the server asks for TLS");
                return Ok(Some(port));
            }
        }
        send_all(client, out);
        match reg.progress() {
            Progress::Done { nick } => {
                tracing::info!(nick = %nick, caps = ?reg.enabled_caps(), account = ?reg.account(), "registered");
                client.set_nick(nick);
                lock(&client.inner.session).caps = reg.enabled_caps().to_vec();
                connected = true;
            }
            Progress::Failed(e) => {
                let e = e.clone();
                tracing::warn!(error = %e, "registration failed");
                send_all(
                    client,
                    vec![MessageBuf::new("QUIT").with_param("registration failed")],
                );
                dispatch_line(ctx, lane, &name, &msg, cx);
                return Err(Error::Registration(e));
            }
            Progress::Pending => {}
        }
    } else if register.is_none() && name.as_str() == "001" {
        connected = true;
    }
    if connected {
        ctx.out.registered.store(true, Ordering::SeqCst);
        *ctx.registered_at = Some(Instant::now());
        if ctx.config.rejoin {
            rejoin(client);
        }
        tracing::debug!(tls = ctx.tls, port = ctx.port, "connection registered");
    }
    dispatch_line(ctx, lane, &name, &msg, cx);
    if let Some(end) = batch_end {
        dispatch_local(ctx, lane, end, cx);
    }
    if connected {
        dispatch_local(ctx, lane, Event::local(CLIENT_CONNECT), cx);
    }
    Ok(None)
}

/// Follows our own nick, channels and capabilities.
fn track_self(client: &Client, name: &EventName, msg: &Message<'_>) {
    // Most lines are none of these: they cost a few comparisons, no lock
    // and no allocation.
    let verb = name.as_str();
    if !matches!(verb, "NICK" | "JOIN" | "PART" | "KICK" | "CAP") {
        return;
    }
    let param = |i: usize| msg.param(i);
    let cm = client.casemapping();
    let (from_me, kicks_me) = {
        let me = lock(&client.inner.nick);
        let is_me = |n: &str| cm.equal(n, &me);
        (
            msg.source().is_some_and(|s| is_me(s.nick())),
            verb == "KICK" && param(1).is_some_and(is_me),
        )
    };
    match verb {
        "NICK" if from_me => {
            if let Some(new) = param(0) {
                client.set_nick(new);
            }
        }
        "JOIN" if from_me => {
            if let Some(chan) = param(0) {
                lock(&client.inner.session).joined(chan, cm);
            }
        }
        "PART" if from_me => {
            if let Some(chans) = param(0) {
                let mut session = lock(&client.inner.session);
                for chan in chans.split(',') {
                    session.parted(chan, cm);
                }
            }
        }
        "KICK" if kicks_me => {
            if let Some(chan) = param(0) {
                lock(&client.inner.session).parted(chan, cm);
            }
        }
        "CAP" => {
            let sub = param(1).unwrap_or_default().to_ascii_uppercase();
            if (sub == "ACK" || sub == "DEL")
                && client.is_connected()
                && let Some(list) = msg.trailing()
            {
                let mut session = lock(&client.inner.session);
                for cap in list.split_ascii_whitespace() {
                    let (removed, name) = match cap.strip_prefix('-') {
                        Some(n) => (true, n),
                        None => (sub == "DEL", cap),
                    };
                    session.caps.retain(|c| c != name);
                    if !removed {
                        session.caps.push(name.to_owned());
                    }
                }
            }
        }
        _ => {}
    }
}

/// Joins the channels of the previous connection again, with their keys.
fn rejoin(client: &Client) {
    let channels = std::mem::take(&mut lock(&client.inner.session).channels);
    for (chan, key) in channels {
        tracing::info!(channel = %chan, "rejoining");
        let join = match key {
            Some(k) => MessageBuf::new("JOIN").with_params([chan.as_str(), k.as_str()]),
            None => MessageBuf::new("JOIN").with_param(chan.as_str()),
        };
        if let Err(e) = client.send(join) {
            tracing::warn!(error = %e, channel = %chan, "cannot rejoin");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tracks_channels_and_keys() {
        let mut s = Session::default();
        let cm = CaseMapping::Rfc1459;
        s.note_join_keys(
            &MessageBuf::new("JOIN").with_params(["#a,#B[x],#c", "ka,kb"]),
            cm,
        );
        s.joined("#a", cm);
        s.joined("#b{x}", cm);
        s.joined("#c", cm);
        s.joined("#A", cm);
        assert_eq!(
            s.channels,
            [
                ("#b{x}".to_owned(), Some("kb".to_owned())),
                ("#c".to_owned(), None),
                ("#A".to_owned(), Some("ka".to_owned())),
            ]
        );
        s.parted("#B[X]", cm);
        assert_eq!(s.channels.len(), 2);
        // Under `ascii`, brackets are not braces: another channel.
        s.joined("#b[x]", CaseMapping::Ascii);
        s.parted("#B{X}", CaseMapping::Ascii);
        assert_eq!(s.channels.len(), 3);
        s.note_nick(&MessageBuf::new("NICK").with_param("newnick"));
        assert_eq!(s.wanted_nick.as_deref(), Some("newnick"));
    }
}
