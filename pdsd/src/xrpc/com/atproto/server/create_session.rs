//! `com.atproto.server.createSession`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::service::account::SessionTokens;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    identifier: String,
    password: String,
}

pub async fn create_session(
    State(service): State<Service>,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<SessionTokens>> {
    Ok(Json(
        service
            .create_session(input.identifier, input.password)
            .await?,
    ))
}
