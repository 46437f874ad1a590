//! Per-account stores: `<data>/actors/<xx>/<did>/store.sqlite` plus the account's signing key
//! (`key`, mode 0600) beside it, so moving an account is a file-level operation.

use std::path::{Path, PathBuf};

use atproto::Cid;
use atproto::blockstore::{BlockStore, BlockStoreError};
use atproto::crypto::{KeyType, SigningKey};
use atproto::syntax::{Did, Tid};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Durability, StoreError, migrate, open};

/// The actor store's migrations, in order. Never edit an applied one; append.
pub const MIGRATIONS: &[migrate::Migration] = &[
    (
        "0001_repo.sql",
        include_str!("../../../migrations/actor/0001_repo.sql"),
    ),
    (
        "0002_block_rev.sql",
        include_str!("../../../migrations/actor/0002_block_rev.sql"),
    ),
    (
        "0003_blobs.sql",
        include_str!("../../../migrations/actor/0003_blobs.sql"),
    ),
];

/// SQLite page cache per actor-store connection, in KiB (SQLite's default is 2 MiB).
const ACTOR_CACHE_KIB: i64 = 256;

/// The directory of one account: sharded by the first byte of SHA-256(did) so no directory
/// grows huge.
pub fn actor_dir(data_dir: &Path, did: &Did) -> PathBuf {
    let h = atproto::cid::sha256(did.as_str().as_bytes());
    data_dir
        .join("actors")
        .join(atproto::multibase::hex_encode(&h[..1]))
        .join(did.as_str())
}

/// The bytes of an empty actor store at the latest migration, in WAL mode: built once per
/// process in `scratch_dir` (through the same [`open`] and migrations as any store, then
/// closed, which checkpoints it into the one file) and copied for each new account.
fn empty_store_image(scratch_dir: &Path) -> Result<&'static [u8], StoreError> {
    static IMAGE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    if let Some(image) = IMAGE.get() {
        return Ok(image);
    }
    let path = scratch_dir.join("empty-store.sqlite.tmp");
    let built = (|| {
        let mut conn = open(&path, Durability::Normal)?;
        migrate::apply(&mut conn, &path.display().to_string(), MIGRATIONS)?;
        conn.close().map_err(|(_, e)| e)?;
        let image = std::fs::read(&path)?;
        // Bytes 18 and 19 of the header are the read and write format versions: 2 is WAL.
        if image.get(18..20) != Some(&[2, 2][..]) {
            return Err(StoreError::Io(std::io::Error::other(
                "the empty actor store image is not in WAL mode",
            )));
        }
        Ok(image)
    })();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let image = built?;
    Ok(IMAGE.get_or_init(|| image))
}

/// One account's repository store.
pub struct ActorStore {
    conn: Connection,
}

impl ActorStore {
    /// Creates the account's directory, key file and database. Fails if they exist.
    ///
    /// The database is written as a copy of an empty, fully migrated store (built once per
    /// process by [`empty_store_image`]): one write and one flush, where creating the schema
    /// in place took three migration transactions and a journal-mode switch, nine flushes in
    /// all. The store file, the key and their directory entries are flushed before this
    /// returns, whatever the durability: an account row must never outlive its store.
    pub fn create(
        data_dir: &Path,
        did: &Did,
        key: &SigningKey,
        durability: Durability,
    ) -> Result<ActorStore, StoreError> {
        let dir = actor_dir(data_dir, did);
        std::fs::create_dir_all(&dir)?;
        let key_path = dir.join("key");
        if key_path.exists() {
            return Err(StoreError::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("actor store for {did} already exists"),
            )));
        }
        let image = empty_store_image(&dir)?;
        {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(dir.join("store.sqlite"))?;
            file.write_all(image)?;
            file.sync_data()?;
        }
        // The key last: its presence marks a complete store.
        crate::config::write_private(&key_path, key.to_hex().as_bytes())?;
        std::fs::File::open(&dir)?.sync_all()?;
        Self::open(data_dir, did, durability)
    }

    /// Opens an existing account's store, applying migrations.
    pub fn open(
        data_dir: &Path,
        did: &Did,
        durability: Durability,
    ) -> Result<ActorStore, StoreError> {
        let path = actor_dir(data_dir, did).join("store.sqlite");
        let mut conn = open(&path, durability)?;
        // Many actor stores are open at once (writers and readers of recent accounts): keep
        // each one's page cache small so memory does not grow with the number of accounts.
        conn.pragma_update(None, "cache_size", -ACTOR_CACHE_KIB)?;
        migrate::apply(&mut conn, &path.display().to_string(), MIGRATIONS)?;
        Ok(ActorStore { conn })
    }

    /// The account's repository signing key (k256).
    pub fn signing_key(data_dir: &Path, did: &Did) -> Result<SigningKey, StoreError> {
        let hex = std::fs::read_to_string(actor_dir(data_dir, did).join("key"))?;
        SigningKey::from_hex(KeyType::K256, hex.trim())
            .map_err(|e| StoreError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
    }

    /// The current commit CID and rev, if the repository has one.
    pub fn root(&self) -> Result<Option<(Cid, Tid)>, StoreError> {
        let row: Option<(Vec<u8>, String)> = self
            .conn
            .query_row("SELECT cid, rev FROM repo_root WHERE id = 0", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(cid, rev)| {
            let cid = Cid::from_bytes(&cid).map_err(|e| invalid_data(e.to_string()))?;
            let rev = Tid::new(&rev).map_err(|e| invalid_data(e.to_string()))?;
            Ok((cid, rev))
        })
        .transpose()
    }

    /// Number of stored blocks (MST nodes, commits and records) and of records.
    pub fn counts(&self) -> Result<(i64, i64), StoreError> {
        let blocks: i64 = self
            .conn
            .query_row("SELECT count(*) FROM block", [], |r| r.get(0))?;
        let records: i64 = self
            .conn
            .query_row("SELECT count(*) FROM record", [], |r| r.get(0))?;
        Ok((blocks + records, records))
    }

    /// The connection, for the blob tables' queries (`store::blobstore::index`).
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Stores a commit atomically: its new blocks (MST nodes and the commit), record rows
    /// written or deleted, blocks no longer in the tree, the new root, and which blobs the
    /// records reference. Returns the blobs no longer referenced by any record: their rows are
    /// gone and the caller deletes their bytes from the blob store.
    pub fn apply_commit(&mut self, commit: &CommitWrite<'_>) -> Result<Vec<Cid>, StoreError> {
        self.apply_commits(std::slice::from_ref(commit))
    }

    /// Stores consecutive commits, in order, in one transaction (one WAL append for many
    /// commits: the write path batches an account's commits this way). Each commit's removed
    /// blocks are deleted before its new ones are inserted. Returns the blobs no longer
    /// referenced by any record, as [`ActorStore::apply_commit`].
    pub fn apply_commits(&mut self, commits: &[CommitWrite<'_>]) -> Result<Vec<Cid>, StoreError> {
        // Cached BEGIN/COMMIT statements: rusqlite's `transaction()` re-parses them each time.
        // IMMEDIATE: the upload path writes blob rows through another connection.
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        match apply_in_transaction(&self.conn, commits) {
            Ok(dereferenced) => match self.conn.prepare_cached("COMMIT")?.execute([]) {
                Ok(_) => Ok(dereferenced),
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    Err(e.into())
                }
            },
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Replaces the whole repository (import): every block and record, the root, and which
    /// blobs the records reference (those the account lacks are `listMissingBlobs`).
    pub fn replace_all(
        &mut self,
        commit: Cid,
        rev: &Tid,
        blocks: &[(Cid, Vec<u8>)],
        records: &[ImportedRecord],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM block", [])?;
        tx.execute("DELETE FROM record", [])?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR IGNORE INTO block (cid, content, rev) VALUES (?1, ?2, ?3)",
            )?;
            for (cid, bytes) in blocks {
                put.execute(params![cid.as_bytes(), bytes, rev.as_str()])?;
            }
            let mut put_record = tx.prepare_cached(
                "INSERT INTO record (collection, rkey, cid, rev, content) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (collection, rkey, cid, bytes) in records {
                put_record.execute(params![
                    collection,
                    rkey,
                    cid.as_bytes(),
                    rev.as_str(),
                    bytes
                ])?;
            }
            tx.execute(
                "INSERT INTO repo_root (id, cid, rev) VALUES (0, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET cid = excluded.cid, rev = excluded.rev",
                params![commit.as_bytes(), rev.as_str()],
            )?;
        }
        super::blobstore::index::reindex_record_blobs(&tx, records)?;
        tx.commit()?;
        Ok(())
    }

    /// One record's CID and DAG-CBOR bytes.
    pub fn get_record(
        &self,
        collection: &str,
        rkey: &str,
    ) -> Result<Option<(Cid, Vec<u8>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT cid, content FROM record WHERE collection = ?1 AND rkey = ?2",
        )?;
        let row: Option<(Vec<u8>, Vec<u8>)> = stmt
            .query_row(params![collection, rkey], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(cid, content)| {
            Ok((
                Cid::from_bytes(&cid).map_err(|e| invalid_data(e.to_string()))?,
                content,
            ))
        })
        .transpose()
    }

    /// Records of a collection in rkey order (or reverse), after `cursor` (exclusive).
    pub fn list_records(
        &self,
        collection: &str,
        cursor: Option<&str>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(String, Cid, Vec<u8>)>, StoreError> {
        let sql = list_records_sql(reverse, cursor.is_some());
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(
            params![collection, cursor.unwrap_or(""), limit as i64],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (rkey, cid, content) = row?;
            out.push((
                rkey,
                Cid::from_bytes(&cid).map_err(|e| invalid_data(e.to_string()))?,
                content,
            ));
        }
        Ok(out)
    }

    /// One record's CID and DAG-CBOR bytes, handed to `f` straight from SQLite (no copy).
    pub fn with_record<T>(
        &self,
        collection: &str,
        rkey: &str,
        f: impl FnOnce(Cid, &[u8]) -> T,
    ) -> Result<Option<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT cid, content FROM record WHERE collection = ?1 AND rkey = ?2",
        )?;
        let mut rows = stmt.query(params![collection, rkey])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let cid = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
        let cid = Cid::from_bytes(cid).map_err(|e| invalid_data(e.to_string()))?;
        let content = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        Ok(Some(f(cid, content)))
    }

    /// [`ActorStore::list_records`] without copying: visits each row's rkey, CID and DAG-CBOR
    /// bytes straight from SQLite, in the same order, and returns how many it visited.
    pub fn for_each_record<E: From<StoreError>>(
        &self,
        collection: &str,
        cursor: Option<&str>,
        reverse: bool,
        limit: usize,
        mut f: impl FnMut(&str, Cid, &[u8]) -> Result<(), E>,
    ) -> Result<usize, E> {
        // No LIMIT parameter: SQLite re-prepares a statement whenever a LIMIT variable is
        // rebound. The rows come in index order, so stopping after `limit` costs nothing.
        let sql = match (reverse, cursor.is_some()) {
            (false, false) => {
                "SELECT rkey, cid, content FROM record WHERE collection = ?1 ORDER BY rkey DESC"
            }
            (false, true) => {
                "SELECT rkey, cid, content FROM record WHERE collection = ?1 AND rkey < ?2 \
                 ORDER BY rkey DESC"
            }
            (true, false) => {
                "SELECT rkey, cid, content FROM record WHERE collection = ?1 ORDER BY rkey ASC"
            }
            (true, true) => {
                "SELECT rkey, cid, content FROM record WHERE collection = ?1 AND rkey > ?2 \
                 ORDER BY rkey ASC"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(StoreError::from)?;
        let mut rows = match cursor {
            Some(c) => stmt.query(params![collection, c]),
            None => stmt.query(params![collection]),
        }
        .map_err(StoreError::from)?;
        let mut n = 0;
        while n < limit
            && let Some(row) = rows.next().map_err(StoreError::from)?
        {
            let (rkey, cid, content) = (|| -> Result<_, StoreError> {
                let rkey = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                let cid = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
                let cid = Cid::from_bytes(cid).map_err(|e| invalid_data(e.to_string()))?;
                let content = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
                Ok((rkey, cid, content))
            })()?;
            f(rkey, cid, content)?;
            n += 1;
        }
        Ok(n)
    }

    /// Visits every block of the repository (MST nodes, commit, records) added after `since`
    /// (all of them when `None`), in storage order, without loading them all into memory.
    pub fn for_each_block<F>(&self, since: Option<&str>, f: &mut F) -> Result<(), StoreError>
    where
        F: FnMut(Cid, &[u8]) -> Result<(), StoreError>,
    {
        let (sql, since) = match since {
            None => (
                "SELECT cid, content FROM block UNION ALL SELECT cid, content FROM record",
                "",
            ),
            Some(s) => (
                "SELECT cid, content FROM block WHERE rev > ?1 \
                 UNION ALL SELECT cid, content FROM record WHERE rev > ?1",
                s,
            ),
        };
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = if since.is_empty() {
            stmt.query([])?
        } else {
            stmt.query([since])?
        };
        while let Some(row) = rows.next()? {
            let cid: Vec<u8> = row.get(0)?;
            let cid = Cid::from_bytes(&cid).map_err(|e| invalid_data(e.to_string()))?;
            let content = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            f(cid, content)?;
        }
        Ok(())
    }

    /// The collections that have records.
    pub fn collections(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT collection FROM record ORDER BY collection")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<String>, _>>()?)
    }
}

/// A record of an imported repository: (collection, rkey, CID, DAG-CBOR bytes).
pub type ImportedRecord = (String, String, Cid, Vec<u8>);

/// A record row a commit writes.
pub struct RecordWrite<'a> {
    pub collection: &'a str,
    pub rkey: &'a str,
    pub cid: Cid,
    pub bytes: &'a [u8],
}

/// Everything one commit changes in an actor store.
pub struct CommitWrite<'a> {
    pub commit: Cid,
    pub rev: &'a Tid,
    /// MST nodes and the commit block (records go in `records_put`).
    pub blocks: &'a [(Cid, Vec<u8>)],
    pub removed: &'a [Cid],
    pub records_put: &'a [RecordWrite<'a>],
    pub records_deleted: &'a [(&'a str, &'a str)],
}

/// The statements of [`ActorStore::apply_commits`], inside its transaction.
fn apply_in_transaction(
    tx: &Connection,
    commits: &[CommitWrite<'_>],
) -> Result<Vec<Cid>, StoreError> {
    let mut dereferenced = Vec::new();
    let mut put =
        tx.prepare_cached("INSERT OR IGNORE INTO block (cid, content, rev) VALUES (?1, ?2, ?3)")?;
    let mut del = tx.prepare_cached("DELETE FROM block WHERE cid = ?1")?;
    let mut put_record = tx.prepare_cached(
        "INSERT INTO record (collection, rkey, cid, rev, content) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (collection, rkey) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, \
         content = excluded.content",
    )?;
    let mut del_record =
        tx.prepare_cached("DELETE FROM record WHERE collection = ?1 AND rkey = ?2")?;
    for commit in commits {
        for cid in commit.removed {
            del.execute(params![cid.as_bytes()])?;
        }
        for (cid, bytes) in commit.blocks {
            put.execute(params![cid.as_bytes(), bytes, commit.rev.as_str()])?;
        }
        for r in commit.records_put {
            put_record.execute(params![
                r.collection,
                r.rkey,
                r.cid.as_bytes(),
                commit.rev.as_str(),
                r.bytes
            ])?;
        }
        for (collection, rkey) in commit.records_deleted {
            del_record.execute(params![collection, rkey])?;
        }
        dereferenced.extend(super::blobstore::index::index_commit_blobs(tx, commit)?);
    }
    if let Some(last) = commits.last() {
        tx.prepare_cached(
            "INSERT INTO repo_root (id, cid, rev) VALUES (0, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET cid = excluded.cid, rev = excluded.rev",
        )?
        .execute(params![last.commit.as_bytes(), last.rev.as_str()])?;
    }
    Ok(dereferenced)
}

/// The `list_records` statement: newest first by default (descending rkey, as the reference
/// lists), `reverse` flips it; with a cursor, only rkeys past it.
fn list_records_sql(reverse: bool, has_cursor: bool) -> &'static str {
    match (reverse, has_cursor) {
        (false, false) => {
            "SELECT rkey, cid, content FROM record WHERE collection = ?1 ORDER BY rkey DESC LIMIT ?3"
        }
        (false, true) => {
            "SELECT rkey, cid, content FROM record WHERE collection = ?1 AND rkey < ?2 ORDER BY rkey DESC LIMIT ?3"
        }
        (true, false) => {
            "SELECT rkey, cid, content FROM record WHERE collection = ?1 ORDER BY rkey ASC LIMIT ?3"
        }
        (true, true) => {
            "SELECT rkey, cid, content FROM record WHERE collection = ?1 AND rkey > ?2 ORDER BY rkey ASC LIMIT ?3"
        }
    }
}

fn invalid_data(msg: String) -> StoreError {
    StoreError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, msg))
}

impl BlockStore for ActorStore {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, BlockStoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT content FROM block WHERE cid = ?1")?;
        let found: Option<Vec<u8>> = stmt.query_row([cid.as_bytes()], |r| r.get(0)).optional()?;
        if found.is_some() {
            return Ok(found);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT content FROM record WHERE cid = ?1 LIMIT 1")?;
        Ok(stmt.query_row([cid.as_bytes()], |r| r.get(0)).optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_store_has_the_schema_of_a_migrated_one_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let did = Did::new("did:plc:abcdefghijklmnopqrstuvwx").unwrap();
        let key = SigningKey::generate(KeyType::K256);
        let created = ActorStore::create(dir.path(), &did, &key, Durability::Normal).unwrap();
        let schema = |c: &Connection| -> Vec<(String, String)> {
            let mut stmt = c
                .prepare("SELECT name, sql FROM sqlite_schema WHERE sql NOT NULL ORDER BY name")
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        // The same migrations applied in place to a new file.
        let path = dir.path().join("migrated.sqlite");
        let mut migrated = open(&path, Durability::Normal).unwrap();
        migrate::apply(&mut migrated, "migrated", MIGRATIONS).unwrap();
        assert_eq!(schema(&created.conn), schema(&migrated));
        assert!(!schema(&created.conn).is_empty());
        let version = |c: &Connection| -> i64 {
            c.pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap()
        };
        assert_eq!(version(&created.conn), MIGRATIONS.len() as i64);
        let mode: String = created
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        // No scratch file of the image is left behind.
        let left: Vec<_> = std::fs::read_dir(actor_dir(dir.path(), &did))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("empty-store"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn actor_store_keeps_its_key_and_root_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let did = Did::new("did:plc:abcdefghijklmnopqrstuvwx").unwrap();
        let key = SigningKey::generate(KeyType::K256);
        let block = (Cid::for_dag_cbor(b"\xa0"), b"\xa0".to_vec());
        let rev = Tid::from_parts(1, 1);
        {
            let mut store = ActorStore::create(dir.path(), &did, &key, Durability::Normal).unwrap();
            assert!(store.root().unwrap().is_none());
            store
                .apply_commit(&CommitWrite {
                    commit: block.0,
                    rev: &rev,
                    blocks: std::slice::from_ref(&block),
                    removed: &[],
                    records_put: &[],
                    records_deleted: &[],
                })
                .unwrap();
        }
        assert!(ActorStore::create(dir.path(), &did, &key, Durability::Normal).is_err());
        let store = ActorStore::open(dir.path(), &did, Durability::Normal).unwrap();
        assert_eq!(store.root().unwrap(), Some((block.0, rev)));
        assert_eq!(store.get_block(&block.0).unwrap(), Some(block.1));
        let back = ActorStore::signing_key(dir.path(), &did).unwrap();
        assert_eq!(back.to_hex(), key.to_hex());
    }
}
