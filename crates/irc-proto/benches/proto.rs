//! Parser and packer throughput on a deterministic corpus of server lines.
//!
//! `cargo bench -p irc-proto --bench proto` measures; `cargo test --benches`
//! runs every benchmark once as a smoke test. The corpus is described in
//! `support/corpus.rs`; `bench-compare/` measures the same bytes against other parsers.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use irc_proto::{Message, MessageBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "support/corpus.rs"]
mod corpus;

/// Parses one line and reads everything in it: every tag unescaped, the
/// source split, every parameter. Returns a sum of lengths so nothing can be
/// optimised away.
fn walk(line: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(line) else {
        return 0;
    };
    let Ok(msg) = Message::parse(text) else {
        return 1;
    };
    let mut n = msg.command().len();
    for tag in msg.tags() {
        n += tag.key.len() + tag.value().len();
    }
    if let Some(src) = msg.source() {
        n += src.nick().len() + src.user().map_or(0, str::len) + src.host().map_or(0, str::len);
    }
    for param in msg.params() {
        n += param.len();
    }
    n
}

fn parse(c: &mut Criterion) {
    let corpus = corpus::default_corpus();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    group.bench_function("corpus_walked", |b| {
        b.iter(|| {
            let mut total = 0;
            for line in corpus::lines(black_box(&corpus)) {
                total += walk(line);
            }
            black_box(total)
        });
    });
    group.finish();
}

fn pack(c: &mut Criterion) {
    let corpus = corpus::default_corpus();
    let messages: Vec<MessageBuf> = corpus::lines(&corpus)
        .filter_map(|l| MessageBuf::parse_bytes(l).ok())
        .collect();
    let mut out = Vec::with_capacity(corpus.len() * 2);
    for m in &messages {
        m.pack_into(&mut out).expect("every corpus line packs");
    }
    let mut group = c.benchmark_group("pack");
    group.throughput(Throughput::Bytes(out.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            out.clear();
            for m in black_box(&messages) {
                // Checked above: every message packs.
                let _ = m.pack_into(&mut out);
            }
            black_box(out.len())
        });
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse, pack
}
criterion_main!(benches);
