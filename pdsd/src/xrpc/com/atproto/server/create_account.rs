//! `com.atproto.server.createAccount`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::service::account::{CreateAccountInput, SessionTokens};
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    email: Option<String>,
    handle: String,
    did: Option<String>,
    invite_code: Option<String>,
    password: Option<String>,
    recovery_key: Option<String>,
}

pub async fn create_account(
    State(service): State<Service>,
    headers: axum::http::HeaderMap,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<SessionTokens>> {
    // Only a migration (`did` set) carries a bearer token: the old PDS's service auth.
    let service_token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let out = service
        .create_account(CreateAccountInput {
            email: input.email,
            handle: input.handle,
            did: input.did,
            invite_code: input.invite_code,
            password: input.password,
            recovery_key: input.recovery_key,
            service_token,
        })
        .await?;
    Ok(Json(out))
}
