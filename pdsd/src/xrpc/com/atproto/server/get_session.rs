//! `com.atproto.server.getSession`.

use axum::Json;
use axum::extract::State;

use crate::service::Service;
use crate::service::account::SessionInfo;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;

pub async fn get_session(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
) -> XrpcResult<Json<SessionInfo>> {
    Ok(Json(service.get_session(claims.sub).await?))
}
