//! `com.atproto.identity.resolveDid`: public, no auth.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::service::Service;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    did_doc: Value,
}

pub async fn resolve_did(
    State(service): State<Service>,
    XrpcQuery(params): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let did_doc = service.resolve_did(&params.did).await?;
    Ok(Json(Output { did_doc }))
}
