//! `com.atproto.admin.deleteAccount`: deletes the account now, with no grace period.

use axum::extract::State;
use serde::Deserialize;

use super::{ADMIN_PASSWORD, did_field};
use crate::service::Service;
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    did: String,
}

pub async fn delete_account(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    let did = did_field("did", &input.did)?;
    service
        .admin_delete_account(&ADMIN_PASSWORD, did.as_str(), None)
        .await?;
    Ok(())
}
