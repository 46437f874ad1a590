//! `com.atproto.repo.createRecord`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{CommitMeta, commit_meta, nsid, own_repo, record, rkey};
use crate::service::Service;
use crate::service::repo::{Validate, Write, WriteResult};
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    repo: String,
    collection: String,
    rkey: Option<String>,
    validate: Option<bool>,
    record: serde_json::Value,
    swap_commit: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    uri: String,
    cid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<CommitMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation_status: Option<&'static str>,
}

pub async fn create_record(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<Output>> {
    let did = own_repo(&service, &input.repo, &claims.sub).await?;
    let write = Write::Create {
        collection: nsid(&input.collection)?,
        rkey: input.rkey.as_deref().map(rkey).transpose()?,
        value: record(&input.record)?,
    };
    let swap = input.swap_commit.as_deref().map(super::cid).transpose()?;
    let out = service
        .apply_writes(did, vec![write], Validate::from_flag(input.validate), swap)
        .await?;
    match out.results.into_iter().next() {
        Some(WriteResult::Create {
            uri,
            cid,
            validation_status,
        }) => Ok(Json(Output {
            uri: uri.to_string(),
            cid: cid.to_string(),
            commit: commit_meta(&out.commit),
            validation_status,
        })),
        _ => {
            Err(crate::service::ServiceError::internal(anyhow::anyhow!("no create result")).into())
        }
    }
}
