//! `com.atproto.server.getAccountInviteCodes`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::service::Service;
use crate::service::invite::InviteCode;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    #[serde(default = "yes")]
    include_used: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize)]
pub struct Output {
    codes: Vec<InviteCode>,
}

pub async fn get_account_invite_codes(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
    XrpcQuery(params): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let codes = service
        .account_invite_codes(claims.sub, params.include_used)
        .await?;
    Ok(Json(Output { codes }))
}
