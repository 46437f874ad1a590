//! Record reads: `getRecord`, `listRecords`, `describeRepo`. Readers use their own actor
//! store connections (WAL readers never wait for the writer).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use atproto::Cid;
use atproto::cbor::Value;
use atproto::json::{
    CborJsonScratch, write_cid, write_json_from_cbor, write_json_string, write_json_string_contents,
};
use atproto::syntax::{Did, Nsid, RecordKey};
use rusqlite::OptionalExtension;

use crate::service::account::account_by_did;
use crate::service::{Service, ServiceError};
use crate::store::Durability;
use crate::store::actor::ActorStore;

/// How many accounts keep open read connections.
const MAX_READERS: usize = 256;

/// Idle read connections kept per account: enough for every runtime thread to read one
/// account at once. More readers of one account open extra connections, closed after use.
fn idle_per_account() -> usize {
    static IDLE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *IDLE.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 4)
    })
}

/// One account's idle read connections.
#[derive(Default)]
struct ReaderPool {
    idle: Mutex<Vec<ActorStore>>,
}

/// Open read connections of recently read accounts, a few per account so that readers of one
/// account do not wait for each other.
#[derive(Default)]
pub struct ReaderCache {
    stores: Mutex<HashMap<Did, Arc<ReaderPool>>>,
}

/// A read connection on loan; it goes back to its account's idle connections when dropped.
pub(crate) struct Reader {
    pool: Arc<ReaderPool>,
    store: Option<ActorStore>,
}

impl std::ops::Deref for Reader {
    type Target = ActorStore;
    fn deref(&self) -> &ActorStore {
        self.store
            .as_ref()
            .expect("a reader holds its store until dropped")
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < idle_per_account() {
                idle.push(store);
                return;
            }
            // Closed outside the lock.
            drop(idle);
            drop(store);
        }
    }
}

impl ReaderCache {
    fn pool(&self, did: &Did) -> Arc<ReaderPool> {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = stores.get(did) {
            return p.clone();
        }
        if stores.len() >= MAX_READERS {
            // Drop an arbitrary entry; connections in use stay alive through their Arc.
            if let Some(k) = stores.keys().next().cloned() {
                stores.remove(&k);
            }
        }
        stores.entry(did.clone()).or_default().clone()
    }

    /// An idle connection to `did`'s store, if one is open: never blocks on I/O.
    fn try_take(&self, did: &Did) -> Option<Reader> {
        let pool = {
            let stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
            stores.get(did)?.clone()
        };
        let store = pool.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
        Some(Reader {
            pool,
            store: Some(store),
        })
    }

    /// A connection to `did`'s store, opened if none is idle (blocking).
    fn take(&self, data_dir: &std::path::Path, did: &Did) -> Result<Reader, ServiceError> {
        let pool = self.pool(did);
        let idle = pool.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let store = match idle {
            Some(s) => s,
            None => ActorStore::open(data_dir, did, Durability::Normal)?,
        };
        Ok(Reader {
            pool,
            store: Some(store),
        })
    }

    pub fn evict(&self, did: &Did) {
        self.stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(did);
    }
}

/// The DID of the hosted account a repo parameter (DID or handle) names, if any.
fn lookup_repo(conn: &rusqlite::Connection, repo: &str) -> Result<Option<Did>, ServiceError> {
    let found: Option<String> = if repo.starts_with("did:") {
        conn.prepare_cached("SELECT did FROM account WHERE did = ?1")?
            .query_row([repo], |r| r.get(0))
            .optional()?
    } else {
        conn.prepare_cached("SELECT did FROM account WHERE handle = ?1")?
            .query_row([repo.to_ascii_lowercase()], |r| r.get(0))
            .optional()?
    };
    found
        .map(|d| Did::new(&d).map_err(ServiceError::internal))
        .transpose()
}

fn repo_not_found(repo: &str) -> ServiceError {
    ServiceError::named("RepoNotFound", format!("Could not find repo: {repo}"))
}

fn record_not_found(did: &Did, collection: &Nsid, rkey: &RecordKey) -> ServiceError {
    ServiceError::named(
        "RecordNotFound",
        format!("Could not locate record: at://{did}/{collection}/{rkey}"),
    )
}

/// The `getRecord` answer as JSON text: `{"uri":..,"cid":..,"value":..}`.
fn record_json(
    store: &ActorStore,
    did: &Did,
    collection: &Nsid,
    rkey: &RecordKey,
    cid: Option<Cid>,
) -> Result<String, ServiceError> {
    let found = store.with_record(collection.as_str(), rkey.as_str(), |found_cid, bytes| {
        if cid.is_some_and(|c| c != found_cid) {
            return Ok::<_, ServiceError>(None);
        }
        let mut body = String::with_capacity(160 + bytes.len() * 2);
        body.push_str("{\"uri\":");
        write_uri(did, collection.as_str(), rkey.as_str(), &mut body);
        body.push_str(",\"cid\":\"");
        write_cid(&found_cid, &mut body);
        body.push_str("\",\"value\":");
        write_json_from_cbor(bytes, &mut body, &mut CborJsonScratch::default())
            .map_err(ServiceError::internal)?;
        body.push('}');
        Ok(Some(body))
    })?;
    found
        .transpose()?
        .flatten()
        .ok_or_else(|| record_not_found(did, collection, rkey))
}

/// One `listRecords` page as JSON text: `{"cursor":..,"records":[..]}`, the cursor (the last
/// rkey) only on a full page.
fn records_json(
    store: &ActorStore,
    did: &Did,
    collection: &Nsid,
    limit: usize,
    cursor: Option<&str>,
    reverse: bool,
) -> Result<String, ServiceError> {
    let mut body = String::with_capacity(64 * 1024);
    body.push_str("{\"records\":[");
    let mut scratch = CborJsonScratch::default();
    let mut last_rkey = String::new();
    let mut first = true;
    let n = store.for_each_record(
        collection.as_str(),
        cursor,
        reverse,
        limit,
        |rkey, cid, bytes| -> Result<(), ServiceError> {
            if !first {
                body.push(',');
            }
            first = false;
            last_rkey.clear();
            last_rkey.push_str(rkey);
            body.push_str("{\"uri\":");
            write_uri(did, collection.as_str(), rkey, &mut body);
            body.push_str(",\"cid\":\"");
            write_cid(&cid, &mut body);
            body.push_str("\",\"value\":");
            write_json_from_cbor(bytes, &mut body, &mut scratch).map_err(ServiceError::internal)?;
            body.push('}');
            Ok(())
        },
    )?;
    body.push_str("]}");
    if n == limit {
        let mut head = String::with_capacity(16 + last_rkey.len());
        head.push_str("\"cursor\":");
        write_json_string(&last_rkey, &mut head);
        head.push(',');
        body.insert_str(1, &head);
    }
    Ok(body)
}

/// `"at://did/collection/rkey"` as a JSON string.
fn write_uri(did: &Did, collection: &str, rkey: &str, out: &mut String) {
    out.push_str("\"at://");
    // DIDs, NSIDs and record keys never need escaping, but the rkey comes from the database.
    write_json_string_contents(did.as_str(), out);
    out.push('/');
    write_json_string_contents(collection, out);
    out.push('/');
    write_json_string_contents(rkey, out);
    out.push('"');
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
        self.resolve_repo_now(repo)
    }

    /// [`Service::resolve_repo`] on the calling thread: one indexed read of the service
    /// database through a cached statement, short enough not to need a blocking thread.
    fn resolve_repo_now(&self, repo: &str) -> Result<Did, ServiceError> {
        // Only DIDs and handles name a repo (an email never does).
        if repo.contains('@') {
            return Err(repo_not_found(repo));
        }
        self.db
            .read(|c| lookup_repo(c, repo))?
            .ok_or_else(|| repo_not_found(repo))
    }

    /// A read connection to `did`'s store when one is idle and the store is known to be
    /// current, so that the read can run on the calling (async) thread: then
    /// [`ServiceInner::ensure_store_current`] has nothing to do and nothing blocks but SQLite
    /// reading pages. Otherwise `None`: use [`Service::reader`] on a blocking thread.
    fn fast_reader(&self, did: &Did) -> Option<Reader> {
        // ensure_store_current's own fast path.
        if !self.repos.is_current(did) {
            return None;
        }
        self.readers.try_take(did)
    }

    /// A read connection to `did`'s store, once the store holds every commit (blocking).
    pub(crate) fn reader(&self, did: &Did) -> Result<Reader, ServiceError> {
        self.ensure_store_current(did)?;
        self.readers.take(&self.config.data_directory, did)
    }

    fn with_reader<T>(
        &self,
        did: &Did,
        f: impl FnOnce(&ActorStore) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let store = self.reader(did)?;
        f(&store)
    }

    /// `com.atproto.repo.getRecord`, answered as JSON text.
    pub async fn get_record_json(
        &self,
        repo: &str,
        collection: Nsid,
        rkey: RecordKey,
        cid: Option<Cid>,
    ) -> Result<String, ServiceError> {
        let did = self.resolve_repo_now(repo)?;
        // A point read of a current store: served on this thread, no hand-off.
        if let Some(store) = self.fast_reader(&did) {
            return record_json(&store, &did, &collection, &rkey, cid);
        }
        let service = self.clone();
        self.blocking(move |_| {
            let store = service.reader(&did)?;
            record_json(&store, &did, &collection, &rkey, cid)
        })
        .await
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
            let not_found = || record_not_found(&did, &collection, &rkey);
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

    /// `com.atproto.repo.listRecords`, answered as JSON text: newest first unless `reverse`.
    pub async fn list_records_json(
        &self,
        repo: &str,
        collection: Nsid,
        limit: usize,
        cursor: Option<String>,
        reverse: bool,
    ) -> Result<String, ServiceError> {
        let did = self.resolve_repo_now(repo)?;
        let limit = limit.clamp(1, 100);
        // A page is one index range scan of a current store: served on this thread.
        if let Some(store) = self.fast_reader(&did) {
            return records_json(&store, &did, &collection, limit, cursor.as_deref(), reverse);
        }
        let service = self.clone();
        self.blocking(move |_| {
            let store = service.reader(&did)?;
            records_json(&store, &did, &collection, limit, cursor.as_deref(), reverse)
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

#[cfg(test)]
mod tests {
    use atproto::syntax::{Did, Nsid, RecordKey};
    use serde_json::json;

    use crate::service::account::CreateAccountInput;
    use crate::service::repo::{Validate, Write};
    use crate::service::test_util::TestPds;

    /// The answers as they were built before the direct writers: through `Value`.
    fn expected_record(out: &super::RecordOut) -> String {
        let mut body = String::new();
        body.push_str("{\"uri\":");
        body.push_str(&serde_json::to_string(&out.uri).unwrap());
        body.push_str(",\"cid\":\"");
        body.push_str(&out.cid.to_string());
        body.push_str("\",\"value\":");
        atproto::json::write_json(&out.value, &mut body);
        body.push('}');
        body
    }

    #[tokio::test]
    async fn json_answers_match_the_value_path() {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let s = &pds.service;
        let t = s
            .create_account(CreateAccountInput {
                email: Some("rita@example.com".into()),
                handle: "rita.test".into(),
                password: Some("pw".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let did = Did::new(&t.did).unwrap();
        let posts = Nsid::new("app.bsky.feed.post").unwrap();
        let things = Nsid::new("com.example.thing").unwrap();
        let mut writes = Vec::new();
        for (i, text) in ["plain", "quote \" \\ \n \u{1} é 😀", "", "three"]
            .iter()
            .enumerate()
        {
            writes.push(Write::Create {
                collection: posts.clone(),
                rkey: Some(RecordKey::new(&format!("3jzfcijpj2z{}a", i + 2)).unwrap()),
                value: atproto::json::record_from_json(&json!({
                    "$type": "app.bsky.feed.post",
                    "text": text,
                    "createdAt": "2026-11-23T05:00:00.000Z",
                    "langs": ["en"],
                }))
                .unwrap(),
            });
        }
        writes.push(Write::Create {
            collection: things.clone(),
            rkey: Some(RecordKey::new("self").unwrap()),
            value: atproto::json::record_from_json(&json!({
                "$type": "com.example.thing",
                "zz": [1, -2, true, null, {"b": 1, "a": {"$bytes": "AQID"}}],
                "aa": {"$link": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"},
                "B": "", "é": 0
            }))
            .unwrap(),
        });
        s.apply_writes(did.clone(), writes, Validate::Skip, None)
            .await
            .unwrap();

        // Twice each: the first read finds the store not known current (a blocking thread),
        // the second takes the fast path on this thread.
        for _ in 0..2 {
            for (collection, rkey) in [
                (&posts, "3jzfcijpj2z2a"),
                (&posts, "3jzfcijpj2z3a"),
                (&things, "self"),
            ] {
                let rkey = RecordKey::new(rkey).unwrap();
                let out = s
                    .get_record("rita.test", collection.clone(), rkey.clone(), None)
                    .await
                    .unwrap();
                let got = s
                    .get_record_json(did.as_str(), collection.clone(), rkey.clone(), None)
                    .await
                    .unwrap();
                assert_eq!(got, expected_record(&out));
                let same = s
                    .get_record_json("RITA.test", collection.clone(), rkey.clone(), Some(out.cid))
                    .await
                    .unwrap();
                assert_eq!(same, got);
                let other_cid = atproto::Cid::for_dag_cbor(b"\xa0");
                let err = s
                    .get_record_json("rita.test", collection.clone(), rkey, Some(other_cid))
                    .await
                    .unwrap_err();
                assert!(err.to_string().contains("Could not locate record"), "{err}");
            }
            for repo in ["nobody.test", "did:plc:nobody", "rita@example.com"] {
                let err = s
                    .get_record_json(repo, posts.clone(), RecordKey::new("x").unwrap(), None)
                    .await
                    .unwrap_err();
                assert!(err.to_string().contains("Could not find repo"), "{err}");
            }
            for reverse in [false, true] {
                for limit in 1..=5 {
                    for cursor in [None, Some("3jzfcijpj2z3a".to_string())] {
                        let (records, next) = s
                            .list_records(
                                did.as_str(),
                                posts.clone(),
                                limit,
                                cursor.clone(),
                                reverse,
                            )
                            .await
                            .unwrap();
                        let mut expected = String::from("{");
                        if let Some(c) = &next {
                            expected.push_str(&format!(
                                "\"cursor\":{},",
                                serde_json::to_string(c).unwrap()
                            ));
                        }
                        expected.push_str("\"records\":[");
                        let parts: Vec<String> = records.iter().map(expected_record).collect();
                        expected.push_str(&parts.join(","));
                        expected.push_str("]}");
                        let got = s
                            .list_records_json(did.as_str(), posts.clone(), limit, cursor, reverse)
                            .await
                            .unwrap();
                        assert_eq!(got, expected, "limit {limit} reverse {reverse}");
                    }
                }
            }
            let empty = s
                .list_records_json(
                    "rita.test",
                    Nsid::new("com.example.none").unwrap(),
                    10,
                    None,
                    false,
                )
                .await
                .unwrap();
            assert_eq!(empty, "{\"records\":[]}");
        }
    }
}
