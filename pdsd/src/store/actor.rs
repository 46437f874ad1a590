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
pub const MIGRATIONS: &[migrate::Migration] = &[(
    "0001_repo.sql",
    include_str!("../../../migrations/actor/0001_repo.sql"),
)];

/// The directory of one account: sharded by the first byte of SHA-256(did) so no directory
/// grows huge.
pub fn actor_dir(data_dir: &Path, did: &Did) -> PathBuf {
    let h = atproto::cid::sha256(did.as_str().as_bytes());
    data_dir
        .join("actors")
        .join(atproto::multibase::hex_encode(&h[..1]))
        .join(did.as_str())
}

/// One account's repository store.
pub struct ActorStore {
    conn: Connection,
}

impl ActorStore {
    /// Creates the account's directory, key file and database. Fails if they exist.
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
        crate::config::write_private(&key_path, key.to_hex().as_bytes())?;
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

    /// Stores a commit's new blocks, drops removed ones, and moves the root, atomically.
    pub fn apply_commit(
        &mut self,
        commit: (&Cid, &Tid),
        new_blocks: &[(Cid, Vec<u8>)],
        removed: &[Cid],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut put =
                tx.prepare_cached("INSERT OR IGNORE INTO block (cid, content) VALUES (?1, ?2)")?;
            for (cid, bytes) in new_blocks {
                put.execute(params![cid.as_bytes(), bytes])?;
            }
            let mut del = tx.prepare_cached("DELETE FROM block WHERE cid = ?1")?;
            for cid in removed {
                del.execute(params![cid.as_bytes()])?;
            }
            tx.execute(
                "INSERT INTO repo_root (id, cid, rev) VALUES (0, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET cid = excluded.cid, rev = excluded.rev",
                params![commit.0.as_bytes(), commit.1.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
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
                .apply_commit((&block.0, &rev), std::slice::from_ref(&block), &[])
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
