//! `ircparse`: the parser, the packer and a few helpers over stdin/stdout.
//!
//! ```text
//! ircparse --json               raw IRC line      -> message JSON      (parse)
//! ircparse --join               message JSON      -> raw IRC line      (pack)
//! ircparse --userhost           raw source        -> {nick,user,host}  JSON
//! ircparse --mask-match         {mask,subject}    -> {"match": bool}
//! ircparse --validate-hostname  raw hostname      -> {"valid": bool}
//! ```
//!
//! One record per input line (one LF removed, then one CR); one output record
//! per input record, in order. A record that cannot be handled gives
//! `{"error": ...}` (an empty line for `--join`) and processing goes on.
//! Exit status 2 for a usage error.
//!
//! Run it with `cargo run -q -p irc-proto --example ircparse -- --json`.

use std::io::{self, BufRead, Write};

use irc_proto::{CaseMapping, Message, MessageBuf, Source};
use serde_json::{Map, Value, json};

#[derive(Clone, Copy)]
enum Mode {
    Json,
    Join,
    Userhost,
    MaskMatch,
    ValidateHostname,
}

const USAGE: &str =
    "usage: ircparse --json | --join | --userhost | --mask-match | --validate-hostname";

fn main() {
    let modes: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a.starts_with("--"))
        .collect();
    let mode = match modes.as_slice() {
        [m] if m == "--json" => Mode::Json,
        [m] if m == "--join" => Mode::Join,
        [m] if m == "--userhost" => Mode::Userhost,
        [m] if m == "--mask-match" => Mode::MaskMatch,
        [m] if m == "--validate-hostname" => Mode::ValidateHostname,
        [m] if m == "--help" => {
            println!("{USAGE}");
            return;
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(mode) {
        eprintln!("ircparse: {e}");
        std::process::exit(1);
    }
}

fn run(mode: Mode) -> io::Result<()> {
    let stdin = io::stdin().lock();
    let mut out = io::BufWriter::new(io::stdout().lock());
    for record in stdin.split(b'\n') {
        let mut record = record?;
        if record.last() == Some(&b'\r') {
            record.pop();
        }
        let text = String::from_utf8_lossy(&record);
        let line = match mode {
            Mode::Json => to_json(&text).to_string(),
            Mode::Userhost => userhost(&text).to_string(),
            Mode::MaskMatch => mask_match(&text).to_string(),
            Mode::ValidateHostname => {
                json!({ "valid": irc_proto::mask::is_valid_hostname(&text) }).to_string()
            }
            Mode::Join => join(&text).unwrap_or_else(|e| {
                eprintln!("ircparse: {e}");
                String::new()
            }),
        };
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

fn error(reason: impl std::fmt::Display) -> Value {
    json!({ "error": reason.to_string() })
}

fn to_json(line: &str) -> Value {
    let msg = match Message::parse(line) {
        Ok(m) => m,
        Err(e) => return error(e),
    };
    let mut tags = Map::new();
    for t in msg.tags() {
        // Inserting in wire order makes the last duplicate win.
        tags.insert(t.key.to_owned(), Value::String(t.value().into_owned()));
    }
    let mut obj = json!({
        "tags": tags,
        "source": msg.source_raw(),
        "verb": msg.command(),
        "params": msg.params().to_vec(),
    });
    if let Some(s) = msg.source() {
        obj["nick"] = json!(s.nick());
        obj["user"] = json!(s.user());
        obj["host"] = json!(s.host());
    }
    obj
}

fn userhost(raw: &str) -> Value {
    let s = Source::parse(raw);
    json!({ "nick": s.nick(), "user": s.user(), "host": s.host() })
}

fn mask_match(record: &str) -> Value {
    let value: Value = match serde_json::from_str(record) {
        Ok(v) => v,
        Err(e) => return error(format!("bad JSON: {e}")),
    };
    let (Some(mask), Some(subject)) = (
        value.get("mask").and_then(Value::as_str),
        value.get("subject").and_then(Value::as_str),
    ) else {
        return error("need string keys `mask` and `subject`");
    };
    let cm = match value.get("casemapping").and_then(Value::as_str) {
        None => CaseMapping::Rfc1459,
        Some(name) => match CaseMapping::from_token(name) {
            Ok(cm) => cm,
            Err(e) => return error(e),
        },
    };
    json!({ "match": irc_proto::mask::matches(mask, subject, cm) })
}

fn join(record: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(record).map_err(|e| format!("bad JSON: {e}"))?;
    let obj = value.as_object().ok_or("not a JSON object")?;
    let verb = obj.get("verb").and_then(Value::as_str).ok_or("no verb")?;
    let mut msg = MessageBuf::new(verb);
    match obj.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(tags)) => {
            for (k, v) in tags {
                let v = match v {
                    Value::Null => None,
                    Value::String(s) => Some(s.as_str()),
                    other => return Err(format!("tag {k}: not a string: {other}")),
                };
                msg = msg.with_tag(k.as_str(), v);
            }
        }
        Some(other) => return Err(format!("tags: not an object: {other}")),
    }
    match obj.get("source") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => msg = msg.with_source(s.as_str()),
        Some(other) => return Err(format!("source: not a string: {other}")),
    }
    match obj.get("params") {
        None | Some(Value::Null) => {}
        Some(Value::Array(params)) => {
            for p in params {
                let p = p
                    .as_str()
                    .ok_or_else(|| format!("param not a string: {p}"))?;
                msg = msg.with_param(p);
            }
        }
        Some(other) => return Err(format!("params: not an array: {other}")),
    }
    msg.pack().map_err(|e| format!("cannot pack safely: {e}"))
}
