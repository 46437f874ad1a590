//! `com.atproto.sync.*`.

pub mod get_blob;
pub mod get_blocks;
pub mod get_latest_commit;
pub mod get_record;
pub mod get_repo;
pub mod get_repo_status;
pub mod list_blobs;
pub mod list_repos;
pub mod subscribe_repos;

use atproto::syntax::Did;

use crate::service::ServiceError;

pub(crate) fn did_param(s: &str) -> Result<Did, ServiceError> {
    Did::new(s).map_err(|e| ServiceError::invalid(format!("Invalid did: {e}")))
}
