//! `com.atproto.server.describeServer`: public, no auth.

use axum::Json;
use axum::extract::State;

use crate::service::Service;
use crate::service::server::ServerDescription;

pub async fn describe_server(State(service): State<Service>) -> Json<ServerDescription> {
    Json(service.describe_server())
}
