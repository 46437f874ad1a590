//! Blobs: uploads (`repo.uploadBlob`), reads (`sync.getBlob`, `sync.listBlobs`,
//! `repo.listMissingBlobs`), the write path's blob rules, and the sweep of unreferenced uploads.
//!
//! A blob is uploaded to a temporary key and tracked as temporary in the account's actor store.
//! A commit whose records reference it moves the bytes to their permanent place and, in the
//! commit's own transaction, records the reference and marks the blob permanent. A blob no
//! record references any more is deleted by the commit that dropped the last reference.
//! Uploads nobody references expire after `blobstore_temp_grace`.
//!
//! Permanent bytes are created and deleted only under the account's per-DID write lock (the
//! one commits hold), so a commit can never lose a blob to a concurrent delete.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use atproto::Cid;
use atproto::cbor::Value;
use atproto::syntax::{Did, Tid};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::account::account_by_did;
use super::repo::state::RepoState;
use super::{Service, ServiceError, ServiceInner};
use crate::config::Config;
use crate::store::Durability;
use crate::store::actor::ActorStore;
use crate::store::blobstore::disk::DiskBlobStore;
use crate::store::blobstore::index::{FoundRef, UploadOutcome, find_blob_refs};
use crate::store::blobstore::s3::S3BlobStore;
use crate::store::blobstore::{BlobStore, BlobStoreError, ByteStream};

/// How many leading bytes MIME sniffing looks at.
const SNIFF_BYTES: usize = 4096;

/// How much more of an oversized upload's body is read (and dropped) before the refusal.
const DRAIN_AFTER_LIMIT: usize = 64 * 1024;

/// Opens the configured blob store: the S3 bucket if one is set, else the disk directory.
pub fn open_blobstore(config: &Config) -> Result<Arc<dyn BlobStore>, ServiceError> {
    Ok(match &config.blobstore_s3 {
        Some(s3) => {
            crate::plc::install_crypto_provider();
            tracing::info!(bucket = %s3.bucket, endpoint = ?s3.endpoint, "blobs in an S3 bucket");
            Arc::new(S3BlobStore::new(s3).map_err(ServiceError::internal)?)
        }
        None => {
            let dir = &config.blobstore_disk_location;
            tracing::info!(directory = %dir.display(), "blobs on disk");
            Arc::new(DiskBlobStore::new(dir.clone()).map_err(|e| {
                ServiceError::internal(anyhow::anyhow!(
                    "cannot use blob directory {}: {e}",
                    dir.display()
                ))
            })?)
        }
    })
}

/// A blob reference as `uploadBlob` answers it and records hold it:
/// `{"$type": "blob", "ref": {"$link": cid}, "mimeType", "size"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobOut {
    pub cid: Cid,
    pub mime_type: String,
    pub size: u64,
}

impl Serialize for BlobOut {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("$type", "blob")?;
        m.serialize_entry("ref", &serde_json::json!({ "$link": self.cid.to_string() }))?;
        m.serialize_entry("mimeType", &self.mime_type)?;
        m.serialize_entry("size", &self.size)?;
        m.end()
    }
}

/// What the upload request says about its body.
#[derive(Debug, Clone, Default)]
pub struct UploadMeta {
    /// The `Content-Type` header: the MIME type when sniffing finds none.
    pub content_type: Option<String>,
    /// The `Content-Length` header, to refuse an oversized upload before reading it.
    pub content_length: Option<u64>,
}

/// A blob on its way to a client.
pub struct BlobDownload {
    pub mime_type: String,
    pub size: u64,
    pub stream: ByteStream,
}

/// A blob records reference that the account does not have.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingBlobOut {
    pub cid: String,
    pub record_uri: String,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn blob_not_found(cid: &Cid) -> ServiceError {
    ServiceError::named("BlobNotFound", format!("Could not find blob: {cid}"))
}

fn store_error(e: BlobStoreError) -> ServiceError {
    ServiceError::internal(e)
}

impl Service {
    /// `com.atproto.repo.uploadBlob`: streams `body` to a temporary blob (never holding it
    /// whole), hashing and measuring it on the way, and records it for `did`.
    pub async fn upload_blob<S, E>(
        &self,
        did: Did,
        meta: UploadMeta,
        mut body: S,
    ) -> Result<BlobOut, ServiceError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let check = did.clone();
        self.blocking(move |s| {
            let account =
                s.db.read(|c| account_by_did(c, check.as_str()))?
                    .ok_or_else(|| ServiceError::InvalidToken("Account not found".into()))?;
            if account.taken_down {
                return Err(ServiceError::named_auth(
                    "AccountTakedown",
                    "Account has been taken down",
                ));
            }
            Ok(())
        })
        .await?;
        let limit = self.config.blob_upload_limit;
        let too_large = || ServiceError::PayloadTooLarge("request entity too large".into());
        if meta.content_length.is_some_and(|n| n > limit) {
            return Err(too_large());
        }

        let mut writer = self.blobs.put_temp(&did).await.map_err(store_error)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
        let streamed: Result<(), ServiceError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| {
                    ServiceError::invalid(format!("Could not read the request body: {e}"))
                })?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(too_large());
                }
                hasher.update(&chunk);
                if head.len() < SNIFF_BYTES {
                    let n = (SNIFF_BYTES - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..n]);
                }
                writer.write(chunk).await.map_err(store_error)?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = streamed {
            writer.abort().await;
            if matches!(e, ServiceError::PayloadTooLarge(_)) {
                // Read on a little (what the client already sent, bounded) so that the answer
                // does not race a connection close and the client may reuse its connection.
                let mut drained = 0usize;
                while drained < DRAIN_AFTER_LIMIT
                    && let Some(Ok(chunk)) = body.next().await
                {
                    drained += chunk.len();
                }
            }
            return Err(e);
        }
        let key = writer.finish().await.map_err(store_error)?;
        let digest: [u8; 32] = hasher.finalize().into();
        let cid = Cid::from_digest(atproto::cid::RAW, &digest);
        let mime_type = sniff_mime(&head)
            .map(str::to_string)
            .unwrap_or_else(|| fallback_mime(meta.content_type.as_deref()));
        let size_i64 = i64::try_from(size).map_err(ServiceError::internal)?;

        // Recording the upload may make the blob permanent (records already reference it),
        // so it happens under the account's write lock.
        // The rows are written through the loaded repository's store connection (loaded now
        // if it is not, as a write would): opening and closing a connection per upload cost
        // more than the rows. A repository that does not load (its blocks not imported yet)
        // still takes uploads, through a connection of their own as before.
        let slot = self.repos.slot(&did);
        let guard = slot.lock_owned().await;
        let cutoff = now_ms() - self.config.blobstore_temp_grace.as_millis() as i64;
        let (outcome, expired, referenced, _guard) = {
            let did = did.clone();
            let key = key.clone();
            let mime_type = mime_type.clone();
            let mut guard = guard;
            self.blocking(move |s| {
                if guard.is_none()
                    && let Ok(state) = RepoState::open(s, &did)
                {
                    *guard = Some(state);
                }
                let own;
                let store = match &*guard {
                    Some(state) => &state.store,
                    None => {
                        own = ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
                        &own
                    }
                };
                let expired = store.expire_temp_blobs(cutoff)?;
                let outcome = store.track_upload(&cid, &mime_type, size_i64, &key, now_ms())?;
                let referenced = store.blob_is_referenced(&cid)?;
                Ok((outcome, expired, referenced, guard))
            })
            .await?
        };
        self.delete_expired_uploads(&did, expired).await;
        let mime_type = match outcome {
            UploadOutcome::TakenDown => {
                let _ = self.blobs.delete_temp(&did, &key).await;
                return Err(ServiceError::invalid(
                    "Blob has been takendown, cannot re-upload",
                ));
            }
            UploadOutcome::AlreadyPermanent { mime_type } => {
                if let Err(e) = self.blobs.delete_temp(&did, &key).await {
                    tracing::warn!(did = %did, error = %e, "could not delete a duplicate upload");
                }
                mime_type
            }
            UploadOutcome::Temporary { replaced } => {
                if let Some(old) = replaced
                    && let Err(e) = self.blobs.delete_temp(&did, &old).await
                {
                    tracing::warn!(did = %did, error = %e, "could not delete an earlier upload");
                }
                if referenced {
                    // An imported repository already uses it: it is permanent at once.
                    self.blobs
                        .make_permanent(&did, &key, &cid)
                        .await
                        .map_err(store_error)?;
                    let did = did.clone();
                    self.blocking(move |s| {
                        let store =
                            ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
                        Ok(store.mark_blob_permanent(&cid)?)
                    })
                    .await?;
                }
                mime_type
            }
        };
        tracing::debug!(did = %did, cid = %cid, size, mime_type = %mime_type, "blob uploaded");
        Ok(BlobOut {
            cid,
            mime_type,
            size,
        })
    }

    /// Deletes the bytes of expired uploads whose rows are gone, and any permanent copy a
    /// failed commit left behind (no record references them). Failures are only logged: the
    /// sweep removes temporary files anyway.
    async fn delete_expired_uploads(&self, did: &Did, expired: Vec<(Cid, String)>) {
        for (cid, key) in expired {
            let temp = self.blobs.delete_temp(did, &key).await;
            let permanent = self.blobs.delete(did, &cid).await;
            if let Err(e) = temp.and(permanent) {
                tracing::warn!(did = %did, cid = %cid, error = %e, "could not delete an expired upload");
            }
        }
    }

    /// `com.atproto.sync.getBlob`: a permanent blob of a served repository, streamed.
    pub async fn get_blob(&self, did: Did, cid: Cid) -> Result<BlobDownload, ServiceError> {
        let row = {
            let did = did.clone();
            self.blocking(move |s| {
                s.served_account(did.as_str())?;
                let store = ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
                Ok(store.blob(&cid)?)
            })
            .await?
        };
        let not_found = || ServiceError::named("BlobNotFound", "Blob not found");
        let row = row
            .filter(|r| r.temp_key.is_none() && !r.taken_down)
            .ok_or_else(not_found)?;
        let read = self
            .blobs
            .get(&did, &cid)
            .await
            .map_err(store_error)?
            .ok_or_else(not_found)?;
        Ok(BlobDownload {
            mime_type: row.mime_type,
            size: read.size,
            stream: read.stream,
        })
    }

    /// `com.atproto.sync.listBlobs`: CIDs of the blobs the repository's records reference
    /// (of records written after `since`, if given), after `cursor`.
    pub async fn list_blobs(
        &self,
        did: Did,
        since: Option<Tid>,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>), ServiceError> {
        let limit = limit.clamp(1, 1000);
        let cursor = cursor.as_deref().map(parse_cursor).transpose()?;
        self.blocking(move |s| {
            s.served_account(did.as_str())?;
            let store = ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
            let cids = store.list_blobs(since.as_ref().map(Tid::as_str), cursor.as_ref(), limit)?;
            let next = (cids.len() == limit)
                .then(|| cids.last().map(Cid::to_string))
                .flatten();
            Ok((cids.iter().map(Cid::to_string).collect(), next))
        })
        .await
    }

    /// `com.atproto.repo.listMissingBlobs`: blobs the caller's records reference that it has
    /// not uploaded (after importing a repository).
    pub async fn list_missing_blobs(
        &self,
        did: Did,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<(Vec<MissingBlobOut>, Option<String>), ServiceError> {
        let limit = limit.clamp(1, 1000);
        let cursor = cursor.as_deref().map(parse_cursor).transpose()?;
        self.blocking(move |s| {
            let store = ActorStore::open(&s.config.data_directory, &did, Durability::Normal)?;
            let missing = store.list_missing_blobs(cursor.as_ref(), limit)?;
            let next = (missing.len() == limit)
                .then(|| missing.last().map(|m| m.cid.to_string()))
                .flatten();
            let blobs = missing
                .into_iter()
                .map(|m| MissingBlobOut {
                    cid: m.cid.to_string(),
                    record_uri: format!("at://{did}/{}/{}", m.collection, m.rkey),
                })
                .collect();
            Ok((blobs, next))
        })
        .await
    }

    /// Deletes every blob of an account from the blob store (account purge).
    pub async fn delete_account_blobs(&self, did: &Did) -> Result<(), ServiceError> {
        self.blobs.delete_all(did).await.map_err(store_error)
    }

    /// Deletes uploads older than twice the grace period from the blob store. Rows expire
    /// after one grace period (commits then refuse them), so a commit that found a live row
    /// always finds its bytes.
    pub async fn sweep_temp_blobs(&self) -> Result<usize, ServiceError> {
        let cutoff = SystemTime::now() - 2 * self.config.blobstore_temp_grace;
        self.blobs.sweep_temp(cutoff).await.map_err(store_error)
    }
}

fn parse_cursor(s: &str) -> Result<Cid, ServiceError> {
    s.parse()
        .map_err(|e| ServiceError::invalid(format!("Invalid cursor: {e}")))
}

/// The write path's blob rule, run under the per-DID lock before the commit is sequenced:
/// every blob the written records reference (`records`: their DAG-CBOR) must have been
/// uploaded by the account, unexpired and not taken down, and match the reference's MIME
/// type and size; the deprecated `{cid, mimeType}` form is refused. Referenced temporary
/// blobs are moved to their permanent place here; the commit's transaction then marks them
/// permanent (`ActorStore::apply_commit`). Returns whether the records reference any blob.
pub(super) fn prepare_commit_blobs<'a>(
    service: &ServiceInner,
    store: &ActorStore,
    did: &Did,
    records: impl Iterator<Item = &'a [u8]>,
) -> Result<bool, ServiceError> {
    let cutoff = now_ms() - service.config.blobstore_temp_grace.as_millis() as i64;
    let mut seen = BTreeSet::new();
    for bytes in records {
        let value = Value::from_cbor(bytes).map_err(ServiceError::internal)?;
        for found in find_blob_refs(&value) {
            let blob = match found {
                FoundRef::Legacy(cid) => {
                    return Err(ServiceError::invalid(format!(
                        "Legacy blobs are not allowed ({cid})"
                    )));
                }
                FoundRef::Typed(b) => b,
            };
            if !seen.insert(blob.cid) {
                continue;
            }
            let row = store
                .blob(&blob.cid)?
                .filter(|r| !r.taken_down)
                .ok_or_else(|| blob_not_found(&blob.cid))?;
            let Some(key) = &row.temp_key else {
                continue;
            };
            if row.created_at < cutoff {
                return Err(blob_not_found(&blob.cid));
            }
            if row.mime_type != blob.mime_type {
                return Err(ServiceError::named(
                    "InvalidMimeType",
                    format!(
                        "Referenced Mimetype does not match stored blob. Expected: {}, Got: {}",
                        row.mime_type, blob.mime_type
                    ),
                ));
            }
            if row.size != blob.size {
                return Err(ServiceError::named(
                    "InvalidSize",
                    format!(
                        "Referenced Size does not match stored blob. Expected: {}, Got: {}",
                        row.size, blob.size
                    ),
                ));
            }
            // The write path runs on a blocking thread; blob stores are async.
            tokio::runtime::Handle::current()
                .block_on(service.blobs.make_permanent(did, key, &blob.cid))
                .map_err(|e| match e {
                    BlobStoreError::NotFound => blob_not_found(&blob.cid),
                    e => store_error(e),
                })?;
        }
    }
    Ok(!seen.is_empty())
}

/// Deletes the bytes of blobs a commit left unreferenced (their rows went with the commit).
/// Run before the per-DID lock is released; a failure is logged, never the commit's.
pub(super) fn delete_dereferenced_blobs(service: &ServiceInner, did: &Did, cids: Vec<Cid>) {
    if cids.is_empty() {
        return;
    }
    let rt = tokio::runtime::Handle::current();
    for cid in cids {
        if let Err(e) = rt.block_on(service.blobs.delete(did, &cid)) {
            tracing::warn!(did = %did, cid = %cid, error = %e, "could not delete an unreferenced blob");
        }
    }
}

/// Starts the job that deletes expired uploads from the blob store, every quarter of the
/// grace period (at most every ten minutes). It holds the service weakly and stops when the
/// service is dropped.
pub(super) fn spawn_temp_sweep(service: &Service) {
    let weak = Arc::downgrade(&service.0);
    let interval = (service.config.blobstore_temp_grace / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(600));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(inner) = weak.upgrade() else { break };
            match Service(inner).sweep_temp_blobs().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(blobs = n, "swept expired uploads"),
                Err(e) => {
                    tracing::warn!(error = %format!("{:#}", anyhow::Error::from(e)), "blob sweep failed")
                }
            }
        }
    });
}

/// The MIME type a blob's first bytes show, for the formats clients upload (images, video,
/// audio, documents and archives), like the reference PDS's `file-type` detection.
pub fn sniff_mime(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        // An animated PNG has an acTL chunk before its image data.
        let apng = head.windows(4).take(1024).any(|w| w == b"acTL");
        return Some(if apng { "image/apng" } else { "image/png" });
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some("image/gif");
    }
    if at(0, b"RIFF") {
        if at(8, b"WEBP") {
            return Some("image/webp");
        }
        if at(8, b"AVI ") {
            return Some("video/vnd.avi");
        }
        if at(8, b"WAVE") {
            return Some("audio/wav");
        }
    }
    if at(4, b"ftyp") {
        let brand = head.get(8..12)?;
        return Some(match brand {
            b"avif" | b"avis" => "image/avif",
            b"heic" | b"heix" | b"heim" | b"heis" => "image/heic",
            b"hevc" | b"hevx" => "image/heic-sequence",
            b"mif1" => "image/heif",
            b"msf1" => "image/heif-sequence",
            b"qt  " => "video/quicktime",
            b"M4A " => "audio/x-m4a",
            b"M4V " | b"M4VH" | b"M4VP" => "video/x-m4v",
            b"M4P " => "video/mp4",
            b"crx " => "image/x-canon-cr3",
            b if b.starts_with(b"3g2") => "video/3gpp2",
            b if b.starts_with(b"3g") => "video/3gpp",
            _ => "video/mp4",
        });
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        // EBML: the doctype says WebM or Matroska.
        let webm = head.windows(4).any(|w| w == b"webm");
        return Some(if webm {
            "video/webm"
        } else {
            "video/x-matroska"
        });
    }
    if at(0, &[0x00, 0x00, 0x00, 0x0C, b'j', b'X', b'L', b' ']) || at(0, &[0xFF, 0x0A]) {
        return Some("image/jxl");
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        return Some("image/tiff");
    }
    if at(0, b"BM") {
        return Some("image/bmp");
    }
    if at(0, &[0x00, 0x00, 0x01, 0x00]) {
        return Some("image/x-icon");
    }
    if at(0, b"%PDF") {
        return Some("application/pdf");
    }
    if at(0, b"ID3") || at(0, &[0xFF, 0xFB]) || at(0, &[0xFF, 0xF3]) || at(0, &[0xFF, 0xF2]) {
        return Some("audio/mpeg");
    }
    if at(0, b"OggS") {
        return Some(if head.windows(5).any(|w| w == b"OpusH") {
            "audio/ogg; codecs=opus"
        } else {
            "audio/ogg"
        });
    }
    if at(0, b"fLaC") {
        return Some("audio/x-flac");
    }
    if at(0, &[0x1F, 0x8B, 0x08]) {
        return Some("application/gzip");
    }
    if at(0, b"PK\x03\x04") {
        return Some("application/zip");
    }
    None
}

/// The MIME type of an upload sniffing did not recognise: the `Content-Type` header without
/// its parameters, or `application/octet-stream`.
fn fallback_mime(content_type: Option<&str>) -> String {
    let Some(ct) = content_type else {
        return "application/octet-stream".into();
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let valid = essence.split_once('/').is_some_and(|(t, s)| {
        let token = |x: &str| {
            !x.is_empty()
                && x.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        token(t) && token(s)
    });
    if valid {
        essence
    } else {
        "application/octet-stream".into()
    }
}

#[cfg(test)]
pub(crate) mod test_util;
#[cfg(test)]
mod tests;
