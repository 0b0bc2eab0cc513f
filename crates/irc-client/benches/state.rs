//! The cost of channel and user state tracking per server line.
//!
//! A deterministic synthetic stream (JOIN, PART, PRIVMSG, MODE, NICK, QUIT
//! over many users and channels, the messages parsed beforehand) is fed to
//! a `Tracker`; criterion reports lines per second. Before measuring, the
//! stream is checked against a plain model of the membership: after it, the
//! tracker holds exactly the users who share a channel with us (memory
//! follows real membership, not traffic).
//!
//! `cargo bench -p irc-client --bench state` measures; `cargo test
//! --benches` runs it once as a smoke test.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use irc_client::state::tracker::{Tracker, TrackerOptions};
use irc_proto::MessageBuf;

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
    setup: Vec<MessageBuf>,
    events: Vec<MessageBuf>,
    /// Users (not us) in at least one channel at the end.
    final_users: usize,
    final_memberships: usize,
}

fn parse(line: &str) -> MessageBuf {
    MessageBuf::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
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
    }
    Stream {
        setup,
        events: out,
        final_users: joined.iter().filter(|j| !j.is_empty()).count(),
        final_memberships: members.iter().map(Vec::len).sum(),
    }
}

fn prepared(s: &Stream) -> Tracker {
    let mut t = Tracker::new();
    // Only the tracking itself: no WHO / MODE requests.
    let mut options = TrackerOptions::default();
    options.who_on_join = false;
    options.modes_on_join = false;
    t.set_options(options);
    for m in &s.setup {
        t.handle(m);
    }
    t
}

fn bench(c: &mut Criterion) {
    const CHANNELS: usize = 200;
    let s = stream(CHANNELS, 100, 20_000, 200_000, 7);

    // Memory follows membership: check the tracker against the model.
    let mut t = prepared(&s);
    for m in &s.events {
        t.handle(m);
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
                    black_box(t.handle(black_box(m)));
                }
                t
            },
            BatchSize::LargeInput,
        );
    });
    // The common case alone: messages from members.
    let privmsgs: Vec<MessageBuf> = s
        .events
        .iter()
        .filter(|m| m.is_command("JOIN") || m.is_command("PRIVMSG"))
        .cloned()
        .collect();
    group.throughput(Throughput::Elements(privmsgs.len() as u64));
    group.bench_function("join_and_privmsg", |b| {
        b.iter_batched(
            || prepared(&s),
            |mut t| {
                for m in &privmsgs {
                    black_box(t.handle(black_box(m)));
                }
                t
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
