//! `com.atproto.sync.getLatestCommit`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::did_param;
use crate::service::Service;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
}

#[derive(Debug, Serialize)]
pub struct Output {
    cid: String,
    rev: String,
}

pub async fn get_latest_commit(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let (cid, rev) = service.latest_commit(did_param(&p.did)?).await?;
    Ok(Json(Output {
        cid: cid.to_string(),
        rev: rev.to_string(),
    }))
}
