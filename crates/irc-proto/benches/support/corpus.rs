//! A deterministic corpus of server lines for the parser benchmarks.
//!
//! The same seed always gives the same bytes, so every benchmark that
//! includes this file (`#[path = ...] mod corpus;`) measures identical input.
//! The mix imitates what a client reads on a busy network: Twitch-style
//! heavily tagged PRIVMSG, plain PRIVMSG from `nick!user@host`, JOIN / PART /
//! QUIT, MODE, NAMES (353) and ISUPPORT (005) replies, PING, text with
//! accents, CJK and emoji, and some odd spacing (runs of spaces between
//! parameters, trailing spaces).
//!
//! Lines end with CRLF, as on the wire; the mean line is about 215 bytes.

/// How many lines [`generate`] makes for the benchmarks.
pub const LINES: usize = 4096;

/// The seed of the default corpus.
pub const SEED: u64 = 0x1D0C_5EED_2024_0001;

/// A xorshift64* generator: small, fast and reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        // The top bits are the best ones of xorshift64*.
        ((self.next() >> 33) as usize) % n
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NICKS: &[&str] = &[
    "dan",
    "coolguy",
    "ferris",
    "alice_",
    "bob`",
    "carol",
    "mallory",
    "trent",
    "zoë_fan",
    "nightowl",
    "pixel",
    "rustacean",
    "gopher42",
    "xXsniperXx",
    "lurker",
    "kiwi",
    "Mango",
    "sysop",
    "jdoe",
    "anna-k",
    "mister_t",
    "qwerty",
    "bitbucket",
    "tux",
    "orbital",
    "streamfan99",
    "moobot",
    "nightbot",
    "sleepy_cat",
    "kappa_lord",
];

const DISPLAY_NAMES: &[&str] = &[
    "StreamFan99",
    "Moobot",
    "Nightbot",
    "SleepyCat",
    "KappaLord",
    "小明",
    "사쿠라",
    "Zoë",
    "PixelPusher",
    "Orbital",
    "ÆtherWitch",
    "DanTheMan",
    "ねこ",
];

const HOSTS: &[&str] = &[
    "localhost",
    "127.0.0.1",
    "user/dan",
    "gateway/web/irccloud.com/x-abcdefghijkl",
    "2001:db8::1",
    "cpe-24-59-88-12.twcny.res.rr.com",
    "unaffiliated/ferris",
    "host-203-0-113-7.example.net",
    "libera/staff/trent",
    "ip68-102-33-4.ok.ok.cox.net",
];

const CHANNELS: &[&str] = &[
    "#rust",
    "#linux",
    "##programming",
    "#libera",
    "#español",
    "#ubuntu",
    "&local",
    "#irc-dev",
];

const TWITCH_CHANNELS: &[&str] = &[
    "#xqc",
    "#shroud",
    "#pokimane",
    "#lirik",
    "#summit1g",
    "#esl_csgo",
];

const SERVERS: &[&str] = &["irc.example.net", "tmi.twitch.tv", "calcium.libera.chat"];

const WORDS: &[&str] = &[
    "the", "a", "is", "it", "to", "and", "of", "in", "that", "this", "with", "for", "on", "you",
    "I", "was", "just", "lol", "compile", "borrow", "checker", "lifetime", "async", "server",
    "client", "message", "channel", "really", "works", "now", "thanks!", "why", "does", "not",
    "anyone", "know", "how", "build", "release", "panic", "unsafe", "crate", "vu", "ok", "yes",
    "no", "maybe", "later", "today", "what", "time", "fix", "bug", "PR",
];

/// Words outside ASCII, mixed into chat text now and then.
const UNICODE_WORDS: &[&str] = &[
    "café",
    "naïve",
    "déjà",
    "über",
    "señor",
    "façade",
    "Ελληνικά",
    "привет",
    "мир",
    "日本語",
    "こんにちは",
    "中文",
    "한국어",
    "😂",
    "🎉",
    "👍",
    "🦀",
    "❤️",
    "🔥",
];

const EMOTE_WORDS: &[&str] = &[
    "Kappa",
    "PogChamp",
    "LUL",
    "KEKW",
    "monkaS",
    "Kreygasm",
    "4Head",
    "EZ",
    "Clap",
    "OMEGALUL",
    "PepeHands",
    "catJAM",
];

const BADGES: &[&str] = &[
    "",
    "subscriber/12,premium/1",
    "moderator/1,subscriber/24",
    "broadcaster/1,subscriber/0",
    "vip/1,subscriber/3,sub-gifter/5",
    "subscriber/6",
    "glhf-pledge/1",
    "turbo/1",
];

const QUIT_REASONS: &[&str] = &[
    "Quit: Leaving",
    "Ping timeout: 260 seconds",
    "Remote host closed the connection",
    "Quit: WeeChat 4.1.2",
    "Changing host",
    "Read error: Connection reset by peer",
    "Quit: さようなら 👋",
];

const ISUPPORT: &[&str] = &[
    "CHANTYPES=#&",
    "EXCEPTS",
    "INVEX",
    "CHANMODES=eIbq,k,flj,CFLMPQScgimnprstuz",
    "CHANLIMIT=#:250",
    "PREFIX=(ov)@+",
    "MAXLIST=bqeI:100",
    "MODES=4",
    "NETWORK=Libera.Chat",
    "STATUSMSG=@+",
    "CALLERID=g",
    "CASEMAPPING=rfc1459",
    "NICKLEN=16",
    "MAXNICKLEN=16",
    "CHANNELLEN=50",
    "TOPICLEN=390",
    "DEAF=D",
    "TARGMAX=NAMES:1,LIST:1,KICK:1,WHOIS:1,PRIVMSG:4,NOTICE:4,ACCEPT:,MONITOR:",
    "EXTBAN=$,ajrxz",
    "CLIENTVER=3.0",
    "SAFELIST",
    "ELIST=CTU",
    "WHOX",
    "KNOCK",
    "ETRACE",
    "MONITOR=100",
];

const MODES: &[(&str, bool)] = &[
    ("+o", true),
    ("-o", true),
    ("+v", true),
    ("-v", true),
    ("+b", false),
    ("+nt", false),
    ("-m", false),
];

/// Writes `count` words of chat text, mixing in emotes when `emotes` is set.
fn text(rng: &mut Rng, out: &mut String, count: usize, emotes: bool) {
    for i in 0..count {
        if i > 0 {
            out.push(' ');
        }
        if emotes && rng.chance(25) {
            out.push_str(rng.pick(EMOTE_WORDS));
        } else if rng.chance(3) {
            out.push_str(rng.pick(UNICODE_WORDS));
        } else {
            out.push_str(rng.pick(WORDS));
        }
    }
}

fn hex(rng: &mut Rng, out: &mut String, digits: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for _ in 0..digits {
        out.push(char::from(HEX[rng.below(16)]));
    }
}

fn digits(rng: &mut Rng, out: &mut String, count: usize) {
    for _ in 0..count {
        out.push(char::from(b'0' + rng.below(10) as u8));
    }
}

fn user_source(rng: &mut Rng, out: &mut String) {
    let nick = rng.pick(NICKS);
    out.push(':');
    out.push_str(nick);
    out.push('!');
    if rng.chance(50) {
        out.push('~');
    }
    out.push_str(&nick[..nick.len().min(9)]);
    out.push('@');
    out.push_str(rng.pick(HOSTS));
    out.push(' ');
}

/// A Twitch chat message with its full set of tags.
fn twitch_privmsg(rng: &mut Rng, out: &mut String) {
    let nick = rng.pick(&NICKS[25..]);
    let months = rng.below(60);
    out.push_str("@badge-info=");
    if months > 0 {
        out.push_str("subscriber/");
        out.push_str(&months.to_string());
    }
    out.push_str(";badges=");
    out.push_str(rng.pick(BADGES));
    out.push_str(";color=");
    if rng.chance(80) {
        out.push('#');
        hex(rng, out, 6);
    }
    out.push_str(";display-name=");
    out.push_str(rng.pick(DISPLAY_NAMES));
    out.push_str(";emotes=");
    if rng.chance(40) {
        out.push_str("25:0-4,12-16/1902:6-10");
    }
    out.push_str(";id=");
    hex(rng, out, 8);
    out.push('-');
    hex(rng, out, 4);
    out.push_str("-4");
    hex(rng, out, 3);
    out.push_str("-a");
    hex(rng, out, 3);
    out.push('-');
    hex(rng, out, 12);
    out.push_str(";mod=");
    out.push(if rng.chance(10) { '1' } else { '0' });
    if rng.chance(20) {
        // A reply: the parent's text is escaped (`\s` for spaces, `\:` for `;`).
        out.push_str(";reply-parent-display-name=");
        out.push_str(rng.pick(DISPLAY_NAMES));
        out.push_str(";reply-parent-msg-body=");
        let mut parent = String::new();
        let words = 3 + rng.below(5);
        text(rng, &mut parent, words, true);
        parent.push_str("; ok");
        irc_proto_escape(&parent, out);
    }
    out.push_str(";room-id=");
    digits(rng, out, 8);
    out.push_str(";subscriber=");
    out.push(if months > 0 { '1' } else { '0' });
    out.push_str(";tmi-sent-ts=17");
    digits(rng, out, 11);
    out.push_str(";turbo=0;user-id=");
    digits(rng, out, 9);
    out.push_str(";user-type=");
    if rng.chance(5) {
        out.push_str("mod");
    }
    out.push_str(" :");
    out.push_str(nick);
    out.push('!');
    out.push_str(nick);
    out.push('@');
    out.push_str(nick);
    out.push_str(".tmi.twitch.tv PRIVMSG ");
    out.push_str(rng.pick(TWITCH_CHANNELS));
    out.push_str(" :");
    let words = 1 + rng.below(8);
    text(rng, out, words, true);
}

/// The tag escaping of IRCv3, written here so the corpus does not depend on
/// the parser it measures.
fn irc_proto_escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            other => out.push(other),
        }
    }
}

fn plain_privmsg(rng: &mut Rng, out: &mut String) {
    if rng.chance(15) {
        out.push_str("@time=2026-11-");
        digits(rng, out, 1);
        out.push_str("1T12:34:");
        digits(rng, out, 1);
        out.push_str("0.123Z;msgid=");
        hex(rng, out, 16);
        out.push(' ');
    }
    user_source(rng, out);
    let odd = rng.chance(10);
    out.push_str(if rng.chance(90) { "PRIVMSG" } else { "NOTICE" });
    out.push_str(if odd { "  " } else { " " });
    out.push_str(rng.pick(CHANNELS));
    out.push_str(if odd { "   :" } else { " :" });
    let words = 4 + rng.below(28);
    text(rng, out, words, false);
    if rng.chance(5) {
        out.push_str("  ");
    }
}

fn membership(rng: &mut Rng, out: &mut String) {
    user_source(rng, out);
    match rng.below(3) {
        0 => {
            out.push_str("JOIN ");
            if rng.chance(50) {
                out.push(':');
                out.push_str(rng.pick(CHANNELS));
            } else {
                // extended-join: channel, account, real name.
                out.push_str(rng.pick(CHANNELS));
                out.push(' ');
                out.push_str(rng.pick(NICKS));
                out.push_str(" :");
                text(rng, out, 2, false);
            }
        }
        1 => {
            out.push_str("PART ");
            out.push_str(rng.pick(CHANNELS));
            if rng.chance(50) {
                out.push_str(" :");
                let words = 1 + rng.below(6);
                text(rng, out, words, false);
            } else if rng.chance(30) {
                out.push_str("  ");
            }
        }
        _ => {
            out.push_str("QUIT :");
            out.push_str(rng.pick(QUIT_REASONS));
        }
    }
}

fn mode(rng: &mut Rng, out: &mut String) {
    user_source(rng, out);
    out.push_str("MODE ");
    out.push_str(rng.pick(CHANNELS));
    let (flag, takes_nick) = MODES[rng.below(MODES.len())];
    out.push(' ');
    out.push_str(flag);
    if takes_nick {
        out.push(' ');
        out.push_str(rng.pick(NICKS));
    } else if flag == "+b" {
        out.push_str(" *!*@");
        out.push_str(rng.pick(HOSTS));
    }
    if rng.chance(20) {
        out.push(' ');
    }
}

fn names(rng: &mut Rng, out: &mut String) {
    out.push(':');
    out.push_str(rng.pick(SERVERS));
    out.push_str(" 353 ");
    out.push_str(rng.pick(NICKS));
    out.push_str(" = ");
    out.push_str(rng.pick(CHANNELS));
    out.push_str(" :");
    let count = 20 + rng.below(30);
    for i in 0..count {
        if i > 0 {
            out.push(' ');
        }
        match rng.below(10) {
            0 => out.push('@'),
            1 => out.push('+'),
            _ => {}
        }
        out.push_str(rng.pick(NICKS));
    }
}

fn isupport(rng: &mut Rng, out: &mut String) {
    out.push(':');
    out.push_str(rng.pick(SERVERS));
    out.push_str(" 005 ");
    out.push_str(rng.pick(NICKS));
    let start = rng.below(ISUPPORT.len());
    for i in 0..12 {
        out.push(' ');
        out.push_str(ISUPPORT[(start + i) % ISUPPORT.len()]);
    }
    out.push_str(" :are supported by this server");
}

fn ping(rng: &mut Rng, out: &mut String) {
    if rng.chance(50) {
        out.push_str("PING :");
        out.push_str(rng.pick(SERVERS));
    } else {
        out.push(':');
        out.push_str(rng.pick(SERVERS));
        out.push_str(" PING ");
        out.push_str(rng.pick(SERVERS));
        out.push_str(" :");
        digits(rng, out, 10);
    }
}

/// One line without its CRLF.
fn line(rng: &mut Rng, out: &mut String) {
    match rng.below(100) {
        0..36 => twitch_privmsg(rng, out),
        36..69 => plain_privmsg(rng, out),
        69..82 => membership(rng, out),
        82..87 => mode(rng, out),
        87..91 => names(rng, out),
        91..94 => isupport(rng, out),
        _ => ping(rng, out),
    }
}

/// `lines` lines from `seed`, each ending with CRLF.
pub fn generate(seed: u64, lines: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(lines * 240);
    for _ in 0..lines {
        line(&mut rng, &mut out);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The lines of a corpus, CRLF removed, split with `memchr` as a codec would.
pub fn lines(corpus: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', corpus).map(move |end| {
        let line = &corpus[start..end];
        start = end + 1;
        line.strip_suffix(b"\r").unwrap_or(line)
    })
}

/// The default corpus: [`LINES`] lines from [`SEED`], checked to have the
/// intended mean line length (200 to 230 bytes, CRLF included).
pub fn default_corpus() -> Vec<u8> {
    let corpus = generate(SEED, LINES);
    let mean = corpus.len() / LINES;
    assert!(
        (200..=230).contains(&mean),
        "the corpus mean line length drifted to {mean} bytes"
    );
    corpus
}
