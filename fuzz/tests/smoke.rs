//! Fuzz smoke test: every fuzz target's body over its seed corpus and a few
//! thousand generated inputs, as an ordinary test on stable Rust.
//!
//! The generated inputs are deterministic (a fixed-seed xorshift) so a failure
//! reproduces; they mix random bytes, IRC tokens from `irc.dict` and mutations
//! of the seeds. The real, coverage-guided fuzzer runs with nightly:
//! `cargo +nightly fuzz run <target>` (see `fuzz/README.md`).

use std::path::Path;

/// How many generated inputs each target gets.
const GENERATED: usize = 20_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn dictionary() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("irc.dict"))
        .expect("fuzz/irc.dict");
    text.lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')?
                .strip_suffix('"')
                .map(unescape_dict)
        })
        .collect()
}

/// Unescapes a libFuzzer dictionary entry (`\\`, `\"`, `\xHH`).
fn unescape_dict(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'x' && i + 3 < b.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if e.path().is_file() {
                out.push(std::fs::read(e.path()).expect("seed file"));
            }
        }
    }
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

fn generate(rng: &mut Rng, dict: &[Vec<u8>], seeds: &[Vec<u8>]) -> Vec<u8> {
    match rng.below(3) {
        // Random bytes, short and long.
        0 => {
            let len = if rng.below(10) == 0 {
                rng.below(2000)
            } else {
                rng.below(64)
            };
            (0..len).map(|_| rng.next() as u8).collect()
        }
        // Tokens glued together.
        1 => {
            let mut out = Vec::new();
            for _ in 0..rng.below(24) {
                out.extend_from_slice(&dict[rng.below(dict.len())]);
                if rng.below(3) == 0 {
                    out.push(b' ');
                }
            }
            out
        }
        // A seed, mutated.
        _ => {
            let mut out = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(6) {
                let pos = if out.is_empty() {
                    0
                } else {
                    rng.below(out.len() + 1)
                };
                match rng.below(4) {
                    0 if !out.is_empty() && pos < out.len() => out[pos] = rng.next() as u8,
                    1 => {
                        let tok = &dict[rng.below(dict.len())];
                        out.splice(pos..pos, tok.iter().copied());
                    }
                    2 if pos < out.len() => {
                        out.remove(pos);
                    }
                    _ => {
                        let rep = out.clone();
                        out.extend_from_slice(&rep[..rep.len().min(600)]);
                    }
                }
            }
            out
        }
    }
}

fn smoke(target: &str, body: fn(&[u8])) {
    let dict = dictionary();
    let seeds = seeds(target);
    for s in &seeds {
        body(s);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for _ in 0..GENERATED {
        let input = generate(&mut rng, &dict, &seeds);
        body(&input);
    }
    println!(
        "fuzz smoke {target}: {} seeds + {GENERATED} generated inputs",
        seeds.len()
    );
}

#[test]
fn parse() {
    smoke("parse", irc_fuzz::parse);
}

#[test]
fn roundtrip() {
    smoke("roundtrip", irc_fuzz::roundtrip);
}

#[test]
fn pack() {
    smoke("pack", irc_fuzz::pack);
}

#[test]
fn isupport() {
    smoke("isupport", irc_fuzz::isupport);
}

#[test]
fn mode() {
    smoke("mode", irc_fuzz::mode);
}

#[test]
fn ctcp() {
    smoke("ctcp", irc_fuzz::ctcp);
}

#[test]
fn format() {
    smoke("format", irc_fuzz::format);
}

#[test]
fn split() {
    smoke("split", irc_fuzz::split);
}
