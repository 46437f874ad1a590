//! `com.atproto.admin.disableAccountInvites`: the account can no longer make invite codes;
//! `note` is recorded as the reason.

use axum::extract::State;
use serde::Deserialize;

use super::{ADMIN_PASSWORD, did_field};
use crate::service::Service;
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    account: String,
    note: Option<String>,
}

pub async fn disable_account_invites(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    let did = did_field("account", &input.account)?;
    service
        .admin_set_account_invites(&ADMIN_PASSWORD, did.as_str(), false, input.note.as_deref())
        .await?;
    Ok(())
}
