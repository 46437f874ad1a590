//! `com.atproto.server.revokeAppPassword`.

use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    name: String,
}

pub async fn revoke_app_password(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    service.revoke_app_password(claims.sub, input.name).await?;
    Ok(())
}
