//! Toolkit benchmarks: splitting long text, and reading, stripping and
//! writing formatting codes.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use irc_proto::format;
use irc_proto::split::{self, MessageKind, SplitOptions};

/// About 4 KB of mixed text: ASCII words, accents, emoji, a few codes and
/// newlines.
fn mixed_text() -> String {
    let chunk = "The quick brown fox jumps over the lazy dog; \x02café\x02 crème brûlée \
                 costs 5 € 😀 👍🏽 and \x0304,12red words\x03 go on, naïve coöperation.\n";
    let mut text = String::new();
    while text.len() < 4096 {
        text.push_str(chunk);
    }
    text
}

fn colourful_line() -> String {
    let mut line = String::new();
    for i in 0..16 {
        line.push_str(&format!(
            "\x03{:02},{:02}colour {i} \x02bold\x02 \x1Ditalic\x1D \x04FF8800hex\x0F ",
            i,
            15 - i
        ));
    }
    line
}

fn bench_split(c: &mut Criterion) {
    let text = mixed_text();
    let opts = SplitOptions::default();
    let mut group = c.benchmark_group("split");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("privmsg_4k_mixed", |b| {
        b.iter(|| split::split(MessageKind::Privmsg, "#channel", black_box(&text), &opts));
    });
    group.bench_function("action_4k_mixed", |b| {
        b.iter(|| split::split(MessageKind::Action, "#channel", black_box(&text), &opts));
    });
    group.finish();
}

fn bench_format(c: &mut Criterion) {
    let line = colourful_line();
    let spans = format::parse(&line);
    let mut group = c.benchmark_group("format");
    group.throughput(Throughput::Bytes(line.len() as u64));
    group.bench_function("parse", |b| b.iter(|| format::parse(black_box(&line))));
    group.bench_function("strip", |b| b.iter(|| format::strip(black_box(&line))));
    group.bench_function("render", |b| b.iter(|| format::render(black_box(&spans))));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = bench_split, bench_format
}
criterion_main!(benches);
