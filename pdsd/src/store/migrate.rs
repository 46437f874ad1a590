//! Forward-only migrations tracked in `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// A migration: its file name (for messages) and SQL.
pub type Migration = (&'static str, &'static str);

/// The service database's migrations, in order. Never edit an applied one; append.
pub const SERVICE: &[Migration] = &[
    (
        "0001_accounts.sql",
        include_str!("../../../migrations/service/0001_accounts.sql"),
    ),
    (
        "0002_plc_directory.sql",
        include_str!("../../../migrations/service/0002_plc_directory.sql"),
    ),
    (
        "0003_reserved_signing_key.sql",
        include_str!("../../../migrations/service/0003_reserved_signing_key.sql"),
    ),
    (
        "0004_account_deletion.sql",
        include_str!("../../../migrations/service/0004_account_deletion.sql"),
    ),
    (
        "0005_admin_audit.sql",
        include_str!("../../../migrations/service/0005_admin_audit.sql"),
    ),
];

/// Applies every migration newer than the database's version, each in its own transaction.
/// A database newer than `migrations` is refused rather than touched.
pub fn apply(
    conn: &mut Connection,
    path: &str,
    migrations: &[Migration],
) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = migrations.len() as i64;
    if current > known {
        return Err(StoreError::SchemaTooNew {
            path: path.to_string(),
            found: current,
            known,
        });
    }
    for (i, (name, sql)) in migrations.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(database = path, migration = name, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_migrations_apply_from_empty_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, ":memory:", SERVICE).unwrap();
        apply(&mut conn, ":memory:", SERVICE).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SERVICE.len() as i64);
    }

    #[test]
    fn every_older_schema_migrates_to_the_latest() {
        for start in 0..SERVICE.len() {
            let mut conn = Connection::open_in_memory().unwrap();
            apply(&mut conn, ":memory:", &SERVICE[..start]).unwrap();
            apply(&mut conn, ":memory:", SERVICE).unwrap();
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        let e = apply(&mut conn, "service.sqlite", SERVICE).unwrap_err();
        assert!(matches!(e, StoreError::SchemaTooNew { found: 999, .. }));
        assert!(e.to_string().contains("newer than this pdsd knows"));
    }
}
