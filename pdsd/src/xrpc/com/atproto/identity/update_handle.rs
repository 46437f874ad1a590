//! `com.atproto.identity.updateHandle`: any session, as the reference.

use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    handle: String,
}

pub async fn update_handle(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    service.update_handle(&claims.sub, &input.handle).await?;
    Ok(())
}
