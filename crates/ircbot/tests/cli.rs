//! The `ircbot` binary, driven as an operator would: through its command
//! line, standard input and output, and files. Every wait is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ircbot");
const LIMIT: Duration = Duration::from_secs(60);

fn ircbot(state: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("XDG_STATE_HOME", state)
        .env("USER", "tester")
        .env_remove("RUST_LOG");
    cmd
}

fn wait(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("ircbot did not stop within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn reader(pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut out = String::new();
        let _ = BufReader::new(pipe).read_to_string(&mut out);
        out
    })
}

/// Runs `ircbot args...` in text mode with `input` on stdin; returns the
/// status, stdout and stderr.
fn text_session(state: &Path, args: &[&str], input: &str) -> (ExitStatus, String, String) {
    let mut child = ircbot(state)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ircbot starts");
    let out = reader(child.stdout.take().unwrap());
    let err = reader(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let status = wait(&mut child);
    (status, out.join().unwrap(), err.join().unwrap())
}

fn run(state: &Path, args: &[&str]) -> (ExitStatus, String, String) {
    let out = ircbot(state)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("ircbot runs");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn text_mode_answers_through_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let (status, out, err) = text_session(
        dir.path(),
        &["--text"],
        "!help\n!echo hi\nthing++\n!karma thing\n!help dice\ntester++\n",
    );
    assert!(status.success(), "{status:?}\n{err}");
    assert!(err.contains("!help"), "the banner says how to start: {err}");
    assert!(out.contains("Available commands"), "{out}");
    for cmd in [
        "!echo", "!karma", "!remind", "!status", "!seen", "!tell", "!dice",
    ] {
        assert!(out.contains(cmd), "{cmd} missing from the help: {out}");
    }
    assert!(out.contains("<ircbot> hi\n"), "{out}");
    assert!(out.contains("thing's karma is now 1."), "{out}");
    assert!(out.contains("thing's karma is 1."), "{out}");
    assert!(out.contains("2d6+1"), "{out}");
    assert!(out.contains("You can't change your own karma."), "{out}");
    assert!(
        dir.path().join("ircbot/ircbot.sqlite3").is_file(),
        "the state lives under XDG_STATE_HOME"
    );

    // The store persists between runs.
    let (status, out, _) = text_session(dir.path(), &["--text"], "!karma thing\n");
    assert!(status.success());
    assert!(out.contains("thing's karma is 1."), "{out}");
}

#[test]
fn text_mode_actions_run_no_command() {
    let dir = tempfile::tempdir().unwrap();
    let (status, out, err) = text_session(
        dir.path(),
        &["--text"],
        "/me !echo sneaky\n/me gives rust++\n!echo live\n",
    );
    assert!(status.success(), "{status:?}\n{err}");
    assert!(!out.contains("sneaky"), "{out}");
    assert!(!out.contains("karma"), "{out}");
    assert!(out.contains("<ircbot> live\n"), "{out}");
}

#[test]
fn text_mode_uses_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        "[server]\nhost = \"irc.example.org\"\npassword = \"server-secret\"\n\
         [identity]\nnick = \"helper\"\n\
         [sasl]\nmechanism = \"PLAIN\"\nusername = \"helper\"\npassword = \"sasl-secret\"\n\
         [state]\ndir = \"data\"\n\
         [bot]\nprefix = \"?\"\n[bot.plugins]\ndisable = [\"Dice\"]\n\
         [log]\nlevel = \"trace\"\n",
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let (status, out, err) = text_session(
        dir.path(),
        &["--text", "-c", c],
        "?echo hi\n?dice\n?plugins\n",
    );
    assert!(status.success(), "{err}");
    assert!(out.contains("<helper> hi\n"), "{out}");
    assert!(out.contains("Command \"dice\" not found"), "{out}");
    assert!(out.contains("Dice (disabled)"), "{out}");
    assert!(dir.path().join("data/ircbot.sqlite3").is_file());
    assert!(
        err.contains("plugin activated"),
        "logs at trace level: {err}"
    );
    for secret in ["server-secret", "sasl-secret"] {
        assert!(
            !err.contains(secret) && !out.contains(secret),
            "{secret} leaked"
        );
    }
}

/// Lines of `pipe`, as they come.
fn lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (bounded) for a line containing `needle`.
fn wait_for(rx: &mpsc::Receiver<String>, needle: &str) {
    let start = Instant::now();
    while start.elapsed() < LIMIT {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.contains(needle) => return,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            _ => {}
        }
    }
    panic!("no line containing {needle:?}");
}

struct Interactive {
    child: Child,
    stdin: ChildStdin,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
}

fn spawn_interactive(state: &Path, args: &[&str]) -> Interactive {
    let mut child = ircbot(state)
        .arg("--text")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ircbot starts");
    let stdin = child.stdin.take().unwrap();
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    Interactive {
        child,
        stdin,
        out,
        err,
    }
}

#[test]
fn quit_command_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut bot = spawn_interactive(dir.path(), &[]);
    wait_for(&bot.err, "!help");
    bot.stdin.write_all(b"!echo before\n!quit\n").unwrap();
    bot.stdin.flush().unwrap();
    wait_for(&bot.out, "before");
    wait_for(&bot.out, "Bye.");
    // Standard input stays open: the bot stops on its own.
    let status = wait(&mut bot.child);
    assert!(status.success(), "{status:?}");
}

#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut bot = spawn_interactive(dir.path(), &[]);
    wait_for(&bot.err, "!help");
    bot.stdin.write_all(b"thing++\n").unwrap();
    bot.stdin.flush().unwrap();
    // The answer comes after the write to the store.
    wait_for(&bot.out, "karma is now 1");
    let killed = Command::new("kill")
        .args(["-TERM", &bot.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = wait(&mut bot.child);
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    // The write survived.
    let (_, out, _) = text_session(dir.path(), &["--text"], "!karma thing\n");
    assert!(out.contains("thing's karma is 1."), "{out}");
}

#[test]
fn init_writes_a_config_that_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf/bot.toml");
    let p = path.to_str().unwrap();
    let (status, _, err) = run(dir.path(), &["init", p]);
    assert!(status.success(), "{err}");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.contains("[server]") && written.contains("# "),
        "commented"
    );

    let (status, out, err) = run(dir.path(), &["check", "-c", p]);
    assert!(status.success(), "{err}");
    assert!(out.contains("OK"), "{out}");

    std::fs::write(&path, "# mine\n").unwrap();
    let (status, _, err) = run(dir.path(), &["init", p]);
    assert!(!status.success());
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    let (status, _, _) = run(dir.path(), &["init", "--force", p]);
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
}

fn check_fails(body: &str, key: &str, line: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, body).unwrap();
    let p = path.to_str().unwrap();
    let (status, _, err) = run(dir.path(), &["check", "-c", p]);
    assert!(!status.success(), "{body} was accepted");
    assert!(
        err.contains(&format!("`{key}`")),
        "key {key} not named: {err}"
    );
    assert!(
        err.contains(&format!("bad.toml:{line}:")),
        "line {line} not given: {err}"
    );
}

#[test]
fn check_names_the_bad_key_and_line() {
    let base = "[server]\nhost = \"irc.example.org\"\n\n[identity]\nnick = \"bot\"\n";
    // Unknown key.
    check_fails(&format!("{base}nikname = \"x\"\n"), "identity.nikname", 6);
    // Wrong type.
    check_fails(
        "[server]\nhost = \"h\"\nport = \"sixty\"\n[identity]\nnick = \"bot\"\n",
        "server.port",
        3,
    );
    check_fails(
        "[server]\nhost = \"h\"\ntls = \"yes\"\n[identity]\nnick = \"bot\"\n",
        "server.tls",
        3,
    );
    // Missing nick.
    check_fails(
        "[server]\nhost = \"h\"\n\n[identity]\nrealname = \"x\"\n",
        "identity.nick",
        4,
    );
    // Invalid nick, port out of range, SASL without a password.
    check_fails(
        "[server]\nhost = \"h\"\n[identity]\nnick = \"\"\n",
        "identity.nick",
        4,
    );
    check_fails(
        "[server]\nhost = \"h\"\nport = 0\n[identity]\nnick = \"bot\"\n",
        "server.port",
        3,
    );
    check_fails(
        &format!("{base}[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\n"),
        "sasl.mechanism",
        7,
    );
    // A file that does not exist.
    check_fails(
        &format!(
            "{base}[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\npassword_file = \"nope.txt\"\n"
        ),
        "sasl.password_file",
        9,
    );
}

#[test]
fn check_needs_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (status, _, err) = run(dir.path(), &["check"]);
    assert!(!status.success());
    assert!(err.contains("-c"), "{err}");
    let (status, _, err) = run(dir.path(), &["check", "-c", "/nonexistent/bot.toml"]);
    assert!(!status.success());
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let (status, out, _) = run(dir.path(), &["--version"]);
    assert!(status.success());
    assert_eq!(out.trim(), format!("ircbot {}", env!("CARGO_PKG_VERSION")));
    let (status, out, _) = run(dir.path(), &["--help"]);
    assert!(status.success());
    for word in ["--text", "init", "check", "--config"] {
        assert!(out.contains(word), "{word} missing: {out}");
    }
    let (status, _, err) = run(dir.path(), &["--text", "--as", "#room"]);
    assert!(!status.success());
    assert!(err.contains("--as"), "{err}");
    let (status, _, err) = run(dir.path(), &[]);
    assert_eq!(status.code(), Some(2));
    assert!(err.contains("--text"), "{err}");
}

#[test]
fn reload_applies_the_plugin_selection() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    let base = "[server]\nhost = \"h\"\n[identity]\nnick = \"ircbot\"\n[state]\ndir = \"data\"\n";
    std::fs::write(&config, base).unwrap();
    let mut bot = spawn_interactive(dir.path(), &["-c", config.to_str().unwrap()]);
    wait_for(&bot.err, "!help");
    bot.stdin.write_all(b"!dice 1d1\n").unwrap();
    bot.stdin.flush().unwrap();
    wait_for(&bot.out, "= 1");

    std::fs::write(
        &config,
        format!("{base}[bot.plugins]\ndisable = [\"Dice\"]\n"),
    )
    .unwrap();
    bot.stdin.write_all(b"!reload\n!dice 1d1\n").unwrap();
    bot.stdin.flush().unwrap();
    wait_for(&bot.out, "disabled Dice");
    wait_for(&bot.out, "Command \"dice\" not found");

    // A broken file is refused and named; the bot goes on.
    std::fs::write(&config, format!("{base}bogus = 1\n")).unwrap();
    bot.stdin.write_all(b"!reload\n/quit\n").unwrap();
    bot.stdin.flush().unwrap();
    wait_for(&bot.out, "Could not reload");
    let status = wait(&mut bot.child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        "[server]\nhost = \"h\"\n[identity]\nnick = \"ircbot\"\n[state]\ndir = \"data\"\n\
         [log]\nlevel = \"info\"\nformat = \"json\"\n",
    )
    .unwrap();
    let (status, _, err) =
        text_session(dir.path(), &["--text", "-c", config.to_str().unwrap()], "");
    assert!(status.success(), "{err}");
    let records: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(
        records
            .iter()
            .any(|r| r["fields"]["message"] == "plugin activated" && r["level"] == "INFO"),
        "{err}"
    );
}

#[test]
fn run_needs_a_valid_configuration() {
    let state = tempfile::tempdir().unwrap();
    let out = ircbot(state.path()).arg("run").output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ircbot run -c bot.toml"), "{err}");

    let bad = state.path().join("bot.toml");
    std::fs::write(
        &bad,
        "[server]\nhost = \"127.0.0.1\"\n\n[identity]\nnick = \"9lives\"\n",
    )
    .unwrap();
    let out = ircbot(state.path())
        .args(["run", "-c"])
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("identity.nick"), "{err}");
}
