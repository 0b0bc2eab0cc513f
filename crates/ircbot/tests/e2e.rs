//! `ircbot run` end to end: the built binary against a real ngIRCd started
//! on a free loopback port with a generated configuration in a temporary
//! directory, and an irc-client playing the human in the channel.
//!
//! The server binary comes from `IRC_TEST_NGIRCD`, else the PATH and the
//! sbin directories. A missing server fails the test when
//! `IRC_TEST_REQUIRE_SERVERS=1`, and otherwise the test says that it
//! skipped. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use irc_client::Client;
use irc_client::extract::{Nick, Raw, Target, Text};
use irc_proto::Command;
use irc_testkit::{Kind, Server};
use tokio::process::{Child, Command as Process};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// How long one reply may take (ngIRCd delays commands that come fast).
const STEP: Duration = Duration::from_secs(20);

/// A line seen by the human: command, sender nick, target, text.
type Line = (String, String, String, String);

/// The bot process; killed on drop.
struct BotProcess {
    child: Child,
    log: PathBuf,
}

impl BotProcess {
    fn start(config: &Path, log: PathBuf) -> Self {
        let file = std::fs::File::create(&log).expect("bot log");
        let child = Process::new(env!("CARGO_BIN_EXE_ircbot"))
            .arg("run")
            .arg("-c")
            .arg(config)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("start ircbot");
        Self { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (bounded) for the exit; asserts exit 0.
    async fn terminate(mut self) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let started = Instant::now();
        let exit = timeout(Duration::from_secs(10), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("ircbot did not stop on SIGTERM:\n{}", self.log()))
            .expect("wait");
        assert!(exit.success(), "exit {exit}:\n{}", self.log());
        assert!(started.elapsed() < Duration::from_secs(8));
    }
}

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("bot.toml");
    std::fs::write(
        &path,
        format!(
            "[server]\nhost = \"127.0.0.1\"\nport = {port}\ntls = false\n\n\
             [identity]\nnick = \"e2ebot\"\n\n\
             [state]\ndir = \"state\"\n\n\
             [bot]\nchannels = [\"#e2e\"]\n\
             # Nick-based admin, on purpose: ngIRCd has no services.\n\
             admins = [\"~boss\"]\n\n\
             [log]\nlevel = \"info,irc_client=debug\"\n"
        ),
    )
    .expect("write bot.toml");
    path
}

/// The human: a client that records what it sees.
async fn human(port: u16, nick: &str) -> (Client, mpsc::UnboundedReceiver<Line>) {
    let client = Client::builder("127.0.0.1", port, nick).build();
    let (tx, rx) = mpsc::unbounded_channel();
    for verb in ["PRIVMSG", "NOTICE"] {
        let tx = tx.clone();
        client
            .on(
                verb,
                move |Nick(n): Nick, Target(t): Target, Text(x): Text| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send((verb.to_owned(), n, t, x));
                    }
                },
            )
            .expect("handler");
    }
    for verb in ["JOIN", "QUIT"] {
        let tx = tx.clone();
        client
            .on(verb, move |Nick(n): Nick, Raw(m): Raw| {
                let tx = tx.clone();
                async move {
                    let text = if verb == "QUIT" {
                        m.params.last().cloned().unwrap_or_default()
                    } else {
                        String::new()
                    };
                    let _ = tx.send((verb.to_owned(), n, String::new(), text));
                }
            })
            .expect("handler");
    }
    let connected = client.wait("CLIENT_CONNECT");
    let runner = client.clone();
    tokio::spawn(async move { runner.run_once().await });
    timeout(STEP, connected)
        .await
        .expect("human registered")
        .expect("wait");
    (client, rx)
}

/// Waits (bounded) for a line matching `want`; panics with what was seen.
async fn expect(
    rx: &mut mpsc::UnboundedReceiver<Line>,
    what: &str,
    want: impl Fn(&Line) -> bool,
    bot_log: &Path,
) -> Line {
    let deadline = Instant::now() + STEP;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match timeout(left, rx.recv()).await {
            Ok(Some(line)) if want(&line) => return line,
            Ok(Some(line)) => seen.push(line),
            _ => break,
        }
    }
    let log = std::fs::read_to_string(bot_log).unwrap_or_default();
    panic!("{what}: not seen; saw {seen:#?}\nbot log:\n{log}")
}

fn from_bot_in(channel: &'static str, text: &'static str) -> impl Fn(&Line) -> bool {
    move |(cmd, nick, target, body)| {
        cmd == "PRIVMSG" && nick == "e2ebot" && target == channel && body.contains(text)
    }
}

async fn say(client: &Client, target: &str, text: &str) {
    client
        .send_wait(Command::privmsg(target, text).expect("privmsg"))
        .await
        .expect("send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ircbot_run_against_ngircd() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Without ngIRCd's penalty, so that the bot's replies are not delayed.
    let Some(server) = Server::builder(Kind::Ngircd).penalty(false).start().await else {
        return;
    };
    let config = write_config(dir.path(), server.port());
    let bot = BotProcess::start(&config, dir.path().join("bot1.log"));

    let (alice, mut rx) = human(server.port(), "alice").await;
    alice.join("#e2e", None).await.expect("alice joins #e2e");
    // The bot joins on its own (it may have been first).
    if alice
        .channel("#e2e")
        .and_then(|c| c.member("e2ebot").cloned())
        .is_none()
    {
        expect(
            &mut rx,
            "the bot joining #e2e",
            |(cmd, nick, ..)| cmd == "JOIN" && nick == "e2ebot",
            &bot.log,
        )
        .await;
    }

    say(&alice, "#e2e", "!echo hi").await;
    expect(&mut rx, "!echo", from_bot_in("#e2e", "alice: hi"), &bot.log).await;

    say(&alice, "#e2e", "!help").await;
    // Help is rendered for IRC: list items with bullets.
    expect(
        &mut rx,
        "!help",
        from_bot_in("#e2e", "\u{2022} !karma"),
        &bot.log,
    )
    .await;
    // Let the rest of the help go by.
    let quiet = Instant::now();
    while quiet.elapsed() < STEP {
        if timeout(Duration::from_secs(3), rx.recv()).await.is_err() {
            break;
        }
    }

    say(&alice, "#e2e", "!tell bob hello there").await;
    expect(
        &mut rx,
        "!tell",
        from_bot_in("#e2e", "alice: I'll pass that on when bob is around."),
        &bot.log,
    )
    .await;

    say(&alice, "#e2e", "!seen carol").await;
    expect(
        &mut rx,
        "!seen",
        from_bot_in("#e2e", "I have not seen carol."),
        &bot.log,
    )
    .await;

    say(&alice, "#e2e", "thing++").await;
    expect(
        &mut rx,
        "karma up",
        from_bot_in("#e2e", "thing's karma is now 1."),
        &bot.log,
    )
    .await;
    say(&alice, "#e2e", "!karma thing").await;
    expect(
        &mut rx,
        "!karma",
        from_bot_in("#e2e", "thing's karma is 1."),
        &bot.log,
    )
    .await;

    say(&alice, "#e2e", "!remind me in 2s tea").await;
    expect(
        &mut rx,
        "!remind",
        from_bot_in("#e2e", "remind you"),
        &bot.log,
    )
    .await;
    expect(
        &mut rx,
        "the reminder",
        from_bot_in("#e2e", "tea"),
        &bot.log,
    )
    .await;

    // Formatting: Markdown becomes IRC codes (a closing code at the very
    // end of a line is left out: formatting ends with the line anyway).
    say(&alice, "#e2e", "!echo **bold** text").await;
    expect(
        &mut rx,
        "bold",
        from_bot_in("#e2e", "alice: \x02bold\x02 text"),
        &bot.log,
    )
    .await;

    // A private command is answered privately.
    say(&alice, "e2ebot", "!echo psst").await;
    expect(
        &mut rx,
        "private reply",
        |(cmd, nick, target, body)| {
            cmd == "PRIVMSG" && nick == "e2ebot" && target == "alice" && body == "psst"
        },
        &bot.log,
    )
    .await;

    // CTCP VERSION is answered with a NOTICE.
    say(&alice, "e2ebot", "\x01VERSION\x01").await;
    expect(
        &mut rx,
        "CTCP VERSION",
        |(cmd, nick, _, body)| {
            cmd == "NOTICE" && nick == "e2ebot" && body.starts_with("\x01VERSION ircbot ")
        },
        &bot.log,
    )
    .await;

    // An admin command from a non-admin is refused...
    say(&alice, "#e2e", "!join #elsewhere").await;
    expect(
        &mut rx,
        "refusal",
        from_bot_in("#e2e", "This command requires bot-admin privileges."),
        &bot.log,
    )
    .await;
    // ...and accepted from the nick the operator opted in (`~boss`).
    alice
        .send_wait(Command::nick("boss").expect("nick"))
        .await
        .expect("nick");
    let renamed = Instant::now();
    while alice.nick() != "boss" && renamed.elapsed() < STEP {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(alice.nick(), "boss");
    say(&alice, "#e2e", "!join #elsewhere").await;
    expect(
        &mut rx,
        "admin join",
        from_bot_in("#e2e", "#elsewhere"),
        &bot.log,
    )
    .await;

    // SIGTERM: QUIT with a message, exit 0.
    bot.terminate().await;
    expect(
        &mut rx,
        "the bot's QUIT",
        |(cmd, nick, _, text)| cmd == "QUIT" && nick == "e2ebot" && text.contains("SIGTERM"),
        &dir.path().join("bot1.log"),
    )
    .await;

    // Started again, it remembers.
    let bot = BotProcess::start(&config, dir.path().join("bot2.log"));
    expect(
        &mut rx,
        "the bot joining again",
        |(cmd, nick, ..)| cmd == "JOIN" && nick == "e2ebot",
        &bot.log,
    )
    .await;
    say(&alice, "#e2e", "!karma thing").await;
    expect(
        &mut rx,
        "karma kept",
        from_bot_in("#e2e", "thing's karma is 1."),
        &bot.log,
    )
    .await;
    say(&alice, "#e2e", "!seen alice").await;
    let (.., seen) = expect(&mut rx, "seen kept", from_bot_in("#e2e", "alice"), &bot.log).await;
    assert!(!seen.contains("have not seen"), "{seen}");
    bot.terminate().await;
    let _ = alice.quit("done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ircbot_run_waits_for_a_silent_server_and_stops_on_sigterm() {
    // A server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accept = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
            if held.len() > 20 {
                break;
            }
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), port);
    let mut bot = BotProcess::start(&config, dir.path().join("bot.log"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        bot.child.try_wait().expect("try_wait").is_none(),
        "ircbot gave up on a slow server:\n{}",
        bot.log()
    );
    bot.terminate().await;
    accept.abort();
}
