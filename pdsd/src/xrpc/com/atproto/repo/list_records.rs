//! `com.atproto.repo.listRecords`: public.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::nsid;
use crate::service::Service;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    repo: String,
    collection: String,
    limit: Option<usize>,
    cursor: Option<String>,
    #[serde(default)]
    reverse: bool,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    records: Vec<serde_json::Value>,
}

pub async fn list_records(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let (records, cursor) = service
        .list_records(
            &p.repo,
            nsid(&p.collection)?,
            p.limit.unwrap_or(50),
            p.cursor,
            p.reverse,
        )
        .await?;
    let records = records
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "uri": r.uri,
                "cid": r.cid.to_string(),
                "value": atproto::json::to_json(&r.value),
            })
        })
        .collect();
    Ok(Json(Output { cursor, records }))
}
