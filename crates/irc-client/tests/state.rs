//! Channel and user state, capabilities, batches and awaitable requests:
//! against real servers (ngIRCd and InspIRCd, started by the test on a free
//! loopback port) and against a scripted peer for what those servers do not
//! offer.
//!
//! Server binaries come from `IRC_TEST_NGIRCD` / `IRC_TEST_INSPIRCD`, else
//! the PATH and the sbin directories; a missing server fails the test when
//! `IRC_TEST_REQUIRE_SERVERS=1` and otherwise the test says it skipped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use irc_client::extract::{Batch, ChannelState, CompletedBatch, Nick, UserState};
use irc_client::requests::RequestError;
use irc_client::state::caps::DEFAULT_CAPABILITIES;
use irc_client::{Client, Error};
use irc_proto::MessageBuf;
use irc_testkit::{Kind, Server};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long one step may take (ngIRCd delays fast commands).
const STEP: Duration = Duration::from_secs(10);

/// A client for this server, asking for every capability the client knows.
fn client(server: &Server, nick: &str) -> Client {
    let client = Client::builder("127.0.0.1", server.port(), nick)
        .user(format!("{nick}u"))
        .realname(format!("{nick} real"))
        .capabilities(DEFAULT_CAPABILITIES.iter().copied())
        .quit_timeout(Duration::from_secs(3))
        .build();
    client.set_request_timeout(STEP);
    client
}

/// Runs a client until it has registered and read the welcome burst: the
/// ISUPPORT lines (`005`) come after `001`, so they are known once the
/// message of the day has ended.
async fn connect(client: &Client) -> JoinHandle<Result<(), Error>> {
    let connected = client.wait("CLIENT_CONNECT");
    let welcomed = client.wait_any(["RPL_ENDOFMOTD", "ERR_NOMOTD"]);
    let c = client.clone();
    let run = tokio::spawn(async move { c.run().await });
    timeout(STEP, connected)
        .await
        .expect("no CLIENT_CONNECT")
        .expect("wait");
    timeout(STEP, welcomed)
        .await
        .expect("no end of MOTD")
        .expect("wait");
    run
}

async fn quit(client: &Client, run: JoinHandle<Result<(), Error>>) {
    client.quit("done").expect("quit");
    let _ = timeout(STEP, run).await.expect("run did not end");
}

/// Polls `check` until it holds (bounded by `STEP`).
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < STEP, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn prefixes(client: &Client, channel: &str, nick: &str) -> Option<String> {
    client
        .channel(channel)
        .and_then(|c| c.member(nick).map(|m| m.prefixes.clone()))
}

/// Two clients: join, op the other, topic, away and real name, part, quit.
async fn tracks_a_channel(kind: Kind) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let bob = client(&server, "bob");
    let alice = client(&server, "alice");
    let bob_run = connect(&bob).await;
    assert!(bob.isupport().get("PREFIX").is_some(), "005 was read");

    let info = bob.join("#state", None).await.expect("bob joins");
    assert_eq!(info.channel.name, "#state");
    assert!(info.channel.synced);
    assert_eq!(prefixes(&bob, "#STATE", "bob").as_deref(), Some("@"));
    assert_eq!(bob.channels(), ["#state"]);
    // The channel modes come from the MODE the tracker sent (ngIRCd
    // creates channels without modes, InspIRCd here with +nt).
    if kind == Kind::Inspircd {
        eventually("bob sees +n and +t", || {
            bob.channel("#state")
                .is_some_and(|c| c.mode('n').is_some() && c.mode('t').is_some())
        })
        .await;
    }

    let alice_run = connect(&alice).await;
    let info = alice.join("#state", None).await.expect("alice joins");
    let members: Vec<_> = info
        .channel
        .members
        .iter()
        .map(|m| (m.nick.as_str(), m.prefixes.as_str()))
        .collect();
    assert_eq!(members, [("alice", ""), ("bob", "@")]);
    eventually("bob sees alice", || {
        prefixes(&bob, "#state", "alice").is_some()
    })
    .await;
    let seen = bob.user("ALICE").expect("alice tracked");
    assert_eq!(seen.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        seen.user.as_deref().map(|u| u.trim_start_matches('~')),
        Some("aliceu")
    );
    assert_eq!(seen.channels, ["#state"]);
    // The real name: from extended-join (InspIRCd) or the WHO reply alice's
    // client sent for bob.
    eventually("alice knows bob's real name", || {
        alice.user("bob").and_then(|u| u.realname).as_deref() == Some("bob real")
    })
    .await;

    // bob ops alice: both see it.
    bob.send_raw("MODE #state +o alice").expect("send");
    eventually("bob sees @alice", || {
        prefixes(&bob, "#state", "alice").as_deref() == Some("@")
    })
    .await;
    eventually("alice sees herself opped", || {
        alice.member_modes("#state", "alice").as_deref() == Some("o")
    })
    .await;
    // Voice too: multi-prefix keeps both.
    bob.send_raw("MODE #state +v alice").expect("send");
    eventually("@+alice", || {
        prefixes(&bob, "#state", "alice").as_deref() == Some("@+")
    })
    .await;

    // Handlers get the tracked state through extractors.
    let (tx, mut rx) = mpsc::unbounded_channel();
    bob.on(
        "PRIVMSG",
        move |Nick(n): Nick, chan: Option<ChannelState>, UserState(u): UserState| {
            let tx = tx.clone();
            async move {
                let prefixes =
                    chan.and_then(|ChannelState(c)| c.member(&n).map(|m| m.prefixes.clone()));
                let _ = tx.send((prefixes, u.host));
            }
        },
    )
    .expect("on PRIVMSG");
    alice.send_raw("PRIVMSG #state :hello").expect("send");
    let got = timeout(STEP, rx.recv())
        .await
        .expect("PRIVMSG")
        .expect("open");
    assert_eq!(got, (Some("@+".to_owned()), Some("127.0.0.1".to_owned())));

    // alice sets the topic; bob sees text, setter and time.
    alice
        .send_raw("TOPIC #state :state tracking works")
        .expect("send");
    eventually("bob sees the topic", || {
        bob.channel("#state")
            .and_then(|c| c.topic)
            .is_some_and(|t| t.text == "state tracking works")
    })
    .await;
    let topic = bob.channel("#state").and_then(|c| c.topic).expect("topic");
    assert!(
        topic
            .set_by
            .as_deref()
            .is_some_and(|s| s.starts_with("alice")),
        "{topic:?}"
    );
    assert!(topic.set_at.is_some());
    // A mode with an argument.
    bob.send_raw("MODE #state +l 42").expect("send");
    eventually("+l 42", || {
        alice
            .channel("#state")
            .and_then(|c| c.mode('l').flatten().map(str::to_owned))
            .as_deref()
            == Some("42")
    })
    .await;

    if kind == Kind::Inspircd {
        for cap in [
            "away-notify",
            "setname",
            "extended-join",
            "multi-prefix",
            "userhost-in-names",
        ] {
            assert!(bob.has_cap(cap), "{cap}: {:?}", bob.enabled_caps());
        }
    }
    if bob.has_cap("away-notify") {
        alice.send_raw("AWAY :lunch").expect("send");
        eventually("alice away", || {
            bob.user("alice").and_then(|u| u.away).as_deref() == Some("lunch")
        })
        .await;
    }
    if bob.has_cap("setname") {
        alice.send_raw("SETNAME :Alice Renamed").expect("send");
        eventually("setname", || {
            bob.user("alice").and_then(|u| u.realname).as_deref() == Some("Alice Renamed")
        })
        .await;
    }

    // A nick change.
    alice.send_raw("NICK alicia").expect("send");
    eventually("rename", || {
        bob.user("alicia").is_some() && bob.user("alice").is_none()
    })
    .await;
    eventually("our own nick", || alice.nick() == "alicia").await;
    assert_eq!(prefixes(&bob, "#state", "alicia").as_deref(), Some("@+"));

    // alice parts: bob forgets her (they share no other channel).
    alice.send_raw("PART #state :bye").expect("send");
    eventually("part", || bob.user("alicia").is_none()).await;
    eventually("alice left", || alice.channels().is_empty()).await;
    assert!(alice.user("bob").is_none());

    // alice comes back and quits.
    alice.join("#state", None).await.expect("rejoin");
    eventually("bob sees alicia again", || bob.user("alicia").is_some()).await;
    quit(&alice, alice_run).await;
    eventually("quit", || bob.user("alicia").is_none()).await;
    let chan = bob.channel("#state").expect("chan");
    assert_eq!(chan.members.len(), 1);
    quit(&bob, bob_run).await;
    assert!(
        bob.channel("#state").is_none(),
        "no state without a connection"
    );
}

/// join() failures and success, whois.
async fn requests_resolve(kind: Kind) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let op = client(&server, "op");
    let guest = client(&server, "guest");
    let op_run = connect(&op).await;
    op.join("#locked", None).await.expect("join");
    op.send_raw("MODE #locked +k sesame").expect("send");
    op.join("#invite", None).await.expect("join");
    op.send_raw("MODE #invite +i").expect("send");
    eventually("modes set", || {
        op.channel("#locked").is_some_and(|c| c.mode('k').is_some())
            && op.channel("#invite").is_some_and(|c| c.mode('i').is_some())
    })
    .await;

    let guest_run = connect(&guest).await;
    match guest.join("#locked", None).await {
        Err(RequestError::Refused {
            code: 475, target, ..
        }) => assert_eq!(target, "#locked"),
        other => panic!("expected 475: {other:?}"),
    }
    match guest.join("#invite", Some("x")).await {
        Err(RequestError::Refused { code: 473, .. }) => {}
        other => panic!("expected 473: {other:?}"),
    }
    let info = guest
        .join("#locked", Some("sesame"))
        .await
        .expect("with the key");
    assert_eq!(info.channel.members.len(), 2);
    // Joining again resolves at once.
    assert!(guest.join("#LOCKED", None).await.is_ok());

    let whois = guest.whois("OP").await.expect("whois");
    assert_eq!(whois.nick, "op");
    assert_eq!(
        whois.user.as_deref().map(|u| u.trim_start_matches('~')),
        Some("opu")
    );
    assert_eq!(whois.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(whois.realname.as_deref(), Some("op real"));
    assert!(whois.server.is_some());
    assert!(
        whois.channels.iter().any(|c| c == "@#locked"),
        "{:?}",
        whois.channels
    );
    match guest.whois("nobody").await {
        Err(RequestError::Refused { code: 401, .. }) => {}
        other => panic!("expected 401: {other:?}"),
    }

    // labeled-response where the server has it (InspIRCd here).
    assert_eq!(guest.has_cap("labeled-response"), kind == Kind::Inspircd);
    if guest.has_cap("labeled-response") {
        let replies = guest
            .send_labeled(MessageBuf::new("WHOIS").with_param("op"))
            .await
            .expect("labelled whois");
        let codes: Vec<&str> = replies.iter().map(|m| m.command.as_str()).collect();
        assert!(
            codes.contains(&"311") && codes.contains(&"318"),
            "{codes:?}"
        );
        let pong = guest
            .send_labeled(MessageBuf::new("PING").with_param("probe"))
            .await
            .expect("labelled ping");
        assert_eq!(pong.len(), 1);
        assert!(pong[0].is_command("PONG"));
    } else {
        assert_eq!(kind, Kind::Ngircd);
        assert!(matches!(
            guest
                .send_labeled(MessageBuf::new("PING").with_param("x"))
                .await,
            Err(RequestError::Unsupported("labeled-response"))
        ));
    }
    quit(&guest, guest_run).await;
    quit(&op, op_run).await;
}

macro_rules! server_tests {
    ($($kind:ident: $module:ident),*) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn two_clients_state_is_tracked() {
                tracks_a_channel(Kind::$kind).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn join_and_whois_requests() {
                requests_resolve(Kind::$kind).await;
            }
        }
    )*};
}

server_tests!(Ngircd: ngircd, Inspircd: inspircd);

/// A scripted server on a loopback socket: lines in through a channel,
/// lines out through `send`.
struct Peer {
    lines: mpsc::UnboundedReceiver<String>,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl Peer {
    async fn accept(listener: &TcpListener) -> Self {
        let (stream, _) = timeout(STEP, listener.accept())
            .await
            .expect("no connection")
            .expect("accept");
        let (read, write) = stream.into_split();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut read = BufReader::new(read).lines();
            while let Ok(Some(line)) = read.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { lines, write }
    }

    async fn send(&mut self, line: &str) {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("write");
    }

    /// The next line starting with `prefix`, skipping others (bounded).
    async fn expect(&mut self, prefix: &str) -> String {
        let start = Instant::now();
        loop {
            let left = STEP.saturating_sub(start.elapsed());
            let line = timeout(left, self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("no line starting with {prefix:?}"))
                .expect("closed");
            if line.starts_with(prefix) {
                return line;
            }
        }
    }
}

/// cap-notify, batches and labelled responses, scripted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_batches_and_labels_with_a_scripted_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = Client::builder("127.0.0.1", port, "me")
        .capabilities(DEFAULT_CAPABILITIES.iter().copied())
        .quit_timeout(Duration::from_secs(1))
        .build();
    client.set_request_timeout(STEP);
    let (tx, mut ends) = mpsc::unbounded_channel();
    client
        .on("BATCH_END", move |CompletedBatch(b): CompletedBatch| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((b.kind.clone(), b.messages.len()));
            }
        })
        .expect("on BATCH_END");
    let (qtx, mut quits) = mpsc::unbounded_channel();
    client
        .on("QUIT", move |batch: Option<Batch>| {
            let qtx = qtx.clone();
            async move {
                let _ = qtx.send(batch.map(|b| (b.reference, b.kind)));
            }
        })
        .expect("on QUIT");
    let c = client.clone();
    let run = tokio::spawn(async move { c.run().await });
    let mut peer = Peer::accept(&listener).await;

    peer.expect("CAP LS").await;
    peer.send(":srv CAP * LS :cap-notify batch labeled-response multi-prefix")
        .await;
    let req = peer.expect("CAP REQ").await;
    let wanted = req.rsplit(':').next().unwrap_or_default().to_owned();
    peer.send(&format!(":srv CAP * ACK :{wanted}")).await;
    peer.expect("USER").await;
    let connected = client.wait("CLIENT_CONNECT");
    peer.send(":srv 001 me :Welcome").await;
    peer.send(":srv 005 me PREFIX=(ov)@+ :are supported").await;
    timeout(STEP, connected)
        .await
        .expect("connect")
        .expect("wait");
    assert!(client.has_cap("batch") && client.has_cap("labeled-response"));
    assert!(!client.has_cap("away-notify"));

    // cap-notify: a wanted capability appears, then goes.
    peer.send(":srv CAP me NEW :away-notify unknown-thing")
        .await;
    let req = peer.expect("CAP REQ").await;
    assert_eq!(req, "CAP REQ away-notify");
    peer.send(":srv CAP me ACK :away-notify").await;
    let start = Instant::now();
    while !client.has_cap("away-notify") {
        assert!(start.elapsed() < STEP, "away-notify never enabled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    peer.send(":srv CAP me DEL :away-notify").await;
    let start = Instant::now();
    while client.has_cap("away-notify") {
        assert!(start.elapsed() < STEP, "away-notify never removed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Our channel, with two members who leave in a netsplit batch.
    peer.send(":me!u@h JOIN #c").await;
    peer.send(":srv 353 me = #c :me @a +b").await;
    peer.send(":srv 366 me #c :End").await;
    peer.send(":srv BATCH +ns netsplit hub leaf").await;
    peer.send("@batch=ns :a!a@a QUIT :hub leaf").await;
    let waiting = {
        let c = client.clone();
        tokio::spawn(async move { c.wait_batch("ns").await })
    };
    peer.send("@batch=ns :b!b@b QUIT :hub leaf").await;
    peer.send(":srv BATCH -ns").await;
    let done = timeout(STEP, waiting)
        .await
        .expect("wait_batch")
        .expect("task")
        .expect("batch");
    assert_eq!((done.kind.as_str(), done.messages.len()), ("netsplit", 2));
    assert_eq!(
        timeout(STEP, ends.recv())
            .await
            .expect("BATCH_END")
            .expect("end"),
        ("netsplit".to_owned(), 2)
    );
    for _ in 0..2 {
        let b = timeout(STEP, quits.recv())
            .await
            .expect("QUIT")
            .expect("quit");
        assert_eq!(b, Some(("ns".to_owned(), Some("netsplit".to_owned()))));
    }
    assert_eq!(client.channel("#c").map(|c| c.members.len()), Some(1));
    // Done already: wait_batch answers at once.
    assert_eq!(
        client.wait_batch("ns").await.expect("again").messages.len(),
        2
    );

    // Labelled requests: a single reply, an ACK, a batch.
    let c = client.clone();
    let single = tokio::spawn(async move {
        c.send_labeled(MessageBuf::new("PING").with_param("x"))
            .await
    });
    let line = peer.expect("@label=").await;
    let label = line["@label=".len()..]
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(line.ends_with("PING x"), "{line}");
    peer.send(&format!("@label={label} :srv PONG srv x")).await;
    let reply = timeout(STEP, single)
        .await
        .expect("single")
        .expect("task")
        .expect("ok");
    assert_eq!(reply.len(), 1);

    let c = client.clone();
    let batch = tokio::spawn(async move {
        c.send_labeled(MessageBuf::new("WHOIS").with_param("a"))
            .await
    });
    let line = peer.expect("@label=").await;
    let label = line["@label=".len()..]
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    peer.send(&format!("@label={label} :srv BATCH +lr labeled-response"))
        .await;
    peer.send("@batch=lr :srv 311 me a a a * :A").await;
    peer.send("@batch=lr :srv 318 me a :End").await;
    peer.send(":srv BATCH -lr").await;
    let reply = timeout(STEP, batch)
        .await
        .expect("batch")
        .expect("task")
        .expect("ok");
    let codes: Vec<_> = reply.iter().map(|m| m.command.as_str()).collect();
    assert_eq!(codes, ["311", "318"]);

    let c = client.clone();
    let ack = tokio::spawn(async move {
        c.send_labeled(MessageBuf::new("NOTICE").with_params(["x", "y"]))
            .await
    });
    let line = peer.expect("@label=").await;
    let label = line["@label=".len()..]
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    peer.send(&format!("@label={label} :srv ACK")).await;
    assert!(
        timeout(STEP, ack)
            .await
            .expect("ack")
            .expect("task")
            .expect("ok")
            .is_empty()
    );

    // A request nobody answers times out.
    client.set_request_timeout(Duration::from_millis(200));
    assert!(matches!(
        client.whois("silent").await,
        Err(RequestError::Timeout(_))
    ));

    client.quit("bye").expect("quit");
    peer.expect("QUIT").await;
    drop(peer);
    let _ = timeout(STEP, run).await.expect("run ends");
}

/// `WHO` after joining: WHOX (`%tcuhnfar` with the tracker's token) where
/// the server advertises it, plain `WHO` elsewhere; the replies fill in
/// user, host, real name and away. alice asks for no capabilities, so that
/// nothing but the `WHO` reply can tell her these (no extended-join, no
/// away-notify, no userhost-in-names).
async fn who_fills_user_details(kind: Kind) {
    use irc_client::extract::Params;
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let bob = client(&server, "bob");
    let bob_run = connect(&bob).await;
    bob.join("#who", None).await.expect("bob joins");
    let away = bob.wait("RPL_NOWAWAY");
    bob.send_raw("AWAY :gone fishing").expect("away");
    timeout(STEP, away).await.expect("306").expect("wait");

    let alice = Client::builder("127.0.0.1", server.port(), "alice")
        .capabilities(Vec::<String>::new())
        .build();
    alice.set_request_timeout(STEP);
    let (tx, mut replies) = mpsc::unbounded_channel();
    for numeric in ["352", "354"] {
        let tx = tx.clone();
        alice
            .on(numeric, move |Params(p): Params| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(p);
                }
            })
            .expect("on");
    }
    let alice_run = connect(&alice).await;
    let whox = alice.isupport().contains("WHOX");
    // InspIRCd has WHOX; ngIRCd does not: both paths are taken.
    assert_eq!(whox, kind == Kind::Inspircd, "WHOX in ISUPPORT");
    let end = alice.wait("RPL_ENDOFWHO");
    alice.join("#who", None).await.expect("alice joins");
    timeout(STEP, end).await.expect("315").expect("wait");

    // The replies: one per member, in the shape asked for (handlers run
    // concurrently: bob's may come after the 315 wait resolved).
    let mut got = Vec::new();
    let bob_reply = loop {
        let p = timeout(STEP, replies.recv())
            .await
            .unwrap_or_else(|_| panic!("no WHO reply for bob: {got:?}"))
            .expect("open");
        if p.get(5).is_some_and(|n| n == "bob") {
            break p;
        }
        got.push(p);
    };
    if whox {
        // 354 <me> <token> <channel> <user> <host> <nick> <flags> <account> :<realname>
        assert_eq!(bob_reply.len(), 9, "{bob_reply:?}");
        assert_eq!(bob_reply[1], "616");
        assert_eq!(bob_reply[2], "#who");
        assert_eq!(bob_reply[5], "bob");
        assert!(bob_reply[6].starts_with('G'), "{bob_reply:?}");
        assert_eq!(bob_reply[7], "0", "no account without services");
        assert_eq!(bob_reply[8], "bob real");
    } else {
        // 352 <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
        assert_eq!(bob_reply.len(), 8, "{bob_reply:?}");
        assert_eq!(bob_reply[5], "bob");
        assert!(bob_reply[6].starts_with('G'), "{bob_reply:?}");
    }

    let seen = alice.user("bob").expect("bob tracked");
    assert_eq!(
        seen.user.as_deref().map(|u| u.trim_start_matches('~')),
        Some("bobu")
    );
    assert_eq!(seen.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(seen.realname.as_deref(), Some("bob real"));
    // Only the `G` flag: away, message unknown.
    assert_eq!(seen.away.as_deref(), Some(""));
    assert_eq!(seen.account, None);
    quit(&alice, alice_run).await;
    quit(&bob, bob_run).await;
}

/// `track_state(false)` on a real server: channels without members, no
/// users, no `WHO`; the connection and handlers work as usual.
async fn untracked_state(kind: Kind) {
    use irc_client::extract::Text;
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let bob = client(&server, "bob");
    let bob_run = connect(&bob).await;
    bob.join("#quiet", None).await.expect("bob joins");

    let lean = Client::builder("127.0.0.1", server.port(), "lean")
        .capabilities(DEFAULT_CAPABILITIES.iter().copied())
        .track_state(false)
        .build();
    lean.set_request_timeout(STEP);
    assert!(!lean.tracker_options().members);
    let (tx, mut texts) = mpsc::unbounded_channel();
    lean.on("PRIVMSG", move |Text(t): Text| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(t);
        }
    })
    .expect("on");
    let who = count_events(&lean, &["352", "354", "315"]);
    let lean_run = connect(&lean).await;
    let info = lean.join("#quiet", None).await.expect("lean joins");
    assert_eq!(info.channel.name, "#quiet");
    assert!(info.channel.synced);
    assert!(info.channel.members.is_empty());
    bob.send_raw("TOPIC #quiet :still followed").expect("topic");
    eventually("lean sees the topic", || {
        lean.channel("#quiet")
            .and_then(|c| c.topic)
            .is_some_and(|t| t.text == "still followed")
    })
    .await;
    bob.send_raw("PRIVMSG #quiet :hello lean").expect("send");
    assert_eq!(
        timeout(STEP, texts.recv())
            .await
            .expect("PRIVMSG")
            .expect("open"),
        "hello lean"
    );
    assert!(lean.user("bob").is_none());
    assert!(lean.member_modes("#quiet", "bob").is_none());
    assert_eq!(lean.channels(), ["#quiet"]);
    // No WHO was sent, so no reply came.
    assert_eq!(who.load(Ordering::SeqCst), 0);
    // bob, tracking, sees lean.
    eventually("bob sees lean", || bob.user("lean").is_some()).await;
    quit(&lean, lean_run).await;
    quit(&bob, bob_run).await;
}

/// Counts the events of these names.
fn count_events(client: &Client, names: &[&'static str]) -> std::sync::Arc<AtomicUsize> {
    let n = std::sync::Arc::new(AtomicUsize::new(0));
    for name in names {
        let n = std::sync::Arc::clone(&n);
        client
            .on(*name, move || {
                let n = std::sync::Arc::clone(&n);
                async move {
                    n.fetch_add(1, Ordering::SeqCst);
                }
            })
            .expect("on");
    }
    n
}

macro_rules! more_server_tests {
    ($($kind:ident: $module:ident),*) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn who_after_join_fills_user_details() {
                who_fills_user_details(Kind::$kind).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn state_tracking_turned_off() {
                untracked_state(Kind::$kind).await;
            }
        }
    )*};
}

more_server_tests!(Ngircd: ngircd_more, Inspircd: inspircd_more);

/// Two independent clients in one runtime, one on ngIRCd and one on
/// InspIRCd at the same time, with the same nick, each with its own
/// handlers, state and channel; one quits, the other keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_on_two_servers_in_one_runtime() {
    use irc_client::extract::{State, Text};
    let (Some(ng), Some(insp)) = (
        Server::start(Kind::Ngircd).await,
        Server::start(Kind::Inspircd).await,
    ) else {
        return;
    };
    let (tx, mut heard) = mpsc::unbounded_channel::<(&'static str, String)>();
    let make = |server: &Server, name: &'static str| {
        let client = Client::builder("127.0.0.1", server.port(), "twin")
            .capabilities(DEFAULT_CAPABILITIES.iter().copied())
            .quit_timeout(Duration::from_secs(3))
            .state(name)
            .build();
        client.set_request_timeout(STEP);
        let tx = tx.clone();
        client
            .on(
                "PRIVMSG",
                move |State(name): State<&'static str>, Text(t): Text| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send((name, t));
                    }
                },
            )
            .expect("on");
        client
    };
    let a = make(&ng, "ngircd");
    let b = make(&insp, "inspircd");
    let mut a_down = {
        let (tx, rx) = mpsc::unbounded_channel();
        a.on("CLIENT_DISCONNECT", move || {
            let tx = tx.clone();
            async move {
                let _ = tx.send(());
            }
        })
        .expect("on");
        rx
    };
    // Both connect and join at the same time.
    let (a_run, b_run) = tokio::join!(connect(&a), connect(&b));
    let (ja, jb) = tokio::join!(a.join("#twin", None), b.join("#twin", None));
    assert_eq!(ja.expect("a joins").channel.members.len(), 1);
    assert_eq!(jb.expect("b joins").channel.members.len(), 1);
    assert!(a.isupport().network().is_none_or(|n| n != "Test"));
    assert_eq!(b.isupport().network(), Some("Test"));

    // A message to ourselves on each server reaches only that client's
    // handler.
    a.send_raw("PRIVMSG twin :to ngircd").expect("send");
    b.send_raw("PRIVMSG twin :to inspircd").expect("send");
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(
            timeout(STEP, heard.recv())
                .await
                .expect("heard")
                .expect("open"),
        );
    }
    got.sort();
    assert_eq!(
        got,
        [
            ("inspircd", "to inspircd".to_owned()),
            ("ngircd", "to ngircd".to_owned())
        ]
    );

    // The ngIRCd client quits; the InspIRCd one keeps going.
    quit(&a, a_run).await;
    timeout(STEP, a_down.recv())
        .await
        .expect("disconnect")
        .expect("open");
    assert!(!a.is_connected());
    assert!(a.channel("#twin").is_none());
    assert!(matches!(
        a.send_raw("PRIVMSG twin :x"),
        Err(Error::NotConnected)
    ));
    assert!(b.is_connected());
    assert_eq!(b.channels(), ["#twin"]);
    b.join("#after", None)
        .await
        .expect("b joins another channel");
    b.send_raw("PRIVMSG twin :still here").expect("send");
    assert_eq!(
        timeout(STEP, heard.recv())
            .await
            .expect("heard")
            .expect("open"),
        ("inspircd", "still here".to_owned())
    );
    assert_eq!(b.channels(), ["#after", "#twin"]);
    quit(&b, b_run).await;
    assert!(heard.try_recv().is_err());
}
