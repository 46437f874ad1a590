//! `com.atproto.admin.disableInviteCodes`: by code, or every code of the listed accounts.
//! As in the reference PDS, the operator's own ("admin") codes cannot be disabled this way.

use axum::extract::State;
use serde::Deserialize;

use super::ADMIN_PASSWORD;
use crate::service::{Service, ServiceError};
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    accounts: Vec<String>,
}

pub async fn disable_invite_codes(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    if input.accounts.iter().any(|a| a == "admin") {
        return Err(ServiceError::invalid("cannot disable admin invite codes").into());
    }
    service
        .admin_disable_invite_codes(&ADMIN_PASSWORD, input.codes, input.accounts, None)
        .await?;
    Ok(())
}
