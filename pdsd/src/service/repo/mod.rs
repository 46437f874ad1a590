//! Repositories: the one write path every record change goes through, and record reads.
//!
//! Write path (ARCHITECTURE.md): validate -> per-DID lock -> MST apply -> sign commit ->
//! sequence the `#commit` event -> store blocks, records and root -> release -> answer.
//! The event log is the point of durability: a crash after sequencing and before the actor
//! store commit is repaired when the repository is next opened (see [`state`]).

pub mod import;
pub mod read;
pub mod state;
pub mod sync;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::sync::Arc;

use atproto::Cid;
use atproto::blockstore::BlockStore;
use atproto::car::write_car;
use atproto::cbor::{Map, Value};
use atproto::commit::UnsignedCommit;
use atproto::mst;
use atproto::syntax::{AtUri, Did, Nsid, RecordKey, Tid};

use super::lexicons::CATALOG;
use super::{Service, ServiceError, ServiceInner};
use crate::sequencer::{EventKind, PendingEvent};
pub use state::RepoState;
use state::StoreView;

/// Largest record accepted, in DAG-CBOR bytes (the reference's limit for a record block).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Most operations in one `applyWrites`.
pub const MAX_WRITES: usize = 200;

/// One requested change.
#[derive(Debug, Clone)]
pub enum Write {
    Create {
        collection: Nsid,
        rkey: Option<RecordKey>,
        value: Value,
    },
    Update {
        collection: Nsid,
        rkey: RecordKey,
        value: Value,
        /// `Some(None)`: the record must not exist; `Some(Some(cid))`: it must be this one.
        swap_record: Option<Option<Cid>>,
    },
    Delete {
        collection: Nsid,
        rkey: RecordKey,
        swap_record: Option<Option<Cid>>,
    },
}

/// What happened to one write.
#[derive(Debug, Clone)]
pub enum WriteResult {
    Create {
        uri: AtUri,
        cid: Cid,
        validation_status: Option<&'static str>,
    },
    Update {
        uri: AtUri,
        cid: Cid,
        validation_status: Option<&'static str>,
    },
    Delete,
}

/// The commit a batch of writes produced.
#[derive(Debug, Clone)]
pub struct CommitResult {
    /// `None` when nothing changed (e.g. deleting a record that does not exist).
    pub commit: Option<(Cid, Tid)>,
    pub results: Vec<WriteResult>,
}

/// How strictly records are validated against their lexicon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validate {
    /// Must validate; an unknown lexicon is an error.
    Required,
    /// Validate when the lexicon is known.
    Optimistic,
    /// Skip validation.
    Skip,
}

impl Validate {
    pub fn from_flag(flag: Option<bool>) -> Validate {
        match flag {
            Some(true) => Validate::Required,
            None => Validate::Optimistic,
            Some(false) => Validate::Skip,
        }
    }
}

/// A write after validation: encoded record and its key.
struct Prepared {
    action: Action,
    collection: String,
    rkey: String,
    record: Option<(Cid, Vec<u8>)>,
    validation_status: Option<&'static str>,
    swap_record: Option<Option<Cid>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Update,
    Delete,
}

/// Checks a record against its collection and lexicon and encodes it.
fn prepare_record(
    collection: &Nsid,
    rkey: &str,
    mut value: Value,
    validate: Validate,
) -> Result<(Cid, Vec<u8>, Option<&'static str>), ServiceError> {
    let Value::Map(map) = &mut value else {
        return Err(ServiceError::invalid("Record must be an object"));
    };
    match map.get("$type") {
        None => {
            map.insert("$type".into(), Value::String(collection.to_string()));
        }
        Some(Value::String(t)) if t == collection.as_str() => {}
        Some(other) => {
            let got = other.as_str().unwrap_or("a non-string");
            return Err(ServiceError::invalid(format!(
                "Invalid $type: expected {collection}, got {got}"
            )));
        }
    }
    atproto::json::check_data_model(&value)
        .map_err(|e| ServiceError::invalid(format!("Invalid record: {e}")))?;
    let status = match validate {
        Validate::Skip => None,
        _ if CATALOG.has_record(collection.as_str()) => {
            CATALOG
                .validate_record_key(collection.as_str(), rkey)
                .map_err(|e| {
                    ServiceError::invalid(format!("Invalid record key for {collection}: {e}"))
                })?;
            CATALOG
                .validate_record(collection.as_str(), &value)
                .map_err(|e| ServiceError::invalid(format!("Invalid {collection} record: {e}")))?;
            Some("valid")
        }
        Validate::Required => {
            return Err(ServiceError::invalid(format!(
                "Unknown lexicon type: {collection}"
            )));
        }
        Validate::Optimistic => Some("unknown"),
    };
    let bytes = value.to_cbor();
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(ServiceError::invalid(format!(
            "Record is too large ({} bytes; the limit is {MAX_RECORD_BYTES})",
            bytes.len()
        )));
    }
    Ok((Cid::for_dag_cbor(&bytes), bytes, status))
}

fn prepare(writes: Vec<Write>, validate: Validate) -> Result<Vec<Prepared>, ServiceError> {
    if writes.is_empty() {
        return Err(ServiceError::invalid("No writes"));
    }
    if writes.len() > MAX_WRITES {
        return Err(ServiceError::invalid(format!(
            "Too many writes: at most {MAX_WRITES}"
        )));
    }
    let mut out = Vec::with_capacity(writes.len());
    let mut seen = BTreeSet::new();
    for w in writes {
        let p = match w {
            Write::Create {
                collection,
                rkey,
                value,
            } => {
                let rkey = match rkey {
                    Some(k) => k.to_string(),
                    None => atproto::tid::next_tid().to_string(),
                };
                let (cid, bytes, status) = prepare_record(&collection, &rkey, value, validate)?;
                Prepared {
                    action: Action::Create,
                    collection: collection.to_string(),
                    rkey,
                    record: Some((cid, bytes)),
                    validation_status: status,
                    swap_record: None,
                }
            }
            Write::Update {
                collection,
                rkey,
                value,
                swap_record,
            } => {
                let rkey = rkey.to_string();
                let (cid, bytes, status) = prepare_record(&collection, &rkey, value, validate)?;
                Prepared {
                    action: Action::Update,
                    collection: collection.to_string(),
                    rkey,
                    record: Some((cid, bytes)),
                    validation_status: status,
                    swap_record,
                }
            }
            Write::Delete {
                collection,
                rkey,
                swap_record,
            } => Prepared {
                action: Action::Delete,
                collection: collection.to_string(),
                rkey: rkey.to_string(),
                record: None,
                validation_status: None,
                swap_record,
            },
        };
        if !mst::is_valid_key(&format!("{}/{}", p.collection, p.rkey)) {
            return Err(ServiceError::invalid(format!(
                "Invalid record key: {}",
                p.rkey
            )));
        }
        if !seen.insert((p.collection.clone(), p.rkey.clone())) {
            return Err(ServiceError::invalid(format!(
                "More than one write to {}/{}",
                p.collection, p.rkey
            )));
        }
        out.push(p);
    }
    Ok(out)
}

/// Starts the flusher: every [`FLUSH_INTERVAL`] it stores the commits accounts have waiting
/// (see `commit_writes`). It holds the service weakly and stops when the service is dropped.
pub(super) fn spawn_flusher(service: &Service) {
    let weak = Arc::downgrade(&service.0);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else { break };
            let service = Service(inner);
            service.flush_pending().await;
        }
    });
}

impl Service {
    /// Stores every account's waiting commits in its actor store (the flusher's tick; also
    /// run at shutdown).
    pub async fn flush_pending(&self) {
        // Each repository is taken off the list under its lock, once stored (a flush already
        // under way elsewhere finishes before this one looks).
        for did in self.repos.dirty() {
            let slot = self.repos.slot(&did);
            let mut guard = slot.lock_owned().await;
            let service = self.clone();
            let done = tokio::task::spawn_blocking(move || match guard.as_mut() {
                Some(state) => match state.flush(&service, &did) {
                    Ok(()) => service.repos.mark_clean(&did),
                    Err(e) => {
                        tracing::error!(did = %did, error = %format!("{:#}", anyhow::Error::from(e)),
                            "cannot store commits in the actor store; they stay in the event log and are replayed");
                        *guard = None;
                        service.repos.unmark_dirty(&did);
                    }
                },
                // Dropped after an error: reopening replays from the event log.
                None => service.repos.unmark_dirty(&did),
            })
            .await;
            if let Err(e) = done {
                tracing::error!(error = %e, "the flusher's task failed");
            }
        }
    }

    /// The write path: applies `writes` to `did`'s repository as one signed commit.
    pub async fn apply_writes(
        &self,
        did: Did,
        writes: Vec<Write>,
        validate: Validate,
        swap_commit: Option<Cid>,
    ) -> Result<CommitResult, ServiceError> {
        let prepared = prepare(writes, validate)?;
        let slot = self.repos.slot(&did);
        let mut guard = slot.lock_owned().await;
        let service = self.clone();
        tokio::task::spawn_blocking(move || {
            let state = match &mut *guard {
                Some(s) => s,
                empty => empty.insert(RepoState::open(&service, &did)?),
            };
            let result = commit_writes(&service, state, &did, prepared, swap_commit);
            if result.is_err() {
                // The cached tree may hold half-applied changes: reload next time. Earlier
                // commits still waiting are sound: store them first (if that fails too, the
                // reload replays them from the event log). This commit may also have been
                // sequenced but not stored: reads must check again.
                if let Some(state) = guard.as_mut()
                    && let Err(e) = state.flush(&service, &did)
                {
                    tracing::error!(did = %did, error = %format!("{:#}", anyhow::Error::from(e)),
                        "cannot store waiting commits; they are replayed from the event log");
                }
                *guard = None;
                service.repos.set_current(&did, false);
            }
            result
        })
        .await
        .map_err(ServiceError::internal)?
    }
}

/// Applies prepared writes to a loaded repository and persists the commit.
fn commit_writes(
    service: &ServiceInner,
    state: &mut RepoState,
    did: &Did,
    mut prepared: Vec<Prepared>,
    swap_commit: Option<Cid>,
) -> Result<CommitResult, ServiceError> {
    if let Some(expected) = swap_commit
        && expected != state.commit
    {
        return Err(ServiceError::named(
            "InvalidSwap",
            format!("Commit was at {}", state.commit),
        ));
    }
    let store = &StoreView {
        store: &state.store,
        pending: &state.pending,
        extra: &[],
    };
    let mut ops: Vec<mst::KeyOp> = Vec::with_capacity(prepared.len());
    let mut results = Vec::with_capacity(prepared.len());
    let mut firehose_ops = Vec::with_capacity(prepared.len());
    for p in &prepared {
        let key = format!("{}/{}", p.collection, p.rkey);
        let current = state.mst.get(store, &key).map_err(ServiceError::internal)?;
        if let Some(expected) = p.swap_record
            && expected != current
        {
            return Err(ServiceError::named(
                "InvalidSwap",
                match current {
                    Some(c) => format!("Record was at {c}"),
                    None => "Record was not present".to_string(),
                },
            ));
        }
        let uri = || {
            AtUri::new(&format!("at://{did}/{}/{}", p.collection, p.rkey))
                .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))
        };
        match p.action {
            Action::Create | Action::Update => {
                let (cid, _) = p
                    .record
                    .as_ref()
                    .expect("creates and updates carry a record");
                if p.action == Action::Create && current.is_some() {
                    return Err(ServiceError::invalid(format!(
                        "Record already exists: {key}"
                    )));
                }
                if current == Some(*cid) {
                    // Unchanged: no op, but still a result.
                    results.push(WriteResult::Update {
                        uri: uri()?,
                        cid: *cid,
                        validation_status: p.validation_status,
                    });
                    continue;
                }
                state
                    .mst
                    .insert(store, &key, *cid)
                    .map_err(ServiceError::internal)?;
                ops.push((key.clone(), current, Some(*cid)));
                firehose_ops.push(firehose_op(
                    if current.is_some() {
                        "update"
                    } else {
                        "create"
                    },
                    &key,
                    Some(*cid),
                    current,
                ));
                results.push(if p.action == Action::Create {
                    WriteResult::Create {
                        uri: uri()?,
                        cid: *cid,
                        validation_status: p.validation_status,
                    }
                } else {
                    WriteResult::Update {
                        uri: uri()?,
                        cid: *cid,
                        validation_status: p.validation_status,
                    }
                });
            }
            Action::Delete => {
                results.push(WriteResult::Delete);
                if current.is_none() {
                    continue;
                }
                state
                    .mst
                    .remove(store, &key)
                    .map_err(ServiceError::internal)?;
                ops.push((key.clone(), current, None));
                firehose_ops.push(firehose_op("delete", &key, None, current));
            }
        }
    }
    if ops.is_empty() {
        return Ok(CommitResult {
            commit: None,
            results,
        });
    }
    // Blobs the records reference must be the account's uploads; they become permanent now,
    // before the commit is durable (the transaction below records the references).
    let references_blobs = super::blob::prepare_commit_blobs(
        service,
        &state.store,
        did,
        prepared
            .iter()
            .filter_map(|p| p.record.as_ref().map(|(_, bytes)| bytes.as_slice())),
    )?;

    let prev_data = state.data;
    let changes = state.mst.take_changes();
    // The commit's revision must exceed the previous one even if the clock went back.
    let mut rev = atproto::tid::next_tid();
    if rev <= state.rev {
        rev = Tid::from_u64(state.rev.as_u64() + 1);
    }
    let commit = UnsignedCommit::new(did.clone(), changes.root, rev).sign(&state.key);
    let (commit_cid, commit_bytes) = commit.to_block();

    // Blocks for the firehose: the commit, new records, new MST nodes, and the nodes a
    // consumer needs to verify the change and invert it (sync 1.1).
    let mut proof: std::collections::BTreeMap<Cid, Vec<u8>> = std::collections::BTreeMap::new();
    for (key, _, _) in &ops {
        state
            .mst
            .covering_proof_blocks(store, key, &mut proof)
            .map_err(ServiceError::internal)?;
    }
    let (inverted, inductive) = mst::invert_ops(
        &StoreView {
            store: &state.store,
            pending: &state.pending,
            extra: &changes.new_blocks,
        },
        changes.root,
        &ops,
    )
    .map_err(ServiceError::internal)?;
    if inverted != prev_data {
        return Err(ServiceError::internal(anyhow::anyhow!(
            "commit does not invert to the previous tree"
        )));
    }
    let new_cids: BTreeSet<Cid> = changes.new_blocks.iter().map(|(c, _)| *c).collect();
    for cid in inductive {
        if !new_cids.contains(&cid) && !proof.contains_key(&cid) {
            // Read by the inversion but not on the covering paths (not expected): fetch it.
            let bytes = store
                .get_block(&cid)
                .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?
                .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("missing block {cid}")))?;
            proof.insert(cid, bytes);
        }
    }
    proof.retain(|c, _| !new_cids.contains(c));

    let mut car_blocks: Vec<(Cid, &[u8])> =
        Vec::with_capacity(2 + changes.new_blocks.len() + proof.len() + prepared.len());
    car_blocks.push((commit_cid, &commit_bytes));
    for p in &prepared {
        if let Some((cid, bytes)) = &p.record {
            car_blocks.push((*cid, bytes));
        }
    }
    for (c, b) in changes
        .new_blocks
        .iter()
        .map(|(c, b)| (c, b))
        .chain(proof.iter())
    {
        car_blocks.push((*c, b));
    }
    let car = write_car(&[commit_cid], car_blocks.iter().map(|(c, b)| (c, *b)));

    let mut body = Map::new();
    body.insert("repo".into(), Value::String(did.to_string()));
    body.insert("commit".into(), Value::Link(commit_cid));
    body.insert("rev".into(), Value::String(rev.to_string()));
    body.insert("since".into(), Value::String(state.rev.to_string()));
    body.insert("blocks".into(), Value::Bytes(car));
    body.insert("ops".into(), Value::Array(firehose_ops));
    body.insert("blobs".into(), Value::Array(Vec::new()));
    body.insert("prevData".into(), Value::Link(prev_data));
    body.insert("rebase".into(), Value::Bool(false));
    body.insert("tooBig".into(), Value::Bool(false));
    service.sequencer.append(vec![PendingEvent {
        did: did.to_string(),
        kind: EventKind::Commit,
        rev: Some(rev.to_string()),
        body,
    }])?;

    // The actor store: this commit joins the account's pending ones. It is stored now if it
    // may change which blobs are referenced (blob rows and bytes must follow at once) or if
    // enough are waiting; otherwise the flusher (or the next read of the repository) stores
    // the batch. Until then the event log holds it, and a crash replays it from there.
    let changes_existing = ops.iter().any(|(_, old, _)| old.is_some());
    let mut blocks = changes.new_blocks;
    blocks.push((commit_cid, commit_bytes));
    let mut removed = changes.removed;
    removed.push(state.commit);
    state.pending.push(state::PendingCommit {
        commit: commit_cid,
        rev,
        blocks,
        removed,
        records_put: prepared
            .iter_mut()
            .filter_map(|p| {
                p.record.take().map(|(cid, bytes)| {
                    (
                        std::mem::take(&mut p.collection),
                        std::mem::take(&mut p.rkey),
                        cid,
                        bytes,
                    )
                })
            })
            .collect(),
        records_deleted: prepared
            .iter_mut()
            .filter(|p| p.action == Action::Delete)
            .map(|p| {
                (
                    std::mem::take(&mut p.collection),
                    std::mem::take(&mut p.rkey),
                )
            })
            .collect(),
    });
    if references_blobs
        || changes_existing
        || state.pending.len() >= MAX_PENDING_COMMITS
        || state.pending.bytes() >= MAX_PENDING_BYTES
    {
        state.flush(service, did)?;
        service.repos.mark_clean(did);
    } else {
        service.repos.mark_dirty(did);
    }
    state.commit = commit_cid;
    state.rev = rev;
    state.data = changes.root;
    Ok(CommitResult {
        commit: Some((commit_cid, rev)),
        results,
    })
}

fn firehose_op(action: &str, path: &str, cid: Option<Cid>, prev: Option<Cid>) -> Value {
    let mut m = Map::new();
    m.insert("action".into(), Value::String(action.into()));
    m.insert("path".into(), Value::String(path.into()));
    m.insert("cid".into(), cid.map(Value::Link).unwrap_or(Value::Null));
    if let Some(p) = prev {
        m.insert("prev".into(), Value::Link(p));
    }
    Value::Map(m)
}

/// How many repositories keep their loaded state (warm MST) before idle ones are dropped.
const MAX_LOADED_REPOS: usize = 128;

/// Most commits an account keeps waiting for the actor store before the writer stores them.
const MAX_PENDING_COMMITS: usize = 64;

/// Most bytes (blocks and records) an account keeps waiting before the writer stores them.
const MAX_PENDING_BYTES: usize = 256 * 1024;

/// How often the flusher stores the commits accounts have waiting.
const FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// Shared per-DID repository state: one lock per account, holding its loaded repository.
#[derive(Default)]
pub struct RepoCache {
    slots: std::sync::Mutex<
        std::collections::HashMap<Did, Arc<tokio::sync::Mutex<Option<RepoState>>>>,
    >,
    /// Repositories whose actor store is known to hold every commit the event log has for
    /// them, so reads may serve it (see `ServiceInner::ensure_store_current`).
    current: std::sync::Mutex<std::collections::HashSet<Did>>,
    /// Repositories whose loaded state holds commits not yet in the actor store.
    dirty: std::sync::Mutex<std::collections::HashSet<Did>>,
}

impl RepoCache {
    /// The lock and cached state of one repository.
    pub fn slot(&self, did: &Did) -> Arc<tokio::sync::Mutex<Option<RepoState>>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_LOADED_REPOS && !slots.contains_key(did) {
            // Drop repositories nobody is using (their loaded trees with them); one in use
            // keeps its lock alive through the caller's Arc, one with commits waiting for its
            // actor store stays until the flusher has stored them.
            let dirty = self.dirty.lock().unwrap_or_else(|e| e.into_inner());
            slots.retain(|did, slot| Arc::strong_count(slot) > 1 || dirty.contains(did));
        }
        slots.entry(did.clone()).or_default().clone()
    }

    /// Keeps a newly created repository loaded, its store current (nothing else can hold its
    /// lock yet: nobody knows the DID). An already loaded state is left as it is.
    pub fn adopt_created(&self, did: &Did, state: RepoState) {
        let slot = self.slot(did);
        if let Ok(mut guard) = slot.try_lock()
            && guard.is_none()
        {
            *guard = Some(state);
            self.set_current(did, true);
        }
    }

    /// Forgets a repository's cached state (account deleted or replaced).
    pub fn evict(&self, did: &Did) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.remove(did);
        self.set_current(did, false);
    }

    /// Records that `did`'s loaded state holds commits its actor store lacks (call with the
    /// repository's lock held).
    fn mark_dirty(&self, did: &Did) {
        self.set_current(did, false);
        let mut dirty = self.dirty.lock().unwrap_or_else(|e| e.into_inner());
        if !dirty.contains(did) {
            dirty.insert(did.clone());
        }
    }

    /// The repositories with commits waiting for their actor store.
    fn dirty(&self) -> Vec<Did> {
        let dirty = self.dirty.lock().unwrap_or_else(|e| e.into_inner());
        dirty.iter().cloned().collect()
    }

    /// Takes `did` off the list of repositories with waiting commits, leaving it not current
    /// (its state was dropped; reopening replays what the store lacks).
    fn unmark_dirty(&self, did: &Did) {
        self.dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(did);
        self.set_current(did, false);
    }

    /// Records that `did`'s actor store holds all its commits (call with the repository's lock
    /// held).
    fn mark_clean(&self, did: &Did) {
        self.dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(did);
        self.set_current(did, true);
    }

    /// Whether `did`'s actor store is known to be as new as the event log.
    pub fn is_current(&self, did: &Did) -> bool {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current.contains(did)
    }

    /// Records whether `did`'s actor store is known to be as new as the event log; call with
    /// the repository's lock held.
    pub fn set_current(&self, did: &Did, current: bool) {
        let mut set = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current {
            set.insert(did.clone());
        } else {
            set.remove(did);
        }
    }
}
