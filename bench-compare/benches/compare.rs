//! Our parser, the crates.io `irc-proto`, and the `memchr` floor on one corpus.
//!
//! `cargo bench --manifest-path bench-compare/Cargo.toml` runs criterion on
//! the contenders, then an interleaved timing of them (round after round, so
//! that the noise of a shared machine hits all of them alike) and prints
//! messages/s, MB/s and the ratios measured in that same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bench_compare::{corpus, run, walk_floor, walk_ours, walk_theirs, walk_utf8};
use criterion::{Criterion, Throughput};

type Walk = fn(&[u8]) -> usize;

/// Name, criterion id, walker, passes per timed sample (about 10 ms each).
const CONTENDERS: [(&str, &str, Walk, u32); 4] = [
    ("ours (irc-proto, this repo)", "ours", walk_ours, 4),
    (
        "crates.io irc-proto 1.1.0",
        "crates_io_irc_proto",
        walk_theirs,
        1,
    ),
    ("floor (memchr every space)", "floor", walk_floor, 10),
    ("utf8 only (str::from_utf8)", "utf8_only", walk_utf8, 20),
];

fn criterion_runs(c: &mut Criterion, corpus: &[u8]) {
    let mut group = c.benchmark_group("compare");
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    for (_, id, walk, _) in CONTENDERS {
        group.bench_function(id, |b| b.iter(|| black_box(run(black_box(corpus), walk))));
    }
    group.finish();
}

/// The median and the fastest time of one pass over the corpus for each
/// contender, timed in interleaved rounds.
fn interleaved(corpus: &[u8], rounds: usize) -> [[Duration; 4]; 2] {
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for _ in 0..rounds {
        for (i, (_, _, walk, passes)) in CONTENDERS.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..*passes {
                black_box(run(black_box(corpus), *walk));
            }
            samples[i].push(start.elapsed() / *passes);
        }
    }
    for s in &mut samples {
        s.sort();
    }
    [
        samples
            .each_ref()
            .map(|s| s.get(s.len() / 2).copied().unwrap_or_default()),
        samples
            .each_ref()
            .map(|s| s.first().copied().unwrap_or_default()),
    ]
}

fn report(corpus: &[u8], [median, fastest]: [[Duration; 4]; 2], rounds: usize) {
    let (_, messages) = run(corpus, walk_floor);
    let bytes = corpus.len() as f64;
    println!();
    println!(
        "corpus: {messages} lines, {} bytes, {:.1} bytes a line; {rounds} interleaved rounds, medians:",
        corpus.len(),
        bytes / messages as f64
    );
    println!(
        "{:<30} {:>12} {:>14} {:>9}",
        "contender", "time/pass", "messages/s", "MB/s"
    );
    for ((name, ..), t) in CONTENDERS.iter().zip(median) {
        let secs = t.as_secs_f64().max(1e-12);
        println!(
            "{name:<30} {:>9.0} µs {:>14.0} {:>9.1}",
            secs * 1e6,
            messages as f64 / secs,
            bytes / secs / 1e6
        );
    }
    for (what, t) in [("median", median), ("fastest", fastest)] {
        let [ours, theirs, floor, utf8] = t.map(|t| t.as_secs_f64().max(1e-12));
        println!(
            "{what:>7}: ours is {:.1}x as fast as crates.io irc-proto \
             ({:.1}x with UTF-8 validation taken out of both), {:.2}x the floor's time",
            theirs / ours,
            (theirs - utf8) / (ours - utf8).max(1e-12),
            ours / floor
        );
    }
}

fn main() {
    let corpus = corpus::default_corpus();
    let measuring = std::env::args().any(|a| a == "--bench");
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    criterion_runs(&mut c, &corpus);
    c.final_summary();
    // `cargo test --benches` runs each benchmark once; one round is enough
    // there to check the report works.
    let rounds = if measuring { 101 } else { 1 };
    report(&corpus, interleaved(&corpus, rounds), rounds);
}
