//! `com.atproto.admin.updateAccountPassword`: sets the password and ends the account's
//! sessions.

use axum::extract::State;
use serde::Deserialize;

use super::{ADMIN_PASSWORD, did_field};
use crate::service::Service;
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    did: String,
    password: String,
}

pub async fn update_account_password(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    let did = did_field("did", &input.did)?;
    service
        .admin_update_password(&ADMIN_PASSWORD, did.as_str(), input.password, None)
        .await?;
    Ok(())
}
