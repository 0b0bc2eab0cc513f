//! End-to-end ingest over loopback: how fast an IRC client reads, parses and
//! dispatches a stream of server lines.
//!
//! A local server ([`spawn_server`], a plain thread with blocking sockets on
//! `127.0.0.1`) accepts one client, answers registration minimally, then
//! writes a pre-generated [`Corpus`] as fast as the client takes it and
//! closes its side. Three readers take the same stream:
//!
//! - [`Reader::Ours`]: this repository's `irc-client`, with a `PRIVMSG`
//!   handler that counts;
//! - [`Reader::Irc`]: the crates.io `irc` client, counting `PRIVMSG` on its
//!   message stream;
//! - [`Reader::Floor`]: a raw tokio `TcpStream` framed by `LinesCodec`,
//!   counting lines that contain `" PRIVMSG "`; no parsing at all.
//!
//! More readers show where the time of ours goes: stages without the
//! client ([`Reader::OursParse`], [`Reader::OursLines`]), the client
//! without state tracking ([`Reader::OursNoState`]), and the client with an
//! echo bot's handler ([`Reader::OursArgs`]).
//!
//! A run ends when the reader has counted every `PRIVMSG` of the corpus, the
//! last of which is the marker line.

#![forbid(unsafe_code)]

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use tokio_util::codec::{FramedRead, LinesCodec};

/// Errors of a run, boxed: this is a measuring tool, not a library API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long any single run may take before it is abandoned.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// The nick every reader registers with.
pub const NICK: &str = "bench";

/// The last line of every corpus: a `PRIVMSG`, so counting `PRIVMSG`s finds it.
pub const MARKER: &str = ":marker!end@bench.invalid PRIVMSG #bench-end :end of corpus\r\n";

/// A deterministic stream of server lines.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The wire bytes, CRLF-terminated lines, the marker last.
    pub bytes: Vec<u8>,
    /// How many lines, the marker included.
    pub lines: u64,
    /// How many of them are `PRIVMSG`s, the marker included.
    pub privmsgs: u64,
}

/// A small deterministic generator (SplitMix64), so the corpus is the same
/// on every machine without a dependency.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for a corpus.
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const CHANNELS: &[&str] = &["#rust", "#linux", "#irc-dev", "#music", "#offtopic"];

const WORDS: &[&str] = &[
    "the",
    "a",
    "to",
    "and",
    "of",
    "is",
    "it",
    "that",
    "in",
    "you",
    "for",
    "on",
    "with",
    "but",
    "this",
    "just",
    "not",
    "have",
    "was",
    "be",
    "so",
    "what",
    "if",
    "can",
    "do",
    "think",
    "know",
    "build",
    "compile",
    "borrow",
    "checker",
    "async",
    "runtime",
    "tokio",
    "server",
    "client",
    "kernel",
    "patch",
    "release",
    "bug",
    "crash",
    "works",
    "fine",
    "here",
    "there",
    "lol",
    "thanks",
    "yeah",
    "maybe",
    "tomorrow",
    "today",
    "https://example.org/some/long/path?q=1",
    "café",
    "naïve",
    "über",
    "日本語",
    "🦀",
    "ok",
    "nice",
    "weird",
    "actually",
    "because",
];

const QUIT_REASONS: &[&str] = &[
    "Quit: Leaving",
    "Ping timeout: 240 seconds",
    "Remote host closed the connection",
    "Quit: ZNC - https://znc.in",
    "Read error: Connection reset by peer",
];

/// One user of the corpus.
#[derive(Debug, Clone)]
struct User {
    base: String,
    nick: String,
    ident: String,
    host: String,
}

fn users(rng: &mut Rng, n: usize) -> Vec<User> {
    const HEADS: &[&str] = &[
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
        "mallory", "nina", "oscar", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe",
    ];
    (0..n)
        .map(|i| {
            let head = rng.pick(HEADS);
            let nick = format!("{head}{i}");
            let ident = format!("~{head}");
            let host = match rng.below(3) {
                0 => format!("user/{nick}"),
                1 => format!(
                    "{}-{}-{}.dyn.example.net",
                    rng.below(256),
                    rng.below(256),
                    rng.below(256)
                ),
                _ => format!("2001:db8:{:x}::{:x}", rng.below(65536), rng.below(65536)),
            };
            User {
                base: nick.clone(),
                nick,
                ident,
                host,
            }
        })
        .collect()
}

fn text(rng: &mut Rng, out: &mut String, min: usize, max: usize) {
    let target = min + rng.below(max - min);
    let start = out.len();
    while out.len() - start < target {
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len())]);
    }
}

fn source(out: &mut String, u: &User) {
    out.push(':');
    out.push_str(&u.nick);
    out.push('!');
    out.push_str(&u.ident);
    out.push('@');
    out.push_str(&u.host);
}

fn tags(rng: &mut Rng, out: &mut String, u: &User, n: u64) {
    use std::fmt::Write as _;
    let secs = n / 50;
    let _ = write!(
        out,
        "@account={};msgid={:016x};time=2026-11-22T{:02}:{:02}:{:02}.{:03}Z ",
        u.nick,
        rng.next(),
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        rng.below(1000)
    );
}

impl Corpus {
    /// `lines` lines in all (at least one, the marker), the same for the same
    /// count on every machine: tagged and untagged `PRIVMSG` from many users
    /// to a few channels, CTCP `ACTION`, `NOTICE`, `JOIN`, `PART`, `QUIT`,
    /// `NICK`, `MODE`, `353` (NAMES) and `PING`; about 200 bytes a line.
    #[must_use]
    pub fn generate(lines: u64) -> Self {
        use std::fmt::Write as _;
        let mut rng = Rng(0x1bc_2026);
        let mut people = users(&mut rng, 400);
        let mut out = String::with_capacity(usize::try_from(lines).unwrap_or(0) * 205 + 64);
        let mut privmsgs = 0;
        let mut renames = 0u64;
        for n in 0..lines.saturating_sub(1) {
            let u = rng.below(people.len());
            let chan = *rng.pick(CHANNELS);
            let roll = rng.below(100);
            match roll {
                // 62 % PRIVMSG: half of them with tags, a few to us, a few CTCP ACTION.
                0..=61 => {
                    privmsgs += 1;
                    if roll < 31 {
                        tags(&mut rng, &mut out, &people[u], n);
                    }
                    source(&mut out, &people[u]);
                    let to = if rng.below(100) < 4 { NICK } else { chan };
                    let _ = write!(out, " PRIVMSG {to} :");
                    if rng.below(100) < 3 {
                        out.push_str("\u{1}ACTION ");
                        text(&mut rng, &mut out, 10, 120);
                        out.push('\u{1}');
                    } else {
                        text(&mut rng, &mut out, 30, 280);
                    }
                }
                // 6 % NOTICE, from services or the server.
                62..=67 => {
                    if roll < 65 {
                        out.push_str(":NickServ!NickServ@services.example.net NOTICE ");
                        out.push_str(NICK);
                        out.push_str(" :");
                    } else {
                        let _ = write!(out, ":srv.example.net NOTICE {chan} :");
                    }
                    text(&mut rng, &mut out, 30, 200);
                }
                // 7 % JOIN (some in extended-join form).
                68..=74 => {
                    source(&mut out, &people[u]);
                    if roll < 71 {
                        let _ = write!(out, " JOIN {chan}");
                    } else {
                        let _ = write!(
                            out,
                            " JOIN {chan} {} :{} the {}",
                            people[u].nick,
                            people[u].ident.trim_start_matches('~'),
                            rng.pick(WORDS)
                        );
                    }
                }
                // 5 % PART with a reason.
                75..=79 => {
                    source(&mut out, &people[u]);
                    let _ = write!(out, " PART {chan} :");
                    text(&mut rng, &mut out, 5, 60);
                }
                // 4 % QUIT.
                80..=83 => {
                    source(&mut out, &people[u]);
                    let _ = write!(out, " QUIT :{}", rng.pick(QUIT_REASONS));
                }
                // 3 % NICK.
                84..=86 => {
                    source(&mut out, &people[u]);
                    renames += 1;
                    let new = format!("{}_{}", people[u].base, renames % 100);
                    let _ = write!(out, " NICK :{new}");
                    people[u].nick = new;
                }
                // 4 % MODE: ops, voices, bans.
                87..=90 => {
                    let target = &people[rng.below(people.len())];
                    out.push_str(":ChanServ!ChanServ@services.example.net MODE ");
                    out.push_str(chan);
                    match rng.below(3) {
                        0 => {
                            let _ = write!(out, " +o {}", target.nick);
                        }
                        1 => {
                            let _ = write!(out, " +v-o {} {}", target.nick, target.nick);
                        }
                        _ => {
                            let _ = write!(out, " +b *!*@{}", target.host);
                        }
                    }
                }
                // 8 % 353 NAMES, a batch of members with prefixes.
                91..=98 => {
                    let _ = write!(out, ":srv.example.net 353 {NICK} = {chan} :");
                    let count = 8 + rng.below(30);
                    for i in 0..count {
                        if i > 0 {
                            out.push(' ');
                        }
                        match rng.below(10) {
                            0 => out.push('@'),
                            1 => out.push('+'),
                            _ => {}
                        }
                        out.push_str(&people[rng.below(people.len())].nick);
                    }
                }
                // 1 % PING.
                _ => {
                    let _ = write!(out, "PING :srv.example.net-{n}");
                }
            }
            out.push_str("\r\n");
        }
        out.push_str(MARKER);
        Self {
            bytes: out.into_bytes(),
            lines: lines.max(1),
            privmsgs: privmsgs + 1,
        }
    }

    /// The average line length in bytes, CRLF included.
    #[must_use]
    pub fn mean_line_len(&self) -> f64 {
        self.bytes.len() as f64 / self.lines as f64
    }
}

/// Starts a server for one client on an ephemeral port of `127.0.0.1`.
///
/// It answers `CAP LS` with an empty list, waits for `USER`, sends `001`
/// and then the whole corpus as fast as the client reads it, shuts its
/// writing side, and reads (and drops) what the client sends until the
/// client closes. The thread's result is the number of bytes the client
/// sent.
///
/// # Errors
///
/// When the listener cannot be bound.
pub fn spawn_server(corpus: Arc<Corpus>) -> io::Result<(SocketAddr, JoinHandle<io::Result<u64>>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let handle = std::thread::Builder::new()
        .name("ingest-server".into())
        .spawn(move || serve_one(&listener, &corpus))?;
    Ok((addr, handle))
}

/// Registration lines the server reads at most before giving up.
const MAX_REGISTRATION_LINES: usize = 64;

fn serve_one(listener: &TcpListener, corpus: &Corpus) -> io::Result<u64> {
    let (stream, _) = listener.accept()?;
    stream.set_read_timeout(Some(RUN_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut nick = NICK.to_owned();
    let mut line = String::new();
    let mut registered = false;
    for _ in 0..MAX_REGISTRATION_LINES {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(0);
        }
        let l = line.trim_end();
        if l.starts_with("CAP LS") {
            writer.write_all(b":srv.example.net CAP * LS :\r\n")?;
        } else if let Some(n) = l.strip_prefix("NICK ") {
            n.trim_start_matches(':').clone_into(&mut nick);
        } else if l.starts_with("USER ") {
            registered = true;
            break;
        }
    }
    if !registered {
        return Err(io::Error::other("the client never sent USER"));
    }
    let drain = std::thread::Builder::new()
        .name("ingest-drain".into())
        .spawn(move || io::copy(&mut reader, &mut io::sink()))?;
    let welcome = format!(":srv.example.net 001 {nick} :Welcome to the ingest bench\r\n");
    let written = writer
        .write_all(welcome.as_bytes())
        .and_then(|()| writer.write_all(&corpus.bytes))
        .and_then(|()| writer.shutdown(Shutdown::Write));
    // A client that stops early is no error of ours: it has said how far it got.
    if let Err(e) = written {
        let _ = writer.shutdown(Shutdown::Both);
        let _ = drain.join();
        return Err(e);
    }
    drain
        .join()
        .map_err(|_| io::Error::other("the drain thread panicked"))?
}

/// The three readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// This repository's `irc-client`.
    Ours,
    /// The crates.io `irc` client.
    Irc,
    /// Raw lines, no parsing: the floor.
    Floor,
    /// A stage of ours, no client: what the client's read loop does before
    /// state and dispatch: `irc_client::codec::LineBatchCodec` framing (a
    /// read buffer's lines at a time, checked for UTF-8 at once), then the
    /// borrowed `irc_proto::Message::parse` of each line in place.
    OursParse,
    /// A stage of ours, no client: the line-at-a-time
    /// `irc_client::codec::IrcCodec` (each line its own reference-counted
    /// text), then the borrowed `irc_proto::Message::parse`.
    OursLines,
    /// Ours with channel and user state tracking turned off
    /// (`track_state(false)`): what tracking costs.
    OursNoState,
    /// Ours with a handler that takes what an echo bot takes (`Nick`,
    /// `Target` and `Text`, each a copy) and adds up their lengths: the
    /// cost of argument mapping on top of [`Reader::Ours`].
    OursArgs,
}

impl Reader {
    /// All of them, in the order they are reported.
    pub const ALL: [Self; 3] = [Self::Ours, Self::Irc, Self::Floor];

    /// The stages of ours without the client, to see where the time goes.
    pub const STAGES: [Self; 4] = [
        Self::OursParse,
        Self::OursLines,
        Self::OursNoState,
        Self::OursArgs,
    ];

    /// The name used on the command line and in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Irc => "irc",
            Self::Floor => "floor",
            Self::OursParse => "ours-parse",
            Self::OursLines => "ours-lines",
            Self::OursNoState => "ours-nostate",
            Self::OursArgs => "ours-args",
        }
    }

    /// The reader of this name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain(Self::STAGES)
            .find(|r| r.name() == name)
    }
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// From the start of the connection to the last `PRIVMSG` counted.
    pub elapsed: Duration,
    /// `PRIVMSG`s counted.
    pub privmsgs: u64,
}

/// Runs `reader` against a fresh server of `corpus` on `rt`, and checks
/// that every `PRIVMSG` was counted.
///
/// # Errors
///
/// When the server or the client fails, the run times out, or the count is
/// wrong.
pub fn run_once(
    rt: &tokio::runtime::Runtime,
    reader: Reader,
    corpus: &Arc<Corpus>,
) -> Result<Outcome, BoxError> {
    let (addr, server) = spawn_server(Arc::clone(corpus))?;
    let outcome = rt.block_on(async {
        tokio::time::timeout(RUN_TIMEOUT, read(reader, addr, corpus.privmsgs))
            .await
            .map_err(|_| BoxError::from("the run timed out"))?
    });
    let served = server
        .join()
        .map_err(|_| BoxError::from("the server thread panicked"))?;
    let outcome = outcome?;
    served?;
    if outcome.privmsgs != corpus.privmsgs {
        return Err(format!(
            "{} counted {} PRIVMSG, expected {}",
            reader.name(),
            outcome.privmsgs,
            corpus.privmsgs
        )
        .into());
    }
    Ok(outcome)
}

/// Connects `reader` to `addr` and reads until `expected` `PRIVMSG`s were
/// counted, then until the server closes.
///
/// # Errors
///
/// When the connection or the client fails.
pub async fn read(reader: Reader, addr: SocketAddr, expected: u64) -> Result<Outcome, BoxError> {
    match reader {
        Reader::Ours => read_ours(addr, expected, true, false).await,
        Reader::OursNoState => read_ours(addr, expected, false, false).await,
        Reader::OursArgs => read_ours(addr, expected, true, true).await,
        Reader::Irc => read_irc(addr, expected).await,
        Reader::Floor => read_floor(addr, expected).await,
        Reader::OursParse => read_stage(addr, expected, true).await,
        Reader::OursLines => read_stage(addr, expected, false).await,
    }
}

async fn read_ours(
    addr: SocketAddr,
    expected: u64,
    track: bool,
    args: bool,
) -> Result<Outcome, BoxError> {
    let start = Instant::now();
    let client = irc_client::Client::builder(addr.ip().to_string(), addr.port(), NICK)
        .track_state(track)
        .build();
    let count = Arc::new(AtomicU64::new(0));
    let done = Arc::new(Notify::new());
    if args {
        use irc_client::extract::{Nick, Target, Text};
        let count = Arc::clone(&count);
        let done = Arc::clone(&done);
        let bytes = Arc::new(AtomicU64::new(0));
        client.on(
            "PRIVMSG",
            move |Nick(nick): Nick, Target(target): Target, Text(text): Text| {
                let count = Arc::clone(&count);
                let done = Arc::clone(&done);
                let bytes = Arc::clone(&bytes);
                async move {
                    let len = nick.len() + target.len() + text.len();
                    bytes.fetch_add(len as u64, Ordering::Relaxed);
                    if count.fetch_add(1, Ordering::Relaxed) + 1 == expected {
                        done.notify_one();
                    }
                }
            },
        )?;
    } else {
        let count = Arc::clone(&count);
        let done = Arc::clone(&done);
        client.on("PRIVMSG", move || {
            let count = Arc::clone(&count);
            let done = Arc::clone(&done);
            async move {
                if count.fetch_add(1, Ordering::Relaxed) + 1 == expected {
                    done.notify_one();
                }
            }
        })?;
    }
    let runner = client.clone();
    let mut run = tokio::spawn(async move { runner.run().await });
    let elapsed = tokio::select! {
        biased;
        () = done.notified() => start.elapsed(),
        ended = &mut run => {
            ended??;
            // The connection ended first: every handler has finished, so
            // the count is final (and checked by the caller).
            return Ok(Outcome { elapsed: start.elapsed(), privmsgs: count.load(Ordering::Relaxed) });
        }
    };
    // `run` may reconnect when a connection ends: quitting ends it for good.
    // The connection may already be gone, so a refusal here is no failure.
    let _ = client.quit("done");
    run.await??;
    Ok(Outcome {
        elapsed,
        privmsgs: count.load(Ordering::Relaxed),
    })
}

async fn read_irc(addr: SocketAddr, expected: u64) -> Result<Outcome, BoxError> {
    use irc::client::prelude::{Client, Command, Config};
    let start = Instant::now();
    let config = Config {
        nickname: Some(NICK.to_owned()),
        server: Some(addr.ip().to_string()),
        port: Some(addr.port()),
        ..Config::default()
    };
    let mut client = Client::from_config(config).await?;
    client.identify()?;
    let mut stream = client.stream()?;
    let mut count = 0;
    let mut elapsed = None;
    while let Some(message) = stream.next().await {
        if let Command::PRIVMSG(..) = message?.command {
            count += 1;
            if count == expected {
                elapsed = Some(start.elapsed());
            }
        }
    }
    Ok(Outcome {
        elapsed: elapsed.unwrap_or_else(|| start.elapsed()),
        privmsgs: count,
    })
}

async fn read_floor(addr: SocketAddr, expected: u64) -> Result<Outcome, BoxError> {
    let start = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    write
        .write_all(format!("NICK {NICK}\r\nUSER {NICK} 0 * :{NICK}\r\n").as_bytes())
        .await?;
    let mut lines = FramedRead::new(read, LinesCodec::new_with_max_length(8703));
    let mut count = 0;
    let mut elapsed = None;
    while let Some(line) = lines.next().await {
        if line?.contains(" PRIVMSG ") {
            count += 1;
            if count == expected {
                elapsed = Some(start.elapsed());
            }
        }
    }
    drop(write);
    Ok(Outcome {
        elapsed: elapsed.unwrap_or_else(|| start.elapsed()),
        privmsgs: count,
    })
}

async fn read_stage(addr: SocketAddr, expected: u64, batches: bool) -> Result<Outcome, BoxError> {
    use irc_client::codec::{IrcCodec, Line, LineBatchCodec};
    let start = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    write
        .write_all(format!("NICK {NICK}\r\nUSER {NICK} 0 * :{NICK}\r\n").as_bytes())
        .await?;
    let mut count = 0;
    let mut elapsed = None;
    let mut privmsg = |line: &str| {
        if our_proto::Message::parse(line).is_ok_and(|m| m.is_command("PRIVMSG")) {
            count += 1;
            if count == expected {
                elapsed = Some(start.elapsed());
            }
        }
    };
    if batches {
        // The read buffer the client uses.
        let mut frames = FramedRead::with_capacity(read, LineBatchCodec::default(), 64 * 1024);
        while let Some(batch) = frames.next().await {
            for (_, line) in batch?.lines() {
                match line {
                    Line::Text(text) => privmsg(text),
                    Line::Decoded(text) => privmsg(&text),
                    Line::Overlong(_) => {}
                }
            }
        }
    } else {
        let mut lines = FramedRead::new(read, IrcCodec::default());
        while let Some(line) = lines.next().await {
            privmsg(&line?);
        }
    }
    drop(write);
    Ok(Outcome {
        elapsed: elapsed.unwrap_or_else(|| start.elapsed()),
        privmsgs: count,
    })
}

/// Which tokio runtime the readers run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `new_current_thread`: one thread, the cost per line.
    Current,
    /// `new_multi_thread` with two workers, what `#[tokio::main]` gives on
    /// a two-core machine.
    Multi,
}

impl Flavor {
    /// The name used on the command line and in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Multi => "multi",
        }
    }

    /// The flavor of this name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Current, Self::Multi]
            .into_iter()
            .find(|f| f.name() == name)
    }

    /// Builds a runtime of this flavor.
    ///
    /// # Errors
    ///
    /// When tokio cannot start it.
    pub fn runtime(self) -> io::Result<tokio::runtime::Runtime> {
        match self {
            Self::Current => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            Self::Multi => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build(),
        }
    }
}

/// Peak and current resident set size of this process, in KiB, from
/// `/proc/self/status` (`VmHWM`, `VmRSS`).
#[must_use]
pub fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_and_about_200_bytes_a_line() {
        let a = Corpus::generate(20_000);
        let b = Corpus::generate(20_000);
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.lines, 20_000);
        let mean = a.mean_line_len();
        assert!((180.0..=220.0).contains(&mean), "mean line length {mean}");
        let text = std::str::from_utf8(&a.bytes).expect("utf-8");
        assert_eq!(text.lines().count(), 20_000);
        assert!(text.ends_with(MARKER));
    }

    #[test]
    fn every_line_parses_with_both_parsers_and_privmsg_counts_agree() {
        let corpus = Corpus::generate(20_000);
        let text = std::str::from_utf8(&corpus.bytes).expect("utf-8");
        let (mut ours, mut theirs, mut floor) = (0, 0, 0);
        for line in text.split_terminator("\r\n") {
            let m = our_proto::MessageBuf::parse(line).expect(line);
            ours += u64::from(m.is_command("PRIVMSG"));
            let m: irc::proto::Message = line.parse().expect(line);
            theirs += u64::from(matches!(m.command, irc::proto::Command::PRIVMSG(..)));
            floor += u64::from(line.contains(" PRIVMSG "));
        }
        assert_eq!(ours, corpus.privmsgs);
        assert_eq!(theirs, corpus.privmsgs);
        assert_eq!(floor, corpus.privmsgs);
    }

    #[test]
    fn every_reader_counts_every_privmsg_over_loopback() {
        let corpus = Arc::new(Corpus::generate(5_000));
        for flavor in [Flavor::Current, Flavor::Multi] {
            let rt = flavor.runtime().expect("runtime");
            for reader in Reader::ALL.into_iter().chain(Reader::STAGES) {
                let outcome = run_once(&rt, reader, &corpus)
                    .unwrap_or_else(|e| panic!("{}: {e}", reader.name()));
                assert_eq!(outcome.privmsgs, corpus.privmsgs, "{}", reader.name());
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for r in Reader::ALL.into_iter().chain(Reader::STAGES) {
            assert_eq!(Reader::from_name(r.name()), Some(r));
        }
        assert_eq!(Flavor::from_name("multi"), Some(Flavor::Multi));
        assert_eq!(Reader::from_name("other"), None);
    }

    #[test]
    fn memory_is_readable_on_linux() {
        let (hwm, rss) = memory_kib().expect("/proc/self/status");
        assert!(hwm >= rss && rss > 0);
    }
}
