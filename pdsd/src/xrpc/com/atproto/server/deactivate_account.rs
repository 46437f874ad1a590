//! `com.atproto.server.deactivateAccount` and `activateAccount`: only with the account password.

use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::{XrpcOptionalJson, XrpcResult};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    delete_after: Option<String>,
}

pub async fn deactivate_account(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
    XrpcOptionalJson(input): XrpcOptionalJson<Input>,
) -> XrpcResult<()> {
    service
        .deactivate_account(claims.sub, input.delete_after)
        .await?;
    Ok(())
}

pub async fn activate_account(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
) -> XrpcResult<()> {
    service.activate_account(claims.sub).await?;
    Ok(())
}
