//! Sync reads: whole repositories as streamed CAR files, commits, record proofs, blocks,
//! and repository listings (`com.atproto.sync.*`).

use atproto::Cid;
use atproto::blockstore::BlockStore;
use atproto::car::CarWriter;
use atproto::commit::Commit;
use atproto::mst::Mst;
use atproto::syntax::{Did, Tid};
use bytes::Bytes;
use rusqlite::params;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::service::account::{Account, account_by_did};
use crate::service::{Service, ServiceError};
use crate::store::Durability;
use crate::store::actor::ActorStore;

/// Size of the chunks a streamed CAR is sent in: large enough that handing chunks from the
/// blocking thread to the connection costs little (each hand-off can wake a thread).
const CHUNK: usize = 256 * 1024;

/// Chunks a streamed CAR may have waiting for the connection (memory per stream is bounded by
/// about `CHUNK * (CHANNEL_CHUNKS + 2)`).
const CHANNEL_CHUNKS: usize = 2;

/// A repository as `listRepos` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoListing {
    pub did: String,
    pub head: String,
    pub rev: String,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What `getRepoStatus` answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoStatus {
    pub did: String,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
}

/// Collects CAR output into chunks and hands them to an async receiver.
struct ChunkSink {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl std::io::Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
            self.tx.blocking_send(Ok(chunk)).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away")
            })?;
        }
        Ok(())
    }
}

impl crate::service::ServiceInner {
    /// The hosted account behind a `did` parameter, refusing repositories that
    /// `com.atproto.sync.*` does not serve: unknown, taken down or deactivated.
    pub(crate) fn served_account(&self, did: &str) -> Result<Account, ServiceError> {
        let account = self.db.read(|c| account_by_did(c, did))?.ok_or_else(|| {
            ServiceError::named(
                "RepoNotFound",
                format!("Could not find repo for DID: {did}"),
            )
        })?;
        if account.taken_down {
            return Err(ServiceError::named(
                "RepoTakendown",
                format!("Repo has been takendown: {did}"),
            ));
        }
        if account.deactivated {
            return Err(ServiceError::named(
                "RepoDeactivated",
                format!("Repo has been deactivated: {did}"),
            ));
        }
        Ok(account)
    }
}

impl Service {
    /// `sync.getRepo`: the repository (or what changed since `since`) as a CAR file, streamed
    /// in chunks; memory stays bounded whatever the repository's size.
    pub async fn get_repo_stream(
        &self,
        did: Did,
        since: Option<Tid>,
    ) -> Result<mpsc::Receiver<Result<Bytes, std::io::Error>>, ServiceError> {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        let service = self.clone();
        // Fail before streaming starts for the errors a client should see as XRPC errors.
        let (store, commit) = self
            .blocking(move |_| {
                let _ = service.served_account(did.as_str())?;
                let store = service.reader(&did)?;
                let (commit, _) = store
                    .root()?
                    .ok_or_else(|| ServiceError::named("RepoNotFound", "Repo has no commit"))?;
                Ok((store, commit))
            })
            .await?;
        tokio::task::spawn_blocking(move || {
            let result = (|| -> Result<(), std::io::Error> {
                let sink = ChunkSink {
                    tx: tx.clone(),
                    buf: Vec::with_capacity(CHUNK),
                };
                let mut car = CarWriter::new(sink, &[commit])?;
                store
                    .for_each_block(since.as_ref().map(Tid::as_str), &mut |cid, bytes| {
                        car.write_block(&cid, bytes)
                            .map_err(crate::store::StoreError::Io)
                    })
                    .map_err(std::io::Error::other)?;
                car.finish()?.flush_final()
            })();
            if let Err(e) = result
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                let _ = tx.blocking_send(Err(e));
            }
        });
        Ok(rx)
    }

    /// `sync.getLatestCommit`.
    pub async fn latest_commit(&self, did: Did) -> Result<(Cid, Tid), ServiceError> {
        let service = self.clone();
        self.blocking(move |_| {
            service.served_account(did.as_str())?;
            let store = service.reader(&did)?;
            store
                .root()?
                .ok_or_else(|| ServiceError::named("RepoNotFound", "Repo has no commit"))
        })
        .await
    }

    /// `sync.getRecord`: a CAR with the commit, the MST nodes proving the record's presence
    /// (or absence) and the record itself.
    pub async fn record_proof(
        &self,
        did: Did,
        collection: String,
        rkey: String,
    ) -> Result<Vec<u8>, ServiceError> {
        let service = self.clone();
        self.blocking(move |_| {
            service.served_account(did.as_str())?;
            let store = service.reader(&did)?;
            let store: &ActorStore = &store;
            let (commit_cid, _) = store
                .root()?
                .ok_or_else(|| ServiceError::named("RepoNotFound", "Repo has no commit"))?;
            let commit_bytes = store
                .get_block(&commit_cid)
                .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?
                .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("missing commit")))?;
            let commit = Commit::decode(&commit_bytes).map_err(ServiceError::internal)?;
            let mut mst = Mst::load(&store, commit.data).map_err(ServiceError::internal)?;
            let key = format!("{collection}/{rkey}");
            let proof = mst
                .covering_proof(&store, &key)
                .map_err(ServiceError::internal)?;
            let mut blocks = vec![(commit_cid, commit_bytes)];
            blocks.extend(mst.loaded_blocks(&proof));
            if let Some((cid, bytes)) = store.get_record(&collection, &rkey)? {
                blocks.push((cid, bytes));
            }
            Ok(atproto::car::write_car(
                &[commit_cid],
                blocks.iter().map(|(c, b)| (c, b.as_slice())),
            ))
        })
        .await
    }

    /// `sync.getBlocks`: the requested blocks as a CAR with no root.
    pub async fn get_blocks(&self, did: Did, cids: Vec<Cid>) -> Result<Vec<u8>, ServiceError> {
        let service = self.clone();
        self.blocking(move |_| {
            service.served_account(did.as_str())?;
            let store = service.reader(&did)?;
            let mut blocks = Vec::with_capacity(cids.len());
            let mut missing = Vec::new();
            for cid in cids {
                match store
                    .get_block(&cid)
                    .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?
                {
                    Some(b) => blocks.push((cid, b)),
                    None => missing.push(cid.to_string()),
                }
            }
            if !missing.is_empty() {
                return Err(ServiceError::named(
                    "BlockNotFound",
                    format!("Could not find blocks: {}", missing.join(", ")),
                ));
            }
            Ok(atproto::car::write_car(
                &[],
                blocks.iter().map(|(c, b)| (c, b.as_slice())),
            ))
        })
        .await
    }

    /// `sync.listRepos`: hosted repositories in DID order, after `cursor`.
    pub async fn list_repos(
        &self,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<(Vec<RepoListing>, Option<String>), ServiceError> {
        let limit = limit.clamp(1, 1000);
        self.blocking(move |s| {
            let accounts: Vec<Account> = s.db.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT did FROM account WHERE did > ?1 ORDER BY did LIMIT ?2",
                )?;
                let dids = stmt
                    .query_map(params![cursor.unwrap_or_default(), limit as i64], |r| {
                        r.get::<_, String>(0)
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut out = Vec::with_capacity(dids.len());
                for d in dids {
                    if let Some(a) = account_by_did(c, &d)? {
                        out.push(a);
                    }
                }
                Ok::<_, ServiceError>(out)
            })?;
            let mut repos = Vec::with_capacity(accounts.len());
            for a in &accounts {
                s.ensure_store_current(&a.did)?;
                let store = ActorStore::open(&s.config.data_directory, &a.did, Durability::Normal)?;
                if let Some((head, rev)) = store.root()? {
                    repos.push(RepoListing {
                        did: a.did.to_string(),
                        head: head.to_string(),
                        rev: rev.to_string(),
                        active: a.active(),
                        status: a.status().map(str::to_string),
                    });
                }
            }
            let next = if accounts.len() == limit {
                accounts.last().map(|a| a.did.to_string())
            } else {
                None
            };
            Ok((repos, next))
        })
        .await
    }

    /// `sync.getRepoStatus`.
    pub async fn repo_status(&self, did: Did) -> Result<RepoStatus, ServiceError> {
        self.blocking(move |s| {
            let account =
                s.db.read(|c| account_by_did(c, did.as_str()))?
                    .ok_or_else(|| {
                        ServiceError::named(
                            "RepoNotFound",
                            format!("Could not find repo for DID: {did}"),
                        )
                    })?;
            let rev = if account.active() {
                s.ensure_store_current(&did)?;
                let store = ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
                store.root()?.map(|(_, rev)| rev.to_string())
            } else {
                None
            };
            Ok(RepoStatus {
                did: did.to_string(),
                active: account.active(),
                status: account.status().map(str::to_string),
                rev,
            })
        })
        .await
    }
}

trait FlushFinal {
    fn flush_final(self) -> Result<(), std::io::Error>;
}

impl FlushFinal for ChunkSink {
    fn flush_final(mut self) -> Result<(), std::io::Error> {
        std::io::Write::flush(&mut self)
    }
}
