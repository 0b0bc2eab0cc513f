//! The connection under stress: keepalive (paused clock), reconnection with
//! backoff and state restore, SASL in registration (every line checked),
//! flood control and backpressure, TLS (rustls against an rcgen CA), STS;
//! scripted peers on loopback, and ngIRCd where a real server matters.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use irc_client::flood::FloodConfig;
use irc_client::sasl::{Mechanism, SaslCredentials};
use irc_client::state::register::SaslFailure;
use irc_client::tls::TlsConfig;
use irc_client::{Client, ClientBuilder, Ended, Error, RegistrationError};
use irc_testkit::{Kind, Server};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

/// How long one step may take in real time.
const STEP: Duration = Duration::from_secs(10);

/// One scripted server connection over any stream (TCP or TLS).
struct Peer {
    reader: BufReader<Box<dyn AsyncRead + Send + Unpin>>,
    writer: Box<dyn AsyncWrite + Send + Unpin>,
    step: Duration,
}

impl Peer {
    fn new<S: AsyncRead + AsyncWrite + Send + 'static>(stream: S, step: Duration) -> Self {
        let (r, w) = tokio::io::split(stream);
        Self {
            reader: BufReader::new(Box::new(r)),
            writer: Box::new(w),
            step,
        }
    }

    /// The next line from the client; `None` at EOF.
    async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = timeout(self.step, self.reader.read_line(&mut line))
            .await
            .expect("the client sent nothing in time")
            .ok()?;
        if n == 0 {
            return None;
        }
        assert!(line.ends_with("\r\n"), "line without CRLF: {line:?}");
        line.truncate(line.len() - 2);
        Some(line)
    }

    /// The next line, skipping the channel-state queries the client makes
    /// on its own after a JOIN (`MODE #c`, `WHO #c`).
    async fn recv(&mut self) -> String {
        loop {
            let line = self.line().await.expect("the client closed the connection");
            if !(line.starts_with("MODE #") || line.starts_with("WHO #")) {
                return line;
            }
        }
    }

    async fn expect(&mut self, want: &str) {
        assert_eq!(self.recv().await, want);
    }

    async fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("write");
    }

    /// CAP LS with `caps`, REQ/ACK of what the client asks, then NICK, USER
    /// and 001.
    async fn register_with(&mut self, caps: &str, nick: &str) {
        self.expect("CAP LS 302").await;
        self.send(&format!(":srv CAP * LS :{caps}")).await;
        let mut line = self.recv().await;
        if let Some(req) = line.strip_prefix("CAP REQ ") {
            let req = req.trim_start_matches(':').to_owned();
            self.send(&format!(":srv CAP * ACK :{req}")).await;
            line = self.recv().await;
        }
        assert_eq!(line, "CAP END");
        self.expect(&format!("NICK {nick}")).await;
        assert!(self.recv().await.starts_with("USER "));
        self.send(&format!(":srv 001 {nick} :Welcome")).await;
    }
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

async fn accept(l: &TcpListener, step: Duration) -> Peer {
    let (s, _) = timeout(step, l.accept())
        .await
        .expect("no connection")
        .expect("accept");
    Peer::new(s, step)
}

fn builder(port: u16) -> ClientBuilder {
    Client::builder("127.0.0.1", port, "bot")
        .capabilities(Vec::<String>::new())
        .quit_timeout(Duration::from_secs(2))
}

fn spawn_once(client: &Client) -> JoinHandle<Result<Ended, Error>> {
    let c = client.clone();
    tokio::spawn(async move { c.run_once().await })
}

fn spawn_run(client: &Client) -> JoinHandle<Result<(), Error>> {
    let c = client.clone();
    tokio::spawn(async move { c.run().await })
}

/// Counts the events of this name in a channel.
fn count(client: &Client, event: &'static str) -> mpsc::UnboundedReceiver<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    client
        .on(event, move || {
            let tx = tx.clone();
            async move {
                let _ = tx.send(());
            }
        })
        .expect("on");
    rx
}

async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>, step: Duration) -> T {
    timeout(step, rx.recv())
        .await
        .expect("nothing arrived in time")
        .expect("closed")
}

// ---------------------------------------------------------------- keepalive

#[tokio::test(start_paused = true)]
async fn a_silent_server_gets_pings_then_is_dropped() {
    let virtual_step = Duration::from_secs(600);
    let (l, port) = listener().await;
    let client = builder(port)
        .server_timeout(Duration::from_secs(100))
        .build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, virtual_step).await;
    peer.register_with("", "bot").await;
    let t0 = Instant::now();
    // 0.45 x 100 s of silence: PING; again 45 s later; closed at 100 s.
    peer.expect("PING 127.0.0.1").await;
    let first = t0.elapsed();
    assert!(
        first >= Duration::from_secs(45) && first < Duration::from_secs(46),
        "{first:?}"
    );
    peer.expect("PING 127.0.0.1").await;
    let second = t0.elapsed();
    assert!(
        second >= Duration::from_secs(90) && second < Duration::from_secs(91),
        "{second:?}"
    );
    assert_eq!(peer.line().await, None);
    let closed = t0.elapsed();
    assert!(
        closed >= Duration::from_secs(100) && closed < Duration::from_secs(101),
        "{closed:?}"
    );
    let ended = timeout(virtual_step, run)
        .await
        .expect("run")
        .expect("join");
    assert_eq!(ended.expect("ended"), Ended::PingTimeout);
}

#[tokio::test(start_paused = true)]
async fn an_answering_server_stays_connected() {
    let virtual_step = Duration::from_secs(600);
    let (l, port) = listener().await;
    let client = builder(port)
        .server_timeout(Duration::from_secs(100))
        .build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, virtual_step).await;
    peer.register_with("", "bot").await;
    for _ in 0..4 {
        let t = Instant::now();
        peer.expect("PING 127.0.0.1").await;
        assert!(t.elapsed() >= Duration::from_secs(45));
        peer.send(":srv PONG srv :127.0.0.1").await;
    }
    // Four answered rounds: well past the 100 s timeout, still up.
    assert!(client.is_connected());
    client.quit("bye").expect("quit");
    peer.expect("QUIT bye").await;
    drop(peer);
    let ended = timeout(virtual_step, run)
        .await
        .expect("run")
        .expect("join");
    assert_eq!(ended.expect("ended"), Ended::Quit);
}

// ---------------------------------------------------------------- reconnect

fn quick_backoff(b: ClientBuilder) -> ClientBuilder {
    b.backoff(irc_client::backoff::BackoffConfig {
        initial: Duration::from_millis(100),
        jitter: Duration::ZERO,
        ..Default::default()
    })
}

#[tokio::test]
async fn reconnects_and_restores_nick_caps_and_channels() {
    let (l, port) = listener().await;
    let client = quick_backoff(builder(port).capabilities(["multi-prefix"])).build();
    let mut connects = count(&client, "CLIENT_CONNECT");
    let mut disconnects = count(&client, "CLIENT_DISCONNECT");
    let run = spawn_run(&client);

    let mut peer = accept(&l, STEP).await;
    peer.expect("CAP LS 302").await;
    peer.send(":srv CAP * LS :multi-prefix away-notify").await;
    peer.expect("CAP REQ multi-prefix").await;
    peer.send(":srv CAP * ACK :multi-prefix").await;
    peer.expect("CAP END").await;
    peer.expect("NICK bot").await;
    peer.expect("USER bot 0 * bot").await;
    peer.send(":srv 001 bot :Welcome").await;
    next(&mut connects, STEP).await;

    client.send_raw("JOIN #keyed,#open secret").expect("join");
    peer.expect("JOIN #keyed,#open secret").await;
    peer.send(":bot!u@h JOIN #keyed").await;
    peer.send(":bot!u@h JOIN #open").await;
    client.send_raw("JOIN #left").expect("join");
    peer.expect("JOIN #left").await;
    peer.send(":bot!u@h JOIN #left").await;
    peer.send(":bot!u@h PART #left :bye").await;
    client.send_raw("JOIN #kicked").expect("join");
    peer.expect("JOIN #kicked").await;
    peer.send(":bot!u@h JOIN #kicked").await;
    peer.send(":op!u@h KICK #kicked bot :out").await;
    client.send_raw("CAP REQ away-notify").expect("cap");
    peer.expect("CAP REQ away-notify").await;
    peer.send(":srv CAP bot ACK :away-notify").await;
    client.send_raw("NICK newbot").expect("nick");
    peer.expect("NICK newbot").await;
    peer.send(":bot!u@h NICK newbot").await;
    let w = client.wait("PING");
    peer.send("PING :sync").await;
    peer.expect("PONG sync").await;
    timeout(STEP, w).await.expect("sync").expect("wait");
    assert_eq!(client.nick(), "newbot");

    // The server drops the connection.
    drop(peer);
    next(&mut disconnects, STEP).await;

    let mut peer = accept(&l, STEP).await;
    peer.expect("CAP LS 302").await;
    peer.send(":srv CAP * LS :multi-prefix away-notify").await;
    peer.expect("CAP REQ :multi-prefix away-notify").await;
    peer.send(":srv CAP * ACK :multi-prefix away-notify").await;
    peer.expect("CAP END").await;
    peer.expect("NICK newbot").await;
    peer.expect("USER bot 0 * bot").await;
    peer.send(":srv 001 newbot :Welcome").await;
    peer.expect("JOIN #keyed secret").await;
    peer.expect("JOIN #open").await;
    next(&mut connects, STEP).await;

    client.quit("done").expect("quit");
    peer.expect("QUIT done").await;
    drop(peer);
    let result = timeout(STEP, run).await.expect("run ended").expect("join");
    assert!(result.is_ok(), "{result:?}");
    next(&mut disconnects, STEP).await;
    assert!(connects.try_recv().is_err());
}

#[tokio::test]
async fn a_taken_nick_on_reconnect_falls_back_to_the_configured_one() {
    let (l, port) = listener().await;
    let client = quick_backoff(builder(port)).build();
    let run = spawn_run(&client);
    let mut peer = accept(&l, STEP).await;
    peer.register_with("", "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
    client.send_raw("NICK other").expect("nick");
    peer.expect("NICK other").await;
    drop(peer);
    let mut peer = accept(&l, STEP).await;
    peer.expect("CAP LS 302").await;
    peer.send(":srv CAP * LS :").await;
    peer.expect("CAP END").await;
    peer.expect("NICK other").await;
    peer.recv().await;
    peer.send(":srv 433 * other :Nickname is already in use")
        .await;
    peer.expect("NICK bot").await;
    peer.send(":srv 001 bot :Welcome").await;
    client.quit("done").expect("quit");
    peer.expect("QUIT done").await;
    drop(peer);
    assert!(
        timeout(STEP, run)
            .await
            .expect("run ended")
            .expect("join")
            .is_ok()
    );
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    // A port that refuses connections.
    let (l, port) = listener().await;
    drop(l);
    let client = quick_backoff(builder(port))
        .max_reconnect_attempts(Some(2))
        .build();
    let started = std::time::Instant::now();
    let result = timeout(STEP, client.run()).await.expect("run ended");
    match result {
        Err(Error::GaveUp { attempts, last }) => {
            assert_eq!(attempts, 2);
            assert!(matches!(*last, Error::Connect { .. }), "{last:?}");
        }
        other => panic!("{other:?}"),
    }
    // Two waits: 100 ms then 175 ms.
    assert!(started.elapsed() >= Duration::from_millis(275));
}

#[tokio::test]
async fn quit_while_waiting_to_reconnect_stops_run() {
    let (l, port) = listener().await;
    let client = builder(port)
        .backoff(irc_client::backoff::BackoffConfig {
            initial: Duration::from_secs(3600),
            jitter: Duration::ZERO,
            ..Default::default()
        })
        .build();
    let mut disconnects = count(&client, "CLIENT_DISCONNECT");
    let run = spawn_run(&client);
    let mut peer = accept(&l, STEP).await;
    peer.register_with("", "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
    drop(peer);
    next(&mut disconnects, STEP).await;
    assert!(!client.is_connected());
    client.quit("stop").expect("quit while waiting");
    let result = timeout(STEP, run).await.expect("run ended").expect("join");
    assert!(result.is_ok(), "{result:?}");
    // Not running any more: quit now says so.
    assert!(matches!(client.quit("again"), Err(Error::NotConnected)));
}

#[tokio::test]
async fn run_once_reports_why_the_connection_ended() {
    let (l, port) = listener().await;
    let client = builder(port).build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, STEP).await;
    peer.register_with("", "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
    drop(peer);
    let ended = timeout(STEP, run).await.expect("ended").expect("join");
    assert_eq!(ended.expect("ok"), Ended::ServerClosed);
}

// ---------------------------------------------------------------- bad input

/// A `tracing` writer into a shared buffer, to read what was logged.
#[derive(Clone, Default)]
struct LogBuf(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuf {
    fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

/// Captures `warn` and above on this thread (the tests run on a
/// current-thread runtime, so the client's tasks log here too).
fn capture_warnings() -> (LogBuf, tracing::subscriber::DefaultGuard) {
    let buf = LogBuf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    (buf, tracing::subscriber::set_default(subscriber))
}

/// The texts of the PRIVMSGs the client's handler saw.
fn privmsgs(client: &Client) -> mpsc::UnboundedReceiver<String> {
    use irc_client::extract::Text;
    let (tx, rx) = mpsc::unbounded_channel();
    client
        .on("PRIVMSG", move |Text(text): Text| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(text);
            }
        })
        .expect("on");
    rx
}

impl Peer {
    /// Writes raw bytes, flushed.
    async fn raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
        self.writer.flush().await.expect("flush");
    }

    /// Writes `bytes` one byte per write, flushed, with a pause now and then
    /// so that the client gets them in many reads.
    async fn trickle(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            self.raw(std::slice::from_ref(b)).await;
            if i % 4 == 3 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// Accepts with Nagle off, so that each small write leaves as its own
/// segment.
async fn accept_nodelay(l: &TcpListener) -> Peer {
    let (s, _) = timeout(STEP, l.accept())
        .await
        .expect("no connection")
        .expect("accept");
    s.set_nodelay(true).expect("nodelay");
    Peer::new(s, STEP)
}

#[tokio::test]
async fn bad_input_is_dropped_counted_and_logged_and_the_connection_lives_on() {
    let (log, _guard) = capture_warnings();
    let (l, port) = listener().await;
    let client = builder(port).build();
    let mut texts = privmsgs(&client);
    let run = spawn_once(&client);
    let mut peer = accept_nodelay(&l).await;
    peer.register_with("", "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME"))
        .await
        .expect("001")
        .expect("wait");
    let before = client.stats();
    assert_eq!(before.dropped(), 0);

    // After each kind of garbage, a normal PRIVMSG still reaches the handler.
    let mut n = 0;
    macro_rules! still_alive {
        () => {{
            n += 1;
            peer.send(&format!(":a!b@c PRIVMSG bot :alive {n}")).await;
            assert_eq!(next(&mut texts, STEP).await, format!("alive {n}"));
        }};
    }

    // Overlong: just over the default limit (8703 bytes), and 100 000 bytes
    // in 1000-byte writes (the codec skips it across many reads).
    let over = format!(":a!b@c PRIVMSG bot :{}\r\n", "x".repeat(8_700));
    peer.raw(over.as_bytes()).await;
    still_alive!();
    let huge = "y".repeat(100_000);
    for chunk in huge.as_bytes().chunks(1000) {
        peer.raw(chunk).await;
    }
    peer.raw(b"\r\n").await;
    still_alive!();
    assert_eq!(client.stats().lines_overlong, 2);

    // Invalid UTF-8: read as CP1252, delivered.
    peer.raw(b":a!b@c PRIVMSG bot :caf\xe9 \x80\xff\r\n").await;
    assert_eq!(next(&mut texts, STEP).await, "caf\u{e9} \u{20ac}\u{ff}");
    assert_eq!(client.stats().lines_not_utf8, 1);

    // NUL bytes: inside a parameter the line still parses (and is
    // delivered as it is); as the command, it is no IRC.
    peer.raw(b":a!b@c PRIVMSG bot :nul\0here\r\n").await;
    assert_eq!(next(&mut texts, STEP).await, "nul\0here");
    let garbage: [&[u8]; 9] = [
        b"\0\0\0\r\n",
        // Binary noise: every byte but LF (and a CR only right before it).
        &(0_u8..=255)
            .filter(|b| *b != b'\n' && *b != b'\r')
            .chain(*b"\r\n")
            .collect::<Vec<u8>>(),
        b"      \r\n",
        b":\r\n",
        b"@\r\n",
        b"@secret=tagonly;k2=v2 \r\n",
        b"@secret=tagonly :src.example\r\n",
        b": PRIVMSG bot :empty source\r\n",
        b"\x01\x02\x03 PRIVMSG bot :control bytes as command\r\n",
    ];
    for line in garbage {
        peer.raw(line).await;
        still_alive!();
    }
    let stats = client.stats();
    assert_eq!(stats.lines_unparsable, 9, "{stats:?}");

    // A valid line in one-byte writes, and bare LF mixed with CRLF.
    peer.trickle(b":a!b@c PRIVMSG bot :slowly, one byte at a time\r\n")
        .await;
    assert_eq!(next(&mut texts, STEP).await, "slowly, one byte at a time");
    peer.raw(
        b":a!b@c PRIVMSG bot :lf\n:a!b@c PRIVMSG bot :crlf\r\n\n\r\n:a!b@c PRIVMSG bot :lf again\n",
    )
    .await;
    for want in ["lf", "crlf", "lf again"] {
        assert_eq!(next(&mut texts, STEP).await, want);
    }
    still_alive!();

    let stats = client.stats();
    assert_eq!(
        (
            stats.lines_overlong,
            stats.lines_unparsable,
            stats.lines_not_utf8,
            stats.lines_incomplete
        ),
        // Not UTF-8: the CP1252 line and the binary noise.
        (2, 9, 2, 0)
    );
    // Every line decoded either parsed or was counted as unparsable.
    assert_eq!(
        stats.lines_decoded - before.lines_decoded,
        stats.messages - before.messages + 9
    );
    // The handler saw 2 + 9 + 1 `alive` lines, the CP1252 and NUL lines,
    // the trickled one and the three LF/CRLF ones.
    assert_eq!(stats.messages - before.messages, 12 + 2 + 1 + 3);
    assert!(
        texts.try_recv().is_err(),
        "nothing else reached the handler"
    );

    // Logged at warn with the length, not the bytes.
    let text = log.text();
    assert_eq!(
        text.matches("dropped a line that does not parse").count(),
        9,
        "{text}"
    );
    assert!(text.contains("len=6 "), "{text}");
    assert!(
        text.contains("discarded an overlong line") || text.contains("discarding an overlong line"),
        "{text}"
    );
    assert!(
        !text.contains("tagonly"),
        "raw bytes logged at warn: {text}"
    );
    assert!(!text.contains("xxxx"), "raw bytes logged at warn");

    client.quit("done").expect("quit");
    peer.expect("QUIT done").await;
    drop(peer);
    let ended = timeout(STEP, run).await.expect("ended").expect("join");
    assert_eq!(ended.expect("ok"), Ended::Quit);
}

#[tokio::test]
async fn a_server_closing_mid_line_ends_the_connection_cleanly() {
    let (l, port) = listener().await;
    let client = builder(port).build();
    let mut texts = privmsgs(&client);
    let mut disconnects = count(&client, "CLIENT_DISCONNECT");
    let run = spawn_once(&client);
    let mut peer = accept_nodelay(&l).await;
    peer.register_with("", "bot").await;
    // A whole line in one-byte writes arrives whole.
    peer.trickle(b":a!b@c PRIVMSG bot :first, byte by byte\r\n")
        .await;
    assert_eq!(next(&mut texts, STEP).await, "first, byte by byte");
    // Then half a line, byte by byte, and the server goes away.
    peer.trickle(b":a!b@c PRIVMSG bot :!ban *!*@").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(peer);
    next(&mut disconnects, STEP).await;
    let ended = timeout(STEP, run).await.expect("ended").expect("join");
    assert_eq!(ended.expect("ok"), Ended::ServerClosed);
    // The cut line never reached a handler; it was counted.
    assert!(texts.try_recv().is_err());
    assert_eq!(client.stats().lines_incomplete, 1);
    assert!(!client.is_connected());
}

// ---------------------------------------------------------------- SASL

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    B64.decode(text).expect("base64")
}

/// A client with SASL, connected to a fresh peer that has seen `CAP LS 302`
/// and answered with `caps`, and the client's `CAP REQ` acknowledged.
async fn sasl_start(
    caps: &str,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> (Client, Peer, JoinHandle<Result<Ended, Error>>) {
    let (l, port) = listener().await;
    let client = configure(builder(port)).build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, STEP).await;
    peer.expect("CAP LS 302").await;
    peer.send(&format!(":srv CAP * LS :{caps}")).await;
    peer.expect("CAP REQ sasl").await;
    peer.send(":srv CAP * ACK :sasl").await;
    (client, peer, run)
}

/// The end of a successful exchange: 900, 903, then CAP END, NICK, USER.
async fn sasl_success(peer: &mut Peer, client: &Client, run: JoinHandle<Result<Ended, Error>>) {
    peer.send(":srv 900 * bot!u@h acct :You are now logged in as acct")
        .await;
    peer.send(":srv 903 * :SASL authentication successful")
        .await;
    peer.expect("CAP END").await;
    peer.expect("NICK bot").await;
    peer.expect("USER bot 0 * bot").await;
    peer.send(":srv 001 bot :Welcome").await;
    finish(peer, client, run).await;
}

async fn finish(peer: &mut Peer, client: &Client, run: JoinHandle<Result<Ended, Error>>) {
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
    client.quit("done").expect("quit");
    peer.expect("QUIT done").await;
    peer.writer.shutdown().await.ok();
    let ended = timeout(STEP, run).await.expect("run ended").expect("join");
    assert_eq!(ended.expect("ended"), Ended::Quit);
}

#[tokio::test]
async fn sasl_plain_runs_before_cap_end() {
    let (client, mut peer, run) = sasl_start("sasl=PLAIN,EXTERNAL multi-prefix", |b| {
        b.sasl(SaslCredentials::new("acct").with_password("pw"))
            .sasl_mechanisms([Mechanism::Plain])
    })
    .await;
    peer.expect("AUTHENTICATE PLAIN").await;
    peer.send("AUTHENTICATE +").await;
    peer.expect(&format!("AUTHENTICATE {}", b64(b"acct\0acct\0pw")))
        .await;
    sasl_success(&mut peer, &client, run).await;
}

#[tokio::test]
async fn sasl_external_sends_an_empty_response() {
    let (client, mut peer, run) = sasl_start("sasl", |b| {
        b.sasl(SaslCredentials::new("acct"))
            .sasl_mechanisms([Mechanism::External])
    })
    .await;
    peer.expect("AUTHENTICATE EXTERNAL").await;
    peer.send("AUTHENTICATE +").await;
    peer.expect("AUTHENTICATE +").await;
    sasl_success(&mut peer, &client, run).await;
}

#[tokio::test]
async fn sasl_904_moves_to_the_next_mechanism() {
    let (client, mut peer, run) = sasl_start("sasl=EXTERNAL,PLAIN", |b| {
        b.sasl(SaslCredentials::new("acct").with_password("pw"))
    })
    .await;
    // Default preference: EXTERNAL first.
    peer.expect("AUTHENTICATE EXTERNAL").await;
    peer.send("AUTHENTICATE +").await;
    peer.expect("AUTHENTICATE +").await;
    peer.send(":srv 904 * :SASL authentication failed").await;
    peer.expect("AUTHENTICATE PLAIN").await;
    peer.send("AUTHENTICATE +").await;
    peer.expect(&format!("AUTHENTICATE {}", b64(b"acct\0acct\0pw")))
        .await;
    sasl_success(&mut peer, &client, run).await;
}

#[tokio::test]
async fn sasl_chunks_an_800_byte_payload() {
    // "u\0u\0" + 596 bytes = 600 bytes = 800 base64 characters.
    let password = "p".repeat(596);
    let (client, mut peer, run) = sasl_start("sasl=PLAIN", |b| {
        b.sasl(SaslCredentials::new("u").with_password(password.clone()))
    })
    .await;
    peer.expect("AUTHENTICATE PLAIN").await;
    peer.send("AUTHENTICATE +").await;
    let encoded = b64(format!("u\0u\0{password}").as_bytes());
    assert_eq!(encoded.len(), 800);
    peer.expect(&format!("AUTHENTICATE {}", &encoded[..400]))
        .await;
    peer.expect(&format!("AUTHENTICATE {}", &encoded[400..]))
        .await;
    peer.expect("AUTHENTICATE +").await;
    sasl_success(&mut peer, &client, run).await;
}

/// The server side of SCRAM-SHA-256 (RFC 5802 / 7677), for the test.
mod scram_server {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("key");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    /// Checks the client proof; returns the server signature.
    pub(super) fn verify(
        password: &str,
        salt: &[u8],
        iterations: u32,
        auth_message: &str,
        proof: &[u8],
    ) -> Vec<u8> {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key = Sha256::digest(&client_key);
        let client_signature = hmac(&stored_key, auth_message.as_bytes());
        let expected: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        assert_eq!(proof, expected.as_slice(), "wrong client proof");
        let server_key = hmac(&salted, b"Server Key");
        hmac(&server_key, auth_message.as_bytes())
    }
}

/// Runs SCRAM up to the server-final message; returns the correct server
/// signature.
async fn scram_exchange(peer: &mut Peer) -> Vec<u8> {
    peer.expect("AUTHENTICATE SCRAM-SHA-256").await;
    peer.send("AUTHENTICATE +").await;
    let first = peer.recv().await;
    let first =
        String::from_utf8(unb64(first.strip_prefix("AUTHENTICATE ").expect("auth"))).expect("utf8");
    let bare = first.strip_prefix("n,,").expect("gs2 header").to_owned();
    assert!(bare.starts_with("n=acct,r="), "{bare}");
    let client_nonce = bare.strip_prefix("n=acct,r=").expect("nonce");
    let salt = b"0123456789abcdef";
    let server_first = format!("r={client_nonce}srvnonce,s={},i=4096", b64(salt));
    peer.send(&format!("AUTHENTICATE {}", b64(server_first.as_bytes())))
        .await;
    let last = peer.recv().await;
    let last =
        String::from_utf8(unb64(last.strip_prefix("AUTHENTICATE ").expect("auth"))).expect("utf8");
    let (without_proof, proof) = last.split_once(",p=").expect("proof");
    assert_eq!(without_proof, format!("c=biws,r={client_nonce}srvnonce"));
    let auth_message = format!("{bare},{server_first},{without_proof}");
    scram_server::verify("pw", salt, 4096, &auth_message, &unb64(proof))
}

fn scram_client(b: ClientBuilder) -> ClientBuilder {
    b.sasl(SaslCredentials::new("acct").with_password("pw"))
        .sasl_mechanisms([Mechanism::ScramSha256])
}

#[tokio::test]
async fn sasl_scram_accepts_the_right_server_signature() {
    let (client, mut peer, run) = sasl_start("sasl=SCRAM-SHA-256", scram_client).await;
    let signature = scram_exchange(&mut peer).await;
    let server_final = format!("v={}", b64(&signature));
    peer.send(&format!("AUTHENTICATE {}", b64(server_final.as_bytes())))
        .await;
    peer.expect("AUTHENTICATE +").await;
    sasl_success(&mut peer, &client, run).await;
}

#[tokio::test]
async fn sasl_scram_aborts_on_a_wrong_server_signature() {
    let (client, mut peer, run) = sasl_start("sasl=SCRAM-SHA-256,PLAIN", |b| {
        scram_client(b).sasl_mechanisms([Mechanism::ScramSha256, Mechanism::Plain])
    })
    .await;
    let mut signature = scram_exchange(&mut peer).await;
    signature[0] ^= 0xff;
    let server_final = format!("v={}", b64(&signature));
    peer.send(&format!("AUTHENTICATE {}", b64(server_final.as_bytes())))
        .await;
    peer.expect("AUTHENTICATE *").await;
    peer.send(":srv 906 * :SASL authentication aborted").await;
    // No fallback to PLAIN: registration goes on without an account.
    peer.expect("CAP END").await;
    peer.expect("NICK bot").await;
    peer.expect("USER bot 0 * bot").await;
    peer.send(":srv 001 bot :Welcome").await;
    finish(&mut peer, &client, run).await;
}

#[tokio::test]
async fn sasl_ecdsa_signs_the_challenge() {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let secret: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(11).wrapping_add(3));
    let signing = p256::ecdsa::SigningKey::from_slice(&secret).expect("key");
    let key = irc_client::sasl::ecdsa::EcdsaKey::from_signing_key(signing);
    let verifying = key.verifying_key();
    let (client, mut peer, run) = sasl_start("sasl=ECDSA-NIST256P-CHALLENGE", |b| {
        b.sasl(SaslCredentials::new("acct").with_ecdsa_key(key))
            .sasl_mechanisms([Mechanism::EcdsaNist256pChallenge])
    })
    .await;
    peer.expect("AUTHENTICATE ECDSA-NIST256P-CHALLENGE").await;
    peer.send("AUTHENTICATE +").await;
    peer.expect(&format!("AUTHENTICATE {}", b64(b"acct"))).await;
    let challenge: [u8; 32] = core::array::from_fn(|i| (i as u8) ^ 0xa5);
    peer.send(&format!("AUTHENTICATE {}", b64(&challenge)))
        .await;
    let answer = peer.recv().await;
    let der = unb64(answer.strip_prefix("AUTHENTICATE ").expect("auth"));
    let signature = p256::ecdsa::Signature::from_der(&der).expect("DER signature");
    verifying
        .verify_prehash(&challenge, &signature)
        .expect("the signature verifies");
    sasl_success(&mut peer, &client, run).await;
}

#[tokio::test]
async fn required_sasl_that_fails_quits_and_run_does_not_retry() {
    let (l, port) = listener().await;
    let client = quick_backoff(builder(port))
        .sasl(SaslCredentials::new("acct").with_password("pw"))
        .sasl_mechanisms([Mechanism::Plain])
        .sasl_on_failure(SaslFailure::Disconnect)
        .build();
    let run = spawn_run(&client);
    let mut peer = accept(&l, STEP).await;
    peer.expect("CAP LS 302").await;
    peer.send(":srv CAP * LS :sasl=PLAIN").await;
    peer.expect("CAP REQ sasl").await;
    peer.send(":srv CAP * ACK :sasl").await;
    peer.expect("AUTHENTICATE PLAIN").await;
    peer.send("AUTHENTICATE +").await;
    peer.recv().await;
    peer.send(":srv 904 * :SASL authentication failed").await;
    peer.expect("QUIT :registration failed").await;
    let result = timeout(STEP, run).await.expect("run ended").expect("join");
    assert!(
        matches!(
            result,
            Err(Error::Registration(RegistrationError::Sasl { .. }))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn sasl_not_offered_continues_by_default() {
    let (l, port) = listener().await;
    let client = builder(port)
        .sasl(SaslCredentials::new("acct").with_password("pw"))
        .build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, STEP).await;
    peer.register_with("multi-prefix", "bot").await;
    finish(&mut peer, &client, run).await;
}

// ---------------------------------------------------------------- flood control

#[tokio::test]
async fn a_full_queue_refuses_send_and_send_wait_waits_while_pong_jumps_ahead() {
    let (l, port) = listener().await;
    let flood = FloodConfig {
        burst_lines: 1,
        refill_interval: Duration::from_secs(1),
        global_refill_interval: Duration::ZERO,
        queue_capacity: 2,
        ..FloodConfig::default()
    };
    let client = builder(port).flood(flood).build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, STEP).await;
    peer.register_with("", "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();

    client.send_raw("PRIVMSG #c :one").expect("send");
    peer.expect("PRIVMSG #c one").await;
    client.send_raw("PRIVMSG #c :two").expect("send");
    client.send_raw("PRIVMSG #c :three").expect("send");
    assert!(matches!(
        client.send_raw("PRIVMSG #c :four"),
        Err(Error::QueueFull)
    ));
    // send_wait blocks until a line has left the queue.
    let waiter = {
        let c = client.clone();
        tokio::spawn(async move {
            c.send_wait(irc_proto::MessageBuf::parse("PRIVMSG #c :four").expect("parse"))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished());
    // A PING while lines wait: the PONG goes first.
    peer.send("PING :now").await;
    peer.expect("PONG now").await;
    let t = Instant::now();
    peer.expect("PRIVMSG #c two").await;
    timeout(STEP, waiter)
        .await
        .expect("send_wait resolved")
        .expect("join")
        .expect("queued");
    peer.expect("PRIVMSG #c three").await;
    peer.expect("PRIVMSG #c four").await;
    // One line per second after the first.
    assert!(
        t.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    finish(&mut peer, &client, run).await;
}

#[tokio::test]
async fn registration_lines_are_not_throttled() {
    // A tiny burst does not slow CAP / NICK / USER down.
    let (l, port) = listener().await;
    let flood = FloodConfig {
        burst_lines: 1,
        global_burst_lines: 1,
        global_refill_interval: Duration::from_secs(60),
        ..FloodConfig::default()
    };
    let client = builder(port).flood(flood).build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, Duration::from_secs(2)).await;
    peer.register_with("", "bot").await;
    peer.step = STEP;
    finish(&mut peer, &client, run).await;
}

// ---------------------------------------------------------------- real server

#[tokio::test]
async fn ngircd_restart_reconnects_reregisters_and_rejoins() {
    let Some(mut server) = Server::start(Kind::Ngircd).await else {
        return;
    };
    let client = Client::builder("127.0.0.1", server.port(), "phoenix")
        .backoff(irc_client::backoff::BackoffConfig {
            initial: Duration::from_millis(200),
            factor: 1.5,
            jitter: Duration::from_millis(100),
            ..Default::default()
        })
        .build();
    let mut connects = count(&client, "CLIENT_CONNECT");
    let mut disconnects = count(&client, "CLIENT_DISCONNECT");
    let (names_tx, mut names) = mpsc::unbounded_channel();
    client
        .on(
            "RPL_ENDOFNAMES",
            move |irc_client::extract::Params(p): irc_client::extract::Params| {
                let tx = names_tx.clone();
                async move {
                    let _ = tx.send(p.get(1).cloned().unwrap_or_default());
                }
            },
        )
        .expect("on");
    let run = spawn_run(&client);
    next(&mut connects, STEP).await;
    client.send_raw("JOIN #phoenix").expect("join");
    assert_eq!(next(&mut names, STEP).await, "#phoenix");

    let started = Instant::now();
    server.kill().await;
    next(&mut disconnects, STEP).await;
    // Down for a moment: at least one attempt fails.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.restart().await;
    next(&mut connects, STEP).await;
    assert_eq!(next(&mut names, STEP).await, "#phoenix");
    let took = started.elapsed();
    // 0.5 s down, then attempts at most (0.2, 0.3, 0.45, 0.675, ...) + 0.1 s apart.
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(client.nick(), "phoenix");

    client.quit("done").expect("quit");
    let result = timeout(STEP, run).await.expect("run ended").expect("join");
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn ngircd_receives_fifty_paced_lines_in_order() {
    let Some(server) = Server::start(Kind::Ngircd).await else {
        return;
    };
    // Half of Sopel's pacing (0.5 s per line after a burst of 4) to keep
    // the test short; the default is 1 s.
    let flood = FloodConfig {
        refill_interval: Duration::from_millis(500),
        ..FloodConfig::default()
    };
    let bot = Client::builder("127.0.0.1", server.port(), "talker")
        .flood(flood)
        .build();
    let listener = Client::builder("127.0.0.1", server.port(), "listener").build();
    let (tx, mut rx) = mpsc::unbounded_channel();
    listener
        .on(
            "PRIVMSG",
            move |irc_client::extract::Text(t): irc_client::extract::Text| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(t);
                }
            },
        )
        .expect("on");
    let mut bot_disconnects = count(&bot, "CLIENT_DISCONNECT");
    let bot_up = bot.wait("CLIENT_CONNECT");
    let listener_up = listener.wait("CLIENT_CONNECT");
    let bot_run = spawn_once(&bot);
    let listener_run = spawn_once(&listener);
    timeout(STEP, bot_up).await.expect("bot up").expect("wait");
    timeout(STEP, listener_up)
        .await
        .expect("listener up")
        .expect("wait");
    for c in [&listener, &bot] {
        let joined = c.wait("RPL_ENDOFNAMES");
        c.send_raw("JOIN #flood").expect("join");
        timeout(STEP, joined).await.expect("joined").expect("wait");
    }
    let started = Instant::now();
    for i in 0..50 {
        bot.send_wait(
            irc_proto::MessageBuf::parse(&format!("PRIVMSG #flood :line {i}")).expect("parse"),
        )
        .await
        .expect("send");
    }
    for i in 0..50 {
        assert_eq!(next(&mut rx, STEP).await, format!("line {i}"));
    }
    let took = started.elapsed();
    // 4 at once, then one per 0.5 s: about 23 s.
    assert!(took >= Duration::from_secs(20), "{took:?}");
    assert!(took < Duration::from_secs(45), "{took:?}");
    assert!(bot.is_connected());
    assert!(bot_disconnects.try_recv().is_err());
    bot.quit("done").expect("quit");
    listener.quit("done").expect("quit");
    let b = timeout(STEP, bot_run)
        .await
        .expect("bot ended")
        .expect("join");
    assert_eq!(b.expect("bot"), Ended::Quit);
    let l = timeout(STEP, listener_run)
        .await
        .expect("ended")
        .expect("join");
    assert_eq!(l.expect("listener"), Ended::Quit);
}

// ---------------------------------------------------------------- TLS

/// A test CA, a server certificate it signed (for `localhost` and
/// 127.0.0.1), a client certificate it signed, in PEM files.
struct Pki {
    dir: tempfile::TempDir,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: Vec<u8>,
    ca_der: rustls::pki_types::CertificateDer<'static>,
}

impl Pki {
    fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().expect("key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "irc-client test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");
        let server_key = rcgen::KeyPair::generate().expect("key");
        let server =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("params")
                .signed_by(&server_key, &ca)
                .expect("server cert");
        let client_key = rcgen::KeyPair::generate().expect("key");
        let mut client_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        client_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "bot");
        let client = client_params
            .signed_by(&client_key, &ca)
            .expect("client cert");
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write");
        std::fs::write(dir.path().join("client.pem"), client.pem()).expect("write");
        std::fs::write(dir.path().join("client.key"), client_key.serialize_pem()).expect("write");
        Self {
            dir,
            server_chain: vec![server.der().clone()],
            server_key: server_key.serialize_der(),
            ca_der: ca.der().clone(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The SHA-256 fingerprint of the server certificate, upper case with
    /// colons (as `openssl x509 -fingerprint` prints it).
    fn server_pin(&self) -> String {
        irc_client::tls::fingerprint(&self.server_chain[0])
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    fn acceptor(&self, client_auth: bool) -> tokio_rustls::TlsAcceptor {
        acceptor(
            self.server_chain.clone(),
            self.server_key.clone(),
            client_auth.then(|| self.ca_der.clone()),
        )
    }
}

fn acceptor(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: Vec<u8>,
    client_ca: Option<rustls::pki_types::CertificateDer<'static>>,
) -> tokio_rustls::TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca).expect("root");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .expect("verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.into());
    let config = builder.with_single_cert(chain, key).expect("server config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Accepts one TCP connection and runs the TLS handshake on it.
async fn accept_tls(
    l: &TcpListener,
    acceptor: &tokio_rustls::TlsAcceptor,
) -> std::io::Result<tokio_rustls::server::TlsStream<tokio::net::TcpStream>> {
    let (s, _) = timeout(STEP, l.accept()).await.expect("no connection")?;
    timeout(STEP, acceptor.accept(s))
        .await
        .expect("handshake took too long")
}

/// A TLS client run against the PKI's server: registers and quits when the
/// handshake works; returns the client's error otherwise.
async fn tls_session(pki: &Pki, tls: TlsConfig) -> Result<(), Error> {
    let (l, port) = listener().await;
    let client = builder(port).tls(tls).build();
    let run = spawn_once(&client);
    let acceptor = pki.acceptor(false);
    match accept_tls(&l, &acceptor).await {
        Ok(stream) => {
            let mut peer = Peer::new(stream, STEP);
            peer.register_with("", "bot").await;
            finish(&mut peer, &client, run).await;
            Ok(())
        }
        Err(_) => {
            let result = timeout(STEP, run).await.expect("run ended").expect("join");
            Err(result.expect_err("the client must fail"))
        }
    }
}

fn assert_refused(result: Result<(), Error>) {
    assert!(
        matches!(
            result,
            Err(Error::Tls(irc_client::tls::TlsError::Handshake { .. }))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn tls_verifies_with_the_ca_file() {
    let pki = Pki::new();
    tls_session(&pki, TlsConfig::new().ca_file(pki.path("ca.pem")))
        .await
        .expect("verified");
    // Checked against the name `localhost` instead of the address.
    tls_session(
        &pki,
        TlsConfig::new()
            .ca_file(pki.path("ca.pem"))
            .server_name("localhost"),
    )
    .await
    .expect("verified by name");
}

#[tokio::test]
async fn tls_refuses_an_unknown_ca_and_a_wrong_name() {
    let pki = Pki::new();
    assert_refused(tls_session(&pki, TlsConfig::new()).await);
    assert_refused(
        tls_session(
            &pki,
            TlsConfig::new()
                .ca_file(pki.path("ca.pem"))
                .server_name("irc.example.com"),
        )
        .await,
    );
}

#[tokio::test]
async fn tls_pins_accept_exactly_the_pinned_certificate() {
    let pki = Pki::new();
    let pin = pki.server_pin();
    tls_session(&pki, TlsConfig::new().pin(&pin).expect("pin"))
        .await
        .expect("pinned upper case with colons");
    tls_session(
        &pki,
        TlsConfig::new()
            .pin(&pin.replace(':', "").to_lowercase())
            .expect("pin"),
    )
    .await
    .expect("pinned lower case");
    // The CA's fingerprint is not the server's: refused, even with the CA
    // trusted (pins replace verification).
    let wrong = irc_client::tls::fingerprint(&pki.ca_der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_refused(
        tls_session(
            &pki,
            TlsConfig::new()
                .ca_file(pki.path("ca.pem"))
                .pin(&wrong)
                .expect("pin"),
        )
        .await,
    );
}

#[tokio::test]
async fn tls_pin_accepts_an_expired_self_signed_certificate() {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["old.example".to_owned()]).expect("params");
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    let cert = params.self_signed(&key).expect("cert");
    let pin = irc_client::tls::fingerprint(cert.der());
    let pin: String = pin.iter().map(|b| format!("{b:02x}")).collect();
    let acceptor = acceptor(vec![cert.der().clone()], key.serialize_der(), None);

    let (l, port) = listener().await;
    let client = builder(port)
        .tls(TlsConfig::new().pin(&pin).expect("pin"))
        .build();
    let run = spawn_once(&client);
    let stream = accept_tls(&l, &acceptor).await.expect("handshake");
    let mut peer = Peer::new(stream, STEP);
    peer.register_with("", "bot").await;
    finish(&mut peer, &client, run).await;

    // Without the pin, verification refuses it.
    let client = builder(port).tls(TlsConfig::new()).build();
    let run = spawn_once(&client);
    assert!(accept_tls(&l, &acceptor).await.is_err());
    let result = timeout(STEP, run).await.expect("run ended").expect("join");
    assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
}

#[tokio::test]
async fn tls_client_certificate_for_sasl_external() {
    let pki = Pki::new();
    let (l, port) = listener().await;
    let client = builder(port)
        .tls(
            TlsConfig::new()
                .ca_file(pki.path("ca.pem"))
                .client_cert(pki.path("client.pem"), Some(pki.path("client.key"))),
        )
        .sasl(SaslCredentials::new("bot"))
        .sasl_mechanisms([Mechanism::External])
        .build();
    let run = spawn_once(&client);
    let stream = accept_tls(&l, &pki.acceptor(true))
        .await
        .expect("handshake");
    let presented = stream
        .get_ref()
        .1
        .peer_certificates()
        .map(<[_]>::len)
        .unwrap_or_default();
    assert_eq!(presented, 1, "the client presented its certificate");
    let mut peer = Peer::new(stream, STEP);
    peer.expect("CAP LS 302").await;
    peer.send(":srv CAP * LS :sasl=EXTERNAL").await;
    peer.expect("CAP REQ sasl").await;
    peer.send(":srv CAP * ACK :sasl").await;
    peer.expect("AUTHENTICATE EXTERNAL").await;
    peer.send("AUTHENTICATE +").await;
    peer.expect("AUTHENTICATE +").await;
    sasl_success(&mut peer, &client, run).await;
}

#[tokio::test]
async fn tls_minimum_version_refuses_an_older_server() {
    let pki = Pki::new();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            pki.server_chain.clone(),
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.server_key.clone().into()),
        )
        .expect("config");
    let tls12_only = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (l, port) = listener().await;
    for (min, works) in [
        (irc_client::tls::TlsVersion::Tls12, true),
        (irc_client::tls::TlsVersion::Tls13, false),
    ] {
        let client = builder(port)
            .tls(
                TlsConfig::new()
                    .ca_file(pki.path("ca.pem"))
                    .min_version(min),
            )
            .build();
        let run = spawn_once(&client);
        match accept_tls(&l, &tls12_only).await {
            Ok(stream) => {
                assert!(works);
                let mut peer = Peer::new(stream, STEP);
                peer.register_with("", "bot").await;
                finish(&mut peer, &client, run).await;
            }
            Err(_) => {
                assert!(!works);
                let result = timeout(STEP, run).await.expect("ended").expect("join");
                assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
            }
        }
    }
}

#[tokio::test]
async fn source_address_binds_the_local_end() {
    let (l, port) = listener().await;
    let client = builder(port)
        .source_address("127.0.0.1".parse().expect("ip"))
        .build();
    let run = spawn_once(&client);
    let (s, from) = timeout(STEP, l.accept())
        .await
        .expect("accept")
        .expect("accept");
    assert_eq!(from.ip().to_string(), "127.0.0.1");
    let mut peer = Peer::new(s, STEP);
    peer.register_with("", "bot").await;
    finish(&mut peer, &client, run).await;
    // An address of another family cannot reach an IPv4 host.
    let client = builder(port)
        .source_address("::1".parse().expect("ip"))
        .build();
    let result = timeout(STEP, client.run_once()).await.expect("ended");
    assert!(matches!(result, Err(Error::Connect { .. })), "{result:?}");
}

// ---------------------------------------------------------------- STS

#[tokio::test]
async fn sts_upgrades_to_tls_and_the_stored_policy_is_honoured() {
    let pki = Pki::new();
    let acceptor = pki.acceptor(false);
    let state = tempfile::tempdir().expect("dir");
    let (plain, plain_port) = listener().await;
    let (secure, tls_port) = listener().await;
    let tls = TlsConfig::new().ca_file(pki.path("ca.pem"));
    let sts_caps = format!("sts=port={tls_port},duration=300 multi-prefix");

    let client = builder(plain_port)
        .tls_config(tls.clone())
        .state_dir(state.path())
        .build();
    let run = spawn_run(&client);
    // Plain text: the policy names the TLS port; the client leaves at once.
    let mut peer = accept(&plain, STEP).await;
    peer.expect("CAP LS 302").await;
    peer.send(&format!(":srv CAP * LS :{sts_caps}")).await;
    assert_eq!(peer.line().await, None);
    // ...and comes back over TLS, where the duration is stored.
    let stream = accept_tls(&secure, &acceptor).await.expect("handshake");
    let mut peer = Peer::new(stream, STEP);
    peer.register_with(&sts_caps, "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
    client.quit("done").expect("quit");
    peer.expect("QUIT done").await;
    peer.writer.shutdown().await.ok();
    assert!(
        timeout(STEP, run)
            .await
            .expect("ended")
            .expect("join")
            .is_ok()
    );
    let stored = std::fs::read_to_string(state.path().join("sts.json")).expect("policy file");
    assert!(
        stored.contains(&format!("\"port\": {tls_port}")),
        "{stored}"
    );

    // A new client with the same state directory goes straight to TLS.
    let client = builder(plain_port)
        .tls_config(tls)
        .state_dir(state.path())
        .build();
    let run = spawn_once(&client);
    let stream = accept_tls(&secure, &acceptor).await.expect("handshake");
    let mut peer = Peer::new(stream, STEP);
    peer.register_with("", "bot").await;
    finish(&mut peer, &client, run).await;
    assert!(
        timeout(Duration::from_millis(100), plain.accept())
            .await
            .is_err(),
        "no plain-text connection"
    );
}

#[tokio::test]
async fn sts_offered_by_cap_new_keeps_the_connection_and_moves_the_next_one_to_tls() {
    let pki = Pki::new();
    let acceptor = pki.acceptor(false);
    let (plain, plain_port) = listener().await;
    let (secure, tls_port) = listener().await;
    let client = builder(plain_port)
        .tls_config(TlsConfig::new().ca_file(pki.path("ca.pem")))
        .build();
    let run = spawn_run(&client);
    let mut peer = accept(&plain, STEP).await;
    peer.register_with("cap-notify", "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
    peer.send(&format!(
        ":srv CAP bot NEW :sts=port={tls_port},duration=300"
    ))
    .await;
    // The plain connection lives on: a PING is still answered on it.
    peer.send("PING :still-here").await;
    peer.expect("PONG still-here").await;
    // Once it ends, the client comes back over TLS on the offered port.
    peer.writer.shutdown().await.ok();
    drop(peer);
    let stream = accept_tls(&secure, &acceptor).await.expect("handshake");
    let mut peer = Peer::new(stream, STEP);
    peer.register_with("", "bot").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
    client.quit("done").expect("quit");
    peer.expect("QUIT done").await;
    peer.writer.shutdown().await.ok();
    assert!(
        timeout(STEP, run)
            .await
            .expect("ended")
            .expect("join")
            .is_ok()
    );
}

#[tokio::test]
async fn sts_is_ignored_when_turned_off() {
    let (l, port) = listener().await;
    let client = builder(port).sts(false).build();
    let run = spawn_once(&client);
    let mut peer = accept(&l, STEP).await;
    peer.register_with("sts=port=6697,duration=300", "bot")
        .await;
    finish(&mut peer, &client, run).await;
}

#[tokio::test]
async fn ngircd_over_tls_with_a_ca_file_and_a_pin() {
    let pki = Pki::new();
    let cert = pki.path("server.pem");
    let key = pki.path("server.key");
    std::fs::write(
        &cert,
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            B64.encode(pki.server_chain[0].as_ref())
                .as_bytes()
                .chunks(64)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .expect("cert");
    std::fs::write(
        &key,
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            B64.encode(&pki.server_key)
                .as_bytes()
                .chunks(64)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .expect("key");
    let Some(server) = Server::builder(Kind::Ngircd).tls(cert, key).start().await else {
        return;
    };
    let tls_port = server.tls_port().expect("tls port");
    for (nick, tls) in [
        ("verified", TlsConfig::new().ca_file(pki.path("ca.pem"))),
        (
            "pinned",
            TlsConfig::new().pin(&pki.server_pin()).expect("pin"),
        ),
    ] {
        let client = Client::builder("127.0.0.1", tls_port, nick)
            .tls(tls)
            .build();
        let up = client.wait("CLIENT_CONNECT");
        let run = spawn_once(&client);
        timeout(STEP, up)
            .await
            .expect("registered over TLS")
            .expect("wait");
        let joined = client.wait("RPL_ENDOFNAMES");
        client.send_raw("JOIN #tls").expect("join");
        timeout(STEP, joined).await.expect("joined").expect("wait");
        client.quit("done").expect("quit");
        let ended = timeout(STEP, run).await.expect("ended").expect("join");
        assert_eq!(ended.expect("run"), Ended::Quit);
    }
    // Without the CA the certificate is refused.
    let client = Client::builder("127.0.0.1", tls_port, "refused")
        .tls(TlsConfig::new())
        .build();
    let result = timeout(STEP, client.run_once()).await.expect("ended");
    assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
}
