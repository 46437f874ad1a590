//! `com.atproto.repo.*`.

pub mod apply_writes;
pub mod create_record;
pub mod delete_record;
pub mod describe_repo;
pub mod get_record;
pub mod import_repo;
pub mod list_missing_blobs;
pub mod list_records;
pub mod put_record;
pub mod upload_blob;

use atproto::Cid;
use atproto::syntax::{Did, Nsid, RecordKey};

use crate::service::{Service, ServiceError};

/// The repo a write targets must be the caller's own.
pub(crate) async fn own_repo(
    service: &Service,
    repo: &str,
    caller: &Did,
) -> Result<Did, ServiceError> {
    let did = service.resolve_repo(repo).await?;
    if &did != caller {
        return Err(ServiceError::AuthRequired(
            "Cannot write to another account's repository".into(),
        ));
    }
    Ok(did)
}

pub(crate) fn nsid(s: &str) -> Result<Nsid, ServiceError> {
    Nsid::new(s).map_err(|e| ServiceError::invalid(format!("Invalid collection: {e}")))
}

pub(crate) fn rkey(s: &str) -> Result<RecordKey, ServiceError> {
    RecordKey::new(s).map_err(|e| ServiceError::invalid(format!("Invalid record key: {e}")))
}

pub(crate) fn cid(s: &str) -> Result<Cid, ServiceError> {
    s.parse()
        .map_err(|e| ServiceError::invalid(format!("Invalid CID {s:?}: {e}")))
}

pub(crate) fn record(v: &serde_json::Value) -> Result<atproto::Value, ServiceError> {
    atproto::json::record_from_json(v)
        .map_err(|e| ServiceError::invalid(format!("Invalid record: {e}")))
}

/// The `commit` field of write outputs.
#[derive(Debug, serde::Serialize)]
pub struct CommitMeta {
    pub cid: String,
    pub rev: String,
}

pub(crate) fn commit_meta(c: &Option<(Cid, atproto::syntax::Tid)>) -> Option<CommitMeta> {
    c.as_ref().map(|(cid, rev)| CommitMeta {
        cid: cid.to_string(),
        rev: rev.to_string(),
    })
}
