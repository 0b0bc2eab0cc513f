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

#[tokio::test]
async fn a_flood_against_slow_handlers_stays_within_the_backlog() {
    flood_against_slow_handlers().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_against_slow_handlers_stays_within_the_backlog_on_two_threads() {
    flood_against_slow_handlers().await;
}

/// One handler slot, a handler that sleeps, a backlog of 8, and 300 lines
/// with a `PING` behind them written in one go.
async fn flood_against_slow_handlers() {
    const LINES: usize = 300;
    const BACKLOG: usize = 8;
    let (client, mut peer) =
        start(|b| b.max_concurrent_handlers(1).dispatch_backlog(BACKLOG)).await;
    // At most the place the read loop keeps for the next line.
    assert!(client.dispatch_backlog() <= 1);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let peak = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let seen = Arc::clone(&seen);
        let peak = Arc::clone(&peak);
        client
            .on("PRIVMSG", move |client: Client, Text(t): Text| {
                let seen = Arc::clone(&seen);
                let peak = Arc::clone(&peak);
                let done_tx = done_tx.clone();
                async move {
                    peak.fetch_max(client.dispatch_backlog(), Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let mut seen = seen.lock().expect("lock");
                    seen.push(t);
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
    let want: Vec<String> = (0..LINES).map(|i| i.to_string()).collect();
    assert_eq!(
        *seen.lock().expect("lock"),
        want,
        "events lost or reordered"
    );
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= BACKLOG, "backlog grew to {peak} (bound {BACKLOG})");
    // The handlers were slower than the flood: the backlog filled up.
    assert!(peak >= BACKLOG / 2, "backlog peaked at {peak} only");
    assert!(client.dispatch_backlog() <= BACKLOG);
    let _ = client.quit("bye");
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

#[tokio::test]
async fn no_more_handlers_are_under_way_than_there_are_slots() {
    under_way_within_slots(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_handlers_are_under_way_than_there_are_slots_on_two_threads() {
    under_way_within_slots(1).await;
    under_way_within_slots(3).await;
}

/// `slots` slots, handlers that wait, 200 events: every event is handled,
/// never more than `slots` handlers at once, and all slots get used.
async fn under_way_within_slots(slots: usize) {
    const LINES: usize = 200;
    let (client, mut peer) = start(|b| b.max_concurrent_handlers(slots).dispatch_backlog(16)).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let under_way = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let seen = Arc::clone(&seen);
        let under_way = Arc::clone(&under_way);
        let peak = Arc::clone(&peak);
        client
            .on("PRIVMSG", move |Text(t): Text| {
                let seen = Arc::clone(&seen);
                let guard = UnderWay::new(&under_way, &peak);
                let done_tx = done_tx.clone();
                async move {
                    let _guard = guard;
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
        .collect();
    peer.send(&flood).await;
    timeout(STEP, done_rx.recv())
        .await
        .expect("not every event arrived in time")
        .expect("handler gone");
    let mut seen = seen.lock().expect("lock").clone();
    if slots == 1 {
        assert!(seen.is_sorted(), "one slot: handlers run in order");
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..LINES).collect::<Vec<_>>(), "events lost");
    let peak = peak.load(Ordering::SeqCst);
    assert_eq!(peak, slots, "handlers under way at once (slots: {slots})");
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
