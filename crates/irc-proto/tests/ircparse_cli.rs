//! The `ircparse` example against its contract (`PARSER_CLI.md`): one output
//! record per input record, errors as records, unsafe messages as empty lines.
//!
//! `cargo test` builds the examples before running the tests, so the binary
//! sits in `target/<profile>/examples/`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir
        .join("examples")
        .join(format!("ircparse{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} missing: run the whole `cargo test -p irc-proto`",
        bin.display()
    );
    bin
}

fn run(mode: &str, input: &str) -> (Vec<String>, i32) {
    let mut child = Command::new(binary())
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ircparse");
    // A binary that refuses its mode exits without reading: ignore a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    (
        text.lines().map(str::to_owned).collect(),
        out.status.code().unwrap_or(-1),
    )
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

#[test]
fn json_mode_parses_and_reports_errors_in_place() {
    let input = "@a=b\\sc;k :n!u@h PRIVMSG #chan :hello  world\n: bad\r\n:src AWAY \n";
    let (lines, code) = run("--json", input);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 3);
    let first = json(&lines[0]);
    assert_eq!(first["tags"], serde_json::json!({"a": "b c", "k": ""}));
    assert_eq!(first["source"], "n!u@h");
    assert_eq!(first["verb"], "PRIVMSG");
    assert_eq!(
        first["params"],
        serde_json::json!(["#chan", "hello  world"])
    );
    assert!(json(&lines[1])["error"].is_string());
    let third = json(&lines[2]);
    assert_eq!(third["params"], serde_json::json!([]));
    assert_eq!(third["tags"], serde_json::json!({}));
}

#[test]
fn join_mode_packs_and_refuses_injection_with_an_empty_line() {
    let input = concat!(
        r##"{"tags":{"a":"b c","k":null},"source":"n!u@h","verb":"PRIVMSG","params":["#chan","hello  world"]}"##,
        "\n",
        r##"{"verb":"PRIVMSG","params":["#chan","hi\r\nQUIT :pwned"]}"##,
        "\n",
        r##"{"tags":{"x":"line\nbreak"},"verb":"TAGMSG","params":["#c"]}"##,
        "\n",
        r##"{"verb":"PRIVMSG","params":["a b","c"]}"##,
        "\n",
        "not json\n",
        r##"{"verb":"PING"}"##,
        "\n"
    );
    let (lines, code) = run("--join", input);
    assert_eq!(code, 0);
    assert_eq!(
        lines,
        [
            r"@a=b\sc;k :n!u@h PRIVMSG #chan :hello  world",
            "",
            r"@x=line\nbreak TAGMSG #c",
            "",
            "",
            "PING"
        ]
    );
}

#[test]
fn json_then_join_is_a_normaliser() {
    let input = ":coolguy  foo bar baz :asdf quux\n@c;h=;a=b :quux ab :cd\n";
    let (parsed, _) = run("--json", input);
    let (joined, _) = run("--join", &(parsed.join("\n") + "\n"));
    assert_eq!(
        joined,
        [":coolguy foo bar baz :asdf quux", "@a=b;c;h :quux ab cd"]
    );
}

#[test]
fn userhost_mode() {
    let (lines, _) = run("--userhost", "nick!~u@h\nnick\n");
    assert_eq!(
        json(&lines[0]),
        serde_json::json!({"nick": "nick", "user": "~u", "host": "h"})
    );
    assert_eq!(
        json(&lines[1]),
        serde_json::json!({"nick": "nick", "user": null, "host": null})
    );
}

#[test]
fn unknown_mode_exits_2_with_no_output() {
    let (lines, code) = run("--nope", "x\n");
    assert_eq!(code, 2);
    assert!(lines.is_empty());
}

#[test]
fn mask_match_mode() {
    let input = concat!(
        r##"{"mask":"cool!*@*","subject":"cool!guy@127.0.0.1"}"##,
        "\n",
        r##"{"mask":"c[o]ol!*","subject":"C{O}OL!x","casemapping":"rfc1459"}"##,
        "\n",
        r##"{"mask":"c[o]ol!*","subject":"C{O}OL!x","casemapping":"ascii"}"##,
        "\n",
        r##"{"mask":"a?c","subject":"abbc"}"##,
        "\n",
        r##"{"mask":"x"}"##,
        "\n"
    );
    let (lines, code) = run("--mask-match", input);
    assert_eq!(code, 0);
    let got: Vec<_> = lines.iter().map(|l| json(l)).collect();
    assert_eq!(got[0]["match"], true);
    assert_eq!(got[1]["match"], true);
    assert_eq!(got[2]["match"], false);
    assert_eq!(got[3]["match"], false);
    assert!(got[4]["error"].is_string());
}

#[test]
fn validate_hostname_mode() {
    let (lines, code) = run(
        "--validate-hostname",
        "irc.example.com\n-bad.example.com\n\n",
    );
    assert_eq!(code, 0);
    let got: Vec<_> = lines.iter().map(|l| json(l)["valid"].clone()).collect();
    assert_eq!(got, [true, false, false]);
}
