//! The client against a scripted fake server on loopback: exact lines for
//! registration, CAP and nick fallback; handlers, dispatch, trigger and wait;
//! and the compile-time diagnostics of handlers (trybuild).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use irc_client::extract::{Channel, MsgId, Nick, Numeric, Params, Raw, ServerTime, Target, Text};
use irc_client::{Availability, Client, Error, Event};
use irc_proto::MessageBuf;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long any single step may take before the test fails.
const STEP: Duration = Duration::from_secs(5);

/// One scripted server connection.
struct FakeServer {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl FakeServer {
    /// The next line from the client, without CRLF.
    async fn recv(&mut self) -> String {
        let mut line = String::new();
        let n = timeout(STEP, self.reader.read_line(&mut line))
            .await
            .expect("the client sent nothing in time")
            .expect("read");
        assert!(n > 0, "the client closed the connection");
        assert!(line.ends_with("\r\n"), "line without CRLF: {line:?}");
        line.truncate(line.len() - 2);
        line
    }

    /// Asserts the next line from the client.
    async fn expect(&mut self, want: &str) {
        assert_eq!(self.recv().await, want);
    }

    /// Sends one line to the client.
    async fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("write");
    }

    /// Waits until the client closes its side.
    async fn expect_eof(&mut self) {
        let mut rest = String::new();
        let n = timeout(STEP, self.reader.read_line(&mut rest))
            .await
            .expect("the client did not close in time")
            .expect("read");
        assert_eq!(n, 0, "unexpected line {rest:?}");
    }

    /// The standard registration with no capabilities, ending with `001`.
    async fn register(&mut self, nick: &str) {
        self.expect("CAP LS 302").await;
        self.send(":srv CAP * LS :").await;
        self.expect("CAP END").await;
        self.expect(&format!("NICK {nick}")).await;
        assert!(self.recv().await.starts_with("USER "));
        self.send(&format!(":srv 001 {nick} :Welcome")).await;
    }
}

/// A client for a fresh fake server, started; returns the server side once
/// the client has connected.
async fn start(
    builder: impl FnOnce(irc_client::ClientBuilder) -> irc_client::ClientBuilder,
) -> (Client, FakeServer, JoinHandle<Result<(), Error>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client =
        builder(Client::builder("127.0.0.1", port, "bot").quit_timeout(Duration::from_secs(2)))
            .build();
    let run = {
        let client = client.clone();
        tokio::spawn(async move { client.run_once().await.map(|_| ()) })
    };
    let (stream, _) = timeout(STEP, listener.accept())
        .await
        .expect("no connection")
        .expect("accept");
    (client, server(stream), run)
}

fn server(stream: TcpStream) -> FakeServer {
    let (r, w) = stream.into_split();
    FakeServer {
        reader: BufReader::new(r),
        writer: w,
    }
}

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    timeout(STEP, rx.recv())
        .await
        .expect("nothing arrived in time")
        .expect("channel closed")
}

#[tokio::test]
async fn registration_sends_cap_first_then_pass_nick_user() {
    let (client, mut srv, run) = start(|b| {
        b.password("hunter2")
            .user("ident")
            .realname("Real Name")
            .capabilities(["multi-prefix", "server-time", "batch"])
    })
    .await;
    let connected = client.wait("CLIENT_CONNECT");
    srv.expect("CAP LS 302").await;
    srv.send(":srv CAP * LS * :sasl=PLAIN,EXTERNAL multi-prefix")
        .await;
    srv.send(":srv CAP * LS :server-time away-notify").await;
    srv.expect("CAP REQ :multi-prefix server-time").await;
    srv.send(":srv CAP * ACK :multi-prefix server-time").await;
    srv.expect("CAP END").await;
    srv.expect("PASS hunter2").await;
    srv.expect("NICK bot").await;
    srv.expect("USER ident 0 * :Real Name").await;
    srv.send(":srv 001 bot :Welcome").await;
    timeout(STEP, connected)
        .await
        .expect("no CLIENT_CONNECT")
        .expect("wait");
    assert_eq!(client.nick(), "bot");
    assert!(client.is_connected());
    client.quit("bye").expect("quit");
    srv.expect("QUIT bye").await;
    drop(srv);
    timeout(STEP, run)
        .await
        .expect("run did not end")
        .expect("join")
        .expect("run");
    assert!(!client.is_connected());
}

#[tokio::test]
async fn nick_collision_falls_back_to_alternates_then_underscores() {
    let (client, mut srv, _run) = start(|b| b.alt_nicks(["bot2"])).await;
    let welcome = client.wait("RPL_WELCOME");
    srv.expect("CAP LS 302").await;
    srv.send(":srv 421 * CAP :Unknown command").await;
    srv.expect("NICK bot").await;
    srv.expect("USER bot 0 * bot").await;
    srv.send(":srv 433 * bot :Nickname is already in use").await;
    srv.expect("NICK bot2").await;
    srv.send(":srv 433 * bot2 :Nickname is already in use")
        .await;
    srv.expect("NICK bot_").await;
    srv.send(":srv 436 * bot_ :Nickname collision").await;
    srv.expect("NICK bot__").await;
    srv.send(":srv 001 bot__ :Welcome").await;
    let ev = timeout(STEP, welcome).await.expect("no 001").expect("wait");
    assert_eq!(ev.name().as_str(), "001");
    assert_eq!(client.nick(), "bot__");
    // Our own nick change is followed.
    srv.send(":bot__!u@h NICK :better").await;
    srv.send("PING :sync").await;
    srv.expect("PONG sync").await;
    assert_eq!(client.nick(), "better");
}

#[tokio::test]
async fn exhausted_nicks_fail_registration() {
    let (_client, mut srv, run) = start(|b| b).await;
    srv.expect("CAP LS 302").await;
    srv.send(":srv CAP * LS :").await;
    srv.expect("CAP END").await;
    srv.expect("NICK bot").await;
    srv.recv().await;
    for _ in 0..=irc_client::state::register::MAX_UNDERSCORES {
        srv.send(":srv 433 * x :in use").await;
    }
    let result = timeout(STEP, run)
        .await
        .expect("run did not end")
        .expect("join");
    assert!(
        matches!(
            result,
            Err(Error::Registration(
                irc_client::RegistrationError::NicksExhausted { .. }
            ))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn ping_is_answered_and_handlers_get_mapped_arguments() {
    let (client, mut srv, _run) = start(|b| b).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .on(
            "PRIVMSG",
            move |Nick(n): Nick,
                  Target(t): Target,
                  Text(x): Text,
                  ch: Option<Channel>,
                  time: Option<ServerTime>,
                  id: Option<MsgId>| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(format!(
                        "{n} {t} {x} {:?} {:?} {:?}",
                        ch.map(|c| c.0),
                        time.map(|t| t.0),
                        id.map(|i| i.0)
                    ));
                }
            },
        )
        .expect("on PRIVMSG");
    srv.register("bot").await;
    srv.send("PING :token here").await;
    srv.expect("PONG :token here").await;
    srv.send("@time=2024-01-01T00:00:00.000Z;msgid=m1 :dan!d@host PRIVMSG #rust :hello world")
        .await;
    srv.send(":dan!d@host PRIVMSG bot :psst").await;
    assert_eq!(
        recv(&mut rx).await,
        r##"dan #rust hello world Some("#rust") Some("2024-01-01T00:00:00.000Z") Some("m1")"##
    );
    assert_eq!(recv(&mut rx).await, "dan bot psst None None None");
}

#[tokio::test]
async fn numerics_by_name_and_code_are_one_event() {
    let (client, mut srv, _run) = start(|b| b).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    for name in ["RPL_ENDOFMOTD", "376", "rpl_endofmotd"] {
        let tx = tx.clone();
        client
            .on(
                name,
                move |Numeric(n): Numeric, Target(t): Target, Text(x): Text| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(format!("{} {n} {t} {x}", n.code()));
                    }
                },
            )
            .expect("on 376");
    }
    let motd = client.wait("RPL_ENDOFMOTD");
    srv.register("bot").await;
    srv.send(":srv 376 bot :End of MOTD").await;
    for _ in 0..3 {
        assert_eq!(recv(&mut rx).await, "376 RPL_ENDOFMOTD bot End of MOTD");
    }
    let ev = timeout(STEP, motd).await.expect("no 376").expect("wait");
    assert_eq!(ev.message().map(|m| m.params.len()), Some(2));
}

#[tokio::test]
async fn unknown_verbs_are_delivered() {
    let (client, mut srv, _run) = start(|b| b).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .on(
            "FROBNICATE",
            move |Params(p): Params, nick: Option<Nick>| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send((p, nick.map(|n| n.0)));
                }
            },
        )
        .expect("on");
    srv.register("bot").await;
    srv.send(":x!y@z frobnicate a :b c").await;
    assert_eq!(
        recv(&mut rx).await,
        (vec!["a".to_owned(), "b c".to_owned()], Some("x".to_owned()))
    );
}

#[tokio::test]
async fn a_panicking_handler_is_contained() {
    let (client, mut srv, _run) = start(|b| b).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .on("PRIVMSG", |Text(t): Text| async move {
            assert!(t != "boom", "handler exploded");
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
    srv.register("bot").await;
    srv.send(":a!b@c PRIVMSG #c :boom").await;
    srv.send(":a!b@c PRIVMSG #c :still here").await;
    assert_eq!(recv(&mut rx).await, "boom");
    assert_eq!(recv(&mut rx).await, "still here");
    srv.send("PING :alive").await;
    srv.expect("PONG alive").await;
}

#[tokio::test]
async fn a_slow_handler_does_not_stall_reading_and_order_is_kept() {
    let (client, mut srv, _run) = start(|b| b.max_concurrent_handlers(1)).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let seen = Arc::clone(&seen);
        client
            .on("PRIVMSG", move |Text(t): Text| {
                let seen = Arc::clone(&seen);
                let tx = tx.clone();
                async move {
                    if t == "slow" {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                    }
                    seen.lock().expect("lock").push(t);
                    let _ = tx.send(());
                }
            })
            .expect("on");
    }
    srv.register("bot").await;
    srv.send(":a!b@c PRIVMSG #c :slow").await;
    for i in 0..20 {
        srv.send(&format!(":a!b@c PRIVMSG #c :{i}")).await;
    }
    // The read loop answers at once although the only handler slot is busy.
    let t = std::time::Instant::now();
    srv.send("PING :now").await;
    srv.expect("PONG now").await;
    assert!(
        t.elapsed() < Duration::from_millis(1000),
        "PONG took {:?}",
        t.elapsed()
    );
    for _ in 0..21 {
        recv(&mut rx).await;
    }
    let want: Vec<String> = std::iter::once("slow".to_owned())
        .chain((0..20).map(|i| i.to_string()))
        .collect();
    assert_eq!(*seen.lock().expect("lock"), want);
}

#[tokio::test]
async fn unsafe_lines_are_refused_and_never_written() {
    let (client, mut srv, _run) = start(|b| b).await;
    srv.register("bot").await;
    let connected = client.wait("CLIENT_CONNECT");
    timeout(STEP, connected).await.ok();
    let evil = MessageBuf::new("PRIVMSG")
        .with_param("#c")
        .with_param("hi\r\nQUIT :pwned");
    assert!(matches!(client.send(evil), Err(Error::Pack(_))));
    assert!(matches!(
        client.send_raw("PRIVMSG #c :a\0b"),
        Err(Error::Pack(_))
    ));
    client.send_raw("PRIVMSG #c :fine").expect("send");
    srv.expect("PRIVMSG #c fine").await;
}

#[tokio::test]
async fn overlong_and_undecodable_lines_do_not_end_the_connection() {
    let (client, mut srv, _run) = start(|b| b.max_line_length(600)).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .on("PRIVMSG", move |Text(t): Text| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(t);
            }
        })
        .expect("on");
    srv.register("bot").await;
    srv.send(&format!(":a!b@c PRIVMSG #c :{}", "x".repeat(5000)))
        .await;
    srv.writer
        .write_all(b":a!b@c PRIVMSG #c :caf\xe9\r\n")
        .await
        .expect("write");
    srv.send("PING :after").await;
    srv.expect("PONG after").await;
    assert_eq!(recv(&mut rx).await, "café");
}

#[tokio::test]
async fn server_closing_ends_run_and_fires_disconnect() {
    let (client, mut srv, run) = start(|b| b).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .on("CLIENT_DISCONNECT", move |c: Client| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(c.is_connected());
            }
        })
        .expect("on");
    srv.register("bot").await;
    srv.send("ERROR :Closing link").await;
    drop(srv);
    let result = timeout(STEP, run)
        .await
        .expect("run did not end")
        .expect("join");
    assert!(result.is_ok(), "{result:?}");
    assert!(!recv(&mut rx).await, "still connected in CLIENT_DISCONNECT");
    assert!(matches!(
        client.send_raw("PING x"),
        Err(Error::NotConnected)
    ));
}

#[tokio::test]
async fn manual_registration_from_client_connect() {
    let (client, mut srv, _run) = start(|b| b.auto_register(false)).await;
    // Registered after `run` started: CLIENT_CONNECT may already be queued,
    // so the server side speaks first.
    client
        .on("NOTICE", |c: Client, Text(t): Text| async move {
            if t == "register now" {
                c.send_raw("NICK manual")?;
                c.send_raw("USER m 0 * :Manual")?;
            }
            Ok::<(), Error>(())
        })
        .expect("on");
    srv.send(":srv NOTICE * :register now").await;
    srv.expect("NICK manual").await;
    srv.expect("USER m 0 * Manual").await;
    srv.send("PING :x").await;
    srv.expect("PONG x").await;
}

#[tokio::test]
async fn client_connect_without_registration_comes_first() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = Client::builder("127.0.0.1", port, "bot")
        .auto_register(false)
        .build();
    client
        .on("CLIENT_CONNECT", |c: Client| async move {
            c.send_raw("NICK bottom")?;
            c.send_raw("USER b 0 * :Bottom style")
        })
        .expect("on");
    let _run = {
        let client = client.clone();
        tokio::spawn(async move { client.run_once().await.map(|_| ()) })
    };
    let (stream, _) = timeout(STEP, listener.accept())
        .await
        .expect("accept")
        .expect("accept");
    let mut srv = server(stream);
    srv.expect("NICK bottom").await;
    srv.expect("USER b 0 * :Bottom style").await;
}

#[tokio::test]
async fn quit_sends_quit_and_joins_everything() {
    let (client, mut srv, run) = start(|b| b).await;
    srv.register("bot").await;
    timeout(STEP, client.wait("CLIENT_CONNECT")).await.ok();
    client.quit("see you").expect("quit");
    srv.expect("QUIT :see you").await;
    // The server does not close: the quit timeout does.
    let result = timeout(STEP, run)
        .await
        .expect("run did not end")
        .expect("join");
    assert!(result.is_ok());
    srv.expect_eof().await;
}

#[tokio::test]
async fn trigger_and_wait_without_a_server() {
    let client = Client::builder("127.0.0.1", 1, "bot").build();
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .on(
            "JOIN",
            move |Nick(n): Nick, Channel(c): Channel, Raw(m): Raw| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send((n, c, m.command));
                }
            },
        )
        .expect("on");
    let first = client.wait_any(["PART", "JOIN"]);
    let custom = client.wait("MY_EVENT");
    client
        .trigger(Event::parse(":dan!d@h JOIN #rust").expect("parse"))
        .expect("trigger");
    client.trigger(Event::local("my_event")).expect("trigger");
    assert_eq!(
        recv(&mut rx).await,
        ("dan".into(), "#rust".into(), "JOIN".into())
    );
    let ev = timeout(STEP, first).await.expect("wait").expect("wait");
    assert_eq!(ev.name().as_str(), "JOIN");
    let ev = timeout(STEP, custom).await.expect("wait").expect("wait");
    assert!(ev.message().is_none());
    // The handler's own output goes nowhere without a connection.
    assert!(matches!(
        client.send_raw("PING x"),
        Err(Error::NotConnected)
    ));
}

#[test]
fn trigger_outside_a_runtime_is_an_error() {
    let client = Client::builder("127.0.0.1", 1, "bot").build();
    assert!(matches!(
        client.trigger(Event::local("X")),
        Err(Error::NoRuntime)
    ));
}

#[test]
fn trigger_refuses_a_message_no_server_could_send() {
    let client = Client::builder("127.0.0.1", 1, "bot").build();
    let evil = MessageBuf::new("PRIVMSG")
        .with_param("#c")
        .with_param("hi\r\nQUIT :bye");
    assert!(matches!(client.trigger(evil), Err(Error::Pack(_))));
}

#[tokio::test]
async fn triggered_messages_read_the_same_as_received_ones() {
    let client = Client::builder("127.0.0.1", 1, "bot").build();
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .on(
            "PRIVMSG",
            move |Nick(n): Nick, Target(t): Target, Text(x): Text| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send((n, t, x));
                }
            },
        )
        .expect("register");
    let built = MessageBuf::new("PRIVMSG")
        .with_source("dan!d@h")
        .with_param("#rust")
        .with_param("hello there");
    client.trigger(built).expect("trigger");
    client
        .trigger(Event::parse(":ann!a@h PRIVMSG #rust :second").expect("parse"))
        .expect("trigger");
    let first = timeout(Duration::from_secs(5), rx.recv()).await;
    let second = timeout(Duration::from_secs(5), rx.recv()).await;
    assert_eq!(
        first.expect("in time").expect("sent"),
        ("dan".into(), "#rust".into(), "hello there".into())
    );
    assert_eq!(
        second.expect("in time").expect("sent"),
        ("ann".into(), "#rust".into(), "second".into())
    );
}

#[test]
fn registration_checks_name_event_and_parameter() {
    let client = Client::builder("127.0.0.1", 1, "bot").build();
    let err = client
        .on("JOIN", |Text(t): Text| async move { drop(t) })
        .unwrap_err();
    assert_eq!(err.event.as_str(), "JOIN");
    assert_eq!(err.param, "Text");
    assert_eq!(err.availability, Availability::Never);

    let err = client
        .on("PRIVMSG", |Channel(c): Channel| async move { drop(c) })
        .unwrap_err();
    assert_eq!(err.availability, Availability::Maybe);
    assert_eq!(
        err.to_string(),
        "a handler for PRIVMSG asks for `Channel`, which a PRIVMSG event may not carry: ask for `Option<Channel>`"
    );
    assert!(
        client
            .on("PRIVMSG", |c: Option<Channel>| async move { drop(c) })
            .is_ok()
    );

    let err = client
        .on("JOIN", |t: Option<Text>| async move { drop(t) })
        .unwrap_err();
    assert_eq!(err.param, "Option<Text>");

    let err = client
        .on("CLIENT_CONNECT", |Raw(m): Raw| async move { drop(m) })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a handler for CLIENT_CONNECT asks for `Raw`, which a CLIENT_CONNECT event never carries"
    );

    let err = client
        .on("376", |Nick(n): Nick| async move { drop(n) })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a handler for 376 (RPL_ENDOFMOTD) asks for `Nick`, which a 376 (RPL_ENDOFMOTD) event never carries"
    );

    let err = client
        .on("PRIVMSG", |t: ServerTime| async move { drop(t) })
        .unwrap_err();
    assert_eq!(err.availability, Availability::Maybe);
    assert!(
        client
            .on("PRIVMSG", |Numeric(n): Numeric| async move {
                assert!(n.code() > 0);
            })
            .is_err()
    );
    assert!(
        client
            .on(
                "433",
                |Numeric(n): Numeric| async move { assert!(n.code() > 0) }
            )
            .is_ok()
    );

    // Twelve parameters are fine.
    assert!(
        client
            .on(
                "PRIVMSG",
                |_: Client,
                 _: Nick,
                 _: Target,
                 _: Text,
                 _: Raw,
                 _: Params,
                 _: Option<Channel>,
                 _: Option<ServerTime>,
                 _: Option<MsgId>,
                 _: irc_client::extract::Source,
                 _: irc_client::extract::User,
                 _: irc_client::extract::Host| async {}
            )
            .is_ok()
    );
}

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[tokio::test]
async fn dropping_run_closes_the_connection() {
    let (client, mut srv, run) = start(|b| b).await;
    srv.register("bot").await;
    timeout(STEP, client.wait("CLIENT_CONNECT")).await.ok();
    assert!(matches!(client.run().await, Err(Error::AlreadyRunning)));
    run.abort();
    let _ = run.await;
    assert!(!client.is_connected());
    srv.expect_eof().await;
}

#[tokio::test]
async fn a_server_silent_on_cap_gets_nick_and_user_after_the_cap_timeout() {
    let (client, mut srv, _run) = start(|b| b.cap_timeout(Duration::from_millis(200))).await;
    srv.expect("CAP LS 302").await;
    // No reply at all: the client goes on without capabilities.
    srv.expect("NICK bot").await;
    srv.expect("USER bot 0 * bot").await;
    srv.send(":srv 001 bot :Welcome").await;
    timeout(STEP, client.wait("RPL_WELCOME")).await.ok();
}

#[tokio::test]
async fn failed_registration_says_quit() {
    let (_client, mut srv, run) = start(|b| b).await;
    srv.expect("CAP LS 302").await;
    srv.send("ERROR :Closing link: banned").await;
    srv.expect("QUIT :registration failed").await;
    let result = timeout(STEP, run)
        .await
        .expect("run did not end")
        .expect("join");
    assert!(
        matches!(result, Err(Error::Registration(irc_client::RegistrationError::Closed { ref reason })) if reason == "Closing link: banned"),
        "{result:?}"
    );
}
