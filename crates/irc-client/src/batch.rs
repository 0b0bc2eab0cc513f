//! IRCv3 `batch`: messages the server groups (`BATCH +ref type ...` ...
//! `BATCH -ref`).
//!
//! Every message inside a batch is still an event of its own, carrying the
//! `batch` tag; the [`Batch`] extractor gives its reference and type. When a
//! batch ends the client fires the local-style event [`BATCH_END`], whose
//! [`CompletedBatch`] extractor holds every message of the batch, and
//! [`Client::wait_batch`] resolves with the same.
//!
//! ```
//! use irc_client::batch::{Batch, CompletedBatch};
//! use irc_client::Client;
//!
//! let client = Client::builder("127.0.0.1", 6667, "bot").build();
//! // A tag is never guaranteed: `Option<Batch>`.
//! client.on("PRIVMSG", |batch: Option<Batch>| async move {
//!     if let Some(b) = batch { drop((b.reference, b.kind)); }
//! })?;
//! client.on("BATCH_END", |CompletedBatch(b): CompletedBatch| async move {
//!     drop((b.kind.clone(), b.messages.len()));
//! })?;
//! // Only BATCH_END events carry a completed batch.
//! assert!(client.on("PRIVMSG", |b: Option<CompletedBatch>| async move { drop(b) }).is_err());
//! # Ok::<(), irc_client::RegisterError>(())
//! ```
//!
//! Limits: at most [`MAX_OPEN_BATCHES`] open batches (the oldest is dropped
//! beyond), [`MAX_BATCH_MESSAGES`] messages kept per batch (then
//! [`BatchInfo::truncated`]), and the last [`RECENT_BATCHES`] completed
//! batches kept for extractors and late waiters. A nested batch's messages
//! belong to the nested batch; its parent holds its `BATCH` lines.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use irc_proto::{Message, MessageBuf};

use crate::client::Client;
use crate::error::{Availability, Missing};
use crate::event::Field;
use crate::extract::FromEvent;
use crate::handler::{EventContext, EventSpec};
use crate::requests::RequestError;

/// The event fired when a batch ends; its parameters are the reference,
/// the type and the client's sequence number of the batch.
pub const BATCH_END: &str = "BATCH_END";

/// How many batches may be open at once.
pub const MAX_OPEN_BATCHES: usize = 64;

/// How many messages a batch keeps.
pub const MAX_BATCH_MESSAGES: usize = 10_000;

/// How many completed batches are kept.
pub const RECENT_BATCHES: usize = 64;

/// A batch, with the messages it collected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchInfo {
    /// The reference the server chose (unique while the batch is open).
    pub reference: String,
    /// The type (`netsplit`, `chathistory`, `labeled-response`, ...).
    pub kind: String,
    /// The parameters after the type.
    pub params: Vec<String>,
    /// The tags of the opening `BATCH` line (`label` for a labelled
    /// response).
    pub tags: Vec<irc_proto::TagBuf>,
    /// The reference of the enclosing batch, when nested.
    pub parent: Option<String>,
    /// The messages tagged with this batch, in order.
    pub messages: Vec<MessageBuf>,
    /// Whether messages were dropped past [`MAX_BATCH_MESSAGES`].
    pub truncated: bool,
    /// The client's sequence number for this batch.
    pub seq: u64,
}

impl BatchInfo {
    /// The value of a tag of the opening line.
    #[must_use]
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_deref().unwrap_or(""))
    }
}

/// Open and recently completed batches (sans I/O).
#[derive(Debug, Clone, Default)]
pub struct Batches {
    open: HashMap<String, BatchInfo>,
    /// Open references, oldest first, for the bound.
    order: VecDeque<String>,
    recent: VecDeque<Arc<BatchInfo>>,
    seq: u64,
}

impl Batches {
    /// Whether a batch is open (a message can belong to one only then).
    #[must_use]
    pub fn has_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// Feeds one message; returns the batch it completed, if any.
    pub fn handle(&mut self, msg: &Message<'_>) -> Option<Arc<BatchInfo>> {
        let in_batch = msg.tag("batch").filter(|r| !r.is_empty());
        if let Some(reference) = in_batch.as_deref()
            && let Some(batch) = self.open.get_mut(reference)
        {
            if batch.messages.len() < MAX_BATCH_MESSAGES {
                batch.messages.push(msg.to_buf());
            } else {
                batch.truncated = true;
            }
        }
        if !msg.is_command("BATCH") {
            return None;
        }
        let first = msg.param(0)?;
        if let Some(reference) = first.strip_prefix('+') {
            if reference.is_empty() {
                return None;
            }
            while self.open.len() >= MAX_OPEN_BATCHES {
                let Some(oldest) = self.order.pop_front() else {
                    break;
                };
                self.open.remove(&oldest);
            }
            self.seq += 1;
            let info = BatchInfo {
                reference: reference.to_owned(),
                kind: msg.param(1).unwrap_or_default().to_owned(),
                params: msg.params().iter().skip(2).map(str::to_owned).collect(),
                tags: msg.to_buf().tags,
                parent: in_batch.map(std::borrow::Cow::into_owned),
                messages: Vec::new(),
                truncated: false,
                seq: self.seq,
            };
            if self.open.insert(reference.to_owned(), info).is_none() {
                self.order.push_back(reference.to_owned());
            }
            None
        } else if let Some(reference) = first.strip_prefix('-') {
            let done = Arc::new(self.open.remove(reference)?);
            self.order.retain(|r| r != reference);
            if self.recent.len() >= RECENT_BATCHES {
                self.recent.pop_front();
            }
            self.recent.push_back(Arc::clone(&done));
            Some(done)
        } else {
            None
        }
    }

    /// An open batch.
    #[must_use]
    pub fn open(&self, reference: &str) -> Option<&BatchInfo> {
        self.open.get(reference)
    }

    /// How many batches are open.
    #[must_use]
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The most recent completed batch with this reference.
    #[must_use]
    pub fn completed(&self, reference: &str) -> Option<Arc<BatchInfo>> {
        self.recent
            .iter()
            .rev()
            .find(|b| b.reference == reference)
            .cloned()
    }

    /// The completed batch with this sequence number, if still kept.
    #[must_use]
    pub fn completed_seq(&self, seq: u64) -> Option<Arc<BatchInfo>> {
        self.recent.iter().rev().find(|b| b.seq == seq).cloned()
    }

    /// The type and parameters of an open or recently completed batch.
    fn describe(&self, reference: &str) -> Option<(String, Vec<String>)> {
        if let Some(b) = self.open.get(reference) {
            return Some((b.kind.clone(), b.params.clone()));
        }
        self.completed(reference)
            .map(|b| (b.kind.clone(), b.params.clone()))
    }

    /// Forgets everything (a new connection).
    pub fn clear(&mut self) {
        self.open.clear();
        self.order.clear();
        self.recent.clear();
    }
}

/// The `BATCH_END` event of a completed batch.
pub(crate) fn end_event(batch: &BatchInfo) -> crate::Event {
    crate::Event::from_message(MessageBuf::new(BATCH_END).with_params([
        batch.reference.clone(),
        batch.kind.clone(),
        batch.seq.to_string(),
    ]))
}

/// The batch a message belongs to: the `batch` tag's reference, and the
/// type and parameters of the batch when the client still knows it.
///
/// A tag is never guaranteed: ask for `Option<Batch>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The batch reference.
    pub reference: String,
    /// Its type, when known (`netsplit`, `chathistory`, ...).
    pub kind: Option<String>,
    /// Its parameters after the type.
    pub params: Vec<String>,
}

impl FromEvent for Batch {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        match spec.schema().availability(Field::Message) {
            Availability::Never => Err(Missing::new("Batch", Availability::Never)),
            _ => Err(Missing::new("Batch", Availability::Maybe)
                .with_detail("the `batch` tag is optional")),
        }
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        let reference = ctx.parsed()?.tag("batch")?;
        let known = ctx
            .client()
            .read_tracker(|t| t.batches().describe(&reference));
        let (kind, params) = known.map_or((None, Vec::new()), |(k, p)| (Some(k), p));
        Some(Self {
            reference: reference.into_owned(),
            kind,
            params,
        })
    }
}

/// The batch of a [`BATCH_END`] event, with all its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedBatch(pub Arc<BatchInfo>);

impl FromEvent for CompletedBatch {
    fn check(spec: &EventSpec<'_>) -> Result<(), Missing> {
        if spec.event().as_str() == BATCH_END {
            Ok(())
        } else {
            Err(Missing::new("CompletedBatch", Availability::Never)
                .with_detail("only BATCH_END events carry one"))
        }
    }

    fn from_event(ctx: &EventContext<'_>) -> Option<Self> {
        let seq: u64 = match ctx.parsed() {
            Some(m) => m.param(2)?.parse().ok()?,
            None => ctx.message()?.params.get(2)?.parse().ok()?,
        };
        ctx.client()
            .read_tracker(|t| t.batches().completed_seq(seq))
            .map(Self)
    }
}

impl Client {
    /// Resolves with the batch `reference` once it has ended (at once when
    /// it has just ended), within the request timeout
    /// ([`Client::set_request_timeout`]).
    ///
    /// # Errors
    ///
    /// [`RequestError::Timeout`] when it does not end in time.
    pub async fn wait_batch(&self, reference: &str) -> Result<Arc<BatchInfo>, RequestError> {
        let rx = {
            let tracker = self.tracker_read();
            if tracker.batches().open(reference).is_none()
                && let Some(done) = tracker.batches().completed(reference)
            {
                return Ok(done);
            }
            self.pending().wait_batch(reference)
        };
        self.await_reply(rx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(b: &mut Batches, line: &str) -> Option<Arc<BatchInfo>> {
        b.handle(&Message::parse(line).expect("parse"))
    }

    #[test]
    fn collects_tagged_messages_until_the_end() {
        let mut b = Batches::default();
        assert!(
            feed(
                &mut b,
                ":srv BATCH +yXNAbvnRHTRBv netsplit irc.hub other.host"
            )
            .is_none()
        );
        feed(
            &mut b,
            "@batch=yXNAbvnRHTRBv :aji!a@a QUIT :irc.hub other.host",
        );
        feed(&mut b, ":n!u@h PRIVMSG #c :not in it");
        feed(
            &mut b,
            "@batch=yXNAbvnRHTRBv :bob!b@b QUIT :irc.hub other.host",
        );
        assert_eq!(b.open("yXNAbvnRHTRBv").map(|x| x.messages.len()), Some(2));
        let done = feed(&mut b, ":srv BATCH -yXNAbvnRHTRBv").expect("done");
        assert_eq!(done.kind, "netsplit");
        assert_eq!(done.params, ["irc.hub", "other.host"]);
        assert_eq!(done.messages.len(), 2);
        assert_eq!(done.messages[1].source.as_deref(), Some("bob!b@b"));
        assert_eq!(b.open_count(), 0);
        assert_eq!(b.completed("yXNAbvnRHTRBv").map(|x| x.seq), Some(done.seq));
        assert_eq!(
            b.completed_seq(done.seq).map(|x| x.kind.clone()).as_deref(),
            Some("netsplit")
        );
        // An end without a start, or garbage: nothing.
        assert!(feed(&mut b, ":srv BATCH -nope").is_none());
        assert!(feed(&mut b, ":srv BATCH").is_none());
        assert!(feed(&mut b, ":srv BATCH +").is_none());
    }

    #[test]
    fn nested_batches_and_labels() {
        let mut b = Batches::default();
        feed(&mut b, "@label=L1 :srv BATCH +outer labeled-response");
        feed(&mut b, "@batch=outer :srv BATCH +inner netjoin");
        feed(&mut b, "@batch=inner :a!a@a JOIN #c");
        let inner = feed(&mut b, "@batch=outer :srv BATCH -inner").expect("inner");
        assert_eq!(inner.parent.as_deref(), Some("outer"));
        assert_eq!(inner.messages.len(), 1);
        let outer = feed(&mut b, ":srv BATCH -outer").expect("outer");
        assert_eq!(outer.tag("label"), Some("L1"));
        assert_eq!(outer.messages.len(), 2);
    }

    #[test]
    fn bounds_hold() {
        let mut b = Batches::default();
        for i in 0..(MAX_OPEN_BATCHES + 10) {
            feed(&mut b, &format!(":srv BATCH +r{i} x"));
        }
        assert_eq!(b.open_count(), MAX_OPEN_BATCHES);
        assert!(b.open("r0").is_none());
        for i in 10..(MAX_OPEN_BATCHES + 10) {
            assert!(feed(&mut b, &format!(":srv BATCH -r{i}")).is_some());
        }
        assert_eq!(b.recent.len(), RECENT_BATCHES);
        feed(&mut b, ":srv BATCH +big x");
        for _ in 0..(MAX_BATCH_MESSAGES + 1) {
            feed(&mut b, "@batch=big :a!a@a PRIVMSG #c :x");
        }
        let big = feed(&mut b, ":srv BATCH -big").expect("big");
        assert!(big.truncated);
        assert_eq!(big.messages.len(), MAX_BATCH_MESSAGES);
    }
}
