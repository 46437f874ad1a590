//! `com.atproto.admin.getAccountInfos`: `dids` is a repeated query parameter. Unknown DIDs are
//! left out of the answer.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;

use super::{AccountView, did_field};
use crate::service::{Service, ServiceError};
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::XrpcResult;

#[derive(Debug, Serialize)]
pub struct Output {
    infos: Vec<AccountView>,
}

pub async fn get_account_infos(
    State(service): State<Service>,
    _admin: AdminAuth,
    RawQuery(query): RawQuery,
) -> XrpcResult<Json<Output>> {
    let mut dids = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k == "dids" {
            dids.push(did_field("dids", &v)?.to_string());
        }
    }
    if dids.is_empty() {
        return Err(ServiceError::invalid("Missing required parameter: dids").into());
    }
    let infos = service.admin_account_infos(dids).await?;
    Ok(Json(Output {
        infos: infos.into_iter().map(AccountView::from).collect(),
    }))
}
