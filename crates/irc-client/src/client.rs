//! [`Client`]: the cheap, cloneable handle everything goes through.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::task::{Context, Poll};

use futures::FutureExt;
use irc_proto::MessageBuf;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;

use crate::backoff::{Backoff, SplitMix64};
use crate::config::{ClientBuilder, Config};
use crate::driver::{Outgoing, Session};
use crate::error::{Error, RegisterError};
use crate::event::{Event, EventName, Schema};
use crate::flood::LineClass;
use crate::handler::{self, ErasedHandler, EventContext, Handler};

/// Why one connection ([`Client::run_once`]) ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ended {
    /// [`Client::quit`] was called.
    Quit,
    /// The server closed the connection (after registration).
    ServerClosed,
    /// The server said nothing for the whole server timeout, even to
    /// `PING`s; the client closed the connection.
    PingTimeout,
    /// The server's STS policy asks for TLS on this port: the next
    /// connection uses it.
    StsUpgrade {
        /// The TLS port.
        port: u16,
    },
}

/// A handle on one IRC client: register handlers, send, trigger, wait, run.
///
/// Cloning is cheap (an `Arc`); every clone is the same client.
///
/// ```no_run
/// use irc_client::{Client, extract::{Nick, Target, Text}};
///
/// # async fn demo() -> Result<(), irc_client::Error> {
/// let client = Client::builder("127.0.0.1", 6667, "echobot").build();
/// client.on("PRIVMSG", |client: Client, Nick(nick): Nick, Target(target): Target, Text(text): Text| async move {
///     let to = if target == client.nick() { nick } else { target };
///     client.send(irc_proto::Command::privmsg(&to, &text)?)
/// })?;
/// client.run().await
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// What every handle shares.
pub(crate) struct Inner {
    pub(crate) config: Config,
    /// Handlers by event name, in registration order (a shared slice, so
    /// that dispatch takes a reference, not a copy).
    handlers: RwLock<HashMap<EventName, Arc<HandlerSet>>>,
    /// Goes up with every registration, so the handler cache knows when what
    /// it remembers of `handlers` is stale.
    generation: AtomicU64,
    /// Pending `wait`s.
    waiters: Mutex<Vec<Waiter>>,
    /// How many `wait`s are pending, so that dispatch skips the lock when
    /// none is.
    waiting: AtomicUsize,
    /// The user's states, by type.
    states: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    /// The nick we have (or ask for, before registration).
    pub(crate) nick: Mutex<String>,
    /// The connection, while one is up.
    pub(crate) conn: Mutex<Option<Connection>>,
    /// Whether `run` is running.
    pub(crate) running: AtomicBool,
    /// Triggered events, in order, to the task that dispatches them.
    dispatch_tx: mpsc::UnboundedSender<Event>,
    /// That task's end, until the task is started.
    dispatch_rx: Mutex<Option<mpsc::UnboundedReceiver<Event>>>,
    /// Where handlers are started: whoever dispatches (the read loop, the
    /// task of triggered events) holds it, so events start their handlers
    /// one after the other, in order.
    pub(crate) lane: tokio::sync::Mutex<Lane>,
    /// How many server events wait for a handler slot (what
    /// [`Client::dispatch_backlog`] says).
    pub(crate) backlog: AtomicUsize,
    /// What outlives one connection: channels and keys, capabilities,
    /// STS policies.
    pub(crate) session: Mutex<Session>,
    /// Set by `quit`: `run` does not reconnect.
    pub(crate) stop: AtomicBool,
    /// Wakes `run` from its backoff sleep when `quit` is called.
    pub(crate) stop_notify: Notify,
    /// Channel and user state, capabilities, batches, pending requests.
    pub(crate) tracker: crate::state::tracker::Shared,
    /// What was read and dropped, over all connections.
    pub(crate) counters: Arc<crate::stats::Counters>,
}

/// The live connection, as the handles see it.
pub(crate) struct Connection {
    /// The flood-controlled queue the writer task drains.
    pub(crate) out: Arc<Outgoing>,
    /// Wakes the driver when `quit` was called.
    pub(crate) quit: Arc<Notify>,
}

/// One pending `wait`.
struct Waiter {
    names: Vec<EventName>,
    tx: oneshot::Sender<Event>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these short locks leaves consistent data.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field(
                "server",
                &format_args!("{}:{}", self.inner.config.host, self.inner.config.port),
            )
            .field("nick", &self.nick())
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for a client of `host:port` with this nick; see
    /// [`ClientBuilder`] for the other settings and their defaults.
    pub fn builder(host: impl Into<String>, port: u16, nick: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(host, port, nick)
    }

    pub(crate) fn from_parts(
        config: Config,
        states: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    ) -> Self {
        let (dispatch_tx, dispatch_rx) = mpsc::unbounded_channel();
        let lane = Lane::new(config.max_concurrent_handlers);
        let nick = config.register.nick.clone();
        Self {
            inner: Arc::new(Inner {
                // Before `config` moves in.
                tracker: crate::state::tracker::Shared::new(&config),
                config,
                handlers: RwLock::new(HashMap::new()),
                generation: AtomicU64::new(0),
                waiters: Mutex::new(Vec::new()),
                waiting: AtomicUsize::new(0),
                states,
                nick: Mutex::new(nick),
                conn: Mutex::new(None),
                running: AtomicBool::new(false),
                dispatch_tx,
                dispatch_rx: Mutex::new(Some(dispatch_rx)),
                lane: tokio::sync::Mutex::new(lane),
                backlog: AtomicUsize::new(0),
                session: Mutex::new(Session::default()),
                stop: AtomicBool::new(false),
                stop_notify: Notify::new(),
                counters: Arc::default(),
            }),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The nick the server gave us (after registration), or the one we ask
    /// for (before). Follows our own `NICK` changes.
    #[must_use]
    pub fn nick(&self) -> String {
        lock(&self.inner.nick).clone()
    }

    pub(crate) fn set_nick(&self, nick: &str) {
        nick.clone_into(&mut lock(&self.inner.nick));
    }

    /// What the client has read and what it had to drop, over all its
    /// connections: lines decoded, overlong lines, lines that do not parse,
    /// lines that were not UTF-8. See [`crate::stats`].
    #[must_use]
    pub fn stats(&self) -> crate::Stats {
        self.inner.counters.snapshot()
    }

    /// Whether a connection is up.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        lock(&self.inner.conn).is_some()
    }

    /// The state of type `T` given to the builder.
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner
            .states
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|s| s.downcast::<T>().ok())
    }

    /// Registers `handler` for the event `event` (a command, a numeric by
    /// name or code, or a local event).
    ///
    /// # Errors
    ///
    /// A [`RegisterError`] naming the event and the parameter when the
    /// handler asks for something this event cannot supply (`Text` on
    /// `JOIN`), or may not supply without an `Option`.
    pub fn on<H, T>(&self, event: impl Into<EventName>, handler: H) -> Result<&Self, RegisterError>
    where
        H: Handler<T>,
        T: 'static,
    {
        let name = event.into();
        let erased = handler::erase(handler, &name, self)?;
        let mut handlers = self
            .inner
            .handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let schema = Schema::of(&name);
        let slot = handlers.entry(name).or_insert_with(|| {
            Arc::new(HandlerSet {
                schema,
                list: Vec::new(),
            })
        });
        // Registration is rare: rebuild the set, dispatch only clones the Arc.
        *slot = Arc::new(HandlerSet {
            schema,
            list: slot.list.iter().cloned().chain([erased]).collect(),
        });
        self.inner.generation.fetch_add(1, Ordering::Release);
        Ok(self)
    }

    /// Sends a message (a typed command or a [`MessageBuf`]) without
    /// waiting: the line joins the outgoing queue, which lets lines go no
    /// faster than flood control allows ([`crate::flood`]).
    ///
    /// The message is packed here: one that cannot be written safely is
    /// refused and nothing is sent. A text longer than the 512-byte line
    /// limit is cut on a character boundary (and a warning logged).
    ///
    /// # Errors
    ///
    /// [`Error::Pack`] for an unsafe message, [`Error::NotConnected`] when no
    /// connection is up, [`Error::QueueFull`] when the queue holds
    /// `queue_capacity` lines already (use [`Client::send_wait`] to wait
    /// for room instead).
    pub fn send(&self, message: impl Into<MessageBuf>) -> Result<(), Error> {
        let message = self.prepare(message.into())?;
        self.push(message, None).map_err(|rejected| rejected.0)
    }

    /// Sends a message, waiting while the outgoing queue is full
    /// (backpressure). Resolves once the line is queued, not written.
    ///
    /// # Errors
    ///
    /// As [`Client::send`], without [`Error::QueueFull`];
    /// [`Error::NotConnected`] also when the connection ends while waiting.
    pub async fn send_wait(&self, message: impl Into<MessageBuf>) -> Result<(), Error> {
        let mut message = self.prepare(message.into())?;
        loop {
            let out = lock(&self.inner.conn)
                .as_ref()
                .map(|c| Arc::clone(&c.out))
                .ok_or(Error::NotConnected)?;
            let space = out.space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            match self.push(message, None) {
                Ok(()) => return Ok(()),
                Err(rejected) => match *rejected {
                    (Error::QueueFull, m) => message = m,
                    (e, _) => return Err(e),
                },
            }
            space.await;
        }
    }

    /// Packs (to refuse an unsafe message early) and logs a message.
    fn prepare(&self, message: MessageBuf) -> Result<MessageBuf, Error> {
        let mut out = Vec::new();
        if let Some(cut) = message.pack_cut_into(&mut out)? {
            tracing::warn!(command = %message.command, dropped = cut.dropped, "line cut to 512 bytes");
        }
        if message.is_command("PASS") || message.is_command("AUTHENTICATE") {
            tracing::debug!(command = %message.command, "send (secret redacted)");
        } else {
            let line = out.strip_suffix(b"\r\n").unwrap_or(&out);
            tracing::debug!(line = %String::from_utf8_lossy(line), "send");
        }
        Ok(message)
    }

    /// Queues a prepared message in the lane `class` (by default: `PONG`
    /// first, registration before `001`, the rest normal).
    pub(crate) fn push(
        &self,
        message: MessageBuf,
        class: Option<LineClass>,
    ) -> Result<(), Box<(Error, MessageBuf)>> {
        // Read before the connection's lock is taken.
        let cm = message.is_command("JOIN").then(|| self.casemapping());
        let conn = lock(&self.inner.conn);
        let Some(conn) = conn.as_ref() else {
            return Err(Box::new((Error::NotConnected, message)));
        };
        if let Some(cm) = cm {
            lock(&self.inner.session).note_join_keys(&message, cm);
        } else if message.is_command("NICK") && conn.out.is_registered() {
            lock(&self.inner.session).note_nick(&message);
        }
        conn.out.push(message, class)
    }

    /// Sends a line in the priority lane (registration, `PONG`, `QUIT`).
    pub(crate) fn send_priority(&self, message: MessageBuf, class: LineClass) -> Result<(), Error> {
        let message = self.prepare(message)?;
        self.push(message, Some(class))
            .map_err(|rejected| rejected.0)
    }

    /// Parses a raw line and sends it.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] when the line does not parse, otherwise as
    /// [`Client::send`].
    pub fn send_raw(&self, line: &str) -> Result<(), Error> {
        self.send(MessageBuf::parse(line)?)
    }

    /// Injects an event as if it had arrived: its handlers run and its
    /// waiters resolve, in order with the events from the server (a task of
    /// the client's starts them, between two reads of the connection).
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] outside a tokio runtime, [`Error::Closed`] when
    /// the task of triggered events has stopped, [`Error::Pack`] for a
    /// message that could not have come from a server (one that cannot be
    /// written as a line: a CR, LF or NUL, a space in a middle parameter,
    /// ...).
    pub fn trigger(&self, event: impl Into<Event>) -> Result<(), Error> {
        let event = event.into();
        if event.is_unwritable()
            && let Some(Err(e)) = event.message().map(MessageBuf::pack)
        {
            return Err(Error::Pack(e));
        }
        self.ensure_dispatcher()?;
        self.inner
            .dispatch_tx
            .send(event)
            .map_err(|_| Error::Closed)
    }

    /// Resolves with the next occurrence of `event`.
    ///
    /// The wait is registered when this is called, not when the future is
    /// first polled, so `let w = client.wait("376"); client.send(..)?;
    /// w.await` cannot miss a reply.
    pub fn wait(&self, event: impl Into<EventName>) -> Wait {
        self.wait_any([event])
    }

    /// Resolves with the next occurrence of any of `events` (the first to
    /// come).
    pub fn wait_any<I, E>(&self, events: I) -> Wait
    where
        I: IntoIterator<Item = E>,
        E: Into<EventName>,
    {
        let (tx, rx) = oneshot::channel();
        let names = events.into_iter().map(Into::into).collect();
        let mut waiters = lock(&self.inner.waiters);
        waiters.retain(|w| !w.tx.is_closed());
        waiters.push(Waiter { names, tx });
        self.inner.waiting.store(waiters.len(), Ordering::Release);
        Wait { rx }
    }

    /// Connects, registers (unless turned off), and runs connections until
    /// [`Client::quit`] is called, reconnecting whenever one ends (errbot's
    /// `serve_forever`).
    ///
    /// Between attempts it waits as [`crate::backoff`] says (1 s, 1.75 s,
    /// 3.1 s, ... up to 600 s, plus up to 3 s of jitter, by default); a
    /// connection that stayed up 60 s starts the sequence over. Each new
    /// connection registers with the nick in use before, requests the
    /// capabilities enabled before, and rejoins the channels it was in
    /// (with their keys). Handlers see `CLIENT_DISCONNECT` when a connection
    /// ends and `CLIENT_CONNECT` when the next one is registered.
    ///
    /// # Errors
    ///
    /// [`Error::GaveUp`] after `max_reconnect_attempts` failed attempts in a
    /// row; at once, without retrying: [`Error::AlreadyRunning`],
    /// [`Error::NoRuntime`], [`Error::Config`], TLS settings that cannot
    /// work ([`Error::Tls`]), and a required SASL that failed
    /// ([`RegistrationError::Sasl`](crate::RegistrationError::Sasl)).
    pub async fn run(&self) -> Result<(), Error> {
        let _running = self.start_running()?;
        let mut backoff = Backoff::new(self.inner.config.backoff.clone())
            .map_err(|e| Error::Config(e.to_string()))?;
        let mut jitter = SplitMix64::from_entropy();
        loop {
            let (result, registered_at) = crate::driver::run(self).await;
            if let Some(at) = registered_at {
                backoff.connected(at.into_std());
            }
            backoff.disconnected(tokio::time::Instant::now().into_std());
            if self.inner.stop.load(Ordering::SeqCst) {
                return match result {
                    Err(e) if is_fatal(&e) => Err(e),
                    _ => Ok(()),
                };
            }
            let last = match result {
                Ok(Ended::Quit) => return Ok(()),
                Ok(Ended::StsUpgrade { port }) => {
                    tracing::info!(port, "STS: reconnecting with TLS");
                    continue;
                }
                Ok(Ended::PingTimeout) => {
                    Error::PingTimeout(self.inner.config.keepalive.server_timeout)
                }
                Ok(_) => Error::Io(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the server closed the connection",
                )),
                Err(e) if is_fatal(&e) => return Err(e),
                Err(e) => e,
            };
            let Some(delay) = backoff.next_delay(&mut jitter) else {
                return Err(Error::GaveUp {
                    attempts: backoff.attempts(),
                    last: Box::new(last),
                });
            };
            tracing::info!(error = %last, ?delay, attempt = backoff.attempts(), "reconnecting");
            let stopped = self.inner.stop_notify.notified();
            tokio::pin!(stopped);
            stopped.as_mut().enable();
            if self.inner.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stopped => return Ok(()),
            }
        }
    }

    /// Runs one connection to its end, without reconnecting (errbot's
    /// `serve_once`), and says why it ended. `CLIENT_DISCONNECT` handlers
    /// have finished when this returns. Channels, capabilities and the nick
    /// are restored as by [`Client::run`] when called again.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when the server cannot be reached, [`Error::Tls`]
    /// when TLS fails, [`Error::Registration`] when registration fails,
    /// [`Error::Io`] when the connection fails, [`Error::AlreadyRunning`]
    /// when this client already runs one.
    pub async fn run_once(&self) -> Result<Ended, Error> {
        let _running = self.start_running()?;
        crate::driver::run(self).await.0
    }

    fn start_running(&self) -> Result<Running<'_>, Error> {
        if self.inner.running.swap(true, Ordering::SeqCst) {
            return Err(Error::AlreadyRunning);
        }
        self.inner.stop.store(false, Ordering::SeqCst);
        Ok(Running(&self.inner))
    }

    /// Sends `QUIT` with this reason (ahead of queued lines, which are
    /// dropped) and asks the connection to end: `run` returns once the
    /// server has closed it (or after the quit timeout) and does not
    /// reconnect. Called while `run` waits to reconnect, it stops that.
    ///
    /// # Errors
    ///
    /// [`Error::NotConnected`] when nothing runs, [`Error::Pack`] for a
    /// reason holding CR, LF or NUL.
    pub fn quit(&self, reason: &str) -> Result<(), Error> {
        let quit = MessageBuf::new("QUIT").with_param(reason);
        quit.pack()?;
        let running = self.inner.running.load(Ordering::SeqCst);
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.stop_notify.notify_waiters();
        match self.send_priority(quit, LineClass::Registration) {
            Ok(()) => {
                if let Some(conn) = lock(&self.inner.conn).as_ref() {
                    conn.quit.notify_one();
                }
                Ok(())
            }
            Err(Error::NotConnected) if running => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Starts the handlers of an owned event (triggered or local) and
    /// resolves its waiters, waiting for a handler slot when none is free.
    pub(crate) async fn dispatch_owned(&self, lane: &mut Lane, event: &Event) {
        tracing::trace!(event = %event.name(), "dispatch");
        self.resolve_waiters(event);
        lane.start_event(self, event, &mut 0).await;
    }

    /// How many events from the server wait for a free handler slot to
    /// start their handlers: at most
    /// [`dispatch_backlog`](ClientBuilder::dispatch_backlog); the read loop
    /// pauses while it is full.
    #[must_use]
    pub fn dispatch_backlog(&self) -> usize {
        self.inner.backlog.load(Ordering::Acquire)
    }

    /// Waits until every handler started so far has finished, or cancels
    /// those still running after the shutdown timeout.
    pub(crate) async fn flush(&self) {
        let mut tasks = std::mem::take(&mut self.inner.lane.lock().await.runner.tasks);
        let all = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(self.inner.config.handler_shutdown_timeout, all)
            .await
            .is_err()
        {
            tracing::warn!(
                running = tasks.len(),
                "handlers still running at shutdown: cancelled"
            );
            tasks.shutdown().await;
        }
    }

    /// Starts the task of triggered events, once.
    pub(crate) fn ensure_dispatcher(&self) -> Result<(), Error> {
        let mut slot = lock(&self.inner.dispatch_rx);
        if slot.is_none() {
            return Ok(());
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        if let Some(rx) = slot.take() {
            runtime.spawn(trigger_loop(Arc::downgrade(&self.inner), rx));
        }
        Ok(())
    }

    /// Whether a `wait` is pending (then every event is offered to it).
    #[inline]
    pub(crate) fn has_waiters(&self) -> bool {
        self.inner.waiting.load(Ordering::Acquire) > 0
    }

    /// Resolves the pending `wait`s this event matches.
    pub(crate) fn resolve_waiters(&self, event: &Event) {
        if self.inner.waiting.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut waiters = lock(&self.inner.waiters);
        if waiters.is_empty() {
            return;
        }
        let mut i = 0;
        while i < waiters.len() {
            if waiters[i].names.iter().any(|n| n == event.name()) {
                let w = waiters.swap_remove(i);
                let _ = w.tx.send(event.clone());
            } else {
                i += 1;
            }
        }
        self.inner.waiting.store(waiters.len(), Ordering::Release);
    }

    fn handlers_for(&self, name: &EventName) -> Option<Arc<HandlerSet>> {
        self.inner
            .handlers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
}

/// Resets the connection state when `run` ends, even when its future is
/// dropped half-way: the writer task ends once the queue is closed.
struct Running<'a>(&'a Inner);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(conn) = lock(&self.0.conn).take() {
            conn.out.close();
        }
        self.0.running.store(false, Ordering::SeqCst);
    }
}

/// Errors that retrying cannot fix.
fn is_fatal(e: &Error) -> bool {
    match e {
        Error::AlreadyRunning | Error::NoRuntime | Error::Config(_) => true,
        Error::Tls(t) => t.is_config(),
        Error::Registration(r) => matches!(r, crate::RegistrationError::Sasl { .. }),
        _ => false,
    }
}

/// The handlers of one event name, with the schema their extractors read
/// by (worked out once, at registration).
pub(crate) struct HandlerSet {
    pub(crate) schema: Schema,
    list: Vec<ErasedHandler>,
}

/// What the handler lane remembers of the handler table: the last event
/// names looked up (by identity: the names of common
/// verbs and numerics are shared), valid while no handler is registered.
pub(crate) struct HandlerCache {
    generation: u64,
    entries: Vec<(EventName, Option<Arc<HandlerSet>>)>,
}

impl HandlerCache {
    /// How many names are remembered.
    const SIZE: usize = 32;

    pub(crate) fn new() -> Self {
        Self {
            generation: u64::MAX,
            entries: Vec::with_capacity(Self::SIZE),
        }
    }

    /// The handlers of this event name, if any.
    #[inline]
    pub(crate) fn get(&mut self, client: &Client, name: &EventName) -> Option<&Arc<HandlerSet>> {
        let generation = client.inner.generation.load(Ordering::Acquire);
        if generation != self.generation {
            self.entries.clear();
            self.generation = generation;
        }
        let i = match self.entries.iter().position(|(n, _)| n.same_as(name)) {
            // A name found moves one place up: the names of most lines end
            // up first.
            Some(i) if i > 0 => {
                self.entries.swap(i, i - 1);
                i - 1
            }
            Some(i) => i,
            None => {
                if self.entries.len() == Self::SIZE {
                    self.entries.pop();
                }
                self.entries.push((name.clone(), client.handlers_for(name)));
                self.entries.len() - 1
            }
        };
        self.entries.get(i).and_then(|(_, set)| set.as_ref())
    }
}

/// Where handlers are started: what is remembered of the handler table,
/// and the running handlers. One per client, behind the client's lock, so
/// that events start their handlers in order whoever dispatches them.
pub(crate) struct Lane {
    pub(crate) cache: HandlerCache,
    pub(crate) runner: Runner,
}

impl Lane {
    fn new(max_concurrent: usize) -> Self {
        Self {
            cache: HandlerCache::new(),
            runner: Runner {
                slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
                tasks: JoinSet::new(),
            },
        }
    }

    /// Starts the handlers of an owned event from the `from`-th on, as far
    /// as slots allow; `Err(i)` as [`Runner::start`].
    pub(crate) fn try_start_event(
        &mut self,
        client: &Client,
        event: &Event,
        from: usize,
        cx: &mut Context<'_>,
    ) -> Result<(), usize> {
        match self.cache.get(client, event.name()) {
            Some(set) => {
                let ctx = EventContext::of_event(client, event, set.schema);
                self.runner.start(set, &ctx, from, cx)
            }
            None => Ok(()),
        }
    }

    /// Starts the handlers of an owned event from the `*from`-th on,
    /// waiting for slots. `*from` follows the progress, so that a call
    /// that is cancelled can be resumed where it stopped.
    pub(crate) async fn start_event(&mut self, client: &Client, event: &Event, from: &mut usize) {
        loop {
            let started = std::future::poll_fn(|cx| {
                Poll::Ready(self.try_start_event(client, event, *from, cx))
            })
            .await;
            match started {
                Ok(()) => return,
                Err(next) => {
                    *from = next;
                    self.runner.wait_for_slot().await;
                }
            }
        }
    }
}

/// Starts handlers and keeps the tasks of those that wait: at most one per
/// slot of the semaphore.
pub(crate) struct Runner {
    slots: Arc<Semaphore>,
    tasks: JoinSet<()>,
}

impl Runner {
    /// Starts the handlers of `set` for one event, from the `from`-th on.
    ///
    /// Each handler is started only when a slot is free, and its first
    /// poll runs here, in the caller's task: a handler that does not wait
    /// is done without a task of its own (the common case, and the cheap
    /// one). A handler that has to wait becomes a task holding the slot. A
    /// panic is caught and logged. `Err(i)`: no slot is free for the
    /// `i`-th handler; start again from there once one is
    /// ([`Runner::wait_for_slot`]).
    pub(crate) fn start(
        &mut self,
        set: &HandlerSet,
        ctx: &EventContext<'_>,
        from: usize,
        cx: &mut Context<'_>,
    ) -> Result<(), usize> {
        for (i, handler) in set.list.iter().enumerate().skip(from) {
            if self.slots.available_permits() == 0 {
                return Err(i);
            }
            let mut fut = match handler(ctx) {
                Ok(fut) => fut,
                Err(param) => {
                    tracing::debug!(
                        event = %ctx.name(),
                        param,
                        "handler skipped: the event lacks a parameter"
                    );
                    continue;
                }
            };
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(())) => {}
                Ok(Poll::Pending) => {
                    // Only the holder of the lane takes slots, and one was
                    // free: the handler gets it.
                    let slot = Arc::clone(&self.slots).try_acquire_owned().ok();
                    let name = ctx.name().clone();
                    self.tasks.spawn(async move {
                        let _slot = slot;
                        if std::panic::AssertUnwindSafe(fut)
                            .catch_unwind()
                            .await
                            .is_err()
                        {
                            tracing::error!(event = %name, "handler panicked");
                        }
                    });
                }
                Err(_) => tracing::error!(event = %ctx.name(), "handler panicked"),
            }
        }
        Ok(())
    }

    /// The slots, to wait for one outside the lane.
    pub(crate) fn slots(&self) -> Arc<Semaphore> {
        Arc::clone(&self.slots)
    }

    /// Waits until a handler slot is free.
    pub(crate) async fn wait_for_slot(&self) {
        // The slot is only looked at: `start` takes it.
        drop(self.slots.acquire().await);
    }

    /// Forgets the tasks that have finished, so the set does not grow.
    pub(crate) fn reap(&mut self) {
        while self.tasks.try_join_next().is_some() {}
    }
}

/// The most triggered events started under one hold of the lane.
const TRIGGER_BATCH: usize = 64;

/// The task of triggered events: one per client, fed in order. It holds
/// the client weakly, so it ends when the last handle is dropped (the
/// channel closes).
async fn trigger_loop(weak: Weak<Inner>, mut rx: mpsc::UnboundedReceiver<Event>) {
    let mut batch = Vec::with_capacity(TRIGGER_BATCH);
    while rx.recv_many(&mut batch, TRIGGER_BATCH).await > 0 {
        let Some(inner) = weak.upgrade() else {
            break;
        };
        let client = Client { inner };
        let mut lane = client.inner.lane.lock().await;
        lane.runner.reap();
        for event in batch.drain(..) {
            client.dispatch_owned(&mut lane, &event).await;
        }
    }
}

/// The future of [`Client::wait`]: the next matching event.
#[derive(Debug)]
#[must_use = "a wait does nothing unless awaited"]
pub struct Wait {
    rx: oneshot::Receiver<Event>,
}

impl Future for Wait {
    type Output = Result<Event, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.map_err(|_| Error::Closed))
    }
}
