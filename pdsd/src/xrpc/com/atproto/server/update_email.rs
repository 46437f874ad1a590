//! `com.atproto.server.updateEmail`.

use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::service::account_email::UpdateEmailInput;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    email: String,
    email_auth_factor: Option<bool>,
    token: Option<String>,
}

pub async fn update_email(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    let input = UpdateEmailInput {
        email: input.email,
        email_auth_factor: input.email_auth_factor,
        token: input.token,
    };
    service.update_email(claims.sub, input).await?;
    Ok(())
}
