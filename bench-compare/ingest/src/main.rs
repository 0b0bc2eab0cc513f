//! One reader per process, for its peak memory.
//!
//! ```text
//! bench-ingest --reader ours|irc|floor --lines N [--runtime current|multi]
//! ```
//!
//! The corpus and the server live in a child process (this binary with
//! `--serve`), so the reader's `VmHWM` holds nothing but the reader. Prints
//! one line of `key=value` pairs: throughput of this single run, `VmHWM`
//! before connecting and at the end, and `VmRSS` at the end.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;

use bench_ingest::{BoxError, Corpus, Flavor, RUN_TIMEOUT, Reader, memory_kib, read, spawn_server};

const USAGE: &str =
    "usage: bench-ingest --reader ours|irc|floor --lines N [--runtime current|multi]";

struct Args {
    reader: Option<Reader>,
    lines: u64,
    flavor: Flavor,
    serve: bool,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        reader: None,
        lines: 100_000,
        flavor: Flavor::Multi,
        serve: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--reader" => {
                let v = value()?;
                args.reader = Some(Reader::from_name(&v).ok_or(format!("unknown reader {v}"))?);
            }
            "--lines" => args.lines = value()?.parse()?,
            "--runtime" => {
                let v = value()?;
                args.flavor = Flavor::from_name(&v).ok_or(format!("unknown runtime {v}"))?;
            }
            "--serve" => args.serve = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}").into()),
        }
    }
    Ok(args)
}

/// The child: generates the corpus, announces its port and counts on
/// stdout, serves one client.
fn serve(lines: u64) -> Result<(), BoxError> {
    let corpus = Arc::new(Corpus::generate(lines));
    let (addr, server) = spawn_server(Arc::clone(&corpus))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {} {} {}",
        addr.port(),
        corpus.lines,
        corpus.privmsgs,
        corpus.bytes.len()
    )?;
    out.flush()?;
    server
        .join()
        .map_err(|_| BoxError::from("server thread panicked"))??;
    Ok(())
}

fn measure(reader: Reader, lines: u64, flavor: Flavor) -> Result<(), BoxError> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--serve", "--lines", &lines.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout from the server")?;
    let mut header = String::new();
    BufReader::new(stdout).read_line(&mut header)?;
    let fields: Vec<u64> = header
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [port, lines, privmsgs, bytes] = fields[..] else {
        return Err(format!("bad header from the server: {header:?}").into());
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], u16::try_from(port)?));

    let rt = flavor.runtime()?;
    let (hwm_before, _) = memory_kib().ok_or("cannot read /proc/self/status")?;
    let outcome = rt.block_on(async {
        tokio::time::timeout(RUN_TIMEOUT, read(reader, addr, privmsgs))
            .await
            .map_err(|_| BoxError::from("the run timed out"))?
    })?;
    let (hwm, rss) = memory_kib().ok_or("cannot read /proc/self/status")?;
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("server process failed: {status}").into());
    }
    if outcome.privmsgs != privmsgs {
        return Err(format!("counted {} PRIVMSG, expected {privmsgs}", outcome.privmsgs).into());
    }
    let secs = outcome.elapsed.as_secs_f64();
    println!(
        "reader={} runtime={} lines={lines} bytes={bytes} secs={secs:.3} lines_per_s={:.0} mb_per_s={:.1} vmhwm_before_kib={hwm_before} vmhwm_kib={hwm} vmrss_end_kib={rss}",
        reader.name(),
        flavor.name(),
        lines as f64 / secs,
        bytes as f64 / secs / 1e6,
    );
    Ok(())
}

fn main() {
    let result = parse_args().and_then(|args| {
        if args.serve {
            serve(args.lines)
        } else {
            let reader = args.reader.ok_or(USAGE)?;
            measure(reader, args.lines, args.flavor)
        }
    });
    if let Err(e) = result {
        eprintln!("bench-ingest: {e}");
        std::process::exit(2);
    }
}
