//! Record reads: `getRecord`, `listRecords`, `describeRepo`. Readers use their own actor
//! store connections (WAL readers never wait for the writer).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use atproto::Cid;
use atproto::cbor::Value;
use atproto::syntax::{Did, Nsid, RecordKey};

use crate::service::account::account_by_did;
use crate::service::{Service, ServiceError};
use crate::store::Durability;
use crate::store::actor::ActorStore;

/// How many accounts keep an open read connection.
const MAX_READERS: usize = 256;

/// Open read connections, one per recently read account.
#[derive(Default)]
pub struct ReaderCache {
    stores: Mutex<HashMap<Did, Arc<Mutex<ActorStore>>>>,
}

impl ReaderCache {
    fn get(
        &self,
        data_dir: &std::path::Path,
        did: &Did,
    ) -> Result<Arc<Mutex<ActorStore>>, ServiceError> {
        {
            let stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(s) = stores.get(did) {
                return Ok(s.clone());
            }
        }
        let store = Arc::new(Mutex::new(ActorStore::open(
            data_dir,
            did,
            Durability::Normal,
        )?));
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        if stores.len() >= MAX_READERS {
            // Drop an arbitrary entry; connections in use stay alive through their Arc.
            if let Some(k) = stores.keys().next().cloned() {
                stores.remove(&k);
            }
        }
        Ok(stores.entry(did.clone()).or_insert(store).clone())
    }

    pub fn evict(&self, did: &Did) {
        self.stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(did);
    }
}

/// A record as `getRecord` answers it.
#[derive(Debug, Clone)]
pub struct RecordOut {
    pub uri: String,
    pub cid: Cid,
    pub value: Value,
}

/// What `describeRepo` answers.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoDescription {
    pub handle: String,
    pub did: String,
    pub did_doc: serde_json::Value,
    pub collections: Vec<String>,
    pub handle_is_correct: bool,
}

impl Service {
    /// Resolves a repo parameter (DID or handle) to a hosted account's DID.
    pub async fn resolve_repo(&self, repo: &str) -> Result<Did, ServiceError> {
        let repo = repo.to_string();
        self.blocking(move |s| {
            let account =
                s.db.read(|c| super::super::account::account_by_identifier(c, &repo))?;
            match account {
                Some(a) if !repo.contains('@') => Ok(a.did),
                _ => Err(ServiceError::named(
                    "RepoNotFound",
                    format!("Could not find repo: {repo}"),
                )),
            }
        })
        .await
    }

    fn with_reader<T>(
        &self,
        did: &Did,
        f: impl FnOnce(&ActorStore) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.ensure_store_current(did)?;
        let store = self.readers.get(&self.config.data_directory, did)?;
        let guard = store.lock().unwrap_or_else(|e| e.into_inner());
        f(&guard)
    }

    /// `com.atproto.repo.getRecord`.
    pub async fn get_record(
        &self,
        repo: &str,
        collection: Nsid,
        rkey: RecordKey,
        cid: Option<Cid>,
    ) -> Result<RecordOut, ServiceError> {
        let did = self.resolve_repo(repo).await?;
        let service = self.clone();
        self.blocking(move |_| {
            let found = service.with_reader(&did, |s| {
                Ok(s.get_record(collection.as_str(), rkey.as_str())?)
            })?;
            let not_found = || {
                ServiceError::named(
                    "RecordNotFound",
                    format!("Could not locate record: at://{did}/{collection}/{rkey}"),
                )
            };
            let (found_cid, bytes) = found.ok_or_else(not_found)?;
            if cid.is_some_and(|c| c != found_cid) {
                return Err(not_found());
            }
            let value = Value::from_cbor(&bytes).map_err(ServiceError::internal)?;
            Ok(RecordOut {
                uri: format!("at://{did}/{collection}/{rkey}"),
                cid: found_cid,
                value,
            })
        })
        .await
    }

    /// `com.atproto.repo.listRecords`: newest first unless `reverse`.
    pub async fn list_records(
        &self,
        repo: &str,
        collection: Nsid,
        limit: usize,
        cursor: Option<String>,
        reverse: bool,
    ) -> Result<(Vec<RecordOut>, Option<String>), ServiceError> {
        let did = self.resolve_repo(repo).await?;
        let limit = limit.clamp(1, 100);
        let service = self.clone();
        self.blocking(move |_| {
            let rows = service.with_reader(&did, |s| {
                Ok(s.list_records(collection.as_str(), cursor.as_deref(), reverse, limit)?)
            })?;
            let next = if rows.len() == limit {
                rows.last().map(|(rkey, _, _)| rkey.clone())
            } else {
                None
            };
            let mut out = Vec::with_capacity(rows.len());
            for (rkey, cid, bytes) in rows {
                out.push(RecordOut {
                    uri: format!("at://{did}/{collection}/{rkey}"),
                    cid,
                    value: Value::from_cbor(&bytes).map_err(ServiceError::internal)?,
                });
            }
            Ok((out, next))
        })
        .await
    }

    /// `com.atproto.repo.describeRepo`.
    pub async fn describe_repo(&self, repo: &str) -> Result<RepoDescription, ServiceError> {
        let did = self.resolve_repo(repo).await?;
        let doc = match self.plc.document_data(&did).await? {
            Some(data) => atproto::plc::to_did_document(&data),
            None => serde_json::Value::Null,
        };
        let service = self.clone();
        self.blocking(move |s| {
            let account =
                s.db.read(|c| account_by_did(c, did.as_str()))?
                    .ok_or_else(|| ServiceError::named("RepoNotFound", "Could not find repo"))?;
            let collections = service.with_reader(&did, |st| Ok(st.collections()?))?;
            let handle = account.handle_or_invalid();
            let handle_is_correct = doc["alsoKnownAs"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == &format!("at://{handle}")));
            Ok(RepoDescription {
                handle,
                did: did.to_string(),
                did_doc: doc,
                collections,
                handle_is_correct,
            })
        })
        .await
    }
}
