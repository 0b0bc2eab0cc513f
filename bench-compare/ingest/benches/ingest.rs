//! Ingest throughput over loopback: our client, the `irc` crate's client and
//! the raw-lines floor on the same corpus, in the same run.
//!
//! `INGEST_LINES` sets the corpus size (200 000 lines by default) and
//! `INGEST_ROUNDS` the rounds of the interleaved table printed at the end
//! (5 by default; 0 skips it).

#![forbid(unsafe_code)]
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use bench_ingest::{Corpus, Flavor, Reader, run_once};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn corpus() -> Arc<Corpus> {
    Arc::new(Corpus::generate(env_u64("INGEST_LINES", 200_000)))
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    for flavor in [Flavor::Multi, Flavor::Current] {
        let rt = flavor.runtime().expect("tokio runtime");
        let mut group = c.benchmark_group(format!("ingest-{}", flavor.name()));
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Elements(corpus.lines));
        for reader in Reader::ALL {
            group.bench_function(reader.name(), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            run_once(&rt, reader, &corpus)
                                .unwrap_or_else(|e| panic!("{}: {e}", reader.name()))
                                .elapsed
                        })
                        .sum()
                });
            });
        }
        group.finish();
    }
}

/// Medians of interleaved runs (floor, ours, irc, floor, ...), so that load
/// from elsewhere on the machine hits every reader alike.
fn table() {
    let rounds = env_u64("INGEST_ROUNDS", 5);
    if rounds == 0 {
        return;
    }
    let corpus = corpus();
    let mb = corpus.bytes.len() as f64 / 1e6;
    println!(
        "\ningest table: {} lines, {:.1} MB, {:.0} bytes/line, {} PRIVMSG, median of {rounds} interleaved rounds",
        corpus.lines,
        mb,
        corpus.mean_line_len(),
        corpus.privmsgs
    );
    for flavor in [Flavor::Multi, Flavor::Current] {
        let rt = flavor.runtime().expect("tokio runtime");
        let readers: Vec<Reader> = Reader::ALL.into_iter().chain(Reader::STAGES).collect();
        let mut secs: Vec<Vec<f64>> = vec![Vec::new(); readers.len()];
        for _ in 0..rounds {
            for (i, &reader) in readers.iter().enumerate() {
                let outcome = run_once(&rt, reader, &corpus)
                    .unwrap_or_else(|e| panic!("{}: {e}", reader.name()));
                secs[i].push(outcome.elapsed.as_secs_f64());
            }
        }
        let median: Vec<f64> = secs
            .iter_mut()
            .map(|s| {
                s.sort_by(f64::total_cmp);
                s[s.len() / 2]
            })
            .collect();
        println!("runtime {}:", flavor.name());
        println!(
            "  {:<10} {:>12} {:>10} {:>10}",
            "reader", "lines/s", "MB/s", "ms"
        );
        for (reader, s) in readers.iter().zip(&median) {
            println!(
                "  {:<10} {:>12.0} {:>10.1} {:>10.1}",
                reader.name(),
                corpus.lines as f64 / s,
                mb / s,
                s * 1e3
            );
        }
        let [ours, irc, floor, ..] = median[..] else {
            return;
        };
        println!(
            "  ours/irc = {:.2}x (target >= 3)   floor/ours = {:.2}x (target <= 1.5)",
            irc / ours,
            ours / floor
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let listing = std::env::args().any(|a| a == "--list" || a == "--test");
    if !listing {
        table();
    }
}
