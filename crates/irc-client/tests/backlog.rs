//! The dispatch backlog: a flood from the server against slow handlers
//! keeps a bounded number of events waiting, loses none, keeps their order,
//! and still gets its `PING` answered.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use irc_client::Client;
use irc_client::extract::Text;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::time::timeout;

/// How long any single step may take before the test fails.
const STEP: Duration = Duration::from_secs(10);

/// A scripted server: registers the client, then writes `lines` in one go.
struct Peer {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Peer {
    async fn recv(&mut self) -> String {
        let mut line = String::new();
        let n = timeout(STEP, self.reader.read_line(&mut line))
            .await
            .expect("the client sent nothing in time")
            .expect("read");
        assert!(n > 0, "the client closed the connection");
        line.trim_end().to_owned()
    }

    async fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).await.expect("write");
    }

    async fn register(&mut self) {
        assert_eq!(self.recv().await, "CAP LS 302");
        self.send(":srv CAP * LS :\r\n").await;
        assert_eq!(self.recv().await, "CAP END");
        assert_eq!(self.recv().await, "NICK bot");
        assert!(self.recv().await.starts_with("USER "));
        self.send(":srv 001 bot :Welcome\r\n").await;
    }

    /// The next line from the client that is not a `PING` of the keepalive.
    async fn recv_pong(&mut self) -> String {
        for _ in 0..10 {
            let line = self.recv().await;
            if line.starts_with("PONG") {
                return line;
            }
        }
        panic!("no PONG among ten lines");
    }
}

async fn start(
    builder: impl FnOnce(irc_client::ClientBuilder) -> irc_client::ClientBuilder,
) -> (Client, Peer) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = builder(Client::builder("127.0.0.1", port, "bot")).build();
    {
        let client = client.clone();
        tokio::spawn(async move { client.run_once().await });
    }
    let (stream, _) = timeout(STEP, listener.accept())
        .await
        .expect("no connection")
        .expect("accept");
    let (r, w) = stream.into_split();
    (
        client,
        Peer {
            reader: BufReader::new(r),
            writer: w,
        },
    )
}

/// Counts the handlers under way: made when a handler is called, dropped
/// when its future is done.
struct UnderWay(Arc<AtomicUsize>);

impl UnderWay {
    fn new(count: &Arc<AtomicUsize>, peak: &AtomicUsize) -> Self {
        let now = count.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        Self(Arc::clone(count))
    }
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a flood against slow handlers showed.
struct Flood {
    /// The texts (numbers) the handlers saw, in the order they finished.
    seen: Vec<usize>,
    /// The fullest the dispatch backlog was, seen from the handlers.
    backlog_peak: usize,
    /// The most handlers under way at once.
    under_way_peak: usize,
}

/// How many lines a flood has.
const LINES: usize = 300;

/// `slots` handler slots, a backlog of `backlog`, a handler that sleeps,
/// and `LINES` lines with a `PING` behind them written in one go: the
/// `PING` is answered, and every handler finishes.
async fn flood_against_slow_handlers(slots: usize, backlog: usize) -> Flood {
    let (client, mut peer) =
        start(|b| b.max_concurrent_handlers(slots).dispatch_backlog(backlog)).await;
    // At most the place the read loop keeps for the next line.
    assert!(client.dispatch_backlog() <= 1);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let backlog_peak = Arc::new(AtomicUsize::new(0));
    let under_way = Arc::new(AtomicUsize::new(0));
    let under_way_peak = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let seen = Arc::clone(&seen);
        let backlog_peak = Arc::clone(&backlog_peak);
        let under_way_peak = Arc::clone(&under_way_peak);
        client
            .on("PRIVMSG", move |client: Client, Text(t): Text| {
                let seen = Arc::clone(&seen);
                let backlog_peak = Arc::clone(&backlog_peak);
                let guard = UnderWay::new(&under_way, &under_way_peak);
                let done_tx = done_tx.clone();
                async move {
                    let _guard = guard;
                    backlog_peak.fetch_max(client.dispatch_backlog(), Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let mut seen = seen.lock().expect("lock");
                    seen.push(t.parse::<usize>().expect("number"));
                    if seen.len() == LINES {
                        let _ = done_tx.send(());
                    }
                }
            })
            .expect("on");
    }
    peer.register().await;
    let flood: String = (0..LINES)
        .map(|i| format!(":a!b@c PRIVMSG #c :{i}\r\n"))
        .chain(std::iter::once("PING :after-the-flood\r\n".to_owned()))
        .collect();
    peer.send(&flood).await;
    // The PING behind the flood is answered once the backlog has drained
    // far enough to read it.
    assert_eq!(peer.recv_pong().await, "PONG after-the-flood");
    timeout(STEP, done_rx.recv())
        .await
        .expect("not every event arrived in time")
        .expect("handler gone");
    assert!(client.dispatch_backlog() <= backlog);
    let _ = client.quit("bye");
    let seen = seen.lock().expect("lock").clone();
    Flood {
        seen,
        backlog_peak: backlog_peak.load(Ordering::SeqCst),
        under_way_peak: under_way_peak.load(Ordering::SeqCst),
    }
}

/// One slot and a backlog of 8: the handlers run one after the other, in
/// order, and the backlog fills up without growing past its bound.
async fn one_slot_stays_within_the_backlog() {
    const BACKLOG: usize = 8;
    let flood = flood_against_slow_handlers(1, BACKLOG).await;
    let want: Vec<usize> = (0..LINES).collect();
    assert_eq!(flood.seen, want, "events lost or reordered");
    let peak = flood.backlog_peak;
    assert!(peak <= BACKLOG, "backlog grew to {peak} (bound {BACKLOG})");
    // The handlers were slower than the flood: the backlog filled up.
    assert!(peak >= BACKLOG / 2, "backlog peaked at {peak} only");
    assert_eq!(flood.under_way_peak, 1, "handlers under way at once");
}

/// Several slots: every event is handled, never more than `slots`
/// handlers at once, and all slots get used.
async fn under_way_within_slots(slots: usize) {
    let mut flood = flood_against_slow_handlers(slots, 16).await;
    flood.seen.sort_unstable();
    assert_eq!(flood.seen, (0..LINES).collect::<Vec<_>>(), "events lost");
    assert_eq!(
        flood.under_way_peak, slots,
        "handlers under way at once (slots: {slots})"
    );
}

#[tokio::test]
async fn a_flood_against_slow_handlers_stays_within_the_backlog() {
    one_slot_stays_within_the_backlog().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_against_slow_handlers_stays_within_the_backlog_on_two_threads() {
    one_slot_stays_within_the_backlog().await;
}

#[tokio::test]
async fn no_more_handlers_are_under_way_than_there_are_slots() {
    under_way_within_slots(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_handlers_are_under_way_than_there_are_slots_on_two_threads() {
    under_way_within_slots(3).await;
}

#[tokio::test]
async fn a_handler_that_panics_after_waiting_is_contained() {
    let (client, mut peer) = start(|b| b).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    client
        .on("PRIVMSG", |Text(t): Text| async move {
            tokio::task::yield_now().await;
            assert!(t != "boom", "handler exploded after an await");
        })
        .expect("on");
    client
        .on("PRIVMSG", move |Text(t): Text| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(t);
            }
        })
        .expect("on");
    peer.register().await;
    peer.send(":a!b@c PRIVMSG #c :boom\r\n:a!b@c PRIVMSG #c :after\r\n")
        .await;
    for want in ["boom", "after"] {
        let got = timeout(STEP, rx.recv()).await.expect("in time");
        assert_eq!(got.as_deref(), Some(want));
    }
    peer.send("PING :alive\r\n").await;
    assert_eq!(peer.recv_pong().await, "PONG alive");
    let _ = client.quit("bye");
}

#[tokio::test]
async fn shutdown_with_stuck_handlers_is_bounded_and_still_says_disconnect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = Client::builder("127.0.0.1", port, "bot")
        .max_concurrent_handlers(1)
        .handler_shutdown_timeout(Duration::from_millis(200))
        .build();
    let started = Arc::new(AtomicUsize::new(0));
    {
        let started = Arc::clone(&started);
        client
            .on("PRIVMSG", move |Text(_): Text| {
                started.fetch_add(1, Ordering::SeqCst);
                // Never done: holds the only slot.
                std::future::pending::<()>()
            })
            .expect("on");
    }
    let (down_tx, mut down_rx) = tokio::sync::mpsc::unbounded_channel();
    client
        .on("CLIENT_DISCONNECT", move || {
            let down_tx = down_tx.clone();
            async move {
                let _ = down_tx.send(());
            }
        })
        .expect("on");
    let run = {
        let client = client.clone();
        tokio::spawn(async move { client.run_once().await })
    };
    let (stream, _) = timeout(STEP, listener.accept())
        .await
        .expect("no connection")
        .expect("accept");
    let (r, w) = stream.into_split();
    let mut peer = Peer {
        reader: BufReader::new(r),
        writer: w,
    };
    peer.register().await;
    peer.send(":a!b@c PRIVMSG #c :1\r\n:a!b@c PRIVMSG #c :2\r\n:a!b@c PRIVMSG #c :3\r\n")
        .await;
    // The first event takes the slot; the two others wait behind it.
    let waited = std::time::Instant::now();
    while client.dispatch_backlog() < 2 {
        assert!(waited.elapsed() < STEP, "the events never waited");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(peer);
    let t = std::time::Instant::now();
    let ended = timeout(STEP, run)
        .await
        .expect("run_once did not end")
        .expect("task");
    assert!(
        matches!(ended, Ok(irc_client::Ended::ServerClosed)),
        "{ended:?}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        t.elapsed()
    );
    assert!(down_rx.try_recv().is_ok(), "CLIENT_DISCONNECT handler ran");
    assert_eq!(started.load(Ordering::SeqCst), 1, "waiting events dropped");
    assert_eq!(client.dispatch_backlog(), 0);
}
