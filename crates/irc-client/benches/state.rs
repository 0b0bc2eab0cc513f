//! The cost of channel and user state tracking per server line.
//!
//! A deterministic synthetic stream (JOIN, PART, PRIVMSG, MODE, NICK, QUIT
//! over many users and channels, the messages parsed beforehand) is fed to
//! a `Tracker`; criterion reports lines per second. Before measuring, the
//! stream is checked against a plain model of the membership: after it, the
//! tracker holds exactly the users who share a channel with us (memory
//! follows real membership, not traffic).
//!
//! A second group, `per_line`, puts the tracker's cost next to the rest of
//! what the client does with each line, on the same stream as raw text:
//! `parse` (`OwnedMessage::parse`, what the read loop does), `parse_dispatch` (parse, then
//! `Client::trigger` to the dispatcher, which runs a counting `PRIVMSG`
//! handler, as the read loop does with tracking off), and
//! `parse_track_dispatch` (the same with the tracker's `handle` in between,
//! as the read loop does by default). The ratio of the last two is the cost
//! of tracking; the project's target is at most 1.2. `track` and
//! `track_members_off` are the tracker alone, with and without members.
//!
//! `cargo bench -p irc-client --bench state` measures; `cargo test
//! --benches` runs it once as a smoke test.

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use irc_client::state::tracker::{Tracker, TrackerOptions};
use irc_client::{Client, Event};
use irc_proto::OwnedMessage;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

/// The stream, and the membership it leaves.
struct Stream {
    setup: Vec<OwnedMessage>,
    events: Vec<OwnedMessage>,
    /// The same events as raw lines.
    raw: Vec<String>,
    /// Users (not us) in at least one channel at the end.
    final_users: usize,
    final_memberships: usize,
}

fn parse(line: &str) -> OwnedMessage {
    OwnedMessage::parse(line.to_owned()).unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// `channels` channels we are in with `start` members each at first, a
/// pool of `pool` users, `events` lines.
fn stream(channels: usize, start: usize, pool: usize, events: usize, seed: u64) -> Stream {
    let mut rng = Rng(seed);
    let mut setup = vec![
        parse(":srv 001 me :Welcome"),
        parse(
            ":srv 005 me PREFIX=(qaohv)~&@%+ CHANMODES=beI,k,l,imnpst CASEMAPPING=rfc1459 :are supported",
        ),
    ];
    for c in 0..channels {
        setup.push(parse(&format!(":me!me@me.host JOIN #chan{c}")));
    }
    // The model: members per channel, channels per user, current nicks.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); channels];
    let mut joined: Vec<HashSet<usize>> = vec![HashSet::new(); pool];
    let mut nicks: Vec<String> = (0..pool).map(|i| format!("User{i}")).collect();
    let mut renames = 0_usize;
    // Every channel starts with `start` members, in NAMES replies.
    for (c, chan) in members.iter_mut().enumerate() {
        let mut names = String::from("me");
        while chan.len() < start {
            let u = rng.below(pool);
            if joined[u].insert(c) {
                chan.push(u);
                let prefix = ["", "", "", "+", "@"][rng.below(5)];
                names.push_str(&format!(" {prefix}{}!user{u}@host{u}.example", nicks[u]));
            }
        }
        setup.push(parse(&format!(":srv 353 me = #chan{c} :{names}")));
        setup.push(parse(&format!(":srv 366 me #chan{c} :End")));
    }
    let mut out = Vec::with_capacity(events);
    let mut raw = Vec::with_capacity(events);
    while out.len() < events {
        let c = rng.below(channels);
        let roll = rng.below(100);
        let member = (!members[c].is_empty()).then(|| {
            let i = rng.below(members[c].len());
            (i, members[c][i])
        });
        let line = match (roll, member) {
            // JOIN (also whenever the channel is empty).
            (0..=21, _) | (_, None) => {
                let u = rng.below(pool);
                if !joined[u].insert(c) {
                    continue;
                }
                members[c].push(u);
                format!(":{}!user{u}@host{u}.example JOIN #chan{c}", nicks[u])
            }
            (22..=59, Some((_, u))) => {
                format!(
                    ":{}!user{u}@host{u}.example PRIVMSG #chan{c} :hello there, a line of chat",
                    nicks[u]
                )
            }
            (60..=67, Some((i, u))) => {
                members[c].swap_remove(i);
                joined[u].remove(&c);
                format!(":{}!user{u}@host{u}.example PART #chan{c} :bye", nicks[u])
            }
            (68..=79, Some((_, u))) => {
                let change = ["+o", "-o", "+v", "-v", "+ov"][rng.below(5)];
                let args = if change == "+ov" {
                    format!("{0} {0}", nicks[u])
                } else {
                    nicks[u].clone()
                };
                format!(":ChanServ!s@services MODE #chan{c} {change} {args}")
            }
            (80..=87, Some((_, u))) => {
                renames += 1;
                let new = format!("Nick{renames}");
                let line = format!(":{}!user{u}@host{u}.example NICK :{new}", nicks[u]);
                nicks[u] = new;
                line
            }
            (_, Some((_, u))) => {
                for ch in joined[u].drain() {
                    members[ch].retain(|m| *m != u);
                }
                format!(":{}!user{u}@host{u}.example QUIT :Quit: gone", nicks[u])
            }
        };
        out.push(parse(&line));
        raw.push(line);
    }
    Stream {
        setup,
        events: out,
        raw,
        final_users: joined.iter().filter(|j| !j.is_empty()).count(),
        final_memberships: members.iter().map(Vec::len).sum(),
    }
}

fn prepared(s: &Stream) -> Tracker {
    prepared_with(s, true)
}

fn prepared_with(s: &Stream, members: bool) -> Tracker {
    let mut t = Tracker::new();
    // Only the tracking itself: no WHO / MODE requests.
    let mut options = TrackerOptions::default();
    options.who_on_join = false;
    options.modes_on_join = false;
    options.members = members;
    t.set_options(options);
    for m in &s.setup {
        t.handle(&m.as_message());
    }
    t
}

fn bench(c: &mut Criterion) {
    const CHANNELS: usize = 200;
    let s = stream(CHANNELS, 100, 20_000, 200_000, 7);

    // Memory follows membership: check the tracker against the model.
    let mut t = prepared(&s);
    for m in &s.events {
        t.handle(&m.as_message());
    }
    assert_eq!(t.channel_count(), CHANNELS);
    // We are in every channel: one tracked user more than the model.
    assert_eq!(
        t.user_count(),
        s.final_users + 1,
        "users beyond real membership"
    );
    assert_eq!(t.membership_count(), s.final_memberships + CHANNELS);
    eprintln!(
        "state bench: {} lines; at the end {} users in {} memberships over {} channels",
        s.events.len(),
        t.user_count(),
        t.membership_count(),
        t.channel_count()
    );

    let mut group = c.benchmark_group("tracker");
    group.throughput(Throughput::Elements(s.events.len() as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("mixed_stream", |b| {
        b.iter_batched(
            || prepared(&s),
            |mut t| {
                for m in &s.events {
                    black_box(t.handle(&black_box(m).as_message()));
                }
                t
            },
            BatchSize::LargeInput,
        );
    });
    // The common case alone: messages from members.
    let privmsgs: Vec<OwnedMessage> = s
        .events
        .iter()
        .filter(|m| m.as_message().is_command("JOIN") || m.as_message().is_command("PRIVMSG"))
        .cloned()
        .collect();
    group.throughput(Throughput::Elements(privmsgs.len() as u64));
    group.bench_function("join_and_privmsg", |b| {
        b.iter_batched(
            || prepared(&s),
            |mut t| {
                for m in &privmsgs {
                    black_box(t.handle(&black_box(m).as_message()));
                }
                t
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

/// A client that is never connected, with one counting `PRIVMSG` handler
/// (what a bot has), and a runtime for its dispatcher.
fn dispatching_client() -> (tokio::runtime::Runtime, Client, Arc<AtomicU64>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let client = Client::builder("127.0.0.1", 6667, "me").build();
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    client
        .on("PRIVMSG", move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .expect("on");
    (rt, client, seen)
}

/// Parses every line, feeds it to `tracker` when there is one, triggers its
/// event, and waits until the handler has seen every `PRIVMSG`.
async fn ingest(
    lines: &[String],
    mut tracker: Option<&mut Tracker>,
    client: &Client,
    seen: &AtomicU64,
    privmsgs: u64,
) {
    let target = seen.load(Ordering::Relaxed) + privmsgs;
    for (i, line) in lines.iter().enumerate() {
        let event = Event::parse(line).expect("parse");
        if let (Some(t), Some(msg)) = (tracker.as_deref_mut(), event.parsed()) {
            black_box(t.handle(&msg));
        }
        client.trigger(event).expect("trigger");
        // The read loop gives way whenever a read of the socket would
        // block; say every 8 KiB, about 40 lines here.
        if i % 40 == 39 {
            tokio::task::yield_now().await;
        }
    }
    // Bounded: every PRIVMSG reaches the handler.
    for _ in 0..100_000_000_u64 {
        if seen.load(Ordering::Relaxed) >= target {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the handlers did not see every PRIVMSG");
}

fn per_line(c: &mut Criterion) {
    let s = stream(200, 100, 20_000, 200_000, 7);
    let privmsgs = s
        .events
        .iter()
        .filter(|m| m.as_message().is_command("PRIVMSG"))
        .count() as u64;
    let (rt, client, seen) = dispatching_client();

    let mut group = c.benchmark_group("per_line");
    group.throughput(Throughput::Elements(s.raw.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for line in &s.raw {
                black_box(OwnedMessage::parse(black_box(line).clone()).expect("parse"));
            }
        });
    });
    group.bench_function("track", |b| {
        b.iter_batched(
            || prepared(&s),
            |mut t| {
                for m in &s.events {
                    black_box(t.handle(&black_box(m).as_message()));
                }
                t
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("track_members_off", |b| {
        b.iter_batched(
            || prepared_with(&s, false),
            |mut t| {
                for m in &s.events {
                    black_box(t.handle(&black_box(m).as_message()));
                }
                t
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("parse_dispatch", |b| {
        b.iter(|| rt.block_on(ingest(&s.raw, None, &client, &seen, privmsgs)));
    });
    group.bench_function("parse_track_dispatch", |b| {
        b.iter_batched(
            || prepared(&s),
            |mut t| {
                rt.block_on(ingest(&s.raw, Some(&mut t), &client, &seen, privmsgs));
                t
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();

    // The same, interleaved round by round, so that load from elsewhere on
    // the machine hits every variant alike: medians and the ratio.
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: one
    // round there, as a smoke test.
    let measuring = std::env::args().any(|a| a == "--bench");
    let rounds = std::env::var("STATE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if measuring { 7_usize } else { 1 });
    if rounds == 0 {
        return;
    }
    interleaved(
        "mixed stream",
        &s,
        &s.raw,
        &s.events,
        rounds,
        &rt,
        &client,
        &seen,
    );
    // The common traffic alone: the PRIVMSG lines of the same stream, fed to
    // a tracker holding the starting membership.
    let (raw, events): (Vec<String>, Vec<OwnedMessage>) = s
        .raw
        .iter()
        .zip(&s.events)
        .filter(|(_, m)| m.as_message().is_command("PRIVMSG"))
        .map(|(r, m)| (r.clone(), m.clone()))
        .unzip();
    interleaved(
        "PRIVMSG only",
        &s,
        &raw,
        &events,
        rounds,
        &rt,
        &client,
        &seen,
    );
}

/// Times the variants round by round and prints the medians per line.
#[allow(clippy::too_many_arguments)]
fn interleaved(
    label: &str,
    s: &Stream,
    raw: &[String],
    events: &[OwnedMessage],
    rounds: usize,
    rt: &tokio::runtime::Runtime,
    client: &Client,
    seen: &AtomicU64,
) {
    let privmsgs = events
        .iter()
        .filter(|m| m.as_message().is_command("PRIVMSG"))
        .count() as u64;
    let mut times: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        let start = Instant::now();
        rt.block_on(ingest(raw, None, client, seen, privmsgs));
        times[0].push(start.elapsed().as_secs_f64());
        let mut t = prepared(s);
        let start = Instant::now();
        rt.block_on(ingest(raw, Some(&mut t), client, seen, privmsgs));
        times[1].push(start.elapsed().as_secs_f64());
        let mut t = prepared_with(s, false);
        let start = Instant::now();
        rt.block_on(ingest(raw, Some(&mut t), client, seen, privmsgs));
        times[2].push(start.elapsed().as_secs_f64());
        let mut t = prepared(s);
        let start = Instant::now();
        for m in events {
            black_box(t.handle(&black_box(m).as_message()));
        }
        times[3].push(start.elapsed().as_secs_f64());
    }
    let per_line: Vec<f64> = times
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2] / raw.len() as f64 * 1e9
        })
        .collect();
    eprintln!(
        "{label}: per line, median of {rounds} interleaved rounds over {} lines:\n  \
         parse+dispatch            {:7.1} ns\n  \
         parse+track+dispatch      {:7.1} ns  (x{:.2})\n  \
         parse+track(off)+dispatch {:7.1} ns  (x{:.2})\n  \
         track alone               {:7.1} ns",
        raw.len(),
        per_line[0],
        per_line[1],
        per_line[1] / per_line[0],
        per_line[2],
        per_line[2] / per_line[0],
        per_line[3],
    );
}

criterion_group!(benches, bench, per_line);
criterion_main!(benches);
