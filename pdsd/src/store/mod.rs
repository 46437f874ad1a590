//! SQLite storage: the service database, and (with the repository issue) per-account actor
//! stores. rusqlite only; callers reach it through `tokio::task::spawn_blocking`.

pub mod actor;
pub mod blobstore;
pub mod migrate;
pub mod service_db;

use std::path::Path;
use std::sync::Mutex;

use rusqlite::Connection;

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "database {path} has schema version {found}, newer than this pdsd knows ({known}); \
         run a newer pdsd or restore a backup"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// How hard SQLite flushes commits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, clap::ValueEnum, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// WAL with synchronous=NORMAL, as the reference PDS: a commit survives a crash of the
    /// process, and a power loss may roll back the last commits.
    #[default]
    Normal,
    /// WAL with synchronous=FULL: a commit survives power loss too.
    PowerSafe,
}

/// The durability the operator configured (`--durability`), for every database this process
/// opens: `open` never goes below it, whatever its caller asks.
static CONFIGURED_POWER_SAFE: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Sets the process-wide minimum durability (at startup, from the configuration).
pub fn set_configured_durability(durability: Durability) {
    CONFIGURED_POWER_SAFE.store(
        durability == Durability::PowerSafe,
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// The process-wide minimum durability.
pub fn configured_durability() -> Durability {
    if CONFIGURED_POWER_SAFE.load(std::sync::atomic::Ordering::Relaxed) {
        Durability::PowerSafe
    } else {
        Durability::Normal
    }
}

/// SQLite's memory, process-wide, above which page caches reuse their own pages rather than
/// grow (`PRAGMA soft_heap_limit`): pdsd keeps a connection open to each recently used
/// account's store, and without a shared bound their caches (up to [`ACTOR_CACHE_KIB`] each)
/// would grow with the number of accounts. The hot pages of the service database and of the
/// busy accounts fit; the operating system's page cache serves the rest.
///
/// [`ACTOR_CACHE_KIB`]: actor
pub const SQLITE_SOFT_HEAP_LIMIT: i64 = 8 * 1024 * 1024;

/// Applies [`SQLITE_SOFT_HEAP_LIMIT`] to every connection of this process.
pub fn limit_sqlite_memory() -> Result<(), StoreError> {
    let conn = Connection::open_in_memory()?;
    let _: i64 = conn.query_row(
        &format!("PRAGMA soft_heap_limit = {SQLITE_SOFT_HEAP_LIMIT}"),
        [],
        |r| r.get(0),
    )?;
    Ok(())
}

/// Opens (creating if needed) a database file with the settings every pdsd database uses.
pub fn open(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    let durability = durability.max(configured_durability());
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Normal => "NORMAL",
            Durability::PowerSafe => "FULL",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 1 MiB of page cache per connection (SQLite's default is 2 MiB): the hot pages of the
    // service database and the event log fit, and memory stays small.
    conn.pragma_update(None, "cache_size", -1024)?;
    Ok(conn)
}

/// A small pool: one writer connection (SQLite allows one writer; contention between
/// connections costs more than a mutex, see PERFORMANCE.md) and a few readers.
pub struct Pool {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

impl Pool {
    pub fn new(writer: Connection, readers: Vec<Connection>) -> Pool {
        Pool {
            writer: Mutex::new(writer),
            readers: readers.into_iter().map(Mutex::new).collect(),
            next_reader: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Runs `f` with the writer connection.
    pub fn write<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Runs `f` with a reader connection (never blocks writers; WAL readers see the last
    /// committed state).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        if self.readers.is_empty() {
            return self.write(|c| f(c));
        }
        let n = self.readers.len();
        let start = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Take the first idle reader, or wait on one.
        for i in 0..n {
            if let Ok(guard) = self.readers[(start + i) % n].try_lock() {
                return f(&guard);
            }
        }
        let guard = self.readers[start % n]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f(&guard)
    }
}
