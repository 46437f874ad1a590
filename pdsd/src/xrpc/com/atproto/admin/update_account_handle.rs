//! `com.atproto.admin.updateAccountHandle`.

use axum::extract::State;
use serde::Deserialize;

use super::{ADMIN_PASSWORD, did_field};
use crate::service::Service;
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    did: String,
    handle: String,
}

pub async fn update_account_handle(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    let did = did_field("did", &input.did)?;
    service
        .admin_update_handle(&ADMIN_PASSWORD, did.as_str(), &input.handle, None)
        .await?;
    Ok(())
}
