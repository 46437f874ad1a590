//! `com.atproto.admin.getInviteCodes`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::service::admin::{InviteQuery, InviteSort};
use crate::service::invite::InviteCode;
use crate::service::{Service, ServiceError};
use crate::xrpc::auth::AdminAuth;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    sort: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    codes: Vec<InviteCode>,
}

pub async fn get_invite_codes(
    State(service): State<Service>,
    _admin: AdminAuth,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let sort = match p.sort.as_deref().unwrap_or("recent") {
        "recent" => InviteSort::Recent,
        "usage" => InviteSort::Usage,
        other => {
            return Err(ServiceError::invalid(format!("unknown sort method: {other}")).into());
        }
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ServiceError::invalid("limit must be between 1 and 500").into());
    }
    let (codes, cursor) = service
        .admin_list_invite_codes(InviteQuery {
            limit,
            cursor: p.cursor,
            sort,
            ..Default::default()
        })
        .await?;
    Ok(Json(Output { cursor, codes }))
}
