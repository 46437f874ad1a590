//! `com.atproto.admin.updateAccountEmail`: `account` is a handle or DID; the new address
//! starts unconfirmed.

use axum::extract::State;
use serde::Deserialize;

use super::ADMIN_PASSWORD;
use crate::service::{Service, ServiceError};
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    account: String,
    email: String,
}

pub async fn update_account_email(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    // An at-identifier: a DID or a handle, never an email or an external id.
    let account = input.account.trim();
    if account.contains('@') || account.starts_with("external:") {
        return Err(ServiceError::invalid("account must be a handle or DID").into());
    }
    service
        .admin_update_email(&ADMIN_PASSWORD, account, &input.email, false, None)
        .await?;
    Ok(())
}
