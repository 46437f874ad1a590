//! `com.atproto.admin.searchAccounts`: accounts whose email contains `email`
//! (case-insensitive), oldest first.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::AccountView;
use crate::service::admin::AccountQuery;
use crate::service::{Service, ServiceError};
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    email: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    accounts: Vec<AccountView>,
}

pub async fn search_accounts(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ServiceError::invalid("limit must be between 1 and 100").into());
    }
    let (accounts, cursor) = service
        .admin_list_accounts(AccountQuery {
            limit,
            cursor: p.cursor,
            email: p.email,
            ..Default::default()
        })
        .await?;
    let dids = accounts.into_iter().map(|a| a.did).collect();
    let infos = service.admin_account_infos(dids).await?;
    Ok(Json(Output {
        cursor,
        accounts: infos.into_iter().map(AccountView::from).collect(),
    }))
}
