//! `com.atproto.admin.getAccountInfo`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::{AccountView, did_field};
use crate::service::Service;
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
}

pub async fn get_account_info(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<AccountView>> {
    let did = did_field("did", &p.did)?;
    let info = service.admin_account_info(did.as_str()).await?;
    Ok(Json(info.into()))
}
