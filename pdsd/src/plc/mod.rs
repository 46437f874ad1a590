//! did:plc directories: the embedded one pdsd can serve itself ([`directory`], persisted in
//! service.sqlite, with the same HTTP API as plc.directory) and the client the rest of pdsd uses
//! to talk to either it or a remote directory ([`client`]).
//!
//! The operation rules themselves (signatures, forks, limits) are in `atproto::plc`; this module
//! only stores, serves and fetches operations.

pub mod client;
pub mod directory;
#[cfg(test)]
pub(crate) mod test_util;

pub use client::{PlcClient, install_crypto_provider};
pub use directory::{DirectoryError, PlcDirectory};

/// The current time in Unix milliseconds, as the directory stamps operations.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
