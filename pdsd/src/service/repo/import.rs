//! `com.atproto.repo.importRepo`: replace an account's repository with an uploaded CAR
//! (account migration). The CAR is verified completely before anything is replaced: one
//! root commit of the account's DID, signed by the account's key here or by the atproto key
//! in its DID document (the old PDS's key, before the DID document moves here), a complete
//! MST and every record present. The stored repository gets a new commit over the same data,
//! signed with the key held here, so it verifies against the DID document once that points
//! here.

use std::collections::HashMap;

use atproto::Cid;
use atproto::blockstore::MemoryBlockStore;
use atproto::car::{CarLimits, CarReader};
use atproto::commit::Commit;
use atproto::mst::Mst;
use atproto::syntax::Did;

use super::state::RepoState;
use crate::service::{Service, ServiceError};
use crate::store::Durability;
use crate::store::actor::ActorStore;

/// Largest repository CAR accepted by `importRepo`.
pub const MAX_IMPORT_BYTES: usize = 512 * 1024 * 1024;

/// A verified repository, ready to store.
pub struct VerifiedRepo {
    pub commit_cid: Cid,
    pub commit: Commit,
    /// MST nodes and the commit.
    pub blocks: Vec<(Cid, Vec<u8>)>,
    pub records: Vec<crate::store::actor::ImportedRecord>,
}

/// Reads and verifies a repository CAR: one root that is a commit of `did`, signed by `key`,
/// whose MST is complete and whose every record block is present. Blocks are checked against
/// their CIDs while reading.
pub fn verify_repo_car(
    car: &[u8],
    did: &Did,
    keys: &[atproto::crypto::PublicKey],
) -> Result<VerifiedRepo, ServiceError> {
    let bad = |m: String| ServiceError::invalid(format!("Invalid repository CAR: {m}"));
    let mut reader =
        CarReader::with_limits(car, CarLimits::default()).map_err(|e| bad(e.to_string()))?;
    let root = match reader.roots() {
        [r] => *r,
        _ => return Err(bad("it must have exactly one root".into())),
    };
    let mut store = MemoryBlockStore::new();
    while let Some((cid, bytes)) = reader.next_block().map_err(|e| bad(e.to_string()))? {
        store.put(cid, bytes);
    }
    let commit_bytes = store
        .get(&root)
        .ok_or_else(|| bad("the root commit block is missing".into()))?
        .to_vec();
    let commit = Commit::decode(&commit_bytes).map_err(|e| bad(e.to_string()))?;
    if &commit.did != did {
        return Err(bad(format!("the commit is for {}, not {did}", commit.did)));
    }
    if !keys.iter().any(|k| commit.verify(k).is_ok()) {
        return Err(bad(
            "the commit signature does not verify with the account's keys".into(),
        ));
    }
    let mut mst = Mst::load(&store, commit.data).map_err(|e| bad(e.to_string()))?;
    let entries = mst.entries(&store).map_err(|e| bad(e.to_string()))?;
    // Every node of the tree, re-encoded from what was read (which equals the stored bytes).
    let all: std::collections::BTreeSet<Cid> = store.iter().map(|(c, _)| *c).collect();
    let mut blocks: Vec<(Cid, Vec<u8>)> = mst.loaded_blocks(&all);
    blocks.push((root, commit_bytes));
    let mut by_cid: HashMap<Cid, Vec<u8>> = HashMap::new();
    let mut records = Vec::with_capacity(entries.len());
    for (key, cid) in entries {
        let bytes = match by_cid.remove(&cid) {
            Some(b) => b,
            None => store
                .get(&cid)
                .ok_or_else(|| bad(format!("record block {cid} for {key} is missing")))?
                .to_vec(),
        };
        atproto::Value::from_cbor(&bytes)
            .map_err(|e| bad(format!("record {key} is not valid DAG-CBOR: {e}")))?;
        let (collection, rkey) = key
            .split_once('/')
            .ok_or_else(|| bad(format!("invalid key {key}")))?;
        records.push((collection.to_string(), rkey.to_string(), cid, bytes));
    }
    Ok(VerifiedRepo {
        commit_cid: root,
        commit,
        blocks,
        records,
    })
}

impl Service {
    /// Replaces `did`'s repository with the verified contents of `car`.
    pub async fn import_repo(&self, did: Did, car: bytes::Bytes) -> Result<(), ServiceError> {
        if car.len() > MAX_IMPORT_BYTES {
            return Err(ServiceError::invalid(format!(
                "Repository is too large (at most {MAX_IMPORT_BYTES} bytes)"
            )));
        }
        // The DID document's current key (the old PDS's during a migration), if resolvable.
        let doc_key = self
            .did_document(&did, true)
            .await
            .ok()
            .and_then(|doc| crate::service::migration::atproto_key(&doc));
        let slot = self.repos.slot(&did);
        let mut guard = slot.lock_owned().await;
        let service = self.clone();
        tokio::task::spawn_blocking(move || {
            let data_dir = &service.config.data_directory;
            let key = ActorStore::signing_key(data_dir, &did)?;
            let mut keys = vec![key.public_key()];
            keys.extend(doc_key);
            let mut verified = verify_repo_car(&car, &did, &keys)?;
            // Commits still waiting for the actor store go in first: the checks below read it.
            if let Some(state) = guard.as_mut()
                && let Err(e) = state.flush(&service, &did)
            {
                *guard = None;
                return Err(e);
            }
            let mut store = ActorStore::open(data_dir, &did, Durability::Normal)?;
            // Re-importing the same repository (a retried migration) is fine; going back to
            // an older revision is not.
            if let Some((_, rev)) = store.root()?
                && verified.commit.rev < rev
            {
                return Err(ServiceError::invalid(format!(
                    "The imported commit (rev {}) is older than the current one ({rev})",
                    verified.commit.rev
                )));
            }
            // Re-sign the imported data with the key held here, at a fresh revision.
            let mut rev = atproto::tid::next_tid();
            if rev <= verified.commit.rev {
                rev = atproto::syntax::Tid::from_u64(verified.commit.rev.as_u64() + 1);
            }
            let commit =
                atproto::commit::UnsignedCommit::new(did.clone(), verified.commit.data, rev)
                    .sign(&key);
            let (commit_cid, commit_bytes) = commit.to_block();
            verified.blocks.pop();
            verified.blocks.push((commit_cid, commit_bytes));
            verified.commit_cid = commit_cid;
            verified.commit = commit;
            store.replace_all(
                verified.commit_cid,
                &verified.commit.rev,
                &verified.blocks,
                &verified.records,
            )?;
            service.sequence(vec![crate::service::events::sync_event(
                &did,
                verified.commit_cid,
                &verified.blocks.last().expect("the commit block is last").1,
                &verified.commit.rev,
            )])?;
            // The cached tree is stale now.
            *guard = Some(RepoState::open(&service, &did)?);
            service.readers.evict(&did);
            tracing::info!(did = %did, records = verified.records.len(), "repository imported");
            Ok(())
        })
        .await
        .map_err(ServiceError::internal)?
    }
}
