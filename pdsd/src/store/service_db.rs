//! `<data>/service.sqlite`: accounts, sessions, invites, email tokens.

use std::path::Path;

use super::{Durability, Pool, StoreError, migrate, open};

/// Number of reader connections to the service database.
const READERS: usize = 4;

/// Opens the service database, applying migrations.
pub fn open_service_db(data_dir: &Path, durability: Durability) -> Result<Pool, StoreError> {
    let path = data_dir.join("service.sqlite");
    let mut writer = open(&path, durability)?;
    migrate::apply(&mut writer, &path.display().to_string(), migrate::SERVICE)?;
    let mut readers = Vec::with_capacity(READERS);
    for _ in 0..READERS {
        readers.push(open(&path, durability)?);
    }
    Ok(Pool::new(writer, readers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_db_opens_in_wal_mode_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        {
            let pool = open_service_db(dir.path(), Durability::Normal).unwrap();
            pool.write(|c| {
                c.execute(
                    "INSERT INTO account (did, handle, password_hash, created_at) \
                     VALUES ('did:plc:x', 'x.test', 'h', '2026-01-01T00:00:00.000Z')",
                    [],
                )
                .unwrap()
            });
            let mode: String = pool.read(|c| {
                c.pragma_query_value(None, "journal_mode", |r| r.get(0))
                    .unwrap()
            });
            assert_eq!(mode, "wal");
        }
        let pool = open_service_db(dir.path(), Durability::Normal).unwrap();
        let n: i64 = pool.read(|c| {
            c.query_row("SELECT count(*) FROM account", [], |r| r.get(0))
                .unwrap()
        });
        assert_eq!(n, 1);
    }
}
