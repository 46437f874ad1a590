//! `com.atproto.server.requestPasswordReset`.

use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    email: String,
}

pub async fn request_password_reset(
    State(service): State<Service>,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    service.request_password_reset(input.email).await?;
    Ok(())
}
