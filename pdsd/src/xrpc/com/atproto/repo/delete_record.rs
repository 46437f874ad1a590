//! `com.atproto.repo.deleteRecord`: deleting a record that does not exist is a no-op.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{CommitMeta, commit_meta, nsid, own_repo, rkey};
use crate::service::Service;
use crate::service::repo::{Validate, Write};
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    repo: String,
    collection: String,
    rkey: String,
    swap_record: Option<String>,
    swap_commit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<CommitMeta>,
}

pub async fn delete_record(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<Output>> {
    let did = own_repo(&service, &input.repo, &claims.sub).await?;
    let write = Write::Delete {
        collection: nsid(&input.collection)?,
        rkey: rkey(&input.rkey)?,
        swap_record: input
            .swap_record
            .as_deref()
            .map(super::cid)
            .transpose()?
            .map(Some),
    };
    let swap = input.swap_commit.as_deref().map(super::cid).transpose()?;
    let out = service
        .apply_writes(did, vec![write], Validate::Skip, swap)
        .await?;
    Ok(Json(Output {
        commit: commit_meta(&out.commit),
    }))
}
