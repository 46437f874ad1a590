//! `com.atproto.server.confirmEmail`.

use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    email: String,
    token: String,
}

pub async fn confirm_email(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    service
        .confirm_email(claims.sub, input.email, input.token)
        .await?;
    Ok(())
}
