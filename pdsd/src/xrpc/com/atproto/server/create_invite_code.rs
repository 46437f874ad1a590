//! `com.atproto.server.createInviteCode` and `createInviteCodes` (admin).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::service::Service;
use crate::service::invite::AccountCodes;
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    use_count: u32,
    for_account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    code: String,
}

pub async fn create_invite_code(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<Output>> {
    let mut out = service
        .create_invite_codes(
            1,
            input.use_count,
            input.for_account.into_iter().collect(),
            "admin".into(),
        )
        .await?;
    let code = out.remove(0).codes.remove(0);
    Ok(Json(Output { code }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManyInput {
    code_count: u32,
    use_count: u32,
    #[serde(default)]
    for_accounts: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ManyOutput {
    codes: Vec<AccountCodes>,
}

pub async fn create_invite_codes(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcJson(input): XrpcJson<ManyInput>,
) -> XrpcResult<Json<ManyOutput>> {
    let codes = service
        .create_invite_codes(
            input.code_count,
            input.use_count,
            input.for_accounts,
            "admin".into(),
        )
        .await?;
    Ok(Json(ManyOutput { codes }))
}
