//! `com.atproto.repo.putRecord`: create or replace one record.

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
    rkey: String,
    validate: Option<bool>,
    record: serde_json::Value,
    /// Absent: no check; `null`: the record must not exist; a CID: it must be that one.
    #[serde(default, deserialize_with = "nullable")]
    swap_record: Option<Option<String>>,
    swap_commit: Option<String>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn nullable<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
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

pub async fn put_record(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<Output>> {
    let did = own_repo(&service, &input.repo, &claims.sub).await?;
    let swap_record = match input.swap_record {
        None => None,
        Some(None) => Some(None),
        Some(Some(c)) => Some(Some(super::cid(&c)?)),
    };
    let write = Write::Update {
        collection: nsid(&input.collection)?,
        rkey: rkey(&input.rkey)?,
        value: record(&input.record)?,
        swap_record,
    };
    let swap = input.swap_commit.as_deref().map(super::cid).transpose()?;
    let out = service
        .apply_writes(did, vec![write], Validate::from_flag(input.validate), swap)
        .await?;
    match out.results.into_iter().next() {
        Some(WriteResult::Update {
            uri,
            cid,
            validation_status,
        })
        | Some(WriteResult::Create {
            uri,
            cid,
            validation_status,
        }) => Ok(Json(Output {
            uri: uri.to_string(),
            cid: cid.to_string(),
            commit: commit_meta(&out.commit),
            validation_status,
        })),
        _ => Err(crate::service::ServiceError::internal(anyhow::anyhow!("no put result")).into()),
    }
}
