//! `com.atproto.server.resetPassword`.

use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    token: String,
    password: String,
}

pub async fn reset_password(
    State(service): State<Service>,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    service.reset_password(input.token, input.password).await?;
    Ok(())
}
