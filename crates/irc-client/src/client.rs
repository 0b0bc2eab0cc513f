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
use crate::handler::{self, ErasedHandler, Handler};

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
    /// Goes up with every registration, so the dispatcher knows when what
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
    /// Events to the dispatcher task, in arrival order.
    dispatch_tx: mpsc::UnboundedSender<Dispatch>,
    /// One place per server event between the read loop and the start of
    /// its handlers: the bound of the dispatch backlog.
    pub(crate) backlog: Arc<Backlog>,
    /// The dispatcher's end, until the dispatcher task is started.
    dispatch_rx: Mutex<Option<mpsc::UnboundedReceiver<Dispatch>>>,
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

/// What the dispatcher task receives.
pub(crate) enum Dispatch {
    /// A triggered or local event for the handlers and waiters.
    Event(Box<Event>),
    /// Events from the read loop, in order, sent together, each with its
    /// place in the backlog (given back once its handlers started).
    Batch(Vec<(Event, Option<Place>)>),
    /// Wait for the running handlers, then answer.
    Flush(oneshot::Sender<()>),
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
        let backlog = Arc::new(Backlog::new(config.dispatch_backlog));
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
                backlog,
                dispatch_rx: Mutex::new(Some(dispatch_rx)),
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
    /// waiters resolve, in order with the events from the server.
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] outside a tokio runtime, [`Error::Closed`] when
    /// the dispatcher has stopped, [`Error::Pack`] for a message that could
    /// not have come from a server (one that cannot be written as a line: a
    /// CR, LF or NUL, a space in a middle parameter, ...).
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
            .send(Dispatch::Event(Box::new(event)))
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

    /// Hands a local event to the dispatcher.
    pub(crate) fn dispatch(&self, event: Event) {
        // The receiver lives as long as `Inner`, which `self` keeps alive.
        let _ = self
            .inner
            .dispatch_tx
            .send(Dispatch::Event(Box::new(event)));
    }

    /// Hands events to the dispatcher together, in order.
    pub(crate) fn dispatch_batch(&self, events: Vec<(Event, Option<Place>)>) {
        if !events.is_empty() {
            let _ = self.inner.dispatch_tx.send(Dispatch::Batch(events));
        }
    }

    /// How many places of the dispatch backlog are taken: events from the
    /// server waiting for their handlers to be started, plus the one the
    /// read loop keeps for its next line while connected. Never more than
    /// [`dispatch_backlog`](ClientBuilder::dispatch_backlog); the read
    /// loop pauses while it is full.
    #[must_use]
    pub fn dispatch_backlog(&self) -> usize {
        self.inner.backlog.taken()
    }

    /// Waits until every handler started so far has finished (or was
    /// cancelled after the shutdown timeout).
    pub(crate) async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.inner.dispatch_tx.send(Dispatch::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Starts the dispatcher task, once.
    pub(crate) fn ensure_dispatcher(&self) -> Result<(), Error> {
        let mut slot = lock(&self.inner.dispatch_rx);
        if slot.is_none() {
            return Ok(());
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        if let Some(rx) = slot.take() {
            let weak = Arc::downgrade(&self.inner);
            let permits = self.inner.config.max_concurrent_handlers;
            let timeout = self.inner.config.handler_shutdown_timeout;
            runtime.spawn(dispatch_loop(weak, rx, permits, timeout));
        }
        Ok(())
    }

    fn resolve_waiters(&self, event: &Event) {
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
    schema: Schema,
    list: Vec<ErasedHandler>,
}

/// What the read loop and the dispatcher remember of the handler table:
/// the last event names they looked up (by identity: the names of common
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

    /// Whether an event of this name has anyone to go to: a handler, or
    /// any pending `wait` (checked as a whole, not by name).
    pub(crate) fn wanted(&mut self, client: &Client, name: &EventName) -> bool {
        client.inner.waiting.load(Ordering::Acquire) > 0 || self.get(client, name).is_some()
    }

    fn get(&mut self, client: &Client, name: &EventName) -> Option<&Arc<HandlerSet>> {
        let generation = client.inner.generation.load(Ordering::Acquire);
        if generation != self.generation {
            self.entries.clear();
            self.generation = generation;
        }
        let i = match self.entries.iter().position(|(n, _)| n.same_as(name)) {
            Some(i) => i,
            None => {
                if self.entries.len() == Self::SIZE {
                    self.entries.remove(0);
                }
                self.entries.push((name.clone(), client.handlers_for(name)));
                self.entries.len() - 1
            }
        };
        self.entries.get(i).and_then(|(_, set)| set.as_ref())
    }
}

/// The bound on events between the read loop and the start of their
/// handlers: a counter of places taken, and a wake-up for a read loop that
/// waits for one. Cheaper than a semaphore: taking and giving back a place
/// are one atomic operation each, with no lock.
#[derive(Debug)]
pub(crate) struct Backlog {
    taken: AtomicUsize,
    bound: usize,
    room: Notify,
}

impl Backlog {
    /// A backlog of `bound` places (at least one).
    pub(crate) fn new(bound: usize) -> Self {
        Self {
            taken: AtomicUsize::new(0),
            bound: bound.max(1),
            room: Notify::new(),
        }
    }

    /// How many places are taken.
    pub(crate) fn taken(&self) -> usize {
        // A failed `try_take` is over the bound for an instant.
        self.taken.load(Ordering::Acquire).min(self.bound)
    }

    /// Takes a place when there is one.
    pub(crate) fn try_take(&self) -> Option<Place> {
        // One atomic add in the common case; over the bound, it is undone
        // (a place given back meanwhile sees a full backlog and wakes the
        // taker, which then tries again).
        if self.taken.fetch_add(1, Ordering::AcqRel) < self.bound {
            Some(Place(()))
        } else {
            self.taken.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }

    /// Waits for a place.
    pub(crate) async fn take(&self) -> Place {
        loop {
            // Made before the test, so a place given back in between is
            // not missed (`notify_one` keeps its wake-up for it).
            let room = self.room.notified();
            if let Some(place) = self.try_take() {
                return place;
            }
            room.await;
        }
    }

    /// Gives a place back.
    pub(crate) fn give_back(&self, place: Place) {
        let Place(()) = place;
        if self.taken.fetch_sub(1, Ordering::AcqRel) >= self.bound {
            // The backlog was full: the read loop may be waiting.
            self.room.notify_one();
        }
    }
}

/// One place in the [`Backlog`], to give back with [`Backlog::give_back`]
/// (one that is dropped instead stays taken: only events lost with their
/// client are).
#[derive(Debug)]
#[must_use = "a place is given back with `Backlog::give_back`"]
pub(crate) struct Place(());

/// The most events the dispatcher takes from its channel at once.
const DISPATCH_BATCH: usize = 64;

/// The dispatcher: one task per client, fed in arrival order. It resolves
/// waiters, then starts each matching handler once a permit of the
/// semaphore is free: its first poll runs here, and only a handler that has
/// to wait becomes a task of its own, holding the permit. It holds the
/// client weakly, so it ends when the last handle is dropped (the channel
/// closes).
async fn dispatch_loop(
    weak: Weak<Inner>,
    mut rx: mpsc::UnboundedReceiver<Dispatch>,
    permits: usize,
    shutdown_timeout: std::time::Duration,
) {
    let Some(backlog) = weak.upgrade().map(|inner| Arc::clone(&inner.backlog)) else {
        return;
    };
    let mut d = Dispatcher {
        weak,
        backlog,
        semaphore: Arc::new(Semaphore::new(permits)),
        tasks: JoinSet::new(),
        cache: HandlerCache::new(),
    };
    // Several events per wake-up when they come fast.
    let mut batch = Vec::with_capacity(DISPATCH_BATCH);
    'recv: while rx.recv_many(&mut batch, DISPATCH_BATCH).await > 0 {
        // Reap finished handler tasks so the set does not grow.
        while d.tasks.try_join_next().is_some() {}
        for item in batch.drain(..) {
            match item {
                Dispatch::Event(event) => {
                    let Some(inner) = d.weak.upgrade() else {
                        break 'recv;
                    };
                    d.dispatch(&Client { inner }, *event, None).await;
                }
                Dispatch::Batch(events) => {
                    let Some(inner) = d.weak.upgrade() else {
                        break 'recv;
                    };
                    let client = Client { inner };
                    for (event, place) in events {
                        d.dispatch(&client, event, place).await;
                    }
                }
                Dispatch::Flush(done) => {
                    let tasks = &mut d.tasks;
                    let all = async { while tasks.join_next().await.is_some() {} };
                    if tokio::time::timeout(shutdown_timeout, all).await.is_err() {
                        tracing::warn!(
                            running = d.tasks.len(),
                            "handlers still running at shutdown: cancelled"
                        );
                        d.tasks.shutdown().await;
                    }
                    let _ = done.send(());
                }
            }
        }
    }
    d.tasks.shutdown().await;
}

/// The dispatcher's state: the client (weakly), the bound on running
/// handlers, their tasks, and what it remembers of the handler table.
struct Dispatcher {
    weak: Weak<Inner>,
    backlog: Arc<Backlog>,
    semaphore: Arc<Semaphore>,
    tasks: JoinSet<()>,
    cache: HandlerCache,
}

impl Dispatcher {
    /// Resolves the waiters of one event and starts its handlers, in
    /// order. The event's place in the backlog is given back once they
    /// have started.
    async fn dispatch(&mut self, client: &Client, event: Event, place: Option<Place>) {
        self.start_handlers(client, event).await;
        if let Some(place) = place {
            self.backlog.give_back(place);
        }
    }

    async fn start_handlers(&mut self, client: &Client, event: Event) {
        tracing::trace!(event = %event.name(), "dispatch");
        client.resolve_waiters(&event);
        let Some(handlers) = self.cache.get(client, event.name()) else {
            return;
        };
        let (semaphore, tasks) = (&self.semaphore, &mut self.tasks);
        let ctx = handler::context(client.clone(), event, handlers.schema);
        for h in &handlers.list {
            match h(&ctx) {
                Ok(mut fut) => {
                    // A free slot is enough for the first poll: only this
                    // loop takes slots, so it is still free if the handler
                    // needs a task.
                    if semaphore.available_permits() == 0 && semaphore.acquire().await.is_err() {
                        break;
                    }
                    // The first poll runs here: a handler that does not
                    // wait finishes without a task of its own.
                    let first = std::future::poll_fn(|cx| {
                        Poll::Ready(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                            || fut.as_mut().poll(cx),
                        )))
                    })
                    .await;
                    match first {
                        Ok(Poll::Ready(())) => continue,
                        Ok(Poll::Pending) => {}
                        Err(_) => {
                            tracing::error!(event = %ctx.event().name(), "handler panicked");
                            continue;
                        }
                    }
                    let Ok(permit) = Arc::clone(semaphore).acquire_owned().await else {
                        break;
                    };
                    let name = ctx.event().name().clone();
                    tasks.spawn(async move {
                        let _permit = permit;
                        if std::panic::AssertUnwindSafe(fut)
                            .catch_unwind()
                            .await
                            .is_err()
                        {
                            tracing::error!(event = %name, "handler panicked");
                        }
                    });
                }
                Err(param) => tracing::debug!(
                    event = %ctx.event().name(),
                    param,
                    "handler skipped: the event lacks a parameter"
                ),
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_backlog_bounds_places_and_wakes_a_waiter() {
        let backlog = Arc::new(Backlog::new(2));
        let a = backlog.try_take().expect("room");
        let b = backlog.try_take().expect("room");
        assert!(backlog.try_take().is_none());
        assert_eq!(backlog.taken(), 2);
        let waiter = tokio::spawn({
            let backlog = Arc::clone(&backlog);
            async move { backlog.take().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        backlog.give_back(a);
        let c = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken in time")
            .expect("task");
        assert_eq!(backlog.taken(), 2);
        backlog.give_back(b);
        backlog.give_back(c);
        assert_eq!(backlog.taken(), 0);
        assert_eq!(Backlog::new(0).bound, 1);
    }
}
