//! The client against real IRC servers: ngIRCd and InspIRCd, each started by
//! the test on a free loopback port with a generated configuration in a
//! temporary directory, in the foreground, and killed when the test ends.
//!
//! The server binaries come from `IRC_TEST_NGIRCD` / `IRC_TEST_INSPIRCD`
//! (what `cargo xtask ci` sets), else the PATH and the sbin directories. A
//! missing server fails the test when `IRC_TEST_REQUIRE_SERVERS=1`, and
//! otherwise the test says that it skipped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use irc_client::extract::{Channel, Host, Nick, ServerTime, Target, Text, User};
use irc_client::{Client, Error, Event};
use irc_proto::Command;
use tokio::process::{Child, Command as Process};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/echo.rs"]
mod echo;

/// How long one step (a reply, a registration) may take. ngIRCd delays
/// commands that come fast (its penalty), so this is generous.
const STEP: Duration = Duration::from_secs(10);

/// How long a server may take to start listening.
const STARTUP: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ngircd,
    Inspircd,
}

impl Kind {
    const fn name(self) -> &'static str {
        match self {
            Self::Ngircd => "ngircd",
            Self::Inspircd => "inspircd",
        }
    }

    const fn env_var(self) -> &'static str {
        match self {
            Self::Ngircd => "IRC_TEST_NGIRCD",
            Self::Inspircd => "IRC_TEST_INSPIRCD",
        }
    }

    /// The server binary, if there is one.
    fn binary(self) -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(self.env_var()) {
            return Some(PathBuf::from(p)).filter(|p| p.is_file());
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
            .map(|d| d.join(self.name()))
            .find(|p| p.is_file())
    }
}

/// A running server; killed, and its directory removed, on drop.
struct Server {
    kind: Kind,
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    /// Starts a server of this kind, or returns `None` (after saying so) when
    /// it is not installed and not required.
    async fn start(kind: Kind) -> Option<Self> {
        let Some(binary) = kind.binary() else {
            let hint = format!(
                "{} not found: set {} or run `apt-get install -y {}` (or `cargo xtask servers`)",
                kind.name(),
                kind.env_var(),
                kind.name()
            );
            assert!(
                std::env::var("IRC_TEST_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "IRC_TEST_REQUIRE_SERVERS=1 but {hint}"
            );
            eprintln!("skipped: {hint}");
            return None;
        };
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "irc-client-test-{}-{}-{}",
            kind.name(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let port = free_port();
        let mut cmd = Process::new(&binary);
        match kind {
            Kind::Ngircd => {
                let conf = dir.join("ngircd.conf");
                std::fs::write(&conf, ngircd_conf(port)).expect("write config");
                cmd.arg("--nodaemon").arg("--config").arg(&conf);
            }
            Kind::Inspircd => {
                let conf = dir.join("inspircd.conf");
                std::fs::write(dir.join("motd.txt"), "Welcome to the test server.\n")
                    .expect("motd");
                std::fs::write(&conf, inspircd_conf(port, &dir)).expect("write config");
                cmd.args(["--nofork", "--nopid", "--runasroot"])
                    .arg(format!("--config={}", conf.display()));
            }
        }
        let log = std::fs::File::create(dir.join("server.log")).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut server = Self {
            kind,
            port,
            dir,
            child,
        };
        server.wait_listening().await;
        Some(server)
    }

    /// Polls the port until the server accepts connections (bounded).
    async fn wait_listening(&mut self) {
        let start = Instant::now();
        while start.elapsed() < STARTUP {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited with {status}:\n{}", self.kind.name(), self.log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} did not listen within {STARTUP:?}:\n{}",
            self.kind.name(),
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn client(&self, nick: &str) -> irc_client::ClientBuilder {
        Client::builder("127.0.0.1", self.port, nick).quit_timeout(Duration::from_secs(3))
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn ngircd_conf(port: u16) -> String {
    format!(
        "[Global]\n\
         Name = irc.ngircd.test\n\
         Info = irc-client test server\n\
         AdminInfo1 = test\nAdminInfo2 = test\nAdminEMail = test@example.invalid\n\
         Listen = 127.0.0.1\n\
         Ports = {port}\n\
         MotdPhrase = Welcome to the test server.\n\
         [Limits]\n\
         MaxConnectionsIP = 0\n\
         PingTimeout = 120\n\
         [Options]\n\
         PAM = no\nDNS = no\nIdent = no\n"
    )
}

fn inspircd_conf(port: u16, dir: &Path) -> String {
    let dir = dir.display();
    format!(
        r#"<server name="irc.inspircd.test" description="irc-client test server" network="Test">
<admin name="Test" nick="test" email="test@example.invalid">
<bind address="127.0.0.1" port="{port}" type="clients">
<connect name="main" allow="*" timeout="20" pingfreq="120" hardsendq="1048576" softsendq="65536" recvq="65536" threshold="1000" commandrate="1000000" fakelag="off" localmax="1000" globalmax="1000" useident="no" resolvehostnames="no" limit="1000">
<path configdir="{dir}" datadir="{dir}" logdir="{dir}" runtimedir="{dir}" moduledir="/usr/lib/inspircd/modules">
<files motd="{dir}/motd.txt">
<dns server="127.0.0.1" timeout="1">
<options defaultmodes="nt">
<performance softlimit="1024" clonesonconnect="no" timeskipwarn="0">
<module name="cap">
<module name="ircv3">
<module name="ircv3_servertime">
<module name="ircv3_msgid">
<module name="ircv3_accounttag">
<module name="namesx">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{dir}/inspircd.log">
"#
    )
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
    let client = server.client("reg").build();
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
    let alice = server.client("alice").user("al").build();
    let bob = server.client("bob").build();

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
    let first = server.client("dup").build();
    let second = server.client("dup").alt_nicks(["dup2"]).build();
    let third = server.client("dup").alt_nicks(["dup2"]).build();
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
    let client = server.client("gone").build();
    let disconnected = client.wait("CLIENT_DISCONNECT");
    let run = connect(&client).await;
    server.child.start_kill().expect("kill");
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
    let bot = echo::echo_bot("127.0.0.1", server.port, "echo", "#echo").expect("bot");
    let bot_joined = bot.wait("RPL_ENDOFNAMES");
    let bot_run = spawn_run(&bot);
    timeout(STEP, bot_joined)
        .await
        .expect("the bot did not join")
        .expect("wait");

    let user = server.client("user").build();
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
    let client = server.client("trig").build();
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
