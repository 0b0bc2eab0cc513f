//! The client against real IRC servers: ngIRCd and InspIRCd, each started by
//! the test on a free loopback port with a generated configuration in a
//! temporary directory, in the foreground, and killed when the test ends.
//!
//! The server binaries come from `IRC_TEST_NGIRCD` / `IRC_TEST_INSPIRCD`
//! (what `cargo xtask ci` sets), else the PATH and the sbin directories. A
//! missing server fails the test when `IRC_TEST_REQUIRE_SERVERS=1`, and
//! otherwise the test says that it skipped.

use std::time::Duration;

use irc_client::extract::{Channel, Host, Nick, ServerTime, Target, Text, User};
use irc_client::{Client, Error, Event};
use irc_proto::Command;
use irc_testkit::{Kind, Server};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/echo.rs"]
mod echo;

/// How long one step (a reply, a registration) may take. ngIRCd delays
/// commands that come fast (its penalty), so this is generous.
const STEP: Duration = Duration::from_secs(10);

/// A client builder for this server.
fn builder(server: &Server, nick: &str) -> irc_client::ClientBuilder {
    Client::builder("127.0.0.1", server.port(), nick).quit_timeout(Duration::from_secs(3))
}

fn spawn_run(client: &Client) -> JoinHandle<Result<(), Error>> {
    let client = client.clone();
    tokio::spawn(async move { client.run_once().await.map(|_| ()) })
}

/// Runs a client until it has registered (`CLIENT_CONNECT`).
async fn connect(client: &Client) -> JoinHandle<Result<(), Error>> {
    let connected = client.wait("CLIENT_CONNECT");
    let run = spawn_run(client);
    match timeout(STEP, connected).await {
        Ok(Ok(_)) => run,
        other => {
            let result = if run.is_finished() {
                format!("{:?}", run.await)
            } else {
                "still running".into()
            };
            panic!("no CLIENT_CONNECT: {other:?}; run: {result}")
        }
    }
}

/// Joins a channel and waits for the end of its NAMES list.
async fn join(client: &Client, channel: &str) {
    let names = client.wait("RPL_ENDOFNAMES");
    client
        .send(Command::join(&[channel]).expect("join"))
        .expect("send");
    let ev = timeout(STEP, names).await.expect("no 366").expect("wait");
    assert_eq!(
        ev.message()
            .and_then(|m| m.params.get(1))
            .map(String::as_str),
        Some(channel)
    );
}

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    timeout(STEP, rx.recv())
        .await
        .expect("nothing arrived in time")
        .expect("closed")
}

async fn quit(client: &Client, run: JoinHandle<Result<(), Error>>) {
    client.quit("done").expect("quit");
    let result = timeout(STEP, run)
        .await
        .expect("run did not end")
        .expect("join");
    assert!(result.is_ok(), "{result:?}");
}

/// Connect, register, see the MOTD end through `wait`, learn our nick.
async fn registers(kind: Kind) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let client = builder(&server, "reg").build();
    let motd = client.wait_any(["RPL_ENDOFMOTD", "ERR_NOMOTD"]);
    let run = connect(&client).await;
    assert_eq!(client.nick(), "reg");
    let ev = timeout(STEP, motd)
        .await
        .expect("no end of MOTD")
        .expect("wait");
    assert_eq!(ev.name().as_str(), "376", "{}", server.log());
    // `wait` on a numeric asked for by a command.
    let whois = client.wait("RPL_ENDOFWHOIS");
    client.send_raw("WHOIS reg").expect("send");
    let ev = timeout(STEP, whois).await.expect("no 318").expect("wait");
    assert_eq!(
        ev.message()
            .and_then(|m| m.params.get(1))
            .map(String::as_str),
        Some("reg")
    );
    quit(&client, run).await;
}

/// Two clients in a channel: PRIVMSG and NOTICE both ways, with the
/// handlers' arguments mapped from real traffic.
async fn two_clients_talk(kind: Kind) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let alice = builder(&server, "alice").user("al").build();
    let bob = builder(&server, "bob").build();

    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let tx = tx.clone();
        bob.on(
            "PRIVMSG",
            move |Nick(n): Nick,
                  User(u): User,
                  Host(h): Host,
                  Target(t): Target,
                  Text(x): Text,
                  ch: Option<Channel>,
                  time: Option<ServerTime>| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(format!(
                        "PRIVMSG {n} {} {h} {t} {x} {:?} {}",
                        u.trim_start_matches('~'),
                        ch.map(|c| c.0),
                        time.is_some()
                    ));
                }
            },
        )
        .expect("on PRIVMSG");
    }
    {
        let tx = tx.clone();
        bob.on(
            "NOTICE",
            move |Nick(n): Nick, Target(t): Target, Text(x): Text| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(format!("NOTICE {n} {t} {x}"));
                }
            },
        )
        .expect("on NOTICE");
    }
    {
        let tx = tx.clone();
        bob.on(
            "JOIN",
            move |c: Client, Nick(n): Nick, Channel(ch): Channel| {
                let tx = tx.clone();
                async move {
                    if n != c.nick() {
                        let _ = tx.send(format!("JOIN {n} {ch}"));
                    }
                }
            },
        )
        .expect("on JOIN");
    }
    let (atx, mut arx) = mpsc::unbounded_channel();
    alice
        .on(
            "PRIVMSG",
            move |Nick(n): Nick, Target(t): Target, Text(x): Text| {
                let atx = atx.clone();
                async move {
                    let _ = atx.send(format!("{n} {t} {x}"));
                }
            },
        )
        .expect("on PRIVMSG");

    let bob_run = connect(&bob).await;
    join(&bob, "#talk").await;
    let alice_run = connect(&alice).await;
    join(&alice, "#talk").await;
    assert_eq!(recv(&mut rx).await, "JOIN alice #talk");

    alice
        .send(Command::privmsg("#talk", "hello, channel").expect("cmd"))
        .expect("send");
    let line = recv(&mut rx).await;
    let time = kind == Kind::Inspircd; // InspIRCd offers server-time, ngIRCd does not.
    assert_eq!(
        line,
        format!(r##"PRIVMSG alice al 127.0.0.1 #talk hello, channel Some("#talk") {time}"##)
    );

    alice
        .send(Command::notice("bob", "psst").expect("cmd"))
        .expect("send");
    assert_eq!(recv(&mut rx).await, "NOTICE alice bob psst");

    alice
        .send(Command::privmsg("bob", "just you").expect("cmd"))
        .expect("send");
    assert!(
        recv(&mut rx)
            .await
            .starts_with("PRIVMSG alice al 127.0.0.1 bob just you None")
    );

    bob.send(Command::privmsg("alice", "hi back").expect("cmd"))
        .expect("send");
    assert_eq!(recv(&mut arx).await, "bob alice hi back");

    quit(&alice, alice_run).await;
    quit(&bob, bob_run).await;
}

/// A nick in use: the alternate, then underscores.
async fn nick_collision(kind: Kind) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let first = builder(&server, "dup").build();
    let second = builder(&server, "dup").alt_nicks(["dup2"]).build();
    let third = builder(&server, "dup").alt_nicks(["dup2"]).build();
    let r1 = connect(&first).await;
    let r2 = connect(&second).await;
    let r3 = connect(&third).await;
    assert_eq!(first.nick(), "dup");
    assert_eq!(second.nick(), "dup2");
    assert_eq!(third.nick(), "dup_");
    quit(&first, r1).await;
    quit(&second, r2).await;
    quit(&third, r3).await;
}

/// The server goes away: `run` ends and `CLIENT_DISCONNECT` fires.
async fn server_closes(kind: Kind) {
    let Some(mut server) = Server::start(kind).await else {
        return;
    };
    let client = builder(&server, "gone").build();
    let disconnected = client.wait("CLIENT_DISCONNECT");
    let run = connect(&client).await;
    server.kill().await;
    let result = timeout(STEP, run)
        .await
        .expect("run did not end")
        .expect("join");
    // A killed server closes the socket: a clean end or a reset.
    assert!(matches!(result, Ok(()) | Err(Error::Io(_))), "{result:?}");
    timeout(STEP, disconnected)
        .await
        .expect("no CLIENT_DISCONNECT")
        .expect("wait");
    assert!(!client.is_connected());
}

/// The echo example, as shipped, against a real server.
async fn echo_example(kind: Kind) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let bot = echo::echo_bot("127.0.0.1", server.port(), "echo", "#echo").expect("bot");
    let bot_joined = bot.wait("RPL_ENDOFNAMES");
    let bot_run = spawn_run(&bot);
    timeout(STEP, bot_joined)
        .await
        .expect("the bot did not join")
        .expect("wait");

    let user = builder(&server, "user").build();
    let (tx, mut rx) = mpsc::unbounded_channel();
    user.on(
        "PRIVMSG",
        move |Nick(n): Nick, Target(t): Target, Text(x): Text| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(format!("{n} {t} {x}"));
            }
        },
    )
    .expect("on");
    let user_run = connect(&user).await;
    join(&user, "#echo").await;
    user.send(Command::privmsg("#echo", "ping pong").expect("cmd"))
        .expect("send");
    assert_eq!(recv(&mut rx).await, "echo #echo ping pong");
    user.send(Command::privmsg("echo", "private").expect("cmd"))
        .expect("send");
    assert_eq!(recv(&mut rx).await, "echo user private");
    quit(&user, user_run).await;
    quit(&bot, bot_run).await;
}

/// Triggered events go through the same dispatch as real ones.
async fn trigger_mixes_with_traffic(kind: Kind) {
    let Some(server) = Server::start(kind).await else {
        return;
    };
    let client = builder(&server, "trig").build();
    let run = connect(&client).await;
    let pong = client.wait("PONG");
    client.send_raw("PING :probe").expect("send");
    let ev = timeout(STEP, pong).await.expect("no PONG").expect("wait");
    assert_eq!(
        ev.message()
            .and_then(|m| m.params.last())
            .map(String::as_str),
        Some("probe")
    );
    let fake = client.wait("PRIVMSG");
    client
        .trigger(Event::parse(":ghost!g@h PRIVMSG trig :boo").expect("parse"))
        .expect("trigger");
    let ev = timeout(STEP, fake)
        .await
        .expect("no PRIVMSG")
        .expect("wait");
    assert_eq!(
        ev.message().and_then(|m| m.source.as_deref()),
        Some("ghost!g@h")
    );
    quit(&client, run).await;
}

macro_rules! server_tests {
    ($($kind:ident: $module:ident),*) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn registers_and_waits_on_numerics() {
                registers(Kind::$kind).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn two_clients_exchange_privmsg_and_notice() {
                two_clients_talk(Kind::$kind).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn nick_collision_falls_back() {
                nick_collision(Kind::$kind).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn server_closing_ends_the_run() {
                server_closes(Kind::$kind).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn echo_example_echoes() {
                echo_example(Kind::$kind).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn trigger_and_wait_with_real_traffic() {
                trigger_mixes_with_traffic(Kind::$kind).await;
            }
        }
    )*};
}

server_tests!(Ngircd: ngircd, Inspircd: inspircd);
