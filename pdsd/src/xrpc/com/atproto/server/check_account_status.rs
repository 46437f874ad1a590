//! `com.atproto.server.checkAccountStatus`.

use axum::Json;
use axum::extract::State;

use crate::service::Service;
use crate::service::account_status::AccountStatus;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;

pub async fn check_account_status(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
) -> XrpcResult<Json<AccountStatus>> {
    Ok(Json(service.check_account_status(claims.sub).await?))
}
