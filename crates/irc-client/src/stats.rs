//! [`Stats`]: what the client read and what it had to drop.
//!
//! A server (or something in the way) can send lines that are too long,
//! that are not UTF-8, or that are no IRC at all, or close the connection in
//! the middle of a line. None of them ends the connection early or reaches
//! a handler half-read: an overlong line is skipped up to its end, a line in
//! a legacy encoding is read as CP1252, a line that does not parse is
//! skipped, and the bytes after the last line ending when the connection
//! closes are dropped.
//! Each of these is counted here, so that a bot can report it, and logged
//! with `tracing`: a dropped line at `warn` with its length but never its
//! bytes (the text of an unparsable line is logged at `debug`), a line read
//! as CP1252 at `debug`.
//!
//! ```
//! let client = irc_client::Client::builder("127.0.0.1", 6667, "bot").build();
//! let stats = client.stats();
//! assert_eq!(stats.lines_decoded, 0);
//! assert_eq!(stats.dropped(), 0);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

/// The counters of one client, over all its connections.
///
/// A snapshot from [`Client::stats`](crate::Client::stats); every counter
/// only grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Lines read and handed to the parser (not counting empty lines and
    /// overlong ones).
    pub lines_decoded: u64,
    /// Lines dropped because they were longer than
    /// [`max_line_length`](crate::ClientBuilder::max_line_length).
    pub lines_overlong: u64,
    /// Lines that were read but did not parse as IRC messages (no command,
    /// a command of binary noise, only spaces, tags and nothing else): they
    /// are dropped.
    pub lines_unparsable: u64,
    /// Lines that were not valid UTF-8 and were read as CP1252 instead
    /// (kept: they are also in `lines_decoded`).
    pub lines_not_utf8: u64,
    /// Lines cut off by the end of a connection (the server closed in the
    /// middle of a line): dropped, since a line cut anywhere cannot be
    /// trusted.
    pub lines_incomplete: u64,
    /// Lines that parsed and were handled (state, events).
    pub messages: u64,
}

impl Stats {
    /// How many lines were dropped: overlong, unparsable and incomplete.
    #[must_use]
    pub const fn dropped(&self) -> u64 {
        self.lines_overlong + self.lines_unparsable + self.lines_incomplete
    }
}

/// The live counters, shared by the client handle and the codec.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    decoded: AtomicU64,
    overlong: AtomicU64,
    unparsable: AtomicU64,
    not_utf8: AtomicU64,
    incomplete: AtomicU64,
    messages: AtomicU64,
}

impl Counters {
    pub(crate) fn decoded(&self, n: u64) {
        self.decoded.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn overlong(&self) {
        self.overlong.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unparsable(&self) {
        self.unparsable.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn not_utf8(&self) {
        self.not_utf8.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn incomplete(&self) {
        self.incomplete.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn messages(&self, n: u64) {
        self.messages.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            lines_decoded: self.decoded.load(Ordering::Relaxed),
            lines_overlong: self.overlong.load(Ordering::Relaxed),
            lines_unparsable: self.unparsable.load(Ordering::Relaxed),
            lines_not_utf8: self.not_utf8.load(Ordering::Relaxed),
            lines_incomplete: self.incomplete.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reads_every_counter() {
        let c = Counters::default();
        c.decoded(1);
        c.decoded(1);
        c.overlong();
        c.unparsable();
        c.not_utf8();
        c.incomplete();
        c.messages(1);
        let s = c.snapshot();
        assert_eq!(
            s,
            Stats {
                lines_decoded: 2,
                lines_overlong: 1,
                lines_unparsable: 1,
                lines_not_utf8: 1,
                lines_incomplete: 1,
                messages: 1,
            }
        );
        assert_eq!(s.dropped(), 3);
    }
}
