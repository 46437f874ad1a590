//! `app.bsky.actor.getPreferences`: served from the PDS's own store, unless the request names
//! another AppView in `atproto-proxy`.

use axum::Json;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::service::Service;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;
use crate::xrpc::proxy;

pub async fn get_preferences(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    req: Request,
) -> XrpcResult<Response> {
    if proxy::names_other_app_view(&service, req.headers()) {
        let nsid = "app.bsky.actor.getPreferences";
        return Ok(proxy::forward_to_header(&service, &claims, nsid, req).await);
    }
    let full = claims.scope.is_access_full();
    let preferences = service.get_preferences(claims.sub, full).await?;
    Ok(Json(json!({ "preferences": preferences })).into_response())
}
