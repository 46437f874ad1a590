//! The sequencer: a durable, ordered event log (`<data>/sequencer.sqlite`) and the live
//! broadcast behind `com.atproto.sync.subscribeRepos`.
//!
//! Writers hand over events in batches; one SQLite transaction assigns consecutive `seq`s and
//! stores the finished frames, then the frames go to live subscribers in order. Subscribers
//! never slow writers: the broadcast channel is bounded and a subscriber that falls behind it
//! catches up from the log, or is dropped once it is further behind than the log can help.

pub mod frame;
pub mod retention;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use atproto::cbor::{Map, Value};
use atproto::syntax::Datetime;
use bytes::Bytes;
use rusqlite::params;
use tokio::sync::broadcast;

use crate::store::{Durability, Pool, StoreError, migrate, open};

/// The sequencer database's migrations. Never edit an applied one; append.
pub const MIGRATIONS: &[migrate::Migration] = &[(
    "0001_events.sql",
    include_str!("../../../migrations/sequencer/0001_events.sql"),
)];

/// How many events the live channel buffers before a slow subscriber has to catch up from
/// the log. Kept small: the channel holds its last events whether or not anyone listens, and
/// one event can be large (an `applyWrites` of 200 records); catching up reads the recent
/// events from memory first (`RECENT_BYTES`).
const LIVE_BUFFER: usize = 16;

/// Bytes of the newest frames kept in memory for consumers catching up (beyond them, the
/// log is read from disk).
const RECENT_BYTES: usize = 2 * 1024 * 1024;

/// The kinds of firehose events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Commit,
    Sync,
    Identity,
    Account,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Commit => "commit",
            EventKind::Sync => "sync",
            EventKind::Identity => "identity",
            EventKind::Account => "account",
        }
    }

    /// The `t` of the frame header.
    pub fn frame_type(self) -> &'static str {
        match self {
            EventKind::Commit => "#commit",
            EventKind::Sync => "#sync",
            EventKind::Identity => "#identity",
            EventKind::Account => "#account",
        }
    }
}

/// An event before it has a sequence number: its body without `seq` and `time`, which the
/// sequencer adds.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub did: String,
    pub kind: EventKind,
    pub rev: Option<String>,
    pub body: Map,
}

/// A sequenced event, as stored and broadcast.
#[derive(Debug, Clone)]
pub struct Event {
    pub seq: i64,
    pub did: Arc<str>,
    pub kind: EventKind,
    pub frame: Bytes,
}

/// The event log and live broadcast.
pub struct Sequencer {
    inner: Arc<Inner>,
    /// Batches to the committer thread (group commit).
    queue: std::sync::mpsc::Sender<Request>,
}

/// The log and live channel, shared by the `Sequencer` handle and its committer thread.
pub struct Inner {
    db: Pool,
    last_seq: AtomicI64,
    live: broadcast::Sender<Arc<Event>>,
    /// The newest events, consecutive, at most `RECENT_BYTES` of frames.
    recent: std::sync::Mutex<Recent>,
}

/// The newest events in memory (see [`Inner::events_after`]).
#[derive(Default)]
struct Recent {
    events: std::collections::VecDeque<Arc<Event>>,
    bytes: usize,
}

impl Recent {
    fn push(&mut self, e: &Arc<Event>) {
        self.bytes += e.frame.len();
        self.events.push_back(e.clone());
        while self.bytes > RECENT_BYTES
            && let Some(old) = self.events.pop_front()
        {
            self.bytes -= old.frame.len();
        }
    }

    /// Events after `after_seq`, if memory holds all of them from `after_seq + 1` on.
    fn after(&self, after_seq: i64, limit: usize) -> Option<Vec<Arc<Event>>> {
        let first = self.events.front()?.seq;
        if after_seq + 1 < first {
            return None;
        }
        let skip = usize::try_from(after_seq + 1 - first).ok()?;
        Some(
            self.events
                .range(skip.min(self.events.len())..)
                .take(limit)
                .cloned()
                .collect(),
        )
    }

    fn clear(&mut self) {
        self.events.clear();
        self.bytes = 0;
    }
}

/// One caller's events, waiting for the committer.
struct Request {
    events: Vec<PendingEvent>,
    reply: std::sync::mpsc::SyncSender<Result<Vec<Arc<Event>>, String>>,
}

/// Most requests the committer writes in one transaction.
const MAX_BATCH: usize = 512;

impl std::ops::Deref for Sequencer {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

/// Group commit: takes every request waiting, writes them in one transaction (one flush for
/// all of them), then answers each. Callers hold their repository's lock while they wait,
/// so per-repository order is kept; across repositories, queue order is seq order.
fn committer(inner: Arc<Inner>, queue: std::sync::mpsc::Receiver<Request>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let counts: Vec<usize> = batch.iter().map(|r| r.events.len()).collect();
        let all: Vec<PendingEvent> = batch.iter_mut().flat_map(|r| r.events.drain(..)).collect();
        match inner.write_batch(all) {
            Ok(events) => {
                let mut events = events.into_iter();
                for (req, n) in batch.into_iter().zip(counts) {
                    let _ = req.reply.send(Ok(events.by_ref().take(n).collect()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot write firehose events");
                let msg = e.to_string();
                for req in batch {
                    let _ = req.reply.send(Err(msg.clone()));
                }
            }
        }
    }
}

impl Sequencer {
    /// Opens `<data>/sequencer.sqlite`, applying migrations.
    pub fn open(data_dir: &Path, durability: Durability) -> Result<Sequencer, StoreError> {
        let path = data_dir.join("sequencer.sqlite");
        let mut writer = open(&path, durability)?;
        migrate::apply(&mut writer, &path.display().to_string(), MIGRATIONS)?;
        let last: i64 =
            writer.query_row("SELECT coalesce(max(seq), 0) FROM event", [], |r| r.get(0))?;
        let mut readers = Vec::new();
        for _ in 0..2 {
            readers.push(open(&path, durability)?);
        }
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let inner = Arc::new(Inner {
            db: Pool::new(writer, readers),
            last_seq: AtomicI64::new(last),
            live,
            recent: Default::default(),
        });
        let (queue, rx) = std::sync::mpsc::channel();
        let committer_inner = inner.clone();
        std::thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || committer(committer_inner, rx))?;
        Ok(Sequencer { inner, queue })
    }

    /// Appends events (blocking: call from a blocking thread) and returns them with their
    /// sequence numbers, in order, once they are durable and broadcast. Concurrent callers
    /// share one transaction.
    pub fn append(&self, pending: Vec<PendingEvent>) -> Result<Vec<Arc<Event>>, StoreError> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let gone = || StoreError::Io(std::io::Error::other("the sequencer has stopped"));
        self.queue
            .send(Request {
                events: pending,
                reply,
            })
            .map_err(|_| gone())?;
        answer
            .recv()
            .map_err(|_| gone())?
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))
    }
}

impl Inner {
    /// The newest sequence number (0 before any event).
    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::Acquire)
    }

    /// Subscribes to live events (those appended after this call).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.live.subscribe()
    }

    /// Number of live subscribers.
    pub fn subscriber_count(&self) -> usize {
        self.live.receiver_count()
    }

    /// Writes events in one transaction, then broadcasts them (the committer thread only).
    fn write_batch(&self, pending: Vec<PendingEvent>) -> Result<Vec<Arc<Event>>, StoreError> {
        let events = self.db.write(|c| -> Result<Vec<Arc<Event>>, StoreError> {
            let tx = c.transaction()?;
            let mut seq = self.last_seq.load(Ordering::Acquire);
            let time = Datetime::now().to_string();
            let mut out = Vec::with_capacity(pending.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO event (seq, did, kind, rev, time, frame) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for p in pending {
                    seq += 1;
                    let mut body = p.body;
                    body.insert("seq".into(), Value::Integer(seq));
                    body.insert("time".into(), Value::String(time.clone()));
                    let frame = frame::message_frame(p.kind.frame_type(), &Value::Map(body));
                    insert.execute(params![
                        seq,
                        p.did,
                        p.kind.as_str(),
                        p.rev,
                        time,
                        frame.as_slice()
                    ])?;
                    out.push(Arc::new(Event {
                        seq,
                        did: p.did.into(),
                        kind: p.kind,
                        frame: Bytes::from(frame),
                    }));
                }
            }
            tx.commit()?;
            // Published only after the commit: nothing is visible that could still vanish.
            self.last_seq.store(seq, Ordering::Release);
            Ok(out)
        })?;
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            for e in &events {
                recent.push(e);
            }
        }
        for e in &events {
            // No receivers is fine; lagging receivers catch up from the log.
            let _ = self.live.send(e.clone());
        }
        Ok(events)
    }

    /// Drops the in-memory copy of the newest events (before events are deleted from the
    /// log, so memory never serves what the log no longer has).
    pub(crate) fn forget_recent(&self) {
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Events after `after_seq`, oldest first, at most `limit` (blocking).
    pub fn events_after(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Arc<Event>>, StoreError> {
        if let Some(events) = self
            .recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .after(after_seq, limit)
        {
            return Ok(events);
        }
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, did, kind, frame FROM event WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after_seq, limit as i64], |r| {
                let kind: String = r.get(2)?;
                let frame: Vec<u8> = r.get(3)?;
                Ok(Arc::new(Event {
                    seq: r.get(0)?,
                    did: r.get::<_, String>(1)?.into(),
                    kind: match kind.as_str() {
                        "commit" => EventKind::Commit,
                        "sync" => EventKind::Sync,
                        "identity" => EventKind::Identity,
                        _ => EventKind::Account,
                    },
                    frame: Bytes::from(frame),
                }))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The frames of a DID's `#commit` events with a revision after `rev`, in order
    /// (blocking; repairs a repository whose store missed its last commit).
    pub fn commit_frames_after(&self, did: &str, rev: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT frame FROM event WHERE did = ?1 AND kind = 'commit' AND rev > ?2 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![did, rev], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<Vec<u8>>, _>>()?)
        })
    }

    /// The oldest retained sequence number, if any (blocking).
    pub fn first_seq(&self) -> Result<Option<i64>, StoreError> {
        self.db
            .read(|c| Ok(c.query_row("SELECT min(seq) FROM event", [], |r| r.get(0))?))
    }

    /// The last commit/sync revision sequenced for a DID (blocking; startup recovery uses it).
    pub fn last_rev(&self, did: &str) -> Result<Option<(i64, String)>, StoreError> {
        use rusqlite::OptionalExtension;
        self.db.read(|c| {
            Ok(c.query_row(
                "SELECT seq, rev FROM event WHERE did = ?1 AND rev IS NOT NULL ORDER BY seq DESC LIMIT 1",
                [did],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    /// Removes a purged account's events from the log, keeping its newest `#account` event
    /// (the deletion) so consumers replaying the log still learn it is gone (blocking).
    pub fn forget_did(&self, did: &str) -> Result<usize, StoreError> {
        self.forget_recent();
        self.db.write(|c| {
            Ok(c.execute(
                "DELETE FROM event WHERE did = ?1 AND seq != coalesce( \
                   (SELECT max(seq) FROM event WHERE did = ?1 AND kind = 'account'), -1)",
                [did],
            )?)
        })
    }

    /// Deletes events older than `before` (RFC 3339), keeping the newest event (blocking).
    pub fn trim_before(&self, before: &str) -> Result<usize, StoreError> {
        let last = self.last_seq();
        self.forget_recent();
        self.db.write(|c| {
            Ok(c.execute(
                "DELETE FROM event WHERE time < ?1 AND seq < ?2",
                params![before, last],
            )?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_events_in_memory_are_consecutive_bounded_and_only_served_when_complete() {
        let event = |seq: i64, len: usize| {
            Arc::new(Event {
                seq,
                did: "did:plc:x".into(),
                kind: EventKind::Commit,
                frame: Bytes::from(vec![0u8; len]),
            })
        };
        let mut recent = Recent::default();
        assert!(recent.after(0, 10).is_none());
        for seq in 1..=3 {
            recent.push(&event(seq, 10));
        }
        let seqs = |v: Vec<Arc<Event>>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(seqs(recent.after(0, 10).unwrap()), vec![1, 2, 3]);
        assert_eq!(seqs(recent.after(1, 1).unwrap()), vec![2]);
        assert_eq!(seqs(recent.after(3, 10).unwrap()), Vec::<i64>::new());
        // Over the byte bound the oldest go; a reader needing them goes to the log.
        recent.push(&event(4, RECENT_BYTES));
        assert_eq!(seqs(recent.after(3, 10).unwrap()), vec![4]);
        assert!(recent.after(2, 10).is_none());
        recent.clear();
        assert!(recent.after(3, 10).is_none());
    }

    fn pending(did: &str, n: i64) -> PendingEvent {
        let mut body = Map::new();
        body.insert("did".into(), Value::String(did.into()));
        body.insert("active".into(), Value::Bool(n % 2 == 0));
        PendingEvent {
            did: did.into(),
            kind: EventKind::Account,
            rev: None,
            body,
        }
    }

    #[test]
    fn events_get_consecutive_seqs_that_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Sequencer::open(dir.path(), Durability::Normal).unwrap();
            let mut rx = s.subscribe();
            let out = s
                .append(vec![pending("did:plc:a", 1), pending("did:plc:b", 2)])
                .unwrap();
            assert_eq!(out.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
            assert_eq!(rx.try_recv().unwrap().seq, 1);
            assert_eq!(rx.try_recv().unwrap().seq, 2);
        }
        let s = Sequencer::open(dir.path(), Durability::Normal).unwrap();
        assert_eq!(s.last_seq(), 2);
        let out = s.append(vec![pending("did:plc:a", 3)]).unwrap();
        assert_eq!(out[0].seq, 3);
        let replay = s.events_after(1, 10).unwrap();
        assert_eq!(replay.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(replay[1].frame, out[0].frame);
        let (header, body) = frame::parse_frame(&replay[1].frame).unwrap();
        assert_eq!(
            header.as_map().unwrap()["t"],
            Value::String("#account".into())
        );
        assert_eq!(body.as_map().unwrap()["seq"], Value::Integer(3));
    }
}
