//! `com.atproto.repo.applyWrites`: up to 200 creates, updates and deletes as one commit.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{CommitMeta, commit_meta, nsid, own_repo, record, rkey};
use crate::service::repo::{Validate, Write, WriteResult};
use crate::service::{Service, ServiceError};
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    repo: String,
    validate: Option<bool>,
    writes: Vec<serde_json::Value>,
    swap_commit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<CommitMeta>,
    results: Vec<serde_json::Value>,
}

fn field<'a>(w: &'a serde_json::Value, name: &str) -> Result<&'a str, ServiceError> {
    w[name]
        .as_str()
        .ok_or_else(|| ServiceError::invalid(format!("writes: {name} must be a string")))
}

fn parse_write(w: &serde_json::Value) -> Result<Write, ServiceError> {
    let t = field(w, "$type")?;
    let collection = nsid(field(w, "collection")?)?;
    match t {
        "com.atproto.repo.applyWrites#create" => Ok(Write::Create {
            collection,
            rkey: w["rkey"].as_str().map(rkey).transpose()?,
            value: record(&w["value"])?,
        }),
        "com.atproto.repo.applyWrites#update" => Ok(Write::Update {
            collection,
            rkey: rkey(field(w, "rkey")?)?,
            value: record(&w["value"])?,
            swap_record: None,
        }),
        "com.atproto.repo.applyWrites#delete" => Ok(Write::Delete {
            collection,
            rkey: rkey(field(w, "rkey")?)?,
            swap_record: None,
        }),
        other => Err(ServiceError::invalid(format!(
            "Unknown write type: {other}"
        ))),
    }
}

pub async fn apply_writes(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<Output>> {
    let did = own_repo(&service, &input.repo, &claims.sub).await?;
    let writes = input
        .writes
        .iter()
        .map(parse_write)
        .collect::<Result<Vec<_>, _>>()?;
    let swap = input.swap_commit.as_deref().map(super::cid).transpose()?;
    let out = service
        .apply_writes(did, writes, Validate::from_flag(input.validate), swap)
        .await?;
    let results = out
        .results
        .iter()
        .map(|r| match r {
            WriteResult::Create {
                uri,
                cid,
                validation_status,
            } => json!({"$type": "com.atproto.repo.applyWrites#createResult", "uri": uri.to_string(), "cid": cid.to_string(), "validationStatus": validation_status}),
            WriteResult::Update {
                uri,
                cid,
                validation_status,
            } => json!({"$type": "com.atproto.repo.applyWrites#updateResult", "uri": uri.to_string(), "cid": cid.to_string(), "validationStatus": validation_status}),
            WriteResult::Delete => json!({"$type": "com.atproto.repo.applyWrites#deleteResult"}),
        })
        .map(|mut v| {
            if v["validationStatus"].is_null() {
                v.as_object_mut().map(|o| o.remove("validationStatus"));
            }
            v
        })
        .collect();
    Ok(Json(Output {
        commit: commit_meta(&out.commit),
        results,
    }))
}
