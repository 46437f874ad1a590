//! Blob bytes: the [`BlobStore`] they live in (a local directory or an S3-compatible bucket),
//! and the actor-store tables that say which blobs an account has and which records use them
//! ([`index`]).
//!
//! A blob is uploaded to a temporary key, and becomes permanent (addressed by account and CID)
//! when a record first references it. Temporary uploads nobody referenced are swept after a
//! grace period. Stores only move bytes; which blobs exist is decided by the `blob` table.

pub mod disk;
pub mod index;
pub mod s3;

use std::time::SystemTime;

use atproto::Cid;
use atproto::syntax::Did;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

/// Blob bytes as they are read, in chunks.
pub type ByteStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// Errors from a blob store.
#[derive(Debug, thiserror::Error)]
pub enum BlobStoreError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// The temporary upload to make permanent is gone and the permanent copy is absent too.
    #[error("blob not found")]
    NotFound,
}

/// A stored blob being read.
pub struct BlobRead {
    pub size: u64,
    pub stream: ByteStream,
}

/// An upload in progress to a temporary key.
pub trait TempWriter: Send {
    /// Appends a chunk.
    fn write(&mut self, chunk: Bytes) -> BoxFuture<'_, Result<(), BlobStoreError>>;
    /// Completes the upload (durably) and returns its temporary key.
    fn finish(self: Box<Self>) -> BoxFuture<'static, Result<String, BlobStoreError>>;
    /// Drops what was written so far.
    fn abort(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// Where blob bytes live. Every method is safe to retry: deleting what is absent succeeds, and
/// making permanent what already is succeeds.
pub trait BlobStore: Send + Sync {
    /// Starts an upload to a new temporary key of `did`.
    fn put_temp<'a>(
        &'a self,
        did: &'a Did,
    ) -> BoxFuture<'a, Result<Box<dyn TempWriter>, BlobStoreError>>;

    /// Moves a temporary upload to the permanent place of `cid`. Succeeds when the temporary
    /// upload is gone but the permanent copy exists (a retry after a crash or a failed commit).
    fn make_permanent<'a>(
        &'a self,
        did: &'a Did,
        key: &'a str,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>>;

    /// Reads a permanent blob; `None` when absent.
    fn get<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<Option<BlobRead>, BlobStoreError>>;

    /// The size of a permanent blob; `None` when absent.
    fn size<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<Option<u64>, BlobStoreError>>;

    /// Deletes a permanent blob.
    fn delete<'a>(
        &'a self,
        did: &'a Did,
        cid: &'a Cid,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>>;

    /// Deletes a temporary upload.
    fn delete_temp<'a>(
        &'a self,
        did: &'a Did,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), BlobStoreError>>;

    /// Deletes every blob of an account, permanent and temporary (account deletion).
    fn delete_all<'a>(&'a self, did: &'a Did) -> BoxFuture<'a, Result<(), BlobStoreError>>;

    /// Deletes temporary uploads last written before `cutoff`, of every account; returns how
    /// many.
    fn sweep_temp(&self, cutoff: SystemTime) -> BoxFuture<'_, Result<usize, BlobStoreError>>;
}

/// A fresh temporary key: 128 random bits, hex.
fn temp_key() -> String {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).expect("the OS random number generator works");
    atproto::multibase::hex_encode(&buf)
}

/// Whether a temporary key is one [`temp_key`] made (so it can be used in a path).
fn is_temp_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests;
