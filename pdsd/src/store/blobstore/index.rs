//! The actor store's blob tables (`migrations/actor/0003_blobs.sql`): which blobs an account
//! has (`blob`) and which records reference them (`record_blob`), and finding blob references
//! in records.

use std::collections::BTreeSet;

use atproto::Cid;
use atproto::cbor::Value;
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::StoreError;
use crate::store::actor::{ActorStore, CommitWrite};

/// A blob reference in a record: `{$type: "blob", ref: <link>, mimeType, size}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub cid: Cid,
    pub mime_type: String,
    pub size: i64,
}

/// A blob reference as records hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundRef {
    Typed(BlobRef),
    /// The deprecated `{cid: "<cid>", mimeType}` form (exactly those two keys), with its CID
    /// string. Old records have it; new ones may not.
    Legacy(String),
}

impl FoundRef {
    /// The referenced blob's CID (`None` for a legacy reference whose CID does not parse).
    pub fn cid(&self) -> Option<Cid> {
        match self {
            FoundRef::Typed(b) => Some(b.cid),
            FoundRef::Legacy(s) => s.parse().ok(),
        }
    }
}

/// Every blob reference in a record, in document order (nested objects and arrays included;
/// the inside of a blob reference is not searched).
pub fn find_blob_refs(record: &Value) -> Vec<FoundRef> {
    let mut found = Vec::new();
    // An explicit stack: records nest deeply at worst, and recursion would grow the thread's.
    let mut stack = vec![record];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Map(m) => {
                if m.get("$type").and_then(Value::as_str) == Some("blob")
                    && let Some(Value::Link(cid)) = m.get("ref")
                {
                    found.push(FoundRef::Typed(BlobRef {
                        cid: *cid,
                        mime_type: m
                            .get("mimeType")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        size: m.get("size").and_then(Value::as_integer).unwrap_or(-1),
                    }));
                } else if m.len() == 2
                    && let (Some(Value::String(cid)), Some(Value::String(mime))) =
                        (m.get("cid"), m.get("mimeType"))
                    && !mime.is_empty()
                    && cid.parse::<Cid>().is_ok()
                {
                    found.push(FoundRef::Legacy(cid.clone()));
                } else {
                    stack.extend(m.values().rev());
                }
            }
            _ => {}
        }
    }
    found
}

/// The CIDs of the blobs a record (DAG-CBOR) references. A record that does not decode
/// references nothing (records are checked before they are stored).
fn record_blob_cids(bytes: &[u8]) -> BTreeSet<Cid> {
    match Value::from_cbor(bytes) {
        Ok(v) => find_blob_refs(&v)
            .iter()
            .filter_map(FoundRef::cid)
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// Inside a commit's transaction: replaces the `record_blob` rows of every record the commit
/// writes or deletes, marks referenced blobs permanent, and deletes the rows of blobs no record
/// references any more, returning their CIDs (the caller deletes their bytes).
///
/// Marking permanent is only a row change: whoever commits must have moved the bytes of
/// referenced temporary blobs to their permanent place first (`service::blob`).
pub(crate) fn index_commit_blobs(
    tx: &Connection,
    commit: &CommitWrite<'_>,
) -> Result<Vec<Cid>, StoreError> {
    let mut before: BTreeSet<Vec<u8>> = BTreeSet::new();
    let touched = commit
        .records_put
        .iter()
        .map(|r| (r.collection, r.rkey))
        .chain(commit.records_deleted.iter().copied());
    {
        let mut select = tx.prepare_cached(
            "SELECT blob_cid FROM record_blob WHERE collection = ?1 AND rkey = ?2",
        )?;
        let mut delete =
            tx.prepare_cached("DELETE FROM record_blob WHERE collection = ?1 AND rkey = ?2")?;
        for (collection, rkey) in touched {
            let rows = select.query_map(params![collection, rkey], |r| r.get::<_, Vec<u8>>(0))?;
            for cid in rows {
                before.insert(cid?);
            }
            delete.execute(params![collection, rkey])?;
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO record_blob (blob_cid, collection, rkey) VALUES (?1, ?2, ?3)",
        )?;
        let mut permanent = tx.prepare_cached(
            "UPDATE blob SET temp_key = NULL WHERE cid = ?1 AND temp_key IS NOT NULL",
        )?;
        for r in commit.records_put {
            for cid in record_blob_cids(r.bytes) {
                insert.execute(params![cid.as_bytes(), r.collection, r.rkey])?;
                permanent.execute(params![cid.as_bytes()])?;
            }
        }
    }
    let mut dereferenced = Vec::new();
    let mut still_used =
        tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = ?1)")?;
    let mut delete = tx.prepare_cached("DELETE FROM blob WHERE cid = ?1")?;
    for cid in before {
        if still_used.query_row([&cid], |r| r.get::<_, bool>(0))? {
            continue;
        }
        if delete.execute([&cid])? > 0 {
            dereferenced.push(parse_cid(&cid)?);
        }
    }
    Ok(dereferenced)
}

/// Inside an import's transaction: rebuilds `record_blob` for a repository's new records.
/// Blobs they reference that the account lacks are then listed by `listMissingBlobs`, and
/// become permanent as they are uploaded.
pub(crate) fn reindex_record_blobs(
    tx: &Connection,
    records: &[crate::store::actor::ImportedRecord],
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM record_blob", [])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO record_blob (blob_cid, collection, rkey) VALUES (?1, ?2, ?3)",
    )?;
    for (collection, rkey, _, bytes) in records {
        for cid in record_blob_cids(bytes) {
            insert.execute(params![cid.as_bytes(), collection, rkey])?;
        }
    }
    Ok(())
}

/// A row of the `blob` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRow {
    pub cid: Cid,
    pub mime_type: String,
    pub size: i64,
    /// Set while the blob is temporary (uploaded, not referenced yet).
    pub temp_key: Option<String>,
    /// Unix milliseconds of the latest upload.
    pub created_at: i64,
    pub taken_down: bool,
}

/// What recording an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    /// The blob is temporary under the new key. `replaced` is the key of an earlier upload of
    /// the same blob, whose bytes the caller deletes.
    Temporary { replaced: Option<String> },
    /// The blob was already permanent, with this MIME type: the new bytes are not needed.
    AlreadyPermanent { mime_type: String },
    /// An operator took the blob down; it may not be uploaded again.
    TakenDown,
}

/// A blob that records reference but the account does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBlob {
    pub cid: Cid,
    pub collection: String,
    pub rkey: String,
}

fn parse_cid(bytes: &[u8]) -> Result<Cid, StoreError> {
    Cid::from_bytes(bytes).map_err(|e| {
        StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e.to_string(),
        ))
    })
}

fn cids(rows: Vec<Vec<u8>>) -> Result<Vec<Cid>, StoreError> {
    rows.iter().map(|b| parse_cid(b)).collect()
}

impl ActorStore {
    /// One blob's row.
    pub fn blob(&self, cid: &Cid) -> Result<Option<BlobRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT mime_type, size, temp_key, created_at, takedown_ref FROM blob WHERE cid = ?1",
        )?;
        Ok(stmt
            .query_row([cid.as_bytes()], |r| {
                Ok(BlobRow {
                    cid: *cid,
                    mime_type: r.get(0)?,
                    size: r.get(1)?,
                    temp_key: r.get(2)?,
                    created_at: r.get(3)?,
                    taken_down: r.get::<_, Option<String>>(4)?.is_some(),
                })
            })
            .optional()?)
    }

    /// Records an upload stored under the temporary `key`. A temporary blob takes the new key
    /// and time (its old key is returned); a permanent one is left as it is.
    pub fn track_upload(
        &self,
        cid: &Cid,
        mime_type: &str,
        size: i64,
        key: &str,
        now_ms: i64,
    ) -> Result<UploadOutcome, StoreError> {
        let tx = self.conn().unchecked_transaction()?;
        let existing = {
            let mut stmt = tx.prepare_cached(
                "SELECT mime_type, temp_key, takedown_ref FROM blob WHERE cid = ?1",
            )?;
            stmt.query_row([cid.as_bytes()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .optional()?
        };
        let outcome = match existing {
            Some((_, _, Some(_))) => UploadOutcome::TakenDown,
            Some((mime_type, None, None)) => UploadOutcome::AlreadyPermanent { mime_type },
            Some((_, Some(old), None)) => {
                tx.prepare_cached(
                    "UPDATE blob SET mime_type = ?2, size = ?3, temp_key = ?4, created_at = ?5 \
                     WHERE cid = ?1",
                )?
                .execute(params![cid.as_bytes(), mime_type, size, key, now_ms])?;
                UploadOutcome::Temporary {
                    replaced: Some(old),
                }
            }
            None => {
                tx.prepare_cached(
                    "INSERT INTO blob (cid, mime_type, size, temp_key, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![cid.as_bytes(), mime_type, size, key, now_ms])?;
                UploadOutcome::Temporary { replaced: None }
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// Whether any record references the blob.
    pub fn blob_is_referenced(&self, cid: &Cid) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = ?1)")?
            .query_row([cid.as_bytes()], |r| r.get(0))?)
    }

    /// Marks a blob permanent once its bytes are in their permanent place.
    pub fn mark_blob_permanent(&self, cid: &Cid) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE blob SET temp_key = NULL WHERE cid = ?1",
            [cid.as_bytes()],
        )?;
        Ok(())
    }

    /// Deletes the rows of temporary blobs uploaded before `cutoff_ms` that no record
    /// references, returning their CIDs and temporary keys (the caller deletes the bytes).
    pub fn expire_temp_blobs(&self, cutoff_ms: i64) -> Result<Vec<(Cid, String)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "DELETE FROM blob WHERE temp_key IS NOT NULL AND created_at < ?1 \
             AND NOT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = blob.cid) \
             RETURNING cid, temp_key",
        )?;
        let rows = stmt
            .query_map([cutoff_ms], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(cid, key)| Ok((parse_cid(&cid)?, key)))
            .collect()
    }

    /// CIDs of the blobs records reference (present or not), in CID byte order after
    /// `cursor`; with `since`, only those of records written after that revision.
    pub fn list_blobs(
        &self,
        since: Option<&str>,
        cursor: Option<&Cid>,
        limit: usize,
    ) -> Result<Vec<Cid>, StoreError> {
        let after = cursor.map(|c| c.as_bytes().to_vec()).unwrap_or_default();
        let rows = match since {
            None => {
                let mut stmt = self.conn().prepare_cached(
                    "SELECT DISTINCT blob_cid FROM record_blob WHERE blob_cid > ?1 \
                     ORDER BY blob_cid LIMIT ?2",
                )?;
                stmt.query_map(params![after, limit as i64], |r| r.get(0))?
                    .collect::<Result<Vec<Vec<u8>>, _>>()?
            }
            Some(since) => {
                let mut stmt = self.conn().prepare_cached(
                    "SELECT DISTINCT rb.blob_cid FROM record_blob rb \
                     JOIN record r ON r.collection = rb.collection AND r.rkey = rb.rkey \
                     WHERE r.rev > ?3 AND rb.blob_cid > ?1 ORDER BY rb.blob_cid LIMIT ?2",
                )?;
                stmt.query_map(params![after, limit as i64, since], |r| r.get(0))?
                    .collect::<Result<Vec<Vec<u8>>, _>>()?
            }
        };
        cids(rows)
    }

    /// Blobs records reference that the account does not have, in CID byte order after
    /// `cursor`, each with one of the records.
    pub fn list_missing_blobs(
        &self,
        cursor: Option<&Cid>,
        limit: usize,
    ) -> Result<Vec<MissingBlob>, StoreError> {
        let after = cursor.map(|c| c.as_bytes().to_vec()).unwrap_or_default();
        let mut stmt = self.conn().prepare_cached(
            // Collections hold no `/`, so the first one splits the path again.
            "SELECT blob_cid, min(collection || '/' || rkey) FROM record_blob rb \
             WHERE blob_cid > ?1 AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.cid = rb.blob_cid) \
             GROUP BY blob_cid ORDER BY blob_cid LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![after, limit as i64], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(cid, path)| {
                let (collection, rkey) = path.split_once('/').unwrap_or((&path, ""));
                Ok(MissingBlob {
                    cid: parse_cid(&cid)?,
                    collection: collection.to_string(),
                    rkey: rkey.to_string(),
                })
            })
            .collect()
    }

    /// How many distinct blobs records reference, and how many of those the account has
    /// (`checkAccountStatus`'s `expectedBlobs` and `importedBlobs`).
    pub fn blob_counts(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.conn().query_row(
            "SELECT count(DISTINCT rb.blob_cid), \
                    count(DISTINCT CASE WHEN b.cid IS NOT NULL THEN rb.blob_cid END) \
             FROM record_blob rb LEFT JOIN blob b ON b.cid = rb.blob_cid",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Sets or clears an operator takedown of a blob; `false` when the account has no such
    /// blob. A taken-down blob is not served and may not be uploaded again.
    pub fn set_blob_takedown(
        &self,
        cid: &Cid,
        takedown_ref: Option<&str>,
    ) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE blob SET takedown_ref = ?2 WHERE cid = ?1",
            params![cid.as_bytes(), takedown_ref],
        )? > 0)
    }
}
