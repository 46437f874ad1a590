//! `com.atproto.server.reserveSigningKey`: public, for accounts migrating here.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::service::Service;
use crate::xrpc::error::{XrpcOptionalJson, XrpcResult};

#[derive(Debug, Default, Deserialize)]
pub struct Input {
    did: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    signing_key: String,
}

pub async fn reserve_signing_key(
    State(service): State<Service>,
    XrpcOptionalJson(input): XrpcOptionalJson<Input>,
) -> XrpcResult<Json<Output>> {
    let signing_key = service.reserve_signing_key(input.did).await?;
    Ok(Json(Output { signing_key }))
}
