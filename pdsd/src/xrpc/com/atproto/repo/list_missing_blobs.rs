//! `com.atproto.repo.listMissingBlobs`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::service::Service;
use crate::service::blob::MissingBlobOut;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    blobs: Vec<MissingBlobOut>,
}

pub async fn list_missing_blobs(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let (blobs, cursor) = service
        .list_missing_blobs(claims.sub, p.cursor, p.limit.unwrap_or(500))
        .await?;
    Ok(Json(Output { cursor, blobs }))
}
