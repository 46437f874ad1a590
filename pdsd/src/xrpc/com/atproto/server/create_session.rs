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
    auth_factor_token: Option<String>,
}

pub async fn create_session(
    State(service): State<Service>,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<SessionTokens>> {
    Ok(Json(
        service
            .create_session_with_auth_factor(
                input.identifier,
                input.password,
                input.auth_factor_token,
            )
            .await?,
    ))
}
