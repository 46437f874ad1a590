//! A loaded repository: its actor store, warm MST, current commit and signing key, and the
//! crash repair that runs when it is opened.

use std::collections::{HashMap, HashSet};

use atproto::Cid;
use atproto::blockstore::{BlockStore, BlockStoreError};
use atproto::car::read_car;
use atproto::cbor::Value;
use atproto::commit::Commit;
use atproto::crypto::SigningKey;
use atproto::mst::Mst;
use atproto::syntax::{Did, Tid};

use crate::service::{ServiceError, ServiceInner};
use crate::store::Durability;
use crate::store::actor::{ActorStore, CommitWrite, RecordWrite};

/// Levels of the MST (below the root) a loaded repository keeps in memory between batches.
const KEEP_LOADED_LEVELS: usize = 2;

/// One account's repository, held under its per-DID lock.
pub struct RepoState {
    pub store: ActorStore,
    pub mst: Mst,
    /// The current commit.
    pub commit: Cid,
    pub rev: Tid,
    /// The current MST root (`data` of the commit).
    pub data: Cid,
    pub key: SigningKey,
    /// Commits already sequenced (durable in the event log) but not yet in the actor store,
    /// oldest first. They are stored together by [`RepoState::flush`]: one transaction for
    /// many commits, and MST nodes that a later commit of the batch replaced never written.
    pub(super) pending: Pending,
}

/// Sequenced commits not yet in the actor store, oldest first.
#[derive(Default)]
pub(super) struct Pending {
    pub commits: Vec<PendingCommit>,
    /// Where each block of a pending commit is: (commit index, block index).
    blocks: HashMap<Cid, (usize, usize)>,
    /// Bytes of blocks and records waiting.
    bytes: usize,
}

impl Pending {
    /// Queues a sequenced commit.
    pub fn push(&mut self, commit: PendingCommit) {
        let i = self.commits.len();
        for (j, (cid, bytes)) in commit.blocks.iter().enumerate() {
            self.blocks.insert(*cid, (i, j));
            self.bytes += bytes.len();
        }
        self.bytes += commit
            .records_put
            .iter()
            .map(|(_, _, _, b)| b.len())
            .sum::<usize>();
        self.commits.push(commit);
    }

    pub fn len(&self) -> usize {
        self.commits.len()
    }

    /// Bytes of blocks and records waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.commits.is_empty()
    }

    /// A block of a pending commit.
    pub fn block(&self, cid: &Cid) -> Option<&[u8]> {
        let (i, j) = *self.blocks.get(cid)?;
        Some(&self.commits[i].blocks[j].1)
    }
}

/// What the write path reads blocks from: the commit being built (`extra`), then pending
/// commits, then the actor store.
pub(super) struct StoreView<'a> {
    pub store: &'a ActorStore,
    pub pending: &'a Pending,
    pub extra: &'a [(Cid, Vec<u8>)],
}

impl BlockStore for StoreView<'_> {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, BlockStoreError> {
        if let Some((_, b)) = self.extra.iter().find(|(c, _)| c == cid) {
            return Ok(Some(b.clone()));
        }
        match self.pending.block(cid) {
            Some(b) => Ok(Some(b.to_vec())),
            None => self.store.get_block(cid),
        }
    }
}

/// The blocks a batched commit inserts, and those it deletes.
type BlockChanges = (Vec<(Cid, Vec<u8>)>, Vec<Cid>);
/// The record rows a batched commit writes, and those it deletes.
type RecordChanges<'a> = (Vec<RecordWrite<'a>>, Vec<(&'a str, &'a str)>);

/// A commit waiting in [`RepoState::pending`].
pub(super) struct PendingCommit {
    pub commit: Cid,
    pub rev: Tid,
    /// New blocks: MST nodes and the commit block.
    pub blocks: Vec<(Cid, Vec<u8>)>,
    /// Blocks the commit took out of the repository (MST nodes and the previous commit).
    pub removed: Vec<Cid>,
    /// (collection, rkey, cid, DAG-CBOR).
    pub records_put: Vec<(String, String, Cid, Vec<u8>)>,
    pub records_deleted: Vec<(String, String)>,
}

impl RepoState {
    /// A repository created a moment ago, its genesis commit already in `store`: kept loaded
    /// so that the account's first writes need not open the store again.
    pub fn created(
        store: ActorStore,
        mst: Mst,
        commit: Cid,
        rev: Tid,
        data: Cid,
        key: SigningKey,
    ) -> RepoState {
        RepoState {
            store,
            mst,
            commit,
            rev,
            data,
            key,
            pending: Pending::default(),
        }
    }

    /// Opens a repository, first applying any commit that reached the event log but not the
    /// actor store (a crash between the two).
    pub fn open(service: &ServiceInner, did: &Did) -> Result<RepoState, ServiceError> {
        let data_dir = &service.config.data_directory;
        let mut store = ActorStore::open(data_dir, did, Durability::Normal)?;
        let key = ActorStore::signing_key(data_dir, did)?;
        let (_, rev) = store
            .root()?
            .ok_or_else(|| ServiceError::NotFound(format!("Could not find repo for DID: {did}")))?;
        for frame in service
            .sequencer
            .commit_frames_after(did.as_str(), rev.as_str())?
        {
            replay(&mut store, &frame)?;
            tracing::warn!(did = %did, "repaired repository from the event log after a crash");
        }
        let (commit, rev) = store
            .root()?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("repository lost its root")))?;
        let bytes = store
            .get_block(&commit)
            .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?
            .ok_or_else(|| {
                ServiceError::internal(anyhow::anyhow!("missing commit block {commit}"))
            })?;
        let decoded = Commit::decode(&bytes).map_err(ServiceError::internal)?;
        let mst = Mst::load(&store, decoded.data).map_err(ServiceError::internal)?;
        Ok(RepoState {
            store,
            mst,
            commit,
            rev,
            data: decoded.data,
            key,
            pending: Pending::default(),
        })
    }

    /// Stores every pending commit in one actor-store transaction, then deletes the bytes of
    /// blobs they left unreferenced. On error the caller must drop this state: the commits
    /// stay in the event log, and reopening the repository replays them.
    pub fn flush(&mut self, service: &ServiceInner, did: &Did) -> Result<(), ServiceError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending).commits;
        // A block created and then removed inside the batch is neither inserted nor deleted.
        let mut created: HashSet<Cid> = HashSet::new();
        // The last commit of the batch that removes each block.
        let mut last_removed: HashMap<Cid, usize> = HashMap::new();
        for (i, p) in pending.iter().enumerate() {
            for cid in &p.removed {
                last_removed.insert(*cid, i);
            }
        }
        let mut owned: Vec<BlockChanges> = Vec::with_capacity(pending.len());
        for (i, p) in pending.iter().enumerate() {
            let removed: Vec<Cid> = p
                .removed
                .iter()
                .filter(|c| !created.contains(*c))
                .copied()
                .collect();
            created.extend(p.blocks.iter().map(|(c, _)| *c));
            let blocks: Vec<(Cid, Vec<u8>)> = p
                .blocks
                .iter()
                .filter(|(c, _)| last_removed.get(c).is_none_or(|&r| r <= i))
                .cloned()
                .collect();
            owned.push((blocks, removed));
        }
        let records: Vec<RecordChanges<'_>> = pending
            .iter()
            .map(|p| {
                (
                    p.records_put
                        .iter()
                        .map(|(c, r, cid, b)| RecordWrite {
                            collection: c,
                            rkey: r,
                            cid: *cid,
                            bytes: b,
                        })
                        .collect(),
                    p.records_deleted
                        .iter()
                        .map(|(c, r)| (c.as_str(), r.as_str()))
                        .collect(),
                )
            })
            .collect();
        let writes: Vec<CommitWrite<'_>> = pending
            .iter()
            .zip(&owned)
            .zip(&records)
            .map(|((p, (blocks, removed)), (put, deleted))| CommitWrite {
                commit: p.commit,
                rev: &p.rev,
                blocks,
                removed,
                records_put: put,
                records_deleted: deleted,
            })
            .collect();
        let unreferenced = self.store.apply_commits(&writes)?;
        // The store has every node now: keep only the top of the tree in memory, so a
        // long-lived repository does not hold every node it ever wrote.
        self.mst.unload(KEEP_LOADED_LEVELS);
        crate::service::blob::delete_dereferenced_blobs(service, did, unreferenced);
        Ok(())
    }
}

impl ServiceInner {
    /// Makes sure `did`'s actor store holds every commit the event log has for it, before a
    /// read serves the repository. A crash after a commit is sequenced and before the store's
    /// transaction commits leaves the store one commit behind the firehose; [`RepoState::open`]
    /// repairs that, but only writes open it, so without this check reads (getRecord,
    /// getLatestCommit, getRepo, ...) would serve the older state after a restart until the
    /// account's next write. Checked once per repository per process (blocking: call from a
    /// blocking thread, never with the repository's lock held).
    pub(crate) fn ensure_store_current(&self, did: &Did) -> Result<(), ServiceError> {
        if self.repos.is_current(did) {
            return Ok(());
        }
        let slot = self.repos.slot(did);
        // Under the lock no write is half done, so the comparison below is meaningful.
        let mut guard = slot.blocking_lock();
        // A loaded state was repaired when it was opened and every later commit went through
        // it: storing its pending commits makes the store current.
        if let Some(state) = guard.as_mut() {
            if let Err(e) = state.flush(self, did) {
                *guard = None;
                return Err(e);
            }
            self.repos.mark_clean(did);
            return Ok(());
        } else {
            let store = ActorStore::open(&self.config.data_directory, did, Durability::Normal)?;
            let stored = store.root()?.map(|(_, rev)| rev);
            let logged = self.sequencer.last_rev(did.as_str())?.map(|(_, rev)| rev);
            if let (Some(stored), Some(logged)) = (stored, logged)
                && logged.as_str() > stored.as_str()
            {
                *guard = Some(RepoState::open(self, did)?);
            }
        }
        self.repos.set_current(did, true);
        Ok(())
    }
}

/// Applies one sequenced `#commit` frame to the actor store.
fn replay(store: &mut ActorStore, frame: &[u8]) -> Result<(), ServiceError> {
    let bad = |m: &str| ServiceError::internal(anyhow::anyhow!("cannot replay commit event: {m}"));
    let (_, body) = crate::sequencer::frame::parse_frame(frame).map_err(ServiceError::internal)?;
    let body = body.as_map().ok_or_else(|| bad("body"))?;
    let commit = *body
        .get("commit")
        .and_then(Value::as_link)
        .ok_or_else(|| bad("commit"))?;
    let rev = body
        .get("rev")
        .and_then(Value::as_str)
        .and_then(|r| Tid::new(r).ok())
        .ok_or_else(|| bad("rev"))?;
    let car = match body.get("blocks") {
        Some(Value::Bytes(b)) => b,
        _ => return Err(bad("blocks")),
    };
    let (_, blocks) = read_car(car).map_err(ServiceError::internal)?;
    let mut by_cid: HashMap<Cid, Vec<u8>> = blocks.into_iter().collect();
    let mut paths: Vec<(String, String, Option<Cid>)> = Vec::new();
    for op in body
        .get("ops")
        .and_then(|v| match v {
            Value::Array(a) => Some(a),
            _ => None,
        })
        .ok_or_else(|| bad("ops"))?
    {
        let m = op.as_map().ok_or_else(|| bad("op"))?;
        let path = m
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("path"))?;
        let (collection, rkey) = path.split_once('/').ok_or_else(|| bad("path"))?;
        paths.push((
            collection.to_string(),
            rkey.to_string(),
            m.get("cid").and_then(Value::as_link).copied(),
        ));
    }
    let mut records: Vec<(String, String, Cid, Vec<u8>)> = Vec::new();
    let mut deleted: Vec<(String, String)> = Vec::new();
    for (collection, rkey, cid) in paths {
        match cid {
            Some(cid) => {
                let bytes = by_cid
                    .remove(&cid)
                    .ok_or_else(|| bad("record block missing"))?;
                records.push((collection, rkey, cid, bytes));
            }
            None => deleted.push((collection, rkey)),
        }
    }
    let blocks: Vec<(Cid, Vec<u8>)> = by_cid.into_iter().collect();
    let records_put: Vec<RecordWrite<'_>> = records
        .iter()
        .map(|(c, r, cid, b)| RecordWrite {
            collection: c,
            rkey: r,
            cid: *cid,
            bytes: b,
        })
        .collect();
    let records_deleted: Vec<(&str, &str)> = deleted
        .iter()
        .map(|(c, r)| (c.as_str(), r.as_str()))
        .collect();
    // Nodes the commit dropped are not in the event; they stay as unreferenced blocks. The
    // previous commit block goes, as on the write path.
    let previous: Vec<Cid> = store.root()?.map(|(c, _)| c).into_iter().collect();
    store.apply_commit(&CommitWrite {
        commit,
        rev: &rev,
        blocks: &blocks,
        removed: &previous,
        records_put: &records_put,
        records_deleted: &records_deleted,
    })?;
    Ok(())
}
